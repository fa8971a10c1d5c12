"""Request handling shared by every endpoint: body parsing and limits, media
types, HTML forms (nested keys, _method, return_to, foreign fields, repeated
fields), CSRF by Origin/Referer, and Idempotency-Key."""
import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

import support as S
from conftest import company

ACCOUNTS = "/api/v1/accounts"


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


def create_fields(parent_id, name, **extra):
    """Form fields creating a customer under parent_id."""
    fields = [("kind", "customer"), ("name", name), ("parent_id", parent_id),
              ("company[name]", name + " GmbH"), ("company[street]", "Ringstrasse 1"),
              ("company[postcode]", "1010"), ("company[city]", "Wien"), ("company[country]", "AT")]
    fields += list(extra.items())
    return fields


def json_body(parent_id, name):
    return {"kind": "customer", "name": name, "parent_id": parent_id, "company": company(name)}


def assert_nothing_created(sql, name):
    assert sql.count_accounts(name=name) == 0, f"an account named {name} was created"


# ------------------------------------------------------------------ bodies

@pytest.mark.parametrize("raw", [b'{"kind": "customer", "name": ', b'{"name": "x",}', b"\xff\xfe{}", b"null"])
def test_malformed_json_is_400(api, sql, tenant, raw):
    total = sql.count_accounts()
    r = api(tenant.admin).post(ACCOUNTS, data=raw, headers={"Content-Type": "application/json"})
    S.expect_problem(r, 400, "bad-request")
    assert sql.count_accounts() == total


def test_a_nul_in_a_json_string_is_400_in_the_clients_terms(api, sql, tenant, make_tenant,
                                                           make_account):
    """Round-23 walkthrough of seed 000, D5: a \\u0000 in a JSON string was
    400 "malformed JSON ... \\u0000 is not allowed without JSON_ALLOW_NUL",
    naming an option of the JSON library that no client can set. The
    detail says what is wrong and where; nothing is written. The body is
    read before the caller's roles, so anyone gets this 400 (as for any
    malformed body); other mistakes keep jansson's text."""
    name = S.unique("it-nul-")
    total = sql.count_accounts()
    for raw in (b'{"kind": "customer", "name": "Hana\\u0000X"}',
                b'{"kind": "customer",\n "na\\u0000me": "x"}'):
        body = S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=raw, headers={
            "Content-Type": "application/json"}), 400, "bad-request")
        line = raw.count(b"\n") + 1
        assert re.fullmatch(rf"the string at line {line} column [0-9]+ contains a NUL character "
                            r"\(\\u0000\), which is not accepted", body["detail"]), body
        assert "JSON_" not in body["detail"]
    assert sql.count_accounts() == total
    child = make_account(tenant.admin, "customer", tenant.account.id, name=name)
    raw = b'{"name": "A\\u0000"}'
    for who in (tenant.admin, make_tenant("nulo").admin):
        body = S.expect_problem(api(who).patch(f"{ACCOUNTS}/{child.id}", data=raw, headers={
            "Content-Type": "application/json"}), 400, "bad-request")
        assert "NUL character" in body["detail"] and "JSON_ALLOW_NUL" not in body["detail"], body
    assert sql.account(child.id)["name"] == name
    # Other mistakes are malformed JSON as before.
    body = S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=b'{"name": "x",}', headers={
        "Content-Type": "application/json"}), 400, "bad-request")
    assert body["detail"].startswith("malformed JSON at line 1 column"), body


@pytest.mark.parametrize("raw", [b"[]", b'[{"kind": "customer"}]', b'"account"', b"42"])
def test_json_that_is_not_an_object_is_400(api, sql, tenant, raw):
    total = sql.count_accounts()
    r = api(tenant.admin).post(ACCOUNTS, data=raw, headers={"Content-Type": "application/json"})
    S.expect_problem(r, 400, "bad-request")
    assert sql.count_accounts() == total


def test_json_with_charset_is_accepted(api, sql, tenant):
    name = S.unique("it-charset-")
    body = ('{"kind": "customer", "name": "%s", "parent_id": "%s", "company": {"city": "Wien", "country": "AT", '
            '"name": "M\u00fcller GmbH", "street": "Ringstrasse 1", "postcode": "1010"}}' % (name, tenant.account.id))
    r = api(tenant.admin).post(ACCOUNTS, data=body.encode("utf-8"),
                               headers={"Content-Type": "application/json; charset=utf-8"})
    S.expect(r, 201)
    row = sql.account(S.location_id(r))
    assert row["name"] == name and row["company_name"] == "M\u00fcller GmbH"


@pytest.mark.parametrize("size", [1_500_000, 3_000_000])
def test_body_over_the_limit_is_413(api, sql, tenant, size):
    name = S.unique("it-big-")
    body = json_body(tenant.account.id, name)
    body["company"]["street"] = "x" * size
    total = sql.count_accounts()
    r = api(tenant.admin).post(ACCOUNTS, json=body)
    if size <= 2_000_000:
        S.expect_problem(r, 413, "payload-too-large")
    else:
        # nginx may refuse this one itself before accountd sees it.
        assert r.status_code == 413, S.describe(r)
    assert sql.count_accounts() == total
    assert_nothing_created(sql, name)
    # The connection pool and the server are fine afterwards.
    S.expect(api(tenant.admin).get("/api/v1/me"), 200)


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_unsupported_media_type_is_415(api, sql, tenant, ctype):
    name = S.unique("it-415-")
    r = api(tenant.admin).post(ACCOUNTS, data=f"kind=customer&name={name}".encode(),
                               headers={"Content-Type": ctype, "Origin": S.ORIGIN})
    S.expect_problem(r, 415, "unsupported-media-type")
    assert_nothing_created(sql, name)


def test_bad_percent_encoding_in_form_is_400(api, sql, tenant):
    name = S.unique("it-pct-")
    raw = f"kind=customer&name={name}%zz&parent_id={tenant.account.id}"
    r = api(tenant.admin).post(ACCOUNTS, data=raw.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": S.ORIGIN})
    S.expect_problem(r, 400, "bad-request")
    assert sql.count_accounts(created_by=tenant.admin.uid) == 0


def test_method_override_outside_a_form_is_400(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    s = api(tenant.admin)
    r = s.patch(f"{ACCOUNTS}/{acc.id}", json={"_method": "DELETE", "name": "json-override"})
    S.expect_problem(r, 400, "bad-request")
    r = s.patch(f"{ACCOUNTS}/{acc.id}", data=[("_method", "DELETE"), ("name", "form-override")],
                headers={"Origin": S.ORIGIN})
    S.expect_problem(r, 400, "bad-request")
    row = sql.account(acc.id)
    assert (row["name"], row["status"]) == (acc.name, "active")


# ------------------------------------------------------------------ forms

def test_form_creates_account_with_nested_company(api, sql, tenant, ldap_admin):
    name = S.unique("it-form-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name))
    S.expect(r, 201)
    account_id = S.location_id(r)
    row = sql.account(account_id)
    assert row["name"] == name
    assert row["company_city"] == "Wien"
    assert row["company_country"] == "AT"
    assert row["created_by"] == tenant.admin.uid
    assert S.group_members(ldap_admin, account_id, "admin") == {S.norm_dn(tenant.admin.dn)}
    body = S.expect(api(tenant.admin).get(f"{ACCOUNTS}/{account_id}"), 200)
    assert body["company"]["city"] == "Wien"


def test_form_boolean_staged(api, sql, tenant):
    name = S.unique("it-staged-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, staged="on"))
    S.expect(r, 201)
    assert sql.account(S.location_id(r))["status"] == "staged"


def test_form_return_to_allowed_origin_redirects(api, sql, tenant):
    name = S.unique("it-ret-")
    target = S.ORIGIN + "/done?x=1"
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, return_to=target))
    assert r.status_code == 303, S.describe(r)
    assert r.headers.get("Location") == target
    assert sql.count_accounts(name=name) == 1


@pytest.mark.parametrize("target", ["http://evil.example/", "//evil.example/done", "javascript:alert(1)",
                                    S.ORIGIN + ".evil.example/done", S.ORIGIN + "@evil.example/"])
def test_form_return_to_elsewhere_is_422_and_does_nothing(api, sql, tenant, target):
    name = S.unique("it-evilret-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, return_to=target))
    S.expect_field_errors(r, "return_to")
    assert "Location" not in r.headers
    assert_nothing_created(sql, name)


def test_form_error_is_problem_not_redirect(api, sql, tenant):
    name = S.unique("it-errret-")
    fields = create_fields(tenant.account.id, name, return_to=S.ORIGIN + "/done")
    fields = [(k, "Austria" if k == "company[country]" else v) for k, v in fields]
    r = api(tenant.admin).form("POST", ACCOUNTS, fields)
    S.expect_field_errors(r, "country")
    assert_nothing_created(sql, name)


def test_form_method_patch_changes_name(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    new_name = S.unique("it-formpatch-")
    version = str(acc.body["version"])
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}",
                               [("_method", "PATCH"), ("name", new_name), ("_version", version)])
    S.expect(r, 200)
    assert sql.account(acc.id)["name"] == new_name
    assert S.expect(api(tenant.admin).get(f"{ACCOUNTS}/{acc.id}"), 200)["name"] == new_name


def test_form_method_delete_with_return_to(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    target = S.ORIGIN + "/accounts"
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}", [("_method", "DELETE"), ("return_to", target)])
    assert r.status_code == 303, S.describe(r)
    assert r.headers.get("Location") == target
    assert sql.account(acc.id)["status"] == "closed"


def test_form_method_put_sets_roles_as_list(api, tenant, make_account, make_person, set_roles, ldap_admin):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    p = make_person()
    set_roles(tenant.admin, acc.id, p, ["member"])
    r = api(tenant.admin).form("POST", f"{ACCOUNTS}/{acc.id}/members/{p.uid}",
                               [("_method", "PUT"), ("roles", "billing"), ("roles", "member")])
    S.expect(r, 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing", "member"}


def test_repeated_single_field_is_400(api, sql, tenant):
    a, b = S.unique("it-twice-a-"), S.unique("it-twice-b-")
    fields = create_fields(tenant.account.id, a) + [("name", b)]
    r = api(tenant.admin).form("POST", ACCOUNTS, fields)
    S.expect_problem(r, 400, "bad-request")
    assert_nothing_created(sql, a)
    assert_nothing_created(sql, b)


@pytest.mark.parametrize("field", [("role", "admin"), ("account_id", "1"), ("created_by", "olivia"),
                                   ("status", "active")])
def test_form_field_the_action_does_not_take_is_422(api, sql, tenant, field):
    name = S.unique("it-foreign-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name, **{field[0]: field[1]}))
    S.expect_field_errors(r, field[0])
    assert_nothing_created(sql, name)


# ------------------------------------------------------------------ CSRF

def test_foreign_origin_is_403(api, sql, tenant):
    name = S.unique("it-csrf-")
    r = api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name),
                               headers={"Origin": S.EVIL_ORIGIN})
    S.expect_problem(r, 403, "forbidden")
    assert_nothing_created(sql, name)


def test_foreign_origin_form_is_403(api, sql, tenant):
    name = S.unique("it-csrf-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name), origin=S.EVIL_ORIGIN)
    S.expect_problem(r, 403, "forbidden")
    assert_nothing_created(sql, name)


def test_foreign_origin_on_other_methods_is_403(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    s = api(tenant.admin)
    evil = {"Origin": S.EVIL_ORIGIN}
    S.expect_problem(s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": "evil"}, headers=evil), 403, "forbidden")
    S.expect_problem(s.delete(f"{ACCOUNTS}/{acc.id}", headers=evil), 403, "forbidden")
    S.expect_problem(s.put(f"{ACCOUNTS}/{acc.id}/members/eve", json={"roles": ["admin"]}, headers=evil),
                     403, "forbidden")
    row = sql.account(acc.id)
    assert (row["name"], row["status"]) == (acc.name, "active")


def test_form_without_origin_or_referer_is_403(api, sql, tenant):
    name = S.unique("it-noorigin-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name), origin=None)
    S.expect_problem(r, 403, "forbidden")
    assert_nothing_created(sql, name)


def test_form_with_allowed_referer_is_accepted(api, sql, tenant):
    name = S.unique("it-referer-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name), origin=None,
                               headers={"Referer": S.ORIGIN + "/accounts/new?step=2"})
    S.expect(r, 201)
    assert sql.count_accounts(name=name) == 1


def test_form_with_foreign_referer_is_403(api, sql, tenant):
    name = S.unique("it-badreferer-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name), origin=None,
                               headers={"Referer": S.EVIL_ORIGIN + "/page"})
    S.expect_problem(r, 403, "forbidden")
    assert_nothing_created(sql, name)


def test_json_with_allowed_origin_is_accepted(api, sql, tenant):
    name = S.unique("it-okorigin-")
    r = api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Origin": S.ORIGIN})
    S.expect(r, 201)
    assert sql.count_accounts(name=name) == 1


# ------------------------------------------------------------------ Idempotency-Key

def test_idempotency_key_creates_once(api, sql, tenant):
    name = S.unique("it-idem-")
    key = S.unique("key-")
    s = api(tenant.admin)
    first = s.post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Idempotency-Key": key})
    S.expect(first, 201)
    second = s.post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Idempotency-Key": key})
    S.expect(second, 201)
    assert second.headers["Location"] == first.headers["Location"]
    assert sql.count_accounts(name=name) == 1
    third = s.post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Idempotency-Key": key + "-2"})
    S.expect(third, 201)
    assert third.headers["Location"] != first.headers["Location"]
    assert sql.count_accounts(name=name) == 2


def test_idempotency_key_of_a_form(api, sql, tenant):
    name = S.unique("it-idemform-")
    key = S.unique("key-")
    s = api(tenant.admin)
    locations = []
    for _ in range(2):
        r = s.form("POST", ACCOUNTS, create_fields(tenant.account.id, name), headers={"Idempotency-Key": key})
        S.expect(r, 201)
        locations.append(r.headers["Location"])
    assert locations[0] == locations[1]
    assert sql.count_accounts(name=name) == 1


def test_idempotency_key_is_per_caller(api, sql, tenant, make_person, set_roles):
    other = make_person()
    set_roles(tenant.admin, tenant.account.id, other, ["admin"])
    name = S.unique("it-idemcaller-")
    key = S.unique("key-")
    a = api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Idempotency-Key": key})
    b = api(other).post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Idempotency-Key": key})
    S.expect(a, 201)
    S.expect(b, 201)
    assert a.headers["Location"] != b.headers["Location"]
    assert sql.count_accounts(name=name) == 2


def test_list_for_a_single_field_is_400(api, sql, tenant):
    name = S.unique("it-brackets-")
    fields = [(k, v) if k != "name" else ("name[]", v) for k, v in create_fields(tenant.account.id, name)]
    r = api(tenant.admin).form("POST", ACCOUNTS, fields)
    S.expect_problem(r, 400, "bad-request")
    assert_nothing_created(sql, name)


@pytest.mark.parametrize("key", ["k" * 129, "caf\u00e9", "tab\there"])
def test_bad_idempotency_key_is_refused(api, sql, tenant, key):
    name = S.unique("it-badkey-")
    r = api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name),
                               headers={"Idempotency-Key": key.encode("utf-8")})
    assert r.status_code in (400, 422), S.describe(r)
    S.expect_problem(r, r.status_code)
    assert_nothing_created(sql, name)


def test_idempotency_key_of_128_characters_is_fine(api, sql, tenant):
    name = S.unique("it-longkey-")
    key = (S.unique("k") * 20)[:128]
    r = api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name), headers={"Idempotency-Key": key})
    S.expect(r, 201)
    assert sql.count_accounts(name=name) == 1


def test_concurrent_requests_with_one_idempotency_key_create_once(api, sql, tenant):
    from concurrent.futures import ThreadPoolExecutor
    name = S.unique("it-idemrace-")
    key = S.unique("key-")

    def post(_):
        return api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name),
                                      headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(post, range(4)))
    created = [r for r in results if r.status_code == 201]
    assert created, [S.describe(r) for r in results]
    assert len({r.headers["Location"] for r in created}) == 1, [S.describe(r) for r in results]
    for r in results:
        if r.status_code != 201:
            S.expect_problem(r, 409, None)
    assert sql.count_accounts(name=name) == 1, sql.rows("SELECT id, ldap_state FROM accounts WHERE name=%s", name)


@pytest.mark.parametrize("method, path, detail", [
    ("GET", "/api/v1/orders/999999999", "no such order"),
    ("POST", "/api/v1/subscriptions/999999999/cancel", "no such subscription"),
    ("GET", "/api/v1/projects/999999999", "no such project"),
    ("GET", "/api/v1/customer-relations/999999999", "no such customer relation"),
    ("GET", "/api/v1/accounts/999999999", "no such account"),
])
def test_the_routers_404_names_the_resource_of_the_path(api, tenant, method, path, detail):
    """An unknown order, subscription, project or relation is 404 "no such
    order" (...), not "no such account" (round-2 walkthroughs of seeds 002
    and 003); one the caller may not see answers the same."""
    S.expect_problem(api(tenant.admin).request(method, path), 404, "not-found")
    assert api(tenant.admin).request(method, path).json()["detail"] == detail


def test_form_only_fields_in_json_are_422_and_change_nothing(api, sql, tenant, make_account, make_person,
                                                             set_roles, ldap_admin):
    """round-4 walkthrough of seed 004: {"_roles_present": true} in a JSON
    PUT took every role of the person away, {"_news_present": true} turned
    news off, return_to in JSON redirected. The form-only fields are 422 in
    a JSON body, and nothing changes."""
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    s = api(tenant.admin)
    p = make_person(prefix="formonly")
    set_roles(tenant.admin, acc.id, p, ["member", "billing"])
    r = s.put(f"{ACCOUNTS}/{acc.id}/members/{p.uid}", json={"_roles_present": True})
    assert "_roles_present" in S.expect_field_errors(r, "_roles_present")
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"member", "billing"}
    r = api(p).patch("/api/v1/me/preferences", json={"_news_present": True})
    S.expect_field_errors(r, "_news_present")
    assert S.expect(api(p).get("/api/v1/me/preferences"), 200)["news"] is True
    version = sql.account(acc.id)["version"]
    r = s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("jr-"), "return_to": S.ORIGIN + "/done"})
    S.expect_field_errors(r, "return_to")
    r = s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("jv-"), "_version": version})
    assert "If-Match" in S.expect_field_errors(r, "_version")["_version"]
    assert sql.account(acc.id)["name"] == acc.name and sql.account(acc.id)["version"] == version
    # The same fields in a form still work.
    r = s.form("POST", f"{ACCOUNTS}/{acc.id}", [("_method", "PATCH"), ("name", S.unique("jf-")),
                                                ("_version", str(version))])
    S.expect(r, 200)


# ------------------------------------------------------------------ first-time mistakes (round 6)

FORM_TYPE = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("headers, sent_as", [
    ({"Content-Type": FORM_TYPE}, "was sent as application/x-www-form-urlencoded;"),
    ({"Content-Type": FORM_TYPE, "Origin": S.ORIGIN}, "was sent as application/x-www-form-urlencoded;"),
    ({"Content-Type": FORM_TYPE + "; charset=utf-8", "Referer": S.ORIGIN + "/x"},
     "was sent as application/x-www-form-urlencoded;"),
    ({}, "was sent with no Content-Type;"),
    ({"Origin": S.EVIL_ORIGIN}, "was sent with no Content-Type;"),
    ({"Content-Type": "text/plain", "Origin": S.ORIGIN}, "was sent as text/plain;"),
])
def test_json_sent_without_its_content_type_is_415_naming_it(api, sql, tenant, headers, sent_as):
    """Round-6 walkthroughs of seeds 000-004: curl -d '{...}' sends JSON as
    a form; the answer was 403 "a form must come with an Origin or Referer
    header", with an Origin a 422 naming the whole JSON text as a field,
    or 400 "malformed form key". A body that looks like JSON and is not
    sent as JSON is 415 saying so, whatever the Origin (a refusal either
    way), and nothing is created."""
    name = S.unique("it-jsonform-")
    raw = json.dumps(json_body(tenant.account.id, name)).encode()
    r = api(tenant.admin).post(ACCOUNTS, data=raw, headers=headers)
    body = S.expect_problem(r, 415, "unsupported-media-type")
    assert sent_as in body["detail"], body
    assert "looks like JSON" in body["detail"] and "Content-Type: application/json" in body["detail"], body
    assert "errors" not in body, body
    assert_nothing_created(sql, name)
    # The same bytes as JSON create the account.
    S.expect(api(tenant.admin).post(ACCOUNTS, data=raw, headers={"Content-Type": "application/json"}), 201)
    assert sql.count_accounts(name=name) == 1


def test_json_array_or_blank_before_the_brace_is_recognised_and_changes_nothing(api, sql, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    before = sql.account(acc.id)
    s = api(tenant.admin)
    for raw in (b'  \r\n\t{"name": "x"}', b'[{"name": "x"}]', b'{"order": [1, 2]'):
        r = s.patch(f"{ACCOUNTS}/{acc.id}", data=raw, headers={"Content-Type": FORM_TYPE, "Origin": S.ORIGIN})
        assert "looks like JSON" in S.expect_problem(r, 415, "unsupported-media-type")["detail"]
    # A form with error_to is not redirected: the body was never read as a form.
    r = s.post(f"{ACCOUNTS}/{acc.id}/invitations", data=b'{"email": "a@b.example", "error_to": "%s/e"}' %
               S.ORIGIN.encode(), headers={"Content-Type": FORM_TYPE, "Origin": S.ORIGIN})
    S.expect_problem(r, 415, "unsupported-media-type")
    after = sql.account(acc.id)
    assert (after["name"], after["version"]) == (before["name"], before["version"])
    assert sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id)) == 0


def test_real_forms_still_work_next_to_the_json_check(api, sql, tenant, make_account):
    """The JSON check looks at the first byte only: an HTML form (whose body
    starts with a field name) is read as before, braces in values too."""
    name = S.unique("it-{form}-")
    r = api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, name))
    S.expect(r, 201)
    assert sql.account(S.location_id(r))["name"] == name
    # A form without Origin or Referer is still the CSRF 403.
    other = S.unique("it-noorigin2-")
    S.expect_problem(api(tenant.admin).form("POST", ACCOUNTS, create_fields(tenant.account.id, other),
                                            origin=None), 403, "forbidden")
    assert_nothing_created(sql, other)


def test_if_match_without_its_quotes_says_so(api, sql, tenant, make_account, make_person, set_roles):
    """Round-6 walkthroughs of seeds 001 and 003: If-Match: 5.9 for the
    ETag "5.9" is 412 (it is not the ETag) saying the value goes in double
    quotes; other mismatches keep their detail. Nothing changes."""
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    s = api(tenant.admin)
    before = sql.account(acc.id)
    version = before["version"]
    contacts = sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc.id))
    for value in (f"{acc.id}.{version}", f"W/{acc.id}.{version}", f"{acc.id}.{version + 3}"):
        r = s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("im-")}, headers={"If-Match": value})
        detail = S.expect_problem(r, 412, "precondition-failed")["detail"]
        bare = value[2:] if value.startswith("W/") else value
        assert "in double quotes" in detail and f'If-Match: "{bare}"' in detail, detail
    for value in ('"garbage"', "garbage", f'"{acc.id}.{version + 3}"', "5.9.1", f"{acc.id}."):
        r = s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("im-")}, headers={"If-Match": value})
        detail = S.expect_problem(r, 412, "precondition-failed")["detail"]
        assert "double quotes" not in detail, (value, detail)
    # The contacts PUT reads If-Match the same way.
    r = s.put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": tenant.admin.uid},
              headers={"If-Match": f"{acc.id}.{version}"})
    assert "in double quotes" in S.expect_problem(r, 412, "precondition-failed")["detail"]
    after = sql.account(acc.id)
    assert (after["name"], after["version"]) == (before["name"], version)
    assert sql.rows("SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(acc.id)) == contacts
    # With the quotes it is applied.
    S.expect(s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("im-ok-")},
                     headers={"If-Match": f'"{acc.id}.{version}"'}), 200)


def test_idempotency_key_with_a_space_says_what_is_allowed(api, sql, tenant, make_account):
    """Round-6 walkthrough of seed 002, D5: a space is printable ASCII, so
    "must be printable ASCII" contradicted the key sent. Spaces stay refused
    (docs/api.md); the message says so. Nothing is done."""
    name = S.unique("it-spacekey-")
    r = api(tenant.admin).post(ACCOUNTS, json=json_body(tenant.account.id, name),
                               headers={"Idempotency-Key": "t6 x1"})
    msg = S.expect_field_errors(r, "Idempotency-Key")["Idempotency-Key"]
    assert "printable" not in msg and "must not contain spaces" in msg and "'!' to '~'" in msg, msg
    assert_nothing_created(sql, name)
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    mail = S.unique_mail("spacekey-")
    r = api(tenant.admin).post(f"{ACCOUNTS}/{acc.id}/invitations", json={"email": mail, "role": "member"},
                               headers={"Idempotency-Key": "t6 x1"})
    msg = S.expect_field_errors(r, "Idempotency-Key")["Idempotency-Key"]
    assert "must not contain spaces" in msg, msg
    assert sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id)) == 0


def test_write_actions_refuse_query_parameters(api, sql, tenant, make_account, make_person, set_roles,
                                               ldap_admin):
    """Round-6 walkthrough of seed 002, D3: no write takes a query
    parameter; one sent was ignored (cancel?dry_run=1 cancelled). Now 422
    with the parameter in errors, and nothing is written or mailed."""
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    member = make_person(prefix="qp")
    set_roles(tenant.admin, acc.id, member, ["member"])
    s = api(tenant.admin)
    before = sql.account(acc.id)
    mails = S.outbox_max_id(sql)
    audit = len(sql.audit(acc.id))
    cases = [
        ("PATCH", f"{ACCOUNTS}/{acc.id}?dry_run=1", {"name": S.unique("qp-")}, "dry_run"),
        ("DELETE", f"{ACCOUNTS}/{acc.id}?force=1", None, "force"),
        ("PUT", f"{ACCOUNTS}/{acc.id}/notification-recipients?notify=0",
         {"emails": [S.unique_mail("qp-")]}, "notify"),
        ("POST", f"{ACCOUNTS}/{acc.id}/invitations?role=admin",
         {"email": S.unique_mail("qp-"), "role": "member"}, "role"),
        ("PUT", f"{ACCOUNTS}/{acc.id}/members/{member.uid}?roles=admin", {"roles": ["billing"]}, "roles"),
    ]
    for method, path, body, param in cases:
        r = s.request(method, path, json=body)
        errors = S.expect_field_errors(r, param)
        assert errors == {param: errors[param]} and "not accepted by this action" in errors[param], errors
    name = S.unique("qp-new-")
    r = s.post(f"{ACCOUNTS}?parent_id={tenant.account.id}", json=json_body(tenant.account.id, name))
    S.expect_field_errors(r, "parent_id")
    assert_nothing_created(sql, name)
    after = sql.account(acc.id)
    assert (after["name"], after["version"], after["status"]) == (before["name"], before["version"], "active")
    assert len(sql.audit(acc.id)) == audit
    assert sql.value("SELECT COUNT(*) AS n FROM invitations WHERE account_id=%s", int(acc.id)) == 0
    assert S.roles_in_ldap(ldap_admin, acc.id, member) == {"member"}
    assert S.outbox_max_id(sql) == mails
    # The route's roles come first: a member's PATCH is 403, a stranger's 404.
    S.expect_problem(api(member).patch(f"{ACCOUNTS}/{acc.id}?dry_run=1", json={"name": "m"}), 403)
    stranger = make_person(prefix="qps")
    S.expect_problem(api(stranger).patch(f"{ACCOUNTS}/{acc.id}?dry_run=1", json={"name": "m"}), 404)
    # A form gets the error at its error_to, as a field error.
    front = S.ORIGIN + "/app/rename"
    r = s.form("POST", f"{ACCOUNTS}/{acc.id}?dry_run=1",
               [("_method", "PATCH"), ("name", S.unique("qpf-")), ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert (q["status"], q["error"]) == ("422", "validation") and "errors[dry_run]" in q, q
    assert sql.account(acc.id)["version"] == before["version"]
    # A key sent with the refused request was not claimed: it works once the
    # query is gone. Lists keep their parameters.
    key = S.unique("qpkey-")
    mail = S.unique_mail("qpk-")
    S.expect_field_errors(s.post(f"{ACCOUNTS}/{acc.id}/invitations?x=1", json={"email": mail, "role": "member"},
                                 headers={"Idempotency-Key": key}), "x")
    S.expect(s.post(f"{ACCOUNTS}/{acc.id}/invitations", json={"email": mail, "role": "member"},
                    headers={"Idempotency-Key": key}), 202)
    S.expect(s.get(f"{ACCOUNTS}/{acc.id}/notifications?limit=5"), 200)
    S.expect_field_errors(s.get(f"{ACCOUNTS}/{acc.id}/notifications?dry_run=1"), "dry_run")


def test_a_nul_in_a_form_field_is_named_as_json_names_it(api, sql, tenant):
    """Round-24 walkthrough of seed 000, D5: a %00 in a form field (valid
    percent-encoding) was answered "invalid percent-encoding in the form",
    the text of a real mistake (%zz). It is now 400 with JSON's words for
    a NUL (round 23, D5), naming the field; nothing is written. A bad
    escape keeps its answer; a NUL in a query parameter is named too."""
    name = S.unique("it-nul-")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": S.ORIGIN}
    raw = f"kind=customer&name={name}%00X&parent_id={tenant.account.id}"
    p = S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=raw.encode(), headers=headers), 400, "bad-request")
    assert p["detail"] == "the form field name contains a NUL character (%00), which is not accepted", p
    raw = f"kind=customer&na%00me={name}&parent_id={tenant.account.id}"
    p = S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=raw.encode(), headers=headers), 400, "bad-request")
    assert p["detail"] == "a form field's name contains a NUL character (%00), which is not accepted", p
    raw = f"kind=customer&name={name}%zz&parent_id={tenant.account.id}"
    p = S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=raw.encode(), headers=headers), 400, "bad-request")
    assert p["detail"] == "malformed form: invalid percent-encoding in the form", p
    # JSON's answer, the same words.
    p = S.expect_problem(api(tenant.admin).post(ACCOUNTS, data=b'{"name":"a\\u0000b"}',
                                                headers={"Content-Type": "application/json"}),
                         400, "bad-request")
    assert p["detail"].endswith(" contains a NUL character (\\u0000), which is not accepted"), p
    p = S.expect_problem(api(tenant.admin).get(f"{ACCOUNTS}?parent_id={tenant.account.id}%00"), 400, "bad-request")
    assert p["detail"] == "the query parameter parent_id contains a NUL character (%00), which is not accepted", p
    assert sql.count_accounts(created_by=tenant.admin.uid) == 0
