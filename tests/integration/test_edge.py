"""The request edge (issues 7, 8 and 11): accountd checks HTTP Basic itself
in the API request (no auth_request subrequest), strictly; the guessing
throttle counts per person across client addresses (the address nginx
reports after real_ip; the test stack trusts X-Forwarded-For from
loopback); a cross-site unsafe request is refused before any login
challenge; nginx's own errors are problem+json; another location of the
site uses accountd's /api/v1/auth through auth_request."""
import base64
import os
import socket
import threading
import time
import uuid

import pytest

import support as S
from test_sso import SSO_URL, SsoApi

URL = S.URL


def log_size():
    return os.path.getsize(os.environ["ACCOUNTD_LOG"])


def log_since(offset):
    with open(os.environ["ACCOUNTD_LOG"], "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def from_address(addr):
    """Headers of a client that the trusted proxy reports as addr."""
    return {"X-Forwarded-For": addr}


def assert_challenge(r):
    assert r.headers.get("WWW-Authenticate", "").startswith('Basic realm="accountd"'), S.describe(r)


def raw_request(data, port=None):
    """Sends bytes to nginx as they are; returns (status, headers, body)."""
    host, p = URL.split("//")[1].split(":")
    with socket.create_connection((host, int(port or p)), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return status, headers, body


# ------------------------------------------------- one round trip (issue 8)

def test_an_api_call_is_one_fastcgi_request(api, make_person):
    """Before: every authenticated call first went to /api/v1/auth through
    nginx's auth_request (a second FastCGI request, logged by accountd)."""
    p = make_person()
    s = api(p)
    before = log_size()
    for _ in range(3):
        S.expect(s.get("/api/v1/me"), 200)
    lines = [l for l in log_since(before).splitlines() if "rid=" in l and "path=" in l]
    mine = [l for l in lines if f"uid={p.uid}" in l]
    assert len([l for l in mine if 'path="/api/v1/me"' in l]) == 3, lines
    assert not [l for l in lines if 'path="/api/v1/auth"' in l], lines


def nginx_error_log():
    path = os.path.join(os.environ["ACCOUNTD_STATE"], "nginx", "logs", "error.log")
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def test_a_body_refused_unread_never_costs_the_answer(anon, api, make_person):
    """accountd closes its FastCGI connection without libfcgi's lingering
    wait once it has read everything nginx sent (src/server.c). A request
    refused before its body is read (no credentials; over body_limit) has
    the rest of its body read first: nginx always gets the whole answer,
    never a reset that it would turn into 503."""
    p = make_person()
    before = len(nginx_error_log())
    unread = b'{"name": "' + b"x" * 600_000 + b'"}'
    over_limit = b'{"name": "' + b"x" * 1_200_000 + b'"}'
    json_type = {"Content-Type": "application/json"}
    for _ in range(5):
        r = anon.post("/api/v1/accounts", data=unread, headers=json_type)
        S.expect_problem(r, 401, "unauthenticated")
        r = api(p).post("/api/v1/accounts", data=over_limit, headers=json_type)
        S.expect_problem(r, 413, "payload-too-large")
        S.expect(api(p).get("/api/v1/me"), 200)
    new = nginx_error_log()[before:]
    assert "upstream" not in new and "reset" not in new and "Broken pipe" not in new, new


def test_the_caller_is_checked_in_the_api_request(api, make_person, make_tenant):
    t = make_tenant()
    body = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}"), 200)
    assert body["id"] == t.account.id
    r = api(t.admin, password="x" + t.admin.password).get(f"/api/v1/accounts/{t.account.id}")
    S.expect_problem(r, 401, "unauthenticated")
    assert_challenge(r)


def test_remote_user_cannot_be_set_by_a_client(anon, api):
    """REMOTE_USER and ACCOUNTD_AUTH are FastCGI parameters nginx sets; a
    client's headers of those names arrive as HTTP_* and change nothing."""
    headers = {"Remote-User": "olivia", "Accountd-Auth": "sso", "X-SSO-User": "olivia",
               "Remote_User": "olivia"}
    r = anon.get("/api/v1/me", headers=headers)
    S.expect_problem(r, 401, "unauthenticated")
    body = S.expect(api("eve").get("/api/v1/me", headers=headers), 200)
    assert body["uid"] == "eve"


# ------------------------------------------- strict Basic (issue 7, 9th)

@pytest.mark.parametrize("suffix", ["=garbage", "==", "=", "=YWJj", " extra"])
def test_anything_after_valid_basic_credentials_is_refused(anon, make_person, suffix):
    """Before: `Basic <valid>=<anything>` signed in."""
    p = make_person()
    good = basic(p.uid, p.password)
    S.expect(anon.get("/api/v1/me", headers={"Authorization": good}), 200)
    bad = good + suffix
    for path in ("/api/v1/me", "/api/v1/auth"):
        r = anon.get(path, headers={"Authorization": bad})
        S.expect_problem(r, 401, "unauthenticated")
        assert "X-Accountd-User" not in r.headers


def test_base64url_credentials_are_refused(anon, make_person):
    p = make_person()
    raw = f"{p.uid}:{p.password}?>".encode()
    std = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    assert std != url, "the premise: the two alphabets differ for this text"
    assert anon.get("/api/v1/auth", headers={"Authorization": "Basic " + std}).status_code == 401
    r = anon.get("/api/v1/auth", headers={"Authorization": "Basic " + url})
    S.expect_problem(r, 401, "unauthenticated")


# ------------------------------------------ guessing (issue 7, 7th defect)

def guess_until_throttled(api, name, password, addresses, limit=40):
    """Wrong passwords for name, each from the next address, until one is
    refused with 429; returns that answer and how many were tried."""
    for i in range(limit):
        r = api(name, password=password).get("/api/v1/auth",
                                             headers=from_address(addresses[i % len(addresses)]))
        if r.status_code == 429:
            return r, i
        assert r.status_code == 401, S.describe(r)
    pytest.fail(f"no 429 after {limit} wrong passwords for {name}")


def addresses(n):
    """n client addresses, IPv4 and rotating IPv6 alike."""
    out = []
    for i in range(n):
        out.append(f"2001:db8:{uuid.uuid4().hex[:4]}::{i + 1:x}" if i % 2 else f"198.51.100.{i % 250 + 1}")
    return out


def test_guesses_on_one_person_are_slowed_from_any_number_of_addresses(api, make_person):
    """Before: the budget was per (name, address): rotating addresses gave
    unlimited guesses. Now every address counts toward the person's one
    budget: past auth_max_failures (10) a guess waits, and is answered 429
    with a short Retry-After, without an LDAP bind."""
    p = make_person()
    r, tried = guess_until_throttled(api, p.uid, "guess-" + p.password, addresses(40))
    assert tried == 10, f"throttled after {tried} failures, not 10"
    body = S.expect_problem(r, 429, "too-many-attempts")
    retry = int(r.headers.get("Retry-After", "0"))
    assert 1 <= retry <= 5, S.describe(r)
    assert "Retry-After" in r.headers and body["detail"]
    # Every further address is refused as well, with any spelling of the name.
    for addr, name in zip(addresses(6), (p.uid, p.uid.upper(), " " + p.uid, p.uid, p.uid, p.uid)):
        r = api(name, password="other-" + p.password).get("/api/v1/me", headers=from_address(addr))
        S.expect_problem(r, 429, "too-many-attempts")
        assert 1 <= int(r.headers.get("Retry-After", "0")) <= 5, S.describe(r)


def test_another_persons_guessing_does_not_refuse_someone_else(api, make_person):
    p, other = make_person(), make_person()
    guess_until_throttled(api, p.uid, "guess", addresses(20))
    S.expect(api(other).get("/api/v1/me", headers=from_address("198.51.100.7")), 200)


def test_a_right_password_that_signed_in_before_is_not_locked_out(api, make_person):
    """A guesser (from anywhere, the person's own address included) never
    locks out the person: their password, once it signed in, is checked by
    LDAP even while guesses on them are refused."""
    p = make_person()
    S.expect(api(p).get("/api/v1/me", headers=from_address("203.0.113.10")), 200)
    guess_until_throttled(api, p.uid, "guess-" + p.password, ["203.0.113.10"] + addresses(20))
    for addr in ("203.0.113.10", "203.0.113.11", "2001:db8::99"):
        body = S.expect(api(p).get("/api/v1/me", headers=from_address(addr)), 200)
        assert body["uid"] == p.uid
    # The guesser still is not.
    r = api(p.uid, password="guess-again").get("/api/v1/me", headers=from_address("203.0.113.10"))
    S.expect_problem(r, 429, "too-many-attempts")


def test_a_right_password_waits_no_longer_than_retry_after(api, make_person):
    """Someone who never signed in (so nothing proves their password) may
    meet the guesser's wait, but only for the few seconds of Retry-After."""
    p = make_person()
    r, _ = guess_until_throttled(api, p.uid, "guess-" + p.password, addresses(20))
    r = api(p).get("/api/v1/me")
    if r.status_code == 429:
        retry = int(r.headers["Retry-After"])
        assert 1 <= retry <= 5, S.describe(r)
        time.sleep(retry + 0.2)
        r = api(p).get("/api/v1/me")
    body = S.expect(r, 200)
    assert body["uid"] == p.uid


def test_failed_sign_ins_are_logged_with_the_name_and_address(api, make_person):
    p = make_person()
    before = log_size()
    wrong = "wrong-" + uuid.uuid4().hex
    made_up = S.unique("nobody-")
    r = api(p.uid, password=wrong).get("/api/v1/me", headers=from_address("192.0.2.44"))
    assert r.status_code == 401
    r = api(made_up + "\r\nlevel=info forged", password=wrong).get("/api/v1/auth",
                                                                  headers=from_address("2001:db8::44"))
    assert r.status_code == 401
    log = log_since(before)
    lines = [l for l in log.splitlines() if "event=sign-in-failed" in l]
    assert any(f'user="{p.uid}"' in l and "addr=192.0.2.44" in l and "reason=wrong-password" in l
               for l in lines), lines
    assert any(made_up in l and "addr=2001:db8::44" in l and "reason=unknown-user" in l
               for l in lines), lines
    # Log-safe: the CR/LF the name carried did not start a line of its own.
    assert not any(l.split(" ", 1)[-1].startswith("level=info forged") for l in log.splitlines()), log
    assert wrong not in log


def test_a_spray_of_made_up_names_does_not_flush_a_persons_count(api, make_person):
    """Before: counters were evicted after ~4,000 random names. Made-up
    names never enter the people table: 4,000 of them later, the person is
    still throttled. (tests/unit/test_throttle.c sprays 10,000 one-off keys
    at a table of 1,024; 10,000 here would take a minute.)"""
    p = make_person()
    guess_until_throttled(api, p.uid, "guess-" + p.password, addresses(20))
    errors = []

    def spray(n, seed):
        s = S.Api()
        try:
            for i in range(n):
                r = s.get("/api/v1/auth", auth=(f"spray-{seed}-{i}-{uuid.uuid4().hex[:6]}", "x"),
                          headers=from_address(f"10.{seed}.{i // 250 % 250}.{i % 250 + 1}"))
                if r.status_code not in (401, 429):
                    errors.append(S.describe(r))
        finally:
            s.close()

    threads = [threading.Thread(target=spray, args=(500, k)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    # The guesses keep failing the person's own budget (each guess that gets
    # through is counted again; none of them is free).
    r = api(p.uid, password="guess-after-spray").get("/api/v1/auth", headers=from_address("10.99.0.1"))
    if r.status_code == 401:
        # the wait had passed: the very next guess is refused again
        r = api(p.uid, password="guess-after-spray").get("/api/v1/auth",
                                                          headers=from_address("10.99.0.2"))
    S.expect_problem(r, 429, "too-many-attempts")


def test_metrics_count_sign_in_failures_and_refusals(api, anon, make_person):
    def value(name):
        text = anon.get("/metrics").text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        pytest.fail(f"{name} missing in /metrics: {text}")

    failures, throttled = value("accountd_sign_in_failures_total"), value("accountd_sign_in_throttled_total")
    p = make_person()
    guess_until_throttled(api, p.uid, "guess", addresses(20))
    assert value("accountd_sign_in_failures_total") >= failures + 10
    assert value("accountd_sign_in_throttled_total") >= throttled + 1
    assert value("accountd_listen_backlog") == 1024
    # The queue as the kernel applies it (cut to net.core.somaxconn), and
    # how many wait in it now (none: the test waits for each answer).
    with open("/proc/sys/net/core/somaxconn") as f:
        somaxconn = int(f.read())
    assert value("accountd_listen_queue_max") == min(1024, somaxconn)
    assert value("accountd_listen_queue") == 0
    assert value("accountd_workers") >= 1
    assert value("accountd_workers_busy") >= 1  # the /metrics request itself


# --------------------------------- refusal order (issue 11, item 6)

def test_cross_site_post_is_403_before_any_login_challenge(anon, api):
    """Before: nginx's auth_request answered 401 with a Basic challenge (the
    browser's password dialog) before accountd saw the Origin."""
    body = {"kind": "customer", "name": S.unique("it-x-")}
    for s in (anon, api("eve", password="wrong-password")):
        r = s.post("/api/v1/accounts", json=body, headers={"Origin": S.EVIL_ORIGIN})
        S.expect_problem(r, 403, "forbidden")
        assert "WWW-Authenticate" not in r.headers, S.describe(r)
        r = s.form("POST", "/api/v1/accounts", [("kind", "customer"), ("name", "x")],
                   origin=S.EVIL_ORIGIN)
        S.expect_problem(r, 403, "forbidden")
        assert "WWW-Authenticate" not in r.headers, S.describe(r)
        r = s.delete("/api/v1/accounts/1", headers={"Referer": S.EVIL_ORIGIN + "/page"})
        S.expect_problem(r, 403, "forbidden")
        assert "WWW-Authenticate" not in r.headers, S.describe(r)


def test_cross_site_post_is_403_before_401_in_sso_mode():
    if not SSO_URL:
        pytest.fail("ACCOUNTD_SSO_URL is not set: not started by `./dev test`")
    s = SsoApi()
    try:
        r = s.post(SSO_URL + "/api/v1/accounts", json={"kind": "customer"},
                   headers={"Origin": S.EVIL_ORIGIN})
        S.expect_problem(r, 403, "forbidden")
        assert "WWW-Authenticate" not in r.headers
        # The same without the foreign Origin: 401, as before.
        S.expect_problem(s.post(SSO_URL + "/api/v1/accounts", json={"kind": "customer"}), 401,
                         "unauthenticated")
    finally:
        s.close()


# ------------------------------------------- nginx's own errors (issue 7)

def test_a_nul_in_the_path_is_a_problem_json_400():
    status, headers, body = raw_request(b"GET /api/v1/me\x00x HTTP/1.1\r\nHost: localhost\r\n"
                                        b"Connection: close\r\n\r\n")
    assert status == 400, (status, headers, body)
    assert headers.get("content-type", "").startswith("application/problem+json"), (headers, body)
    assert b'"status":400' in body and b"urn:accountd:problem:bad-request" in body, body


def test_a_malformed_request_line_is_a_problem_json_400():
    status, headers, body = raw_request(b"GET /api/v1/me HTTP/1.1 junk\r\nHost: localhost\r\n"
                                        b"Connection: close\r\n\r\n")
    assert status == 400, (status, body)
    assert headers.get("content-type", "").startswith("application/problem+json"), (headers, body)


def test_a_body_nginx_refuses_is_a_problem_json_413(anon):
    r = anon.post("/api/v1/accounts", data=b"x" * (3 * 1024 * 1024),
                  headers={"Content-Type": "application/json"})
    S.expect_problem(r, 413, "payload-too-large")


def test_a_huge_uri_and_huge_headers_are_problem_json(anon):
    r = anon.get("/api/v1/accounts?x=" + "a" * 20000)
    assert r.status_code in (414, 400), S.describe(r)
    S.expect_problem(r, r.status_code)
    r = anon.get("/api/v1/me", headers={"X-Big": "b" * 20000})
    assert r.status_code in (431, 400), S.describe(r)
    S.expect_problem(r, r.status_code)


# ------------------------------------ other locations with auth_request

def test_another_location_signs_in_through_auth_request(anon, api, make_person):
    p = make_person()
    r = api(p).get("/protected/example.txt")
    assert r.status_code == 200, S.describe(r)
    assert r.text == "signed in\n"
    assert r.headers.get("X-Signed-In-As") == p.uid, S.describe(r)
    r = anon.get("/protected/example.txt")
    S.expect_problem(r, 401, "unauthenticated")
    assert_challenge(r)
    r = api(p, password="wrong").get("/protected/example.txt")
    S.expect_problem(r, 401, "unauthenticated")


def test_a_throttled_check_never_lets_another_location_through(api, make_person):
    """A 429 of the check is no 2xx: nginx refuses, as 503 with Retry-After
    (auth_request passes on only 401 and 403)."""
    p = make_person()
    guess_until_throttled(api, p.uid, "guess", addresses(20))
    r = api(p.uid, password="guess").get("/protected/example.txt")
    S.assert_unavailable(r)
    assert "signed in" not in r.text
