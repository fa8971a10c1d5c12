"""If-Match on the account's other writes (round-8 walkthrough of seed
000, D1: a close with a stale ETag closed the account): closing it, setting
or removing a member's roles and handing it over compare an If-Match (or a
form's _version) with the account's ETag when one is sent: stale is 412
and nothing changes; the current one, `*` or none goes through."""
import support as S

ACCOUNTS = "/api/v1/accounts"


def etag(api, who, account_id):
    r = api(who).get(f"{ACCOUNTS}/{account_id}")
    S.expect(r, 200)
    return r.headers["ETag"]


def stale_of(tag):
    """The ETag one version back: "12.3" -> "12.2" (a PATCH raises it)."""
    ident, version = tag.strip('"').split(".")
    return f'"{ident}.{int(version) - 1}"'


def test_close_with_a_stale_if_match_is_412_and_closes_nothing(api, make_tenant, make_account,
                                                               sql):
    t = make_tenant("ifm")
    acc = make_account(t.admin, "customer", t.account.id)
    old = etag(api, t.admin, acc.id)
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc.id}", json={"name": acc.name + " x"}), 200)
    new = etag(api, t.admin, acc.id)
    assert old != new
    for tag in (old, '"99.9"'):
        r = api(t.admin).delete(f"{ACCOUNTS}/{acc.id}", headers={"If-Match": tag})
        S.expect_problem(r, 412, "precondition-failed")
        assert sql.account(acc.id)["status"] == "active"
    # A form's stale _version: the same.
    r = api(t.admin).form("POST", f"{ACCOUNTS}/{acc.id}",
                          [("_method", "DELETE"), ("_version", old.strip('"').split(".")[1])])
    S.expect_problem(r, 412, "precondition-failed")
    assert sql.account(acc.id)["status"] == "active"
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}", headers={"If-Match": new}), 204)
    assert sql.account(acc.id)["status"] == "closed"


def test_close_without_if_match_still_closes(api, make_tenant, make_account, sql):
    t = make_tenant("ifm")
    acc = make_account(t.admin, "customer", t.account.id)
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{acc.id}", headers={"If-Match": "*"}), 204)
    assert sql.account(acc.id)["status"] == "closed"


def test_role_changes_compare_if_match(api, make_tenant, make_account, make_person, set_roles,
                                       ldap_admin):
    t = make_tenant("ifm")
    acc = make_account(t.admin, "customer", t.account.id)
    p = make_person(prefix="ifm")
    set_roles(t.admin, acc.id, p, ["member"])
    tag = etag(api, t.admin, acc.id)
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc.id}", json={"name": acc.name + " y"}), 200)
    path = f"{ACCOUNTS}/{acc.id}/members/{p.uid}"
    r = api(t.admin).put(path, json={"roles": ["billing"]}, headers={"If-Match": tag})
    S.expect_problem(r, 412, "precondition-failed")
    r = api(t.admin).delete(path, headers={"If-Match": tag})
    S.expect_problem(r, 412, "precondition-failed")
    members = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/members"), 200)["items"]
    assert [m["roles"] for m in members if m["uid"] == p.uid] == [["member"]], members
    now = etag(api, t.admin, acc.id)
    S.expect(api(t.admin).put(path, json={"roles": ["billing"]}, headers={"If-Match": now}), 200)
    S.expect(api(t.admin).delete(path, headers={"If-Match": now}), 204)
    members = S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}/members"), 200)["items"]
    assert p.uid not in [m["uid"] for m in members], members


def test_hand_over_compares_if_match(api, make_tenant, make_account, sql):
    t = make_tenant("ifm")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    tag = etag(api, t.admin, acc.id)
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{acc.id}", json={"name": acc.name + " z"}), 200)
    body = {"email": S.unique_mail("ifm-"), "first_name": "Ina", "last_name": "Fox"}
    r = api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json=body, headers={"If-Match": tag})
    S.expect_problem(r, 412, "precondition-failed")
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s AND purpose='transfer'",
                     int(acc.id)) == 0
    now = etag(api, t.admin, acc.id)
    S.expect(api(t.admin).post(f"{ACCOUNTS}/{acc.id}/transfer", json=body,
                               headers={"If-Match": now}), 202)
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s AND purpose='transfer'",
                     int(acc.id)) == 1
