"""The directory cache's fallback where slapd offers no sync (issue 8): the
test slapd without its syncprov overlay. accountd's sync search is refused,
`accountd_directory_cache_ttl_mode` says so, and callers' identities (person
and roles read from LDAP) are kept for identity_cache_ttl seconds in one
cache shared by all worker threads: a change made in LDAP counts within
that time for every thread alike, accountd's own writes at once.

The fixture takes syncprov out of the running stack (slapd stopped, the
overlay's entry moved out of slapd.d, slapd started: the test slapd's
cn=config cannot be written online) and puts it back at the end, whatever
happened; accountd is not restarted: its sync thread finds the refusal by
itself, asks again every ldap_sync_retry seconds, and goes live once
syncprov is back (the last test). Each test asks for the mode it needs, so
they pass in any order and leave the normal stack to the tests after them.
conftest moves this file to the end of the run with the other tests that
stop slapd."""
import os
import re
import shutil
import threading
import time

import ldap3
import pytest
from ldap3.utils.hashed import hashed

import support as S

# More concurrent connections than accountd has worker threads (4 in the
# test stack), so the requests spread over all of them.
CONNECTIONS = 8
# A margin for "after the TTL" that covers nothing but the clocks' grain:
# the TTL runs on accountd's CLOCK_MONOTONIC, which time.monotonic() reads.
MARGIN = 0.05


def conf_int(key, default):
    """An integer key of the test stack's accountd.conf (the last one wins)."""
    value = default
    with open(os.environ["ACCOUNTD_CONF"]) as f:
        for line in f:
            m = re.match(r"\s*" + re.escape(key) + r"\s*=\s*(\d+)\s*$", line)
            if m:
                value = int(m.group(1))
    return value


IDENTITY_TTL = conf_int("identity_cache_ttl", 2)
AUTH_TTL = conf_int("auth_cache_ttl", 10)
SYNC_RETRY = conf_int("ldap_sync_retry", 60)


def log_size():
    return os.path.getsize(os.environ["ACCOUNTD_LOG"])


def cache_log_lines(since):
    """accountd's 'directory cache: ...' log lines written after byte since."""
    with open(os.environ["ACCOUNTD_LOG"], "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return [line for line in text.splitlines() if "directory cache: " in line]


class Syncprov:
    """Takes the syncprov overlay out of the stack's slapd and puts it back,
    slapd stopped meanwhile (by ./dev, through its pid file)."""

    def __init__(self, dev, state):
        self.dev = dev
        config = os.path.join(state, "slapd.d", "cn=config")
        mdb = [d for d in os.listdir(config) if d.startswith("olcDatabase=") and d.endswith("mdb")]
        assert len(mdb) == 1, f"one mdb database expected in {config}: {mdb}"
        self.database = os.path.join(config, mdb[0])
        self.aside = os.path.join(state, "syncprov-aside")

    @staticmethod
    def overlays(where):
        if not os.path.isdir(where):
            return []
        return [f for f in os.listdir(where)
                if f.startswith("olcOverlay=") and f.endswith("syncprov.ldif")]

    def _move(self, src, dst):
        files = self.overlays(src)
        if not files:
            return
        self.dev("slapd-stop")
        try:
            os.makedirs(dst, exist_ok=True)
            for f in files:
                shutil.move(os.path.join(src, f), os.path.join(dst, f))
        finally:
            self.dev("slapd-start")

    def remove(self):
        self._move(self.database, self.aside)
        assert not self.overlays(self.database)

    def restore(self):
        self._move(self.aside, self.database)
        assert self.overlays(self.database), f"no syncprov overlay in {self.database}"


@pytest.fixture(scope="module")
def syncprov(env, dev):
    sp = Syncprov(dev, env["ACCOUNTD_STATE"])
    assert sp.overlays(sp.database) or sp.overlays(sp.aside), "the test slapd has no syncprov"
    try:
        yield sp
    finally:
        sp.restore()
        # accountd finds the sync session again by itself (tested below);
        # should it not, a restart leaves the normal stack to later tests.
        if not S.wait_until(lambda: S.metric("accountd_directory_cache_live") == 1,
                            SYNC_RETRY + 20, 0.2):
            dev("accountd-stop")
            dev("accountd-start")
            S.wait_for_directory_cache()


@pytest.fixture
def no_sync(syncprov):
    """The stack's slapd without syncprov, accountd in the TTL mode."""
    syncprov.remove()
    assert S.wait_until(lambda: S.metric("accountd_directory_cache_ttl_mode") == 1, 20, 0.1), \
        "accountd did not notice that slapd offers no syncprov"
    return syncprov


def watch(person, path, changed_at, deadline, new):
    """GET path as person from CONNECTIONS connections at once, each every
    0.1 s, from now until deadline, or until a while after the TTL has
    passed since changed_at once a request has answered `new`: a list of
    (start, end, status) in start order."""
    results = []
    lock = threading.Lock()
    bound = changed_at + IDENTITY_TTL + MARGIN

    def run():
        s = S.Api(auth=(person.uid, person.password))
        try:
            while True:
                start = time.monotonic()
                with lock:
                    seen = any(st == new for _, _, st in results)
                if start > deadline or (start > bound + 0.3 and seen):
                    break
                r = s.get(path)
                with lock:
                    results.append((start, time.monotonic(), r.status_code))
                time.sleep(0.1)
        finally:
            s.close()

    threads = [threading.Thread(target=run) for _ in range(CONNECTIONS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sorted(results)


def burst(person, path, n=50):
    """n GETs of path as person over 10 connections at once: the statuses."""
    statuses = []
    lock = threading.Lock()

    def run(k):
        s = S.Api(auth=(person.uid, person.password))
        try:
            for _ in range(k, n, 10):
                code = s.get(path).status_code
                with lock:
                    statuses.append(code)
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return statuses


def check_change(results, warmed_at, changed_at, old, new):
    """What a change made in LDAP looks like in the TTL mode, as watch()
    saw it: `old` (the cached answer) or `new` (LDAP's) and nothing else;
    the cached answer for every thread until the TTL of the entry read
    before the change has passed (one cache for all threads), `new` for
    every request that starts once the TTL has passed since the change,
    and never `old` again once one request has answered `new` (no request
    is in flight while the change is made, so no older answer read from
    LDAP can be stored after a newer one)."""
    rel = [(round(a - changed_at, 3), round(b - changed_at, 3), st) for a, b, st in results]
    assert {st for _, _, st in results} <= {old, new}, f"unexpected statuses: {rel}"
    # The entry read by the warming request (it started at warmed_at) is
    # kept until warmed_at + TTL at least: every request that ended before
    # then was answered from it, whichever thread served it.
    cached = [st for _, end, st in results if end < warmed_at + IDENTITY_TTL]
    assert len(cached) >= CONNECTIONS // 2, \
        f"too few requests within the TTL of the cached entry to tell anything: {rel}"
    assert all(st == old for st in cached), \
        f"within the TTL a thread answered from LDAP instead of the shared cache: {rel}"
    firsts = [end for _, end, st in results if st == new]
    assert firsts, f"the change made in LDAP never counted: {rel}"
    assert not [r for r in results if r[2] == old and r[0] > min(firsts)], \
        f"the old answer again after the new one: threads disagree: {rel}"
    late = [r for r in rel if r[0] > IDENTITY_TTL + MARGIN and r[2] != new]
    assert not late, f"the old answer more than identity_cache_ttl after the change: {late}"


def ldap_member(ldap_admin, account_id, role, dn, add):
    op = ldap3.MODIFY_ADD if add else ldap3.MODIFY_DELETE
    ok = ldap_admin.modify(S.role_dn(account_id, role), {"member": [(op, [dn])]})
    assert ok, f"LDAP modify of {role} in {account_id}: {ldap_admin.result}"


def test_without_syncprov_accountd_says_so_and_answers_with_the_right_roles(
        no_sync, api, make_tenant, make_person, set_roles, operator_id):
    assert S.metric("accountd_directory_cache_live") == 0
    assert S.metric("accountd_directory_cache_ttl_mode") == 1
    with open(os.environ["ACCOUNTD_LOG"], "rb") as f:
        assert b"directory cache: no syncprov on the server" in f.read()

    t = make_tenant()
    p = make_person()
    set_roles(t.admin, t.account.id, p, ["billing"])
    s = api(p)
    path = f"/api/v1/accounts/{t.account.id}"
    body = S.expect(s.get("/api/v1/me"), 200)
    assert {a["id"]: a["roles"] for a in body["accounts"]} == {t.account.id: ["billing"]}
    S.expect(s.get(path), 200)
    S.expect_problem(s.patch(path, json={"name": S.unique("it-ttl-")}), 403, "forbidden")
    S.expect(api(t.admin).patch(path, json={"name": S.unique("it-ttl-")}), 200)
    S.expect_problem(api(make_person()).get(path), 404, "not-found")
    S.expect_problem(api(None).get(path), 401)
    me = S.expect(api("olivia").get("/api/v1/me"), 200)
    assert "admin" in {a["id"]: a["roles"] for a in me["accounts"]}[operator_id]

    # accountd's own LDAP writes end every kept identity at once: the very
    # next request counts the new roles (p's identity is kept right now).
    set_roles(t.admin, t.account.id, p, ["admin"])
    S.expect(s.patch(path, json={"name": S.unique("it-ttl-")}), 200)
    set_roles(t.admin, t.account.id, p, ["member"])
    S.expect_problem(s.patch(path, json={"name": S.unique("it-ttl-")}), 403, "forbidden")
    body = S.expect(s.get("/api/v1/me"), 200)
    assert {a["id"]: a["roles"] for a in body["accounts"]} == {t.account.id: ["member"]}


def test_role_added_in_ldap_counts_within_the_ttl_in_every_thread(
        no_sync, api, make_tenant, make_person, ldap_admin):
    t = make_tenant()
    p = make_person()
    path = f"/api/v1/accounts/{t.account.id}"
    warmed_at = time.monotonic()
    S.expect_problem(api(p).get(path), 404, "not-found")

    ldap_member(ldap_admin, t.account.id, "member", p.dn, True)
    changed_at = time.monotonic()
    results = watch(p, path, changed_at, changed_at + 3 * IDENTITY_TTL, 200)
    check_change(results, warmed_at, changed_at, 404, 200)
    assert burst(p, path) == [200] * 50
    body = S.expect(api(p).get("/api/v1/me"), 200)
    assert {a["id"]: a["roles"] for a in body["accounts"]} == {t.account.id: ["member"]}


def test_role_removed_in_ldap_stops_counting_within_the_ttl_in_every_thread(
        no_sync, api, make_tenant, make_person, set_roles, ldap_admin):
    t = make_tenant()
    p = make_person()
    set_roles(t.admin, t.account.id, p, ["member"])
    path = f"/api/v1/accounts/{t.account.id}"
    warmed_at = time.monotonic()
    S.expect(api(p).get(path), 200)

    ldap_member(ldap_admin, t.account.id, "member", p.dn, False)
    changed_at = time.monotonic()
    results = watch(p, path, changed_at, changed_at + 3 * IDENTITY_TTL, 404)
    check_change(results, warmed_at, changed_at, 200, 404)
    assert burst(p, path) == [404] * 50
    assert S.expect(api(p).get("/api/v1/me"), 200)["accounts"] == []


def test_password_replaced_in_ldap_stops_working_within_auth_cache_ttl(
        no_sync, api, make_person, ldap_admin):
    p = make_person()
    # Every thread checks the password once (and keeps the check).
    assert burst(p, "/api/v1/me", n=20) == [200] * 20
    new = "pw-new-" + S.unique()
    ok = ldap_admin.modify(p.dn, {"userPassword": [
        (ldap3.MODIFY_REPLACE, [hashed(ldap3.HASHED_SALTED_SHA, new)])]})
    assert ok, ldap_admin.result
    changed_at = time.monotonic()
    time.sleep(max(0.0, changed_at + AUTH_TTL + MARGIN - time.monotonic()))
    # A few tries only: failed checks count towards the guessing limit.
    old = [api(p).get("/api/v1/me") for _ in range(4)]
    for r in old:
        S.expect_problem(r, 401)
    assert S.expect(api(p, password=new).get("/api/v1/me"), 200)["uid"] == p.uid
    S.PASSWORDS[p.uid] = new


def test_member_count_counts_the_people_the_members_list_shows_without_the_cache(
        no_sync, api, make_tenant, make_account, make_person, ldap_admin):
    """Round-18 walkthrough of seed 001, D4, read from LDAP (no directory
    cache): member values that name no person count for nothing, so
    member_count equals the members list."""
    t = make_tenant()
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    no_people, cleanup = S.add_no_people(ldap_admin)
    real = make_person()
    try:
        ok = ldap_admin.modify(S.role_dn(child.id, "member"),
                               {"member": [(ldap3.MODIFY_ADD, no_people + [real.dn])]})
        assert ok, ldap_admin.result
        assert S.member_count_and_list(s, t.account.id, child.id) == (2, sorted([t.admin.uid, real.uid]))
    finally:
        cleanup(child.id, "member")


def test_refused_sync_requests_leave_the_ttl_mode_alone(no_sync, api, make_person):
    """The thread asks for a sync session again every ldap_sync_retry
    seconds; while slapd refuses, nothing changes: no state logged again,
    the mode stays and the shared identities are kept."""
    since = log_size()
    asked = S.metric("accountd_directory_cache_sync_requests_total")
    assert S.wait_until(
        lambda: S.metric("accountd_directory_cache_sync_requests_total") >= asked + 2,
        3 * SYNC_RETRY + 10, 0.2), "the sync thread did not ask slapd again"
    assert S.metric("accountd_directory_cache_ttl_mode") == 1
    assert cache_log_lines(since) == [], "the directory cache changed its state on a refusal"
    p = make_person()
    assert S.expect(api(p).get("/api/v1/me"), 200)["uid"] == p.uid


def test_sync_session_comes_back_with_syncprov_without_restarting_accountd(
        no_sync, api, make_tenant, make_person, ldap_admin):
    t = make_tenant()
    p = make_person()
    path = f"/api/v1/accounts/{t.account.id}"
    refreshes = S.metric("accountd_directory_cache_refreshes_total")
    pid = open(os.path.join(os.environ["ACCOUNTD_STATE"], "accountd.pid")).read().strip()

    no_sync.restore()
    assert S.wait_until(lambda: S.metric("accountd_directory_cache_live") == 1,
                        SYNC_RETRY + 20, 0.1), \
        "the directory cache did not go live once syncprov was back"
    assert S.metric("accountd_directory_cache_ttl_mode") == 0
    assert S.metric("accountd_directory_cache_refreshes_total") > refreshes
    assert open(os.path.join(os.environ["ACCOUNTD_STATE"], "accountd.pid")).read().strip() == pid
    # The session follows LDAP again: a change counts within 100 ms.
    S.expect_problem(api(p).get(path), 404, "not-found")
    ldap_member(ldap_admin, t.account.id, "member", p.dn, True)
    time.sleep(0.1)
    S.expect(api(p).get(path), 200)
