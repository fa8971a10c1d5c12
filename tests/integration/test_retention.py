"""A closed account's end (DESIGN: "closed (kept until retention ends)",
maint "purges data past retention"; docs/operations.md "Closed accounts"):
`accountd maint` purges an account closed account_retention_days ago (365
by default): its LDAP entry with every role group and project below it,
its contacts, recipients, property values, service-provider access and
projects; pending invitations are revoked. The row, the bookkeeping and
the audit trail stay. A younger closed account and an open one are left
alone."""
import os
import subprocess

import support as S

ACCOUNTS = "/api/v1/accounts"


def run_maint(env):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--config", env["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"maint: {run.stdout} {run.stderr}"
    return run.stdout


def closed_days_ago(sql, account_id, days):
    sql.rows("UPDATE accounts SET closed_at = CURRENT_TIMESTAMP(6) - INTERVAL %s DAY WHERE id=%s",
             days, int(account_id))


def test_a_closed_account_past_its_retention_is_purged(env, api, sql, ldap_admin, make_tenant,
                                                        make_account, make_person, set_roles):
    t = make_tenant("ret")
    # The partner defines a property its customers carry.
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{t.account.id}/property-definitions",
                               json={"key": "region", "label": "Region", "type": "text"}), 201)
    old = make_account(t.admin, "customer", t.account.id)
    young = make_account(t.admin, "customer", t.account.id)
    member = make_person(prefix="rm")
    set_roles(t.admin, old.id, member, ["member"])
    base = f"{ACCOUNTS}/{old.id}"
    S.expect(api(t.admin).put(f"{base}/contacts/primary", json={"uid": t.admin.uid}), 200)
    S.expect(api(t.admin).put(f"{base}/notification-recipients",
                              json={"emails": [S.unique_mail("ret-")]}), 200)
    S.expect(api(t.admin).patch(base, json={"properties": {"region": "Nord"}}), 200)
    project = S.expect(api(t.admin).post(f"{base}/projects", json={"name": "P"}), 201)
    invited = S.expect(api(t.admin).post(f"{base}/invitations",
                                         json={"email": S.unique_mail("ret-inv-"),
                                               "role": "member"}), 202)
    order = S.expect(api(t.admin).post(f"{base}/orders", json={"lines": [
        {"article": "starter", "quantity": 1}]}), 201)
    sid = S.expect(api(t.admin).post(f"/api/v1/orders/{order['id']}/execute"),
                   200)["subscription"]["id"]
    # An account closes once its subscriptions have ended (docs/api.md):
    # cancelled, and its term over as accountd maint would end it.
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    sql.rows("UPDATE subscriptions SET status='cancelled', ended_at=ends_at,"
             " ended_reason='cancelled' WHERE id=%s", int(sid))
    for acc in (old, young):
        S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    closed_days_ago(sql, old.id, 366)
    closed_days_ago(sql, young.id, 300)

    out = run_maint(env)
    assert f"purged the closed account {old.id}\n" in out, out
    assert f"purged the closed account {young.id}\n" not in out, out

    # LDAP: the account's entry, its role groups and its project are gone.
    assert S.ldap_entry(ldap_admin, S.account_dn(old.id)) is None
    assert S.ldap_entry(ldap_admin, S.role_dn(old.id, "admin")) is None
    assert S.ldap_entry(ldap_admin, S.project_dn(old.id, project["id"], "owner")) is None
    # MariaDB: access and personal data gone, the bookkeeping kept.
    oid = int(old.id)
    for table in ("account_contacts", "notification_recipients", "account_property_values",
                  "projects", "service_provider_access"):
        assert sql.value(f"SELECT COUNT(*) FROM {table} WHERE account_id=%s", oid) == 0, table
    assert sql.value("SELECT status FROM invitations WHERE id=%s", int(invited["id"])) == "revoked"
    row = sql.account(old.id)
    assert row["status"] == "closed" and row["purged_at"] is not None, row
    assert sql.value("SELECT COUNT(*) FROM invoices WHERE account_id=%s", oid) >= 1
    assert sql.value("SELECT COUNT(*) FROM subscriptions WHERE account_id=%s", oid) == 1
    purge = [a for a in sql.audit(old.id) if a["action"] == "account.purge"]
    assert len(purge) == 1 and purge[0]["uid"] == "accountd-maint", purge
    removed = purge[0]["new_value"]["removed"]
    assert removed["contacts"] == 1 and removed["notification_recipients"] == 1, removed
    assert removed["property_values"] == 1 and removed["projects"] == 1, removed
    # The close revoked the pending invitation already (round 6): the purge
    # finds none left.
    assert removed["invitations_revoked"] == 0, removed
    assert [a["action"] for a in sql.audit(old.id)].count("account.close") == 1

    # Nobody has a role in it any more: its member no longer finds it, its
    # admin (the partner's admin too) is no member of it any more; neither
    # has it in /me. The operator still reads the row.
    # (LDAP's change reaches accountd's directory cache through the sync
    # session, within 100 ms: polled, not assumed.)
    S.expect_problem(S.poll(lambda: api(member).get(base), lambda r: r.status_code == 404, 5), 404)
    S.expect_problem(api(t.admin).get(base), 403)
    for who in (t.admin, member):
        assert old.id not in [a["id"] for a in S.expect(api(who).get("/api/v1/me"), 200)["accounts"]]
    assert S.expect(api("olivia").get(base), 200)["status"] == "closed"

    # The younger closed account and the open partner: untouched.
    assert sql.account(young.id)["purged_at"] is None
    assert S.ldap_entry(ldap_admin, S.role_dn(young.id, "admin")) is not None
    assert S.ldap_entry(ldap_admin, S.account_dn(t.account.id)) is not None
    assert S.expect(api(t.admin).get(f"{ACCOUNTS}/{young.id}"), 200)["status"] == "closed"

    # A second run does nothing twice.
    out = run_maint(env)
    assert f"purged the closed account {old.id}\n" not in out, out
    assert [a["action"] for a in sql.audit(old.id)].count("account.purge") == 1


def test_an_active_account_is_never_purged(env, api, sql, ldap_admin, make_tenant, make_account):
    t = make_tenant("ret-open")
    acc = make_account(t.admin, "customer", t.account.id)
    # Even with an old closed_at left behind, only status closed counts.
    closed_days_ago(sql, acc.id, 1000)
    out = run_maint(env)
    assert f"purged the closed account {acc.id}\n" not in out, out
    assert sql.account(acc.id)["purged_at"] is None
    assert S.ldap_entry(ldap_admin, S.role_dn(acc.id, "admin")) is not None


def test_the_overview_says_when_it_was_closed_and_until_when_it_is_kept(api, sql, make_tenant,
                                                                      make_account):
    """Round-8 walkthrough of seed 002, D3: a closed account's page showed
    only `status: closed`; now closed_at and kept_until (closed_at plus
    account_retention_days, 365 here)."""
    import datetime
    t = make_tenant("retshow")
    acc = make_account(t.admin, "customer", t.account.id)
    open_view = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}"), 200)
    assert open_view["closed_at"] is None and open_view["kept_until"] is None, open_view
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    view = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}"), 200)
    stored = sql.value("SELECT DATE_FORMAT(closed_at, '%%Y-%%m-%%dT%%H:%%i:%%sZ') FROM accounts"
                       " WHERE id=%s", int(acc.id))
    assert view["status"] == "closed" and view["closed_at"] == stored, (view, stored)
    closed = datetime.datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ")
    until = datetime.datetime.strptime(view["kept_until"], "%Y-%m-%dT%H:%M:%SZ")
    assert until - closed == datetime.timedelta(days=365), view
