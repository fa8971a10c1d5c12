"""Role rules applied everywhere (issue 7, defect 8), and the account's
guard that serialises changes now that no SQL row lock is held across an
LDAP call (defect 2)."""
import os
import subprocess
import threading

import pytest

import support as S

ACCOUNTS = "/api/v1/accounts"


def accountd_maint(env):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--min-age", "0", "--config", env["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.fixture
def handed_over(make_tenant, make_person, set_roles):
    """A tenant with a service provider next to its admin."""
    t = make_tenant("rules")
    sp = make_person(prefix="sp")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    return t, sp


# ---------------------------------------------------------------- invitations

@pytest.mark.parametrize("action", ["revoke", "resend"])
def test_service_provider_cannot_touch_an_admin_invitation(api, sql, invite, handed_over, action):
    t, sp = handed_over
    inv = invite(t.admin, t.account.id, S.unique_mail(), "admin")
    path = f"{ACCOUNTS}/{t.account.id}/invitations/{inv['id']}"
    before = S.invitation_row(sql, inv["id"])
    r = api(sp).delete(path) if action == "revoke" else api(sp).post(path + "/resend")
    S.expect_problem(r, 403, "forbidden")
    after = S.invitation_row(sql, inv["id"])
    assert after["status"] == "pending"
    assert after["token_hash"] == before["token_hash"] and after["expires_at"] == before["expires_at"]
    # An admin may.
    r = api(t.admin).delete(path) if action == "revoke" else api(t.admin).post(path + "/resend")
    assert r.status_code in (202, 204), S.describe(r)


@pytest.mark.parametrize("action", ["revoke", "resend"])
def test_service_provider_may_touch_a_member_invitation(api, sql, invite, handed_over, action):
    t, sp = handed_over
    inv = invite(sp, t.account.id, S.unique_mail(), "member")
    path = f"{ACCOUNTS}/{t.account.id}/invitations/{inv['id']}"
    r = api(sp).delete(path) if action == "revoke" else api(sp).post(path + "/resend")
    assert r.status_code == (204 if action == "revoke" else 202), S.describe(r)
    if action == "revoke":
        assert S.invitation_row(sql, inv["id"])["status"] == "revoked"


# ---------------------------------------------------------------- Idempotency-Key replay

def create_with_key(api, who, parent, key):
    """The same request each time for one key (a replay is the same body;
    another body with the key is 422)."""
    name = f"it-idem-{key}"
    return api(who).post(ACCOUNTS, headers={"Idempotency-Key": key},
                         json={"kind": "customer", "name": name, "parent_id": parent})


def test_replay_after_removal_gives_no_account(api, make_tenant, make_person, set_roles):
    t = make_tenant("rules")
    creator = make_person(prefix="cr")
    set_roles(t.admin, t.account.id, creator, ["admin"])
    key = S.unique("key-")
    first = S.expect(create_with_key(api, creator, t.account.id, key), 201)
    acc = first["id"]
    # The tenant's admin (also an admin of the child, as admin of the
    # parent who enters it) removes the creator from the new account.
    other = make_person(prefix="ot")
    set_roles(creator, acc, other, ["admin"])
    S.expect(api(other).delete(f"{ACCOUNTS}/{acc}/members/{creator.uid}"), 204)
    r = create_with_key(api, creator, t.account.id, key)
    assert r.status_code in (403, 404), S.describe(r)
    assert "members" not in r.text and other.mail not in r.text, S.describe(r)
    assert "Location" not in r.headers


def test_replay_of_a_closed_account_is_409(api, make_tenant):
    t = make_tenant("rules")
    key = S.unique("key-")
    acc = S.expect(create_with_key(api, t.admin, t.account.id, key), 201)["id"]
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc}"), 204)
    r = create_with_key(api, t.admin, t.account.id, key)
    S.expect_problem(r, 409, "conflict")
    assert "members" not in r.text


def test_replay_while_still_a_member_answers_the_account(api, make_tenant):
    t = make_tenant("rules")
    key = S.unique("key-")
    first = S.expect(create_with_key(api, t.admin, t.account.id, key), 201)
    again = S.expect(create_with_key(api, t.admin, t.account.id, key), 201)
    assert again["id"] == first["id"]


# ---------------------------------------------------------------- contacts are admins

@pytest.fixture
def with_contact(api, make_tenant, make_person, set_roles):
    t = make_tenant("rules")
    c = make_person(prefix="ct")
    set_roles(t.admin, t.account.id, c, ["admin"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{t.account.id}/contacts/technical", json={"uid": c.uid}), 200)
    return t, c


def test_demoting_a_contact_is_409(api, ldap_admin, sql, with_contact):
    t, c = with_contact
    path = f"{ACCOUNTS}/{t.account.id}/members/{c.uid}"
    S.expect_problem(api(t.admin).put(path, json={"roles": ["member"]}), 409, "contact-admin")
    S.expect_problem(api(t.admin).delete(path), 409, "contact-admin")
    assert S.roles_in_ldap(ldap_admin, t.account.id, c) == {"admin"}
    assert sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='technical'",
                     int(t.account.id)) == c.uid
    # Keeping admin (and adding a role) is fine; so is demoting once
    # another admin is the contact.
    S.expect(api(t.admin).put(path, json={"roles": ["admin", "billing"]}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{t.account.id}/contacts/technical",
                              json={"uid": t.admin.uid}), 200)
    S.expect(api(t.admin).put(path, json={"roles": ["member"]}), 200)
    assert S.roles_in_ldap(ldap_admin, t.account.id, c) == {"member"}


def test_a_contact_leaving_or_demoting_themselves_is_spoken_to(api, ldap_admin, sql, make_tenant,
                                                              make_person, set_roles):
    """Round-18 walkthrough of seed 004, D3: Anna, the technical contact,
    leaving read "that person is the account's technical contact …"; the
    texts next to it speak to the caller. Her own DELETE and PUT say "you
    are …" and what to do in which order; another admin removing her
    still reads "that person is …". A member may not (403), another
    tenant 404; nothing changes."""
    t = make_tenant("rules")
    anna, mia = make_person(prefix="cta"), make_person(prefix="ctm")
    set_roles(t.admin, t.account.id, anna, ["admin"])
    set_roles(t.admin, t.account.id, mia, ["member"])
    path = f"{ACCOUNTS}/{t.account.id}/members/{anna.uid}"
    for kind in ("technical", "primary"):
        S.expect(api(t.admin).put(f"{ACCOUNTS}/{t.account.id}/contacts/{kind}",
                                  json={"uid": anna.uid}), 200)
        if kind == "primary":
            S.expect(api(t.admin).put(f"{ACCOUNTS}/{t.account.id}/contacts/technical",
                                      json={"uid": t.admin.uid}), 200)
        mine = f"you are the account's {kind} contact, who must be an admin; name another" \
               f" administrator {kind} contact first, then "
        p = S.expect_problem(api(anna).delete(path), 409, "contact-admin")
        assert p["detail"] == mine + "leave", p
        p = S.expect_problem(api(anna).put(path, json={"roles": ["member"]}), 409, "contact-admin")
        assert p["detail"] == mine + "change your role", p
        p = S.expect_problem(api(t.admin).delete(path), 409, "contact-admin")
        assert p["detail"] == (f"that person is the account's {kind} contact, who must be an"
                               " admin; name another contact first"), p
        S.expect_problem(api(mia).delete(path), 403, "forbidden")
        S.expect_problem(api(make_tenant("rulesx").admin).delete(path), 404)
        assert S.roles_in_ldap(ldap_admin, t.account.id, anna) == {"admin"}
        assert sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind=%s",
                         int(t.account.id), kind) == anna.uid
    # Named another contact first, then she leaves.
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{t.account.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    S.expect(api(anna).delete(path), 204)
    assert S.roles_in_ldap(ldap_admin, t.account.id, anna) == set()


def test_contact_must_be_an_admin(api, make_tenant, make_person, set_roles):
    t = make_tenant("rules")
    m = make_person(prefix="cm")
    set_roles(t.admin, t.account.id, m, ["member"])
    r = api(t.admin).put(f"{ACCOUNTS}/{t.account.id}/contacts/primary", json={"uid": m.uid})
    S.expect_field_errors(r, "uid")


# ---------------------------------------------------------------- the guard

def test_two_admins_removing_each_other_keep_one_admin(api, ldap_admin, make_tenant, make_account,
                                                       make_person, set_roles):
    t = make_tenant("rules")
    for _ in range(3):
        # A customer whose only admins are its creator and b.
        acc = make_account(t.admin, "customer", t.account.id)
        b = make_person(prefix="ab")
        set_roles(t.admin, acc.id, b, ["admin"])
        results = {}

        def remove(by, whom):
            results[by.uid] = api(by).delete(f"{ACCOUNTS}/{acc.id}/members/{whom.uid}")

        threads = [threading.Thread(target=remove, args=(t.admin, b)),
                   threading.Thread(target=remove, args=(b, t.admin))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        codes = sorted(r.status_code for r in results.values())
        admins = S.group_members(ldap_admin, acc.id, "admin")
        assert len(admins) == 1, (codes, admins)
        assert codes.count(204) == 1, codes
        for r in results.values():
            assert r.status_code in (204, 403, 404, 409), S.describe(r)


def test_a_change_left_open_blocks_the_account_until_the_repair_job(env, api, sql, make_tenant,
                                                                    make_person, set_roles):
    """An intent a crash left open keeps the account's guard: a role change
    waits a moment, then gets 409 change-in-progress; `accountd maint`
    undoes the open intent (it recorded no plan: nothing reached LDAP), says
    so in the audit trail, and the change goes through."""
    t = make_tenant("rules")
    m = make_person(prefix="gm")
    set_roles(t.admin, t.account.id, m, ["member"])
    sql.rows("INSERT INTO ldap_intents (account_id, kind, actor) VALUES (%s, 'set-roles', 'crashed')",
             int(t.account.id))
    intent = sql.value("SELECT MAX(id) AS id FROM ldap_intents WHERE account_id=%s", int(t.account.id))
    sql.rows("UPDATE accounts SET intent_id=%s WHERE id=%s", intent, int(t.account.id))
    path = f"{ACCOUNTS}/{t.account.id}/members/{m.uid}"
    S.expect_problem(api(t.admin).put(path, json={"roles": ["billing"]}), 409, "change-in-progress")
    out = accountd_maint(env)
    assert f"intent {intent} (set-roles, account {t.account.id}): undone" in out, out
    assert sql.value("SELECT state FROM ldap_intents WHERE id=%s", intent) == "undone"
    trail = [a for a in sql.audit(t.account.id) if a["action"] == "repair.undo"]
    assert len(trail) == 1 and trail[0]["old_value"]["intent_id"] == intent, trail
    S.expect(api(t.admin).put(path, json={"roles": ["billing"]}), 200)


def test_every_change_closes_its_intent(api, sql, make_tenant, make_person, set_roles):
    t = make_tenant("rules")
    m = make_person(prefix="im")
    set_roles(t.admin, t.account.id, m, ["member"])
    rows = sql.rows("SELECT kind, state, plan FROM ldap_intents WHERE account_id=%s ORDER BY id",
                    int(t.account.id))
    kinds = [(r["kind"], r["state"]) for r in rows]
    assert ("add-member", "done") in kinds and ("set-roles", "done") in kinds, kinds
    assert all(r["state"] != "open" for r in rows), rows
    assert sql.account(t.account.id)["intent_id"] is None
