"""People and roles of an account: the LDAP role groups behind
GET/PUT/DELETE /api/v1/accounts/{id}/members/{uid}, changes made directly in
LDAP, who may change whom, the last admin, and escaping of uids."""
import os
import subprocess

import ldap3
import pytest

import support as S
from conftest import company




def me_roles(api, who, account_id):
    """The roles /api/v1/me lists for the account, or None if not listed."""
    body = S.expect(api(who).get("/api/v1/me"), 200)
    for a in body["accounts"]:
        if a["id"] == account_id:
            return set(a["roles"])
    return None


# ------------------------------------------------------------------ LDAP edits by administrators

def test_role_added_in_ldap_shows_in_me(api, customer, make_person, ldap_admin):
    _, acc = customer
    p = make_person()
    assert me_roles(api, p, acc.id) is None
    ok = ldap_admin.modify(S.role_dn(acc.id, "billing"), {"member": [(ldap3.MODIFY_ADD, [p.dn])]})
    assert ok, ldap_admin.result
    roles = S.wait_until(lambda: me_roles(api, p, acc.id))
    assert roles == {"billing"}
    ok = ldap_admin.modify(S.role_dn(acc.id, "billing"), {"member": [(ldap3.MODIFY_DELETE, [p.dn])]})
    assert ok, ldap_admin.result
    gone = S.wait_until(lambda: me_roles(api, p, acc.id) is None)
    assert gone, "the account is still listed after the LDAP administrator removed the role"


def test_admin_added_in_ldap_may_act_at_once(api, customer, make_person, ldap_admin, sql):
    _, acc = customer
    p = make_person()
    S.expect_problem(api(p).patch(f"/api/v1/accounts/{acc.id}", json={"name": "x"}), 404, "not-found")
    ok = ldap_admin.modify(S.role_dn(acc.id, "admin"), {"member": [(ldap3.MODIFY_ADD, [p.dn])]})
    assert ok, ldap_admin.result
    new_name = S.unique("it-ldapadmin-")
    r = S.wait_until(lambda: (lambda r: r if r.status_code == 200 else None)(
        api(p).patch(f"/api/v1/accounts/{acc.id}", json={"name": new_name})))
    assert r is not None, "admin added in LDAP could not PATCH within 5 s"
    assert sql.account(acc.id)["name"] == new_name


# ------------------------------------------------------------------ PUT

def test_admin_sets_roles(api, customer, make_person, set_roles, ldap_admin, sql):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["member"])
    audit_before = len(sql.audit(acc.id))
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["admin", "billing"]})
    S.expect(r, 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"admin", "billing"}
    assert me_roles(api, p, acc.id) == {"admin", "billing"}
    assert len(sql.audit(acc.id)) > audit_before, "changing roles wrote no audit row"
    # Setting roles replaces them.
    S.expect(api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["member"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member"}
    # The creator's admin role is untouched.
    assert S.roles_in_ldap(ldap_admin, acc.id, admin) == {"admin"}


def test_members_list(api, customer, make_person, set_roles):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["service-provider", "billing"])
    body = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}/members"), 200)
    items = {i["uid"]: i for i in body["items"]}
    assert set(items) == {admin.uid, p.uid}
    assert sorted(items[p.uid]["roles"]) == ["billing", "service-provider"]
    assert items[p.uid]["name"] == p.name and items[p.uid]["mail"] == p.mail
    assert items[admin.uid]["roles"] == ["admin"]


def test_one_member_is_read_as_the_list_shows_them(api, customer, make_person, make_tenant, set_roles,
                                                   ldap_admin, anon):
    """Round-8 walkthrough of seeds 003 and 004: GET …/members/{uid} (the
    Location of an invitation that added a person at once) answers the
    person exactly as the members list does, to anyone with a role in the
    account; a uid that is no member is the 404 PUT and DELETE give, word
    for word."""
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["billing", "service-provider"])
    listed = {i["uid"]: i for i in S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}/members"),
                                            200)["items"]}
    path = f"/api/v1/accounts/{acc.id}/members/"
    got = S.expect(api(admin).get(path + p.uid), 200)
    assert got == listed[p.uid]
    assert (got["uid"], got["name"], got["mail"], sorted(got["roles"])) == (
        p.uid, p.name, p.mail, ["billing", "service-provider"])
    assert S.expect(api(admin).get(path + admin.uid), 200) == listed[admin.uid]
    # Any role in the account reads it: a member, the person themselves.
    m = make_person()
    set_roles(admin, acc.id, m, ["member"])
    assert S.expect(api(m).get(path + p.uid), 200) == listed[p.uid]
    assert S.expect(api(p).get(path + p.uid), 200) == listed[p.uid]
    # A role changed in LDAP shows as in the list.
    ok = ldap_admin.modify(S.role_dn(acc.id, "billing"), {"member": [(ldap3.MODIFY_DELETE, [p.dn])]})
    assert ok, ldap_admin.result
    changed = S.poll(lambda: api(admin).get(path + p.uid),
                     lambda r: r.status_code == 200 and r.json()["roles"] == ["service-provider"], 5)
    assert changed.json()["roles"] == ["service-provider"], S.describe(changed)
    # Not a member, no such person, a uid no person can have: one answer,
    # the same as PUT's and DELETE's, telling nothing about the person.
    stranger = make_person()
    put = api(admin).put(path + stranger.uid, json={"roles": ["member"]})
    S.expect_problem(put, 404, "not-found")
    for uid in (stranger.uid, S.unique("ghost"), "*", "a b"):
        r = api(admin).get(path + S.path_quote(uid))
        body = S.expect_problem(r, 404, "not-found")
        assert body["detail"] == put.json()["detail"], body
        assert stranger.mail not in r.text and stranger.name not in r.text
    # Someone removed is no member any more.
    S.expect(api(admin).delete(path + m.uid), 204)
    S.expect_problem(api(admin).get(path + m.uid), 404, "not-found")
    S.expect_problem(api(m).get(path + p.uid), 404, "not-found")
    # Another tenant: the account's 404; nobody: 401.
    other = make_tenant("mget")
    body = S.expect_problem(api(other.admin).get(path + p.uid), 404, "not-found")
    assert body["detail"] == "no such account", body
    S.expect_problem(anon.get(path + p.uid), 401)


def test_unknown_role_is_422(api, customer, make_person, ldap_admin):
    admin, acc = customer
    p = make_person()
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["member", "wizard"]})
    S.expect_field_errors(r, "roles")
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()


def test_roles_must_be_a_list(api, customer, make_person, ldap_admin):
    admin, acc = customer
    p = make_person()
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": "admin"})
    assert r.status_code in (400, 422), S.describe(r)
    S.expect_problem(r, r.status_code)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()


@pytest.mark.parametrize("by", ["admin", "operator"])
def test_put_for_a_non_member_is_404_and_tells_nothing(api, customer, make_person, ldap_admin, sql, by):
    """People join by invitation. PUT on someone who is no member of the
    account adds nobody and answers exactly as for a uid nobody has, so an
    admin cannot collect names and addresses from the directory by uid."""
    admin, acc = customer
    caller = admin if by == "admin" else "olivia"
    p = make_person()
    audit_before = len(sql.audit(acc.id))
    path = f"/api/v1/accounts/{acc.id}/members/"
    r = api(caller).put(path + p.uid, json={"roles": ["member"]})
    S.expect_problem(r, 404, "not-found")
    assert p.mail not in r.text and p.name not in r.text, S.describe(r)
    ghost = api(caller).put(path + S.unique("ghost"), json={"roles": ["member"]})
    S.expect_problem(ghost, 404, "not-found")
    # The same words for both: the answer does not tell that p exists.
    assert (ghost.json()["title"], ghost.json()["detail"]) == (r.json()["title"], r.json()["detail"])
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()
    assert len(sql.audit(acc.id)) == audit_before


def test_null_roles_is_422(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["billing"])
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": None})
    S.expect_field_errors(r, "roles")
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing"}


def test_put_for_unknown_person_is_404(api, customer, ldap_admin):
    admin, acc = customer
    before = S.group_members(ldap_admin, acc.id, "member")
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{S.unique('ghost')}", json={"roles": ["member"]})
    S.expect_problem(r, 404, "not-found")
    assert S.group_members(ldap_admin, acc.id, "member") == before


@pytest.mark.parametrize("role", ["member", "billing"])
def test_non_admin_roles_may_not_edit_people(api, customer, make_person, set_roles, ldap_admin, role):
    admin, acc = customer
    p, q = make_person(), make_person()
    set_roles(admin, acc.id, p, [role])
    r = api(p).put(f"/api/v1/accounts/{acc.id}/members/{q.uid}", json={"roles": ["member"]})
    S.expect_problem(r, 403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc.id, q) == set()
    S.expect_problem(api(p).delete(f"/api/v1/accounts/{acc.id}/members/{admin.uid}"), 403, "forbidden")
    assert "admin" in S.roles_in_ldap(ldap_admin, acc.id, admin)


def test_service_provider_manages_non_admins_only(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    sp, p = make_person(), make_person()
    set_roles(admin, acc.id, sp, ["service-provider"])
    set_roles(admin, acc.id, p, ["member"])
    s = api(sp)
    S.expect(s.put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["member", "service-provider"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member", "service-provider"}
    # Not the admin role, not for anyone.
    S.expect_problem(s.put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["admin"]}),
                     403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member", "service-provider"}
    S.expect_problem(s.put(f"/api/v1/accounts/{acc.id}/members/{sp.uid}", json={"roles": ["admin"]}),
                     403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc.id, sp) == {"service-provider"}
    # Not the people who are admins.
    S.expect_problem(s.put(f"/api/v1/accounts/{acc.id}/members/{admin.uid}", json={"roles": ["member"]}),
                     403, "forbidden")
    S.expect_problem(s.delete(f"/api/v1/accounts/{acc.id}/members/{admin.uid}"), 403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc.id, admin) == {"admin"}
    # Removing a non-admin is fine.
    S.expect(s.delete(f"/api/v1/accounts/{acc.id}/members/{p.uid}"), 204)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()


def test_other_tenant_may_not_touch_members(api, customer, make_tenant, make_person, set_roles, ldap_admin):
    admin, acc = customer
    stranger = make_tenant().admin
    p = make_person()
    set_roles(admin, acc.id, p, ["member"])
    s = api(stranger)
    S.expect_problem(s.get(f"/api/v1/accounts/{acc.id}/members"), 404, "not-found")
    S.expect_problem(s.put(f"/api/v1/accounts/{acc.id}/members/{stranger.uid}", json={"roles": ["admin"]}),
                     404, "not-found")
    # Also for a real member: the account itself is what the stranger cannot see.
    S.expect_problem(s.put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": ["admin"]}),
                     404, "not-found")
    S.expect_problem(s.delete(f"/api/v1/accounts/{acc.id}/members/{p.uid}"), 404, "not-found")
    assert S.roles_in_ldap(ldap_admin, acc.id, stranger) == set()
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member"}


def test_service_provider_cannot_give_billing(api, customer, make_person, set_roles, ldap_admin, sql,
                                             mailbox):
    """round2-000 D1: billing orders and cancels, which DESIGN.md denies
    service providers; two providers giving each other billing kept it
    after the customer revoked their access. A service provider (without
    admin) gives member and service-provider only, by PUT or invitation;
    keeping or taking away a billing role an admin gave stays allowed."""
    admin, acc = customer
    sp, sp2, p = make_person(), make_person(), make_person()
    set_roles(admin, acc.id, sp, ["service-provider"])
    set_roles(admin, acc.id, sp2, ["service-provider"])
    set_roles(admin, acc.id, p, ["member"])
    s = api(sp)
    path = f"/api/v1/accounts/{acc.id}/members"
    audit_before = len(sql.audit(acc.id))
    # The round-2 repro: a colleague, and anyone else.
    body = S.expect_problem(s.put(f"{path}/{sp2.uid}", json={"roles": ["service-provider", "billing"]}),
                            403, "forbidden")
    assert "billing" in body["detail"]
    S.expect_problem(s.put(f"{path}/{p.uid}", json={"roles": ["billing"]}), 403, "forbidden")
    S.expect_problem(s.put(f"{path}/{p.uid}", json={"roles": ["member", "billing"]}), 403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, acc.id, sp2) == {"service-provider"}
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member"}
    # Not by invitation either: a known person, or an unknown address.
    out_before = S.outbox_max_id(sql)
    S.expect_problem(s.post(f"/api/v1/accounts/{acc.id}/invitations",
                            json={"email": p.mail, "role": "billing"}), 403, "forbidden")
    fresh = S.unique_mail("spbill-")
    S.expect_problem(s.post(f"/api/v1/accounts/{acc.id}/invitations",
                            json={"email": fresh, "role": "billing"}), 403, "forbidden")
    assert sql.row("SELECT id FROM invitations WHERE account_id=%s AND pending_email=%s",
                   int(acc.id), fresh.lower()) is None
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member"}
    assert [r for r in sql.rows("SELECT id FROM mail_outbox WHERE id > %s AND account_id=%s",
                                out_before, int(acc.id))] == []
    assert len(sql.audit(acc.id)) == audit_before  # nothing changed, nothing audited
    # member and service-provider: as before, by PUT and by invitation.
    S.expect(s.put(f"{path}/{p.uid}", json={"roles": ["member", "service-provider"]}), 200)
    S.expect(s.post(f"/api/v1/accounts/{acc.id}/invitations",
                    json={"email": S.unique_mail("spmem-"), "role": "member"}), 202)
    # A billing role an admin gave: the provider may keep it in a change or take it away.
    set_roles(admin, acc.id, p, ["billing"])
    S.expect(s.put(f"{path}/{p.uid}", json={"roles": ["billing", "member"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing", "member"}
    S.expect(s.put(f"{path}/{p.uid}", json={"roles": ["member"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member"}
    # An admin gives billing as before.
    S.expect(api(admin).put(f"{path}/{sp2.uid}", json={"roles": ["service-provider", "billing"]}), 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, sp2) == {"service-provider", "billing"}


# ------------------------------------------------------------------ DELETE

def test_delete_member_removes_every_role(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, list(S.ROLES))
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set(S.ROLES)
    r = api(admin).delete(f"/api/v1/accounts/{acc.id}/members/{p.uid}")
    S.expect(r, 204)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()
    assert me_roles(api, p, acc.id) is None


def test_last_admin_cannot_be_removed(api, customer, ldap_admin):
    admin, acc = customer
    S.expect_problem(api(admin).delete(f"/api/v1/accounts/{acc.id}/members/{admin.uid}"), 409, "last-admin")
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(admin.dn)}
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{admin.uid}", json={"roles": ["billing"]})
    S.expect_problem(r, 409, "last-admin")
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(admin.dn)}
    assert S.group_members(ldap_admin, acc.id, "billing") == set()


def test_an_admin_may_go_when_another_stays(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["admin"])
    S.expect(api(p).delete(f"/api/v1/accounts/{acc.id}/members/{admin.uid}"), 204)
    assert S.group_members(ldap_admin, acc.id, "admin") == {S.norm_dn(p.dn)}


def test_leaving_with_a_pending_invitation_says_leave_and_how_to_keep_it(
        api, sql, make_tenant, make_account, make_person, set_roles, ldap_admin):
    """Round-17 walkthrough of seed 004, D5: a named contact handing over
    and leaving was told, for the invitation she had sent and that was
    still pending, to "change your role once it has been accepted, or
    revoke it" (and revoking throws away what the invitee should get).
    For a DELETE of oneself the 409 says "leave once it has been
    accepted", and names the way that keeps the invitation: another
    administrator resends it and becomes its sender, after which she may
    leave. A role change keeps "change your role". A member may not remove
    her (403 naming the roles that may), another tenant 404."""
    t = make_tenant("lv17")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, mia = (make_person(prefix="lv17a"), make_person(prefix="lv17b"),
                      make_person(prefix="lv17m"))
    set_roles(t.admin, acc.id, anna, ["admin"])
    set_roles(t.admin, acc.id, ben, ["admin"])
    set_roles(t.admin, acc.id, mia, ["member"])
    fay = S.unique_mail("lv17f-")
    inv = S.expect(api(anna).post(f"/api/v1/accounts/{acc.id}/invitations",
                                  json={"email": fay, "role": "member"}), 202)["id"]
    me = f"/api/v1/accounts/{acc.id}/members/{anna.uid}"
    p = S.expect_problem(api(anna).delete(me), 409, "conflict")
    assert p["detail"] == (
        f"your invitation of {fay} as a member (invitation {inv}) is still pending: it would stop"
        " working if you left the account now; leave once it has been accepted, or have another"
        " administrator resend it (they become its sender; the invitee gets a new link), or"
        " revoke it first"), p
    p = S.expect_problem(api(anna).put(me, json={"roles": ["billing"]}), 409, "conflict")
    assert p["detail"].endswith(
        " would stop working if you gave up admin now; change your role once it has been accepted,"
        " or have another administrator resend it (they become its sender; the invitee gets a new"
        " link), or revoke it first"), p
    assert S.roles_in_ldap(ldap_admin, acc.id, anna) == {"admin"}
    # Who may not: a member (the router's 403), another tenant (404).
    p = S.expect_problem(api(mia).delete(me), 403, "forbidden")
    assert p["detail"] == ("your role in this account does not allow this: it needs admin or"
                           " service-provider; ask an administrator of the account"), p
    S.expect_problem(api(make_tenant("lv17o").admin).delete(me), 404)
    assert S.roles_in_ldap(ldap_admin, acc.id, anna) == {"admin"}
    # What the detail says works: Ben resends it, becomes its sender, and
    # Anna leaves; the invitation stays pending and usable.
    S.expect(api(ben).post(f"/api/v1/accounts/{acc.id}/invitations/{inv}/resend"), 202)
    assert S.invitation_row(sql, inv)["invited_by"] == ben.uid
    S.expect(api(anna).delete(me), 204)
    assert S.roles_in_ldap(ldap_admin, acc.id, anna) == set()
    items = S.expect(api(ben).get(f"/api/v1/accounts/{acc.id}/invitations"), 200)["items"]
    assert [i["usable"] for i in items if i["id"] == inv] == [True], items
    # The last admin's 409 points at a pending admin invitation in the same
    # words: "leave" for a DELETE of oneself, "change your role" for a PUT.
    solo = make_account(t.admin, "customer", t.account.id)
    hank = S.unique_mail("lv17h-")
    hinv = S.expect(api(t.admin).post(f"/api/v1/accounts/{solo.id}/invitations",
                                      json={"email": hank, "role": "admin"}), 202)["id"]
    mine = f"/api/v1/accounts/{solo.id}/members/{t.admin.uid}"
    pending = (f"an account always keeps at least one admin; your invitation of {hank} as an"
               f" administrator (invitation {hinv}) is pending: ")
    p = S.expect_problem(api(t.admin).delete(mine), 409, "last-admin")
    assert p["detail"] == pending + "leave once it has been accepted", p
    p = S.expect_problem(api(t.admin).put(mine, json={"roles": ["billing"]}), 409, "last-admin")
    assert p["detail"] == pending + "change your role once it has been accepted", p


def test_delete_of_non_member_is_404(api, customer, make_person):
    admin, acc = customer
    p = make_person()
    known = api(admin).delete(f"/api/v1/accounts/{acc.id}/members/{p.uid}")
    S.expect_problem(known, 404, "not-found")
    ghost = api(admin).delete(f"/api/v1/accounts/{acc.id}/members/{S.unique('ghost')}")
    S.expect_problem(ghost, 404, "not-found")
    assert ghost.json()["detail"] == known.json()["detail"]


# ------------------------------------------------------------------ escaping

INJECTIONS = ["*", "*)(uid=*", "olivia)(cn=*", "ol*", "olivia,ou=people", "uid=olivia,ou=people,"
              + os.environ.get("LDAP_BASE", "dc=example,dc=org"), "olivia\\2a", "x\r\ninjected-log-line"]


@pytest.mark.parametrize("uid", INJECTIONS)
def test_filter_and_dn_characters_in_uid_find_nothing(api, customer, ldap_admin, uid):
    admin, acc = customer
    groups = {role: S.group_members(ldap_admin, acc.id, role) for role in S.ROLES}
    s = api(admin)
    path = f"/api/v1/accounts/{acc.id}/members/{S.path_quote(uid)}"
    S.expect_problem(s.put(path, json={"roles": ["member"]}), 404, "not-found")
    S.expect_problem(s.delete(path), 404, "not-found")
    assert {role: S.group_members(ldap_admin, acc.id, role) for role in S.ROLES} == groups
    # The server still answers normally.
    assert S.expect(s.get("/api/v1/me"), 200)["uid"] == admin.uid
    assert S.expect(s.get(f"/api/v1/accounts/{acc.id}/members"), 200)["items"]
    if "\n" in uid:
        # Control characters are escaped in the log: no forged line.
        log_path = os.environ.get("ACCOUNTD_LOG")
        assert log_path and os.path.exists(log_path), f"ACCOUNTD_LOG {log_path!r} missing"
        with open(log_path, "rb") as f:
            lines = f.read().split(b"\n")
        assert not [line for line in lines if line.lstrip(b"\r").startswith(b"injected-log-line")]


# ------------------------------------------------------------------ more input checks

def test_unknown_field_in_member_body_is_422(api, customer, make_person, ldap_admin):
    admin, acc = customer
    p = make_person()
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}",
                       json={"roles": ["member"], "account_id": "1"})
    S.expect_field_errors(r, "account_id")
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()


def test_form_list_with_brackets(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["member"])
    r = api(admin).form("POST", f"/api/v1/accounts/{acc.id}/members/{p.uid}",
                        [("_method", "PUT"), ("roles[]", "billing"), ("roles[]", "service-provider")])
    S.expect(r, 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing", "service-provider"}


def test_empty_role_list_removes_a_non_admin(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["billing", "member"])
    r = api(admin).put(f"/api/v1/accounts/{acc.id}/members/{p.uid}", json={"roles": []})
    assert S.expect(r, 200)["roles"] == [], S.describe(r)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()


# ------------------------------------------------------------------ the last admin under concurrency

def test_two_admins_removing_each_other_leave_one(api, make_tenant, make_account, make_person, set_roles,
                                                  ldap_admin):
    from concurrent.futures import ThreadPoolExecutor
    t = make_tenant()
    for _ in range(3):
        acc = make_account(t.admin, "customer", t.account.id)
        other = make_person()
        set_roles(t.admin, acc.id, other, ["admin"])

        def remove(pair):
            by, whom = pair
            return api(by).delete(f"/api/v1/accounts/{acc.id}/members/{whom.uid}")

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(remove, [(t.admin, other), (other, t.admin)]))
        codes = sorted(r.status_code for r in results)
        admins = S.group_members(ldap_admin, acc.id, "admin")
        assert admins, f"both admins removed: {[S.describe(r) for r in results]}"
        assert len(admins) == 1 and codes.count(204) == 1, [S.describe(r) for r in results]
        assert all(r.status_code in (204, 403, 404, 409) for r in results), [S.describe(r) for r in results]


# ------------------------------------------------------------------ a colleague removed from the partner
# Round-20 walkthrough of seed 001, D1: Ben, an admin of the partner,
# created a customer (so he was its only admin); Anna removed him from the
# partner (204, no mail) and he kept every right there, while Anna got 403
# on everything that would remove him (docs/api.md, "A person removed from
# a partner is named where they keep roles" and "The parent's admins remove
# a former colleague from the accounts they created").

def template_mails(sql, mailbox, account_id, template, before):
    """{recipient (lower case): body} of `template` queued for account_id
    after outbox id `before`, each as the SMTP sink received it."""
    rows = [x for x in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if x["template"] == template]
    out = {}
    for x in rows:
        assert x["status"] == "sent", x
        body = mailbox.wait_for(outbox_id=x["id"], timeout=15)[0].body
        out[x["recipient"].lower()] = (x["subject"], body.replace("\r\n", "\n"))
    return out


@pytest.fixture
def colleague(api, make_tenant, make_account, make_person, set_roles):
    """The seed's partner: Anna its admin and primary contact, Carl
    another admin (no contact), Ben an admin who created customer `bens`
    (its only admin, its primary contact, a notification recipient
    there); customer `berger` Anna created, Ben a member there; customer
    `shared` Ben created, where Clara (the customer's own admin, its
    contact) is admin too; a sub-partner Anna created and its customer
    `grand`, where Ben is a member (a grandchild)."""
    t = make_tenant("r20")
    anna, p = t.admin, t.account
    S.expect(api(anna).put(f"/api/v1/accounts/{p.id}/contacts/primary", json={"uid": anna.uid}),
             200)
    carl = make_person(prefix="r20carl", given="Carl")
    set_roles("olivia", p.id, carl, ["admin"])
    ben = make_person(prefix="r20ben", given="Ben")
    set_roles("olivia", p.id, ben, ["admin"])
    bens = make_account(ben, "customer", p.id, name=S.unique("r20 Bens Kunde "))
    S.expect(api(ben).put(f"/api/v1/accounts/{bens.id}/contacts/primary", json={"uid": ben.uid}),
             200)
    recipient = S.unique_mail("r20-rcpt-")
    S.expect(api(ben).put(f"/api/v1/accounts/{bens.id}/notification-recipients",
                          json={"emails": [recipient]}), 200)
    berger = make_account(anna, "customer", p.id, name=S.unique("r20 Autohaus Berger "))
    set_roles(anna, berger.id, ben, ["member"])
    shared = make_account(ben, "customer", p.id, name=S.unique("r20 Geteilt "))
    clara = make_person(prefix="r20clara", given="Clara")
    set_roles(ben, shared.id, clara, ["admin"])
    sub = make_account(anna, "partner", p.id, name=S.unique("r20 Sub "))
    grand = make_account(anna, "customer", sub.id, name=S.unique("r20 Enkel "))
    set_roles(anna, grand.id, ben, ["member"])
    return {"anna": anna, "carl": carl, "ben": ben, "clara": clara, "partner": p, "bens": bens,
            "berger": berger, "shared": shared, "sub": sub, "grand": grand,
            "recipient": recipient}


def remove_from_partner(api, sql, c):
    before = S.outbox_max_id(sql)
    r = api(c["anna"]).delete(f"/api/v1/accounts/{c['partner'].id}/members/"
                              f"{S.path_quote(c['ben'].uid)}")
    S.expect(r, 204)
    assert r.content == b"", r.content
    return before


def test_a_colleague_removed_from_the_partner_is_named_where_he_keeps_roles(
        api, sql, mailbox, colleague):
    """The tester's story: DELETE …/members/ben on the partner stays 204
    (the contract), and the remover and the partner's named contacts (else
    its admins) are mailed member-keeps-child-roles: each direct child Ben
    holds roles in, with the roles, which have no other administrator and
    who may remove him there. Nothing else changes: Ben still acts in the
    customer he created."""
    c = colleague
    anna, ben, p = c["anna"], c["ben"], c["partner"]
    before = remove_from_partner(api, sql, c)
    mails = template_mails(sql, mailbox, p.id, "member-keeps-child-roles", before)
    # Anna: the remover and the named contact; Carl, an admin but no
    # contact, and Ben are not mailed.
    assert set(mails) == {anna.mail.lower()}, mails
    subject, body = mails[anna.mail.lower()]
    assert subject == f"{ben.name} still holds roles in child accounts of {p.name}", subject
    # Anna's own copy: "You removed …" (round-22 walkthrough of seed 001,
    # D3).
    assert body.startswith(f"Hello {anna.name},\n\nYou removed {ben.name} from {p.name} "
                           f"(account {p.id}). That took none of the roles {ben.name} holds in "
                           f"the child accounts of {p.name}: each account's roles are its own. "
                           f"{ben.name} still holds roles in 3 child accounts of {p.name}, with "
                           "every right they give there:\n\n"), body
    bens, berger, shared = c["bens"], c["berger"], c["shared"]
    lines = (
        f"- {bens.name} (account {bens.id}): administrator; it has no other administrator. "
        f"{ben.name} created it for {p.name}, so an administrator of {p.name} may remove them "
        f"from its people, also without being a member of it, and becomes its administrator in "
        "their place, the owner of the projects they alone own there and the sender of their "
        "invitations still pending there.\n"
        # Anna created Berger, so she is its administrator: her copy says
        # so (round-24 walkthrough of seed 001, D1).
        f"- {berger.name} (account {berger.id}): member. You are its administrator: remove "
        "them under its people.\n"
        f"- {shared.name} (account {shared.id}): administrator. {ben.name} created it for "
        f"{p.name}, so an administrator of {p.name} may remove them from its people, also "
        "without being a member of it once no project there has them as its only owner (its "
        "administrators name another owner first); its named contacts are then told which "
        f"invitations {ben.name} sent that are still pending there stop working.\n\n")
    assert lines in body, body
    # Direct children only: the sub-partner's customer is not named.
    assert c["grand"].name not in body, body
    assert "/api/" not in body, body
    # Nothing else changed: Ben still renames the customer he created.
    S.expect(api(ben).patch(f"/api/v1/accounts/{bens.id}", json={"name": bens.name + " (ex)"}),
             200)
    S.expect_problem(api(ben).get(f"/api/v1/accounts?parent_id={p.id}"), 404)


# Round-24 walkthrough of seed 001, D1: Anna removed Fritz, a partner
# member, from the partner; her copy ("You removed …") told her that "an
# administrator of Dachdecker Dora removes them", though she is its only
# administrator and could do it at once.

def test_the_remover_who_administers_the_child_is_told_to_remove_them_herself(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """The tester's story: Anna (partner admin, primary contact) created
    Dora and added Fritz there as a member; Ben (partner admin, technical
    contact) created his own customer, Fritz a member there too. Who may
    not remove Fritz from the partner (Fritz's colleague who is only a
    member, another tenant) changes nothing and mails nothing. Anna's
    DELETE: her copy says of Dora "You are its administrator: remove them
    under its people.", of Ben's customer the old line; Ben's copy (a
    contact's) keeps the old line for both."""
    t = make_tenant("r24s1")
    anna, p = t.admin, t.account
    S.expect(api(anna).put(f"/api/v1/accounts/{p.id}/contacts/primary", json={"uid": anna.uid}),
             200)
    ben = make_person(prefix="r24s1ben", given="Ben")
    set_roles("olivia", p.id, ben, ["admin"])
    S.expect(api(anna).put(f"/api/v1/accounts/{p.id}/contacts/technical",
                           json={"uid": ben.uid}), 200)
    fritz = make_person(prefix="r24s1fritz", given="Fritz")
    set_roles("olivia", p.id, fritz, ["member"])
    mia = make_person(prefix="r24s1mia", given="Mia")
    set_roles("olivia", p.id, mia, ["member"])
    dora = make_account(anna, "customer", p.id, name=S.unique("r24s1 Dachdecker Dora "))
    r = api(anna).post(f"/api/v1/accounts/{dora.id}/invitations",
                       json={"email": fritz.mail, "role": "member"})
    assert S.expect(r, 201)["status"] == "added", S.describe(r)
    bens = make_account(ben, "customer", p.id, name=S.unique("r24s1 Bens Kunde "))
    set_roles(ben, bens.id, fritz, ["member"])
    path = f"/api/v1/accounts/{p.id}/members/{S.path_quote(fritz.uid)}"

    # Who may not: a member of the partner (403), another tenant (404);
    # Fritz keeps his role and nobody is mailed.
    eve = make_tenant("r24s1eve").admin
    before = S.outbox_max_id(sql)
    S.expect_problem(api(mia).delete(path), 403, "forbidden")
    S.expect_problem(api(eve).delete(path), 404)
    assert me_roles(api, fritz, p.id) == {"member"}
    assert template_mails(sql, mailbox, p.id, "member-keeps-child-roles", before) == {}

    S.expect(api(anna).delete(path), 204)
    mails = template_mails(sql, mailbox, p.id, "member-keeps-child-roles", before)
    assert set(mails) == {anna.mail.lower(), ben.mail.lower()}, mails
    old_dora = (f"- {dora.name} (account {dora.id}): member. An administrator of {dora.name} "
                "removes them under its people.\n")
    old_bens = (f"- {bens.name} (account {bens.id}): member. An administrator of {bens.name} "
                "removes them under its people.\n\n")
    _, mine = mails[anna.mail.lower()]
    assert mine.startswith(f"Hello {anna.name},\n\nYou removed {fritz.name} from {p.name} "), mine
    assert (f"- {dora.name} (account {dora.id}): member. You are its administrator: remove them "
            "under its people.\n" + old_bens) in mine, mine
    assert "An administrator of " + dora.name not in mine, mine
    # The contact's copy: as before, for both (Ben did not make the change).
    _, bens_copy = mails[ben.mail.lower()]
    assert f"{anna.name} removed {fritz.name} from {p.name}" in bens_copy, bens_copy
    assert old_dora + old_bens in bens_copy, bens_copy
    assert "You are its administrator" not in bens_copy, bens_copy
    # Nothing else changed: Fritz is still a member of both.
    assert me_roles(api, fritz, dora.id) == {"member"}
    assert me_roles(api, fritz, bens.id) == {"member"}


def test_no_child_roles_no_mail_and_a_put_to_no_roles_tells_too(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, person):
    """A person removed from a partner who holds no role in its children:
    no member-keeps-child-roles. A PUT to no roles is a removal too; on a
    distributor the same mail goes, to its admins while it has no named
    contact (operator staff who created it among them)."""
    t = make_tenant("r20n")
    dora = make_person(prefix="r20dora", given="Dora")
    set_roles("olivia", t.account.id, dora, ["member"])
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{t.account.id}/members/"
                                 f"{S.path_quote(dora.uid)}"), 204)
    assert template_mails(sql, mailbox, t.account.id, "member-keeps-child-roles", before) == {}

    d = make_tenant("r20d", kind="distributor")
    other = make_person(prefix="r20dadm", given="Otto")
    set_roles("olivia", d.account.id, other, ["admin"])
    eve = make_person(prefix="r20eve", given="Eve")
    set_roles("olivia", d.account.id, eve, ["billing"])
    reseller = make_account(d.admin, "partner", d.account.id, name=S.unique("r20 Reseller "))
    set_roles(d.admin, reseller.id, eve, ["billing", "member"])
    before = S.outbox_max_id(sql)
    r = api(d.admin).put(f"/api/v1/accounts/{d.account.id}/members/{S.path_quote(eve.uid)}",
                         json={"roles": []})
    assert S.expect(r, 200)["roles"] == []
    mails = template_mails(sql, mailbox, d.account.id, "member-keeps-child-roles", before)
    assert set(mails) == {d.admin.mail.lower(), other.mail.lower(),
                          person("olivia").mail.lower()}, mails
    _, body = mails[other.mail.lower()]
    assert (f"{d.admin.name} removed {eve.name} from {d.account.name} (account {d.account.id})."
            in body), body
    assert (f"- {reseller.name} (account {reseller.id}): billing person, member. An administrator "
            f"of {reseller.name} removes them under its people.\n") in body, body


def test_the_partner_removes_its_former_colleague_from_the_customer_he_created(
        api, sql, mailbox, colleague):
    """Once Ben holds no role in the partner, its admin Anna (no member of
    the customer Ben created) removes him there: 204. He was its only
    administrator, so Anna takes his place in the same change (with the
    primary contact he held): the customer keeps an administrator who can
    act. The audit trail says why; the customer's notification recipients
    are told (its contacts and admins are nobody but Anna now)."""
    c = colleague
    anna, ben, bens = c["anna"], c["ben"], c["bens"]
    path = f"/api/v1/accounts/{bens.id}/members/{S.path_quote(ben.uid)}"
    # While Ben is still a person of the partner it is not hers to do.
    problem = S.expect_problem(api(anna).delete(path), 403, "forbidden")
    assert problem["detail"].startswith("you are not a member of this account; as an "
                                        "administrator of"), problem
    remove_from_partner(api, sql, c)
    before = S.outbox_max_id(sql)
    audit_before = max(r["id"] for r in sql.audit(bens.id))
    S.expect(api(anna).delete(path), 204)
    assert ben.uid not in [m["uid"] for m in S.expect(api(anna).get(
        f"/api/v1/accounts/{bens.id}/members"), 200)["items"]]
    me = S.expect(api(ben).get("/api/v1/me"), 200)
    assert bens.id not in [a["id"] for a in me["accounts"]], me
    S.expect_problem(api(ben).patch(f"/api/v1/accounts/{bens.id}", json={"name": "x"}), 404)
    acc = S.expect(api(anna).get(f"/api/v1/accounts/{bens.id}"), 200)
    assert [m["roles"] for m in acc["members"] if m["uid"] == anna.uid] == [["admin"]], acc
    assert acc["contacts"]["primary"]["uid"] == anna.uid, acc["contacts"]
    rows = [r for r in sql.audit(bens.id) if r["id"] > audit_before]
    by_action = {r["action"]: r for r in rows}
    assert [r["action"] for r in rows] == ["member.remove", "member.add", "contact.set"], rows
    removed = by_action["member.remove"]
    assert removed["uid"] == anna.uid and removed["new_value"]["uid"] == ben.uid, removed
    assert "created this account for the parent" in removed["new_value"]["reason"], removed
    added = by_action["member.add"]
    assert added["new_value"]["uid"] == anna.uid and added["new_value"]["roles"] == ["admin"]
    assert ben.uid in added["new_value"]["reason"], added
    contact = by_action["contact.set"]
    assert contact["old_value"] == {"contact": "primary", "uid": ben.uid}, contact
    assert contact["new_value"]["uid"] == anna.uid, contact
    mails = template_mails(sql, mailbox, bens.id, "removed-by-parent", before)
    assert set(mails) == {c["recipient"].lower()}, mails
    subject, body = mails[c["recipient"].lower()]
    p = c["partner"]
    assert subject == f"{ben.name} was removed from {bens.name}", subject
    assert (f"{anna.name} of {p.name} removed {ben.name} from {bens.name}, where they were an "
            f"administrator. {ben.name} created {bens.name} for {p.name} and no longer holds a "
            f"role in {p.name}.") in body, body
    assert (f"\n{ben.name} was its only administrator, so {anna.name} of {p.name} became its "
            "administrator in their place and its primary contact: they can make one of its own "
            "people an administrator, and leave it again.\n") in body, body


def test_the_partner_may_not_remove_a_customers_own_people(
        api, sql, mailbox, make_tenant, make_person, set_roles, colleague):
    """The way out is narrow: the parent's admins remove only a person who
    created the account for the parent and holds no role in the parent.
    The customer's own admin Clara is refused 403 (also a uid nobody has:
    the same answer), so is Ben from the customer he did not create;
    another tenant's admin gets 404, a member of the partner 404 (they do
    not see the partner's children) or, being a member of the child too,
    the router's 403; a billing person of the partner the router's 403.
    Where Ben is not the last admin, Anna removes him without becoming a
    member, and the customer's contact Clara is told."""
    c = colleague
    anna, ben, clara, p, shared = c["anna"], c["ben"], c["clara"], c["partner"], c["shared"]
    remove_from_partner(api, sql, c)
    base = f"/api/v1/accounts/{shared.id}/members/"
    refusal = (f"you are not a member of this account; as an administrator of {p.name} you may "
               f"remove from it only a person who created it for {p.name} and holds no role in "
               f"{p.name} any more")
    for uid in (clara.uid, "r20-nobody-" + S.unique(""), c["carl"].uid):
        problem = S.expect_problem(api(anna).delete(base + S.path_quote(uid)), 403, "forbidden")
        assert problem["detail"] == refusal, (uid, problem)
    other = make_tenant("r20x")
    S.expect_problem(api(other.admin).delete(base + S.path_quote(ben.uid)), 404, "not-found")
    member = make_person(prefix="r20pm", given="Paul")
    set_roles("olivia", p.id, member, ["member"])
    S.expect_problem(api(member).delete(base + S.path_quote(ben.uid)), 404, "not-found")
    set_roles(clara, shared.id, member, ["member"])
    problem = S.expect_problem(api(member).delete(base + S.path_quote(ben.uid)), 403,
                               "forbidden")
    assert problem["detail"] == ("your role in this account does not allow this: it needs admin "
                                 "or service-provider; ask an administrator of the account"), \
        problem
    billing = make_person(prefix="r20pb", given="Berta")
    set_roles("olivia", p.id, billing, ["billing"])
    problem = S.expect_problem(api(billing).delete(base + S.path_quote(ben.uid)), 403,
                               "forbidden")
    assert problem["detail"] == "you are not a member of this account", problem
    # Ben, who created it, goes; Clara stays its admin and contact and is
    # told; Anna does not become a member.
    before = S.outbox_max_id(sql)
    S.expect(api(anna).delete(base + S.path_quote(ben.uid)), 204)
    members = S.expect(api(clara).get(f"/api/v1/accounts/{shared.id}/members"), 200)["items"]
    assert {m["uid"] for m in members} == {clara.uid, member.uid}, members
    S.expect_problem(api(anna).get(f"/api/v1/accounts/{shared.id}"), 403, "forbidden")
    mails = template_mails(sql, mailbox, shared.id, "removed-by-parent", before)
    assert set(mails) == {clara.mail.lower()}, mails
    _, body = mails[clara.mail.lower()]
    assert body.startswith(f"Hello {clara.name},\n\n{anna.name} of {p.name} removed {ben.name} "
                           f"from {shared.name}, where they were an administrator."), body
    assert "only administrator" not in body, body
    # No take-over: no line for it, and no empty paragraph where it would
    # be (round-21 walkthrough of seed 001, D2); who created it is said.
    assert "\n\n\n" not in body, body
    assert (f"The administrators of {p.name} may remove {ben.name}, who created it for {p.name}, "
            f"from {shared.name}, but none of its own people.\n\nIf {ben.name} should still act "
            f"for {shared.name}") in body, body
    assert "Pending invitation" not in body and "still pending" not in body, body
    # Nobody else of the account: Clara, now, neither.
    S.expect_problem(api(anna).delete(base + S.path_quote(clara.uid)), 403, "forbidden")


# Round-21 walkthrough of seed 001, D1: the take-over of a former
# colleague's customer silently cut off the customer's own future admin,
# whose invitation the colleague had sent (410 "ask the account's
# administrators"); nobody was told.

def test_the_take_over_makes_the_remover_the_sender_of_his_pending_invitations(
        api, sql, mailbox, invitation_mail, make_person, make_tenant, colleague):
    """Ben creates a customer with its contact person Ida (invited as its
    admin by Ben) and invites Hugo as billing there; a notification
    recipient is set. Ben leaves the partner's people, and Anna removes
    him from the customer, where he was the only administrator: 204. Both
    invitations are Anna's now (invited_by, usable, an invitation.sender
    audit row each); Anna's own copy of removed-by-parent names them, the
    recipient's says who sends them now; Ida's old link still makes her
    admin and the account's contact. Ben and another tenant see nothing of
    it."""
    c = colleague
    anna, ben, p = c["anna"], c["ben"], c["partner"]
    name = S.unique("r21 Imkerei ")
    ida_mail = S.unique_mail("r21ida-")
    before = S.outbox_max_id(sql)
    r = api(ben).post("/api/v1/accounts", json={
        "kind": "customer", "name": name, "parent_id": p.id, "company": company(name),
        "contact": {"first_name": "Ida", "last_name": "Imker", "email": ida_mail}})
    created = S.expect(r, 201)
    acc_id = S.location_id(r)
    ida_inv = created["contact"]["id"]
    _, ida_token = invitation_mail(ida_mail, after=before)
    hugo_mail = S.unique_mail("r21hugo-")
    hugo = S.expect(api(ben).post(f"/api/v1/accounts/{acc_id}/invitations",
                                  json={"email": hugo_mail, "role": "billing"}), 202)
    recipient = S.unique_mail("r21-rcpt-")
    S.expect(api(ben).put(f"/api/v1/accounts/{acc_id}/notification-recipients",
                          json={"emails": [recipient]}), 200)
    remove_from_partner(api, sql, c)
    before = S.outbox_max_id(sql)
    audit_before = max(r["id"] for r in sql.audit(acc_id))
    S.expect(api(anna).delete(f"/api/v1/accounts/{acc_id}/members/{S.path_quote(ben.uid)}"), 204)

    items = S.expect(api(anna).get(f"/api/v1/accounts/{acc_id}/invitations"), 200)["items"]
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {ida_inv, hugo["id"]}, items
    for i in items:
        assert i["invited_by"] == anna.uid and i["usable"] is True and "reason" not in i, i
    rows = [r for r in sql.audit(acc_id) if r["id"] > audit_before]
    assert [r["action"] for r in rows] == ["member.remove", "member.add", "invitation.sender",
                                           "invitation.sender"], rows
    for row, inv in zip(rows[2:], sorted([ida_inv, hugo["id"]], key=int)):
        assert row["uid"] == anna.uid, row
        assert row["old_value"] == {"invitation_id": int(inv), "invited_by": ben.uid}, row
        assert row["new_value"]["invited_by"] == anna.uid, row
        assert "took their place" in row["new_value"]["reason"], row

    mails = template_mails(sql, mailbox, acc_id, "removed-by-parent", before)
    assert set(mails) == {anna.mail.lower(), recipient.lower()}, mails
    listed = (f"{ida_mail} as an administrator and its contact person (invitation {ida_inv}), "
              f"{hugo_mail} as a billing person (invitation {hugo['id']})")
    _, mine = mails[anna.mail.lower()]
    assert mine.startswith(f"Hello {anna.name},\n\nYou removed {ben.name} "
                           f"from {name}, where they were an administrator."), mine
    assert (f"but none of its own people.\n{ben.name} was its only administrator, so you became "
            "its administrator in their place: you can make one of its own people an "
            f"administrator, and leave it again.\nPending invitations you now send: {listed}. "
            f"{ben.name} sent them; their links keep working, and as their sender you can resend "
            "or revoke any of them in the account's pending invitations.\n\nIf "
            f"{ben.name} should still act for {name}") in mine, mine
    assert "\n\n\n" not in mine, mine
    _, theirs = mails[recipient.lower()]
    assert (f"\n{ben.name} was its only administrator, so {anna.name} of {p.name} became its "
            "administrator in their place: they can make one of its own people an administrator, "
            f"and leave it again.\nThe invitations {ben.name} sent that are still pending, "
            f"{listed}, come from {anna.name} of {p.name} from now on: their links keep "
            "working.\n\n") in theirs, theirs
    assert "you now send" not in theirs and "\n\n\n" not in theirs, theirs

    # Who may not: Ben (no role there any more) and another tenant.
    other = make_tenant("r21x")
    for who in (ben, other.admin):
        S.expect_problem(api(who).get(f"/api/v1/accounts/{acc_id}/invitations"), 404)
        S.expect_problem(api(who).post(f"/api/v1/accounts/{acc_id}/invitations/{ida_inv}/resend"),
                         404)

    # Ida's old link still works: she is the account's admin and contact.
    uid = S.unique("r21ida")
    S.expect(S.accept_invitation(api, ida_token, uid=uid, password="pw-" + uid), 200)
    view = S.expect(api(uid, password="pw-" + uid).get(f"/api/v1/accounts/{acc_id}"), 200)
    assert [m["roles"] for m in view["members"] if m["uid"] == uid] == [["admin"]], view
    assert view["contacts"]["primary"]["uid"] == uid, view["contacts"]


def test_a_take_over_without_pending_invitations_mails_the_remover_nothing(
        api, sql, mailbox, colleague):
    """The customer Ben created and holds alone, without an invitation of
    his pending: Anna's take-over mails its recipient as before, with no
    invitations line, and Anna gets no copy."""
    c = colleague
    anna, bens = c["anna"], c["bens"]
    remove_from_partner(api, sql, c)
    before = S.outbox_max_id(sql)
    S.expect(api(anna).delete(f"/api/v1/accounts/{bens.id}/members/"
                              f"{S.path_quote(c['ben'].uid)}"), 204)
    mails = template_mails(sql, mailbox, bens.id, "removed-by-parent", before)
    assert set(mails) == {c["recipient"].lower()}, mails
    _, body = mails[c["recipient"].lower()]
    assert "still pending" not in body and "\n\n\n" not in body, body
    assert not [r for r in sql.audit(bens.id) if r["action"] == "invitation.sender"]


# Round-22 walkthrough of seed 001, D1-D4: a former colleague who alone
# owned a project in "his" customer could not be removed by the partner
# (409 last-owner with three ways out, each 403 for the remover); without
# a take-over his pending invitations there died unnamed; the remover's
# copy spoke of her in the third person, and every reader read the
# take-over's reason in the closing line.

def test_the_take_over_makes_the_remover_owner_of_his_only_owned_projects(
        api, sql, mailbox, ldap_admin, make_tenant, make_person, set_roles, colleague):
    """Ben created the customer (its only admin) and a project there, of
    which he is the only owner. After he left the partner, Anna removes him
    from the customer: 204, and in the same change she is its admin and
    the project's owner (LDAP owner group), a project.member.set row with
    the reason. Her own copy of removed-by-parent says "You removed …" and
    names the project; the recipient's names it in the third person, and
    only Anna's copy gives the take-over as her reason for getting it.
    Another tenant and a member of the partner get 404 and change
    nothing."""
    c = colleague
    anna, ben, p, bens = c["anna"], c["ben"], c["partner"], c["bens"]
    pname = S.unique("r22 Dachsanierung ")
    project = S.expect(api(ben).post(f"/api/v1/accounts/{bens.id}/projects",
                                     json={"name": pname}), 201)
    pid = project["id"]
    remove_from_partner(api, sql, c)
    path = f"/api/v1/accounts/{bens.id}/members/{S.path_quote(ben.uid)}"
    other = make_tenant("r22x")
    S.expect_problem(api(other.admin).delete(path), 404, "not-found")
    member = make_person(prefix="r22pm", given="Fritz")
    set_roles("olivia", p.id, member, ["member"])
    S.expect_problem(api(member).delete(path), 404, "not-found")
    assert S.project_roles_in_ldap(ldap_admin, bens.id, pid, ben) == {"owner"}
    assert S.project_roles_in_ldap(ldap_admin, bens.id, pid, anna) == set()

    before = S.outbox_max_id(sql)
    audit_before = max(r["id"] for r in sql.audit(bens.id))
    S.expect(api(anna).delete(path), 204)
    assert S.project_roles_in_ldap(ldap_admin, bens.id, pid, anna) == {"owner"}
    assert S.project_roles_in_ldap(ldap_admin, bens.id, pid, ben) == set()
    mine = S.expect(api(anna).get(f"/api/v1/accounts/{bens.id}/projects"), 200)["items"]
    assert [x["roles"] for x in mine if x["id"] == pid] == [["owner"]], mine
    rows = [r for r in sql.audit(bens.id) if r["id"] > audit_before]
    assert [r["action"] for r in rows] == ["member.remove", "member.add", "contact.set",
                                           "project.member.set", "project.member.remove"], rows
    took = rows[3]
    assert took["uid"] == anna.uid, took
    assert took["old_value"] == {"project_id": int(pid), "uid": anna.uid, "roles": []}, took
    assert took["new_value"]["roles"] == ["owner"], took
    assert ben.uid in took["new_value"]["reason"], took

    mails = template_mails(sql, mailbox, bens.id, "removed-by-parent", before)
    assert set(mails) == {anna.mail.lower(), c["recipient"].lower()}, mails
    _, yours = mails[anna.mail.lower()]
    assert yours.startswith(f"Hello {anna.name},\n\nYou removed {ben.name} from {bens.name}, "
                            "where they were an administrator."), yours
    assert (f"\nProjects you now own: \"{pname}\" (project {pid}). {ben.name} was its only "
            "owner; you can make one of the account's own people owner, and leave it again.\n"
            ) in yours, yours
    assert yours.rstrip().endswith(
        f"You get this copy as the administrator of {p.name} who removed {ben.name} from "
        f"{bens.name} and took their place there."), yours
    assert "\n\n\n" not in yours, yours
    _, theirs = mails[c["recipient"].lower()]
    assert theirs.startswith(f"Hello,\n\n{anna.name} of {p.name} removed {ben.name} from "
                             f"{bens.name}, where they were an administrator."), theirs
    assert (f"\n{ben.name} was the only owner of \"{pname}\" (project {pid}), so {anna.name} of "
            f"{p.name} became its owner in their place.\n") in theirs, theirs
    assert "took the place" not in theirs and "took their place" not in theirs, theirs
    assert theirs.rstrip().endswith("or as one of its notification recipients."), theirs
    assert "\n\n\n" not in theirs, theirs


# Round-23 walkthrough of seed 001, D1: the take-over made Anna the
# project's owner and the account's admin, yet Ben's pending project
# invitation there died unnamed (410 "ask the project's owners": Anna).

def test_the_take_over_moves_his_pending_project_invitations_too(
        api, sql, mailbox, invitation_mail, make_tenant, make_person, set_roles, colleague):
    """Ben alone owns a project in the customer he alone administers, and
    has invited Paula to it as a reader and Hugo to the account as
    billing. Anna's take-over makes her the sender of both (invited_by,
    usable, an invitation.sender row each, the project's with its
    project_id); her copy names both and where to find them, the
    recipient's says who sends them now; Paula gets no new mail, and her
    old link makes her the project's reader. Ben, another tenant and a
    member of the partner see nothing of it."""
    c = colleague
    anna, ben, p, bens = c["anna"], c["ben"], c["partner"], c["bens"]
    pname = S.unique("r23 Photovoltaik ")
    pid = S.expect(api(ben).post(f"/api/v1/accounts/{bens.id}/projects",
                                 json={"name": pname}), 201)["id"]
    paula = S.unique_mail("r23paula-")
    before = S.outbox_max_id(sql)
    pinv = S.expect(api(ben).post(f"/api/v1/projects/{pid}/invitations", json={
        "email": paula, "role": "reader", "first_name": "Paula", "last_name": "Paneel"}),
        202)["id"]
    _, paula_token = invitation_mail(paula, after=before)
    hugo = S.unique_mail("r23hugo-")
    hinv = S.expect(api(ben).post(f"/api/v1/accounts/{bens.id}/invitations",
                                  json={"email": hugo, "role": "billing"}), 202)["id"]
    remove_from_partner(api, sql, c)
    path = f"/api/v1/accounts/{bens.id}/members/{S.path_quote(ben.uid)}"
    other = make_tenant("r23x")
    S.expect_problem(api(other.admin).delete(path), 404, "not-found")
    member = make_person(prefix="r23pm", given="Fritz")
    set_roles("olivia", p.id, member, ["member"])
    S.expect_problem(api(member).delete(path), 404, "not-found")
    before = S.outbox_max_id(sql)
    audit_before = max(r["id"] for r in sql.audit(bens.id))
    S.expect(api(anna).delete(path), 204)

    items = S.expect(api(anna).get(f"/api/v1/projects/{pid}/invitations"), 200)["items"]
    assert [(i["id"], i["invited_by"], i["usable"]) for i in items] == [
        (pinv, anna.uid, True)], items
    assert "reason" not in items[0], items
    items = S.expect(api(anna).get(f"/api/v1/accounts/{bens.id}/invitations"), 200)["items"]
    assert [(i["id"], i["invited_by"]) for i in items if i["id"] == hinv] == [
        (hinv, anna.uid)], items
    rows = [r for r in sql.audit(bens.id) if r["id"] > audit_before]
    assert [r["action"] for r in rows] == [
        "member.remove", "member.add", "contact.set", "invitation.sender", "invitation.sender",
        "project.member.set", "project.member.remove"], rows
    assert rows[3]["old_value"] == {"invitation_id": int(hinv), "invited_by": ben.uid}, rows[3]
    moved = rows[4]
    assert moved["uid"] == anna.uid, moved
    assert moved["old_value"] == {"invitation_id": int(pinv), "invited_by": ben.uid,
                                  "project_id": int(pid)}, moved
    assert moved["new_value"]["invited_by"] == anna.uid, moved
    assert moved["new_value"]["project_id"] == int(pid), moved
    assert "took their place" in moved["new_value"]["reason"], moved

    mails = template_mails(sql, mailbox, bens.id, "removed-by-parent", before)
    assert set(mails) == {anna.mail.lower(), c["recipient"].lower()}, mails
    listed = (f"{hugo} as a billing person (invitation {hinv}), {paula} as a reader in project "
              f"\"{pname}\" (invitation {pinv})")
    _, mine = mails[anna.mail.lower()]
    assert (f"\nPending invitations you now send: {listed}. {ben.name} sent them; their links "
            "keep working, and as their sender you can resend or revoke any of them in the "
            "pending invitations of the account and of its projects.\n") in mine, mine
    assert (f"\nProjects you now own: \"{pname}\" (project {pid}).") in mine, mine
    assert "\n\n\n" not in mine, mine
    _, theirs = mails[c["recipient"].lower()]
    assert (f"\nThe invitations {ben.name} sent that are still pending, {listed}, come from "
            f"{anna.name} of {p.name} from now on: their links keep working.\n") in theirs, theirs
    # Nothing is sent to Paula: her link stays as it was.
    rows = S.wait_outbox_settled(sql, account_id=bens.id, after_id=before)
    assert not [x for x in rows if x["recipient"].lower() == paula.lower()], rows

    for who in (ben, other.admin, member):
        S.expect_problem(api(who).get(f"/api/v1/projects/{pid}/invitations"), 404)
        S.expect_problem(api(who).post(f"/api/v1/projects/{pid}/invitations/{pinv}/resend"),
                         404)
    # Paula's old link still works: she is the project's reader.
    uid = S.unique("r23paula")
    S.expect(S.accept_invitation(api, paula_token, uid=uid, password="pw-" + uid), 200)
    mine = S.expect(api(uid, password="pw-" + uid).get(f"/api/v1/accounts/{bens.id}/projects"),
                    200)["items"]
    assert [x["roles"] for x in mine if x["id"] == pid] == [["reader"]], mine


def test_a_take_over_with_only_a_project_invitation_names_the_projects_list(
        api, sql, mailbox, colleague):
    """One project invitation moved and no account invitation: Anna's copy
    says to find it in the project's pending invitations."""
    c = colleague
    anna, ben, bens = c["anna"], c["ben"], c["bens"]
    pname = S.unique("r23 Dach ")
    pid = S.expect(api(ben).post(f"/api/v1/accounts/{bens.id}/projects",
                                 json={"name": pname}), 201)["id"]
    paula = S.unique_mail("r23paula-")
    pinv = S.expect(api(ben).post(f"/api/v1/projects/{pid}/invitations",
                                  json={"email": paula, "role": "editor"}), 202)["id"]
    remove_from_partner(api, sql, c)
    before = S.outbox_max_id(sql)
    S.expect(api(anna).delete(f"/api/v1/accounts/{bens.id}/members/{S.path_quote(ben.uid)}"),
             204)
    mails = template_mails(sql, mailbox, bens.id, "removed-by-parent", before)
    _, mine = mails[anna.mail.lower()]
    assert (f"\nPending invitation you now send: {paula} as an editor in project \"{pname}\" "
            f"(invitation {pinv}). {ben.name} sent it; its link keeps working, and as its sender "
            "you can resend or revoke it in the project's pending invitations.\n") in mine, mine


def test_without_a_take_over_the_parent_admin_is_told_whom_to_ask_and_invitations_are_named(
        api, sql, mailbox, colleague):
    """In `shared` Clara is admin too (no take-over). Ben alone owns a
    project there and has invited Otto: Anna's DELETE is 409 last-owner
    naming Clara as whom to ask (not the PUT or the project's DELETE,
    both 403 for Anna), and nothing changes. Once Clara owns the project,
    Anna's DELETE is 204, and Clara's removed-by-parent names Otto's
    invitation, which no longer works, and what to do; its closing line
    has no take-over reason; Anna gets no copy."""
    c = colleague
    anna, ben, clara, p, shared = c["anna"], c["ben"], c["clara"], c["partner"], c["shared"]
    pname = S.unique("r22 Projekt ")
    pid = S.expect(api(ben).post(f"/api/v1/accounts/{shared.id}/projects",
                                 json={"name": pname}), 201)["id"]
    otto = S.unique_mail("r22otto-")
    inv = S.expect(api(ben).post(f"/api/v1/accounts/{shared.id}/invitations",
                                 json={"email": otto, "role": "member"}), 202)["id"]
    # ... and Paula to his project (round-23 walkthrough of seed 001, D1:
    # named too).
    paula = S.unique_mail("r23paula-")
    pinv = S.expect(api(ben).post(f"/api/v1/projects/{pid}/invitations",
                                  json={"email": paula, "role": "reader"}), 202)["id"]
    remove_from_partner(api, sql, c)
    path = f"/api/v1/accounts/{shared.id}/members/{S.path_quote(ben.uid)}"
    problem = S.expect_problem(api(anna).delete(path), 409, "last-owner")
    assert problem["detail"] == (
        f"that person is the only owner of \"{pname}\" (project {pid}): a project always keeps "
        "an owner, and removing them from the account takes their project roles too; ask an "
        f"administrator of {shared.name} ({clara.name}) to make someone else its owner (or to "
        "delete the project), then remove them"), problem
    members = S.expect(api(clara).get(f"/api/v1/accounts/{shared.id}/members"), 200)["items"]
    assert ben.uid in {m["uid"] for m in members}, members
    S.expect(api(clara).put(f"/api/v1/projects/{pid}/members/{S.path_quote(clara.uid)}",
                            json={"role": "owner"}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(anna).delete(path), 204)
    mails = template_mails(sql, mailbox, shared.id, "removed-by-parent", before)
    assert set(mails) == {clara.mail.lower()}, mails
    _, body = mails[clara.mail.lower()]
    assert (f"but none of its own people.\nThe invitations {ben.name} sent, {otto} as a member "
            f"(invitation {inv}), {paula} as a reader in project \"{pname}\" (invitation "
            f"{pinv}), no longer work: resend each from the pending invitations of the account "
            "and of its projects (you become its sender), or revoke it.\n\nIf") in body, body
    assert body.rstrip().endswith(
        f"You get this mail as a named contact of {shared.name}, as one of its administrators "
        "while it has no named contact, or as one of its notification recipients."), body
    assert "took the place" not in body and "You removed" not in body, body
    assert "\n\n\n" not in body, body
    items = S.expect(api(clara).get(f"/api/v1/accounts/{shared.id}/invitations"), 200)["items"]
    assert [i["usable"] for i in items if i["id"] == inv] == [False], items
    items = S.expect(api(clara).get(f"/api/v1/projects/{pid}/invitations"), 200)["items"]
    assert [(i["invited_by"], i["usable"]) for i in items if i["id"] == pinv] == [
        (ben.uid, False)], items


def test_a_member_who_alone_owns_a_project_names_the_admins_to_ask(
        api, sql, set_roles, colleague):
    """Review of round 22 (seed 001, D1): Ben, a member (no longer admin)
    of `shared`, which Clara administers, alone owns a project there. The
    parent's admin removing him gets 409 last-owner naming Clara as whom to
    ask, as for an admin (the names were read only when the person removed
    held admin), and nothing changes."""
    c = colleague
    anna, ben, clara, shared = c["anna"], c["ben"], c["clara"], c["shared"]
    pname = S.unique("r22m Projekt ")
    pid = S.expect(api(ben).post(f"/api/v1/accounts/{shared.id}/projects",
                                 json={"name": pname}), 201)["id"]
    set_roles(clara, shared.id, ben, ["member"])
    remove_from_partner(api, sql, c)
    path = f"/api/v1/accounts/{shared.id}/members/{S.path_quote(ben.uid)}"
    problem = S.expect_problem(api(anna).delete(path), 409, "last-owner")
    assert problem["detail"] == (
        f"that person is the only owner of \"{pname}\" (project {pid}): a project always keeps "
        "an owner, and removing them from the account takes their project roles too; ask an "
        f"administrator of {shared.name} ({clara.name}) to make someone else its owner (or to "
        "delete the project), then remove them"), problem
    members = S.expect(api(clara).get(f"/api/v1/accounts/{shared.id}/members"), 200)["items"]
    assert [m["roles"] for m in members if m["uid"] == ben.uid] == [["member"]], members


# Round-21 walkthrough of seed 001, D3: a person who leaves the partner by
# themselves is no reader of member-keeps-child-roles (their copy spoke of
# them in the third person); the partner's contacts still are.

def test_a_colleague_who_leaves_by_himself_is_not_mailed_about_himself(api, sql, mailbox,
                                                                       colleague):
    c = colleague
    anna, ben, p = c["anna"], c["ben"], c["partner"]
    before = S.outbox_max_id(sql)
    S.expect(api(ben).delete(f"/api/v1/accounts/{p.id}/members/{S.path_quote(ben.uid)}"), 204)
    mails = template_mails(sql, mailbox, p.id, "member-keeps-child-roles", before)
    assert set(mails) == {anna.mail.lower()}, mails
    _, body = mails[anna.mail.lower()]
    assert body.startswith(f"Hello {anna.name},\n\n{ben.name} left {p.name} (account {p.id}). "
                           f"That took none of the roles {ben.name} holds"), body


def test_the_repair_job_records_the_take_over_beside_other_changed_people(sql, make_tenant,
                                                                          make_person, set_roles):
    """A parent admin's take-over of the last admin's place, left open by a
    crash in a plan that changes more people than the caller (a second
    `also` entry), is finished by `accountd maint` with the caller's
    member.add row and the contact that moves to them: the repair found the
    caller as the plan's only `also` entry and skipped both otherwise
    (review of round 20, M1 item 7)."""
    t = make_tenant("r20to")
    gone = make_person(prefix="r20tg")
    other = make_person(prefix="r20to")
    set_roles(t.admin, t.account.id, gone, ["member"])
    set_roles(t.admin, t.account.id, other, ["member"])
    plan = {"kind": "set-roles", "account_id": int(t.account.id), "person_dn": gone.dn,
            "person_uid": gone.uid, "roles_before": ["member"], "roles_after": ["member"],
            "also": [{"dn": other.dn, "uid": other.uid, "roles_before": ["member"],
                      "roles_after": ["member"]},
                     {"dn": t.admin.dn, "uid": t.admin.uid, "roles_before": [],
                      "roles_after": ["admin"]}]}
    data = {"takes_over": {"from": gone.uid, "contacts": ["technical"], "by": t.admin.uid}}
    intent = S.plant_open_intent(sql, t.account.id, plan, data)
    binary = os.path.join(os.path.dirname(os.environ["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--config", os.environ["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"intent {intent} (set-roles, account {t.account.id}): finished" in run.stdout, run.stdout
    trail = sql.audit(t.account.id)
    took = [a for a in trail if a["action"] == "member.add" and a["new_value"]["uid"] == t.admin.uid
            and "took the place of" in a["new_value"].get("reason", "")]
    assert len(took) == 1 and took[0]["new_value"]["added"] == ["admin"], trail
    moved = [a for a in trail if a["action"] == "contact.set"
             and a["new_value"].get("reason", "").startswith("took the place of")]
    assert [(a["new_value"]["contact"], a["new_value"]["uid"]) for a in moved] == \
        [("technical", t.admin.uid)], trail
    assert sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='technical'",
                     int(t.account.id)) == t.admin.uid
