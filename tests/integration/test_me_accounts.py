"""/me of a person in many accounts (issue 8): /me shows the first 50 by id
with accounts_next_cursor, GET /api/v1/me/accounts pages through the rest,
so neither grows with the caller's reach."""
import support as S


def test_me_shows_the_first_page_and_me_accounts_pages_on(api, make_tenant, make_account):
    t = make_tenant("ma")
    ids = [t.account.id] + [make_account(t.admin, "customer", t.account.id).id for _ in range(54)]
    ids.sort(key=int)
    s = api(t.admin)
    me = S.expect(s.get("/api/v1/me"), 200)
    assert [a["id"] for a in me["accounts"]] == ids[:50]
    assert all(a["roles"] == ["admin"] for a in me["accounts"])
    assert isinstance(me["accounts_next_cursor"], str) and me["accounts_next_cursor"]

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 20}
        if cursor:
            params["cursor"] = cursor
        page = S.expect(s.get("/api/v1/me/accounts", params=params), 200)
        assert len(page["items"]) <= 20
        seen += [a["id"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10, "paging does not end"
    assert pages == 3
    assert seen == ids

    # /me's cursor goes on where its list ends.
    rest = S.expect(s.get("/api/v1/me/accounts", params={"cursor": me["accounts_next_cursor"]}), 200)
    assert [a["id"] for a in rest["items"]] == ids[50:]
    assert rest["next_cursor"] is None


def test_me_of_a_person_in_few_accounts_has_no_cursor(api, make_tenant):
    t = make_tenant()
    me = S.expect(api(t.admin).get("/api/v1/me"), 200)
    assert [a["id"] for a in me["accounts"]] == [t.account.id]
    assert me["accounts_next_cursor"] is None
    page = S.expect(api(t.admin).get("/api/v1/me/accounts"), 200)
    assert page == {"items": me["accounts"], "next_cursor": None}


def test_me_accounts_refuses_bad_paging(api, make_person, anon):
    p = make_person()
    S.expect_field_errors(api(p).get("/api/v1/me/accounts", params={"limit": 0}), "limit")
    S.expect_field_errors(api(p).get("/api/v1/me/accounts", params={"cursor": "nope"}), "cursor")
    S.expect_field_errors(api(p).get("/api/v1/me/accounts", params={"sort": "name"}), "sort")
    r = anon.get("/api/v1/me/accounts")
    S.expect_problem(r, 401, "unauthenticated")
