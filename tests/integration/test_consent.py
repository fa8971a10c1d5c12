"""Issue 7, defect 6: no directory harvesting, no unlimited mail.

A person LDAP knows is added at once only when they are in the caller's
tenant tree (docs/api.md, "tenant tree"); anyone else gets an invitation
mail like a new person, and the answer is the same as for an address LDAP
does not know. Mail that tenants cause (invitations, added-to-account,
contact changes, announcements) counts against a per-account budget
(mail_budget recipients per mail_budget_window seconds): past it, 429 with
Retry-After and nothing changes."""
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
