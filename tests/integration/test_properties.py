"""Custom properties (LineMetrics) and the partner's overview table: a
partner defines typed properties for its children; values are set with
PATCH on each child and checked by type (422 per field, nothing written);
renaming a label keeps values, removing a definition removes them; the
overview table shows them as columns, sorts and filters by them, and pages
with a keyset cursor that stays correct while children are added."""
import json
import threading

import pytest

import support as S

ACCOUNTS = "/api/v1/accounts"


def defs_path(account_id, key=None):
    base = f"{ACCOUNTS}/{account_id}/property-definitions"
    return base if key is None else f"{base}/{key}"


def define(api, by, account_id, status=201, **body):
    r = api(by).post(defs_path(account_id), json=body)
    return S.expect(r, status), r


def value_rows(sql, account_id):
    return {r["prop_key"]: (r["value"], r["sort_key"]) for r in sql.rows(
        "SELECT d.prop_key, v.value, v.sort_key FROM account_property_values v"
        " JOIN property_definitions d ON d.id = v.definition_id WHERE v.account_id=%s",
        int(account_id))}


@pytest.fixture
def partner_with_properties(api, make_tenant, make_account):
    t = make_tenant("props")
    a = t.admin
    define(api, a, t.account.id, key="region", label="Region", type="select",
           options=["EU", "US", "APAC"], required=True)
    define(api, a, t.account.id, key="loggers", label="Data loggers", type="number")
    define(api, a, t.account.id, key="vip", label="VIP", type="boolean")
    define(api, a, t.account.id, key="renewal", label="Renewal", type="date")
    define(api, a, t.account.id, key="note", label="Note", type="text")
    return t


def test_definitions_are_created_listed_renamed_and_deleted(api, sql, partner_with_properties):
    t = partner_with_properties
    s = api(t.admin)
    items = S.expect(s.get(defs_path(t.account.id)), 200)["items"]
    assert [i["key"] for i in items] == ["region", "loggers", "vip", "renewal", "note"]
    region = items[0]
    assert region == {"key": "region", "label": "Region", "type": "select",
                      "options": ["EU", "US", "APAC"], "required": True, "version": 1}
    assert "options" not in items[1] and items[1]["required"] is False
    # Location names the new definition.
    body, r = define(api, t.admin, t.account.id, key="size", label="Size", type="number")
    assert r.headers["Location"].endswith(defs_path(t.account.id, "size"))
    # A key is unique per partner: 409 (UNIQUE index).
    S.expect_problem(s.post(defs_path(t.account.id), json={"key": "size", "label": "X", "type": "text"}),
                     409, "conflict")
    # Rename: the label changes, the key and type stay.
    b = S.expect(s.patch(defs_path(t.account.id, "size"), json={"label": "Company size"}), 200)
    assert (b["key"], b["label"], b["type"]) == ("size", "Company size", "number")
    S.expect_field_errors(s.patch(defs_path(t.account.id, "size"), json={"type": "text"}), "type")
    S.expect_problem(s.patch(defs_path(t.account.id, "nope"), json={"label": "x"}), 404)
    S.expect(s.delete(defs_path(t.account.id, "size")), 204)
    S.expect_problem(s.delete(defs_path(t.account.id, "size")), 404)
    audit = [a["action"] for a in sql.audit(t.account.id)]
    assert audit.count("property.define") == 6 and "property.update" in audit and "property.delete" in audit


def test_two_tabs_editing_one_definition_do_not_lose_each_others_options(api, sql, make_person,
                                                                        set_roles,
                                                                        partner_with_properties):
    """Round-12 walkthrough of seed 001, D2 ("Tabelle bearbeiten" in two
    tabs): a definition has an ETag of its own ("p<id>.<version>") on
    GET, POST and PATCH; a stale If-Match or _version is 412 and changes
    nothing, one that is no ETag of this definition is 412 too; without
    one the last write wins as before; DELETE honours it alike."""
    t = partner_with_properties
    pia = make_person(prefix="pia")
    set_roles("olivia", t.account.id, pia, ["admin"])
    path = defs_path(t.account.id, "region")
    r = api(t.admin).get(path)
    tab1 = S.expect(r, 200)
    etag = r.headers["ETag"]
    def_id = sql.value("SELECT id FROM property_definitions WHERE account_id=%s AND prop_key='region'",
                       int(t.account.id))
    assert etag == f'"p{def_id}.1"' and tab1["version"] == 1
    assert api(pia).get(path).headers["ETag"] == etag
    # Tab 1 adds "West".
    r = api(t.admin).patch(path, json={"options": ["EU", "US", "APAC", "West"]},
                           headers={"If-Match": etag})
    assert S.expect(r, 200)["version"] == 2 and r.headers["ETag"] == f'"p{def_id}.2"'
    # Tab 2, read before: 412, and West stays.
    audit = len(sql.audit(t.account.id))
    p = S.expect_problem(api(pia).patch(path, json={"options": ["EU", "US", "APAC", "Ost"]},
                                        headers={"If-Match": etag}), 412, "precondition-failed")
    assert "changed since you read it" in p["detail"], p
    got = S.expect(api(pia).get(path), 200)
    assert got["options"] == ["EU", "US", "APAC", "West"] and got["version"] == 2
    assert len(sql.audit(t.account.id)) == audit
    # A value that is no ETag of this definition (the account's, another
    # definition's, a made-up one) is 412 as well.
    other = sql.value("SELECT id FROM property_definitions WHERE account_id=%s AND prop_key='note'",
                      int(t.account.id))
    for bad in ('"bogus"', f'"{t.account.id}.1"', f'"p{other}.2"', f'p{def_id}.2'):
        S.expect_problem(api(pia).patch(path, json={"label": "X"}, headers={"If-Match": bad}), 412)
    # A form's _version: stale 412 (to error_to), current applied.
    S.expect_problem(api(pia).post(path, data={"_method": "PATCH", "_version": "1", "label": "R"},
                                   headers={"Origin": S.ORIGIN}), 412)
    got = S.expect(api(pia).post(path, data={"_method": "PATCH", "_version": "2", "label": "Regio"},
                                 headers={"Origin": S.ORIGIN}), 200)
    assert got["label"] == "Regio" and got["version"] == 3
    S.expect_field_errors(api(pia).post(path, data={"_method": "PATCH", "_version": "x"},
                                        headers={"Origin": S.ORIGIN}), "_version")
    # Without a precondition the last write wins, as for the account.
    assert S.expect(api(pia).patch(path, json={"label": "Region"}), 200)["version"] == 4
    # DELETE: a stale one is 412 and the definition stays; the current one deletes.
    S.expect_problem(api(t.admin).delete(path, headers={"If-Match": f'"p{def_id}.3"'}), 412)
    S.expect(api(t.admin).get(path), 200)
    S.expect(api(t.admin).delete(path, headers={"If-Match": f'W/"p{def_id}.4"'}), 204)
    S.expect_problem(api(t.admin).get(path), 404)


@pytest.mark.parametrize("body, field", [
    ({"key": "Region", "label": "R", "type": "text"}, "key"),
    ({"key": "status", "label": "R", "type": "text"}, "key"),
    ({"key": "r", "label": "", "type": "text"}, "label"),
    ({"key": "r", "label": "R", "type": "colour"}, "type"),
    ({"key": "r", "label": "R", "type": "select"}, "options"),
    ({"key": "r", "label": "R", "type": "select", "options": ["a", "a"]}, "options[1]"),
    ({"key": "r", "label": "R", "type": "text", "options": ["a"]}, "options"),
    ({"key": "r", "label": "R", "type": "text", "required": "maybe"}, "required"),
    ({"key": "r", "label": "R", "type": "text", "colour": "x"}, "colour"),
])
def test_bad_definitions_are_422(api, sql, make_tenant, body, field):
    t = make_tenant("pbad")
    r = api(t.admin).post(defs_path(t.account.id), json=body)
    S.expect_field_errors(r, field)
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s", int(t.account.id)) == 0


def test_values_are_typed_validated_and_shown(api, sql, make_account, partner_with_properties):
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    path = f"{ACCOUNTS}/{child.id}"
    good = {"region": "EU", "loggers": 12.5, "vip": True, "renewal": "2027-02-28", "note": "Wien"}
    b = S.expect(s.patch(path, json={"properties": good}), 200)
    assert b["properties"] == good
    rows = value_rows(sql, child.id)
    assert rows["region"] == ("\"EU\"", b"EU") and rows["vip"] == ("true", b"1")
    assert rows["renewal"][1] == b"2027-02-28"
    # Every bad value is named; nothing of the request is written.
    version = sql.account(child.id)["version"]
    bad = {"region": "MARS", "loggers": "twelve", "vip": "yes", "renewal": "2027-02-30",
           "note": "a\nb", "colour": "blue"}
    errors = S.expect_field_errors(s.patch(path, json={"name": "renamed", "properties": bad}),
                                   *[f"properties.{k}" for k in bad])
    assert len(errors) == len(bad), errors
    # A date of the right form that no calendar has says so (round 10).
    assert [v for k, v in errors.items() if k.endswith("renewal")] == [
        "is not a calendar date (YYYY-MM-DD)"], errors
    assert sql.account(child.id)["version"] == version
    assert sql.account(child.id)["name"] == child.name
    assert value_rows(sql, child.id) == rows
    # A required property cannot be removed; another can (null).
    S.expect_field_errors(s.patch(path, json={"properties": {"region": None}}), "properties.region")
    b = S.expect(s.patch(path, json={"properties": {"note": None, "loggers": -3}}), 200)
    assert "note" not in b["properties"] and b["properties"]["loggers"] == -3
    # A form sends text: converted by the property's type.
    r = s.form("POST", path, [("_method", "PATCH"), ("properties[loggers]", "40"),
                              ("properties[vip]", "false"), ("properties[region]", "US")])
    b = S.expect(r, 200)
    assert (b["properties"]["loggers"], b["properties"]["vip"], b["properties"]["region"]) == (40, False, "US")
    r = s.form("POST", path, [("_method", "PATCH"), ("properties[loggers]", "0x10")])
    S.expect_field_errors(r, "properties.loggers")
    # The audit row holds the old and the new values.
    last = sql.audit(child.id)[-1]
    assert last["action"] == "account.update"
    assert last["new_value"]["properties"]["region"] == "US"
    assert last["old_value"]["properties"]["region"] == "US" or last["old_value"]["properties"]["loggers"] == -3


def test_required_property_needed_on_first_values(api, sql, make_account, partner_with_properties):
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    r = api(t.admin).patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"note": "x"}})
    S.expect_field_errors(r, "properties.region")
    # `properties: {}` sends properties too: the required ones are checked.
    version = sql.account(child.id)["version"]
    r = api(t.admin).patch(f"{ACCOUNTS}/{child.id}", json={"name": "renamed", "properties": {}})
    S.expect_field_errors(r, "properties.region")
    assert sql.account(child.id)["version"] == version
    assert sql.account(child.id)["name"] == child.name


def test_numbers_come_back_as_they_were_sent(api, sql, make_account, partner_with_properties):
    """A number property shows the shortest text of its value: 19.99, not
    19.989999999999998 (the JSON text, not just the parsed float)."""
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    path = f"{ACCOUNTS}/{child.id}"
    r = s.patch(path, json={"properties": {"region": "EU", "loggers": 19.99}})
    S.expect(r, 200)
    assert '"loggers":19.99' in r.text.replace(" ", ""), r.text
    assert value_rows(sql, child.id)["loggers"][0] == "19.99"
    r = s.form("POST", path, [("_method", "PATCH"), ("properties[loggers]", "0.1")])
    S.expect(r, 200)
    assert '"loggers":0.1' in r.text.replace(" ", ""), r.text
    page = s.get(f"{ACCOUNTS}?parent_id={t.account.id}&sort=loggers")
    S.expect(page, 200)
    assert '"loggers":0.1' in page.text.replace(" ", ""), page.text
    trail = s.get(f"{ACCOUNTS}/{child.id}/audit")
    S.expect(trail, 200)
    assert '"loggers":0.1' in trail.text.replace(" ", ""), trail.text
    assert "0.10000000000000001" not in trail.text and "19.989999999999998" not in trail.text


def test_a_form_repeating_one_property_is_400(api, sql, make_account, partner_with_properties):
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    version = sql.account(child.id)["version"]
    r = api(t.admin).form("POST", f"{ACCOUNTS}/{child.id}",
                          [("_method", "PATCH"), ("properties[region]", "EU"),
                           ("properties[loggers]", "1"), ("properties[loggers]", "2")])
    S.expect_problem(r, 400, "bad-request")
    assert "properties.loggers" in r.json()["detail"]
    assert sql.account(child.id)["version"] == version
    assert value_rows(sql, child.id) == {}


def test_rename_keeps_values_and_delete_removes_them(api, sql, make_account, partner_with_properties):
    t = partner_with_properties
    s = api(t.admin)
    child = make_account(t.admin, "customer", t.account.id)
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"region": "APAC", "note": "n"}}), 200)
    S.expect(s.patch(defs_path(t.account.id, "note"), json={"label": "Remark"}), 200)
    assert S.expect(s.get(f"{ACCOUNTS}/{child.id}"), 200)["properties"]["note"] == "n"
    # An option in use cannot be dropped; an unused one can.
    S.expect_problem(s.patch(defs_path(t.account.id, "region"), json={"options": ["EU", "US"]}), 409)
    S.expect(s.patch(defs_path(t.account.id, "region"), json={"options": ["EU", "APAC"]}), 200)
    etag = s.get(f"{ACCOUNTS}/{child.id}").headers["ETag"]
    # A child has a value: the values go only when the DELETE says so
    # (round-20 walkthrough of seed 001, D2).
    S.expect(s.delete(defs_path(t.account.id, "note"), json={"values": "delete"}), 204)
    assert "note" not in value_rows(sql, child.id)
    r = s.get(f"{ACCOUNTS}/{child.id}")
    assert S.expect(r, 200)["properties"] == {"region": "APAC"}
    # The child's properties changed: so did its ETag, and the old one is stale.
    assert r.headers["ETag"] != etag
    S.expect_problem(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": "x"},
                             headers={"If-Match": etag}), 412)
    deleted = [a for a in sql.audit(t.account.id) if a["action"] == "property.delete"]
    assert deleted[-1]["new_value"] == {"key": "note", "values_removed": 1}


def test_overview_shows_sorts_and_filters_by_properties(api, make_account, partner_with_properties):
    t = partner_with_properties
    s = api(t.admin)
    vals = [("EU", 5, True), ("US", 50, False), ("EU", -1, False), ("APAC", 7.5, True)]
    kids = []
    for region, loggers, vip in vals:
        c = make_account(t.admin, "customer", t.account.id)
        S.expect(s.patch(f"{ACCOUNTS}/{c.id}", json={"properties": {"region": region, "loggers": loggers,
                                                                       "vip": vip}}), 200)
        kids.append(c)
    bare = make_account(t.admin, "customer", t.account.id)  # no values at all

    def listing(**params):
        return S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, **params}), 200)["items"]

    items = listing()
    assert [i["id"] for i in items] == [c.id for c in kids] + [bare.id]
    assert items[1]["properties"] == {"region": "US", "loggers": 50, "vip": False}
    assert items[0]["member_count"] == 1 and items[0]["status"] == "active"
    assert [i["properties"] for i in items] == [
        {"region": r, "loggers": n, "vip": v} for r, n, v in vals] + [{}]
    # A page of children without values asks for no values.
    assert [(i["id"], i["properties"]) for i in listing(sort="loggers", limit=1)] == [(bare.id, {})]
    # Numbers sort as numbers (-1 < 5 < 7.5 < 50), missing values first.
    assert [i["id"] for i in listing(sort="loggers")] == [bare.id, kids[2].id, kids[0].id, kids[3].id, kids[1].id]
    assert [i["id"] for i in listing(sort="-loggers")] == [kids[1].id, kids[3].id, kids[0].id, kids[2].id, bare.id]
    assert [i["id"] for i in listing(**{"filter[region]": "EU"})] == [kids[0].id, kids[2].id]
    assert [i["id"] for i in listing(**{"filter[region]": "EU", "filter[vip]": "true"})] == [kids[0].id]
    assert [i["id"] for i in listing(**{"filter[loggers]": "7.50"})] == [kids[3].id]
    assert listing(**{"filter[status]": "staged"}) == []
    assert [i["id"] for i in listing(sort="-status", limit=2)] == sorted([c.id for c in kids + [bare]], key=int, reverse=True)[:2]
    S.expect_field_errors(s.get(ACCOUNTS, params={"parent_id": t.account.id, "filter[region]": "MARS"}),
                          "filter[region]")
    S.expect_field_errors(s.get(ACCOUNTS, params={"parent_id": t.account.id, "filter[colour]": "x"}),
                          "filter[colour]")
    S.expect_field_errors(s.get(ACCOUNTS, params={"parent_id": t.account.id, "sort": "colour"}), "sort")
    S.expect_field_errors(s.get(ACCOUNTS, params={"parent_id": t.account.id, "sort": "member_count"}), "sort")
    # Paging by a property with ties: every row once.
    seen, cursor = [], None
    while True:
        params = {"sort": "region", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, **params}), 200)
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen, key=int) == sorted([c.id for c in kids + [bare]], key=int)
    regions = [next(c for c in kids + [bare] if c.id == i) for i in seen]
    assert seen[0] == bare.id and len(set(seen)) == len(seen), regions
    # A value set since shows at once (the write drops the page's cached read).
    assert [(i["id"], i["properties"]) for i in listing(sort="-id", limit=1)] == [(bare.id, {})]
    S.expect(s.patch(f"{ACCOUNTS}/{bare.id}", json={"properties": {"region": "EU"}}), 200)
    assert [(i["id"], i["properties"]) for i in listing(sort="-id", limit=1)] == [(bare.id, {"region": "EU"})]


def test_who_may_define_and_who_sees_the_rows(api, make_account, make_person, set_roles, make_tenant,
                                              partner_with_properties, anon):
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    # A second partner admin who is no member of the child: sees its row and
    # its properties, cannot enter it (403).
    other_admin = make_person(prefix="pa")
    set_roles(t.admin, t.account.id, other_admin, ["admin"])
    rows = S.expect(api(other_admin).get(ACCOUNTS, params={"parent_id": t.account.id}), 200)["items"]
    assert child.id in [i["id"] for i in rows]
    S.expect_problem(api(other_admin).get(f"{ACCOUNTS}/{child.id}"), 403, "forbidden")
    S.expect_problem(api(other_admin).patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"region": "EU"}}), 403)
    S.expect_problem(api(other_admin).get(f"{ACCOUNTS}/{child.id}/members"), 403)
    # billing and member of the partner: may not define; billing reads the
    # definitions (round-16 walkthrough of seed 001, D3), a member does not.
    for role in ("billing", "member"):
        p = make_person(prefix="pr")
        set_roles(t.admin, t.account.id, p, [role])
        if role == "billing":
            S.expect(api(p).get(defs_path(t.account.id)), 200)
        else:
            S.expect_problem(api(p).get(defs_path(t.account.id)), 403)
        S.expect_problem(api(p).post(defs_path(t.account.id), json={"key": "k", "label": "K", "type": "text"}), 403)
    # service-provider may.
    sp = make_person(prefix="ps")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    define(api, sp, t.account.id, key="sp_made", label="SP", type="text")
    # Another tenant: 404; anonymous: 401.
    other = make_tenant("pother")
    S.expect_problem(api(other.admin).get(defs_path(t.account.id)), 404)
    S.expect_problem(api(other.admin).delete(defs_path(t.account.id, "vip")), 404)
    S.expect_problem(anon.get(defs_path(t.account.id)), 401)
    # A customer has no children to define properties for.
    S.expect_problem(api(t.admin).post(defs_path(child.id), json={"key": "k", "label": "K", "type": "text"}),
                     409, "conflict")


def test_one_definition_is_read_where_its_create_points(api, make_person, set_roles, make_tenant,
                                                       partner_with_properties, anon):
    """Round-8 walkthrough of seed 001: the create's Location
    (…/property-definitions/{key}) answered 405. GET there answers the one
    definition exactly as the list shows it, to whoever may read the list
    (admins and service providers of the partner); an unknown key is 404."""
    t = partner_with_properties
    s = api(t.admin)
    listed = S.expect(s.get(defs_path(t.account.id)), 200)["items"]
    for item in listed:
        assert S.expect(s.get(defs_path(t.account.id, item["key"])), 200) == item
    created, r = define(api, t.admin, t.account.id, key="tier", label="Tier", type="select",
                        options=["gold", "silver"])
    got = S.expect(s.get(r.headers["Location"]), 200)
    assert got == created == {"key": "tier", "label": "Tier", "type": "select",
                              "options": ["gold", "silver"], "required": False, "version": 1}
    assert got == S.expect(s.get(defs_path(t.account.id)), 200)["items"][-1]
    assert s.head(r.headers["Location"]).status_code == 200
    # A change shows at once; a deleted one is gone.
    S.expect(s.patch(defs_path(t.account.id, "tier"), json={"label": "Level", "required": True}), 200)
    assert S.expect(s.get(defs_path(t.account.id, "tier")), 200)["label"] == "Level"
    S.expect(s.delete(defs_path(t.account.id, "tier")), 204)
    body = S.expect_problem(s.get(defs_path(t.account.id, "tier")), 404, "not-found")
    assert body["detail"] == "no such property"
    S.expect_problem(s.get(defs_path(t.account.id, "Not-A-Key")), 404, "not-found")
    # The roles of the list: a service provider and (round-16 walkthrough
    # of seed 001, D3) a billing person read it, a member gets 403, another
    # tenant 404 and nobody 401.
    for role in ("service-provider", "billing"):
        reader = make_person(prefix="pg")
        set_roles(t.admin, t.account.id, reader, [role])
        assert S.expect(api(reader).get(defs_path(t.account.id, "region")), 200) == listed[0]
    p = make_person(prefix="pg")
    set_roles(t.admin, t.account.id, p, ["member"])
    S.expect_problem(api(p).get(defs_path(t.account.id, "region")), 403, "forbidden")
    other = make_tenant("pgother")
    body = S.expect_problem(api(other.admin).get(defs_path(t.account.id, "region")), 404)
    assert body["detail"] == "no such account", body
    S.expect_problem(anon.get(defs_path(t.account.id, "region")), 401)


def test_the_partners_billing_people_read_the_definitions_of_their_table(api, sql, make_account, make_person,
                                                                         set_roles, make_tenant,
                                                                         partner_with_properties, anon):
    """Round-16 walkthrough of seed 001, D3: the partner's billing person
    reads the overview table's property columns (round-15, seed 002, D1)
    but got 403 on the definitions that name them (labels, types, select
    options for filter[...]). They read the list and each definition as
    an admin does; creating, changing and deleting one stays admin or
    service-provider (403, nothing changed). A member of the partner is
    still 403, another tenant 404, nobody 401."""
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"region": "EU"}}), 200)
    bill = make_person(prefix="pbill")
    set_roles(t.admin, t.account.id, bill, ["billing"])
    rows = S.expect(api(bill).get(ACCOUNTS, params={"parent_id": t.account.id}), 200)["items"]
    assert [i["properties"] for i in rows if i["id"] == child.id] == [{"region": "EU"}], rows
    listed = S.expect(api(t.admin).get(defs_path(t.account.id)), 200)
    assert S.expect(api(bill).get(defs_path(t.account.id)), 200) == listed
    region = S.expect(api(bill).get(defs_path(t.account.id, "region")), 200)
    assert region["label"] == "Region" and region["options"] == ["EU", "US", "APAC"], region
    assert region == S.expect(api(t.admin).get(defs_path(t.account.id, "region")), 200)
    S.expect_problem(api(bill).get(defs_path(t.account.id, "nope")), 404, "not-found")
    before = sql.rows("SELECT prop_key, label, version FROM property_definitions WHERE account_id=%s"
                      " ORDER BY prop_key", int(t.account.id))
    for method, path, body in (("POST", defs_path(t.account.id), {"key": "billmade", "label": "B", "type": "text"}),
                               ("PATCH", defs_path(t.account.id, "region"), {"label": "Billed"}),
                               ("DELETE", defs_path(t.account.id, "note"), None)):
        problem = S.expect_problem(api(bill).request(method, path, json=body), 403, "forbidden")
        assert problem["detail"] == ("your role in this account does not allow this: it needs admin or"
                                     " service-provider; ask an administrator of the account"), (method, problem)
    assert sql.rows("SELECT prop_key, label, version FROM property_definitions WHERE account_id=%s"
                    " ORDER BY prop_key", int(t.account.id)) == before
    member = make_person(prefix="pmem")
    set_roles(t.admin, t.account.id, member, ["member"])
    other = make_tenant("pbother")
    for path in (defs_path(t.account.id), defs_path(t.account.id, "region")):
        S.expect_problem(api(member).get(path), 403, "forbidden")
        S.expect_problem(api(other.admin).get(path), 404, "not-found")
        S.expect_problem(anon.get(path), 401)


def test_a_taken_key_and_an_option_in_use_are_marked_on_their_fields(api, sql, make_account,
                                                                    partner_with_properties):
    """Round-8 walkthrough of seed 001: the 409 of a duplicate key and of
    dropping a select option a child still has carry errors.key and
    errors.options, so that the form marks the field (and error_to gets
    errors[key] / errors[options]); nothing changes."""
    from urllib.parse import parse_qsl, urlsplit
    t = partner_with_properties
    s = api(t.admin)
    body = S.expect_problem(s.post(defs_path(t.account.id),
                                   json={"key": "note", "label": "Other", "type": "number"}),
                            409, "conflict")
    assert body["errors"] == {"key": "is taken: the account has a property with this key"}, body
    front = S.ORIGIN + "/columns"
    r = s.form("POST", defs_path(t.account.id), [("key", "note"), ("label", "Other"),
                                                 ("type", "text"), ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert (q["status"], q["error"], q["errors[key]"], q["values[key]"]) == (
        "409", "conflict", "is taken: the account has a property with this key", "note"), q
    note = [d for d in S.expect(s.get(defs_path(t.account.id)), 200)["items"] if d["key"] == "note"]
    assert note == [{"key": "note", "label": "Note", "type": "text", "required": False, "version": 1}], note
    # An option a child has as its value stays.
    child = make_account(t.admin, "customer", t.account.id)
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"region": "APAC"}}), 200)
    body = S.expect_problem(s.patch(defs_path(t.account.id, "region"), json={"options": ["EU", "US"]}),
                            409, "conflict")
    # how to move those values on (round-20 walkthrough of seed 001, D2)
    keep = ("must keep 'APAC': it is the value of 1 account(s); rename it (rename_options) to move"
            " those values to another option")
    assert body["errors"] == {"options": keep}, body
    assert "APAC" in body["detail"] and "filter[region]" in body["detail"], body
    r = s.form("POST", defs_path(t.account.id, "region"), [
        ("_method", "PATCH"), ("options", "EU"), ("options", "US"), ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True)
    assert dict(q)["errors[options]"] == keep, q
    assert [v for k, v in q if k == "values[options][]"] == ["EU", "US"], q
    assert S.expect(s.get(defs_path(t.account.id, "region")), 200)["options"] == ["EU", "US", "APAC"]
    # Other 409s keep no errors: a customer defines nothing.
    body = S.expect_problem(s.post(defs_path(child.id), json={"key": "k", "label": "K", "type": "text"}),
                            409, "conflict")
    assert "errors" not in body, body


def test_ten_thousand_children_page_correctly_while_children_are_added(api, sql, make_tenant):
    """10,000 children inserted in SQL; pages of 200 by id, by name
    descending and by a property, while a thread adds children: each
    original child exactly once, no row twice."""
    t = make_tenant("bulk")
    s = api(t.admin)
    _, _ = define(api, t.admin, t.account.id, key="tier", label="Tier", type="number")
    def_id = sql.value("SELECT id FROM property_definitions WHERE account_id=%s AND prop_key='tier'",
                       int(t.account.id))
    pid = int(t.account.id)
    sql.rows("INSERT INTO accounts (kind, parent_id, name, status, created_by, ldap_state)"
             " SELECT 'customer', %s, CONCAT('bulk-', LPAD(seq, 5, '0')), 'active', 'test', 'done'"
             " FROM seq_1_to_10000", pid)
    sql.rows("INSERT INTO account_property_values (account_id, definition_id, value, sort_key)"
             " SELECT id, %s, CAST(id MOD 7 AS CHAR), CONCAT('T', id MOD 7) FROM accounts WHERE parent_id=%s",
             def_id, pid)
    original = {str(r["id"]) for r in sql.rows("SELECT id FROM accounts WHERE parent_id=%s", pid)}
    assert len(original) == 10000

    stop = threading.Event()
    added = []

    def adder():
        n = 0
        while not stop.is_set():
            n += 1
            sql_local = S.Sql(__import__("pymysql").connect(
                unix_socket=S.os.environ["SQL_SOCKET"], user="root", password="",
                database=S.os.environ["SQL_DATABASE"], autocommit=True,
                cursorclass=__import__("pymysql").cursors.DictCursor))
            for k in range(20):
                sql_local.rows("INSERT INTO accounts (kind, parent_id, name, status, created_by, ldap_state)"
                               " VALUES ('customer', %s, %s, 'active', 'test', 'done')",
                               pid, f"bulk-{k % 3}-added-{n}")
                added.append(1)
            sql_local.conn.close()
            stop.wait(0.05)

    th = threading.Thread(target=adder)
    th.start()
    try:
        for sort in ("id", "-name", "tier"):
            seen, cursor = [], None
            while True:
                params = {"parent_id": t.account.id, "limit": 200, "sort": sort}
                if cursor:
                    params["cursor"] = cursor
                body = S.expect(s.get(ACCOUNTS, params=params), 200)
                seen += [i["id"] for i in body["items"]]
                cursor = body["next_cursor"]
                if not cursor:
                    break
            assert len(seen) == len(set(seen)), f"{sort}: a row came twice"
            missing = original - set(seen)
            assert not missing, f"{sort}: {len(missing)} rows missing"
    finally:
        stop.set()
        th.join()
    assert added, "no child was added during the paging"


def test_linemetrics_partner_story(api, sql, ldap_admin, make_tenant, make_person, set_roles,
                                   invitation_mail):
    """Seed 001 end to end: the partner creates a customer account (the
    creator is its admin), defines properties that appear as columns,
    fills them in the account, invites a new member by e-mail (registration
    link); the overview shows the values and the member count; a partner
    colleague who is no member sees the row but cannot enter."""
    t = make_tenant("lm")
    s = api(t.admin)
    S.expect(s.post(defs_path(t.account.id), json={"key": "standort", "label": "Standort",
                                                    "type": "text", "required": True}), 201)
    S.expect(s.post(defs_path(t.account.id), json={"key": "paket", "label": "Paket", "type": "select",
                                                    "options": ["Basic", "Pro"]}), 201)
    created = S.expect(s.post(ACCOUNTS, json={"kind": "customer", "name": S.unique("it-lm-"),
                                              "parent_id": t.account.id}), 201)
    cid = created["id"]
    assert S.group_members(ldap_admin, cid, "admin") == {S.norm_dn(t.admin.dn)}
    S.expect(s.patch(f"{ACCOUNTS}/{cid}", json={"properties": {"standort": "Graz", "paket": "Pro"}}), 200)
    before = S.outbox_max_id(sql)
    new_mail = S.unique_mail("lm-m-")
    inv = S.expect(s.post(f"{ACCOUNTS}/{cid}/invitations", json={"email": new_mail, "role": "member"}), 202)
    assert inv["status"] == "invited"
    _, token = invitation_mail(new_mail, after=before)
    joined = S.expect(S.accept_invitation(api, token, password="member-pw-12"), 200)
    assert S.norm_dn(S.person_dn(joined["uid"])) in S.group_members(ldap_admin, cid, "member")
    rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "sort": "standort"}), 200)["items"]
    row = [r for r in rows if r["id"] == cid][0]
    assert row["properties"] == {"standort": "Graz", "paket": "Pro"} and row["member_count"] == 2
    colleague = make_person(prefix="lmc")
    set_roles(t.admin, t.account.id, colleague, ["admin"])
    seen = S.expect(api(colleague).get(ACCOUNTS, params={"parent_id": t.account.id,
                                                          "filter[paket]": "Pro"}), 200)["items"]
    assert [r["id"] for r in seen] == [cid]
    S.expect_problem(api(colleague).get(f"{ACCOUNTS}/{cid}/members"), 403)
    S.expect_problem(api(colleague).post(f"{ACCOUNTS}/{cid}/invitations",
                                         json={"email": S.unique_mail(), "role": "member"}), 403)


def test_overview_order_is_bytewise_and_pages_agree(api, sql, make_tenant, make_account):
    """Every sort column and a text property, ascending and descending, in
    pages of 2 and 3 and in one page: the rows come in the documented order
    (the sort value's bytes, then id): names that differ only in case,
    accents or trailing spaces ('Alpha' before 'Alpha ', which a PAD SPACE
    collation would call equal), status by its name (active before staged,
    not the ENUM's order), no plan as ''. Each row once, none missing."""
    t = make_tenant("order")
    s = api(t.admin)
    define(api, t.admin, t.account.id, key="code", label="Code", type="text")
    names = ["Zeta", "alpha", "Alpha", "\u00c4lpha", "Alpha ", "Alpha  ", "Alpha!", "Alpha",
             "Alpha\u00e9", "\u00d6lpha", "alpha "]
    # Text values are stored trimmed (round-14 walkthrough of seed 001,
    # D4): "b " and "b  " are "b".
    codes = ["b", "B", "b ", None, "b", "\u00e4", None, "a", "b  ", "B", None]
    plans = ["pro", None, "basic", "pro", None, "basic ", None, "pro", "basic", None, "pro"]
    kids = []
    for i, name in enumerate(names):
        c = make_account(t.admin, "customer", t.account.id, name=name, **({"staged": True} if i % 4 == 1 else {}))
        if codes[i] is not None:
            S.expect(s.patch(f"{ACCOUNTS}/{c.id}", json={"properties": {"code": codes[i]}}), 200)
        sql.rows("UPDATE accounts SET plan=%s WHERE id=%s", plans[i], int(c.id))
        kids.append(c)
    rows = {str(r["id"]): r for r in sql.rows(
        "SELECT id, name, kind, status, plan, DATE_FORMAT(created_at, '%%Y%%m%%d%%H%%i%%s%%f') AS created"
        " FROM accounts WHERE parent_id=%s", int(t.account.id))}
    assert len(rows) == len(names)
    code_of = {c.id: codes[i] and codes[i].strip() for i, c in enumerate(kids)}
    key = {
        "id": lambda r: b"",
        "name": lambda r: r["name"].encode(),
        "kind": lambda r: r["kind"].encode(),
        "status": lambda r: r["status"].encode(),
        "plan": lambda r: (r["plan"] or "").encode(),
        "created_at": lambda r: r["created"].encode(),
        "code": lambda r: (code_of[str(r["id"])] or "").encode(),
    }
    assert {r["status"] for r in rows.values()} == {"active", "staged"}

    def pages(sort, limit):
        seen, cursor = [], None
        while True:
            params = {"parent_id": t.account.id, "limit": limit, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            body = S.expect(s.get(ACCOUNTS, params=params), 200)
            assert len(body["items"]) <= limit
            seen += [i["id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                return seen, body

    for column, k in key.items():
        for desc in (False, True):
            sort = ("-" if desc else "") + column
            want = sorted(rows, key=lambda i: (k(rows[i]), int(i)), reverse=desc)
            whole, body = pages(sort, 200)
            assert whole == want, (sort, [rows[i]["name"] for i in whole], [rows[i]["name"] for i in want])
            for limit in (2, 3):
                assert pages(sort, limit)[0] == want, (sort, limit)
    # The rows show what the table holds, properties included.
    items = {i["id"]: i for i in pages("name", 200)[1]["items"]}
    for i, c in enumerate(kids):
        assert items[c.id]["name"] == names[i] and items[c.id]["plan"] == plans[i]
        assert items[c.id]["properties"] == ({} if codes[i] is None else {"code": codes[i].strip()})


@pytest.mark.parametrize("blank", ["   ", "\u00a0", " \u3000\u200b "])
def test_blank_labels_names_and_required_text_are_refused(api, sql, make_tenant, make_account,
                                                          blank):
    """Round 3, seed 001 D4: a label, an account name or a required text
    value made only of spaces showed as nothing in the partner's table; it
    is 422 "must not be empty" (a required text: "is required") and
    nothing is written."""
    t = make_tenant("blank")
    s = api(t.admin)
    body = S.expect_field_errors(s.post(defs_path(t.account.id), json={
        "key": "leer", "label": blank, "type": "text"}), "label")
    assert body["label"] == "must not be empty", body
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s",
                     int(t.account.id)) == 0
    define(api, t.admin, t.account.id, key="notiz", label="Notiz", type="text", required=True)
    define(api, t.admin, t.account.id, key="memo", label="Memo", type="text")
    body = S.expect_field_errors(s.patch(defs_path(t.account.id, "notiz"), json={"label": blank}),
                                 "label")
    assert S.expect(s.get(defs_path(t.account.id)), 200)["items"][0]["label"] == "Notiz"
    # Account names: creating and renaming.
    errors = S.expect_field_errors(s.post(ACCOUNTS, json={
        "kind": "customer", "name": blank, "parent_id": str(t.account.id)}), "name")
    assert errors["name"] == "must not be empty", errors
    assert sql.count_accounts(parent_id=int(t.account.id)) == 0
    child = make_account(t.admin, "customer", t.account.id)
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"notiz": "Wien"}}), 200)
    version = sql.account(child.id)["version"]
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": blank}),
                                   "name")
    assert errors["name"] == "must not be empty", errors
    # A required text of spaces is missing; another text's is empty.
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={
        "properties": {"notiz": blank, "memo": blank}}), "properties.notiz", "properties.memo")
    assert errors["properties.notiz"] == "is required (Notiz)", errors
    assert errors["properties.memo"] == "must not be empty", errors
    # A form's blank value is an empty one: it removes a value, so a
    # required one is missing.
    r = s.form("POST", f"{ACCOUNTS}/{child.id}", [("_method", "PATCH"),
                                                   ("properties[notiz]", blank)])
    assert S.expect_field_errors(r, "properties.notiz")["properties.notiz"] == "is required (Notiz)"
    assert sql.account(child.id)["version"] == version
    assert sql.account(child.id)["name"] == child.name
    assert value_rows(sql, child.id)["notiz"][0] == "\"Wien\""
    # Projects are named too.
    errors = S.expect_field_errors(s.post(f"{ACCOUNTS}/{t.account.id}/projects",
                                          json={"name": blank}), "name")
    assert errors["name"] == "must not be empty", errors
    # Spaces around a name are kept as they were (only a blank one is refused).
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": " Alpha "}), 200)


def test_a_joiner_inside_a_word_is_part_of_the_name(api, sql, make_tenant, make_account):
    """A zero-width non-joiner or joiner between two visible characters is
    how a Persian word or an emoji sequence is written: the name is taken
    and stored as typed. At either end, or next to a space, it shows as
    nothing and is refused as the other format characters are (the merge
    of round 25's D1 of seed 004)."""
    t = make_tenant("r25zj")
    s = api(t.admin)
    child = make_account(t.admin, "customer", t.account.id)
    for name in ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 GmbH", "Dev \U0001f469\u200d\U0001f4bb Shop"):
        S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": name}), 200)
        assert sql.account(child.id)["name"] == name
    for name, code in (("Gadgets\u200d", "U+200D"), ("\u200cGadgets", "U+200C"), ("Gad \u200cgets", "U+200C")):
        errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": name}), "name")
        assert code in errors["name"], errors
    assert sql.account(child.id)["name"].startswith("Dev ")


@pytest.mark.parametrize("ch,code", [("\u200b", "U+200B (zero-width space)"),
                                     ("\ufeff", "U+FEFF (zero-width no-break space)"),
                                     ("\u2060", "U+2060 (word joiner)"),
                                     ("\u202e", "U+202E (bidirectional formatting character)")])
def test_names_refuse_invisible_format_characters(api, sql, make_tenant, make_account, make_person,
                                                  set_roles, ch, code):
    """Round-25 walkthrough of seed 004, D1: an account name with a trailing
    U+200B was stored, and its contacts were mailed "name: X -> X". A name
    (an account's on create and PATCH, a project's on create and PATCH, a
    property's label on create and PATCH) with an invisible format
    character anywhere is 422 naming its position and code point, and
    nothing is written; a name of only blank and zero-width space stays
    "must not be empty" (round 3). A member's PATCH stays 403 and another
    tenant's 404, whatever the name."""
    t = make_tenant("r25fc")
    s = api(t.admin)
    why = f"must not contain invisible formatting characters: character 8 is {code}, which shows as nothing"
    # Account: create, PATCH.
    errors = S.expect_field_errors(s.post(ACCOUNTS, json={
        "kind": "customer", "name": "Gadgets" + ch, "parent_id": str(t.account.id)}), "name")
    assert errors["name"] == why, errors
    assert sql.count_accounts(parent_id=int(t.account.id)) == 0
    child = make_account(t.admin, "customer", t.account.id)
    version = sql.account(child.id)["version"]
    before = S.outbox_max_id(sql)
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": "Gadgets" + ch}), "name")
    assert errors["name"] == why, errors
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": "Gad" + ch + "gets"}),
                                   "name")
    assert "character 4 is " + code in errors["name"], errors
    # By form too.
    r = s.form("POST", f"{ACCOUNTS}/{child.id}", [("_method", "PATCH"), ("name", "Gadgets" + ch)])
    assert S.expect_field_errors(r, "name")["name"] == why
    assert sql.account(child.id)["version"] == version
    assert sql.account(child.id)["name"] == child.name
    assert S.outbox_mails(sql, account_id=child.id, after_id=before) == []
    m = make_person(prefix="r25fm")
    set_roles(t.admin, child.id, m, ["member"])
    S.expect_problem(api(m).patch(f"{ACCOUNTS}/{child.id}", json={"name": "Gadgets" + ch}), 403)
    S.expect_problem(api(make_tenant("r25fc-o").admin).patch(f"{ACCOUNTS}/{child.id}",
                                                            json={"name": "Gadgets" + ch}), 404)
    # Only blank and zero-width space: still "must not be empty".
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": " \u200b "}), "name")
    assert errors["name"] == "must not be empty", errors
    # Project: create, PATCH.
    path = f"{ACCOUNTS}/{t.account.id}/projects"
    errors = S.expect_field_errors(s.post(path, json={"name": "Kunde V" + ch + "ier"}), "name")
    assert errors["name"] == why, errors
    assert sql.value("SELECT COUNT(*) FROM projects WHERE account_id=%s", int(t.account.id)) == 0
    pr = S.expect(s.post(path, json={"name": "Kunde Vier"}), 201)
    errors = S.expect_field_errors(s.patch(f"/api/v1/projects/{pr['id']}", json={"name": "Kunde V" + ch + "ier"}),
                                   "name")
    assert errors["name"] == why, errors
    assert sql.row("SELECT name FROM projects WHERE id=%s", int(pr["id"]))["name"] == "Kunde Vier"
    # Property label: create, PATCH.
    errors = S.expect_field_errors(s.post(defs_path(t.account.id), json={
        "key": "site", "label": "Standort" + ch, "type": "text"}), "label")
    assert errors["label"] == (f"must not contain invisible formatting characters: character 9 is {code},"
                               " which shows as nothing"), errors
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s", int(t.account.id)) == 0
    define(api, t.admin, t.account.id, key="site", label="Standort", type="text")
    errors = S.expect_field_errors(s.patch(defs_path(t.account.id, "site"), json={"label": ch + "Standort"}),
                                   "label")
    assert "character 1 is " + code in errors["label"], errors
    assert S.expect(s.get(defs_path(t.account.id)), 200)["items"][0]["label"] == "Standort"
    # Visible names are fine.
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"name": "G\u00e4dgets \u2014 Zwei"}), 200)


def test_deleting_a_definition_audits_each_child_that_lost_a_value(api, sql, make_account,
                                                                   partner_with_properties):
    """Round 3, seed 001 D7: the children whose value went had no audit
    row, and the old value was recorded nowhere."""
    t = partner_with_properties
    s = api(t.admin)
    define(api, t.admin, t.account.id, key="aktiv", label="Aktiv", type="boolean")
    kids = [make_account(t.admin, "customer", t.account.id) for _ in range(3)]
    S.expect(s.patch(f"{ACCOUNTS}/{kids[0].id}", json={"properties": {"region": "EU",
                                                                     "aktiv": True}}), 200)
    S.expect(s.patch(f"{ACCOUNTS}/{kids[1].id}", json={"properties": {"region": "US",
                                                                     "aktiv": False}}), 200)
    before = {k.id: len(sql.audit(k.id)) for k in kids}
    S.expect(s.delete(defs_path(t.account.id, "aktiv"), json={"values": "delete"}), 204)
    for kid, old in ((kids[0], True), (kids[1], False)):
        rows = sql.audit(kid.id)[before[kid.id]:]
        assert len(rows) == 1, rows
        row = rows[0]
        assert row["action"] == "property.delete" and row["uid"] == t.admin.uid, row
        assert row["old_value"] == {"key": "aktiv", "value": old}, row
        assert row["new_value"] == {"key": "aktiv", "value": None,
                                    "partner_id": int(t.account.id)}, row
        # The child's own trail shows it through the API (ids as strings).
        trail = S.expect(s.get(f"{ACCOUNTS}/{kid.id}/audit"), 200)["items"]
        assert trail[0]["action"] == "property.delete", trail[0]
        assert trail[0]["old_value"] == {"key": "aktiv", "value": old}, trail[0]
    # A child without a value gets no row; the partner's row counts two.
    assert len(sql.audit(kids[2].id)) == before[kids[2].id]
    deleted = [a for a in sql.audit(t.account.id) if a["action"] == "property.delete"]
    assert deleted[-1]["new_value"] == {"key": "aktiv", "values_removed": 2}


def test_overview_filters_by_status_and_plan_only_known_values(api, make_account, make_tenant):
    """Round 3, seed 001 D8: filter[status]=bogus and filter[plan]=gold
    answered an empty table; they are 422 naming the allowed values."""
    t = make_tenant("fvals")
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    errors = S.expect_field_errors(s.get(ACCOUNTS, params={
        "parent_id": t.account.id, "filter[status]": "bogus"}), "filter[status]")
    assert errors["filter[status]"] == "must be one of active, staged, suspended, closed", errors
    errors = S.expect_field_errors(s.get(ACCOUNTS, params={
        "parent_id": t.account.id, "filter[plan]": "gold"}), "filter[plan]")
    assert errors["filter[plan]"] == ("must be a plan of the catalog: basic, free, standard, "
                                      "starter, professional, enterprise"), errors
    # Known values filter as before.
    got = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id,
                                           "filter[status]": "active"}), 200)["items"]
    assert [i["id"] for i in got] == [child.id]
    assert S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id,
                                            "filter[plan]": "starter"}), 200)["items"] == []


def test_the_overview_table_names_every_bad_parameter_at_once(api, partner_with_properties):
    """Round-13 walkthrough of seed 003, D4: a bad limit or cursor was
    named alone, and a bad sort or filter only in the next answer. One 422
    names them all."""
    t = partner_with_properties
    s = api(t.admin)
    for params, fields in (
            ({"sort": "bogus", "limit": "0"}, {"sort", "limit"}),
            ({"sort": "bogus", "cursor": "zz"}, {"sort", "cursor"}),
            ({"limit": "0", "cursor": "zz", "sort": "bogus", "filter[nope]": "1"},
             {"limit", "cursor", "sort", "filter[nope]"})):
        r = s.get(ACCOUNTS, params={"parent_id": t.account.id, **params})
        errors = S.expect_problem(r, 422, "validation")["errors"]
        assert set(errors) == fields, (params, errors)


def sheet_path(account_id):
    return f"{ACCOUNTS}/{account_id}/properties"


def test_whoever_reads_a_child_reads_the_definitions_that_apply_to_it(
        api, sql, make_account, make_person, set_roles, make_tenant, operator_id,
        partner_with_properties, anon):
    """Round-14 walkthrough of seed 001, D1: the customer's admin (no role
    in the partner) was told "properties.kundennr: is required" but could
    not read the partner's definitions (404), and the child's own
    …/property-definitions list is empty. GET /accounts/{child}/properties
    answers the parent's definitions with the child's values, to whoever
    may read the account (GET /accounts/{id}'s roles); the 422 names the
    label."""
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    S.expect(api(t.admin).patch(f"{ACCOUNTS}/{child.id}",
                                json={"properties": {"region": "EU", "loggers": 12}}), 200)
    define(api, t.admin, t.account.id, key="kundennr", label="Kundennummer", type="text",
           required=True)
    lena = make_person(prefix="lena")
    set_roles(t.admin, child.id, lena, ["admin"])
    # Her edit is refused with the label of what is missing.
    r = api(lena).patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"vip": False}})
    errors = S.expect_field_errors(r, "properties.kundennr")
    assert errors["properties.kundennr"] == "is required (Kundennummer)", errors
    # The definitions are still the partner's alone.
    S.expect_problem(api(lena).get(defs_path(t.account.id)), 404)
    # Her account's sheet: every definition in order, with its value.
    r = api(lena).get(sheet_path(child.id))
    body = S.expect(r, 200)
    items = body["items"]
    assert [i["key"] for i in items] == ["region", "loggers", "vip", "renewal", "note", "kundennr"]
    assert body["next_cursor"] is None
    assert items[0] == {"key": "region", "label": "Region", "type": "select",
                        "options": ["EU", "US", "APAC"], "required": True, "version": 1,
                        "value": "EU"}
    assert items[1]["value"] == 12 and items[2]["value"] is None
    assert items[5] == {"key": "kundennr", "label": "Kundennummer", "type": "text",
                        "required": True, "version": 1, "value": None}
    # The definitions' fields are those of the partner's list.
    listed = S.expect(api(t.admin).get(defs_path(t.account.id)), 200)["items"]
    assert [{k: v for k, v in i.items() if k != "value"} for i in items] == listed
    # Its ETag is the account's: the one her PATCH sends.
    etag = r.headers["ETag"]
    assert etag == api(lena).get(f"{ACCOUNTS}/{child.id}").headers["ETag"]
    r = api(lena).patch(f"{ACCOUNTS}/{child.id}",
                        json={"properties": {"vip": False, "kundennr": "K-100"}},
                        headers={"If-Match": etag})
    S.expect(r, 200)
    S.expect_problem(api(lena).patch(f"{ACCOUNTS}/{child.id}", json={"name": "x"},
                                     headers={"If-Match": etag}), 412)
    r = api(lena).get(sheet_path(child.id))
    got = {i["key"]: i["value"] for i in S.expect(r, 200)["items"]}
    assert got == {"region": "EU", "loggers": 12, "vip": False, "renewal": None, "note": None,
                   "kundennr": "K-100"}
    assert r.headers["ETag"] != etag
    head = api(lena).head(sheet_path(child.id))
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"] == r.headers["ETag"]
    # Pages as the definitions list does.
    page = S.expect(api(lena).get(sheet_path(child.id), params={"limit": 2}), 200)
    assert [i["key"] for i in page["items"]] == ["region", "loggers"] and page["next_cursor"]
    S.expect_field_errors(api(lena).get(sheet_path(child.id), params={"bogus": "1"}), "bogus")
    # A member and a service provider of the child read it too (the
    # account's readers; values are part of the account: D2).
    for role in ("member", "service-provider", "billing"):
        p = make_person(prefix="pv")
        set_roles(t.admin, child.id, p, [role])
        assert [i["key"] for i in S.expect(api(p).get(sheet_path(child.id)), 200)["items"]] == \
            [i["key"] for i in items], role
    # A partner admin who is no member of the child: 403, as for the
    # account itself (the overview table shows them the values).
    pete = make_person(prefix="pete")
    set_roles(t.admin, t.account.id, pete, ["admin"])
    S.expect_problem(api(pete).get(f"{ACCOUNTS}/{child.id}"), 403)
    S.expect_problem(api(pete).get(sheet_path(child.id)), 403, "forbidden")
    # The partner's admin who is a member (its creator) and an operator: in.
    assert len(S.expect(api(t.admin).get(sheet_path(child.id)), 200)["items"]) == 6
    assert len(S.expect(api("olivia").get(sheet_path(child.id)), 200)["items"]) == 6
    # Another tenant: 404; anonymous: 401.
    other = make_tenant("pother")
    S.expect_problem(api(other.admin).get(sheet_path(child.id)), 404)
    S.expect_problem(anon.get(sheet_path(child.id)), 401)
    # An account without a parent, and one whose parent defines nothing.
    assert S.expect(api("olivia").get(sheet_path(operator_id)), 200)["items"] == []
    bare = make_tenant("pbare")
    bare_child = make_account(bare.admin, "customer", bare.account.id)
    assert S.expect(api(bare.admin).get(sheet_path(bare_child.id)), 200)["items"] == []


def test_text_values_are_trimmed_and_filter_and_sort_trimmed(api, sql, make_account,
                                                              partner_with_properties):
    """Round-14 walkthrough of seed 001, D4: a text value kept the spaces
    around it (from a form too), sorted ahead of every letter, and
    filter[note]=Wichtiger Kunde did not find it. Text values are stored
    without the spaces, tabs and line breaks around them, from JSON and
    forms; blank text stays empty; filters compare trimmed."""
    t = partner_with_properties
    s = api(t.admin)
    kids = [make_account(t.admin, "customer", t.account.id) for _ in range(3)]
    b = S.expect(s.patch(f"{ACCOUNTS}/{kids[0].id}", json={
        "properties": {"region": "EU", "note": "  Wichtiger Kunde \t"}}), 200)
    assert b["properties"]["note"] == "Wichtiger Kunde"
    r = s.form("POST", f"{ACCOUNTS}/{kids[1].id}", [
        ("_method", "PATCH"), ("properties[region]", "EU"), ("properties[note]", " Alpha \r\n")])
    assert S.expect(r, 200)["properties"]["note"] == "Alpha"
    S.expect(s.patch(f"{ACCOUNTS}/{kids[2].id}", json={
        "properties": {"region": "EU", "note": "Beta"}}), 200)
    assert value_rows(sql, kids[0].id)["note"] == ("\"Wichtiger Kunde\"", b"Wichtiger Kunde")
    assert value_rows(sql, kids[1].id)["note"] == ("\"Alpha\"", b"Alpha")
    # Spaces inside stay; blank text stays empty (JSON 422, a form removes).
    b = S.expect(s.patch(f"{ACCOUNTS}/{kids[2].id}", json={
        "properties": {"note": " Beta  Gamma "}}), 200)
    assert b["properties"]["note"] == "Beta  Gamma"
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{kids[2].id}", json={
        "properties": {"note": " \t\n "}}), "properties.note")
    assert errors["properties.note"] == "must not be empty", errors
    r = s.form("POST", f"{ACCOUNTS}/{kids[2].id}", [("_method", "PATCH"),
                                                    ("properties[note]", " \r\n")])
    assert "note" not in S.expect(r, 200)["properties"]
    S.expect(s.patch(f"{ACCOUNTS}/{kids[2].id}", json={"properties": {"note": "Beta"}}), 200)

    def listing(**params):
        return [i["id"] for i in S.expect(s.get(ACCOUNTS, params={
            "parent_id": t.account.id, **params}), 200)["items"]]

    # Sorted by the trimmed text: Alpha < Beta < Wichtiger Kunde.
    assert listing(sort="note") == [kids[1].id, kids[2].id, kids[0].id]
    assert listing(sort="-note") == [kids[0].id, kids[2].id, kids[1].id]
    # A filter finds it, and compares its own value trimmed.
    assert listing(**{"filter[note]": "Wichtiger Kunde"}) == [kids[0].id]
    assert listing(**{"filter[note]": "  Wichtiger Kunde "}) == [kids[0].id]
    assert listing(**{"filter[note]": "Alpha"}) == [kids[1].id]
    S.expect_field_errors(s.get(ACCOUNTS, params={"parent_id": t.account.id,
                                                  "filter[note]": "   "}), "filter[note]")
    # A select's value must still match an option exactly.
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{kids[2].id}", json={
        "properties": {"region": " EU"}}), "properties.region")
    assert errors["properties.region"] == "must be one of: EU, US, APAC; did you mean 'EU'?", errors


def test_a_forms_unticked_checkboxes_turn_off(api, sql, make_account, make_person, set_roles,
                                              make_tenant, partner_with_properties):
    """Round-15 walkthrough of seed 001, D1: a browser sends nothing for an
    unticked checkbox, so unticking "VIP" (a boolean property) or a
    definition's "required" and saving answered success and changed
    nothing, and the hidden "off" before the box was 400 (given twice).
    The hidden field _properties_present (repeated: one per checkbox
    property on the page) and _required_present say the box was on the
    page: a listed box that is not sent is false. JSON refuses both."""
    t = partner_with_properties
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    path = f"{ACCOUNTS}/{child.id}"
    S.expect(s.patch(path, json={"properties": {"region": "EU", "vip": True, "note": "x"}}), 200)
    # The box unticked, with another field of the dialog: vip false.
    b = S.expect(s.form("POST", path, [("_method", "PATCH"), ("properties[note]", "y"),
                                       ("_properties_present", "vip")]), 200)
    assert (b["properties"]["vip"], b["properties"]["note"]) == (False, "y"), b
    assert value_rows(sql, child.id)["vip"] == ("false", b"0")
    # Ticked: the box's own value wins.
    b = S.expect(s.form("POST", path, [("_method", "PATCH"), ("properties[vip]", "on"),
                                       ("_properties_present", "vip")]), 200)
    assert b["properties"]["vip"] is True, b
    # Only the unticked box on the page (no properties[...] at all), by a
    # form with return_to: 303 and off.
    r = s.form("POST", path, [("_method", "PATCH"), ("_properties_present", "vip"),
                              ("return_to", S.ORIGIN + "/done/{id}")])
    assert r.status_code == 303 and r.headers["Location"] == f"{S.ORIGIN}/done/{child.id}", r.text
    assert S.expect(s.get(path), 200)["properties"]["vip"] is False
    # A listed key that is no boolean property, or none at all: 422 on it,
    # nothing written.
    version = sql.account(child.id)["version"]
    S.expect_field_errors(s.form("POST", path, [("_method", "PATCH"),
                                                ("_properties_present", "note"),
                                                ("_properties_present", "colour")]),
                          "properties.note", "properties.colour")
    assert sql.account(child.id)["version"] == version
    assert value_rows(sql, child.id)["note"][0] == '"y"'
    # JSON says false itself: the form's field is refused there.
    S.expect_field_errors(s.patch(path, json={"_properties_present": ["vip"]}),
                          "_properties_present")
    # Who may not: a member 403, another tenant 404 (nothing changed).
    member = make_person(prefix="cbm")
    set_roles(t.admin, child.id, member, ["member"])
    other = make_tenant("cbo")
    for who, status in ((member, 403), (other.admin, 404)):
        S.expect_problem(api(who).form("POST", path, [("_method", "PATCH"),
                                                      ("_properties_present", "vip")]), status)
    S.expect(s.patch(path, json={"properties": {"vip": True}}), 200)
    S.expect_problem(api(member).form("POST", path, [("_method", "PATCH"),
                                                     ("_properties_present", "vip")]), 403)
    assert S.expect(s.get(path), 200)["properties"]["vip"] is True

    # The definition's "required" checkbox: unticked with _required_present
    # is false, on create and on PATCH.
    dpath = defs_path(t.account.id, "note")
    S.expect(s.patch(dpath, json={"required": True}), 200)
    got = S.expect(s.form("POST", dpath, [("_method", "PATCH"), ("label", "Notiz"),
                                          ("_required_present", "1")]), 200)
    assert (got["label"], got["required"]) == ("Notiz", False), got
    got = S.expect(s.form("POST", dpath, [("_method", "PATCH"), ("required", "on"),
                                          ("_required_present", "1")]), 200)
    assert got["required"] is True, got
    # Without the hidden field an unsent box still changes nothing.
    got = S.expect(s.form("POST", dpath, [("_method", "PATCH"), ("label", "Note")]), 200)
    assert got["required"] is True, got
    got = S.expect(s.form("POST", defs_path(t.account.id),
                          [("key", "cb_new"), ("label", "Neu"), ("type", "text"),
                           ("_required_present", "1")]), 201)
    assert got["required"] is False, got
    S.expect_field_errors(s.patch(dpath, json={"_required_present": True}), "_required_present")


def test_select_options_are_trimmed_and_blank_or_look_alike_ones_refused(
        api, sql, make_account, make_person, set_roles, make_tenant, partner_with_properties):
    """Round-17 walkthrough of seed 001, D3: options "Gold", "Gold ",
    "gold", "   " and a no-break space were all kept, so the dropdown
    showed "Gold" twice and two empty entries, and the children's values
    split between the look-alikes. Options are trimmed as text values
    are; a blank one is 422 "must not be empty" and one equal to an
    earlier one but for case or the spaces around it is 422, each named
    by its index (errors["options[2]"]), in JSON and forms, on create and
    on edit; nothing is written. A blank JSON value of a select is no
    value: a required one "is required (<label>)", another "must not be
    empty"."""
    from urllib.parse import parse_qsl, urlsplit
    t = partner_with_properties
    s = api(t.admin)
    path = defs_path(t.account.id)
    count = sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s", int(t.account.id))
    errors = S.expect_field_errors(s.post(path, json={
        "key": "paket", "label": "Paket", "type": "select",
        "options": ["Gold", "Gold ", "gold", " Silber"]}), "options[1]", "options[2]")
    assert set(errors) == {"options[1]", "options[2]"}, errors
    assert errors["options[2]"].startswith("is the same as options[0] ('Gold')"), errors
    errors = S.expect_field_errors(s.post(path, json={
        "key": "paket2", "label": "Paket2", "type": "select",
        "options": ["Gold", "   ", "\u00a0", "GOLD\u00a0", "\u00d6sterreich", "\u00f6STERREICH "]}))
    assert errors == {"options[1]": "must not be empty", "options[2]": "must not be empty",
                      "options[3]": errors["options[3]"], "options[5]": errors["options[5]"]}, errors
    assert "options[0]" in errors["options[3]"] and "options[4]" in errors["options[5]"], errors
    # A form alike, through error_to.
    front = S.ORIGIN + "/columns"
    r = s.form("POST", path, [("key", "paket3"), ("label", "Paket3"), ("type", "select"),
                              ("options", "Gold"), ("options", " gold "), ("options", " "),
                              ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert q["errors[options[2]]"] == "must not be empty", q
    assert q["errors[options[1]]"].startswith("is the same as options[0] ('Gold')"), q
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s",
                     int(t.account.id)) == count
    # Trimmed: the spaces, tabs and line breaks around an option go.
    created, _ = define(api, t.admin, t.account.id, key="paket", label="Paket", type="select",
                        options=[" Gold ", "Silber\t", "Bronze"], required=True)
    assert created["options"] == ["Gold", "Silber", "Bronze"], created
    assert json.loads(sql.value("SELECT options FROM property_definitions WHERE account_id=%s"
                                " AND prop_key='paket'", int(t.account.id))) == ["Gold", "Silber", "Bronze"]
    got = S.expect(s.form("POST", path, [("key", "stufe"), ("label", "Stufe"), ("type", "select"),
                                         ("options", "A "), ("options", " B")]), 201)
    assert got["options"] == ["A", "B"], got
    # On edit, in JSON and in a form: refused, the definition unchanged.
    dpath = defs_path(t.account.id, "paket")
    errors = S.expect_field_errors(s.patch(dpath, json={"options": ["Gold", "Silber", "silber", "\u3000"]}))
    assert set(errors) == {"options[2]", "options[3]"}, errors
    errors = S.expect_field_errors(s.form("POST", dpath, [("_method", "PATCH"), ("options", "Gold"),
                                                          ("options", "Silber"), ("options", "GOLD")]))
    assert set(errors) == {"options[2]"}, errors
    assert S.expect(s.get(dpath), 200)["options"] == ["Gold", "Silber", "Bronze"]
    got = S.expect(s.patch(dpath, json={"options": ["Gold", " Silber", "Bronze ", "Platin"]}), 200)
    assert got["options"] == ["Gold", "Silber", "Bronze", "Platin"], got
    # Values: a blank JSON value is no value.
    child = make_account(t.admin, "customer", t.account.id)
    cpath = f"{ACCOUNTS}/{child.id}"
    errors = S.expect_field_errors(s.patch(cpath, json={"properties": {"region": "EU", "paket": "   "}}))
    assert errors == {"properties.paket": "is required (Paket)"}, errors
    S.expect(s.patch(cpath, json={"properties": {"region": "EU", "paket": "Gold"}}), 200)
    # A definition made before this rule may still have a blank option: a
    # blank value is refused all the same (JSON), and removes (a form).
    sql.rows("UPDATE property_definitions SET options=%s WHERE account_id=%s AND prop_key='region'",
             json.dumps(["EU", "US", "APAC", "   ", "\u00a0"]), int(t.account.id))
    define(api, t.admin, t.account.id, key="zone", label="Zone", type="select", options=["Nord"])
    sql.rows("UPDATE property_definitions SET options=%s WHERE account_id=%s AND prop_key='zone'",
             json.dumps(["Nord", "   "]), int(t.account.id))
    version = sql.account(child.id)["version"]
    errors = S.expect_field_errors(s.patch(cpath, json={"properties": {"region": "   ", "zone": "\u00a0"}}))
    assert errors == {"properties.region": "is required (Region)",
                      "properties.zone": "must not be empty"}, errors
    S.expect_field_errors(s.patch(cpath, json={"properties": {"zone": "   "}}), "properties.zone")
    assert sql.account(child.id)["version"] == version
    assert value_rows(sql, child.id)["region"][0] == '"EU"'
    S.expect(s.patch(cpath, json={"properties": {"zone": "Nord"}}), 200)
    b = S.expect(s.form("POST", cpath, [("_method", "PATCH"), ("properties[zone]", "   ")]), 200)
    assert "zone" not in b["properties"], b
    # Who may: a service provider of the partner is held to the same rules;
    # billing and member 403, another tenant 404, nothing written.
    sp = make_person(prefix="psel")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    S.expect_field_errors(api(sp).post(path, json={"key": "sp_sel", "label": "SP", "type": "select",
                                                   "options": ["x", "X "]}), "options[1]")
    assert S.expect(api(sp).post(path, json={"key": "sp_sel", "label": "SP", "type": "select",
                                             "options": ["x ", "y"]}), 201)["options"] == ["x", "y"]
    for role in ("billing", "member"):
        p = make_person(prefix="psel")
        set_roles(t.admin, t.account.id, p, [role])
        S.expect_problem(api(p).post(path, json={"key": "r_sel", "label": "R", "type": "select",
                                                 "options": ["x"]}), 403)
        S.expect_problem(api(p).patch(dpath, json={"options": ["Gold", "gold"]}), 403)
    other = make_tenant("pselother")
    S.expect_problem(api(other.admin).post(path, json={"key": "o_sel", "label": "O", "type": "select",
                                                       "options": ["x"]}), 404)
    S.expect_problem(api(other.admin).patch(dpath, json={"options": ["Gold"]}), 404)
    S.expect_problem(api(other.admin).patch(cpath, json={"properties": {"zone": "   "}}), 404)
    assert S.expect(s.get(dpath), 200)["options"] == ["Gold", "Silber", "Bronze", "Platin"]


def test_a_label_is_taken_by_another_property_of_the_partner_in_any_case(
        api, sql, make_person, set_roles, make_tenant, partner_with_properties):
    """Round-17 walkthrough of seed 001, D4: a second column "Region" was
    accepted, so the table had two columns headed "Region" and "is
    required (Region)" could not tell them apart. A label another property
    of the account has, equal but for case or the spaces around it, is 409
    with errors.label naming that property (as a taken key is 409 with
    errors.key), on create and on rename; nothing changes. Another
    partner's labels do not count; renaming a property to its own label in
    another case does not; labels alike from before do not block the
    dialog that sends the label unchanged."""
    from urllib.parse import parse_qsl, urlsplit
    t = partner_with_properties
    s = api(t.admin)
    path = defs_path(t.account.id)
    taken = "is taken: the account's property 'region' is labelled 'Region'"
    for label in ("Region", "region", " REGION ", "Region\u00a0"):
        body = S.expect_problem(s.post(path, json={"key": "region_alt", "label": label, "type": "text"}),
                                409, "conflict")
        assert body["errors"] == {"label": taken}, body
        assert "region" in body["detail"], body
    # Key and label both taken: both named.
    body = S.expect_problem(s.post(path, json={"key": "note", "label": "data loggers", "type": "text"}),
                            409, "conflict")
    assert body["errors"] == {"key": "is taken: the account has a property with this key",
                              "label": "is taken: the account's property 'loggers' is labelled "
                                       "'Data loggers'"}, body
    # A form, through error_to.
    front = S.ORIGIN + "/columns"
    r = s.form("POST", path, [("key", "region_alt"), ("label", "REGION"), ("type", "text"),
                              ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert (q["status"], q["errors[label]"]) == ("409", taken), q
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s AND prop_key='region_alt'",
                     int(t.account.id)) == 0
    # Another label is fine; so is "Region" at another partner.
    define(api, t.admin, t.account.id, key="region_alt", label="Region (alt)", type="text")
    other = make_tenant("plabel")
    define(api, other.admin, other.account.id, key="region", label="Region", type="text")
    # Renaming to a taken label: 409, in JSON and in a form; unchanged.
    apath = defs_path(t.account.id, "region_alt")
    body = S.expect_problem(s.patch(apath, json={"label": "region "}), 409, "conflict")
    assert body["errors"] == {"label": taken}, body
    r = s.form("POST", apath, [("_method", "PATCH"), ("label", "Region"), ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert (q["status"], q["errors[label]"]) == ("409", taken), q
    got = S.expect(s.get(apath), 200)
    assert (got["label"], got["version"]) == ("Region (alt)", 1), got
    # A property renamed to its own label in another case is no clash.
    got = S.expect(s.patch(defs_path(t.account.id, "region"), json={"label": "REGION"}), 200)
    assert got["label"] == "REGION", got
    # Two labels alike from before this rule: the dialog sends the label
    # unchanged with its other fields, and that goes through.
    sql.rows("UPDATE property_definitions SET label='Region' WHERE account_id=%s AND prop_key='region_alt'",
             int(t.account.id))
    got = S.expect(s.form("POST", apath, [("_method", "PATCH"), ("label", "Region"), ("required", "on")]), 200)
    assert (got["label"], got["required"]) == ("Region", True), got
    # Who may: a service provider is held to it; billing and member 403,
    # another tenant 404.
    sp = make_person(prefix="plab")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    S.expect_problem(api(sp).patch(defs_path(t.account.id, "note"), json={"label": "VIP"}), 409)
    S.expect_problem(api(sp).post(path, json={"key": "vip2", "label": "vip", "type": "boolean"}), 409)
    assert S.expect(api(sp).patch(defs_path(t.account.id, "note"), json={"label": "Notiz"}), 200)["label"] == "Notiz"
    for role in ("billing", "member"):
        p = make_person(prefix="plab")
        set_roles(t.admin, t.account.id, p, [role])
        S.expect_problem(api(p).patch(defs_path(t.account.id, "note"), json={"label": "VIP"}), 403)
    S.expect_problem(api(other.admin).patch(defs_path(t.account.id, "note"), json={"label": "VIP"}), 404)
    S.expect_problem(api(other.admin).post(path, json={"key": "x", "label": "VIP", "type": "text"}), 404)


def test_integers_beyond_64_bits_are_numbers_not_malformed_json(
        api, sql, make_account, make_person, set_roles, make_tenant, partner_with_properties):
    """Round-17 walkthrough of seed 001, D5: {"loggers":
    12345678901234567890} was 400 "malformed JSON ... too big integer",
    though it is valid JSON and the same number came through from a form
    and with ".0". An integer beyond 64 bits is read as the real it is: a
    number property takes it, a bounded field answers its own 422
    (lines[0].quantity), and only a number no double holds (1e400) is 400,
    saying so rather than "malformed"."""
    t = partner_with_properties
    s = api(t.admin)
    child = make_account(t.admin, "customer", t.account.id)
    cpath = f"{ACCOUNTS}/{child.id}"
    big = 12345678901234567890
    b = S.expect(s.patch(cpath, json={"properties": {"region": "EU", "loggers": big}}), 200)
    assert b["properties"]["loggers"] == 1.2345678901234567e19, b
    assert float(value_rows(sql, child.id)["loggers"][0]) == 1.2345678901234567e19
    for text in ("12345678901234567890.0", "-12345678901234567890"):
        r = s.patch(cpath, data='{"properties": {"loggers": %s}}' % text,
                    headers={"Content-Type": "application/json"})
        assert S.expect(r, 200)["properties"]["loggers"] == float(text), r.text
    b = S.expect(s.form("POST", cpath, [("_method", "PATCH"), ("properties[loggers]", str(big))]), 200)
    assert b["properties"]["loggers"] == 1.2345678901234567e19, b
    # Where a number is no type of the field: that field's 422.
    errors = S.expect_field_errors(s.patch(cpath, json={"properties": {"note": big, "vip": -big}}))
    assert errors == {"properties.note": "must be text", "properties.vip": "must be true or false"}, errors
    opath = f"{ACCOUNTS}/{child.id}/orders"
    orders = sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(child.id))
    for q in (big, -big, 99999999999999999999999999):
        errors = S.expect_field_errors(s.post(opath, json={"lines": [
            {"article": "data-logger", "quantity": q}]}))
        assert errors == {"lines[0].quantity": "must be a whole number from 1 to 100000"}, (q, errors)
    assert sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(child.id)) == orders
    # Beyond a double: 400 that says so, with the place in the body as sent.
    huge = "9" * 400
    for text in ("1e400", huge):
        body = S.expect_problem(s.patch(cpath, data='{"properties": {"loggers": %s}}' % text,
                                        headers={"Content-Type": "application/json"}), 400, "bad-request")
        assert "is too large" in body["detail"] and "malformed" not in body["detail"], body
        assert "line 1 column" in body["detail"], body
    # Any other mistake stays "malformed", at its place in the body as sent.
    sent = '{"properties": {"loggers": 12345678901234567890,}}'
    body = S.expect_problem(s.patch(cpath, data=sent, headers={"Content-Type": "application/json"}),
                            400, "bad-request")
    alike = S.expect_problem(s.patch(cpath, data=sent.replace("12345678901234567890", "1.345678901234567890"),
                                     headers={"Content-Type": "application/json"}), 400, "bad-request")
    assert body["detail"].startswith("malformed JSON") and body["detail"] == alike["detail"], (body, alike)
    assert float(value_rows(sql, child.id)["loggers"][0]) == 1.2345678901234567e19
    # Who may: a member 403, another tenant 404 (the body is read, not refused).
    member = make_person(prefix="pbig")
    set_roles(t.admin, child.id, member, ["member"])
    S.expect_problem(api(member).patch(cpath, json={"properties": {"loggers": big}}), 403)
    other = make_tenant("pbigother")
    S.expect_problem(api(other.admin).patch(cpath, json={"properties": {"loggers": big}}), 404)
    S.expect_problem(api(other.admin).post(opath, json={"lines": [
        {"article": "data-logger", "quantity": big}]}), 404)


def test_unicode_look_alikes_are_one_option_one_label_and_one_value(
        api, sql, make_account, make_person, set_roles, make_tenant, partner_with_properties):
    """Round-18 walkthrough of seed 001, D3: options "Österreich" typed in
    NFC and in NFD (O + COMBINING DIAERESIS, as a Mac's copy and paste
    gives it), "Kärnten" and one with the KELVIN SIGN, and two labels
    "Ört" were all accepted, so the dropdown showed "Österreich" twice, the
    table had two "Ört" columns and the children's values split. Options,
    labels and text values are stored in NFC; options and labels are
    compared by Unicode's compatibility caseless match (NFKC case fold:
    ß is ss, final sigma is sigma); a select value in another
    normalization form is its option, stored as the option is."""
    from urllib.parse import parse_qsl, urlsplit
    t = partner_with_properties
    s = api(t.admin)
    path = defs_path(t.account.id)
    nfc_o, nfd_o = "\u00d6sterreich", "O\u0308sterreich"
    kelvin = "\u212a\u00e4rnten"
    count = sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s", int(t.account.id))
    # The tester's request: 422 on the two look-alikes, each naming its model.
    errors = S.expect_field_errors(s.post(path, json={
        "key": "land", "label": "Land", "type": "select",
        "options": [nfc_o, nfd_o, "K\u00e4rnten", kelvin]}), "options[1]", "options[3]")
    assert set(errors) == {"options[1]", "options[3]"}, errors
    assert errors["options[1]"].startswith(f"is the same as options[0] ('{nfc_o}')"), errors
    assert errors["options[3]"].startswith("is the same as options[2] ('K\u00e4rnten')"), errors
    # ß and ẞ are ss; Greek final sigma is sigma; fullwidth letters are
    # letters (NFKC); case and the spaces around count as before.
    errors = S.expect_field_errors(s.post(path, json={
        "key": "strasse", "label": "Strasse", "type": "select",
        "options": ["Stra\u00dfe", "STRASSE", "STRA\u1e9eE", "\u03c3\u03b1\u03c2", "\u03a3\u0391\u03a3 ",
                    "\uff27old", "Gold", "Istanbul", "\u0130stanbul", "\u0131stanbul"]}))
    assert set(errors) == {"options[1]", "options[2]", "options[4]", "options[6]"}, errors
    assert "options[0]" in errors["options[2]"] and "options[3]" in errors["options[4]"], errors
    # A form alike, through error_to.
    front = S.ORIGIN + "/columns"
    r = s.form("POST", path, [("key", "land"), ("label", "Land"), ("type", "select"),
                              ("options", nfd_o), ("options", nfc_o), ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert q["errors[options[1]]"].startswith(f"is the same as options[0] ('{nfc_o}')"), q
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s",
                     int(t.account.id)) == count
    # Stored in NFC, whatever form was sent.
    created, _ = define(api, t.admin, t.account.id, key="land", label="Land", type="select",
                        options=[nfd_o, kelvin, "Tirol"])
    assert created["options"] == [nfc_o, "K\u00e4rnten", "Tirol"], created
    assert json.loads(sql.value("SELECT options FROM property_definitions WHERE account_id=%s"
                                " AND prop_key='land'", int(t.account.id))) == [nfc_o, "K\u00e4rnten", "Tirol"]
    # Labels: "O\u0308rt" is stored "Ört"; "Ört", "ÖRT" and the NFD form
    # again are 409 on errors.label, on create and on rename.
    created, _ = define(api, t.admin, t.account.id, key="ort", label="O\u0308rt", type="text")
    assert created["label"] == "\u00d6rt", created
    assert sql.value("SELECT label FROM property_definitions WHERE account_id=%s AND prop_key='ort'",
                     int(t.account.id)) == "\u00d6rt"
    taken = "is taken: the account's property 'ort' is labelled '\u00d6rt'"
    for label in ("\u00d6rt", "\u00d6RT", "O\u0308rt ", "o\u0308RT"):
        body = S.expect_problem(s.post(path, json={"key": "ort2", "label": label, "type": "text"}),
                                409, "conflict")
        assert body["errors"] == {"label": taken}, (label, body)
    body = S.expect_problem(s.patch(defs_path(t.account.id, "note"), json={"label": "\u00d6rt"}),
                            409, "conflict")
    assert body["errors"] == {"label": taken}, body
    r = s.form("POST", path, [("key", "ort2"), ("label", "\u00d6rt"), ("type", "text"),
                              ("error_to", front)])
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert (q["status"], q["errors[label]"]) == ("409", taken), q
    got = S.expect(s.patch(defs_path(t.account.id, "note"), json={"label": "Notiz Cafe\u0301"}), 200)
    assert got["label"] == "Notiz Caf\u00e9", got
    # Values: a select value in NFD is its option, stored as the option
    # is written; the filter finds both children whichever form it is
    # given in.
    a = make_account(t.admin, "customer", t.account.id)
    b = make_account(t.admin, "customer", t.account.id)
    got = S.expect(s.patch(f"{ACCOUNTS}/{a.id}", json={"properties": {
        "region": "EU", "land": nfd_o, "note": " Cafe\u0301 "}}), 200)
    assert (got["properties"]["land"], got["properties"]["note"]) == (nfc_o, "Caf\u00e9"), got
    assert json.loads(value_rows(sql, a.id)["land"][0]) == nfc_o
    assert value_rows(sql, a.id)["land"][1] == nfc_o.encode()
    assert json.loads(value_rows(sql, a.id)["note"][0]) == "Caf\u00e9"
    S.expect(s.form("POST", f"{ACCOUNTS}/{b.id}", [("_method", "PATCH"), ("properties[region]", "EU"),
                                                   ("properties[land]", nfc_o)]), 200)
    S.expect(s.patch(f"{ACCOUNTS}/{b.id}", json={"properties": {"land": "\u212a\u00e4rnten"}}), 200)
    assert json.loads(value_rows(sql, b.id)["land"][0]) == "K\u00e4rnten"
    S.expect(s.patch(f"{ACCOUNTS}/{b.id}", json={"properties": {"land": nfd_o}}), 200)
    for given in (nfc_o, nfd_o):
        rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "filter[land]": given}), 200)
        assert sorted(i["id"] for i in rows["items"]) == sorted([a.id, b.id]), (given, rows)
    rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "filter[note]": "Cafe\u0301"}), 200)
    assert [i["id"] for i in rows["items"]] == [a.id], rows
    # A look-alike that is no canonical equivalent is no option: "Osterreich",
    # "österreich" (case) stay 422 as before.
    # Since the round-20 walkthrough of seed 001, D4, the message names the
    # options, and the one meant where only the case differs.
    options = f"must be one of: {nfc_o}, K\u00e4rnten, Tirol"
    for wrong, why in (("Osterreich", options),
                       ("\u00f6sterreich", f"{options}; did you mean '{nfc_o}'?")):
        errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{a.id}", json={"properties": {"land": wrong}}))
        assert errors == {"properties.land": why}, errors
    # A definition made before stored its option in NFD, and a child has
    # it: sending the options again (now in NFC) keeps it, and the value
    # follows to the NFC form, the child's version moving, with an audit
    # row of its own.
    define(api, t.admin, t.account.id, key="alt", label="Alt", type="select", options=["Wien"])
    sql.rows("UPDATE property_definitions SET options=%s WHERE account_id=%s AND prop_key='alt'",
             json.dumps([nfd_o, "Wien"]), int(t.account.id))
    S.expect(s.patch(f"{ACCOUNTS}/{a.id}", json={"properties": {"alt": nfd_o}}), 200)
    assert json.loads(value_rows(sql, a.id)["alt"][0]) == nfd_o  # the option as it was written
    version = sql.account(a.id)["version"]
    got = S.expect(s.patch(defs_path(t.account.id, "alt"), json={"options": [nfc_o, "Wien", "Tirol"]}), 200)
    assert got["options"] == [nfc_o, "Wien", "Tirol"], got
    assert json.loads(value_rows(sql, a.id)["alt"][0]) == nfc_o
    assert sql.account(a.id)["version"] == version + 1
    audit = [r for r in sql.audit(a.id) if r["action"] == "property.update"]
    assert audit and audit[-1]["old_value"] == {"key": "alt", "value": nfd_o}, audit
    assert audit[-1]["new_value"] == {"key": "alt", "value": nfc_o, "partner_id": int(t.account.id)}, audit
    rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "filter[alt]": nfc_o}), 200)
    assert [i["id"] for i in rows["items"]] == [a.id], rows
    # Who may: a service provider of the partner is held to the same
    # rules; billing and member 403, another tenant 404, nothing written.
    sp = make_person(prefix="puni")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    S.expect_field_errors(api(sp).post(path, json={"key": "sp_land", "label": "SP", "type": "select",
                                                   "options": [nfc_o, nfd_o]}), "options[1]")
    S.expect_problem(api(sp).post(path, json={"key": "sp_ort", "label": "O\u0308RT", "type": "text"}), 409)
    for role in ("billing", "member"):
        p = make_person(prefix="puni")
        set_roles(t.admin, t.account.id, p, [role])
        S.expect_problem(api(p).post(path, json={"key": "r_land", "label": "R", "type": "select",
                                                 "options": [nfd_o]}), 403)
        S.expect_problem(api(p).patch(defs_path(t.account.id, "land"), json={"options": [nfd_o]}), 403)
    member = make_person(prefix="puni")
    set_roles(t.admin, a.id, member, ["member"])
    S.expect_problem(api(member).patch(f"{ACCOUNTS}/{a.id}", json={"properties": {"land": nfd_o}}), 403)
    other = make_tenant("puniother")
    S.expect_problem(api(other.admin).post(path, json={"key": "o_land", "label": "O", "type": "select",
                                                       "options": [nfd_o]}), 404)
    S.expect_problem(api(other.admin).patch(f"{ACCOUNTS}/{a.id}", json={"properties": {"land": nfd_o}}), 404)
    S.expect_problem(api(other.admin).get(ACCOUNTS, params={"parent_id": t.account.id,
                                                            "filter[land]": nfd_o}), 404)
    assert S.expect(s.get(defs_path(t.account.id, "land")), 200)["options"] == [nfc_o, "K\u00e4rnten", "Tirol"]


def test_labels_and_text_values_count_characters_and_say_the_limit(
        api, sql, make_account, make_person, set_roles, make_tenant, partner_with_properties):
    """Round-19 walkthrough of seed 001, D1: a label of 51 "ä" typed with
    combining marks (100 bytes in NFC) and a text value of 251 "é" (e and
    U+0301) were refused with a bare "is too long": the limits counted
    bytes. A label counts 100 characters, an option 100, a text value 500,
    of the text as stored (NFC); one more is 422 naming the limit and the
    length. A text value of 500 four-byte characters is stored whole (its
    sort_key, 2,000 bytes, was 512 before migration 082), sorted and
    filtered by. Who may not define is refused first: billing 403,
    another tenant 404."""
    t = partner_with_properties
    s = api(t.admin)
    path = defs_path(t.account.id)
    label = "a\u0308" * 51
    created, _ = define(api, t.admin, t.account.id, key="lang2", label=label, type="text")
    assert created["label"] == "\u00e4" * 51, created
    created, _ = define(api, t.admin, t.account.id, key="lang3", label="\u00f6" * 100, type="select",
                        options=["\u00fc" * 100, "o\u0308" * 100])
    assert created["options"] == ["\u00fc" * 100, "\u00f6" * 100], created
    errors = S.expect_field_errors(s.post(path, json={
        "key": "lang4", "label": "\u00e4" * 101, "type": "select",
        "options": ["ok", "\u00fc" * 101]}), "label", "options[1]")
    assert errors == {"label": "is too long: at most 100 characters (this is 101)",
                      "options[1]": "is too long: at most 100 characters (this is 101)"}, errors
    errors = S.expect_field_errors(s.patch(defs_path(t.account.id, "lang2"),
                                           json={"label": "o\u0308" * 101}), "label")
    assert errors == {"label": "is too long: at most 100 characters (this is 101)"}, errors

    # Values: the tester's 251 "é" in NFD; 500 emoji (2,000 bytes); 501 "é".
    a = make_account(t.admin, "customer", t.account.id)
    b = make_account(t.admin, "customer", t.account.id)
    got = S.expect(s.patch(f"{ACCOUNTS}/{a.id}", json={"properties": {
        "region": "EU", "note": "e\u0301" * 251}}), 200)
    assert got["properties"]["note"] == "\u00e9" * 251, got
    emoji = "\U0001f600" * 500
    got = S.expect(s.patch(f"{ACCOUNTS}/{b.id}", json={"properties": {
        "region": "EU", "note": emoji}}), 200)
    assert got["properties"]["note"] == emoji, got
    assert json.loads(value_rows(sql, b.id)["note"][0]) == emoji
    assert value_rows(sql, b.id)["note"][1] == emoji.encode()
    rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "filter[note]": emoji}), 200)
    assert [i["id"] for i in rows["items"]] == [b.id], rows
    rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "sort": "-note",
                                            "limit": 1}), 200)
    assert [i["id"] for i in rows["items"]] == [b.id], rows
    rows = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "sort": "-note", "limit": 1,
                                            "cursor": rows["next_cursor"]}), 200)
    assert [i["id"] for i in rows["items"]] == [a.id], rows
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{a.id}", json={"properties": {
        "note": "e\u0301" * 501}}), "properties.note")
    assert errors == {"properties.note": "is too long: at most 500 characters (this is 501)"}, errors
    errors = S.expect_field_errors(s.get(ACCOUNTS, params={"parent_id": t.account.id,
                                                           "filter[note]": "x" * 501}))
    assert errors == {"filter[note]": "is too long: at most 500 characters (this is 501)"}, errors
    assert json.loads(value_rows(sql, a.id)["note"][0]) == "\u00e9" * 251

    # Who may not: billing of the partner 403, another tenant 404.
    billing = make_person(prefix="r19pb")
    set_roles(t.admin, t.account.id, billing, ["billing"])
    S.expect_problem(api(billing).post(path, json={"key": "b_lang", "label": "\u00e4" * 101,
                                                   "type": "text"}), 403)
    other = make_tenant("r19po")
    S.expect_problem(api(other.admin).post(path, json={"key": "o_lang", "label": "\u00e4" * 101,
                                                       "type": "text"}), 404)
    S.expect_problem(api(other.admin).patch(f"{ACCOUNTS}/{a.id}", json={"properties": {
        "note": "e\u0301" * 501}}), 404)


LAENDER = ["Wien", "Ober\u00f6sterreich", "K\u00e4rnten", "Tirol", "Steiermakr"]


@pytest.fixture
def land_partner(api, make_tenant, make_account, make_person, set_roles):
    """Seed 001's partner: Anna (the tenant's admin) defines "Bundesland"
    with a typo, "Steiermakr"; Ben, a second admin of the partner, creates
    a customer (so he is its admin and Anna is no member of it) and gives
    it the misspelt value."""
    t = make_tenant("p20")
    define(api, t.admin, t.account.id, key="land", label="Bundesland", type="select",
           options=LAENDER)
    define(api, t.admin, t.account.id, key="anlagen", label="Anlagen", type="number")
    ben = make_person(prefix="p20b")
    set_roles(t.admin, t.account.id, ben, ["admin"])
    child = make_account(ben, "customer", t.account.id)
    S.expect(api(ben).patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"land": "Steiermakr"}}),
             200)
    return t, ben, child


def test_an_option_is_renamed_and_its_values_move_with_it(api, sql, make_account, make_person,
                                                         set_roles, make_tenant, land_partner):
    """Round-20 walkthrough of seed 001, D2: the typo "Steiermakr" could not
    be fixed once a child Anna may not enter had it: dropping it was 409,
    and changing the child's value 403. PATCH rename_options {"Steiermakr":
    "Steiermark"} renames the option where it stands and gives every child
    that has it the new name in the same transaction, each with a new
    version and an audit row of its own; the partner's row names the
    rename and counts the values moved."""
    from urllib.parse import parse_qsl, urlsplit
    t, ben, child = land_partner
    s = api(t.admin)
    path = defs_path(t.account.id, "land")
    S.expect_problem(s.patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"land": "Steiermark"}}),
                     403)
    # Dropping the option is still 409, and says how to move its values.
    body = S.expect_problem(s.patch(path, json={"options": LAENDER[:4] + ["Steiermark"]}), 409,
                            "conflict")
    assert "rename_options" in body["errors"]["options"], body
    assert "filter[land]" in body["detail"] and "rename_options" in body["detail"], body
    version = sql.account(child.id)["version"]
    before = len(sql.audit(child.id))
    got = S.expect(s.patch(path, json={"rename_options": {"Steiermakr": "Steiermark"}}), 200)
    assert got["options"] == LAENDER[:4] + ["Steiermark"], got
    assert S.expect(api(ben).get(f"{ACCOUNTS}/{child.id}"), 200)["properties"]["land"] == "Steiermark"
    assert value_rows(sql, child.id)["land"] == ('"Steiermark"', b"Steiermark")
    assert sql.account(child.id)["version"] == version + 1
    rows = sql.audit(child.id)[before:]
    assert [(r["action"], r["uid"]) for r in rows] == [("property.update", t.admin.uid)], rows
    assert rows[0]["old_value"] == {"key": "land", "value": "Steiermakr"}, rows
    assert rows[0]["new_value"] == {"key": "land", "value": "Steiermark",
                                    "partner_id": int(t.account.id)}, rows
    partner_row = [r for r in sql.audit(t.account.id) if r["action"] == "property.update"][-1]
    assert partner_row["new_value"]["options_renamed"] == {"Steiermakr": "Steiermark"}, partner_row
    assert partner_row["new_value"]["values_moved"] == 1, partner_row
    assert partner_row["old_value"]["options"] == LAENDER, partner_row
    listed = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id,
                                              "filter[land]": "Steiermark"}), 200)["items"]
    assert [i["id"] for i in listed] == [child.id], listed
    # Merging: the right option added next to the typo first (as Anna
    # did), children on both; the rename moves the typo's values onto it
    # and the list keeps it once, where it stood first.
    S.expect(s.patch(path, json={"options": LAENDER[:4] + ["Steiermark", "Stmk"]}), 200)
    other = make_account(ben, "customer", t.account.id)
    S.expect(api(ben).patch(f"{ACCOUNTS}/{other.id}", json={"properties": {"land": "Stmk"}}), 200)
    got = S.expect(s.patch(path, json={"rename_options": {"Stmk": "Steiermark"}}), 200)
    assert got["options"] == LAENDER[:4] + ["Steiermark"], got
    listed = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id,
                                              "filter[land]": "Steiermark"}), 200)["items"]
    assert sorted(i["id"] for i in listed) == sorted([child.id, other.id]), listed
    # A swap in one request is refused (rename one first); nothing moves.
    errors = S.expect_field_errors(s.patch(path, json={"rename_options": {
        "Wien": "Tirol", "Tirol": "Wien"}}), "rename_options.Wien", "rename_options.Tirol")
    assert "one of them first" in errors["rename_options.Wien"], errors
    # With options sent: the new name among them, the old one not; a form
    # alike (rename_options[<option>]=<new name>), the spaces around the
    # names dropped as for options; an option no child has may go at the
    # same time.
    S.expect(api(ben).patch(f"{ACCOUNTS}/{other.id}", json={"properties": {"land": "Tirol"}}), 200)
    r = s.form("POST", path, [("_method", "PATCH"), ("options", "Wien"), ("options", "Nordtirol"),
                              ("options", "Steiermark"), ("options", "K\u00e4rnten"),
                              ("rename_options[ Tirol]", "Nordtirol "),
                              ("_version", str(got["version"]))])
    got = S.expect(r, 200)
    assert got["options"] == ["Wien", "Nordtirol", "Steiermark", "K\u00e4rnten"], got
    assert S.expect(api(ben).get(f"{ACCOUNTS}/{other.id}"), 200)["properties"]["land"] == "Nordtirol"
    # What is refused, named on rename_options.<option>, nothing written:
    # no such option (the options named, the one meant guessed), a new
    # name that only looks like another option, one not among the options
    # sent, an old one still among them, a blank one, a non-select.
    version = got["version"]
    errors = S.expect_field_errors(s.patch(path, json={"rename_options": {
        "wien": "Wien-Stadt", "K\u00e4rnten": "nordtirol"}}),
        "rename_options.wien", "rename_options.K\u00e4rnten")
    assert errors["rename_options.wien"] == (
        "is no option of this property, whose options are: Wien, Nordtirol, Steiermark, K\u00e4rnten;"
        " did you mean 'Wien'?"), errors
    assert errors["rename_options.K\u00e4rnten"].startswith(
        "renames it to 'nordtirol', the same as the option 'Nordtirol' but for case"), errors
    errors = S.expect_field_errors(s.patch(path, json={"rename_options": {"Steiermark": " \u00a0"}}),
                                   "rename_options.Steiermark")
    assert errors == {"rename_options.Steiermark": "must not be empty"}, errors
    errors = S.expect_field_errors(s.patch(path, json={
        "options": ["Wien", "Nordtirol", "Steiermark", "K\u00e4rnten"],
        "rename_options": {"Steiermark": "Styria", "Wien": "Vienna"}}),
        "rename_options.Steiermark", "rename_options.Wien")
    assert "not among the options sent" in errors["rename_options.Steiermark"], errors
    errors = S.expect_field_errors(s.patch(path, json={
        "options": ["Wien", "Nordtirol", "Steiermark", "Styria", "K\u00e4rnten"],
        "rename_options": {"Steiermark": "Styria"}}), "rename_options.Steiermark")
    assert errors["rename_options.Steiermark"].startswith("is still among the options sent"), errors
    errors = S.expect_field_errors(s.patch(defs_path(t.account.id, "anlagen"), json={
        "rename_options": {"1": "2"}}), "rename_options")
    assert errors == {"rename_options": "only a select has options"}, errors
    S.expect_field_errors(s.patch(path, json={"rename_options": ["Wien", "Vienna"]}),
                          "rename_options")
    assert S.expect(s.get(path), 200)["version"] == version
    # A form giving one rename twice is 400 (one value per field).
    S.expect_problem(s.form("POST", path, [("_method", "PATCH"), ("rename_options[Wien]", "A"),
                                           ("rename_options[Wien]", "B")]), 400)
    # Through error_to the errors come back on the form's fields.
    front = S.ORIGIN + "/columns"
    r = s.form("POST", path, [("_method", "PATCH"), ("rename_options[Wein]", "Wien"),
                              ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert q["errors[rename_options.Wein]"].startswith("is no option of this property"), q
    # Who may: a service provider of the partner; billing and member 403,
    # another tenant 404, Ben's customer's own admin (a child) 404 on the
    # partner's definitions.
    sp = make_person(prefix="p20s")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    got = S.expect(api(sp).patch(path, json={"rename_options": {"Nordtirol": "Tirol"}}), 200)
    assert got["options"] == ["Wien", "Tirol", "Steiermark", "K\u00e4rnten"], got
    for role in ("billing", "member"):
        p = make_person(prefix="p20r")
        set_roles(t.admin, t.account.id, p, [role])
        S.expect_problem(api(p).patch(path, json={"rename_options": {"Tirol": "Nordtirol"}}), 403)
    other_tenant = make_tenant("p20o")
    S.expect_problem(api(other_tenant.admin).patch(path, json={
        "rename_options": {"Tirol": "Nordtirol"}}), 404)
    cust_admin = make_person(prefix="p20c")
    set_roles(ben, child.id, cust_admin, ["admin"])
    S.expect_problem(api(cust_admin).patch(path, json={"rename_options": {"Tirol": "Nordtirol"}}),
                     404)
    assert S.expect(s.get(path), 200)["options"] == ["Wien", "Tirol", "Steiermark", "K\u00e4rnten"]


def test_values_moved_counts_only_the_values_the_renames_moved(api, sql, make_account,
                                                              land_partner):
    """The partner's audit row counts in values_moved the values the
    renames moved, not those that followed their option to NFC in the same
    PATCH (review of round 20: both were counted as moved by the renames)."""
    t, ben, child = land_partner
    s = api(t.admin)
    nfc_o, nfd_o = "\u00d6sterreich", "O\u0308sterreich"
    define(api, t.admin, t.account.id, key="alt", label="Alt", type="select",
           options=["Wien", "Stmk"])
    sql.rows("UPDATE property_definitions SET options=%s WHERE account_id=%s AND prop_key='alt'",
             json.dumps([nfd_o, "Wien", "Stmk"]), int(t.account.id))
    other = make_account(ben, "customer", t.account.id)
    S.expect(api(ben).patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"alt": nfd_o}}), 200)
    S.expect(api(ben).patch(f"{ACCOUNTS}/{other.id}", json={"properties": {"alt": "Stmk"}}), 200)
    got = S.expect(s.patch(defs_path(t.account.id, "alt"), json={
        "options": [nfc_o, "Wien", "Steiermark"], "rename_options": {"Stmk": "Steiermark"}}), 200)
    assert got["options"] == [nfc_o, "Wien", "Steiermark"], got
    assert json.loads(value_rows(sql, child.id)["alt"][0]) == nfc_o
    assert json.loads(value_rows(sql, other.id)["alt"][0]) == "Steiermark"
    partner_row = [r for r in sql.audit(t.account.id) if r["action"] == "property.update"][-1]
    assert partner_row["new_value"]["options_renamed"] == {"Stmk": "Steiermark"}, partner_row
    assert partner_row["new_value"]["values_moved"] == 1, partner_row


def test_deleting_a_definition_with_values_needs_values_delete(api, sql, make_person, set_roles,
                                                              make_tenant, land_partner):
    """Round-20 walkthrough of seed 001, D2: DELETE of a definition wiped
    every child's value at once, also in children the partner's admin may
    not enter, while a rename of the same option was refused. Decision: a
    definition that still has values is deleted only with values=delete
    (JSON or a form field); without it 409 on errors.values, naming how
    many accounts have a value, and nothing is deleted. A definition
    without values is deleted as before (204, the contract's DELETE)."""
    from urllib.parse import parse_qsl, urlsplit
    t, ben, child = land_partner
    s = api(t.admin)
    path = defs_path(t.account.id, "land")
    body = S.expect_problem(s.delete(path), 409, "conflict")
    assert body["errors"] == {"values": "1 account(s) have a value of this property: send"
                                        " values=delete to delete it with their values"}, body
    assert "values=delete" in body["detail"] and "'land'" in body["detail"], body
    front = S.ORIGIN + "/columns"
    r = s.form("POST", path, [("_method", "DELETE"), ("error_to", front)])
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert (q["status"], q["errors[values]"]) == ("409", body["errors"]["values"]), q
    S.expect_field_errors(s.delete(path, json={"values": "keep"}), "values")
    assert S.expect(api(ben).get(f"{ACCOUNTS}/{child.id}"), 200)["properties"] == {
        "land": "Steiermakr"}
    assert S.expect(s.get(path), 200)["key"] == "land"
    # Who may not: billing and member 403, another tenant 404 (nothing
    # deleted, with values=delete too).
    for role in ("billing", "member"):
        p = make_person(prefix="p20d")
        set_roles(t.admin, t.account.id, p, [role])
        S.expect_problem(api(p).delete(path, json={"values": "delete"}), 403)
    other = make_tenant("p20do")
    S.expect_problem(api(other.admin).delete(path, json={"values": "delete"}), 404)
    assert S.expect(s.get(path), 200)["key"] == "land"
    # Confirmed by a form: gone, with the values and their audit rows.
    r = s.form("POST", path, [("_method", "DELETE"), ("values", "delete")])
    S.expect(r, 204)
    assert S.expect(api(ben).get(f"{ACCOUNTS}/{child.id}"), 200)["properties"] == {}
    assert [r["new_value"] for r in sql.audit(t.account.id)
            if r["action"] == "property.delete"][-1] == {"key": "land", "values_removed": 1}
    # Without values: a plain DELETE, as the contract has it; and a
    # service provider may.
    sp = make_person(prefix="p20ds")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    S.expect(api(sp).delete(defs_path(t.account.id, "anlagen")), 204)
    S.expect_problem(s.get(defs_path(t.account.id, "anlagen")), 404)


def test_number_and_select_errors_say_what_is_accepted(api, make_tenant, land_partner):
    """Round-20 walkthrough of seed 001, D4: "1,5" got "must be a number"
    and "wien" "must be one of the options", in a form's error_to, in JSON
    and in filter[...]. The number's message says a decimal point, not a
    comma; the select's names the options and the one meant."""
    from urllib.parse import parse_qsl, urlsplit
    t, ben, child = land_partner
    s = api(ben)
    comma = "must be a number like 1.5 (a decimal point, not a comma)"
    options = "must be one of: Wien, Ober\u00f6sterreich, K\u00e4rnten, Tirol, Steiermakr"
    front = S.ORIGIN + f"/accounts/{child.id}/edit"
    r = s.form("POST", f"{ACCOUNTS}/{child.id}", [
        ("_method", "PATCH"), ("properties[anlagen]", "1,5"), ("properties[land]", "wien"),
        ("error_to", front)])
    assert r.status_code == 303, S.describe(r)
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True))
    assert q["errors[properties.anlagen]"] == comma, q
    assert q["errors[properties.land]"] == f"{options}; did you mean 'Wien'?", q
    errors = S.expect_field_errors(s.patch(f"{ACCOUNTS}/{child.id}", json={"properties": {
        "anlagen": "zwei", "land": "Burgenland"}}), "properties.anlagen", "properties.land")
    assert errors == {"properties.anlagen": "must be a number like 1.5",
                      "properties.land": options}, errors
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={"properties": {"anlagen": 1.5}}), 200)
    errors = S.expect_field_errors(api(t.admin).get(ACCOUNTS, params={
        "parent_id": t.account.id, "filter[anlagen]": "1,5", "filter[land]": "WIEN"}),
        "filter[anlagen]", "filter[land]")
    assert errors == {"filter[anlagen]": comma,
                      "filter[land]": f"{options}; did you mean 'Wien'?"}, errors
    rows = S.expect(api(t.admin).get(ACCOUNTS, params={"parent_id": t.account.id,
                                                       "filter[anlagen]": "1.5"}), 200)["items"]
    assert [i["id"] for i in rows] == [child.id], rows
    # Another tenant learns nothing of the options: 404.
    other = make_tenant("p20n")
    S.expect_problem(api(other.admin).get(ACCOUNTS, params={
        "parent_id": t.account.id, "filter[land]": "wien"}), 404)
    S.expect_problem(api(other.admin).patch(f"{ACCOUNTS}/{child.id}", json={
        "properties": {"land": "wien"}}), 404)


def test_plan_status_is_a_column_not_a_property_key(api, sql, make_account, make_person,
                                                    set_roles, make_tenant):
    """Round-23 walkthrough of seed 001, D2: plan_status became a column of
    the overview in round 22, but a partner could still define a property
    with that key; its filter then answered the column's 422 and sort=
    plan_status sorted by the property. The key is now refused as the other
    columns are; a definition made before keeps its values (PATCH writes
    them, the rows show them), but filter[plan_status] and sort=plan_status
    are the column's: the filter takes only subscription statuses and the
    sort is 422 for every partner alike."""
    t = make_tenant("pps")
    child = make_account(t.admin, "customer", t.account.id)
    s = api(t.admin)
    errors = S.expect_field_errors(s.post(defs_path(t.account.id), json={
        "key": "plan_status", "label": "Planstatus intern", "type": "text"}), "key")
    assert errors["key"] == "is the name of a column of the overview table", errors
    # A service provider, who may define, is refused alike; a member is
    # 403 and another tenant 404 before the key is read.
    sp = make_person(prefix="pps")
    set_roles(t.admin, t.account.id, sp, ["service-provider"])
    S.expect_field_errors(api(sp).post(defs_path(t.account.id), data={
        "key": "plan_status", "label": "P", "type": "text"}, headers={"Origin": S.ORIGIN}), "key")
    member = make_person(prefix="ppm")
    set_roles(t.admin, t.account.id, member, ["member"])
    S.expect_problem(api(member).post(defs_path(t.account.id), json={
        "key": "plan_status", "label": "P", "type": "text"}), 403)
    S.expect_problem(api(make_tenant("ppo").admin).post(defs_path(t.account.id), json={
        "key": "plan_status", "label": "P", "type": "text"}), 404)
    assert sql.value("SELECT COUNT(*) FROM property_definitions WHERE account_id=%s",
                     int(t.account.id)) == 0
    # A definition with that key from before round 22 (made here as it was
    # then: created under another key, renamed in the table).
    define(api, t.admin, t.account.id, key="legacy", label="Planstatus intern", type="text")
    define(api, t.admin, t.account.id, key="region", label="Region", type="text")
    sql.rows("UPDATE property_definitions SET prop_key='plan_status' WHERE account_id=%s"
             " AND prop_key='legacy'", int(t.account.id))
    S.expect(s.patch(f"{ACCOUNTS}/{child.id}", json={
        "properties": {"plan_status": "Testphase", "region": "Tirol"}}), 200)
    row = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id}), 200)["items"][0]
    assert row["plan_status"] is None
    assert row["properties"] == {"plan_status": "Testphase", "region": "Tirol"}
    # The filter is the column's ...
    errors = S.expect_field_errors(s.get(ACCOUNTS, params={
        "parent_id": t.account.id, "filter[plan_status]": "Testphase"}), "filter[plan_status]")
    assert errors["filter[plan_status]"] == "must be one of active, pending_cancellation"
    # ... and so is the sort: not offered, with or without such a property.
    for tenant in (t, make_tenant("ppn")):
        for sort in ("plan_status", "-plan_status"):
            errors = S.expect_field_errors(api(tenant.admin).get(ACCOUNTS, params={
                "parent_id": tenant.account.id, "sort": sort}), "sort")
            assert errors["sort"] == ("plan_status cannot be sorted by; filter by it with "
                                      "filter[plan_status]=active or pending_cancellation"), errors
    # The other property still filters and sorts.
    got = S.expect(s.get(ACCOUNTS, params={"parent_id": t.account.id, "sort": "region",
                                           "filter[region]": "Tirol"}), 200)["items"]
    assert [i["id"] for i in got] == [child.id]
    # The child's overview shows the value; the partner may rename the
    # label, and delete the definition with its values to define another key.
    assert S.expect(s.get(f"{ACCOUNTS}/{child.id}"), 200)["properties"]["plan_status"] == "Testphase"
    S.expect(s.patch(defs_path(t.account.id, "plan_status"), json={"label": "Phase"}), 200)
    S.expect(s.delete(defs_path(t.account.id, "plan_status"), json={"values": "delete"}), 204)
    assert "plan_status" not in S.expect(s.get(f"{ACCOUNTS}/{child.id}"), 200)["properties"]
