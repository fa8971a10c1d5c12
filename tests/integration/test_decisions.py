"""Decisions of docs/api.md that no other file tests: the rest of If-Match
(`*`, weak ETags, values that are no ETag of the account), custom
properties and `filter[...]`, closing the operator account and closing
twice, a malformed Idempotency-Key, the limits table, /metrics, the answers
of PUT members and PUT contacts, the invitation list, resend and accepting
into a closed account, and template overrides outside a distributor.

Every refusal is checked to have changed nothing in SQL and LDAP."""
import datetime
import re
import secrets

import pytest

import support as S
from conftest import company

ACCOUNTS = "/api/v1/accounts"
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")






def account_path(account_id):
    return f"{ACCOUNTS}/{account_id}"


def invitations_path(account_id, inv=None):
    base = f"{ACCOUNTS}/{account_id}/invitations"
    return base if inv is None else f"{base}/{inv}"


def template_path(account_id, name):
    return f"{ACCOUNTS}/{account_id}/notification-templates/{name}"


accept = S.accept_invitation
invitation_row = S.invitation_row
people_with_mail = S.people_with_mail


def parse_time(value):
    assert isinstance(value, str) and TIME_FORMAT.match(value), f"not YYYY-MM-DDTHH:MM:SSZ: {value!r}"
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def fresh_password():
    return "pw-" + secrets.token_hex(8)


def padded(prefix, length, fill="x"):
    """A unique text of exactly `length` bytes (fill is one ASCII char)."""
    s = S.unique(prefix)
    assert len(s) <= length
    return s + fill * (length - len(s))


def address_of_length(length, local=None):
    """A well-formed e-mail address of exactly `length` bytes (a unique
    local part, then labels of at most 62 letters in front of
    example.test)."""
    local = local or S.unique("it-")
    tail = "example.test"
    need = length - len(local) - 1 - len(tail)
    assert need >= 2 or need == 0, need
    labels = []
    while need > 0:
        k = min(62, need - 1)
        if need - (k + 1) == 1:
            k -= 1
        labels.append("d" * k + ".")
        need -= k + 1
    addr = f"{local}@{''.join(labels)}{tail}"
    assert len(addr) == length, (len(addr), addr)
    return addr


def audit_count(sql, account_id):
    return len(sql.audit(account_id))


# ------------------------------------------------------------------ If-Match

def test_if_match_star_is_no_precondition(api, customer, sql):
    admin, acc = customer
    s = api(admin)
    # Another change first, so the version is not the first one.
    S.expect(s.patch(account_path(acc.id), json={"name": S.unique("it-first-")}), 200)
    before = sql.account(acc.id)
    new_name = S.unique("it-star-")
    r = s.patch(account_path(acc.id), json={"name": new_name}, headers={"If-Match": "*"})
    body = S.expect(r, 200)
    assert body["name"] == new_name
    after = sql.account(acc.id)
    assert (after["name"], after["version"]) == (new_name, before["version"] + 1)
    assert r.headers.get("ETag") == f'"{acc.id}.{after["version"]}"', S.describe(r)


def test_weak_etag_is_accepted_like_the_strong_one(api, customer, sql):
    admin, acc = customer
    s = api(admin)
    etag = s.get(account_path(acc.id)).headers["ETag"]
    weak = "W/" + etag
    before = sql.account(acc.id)
    new_name = S.unique("it-weak-")
    S.expect(s.patch(account_path(acc.id), json={"name": new_name}, headers={"If-Match": weak}), 200)
    after = sql.account(acc.id)
    assert (after["name"], after["version"]) == (new_name, before["version"] + 1)
    # The same weak ETag is stale now: 412, as the strong one would be.
    audit_before = audit_count(sql, acc.id)
    r = s.patch(account_path(acc.id), json={"name": S.unique("it-weak2-")}, headers={"If-Match": weak})
    S.expect_problem(r, 412, "precondition-failed")
    again = sql.account(acc.id)
    assert (again["name"], again["version"]) == (new_name, after["version"])
    assert audit_count(sql, acc.id) == audit_before


@pytest.mark.parametrize("template", [
    "garbage",                      # no quotes at all
    "{id}.{version}",               # the current ETag without its quotes
    '"{id}"',                       # no version
    '"{id}.0"',                     # version 0 is never an ETag
    '"{id}.{next}"',                # a version the account does not have yet
    '"{other}.{version}"',          # another account's ETag with the same version
    "W/garbage",
])
def test_if_match_that_is_no_etag_of_the_account_is_412(api, customer, make_account, sql, template):
    admin, acc = customer
    other = make_account(admin, "customer", acc.parent_id)
    before = sql.account(acc.id)
    assert sql.account(other.id)["version"] == before["version"], "both fresh accounts start alike"
    value = template.format(id=acc.id, version=before["version"], next=before["version"] + 1, other=other.id)
    audit_before = audit_count(sql, acc.id)
    r = api(admin).patch(account_path(acc.id), json={"name": S.unique("it-nomatch-")},
                         headers={"If-Match": value})
    S.expect_problem(r, 412, "precondition-failed")
    after = sql.account(acc.id)
    assert (after["name"], after["version"]) == (before["name"], before["version"])
    assert audit_count(sql, acc.id) == audit_before
    # The current ETag itself works (the 412 was the value's doing).
    etag = f'"{acc.id}.{before["version"]}"'
    S.expect(api(admin).patch(account_path(acc.id), json={"name": S.unique("it-match-")},
                              headers={"If-Match": etag}), 200)


# ------------------------------------------------------------------ custom properties

@pytest.mark.parametrize("params, field", [({"filter[colour]": "blue"}, "filter[colour]"),
                                           ({"filter[properties][colour]": "blue"}, "filter[properties]"),
                                           ({"filter": "anything"}, "filter")])
def test_filter_by_an_undefined_property_is_422(api, make_tenant, make_account, params, field):
    t = make_tenant()
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    r = s.get(ACCOUNTS, params={"parent_id": t.account.id, **params})
    S.expect_field_errors(r, field)
    # Without the filter the same listing answers.
    items = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id}), 200)["items"]
    assert [i["id"] for i in items] == [child.id]


@pytest.mark.parametrize("how", ["json", "json-with-name", "form"])
def test_patch_with_a_property_is_422_and_changes_nothing(api, customer, sql, how):
    admin, acc = customer
    before = sql.account(acc.id)
    audit_before = audit_count(sql, acc.id)
    s = api(admin)
    if how == "json":
        r = s.patch(account_path(acc.id), json={"properties": {"colour": "blue"}})
    elif how == "json-with-name":
        r = s.patch(account_path(acc.id), json={"name": S.unique("it-prop-"), "properties": {"colour": "blue"}})
    else:
        r = s.form("POST", account_path(acc.id), [("_method", "PATCH"), ("properties[colour]", "blue")])
    S.expect_field_errors(r, "properties.colour")
    after = sql.account(acc.id)
    assert (after["name"], after["version"], after["properties"]) == \
        (before["name"], before["version"], before["properties"])
    assert audit_count(sql, acc.id) == audit_before
    assert S.expect(s.get(account_path(acc.id)), 200)["properties"] == {}


def test_patch_with_empty_properties_is_accepted(api, customer, sql):
    admin, acc = customer
    new_name = S.unique("it-emptyprops-")
    body = S.expect(api(admin).patch(account_path(acc.id), json={"name": new_name, "properties": {}}), 200)
    assert body["properties"] == {} and body["name"] == new_name
    assert sql.account(acc.id)["name"] == new_name


# ------------------------------------------------------------------ close

def test_closing_the_operator_account_is_409(api, operator_id, sql):
    before = sql.account(operator_id)
    assert before["status"] != "closed", before
    audit_before = audit_count(sql, operator_id)
    try:
        r = api("olivia").delete(account_path(operator_id))
        S.expect_problem(r, 409, "conflict")
        after = sql.account(operator_id)
        assert (after["status"], after["closed_at"], after["version"]) == \
            (before["status"], before["closed_at"], before["version"])
        assert audit_count(sql, operator_id) == audit_before
        assert S.expect(api("olivia").get(account_path(operator_id)), 200)["status"] == before["status"]
    finally:
        # Should the operator account have been closed after all, open it
        # again so that the rest of the run is not spoiled.
        if sql.account(operator_id)["status"] == "closed":
            sql.rows("UPDATE accounts SET status=%s, closed_at=%s WHERE id=%s",
                     before["status"], before["closed_at"], int(operator_id))


def test_closing_a_closed_account_is_204_and_changes_nothing(api, customer, sql):
    admin, acc = customer
    S.expect(api(admin).delete(account_path(acc.id)), 204)
    row = sql.account(acc.id)
    assert row["status"] == "closed" and row["closed_at"] is not None
    audit_before = audit_count(sql, acc.id)
    r = api(admin).delete(account_path(acc.id))
    S.expect(r, 204)
    assert r.content == b""
    assert sql.account(acc.id) == row
    assert audit_count(sql, acc.id) == audit_before


# ------------------------------------------------------------------ Idempotency-Key

@pytest.mark.parametrize("key", ["k" * 129, "two words", "tab\tkey"])
def test_malformed_idempotency_key_is_422_and_creates_nothing(api, sql, make_tenant, key):
    t = make_tenant()
    name = S.unique("it-badkey-")
    body = {"kind": "customer", "name": name, "parent_id": t.account.id, "company": company(name)}
    total = sql.count_accounts()
    r = api(t.admin).post(ACCOUNTS, json=body, headers={"Idempotency-Key": key})
    S.expect_field_errors(r, "Idempotency-Key")
    assert "Location" not in r.headers, S.describe(r)
    assert sql.count_accounts() == total
    assert sql.count_accounts(name=name) == 0
    assert sql.value("SELECT COUNT(*) AS n FROM idempotency_keys WHERE uid=%s", t.admin.uid) == 0
    # The body was fine: without the key it creates.
    S.expect(api(t.admin).post(ACCOUNTS, json=body), 201)
    assert sql.count_accounts(name=name) == 1


# ------------------------------------------------------------------ limits: accounts

def post_rejected(api, sql, who, body, *fields):
    """POST an account as `who`, assert a 422 naming fields and that no
    account was written; return the errors."""
    total = sql.count_accounts()
    r = api(who).post(ACCOUNTS, json=body)
    errors = S.expect_field_errors(r, *fields)
    assert sql.count_accounts() == total
    assert sql.count_accounts(name=body["name"]) == 0
    return errors


def create_body(parent_id, account_name=None, **company_over):
    """A customer under parent_id; company_over replaces company fields
    (company.name too)."""
    c = company(S.unique("it-co-"))
    c.update(company_over)
    return {"kind": "customer", "name": account_name or S.unique("it-lim-"), "parent_id": parent_id,
            "company": c}


def test_fields_at_their_limits_are_accepted(api, sql, make_tenant):
    t = make_tenant()
    name = padded("it-max-", 200)
    # US: a country without a postcode format of its own (the EU ones are
    # checked by format), so 20 digits are fine.
    fields = {"name": padded("co-", 200), "street": padded("st-", 200), "postcode": "1" * 20,
              "city": padded("ci-", 100), "country": "US", "vat_id": "ATU12345678"}
    body = create_body(t.account.id, name, **fields)
    r = api(t.admin).post(ACCOUNTS, json=body)
    S.expect(r, 201)
    row = sql.account(S.location_id(r))
    assert row["name"] == name
    assert (row["company_name"], row["company_street"], row["company_postcode"], row["company_city"]) == \
        (fields["name"], fields["street"], fields["postcode"], fields["city"])


def test_lengths_are_characters(api, sql, make_tenant):
    """An account name is at most 200 characters, however many bytes of
    UTF-8 they take (round-19 walkthrough of seed 001, D1: the limit used
    to count bytes, so 101 umlauts were refused): 200 two-byte letters are
    fine, 201 are too many, and the error names the limit."""
    t = make_tenant()
    ok = S.unique("") + "\u00e4" * 192          # 8 + 192 = 200 characters, 392 bytes
    assert len(ok) == 200 and len(ok.encode()) == 392
    r = api(t.admin).post(ACCOUNTS, json=create_body(t.account.id, ok))
    S.expect(r, 201)
    assert sql.account(S.location_id(r))["name"] == ok
    too_long = ok + "\u00e4"                    # 201 characters
    errors = post_rejected(api, sql, t.admin, create_body(t.account.id, too_long), "name")
    assert "at most 200 characters" in errors["name"], errors


@pytest.mark.parametrize("field,value", [("name", "x" * 201), ("street", "x" * 201), ("city", "x" * 101)])
def test_company_field_over_its_limit_is_422(api, sql, make_tenant, field, value):
    t = make_tenant()
    post_rejected(api, sql, t.admin, create_body(t.account.id, **{field: value}), f"company.{field}")


@pytest.mark.parametrize("country", ["at", "XX", "AUT", "A", "A1"])
def test_country_must_be_an_assigned_alpha2_code(api, sql, make_tenant, country):
    t = make_tenant()
    post_rejected(api, sql, t.admin, create_body(t.account.id, country=country), "company.country")


def test_vat_id_without_country_is_422(api, sql, make_tenant):
    t = make_tenant()
    body = create_body(t.account.id, vat_id="ATU12345678")
    del body["company"]["country"]
    errors = post_rejected(api, sql, t.admin, body, "vat_id")
    assert set(errors) == {"company.vat_id"}, errors


def test_patch_over_the_limits_is_422_and_changes_nothing(api, customer, sql):
    admin, acc = customer
    before = sql.account(acc.id)
    s = api(admin)
    S.expect_field_errors(s.patch(account_path(acc.id), json={"name": "x" * 201}), "name")
    # 201 characters of two bytes each: over the limit, which counts
    # characters (round-19 walkthrough of seed 001, D1).
    S.expect_field_errors(s.patch(account_path(acc.id), json={"name": "\u00e4" * 201}), "name")
    S.expect_field_errors(s.patch(account_path(acc.id), json={"company": {"postcode": "1" * 21}}),
                          "company.postcode")
    after = sql.account(acc.id)
    assert (after["name"], after["company_postcode"], after["version"]) == \
        (before["name"], before["company_postcode"], before["version"])


@pytest.mark.parametrize("limit", ["0", "201", "-1"])
def test_account_list_limit_outside_1_to_200_is_422(api, make_tenant, limit):
    t = make_tenant()
    r = api(t.admin).get(ACCOUNTS, params={"parent_id": t.account.id, "limit": limit})
    S.expect_field_errors(r, "limit")


@pytest.mark.parametrize("limit", ["0", "201"])
def test_notifications_limit_outside_1_to_200_is_422(api, customer, limit):
    admin, acc = customer
    r = api(admin).get(f"{account_path(acc.id)}/notifications", params={"limit": limit})
    S.expect_field_errors(r, "limit")
    S.expect(api(admin).get(f"{account_path(acc.id)}/notifications", params={"limit": "200"}), 200)


# ------------------------------------------------------------------ limits: invitations, contacts

@pytest.mark.parametrize("case,field", [("email-255", "email"), ("local-65", "email"),
                                        ("first-101", "first_name"), ("last-101", "last_name")])
def test_invitation_over_the_limits_is_422(api, customer, sql, case, field):
    admin, acc = customer
    body = {"email": S.unique_mail(), "role": "member"}
    if case == "email-255":
        body["email"] = address_of_length(255)
    elif case == "local-65":
        body["email"] = padded("it-", 65) + "@example.test"
    elif case == "first-101":
        body["first_name"] = "F" * 101
    else:
        body["last_name"] = "L" * 101
    before = S.outbox_max_id(sql)
    r = api(admin).post(invitations_path(acc.id), json=body)
    S.expect_field_errors(r, field)
    assert sql.rows("SELECT id FROM invitations WHERE account_id=%s", int(acc.id)) == []
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


def test_invitation_address_of_254_bytes_is_accepted(api, customer, sql):
    admin, acc = customer
    email = address_of_length(254, local=padded("it-", 64))
    r = api(admin).post(invitations_path(acc.id), json={"email": email, "role": "member"})
    data = S.expect(r, 202)
    assert data["email"] == email
    assert invitation_row(sql, data["id"])["email"] == email


def test_accept_with_uid_over_64_is_422(api, customer, invite, invitation_mail, sql, ldap_admin):
    admin, acc = customer
    email = S.unique_mail()
    before = S.outbox_max_id(sql)
    inv_id = invite(admin, acc.id, email, "member")["id"]
    _, token = invitation_mail(email, after=before)
    row = invitation_row(sql, inv_id)
    long_uid = padded("inv", 65)
    S.expect_field_errors(accept(api, token, uid=long_uid, password=fresh_password()), "uid")
    assert S.ldap_entry(ldap_admin, S.person_dn(long_uid)) is None
    assert people_with_mail(ldap_admin, email) == set()
    assert S.group_members(ldap_admin, acc.id, "member") == set()
    assert invitation_row(sql, inv_id) == row
    # 64 is the limit, not below it.
    uid = long_uid[:64]
    data = S.expect(accept(api, token, uid=uid, password=fresh_password()), 200)
    assert data["uid"] == uid and data["created"] is True, data
    assert people_with_mail(ldap_admin, email) == {uid}


def test_contact_uid_over_64_is_422(api, customer, sql):
    admin, acc = customer
    before = S.outbox_max_id(sql)
    r = api(admin).put(f"{account_path(acc.id)}/contacts/primary", json={"uid": padded("c", 65)})
    S.expect_field_errors(r, "uid")
    assert sql.rows("SELECT * FROM account_contacts WHERE account_id=%s", int(acc.id)) == []
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


# ------------------------------------------------------------------ limits: templates

@pytest.mark.parametrize("fields,bad", [
    ({"subject": "s" * 256, "body": "Hello {{account_name}}."}, "subject"),
    ({"subject": "Hi {{account_name}}", "body": "b" * 20001}, "body"),
])
def test_template_over_the_limits_is_422(api, distributor, sql, fields, bad):
    admin, dist = distributor
    r = api(admin).put(template_path(dist.id, "contact-changed"), json=fields)
    S.expect_field_errors(r, bad)
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(dist.id)) == []


def test_template_at_the_limits_is_accepted(api, distributor, sql):
    admin, dist = distributor
    subject, body = "s" * 255, "b" * 20000
    S.expect(api(admin).put(template_path(dist.id, "contact-changed"), json={"subject": subject, "body": body}),
             200)
    row = sql.row("SELECT subject, body FROM notification_templates WHERE account_id=%s AND name=%s",
                  int(dist.id), "contact-changed")
    assert row == {"subject": subject, "body": body}


# ------------------------------------------------------------------ /metrics

def metric(text, series):
    """The value of one series (name with labels) in Prometheus text."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_from_loopback(anon):
    r = anon.get("/metrics")
    assert r.status_code == 200, S.describe(r)
    assert S.media_type(r) == "text/plain", S.describe(r)
    text = r.text
    assert "# TYPE accountd_requests_total counter" in text, text
    assert "# TYPE accountd_request_duration_seconds histogram" in text, text
    series = 'accountd_requests_total{code="4xx"}'
    before = metric(text, series)
    assert before is not None, text
    assert metric(text, "accountd_unavailable_total") is not None, text
    # A request accountd answers itself with a 4xx is counted.
    S.expect_problem(anon.post("/api/v1/health"), 405, "method-not-allowed")
    later = S.poll(lambda: anon.get("/metrics"),
                   lambda r: r.status_code == 200 and (metric(r.text, series) or 0) > before, timeout=5)
    assert (metric(later.text, series) or 0) > before, later.text


# ------------------------------------------------------------------ members

def test_put_answers_the_member_with_its_roles(api, customer, make_person, set_roles, ldap_admin):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["member"])
    r = api(admin).put(f"{account_path(acc.id)}/members/{p.uid}", json={"roles": ["service-provider", "billing"]})
    body = S.expect(r, 200)
    assert set(body) == {"uid", "name", "mail", "roles"}, body
    assert (body["uid"], body["name"], body["mail"]) == (p.uid, p.name, p.mail), body
    assert sorted(body["roles"]) == ["billing", "service-provider"], body
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == {"billing", "service-provider"}
    listed = {i["uid"]: i for i in S.expect(api(admin).get(f"{account_path(acc.id)}/members"), 200)["items"]}
    assert sorted(listed[p.uid]["roles"]) == sorted(body["roles"])


@pytest.mark.parametrize("how", ["json", "form"])
def test_put_no_roles_removes_and_answers_200(api, customer, make_person, set_roles, ldap_admin, sql, how):
    admin, acc = customer
    p = make_person()
    set_roles(admin, acc.id, p, ["billing", "member"])
    path = f"{account_path(acc.id)}/members/{p.uid}"
    audit_before = audit_count(sql, acc.id)
    if how == "json":
        r = api(admin).put(path, json={"roles": []})
    else:
        r = api(admin).form("POST", path, [("_method", "PUT"), ("roles", "")])
    body = S.expect(r, 200)
    # projects: the project roles the person keeps, [] here (round-19
    # walkthrough of seed 003, D4).
    assert body == {"uid": p.uid, "name": p.name, "mail": p.mail, "roles": [], "projects": []}, body
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()
    items = S.expect(api(admin).get(f"{account_path(acc.id)}/members"), 200)["items"]
    assert p.uid not in {i["uid"] for i in items}
    assert audit_count(sql, acc.id) > audit_before
    # Now no member: the same PUT is 404.
    S.expect_problem(api(admin).put(path, json={"roles": []}), 404, "not-found")


def test_put_no_roles_for_the_last_admin_is_409(api, customer, ldap_admin):
    admin, acc = customer
    r = api(admin).put(f"{account_path(acc.id)}/members/{admin.uid}", json={"roles": []})
    S.expect_problem(r, 409, "last-admin")
    assert S.roles_in_ldap(ldap_admin, acc.id, admin) == {"admin"}


# ------------------------------------------------------------------ contacts

@pytest.mark.parametrize("kind", ["primary", "technical"])
def test_put_contact_answers_the_contact(api, customer, make_person, set_roles, sql, kind):
    admin, acc = customer
    b = make_person()
    set_roles(admin, acc.id, b, ["admin"])
    r = api(admin).put(f"{account_path(acc.id)}/contacts/{kind}", json={"uid": b.uid})
    body = S.expect(r, 200)
    assert body == {"contact": kind, "uid": b.uid, "name": b.name, "mail": b.mail}, body
    assert sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind=%s",
                     int(acc.id), kind) == b.uid


# ------------------------------------------------------------------ invitations

def test_invitation_list_items(api, customer, invite):
    admin, acc = customer
    sent = [invite(admin, acc.id, S.unique_mail(), role) for role in ("member", "billing", "admin")]
    body = S.expect(api(admin).get(invitations_path(acc.id)), 200)
    assert "next_cursor" in body and body["next_cursor"] is None, body
    items = body["items"]
    assert [i["id"] for i in items] == [s["id"] for s in sent], body     # oldest first
    now = datetime.datetime.now(datetime.timezone.utc)
    for item, s in zip(items, sent):
        assert set(item) == {"id", "email", "role", "status", "invited_by", "created_at", "expires_at",
                             "project_id", "purpose", "usable"}, item
        # round-15 walkthrough of seed 000, D1: a pending one says whether
        # its link still works (its sender still may give the role).
        assert item["usable"] is True and "reason" not in item, item
        assert item["project_id"] is None, item  # an invitation to the account, not a project
        assert item["purpose"] == "member", item  # round-3 walkthrough of seed 000 (O7)
        assert (item["email"], item["role"], item["status"], item["invited_by"]) == \
            (s["email"], s["role"], "pending", admin.uid), item
        assert item["expires_at"] == s["expires_at"], (item, s)
        assert parse_time(item["created_at"]) < parse_time(item["expires_at"]), item
        assert parse_time(item["expires_at"]) > now, item


def test_resend_answers_id_and_the_new_expiry(api, customer, invite, sql):
    admin, acc = customer
    first = invite(admin, acc.id, S.unique_mail())
    inv_id = first["id"]
    # An hour off the expiry, so that a renewal shows.
    sql.rows("UPDATE invitations SET expires_at = expires_at - INTERVAL 1 HOUR WHERE id=%s", int(inv_id))
    r = api(admin).post(invitations_path(acc.id, inv_id) + "/resend")
    body = S.expect(r, 202)
    assert set(body) == {"id", "expires_at"}, body
    assert body["id"] == inv_id
    assert parse_time(body["expires_at"]) >= parse_time(first["expires_at"]), (first, body)
    listed = {i["id"]: i for i in S.expect(api(admin).get(invitations_path(acc.id)), 200)["items"]}
    assert listed[inv_id]["expires_at"] == body["expires_at"], (listed, body)


@pytest.mark.parametrize("with_uid", [True, False])
def test_accept_into_a_closed_account_is_410(api, customer, invite, invitation_mail, sql, ldap_admin, with_uid):
    """Closing revokes the account's pending invitations (round-6
    walkthrough of seed 001: they stayed pending and answered 409)."""
    admin, acc = customer
    email = S.unique_mail()
    before = S.outbox_max_id(sql)
    inv_id = invite(admin, acc.id, email, "member")["id"]
    _, token = invitation_mail(email, after=before)
    S.expect(api(admin).delete(account_path(acc.id)), 204)
    row = invitation_row(sql, inv_id)
    assert row["status"] == "revoked"
    revoke = [a for a in sql.audit(acc.id) if a["action"] == "invitation.revoke"][-1]
    assert revoke["new_value"]["reason"] == "the account was closed", revoke
    assert str(revoke["new_value"]["invitation_id"]) == str(inv_id), revoke
    members = {role: S.group_members(ldap_admin, acc.id, role) for role in S.ROLES}

    uid = S.unique("inv")
    fields = {"uid": uid, "password": fresh_password()} if with_uid else {"password": fresh_password()}
    p = S.expect_problem(accept(api, token, **fields), 410, "invitation-revoked")
    assert p["detail"] == "this invitation was revoked: the account was closed", p
    assert S.ldap_entry(ldap_admin, S.person_dn(uid)) is None
    assert S.ldap_entry(ldap_admin, S.person_dn(email.split("@")[0])) is None
    assert people_with_mail(ldap_admin, email) == set()
    assert {role: S.group_members(ldap_admin, acc.id, role) for role in S.ROLES} == members
    assert invitation_row(sql, inv_id) == row


# ------------------------------------------------------------------ templates

def test_template_delete_without_override_is_404(api, distributor, sql):
    admin, dist = distributor
    path = template_path(dist.id, "contact-changed")
    S.expect_problem(api(admin).delete(path), 404, "not-found")
    S.expect(api(admin).put(path, json={"subject": "Mine {{account_name}}", "body": "Mine."}), 200)
    r = api(admin).delete(path)
    S.expect(r, 204)
    assert r.content == b""
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(dist.id)) == []
    S.expect_problem(api(admin).delete(path), 404, "not-found")


def test_unknown_template_delete_is_404(api, distributor, sql):
    admin, dist = distributor
    S.expect(api(admin).put(template_path(dist.id, "contact-changed"),
                            json={"subject": "Kept {{account_name}}", "body": "Kept."}), 200)
    S.expect_problem(api(admin).delete(template_path(dist.id, "welcome-aboard")), 404, "not-found")
    assert [r["name"] for r in sql.rows("SELECT name FROM notification_templates WHERE account_id=%s",
                                        int(dist.id))] == ["contact-changed"]


@pytest.mark.parametrize("kind", ["customer", "partner"])
def test_template_delete_outside_a_distributor_is_409(api, make_tenant, make_account, kind):
    t = make_tenant()
    acc = make_account(t.admin, kind, t.account.id)
    S.expect_problem(api(t.admin).delete(template_path(acc.id, "contact-changed")), 409, "conflict")


# ------------------------------------------------------------------ bodies on DELETE, closed accounts

def test_delete_with_a_body_field_is_422_and_revokes_nothing(api, customer, invite, sql):
    """docs/api.md: a body-less request with a body field is 422 and does
    nothing, also for DELETE of an invitation and of a template override."""
    admin, acc = customer
    inv_id = invite(admin, acc.id, S.unique_mail())["id"]
    audit = audit_count(sql, acc.id)
    r = api(admin).delete(invitations_path(acc.id, inv_id), json={"reason": "x"})
    S.expect_field_errors(r, "reason")
    assert invitation_row(sql, inv_id)["status"] == "pending"
    assert audit_count(sql, acc.id) == audit


def test_template_delete_with_a_body_field_is_422(api, distributor, sql):
    admin, dist = distributor
    path = template_path(dist.id, "contact-changed")
    S.expect(api(admin).put(path, json={"subject": "Kept {{account_name}}", "body": "Kept."}), 200)
    S.expect_field_errors(api(admin).delete(path, json={"subject": "x"}), "subject")
    assert [r["name"] for r in sql.rows("SELECT name FROM notification_templates WHERE account_id=%s",
                                        int(dist.id))] == ["contact-changed"]


def test_a_closed_distributor_keeps_its_templates(api, distributor, sql):
    admin, dist = distributor
    path = template_path(dist.id, "contact-changed")
    S.expect(api(admin).put(path, json={"subject": "Kept {{account_name}}", "body": "Kept."}), 200)
    S.expect(api(admin).delete(account_path(dist.id)), 204)
    audit = audit_count(sql, dist.id)
    S.expect_problem(api(admin).put(path, json={"subject": "New {{account_name}}", "body": "New."}),
                     409, "conflict")
    S.expect_problem(api(admin).delete(path), 409, "conflict")
    rows = sql.rows("SELECT subject FROM notification_templates WHERE account_id=%s", int(dist.id))
    assert [r["subject"] for r in rows] == ["Kept {{account_name}}"]
    assert audit_count(sql, dist.id) == audit


def test_a_closed_account_sends_no_announcement(api, customer, sql):
    admin, acc = customer
    S.expect(api(admin).delete(account_path(acc.id)), 204)
    before = S.outbox_max_id(sql)
    r = api(admin).post(f"{account_path(acc.id)}/announcements", json={"subject": "News", "body": "Hi"})
    S.expect_problem(r, 409, "conflict")
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
