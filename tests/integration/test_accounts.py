"""Accounts: create (SQL row + LDAP role groups + audit), the partner's
overview list, the joined account view with ETag, PATCH with If-Match,
validation, close, and who may see and do what."""
import pytest

import support as S
from conftest import company


# ------------------------------------------------------------------ create

def test_operator_creates_partner(api, make_account, ldap_admin, sql, operator_id, person):
    olivia = person("olivia")
    acc = make_account("olivia", "partner", operator_id)
    assert acc.body.get("name") in (None, acc.name)

    # LDAP: the account entry, its four role groups, the creator is admin.
    assert S.ldap_entry(ldap_admin, S.account_dn(acc.id)) is not None
    for role in S.ROLES:
        entry = S.ldap_entry(ldap_admin, S.role_dn(acc.id, role), ["objectClass", "accountdAccountId"])
        assert entry is not None, f"role group {role} missing"
        assert "accountdrolegroup" in {c.lower() for c in entry["objectclass"]}
        assert [str(v) for v in entry["accountdaccountid"]] == [acc.id]
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(olivia.dn)}
    assert S.roles_in_ldap(ldap_admin, acc.id, olivia) == {"admin"}

    # SQL: the row, finished saga, and an audit row by the creator.
    row = sql.account(acc.id)
    assert row is not None
    assert (row["kind"], row["name"], row["status"], row["ldap_state"]) == ("partner", acc.name, "active", "done")
    assert str(row["parent_id"]) == operator_id
    assert row["created_by"] == "olivia"
    assert row["company_city"] == "Wien" and row["company_country"] == "AT"
    audit = sql.audit(acc.id)
    assert audit, "no audit row for the new account"
    assert any(a["uid"] == "olivia" for a in audit), audit


def test_partner_admin_creates_customer_and_is_its_admin(api, make_tenant, make_account, ldap_admin, sql):
    t = make_tenant()
    assert "admin" in S.roles_in_ldap(ldap_admin, t.account.id, t.admin)
    child = make_account(t.admin, "customer", t.account.id)
    assert S.group_members(ldap_admin, child.id, "admin") == {S.norm_dn(t.admin.dn)}
    row = sql.account(child.id)
    assert str(row["parent_id"]) == t.account.id
    assert row["created_by"] == t.admin.uid
    assert row["ldap_state"] == "done"
    me = S.expect(api(t.admin).get("/api/v1/me"), 200)
    mine = {a["id"]: a for a in me["accounts"]}
    assert mine[child.id]["roles"] == ["admin"]
    assert mine[child.id]["kind"] == "customer"


def test_partner_may_create_sub_partner(make_tenant, make_account, sql):
    t = make_tenant()
    sub = make_account(t.admin, "partner", t.account.id)
    assert sql.account(sub.id)["kind"] == "partner"


SELF_TEXT = "You made this change."


def _created_with_self_as_contact(api, sql, mailbox, ldap_admin, by, kind, parent_id):
    """by creates a `kind` under parent_id naming their own address (in
    upper case) as the contact; returns the new account's id after
    checking what round-15 walkthrough of seed 003, D3 asks: no
    added-to-account (they are its admin by creating it) and no
    member.add row, their roles as a create without contact leaves them,
    the contacts named, and their contact-changed copy "You made this
    change."."""
    before = S.outbox_max_id(sql)
    name = S.unique(f"it-self-{kind}-")
    r = api(by).post("/api/v1/accounts", json={
        "kind": kind, "name": name, "parent_id": str(parent_id), "company": company(name),
        "contact": {"first_name": "Self", "last_name": "Named", "email": by.mail.upper()}})
    body = S.expect(r, 201)
    assert body["contact"] == {"status": "added", "uid": by.uid, "role": "admin"}, body
    assert body["contacts"]["primary"]["uid"] == by.uid, body
    assert body["contacts"]["technical"]["uid"] == by.uid, body
    assert S.group_members(ldap_admin, body["id"], "admin") == {S.norm_dn(by.dn)}
    assert S.roles_in_ldap(ldap_admin, body["id"], by) == {"admin"}
    rows = S.wait_outbox_settled(sql, account_id=body["id"], after_id=before)
    assert [r["template"] for r in rows] == ["contact-changed"], rows
    assert rows[0]["recipient"].lower() == by.mail.lower(), rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    assert SELF_TEXT in mails[0].body, mails[0].body
    assert "You were added to" not in mails[0].subject, mails[0].subject
    actions = [a["action"] for a in sql.audit(body["id"])]
    assert "member.add" not in actions, actions
    assert actions.count("contact.set") == 2, actions
    return body["id"]


def test_the_creator_named_as_contact_is_not_told_they_were_added(api, sql, mailbox, ldap_admin,
                                                                 make_tenant, make_person,
                                                                 set_roles):
    """Round-15 walkthrough of seed 003, D3: a reseller's admin who names
    their own address (any case) as the contact of a customer they create
    got "You were added to ..." as if someone else had added them. They
    are its admin by creating it: no added-to-account, as for an
    invitation of someone who already holds the role; the contact-changed
    mail with "You made this change." stays. Another person named as
    contact is still told."""
    t = make_tenant("cself3")
    acc_id = _created_with_self_as_contact(api, sql, mailbox, ldap_admin, t.admin, "customer",
                                           t.account.id)
    me = S.expect(api(t.admin).get("/api/v1/me"), 200)
    assert {a["id"]: a for a in me["accounts"]}[acc_id]["roles"] == ["admin"], me
    # Someone else of the tree named as contact is still added and told.
    tom = make_person(prefix="cs3t")
    set_roles(t.admin, t.account.id, tom, ["member"])
    before = S.outbox_max_id(sql)
    body = S.expect(api(t.admin).post("/api/v1/accounts", json={
        "kind": "customer", "name": S.unique("it-cs3-"), "parent_id": t.account.id,
        "contact": {"email": tom.mail}}), 201)
    rows = S.wait_outbox_settled(sql, account_id=body["id"], after_id=before)
    assert [r["recipient"].lower() for r in rows if r["template"] == "added-to-account"] == [
        tom.mail.lower()], rows


def test_operator_staff_named_as_contact_of_what_they_create_are_not_told_they_were_added(
        api, sql, mailbox, ldap_admin, operator_id, person):
    """D3 of seed 003 for operator staff: a partner or a distributor they
    create naming themselves as the contact mails them no added-to-account
    either."""
    olivia = person("olivia")
    for kind in ("partner", "distributor"):
        _created_with_self_as_contact(api, sql, mailbox, ldap_admin, olivia, kind, operator_id)


def test_staged_account(api, make_tenant, make_account, sql):
    t = make_tenant()
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    assert sql.account(acc.id)["status"] == "staged"
    assert S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["status"] == "staged"


# ------------------------------------------------------------------ validation

def _post_rejected(api, sql, caller, body, status, *fields, slug=None):
    """POST body as caller, assert the problem, and that no row was written."""
    total = sql.count_accounts()
    mine = sql.count_accounts(created_by=caller.uid)
    r = api(caller).post("/api/v1/accounts", json=body)
    if status == 422:
        S.expect_field_errors(r, *fields)
    else:
        S.expect_problem(r, status, slug)
    assert sql.count_accounts(created_by=caller.uid) == mine
    assert sql.count_accounts() == total
    if isinstance(body.get("name"), str):
        assert sql.count_accounts(name=body["name"]) == 0
    return r


def _body(parent_id, **over):
    name = S.unique("it-bad-")
    body = {"kind": "customer", "name": name, "parent_id": parent_id, "company": company(name)}
    body.update(over)
    return body


def test_bad_kind_is_422(api, sql, make_tenant):
    t = make_tenant()
    _post_rejected(api, sql, t.admin, _body(t.account.id, kind="galaxy"), 422, "kind")


def test_operator_kind_is_never_created(api, sql, operator_id, person):
    _post_rejected(api, sql, person("olivia"), _body(operator_id, kind="operator"), 422, "kind")


def test_missing_name_is_422(api, sql, make_tenant):
    t = make_tenant()
    body = _body(t.account.id)
    del body["name"]
    _post_rejected(api, sql, t.admin, body, 422, "name")


def test_country_must_be_iso_code(api, sql, make_tenant):
    t = make_tenant()
    body = _body(t.account.id)
    body["company"]["country"] = "Austria"
    _post_rejected(api, sql, t.admin, body, 422, "country")


@pytest.mark.parametrize("country", ["Austria", "Österreich", "AUT", "at", "A" * 40])
def test_a_country_name_gets_told_the_code_is_expected(api, sql, make_tenant, customer, country):
    """story-000 D10: a country name is not "too long": the error says a
    two-letter ISO 3166-1 code is expected, on create and on PATCH."""
    t = make_tenant()
    body = _body(t.account.id)
    body["company"]["country"] = country
    errors = S.expect_field_errors(_post_rejected(api, sql, t.admin, body, 422, "country"), "country")
    message = errors["company.country"]
    assert "ISO 3166-1 alpha-2" in message and "AT" in message and "too long" not in message, errors
    ct, acc = customer
    r = api(ct.admin).patch(f"/api/v1/accounts/{acc.id}", json={"company": {"country": country}})
    assert S.expect_field_errors(r, "country")["company.country"] == message


def test_unknown_field_is_422(api, sql, make_tenant):
    t = make_tenant()
    _post_rejected(api, sql, t.admin, _body(t.account.id, colour="blue"), 422, "colour")


def test_unknown_company_field_is_422(api, sql, make_tenant):
    t = make_tenant()
    body = _body(t.account.id)
    body["company"]["shoe_size"] = "42"
    _post_rejected(api, sql, t.admin, body, 422, "shoe_size")


def test_customer_cannot_have_children(api, sql, make_tenant, make_account):
    t = make_tenant()
    customer = make_account(t.admin, "customer", t.account.id)
    r = _post_rejected(api, sql, t.admin, _body(customer.id), 422)
    assert r.json()["errors"]


@pytest.mark.parametrize("role", ["member", "billing", "service-provider"])
def test_parent_visible_but_not_admin_is_403(api, sql, make_tenant, make_person, set_roles, role):
    t = make_tenant()
    m = make_person()
    set_roles(t.admin, t.account.id, m, [role])
    _post_rejected(api, sql, m, _body(t.account.id), 403, slug="forbidden")


def test_partner_admin_not_member_of_child_cannot_create_under_it(api, sql, make_tenant, make_account,
                                                                 make_person, set_roles):
    t = make_tenant()
    other_admin = make_person()
    set_roles(t.admin, t.account.id, other_admin, ["admin"])
    child = make_account(t.admin, "partner", t.account.id)
    _post_rejected(api, sql, other_admin, _body(child.id), 403, slug="forbidden")


def test_parent_of_another_tenant_is_404(api, sql, make_tenant):
    mine, theirs = make_tenant(), make_tenant()
    _post_rejected(api, sql, theirs.admin, _body(mine.account.id), 404, slug="not-found")


def test_only_operators_omit_parent(api, sql, make_tenant):
    t = make_tenant()
    body = _body(None, kind="partner")
    del body["parent_id"]
    total = sql.count_accounts()
    r = api(t.admin).post("/api/v1/accounts", json=body)
    S.expect_field_errors(r, "parent_id")
    assert sql.count_accounts() == total


def test_a_null_parent_is_no_parent(api, sql, make_person, ldap_admin):
    """`"parent_id": null` from someone who is not an operator admin creates
    no top-level account (and makes nobody its admin)."""
    p = make_person()
    total = sql.count_accounts()
    for kind in ("distributor", "partner", "customer"):
        body = _body(None, kind=kind)
        body["parent_id"] = None
        S.expect_field_errors(api(p).post("/api/v1/accounts", json=body), "parent_id")
    assert sql.count_accounts() == total
    assert S.expect(api(p).get("/api/v1/me"), 200)["accounts"] == []


def test_operator_may_create_a_top_level_account(api, sql, ldap_admin):
    body = _body(None, kind="distributor")
    body["parent_id"] = None
    r = api("olivia").post("/api/v1/accounts", json=body)
    S.expect(r, 201)
    new_id = S.location_id(r)
    row = sql.row("SELECT parent_id, kind FROM accounts WHERE id = %s", new_id)
    assert row["parent_id"] is None and row["kind"] == "distributor", row
    assert S.group_members(ldap_admin, new_id, "admin") == {S.norm_dn(S.person_dn("olivia"))}


# ------------------------------------------------------------------ overview list

@pytest.fixture
def partner_with_children(make_tenant, make_account):
    t = make_tenant()
    children = [make_account(t.admin, "customer", t.account.id, name=S.unique(f"it-child{i}-"))
                for i in range(3)]
    return t, children


def test_partner_lists_its_children(api, partner_with_children):
    t, children = partner_with_children
    r = api(t.admin).get("/api/v1/accounts", params={"parent_id": t.account.id})
    body = S.expect(r, 200)
    rows = {item["id"]: item for item in body["items"]}
    assert set(rows) == {c.id for c in children}
    for c in children:
        item = rows[c.id]
        assert item["name"] == c.name
        assert item["kind"] == "customer"
        assert item["status"] == "active"
        assert item["member_count"] == 1
        assert item["properties"] == {}
    assert not body.get("next_cursor")


def test_overview_pages_with_cursor(api, partner_with_children):
    t, children = partner_with_children
    s = api(t.admin)
    seen, cursor = [], None
    for _ in range(len(children) + 2):
        params = {"parent_id": t.account.id, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        body = S.expect(s.get("/api/v1/accounts", params=params), 200)
        assert len(body["items"]) <= 1, body
        seen += [item["id"] for item in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    else:
        pytest.fail(f"paging did not end: {seen}")
    assert len(seen) == len(set(seen)), f"duplicates: {seen}"
    assert set(seen) == {c.id for c in children}


def test_overview_sorts_by_name_and_id(api, partner_with_children):
    t, children = partner_with_children
    s = api(t.admin)
    by_name = S.expect(s.get("/api/v1/accounts", params={"parent_id": t.account.id, "sort": "-name"}), 200)
    assert [i["name"] for i in by_name["items"]] == sorted((c.name for c in children), reverse=True)
    by_id = S.expect(s.get("/api/v1/accounts", params={"parent_id": t.account.id, "sort": "-id"}), 200)
    assert [i["id"] for i in by_id["items"]] == sorted((c.id for c in children), key=int, reverse=True)


def test_overview_for_service_provider_of_parent(api, partner_with_children, make_person, set_roles):
    t, children = partner_with_children
    sp = make_person()
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    body = S.expect(api(sp).get("/api/v1/accounts", params={"parent_id": t.account.id}), 200)
    assert {i["id"] for i in body["items"]} == {c.id for c in children}


def test_overview_refused_to_plain_member_of_parent(api, partner_with_children, make_person, set_roles):
    """A member of the parent may not read its table; its billing people
    may, since round 15 (seed 002, D1: the back office that orders for the
    children must find them), and get the admin's rows."""
    t, children = partner_with_children
    m = make_person()
    set_roles(t.admin, t.account.id, m, ["member"])
    S.expect_problem(api(m).get("/api/v1/accounts", params={"parent_id": t.account.id}), 403, "forbidden")
    b = make_person()
    set_roles(t.admin, t.account.id, b, ["billing"])
    body = S.expect(api(b).get("/api/v1/accounts", params={"parent_id": t.account.id}), 200)
    assert {i["id"] for i in body["items"]} == {c.id for c in children}


def test_partner_admin_sees_rows_but_may_not_enter_child(api, partner_with_children, make_person, set_roles):
    t, children = partner_with_children
    other_admin = make_person()
    set_roles(t.admin, t.account.id, other_admin, ["admin"])
    s = api(other_admin)
    body = S.expect(s.get("/api/v1/accounts", params={"parent_id": t.account.id}), 200)
    assert {i["id"] for i in body["items"]} == {c.id for c in children}
    child = children[0].id
    S.expect_problem(s.get(f"/api/v1/accounts/{child}"), 403, "forbidden")
    S.expect_problem(s.get(f"/api/v1/accounts/{child}/members"), 403, "forbidden")


def test_plain_member_of_parent_does_not_learn_of_children(api, partner_with_children, make_person,
                                                           set_roles):
    """Only the parent's admins and service providers see child rows; for
    a member of the parent a child is 404, as if it did not exist. The
    parent's billing people read the rows in its table (round-15
    walkthrough of seed 002, D1), so a child is 403 to them, not 404
    (round-13 walkthrough of seed 002, D3); a partner has no back office
    (round-17 walkthrough of seed 001, D1), so its billing too is 403 to
    them."""
    t, children = partner_with_children
    child = children[0].id
    for role, status in (("member", 404), ("billing", 403)):
        m = make_person()
        set_roles(t.admin, t.account.id, m, [role])
        s = api(m)
        S.expect(s.get(f"/api/v1/accounts/{t.account.id}"), 200)
        S.expect_problem(s.get(f"/api/v1/accounts/{child}"), status)
        S.expect_problem(s.get(f"/api/v1/accounts/{child}/members"), status)
        if status == 404:
            missing = S.expect_problem(s.get("/api/v1/accounts/999999999"), 404, "not-found")
            assert missing["detail"] == S.expect_problem(s.get(f"/api/v1/accounts/{child}"),
                                                         404)["detail"]
        else:
            problem = S.expect_problem(s.get(f"/api/v1/accounts/{child}/invoices"), 403)
            assert problem["detail"] == "you are not a member of this account", problem


def test_the_parents_billing_people_get_403_on_a_child_after_its_back_office_ended(
        api, sql, make_tenant, make_account, make_person, set_roles):
    """Round-16 walkthrough of seed 001, D1: once the customer's admin
    removed the parent's people from a child (the back office's end,
    audited as account.back_office_end), the parent's billing person still
    read its row in the parent's table, but every request on it answered
    404 "no such account", while the parent's admin got 403. A row the
    caller reads in the table is an account they know: 403 "you are not a
    member of this account" on each child route they hit, as for the
    parent's admins. A member of the parent is still 404 there, as is
    another tenant. The parent is a distributor: the back office is its
    (round-17 walkthrough of seed 001, D1)."""
    t = make_tenant("bo16", kind="distributor")
    office = make_person(prefix="bo16o")
    set_roles("olivia", t.account.id, office, ["admin"])
    bill = make_person(prefix="bo16b")
    set_roles("olivia", t.account.id, bill, ["billing"])
    mem = make_person(prefix="bo16m")
    set_roles("olivia", t.account.id, mem, ["member"])
    stranger = make_tenant("bo16x").admin
    child = make_account(t.admin, "customer", t.account.id)
    draft = S.expect(api(bill).post(f"/api/v1/accounts/{child.id}/orders",
                                    json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    sid = S.expect(api(bill).post(f"/api/v1/orders/{draft['id']}/execute"), 200)["subscription"]["id"]
    oid = draft["id"]
    cust = make_person(prefix="bo16c")
    set_roles(t.admin, child.id, cust, ["admin"])
    # Before: the back office (billing of the distributor) reads and orders.
    S.expect(api(bill).get(f"/api/v1/accounts/{child.id}/invoices"), 200)
    S.expect_problem(api(bill).get(f"/api/v1/accounts/{child.id}"), 403, "forbidden")
    # The customer removes the distributor's last person: the back office ends.
    S.expect(api(cust).delete(f"/api/v1/accounts/{child.id}/members/{S.path_quote(t.admin.uid)}"), 204)
    assert sql.account(child.id)["handed_over_at"] is not None
    assert [a for a in sql.audit(child.id) if a["action"] == "account.back_office_end"]
    # The row stays in the billing person's (and the admins') table.
    for who in (bill, office):
        rows = S.expect(api(who).get("/api/v1/accounts", params={"parent_id": t.account.id}), 200)["items"]
        assert child.id in [i["id"] for i in rows], rows
    calls = (("GET", f"/api/v1/accounts/{child.id}", None),
             ("GET", f"/api/v1/accounts/{child.id}/orders", None),
             ("GET", f"/api/v1/accounts/{child.id}/subscriptions", None),
             ("GET", f"/api/v1/accounts/{child.id}/invoices", None),
             ("GET", f"/api/v1/accounts/{child.id}/licenses", None),
             ("GET", f"/api/v1/orders/{oid}", None),
             ("GET", f"/api/v1/subscriptions/{sid}", None),
             ("POST", f"/api/v1/accounts/{child.id}/orders",
              {"lines": [{"article": "starter", "quantity": 1}]}))
    orders_before = sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(child.id))
    for method, path, body in calls:
        for who in (bill, office, t.admin):
            problem = S.expect_problem(api(who).request(method, path, json=body), 403, "forbidden")
            assert problem["detail"] == "you are not a member of this account", (who.uid, method, path, problem)
        for who in (mem, stranger):
            problem = S.expect_problem(api(who).request(method, path, json=body), 404, "not-found")
            assert problem["detail"] in ("no such account", "no such order", "no such subscription"), problem
    assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(child.id)) == orders_before
    # The customer's own admin still reads it.
    S.expect(api(cust).get(f"/api/v1/accounts/{child.id}"), 200)


def test_other_tenant_sees_nothing(api, partner_with_children, make_tenant):
    t, children = partner_with_children
    stranger = make_tenant().admin
    s = api(stranger)
    S.expect_problem(s.get(f"/api/v1/accounts/{children[0].id}"), 404, "not-found")
    S.expect_problem(s.get(f"/api/v1/accounts/{children[0].id}/members"), 404, "not-found")
    S.expect_problem(s.get(f"/api/v1/accounts/{t.account.id}"), 404, "not-found")
    S.expect_problem(s.get("/api/v1/accounts", params={"parent_id": t.account.id}), 404, "not-found")


def test_missing_and_malformed_ids_are_404(api):
    s = api("olivia")
    for account_id in ("999999999999", "99999999999999999999999999", "abc", "-1", "1.5"):
        S.expect_problem(s.get(f"/api/v1/accounts/{account_id}"), 404, "not-found")


# ------------------------------------------------------------------ the account view

def test_account_view_joins_sql_and_ldap(api, make_tenant, make_account, make_person, set_roles, sql):
    t = make_tenant()
    acc = make_account(t.admin, "customer", t.account.id)
    b = make_person()
    set_roles(t.admin, acc.id, b, ["billing", "member"])
    r = api(t.admin).get(f"/api/v1/accounts/{acc.id}")
    body = S.expect(r, 200)
    assert body["id"] == acc.id
    assert body["name"] == acc.name
    assert body["kind"] == "customer"
    assert body["status"] == "active"
    assert body["company"]["name"] == acc.name + " GmbH"
    assert body["company"]["city"] == "Wien"
    assert body["company"]["country"] == "AT"
    assert body["company"]["postcode"] == "1010"
    members = {m["uid"]: m for m in body["members"]}
    assert set(members) == {t.admin.uid, b.uid}
    assert members[t.admin.uid]["roles"] == ["admin"]
    assert sorted(members[b.uid]["roles"]) == ["billing", "member"]
    assert members[b.uid]["name"] == b.name and members[b.uid]["mail"] == b.mail
    assert isinstance(body["contacts"], dict)
    assert body["properties"] == {}
    assert isinstance(body["notification_recipients"], list)
    version = sql.account(acc.id)["version"]
    assert r.headers.get("ETag") == f'"{acc.id}.{version}"', S.describe(r)


def test_any_role_may_read_the_account(api, make_tenant, make_account, make_person, set_roles):
    t = make_tenant()
    acc = make_account(t.admin, "customer", t.account.id)
    m = make_person()
    set_roles(t.admin, acc.id, m, ["member"])
    assert S.expect(api(m).get(f"/api/v1/accounts/{acc.id}"), 200)["id"] == acc.id
    items = S.expect(api(m).get(f"/api/v1/accounts/{acc.id}/members"), 200)["items"]
    assert {i["uid"] for i in items} == {t.admin.uid, m.uid}


def test_operator_may_read_any_account(api, make_tenant, make_account):
    t = make_tenant()
    acc = make_account(t.admin, "customer", t.account.id)
    assert S.expect(api("olivia").get(f"/api/v1/accounts/{acc.id}"), 200)["id"] == acc.id


# ------------------------------------------------------------------ PATCH

@pytest.fixture
def customer(make_tenant, make_account):
    t = make_tenant()
    return t, make_account(t.admin, "customer", t.account.id)


def test_patch_with_current_etag(api, customer, sql):
    t, acc = customer
    s = api(t.admin)
    r = s.get(f"/api/v1/accounts/{acc.id}")
    S.expect(r, 200)
    etag = r.headers["ETag"]
    before = sql.account(acc.id)
    new_name = S.unique("it-renamed-")
    r = s.patch(f"/api/v1/accounts/{acc.id}", json={"name": new_name}, headers={"If-Match": etag})
    body = S.expect(r, 200)
    assert body["name"] == new_name
    after = sql.account(acc.id)
    assert after["name"] == new_name
    assert after["version"] == before["version"] + 1
    r2 = s.get(f"/api/v1/accounts/{acc.id}")
    assert S.expect(r2, 200)["name"] == new_name
    assert r2.headers["ETag"] != etag
    assert r2.headers["ETag"] == f'"{acc.id}.{after["version"]}"'
    if "ETag" in r.headers:
        assert r.headers["ETag"] == r2.headers["ETag"]
    changes = [a for a in sql.audit(acc.id)
               if S.json_contains(a["old_value"], acc.name) and S.json_contains(a["new_value"], new_name)]
    assert changes, f"no audit row with old and new name: {sql.audit(acc.id)}"
    assert changes[-1]["uid"] == t.admin.uid


def test_patch_company_changes_only_the_fields_sent(api, customer, sql):
    t, acc = customer
    before = sql.account(acc.id)
    body = S.expect(api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"company": {"city": "Graz"}}), 200)
    assert body["company"]["city"] == "Graz"
    after = sql.account(acc.id)
    assert after["company_city"] == "Graz"
    assert (after["company_country"], after["company_postcode"], after["company_name"]) == \
        (before["company_country"], before["company_postcode"], before["company_name"])
    assert after["version"] == before["version"] + 1


def test_patch_with_stale_etag_is_412(api, customer, sql):
    t, acc = customer
    s = api(t.admin)
    stale = s.get(f"/api/v1/accounts/{acc.id}").headers["ETag"]
    S.expect(s.patch(f"/api/v1/accounts/{acc.id}", json={"name": S.unique("it-first-")},
                     headers={"If-Match": stale}), 200)
    before = sql.account(acc.id)
    audit_before = len(sql.audit(acc.id))
    r = s.patch(f"/api/v1/accounts/{acc.id}", json={"name": S.unique("it-second-")}, headers={"If-Match": stale})
    S.expect_problem(r, 412, "precondition-failed")
    after = sql.account(acc.id)
    assert (after["name"], after["version"]) == (before["name"], before["version"])
    assert len(sql.audit(acc.id)) == audit_before


def test_membership_change_keeps_etag(api, customer, make_person, set_roles):
    t, acc = customer
    s = api(t.admin)
    etag = s.get(f"/api/v1/accounts/{acc.id}").headers["ETag"]
    set_roles(t.admin, acc.id, make_person(), ["member"])
    assert s.get(f"/api/v1/accounts/{acc.id}").headers["ETag"] == etag


def test_patch_validation_changes_nothing(api, customer, sql):
    t, acc = customer
    before = sql.account(acc.id)
    r = api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"company": {"country": "Austria"}})
    S.expect_field_errors(r, "country")
    assert sql.account(acc.id)["version"] == before["version"]
    r = api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"kind": "partner"})
    S.expect_field_errors(r, "kind")
    after = sql.account(acc.id)
    assert (after["kind"], after["version"], after["company_country"]) == ("customer", before["version"], "AT")


def test_service_provider_may_patch(api, customer, make_person, set_roles, sql):
    t, acc = customer
    sp = make_person()
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    new_name = S.unique("it-sp-")
    S.expect(api(sp).patch(f"/api/v1/accounts/{acc.id}", json={"name": new_name}), 200)
    assert sql.account(acc.id)["name"] == new_name


def test_member_may_not_patch(api, customer, make_person, set_roles, sql):
    t, acc = customer
    m = make_person()
    set_roles(t.admin, acc.id, m, ["member"])
    S.expect_problem(api(m).patch(f"/api/v1/accounts/{acc.id}", json={"name": "nope"}), 403, "forbidden")
    assert sql.account(acc.id)["name"] == acc.name


def test_billing_may_not_patch(api, customer, make_person, set_roles, sql):
    t, acc = customer
    b = make_person()
    set_roles(t.admin, acc.id, b, ["billing"])
    S.expect_problem(api(b).patch(f"/api/v1/accounts/{acc.id}", json={"name": "nope"}), 403, "forbidden")
    assert sql.account(acc.id)["name"] == acc.name


def test_other_tenant_patch_is_404(api, customer, make_tenant, sql):
    _, acc = customer
    stranger = make_tenant().admin
    S.expect_problem(api(stranger).patch(f"/api/v1/accounts/{acc.id}", json={"name": "nope"}), 404, "not-found")
    assert sql.account(acc.id)["name"] == acc.name


# ------------------------------------------------------------------ close

def test_admin_closes_account(api, customer, sql):
    t, acc = customer
    audit_before = len(sql.audit(acc.id))
    r = api(t.admin).delete(f"/api/v1/accounts/{acc.id}")
    S.expect(r, 204)
    assert r.content == b""
    row = sql.account(acc.id)
    assert row["status"] == "closed" and row["closed_at"] is not None
    assert len(sql.audit(acc.id)) > audit_before
    assert S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["status"] == "closed"


def test_closed_account_refuses_changes(api, customer, make_person, sql):
    t, acc = customer
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{acc.id}"), 204)
    before = sql.account(acc.id)
    S.expect_problem(api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"name": "after-close"}), 409, "conflict")
    p = make_person()
    r = api(t.admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["member"]})
    S.expect_problem(r, 409, "conflict")
    after = sql.account(acc.id)
    assert (after["name"], after["version"], after["status"]) == (before["name"], before["version"], "closed")


@pytest.mark.parametrize("role", ["member", "billing", "service-provider"])
def test_only_admin_closes(api, customer, make_person, set_roles, sql, role):
    t, acc = customer
    p = make_person()
    set_roles(t.admin, acc.id, p, [role])
    S.expect_problem(api(p).delete(f"/api/v1/accounts/{acc.id}"), 403, "forbidden")
    assert sql.account(acc.id)["status"] == "active"


def test_other_tenant_close_is_404(api, customer, make_tenant, sql):
    _, acc = customer
    stranger = make_tenant().admin
    S.expect_problem(api(stranger).delete(f"/api/v1/accounts/{acc.id}"), 404, "not-found")
    assert sql.account(acc.id)["status"] == "active"


def test_closing_a_partner_tells_its_open_customer(api, customer, make_account, sql, mailbox):
    """Round-16 walkthrough of seed 002, D1: the close of a partner with an
    open customer stays 204, and the customer's contacts (else its admins)
    are mailed parent-closed, "... is a customer of ..."; without a
    storefront, no storefront line. A closed customer gets nothing. Roles
    the closer holds in the customer itself still count there."""
    t, acc = customer
    closed = make_account(t.admin, "customer", t.account.id)
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{closed.id}"), 204)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{t.account.id}"), 204)
    rows = [x for x in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if x["template"] == "parent-closed"]
    assert [x["recipient"].lower() for x in rows] == [t.admin.mail.lower()], rows
    body = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)[0].body.replace("\r\n", "\n")
    assert (f"{t.account.name} (account {t.account.id}), which {acc.name} (account {acc.id}) "
            f"is a customer of, was closed by {t.admin.name} of {t.account.name}.") in body, body
    assert "Its storefront stays" not in body, body
    # Round-18 walkthrough of seed 001, D1: the creator is the customer's
    # admin (its only one) and keeps that role: the mail says so, to them
    # in the second person (round-26 walkthrough of seed 003, D1).
    assert (f"\nYou still hold a role in {acc.name} (administrator) as one of the people of "
            f"{t.account.name}, and keep it until you leave it or another administrator of "
            f"{acc.name} removes you under its people; do that if you should no longer act for "
            f"{acc.name}. You are the only administrator of {acc.name}: make one of its own "
            "people an administrator before you leave it (the last administrator cannot be "
            "removed).\n") in body, body
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE id > %s AND account_id=%s",
                     before, int(closed.id)) == 0
    assert sql.account(acc.id)["status"] == "active"
    S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}/subscriptions"), 200)


def closing_mails(sql, mailbox, account_id, template, before):
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


def test_closing_a_partner_names_its_people_who_keep_roles_in_its_customers(
        api, make_tenant, make_account, make_person, set_roles, sql, mailbox):
    """Round-18 walkthrough of seed 001, D1 and D2: after a partner was
    closed, its customers (and the closer) read that "the people of
    <partner> no longer act for <customer>" as its back office, and of
    its storefront host. But the partner's person who created a customer
    is its admin (LineMetrics) and keeps every right there, in one case as
    its only admin; a partner has no back office and no storefront host.
    Decision: the mail names who of the partner still holds roles in the
    customer, with their roles, and that they keep them until an
    administrator of the customer removes them (and, when they are its
    only administrators, that one of its own people must become one
    first); no line when nobody does; nothing of a back office or a
    storefront host for a partner. account-closed says the same to the
    closer."""
    t = make_tenant("pcp")
    anna, p = t.admin, t.account
    ben = make_person(prefix="pcben", given="Ben")
    set_roles("olivia", p.id, ben, ["member"])
    # A: Anna created it (admin); Clara is its own admin; Ben a member.
    a = make_account(anna, "customer", p.id)
    clara = make_person(prefix="pccl", given="Clara")
    set_roles(anna, a.id, clara, ["admin"])
    set_roles(anna, a.id, ben, ["member", "billing"])
    # B: Anna created it, named Dora its admin and left it.
    b = make_account(anna, "customer", p.id)
    dora = make_person(prefix="pcdo", given="Dora")
    set_roles(anna, b.id, dora, ["admin"])
    S.expect(api(anna).delete(f"/api/v1/accounts/{b.id}/members/{S.path_quote(anna.uid)}"), 204)
    # A sub-partner and its customer, whose only admin is Anna.
    sub = make_account(anna, "partner", p.id)
    e = make_account(anna, "customer", sub.id)

    # Who may not close the partner: its member 403, a customer's own
    # admin (no role in the partner) and another tenant 404.
    path = f"/api/v1/accounts/{p.id}"
    S.expect_problem(api(ben).delete(path), 403, "forbidden")
    S.expect_problem(api(clara).delete(path), 404, "not-found")
    S.expect_problem(api(make_tenant("pcpx").admin).delete(path), 404, "not-found")
    assert sql.account(p.id)["status"] == "active"

    # The sub-partner first: its customer's only admin is Anna.
    before = S.outbox_max_id(sql)
    S.expect(api(anna).delete(f"/api/v1/accounts/{sub.id}"), 204)
    mails = closing_mails(sql, mailbox, e.id, "parent-closed", before)
    assert set(mails) == {anna.mail.lower()}, mails
    body = mails[anna.mail.lower()]
    assert (f"\nYou still hold a role in {e.name} (administrator) as one of the people of "
            f"{sub.name}, and keep it until you leave it or another administrator of {e.name} "
            f"removes you under its people; do that if you should no longer act for {e.name}. "
            f"You are the only administrator of {e.name}: make one of its own people an "
            "administrator before you leave it (the last administrator cannot be removed).\n") \
        in body, body
    for false in ("no longer act for " + e.name + ":", "back office", "storefront"):
        assert false not in body, (false, body)
    # ... and it is true: Anna still acts there.
    S.expect(api(anna).patch(f"/api/v1/accounts/{e.id}", json={"company": {"city": "Linz"}}), 200)
    closed = closing_mails(sql, mailbox, sub.id, "account-closed", before)
    assert (f"\n1 child account of it stays open, with its subscriptions, and its contacts were "
            "told: the roles people hold in it are unchanged. People of this account still hold "
            f"roles in it ({anna.name}), and keep them until an administrator of it removes "
            "them.\n") in closed[anna.mail.lower()], closed

    before = S.outbox_max_id(sql)
    S.expect(api(anna).delete(path), 204)
    assert sql.account(p.id)["status"] == "closed"
    mails = closing_mails(sql, mailbox, a.id, "parent-closed", before)
    assert set(mails) == {anna.mail.lower(), clara.mail.lower()}, mails
    first, second = sorted([(anna.uid.lower(), f"{anna.name} (administrator)"),
                            (ben.uid.lower(), f"{ben.name} (billing person, member)")])
    for body in mails.values():
        assert (f"{p.name} (account {p.id}), which {a.name} (account {a.id}) is a customer of, "
                f"was closed by {anna.name} of {p.name}.") in body, body
    # Clara reads of both in the third person; Anna (round-26 walkthrough
    # of seed 003, D1) of herself in the second, and of Ben as the
    # removal mails' own copy says it.
    assert (f"\n{a.name} and its subscriptions continue: the close changed nothing of "
            f"{a.name}, and the roles people hold in it are unchanged.\n{first[1]} and "
            f"{second[1]} of {p.name} still hold roles in {a.name}, and keep them until an "
            f"administrator of {a.name} removes them under its people; do that if they should "
            f"no longer act for {a.name}.\n\n") in mails[clara.mail.lower()], mails
    assert (f"\nYou still hold a role in {a.name} (administrator) as one of the people of "
            f"{p.name}, and keep it until you leave it or another administrator of {a.name} "
            f"removes you under its people; do that if you should no longer act for {a.name}. "
            f"{ben.name} (billing person, member) of {p.name} still holds a role in {a.name}. "
            "You are its administrator: remove them under its people if they should no longer "
            f"act for {a.name}.\n\n") in mails[anna.mail.lower()], mails
    for body in mails.values():
        for false in ("no longer act for " + a.name + ":", "back office", "storefront",
                      "no other administrator"):
            assert false not in body, (false, body)
    mails = closing_mails(sql, mailbox, b.id, "parent-closed", before)
    assert set(mails) == {dora.mail.lower()}, mails
    body = mails[dora.mail.lower()]
    assert (f"and the roles people hold in it are unchanged.\n\nYou get this mail") in body, body
    assert "still hold" not in body and "back office" not in body, body
    closed = closing_mails(sql, mailbox, p.id, "account-closed", before)
    people = sorted([(anna.uid.lower(), anna.name), (ben.uid.lower(), ben.name)])
    assert (f"\n2 child accounts of it stay open, with their subscriptions, and their contacts "
            "were told: the roles people hold in them are unchanged. People of this account "
            f"still hold roles in 1 of them ({people[0][1]} in 1 and {people[1][1]} in 1), and "
            "keep them until an administrator of each removes them.\n") \
        in closed[anna.mail.lower()], closed
    # What the mails say holds: Anna and Ben still act in A; Dora's B
    # and Clara's A are theirs as before.
    S.expect(api(anna).patch(f"/api/v1/accounts/{a.id}", json={"company": {"city": "Graz"}}), 200)
    S.expect(api(ben).get(f"/api/v1/accounts/{a.id}/invoices"), 200)
    S.expect(api(clara).patch(f"/api/v1/accounts/{a.id}", json={"name": S.unique("a-")}), 200)
    S.expect(api(dora).get(f"/api/v1/accounts/{b.id}"), 200)


def test_parent_closed_speaks_to_its_reader_and_counts_on_a_pending_contact(
        api, make_tenant, make_account, make_person, set_roles, sql, mailbox, person):
    """Round-26 walkthrough of seed 003, D1 and D2. D1: operator staff who
    created a customer under a partner read of themselves in the third
    person, as an administrator "of <partner>", and that one of its own
    people must be made administrator although its contact's invitation
    was pending. Decision: the reader's own line speaks to them ("You
    still hold a role in … (administrator) as operator staff of the
    platform"), operator staff are named as such to the others, and a
    pending admin invitation is named ("its contact Zoe Zahn (…) has not
    accepted the invitation to become its administrator yet"). D2: a
    customer that ended its relation with the partner was told it "is a
    customer of" it; without an active relation the mail says "under
    which <customer> was created"."""
    t = make_tenant("p6pc")
    rita, p = t.admin, t.account
    olivia = person("olivia")
    # Z: created by olivia with a contact who has not accepted.
    zoe_mail = S.unique("zoe") + "@p6zahn.example"
    z = make_account("olivia", "customer", p.id, contact={
        "first_name": "Zoe", "last_name": "Zahn", "email": zoe_mail})
    assert z.body["contact"]["status"] == "invited", z.body
    # Y: created by olivia, Yvonne its own admin (active relation).
    y = make_account("olivia", "customer", p.id)
    yvonne = make_person(prefix="p6yv", given="Yvonne")
    set_roles("olivia", y.id, yvonne, ["admin"])
    # K: created by Rita; Kurt its own admin ends the relation, Rita asks
    # again (withdrawn by the close).
    k = make_account(rita, "customer", p.id)
    kurt = make_person(prefix="p6ku", given="Kurt")
    set_roles(rita, k.id, kurt, ["admin"])
    rel = k.body["relation"]["id"]
    S.expect(api(kurt).post(f"/api/v1/customer-relations/{rel}/end"), 200)
    S.expect(api(rita).post(f"/api/v1/accounts/{p.id}/customer-relations",
                            json={"customer_id": k.id}), 202)

    before = S.outbox_max_id(sql)
    S.expect(api(rita).delete(f"/api/v1/accounts/{p.id}"), 204)

    # Z: olivia its only reader, in the second person, the contact pending.
    mails = closing_mails(sql, mailbox, z.id, "parent-closed", before)
    assert set(mails) == {olivia.mail.lower()}, mails
    body = mails[olivia.mail.lower()]
    assert (f"{p.name} (account {p.id}), which {z.name} (account {z.id}) is a customer of, "
            "was closed by") in body, body
    assert (f"\nYou still hold a role in {z.name} (administrator) as operator staff of the "
            f"platform, and keep it until you leave it or another administrator of {z.name} "
            f"removes you under its people; do that if you should no longer act for {z.name}. "
            f"You are still the only administrator of {z.name}: its contact Zoe Zahn "
            f"({zoe_mail}) has not accepted the invitation to become its administrator yet (the "
            "last administrator cannot be removed).\n") in body, body
    for false in (f"{olivia.name} (administrator) of", "make one of its own people"):
        assert false not in body, (false, body)

    # Y: Yvonne reads of olivia as operator staff; olivia of herself.
    mails = closing_mails(sql, mailbox, y.id, "parent-closed", before)
    assert set(mails) == {olivia.mail.lower(), yvonne.mail.lower()}, mails
    assert (f"\n{olivia.name} (administrator; operator staff of the platform) still holds a role "
            f"in {y.name}, and keeps it until an administrator of {y.name} removes them under its "
            f"people; do that if they should no longer act for {y.name}.\n") \
        in mails[yvonne.mail.lower()], mails
    assert (f"\nYou still hold a role in {y.name} (administrator) as operator staff of the "
            f"platform, and keep it until you leave it or another administrator of {y.name} "
            f"removes you under its people; do that if you should no longer act for "
            f"{y.name}.\n") in mails[olivia.mail.lower()], mails
    for body in mails.values():
        assert (f"which {y.name} (account {y.id}) is a customer of, was closed") in body, body
        assert "no other administrator" not in body and "only administrator" not in body, body

    # K: no active relation: "under which … was created"; Rita in the
    # second person, Kurt reads of her in the third.
    mails = closing_mails(sql, mailbox, k.id, "parent-closed", before)
    assert set(mails) == {rita.mail.lower(), kurt.mail.lower()}, mails
    for body in mails.values():
        assert (f"{p.name} (account {p.id}), under which {k.name} (account {k.id}) was created, "
                f"was closed by {rita.name} of {p.name}.") in body, body
        assert "is a customer of" not in body, body
    assert (f"\n{rita.name} (administrator) of {p.name} still holds a role in {k.name}, and keeps "
            f"it until an administrator of {k.name} removes them under its people; do that if "
            f"they should no longer act for {k.name}.\n") in mails[kurt.mail.lower()], mails
    assert (f"\nYou still hold a role in {k.name} (administrator) as one of the people of "
            f"{p.name}, and keep it until you leave it or another administrator of {k.name} "
            f"removes you under its people; do that if you should no longer act for "
            f"{k.name}.\n") in mails[rita.mail.lower()], mails


def test_parent_closed_tells_the_invitation_as_the_close_finds_it(
        api, make_tenant, make_account, sql, mailbox, person, env):
    """Review of round 26 (parent-closed, D1): the child's pending admin
    invitation was read before the close's transaction and mailed from
    that read, so one revoked (or accepted) while the close waited for the
    account's row was still named as pending. The mail says what the
    transaction finds: no invitation pending any more."""
    import threading
    import pymysql
    t = make_tenant("m2pc")
    rita, p = t.admin, t.account
    olivia = person("olivia")
    zoe_mail = S.unique("zoe") + "@m2zahn.example"
    z = make_account("olivia", "customer", p.id, contact={
        "first_name": "Zoe", "last_name": "Zahn", "email": zoe_mail})
    assert z.body["contact"]["status"] == "invited", z.body

    before = S.outbox_max_id(sql)
    # Hold the parent's row, so the close reads its children, then waits
    # in its transaction.
    lock = pymysql.connect(unix_socket=env["SQL_SOCKET"], user="root", password="",
                           database=env["SQL_DATABASE"], autocommit=False, connect_timeout=5)
    out = {}
    try:
        with lock.cursor() as cur:
            cur.execute("SELECT id FROM accounts WHERE id=%s FOR UPDATE", (int(p.id),))
        flight = threading.Thread(
            target=lambda: out.setdefault("r", api(rita).delete(f"/api/v1/accounts/{p.id}")),
            daemon=True)
        flight.start()
        assert S.wait_until(lambda: sql.value(
            "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX"
            " WHERE trx_state = 'LOCK WAIT'"), timeout=30, interval=0.1), "the close never waited"
        sql.rows("UPDATE invitations SET status = 'revoked'"
                  " WHERE account_id = %s AND status = 'pending'", int(z.id))
    finally:
        lock.rollback()
        lock.close()
    flight.join(60)
    S.expect(out["r"], 204)

    mails = closing_mails(sql, mailbox, z.id, "parent-closed", before)
    body = mails[olivia.mail.lower()]
    assert (f"You are the only administrator of {z.name}: make one of its own people an "
            "administrator before you leave it (the last administrator cannot be "
            "removed).") in body, body
    assert "has not accepted" not in body and zoe_mail not in body, body


# ------------------------------------------------------------------ field values

@pytest.mark.parametrize("bad_name", ["", "x" * 201, 42, ["a", "b"], None])
def test_bad_name_values_are_422(api, sql, make_tenant, bad_name):
    t = make_tenant()
    _post_rejected(api, sql, t.admin, _body(t.account.id, name=bad_name), 422, "name")


def test_too_long_company_field_is_422(api, sql, make_tenant):
    t = make_tenant()
    body = _body(t.account.id)
    body["company"]["postcode"] = "1" * 21
    _post_rejected(api, sql, t.admin, body, 422, "postcode")


def test_vat_id_is_checked_against_the_country(api, sql, make_tenant, make_account):
    t = make_tenant()
    body = _body(t.account.id)
    body["company"]["vat_id"] = "DE123456789"
    _post_rejected(api, sql, t.admin, body, 422, "vat_id")
    acc = make_account(t.admin, "customer", t.account.id, company=company("Valid VAT GmbH", vat_id="ATU12345678"))
    assert sql.account(acc.id)["company_vat_id"] == "ATU12345678"


def test_swiss_vat_ids_in_their_written_form_and_messages_naming_the_format(api, sql, make_tenant, make_account):
    """Round-6 walkthrough of seed 003, M4: "CHE-123.456.788 MWST" (TVA,
    IVA), the official written form, was refused though "CHE-123.456.788"
    passed; it is accepted and stored as written. A refused VAT ID names
    the country's format (DE followed by 9 digits), not only "does not
    match"."""
    t = make_tenant()
    for vat in ("CHE-123.456.788 MWST", "CHE-123.456.788 TVA", "CHE123456788IVA", "CHE-123.456.788"):
        acc = make_account(t.admin, "customer", t.account.id,
                           company=company("Zuerich AG", country="CH", postcode="8001", vat_id=vat))
        assert sql.account(acc.id)["company_vat_id"] == vat
    body = _body(t.account.id)
    body["company"].update(country="CH", postcode="8001", vat_id="CHE-123.456.788 VAT")
    _post_rejected(api, sql, t.admin, body, 422, "vat_id")
    r = api(t.admin).post("/api/v1/accounts", json=body)
    msg = S.expect_field_errors(r, "vat_id")["company.vat_id"]
    assert "CHE followed by 9 digits" in msg and "MWST, TVA or IVA" in msg, msg
    body["company"].update(country="DE", postcode="10115", vat_id="123456789")
    r = api(t.admin).post("/api/v1/accounts", json=body)
    msg = S.expect_field_errors(r, "vat_id")["company.vat_id"]
    assert msg.startswith("must be DE followed by 9 digits, as DE123456789"), msg
    # A PATCH reads it the same way.
    acc = make_account(t.admin, "customer", t.account.id, company=company("Bern AG", country="CH", postcode="3000"))
    S.expect(api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"company": {"vat_id": "CHE-123.456.788 MWST"}}),
             200)
    assert sql.account(acc.id)["company_vat_id"] == "CHE-123.456.788 MWST"


def test_bad_boolean_is_422(api, sql, make_tenant):
    t = make_tenant()
    _post_rejected(api, sql, t.admin, _body(t.account.id, staged="maybe"), 422, "staged")


def test_unicode_and_markup_round_trip(api, sql, make_tenant, make_account):
    t = make_tenant()
    name = "M\u00fcller & S\u00f6hne <GmbH> \"quoted\" \u65e5\u672c " + S.unique("")
    acc = make_account(t.admin, "customer", t.account.id, name=name)
    assert sql.account(acc.id)["name"] == name
    assert S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["name"] == name
    items = S.expect(api(t.admin).get("/api/v1/accounts", params={"parent_id": t.account.id}), 200)["items"]
    assert [i["name"] for i in items] == [name]


# ------------------------------------------------------------------ paging parameters

@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "201"}, {"limit": "ten"},
                                    {"sort": "colour"}, {"cursor": "not-a-cursor"}])
def test_bad_list_parameters_are_problems(api, make_tenant, params):
    t = make_tenant()
    r = api(t.admin).get("/api/v1/accounts", params={"parent_id": t.account.id, **params})
    assert r.status_code in (400, 422), S.describe(r)
    S.expect_problem(r, r.status_code)


def test_limit_200_is_allowed(api, partner_with_children):
    t, children = partner_with_children
    body = S.expect(api(t.admin).get("/api/v1/accounts", params={"parent_id": t.account.id, "limit": 200}), 200)
    assert {i["id"] for i in body["items"]} == {c.id for c in children}


# ------------------------------------------------------------------ more of If-Match

def test_garbage_if_match_is_412(api, customer, sql):
    t, acc = customer
    before = sql.account(acc.id)
    r = api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"name": "nope"}, headers={"If-Match": '"garbage"'})
    S.expect_problem(r, 412, "precondition-failed")
    assert sql.account(acc.id)["version"] == before["version"]


def test_a_format_error_comes_before_a_stale_if_match(api, customer, sql):
    """Round-9 walkthrough of seed 000, D2: a country's name with a stale
    If-Match answered 412; format errors come first (422), as an empty
    name's does."""
    t, acc = customer
    before = sql.account(acc.id)
    for body, field in [({"company": {"country": "Austria"}}, "company.country"),
                        ({"name": ""}, "name")]:
        r = api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json=body,
                               headers={"If-Match": f'"{acc.id}.999"'})
        S.expect_field_errors(r, field)
    assert sql.account(acc.id)["version"] == before["version"]


def test_concurrent_patches_with_one_etag_only_one_wins(api, customer, sql):
    from concurrent.futures import ThreadPoolExecutor
    t, acc = customer
    etag = api(t.admin).get(f"/api/v1/accounts/{acc.id}").headers["ETag"]
    version = sql.account(acc.id)["version"]
    names = [S.unique(f"it-race{i}-") for i in range(4)]

    def patch(name):
        return api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"name": name}, headers={"If-Match": etag})

    with ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(patch, names))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [412] * (len(names) - 1), [S.describe(r) for r in results]
    winner = next(n for n, r in zip(names, results) if r.status_code == 200)
    row = sql.account(acc.id)
    assert (row["name"], row["version"]) == (winner, version + 1)


# ------------------------------------------------------------------ operators

def test_operator_may_manage_any_account(api, customer, make_person, set_roles, ldap_admin, sql):
    _, acc = customer
    p = make_person()
    set_roles("olivia", acc.id, p, ["member"])
    S.expect(api("olivia").put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["billing"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing"}
    new_name = S.unique("it-op-")
    S.expect(api("olivia").patch(f"/api/v1/accounts/{acc.id}", json={"name": new_name}), 200)
    assert sql.account(acc.id)["name"] == new_name


def test_patch_with_null_objects_is_422_and_changes_nothing(api, customer, sql):
    """round-4 walkthrough of seed 001: {"company": null} and
    {"properties": null} answered 200, changed nothing, and still raised
    the version and wrote an audit row."""
    t, acc = customer
    admin = t.admin
    version = sql.account(acc.id)["version"]
    audit = len(sql.audit(acc.id))
    for body in ({"company": None}, {"properties": None}, {"name": None}):
        S.expect_field_errors(api(admin).patch(f"/api/v1/accounts/{acc.id}", json=body), next(iter(body)))
    assert sql.account(acc.id)["version"] == version and len(sql.audit(acc.id)) == audit


# ------------------------------------------------------------------ round 16: a change of the details is told

def guarded_customer(api, make_tenant, make_account, make_person, set_roles, prefix):
    """Round-16 walkthrough of seed 004, D1: a customer whose named contacts
    are Bea (primary) and Tom (technical); the partner's admin who created
    it is an admin but no contact. (tenant, account, bea, tom)."""
    t = make_tenant(prefix)
    acc = make_account(t.admin, "customer", t.account.id)
    bea = make_person(prefix=prefix + "bea")
    tom = make_person(prefix=prefix + "tom")
    set_roles(t.admin, acc.id, bea, ["admin"])
    set_roles(t.admin, acc.id, tom, ["admin"])
    for kind, who in (("primary", bea), ("technical", tom)):
        S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/contacts/{kind}",
                                  json={"uid": who.uid}), 200)
    return t, acc, bea, tom


def details_rows(sql, account_id, before):
    return [r for r in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if r["template"] == "account-details-changed"]


def test_a_rename_by_an_admin_who_is_no_contact_is_told_to_the_contacts(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-16 walkthrough of seed 004, D1: the partner's admin renamed the
    account and gave it another address, and the named contacts first read
    the new name in an invoice mail. They get account-details-changed: who
    changed what, old and new per field; the caller gets no copy."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "acdet")
    new_name = acc.name + " (partner)"
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={
        "name": new_name,
        "company": {"street": "Other Street 1", "city": "Graz", "postcode": "1010"}}), 200)
    rows = details_rows(sql, acc.id, before)
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [bea.mail.lower(), tom.mail.lower()]), rows
    everything = S.outbox_rows(sql, account_id=acc.id, after_id=before)
    assert t.admin.mail.lower() not in {r["recipient"].lower() for r in everything}, everything
    for who in (bea, tom):
        row = next(r for r in rows if r["recipient"].lower() == who.mail.lower())
        mails = mailbox.wait_for(outbox_id=row["id"], timeout=15)
        assert len(mails) == 1, row
        assert mails[0].subject == f"{new_name}: the account's details were changed", \
            mails[0].subject
        body = mails[0].body.replace("\r\n", "\n")
        assert body.startswith(f"Hello {who.name},\n\n"), body
        assert (f"{t.admin.name} of {t.account.name} changed the details of {new_name}:\n\n"
                f"name: {acc.name} \u2192 {new_name}\n"
                "company street: Ringstrasse 1 \u2192 Other Street 1\n"
                "company city: Wien \u2192 Graz\n\n") in body, body
        # The postcode was sent as it was: not a change.
        assert "postcode" not in body, body
        assert (f"If you did not expect this change, ask an administrator of {new_name}: any"
                " administrator can change them back.") in " ".join(body.split()), body


def test_a_patch_that_changes_no_detail_mails_nobody(api, sql, make_tenant, make_account,
                                                      make_person, set_roles):
    """The same values again, an empty PATCH and a properties-only PATCH
    change no name or company data: nothing is mailed. A cleared field is
    a change ("(none)")."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "acdetn")
    before = S.outbox_max_id(sql)
    for body in ({"name": acc.name, "company": {"city": "Wien", "country": "AT"}}, {},
                 {"properties": {}}):
        S.expect(api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json=body), 200)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    S.expect(api(t.admin).patch(f"/api/v1/accounts/{acc.id}",
                                json={"company": {"street": ""}}), 200)
    rows = details_rows(sql, acc.id, before)
    assert len(rows) == 2, rows


def test_a_contact_who_changes_the_details_is_not_told_the_other_contact_is(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """A named contact who renames the account by a form knows: the other
    contact is mailed, the caller is not."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "acdetc")
    before = S.outbox_max_id(sql)
    r = api(bea).form("POST", f"/api/v1/accounts/{acc.id}",
                      [("_method", "PATCH"), ("company[city]", "Linz")])
    S.expect(r, 200)
    rows = details_rows(sql, acc.id, before)
    assert [r["recipient"].lower() for r in rows] == [tom.mail.lower()], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    body = mails[0].body.replace("\r\n", "\n")
    assert f"{bea.name} changed the details of {acc.name}:\n\ncompany city: Wien \u2192 Linz\n\n" \
        in body, body
    everything = S.outbox_rows(sql, account_id=acc.id, after_id=before)
    assert bea.mail.lower() not in {r["recipient"].lower() for r in everything}, everything


def test_who_may_not_patch_mails_nobody(api, sql, make_tenant, make_account, make_person,
                                        set_roles):
    """A member (403) and another tenant's admin (404) change nothing and
    mail nothing."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "acdetm")
    member = make_person(prefix="acdetmm")
    set_roles(t.admin, acc.id, member, ["member"])
    eve = make_tenant("acdete").admin
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).patch(f"/api/v1/accounts/{acc.id}", json={"name": "x"}), 403)
    S.expect_problem(api(eve).patch(f"/api/v1/accounts/{acc.id}", json={"name": "x"}), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["name"] == acc.name


def test_a_spent_mail_budget_refuses_a_rename_not_a_properties_change(
        api, sql, env, make_tenant, make_account, make_person, set_roles):
    """account-details-changed counts in the mail budget as contact-changed
    does: with the budget spent a rename is 429 and changes nothing; a
    PATCH that changes no detail mails nobody and goes through."""
    from test_consent import budget_of, fill_budget
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "acdetb")
    fill_budget(sql, acc.id, budget_of(env["ACCOUNTD_CONF"]))
    before = S.outbox_max_id(sql)
    r = api(t.admin).patch(f"/api/v1/accounts/{acc.id}", json={"name": acc.name + " 2"})
    S.expect_problem(r, 429, "mail-budget-exceeded")
    assert S.outbox_max_id(sql) == before
    assert S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["name"] == acc.name
    S.expect(api(t.admin).patch(f"/api/v1/accounts/{acc.id}",
                                json={"name": acc.name, "properties": {}}), 200)


# ------------------------------------------------- round 19, seed 001

def too_long(limit, length, unit="characters"):
    return f"is too long: at most {limit} {unit} (this is {length})"


def test_text_limits_count_characters_and_say_the_limit(api, sql, make_tenant, make_account,
                                                        make_person, set_roles):
    """Round-19 walkthrough of seed 001, D1: the limits counted bytes, so
    101 "ä" in an account name (200 bytes) and 51 in company.city (100
    bytes) were refused, and "is too long" never said how long a field
    may be. Names and company fields count characters, as their utf8mb4
    VARCHAR columns hold them: 200 "ä" are a name, 100 a city; one more
    is 422 naming the limit and the length, on create, on PATCH and
    through a form's error_to. Who may not PATCH is refused first (a
    member 403, another tenant 404), whatever the length."""
    from urllib.parse import parse_qsl, urlsplit
    t = make_tenant("r19len")
    s = api(t.admin)
    # POST /accounts: 200 "ä" (400 bytes) is a name; 201 is not.
    name = "\u00e4" * 200
    acc = make_account(t.admin, "customer", t.account.id, name=name,
                       company=company("\u00f6" * 200, street="\u00fc" * 200, city="\u00e4" * 100))
    row = sql.account(acc.id)
    assert (row["name"], row["company_name"], row["company_city"]) == (name, "\u00f6" * 200,
                                                                       "\u00e4" * 100), row
    body = _body(t.account.id, name="\u00e4" * 201)
    body["company"]["city"] = "\u00df" * 101
    errors = S.expect_field_errors(_post_rejected(api, sql, t.admin, body, 422, "name", "city"))
    assert errors == {"name": too_long(200, 201), "company.city": too_long(100, 101)}, errors
    # The tester's PATCHes: 51 "ä" in the city, 101 in the name.
    got = S.expect(s.patch(f"/api/v1/accounts/{acc.id}",
                           json={"name": "\u00e4" * 101, "company": {"city": "\u00e4" * 51}}), 200)
    assert (got["name"], got["company"]["city"]) == ("\u00e4" * 101, "\u00e4" * 51), got
    errors = S.expect_field_errors(s.patch(f"/api/v1/accounts/{acc.id}", json={
        "company": {"city": "\u00e4" * 101, "street": "x" * 201, "postcode": "1" * 21}}))
    assert errors == {"company.city": too_long(100, 101), "company.street": too_long(200, 201),
                      "company.postcode": too_long(20, 21)}, errors
    assert sql.account(acc.id)["company_city"] == "\u00e4" * 51
    # A form's error_to carries the same message.
    r = s.form("POST", f"/api/v1/accounts/{acc.id}",
               [("_method", "PATCH"), ("company[city]", "\u00e4" * 101),
                ("error_to", S.ORIGIN + "/edit")])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert q["errors[company.city]"] == too_long(100, 101), q
    # Who may not: a member 403, another tenant 404, nothing changed.
    member = make_person(prefix="r19lenm")
    set_roles(t.admin, acc.id, member, ["member"])
    S.expect_problem(api(member).patch(f"/api/v1/accounts/{acc.id}",
                                       json={"name": "\u00e4" * 201}), 403, "forbidden")
    other = make_tenant("r19leno")
    S.expect_problem(api(other.admin).patch(f"/api/v1/accounts/{acc.id}",
                                            json={"name": "\u00e4" * 201}), 404)
    S.expect_problem(api(other.admin).post("/api/v1/accounts",
                                           json=_body(t.account.id, name="\u00e4" * 201)), 404)
    assert sql.account(acc.id)["name"] == "\u00e4" * 101


def test_a_parent_that_cannot_have_the_child_says_what_is_true(api, sql, make_tenant, make_account,
                                                               make_person, set_roles, distributor):
    """Round-19 walkthrough of seed 001, D2: under a customer every kind
    was refused on `kind` ("this kind of account cannot be created under
    the parent"), as if another kind would do, and under a (sub-)partner
    the kinds it takes were not named. Under a customer it is
    `parent_id`, which has no child accounts; under a partner or a
    distributor `kind`, naming the kinds that parent takes. Nothing is
    created. A member of the parent is 403, another tenant 404."""
    t = make_tenant("r19kind")
    cust = make_account(t.admin, "customer", t.account.id)
    sub = make_account(t.admin, "partner", t.account.id)
    for kind in ("customer", "partner", "distributor"):
        errors = S.expect_field_errors(_post_rejected(api, sql, t.admin, _body(cust.id, kind=kind),
                                                      422, "parent_id"))
        assert errors == {"parent_id": "is a customer account, which has no child accounts"}, errors
    errors = S.expect_field_errors(_post_rejected(api, sql, t.admin,
                                                  _body(sub.id, kind="distributor"), 422, "kind"))
    assert errors == {"kind": "must be partner or customer under a partner account"}, errors
    dist_admin, dist = distributor
    errors = S.expect_field_errors(_post_rejected(api, sql, dist_admin,
                                                  _body(dist.id, kind="distributor"), 422, "kind"))
    assert errors == {"kind": "must be partner or customer under a distributor account"}, errors
    # The kinds named are the ones that work.
    make_account(t.admin, "customer", sub.id)
    make_account(t.admin, "partner", sub.id)
    # Who may not: a member of the customer (403), another tenant (404).
    member = make_person(prefix="r19kindm")
    set_roles(t.admin, cust.id, member, ["member"])
    _post_rejected(api, sql, member, _body(cust.id), 403, slug="forbidden")
    other = make_tenant("r19kindo")
    _post_rejected(api, sql, other.admin, _body(cust.id), 404, slug="not-found")
    _post_rejected(api, sql, other.admin, _body(sub.id, kind="distributor"), 404, slug="not-found")


def test_company_fields_refuse_invisible_format_characters(api, sql, make_tenant, make_account, make_person,
                                                           set_roles):
    """Round-26 walkthrough of seed 004, D2: the round-25 rule covered the
    account's name only; company.name "... Ltd\\u200b", company.city
    "Wien\\u200b" and company.street "Main St 1\\u00ad" were stored (also by
    form), and the contacts were mailed "Wien -> Wien". Every company text
    field takes the one check of names (the same detail text), on create
    and PATCH, JSON and form: 422 naming the field, nothing written, no
    mail. A joiner between two Latin letters is refused too (the tester's
    "t26s004 Gad\\u200dgets"), a Persian ZWNJ between two Persian letters
    is taken. A member's PATCH stays 403, another tenant's 404."""
    from urllib.parse import parse_qsl, urlsplit
    ACCOUNTS = "/api/v1/accounts"
    t = make_tenant("r26fc")
    s = api(t.admin)
    why = ("must not contain invisible formatting characters: character {} is U+{} ({}), "
           "which shows as nothing")
    # Create: nothing written.
    r = s.post(ACCOUNTS, json={"kind": "customer", "name": S.unique("r26fc-"), "parent_id": str(t.account.id),
                               "company": {"name": "Gadgets Ltd\u200b", "street": "Main St 1\u00ad",
                                           "city": "Wien", "country": "AT"}})
    errors = S.expect_field_errors(r, "company.name", "company.street")
    assert errors["company.name"] == why.format(12, "200B", "zero-width space"), errors
    assert errors["company.street"] == why.format(10, "00AD", "soft hyphen"), errors
    assert sql.count_accounts(parent_id=int(t.account.id)) == 0
    acc = make_account(t.admin, "customer", t.account.id)
    before_row = sql.account(acc.id)
    before_mail = S.outbox_max_id(sql)
    for field, value, at, code, name in (("name", "Gadgets Ltd\u200b", 12, "200B", "zero-width space"),
                                         ("city", "Wien\u200b", 5, "200B", "zero-width space"),
                                         ("city", "\u200b", 1, "200B", "zero-width space"),
                                         ("street", "Main St 1\u00ad", 10, "00AD", "soft hyphen"),
                                         ("postcode", "10\u206010", 3, "2060", "word joiner"),
                                         ("name", "Gad\u200dgets", 4, "200D", "zero-width joiner")):
        errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{acc.id}", json={"company": {field: value}}),
                                       "company." + field)
        assert errors == {"company." + field: why.format(at, code, name)}, errors
    # The account's own name: a ZWJ inside a Latin word is no part of it.
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": "t26s004 Gad\u200dgets"}),
                                   "name")
    assert errors["name"] == why.format(12, "200D", "zero-width joiner"), errors
    # By form: 303 to error_to with the same text, and 422 without it.
    r = s.form("POST", f"{ACCOUNTS}/{acc.id}", [("_method", "PATCH"), ("company[name]", "Gadgets Ltd\u2060"),
                                                ("error_to", S.ORIGIN + "/edit")])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert q["errors[company.name]"] == why.format(12, "2060", "word joiner"), q
    r = s.form("POST", f"{ACCOUNTS}/{acc.id}", [("_method", "PATCH"), ("company[city]", "Wien\u200b")])
    assert S.expect_field_errors(r, "company.city")["company.city"] == why.format(5, "200B", "zero-width space")
    after = sql.account(acc.id)
    assert after == before_row, (before_row, after)
    assert S.outbox_mails(sql, account_id=acc.id, after_id=before_mail) == []
    # Who may not: a member 403, another tenant 404, nothing changed.
    member = make_person(prefix="r26fcm")
    set_roles(t.admin, acc.id, member, ["member"])
    S.expect_problem(api(member).patch(f"{ACCOUNTS}/{acc.id}", json={"company": {"city": "Wien\u200b"}}), 403)
    S.expect_problem(api(make_tenant("r26fc-o").admin).patch(
        f"{ACCOUNTS}/{acc.id}", json={"company": {"city": "Wien\u200b"}}), 404)
    assert sql.account(acc.id)["company_city"] == before_row["company_city"]
    # A Persian ZWNJ between two Persian letters is how the word is written.
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 GmbH"
    got = S.expect(s.patch(f"{ACCOUNTS}/{acc.id}", json={"company": {"name": persian}}), 200)
    assert got["company"]["name"] == persian
    assert sql.account(acc.id)["company_name"] == persian
