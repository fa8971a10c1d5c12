"""Seed 004 (Inflectra customer portal) end to end, through HTTP.

A partner (the vendor's side) has a customer account. The customer has two
named contacts, primary/billing and technical/alternate, each an admin of
the account; changing one mails the old and the new contact. Additional
users (role `member`): a person who already has an account in the
partner's tenant tree is added at once, anyone else is invited ("Notify")
and creates their account by accepting. Additional users read the account,
its licenses and keys, subscriptions, quotes and invoices and renew a
subscription; they may not edit the profile or change people. News mail
(announcements) reaches everyone who did not opt out; transactional mail
reaches the contact who did.

Every step asserts what a user would check: the status and body, the LDAP
role groups, the MariaDB rows and the mails that arrived in the sink.
"""
import datetime

import pytest

import support as S


def acct(account_id, tail=""):
    return f"/api/v1/accounts/{account_id}{tail}"


def parse_time(s):
    assert isinstance(s, str) and s.endswith("Z"), f"not RFC 3339 UTC: {s!r}"
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def is_id(v):
    return isinstance(v, str) and v.isdigit()


def accept_as_new(api, invitation_mail, email, after, first, last):
    """Follow the invitation mail sent to `email`: accept with a chosen uid
    and password; return the new Person (already checked to sign in)."""
    _mail, token = invitation_mail(email, after=after)
    uid = S.unique(first.lower()[:4])
    password = "pw-" + S.unique("") + "-secret"
    body = S.expect(S.accept_invitation(api, token, uid=uid, password=password,
                                        first_name=first, last_name=last), 200)
    assert body["uid"] == uid and body["created"] is True, body
    S.PASSWORDS[uid] = password
    me = S.expect(api(uid).get("/api/v1/me"), 200)
    assert me["mail"] == email, me
    return S.Person(uid, password, S.person_dn(uid), me["name"], email), token, body


def outbox_since(sql, account_id, before, template=None):
    rows = S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
    assert all(r["status"] == "sent" for r in rows), rows
    return [r for r in rows if template is None or r["template"] == template]


def arrived(mailbox, rows):
    """The sink's mails for these outbox rows (each must have arrived once)."""
    ids = {r["id"] for r in rows}
    mails = mailbox.wait_for(outbox_ids=ids, count=len(ids))
    assert sorted(m.outbox_id for m in mails) == sorted(ids), (mails, rows)
    return mails


class Portal:
    """The partner, its admin, the customer account and its people."""
    pass


@pytest.fixture
def portal(api, make_tenant, make_account, make_person, set_roles, sql, invitation_mail,
           ldap_admin):
    p = Portal()
    tenant = make_tenant("inflectra")
    p.partner, p.vendor = tenant.account, tenant.admin

    # The partner creates the customer account; its primary contact-to-be
    # has no login yet, so the `contact` is invited as admin.
    p.primary_mail = S.unique_mail("paula-")
    before = S.outbox_max_id(sql)
    name = S.unique("Acme Corp ")
    r = api(p.vendor).post("/api/v1/accounts", json={
        "kind": "customer", "name": name, "parent_id": p.partner.id,
        "company": {"name": name + " Inc", "street": "Main Street 1", "postcode": "1010",
                    "city": "Wien", "country": "AT"},
        "contact": {"first_name": "Paula", "last_name": "Primary", "email": p.primary_mail}})
    created = S.expect(r, 201)
    assert is_id(created["id"]) and r.headers["Location"].endswith(acct(created["id"])), S.describe(r)
    assert created["contact"]["status"] == "invited" and created["contact"]["role"] == "admin", created
    p.customer = created["id"]
    p.primary, _, acc = accept_as_new(api, invitation_mail, p.primary_mail, before, "Paula", "Primary")
    assert (acc["account_id"], acc["role"]) == (p.customer, "admin"), acc

    # Paula invites the technical contact (no login yet either) as admin.
    p.tech_mail = S.unique_mail("tom-")
    before = S.outbox_max_id(sql)
    inv = S.expect(api(p.primary).post(acct(p.customer, "/invitations"),
                                       json={"email": p.tech_mail, "role": "admin",
                                             "first_name": "Tom", "last_name": "Tech"}), 202)
    assert inv["status"] == "invited" and is_id(inv["id"]), inv
    p.tech, _, _ = accept_as_new(api, invitation_mail, p.tech_mail, before, "Tom", "Tech")

    # The two named contacts, set by a form as the portal's
    # "Edit Customer Account" page posts it.
    for kind, who in (("primary", p.primary), ("technical", p.tech)):
        r = api(p.primary).form("POST", acct(p.customer, f"/contacts/{kind}"),
                                [("_method", "PUT"), ("uid", who.uid)])
        body = S.expect(r, 200)
        assert (body["contact"], body["uid"], body["mail"]) == (kind, who.uid, who.mail), body
    admins = S.group_members(ldap_admin, p.customer, "admin")
    assert {S.norm_dn(p.primary.dn), S.norm_dn(p.tech.dn)} <= admins, admins
    return p


def test_named_contacts_are_admins_and_a_change_mails_old_and_new(api, portal, sql, mailbox,
                                                                   invitation_mail, ldap_admin):
    p = portal
    view = S.expect(api(p.primary).get(acct(p.customer)), 200)
    assert view["contacts"] == {
        "primary": {"uid": p.primary.uid, "name": p.primary.name, "mail": p.primary.mail},
        "technical": {"uid": p.tech.uid, "name": p.tech.name, "mail": p.tech.mail}}, view
    roles = {m["uid"]: m["roles"] for m in view["members"]}
    assert roles[p.primary.uid] == ["admin"] and roles[p.tech.uid] == ["admin"], view
    stored = sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s ORDER BY kind",
                      int(p.customer))
    assert [(r["kind"], r["uid"]) for r in stored] == [("primary", p.primary.uid),
                                                       ("technical", p.tech.uid)]

    # The technical contact leaves; Paula invites the replacement and makes
    # her the technical contact. Old and new contact are mailed.
    new_mail = S.unique_mail("tina-")
    before = S.outbox_max_id(sql)
    S.expect(api(p.primary).post(acct(p.customer, "/invitations"),
                                 json={"email": new_mail, "role": "admin"}), 202)
    tina, _, _ = accept_as_new(api, invitation_mail, new_mail, before, "Tina", "Techie")
    before = S.outbox_max_id(sql)
    body = S.expect(api(p.primary).put(acct(p.customer, "/contacts/technical"),
                                       json={"uid": tina.uid}), 200)
    assert (body["contact"], body["uid"], body["name"], body["mail"]) == \
        ("technical", tina.uid, tina.name, tina.mail), body
    rows = outbox_since(sql, p.customer, before)
    assert sorted(r["recipient"].lower() for r in rows) == sorted([p.tech.mail.lower(), tina.mail.lower()]), rows
    assert {(r["template"], r["category"]) for r in rows} == {("contact-changed", "transactional")}, rows
    for m in arrived(mailbox, rows):
        assert m.envelope_to in ([p.tech.mail.lower()], [tina.mail.lower()]), m
    assert sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='technical'",
                     int(p.customer)) == tina.uid
    sets = [a for a in sql.audit(p.customer) if a["action"] == "contact.set"]
    assert sets and sets[-1]["uid"] == p.primary.uid, sets

    # A contact must be an admin of the account; only admins change them.
    member = S.unique_mail("mo-")
    before = S.outbox_max_id(sql)
    S.expect(api(p.primary).post(acct(p.customer, "/invitations"),
                                 json={"email": member, "role": "member"}), 202)
    mo, _, _ = accept_as_new(api, invitation_mail, member, before, "Mo", "Member")
    S.expect_field_errors(api(p.primary).put(acct(p.customer, "/contacts/primary"),
                                             json={"uid": mo.uid}), "uid")
    S.expect_problem(api(mo).put(acct(p.customer, "/contacts/primary"), json={"uid": mo.uid}),
                     403, "forbidden")
    assert sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='primary'",
                     int(p.customer)) == p.primary.uid


def test_additional_users_added_at_once_or_invited(api, portal, make_account, make_person,
                                                   set_roles, sql, mailbox, invitation_mail,
                                                   ldap_admin, make_tenant):
    p = portal
    # Eve already has a login: she is a member of another customer of the
    # same partner (inside the partner's tenant tree).
    other = make_account(p.vendor, "customer", p.partner.id)
    eve = make_person(prefix="eve")
    set_roles(p.vendor, other.id, eve, ["member"])

    before = S.outbox_max_id(sql)
    r = api(p.vendor).post(acct(p.customer, "/invitations"), json={"email": eve.mail, "role": "member"})
    body = S.expect(r, 201)
    assert (body["status"], body["uid"], body["role"]) == ("added", eve.uid, "member"), body
    assert "id" not in body, body
    assert S.roles_in_ldap(ldap_admin, p.customer, eve) == {"member"}
    rows = outbox_since(sql, p.customer, before)
    assert [(r["template"], r["recipient"].lower()) for r in rows] == [("added-to-account", eve.mail.lower())], rows
    arrived(mailbox, rows)
    assert sql.row("SELECT * FROM invitations WHERE account_id=%s AND email=%s",
                   int(p.customer), eve.mail) is None

    # Nora has no login: Paula's "Notify" invites her; she creates her
    # account by accepting. A second "Notify" (resend) kills the first link.
    nora_mail = S.unique_mail("nora-")
    before = S.outbox_max_id(sql)
    inv = S.expect(api(p.primary).form("POST", acct(p.customer, "/invitations"),
                                       [("email", nora_mail), ("role", "member"),
                                        ("first_name", "Nora"), ("last_name", "New")]), 202)
    assert (inv["status"], inv["email"], inv["role"]) == ("invited", nora_mail, "member"), inv
    assert is_id(inv["id"]) and parse_time(inv["expires_at"]) > datetime.datetime.now(datetime.timezone.utc)
    row = S.invitation_row(sql, inv["id"])
    assert (str(row["account_id"]), row["role"], row["status"], row["invited_by"]) == \
        (p.customer, "member", "pending", p.primary.uid), row
    _first_mail, first_token = invitation_mail(nora_mail, after=before)
    listed = S.expect(api(p.primary).get(acct(p.customer, "/invitations")), 200)
    assert [i["id"] for i in listed["items"] if i["email"] == nora_mail] == [inv["id"]], listed

    before = S.outbox_max_id(sql)
    again = S.expect(api(p.primary).post(acct(p.customer, f"/invitations/{inv['id']}/resend")), 202)
    assert again["id"] == inv["id"], again
    _mail, token = invitation_mail(nora_mail, after=before)
    assert token != first_token
    dead = S.accept_invitation(api, first_token, uid=S.unique("nora"), password="pw-" + S.unique(""))
    assert dead.status_code in (404, 410), S.describe(dead)

    uid = S.unique("nora")
    password = "pw-" + S.unique("") + "-secret"
    accepted = S.expect(S.accept_invitation(api, token, uid=uid, password=password), 200)
    assert (accepted["uid"], accepted["account_id"], accepted["role"], accepted["created"]) == \
        (uid, p.customer, "member", True), accepted
    S.PASSWORDS[uid] = password
    nora = S.Person(uid, password, S.person_dn(uid), "", nora_mail)
    entry = S.ldap_entry(ldap_admin, nora.dn, ["mail", "cn"])
    assert [str(v) for v in entry["mail"]] == [nora_mail] and "Nora" in str(entry["cn"][0]), entry
    assert S.roles_in_ldap(ldap_admin, p.customer, nora) == {"member"}
    assert S.invitation_row(sql, inv["id"])["status"] == "accepted"
    me = S.expect(api(nora).get("/api/v1/me"), 200)
    assert [(a["id"], a["roles"]) for a in me["accounts"]] == [(p.customer, ["member"])], me

    members = S.expect(api(p.primary).get(acct(p.customer, "/members")), 200)
    by_uid = {m["uid"]: m["roles"] for m in members["items"]}
    assert by_uid[eve.uid] == ["member"] and by_uid[nora.uid] == ["member"], members
    assert by_uid[p.primary.uid] == ["admin"] and by_uid[p.tech.uid] == ["admin"], members


@pytest.fixture
def additional(api, portal, sql, invitation_mail):
    """An additional user (role member) of the portal's customer."""
    mail = S.unique_mail("ada-")
    before = S.outbox_max_id(sql)
    S.expect(api(portal.primary).post(acct(portal.customer, "/invitations"),
                                      json={"email": mail, "role": "member"}), 202)
    person, _, _ = accept_as_new(api, invitation_mail, mail, before, "Ada", "Additional")
    return person


def test_additional_user_reads_but_may_not_edit_profile_or_people(api, portal, additional, sql,
                                                                  ldap_admin, make_tenant, anon):
    p, ada = portal, additional
    view = S.expect(api(ada).get(acct(p.customer)), 200)
    assert view["id"] == p.customer and view["status"] == "active", view
    assert view["contacts"]["primary"]["uid"] == p.primary.uid, view
    for key in ("company", "members", "plan", "subscriptions", "articles", "licenses", "properties",
                "notification_recipients"):
        assert key in view, f"{key} missing in the overview: {view}"
    head = api(ada).head(acct(p.customer))
    assert head.status_code == 200 and head.content == b"", S.describe(head)
    S.expect(api(ada).get(acct(p.customer, "/members")), 200)
    S.expect(api(ada).get(acct(p.customer, "/notification-recipients")), 200)

    name_before = sql.account(p.customer)["name"]
    version_before = sql.account(p.customer)["version"]
    admins_before = S.group_members(ldap_admin, p.customer, "admin")
    # Edit the customer profile: refused, as JSON and as a form.
    S.expect_problem(api(ada).patch(acct(p.customer), json={"name": "Hijacked"}), 403, "forbidden")
    S.expect_problem(api(ada).form("POST", acct(p.customer),
                                   [("_method", "PATCH"), ("company[city]", "Graz")]), 403, "forbidden")
    # Change the people: refused.
    S.expect_problem(api(ada).put(acct(p.customer, f"/members/{p.tech.uid}"), json={"roles": ["member"]}),
                     403, "forbidden")
    S.expect_problem(api(ada).put(acct(p.customer, f"/members/{ada.uid}"), json={"roles": ["admin"]}),
                     403, "forbidden")
    S.expect_problem(api(ada).delete(acct(p.customer, f"/members/{p.tech.uid}")), 403, "forbidden")
    S.expect_problem(api(ada).post(acct(p.customer, "/invitations"),
                                   json={"email": S.unique_mail(), "role": "member"}), 403, "forbidden")
    S.expect_problem(api(ada).put(acct(p.customer, "/contacts/technical"), json={"uid": ada.uid}),
                     403, "forbidden")
    S.expect_problem(api(ada).put(acct(p.customer, "/notification-recipients"),
                                  json={"emails": [ada.mail]}), 403, "forbidden")
    row = sql.account(p.customer)
    assert (row["name"], row["version"]) == (name_before, version_before)
    assert S.group_members(ldap_admin, p.customer, "admin") == admins_before
    assert S.roles_in_ldap(ldap_admin, p.customer, ada) == {"member"}

    # Another tenant sees nothing of it; nobody without a login either.
    stranger = make_tenant("stranger").admin
    S.expect_problem(api(stranger).get(acct(p.customer)), 404, "not-found")
    S.expect_problem(anon.get(acct(p.customer)), 401, "unauthenticated")


def billing_on_main(api):
    r = api("olivia").get("/api/v1/plans")
    if r.status_code == 404:
        pytest.skip("the billing endpoints (issue 10) are not on this branch yet")
    return S.expect(r, 200)


def test_additional_user_sees_billing_and_renews(api, portal, additional, sql, make_tenant):
    p, ada = portal, additional
    billing_on_main(api)
    # Paula (primary/billing contact) buys a plan.
    draft = S.expect(api(p.primary).post(acct(p.customer, "/orders"),
                                         json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    done = S.expect(api(p.primary).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
    sid = done["subscription"]["id"]
    assert is_id(sid), done
    quote = S.expect(api(p.primary).post(acct(p.customer, "/quotes"),
                                         json={"lines": [{"article": "professional", "quantity": 5}]}), 201)

    # The additional user sees subscriptions, license keys, invoices, quotes.
    subs = S.expect(api(ada).get(acct(p.customer, "/subscriptions")), 200)
    sub = [s for s in subs["items"] if s["id"] == sid]
    assert len(sub) == 1 and sub[0]["plan"] == "starter" and sub[0]["status"] == "active", subs
    assert "next_cursor" in subs, subs
    ends_at = parse_time(sub[0]["ends_at"])
    parse_time(sub[0]["started_at"])
    lic = S.expect(api(ada).get(acct(p.customer, "/licenses")), 200)
    assert lic["items"], lic
    for item in lic["items"]:
        assert {"feature", "quantity", "used", "key"} <= set(item), item
        assert isinstance(item["key"], str) and len(item["key"]) >= 16, item
    keys = {r["feature"]: r["key"] for r in lic["items"]}
    invoices = S.expect(api(ada).get(acct(p.customer, "/invoices")), 200)
    assert len(invoices["items"]) == 1 and invoices["items"][0]["reason"] == "order", invoices
    quotes = S.expect(api(ada).get(acct(p.customer, "/quotes")), 200)
    assert [q["id"] for q in quotes["items"]] == [quote["id"]], quotes
    view = S.expect(api(ada).get(acct(p.customer)), 200)
    assert view["plan"] == "starter" and [s["id"] for s in view["subscriptions"]] == [sid], view
    assert {l["feature"]: l["key"] for l in view["licenses"]} == keys, view

    # ... renews the subscription (one more term, a renewal invoice) ...
    renewed = S.expect(api(ada).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    assert parse_time(renewed["ends_at"]) > ends_at + datetime.timedelta(days=27), renewed
    assert renewed["invoice"]["reason"] == "renewal", renewed
    stored = sql.row("SELECT ends_at FROM subscriptions WHERE id=%s", int(sid))
    assert stored["ends_at"].replace(tzinfo=datetime.timezone.utc, microsecond=0) == \
        parse_time(renewed["ends_at"])
    invoices = S.expect(api(ada).get(acct(p.customer, "/invoices")), 200)
    assert sorted(i["reason"] for i in invoices["items"]) == ["order", "renewal"], invoices

    # ... but may not buy, cancel, upgrade or request quotes for the account.
    S.expect_problem(api(ada).post(f"/api/v1/subscriptions/{sid}/cancel"), 403, "forbidden")
    S.expect_problem(api(ada).post(f"/api/v1/subscriptions/{sid}/upgrade", json={"plan": "professional"}),
                     403, "forbidden")
    S.expect_problem(api(ada).post(acct(p.customer, "/orders"),
                                   json={"lines": [{"article": "starter", "quantity": 1}]}), 403, "forbidden")
    S.expect_problem(api(ada).post(acct(p.customer, "/quotes"),
                                   json={"lines": [{"article": "starter", "quantity": 1}]}), 403, "forbidden")
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "active"
    # Another tenant gets 404 for the subscription.
    stranger = make_tenant("stranger").admin
    S.expect_problem(api(stranger).post(f"/api/v1/subscriptions/{sid}/renew"), 404, "not-found")


def test_news_respects_opt_out_transactional_does_not(api, portal, additional, sql, mailbox):
    p, ada = portal, additional
    # Tom, the technical contact, opts out of news (a form, as the portal's
    # preferences page sends it).
    r = api(p.tech).form("POST", "/api/v1/me/preferences", [("_method", "PATCH"), ("news", "false")])
    assert S.expect(r, 200) == {"news": False}
    assert sql.value("SELECT news FROM person_preferences WHERE uid=%s", p.tech.uid) == 0
    assert S.expect(api(p.tech).get("/api/v1/me"), 200)["preferences"] == {"news": False}
    assert S.expect(api(p.tech).get("/api/v1/me/preferences"), 200) == {"news": False}
    assert S.expect(api(p.primary).get("/api/v1/me/preferences"), 200) == {"news": True}
    S.expect_problem(api(None).get("/api/v1/me/preferences"), 401)

    # An announcement (news) reaches everyone in the account but Tom.
    before = S.outbox_max_id(sql)
    subject = S.unique("Webinar ")
    body = S.expect(api(p.primary).post(acct(p.customer, "/announcements"),
                                        json={"subject": subject, "body": "Join our webinar."}), 202)
    members = S.expect(api(p.primary).get(acct(p.customer, "/members")), 200)["items"]
    expected = sorted(m["mail"].lower() for m in members if m["uid"] != p.tech.uid)
    assert p.vendor.mail.lower() in expected and ada.mail.lower() in expected
    assert body == {"queued": len(expected)}, body
    rows = outbox_since(sql, p.customer, before)
    assert {(r["template"], r["category"]) for r in rows} == {("announcement", "news")}, rows
    assert sorted(r["recipient"].lower() for r in rows) == expected, rows
    mails = arrived(mailbox, rows)
    assert all(m.subject == subject for m in mails), mails
    assert not mailbox.matching(lambda m: m.subject == subject, to=p.tech.mail)

    # A transactional mail still reaches him: Paula takes over the
    # technical contact, and Tom (the old contact) is told.
    before = S.outbox_max_id(sql)
    S.expect(api(p.primary).put(acct(p.customer, "/contacts/technical"), json={"uid": p.primary.uid}), 200)
    rows = outbox_since(sql, p.customer, before)
    to_tom = [r for r in rows if r["recipient"].lower() == p.tech.mail.lower()]
    assert [(r["template"], r["category"]) for r in to_tom] == [("contact-changed", "transactional")], rows
    assert [m.outbox_id for m in arrived(mailbox, to_tom)] == [to_tom[0]["id"]]


def test_transactional_mail_reaches_both_named_contacts(api, portal, additional, sql, mailbox):
    """"These users (the primary and the technical contact) will also
    receive email notifications ... transactional emails": the welcome mail
    of an order and the cancellation mail reach both named contacts (and the
    notification recipients); an additional user gets none of them, but for
    the mail of what they did themselves (round-17 walkthrough of seed 004,
    D1: the renewal)."""
    p, ada = portal, additional
    billing_on_main(api)
    before = S.outbox_max_id(sql)
    draft = S.expect(api(p.primary).post(acct(p.customer, "/orders"),
                                         json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    sid = S.expect(api(p.primary).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
    rows = outbox_since(sql, p.customer, before, template="plan-welcome")
    assert sorted(r["recipient"].lower() for r in rows) == sorted([p.primary.mail.lower(),
                                                                   p.tech.mail.lower()]), rows
    assert all(r["category"] == "transactional" for r in rows), rows
    assert {m.outbox_id for m in arrived(mailbox, rows)} == {r["id"] for r in rows}

    # The technical contact cancels; both contacts are told, Ada is not.
    before = S.outbox_max_id(sql)
    S.expect(api(p.tech).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    rows = outbox_since(sql, p.customer, before, template="subscription-cancelled")
    to = sorted(r["recipient"].lower() for r in rows)
    assert to == sorted([p.primary.mail.lower(), p.tech.mail.lower()]), rows
    assert ada.mail.lower() not in to
    arrived(mailbox, rows)

    # Withdrawing the cancellation, and a renewal, are "a change in a
    # subscription": both contacts are told, with the new term end.
    both = sorted([p.primary.mail.lower(), p.tech.mail.lower()])
    before = S.outbox_max_id(sql)
    S.expect(api(p.tech).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
    rows = outbox_since(sql, p.customer, before, template="subscription-changed")
    assert sorted(r["recipient"].lower() for r in rows) == both, rows
    mails = arrived(mailbox, rows)
    assert all("cancellation was withdrawn" in m.subject for m in mails), mails
    before = S.outbox_max_id(sql)
    renewed = S.expect(api(ada).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    rows = outbox_since(sql, p.customer, before, template="subscription-changed")
    assert sorted(r["recipient"].lower() for r in rows) == sorted(both + [ada.mail.lower()]), rows
    mails = arrived(mailbox, rows)
    assert all("was renewed" in m.subject and renewed["ends_at"] in m.body for m in mails), mails
    # Stop-19 leftover: the renewal mail names the invoice it wrote.
    assert all(f"Invoice {renewed['invoice']['number']} bills " in m.body for m in mails), mails

    # One person named as both contacts gets one mail.
    S.expect(api(p.primary).put(acct(p.customer, "/contacts/technical"), json={"uid": p.primary.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(p.primary).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    rows = outbox_since(sql, p.customer, before, template="subscription-cancelled")
    assert [r["recipient"].lower() for r in rows] == [p.primary.mail.lower()], rows


# ---------------------------------------------------------------- round 17: the mail of one's own action

def body_of(mail):
    return mail.body.replace("\r\n", "\n")


def test_an_additional_user_gets_the_mail_of_what_they_did(api, portal, additional, sql, mailbox,
                                                            make_person, set_roles, make_tenant):
    """Round-17 walkthrough of seed 004, D1: Dora (member) renewed and
    executed an add-on order, and only the contacts were mailed; she had no
    confirmation, no invoice number, no new term end. Decision: whoever
    holds a role in the account and renews, cancels, upgrades, uncancels or
    executes an order gets that change's mail too, greeted by name; the
    contacts and recipients get theirs as before, and nobody else of the
    account does (another member, a billing person who did nothing)."""
    p, ada = portal, additional
    billing_on_main(api)
    carl, dora = make_person(prefix="carl"), make_person(prefix="dora")
    set_roles(p.primary, p.customer, carl, ["billing", "member"])
    set_roles(p.primary, p.customer, dora, ["member"])
    draft = S.expect(api(p.primary).post(acct(p.customer, "/orders"),
                                         json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    sid = S.expect(api(p.primary).post(f"/api/v1/orders/{draft['id']}/execute"),
                   200)["subscription"]["id"]
    contacts = [p.primary.mail.lower(), p.tech.mail.lower()]

    # Dora renews: the subscription-changed mail reaches her, greeting her,
    # with the new term end and the invoice; Ada and Carl get none.
    before = S.outbox_max_id(sql)
    renewed = S.expect(api(dora).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    rows = outbox_since(sql, p.customer, before)
    assert sorted((r["template"], r["recipient"].lower()) for r in rows) == sorted(
        [("subscription-changed", a) for a in contacts + [dora.mail.lower()]]), rows
    mine = [r for r in rows if r["recipient"].lower() == dora.mail.lower()]
    mail = arrived(mailbox, mine)[0]
    text = body_of(mail)
    assert text.startswith(f"Hello {dora.name},\n\n"), text
    assert "was renewed" in mail.subject and renewed["ends_at"] in text, (mail.subject, text)
    # Her own copy speaks to her (round-26 walkthrough of seed 001, D1).
    assert "\nChanged by you.\n" in text, text
    assert f"Invoice {renewed['invoice']['number']} bills " in text, text
    # The contacts' copies say the same, greeting each of them, and name
    # her.
    theirs = arrived(mailbox, [r for r in rows if r["recipient"].lower() != dora.mail.lower()])
    for m in theirs:
        assert body_of(m).split("\n", 1)[1] == text.split("\n", 1)[1].replace(
            "Changed by you.", f"Changed by {dora.name}."), (body_of(m), text)
        assert not body_of(m).startswith(f"Hello {dora.name},"), body_of(m)

    # Dora orders and executes an add-on: the welcome reaches her too.
    draft = S.expect(api(dora).post(acct(p.customer, "/orders"),
                                    json={"lines": [{"article": "data-logger", "quantity": 2}]}), 201)
    before = S.outbox_max_id(sql)
    done = S.expect(api(dora).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
    rows = outbox_since(sql, p.customer, before)
    assert sorted((r["template"], r["recipient"].lower()) for r in rows) == sorted(
        [("plan-welcome", a) for a in contacts + [dora.mail.lower()]]), rows
    text = body_of(arrived(mailbox, [r for r in rows
                                     if r["recipient"].lower() == dora.mail.lower()])[0])
    assert text.startswith(f"Hello {dora.name},\n\n"), text
    assert "2 x Data logger license" in text and "\nOrdered by you.\n" in text, text
    assert f"Invoice {done['invoice']['number']} bills " in text, text

    # Carl (billing) cancels and withdraws the cancellation: the mail of
    # each reaches him; Dora, who did nothing this time, gets none.
    for action, template in (("cancel", "subscription-cancelled"),
                             ("uncancel", "subscription-changed")):
        before = S.outbox_max_id(sql)
        S.expect(api(carl).post(f"/api/v1/subscriptions/{sid}/{action}"), 200)
        rows = outbox_since(sql, p.customer, before)
        assert sorted((r["template"], r["recipient"].lower()) for r in rows) == sorted(
            [(template, a) for a in contacts + [carl.mail.lower()]]), (action, rows)
        text = body_of(arrived(mailbox, [r for r in rows
                                         if r["recipient"].lower() == carl.mail.lower()])[0])
        assert text.startswith(f"Hello {carl.name},\n\n"), text
        assert ("\nYou cancelled the " if action == "cancel" else "\nChanged by you.\n") in text, \
            text

    # Who may not act is mailed nothing: Dora may not cancel (403), another
    # tenant does not see the subscription (404).
    stranger = make_tenant("r17stranger").admin
    before = S.outbox_max_id(sql)
    S.expect_problem(api(dora).post(f"/api/v1/subscriptions/{sid}/cancel"), 403, "forbidden")
    S.expect_problem(api(stranger).post(f"/api/v1/subscriptions/{sid}/renew"), 404, "not-found")
    S.expect_problem(api(stranger).post(f"/api/v1/orders/{draft['id']}/execute"), 404)
    assert S.outbox_max_id(sql) == before


def test_who_acts_gets_one_copy_and_staff_from_above_none(api, portal, sql, mailbox, make_person,
                                                          set_roles):
    """D1: a named contact who acts is mailed once, also when their address
    is among the notification recipients too (in another case). Operator
    staff who hold no role in the customer account renew for it: the
    account's people are told, the operator gets no copy (the mail is
    written to the account's people); a partner's admin without a role
    there may not (a partner has no back office)."""
    p = portal
    billing_on_main(api)
    S.expect(api(p.primary).put(acct(p.customer, "/notification-recipients"),
                                json={"emails": [p.primary.mail.upper()]}), 200)
    before = S.outbox_max_id(sql)
    draft = S.expect(api(p.primary).post(acct(p.customer, "/orders"),
                                         json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    sid = S.expect(api(p.primary).post(f"/api/v1/orders/{draft['id']}/execute"),
                   200)["subscription"]["id"]
    rows = outbox_since(sql, p.customer, before, template="plan-welcome")
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [p.primary.mail.lower(), p.tech.mail.lower()]), rows
    before = S.outbox_max_id(sql)
    S.expect(api(p.primary).post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    rows = outbox_since(sql, p.customer, before)
    assert sorted((r["template"], r["recipient"].lower()) for r in rows) == sorted(
        [("subscription-changed", p.primary.mail.lower()),
         ("subscription-changed", p.tech.mail.lower())]), rows
    mine = [r for r in rows if r["recipient"].lower() == p.primary.mail.lower()]
    assert body_of(arrived(mailbox, mine)[0]).startswith(f"Hello {p.primary.name},\n\n")

    # The partner's other admin, no person of the customer account.
    back = make_person(prefix="back")
    set_roles(p.vendor, p.partner.id, back, ["admin"])
    view = S.expect(api(p.primary).get(acct(p.customer, "/members")), 200)["items"]
    assert back.uid not in [m["uid"] for m in view], view
    # A partner has no back office (round-17 walkthrough of seed 001, D1):
    # refused, nothing mailed.
    before = S.outbox_max_id(sql)
    S.expect_problem(api(back).post(f"/api/v1/subscriptions/{sid}/renew"), 403)
    assert outbox_since(sql, p.customer, before) == []
    # Operator staff, who hold no role in the customer account, renew for
    # it: the account's people are told, the operator gets no copy.
    S.expect(api("olivia").post(f"/api/v1/subscriptions/{sid}/renew"), 200)
    rows = outbox_since(sql, p.customer, before)
    assert sorted((r["template"], r["recipient"].lower()) for r in rows) == sorted(
        [("subscription-changed", p.primary.mail.lower()),
         ("subscription-changed", p.tech.mail.lower())]), rows
    for m in arrived(mailbox, rows):
        assert "\nChanged by Olivia Operator " in body_of(m), body_of(m)
