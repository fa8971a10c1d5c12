"""SSO mode: nginx/accountd-sso.conf as shipped, served by the test stack's
second nginx server (ACCOUNTD_SSO_URL). The trusted proxy's X-SSO-User header
is the identity; nothing else is, HTTP Basic included."""
import os

import pytest

import support as S

SSO_URL = os.environ.get("ACCOUNTD_SSO_URL", "").rstrip("/")


class SsoApi(S.Api):
    """An Api session against the SSO server, as the SSO proxy would call it."""

    def __init__(self, user=None, auth=None):
        super().__init__(auth=auth)
        if user is not None:
            self.headers["X-SSO-User"] = user

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = SSO_URL + url
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def sso(env):
    if not SSO_URL:
        pytest.fail("ACCOUNTD_SSO_URL is not set: not started by `./dev test`")
    sessions = []

    def factory(user=None, auth=None):
        s = SsoApi(user, auth)
        sessions.append(s)
        return s

    yield factory
    for s in sessions:
        s.close()


def assert_unauthenticated_without_basic(r):
    S.expect_problem(r, 401, "unauthenticated")
    # No Basic challenge: the browser must not offer a password dialog that
    # this server would never check.
    assert "WWW-Authenticate" not in r.headers, S.describe(r)


def test_the_proxys_user_is_the_caller(sso, make_tenant):
    t = make_tenant()
    body = S.expect(sso(t.admin.uid).get("/api/v1/me"), 200)
    assert body["uid"] == t.admin.uid
    assert [a["id"] for a in body["accounts"]] == [t.account.id]
    S.expect(sso(t.admin.uid).get(f"/api/v1/accounts/{t.account.id}"), 200)


def test_authorization_is_the_same_as_with_basic(sso, make_tenant):
    t, other = make_tenant(), make_tenant()
    S.expect_problem(sso(other.admin.uid).get(f"/api/v1/accounts/{t.account.id}"), 404, "not-found")


def test_no_header_is_401(sso):
    assert_unauthenticated_without_basic(sso().get("/api/v1/me"))


def test_an_empty_header_is_401(sso):
    assert_unauthenticated_without_basic(sso("").get("/api/v1/me"))


def test_basic_credentials_are_not_an_identity(sso):
    # Even the right password: nothing checks it in SSO mode.
    r = sso(auth=("olivia", os.environ["DEMO_PASSWORD"])).get("/api/v1/me")
    assert_unauthenticated_without_basic(r)


def test_a_client_cannot_switch_to_basic_mode(sso):
    """ACCOUNTD_AUTH is a FastCGI parameter nginx sets (sso here); a client's
    Accountd-Auth header arrives as HTTP_ACCOUNTD_AUTH and changes nothing."""
    r = sso(auth=("olivia", os.environ["DEMO_PASSWORD"])).get(
        "/api/v1/me", headers={"Accountd-Auth": "basic", "Remote-User": "olivia"})
    assert_unauthenticated_without_basic(r)
    body = S.expect(sso("eve").get("/api/v1/me", headers={"Accountd-Auth": "basic"}), 200)
    assert body["uid"] == "eve"


def test_other_identity_headers_are_ignored(sso):
    headers = {"Remote-User": "olivia", "X-Remote-User": "olivia", "X-Accountd-User": "olivia"}
    assert_unauthenticated_without_basic(sso().get("/api/v1/me", headers=headers))
    body = S.expect(sso("eve").get("/api/v1/me", headers=headers), 200)
    assert body["uid"] == "eve"


def test_an_unknown_user_is_401(sso):
    assert_unauthenticated_without_basic(sso(S.unique("nobody")).get("/api/v1/me"))


def test_filter_characters_find_nobody(sso):
    for user in ("*", "*)(uid=*", "olivia)(uid=*"):
        assert_unauthenticated_without_basic(sso(user).get("/api/v1/me"))


def test_a_write_is_the_callers_own(sso, api, make_person):
    p = make_person()
    S.expect(sso(p.uid).patch("/api/v1/me/preferences", json={"news": False}), 200)
    assert S.expect(api(p).get("/api/v1/me"), 200)["preferences"]["news"] is False


def test_public_endpoints_answer_without_a_user(sso):
    S.expect(sso().get("/api/v1/health"), 200)
    # A user header changes nothing on a public endpoint.
    S.expect(sso("olivia").get("/api/v1/health"), 200)
