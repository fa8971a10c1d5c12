"""MariaDB stopped and started again under a running accountd: every
request that needs it answers 503 with Retry-After (never a hang or a
crash), and accountd reconnects by itself once MariaDB is back. conftest
moves this file to the end of the run; MariaDB is always started again."""
import time

import pytest

import support as S


@pytest.fixture(scope="module")
def sql_outage(dev, make_tenant):
    t = make_tenant("sqlout")
    dev("mariadb-stop")
    try:
        yield t
    finally:
        dev("mariadb-start")


def test_me_is_503_while_mariadb_is_down(api, sql_outage):
    started = time.monotonic()
    r = S.poll(lambda: api(sql_outage.admin).get("/api/v1/me"), lambda r: r.status_code == 503, 10)
    S.assert_unavailable(r)
    assert time.monotonic() - started < 10


def test_ready_is_503_and_health_200_while_mariadb_is_down(anon, sql_outage):
    S.assert_unavailable(anon.get("/api/v1/ready"))
    assert anon.get("/api/v1/health").status_code == 200


def test_create_is_503_while_mariadb_is_down(api, sql_outage):
    t = sql_outage
    r = api(t.admin).post("/api/v1/accounts", json={
        "kind": "customer", "name": S.unique("it-sqlout-"), "parent_id": t.account.id})
    S.assert_unavailable(r)


def test_service_recovers_when_mariadb_is_back(api, dev, sql, sql_outage):
    dev("mariadb-start")
    t = sql_outage
    r = S.poll(lambda: api(t.admin).get("/api/v1/me"), lambda r: r.status_code == 200, 20)
    me = S.expect(r, 200)
    assert t.account.id in {a["id"] for a in me["accounts"]}
    # Writes work again on the re-opened connections (no restart of accountd).
    name = S.unique("it-sqlback-")
    r = api(t.admin).post("/api/v1/accounts", json={
        "kind": "customer", "name": name, "parent_id": t.account.id})
    created = S.expect(r, 201)
    assert sql.rows("SELECT id FROM accounts WHERE id=%s AND ldap_state='done'", created["id"])
