"""The audit trail, readable: GET /api/v1/accounts/{id}/audit for the
account's admins (and operators): who, when, what, old and new values,
newest first, paged, filtered by time range and actor."""
import datetime

import support as S

ACCOUNTS = "/api/v1/accounts"


def audit_path(account_id):
    return f"{ACCOUNTS}/{account_id}/audit"


def test_audit_trail_newest_first_paged_and_filtered(api, sql, customer, make_person, set_roles, make_tenant, anon):
    admin, acc = customer
    s = api(admin)
    names = [S.unique("it-audit-") for _ in range(3)]
    for n in names:
        S.expect(s.patch(f"{ACCOUNTS}/{acc.id}", json={"name": n}), 200)
    second = make_person(prefix="au")
    set_roles(admin, acc.id, second, ["admin"])
    S.expect(api(second).patch(f"{ACCOUNTS}/{acc.id}", json={"name": "by-second"}), 200)

    body = S.expect(s.get(audit_path(acc.id)), 200)
    items = body["items"]
    rows = sql.audit(acc.id)
    assert [int(i["id"]) for i in items] == [r["id"] for r in reversed(rows)]
    newest = items[0]
    assert (newest["uid"], newest["action"]) == (second.uid, "account.update")
    assert newest["old_value"]["name"] == names[-1] and newest["new_value"]["name"] == "by-second"
    assert newest["at"].endswith("Z") and "T" in newest["at"]
    assert items[-1]["action"] == "account.create" and items[-1]["old_value"] is None
    # ids inside the values are decimal strings, as everywhere in the API.
    assert items[-1]["new_value"]["parent_id"] == acc.parent_id

    # Paging: every row once, newest first.
    seen, cursor = [], None
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = S.expect(s.get(audit_path(acc.id), params=params), 200)
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["id"] for i in items]

    # By actor, by time.
    mine = S.expect(s.get(audit_path(acc.id), params={"actor": second.uid}), 200)["items"]
    assert {i["uid"] for i in mine} == {second.uid} and len(mine) == 1
    future = (datetime.datetime.utcnow() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert S.expect(s.get(audit_path(acc.id), params={"from": future}), 200)["items"] == []
    assert len(S.expect(s.get(audit_path(acc.id), params={"to": future}), 200)["items"]) == len(items)
    assert S.expect(s.get(audit_path(acc.id), params={"to": "2001-01-01T00:00:00Z"}), 200)["items"] == []
    S.expect_field_errors(s.get(audit_path(acc.id), params={"from": "yesterday"}), "from")
    S.expect_field_errors(s.get(audit_path(acc.id), params={"cursor": "!!"}), "cursor")
    S.expect_field_errors(s.get(audit_path(acc.id), params={"colour": "x"}), "colour")

    # Who may read it: admins and operators; not service providers,
    # billing, members; another tenant gets 404; anonymous 401.
    S.expect(api("olivia").get(audit_path(acc.id)), 200)
    for role in ("service-provider", "billing", "member"):
        p = make_person(prefix="ar")
        set_roles(admin, acc.id, p, [role])
        S.expect_problem(api(p).get(audit_path(acc.id)), 403)
    other = make_tenant("aother")
    S.expect_problem(api(other.admin).get(audit_path(acc.id)), 404)
    S.expect_problem(anon.get(audit_path(acc.id)), 401)


def test_actor_filter_ignores_case(api, customer, make_person, set_roles):
    """Round-3 walkthrough of seed 000 D7: uids are matched without regard
    to case everywhere, and so is the audit's actor filter: a uid recorded
    in mixed case is found by any spelling, and the filter still finds
    nobody else's rows."""
    admin, acc = customer
    mixed = make_person(uid=S.unique("Au-Mixed"))
    assert mixed.uid != mixed.uid.lower()
    set_roles(admin, acc.id, mixed, ["admin"])
    S.expect(api(mixed).patch(f"{ACCOUNTS}/{acc.id}", json={"name": S.unique("it-audit-")}), 200)
    s = api(admin)
    found = {}
    for spelling in (mixed.uid, mixed.uid.lower(), mixed.uid.upper()):
        items = S.expect(s.get(audit_path(acc.id), params={"actor": spelling}), 200)["items"]
        assert items and {i["uid"].lower() for i in items} == {mixed.uid.lower()}, (spelling, items)
        found[spelling] = [i["id"] for i in items]
    assert len({tuple(v) for v in found.values()}) == 1, found
    admin_rows = S.expect(s.get(audit_path(acc.id), params={"actor": admin.uid.upper()}), 200)["items"]
    assert admin_rows and {i["uid"] for i in admin_rows} == {admin.uid}, admin_rows
