"""The shared contract's rules that hold for every answer (API.md): IDs are
decimal strings in JSON, times are RFC 3339 UTC, lists are
`{items, next_cursor}`. These tests read every listing a customer account
has, through HTTP, after enough happened in it that each list has rows,
and walk the whole JSON of each answer. Endpoints of resources this build
does not have yet (the path is unknown: `404 no such resource`) are left
out, so the same walk covers them once they are merged.
"""
import re

import pytest

import support as S

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# Keys whose values are ids of things (accounts, invitations, orders, ...).
ID_KEY = re.compile(r"^(id|[a-z_]+_id)$")
# Keys whose values are points in time.
TIME_KEY = re.compile(r"^([a-z_]+_at|retain_until|valid_until|period_start|period_end|at)$")


def walk(value, path="$"):
    """Yield (path, key, value) for every member of every object inside."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k, v
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def contract_faults(body):
    faults = []
    for where, key, v in walk(body):
        if ID_KEY.match(key) and v is not None and not (isinstance(v, str) and v.isdigit()):
            faults.append(f"{where}: id {v!r} is not a decimal string")
        if TIME_KEY.match(key) and v is not None and not (isinstance(v, str) and RFC3339_UTC.match(v)):
            faults.append(f"{where}: time {v!r} is not RFC 3339 UTC")
    return faults


def test_walker_finds_what_it_should():
    """The walk itself: an integer id, a local time and a bare date are
    faults; decimal strings, Z times and nulls are not."""
    good = {"id": "12", "items": [{"account_id": "3", "created_at": "2026-11-29T18:00:00Z",
                                   "ended_at": None, "invoice_id": None}]}
    assert contract_faults(good) == []
    bad = {"id": 12, "items": [{"created_at": "2026-11-29 18:00:00"},
                               {"expires_at": "2026-11-29T18:00:00+01:00"}]}
    assert len(contract_faults(bad)) == 3, contract_faults(bad)


def read(api, who, path, params=None):
    """GET path: the JSON body, or None when this build has no such path."""
    r = api(who).get(path, params=params)
    if r.status_code == 404 and "no such resource" in r.text:
        return None
    body = S.expect(r, 200)
    assert isinstance(body, dict), S.describe(r)
    return body


@pytest.fixture
def busy_customer(api, make_tenant, make_account, make_person, set_roles, invite, sql):
    """A partner's customer with a contact, a second admin, a pending
    invitation, recipients and mails in its outbox."""
    t = make_tenant("contract")
    acc = make_account(t.admin, "customer", t.account.id)
    second = make_person()
    set_roles(t.admin, acc.id, second, ["admin"])
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/contacts/primary", json={"uid": t.admin.uid}), 200)
    invite(t.admin, acc.id, S.unique_mail(), "member")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [S.unique_mail()]}), 200)
    if api(t.admin).get("/api/v1/plans").status_code == 200:  # billing is merged
        base = f"/api/v1/accounts/{acc.id}"
        lines = {"lines": [{"article": "starter", "quantity": 1}]}
        draft = S.expect(api(t.admin).post(f"{base}/orders", json=lines), 201)
        S.expect(api(t.admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
        # A second draft: an upgrade (the same plan again would be 409).
        S.expect(api(t.admin).post(f"{base}/orders",
                                   json={"lines": [{"article": "professional", "quantity": 1}]}), 201)
        # A quote for an upgrade too (the plan it has would be 409, as the order).
        S.expect(api(t.admin).post(f"{base}/quotes",
                                   json={"lines": [{"article": "professional", "quantity": 1}]}),
                 201)
    return t, acc


def test_every_read_has_string_ids_and_utc_times(api, busy_customer):
    t, acc = busy_customer
    base = f"/api/v1/accounts/{acc.id}"
    reads = {
        "/api/v1/me": None,
        "/api/v1/accounts": {"parent_id": t.account.id},
        base: None,
        f"{base}/members": None,
        f"{base}/invitations": None,
        f"{base}/notification-recipients": None,
        f"{base}/notification-templates": None,
        f"{base}/notifications": None,
        f"{base}/audit": None,
        f"{base}/subscriptions": None,
        f"{base}/licenses": None,
        f"{base}/invoices": None,
        f"{base}/quotes": None,
        f"{base}/orders": None,
        f"{base}/projects": None,
        f"/api/v1/accounts/{t.account.id}/customers": None,
        # the customer's quote, as a request to the partner (round 20)
        f"/api/v1/accounts/{t.account.id}/quote-requests": None,
        f"/api/v1/accounts/{t.account.id}/property-definitions": None,
        "/api/v1/plans": None,
        "/api/v1/articles": None,
    }
    faults, seen = [], []
    for path, params in reads.items():
        body = read(api, t.admin, path, params)
        if body is None:
            continue
        seen.append(path)
        faults += [f"GET {path}: {f}" for f in contract_faults(body)]
    assert {"/api/v1/me", base, f"{base}/members", f"{base}/invitations"} <= set(seen), seen
    assert faults == [], "\n".join(faults)


@pytest.mark.parametrize("tail", ["/members", "/invitations", "/notifications"])
def test_lists_are_items_and_next_cursor(api, busy_customer, tail):
    t, acc = busy_customer
    body = read(api, t.admin, f"/api/v1/accounts/{acc.id}{tail}")
    assert isinstance(body.get("items"), list) and body["items"], body
    assert "next_cursor" in body and (body["next_cursor"] is None or isinstance(body["next_cursor"], str)), body


def test_partner_overview_table_fields(api, busy_customer):
    t, acc = busy_customer
    body = read(api, t.admin, "/api/v1/accounts", {"parent_id": t.account.id})
    rows = [i for i in body["items"] if i["id"] == acc.id]
    assert len(rows) == 1, body
    assert {"id", "name", "kind", "status", "plan", "member_count", "properties"} <= set(rows[0]), rows
    assert rows[0]["member_count"] == 2 and isinstance(rows[0]["properties"], dict), rows
    assert "next_cursor" in body, body


def test_created_answers_carry_string_ids(api, busy_customer, invite):
    t, acc = busy_customer
    invited = invite(t.admin, acc.id, S.unique_mail(), "member")
    assert contract_faults(invited) == [] and invited["id"].isdigit(), invited
    resent = S.expect(api(t.admin).post(f"/api/v1/accounts/{acc.id}/invitations/{invited['id']}/resend"), 202)
    assert contract_faults(resent) == [], resent
    view = S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)
    assert contract_faults(view) == [] and view["parent_id"] == t.account.id, view


def test_head_works_wherever_get_does(api, busy_customer, anon):
    """HEAD answers as GET would, without a body: same status, same
    Content-Type, same ETag; refusals too (401 anonymous, 404 unknown)."""
    t, acc = busy_customer
    base = f"/api/v1/accounts/{acc.id}"
    paths = ["/api/v1/me", "/api/v1/health", base, f"{base}/members", f"{base}/invitations",
             f"{base}/notification-recipients", f"{base}/notifications"]
    for path in paths:
        g, h = api(t.admin).get(path), api(t.admin).head(path)
        assert g.status_code == 200 and h.status_code == 200, S.describe(h)
        assert h.content == b"", S.describe(h)
        assert S.media_type(h) == S.media_type(g), S.describe(h)
        assert h.headers.get("ETag") == g.headers.get("ETag"), S.describe(h)
    assert "HEAD" in S.allow_set(api(t.admin).delete("/api/v1/me"))
    h = anon.head(base)
    assert h.status_code == 401 and h.content == b"", S.describe(h)
    h = api(t.admin).head("/api/v1/accounts/999999999")
    assert h.status_code == 404 and h.content == b"", S.describe(h)
