"""Failures of the directory: an LDAP write that fails half-way through
creating an account (the saga leaves nothing visible), and slapd stopped and
started again under a running accountd. conftest moves this file to the end
of the run; slapd is always started again, whatever happens."""

import pytest

import support as S
from conftest import company

ACCOUNTS = "/api/v1/accounts"


def next_account_id(sql, env):
    return sql.value("SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA=%s AND TABLE_NAME='accounts'", env["SQL_DATABASE"])


def test_failed_ldap_write_leaves_no_account(api, sql, env, ldap_admin, make_tenant):
    t = make_tenant()
    next_id = str(next_account_id(sql, env))
    squatter = S.account_dn(next_id)
    ok = ldap_admin.add(squatter, ["organizationalUnit"], {"ou": next_id, "description": "it squatter"})
    assert ok, f"could not pre-create {squatter}: {ldap_admin.result}"
    try:
        before = S.ldap_entry(ldap_admin, squatter)
        name = S.unique("it-saga-")
        body = {"kind": "customer", "name": name, "parent_id": t.account.id, "company": company(name)}
        r = api(t.admin).post(ACCOUNTS, json=body)
        assert r.status_code == 409 or r.status_code >= 500, \
            f"the LDAP side could not be written, yet: {S.describe(r)}"
        S.expect_problem(r, r.status_code)
        assert "Location" not in r.headers

        # Nothing done and visible in SQL, nothing visible through the API.
        row = sql.account(next_id)
        assert row is None, f"the SQL row of the failed create was left behind: {row}"
        assert not sql.rows("SELECT id FROM accounts WHERE name=%s AND ldap_state='done'", name)
        s = api(t.admin)
        S.expect_problem(s.get(f"{ACCOUNTS}/{next_id}"), 404, "not-found")
        me = S.expect(s.get("/api/v1/me"), 200)
        assert next_id not in {a["id"] for a in me["accounts"]}
        listed = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id}), 200)
        assert next_id not in {i["id"] for i in listed["items"]}
        assert name not in {i["name"] for i in listed["items"]}

        # The entry that was in the way is untouched: no role groups below it.
        assert S.ldap_entry(ldap_admin, squatter) == before
        assert S.ldap_children(ldap_admin, squatter) == set()

        # And the next creation works.
        r = s.post(ACCOUNTS, json={**body, "name": name + "-again"})
        S.expect(r, 201)
        assert S.location_id(r) != next_id
    finally:
        for child in S.ldap_children(ldap_admin, squatter) or ():
            ldap_admin.delete(child)
        ldap_admin.delete(squatter)


@pytest.fixture(scope="module")
def outage(env, dev, api, sql, make_tenant, operator_id):
    """Stop slapd (after making everything the tests need), start it again
    at the end whatever happened. outage.start() starts it early."""
    t = make_tenant()

    class Outage:
        tenant = t
        running = True

        def stop(self):
            self.running = False
            dev("slapd-stop")

        def start(self):
            if not self.running:
                dev("slapd-start")
                self.running = True

    o = Outage()
    try:
        o.stop()
        yield o
    finally:
        o.start()


def test_me_is_503_while_slapd_is_down(api, outage):
    s = api(outage.tenant.admin)
    r = S.poll(lambda: s.get("/api/v1/me"), lambda r: r.status_code == 503, 5)
    S.assert_unavailable(r)


def test_ready_is_503_while_slapd_is_down(anon, outage):
    r = S.poll(lambda: anon.get("/api/v1/ready"), lambda r: r.status_code == 503, 5)
    assert r.status_code == 503, S.describe(r)
    assert r.headers.get("Retry-After", "").isdigit(), S.describe(r)


def test_health_stays_200_while_slapd_is_down(anon, outage):
    S.expect(anon.get("/api/v1/health"), 200)


def test_auth_endpoint_is_503_while_slapd_is_down(api, outage):
    s = api(outage.tenant.admin)
    r = S.poll(lambda: s.get("/api/v1/auth"), lambda r: r.status_code == 503, 5)
    S.assert_unavailable(r)
    assert "X-Accountd-User" not in r.headers


def test_create_is_503_and_writes_nothing_while_slapd_is_down(api, sql, outage):
    t = outage.tenant
    name = S.unique("it-down-")
    total = sql.count_accounts()
    r = api(t.admin).post(ACCOUNTS, json={"kind": "customer", "name": name, "parent_id": t.account.id,
                                         "company": company(name)})
    S.assert_unavailable(r)
    assert sql.count_accounts() == total
    assert sql.count_accounts(name=name) == 0


def test_service_recovers_when_slapd_is_back(api, outage, make_person, make_account):
    s = api(outage.tenant.admin)
    outage.start()
    r = S.poll(lambda: s.get("/api/v1/me"), lambda r: r.status_code == 200, 10)
    body = S.expect(r, 200)
    assert body["uid"] == outage.tenant.admin.uid
    assert outage.tenant.account.id in {a["id"] for a in body["accounts"]}
    # Readiness, writes and fresh sign-ins work again without restarting accountd.
    S.expect(api(None).get("/api/v1/ready"), 200)
    acc = make_account(outage.tenant.admin, "customer", outage.tenant.account.id)
    assert S.expect(s.get(f"{ACCOUNTS}/{acc.id}"), 200)["members"][0]["uid"] == outage.tenant.admin.uid
    p = make_person()
    S.expect(api(p).get("/api/v1/me"), 200)
