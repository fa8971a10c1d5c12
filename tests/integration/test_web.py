"""Web front ends over HTTP (docs/api.md, "Web front ends"): error_to, the
HTML error page, _version, {id} in return_to, CORS and preflights,
_roles_present, HEAD, the request rules forms depend on, and SIGHUP
reloading accountd.conf. What a real browser makes of it: test_browser.py.
"""
import os
import re
import subprocess
from urllib.parse import parse_qsl, urlsplit

import pytest

import support as S

ACCOUNTS = "/api/v1/accounts"
FRONT = f"http://127.0.0.1:{os.environ.get('ACCOUNTD_FRONTEND_PORT', '18082')}"
FOREIGN = f"http://127.0.0.1:{os.environ.get('ACCOUNTD_FOREIGN_PORT', '18083')}"
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("web")


def create_fields(parent_id, name, **extra):
    fields = [("kind", "customer"), ("parent_id", str(parent_id)), ("name", name),
              ("company[name]", name + " GmbH"), ("company[city]", "Wien"), ("company[country]", "AT")]
    return fields + list(extra.items())


def query(location):
    return parse_qsl(urlsplit(location).query, keep_blank_values=True)


def names_created(sql, name):
    return sql.count_accounts(name=name)


# ---------------------------------------------------------------- error_to

def test_error_to_gets_the_problem_the_field_errors_and_the_values(api, sql, tenant):
    name = S.unique("it-errto-")
    target = FRONT + "/create.html?api=x#form"
    fields = create_fields(tenant.account.id, name, error_to=target, return_to=FRONT + "/ok")
    fields = [(k, "Österreich & Co" if k == "company[country]" else v) for k, v in fields]
    r = api(tenant.admin).form("POST", ACCOUNTS, fields + [("password", "hunter2-secret")])
    assert r.status_code == 303, S.describe(r)
    loc = r.headers["Location"]
    assert loc.startswith(FRONT + "/create.html?api=x&error=validation&") and loc.endswith("#form"), loc
    q = query(loc)
    d = dict(q)
    assert d["error"] == "validation" and d["status"] == "422" and d["title"], q
    assert "errors[company.country]" in d and "errors[password]" in d, q
    assert d["values[name]"] == name
    assert d["values[company][country]"] == "Österreich & Co"
    assert d["values[company][city]"] == "Wien"
    assert "hunter2-secret" not in loc and "values[password]" not in d
    assert not any(k.startswith("values[return_to") or k.startswith("values[error_to") for k, _ in q)
    assert names_created(sql, name) == 0


def test_error_to_fills_its_placeholders_from_the_path(api, tenant, make_account):
    """Round-13 walkthrough of seed 002, D1: error_to's {id}, {account_id}
    and {order_id} came back as raw braces. They are filled from what the
    path names; anything nothing fills is emptied, as in return_to."""
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    target = FRONT + "/ui/accounts/{account_id}/edit?x={id}&o={order_id}&c={colour}"
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}",
                               [("_method", "PATCH"), ("name", ""), ("error_to", target)])
    assert r.status_code == 303, S.describe(r)
    loc = r.headers["Location"]
    assert loc.startswith(f"{FRONT}/ui/accounts/{acc.id}/edit?x={acc.id}&o=&c=&error=validation"), loc
    assert "{" not in loc and "}" not in loc and "%7B" not in loc, loc
    # An order's path: {order_id} is its id, {account_id} its account.
    draft = S.expect(api(tenant.admin).post(f"{ACCOUNTS}/{acc.id}/orders", json={
        "lines": [{"article": "assets-pack", "quantity": 1}]}), 201)["id"]
    S.expect(api(tenant.admin).post(f"/api/v1/orders/{draft}/discard"), 200)
    r = api(tenant.admin).form("POST", f"/api/v1/orders/{draft}/execute",
                               [("error_to", FRONT + "/ui/a/{account_id}/orders/{order_id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"].startswith(f"{FRONT}/ui/a/{acc.id}/orders/{draft}?error="), \
        r.headers["Location"]


@pytest.mark.parametrize("ticked", [["member"], ["member", "billing"]])
def test_error_to_gives_a_list_field_as_a_list_for_one_box_too(api, tenant, make_account, ticked):
    """Round 3, seed 001 D5: one ticked box came back as values[roles]=member,
    two as values[roles][]=...; a list field is always values[roles][]
    (docs/api.md, "The error_to query"), and a select's options too."""
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    # The only admin gives up admin: 409 last-admin, the boxes echoed.
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}/members/{tenant.admin.uid}", [
        ("_method", "PUT"), ("_roles_present", "1")] + [("roles", x) for x in ticked] + [
        ("error_to", FRONT + "/people")])
    assert r.status_code == 303, S.describe(r)
    q = query(r.headers["Location"])
    assert dict(q)["error"] == "last-admin", q
    assert [v for k, v in q if k == "values[roles][]"] == ticked, q
    assert not any(k == "values[roles]" for k, _ in q), q
    # A select definition with one option by form, refused for its label.
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{tenant.account.id}/property-definitions", [
        ("key", "paket"), ("label", ""), ("type", "select")] + [("options", x) for x in ticked] + [
        ("error_to", FRONT + "/cols")])
    assert r.status_code == 303, S.describe(r)
    q = query(r.headers["Location"])
    assert dict(q)["error"] == "validation" and "errors[label]" in dict(q), q
    assert [v for k, v in q if k == "values[options][]"] == ticked, q
    assert dict(q)["values[label]"] == "" and dict(q)["values[key]"] == "paket", q


def test_error_to_for_a_conflict_and_a_refused_return_to(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    S.expect(api(tenant.admin).delete(f"{ACCOUNTS}/{acc.id}", headers={"Origin": S.ORIGIN}), 204)
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [
        ("_method", "PATCH"), ("name", "x"), ("_version", "99"), ("error_to", FRONT + "/e")])
    assert r.status_code == 303, S.describe(r)
    d = dict(query(r.headers["Location"]))
    assert d["status"] in ("409", "412"), d
    name = S.unique("it-errto-rt-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(
        tenant.account.id, name, return_to="https://evil.example/", error_to=FRONT + "/e"))
    assert r.status_code == 303, S.describe(r)
    d = dict(query(r.headers["Location"]))
    assert d["error"] == "validation" and "errors[return_to]" in d, d
    # The refused URL is named in errors, never sent back among the values.
    assert d["values[name]"] == name and "values[return_to]" not in d, d
    assert "evil.example" not in r.headers["Location"], r.headers["Location"]
    assert names_created(sql, name) == 0


def test_a_basic_challenge_is_not_redirected(anon, sql, tenant):
    name = S.unique("it-errto-401-")
    r = anon.form("POST", ACCOUNTS, create_fields(tenant.account.id, name, error_to=FRONT + "/e"))
    S.expect_problem(r, 401, "unauthenticated")
    assert "Basic" in r.headers.get("WWW-Authenticate", "") and "Location" not in r.headers
    # A browser gets the same challenge with the HTML page under it.
    r = anon.form("POST", ACCOUNTS, create_fields(tenant.account.id, name, error_to=FRONT + "/e"),
                  headers={"Accept": HTML_ACCEPT})
    assert r.status_code == 401 and S.media_type(r) == "text/html", S.describe(r)
    assert "Basic" in r.headers.get("WWW-Authenticate", "") and "Please sign in" in r.text
    assert names_created(sql, name) == 0


def test_sso_sends_a_401_to_error_to(env, sql, tenant):
    sso = S.Api()
    url = env["ACCOUNTD_SSO_URL"].rstrip("/") + ACCOUNTS
    name = S.unique("it-errto-sso-")
    r = sso.post(url, data=create_fields(tenant.account.id, name, error_to=FRONT + "/login"),
                 headers={"Origin": S.ORIGIN})
    assert r.status_code == 303, S.describe(r)
    d = dict(query(r.headers["Location"]))
    assert r.headers["Location"].startswith(FRONT + "/login?")
    assert d["error"] == "unauthenticated" and d["status"] == "401" and d["values[name]"] == name, d
    assert names_created(sql, name) == 0
    sso.close()


@pytest.mark.parametrize("target", ["https://evil.example/e", "/relative", FRONT + "/a b",
                                    FRONT + "/a\r\nSet-Cookie: x=1", FRONT + "/a\tb"])
def test_error_to_outside_the_rules_is_422_without_redirect(api, sql, tenant, target):
    name = S.unique("it-errto-bad-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, error_to=target))
    S.expect_field_errors(r, "error_to")
    assert "Location" not in r.headers
    assert names_created(sql, name) == 0


def test_error_to_is_not_used_for_a_cross_site_refusal(api, sql, tenant):
    name = S.unique("it-errto-csrf-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, error_to=FRONT + "/e"),
                               origin=S.EVIL_ORIGIN)
    S.expect_problem(r, 403, "forbidden")
    assert "Location" not in r.headers
    assert names_created(sql, name) == 0


# ---------------------------------------------------------------- return_to

@pytest.mark.parametrize("target", [FRONT + "/done page", FRONT + "/done\r\nX: y", FRONT + "/done\ttab",
                                    FRONT + "/done\nx", " " + FRONT + "/done"])
def test_return_to_with_spaces_or_line_breaks_is_422(api, sql, tenant, target):
    name = S.unique("it-rtws-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, return_to=target))
    S.expect_field_errors(r, "return_to")
    assert names_created(sql, name) == 0


def test_return_to_gets_the_created_id(api, sql, tenant):
    name = S.unique("it-rtid-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(
        tenant.account.id, name, return_to=FRONT + "/accounts/{id}?parent={account_id}"))
    assert r.status_code == 303, S.describe(r)
    new_id = str(sql.value("SELECT id FROM accounts WHERE name = %s", name))
    assert r.headers["Location"] == f"{FRONT}/accounts/{new_id}?parent={new_id}"


def test_return_to_ids_of_a_key_an_added_person_and_a_project(api, tenant, make_account,
                                                               make_person, set_roles):
    """{id} is what a POST created when its answer has no id (a property
    definition's key, the uid of a person an invitation added at once);
    {account_id} on a project's path is the project's account (round-2
    walkthroughs of seeds 001 and 003)."""
    s = api(tenant.admin)
    acc = tenant.account.id
    r = s.form("POST", f"{ACCOUNTS}/{acc}/property-definitions", [
        ("key", "region"), ("label", "Region"), ("type", "text"),
        ("return_to", FRONT + "/partners/{account_id}/columns/{id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"] == f"{FRONT}/partners/{acc}/columns/region"
    child = make_account(tenant.admin, "customer", acc)
    known = make_person(prefix="rt")
    set_roles(tenant.admin, acc, known, ["member"])
    r = s.form("POST", f"{ACCOUNTS}/{child.id}/invitations", [
        ("email", known.mail), ("role", "member"),
        ("return_to", FRONT + "/accounts/{account_id}/people/{id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"] == f"{FRONT}/accounts/{child.id}/people/{known.uid}"
    pid = S.expect(s.post(f"{ACCOUNTS}/{acc}/projects", json={"name": S.unique("rt-p-")}), 201)["id"]
    r = s.form("POST", f"/api/v1/projects/{pid}/members/{known.uid}", [
        ("_method", "PUT"), ("role", "reader"),
        ("return_to", FRONT + "/accounts/{account_id}/projects/" + pid + "/{id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"] == f"{FRONT}/accounts/{acc}/projects/{pid}/{known.uid}"


def test_return_to_gets_account_and_member(api, tenant, make_account, make_person, set_roles, ldap_admin):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    p = make_person()
    set_roles(tenant.admin, acc.id, p, ["member"])
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}/members/{p.uid}", [
        ("_method", "PUT"), ("roles", "billing"), ("return_to", FRONT + "/a/{account_id}/m/{id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"] == f"{FRONT}/a/{acc.id}/m/{p.uid}"
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing"}


def test_return_to_of_an_execute_names_the_subscription_it_created(api, sql, tenant,
                                                                   make_account):
    """Round-11 leftover of seed 002 (D1): {id} of POST /orders/{oid}/execute
    became the order's id (its answer {order, subscription, invoice} has no
    id of its own). It is the subscription the execute created; {order_id}
    is the order, {account_id} the order's account; a replay of the form
    (the same _idempotency_key) goes to the same place."""
    cust = make_account(tenant.admin, "customer", tenant.account.id)
    # An order whose id is not the next subscription's (on a fresh stack
    # both start at 1), so that the two cannot be mistaken.
    next_sid = (sql.value("SELECT MAX(id) FROM subscriptions") or 0) + 1
    while True:
        oid = S.expect(api(tenant.admin).post(f"{ACCOUNTS}/{cust.id}/orders", json={
            "lines": [{"article": "assets-pack", "quantity": 1}]}), 201)["id"]
        if int(oid) != next_sid:
            break
    key = S.unique("rt-exec-")
    fields = [("return_to", FRONT + "/ui/accounts/{account_id}/subscriptions/{id}?order={order_id}"),
              ("_idempotency_key", key)]
    r = api(tenant.admin).form("POST", f"/api/v1/orders/{oid}/execute", fields)
    assert r.status_code == 303, S.describe(r)
    sid = str(sql.value("SELECT subscription_id FROM orders WHERE id=%s", int(oid)))
    assert sid != "None" and sid != oid, (sid, oid)
    assert r.headers["Location"] == f"{FRONT}/ui/accounts/{cust.id}/subscriptions/{sid}?order={oid}"
    again = api(tenant.admin).form("POST", f"/api/v1/orders/{oid}/execute", fields)
    assert again.status_code == 303, S.describe(again)
    assert again.headers["Location"] == r.headers["Location"], S.describe(again)
    assert again.headers.get("Idempotent-Replayed") == "true", S.describe(again)
    assert sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s", int(cust.id)) == 1
    # The draft's form: {id} and {order_id} are the order it made.
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{cust.id}/orders", [
        ("lines[0][article]", "api-seats"), ("lines[0][quantity]", "1"),
        ("return_to", FRONT + "/ui/accounts/{account_id}/orders/{id}/{order_id}")])
    assert r.status_code == 303, S.describe(r)
    made = str(sql.value("SELECT MAX(id) FROM orders WHERE account_id=%s", int(cust.id)))
    assert r.headers["Location"] == f"{FRONT}/ui/accounts/{cust.id}/orders/{made}/{made}"


def test_return_to_of_the_preferences_names_the_caller(api, make_person):
    """Round-11 leftover of seed 004 (D3): PATCH /me/preferences by a form
    sent {id} and {account_id} back as written. {id} is the caller's uid
    (the preferences changed are theirs); {account_id}, which no account
    fills here, is left empty, as is any placeholder accountd does not
    fill; a brace that opens or closes no placeholder is percent-encoded.
    A Location never carries a raw { or }."""
    p = make_person(prefix="rtpref")
    r = api(p).form("POST", "/api/v1/me/preferences", [
        ("_method", "PATCH"), ("news", "false"),
        ("return_to", FRONT + "/prefs/{id}?acc={account_id}&o={order_id}&x={colour}&b={}&c={a-b")])
    assert r.status_code == 303, S.describe(r)
    loc = r.headers["Location"]
    assert loc == f"{FRONT}/prefs/{p.uid}?acc=&o=&x=&b=%7B%7D&c=%7Ba-b", loc
    assert "{" not in loc and "}" not in loc
    assert S.expect(api(p).get("/api/v1/me/preferences"), 200)["news"] is False


def test_a_placeholder_no_route_fills_is_left_empty(api, tenant, make_account, make_person,
                                                     set_roles):
    """The rule is the return_to's, on every route: a member's roles by
    form, where no order is concerned, leave {order_id} empty."""
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    p = make_person(prefix="rtnone")
    set_roles(tenant.admin, acc.id, p, ["member"])
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}/members/{p.uid}", [
        ("_method", "PUT"), ("roles", "billing"),
        ("return_to", FRONT + "/a/{account_id}/m/{id}?o={order_id}&s={subscription_id}")])
    assert r.status_code == 303, S.describe(r)
    assert r.headers["Location"] == f"{FRONT}/a/{acc.id}/m/{p.uid}?o=&s=", r.headers["Location"]


# ---------------------------------------------------------------- HTML error page

def test_html_error_page_for_a_browser(api, sql, tenant):
    name = S.unique("it-html-")
    fields = create_fields(tenant.account.id, name) + [("<img src=x onerror=alert(1)>", "1")]
    r = api(tenant.admin).form("POST", ACCOUNTS, fields,
                               headers={"Accept": HTML_ACCEPT, "Referer": FRONT + "/create.html?a=1&b=2"})
    assert r.status_code == 422, S.describe(r)
    assert S.media_type(r) == "text/html", S.describe(r)
    assert "default-src 'none'" in r.headers.get("Content-Security-Policy", "")
    page = r.text
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page, page
    assert "Please correct what you entered" in page and "is not accepted by this action" in page
    assert f'href="{FRONT}/create.html?a=1&amp;b=2"' in page, page
    assert names_created(sql, name) == 0


def test_html_error_page_links_back_only_to_allowed_origins(api, tenant):
    r = api(tenant.admin).form("POST", ACCOUNTS, [("name", "")],
                               headers={"Accept": HTML_ACCEPT, "Referer": "https://evil.example/x"})
    assert r.status_code == 422 and S.media_type(r) == "text/html", S.describe(r)
    assert "evil.example" not in r.text and "href" not in r.text


def test_json_clients_still_get_problem_json(api, tenant):
    for accept in (None, "*/*", "application/json", "text/html;q=0.5, application/json"):
        headers = {"Accept": accept} if accept else {}
        r = api(tenant.admin).form("POST", ACCOUNTS, [("name", "")], headers=headers)
        S.expect_field_errors(r, "kind")


def test_html_page_for_errors_before_the_handler(anon):
    r = anon.get("/api/v1/accounts/1/nothing", headers={"Accept": HTML_ACCEPT},
                 auth=("olivia", os.environ["DEMO_PASSWORD"]))
    assert r.status_code == 404 and S.media_type(r) == "text/html", S.describe(r)
    assert "Not found" in r.text


# ---------------------------------------------------------------- _version

def test_form_patch_with_the_current_version_changes(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    v = sql.account(acc.id)["version"]
    name = S.unique("it-ver-")
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [
        ("_method", "PATCH"), ("name", name), ("_version", str(v)), ("return_to", FRONT + "/a/{id}")])
    assert r.status_code == 303 and r.headers["Location"] == f"{FRONT}/a/{acc.id}", S.describe(r)
    row = sql.account(acc.id)
    assert row["name"] == name and row["version"] == v + 1


def test_form_patch_with_a_stale_version_is_412_and_changes_nothing(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    v = sql.account(acc.id)["version"]
    newer = S.unique("it-ver-newer-")
    S.expect(api(tenant.admin).patch(f"{ACCOUNTS}/{acc.id}", json={"name": newer}), 200)
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [
        ("_method", "PATCH"), ("name", "stale"), ("_version", str(v))])
    S.expect_problem(r, 412, "precondition-failed")
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [
        ("_method", "PATCH"), ("name", "stale"), ("_version", str(v)), ("error_to", FRONT + "/rename.html")])
    assert r.status_code == 303, S.describe(r)
    d = dict(query(r.headers["Location"]))
    assert d["error"] == "stale" and d["status"] == "412" and d["values[name]"] == "stale", d
    assert sql.account(acc.id)["name"] == newer


def test_form_patch_without_version_is_applied_like_json_without_if_match(api, sql, tenant,
                                                                          make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [("_method", "PATCH"), ("name", "nover")])
    S.expect(r, 200)
    assert sql.account(acc.id)["name"] == "nover"
    # JSON clients likewise.
    S.expect(api(tenant.admin).patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("it-json-")}), 200)


@pytest.mark.parametrize("version", ["abc", "0", "-1", "1.5", ""])
def test_malformed_version_is_422(api, sql, tenant, make_account, version):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [
        ("_method", "PATCH"), ("name", "x"), ("_version", version)])
    S.expect_field_errors(r, "_version")
    assert sql.account(acc.id)["name"] == acc.name


def test_if_match_and_version_must_agree(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    v = sql.account(acc.id)["version"]
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [
        ("_method", "PATCH"), ("name", "x"), ("_version", str(v + 1))],
        headers={"If-Match": f'"{acc.id}.{v}"'})
    S.expect_problem(r, 412, "precondition-failed")
    assert sql.account(acc.id)["name"] == acc.name


def test_version_is_refused_where_nothing_is_versioned(api, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}/invitations", [
        ("email", S.unique_mail()), ("role", "member"), ("_version", "1")])
    S.expect_field_errors(r, "_version")


# ---------------------------------------------------------------- _roles_present

def test_roles_present_with_no_box_ticked_removes_every_role(api, tenant, make_account, make_person,
                                                             set_roles, ldap_admin):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    p = make_person()
    set_roles(tenant.admin, acc.id, p, ["member", "billing"])
    path = f"{ACCOUNTS}/{acc.id}/members/{p.uid}"
    S.expect_field_errors(api(tenant.admin).form("POST", path, [("_method", "PUT")]), "roles")
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member", "billing"}
    r = api(tenant.admin).form("POST", path, [("_method", "PUT"), ("_roles_present", "1")])
    S.expect(r, 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()


def test_roles_present_with_boxes_ticked_sets_them(api, tenant, make_account, make_person, set_roles,
                                                   ldap_admin):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    p = make_person()
    set_roles(tenant.admin, acc.id, p, ["member"])
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}/members/{p.uid}", [
        ("_method", "PUT"), ("_roles_present", "1"), ("roles", "billing")])
    S.expect(r, 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing"}


# ---------------------------------------------------------------- HEAD

def test_head_answers_like_get_without_a_body(api, anon, tenant):
    get = anon.get("/api/v1/health")
    head = anon.head("/api/v1/health")
    assert head.status_code == 200 and head.content == b"", S.describe(head)
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    me = api(tenant.admin)
    g, h = me.get(f"{ACCOUNTS}/{tenant.account.id}"), me.head(f"{ACCOUNTS}/{tenant.account.id}")
    assert h.status_code == 200 and h.content == b"" and h.headers["ETag"] == g.headers["ETag"], S.describe(h)
    assert anon.head("/api/v1/me").status_code == 401
    assert "HEAD" in S.allow_set(anon.post("/api/v1/health"))


# ---------------------------------------------------------------- request rules

def test_form_type_with_parameters_is_a_form(api, sql, tenant):
    ctype = "application/x-www-form-urlencoded;a=+json"
    name = S.unique("it-ctparam-")
    body = f"kind=customer&parent_id={tenant.account.id}&name={name}&company[name]=x&company[country]=AT"
    for origin in (S.EVIL_ORIGIN, None):
        headers = {"Content-Type": ctype}
        if origin:
            headers["Origin"] = origin
        S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=body, headers=headers), 403, "forbidden")
    assert names_created(sql, name) == 0
    r = api(tenant.admin).post(ACCOUNTS, data=body, headers={"Content-Type": ctype, "Origin": S.ORIGIN})
    S.expect(r, 201)
    assert names_created(sql, name) == 1


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"])
def test_empty_form_body_needs_an_allowed_origin(api, sql, tenant, make_account, ctype):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    r = api(tenant.admin).delete(f"{ACCOUNTS}/{acc.id}", data=b"", headers={"Content-Type": ctype})
    S.expect_problem(r, 403, "forbidden")
    r = api(tenant.admin).delete(f"{ACCOUNTS}/{acc.id}", data=b"",
                                 headers={"Content-Type": ctype, "Origin": S.EVIL_ORIGIN})
    S.expect_problem(r, 403, "forbidden")
    assert sql.account(acc.id)["status"] == "active"


# ---------------------------------------------------------------- CORS

def test_cors_headers_for_an_allowed_origin_only(api, tenant):
    me = api(tenant.admin)
    r = me.get("/api/v1/me", headers={"Origin": FRONT})
    S.expect(r, 200)
    assert r.headers.get("Access-Control-Allow-Origin") == FRONT
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    assert "Origin" in r.headers.get("Vary", "")
    exposed = {h.strip().lower() for h in r.headers.get("Access-Control-Expose-Headers", "").split(",")}
    assert {"etag", "location", "idempotent-replayed"} <= exposed
    for origin in (FOREIGN, "null", S.EVIL_ORIGIN, None):
        r = me.get("/api/v1/me", headers={"Origin": origin} if origin else {})
        S.expect(r, 200)
        assert not any(k.lower().startswith("access-control-") for k in r.headers), S.describe(r)


def test_cors_headers_on_errors_too(api, tenant):
    r = api(tenant.admin).get(f"{ACCOUNTS}/999999999", headers={"Origin": FRONT})
    S.expect_problem(r, 404)
    assert r.headers.get("Access-Control-Allow-Origin") == FRONT


def test_preflight_is_answered_without_a_login(anon, tenant):
    r = anon.options(f"{ACCOUNTS}/{tenant.account.id}", headers={
        "Origin": FRONT, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "content-type, if-match"})
    assert r.status_code == 204, S.describe(r)
    assert r.headers.get("Access-Control-Allow-Origin") == FRONT
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    methods = {m.strip() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert {"GET", "PATCH", "DELETE"} <= methods, S.describe(r)
    headers = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {"content-type", "if-match", "idempotency-key"} <= headers, S.describe(r)


def test_preflight_from_a_foreign_origin_is_refused(anon, tenant):
    for origin in (FOREIGN, S.EVIL_ORIGIN):
        r = anon.options(f"{ACCOUNTS}/{tenant.account.id}", headers={
            "Origin": origin, "Access-Control-Request-Method": "PATCH"})
        S.expect_problem(r, 403, "forbidden")
        assert not any(k.lower().startswith("access-control-") for k in r.headers), S.describe(r)


def test_options_without_origin_lists_the_methods(anon):
    r = anon.options(ACCOUNTS)
    assert r.status_code == 204, S.describe(r)
    assert S.allow_set(r) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert anon.options("/api/v1/nothing/here").status_code == 404


# ---------------------------------------------------------------- reload

@pytest.fixture
def conf(env):
    """accountd.conf of the test stack, put back (and reloaded) afterwards."""
    path = env["ACCOUNTD_CONF"]
    original = open(path).read()
    yield path, original
    with open(path, "w") as f:
        f.write(original)
    reload_accountd(env)


def reload_accountd(env):
    return subprocess.run([env["ACCOUNTD_DEV"], "reload", env["ACCOUNTD_STATE"]],
                          capture_output=True, text=True, timeout=60)


def test_sighup_reloads_allowed_origins(api, env, tenant, conf):
    path, original = conf
    me = api(tenant.admin)
    assert "Access-Control-Allow-Origin" not in me.get("/api/v1/me", headers={"Origin": FOREIGN}).headers
    text = re.sub(r"^allowed_origins = (.*)$", lambda m: f"allowed_origins = {m.group(1)} {FOREIGN}",
                  original, flags=re.M)
    with open(path, "w") as f:
        f.write(text)
    p = reload_accountd(env)
    assert p.returncode == 0 and "configuration reloaded" in p.stdout, p.stdout + p.stderr
    r = me.get("/api/v1/me", headers={"Origin": FOREIGN})
    assert r.headers.get("Access-Control-Allow-Origin") == FOREIGN, S.describe(r)
    # A form from the newly allowed origin passes the CSRF rule now.
    name = S.unique("it-reload-")
    r = me.form("POST", ACCOUNTS, create_fields(tenant.account.id, name), origin=FOREIGN)
    S.expect(r, 201)


def test_a_bad_file_keeps_the_running_configuration(api, env, tenant, conf):
    path, original = conf
    with open(path, "w") as f:
        f.write(original.replace("allowed_origins = ", "allowed_origins = ftp://nope ", 1))
    p = reload_accountd(env)
    assert p.returncode != 0, p.stdout
    assert "not reloaded" in p.stdout and "allowed_origins" in p.stdout, p.stdout + p.stderr
    r = api(tenant.admin).get("/api/v1/me", headers={"Origin": FRONT})
    assert r.headers.get("Access-Control-Allow-Origin") == FRONT, S.describe(r)


def test_reload_keeps_what_needs_a_restart(api, env, tenant, conf):
    path, original = conf
    with open(path, "w") as f:
        f.write(original + "\nthreads = 7\n")
    p = reload_accountd(env)
    assert p.returncode == 0, p.stdout + p.stderr
    log = open(env["ACCOUNTD_LOG"]).read()
    assert "threads changed; that takes a restart" in log
    S.expect(api(tenant.admin).get("/api/v1/me"), 200)


def test_reloads_during_requests_in_flight(api, env, tenant, conf):
    """SIGHUP 30 times while four clients keep reading: every answer is
    complete and right (a config freed under a request would show here and
    as a sanitizer report, which ./dev test counts as a failure)."""
    import signal
    import threading
    pid = int(open(os.path.join(env["ACCOUNTD_STATE"], "accountd.pid")).read().split()[0])
    answers, stop = [], threading.Event()

    def client():
        s = api(tenant.admin)
        while not stop.is_set() and len(answers) < 2000:
            r = s.get("/api/v1/me", headers={"Origin": FRONT})
            answers.append((r.status_code, r.headers.get("Access-Control-Allow-Origin")))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(30):
            os.kill(pid, signal.SIGHUP)
            threading.Event().wait(0.02)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    p = reload_accountd(env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert answers and all(a == (200, FRONT) for a in answers), [a for a in answers if a != (200, FRONT)][:5]
