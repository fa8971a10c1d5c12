"""Identity: HTTP Basic checked by accountd in the API request (nginx passes
ACCOUNTD_AUTH=basic), /api/v1/auth, /api/v1/me, and that nothing a client
sends but its Basic credentials decides who the caller is (test_edge.py has
the guessing throttle across addresses and the strict header parsing)."""
import base64
import os

import support as S

SPOOF_HEADERS = {
    "Remote-User": "olivia",
    "X-Remote-User": "olivia",
    "X-Accountd-User": "olivia",
    "X-Forwarded-User": "olivia",
}


def assert_unauthenticated(r):
    S.expect_problem(r, 401, "unauthenticated")
    assert_basic_challenge(r)


def assert_basic_challenge(r):
    """docs/api.md: `WWW-Authenticate: Basic realm="accountd"`; RFC 7617
    allows a charset parameter next to the realm. Exactly one challenge."""
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.startswith('Basic realm="accountd"'), S.describe(r)
    assert challenge.lower().count("basic") == 1, S.describe(r)
    rest = challenge[len('Basic realm="accountd"'):]
    assert rest in ("", ', charset="UTF-8"'), S.describe(r)


def test_me_of_operator_admin(api, person, operator_id):
    olivia = person("olivia")
    body = S.expect(api("olivia").get("/api/v1/me"), 200)
    assert body["uid"] == "olivia"
    assert body["name"] == olivia.name
    assert body["mail"] == olivia.mail
    mine = {a["id"]: a for a in body["accounts"]}
    assert mine[operator_id]["kind"] == "operator"
    assert "admin" in mine[operator_id]["roles"]
    assert isinstance(mine[operator_id]["name"], str) and mine[operator_id]["name"]


def test_me_of_a_fresh_person_has_no_accounts(api, make_person):
    p = make_person()
    body = S.expect(api(p).get("/api/v1/me"), 200)
    assert body["uid"] == p.uid
    assert body["name"] == p.name
    assert body["mail"] == p.mail
    assert body["accounts"] == []


def test_me_lists_accounts_with_their_roles(api, make_tenant, make_person, set_roles):
    t = make_tenant()
    p = make_person()
    set_roles(t.admin, t.account.id, p, ["billing", "member"])
    body = S.expect(api(p).get("/api/v1/me"), 200)
    assert [a["id"] for a in body["accounts"]] == [t.account.id]
    entry = body["accounts"][0]
    assert entry["name"] == t.account.name
    assert entry["kind"] == "partner"
    assert sorted(entry["roles"]) == ["billing", "member"]


def test_no_credentials_is_401_with_challenge(anon):
    assert_unauthenticated(anon.get("/api/v1/me"))


def test_wrong_password_is_401(api, make_person):
    p = make_person()
    assert_unauthenticated(api(p, password=p.password + "x").get("/api/v1/me"))


def test_empty_password_is_401(api, make_person):
    p = make_person()
    assert_unauthenticated(api(p, password="").get("/api/v1/me"))


def test_unknown_user_is_401(api):
    assert_unauthenticated(api(S.unique("nobody"), password="whatever").get("/api/v1/me"))


def test_filter_characters_in_user_name_are_401(api):
    # '*' would match every person if the filter value were not escaped.
    assert_unauthenticated(api("*", password=os.environ.get("DEMO_PASSWORD", "x")).get("/api/v1/me"))


def test_auth_endpoint_checks_basic_and_names_the_user(api, make_person):
    p = make_person()
    r = api(p).get("/api/v1/auth")
    S.expect(r, 200)
    assert r.headers.get("X-Accountd-User") == p.uid, S.describe(r)


def test_auth_endpoint_rejects_a_wrong_password(api, make_person):
    p = make_person()
    r = api(p, password="not-" + p.password).get("/api/v1/auth")
    assert r.status_code == 401, S.describe(r)
    assert_basic_challenge(r)
    assert "X-Accountd-User" not in r.headers, S.describe(r)


def test_auth_endpoint_ignores_client_identity_headers(api):
    r = api("eve").get("/api/v1/auth", headers=SPOOF_HEADERS)
    S.expect(r, 200)
    assert r.headers.get("X-Accountd-User") == "eve", S.describe(r)


def test_identity_headers_without_basic_are_401(anon):
    assert_unauthenticated(anon.get("/api/v1/me", headers=SPOOF_HEADERS))


def test_identity_headers_with_bad_basic_are_401(api):
    assert_unauthenticated(api("eve", password="wrong-password").get("/api/v1/me", headers=SPOOF_HEADERS))


def test_identity_headers_do_not_override_basic(api):
    body = S.expect(api("eve").get("/api/v1/me", headers=SPOOF_HEADERS), 200)
    assert body["uid"] == "eve"
    assert all(a["kind"] != "operator" for a in body["accounts"]), body


def test_identity_headers_do_not_grant_access(api, operator_id):
    # eve has no role anywhere: the operator account is not hers to see.
    r = api("eve").get(f"/api/v1/accounts/{operator_id}", headers=SPOOF_HEADERS)
    S.expect_problem(r, 404, "not-found")


def test_passwords_never_reach_the_log(api, make_person):
    p = make_person()
    wrong = "wrong-" + p.password[3:]
    S.expect(api(p).get("/api/v1/me"), 200)
    assert api(p, password=wrong).get("/api/v1/me").status_code == 401
    S.expect(api(p).get("/api/v1/auth"), 200)
    log_path = os.environ.get("ACCOUNTD_LOG")
    assert log_path and os.path.exists(log_path), f"ACCOUNTD_LOG {log_path!r} missing"
    with open(log_path, "rb") as f:
        log = f.read()
    assert log.strip(), "accountd's log is empty: nothing to check"
    for secret in (p.password, wrong):
        assert secret.encode() not in log
        assert base64.b64encode(f"{p.uid}:{secret}".encode()) not in log


def test_changed_password_ends_cached_sign_ins_at_once(api, make_person, ldap_admin):
    """accountd keeps a successful Basic check (auth_cache_ttl), but only
    while the person's entry is unchanged in the directory cache: a password
    an LDAP administrator replaces is refused as soon as the change arrives
    (within 100 ms), in every worker thread, and the new one works at once."""
    import ldap3
    S.wait_for_directory_cache()
    p = make_person()
    old = api(p)
    # Checked (and cached) by several threads.
    for _ in range(8):
        S.expect(old.get("/api/v1/auth"), 200)
        S.expect(old.get("/api/v1/me"), 200)
    new_password = "pw-new-" + p.uid
    ok = ldap_admin.modify(p.dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [new_password])]})
    assert ok, ldap_admin.result
    # The change reaches accountd through the sync session, within
    # milliseconds; 100 ms is the bound the design sets for every LDAP change
    # (on a loaded machine the very first request may beat the stream).
    import time
    time.sleep(0.1)
    # Few tries, so the guessing throttle (10 failures) stays out of it.
    statuses = [old.get(path).status_code for path in ("/api/v1/auth", "/api/v1/me") * 3]
    assert statuses == [401] * 6, f"the old password still works: {statuses}"
    S.expect(api(p, password=new_password).get("/api/v1/me"), 200)


def test_wrong_password_is_never_cached_as_right(api, make_person):
    p = make_person()
    S.expect(api(p).get("/api/v1/auth"), 200)
    for _ in range(3):
        assert api(p, password=p.password + "x").get("/api/v1/auth").status_code == 401


def test_password_guessing_is_throttled(api, make_person):
    """After auth_max_failures (10) failed checks for one user from one
    address, that user is refused with 429 and Retry-After, without an LDAP
    bind, even with the right password; other people are not affected."""
    p, other = make_person(), make_person()
    guesser = api(p, password="guess-" + p.password)
    for _ in range(10):
        assert guesser.get("/api/v1/auth").status_code == 401
    r = guesser.get("/api/v1/auth")
    S.expect_problem(r, 429, "too-many-attempts")
    assert r.headers.get("Retry-After", "").isdigit(), S.describe(r)
    # In the API request, with the right password: still refused.
    r = api(p).get("/api/v1/me")
    S.expect_problem(r, 429, "too-many-attempts")
    assert int(r.headers.get("Retry-After", "0")) > 0, S.describe(r)
    S.expect(api(other).get("/api/v1/me"), 200)


def test_password_guessing_is_throttled_per_person(api, make_person):
    """LDAP matches the uid ignoring case and leading, trailing and repeated
    spaces, so every such spelling is the same person and shares one budget:
    10 failures spread over spellings make the right password 429, for any
    spelling and through nginx; another person is not affected."""
    p, other = make_person(), make_person()
    spaced = " " + p.uid + " "
    # The premise: these spellings sign in as p.
    for name in (p.uid.upper(), spaced):
        S.expect(api(name, password=p.password).get("/api/v1/auth"), 200)
    for name, times in ((p.uid, 4), (p.uid.upper(), 3), (spaced, 3)):
        guesser = api(name, password="guess-" + p.password)
        for _ in range(times):
            r = guesser.get("/api/v1/auth")
            assert r.status_code == 401, S.describe(r)
    for name in (p.uid, p.uid.capitalize(), "  " + p.uid.upper()):
        r = api(name, password=p.password).get("/api/v1/auth")
        S.expect_problem(r, 429, "too-many-attempts")
        assert r.headers.get("Retry-After", "").isdigit(), S.describe(r)
    r = api(p).get("/api/v1/me")
    S.expect_problem(r, 429, "too-many-attempts")
    assert int(r.headers.get("Retry-After", "0")) > 0, S.describe(r)
    S.expect(api(other).get("/api/v1/me"), 200)
    S.expect(api(other.uid.upper(), password=other.password).get("/api/v1/auth"), 200)
