"""Plans, orders, subscriptions, storefronts, licenses, invoices and quotes
(issue 10; seeds 001, 002 and 004), played through nginx against the real
stack. The maintenance job runs as `accountd maint --now <time>`, so that
no test waits for a term or a retention period to pass."""
import calendar
import datetime
import json
import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import support as S



def retention_days():
    """storefront_retention_days of the stack's config (default 90)."""
    with open(os.environ["ACCOUNTD_CONF"]) as f:
        for line in f:
            key, _, value = line.split("#", 1)[0].partition("=")
            if key.strip() == "storefront_retention_days":
                return int(value)
    return 90


# ---------------------------------------------------------------- helpers

def run_maint(env, now):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    p = subprocess.run([binary, "maint", "--now", now, "--config", env["ACCOUNTD_CONF"]],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"maint rc={p.returncode}: {p.stdout} {p.stderr}"
    return p.stdout


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


def later(s, **delta):
    return rfc3339(parse_time(s) + datetime.timedelta(**delta))


def storefront_login(uid, host, alias, path="/"):
    """GET /api/v1/auth as nginx's auth_request asks it for a page of the
    storefront (X-Original-URI under /<alias>, Host the storefront host)."""
    s = S.Api(auth=(uid, S.PASSWORDS[uid]))
    try:
        return s.get("/api/v1/auth", headers={"Host": host, "X-Original-URI": f"/{alias}{path}"})
    finally:
        s.close()


def test_distributor_sets_its_storefront_host(api, make_account, make_person, set_roles,
                                              operator_id, make_reseller, sql, make_tenant):
    acc = make_account("olivia", "distributor", operator_id)
    admin, sp = make_person(prefix="dh"), make_person(prefix="dhs")
    set_roles("olivia", acc.id, admin, ["admin"])
    set_roles("olivia", acc.id, sp, ["service-provider"])
    path = f"/api/v1/accounts/{acc.id}/storefront-host"
    got = S.expect(api(admin).get(path), 200)
    assert got["storefront_host"] is None and got["effective"]  # the config's default
    host = f"{S.unique('shop-')}.storefront.test"
    S.expect_problem(api(sp).put(path, json={"storefront_host": host}), 403)
    for bad in ("shop_x.test", "shop..test", "shop.test/x", "shop.test:0"):
        S.expect_field_errors(api(admin).put(path, json={"storefront_host": bad}),
                              "storefront_host")
    assert S.expect(api(admin).put(path, json={"storefront_host": host}), 200) == {
        "storefront_host": host, "effective": host}
    assert S.expect(api(sp).get(path), 200)["storefront_host"] == host
    assert sql.value("SELECT storefront_host FROM accounts WHERE id=%s", int(acc.id)) == host
    assert "storefront.host" in [a["action"] for a in sql.audit(acc.id)]
    # Its resellers' storefront URLs use it.
    d = Distributor(acc, admin, None, None, host)
    r = make_reseller(d)
    alias = S.unique("h-")
    done = execute(api, admin, order(api, admin, r.account.id, "reseller-free", alias)["id"])
    assert done["subscription"]["storefront"]["url"] == f"https://{host}/{alias}"
    # Back to the default with an empty value.
    assert S.expect(api(admin).put(path, json={"storefront_host": ""}), 200)[
        "storefront_host"] is None
    sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)
    assert sf["url"] != f"https://{host}/{alias}" and sf["url"].endswith(f"/{alias}")
    # Only a distributor has one.
    t = make_tenant("host")
    S.expect_problem(api(t.admin).put(f"/api/v1/accounts/{t.account.id}/storefront-host",
                                      json={"storefront_host": host}), 409, "conflict")


def storefront_page(uid, host, alias, path="/portal", headers=None):
    """A page of the storefront through nginx (nginx/storefront-server.conf.in:
    every page behind auth_request /_accountd_auth)."""
    s = S.Api(auth=(uid, S.PASSWORDS[uid]))
    try:
        return s.get(f"/{alias}{path}", headers={"Host": host, **(headers or {})})
    finally:
        s.close()


class Distributor:
    def __init__(self, account, admin, billing, member, host):
        self.account, self.admin, self.billing, self.member, self.host = (
            account, admin, billing, member, host)


@pytest.fixture
def disti(make_account, make_person, set_roles, operator_id, sql):
    """A distributor with an admin, a billing person and a member, and its
    own storefront host."""
    acc = make_account("olivia", "distributor", operator_id)
    people = {}
    for role in ("admin", "billing", "member"):
        people[role] = make_person(prefix="d" + role[0])
        set_roles("olivia", acc.id, people[role], [role])
    host = f"{S.unique('cloud-')}.storefront.test"  # nginx's storefront server
    sql.rows("UPDATE accounts SET storefront_host=%s WHERE id=%s", host, int(acc.id))
    return Distributor(acc, people["admin"], people["billing"], people["member"], host)


class Reseller:
    def __init__(self, account, admin, billing, member, recipient):
        self.account, self.admin, self.billing, self.member, self.recipient = (
            account, admin, billing, member, recipient)


@pytest.fixture
def make_reseller(make_account, make_person, set_roles, api):
    """make_reseller(disti) -> a reseller (partner) under the distributor on
    the basic plan, with an admin (its primary contact), a billing person,
    a member and a notification recipient."""

    def make(d):
        acc = make_account("olivia", "partner", d.account.id)
        people = {}
        for role in ("admin", "billing", "member"):
            people[role] = make_person(prefix="r" + role[0])
            set_roles("olivia", acc.id, people[role], [role])
        S.expect(api("olivia").put(f"/api/v1/accounts/{acc.id}/contacts/primary",
                                   json={"uid": people["admin"].uid}), 200)
        recipient = S.unique_mail("notify-")
        S.expect(api("olivia").put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                                   json={"emails": [recipient]}), 200)
        return Reseller(acc, people["admin"], people["billing"], people["member"], recipient)

    return make


def order(api, who, account_id, article, alias=None, status=201):
    body = {"lines": [{"article": article, "quantity": 1}]}
    if alias:
        body["storefront_alias"] = alias
    r = api(who).post(f"/api/v1/accounts/{account_id}/orders", json=body)
    if status != 201:
        return r
    data = S.expect(r, 201)
    assert data["status"] == "draft", data
    assert r.headers["Location"].endswith(f"/api/v1/orders/{data['id']}"), S.describe(r)
    return data


def execute(api, who, order_id, status=200):
    r = api(who).post(f"/api/v1/orders/{order_id}/execute")
    if status != 200:
        return S.expect_problem(r, status)
    return S.expect(r, 200)


def money(amount, currency="EUR"):
    return {"amount_minor": amount, "currency": currency}


# ---------------------------------------------------------------- catalog

def test_catalog_plans_and_articles(api):
    plans = S.expect(api("olivia").get("/api/v1/plans"), 200)["items"]
    by_code = {p["code"]: p for p in plans}
    assert {"basic", "free", "standard"} <= set(by_code)
    assert by_code["basic"]["upgrades_to"] == ["free", "standard"]
    assert by_code["free"]["upgrades_to"] == ["standard"]
    assert by_code["standard"]["upgrades_to"] == []
    assert by_code["standard"]["needs_storefront"] is True
    assert by_code["basic"]["needs_storefront"] is False
    assert by_code["standard"]["price"] == money(49000)
    assert any(p["audience"] == "customer" and p["pricing_model"] == "per_unit" for p in plans)
    articles = {a["code"]: a for a in S.expect(api("olivia").get("/api/v1/articles"), 200)["items"]}
    starter = articles["starter"]
    assert starter["plan"] == "starter"
    assert starter["price"] == money(1900)
    assert isinstance(starter["price"]["amount_minor"], int)
    assert {"feature": "assets", "quantity": 50} in starter["licenses"]
    assert {"feature": "data-loggers", "quantity": 10} in starter["licenses"]
    S.expect(api(None).get("/api/v1/plans"), 401)


# ---------------------------------------------------------------- seed 002

def test_distributor_upgrades_reseller_basic_to_standard_in_back_office(
        api, disti, make_reseller, mailbox, sql):
    r = make_reseller(disti)
    assert S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)["plan"] == "basic"

    def listed_plan():
        rows = S.expect(api(disti.admin).get(f"/api/v1/accounts?parent_id={disti.account.id}"),
                        200)["items"]
        return [x["plan"] for x in rows if x["id"] == r.account.id]

    # The partner's table agrees with the overview: basic, and its filter
    # finds the reseller (round-3 walkthrough of seed 003).
    assert listed_plan() == ["basic"]
    table = f"/api/v1/accounts?parent_id={disti.account.id}"
    found = S.expect(api(disti.admin).get(table, params={"filter[plan]": "basic"}), 200)["items"]
    assert r.account.id in [x["id"] for x in found]
    assert all(x["plan"] == "basic" for x in found), found
    assert sql.account(r.account.id)["plan"] == "basic"
    alias = S.unique("techsol-")
    draft = order(api, disti.admin, r.account.id, "reseller-standard", alias)
    assert draft["storefront_alias"] == alias
    assert draft["total"] == money(49000)
    assert draft["lines"] == [{"article": "reseller-standard", "name": "Reseller Standard Edition",
                               "quantity": 1, "unit_price": money(49000),
                               "amount": money(49000)}]
    # A draft reserves nothing: the alias is taken when the order executes.
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}"),
                    200)["available"] is True
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{alias}"), 404)
    done = execute(api, disti.admin, draft["id"])
    sub = done["subscription"]
    url = f"https://{disti.host}/{alias}"
    assert sub["status"] == "active" and sub["plan"] == "standard", done
    assert sub["storefront"] == {"alias": alias, "url": url, "status": "active"}
    assert sub["articles"] == [{"article": "reseller-standard", "quantity": 1,
                                "unit_price": money(49000), "term_months": 12,
                                "paid_until": sub["ends_at"]}]
    assert sub["started_at"] < sub["ends_at"] and sub["term_months"] == 12
    assert done["order"]["status"] == "executed"
    assert done["order"]["subscription_id"] == sub["id"]
    assert done["invoice"]["total"] == money(49000)
    assert done["invoice"]["reason"] == "order"
    # The URL resolves, for anyone (a storefront asks before sign-in).
    sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)
    assert sf["account_id"] == r.account.id and sf["url"] == url and sf["status"] == "active"
    assert sf["distributor_id"] == disti.account.id
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}"), 200)["available"] is False
    # The reseller is on standard: the distributor's overview table, the
    # account overview and /me show it, with licenses.
    assert listed_plan() == ["standard"]
    over = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)
    assert over["plan"] == "standard"
    assert [s["id"] for s in over["subscriptions"]] == [sub["id"]]
    assert over["subscriptions"][0]["status"] == "active"
    assert {"article": "reseller-standard", "name": "Reseller Standard Edition", "quantity": 1,
            "subscription_id": sub["id"]} in over["articles"]
    lic = {l["feature"]: l for l in over["licenses"]}
    assert lic["storefront-customers"]["quantity"] == 1000
    assert lic["storefront-customers"]["used"] == 0
    assert len(lic["storefront-customers"]["key"]) == 29
    me = S.expect(api(r.admin).get("/api/v1/me"), 200)
    mine = [a for a in me["accounts"] if a["id"] == r.account.id][0]
    assert mine["plan"] == "standard" and mine["licenses"] and mine["subscriptions"]
    # The welcome mail (the distributor's template) reaches the primary
    # contact and the notification recipient.
    for to in (r.admin.mail, r.recipient):
        mails = mailbox.wait_for(lambda m: url in m.body, to=to, timeout=15)
        assert mails, f"no welcome mail with {url} to {to}"
        # The subject names the account and the plan (its name, not its code).
        assert mails[-1].subject == f"{r.account.name}: your Standard Edition storefront is ready"
    # One SQL transaction wrote it all; the audit trail says who.
    audit = sql.audit(r.account.id)
    actions = [a["action"] for a in audit]
    assert "order.create" in actions and "order.execute" in actions
    assert [a["uid"] for a in audit if a["action"] == "order.execute"] == [disti.admin.uid]
    assert sql.value("SELECT plan FROM accounts WHERE id=%s", int(r.account.id)) == "standard"
    # Executed once: a second execute is 409 and changes nothing.
    execute(api, disti.admin, draft["id"], status=409)
    assert sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s",
                     int(r.account.id)) == 1
    # Invoices: integer minor units.
    inv = S.expect(api(r.member).get(f"/api/v1/accounts/{r.account.id}/invoices"), 200)["items"]
    assert [i["total"] for i in inv] == [money(49000)]
    assert inv[0]["number"].startswith("INV-")
    # INV-<year>-<id as six digits> (docs/api.md)
    year, num = inv[0]["number"].split("-")[1:]
    assert len(year) == 4 and int(num) == int(inv[0]["id"]) and len(num) >= 6, inv[0]


def test_distributor_template_override_is_the_welcome_mail(api, disti, make_reseller, mailbox):
    S.expect(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/notification-templates/storefront-welcome",
        json={"subject": "Welcome to Standard Reseller Storefront",
              "body": "Your storefront {{storefront_url}} is ready, {{account_name}}."}), 200)
    r = make_reseller(disti)
    alias = S.unique("wel-")
    execute(api, disti.billing, order(api, disti.billing, r.account.id, "reseller-standard",
                                      alias)["id"])
    mails = mailbox.wait_for(lambda m: alias in m.body, to=r.admin.mail, timeout=15)
    assert mails and mails[-1].subject == "Welcome to Standard Reseller Storefront"
    assert f"https://{disti.host}/{alias} is ready, {r.account.name}." in mails[-1].body


def test_the_storefront_welcome_goes_only_with_a_storefront(api, disti, make_reseller,
                                                            make_account, sql, mailbox):
    """Round-4/5/6 walkthroughs of seed 002: the distributor's "Welcome to
    Standard Reseller Storefront" (an override of the welcome mail) went out
    with add-on and customer-plan orders too, saying "sign in there" with
    no URL. A plan with a storefront sends storefront-welcome; any other
    order plan-welcome, whose override is separate."""
    tpl = f"/api/v1/accounts/{disti.account.id}/notification-templates"
    S.expect(api(disti.admin).put(f"{tpl}/storefront-welcome", json={
        "subject": "Welcome to {{plan}} Reseller Storefront",
        "body": "{{account_name}}: your storefront {{storefront_url}} is ready.\n"}), 200)
    r = make_reseller(disti)
    alias = S.unique("sw-")
    execute(api, disti.admin, order(api, disti.admin, r.account.id, "reseller-standard",
                                    alias)["id"])
    mails = mailbox.wait_for(lambda m: alias in m.body, to=r.recipient, timeout=15)
    assert mails and mails[-1].subject == "Welcome to Standard Edition Reseller Storefront", mails
    # An add-on for the same reseller: the plain welcome, no storefront text.
    before = S.outbox_max_id(sql)
    draft = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "api-seats", "quantity": 1}]}), 201)
    execute(api, r.admin, draft["id"])
    rows = S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
    assert {x["template"] for x in rows} == {"plan-welcome"}, rows
    mails = mailbox.wait_for(outbox_id=[x for x in rows if x["recipient"].lower() ==
                                        r.recipient.lower()][0]["id"], timeout=15)
    assert mails and "Storefront" not in mails[-1].subject and "storefront" not in mails[-1].body, \
        mails
    # A customer plan under the distributor: the plain welcome as well.
    cust = make_account("olivia", "customer", disti.account.id)
    before = S.outbox_max_id(sql)
    execute(api, disti.admin, order(api, disti.admin, cust.id, "professional")["id"])
    rows = S.wait_outbox_settled(sql, account_id=cust.id, after_id=before)
    assert rows and {x["template"] for x in rows} == {"plan-welcome"}, rows
    # The distributor's own plan-welcome override reaches those, not the
    # storefront orders.
    S.expect(api(disti.admin).put(f"{tpl}/plan-welcome", json={
        "subject": "Thanks for ordering {{plan}}", "body": "{{articles}}\n"}), 200)
    before = S.outbox_max_id(sql)
    draft = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "data-logger", "quantity": 1}]}), 201)
    execute(api, r.admin, draft["id"])
    rows = S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
    assert rows and all(x["subject"].startswith("Thanks for ordering") for x in rows), rows


def test_reseller_self_service_lifecycle(api, disti, make_reseller, make_account, make_person,
                                         set_roles, env, sql, mailbox):
    r = make_reseller(disti)
    alias = S.unique("self-")
    # basic -> free in the storefront (self-service), with an alias.
    done = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    sub = done["subscription"]
    sid = sub["id"]
    assert sub["plan"] == "free" and sub["storefront"]["alias"] == alias
    assert done["invoice"]["total"] == money(0)
    # free -> standard: the upgrade keeps the alias, invoices the difference.
    up = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                    json={"plan": "standard"}), 200)
    assert up["plan"] == "standard" and up["status"] == "active"
    assert up["storefront"]["alias"] == alias
    assert up["invoice"]["total"] == money(49000) and up["invoice"]["reason"] == "upgrade"
    lic = {l["feature"]: l for l in S.expect(
        api(r.member).get(f"/api/v1/accounts/{r.account.id}/licenses"), 200)["items"]}
    assert lic["storefront-customers"]["quantity"] == 1000  # free's 25 replaced
    # standard -> free or standard again: not upgrades.
    for plan in ("free", "standard", "basic"):
        S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                           json={"plan": plan}), 409, "conflict")
    # A member renews (one more term, an invoice) but may not cancel.
    before = parse_time(up["ends_at"])
    renewed = S.expect(api(r.member).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    assert parse_time(renewed["ends_at"]) > before + datetime.timedelta(days=360)
    assert renewed["invoice"]["reason"] == "renewal"
    assert renewed["invoice"]["total"] == money(49000)
    S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{sid}/cancel"), 403)
    # Cancel: pending until the term ends; the storefront keeps working.
    pending = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    assert pending["status"] == "pending_cancellation"
    ends_at = pending["ends_at"]
    assert ends_at == renewed["ends_at"]
    # The audit row has the time as the API shows it (RFC 3339).
    row = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.cancel"][-1]
    assert row["new_value"]["ends_at"] == ends_at, row
    S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 409)
    S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{sid}/renew"), 409)
    assert mailbox.wait_for(lambda m: "cancelled" in (m.subject or ""), to=r.admin.mail,
                            timeout=15)
    # Undo and cancel again.
    assert S.expect(api(r.billing).post(f"/api/v1/subscriptions/{sid}/uncancel"),
                    200)["status"] == "active"
    S.expect(api(r.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    # A sub-customer of the reseller, with its own admin.
    cust = make_account(r.admin, "customer", r.account.id)
    cust_admin = make_person(prefix="sc")
    set_roles(r.admin, cust.id, cust_admin, ["admin"])
    assert storefront_login(r.admin.uid, disti.host, alias).status_code == 200
    assert storefront_login(cust_admin.uid, disti.host, alias).status_code == 200
    page = storefront_page(cust_admin.uid, disti.host, alias)
    assert page.status_code == 200 and page.text == "storefront page\n", S.describe(page)
    assert page.headers["X-Signed-In-As"] == cust_admin.uid
    # Not yet: a maintenance run before the term end changes nothing.
    run_maint(env, later(ends_at, days=-1))
    assert S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"),
                    200)["status"] == "pending_cancellation"
    # The term ends: cancelled, back on basic, the storefront refuses logins.
    out = run_maint(env, later(ends_at, seconds=1))
    assert f"ended the cancelled subscription {sid}" in out
    ended = S.expect(api(r.member).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert ended["status"] == "cancelled" and ended["ended_at"] == ends_at
    assert ended["storefront"]["status"] == "cancelled"
    assert S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)["plan"] == "basic"
    S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 409)
    for who in (r.admin, cust_admin):
        resp = storefront_login(who.uid, disti.host, alias, "/portal/login")
        S.expect_problem(resp, 403, "forbidden")
        # Through nginx: the storefront's pages refuse them; a forged
        # X-Original-URI changes nothing (nginx sets it for the check).
        S.expect_problem(storefront_page(who.uid, disti.host, alias), 403)
        S.expect_problem(storefront_page(who.uid, disti.host, alias,
                                         headers={"X-Original-URI": "/api/v1/me"}), 403)
    # Another distributor's storefront host with the same path is not this
    # storefront.
    assert storefront_page(r.admin.uid, f"{S.unique('x-')}.storefront.test",
                           alias).status_code == 200
    # The API itself (not under the storefront) still lets them in, and a
    # wrong password is still 401, not 403.
    assert storefront_login(r.admin.uid, disti.host, "api", "/v1/me").status_code == 200
    wrong = S.Api(auth=(r.admin.uid, "wrong-password")).get(
        "/api/v1/auth", headers={"Host": disti.host, "X-Original-URI": f"/{alias}/"})
    assert wrong.status_code == 401
    # Licenses taken back.
    lic = {l["feature"]: l for l in S.expect(
        api(r.admin).get(f"/api/v1/accounts/{r.account.id}/licenses"), 200)["items"]}
    assert lic["storefront-customers"]["quantity"] == 0
    # Within retention the alias stays theirs: nobody else gets it.
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}"), 200) == {
        "alias": alias, "available": False, "reason": "taken"}
    other = make_reseller(disti)
    S.expect_problem(order(api, other.admin, other.account.id, "reseller-free", alias,
                           status=409), 409, "conflict")
    sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)
    assert sf["status"] == "cancelled" and sf["account_id"] == r.account.id
    run_maint(env, later(ends_at, days=retention_days(), seconds=-60))
    assert S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)["status"] == "cancelled"
    # After retention: purged, the alias is free, another reseller takes it.
    out = run_maint(env, later(ends_at, days=retention_days(), seconds=2))
    assert "storefront(s) purged" in out
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}"), 200)["available"] is True
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{alias}"), 404)
    assert sql.value("SELECT COUNT(*) FROM storefronts WHERE alias=%s", alias) == 0
    assert "storefront.purge" in [a["action"] for a in sql.audit(r.account.id)]
    done = execute(api, other.admin, order(api, other.admin, other.account.id, "reseller-free",
                                           alias)["id"])
    assert done["subscription"]["storefront"]["alias"] == alias


def test_new_subscription_within_retention_gets_the_alias_back(api, disti, make_reseller, env):
    r = make_reseller(disti)
    alias = S.unique("back-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                       alias)["id"])["subscription"]["id"]
    ends_at = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    run_maint(env, later(ends_at, seconds=1))
    assert storefront_login(r.admin.uid, disti.host, alias).status_code == 403
    # A new subscription without naming an alias: the kept one comes back.
    done = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard")["id"])
    assert done["subscription"]["storefront"] == {
        "alias": alias, "url": f"https://{disti.host}/{alias}", "status": "active"}
    assert storefront_login(r.admin.uid, disti.host, alias).status_code == 200
    assert S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)["status"] == "active"


def test_plan_rules_and_alias_validation(api, disti, make_reseller, make_account, env, sql):
    r = make_reseller(disti)
    # A plan with a storefront needs an alias before it executes.
    draft = order(api, r.admin, r.account.id, "reseller-standard")
    execute(api, r.admin, draft["id"], status=409)
    assert sql.value("SELECT status FROM orders WHERE id=%s", int(draft["id"])) == "draft"
    S.expect(api(r.admin).post(f"/api/v1/orders/{draft['id']}/discard"), 200)
    execute(api, r.admin, draft["id"], status=409)
    # Aliases: 3-63 of a-z, 0-9 and '-', not reserved.
    # An alias in another case is lowered first (round-14 walkthrough of
    # seed 002, D3), then checked: "Tech_Sol", "API" and "-Tech" still fail.
    for bad in ("ab", "Tech_Sol", "tech_sol", "-Tech", "a" * 64, "A" * 64, "api", "API", "www"):
        resp = order(api, r.admin, r.account.id, "reseller-free", bad, status=422)
        S.expect_field_errors(resp, "storefront_alias")
    S.expect_field_errors(api(None).get("/api/v1/storefront-aliases/Te_ch"), "alias")
    assert S.expect(api(None).get("/api/v1/storefront-aliases/api"), 200) == {
        "alias": "api", "available": False, "reason": "reserved"}
    # Lines: known articles, whole quantities, one plan at most.
    bad_lines = [
        ({"lines": []}, "lines"),
        ({"lines": [{"article": "nope", "quantity": 1}]}, "lines[0].article"),
        ({"lines": [{"article": "assets-pack", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": [{"article": "assets-pack", "quantity": 1.5}]}, "lines[0].quantity"),
        ({"lines": [{"article": "reseller-free", "quantity": 1},
                    {"article": "reseller-standard", "quantity": 1}]}, "lines[1].article"),
        ({"lines": [{"article": "starter", "quantity": 1}]}, "lines[0].article"),
        ({"lines": [{"article": "assets-pack", "quantity": 1}], "price": 1}, "price"),
    ]
    for body, field in bad_lines:
        resp = api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json=body)
        errors = S.expect_field_errors(resp)
        assert field in errors, (body, errors)
    # A line with two mistakes names both in one answer: the typo in a
    # field name (so the quantity is missing) and the unknown article.
    resp = api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders",
                             json={"lines": [{"article": "nope", "quantity_": 2}]})
    errors = S.expect_field_errors(resp)
    assert {"lines[0].quantity_", "lines[0].quantity", "lines[0].article"} <= set(errors), errors
    assert "no such article" in errors["lines[0].article"], errors
    assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s",
                     int(r.account.id)) == 1
    # A draft for free, made while on basic ...
    early = order(api, r.admin, r.account.id, "reseller-free", S.unique("early-"))
    # basic -> standard directly; then free is a downgrade: 409 when the
    # order is made (it could never execute: round-2 walkthrough of seed
    # 002), and nothing is written ...
    alias = S.unique("rules-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard", alias)["id"])
    n = sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(r.account.id))
    S.expect_problem(order(api, r.admin, r.account.id, "reseller-free", status=409), 409, "conflict")
    S.expect_problem(order(api, r.admin, r.account.id, "reseller-standard", status=409), 409,
                     "conflict")
    assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(r.account.id)) == n
    # ... and the early draft is refused at execute, which checks again.
    execute(api, r.admin, early["id"], status=409)
    # A form works like JSON.
    resp = api(r.admin).form("POST", f"/api/v1/accounts/{r.account.id}/orders",
                             [("lines[0][article]", "assets-pack"), ("lines[0][quantity]", "2")])
    assert S.expect(resp, 201)["total"] == money(5000)
    # A line's field given twice is 400, as every repeated form field
    # (round-11 walkthrough of seed 002, D2: it was 422 "must be a whole
    # number"), and nothing is made.
    n = sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(r.account.id))
    resp = api(r.admin).form("POST", f"/api/v1/accounts/{r.account.id}/orders",
                             [("lines[0][article]", "assets-pack"), ("lines[0][quantity]", "1"),
                              ("lines[0][quantity]", "1")])
    body = S.expect_problem(resp, 400, "bad-request")
    assert "given more than once" in body["detail"], body
    assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(r.account.id)) == n


def test_alias_race_exactly_one_wins(api, disti, make_reseller, sql):
    resellers = [make_reseller(disti) for _ in range(6)]
    alias = S.unique("race-")
    drafts = [order(api, r.admin, r.account.id, "reseller-standard", alias) for r in resellers]
    barrier = threading.Barrier(len(resellers))

    def go(pair):
        r, d = pair
        s = S.Api(auth=(r.admin.uid, S.PASSWORDS[r.admin.uid]))
        try:
            barrier.wait(timeout=30)
            return s.post(f"/api/v1/orders/{d['id']}/execute", timeout=60)
        finally:
            s.close()

    with ThreadPoolExecutor(len(resellers)) as pool:
        answers = list(pool.map(go, zip(resellers, drafts)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (len(resellers) - 1), [S.describe(a) for a in answers]
    for a in answers:
        if a.status_code == 409:
            S.expect_problem(a, 409, "conflict")
    winner = [r for r, a in zip(resellers, answers) if a.status_code == 200][0]
    rows = sql.rows("SELECT account_id FROM storefronts WHERE alias=%s", alias)
    assert [str(x["account_id"]) for x in rows] == [winner.account.id]
    # The losers' orders stay drafts, with no subscription.
    for r, a in zip(resellers, answers):
        if a.status_code == 409:
            assert sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s",
                             int(r.account.id)) == 0


# ---------------------------------------------------------------- licenses

@pytest.fixture
def licensed(api, make_tenant, make_account, make_person, set_roles):
    """A customer account on the starter plan (data-loggers: 10) with a
    member; its distributor's admin placed the order in the back office (a
    partner's admin who is no member of it may not: round-17 walkthrough of
    seed 001, D1)."""
    t = make_tenant("lic", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    member = make_person(prefix="lm")
    set_roles("olivia", cust.id, member, ["member"])
    done = execute(api, t.admin, order(api, t.admin, cust.id, "starter")["id"])
    assert done["subscription"]["plan"] == "starter"
    return t, cust, member


def test_hundred_concurrent_consumes_against_quota_ten(api, licensed, sql):
    t, cust, member = licensed
    path = f"/api/v1/accounts/{cust.id}/licenses/data-loggers/consume"
    barrier = threading.Barrier(100)
    local = threading.local()

    def go(_):
        if not hasattr(local, "s"):
            local.s = S.Api(auth=(member.uid, S.PASSWORDS[member.uid]))
        barrier.wait(timeout=60)
        return local.s.post(path, json={"quantity": 1}, timeout=120).status_code

    with ThreadPoolExecutor(100) as pool:
        codes = list(pool.map(go, range(100)))
    assert codes.count(200) == 10, sorted(codes)
    assert codes.count(409) == 90, sorted(codes)
    lic = {l["feature"]: l for l in S.expect(
        api(member).get(f"/api/v1/accounts/{cust.id}/licenses"), 200)["items"]}
    assert lic["data-loggers"]["used"] == 10 and lic["data-loggers"]["quantity"] == 10
    assert sql.value("SELECT used FROM licenses WHERE account_id=%s AND feature='data-loggers'",
                     int(cust.id)) == 10
    assert sql.value("SELECT COUNT(*) FROM audit WHERE account_id=%s AND action='license.consume'",
                     int(cust.id)) == 10


def test_consume_and_release(api, licensed):
    t, cust, member = licensed
    base = f"/api/v1/accounts/{cust.id}/licenses"
    got = S.expect(api(member).post(f"{base}/assets/consume", json={"quantity": 30}), 200)
    assert got == {"feature": "assets", "quantity": 50, "used": 30, "available": 20}
    S.expect_problem(api(member).post(f"{base}/assets/consume", json={"quantity": 21}), 409)
    got = S.expect(api(member).post(f"{base}/assets/release", json={"quantity": 10}), 200)
    assert got["used"] == 20
    S.expect_problem(api(member).post(f"{base}/assets/release", json={"quantity": 21}), 409)
    S.expect(api(member).post(f"{base}/assets/consume"), 200)  # one by default
    S.expect_problem(api(member).post(f"{base}/nope/consume", json={"quantity": 1}), 404)
    S.expect_field_errors(api(member).post(f"{base}/assets/consume", json={"quantity": 0}),
                          "quantity")
    S.expect_field_errors(api(member).post(f"{base}/assets/consume", json={"quantity": "2"}),
                          "quantity")
    keys = [l["key"] for l in S.expect(api(member).get(base), 200)["items"]]
    assert len(keys) == 2 and len(set(keys)) == 2


# ---------------------------------------------------------------- invoices, quotes

def test_quotes_and_invoices(api, licensed, sql):
    t, cust, member = licensed
    base = f"/api/v1/accounts/{cust.id}"
    S.expect_problem(api(member).post(f"{base}/quotes", json={
        "lines": [{"article": "assets-pack", "quantity": 3}]}), 403)
    r = api(t.admin).post(f"{base}/quotes", json={
        "lines": [{"article": "assets-pack", "quantity": 3},
                  {"article": "data-logger", "quantity": 2}]})
    q = S.expect(r, 201)
    assert q["total"] == money(3 * 2500 + 2 * 990) and q["status"] == "requested"
    assert q["requested_by"] == t.admin.uid
    quotes = S.expect(api(member).get(f"{base}/quotes"), 200)["items"]
    assert [x["id"] for x in quotes] == [q["id"]]
    invoices = S.expect(api(member).get(f"{base}/invoices"), 200)["items"]
    assert [i["total"] for i in invoices] == [money(1900)]
    assert sql.value("SELECT total_minor FROM invoices WHERE id=%s",
                     int(invoices[0]["id"])) == 1900


# ---------------------------------------------------------------- who may

def test_who_may_order_and_cancel(api, disti, make_reseller, make_tenant):
    r = make_reseller(disti)
    other = make_tenant("billing-other")
    base = f"/api/v1/accounts/{r.account.id}"
    lines = {"lines": [{"article": "assets-pack", "quantity": 1}]}
    # Back office (the distributor's admin and billing) and self-service
    # (the reseller's admin and billing) may order; members order add-ons
    # only (round-8 walkthrough of seed 004), never a plan; the
    # distributor's member sees nothing; another tenant gets 404.
    for who in (disti.admin, disti.billing, r.admin, r.billing, r.member):
        S.expect(api(who).post(f"{base}/orders", json=lines), 201)
    S.expect_problem(api(r.member).post(f"{base}/orders", json={
        "lines": [{"article": "reseller-free", "quantity": 1}]}), 403, "forbidden")
    S.expect_problem(api(disti.member).post(f"{base}/orders", json=lines), 404)
    S.expect_problem(api(other.admin).post(f"{base}/orders", json=lines), 404)
    S.expect(api(None).post(f"{base}/orders", json=lines), 401)
    draft = order(api, r.admin, r.account.id, "assets-pack")
    plan_draft = order(api, r.admin, r.account.id, "reseller-free")
    S.expect_problem(api(r.member).post(f"/api/v1/orders/{plan_draft['id']}/execute"), 403)
    S.expect_problem(api(other.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 404)
    S.expect_problem(api(disti.member).post(f"/api/v1/orders/{draft['id']}/execute"), 404)
    S.expect_problem(api(other.admin).get(f"/api/v1/orders/{draft['id']}"), 404)
    S.expect_problem(api(r.admin).get("/api/v1/orders/999999999"), 404)
    sid = execute(api, disti.billing, draft["id"])["subscription"]["id"]
    # Reads: members too.
    for path in (f"{base}/subscriptions", f"/api/v1/subscriptions/{sid}", f"{base}/licenses",
                 f"{base}/invoices", f"{base}/quotes"):
        S.expect(api(r.member).get(path), 200)
        S.expect(api(disti.billing).get(path), 200)
        S.expect_problem(api(other.admin).get(path), 404)
        S.expect_problem(api(disti.member).get(path), 404)
        S.expect(api(None).get(path), 401)
    # Orders too, since members order add-ons (round 8); the distributor's
    # member still sees nothing.
    assert draft["id"] in [o["id"] for o in S.expect(api(r.member).get(f"{base}/orders"), 200)["items"]]
    S.expect(api(r.member).get(f"/api/v1/orders/{plan_draft['id']}"), 200)
    S.expect_problem(api(disti.member).get(f"{base}/orders"), 404)
    # Cancel and uncancel: admins and billing, not members, not others.
    S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{sid}/cancel"), 403)
    S.expect_problem(api(other.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 404)
    S.expect_problem(api(other.admin).post(f"/api/v1/subscriptions/{sid}/renew"), 404)
    S.expect(api(disti.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{sid}/uncancel"), 403)
    S.expect(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    S.expect(api(r.member).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    S.expect_problem(api(other.admin).post(f"/api/v1/subscriptions/999999999/cancel"), 404)


def test_maint_rejects_a_bad_now(env):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    p = subprocess.run([binary, "maint", "--now", "tomorrow", "--config", env["ACCOUNTD_CONF"]],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--now" in p.stderr
    assert "maint:" not in p.stdout  # no job ran


def test_overview_reads_billing_in_the_accounts_statement(api, disti, make_reseller, sql):
    """Plan, subscriptions, articles and licenses come with the account's own
    statement: reading an account with many of them runs exactly as many SQL
    statements as reading one with a single subscription."""
    small = make_reseller(disti)
    execute(api, small.admin, order(api, small.admin, small.account.id, "reseller-standard",
                                    S.unique("one-"))["id"])
    big = make_reseller(disti)
    execute(api, big.admin, order(api, big.admin, big.account.id, "reseller-standard",
                                  S.unique("many-"))["id"])
    for article in ("assets-pack", "data-logger", "api-seats"):
        execute(api, big.admin, order(api, big.admin, big.account.id, article)["id"])
    over = S.expect(api(big.admin).get(f"/api/v1/accounts/{big.account.id}"), 200)
    assert len(over["subscriptions"]) == 4 and len(over["licenses"]) == 5
    assert len(over["articles"]) == 4

    # The mailer's statements would count too: let it deliver the mails first.
    S.wait_outbox_settled(sql, timeout=30)

    def executed():
        row = sql.row("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")
        return int(row["Value"])

    def cost(path, who):
        session = api(who)
        S.expect(session.get(path), 200)  # warm: identity and statement caches
        deltas = []
        for _ in range(7):  # the mailer's polls add noise now and then: take the least
            before = executed()
            S.expect(session.get(path), 200)
            deltas.append(executed() - before)
        return min(deltas)

    for path_of in (lambda r: f"/api/v1/accounts/{r.account.id}", lambda r: "/api/v1/me"):
        assert cost(path_of(big), big.admin) == cost(path_of(small), small.admin)


def test_hot_reads_build_no_temporary_tables(api, disti, make_reseller, sql):
    """The overview and /me of an account with properties, recipients,
    subscriptions, articles and licenses: every list in its order, and
    MariaDB builds no internal temporary table for them (GROUP_CONCAT and
    JSON_ARRAYAGG did, on disk for long values, for every read;
    docs/performance.md)."""
    r = make_reseller(disti)
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                S.unique("tmp-"))["id"])
    for article in ("assets-pack", "data-logger", "api-seats"):
        execute(api, r.admin, order(api, r.admin, r.account.id, article)["id"])
    for key, typ in (("zeta", "text"), ("alpha", "number"), ("mid", "boolean")):
        S.expect(api("olivia").post(f"/api/v1/accounts/{disti.account.id}/property-definitions",
                                    json={"key": key, "label": key, "type": typ}), 201)
    S.expect(api("olivia").patch(f"/api/v1/accounts/{r.account.id}", json={
        "properties": {"zeta": 'a "quoted" text', "alpha": 12.5, "mid": False}}), 200)
    mails = [S.unique_mail("z-"), S.unique_mail("a-"), S.unique_mail("m-")]
    S.expect(api("olivia").put(f"/api/v1/accounts/{r.account.id}/notification-recipients",
                               json={"emails": mails}), 200)

    over = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)
    assert over["properties"] == {"zeta": 'a "quoted" text', "alpha": 12.5, "mid": False}
    assert list(over["properties"]) == ["zeta", "alpha", "mid"]  # definitions' order
    assert [n.lower() for n in over["notification_recipients"]] == [m.lower() for m in mails]
    subs = over["subscriptions"]
    assert len(subs) == 4 and [int(s["id"]) for s in subs] == sorted(
        (int(s["id"]) for s in subs), reverse=True)
    arts = [(int(a["subscription_id"]), a["article"]) for a in over["articles"]]
    assert len(arts) == 4 and arts == sorted(arts)
    features = [l["feature"] for l in over["licenses"]]
    assert len(features) == 5 and features == sorted(features)
    assert all(isinstance(l["quantity"], int) and isinstance(l["used"], int)
               for l in over["licenses"])
    me = S.expect(api(r.admin).get("/api/v1/me"), 200)
    mine = [a for a in me["accounts"] if a["id"] == r.account.id]
    assert mine and mine[0]["subscriptions"] == subs and mine[0]["licenses"] == over["licenses"]
    assert mine[0]["articles"] == over["articles"]

    S.wait_outbox_settled(sql, timeout=30)

    def tmp_tables():
        rows = sql.rows("SHOW GLOBAL STATUS WHERE Variable_name IN"
                        " ('Created_tmp_tables', 'Created_tmp_disk_tables')")
        return {row["Variable_name"]: int(row["Value"]) for row in rows}

    def count(before, after):
        return (after["Created_tmp_tables"] - before["Created_tmp_tables"],
                after["Created_tmp_disk_tables"] - before["Created_tmp_disk_tables"])

    # SHOW STATUS builds a temporary table itself: what two reads in a row count.
    own = min(count(tmp_tables(), tmp_tables())[0] for _ in range(3))
    # The overview: none; /me: one in memory, the page's ids (JSON_TABLE).
    for path, allowed in ((f"/api/v1/accounts/{r.account.id}", 0), ("/api/v1/me", 1)):
        session = api(r.admin)
        S.expect(session.get(path), 200)
        deltas = []
        for _ in range(7):  # the mailer's polls add noise now and then: take the least
            before = tmp_tables()
            for _ in range(5):
                S.expect(session.get(path), 200)
            made, disk = count(before, tmp_tables())
            deltas.append((made - own, disk))
        assert min(deltas) <= (5 * allowed, 0), (path, own, deltas)
        assert min(d for _, d in deltas) == 0, (path, deltas)


def test_the_operator_account_is_found_by_an_index(sql, make_tenant, make_account):
    """account_ancestors (src/account_store.c: every mail that names its
    actor "X of <org>", mail_actor_name) adds the operator account to the
    chain by kind. Without an index on kind that read every account: with
    the bench's 10,000 accounts ~8 ms per mail-sending write, the write
    pair's rename at a fifth of its rate (migration 070,
    docs/performance.md). MariaDB reads it by ix_accounts_kind_state and
    touches one row, not the table."""
    t = make_tenant("opx")
    for _ in range(3):
        make_account(t.admin, "customer", t.account.id)
    plan = sql.row("EXPLAIN SELECT id, name, 1, 1000 FROM accounts"
                   " WHERE kind = 'operator' AND ldap_state = 'done'")
    assert plan["key"] == "ix_accounts_kind_state" and plan["type"] == "ref", plan
    assert int(plan["rows"]) <= 2, plan


def test_billing_lists_are_paged_newest_first(api, disti, make_reseller):
    """Orders, subscriptions, invoices and quotes page by ?limit= and the
    next_cursor of the page before: newest first, every item once."""
    r = make_reseller(disti)
    who = api(r.admin)
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                S.unique("pg-"))["id"])
    for article in ("assets-pack", "data-logger", "api-seats"):
        execute(api, r.admin, order(api, r.admin, r.account.id, article)["id"])
    for _ in range(3):
        S.expect(who.post(f"/api/v1/accounts/{r.account.id}/quotes",
                          json={"lines": [{"article": "api-seats", "quantity": 1}]}), 201)
    for name, expected in (("orders", 4), ("subscriptions", 4), ("invoices", 4), ("quotes", 3)):
        path = f"/api/v1/accounts/{r.account.id}/{name}"
        whole = S.expect(who.get(path), 200)
        assert whole["next_cursor"] is None and len(whole["items"]) == expected, (name, whole)
        ids = [int(i["id"]) for i in whole["items"]]
        assert ids == sorted(ids, reverse=True), (name, ids)
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = S.expect(who.get(path, params=params), 200)
            assert len(page["items"]) <= 2
            seen += [int(i["id"]) for i in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert cursor == page["items"][-1]["id"]
        assert seen == ids and pages == (expected + 1) // 2, (name, seen, pages)
        S.expect_field_errors(who.get(path, params={"cursor": "x"}), "cursor")
        S.expect_field_errors(who.get(path, params={"limit": 0}), "limit")
        S.expect_field_errors(who.get(path, params={"sort": "id"}), "sort")


# ------------------------------------------------- billing fixes (story 002)

def test_alias_is_unique_per_storefront_host(api, disti, make_reseller, make_account,
                                             make_person, set_roles, operator_id, sql):
    """Two distributors without a host of their own share the config's
    storefront host, so their resellers cannot both have one alias (the
    URL is the same); a distributor with its own host can. A sub-reseller
    under a partner lives under its distributor's host (story 002 D1, D2)."""
    d1 = make_account("olivia", "distributor", operator_id)
    d2 = make_account("olivia", "distributor", operator_id)
    nohost = [Distributor(d, None, None, None, None) for d in (d1, d2)]
    r1, r2 = make_reseller(nohost[0]), make_reseller(nohost[1])
    alias = S.unique("url-")
    early = order(api, r2.admin, r2.account.id, "reseller-free", alias)  # before r1 has it
    done = execute(api, r1.admin, order(api, r1.admin, r1.account.id, "reseller-free", alias)["id"])
    url = done["subscription"]["storefront"]["url"]
    # The second reseller's draft and execute are refused: the URL is taken.
    S.expect_problem(order(api, r2.admin, r2.account.id, "reseller-free", alias, status=409),
                     409, "conflict")
    execute(api, r2.admin, early["id"], status=409)
    assert sql.value("SELECT COUNT(*) FROM storefronts WHERE alias=%s", alias) == 1
    # The lookups answer for the URL, whichever distributor is named.
    for d in (d1, d2):
        assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}?distributor_id={d.id}"),
                        200) == {"alias": alias, "available": False, "reason": "taken"}
        sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}?distributor_id={d.id}"), 200)
        assert sf["account_id"] == r1.account.id and sf["url"] == url
    # A distributor with its own host has other URLs: the alias is free there.
    assert S.expect(api(None).get(
        f"/api/v1/storefront-aliases/{alias}?distributor_id={disti.account.id}"), 200)[
        "available"] is True
    r3 = make_reseller(disti)
    done3 = execute(api, r3.admin, order(api, r3.admin, r3.account.id, "reseller-free", alias)["id"])
    assert done3["subscription"]["storefront"]["url"] == f"https://{disti.host}/{alias}"
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{alias}"), 409, "conflict")
    # A storefront page knows its host, not its distributor's id: ?host=
    # (any case) finds the one under that host (round-9 walkthrough of
    # seed 002, D2).
    shared = url.split("/")[2]
    for host, holder in [(shared.upper(), r1), (disti.host, r3)]:
        sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}", params={"host": host}), 200)
        assert sf["account_id"] == holder.account.id, (host, sf)
        assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}",
                                      params={"host": host}), 200)["available"] is False
    # A host nobody serves is 404 for both, never "available" (round 10,
    # D1); a host and a distributor_id of another host are 422.
    for path in (f"/api/v1/storefront-aliases/{alias}", f"/api/v1/storefronts/{alias}"):
        S.expect_problem(api(None).get(path, params={"host": "elsewhere.example"}), 404)
        S.expect_field_errors(api(None).get(path, params={"host": disti.host,
                                                          "distributor_id": d1.id}), "host")
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}-free",
                                  params={"host": disti.host}), 200)["available"] is True
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}-free",
                                  params={"host": shared, "distributor_id": d2.id}),
                    200)["available"] is True
    S.expect_field_errors(api(None).get(f"/api/v1/storefronts/{alias}",
                                        params={"host": "not a host"}), "host")
    # ... and cannot move onto the shared host while that URL is taken.
    S.expect_problem(api(disti.admin).put(f"/api/v1/accounts/{disti.account.id}/storefront-host",
                                          json={"storefront_host": ""}), 409, "conflict")
    assert S.expect(api(disti.admin).get(f"/api/v1/accounts/{disti.account.id}/storefront-host"),
                    200)["storefront_host"] == disti.host
    # A sub-reseller (a partner under reseller r3) is in disti's tree: its
    # storefront is under disti's host and its alias unique there.
    sub = make_account("olivia", "partner", r3.account.id)
    sub_admin = make_person(prefix="sub")
    set_roles("olivia", sub.id, sub_admin, ["admin"])
    S.expect_problem(order(api, sub_admin, sub.id, "reseller-free", alias, status=409), 409,
                     "conflict")
    alias2 = S.unique("subr-")
    done4 = execute(api, sub_admin, order(api, sub_admin, sub.id, "reseller-free", alias2)["id"])
    assert done4["subscription"]["storefront"]["url"] == f"https://{disti.host}/{alias2}"
    sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias2}"), 200)
    assert sf["distributor_id"] == disti.account.id and sf["account_id"] == sub.id


def test_closing_an_account_with_a_live_subscription_is_refused(api, disti, make_reseller, env,
                                                                sql):
    """Story 002 D3: a closed account refuses cancel, so an active
    subscription must be cancelled before the account closes; the
    cancellation then ends at its term end as any other."""
    r = make_reseller(disti)
    alias = S.unique("close-")
    done = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    sid = done["subscription"]["id"]
    path = f"/api/v1/accounts/{r.account.id}"
    body = S.expect_problem(api(r.admin).delete(path), 409, "conflict")
    assert "cancel" in body["detail"], body
    assert sql.value("SELECT status FROM accounts WHERE id=%s", int(r.account.id)) == "active"
    assert "account.close" not in [a["action"] for a in sql.audit(r.account.id)]
    ended = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    assert ended["status"] == "pending_cancellation"
    S.expect(api(r.admin).delete(path), 204)
    assert sql.value("SELECT status FROM accounts WHERE id=%s", int(r.account.id)) == "closed"
    # The paid term runs on; at its end maint ends it, closed account or not.
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "pending_cancellation"
    run_maint(env, later(ended["ends_at"], minutes=1))
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "cancelled"
    assert storefront_login(r.admin.uid, disti.host, alias).status_code == 403


def test_upgrade_to_an_unknown_plan_is_a_field_error(api, disti, make_reseller):
    r = make_reseller(disti)
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      S.unique("gold-"))["id"])["subscription"]["id"]
    up = f"/api/v1/subscriptions/{sid}/upgrade"
    S.expect_field_errors(api(disti.billing).post(up, json={"plan": "gold"}), "plan")
    S.expect_problem(api(disti.billing).post(up, json={"plan": "basic"}), 409, "conflict")


def test_discarded_order_shows_no_execution(api, disti, make_reseller, sql):
    r = make_reseller(disti)
    draft = order(api, r.billing, r.account.id, "reseller-free", S.unique("disc-"))
    assert draft["executed_at"] is None and draft["discarded_at"] is None
    got = S.expect(api(disti.billing).post(f"/api/v1/orders/{draft['id']}/discard"), 200)
    assert got["status"] == "discarded" and got["executed_at"] is None, got
    assert got["discarded_at"] and got["subscription_id"] is None
    assert S.expect(api(r.admin).get(f"/api/v1/orders/{draft['id']}"), 200) == got
    row = sql.row("SELECT executed_by, executed_at, discarded_by, discarded_at FROM orders"
                  " WHERE id=%s", int(draft["id"]))
    assert row["executed_by"] is None and row["executed_at"] is None
    assert row["discarded_by"] == disti.billing.uid and row["discarded_at"] is not None


def test_upgrade_invoice_covers_from_the_upgrade_to_the_term_end(api, disti, make_reseller):
    r = make_reseller(disti)
    sub = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      S.unique("per-"))["id"])["subscription"]
    got = S.expect(api(disti.billing).post(f"/api/v1/subscriptions/{sub['id']}/upgrade",
                                           json={"plan": "standard"}), 200)
    inv = got["invoice"]
    assert inv["reason"] == "upgrade" and inv["total"] == money(49000)
    assert inv["period_start"] is not None, inv
    assert sub["started_at"] <= inv["period_start"] <= inv["issued_at"] < inv["period_end"]
    assert inv["period_end"] == got["ends_at"]


def test_flat_plans_are_ordered_once(api, disti, make_reseller, make_tenant, make_account):
    """Story 002 D4: standard (and starter) are priced flat: one per
    account; a per_unit plan (professional) is sold by the seat."""
    plans = {p["code"]: p for p in S.expect(api("olivia").get("/api/v1/plans"), 200)["items"]}
    assert plans["standard"]["pricing_model"] == "flat"
    assert plans["professional"]["pricing_model"] == "per_unit"
    r = make_reseller(disti)
    for article in ("reseller-standard", "reseller-free"):
        S.expect_field_errors(api(r.admin).post(
            f"/api/v1/accounts/{r.account.id}/orders",
            json={"lines": [{"article": article, "quantity": 3}],
                  "storefront_alias": S.unique("qty-")}), "lines[0].quantity")
    t = make_tenant("flat", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    base = f"/api/v1/accounts/{cust.id}"
    S.expect_field_errors(api(t.admin).post(f"{base}/quotes", json={
        "lines": [{"article": "starter", "quantity": 2}]}), "lines[0].quantity")
    seats = S.expect(api(t.admin).post(f"{base}/orders", json={
        "lines": [{"article": "professional", "quantity": 3}]}), 201)
    assert seats["total"] == money(3 * 4900)


def test_mails_name_the_plan_and_leave_out_a_missing_storefront(
        api, disti, make_reseller, make_tenant, make_account, mailbox):
    """Story 002 D8, story 004 D8: the plan's name, not its code; no
    "Your storefront: (none)" for an account without one."""
    r = make_reseller(disti)
    alias = S.unique("name-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                      alias)["id"])["subscription"]["id"]
    mails = mailbox.wait_for(lambda m: alias in m.body, to=r.recipient, timeout=15)
    assert mails and mails[-1].subject == \
        f"{r.account.name}: your Standard Edition storefront is ready", mails
    assert ("now has Standard Edition:\r\n  1 x Reseller Standard Edition\r\n"
            in mails[-1].body), mails[-1].body
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    mails = mailbox.wait_for(lambda m: "cancelled" in (m.subject or ""), to=r.recipient,
                             timeout=15)
    assert mails and mails[-1].subject.startswith(
        f"{r.account.name}: the Standard Edition subscription is cancelled as of "), mails
    # Round 6 (seed 002): a reseller plan's end returns the account to
    # Basic and ends its storefront URL; the mail says so.
    assert (f"Then {r.account.name} returns to the Basic plan and its storefront URL stops"
            " working." in mails[-1].body.replace("\r\n", "\n")), mails[-1].body
    # A customer plan has no storefront: the line is left out.
    t = make_tenant("mailname", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    to = S.unique_mail("cust-")
    S.expect(api("olivia").put(f"/api/v1/accounts/{cust.id}/notification-recipients",
                              json={"emails": [to]}), 200)
    done = execute(api, t.admin, order(api, t.admin, cust.id, "professional")["id"])
    mails = mailbox.wait_for(lambda m: "welcome" in (m.subject or ""), to=to, timeout=15)
    assert mails and mails[-1].subject == f"{cust.name}: welcome to Professional", mails
    # Round 7: who ordered it; still no storefront line. Stop-19
    # leftover: the invoice the order wrote, its total, where to read it.
    invoice = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}/invoices"), 200)["items"][0]
    assert invoice["id"] == done["invoice"]["id"], (invoice, done)
    total = invoice["total"]["amount_minor"]
    assert total > 0, invoice
    # Round-11 leftovers of seeds 000 (D4) and 001 (O9): where to find the
    # invoice in words, no API path; a bare recipient is greeted "Hello,"
    # (D5).
    assert mails[-1].body.endswith(
        f"now has Professional:\r\n  1 x Professional plan\r\n"
        f"Ordered by {t.admin.name} of {t.account.name}.\r\n"
        f"Invoice {invoice['number']} bills {total // 100}.{total % 100:02d} EUR; anyone with a"
        f" role in the account finds it among the account's invoices.\r\n"), mails[-1].body
    assert mails[-1].body.startswith("Hello,\r\n\r\n"), mails[-1].body
    assert "/api/v1" not in mails[-1].body, mails[-1].body
    assert "storefront" not in mails[-1].body.lower() and "(none)" not in mails[-1].body


def test_quote_location_can_be_read(api, licensed, make_tenant):
    """Story 004 D3: the Location of a new quote answers 200."""
    t, cust, member = licensed
    r = api(t.admin).post(f"/api/v1/accounts/{cust.id}/quotes",
                          json={"lines": [{"article": "api-seats", "quantity": 2}]})
    q = S.expect(r, 201)
    loc = r.headers["Location"]
    assert loc == f"/api/v1/accounts/{cust.id}/quotes/{q['id']}"
    assert S.expect(api(member).get(loc), 200) == q
    S.expect_problem(api(member).get(f"/api/v1/accounts/{cust.id}/quotes/999999999"), 404,
                     "not-found")
    # Another tenant sees nothing; another account's path does not reach it.
    other = make_tenant("quote-other")
    S.expect_problem(api(other.admin).get(loc), 404)
    S.expect_problem(api(other.admin).get(f"/api/v1/accounts/{other.account.id}/quotes/{q['id']}"),
                     404, "not-found")


def test_alias_rename_is_in_the_audit_trail(api, disti, make_reseller, sql):
    """Story 002 D6: an upgrade or an order with storefront_alias renames
    the storefront; the audit row keeps the old alias."""
    r = make_reseller(disti)
    first, second = S.unique("old-"), S.unique("new-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      first)["id"])["subscription"]["id"]
    got = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                     json={"plan": "standard", "storefront_alias": second}), 200)
    assert got["storefront"]["alias"] == second
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{first}"), 404)
    row = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.upgrade"][-1]
    old, new = row["old_value"], row["new_value"]
    assert old["storefront_alias"] == first and new["storefront_alias"] == second, row
    # Through an order (customer side: a kept storefront and a new alias).
    r2 = make_reseller(disti)
    a1, a2 = S.unique("ord-"), S.unique("ren-")
    execute(api, r2.admin, order(api, r2.admin, r2.account.id, "reseller-free", a1)["id"])
    done = execute(api, r2.admin, order(api, r2.admin, r2.account.id, "reseller-standard",
                                        a2)["id"])
    assert done["subscription"]["storefront"]["alias"] == a2
    row = [a for a in sql.audit(r2.account.id) if a["action"] == "order.execute"][-1]
    old, new = row["old_value"], row["new_value"]
    assert old["storefront_alias"] == a1 and new["storefront_alias"] == a2, row


def ending_rows(sql, account_id, after):
    return [r for r in S.wait_outbox_settled(sql, account_id=account_id, after_id=after)
            if r["template"] == "subscription-ending"]


def test_a_term_ending_soon_is_mailed_once_per_term_end(api, disti, make_reseller, env, sql,
                                                         mailbox):
    """Inflectra: transactional mail when "one of the subscriptions is
    expiring soon". `accountd maint` mails the named contacts and the
    recipients subscription_notice_days (14) before the term ends, once
    per term end; a renewal's new end gets its own notice."""
    r = make_reseller(disti)
    done = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                       S.unique("end-"))["id"])
    sid, ends = done["subscription"]["id"], done["subscription"]["ends_at"]
    to = sorted([r.admin.mail.lower(), r.recipient.lower()])
    before = S.outbox_max_id(sql)
    run_maint(env, later(ends, days=-20))          # not yet within 14 days
    assert ending_rows(sql, r.account.id, before) == []
    out = run_maint(env, later(ends, days=-10))
    assert f"mailed the ending notice of subscription {sid}" in out, out
    rows = ending_rows(sql, r.account.id, before)
    assert sorted(x["recipient"].lower() for x in rows) == to, rows
    assert all(x["category"] == "transactional" for x in rows), rows
    mails = mailbox.wait_for(outbox_ids={x["id"] for x in rows}, count=len(rows))
    assert all(ends in m.subject and "renew it" in m.body for m in mails), mails
    # Once per term end: neither a later run nor a cancellation repeats it.
    before = S.outbox_max_id(sql)
    run_maint(env, later(ends, days=-9))
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    run_maint(env, later(ends, days=-5))
    assert ending_rows(sql, r.account.id, before) == []
    # Renewed: the new end gets its own notice.
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    new_ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/renew"), 200)["ends_at"]
    assert new_ends != ends
    before = S.outbox_max_id(sql)
    run_maint(env, later(new_ends, days=-3))
    rows = ending_rows(sql, r.account.id, before)
    assert sorted(x["recipient"].lower() for x in rows) == to, rows
    stored = sql.value("SELECT ending_notice_for FROM subscriptions WHERE id=%s", int(sid))
    assert stored.strftime("%Y-%m-%dT%H:%M:%SZ") == new_ends


# ------------------------------------------- round 2 (seeds 002 and 004)

def order_row(sql, order_id):
    return sql.row("SELECT status, storefront_alias FROM orders WHERE id=%s", int(order_id))


def test_execute_gives_a_saved_draft_its_storefront_alias(api, disti, make_reseller, make_tenant,
                                                         make_account, sql):
    """Seed 002, BSS: "After saving the order ... The Storefront Alias must
    be specified here before the order is executed" (round 2, 002 D1):
    execute takes {storefront_alias}, checked as on the draft, set on the
    order in execute's transaction; a refusal leaves the draft as it was."""
    r = make_reseller(disti)
    draft = order(api, disti.admin, r.account.id, "reseller-free")
    assert draft["storefront_alias"] is None
    path = f"/api/v1/orders/{draft['id']}/execute"
    # Without one: 409, and the message says where to give it.
    body = execute(api, disti.admin, draft["id"], status=409)
    assert "storefront_alias" in body["detail"] and "execute" in body["detail"], body
    # Malformed or reserved: 422, as on the draft; other fields: 422.
    for bad in ("Bad_Alias", "ab", "api", "-r002"):
        S.expect_field_errors(api(disti.admin).post(path, json={"storefront_alias": bad}),
                              "storefront_alias")
    S.expect_field_errors(api(disti.admin).post(path, json={"alias": S.unique("x-")}), "alias")
    # The URL of another reseller's storefront: 409, nothing changes.
    other = make_reseller(disti)
    taken = S.unique("taken-")
    execute(api, other.admin, order(api, other.admin, other.account.id, "reseller-free",
                                    taken)["id"])
    S.expect_problem(api(disti.admin).post(path, json={"storefront_alias": taken}), 409,
                     "conflict")
    assert order_row(sql, draft["id"]) == {"status": "draft", "storefront_alias": None}
    assert sql.value("SELECT COUNT(*) FROM storefronts WHERE account_id=%s",
                     int(r.account.id)) == 0
    assert "order.alias" not in [a["action"] for a in sql.audit(r.account.id)]
    # With a free alias and an Idempotency-Key: executed with it.
    alias = S.unique("pencil-")
    k = S.unique("exec-key-")
    first = api(disti.admin).post(path, json={"storefront_alias": alias},
                                  headers={"Idempotency-Key": k})
    done = S.expect(first, 200)
    assert done["order"]["status"] == "executed"
    assert done["order"]["storefront_alias"] == alias
    assert done["subscription"]["storefront"] == {
        "alias": alias, "url": f"https://{disti.host}/{alias}", "status": "active"}
    assert order_row(sql, draft["id"]) == {"status": "executed", "storefront_alias": alias}
    assert sql.value("SELECT alias FROM storefronts WHERE account_id=%s",
                     int(r.account.id)) == alias
    audit = sql.audit(r.account.id)
    set_alias = [a for a in audit if a["action"] == "order.alias"]
    assert len(set_alias) == 1 and set_alias[0]["uid"] == disti.admin.uid
    assert set_alias[0]["old_value"] == {"order_id": int(draft["id"]), "storefront_alias": None}
    assert set_alias[0]["new_value"] == {"order_id": int(draft["id"]), "storefront_alias": alias}
    ex = [a for a in audit if a["action"] == "order.execute"][-1]
    assert ex["new_value"]["storefront_alias"] == alias
    assert ex["id"] > set_alias[0]["id"]
    # The same key and body: the first answer again; another body: 422.
    again = api(disti.admin).post(path, json={"storefront_alias": alias},
                                  headers={"Idempotency-Key": k})
    assert S.expect(again, 200) == done
    assert again.headers.get("Idempotent-Replayed") == "true", S.describe(again)
    S.expect_field_errors(api(disti.admin).post(path, json={"storefront_alias": S.unique("o-")},
                                                headers={"Idempotency-Key": k}),
                          "Idempotency-Key")
    # Executed once: without the key a second execute is 409, with or
    # without an alias, and the order keeps its alias.
    S.expect_problem(api(disti.admin).post(path, json={"storefront_alias": S.unique("l-")}), 409,
                     "conflict")
    assert order_row(sql, draft["id"]) == {"status": "executed", "storefront_alias": alias}
    assert sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s",
                     int(r.account.id)) == 1
    # As a form field, replacing the alias the draft had.
    r2 = make_reseller(disti)
    old_alias, new_alias = S.unique("old-"), S.unique("new-")
    d2 = order(api, r2.admin, r2.account.id, "reseller-standard", old_alias)
    resp = api(r2.admin).form("POST", f"/api/v1/orders/{d2['id']}/execute",
                              [("storefront_alias", new_alias)])
    assert S.expect(resp, 200)["subscription"]["storefront"]["alias"] == new_alias
    assert order_row(sql, d2["id"]) == {"status": "executed", "storefront_alias": new_alias}
    row = [a for a in sql.audit(r2.account.id) if a["action"] == "order.alias"][-1]
    assert row["old_value"]["storefront_alias"] == old_alias
    assert row["new_value"]["storefront_alias"] == new_alias
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{old_alias}"),
                    200)["available"] is True
    # Only an order for a plan with a storefront takes one (422).
    t = make_tenant("alias", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    d3 = order(api, t.admin, cust.id, "starter")
    S.expect_field_errors(api(t.admin).post(f"/api/v1/orders/{d3['id']}/execute",
                                            json={"storefront_alias": S.unique("c-")}),
                          "storefront_alias")
    assert order_row(sql, d3["id"]) == {"status": "draft", "storefront_alias": None}


def test_quote_lines_are_checked_as_order_lines(api, disti, make_reseller, make_tenant,
                                                make_account, sql):
    """Round 2, 004 D1: a customer could get a quote for a reseller plan it
    can never order. Quotes and orders read their lines with one reader."""
    t = make_tenant("quote", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    lines = {"lines": [{"article": "reseller-standard", "quantity": 1}]}
    reseller_plan = "is a reseller plan; only a reseller (partner) account can have it"
    for what in ("quotes", "orders"):
        errors = S.expect_field_errors(api(t.admin).post(
            f"/api/v1/accounts/{cust.id}/{what}", json=lines), "lines[0].article")
        assert errors["lines[0].article"] == reseller_plan, (what, errors)
    r = make_reseller(disti)
    starter = {"lines": [{"article": "assets-pack", "quantity": 1},
                         {"article": "starter", "quantity": 1}]}
    for what in ("quotes", "orders"):
        errors = S.expect_field_errors(api(r.admin).post(
            f"/api/v1/accounts/{r.account.id}/{what}", json=starter), "lines[1].article")
        assert errors["lines[1].article"] == (
            "is a customer plan; only a customer account can have it"), (what, errors)
    for acc in (cust.id, r.account.id):
        assert sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(acc)) == 0
        assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(acc)) == 0
    # A plan that fits is quoted.
    q = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/quotes",
                                   json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    assert q["total"] == money(1900)


MUST_BE_1 = "must be 1: this plan has one price per account (pricing_model flat or free)"
ONE_PLAN = "an order holds at most one plan"
TWICE = "is already on another line"


@pytest.mark.parametrize("what", ["orders", "quotes"])
def test_the_first_answer_names_the_cross_line_mistakes_too(api, make_tenant, make_account, sql,
                                                            what):
    """Round-11 leftover of seed 004 (D2): "at most one plan" and "each
    article once" were checked only among lines without another mistake,
    so fixing a quantity revealed the next error. They are checked over
    every line whose article the catalog knows: a line may carry its own
    error on one key and the cross-line one on lines[N].article."""
    t = make_tenant("xline", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    path = f"/api/v1/accounts/{cust.id}/{what}"
    cases = [
        # the seed's report: a wrong quantity on the first plan hid the second plan
        ([("starter", 2), ("professional", 1)],
         {"lines[0].quantity": MUST_BE_1, "lines[1].article": ONE_PLAN}),
        # ... and a wrong quantity on the first line hid the repeated article
        ([("data-logger", 0), ("data-logger", 1)],
         {"lines[0].quantity": "must be a whole number from 1 to 100000",
          "lines[1].article": TWICE}),
        # one line with its own mistake and the cross-line one
        ([("data-logger", 1), ("data-logger", 0)],
         {"lines[1].quantity": "must be a whole number from 1 to 100000",
          "lines[1].article": TWICE}),
        ([("starter", 1), ("enterprise", 0)],
         {"lines[1].quantity": "must be a whole number from 1 to 100000",
          "lines[1].article": ONE_PLAN}),
        # a plan that does not fit the account is still the order's plan
        ([("reseller-free", 1), ("starter", 1)],
         {"lines[0].article": "is a reseller plan; only a reseller (partner) account can have it",
          "lines[1].article": ONE_PLAN}),
        # an unknown article is no article: nothing to repeat
        ([("nope", 1), ("nope", 1), ("assets-pack", 1)],
         {"lines[0].article": "no such article in the catalog",
          "lines[1].article": "no such article in the catalog"}),
    ]
    for lines, want in cases:
        body = {"lines": [{"article": a, "quantity": q} for a, q in lines]}
        errors = S.expect_field_errors(api(t.admin).post(path, json=body))
        assert errors == want, (lines, errors)
    # A form's lines alike.
    r = api(t.admin).form("POST", path, [
        ("lines[0][article]", "starter"), ("lines[0][quantity]", "3"),
        ("lines[1][article]", "starter"), ("lines[1][quantity]", "1")])
    assert S.expect_field_errors(r) == {"lines[0].quantity": MUST_BE_1,
                                        "lines[1].article": TWICE}
    table = "orders" if what == "orders" else "quotes"
    assert sql.value(f"SELECT COUNT(*) FROM {table} WHERE account_id=%s", int(cust.id)) == 0
    # Right lines still make one.
    S.expect(api(t.admin).post(path, json={"lines": [{"article": "starter", "quantity": 1},
                                                     {"article": "data-logger", "quantity": 2}]}),
             201)


def test_billing_audit_rows_show_times_as_rfc3339(api, make_tenant, make_account, env, sql):
    """Round 2, 004 D4: every time in the API is RFC 3339, audit rows
    included (subscription.renew had MariaDB's "2027-01-30 06:41:28.598688");
    an account without a plan is null in order.execute, not ""."""
    t = make_tenant("rfc", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    done = execute(api, t.admin, order(api, t.admin, cust.id, "starter")["id"])
    sid, ends = done["subscription"]["id"], done["subscription"]["ends_at"]
    ex = [a for a in sql.audit(cust.id) if a["action"] == "order.execute"][-1]
    assert ex["old_value"]["plan"] is None and ex["new_value"]["plan"] == "starter", ex
    renewed = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    row = [a for a in sql.audit(cust.id) if a["action"] == "subscription.renew"][-1]
    assert row["old_value"]["ends_at"] == ends, row
    assert row["new_value"]["ends_at"] == renewed["ends_at"] != ends, row
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                               json={"plan": "professional"}), 200)
    # An add-on subscription (no plan) and the plan's, cancelled and ended.
    addon = execute(api, t.admin, order(api, t.admin, cust.id, "assets-pack")["id"])
    aid = addon["subscription"]["id"]
    last_end = None
    for s in (sid, aid):
        last_end = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{s}/cancel"),
                            200)["ends_at"]
        assert last_end
    plan_end = S.expect(api(t.admin).get(f"/api/v1/subscriptions/{sid}"), 200)["ends_at"]
    run_maint(env, later(max(plan_end, last_end), seconds=1))
    ended = {a["old_value"]["subscription_id"]: a for a in sql.audit(cust.id)
             if a["action"] == "subscription.end"}
    assert ended[int(sid)]["new_value"]["ended_at"] == plan_end
    assert ended[int(sid)]["old_value"]["plan"] == "professional"
    assert ended[int(aid)]["old_value"]["plan"] is None
    assert ended[int(aid)]["new_value"]["ended_at"] == last_end
    # No value of any row looks like MariaDB's DATETIME.
    stamp = re.compile(r"^\d{4}-\d\d-\d\d")
    rfc = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    for a in sql.audit(cust.id):
        for v in (a["old_value"] or {}, a["new_value"] or {}):
            for key, val in v.items():
                if isinstance(val, str) and stamp.match(val):
                    assert rfc.match(val), (a["action"], key, val)
                assert val != "", (a["action"], key)


# ------------------------------------------- round-3 walkthrough of seed 002

def raw_page(uid, host, path):
    """GET path exactly as written (no client normalises it: "//", "/./",
    "%74") through nginx's storefront server; the status code."""
    import base64
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(S.URL)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        token = base64.b64encode(f"{uid}:{S.PASSWORDS[uid]}".encode()).decode()
        c.request("GET", path, headers={"Host": host, "Authorization": f"Basic {token}"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def spellings(alias):
    """Every way of writing /<alias>/ that nginx serves as that page (the
    report's list, 002 D1)."""
    encoded = "%" + format(ord(alias[0]), "02x") + alias[1:]
    return [f"/{alias}/", f"//{alias}/", f"/{encoded}/", f"/./{alias}/", f"/x/../{alias}/",
            f"/{alias}%2F", f"/{alias.upper()}/", f"/{alias.upper()}/login",
            f"/%2e/{alias}/portal", f"/{encoded.upper()}/x/../login?next=/"]


def test_cancelled_storefront_refuses_every_spelling_of_its_pages(
        api, disti, make_reseller, make_account, make_person, set_roles, operator_id, env):
    """Round-3 walkthrough of seed 002, D1: the alias is taken from the path
    nginx serves (decoded, normalised, case ignored), not the raw URI; a
    host with a port matches nginx's $host (which has none)."""
    r = make_reseller(disti)
    alias = S.unique("cx")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                       alias)["id"])["subscription"]["id"]
    # A distributor whose own host has a port, and its reseller.
    d2 = make_account("olivia", "distributor", operator_id)
    d2_admin = make_person(prefix="dp")
    set_roles("olivia", d2.id, d2_admin, ["admin"])
    name = f"{S.unique('port-')}.storefront.test"
    S.expect(api(d2_admin).put(f"/api/v1/accounts/{d2.id}/storefront-host",
                               json={"storefront_host": f"{name}:8443"}), 200)
    r2 = make_reseller(Distributor(d2, d2_admin, None, None, f"{name}:8443"))
    alias2 = S.unique("px")
    sid2 = execute(api, r2.admin, order(api, r2.admin, r2.account.id, "reseller-free",
                                         alias2)["id"])["subscription"]["id"]
    # An active storefront next to them keeps letting people in.
    live = make_reseller(disti)
    live_alias = S.unique("lv")
    execute(api, live.admin, order(api, live.admin, live.account.id, "reseller-free",
                                   live_alias)["id"])
    ends = [S.expect(api(who).post(f"/api/v1/subscriptions/{s}/cancel"), 200)["ends_at"]
            for who, s in ((r.admin, sid), (r2.admin, sid2))]
    for p in spellings(alias):
        assert raw_page(r.admin.uid, disti.host, p) == 200, p  # pending: still in
    run_maint(env, later(max(ends), seconds=1))
    for p in spellings(alias):
        assert raw_page(r.admin.uid, disti.host, p) == 403, p
        assert raw_page(disti.admin.uid, disti.host, p) == 403, p
        # Also when the check is asked directly with that URI.
        S.expect_problem(storefront_login(r.admin.uid, disti.host, "", p[1:] if p.startswith(
            "/") else p), 403, "forbidden")
    for p in spellings(alias2):
        assert raw_page(r2.admin.uid, f"{name}:8443", p) == 403, p
        assert raw_page(r2.admin.uid, name, p) == 403, p
    for p in spellings(live_alias):
        assert raw_page(live.admin.uid, disti.host, p) == 200, p
    # Paths that are no alias of a cancelled storefront are not refused.
    for p in (f"/{alias}x/", f"/x/{alias}/", f"/{alias}/../other/", "/"):
        assert raw_page(r.admin.uid, disti.host, p) == 200, p


def test_a_storefront_host_belongs_to_one_distributor(api, disti, make_account, make_person,
                                                      set_roles, operator_id, make_reseller,
                                                      sql):
    """Round-3 walkthrough of seed 002, D2: another distributor's host (its
    name, whatever the port) is 409; the default host stays shared."""
    other = make_account("olivia", "distributor", operator_id)
    admin = make_person(prefix="dx")
    set_roles("olivia", other.id, admin, ["admin"])
    path = f"/api/v1/accounts/{other.id}/storefront-host"
    for taken in (disti.host, f"{disti.host}:8443"):
        body = S.expect_problem(api(admin).put(path, json={"storefront_host": taken}), 409,
                                "conflict")
        assert "another distributor" in body["detail"], body
    assert S.expect(api(admin).get(path), 200)["storefront_host"] is None
    assert "storefront.host" not in [a["action"] for a in sql.audit(other.id)]
    # As a form too: 409 at error_to's place.
    r = api(admin).form("POST", path, [("_method", "PUT"), ("storefront_host", disti.host)])
    S.expect_problem(r, 409, "conflict")
    # Its resellers cannot squat aliases on disti's host.
    assert sql.value("SELECT storefront_host FROM accounts WHERE id=%s", int(other.id)) is None
    # The owner may set its own host again; once it moves away, it is free.
    S.expect(api(disti.admin).put(f"/api/v1/accounts/{disti.account.id}/storefront-host",
                                  json={"storefront_host": disti.host}), 200)
    moved = f"{S.unique('moved-')}.storefront.test"
    S.expect(api(disti.admin).put(f"/api/v1/accounts/{disti.account.id}/storefront-host",
                                  json={"storefront_host": moved}), 200)
    assert S.expect(api(admin).put(path, json={"storefront_host": disti.host}), 200)[
        "storefront_host"] == disti.host
    # Any number of distributors share the default host ("" or null).
    S.expect(api(admin).put(path, json={"storefront_host": ""}), 200)
    assert sql.value("SELECT COUNT(*) FROM accounts WHERE kind='distributor' AND "
                     "storefront_host IS NULL") >= 2


def test_the_sites_own_host_is_no_storefront_host(api, make_account, make_person, set_roles,
                                                  operator_id, make_tenant, sql):
    """Round-26 walkthrough of seed 002, D1: a distributor took the site's
    own host (localhost, 127.0.0.1, 127.0.0.1:8080) as its storefront host,
    and a reseller's alias then put the site's pages behind the storefront
    gate. The hosts of invitation_url, password_reset_url, preferences_url
    and allowed_origins are 422, by name (port, case, trailing dot
    ignored); nothing written, no audit row."""
    acc = make_account("olivia", "distributor", operator_id)
    admin, sp = make_person(prefix="sh"), make_person(prefix="shs")
    set_roles("olivia", acc.id, admin, ["admin"])
    set_roles("olivia", acc.id, sp, ["service-provider"])
    path = f"/api/v1/accounts/{acc.id}/storefront-host"
    port = S.URL.rsplit(":", 1)[1]
    for host in ("localhost", "127.0.0.1", "127.0.0.1:8080", f"127.0.0.1:{port}",
                 f"localhost:{port}", "LOCALHOST", "LocalHost:9", " 127.0.0.1 "):
        for who in (admin, "olivia"):
            errors = S.expect_field_errors(api(who).put(path, json={"storefront_host": host}),
                                           "storefront_host")
            assert "is the host of this site" in json.dumps(errors), (host, errors)
    for host in ("localhost.", "127.0.0.1.:8080"):  # a trailing dot: 422 as before
        S.expect_field_errors(api(admin).put(path, json={"storefront_host": host}),
                              "storefront_host")
    # The configured default is still refused as before.
    default = S.expect(api(admin).get(path), 200)["effective"]
    errors = S.expect_field_errors(api(admin).put(path, json={"storefront_host": default}),
                                   "storefront_host")
    assert "is the default storefront host" in json.dumps(errors), errors
    assert sql.value("SELECT storefront_host FROM accounts WHERE id=%s", int(acc.id)) is None
    assert "storefront.host" not in [a["action"] for a in sql.audit(acc.id)]
    # As a form too: error_to's place, nothing written.
    r = api(admin).form("POST", path, [("_method", "PUT"), ("storefront_host", "localhost")])
    S.expect_field_errors(r, "storefront_host")
    assert sql.value("SELECT storefront_host FROM accounts WHERE id=%s", int(acc.id)) is None
    # Who may and may not: a proper host is still 200 for the admin; the
    # service provider and another tenant's admin are refused.
    host = f"{S.unique('own-')}.storefront.test"
    S.expect_problem(api(sp).put(path, json={"storefront_host": host}), 403)
    t = make_tenant("sh")
    r = api(t.admin).put(path, json={"storefront_host": host})
    assert r.status_code in (403, 404), S.describe(r)
    assert S.expect(api(admin).put(path, json={"storefront_host": host}), 200) == {
        "storefront_host": host, "effective": host}
    assert [a["action"] for a in sql.audit(acc.id)].count("storefront.host") == 1


def test_a_distributor_holding_the_sites_host_gates_none_of_its_pages(api, disti, make_reseller,
                                                                      make_person, sql):
    """Round-26 walkthrough of seed 002, D1, existing data: a distributor
    that took the site's host before it was refused keeps it, but the gate
    ignores it, so a reseller's alias `protected` shuts nobody out of the
    site's /protected/ pages."""
    port = S.URL.rsplit(":", 1)[1]
    site = f"127.0.0.1:{port}"
    sql.rows("UPDATE accounts SET storefront_host=%s WHERE id=%s", site, int(disti.account.id))
    r = make_reseller(disti)
    try:
        done = execute(api, disti.admin,
                       order(api, disti.admin, r.account.id, "reseller-free", "protected")["id"])
        assert done["subscription"]["storefront"]["url"] == f"https://{site}/protected"
        other = make_person(prefix="shx")  # a person of no tenant of disti's
        page = api(other).get("/protected/example.txt")
        assert page.status_code == 200, S.describe(page)
        assert page.text == "signed in\n"
        assert storefront_login(other.uid, "127.0.0.1", "protected").status_code == 200
    finally:
        sql.rows("UPDATE storefronts SET alias=%s WHERE account_id=%s", S.unique("gone-"),
                 int(r.account.id))
        sql.rows("UPDATE accounts SET storefront_host=NULL WHERE id=%s", int(disti.account.id))


def test_a_trailing_dot_in_the_host_is_no_way_round_the_storefront_gate(api, disti,
                                                                       make_reseller,
                                                                       make_person):
    """Review of round 26 (seed 002, D1's host change): `Host: shop.example.`
    (a trailing dot, any case) is the host nginx serves as shop.example; the
    gate compared it as written and found no storefront there, so anyone
    signed in at a reseller's alias page. The host is read once, as
    config_is_site_host reads it: port, case and a trailing dot ignored."""
    r = make_reseller(disti)
    alias = S.unique("dot-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    outsider = make_person(prefix="dtx")  # a person of no tenant of disti's
    for host in (disti.host, disti.host + ".", disti.host.upper() + ".",
                 disti.host.upper() + ".:8080"):
        S.expect_problem(storefront_login(outsider.uid, host, alias), 403, "forbidden")
        resp = storefront_login(r.admin.uid, host, alias)
        assert resp.status_code == 200, (host, S.describe(resp))


SHOP_PAGES = ("basket", "products", "product", "plans", "plan", "orders", "order",
              "subscriptions", "invoices", "customers", "catalog", "quotes", "reseller-plans",
              "pricing", "notifications", "setup", "bss", "support", "help")


def reload_accountd(env):
    """SIGHUP through ./dev reload: accountd reads its configuration and
    the shop page names storefronts hold again (storefront_shop_pages_read)."""
    p = subprocess.run([env["ACCOUNTD_DEV"], "reload", env["ACCOUNTD_STATE"]],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_reseller_alias_cannot_take_a_page_of_its_distributors_storefront(
        api, disti, make_reseller, make_tenant, make_person, sql, env):
    """Round-26 walkthrough of seed 002, D2: a reseller's alias took the
    seed's `basket` (or `products`, `plans`, ...) on its distributor's host
    and shut the other resellers out of that page. Such page names are
    reserved: the lookup says "reserved", orders, execute and upgrade are
    422; a storefront that already has one keeps working."""
    for name in SHOP_PAGES:
        assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{name.upper()}?host="
                                      f"{disti.host}"), 200) == {
            "alias": name, "available": False, "reason": "reserved"}, name
    r = make_reseller(disti)
    orders_before = sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(r.account.id))
    for who in (r.admin, disti.admin, "olivia"):
        for name in ("basket", "Products", " plans "):
            errors = S.expect_field_errors(order(api, who, r.account.id, "reseller-free", name,
                                                 status=422), "storefront_alias")
            assert "reserved" in errors["storefront_alias"], errors
    assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s",
                     int(r.account.id)) == orders_before
    # Another tenant's admin cannot order for the reseller at all.
    t = make_tenant("sp")
    refused = order(api, t.admin, r.account.id, "reseller-free", S.unique("x-"), status=403)
    assert refused.status_code in (403, 404), S.describe(refused)
    # Execute's alias and upgrade's rename: the same 422, nothing changed.
    draft = order(api, r.admin, r.account.id, "reseller-free")
    S.expect_field_errors(api(r.admin).post(f"/api/v1/orders/{draft['id']}/execute",
                                            json={"storefront_alias": "basket"}),
                          "storefront_alias")
    alias = S.unique("own-")
    S.expect(api(r.admin).post(f"/api/v1/orders/{draft['id']}/discard"), 200)
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      alias)["id"])["subscription"]["id"]
    S.expect_field_errors(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                                json={"plan": "standard",
                                                      "storefront_alias": "basket"}),
                          "storefront_alias")
    assert sql.value("SELECT alias FROM storefronts WHERE account_id=%s", int(r.account.id)) == alias
    # A storefront that had such a name before keeps it: found, and gated.
    # Set by SQL after accountd started: the reload reads the held shop page
    # names again, as a start-up would have found it.
    sql.rows("UPDATE storefronts SET alias='basket' WHERE account_id=%s", int(r.account.id))
    reload_accountd(env)
    try:
        sf = S.expect(api(None).get(f"/api/v1/storefronts/basket?host={disti.host}"), 200)
        assert sf["account_id"] == r.account.id and sf["url"] == f"https://{disti.host}/basket"
        assert storefront_login(r.admin.uid, disti.host, "basket").status_code == 200
        outsider = make_person(prefix="spx")
        S.expect_problem(storefront_login(outsider.uid, disti.host, "basket"), 403)
        # The site's fixed names stay no storefront at all.
        S.expect_problem(api(None).get(f"/api/v1/storefronts/api?host={disti.host}"), 404)
    finally:
        sql.rows("UPDATE storefronts SET alias=%s WHERE account_id=%s", alias, int(r.account.id))


def test_a_shop_page_no_storefront_holds_reads_nothing_at_the_gate(api, disti, make_reseller,
                                                                  make_person, sql):
    """Review of the storefront gate (hot path): a shop page name no
    storefront holds (/products/, /search/, ... the busiest pages of a
    storefront host) is no alias at GET /auth: 200 for a person of another
    tenant, and no SQL statement more than a page of the site's own names
    (/api/...). The held names are read once at start-up (and at a
    reload)."""
    assert sql.value("SELECT COUNT(*) FROM storefronts WHERE alias IN ('products', 'search')") == 0
    r = make_reseller(disti)
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                S.unique("hot-"))["id"])
    outsider = make_person(prefix="hpx")  # a person of no tenant of disti's
    for name in ("products", "search"):
        resp = storefront_login(outsider.uid, disti.host, name)
        assert resp.status_code == 200, (name, S.describe(resp))
    # The mailer's statements would count too: let it deliver the mails first.
    S.wait_outbox_settled(sql, timeout=30)

    def executed():
        return int(sql.row("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")["Value"])

    def cost(name):
        deltas = []
        for _ in range(7):  # the mailer's polls add noise now and then: take the least
            before = executed()
            assert storefront_login(outsider.uid, disti.host, name).status_code == 200
            deltas.append(executed() - before)
        return min(deltas)

    baseline = cost("api")
    for name in ("products", "search"):
        assert cost(name) == baseline, name


def test_a_storefront_keeps_its_shop_page_alias_through_an_upgrade(api, disti, make_reseller,
                                                                   sql):
    """Review of round 26 (seed 002, D2): a storefront that had a shop page
    name before it was reserved keeps it, also when its upgrade (or an
    order's execute) sends it: 200, not 422 "is reserved". Another account
    asking for it is still 422."""
    r = make_reseller(disti)
    alias = S.unique("keep-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      alias)["id"])["subscription"]["id"]
    sql.rows("UPDATE storefronts SET alias='basket' WHERE account_id=%s", int(r.account.id))
    other = make_reseller(disti)
    try:
        up = S.expect(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                            json={"plan": "standard",
                                                  "storefront_alias": "Basket"}), 200)
        assert up["storefront"]["alias"] == "basket", up
        assert sql.value("SELECT alias FROM storefronts WHERE account_id=%s",
                         int(r.account.id)) == "basket"
        errors = S.expect_field_errors(order(api, other.admin, other.account.id,
                                             "reseller-free", "basket", status=422),
                                       "storefront_alias")
        assert "reserved" in errors["storefront_alias"], errors
        draft = order(api, other.admin, other.account.id, "reseller-free")
        errors = S.expect_field_errors(api(other.admin).post(
            f"/api/v1/orders/{draft['id']}/execute", json={"storefront_alias": "basket"}),
            "storefront_alias")
        assert "reserved" in errors["storefront_alias"], errors
    finally:
        sql.rows("UPDATE storefronts SET alias=%s WHERE account_id=%s", alias, int(r.account.id))


def test_quotes_refuse_the_same_plan_and_downgrades(api, disti, make_reseller, sql):
    """Round-3 walkthrough of seed 002, D3: a quote line for a plan the
    account cannot move to is 409, as the order; nothing is written."""
    r = make_reseller(disti)
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                S.unique("q"))["id"])
    for article in ("reseller-free", "reseller-standard"):
        lines = {"lines": [{"article": article, "quantity": 1}]}
        for what in ("orders", "quotes"):
            S.expect_problem(api(disti.admin).post(f"/api/v1/accounts/{r.account.id}/{what}",
                                                   json=lines), 409, "conflict")
    assert sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(r.account.id)) == 0
    assert "quote.request" not in [a["action"] for a in sql.audit(r.account.id)]
    # An upgrade and add-ons are quoted.
    basic = make_reseller(disti)
    S.expect(api(basic.admin).post(f"/api/v1/accounts/{basic.account.id}/quotes", json={
        "lines": [{"article": "reseller-free", "quantity": 1}]}), 201)


def test_alias_lookup_resolves_the_distributor_as_the_order_does(api, disti, make_reseller,
                                                                 make_account, make_person,
                                                                 set_roles):
    """Round-3 walkthrough of seed 002, D4: ?distributor_id= of a reseller
    (or of an account under it) means its nearest distributor; an id that
    is no account, or has no distributor above it, is 404."""
    r = make_reseller(disti)
    alias = S.unique("lk")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    sub = make_account("olivia", "partner", r.account.id)
    cust = make_account("olivia", "customer", r.account.id)
    for did in (disti.account.id, r.account.id, sub.id, cust.id):
        got = S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}?distributor_id={did}"),
                       200)
        assert got == {"alias": alias, "available": False, "reason": "taken"}, (did, got)
        sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}?distributor_id={did}"), 200)
        assert sf["account_id"] == r.account.id and sf["distributor_id"] == disti.account.id
    # The order of the sub-reseller agrees.
    sub_admin = make_person(prefix="sa")
    set_roles("olivia", sub.id, sub_admin, ["admin"])
    S.expect_problem(order(api, sub_admin, sub.id, "reseller-free", alias, status=409), 409)
    for did in ("999999999", "1" + "0" * 15):
        S.expect_problem(api(None).get(f"/api/v1/storefront-aliases/{alias}?distributor_id={did}"),
                         404, "not-found")
        S.expect_problem(api(None).get(f"/api/v1/storefronts/{alias}?distributor_id={did}"),
                         404, "not-found")
    S.expect_field_errors(api(None).get(f"/api/v1/storefront-aliases/{alias}?distributor_id=x"),
                          "distributor_id")


def test_ended_subscriptions_show_their_own_storefront(api, disti, make_reseller, env):
    """Round-3 walkthrough of seed 002, D5: an ended (term end) or replaced
    subscription shows the alias its storefront had, cancelled, not the
    account's live storefront."""
    r = make_reseller(disti)
    a1, a2, a3 = S.unique("e1"), S.unique("e2"), S.unique("e3")
    first = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                        a1)["id"])["subscription"]["id"]
    # Replaced by an order that renames the storefront.
    second = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                         a2)["id"])["subscription"]["id"]
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{first}"), 200)
    assert got["status"] == "cancelled"
    # Why it ended (round-9 walkthrough of seed 002, D3): replaced.
    assert got["ended_reason"] == "replaced" and got["ended_at"], got
    # Nobody cancelled it: uncancel says what became of it (round-12
    # walkthrough of seed 002, D4).
    p = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{first}/uncancel"), 409)
    assert p["detail"] == ("this subscription was replaced by an order of another plan; there is "
                           "no cancellation to withdraw"), p
    assert got["storefront"] == {"alias": a1, "url": f"https://{disti.host}/{a1}",
                                 "status": "cancelled"}, got
    assert S.expect(api(r.admin).get(f"/api/v1/subscriptions/{second}"), 200)["storefront"] == {
        "alias": a2, "url": f"https://{disti.host}/{a2}", "status": "active"}
    # Ended at its term end, then the account comes back with a new alias.
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{second}/cancel"), 200)["ends_at"]
    run_maint(env, later(ends, seconds=1))
    p = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{second}/uncancel"), 409)
    assert p["detail"] == "the cancellation has taken effect; order a new subscription", p
    third = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                        a3)["id"])["subscription"]["id"]
    items = {s["id"]: s for s in S.expect(
        api(r.admin).get(f"/api/v1/accounts/{r.account.id}/subscriptions"), 200)["items"]}
    assert items[second]["storefront"] == {"alias": a2, "url": f"https://{disti.host}/{a2}",
                                           "status": "cancelled"}, items[second]
    assert items[second]["ended_reason"] == "cancelled", items[second]
    assert items[third]["ended_reason"] is None and items[third]["ended_at"] is None
    assert items[first]["storefront"]["alias"] == a1
    assert items[third]["storefront"] == {"alias": a3, "url": f"https://{disti.host}/{a3}",
                                          "status": "active"}


def test_the_back_office_billing_person_is_told_403_not_404(api, disti, make_reseller):
    """Round-13 walkthrough of seed 002, D3: the distributor's billing
    person ordered and read invoices for a reseller, yet its overview said
    404 "no such account". The back office knows the account exists: what
    it may not do there is 403; a member of the distributor, who has no
    back office, still gets 404."""
    r = make_reseller(disti)
    S.expect(api(disti.billing).get(f"/api/v1/accounts/{r.account.id}/invoices"), 200)
    for path in (f"/api/v1/accounts/{r.account.id}", f"/api/v1/accounts/{r.account.id}/members"):
        p = S.expect_problem(api(disti.billing).get(path), 403)
        assert p["detail"] == "you are not a member of this account", p
        S.expect_problem(api(disti.member).get(path), 404)


def test_a_partner_admin_who_is_no_member_of_a_child_is_refused_its_billing(
        api, sql, disti, make_reseller, make_tenant, make_account, make_person, set_roles):
    """Round-17 walkthrough of seed 001, D1: Ben, an admin of partner 5
    with no role in child 17, got 403 "you are not a member of this
    account" on the child's overview, yet read its licenses (with keys),
    invoices, orders and subscriptions and created an order and a quote
    request in it: the route's parent roles were every parent's. The
    seed's Hinweis: who is no member of the new account sees only the
    partner-management data. The back office is a distributor's (seed
    002's BSS): a partner's admin and billing person who hold no role in a
    child get the overview's 403 on each of its billing routes, and write
    nothing; once added as a member, the admin reads as a member does.
    Another tenant gets 404. A distributor's admin and billing person
    still order and read for a reseller they hold no role in."""
    t = make_tenant("bo17")
    ben = make_person(prefix="bo17b")
    set_roles("olivia", t.account.id, ben, ["admin"])
    bill = make_person(prefix="bo17p")
    set_roles("olivia", t.account.id, bill, ["billing"])
    stranger = make_tenant("bo17x").admin
    child = make_account(t.admin, "customer", t.account.id)  # t.admin: its admin
    lines = {"lines": [{"article": "starter", "quantity": 1}]}
    done = execute(api, t.admin, order(api, t.admin, child.id, "starter")["id"])
    sid, oid = done["subscription"]["id"], done["order"]["id"]
    qid = S.expect(api(t.admin).post(f"/api/v1/accounts/{child.id}/quotes", json={
        "lines": [{"article": "api-seats", "quantity": 2}]}), 201)["id"]
    base = f"/api/v1/accounts/{child.id}"
    keys = [l["key"] for l in S.expect(api(t.admin).get(f"{base}/licenses"), 200)["items"]]
    assert keys and all(keys), keys
    reads = [base, f"{base}/licenses", f"{base}/invoices", f"{base}/orders", f"/api/v1/orders/{oid}",
             f"{base}/subscriptions", f"/api/v1/subscriptions/{sid}", f"{base}/quotes",
             f"{base}/quotes/{qid}"]
    writes = [(f"{base}/orders", lines), (f"{base}/quotes", lines),
              (f"/api/v1/subscriptions/{sid}/cancel", None),
              (f"/api/v1/subscriptions/{sid}/renew", None),
              (f"/api/v1/subscriptions/{sid}/upgrade", {"plan": "professional"})]
    counts = "SELECT (SELECT COUNT(*) FROM orders WHERE account_id=%s), " \
             "(SELECT COUNT(*) FROM quotes WHERE account_id=%s), " \
             "(SELECT COUNT(*) FROM invoices WHERE account_id=%s)"
    before = sql.rows(counts, int(child.id), int(child.id), int(child.id))
    for who in (ben, bill):
        for path in reads:
            r = api(who).get(path)
            problem = S.expect_problem(r, 403, "forbidden")
            assert problem["detail"] == "you are not a member of this account", (who.uid, path, problem)
            assert not any(k in r.text for k in keys), r.text
        for path, body in writes:
            problem = S.expect_problem(api(who).post(path, json=body), 403, "forbidden")
            assert problem["detail"] == "you are not a member of this account", (who.uid, path, problem)
    for path in reads:
        S.expect_problem(api(stranger).get(path), 404, "not-found")
    S.expect_problem(api(stranger).post(f"{base}/orders", json=lines), 404, "not-found")
    assert sql.rows(counts, int(child.id), int(child.id), int(child.id)) == before
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "active"
    # The Hinweis: once a member, Ben reads what a member reads.
    set_roles(t.admin, child.id, ben, ["member"])
    got = S.expect(api(ben).get(f"{base}/licenses"), 200)["items"]
    assert sorted(l["key"] for l in got) == sorted(keys), got
    S.expect(api(ben).get(f"{base}/invoices"), 200)
    # The distributor's back office on a reseller it holds no role in.
    r = make_reseller(disti)
    for who in (disti.admin, disti.billing):
        sid = execute(api, who, order(api, who, r.account.id, "assets-pack")["id"])["subscription"]["id"]
        for path in (f"/api/v1/accounts/{r.account.id}/licenses", f"/api/v1/accounts/{r.account.id}/invoices",
                     f"/api/v1/accounts/{r.account.id}/orders", f"/api/v1/accounts/{r.account.id}/subscriptions",
                     f"/api/v1/subscriptions/{sid}"):
            S.expect(api(who).get(path), 200)
        S.expect(api(who).post(f"/api/v1/accounts/{r.account.id}/quotes", json={
            "lines": [{"article": "assets-pack", "quantity": 1}]}), 201)
        assert S.expect(api(who).post(f"/api/v1/subscriptions/{sid}/cancel"),
                        200)["status"] == "pending_cancellation"
    S.expect_problem(api(stranger).get(f"/api/v1/accounts/{r.account.id}/invoices"), 404)


def test_the_overview_shows_the_accounts_storefront(api, disti, make_reseller, env, make_tenant):
    """Round-11 leftover of seed 002 (D4): the account's overview shows its
    storefront (DESIGN: an account has "the storefront alias"), live or
    kept after its term ended, and null for an account without one; its
    URL is the distributor's own host's."""
    r = make_reseller(disti)
    assert S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)["storefront"] is None
    alias = S.unique("ov")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                       alias)["id"])["subscription"]["id"]
    live = {"alias": alias, "url": f"https://{disti.host}/{alias}", "status": "active",
            "retain_until": None, "distributor_id": disti.account.id}
    for who in (r.admin, r.billing, r.member):
        got = S.expect(api(who).get(f"/api/v1/accounts/{r.account.id}"), 200)
        assert got["storefront"] == live, (who, got["storefront"])
    # Cancelled: the storefront stays active until the term ends.
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    assert S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"),
                    200)["storefront"] == live
    run_maint(env, later(ends, seconds=1))
    kept = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)["storefront"]
    public = S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)
    assert kept == dict(live, status="cancelled", retain_until=public["retain_until"]), kept
    assert kept["retain_until"]
    # Operator staff find the reseller by its alias (any case), kept or
    # live; a part of it is no match (an alias is a handle); others 403.
    for text in (alias, alias.upper()):
        got = S.expect(api("olivia").get("/api/v1/accounts", params={"search": text}), 200)
        assert [i["id"] for i in got["items"]] == [r.account.id], got
    got = S.expect(api("olivia").get("/api/v1/accounts", params={"search": alias[:-2]}), 200)
    assert r.account.id not in [i["id"] for i in got["items"]]
    S.expect_problem(api(r.admin).get("/api/v1/accounts", params={"search": alias}), 403)
    # Another tenant still sees no overview at all.
    other = make_tenant()
    S.expect_problem(api(other.admin).get(f"/api/v1/accounts/{r.account.id}"), 404)


def test_closing_an_account_discards_its_draft_orders(api, disti, make_reseller, sql):
    """Round-12 walkthrough of seed 001, D4: a draft order of an account
    that closes could neither be executed nor discarded (409 closed) and
    stayed a draft for ever; the close discards it, audited with why."""
    r = make_reseller(disti)
    draft = order(api, r.admin, r.account.id, "assets-pack")["id"]
    done = order(api, r.admin, r.account.id, "data-logger")["id"]
    S.expect(api(r.admin).post(f"/api/v1/orders/{done}/discard"), 200)
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{r.account.id}"), 204)
    items = {o["id"]: o for o in S.expect(
        api(r.admin).get(f"/api/v1/accounts/{r.account.id}/orders"), 200)["items"]}
    assert items[draft]["status"] == "discarded" and items[draft]["discarded_at"], items[draft]
    row = sql.row("SELECT status, discarded_by FROM orders WHERE id=%s", int(draft))
    assert row == {"status": "discarded", "discarded_by": r.admin.uid}, row
    audits = [a for a in sql.audit(r.account.id) if a["action"] == "order.discard"]
    closing = [a for a in audits if a["new_value"].get("reason") == "the account was closed"]
    assert [a["new_value"]["order_id"] for a in closing] == [int(draft)], audits
    p = S.expect_problem(api(r.admin).post(f"/api/v1/orders/{draft}/execute"), 409)
    assert p["detail"] == "a closed account cannot be changed", p


def test_the_cancel_mail_names_add_ons_paid_beyond_the_end(api, make_tenant, make_account, sql):
    """Round-12 walkthrough of seed 001, D5: a monthly plan with a yearly
    add-on line is cancelled; the mail said nothing of the add-on paid 11
    months beyond the end. It now says that it ends too, until when it was
    paid, and that it is not refunded automatically."""
    t = make_tenant("paid")
    acc = make_account(t.admin, "customer", t.account.id)
    draft = S.expect(api(t.admin).post(f"/api/v1/accounts/{acc.id}/orders", json={"lines": [
        {"article": "starter", "quantity": 1}, {"article": "data-logger", "quantity": 3}]}), 201)
    sid = execute(api, t.admin, draft["id"])["subscription"]["id"]
    before = S.outbox_max_id(sql)
    got = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    paid = [a["paid_until"] for a in got["articles"] if a["article"] == "data-logger"][0]
    assert paid > got["ends_at"], got
    rows = S.with_bodies([r for r in S.outbox_rows(sql, account_id=acc.id, after_id=before)
                          if r["template"] == "subscription-cancelled"])
    assert rows, S.outbox_rows(sql, account_id=acc.id, after_id=before)
    for r in rows:
        assert (f"Its add-ons paid beyond that date end with it too: 3 x Data logger license "
                f"(paid until {paid[:10]}). They are not refunded automatically; ask your "
                f"provider about them.") in r["body"], r["body"]
    # A plan without such lines says nothing of add-ons.
    other = make_account(t.admin, "customer", t.account.id)
    d2 = S.expect(api(t.admin).post(f"/api/v1/accounts/{other.id}/orders", json={"lines": [
        {"article": "starter", "quantity": 1}]}), 201)
    sid2 = execute(api, t.admin, d2["id"])["subscription"]["id"]
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid2}/cancel"), 200)
    rows = S.with_bodies([r for r in S.outbox_rows(sql, account_id=other.id, after_id=before)
                          if r["template"] == "subscription-cancelled"])
    assert rows and all("add-ons" not in r["body"] for r in rows), rows


def test_term_end_and_come_back_are_in_the_audit_trail(api, disti, make_reseller, env, sql):
    """Round-3 walkthrough of seed 002, D6: subscription.end records the
    account's plan, licenses and storefront before and after; the order
    that brings a kept storefront back records its alias and status."""
    r = make_reseller(disti)
    alias = S.unique("au")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                       alias)["id"])["subscription"]["id"]
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    run_maint(env, later(ends, seconds=1))
    row = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.end"][-1]
    old, new = row["old_value"], row["new_value"]
    assert row["uid"] == "accountd-maint"
    assert old["account_plan"] == "standard" and new["account_plan"] == "basic", row
    lic_old = {l["feature"]: l["quantity"] for l in old["licenses"]}
    lic_new = {l["feature"]: l["quantity"] for l in new["licenses"]}
    assert lic_old["storefront-customers"] == 1000 and lic_new["storefront-customers"] == 0, row
    assert set(lic_new.values()) == {0}, row
    assert old["storefront"] == {"alias": alias, "status": "active", "retain_until": None}, row
    sf = S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)
    assert new["storefront"] == {"alias": alias, "status": "cancelled",
                                 "retain_until": sf["retain_until"]}, row
    # Coming back without an alias: the kept storefront, in the row.
    back = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free")["id"])
    row = [a for a in sql.audit(r.account.id) if a["action"] == "order.execute"][-1]
    assert row["old_value"]["storefront_alias"] == alias, row
    assert row["old_value"]["storefront_status"] == "cancelled", row
    assert row["new_value"]["storefront_alias"] == alias, row
    assert row["new_value"]["storefront_status"] == "active", row
    # An upgrade keeping the storefront names it old and new.
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{back['subscription']['id']}/upgrade",
                               json={"plan": "standard"}), 200)
    row = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.upgrade"][-1]
    assert row["old_value"]["storefront_alias"] == alias, row
    assert row["new_value"]["storefront_alias"] == alias, row


def test_a_catch_up_maint_ends_subscriptions_in_the_order_they_ended(api, disti, make_reseller,
                                                                      env, sql):
    """Round-5/6 walkthroughs of seed 002: a catch-up run (maint --now long
    after two ends) ended them in id order, so the yearly plan's end (lower
    id, later end) was written first, with the monthly add-on's licenses
    still in its "before". The earliest end goes first now."""
    r = make_reseller(disti)
    plan = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                       S.unique("cu"))["id"])["subscription"]
    draft = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "api-seats", "quantity": 2}]}), 201)
    addon = execute(api, r.admin, draft["id"])["subscription"]
    assert int(addon["id"]) > int(plan["id"]) and addon["ends_at"] < plan["ends_at"], (plan, addon)
    for sub in (plan, addon):
        S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sub['id']}/cancel"), 200)
    run_maint(env, later(plan["ends_at"], seconds=1))
    rows = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.end"]
    rows.sort(key=lambda a: a["id"])
    assert [str(a["new_value"]["subscription_id"]) for a in rows] == \
        [str(addon["id"]), str(plan["id"])], rows
    # Each row's "before" is the state the row before it left.
    assert rows[1]["old_value"]["licenses"] == rows[0]["new_value"]["licenses"], rows


def test_an_empty_alias_at_checkout_is_a_field_error(api, disti, make_reseller, sql):
    """Round-3 walkthrough of seed 002, D7: storefront_alias sent empty at
    execute, for a plan that needs one and an account without a kept
    storefront, is 422 errors.storefront_alias; the order stays a draft."""
    r = make_reseller(disti)
    draft = order(api, disti.admin, r.account.id, "reseller-free")
    path = f"/api/v1/orders/{draft['id']}/execute"
    errors = S.expect_field_errors(api(disti.admin).post(path, json={"storefront_alias": ""}),
                                   "storefront_alias")
    assert "required" in errors["storefront_alias"], errors
    front = S.ORIGIN + "/app/checkout"
    resp = api(disti.admin).form("POST", path, [("storefront_alias", ""),
                                                ("error_to", front)])
    assert resp.status_code == 303, S.describe(resp)
    loc = resp.headers["Location"]
    from urllib.parse import parse_qsl, urlsplit
    q = dict(parse_qsl(urlsplit(loc).query, keep_blank_values=True))
    assert q["status"] == "422" and q["error"] == "validation", q
    assert "required" in q["errors[storefront_alias]"], q
    assert "/api/v1/" not in loc, loc
    assert order_row(sql, draft["id"]) == {"status": "draft", "storefront_alias": None}
    # Without any body the API's 409 stays; with an alias it executes.
    execute(api, disti.admin, draft["id"], status=409)
    alias = S.unique("ck")
    done = S.expect(api(disti.admin).post(path, json={"storefront_alias": alias}), 200)
    assert done["subscription"]["storefront"]["alias"] == alias


def test_a_plan_change_the_catalog_refuses_names_the_plan_and_where_it_can_go(
        api, make_tenant, make_account, make_person, set_roles, sql):
    """Round-24 walkthrough of seed 001, D2: ordering Starter for an
    account on Professional was 409 "this plan change is not an upgrade
    the catalog allows" and no more, while the same refusal at execute
    named the plan. The draft's 409, the upgrade's and the quote's share
    the check: each names the plan the account is on, the one asked for
    and the plans it can change to. Nothing is written; a member and
    another tenant get 403 / 404 as before."""
    t = make_tenant("pcn", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    sub = execute(api, t.admin, order(api, t.admin, cust.id, "professional")["id"])["subscription"]
    counts = lambda: (sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(cust.id)),
                      sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(cust.id)),
                      sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s",
                                int(cust.id)))
    before = counts()
    wanted = ("this plan change is not an upgrade the catalog allows: the account is on "
              "Professional, and Starter is no upgrade of it (it can change to Enterprise)")
    body = S.expect_problem(order(api, t.admin, cust.id, "starter", status=409), 409, "conflict")
    assert body["detail"] == wanted, body
    body = S.expect_problem(api(t.admin).post(f"/api/v1/subscriptions/{sub['id']}/upgrade",
                                              json={"plan": "starter"}), 409, "conflict")
    assert body["detail"] == wanted, body
    # The top of the line: nothing to change to.
    top = make_account("olivia", "customer", t.account.id)
    execute(api, t.admin, order(api, t.admin, top.id, "enterprise")["id"])
    body = S.expect_problem(order(api, t.admin, top.id, "professional", status=409), 409)
    assert body["detail"] == ("this plan change is not an upgrade the catalog allows: the account "
                              "is on Enterprise, and Professional is no upgrade of it (no plan is "
                              "an upgrade of it)"), body
    member = make_person(prefix="pcnm")
    set_roles("olivia", cust.id, member, ["member"])
    S.expect_problem(order(api, member, cust.id, "starter", status=403), 403)
    other = make_tenant("pcno")
    S.expect_problem(order(api, other.admin, cust.id, "starter", status=404), 404)
    assert counts() == before


def test_upgrade_keeps_the_seats_of_a_per_unit_plan(api, make_tenant, make_account, sql):
    """Round 3, seed 001 D1: professional x3 -> enterprise kept 1 seat and
    billed one; the seats carry over and the upgrade bills each of them
    (3 x (19900 - 4900)); the licenses are those of 3 enterprise seats."""
    t = make_tenant("seats", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    draft = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/orders", json={
        "lines": [{"article": "professional", "quantity": 3}]}), 201)
    sub = execute(api, t.admin, draft["id"])["subscription"]
    got = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub['id']}/upgrade",
                                     json={"plan": "enterprise"}), 200)
    assert [(a["article"], a["quantity"]) for a in got["articles"]] == [("enterprise", 3)], got
    inv = got["invoice"]
    assert inv["reason"] == "upgrade" and inv["total"] == money(45000), inv
    # Monthly to yearly: the enterprise year, less the professional month
    # paid (round-27 walkthrough of seed 001, D1).
    assert inv["lines"] == [{"article": "enterprise", "name": "Enterprise plan", "quantity": 3,
                             "unit_price": money(19900), "terms": 1, "amount": money(59700)},
                            {"article": "professional", "name": "Professional plan", "quantity": 3,
                             "unit_price": money(-4900), "terms": 1, "amount": money(-14700)}], inv
    # The yearly enterprise is paid from the start of the monthly
    # professional's term for 12 months: the invoice runs to then.
    paid_until = got["articles"][0]["paid_until"]
    assert parse_time(paid_until) >= parse_time(sub["started_at"]) + datetime.timedelta(days=364)
    assert inv["period_end"] == paid_until and got["ends_at"] == sub["ends_at"], (inv, got)
    assert sql.value("SELECT quantity FROM subscription_articles WHERE subscription_id=%s",
                     int(sub["id"])) == 3
    lic = {l["feature"]: l for l in S.expect(
        api(t.admin).get(f"/api/v1/accounts/{cust.id}/licenses"), 200)["items"]}
    assert lic["assets"]["quantity"] == 3 * 5000 and lic["data-loggers"]["quantity"] == 3000, lic
    # A flat plan stays one per account: starter -> professional is 1 seat.
    cust2 = make_account("olivia", "customer", t.account.id)
    sub2 = execute(api, t.admin, order(api, t.admin, cust2.id, "starter")["id"])["subscription"]
    got2 = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub2['id']}/upgrade",
                                      json={"plan": "professional"}), 200)
    assert [(a["article"], a["quantity"]) for a in got2["articles"]] == [("professional", 1)]
    assert got2["invoice"]["total"] == money(4900 - 1900)
    assert got2["invoice"]["period_end"] == got2["ends_at"] == sub2["ends_at"]


def renewal_invoices(sql, sid):
    return sql.value("SELECT COUNT(*) FROM invoices WHERE subscription_id=%s"
                     " AND reason='renewal'", int(sid))


def test_renewal_bills_each_line_on_its_own_term(api, make_tenant, make_account, sql):
    """Round 3, seed 001 D2: a monthly subscription billed the yearly
    data-logger (and an enterprise plan after an upgrade) at its 12-month
    price at every monthly renewal. Each line is billed when its own term
    comes round."""
    t = make_tenant("terms", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    draft = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/orders", json={
        "lines": [{"article": "starter", "quantity": 1},
                  {"article": "data-logger", "quantity": 2}]}), 201)
    done = execute(api, t.admin, draft["id"])
    sub = done["subscription"]
    assert sub["term_months"] == 1 and done["invoice"]["total"] == money(1900 + 2 * 990)
    logger = {a["article"]: a for a in sub["articles"]}["data-logger"]
    assert logger["term_months"] == 12
    assert parse_time(logger["paid_until"]) >= parse_time(sub["started_at"]) + datetime.timedelta(
        days=364)
    path = f"/api/v1/subscriptions/{sub['id']}/renew"
    # Renewals 1..11 reach month 12 at most: only the monthly starter.
    for i in range(11):
        got = S.expect(api(t.admin).post(path), 200)
        assert got["invoice"]["lines"] == [{"article": "starter", "name": "Starter plan",
                                            "quantity": 1, "unit_price": money(1900), "terms": 1,
                                            "amount": money(1900)}], (i, got["invoice"])
        assert got["invoice"]["total"] == money(1900)
    # The 12th reaches month 13: the data loggers' next year is due.
    got = S.expect(api(t.admin).post(path), 200)
    lines = {l["article"]: l for l in got["invoice"]["lines"]}
    assert lines["data-logger"] == {"article": "data-logger", "name": "Data logger license",
                                    "quantity": 2, "unit_price": money(990), "terms": 1,
                                    "amount": money(1980)}, got["invoice"]
    assert got["invoice"]["total"] == money(1900 + 1980)
    logger = {a["article"]: a for a in got["articles"]}["data-logger"]
    assert parse_time(logger["paid_until"]) >= parse_time(sub["started_at"]) + datetime.timedelta(
        days=2 * 364)
    assert sql.value("SELECT paid_months FROM subscription_articles WHERE subscription_id=%s"
                     " AND article='data-logger'", int(sub["id"])) == 24
    # After an upgrade to the yearly enterprise, a monthly renewal bills
    # nothing until the enterprise year runs out: no invoice.
    cust2 = make_account("olivia", "customer", t.account.id)
    d2 = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust2.id}/orders", json={
        "lines": [{"article": "professional", "quantity": 3}]}), 201)
    sub2 = execute(api, t.admin, d2["id"])["subscription"]
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub2['id']}/upgrade",
                               json={"plan": "enterprise"}), 200)
    got = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub2['id']}/renew"), 200)
    assert got["invoice"] is None and got["ends_at"] > sub2["ends_at"], got
    assert got["term_months"] == 1 and renewal_invoices(sql, sub2["id"]) == 0
    row = [a for a in sql.audit(cust2.id) if a["action"] == "subscription.renew"][-1]
    assert row["new_value"]["invoice_id"] is None, row


def test_monthly_renewals_stay_on_the_start_day(api, licensed, sql):
    """Round-4 walkthrough of seed 004: renewals chained month by month
    from the last end drifted (started on the 31st: Feb 28, then Mar 28,
    Apr 28 ...) off the lines' paid_until. Each end is counted from the
    start: a short month cuts only its own end."""
    t, cust, member = licensed
    sub = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}/subscriptions"), 200)["items"][0]
    sid = sub["id"]
    assert sub["term_months"] == 1
    # As if it had started on January 31 (the first end cut short).
    sql.rows("UPDATE subscriptions SET started_at='2027-01-31 10:00:00', ends_at='2027-02-28 10:00:00'"
             " WHERE id=%s", int(sid))
    sql.rows("UPDATE subscription_articles SET paid_months=1 WHERE subscription_id=%s", int(sid))
    ends = [S.expect(api(member).post(f"/api/v1/subscriptions/{sid}/renew"), 200)["ends_at"]
            for _ in range(3)]
    assert ends == ["2027-03-31T10:00:00Z", "2027-04-30T10:00:00Z", "2027-05-31T10:00:00Z"], ends
    line = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}/subscriptions"), 200)["items"][0]["articles"][0]
    assert line["paid_until"] == ends[-1], line


@pytest.mark.parametrize("second", ["reseller-standard", "reseller-free", "upgrade"])
def test_parallel_plan_changes_of_one_account_are_serialised(api, disti, make_reseller, sql, second):
    """round-4 walkthrough of seed 002: two plan orders (or an order and an
    upgrade) of one reseller executed at the same time both answered 200:
    two subscriptions and invoices, or Standard replaced by Free (a
    downgrade). Exactly one plan change wins; the other is 409 and leaves
    nothing behind."""
    for attempt in range(4):
        r = make_reseller(disti)
        acc = r.account.id
        first = order(api, disti.admin, acc, "reseller-standard", S.unique("par-"))
        if second == "upgrade":
            base = execute(api, disti.admin,
                           order(api, disti.admin, acc, "reseller-free", S.unique("par-"))["id"])
            sid = base["subscription"]["id"]
            first = order(api, disti.admin, acc, "reseller-standard")
            calls = [lambda: api(disti.admin).post(f"/api/v1/orders/{first['id']}/execute"),
                     lambda: api(disti.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                                   json={"plan": "standard"})]
        else:
            other = order(api, disti.admin, acc, second, S.unique("par-"))
            calls = [lambda: api(disti.admin).post(f"/api/v1/orders/{first['id']}/execute"),
                     lambda: api(disti.admin).post(f"/api/v1/orders/{other['id']}/execute")]
        barrier = threading.Barrier(2)

        def go(call):
            barrier.wait(timeout=30)
            return call()

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(go, calls))
        codes = sorted(a.status_code for a in answers)
        live = sql.rows("SELECT plan FROM subscriptions WHERE account_id=%s AND status <> 'cancelled'", int(acc))
        assert len(live) == 1, live
        plan = sql.account(acc)["plan"]
        assert live[0]["plan"] == plan, (live, plan)
        invoices = len(sql.rows("SELECT id FROM invoices WHERE account_id=%s", int(acc)))
        if second == "reseller-free" and codes == [200, 200]:
            # Free ran first and Standard then replaced it: an upgrade,
            # never Standard replaced by Free.
            assert plan == "standard" and invoices == 2, (plan, invoices)
            continue
        assert codes == [200, 409], [S.describe(a) for a in answers]
        if second != "upgrade":
            assert invoices == 1, invoices


def test_an_upgrade_after_early_renewals_bills_every_prepaid_term(api, licensed, sql):
    """round-5 walkthrough of seed 001: starter renewed five times ahead,
    then upgraded to professional: the invoice billed one month of the
    difference while professional was paid for all six. The difference is
    billed for every old-plan term paid ahead."""
    t, cust, member = licensed
    sid = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}/subscriptions"), 200)["items"][0]["id"]
    for _ in range(5):
        S.expect(api(member).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    prices = {a["code"]: a["price"]["amount_minor"]
              for a in S.expect(api(t.admin).get("/api/v1/articles"), 200)["items"]}
    diff = prices["professional"] - prices["starter"]
    got = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/upgrade", json={"plan": "professional"}),
                   200)
    inv = got["invoice"]
    assert inv["reason"] == "upgrade" and inv["total"] == money(6 * diff), inv
    assert inv["lines"][0]["terms"] == 6 and inv["lines"][0]["amount"] == money(6 * diff), inv
    line = [a for a in got["articles"] if a["article"] == "professional"][0]
    assert inv["period_end"] == line["paid_until"] == got["ends_at"], (inv, line, got["ends_at"])


def add_months(s, months):
    """An RFC 3339 time plus months, as MariaDB's INTERVAL n MONTH adds
    them (the day cut to the month's last)."""
    t = parse_time(s)
    y, m = divmod(t.month - 1 + months, 12)
    y, m = t.year + y, m + 1
    day = min(t.day, calendar.monthrange(y, m)[1])
    return rfc3339(t.replace(year=y, month=m, day=day))


def test_an_upgrade_to_a_plan_of_another_term_credits_the_months_paid_ahead(
        api, make_tenant, make_account, make_person, set_roles, sql):
    """round-27 walkthrough of seed 001, D1: two customers on monthly
    professional x1; B renewed once, then both upgraded to yearly
    enterprise. A paid 150 for the enterprise year; B was billed the
    yearly difference once per month paid ahead (300) and got enterprise
    a month longer. Now the enterprise year counts from the start of the
    term now runs in, less the professional months paid ahead: B pays
    199 - 2 x 49 = 101, to the same day as A, and both have paid 199."""
    t = make_tenant("uterm", kind="distributor")
    probes = {}
    for probe in ("A", "B"):
        cust = make_account("olivia", "customer", t.account.id)
        draft = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/orders", json={
            "lines": [{"article": "professional", "quantity": 1}]}), 201)
        probes[probe] = (cust, execute(api, t.admin, draft["id"])["subscription"])
    cust_a, sub_a = probes["A"]
    cust_b, sub_b = probes["B"]
    billing = make_person(prefix="utb")
    set_roles("olivia", cust_b.id, billing, ["billing"])
    member = make_person(prefix="utm")
    set_roles("olivia", cust_b.id, member, ["member"])
    renewed = S.expect(api(member).post(f"/api/v1/subscriptions/{sub_b['id']}/renew"), 200)
    assert renewed["invoice"]["total"] == money(4900), renewed["invoice"]
    assert renewed["ends_at"] == add_months(sub_b["started_at"], 2), renewed

    def invoices(cust):
        return sql.rows("SELECT reason, total_minor FROM invoices WHERE account_id=%s ORDER BY id",
                        int(cust.id))

    # Who may not upgrade: a member of B (403), another tenant (404);
    # nothing is billed or changed.
    before = invoices(cust_b)
    url_b = f"/api/v1/subscriptions/{sub_b['id']}/upgrade"
    S.expect_problem(api(member).post(url_b, json={"plan": "enterprise"}), 403)
    other = make_tenant("utero")
    S.expect_problem(api(other.admin).post(url_b, json={"plan": "enterprise"}), 404)
    assert invoices(cust_b) == before and sql.account(cust_b.id)["plan"] == "professional"

    # A, by the partner's back office: the enterprise year less the one
    # professional month paid, as before.
    got_a = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub_a['id']}/upgrade",
                                       json={"plan": "enterprise"}), 200)
    year_a = add_months(sub_a["started_at"], 12)
    inv = got_a["invoice"]
    assert inv["reason"] == "upgrade" and inv["total"] == money(15000), inv
    assert inv["lines"] == [
        line("enterprise", "Enterprise plan", 1, 19900, terms=1),
        line("professional", "Professional plan", 1, -4900, terms=1)], inv
    assert [(a["article"], a["paid_until"]) for a in got_a["articles"]] == [("enterprise", year_a)], got_a
    assert inv["period_end"] == year_a and got_a["ends_at"] == sub_a["ends_at"], (inv, got_a)
    assert parse_time(inv["period_start"]) >= parse_time(sub_a["started_at"]), inv

    # B, by its billing person: one enterprise year (not two differences)
    # less the two professional months paid ahead, to the same day.
    got_b = S.expect(api(billing).post(url_b, json={"plan": "enterprise"}), 200)
    year_b = add_months(sub_b["started_at"], 12)
    inv = got_b["invoice"]
    assert inv["reason"] == "upgrade" and inv["total"] == money(10100), inv
    assert inv["lines"] == [
        line("enterprise", "Enterprise plan", 1, 19900, terms=1),
        line("professional", "Professional plan", 1, -4900, terms=2)], inv
    assert stored_lines(sql, "invoices", inv["id"]) == [
        {"article": "enterprise", "name": "Enterprise plan", "quantity": 1,
         "unit_price": money(19900), "terms": 1, "amount": money(19900)},
        {"article": "professional", "name": "Professional plan", "quantity": 1,
         "unit_price": money(-4900), "terms": 2, "amount": money(-9800)}]
    assert [(a["article"], a["paid_until"]) for a in got_b["articles"]] == [("enterprise", year_b)], got_b
    assert inv["period_end"] == year_b and got_b["ends_at"] == renewed["ends_at"], (inv, got_b)
    sub = S.expect(api(billing).get(f"/api/v1/subscriptions/{sub_b['id']}"), 200)
    assert [(a["article"], a["paid_until"]) for a in sub["articles"]] == [("enterprise", year_b)], sub
    listed = S.expect(api(billing).get(f"/api/v1/accounts/{cust_b.id}/invoices"), 200)["items"]
    assert [i["lines"] for i in listed if i["id"] == inv["id"]] == [inv["lines"]], listed
    # The same enterprise year has cost both the same: 199.
    assert sum(r["total_minor"] for r in invoices(cust_a)) == 19900, invoices(cust_a)
    assert sum(r["total_minor"] for r in invoices(cust_b)) == 19900, invoices(cust_b)
    assert [r["reason"] for r in invoices(cust_b)] == ["order", "renewal", "upgrade"]


def test_an_upgrade_whose_credit_would_pay_more_than_ten_years_is_refused(
        api, make_tenant, make_account, sql):
    """Review of round 27: the credit of a long paid-ahead period became
    new-plan terms without bound (paid_until past year 9999, or a 422 "the
    amount is too large"). More than ten years of the new plan past the
    start is 409, naming the credit and when the paid term ends; nothing
    is written. Up to ten years the credit buys whole new terms, the last
    one paid for by the difference."""
    t = make_tenant("uten", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    sub = execute(api, t.admin, order(api, t.admin, cust.id, "professional")["id"])["subscription"]
    sid = int(sub["id"])
    # Paid 60 months ahead (an operator's correction): 60 x 49 = 2940
    # would buy 15 enterprise years.
    sql.rows("UPDATE subscription_articles SET paid_months=60 WHERE subscription_id=%s", sid)
    before = sql.rows("SELECT id FROM invoices WHERE account_id=%s", int(cust.id))
    url = f"/api/v1/subscriptions/{sid}/upgrade"
    body = S.expect_problem(api(t.admin).post(url, json={"plan": "enterprise"}), 409, "conflict")
    assert body["detail"] == (
        "the Professional months paid ahead (60 \u00d7 49.00 EUR) would pay for more than ten"
        " years of Enterprise: change plans when the paid term ends ("
        + add_months(sub["started_at"], 60) + "), or ask the operator"), body
    assert sql.rows("SELECT id FROM invoices WHERE account_id=%s", int(cust.id)) == before
    assert sql.account(cust.id)["plan"] == "professional"
    assert sql.rows("SELECT article, paid_months FROM subscription_articles"
                    " WHERE subscription_id=%s", sid) == [
        {"article": "professional", "paid_months": 60}]
    # 24 months ahead (1176) buys six enterprise years (1194): 18 billed.
    sql.rows("UPDATE subscription_articles SET paid_months=24 WHERE subscription_id=%s", sid)
    got = S.expect(api(t.admin).post(url, json={"plan": "enterprise"}), 200)
    assert got["invoice"]["total"] == money(6 * 19900 - 24 * 4900), got["invoice"]
    assert got["invoice"]["lines"] == [
        line("enterprise", "Enterprise plan", 1, 19900, terms=6),
        line("professional", "Professional plan", 1, -4900, terms=24)], got["invoice"]
    assert [(a["article"], a["paid_until"]) for a in got["articles"]] == [
        ("enterprise", add_months(sub["started_at"], 72))], got


def test_an_upgrade_credits_what_the_old_plan_was_paid(api, make_tenant, make_account, sql):
    """Review of round 27: the credit of an upgrade took today's catalog
    price of the old plan, not what its line was paid. A price raised in
    the catalog after the order credits the price paid."""
    t = make_tenant("upaid", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    draft = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/orders", json={
        "lines": [{"article": "professional", "quantity": 2}]}), 201)
    sub = execute(api, t.admin, draft["id"])["subscription"]
    was = sql.value("SELECT price_minor FROM articles WHERE code='professional'")
    assert was == 4900
    try:
        sql.rows("UPDATE articles SET price_minor=5900 WHERE code='professional'")
        got = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub['id']}/upgrade",
                                         json={"plan": "enterprise"}), 200)
    finally:
        sql.rows("UPDATE articles SET price_minor=%s WHERE code='professional'", was)
    inv = got["invoice"]
    assert inv["lines"] == [
        line("enterprise", "Enterprise plan", 2, 19900, terms=1),
        line("professional", "Professional plan", 2, -4900, terms=1)], inv
    assert inv["total"] == money(2 * 19900 - 2 * 4900), inv


def test_an_upgrade_of_a_line_stored_with_no_seats_counts_one(api, make_tenant, make_account, sql):
    """Review of round 27: a plan line stored with quantity 0, upgraded
    to a per_unit plan of the same term, divided the difference by 0 (the
    worker died). It counts as one seat."""
    t = make_tenant("uzero", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    sub = execute(api, t.admin, order(api, t.admin, cust.id, "starter")["id"])["subscription"]
    sql.rows("UPDATE subscription_articles SET quantity=0 WHERE subscription_id=%s", int(sub["id"]))
    got = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sub['id']}/upgrade",
                                     json={"plan": "professional"}), 200)
    assert got["invoice"]["lines"] == [
        line("professional", "Professional plan", 1, 4900 - 1900, terms=1)], got["invoice"]
    assert [(a["article"], a["quantity"]) for a in got["articles"]] == [("professional", 1)], got


def test_an_add_on_orders_audit_row_keeps_the_plan(api, licensed, sql):
    """round-5 walkthrough of seed 002: an order of add-ons recorded the
    account's plan going from its plan to null, a downgrade that never
    happened."""
    t, cust, member = licensed
    done = execute(api, t.admin, S.expect(api(t.admin).post(
        f"/api/v1/accounts/{cust.id}/orders", json={"lines": [{"article": "data-logger", "quantity": 1}]}),
        201)["id"])
    assert done["order"]["status"] == "executed"
    row = [a for a in sql.audit(cust.id) if a["action"] == "order.execute"][-1]
    assert row["old_value"]["plan"] == row["new_value"]["plan"] == "starter", row
    assert sql.account(cust.id)["plan"] == "starter"


def test_a_bad_quantity_does_not_call_the_alias_wrong(api, disti, make_reseller):
    """round-5 walkthrough of seed 002: standard ×2 with an alias got the
    quantity error and a wrong storefront_alias error ("only an order for a
    plan with a storefront takes an alias"): a checkout form marked the
    valid alias field."""
    r = make_reseller(disti)
    resp = api(disti.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "reseller-standard", "quantity": 2}], "storefront_alias": S.unique("q-")})
    errors = S.expect_field_errors(resp, "quantity")
    assert "storefront_alias" not in errors, errors


# ---------------------------------------------------------------- line names (stop-18 leftover)

def line(article, name, quantity, unit_price, amount=None, terms=None):
    got = {"article": article, "name": name, "quantity": quantity, "unit_price": money(unit_price)}
    if terms is not None:
        got["terms"] = terms
    got["amount"] = money(quantity * unit_price * (terms or 1) if amount is None else amount)
    return got


class renamed_catalog:
    """with renamed_catalog(sql, {code: new name}): the catalog's articles
    renamed by SQL, as an operator would, and named back afterwards."""

    def __init__(self, sql, names):
        self.sql, self.names = sql, names

    def __enter__(self):
        self.old = {code: self.sql.value("SELECT name FROM articles WHERE code=%s", code)
                    for code in self.names}
        for code, name in self.names.items():
            self.sql.rows("UPDATE articles SET name=%s WHERE code=%s", name, code)

    def __exit__(self, *exc):
        for code, name in self.old.items():
            self.sql.rows("UPDATE articles SET name=%s WHERE code=%s", name, code)


def stored_lines(sql, table, row_id):
    return json.loads(sql.value(f"SELECT line_items FROM {table} WHERE id=%s", int(row_id)))


def test_lines_carry_the_article_name_as_it_was_when_written(api, make_tenant, make_account,
                                                              sql, mailbox):
    """Seed 001 ("Artikel ... Diese finden Sie auch auf Ihren Rechnungen
    oder auf Aufträgen"): the lines of orders, quotes and invoices showed
    article codes only. Each line has the article's name; an invoice is
    never edited, so a later rename in the catalog changes no line written
    before it, while lines written after it have the new name. The welcome
    mail lists the articles by name, never by code."""
    t = make_tenant("names", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    base = f"/api/v1/accounts/{cust.id}"
    who = api(t.admin)
    to = S.unique_mail("names-")
    S.expect(api("olivia").put(f"{base}/notification-recipients", json={"emails": [to]}), 200)
    draft = S.expect(who.post(f"{base}/orders", json={"lines": [
        {"article": "professional", "quantity": 2}, {"article": "data-logger", "quantity": 1}]}), 201)
    want = [line("professional", "Professional plan", 2, 4900),
            line("data-logger", "Data logger license", 1, 990)]
    assert draft["lines"] == want, draft
    assert S.expect(who.get(f"/api/v1/orders/{draft['id']}"), 200)["lines"] == want
    assert [o["lines"] for o in S.expect(who.get(f"{base}/orders"), 200)["items"]] == [want]
    assert sql.rows("SELECT article, name FROM order_lines WHERE order_id=%s ORDER BY line_no",
                    int(draft["id"])) == [{"article": "professional", "name": "Professional plan"},
                                          {"article": "data-logger", "name": "Data logger license"}]
    created = [a for a in sql.audit(cust.id) if a["action"] == "order.create"][-1]
    assert created["new_value"]["lines"] == want, created
    # A quote: its answer, its GET, the list, and the row.
    q = S.expect(who.post(f"{base}/quotes", json={"lines": [{"article": "assets-pack",
                                                             "quantity": 2}]}), 201)
    qwant = [line("assets-pack", "Assets pack (50 assets)", 2, 2500)]
    assert q["lines"] == qwant, q
    assert S.expect(who.get(f"{base}/quotes/{q['id']}"), 200)["lines"] == qwant
    assert S.expect(who.get(f"{base}/quotes"), 200)["items"][0]["lines"] == qwant
    assert [l["name"] for l in stored_lines(sql, "quotes", q["id"])] == ["Assets pack (50 assets)"]
    # Executing: the order and its invoice in execute's answer, the
    # invoice list, the row.
    later_draft = S.expect(who.post(f"{base}/orders", json={"lines": [
        {"article": "assets-pack", "quantity": 1}]}), 201)
    done = execute(api, t.admin, draft["id"])
    assert done["order"]["lines"] == want and done["invoice"]["lines"] == want, done
    inv_id = done["invoice"]["id"]
    assert S.expect(who.get(f"{base}/invoices"), 200)["items"][0]["lines"] == want
    assert [l["name"] for l in stored_lines(sql, "invoices", inv_id)] == [
        "Professional plan", "Data logger license"]
    sid = done["subscription"]["id"]
    welcome = mailbox.wait_for(lambda m: "Professional plan" in m.body, to=to, timeout=15)
    assert welcome, f"no welcome mail to {to}"
    body = welcome[-1].body.replace("\r\n", "\n")
    assert "  2 x Professional plan\n  1 x Data logger license" in body, body
    assert "data-logger" not in body and "x professional" not in body, body

    with renamed_catalog(sql, {"professional": "Professional-Tarif (Größe M)",
                               "enterprise": "Enterprise-Tarif",
                               "assets-pack": "Asset-Paket (50)"}):
        # What was written keeps its name.
        assert S.expect(who.get(f"/api/v1/orders/{draft['id']}"), 200)["lines"] == want
        assert S.expect(who.get(f"{base}/quotes/{q['id']}"), 200)["lines"] == qwant
        invoices = S.expect(who.get(f"{base}/invoices"), 200)["items"]
        assert [i["lines"] for i in invoices if i["id"] == inv_id] == [want], invoices
        # A draft made before the rename is billed as it was made: its
        # invoice repeats the order's lines, names and prices.
        old_name = [line("assets-pack", "Assets pack (50 assets)", 1, 2500)]
        got = execute(api, t.admin, later_draft["id"])
        assert got["order"]["lines"] == old_name and got["invoice"]["lines"] == old_name, got
        # Its welcome mail is written now: the catalog's name now.
        welcome = mailbox.wait_for(lambda m: "Asset-Paket (50)" in m.body, to=to, timeout=15)
        assert welcome and "1 x Asset-Paket (50)" in welcome[-1].body, welcome
        assert "assets-pack" not in welcome[-1].body, welcome[-1].body
        # What is written now has the catalog's name now: a draft, a quote,
        # a renewal's and an upgrade's invoice.
        new = S.expect(who.post(f"{base}/quotes", json={"lines": [{"article": "assets-pack",
                                                                   "quantity": 1}]}), 201)
        assert [l["name"] for l in new["lines"]] == ["Asset-Paket (50)"], new
        fresh = S.expect(who.post(f"{base}/orders", json={"lines": [
            {"article": "assets-pack", "quantity": 3}]}), 201)
        assert fresh["lines"] == [line("assets-pack", "Asset-Paket (50)", 3, 2500)], fresh
        renewed = S.expect(who.post(f"/api/v1/subscriptions/{sid}/renew"), 200)
        assert renewed["invoice"]["lines"] == [
            line("professional", "Professional-Tarif (Größe M)", 2, 4900, terms=1)], renewed
        upgraded = S.expect(who.post(f"/api/v1/subscriptions/{sid}/upgrade",
                                     json={"plan": "enterprise"}), 200)
        # Monthly to yearly: the enterprise line and the credit line of
        # the professional months paid ahead (round-27 walkthrough of seed
        # 001, D1), each with the catalog's name now.
        assert [(l["article"], l["name"]) for l in upgraded["invoice"]["lines"]] == [
            ("enterprise", "Enterprise-Tarif"),
            ("professional", "Professional-Tarif (Größe M)")], upgraded["invoice"]
        assert [l["name"] for l in stored_lines(sql, "invoices", upgraded["invoice"]["id"])] == [
            "Enterprise-Tarif", "Professional-Tarif (Größe M)"]
    # Named back: the lines written under the other names keep them.
    assert S.expect(who.get(f"/api/v1/orders/{fresh['id']}"), 200)["lines"][0]["name"] == \
        "Asset-Paket (50)"
    assert S.expect(who.get(f"{base}/quotes/{new['id']}"), 200)["lines"][0]["name"] == \
        "Asset-Paket (50)"
    names = {i["id"]: [l["name"] for l in i["lines"]]
             for i in S.expect(who.get(f"{base}/invoices"), 200)["items"]}
    assert names[inv_id] == ["Professional plan", "Data logger license"], names
    assert names[renewed["invoice"]["id"]] == ["Professional-Tarif (Größe M)"], names
    assert names[upgraded["invoice"]["id"]] == ["Enterprise-Tarif",
                                                "Professional-Tarif (Größe M)"], names


def run_migration_026(env):
    """sql/026_line_names.sql once more, as `accountd migrate` runs it (the
    file may run again: it names only lines without a name)."""
    path = os.path.join(env.get("ACCOUNTD_SRC") or os.getcwd(), "sql", "026_line_names.sql")
    with open(path) as f:
        p = subprocess.run(["mariadb", "--no-defaults", "-S", env["SQL_SOCKET"], "-u", "root",
                            env["SQL_DATABASE"]], stdin=f, capture_output=True, text=True,
                           timeout=120)
    assert p.returncode == 0, f"migration 026: rc={p.returncode}: {p.stdout} {p.stderr}"


def test_migration_026_names_the_lines_written_before_it(api, make_tenant, make_account, sql,
                                                         env):
    """Lines written before migration 026 had no name: it gives each the
    catalog's name as it is then (the code of an article the catalog no
    longer has), so no line is without one; a line with a name keeps it."""
    t = make_tenant("names26", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    base = f"/api/v1/accounts/{cust.id}"
    who = api(t.admin)
    lines = {"lines": [{"article": "starter", "quantity": 1}, {"article": "api-seats",
                                                               "quantity": 2}]}
    executed = S.expect(who.post(f"{base}/orders", json=lines), 201)
    draft = S.expect(who.post(f"{base}/orders", json={"lines": [{"article": "api-seats",
                                                                 "quantity": 1}]}), 201)
    named = S.expect(who.post(f"{base}/orders", json={"lines": [{"article": "api-seats",
                                                                 "quantity": 4}]}), 201)
    q = S.expect(who.post(f"{base}/quotes", json=lines), 201)
    inv = execute(api, t.admin, executed["id"])["invoice"]
    old_invoice = stored_lines(sql, "invoices", inv["id"])
    try:
        # As before migration 026: no name on the order lines, the
        # invoice's and the quote's; an invoice line of an article the
        # catalog has dropped since.
        sql.rows("ALTER TABLE order_lines MODIFY name VARCHAR(200) NULL")
        sql.rows("UPDATE order_lines SET name=NULL WHERE order_id IN (%s, %s)",
                 int(executed["id"]), int(draft["id"]))
        bare = [{k: v for k, v in l.items() if k != "name"} for l in old_invoice]
        bare.append({"article": "retired-article", "quantity": 1,
                     "unit_price": money(100), "amount": money(100)})
        sql.rows("UPDATE invoices SET line_items=%s WHERE id=%s", json.dumps(bare), int(inv["id"]))
        sql.rows("UPDATE quotes SET line_items=%s WHERE id=%s",
                 json.dumps([{k: v for k, v in l.items() if k != "name"}
                             for l in stored_lines(sql, "quotes", q["id"])]), int(q["id"]))
        with renamed_catalog(sql, {"api-seats": "API-Plätze (10)"}):
            run_migration_026(env)
        assert sql.value("SELECT IS_NULLABLE FROM information_schema.COLUMNS"
                         " WHERE TABLE_SCHEMA=DATABASE() AND TABLE_NAME='order_lines'"
                         " AND COLUMN_NAME='name'") == "NO"
        assert sql.value("SELECT COUNT(*) FROM order_lines WHERE name IS NULL") == 0
        now = "API-Plätze (10)"  # the catalog's name when the migration ran
        want = [line("starter", "Starter plan", 1, 1900), line("api-seats", now, 2, 1500)]
        assert S.expect(who.get(f"/api/v1/orders/{executed['id']}"), 200)["lines"] == want
        assert S.expect(who.get(f"/api/v1/orders/{draft['id']}"), 200)["lines"] == [
            line("api-seats", now, 1, 1500)]
        assert S.expect(who.get(f"/api/v1/orders/{named['id']}"), 200)["lines"] == [
            line("api-seats", "API seats (10)", 4, 1500)]  # had its name: kept
        assert S.expect(who.get(f"{base}/quotes/{q['id']}"), 200)["lines"] == want
        got = [i for i in S.expect(who.get(f"{base}/invoices"), 200)["items"]
               if i["id"] == inv["id"]][0]
        # Every other field of the lines as it was, in the lines' order.
        assert got["lines"] == want + [line("retired-article", "retired-article", 1, 100)], got
        # Once more: nothing changes (the names are there).
        run_migration_026(env)
        assert stored_lines(sql, "invoices", inv["id"]) == got["lines"]
        assert S.expect(who.get(f"/api/v1/orders/{draft['id']}"), 200)["lines"][0]["name"] == now
    finally:
        run_migration_026(env)  # the column is required again whatever failed


def test_migration_029_moves_a_storefront_welcome_override(api, disti, make_account, operator_id,
                                                           sql, env):
    """Migration 029: a distributor's plan-welcome override that names
    {{storefront_url}} was its storefront welcome; it becomes its
    storefront-welcome and plan-welcome returns to the default. An override
    without it stays plan-welcome. Run once more here, as `accountd migrate`
    runs it (the file may run again)."""
    other = make_account("olivia", "distributor", operator_id)
    store_text = ("Welcome to Standard Reseller Storefront",
                  "Your storefront {{storefront_url}} is ready, {{account_name}}.\n")
    plain_text = ("Thanks, {{account_name}}", "{{articles}}\n")
    # As before 029: only plan-welcome could be overridden.
    for acc, (subject, body) in ((disti.account, store_text), (other, plain_text)):
        sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(acc.id))
        sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
                 " VALUES (%s, 'plan-welcome', %s, %s)", int(acc.id), subject, body)
    path = os.path.join(env.get("ACCOUNTD_SRC") or os.getcwd(), "sql", "029_storefront_welcome.sql")
    with open(path) as f:
        p = subprocess.run(["mariadb", "--no-defaults", "-S", env["SQL_SOCKET"], "-u", "root",
                            env["SQL_DATABASE"]], stdin=f, capture_output=True, text=True,
                           timeout=120)
    assert p.returncode == 0, f"migration 029: rc={p.returncode}: {p.stdout} {p.stderr}"

    def overrides(acc):
        return {r["name"]: (r["subject"], r["body"]) for r in sql.rows(
            "SELECT name, subject, body FROM notification_templates WHERE account_id=%s",
            int(acc.id))}

    assert overrides(disti.account) == {"storefront-welcome": store_text}
    assert overrides(other) == {"plan-welcome": plain_text}
    assert sql.value("SELECT COUNT(*) AS n FROM notification_templates WHERE account_id IS NULL"
                     " AND name='storefront-welcome'") == 1


def test_the_overview_says_the_pricing_model(api, make_tenant, make_account, disti, make_reseller):
    """Round-6 walkthrough of seed 001: "In welchem Preismodell befindet
    sich der Account?" -- the overview and /me carry the plan's name and
    pricing model, not only its code."""
    t = make_tenant("pm")
    cust = make_account(t.admin, "customer", t.account.id)
    view = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}"), 200)
    assert (view["plan"], view["plan_name"], view["pricing_model"]) == (None, None, None), view
    execute(api, t.admin, order(api, t.admin, cust.id, "professional")["id"])
    view = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}"), 200)
    assert (view["plan"], view["plan_name"], view["pricing_model"]) == \
        ("professional", "Professional", "per_unit"), view
    mine = [a for a in S.expect(api(t.admin).get("/api/v1/me"), 200)["accounts"]
            if a["id"] == str(cust.id)]
    assert [(a["plan_name"], a["pricing_model"]) for a in mine] == [("Professional", "per_unit")], \
        mine
    # A reseller on Basic, then Standard.
    r = make_reseller(disti)
    view = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)
    plans = {p["code"]: p for p in S.expect(api(r.admin).get("/api/v1/plans"), 200)["items"]}
    assert view["plan"] == "basic" and view["pricing_model"] == plans["basic"]["pricing_model"], view
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard", S.unique("pm"))["id"])
    view = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)
    assert (view["plan"], view["plan_name"], view["pricing_model"]) == \
        ("standard", plans["standard"]["name"], plans["standard"]["pricing_model"]), view
    me = S.expect(api(r.admin).get("/api/v1/me"), 200)["accounts"]
    assert [a["pricing_model"] for a in me if a["id"] == str(r.account.id)] == \
        [plans["standard"]["pricing_model"]], me


def test_a_quote_request_reaches_the_seller(api, make_tenant, make_account, make_person, set_roles,
                                            sql, mailbox):
    """Round-6 walkthrough of seed 004: "request quotes" was stored and
    nobody heard of it. The seller (the parent account) is mailed
    quote-requested at its named contacts (else admins) and recipients,
    with the lines, the total and where to read it; the asking account's
    people are not."""
    t = make_tenant("qr")
    sales = S.unique_mail("sales-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{t.account.id}/notification-recipients",
                              json={"emails": [sales]}), 200)
    cust = make_account(t.admin, "customer", t.account.id)
    buyer = make_person(prefix="qrb")
    set_roles(t.admin, cust.id, buyer, ["billing"])
    before = S.outbox_max_id(sql)
    q = S.expect(api(buyer).post(f"/api/v1/accounts/{cust.id}/quotes", json={
        "lines": [{"article": "professional", "quantity": 3},
                  {"article": "data-logger", "quantity": 2}]}), 201)
    rows = S.wait_outbox_settled(sql, after_id=before)
    told = {(r["account_id"], r["template"], r["recipient"].lower()) for r in rows}
    # The partner's admins (its creator olivia too) and its recipient; no
    # mail to the customer's own people.
    assert {(int(t.account.id), "quote-requested", t.admin.mail.lower()),
            (int(t.account.id), "quote-requested", sales.lower())} <= told, rows
    assert {(a, tpl) for a, tpl, _ in told} == {(int(t.account.id), "quote-requested")}, rows
    assert buyer.mail.lower() not in {x for _, _, x in told}, rows
    mails = mailbox.wait_for(to=sales, predicate=lambda m: f"request {q['id']} among" in m.body,
                             timeout=15)
    assert mails, "the seller's recipient got no mail"
    body = mails[-1].body.replace("\r\n", "\n")
    # The customer's own person by name alone (mail_actor_name), asking
    # for a quote for their account (migration 071; round-17 walkthrough
    # of seed 001, D2).
    assert mails[-1].subject.startswith(f"Quote requested for {cust.name} ("), mails[-1].subject
    assert f"{buyer.name} ({buyer.mail}) asks for a quote for {cust.name} (account {cust.id}):" \
        in body, body
    assert "  3 x Professional plan: " in body and "  2 x " in body and "Total: " in body, body
    # In words, not an API path (round-11 leftover of seed 000, D4); the
    # place named is the seller's, where its people may read it (round-20
    # walkthrough of seed 001, D3; migration 088).
    assert (f"This mail holds the whole request: answer {buyer.name} at {buyer.mail}. The"
            f" administrators, service providers and billing people of {t.account.name} also find"
            f" it as request {q['id']} among the quote requests to {t.account.name}.") in body, body
    assert (f"You get this mail as a contact, an admin or a notification recipient of"
            f" {t.account.name}, which sells to {cust.name}.") in body, body
    assert "/api/v1" not in body, body
    # A refused quote (an unknown article) mails nobody.
    before = S.outbox_max_id(sql)
    S.expect(api(buyer).post(f"/api/v1/accounts/{cust.id}/quotes", json={
        "lines": [{"article": "nope", "quantity": 1}]}), 422)
    assert S.outbox_rows(sql, after_id=before, account_id=t.account.id) == []


def test_a_quote_request_names_the_requester_as_the_other_mails_do(
        api, make_tenant, make_account, make_person, set_roles, sql, mailbox, disti,
        make_reseller, operator_id):
    """Round-17 walkthrough of seed 001, D2: a partner's admin asked for a
    quote for a customer of the partner and the mail to the partner's
    contact said "Ben (ben@…) of <the customer> asks for a quote", subject
    "<the customer> asks for a quote": Ben is the partner's. The requester
    is named as the invitations and the billing mails name who acted
    (mail_actor_name): a person of an account above by "of <that
    account>", also when they hold a role in the customer too, operator
    staff "on behalf of <the partner>"; the mail asks "for <the
    customer>" (migration 071). Who may not ask is refused and mails
    nobody."""
    t = make_tenant("qr17")
    sales = S.unique_mail("sales17-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{t.account.id}/notification-recipients",
                              json={"emails": [sales]}), 200)
    cust = make_account(t.admin, "customer", t.account.id)  # t.admin: admin of both
    lines = {"lines": [{"article": "data-logger", "quantity": 1}]}

    def asked(who, account_id, to):
        before = S.outbox_max_id(sql)
        q = S.expect(api(who).post(f"/api/v1/accounts/{account_id}/quotes", json=lines), 201)
        mails = mailbox.wait_for(to=to, predicate=lambda m: f"request {q['id']} among" in m.body,
                                 timeout=15)
        assert mails, (who, S.outbox_rows(sql, after_id=before))
        return mails[-1].subject, mails[-1].body.replace("\r\n", "\n")

    subject, body = asked(t.admin, cust.id, sales)
    assert subject.startswith(f"Quote requested for {cust.name} ("), subject
    assert (f"\n\n{t.admin.name} of {t.account.name} ({t.admin.mail}) asks for a quote for"
            f" {cust.name} (account {cust.id}):\n  1 x ") in body, body
    assert f": answer {t.admin.name} of {t.account.name} at {t.admin.mail}." in body, body
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)
    subject, body = asked("olivia", cust.id, sales)
    assert (f"\n\n{olivia['name']} on behalf of {t.account.name} ({olivia['mail']}) asks for a quote"
            f" for {cust.name} (account {cust.id}):\n") in body, body
    # A distributor's billing person, who holds no role in the reseller
    # (its back office): of the distributor.
    r = make_reseller(disti)
    subject, body = asked(disti.billing, r.account.id, disti.admin.mail)
    assert subject.startswith(f"Quote requested for {r.account.name} ("), subject
    assert (f"\n\n{disti.billing.name} of {disti.account.name} ({disti.billing.mail}) asks for a"
            f" quote for {r.account.name} (account {r.account.id}):\n") in body, body
    # Who may not: a member of the customer (403, the route's roles),
    # another tenant (404); no mail.
    member = make_person(prefix="qr17m")
    set_roles(t.admin, cust.id, member, ["member"])
    other = make_tenant("qr17o")
    before = S.outbox_max_id(sql)
    p = S.expect_problem(api(member).post(f"/api/v1/accounts/{cust.id}/quotes", json=lines), 403,
                         "forbidden")
    assert p["detail"] == ("your role in this account does not allow this: it needs admin or"
                           " billing; ask an administrator of the account"), p
    S.expect_problem(api(other.admin).post(f"/api/v1/accounts/{cust.id}/quotes", json=lines), 404)
    assert S.outbox_rows(sql, after_id=before, account_id=t.account.id) == []


def test_the_seller_reads_the_quote_requests_made_to_it(api, make_tenant, make_account, make_person,
                                                       set_roles, sql, mailbox):
    """Round-20 walkthrough of seed 001, D3: Ben, a second admin of the
    partner, created a customer (so Anna, the partner's contact, is no
    member of it) and asked for a quote there; Anna's mail said "You find
    it as quote 3 among the quotes of <the customer>", where she got 403,
    and the partner's own quotes were empty. Decision: the quotes asked
    for from an account (its children's requests, quotes.seller_id) are
    listed in GET /accounts/{seller}/quote-requests (and one in
    …/quote-requests/{qid}), each naming the asking account, for the
    seller's admins, service providers and billing people (who read its
    table of children); a member of the seller 403, another tenant 404.
    The customer's own quotes list is unchanged, and the partner's admin
    still may not enter the customer. The mail says it holds the whole
    request and names the seller's list (migration 088)."""
    t = make_tenant("q20")
    ben = make_person(prefix="q20b")
    set_roles(t.admin, t.account.id, ben, ["admin"])
    cust = make_account(ben, "customer", t.account.id)
    before = S.outbox_max_id(sql)
    lines = {"lines": [{"article": "starter", "quantity": 1}]}
    q = S.expect(api(ben).post(f"/api/v1/accounts/{cust.id}/quotes", json=lines), 201)
    mails = mailbox.wait_for(to=t.admin.mail,
                             predicate=lambda m: f"request {q['id']} among" in m.body, timeout=15)
    assert mails, S.outbox_rows(sql, after_id=before)
    body = mails[-1].body.replace("\r\n", "\n")
    assert (f"also find it as request {q['id']} among the quote requests to {t.account.name}."
            in body), body
    assert "among the quotes of" not in body, body
    # Where the mail sends Anna: 200, the quote as the customer's list
    # shows it, with the asking account named.
    mine = S.expect(api(ben).get(f"/api/v1/accounts/{cust.id}/quotes/{q['id']}"), 200)
    listed = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/quote-requests"), 200)
    assert listed["next_cursor"] is None, listed
    assert listed["items"] == [dict(mine, account_id=cust.id, account_name=cust.name)], listed
    one = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/quote-requests/{q['id']}"),
                   200)
    assert one == listed["items"][0], one
    # The customer itself stays hers to enter only as a member (decided:
    # round-14 walkthrough of seed 001, D1).
    S.expect_problem(api(t.admin).get(f"/api/v1/accounts/{cust.id}/quotes/{q['id']}"), 403)
    # The customer's people read their own quotes as before; the customer
    # sells to nobody: its quote requests are none.
    assert [i["id"] for i in S.expect(api(ben).get(f"/api/v1/accounts/{cust.id}/quotes"),
                                      200)["items"]] == [q["id"]]
    assert S.expect(api(ben).get(f"/api/v1/accounts/{cust.id}/quote-requests"),
                    200)["items"] == []
    # Newest first, paged; the partner's own quote (asked from the
    # operator) is no request to it.
    cust2 = make_account(t.admin, "customer", t.account.id)
    q2 = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust2.id}/quotes", json=lines), 201)
    S.expect(api(t.admin).post(f"/api/v1/accounts/{t.account.id}/quotes", json={
        "lines": [{"article": "data-logger", "quantity": 1}]}), 201)
    page = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/quote-requests",
                                     params={"limit": 1}), 200)
    assert [(i["id"], i["account_id"]) for i in page["items"]] == [(q2["id"], cust2.id)], page
    page = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/quote-requests",
                                     params={"limit": 1, "cursor": page["next_cursor"]}), 200)
    assert [i["id"] for i in page["items"]] == [q["id"]], page
    S.expect_field_errors(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/quote-requests",
                                           params={"status": "requested"}), "status")
    # Who reads them: the seller's billing people and service providers
    # (200); a member of the seller 403 (decided: the requests are the
    # customers' business with the seller's sales people, as the table of
    # children is); another tenant 404, also for one quote; a quote of
    # another seller is 404 here.
    for role in ("billing", "service-provider"):
        p = make_person(prefix="q20r")
        set_roles(t.admin, t.account.id, p, [role])
        assert S.expect(api(p).get(f"/api/v1/accounts/{t.account.id}/quote-requests/{q['id']}"),
                        200) == one
    m = make_person(prefix="q20m")
    set_roles(t.admin, t.account.id, m, ["member"])
    problem = S.expect_problem(api(m).get(f"/api/v1/accounts/{t.account.id}/quote-requests"), 403,
                               "forbidden")
    assert problem["detail"] == ("your role in this account does not allow this: it needs admin,"
                                 " service-provider or billing; ask an administrator of the"
                                 " account"), problem
    S.expect_problem(api(m).get(f"/api/v1/accounts/{t.account.id}/quote-requests/{q['id']}"), 403)
    other = make_tenant("q20o")
    for path in (f"/api/v1/accounts/{t.account.id}/quote-requests",
                 f"/api/v1/accounts/{t.account.id}/quote-requests/{q['id']}"):
        S.expect_problem(api(other.admin).get(path), 404)
    S.expect_problem(api(other.admin).get(f"/api/v1/accounts/{other.account.id}/quote-requests/"
                                          f"{q['id']}"), 404, "not-found")
    assert S.expect(api(other.admin).get(f"/api/v1/accounts/{other.account.id}/quote-requests"),
                    200)["items"] == []
    # The quote records its seller.
    assert sql.value("SELECT seller_id FROM quotes WHERE id=%s", int(q["id"])) == int(t.account.id)


def test_a_resellers_contact_who_joins_after_the_order_gets_the_storefront_welcome(
        api, disti, sql, mailbox, invitation_mail):
    """Round-12 walkthrough of seed 002, D3: the distributor creates a
    reseller with a contact (invited as admin, pending) and executes its
    plan order at once; the storefront welcome went to the account's admins
    (the distributor's creator) and the template's extra recipients, and
    the contact, who accepted later, never learnt the storefront's URL.
    Decision: the contact gets the storefront-welcome when they accept and
    are named the contact (not at execute time: the invitee is no person of
    the account yet and may never be); once, to them only. A contact whose
    account has no storefront, or whose address had the welcome already,
    gets none."""
    watch = S.unique_mail("bss-late-")
    S.expect(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/notification-templates/storefront-welcome"
        "/recipients", json={"emails": [watch]}), 200)

    def reseller_with_contact(prefix):
        email = S.unique_mail(prefix)
        before = S.outbox_max_id(sql)
        acc = S.expect(api(disti.admin).post("/api/v1/accounts", json={
            "kind": "partner", "name": S.unique("it-late-"), "parent_id": disti.account.id,
            "contact": {"first_name": "Hana", "last_name": "Five", "email": email}}), 201)
        assert acc["contact"]["status"] == "invited", acc
        _, token = invitation_mail(email, after=before)
        return acc, email, token

    def welcomes(account_id):
        return [(x["recipient"].lower(), x["status"]) for x in S.wait_outbox_settled(
            sql, account_id=account_id) if x["template"] == "storefront-welcome"]

    acc, hana, token = reseller_with_contact("hana-")
    alias = S.unique("late-")
    done = execute(api, disti.admin, order(api, disti.admin, acc["id"], "reseller-free",
                                           alias)["id"])
    url = done["subscription"]["storefront"]["url"]
    number = done["invoice"]["number"]
    # At execute time: the distributor's admin (the account's admin) and
    # the extra recipient; not the pending contact.
    assert sorted(welcomes(acc["id"])) == sorted([(disti.admin.mail.lower(), "sent"),
                                                  (watch.lower(), "sent")])
    # She accepts: named the contact, and welcomed with the URL.
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, uid=S.unique("hana"), password="hana-pw-12345"), 200)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=acc["id"], after_id=before)
            if x["template"] == "storefront-welcome"]
    assert [(x["recipient"].lower(), x["status"]) for x in rows] == [(hana.lower(), "sent")], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    text = mails[0].body.replace("\r\n", "\n")
    assert mails[0].subject == f"{acc['name']}: your Free Edition storefront is ready", \
        mails[0].subject
    assert f"Your storefront: {url}\n" in text, text
    # Round-14 walkthrough of seed 002, D2: with the organization the
    # distributor's admin acts for, as the order's own welcome says.
    assert f"Ordered by {disti.admin.name} of {disti.account.name}." in text, text
    assert f"Invoice {number} bills" in text, text
    # An active subscription: no cancellation line (round-15 walkthrough
    # of seed 002, D2), no moved storefront.
    assert "cancelled as of" not in text and "no longer leads" not in text, text
    # The contact change is mailed as before; the extra recipient got the
    # welcome once, with the order.
    assert [x["recipient"].lower() for x in S.outbox_rows(sql, account_id=acc["id"])
            if x["template"] == "storefront-welcome" and x["recipient"].lower() == watch.lower()
            ] == [watch.lower()]

    # No storefront: no welcome at the accept.
    plain, _, token = reseller_with_contact("hanb-")
    S.expect(S.accept_invitation(api, token, uid=S.unique("hanb"), password="hanb-pw-12345"), 200)
    assert welcomes(plain["id"]) == []
    # An address that had the welcome already (a notification recipient
    # then) gets no second one.
    again, hanc, token = reseller_with_contact("hanc-")
    S.expect(api(disti.admin).put(f"/api/v1/accounts/{again['id']}/notification-recipients",
                                  json={"emails": [hanc]}), 200)
    execute(api, disti.admin, order(api, disti.admin, again["id"], "reseller-free",
                                    S.unique("late-"))["id"])
    S.expect(S.accept_invitation(api, token, uid=S.unique("hanc"), password="hanc-pw-12345"), 200)
    assert sorted(welcomes(again["id"])) == sorted([
        (disti.admin.mail.lower(), "sent"), (watch.lower(), "sent"), (hanc.lower(), "sent")])


def test_a_distributor_adds_recipients_to_the_storefront_welcome(api, disti, make_reseller,
                                                                 make_tenant, sql, mailbox):
    """Seed 002: the storefront welcome "will be sent to the reseller's
    primary contact, but you can add any other preferred recipients from
    the Notifications menu in the Setup environment of your BSS" (round-6
    walkthrough: the distributor's recipients got none of its resellers'
    mails). PUT …/notification-templates/{name}/recipients names them."""
    path = (f"/api/v1/accounts/{disti.account.id}/notification-templates/storefront-welcome"
            "/recipients")
    watch = S.unique_mail("bss-watch-")
    assert S.expect(api(disti.admin).get(path), 200) == {"name": "storefront-welcome", "emails": [],
                                                         "inherited": []}
    got = S.expect(api(disti.admin).put(path, json={"emails": [watch, watch.upper()]}), 200)
    assert got == {"name": "storefront-welcome", "emails": [watch]}, got
    assert S.expect(api(disti.admin).get(path), 200)["emails"] == [watch]
    row = [a for a in sql.audit(disti.account.id) if a["action"] == "template.recipients"][-1]
    assert row["old_value"] == {"name": "storefront-welcome", "emails": []}, row
    assert row["new_value"] == {"name": "storefront-welcome", "emails": [watch]}, row
    r = make_reseller(disti)
    alias = S.unique("bw-")
    before = S.outbox_max_id(sql)
    execute(api, disti.admin, order(api, disti.admin, r.account.id, "reseller-standard",
                                    alias)["id"])
    rows = S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
    assert watch.lower() in {x["recipient"].lower() for x in rows
                             if x["template"] == "storefront-welcome"}, rows
    mails = mailbox.wait_for(lambda m: alias in m.body, to=watch, timeout=15)
    assert mails and r.account.name in mails[-1].subject, mails
    # Only that template: an add-on's plan-welcome does not go there.
    before = S.outbox_max_id(sql)
    draft = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "api-seats", "quantity": 1}]}), 201)
    execute(api, r.admin, draft["id"])
    rows = S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
    assert rows and watch.lower() not in {x["recipient"].lower() for x in rows}, rows
    # Refusals, nothing written: a bad address, an invitation (its link is
    # the invitee's), an account that is no distributor, who may not.
    bad = S.expect_field_errors(api(disti.admin).put(path, json={"emails": ["not-an-address"]}),
                                "emails[0]")
    assert bad
    inv = path.replace("storefront-welcome", "invitation")
    S.expect_problem(api(disti.admin).put(inv, json={"emails": [watch]}), 409, "conflict")
    S.expect_problem(api(disti.admin).put(path.replace("storefront-welcome", "nope"),
                                          json={"emails": [watch]}), 404, "not-found")
    S.expect_problem(api(r.admin).put(path.replace(str(disti.account.id), str(r.account.id)),
                                      json={"emails": [watch]}), 409, "conflict")
    S.expect_problem(api(disti.member).put(path, json={"emails": []}), 403)
    S.expect_problem(api(disti.member).get(path), 403)
    other = make_tenant("bwo")
    S.expect_problem(api(other.admin).get(path), 404)
    S.expect_problem(api(other.admin).put(path, json={"emails": []}), 404)
    assert S.expect(api(disti.admin).get(path), 200)["emails"] == [watch]
    # An empty list ends it.
    assert S.expect(api(disti.admin).put(path, json={"emails": []}), 200)["emails"] == []


def test_an_add_on_names_the_accounts_storefront_in_the_audit_trail(api, disti, make_reseller,
                                                                    env, sql):
    """Round-6 walkthrough of seed 002, D2: an add-on's order.execute and
    subscription.end rows said the account had no storefront while it had
    an active one; they name it, before and after alike."""
    r = make_reseller(disti)
    alias = S.unique("ao")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard", alias)["id"])
    draft = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "api-seats", "quantity": 1}]}), 201)
    addon = execute(api, r.admin, draft["id"])["subscription"]
    row = [a for a in sql.audit(r.account.id) if a["action"] == "order.execute"][-1]
    for side in ("old_value", "new_value"):
        assert (row[side]["storefront_alias"], row[side]["storefront_status"]) == \
            (alias, "active"), row
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{addon['id']}/cancel"), 200)
    run_maint(env, later(addon["ends_at"], seconds=1))
    row = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.end"][-1]
    assert str(row["new_value"]["subscription_id"]) == str(addon["id"]), row
    for side in ("old_value", "new_value"):
        assert row[side]["storefront"]["alias"] == alias, row
        assert row[side]["storefront"]["status"] == "active", row
    # A customer without a storefront: null as before.
    assert sql.value("SELECT COUNT(*) AS n FROM storefronts WHERE account_id=%s",
                     int(r.account.id)) == 1


# ------------------------------------------------- first-time mistakes (round 6)

def error_query(resp):
    from urllib.parse import parse_qsl, urlsplit
    assert resp.status_code == 303, S.describe(resp)
    return dict(parse_qsl(urlsplit(resp.headers["Location"]).query, keep_blank_values=True))


def test_a_taken_alias_is_marked_on_its_field(api, disti, make_reseller, sql):
    """Round-6 walkthrough of seed 002, D7: a taken storefront alias is 409
    (documented) with errors.storefront_alias, at the draft, at execute
    and at an upgrade, and a form's error_to gets errors[storefront_alias],
    so that a checkout form marks the field. Nothing changes."""
    holder, r = make_reseller(disti), make_reseller(disti)
    alias = S.unique("tk-")
    execute(api, holder.admin, order(api, holder.admin, holder.account.id, "reseller-free", alias)["id"])
    # The draft.
    body = S.expect_problem(order(api, disti.admin, r.account.id, "reseller-free", alias, status=409),
                            409, "conflict")
    assert body["errors"] == {"storefront_alias": "is taken; choose another one"}, body
    assert alias in body["detail"], body
    # Execute, JSON and form.
    draft = order(api, disti.admin, r.account.id, "reseller-free")
    path = f"/api/v1/orders/{draft['id']}/execute"
    body = S.expect_problem(api(disti.admin).post(path, json={"storefront_alias": alias}), 409, "conflict")
    assert body["errors"] == {"storefront_alias": "is taken; choose another one"}, body
    front = S.ORIGIN + "/app/checkout"
    q = error_query(api(disti.admin).form("POST", path, [("storefront_alias", alias), ("error_to", front)]))
    assert (q["status"], q["error"]) == ("409", "conflict"), q
    assert q["errors[storefront_alias]"] == "is taken; choose another one", q
    assert q["values[storefront_alias]"] == alias, q
    assert order_row(sql, draft["id"]) == {"status": "draft", "storefront_alias": None}
    # An upgrade that names it.
    own = S.unique("own-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", own)["id"])[
        "subscription"]["id"]
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                              json={"plan": "standard", "storefront_alias": alias}),
                            409, "conflict")
    assert body["errors"] == {"storefront_alias": "is taken; choose another one"}, body
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert got["plan"] == "free" and got["storefront"]["alias"] == own, got
    # Other conflicts carry no errors.
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                              json={"plan": "free"}), 409, "conflict")
    assert "errors" not in body, body


def test_a_member_is_told_who_may_withdraw_a_cancellation(api, licensed, sql):
    """Round-6 walkthrough of seed 004, D6: a member's renew of a pending
    cancellation said "uncancel it first", which a member may not (403).
    The member is told who can; the admin and billing people, who may, are
    still told to uncancel. Nothing is renewed."""
    t, cust, member = licensed
    sid = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}/subscriptions"), 200)["items"][0]["id"]
    pending = S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    invoices = sql.value("SELECT COUNT(*) AS n FROM invoices WHERE account_id=%s", int(cust.id))
    detail = S.expect_problem(api(member).post(f"/api/v1/subscriptions/{sid}/renew"), 409, "conflict")["detail"]
    assert "uncancel it first" not in detail and "an admin or billing person" in detail, detail
    S.expect_problem(api(member).post(f"/api/v1/subscriptions/{sid}/uncancel"), 403)
    detail = S.expect_problem(api(t.admin).post(f"/api/v1/subscriptions/{sid}/renew"), 409, "conflict")["detail"]
    assert "uncancel it first" in detail, detail
    got = S.expect(api(member).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert (got["status"], got["ends_at"]) == ("pending_cancellation", pending["ends_at"]), got
    assert sql.value("SELECT COUNT(*) AS n FROM invoices WHERE account_id=%s", int(cust.id)) == invoices


def test_a_query_parameter_on_a_billing_action_changes_nothing(api, licensed, disti, make_reseller, sql):
    """Round-6 walkthrough of seed 002, D3: cancel?dry_run=1 really
    cancelled (and mailed); execute?storefront_alias=x executed without
    the alias. Both are 422 on the parameter, and nothing is done."""
    t, cust, member = licensed
    sid = S.expect(api(t.admin).get(f"/api/v1/accounts/{cust.id}/subscriptions"), 200)["items"][0]["id"]
    mails = S.outbox_max_id(sql)
    errors = S.expect_field_errors(api(t.admin).post(f"/api/v1/subscriptions/{sid}/cancel?dry_run=1"), "dry_run")
    assert "not accepted by this action" in errors["dry_run"], errors
    assert S.expect(api(t.admin).get(f"/api/v1/subscriptions/{sid}"), 200)["status"] == "active"
    assert S.outbox_max_id(sql) == mails
    assert "subscription.cancel" not in [a["action"] for a in sql.audit(cust.id)]
    r = make_reseller(disti)
    draft = order(api, disti.admin, r.account.id, "reseller-free")
    alias = S.unique("qa-")
    S.expect_field_errors(api(disti.admin).post(f"/api/v1/orders/{draft['id']}/execute?storefront_alias={alias}"),
                          "storefront_alias")
    assert order_row(sql, draft["id"]) == {"status": "draft", "storefront_alias": None}
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{alias}?distributor_id={disti.account.id}"),
                    200)["available"] is True
    # Without the query both work.
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    done = S.expect(api(disti.admin).post(f"/api/v1/orders/{draft['id']}/execute",
                                          json={"storefront_alias": alias}), 200)
    assert done["subscription"]["storefront"]["alias"] == alias


# ---------------------------------------------------------------- members order add-ons

class AddOnShop:
    def __init__(self, tenant, account, people, recipient):
        self.tenant, self.account, self.people, self.recipient = tenant, account, people, recipient


@pytest.fixture
def addon_shop(api, make_tenant, make_account, make_person, set_roles):
    """Round-8 walkthrough of seed 004: a distributor's customer on starter
    (ordered by the distributor's admin, the back office; round-17
    walkthrough of seed 001, D1: a partner has none) with its own admin
    (its primary contact), a billing person, a member, a service provider
    and a notification recipient."""
    t = make_tenant("ao", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    people = {}
    for role in ("admin", "billing", "member", "service-provider"):
        people[role] = make_person(prefix="ao" + role[0])
        set_roles("olivia", cust.id, people[role], [role])
    S.expect(api("olivia").put(f"/api/v1/accounts/{cust.id}/contacts/primary",
                               json={"uid": people["admin"].uid}), 200)
    recipient = S.unique_mail("ao-notify-")
    S.expect(api("olivia").put(f"/api/v1/accounts/{cust.id}/notification-recipients",
                               json={"emails": [recipient]}), 200)
    execute(api, t.admin, order(api, t.admin, cust.id, "starter")["id"])
    return AddOnShop(t, cust, people, recipient)


def orders_count(sql, account_id):
    return sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(account_id))


def licenses_of(api, who, account_id):
    items = S.expect(api(who).get(f"/api/v1/accounts/{account_id}/licenses"), 200)["items"]
    return {l["feature"]: l["quantity"] for l in items}


MEMBER_PLAN_DETAIL = ("members order add-ons only; a plan is ordered by an administrator or billing"
                      " person of the account")


def test_a_member_orders_and_executes_add_ons(api, addon_shop, sql, mailbox):
    """Seed 004: additional users "Configure certain items such as the
    cloud subscription add-ons". A member (no other role) orders two data
    loggers, reads the draft, finds it in the account's orders and
    executes it: the licenses grow, an invoice is written, the account
    keeps its plan, and the welcome mail goes to the named contact, the
    notification recipient and (round-17 walkthrough of seed 004, D1) the
    member who executed it, greeted by name, saying who ordered."""
    shop = addon_shop
    member, admin = shop.people["member"], shop.people["admin"]
    acc = shop.account
    before_licenses = licenses_of(api, member, acc.id)
    invoices_before = sql.value("SELECT COUNT(*) FROM invoices WHERE account_id=%s", int(acc.id))
    r = api(member).post(f"/api/v1/accounts/{acc.id}/orders",
                         json={"lines": [{"article": "data-logger", "quantity": 2}]})
    draft = S.expect(r, 201)
    assert r.headers["Location"].endswith(f"/api/v1/orders/{draft['id']}"), S.describe(r)
    assert (draft["status"], draft["created_by"], draft["total"]) == ("draft", member.uid, money(2 * 990))
    assert S.expect(api(member).get(f"/api/v1/orders/{draft['id']}"), 200) == draft
    listed = S.expect(api(member).get(f"/api/v1/accounts/{acc.id}/orders"), 200)["items"]
    assert listed[0] == draft, listed
    # The admin sees the member's draft too.
    assert S.expect(api(admin).get(f"/api/v1/orders/{draft['id']}"), 200) == draft
    mails = S.outbox_max_id(sql)
    done = execute(api, member, draft["id"])
    assert done["order"]["status"] == "executed" and done["subscription"]["plan"] is None, done
    assert done["invoice"]["reason"] == "order" and done["invoice"]["total"] == money(2 * 990), done
    after = licenses_of(api, member, acc.id)
    assert after["data-loggers"] == before_licenses["data-loggers"] + 2, (before_licenses, after)
    assert after["assets"] == before_licenses["assets"], after
    invoices = S.expect(api(member).get(f"/api/v1/accounts/{acc.id}/invoices"), 200)["items"]
    assert invoices[0]["id"] == done["invoice"]["id"] and len(invoices) == invoices_before + 1
    row = sql.row("SELECT status, created_by, executed_by FROM orders WHERE id=%s", int(draft["id"]))
    assert row == {"status": "executed", "created_by": member.uid, "executed_by": member.uid}, row
    assert S.expect(api(member).get(f"/api/v1/accounts/{acc.id}"), 200)["plan"] == "starter"
    actions = [(a["action"], a["uid"]) for a in sql.audit(acc.id)]
    assert ("order.create", member.uid) in actions and ("order.execute", member.uid) in actions
    # The welcome mail: the usual people, naming the member who ordered,
    # and the member, whose own action it was (round-17 walkthrough of
    # seed 004, D1: before, the member had no record of it).
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=mails)
            if r["template"] == "plan-welcome"]
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [admin.mail.lower(), shop.recipient.lower(), member.mail.lower()]), rows
    got = mailbox.wait_for(outbox_ids={r["id"] for r in rows}, count=len(rows))
    assert len(got) == 3, got
    for m in got:
        body = m.body.replace("\r\n", "\n")
        # The member's own copy speaks to them (round-26 walkthrough of
        # seed 001, D1).
        by = "you" if m.sent_to(member.mail) else member.name
        assert f"Ordered by {by}." in body and "2 x Data logger license" in body, body
        assert f"Invoice {done['invoice']['number']} bills " in body, body
    mine = mailbox.matching(outbox_ids={r["id"] for r in rows}, to=member.mail)
    assert len(mine) == 1, mine
    assert mine[0].body.replace("\r\n", "\n").startswith(f"Hello {member.name},\n\n"), mine[0].body


def test_a_members_plan_order_is_refused_and_writes_nothing(api, addon_shop, sql):
    """A member may not order a plan, also next to add-ons, also with a
    line the body gets wrong otherwise: 403 before any field error, on the
    plan's line; no order, no audit row."""
    shop = addon_shop
    member, acc = shop.people["member"], shop.account
    path = f"/api/v1/accounts/{acc.id}/orders"
    orders, audit = orders_count(sql, acc.id), len(sql.audit(acc.id))
    for lines, field in (([{"article": "professional", "quantity": 3}], "lines[0].article"),
                         ([{"article": "assets-pack", "quantity": 1},
                           {"article": "enterprise", "quantity": 1}], "lines[1].article"),
                         # a reseller plan on a customer account, a bad quantity of a
                         # flat plan, an unknown article beside a plan: still 403
                         ([{"article": "reseller-standard", "quantity": 1}], "lines[0].article"),
                         ([{"article": "starter", "quantity": 4}], "lines[0].article"),
                         ([{"article": "nope", "quantity": 1},
                           {"article": "professional", "quantity": 1}], "lines[1].article")):
        body = S.expect_problem(api(member).post(path, json={"lines": lines}), 403, "forbidden")
        assert body["detail"] == MEMBER_PLAN_DETAIL, body
        assert body["errors"] == {field: "is a plan: members order add-ons only"}, body
    assert orders_count(sql, acc.id) == orders and len(sql.audit(acc.id)) == audit
    # A checkout form: error_to gets the problem and the marked line.
    front = S.ORIGIN + "/app/checkout"
    q = error_query(api(member).form("POST", path, [("lines[0][article]", "professional"),
                                                    ("lines[0][quantity]", "2"), ("error_to", front)]))
    assert (q["status"], q["error"], q["detail"]) == ("403", "forbidden", MEMBER_PLAN_DETAIL), q
    assert q["errors[lines[0].article]"] == "is a plan: members order add-ons only", q
    assert orders_count(sql, acc.id) == orders
    # The same member's add-ons are fine, as a form too.
    r = api(member).form("POST", path, [("lines[0][article]", "api-seats"),
                                        ("lines[0][quantity]", "1"), ("return_to", S.ORIGIN + "/app/o/{id}")])
    assert r.status_code == 303 and re.search(r"/app/o/\d+$", r.headers["Location"]), S.describe(r)
    assert orders_count(sql, acc.id) == orders + 1


def test_a_member_cannot_execute_or_discard_a_plan_order(api, addon_shop, sql):
    """An admin's draft with a plan stays the admins' and billing people's:
    a member's execute and discard are 403 and it stays a draft (also once
    it is no draft: 403, not 409). Add-on drafts a member executes and
    discards, whoever made them."""
    shop = addon_shop
    member, admin, billing = shop.people["member"], shop.people["admin"], shop.people["billing"]
    acc = shop.account
    plan = order(api, admin, acc.id, "professional")
    mails = S.outbox_max_id(sql)
    for action in ("execute", "discard"):
        body = S.expect_problem(api(member).post(f"/api/v1/orders/{plan['id']}/{action}"), 403, "forbidden")
        assert body["detail"].startswith(f"this order holds a plan (Professional plan): members {action}"
                                         " orders of add-ons only; a plan is ordered by an administrator"), body
        assert "errors" not in body, body
    row = sql.row("SELECT status, executed_by, discarded_by FROM orders WHERE id=%s", int(plan["id"]))
    assert row == {"status": "draft", "executed_by": None, "discarded_by": None}, row
    assert S.expect(api(member).get(f"/api/v1/orders/{plan['id']}"), 200)["status"] == "draft"
    assert S.expect(api(member).get(f"/api/v1/accounts/{acc.id}"), 200)["plan"] == "starter"
    assert not [a for a in sql.audit(acc.id) if a["action"] in ("order.execute", "order.discard")
                and a["uid"] == member.uid]
    assert S.outbox_max_id(sql) == mails
    # Billing executes it as before; the member's discard is still 403.
    assert execute(api, billing, plan["id"])["subscription"]["plan"] == "professional"
    S.expect_problem(api(member).post(f"/api/v1/orders/{plan['id']}/discard"), 403, "forbidden")
    # The member discards their own add-on draft and an admin's.
    own = order(api, member, acc.id, "assets-pack")
    theirs = order(api, admin, acc.id, "api-seats")
    for draft in (own, theirs):
        got = S.expect(api(member).post(f"/api/v1/orders/{draft['id']}/discard"), 200)
        assert got["status"] == "discarded" and got["discarded_at"], got
        assert sql.value("SELECT discarded_by FROM orders WHERE id=%s", int(draft["id"])) == member.uid
    S.expect_problem(api(member).post(f"/api/v1/orders/{own['id']}/execute"), 409, "conflict")
    # An admin's add-on draft the member executes.
    theirs = order(api, admin, acc.id, "api-seats")
    assert execute(api, member, theirs["id"])["order"]["status"] == "executed"


def test_who_else_orders_add_ons(api, addon_shop, sql, make_tenant, make_person, set_roles):
    """A service provider reads orders but orders, executes and discards
    none (DESIGN: "read billing"), unless also a member (then add-ons
    only); a member of the distributor above and a member of another tenant
    get 404; billing and admin order plans as before."""
    shop = addon_shop
    acc, sp, billing, admin = shop.account, shop.people["service-provider"], shop.people["billing"], \
        shop.people["admin"]
    path = f"/api/v1/accounts/{acc.id}/orders"
    addons = {"lines": [{"article": "assets-pack", "quantity": 1}]}
    draft = order(api, shop.people["member"], acc.id, "assets-pack")
    orders = orders_count(sql, acc.id)
    S.expect_problem(api(sp).post(path, json=addons), 403, "forbidden")
    for action in ("execute", "discard"):
        S.expect_problem(api(sp).post(f"/api/v1/orders/{draft['id']}/{action}"), 403, "forbidden")
    S.expect(api(sp).get(f"/api/v1/orders/{draft['id']}"), 200)
    S.expect(api(sp).get(path), 200)
    # Another tenant's member (and its admin), the distributor's member: 404.
    other = make_tenant("aoo")
    stranger = make_person(prefix="aoom")
    set_roles(other.admin, other.account.id, stranger, ["member"])
    parent_member = make_person(prefix="aopm")
    set_roles(shop.tenant.admin, shop.tenant.account.id, parent_member, ["member"])
    for who in (stranger, other.admin, parent_member):
        S.expect_problem(api(who).post(path, json=addons), 404, "not-found")
        S.expect_problem(api(who).get(path), 404, "not-found")
        S.expect_problem(api(who).get(f"/api/v1/orders/{draft['id']}"), 404, "not-found")
        S.expect_problem(api(who).post(f"/api/v1/orders/{draft['id']}/execute"), 404, "not-found")
    assert orders_count(sql, acc.id) == orders
    assert sql.value("SELECT status FROM orders WHERE id=%s", int(draft["id"])) == "draft"
    # A service provider who is also a member: add-ons, not plans.
    set_roles("olivia", acc.id, sp, ["service-provider", "member"])
    S.expect(api(sp).post(path, json=addons), 201)
    S.expect_problem(api(sp).post(path, json={"lines": [{"article": "professional", "quantity": 1}]}),
                     403, "forbidden")
    # Billing and admin: plans and add-ons as before.
    plan = S.expect(api(billing).post(path, json={"lines": [{"article": "professional", "quantity": 2},
                                                            {"article": "assets-pack", "quantity": 1}]}), 201)
    S.expect(api(admin).post(f"/api/v1/orders/{plan['id']}/discard"), 200)
    plan = order(api, admin, acc.id, "enterprise")
    assert execute(api, billing, plan["id"])["subscription"]["plan"] == "enterprise"


def test_a_members_keys_and_forms(api, addon_shop, sql, set_roles):
    """Idempotency-Key for a member: a refused plan order frees the key
    (the same key then makes the add-on draft, once); a billing person made
    member who repeats the key of their plan order gets its kept answer
    (nothing is done) while a new plan order is 403."""
    shop = addon_shop
    member, acc = shop.people["member"], shop.account
    path = f"/api/v1/accounts/{acc.id}/orders"
    k = S.unique("ao-key-")
    orders = orders_count(sql, acc.id)
    S.expect_problem(api(member).post(path, json={"lines": [{"article": "professional", "quantity": 1}]},
                                      headers={"Idempotency-Key": k}), 403, "forbidden")
    assert orders_count(sql, acc.id) == orders
    addons = {"lines": [{"article": "data-logger", "quantity": 1}]}
    first = S.expect(api(member).post(path, json=addons, headers={"Idempotency-Key": k}), 201)
    again = api(member).post(path, json=addons, headers={"Idempotency-Key": k})
    assert S.expect(again, 201) == first and again.headers.get("Idempotent-Replayed") == "true"
    assert orders_count(sql, acc.id) == orders + 1
    # Execute with a key: once.
    k2 = S.unique("ao-key-")
    done = S.expect(api(member).post(f"/api/v1/orders/{first['id']}/execute",
                                     headers={"Idempotency-Key": k2}), 200)
    replay = api(member).post(f"/api/v1/orders/{first['id']}/execute", headers={"Idempotency-Key": k2})
    assert S.expect(replay, 200) == done and replay.headers.get("Idempotent-Replayed") == "true"
    assert sql.value("SELECT COUNT(*) FROM subscriptions WHERE order_id=%s", int(first["id"])) == 1
    # A billing person's plan order, its key repeated after they became a member.
    buyer = shop.people["billing"]
    k3 = S.unique("ao-key-")
    plan_lines = {"lines": [{"article": "professional", "quantity": 1}]}
    made = S.expect(api(buyer).post(path, json=plan_lines, headers={"Idempotency-Key": k3}), 201)
    set_roles("olivia", acc.id, buyer, ["member"])
    replay = api(buyer).post(path, json=plan_lines, headers={"Idempotency-Key": k3})
    assert S.expect(replay, 201) == made and replay.headers.get("Idempotent-Replayed") == "true"
    S.expect_problem(api(buyer).post(path, json=plan_lines), 403, "forbidden")
    assert orders_count(sql, acc.id) == orders + 2


# ------------------------------------------- while the plan is pending cancellation (round 13)

def invoices_count(sql, account_id):
    return sql.value("SELECT COUNT(*) FROM invoices WHERE account_id=%s", int(account_id))


def subscriptions_count(sql, account_id):
    return sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s", int(account_id))


def test_no_add_on_is_ordered_while_the_plan_is_pending_cancellation(api, addon_shop, sql):
    """Round-13 walkthrough of seed 001, D1: while the plan subscription
    was pending cancellation a member ordered and executed a 12-month
    add-on; it became a subscription of its own that outlived the plan
    (against the cancellation mail) and kept the account from being
    closed. Such an order is 409 when the draft is made and at execute (a
    draft made before the cancel), naming the end and telling who may to
    withdraw the cancellation first; a form's error_to gets it. Nothing is
    written. After the uncancel the same draft executes."""
    shop = addon_shop
    member, billing, admin = shop.people["member"], shop.people["billing"], shop.people["admin"]
    acc = shop.account
    path = f"/api/v1/accounts/{acc.id}/orders"
    addons = {"lines": [{"article": "data-logger", "quantity": 2}]}
    early = S.expect(api(member).post(path, json=addons), 201)  # a draft made before the cancel
    sid = S.expect(api(admin).get(f"{path[:-len('/orders')]}/subscriptions"), 200)["items"][0]["id"]
    pending = S.expect(api(billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    ends = pending["ends_at"]
    orders, subs, invoices = orders_count(sql, acc.id), subscriptions_count(sql, acc.id), \
        invoices_count(sql, acc.id)
    audit, mails = len(sql.audit(acc.id)), S.outbox_max_id(sql)
    head = (f"the account's Starter subscription (subscription {sid}) is pending cancellation and"
            f" ends at {ends}; add-ons are not ordered for a plan that ends: ")
    for_member = head + ("an admin or billing person of the account can withdraw the cancellation"
                         " first (uncancel)")
    for_billing = head + "withdraw the cancellation first (uncancel), then order them"
    # The draft: the member, billing, the distributor's admin (back office).
    body = S.expect_problem(api(member).post(path, json=addons), 409, "conflict")
    assert body["detail"] == for_member and "errors" not in body, body
    for who in (billing, shop.tenant.admin):
        body = S.expect_problem(api(who).post(path, json=addons), 409, "conflict")
        assert body["detail"] == for_billing, body
    # A checkout form gets it at its error_to.
    front = S.ORIGIN + "/app/checkout"
    q = error_query(api(member).form("POST", path, [("lines[0][article]", "assets-pack"),
                                                    ("lines[0][quantity]", "1"), ("error_to", front)]))
    assert (q["status"], q["error"], q["detail"]) == ("409", "conflict", for_member), q
    # Execute of the draft made before: the same, and it stays a draft.
    body = S.expect_problem(api(member).post(f"/api/v1/orders/{early['id']}/execute"), 409, "conflict")
    assert body["detail"] == for_member, body
    body = S.expect_problem(api(billing).post(f"/api/v1/orders/{early['id']}/execute"), 409,
                            "conflict")
    assert body["detail"] == for_billing, body
    q = error_query(api(member).form("POST", f"/api/v1/orders/{early['id']}/execute",
                                     [("error_to", front)]))
    assert (q["status"], q["detail"]) == ("409", for_member), q
    assert sql.value("SELECT status FROM orders WHERE id=%s", int(early["id"])) == "draft"
    assert (orders_count(sql, acc.id), subscriptions_count(sql, acc.id),
            invoices_count(sql, acc.id)) == (orders, subs, invoices)
    assert len(sql.audit(acc.id)) == audit and S.outbox_max_id(sql) == mails
    got = S.expect(api(member).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert (got["status"], got["ends_at"]) == ("pending_cancellation", ends), got
    # Withdrawn: the draft made before executes, the account keeps its plan.
    S.expect(api(billing).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    done = execute(api, member, early["id"])
    assert done["subscription"]["plan"] is None and done["subscription"]["status"] == "active", done
    S.expect(api(member).post(path, json=addons), 201)
    assert S.expect(api(member).get(f"/api/v1/accounts/{acc.id}"), 200)["plan"] == "starter"


def test_a_plan_order_follows_the_upgrades_rule_while_pending(api, disti, make_reseller, sql):
    """Round-13 walkthrough of seed 002, D2: while Free was pending
    cancellation, POST .../upgrade said "uncancel it first" but a Standard
    order was accepted and executed, replacing the pending subscription; a
    Free order said "already has this plan" without a word of uncancel.
    Both ways now answer alike: an order of another plan is 409 "uncancel
    it first" (at the draft, and at execute of a draft made before the
    cancel), and the same plan's 409 says to withdraw the cancellation
    instead, for a quote too. Nothing is written; after the uncancel the
    draft made before executes (an upgrade by order, as before)."""
    r = make_reseller(disti)
    acc = r.account
    alias = S.unique("pc-")
    sid = execute(api, r.admin, order(api, r.admin, acc.id, "reseller-free", alias)["id"])[
        "subscription"]["id"]
    early = order(api, r.billing, acc.id, "reseller-standard")
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    orders, subs, invoices = orders_count(sql, acc.id), subscriptions_count(sql, acc.id), \
        invoices_count(sql, acc.id)
    audit = len(sql.audit(acc.id))
    same = ("the account already has this plan; it is pending cancellation: withdraw the"
            " cancellation (uncancel) instead")
    other = (f"the account's Free Edition subscription (subscription {sid}) is pending cancellation"
             f" and ends at {ends}: uncancel it first, then order the plan change (as an upgrade of"
             f" it is refused); once it has ended, an order starts a new subscription")
    for who in (r.admin, r.billing, disti.admin):  # self-service and the back office
        body = S.expect_problem(order(api, who, acc.id, "reseller-free", status=409), 409, "conflict")
        assert body["detail"] == same, body
        body = S.expect_problem(order(api, who, acc.id, "reseller-standard", status=409), 409,
                                "conflict")
        assert body["detail"] == other, body
        body = S.expect_problem(api(who).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                              json={"plan": "standard"}), 409, "conflict")
        assert "uncancel it first" in body["detail"], body
    body = S.expect_problem(api(r.billing).post(f"/api/v1/accounts/{acc.id}/quotes", json={
        "lines": [{"article": "reseller-free", "quantity": 1}]}), 409, "conflict")
    assert body["detail"] == same, body
    # Execute of a draft made before the cancel: the same 409; the pending
    # subscription is not replaced.
    body = execute(api, r.billing, early["id"], status=409)
    assert body["detail"] == other, body
    assert sql.value("SELECT status FROM orders WHERE id=%s", int(early["id"])) == "draft"
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert (got["status"], got["ended_reason"], got["ends_at"]) == ("pending_cancellation", None, ends)
    assert S.expect(api(r.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["plan"] == "free"
    assert (orders_count(sql, acc.id), subscriptions_count(sql, acc.id),
            invoices_count(sql, acc.id)) == (orders, subs, invoices)
    assert len(sql.audit(acc.id)) == audit
    # Withdrawn: the Standard draft made before replaces Free.
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    done = execute(api, r.billing, early["id"])
    assert done["subscription"]["plan"] == "standard" and done["subscription"]["storefront"][
        "alias"] == alias, done
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert (got["status"], got["ended_reason"]) == ("cancelled", "replaced"), got


def test_a_cheaper_plan_while_pending_says_when_it_can_be_ordered(api, disti, make_reseller,
                                                                  make_tenant, sql):
    """Round-24 walkthrough of seed 002, D3: Juliet's Standard was pending
    cancellation and Jul ordered Free: the 409 said only "this plan change
    is not an upgrade the catalog allows", where re-ordering Standard and
    upgrading both said what to do. Decision: the refusal stays (nothing is
    ordered while the plan is pending cancellation), and names the pending
    plan, its subscription and its end, and that Free can be ordered once
    the account is back on Basic, or to uncancel to keep Standard; at the
    draft and at execute. Nothing is written."""
    r = make_reseller(disti)
    acc = r.account
    sid = execute(api, r.admin, order(api, r.admin, acc.id, "reseller-standard",
                                      S.unique("cf-"))["id"])["subscription"]["id"]
    early = order(api, r.billing, acc.id, "reseller-free", status=409)  # Standard to Free
    S.expect_problem(early, 409, "conflict")
    ends = S.expect(api(r.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    counts = (orders_count(sql, acc.id), subscriptions_count(sql, acc.id),
              invoices_count(sql, acc.id), len(sql.audit(acc.id)))
    wanted = (f"this plan change is not an upgrade the catalog allows: the account's Standard "
              f"Edition subscription (subscription {sid}) is pending cancellation and ends at "
              f"{ends}; the account is then back on Basic and can order Free Edition then. To "
              f"keep Standard Edition instead, withdraw the cancellation (uncancel)")
    for who in (r.admin, r.billing, disti.admin):  # self-service and the back office
        body = S.expect_problem(order(api, who, acc.id, "reseller-free", status=409), 409,
                                "conflict")
        assert body["detail"] == wanted, body
    # Roles that may not order a plan, another tenant: as before.
    S.expect_problem(order(api, r.member, acc.id, "reseller-free", status=403), 403)
    S.expect_problem(order(api, make_tenant("cf").admin, acc.id, "reseller-free", status=404),
                     404)
    assert (orders_count(sql, acc.id), subscriptions_count(sql, acc.id),
            invoices_count(sql, acc.id), len(sql.audit(acc.id))) == counts
    # Not pending: the plain refusal, as before.
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    body = S.expect_problem(order(api, r.admin, acc.id, "reseller-free", status=409), 409)
    assert body["detail"] == ("this plan change is not an upgrade the catalog allows: the account "
                              "is on Standard Edition, and Free Edition is no upgrade of it (no "
                              "plan is an upgrade of it)"), body


def test_after_the_term_end_an_order_starts_a_new_subscription(api, disti, make_reseller, env,
                                                               sql):
    """The other side of the rule above (the seed's "create a new
    subscription from the beginning"): once the pending cancellation took
    effect, the account is back on basic and a plan order, the draft made
    before the cancel included, starts a new subscription; add-ons are
    ordered again too."""
    r = make_reseller(disti)
    acc = r.account
    sid = execute(api, r.admin, order(api, r.admin, acc.id, "reseller-free", S.unique("te-"))[
        "id"])["subscription"]["id"]
    early = order(api, r.admin, acc.id, "reseller-standard")
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    execute(api, r.admin, early["id"], status=409)
    S.expect_problem(order(api, r.member, acc.id, "api-seats", status=409), 409, "conflict")
    run_maint(env, later(ends, seconds=1))
    assert S.expect(api(r.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["plan"] == "basic"
    done = execute(api, r.admin, early["id"])
    new = done["subscription"]
    assert new["id"] != sid and new["plan"] == "standard" and new["status"] == "active", new
    assert done["invoice"]["reason"] == "order", done
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert (got["status"], got["ended_reason"]) == ("cancelled", "cancelled"), got
    execute(api, r.member, order(api, r.member, acc.id, "api-seats")["id"])


def test_a_replaced_subscription_says_so_to_cancel_and_renew(api, disti, make_reseller, env, sql):
    """Round-13 walkthrough of seed 002, D4: on a subscription an order of
    another plan replaced, cancel said "already cancelled" and renew "order
    anew" (which would have the reseller buy Standard again); only uncancel
    said what became of it. cancel, renew and upgrade now say it was
    replaced and name the subscription the plan runs on now; once that one
    ended too, they say so. Nothing is written."""
    r = make_reseller(disti)
    acc = r.account
    first = execute(api, r.admin, order(api, r.admin, acc.id, "reseller-free", S.unique("rp-"))[
        "id"])["subscription"]["id"]
    second = execute(api, r.billing, order(api, r.billing, acc.id, "reseller-standard")["id"])[
        "subscription"]["id"]
    head = "this subscription was replaced by an order of another plan and ended then: "
    now = f"; the account's plan runs on subscription {second} now"
    want = {"cancel": head + "there is nothing to cancel" + now
            + " (Standard Edition, active): cancel that one",
            "renew": head + "it is not renewed" + now
            + " (Standard Edition, active): renew that one"}
    invoices, audit, mails = invoices_count(sql, acc.id), len(sql.audit(acc.id)), S.outbox_max_id(sql)
    for who in (r.admin, r.billing, disti.billing):
        for action, detail in want.items():
            body = S.expect_problem(api(who).post(f"/api/v1/subscriptions/{first}/{action}"), 409,
                                    "conflict")
            assert body["detail"] == detail, (action, body)
    body = S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{first}/renew"), 409,
                            "conflict")  # a member renews: told the same
    assert body["detail"] == want["renew"], body
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{first}/upgrade",
                                              json={"plan": "standard"}), 409, "conflict")
    # Standard has no plan above it: no "upgrade that one" (round-18
    # walkthrough of seed 002, D2).
    assert body["detail"] == (head + "it is not upgraded" + now
                              + ", which is already on Standard Edition, the highest plan"), body
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{first}/uncancel"), 409)
    assert body["detail"] == ("this subscription was replaced by an order of another plan; there"
                              " is no cancellation to withdraw"), body
    assert invoices_count(sql, acc.id) == invoices and len(sql.audit(acc.id)) == audit
    assert S.outbox_max_id(sql) == mails
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{first}"), 200)
    assert (got["status"], got["ended_reason"]) == ("cancelled", "replaced"), got
    # The subscription that replaced it ends at its term end: no pointer then.
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{second}/cancel"), 200)["ends_at"]
    run_maint(env, later(ends, seconds=1))
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{first}/cancel"), 409)
    assert body["detail"] == head + "there is nothing to cancel", body
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{first}/renew"), 409)
    assert body["detail"] == head + "it is not renewed", body
    # A subscription that ended at its term end keeps its words.
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{second}/renew"), 409)
    assert body["detail"] == "a cancelled subscription cannot be renewed; order anew", body
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{second}/cancel"), 409)
    assert body["detail"] == "the subscription is already cancelled", body


# ---------------------------------------------------------------- round 14: who acted, for whom

def billing_mails(api, sql, mailbox, who, path, template, to, body=None):
    """POST path as who; the template's mails of the change to each address
    in to, as {address: body with LF line ends}."""
    before = S.outbox_max_id(sql)
    S.expect(api(who).post(path, json=body) if body is not None else api(who).post(path), 200)
    rows = [x for x in S.wait_outbox_settled(sql, after_id=before) if x["template"] == template]
    got = {}
    for addr in to:
        mine = [x for x in rows if x["recipient"].lower() == addr.lower()]
        assert len(mine) == 1, (template, addr, rows)
        mails = mailbox.wait_for(outbox_id=mine[0]["id"], timeout=15)
        assert len(mails) == 1, mine
        got[addr] = mails[0].body.replace("\r\n", "\n")
    return got


def test_the_distributors_people_are_named_with_their_organization(api, disti, make_reseller,
                                                                   make_tenant, sql, mailbox):
    """Round-14 walkthrough of seed 002, D2: the distributor's billing
    person upgraded, cancelled and withdrew the cancellation of a
    reseller's subscription in the BSS, and the reseller's contact read
    "Bert Billing cancelled ...", a stranger's name. Decision: the billing
    mails name someone who is no person of the account as invitations do,
    "Bert Billing of <distributor>"."""
    r = make_reseller(disti)
    to = (r.admin.mail, r.recipient)
    of = f"{disti.billing.name} of {disti.account.name}"
    alias = S.unique("d2-")
    oid = order(api, disti.billing, r.account.id, "reseller-free", alias)["id"]
    for text in billing_mails(api, sql, mailbox, disti.billing, f"/api/v1/orders/{oid}/execute",
                              "storefront-welcome", to).values():
        assert f"\nOrdered by {of}.\n" in text, text
    sid = S.expect(api(disti.billing).get(f"/api/v1/accounts/{r.account.id}/subscriptions"),
                   200)["items"][0]["id"]
    for text in billing_mails(api, sql, mailbox, disti.billing,
                              f"/api/v1/subscriptions/{sid}/upgrade", "storefront-welcome", to,
                              body={"plan": "standard"}).values():
        assert f"\nUpgraded from Free Edition by {of}.\n" in text, text
    for text in billing_mails(api, sql, mailbox, disti.billing,
                              f"/api/v1/subscriptions/{sid}/cancel", "subscription-cancelled",
                              to).values():
        assert (f"\n{of} cancelled the Standard Edition subscription of {r.account.name}. It"
                " stays in service until " in text), text
    for action in ("uncancel", "renew"):
        for text in billing_mails(api, sql, mailbox, disti.billing,
                                  f"/api/v1/subscriptions/{sid}/{action}", "subscription-changed",
                                  to).values():
            assert f"\nChanged by {of}.\n" in text, text
    # The distributor's admin, who ordered for it, is named so as well.
    for text in billing_mails(api, sql, mailbox, disti.admin,
                              f"/api/v1/subscriptions/{sid}/cancel", "subscription-cancelled",
                              to).values():
        assert (f"\n{disti.admin.name} of {disti.account.name} cancelled the Standard Edition"
                in text), text
    # Who may not act gets no mail sent in their name: a member of the
    # distributor (no back office) and another tenant do not see the
    # subscription, the reseller's member may not uncancel it.
    other = make_tenant("d2other")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(other.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 404)
    S.expect_problem(api(disti.member).post(f"/api/v1/subscriptions/{sid}/uncancel"), 404)
    S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{sid}/uncancel"), 403)
    assert S.outbox_max_id(sql) == before


def test_the_accounts_own_people_are_named_alone(api, disti, make_reseller, sql, mailbox):
    """D2: a person of the account itself is named as before, without an
    organization: the reseller's admin orders, upgrades and uncancels, its
    billing person cancels. The admin's own copy speaks to them (round-26
    walkthrough of seed 002, D3: "Ordered by you.", "Changed by you.")."""
    r = make_reseller(disti)
    to = (r.admin.mail, r.recipient)
    oid = order(api, r.admin, r.account.id, "reseller-free", S.unique("d2own-"))["id"]
    got = billing_mails(api, sql, mailbox, r.admin, f"/api/v1/orders/{oid}/execute",
                        "storefront-welcome", to)
    assert "\nOrdered by you.\n" in got[r.admin.mail], got
    assert f"\nOrdered by {r.admin.name}.\n" in got[r.recipient], got
    sid = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}/subscriptions"),
                   200)["items"][0]["id"]
    got = billing_mails(api, sql, mailbox, r.admin, f"/api/v1/subscriptions/{sid}/upgrade",
                        "storefront-welcome", to, body={"plan": "standard"})
    assert "\nUpgraded from Free Edition by you.\n" in got[r.admin.mail], got
    assert f"\nUpgraded from Free Edition by {r.admin.name}.\n" in got[r.recipient], got
    for text in billing_mails(api, sql, mailbox, r.billing, f"/api/v1/subscriptions/{sid}/cancel",
                              "subscription-cancelled", to).values():
        assert f"\n{r.billing.name} cancelled the Standard Edition subscription of" in text, text
    got = billing_mails(api, sql, mailbox, r.admin, f"/api/v1/subscriptions/{sid}/uncancel",
                        "subscription-changed", to)
    assert got[r.admin.mail].rstrip("\n").endswith("\nChanged by you."), got
    assert got[r.recipient].rstrip("\n").endswith(f"\nChanged by {r.admin.name}."), got


def test_operator_staff_are_named_on_behalf_of_the_seller(api, disti, make_reseller, make_account,
                                                         operator_id, sql, mailbox):
    """D2: operator staff are named as invitations name them: "on behalf
    of <distributor>" in an account under a distributor, "of <the operator
    account>" in an account right under the operator account."""
    me = S.expect(api("olivia").get("/api/v1/me"), 200)
    olivia = me["name"]
    r = make_reseller(disti)
    to = (r.admin.mail, r.recipient)
    behalf = f"{olivia} on behalf of {disti.account.name}"
    oid = order(api, "olivia", r.account.id, "reseller-free", S.unique("d2op-"))["id"]
    for text in billing_mails(api, sql, mailbox, "olivia", f"/api/v1/orders/{oid}/execute",
                              "storefront-welcome", to).values():
        assert f"\nOrdered by {behalf}.\n" in text, text
    sid = S.expect(api("olivia").get(f"/api/v1/accounts/{r.account.id}/subscriptions"),
                   200)["items"][0]["id"]
    for text in billing_mails(api, sql, mailbox, "olivia", f"/api/v1/subscriptions/{sid}/cancel",
                              "subscription-cancelled", to).values():
        assert f"\n{behalf} cancelled the Free Edition subscription of" in text, text
    for text in billing_mails(api, sql, mailbox, "olivia", f"/api/v1/subscriptions/{sid}/uncancel",
                              "subscription-changed", to).values():
        assert f"\nChanged by {behalf}.\n" in text, text
    # Right under the operator account: "of" the operator account.
    cust = make_account("olivia", "customer", operator_id)
    watch = S.unique_mail("d2op-")
    S.expect(api("olivia").put(f"/api/v1/accounts/{cust.id}/notification-recipients",
                               json={"emails": [watch]}), 200)
    op_name = sql.account(operator_id)["name"]
    oid = order(api, "olivia", cust.id, "starter")["id"]
    for text in billing_mails(api, sql, mailbox, "olivia", f"/api/v1/orders/{oid}/execute",
                              "plan-welcome", (watch,)).values():
        assert f"\nOrdered by {olivia} of {op_name}.\n" in text, text


def test_a_host_change_tells_each_reseller_its_new_storefront_url(
        api, disti, make_reseller, make_tenant, sql, mailbox, env):
    """Round-14 walkthrough of seed 002, D1: PUT .../storefront-host moved
    every reseller's storefront URL (https://<host>/<alias>, computed) and
    nobody was told. Decision: each reseller with a live storefront (its
    subscription active or pending cancellation) gets an audit row
    storefront.url on its own account and the mail storefront-url-changed
    with the old and the new URL, to its contacts (else admins) and
    recipients, as the storefront-welcome goes, in the PUT's transaction. A
    PUT that leaves the effective host as it is mails nobody; a reseller
    without a storefront, or with a kept (cancelled) one, gets nothing."""
    path = f"/api/v1/accounts/{disti.account.id}/storefront-host"
    watch = S.unique_mail("url-watch-")
    S.expect(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/notification-templates/storefront-url-changed"
        "/recipients", json={"emails": [watch]}), 200)
    # First the kept one: the maint run ends every term due by then.
    plain = make_reseller(disti)  # basic: no storefront
    kept = make_reseller(disti)  # a cancelled storefront, kept with its alias
    kept_alias = S.unique("hu-k-")
    ksid = execute(api, disti.admin, order(api, disti.admin, kept.account.id, "reseller-free",
                                           kept_alias)["id"])["subscription"]["id"]
    ends_at = S.expect(api(kept.admin).post(f"/api/v1/subscriptions/{ksid}/cancel"), 200)[
        "ends_at"]
    run_maint(env, later(ends_at, seconds=1))
    assert S.expect(api(None).get(f"/api/v1/storefronts/{kept_alias}"), 200)["status"] == \
        "cancelled"
    live = []
    for prefix in ("hu-a-", "hu-b-"):
        r = make_reseller(disti)
        alias = S.unique(prefix)
        execute(api, disti.admin, order(api, disti.admin, r.account.id, "reseller-free",
                                        alias)["id"])
        live.append((r, alias))
    # One pending cancellation: its storefront serves until the term ends.
    pending, pending_alias = live[1]
    sid = S.expect(api(pending.admin).get(
        f"/api/v1/accounts/{pending.account.id}/subscriptions"), 200)["items"][0]["id"]
    S.expect(api(pending.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)

    # Who may not: nothing changes, nobody is mailed.
    other = make_tenant("huo")
    new_host = f"{S.unique('shop-')}.storefront.test"
    before = S.outbox_max_id(sql)
    S.expect_problem(api(disti.member).put(path, json={"storefront_host": new_host}), 403)
    S.expect_problem(api(disti.billing).put(path, json={"storefront_host": new_host}), 403)
    S.expect_problem(api(other.admin).put(path, json={"storefront_host": new_host}), 404)
    S.expect_problem(api(live[0][0].admin).put(path, json={"storefront_host": new_host}), 404)
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == disti.host
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s"
                     " AND template='storefront-url-changed'", before) == 0

    # The distributor's admin moves the host.
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).put(path, json={"storefront_host": new_host}), 200)
    for r, alias in live:
        old_url, new_url = f"https://{disti.host}/{alias}", f"https://{new_host}/{alias}"
        assert S.expect(api(None).get(f"/api/v1/storefronts/{alias}"), 200)["url"] == new_url
        rows = [x for x in S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
                if x["template"] == "storefront-url-changed"]
        assert sorted(x["recipient"].lower() for x in rows) == sorted(
            [r.admin.mail.lower(), r.recipient.lower(), watch.lower()]), rows
        assert {x["status"] for x in rows} == {"sent"}, rows
        mine = [x for x in rows if x["recipient"].lower() == r.admin.mail.lower()]
        mails = mailbox.wait_for(outbox_id=mine[0]["id"], timeout=15)
        assert len(mails) == 1, mine
        text = mails[0].body.replace("\r\n", "\n")
        assert mails[0].subject == f"{r.account.name}: your storefront URL changed", \
            mails[0].subject
        assert text.startswith(f"Hello {r.admin.name},\n"), text
        assert f"changed from {old_url} to {new_url}" in text, text
        assert f"changed by {disti.admin.name} of {disti.account.name}" in text, text
        assert disti.account.name in text and f"now at {new_url}" in text, text
        # The reseller's own audit trail says so, by who changed it.
        audit = [a for a in sql.audit(r.account.id) if a["action"] == "storefront.url"]
        assert len(audit) == 1, audit
        assert audit[0]["uid"] == disti.admin.uid, audit
        assert audit[0]["old_value"] == {"alias": alias, "url": old_url}, audit
        assert audit[0]["new_value"] == {"alias": alias, "url": new_url,
                                         "distributor_id": int(disti.account.id)}, audit
        # Its admins read it.
        trail = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}/audit?limit=50"),
                         200)["items"]
        assert "storefront.url" in [a["action"] for a in trail], trail
    for quiet in (plain, kept):
        assert [x for x in S.outbox_rows(sql, account_id=quiet.account.id)
                if x["template"] == "storefront-url-changed"] == []
        assert "storefront.url" not in [a["action"] for a in sql.audit(quiet.account.id)]
    assert S.expect(api(None).get(f"/api/v1/storefronts/{kept_alias}"), 200)["url"] == \
        f"https://{new_host}/{kept_alias}"

    # The same host again: no mail, no row on the resellers.
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).put(path, json={"storefront_host": new_host}), 200)
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s"
                     " AND template='storefront-url-changed'", before) == 0
    assert len([a for a in sql.audit(live[0][0].account.id)
                if a["action"] == "storefront.url"]) == 1

    # Back to the config's host (""): told again, with that URL.
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).put(path, json={"storefront_host": ""}), 200)
    default_url = S.expect(api(None).get(f"/api/v1/storefronts/{live[0][1]}"), 200)["url"]
    assert default_url != f"https://{new_host}/{live[0][1]}"
    rows = [x for x in S.wait_outbox_settled(sql, account_id=live[0][0].account.id,
                                             after_id=before)
            if x["template"] == "storefront-url-changed"]
    assert len(rows) == 3, rows
    audit = [a for a in sql.audit(live[0][0].account.id) if a["action"] == "storefront.url"]
    assert audit[-1]["old_value"]["url"] == f"https://{new_host}/{live[0][1]}", audit
    assert audit[-1]["new_value"]["url"] == default_url, audit


def test_a_host_change_that_fails_tells_nobody(api, disti, make_reseller, make_account,
                                               make_person, set_roles, operator_id, sql):
    """A PUT refused because the new host's storefronts clash (409) writes
    neither the resellers' audit rows nor their mails: all in one
    transaction (round-14 walkthrough of seed 002, D1)."""
    r = make_reseller(disti)
    alias = S.unique("hf-")
    execute(api, disti.admin, order(api, disti.admin, r.account.id, "reseller-free",
                                    alias)["id"])
    # Another distributor's host has a storefront with the same alias.
    other = make_account("olivia", "distributor", operator_id)
    oadmin = make_person(prefix="hfo")
    set_roles("olivia", other.id, oadmin, ["admin"])
    ohost = f"{S.unique('hfo-')}.storefront.test"
    S.expect(api(oadmin).put(f"/api/v1/accounts/{other.id}/storefront-host",
                             json={"storefront_host": ohost}), 200)
    oreseller = make_account("olivia", "partner", other.id)
    execute(api, "olivia", order(api, "olivia", oreseller.id, "reseller-free", alias)["id"])
    # Moving to the config's host is fine for both; then this distributor
    # to a host of its own and the other to the config's (which this one
    # left) would clash on the alias: 409, nothing written.
    before = S.outbox_max_id(sql)
    S.expect(api(oadmin).put(f"/api/v1/accounts/{other.id}/storefront-host",
                             json={"storefront_host": ""}), 200)
    S.expect_problem(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/storefront-host", json={"storefront_host": ""}),
        409, "conflict")
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s AND account_id=%s",
                     before, int(r.account.id)) == 0
    assert "storefront.url" not in [a["action"] for a in sql.audit(r.account.id)]
    assert S.expect(api(None).get(f"/api/v1/storefronts/{alias}?distributor_id="
                                  f"{disti.account.id}"), 200)["url"] == \
        f"https://{disti.host}/{alias}"


def url_changed_mails(sql, mailbox, before, to):
    """{address: body with LF line ends} of the storefront-url-changed mail
    queued after outbox id `before` to each address in to (one each)."""
    rows = [x for x in S.wait_outbox_settled(sql, after_id=before)
            if x["template"] == "storefront-url-changed"]
    got = {}
    for addr in to:
        mine = [x for x in rows if x["recipient"].lower() == addr.lower()]
        assert len(mine) == 1, (addr, rows)
        mails = mailbox.wait_for(outbox_id=mine[0]["id"], timeout=15)
        assert len(mails) == 1, mine
        got[addr] = mails[0].body.replace("\r\n", "\n")
    return got


def test_a_host_move_names_who_moved_it_for_the_distributor_to_sub_resellers_too(
        api, disti, make_account, make_person, set_roles, make_tenant, sql, mailbox):
    """Round-20 walkthrough of seed 002, D1: when the distributor moved its
    storefront host, a sub-reseller (under a reseller under the
    distributor) read "changed by Dina Disti of <its parent reseller>" or
    "Olivia Operator on behalf of <its parent reseller>": {{changed_by}}
    named the actor relative to the reader's parent, which did nothing.
    Decision: it names who acted for the distributor whose host it is
    (mail_actor_name_for): "<admin> of <distributor>", operator staff
    "<name> on behalf of <distributor>", the same for a direct reseller and
    a sub-reseller."""
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    path = f"/api/v1/accounts/{disti.account.id}/storefront-host"
    # As in the seed: the distributor's admin created the reseller (and so
    # holds its admin role too), and a sub-reseller under it; each has an
    # admin of its own as primary contact and a live storefront under the
    # distributor's host.
    parent = make_account(disti.admin, "partner", disti.account.id)
    sub = make_account(disti.admin, "partner", parent.id)
    contacts = {}
    for acc in (parent, sub):
        person = make_person(prefix="hm")
        set_roles("olivia", acc.id, person, ["admin"])
        S.expect(api("olivia").put(f"/api/v1/accounts/{acc.id}/contacts/primary",
                                   json={"uid": person.uid}), 200)
        execute(api, disti.admin, order(api, disti.admin, acc.id, "reseller-free",
                                        S.unique("hm-"))["id"])
        contacts[acc.id] = person
    to = (contacts[parent.id].mail, contacts[sub.id].mail)

    # Who may not move it: nothing changes, nobody is mailed (the
    # distributor's billing person 403; the resellers' own admins and
    # another tenant see no such account, 404).
    new_host = f"{S.unique('hm-')}.storefront.test"
    before = S.outbox_max_id(sql)
    S.expect_problem(api(disti.billing).put(path, json={"storefront_host": new_host}), 403)
    for who in (contacts[parent.id], contacts[sub.id], make_tenant("hmo").admin):
        S.expect_problem(api(who).put(path, json={"storefront_host": new_host}), 404)
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == disti.host
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s"
                     " AND template='storefront-url-changed'", before) == 0

    # The distributor's admin: "of" the distributor, for both.
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).put(path, json={"storefront_host": new_host}), 200)
    for addr, text in url_changed_mails(sql, mailbox, before, to).items():
        assert (f"moved its storefronts to another host (changed by {disti.admin.name} of "
                f"{disti.account.name})." in text), (addr, text)
        by = text.split("(changed by ", 1)[1].split(")", 1)[0]
        assert by == f"{disti.admin.name} of {disti.account.name}", (addr, text)

    # Operator staff: "on behalf of" the distributor, for both.
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").put(path, json={"storefront_host": disti.host}), 200)
    for addr, text in url_changed_mails(sql, mailbox, before, to).items():
        assert (f"moved its storefronts to another host (changed by {olivia} on behalf of "
                f"{disti.account.name})." in text), (addr, text)
        by = text.split("(changed by ", 1)[1].split(")", 1)[0]
        assert by == f"{olivia} on behalf of {disti.account.name}", (addr, text)
    # The sub-reseller's audit row names who acted and the distributor.
    audit = [a for a in sql.audit(sub.id) if a["action"] == "storefront.url"]
    assert [a["uid"] for a in audit] == [disti.admin.uid, "olivia"], audit
    assert audit[-1]["new_value"]["distributor_id"] == int(disti.account.id), audit


def test_a_storefront_host_typed_in_upper_case_is_stored_in_lower_case(
        api, disti, make_reseller, make_tenant, sql, mailbox):
    """Round-20 walkthrough of seed 002, D2: PUT .../storefront-host with
    "T20s002.storefront.test" was a 422 "must be labels of a-z, …", while
    the lookups' ?host= and the sign-in gate take a host in any case.
    Decision: the host is lowered (A-Z) after trimming and before the
    check, and stored, audited, answered and echoed in lower case, as an
    alias is; the other rules apply after lowering."""
    path = f"/api/v1/accounts/{disti.account.id}/storefront-host"
    r = make_reseller(disti)
    alias = S.unique("uc-")
    execute(api, disti.admin, order(api, disti.admin, r.account.id, "reseller-free",
                                    alias)["id"])
    typed = f"{S.unique('Shop-')}.Storefront.TEST"
    host = typed.lower()
    # Who may not: refused as before, nothing changes.
    before = S.outbox_max_id(sql)
    S.expect_problem(api(disti.billing).put(path, json={"storefront_host": typed}), 403)
    S.expect_problem(api(make_tenant("uco").admin).put(path, json={"storefront_host": typed}),
                     404)
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == disti.host

    # The admin, pasted with white space around it.
    assert S.expect(api(disti.admin).put(path, json={"storefront_host": f" {typed}\t"}),
                    200) == {"storefront_host": host, "effective": host}
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == host
    assert sql.value("SELECT storefront_host FROM accounts WHERE id=%s",
                     int(disti.account.id)) == host
    audit = [a for a in sql.audit(disti.account.id) if a["action"] == "storefront.host"]
    assert audit[-1]["new_value"] == {"storefront_host": host}, audit
    new_url = f"https://{host}/{alias}"
    text = url_changed_mails(sql, mailbox, before, (r.admin.mail,))[r.admin.mail]
    assert f"changed from https://{disti.host}/{alias} to {new_url}:" in text, text
    for spelled in (host, typed, host.upper()):
        got = S.expect(api(None).get(f"/api/v1/storefronts/{alias}?host={spelled}"), 200)
        assert got["url"] == new_url, got
    assert storefront_login(r.admin.uid, typed, alias).status_code == 200

    # The same host in another case is the same host: nothing moves, nobody
    # is told.
    before = S.outbox_max_id(sql)
    assert S.expect(api(disti.admin).put(path, json={"storefront_host": host.upper()}),
                    200)["storefront_host"] == host
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s"
                     " AND template='storefront-url-changed'", before) == 0
    # Another distributor's host in another case is still taken.
    other = make_tenant("ucd", kind="distributor")
    S.expect_problem(api(other.admin).put(
        f"/api/v1/accounts/{other.account.id}/storefront-host",
        json={"storefront_host": host.upper()}), 409, "conflict")
    # A bad character is still refused after lowering; a form's error_to
    # echoes the lowered value.
    front = S.ORIGIN + "/bss/host"
    q = error_query(api(disti.admin).form("POST", path, [("_method", "PUT"),
                                                        ("storefront_host", "Shop_X.Example"),
                                                        ("error_to", front)]))
    assert q["errors[storefront_host]"] == \
        "must be labels of a-z, 0-9 and '-' separated by dots", q
    assert q["values[storefront_host]"] == "shop_x.example", q
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == host


def test_a_bad_storefront_host_is_told_its_fault(api, disti, make_tenant, sql):
    """Round-27 walkthrough of seed 002, D2: every bad host got "must be
    labels of a-z, 0-9 and '-' separated by dots", also "bücher.example"
    (its letters are not wrong, its form is), "-bad.example" and a label of
    64 allowed letters. Decision: the fault is named, as the alias checks
    name theirs, on PUT .../storefront-host and on the lookups' ?host=."""
    path = f"/api/v1/accounts/{disti.account.id}/storefront-host"
    faults = {
        "b\u00fccher.example": "is not ASCII: enter an international domain name in its ASCII "
                               "(IDNA, punycode) form, whose labels start with xn-- (e.g. "
                               "xn--bcher-kva.example)",
        "-bad.example": "must not have a label that starts or ends with '-'",
        "a" * 64 + ".example": "must have labels of 1 to 63 characters each",
        "shop..example": "must not have an empty label (two dots in a row, or a dot at either "
                         "end)",
        ("a" * 49 + ".") * 5 + "abcd": "must be a host name of 1 to 253 characters",
        "shop_x.example": "must be labels of a-z, 0-9 and '-' separated by dots",
    }
    audits = sql.value("SELECT COUNT(*) FROM audit WHERE account_id=%s", int(disti.account.id))
    stranger = make_tenant("bh")
    for host, why in faults.items():
        errors = S.expect_field_errors(api(disti.admin).put(path, json={"storefront_host": host}),
                                       "storefront_host")
        assert errors["storefront_host"] == why, (host, errors)
        errors = S.expect_field_errors(api(None).get("/api/v1/storefront-aliases/kilo",
                                                     params={"host": host}), "host")
        assert errors["host"] == why, (host, errors)
        # Who may not set the host is refused before the value is read.
        S.expect_problem(api(disti.billing).put(path, json={"storefront_host": host}), 403)
        S.expect_problem(api(stranger.admin).put(path, json={"storefront_host": host}), 404)
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == disti.host
    assert sql.value("SELECT COUNT(*) FROM audit WHERE account_id=%s",
                     int(disti.account.id)) == audits
    # The xn-- form is a host.
    xn = f"xn--bcher-kva.{S.unique('b')}.example"
    assert S.expect(api(disti.admin).put(path, json={"storefront_host": xn}), 200) == {
        "storefront_host": xn, "effective": xn}


def test_a_storefront_host_put_that_changes_nothing_writes_no_audit_row(
        api, disti, make_tenant, sql):
    """Round-21 walkthrough of seed 002, D2: a PUT .../storefront-host with
    the host the distributor has (in any case) wrote a storefront.host audit
    row with the same old and new value every time. Decision: no audit row
    when the stored host does not change, as for order.alias; a real change
    is audited as before."""
    path = f"/api/v1/accounts/{disti.account.id}/storefront-host"

    def rows():
        return [a for a in sql.audit(disti.account.id) if a["action"] == "storefront.host"]

    before = len(rows())
    # Who may not: refused, no row.
    S.expect_problem(api(disti.billing).put(path, json={"storefront_host": disti.host}), 403)
    S.expect_problem(api(make_tenant("nah").admin).put(
        path, json={"storefront_host": disti.host}), 404)
    # The admin, the host it has, as it is, in upper case and with white space.
    for typed in (disti.host, disti.host.upper(), f" {disti.host.title()}\t"):
        assert S.expect(api(disti.admin).put(path, json={"storefront_host": typed}),
                        200)["storefront_host"] == disti.host
    assert len(rows()) == before, rows()
    # A real change is audited, once; the way back too.
    host = f"{S.unique('nochg-')}.storefront.test"
    S.expect(api(disti.admin).put(path, json={"storefront_host": host}), 200)
    S.expect(api(disti.admin).put(path, json={"storefront_host": host.upper()}), 200)
    got = rows()[before:]
    assert [(a["old_value"], a["new_value"]) for a in got] == [
        ({"storefront_host": disti.host}, {"storefront_host": host})], got
    # No host at all, twice: one row for the clearing, none for the repeat.
    S.expect(api(disti.admin).put(path, json={"storefront_host": ""}), 200)
    S.expect(api(disti.admin).put(path, json={"storefront_host": ""}), 200)
    got = rows()[before:]
    assert [a["new_value"] for a in got] == [{"storefront_host": host},
                                             {"storefront_host": None}], got


def test_a_resellers_template_recipients_name_the_distributors_that_apply(
        api, disti, make_reseller, make_tenant, sql):
    """Round-21 walkthrough of seed 002, D1: a reseller's GET
    …/notification-templates/storefront-welcome/recipients answered
    {"emails": []} although every copy of its welcome also went to the
    distributor's extra recipients. Decision: `emails` stays the account's
    own list (the one its PUT sets); `inherited` names the lists of the
    distributors and the operator above that also get every copy,
    [{account_id, emails}], nearest first; the distributor's own GET has
    its list in `emails` and nothing from itself in `inherited`."""
    name = "storefront-welcome"
    watch = S.unique_mail("inh-watch-")
    S.expect(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/notification-templates/{name}/recipients",
        json={"emails": [watch]}), 200)
    r = make_reseller(disti)
    path = f"/api/v1/accounts/{r.account.id}/notification-templates/{name}/recipients"
    assert S.expect(api(r.admin).get(path), 200) == {
        "name": name, "emails": [],
        "inherited": [{"account_id": str(disti.account.id), "emails": [watch]}]}
    # A template without extra recipients above: nothing inherited.
    got = S.expect(api(r.admin).get(
        f"/api/v1/accounts/{r.account.id}/notification-templates/plan-welcome/recipients"), 200)
    assert got == {"name": "plan-welcome", "emails": [], "inherited": []}, got
    # The distributor's own: its list, nothing of its own in inherited.
    got = S.expect(api(disti.admin).get(
        f"/api/v1/accounts/{disti.account.id}/notification-templates/{name}/recipients"), 200)
    assert got["emails"] == [watch] and got["inherited"] == [], got
    # Who may not: the reseller's member 403, another tenant 404; the
    # reseller still may not set its own (409).
    S.expect_problem(api(r.member).get(path), 403)
    S.expect_problem(api(make_tenant("inhx").admin).get(path), 404)
    S.expect_problem(api(r.admin).put(path, json={"emails": [S.unique_mail("own-")]}), 409,
                     "conflict")
    # A sub-reseller inherits from the distributor above its parent too.
    sub = S.expect(api(r.admin).post("/api/v1/accounts", json={
        "kind": "partner", "name": S.unique("inh-sub-"), "parent_id": r.account.id,
        "company": {"name": "Sub GmbH", "street": "Ringstrasse 1", "postcode": "1010",
                    "city": "Wien", "country": "AT"}}), 201)
    got = S.expect(api(r.admin).get(
        f"/api/v1/accounts/{sub['id']}/notification-templates/{name}/recipients"), 200)
    assert got["inherited"] == [{"account_id": str(disti.account.id), "emails": [watch]}], got


def test_storefront_lookups_and_orders_ignore_the_aliass_case(api, disti, make_reseller, sql):
    """Round-14 walkthrough of seed 002, D3: the public lookups refused an
    alias in another case (422) although the sign-in takes /ALIAS/ as
    /alias/. Decision: they look the alias up in lower case, and an order
    or upgrade stores a storefront_alias in lower case ("TechSolutions" is
    techsolutions); the other rules apply after lowering."""
    r = make_reseller(disti)
    typed = S.unique("Tech-Solutions-")
    alias = typed.lower()
    draft = order(api, r.admin, r.account.id, "reseller-free", typed)
    assert draft["storefront_alias"] == alias, draft
    done = execute(api, r.admin, draft["id"])
    assert done["subscription"]["storefront"]["alias"] == alias, done
    assert sql.value("SELECT alias FROM storefronts WHERE account_id=%s",
                     int(r.account.id)) == alias
    for spelled in (alias.upper(), typed):
        got = S.expect(api(None).get(f"/api/v1/storefronts/{spelled}"), 200)
        assert got["alias"] == alias and got["url"] == f"https://{disti.host}/{alias}", got
        got = S.expect(api(None).get(f"/api/v1/storefronts/{spelled}?host={disti.host.upper()}"),
                       200)
        assert got["account_id"] == str(r.account.id), got
        assert S.expect(api(None).get(
            f"/api/v1/storefront-aliases/{spelled}?distributor_id={disti.account.id}"), 200) == {
            "alias": alias, "available": False, "reason": "taken"}
    # Another reseller cannot take it in another case: the same alias.
    r2 = make_reseller(disti)
    taken = S.expect_problem(order(api, r2.admin, r2.account.id, "reseller-free",
                                   alias.upper(), status=409), 409, "conflict")
    assert f"'{alias}' is taken" in taken["detail"], taken
    assert taken["errors"] == {"storefront_alias": "is taken; choose another one"}, taken
    # Unknown in any case: 404 / available; reserved and malformed as before.
    free = S.unique("Nobody-")
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{free}"), 404, "not-found")
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{free}"), 200) == {
        "alias": free.lower(), "available": True, "reason": None}
    assert S.expect(api(None).get("/api/v1/storefront-aliases/WWW"), 200) == {
        "alias": "www", "available": False, "reason": "reserved"}
    S.expect_problem(api(None).get("/api/v1/storefronts/API"), 404, "not-found")
    S.expect_field_errors(api(None).get("/api/v1/storefronts/Tech_Sol"), "alias")
    S.expect_field_errors(api(None).get("/api/v1/storefront-aliases/AB"), "alias")
    # An upgrade's new alias is lowered too (and renames the storefront).
    sid = done["subscription"]["id"]
    renamed = S.unique("Re-Named-")
    up = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade", json={
        "plan": "standard", "storefront_alias": renamed}), 200)
    assert up["storefront"]["alias"] == renamed.lower(), up
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{alias}"), 404, "not-found")
    assert S.expect(api(None).get(f"/api/v1/storefronts/{renamed}"), 200)["alias"] == \
        renamed.lower()


# ------------------------------------------- round-15 walkthrough of seed 002

def test_the_distributors_billing_people_list_its_resellers(api, disti, make_reseller,
                                                            make_tenant):
    """Round-15 walkthrough of seed 002, D1: the distributor's billing
    person (its back office) orders, upgrades and cancels for the
    resellers but could not find them: GET /accounts?parent_id=P was 403.
    Decision: P's billing people read P's table, the same rows as P's
    admins; nothing else opens to them. A member of P stays 403, another
    tenant 404."""
    r1, r2 = make_reseller(disti), make_reseller(disti)
    path = f"/api/v1/accounts?parent_id={disti.account.id}"
    as_admin = S.expect(api(disti.admin).get(path), 200)
    as_billing = S.expect(api(disti.billing).get(path), 200)
    assert as_billing == as_admin, (as_billing, as_admin)
    ids = {i["id"] for i in as_billing["items"]}
    assert {r1.account.id, r2.account.id} <= ids, as_billing
    row = [i for i in as_billing["items"] if i["id"] == r1.account.id][0]
    assert row["name"] == r1.account.name and row["kind"] == "partner", row
    assert row["status"] == "active" and row["plan"] == "basic", row
    # Paging, sorting and filtering as for the admin.
    page = S.expect(api(disti.billing).get(path + "&limit=1&sort=name"), 200)
    assert page == S.expect(api(disti.admin).get(path + "&limit=1&sort=name"), 200), page
    assert len(page["items"]) == 1 and page["next_cursor"], page
    # Still no more than the list: the child itself stays refused to
    # them (403, as before), the partner's customers list stays the
    # admins' and service providers'.
    S.expect_problem(api(disti.billing).get(f"/api/v1/accounts/{r1.account.id}"), 403)
    S.expect_problem(api(disti.billing).get(f"/api/v1/accounts/{disti.account.id}/customers"),
                     403)
    # A member of P: 403; another tenant: 404; the reseller's own billing
    # person is no billing person of P: 404.
    p = S.expect_problem(api(disti.member).get(path), 403)
    assert p["type"] == "urn:accountd:problem:forbidden", p
    other = make_tenant("d1other")
    S.expect_problem(api(other.admin).get(path), 404)
    S.expect_problem(api(r1.billing).get(path), 404)
    # The reseller's billing person lists the reseller's own children.
    S.expect(api(r1.billing).get(f"/api/v1/accounts?parent_id={r1.account.id}"), 200)


def late_welcome(api, sql, mailbox, token, uid, account_id):
    """Accepts the contact invitation token as uid; the late
    storefront-welcome mailed to them, its body with LF line ends."""
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, uid=uid, password=f"{uid}-pw-12345"), 200)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if x["template"] == "storefront-welcome"]
    assert len(rows) == 1, rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    return mails[0].body.replace("\r\n", "\n")


def test_a_contact_who_joins_after_an_upgrade_and_a_cancellation_learns_both(
        api, disti, sql, mailbox, invitation_mail):
    """Round-15 walkthrough of seed 002, D2 and D3: the distributor's
    billing person ordered Free for a reseller whose contact was invited,
    the distributor's admin upgraded it to Standard, the billing person
    cancelled it, and then the contact accepted. Their late welcome said
    "Ordered by <billing person>" next to the upgrade's invoice, and
    nothing of the cancellation. Decision: it says "Upgraded from Free
    Edition by <admin> of <distributor>." (the upgrade's actor, as the
    upgrade's own welcome did), and a line that the subscription is
    cancelled as of its end, the storefront stops working then, and an
    administrator can withdraw the cancellation until then."""
    email = S.unique_mail("gil-")
    before = S.outbox_max_id(sql)
    acc = S.expect(api(disti.admin).post("/api/v1/accounts", json={
        "kind": "partner", "name": S.unique("it-gamma-"), "parent_id": disti.account.id,
        "contact": {"first_name": "Gil", "last_name": "Gamma", "email": email}}), 201)
    _, token = invitation_mail(email, after=before)
    alias = S.unique("gamma-")
    done = execute(api, disti.billing, order(api, disti.billing, acc["id"], "reseller-free",
                                             alias)["id"])
    sid = done["subscription"]["id"]
    url = done["subscription"]["storefront"]["url"]
    up = S.expect(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                        json={"plan": "standard"}), 200)
    number = up["invoice"]["number"]
    cancelled = S.expect(api(disti.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    assert cancelled["status"] == "pending_cancellation", cancelled
    ends = cancelled["ends_at"]
    text = late_welcome(api, sql, mailbox, token, S.unique("gil"), acc["id"])
    assert f"Your storefront: {url}\n" in text, text
    assert f"\nUpgraded from Free Edition by {disti.admin.name} of {disti.account.name}.\n" \
        in text, text
    assert "Ordered by" not in text, text
    assert f"Invoice {number} bills 490.00 EUR" in text, text
    assert (f"\nThe Standard Edition subscription is cancelled as of {ends}: the storefront stops"
            f" working then. Until then an administrator of {acc['name']} can withdraw the"
            " cancellation.\n") in text, text
    assert "no longer leads" not in text, text


def test_a_contact_who_joins_after_a_withdrawn_cancellation_gets_no_cancellation_line(
        api, disti, sql, mailbox, invitation_mail):
    """D2: a cancellation withdrawn before the contact joins is not
    mentioned; an order without upgrade is "Ordered by" its executor (D3)."""
    email = S.unique_mail("gia-")
    before = S.outbox_max_id(sql)
    acc = S.expect(api(disti.admin).post("/api/v1/accounts", json={
        "kind": "partner", "name": S.unique("it-gamma-"), "parent_id": disti.account.id,
        "contact": {"first_name": "Gia", "last_name": "Gamma", "email": email}}), 201)
    _, token = invitation_mail(email, after=before)
    done = execute(api, disti.billing, order(api, disti.billing, acc["id"], "reseller-standard",
                                             S.unique("gia-"))["id"])
    sid = done["subscription"]["id"]
    S.expect(api(disti.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    S.expect(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    text = late_welcome(api, sql, mailbox, token, S.unique("gia"), acc["id"])
    assert f"\nOrdered by {disti.billing.name} of {disti.account.name}.\n" in text, text
    assert "Upgraded from" not in text and "cancelled as of" not in text, text
    assert f"Invoice {done['invoice']['number']} bills" in text, text


def test_a_welcome_that_moves_the_storefront_names_the_old_url(api, disti, make_reseller, sql,
                                                               mailbox):
    """Round-15 walkthrough of seed 002, D5: an upgrade with a new
    storefront_alias moved the reseller's storefront (the old alias free
    at once) and the welcome named only the new URL. Decision: it names
    the old URL and says it no longer leads to the storefront; an order
    with a new alias alike; a welcome that keeps the alias says nothing
    of it."""
    r = make_reseller(disti)
    to = (r.admin.mail, r.recipient)
    old_alias, new_alias = S.unique("d5old-"), S.unique("d5new-")
    oid = order(api, disti.admin, r.account.id, "reseller-free", old_alias)["id"]
    for text in billing_mails(api, sql, mailbox, disti.admin, f"/api/v1/orders/{oid}/execute",
                              "storefront-welcome", to).values():
        assert "no longer leads" not in text and "storefront moved" not in text, text
    subs = S.expect(api(disti.admin).get(f"/api/v1/accounts/{r.account.id}/subscriptions"), 200)
    sid = subs["items"][0]["id"]
    old_url = subs["items"][0]["storefront"]["url"]
    assert old_url.endswith("/" + old_alias), old_url
    new_url = old_url[:-len(old_alias)] + new_alias
    for text in billing_mails(api, sql, mailbox, disti.admin,
                              f"/api/v1/subscriptions/{sid}/upgrade", "storefront-welcome", to,
                              body={"plan": "standard",
                                    "storefront_alias": new_alias.upper()}).values():
        assert f"Your storefront: {new_url}\n" in text, text
        assert (f"\nThe storefront moved from {old_url}: that URL no longer leads to it (another"
                " reseller may take its alias). Please update the links you gave your"
                " customers.\n") in text, text
    S.expect_problem(api(None).get(f"/api/v1/storefronts/{old_alias}"), 404)

    # An order of another plan with a new alias replaces the plan and
    # moves the storefront too.
    r3 = make_reseller(disti)
    first = S.unique("d5first-")
    execute(api, disti.admin, order(api, disti.admin, r3.account.id, "reseller-free",
                                    first)["id"])
    first_url = new_url[:-len(new_alias)] + first
    oid = order(api, disti.admin, r3.account.id, "reseller-standard", S.unique("d5ord-"))["id"]
    for text in billing_mails(api, sql, mailbox, disti.admin, f"/api/v1/orders/{oid}/execute",
                              "storefront-welcome", (r3.admin.mail,)).values():
        assert f"\nThe storefront moved from {first_url}: that URL no longer leads to it" \
            in text, text

    # An upgrade that keeps the alias: no such line.
    r2 = make_reseller(disti)
    oid = order(api, disti.admin, r2.account.id, "reseller-free", S.unique("d5keep-"))["id"]
    execute(api, disti.admin, oid)
    sid = S.expect(api(disti.admin).get(f"/api/v1/accounts/{r2.account.id}/subscriptions"),
                   200)["items"][0]["id"]
    for text in billing_mails(api, sql, mailbox, disti.admin,
                              f"/api/v1/subscriptions/{sid}/upgrade", "storefront-welcome",
                              (r2.admin.mail,), body={"plan": "standard"}).values():
        assert "no longer leads" not in text and "storefront moved" not in text, text


def test_closing_a_reseller_names_the_distributors_person_with_its_organization(
        api, disti, make_reseller, make_account, make_person, set_roles, sql, mailbox):
    """Round-15 walkthrough of seed 002, D4: the distributor's admin closed
    a reseller and its contact read "Dina Disti closed the account …",
    where the billing mails say "Dina Disti of <distributor>". Decision:
    {{closed_by}} follows mail_actor_name; the account's own admin is
    named alone."""
    # The distributor's admin created the reseller (and is its admin
    # too, as in the walkthrough); the reseller's contact is Bea.
    acc = make_account(disti.admin, "partner", disti.account.id)
    bea = make_person(prefix="bea")
    set_roles(disti.admin, acc.id, bea, ["admin"])
    S.expect(api(disti.admin).put(f"/api/v1/accounts/{acc.id}/contacts/primary",
                                  json={"uid": bea.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).delete(f"/api/v1/accounts/{acc.id}"), 204)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if x["template"] == "account-closed"
            and x["recipient"].lower() == bea.mail.lower()]
    assert len(rows) == 1, rows
    body = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)[0].body
    assert (f"{disti.admin.name} of {disti.account.name} closed the account {acc.name}"
            f" (account {acc.id})") in body, body

    own = make_reseller(disti)
    before = S.outbox_max_id(sql)
    S.expect(api(own.admin).delete(f"/api/v1/accounts/{own.account.id}"), 204)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=own.account.id, after_id=before)
            if x["template"] == "account-closed"
            and x["recipient"].lower() == own.recipient.lower()]
    assert len(rows) == 1, rows
    body = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)[0].body
    assert f"\n{own.admin.name} closed the account {own.account.name} (account" in body, body


def test_a_pasted_storefront_url_is_told_it_must_be_a_host_name(api, disti, make_tenant, sql):
    """Round-15 walkthrough of seed 002, D6: PUT …/storefront-host with
    "https://shop4.example/" answered "has a bad port". Decision: 422 "must
    be a host name only (e.g. shop.example), without https:// or a path";
    nothing is taken out of a pasted URL, and nothing changes."""
    path = f"/api/v1/accounts/{disti.account.id}/storefront-host"
    why = "must be a host name only (e.g. shop.example), without https:// or a path"
    for pasted in ("https://shop4.example/", "http://shop4.example", "shop4.example/shop",
                   "https://shop4.example:8443/x"):
        p = S.expect_problem(api(disti.admin).put(path, json={"storefront_host": pasted}), 422)
        assert p["errors"] == {"storefront_host": why}, (pasted, p)
    assert S.expect(api(disti.admin).get(path), 200)["storefront_host"] == disti.host
    # A bad port is still a bad port; a host name is taken.
    p = S.expect_problem(api(disti.admin).put(path, json={"storefront_host": "shop4.example:x"}),
                         422)
    assert p["errors"] == {"storefront_host": "has a bad port"}, p
    # Who may not change it is refused before the field: billing 403,
    # another tenant 404.
    S.expect_problem(api(disti.billing).put(path, json={"storefront_host": "https://x.example/"}),
                     403)
    other = make_tenant("d6other")
    S.expect_problem(api(other.admin).put(path, json={"storefront_host": "https://x.example/"}),
                     404)


def closing_mails(api, sql, mailbox, account_id, template, before):
    """{recipient (lower case): body} of `template` queued for account_id
    after outbox id `before`, each read from the SMTP sink."""
    rows = [x for x in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if x["template"] == template]
    out = {}
    for x in rows:
        assert x["status"] == "sent", x
        body = mailbox.wait_for(outbox_id=x["id"], timeout=15)[0].body
        out[x["recipient"].lower()] = body.replace("\r\n", "\n")
    return out


def test_closing_a_distributor_tells_its_open_resellers_and_ends_its_back_office(
        api, disti, make_reseller, make_tenant, set_roles, sql, mailbox):
    """Round-16 walkthrough of seed 002, D1: a distributor with active
    resellers was closed (204); nobody there was told, and the closed
    distributor's people kept cancelling and upgrading its resellers'
    subscriptions. Decision: the close stays allowed; each open child's
    contacts (else admins) and recipients get parent-closed (the
    storefront line only for a live storefront), none for a closed
    child; account-closed counts the open children; the closed parent's
    admins and billing people are 403 on the children's billing; sign-in
    through the storefronts keeps working. Round-18 walkthrough of seed
    001, D1 and D2: the back office's end and the storefront host are
    the distributor's line (a partner has neither), and the
    distributor's people who hold roles in a reseller itself are named,
    with their roles, as keeping them."""
    live = make_reseller(disti)
    alias = S.unique("pc-")
    sid = execute(api, disti.admin, order(api, disti.admin, live.account.id, "reseller-free",
                                          alias)["id"])["subscription"]["id"]
    plain = make_reseller(disti)
    draft = order(api, disti.billing, plain.account.id, "reseller-free", S.unique("pcd-"))
    gone = make_reseller(disti)
    S.expect(api("olivia").delete(f"/api/v1/accounts/{gone.account.id}"), 204)
    # The distributor's member also holds a role in one reseller itself
    # (round-18 walkthrough of seed 001, D1): that role goes on.
    set_roles(plain.admin, plain.account.id, disti.member, ["member"])
    # Before: the distributor's billing person is their back office.
    S.expect(api(disti.billing).get(f"/api/v1/subscriptions/{sid}"), 200)

    path = f"/api/v1/accounts/{disti.account.id}"
    S.expect_problem(api(disti.member).delete(path), 403)
    S.expect_problem(api(disti.billing).delete(path), 403)
    S.expect_problem(api(make_tenant("pc").admin).delete(path), 404)
    assert sql.value("SELECT status FROM accounts WHERE id=%s", int(disti.account.id)) == "active"

    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).delete(path), 204)
    assert sql.value("SELECT status FROM accounts WHERE id=%s", int(disti.account.id)) == "closed"
    by = f"{disti.admin.name} of {disti.account.name}"
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    for r, url in ((live, f"https://{disti.host}/{alias}"), (plain, None)):
        mails = closing_mails(api, sql, mailbox, r.account.id, "parent-closed", before)
        assert set(mails) == {r.admin.mail.lower(), r.recipient.lower()}, mails
        for body in mails.values():
            assert (f"{disti.account.name} (account {disti.account.id}), which "
                    f"{r.account.name} (account {r.account.id}) is a reseller of, was closed "
                    f"by {by}.") in body, body
            assert f"{r.account.name} and its subscriptions continue" in body, body
            if url:
                assert f"\nIts storefront stays at {url}, and signing in there keeps working" \
                    in body, body
            else:
                assert "Its storefront stays" not in body, body
            assert (f"\nThe back office of {disti.account.name} for {r.account.name} ends: by "
                    f"their roles in {disti.account.name}, its people no longer order, upgrade, "
                    f"cancel or renew the subscriptions of {r.account.name} or read its billing, "
                    f"and the storefront host of {disti.account.name} can no longer be "
                    "changed.\n") in body, body
            # Olivia created the distributor and the resellers: she is
            # admin of both (the creator), and stays admin of the reseller;
            # she is named as operator staff, the distributor's member as
            # of it (round-26 walkthrough of seed 003, D1).
            held = f"{olivia} (administrator; operator staff of the platform)"
            if r is plain:
                # in the order of their DNs
                held = f"{disti.member.name} (member) of {disti.account.name} and {held}"
                held += f" still hold roles in {r.account.name}, and keep them"
            else:
                held += f" still holds a role in {r.account.name}, and keeps it"
            assert (f"\n{held} until an administrator of {r.account.name} removes them under its "
                    f"people; do that if they should no longer act for {r.account.name}.\n"
                    ) in body, body
            assert "no other administrator" not in body, body
        assert sql.value("SELECT status FROM accounts WHERE id=%s", int(r.account.id)) == "active"
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s AND account_id=%s",
                     before, int(gone.account.id)) == 0
    closed = closing_mails(api, sql, mailbox, disti.account.id, "account-closed", before)
    assert disti.admin.mail.lower() in closed, closed
    assert ("\n2 child accounts of it stay open, with their subscriptions and storefronts, and "
            "their contacts were told: the back office of this account for them ends (its "
            "people no longer act for them by their roles here), and the roles people hold in "
            "them are unchanged. People of this account still hold roles in 2 of them "
            f"({disti.member.name} in 1 and {olivia} in 2), and keep them until an administrator "
            "of each removes them. By their roles in this account, its people can no longer sign "
            f"in at the storefront of {live.account.name} (https://{disti.host}/{alias}), nor at "
            "the storefronts below it; roles they hold in a reseller or in its customers still "
            "admit them there.\n") in closed[disti.admin.mail.lower()], closed

    # The back office ends: 403 on the children's subscriptions and orders.
    S.expect_problem(api(disti.billing).get(f"/api/v1/subscriptions/{sid}"), 403, "forbidden")
    S.expect_problem(api(disti.admin).get(f"/api/v1/subscriptions/{sid}"), 403, "forbidden")
    S.expect_problem(api(disti.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 403)
    S.expect_problem(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                           json={"plan": "standard"}), 403)
    S.expect_problem(api(disti.billing).post(f"/api/v1/orders/{draft['id']}/execute"), 403)
    S.expect_problem(api(disti.billing).post(
        f"/api/v1/accounts/{plain.account.id}/orders",
        json={"lines": [{"article": "reseller-free", "quantity": 1}]}), 403)
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "active"
    # The reseller's own people act as before; the closed parent's table
    # stays readable; sign-in through the storefront keeps working.
    S.expect(api(live.billing).get(f"/api/v1/subscriptions/{sid}"), 200)
    S.expect(api(disti.member).get(f"/api/v1/accounts/{plain.account.id}"), 200)
    rows = S.expect(api(disti.admin).get(f"/api/v1/accounts?parent_id={disti.account.id}"),
                    200)["items"]
    assert live.account.id in [x["id"] for x in rows]
    assert storefront_login(live.admin.uid, disti.host, alias).status_code == 200
    assert storefront_login(live.member.uid, disti.host, alias).status_code == 200


def test_a_host_clash_names_the_alias_and_the_reseller(api, disti, make_reseller, make_account,
                                                       make_person, set_roles, operator_id):
    """Round-16 walkthrough of seed 002, D2: the storefront-host 409 for an
    alias clash did not say which alias or reseller clashes. Decision: the
    detail names them: 'alias' (reseller name, account id)."""
    r = make_reseller(disti)
    alias = S.unique("hc-")
    execute(api, disti.admin, order(api, disti.admin, r.account.id, "reseller-free",
                                    alias)["id"])
    other = make_account("olivia", "distributor", operator_id)
    oreseller = make_account("olivia", "partner", other.id)
    execute(api, "olivia", order(api, "olivia", oreseller.id, "reseller-free", alias)["id"])
    body = S.expect_problem(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/storefront-host", json={"storefront_host": ""}),
        409, "conflict")
    assert body["detail"] == (
        "a storefront under that host already has the alias of one of this distributor's "
        f"storefronts: '{alias}' ({r.account.name}, account {r.account.id})"), body


def test_execute_of_a_draft_the_plan_outgrew_names_the_plan_now(api, disti, make_reseller,
                                                                sql):
    """Round-16 walkthrough of seed 002, D3: a BSS Basic->Free draft was
    refused at execute after the reseller had ordered Standard itself,
    "not an upgrade the catalog allows", without naming the plan it has
    now. Decision: the 409 names it and says it changed since the draft."""
    r = make_reseller(disti)
    bss = order(api, disti.admin, r.account.id, "reseller-free", S.unique("d3f-"))
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                S.unique("d3s-"))["id"])
    names = {p["code"]: p["name"] for p in S.expect(api("olivia").get("/api/v1/plans"),
                                                    200)["items"]}
    body = execute(api, disti.admin, bss["id"], status=409)
    assert body["detail"] == (
        "this plan change is not an upgrade the catalog allows: the account is on "
        f"{names['standard']} now (changed since this draft was made), and {names['free']} "
        "is no upgrade of it; discard this draft"), body
    assert sql.value("SELECT status FROM orders WHERE id=%s", int(bss["id"])) == "draft"


SUB_BRIEF = ("id", "plan", "status", "started_at", "ends_at", "ended_at", "ended_reason")


def test_overview_and_me_say_when_and_why_a_subscription_ended(api, disti, make_reseller,
                                                               make_tenant, env):
    """Round-17 walkthrough of seed 002, D1: after Free -> Standard by an
    order, the overview and /me listed the replaced Free subscription as
    "cancelled" with an ends_at a year ahead and no ended_at or
    ended_reason, so it read as still running or cancelled by someone.
    Their subscription entries carry both now, as GET
    /accounts/{id}/subscriptions has them (null while one runs)."""
    r = make_reseller(disti)
    free = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                       S.unique("d1-"))["id"])["subscription"]
    over = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}"), 200)
    assert over["subscriptions"][0]["ended_at"] is None, over["subscriptions"]
    assert over["subscriptions"][0]["ended_reason"] is None, over["subscriptions"]
    # The storefront's upgrade: add Standard to the basket and check out.
    std = execute(api, r.admin, order(api, r.admin, r.account.id,
                                      "reseller-standard")["id"])["subscription"]
    listed = {s["id"]: s for s in S.expect(api(r.admin).get(
        f"/api/v1/accounts/{r.account.id}/subscriptions"), 200)["items"]}
    assert listed[free["id"]]["ended_reason"] == "replaced", listed
    assert listed[free["id"]]["ended_at"], listed

    def want():
        items = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}/subscriptions"),
                         200)["items"]
        return [{k: s[k] for k in SUB_BRIEF} for s in items]

    def seen(who):
        over = S.expect(api(who).get(f"/api/v1/accounts/{r.account.id}"), 200)
        me = S.expect(api(who).get("/api/v1/me"), 200)
        mine = [a for a in me["accounts"] if a["id"] == r.account.id]
        assert mine, me
        assert mine[0]["subscriptions"] == over["subscriptions"], (mine, over)
        return over["subscriptions"]

    expected = want()
    assert [s["id"] for s in expected] == [std["id"], free["id"]]
    assert expected[0]["ended_at"] is None and expected[0]["ended_reason"] is None
    assert expected[1]["status"] == "cancelled" and expected[1]["ended_reason"] == "replaced"
    assert expected[1]["ended_at"] < expected[1]["ends_at"], expected
    # Every role of the account reads them (the overview is any role's).
    for who in (r.admin, r.billing, r.member):
        assert seen(who) == expected, who
    # The distributor's people are no members of the reseller: 403, as
    # documented; another tenant: 404. /me shows them nothing of it.
    for who in (disti.admin, disti.billing):
        S.expect_problem(api(who).get(f"/api/v1/accounts/{r.account.id}"), 403)
    other = make_tenant("d1")
    S.expect_problem(api(other.admin).get(f"/api/v1/accounts/{r.account.id}"), 404)
    for who in (disti.billing, other.admin):
        me = S.expect(api(who).get("/api/v1/me"), 200)
        assert r.account.id not in [a["id"] for a in me["accounts"]], me
    # The term end after a cancellation: ended_reason cancelled, ended_at
    # the term's end.
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{std['id']}/cancel"),
                    200)["ends_at"]
    run_maint(env, later(ends, seconds=1))
    expected = want()
    assert (expected[0]["status"], expected[0]["ended_reason"], expected[0]["ended_at"]) == (
        "cancelled", "cancelled", ends), expected
    assert expected[1]["ended_reason"] == "replaced", expected
    assert seen(r.admin) == expected


ALIAS_CHARACTERS = ("may contain only the letters a-z, digits and hyphens (upper case is "
                    "stored in lower case)")


def test_the_alias_error_says_that_upper_case_is_allowed(api, disti, make_reseller,
                                                         make_tenant, sql):
    """Round-17 walkthrough of seed 002, D4: "Bad_Alias" was answered "may
    contain only lowercase letters, digits and hyphens", though upper case
    is taken and lowered and the fault is the underscore. Every place that
    checks an alias's characters says what is allowed, upper case
    included."""
    r = make_reseller(disti)
    # The storefront's draft (JSON).
    errors = S.expect_field_errors(order(api, r.admin, r.account.id, "reseller-free",
                                         "Bad_Alias", status=422), "storefront_alias")
    assert errors == {"storefront_alias": ALIAS_CHARACTERS}, errors
    # The BSS: execute with the alias, as a form with error_to.
    draft = order(api, disti.billing, r.account.id, "reseller-free")
    path = f"/api/v1/orders/{draft['id']}/execute"
    front = S.ORIGIN + "/bss/orders"
    for bad in ("Bad_Alias", "caf\u00e9-shop", "tech.sol"):
        q = error_query(api(disti.billing).form("POST", path, [("storefront_alias", bad),
                                                               ("error_to", front)]))
        assert (q["status"], q["errors[storefront_alias]"]) == ("422", ALIAS_CHARACTERS), q
    assert q["values[storefront_alias]"] == "tech.sol", q
    errors = S.expect_field_errors(api(disti.billing).post(path, json={
        "storefront_alias": "Bad_Alias"}), "storefront_alias")
    assert errors == {"storefront_alias": ALIAS_CHARACTERS}, errors
    assert sql.value("SELECT status FROM orders WHERE id=%s", int(draft["id"])) == "draft"
    # The public lookups (no identity).
    for lookup in ("storefront-aliases", "storefronts"):
        errors = S.expect_field_errors(api(None).get(
            f"/api/v1/{lookup}/Tech_Sol", params={"host": disti.host}), "alias")
        assert errors == {"alias": ALIAS_CHARACTERS}, errors
    # Upgrade's rename.
    own = S.unique("d4-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      own)["id"])["subscription"]["id"]
    errors = S.expect_field_errors(api(r.admin).post(
        f"/api/v1/subscriptions/{sid}/upgrade",
        json={"plan": "standard", "storefront_alias": "Bad_Alias"}), "storefront_alias")
    assert errors == {"storefront_alias": ALIAS_CHARACTERS}, errors
    # Who may not order gets no alias check: a member 403, another tenant 404.
    S.expect_problem(order(api, r.member, r.account.id, "reseller-free", "Bad_Alias",
                           status=403), 403)
    other = make_tenant("d4")
    S.expect_problem(order(api, other.admin, r.account.id, "reseller-free", "Bad_Alias",
                           status=404), 404)
    # Upper case itself is fine, and is stored in lower case.
    r2 = make_reseller(disti)
    mixed = S.unique("D4-Mixed-")
    done = execute(api, r2.admin, order(api, r2.admin, r2.account.id, "reseller-free",
                                        mixed)["id"])
    assert done["subscription"]["storefront"]["alias"] == mixed.lower(), done


def test_plan_codes_match_in_any_case_and_an_unknown_one_lists_the_catalog(
        api, disti, make_reseller, make_tenant, sql):
    """Round-17 walkthrough of seed 002, D5: upgrade with plan=Standard (the
    seed's word) was "no such plan in the catalog", without the valid
    codes, while the overview table's filter[plan] named them. Decision:
    plan codes match in any case wherever one is given (upgrade, the
    overview table's filter), as aliases do, and the unknown plan's error
    lists the catalog's codes."""
    codes = ", ".join(p["code"] for p in S.expect(api("olivia").get("/api/v1/plans"),
                                                  200)["items"])
    unknown = f"no such plan in the catalog; its plans are {codes}"
    r = make_reseller(disti)
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      S.unique("d5-"))["id"])["subscription"]["id"]
    up = f"/api/v1/subscriptions/{sid}/upgrade"
    # An unknown plan: JSON, and a form's error_to (the values as sent).
    errors = S.expect_field_errors(api(disti.billing).post(up, json={"plan": "Gold"}), "plan")
    assert errors == {"plan": unknown}, errors
    front = S.ORIGIN + "/storefront/upgrade"
    q = error_query(api(r.admin).form("POST", up, [("plan", "gold"), ("error_to", front)]))
    assert (q["status"], q["errors[plan]"], q["values[plan]"]) == ("422", unknown, "gold"), q
    # Who may not upgrade is refused before the plan is looked at.
    S.expect_problem(api(r.member).post(up, json={"plan": "Standard"}), 403)
    other = make_tenant("d5")
    S.expect_problem(api(other.admin).post(up, json={"plan": "Standard"}), 404)
    assert S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)["plan"] == "free"
    # "Standard" is standard: the storefront's form, with an Idempotency-Key.
    key = S.unique("d5-key-")
    got = api(r.admin).form("POST", up, [("plan", "Standard"),
                                         ("return_to", S.ORIGIN + "/storefront/{id}")],
                            headers={"Idempotency-Key": key})
    assert got.status_code == 303, S.describe(got)
    sub = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert sub["plan"] == "standard", sub
    row = [a for a in sql.audit(r.account.id) if a["action"] == "subscription.upgrade"][-1]
    assert (row["old_value"]["plan"], row["new_value"]["plan"]) == ("free", "standard"), row
    assert sql.account(r.account.id)["plan"] == "standard"
    # The key's fingerprint is the body as sent (documented): the same
    # key with the code in another case is another request.
    S.expect_field_errors(api(r.admin).form("POST", up, [("plan", "standard"), (
        "return_to", S.ORIGIN + "/storefront/{id}")], headers={"Idempotency-Key": key}),
        "Idempotency-Key")
    # The back office's upgrade in any case too.
    r2 = make_reseller(disti)
    sid2 = execute(api, disti.billing, order(api, disti.billing, r2.account.id, "reseller-free",
                                             S.unique("d5b-"))["id"])["subscription"]["id"]
    got = S.expect(api(disti.billing).post(f"/api/v1/subscriptions/{sid2}/upgrade",
                                           json={"plan": "STANDARD"}), 200)
    assert got["plan"] == "standard", got
    # The overview table's filter[plan] in any case; an unknown one keeps
    # its message. Another tenant does not see the table.
    table = "/api/v1/accounts"
    for plan in ("Standard", "standard", "STANDARD"):
        found = S.expect(api(disti.admin).get(table, params={
            "parent_id": disti.account.id, "filter[plan]": plan}), 200)["items"]
        assert {r.account.id, r2.account.id} <= {x["id"] for x in found}, (plan, found)
        assert all(x["plan"] == "standard" for x in found), found
    errors = S.expect_field_errors(api(disti.admin).get(table, params={
        "parent_id": disti.account.id, "filter[plan]": "Gold"}), "filter[plan]")
    assert errors == {"filter[plan]": f"must be a plan of the catalog: {codes}"}, errors
    found = S.expect(api(disti.billing).get(table, params={
        "parent_id": disti.account.id, "filter[plan]": "sTaNdArD"}), 200)["items"]
    assert {r.account.id, r2.account.id} <= {x["id"] for x in found}, found
    S.expect_problem(api(disti.member).get(table, params={
        "parent_id": disti.account.id, "filter[plan]": "Standard"}), 403)
    S.expect_problem(api(other.admin).get(table, params={
        "parent_id": disti.account.id, "filter[plan]": "Standard"}), 404)


# ---------------------------------------------------------------- round 17, seed 002

def storefront_welcomes(sql, account_id, after_id=None):
    """The storefront-welcome rows of the account (after after_id), settled:
    [(recipient lowered, status)]."""
    return [(x["recipient"].lower(), x["status"]) for x in S.wait_outbox_settled(
        sql, account_id=account_id, after_id=after_id) if x["template"] == "storefront-welcome"]


def put_contact(api, sql, by, account_id, kind, uid, status=200):
    """PUT …/contacts/{kind} {uid} as by, expecting status; the mails it
    queued for the account, settled: [(template, recipient lowered)]."""
    before = S.outbox_max_id(sql)
    r = api(by).put(f"/api/v1/accounts/{account_id}/contacts/{kind}", json={"uid": uid})
    if status == 200:
        assert S.expect(r, 200)["uid"] == uid
    else:
        S.expect_problem(r, status)
    rows = S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
    assert all(x["status"] == "sent" for x in rows), rows
    return [(x["template"], x["recipient"].lower()) for x in rows]


def welcomed(mails):
    """The recipients of the storefront-welcome among put_contact's mails."""
    return sorted(to for template, to in mails if template == "storefront-welcome")


def test_a_person_named_contact_after_the_order_gets_the_storefront_welcome(
        api, disti, make_account, make_person, set_roles, make_tenant, sql, mailbox):
    """Round-17 walkthrough of seed 002, D2: the distributor created a
    reseller without a contact, ordered Free for it in the back office,
    then named the reseller's person primary contact with PUT
    …/contacts/primary. The welcome had gone to the distributor's admin
    (the account's only admin) and the template's extra recipients; the
    person the seed sends it to, "the reseller's primary contact", never
    learnt the storefront's URL. Decision: a person named primary or
    technical contact (PUT) of an account with a live storefront is mailed
    the late storefront-welcome, as a contact invitation's accept does, to
    them only, once per subscription as it is (its order or newest
    upgrade): not again when they had that welcome already, but again for
    a new plan order whose welcome they did not get."""
    watch = S.unique_mail("bss-r17-")
    S.expect(api(disti.admin).put(
        f"/api/v1/accounts/{disti.account.id}/notification-templates/storefront-welcome"
        "/recipients", json={"emails": [watch]}), 200)
    # The distributor's admin creates the reseller (its admin, no contact)
    # and orders Free for it.
    golf = make_account(disti.admin, "partner", disti.account.id)
    alias = S.unique("golf-")
    free = execute(api, disti.admin, order(api, disti.admin, golf.id, "reseller-free",
                                           alias)["id"])
    url = free["subscription"]["storefront"]["url"]
    dina = disti.admin.mail.lower()
    assert sorted(storefront_welcomes(sql, golf.id)) == sorted([(dina, "sent"),
                                                                (watch.lower(), "sent")])
    gil, tess = make_person(prefix="gil"), make_person(prefix="tess")
    billing, member = make_person(prefix="gbil"), make_person(prefix="gmem")
    for who, role in ((gil, "admin"), (tess, "admin"), (billing, "billing"), (member, "member")):
        set_roles("olivia", golf.id, who, [role])
    # Who may not name a contact: the account's billing person and member
    # (403), another tenant's admin (404); nothing is mailed.
    other = make_tenant("r17d2")
    assert put_contact(api, sql, billing, golf.id, "primary", gil.uid, 403) == []
    assert put_contact(api, sql, member, golf.id, "primary", gil.uid, 403) == []
    assert put_contact(api, sql, other.admin, golf.id, "primary", gil.uid, 404) == []
    # The distributor's admin names Gil primary contact: contact-changed,
    # and the storefront-welcome to him only (not again to the extra
    # recipient or to Dina).
    before = S.outbox_max_id(sql)
    mails = put_contact(api, sql, disti.admin, golf.id, "primary", gil.uid)
    assert ("contact-changed", gil.mail.lower()) in mails, mails
    assert welcomed(mails) == [gil.mail.lower()], mails
    row = [x for x in S.outbox_rows(sql, account_id=golf.id, after_id=before)
           if x["template"] == "storefront-welcome"][0]
    got = mailbox.wait_for(outbox_id=row["id"], timeout=15)
    assert len(got) == 1, row
    text = got[0].body.replace("\r\n", "\n")
    assert got[0].subject == f"{golf.name}: your Free Edition storefront is ready", got[0].subject
    assert f"Hello {gil.name},\n" in text, text
    assert f"Your storefront: {url}\n" in text, text
    assert f"\nOrdered by {disti.admin.name} of {disti.account.name}.\n" in text, text
    assert f"Invoice {free['invoice']['number']} bills" in text, text
    assert "cancelled as of" not in text and "no longer leads" not in text, text
    # Named technical contact too: he has this subscription's welcome.
    mails = put_contact(api, sql, disti.admin, golf.id, "technical", gil.uid)
    assert ("contact-changed", gil.mail.lower()) in mails and welcomed(mails) == [], mails
    # Decision: the technical contact gets it too (the order's welcome
    # goes to both named contacts): Tess, named technical by Gil.
    mails = put_contact(api, sql, gil, golf.id, "technical", tess.uid)
    assert welcomed(mails) == [tess.mail.lower()], mails
    # A new plan order (Standard replaces Free): its welcome goes to the
    # two contacts and the extra recipient, and to Dina, who ordered it as
    # an admin of the account (round-17 walkthrough of seed 004, D1: the
    # person who acts gets the mail of their own action).
    before = S.outbox_max_id(sql)
    std = execute(api, disti.admin, order(api, disti.admin, golf.id, "reseller-standard")["id"])
    assert std["subscription"]["storefront"]["url"] == url, std
    assert sorted(storefront_welcomes(sql, golf.id, before)) == sorted([
        (gil.mail.lower(), "sent"), (tess.mail.lower(), "sent"), (watch.lower(), "sent"),
        (dina, "sent")])
    # Dina has this subscription's welcome already: named primary, she
    # gets no second one; nor does Gil, named primary again.
    mails = put_contact(api, sql, disti.admin, golf.id, "primary", disti.admin.uid)
    assert ("contact-changed", dina) in mails and welcomed(mails) == [], mails
    text = mailbox.wait_for(outbox_id=[x for x in S.outbox_rows(sql, account_id=golf.id,
                                                                after_id=before)
                                       if x["template"] == "storefront-welcome"
                                       and x["recipient"].lower() == dina][-1]["id"],
                            timeout=15)[0].body.replace("\r\n", "\n")
    assert "now has Standard Edition:" in text and f"Your storefront: {url}\n" in text, text
    assert f"Invoice {std['invoice']['number']} bills" in text, text
    mails = put_contact(api, sql, disti.admin, golf.id, "primary", gil.uid)
    assert ("contact-changed", gil.mail.lower()) in mails and welcomed(mails) == [], mails
    # A reseller without a storefront (Basic): a contact change mails no
    # welcome.
    plain = make_account(disti.admin, "partner", disti.account.id)
    set_roles("olivia", plain.id, gil, ["admin"])
    mails = put_contact(api, sql, disti.admin, plain.id, "primary", gil.uid)
    assert ("contact-changed", gil.mail.lower()) in mails and welcomed(mails) == [], mails


def test_a_contact_named_while_the_plan_is_pending_cancellation_is_told(
        api, disti, make_account, make_person, set_roles, sql, mailbox):
    """D2: the storefront of a subscription pending cancellation is still
    live: its new contact gets the welcome, with the line that it is
    cancelled as of its end and who can withdraw that."""
    acc = make_account(disti.admin, "partner", disti.account.id)
    done = execute(api, disti.admin, order(api, disti.admin, acc.id, "reseller-standard",
                                           S.unique("pend-"))["id"])
    sid = done["subscription"]["id"]
    ends = S.expect(api(disti.admin).post(f"/api/v1/subscriptions/{sid}/cancel"),
                    200)["ends_at"]
    rex = make_person(prefix="rex")
    set_roles("olivia", acc.id, rex, ["admin"])
    mails = put_contact(api, sql, disti.admin, acc.id, "primary", rex.uid)
    assert welcomed(mails) == [rex.mail.lower()], mails
    row = [x for x in S.outbox_rows(sql, account_id=acc.id)
           if x["template"] == "storefront-welcome"][-1]
    text = mailbox.wait_for(outbox_id=row["id"], timeout=15)[0].body.replace("\r\n", "\n")
    assert (f"\nThe Standard Edition subscription is cancelled as of {ends}: the storefront stops"
            f" working then. Until then an administrator of {acc.name} can withdraw the"
            " cancellation.\n") in text, text


def test_a_reseller_handed_over_with_a_live_storefront_welcomes_its_new_contact(
        api, disti, make_account, make_person, set_roles, sql, mailbox, invitation_mail):
    """D2, the other ways a contact is named: a staged reseller whose
    storefront went live while the distributor prepared it is handed over
    (POST …/transfer and its accept; the hand-over by role change). The
    customer, both contacts after it, gets the storefront-welcome once,
    next to the hand-over's own mails; nobody else gets it again."""
    # 1. POST …/transfer, accepted.
    acc = make_account(disti.admin, "partner", disti.account.id, staged=True)
    done = execute(api, disti.admin, order(api, disti.admin, acc.id, "reseller-free",
                                           S.unique("ho-"))["id"])
    url = done["subscription"]["storefront"]["url"]
    email = S.unique_mail("cora-")
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).post(f"/api/v1/accounts/{acc.id}/transfer", json={
        "email": email, "first_name": "Cora", "last_name": "Customer"}), 202)
    _, token = invitation_mail(email, after=before)
    before = S.outbox_max_id(sql)
    uid = S.unique("cora")
    S.expect(S.accept_invitation(api, token, uid=uid, password=f"{uid}-pw-12345"), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    mine = sorted(x["template"] for x in rows if x["recipient"].lower() == email.lower())
    assert mine == ["ownership-transferred", "storefront-welcome"], rows
    assert [x["recipient"].lower() for x in rows if x["template"] == "storefront-welcome"] == [
        email.lower()], rows
    welcome = [x for x in rows if x["template"] == "storefront-welcome"][0]
    text = mailbox.wait_for(outbox_id=welcome["id"], timeout=15)[0].body.replace("\r\n", "\n")
    assert f"Your storefront: {url}\n" in text, text
    assert f"Ordered by {disti.admin.name} of {disti.account.name}." in text, text

    # 2. The hand-over by role change: the distributor's admin makes
    # themselves service provider, leaving the customer's admin.
    acc = make_account(disti.admin, "partner", disti.account.id, staged=True)
    execute(api, disti.admin, order(api, disti.admin, acc.id, "reseller-standard",
                                    S.unique("hr-"))["id"])
    cust = make_person(prefix="cust")
    set_roles("olivia", acc.id, cust, ["admin"])
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).put(f"/api/v1/accounts/{acc.id}/members/{disti.admin.uid}",
                                  json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    mine = sorted(x["template"] for x in rows if x["recipient"].lower() == cust.mail.lower())
    # Her mail of the hand-over: account-handed-over (round-23
    # walkthrough of seed 000, D2), not a copy of contact-changed.
    assert mine == ["account-handed-over", "storefront-welcome"], rows
    assert [x["recipient"].lower() for x in rows if x["template"] == "storefront-welcome"] == [
        cust.mail.lower()], rows
    # Named primary again later (by themselves): no second welcome.
    mails = put_contact(api, sql, cust, acc.id, "primary", cust.uid)
    assert welcomed(mails) == [], mails


def test_the_cancellation_of_a_reseller_plan_says_what_ends_and_what_is_kept(
        api, disti, make_reseller, make_tenant, make_account, sql, mailbox):
    """Round-17 walkthrough of seed 002, D3: the cancellation mail of a
    reseller plan said that the storefront URL stops working, not that
    the reseller's customers lose their sign-in at the term end ("neither
    the Standard Reseller nor the sub-customers will be able to log in"),
    nor that the alias and the storefront's settings are kept for
    storefront_retention_days and come back with the next plan order.
    Decision (migration 072): one line each, only for a reseller plan with
    a storefront."""
    r = make_reseller(disti)
    alias = S.unique("d3-")
    done = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard",
                                       alias)["id"])
    sid, url = done["subscription"]["id"], done["subscription"]["storefront"]["url"]
    # Who may not cancel: a member (403), another tenant (404); nothing
    # is mailed or changed.
    other = make_tenant("r17d3")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{sid}/cancel"), 403)
    S.expect_problem(api(other.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 404)
    assert S.outbox_rows(sql, account_id=r.account.id, after_id=before) == []
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "active"
    # The reseller's billing person cancels (the distributor's back office
    # may too: test_who_may_order_and_cancel).
    ends = S.expect(api(r.billing).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    rows = [x for x in S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
            if x["template"] == "subscription-cancelled"]
    # The billing person who cancelled gets a copy too (round-17
    # walkthrough of seed 004, D1).
    assert sorted(x["recipient"].lower() for x in rows) == sorted(
        [r.admin.mail.lower(), r.recipient.lower(), r.billing.mail.lower()]), rows
    mail = mailbox.wait_for(outbox_id=[x for x in rows if x["recipient"].lower()
                                       == r.admin.mail.lower()][0]["id"], timeout=15)[0]
    text = mail.body.replace("\r\n", "\n")
    name = r.account.name
    assert (f"It stays in service until {ends} and ends then.\n"
            f"Then {name} returns to the Basic plan and its storefront URL stops working.\n"
            f"From then on neither {name} nor its customers can sign in at {url}.\n\n"
            f"Until then an administrator or billing user of {name} can withdraw") in text, text
    days = retention_days()
    kept = (f"\nThe storefront's alias and settings are kept for {days} "
            f"day{'' if days == 1 else 's'} after the end: an order of a plan with a storefront"
            " within that time brings them back; after that the alias is free for another"
            " reseller.\n")
    assert (kept in text) == (days > 0), text
    assert text.endswith("continuing needs a new order.\n" + kept[1:] if days > 0
                         else "continuing needs a new order.\n"), text
    # A customer plan has no storefront: neither line.
    t = make_tenant("r17d3c")
    cust = make_account(t.admin, "customer", t.account.id)
    to = S.unique_mail("d3c-")
    S.expect(api("olivia").put(f"/api/v1/accounts/{cust.id}/notification-recipients",
                               json={"emails": [to]}), 200)
    csid = execute(api, t.admin, order(api, t.admin, cust.id, "professional")["id"])[
        "subscription"]["id"]
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{csid}/cancel"), 200)
    row = [x for x in S.wait_outbox_settled(sql, account_id=cust.id, after_id=before)
           if x["template"] == "subscription-cancelled" and x["recipient"].lower() == to.lower()]
    text = mailbox.wait_for(outbox_id=row[0]["id"], timeout=15)[0].body.replace("\r\n", "\n")
    assert "sign in at" not in text and "kept for" not in text, text
    assert text.endswith("continuing needs a new order.\n") and "\n\n\n" not in text, text


# ---------------------------------------------------------------- round 18 (seed 002)

def qcache_hits(sql):
    return int(sql.row("SHOW GLOBAL STATUS LIKE 'Qcache_hits'")["Value"])


def test_only_the_storefronts_people_sign_in_there(api, disti, make_reseller, make_account,
                                                   make_person, set_roles, make_tenant,
                                                   ldap_admin, sql, env):
    """Round-18 walkthrough of seed 002, D1: any person of any tenant signed
    in at a reseller's storefront (another reseller's admin, eve, paul: 200).
    The seed: the reseller logs into its storefront, and after the end
    "neither the Standard Reseller nor the sub-customers will be able to log
    in". Decision: under /<alias>/ of a storefront, /auth admits the people
    of the storefront's account and of the accounts below it (a project
    role counts), the distributor's people and operator staff; anyone else
    is 403. Wrong credentials stay 401; the plain check and pages that are
    no storefront's admit everyone as before; a cancelled storefront still
    refuses everybody."""
    import ldap3
    r = make_reseller(disti)
    alias = S.unique("gate-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)[
        "id"])["subscription"]["id"]
    other = make_reseller(disti)  # another reseller of the same distributor
    other_alias = S.unique("gato-")
    execute(api, other.admin, order(api, other.admin, other.account.id, "reseller-free",
                                    other_alias)["id"])
    cust = make_account(r.admin, "customer", r.account.id)  # a sub-customer
    cust_admin, cust_member = make_person(prefix="gca"), make_person(prefix="gcm")
    set_roles(r.admin, cust.id, cust_admin, ["admin"])
    set_roles(r.admin, cust.id, cust_member, ["member"])
    stranger = make_tenant("gate")  # another tenant entirely
    admitted = [r.admin, r.billing, r.member, cust_admin, cust_member, disti.admin,
                disti.billing, disti.member]
    for who in admitted:
        resp = storefront_login(who.uid, disti.host, alias)
        assert resp.status_code == 200, (who.uid, S.describe(resp))
        assert resp.headers["X-Accountd-User"] == who.uid
    assert storefront_login("olivia", disti.host, alias).status_code == 200  # operator staff
    for who in (other.admin, other.member, stranger.admin):
        body = S.expect_problem(storefront_login(who.uid, disti.host, alias, "/portal/login"),
                                403, "forbidden")
        assert body["detail"] == (
            "you cannot sign in at this storefront: it is for the people of its reseller, of "
            "the reseller's customers and of its distributor"), body
        # Through nginx's storefront server, in every spelling of the page.
        S.expect_problem(storefront_page(who.uid, disti.host, alias), 403, "forbidden")
        assert raw_page(who.uid, disti.host, f"/{alias.upper()}/x/../login") == 403
        # The plain check, the API's path and a page that is no storefront's
        # (another alias that nobody has, another host) let them in as before.
        plain = S.Api(auth=(who.uid, S.PASSWORDS[who.uid])).get("/api/v1/auth")
        assert plain.status_code == 200, S.describe(plain)
        assert storefront_login(who.uid, disti.host, "api", "/v1/me").status_code == 200
        assert storefront_login(who.uid, disti.host, S.unique("none-")).status_code == 200
        assert storefront_page(who.uid, f"{S.unique('x-')}.storefront.test",
                               alias).status_code == 200
    # The other reseller's people at their own storefront: in.
    assert storefront_login(other.admin.uid, disti.host, other_alias).status_code == 200
    assert storefront_login(r.admin.uid, disti.host, other_alias).status_code == 403
    # Wrong credentials: 401, not 403, for people of the storefront and
    # strangers alike.
    for uid in (r.admin.uid, stranger.admin.uid):
        wrong = S.Api(auth=(uid, "wrong-password")).get(
            "/api/v1/auth", headers={"Host": disti.host, "X-Original-URI": f"/{alias}/"})
        assert wrong.status_code == 401, S.describe(wrong)
    # A person with only a project role in the sub-customer is one of its
    # people; the role arrives by an LDAP administrator's change.
    proj = S.expect(api(cust_admin).post(f"/api/v1/accounts/{cust.id}/projects",
                                         json={"name": S.unique("gate-p-")}), 201)
    reader = make_person(prefix="gpr")
    S.expect_problem(storefront_login(reader.uid, disti.host, alias), 403, "forbidden")
    assert ldap_admin.modify(S.project_dn(cust.id, proj["id"], "reader"),
                             {"member": [(ldap3.MODIFY_ADD, [reader.dn])]}), ldap_admin.result
    got = S.poll(lambda: storefront_login(reader.uid, disti.host, alias),
                 lambda x: x.status_code == 200, 5)
    assert got.status_code == 200, S.describe(got)
    # A service provider of the sub-customer: in while the access lasts, out
    # once its expires_at has passed (before accountd maint removes the role).
    sp = make_person(prefix="gsp")
    set_roles(r.admin, cust.id, sp, ["service-provider"])
    assert storefront_login(sp.uid, disti.host, alias).status_code == 200
    sql.rows("INSERT INTO service_provider_access (account_id, uid, granted_by, expires_at)"
             " VALUES (%s, %s, 'test', CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND)"
             " ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)", int(cust.id), sp.uid)
    S.expect_problem(storefront_login(sp.uid, disti.host, alias), 403, "forbidden")
    # A role taken away counts at once: the member leaves the sub-customer.
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{cust.id}/members/{cust_member.uid}"), 204)
    S.expect_problem(storefront_login(cust_member.uid, disti.host, alias), 403, "forbidden")
    # The check is one statement, answered from MariaDB's query cache when
    # repeated.
    storefront_login(r.member.uid, disti.host, alias)
    before = qcache_hits(sql)
    for _ in range(5):
        assert storefront_login(r.member.uid, disti.host, alias).status_code == 200
    assert qcache_hits(sql) - before >= 5
    # Cancelled at term end: nobody signs in, the reseller and the
    # distributor included.
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    assert storefront_login(cust_admin.uid, disti.host, alias).status_code == 200  # pending
    run_maint(env, later(ends, seconds=1))
    for uid in (r.admin.uid, cust_admin.uid, disti.admin.uid, "olivia", stranger.admin.uid):
        body = S.expect_problem(storefront_login(uid, disti.host, alias), 403, "forbidden")
        assert "cancelled" in body["detail"], body


def test_a_storefront_admits_the_resellers_live_customers(api, disti, make_reseller,
                                                          make_account, make_person, set_roles,
                                                          make_tenant, sql, mailbox):
    """Round-19 walkthrough of seed 002, D2: the gate's "customers" were the
    accounts below the reseller: Kim, whose organisation is the reseller's
    customer by an approved relation, got 403; Cleo, whose shop (a child)
    had ended its relation, and Dora, whose shop the reseller had closed,
    still signed in. Decision: besides the reseller's own people, its
    distributor's and operator staff, a storefront admits the people of a
    customer of the reseller that is not closed: an account below it
    whose relation with the reseller (and with its own parent), where one
    was recorded, is active, or an account with an active relation with
    it. The closed customer's account-closed mail says which storefront's
    sign-in ends."""
    r = make_reseller(disti)
    alias = S.unique("cu-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    url = f"https://{disti.host}/{alias}"

    def person_in(by, account_id, role="admin", prefix="cp"):
        who = make_person(prefix=prefix)
        set_roles(by, account_id, who, [role])
        return who

    def admitted(who):
        return storefront_login(who.uid, disti.host, alias).status_code == 200

    def refused(who):
        body = S.expect_problem(storefront_login(who.uid, disti.host, alias), 403, "forbidden")
        assert body["detail"].startswith("you cannot sign in at this storefront"), body
        return True

    # Kim's organisation belongs to another partner; it becomes the
    # reseller's customer by a relation its admin approves.
    kilo_owner = make_tenant("kilo")
    kilo = make_account(kilo_owner.admin, "customer", kilo_owner.account.id)
    kim = person_in(kilo_owner.admin, kilo.id, prefix="kim")
    kilo_member = person_in(kilo_owner.admin, kilo.id, "member", prefix="kimm")
    cleo_shop = make_account(r.admin, "customer", r.account.id)
    dora_shop = make_account(r.admin, "customer", r.account.id)
    cleo = person_in(r.admin, cleo_shop.id, prefix="cleo")
    dora = person_in(r.admin, dora_shop.id, prefix="dora")
    # A sub-reseller's customer is a customer below the reseller too.
    sub = make_account(r.admin, "partner", r.account.id)
    gus_shop = make_account(r.admin, "customer", sub.id)
    gus = person_in(r.admin, gus_shop.id, prefix="gus")
    stranger = make_tenant("cu-other")
    other = make_reseller(disti)
    other_cust = make_account(other.admin, "customer", other.account.id)
    other_cust_admin = make_person(prefix="ocu")
    set_roles(other.admin, other_cust.id, other_cust_admin, ["admin"])

    for who in (r.admin, r.billing, r.member, cleo, dora, gus, disti.admin, disti.member):
        assert admitted(who), who.uid
    assert storefront_login("olivia", disti.host, alias).status_code == 200
    for who in (kim, kilo_member, stranger.admin, other.admin, other_cust_admin):
        assert refused(who)

    # The relation: pending is not yet a customer; approved is.
    rel = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/customer-relations",
                                     json={"customer_id": kilo.id}), 202)
    assert refused(kim)
    S.expect(api(kim).post(f"/api/v1/customer-relations/{rel['id']}/approve"), 200)
    assert admitted(kim) and admitted(kilo_member)
    # ... and its people are still none of another reseller's.
    assert storefront_login(kim.uid, disti.host, S.unique("none-")).status_code == 200
    assert refused(stranger.admin) and refused(other_cust_admin)

    # Cleo's shop ends its relation: out, though still below the reseller.
    cleo_rel = sql.value("SELECT id FROM customer_relations WHERE partner_id=%s"
                         " AND customer_id=%s", int(r.account.id), int(cleo_shop.id))
    S.expect(api(cleo).post(f"/api/v1/customer-relations/{cleo_rel}/end"), 200)
    assert refused(cleo)
    # Asked again (the same row, pending): not a customer until approved.
    again = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/customer-relations",
                                       json={"customer_id": cleo_shop.id}), 202)
    assert int(again["id"]) == int(cleo_rel)
    assert refused(cleo)
    S.expect(api(cleo).post(f"/api/v1/customer-relations/{cleo_rel}/approve"), 200)
    assert admitted(cleo)
    # The sub-reseller's customer that ends its relation with its own
    # parent is no customer below the reseller any more.
    gus_rel = sql.value("SELECT id FROM customer_relations WHERE partner_id=%s"
                        " AND customer_id=%s", int(sub.id), int(gus_shop.id))
    S.expect(api(gus).post(f"/api/v1/customer-relations/{gus_rel}/end"), 200)
    assert refused(gus)

    # Dora's shop is closed by the reseller: out at once, and its mail says
    # so. Another tenant may not close it.
    S.expect_problem(api(stranger.admin).delete(f"/api/v1/accounts/{dora_shop.id}"), 404)
    assert admitted(dora)
    before = S.outbox_max_id(sql)
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{dora_shop.id}"), 204)
    assert refused(dora)
    line = (f"\nIts people can no longer sign in at the storefront of {r.account.name} ({url})"
            " by their roles here: a reseller's storefront is for the people of its customers,"
            " and a closed account is none of them.\n")
    mails = closing_mails(api, sql, mailbox, dora_shop.id, "account-closed", before)
    assert dora.mail.lower() in mails, mails
    for body in mails.values():
        assert line in body, body
    # The customer by relation, closed by its own admin: out, and told.
    before = S.outbox_max_id(sql)
    S.expect(api(kilo_owner.admin).delete(f"/api/v1/accounts/{kilo.id}"), 204)
    assert refused(kim) and refused(kilo_member)
    mails = closing_mails(api, sql, mailbox, kilo.id, "account-closed", before)
    assert kim.mail.lower() in mails, mails
    for body in mails.values():
        assert line in body, body
    # The live children's and the reseller's people are still in.
    for who in (r.admin, r.member, cleo, disti.billing):
        assert admitted(who), who.uid

    # No live storefront above: no such line. A customer of a reseller
    # without one, and one whose relation had ended before the close.
    plain = make_reseller(disti)
    plain_cust = make_account(plain.admin, "customer", plain.account.id)
    before = S.outbox_max_id(sql)
    S.expect(api(plain.admin).delete(f"/api/v1/accounts/{plain_cust.id}"), 204)
    mails = closing_mails(api, sql, mailbox, plain_cust.id, "account-closed", before)
    assert plain.admin.mail.lower() in mails, mails
    for body in mails.values():
        assert "sign in at" not in body, body
        assert "It is kept until" in body, body
    before = S.outbox_max_id(sql)
    S.expect(api(gus).delete(f"/api/v1/accounts/{gus_shop.id}"), 204)
    mails = closing_mails(api, sql, mailbox, gus_shop.id, "account-closed", before)
    assert gus.mail.lower() in mails, mails
    for body in mails.values():
        assert "sign in at" not in body, body


def test_a_closed_distributors_people_no_longer_sign_in_at_its_resellers_storefronts(
        api, disti, make_reseller, make_account, make_person, set_roles, make_tenant, sql):
    """Round-22 walkthrough of seed 002, D1: after the distributor was
    closed, Bert (only its billing person) and Dina (its admin, whom Juliet
    had removed) still signed in (200) at every former reseller's
    storefront, a sub-reseller's included, while the resellers'
    parent-closed mail says the distributor's people no longer act for
    them. Decision: a role in the storefront's distributor admits only
    while the distributor is not closed, as a customer's role only while
    the customer is not; the 403 (and X-Accountd-Reason) says so. Roles the
    distributor's people hold in the reseller itself still count, and so do
    the reseller's and its customers' people and operator staff."""
    r = make_reseller(disti)
    alias = S.unique("dc-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    sub = make_account(r.admin, "partner", r.account.id)  # a sub-reseller two levels down
    sub_alias = S.unique("dcs-")
    execute(api, "olivia", order(api, "olivia", sub.id, "reseller-free", sub_alias)["id"])
    shop = make_account(r.admin, "customer", r.account.id)
    shop_admin = make_person(prefix="dcc")
    set_roles(r.admin, shop.id, shop_admin, ["admin"])
    # The distributor's member also holds a role in the reseller itself.
    set_roles(r.admin, r.account.id, disti.member, ["member"])
    stranger = make_tenant("dc")
    for a in (alias, sub_alias):
        for who in (disti.admin, disti.billing, disti.member):
            assert storefront_login(who.uid, disti.host, a).status_code == 200, (who.uid, a)

    S.expect(api(disti.admin).delete(f"/api/v1/accounts/{disti.account.id}"), 204)
    closed = ("you cannot sign in at this storefront: your role in its distributor no longer "
              "admits you, since the distributor is closed")
    not_yours = ("you cannot sign in at this storefront: it is for the people of its reseller, "
                 "of the reseller's customers and of its distributor")
    # Bert-like (only billing in the closed distributor) and the admin: out
    # at the reseller's and the sub-reseller's storefront, with the reason
    # in the problem, in X-Accountd-Reason and on nginx's 403 page.
    for a in (alias, sub_alias):
        for who in (disti.admin, disti.billing):
            resp = storefront_login(who.uid, disti.host, a)
            body = S.expect_problem(resp, 403, "forbidden")
            assert body["detail"] == closed, (who.uid, a, body)
            assert resp.headers["X-Accountd-Reason"] == closed, S.describe(resp)
            status, text = raw_page_answer(who.uid, disti.host, f"/{a}/portal")
            assert status == 403 and json.loads(text)["detail"] == closed, (status, text)
    # The member's own role in the reseller still counts there (not at the
    # sub-reseller's, where only the closed distributor admitted them).
    assert storefront_login(disti.member.uid, disti.host, alias).status_code == 200
    body = S.expect_problem(storefront_login(disti.member.uid, disti.host, sub_alias), 403)
    assert body["detail"] == closed, body
    # The reseller's own people, its customer's and operator staff: in.
    for who in (r.admin, r.billing, r.member, shop_admin):
        resp = storefront_login(who.uid, disti.host, alias)
        assert resp.status_code == 200 and "X-Accountd-Reason" not in resp.headers, (
            who.uid, S.describe(resp))
    assert storefront_login("olivia", disti.host, alias).status_code == 200
    assert storefront_login("olivia", disti.host, sub_alias).status_code == 200
    # Strangers as before; a closed customer's people as before.
    body = S.expect_problem(storefront_login(stranger.admin.uid, disti.host, alias), 403)
    assert body["detail"] == not_yours, body
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{shop.id}"), 204)
    body = S.expect_problem(storefront_login(shop_admin.uid, disti.host, alias), 403)
    assert body["detail"] == not_yours, body
    # The plain check (no storefront page) still lets the distributor's
    # people through.
    plain = S.Api(auth=(disti.billing.uid, S.PASSWORDS[disti.billing.uid])).get("/api/v1/auth")
    assert plain.status_code == 200, S.describe(plain)


def test_a_closed_distributors_overrides_and_extra_recipients_stop_at_the_close(
        api, disti, make_reseller, make_tenant, sql):
    """Round-23 walkthrough of seed 002, D2: after a distributor was
    closed, its extra recipients kept getting copies of its resellers'
    billing mails (invoice number and amount included) and its override
    of the welcome stayed in force; nobody could stop it (the closed
    distributor's list is frozen, a reseller sets none: both 409).
    Decision: a closed account above no longer decides the mails of the
    accounts below it: its overrides and extra recipients stop at the
    close (the next open distributor's, the operator's or the shipped
    default apply), and the reseller's inherited list leaves it out. Its
    own mails keep its own override."""
    name = "storefront-welcome"
    tpl = f"/api/v1/accounts/{disti.account.id}/notification-templates/{name}"
    watch = S.unique_mail("closed-watch-")
    S.expect(api(disti.admin).put(tpl, json={
        "subject": "Disti welcome {{account_name}}", "body": "Disti text {{storefront_url}}.\n"}),
        200)
    S.expect(api(disti.admin).put(f"{tpl}/recipients", json={"emails": [watch]}), 200)
    r = make_reseller(disti)
    rtpl = f"/api/v1/accounts/{r.account.id}/notification-templates/{name}"
    got = S.expect(api(r.admin).get(f"{rtpl}/recipients"), 200)
    assert got["inherited"] == [{"account_id": str(disti.account.id), "emails": [watch]}], got
    assert S.expect(api(r.admin).get(rtpl), 200)["source_account_id"] == str(disti.account.id)

    S.expect(api(disti.admin).delete(f"/api/v1/accounts/{disti.account.id}"), 204)
    # The reads say what applies now: nothing inherited, the default text.
    got = S.expect(api(r.admin).get(f"{rtpl}/recipients"), 200)
    assert got == {"name": name, "emails": [], "inherited": []}, got
    got = S.expect(api(r.admin).get(rtpl), 200)
    assert got["overridden"] is False and got["source_account_id"] is None, got
    # The closed distributor's own reads keep its override and list.
    assert S.expect(api(disti.admin).get(tpl), 200)["subject"] == "Disti welcome {{account_name}}"
    # The reseller's own order after the close: its welcome (with the
    # invoice) goes to its own people only, with the shipped text.
    alias = S.unique("cdw-")
    before = S.outbox_max_id(sql)
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-standard", alias)["id"])
    rows = [x for x in S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
            if x["template"] == name]
    assert rows, S.outbox_rows(sql, account_id=r.account.id, after_id=before)
    got = {x["recipient"].lower() for x in rows}
    assert got == {r.admin.mail.lower(), r.recipient.lower()}, rows
    for x in rows:
        assert "Disti" not in x["subject"] and "Disti text" not in x["body"], x
    # Another tenant still reads nothing of the reseller's templates.
    S.expect_problem(api(make_tenant("cdw").admin).get(f"{rtpl}/recipients"), 404)


def test_the_close_itself_mails_with_the_closing_distributors_override_and_recipients(
        api, disti, make_reseller, make_account, make_person, set_roles, make_tenant, sql,
        mailbox):
    """Round-24 walkthrough of seed 002, D1: Dina wrote the parent-closed
    her resellers should read about her close (Nova Disti takes over) and
    added her sales address, and the close sent the shipped text to the
    resellers and no copy: since round 23's D2 a closed account above no
    longer decides its children's mails, and the close's own mails were
    queued after the row said closed. Decision: the mails the close
    queues (parent-closed to its children, its account-closed) still
    take the closing account's override and extra recipients; any mail
    queued after the close does not (a later parent-closed below it
    included)."""
    name = "parent-closed"
    tpl = f"/api/v1/accounts/{disti.account.id}/notification-templates/{name}"
    sales = S.unique_mail("nova-sales-")
    subject = "Cloud Disti is closing: {{account_name}} continues"
    S.expect(api(disti.admin).put(tpl, json={
        "subject": subject,
        "body": "{{greeting}}\n\nWe moved our business to Nova Disti: please contact "
                "onboarding@nova.example to move {{account_name}} there.\n"}), 200)
    S.expect(api(disti.admin).put(f"{tpl}/recipients", json={"emails": [sales]}), 200)
    r = make_reseller(disti)
    shop = make_account(r.admin, "customer", r.account.id)
    cleo = make_person(prefix="pco")
    set_roles(r.admin, shop.id, cleo, ["admin"])
    S.expect(api(r.admin).put(f"/api/v1/accounts/{shop.id}/contacts/primary",
                              json={"uid": cleo.uid}), 200)
    # Roles that may not close the distributor; another tenant.
    path = f"/api/v1/accounts/{disti.account.id}"
    S.expect_problem(api(disti.billing).delete(path), 403)
    S.expect_problem(api(r.admin).delete(path), 404)  # a reseller does not see its distributor
    S.expect_problem(api(make_tenant("pco").admin).delete(path), 404)

    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).delete(path), 204)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
            if x["template"] == name]
    got = {x["recipient"].lower() for x in rows}
    assert sales.lower() in got and r.admin.mail.lower() in got, rows
    wanted = f"Cloud Disti is closing: {r.account.name} continues"
    for x in rows:
        assert x["subject"] == wanted, x
    for body in closing_mails(api, sql, mailbox, r.account.id, name, before).values():
        assert "Nova Disti" in body and r.account.name in body, body
    # A later mail below the closed distributor, even of the same
    # template, no longer takes them: the reseller's own close tells its
    # customer in the shipped text, with no copy to the sales address.
    before = S.outbox_max_id(sql)
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{r.account.id}"), 204)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=shop.id, after_id=before)
            if x["template"] == name]
    assert {x["recipient"].lower() for x in rows} == {cleo.mail.lower()}, rows
    for x in rows:
        assert "is closing" not in x["subject"], x
    for body in closing_mails(api, sql, mailbox, shop.id, name, before).values():
        assert "Nova Disti" not in body, body
    # And the closed distributor's own reads still show what it set.
    assert S.expect(api(disti.admin).get(tpl), 200)["subject"] == subject


def test_a_closed_distributors_account_closed_names_the_storefronts_its_people_lose(
        api, disti, make_reseller, make_tenant, sql, mailbox):
    """Round-23 walkthrough of seed 002, D1: since a role in a closed
    distributor admits nobody at its resellers' storefronts (round 22, D1),
    Bert (only its billing person) and Dina lost the sign-in at them, but
    the distributor's account-closed mail said nothing of it. Decision:
    {{open_children}} goes on, for a distributor whose open resellers have
    live storefronts, "By their roles in this account, its people can no
    longer sign in at the storefronts of A (url) and B (url), nor at the
    storefronts below them; roles they hold in a reseller or in its
    customers still admit them there." (named from the children the close
    reads anyway; a reseller without a live storefront is not named, and
    without any the sentence is left out). The mail goes to whom it went;
    the distributor's billing person and member get none."""
    live = []
    for _ in range(2):
        r = make_reseller(disti)
        alias = S.unique("dsl-")
        execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
        live.append((r, alias))
    plain = make_reseller(disti)  # no storefront
    for who in (disti.admin, disti.billing):
        assert storefront_login(who.uid, disti.host, live[0][1]).status_code == 200

    path = f"/api/v1/accounts/{disti.account.id}"
    S.expect_problem(api(disti.billing).delete(path), 403)
    S.expect_problem(api(disti.member).delete(path), 403)
    S.expect_problem(api(make_tenant("dsl").admin).delete(path), 404)
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).delete(path), 204)
    closed = closing_mails(api, sql, mailbox, disti.account.id, "account-closed", before)
    assert disti.admin.mail.lower() in closed, closed
    assert disti.billing.mail.lower() not in closed and disti.member.mail.lower() not in closed
    named = " and ".join(f"{r.account.name} (https://{disti.host}/{a})" for r, a in live)
    sentence = (f" By their roles in this account, its people can no longer sign in at the "
                f"storefronts of {named}, nor at the storefronts below them; roles they hold in "
                "a reseller or in its customers still admit them there.\n")
    for body in closed.values():
        assert "\n3 child accounts of it stay open, with their subscriptions and storefronts" \
            in body, body
        assert sentence in body, body
        assert plain.account.name not in body, body
    # What it says is what the gate does.
    for r, a in live:
        for who in (disti.admin, disti.billing):
            S.expect_problem(storefront_login(who.uid, disti.host, a), 403, "forbidden")
    # No extra mails: the resellers get their parent-closed, nothing else.
    for r in (live[0][0], live[1][0], plain):
        rows = S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
        assert {x["template"] for x in rows} == {"parent-closed"}, rows


def test_a_distributor_without_live_storefronts_says_nothing_of_storefront_sign_in(
        api, disti, make_reseller, sql, mailbox):
    """Round-23 walkthrough of seed 002, D1: the sentence is only there
    when a reseller has a live storefront (a cancelled one admits nobody
    anyway)."""
    make_reseller(disti)
    before = S.outbox_max_id(sql)
    S.expect(api(disti.admin).delete(f"/api/v1/accounts/{disti.account.id}"), 204)
    closed = closing_mails(api, sql, mailbox, disti.account.id, "account-closed", before)
    for body in closed.values():
        assert "\n1 child account of it stays open" in body, body
        assert "sign in" not in body, body


def test_a_reseller_of_a_closed_distributor_cannot_ask_it_for_a_quote(
        api, disti, make_reseller, make_account, make_person, set_roles, make_tenant, sql):
    """Round-24 walkthrough of seed 002, D2: after Cloud Disti was closed,
    Hal asked it for a quote (201) and the closed distributor's people were
    mailed that it "sells to" Hotel, whose parent-closed said that back
    office had ended. Decision: a quote asked of a closed seller is 409
    naming the closed seller and what the account can do instead (order
    from the catalog itself, or ask the operator); nothing is written and
    nobody is mailed. A customer of an open reseller below the closed
    distributor still asks its reseller."""
    r = make_reseller(disti)
    shop = make_account(r.admin, "customer", r.account.id)
    buyer = make_person(prefix="qcb")
    set_roles(r.admin, shop.id, buyer, ["admin"])
    path = f"/api/v1/accounts/{r.account.id}/quotes"
    lines = {"lines": [{"article": "reseller-standard", "quantity": 1}]}
    S.expect(api(r.admin).post(path, json=lines), 201)  # open: asked, as before
    S.expect(api(disti.admin).delete(f"/api/v1/accounts/{disti.account.id}"), 204)
    quotes = S.expect(api(r.admin).get(path), 200)["items"]
    before = S.outbox_max_id(sql)
    audit = len(sql.audit(r.account.id))
    wanted = (f"{disti.account.name}, the seller of {r.account.name}, is closed: nobody there "
              "answers a quote request any more. The catalog's prices are in GET /api/v1/plans "
              "and GET /api/v1/articles; order from it yourself (POST "
              f"/api/v1/accounts/{r.account.id}/orders), or ask the operator")
    for who in (r.admin, r.billing):
        body = S.expect_problem(api(who).post(path, json=lines), 409, "conflict")
        assert body["detail"] == wanted, body
    # Roles that may not ask, the closed distributor's people, another tenant.
    S.expect_problem(api(r.member).post(path, json=lines), 403)
    S.expect_problem(api(disti.billing).post(path, json=lines), 403)
    S.expect_problem(api(make_tenant("qc").admin).post(path, json=lines), 404)
    # Nothing written, nobody mailed.
    assert S.expect(api(r.admin).get(path), 200)["items"] == quotes
    assert len(sql.audit(r.account.id)) == audit
    assert [x for x in S.outbox_rows(sql, account_id=disti.account.id, after_id=before)
            if x["template"] == "quote-requested"] == []
    # The reseller itself is open: its customer still asks it.
    S.expect(api(buyer).post(f"/api/v1/accounts/{shop.id}/quotes", json={
        "lines": [{"article": "starter", "quantity": 1}]}), 201)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=r.account.id, after_id=before)
            if x["template"] == "quote-requested"]
    assert rows and r.admin.mail.lower() in {x["recipient"].lower() for x in rows}, rows


def test_a_closed_resellers_customers_are_told_until_when_they_sign_in_at_its_storefront(
        api, disti, make_reseller, make_account, make_person, set_roles, make_tenant, sql,
        mailbox):
    """Round-23 walkthrough of seed 002, D3: TechSolutions was closed while
    pending cancellation; its storefront runs to its term end and Cleo (of
    its customer Cleo Shop) still signs in there, but Cleo Shop's
    parent-closed said nothing of it. Decision (migration 103,
    {{parent_storefront}}): a child whose people the closed parent's live
    storefront admits as its customers reads "The people of <child> can
    still sign in at the storefront of <parent> at <url> until <ends_at>,
    when its subscription ends, and no longer after that."; a child it
    does not admit (its relation ended), and every child of a parent
    without a live storefront, gets no such line."""
    r = make_reseller(disti)
    alias = S.unique("pcs-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      alias)["id"])["subscription"]["id"]
    url = f"https://{disti.host}/{alias}"

    def customer(prefix):
        shop = make_account(r.admin, "customer", r.account.id)
        who = make_person(prefix=prefix)
        set_roles(r.admin, shop.id, who, ["admin"])
        S.expect(api(r.admin).put(f"/api/v1/accounts/{shop.id}/contacts/primary",
                                  json={"uid": who.uid}), 200)
        return shop, who

    cleo_shop, cleo = customer("pcsc")
    gone_shop, gus = customer("pcsg")  # ends its relation: no longer admitted there
    rid = sql.value("SELECT id FROM customer_relations WHERE partner_id=%s AND customer_id=%s",
                    int(r.account.id), int(gone_shop.id))
    S.expect(api(gus).post(f"/api/v1/customer-relations/{rid}/end"), 200)
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]

    path = f"/api/v1/accounts/{r.account.id}"
    for who in (r.billing, r.member):
        S.expect_problem(api(who).delete(path), 403)
    S.expect_problem(api(make_tenant("pcs").admin).delete(path), 404)
    before = S.outbox_max_id(sql)
    S.expect(api(r.admin).delete(path), 204)

    line = (f"\nThe people of {cleo_shop.name} can still sign in at the storefront of "
            f"{r.account.name} at {url} until {ends}, when its subscription ends, and no longer "
            "after that.\n")
    mails = closing_mails(api, sql, mailbox, cleo_shop.id, "parent-closed", before)
    assert set(mails) == {cleo.mail.lower()}, mails
    for body in mails.values():
        assert line in body, body
        assert "Its storefront stays" not in body, body  # Cleo Shop has none of its own
    mails = closing_mails(api, sql, mailbox, gone_shop.id, "parent-closed", before)
    assert set(mails) == {gus.mail.lower()}, mails
    for body in mails.values():
        assert "can still sign in" not in body, body
    # What it says is what the gate does.
    assert storefront_login(cleo.uid, disti.host, alias).status_code == 200
    S.expect_problem(storefront_login(gus.uid, disti.host, alias), 403, "forbidden")
    # No extra mails: one parent-closed per reader; the reseller's own
    # readers get account-closed without the customers' line.
    for shop in (cleo_shop, gone_shop):
        rows = S.wait_outbox_settled(sql, account_id=shop.id, after_id=before)
        assert [x["template"] for x in rows] == ["parent-closed"], rows
    closed = closing_mails(api, sql, mailbox, r.account.id, "account-closed", before)
    for body in closed.values():
        assert "can still sign in" not in body, body


def test_a_closed_partner_without_a_storefront_tells_its_customer_nothing_of_one(
        api, disti, make_reseller, make_account, sql, mailbox):
    """Round-23 walkthrough of seed 002, D3: without a live storefront of
    the closed parent, parent-closed has no storefront line."""
    r = make_reseller(disti)
    shop = make_account(r.admin, "customer", r.account.id)
    before = S.outbox_max_id(sql)
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{r.account.id}"), 204)
    mails = closing_mails(api, sql, mailbox, shop.id, "parent-closed", before)
    assert mails, mails
    for body in mails.values():
        assert "sign in" not in body, body


def test_ending_a_relation_says_whose_storefront_sign_in_it_ends(api, disti, make_reseller,
                                                                 make_account, make_person,
                                                                 set_roles, make_tenant, sql,
                                                                 mailbox):
    """Round-19 walkthrough of seed 002, D2 follow-up: since a storefront
    admits a reseller's customers only while their relation is active, the
    end of a relation takes the customer's people's sign-in there away, but
    relation-ended still said "Nobody's access to either account changes."
    Decision (migration 085, {{access_note}}): when the end takes the
    sign-in at a live storefront away (the partner's own, or one above the
    partner for a customer below it, by the gate's rule read before and
    after the end), the mail says "Nobody's roles in either account change,
    but the people of <customer> can no longer sign in at the storefront of
    <reseller> (<url>): it is for the reseller's customers."; otherwise it
    keeps the old sentence. The recipients are those of every end."""
    r = make_reseller(disti)
    alias = S.unique("re-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    url = f"https://{disti.host}/{alias}"

    def person_in(by, account_id, role="admin", prefix="rep"):
        who = make_person(prefix=prefix)
        set_roles(by, account_id, who, [role])
        return who

    def admitted(who, at=alias):
        return storefront_login(who.uid, disti.host, at).status_code == 200

    def refused(who, at=alias):
        S.expect_problem(storefront_login(who.uid, disti.host, at), 403, "forbidden")
        return True

    def end(who, rid, status=200):
        r_ = api(who).post(f"/api/v1/customer-relations/{rid}/end")
        return S.expect(r_, 200) if status == 200 else S.expect_problem(r_, status)

    def rel_id(partner_id, customer_id):
        return sql.value("SELECT id FROM customer_relations WHERE partner_id=%s"
                         " AND customer_id=%s", int(partner_id), int(customer_id))

    def line(customer, *storefronts):
        named = " and ".join(f"{n} ({u})" for n, u in storefronts)
        if len(storefronts) == 1:
            return (f"Nobody's roles in either account change, but the people of {customer}"
                    f" can no longer sign in at the storefront of {named}: it is for the"
                    " reseller's customers.\n")
        return (f"Nobody's roles in either account change, but the people of {customer} can"
                f" no longer sign in at the storefronts of {named}: they are for the resellers'"
                " customers.\n")

    old = "Nobody's access to either account changes.\n"

    # Kim's organisation (under another partner) is the reseller's customer
    # by an approved relation; the reseller ends it. Who may not end it:
    # the customer's member (403), another tenant (404); nothing changes.
    kilo_owner = make_tenant("rek")
    kilo = make_account(kilo_owner.admin, "customer", kilo_owner.account.id)
    kim = person_in(kilo_owner.admin, kilo.id, prefix="rekim")
    kilo_member = person_in(kilo_owner.admin, kilo.id, "member", prefix="rekm")
    kilo_recipient = S.unique_mail("rekr-")
    S.expect(api(kim).put(f"/api/v1/accounts/{kilo.id}/notification-recipients",
                          json={"emails": [kilo_recipient]}), 200)
    rel = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/customer-relations",
                                     json={"customer_id": kilo.id}), 202)
    S.expect(api(kim).post(f"/api/v1/customer-relations/{rel['id']}/approve"), 200)
    assert admitted(kim) and admitted(kilo_member)
    stranger = make_tenant("rex")
    end(kilo_member, rel["id"], 403)
    end(stranger.admin, rel["id"], 404)
    assert admitted(kim) and admitted(kilo_member)
    before = S.outbox_max_id(sql)
    end(r.admin, rel["id"])
    assert refused(kim) and refused(kilo_member)
    mails = closing_mails(api, sql, mailbox, kilo.id, "relation-ended", before)
    assert set(mails) == {kim.mail.lower(), kilo_owner.admin.mail.lower(), kilo_recipient}, mails
    for body in mails.values():
        assert (f"is no longer the partner (reseller) of {kilo.name}. "
                + line(kilo.name, (r.account.name, url))) in body, body
        assert old not in body, body
    # The side that ended it is not mailed.
    assert not closing_mails(api, sql, mailbox, r.account.id, "relation-ended", before)

    # A child of the reseller ends its relation itself: the reseller's
    # contact and recipient are told; its people are out, the reseller's in.
    cleo_shop = make_account(r.admin, "customer", r.account.id)
    cleo = person_in(r.admin, cleo_shop.id, prefix="recleo")
    assert admitted(cleo)
    before = S.outbox_max_id(sql)
    end(cleo, rel_id(r.account.id, cleo_shop.id))
    assert refused(cleo) and admitted(r.admin) and admitted(r.member)
    mails = closing_mails(api, sql, mailbox, r.account.id, "relation-ended", before)
    assert set(mails) == {r.admin.mail.lower(), r.recipient.lower()}, mails
    for body in mails.values():
        assert line(cleo_shop.name, (r.account.name, url)) in body, body

    # A sub-reseller's customer ends its relation with the sub-reseller: it
    # loses the storefronts above it too (the reseller's, and the
    # sub-reseller's own), named by storefront id.
    sub = make_account(r.admin, "partner", r.account.id)
    sub_alias = S.unique("res-")
    execute(api, r.admin, order(api, r.admin, sub.id, "reseller-free", sub_alias)["id"])
    sub_url = f"https://{disti.host}/{sub_alias}"
    gus_shop = make_account(r.admin, "customer", sub.id)
    gus = person_in(r.admin, gus_shop.id, prefix="regus")
    assert admitted(gus) and admitted(gus, sub_alias)
    before = S.outbox_max_id(sql)
    end(gus, rel_id(sub.id, gus_shop.id))
    assert refused(gus) and refused(gus, sub_alias)
    mails = closing_mails(api, sql, mailbox, sub.id, "relation-ended", before)
    assert r.admin.mail.lower() in mails, mails
    for body in mails.values():
        assert line(gus_shop.name, (r.account.name, url), (sub.name, sub_url)) in body, body

    # Operator staff (none of the reseller's people: olivia made it and is
    # taken out) end a relation for the customer: both sides are told,
    # both with the line.
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{r.account.id}/members/olivia"), 204)
    lima_owner = make_tenant("rel")
    lima = make_account(lima_owner.admin, "customer", lima_owner.account.id)
    rel = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/customer-relations",
                                     json={"customer_id": lima.id}), 202)
    S.expect(api(lima_owner.admin).post(f"/api/v1/customer-relations/{rel['id']}/approve"), 200)
    assert admitted(lima_owner.admin)
    before = S.outbox_max_id(sql)
    end("olivia", rel["id"])
    assert refused(lima_owner.admin)
    partner_side = closing_mails(api, sql, mailbox, r.account.id, "relation-ended", before)
    customer_side = closing_mails(api, sql, mailbox, lima.id, "relation-ended", before)
    assert set(partner_side) == {r.admin.mail.lower(), r.recipient.lower()}, partner_side
    assert lima_owner.admin.mail.lower() in customer_side, customer_side
    for body in list(partner_side.values()) + list(customer_side.values()):
        assert line(lima.name, (r.account.name, url)) in body, body

    # No storefront taken away, the old sentence: a partner without one; a
    # reseller whose customer had lost it with its close already; a
    # customer that keeps the reseller's storefront through the reseller's
    # own relation with it while its relation with another partner ends.
    plain = make_reseller(disti)
    plain_cust = make_account(plain.admin, "customer", plain.account.id)
    plain_person = person_in(plain.admin, plain_cust.id, prefix="replain")
    before = S.outbox_max_id(sql)
    end(plain_person, rel_id(plain.account.id, plain_cust.id))
    mails = closing_mails(api, sql, mailbox, plain.account.id, "relation-ended", before)
    assert plain.admin.mail.lower() in mails, mails
    for body in mails.values():
        assert f"of {plain_cust.name}. {old}" in body, body
        assert "sign in" not in body, body

    mike_owner = make_tenant("rem")
    mike = make_account(mike_owner.admin, "customer", mike_owner.account.id)
    rel = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/customer-relations",
                                     json={"customer_id": mike.id}), 202)
    S.expect(api(mike_owner.admin).post(f"/api/v1/customer-relations/{rel['id']}/approve"), 200)
    # Since round 21 (seed 003, D3) the close itself ends the relation and
    # tells the reseller; there is nothing left to end.
    before = S.outbox_max_id(sql)
    S.expect(api(mike_owner.admin).delete(f"/api/v1/accounts/{mike.id}"), 204)
    assert refused(mike_owner.admin)
    mails = closing_mails(api, sql, mailbox, r.account.id, "relation-ended", before)
    assert r.admin.mail.lower() in mails, mails
    for body in mails.values():
        assert f"It ended because {mike.name} (account {mike.id}) was closed" in \
            " ".join(body.split()), body
    S.expect_problem(api(r.admin).post(f"/api/v1/customer-relations/{rel['id']}/end"), 409)

    # Kilo's relation with its own parent (no storefront) ends; Kilo is the
    # reseller's customer again meanwhile and stays in.
    rel = S.expect(api(r.admin).post(f"/api/v1/accounts/{r.account.id}/customer-relations",
                                     json={"customer_id": kilo.id}), 202)
    S.expect(api(kim).post(f"/api/v1/customer-relations/{rel['id']}/approve"), 200)
    assert admitted(kim)
    before = S.outbox_max_id(sql)
    end(kim, rel_id(kilo_owner.account.id, kilo.id))
    assert admitted(kim)
    mails = closing_mails(api, sql, mailbox, kilo_owner.account.id, "relation-ended", before)
    assert kilo_owner.admin.mail.lower() in mails, mails
    for body in mails.values():
        assert f"of {kilo.name}. {old}" in body, body


def test_a_replaced_subscription_points_to_what_the_live_one_allows(api, disti, make_reseller,
                                                                    make_tenant, make_account,
                                                                    sql):
    """Round-18 walkthrough of seed 002, D2: the 409 on a replaced
    subscription told Tia to cancel subscription 3, already pending
    cancellation, and Jul to upgrade subscription 10, already on Standard:
    both refused too. Decision: the hint names the live subscription with
    its plan, and the action only when it would be accepted there;
    otherwise what it is ("already pending cancellation until …", "already
    on Standard Edition, the highest plan", "already has this plan")."""
    r = make_reseller(disti)
    acc = r.account
    first = execute(api, r.admin, order(api, r.admin, acc.id, "reseller-free", S.unique("rq-"))[
        "id"])["subscription"]["id"]
    second = execute(api, r.admin, order(api, r.admin, acc.id, "reseller-standard")["id"])[
        "subscription"]["id"]
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{second}/cancel"), 200)["ends_at"]
    head = "this subscription was replaced by an order of another plan and ended then: "
    now = f"; the account's plan runs on subscription {second} now (Standard Edition), "
    mails, audit = S.outbox_max_id(sql), len(sql.audit(acc.id))
    for who in (r.admin, r.billing, disti.billing):
        body = S.expect_problem(api(who).post(f"/api/v1/subscriptions/{first}/cancel"), 409,
                                "conflict")
        assert body["detail"] == (head + "there is nothing to cancel" + now
                                  + f"which is already pending cancellation until {ends}"), body
        body = S.expect_problem(api(who).post(f"/api/v1/subscriptions/{first}/renew"), 409)
        assert body["detail"] == (head + "it is not renewed" + now
                                  + f"which is pending cancellation until {ends}: withdraw the "
                                  "cancellation (uncancel), then renew that one"), body
        body = S.expect_problem(api(who).post(f"/api/v1/subscriptions/{first}/upgrade",
                                              json={"plan": "Standard"}), 409)
        assert body["detail"] == (
            head + "it is not upgraded; the account's plan runs on subscription "
            f"{second} now, which is already on Standard Edition, the highest plan"), body
    # A member, who may renew but not uncancel, is not sent to uncancel.
    body = S.expect_problem(api(r.member).post(f"/api/v1/subscriptions/{first}/renew"), 409)
    assert body["detail"] == (head + "it is not renewed" + now
                              + f"which is pending cancellation until {ends}; an admin or "
                              "billing person of the account can withdraw the cancellation "
                              "(uncancel)"), body
    assert S.outbox_max_id(sql) == mails and len(sql.audit(acc.id)) == audit
    # What the hint points to is accepted there: the cancellation of the
    # live one is withdrawn, and cancel is named again.
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{second}/uncancel"), 200)
    body = S.expect_problem(api(r.admin).post(f"/api/v1/subscriptions/{first}/cancel"), 409)
    assert body["detail"] == (head + "there is nothing to cancel; the account's plan runs on "
                              f"subscription {second} now (Standard Edition, active): cancel "
                              "that one"), body
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{second}/cancel"), 200)

    # A customer plan below the top: upgrade is named where it would be
    # accepted, not for the plan the live one already has.
    t = make_tenant("r18d2", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    starter = execute(api, t.admin, order(api, t.admin, cust.id, "starter")["id"])[
        "subscription"]["id"]
    pro = execute(api, t.admin, order(api, t.admin, cust.id, "professional")["id"])[
        "subscription"]
    assert S.expect(api(t.admin).get(f"/api/v1/subscriptions/{starter}"), 200)[
        "ended_reason"] == "replaced"
    names = {p["code"]: p["name"] for p in S.expect(api(t.admin).get("/api/v1/plans"),
                                                    200)["items"]}
    live = f"; the account's plan runs on subscription {pro['id']} now"
    body = S.expect_problem(api(t.admin).post(f"/api/v1/subscriptions/{starter}/upgrade",
                                              json={"plan": "enterprise"}), 409)
    assert body["detail"] == (head + "it is not upgraded" + live
                              + f" ({names['professional']}, active): upgrade that one"), body
    body = S.expect_problem(api(t.admin).post(f"/api/v1/subscriptions/{starter}/upgrade",
                                              json={"plan": "professional"}), 409)
    assert body["detail"] == (head + "it is not upgraded" + live
                              + f", which already has this plan ({names['professional']})"), body
    # ... and it is: upgrade that one.
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{pro['id']}/upgrade",
                               json={"plan": "enterprise"}), 200)


def test_an_alias_pasted_with_spaces_is_trimmed(api, disti, make_reseller, make_account,
                                                make_person, set_roles, operator_id, sql):
    """Round-18 walkthrough of seed 002, D3: " t18s002-mike " was refused
    with "may contain only the letters a-z, digits and hyphens", and the
    offending space is invisible; the storefront host likewise. Decision:
    the white space around an alias (draft, execute, upgrade's rename, the
    public lookups) and a storefront host (PUT …/storefront-host, ?host=)
    is trimmed, as other typed fields are; a space inside is still 422."""
    r = make_reseller(disti)
    alias = S.unique("sp-")
    # The draft (JSON) and execute (a form, as a checkout page posts it).
    draft = S.expect(api(disti.billing).post(f"/api/v1/accounts/{r.account.id}/orders", json={
        "lines": [{"article": "reseller-free", "quantity": 1}],
        "storefront_alias": f" {alias.upper()} \t"}), 201)
    assert draft["storefront_alias"] == alias, draft
    assert order_row(sql, draft["id"]) == {"status": "draft", "storefront_alias": alias}
    S.expect(api(disti.billing).post(f"/api/v1/orders/{draft['id']}/discard"), 200)
    draft = order(api, disti.billing, r.account.id, "reseller-free")
    done = S.expect(api(disti.billing).form("POST", f"/api/v1/orders/{draft['id']}/execute",
                                            [("storefront_alias", f"  {alias}\r\n")]), 200)
    sid = done["subscription"]["id"]
    assert done["subscription"]["storefront"]["alias"] == alias, done
    # The public lookups, with the host pasted with spaces too.
    q = S.path_quote(f" {alias} ")
    h = S.path_quote(f" {disti.host} ")
    got = S.expect(api(None).get(f"/api/v1/storefronts/{q}?host={h}"), 200)
    assert (got["alias"], got["account_id"]) == (alias, r.account.id), got
    h = S.path_quote(f"\t{disti.host.upper()} ")
    assert S.expect(api(None).get(f"/api/v1/storefront-aliases/{q}?host={h}"), 200) == {
        "alias": alias, "available": False, "reason": "taken"}
    # The upgrade's rename.
    renamed = S.unique("sp2-")
    up = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                    json={"plan": "standard", "storefront_alias": f" {renamed} "}),
                  200)
    assert up["storefront"]["alias"] == renamed, up
    # A space inside is no white space around it: still refused.
    for bad in (f"{renamed[:3]} {renamed[3:]}", " "):
        S.expect_field_errors(api(None).get(f"/api/v1/storefront-aliases/{S.path_quote(bad)}"),
                              "alias")
    other = make_reseller(disti)
    errors = S.expect_field_errors(order(api, other.admin, other.account.id, "reseller-free",
                                         f"{alias[:3]} x{alias[3:]}", status=422),
                                   "storefront_alias")
    assert "hyphens" in errors["storefront_alias"], errors
    # The distributor's storefront host.
    d = make_account("olivia", "distributor", operator_id)
    d_admin = make_person(prefix="dsp")
    set_roles("olivia", d.id, d_admin, ["admin"])
    host = f"{S.unique('sp-')}.storefront.test"
    got = S.expect(api(d_admin).put(f"/api/v1/accounts/{d.id}/storefront-host",
                                    json={"storefront_host": f"  {host} "}), 200)
    assert got["storefront_host"] == host, got
    assert sql.value("SELECT storefront_host FROM accounts WHERE id=%s", int(d.id)) == host
    S.expect_field_errors(api(d_admin).put(f"/api/v1/accounts/{d.id}/storefront-host",
                                           json={"storefront_host": "shop .example"}),
                          "storefront_host")


# ------------------------------------- round 19, seed 002: the storefront gate

def raw_page_answer(uid, host, path):
    """raw_page's request (the path exactly as written, through nginx's
    storefront server); (status, body as text)."""
    import base64
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(S.URL)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        token = base64.b64encode(f"{uid}:{S.PASSWORDS[uid]}".encode()).decode()
        c.request("GET", path, headers={"Host": host, "Authorization": f"Basic {token}"})
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def padded(alias):
    """The round-19 report's spellings of /<alias>/ with white space around
    the alias (002 D1), and the same in other forms: each names the alias
    to GET /storefronts/{alias}, which trims it."""
    up = alias.upper()
    return [f"/%20{alias}/", f"/{alias}%20/", f"/%09{alias}/", f"/{alias}%09/",
            f"/%0A{alias}/", f"/{alias}%0A/", f"/%0D%0A{alias}%0D%0A/portal",
            f"/%20{up}/", f"/{up}%09/login", f"/%20{alias}%20", f"//%09{alias}//x",
            f"/x/../%0A{alias}/", "/" + "%20" * 60 + f"{alias}/"]


def first_segment(path):
    """The segment of a padded() path that names the alias (the first one
    nginx keeps: "x/.." before it goes)."""
    return path.split("/x/../", 1)[-1].lstrip("/").split("/")[0]


def test_white_space_around_the_alias_is_no_way_round_the_storefront_gate(
        api, disti, make_reseller, make_tenant, env):
    """Round-19 walkthrough of seed 002, D1: since round 18 the public
    lookups trim the path's alias, so GET /storefronts/%20techsolutions-shop
    is TechSolutions' storefront, while the sign-in gate took
    "/%20techsolutions-shop/" for no alias and let eve (another tenant) in.
    Decision: the gate reads the page's first segment with the lookups' own
    function (decoded, trimmed, lowered), so every path they resolve to a
    storefront is gated as the plain alias: a stranger 403, the reseller's
    people 200, a cancelled storefront 403 for everybody.
    D4: the 403 page through nginx names accountd's reason, one for a
    stranger and another for a cancelled storefront; nginx's own 403s stay
    "access denied"."""
    r = make_reseller(disti)
    alias = S.unique("ws-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    ended = make_reseller(disti)
    ended_alias = S.unique("wse-")
    sid = execute(api, ended.admin, order(api, ended.admin, ended.account.id, "reseller-free",
                                          ended_alias)["id"])["subscription"]["id"]
    stranger = make_tenant("ws")
    not_yours = ("you cannot sign in at this storefront: it is for the people of its reseller, "
                 "of the reseller's customers and of its distributor")
    for p in padded(alias):
        # The lookup resolves the page's first segment to the storefront ...
        sf = S.expect(api(None).get(f"/api/v1/storefronts/{first_segment(p)}",
                                    params={"host": disti.host}), 200)
        assert sf["account_id"] == r.account.id and sf["alias"] == alias, (p, sf)
        # ... so the gate treats the page as the storefront's: through
        # nginx, and asked directly with that X-Original-URI.
        assert raw_page(r.admin.uid, disti.host, p) == 200, p
        assert raw_page(r.member.uid, disti.host, p) == 200, p
        status, text = raw_page_answer(stranger.admin.uid, disti.host, p)
        assert status == 403, (p, status, text)
        assert json.loads(text)["detail"] == not_yours, (p, text)
        body = S.expect_problem(storefront_login(stranger.admin.uid, disti.host, "", p[1:]),
                                403, "forbidden")
        assert body["detail"] == not_yours, (p, body)
        # Another reseller of the same distributor is no person of it either.
        assert raw_page(ended.admin.uid, disti.host, p) == 403, p
    # The direct check names the reason in X-Accountd-Reason too (what
    # nginx takes with auth_request_set), as the inside of a JSON string.
    resp = storefront_login(stranger.admin.uid, disti.host, "", f"%20{alias}/")
    assert resp.headers["X-Accountd-Reason"] == not_yours, S.describe(resp)
    ok = storefront_login(r.admin.uid, disti.host, "", f"%20{alias}/")
    assert ok.status_code == 200 and "X-Accountd-Reason" not in ok.headers, S.describe(ok)
    # White space alone, or inside the alias, names no storefront: such a
    # page is as any page under no alias (and the lookup refuses it).
    for p in ("/%20/", f"/{alias[:3]}%20{alias[3:]}/"):
        S.expect_field_errors(api(None).get(f"/api/v1/storefronts/{first_segment(p)}",
                                            params={"host": disti.host}), "alias")
        assert raw_page(stranger.admin.uid, disti.host, p) == 200, p
    # Cancelled at term end: every spelling is refused, to its own people,
    # the distributor and strangers alike, with the cancelled storefront's
    # reason.
    ends = S.expect(api(ended.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    for p in padded(ended_alias):
        assert raw_page(ended.admin.uid, disti.host, p) == 200, p  # pending: still in
    run_maint(env, later(ends, seconds=1))
    cancelled = "this storefront's subscription is cancelled: nobody can sign in here"
    for p in padded(ended_alias):
        sf = S.expect(api(None).get(f"/api/v1/storefronts/{first_segment(p)}",
                                    params={"host": disti.host}), 200)
        assert sf["account_id"] == ended.account.id and sf["status"] == "cancelled", (p, sf)
        for who in (ended.admin, ended.member, disti.admin, stranger.admin):
            status, text = raw_page_answer(who.uid, disti.host, p)
            assert status == 403, (p, who.uid, status, text)
            assert json.loads(text) == {
                "type": "urn:accountd:problem:forbidden", "title": "Forbidden", "status": 403,
                "detail": cancelled}, (p, text)
        body = S.expect_problem(storefront_login(ended.admin.uid, disti.host, "", p[1:]), 403,
                                "forbidden")
        assert body["detail"] == cancelled, body
    assert cancelled != not_yours
    # nginx's own 403 (a deny: /metrics from an address not allowed) still
    # says "access denied".
    denied = api(None).get("/metrics", headers={"X-Forwarded-For": "203.0.113.19"})
    assert S.expect_problem(denied, 403, "forbidden")["detail"] == "access denied"


def test_execute_names_the_drafts_alias_that_was_taken_meanwhile(api, disti, make_reseller,
                                                                 sql):
    """Round-19 walkthrough of seed 002, D3: two drafts carried the same
    alias; once one executed, the other's execute was 409 "the storefront
    alias is taken; choose another one", naming no alias, and a form's
    error_to had no values[storefront_alias] (the form sent none). Now the
    detail names the draft's alias and error_to echoes it, as the other
    "taken" answers do; the draft stays as it was. An upgrade's taken
    alias is named too."""
    lima, november = make_reseller(disti), make_reseller(disti)
    alias = S.unique("shared-")
    first = order(api, disti.billing, lima.account.id, "reseller-free", alias.upper())
    second = order(api, disti.billing, november.account.id, "reseller-free", alias)
    execute(api, disti.billing, second["id"])
    detail = f"the storefront alias '{alias}' of this draft is taken; choose another one"
    body = execute(api, disti.billing, first["id"], status=409)
    assert body["type"] == "urn:accountd:problem:conflict", body
    assert body["detail"] == detail, body
    assert body["errors"] == {"storefront_alias": "is taken; choose another one"}, body
    # A form with error_to: the alias in the query, lowered as stored.
    path = f"/api/v1/orders/{first['id']}/execute"
    front = S.ORIGIN + "/bss/err"
    q = error_query(api(disti.billing).form("POST", path, [("error_to", front)]))
    assert (q["status"], q["error"], q["detail"]) == ("409", "conflict", detail), q
    assert q["errors[storefront_alias]"] == "is taken; choose another one", q
    assert q["values[storefront_alias]"] == alias, q
    assert order_row(sql, first["id"]) == {"status": "draft", "storefront_alias": alias}
    # An alias sent with execute is named as before (not "of this draft").
    body = S.expect_problem(api(disti.billing).post(path, json={"storefront_alias": alias}),
                            409, "conflict")
    assert body["detail"] == f"the storefront alias '{alias}' is taken; choose another one", body
    # Another alias with execute: the draft executes.
    other = S.unique("own-")
    done = S.expect(api(disti.billing).post(path, json={"storefront_alias": other}), 200)
    assert done["subscription"]["storefront"]["alias"] == other, done
    # An upgrade's rename onto the taken alias names it.
    body = S.expect_problem(
        api(lima.admin).post(f"/api/v1/subscriptions/{done['subscription']['id']}/upgrade",
                             json={"plan": "standard", "storefront_alias": alias.upper()}),
        409, "conflict")
    assert body["detail"] == f"the storefront alias '{alias}' is taken; choose another one", body
    assert body["errors"] == {"storefront_alias": "is taken; choose another one"}, body


def test_an_upgrade_to_a_plan_of_the_other_audience_says_so_as_an_order_does(
        api, disti, make_reseller, make_tenant, make_account, sql):
    """Round-22 walkthrough of seed 002, D2: a reseller's upgrade to a
    customer plan was 409 "this plan change is not an upgrade the catalog
    allows", while an order of the plan said what is wrong (422 "is a
    customer plan; only a customer account can have it"). Decision: the
    upgrade checks the plan against the account as the order does first:
    422 on errors.plan with the order's reason, nothing changed; a plan of
    the right audience that is no upgrade stays 409."""
    r = make_reseller(disti)
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                      S.unique("aud-"))["id"])["subscription"]["id"]
    path = f"/api/v1/subscriptions/{sid}/upgrade"
    want = {"plan": "is a customer plan; only a customer account can have it"}
    # The order's answer, for comparison.
    ordered = S.expect_field_errors(order(api, r.admin, r.account.id, "professional",
                                          status=422), "lines[0].article")
    assert ordered["lines[0].article"] == want["plan"], ordered
    for who in (r.admin, r.billing, disti.admin, disti.billing, "olivia"):
        for plan in ("professional", "Professional", "starter"):
            body = S.expect_problem(api(who).post(path, json={"plan": plan}), 422)
            assert body["errors"] == want, (who, plan, body)
    got = S.expect(api(r.admin).get(f"/api/v1/subscriptions/{sid}"), 200)
    assert got["plan"] == "free" and got["status"] == "active", got
    assert sql.value("SELECT plan FROM accounts WHERE id=%s", int(r.account.id)) == "free"
    # Those who may not upgrade are refused as before, whatever the plan.
    S.expect_problem(api(r.member).post(path, json={"plan": "professional"}), 403)
    S.expect_problem(api(disti.member).post(path, json={"plan": "professional"}), 404)
    S.expect_problem(api(make_tenant("aud").admin).post(path, json={"plan": "professional"}),
                     404)
    # A reseller plan that is no upgrade stays 409; the upgrade path works.
    body = S.expect_problem(api(r.admin).post(path, json={"plan": "basic"}), 409, "conflict")
    assert "errors" not in body, body
    S.expect(api(r.admin).post(path, json={"plan": "standard"}), 200)
    # And the other way round: a customer's subscription to a reseller plan.
    t = make_tenant("audc", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    csid = execute(api, t.admin, order(api, t.admin, cust.id, "starter")["id"])[
        "subscription"]["id"]
    body = S.expect_problem(api(t.admin).post(f"/api/v1/subscriptions/{csid}/upgrade",
                                              json={"plan": "standard"}), 422)
    assert body["errors"] == {
        "plan": "is a reseller plan; only a reseller (partner) account can have it"}, body
    assert S.expect(api(t.admin).get(f"/api/v1/subscriptions/{csid}"), 200)["plan"] == "starter"


def test_the_resellers_table_shows_and_filters_the_plan_subscriptions_status(
        api, disti, make_reseller, make_tenant, sql, env):
    """Round-22 walkthrough of seed 002, D3: the distributor's table of its
    resellers (GET /accounts?parent_id=) did not say which are pending
    cancellation; Bert had to open each reseller's subscriptions. Decision:
    each row carries plan_status, the status of its live plan subscription
    (active, pending_cancellation; null without one), and
    filter[plan_status] keeps the rows with that status, in the page's own
    statement (no statement more, no LDAP)."""
    basic = make_reseller(disti)  # no plan subscription
    live = make_reseller(disti)
    execute(api, live.admin, order(api, live.admin, live.account.id, "reseller-free",
                                   S.unique("ps-"))["id"])
    going = make_reseller(disti)
    gsid = execute(api, going.admin, order(api, going.admin, going.account.id, "reseller-free",
                                           S.unique("psg-"))["id"])["subscription"]["id"]
    page = f"/api/v1/accounts?parent_id={disti.account.id}&limit=100"

    def statuses(who, query=""):
        rows = S.expect(api(who).get(page + query), 200)["items"]
        return {x["id"]: x["plan_status"] for x in rows}

    # Read once before the cancel (the page is cached), then after it: the
    # next read sees the write.
    assert statuses(disti.billing)[going.account.id] == "active"
    ends = S.expect(api(disti.billing).post(f"/api/v1/subscriptions/{gsid}/cancel"),
                    200)["ends_at"]
    got = statuses(disti.billing)
    assert got[basic.account.id] is None, got
    assert got[live.account.id] == "active", got
    assert got[going.account.id] == "pending_cancellation", got
    assert statuses(disti.admin) == got
    assert statuses(disti.billing, "&filter[plan_status]=pending_cancellation") == {
        going.account.id: "pending_cancellation"}
    assert statuses(disti.billing, "&filter[plan_status]=active") == {
        live.account.id: "active"}
    # With the other filters, a sort and a cursor.
    assert statuses(disti.billing, "&filter[plan_status]=active&filter[plan]=free"
                                   "&filter[status]=active&sort=-plan") == {
        live.account.id: "active"}
    first = S.expect(api(disti.admin).get(
        page.replace("limit=100", "limit=1") + "&sort=name&filter[plan_status]=active"), 200)
    assert [x["id"] for x in first["items"]] == [live.account.id] and not first["next_cursor"]
    # Anything else is a 422 naming the values, with the other bad parameters.
    for bad in ("Active", "cancelled", "none", ""):
        errors = S.expect_field_errors(api(disti.admin).get(
            page + f"&filter[plan_status]={bad}&sort=nope"), "filter[plan_status]", "sort")
        assert errors["filter[plan_status]"] == (
            "must be one of active, pending_cancellation"), errors
    # Who may read the table: as before.
    S.expect_problem(api(disti.member).get(page + "&filter[plan_status]=active"), 403)
    S.expect_problem(api(make_tenant("ps").admin).get(page + "&filter[plan_status]=active"), 404)
    # The reseller's own page of its children has the field too.
    S.expect(api(live.admin).get(f"/api/v1/accounts?parent_id={live.account.id}"), 200)

    # The same number of statements as the page without the filter.
    S.wait_outbox_settled(sql, timeout=30)

    def executed():
        return int(sql.row("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")["Value"])

    def cost(query):
        session = api(disti.billing)
        S.expect(session.get(page + query), 200)
        deltas = []
        for _ in range(7):
            before = executed()
            S.expect(session.get(page + query), 200)
            deltas.append(executed() - before)
        return min(deltas)

    plain = cost("&sort=name")
    assert cost("&sort=name&filter[plan_status]=pending_cancellation") == plain
    assert cost("&sort=name&filter[status]=active") == plain

    # At the term's end the reseller is back on Basic: no plan subscription.
    run_maint(env, later(ends, seconds=1))
    assert statuses(disti.billing)[going.account.id] is None
    assert statuses(disti.billing, "&filter[plan_status]=pending_cancellation") == {}


def test_plan_status_follows_every_change_of_the_live_plan_subscription(
        api, disti, make_reseller, sql, env):
    """plan_status is kept on the account (accounts.plan_status, sql/098),
    written wherever the live plan subscription's status changes: an order
    of a plan, one replacing it, a cancel, an uncancel, the end at its term
    (accountd maint). Each change shows on the next read of the (cached)
    page and in the column itself."""
    r = make_reseller(disti)
    acc = r.account.id
    page = f"/api/v1/accounts?parent_id={disti.account.id}&limit=100&sort=name"

    def shown():
        rows = S.expect(api(disti.billing).get(page), 200)["items"]
        got = {x["id"]: x["plan_status"] for x in rows}[acc]
        assert sql.value("SELECT plan_status FROM accounts WHERE id=%s", int(acc)) == got
        return got

    assert shown() is None
    sid = execute(api, r.admin, order(api, r.admin, acc, "reseller-free",
                                      S.unique("pst-"))["id"])["subscription"]["id"]
    assert shown() == "active"
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    assert shown() == "pending_cancellation"
    S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    assert shown() == "active"
    # An order of another plan replaces it: the new one is live.
    nsid = execute(api, r.admin, order(api, r.admin, acc, "reseller-standard")["id"])[
        "subscription"]["id"]
    assert shown() == "active"
    # Add-ons only: no plan, the plan's status stays.
    execute(api, r.admin, order(api, r.admin, acc, "data-logger")["id"])
    assert shown() == "active"
    ends = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{nsid}/cancel"), 200)["ends_at"]
    assert shown() == "pending_cancellation"
    run_maint(env, later(ends, seconds=1))
    assert shown() is None


def test_an_order_of_a_plan_by_its_plan_code_names_the_article(api, disti, make_reseller,
                                                               make_account, make_tenant, sql):
    """Round-23 walkthrough of seed 002, D4: a reseller who ordered its plan
    as "standard" or "Standard" (the code the upgrade takes in any case)
    was told only "no such article in the catalog". The 422 now names the
    articles the text names in any case — by their code or name, or their
    plan's code or name — that fit the account; none fitting: as before.
    Orders and quotes alike, JSON and form."""
    r = make_reseller(disti)
    path = f"/api/v1/accounts/{r.account.id}"
    unknown = "no such article in the catalog"

    def error(who, what, article, base=path):
        errors = S.expect_field_errors(api(who).post(f"{base}/{what}", json={
            "lines": [{"article": article, "quantity": 1}]}), "lines[0].article")
        return errors["lines[0].article"]

    for who in (r.admin, r.billing, disti.admin, disti.billing):
        for what in ("orders", "quotes"):
            for article in ("standard", "Standard", "STANDARD", "Standard Edition"):
                assert error(who, what, article) == (
                    f"{unknown}; did you mean reseller-standard?"), (who, what, article)
    assert error(r.admin, "orders", "free") == f"{unknown}; did you mean reseller-free?"
    assert error(r.admin, "orders", "Assets-Pack") == f"{unknown}; did you mean assets-pack?"
    # A customer plan's code is its article's code: a reseller is not sent there.
    assert error(r.admin, "orders", "Starter") == unknown
    assert error(r.admin, "orders", "gold") == unknown
    # A form alike.
    errors = S.expect_field_errors(api(r.admin).form("POST", f"{path}/orders", [
        ("lines[0][article]", "Standard"), ("lines[0][quantity]", "1")]), "lines[0].article")
    assert errors["lines[0].article"] == f"{unknown}; did you mean reseller-standard?"
    # A customer is pointed at its own plans' articles, not at a reseller's.
    t = make_tenant("artc", kind="distributor")
    cust = make_account("olivia", "customer", t.account.id)
    cpath = f"/api/v1/accounts/{cust.id}"
    assert error(t.admin, "orders", "Starter", cpath) == f"{unknown}; did you mean starter?"
    assert error(t.admin, "quotes", "Enterprise plan", cpath) == (
        f"{unknown}; did you mean enterprise?")
    assert error(t.admin, "orders", "standard", cpath) == unknown
    # The reseller's member orders add-ons only: a plan's code is 422 as an
    # unknown article, with the hint (the hinted article is then 403).
    assert error(r.member, "orders", "standard") == f"{unknown}; did you mean reseller-standard?"
    S.expect_problem(api(r.member).post(f"{path}/orders", json={
        "lines": [{"article": "reseller-standard", "quantity": 1}]}), 403)
    # Who sees nothing learns nothing: 404 before the lines are read.
    body = {"lines": [{"article": "standard", "quantity": 1}]}
    S.expect_problem(api(make_tenant("arto").admin).post(f"{path}/orders", json=body), 404)
    S.expect_problem(api(disti.member).post(f"{path}/orders", json=body), 404)
    for acc in (r.account.id, cust.id):
        assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(acc)) == 0
        assert sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(acc)) == 0
    # The article itself is ordered as before.
    order(api, r.admin, r.account.id, "reseller-standard", S.unique("art-"))


def test_r25_a_reseller_closed_while_pending_cancellation_is_told_its_storefront_runs_on(
        api, disti, make_reseller, make_tenant, sql, mailbox):
    """Round-25 walkthrough of seed 002, D2: Kim closed her reseller while
    its Free plan was pending cancellation; her account-closed said neither
    that its storefront (sign-in included) keeps working until the term
    end, nor that the cancellation mail's "an order within 90 days brings
    it back" no longer holds, a closed account ordering nothing. Its
    {{kept}} value gains that line (no template change); a reseller
    without a live storefront gets no such line. Another tenant cannot
    close it."""
    r = make_reseller(disti)
    alias = S.unique("r25sf-")
    sid = execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free",
                                       alias)["id"])["subscription"]["id"]
    ends_at = S.expect(api(r.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    end = sql.value("SELECT DATE_FORMAT(ends_at, '%%Y-%%m-%%dT%%H:%%i:%%sZ') FROM subscriptions"
                    " WHERE id=%s", int(sid))
    assert end[:19] == ends_at[:19], (end, ends_at)
    plan = sql.value("SELECT p.name FROM subscriptions u JOIN plans p ON p.code = u.plan WHERE u.id=%s", int(sid))
    assert plan == "Free Edition", plan
    S.expect_problem(api(make_tenant("r25sf").admin).delete(f"/api/v1/accounts/{r.account.id}"), 404)
    before = S.outbox_max_id(sql)
    S.expect(api(r.admin).delete(f"/api/v1/accounts/{r.account.id}"), 204)
    mails = closing_mails(api, sql, mailbox, r.account.id, "account-closed", before)
    assert r.admin.mail.lower() in mails, mails
    line = (f"\nIts storefront at https://{disti.host}/{alias} keeps working, sign-in included,"
            f" until {end}, when its {plan} subscription ends; since the account is closed, it can"
            " order nothing, so no order brings the storefront back after that, although its alias"
            " and settings are kept for a time.\n")
    for body in mails.values():
        assert line in body, body
    # What it says is what the gate does.
    assert storefront_login(r.admin.uid, disti.host, alias).status_code == 200
    # A reseller without a storefront: no such line.
    plain = make_reseller(disti)
    before = S.outbox_max_id(sql)
    S.expect(api(plain.admin).delete(f"/api/v1/accounts/{plain.account.id}"), 204)
    mails = closing_mails(api, sql, mailbox, plain.account.id, "account-closed", before)
    assert mails, mails
    for body in mails.values():
        assert "Its storefront at" not in body, body


def test_a_closed_distributor_is_not_named_as_whom_its_people_or_operator_staff_act_for(
        api, disti, make_reseller, set_roles, make_tenant, sql, mailbox):
    """Round-25 walkthrough of seed 002, D1: after Cloud Disti was closed,
    its reseller Hotel read "Olivia Operator on behalf of <the closed
    distributor> cancelled ..." and "Ordered by Dina Disti of <the closed
    distributor>" (Dina acted as Hotel's admin), two mails after its
    parent-closed said that back office had ended. Decision, in the one
    naming rule (mail_actor_name): a closed account is never named as
    whom someone acts for or is of. Operator staff are "Olivia Operator
    (operator staff)"; a person of the closed distributor acting by a role
    in the reseller is named alone, as the reseller's own people are. The
    closed status comes with the chain the name is built from (no extra
    statement)."""
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    r = make_reseller(disti)
    to = (r.admin.mail, r.recipient)
    # Dina (the distributor's admin) is an admin of the reseller too, and
    # drafts its order in the BSS before the close.
    set_roles("olivia", r.account.id, disti.admin, ["admin"])
    oid = order(api, disti.admin, r.account.id, "reseller-free", S.unique("d1c-"))["id"]
    S.expect(api(disti.admin).delete(f"/api/v1/accounts/{disti.account.id}"), 204)
    # The closed distributor's billing person has no role left there.
    S.expect_problem(api(disti.billing).post(f"/api/v1/orders/{oid}/execute"), 403)
    S.expect_problem(api(make_tenant("d1c").admin).post(f"/api/v1/orders/{oid}/execute"), 404)
    for text in billing_mails(api, sql, mailbox, disti.admin, f"/api/v1/orders/{oid}/execute",
                              "storefront-welcome", to).values():
        assert f"\nOrdered by {disti.admin.name}.\n" in text, text
        assert disti.account.name not in text.split("Ordered by", 1)[1].split("\n", 1)[0], text
    sid = S.expect(api("olivia").get(f"/api/v1/accounts/{r.account.id}/subscriptions"),
                   200)["items"][0]["id"]
    staff = f"{olivia} (operator staff)"
    for text in billing_mails(api, sql, mailbox, "olivia", f"/api/v1/subscriptions/{sid}/cancel",
                              "subscription-cancelled", to).values():
        assert f"\n{staff} cancelled the Free Edition subscription of" in text, text
        assert "on behalf of" not in text, text
    for text in billing_mails(api, sql, mailbox, "olivia", f"/api/v1/subscriptions/{sid}/uncancel",
                              "subscription-changed", to).values():
        assert f"\nChanged by {staff}.\n" in text, text
    # The reseller's own billing person: by name alone, as before.
    for text in billing_mails(api, sql, mailbox, r.billing, f"/api/v1/subscriptions/{sid}/cancel",
                              "subscription-cancelled", to).values():
        assert f"\n{r.billing.name} cancelled the Free Edition subscription of" in text, text


def test_path_parameters_are_no_way_round_the_storefront_gate(api, disti, make_reseller,
                                                             make_tenant):
    """Round-25 walkthrough of seed 002, security note: the gate read
    "/rex-shop;x/" as the page of no storefront and let eve (another
    tenant) in (200); a storefront application that takes ";params" off a
    segment (matrix parameters, as servlet containers do) would serve
    rex-shop's page there. Decision: the gate also reads the page as such
    an application does, each segment ending at its first ';' (a decoded
    %3B too: servlet containers split before decoding, so for them
    "%3B" is part of the segment, but no alias has a ';', so the gate
    takes the stricter reading), and gates the page as every storefront
    either reading names."""
    r = make_reseller(disti)
    alias = S.unique("mx-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    other = make_reseller(disti)
    other_alias = S.unique("mxo-")
    execute(api, other.admin, order(api, other.admin, other.account.id, "reseller-free",
                                    other_alias)["id"])
    stranger = make_tenant("mx")
    not_yours = ("you cannot sign in at this storefront: it is for the people of its reseller, "
                 "of the reseller's customers and of its distributor")
    pages = [f"/{alias};x/", f"/{alias};/", f"/{alias}%3Bx/", f"/{alias}%3b/portal",
             f"/{alias.upper()};jsessionid=1/", f"/;x/{alias}/", f"/x/..;/{alias}/",
             f"/.;/{alias};a=b/c", f"/%20{alias}%20;x/"]
    for p in pages:
        status, text = raw_page_answer(stranger.admin.uid, disti.host, p)
        assert status == 403 and json.loads(text)["detail"] == not_yours, (p, status, text)
        body = S.expect_problem(storefront_login(stranger.admin.uid, disti.host, "", p[1:]),
                                403, "forbidden")
        assert body["detail"] == not_yours, (p, body)
        # Another reseller's people are strangers there too.
        assert raw_page(other.admin.uid, disti.host, p) == 403, p
        # The reseller's people, the distributor's and operator staff: in.
        for who in (r.admin.uid, r.member.uid, disti.billing.uid, "olivia"):
            assert raw_page(who, disti.host, p) == 200, (p, who)
    # When the two readings name two storefronts, the caller must be
    # admitted at both: nginx's reading is the first segment, the
    # application's the one after "..;".
    for p in (f"/{alias}/..;/{other_alias}/", f"/{other_alias}/..;/{alias}/"):
        for who in (r.admin.uid, other.admin.uid, stranger.admin.uid):
            assert raw_page(who, disti.host, p) == 403, (p, who)
        assert raw_page(disti.billing.uid, disti.host, p) == 200, p
    # A segment with ';' but no alias before it is no storefront page.
    for p in ("/;x/", "/ab;x/", "/static;x/app.js"):
        assert raw_page(stranger.admin.uid, disti.host, p) == 200, p


def test_a_backslash_or_a_trailing_dot_is_no_way_round_the_storefront_gate(
        api, disti, make_reseller, make_tenant, env):
    """Round-27 walkthrough of seed 002, D1: eve (another tenant) got 403
    at "/techsolutions-shop/" but 200 at "/techsolutions-shop\", ".../%5C",
    "/techsolutions-shop./" and ".../%2e/", through nginx and from /auth;
    IIS and ASP.NET read '\' as '/', and Windows drops a segment's trailing
    dots and spaces, so such an application serves the storefront's page
    there. Decision (round 25's approach extended): the gate reads the
    page's first segment as nginx, a servlet container and IIS would, and
    refuses when any reading names a storefront the caller may not sign in
    at; the readings' aliases go in the one statement."""
    r = make_reseller(disti)
    alias = S.unique("bs-")
    execute(api, r.admin, order(api, r.admin, r.account.id, "reseller-free", alias)["id"])
    other = make_reseller(disti)
    other_alias = S.unique("bso-")
    execute(api, other.admin, order(api, other.admin, other.account.id, "reseller-free",
                                    other_alias)["id"])
    ended = make_reseller(disti)
    ended_alias = S.unique("bse-")
    sid = execute(api, ended.admin, order(api, ended.admin, ended.account.id, "reseller-free",
                                          ended_alias)["id"])["subscription"]["id"]
    stranger = make_tenant("bs")
    not_yours = ("you cannot sign in at this storefront: it is for the people of its reseller, "
                 "of the reseller's customers and of its distributor")

    def pages(a):
        return [f"/{a}\\x", f"/{a}%5Cx", f"/{a}%5c", f"/{a}\\", f"/{a}./", f"/{a}%2E/",
                f"/{a}%2e", f"/{a}%20/", f"/{a}.%20./index.html", f"/\\{a}/",
                f"/x\\..\\{a}/", f"/x/..%5C{a}/", f"/{a.upper()}.\\", f"/{a}.;x/"]

    for p in pages(alias):
        for who in ("eve", stranger.admin.uid):
            status, text = raw_page_answer(who, disti.host, p)
            assert status == 403 and json.loads(text)["detail"] == not_yours, (p, who, status,
                                                                               text)
            body = S.expect_problem(storefront_login(who, disti.host, "", p[1:]), 403,
                                    "forbidden")
            assert body["detail"] == not_yours, (p, body)
        # Another reseller's people are strangers there too.
        assert raw_page(other.admin.uid, disti.host, p) == 403, p
        # The reseller's own people, the distributor's and operator staff:
        # still in.
        for who in (r.admin.uid, r.member.uid, disti.billing.uid, "olivia"):
            assert raw_page(who, disti.host, p) == 200, (p, who)
            S.expect(storefront_login(who, disti.host, "", p[1:]), 200)
    # When readings name two storefronts (nginx's the first segment, IIS's
    # the one after "..\"), the caller must be admitted at both.
    for p in (f"/{alias}/..\\{other_alias}/", f"/{other_alias}/..%5C{alias}/"):
        for who in (r.admin.uid, other.admin.uid, "eve"):
            assert raw_page(who, disti.host, p) == 403, (p, who)
        assert raw_page(disti.billing.uid, disti.host, p) == 200, p
    # Pages that are no storefront's stay open.
    for p in ("/\\x", "/static\\app.js", "/ab./", "/.../", f"/{alias}x\\", "/%5C/",
              f"/{S.unique('nobody-')}./"):
        assert raw_page("eve", disti.host, p) == 200, p
    # A cancelled storefront is shut under every reading, to its own people
    # too.
    ends = S.expect(api(ended.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["ends_at"]
    run_maint(env, later(ends, seconds=1))
    cancelled = "this storefront's subscription is cancelled: nobody can sign in here"
    for p in pages(ended_alias):
        for who in (ended.admin.uid, "eve"):
            status, text = raw_page_answer(who, disti.host, p)
            assert status == 403 and json.loads(text)["detail"] == cancelled, (p, who, text)


# ---------------------------------------------------------------- round 26: the actor's own copy

def test_r26_the_actors_own_billing_mails_speak_to_them(api, sql, mailbox, make_tenant,
                                                         make_account, make_person, set_roles):
    """Round-26 walkthroughs of seed 001, D1 and seed 002, D3: Kai, the
    account's billing person, ordered, upgraded, cancelled, withdrew the
    cancellation and renewed, and his own copies read "Ordered by Kai
    Kasse.", "Kai Kasse cancelled …", "Changed by Kai Kasse."; Anna, the
    partner's admin, read "Ordered by Anna Admin of <partner>." in hers.
    Decision, as account-closed's "You closed …": the actor's own copy
    says "Ordered by you." / "Upgraded from … by you." / "You cancelled
    …" / "Changed by you."; every other reader's copy names them as
    before."""
    t = make_tenant("r26you")
    cust = make_account(t.admin, "customer", t.account.id)
    kai = make_person(prefix="r26yk")
    set_roles(t.admin, cust.id, kai, ["billing"])
    member = make_person(prefix="r26ym")
    set_roles(t.admin, cust.id, member, ["member"])
    finance = S.unique_mail("r26y-fin-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{cust.id}/notification-recipients",
                              json={"emails": [finance]}), 200)
    others = (t.admin.mail, finance)
    to = (kai.mail,) + others

    def check(got, own, third):
        assert own in got[kai.mail] and kai.name not in got[kai.mail].split("\n", 2)[2], got
        for addr in others:
            assert third in got[addr] and own not in got[addr], (addr, got[addr])

    oid = order(api, kai, cust.id, "starter")["id"]
    check(billing_mails(api, sql, mailbox, kai, f"/api/v1/orders/{oid}/execute", "plan-welcome",
                        to), "\nOrdered by you.\n", f"\nOrdered by {kai.name}.\n")
    sid = S.expect(api(kai).get(f"/api/v1/accounts/{cust.id}/subscriptions"),
                   200)["items"][0]["id"]
    check(billing_mails(api, sql, mailbox, kai, f"/api/v1/subscriptions/{sid}/upgrade",
                        "plan-welcome", to, body={"plan": "professional"}),
          "\nUpgraded from Starter by you.\n", f"\nUpgraded from Starter by {kai.name}.\n")
    check(billing_mails(api, sql, mailbox, kai, f"/api/v1/subscriptions/{sid}/cancel",
                        "subscription-cancelled", to),
          f"\nYou cancelled the Professional subscription of {cust.name}. It stays",
          f"\n{kai.name} cancelled the Professional subscription of {cust.name}. It stays")
    for action in ("uncancel", "renew"):
        check(billing_mails(api, sql, mailbox, kai, f"/api/v1/subscriptions/{sid}/{action}",
                            "subscription-changed", to),
              "\nChanged by you.\n", f"\nChanged by {kai.name}.\n")
    # The partner's admin, who is an admin of the customer too (she
    # created it), orders an add-on: her copy says "you", the others name
    # her with her organization, as before.
    oid = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/orders", json={
        "lines": [{"article": "data-logger", "quantity": 2}]}), 201)["id"]
    got = billing_mails(api, sql, mailbox, t.admin, f"/api/v1/orders/{oid}/execute",
                        "plan-welcome", (t.admin.mail, finance))
    assert "\nOrdered by you.\n" in got[t.admin.mail], got
    assert t.account.name not in got[t.admin.mail].split("\n", 2)[2], got
    assert f"\nOrdered by {t.admin.name} of {t.account.name}.\n" in got[finance], got
    assert "Ordered by you" not in got[finance], got
    # Who may not act gets no mail in anyone's name: the member may not
    # cancel (403), another tenant sees neither the subscription nor the
    # order (404).
    stranger = make_tenant("r26yo").admin
    draft = order(api, kai, cust.id, "assets-pack")["id"]
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).post(f"/api/v1/subscriptions/{sid}/cancel"), 403)
    S.expect_problem(api(member).post(f"/api/v1/subscriptions/{sid}/upgrade",
                                      json={"plan": "enterprise"}), 403)
    for path in (f"/api/v1/subscriptions/{sid}/cancel", f"/api/v1/subscriptions/{sid}/uncancel",
                 f"/api/v1/subscriptions/{sid}/renew", f"/api/v1/orders/{draft}/execute"):
        S.expect_problem(api(stranger).post(path), 404)
    assert S.outbox_max_id(sql) == before


def test_r26_an_override_gives_the_actor_you_too(api, disti, make_reseller, sql, mailbox):
    """D1/D3 with a distributor's overrides of the four billing templates:
    they still render, {{acted_by}}, {{acted}} and {{cancelled_by}} take
    "you", "Ordered by you." / "Upgraded from … by you." and "You" in the
    actor's own copy, and their names in the other readers'."""
    r = make_reseller(disti)
    for name, body in (
            ("storefront-welcome", "{{greeting}}\n\nMine: {{acted}} ({{acted_by}}) {{plan}}\n"),
            ("subscription-cancelled", "{{greeting}}\n\nMine: {{cancelled_by}} cancelled.\n"),
            ("subscription-changed", "{{greeting}}\n\nMine: {{change}}, by {{acted_by}}.\n")):
        S.expect(api(disti.admin).put(
            f"/api/v1/accounts/{disti.account.id}/notification-templates/{name}",
            json={"subject": "Mine {{account_name}}", "body": body}), 200)
    to = (r.billing.mail, r.admin.mail, r.recipient)
    oid = order(api, r.billing, r.account.id, "reseller-free", S.unique("r26ov-"))["id"]
    got = billing_mails(api, sql, mailbox, r.billing, f"/api/v1/orders/{oid}/execute",
                        "storefront-welcome", to)
    assert "\nMine: Ordered by you. (you) Free Edition\n" in got[r.billing.mail], got
    for addr in to[1:]:
        assert (f"\nMine: Ordered by {r.billing.name}. ({r.billing.name}) Free Edition\n"
                in got[addr]), got
    sid = S.expect(api(r.admin).get(f"/api/v1/accounts/{r.account.id}/subscriptions"),
                   200)["items"][0]["id"]
    got = billing_mails(api, sql, mailbox, r.billing, f"/api/v1/subscriptions/{sid}/upgrade",
                        "storefront-welcome", to, body={"plan": "standard"})
    assert "\nMine: Upgraded from Free Edition by you. (you) Standard Edition\n" in \
        got[r.billing.mail], got
    for addr in to[1:]:
        assert f"\nMine: Upgraded from Free Edition by {r.billing.name}. (" in got[addr], got
    got = billing_mails(api, sql, mailbox, r.billing, f"/api/v1/subscriptions/{sid}/cancel",
                        "subscription-cancelled", to)
    assert "\nMine: You cancelled.\n" in got[r.billing.mail], got
    for addr in to[1:]:
        assert f"\nMine: {r.billing.name} cancelled.\n" in got[addr], got
    got = billing_mails(api, sql, mailbox, r.billing, f"/api/v1/subscriptions/{sid}/uncancel",
                        "subscription-changed", to)
    assert ", by you.\n" in got[r.billing.mail], got
    for addr in to[1:]:
        assert f", by {r.billing.name}.\n" in got[addr], got
