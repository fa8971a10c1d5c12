"""Issue 7, defect 6: no directory harvesting, no unlimited mail.

A person LDAP knows is added at once only when they are in the caller's
tenant tree (docs/api.md, "tenant tree"); anyone else gets an invitation
mail like a new person, and the answer is the same as for an address LDAP
does not know. Mail that tenants cause (invitations, added-to-account,
contact changes, announcements) counts against a per-account budget
(mail_budget recipients per mail_budget_window seconds): past it, 429 with
Retry-After and nothing changes."""
from types import SimpleNamespace

import pytest

import support as S

INVITE_KEYS = {"status", "id", "email", "role", "expires_at"}


def invitations_path(account_id):
    return f"/api/v1/accounts/{account_id}/invitations"


def test_a_known_person_of_another_tenant_is_invited_not_added(api, customer, make_tenant,
                                                               make_person, set_roles, sql,
                                                               ldap_admin, invitation_mail):
    admin, acc = customer
    other = make_tenant("other")          # an unrelated tenant
    known = make_person(prefix="kn")
    set_roles(other.admin, other.account.id, known, ["member"])
    unknown = S.unique_mail("nobody-")

    before = S.outbox_max_id(sql)
    r_known = api(admin).post(invitations_path(acc.id), json={"email": known.mail, "role": "member"})
    r_unknown = api(admin).post(invitations_path(acc.id), json={"email": unknown, "role": "member"})
    a, b = S.expect(r_known, 202), S.expect(r_unknown, 202)
    # The same answer: status code, the same fields, the same kinds of values.
    assert set(a) == set(b) == INVITE_KEYS, (a, b)
    assert a["status"] == b["status"] == "invited"
    assert a["email"] == known.mail and "uid" not in a
    assert r_known.headers.get("Content-Type") == r_unknown.headers.get("Content-Type")
    # Each points to its invitation (round-8 walkthroughs of seeds 003 and
    # 004): the same shape, only the id differs.
    assert r_known.headers["Location"] == f"{invitations_path(acc.id)}/{a['id']}"
    assert r_unknown.headers["Location"] == f"{invitations_path(acc.id)}/{b['id']}"

    # Nothing granted, nothing shown: the person is no member yet.
    assert S.roles_in_ldap(ldap_admin, acc.id, known) == set()
    members = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}/members"), 200)["items"]
    assert known.uid not in {m["uid"] for m in members}

    # They get an invitation mail like anyone else, and consent by accepting
    # it (no password: they have a login already).
    mail, token = invitation_mail(known.mail, after=before)
    assert "/invitations/" in mail.body
    accepted = S.expect(S.accept_invitation(api, token), 200)
    assert accepted["uid"] == known.uid and accepted["created"] is False, accepted
    assert S.roles_in_ldap(ldap_admin, acc.id, known) == {"member"}


def test_a_known_person_in_the_callers_tree_is_added_at_once(api, make_tenant, make_account,
                                                             make_person, set_roles, ldap_admin):
    """The partner's admin manages its customers: a person of one customer
    is added to another customer at once."""
    t = make_tenant("tree")
    first = make_account(t.admin, "customer", t.account.id)
    second = make_account(t.admin, "customer", t.account.id)
    p = make_person(prefix="tr")
    set_roles("olivia", first.id, p, ["member"])
    r = api(t.admin).post(invitations_path(second.id), json={"email": p.mail, "role": "billing"})
    assert S.expect(r, 201) == {"status": "added", "uid": p.uid, "role": "billing"}
    assert S.roles_in_ldap(ldap_admin, second.id, p) == {"billing"}


def test_a_plain_member_of_another_account_is_not_the_callers_tree(api, customer, make_tenant,
                                                                   make_person, set_roles,
                                                                   ldap_admin):
    """Being a mere member of some account does not make its people the
    caller's: only accounts the caller administers (or serves as
    service-provider) and those below them are the tree."""
    admin, acc = customer
    other = make_tenant("foreign")
    set_roles(other.admin, other.account.id, admin, ["member"])   # the caller joins as member
    colleague = make_person(prefix="co")
    set_roles(other.admin, other.account.id, colleague, ["member"])
    r = api(admin).post(invitations_path(acc.id), json={"email": colleague.mail, "role": "member"})
    assert S.expect(r, 202)["status"] == "invited"
    assert S.roles_in_ldap(ldap_admin, acc.id, colleague) == set()


def test_a_known_contact_outside_the_tree_is_invited(api, make_tenant, make_person, set_roles,
                                                    ldap_admin):
    t = make_tenant("contact")
    other = make_tenant("contact-other")
    p = make_person(prefix="ct")
    set_roles(other.admin, other.account.id, p, ["member"])
    r = api(t.admin).post("/api/v1/accounts", json={
        "kind": "customer", "name": S.unique("it-org-"), "parent_id": t.account.id,
        "contact": {"email": p.mail}})
    body = S.expect(r, 201)
    assert body["contact"]["status"] == "invited" and set(body["contact"]) == INVITE_KEYS, body
    assert S.roles_in_ldap(ldap_admin, body["id"], p) == set()


# ------------------------------------------- the tenant tree and child accounts
#
# Round-19 walkthrough of seed 003, D1: the tree was every account the
# caller is admin or service-provider of *and every account below them*, so
# a reseller's admin who holds no role in a child organization (one the Help
# Center, operator staff, created under the reseller, whose members list
# answers them 403) still added its people at once without their consent,
# read their names and mails by uid, and told by 201 against 202 whether an
# address was one of them. Now the tree is the accounts in which the caller
# is admin or service-provider (and their projects) only.

def project_member_path(pid, uid):
    return f"/api/v1/projects/{pid}/members/{S.path_quote(uid)}"


def without_instance(problem):
    return {k: v for k, v in problem.items() if k != "instance"}


def operator_child(make_tenant, make_account, make_person, set_roles, prefix):
    """A reseller, and a customer organization the operator (the Help
    Center) created under it, with its own admin Karl and member Klara;
    the reseller's admin Rita holds no role in it."""
    reseller = make_tenant(prefix)
    child = make_account("olivia", "customer", reseller.account.id)
    karl = make_person(prefix="kk")
    klara = make_person(prefix="kl")
    set_roles("olivia", child.id, karl, ["admin"])
    set_roles(karl, child.id, klara, ["member"])
    return reseller, child, karl, klara


@pytest.fixture
def help_center_child(api, make_tenant, make_account, make_person, set_roles):
    """operator_child, with a project of the reseller, and Rita's session;
    checked: Rita sees the child's row but may not enter it."""
    reseller, child, karl, klara = operator_child(make_tenant, make_account, make_person,
                                                  set_roles, "r19d1")
    rita = api(reseller.admin)
    S.expect_problem(rita.get(f"/api/v1/accounts/{child.id}/members"), 403)
    S.expect_problem(rita.get(f"/api/v1/accounts/{child.id}/members/{klara.uid}"), 403)
    project = S.expect(rita.post(f"/api/v1/accounts/{reseller.account.id}/projects",
                                 json={"name": S.unique("Kunde Fuenf Shop ")}), 201)
    return SimpleNamespace(reseller=reseller, child=child, karl=karl, klara=klara, rita=rita,
                           project=project)


def test_a_child_organizations_person_is_invited_to_the_partner_account(
        api, sql, ldap_admin, help_center_child, invitation_mail):
    """The tester's situation: Rita, the reseller's admin, is no member of
    the child the Help Center created; its people are not in her tree.
    Inviting one of them to the reseller is the ordinary 202 invitation
    (their consent), alike to an unknown address's, with a mail and a
    link."""
    w = help_center_child
    before = S.outbox_max_id(sql)
    r_known = w.rita.post(invitations_path(w.reseller.account.id),
                          json={"email": w.klara.mail, "role": "billing"})
    r_unknown = w.rita.post(invitations_path(w.reseller.account.id),
                            json={"email": S.unique_mail("r19-nobody-"), "role": "billing"})
    a, b = S.expect(r_known, 202), S.expect(r_unknown, 202)
    assert set(a) == set(b) == INVITE_KEYS and a["status"] == b["status"] == "invited", (a, b)
    assert "uid" not in a and a["email"] == w.klara.mail
    assert set(r_known.headers) - {"Date", "Content-Length", "X-Request-Id"} == \
        set(r_unknown.headers) - {"Date", "Content-Length", "X-Request-Id"}
    assert S.roles_in_ldap(ldap_admin, w.reseller.account.id, w.klara) == set()
    mail, token = invitation_mail(w.klara.mail, after=before)
    assert "/invitations/" in mail.body and token
    # Her consent: accepting gives the role.
    accepted = S.expect(S.accept_invitation(api, token), 200)
    assert (accepted["uid"], accepted["created"]) == (w.klara.uid, False), accepted
    assert S.roles_in_ldap(ldap_admin, w.reseller.account.id, w.klara) == {"billing"}


def test_a_child_organizations_person_is_invited_to_a_partner_project(
        sql, ldap_admin, help_center_child, invitation_mail):
    """The same by e-mail into one of the reseller's projects: 202 and a
    mail, no project role until they consent."""
    w = help_center_child
    before = S.outbox_max_id(sql)
    got = S.expect(w.rita.post(f"/api/v1/projects/{w.project['id']}/invitations",
                               json={"email": w.karl.mail, "role": "reader"}), 202)
    assert got["status"] == "invited" and "uid" not in got, got
    mail, token = invitation_mail(w.karl.mail, after=before)
    assert "/invitations/" in mail.body and token
    assert S.project_roles_in_ldap(ldap_admin, w.reseller.account.id, w.project["id"], w.karl) == set()


def test_a_child_organizations_person_is_an_unknown_uid_to_a_project_put(ldap_admin,
                                                                       help_center_child):
    """By uid into the project: the 404 of an unknown uid, no name, no
    mail, no role."""
    w = help_center_child
    known = w.rita.put(project_member_path(w.project["id"], w.klara.uid), json={"role": "reader"})
    unknown = w.rita.put(project_member_path(w.project["id"], "r19-nobody-" + S.unique()),
                         json={"role": "reader"})
    S.expect_problem(known, 404, "not-found"), S.expect_problem(unknown, 404, "not-found")
    assert without_instance(known.json()) == without_instance(unknown.json())
    assert w.klara.mail not in known.text and w.klara.name not in known.text
    assert S.project_roles_in_ldap(ldap_admin, w.reseller.account.id, w.project["id"], w.klara) == set()


def test_a_child_organizations_person_named_as_contact_is_invited(ldap_admin, help_center_child):
    """Nor as the contact of a new organization (the creator's tree)."""
    w = help_center_child
    r = w.rita.post("/api/v1/accounts", json={
        "kind": "customer", "name": S.unique("it-org-"), "parent_id": w.reseller.account.id,
        "contact": {"email": w.karl.mail}})
    body = S.expect(r, 201)
    assert body["contact"]["status"] == "invited" and set(body["contact"]) == INVITE_KEYS, body
    assert S.roles_in_ldap(ldap_admin, body["id"], w.karl) == set()


def test_a_member_role_in_the_child_does_not_make_its_people_the_partners(
        ldap_admin, set_roles, help_center_child):
    """A member (or billing) role in the child is no way in: only admin or
    service-provider there is."""
    w = help_center_child
    set_roles(w.karl, w.child.id, w.reseller.admin, ["member", "billing"])
    S.expect(w.rita.post(invitations_path(w.reseller.account.id),
                         json={"email": w.karl.mail, "role": "member"}), 202)
    S.expect_problem(w.rita.put(project_member_path(w.project["id"], w.karl.uid),
                                json={"role": "reader"}), 404, "not-found")
    assert S.roles_in_ldap(ldap_admin, w.reseller.account.id, w.karl) == set()


def test_a_partner_admin_who_administers_the_child_adds_its_people(
        api, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """The same admin reaches a child's people through a role of admin (or
    service-provider) in that child: a child she created herself (its
    creator is its admin), or the Help Center's child once she is made its
    admin."""
    reseller, child, karl, klara = operator_child(make_tenant, make_account, make_person,
                                                  set_roles, "r19d1a")
    rita = api(reseller.admin)
    project = S.expect(rita.post(f"/api/v1/accounts/{reseller.account.id}/projects",
                                 json={"name": S.unique("Kunde Vier ERP ")}), 201)

    # Her own child: its people are added at once, and placed by uid.
    own = make_account(reseller.admin, "customer", reseller.account.id)
    zoe = make_person(prefix="kz")
    set_roles(reseller.admin, own.id, zoe, ["member"])
    got = S.expect(rita.post(invitations_path(reseller.account.id),
                             json={"email": zoe.mail, "role": "billing"}), 201)
    assert got == {"status": "added", "uid": zoe.uid, "role": "billing"}, got
    assert S.roles_in_ldap(ldap_admin, reseller.account.id, zoe) == {"billing"}
    got = S.expect(rita.put(project_member_path(project["id"], zoe.uid), json={"role": "reader"}), 200)
    assert (got["uid"], got["mail"], got["roles"]) == (zoe.uid, zoe.mail, ["reader"]), got

    # The Help Center's child, once she is a service provider there: its
    # people are hers.
    set_roles("olivia", child.id, reseller.admin, ["service-provider"])
    got = S.expect(rita.put(project_member_path(project["id"], karl.uid), json={"role": "reader"}), 200)
    assert got["roles"] == ["reader"], got
    # And once she is its admin.
    set_roles("olivia", child.id, reseller.admin, ["admin"])
    got = S.expect(rita.post(invitations_path(reseller.account.id),
                             json={"email": klara.mail, "role": "member"}), 201)
    assert got == {"status": "added", "uid": klara.uid, "role": "member"}, got
    assert S.roles_in_ldap(ldap_admin, reseller.account.id, klara) == {"member"}


def test_an_expired_service_provider_grant_is_no_way_into_the_tree(
        api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """A service-provider grant of the caller past its expires_at counts for
    nothing, here as everywhere: its account's people are no longer the
    caller's (the tree counted it until its expiry was read)."""
    reseller = make_tenant("r19d1x")
    other = make_tenant("r19d1y")
    served = make_account(other.admin, "customer", other.account.id)
    set_roles(other.admin, served.id, reseller.admin, ["service-provider"])
    first, second = make_person(prefix="kx"), make_person(prefix="ky")
    set_roles(other.admin, served.id, first, ["member"])
    set_roles(other.admin, served.id, second, ["member"])
    rita = api(reseller.admin)
    # While the grant holds, the served account's people are hers.
    got = S.expect(rita.post(invitations_path(reseller.account.id),
                             json={"email": first.mail, "role": "member"}), 201)
    assert got["status"] == "added", got
    # Past its expires_at: invited, like anyone outside her tree.
    sql.rows("UPDATE service_provider_access SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND"
             " WHERE account_id = %s AND uid = %s", int(served.id), reseller.admin.uid)
    assert sql.rows("SELECT uid FROM service_provider_access WHERE account_id = %s AND uid = %s"
                    " AND expires_at < CURRENT_TIMESTAMP(6)", int(served.id), reseller.admin.uid)
    got = S.expect(rita.post(invitations_path(reseller.account.id),
                             json={"email": second.mail, "role": "member"}), 202)
    assert got["status"] == "invited", got
    assert S.roles_in_ldap(ldap_admin, reseller.account.id, second) == set()


def test_operator_staff_still_add_a_child_organizations_people(
        api, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """Operators' tree stays the whole directory."""
    reseller, child, karl, klara = operator_child(make_tenant, make_account, make_person,
                                                  set_roles, "r19d1o")
    olivia = api("olivia")
    got = S.expect(olivia.post(invitations_path(reseller.account.id),
                               json={"email": klara.mail, "role": "billing"}), 201)
    assert got == {"status": "added", "uid": klara.uid, "role": "billing"}, got
    project = S.expect(api(reseller.admin).post(f"/api/v1/accounts/{reseller.account.id}/projects",
                                                json={"name": S.unique("Kunde Sechs ")}), 201)
    got = S.expect(olivia.put(project_member_path(project["id"], karl.uid), json={"role": "editor"}), 200)
    assert (got["uid"], got["roles"]) == (karl.uid, ["editor"]), got
    assert S.project_roles_in_ldap(ldap_admin, reseller.account.id, project["id"], karl) == {"editor"}


# ------------------------------------------------------------- mail budget

def fill_budget(sql, account_id, n):
    """n budgeted mails of the last minutes, as if sent already."""
    for i in range(n):
        sql.rows("INSERT INTO mail_outbox (account_id, template, category, recipient, subject,"
                 " body, status, created_at) VALUES (%s, 'invitation', 'transactional', %s,"
                 " 'x', '', 'sent', CURRENT_TIMESTAMP(6) - INTERVAL 60 SECOND)",
                 int(account_id), f"filled-{i}@example.org")


def budget_of(env_conf):
    with open(env_conf) as f:
        for line in f:
            if line.strip().startswith("mail_budget ") or line.strip().startswith("mail_budget="):
                return int(line.split("=", 1)[1])
    return 100   # the default (docs/config.md)


def test_mail_past_the_budget_is_429_and_changes_nothing(api, customer, make_account, sql, env):
    admin, acc = customer
    budget = budget_of(env["ACCOUNTD_CONF"])
    fill_budget(sql, acc.id, budget - 1)

    # One recipient of room left: the next invitation goes out.
    S.expect(api(admin).post(invitations_path(acc.id),
                             json={"email": S.unique_mail("last-"), "role": "member"}), 202)
    # The budget is spent: refused, nothing written.
    before = S.outbox_max_id(sql)
    email = S.unique_mail("over-")
    r = api(admin).post(invitations_path(acc.id), json={"email": email, "role": "member"})
    S.expect_problem(r, 429, "mail-budget-exceeded")
    retry = r.headers.get("Retry-After", "")
    assert retry.isdigit() and 0 < int(retry) <= 3600, S.describe(r)
    assert S.outbox_max_id(sql) == before
    assert sql.rows("SELECT id FROM invitations WHERE email=%s", email) == []

    # Announcements count too.
    r = api(admin).post(f"/api/v1/accounts/{acc.id}/announcements",
                        json={"subject": "News", "body": "text"})
    S.expect_problem(r, 429, "mail-budget-exceeded")
    assert S.outbox_max_id(sql) == before

    # Another account has its own budget.
    sibling = make_account(admin, "customer", acc.parent_id)
    S.expect(api(admin).post(invitations_path(sibling.id),
                             json={"email": email, "role": "member"}), 202)


def test_old_mail_leaves_the_budget(api, customer, sql):
    """Mail older than mail_budget_window does not count."""
    admin, acc = customer
    sql.rows("INSERT INTO mail_outbox (account_id, template, category, recipient, subject, body,"
             " status, created_at) SELECT %s, 'invitation', 'transactional', CONCAT('old-', seq,"
             " '@example.org'), 'x', '', 'sent', CURRENT_TIMESTAMP(6) - INTERVAL 2 DAY"
             " FROM seq_1_to_500", int(acc.id))
    S.expect(api(admin).post(invitations_path(acc.id),
                             json={"email": S.unique_mail("fresh-"), "role": "member"}), 202)
