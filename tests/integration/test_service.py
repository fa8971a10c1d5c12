"""Service endpoints and routing: health, readiness, unknown paths, 405."""
import pytest

import support as S


def test_health_answers_anyone(anon):
    r = anon.get("/api/v1/health")
    S.expect(r, 200)


def test_ready_when_ldap_and_sql_answer(anon):
    r = anon.get("/api/v1/ready")
    S.expect(r, 200)


def test_unknown_path_is_404_problem(api):
    r = api("olivia").get("/api/v1/no-such-resource")
    S.expect_problem(r, 404, "not-found")


@pytest.mark.parametrize("path", ["/api/v1/storefronts", "/api/v1/storefront-aliases",
                                  "/api/v1/invitations"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_public_prefixes_without_their_slash_are_404_problem(anon, path, method):
    """Round-12 walkthrough of seed 002, D5: nginx answered these with its
    own 301 HTML page to an absolute http:// URL; accountd answers 404
    problem+json, without anyone signed in."""
    r = anon.request(method, path, allow_redirects=False)
    S.expect_problem(r, 404, "not-found")
    assert "Location" not in r.headers


def test_unknown_subresource_of_an_account_is_404(api, operator_id):
    r = api("olivia").get(f"/api/v1/accounts/{operator_id}/no-such-thing")
    S.expect_problem(r, 404, "not-found")


def test_wrong_method_is_405_with_allow(api):
    r = api("olivia").delete("/api/v1/me")
    S.expect_problem(r, 405, "method-not-allowed")
    allow = S.allow_set(r)
    assert "GET" in allow and "DELETE" not in allow, S.describe(r)


def test_wrong_method_on_collection_lists_its_methods(api):
    r = api("olivia").put("/api/v1/accounts", json={"name": "x"})
    S.expect_problem(r, 405, "method-not-allowed")
    allow = S.allow_set(r)
    assert {"GET", "POST"} <= allow and "PUT" not in allow, S.describe(r)


def test_wrong_method_on_member_lists_put_and_delete(api, operator_id):
    r = api("olivia").post(f"/api/v1/accounts/{operator_id}/members/olivia", json={"roles": ["admin"]})
    S.expect_problem(r, 405, "method-not-allowed")
    allow = S.allow_set(r)
    assert {"PUT", "DELETE"} <= allow and "POST" not in allow, S.describe(r)
