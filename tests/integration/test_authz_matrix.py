"""The authorization matrix, walked over the route table.

MATRIX below is the rule book, written independently of the code: for every
route, the roles on the account its path names that may call it, the roles
on that account's parent that may too, and whether a closed account is
refused. The test checks that `accountd routes` (the table the router
enforces) says exactly the same, then calls every route as every kind of
caller and checks what each one gets:

- operator: let in everywhere;
- admin, service-provider, billing, member of the account: let in when their
  role is in the route's roles, else 403 naming those roles, or saying the
  route's own text (REFUSED);
- parent-admin (an admin of the parent account, a partner, who is no member
  of it): 403 on every route (they see the row), the billing routes'
  parent roles included: a partner has no back office, its people act in
  a child only by the roles they hold there (round-17 walkthrough of seed
  001, D1). The routes of PARENT_ADMIN_ROUTES let them in for the
  handler's own rule (the `parent-admin` flag; round-20 walkthrough of
  seed 001, D1: the parent's former people who created the account), and
  the handler refuses anyone else with 403, saying whom they may remove. The route's parent roles are a distributor's back office
  (test_the_back_office_is_a_distributors), never open on an account
  handed over to its customer (test_parent_roles_end_with_the_hand_over);
- expired-sp (a service provider whose access has passed its expires_at,
  not yet removed from LDAP by `accountd maint`): as if they had no role,
  so 404;
- project-only (a reader of one project of the account, no account role):
  404, except on the routes of PROJECT_ROUTES;
- member-owner (a member of the account who owns the cast's project): let
  in on the routes of OWNER_ROUTES, the project's people and invitations
  (round-18 walkthrough of seed 003, D2: the router refused such an
  owner for their account role), elsewhere a member;
- other-tenant (the admin of an unrelated partner): 404, never 403;
- anonymous: 401.

"Let in" means the router did not refuse: no 401, no 403, and no 404 for
the account (a handler may still answer 404 for a person or an invitation,
409 or 422 for the sample body).

Adding a route means adding its row here; a route the table has and the
matrix lacks (or the other way round) fails test_matrix_matches_route_table.
"""
import json
import os
import subprocess

import ldap3
import pytest

import support as S

A, SP, B, M = "admin", "service-provider", "billing", "member"
ANY = {A, SP, B, M}
ROLE_KINDS = (A, SP, B, M)
KINDS = ("operator",) + ROLE_KINDS + ("member-owner", "parent-admin", "expired-sp", "project-only",
                                      "other-tenant", "anonymous")

# "METHOD pattern": (roles, parent_roles, refuses a closed account)
# Routes without an account (public ones, /me) have roles None.
MATRIX = {
    "GET /api/v1/health": None,
    "GET /api/v1/ready": None,
    "GET /api/v1/auth": None,
    "GET /metrics": None,
    "GET /api/v1/me": None,
    "GET /api/v1/me/accounts": None,
    "GET /api/v1/me/preferences": None,
    "PATCH /api/v1/me/preferences": None,
    "POST /api/v1/invitations/{token}/accept": None,
    "POST /api/v1/password-resets/{token}": None,
    # a create names the parent account (in the body), the list too (query);
    # the list's ?search= without parent_id names none: operator staff only
    # (test_account_search_is_operator_staff_only)
    "POST /api/v1/accounts": ({A}, set(), True),
    # the list of P: P's billing people too, the back office (round-15
    # walkthrough of seed 002, D1)
    "GET /api/v1/accounts": ({A, SP, B}, set(), False),
    "GET /api/v1/accounts/{id}": (ANY, set(), False),
    "PATCH /api/v1/accounts/{id}": ({A, SP}, set(), True),
    "DELETE /api/v1/accounts/{id}": ({A}, set(), False),
    "GET /api/v1/accounts/{id}/members": (ANY, set(), False),
    # one member, as the list shows them (round-8 walkthrough of seeds 003, 004)
    "GET /api/v1/accounts/{id}/members/{uid}": (ANY, set(), False),
    "PUT /api/v1/accounts/{id}/members/{uid}": ({A, SP}, set(), True),
    "DELETE /api/v1/accounts/{id}/members/{uid}": ({A, SP}, set(), True),
    # the named contacts only (the handler; the matrix's admin is one)
    "POST /api/v1/accounts/{id}/members/{uid}/password-reset": ({A}, set(), True),
    "POST /api/v1/accounts/{id}/invitations": ({A, SP}, set(), True),
    "GET /api/v1/accounts/{id}/invitations": ({A, SP}, set(), False),
    "GET /api/v1/accounts/{id}/invitations/{inv}": ({A, SP}, set(), False),
    "DELETE /api/v1/accounts/{id}/invitations/{inv}": ({A, SP}, set(), False),
    "POST /api/v1/accounts/{id}/invitations/{inv}/resend": ({A, SP}, set(), True),
    "PUT /api/v1/accounts/{id}/contacts/{kind}": ({A}, set(), True),
    "GET /api/v1/accounts/{id}/notification-recipients": (ANY, set(), False),
    "PUT /api/v1/accounts/{id}/notification-recipients": ({A, SP}, set(), True),
    "GET /api/v1/accounts/{id}/notification-templates/{name}": ({A, SP}, set(), False),
    "GET /api/v1/accounts/{id}/notification-templates": ({A, SP}, set(), False),
    "PUT /api/v1/accounts/{id}/notification-templates/{name}": ({A}, set(), True),
    "DELETE /api/v1/accounts/{id}/notification-templates/{name}": ({A}, set(), True),
    # a template's extra recipients (round-6 walkthrough of seed 002)
    "GET /api/v1/accounts/{id}/notification-templates/{name}/recipients": ({A, SP}, set(), False),
    "PUT /api/v1/accounts/{id}/notification-templates/{name}/recipients": ({A}, set(), True),
    "GET /api/v1/accounts/{id}/notifications": ({A, SP}, set(), False),
    "POST /api/v1/accounts/{id}/announcements": ({A}, set(), True),
    # partner management (issue 9)
    # reading the definitions: the billing people too, who read the
    # overview table's property columns (round-16 walkthrough of seed 001, D3)
    "GET /api/v1/accounts/{id}/property-definitions": ({A, SP, B}, set(), False),
    "POST /api/v1/accounts/{id}/property-definitions": ({A, SP}, set(), True),
    # one definition (round-8 walkthrough of seed 001)
    "GET /api/v1/accounts/{id}/property-definitions/{key}": ({A, SP, B}, set(), False),
    "PATCH /api/v1/accounts/{id}/property-definitions/{key}": ({A, SP}, set(), True),
    "DELETE /api/v1/accounts/{id}/property-definitions/{key}": ({A, SP}, set(), True),
    # a child's own sheet: its parent's definitions with its values, for
    # whoever reads the account (round-14 walkthrough of seed 001, D1)
    "GET /api/v1/accounts/{id}/properties": (ANY, set(), False),
    # every person of the account: the handler's 409 for an account that
    # is not staged, its 403 for who is no admin of the provider's side on
    # a staged one (round-24 walkthrough of seed 000, D3; test_transfer.py)
    "POST /api/v1/accounts/{id}/transfer": (ANY, set(), True),
    "GET /api/v1/accounts/{id}/service-providers": ({A}, set(), False),
    "GET /api/v1/accounts/{id}/service-providers/{uid}": ({A}, set(), False),
    "PATCH /api/v1/accounts/{id}/service-providers/{uid}": ({A}, set(), True),
    "DELETE /api/v1/accounts/{id}/service-providers/{uid}": ({A}, set(), True),
    "GET /api/v1/accounts/{id}/audit": ({A}, set(), False),
    "POST /api/v1/accounts/{id}/customer-relations": ({A}, set(), True),
    "GET /api/v1/accounts/{id}/customers": ({A, SP}, set(), False),
    "GET /api/v1/accounts/{id}/customer-relations": ({A}, set(), False),
    # the side whose admin the caller is: the partner's admins, else the
    # customer's (the cast's relations are asked by an unrelated partner)
    "GET /api/v1/customer-relations/{rid}": ({A}, set(), False),
    # the relation's customer account decides
    "POST /api/v1/customer-relations/{rid}/approve": ({A}, set(), True),
    "POST /api/v1/customer-relations/{rid}/decline": ({A}, set(), True),
    # the relation's partner account withdraws (the cast's partner A asks)
    "POST /api/v1/customer-relations/{rid}/withdraw": ({A}, set(), True),
    # the side whose admin the caller is, as for GET
    "POST /api/v1/customer-relations/{rid}/end": ({A}, set(), True),
    "POST /api/v1/accounts/{id}/projects": ({A, SP}, set(), True),
    "GET /api/v1/accounts/{id}/projects": (ANY, set(), False),
    # the project's account
    "GET /api/v1/projects/{pid}": (ANY, set(), False),
    # rename and delete (round-6 walkthrough of seed 003)
    "PATCH /api/v1/projects/{pid}": ({A, SP}, set(), True),
    "DELETE /api/v1/projects/{pid}": ({A, SP}, set(), True),
    # one person of the project: whoever sees it (round-8 walkthrough of seed 003)
    "GET /api/v1/projects/{pid}/members/{uid}": (ANY, set(), False),
    "PUT /api/v1/projects/{pid}/members/{uid}": ({A, SP}, set(), True),
    "DELETE /api/v1/projects/{pid}/members/{uid}": ({A, SP}, set(), True),
    "POST /api/v1/projects/{pid}/invitations": ({A, SP}, set(), True),
    "GET /api/v1/projects/{pid}/invitations": ({A, SP}, set(), False),
    "GET /api/v1/projects/{pid}/invitations/{inv}": ({A, SP}, set(), False),
    "DELETE /api/v1/projects/{pid}/invitations/{inv}": ({A, SP}, set(), False),
    "POST /api/v1/projects/{pid}/invitations/{inv}/resend": ({A, SP}, set(), True),
    # billing: back office (a distributor parent's admins and billing), self-service
    # (the account's admins and billing), members read and renew
    "GET /api/v1/plans": None,
    "GET /api/v1/articles": None,
    "GET /api/v1/storefronts/{alias}": None,
    "GET /api/v1/storefront-aliases/{alias}": None,
    # members order, execute and discard orders of add-ons (the sample's
    # lines: the handler refuses them a plan) and read every order
    # (round-8 walkthrough of seed 004)
    "POST /api/v1/accounts/{id}/orders": ({A, B, M}, {A, B}, True),
    "GET /api/v1/accounts/{id}/orders": (ANY, {A, B}, False),
    "GET /api/v1/orders/{oid}": (ANY, {A, B}, False),
    "POST /api/v1/orders/{oid}/execute": ({A, B, M}, {A, B}, True),
    "POST /api/v1/orders/{oid}/discard": ({A, B, M}, {A, B}, True),
    "GET /api/v1/accounts/{id}/subscriptions": (ANY, {A, B}, False),
    "GET /api/v1/subscriptions/{sid}": (ANY, {A, B}, False),
    "POST /api/v1/subscriptions/{sid}/upgrade": ({A, B}, {A, B}, True),
    "POST /api/v1/subscriptions/{sid}/cancel": ({A, B}, {A, B}, True),
    "POST /api/v1/subscriptions/{sid}/uncancel": ({A, B}, {A, B}, True),
    "POST /api/v1/subscriptions/{sid}/renew": (ANY, {A, B}, True),
    "GET /api/v1/accounts/{id}/storefront-host": ({A, SP}, set(), False),
    "PUT /api/v1/accounts/{id}/storefront-host": ({A}, set(), True),
    "GET /api/v1/accounts/{id}/licenses": (ANY, {A, B}, False),
    "POST /api/v1/accounts/{id}/licenses/{feature}/consume": (ANY, set(), True),
    "POST /api/v1/accounts/{id}/licenses/{feature}/release": (ANY, set(), True),
    "GET /api/v1/accounts/{id}/invoices": (ANY, {A, B}, False),
    "GET /api/v1/accounts/{id}/quotes": (ANY, {A, B}, False),
    "GET /api/v1/accounts/{id}/quotes/{qid}": (ANY, {A, B}, False),
    "POST /api/v1/accounts/{id}/quotes": ({A, B}, {A, B}, True),
    # the quotes asked for from the account (its children's requests): the
    # seller's admins, service providers and billing people, as its table
    # of children; no back office (round-20 walkthrough of seed 001, D3)
    "GET /api/v1/accounts/{id}/quote-requests": ({A, SP, B}, set(), False),
    "GET /api/v1/accounts/{id}/quote-requests/{qid}": ({A, SP, B}, set(), False),
}

# Routes that let in a person whose only role in the account is a project
# role (the `project` flag), and what such a person (a reader of one
# project) gets there: their projects, or 403 for managing its people.
PROJECT_ROUTES = {
    "POST /api/v1/accounts/{id}/projects": 403,
    "GET /api/v1/accounts/{id}/projects": "in",
    "GET /api/v1/projects/{pid}": "in",
    "PATCH /api/v1/projects/{pid}": 403,
    "DELETE /api/v1/projects/{pid}": 403,
    "GET /api/v1/projects/{pid}/members/{uid}": "in",
    "PUT /api/v1/projects/{pid}/members/{uid}": 403,
    "DELETE /api/v1/projects/{pid}/members/{uid}": 403,
    "POST /api/v1/projects/{pid}/invitations": 403,
    "GET /api/v1/projects/{pid}/invitations": 403,
    "GET /api/v1/projects/{pid}/invitations/{inv}": 403,
    "DELETE /api/v1/projects/{pid}/invitations/{inv}": 403,
    "POST /api/v1/projects/{pid}/invitations/{inv}/resend": 403,
}

# Routes that a project's owners may call whatever their role in the
# project's account (the `owner` flag; round-18 walkthrough of seed 003,
# D2): the project's people and its invitations. The route's roles are for
# everyone else, whose 403 names the owners too.
OWNER_ROUTES = {
    "PUT /api/v1/projects/{pid}/members/{uid}",
    "DELETE /api/v1/projects/{pid}/members/{uid}",
    "POST /api/v1/projects/{pid}/invitations",
    "GET /api/v1/projects/{pid}/invitations",
    "GET /api/v1/projects/{pid}/invitations/{inv}",
    "DELETE /api/v1/projects/{pid}/invitations/{inv}",
    "POST /api/v1/projects/{pid}/invitations/{inv}/resend",
}

# Routes that let the admins of the account's parent in, whatever the
# parent's kind (the `parent-admin` flag), for the handler's own rule:
# removing from a child account the parent's former person who created
# it and holds no role in the parent any more (round-20 walkthrough of
# seed 001, D1; test_members.py). Whom else they name (the walk's member
# of the account) is 403 from the handler, with its own words.
PARENT_ADMIN_ROUTES = {
    "DELETE /api/v1/accounts/{id}/members/{uid}":
        "you are not a member of this account; as an administrator of {parent} you may remove "
        "from it only a person who created it for {parent} and holds no role in {parent} any "
        "more",
}

PUBLIC = {"GET /api/v1/health", "GET /api/v1/ready", "GET /api/v1/auth", "GET /metrics",
          "POST /api/v1/invitations/{token}/accept", "POST /api/v1/password-resets/{token}",
          "GET /api/v1/storefronts/{alias}",
          "GET /api/v1/storefront-aliases/{alias}"}

ORDER_LINES = [{"article": "assets-pack", "quantity": 1}]


class Billing:
    """Orders and subscriptions of the cast's account, made by the
    operator: a fresh draft or subscription for calls that use one up."""

    def __init__(self, operator, account_id):
        self.operator = operator
        self.account_id = account_id

    def draft(self):
        r = self.operator.post(f"/api/v1/accounts/{self.account_id}/orders",
                               json={"lines": ORDER_LINES})
        return S.expect(r, 201)["id"]

    def subscription(self):
        r = self.operator.post(f"/api/v1/orders/{self.draft()}/execute")
        return S.expect(r, 200)["subscription"]["id"]

    def quote(self):
        r = self.operator.post(f"/api/v1/accounts/{self.account_id}/quotes",
                               json={"lines": ORDER_LINES})
        return S.expect(r, 201)["id"]

    def quote_request(self):
        """A quote asked for from the account: by a customer the operator
        creates under it (once)."""
        if not getattr(self, "_quote_request", None):
            name = S.unique("mx-buyer-")
            r = self.operator.post("/api/v1/accounts", json={
                "kind": "customer", "name": name, "parent_id": str(self.account_id),
                "company": {"name": name + " GmbH", "street": "Ringstrasse 1", "postcode": "1010",
                            "city": "Wien", "country": "AT"}})
            buyer = S.expect(r, 201)["id"]
            r = self.operator.post(f"/api/v1/accounts/{buyer}/quotes",
                                   json={"lines": ORDER_LINES})
            self._quote_request = S.expect(r, 201)["id"]
        return self._quote_request


class Fixed:
    """The same draft and subscription every time (a closed account makes
    no new ones)."""

    def __init__(self, billing):
        self._draft = billing.draft()
        self._subscription = billing.subscription()
        self._quote = billing.quote()

    def quote(self):
        return self._quote

    def draft(self):
        return self._draft

    def subscription(self):
        return self._subscription


def route_table(env):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    p = subprocess.run([binary, "routes"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def test_matrix_matches_route_table(env):
    table = {f"{r['method']} {r['pattern']}": r for r in route_table(env)}
    assert set(table) == set(MATRIX), (
        f"routes without a matrix row: {sorted(set(table) - set(MATRIX))}; "
        f"matrix rows without a route: {sorted(set(MATRIX) - set(table))}")
    for key, rule in MATRIX.items():
        r = table[key]
        identity = "identity" in r["flags"]
        assert identity == (key not in PUBLIC), f"{key}: identity flag {r['flags']}"
        # Every POST of a caller honours Idempotency-Key through the router
        # (test_idempotency.py); POST /accounts through its own table.
        idempotent = r["method"] == "POST" and identity and key != "POST /api/v1/accounts"
        assert ("idempotent" in r["flags"]) == idempotent, f"{key}: flags {r['flags']}"
        if rule is None:
            assert r["roles"] == [] and r["parent_roles"] == [], f"{key}: {r}"
            continue
        roles, parent_roles, open_only = rule
        assert set(r["roles"]) == roles, f"{key}: table says roles {r['roles']}"
        assert set(r["parent_roles"]) == parent_roles, f"{key}: table says parent roles {r}"
        assert ("open" in r["flags"]) == open_only, f"{key}: table says flags {r['flags']}"
        assert ("project" in r["flags"]) == (key in PROJECT_ROUTES), f"{key}: flags {r['flags']}"
        assert r.get("refused") == REFUSED.get(key), f"{key}: table says refused {r.get('refused')}"
        assert ("owner" in r["flags"]) == (key in OWNER_ROUTES), f"{key}: flags {r['flags']}"
        assert ("parent-admin" in r["flags"]) == (key in PARENT_ADMIN_ROUTES), \
            f"{key}: flags {r['flags']}"


@pytest.fixture(scope="module")
def cast(api, sql, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """A partner P with its admin `pa`; P's child A (a partner, created by
    pa, who is so its admin) with one person per role; pb, a second admin of
    P who is no member of A; and the admin of an unrelated tenant."""
    p = make_tenant("mx")
    a = make_account(p.admin, "partner", p.account.id)
    people = {A: p.admin}
    for role in (SP, B, M):
        who = make_person(prefix="mx")
        set_roles(p.admin, a.id, who, [role])
        people[role] = who
    pb = make_person(prefix="mxp")
    set_roles("olivia", p.account.id, pb, ["admin"])
    other = make_tenant("mxo")
    expired = make_person(prefix="mxe")
    set_roles(p.admin, a.id, expired, [SP])
    sql.rows("INSERT INTO service_provider_access (account_id, uid, granted_by, expires_at)"
             " VALUES (%s, %s, 'test', CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND)"
             " ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)", int(a.id), expired.uid)
    S.expect(api(p.admin).post(f"/api/v1/accounts/{a.id}/property-definitions",
                               json={"key": "mxkey", "label": "Matrix", "type": "text"}), 201)
    project = S.expect(api(p.admin).post(f"/api/v1/accounts/{a.id}/projects",
                                         json={"name": S.unique("mx-project-")}), 201)
    # The admin is the account's primary contact: a password reset is the
    # named contacts' (round-6 walkthrough of seed 004).
    S.expect(api(p.admin).put(f"/api/v1/accounts/{a.id}/contacts/primary",
                              json={"uid": people[A].uid}), 200)
    # A project role only: put there by an LDAP administrator (through the
    # API a project role goes only to people of the account).
    reader = make_person(prefix="mxpr")
    ok = ldap_admin.modify(S.project_dn(a.id, project["id"], "reader"),
                           {"member": [(ldap3.MODIFY_ADD, [reader.dn])]})
    assert ok, ldap_admin.result
    seen = S.poll(lambda: api(reader).get(f"/api/v1/accounts/{a.id}/projects"),
                  lambda r: r.status_code == 200, 5)
    assert seen.status_code == 200, S.describe(seen)
    # A member of the account made owner of the project (round-18
    # walkthrough of seed 003, D2).
    owner = make_person(prefix="mxow")
    set_roles(p.admin, a.id, owner, [M])
    S.expect(api(p.admin).put(f"/api/v1/projects/{project['id']}/members/{owner.uid}",
                              json={"role": "owner"}), 200)
    callers = {"operator": api("olivia"), "parent-admin": api(pb), "other-tenant": api(other.admin),
               "expired-sp": api(expired), "project-only": api(reader), "anonymous": api(None),
               "member-owner": api(owner)}
    for role in ROLE_KINDS:
        callers[role] = api(people[role])
    # The relation routes name the relation's customer account: C, a
    # customer child of P with the same people in the same roles as A.
    cust = make_account(p.admin, "customer", p.account.id)
    for role in (SP, B, M):
        set_roles(p.admin, cust.id, people[role], [role])
    set_roles(p.admin, cust.id, owner, [M])
    set_roles(p.admin, cust.id, expired, [SP])
    sql.rows("INSERT INTO service_provider_access (account_id, uid, granted_by, expires_at)"
             " VALUES (%s, %s, 'test', CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND)"
             " ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)", int(cust.id), expired.uid)

    def relation():
        """A fresh pending relation to C (an unrelated partner asks)."""
        asker = make_tenant("mxr")
        r = api(asker.admin).post(f"/api/v1/accounts/{asker.account.id}/customer-relations",
                                  json={"customer_id": cust.id})
        return S.expect(r, 202)["id"]

    def partner_relation():
        """A fresh pending relation of A as the partner (A asks a customer
        of an unrelated tenant)."""
        owner = make_tenant("mxrc")
        other = make_account(owner.admin, "customer", owner.account.id)
        r = api(p.admin).post(f"/api/v1/accounts/{a.id}/customer-relations",
                              json={"customer_id": other.id})
        return S.expect(r, 202)["id"]

    def new_project():
        """A fresh project of A, for the DELETE that removes it, with the
        project-only reader in it (who sees it: 403)."""
        pid = S.expect(api(p.admin).post(f"/api/v1/accounts/{a.id}/projects",
                                         json={"name": S.unique("mx-gone-")}), 201)["id"]
        ok = ldap_admin.modify(S.project_dn(a.id, pid, "reader"),
                               {"member": [(ldap3.MODIFY_ADD, [reader.dn])]})
        assert ok, ldap_admin.result
        seen = S.poll(lambda: api(reader).get(f"/api/v1/projects/{pid}"),
                      lambda r: r.status_code == 200, 5)
        assert seen.status_code == 200, S.describe(seen)
        return pid

    return {"parent": p, "account": a, "people": people, "callers": callers, "relation": relation,
            "partner_relation": partner_relation, "project": project["id"],
            "new_project": new_project, "billing": Billing(api("olivia"), a.id)}


def expected(key, kind):
    """'in', 401, 403 or 404 for this caller kind on this route."""
    rule = MATRIX[key]
    if kind == "anonymous":
        return 401
    if rule is None:
        return "in"
    roles, _, _ = rule
    if kind == "operator":
        return "in"
    if kind in ("other-tenant", "expired-sp"):
        return 404
    if kind == "project-only":
        return PROJECT_ROUTES.get(key, 404)
    if kind == "member-owner":
        return "in" if key in OWNER_ROUTES or M in roles else 403
    if kind == "parent-admin":
        return 403  # a partner parent: no back office (round-17, seed 001, D1)
    return "in" if kind in roles else 403


def sample(key, cast, removable_member, invite_id):
    """(method, path, json body or None) a caller who is let in can send."""
    a = cast["account"]
    member = cast["people"][M]
    method, pattern = key.split(" ", 1)
    path = pattern.replace("{id}", a.id)
    body = None
    if key == "POST /api/v1/accounts":
        body = {"kind": "customer", "name": S.unique("mx-child-"), "parent_id": a.id}
    elif key == "GET /api/v1/accounts":
        path += f"?parent_id={a.id}"
    elif key == "PATCH /api/v1/accounts/{id}":
        body = {"name": S.unique("mx-renamed-")}
    elif key == "GET /api/v1/accounts/{id}/members/{uid}":
        path = path.replace("{uid}", member.uid)
    elif key == "PUT /api/v1/accounts/{id}/members/{uid}":
        path = path.replace("{uid}", member.uid)
        body = {"roles": [M]}
    elif key == "DELETE /api/v1/accounts/{id}/members/{uid}":
        path = path.replace("{uid}", removable_member().uid)
    elif key == "POST /api/v1/accounts/{id}/members/{uid}/password-reset":
        path = path.replace("{uid}", member.uid)
    elif key == "POST /api/v1/accounts/{id}/invitations":
        body = {"email": S.unique_mail("mx-"), "role": M}
    elif key == "DELETE /api/v1/projects/{pid}":
        path = path.replace("{pid}", cast.get("new_project", lambda: cast["project"])())
    elif key == "PATCH /api/v1/projects/{pid}":
        path = path.replace("{pid}", cast["project"])
        body = {"name": S.unique("mx-project-")}
    elif "{inv}" in key and method == "GET":
        # Reads take one invitation made once: a fresh one per caller would
        # spend the cast account's mail budget.
        kept = cast.setdefault("kept_invitations", {})
        project = cast["project"] if "{pid}" in key else None
        if project not in kept:
            kept[project] = invite_id(project) if project else invite_id()
        path = path.replace("{pid}", str(project)).replace("{inv}", kept[project])
    elif "{inv}" in key and "{pid}" in key:
        path = path.replace("{pid}", cast["project"]).replace("{inv}", invite_id(cast["project"]))
    elif "{inv}" in key:
        path = path.replace("{inv}", invite_id())
    elif key == "PUT /api/v1/accounts/{id}/contacts/{kind}":
        path = path.replace("{kind}", "technical")
        body = {"uid": cast["people"][A].uid}
    elif key == "PUT /api/v1/accounts/{id}/notification-recipients":
        body = {"emails": [S.unique_mail("mx-r-")]}
    elif key == "PUT /api/v1/accounts/{id}/notification-templates/{name}":
        path = path.replace("{name}", "invitation")
        body = {"subject": "Hello", "body": "Join {{account_name}}: {{link}}"}
    elif key == "DELETE /api/v1/accounts/{id}/notification-templates/{name}":
        path = path.replace("{name}", "invitation")
    elif key == "GET /api/v1/accounts/{id}/notification-templates/{name}":
        path = path.replace("{name}", "plan-welcome")
    elif key == "GET /api/v1/accounts/{id}/notification-templates/{name}/recipients":
        path = path.replace("{name}", "plan-welcome")
    elif key == "PUT /api/v1/accounts/{id}/notification-templates/{name}/recipients":
        path = path.replace("{name}", "plan-welcome")
        body = {"emails": [S.unique_mail("mx-tr-")]}
    elif key == "POST /api/v1/accounts/{id}/announcements":
        body = {"subject": "Matrix", "body": "A test announcement."}
    elif key == "POST /api/v1/accounts/{id}/property-definitions":
        body = {"key": S.unique("mx_"), "label": "Matrix", "type": "text"}
    elif key == "GET /api/v1/accounts/{id}/property-definitions/{key}":
        path = path.replace("{key}", "mxkey")
    elif key == "PATCH /api/v1/accounts/{id}/property-definitions/{key}":
        path = path.replace("{key}", "mxkey")
        body = {"label": S.unique("Matrix ")}
    elif key == "DELETE /api/v1/accounts/{id}/property-definitions/{key}":
        path = path.replace("{key}", "nokey")
    elif key == "POST /api/v1/accounts/{id}/transfer":
        body = {"email": S.unique_mail("mx-t-")}
    elif key == "PATCH /api/v1/accounts/{id}/service-providers/{uid}":
        path = path.replace("{uid}", member.uid)
        body = {"expires_at": "2035-01-01T00:00:00Z"}
    elif "{uid}" in key and "service-providers" in key:
        path = path.replace("{uid}", member.uid)
    elif key == "POST /api/v1/accounts/{id}/projects":
        body = {"name": S.unique("mx-p-")}
    elif key == "GET /api/v1/projects/{pid}/members/{uid}":
        # the project's owner (its creator): a person the route answers
        path = path.replace("{pid}", cast["project"]).replace("{uid}", cast["people"][A].uid)
    elif "{pid}" in key:
        path = path.replace("{pid}", cast["project"]).replace("{uid}", member.uid)
        if method == "PUT":
            body = {"role": "reader"}
        elif method == "POST":
            body = {"email": S.unique_mail("mx-pi-"), "role": "reader"}
    elif key == "POST /api/v1/accounts/{id}/customer-relations":
        body = {"customer_id": a.id}
    elif key == "POST /api/v1/customer-relations/{rid}/withdraw":
        path = path.replace("{rid}", cast["partner_relation"]())
    elif "{rid}" in key:
        path = path.replace("{rid}", cast["relation"]())
    elif key == "PATCH /api/v1/me/preferences":
        body = {"news": True}
    elif key == "PUT /api/v1/accounts/{id}/storefront-host":
        body = {"storefront_host": "cloud.matrix.test"}
    elif key in ("POST /api/v1/accounts/{id}/orders", "POST /api/v1/accounts/{id}/quotes"):
        body = {"lines": ORDER_LINES}
    elif "{oid}" in key:
        path = path.replace("{oid}", cast["billing"].draft())
    elif "{sid}" in key:
        path = path.replace("{sid}", cast["billing"].subscription())
        if key.endswith("/upgrade"):
            body = {"plan": "standard"}
    elif key == "GET /api/v1/accounts/{id}/quote-requests/{qid}":
        path = path.replace("{qid}", cast["billing"].quote_request())
    elif "{qid}" in key:
        path = path.replace("{qid}", cast["billing"].quote())
    elif "{feature}" in key:
        path = path.replace("{feature}", "assets")
        body = {"quantity": 1}
    return method, path, body


ROUTER_NOT_FOUND = {"no such account", "no such order", "no such subscription", "no such project",
                    "no such customer relation"}


def refused_by_router(r):
    """The router's refusals: 401, 403, and 404 for the account itself."""
    if r.status_code in (401, 403):
        return True
    if r.status_code == 404 and "json" in r.headers.get("Content-Type", ""):
        # the account, or the resource the path names (an order, ...)
        return r.json().get("detail") in ROUTER_NOT_FOUND
    return False


def role_refusal(roles, kind, key=None):
    """The router's 403 detail to a person of the account whose role the
    route does not name: the roles it needs, in the table's order, and
    whom to ask (round-17 walkthrough of seed 004, D6); on a route of
    OWNER_ROUTES the project's owners too (round-18 walkthrough of seed
    003, D2); or the route's own text where REFUSED has one (round-18
    walkthrough of seed 004, D2)."""
    if key in REFUSED:
        return f"your role in this account does not allow this: {REFUSED[key]}"
    named = [role for role in ROLE_KINDS if role in roles]
    needs = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    if key in OWNER_ROUTES:
        needs += ", or an owner role in the project"
    ask = "" if kind == A else "; ask an administrator of the account"
    return f"your role in this account does not allow this: it needs {needs}{ask}"


# The routes whose router 403 says the route's own text instead of the
# roles it needs (the table's `refused`): those the roles alone would
# send to the wrong person. The reset route is for admins, but only the
# named contacts among them may ask (round-18 walkthrough of seed 004, D2).
REFUSED = {
    "POST /api/v1/accounts/{id}/members/{uid}/password-reset":
        "only the account's named contacts (primary and technical) request password resets;"
        " ask one of them",
}


ACCOUNT_ROUTES = sorted(k for k, v in MATRIX.items() if v is not None and k not in PUBLIC)
ME_ROUTES = ["GET /api/v1/me", "GET /api/v1/me/preferences", "PATCH /api/v1/me/preferences",
             "GET /api/v1/plans",
             "GET /api/v1/articles"]


@pytest.mark.parametrize("key", ACCOUNT_ROUTES + ME_ROUTES)
def test_every_caller_kind(key, cast, api, make_person, set_roles, make_account, sql):
    admin_api = cast["callers"][A]
    # The walk invites (a fresh invitation per caller kind on the routes
    # of one invitation) and adds people from the cast's account: the
    # mails of the routes walked before are moved out of the mail budget's
    # window (at most seven days), so that a route is not refused 429 for
    # the walk's own earlier mails.
    sql.rows("UPDATE mail_outbox SET created_at = created_at - INTERVAL 8 DAY"
             " WHERE account_id = %s AND created_at > CURRENT_TIMESTAMP(6) - INTERVAL 8 DAY",
             int(cast["account"].id))

    def invite_id(project=None):
        if project:
            r = admin_api.post(f"/api/v1/projects/{project}/invitations",
                               json={"email": S.unique_mail("mx-pi-"), "role": "reader"})
        else:
            r = admin_api.post(f"/api/v1/accounts/{cast['account'].id}/invitations",
                               json={"email": S.unique_mail("mx-i-"), "role": M})
        return S.expect(r, 202)["id"]

    def removable_member():
        who = make_person(prefix="mxd")
        set_roles(cast["people"][A], cast["account"].id, who, [M])
        return who

    # Closing is the one call that ends the cast: the kinds that are let in
    # close an account of their own built the same way.
    for kind in KINDS:
        want = expected(key, kind)
        if key == "DELETE /api/v1/accounts/{id}" and want == "in":
            continue
        method, path, body = sample(key, cast, removable_member, invite_id)
        r = cast["callers"][kind].request(method, path, json=body)
        if want == "in":
            assert not refused_by_router(r), f"{kind} should be let in: {S.describe(r)}"
            assert r.status_code < 500, f"{kind}: {S.describe(r)}"
        elif want == 401:
            assert r.status_code == 401, f"{kind} should get 401: {S.describe(r)}"
        else:
            S.expect_problem(r, want)
            assert refused_by_router(r), f"{kind}: {S.describe(r)}"
            # A person of the account reads which roles the route needs;
            # nobody outside it learns anything (404, the parent's admin
            # "you are not a member of this account").
            if want == 403 and kind in ROLE_KINDS + ("member-owner",):
                assert r.json()["detail"] == role_refusal(MATRIX[key][0], kind, key), \
                    f"{kind}: {S.describe(r)}"
            elif want == 403 and kind == "parent-admin" and key in PARENT_ADMIN_ROUTES:
                parent = cast["parent"].account.name
                assert r.json()["detail"] == PARENT_ADMIN_ROUTES[key].format(parent=parent), \
                    f"{kind}: {S.describe(r)}"
            elif want == 403 and kind == "parent-admin":
                assert r.json()["detail"] == "you are not a member of this account", \
                    f"{kind}: {S.describe(r)}"


def test_account_search_is_operator_staff_only(cast):
    """GET /accounts?search= without parent_id names no account, so the
    route's roles do not apply: the handler lets operator staff in and
    refuses every other kind of caller with 403 (docs/api.md, "Finding an
    existing organization"), whatever their roles in the cast's account."""
    # Its name now (the PATCH of the walk above renames it).
    name = S.expect(cast["callers"]["operator"].get(f"/api/v1/accounts/{cast['account'].id}"),
                    200)["name"]
    for kind in KINDS:
        r = cast["callers"][kind].get("/api/v1/accounts", params={"search": name})
        if kind == "operator":
            body = S.expect(r, 200)
            assert cast["account"].id in [i["id"] for i in body["items"]], body
        elif kind == "anonymous":
            assert r.status_code == 401, f"{kind} should get 401: {S.describe(r)}"
        else:
            S.expect_problem(r, 403, "forbidden")
            assert refused_by_router(r), f"{kind}: {S.describe(r)}"


def test_close_let_in_for_operator_and_admin(api, make_tenant, make_account):
    for who in ("operator", "admin"):
        t = make_tenant("mxc")
        acc = make_account(t.admin, "customer", t.account.id)
        caller = api("olivia") if who == "operator" else api(t.admin)
        r = caller.delete(f"/api/v1/accounts/{acc.id}")
        S.expect(r, 204)


@pytest.mark.parametrize("key", sorted(k for k, v in MATRIX.items() if v and v[2]))
def test_open_routes_refuse_a_closed_account(key, api, make_tenant, make_account, make_person,
                                             set_roles, sql):
    t = make_tenant("mxz")
    acc = make_account(t.admin, "partner", t.account.id)
    member = make_person(prefix="mxz")
    set_roles(t.admin, acc.id, member, [M])
    project = S.expect(api(t.admin).post(f"/api/v1/accounts/{acc.id}/projects",
                                         json={"name": "before closing"}), 201)
    billing = Fixed(Billing(api("olivia"), acc.id))
    # A live subscription keeps an account from closing (docs/api.md): this
    # one is cancelled and its term ended, as accountd maint would end it.
    sid = billing.subscription()
    S.expect(api(t.admin).post(f"/api/v1/subscriptions/{sid}/cancel"), 200)
    sql.rows("UPDATE subscriptions SET status='cancelled', ended_at=ends_at,"
             " ended_reason='cancelled' WHERE id=%s", int(sid))
    # A request of acc as the partner, made before it closed (withdraw).
    owner = make_tenant("mxzo")
    partner_rid = S.expect(api(t.admin).post(
        f"/api/v1/accounts/{acc.id}/customer-relations",
        json={"customer_id": make_account(owner.admin, "customer", owner.account.id).id}), 202)["id"]
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{acc.id}"), 204)
    def closed_relation():
        """A pending relation to a customer of the tenant, then closed."""
        cust = make_account(t.admin, "customer", t.account.id)
        asker = make_tenant("mxzr")
        rid = S.expect(api(asker.admin).post(f"/api/v1/accounts/{asker.account.id}/customer-relations",
                                             json={"customer_id": cust.id}), 202)["id"]
        S.expect(api(t.admin).delete(f"/api/v1/accounts/{cust.id}"), 204)
        return rid

    cast = {"account": acc, "people": {A: t.admin, M: member}, "callers": {A: api(t.admin)},
            "relation": closed_relation, "partner_relation": lambda: partner_rid,
            "project": project["id"], "billing": billing}
    method, path, body = sample(key, cast, lambda: member, lambda project=None: "1")
    r = api(t.admin).request(method, path, json=body)
    S.expect_problem(r, 409)


@pytest.fixture(scope="module")
def handed_over(api, sql, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """A customer account its distributor staged and handed over (POST
    …/transfer, accepted): the distributor's admin who staged it is its
    service provider now, `office` a distributor admin with no role in it,
    `back-office` a distributor billing person (no role in it either): the
    back office, which a partner parent has not (round-17 walkthrough of
    seed 001, D1), until the hand-over."""
    p = make_tenant("mxh", kind="distributor")
    office = make_person(prefix="mxho")
    set_roles("olivia", p.account.id, office, [A])
    back_office = make_person(prefix="mxhb")
    set_roles("olivia", p.account.id, back_office, [B])
    acc = make_account(p.admin, "customer", p.account.id, staged=True)
    mail = S.unique_mail("mxh-")
    before = S.outbox_max_id(sql)
    S.expect(api(p.admin).post(f"/api/v1/accounts/{acc.id}/transfer", json={"email": mail}), 202)
    _, token = invitation_mail(mail, after=before)
    S.expect(S.accept_invitation(api, token, uid=S.unique("mxhc"), password="mxh-cust-pw-1"), 200)
    assert sql.account(acc.id)["status"] == "active"
    return {"account": acc, "people": {A: p.admin, M: p.admin}, "project": None, "relation": None,
            "billing": Billing(api("olivia"), acc.id),
            "callers": {"provider": api(p.admin), "office": api(office), "back-office": api(back_office)}}


@pytest.mark.parametrize("key", sorted(k for k, v in MATRIX.items() if v and v[1]))
def test_parent_roles_end_with_the_hand_over(key, handed_over):
    """Round-3 walkthrough of seed 000, D1: on a handed-over account the
    route's parent roles let nobody in; the partner's people have only the
    roles they hold in it (the provider: service-provider). The partner's
    billing people, who still read its row in the partner's table, are
    refused as its admins are: 403, not 404 (round-16 walkthrough of seed
    001, D1)."""
    roles = MATRIX[key][0]
    method, path, body = sample(key, handed_over, None, None)
    for who in ("office", "back-office"):
        r = handed_over["callers"][who].request(method, path, json=body)
        problem = S.expect_problem(r, 403)
        assert problem["detail"] == "you are not a member of this account", (who, problem)
        assert refused_by_router(r), S.describe(r)
    r = handed_over["callers"]["provider"].request(method, path, json=body)
    if SP in roles:
        assert not refused_by_router(r) and r.status_code < 500, S.describe(r)
    else:
        S.expect_problem(r, 403)
        assert refused_by_router(r), S.describe(r)


@pytest.fixture(scope="module")
def back_office(api, make_tenant, make_account, make_person, set_roles, cast):
    """A distributor D with its admin and a billing person, and R, a
    reseller (a partner account) under D that neither of them holds a role
    in (the operator created it): D's back office on R (seed 002's BSS).
    D's member, and the cast's partner admin `pb` and a billing person of
    the cast's partner P, neither a member of P's child A."""
    d = make_tenant("mxbo", kind="distributor")
    d_billing = make_person(prefix="mxbob")
    set_roles("olivia", d.account.id, d_billing, [B])
    d_member = make_person(prefix="mxbom")
    set_roles("olivia", d.account.id, d_member, [M])
    reseller = make_account("olivia", "partner", d.account.id)
    p_billing = make_person(prefix="mxpbb")
    set_roles("olivia", cast["parent"].account.id, p_billing, [B])
    return {"account": reseller, "people": {M: d_member}, "project": None, "relation": None,
            "billing": Billing(api("olivia"), reseller.id),
            "callers": {"d-admin": api(d.admin), "d-billing": api(d_billing),
                        "d-member": api(d_member), "p-billing": api(p_billing)}}


@pytest.mark.parametrize("key", sorted(k for k, v in MATRIX.items() if v and v[1]))
def test_the_back_office_is_a_distributors(key, back_office, cast):
    """Round-17 walkthrough of seed 001, D1: a partner admin who is no
    member of a child got 403 on its overview, yet read its license keys,
    invoices, orders and subscriptions and placed orders and quote requests
    there by the route's parent roles. Those roles are the back office of a
    distributor over its child accounts (seed 002's BSS): its admin and
    billing person are let in on a reseller they hold no role in, its
    member is not (404). A partner's admin and billing person who hold no
    role in the partner's child get 403 "you are not a member of this
    account", as on the child's overview, on every such route."""
    method, path, body = sample(key, back_office, None, None)
    for who in ("d-admin", "d-billing"):
        r = back_office["callers"][who].request(method, path, json=body)
        assert not refused_by_router(r) and r.status_code < 500, f"{who}: {S.describe(r)}"
    r = back_office["callers"]["d-member"].request(method, path, json=body)
    S.expect_problem(r, 404)
    assert refused_by_router(r), S.describe(r)
    method, path, body = sample(key, cast, None, None)
    for who in (cast["callers"]["parent-admin"], back_office["callers"]["p-billing"]):
        problem = S.expect_problem(who.request(method, path, json=body), 403, "forbidden")
        assert problem["detail"] == "you are not a member of this account", (key, problem)
