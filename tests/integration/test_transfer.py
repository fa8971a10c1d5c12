"""Staging and hand-over (seed 000, Loftware): a partner stages a customer
account, prepares it (people, properties, recipients), transfers it; when
the customer accepts, the partner's people are service providers, the
recipients and contacts are the customer's, the account is active, both
sides are mailed and the audit trail shows each step. The customer's admins
then see, limit and revoke the providers' access; past its expiry the
access is refused at once, and `accountd maint` removes it from LDAP."""
import os
import subprocess

import ldap3
import pytest

import support as S

ACCOUNTS = "/api/v1/accounts"


def maint(env):
    binary = os.path.join(os.path.dirname(os.environ["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--config", os.environ["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture
def staged(api, make_tenant, make_account, make_person, set_roles):
    """A partner, a staged customer account its admin prepared: a second
    partner person as admin, a member, a property value, recipients."""
    t = make_tenant("loft")
    s = api(t.admin)
    S.expect(s.post(f"{ACCOUNTS}/{t.account.id}/property-definitions",
                    json={"key": "site", "label": "Site", "type": "text"}), 201)
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    assert acc.body["status"] == "staged"
    colleague = make_person(prefix="lc")
    # A colleague is one of the partner's people (its account's member):
    # the hand-over moves the partner's people only (round 5).
    set_roles("olivia", t.account.id, colleague, ["member"])
    set_roles(t.admin, acc.id, colleague, ["admin"])
    worker = make_person(prefix="lw")
    set_roles(t.admin, acc.id, worker, ["member"])
    S.expect(s.patch(f"{ACCOUNTS}/{acc.id}", json={"properties": {"site": "Linz"}}), 200)
    S.expect(s.put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                   json={"emails": [t.admin.mail, "ops@partner.example"]}), 200)
    return t, acc, colleague, worker


def transfer(api, by, account_id, email, status=202):
    r = api(by).post(f"{ACCOUNTS}/{account_id}/transfer",
                     json={"email": email, "first_name": "Cora", "last_name": "Customer"})
    return S.expect(r, status)


def test_staging_and_hand_over_end_to_end(api, sql, ldap_admin, mailbox, invitation_mail, staged, env):
    t, acc, colleague, worker = staged
    customer_mail = S.unique_mail("cust-")
    # Contacts named during staging: the hand-over's audit row keeps them.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": t.admin.uid}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": colleague.uid}), 200)
    # Only the account's admins transfer.
    S.expect_problem(api(worker).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": customer_mail}), 403)
    before = S.outbox_max_id(sql)
    body = transfer(api, t.admin, acc.id, customer_mail)
    assert body["status"] == "invited" and body["role"] == "admin" and body["email"] == customer_mail
    inv = S.invitation_row(sql, body["id"])
    assert (inv["purpose"], inv["role"], inv["status"]) == ("transfer", "admin", "pending")
    row = sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id))
    assert row["invitation_id"] == int(body["id"]) and row["completed_at"] is None
    assert sql.account(acc.id)["status"] == "staged"  # nothing changes before the customer accepts
    # The 202 points to the hand-over's invitation, as an invitation's does
    # (asked again: the same invitation, a new link).
    before = S.outbox_max_id(sql)
    r = api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                          json={"email": customer_mail, "first_name": "Cora", "last_name": "Customer"})
    body = S.expect(r, 202)
    loc = r.headers.get("Location", "")
    assert loc.endswith(f"/api/v1/accounts/{acc.id}/invitations/{body['id']}"), S.describe(r)
    shown = S.expect(api(t.admin).get(loc), 200)
    assert (shown["id"], shown["status"], shown["purpose"]) == (body["id"], "pending", "transfer"), \
        shown
    _, token = invitation_mail(customer_mail, after=before)

    before = S.outbox_max_id(sql)
    r = S.accept_invitation(api, token, uid=S.unique("cust"), password="customer-pw-1")
    accepted = S.expect(r, 200)
    cust_uid = accepted["uid"]
    cust_dn = S.norm_dn(S.person_dn(cust_uid))

    # LDAP: the customer is the only admin; the partner's people are service providers.
    assert S.group_members(ldap_admin, acc.id, "admin") == {cust_dn}
    assert S.group_members(ldap_admin, acc.id, "service-provider") == {S.norm_dn(t.admin.dn), S.norm_dn(colleague.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, worker) == {"member"}
    # SQL: active, recipients and contacts the customer's, access rows, transfer done.
    a = sql.account(acc.id)
    assert a["status"] == "active"
    recips = [r["email"] for r in sql.rows("SELECT email FROM notification_recipients WHERE account_id=%s", int(acc.id))]
    assert recips == [customer_mail]
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc.id))}
    assert contacts == {"primary": cust_uid, "technical": cust_uid}
    access = {r["uid"]: r for r in sql.rows("SELECT * FROM service_provider_access WHERE account_id=%s", int(acc.id))}
    assert set(access) == {t.admin.uid, colleague.uid} and all(r["expires_at"] is None for r in access.values())
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id))["customer_uid"] == cust_uid
    # Audit: each step.
    actions = [r["action"] for r in sql.audit(acc.id)]
    for step in ("transfer.request", "invitation.accept", "transfer.demote", "transfer.recipients",
                 "transfer.contacts", "transfer.complete"):
        assert step in actions, actions
    assert actions.count("transfer.demote") == 2
    rec = [r for r in sql.audit(acc.id) if r["action"] == "transfer.recipients"][0]
    assert set(rec["old_value"]["emails"]) == {t.admin.mail.lower(), "ops@partner.example"} or \
        set(e.lower() for e in rec["old_value"]["emails"]) == {t.admin.mail.lower(), "ops@partner.example"}
    # round2-000 D2: the contacts it replaced, not null.
    con = [r for r in sql.audit(acc.id) if r["action"] == "transfer.contacts"][0]
    assert con["old_value"] == {"primary": t.admin.uid, "technical": colleague.uid}, con
    assert con["new_value"] == {"primary": cust_uid, "technical": cust_uid}, con
    # Mail: the customer and both partner people.
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    by_template = {}
    for r in rows:
        by_template.setdefault(r["template"], set()).add(r["recipient"].lower())
    assert by_template.get("ownership-transferred") == {customer_mail.lower()}
    # The partner's people, and the notification recipient the customer's
    # address replaced (round-6 walkthrough of seed 004: it was dropped
    # without a word).
    assert by_template.get("transfer-completed") == {t.admin.mail.lower(), colleague.mail.lower(),
                                                     "ops@partner.example"}
    mine = mailbox.wait_for(to=customer_mail, predicate=lambda m: "is now yours" in m.subject)
    assert mine
    body = mine[-1].body.replace("\r\n", "\n")
    assert (f"You are now its administrator and its primary and technical contact, and its"
            f" notifications go to {customer_mail}." in body), body
    # In words, not an API path (round-11 leftover of seed 000, D4).
    assert ("You find them in the account's list of service providers, where an administrator can"
            " end any one's access at any time." in body), body
    assert "/api/v1" not in body, body
    theirs = mailbox.wait_for(to=t.admin.mail, predicate=lambda m: "handed over" in m.subject)
    assert theirs and "You keep access as a service provider." in theirs[-1].body, theirs
    # The partner's admin was a recipient too: told both (round 7, seed 000).
    assert "no longer gets the notifications" in theirs[-1].body, theirs[-1].body
    colleague_mail = mailbox.wait_for(to=colleague.mail, predicate=lambda m: "handed over" in m.subject)
    assert colleague_mail and "no longer gets" not in colleague_mail[-1].body, colleague_mail
    ops = mailbox.wait_for(to="ops@partner.example", predicate=lambda m: "handed over" in m.subject)
    assert ops, "the replaced recipient got no mail"
    assert (f"This address no longer gets the notifications of {acc.name}: they go to"
            f" {customer_mail} now." in ops[-1].body), ops[-1].body
    assert "service provider" not in ops[-1].body, ops[-1].body
    # Each greeted by the name the directory has for the address; the bare
    # recipient "Hello," (round-11 leftover of seed 000, D5).
    for got, hello in ((theirs, f"Hello {t.admin.name},"), (colleague_mail, f"Hello {colleague.name},"),
                       (ops, "Hello,")):
        assert got[-1].body.replace("\r\n", "\n").startswith(hello + "\n\n"), got[-1].body
    # The property value and the people prepared are still there.
    cust = S.Person(cust_uid, "customer-pw-1", S.person_dn(cust_uid), "Cora Customer", customer_mail)
    S.PASSWORDS[cust_uid] = "customer-pw-1"
    view = S.expect(api(cust).get(f"{ACCOUNTS}/{acc.id}"), 200)
    assert view["status"] == "active" and view["properties"] == {"site": "Linz"}
    # The customer reads each step in the audit trail, newest first.
    trail = S.expect(api(cust).get(f"{ACCOUNTS}/{acc.id}/audit"), 200)["items"]
    steps = [i["action"] for i in trail if i["action"].startswith("transfer.")]
    assert steps[0] == "transfer.complete" and steps[-1] == "transfer.request", steps
    demoted = {i["new_value"]["uid"] for i in trail if i["action"] == "transfer.demote"}
    assert demoted == {t.admin.uid, colleague.uid}
    # A second transfer: the account is no longer staged.
    S.expect_problem(api(cust).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 409)

    # Service-provider rights (DESIGN.md): configure, manage non-admin
    # people, read; not admins, contacts, ownership, cancel.
    sp = api(t.admin)
    S.expect(sp.patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("it-sp-")}), 200)
    S.expect(sp.put(f"{ACCOUNTS}/{acc.id}/notification-recipients", json={"emails": [customer_mail]}), 200)
    S.expect(sp.put(f"{ACCOUNTS}/{acc.id}/members/{worker.uid}", json={"roles": ["member"]}), 200)
    S.expect_problem(sp.put(f"{ACCOUNTS}/{acc.id}/members/{worker.uid}", json={"roles": ["billing"]}), 403)
    S.expect_problem(sp.put(f"{ACCOUNTS}/{acc.id}/members/{worker.uid}", json={"roles": ["admin"]}), 403)
    S.expect_problem(sp.put(f"{ACCOUNTS}/{acc.id}/members/{cust_uid}", json={"roles": ["member"]}), 403)
    S.expect_problem(sp.put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": t.admin.uid}), 403)
    S.expect_problem(sp.delete(f"{ACCOUNTS}/{acc.id}"), 403)
    # Not staged any more: the 409, to a service provider too (round-24
    # walkthrough of seed 000, D3).
    S.expect_problem(sp.post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 409)
    S.expect_problem(sp.get(f"{ACCOUNTS}/{acc.id}/service-providers"), 403)
    S.expect_problem(sp.post(f"{ACCOUNTS}/{acc.id}/invitations", json={"email": S.unique_mail(), "role": "admin"}), 403)

    # The customer's admin sees the providers, sets and extends an expiry.
    c = api(cust)
    items = S.expect(c.get(f"{ACCOUNTS}/{acc.id}/service-providers"), 200)["items"]
    assert {i["uid"] for i in items} == {t.admin.uid, colleague.uid}
    assert all(i["expires_at"] is None and i["expired"] is False for i in items)
    one = S.expect(c.get(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}"), 200)
    assert one["mail"].lower() == t.admin.mail.lower()
    S.expect_problem(c.get(f"{ACCOUNTS}/{acc.id}/service-providers/{worker.uid}"), 404)
    S.expect_field_errors(c.patch(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}",
                                  json={"expires_at": "2001-01-01T00:00:00Z"}), "expires_at")
    S.expect_field_errors(c.patch(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}",
                                  json={"expires_at": "tomorrow"}), "expires_at")
    told = S.outbox_max_id(sql)
    one = S.expect(c.patch(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}",
                           json={"expires_at": "2030-01-01T00:00:00Z"}), 200)
    assert one["expires_at"] == "2030-01-01T00:00:00Z" and one["expired"] is False
    # The provider is told when their access ends (round-13 walkthrough of
    # seed 000, N3), greeted by name; nobody else is.
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=told)
            if r["template"] == "provider-access-changed"]
    assert [r["recipient"].lower() for r in rows] == [t.admin.mail.lower()], rows
    assert rows[0]["subject"].endswith("your service-provider access ends on 2030-01-01T00:00:00Z")
    # Round-16 walkthrough of seed 000, D4: one plain sentence.
    assert "set the end of your service-provider access to " in rows[0]["body"], rows[0]["body"]
    assert ": it ends on 2030-01-01T00:00:00Z." in rows[0]["body"], rows[0]["body"]
    assert rows[0]["body"].startswith(f"Hello {t.admin.name},"), rows[0]["body"]
    one = S.expect(c.patch(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}",
                           json={"expires_at": "2031-06-30T12:00:00Z"}), 200)
    assert one["expires_at"] == "2031-06-30T12:00:00Z"
    # round2-000 D3: the audit rows in RFC 3339, old and new alike.
    exp = [r for r in sql.audit(acc.id) if r["action"] == "service_provider.expiry"]
    assert [(r["old_value"]["expires_at"], r["new_value"]["expires_at"]) for r in exp] == [
        (None, "2030-01-01T00:00:00Z"), ("2030-01-01T00:00:00Z", "2031-06-30T12:00:00Z")], exp
    trail = S.expect(c.get(f"{ACCOUNTS}/{acc.id}/audit"), 200)["items"]
    assert [i["new_value"]["expires_at"] for i in trail if i["action"] == "service_provider.expiry"][0] \
        == "2031-06-30T12:00:00Z"
    S.expect(sp.get(f"{ACCOUNTS}/{acc.id}"), 200)  # still in time
    mine = {a["id"]: a["roles"] for a in S.expect(sp.get("/api/v1/me"), 200)["accounts"]}
    assert mine.get(acc.id) == ["service-provider"], mine

    # Past expires_at: refused at once (the partner admin still sees the
    # row from the partner, so 403), before any job ran.
    sql.rows("UPDATE service_provider_access SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND"
             " WHERE account_id=%s AND uid=%s", int(acc.id), t.admin.uid)
    S.expect_problem(sp.get(f"{ACCOUNTS}/{acc.id}"), 403)
    S.expect_problem(sp.patch(f"{ACCOUNTS}/{acc.id}", json={"name": "x"}), 403)
    # /me lists no expired role (nor the account it was the only role in),
    # while LDAP still holds it; the colleague's valid access is listed.
    assert S.norm_dn(t.admin.dn) in S.group_members(ldap_admin, acc.id, "service-provider")
    mine = {a["id"]: a["roles"] for a in S.expect(sp.get("/api/v1/me"), 200)["accounts"]}
    assert acc.id not in mine and mine.get(t.account.id) == ["admin"], mine
    theirs = {a["id"]: a["roles"] for a in S.expect(api(colleague).get("/api/v1/me"), 200)["accounts"]}
    assert theirs.get(acc.id) == ["service-provider"], theirs
    assert t.admin.uid in [i["uid"] for i in S.expect(c.get(f"{ACCOUNTS}/{acc.id}/service-providers"), 200)["items"]
                           if i["expired"]]
    out = maint(env)
    assert f"removed the expired service-provider access of {t.admin.uid} to account {acc.id}" in out, out
    assert S.norm_dn(t.admin.dn) not in S.group_members(ldap_admin, acc.id, "service-provider")
    assert sql.row("SELECT * FROM service_provider_access WHERE account_id=%s AND uid=%s", int(acc.id), t.admin.uid) is None
    exp = [r for r in sql.audit(acc.id) if r["action"] == "service_provider.expire"]
    assert exp and exp[-1]["uid"] == "accountd-maint" and exp[-1]["old_value"]["uid"] == t.admin.uid

    # Revoking the other provider: LDAP group and row gone, audited; they
    # see nothing of the account any more (not a partner admin: 404).
    told = S.outbox_max_id(sql)
    S.expect(c.delete(f"{ACCOUNTS}/{acc.id}/service-providers/{colleague.uid}"), 204)
    assert S.roles_in_ldap(ldap_admin, acc.id, colleague) == set()
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=told)
            if r["template"] == "provider-access-changed"]
    assert [r["recipient"].lower() for r in rows] == [colleague.mail.lower()], rows
    # Round-16 walkthrough of seed 000, D4: no "changed …: it was ended: …".
    assert rows[0]["subject"].endswith("your service-provider access was ended"), rows[0]["subject"]
    assert " ended your service-provider access to " in rows[0]["body"], rows[0]["body"]
    assert ": you no longer have access." in rows[0]["body"], rows[0]["body"]
    assert "changed your service-provider access" not in rows[0]["body"], rows[0]["body"]
    assert sql.row("SELECT * FROM service_provider_access WHERE account_id=%s AND uid=%s", int(acc.id), colleague.uid) is None
    assert "service_provider.revoke" in [r["action"] for r in sql.audit(acc.id)]
    S.expect_problem(api(colleague).get(f"{ACCOUNTS}/{acc.id}"), 404)
    S.expect_problem(c.delete(f"{ACCOUNTS}/{acc.id}/service-providers/{colleague.uid}"), 404)


def test_transfer_refusals(api, make_tenant, make_account, anon, staged):
    t, acc, colleague, worker = staged
    active = make_account(t.admin, "customer", t.account.id)
    S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{active.id}/transfer", json={"email": S.unique_mail()}),
                     409, "conflict")
    S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": "nope"}), "email")
    S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                            json={"email": S.unique_mail(), "role": "admin"}), "role")
    other = make_tenant("lother")
    S.expect_problem(api(other.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 404)
    S.expect_problem(anon.post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 401)
    S.expect_problem(api(other.admin).get(f"{ACCOUNTS}/{acc.id}/service-providers"), 404)
    S.expect_problem(anon.get(f"{ACCOUNTS}/{acc.id}/service-providers"), 401)


def test_transfer_to_a_known_person_needs_their_consent(api, sql, ldap_admin, make_person, invitation_mail, staged):
    """A customer LDAP knows is not added at once: they get the invitation
    and the hand-over happens when they accept."""
    t, acc, colleague, worker = staged
    known = make_person(prefix="lk")
    before = S.outbox_max_id(sql)
    body = transfer(api, t.admin, acc.id, known.mail)
    assert body["status"] == "invited"
    assert S.roles_in_ldap(ldap_admin, acc.id, known) == set()
    _, token = invitation_mail(known.mail, after=before)
    accepted = S.expect(S.accept_invitation(api, token), 200)
    assert accepted["uid"] == known.uid and accepted["created"] is False
    assert S.roles_in_ldap(ldap_admin, acc.id, known) == {"admin"}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    assert sql.account(acc.id)["status"] == "active"


def test_a_new_transfer_revokes_the_pending_one(api, sql, ldap_admin, invitation_mail, staged):
    """story-000 D1: a transfer to a corrected address kills the first link
    (410 invitation-revoked, in the transfer's transaction), so the wrong
    address cannot take the account; the transfer record names the
    invitation that completes it, and only the second is listed."""
    t, acc, colleague, worker = staged
    typo, right = S.unique_mail("typo-"), S.unique_mail("right-")
    before = S.outbox_max_id(sql)
    first = transfer(api, t.admin, acc.id, typo)
    _, typo_token = invitation_mail(typo, after=before)
    before = S.outbox_max_id(sql)
    second = transfer(api, t.admin, acc.id, right)
    assert second["id"] != first["id"]
    _, right_token = invitation_mail(right, after=before)
    assert S.invitation_row(sql, first["id"])["status"] == "revoked"
    assert S.invitation_row(sql, second["id"])["status"] == "pending"
    row = sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id))
    assert row["invitation_id"] == int(second["id"]) and row["email"] == right
    listed = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/invitations"), 200)["items"]
    assert [i["id"] for i in listed if i["role"] == "admin"] == [second["id"]]
    revokes = [r for r in sql.audit(acc.id) if r["action"] == "invitation.revoke"]
    assert [r["new_value"]["invitation_id"] for r in revokes] == [int(first["id"])]

    # The first link is dead: nothing is created, the account stays staged.
    S.expect_problem(S.accept_invitation(api, typo_token, uid=S.unique("typo"), password="typo-pw-123"),
                     410, "invitation-revoked")
    assert S.people_with_mail(ldap_admin, typo) == set()
    assert sql.account(acc.id)["status"] == "staged"
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"admin"}

    # The right person takes it, and the record says by which invitation.
    accepted = S.expect(S.accept_invitation(api, right_token, uid=S.unique("right"), password="right-pw-123"), 200)
    assert sql.account(acc.id)["status"] == "active"
    row = sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id))
    assert row["invitation_id"] == int(second["id"]) and row["customer_uid"] == accepted["uid"]
    assert S.invitation_row(sql, second["id"])["accepted_uid"] == accepted["uid"]


def test_a_transfer_to_the_same_address_renews_its_link(api, sql, invitation_mail, staged):
    t, acc, colleague, worker = staged
    mail = S.unique_mail("again-")
    before = S.outbox_max_id(sql)
    first = transfer(api, t.admin, acc.id, mail)
    _, old_token = invitation_mail(mail, after=before)
    before = S.outbox_max_id(sql)
    second = transfer(api, t.admin, acc.id, mail.upper())
    assert second["id"] == first["id"]
    _, new_token = invitation_mail(mail, after=before)
    assert new_token != old_token
    S.expect_problem(S.accept_invitation(api, old_token, password="again-pw-123"), 410,
                     "invitation-replaced")
    S.expect(S.accept_invitation(api, new_token, password="again-pw-123"), 200)
    assert sql.account(acc.id)["status"] == "active"


def test_a_transfer_address_is_checked_as_an_invitation_address(api, sql, staged):
    """story-000 D2: a non-ASCII address is 422 at transfer time (as for
    POST …/invitations), not a 500 at accept; nothing is written."""
    t, acc, colleague, worker = staged
    before = S.outbox_max_id(sql)
    for bad in ("s000-ünï@example.net", "jürgen@example.net"):
        errors = S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                                         json={"email": bad}), "email")
        assert "ASCII" in errors["email"], errors
        invite = S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                                         json={"email": bad, "role": "admin"}), "email")
        assert invite["email"] == errors["email"]
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id)) is None
    assert S.outbox_max_id(sql) == before


def test_a_staged_account_takes_no_contact(api, sql, ldap_admin, make_tenant, make_person, set_roles):
    """story-000 D9: staged means the customer has no access yet, so a
    `contact` (who would become admin at once) is 422 with `staged: true`,
    and nothing is created, invited or mailed; the customer comes with
    POST …/transfer. Without `staged` a contact is still invited."""
    t = make_tenant("lcon")
    name = S.unique("it-staged-contact-")
    mail = S.unique_mail("cora-")
    known = make_person(prefix="lck")
    set_roles(t.admin, t.account.id, known, ["member"])
    before, accounts = S.outbox_max_id(sql), sql.count_accounts()
    for email in (mail, known.mail):
        body = {"kind": "customer", "name": name, "parent_id": t.account.id, "staged": True,
                "company": {"name": name, "street": "Ringstrasse 1", "postcode": "1010", "city": "Wien",
                            "country": "AT"}, "contact": {"email": email}}
        errors = S.expect_field_errors(api(t.admin).post(ACCOUNTS, json=body), "contact")
        assert "transfer" in errors["contact"], errors
    assert sql.count_accounts() == accounts and sql.count_accounts(name=name) == 0
    assert S.outbox_max_id(sql) == before
    assert sql.rows("SELECT id FROM invitations WHERE email=%s", mail) == []
    # staged: false with a contact is as before.
    body = {"kind": "customer", "name": name, "parent_id": t.account.id, "staged": False,
            "company": {"name": name, "street": "Ringstrasse 1", "postcode": "1010", "city": "Wien",
                            "country": "AT"}, "contact": {"email": mail}}
    created = S.expect(api(t.admin).post(ACCOUNTS, json=body), 201)
    assert created["status"] == "active" and created["contact"]["status"] == "invited"


def test_a_staged_creates_own_address_as_contact_is_told_what_works(
        api, sql, make_tenant, make_person, set_roles):
    """Round-21 walkthrough of seed 000, D1: the seed's step 1 ("provide
    your own email address") as `contact` of a staged create was 422 with
    a detail pointing to the hand-over only. Decision: still 422, nothing
    created; the detail for the caller's own address (any case) says to
    create it without contact and name oneself contact afterwards (PUT
    …/contacts/primary and …/technical), which works, and that the
    hand-over moves the contacts; for another address it names both the
    hand-over and naming oneself contact."""
    t = make_tenant("lown")
    name = S.unique("it-staged-own-")
    body = {"kind": "customer", "name": name, "parent_id": t.account.id, "staged": True,
            "company": {"name": name, "street": "Ringstrasse 1", "postcode": "1010",
                        "city": "Wien", "country": "AT"}}
    other = make_tenant("lownx")
    before, accounts = S.outbox_max_id(sql), sql.count_accounts()
    for email in (t.admin.mail, t.admin.mail.upper()):
        errors = S.expect_field_errors(api(t.admin).post(
            ACCOUNTS, json={**body, "contact": {"email": email}}), "contact")
        # Round-25 walkthrough of seed 000, D3: the paths with /api/v1,
        # as every other detail of the hand-over names them.
        assert errors["contact"] == (
            "cannot be given for a staged account: to be its contact while you stage it,"
            " create it without contact and name yourself after creating it"
            " (PUT /api/v1/accounts/{id}/contacts/primary and .../contacts/technical, {id} being"
            " the new account's id); the hand-over (POST /api/v1/accounts/{id}/transfer) later"
            " moves the contacts to the customer"), errors
    errors = S.expect_field_errors(api(t.admin).post(
        ACCOUNTS, json={**body, "contact": {"email": S.unique_mail("cust-")}}), "contact")
    assert errors["contact"] == (
        "cannot be given for a staged account: give the customer's address when you hand it over,"
        " which invites the customer as admin (POST /api/v1/accounts/{id}/transfer, {id} being the"
        " new account's id); to be its contact while you stage it, name yourself after creating it"
        " (PUT /api/v1/accounts/{id}/contacts/primary)"), errors
    # Another tenant's admin cannot create under the partner at all.
    S.expect_problem(api(other.admin).post(
        ACCOUNTS, json={**body, "contact": {"email": other.admin.mail}}), 404)
    assert sql.count_accounts() == accounts and sql.count_accounts(name=name) == 0
    assert S.outbox_max_id(sql) == before
    # What the detail says works.
    acc = S.expect(api(t.admin).post(ACCOUNTS, json=body), 201)
    assert acc["status"] == "staged", acc
    for kind in ("primary", "technical"):
        S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc['id']}/contacts/{kind}",
                                  json={"uid": t.admin.uid}), 200)
    got = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc['id']}"), 200)
    assert got["contacts"]["primary"]["uid"] == t.admin.uid, got["contacts"]
    assert got["contacts"]["technical"]["uid"] == t.admin.uid, got["contacts"]


def providers(api, by, account_id):
    items = S.expect(api(by).get(f"{ACCOUNTS}/{account_id}/service-providers"), 200)["items"]
    return {i["uid"]: i for i in items}


def test_grants_record_who_and_when(api, sql, make_tenant, make_person, set_roles, invitation_mail):
    """story-003 D6 / story-000 D4c: access granted with PUT …/members or an
    accepted invitation lists granted_by and granted_at; a later grant
    starts afresh (no dates left from an earlier one)."""
    t = make_tenant("spg")
    acc = t.account.id
    w = make_person(prefix="spgw")
    set_roles(t.admin, acc, w, ["member"])
    set_roles(t.admin, acc, w, ["service-provider"])
    got = providers(api, t.admin, acc)[w.uid]
    assert got["granted_by"] == t.admin.uid and got["granted_at"] and got["expires_at"] is None
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc}/service-providers/{w.uid}",
                                json={"expires_at": "2031-01-01T00:00:00Z"}), 200)
    # Removed as a member: the access row goes with the role.
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc}/members/{w.uid}"), 204)
    assert sql.row("SELECT * FROM service_provider_access WHERE account_id=%s AND uid=%s", int(acc), w.uid) is None
    # By invitation (accepted): granted by the inviter, no old expiry.
    email = S.unique_mail("spg-")
    before = sql.row("SELECT COALESCE(MAX(id), 0) AS m FROM mail_outbox")["m"]
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc}/invitations",
                               json={"email": email, "role": "service-provider"}), 202)
    _, token = invitation_mail(email, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("spgn"), password="provider-pw-1"), 200)["uid"]
    got = providers(api, t.admin, acc)[uid]
    assert got["granted_by"] == t.admin.uid and got["granted_at"] and got["expires_at"] is None
    # A role change that keeps service-provider keeps the grant.
    set_roles(t.admin, acc, w, ["member"])
    set_roles(t.admin, acc, w, ["service-provider"])
    first = providers(api, t.admin, acc)[w.uid]
    assert first["expires_at"] is None and first["granted_by"] == t.admin.uid
    set_roles(t.admin, acc, w, ["service-provider", "billing"])
    assert providers(api, t.admin, acc)[w.uid]["granted_at"] == first["granted_at"]


def test_provider_cannot_escape_the_customers_limits(api, sql, ldap_admin, make_tenant, make_person,
                                                     set_roles):
    """story-000 D3: a service provider cannot change their own roles (by
    PUT or by inviting their own address), and access they grant a
    colleague ends when theirs does."""
    t = make_tenant("spx")
    acc = t.account.id
    sp, colleague = make_person(prefix="spxs"), make_person(prefix="spxc")
    set_roles(t.admin, acc, sp, ["service-provider"])
    set_roles(t.admin, acc, colleague, ["member"])
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc}/service-providers/{sp.uid}",
                                json={"expires_at": "2030-01-01T00:00:00Z"}), 200)
    s = api(sp)
    r = s.put(f"{ACCOUNTS}/{acc}/members/{sp.uid}", json={"roles": ["service-provider", "member", "billing"]})
    S.expect_problem(r, 403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc, sp) == {"service-provider"}
    S.expect_problem(s.put(f"{ACCOUNTS}/{acc}/members/{sp.uid}", json={"roles": ["member"]}), 403)
    S.expect_problem(s.post(f"{ACCOUNTS}/{acc}/invitations", json={"email": sp.mail, "role": "billing"}), 403)
    assert S.roles_in_ldap(ldap_admin, acc, sp) == {"service-provider"}
    # Other non-admin people: as before.
    S.expect(s.put(f"{ACCOUNTS}/{acc}/members/{colleague.uid}", json={"roles": ["member"]}), 200)
    S.expect_problem(s.put(f"{ACCOUNTS}/{acc}/members/{colleague.uid}", json={"roles": ["billing"]}), 403)
    # A colleague made service provider by a provider: no longer than them.
    S.expect(s.put(f"{ACCOUNTS}/{acc}/members/{colleague.uid}", json={"roles": ["service-provider"]}), 200)
    got = providers(api, t.admin, acc)[colleague.uid]
    assert got["granted_by"] == sp.uid and got["expires_at"] == "2030-01-01T00:00:00Z"
    # The admin may still change the provider's roles.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc}/members/{sp.uid}",
                              json={"roles": ["service-provider", "member"]}), 200)


def _invite_customer_as_admin(api, invitation_mail, sql, by, account_id):
    """Seed 000 step 3a-3d, literally: invite the customer as admin; they
    accept with a new uid and password. Returns the customer as S.Person."""
    email = S.unique_mail("lit-")
    before = S.outbox_max_id(sql)
    S.expect(api(by).post(f"{ACCOUNTS}/{account_id}/invitations", json={"email": email, "role": "admin"}), 202)
    _, token = invitation_mail(email, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("lit"), password="literal-pw-1"), 200)["uid"]
    S.PASSWORDS[uid] = "literal-pw-1"
    return S.Person(uid, "literal-pw-1", S.person_dn(uid), None, email)


def test_the_seeds_literal_hand_over_by_changing_your_own_role(api, sql, ldap_admin, make_tenant,
                                                              make_account, invitation_mail):
    """round2-000 D5: the seed's own steps: order a staged account, invite
    the customer as admin, then change your own access role from
    Administration to Service Provider. That role change is the hand-over:
    the account becomes active and, having no named contacts, gets the
    customer as both."""
    t = make_tenant("lit")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    assert acc.body["status"] == "staged"
    cust = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    assert sql.account(acc.id)["status"] == "staged"  # an admin invitation alone hands nothing over
    version = sql.account(acc.id)["version"]
    before = S.outbox_max_id(sql)

    r = api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]})
    assert S.expect(r, 200)["roles"] == ["service-provider"]
    # The customer is told they are both contacts now, as a contact PUT or
    # an accept tells them (round-12 walkthrough of seed 000, O3: the
    # hand-over named them without a word), greeted by name; since round
    # 23 (D2) in account-handed-over, the hand-over first.
    told = _owner_mail(sql, acc.id, before, cust.mail)
    assert "You are now its primary and technical contact" in told["body"], told["body"]
    assert t.admin.name in told["body"], told["body"]
    assert told["body"].startswith("Hello ") and not told["body"].startswith("Hello,"), told["body"]
    # Nobody else was a contact or a recipient: no contact-changed at all.
    assert _mails(sql, acc.id, before, template="contact-changed") == []

    # LDAP: the customer is the admin, the provider a service provider.
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(cust.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    # SQL: active, contacts the customer's, the provider's access row.
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["version"] > version
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc.id))}
    assert contacts == {"primary": cust.uid, "technical": cust.uid}
    access = sql.row("SELECT * FROM service_provider_access WHERE account_id=%s AND uid=%s", int(acc.id), t.admin.uid)
    assert access is not None and access["expires_at"] is None
    # Audit: the role change, the contacts (none before), the completion.
    trail = sql.audit(acc.id)
    actions = [r["action"] for r in trail]
    i = actions.index("member.set_roles", actions.index("invitation.accept"))
    assert actions[i:] == ["member.set_roles", "transfer.contacts", "transfer.complete"], actions
    role, con, done = trail[i:]
    assert role["uid"] == t.admin.uid and role["old_value"] == {"uid": t.admin.uid, "roles": ["admin"]}
    assert role["new_value"] == {"uid": t.admin.uid, "roles": ["service-provider"]}
    assert con["uid"] == t.admin.uid and con["old_value"] == {"primary": None, "technical": None}
    assert con["new_value"] == {"primary": cust.uid, "technical": cust.uid}
    assert done["old_value"] == {"status": "staged"}
    assert done["new_value"] == {"status": "active", "via": "role-change", "owner": cust.uid}
    # Through the API: the customer sees an active account with their contacts.
    view = S.expect(api(cust).get(f"{ACCOUNTS}/{acc.id}"), 200)
    assert view["status"] == "active"
    assert view["contacts"]["primary"]["uid"] == cust.uid and view["contacts"]["technical"]["uid"] == cust.uid
    # The provider is a service provider now: no admin rights, no transfer
    # (not staged: 409, round-24 walkthrough of seed 000, D3).
    S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 409)
    S.expect_problem(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["admin"]}), 403)
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("lit-sp-")}), 200)
    # The customer sees them among the providers.
    assert t.admin.uid in providers(api, cust, acc.id)


def test_the_hand_over_by_role_change_tells_the_pending_transfers_invitee(
        api, sql, mailbox, make_tenant, make_account, invitation_mail):
    """Round-12 walkthrough of seed 000, D5: the partner's own role change
    handed the account to the customer admin it had added, and revoked the
    pending POST /transfer to another person silently: the link said only
    "this invitation was revoked", and the invitee got no mail. Now the
    link says why, as a closed account's do, and the invitee is mailed
    invitation-withdrawn (greeted by the names given with the transfer,
    naming who handed the account over). A transfer link that an earlier
    transfer to another address had replaced says nothing more, and its
    invitee gets no such mail."""
    t = make_tenant("hov")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    typo, erik = S.unique_mail("hovt-"), S.unique_mail("hove-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, typo)
    _, typo_token = invitation_mail(typo, after=before)
    before = S.outbox_max_id(sql)
    pending = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={
        "email": erik, "first_name": "Erik", "last_name": "Erbe"}), 202)
    _, erik_token = invitation_mail(erik, after=before)
    ivan = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    before = S.outbox_max_id(sql)
    r = api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                         json={"roles": ["service-provider"]})
    assert S.expect(r, 200)["roles"] == ["service-provider"]
    assert sql.account(acc.id)["status"] == "active"
    assert S.invitation_row(sql, pending["id"])["status"] == "revoked"

    # The link says why (JSON and the HTML form's error_to alike).
    body = S.expect_problem(S.accept_invitation(api, erik_token, uid=S.unique("hove"),
                                                password="erik-pw-12345"),
                            410, "invitation-revoked")
    assert body["detail"] == ("this invitation was revoked: the account was handed over to its "
                              "customer by a role change"), body
    r = api(None).form("POST", f"/api/v1/invitations/{erik_token}/accept", [
        ("password", "erik-pw-12345"), ("error_to", S.ORIGIN + "/invite")])
    assert r.status_code == 303 and "error=invitation-revoked" in r.headers["Location"], \
        S.describe(r)
    assert sql.account(acc.id)["status"] == "active"
    # The link the second transfer replaced says only that it was revoked.
    body = S.expect_problem(S.accept_invitation(api, typo_token, uid=S.unique("hovt"),
                                                password="typo-pw-12345"),
                            410, "invitation-revoked")
    assert body["detail"] == "this invitation was revoked", body

    # Mailed: erik once, nobody else but what the hand-over always sends.
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    withdrawn = [x for x in rows if x["template"] == "invitation-withdrawn"]
    assert [x["recipient"].lower() for x in withdrawn] == [erik.lower()], rows
    assert withdrawn[0]["status"] == "sent", withdrawn
    mails = mailbox.wait_for(outbox_id=withdrawn[0]["id"], timeout=15)
    assert len(mails) == 1, withdrawn
    text = mails[0].body.replace("\r\n", "\n")
    assert mails[0].subject == f"{acc.name}: the invitation to you was withdrawn", mails[0].subject
    assert text.startswith("Hello Erik Erbe,\n"), text
    assert (f"{t.admin.name} withdrew the invitation to {acc.name} that was sent to {erik}: the "
            "account was handed over to its customer by a role change.\nIts link no longer "
            "works") in text, text
    assert "/invitations/" not in text, text
    # The audit trail keeps its reason.
    revokes = [a for a in sql.audit(acc.id) if a["action"] == "invitation.revoke"
               and a["new_value"]["invitation_id"] == int(pending["id"])]
    assert [a["new_value"]["reason"] for a in revokes] == [
        "the account was handed over by a role change"], revokes
    assert ivan.uid in {c["uid"] for c in sql.rows(
        "SELECT uid FROM account_contacts WHERE account_id=%s", int(acc.id))}


def test_what_is_no_hand_over_by_role_change(api, sql, ldap_admin, make_tenant, make_account, make_person,
                                            set_roles, invitation_mail):
    """The self-demotion hands over only on a staged account, only the
    caller's own role change to another role, only while another admin
    remains; named contacts stay; a pending POST …/transfer is revoked."""
    t = make_tenant("litn")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    members = f"{ACCOUNTS}/{acc.id}/members"
    # The last admin cannot demote themselves: 409, still staged.
    S.expect_problem(api(t.admin).put(f"{members}/{t.admin.uid}", json={"roles": ["service-provider"]}),
                     409, "last-admin")
    # An admin changing another admin's role: no hand-over.
    other = make_person(prefix="litno")
    set_roles(t.admin, acc.id, other, ["admin"])
    set_roles(t.admin, acc.id, other, ["member"])
    assert sql.account(acc.id)["status"] == "staged"
    # Leaving (no roles) is no hand-over either.
    set_roles(t.admin, acc.id, other, ["admin"])
    S.expect(api(other).put(f"{members}/{other.uid}", json={"roles": []}), 200)
    assert sql.account(acc.id)["status"] == "staged"
    # (A provider who is a named contact no longer gets 409 contact-admin
    # when one customer admin remains: the hand-over moves the contacts,
    # round-16 walkthrough of seed 000, D2; test_r16_a_partner_contact_….)
    cust = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": cust.uid}), 200)
    # A pending transfer to someone else is overtaken: its link is revoked.
    pending = transfer(api, t.admin, acc.id, S.unique_mail("litt-"))
    S.expect(api(t.admin).put(f"{members}/{t.admin.uid}", json={"roles": ["service-provider", "member"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.invitation_row(sql, pending["id"])["status"] == "revoked"
    revoke = [r for r in sql.audit(acc.id) if r["action"] == "invitation.revoke"]
    assert revoke and revoke[-1]["new_value"]["invitation_id"] == int(pending["id"])
    # The technical contact named stays; the empty primary is not filled
    # (only an account without contacts gets them), no transfer.contacts row.
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc.id))}
    assert contacts == {"technical": cust.uid}
    actions = [r["action"] for r in sql.audit(acc.id)]
    assert "transfer.contacts" not in actions and actions[-1] == "transfer.complete"
    # On an active account a self-demotion is a plain role change.
    set_roles(cust, acc.id, other, ["admin"])
    S.expect(api(other).put(f"{members}/{other.uid}", json={"roles": ["member"]}), 200)
    assert [r["action"] for r in sql.audit(acc.id)].count("transfer.complete") == 1


def test_hand_over_by_role_change_with_several_admins_left(api, sql, make_tenant, make_account, make_person,
                                                          set_roles, invitation_mail):
    """Two admins remain after the self-demotion: the account is active, but
    accountd does not guess which of them is the contact."""
    t = make_tenant("lits")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    colleague = make_person(prefix="litsc")
    set_roles(t.admin, acc.id, colleague, ["admin"])
    _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert sql.rows("SELECT * FROM account_contacts WHERE account_id=%s", int(acc.id)) == []
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"] == {"status": "active", "via": "role-change", "owner": None}


# ---------------------------------------------------------------- round 3, seed 000

def _staged_with_back_office(api, make_tenant, make_account, make_person, set_roles, prefix):
    """A distributor with two admins: `t.admin`, who stages a customer
    account (and is so its admin), and `office`, a distributor admin with
    no role in it (the back office, a distributor's only: round-17
    walkthrough of seed 001, D1). The staged account is on starter
    (ordered and executed by the back office while staged) and has a draft
    left."""
    t = make_tenant(prefix, kind="distributor")
    office = make_person(prefix=prefix + "o")
    set_roles("olivia", t.account.id, office, ["admin"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    lines = {"lines": [{"article": "starter", "quantity": 1}]}
    draft = S.expect(api(office).post(f"{ACCOUNTS}/{acc.id}/orders", json=lines), 201)
    sid = S.expect(api(office).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
    left = S.expect(api(office).post(f"{ACCOUNTS}/{acc.id}/orders",
                                     json={"lines": [{"article": "api-seats", "quantity": 2}]}), 201)
    return t, office, acc, sid, left["id"]


def _commercial_calls(acc_id, sid, oid):
    """The changing billing calls (method, path, body) of one account."""
    return [
        ("POST", f"{ACCOUNTS}/{acc_id}/orders", {"lines": [{"article": "api-seats", "quantity": 3}]}),
        ("POST", f"/api/v1/orders/{oid}/execute", None),
        ("POST", f"/api/v1/orders/{oid}/discard", None),
        ("POST", f"/api/v1/subscriptions/{sid}/cancel", None),
        ("POST", f"/api/v1/subscriptions/{sid}/uncancel", None),
        ("POST", f"/api/v1/subscriptions/{sid}/upgrade", {"plan": "professional"}),
        ("POST", f"{ACCOUNTS}/{acc_id}/quotes", {"lines": [{"article": "api-seats", "quantity": 1}]}),
    ]


def _billing_reads(acc_id, sid, oid):
    return [f"{ACCOUNTS}/{acc_id}/orders", f"/api/v1/orders/{oid}", f"{ACCOUNTS}/{acc_id}/subscriptions",
            f"/api/v1/subscriptions/{sid}", f"{ACCOUNTS}/{acc_id}/invoices", f"{ACCOUNTS}/{acc_id}/licenses",
            f"{ACCOUNTS}/{acc_id}/quotes"]


def _billing_state(sql, acc_id):
    """What the refused calls must leave as it was."""
    return (sql.rows("SELECT id, status FROM orders WHERE account_id=%s ORDER BY id", int(acc_id)),
            sql.rows("SELECT id, status, plan FROM subscriptions WHERE account_id=%s ORDER BY id", int(acc_id)),
            sql.value("SELECT COUNT(*) FROM invoices WHERE account_id=%s", int(acc_id)),
            sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(acc_id)))


def _refused_everything_commercial(api, sql, who, acc_id, sid, oid, detail=None):
    """detail: the 403's detail, or a function of (method, path) giving it."""
    before = _billing_state(sql, acc_id)
    for method, path, body in _commercial_calls(acc_id, sid, oid):
        problem = S.expect_problem(api(who).request(method, path, json=body), 403)
        if detail:
            want = detail(method, path) if callable(detail) else detail
            assert problem["detail"] == want, (method, path, problem)
    assert _billing_state(sql, acc_id) == before


def test_the_parents_back_office_ends_with_the_hand_over(api, sql, make_tenant, make_account, make_person,
                                                       set_roles, invitation_mail):
    """Round-3 walkthrough of seed 000, D1: after the customer accepted the
    transfer, the parent's people act in the account only by the roles
    they hold in it. The provider (service-provider) reads billing but
    orders, executes, discards, cancels, uncancels, upgrades and asks for
    quotes no more; a parent admin without a role in it does nothing
    there (403: they still see the row); after the customer revoked the
    provider, nothing either. The customer's admin still does all of it.
    The parent is a distributor, whose back office the hand-over ends (a
    partner has none: round-17 walkthrough of seed 001, D1)."""
    t, office, acc, sid, oid = _staged_with_back_office(api, make_tenant, make_account, make_person,
                                                        set_roles, "bo")
    assert sql.account(acc.id)["handed_over_at"] is None
    mail = S.unique_mail("bo-cust-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, mail)
    _, token = invitation_mail(mail, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("bocust"), password="bo-cust-pw-1"), 200)["uid"]
    S.PASSWORDS[uid] = "bo-cust-pw-1"
    cust = S.Person(uid, "bo-cust-pw-1", S.person_dn(uid), None, mail)

    # The provider: billing read, nothing commercial changed.
    for path in _billing_reads(acc.id, sid, oid):
        S.expect(api(t.admin).get(path), 200)
    # The router's 403 names the roles each route needs (round-17
    # walkthrough of seed 004, D6): orders also a member (add-ons).
    _refused_everything_commercial(
        api, sql, t.admin, acc.id, sid, oid,
        lambda method, path: "your role in this account does not allow this: it needs "
        + ("admin, billing or member" if "/orders" in path else "admin or billing")
        + "; ask an administrator of the account")
    # The distributor's admin who holds no role there: not their account now.
    _refused_everything_commercial(api, sql, office, acc.id, sid, oid, "you are not a member of this account")
    for path in (f"{ACCOUNTS}/{acc.id}/invoices", f"/api/v1/subscriptions/{sid}", f"/api/v1/orders/{oid}"):
        S.expect_problem(api(office).get(path), 403)

    # Revoked: nothing at all, as the report's reproduction tried.
    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}"), 204)
    S.expect_problem(api(t.admin).get(f"{ACCOUNTS}/{acc.id}"), 403)
    _refused_everything_commercial(api, sql, t.admin, acc.id, sid, oid, "you are not a member of this account")
    S.expect_problem(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/invoices"), 403)
    assert sql.value("SELECT status FROM subscriptions WHERE id=%s", int(sid)) == "active"

    # The customer's admin: self-service as before.
    S.expect(api(cust).post(f"/api/v1/orders/{oid}/execute"), 200)
    assert S.expect(api(cust).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["status"] == "pending_cancellation"
    assert sql.account(acc.id)["handed_over_at"] is not None  # the mark the router reads


def test_the_back_office_ends_with_the_hand_over_by_role_change(api, sql, make_tenant, make_account,
                                                               make_person, set_roles, invitation_mail):
    """D1 for the seed's literal hand-over: once the parent's admin demoted
    themselves, they are a service provider there like after a transfer."""
    t, office, acc, sid, oid = _staged_with_back_office(api, make_tenant, make_account, make_person,
                                                        set_roles, "bor")
    _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    for path in _billing_reads(acc.id, sid, oid):
        S.expect(api(t.admin).get(path), 200)
    _refused_everything_commercial(api, sql, t.admin, acc.id, sid, oid)
    _refused_everything_commercial(api, sql, office, acc.id, sid, oid)
    assert sql.account(acc.id)["handed_over_at"] is not None


def test_the_back_office_stays_where_nothing_was_handed_over(api, sql, make_account, make_person, set_roles,
                                                            make_tenant, operator_id):
    """D1's limit: a distributor's back office on its reseller, and on a
    customer it manages that was never handed over (an active one, and a
    staged one still being prepared), order, execute, cancel and uncancel
    as before. A partner has no back office (round-17 walkthrough of seed
    001, D1): its admin who holds no role in a customer it manages, active
    or staged, gets 403 "you are not a member of this account" there."""
    disti = make_account("olivia", "distributor", operator_id)
    d_admin = make_person(prefix="bod")
    set_roles("olivia", disti.id, d_admin, ["admin"])
    reseller = make_account("olivia", "partner", disti.id)
    d = make_tenant("bokd", kind="distributor")
    d_office = make_person(prefix="bokdo")
    set_roles("olivia", d.account.id, d_office, ["admin"])
    managed = make_account(d.admin, "customer", d.account.id)
    staged = make_account(d.admin, "customer", d.account.id, staged=True)
    for who, acc_id, article in ((d_admin, reseller.id, "assets-pack"), (d_office, managed.id, "starter"),
                                 (d_office, staged.id, "starter")):
        draft = S.expect(api(who).post(f"{ACCOUNTS}/{acc_id}/orders",
                                       json={"lines": [{"article": article, "quantity": 1}]}), 201)
        sid = S.expect(api(who).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
        S.expect(api(who).get(f"{ACCOUNTS}/{acc_id}/invoices"), 200)
        assert S.expect(api(who).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)["status"] == "pending_cancellation"
        S.expect(api(who).post(f"/api/v1/subscriptions/{sid}/uncancel"), 200)
        assert sql.account(acc_id)["handed_over_at"] is None
    t = make_tenant("bok")
    office = make_person(prefix="boko")
    set_roles("olivia", t.account.id, office, ["admin"])
    for acc in (make_account(t.admin, "customer", t.account.id),
                make_account(t.admin, "customer", t.account.id, staged=True)):
        draft = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/orders",
                                           json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
        sid = S.expect(api(t.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
        _refused_everything_commercial(api, sql, office, acc.id, sid, draft["id"],
                                       "you are not a member of this account")
        for path in _billing_reads(acc.id, sid, draft["id"]):
            problem = S.expect_problem(api(office).get(path), 403)
            assert problem["detail"] == "you are not a member of this account", (path, problem)
        assert sql.account(acc.id)["handed_over_at"] is None


def test_the_back_office_ends_when_the_customer_removes_the_partners_last_person(
        api, sql, make_tenant, make_account, make_person, set_roles):
    """Round-13 walkthrough of seed 004, D1: the customer's admin removed
    the parent (its creator) from a customer account, yet the parent's
    admins still cancelled, ordered and read invoices there. Taking the
    last role of the last person of the parent in the account ends the
    back office, as a hand-over does (audited once); while one of the
    parent's people still holds a role there, it stays. The parent is a
    distributor: the back office is a distributor's (round-17 walkthrough
    of seed 001, D1)."""
    t = make_tenant("boe", kind="distributor")
    office = make_person(prefix="boeo")
    set_roles("olivia", t.account.id, office, ["admin"])
    pbill = make_person(prefix="boeb")
    set_roles("olivia", t.account.id, pbill, ["billing"])
    acc = make_account(t.admin, "customer", t.account.id)
    cust = make_person(prefix="boec")
    set_roles(t.admin, acc.id, cust, ["admin"])
    set_roles(t.admin, acc.id, pbill, ["billing"])
    draft = S.expect(api(office).post(f"{ACCOUNTS}/{acc.id}/orders",
                                      json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    sid = S.expect(api(office).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
    oid = draft["id"]
    # The creator leaves; the distributor's billing person still holds a role:
    # the back office stays.
    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"), 204)
    assert sql.account(acc.id)["handed_over_at"] is None
    S.expect(api(office).get(f"{ACCOUNTS}/{acc.id}/invoices"), 200)
    # The last of them leaves: ended, once, and audited.
    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/members/{pbill.uid}"), 204)
    assert sql.account(acc.id)["handed_over_at"] is not None
    ended = [a for a in sql.audit(acc.id) if a["action"] == "account.back_office_end"]
    assert len(ended) == 1 and ended[0]["uid"] == cust.uid, ended
    assert ended[0]["new_value"] == {"back_office": False, "last_of_parent": pbill.uid}, ended
    for who in (office, t.admin):
        _refused_everything_commercial(api, sql, who, acc.id, sid, oid,
                                       "you are not a member of this account")
        S.expect_problem(api(who).get(f"{ACCOUNTS}/{acc.id}/invoices"), 403)
    # The customer's own work goes on.
    assert S.expect(api(cust).post(f"/api/v1/subscriptions/{sid}/cancel"),
                    200)["status"] == "pending_cancellation"
    # A member of the customer leaving changes nothing more.
    m = make_person(prefix="boem")
    set_roles(cust, acc.id, m, ["member"])
    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/members/{m.uid}"), 204)
    assert len([a for a in sql.audit(acc.id) if a["action"] == "account.back_office_end"]) == 1


def test_a_customer_left_alone_in_a_staged_account_takes_it_over(api, sql, make_tenant,
                                                                 make_account, invitation_mail):
    """Round-13 walkthrough of seed 000, N1: the customer's admin removed the
    partner from a staged account, which then stayed staged for good with
    no contacts, and the customer's own transfer to its address was refused.
    Removing the last of the partner's people hands the account over: it
    is active, the one customer admin is both contacts (told so), and the
    partner's back office ends. Since round 26 (walkthrough of seed 000,
    D1) her removal of the partner is the provider's step, 403 whether or
    not his transfer is pending: the partner leaving himself is what
    leaves her alone in it."""
    t = make_tenant("n1")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cust = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    pending = S.unique_mail("n1-other-")
    inv = transfer(api, t.admin, acc.id, pending)["id"]
    # Her removal of the partner: the provider's step (round-26
    # walkthrough of seed 000, D1), 403 with his hand-over pending or
    # not; he revokes it, then leaves himself, which hands over.
    S.expect_problem(api(cust).delete(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/invitations/{inv}"), 204)
    S.expect_problem(api(cust).delete(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"), 204)
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["handed_over_at"] is not None, a
    contacts = {r["kind"]: r["uid"] for r in sql.rows(
        "SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc.id))}
    assert contacts == {"primary": cust.uid, "technical": cust.uid}, contacts
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"]["owner"] == cust.uid, done
    rows = S.outbox_mails(sql, account_id=acc.id, after_id=before)
    # Told once, by account-handed-over (round-23 walkthrough of seed 000, D2).
    assert [r["recipient"].lower() for r in rows if r["template"] == "contact-changed"] == [], rows
    assert [r["recipient"].lower() for r in rows if r["template"] == "account-handed-over"] == [
        cust.mail.lower()], rows
    assert "You are now its primary and technical contact" in _owner_mail(sql, acc.id, before, cust.mail)["body"]
    assert [r["recipient"].lower() for r in rows if r["template"] == "invitation-withdrawn"] == [], rows
    # The partner's admin: not a member, no back office.
    S.expect_problem(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/invoices"), 403)
    assert S.expect(api(cust).get(f"{ACCOUNTS}/{acc.id}"), 200)["status"] == "active"


def test_accounts_handed_over_before_migration_019_are_marked(api, sql, make_tenant, make_account, make_person,
                                                             set_roles, invitation_mail):
    """Migration 019 marks the accounts handed over before it, from the
    transfer record and from the audit trail (the role-change hand-over
    has no record): its UPDATEs, run again on accounts whose mark is
    taken away, give it back, and the back office is refused again."""
    t, office, acc, sid, oid = _staged_with_back_office(api, make_tenant, make_account, make_person,
                                                        set_roles, "bom")
    mail = S.unique_mail("bom-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, mail)
    _, token = invitation_mail(mail, after=before)
    S.expect(S.accept_invitation(api, token, uid=S.unique("bomc"), password="bom-cust-pw-1"), 200)
    lit = make_account(t.admin, "customer", t.account.id, staged=True)
    _invite_customer_as_admin(api, invitation_mail, sql, t.admin, lit.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{lit.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    ids = (int(acc.id), int(lit.id))
    sql.rows("UPDATE accounts SET handed_over_at = NULL WHERE id IN (%s, %s)", *ids)
    S.expect(api(office).get(f"{ACCOUNTS}/{acc.id}/invoices"), 200)  # as before 019
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "sql", "019_account_handed_over.sql")) as f:
        text = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("--"))
    updates = [s.strip() for s in text.split(";") if s.strip().upper().startswith("UPDATE")]
    assert len(updates) == 2, updates
    for statement in updates:
        sql.rows(statement)
    done = sql.row("SELECT completed_at FROM account_transfers WHERE account_id=%s", ids[0])["completed_at"]
    assert sql.account(acc.id)["handed_over_at"] == done
    assert sql.account(lit.id)["handed_over_at"] is not None
    S.expect_problem(api(office).get(f"{ACCOUNTS}/{acc.id}/invoices"), 403)
    S.expect_problem(api(office).post(f"/api/v1/subscriptions/{sid}/cancel"), 403)


def test_a_provider_the_customer_revoked_comes_back_only_by_an_admin(api, sql, ldap_admin, make_tenant,
                                                                    make_account, make_person, set_roles,
                                                                    invitation_mail):
    """Round-3 walkthrough of seed 000, D3: after the customer's admin
    revoked a provider, another provider of the same partner cannot give
    the role back, neither by PUT …/members nor by an invitation (at once
    or by link): 403 with a clear detail, nothing stored or mailed. The
    customer's admin can; a person never revoked is added as before."""
    t = make_tenant("rvk")
    sue = make_person(prefix="rvks")
    set_roles("olivia", t.account.id, sue, ["admin"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    mail = S.unique_mail("rvk-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, mail)
    _, token = invitation_mail(mail, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("rvkc"), password="rvk-cust-pw-1"), 200)["uid"]
    S.PASSWORDS[uid] = "rvk-cust-pw-1"
    cust = S.Person(uid, "rvk-cust-pw-1", S.person_dn(uid), None, mail)
    assert S.roles_in_ldap(ldap_admin, acc.id, sue) == {"service-provider"}

    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}"), 204)
    detail = ("an admin of this account revoked this person's service-provider access; only an admin of "
              "the account can give them a role in it again")
    # By invitation (he is in sue's tree: it would add him at once), in any
    # spelling of his address: refused, nothing stored or mailed.
    outbox = S.outbox_max_id(sql)
    invitations = sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s", int(acc.id))
    for email in (t.admin.mail, t.admin.mail.upper()):
        p = S.expect_problem(api(sue).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                           json={"email": email, "role": "service-provider"}), 403, "forbidden")
        assert p["detail"] == detail, p
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == set()
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s", int(acc.id)) == invitations
    assert S.outbox_max_id(sql) == outbox
    # Nor any other role (round-11 walkthrough of seed 000, D2: re-added as
    # member at once, the revocation meant nothing).
    p = S.expect_problem(api(sue).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                       json={"email": t.admin.mail, "role": "member"}), 403,
                         "forbidden")
    assert p["detail"] == detail, p
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == set()
    # Nor into one of the customer's projects (round-12 walkthrough of seed
    # 000, D1: by PUT or project invitation he saw the project and its
    # people again): 403, no project role, nothing mailed.
    pid = S.expect(api(sue).post(f"{ACCOUNTS}/{acc.id}/projects",
                                 json={"name": S.unique("rvk-labels")}), 201)["id"]
    outbox = S.outbox_max_id(sql)
    p = S.expect_problem(api(sue).put(f"/api/v1/projects/{pid}/members/{t.admin.uid}",
                                      json={"role": "editor"}), 403, "forbidden")
    assert p["detail"] == detail, p
    p = S.expect_problem(api(sue).post(f"/api/v1/projects/{pid}/invitations",
                                       json={"email": t.admin.mail, "role": "editor"}), 403,
                         "forbidden")
    assert p["detail"] == detail, p
    members = S.expect(api(cust).get(f"/api/v1/projects/{pid}"), 200)["members"]
    assert t.admin.uid not in [m["uid"] for m in members], members
    assert S.outbox_max_id(sql) == outbox
    S.expect_problem(api(t.admin).get(f"/api/v1/projects/{pid}"), 403)  # the parent's admin
    # The customer's admin may invite him (not of her tree: by e-mail).
    S.expect(api(cust).post(f"/api/v1/projects/{pid}/invitations",
                            json={"email": t.admin.mail, "role": "reader"}), 202)
    # Once someone else made him a member again (here the operator),
    # service-provider on top of it by a provider's PUT is refused as well.
    set_roles("olivia", acc.id, t.admin, ["member"])
    p = S.expect_problem(api(sue).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                                      json={"roles": ["member", "service-provider"]}), 403, "forbidden")
    assert p["detail"] == detail, p
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"member"}
    assert sql.row("SELECT * FROM service_provider_access WHERE account_id=%s AND uid=%s",
                   int(acc.id), t.admin.uid) is None
    # A person never revoked gets service-provider from a provider as before.
    fresh = make_person(prefix="rvkf")
    set_roles("olivia", t.account.id, fresh, ["member"])
    got = S.expect(api(sue).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                 json={"email": fresh.mail, "role": "service-provider"}), 201)
    assert got["status"] == "added"
    # The customer's admin gives it back.
    S.expect(api(cust).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                           json={"roles": ["member", "service-provider"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"member", "service-provider"}
    assert providers(api, cust, acc.id)[t.admin.uid]["granted_by"] == cust.uid


def test_a_provider_revoked_by_the_customer_is_not_re_invited_by_a_colleague(api, sql, ldap_admin,
                                                                            make_tenant, make_account,
                                                                            make_person, set_roles,
                                                                            invitation_mail):
    """D3 as the report played it: right after the revocation, a colleague
    invites the revoked provider as service-provider: 403, not `added`."""
    t = make_tenant("rvi")
    sue = make_person(prefix="rvis")
    set_roles("olivia", t.account.id, sue, ["admin"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    cust = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect(api(sue).put(f"{ACCOUNTS}/{acc.id}/members/{sue.uid}", json={"roles": ["service-provider"]}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}"), 204)
    S.expect_problem(api(sue).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                   json={"email": t.admin.mail, "role": "service-provider"}), 403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == set()
    assert t.admin.uid not in providers(api, cust, acc.id)
    # The customer's admin may invite him back (by link: he is no person
    # of the customer's tree).
    S.expect(api(cust).post(f"{ACCOUNTS}/{acc.id}/invitations",
                            json={"email": t.admin.mail, "role": "service-provider"}), 202)


def test_no_hand_over_while_only_the_partners_colleague_stays_admin(api, sql, ldap_admin, make_tenant,
                                                                   make_account, make_person, set_roles,
                                                                   invitation_mail):
    """Round-3 walkthrough of seed 000, O1: the self-demotion hands the
    account over only when an admin who stays is the customer (no person
    of the parent account). With only a partner colleague left it is an
    ordinary role change: still staged, no contacts, the customer's
    pending transfer link alive, and that transfer still completes."""
    t = make_tenant("o1")
    sue = make_person(prefix="o1s")
    set_roles("olivia", t.account.id, sue, ["member"])  # any role in the partner makes her its person
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    mail = S.unique_mail("o1-")
    before = S.outbox_max_id(sql)
    pending = transfer(api, t.admin, acc.id, mail)
    _, token = invitation_mail(mail, after=before)
    version = sql.account(acc.id)["version"]

    r = api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]})
    assert S.expect(r, 200)["roles"] == ["service-provider"]
    a = sql.account(acc.id)
    assert a["status"] == "staged" and a["handed_over_at"] is None
    assert sql.rows("SELECT * FROM account_contacts WHERE account_id=%s", int(acc.id)) == []
    assert S.invitation_row(sql, pending["id"])["status"] == "pending"
    actions = [r["action"] for r in sql.audit(acc.id)]
    assert actions[-1] == "member.set_roles" and "transfer.complete" not in actions, actions
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(sue.dn)}
    assert S.expect(api(sue).get(f"{ACCOUNTS}/{acc.id}"), 200)["status"] == "staged"
    # The customer's link still hands the account over.
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("o1c"), password="o1-cust-pw-1"), 200)["uid"]
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["version"] > version and a["handed_over_at"] is not None
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(S.person_dn(uid))}


def test_hand_over_by_role_change_names_the_customer_among_partner_admins(api, sql, ldap_admin, make_tenant,
                                                                         make_account, make_person,
                                                                         set_roles, invitation_mail):
    """O1, the other side: a partner colleague and the customer stay admin;
    the customer is the one admin who is no person of the partner, so the
    role change is the hand-over and names them the contacts and owner."""
    t = make_tenant("o1b")
    sue = make_person(prefix="o1bs")
    set_roles("olivia", t.account.id, sue, ["admin"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    cust = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s",
                                                      int(acc.id))}
    assert contacts == {"primary": cust.uid, "technical": cust.uid}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"] == {"status": "active", "via": "role-change", "owner": cust.uid}
    assert sql.account(acc.id)["handed_over_at"] is not None
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(sue.dn), S.norm_dn(cust.dn)}


def test_no_transfer_to_the_partners_own_people(api, sql, ldap_admin, make_person, set_roles, staged):
    """Round-4 walkthrough of seed 000, D2: a transfer to the address of one
    of the partner's own people (a person of the parent account, an admin
    or a service provider of the account) would hand the account over to
    the partner: 422 on `email`, nothing written, no mail."""
    t, acc, colleague, worker = staged
    office = make_person(prefix="d2o")
    set_roles("olivia", t.account.id, office, ["member"])  # a person of the parent, no role here
    sp = make_person(prefix="d2p")
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    before = S.outbox_max_id(sql)
    invitations = sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id))
    for who in (t.admin, colleague, office, sp):
        for mail in (who.mail, who.mail.upper()):
            errors = S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                                             json={"email": mail}), "email")
            assert "partner's own people" in errors["email"], errors
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id)) is None
    assert sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id)) == invitations
    assert S.outbox_max_id(sql) == before
    assert sql.account(acc.id)["status"] == "staged"
    # A member of the account who is no person of the partner is a customer's: allowed.
    transfer(api, t.admin, acc.id, worker.mail)


def test_accepting_a_transfer_never_makes_a_partner_person_the_owner(api, sql, ldap_admin, make_person,
                                                                     set_roles, invitation_mail, staged):
    """D2, the accept side: the address became a person of the parent after
    the transfer was asked for; the accept is 409 and changes nothing."""
    t, acc, colleague, worker = staged
    later = make_person(prefix="d2l")
    before = S.outbox_max_id(sql)
    pending = transfer(api, t.admin, acc.id, later.mail)
    _, token = invitation_mail(later.mail, after=before)
    set_roles("olivia", t.account.id, later, ["member"])
    admins = S.group_members(ldap_admin, acc.id, "admin")
    version = sql.account(acc.id)["version"]
    before = S.outbox_max_id(sql)
    r = S.accept_invitation(api, token)
    body = S.expect_problem(r, 409)
    assert "partner's own people" in body["detail"], body
    a = sql.account(acc.id)
    assert a["status"] == "staged" and a["handed_over_at"] is None and a["version"] == version
    assert S.group_members(ldap_admin, acc.id, "admin") == admins
    assert S.roles_in_ldap(ldap_admin, acc.id, later) == set()
    assert S.invitation_row(sql, pending["id"])["status"] == "pending"
    assert sql.rows("SELECT * FROM service_provider_access WHERE account_id=%s", int(acc.id)) == []
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id))["completed_at"] is None
    assert S.outbox_mails(sql, account_id=acc.id, after_id=before) == []


def test_the_hand_over_leaves_the_partners_people_service_providers_only(api, sql, ldap_admin, make_person,
                                                                         set_roles, invitation_mail, staged):
    """Round-4 walkthrough of seed 000, D1 (and D4): billing and member a
    partner person gave themselves while staging end with the hand-over,
    as does billing of a person of the parent who is no admin here; the
    customer's own billing person keeps it. Providers there already are
    told too."""
    t, acc, colleague, worker = staged
    set_roles(t.admin, acc.id, t.admin, ["admin", "billing", "member"])
    buyer = make_person(prefix="d1b")
    set_roles("olivia", t.account.id, buyer, ["member"])
    set_roles(t.admin, acc.id, buyer, ["billing"])
    sp = make_person(prefix="d1s")
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    theirs = make_person(prefix="d1c")
    set_roles(t.admin, acc.id, theirs, ["billing"])
    mail = S.unique_mail("d1-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, mail)
    _, token = invitation_mail(mail, after=before)
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, uid=S.unique("d1c"), password="d1-cust-pw-1"), 200)
    for who in (t.admin, colleague, buyer, sp):
        assert S.roles_in_ldap(ldap_admin, acc.id, who) == {"service-provider"}, who.uid
    assert S.roles_in_ldap(ldap_admin, acc.id, theirs) == {"billing"}
    assert S.roles_in_ldap(ldap_admin, acc.id, worker) == {"member"}
    access = {r["uid"] for r in sql.rows("SELECT uid FROM service_provider_access WHERE account_id=%s",
                                         int(acc.id))}
    assert access == {t.admin.uid, colleague.uid, buyer.uid, sp.uid}
    demote = {r["new_value"]["uid"]: r for r in sql.audit(acc.id) if r["action"] == "transfer.demote"}
    assert set(demote) == {t.admin.uid, colleague.uid, buyer.uid}
    assert set(demote[t.admin.uid]["old_value"]["roles"]) == {"admin", "billing", "member"}
    assert demote[buyer.uid]["old_value"]["roles"] == ["billing"]
    assert all(r["new_value"]["roles"] == ["service-provider"] for r in demote.values())
    # The provider no longer orders.
    S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/orders",
                                       json={"lines": [{"article": "starter", "quantity": 1}]}), 403)
    S.expect_problem(api(buyer).post(f"{ACCOUNTS}/{acc.id}/orders",
                                     json={"lines": [{"article": "starter", "quantity": 1}]}), 403)
    # D4: every partner person is told, the one who was a provider already too.
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    told = {r["recipient"].lower() for r in rows if r["template"] == "transfer-completed"}
    # (and the replaced notification recipient: round 6)
    assert told == {p.mail.lower() for p in (t.admin, colleague, buyer, sp)} | {"ops@partner.example"}


def test_the_hand_over_by_role_change_leaves_service_provider_only(api, sql, ldap_admin, make_tenant,
                                                                   make_account, make_person, set_roles,
                                                                   invitation_mail):
    """D1, the hand-over by self-demotion: the demoting admin keeps no
    billing (they asked to), and a person of the parent with billing but
    no admin loses it, in the same change; audited as transfer.demote."""
    t = make_tenant("d1r")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, t.admin, ["admin", "billing"])
    buyer = make_person(prefix="d1rb")
    set_roles("olivia", t.account.id, buyer, ["member"])
    set_roles(t.admin, acc.id, buyer, ["billing", "member"])
    cust = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    r = api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                         json={"roles": ["service-provider", "billing"]})
    assert S.expect(r, 200)["roles"] == ["service-provider"]
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, buyer) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, cust) == {"admin"}
    access = {r["uid"]: r for r in sql.rows("SELECT * FROM service_provider_access WHERE account_id=%s",
                                            int(acc.id))}
    assert set(access) == {t.admin.uid, buyer.uid} and access[buyer.uid]["granted_by"] == t.admin.uid
    demote = [r for r in sql.audit(acc.id) if r["action"] == "transfer.demote"]
    assert len(demote) == 1 and demote[0]["new_value"] == {"uid": buyer.uid, "roles": ["service-provider"]}
    assert set(demote[0]["old_value"]["roles"]) == {"billing", "member"}
    S.expect_problem(api(buyer).post(f"{ACCOUNTS}/{acc.id}/orders",
                                     json={"lines": [{"article": "starter", "quantity": 1}]}), 403)
    S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/orders",
                                       json={"lines": [{"article": "starter", "quantity": 1}]}), 403)


def test_a_providers_invitation_lasts_no_longer_than_their_access(api, sql, ldap_admin, make_tenant,
                                                                 make_person, set_roles, invitation_mail):
    """Round-4 walkthrough of seed 000, D3: a service-provider invitation a
    provider sent grants their own expires_at when accepted while they have
    access, and is 410 invitation-revoked (nothing created) once an admin
    revoked them."""
    t = make_tenant("d3")
    acc = t.account.id
    sp = make_person(prefix="d3s")
    set_roles(t.admin, acc, sp, ["service-provider"])
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc}/service-providers/{sp.uid}",
                                json={"expires_at": "2031-01-01T00:00:00Z"}), 200)
    tokens = {}
    for name in ("early", "late"):
        email = S.unique_mail(f"d3{name}-")
        before = S.outbox_max_id(sql)
        inv = S.expect(api(sp).post(f"{ACCOUNTS}/{acc}/invitations",
                                    json={"email": email, "role": "service-provider"}), 202)
        tokens[name] = (inv["id"], invitation_mail(email, after=before)[1])
    uid = S.expect(S.accept_invitation(api, tokens["early"][1], uid=S.unique("d3e"),
                                       password="provider-pw-1"), 200)["uid"]
    assert providers(api, t.admin, acc)[uid]["expires_at"] == "2031-01-01T00:00:00Z"
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc}/service-providers/{sp.uid}"), 204)
    late_uid = S.unique("d3l")
    r = S.accept_invitation(api, tokens["late"][1], uid=late_uid, password="provider-pw-1")
    S.expect_problem(r, 410, "invitation-revoked")
    assert S.invitation_row(sql, tokens["late"][0])["status"] == "pending"
    assert late_uid not in providers(api, t.admin, acc)
    assert S.ldap_entry(ldap_admin, S.person_dn(late_uid)) is None


def test_the_customers_own_admins_stay_admins(api, sql, ldap_admin, make_person, set_roles, invitation_mail,
                                              staged):
    """round-5 walkthrough of seed 000: the customer's IT admin, added as
    admin while staging ("add users and assign access roles"), was demoted
    to service provider with the partner's people. The hand-over moves only
    the partner's people (people of the parent account)."""
    t, acc, colleague, worker = staged
    hugo = make_person(prefix="lhugo")                  # the customer's, not the partner's
    set_roles(t.admin, acc.id, hugo, ["admin"])
    email = S.unique_mail("cust-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, email)
    _, token = invitation_mail(email, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("own"), password="pw-own-12345"), 200)["uid"]
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, hugo) == {"admin"}
    assert S.roles_in_ldap(ldap_admin, acc.id, colleague) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    admins = S.group_members(ldap_admin, acc.id, "admin")
    assert admins == {S.norm_dn(hugo.dn), S.norm_dn(S.person_dn(uid))}, admins
    access = {r["uid"] for r in sql.rows("SELECT uid FROM service_provider_access WHERE account_id=%s",
                                          int(acc.id))}
    assert hugo.uid not in access and {t.admin.uid, colleague.uid} <= access


def test_transfer_to_the_customer_admin_already_in_the_account_says_how(api, sql, ldap_admin, make_person,
                                                                       set_roles, staged):
    """Round-6 walkthrough of seed 000, D1: the seed adds the customer as
    admin, then hands over; a transfer to that admin said the address
    "belongs to one of the partner's own people" and to hand the account
    over "to the customer's address", which it was. The 422 now says the
    person is already an admin and how the hand-over to them is made (the
    role change); following it hands the account over. Nothing is written
    or mailed by the refused transfer."""
    t, acc, colleague, worker = staged
    cust = make_person(prefix="d1c")
    set_roles(t.admin, acc.id, cust, ["admin"])
    before = S.outbox_max_id(sql)
    invitations = sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id))
    errors = S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                                     json={"email": cust.mail}), "email")
    msg = errors["email"]
    assert "partner's own people" not in msg and "already an admin of this account" in msg, msg
    assert f"PUT /api/v1/accounts/{acc.id}/members/{t.admin.uid}" in msg and "service-provider" in msg, msg
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id)) is None
    assert sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id)) == invitations
    assert S.outbox_max_id(sql) == before
    assert sql.account(acc.id)["status"] == "staged"
    # The partner's own people keep their message (a service provider
    # of the account who is no person of the parent among them).
    sp = make_person(prefix="d1p")
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    for who in (colleague, sp):
        msg = S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                                      json={"email": who.mail}), "email")["email"]
        assert "partner's own people" in msg, msg
    # The advice works: the partner's admin's own role change is the
    # hand-over to the customer.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.norm_dn(cust.dn) in S.group_members(ldap_admin, acc.id, "admin")
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"]["owner"] == cust.uid, done


def test_transfer_of_an_account_that_is_not_staged_says_so_first(api, sql, make_tenant, make_account,
                                                                  make_person, set_roles):
    """The 409 for an account that is not staged comes before anything
    about the address (its messages speak of a hand-over that cannot
    happen here)."""
    t = make_tenant("nst")
    acc = make_account(t.admin, "customer", t.account.id)
    cust = make_person(prefix="nstc")
    set_roles(t.admin, acc.id, cust, ["admin"])
    for mail in (cust.mail, t.admin.mail, S.unique_mail("nst-")):
        body = S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": mail}),
                                409, "conflict")
        assert "not staged" in body["detail"], body
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id)) is None


def test_an_accept_that_loses_to_a_new_transfer_is_410(api, sql, ldap_admin, make_tenant, make_account,
                                                       invitation_mail):
    """round-6 walkthrough of seed 000, D4: an accept racing a transfer to
    another address got 409 "handed over already, or the invitation
    revoked" when it lost, though docs/api.md says the revoked link
    answers 410 invitation-revoked. Whoever wins, the loser gets the
    documented answer: the accept 410 (nothing created, still staged), or
    the new transfer 409 (the account is no longer staged)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    t = make_tenant("race-ho")
    for round_ in range(4):
        acc = make_account(t.admin, "customer", t.account.id, staged=True)
        first, second = S.unique_mail("hoa-"), S.unique_mail("hob-")
        before = S.outbox_max_id(sql)
        inv = transfer(api, t.admin, acc.id, first)
        _, token = invitation_mail(first, after=before)
        uid = S.unique("hoa")
        start = threading.Barrier(2)

        def accept():
            start.wait()
            return S.accept_invitation(api, token, uid=uid, password="pw-race-ho-1")

        def retransfer():
            start.wait()
            return api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": second})

        with ThreadPoolExecutor(2) as pool:
            accepted, again = pool.submit(accept), pool.submit(retransfer)
            accepted, again = accepted.result(), again.result()
        if accepted.status_code == 200:
            S.expect_problem(again, 409, "conflict")
            assert sql.account(acc.id)["status"] == "active"
            assert S.people_with_mail(ldap_admin, first) == {uid}
            continue
        S.expect_problem(accepted, 410, "invitation-revoked")
        S.expect(again, 202)
        assert S.invitation_row(sql, inv["id"])["status"] == "revoked"
        assert sql.account(acc.id)["status"] == "staged"
        assert S.people_with_mail(ldap_admin, first) == set(), f"round {round_}: a person was left behind"
        assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(t.admin.dn)}
        # A later try of the same link gets the same answer.
        S.expect_problem(S.accept_invitation(api, token, uid=uid, password="pw-race-ho-1"), 410,
                         "invitation-revoked")


def test_a_hand_over_needs_its_sender_still_in_the_account(api, sql, ldap_admin, invitation_mail, staged):
    """round-6 walkthrough of seed 001, D3 (decision): the hand-over's
    sender is the partner's admin who asked for it; removed from the
    staged account before the customer accepts, the transfer is revoked
    at the accept (410, nothing changes); another partner admin transfers
    again, and that one completes it. (A sender who only demoted
    themselves to service provider keeps it alive:
    test_no_hand_over_while_only_the_partners_colleague_stays_admin.)"""
    t, acc, colleague, worker = staged
    email = S.unique_mail("ho-sender-")
    before = S.outbox_max_id(sql)
    inv = transfer(api, t.admin, acc.id, f"  {email} ")
    assert inv["email"] == email, inv       # trimmed, as an invitation's (round-6, seed 004)
    _, token = invitation_mail(email, after=before)
    S.expect(api(colleague).delete(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"), 204)
    uid = S.unique("hos")
    S.expect_problem(S.accept_invitation(api, token, uid=uid, password="pw-ho-sender-1"), 410,
                     "invitation-revoked")
    assert sql.account(acc.id)["status"] == "staged"
    assert S.ldap_entry(ldap_admin, S.person_dn(uid)) is None
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(colleague.dn)}
    before = S.outbox_max_id(sql)
    transfer(api, colleague, acc.id, email)
    _, token = invitation_mail(email, after=before)
    S.expect(S.accept_invitation(api, token, uid=uid, password="pw-ho-sender-1"), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, colleague) == {"service-provider"}


def test_a_pending_hand_over_is_named_when_the_last_admin_steps_down(api, sql, ldap_admin, make_tenant,
                                                                    make_account, make_person,
                                                                    set_roles, invitation_mail):
    """Round-14 walkthrough of seed 000, D2: after POST …/transfer, the
    seed's "change your access role to Service Provider" answered a bare
    409 last-admin. It stays 409 last-admin (PUT and DELETE), and its
    detail says that the hand-over is pending and what its accept does.
    Without a pending hand-over the detail is the rule alone. Another
    tenant's admin is 404, a member 403; nothing changes."""
    t = make_tenant("lastho")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    me = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    rule = "an account always keeps at least one admin"
    p = S.expect_problem(api(t.admin).put(me, json={"roles": ["service-provider"]}), 409, "last-admin")
    # Round-23 walkthrough of seed 000, D3: on a staged account with
    # nothing pending it says what comes first.
    assert p["detail"].startswith(f"{rule}; the account is staged: invite its customer as an administrator "
                                  "first"), p

    email = S.unique_mail("lastho-")
    before = S.outbox_max_id(sql)
    inv = transfer(api, t.admin, acc.id, email)
    _, token = invitation_mail(email, after=before)
    said = (f"{rule}; a hand-over to {email} is pending (invitation {inv['id']}): when it is "
            "accepted, the provider's people become service providers by themselves")
    p = S.expect_problem(api(t.admin).put(me, json={"roles": ["service-provider"]}), 409, "last-admin")
    assert p["detail"] == said, p
    p = S.expect_problem(api(t.admin).delete(me), 409, "last-admin")
    assert p["detail"] == said, p
    # Once its link expired, the detail says how to renew it.
    sql.rows("UPDATE invitations SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 MINUTE"
             " WHERE id = %s", int(inv["id"]))
    p = S.expect_problem(api(t.admin).put(me, json={"roles": ["service-provider"]}), 409, "last-admin")
    assert p["detail"] == said + " (its link has expired: resend it for a new one)", p
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations/{inv['id']}/resend"), 202)
    _, token = invitation_mail(email, after=before)

    # Who may not: another tenant's admin (404), a member (403).
    other = make_tenant("lastho-o")
    S.expect_problem(api(other.admin).put(me, json={"roles": ["service-provider"]}), 404)
    m = make_person(prefix="lasthom")
    set_roles(t.admin, acc.id, m, ["member"])
    S.expect_problem(api(m).put(me, json={"roles": ["service-provider"]}), 403)
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"admin"}
    assert sql.account(acc.id)["status"] == "staged"

    # What the detail promises holds: the accept makes the partner's admin
    # a service provider.
    S.expect(S.accept_invitation(api, token, uid=S.unique("lastho"), password="lastho-pw-123"), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}


def text(mail):
    """A mail's body with its lines ended by LF (SMTP ends them CRLF)."""
    return mail.body.replace("\r\n", "\n")


def test_a_hand_over_that_takes_over_a_member_invitation_says_so(api, sql, invitation_mail, staged):
    """Round-14 walkthrough of seed 001, D3, for the hand-over: a transfer to
    an address with a pending member invitation takes it over; its mail
    says that it replaces the earlier invitation, now as an administrator
    instead of a member, and that the earlier link no longer works; a
    transfer to the same address again says it without a change."""
    t, acc, colleague, worker = staged
    email = S.unique_mail("takeover-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations",
                               json={"email": email, "role": "member"}), 202)
    mail1, token1 = invitation_mail(email, after=before)
    transfer(api, t.admin, acc.id, email)
    mail2, token2 = invitation_mail(email, after=mail1.outbox_id)
    note = ("This invitation replaces the one sent to you before{}: the link in that earlier "
            "mail no longer works.")
    assert "prepared" in mail2.subject, mail2.subject
    assert ("at any time.\n" + note.format(", now as an administrator instead of a member")
            + "\n\nActivate") in text(mail2), text(mail2)
    transfer(api, t.admin, acc.id, email)
    mail3, token3 = invitation_mail(email, after=mail2.outbox_id)
    assert "at any time.\n" + note.format("") + "\n\nActivate" in text(mail3), text(mail3)
    for token in (token1, token2):
        S.expect_problem(S.accept_invitation(api, token, password="takeover-pw-1"), 410,
                         "invitation-replaced")


def _r15_invite(api, sql, invitation_mail, by, account_id, prefix):
    """An admin invitation sent by `by`: (invitation id, email, token)."""
    email = S.unique_mail(prefix)
    before = S.outbox_max_id(sql)
    inv = S.expect(api(by).post(f"{ACCOUNTS}/{account_id}/invitations",
                                json={"email": email, "role": "admin", "first_name": "Hank",
                                      "last_name": "Haken"}), 202)
    _, token = invitation_mail(email, after=before)
    return inv["id"], email, token


def _pending(api, by, account_id, inv_id):
    items = S.expect(api(by).get(f"{ACCOUNTS}/{account_id}/invitations"), 200)["items"]
    return [i for i in items if i["id"] == inv_id]


def test_r15_the_seeds_order_with_a_colleague_admin(api, sql, ldap_admin, make_tenant, make_account,
                                                   make_person, set_roles, invitation_mail):
    """Round-15 walkthrough of seed 000, D1: the seed's "invite your
    customer as Administration", then "change your role to Service
    Provider", with a partner colleague still admin: the demotion
    silently killed the customer's invitation. It is 409 conflict naming
    the invitation (PUT and DELETE of oneself); after the accept the same
    PUT is the hand-over. A member is 403, another tenant 404."""
    t = make_tenant("r15a")
    sue = make_person(prefix="r15as")
    set_roles("olivia", t.account.id, sue, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    inv_id, email, token = _r15_invite(api, sql, invitation_mail, t.admin, acc.id, "r15a-")
    me = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    said = (f"your invitation of {email} as an administrator (invitation {inv_id}) is still pending: it would "
            "stop working if you gave up admin now; change your role once it has been accepted, "
            "or have another administrator resend it (they become its sender; the invitee gets a "
            "new link), or revoke it first")
    p = S.expect_problem(api(t.admin).put(me, json={"roles": ["service-provider"]}), 409, "conflict")
    assert p["detail"] == said, p
    p = S.expect_problem(api(t.admin).delete(me), 409, "conflict")
    assert "your invitation of " + email in p["detail"] and "if you left the account now; leave once" in p["detail"], p
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"admin"}
    assert _pending(api, sue, acc.id, inv_id)[0]["usable"] is True
    # Who may not: another tenant's admin (404), a member (403).
    other = make_tenant("r15a-o")
    S.expect_problem(api(other.admin).put(me, json={"roles": ["service-provider"]}), 404)
    m = make_person(prefix="r15am")
    set_roles(t.admin, acc.id, m, ["member"])
    S.expect_problem(api(m).put(me, json={"roles": ["service-provider"]}), 403)
    # The customer accepts; the partner's admin is told (staged account).
    before = S.outbox_max_id(sql)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("r15a"), password="r15a-pw-123"), 200)["uid"]
    told = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before) if r["template"] == "invitation-accepted"]
    assert len(told) == 1 and S.norm_addr(told[0]["recipient"]) == S.norm_addr(t.admin.mail), told
    # Now the seed's step works and is the hand-over.
    assert S.expect(api(t.admin).put(me, json={"roles": ["service-provider"]}), 200)["roles"] == ["service-provider"]
    assert sql.account(acc.id)["status"] == "active"
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s",
                                                      int(acc.id))}
    assert contacts == {"primary": uid, "technical": uid}


def test_r15_someone_elses_change_marks_the_invitation_unusable(api, sql, ldap_admin, make_tenant,
                                                               make_account, make_person, set_roles,
                                                               invitation_mail):
    """Round-15 walkthrough of seed 000, D1, the other side: a colleague
    who takes the sender's admin role keeps today's rule (the invitation
    dies at the accept), and the list and GET of the invitation say so
    ("usable": false with a reason) instead of a plain pending; its
    accept is 410, as they say. A resend by the colleague makes it usable."""
    t = make_tenant("r15b")
    sue = make_person(prefix="r15bs")
    set_roles("olivia", t.account.id, sue, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    inv_id, email, token = _r15_invite(api, sql, invitation_mail, t.admin, acc.id, "r15b-")
    S.expect(api(sue).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    item = _pending(api, sue, acc.id, inv_id)[0]
    assert item["status"] == "pending" and item["usable"] is False, item
    assert "410 invitation-revoked" in item["reason"] and "resend it" in item["reason"], item
    one = S.expect(api(sue).get(f"{ACCOUNTS}/{acc.id}/invitations/{inv_id}"), 200)
    assert one["usable"] is False and one["reason"] == item["reason"], one
    # Another tenant sees nothing of it.
    other = make_tenant("r15b-o")
    S.expect_problem(api(other.admin).get(f"{ACCOUNTS}/{acc.id}/invitations"), 404)
    # The accept agrees with the list.
    S.expect_problem(S.accept_invitation(api, token, uid=S.unique("r15b"), password="r15b-pw-123"), 410,
                     "invitation-revoked")
    before = S.outbox_max_id(sql)
    S.expect(api(sue).post(f"{ACCOUNTS}/{acc.id}/invitations/{inv_id}/resend"), 202)
    _, token = invitation_mail(email, after=before)
    assert _pending(api, sue, acc.id, inv_id)[0]["usable"] is True


def test_r15_the_seeds_order_with_a_single_admin(api, sql, ldap_admin, make_tenant, make_account,
                                                make_person, set_roles, invitation_mail):
    """Round-15 walkthrough of seed 000, D2 and D4: with one partner admin
    the seed's "change your role" right after "Invite" stays 409
    last-admin, and its detail names the pending admin invitation. The
    accept mails its sender invitation-accepted (staged accounts only);
    the hand-over's mail to the new owner (account-handed-over since
    round 23, D2) says what happened and that they name the contacts."""
    t = make_tenant("r15c")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    inv_id, email, token = _r15_invite(api, sql, invitation_mail, t.admin, acc.id, "r15c-")
    me = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    p = S.expect_problem(api(t.admin).put(me, json={"roles": ["service-provider"]}), 409, "last-admin")
    assert p["detail"] == (f"an account always keeps at least one admin; your invitation of {email} as "
                           f"an administrator (invitation {inv_id}) is pending: change your role once it has "
                           "been accepted"), p
    before = S.outbox_max_id(sql)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("r15c"), password="r15c-pw-123",
                                       first_name="Gina", last_name="Gross"), 200)["uid"]
    told = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before) if r["template"] == "invitation-accepted"]
    assert len(told) == 1, S.outbox_mails(sql, account_id=acc.id, after_id=before)
    body = told[0]["body"].replace("\r\n", "\n")
    assert S.norm_addr(told[0]["recipient"]) == S.norm_addr(t.admin.mail)
    assert body.startswith(f"Hello {t.admin.name},") if t.admin.name else body.startswith("Hello"), body
    assert "accepted your invitation and is now an administrator of" in body, body
    assert "change your own role to service provider" in body and email in body, body
    cust = S.Person(uid, "r15c-pw-123", S.person_dn(uid), None, email)
    S.PASSWORDS[uid] = "r15c-pw-123"

    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(me, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    body = _owner_mail(sql, acc.id, before, email)["body"]
    assert "ask an administrator" not in body, body
    assert "over to you: it is now active and" in body and "is a service provider." in body, body
    assert "As its administrator you name its primary and technical contacts" in body, body
    assert "name another contact yourself" not in body, body

    # Other accepts mail nobody: an admin invitation of the active account.
    before = S.outbox_max_id(sql)
    _, _, token = _r15_invite(api, sql, invitation_mail, cust, acc.id, "r15c2-")
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, uid=S.unique("r15c2"), password="r15c2-pw-123"), 200)
    assert [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before) if r["template"] == "invitation-accepted"] == []


def test_r15_the_customers_admin_demoting_the_last_partner_admin_hands_over(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-15 walkthrough of seed 000, D3: the customer's admin who makes
    the last partner admin a service provider completes the hand-over, as
    the self-demotion does (active, the customer both contacts, recipients
    as they were, audit). While a partner admin stays, it is an ordinary
    role change. A transfer to the customer admin's own address is the
    "already an admin" 422, naming what works. A member is 403, another
    tenant 404. Since round 26 (walkthrough of seed 000, D1) the change of
    the partner's admins' roles is the provider's side's: the customer's
    admin gets 403 and operator staff make the changes here."""
    t = make_tenant("r15d")
    sue = make_person(prefix="r15ds")
    set_roles("olivia", t.account.id, sue, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [t.admin.mail]}), 200)
    hank = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    # The customer's admin may not change the partner's admins' roles
    # (round-26 walkthrough of seed 000, D1).
    for uid in (t.admin.uid, sue.uid):
        S.expect_problem(api(hank).put(f"{ACCOUNTS}/{acc.id}/members/{uid}", json={"roles": ["service-provider"]}),
                         403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    # Operator staff demote one partner admin: Sue stays, no hand-over.
    S.expect(api("olivia").put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}),
             200)
    assert sql.account(acc.id)["status"] == "staged"
    # A transfer by the customer admin: the provider's step (round-23
    # walkthrough of seed 000, D1), naming the partner admin who is left.
    p = S.expect_problem(api(hank).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": hank.mail}), 403,
                         "forbidden")
    assert "the hand-over is the provider's step" in p["detail"] and sue.name in p["detail"], p
    assert t.admin.name not in p["detail"], p
    # Who may not: a member (403), another tenant (404).
    m = make_person(prefix="r15dm")
    set_roles(hank, acc.id, m, ["member"])
    sue_path = f"{ACCOUNTS}/{acc.id}/members/{sue.uid}"
    S.expect_problem(api(m).put(sue_path, json={"roles": ["service-provider"]}), 403)
    other = make_tenant("r15d-o")
    S.expect_problem(api(other.admin).put(sue_path, json={"roles": ["service-provider"]}), 404)
    assert sql.account(acc.id)["status"] == "staged"

    before = S.outbox_max_id(sql)
    S.expect(api("olivia").put(sue_path, json={"roles": ["service-provider"]}), 200)
    a = sql.account(acc.id)
    assert a["status"] == "active"
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s",
                                                      int(acc.id))}
    assert contacts == {"primary": hank.uid, "technical": hank.uid}
    view = S.expect(api(hank).get(f"{ACCOUNTS}/{acc.id}/notification-recipients"), 200)
    assert [S.norm_addr(e) for e in view["emails"]] == [S.norm_addr(t.admin.mail)], view
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(hank.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, sue) == {"service-provider"}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"] == {"status": "active", "via": "role-change", "owner": hank.uid}
    assert done[0]["uid"] == "olivia"
    told = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before) if r["template"] == "contact-changed"]
    assert {S.norm_addr(r["recipient"]) for r in told} == {S.norm_addr(t.admin.mail)}, told
    own = _owner_mail(sql, acc.id, before, hank.mail)
    assert f"a service provider of {acc.name}, which handed it over to you" in own["body"], own["body"]


def test_r15_the_customers_admin_choosing_member_for_the_last_partner_admin(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """D3 with another role than service-provider: the customer's admin who
    leaves the last partner admin a plain member also hands the account
    over, and the person gets the role that admin chose, no more (only the
    self-demotion ends with service-provider only). Since round 26
    (walkthrough of seed 000, D1) that change is the provider's side's:
    the customer's admin gets 403, operator staff make it."""
    t = make_tenant("r15e")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    hank = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect_problem(api(hank).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                                   json={"roles": ["member"]}), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    S.expect(api("olivia").put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                               json={"roles": ["member"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"member"}
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(hank.dn)}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"]["via"] == "role-change", done


def test_r15_transfer_to_an_admin_when_no_partner_admin_is_left(api, sql, ldap_admin, make_tenant,
                                                               make_account, make_person, set_roles,
                                                               invitation_mail):
    """Round-15 walkthrough of seed 000, D3: an account left with no
    partner admin (an LDAP administrator's change) does not send the
    operator to "the partner's admin": the 422 says what works."""
    t = make_tenant("r15e")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    hank = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    assert ldap_admin.modify(S.role_dn(acc.id, "admin"), {"member": [(ldap3.MODIFY_DELETE, [t.admin.dn])]}), \
        ldap_admin.result
    assert ldap_admin.modify(S.role_dn(acc.id, "service-provider"),
                             {"member": [(ldap3.MODIFY_ADD, [t.admin.dn])]}), ldap_admin.result
    r = S.poll(lambda: api("olivia").post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": hank.mail}),
               lambda r: r.status_code == 422 and "no person of the partner" in r.text, 5)
    msg = S.expect_field_errors(r, "email")["email"]
    assert "the partner's admin" not in msg and "partner's own people" not in msg, msg
    # Round-16 walkthrough of seed 000, D1: any role change completes it.
    assert "again" not in msg and f"PUT /api/v1/accounts/{acc.id}/members/" in msg, msg
    # The customer's admin: the provider's step (round-23 walkthrough of
    # seed 000, D1), with the same advice.
    p = S.expect_problem(api(hank).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": hank.mail}), 403,
                         "forbidden")
    assert "no person of the partner is an admin of this staged account any more" in p["detail"], p
    assert f"PUT /api/v1/accounts/{acc.id}/members/" in p["detail"], p


def _contacts(sql, account_id):
    return {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s",
                                                  int(account_id))}


def _r16_staged_with_provider(make_tenant, make_account, make_person, set_roles, prefix):
    """A staged customer of a fresh partner whose admin (Sam) added a
    colleague of the partner (Sue) as service provider."""
    t = make_tenant(prefix)
    sue = make_person(prefix=prefix + "s")
    set_roles("olivia", t.account.id, sue, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["service-provider"])
    return t, sue, acc


def test_r16_the_partners_last_admin_leaving_hands_over(api, sql, ldap_admin, mailbox, make_tenant,
                                                       make_account, make_person, set_roles,
                                                       invitation_mail):
    """Round-16 walkthrough of seed 000, D1: the partner's last admin who
    leaves a staged account (DELETE of himself) while a colleague stays as
    service provider and the customer is admin completes the hand-over, as
    the self-demotion does: active, the customer both contacts and told
    that it was handed over, audit transfer.complete via role-change. A
    member may not remove him (403), another tenant 404."""
    t, sue, acc = _r16_staged_with_provider(make_tenant, make_account, make_person, set_roles, "r16l")
    lena = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    sam_path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    m = make_person(prefix="r16lm")
    set_roles(lena, acc.id, m, ["member"])
    S.expect_problem(api(m).delete(sam_path), 403)
    S.expect_problem(api(make_tenant("r16l-o").admin).delete(sam_path), 404)
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(sam_path), 204)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": lena.uid, "technical": lena.uid}
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(lena.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, sue) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == set()
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"] == {"status": "active", "via": "role-change",
                                                      "owner": lena.uid}, done
    assert done[0]["uid"] == t.admin.uid
    told = [_owner_mail(sql, acc.id, before, lena.mail)]
    # Read from the SMTP sink: the mailer empties a sent row's body, and
    # may have sent it before the outbox is read.
    got = mailbox.wait_for(outbox_id=told[0]["id"])
    assert got and "which handed it over to you: it is now active." in text(got[-1]), got
    assert "left" in text(got[-1]), text(got[-1])


def test_r16_no_partner_admin_left_the_transfer_422_says_what_works(api, sql, ldap_admin, make_tenant,
                                                                   make_account, make_person, set_roles,
                                                                   invitation_mail):
    """Round-16 walkthrough of seed 000, D1: on an account an LDAP
    administrator left with no partner admin, the transfer's 422 no longer
    says "make one of them admin again": any role change by the customer's
    admin completes the hand-over, and it does."""
    t, sue, acc = _r16_staged_with_provider(make_tenant, make_account, make_person, set_roles, "r16n")
    lena = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    assert ldap_admin.modify(S.role_dn(acc.id, "admin"), {"member": [(ldap3.MODIFY_DELETE, [t.admin.dn])]}), \
        ldap_admin.result
    # The customer's admin: 403 since round 23 (D1: the provider's step),
    # with the same advice.
    r = S.poll(lambda: api(lena).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": lena.mail}),
               lambda r: r.status_code == 403 and "no person of the partner" in r.text, 5)
    msg = S.expect_problem(r, 403, "forbidden")["detail"]
    assert "again" not in msg and "completes the hand-over" in msg, msg
    assert f"PUT /api/v1/accounts/{acc.id}/members/" in msg, msg
    S.expect(api(lena).put(f"{ACCOUNTS}/{acc.id}/members/{sue.uid}", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": lena.uid, "technical": lena.uid}
    assert S.roles_in_ldap(ldap_admin, acc.id, sue) == {"service-provider"}


def test_r16_a_partner_contact_hands_over_and_the_contacts_move(api, sql, ldap_admin, make_tenant,
                                                               make_account, make_person, set_roles,
                                                               invitation_mail):
    """Round-16 walkthrough of seed 000, D2: the partner's admin who named
    himself both contacts while staging hands over by changing his own role
    (no 409 contact-admin): the contacts move to the one customer admin,
    who is mailed account-handed-over saying it was handed over to her
    (round 23, D2: no copy of contact-changed), and he (the old contact)
    reads contact-changed saying that he made the change."""
    t = make_tenant("r16c")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    for kind in ("primary", "technical"):
        S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/{kind}", json={"uid": t.admin.uid}), 200)
    cora = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    before = S.outbox_max_id(sql)
    got = S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                                    json={"roles": ["service-provider"]}), 200)
    assert got["roles"] == ["service-provider"]
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": cora.uid, "technical": cora.uid}
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(cora.dn)}
    moved = [r for r in sql.audit(acc.id) if r["action"] == "transfer.contacts"]
    assert len(moved) == 1 and moved[0]["old_value"] == {"primary": t.admin.uid, "technical": t.admin.uid}
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
            if r["template"] == "contact-changed"]
    by = {S.norm_addr(r["recipient"]): r for r in rows}
    assert set(by) == {S.norm_addr(t.admin.mail)}, rows
    own = _owner_mail(sql, acc.id, before, cora.mail)["body"]
    assert "handed" in own and "over to you: it is now active" in own, own
    assert "primary and technical contact" in own and "from nobody" not in own, own
    assert "You made this change." in by[S.norm_addr(t.admin.mail)]["body"]
    assert f"from {t.admin.name} to " in by[S.norm_addr(t.admin.mail)]["body"]
    assert [S.norm_addr(r["recipient"]) for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
            if r["template"] == "account-handed-over"] == [S.norm_addr(cora.mail)]


def test_r20_a_hand_over_that_moves_one_kind_to_who_holds_the_other_says_both(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-20 walkthrough of seed 004, D3, for a contact named without a
    PUT: the partner's admin is primary contact of the staged account, the
    customer's admin technical; the hand-over by role change moves primary
    to her. Her note (in account-handed-over since round 23, D2) says she
    is both contacts now and
    that leaving needs other administrators as both (not "another
    administrator primary contact" only). A member of the account may not
    hand over (403), another tenant 404; nothing moves."""
    t = make_tenant("r20h")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cora = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": t.admin.uid}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": cora.uid}), 200)
    member, other = make_person(prefix="r20hm"), make_tenant("r20ho")
    set_roles(t.admin, acc.id, member, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    S.expect_problem(api(member).put(path, json={"roles": ["service-provider"]}), 403, "forbidden")
    S.expect_problem(api(other.admin).put(path, json={"roles": ["service-provider"]}), 404)
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": cora.uid, "technical": cora.uid}
    body = _owner_mail(sql, acc.id, before, cora.mail)["body"]
    # The contact-changed of the primary contact goes to its old contact.
    rows = _mails(sql, acc.id, before, template="contact-changed")
    assert [S.norm_addr(r["recipient"]) for r in rows] == [S.norm_addr(t.admin.mail)], rows
    assert "changed the primary contact of" in rows[0]["body"], rows[0]["body"]
    assert ("You are now its primary contact, and you are its technical contact too: you get its"
            " account and billing mail, may request password resets for its people, and stay an"
            " administrator while you are its contact (to change your role or leave, name other"
            " administrators its primary and technical contacts first).") in body, body


def test_r16_a_hand_over_that_names_no_contact_still_tells_the_owner(api, sql, ldap_admin, make_tenant,
                                                                    make_account, make_person, set_roles,
                                                                    invitation_mail):
    """Round-16 walkthrough of seed 000, D2: when the contacts were the
    customer's already, the hand-over by role change mails the customer's
    admin account-handed-over ("… handed … over to you"); with several
    customer admins and the partner's person a contact, the 409
    contact-admin names the customer admins to make contact."""
    t = make_tenant("r16h")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cora = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    for kind in ("primary", "technical"):
        S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/{kind}", json={"uid": cora.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
            if r["template"] in ("account-handed-over", "contact-changed")]
    assert [r["template"] for r in rows] == ["account-handed-over"], rows
    assert S.norm_addr(rows[0]["recipient"]) == S.norm_addr(cora.mail)
    assert "was handed over to you" in rows[0]["subject"], rows[0]
    assert "handed" in rows[0]["body"] and "over to you: it is now active and" in rows[0]["body"], rows[0]
    # Several customer admins, the partner's admin a contact: 409 naming them.
    t2 = make_tenant("r16i")
    acc2 = make_account(t2.admin, "customer", t2.account.id, staged=True)
    S.expect(api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/contacts/primary", json={"uid": t2.admin.uid}), 200)
    c1 = _invite_customer_as_admin(api, invitation_mail, sql, t2.admin, acc2.id)
    c2 = _invite_customer_as_admin(api, invitation_mail, sql, t2.admin, acc2.id)
    p = S.expect_problem(api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/members/{t2.admin.uid}",
                                           json={"roles": ["service-provider"]}), 409, "contact-admin")
    assert c1.uid in p["detail"] and c2.uid in p["detail"] and "primary contact" in p["detail"], p
    assert sql.account(acc2.id)["status"] == "staged"


def test_r16_the_unusable_invitations_reason_is_written_for_its_reader(api, sql, ldap_admin, make_tenant,
                                                                      make_account, make_person,
                                                                      set_roles, invitation_mail):
    """Round-16 walkthrough of seed 000, D3: the service provider whose
    admin invitation died with his admin role is not told to resend or
    revoke it (both 403 for him) but to ask an admin; the admin still
    reads "resend it (you become its sender) or revoke it"."""
    t = make_tenant("r16d")
    sue = make_person(prefix="r16ds")
    set_roles("olivia", t.account.id, sue, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, sue, ["admin"])
    inv_id, email, token = _r15_invite(api, sql, invitation_mail, t.admin, acc.id, "r16d-")
    S.expect(api(sue).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    mine = _pending(api, t.admin, acc.id, inv_id)[0]
    assert mine["usable"] is False and "ask an admin of the account to resend it" in mine["reason"], mine
    assert "you become its sender" not in mine["reason"], mine
    S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations/{inv_id}/resend"), 403)
    theirs = _pending(api, sue, acc.id, inv_id)[0]
    assert "resend it (you become its sender) or revoke it" in theirs["reason"], theirs


def test_r16_the_pending_invitation_409_names_the_role_as_the_mails_do(api, sql, make_tenant, make_account,
                                                                      make_person, set_roles,
                                                                      invitation_mail):
    """Round-16 walkthrough of seed 004, D2: the 409 that names the
    caller's own pending invitation says "as a member", as its mail
    does, not "as member"."""
    t = make_tenant("r16e")
    acc = make_account(t.admin, "customer", t.account.id)
    colleague = make_person(prefix="r16ec")
    set_roles(t.admin, acc.id, colleague, ["admin"])
    email = S.unique_mail("r16e-")
    inv = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                     json={"email": email, "role": "member"}), 202)
    p = S.expect_problem(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"), 409, "conflict")
    assert f"your invitation of {email} as a member (invitation {inv['id']}) is still pending" in p["detail"], p


# ---- round-17 walkthrough of seed 000: a staged account without a parent

def _olivia(api):
    me = S.expect(api("olivia").get("/api/v1/me"), 200)
    return S.Person("olivia", S.PASSWORDS["olivia"], S.person_dn("olivia"), me.get("name"), me["mail"])


def _parentless_staged(make_account):
    """Operator staff (olivia) stage a direct customer: no parent_id."""
    acc = make_account("olivia", "customer", None, staged=True)
    assert acc.body["status"] == "staged" and acc.body.get("parent_id") in (None, ""), acc.body
    return acc


def test_r17_a_parentless_staged_account_is_handed_over_by_the_seeds_role_change(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-17 walkthrough of seed 000, D1: on a staged account without a
    parent operator staff are the provider's side. The seed's order —
    invite the customer as admin, they accept, change your own role to
    service provider — hands it over (active, the customer both contacts,
    audit, mails), and the invitation-accepted mail and the transfer 422
    promised exactly that step."""
    olivia = _olivia(api)
    acc = _parentless_staged(make_account)
    path = f"{ACCOUNTS}/{acc.id}/members/olivia"
    # Alone: the self-demotion is last-admin, naming the pending invitation.
    email = S.unique_mail("r17a-")
    before = S.outbox_max_id(sql)
    inv = S.expect(api("olivia").post(f"{ACCOUNTS}/{acc.id}/invitations",
                                      json={"email": email, "role": "admin", "first_name": "Eli",
                                            "last_name": "Eta"}), 202)
    _, token = invitation_mail(email, after=before)
    p = S.expect_problem(api("olivia").put(path, json={"roles": ["service-provider"]}), 409, "last-admin")
    assert f"invitation of {email} as an administrator (invitation {inv['id']}) is pending" in p["detail"], p
    before = S.outbox_max_id(sql)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("r17a"), password="r17a-pw-123"), 200)["uid"]
    S.PASSWORDS[uid] = "r17a-pw-123"
    eli = S.Person(uid, "r17a-pw-123", S.person_dn(uid), "Eli Eta", email)
    # The mail that names the step.
    told = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
            if r["template"] == "invitation-accepted"]
    assert [S.norm_addr(r["recipient"]) for r in told] == [S.norm_addr(olivia.mail)], told
    assert "change your own role to service provider" in told[0]["body"], told[0]["body"]
    # The transfer's 422 to the customer admin names the same step: to
    # olivia her own role change, to Eli the role change of operator staff.
    msg = S.expect_field_errors(api("olivia").post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": email}),
                                "email")["email"]
    assert f"change your own role to service-provider (PUT /api/v1/accounts/{acc.id}/members/olivia" in msg, msg
    # Eli, the customer's admin, may not send it (round-23 walkthrough of
    # seed 000, D1): the 403 names the operator staff who prepared it.
    msg = S.expect_problem(api(eli).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": email}), 403,
                           "forbidden")["detail"]
    assert "the hand-over is the provider's step" in msg and "operator staff: " in msg, msg
    assert "partner" not in msg, msg
    # Who may not change olivia's roles: a member (403), another tenant (404).
    m = make_person(prefix="r17am")
    set_roles(eli, acc.id, m, ["member"])
    S.expect_problem(api(m).put(path, json={"roles": ["service-provider"]}), 403)
    other = make_tenant("r17a-o")
    S.expect_problem(api(other.admin).put(path, json={"roles": ["service-provider"]}), 404)
    S.expect_problem(api(other.admin).delete(path), 404)
    assert sql.account(acc.id)["status"] == "staged"

    version = sql.account(acc.id)["version"]
    before = S.outbox_max_id(sql)
    r = api("olivia").put(path, json={"roles": ["service-provider", "member"]})
    assert S.expect(r, 200)["roles"] == ["service-provider"]
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["version"] > version, a
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(eli.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, olivia) == {"service-provider"}
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s",
                                                      int(acc.id))}
    assert contacts == {"primary": uid, "technical": uid}
    trail = sql.audit(acc.id)
    actions = [r["action"] for r in trail]
    assert actions[-3:] == ["member.set_roles", "transfer.contacts", "transfer.complete"], actions
    assert trail[-3]["new_value"] == {"uid": "olivia", "roles": ["service-provider"]}, trail[-3]
    assert trail[-2]["old_value"] == {"primary": None, "technical": None}, trail[-2]
    assert trail[-1]["uid"] == "olivia"
    assert trail[-1]["old_value"] == {"status": "staged"}
    assert trail[-1]["new_value"] == {"status": "active", "via": "role-change", "owner": uid}
    # Mails as for a partner: the new owner is told it was handed over.
    mine = [_owner_mail(sql, acc.id, before, email)]
    assert "over to you: it is now active and" in mine[0]["body"] and "is a service provider." in mine[0]["body"], \
        mine[0]["body"]
    # Through the API: active, Eli both contacts, olivia among the providers.
    view = S.expect(api(eli).get(f"{ACCOUNTS}/{acc.id}"), 200)
    assert view["status"] == "active" and view["contacts"]["primary"]["uid"] == uid, view
    assert "olivia" in providers(api, eli, acc.id)
    # Handed over: a transfer now is 409.
    S.expect_problem(api(eli).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 409)


def test_r17_the_customer_removing_operator_staff_hands_a_parentless_account_over(
        api, sql, ldap_admin, make_tenant, make_account, invitation_mail):
    """Round-17 walkthrough of seed 000, D1: the invariant holds for a
    parentless staged account too — the last operator staff admin who
    leaves (DELETE) hands it over; while one stays admin, a change of
    someone else is an ordinary one. Since round 26 (walkthrough of seed
    000, D1) the customer admin's removal of operator staff is 403: the
    preparers' roles are the provider's side's to change."""
    acc = _parentless_staged(make_account)
    eli = _invite_customer_as_admin(api, invitation_mail, sql, "olivia", acc.id)
    # The customer admin's own role change leaves olivia admin: no hand-over.
    S.expect(api(eli).put(f"{ACCOUNTS}/{acc.id}/members/{eli.uid}", json={"roles": ["admin", "billing"]}), 200)
    assert sql.account(acc.id)["status"] == "staged"
    other = make_tenant("r17b-o")
    S.expect_problem(api(other.admin).delete(f"{ACCOUNTS}/{acc.id}/members/olivia"), 404)
    S.expect_problem(api(eli).delete(f"{ACCOUNTS}/{acc.id}/members/olivia"), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").delete(f"{ACCOUNTS}/{acc.id}/members/olivia"), 204)
    a = sql.account(acc.id)
    assert a["status"] == "active", a
    contacts = {r["kind"]: r["uid"] for r in sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s",
                                                      int(acc.id))}
    assert contacts == {"primary": eli.uid, "technical": eli.uid}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["uid"] == "olivia", done
    assert done[0]["new_value"] == {"status": "active", "via": "role-change", "owner": eli.uid}
    rows = [_owner_mail(sql, acc.id, before, eli.mail)]
    assert "which handed it over to you" in rows[0]["body"], rows


def test_r17_a_parentless_transfer_makes_operator_staff_service_providers(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-17 walkthrough of seed 000, D2: the accept of a parentless
    staged account's transfer moves operator staff admins of it to
    service-provider (granted by the customer, listed, revocable,
    transfer-completed, transfer.demote), as both mails told the customer.
    A transfer to operator staff's own address is refused; a member may
    not transfer (403), another tenant sees nothing (404)."""
    olivia = _olivia(api)
    acc = _parentless_staged(make_account)
    worker = make_person(prefix="r17cw")
    set_roles("olivia", acc.id, worker, ["member"])
    zed = S.unique_mail("r17c-")
    S.expect_problem(api(worker).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": zed}), 403)
    other = make_tenant("r17c-o")
    S.expect_problem(api(other.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": zed}), 404)
    msg = S.expect_field_errors(api("olivia").post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": olivia.mail}),
                                "email")["email"]
    assert "one of the provider's own people (operator staff" in msg, msg
    before = S.outbox_max_id(sql)
    transfer(api, "olivia", acc.id, zed)
    mail, token = invitation_mail(zed, after=before)
    assert "keep access as your service providers" in mail.body, mail.body
    before = S.outbox_max_id(sql)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("r17c"), password="r17c-pw-123"), 200)["uid"]
    S.PASSWORDS[uid] = "r17c-pw-123"
    cust = S.Person(uid, "r17c-pw-123", S.person_dn(uid), "Cora Customer", zed)
    assert sql.account(acc.id)["status"] == "active"
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(cust.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, olivia) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, worker) == {"member"}
    listed = providers(api, cust, acc.id)
    assert set(listed) == {"olivia"} and listed["olivia"]["granted_by"] == uid, listed
    demote = [r for r in sql.audit(acc.id) if r["action"] == "transfer.demote"]
    assert [(r["old_value"], r["new_value"]) for r in demote] == [
        ({"uid": "olivia", "roles": ["admin"]}, {"uid": "olivia", "roles": ["service-provider"]})], demote
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    got = {(r["template"], S.norm_addr(r["recipient"])) for r in rows}
    assert ("transfer-completed", S.norm_addr(olivia.mail)) in got, rows
    assert ("ownership-transferred", S.norm_addr(zed)) in got, rows
    mine = mailbox.wait_for(to=olivia.mail, predicate=lambda m: acc.name in m.subject and "handed over" in m.subject)
    assert mine and "You keep access as a service provider." in mine[-1].body, mine
    theirs = mailbox.wait_for(to=zed, predicate=lambda m: "is now yours" in m.subject)
    assert theirs and "list of service providers" in theirs[-1].body, theirs
    # Revocable, as a partner's person's access is.
    S.expect(api(cust).delete(f"{ACCOUNTS}/{acc.id}/service-providers/olivia"), 204)
    assert S.roles_in_ldap(ldap_admin, acc.id, olivia) == set()
    assert "olivia" not in providers(api, cust, acc.id)


def test_r17_only_an_admin_of_the_account_is_told_to_change_their_own_role(
        api, sql, make_account, make_person, set_roles, invitation_mail, operator_id):
    """Round-17 walkthrough of seed 000, D1: the invitation-accepted mail
    names the step "change your own role to service provider"; operator
    staff who invited the customer into a staged account they hold no
    role in have no such role to change, and are not sent it."""
    acc = _parentless_staged(make_account)
    otto = make_person(prefix="r17do")
    set_roles("olivia", operator_id, otto, ["admin"])
    try:
        email = S.unique_mail("r17d-")
        before = S.outbox_max_id(sql)
        S.expect(api(otto).post(f"{ACCOUNTS}/{acc.id}/invitations", json={"email": email, "role": "admin"}), 202)
        _, token = invitation_mail(email, after=before)
        before = S.outbox_max_id(sql)
        S.expect(S.accept_invitation(api, token, uid=S.unique("r17d"), password="r17d-pw-123"), 200)
        assert [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
                if r["template"] == "invitation-accepted"] == []
    finally:
        S.expect(api("olivia").delete(f"/api/v1/accounts/{operator_id}/members/{otto.uid}"), 204)


def test_r17_the_accepting_persons_directory_address_replaces_the_typed_case(
        api, sql, mailbox, make_tenant, make_account, make_person, invitation_mail):
    """Round-17 walkthrough of seed 000, D3: a transfer to IVY@x for the
    directory's ivy@x: once she accepts, the recipients and the mails use
    her directory address, not the typed one. So does the
    invitation-accepted mail of an ordinary admin invitation."""
    t = make_tenant("r17e")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    ivy = make_person(prefix="r17ei")
    typed = ivy.mail.split("@")[0].upper() + "@" + ivy.mail.split("@")[1]
    assert typed != ivy.mail
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, typed)
    _, token = invitation_mail(typed, after=before)
    before = S.outbox_max_id(sql)
    r = S.expect(S.accept_invitation(api, token), 200)
    assert r["uid"] == ivy.uid and r["created"] is False, r
    view = S.expect(api(ivy).get(f"{ACCOUNTS}/{acc.id}/notification-recipients"), 200)
    assert view["emails"] == [ivy.mail], view
    rec = [r for r in sql.audit(acc.id) if r["action"] == "transfer.recipients"]
    assert rec[-1]["new_value"] == {"emails": [ivy.mail]}, rec
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    owned = [r for r in rows if r["template"] == "ownership-transferred"]
    assert len(owned) == 1 and owned[0]["recipient"] == ivy.mail, owned
    mine = mailbox.wait_for(to=ivy.mail, predicate=lambda m: acc.name in m.subject and "is now yours" in m.subject)
    assert mine and f"notifications go to {ivy.mail}." in mine[-1].body and typed not in mine[-1].body, mine
    theirs = mailbox.wait_for(to=t.admin.mail, predicate=lambda m: acc.name in m.subject and "handed over" in m.subject)
    assert theirs and f"({ivy.mail})" in theirs[-1].body and typed not in theirs[-1].body, theirs
    # An ordinary admin invitation to another staged account, in the typed
    # case (a person outside the partner's tree: invited by link).
    ian = make_person(prefix="r17en")
    typed = ian.mail.split("@")[0].upper() + "@" + ian.mail.split("@")[1]
    acc2 = make_account(t.admin, "customer", t.account.id, staged=True)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc2.id}/invitations", json={"email": typed, "role": "admin"}), 202)
    _, token = invitation_mail(typed, after=before)
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token), 200)
    told = [r for r in S.outbox_mails(sql, account_id=acc2.id, after_id=before)
            if r["template"] == "invitation-accepted"]
    assert len(told) == 1 and f"({ian.mail})" in told[0]["body"] and typed not in told[0]["body"], told


# ---- round-18 walkthrough of seed 000

def _r18_invite(api, sql, invitation_mail, by, account_id, role, prefix):
    """An invitation of a new address as role, sent by `by`: (id, email, token)."""
    email = S.unique_mail(prefix)
    before = S.outbox_max_id(sql)
    inv = S.expect(api(by).post(f"{ACCOUNTS}/{account_id}/invitations",
                                json={"email": email, "role": role}), 202)
    _, token = invitation_mail(email, after=before)
    return inv["id"], email, token


def _r18_accept_transfer(api, sql, invitation_mail, by, account_id, prefix):
    """POST …/transfer to a new address by `by`, accepted by a new person:
    (that person as S.Person, the outbox id before the accept)."""
    email = S.unique_mail(prefix)
    before = S.outbox_max_id(sql)
    transfer(api, by, account_id, email)
    _, token = invitation_mail(email, after=before)
    before = S.outbox_max_id(sql)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique(prefix.rstrip("-")),
                                       password="r18-pw-1234"), 200)["uid"]
    S.PASSWORDS[uid] = "r18-pw-1234"
    return S.Person(uid, "r18-pw-1234", S.person_dn(uid), "Cora Customer", email), before


def test_r18_the_transfer_hands_the_partners_invitations_to_the_customer(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, make_person, set_roles,
        invitation_mail):
    """Round-18 walkthrough of seed 000, D1: the admin and billing
    invitations the partner's admin sent while staging answered 410
    invitation-revoked once the transfer's accept made him a service
    provider, and nobody was told. The accept makes the customer their
    sender (audited), so the links keep working; the member invitation he
    may still send keeps him as its sender; ownership-transferred lists
    the ones the customer now sends, and the new owner may revoke them. A
    member may not transfer (403), another tenant sees nothing (404)."""
    t = make_tenant("r18a")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    ian_id, ian_mail, ian_token = _r18_invite(api, sql, invitation_mail, t.admin, acc.id, "admin", "r18a-ian-")
    bob_id, bob_mail, bob_token = _r18_invite(api, sql, invitation_mail, t.admin, acc.id, "billing", "r18a-bob-")
    max_id, max_mail, max_token = _r18_invite(api, sql, invitation_mail, t.admin, acc.id, "member", "r18a-max-")
    spare_id, spare_mail, _ = _r18_invite(api, sql, invitation_mail, t.admin, acc.id, "admin", "r18a-spare-")
    worker = make_person(prefix="r18aw")
    set_roles(t.admin, acc.id, worker, ["member"])
    S.expect_problem(api(worker).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 403)
    other = make_tenant("r18a-o")
    S.expect_problem(api(other.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail()}), 404)

    gia, before = _r18_accept_transfer(api, sql, invitation_mail, t.admin, acc.id, "r18a-gia-")
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    # The invitations he may no longer send are the customer's now, and
    # listed as usable; the member invitation stays his.
    items = {i["id"]: i for i in S.expect(api(gia).get(f"{ACCOUNTS}/{acc.id}/invitations"), 200)["items"]}
    for inv in (ian_id, bob_id, spare_id):
        assert items[inv]["invited_by"] == gia.uid and items[inv]["usable"] is True, items[inv]
    assert items[max_id]["invited_by"] == t.admin.uid and items[max_id]["usable"] is True, items[max_id]
    moved = [r for r in sql.audit(acc.id) if r["action"] == "invitation.sender"]
    assert sorted(r["old_value"]["invitation_id"] for r in moved) == sorted(int(i) for i in (ian_id, bob_id, spare_id))
    for r in moved:
        assert r["uid"] == gia.uid and r["old_value"]["invited_by"] == t.admin.uid, r
        assert r["new_value"]["invited_by"] == gia.uid and "handed over" in r["new_value"]["reason"], r
    # The new owner's mail names them, from the SMTP sink.
    mine = mailbox.wait_for(to=gia.mail, predicate=lambda m: acc.name in m.subject and "is now yours" in m.subject)
    assert mine, "no ownership-transferred mail"
    body = text(mine[-1])
    listed = (f"Pending invitations you now send: {ian_mail} as an administrator (invitation {ian_id}), "
              f"{bob_mail} as a billing person (invitation {bob_id}), {spare_mail} as an administrator "
              f"(invitation {spare_id}). The people who prepared the account sent them; their links keep "
              "working, and as their sender you can revoke any of them in the account's pending invitations.")
    assert listed in body, body
    assert max_mail not in body, body
    assert ("You find them in the account's list of service providers, where an administrator can end any"
            " one's access at any time. An administrator can also name other contacts" in body), body
    # The partner, a service provider now, may not revoke an admin
    # invitation; the new owner may.
    S.expect_problem(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/invitations/{spare_id}"), 403)
    S.expect(api(gia).delete(f"{ACCOUNTS}/{acc.id}/invitations/{spare_id}"), 204)
    # The links work: each becomes what it offered.
    ian = S.expect(S.accept_invitation(api, ian_token, uid=S.unique("r18ai"), password="r18-ian-1234"), 200)
    bob = S.expect(S.accept_invitation(api, bob_token, uid=S.unique("r18ab"), password="r18-bob-1234"), 200)
    mx = S.expect(S.accept_invitation(api, max_token, uid=S.unique("r18am"), password="r18-max-1234"), 200)
    assert (ian["role"], bob["role"], mx["role"]) == ("admin", "billing", "member")
    assert S.norm_dn(S.person_dn(ian["uid"])) in S.group_members(ldap_admin, acc.id, "admin")
    assert S.norm_dn(S.person_dn(bob["uid"])) in S.group_members(ldap_admin, acc.id, "billing")
    assert S.norm_dn(S.person_dn(mx["uid"])) in S.group_members(ldap_admin, acc.id, "member")


def test_r18_no_pending_invitation_no_line_and_operators_keep_theirs(
        api, sql, mailbox, make_account, invitation_mail):
    """Round-18 walkthrough of seed 000, D1: operator staff keep their
    invitations alive as operators, so a parentless account's transfer
    leaves their sender as it is, and the new owner's mail has no line
    about pending invitations (none changed sender)."""
    acc = _parentless_staged(make_account)
    ian_id, ian_mail, ian_token = _r18_invite(api, sql, invitation_mail, "olivia", acc.id, "admin", "r18b-ian-")
    zed, _ = _r18_accept_transfer(api, sql, invitation_mail, "olivia", acc.id, "r18b-zed-")
    item = _pending(api, zed, acc.id, ian_id)[0]
    assert item["invited_by"] == "olivia" and item["usable"] is True, item
    assert [r for r in sql.audit(acc.id) if r["action"] == "invitation.sender"] == []
    mine = mailbox.wait_for(to=zed.mail, predicate=lambda m: acc.name in m.subject and "is now yours" in m.subject)
    assert mine and "Pending invitation" not in mine[-1].body, mine
    S.expect(S.accept_invitation(api, ian_token, uid=S.unique("r18bi"), password="r18-ian-1234"), 200)


def test_r18_the_self_demotion_still_asks_to_wait_for_a_billing_invitation(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-18 walkthrough of seed 000, D1, decided: the hand-over by
    role change keeps its 409 (the partner makes that change himself and
    is told what to wait for), unlike the transfer's accept, which happens
    when the partner is not there to be asked. The customer admin who
    resends the billing invitation becomes its sender; then the
    self-demotion hands over and the invitation still works. A member may
    not change his roles (403), another tenant sees nothing (404)."""
    t = make_tenant("r18c")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cora = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    bill_id, bill_mail, _ = _r18_invite(api, sql, invitation_mail, t.admin, acc.id, "billing", "r18c-bill-")
    me = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    m = make_person(prefix="r18cm")
    set_roles(cora, acc.id, m, ["member"])
    S.expect_problem(api(m).put(me, json={"roles": ["service-provider"]}), 403)
    S.expect_problem(api(make_tenant("r18c-o").admin).put(me, json={"roles": ["service-provider"]}), 404)
    p = S.expect_problem(api(t.admin).put(me, json={"roles": ["service-provider"]}), 409, "conflict")
    assert f"your invitation of {bill_mail} as a billing person (invitation {bill_id}) is still pending" in p["detail"], p
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api(cora).post(f"{ACCOUNTS}/{acc.id}/invitations/{bill_id}/resend"), 202)
    _, token = invitation_mail(bill_mail, after=before)
    S.expect(api(t.admin).put(me, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.expect(S.accept_invitation(api, token, uid=S.unique("r18cb"), password="r18-bill-1234"),
                    200)["role"] == "billing"


def test_r18_a_parentless_hand_over_tells_the_customer_operators_keep_access(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-18 walkthrough of seed 000, D2: on an account operator staff
    prepared, the mails do not promise the customer that they can end the
    preparers' access (operators may do everything): the transfer
    invitation and ownership-transferred say that the platform's operators
    keep access as operators, and the revocation of the preparer's
    service-provider role tells her that she keeps her operator access,
    not "you no longer have access". A member may not revoke (403),
    another tenant sees nothing (404); a partner's account keeps the old
    words."""
    olivia = _olivia(api)
    acc = _parentless_staged(make_account)
    zed_mail = S.unique_mail("r18d-zed-")
    before = S.outbox_max_id(sql)
    transfer(api, "olivia", acc.id, zed_mail)
    mail, token = invitation_mail(zed_mail, after=before)
    body = text(mail)
    assert ("you become its administrator. The people who prepared it are the platform's staff: they keep"
            " access as your service providers, for support. You can end that role at any time, but the"
            " platform's operators keep access to every account as operators.\n" in body), body
    assert "you can revoke that at any time" not in body, body
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("r18d"), password="r18-zed-1234"), 200)["uid"]
    S.PASSWORDS[uid] = "r18-zed-1234"
    zed = S.Person(uid, "r18-zed-1234", S.person_dn(uid), "Cora Customer", zed_mail)
    mine = mailbox.wait_for(to=zed_mail, predicate=lambda m: acc.name in m.subject and "is now yours" in m.subject)
    assert mine, "no ownership-transferred mail"
    body = text(mine[-1])
    assert ("The people who prepared it are the platform's staff: they keep access as your service providers,"
            " for support, and you find them in the account's list of service providers. An administrator"
            " can end that role there at any time, but the platform's operators keep access to every account"
            " as operators. An administrator can also name other contacts" in body), body
    assert "end any one's access" not in body, body
    # Who may not revoke her: a member (403), another tenant (404).
    path = f"{ACCOUNTS}/{acc.id}/service-providers/olivia"
    m = make_person(prefix="r18dm")
    set_roles(zed, acc.id, m, ["member"])
    S.expect_problem(api(m).delete(path), 403)
    S.expect_problem(api(make_tenant("r18d-o").admin).delete(path), 404)
    told = S.outbox_max_id(sql)
    S.expect(api(zed).delete(path), 204)
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=told)
            if r["template"] == "provider-access-changed"]
    assert [S.norm_addr(r["recipient"]) for r in rows] == [S.norm_addr(olivia.mail)], rows
    got = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert got, "the mail did not reach the SMTP sink"
    body = text(got[-1])
    assert f"removed your service-provider role in {acc.name}. You keep your access to it as operator staff" in body, body
    assert "you no longer have access" not in body, body
    # ... which is true: she still reads it as an operator.
    S.expect(api("olivia").get(f"{ACCOUNTS}/{acc.id}"), 200)
    # A partner's staged account keeps the partner's words.
    t = make_tenant("r18d-p")
    pacc = make_account(t.admin, "customer", t.account.id, staged=True)
    email = S.unique_mail("r18d-p-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, pacc.id, email)
    mail, _ = invitation_mail(email, after=before)
    assert ("The people who prepared it keep access as your service providers, for support; you can revoke"
            " that at any time.\n" in text(mail)), text(mail)


def test_r18_a_provider_removed_through_the_members_list_is_told(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-18 walkthrough of seed 000, D3: DELETE …/members/{uid} of a
    service provider (the seed's "Control Center > Users") mails them
    provider-access-changed, as DELETE …/service-providers/{uid} does;
    one mail per removal (a provider whose own address was a recipient
    gets member-removed, which says it), none when they leave themselves
    or the person removed was no service provider. A member may not
    remove (403), another tenant sees nothing (404)."""
    t = make_tenant("r18e")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    kim = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    sue, leo, wes = make_person(prefix="r18es"), make_person(prefix="r18el"), make_person(prefix="r18ew")
    for p in (sue, leo):
        set_roles(t.admin, acc.id, p, ["service-provider"])
    set_roles(t.admin, acc.id, wes, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    S.expect_problem(api(wes).delete(path), 403)
    S.expect_problem(api(make_tenant("r18e-o").admin).delete(path), 404)
    before = S.outbox_max_id(sql)
    S.expect(api(kim).delete(path), 204)
    S.expect_problem(api(t.admin).get(f"{ACCOUNTS}/{acc.id}"), 403)
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)]
    assert [(r["template"], S.norm_addr(r["recipient"])) for r in rows] == [
        ("provider-access-changed", S.norm_addr(t.admin.mail))], rows
    got = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert got, "the mail did not reach the SMTP sink"
    assert got[-1].subject.endswith("your service-provider access was ended"), got[-1].subject
    assert f"ended your service-provider access to {acc.name}: you no longer have access." in text(got[-1]), \
        text(got[-1])
    # A provider whose own address is a recipient: member-removed only.
    S.expect(api(kim).put(f"{ACCOUNTS}/{acc.id}/notification-recipients", json={"emails": [kim.mail, sue.mail]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(kim).delete(f"{ACCOUNTS}/{acc.id}/members/{sue.uid}"), 204)
    rows = S.outbox_mails(sql, account_id=acc.id, after_id=before)
    assert [(r["template"], S.norm_addr(r["recipient"])) for r in rows] == [
        ("member-removed", S.norm_addr(sue.mail))], rows
    # Leaving oneself, or removing a member: no such mail.
    before = S.outbox_max_id(sql)
    S.expect(api(leo).delete(f"{ACCOUNTS}/{acc.id}/members/{leo.uid}"), 204)
    S.expect(api(kim).delete(f"{ACCOUNTS}/{acc.id}/members/{wes.uid}"), 204)
    assert [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
            if r["template"] == "provider-access-changed"] == []


# ---- round 19 (seed 000): the partner is told of a hand-over someone else
# made, a repeated self-demotion is no error, a provider's grant of the
# role is told to the customer, colleagues left admin are named.

FRONT19 = f"http://127.0.0.1:{os.environ.get('ACCOUNTD_FRONTEND_PORT', '18082')}"


def _r19_customer(api, sql, invitation_mail, by, account_id, first, last, prefix):
    """The customer invited as admin by `by` and accepted, with a name."""
    email = S.unique_mail(prefix)
    before = S.outbox_max_id(sql)
    S.expect(api(by).post(f"{ACCOUNTS}/{account_id}/invitations",
                          json={"email": email, "role": "admin", "first_name": first, "last_name": last}), 202)
    _, token = invitation_mail(email, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique(prefix.rstrip("-")), password="r19-pass-1234"),
                   200)["uid"]
    S.PASSWORDS[uid] = "r19-pass-1234"
    return S.Person(uid, "r19-pass-1234", S.person_dn(uid), f"{first} {last}", email)


def _mails(sql, account_id, after, template=None, to=None):
    rows = S.outbox_mails(sql, account_id=account_id, after_id=after)
    return [r for r in rows if (template is None or r["template"] == template)
            and (to is None or S.norm_addr(r["recipient"]) == S.norm_addr(to))]


def _owner_mail(sql, account_id, after, to):
    """Round-23 walkthrough of seed 000, D2: the customer's admin a
    hand-over by role change names contact gets one mail of it,
    account-handed-over ("<account> was handed over to you"), no copy of
    contact-changed: after the greeting, the hand-over paragraph first
    (what happened, who is still admin, where the notifications go), then
    what being the contact means, then the template's own text. The row,
    its body's line ends LF."""
    rows = [r for r in _mails(sql, account_id, after, to=to) if r["template"] in HANDOVER_MAILS]
    assert [r["template"] for r in rows] == ["account-handed-over"], _mails(sql, account_id, after)
    row = dict(rows[0], body=rows[0]["body"].replace("\r\n", "\n"))
    assert row["subject"] == f"{sql.account(account_id)['name']} was handed over to you", row
    paragraphs = row["body"].split("\n\n")
    assert paragraphs[0].startswith("Hello "), row["body"]
    assert "over to you" in paragraphs[1], row["body"]
    assert paragraphs[2].startswith("You are now its "), row["body"]
    assert paragraphs[3].startswith("As its administrator you name its primary and technical contacts"), \
        row["body"]
    assert "changed the primary" not in row["body"] and "If you did not expect" not in row["body"], row["body"]
    return row


def test_r19_the_customer_demoting_the_partner_tells_him_and_her(api, sql, ldap_admin, mailbox, make_tenant,
                                                                 make_account, make_person, set_roles,
                                                                 invitation_mail):
    """Round-19 walkthrough of seed 000, D1 (case 1): the customer's admin
    who makes the partner's person a service provider hands the account
    over; he is mailed handed-over-to-customer ("Xena Xi made you a service
    provider of …, which handed it over to its customer: it is now active.
    You keep access as a service provider."), and her own copy of
    mail (account-handed-over since round 23, D2) says it is now active
    and hers (not only "You made this change."). His later self-demotion PUT says what happened: 200
    with a note when it names the roles he holds, 403 naming the hand-over
    for a real change. A member may not demote him (403), another tenant
    sees nothing (404). Since round 26 (walkthrough of seed 000, D1) the
    customer's admin may not (403): the one who makes it here is operator
    staff, the provider's side."""
    t = make_tenant("r19a")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    xena = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Xena", "Xi", "r19a-")
    paul_path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    m = make_person(prefix="r19am")
    set_roles(xena, acc.id, m, ["member"])
    S.expect_problem(api(m).put(paul_path, json={"roles": ["service-provider"]}), 403)
    S.expect_problem(api(make_tenant("r19a-o").admin).put(paul_path, json={"roles": ["service-provider"]}), 404)
    assert sql.account(acc.id)["status"] == "staged"

    S.expect_problem(api(xena).put(paul_path, json={"roles": ["service-provider"]}), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    ops = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").put(paul_path, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["uid"] == "olivia" and done[0]["new_value"]["via"] == "role-change"
    his = _mails(sql, acc.id, before, to=t.admin.mail)
    assert [r["template"] for r in his] == ["handed-over-to-customer"], his
    assert his[0]["subject"] == f"{acc.name} was handed over to its customer", his[0]
    body = his[0]["body"]
    assert body.startswith(f"Hello {t.admin.name},"), body
    assert (f"{ops} made you a service provider of {acc.name}, which handed it over to its customer: "
            "it is now active.") in body, body
    assert "You keep access as a service provider." in body, body
    got = mailbox.wait_for(outbox_id=his[0]["id"])
    assert got and got[-1].sent_to(t.admin.mail), got
    assert got[-1].subject == f"{acc.name} was handed over to its customer", got[-1].subject
    hers = [_owner_mail(sql, acc.id, before, xena.mail)]
    assert "which handed it over to you" in hers[0]["body"], hers[0]["body"]

    # His later step, as his invitation-accepted mail told him: what happened.
    trail = len(sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    got = S.expect(api(t.admin).put(paul_path, json={"roles": ["service-provider"]}), 200)
    assert got["roles"] == ["service-provider"] and got["uid"] == t.admin.uid, got
    assert got["note"] == (f"the account was already handed over to its customer by {ops}; "
                           "you are a service provider of it"), got
    p = S.expect_problem(api(t.admin).put(paul_path, json={"roles": ["service-provider", "member"]}), 403)
    assert p["detail"].startswith(f"the account was already handed over to its customer by {ops}; "
                                  "you are a service provider of it"), p
    assert "cannot change their own roles" in p["detail"], p
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    assert len(sql.audit(acc.id)) == trail
    assert _mails(sql, acc.id, before) == []


def test_r19_the_customer_removing_the_partner_tells_him(api, sql, ldap_admin, make_tenant, make_account,
                                                         make_person, set_roles, invitation_mail):
    """Round-19 walkthrough of seed 000, D1 (case 2): the customer's admin
    who removes the partner's person from the staged account hands it
    over; he gets one mail, handed-over-to-customer ("Tara Theta removed
    you from …, which handed it over to its customer: it is now active.
    You no longer have access to it." and that his address no longer gets
    its notifications), which stands for member-removed and
    provider-access-changed (while his transfer to Theo is pending it is
    409, round-24 walkthrough of seed 000, D2: he revokes it first); her
    account-handed-over says it is hers. A member may
    not remove him (403), another tenant 404. Since round 26 (walkthrough
    of seed 000, D1) the customer's admin may not either (403, pending
    hand-over or not): the removal is made here by operator staff."""
    t = make_tenant("r19b")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [t.admin.mail]}), 200)
    theo = S.unique_mail("r19b-theo-")
    inv = transfer(api, t.admin, acc.id, theo)["id"]
    tara = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Tara", "Theta", "r19b-")
    paul_path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    m = make_person(prefix="r19bm")
    set_roles(tara, acc.id, m, ["member"])
    S.expect_problem(api(m).delete(paul_path), 403)
    S.expect_problem(api(make_tenant("r19b-o").admin).delete(paul_path), 404)

    # Not while his hand-over to Theo is pending (round-24 walkthrough of
    # seed 000, D2); he revokes it first.
    S.expect_problem(api(tara).delete(paul_path), 403, "forbidden")
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/invitations/{inv}"), 204)
    S.expect_problem(api(tara).delete(paul_path), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    ops = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").delete(paul_path), 204)
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == set()
    his = _mails(sql, acc.id, before, to=t.admin.mail)
    assert [r["template"] for r in his] == ["handed-over-to-customer"], his
    body = his[0]["body"]
    assert (f"{ops} removed you from {acc.name}, which handed it over to its customer: "
            "it is now active.") in body, body
    assert "You no longer have access to it." in body, body
    assert f"{t.admin.mail} no longer gets its notifications." in body, body
    assert _mails(sql, acc.id, before, to=theo) == []
    hers = [_owner_mail(sql, acc.id, before, tara.mail)]
    assert len(hers) == 1 and "which handed it over to you" in hers[0]["body"], hers
    # The recipients lost his address, audited, as any removal does.
    view = S.expect(api(tara).get(f"{ACCOUNTS}/{acc.id}/notification-recipients"), 200)
    assert view["emails"] == [], view
    # He is no member: the router's 403, as for any partner admin.
    S.expect_problem(api(t.admin).put(paul_path, json={"roles": ["service-provider"]}), 403)


def test_r19_a_repeated_self_demotion_is_no_error(api, sql, ldap_admin, make_tenant, make_account,
                                                  make_person, set_roles, invitation_mail):
    """Round-19 walkthrough of seed 000, D2: the seed's self-demotion sent
    again after it handed the account over (a double-submitted form, with
    or without _idempotency_key, or a repeated JSON PUT) answers as the
    first did (303 to return_to, 200 with the member), changes nothing and
    writes nothing; a real change of one's own roles stays 403. A service
    provider of an account that was not handed over gets 200 without a
    note. A member cannot PUT at all (403), another tenant 404."""
    t = make_tenant("r19c")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cust = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Fay", "Phi", "r19c-")
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    fields = [("_method", "PUT"), ("roles", "service-provider"),
              ("_idempotency_key", S.unique("r19c-key-")), ("return_to", FRONT19 + "/users/{id}")]
    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303 and r.headers["Location"] == FRONT19 + f"/users/{t.admin.uid}", S.describe(r)
    assert sql.account(acc.id)["status"] == "active"
    trail = len(sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303 and r.headers["Location"] == FRONT19 + f"/users/{t.admin.uid}", S.describe(r)
    r = api(t.admin).form("POST", path, [f for f in fields if f[0] != "_idempotency_key"])
    assert r.status_code == 303, S.describe(r)
    got = S.expect(api(t.admin).put(path, json={"roles": ["service-provider"]}), 200)
    assert got["roles"] == ["service-provider"], got
    assert got["note"] == ("the account was already handed over to its customer by your own change; "
                           "you are a service provider of it"), got
    assert len(sql.audit(acc.id)) == trail and _mails(sql, acc.id, before) == []
    p = S.expect_problem(api(t.admin).put(path, json={"roles": ["member"]}), 403)
    assert "cannot change their own roles" in p["detail"], p
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    # A service provider of an account that was never staged: 200, no note.
    t2 = make_tenant("r19c2")
    plain = make_account(t2.admin, "customer", t2.account.id)
    sp = make_person(prefix="r19cs")
    set_roles(t2.admin, plain.id, sp, ["service-provider"])
    sp_path = f"{ACCOUNTS}/{plain.id}/members/{sp.uid}"
    got = S.expect(api(sp).put(sp_path, json={"roles": ["service-provider"]}), 200)
    assert got["roles"] == ["service-provider"] and "note" not in got, got
    p = S.expect_problem(api(sp).put(sp_path, json={"roles": ["service-provider", "member"]}), 403)
    assert p["detail"] == "a service provider cannot change their own roles; ask an admin", p
    # Who may not: a member (403), another tenant (404).
    mem = make_person(prefix="r19cm")
    set_roles(cust, acc.id, mem, ["member"])
    S.expect_problem(api(mem).put(f"{ACCOUNTS}/{acc.id}/members/{mem.uid}", json={"roles": ["member"]}), 403)
    S.expect_problem(api(make_tenant("r19c-o").admin).put(path, json={"roles": ["service-provider"]}), 404)


def test_r19_a_providers_grant_of_the_role_is_told_to_the_customer(api, sql, ldap_admin, mailbox, make_tenant,
                                                                   make_account, make_person, set_roles,
                                                                   invitation_mail):
    """Round-19 walkthrough of seed 000, D3: after the hand-over, a
    service provider who gives the service-provider role — to a colleague
    added at once, to an outside address whose invitation is accepted, or
    by a PUT that adds it — mails the account's named contacts
    provider-granted, naming who gave it to whom with their organizations;
    not the grantee, not the provider, not the notification recipients.
    Grants by the customer's admin, and a PUT that takes the role away,
    mail nobody extra. A member may not grant (403), another tenant 404."""
    t = make_tenant("r19d")
    pat = make_person(prefix="r19dp")
    set_roles("olivia", t.account.id, pat, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    kim = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Kim", "Kappa", "r19d-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}),
             200)
    assert sql.account(acc.id)["status"] == "active"
    S.expect(api(kim).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                          json={"emails": [kim.mail, "it@r19d.example"]}), 200)
    paul_as = f"{t.admin.name} of {t.account.name}"
    invitations = f"{ACCOUNTS}/{acc.id}/invitations"

    def granted(after):
        return _mails(sql, acc.id, after, template="provider-granted")

    # A colleague added at once.
    before = S.outbox_max_id(sql)
    got = S.expect(api(t.admin).post(invitations, json={"email": pat.mail, "role": "service-provider"}), 201)
    assert got["status"] == "added", got
    rows = granted(before)
    assert [S.norm_addr(r["recipient"]) for r in rows] == [S.norm_addr(kim.mail)], rows
    assert rows[0]["subject"] == f"{acc.name}: a service provider was added", rows[0]
    body = rows[0]["body"]
    assert body.startswith("Hello Kim Kappa,"), body
    assert (f"{paul_as} made {pat.name} of {t.account.name} ({pat.mail}) a service provider of {acc.name}, "
            "added at once, as a person the directory already knew.") in body, body
    assert f"{paul_as} is a service provider of {acc.name}, not one of its administrators." in body, body
    got = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert got and got[-1].sent_to(kim.mail), got
    assert providers(api, kim, acc.id)[pat.uid]["granted_by"] == t.admin.uid

    # An outside address: nothing when invited, the mail at the accept.
    sam_mail = S.unique_mail("r19d-sam-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(invitations, json={"email": sam_mail, "role": "service-provider",
                                                  "first_name": "Sam", "last_name": "Else"}), 202)
    _, token = invitation_mail(sam_mail, after=before)
    assert granted(before) == []
    sam = S.expect(S.accept_invitation(api, token, uid=S.unique("r19dsam"), password="sam-pass-1234"), 200)["uid"]
    rows = granted(before)
    assert [S.norm_addr(r["recipient"]) for r in rows] == [S.norm_addr(kim.mail)], rows
    assert (f"{paul_as} made Sam Else ({sam_mail}) a service provider of {acc.name}, by an invitation, "
            "which they have now accepted.") in rows[0]["body"], rows[0]["body"]
    assert providers(api, kim, acc.id)[sam]["granted_by"] == t.admin.uid

    # A PUT that adds the role to a member.
    wes = make_person(prefix="r19dw")
    set_roles(kim, acc.id, wes, ["member"])
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{wes.uid}",
                              json={"roles": ["member", "service-provider"]}), 200)
    rows = granted(before)
    assert [S.norm_addr(r["recipient"]) for r in rows] == [S.norm_addr(kim.mail)], rows
    assert (f"{paul_as} made {wes.name} ({wes.mail}) a service provider of {acc.name}, by a change of their "
            "roles in the account.") in rows[0]["body"], rows[0]["body"]
    # ... taking it away, or the customer's admin granting it: nothing extra.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{wes.uid}", json={"roles": ["member"]}), 200)
    S.expect(api(kim).put(f"{ACCOUNTS}/{acc.id}/members/{wes.uid}",
                          json={"roles": ["member", "service-provider"]}), 200)
    assert granted(before) == []
    # Who may not: a member (403), another tenant (404); nothing mailed.
    ann = make_person(prefix="r19da")
    set_roles(kim, acc.id, ann, ["member"])
    before = S.outbox_max_id(sql)
    S.expect_problem(api(ann).put(f"{ACCOUNTS}/{acc.id}/members/{wes.uid}",
                                  json={"roles": ["member"]}), 403)
    S.expect_problem(api(ann).post(invitations, json={"email": S.unique_mail("r19d-x-"),
                                                      "role": "service-provider"}), 403)
    S.expect_problem(api(make_tenant("r19d-o").admin).put(f"{ACCOUNTS}/{acc.id}/members/{ann.uid}",
                                                          json={"roles": ["service-provider"]}), 404)
    assert granted(before) == []


def test_r19_a_colleague_left_admin_is_named_and_told(api, sql, ldap_admin, make_tenant, make_account,
                                                      make_person, set_roles, invitation_mail):
    """Round-19 walkthrough of seed 000, D4: in the seed's self-demotion
    while a partner colleague is also admin, the colleague stays admin
    (decided); the new owner's mail names him with his organization ("…
    is still an administrator of it …; you can change that in the
    account's people"), he is mailed handed-over-to-customer saying he is
    still its administrator, and a partner billing colleague the
    hand-over moves to service-provider is told too."""
    t = make_tenant("r19e")
    pat, bob = make_person(prefix="r19ep"), make_person(prefix="r19eb")
    for p in (pat, bob):
        set_roles("olivia", t.account.id, p, ["member"])
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    set_roles(t.admin, acc.id, pat, ["admin"])
    set_roles(t.admin, acc.id, bob, ["billing"])
    emma = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Emma", "Epsilon", "r19e-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}", json={"roles": ["service-provider"]}),
             200)
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, pat) == {"admin"}
    assert S.roles_in_ldap(ldap_admin, acc.id, bob) == {"service-provider"}
    hers = [_owner_mail(sql, acc.id, before, emma.mail)]
    assert (f"{t.admin.name} handed {acc.name} over to you: it is now active and {t.admin.name} is a "
            f"service provider. {pat.name} of {t.account.name} is still an administrator of it") in hers[0]["body"], \
        hers[0]["body"]
    assert "you can change that in the account's people." in hers[0]["body"], hers[0]["body"]
    his = _mails(sql, acc.id, before, to=pat.mail)
    assert [r["template"] for r in his] == ["handed-over-to-customer"], his
    assert (f"{t.admin.name} handed {acc.name} over to its customer: it is now active and {t.admin.name} is a "
            "service provider.") in his[0]["body"], his[0]["body"]
    assert "You are still one of its administrators" in his[0]["body"], his[0]["body"]
    billing = _mails(sql, acc.id, before, to=bob.mail)
    assert [r["template"] for r in billing] == ["handed-over-to-customer"], billing
    assert ("You keep access as a service provider only: the hand-over ended your other roles in it "
            "(a billing person)") in billing[0]["body"], billing[0]["body"]
    # The one who made the change gets no such mail.
    assert _mails(sql, acc.id, before, template="handed-over-to-customer", to=t.admin.mail) == []


# ---- round-20 walkthrough of seed 000: a customer admin who invites a
# second customer admin into the staged account is no provider (D1, D2);
# the seed's self-demotion form with its _version sent twice (D3).

HANDOVER_MAILS = {"contact-changed", "account-handed-over", "handed-over-to-customer",
                  "invitation-withdrawn", "ownership-transferred", "transfer-completed"}


def _r20_second_customer_admin(api, sql, invitation_mail, mailbox, first, account_id, names, prefix):
    """`first`, the customer's admin, invites a second admin who accepts;
    the invitation-accepted mail `first` got for it, as it arrived."""
    before = S.outbox_max_id(sql)
    second = _r19_customer(api, sql, invitation_mail, first, account_id, *names, prefix)
    told = _mails(sql, account_id, before, template="invitation-accepted")
    assert [S.norm_addr(r["recipient"]) for r in told] == [S.norm_addr(first.mail)], told
    got = mailbox.wait_for(outbox_id=told[0]["id"])
    assert got and got[-1].sent_to(first.mail), got
    return second, told[0], got[-1]


def test_r20_a_customer_admins_own_demotion_is_no_hand_over(api, sql, ldap_admin, mailbox, make_tenant,
                                                             make_account, make_person, set_roles,
                                                             invitation_mail):
    """Round-20 walkthrough of seed 000, D1 and D2: on a staged account the
    customer's admin (Mia, invited by the partner) invites a second
    customer admin (Max). Her invitation-accepted mail no longer tells her
    to hand the account over (the provider's step, which the partner's
    copy keeps): it says the account stays staged until the people who
    prepare it hand it over. Her own change of role away from admin, to
    service-provider or (on a second account) to member, while the partner
    is still admin, is an ordinary role change: the account stays staged,
    no contacts, no transfer.* audit rows, no hand-over mails, and the
    partner's POST …/transfer still works. The genuine hand-overs still
    work: the partner's own self-demotion, and the customer's admin
    demoting the partner. A member may not change her roles (403), another
    tenant sees nothing (404)."""
    t = make_tenant("r20a")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    before = S.outbox_max_id(sql)
    mia = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Mia", "Mu", "r20a-")
    # The partner's copy keeps the step: he is the provider.
    his = _mails(sql, acc.id, before, template="invitation-accepted")
    assert [S.norm_addr(r["recipient"]) for r in his] == [S.norm_addr(t.admin.mail)], his
    assert ("To hand the account over, change your own role to service provider: "
            f"{acc.name} then becomes active and its customer's") in his[0]["body"], his[0]["body"]

    # D2: the customer admin's copy leaves the provider's step out.
    max_, row, mail = _r20_second_customer_admin(api, sql, invitation_mail, mailbox, mia, acc.id,
                                                 ("Max", "Mu"), "r20a2-")
    assert row["subject"] == f"{acc.name}: Max Mu accepted your invitation", row
    body = mail.body.replace("\r\n", "\n")
    assert body.startswith("Hello Mia Mu,"), body
    assert (f"Max Mu ({max_.mail}) accepted your invitation and is now an administrator of "
            f"{acc.name}.") in body, body
    assert (f"{acc.name} stays staged until the people who prepare it for you hand it over; "
            "then it becomes active.") in body, body
    assert "change your own role" not in body and "service provider" not in body, body

    # Who may not change Mia's roles: a member (403), another tenant (404).
    mia_path = f"{ACCOUNTS}/{acc.id}/members/{mia.uid}"
    m = make_person(prefix="r20am")
    set_roles(mia, acc.id, m, ["member"])
    S.expect_problem(api(m).put(mia_path, json={"roles": ["service-provider"]}), 403)
    S.expect_problem(api(make_tenant("r20a-o").admin).put(mia_path, json={"roles": ["service-provider"]}), 404)

    # D1: Mia follows what her mail used to say.
    trail = len(sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    got = S.expect(api(mia).put(mia_path, json={"roles": ["service-provider"]}), 200)
    assert got["roles"] == ["service-provider"] and "note" not in got, got
    assert sql.account(acc.id)["status"] == "staged"
    assert S.roles_in_ldap(ldap_admin, acc.id, mia) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"admin"}
    assert S.roles_in_ldap(ldap_admin, acc.id, max_) == {"admin"}
    assert _contacts(sql, acc.id) == {}
    rows = sql.audit(acc.id)[trail:]
    assert [r["action"] for r in rows] == ["member.set_roles"], rows
    assert rows[0]["uid"] == mia.uid and rows[0]["new_value"] == {"uid": mia.uid, "roles": ["service-provider"]}
    assert not [r for r in sql.audit(acc.id) if r["action"].startswith("transfer.")]
    assert not [r for r in _mails(sql, acc.id, before) if r["template"] in HANDOVER_MAILS], \
        _mails(sql, acc.id, before)
    view = S.expect(api(max_).get(f"{ACCOUNTS}/{acc.id}"), 200)
    assert view["status"] == "staged", view
    # Now a service provider, she cannot make herself admin again.
    p = S.expect_problem(api(mia).put(mia_path, json={"roles": ["admin"]}), 403)
    assert "cannot change their own roles" in p["detail"], p

    # The partner's own step still hands it over: to Max, the one customer
    # admin, who becomes both contacts and is told.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": max_.uid, "technical": max_.uid}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["uid"] == t.admin.uid, done
    assert done[0]["new_value"] == {"status": "active", "via": "role-change", "owner": max_.uid}, done
    owner = [_owner_mail(sql, acc.id, before, max_.mail)]
    assert (f"{t.admin.name} handed {acc.name} over to you: it is now active and {t.admin.name} is a "
            "service provider.") in owner[0]["body"], owner[0]["body"]
    assert _mails(sql, acc.id, before, to=mia.mail) == []


def test_r20_a_customer_admin_demoting_herself_to_member_and_the_customer_demoting_the_partner(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-20 walkthrough of seed 000, D1 (Omicron): Olga, the customer's
    admin, demotes herself to member while the partner and a second
    customer admin (Oscar) stay admin: the account stays staged, nothing
    of a hand-over is written or mailed, and the partner's POST …/transfer
    is still possible (202, not 409). Making the partner a service
    provider is the hand-over (active, Oscar both contacts, the partner
    told, Oscar's copy saying it is his); since round 26 (walkthrough of
    seed 000, D1) Oscar's change is 403 and operator staff make it."""
    t = make_tenant("r20b")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    olga = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Olga", "Omi", "r20b-")
    oscar, _, _ = _r20_second_customer_admin(api, sql, invitation_mail, mailbox, olga, acc.id,
                                             ("Oscar", "Omi"), "r20b2-")
    trail = len(sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    got = S.expect(api(olga).put(f"{ACCOUNTS}/{acc.id}/members/{olga.uid}", json={"roles": ["member"]}), 200)
    assert got["roles"] == ["member"], got
    assert sql.account(acc.id)["status"] == "staged"
    assert S.roles_in_ldap(ldap_admin, acc.id, olga) == {"member"}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"admin"}
    assert _contacts(sql, acc.id) == {}
    assert [r["action"] for r in sql.audit(acc.id)[trail:]] == ["member.set_roles"]
    assert _mails(sql, acc.id, before) == []
    # Still staged: the partner's transfer is possible (and may be replaced).
    pending = S.unique_mail("r20b-t-")
    inv = transfer(api, t.admin, acc.id, pending)["id"]

    # The customer's admin demoting the partner hands it over, once the
    # partner's own hand-over is no longer pending (round-24 walkthrough
    # of seed 000, D2: 409 while it is).
    paul_path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    S.expect_problem(api(oscar).put(paul_path, json={"roles": ["service-provider"]}), 403, "forbidden")
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/invitations/{inv}"), 204)
    S.expect_problem(api(oscar).put(paul_path, json={"roles": ["service-provider"]}), 403, "forbidden")
    ops = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    before = S.outbox_max_id(sql)
    S.expect_problem(api(olga).put(paul_path, json={"roles": ["service-provider"]}), 403)
    S.expect(api("olivia").put(paul_path, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": oscar.uid, "technical": oscar.uid}
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["uid"] == "olivia", done
    his = _mails(sql, acc.id, before, to=t.admin.mail)
    assert [r["template"] for r in his] == ["handed-over-to-customer"], his
    assert (f"{ops} made you a service provider of {acc.name}, which handed it over to its customer: "
            "it is now active.") in his[0]["body"], his[0]["body"]
    got = mailbox.wait_for(outbox_id=his[0]["id"])
    assert got and got[-1].sent_to(t.admin.mail), got
    owner = [_owner_mail(sql, acc.id, before, oscar.mail)]
    assert len(owner) == 1 and "which handed it over to you" in owner[0]["body"], owner
    assert _mails(sql, acc.id, before, to=pending) == []
    assert _mails(sql, acc.id, before, to=olga.mail) == []


def test_r20_operator_staff_are_the_provider_side_of_a_parentless_account(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, invitation_mail):
    """Round-20 walkthrough of seed 000, D1 and D2, without a parent: the
    customer admin operator staff invited (Eli) invites a second (Fay);
    Eli's invitation-accepted says the account stays staged, and her own
    demotion to service-provider leaves it staged while olivia (operator
    staff) is admin. olivia's own step then hands it over to Fay."""
    olivia = _olivia(api)
    acc = _parentless_staged(make_account)
    eli = _r19_customer(api, sql, invitation_mail, "olivia", acc.id, "Eli", "Eta", "r20c-")
    fay, _, mail = _r20_second_customer_admin(api, sql, invitation_mail, mailbox, eli, acc.id,
                                              ("Fay", "Eta"), "r20c2-")
    body = mail.body.replace("\r\n", "\n")
    assert f"{acc.name} stays staged until the people who prepare it for you hand it over" in body, body
    assert "change your own role" not in body, body
    before = S.outbox_max_id(sql)
    S.expect(api(eli).put(f"{ACCOUNTS}/{acc.id}/members/{eli.uid}", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "staged"
    assert S.roles_in_ldap(ldap_admin, acc.id, olivia) == {"admin"}
    assert not [r for r in sql.audit(acc.id) if r["action"].startswith("transfer.")]
    assert not [r for r in _mails(sql, acc.id, before) if r["template"] in HANDOVER_MAILS]
    S.expect_problem(api(make_tenant("r20c-o").admin).put(f"{ACCOUNTS}/{acc.id}/members/{eli.uid}",
                                                          json={"roles": ["member"]}), 404)
    S.expect(api("olivia").put(f"{ACCOUNTS}/{acc.id}/members/olivia", json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": fay.uid, "technical": fay.uid}


def test_r20_a_customer_admins_own_change_hands_over_only_where_no_partner_is_admin(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, invitation_mail):
    """Round-20 walkthrough of seed 000, D1: where an LDAP administrator
    left no person of the partner admin, the invariant still hands the
    account over on a customer admin's own change (to member here), and
    the new owner's copy says what she did — not that she "is a service
    provider"."""
    t = make_tenant("r20d")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    nina = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Nina", "Nu", "r20d-")
    noah, _, _ = _r20_second_customer_admin(api, sql, invitation_mail, mailbox, nina, acc.id,
                                            ("Noah", "Nu"), "r20d2-")
    assert ldap_admin.modify(S.role_dn(acc.id, "admin"), {"member": [(ldap3.MODIFY_DELETE, [t.admin.dn])]}), \
        ldap_admin.result
    assert ldap_admin.modify(S.role_dn(acc.id, "service-provider"),
                             {"member": [(ldap3.MODIFY_ADD, [t.admin.dn])]}), ldap_admin.result
    path = f"{ACCOUNTS}/{acc.id}/members/{nina.uid}"
    before = S.outbox_max_id(sql)
    r = S.poll(lambda: api(nina).put(path, json={"roles": ["member"]}),
               lambda r: r.status_code == 200, 5)
    assert S.expect(r, 200)["roles"] == ["member"]
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": noah.uid, "technical": noah.uid}
    owner = [_owner_mail(sql, acc.id, before, noah.mail)]
    assert (f"Nina Nu changed their own roles in {acc.name}, which handed it over to you: it is now "
            "active.") in owner[0]["body"], owner[0]["body"]
    assert "is a service provider" not in owner[0]["body"], owner[0]["body"]


def test_r20_the_self_demotion_form_with_its_version_sent_twice(api, sql, ldap_admin, make_tenant,
                                                                make_account, make_person, set_roles,
                                                                invitation_mail):
    """Round-20 walkthrough of seed 000, D3: the seed's self-demotion form
    carrying the _version docs/api.md tells forms to send, submitted twice:
    the first hands the account over (and moves its version on), the
    second is the no-op it is, 303 to return_to, not 412 "Someone else
    changed this in the meantime"; nothing written or mailed. A stale
    version still answers 412 for any real change (the provider's own
    change, which is 403 with the version as it is; the customer admin's
    change of someone's roles; an admin's PUT of their own roles, which is
    no no-op accountd skips). A member (403) and another tenant (404) may
    not send it."""
    t = make_tenant("r20e")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cust = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Cee", "r20e-")
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    old = sql.account(acc.id)["version"]
    fields = [("_method", "PUT"), ("roles", "service-provider"), ("_version", str(old)),
              ("return_to", FRONT19 + "/users/{id}")]
    # Who may not: a member (403), another tenant (404).
    mem = make_person(prefix="r20em")
    set_roles(cust, acc.id, mem, ["member"])
    assert api(mem).form("POST", path, fields).status_code == 403
    assert api(make_tenant("r20e-o").admin).form("POST", path, fields).status_code == 404

    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303 and r.headers["Location"] == FRONT19 + f"/users/{t.admin.uid}", S.describe(r)
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["version"] > old, a
    trail = len(sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303 and r.headers["Location"] == FRONT19 + f"/users/{t.admin.uid}", S.describe(r)
    # The JSON repeat with the stale ETag: the no-op's 200 and its note.
    got = S.expect(api(t.admin).put(path, json={"roles": ["service-provider"]},
                                    headers={"If-Match": f'"{acc.id}.{old}"'}), 200)
    assert got["roles"] == ["service-provider"] and "by your own change" in got["note"], got
    assert len(sql.audit(acc.id)) == trail and _mails(sql, acc.id, before) == []
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    # A real change with the stale version is 412, as before.
    stale = {"If-Match": f'"{acc.id}.{old}"'}
    p = S.expect_problem(api(t.admin).put(path, json={"roles": ["member"]}, headers=stale), 412,
                         "precondition-failed")
    assert p["detail"] == "the account changed since you read it; read it again", p
    real = [("_method", "PUT"), ("roles", "member"), ("_version", str(old))]
    assert api(t.admin).form("POST", path, real).status_code == 412
    now = sql.account(acc.id)["version"]
    S.expect_problem(api(t.admin).put(path, json={"roles": ["member"]},
                                      headers={"If-Match": f'"{acc.id}.{now}"'}), 403)
    S.expect_problem(api(cust).put(path, json={"roles": ["member"]}, headers=stale), 412, "precondition-failed")
    S.expect_problem(api(cust).put(f"{ACCOUNTS}/{acc.id}/members/{cust.uid}", json={"roles": ["admin"]},
                                   headers=stale), 412, "precondition-failed")
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    assert len(sql.audit(acc.id)) == trail and _mails(sql, acc.id, before) == []


def test_the_repair_job_finishes_a_hand_over_whose_partner_roles_name_no_role(sql, staged, env):
    """A hand-over's intent whose data lists a partner's roles with
    something else than a role's name (a number) is finished by `accountd
    maint` like any other, and the partner is told: transfer.c read that
    list with its own copy of saga.c's reader, which took the number for a
    name and crashed (review of round 20, M1 item 2)."""
    t, acc, colleague, worker = staged
    plan = {"kind": "set-roles", "account_id": int(acc.id), "person_dn": worker.dn,
            "person_uid": worker.uid, "roles_before": ["member"], "roles_after": ["member"]}
    told = S.unique_mail("pt-")
    data = {"handover": {"partners": [{"mail": told, "name": "Pat Partner", "what": "removed",
                                       "roles": [1]}]}}
    intent = S.plant_open_intent(sql, acc.id, plan, data)
    out = maint(env)
    assert f"intent {intent} (set-roles, account {acc.id}): finished" in out, out
    assert sql.value("SELECT state FROM ldap_intents WHERE id=%s", intent) == "done"
    assert sql.account(acc.id)["intent_id"] is None
    assert len(S.outbox_rows(sql, recipient=told)) == 1, S.outbox_rows(sql, account_id=acc.id)


# The account's id filled in (round-24 walkthrough of seed 000, D4: the
# mail read a literal "POST /accounts/{id}/transfer").
STAGED_NOTE = ("stay an administrator while you are its contact (the account is staged: when you"
               " hand it over to its customer, by POST /api/v1/accounts/{id}/transfer or by changing your"
               " own role to service provider, the contacts move to the customer's administrator;"
               " only if it has several do you name one of them contact first).")


def test_r21_the_provider_named_contact_of_a_staged_account_reads_that_the_hand_over_moves_it(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-21 walkthrough of seed 000, D3: Paul named himself contact of a
    staged account and his contact-changed note told him to name other
    administrators contacts before changing his role, a step the hand-over
    does for him. Decision: on a staged account, the note to a person of
    the provider's side says that the hand-over moves the contacts to the
    customer's administrator; the customer's own admin named contact, and
    the provider named contact of an active account, keep the note as it
    was. A member may not name contacts (403), another tenant 404."""
    t = make_tenant("r21c")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    member, other = make_person(prefix="r21cm"), make_tenant("r21co")
    set_roles(t.admin, acc.id, member, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/contacts/primary"
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).put(path, json={"uid": t.admin.uid}), 403)
    S.expect_problem(api(other.admin).put(path, json={"uid": t.admin.uid}), 404)
    assert _contacts(sql, acc.id) == {}
    assert S.outbox_max_id(sql) == before

    def note(before, who):
        rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
                if r["template"] == "contact-changed"
                and S.norm_addr(r["recipient"]) == S.norm_addr(who.mail)]
        assert len(rows) == 1, rows
        return " ".join(rows[0]["body"].split())

    for kind, also in (("primary", ""), ("technical", ", and you are its primary contact too")):
        before = S.outbox_max_id(sql)
        S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/{kind}",
                                  json={"uid": t.admin.uid}), 200)
        body = note(before, t.admin)
        assert (f"You are now its {kind} contact{also}: you get its account and billing mail, may"
                " request password resets for its people, and " + STAGED_NOTE.format(id=acc.id)) in body, body
        assert "{id}" not in body, body
        assert "to change your role or leave" not in body, body
    # The customer's own admin, named while staged: the note as before.
    cora = _invite_customer_as_admin(api, invitation_mail, sql, t.admin, acc.id)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical",
                              json={"uid": cora.uid}), 200)
    body = note(before, cora)
    assert ("(to change your role or leave, name another administrator technical contact"
            " first).") in body, body
    assert "the account is staged" not in body, body
    # After the hand-over (it moves the contacts to Cora), the provider
    # named again on the active account reads the note as before.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": cora.uid, "technical": cora.uid}


def test_r21_an_active_accounts_partner_contact_keeps_the_note(api, sql, make_tenant,
                                                               make_account):
    """Round-21 walkthrough of seed 000, D3, the other side: on an active
    account the partner's admin named contact reads the note as it was."""
    t = make_tenant("r21a")
    acc = make_account(t.admin, "customer", t.account.id)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    rows = [r for r in S.outbox_mails(sql, account_id=acc.id, after_id=before)
            if r["template"] == "contact-changed"
            and S.norm_addr(r["recipient"]) == S.norm_addr(t.admin.mail)]
    assert len(rows) == 1, rows
    body = " ".join(rows[0]["body"].split())
    assert "(to change your role or leave, name another administrator primary contact first)." \
        in body, body
    assert "the account is staged" not in body, body


# ---- round-22 walkthrough of seed 000: the transfer's accept names and
# tells the customer's admins the partner added while staging (D1); the
# hand-over by role change says where the notifications go (D2).

def test_r22_the_transfer_names_and_tells_the_customers_admins_already_in_it(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-22 walkthrough of seed 000, D1: the partner invited the
    customer's admin Zoe while staging (the seed's step 2 and 3), then
    handed the account over to Zack by POST …/transfer. Zoe stays admin;
    Zack's ownership-transferred names her ("Zoe Zed (zoe@…) is still an
    administrator of it …"), and Zoe gets account-handed-over, as the
    hand-over by role change tells the customer's admins. The partner's
    people (Paul, his colleague Pat) get transfer-completed only, as
    before. A member may not transfer (403), another tenant sees nothing
    (404)."""
    t = make_tenant("r22z")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    pat = make_person(prefix="r22zp")
    set_roles("olivia", t.account.id, pat, ["member"])
    set_roles(t.admin, acc.id, pat, ["admin"])
    zoe = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Zoe", "Zed", "r22z-zoe-")
    worker = make_person(prefix="r22zw")
    set_roles(t.admin, acc.id, worker, ["member"])
    zack_mail = S.unique_mail("r22z-zack-")
    body = {"email": zack_mail, "first_name": "Zack", "last_name": "Zed"}
    S.expect_problem(api(worker).post(f"{ACCOUNTS}/{acc.id}/transfer", json=body), 403)
    S.expect_problem(api(make_tenant("r22z-o").admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json=body), 404)
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json=body), 202)
    _, token = invitation_mail(zack_mail, after=before)
    # Nothing is told before the accept.
    assert _mails(sql, acc.id, before, template="account-handed-over") == []
    before = S.outbox_max_id(sql)
    zack_uid = S.expect(S.accept_invitation(api, token, uid=S.unique("r22zack"), password="r22-zack-1234"),
                        200)["uid"]
    assert sql.account(acc.id)["status"] == "active"
    assert S.roles_in_ldap(ldap_admin, acc.id, zoe) == {"admin"}
    assert S.roles_in_ldap(ldap_admin, acc.id, t.admin) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, pat) == {"service-provider"}
    assert _contacts(sql, acc.id) == {"primary": zack_uid, "technical": zack_uid}
    # Zack's mail names Zoe.
    his = _mails(sql, acc.id, before, to=zack_mail)
    assert [r["template"] for r in his] == ["ownership-transferred"], his
    assert (f"its notifications go to {zack_mail}.\nZoe Zed ({zoe.mail}) is still an administrator of it: "
            "the people who prepared it added them, and the hand-over leaves the customer's "
            "administrators as they are; you can change that in the account's people.\n\n") in his[0]["body"], \
        his[0]["body"]
    # Zoe is told, with the mail the hand-over by role change sends.
    hers = _mails(sql, acc.id, before, to=zoe.mail)
    assert [r["template"] for r in hers] == ["account-handed-over"], hers
    assert hers[0]["subject"] == f"{acc.name} was handed over to you", hers[0]
    assert hers[0]["body"].startswith("Hello Zoe Zed,\n\n"), hers[0]["body"]
    assert (f"Zack Zed accepted the hand-over of {acc.name} from the people who prepared it: it is now "
            f"active and its customer's, and Zack Zed is its primary and technical contact. Its "
            f"notifications go to {zack_mail}. You are still one of its administrators, as the people who "
            "prepared it made you; they keep access as its service providers.") in hers[0]["body"], \
        hers[0]["body"]
    # The partner's people: transfer-completed only, as before; the member
    # nothing.
    for p in (t.admin, pat):
        assert [r["template"] for r in _mails(sql, acc.id, before, to=p.mail)] == ["transfer-completed"], p
    assert _mails(sql, acc.id, before, to=worker.mail) == []
    assert {S.norm_addr(r["recipient"]) for r in _mails(sql, acc.id, before, template="account-handed-over")} \
        == {S.norm_addr(zoe.mail)}


def test_r22_a_transfer_without_other_customer_admins_names_none(api, sql, invitation_mail, staged):
    """Round-22 walkthrough of seed 000, D1: with no customer admin in the
    account besides the new owner, ownership-transferred has no such line
    and nobody gets account-handed-over."""
    t, acc, colleague, worker = staged
    email = S.unique_mail("r22n-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, email)
    _, token = invitation_mail(email, after=before)
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, uid=S.unique("r22n"), password="r22-n-12345"), 200)
    mine = _mails(sql, acc.id, before, template="ownership-transferred")
    assert len(mine) == 1 and "still an administrator" not in mine[0]["body"], mine
    assert f"its notifications go to {email}.\n\n" in mine[0]["body"], mine[0]["body"]
    assert _mails(sql, acc.id, before, template="account-handed-over") == []


def test_r22_the_role_change_hand_over_says_where_notifications_go(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-22 walkthrough of seed 000, D2: the partner set the recipients
    to his address and a shared mailbox while staging; his self-demotion
    hands the account over to Cora and leaves them. Her mail
    (account-handed-over since round 23, D2) now says where the
    notifications go and who may change them; the other readers' copies
    of contact-changed do not. With several customer admins the
    account-handed-over text says it too. A member may not make the change
    (403), another tenant 404."""
    t = make_tenant("r22r")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    shared = S.unique_mail("r22r-labels-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [t.admin.mail, shared]}), 200)
    cora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Capek", "r22r-cora-")
    member = make_person(prefix="r22rm")
    set_roles(t.admin, acc.id, member, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    S.expect_problem(api(member).put(path, json={"roles": ["service-provider"]}), 403)
    S.expect_problem(api(make_tenant("r22r-o").admin).put(path, json={"roles": ["service-provider"]}), 404)
    assert sql.account(acc.id)["status"] == "staged"
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    assert set(S.expect(api(cora).get(f"{ACCOUNTS}/{acc.id}/notification-recipients"), 200)["emails"]) \
        == {t.admin.mail, shared}
    said = (f"Its notifications go to {t.admin.mail}, {shared}: an administrator, or its service providers, "
            "can change its notification recipients.")
    hers = [_owner_mail(sql, acc.id, before, cora.mail)]
    assert (f"{t.admin.name} handed {acc.name} over to you: it is now active and {t.admin.name} is a service "
            f"provider. {said}\n\nYou are now its primary and technical contact") in hers[0]["body"], \
        hers[0]["body"]
    others = _mails(sql, acc.id, before, template="contact-changed")
    assert {S.norm_addr(r["recipient"]) for r in others} == {S.norm_addr(t.admin.mail), S.norm_addr(shared)}, \
        _mails(sql, acc.id, before)
    for r in others:
        assert "Its notifications go to" not in r["body"], r
    # Several customer admins: account-handed-over says it, to each.
    t2 = make_tenant("r22s")
    acc2 = make_account(t2.admin, "customer", t2.account.id, staged=True)
    S.expect(api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/notification-recipients",
                               json={"emails": [t2.admin.mail]}), 200)
    c1 = _r19_customer(api, sql, invitation_mail, t2.admin, acc2.id, "Cai", "One", "r22s-c1-")
    c2 = _r19_customer(api, sql, invitation_mail, t2.admin, acc2.id, "Cai", "Two", "r22s-c2-")
    before = S.outbox_max_id(sql)
    S.expect(api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/members/{t2.admin.uid}",
                               json={"roles": ["service-provider"]}), 200)
    rows = _mails(sql, acc2.id, before, template="account-handed-over")
    assert {S.norm_addr(r["recipient"]) for r in rows} == {S.norm_addr(c1.mail), S.norm_addr(c2.mail)}, rows
    for r in rows:
        assert (f"{t2.admin.name} handed {acc2.name} over to you: it is now active and {t2.admin.name} is a "
                f"service provider. Its notifications go to {t2.admin.mail}: an administrator, or its service "
                "providers, can change its notification recipients.") in r["body"], r["body"]


def test_r23_only_the_provider_side_sends_the_transfer(api, sql, make_tenant, make_account, make_person,
                                                       set_roles, invitation_mail):
    """Round-23 walkthrough of seed 000, D1: the customer's admin Dora,
    whom the partner invited while staging, sent POST …/transfer herself
    and handed the account to a third person, whose invitation said that
    Dora had prepared it; the partner heard nothing. The hand-over is the
    provider's step: Dora gets 403 naming who prepared it and what she can
    do meanwhile, and nothing is written or mailed. Paul (the partner's
    admin) and operator staff still send it; a member is 403, another
    tenant 404."""
    t = make_tenant("r23d")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    dora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Dora", "Dunkel", "r23d-dora-")
    worker = make_person(prefix="r23dw")
    set_roles(t.admin, acc.id, worker, ["member"])
    body = {"email": S.unique_mail("r23d-dirk-"), "first_name": "Dirk", "last_name": "Dunkel"}
    path = f"{ACCOUNTS}/{acc.id}/transfer"
    count = "SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s"
    invitations = sql.value(count, int(acc.id))
    before = S.outbox_max_id(sql)
    p = S.expect_problem(api(dora).post(path, json=body), 403, "forbidden")
    assert "the hand-over is the provider's step" in p["detail"], p
    assert f"{t.admin.name} of {t.account.name}, or operator staff" in p["detail"], p
    assert f"POST /api/v1/accounts/{acc.id}/invitations" in p["detail"], p
    assert f"PUT /api/v1/accounts/{acc.id}/members/{{uid}}" in p["detail"], p
    # A form gets the same refusal.
    S.expect_problem(api(dora).post(path, data=body), 403, "forbidden")
    assert sql.value(count, int(acc.id)) == invitations
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id)) is None
    assert S.outbox_max_id(sql) == before
    assert [r for r in sql.audit(acc.id) if r["action"] == "transfer.request"] == []
    assert sql.account(acc.id)["status"] == "staged"
    # A member: the route's 403, which sends them to the provider's side.
    p = S.expect_problem(api(worker).post(path, json=body), 403, "forbidden")
    assert "the hand-over is the provider's step" in p["detail"], p
    S.expect_problem(api(make_tenant("r23d-o").admin).post(path, json=body), 404)
    assert sql.value(count, int(acc.id)) == invitations
    # The partner's admin and operator staff still send it.
    S.expect(api(t.admin).post(path, json=body), 202)
    S.expect(api("olivia").post(path, json=body), 202)
    assert sql.account(acc.id)["status"] == "staged"
    requests = [r for r in sql.audit(acc.id) if r["action"] == "transfer.request"]
    assert {r["uid"] for r in requests} == {t.admin.uid, "olivia"}, requests


def test_r23_a_self_demotion_before_any_customer_admin_says_what_comes_first(
        api, sql, make_tenant, make_account, make_person, set_roles):
    """Round-23 walkthrough of seed 000, D3: the partner who changes his
    own role to service provider on a staged account before inviting
    anyone got only "an account always keeps at least one admin"; the 409
    now says to invite the customer as admin first or to use POST
    …/transfer. An active account keeps the bare rule. A member may not
    make the change (403), another tenant 404."""
    t = make_tenant("r23m")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    member = make_person(prefix="r23mm")
    set_roles(t.admin, acc.id, member, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    S.expect_problem(api(member).put(path, json={"roles": ["service-provider"]}), 403)
    S.expect_problem(api(make_tenant("r23m-o").admin).put(path, json={"roles": ["service-provider"]}), 404)
    p = S.expect_problem(api(t.admin).put(path, json={"roles": ["service-provider"]}), 409, "last-admin")
    assert p["detail"] == (
        "an account always keeps at least one admin; the account is staged: invite its customer as an "
        f"administrator first (POST /api/v1/accounts/{acc.id}/invitations with role admin) and change your "
        f"role once they have accepted, or hand it over with POST /api/v1/accounts/{acc.id}/transfer"), p
    assert sql.account(acc.id)["status"] == "staged"
    # Leaving says "leave".
    p = S.expect_problem(api(t.admin).delete(path), 409, "last-admin")
    assert "the account is staged" in p["detail"] and "and leave once they have accepted" in p["detail"], p
    # An active account: the bare rule.
    active = make_account(t.admin, "customer", t.account.id)
    p = S.expect_problem(api(t.admin).put(f"{ACCOUNTS}/{active.id}/members/{t.admin.uid}",
                                          json={"roles": ["service-provider"]}), 409, "last-admin")
    assert p["detail"] == "an account always keeps at least one admin", p


def test_r23_the_revoked_provider_is_told_which_project_roles_ended(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-23 walkthrough of seed 000, D6: the partner created a project
    while staging; after the hand-over the customer ended his access, which
    ended his project roles too, and his mail said only "you no longer have
    access". provider-access-changed now names them, as member-removed
    does. A member and the provider himself may not revoke (403), another
    tenant 404."""
    t = make_tenant("r23p")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    project = S.unique("r23p-labels")
    pid = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/projects", json={"name": project}), 201)["id"]
    cora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Capek", "r23p-cora-")
    member = make_person(prefix="r23pm")
    set_roles(t.admin, acc.id, member, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    path = f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}"
    S.expect_problem(api(member).delete(path), 403)
    S.expect_problem(api(t.admin).delete(path), 403)
    S.expect_problem(api(make_tenant("r23p-o").admin).delete(path), 404)
    before = S.outbox_max_id(sql)
    S.expect(api(cora).delete(path), 204)
    rows = _mails(sql, acc.id, before, template="provider-access-changed", to=t.admin.mail)
    assert len(rows) == 1, _mails(sql, acc.id, before)
    assert (f"Cora Capek ended your service-provider access to {acc.name}: you no longer have access. "
            f"Your roles in its projects ended with it: \"{project}\" (owner).") in rows[0]["body"], rows[0]["body"]
    members = S.expect(api(cora).get(f"/api/v1/projects/{pid}"), 200)["members"]
    assert t.admin.uid not in [m["uid"] for m in members], members


def test_r23_the_role_change_hand_over_reaches_the_new_owner_as_handed_over_to_her(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-23 walkthrough of seed 000, D2: the seed's literal path (the
    partner's recipients his address and a shared one, the customer's
    admin invited and accepted, the partner's own role changed by form).
    The new owner's only mail was contact-changed, titled "the primary and
    technical contact changed", with "handed … over to you" after its
    footer. Now she gets one mail, account-handed-over ("… was handed over
    to you"): the hand-over first, then what being the contact means; the
    contact-changed copies of the partner and the shared address are as
    before, and she gets none. A member (403) and another tenant (404) may
    not make the change, which mails nothing. When the two kinds had
    different old contacts (the technical one an LDAP administrator took
    out of the admin group), she is still told once."""
    t = make_tenant("r23h")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    shared = S.unique_mail("r23h-labels-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [t.admin.mail, shared]}), 200)
    cora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Capek", "r23h-cora-")
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    fields = [("_method", "PUT"), ("roles", "service-provider"),
              ("_version", str(sql.account(acc.id)["version"])), ("return_to", FRONT19 + "/users/{id}")]
    member = make_person(prefix="r23hm")
    set_roles(t.admin, acc.id, member, ["member"])
    before = S.outbox_max_id(sql)
    assert api(member).form("POST", path, fields).status_code == 403
    assert api(make_tenant("r23h-o").admin).form("POST", path, fields).status_code == 404
    assert sql.account(acc.id)["status"] == "staged" and _mails(sql, acc.id, before) == []
    fields = [f if f[0] != "_version" else ("_version", str(sql.account(acc.id)["version"])) for f in fields]
    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303, S.describe(r)
    assert sql.account(acc.id)["status"] == "active"
    assert _contacts(sql, acc.id) == {"primary": cora.uid, "technical": cora.uid}
    # Hers: every mail of the change to her is this one.
    assert [r["template"] for r in _mails(sql, acc.id, before, to=cora.mail)] == ["account-handed-over"]
    hers = _owner_mail(sql, acc.id, before, cora.mail)
    assert hers["subject"] == f"{acc.name} was handed over to you", hers
    assert hers["body"].startswith(
        f"Hello Cora Capek,\n\n{t.admin.name} handed {acc.name} over to you: it is now active and "
        f"{t.admin.name} is a service provider. Its notifications go to {t.admin.mail}, {shared}: an "
        "administrator, or its service providers, can change its notification recipients.\n\n"
        "You are now its primary and technical contact: you get its account and billing mail, may request "
        "password resets for its people, and stay an administrator while you are its contact (to change "
        "your role or leave, name other administrators its primary and technical contacts first).\n\n"
        "As its administrator you name its primary and technical contacts and its notification "
        "recipients"), hers["body"]
    assert hers["body"].rstrip("\n").endswith(f"You get this mail as an administrator of {acc.name}."), \
        hers["body"]
    assert "name another contact yourself" not in hers["body"], hers["body"]
    # The other readers' contact-changed, as before.
    others = {S.norm_addr(r["recipient"]): r for r in _mails(sql, acc.id, before, template="contact-changed")}
    assert set(others) == {S.norm_addr(t.admin.mail), S.norm_addr(shared)}, others
    for r in others.values():
        assert r["subject"] == f"{acc.name}: the primary and technical contact changed", r
        assert (f"changed the primary and technical contact of {acc.name} from nobody to Cora Capek."
                in r["body"]), r["body"]
        assert "over to you" not in r["body"] and "You are now its" not in r["body"], r["body"]
        assert "Its notifications go to" not in r["body"], r["body"]
    assert "You made this change." in others[S.norm_addr(t.admin.mail)]["body"]
    assert "If you did not expect this change, ask an administrator of" in others[S.norm_addr(shared)]["body"]
    assert [r["template"] for r in _mails(sql, acc.id, before, template="account-handed-over")] == \
        ["account-handed-over"]

    # Two old contacts: the partner primary, his colleague technical until
    # an LDAP administrator took her admin role; she is told once.
    t2 = make_tenant("r23k")
    sue = make_person(prefix="r23ks")
    set_roles("olivia", t2.account.id, sue, ["member"])
    acc2 = make_account(t2.admin, "customer", t2.account.id, staged=True)
    set_roles(t2.admin, acc2.id, sue, ["admin"])
    S.expect(api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/contacts/primary", json={"uid": t2.admin.uid}), 200)
    S.expect(api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/contacts/technical", json={"uid": sue.uid}), 200)
    kim = _r19_customer(api, sql, invitation_mail, t2.admin, acc2.id, "Kim", "Kappa", "r23k-kim-")
    assert ldap_admin.modify(S.role_dn(acc2.id, "admin"), {"member": [(ldap3.MODIFY_DELETE, [sue.dn])]}), \
        ldap_admin.result
    before = S.outbox_max_id(sql)
    r = S.poll(lambda: api(t2.admin).put(f"{ACCOUNTS}/{acc2.id}/members/{t2.admin.uid}",
                                         json={"roles": ["service-provider"]}),
               lambda r: r.status_code == 200, 5)
    S.expect(r, 200)
    assert sql.account(acc2.id)["status"] == "active"
    assert _contacts(sql, acc2.id) == {"primary": kim.uid, "technical": kim.uid}
    assert [r["template"] for r in _mails(sql, acc2.id, before, to=kim.mail)] == ["account-handed-over"]
    body = _owner_mail(sql, acc2.id, before, kim.mail)["body"]
    assert "You are now its primary contact, and you are its technical contact too" in body, body
    changed = _mails(sql, acc2.id, before, template="contact-changed")
    assert [(S.norm_addr(r["recipient"]), r["subject"]) for r in changed] == [
        (S.norm_addr(t2.admin.mail), f"{acc2.name}: the primary contact changed")], changed


def test_r24_the_customers_admin_neither_resends_nor_revokes_the_hand_over(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-24 walkthrough of seed 000, D1: the customer's admin Gina
    resent the partner's pending hand-over (and became its sender, so that
    its invitee read that she had prepared the account) or revoked it, and
    nobody was told. Both are the provider's step, as POST …/transfer is:
    403 with the same detail, nothing written or mailed. Her resend and
    revoke of an ordinary invitation stay hers; the partner and operator
    staff resend and revoke the hand-over; a member is 403, another tenant
    404."""
    t = make_tenant("r24g")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    gina = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Gina", "Grau", "r24g-gina-")
    worker = make_person(prefix="r24gw")
    set_roles(t.admin, acc.id, worker, ["member"])
    gus = S.unique_mail("r24g-gus-")
    inv = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                     json={"email": gus, "first_name": "Gus", "last_name": "Grau"}), 202)["id"]
    path = f"{ACCOUNTS}/{acc.id}/invitations/{inv}"
    row = "SELECT status, invited_by, token_hash FROM invitations WHERE id=%s"
    was = sql.row(row, int(inv))
    before = S.outbox_max_id(sql)
    for r in (api(gina).post(path + "/resend"), api(gina).delete(path),
              api(gina).form("POST", path, [("_method", "DELETE")])):
        p = S.expect_problem(r, 403, "forbidden")
        assert p["detail"].startswith(
            "the hand-over is the provider's step: only the people who prepared this staged account "
            f"({t.admin.name} of {t.account.name}, or operator staff) hand it over, by POST "
            f"/api/v1/accounts/{acc.id}/transfer or by changing their own role to service-provider, "
            "and they resend or revoke its invitation; ask them."), p
    assert sql.row(row, int(inv)) == was
    assert S.outbox_max_id(sql) == before
    assert [r for r in sql.audit(acc.id) if r["action"] in ("invitation.resend", "invitation.revoke")] == []
    # A member: 403; another tenant: 404.
    S.expect_problem(api(worker).post(path + "/resend"), 403)
    S.expect_problem(api(worker).delete(path), 403)
    S.expect_problem(api(make_tenant("r24g-o").admin).delete(path), 404)
    assert sql.row(row, int(inv)) == was
    # Her own ordinary invitation stays hers to resend and revoke.
    own = S.expect(api(gina).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                  json={"email": S.unique_mail("r24g-m-"), "role": "member"}), 202)["id"]
    S.expect(api(gina).post(f"{ACCOUNTS}/{acc.id}/invitations/{own}/resend"), 202)
    S.expect(api(gina).delete(f"{ACCOUNTS}/{acc.id}/invitations/{own}"), 204)
    # The provider's side: the partner resends (stays its sender),
    # operator staff too, the partner revokes.
    S.expect(api(t.admin).post(path + "/resend"), 202)
    assert sql.row(row, int(inv))["invited_by"] == t.admin.uid
    S.expect(api("olivia").post(path + "/resend"), 202)
    S.expect(api(t.admin).delete(path), 204)
    assert sql.row(row, int(inv))["status"] == "revoked"


def _r26_preparers_roles_detail(t, acc):
    """The 403 of the change of a preparer's roles by the customer's admin
    (round-26 walkthrough of seed 000, D1)."""
    return (
        "changing the roles of the people who prepared a staged account is the provider's step, as its "
        f"hand-over is: only the people who prepared this staged account ({t.admin.name} of "
        f"{t.account.name}, or operator staff) change their own roles or hand it over, by POST "
        f"/api/v1/accounts/{acc.id}/transfer or by changing their own role to service-provider; once it is "
        "handed over, its administrators change their roles; ask them. As its administrator you can invite "
        f"people (POST /api/v1/accounts/{acc.id}/invitations) and change the roles of people other than "
        f"those who prepared it (PUT /api/v1/accounts/{acc.id}/members/{{uid}}) meanwhile; nothing was "
        "changed")


def test_r24_the_customers_admin_does_not_take_over_a_pending_hand_over(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-24 walkthrough of seed 000, D2: while the partner's hand-over
    to Zack was pending, the customer's admin Zoe made the partner a
    service provider, which handed the account to her and withdrew his
    hand-over, and neither mail said so. The hand-over is the provider's
    step: her PUT or DELETE of the partner is refused, nothing is written
    or mailed. Her 403 on POST …/transfer no longer points her to that
    change. Since round 26 (walkthrough of seed 000, D1) the refusal is
    the 403 of the provider's steps whether or not a hand-over is pending
    (it was a 409 naming the pending hand-over): once the partner revoked
    his hand-over, her change is still 403, and his own self-demotion is
    what hands over. A member is 403, another tenant 404."""
    t = make_tenant("r24z")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    zoe = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Zoe", "Zed", "r24z-zoe-")
    worker = make_person(prefix="r24zw")
    set_roles(t.admin, acc.id, worker, ["member"])
    p = S.expect_problem(api(zoe).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": S.unique_mail("r24z-")}),
                         403, "forbidden")
    assert p["detail"].endswith(
        f"As its administrator you can invite people (POST /api/v1/accounts/{acc.id}/invitations) and "
        "change the roles of people other than those who prepared it (PUT "
        f"/api/v1/accounts/{acc.id}/members/{{uid}}) meanwhile"), p
    zack = S.unique_mail("r24z-zack-")
    inv = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                     json={"email": zack, "first_name": "Zack", "last_name": "Zed"}), 202)["id"]
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"
    before = S.outbox_max_id(sql)
    for r in (api(zoe).put(path, json={"roles": ["service-provider"]}), api(zoe).delete(path)):
        p = S.expect_problem(r, 403, "forbidden")
        assert p["detail"] == _r26_preparers_roles_detail(t, acc), p
    assert sql.account(acc.id)["status"] == "staged"
    assert sql.value("SELECT status FROM invitations WHERE id=%s", int(inv)) == "pending"
    roles = {m["uid"]: m["roles"] for m in S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/members"), 200)["items"]}
    assert "admin" in roles[t.admin.uid], roles
    assert S.outbox_max_id(sql) == before
    S.expect_problem(api(worker).put(path, json={"roles": ["service-provider"]}), 403)
    S.expect_problem(api(make_tenant("r24z-o").admin).put(path, json={"roles": ["service-provider"]}), 404)
    # The partner revokes his hand-over: her change is still the
    # provider's step (round 26, D1); his own self-demotion hands over.
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}/invitations/{inv}"), 204)
    S.expect_problem(api(zoe).put(path, json={"roles": ["service-provider"]}), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "staged"
    S.expect(api(t.admin).put(path, json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"


def test_r26_the_customers_admin_does_not_hand_over_by_changing_the_preparers_roles(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-26 walkthrough of seed 000, D1: on a staged account with no
    hand-over pending, the customer's admin Lisa, refused the close
    ("only the people who prepared this staged account … close it or hand
    it over"), set the partner Paul to member in one PUT, which handed the
    account over to her (Paul left a member), and her next DELETE closed
    it. The roles of the people who prepared it (the partner's people
    holding roles there) are the provider's to change: her PUT (member,
    service-provider, also as a form with error_to) and DELETE of the
    partner's admin, and her change of his colleague who holds billing
    there, are 403 with the provider's-step detail; the account stays
    staged, nothing is written, mailed or audited, and her close is still
    403. Her change of a person the partner did not bring is 200 and
    hands nothing over. A member gets 403, another tenant 404. Operator
    staff (the provider's side) may change the partner's roles; the
    partner's own self-demotion hands over, after which the customer's
    admin closes."""
    t = make_tenant("r26l")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    lisa = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Lisa", "Lutz", "r26l-lisa-")
    colleague = make_person(prefix="r26lc")
    set_roles(t.admin, t.account.id, colleague, ["member"])
    set_roles(t.admin, acc.id, colleague, ["billing"])
    worker = make_person(prefix="r26lw")
    set_roles(t.admin, acc.id, worker, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}"

    def roles():
        return {m["uid"]: m["roles"]
                for m in S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/members"), 200)["items"]}

    was = roles()
    before = S.outbox_max_id(sql)
    audits = len(sql.audit(acc.id))
    S.expect_problem(api(lisa).delete(f"{ACCOUNTS}/{acc.id}"), 403, "forbidden")
    for r in (api(lisa).put(path, json={"roles": ["member"]}),
              api(lisa).put(path, json={"roles": ["service-provider"]}),
              api(lisa).delete(path),
              api(lisa).put(f"{ACCOUNTS}/{acc.id}/members/{colleague.uid}", json={"roles": ["member"]}),
              api(lisa).delete(f"{ACCOUNTS}/{acc.id}/members/{colleague.uid}")):
        p = S.expect_problem(r, 403, "forbidden")
        assert p["detail"] == _r26_preparers_roles_detail(t, acc), p
    # The form with error_to: 303 there, same refusal.
    r = api(lisa).form("POST", path, [("_method", "PUT"), ("roles", "member"),
                                      ("error_to", S.ORIGIN + "/err")])
    assert r.status_code == 303, (r.status_code, r.text)
    assert r.headers["Location"].startswith(S.ORIGIN + "/err"), r.headers
    assert "forbidden" in r.headers["Location"], r.headers
    assert sql.account(acc.id)["status"] == "staged"
    assert sql.account(acc.id)["handed_over_at"] is None
    assert roles() == was
    assert S.outbox_max_id(sql) == before
    assert len(sql.audit(acc.id)) == audits
    S.expect_problem(api(lisa).delete(f"{ACCOUNTS}/{acc.id}"), 403, "forbidden")
    # A member: 403; another tenant: 404; nothing changed.
    S.expect_problem(api(worker).put(path, json={"roles": ["member"]}), 403)
    S.expect_problem(api(worker).delete(path), 403)
    other = make_tenant("r26l-o").admin
    S.expect_problem(api(other).put(path, json={"roles": ["member"]}), 404)
    S.expect_problem(api(other).delete(path), 404)
    assert roles() == was and sql.account(acc.id)["status"] == "staged"
    # Her change of someone the partner did not bring: 200, still staged.
    got = S.expect(api(lisa).put(f"{ACCOUNTS}/{acc.id}/members/{worker.uid}", json={"roles": ["billing"]}), 200)
    assert got["roles"] == ["billing"], got
    assert sql.account(acc.id)["status"] == "staged"
    # Operator staff are of the provider's side: their change of the
    # partner's colleague is theirs to make.
    S.expect(api("olivia").put(f"{ACCOUNTS}/{acc.id}/members/{colleague.uid}", json={"roles": ["member"]}), 200)
    assert sql.account(acc.id)["status"] == "staged"
    # The partner's own self-demotion hands over, as the seed says.
    S.expect(api(t.admin).put(path, json={"roles": ["service-provider"]}), 200)
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["handed_over_at"] is not None, a
    assert roles()[t.admin.uid] == ["service-provider"]
    # Handed over: its administrators change the provider's roles and close.
    S.expect(api(lisa).put(f"{ACCOUNTS}/{acc.id}/members/{colleague.uid}", json={"roles": ["member"]}), 200)
    S.expect(api(lisa).delete(f"{ACCOUNTS}/{acc.id}"), 204)


def test_r26_operator_staff_change_the_partners_roles_on_a_staged_account(
        api, sql, make_tenant, make_account, invitation_mail):
    """Round-26 walkthrough of seed 000, D1: the change of the preparers'
    roles stays the provider's side's: operator staff setting the
    partner's admin to service-provider hand the staged account over to
    the customer's admin, as before."""
    t = make_tenant("r26o")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cust = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Olga", "Ost", "r26o-cust-")
    S.expect(api("olivia").put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                               json={"roles": ["service-provider"]}), 200)
    a = sql.account(acc.id)
    assert a["status"] == "active" and a["handed_over_at"] is not None, a
    done = [r for r in sql.audit(acc.id) if r["action"] == "transfer.complete"]
    assert len(done) == 1 and done[0]["new_value"]["owner"] == cust.uid, done


def test_r24_the_transfer_of_an_active_account_is_409_for_everyone_in_it(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-24 walkthrough of seed 000, D3: on an account handed over
    already, the partner (its service provider now) and a member got the
    route's 403 "ask the people who prepared the account"; docs/api.md
    says 409 "not staged" for everyone. Now every person of the account
    gets the 409, before the body is read; another tenant 404; on a
    staged account a member still gets the provider's-step 403."""
    t = make_tenant("r24a")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Capek", "r24a-cora-")
    worker = make_person(prefix="r24aw")
    set_roles(t.admin, acc.id, worker, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/transfer"
    p = S.expect_problem(api(worker).post(path, json={"email": S.unique_mail("r24a-")}), 403, "forbidden")
    assert "the hand-over is the provider's step" in p["detail"] and "As its administrator" not in p["detail"], p
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    for who in (t.admin, worker, cora, "olivia"):
        for body in ({"email": S.unique_mail("r24a-")}, {}):
            p = S.expect_problem(api(who).post(path, json=body), 409, "conflict")
            assert p["detail"] == "only a staged account can be handed over; this one is not staged", p
    S.expect_problem(api(make_tenant("r24a-o").admin).post(path, json={"email": S.unique_mail("r24a-")}), 404)
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s AND purpose='transfer'",
                     int(acc.id)) == 0


def test_r25_closing_a_staged_account_is_the_provider_sides_step(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-25 walkthrough of seed 000, D1: the customer's admin Hana,
    whom the partner invited while staging, closed the staged account,
    also while the partner's hand-over was pending: the preparation was
    closed for good, the hand-over withdrawn, and its invitee not told.
    Closing a staged account is the provider's step, as its hand-over is:
    403 with the hand-over's kind of detail, nothing written or mailed,
    with or without a pending hand-over. A member gets the route's 403,
    another tenant 404; the partner's admin and operator staff close."""
    t = make_tenant("r25c")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    hana = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Hana", "Huber", "r25c-hana-")
    worker = make_person(prefix="r25cw")
    set_roles(t.admin, acc.id, worker, ["member"])
    inv = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                     json={"email": S.unique_mail("r25c-hugo-"), "first_name": "Hugo",
                                           "last_name": "Huber"}), 202)["id"]
    path = f"{ACCOUNTS}/{acc.id}"
    stranger = make_tenant("r25c-o").admin
    before = S.outbox_max_id(sql)
    for r in (api(hana).delete(path), api(hana).delete(path)):
        p = S.expect_problem(r, 403, "forbidden")
        assert p["detail"].startswith(
            "closing a staged account is the provider's step, as its hand-over is: only the people "
            f"who prepared this staged account ({t.admin.name} of {t.account.name}, or operator staff) "
            f"close it or hand it over, by POST /api/v1/accounts/{acc.id}/transfer or by changing "
            "their own role to service-provider; once it is handed over, its administrators close "
            "it; ask them. As its administrator you can invite people"), p
    S.expect_problem(api(worker).delete(path), 403)
    S.expect_problem(api(stranger).delete(path), 404)
    assert sql.account(acc.id)["status"] == "staged"
    assert sql.value("SELECT status FROM invitations WHERE id=%s", int(inv)) == "pending"
    assert S.outbox_max_id(sql) == before
    assert [r for r in sql.audit(acc.id) if r["action"] == "account.close"] == []
    # Without a pending hand-over the same.
    other = make_account(t.admin, "customer", t.account.id, staged=True)
    tara = _r19_customer(api, sql, invitation_mail, t.admin, other.id, "Tara", "Tal", "r25c-tara-")
    p = S.expect_problem(api(tara).delete(f"{ACCOUNTS}/{other.id}"), 403, "forbidden")
    assert "closing a staged account is the provider's step" in p["detail"], p
    assert sql.account(other.id)["status"] == "staged"
    # The provider's side closes: the partner's admin, operator staff.
    S.expect(api(t.admin).delete(path), 204)
    assert sql.account(acc.id)["status"] == "closed"
    S.expect(api("olivia").delete(f"{ACCOUNTS}/{other.id}"), 204)
    assert sql.account(other.id)["status"] == "closed"


def test_r25_a_handed_over_account_is_closed_by_the_customers_admin(
        api, sql, make_tenant, make_account, invitation_mail):
    """Round-25 walkthrough of seed 000, D1: the rule is the staged
    account's only; once handed over (active), the customer's admin
    closes it as before."""
    t = make_tenant("r25h")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Cole", "r25h-cora-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    S.expect(api(cora).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    assert sql.account(acc.id)["status"] == "closed"


def _r25_owner_mail(mailbox, acc, email):
    got = mailbox.wait_for(to=email, predicate=lambda m: acc.name in m.subject and "is now yours" in m.subject)
    assert got, "no ownership-transferred mail"
    return text(got[-1])


def test_r25_operator_staff_under_a_partner_are_not_offered_for_revocation(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-25 walkthrough of seed 000, D2: operator staff who stage a
    customer under a partner (olivia, an admin of the partner as its
    creator) and hand it over keep access as operators whatever the
    customer ends: the transfer invitation and ownership-transferred say
    so and do not offer to revoke them ("you can revoke that at any time"
    stays for the partner's people only, named apart when both are moved).
    Who may send the transfer: a member of the account 403, another tenant
    404."""
    olivia = _olivia(api)
    t = make_tenant("r25o")
    # Operator staff only.
    acc = make_account("olivia", "customer", t.account.id, staged=True)
    m = make_person(prefix="r25om")
    set_roles("olivia", acc.id, m, ["member"])
    tom_mail = S.unique_mail("r25-tom-")
    S.expect_problem(api(m).post(f"{ACCOUNTS}/{acc.id}/transfer", json={"email": tom_mail}), 403)
    S.expect_problem(api(make_tenant("r25o-o").admin).post(f"{ACCOUNTS}/{acc.id}/transfer",
                                                          json={"email": tom_mail}), 404)
    before = S.outbox_max_id(sql)
    transfer(api, "olivia", acc.id, tom_mail)
    mail, token = invitation_mail(tom_mail, after=before)
    body = text(mail)
    assert (f"you become its administrator. The people who prepared it ({olivia.name}) are the platform's"
            " operator staff: they keep access as your service providers, for support. You can end that role"
            " at any time, but operator staff can act in every account as the platform's operators, whatever"
            " role they hold in it, so ending it does not end their access.\n" in body), body
    assert "revoke" not in body, body
    S.expect(S.accept_invitation(api, token, uid=S.unique("r25ot"), password="r25-tom-1234"), 200)
    assert S.expect(api("olivia").get(f"{ACCOUNTS}/{acc.id}/members/olivia"), 200)["roles"] == ["service-provider"]
    body = _r25_owner_mail(mailbox, acc, tom_mail)
    assert (f"The people who prepared it ({olivia.name}) are the platform's operator staff: they keep access as"
            " your service providers, for support, and you find them in the account's list of service"
            " providers. An administrator can end that role at any time, but operator staff can act in every"
            " account as the platform's operators, whatever role they hold in it, so ending it does not end"
            " their access. An administrator can also name other contacts" in body), body
    assert "end any one's access" not in body, body

    # Operator staff and the partner's admin: only the partner's people
    # are offered for revocation.
    acc2 = make_account("olivia", "customer", t.account.id, staged=True)
    set_roles("olivia", acc2.id, t.admin, ["admin"])
    tia_mail = S.unique_mail("r25-tia-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc2.id, tia_mail)
    mail, token = invitation_mail(tia_mail, after=before)
    body = text(mail)
    assert ("The people who prepared it keep access as your service providers, for support. You can revoke"
            f" the access of the partner's people among them ({t.admin.name}) at any time. The others"
            f" ({olivia.name}) are the platform's operator staff, who can act in every account as the"
            " platform's operators whatever role they hold in it: ending their service-provider role does"
            " not end their access.\n" in body), body
    S.expect(S.accept_invitation(api, token, uid=S.unique("r25ou"), password="r25-tia-1234"), 200)
    body = _r25_owner_mail(mailbox, acc2, tia_mail)
    assert ("The people who prepared it keep access as your service providers, for support, and you find"
            " them in the account's list of service providers. An administrator can revoke the access of the"
            f" partner's people among them ({t.admin.name}) at any time. The others ({olivia.name}) are the"
            " platform's operator staff" in body), body

    # The partner's people only: the sentence stays.
    acc3 = make_account(t.admin, "customer", t.account.id, staged=True)
    uma_mail = S.unique_mail("r25-uma-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc3.id, uma_mail)
    mail, _ = invitation_mail(uma_mail, after=before)
    body = text(mail)
    assert ("The people who prepared it keep access as your service providers, for support; you can revoke"
            " that at any time.\n" in body), body
    assert "operator staff" not in body, body


def test_a_transfer_refuses_invisible_characters_in_the_names(api, sql, make_tenant, staged):
    """Round-26 walkthrough of seed 004, D2: the hand-over's first_name and
    last_name take the one check of people's names (as the invitation's):
    422 naming the field, nothing written, no mail. A member may not
    (403), another tenant gets 404."""
    t, acc, colleague, worker = staged
    before = S.outbox_max_id(sql)
    errors = S.expect_field_errors(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={
        "email": S.unique_mail(), "first_name": "Cora\u200b", "last_name": "Cus\u00adtomer"}),
        "first_name", "last_name")
    assert errors == {
        "first_name": "must not contain invisible formatting characters: character 5 is U+200B "
                      "(zero-width space), which shows as nothing",
        "last_name": "must not contain invisible formatting characters: character 4 is U+00AD "
                     "(soft hyphen), which shows as nothing"}, errors
    S.expect_problem(api(worker).post(f"{ACCOUNTS}/{acc.id}/transfer", json={
        "email": S.unique_mail(), "first_name": "Cora\u200b"}), 403)
    S.expect_problem(api(make_tenant("r26tr-o").admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={
        "email": S.unique_mail(), "first_name": "Cora\u200b"}), 404)
    assert sql.row("SELECT * FROM account_transfers WHERE account_id=%s", int(acc.id)) is None
    assert S.outbox_mails(sql, account_id=acc.id, after_id=before) == []


def test_r27_the_customers_admin_does_not_change_the_preparers_provider_access(
        api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-27 walkthrough of seed 000, D1: on a staged account the
    customer's admin Lisa, refused the change of the partner colleague
    Pat's roles through PUT …/members/{uid}, set the end of his
    service-provider access (PATCH …/service-providers/{uid}) and ended it
    (DELETE), and gave a role back by invitation. All three are the change
    of the preparers' roles: the same 403, nothing written, audited or
    mailed. Her change of a provider she brought herself stays hers. A
    member gets the route's 403, another tenant 404; the provider's side
    (the partner, operator staff) limits and ends the access; once handed
    over, its administrators do."""
    t = make_tenant("r27l")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    lisa = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Lisa", "Lutz", "r27l-lisa-")
    pat = make_person(prefix="r27lp")
    set_roles(t.admin, t.account.id, pat, ["member"])
    set_roles(t.admin, acc.id, pat, ["service-provider", "member"])
    worker = make_person(prefix="r27lw")
    set_roles(t.admin, acc.id, worker, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/service-providers/{pat.uid}"
    future = "2031-12-01T08:00:00Z"

    def roles():
        return {m["uid"]: sorted(m["roles"])
                for m in S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/members"), 200)["items"]}

    access = "SELECT expires_at FROM service_provider_access WHERE account_id=%s AND uid=%s"
    was, was_access = roles(), sql.rows(access, int(acc.id), pat.uid)
    before = S.outbox_max_id(sql)
    audits = len(sql.audit(acc.id))
    for r in (api(lisa).patch(path, json={"expires_at": future}),
              api(lisa).patch(path, json={"expires_at": None}),
              api(lisa).delete(path),
              api(lisa).post(f"{ACCOUNTS}/{acc.id}/invitations", json={"email": pat.mail, "role": "billing"})):
        p = S.expect_problem(r, 403, "forbidden")
        assert p["detail"] == _r26_preparers_roles_detail(t, acc), p
    assert roles() == was and sql.rows(access, int(acc.id), pat.uid) == was_access
    assert S.outbox_max_id(sql) == before
    assert len(sql.audit(acc.id)) == audits
    assert sql.account(acc.id)["status"] == "staged"
    # A member: the route's 403; another tenant: 404; nothing changed.
    S.expect_problem(api(worker).patch(path, json={"expires_at": future}), 403)
    S.expect_problem(api(worker).delete(path), 403)
    other = make_tenant("r27l-o").admin
    S.expect_problem(api(other).patch(path, json={"expires_at": future}), 404)
    S.expect_problem(api(other).delete(path), 404)
    assert roles() == was
    # A service provider she brought herself is hers to limit and end;
    # her invitation of a person the partner did not bring adds them.
    own = make_person(prefix="r27lo")
    set_roles(lisa, acc.id, own, ["service-provider"])
    own_path = f"{ACCOUNTS}/{acc.id}/service-providers/{own.uid}"
    S.expect(api(lisa).patch(own_path, json={"expires_at": future}), 200)
    S.expect(api(lisa).delete(own_path), 204)
    got = S.expect(api(lisa).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                  json={"email": worker.mail, "role": "billing"}), 201)
    assert got["status"] == "added", got
    # The provider's side: the partner and operator staff.
    assert S.expect(api(t.admin).patch(path, json={"expires_at": future}), 200)["expires_at"] == future
    S.expect(api("olivia").patch(path, json={"expires_at": None}), 200)
    S.expect(api(t.admin).delete(path), 204)
    assert roles()[pat.uid] == ["member"]
    # Handed over (the partner's self-demotion): its administrators do.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    S.expect(api(lisa).patch(f"{ACCOUNTS}/{acc.id}/service-providers/{t.admin.uid}",
                             json={"expires_at": future}), 200)


def test_r27_the_revocation_mail_names_the_roles_kept(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-27 walkthrough of seed 000, D2: Wendy, a member and a service
    provider, whose service-provider access the customer's admin Cora
    ended, read "you no longer have access" and still had it. The mail
    says which role ended and which she keeps; a person left with no role
    still reads "you no longer have access". A member may not revoke
    (403), another tenant 404."""
    t = make_tenant("r27w")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    cora = _r19_customer(api, sql, invitation_mail, t.admin, acc.id, "Cora", "Capek", "r27w-cora-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    wendy, sam, worker = make_person(prefix="r27ww"), make_person(prefix="r27ws"), make_person(prefix="r27wm")
    set_roles(cora, acc.id, wendy, ["member", "service-provider"])
    set_roles(cora, acc.id, sam, ["service-provider"])
    set_roles(cora, acc.id, worker, ["member"])
    path = f"{ACCOUNTS}/{acc.id}/service-providers/{wendy.uid}"
    S.expect_problem(api(worker).delete(path), 403)
    S.expect_problem(api(make_tenant("r27w-o").admin).delete(path), 404)
    before = S.outbox_max_id(sql)
    S.expect(api(cora).delete(path), 204)
    rows = _mails(sql, acc.id, before, template="provider-access-changed")
    assert [S.norm_addr(r["recipient"]) for r in rows] == [S.norm_addr(wendy.mail)], rows
    got = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert got, "the mail did not reach the SMTP sink"
    body = text(got[-1])
    assert (f"Cora Capek ended your service-provider role in {acc.name}; you keep access as a member."
            in body), body
    assert "you no longer have access" not in body, body
    # ... which is true.
    S.expect(api(wendy).get(f"{ACCOUNTS}/{acc.id}/members"), 200)
    # With no role left: the old sentence.
    before = S.outbox_max_id(sql)
    S.expect(api(cora).delete(f"{ACCOUNTS}/{acc.id}/service-providers/{sam.uid}"), 204)
    rows = _mails(sql, acc.id, before, template="provider-access-changed")
    got = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert (f"Cora Capek ended your service-provider access to {acc.name}: you no longer have access."
            in text(got[-1])), text(got[-1])


def test_r27_the_transfer_tells_a_colleague_which_roles_it_ended(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-27 walkthrough of seed 000, D3: the partner's colleague Pat,
    billing on the staged account, whom the accepted transfer left a
    service provider only, read "You keep access as a service provider.":
    he now reads which of his roles it ended, in the words of the
    hand-over by role change; the partner's admin keeps his sentence."""
    t = make_tenant("r27b")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    pat = make_person(prefix="r27bp")
    set_roles(t.admin, t.account.id, pat, ["member"])
    set_roles(t.admin, acc.id, pat, ["billing"])
    zack = S.unique_mail("r27b-zack-")
    before = S.outbox_max_id(sql)
    transfer(api, t.admin, acc.id, zack)
    _, token = invitation_mail(zack, after=before)
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, uid=S.unique("r27b"), password="r27-zack-1234"), 200)
    assert sql.account(acc.id)["status"] == "active"
    S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    rows = _mails(sql, acc.id, before, template="transfer-completed")
    by = {S.norm_addr(r["recipient"]): r for r in rows}
    assert set(by) == {S.norm_addr(pat.mail), S.norm_addr(t.admin.mail)}, rows
    got = mailbox.wait_for(outbox_id=by[S.norm_addr(pat.mail)]["id"])
    body = text(got[-1])
    assert ("You keep access as a service provider only: the hand-over ended your other roles in it "
            "(a billing person), as it leaves the partner's people service providers." in body), body
    got = mailbox.wait_for(outbox_id=by[S.norm_addr(t.admin.mail)]["id"])
    body = text(got[-1])
    assert "You keep access as a service provider." in body and "ended your other roles" not in body, body
