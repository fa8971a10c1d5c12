"""The directory cache's sync session across a slapd restart: while slapd
is down nothing is answered from the cache (503, never a stale role), and
once slapd is back the session refreshes by itself, without restarting
accountd, and follows LDAP changes again. conftest moves this file to the
end of the run; slapd is always started again."""
import time

import ldap3

import support as S


def test_sync_session_comes_back_after_slapd_restarts(api, dev, make_tenant, make_person,
                                                      set_roles, ldap_admin):
    S.wait_for_directory_cache()
    t = make_tenant()
    p = make_person()
    set_roles(t.admin, t.account.id, p, ["billing"])
    path = f"/api/v1/accounts/{t.account.id}"
    s = api(p)
    S.expect(s.get(path), 200)
    refreshes = S.metric("accountd_directory_cache_refreshes_total")

    dev("slapd-stop")
    try:
        assert S.wait_until(lambda: S.metric("accountd_directory_cache_live") == 0, 5, 0.05), \
            "the cache still says live while slapd is down"
        r = s.get(path)
        S.assert_unavailable(r)
    finally:
        dev("slapd-start")

    assert S.wait_until(
        lambda: S.metric("accountd_directory_cache_refreshes_total") > refreshes
        and S.metric("accountd_directory_cache_live") == 1, 20, 0.1), \
        "the sync session did not come back after slapd restarted"
    # The roles are still right ...
    body = S.expect(s.get("/api/v1/me"), 200)
    assert {a["id"]: a["roles"] for a in body["accounts"]} == {t.account.id: ["billing"]}
    S.expect_problem(s.patch(path, json={"name": S.unique("it-sync-")}), 403, "forbidden")
    # ... and an LDAP change counts again within 100 ms: the session follows.
    ok = ldap_admin.modify(S.role_dn(t.account.id, "admin"), {"member": [(ldap3.MODIFY_ADD, [p.dn])]})
    assert ok, ldap_admin.result
    time.sleep(0.1)
    S.expect(s.patch(path, json={"name": S.unique("it-sync-")}), 200)
