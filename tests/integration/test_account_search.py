"""Operator staff find an existing organization (docs/api.md, "Finding an
existing organization"; stop-19 leftover of seed 003): GET
/api/v1/accounts?search= without parent_id, by a part of the account's or
its company's name (case ignored) or by its VAT ID as typed, paged with
limit and cursor like every list (round-11 leftover of seed 000).

Every test makes its own accounts with a unique token in their names, so
what other tests (or runs) created never matches."""
import random
import uuid

import pytest

import support as S
from conftest import company

ACCOUNTS = "/api/v1/accounts"
ITEM_KEYS = {"id", "name", "kind", "status", "parent_id", "company"}
FORBIDDEN = ("only operator staff search all accounts; list your own customers with "
             "parent_id=<your account id>")


def token():
    """A unique text with letters in it (so that its upper case differs)."""
    return "srch" + uuid.uuid4().hex[:8]


def search(api, params, who="olivia"):
    return api(who).get(ACCOUNTS, params=params)


def found(api, text, **params):
    """The items olivia's search for text answers (200 asserted)."""
    body = S.expect(search(api, {"search": text, **params}), 200)
    assert set(body) == {"items", "next_cursor", "limit", "more"}, body
    return body["items"]


def ids(items):
    return [i["id"] for i in items]


def de_vat():
    """A German VAT ID no other test uses: DE and 9 digits."""
    return "DE" + "".join(random.choice("0123456789") for _ in range(9))


def de_company(name, vat):
    return company(name, country="DE", postcode="10115", city="Berlin", vat_id=vat)


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("srch")


# ------------------------------------------------------------------ matches

def test_operator_finds_an_account_by_part_of_its_name_in_another_case(api, tenant, make_account):
    tok = token()
    acc = make_account(tenant.admin, "customer", tenant.account.id, name=f"Nordwind {tok} Handel")
    for text in (tok.upper(), f"NORDWIND {tok}", f"d {tok.upper()} h"):
        items = found(api, text)
        assert ids(items) == [acc.id], (text, items)
    item = items[0]
    assert set(item) == ITEM_KEYS, item
    assert item["name"] == acc.name
    assert item["kind"] == "customer"
    assert item["status"] == "active"
    assert item["parent_id"] == tenant.account.id
    assert item["company"] == {"name": f"Nordwind {tok} Handel GmbH", "country": "AT",
                               "vat_id": None}


def test_operator_finds_an_account_by_its_company_name(api, tenant, make_account):
    tok = token()
    acc = make_account(tenant.admin, "customer", tenant.account.id, name=f"Kunde {token()}",
                       company=company(f"Blauwal {tok} AG"))
    items = found(api, f"blauWAL {tok.upper()} ag")
    assert ids(items) == [acc.id], items
    assert items[0]["company"]["name"] == f"Blauwal {tok} AG"
    # A company name that does not contain the text is no match.
    assert found(api, f"Blauwal {tok} GmbH") == []


def test_operator_finds_an_account_by_vat_id_typed_with_spaces_and_lower_case(api, tenant,
                                                                              make_account):
    vat = de_vat()
    written = f"{vat[:2]} {vat[2:5]} {vat[5:8]} {vat[8:]}"  # stored as written: "DE 123 456 789"
    firm = f"Steuer {token()} GmbH"
    acc = make_account(tenant.admin, "customer", tenant.account.id,
                       company=de_company(firm, written))
    for typed in (vat, vat.lower(), f"de {vat[2:5]} {vat[5:8]} {vat[8:]}",
                  f" De{vat[2:5]}.{vat[5:8]}-{vat[8:]} "):
        items = found(api, typed)
        assert ids(items) == [acc.id], (typed, items)
    assert items[0]["company"] == {"name": firm, "country": "DE", "vat_id": written}
    # The whole VAT ID, not a part of it.
    assert acc.id not in ids(found(api, vat[:9]))


def test_a_swiss_vat_id_is_found_by_its_number_whatever_the_written_suffix(api, tenant,
                                                                          make_account):
    """Round-11 walkthrough of seed 003, D3: "CHE-123.456.789 MWST" (the
    written form, stored as written) is found by CHE123456789 and by the
    TVA form too."""
    digits = "".join(random.choice("0123456789") for _ in range(9))
    written = f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]} MWST"
    acc = make_account(tenant.admin, "customer", tenant.account.id,
                       company=company(f"Berg {token()} AG", country="CH", postcode="8001",
                                       city="Z\u00fcrich", vat_id=written))
    for typed in (f"CHE{digits}", f"che-{digits[:3]}.{digits[3:6]}.{digits[6:]}",
                  f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]} TVA", written):
        assert ids(found(api, typed)) == [acc.id], typed
    assert found(api, f"CHE{digits[:8]}") == []


def test_case_is_ignored_beyond_ascii_but_accents_count(api, tenant, make_account):
    tok = token()
    acc = make_account(tenant.admin, "customer", tenant.account.id,
                       name=f"M\u00dcLLER {tok} \u00d6L")
    assert ids(found(api, f"m\u00fcller {tok} \u00f6l")) == [acc.id]
    assert found(api, f"muller {tok}") == []


def test_like_wildcards_are_plain_characters(api, tenant, make_account):
    tok = token()
    plain = make_account(tenant.admin, "customer", tenant.account.id, name=f"{tok} plain")
    percent = make_account(tenant.admin, "customer", tenant.account.id, name=f"{tok}% off")
    assert ids(found(api, f"{tok}%")) == [percent.id]
    assert found(api, f"{tok}_") == []
    assert ids(found(api, f"{tok} p")) == [plain.id]
    assert ids(found(api, tok)) == [plain.id, percent.id]  # by name: " " < "%"


def test_surrounding_spaces_are_not_searched_for(api, tenant, make_account):
    tok = token()
    acc = make_account(tenant.admin, "customer", tenant.account.id, name=f"Trimmed{tok}End")
    assert ids(found(api, f"  {tok}\t")) == [acc.id]


def test_a_closed_account_is_found_and_shows_status_closed(api, tenant, make_account):
    tok = token()
    acc = make_account(tenant.admin, "customer", tenant.account.id, name=f"Closed {tok}")
    S.expect(api(tenant.admin).delete(f"{ACCOUNTS}/{acc.id}"), 204)
    items = found(api, tok)
    assert ids(items) == [acc.id], items
    assert items[0]["status"] == "closed"


def test_any_kind_is_found_and_the_operator_account_has_no_parent(api, operator_id, make_account):
    tok = token()
    partner = make_account("olivia", "partner", operator_id, name=f"Partner {tok}")
    items = found(api, tok)
    assert ids(items) == [partner.id]
    assert items[0]["kind"] == "partner" and items[0]["parent_id"] == operator_id
    me = S.expect(api("olivia").get("/api/v1/me"), 200)
    op_name = next(a["name"] for a in me["accounts"] if a["id"] == operator_id)
    op = [i for i in found(api, op_name, limit=50) if i["id"] == operator_id]
    assert op and op[0]["parent_id"] is None and op[0]["kind"] == "operator", op


# ------------------------------------------------------------------ order, limit, paging

def test_ordered_by_name_with_limit_and_more(api, tenant, make_account):
    tok = token()
    names = [f"{tok} b", f"{tok} C", f"{tok} a", f"{tok} B"]
    for n in names:
        make_account(tenant.admin, "customer", tenant.account.id, name=n)
    in_order = sorted(names, key=lambda n: n.encode())  # bytewise: "B" < "C" < "a" < "b"
    body = S.expect(search(api, {"search": tok}), 200)
    assert body["limit"] == 20 and body["more"] is False and body["next_cursor"] is None, body
    assert [i["name"] for i in body["items"]] == in_order
    body = S.expect(search(api, {"search": tok, "limit": 3}), 200)
    assert body["limit"] == 3 and body["more"] is True and body["next_cursor"], body
    assert [i["name"] for i in body["items"]] == in_order[:3]
    body = S.expect(search(api, {"search": tok, "limit": 4}), 200)
    assert body["more"] is False and body["next_cursor"] is None and len(body["items"]) == 4, body
    body = S.expect(search(api, {"search": tok, "limit": 1}), 200)
    assert body["more"] is True and [i["name"] for i in body["items"]] == in_order[:1], body
    body = S.expect(search(api, {"search": tok, "limit": 50}), 200)
    assert body["limit"] == 50 and body["more"] is False and len(body["items"]) == 4, body


def walk(api, text, limit):
    """Every page of olivia's search for text, following next_cursor."""
    pages, params = [], {"search": text, "limit": limit}
    while True:
        body = S.expect(search(api, params), 200)
        assert set(body) == {"items", "next_cursor", "limit", "more"}, body
        assert body["more"] is (body["next_cursor"] is not None), body
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        assert len(pages) < 20, pages
        params = {"search": text, "limit": limit, "cursor": body["next_cursor"]}


def test_the_search_pages_with_a_cursor_like_every_list(api, tenant, make_account):
    """Round-11 leftover of seed 000 (D3): the search answered {items,
    limit, more} with no cursor, so a common word could not be listed past
    its first page. Now next_cursor walks every match, in name order."""
    tok = token()
    names = [f"{tok} {c}" for c in ("e", "B", "d", "A", "c")]
    made = {make_account(tenant.admin, "customer", tenant.account.id, name=n).id: n
            for n in names}
    pages = walk(api, tok, 2)
    assert [len(p) for p in pages] == [2, 2, 1], pages
    got = [i["name"] for p in pages for i in p]
    assert got == sorted(names, key=lambda n: n.encode()), got
    assert sorted(i["id"] for p in pages for i in p) == sorted(made), pages
    # The default limit pages the same way.
    assert walk(api, tok, 20) == [[i for p in pages for i in p]]


def test_paging_holds_while_accounts_come_and_go(api, tenant, make_account):
    """The cursor is the last row's name and id (keyset), not a position:
    an account that appears before it between two pages neither repeats
    a row nor skips one."""
    tok = token()
    for c in ("b", "c", "d", "e"):
        make_account(tenant.admin, "customer", tenant.account.id, name=f"{tok} {c}")
    first = S.expect(search(api, {"search": tok, "limit": 2}), 200)
    assert [i["name"] for i in first["items"]] == [f"{tok} b", f"{tok} c"], first
    make_account(tenant.admin, "customer", tenant.account.id, name=f"{tok} a")
    rest = S.expect(search(api, {"search": tok, "limit": 2, "cursor": first["next_cursor"]}), 200)
    assert [i["name"] for i in rest["items"]] == [f"{tok} d", f"{tok} e"], rest
    assert rest["next_cursor"] is None and rest["more"] is False, rest


def test_same_names_page_by_id(api, tenant, make_account):
    name = f"Twin {token()}"
    twins = sorted((make_account(tenant.admin, "customer", tenant.account.id, name=name).id
                    for _ in range(3)), key=int)
    pages = walk(api, name, 1)
    assert [[i["id"] for i in p] for p in pages] == [[t] for t in twins], pages


def test_a_cursor_of_another_list_is_422(api, tenant, make_account):
    """A cursor is the search's own: the overview's and an in-memory
    list's are refused on errors.cursor, as a made-up one is."""
    tok = token()
    for c in ("a", "b"):
        make_account(tenant.admin, "customer", tenant.account.id, name=f"{tok} {c}")
    overview = S.expect(api(tenant.admin).get(ACCOUNTS, params={
        "parent_id": tenant.account.id, "limit": 1}), 200)
    members = S.expect(api(tenant.admin).get(
        f"{ACCOUNTS}/{tenant.account.id}/members", params={"limit": 1}), 200)
    for cursor in (overview["next_cursor"], members["next_cursor"], "abc", "e30"):
        assert cursor
        errors = S.expect_field_errors(search(api, {"search": tok, "cursor": cursor}), "cursor")
        assert set(errors) == {"cursor"}, (cursor, errors)


def test_same_names_go_by_id(api, tenant, make_account):
    name = f"Twin {token()}"
    first = make_account(tenant.admin, "customer", tenant.account.id, name=name)
    second = make_account(tenant.admin, "customer", tenant.account.id, name=name)
    assert ids(found(api, name)) == sorted([first.id, second.id], key=int)


def test_nothing_found_is_an_empty_list(api):
    body = S.expect(search(api, {"search": token()}), 200)
    assert body == {"items": [], "next_cursor": None, "limit": 20, "more": False}


# ------------------------------------------------------------------ who may search

@pytest.mark.parametrize("who", ["paul", "carla", "mike"])
def test_demo_people_who_are_not_operator_staff_get_403(api, who):
    for params in ({"search": "Acme"}, {"search": ""}, {"search": "x", "colour": "red"}):
        body = S.expect_problem(search(api, params, who=who), 403, "forbidden")
        assert body["detail"] == FORBIDDEN, body


def test_a_service_provider_gets_403(api, tenant, make_account, make_person, set_roles):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    sp = make_person(prefix="srsp")
    set_roles(tenant.admin, acc.id, sp, ["service-provider"])
    set_roles(tenant.admin, tenant.account.id, sp, ["service-provider"])
    body = S.expect_problem(search(api, {"search": acc.name}, who=sp), 403, "forbidden")
    assert body["detail"] == FORBIDDEN


def test_a_partner_admin_gets_403_even_for_their_own_customer(api, tenant, make_account):
    acc = make_account(tenant.admin, "customer", tenant.account.id)
    body = S.expect_problem(search(api, {"search": acc.name}, who=tenant.admin), 403, "forbidden")
    assert body["detail"] == FORBIDDEN
    # Their own customers they list with parent_id, as before.
    listed = S.expect(api(tenant.admin).get(ACCOUNTS, params={"parent_id": tenant.account.id}),
                      200)
    assert ids(listed["items"]) == [acc.id]


def test_unauthenticated_is_401(api):
    r = api(None).get(ACCOUNTS, params={"search": "Acme"})
    assert r.status_code == 401, S.describe(r)
    assert "Basic" in r.headers.get("WWW-Authenticate", ""), S.describe(r)


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("params, field", [
    ({"search": ""}, "search"),
    ({"search": "   "}, "search"),
    ({"search": "\u00a0\t"}, "search"),
    ({"search": "x" * 201}, "search"),
    ({"search": "\u00e4" * 201}, "search"),
    ({"search": "a\x01b"}, "search"),
    ({"search": ["a", "b"]}, "search"),
    ({"search": "acme", "limit": "0"}, "limit"),
    ({"search": "acme", "limit": "51"}, "limit"),
    ({"search": "acme", "limit": "ten"}, "limit"),
    ({"search": "acme", "cursor": "abc"}, "cursor"),
    ({"search": "acme", "cursor": ["a", "b"]}, "cursor"),
    ({"search": "acme", "sort": "name"}, "sort"),
    ({"search": "acme", "colour": "red"}, "colour"),
])
def test_bad_input_is_422_on_the_field(api, params, field):
    errors = S.expect_field_errors(search(api, params), field)
    assert set(errors) == {field}, errors


def test_200_characters_are_allowed(api, tenant, make_account):
    tok = token()
    long_name = (tok + "x" * 200)[:200]
    acc = make_account(tenant.admin, "customer", tenant.account.id, name=long_name,
                       company=company("Long GmbH"))
    assert ids(found(api, long_name.upper())) == [acc.id]
    # Characters, not bytes: 200 two-byte letters are 400 bytes and allowed.
    S.expect(search(api, {"search": "\u00e4" * 200}), 200)


def test_search_with_parent_id_is_422_on_search(api, tenant, operator_id):
    for who, parent in (("olivia", operator_id), (tenant.admin, tenant.account.id)):
        r = api(who).get(ACCOUNTS, params={"parent_id": parent, "search": "acme"})
        errors = S.expect_field_errors(r, "search")
        assert set(errors) == {"search"}, errors
        assert "parent_id" in errors["search"], errors


def test_search_with_parent_id_authorizes_the_parent_first(api, tenant, make_tenant):
    stranger = make_tenant("srchx").admin
    r = api(stranger).get(ACCOUNTS, params={"parent_id": tenant.account.id, "search": ""})
    S.expect_problem(r, 404, "not-found")


def test_without_search_and_parent_id_the_list_still_wants_parent_id(api):
    S.expect_field_errors(api("olivia").get(ACCOUNTS), "parent_id")
    S.expect_field_errors(api("olivia").get(ACCOUNTS, params={"limit": "5"}), "parent_id")
