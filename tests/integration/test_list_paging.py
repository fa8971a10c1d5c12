"""Every list pages (DESIGN: "Lists page with limit and an opaque
cursor"; round-8 walkthroughs of seeds 000-004): the lists read whole
from their store (members, invitations, service providers, property
definitions, templates, customer-relation requests, licenses, plans,
articles) take `limit` and `cursor` like the others, follow the cursor to
the end without repeating or losing an item, and answer 422 on a bad
`limit`, a cursor that is not theirs, or any other parameter. Reads of one
object ignore the query."""
import pytest

import support as S

ACCOUNTS = "/api/v1/accounts"


def walk(client, path, key, limit=1):
    """Every item of the list at path, one page of `limit` at a time."""
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        body = S.expect(client.get(path, params=params), 200)
        assert len(body["items"]) <= limit, body
        seen += [item[key] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert isinstance(cursor, str) and cursor, body
        assert pages < 100, "the cursor never ends"


def refuses(client, path):
    """A bad limit, a foreign cursor and an unknown parameter: 422 each,
    naming the parameter."""
    for params, field in [({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"),
                          ({"limit": "201"}, "limit"), ({"cursor": "zz"}, "cursor"),
                          ({"cursor": "MTIz"}, "cursor"), ({"foo": "1"}, "foo")]:
        r = client.get(path, params=params)
        errors = S.expect_field_errors(r, field)
        assert field in errors, (path, params, errors)


@pytest.fixture
def partner(make_tenant, make_account, make_person, set_roles, invite):
    """A partner with a customer that has four people, two pending
    invitations, two property definitions and two relation requests."""
    t = make_tenant("paging")
    cust = make_account(t.admin, "customer", t.account.id)
    people = [make_person(prefix="pg") for _ in range(3)]
    for p in people:
        set_roles(t.admin, cust.id, p, ["member"])
    for _ in range(2):
        invite(t.admin, cust.id, S.unique_mail("pg-inv-"))
    return t, cust, people


def test_members_page_by_uid_and_the_cursor_walks_them_all(api, partner):
    t, cust, people = partner
    client = api(t.admin)
    path = f"{ACCOUNTS}/{cust.id}/members"
    whole = S.expect(client.get(path), 200)
    uids = [m["uid"] for m in whole["items"]]
    assert whole["next_cursor"] is None and len(uids) == 4, whole
    assert uids == sorted(uids, key=str.lower), uids
    for limit in (1, 3):
        seen, pages = walk(client, path, "uid", limit)
        assert seen == uids, (limit, seen, uids)
        assert pages == -(-4 // limit), (limit, pages)
    first = S.expect(client.get(path, params={"limit": "2"}), 200)
    assert [m["uid"] for m in first["items"]] == uids[:2], first
    assert first["next_cursor"], first
    refuses(client, path)


def test_invitations_and_providers_page(api, partner, make_person, set_roles):
    t, cust, _ = partner
    client = api(t.admin)
    path = f"{ACCOUNTS}/{cust.id}/invitations"
    whole = [i["id"] for i in S.expect(client.get(path), 200)["items"]]
    assert len(whole) == 2, whole
    assert walk(client, path, "id")[0] == whole
    refuses(client, path)
    path = f"{ACCOUNTS}/{cust.id}/service-providers"
    refuses(client, path)
    assert S.expect(client.get(path, params={"limit": "5"}), 200)["next_cursor"] is None


def test_definitions_templates_relations_and_catalog_page(api, partner, make_tenant,
                                                         make_account):
    t, cust, _ = partner
    client = api(t.admin)
    defs = f"{ACCOUNTS}/{t.account.id}/property-definitions"
    for key in ("alpha", "beta", "gamma"):
        S.expect(client.post(defs, json={"key": key, "label": key.title(), "type": "text"}), 201)
    assert walk(client, defs, "key", 2)[0] == ["alpha", "beta", "gamma"]
    refuses(client, defs)
    for path, key in [("/api/v1/plans", "code"), ("/api/v1/articles", "code")]:
        whole = [i[key] for i in S.expect(client.get(path), 200)["items"]]
        assert len(whole) > 2, whole
        assert walk(client, path, key, 2)[0] == whole, path
        refuses(client, path)
    licenses = f"{ACCOUNTS}/{cust.id}/licenses"
    refuses(client, licenses)
    # The partner's relation requests: two customers of another partner.
    other = make_tenant("paging2")
    for _ in range(2):
        target = make_account("olivia", "customer", other.account.id)
        S.expect(client.post(f"{ACCOUNTS}/{t.account.id}/customer-relations",
                             json={"customer_id": target.id}), 202)
    rel = f"{ACCOUNTS}/{t.account.id}/customer-relations"
    whole = [i["id"] for i in S.expect(client.get(rel), 200)["items"]]
    assert len(whole) >= 2, whole
    assert walk(client, rel, "id")[0] == whole
    assert S.expect(client.get(rel, params={"status": "pending", "limit": "1"}), 200)["items"], rel
    refuses(client, rel)


def test_templates_page_for_a_distributor(api, distributor):
    admin, acc = distributor
    client = api(admin)
    path = f"{ACCOUNTS}/{acc.id}/notification-templates"
    whole = S.expect(client.get(path), 200)
    names = [i["name"] for i in whole["items"]]
    assert len(names) > 5 and whole["next_cursor"] is None, whole
    assert walk(client, path, "name", 5)[0] == names
    refuses(client, path)


def test_reads_of_one_object_ignore_the_query(api, customer, distributor):
    """Lists refuse a parameter they do not take; a read of one object
    ignores the query (a browser's cache-busting ?_=...; round-9
    walkthrough of seed 001)."""
    admin, acc = customer
    plain = S.expect(api(admin).get(f"{ACCOUNTS}/{acc.id}/notification-recipients"), 200)
    busted = S.expect(api(admin).get(f"{ACCOUNTS}/{acc.id}/notification-recipients",
                                     params={"_": "1700000000"}), 200)
    assert plain == busted
    S.expect(api(admin).get(f"{ACCOUNTS}/{acc.id}", params={"_": "1"}), 200)
    dadmin, dacc = distributor
    path = f"{ACCOUNTS}/{dacc.id}/notification-templates/plan-welcome/recipients"
    S.expect(api(dadmin).get(path, params={"x": "1"}), 200)
    S.expect_field_errors(api(dadmin).get(f"{ACCOUNTS}/{dacc.id}/notification-templates",
                                          params={"x": "1"}), "x")
