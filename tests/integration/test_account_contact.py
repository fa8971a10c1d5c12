"""POST /api/v1/accounts with `contact` (STACKIT "method 1"): the contact
person of a new organization becomes its admin — at once when LDAP knows the
address, otherwise by an invitation whose link makes them admin — and its
named contact, primary and technical. A bad contact creates nothing."""
import support as S
from conftest import company

ACCOUNTS = "/api/v1/accounts"
ACCEPT = "/api/v1/invitations/{}/accept"


def test_unknown_contact_is_invited_as_admin(api, make_tenant, invitation_mail, sql, ldap_admin):
    t = make_tenant()
    email = S.unique_mail()
    name = S.unique("it-org-")
    before = S.outbox_max_id(sql)
    r = api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": name, "parent_id": t.account.id, "company": company(name),
        "contact": {"first_name": "Cora", "last_name": "Contact", "email": email}})
    body = S.expect(r, 201)
    acc_id = S.location_id(r)
    assert body["contact"]["status"] == "invited", body
    assert body["contact"]["email"] == email and body["contact"]["role"] == "admin", body
    # The creator is admin; the contact is invited, not yet a member.
    assert S.norm_dn(t.admin.dn) in S.group_members(ldap_admin, acc_id, "admin")
    row = sql.row("SELECT account_id, role, status, first_name FROM invitations WHERE id=%s",
                  int(body["contact"]["id"]))
    assert (str(row["account_id"]), row["role"], row["status"], row["first_name"]) == \
        (acc_id, "admin", "pending", "Cora")

    mail, token = invitation_mail(email, after=before)
    assert name in mail.subject, mail
    uid = S.unique("ct")
    data = S.expect(api(None).post(ACCEPT.format(token), json={"uid": uid, "password": "pw-" + uid}),
                    200)
    assert data["role"] == "admin" and data["account_id"] == acc_id, data
    assert S.norm_dn(S.person_dn(uid)) in S.group_members(ldap_admin, acc_id, "admin")
    me = S.expect(api(uid, password="pw-" + uid).get("/api/v1/me"), 200)
    assert {a["id"]: a["roles"] for a in me["accounts"]}.get(acc_id) == ["admin"], me
    # The contact person is the account's named contact, primary and
    # technical (so the account's mails reach them, not the creator).
    view = S.expect(api(uid, password="pw-" + uid).get(f"{ACCOUNTS}/{acc_id}"), 200)
    assert {k: (v or {}).get("uid") for k, v in view["contacts"].items()} == \
        {"primary": uid, "technical": uid}, view["contacts"]
    assert sorted(a["new_value"]["contact"] for a in sql.audit(acc_id) if a["action"] == "contact.set") \
        == ["primary", "technical"]


def test_known_contact_becomes_admin_at_once(api, make_tenant, make_person, set_roles, mailbox,
                                             sql, ldap_admin):
    """A known contact in the creator's tenant tree (a member of the
    partner the creator administers) becomes admin at once."""
    t = make_tenant()
    p = make_person()
    set_roles("olivia", t.account.id, p, ["member"])
    before = S.outbox_max_id(sql)
    r = api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-org-"), "parent_id": t.account.id,
        "contact": {"email": p.mail}})
    body = S.expect(r, 201)
    acc_id = S.location_id(r)
    assert body["contact"] == {"status": "added", "uid": p.uid, "role": "admin"}, body
    assert {k: (v or {}).get("uid") for k, v in body["contacts"].items()} == \
        {"primary": p.uid, "technical": p.uid}, body["contacts"]
    assert S.norm_dn(p.dn) in S.group_members(ldap_admin, acc_id, "admin")
    assert p.uid in {m["uid"] for m in body["members"]}, body
    # Added, and told they are the contacts (round-3 walkthrough of seed 004).
    mails = mailbox.wait_for(lambda m: (m.outbox_id or 0) > before, to=p.mail, count=2)
    subjects = sorted(m.subject.lower() for m in mails)
    assert len(mails) == 2 and "contact changed" in subjects[0] and "added" in subjects[1], mails


def test_bad_contact_creates_nothing(api, make_tenant, sql):
    t = make_tenant()
    name = S.unique("it-org-")
    for contact, field in (({"email": "not-an-address"}, "contact.email"),
                           ({"first_name": "No Mail"}, "contact.email"),
                           ({"email": S.unique_mail(), "role": "admin"}, "contact.role")):
        r = api(t.admin).post(ACCOUNTS, json={"kind": "customer", "name": name,
                                              "parent_id": t.account.id, "contact": contact})
        S.expect_field_errors(r, field)
    assert sql.count_accounts(name=name) == 0


def test_a_spent_mail_budget_never_fails_the_contacts_accept(api, make_tenant, invitation_mail, sql, env):
    """The contact-changed mail of a contact named on accept is outside the
    mail budget (the invitation counted): with the account's budget spent,
    the contact person still accepts and is named, and the mail goes out."""
    from test_consent import budget_of, fill_budget
    t = make_tenant()
    email = S.unique_mail()
    name = S.unique("it-org-")
    r = api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": name, "parent_id": t.account.id, "company": company(name),
        "contact": {"first_name": "Bea", "last_name": "Budget", "email": email}})
    S.expect(r, 201)
    acc_id = S.location_id(r)
    _, token = invitation_mail(email)
    fill_budget(sql, acc_id, budget_of(env["ACCOUNTD_CONF"]))
    # The budget is spent for the tenant's own mail ...
    S.expect_problem(api(t.admin).post(f"{ACCOUNTS}/{acc_id}/invitations",
                                       json={"email": S.unique_mail(), "role": "member"}), 429)
    # ... but the accept goes through, names the contact and mails them.
    before = S.outbox_max_id(sql)
    uid = S.unique("cb")
    S.expect(api(None).post(ACCEPT.format(token), json={"uid": uid, "password": "pw-" + uid}), 200)
    contacts = {r["kind"]: r["uid"] for r in sql.rows(
        "SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc_id))}
    assert contacts == {"primary": uid, "technical": uid}, contacts
    templates = [r["template"] for r in S.outbox_rows(sql, account_id=acc_id, after_id=before)]
    assert "contact-changed" in templates, templates


def test_the_create_audit_row_has_the_company_and_the_contact(api, make_tenant, invitation_mail, sql):
    """round-6 walkthrough of seed 003, D7: account.create left out the
    company details and the contact person, and the contact's
    invitation.create had no purpose and no names. Ids in audit values are
    numbers in every row (account.update had strings), strings in the
    audit view."""
    t = make_tenant()
    name = S.unique("it-org-")
    email = S.unique_mail("auditct-")
    firm = company(name, vat_id="ATU12345678")
    r = api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": name, "parent_id": t.account.id, "company": firm,
        "contact": {"first_name": "Anna", "last_name": "Albers", "email": email}})
    body = S.expect(r, 201)
    acc_id = body["id"]
    rows = sql.audit(acc_id)
    create = [a for a in rows if a["action"] == "account.create"]
    assert len(create) == 1 and create[0]["old_value"] is None, create
    assert create[0]["new_value"] == {
        "kind": "customer", "name": name, "status": "active", "parent_id": int(t.account.id),
        "company": firm, "contact": {"email": email, "first_name": "Anna", "last_name": "Albers"}}, create[0]
    invited = [a for a in rows if a["action"] == "invitation.create"]
    assert len(invited) == 1, invited
    assert invited[0]["new_value"] == {
        "invitation_id": int(body["contact"]["id"]), "email": email, "role": "admin", "purpose": "contact",
        "expires_at": body["contact"]["expires_at"], "invited_by": t.admin.uid, "first_name": "Anna",
        "last_name": "Albers"}, invited[0]
    # Without company and contact: both null (the company's fields unset).
    bare = S.expect(api(t.admin).post(ACCOUNTS, json={"kind": "customer", "name": S.unique("it-bare-"),
                                                      "parent_id": t.account.id}), 201)
    value = [a for a in sql.audit(bare["id"]) if a["action"] == "account.create"][0]["new_value"]
    assert value["contact"] is None and set(value["company"].values()) == {None}, value
    # account.update holds its ids as numbers too; the view answers strings.
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc_id}", json={"name": name + " AG"}), 200)
    update = [a for a in sql.audit(acc_id) if a["action"] == "account.update"][-1]
    for v in (update["old_value"], update["new_value"]):
        assert (v["id"], v["parent_id"]) == (int(acc_id), int(t.account.id)), v
    items = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc_id}/audit"), 200)["items"]
    shown = {i["action"]: i for i in items}
    assert shown["account.update"]["new_value"]["id"] == acc_id
    assert shown["account.update"]["new_value"]["parent_id"] == t.account.id
    assert shown["account.create"]["new_value"]["parent_id"] == t.account.id


def test_spaces_around_the_contact_are_dropped(api, make_tenant, invitation_mail, sql):
    """round-6 walkthrough of seed 004, D6: the contact's address and names
    are trimmed as an invitation's."""
    t = make_tenant()
    email = S.unique_mail("trimct-")
    before = S.outbox_max_id(sql)
    body = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-org-"), "parent_id": t.account.id,
        "contact": {"first_name": " Cleo ", "email": f" {email} "}}), 201)
    assert body["contact"]["email"] == email, body["contact"]
    row = sql.row("SELECT email, first_name FROM invitations WHERE id=%s", int(body["contact"]["id"]))
    assert (row["email"], row["first_name"]) == (email, "Cleo"), row
    mail, _ = invitation_mail(email, after=before)
    assert "Hello Cleo," in mail.body, mail.body


def test_the_contact_invitation_needs_its_creator_still_admin(api, make_tenant, make_person, set_roles,
                                                             invitation_mail, sql, ldap_admin):
    """round-6 walkthrough of seed 001, D3 (decision): the contact
    person's invitation is sent by the account's creator; once the creator
    is no admin of the account any more it is revoked at the accept (410,
    nothing created); an admin's resend makes it theirs again."""
    t = make_tenant()
    email = S.unique_mail("ctgone-")
    before = S.outbox_max_id(sql)
    body = S.expect(api(t.admin).post(ACCOUNTS, json={
        "kind": "customer", "name": S.unique("it-org-"), "parent_id": t.account.id,
        "contact": {"email": email}}), 201)
    acc_id, inv_id = body["id"], body["contact"]["id"]
    _, token = invitation_mail(email, after=before)
    colleague = make_person(prefix="ctcol")
    set_roles(t.admin, acc_id, colleague, ["admin"])
    S.expect(api(colleague).delete(f"{ACCOUNTS}/{acc_id}/members/{t.admin.uid}"), 204)
    uid = S.unique("ctg")
    r = api(None).post(ACCEPT.format(token), json={"uid": uid, "password": "pw-" + uid})
    S.expect_problem(r, 410, "invitation-revoked")
    assert S.ldap_entry(ldap_admin, S.person_dn(uid)) is None
    assert sql.row("SELECT status FROM invitations WHERE id=%s", int(inv_id))["status"] == "pending"
    assert not sql.rows("SELECT * FROM account_contacts WHERE account_id=%s", int(acc_id))
    before = S.outbox_max_id(sql)
    S.expect(api(colleague).post(f"{ACCOUNTS}/{acc_id}/invitations/{inv_id}/resend"), 202)
    _, token = invitation_mail(email, after=before)
    S.expect(api(None).post(ACCEPT.format(token), json={"uid": uid, "password": "pw-" + uid}), 200)
    contacts = {r["kind"]: r["uid"] for r in sql.rows(
        "SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc_id))}
    assert contacts == {"primary": uid, "technical": uid}, contacts
