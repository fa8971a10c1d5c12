"""`accountd maint`, the repair job: an account whose creation died between
MariaDB and LDAP (row still 'pending', maybe some LDAP entries) is undone
once it is older than --min-age; a recent one is left alone."""
import os
import subprocess

import support as S


def accountd_binary(env):
    path = os.path.join(os.path.dirname(os.environ["ACCOUNTD_MAILER"]), "accountd")
    assert os.access(path, os.X_OK), path
    return path


def half_created(sql, ldap_admin, operator_id, age_seconds, name):
    """A row as accountd writes it before the LDAP step, plus the account
    entry and its admin group, as if accountd died right after them."""
    sql.rows("INSERT INTO accounts (kind, parent_id, name, status, created_by, ldap_state,"
                " created_at) VALUES ('customer', %s, %s, 'active', 'olivia', 'pending',"
                " CURRENT_TIMESTAMP(6) - INTERVAL %s SECOND)", operator_id, name, age_seconds)
    acc_id = str(sql.value("SELECT id FROM accounts WHERE name=%s", name))
    assert ldap_admin.add(S.account_dn(acc_id), ["organizationalUnit"], {"ou": acc_id})
    assert ldap_admin.add(S.role_dn(acc_id, "admin"), ["accountdRoleGroup"],
                          {"cn": "admin", "accountdAccountId": acc_id})
    return acc_id


def test_maint_removes_old_half_created_accounts_only(env, sql, ldap_admin, operator_id, api):
    old = half_created(sql, ldap_admin, operator_id, 3600, S.unique("it-maint-old-"))
    new = half_created(sql, ldap_admin, operator_id, 0, S.unique("it-maint-new-"))
    try:
        # Invisible through the API while pending.
        S.expect_problem(api("olivia").get(f"/api/v1/accounts/{old}"), 404, "not-found")
        run = subprocess.run([accountd_binary(env), "maint", "--min-age", "600", "--config",
                              os.environ["ACCOUNTD_CONF"]], capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0, run.stderr
        assert f"removed the half-created account {old}" in run.stdout, run.stdout
        assert sql.account(old) is None
        assert S.ldap_entry(ldap_admin, S.account_dn(old)) is None
        assert S.ldap_entry(ldap_admin, S.role_dn(old, "admin")) is None
        # Younger than --min-age: maybe still being created; untouched.
        assert sql.account(new)["ldap_state"] == "pending"
        assert S.ldap_entry(ldap_admin, S.account_dn(new)) is not None
    finally:
        for acc in (old, new):
            ldap_admin.delete(S.role_dn(acc, "admin"))
            ldap_admin.delete(S.account_dn(acc))
            sql.rows("DELETE FROM accounts WHERE id=%s AND ldap_state='pending'", acc)


def test_maint_removes_old_half_created_projects_only(env, sql, ldap_admin, api, make_tenant):
    """A project whose create died between its row and its LDAP groups
    keeps its name taken until the repair job removes groups and row; a
    recent one may still be being created and is left alone."""
    t = make_tenant("maint-prj")
    path = f"/api/v1/accounts/{t.account.id}/projects"
    old_name, new_name = S.unique("old-"), S.unique("new-")
    old = S.expect(api(t.admin).post(path, json={"name": old_name}), 201)["id"]
    new = S.expect(api(t.admin).post(path, json={"name": new_name}), 201)["id"]
    # As if accountd died before marking them done.
    sql.rows("UPDATE projects SET ldap_state='pending', created_at=CURRENT_TIMESTAMP(6) - INTERVAL 1 HOUR"
             " WHERE id=%s", int(old))
    sql.rows("UPDATE projects SET ldap_state='pending' WHERE id=%s", int(new))
    S.expect_problem(api(t.admin).post(path, json={"name": old_name}), 409)
    run = subprocess.run([accountd_binary(env), "maint", "--min-age", "600", "--config",
                          os.environ["ACCOUNTD_CONF"]], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"removed the half-created project {old} of account {t.account.id}" in run.stdout, run.stdout
    assert sql.row("SELECT id FROM projects WHERE id=%s", int(old)) is None
    assert S.ldap_entry(ldap_admin, S.project_dn(t.account.id, old)) is None
    assert S.ldap_entry(ldap_admin, S.project_dn(t.account.id, old, "owner")) is None
    # The recent one: untouched, row and groups.
    assert sql.value("SELECT ldap_state FROM projects WHERE id=%s", int(new)) == "pending"
    assert S.ldap_entry(ldap_admin, S.project_dn(t.account.id, new, "owner")) is not None
    # The name is free again.
    S.expect(api(t.admin).post(path, json={"name": old_name}), 201)


def run_maint(env):
    run = subprocess.run([accountd_binary(env), "maint", "--min-age", "600", "--config",
                          os.environ["ACCOUNTD_CONF"]], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, (run.stdout, run.stderr)
    return run.stdout


def adminless_lines(stdout, account_id):
    return [line for line in stdout.splitlines()
            if line.startswith(f"account {account_id} (") and "has no admin in the directory" in line]


def audit_actions(sql, account_id, *actions):
    return [(a["uid"], a["action"]) for a in sql.audit(account_id) if a["action"] in actions]


def test_maint_reports_accounts_an_ldap_administrator_left_without_an_admin(env, sql, ldap_admin,
                                                                           api, make_tenant,
                                                                           make_account):
    """Round-12 walkthrough of seed 003, D4: an LDAP administrator removed
    an account's only admin with ldapmodify (the API refuses that) and
    nothing noticed. Every maint run prints a line for each account that is
    not closed and has no admin in the directory; the first run that finds
    it writes one audit row (account.adminless), the first that finds an
    admin again another (account.admin_restored); a closed account is not
    reported."""
    import ldap3
    t = make_tenant("maint-adm")
    acc = make_account(t.admin, "customer", t.account.id)
    closed = make_account(t.admin, "customer", t.account.id)
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{closed.id}"), 204)
    stdout = run_maint(env)
    assert adminless_lines(stdout, acc.id) == [], stdout
    for a in (acc, closed):
        assert ldap_admin.modify(S.role_dn(a.id, "admin"),
                                 {"member": [(ldap3.MODIFY_DELETE, [t.admin.dn])]}), ldap_admin.result
    try:
        stdout = run_maint(env)
        lines = adminless_lines(stdout, acc.id)
        assert len(lines) == 1 and f"({acc.name})" in lines[0], stdout
        assert f"/api/v1/accounts/{acc.id}/invitations" in lines[0], lines
        assert adminless_lines(stdout, closed.id) == [], stdout
        assert any(line.startswith("maint: ") and "account(s) without an admin" in line
                   for line in stdout.splitlines()), stdout
        assert audit_actions(sql, acc.id, "account.adminless") == [("accountd-maint", "account.adminless")]
        assert audit_actions(sql, closed.id, "account.adminless") == []
        # The next run reports it again, since when, and writes no second row.
        stdout = run_maint(env)
        lines = adminless_lines(stdout, acc.id)
        assert len(lines) == 1 and " since 20" in lines[0], stdout
        assert audit_actions(sql, acc.id, "account.adminless") == [("accountd-maint", "account.adminless")]
    finally:
        assert ldap_admin.modify(S.role_dn(acc.id, "admin"),
                                 {"member": [(ldap3.MODIFY_ADD, [t.admin.dn])]}), ldap_admin.result
    # An admin again: said once, audited once, then quiet.
    stdout = run_maint(env)
    assert adminless_lines(stdout, acc.id) == [], stdout
    assert f"account {acc.id} has an admin again (1)" in stdout, stdout
    restored = [a for a in sql.audit(acc.id) if a["action"] == "account.admin_restored"]
    assert len(restored) == 1 and restored[0]["uid"] == "accountd-maint", restored
    assert restored[0]["new_value"] == {"admins": 1} and restored[0]["old_value"]["admins"] == 0, restored
    stdout = run_maint(env)
    assert f"account {acc.id} has an admin again" not in stdout, stdout
    assert audit_actions(sql, acc.id, "account.adminless", "account.admin_restored") == [
        ("accountd-maint", "account.adminless"), ("accountd-maint", "account.admin_restored")]
