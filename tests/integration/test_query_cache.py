"""MariaDB's query cache under accountd's hot reads (sql/accountd-mariadb.cnf,
src/sql_store.h, docs/operations.md): the reads on every request's path are
answered from the server's cache when repeated, a write by anyone (here an
SQL client, as an operator or `accountd maint` would) is seen by the very
next read, and a service provider's access still ends at its expires_at
although the read that carries it comes from the cache (accountd compares
the time itself, not the cached statement)."""
import time

import support as S

ACCOUNTS = "/api/v1/accounts"


def hits(sql):
    return int(sql.row("SHOW GLOBAL STATUS LIKE 'Qcache_hits'")["Value"])


def test_the_stack_runs_mariadb_with_the_query_cache_on_demand(sql):
    assert sql.value("SELECT @@GLOBAL.query_cache_type") == "DEMAND"
    assert int(sql.value("SELECT @@GLOBAL.query_cache_size")) >= 16 * 1024 * 1024


def test_hot_reads_are_served_from_the_query_cache(api, sql, make_tenant, make_account):
    """Each hot read, repeated, is answered from the cache: five more reads,
    at least five more hits. A statement that turned nondeterministic (e.g.
    CURRENT_TIMESTAMP in it) or lost its SQL_CACHE makes none."""
    t = make_tenant("qc")
    child = make_account(t.admin, "customer", t.account.id)
    reads = {
        "overview": f"{ACCOUNTS}/{child.id}",
        "/me": "/api/v1/me",
        "members": f"{ACCOUNTS}/{child.id}/members",
        "partner page": f"{ACCOUNTS}?parent_id={t.account.id}&limit=50&sort=name",
    }
    session = api(t.admin)
    for name, path in reads.items():
        S.expect(session.get(path), 200)  # the first read fills the cache
        before = hits(sql)
        for _ in range(5):
            S.expect(session.get(path), 200)
        assert hits(sql) - before >= 5, f"{name}: {path} was not answered from the query cache"


def test_a_write_by_another_client_is_seen_by_the_next_read(api, sql, make_tenant, make_account):
    """Cached reads, then an UPDATE from an SQL client: the overview, /me and
    the partner page answer the new name at once."""
    t = make_tenant("qcw")
    child = make_account(t.admin, "customer", t.account.id)
    session = api(t.admin)
    overview = f"{ACCOUNTS}/{child.id}"
    page = f"{ACCOUNTS}?parent_id={t.account.id}&limit=50&sort=name"
    for _ in range(2):
        for path in (overview, "/api/v1/me", page):
            S.expect(session.get(path), 200)
    renamed = S.unique("qcw-renamed-")
    sql.rows("UPDATE accounts SET name = %s WHERE id = %s", renamed, int(child.id))
    assert S.expect(session.get(overview), 200)["name"] == renamed
    mine = {a["id"]: a["name"] for a in S.expect(session.get("/api/v1/me"), 200)["accounts"]}
    assert mine[child.id] == renamed, mine
    listed = {a["id"]: a["name"] for a in S.expect(session.get(page), 200)["items"]}
    assert listed[child.id] == renamed, listed


def test_a_service_provider_role_ends_at_its_expiry_on_cached_reads(api, sql, make_tenant,
                                                                      make_account, make_person,
                                                                      set_roles):
    """Access that ends 3 s from now: counted and listed before (the reads
    then repeat from the cache), refused and no longer listed after, while
    /me's read still comes from the cache."""
    t = make_tenant("qcsp")
    acc = make_account(t.admin, "customer", t.account.id)
    sp = make_person(prefix="qcsp")
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    sql.rows("INSERT INTO service_provider_access (account_id, uid, granted_by, expires_at)"
             " VALUES (%s, %s, 'test', CURRENT_TIMESTAMP(6) + INTERVAL 3 SECOND)"
             " ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)", int(acc.id), sp.uid)
    ends = float(sql.value("SELECT UNIX_TIMESTAMP(expires_at) FROM service_provider_access"
                           " WHERE account_id = %s AND uid = %s", int(acc.id), sp.uid))
    session = api(sp)
    for _ in range(2):
        mine = {a["id"]: a["roles"] for a in S.expect(session.get("/api/v1/me"), 200)["accounts"]}
        assert mine.get(acc.id) == ["service-provider"], mine
        S.expect(session.get(f"{ACCOUNTS}/{acc.id}"), 200)
    # Wait for the end of the access by MariaDB's clock (the same machine's).
    while float(sql.value("SELECT UNIX_TIMESTAMP(CURRENT_TIMESTAMP(6))")) <= ends + 0.05:
        time.sleep(0.1)
    before = hits(sql)
    mine = {a["id"]: a["roles"] for a in S.expect(session.get("/api/v1/me"), 200)["accounts"]}
    assert acc.id not in mine, mine
    assert hits(sql) > before, "/me's read did not come from the query cache"
    S.expect_problem(session.get(f"{ACCOUNTS}/{acc.id}"), 404)
    S.expect_problem(session.patch(f"{ACCOUNTS}/{acc.id}", json={"name": "x"}), 404)
