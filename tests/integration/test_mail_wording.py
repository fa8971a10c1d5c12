"""What the mails say (round-3 walkthroughs of seeds 000, 001, 003, 004):
invitations greet the invitee by the names given with them, a hand-over
has its own wording, the relation request names the customer's own account
id, closing an account is mailed, a contact named at create or accept is
told so, news mail says how to stop it (footer and List-Unsubscribe) and a
settings form can turn news off with a checkbox, and mails about add-on
subscriptions name the articles, never "(none)". Checked in the mails that
arrive and in mail_outbox."""
import pytest

import re

import support as S

ACCOUNTS = "/api/v1/accounts"
# {{contact_note}} of the contact person's invitation and added-to-account
# (round-20 walkthrough of seed 004, D4: it said "the person who gets its
# account and billing mail and may change its administrators and
# contacts", which any admin may; password resets, which only the named
# contacts ask for, were left out): the words of contact-changed's note.
CONTACT_NOTE = ("You will also be its primary and technical contact: you will get its account and"
                " billing mail, may request password resets for its people, and stay an"
                " administrator while you are its contact.")


def rows_since(sql, before, **filters):
    return S.wait_outbox_settled(sql, after_id=before, **filters)


class Received:
    """A received mail with its body's line ends as LF (SMTP sent CRLF)."""

    def __init__(self, mail):
        self.mail, self.msg, self.subject = mail, mail.msg, mail.subject
        self.body = mail.body.replace("\r\n", "\n")


def one_mail(mailbox, row):
    mails = mailbox.wait_for(outbox_id=row["id"], timeout=15)
    assert len(mails) == 1, f"no mail for outbox row {row}"
    return Received(mails[0])


def only(rows, template, recipient=None):
    found = [r for r in rows if r["template"] == template and
             (recipient is None or r["recipient"].lower() == recipient.lower())]
    assert len(found) == 1, (template, recipient, rows)
    return found[0]


# ---------------------------------------------------------------- item 1: greeting

def test_invitations_greet_the_invitee_by_the_names_given(api, sql, mailbox, make_tenant,
                                                          make_account):
    t = make_tenant("greet")
    acc = make_account(t.admin, "customer", t.account.id)
    named, plain = S.unique_mail("clara-"), S.unique_mail("anon-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={
        "email": named, "role": "member", "first_name": "Clara", "last_name": "Kundin"}), 202)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={
        "email": plain, "role": "member"}), 202)
    rows = rows_since(sql, before, account_id=acc.id)
    mail = one_mail(mailbox, only(rows, "invitation", named))
    assert mail.body.startswith("Hello Clara Kundin,\n"), mail.body
    mail = one_mail(mailbox, only(rows, "invitation", plain))
    assert mail.body.startswith("Hello,\n"), mail.body
    # A resend reads the names from the invitation.
    inv = sql.value("SELECT id FROM invitations WHERE account_id=%s AND email=%s", int(acc.id), named)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations/{inv}/resend"), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "invitation", named))
    assert mail.body.startswith("Hello Clara Kundin,\n"), mail.body
    # Inviting the address again without names keeps the names given
    # before (round-9 walkthrough of seed 003, O7); new names replace them.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={
        "email": named, "role": "billing"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "invitation", named))
    assert mail.body.startswith("Hello Clara Kundin,\n"), mail.body
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={
        "email": named, "role": "member", "first_name": "Klara"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "invitation", named))
    assert mail.body.startswith("Hello Klara Kundin,\n"), mail.body
    # Only a last name: no stray space.
    last = S.unique_mail("last-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={
        "email": last, "role": "member", "last_name": "Kundin"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "invitation", last))
    assert mail.body.startswith("Hello Kundin,\n"), mail.body


def test_contact_and_project_invitations_greet_by_name(api, sql, mailbox, make_tenant):
    t = make_tenant("greetc")
    contact = S.unique_mail("anna-")
    before = S.outbox_max_id(sql)
    r = api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-greet-"), "parent_id": t.account.id,
        "contact": {"first_name": "Anna", "last_name": "Albers", "email": contact}})
    acc = S.expect(r, 201)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc["id"]), "invitation", contact))
    assert mail.body.startswith("Hello Anna Albers,\n"), mail.body
    # It names the reseller that prepared the organization (round-11
    # walkthrough of seed 003, D1).
    assert f"{t.admin.name} of {t.account.name} invites you to join {acc['name']}" in mail.body, \
        mail.body
    # Round 6 (seeds 001, 003): the contact person is told what it means;
    # since round 20 (seed 004, D4) what only a contact gets and may do,
    # not "may change its administrators and contacts" (any admin may).
    assert (f"as an administrator.\n{CONTACT_NOTE}\n" in mail.body), mail.body
    assert "may change its administrators" not in mail.body, mail.body
    project = S.expect(api(t.admin).post(f"{ACCOUNTS}/{t.account.id}/projects",
                                         json={"name": S.unique("greet-p-")}), 201)
    reader = S.unique_mail("xaver-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/projects/{project['id']}/invitations", json={
        "email": reader, "role": "reader", "first_name": "Xaver"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before), "invitation", reader))
    assert mail.body.startswith("Hello Xaver,\n"), mail.body


def test_every_invitation_names_the_organization_of_who_sends_it(
        api, sql, mailbox, person, make_tenant, make_account, make_person, set_roles,
        invitation_mail, operator_id):
    """Round-12 walkthroughs of seeds 000 (D4) and 003 (D2): only the
    contact and hand-over invitations of a parent's person named the
    reseller. Every invitation (and the added-to-account mail of a person
    added at once) into an account names the organization its sender acts
    for: a person of an account above it "X of <the nearest such
    account>", also when they hold a role here too (the partner's admin of
    a staged account inviting the customer as admin: the seed's literal
    hand-over); operator staff "X on behalf of <the parent>" under a
    partner or distributor, "X of <the operator account>" right under it;
    the account's own people their name alone."""
    t = make_tenant("orgn")
    olivia = person("olivia")
    platform = sql.value("SELECT name FROM accounts WHERE id=%s", int(operator_id))

    def invite(by, account_id, role="member", **names):
        to = S.unique_mail("orgn-")
        before = S.outbox_max_id(sql)
        S.expect(api(by).post(f"{ACCOUNTS}/{account_id}/invitations",
                              json={"email": to, "role": role, **names}), 202)
        return to, one_mail(mailbox, only(rows_since(sql, before, account_id=account_id),
                                          "invitation", to))

    # The seed's literal hand-over: the partner's admin, admin of the
    # staged account too, invites the customer as admin (000 D4).
    staged = make_account(t.admin, "customer", t.account.id, staged=True)
    to, mail = invite(t.admin, staged.id, "admin", first_name="Clara", last_name="Kundin")
    assert (f"{t.admin.name} of {t.account.name} invites you to join {staged.name} as an "
            "administrator.") in mail.body, mail.body
    # The customer's own admin: the name alone.
    token = S.invitation_token(mail.mail)
    clara = S.expect(S.accept_invitation(api, token, uid=S.unique("orgc"),
                                         password="orgn-pw-12345"), 200)["uid"]
    S.PASSWORDS[clara] = "orgn-pw-12345"
    _, mail = invite(clara, staged.id)
    assert f"\nClara Kundin invites you to join {staged.name} as a member." in mail.body, mail.body
    assert " of " not in mail.body.split("invites you")[0], mail.body
    # Added at once (a person of the partner's tree): the same name.
    known = make_person(prefix="orgk")
    set_roles("olivia", t.account.id, known, ["member"])
    before = S.outbox_max_id(sql)
    r = S.expect(api(t.admin).post(f"{ACCOUNTS}/{staged.id}/invitations",
                                   json={"email": known.mail, "role": "member"}), 201)
    assert r["status"] == "added", r
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=staged.id),
                                  "added-to-account", known.mail))
    assert f"{t.admin.name} of {t.account.name} added you to {staged.name} as a member." \
        in mail.body, mail.body
    # A project of the customer's: the partner's admin is named with the partner.
    project = S.expect(api(t.admin).post(f"{ACCOUNTS}/{staged.id}/projects",
                                         json={"name": S.unique("orgn-p-")}), 201)
    to = S.unique_mail("orgp-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/projects/{project['id']}/invitations",
                               json={"email": to, "role": "reader"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before), "invitation", to))
    assert f"{t.admin.name} of {t.account.name} invites you to join project" in mail.body, \
        mail.body

    # A distributor above: its admin, also admin of a reseller's customer,
    # is named with the distributor (the nearest account above where they
    # hold a role; the reseller between is not theirs).
    dist = make_account("olivia", "distributor", operator_id)
    dadmin = make_person(prefix="orgd")
    set_roles("olivia", dist.id, dadmin, ["admin"])
    reseller = make_account("olivia", "partner", dist.id)
    cust = make_account("olivia", "customer", reseller.id)
    set_roles("olivia", cust.id, dadmin, ["admin"])
    _, mail = invite(dadmin, cust.id)
    assert f"{dadmin.name} of {dist.name} invites you to join {cust.name}" in mail.body, mail.body

    # Operator staff under a partner: on behalf of that partner (003 D2),
    # for an invitation, a resend and the organization's contact person.
    _, mail = invite("olivia", cust.id)
    assert f"{olivia.name} on behalf of {reseller.name} invites you to join {cust.name}" \
        in mail.body, mail.body
    contact = S.unique_mail("orgv-")
    before = S.outbox_max_id(sql)
    org = S.expect(api("olivia").post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-orgn-"), "parent_id": t.account.id,
        "company": {"name": "Via Sales GmbH", "street": "Ring 1", "postcode": "1010",
                    "city": "Wien", "country": "AT"},
        "contact": {"first_name": "Vera", "last_name": "Sales", "email": contact}}), 201)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=org["id"]), "invitation",
                                  contact))
    assert (f"{olivia.name} on behalf of {t.account.name} invites you to join {org['name']} as an "
            "administrator.") in mail.body, mail.body
    # The partner's own contact invitation, resent by operator staff.
    contact2 = S.unique_mail("orgw-")
    org2 = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-orgn-"), "parent_id": t.account.id,
        "contact": {"email": contact2}}), 201)
    inv = org2["contact"]["id"]
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").post(f"{ACCOUNTS}/{org2['id']}/invitations/{inv}/resend"), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=org2["id"]), "invitation",
                                  contact2))
    assert f"{olivia.name} on behalf of {t.account.name} invites you" in mail.body, mail.body
    # Right under the operator account: of the operator account.
    _, mail = invite("olivia", t.account.id)
    assert f"{olivia.name} of {platform} invites you to join {t.account.name}" in mail.body, \
        mail.body
    # The partner's own admin in the partner account: the name alone.
    _, mail = invite(t.admin, t.account.id)
    assert f"\n{t.admin.name} invites you to join {t.account.name}" in mail.body, mail.body


def test_mails_say_the_role_in_words(api, sql, mailbox, make_tenant, make_account, make_person,
                                     set_roles):
    """Stop-18 leftover: "invites you to join X as an administrator", not
    "as admin"; "as a service provider", not "as service-provider"."""
    t = make_tenant("rolew")
    acc = make_account(t.admin, "customer", t.account.id)
    cases = [("admin", "an administrator"), ("service-provider", "a service provider"),
             ("billing", "a billing person"), ("member", "a member")]
    for role, words in cases:
        to = S.unique_mail("rw-")
        before = S.outbox_max_id(sql)
        S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                   json={"email": to, "role": role}), 202)
        mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "invitation", to))
        assert f"invites you to join {acc.name} as {words}.\n" in mail.body, (role, mail.body)
        assert f"as {words}.\n\nAccept" in mail.body and "contact" not in mail.body, mail.body
    # A person of the tenant's tree is added at once and told so.
    known = make_person(prefix="rwk")
    set_roles("olivia", t.account.id, known, ["member"])
    before = S.outbox_max_id(sql)
    r = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations",
                                   json={"email": known.mail, "role": "billing"}), 201)
    assert r["status"] == "added", r
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "added-to-account",
                                  known.mail))
    assert f"added you to {acc.name} as a billing person.\n" in mail.body, mail.body
    # A project role.
    project = S.expect(api(t.admin).post(f"{ACCOUNTS}/{t.account.id}/projects",
                                         json={"name": S.unique("rw-p-")}), 201)
    to = S.unique_mail("rwp-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/projects/{project['id']}/invitations",
                               json={"email": to, "role": "editor"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before), "invitation", to))
    assert f"in {t.account.name} as an editor.\n" in mail.body, mail.body


def test_a_distributors_invitation_override_keeps_working(api, sql, mailbox, distributor,
                                                          make_account):
    """An override written before {{greeting}} existed renders as it did;
    a new one may use {{name}} and {{greeting}}."""
    admin, dist = distributor
    path = f"{ACCOUNTS}/{dist.id}/notification-templates/invitation"
    marker = S.unique("old-")
    S.expect(api(admin).put(path, json={
        "subject": "Join {{account_name}}",
        "body": f"Hi,\n{marker} {{{{inviter_name}}}}: {{{{link}}}}\n"}), 200)
    cust = make_account(admin, "customer", dist.id)
    to = S.unique_mail("ovr-")
    before = S.outbox_max_id(sql)
    S.expect(api(admin).post(f"{ACCOUNTS}/{cust.id}/invitations", json={
        "email": to, "role": "member", "first_name": "Olga"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=cust.id), "invitation", to))
    assert mail.body.startswith(f"Hi,\n{marker} "), mail.body
    S.expect(api(admin).put(path, json={
        "subject": "Join {{account_name}}",
        "body": "{{greeting}} ({{name}})\n{{link}}\n"}), 200)
    to = S.unique_mail("ovr2-")
    before = S.outbox_max_id(sql)
    S.expect(api(admin).post(f"{ACCOUNTS}/{cust.id}/invitations", json={
        "email": to, "role": "member", "first_name": "Olga", "last_name": "Elf"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=cust.id), "invitation", to))
    assert mail.body.startswith("Hello Olga Elf, (Olga Elf)\n"), mail.body
    S.expect(api(admin).delete(path), 204)


# ---------------------------------------------------------------- item 2: hand-over wording

def test_the_hand_over_invitation_has_its_own_wording(api, sql, mailbox, make_tenant, make_account):
    t = make_tenant("handw")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    to = S.unique_mail("clara-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json={
        "email": to, "first_name": "Clara", "last_name": "Kundin"}), 202)
    row = only(rows_since(sql, before, account_id=acc.id), "transfer-invitation", to)
    assert row["category"] == "transactional"
    mail = one_mail(mailbox, row)
    assert mail.subject == f"{acc.name} was prepared for you", mail.subject
    assert mail.body.startswith("Hello Clara Kundin,\n"), mail.body
    assert f"{t.admin.name} of {t.account.name} prepared the account {acc.name} for you" \
        in mail.body, mail.body
    assert "becomes yours" in mail.body and "Activate your account" in mail.body, mail.body
    token = S.invitation_token(mail.mail)
    # A resend keeps the hand-over's wording.
    inv = sql.value("SELECT id FROM invitations WHERE account_id=%s AND purpose='transfer'",
                    int(acc.id))
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/invitations/{inv}/resend"), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id),
                                  "transfer-invitation", to))
    assert mail.subject == f"{acc.name} was prepared for you"
    assert S.invitation_token(mail.mail) != token
    # Not the member invitation's text.
    assert "invites you to join" not in mail.body


# ---------------------------------------------------------------- item 3: relation request

def test_the_relation_request_names_the_customer_account_and_who_asked(api, sql, mailbox,
                                                                       make_tenant, make_account):
    p = make_tenant("relw")
    q = make_tenant("relq")
    existing = make_account(q.admin, "customer", q.account.id)
    before = S.outbox_max_id(sql)
    rel = S.expect(api(p.admin).post(f"{ACCOUNTS}/{p.account.id}/customer-relations",
                                     json={"customer_id": existing.id}), 202)
    row = only(rows_since(sql, before, account_id=existing.id), "relation-requested", q.admin.mail)
    mail = one_mail(mailbox, row)
    assert "<your account id>" not in mail.body, mail.body
    assert mail.body.startswith(f"Hello {q.admin.name},\n\n"), mail.body
    # In words, not API paths (round-11 leftover of seed 000, D4).
    assert (f"Any administrator of {existing.name} can approve or decline it: it is request"
            f" {rel['id']} among the account's open partner requests." in mail.body), mail.body
    assert "/api/v1" not in mail.body, mail.body
    assert f"{p.admin.name} ({p.admin.mail}) asks, for {p.account.name}," in mail.body, mail.body


# ---------------------------------------------------------------- item 4: closing

def test_closing_an_account_mails_its_contacts_and_recipients(api, sql, mailbox, make_tenant,
                                                              make_account, make_person,
                                                              set_roles):
    t = make_tenant("closew")
    acc = make_account(t.admin, "customer", t.account.id)
    tom = make_person(prefix="tom")
    set_roles(t.admin, acc.id, tom, ["admin"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": tom.uid}), 200)
    finance = S.unique_mail("fin-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [finance]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    rows = rows_since(sql, before, account_id=acc.id)
    assert {(r["template"], r["recipient"].lower()) for r in rows} == {
        ("account-closed", tom.mail.lower()), ("account-closed", finance.lower())}, rows
    assert all(r["category"] == "transactional" and r["status"] == "sent" for r in rows), rows
    mail = one_mail(mailbox, rows[0])
    assert mail.subject == f"{acc.name} was closed", mail.subject
    # The contact by name, the bare recipient "Hello," (round-11 leftover
    # of seed 000, D5).
    assert one_mail(mailbox, only(rows, "account-closed", tom.mail)).body.startswith(
        f"Hello {tom.name},\n\n"), rows
    assert one_mail(mailbox, only(rows, "account-closed", finance)).body.startswith("Hello,\n\n")
    # The partner's admin with the partner's name: mail_actor_name, as the
    # billing mails (round-15 walkthrough of seed 002, D4).
    assert (f"{t.admin.name} of {t.account.name} closed the account {acc.name} (account"
            f" {acc.id})") in mail.body, mail.body
    # Until when it is kept, as the overview's kept_until says (round-9
    # walkthrough of seed 001).
    kept = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}"), 200)["kept_until"]
    import datetime
    said = re.search(r"It is kept until (\S+): then its people's roles", mail.body)
    assert said, mail.body
    gap = (datetime.datetime.strptime(said.group(1), "%Y-%m-%dT%H:%M:%SZ") -
           datetime.datetime.strptime(kept, "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(gap.total_seconds()) < 60, (said.group(1), kept)
    # Closing again changes nothing and mails nobody.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


def test_a_refused_close_mails_nobody(api, sql, make_tenant, make_account):
    t = make_tenant("closer")
    acc = make_account(t.admin, "customer", t.account.id)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [S.unique_mail("fin-")]}), 200)
    draft = S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/orders",
                                       json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    S.expect(api(t.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
    before = S.outbox_max_id(sql)
    S.expect_problem(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}"), 409, "conflict")
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert sql.value("SELECT status FROM accounts WHERE id=%s", int(acc.id)) == "active"


# ---------------------------------------------------------------- item 5: contact named

def test_a_contact_added_at_create_gets_the_contact_mail(api, sql, mailbox, make_tenant,
                                                         make_person, set_roles):
    t = make_tenant("contw")
    tom = make_person(prefix="tom")
    set_roles(t.admin, t.account.id, tom, ["member"])  # in the creator's tree: added at once
    before = S.outbox_max_id(sql)
    acc = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-contw-"), "parent_id": t.account.id,
        "contact": {"email": tom.mail}}), 201)
    assert acc["contacts"]["primary"]["uid"] == tom.uid
    rows = rows_since(sql, before, account_id=acc["id"])
    only(rows, "added-to-account", tom.mail)
    mail = one_mail(mailbox, only(rows, "contact-changed", tom.mail))
    assert mail.subject == f"{acc['name']}: the primary and technical contact changed", mail.subject
    # Named by the partner's admin, with their organization, as the
    # added-to-account mail names them (round-17 walkthrough of seed 004, D3).
    assert (f"{t.admin.name} of {t.account.name} changed the primary and technical contact of"
            f" {acc['name']} from nobody to {tom.name}." in mail.body), mail.body
    assert "contact your administrator" not in mail.body, mail.body


def test_a_contact_accepting_gets_the_contact_mail(api, sql, mailbox, make_tenant):
    t = make_tenant("conta")
    contact = S.unique_mail("pia-")
    acc = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-conta-"), "parent_id": t.account.id,
        "contact": {"first_name": "Pia", "last_name": "Piper", "email": contact}}), 201)
    finance = S.unique_mail("fin-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc['id']}/notification-recipients",
                              json={"emails": [finance]}), 200)
    rows = rows_since(sql, 0, account_id=acc["id"])
    token = S.invitation_token(one_mail(mailbox, only(rows, "invitation", contact)).mail)
    before = S.outbox_max_id(sql)
    S.expect(S.accept_invitation(api, token, password="pia-pass-1234"), 200)
    rows = rows_since(sql, before, account_id=acc["id"])
    assert {(r["template"], r["recipient"].lower()) for r in rows} == {
        ("contact-changed", contact.lower()), ("contact-changed", finance.lower())}, rows
    mail = one_mail(mailbox, only(rows, "contact-changed", contact))
    # Who named her: the admin who created the account and invited her,
    # with their organization, as the invitation named them (round-17
    # walkthrough of seed 004, D3).
    assert (f"{t.admin.name} of {t.account.name} changed the primary and technical contact of"
            f" {acc['name']} from nobody to Pia Piper." in mail.body), mail.body
    # A PUT that names the same person again changes nothing and mails nobody.
    uid = sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='primary'",
                    int(acc["id"]))
    S.PASSWORDS[uid] = "pia-pass-1234"
    before = S.outbox_max_id(sql)
    S.expect(api(uid).put(f"{ACCOUNTS}/{acc['id']}/contacts/primary", json={"uid": uid}), 200)
    assert S.outbox_rows(sql, account_id=acc["id"], after_id=before) == []


# ---------------------------------------------------------------- item 6: news

def test_news_mail_says_how_to_stop_it_and_carries_list_unsubscribe(api, sql, mailbox, customer,
                                                                     make_person, set_roles):
    admin, acc = customer
    keen = make_person()
    set_roles(admin, acc.id, keen, ["member"])
    before = S.outbox_max_id(sql)
    subject = "News " + S.unique("")
    S.expect(api(admin).post(f"{ACCOUNTS}/{acc.id}/announcements",
                             json={"subject": subject, "body": "Hello.\n"}), 202)
    row = only(rows_since(sql, before, account_id=acc.id), "announcement", keen.mail)
    mail = one_mail(mailbox, row)
    page = S.URL + "/preferences"
    assert str(mail.msg.get("List-Unsubscribe")).strip() == f"<{page}>", mail.msg.items()
    assert f"turn news off on your mail preferences page:\n{page}\n" in mail.body, mail.body
    assert "PATCH /api/v1/me/preferences" not in mail.body
    # Transactional mail has no List-Unsubscribe: it cannot be turned off.
    before = S.outbox_max_id(sql)
    to = S.unique_mail("inv-")
    S.expect(api(admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={"email": to, "role": "member"}), 202)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "invitation", to))
    assert mail.msg.get("List-Unsubscribe") is None


def test_the_news_footer_promises_only_the_mail_that_keeps_coming(api, sql, mailbox, customer,
                                                                   make_person, set_roles):
    """Round-17 walkthrough of seed 004, D2: the footer told members and
    billing people "Mail about your accounts and subscriptions keeps
    coming", and they got none of the account's subscription mail. Every
    person's footer now says what turning news off leaves: the mail about
    their own access, about the orders and subscription changes they make
    (D1), and, for the named contacts and notification recipients, about
    the account and its subscriptions."""
    admin, acc = customer
    member, billing = make_person(prefix="ftm"), make_person(prefix="ftb")
    set_roles(admin, acc.id, member, ["member"])
    set_roles(admin, acc.id, billing, ["billing"])
    before = S.outbox_max_id(sql)
    subject = "News " + S.unique("")
    S.expect(api(admin).post(f"{ACCOUNTS}/{acc.id}/announcements",
                             json={"subject": subject, "body": "Our webinar.\n"}), 202)
    rows = rows_since(sql, before, account_id=acc.id)
    page = S.URL + "/preferences"
    footer = (f"\n--\nYou get this news as a person of {acc.name}. To get no more news mail, turn"
              f" news off on your mail preferences page:\n{page}\nTurning news off does not stop"
              f" the mail meant for you: about your access to {acc.name}, about the orders you"
              f" execute and the subscription changes you make in it and, for its named contacts"
              f" and notification recipients, about the account and its subscriptions.\n")
    for who in (member, billing, admin):
        mail = one_mail(mailbox, only(rows, "announcement", who.mail))
        assert mail.body == "Our webinar.\n" + footer, (who.uid, mail.body)
        assert "keeps coming" not in mail.body, mail.body


def news_of(api, p):
    return S.expect(api(p).get("/api/v1/me/preferences"), 200)["news"]


def test_a_checkbox_form_turns_news_off_and_on(api, make_person):
    """A settings page: <input type=hidden name=_news_present value=1> and
    <input type=checkbox name=news>; an unticked box sends no news."""
    p = make_person()
    path = "/api/v1/me/preferences"
    back = S.ORIGIN + "/prefs"
    r = api(p).form("POST", path, [("_method", "PATCH"), ("_news_present", "1"),
                                   ("return_to", back)])
    assert r.status_code == 303 and r.headers["Location"] == back, S.describe(r)
    assert news_of(api, p) is False
    r = api(p).form("POST", path, [("_method", "PATCH"), ("_news_present", "1"), ("news", "on")])
    assert S.expect(r, 200) == {"news": True}
    assert news_of(api, p) is True
    # Without the marker an absent news is still required; a repeated news
    # is still 400 (the hidden-field fallback is not the pattern).
    S.expect_field_errors(api(p).form("POST", path, [("_method", "PATCH")]), "news")
    S.expect_problem(api(p).form("POST", path, [("_method", "PATCH"), ("news", "false"),
                                                ("news", "true")]), 400)
    S.expect_field_errors(api(p).form("POST", path, [("_method", "PATCH"),
                                                     ("_news_present", "maybe")]), "_news_present")
    assert news_of(api, p) is True


# ---------------------------------------------------------------- item 7: add-on subscriptions

def test_add_on_subscription_mails_name_the_articles(api, sql, mailbox, make_tenant, make_account):
    t = make_tenant("addon", kind="distributor")  # its admin: the back office
    cust = make_account("olivia", "customer", t.account.id)
    to = S.unique_mail("fin-")
    S.expect(api("olivia").put(f"{ACCOUNTS}/{cust.id}/notification-recipients",
                              json={"emails": [to]}), 200)
    draft = S.expect(api(t.admin).post(f"{ACCOUNTS}/{cust.id}/orders", json={
        "lines": [{"article": "assets-pack", "quantity": 2}]}), 201)
    before = S.outbox_max_id(sql)
    sid = S.expect(api(t.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=cust.id), "plan-welcome", to))
    assert mail.subject == f"{cust.name}: welcome to Assets pack (50 assets)", mail.subject
    assert f"{cust.name} now has Assets pack (50 assets):\n  2 x Assets pack (50 assets)\n" in mail.body, \
        mail.body
    assert "(none)" not in mail.body and " plan" not in mail.body, mail.body
    for action, template, subject in [
            ("cancel", "subscription-cancelled",
             f"{cust.name}: the Assets pack (50 assets) subscription is cancelled as of "),
            ("uncancel", "subscription-changed",
             f"{cust.name}: the Assets pack (50 assets) subscription continues: its cancellation"
             " was withdrawn")]:
        before = S.outbox_max_id(sql)
        S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/{action}"), 200)
        mail = one_mail(mailbox, only(rows_since(sql, before, account_id=cust.id), template, to))
        assert mail.subject.startswith(subject) if action == "cancel" else mail.subject == subject, \
            mail.subject
        assert "(none)" not in mail.body, mail.body
        if action == "cancel":
            # Round 6: who cancelled, until when it runs, how to withdraw
            # it; an add-on's end changes no plan, so no "Then ..." line.
            assert (f"{t.admin.name} of {t.account.name} cancelled the Assets pack (50 assets)"
                    f" subscription of"
                    f" {cust.name}. It stays in service until " in mail.body), mail.body
            assert (f"Until then an administrator or billing user of {cust.name} can withdraw"
                    " the cancellation where the account's subscriptions are listed."
                    in mail.body), mail.body
            assert "/api/v1" not in mail.body, mail.body
            assert "\nThen " not in mail.body and "\n\n\n" not in mail.body, mail.body
        else:
            # Round 7: who withdrew the cancellation. It wrote no invoice:
            # no invoice line, no empty line in its place.
            assert mail.body.endswith(f"Changed by {t.admin.name} of {t.account.name}.\n"), \
                mail.body


def test_a_plan_order_welcome_lists_every_article_with_its_quantity(api, sql, mailbox, make_tenant,
                                                                   make_account):
    t = make_tenant("addonp", kind="distributor")  # its admin: the back office
    cust = make_account("olivia", "customer", t.account.id)
    to = S.unique_mail("fin-")
    S.expect(api("olivia").put(f"{ACCOUNTS}/{cust.id}/notification-recipients",
                              json={"emails": [to]}), 200)
    draft = S.expect(api(t.admin).post(f"{ACCOUNTS}/{cust.id}/orders", json={
        "lines": [{"article": "professional", "quantity": 3},
                  {"article": "assets-pack", "quantity": 2}]}), 201)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=cust.id), "plan-welcome", to))
    assert mail.subject == f"{cust.name}: welcome to Professional", mail.subject
    assert (f"{cust.name} now has Professional:\n  3 x Professional plan\n  2 x Assets pack (50 assets)\n"
            in mail.body), mail.body


# ---------------------------------------------------------------- round 6: who acted

def test_the_contact_changed_mail_says_who_changed_it(api, sql, mailbox, make_tenant, make_account,
                                                      make_person, set_roles):
    """Round-6 walkthroughs of seeds 000, 001, 003, 004: the replaced
    contact learns who named another, so a colleague can be told from a
    stranger (seed 004's reason for the mail)."""
    t = make_tenant("chby")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben = make_person(prefix="chba"), make_person(prefix="chbb")
    set_roles(t.admin, acc.id, anna, ["admin"])
    set_roles(t.admin, acc.id, ben, ["admin"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": anna.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": ben.uid}), 200)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id), "contact-changed",
                                  anna.mail))
    assert (f"{ben.name} changed the technical contact of {acc.name} from {anna.name} to"
            f" {ben.name}." in mail.body), mail.body
    assert f"ask {ben.name} or another administrator of {acc.name}" in mail.body, mail.body


def test_the_contact_changed_mail_names_the_organization_of_who_changed_it(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-17 walkthrough of seed 004, D3: a partner's admin moved the
    primary contact of a customer and the contact-changed mail said "Paul
    Partner changed …", while the mails around it (recipients-added,
    account-details-changed, the invitations, the billing mails) said
    "Paul Partner of Acme Partners". {{changed_by}} follows
    mail_actor_name like them: the partner's person with the partner
    (also as an admin of the customer), operator staff "on behalf of" the
    partner, the customer's own admin by name alone. A member may not
    name a contact (403 naming the roles that may), another tenant 404."""
    t = make_tenant("chorg")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, mia = (make_person(prefix="choa"), make_person(prefix="chob"),
                      make_person(prefix="chom"))
    set_roles(t.admin, acc.id, anna, ["admin"])
    set_roles(t.admin, acc.id, ben, ["admin"])
    set_roles(t.admin, acc.id, mia, ["member"])
    paul = f"{t.admin.name} of {t.account.name}"

    def changed(who, kind, uid, to):
        before = S.outbox_max_id(sql)
        S.expect(api(who).put(f"{ACCOUNTS}/{acc.id}/contacts/{kind}", json={"uid": uid}), 200)
        return one_mail(mailbox, only(rows_since(sql, before, account_id=acc.id),
                                      "contact-changed", to))

    mail = changed(t.admin, "primary", anna.uid, anna.mail)
    assert (f"{paul} changed the primary contact of {acc.name} from nobody to {anna.name}.\n"
            in mail.body), mail.body
    mail = changed(t.admin, "primary", ben.uid, anna.mail)
    assert (f"{paul} changed the primary contact of {acc.name} from {anna.name} to {ben.name}.\n"
            in mail.body), mail.body
    assert ASK_ANOTHER.format(by=paul, acc=acc.name) + ":" in mail.body, mail.body
    # Operator staff, for the partner the customer is under.
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    mail = changed("olivia", "technical", anna.uid, anna.mail)
    assert (f"{olivia} on behalf of {t.account.name} changed the technical contact of {acc.name}"
            f" from nobody to {anna.name}.\n" in mail.body), mail.body
    # The customer's own admin: the name alone, as before.
    mail = changed(ben, "technical", ben.uid, anna.mail)
    assert (f"\n\n{ben.name} changed the technical contact of {acc.name} from {anna.name} to"
            f" {ben.name}.\n" in mail.body), mail.body
    # Who may not: a member (the router's 403), another tenant (404); no mail.
    other = make_tenant("chorgo")
    before = S.outbox_max_id(sql)
    p = S.expect_problem(api(mia).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                                      json={"uid": anna.uid}), 403, "forbidden")
    assert p["detail"] == ("your role in this account does not allow this: it needs admin; ask an"
                           " administrator of the account"), p
    S.expect_problem(api(other.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                                          json={"uid": anna.uid}), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


# ---------------------------------------------------------------- round 11: greetings, wording

def test_mails_to_known_people_greet_them_by_name(api, sql, mailbox, make_tenant, make_account,
                                                 make_person, set_roles):
    """Round-11 leftover of seed 000, D5: a mail to an address the
    directory knows as one person's greets them by name (the old and the
    new contact, a recipient address that is a person's, in any case); a
    bare recipient address keeps "Hello,". The subject names nobody."""
    t = make_tenant("hello")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, bob = (make_person(prefix="hla"), make_person(prefix="hlb"),
                      make_person(prefix="hlc"))
    set_roles(t.admin, acc.id, anna, ["admin"])
    set_roles(t.admin, acc.id, ben, ["admin"])
    set_roles(t.admin, acc.id, bob, ["billing"])
    bare = S.unique_mail("ops-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [bare, bob.mail.upper()]}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": anna.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": ben.uid}), 200)
    rows = rows_since(sql, before, account_id=acc.id)
    for to, hello in ((anna.mail, f"Hello {anna.name},"), (ben.mail, f"Hello {ben.name},"),
                      (bob.mail, f"Hello {bob.name},"), (bare, "Hello,")):
        row = only(rows, "contact-changed", to)
        mail = one_mail(mailbox, row)
        assert mail.body.startswith(hello + "\n\n"), (to, mail.body)
        assert mail.subject == row["subject"] == f"{acc.name}: the technical contact changed"
        # The rest of the mail is the same for everyone.
        assert (f"{ben.name} changed the technical contact of {acc.name} from {anna.name} to"
                f" {ben.name}.\n" in mail.body), mail.body


def test_a_removed_recipient_is_greeted_by_the_name_of_its_person(api, sql, mailbox, make_tenant,
                                                                  make_account, make_person):
    """D5: the address taken off the recipients is greeted by the name of
    the person it belongs to (one read by mail before the change); a bare
    address "Hello,"."""
    t = make_tenant("hellor")
    acc = make_account(t.admin, "customer", t.account.id)
    bob = make_person(prefix="hrb")
    bare = S.unique_mail("ops-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [bob.mail, bare]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": []}), 200)
    rows = rows_since(sql, before, account_id=acc.id)
    assert {(r["template"], r["recipient"].lower()) for r in rows} == {
        ("recipient-removed", bob.mail.lower()), ("recipient-removed", bare.lower())}, rows
    # Who acted is named with their organization (round-21 walkthrough of
    # seed 000, D2: mail_actor_name, as recipients-added names them).
    by = f"{t.admin.name} of {t.account.name}"
    assert one_mail(mailbox, only(rows, "recipient-removed", bob.mail)).body.startswith(
        f"Hello {bob.name},\n\n{by} changed the notification recipients of {acc.name}:")
    assert one_mail(mailbox, only(rows, "recipient-removed", bare)).body.startswith(
        f"Hello,\n\n{by} changed the notification recipients of {acc.name}:")


def test_the_welcome_greets_the_contact_and_an_upgrade_says_it_was_an_upgrade(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """D5: the plan welcome greets the primary contact by name, a bare
    recipient "Hello,". Seed 000 D4 / seed 001 O9: the invoice line says
    where to find it in words. Seed 001 O6: an upgrade placed no order, so
    its welcome says "Upgraded from Starter by ...", not "Ordered by"."""
    t = make_tenant("hellow")
    cust = make_account(t.admin, "customer", t.account.id)
    clara = make_person(prefix="hwc")
    set_roles(t.admin, cust.id, clara, ["admin"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{cust.id}/contacts/primary", json={"uid": clara.uid}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{cust.id}/contacts/technical", json={"uid": clara.uid}),
             200)
    bare = S.unique_mail("ops-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{cust.id}/notification-recipients",
                              json={"emails": [bare]}), 200)
    draft = S.expect(api(t.admin).post(f"{ACCOUNTS}/{cust.id}/orders", json={
        "lines": [{"article": "starter", "quantity": 1}]}), 201)
    before = S.outbox_max_id(sql)
    done = S.expect(api(t.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
    rows = rows_since(sql, before, account_id=cust.id)
    mine = one_mail(mailbox, only(rows, "plan-welcome", clara.mail))
    theirs = one_mail(mailbox, only(rows, "plan-welcome", bare))
    assert mine.body.startswith(f"Hello {clara.name},\n\n{cust.name} now has Starter:"), mine.body
    assert theirs.body.startswith(f"Hello,\n\n{cust.name} now has Starter:"), theirs.body
    assert mine.body.split("\n", 1)[1] == theirs.body.split("\n", 1)[1]
    assert f"\nOrdered by {t.admin.name} of {t.account.name}.\n" in mine.body, mine.body
    number = S.expect(api(t.admin).get(f"{ACCOUNTS}/{cust.id}/invoices"), 200)["items"][0]["number"]
    assert (f"\nInvoice {number} bills " in mine.body and " EUR; anyone with a role in the account"
            " finds it among the account's invoices.\n" in mine.body), mine.body
    assert "/api/v1" not in mine.body, mine.body
    sid = done["subscription"]["id"]
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/upgrade",
                               json={"plan": "professional"}), 200)
    rows = rows_since(sql, before, account_id=cust.id)
    for to, hello in ((clara.mail, f"Hello {clara.name},"), (bare, "Hello,")):
        mail = one_mail(mailbox, only(rows, "plan-welcome", to))
        assert mail.subject == f"{cust.name}: welcome to Professional", mail.subject
        assert mail.body.startswith(f"{hello}\n\n{cust.name} now has Professional:"), mail.body
        assert f"\nUpgraded from Starter by {t.admin.name} of {t.account.name}.\n" in mail.body, \
            mail.body
        assert "Ordered by" not in mail.body and "/api/v1" not in mail.body, mail.body


# ---------------------------------------------------------------- round 14: contact and member mails

ASK_ANOTHER = "If you did not expect this change, ask {by} or another administrator of {acc}"
SELF_TEXT = "You made this change."


def test_the_contact_changed_copy_of_who_made_it_says_they_did(api, sql, mailbox, make_tenant,
                                                                make_account, make_person,
                                                                set_roles):
    """Round-14 walkthrough of seed 004, D1: the contact-changed mail told
    the admin who named themselves contact (and the replaced contact who
    handed over) to "ask" themselves. Their own copy, by their address as
    old or new contact or as a recipient in any case, says they made the
    change; the other readers are still sent to them."""
    t = make_tenant("cself")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben = make_person(prefix="csa"), make_person(prefix="csb")
    set_roles(t.admin, acc.id, anna, ["admin"])
    set_roles(t.admin, acc.id, ben, ["admin"])
    bare = S.unique_mail("ops-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [bare, ben.mail.upper()]}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": anna.uid}), 200)
    # Ben names himself: his copy as the new contact.
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": ben.uid}), 200)
    rows = rows_since(sql, before, account_id=acc.id)
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [anna.mail.lower(), ben.mail.lower(), bare]), rows
    mine = one_mail(mailbox, only(rows, "contact-changed", ben.mail))
    assert mine.body.endswith(
        f"You get this mail as a named contact or a notification recipient of {acc.name}, or as"
        f" one of its administrators while it has no other named contact. {SELF_TEXT}\n"), \
        mine.body
    assert "ask" not in mine.body, mine.body
    for to in (anna.mail, bare):
        mail = one_mail(mailbox, only(rows, "contact-changed", to))
        assert (ASK_ANOTHER.format(by=ben.name, acc=acc.name)
                + ": any administrator can name another contact.\n") in mail.body, mail.body
        assert SELF_TEXT not in mail.body, mail.body
        # The subject is the same for everyone.
        assert mail.subject == mine.subject == f"{acc.name}: the technical contact changed"
    # Ben hands the contact to Anna: his copy as the old contact and as a
    # recipient (upper case), once.
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": anna.uid}), 200)
    rows = rows_since(sql, before, account_id=acc.id)
    mine = one_mail(mailbox, only(rows, "contact-changed", ben.mail))
    assert SELF_TEXT in mine.body and "ask" not in mine.body, mine.body
    theirs = one_mail(mailbox, only(rows, "contact-changed", anna.mail))
    assert ASK_ANOTHER.format(by=ben.name, acc=acc.name) in theirs.body, theirs.body
    # Only as a recipient, in another case than the directory's.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": anna.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": ben.uid}), 200)
    S.expect(api(anna).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": anna.uid}), 200)
    rows = rows_since(sql, before, account_id=acc.id)
    last = max(r["id"] for r in rows if r["recipient"].lower() == ben.mail.lower())
    row = [r for r in rows if r["id"] == last][0]
    mail = one_mail(mailbox, row)
    # Anna made the last change: Ben (the old contact) is sent to her.
    assert ASK_ANOTHER.format(by=anna.name, acc=acc.name) in mail.body, mail.body


def test_the_recipient_copy_of_who_made_a_contact_change_says_they_did(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """D1 of seed 004: the maker's address only among the recipients, in
    another case: theirs is the "You made this change." copy."""
    t = make_tenant("cselfr")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben = make_person(prefix="csra"), make_person(prefix="csrb")
    set_roles(t.admin, acc.id, anna, ["admin"])
    set_roles(t.admin, acc.id, ben, ["admin"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [ben.mail.upper()]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": anna.uid}), 200)
    rows = rows_since(sql, before, account_id=acc.id)
    mine = one_mail(mailbox, only(rows, "contact-changed", ben.mail))
    assert mine.body.rstrip("\n").endswith(SELF_TEXT), mine.body
    theirs = one_mail(mailbox, only(rows, "contact-changed", anna.mail))
    assert ASK_ANOTHER.format(by=ben.name, acc=acc.name) in theirs.body, theirs.body


def _customer_admin_by_invitation(api, sql, mailbox, by, account_id):
    email = S.unique_mail("cho-")
    before = S.outbox_max_id(sql)
    S.expect(api(by).post(f"{ACCOUNTS}/{account_id}/invitations",
                          json={"email": email, "role": "admin", "first_name": "Carol",
                                "last_name": "Kunde"}), 202)
    mails = mailbox.wait_for(lambda m: (m.outbox_id or 0) > before, to=email, timeout=10)
    assert mails, email
    uid = S.expect(S.accept_invitation(api, S.invitation_token(mails[-1]), uid=S.unique("cho"),
                                       password="carol-pw-1234"), 200)["uid"]
    S.PASSWORDS[uid] = "carol-pw-1234"
    return S.Person(uid, "carol-pw-1234", S.person_dn(uid), None, email)


def test_the_hand_over_mail_does_not_send_readers_to_the_provider(api, sql, mailbox, make_tenant,
                                                                  make_account):
    """Round-14 walkthrough of seed 000, D1: the seed's hand-over by role
    change (the partner's admin changes their own role to service-provider;
    the customer's admin becomes both contacts). Its contact-changed mail
    told the customer to "ask <the provider> or another administrator",
    who is no administrator any more after it; the provider's own copy (a
    recipient) told them to ask themselves."""
    t = make_tenant("chov")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [t.admin.mail]}), 200)
    carol = _customer_admin_by_invitation(api, sql, mailbox, t.admin, acc.id)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/members/{t.admin.uid}",
                              json={"roles": ["service-provider"]}), 200)
    assert sql.account(acc.id)["status"] == "active"
    rows = rows_since(sql, before, account_id=acc.id)
    # Round-23 walkthrough of seed 000, D2: Carol's one mail of it is
    # account-handed-over, not a copy of contact-changed.
    assert not [r for r in rows if r["template"] == "contact-changed"
                and r["recipient"].lower() == carol.mail.lower()], rows
    hers = one_mail(mailbox, only(rows, "account-handed-over", carol.mail))
    assert hers.subject == f"{acc.name} was handed over to you", hers.subject
    # Round-15 walkthrough of seed 000, D4: Carol is its administrator (its
    # only one): her mail says what happened and what she can do, not
    # "ask an administrator".
    # Round-22 walkthrough of seed 000, D2: and where its notifications go.
    # Round-23, D2: that first, then what being the contact means.
    assert hers.body.startswith(
        "Hello Carol Kunde,\n\n"
        f"{t.admin.name} handed {acc.name} over to you: it is now active and {t.admin.name} is"
        f" a service provider. Its notifications go to {t.admin.mail}: an administrator, or its"
        " service providers, can change its notification recipients.\n\n"
        "You are now its primary and technical contact: you get its account and billing mail, may"
        " request password resets for its people, and stay an administrator while you are its"
        " contact (to change your role or leave, name other administrators its primary and"
        " technical contacts first).\n\n"
        "As its administrator you name its primary and technical contacts"), hers.body
    assert "ask" not in hers.body, hers.body
    mine = one_mail(mailbox, only(rows, "contact-changed", t.admin.mail))
    assert (f"{t.admin.name} of {t.account.name} changed the primary and technical contact of"
            f" {acc.name} from nobody to Carol Kunde.") in mine.body, mine.body
    assert mine.body.rstrip("\n").endswith(SELF_TEXT), mine.body
    assert "ask" not in mine.body, mine.body


def test_a_contact_added_at_once_is_told_what_a_contact_is(api, sql, mailbox, make_tenant,
                                                            make_person, set_roles):
    """Round-14 walkthrough of seed 004, D3: the contact person of POST
    /accounts whom LDAP knows in the creator's tree is added at once; their
    added-to-account mail explains the contact role as the invitation's
    {{contact_note}} does. An ordinary addition carries no such line."""
    t = make_tenant("cnote")
    lars = make_person(prefix="cnl")
    set_roles(t.admin, t.account.id, lars, ["member"])
    before = S.outbox_max_id(sql)
    acc = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-cnote-"), "parent_id": t.account.id,
        "contact": {"email": lars.mail}}), 201)
    assert acc["contact"]["status"] == "added", acc
    rows = rows_since(sql, before, account_id=acc["id"])
    mail = one_mail(mailbox, only(rows, "added-to-account", lars.mail))
    assert mail.body == (
        f"Hello {lars.name},\n\n{t.admin.name} of {t.account.name} added you to {acc['name']} as an"
        f" administrator.\n{CONTACT_NOTE}\n"
        "Sign in with your existing account to use it.\n"), mail.body
    # The contact-changed mail to them: the creator (an admin) made it,
    # named as the added-to-account mail names them.
    mail = one_mail(mailbox, only(rows, "contact-changed", lars.mail))
    assert ASK_ANOTHER.format(by=f"{t.admin.name} of {t.account.name}", acc=acc["name"]) \
        in mail.body, mail.body
    # An ordinary addition of a known person: no contact line, no empty one.
    mia = make_person(prefix="cnm")
    set_roles(t.admin, t.account.id, mia, ["member"])
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc['id']}/invitations",
                               json={"email": mia.mail, "role": "member"}), 201)
    rows = rows_since(sql, before, account_id=acc["id"])
    mail = one_mail(mailbox, only(rows, "added-to-account", mia.mail))
    assert "contact" not in mail.body, mail.body
    assert " as a member.\nSign in with your existing account to use it.\n" in mail.body, mail.body


def test_the_contact_persons_note_says_what_only_a_contact_may(api, sql, mailbox, make_tenant,
                                                               make_person, set_roles):
    """Round-20 walkthrough of seed 004, D4: the contact person's
    invitation said a contact "may change its administrators and
    contacts", which every admin may, and left out the password resets,
    which only the named contacts (and operator staff) may ask for. The
    invitation and added-to-account now say it in contact-changed's words.
    The example reset page no longer claims that "a named contact" asked
    (operator staff may too). Who may not create the account (a member of
    the partner 403, another tenant 404) sends no invitation."""
    t = make_tenant("r20cn")
    # The tester's Anna: an address the directory does not know.
    anna = S.unique_mail("anna-")
    before = S.outbox_max_id(sql)
    acc = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-r20cn-"), "parent_id": t.account.id,
        "contact": {"first_name": "Anna", "last_name": "Zwanzig", "email": anna}}), 201)
    mail = one_mail(mailbox, only(rows_since(sql, before, account_id=acc["id"]), "invitation", anna))
    assert (f"{t.admin.name} of {t.account.name} invites you to join {acc['name']} as an"
            f" administrator.\n{CONTACT_NOTE}\n\n") in mail.body, mail.body
    assert "may change its administrators and contacts" not in mail.body, mail.body
    # Who may not: a member of the partner, another tenant; no invitation.
    member = make_person(prefix="r20cnm")
    set_roles(t.admin, t.account.id, member, ["member"])
    other = make_tenant("r20cno")
    for who, status in ((member, 403), (other.admin, 404)):
        email = S.unique_mail("nobody-")
        S.expect_problem(api(who).post(ACCOUNTS, json={
            "kind": "customer", "name": S.unique("it-r20cnx-"), "parent_id": t.account.id,
            "contact": {"email": email}}), status)
        assert S.outbox_rows(sql, recipient=email) == []
    # The example reset page (nginx/password-reset-page.conf.in) makes no
    # claim that only a contact asks.
    r = api(None).get("/password-reset/" + "D" * 43)
    assert r.status_code == 200, S.describe(r)
    assert "A named contact of your account asked" not in r.text, r.text
    assert ("Someone responsible for your account (one of its named contacts, or the\nplatform's"
            " operator staff) asked for a new password for your user") in r.text, r.text


def test_r25_the_closers_copy_of_account_closed_says_you_closed(api, sql, mailbox, make_tenant,
                                                                make_account, make_person,
                                                                set_roles):
    """Round-25 walkthrough of seed 001, D2: Anna closed the duplicate she
    had created, and her own account-closed read "Anna Admin of Solar
    Partner closed the account …", as if someone else had. Her copy says
    "You closed the account …"; the other readers' copies (another admin,
    a notification recipient) name her as before."""
    t = make_tenant("r25y")
    acc = make_account(t.admin, "customer", t.account.id)
    tom = make_person(prefix="r25yt")
    set_roles(t.admin, acc.id, tom, ["admin"])
    finance = S.unique_mail("r25y-fin-")
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                              json={"emails": [finance]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    rows = rows_since(sql, before, account_id=acc.id)
    own = one_mail(mailbox, only(rows, "account-closed", t.admin.mail))
    assert own.body.startswith(
        f"Hello {t.admin.name},\n\nYou closed the account {acc.name} (account {acc.id})."), own.body
    assert f"{t.admin.name} of" not in own.body, own.body
    assert own.subject == f"{acc.name} was closed", own.subject
    third = f"{t.admin.name} of {t.account.name} closed the account {acc.name} (account {acc.id})."
    for reader in (tom.mail, finance):
        mail = one_mail(mailbox, only(rows, "account-closed", reader))
        assert third in mail.body, mail.body
        assert "You closed" not in mail.body, mail.body
