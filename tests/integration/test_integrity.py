"""Issue 7, defects 3 and 5: grants never outlive a deleted person, uid and
mail are unique under ou=people, the last-admin guard counts people (not
DNs), `accountd maint` removes dangling members of directories that ran
without slapo-refint, and an account with 1,000 members is served whole."""
import os
import subprocess

import ldap3
import pytest

import support as S


def run_maint(env):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--config", env["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=120)
    return run


def add_member_value(ldap_admin, account_id, role, dn):
    ok = ldap_admin.modify(S.role_dn(account_id, role), {"member": [(ldap3.MODIFY_ADD, [dn])]})
    assert ok, ldap_admin.result


# ------------------------------------------------------------- refint

def test_ldapdelete_of_a_person_removes_them_from_every_role_group(make_tenant, make_person,
                                                                   set_roles, ldap_admin, api):
    t = make_tenant("refint")
    p = make_person(prefix="rd")
    set_roles(t.admin, t.account.id, p, ["billing", "member"])
    assert S.roles_in_ldap(ldap_admin, t.account.id, p) == {"billing", "member"}

    assert ldap_admin.delete(p.dn), ldap_admin.result
    # slapo-refint rewrites the groups in a background task, within moments.
    assert S.wait_until(lambda: S.roles_in_ldap(ldap_admin, t.account.id, p) == set()), \
        S.roles_in_ldap(ldap_admin, t.account.id, p)
    members = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/members"), 200)
    assert p.uid not in {m["uid"] for m in members["items"]}


def test_a_new_person_with_a_deleted_persons_uid_inherits_nothing(make_tenant, make_person,
                                                                  set_roles, ldap_admin, api):
    t = make_tenant("reuse")
    uid = S.unique("reuse")
    old = make_person(uid=uid)
    set_roles(t.admin, t.account.id, old, ["admin"])
    assert S.roles_in_ldap(ldap_admin, t.account.id, old) == {"admin"}
    assert ldap_admin.delete(old.dn), ldap_admin.result
    # slapo-refint cleans the groups in a background task, within moments.
    assert S.wait_until(lambda: S.roles_in_ldap(ldap_admin, t.account.id, old) == set())

    new = make_person(uid=uid)  # same DN, a different person
    me = S.expect(api(new).get("/api/v1/me"), 200)
    assert me["accounts"] == [], me
    S.expect_problem(api(new).get(f"/api/v1/accounts/{t.account.id}"), 404, "not-found")
    assert S.roles_in_ldap(ldap_admin, t.account.id, new) == set()


def test_a_duplicate_uid_in_another_ou_below_people_is_refused(make_person, ldap_admin):
    p = make_person(prefix="du")
    ou = f"ou={S.unique('contractors')},{S.PEOPLE_DN}"
    assert ldap_admin.add(ou, ["organizationalUnit"]), ldap_admin.result
    try:
        ok = ldap_admin.add(f"uid={p.uid},{ou}", ["inetOrgPerson"],
                            {"uid": p.uid, "cn": "Twin", "sn": "Twin",
                             "mail": S.unique("twin") + "@example.org"})
        assert not ok
        assert ldap_admin.result["result"] == 19, ldap_admin.result  # constraintViolation
        # The real person still signs in (an ambiguous uid would be 401).
        assert ldap_admin.search(S.PEOPLE_DN, f"(uid={p.uid})", attributes=["1.1"])
        assert len([e for e in ldap_admin.response if e.get("type") == "searchResEntry"]) == 1
    finally:
        ldap_admin.delete(f"uid={p.uid},{ou}")
        ldap_admin.delete(ou)


# ------------------------------------------------ dangling members, maint

def test_a_ghost_admin_does_not_count_for_the_last_admin_guard(customer, ldap_admin, api, sql):
    """refint does not check DNs that are added: an administrator (or a
    directory that ran without refint) can leave a DN of nobody in a group.
    That DN is no admin: removing the last real admin is still refused."""
    admin, account = customer  # the creator is its only admin
    t = S.Tenant(account, admin)
    ghost = S.person_dn(S.unique("ghost"))
    add_member_value(ldap_admin, t.account.id, "admin", ghost)
    assert S.norm_dn(ghost) in S.group_members(ldap_admin, t.account.id, "admin")

    r = api(t.admin).delete(f"/api/v1/accounts/{t.account.id}/members/{t.admin.uid}")
    S.expect_problem(r, 409, "last-admin")
    assert "admin" in S.roles_in_ldap(ldap_admin, t.account.id, t.admin)
    members = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/members"), 200)
    assert [m["uid"] for m in members["items"]] == [t.admin.uid]

    # maint reports it, removes it and writes an audit row.
    before = sql.value("SELECT COALESCE(MAX(id), 0) FROM audit")
    run = run_maint(os.environ)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"dangling member {ghost}" in run.stdout, run.stdout
    assert S.norm_dn(ghost) not in S.group_members(ldap_admin, t.account.id, "admin")
    assert S.norm_dn(t.admin.dn) in S.group_members(ldap_admin, t.account.id, "admin")
    rows = [r for r in sql.audit(t.account.id)
            if r["id"] > before and r["action"] == "member.remove_dangling"]
    assert len(rows) == 1, rows
    assert rows[0]["uid"] == "accountd-maint"
    assert S.norm_dn(rows[0]["old_value"]["member"]) == S.norm_dn(ghost)
    assert S.norm_dn(rows[0]["old_value"]["group"]) == S.norm_dn(S.role_dn(t.account.id, "admin"))

    # A second run finds nothing of it.
    run = run_maint(os.environ)
    assert run.returncode == 0, run.stdout + run.stderr
    assert ghost not in run.stdout


def test_maint_keeps_members_that_exist_outside_ou_people(make_tenant, ldap_admin):
    """Only DNs that name no entry are dangling: a member that is some
    other existing entry is left alone."""
    t = make_tenant("other")
    other = f"cn=accountd,ou=services,{S.LDAP_BASE}"
    add_member_value(ldap_admin, t.account.id, "member", other)
    try:
        run = run_maint(os.environ)
        assert run.returncode == 0, run.stdout + run.stderr
        assert S.norm_dn(other) in S.group_members(ldap_admin, t.account.id, "member")
    finally:
        ldap_admin.modify(S.role_dn(t.account.id, "member"),
                          {"member": [(ldap3.MODIFY_DELETE, [other])]})


# ------------------------------------------------ 1,000 members (defect 5)

@pytest.fixture(scope="module")
def big_account(make_tenant, make_account, ldap_admin):
    tenant = make_tenant("big")
    t = S.Tenant(make_account(tenant.admin, "customer", tenant.account.id), tenant.admin)
    prefix = S.unique("bm")
    dns = []
    for i in range(1000):
        uid = f"{prefix}-{i:04d}"
        dn = S.person_dn(uid)
        ok = ldap_admin.add(dn, ["inetOrgPerson"], {"uid": uid, "cn": f"Big {i}", "sn": "Big",
                                                     "mail": f"{uid}@example.org"})
        assert ok, ldap_admin.result
        dns.append(dn)
    ok = ldap_admin.modify(S.role_dn(t.account.id, "member"),
                           {"member": [(ldap3.MODIFY_ADD, dns)]})
    assert ok, ldap_admin.result
    # Every tenth also billing, spelled differently (case and spaces).
    ok = ldap_admin.modify(S.role_dn(t.account.id, "billing"), {"member": [(
        ldap3.MODIFY_ADD, [d.upper().replace(",", ", ") for d in dns[::10]])]})
    assert ok, ldap_admin.result
    return t, prefix


def test_an_account_with_1000_members_is_served_whole(big_account, api):
    t, prefix = big_account
    # The groups were changed in LDAP directly: accountd's directory cache
    # gets them through its sync session (a 1000-value change takes a moment
    # to apply), so wait for it before reading.
    s = api(t.admin)
    S.wait_until(lambda: len(S.expect(s.get(f"/api/v1/accounts/{t.account.id}", timeout=60),
                                      200)["members"]) == 1001, timeout=10, interval=0.1)
    r = s.get(f"/api/v1/accounts/{t.account.id}", timeout=60)
    body = S.expect(r, 200)
    members = {m["uid"]: m["roles"] for m in body["members"]}
    assert len(members) == 1001
    assert members[t.admin.uid] == ["admin"]
    for i in range(1000):
        want = ["billing", "member"] if i % 10 == 0 else ["member"]
        assert members[f"{prefix}-{i:04d}"] == want, (i, members[f"{prefix}-{i:04d}"])

    listing = S.expect(api(t.admin).get(f"/api/v1/accounts?parent_id={t.account.parent_id}",
                                        timeout=60), 200)
    assert [(a["id"], a["member_count"]) for a in listing["items"]] == [(t.account.id, 1001)]


def test_a_role_change_in_a_1000_member_account(big_account, api, ldap_admin):
    t, prefix = big_account
    uid = f"{prefix}-0007"
    r = api(t.admin).put(f"/api/v1/accounts/{t.account.id}/members/{uid}",
                         json={"roles": ["billing"]}, timeout=60)
    assert S.expect(r, 200)["roles"] == ["billing"]
    members = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/members",
                                        timeout=60), 200)
    assert {m["uid"]: m["roles"] for m in members["items"]}[uid] == ["billing"]
