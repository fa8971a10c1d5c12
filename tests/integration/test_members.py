"""People and roles of an account: the LDAP role groups behind
GET/PUT/DELETE /api/v1/accounts/{id}/members/{uid}, changes made directly in
LDAP, who may change whom, the last admin, and escaping of uids."""
import os

import ldap3
import pytest

import support as S




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
