"""Who may use the invitation, contact and notification endpoints (the
table in docs/api.md, "Invitations, contacts and notifications"): admins
may; a member is refused with 403; a person of another tenant gets 404 (as
for an account that does not exist); a service-provider as the table says.
Every refusal is checked to have changed nothing."""
from dataclasses import dataclass

import pytest

import support as S

WHO = ("admin", "service-provider", "billing", "member", "stranger")


@dataclass
class World:
    acc: S.Account
    people: dict

    def __getitem__(self, who):
        return self.people[who]


@pytest.fixture
def world(make_account, make_person, set_roles, make_tenant, operator_id):
    """A fresh distributor account (so that templates may be overridden)
    with an admin, a service-provider, a billing person and a member, and the admin of an
    unrelated tenant."""
    acc = make_account("olivia", "distributor", operator_id)
    people = {}
    for role, prefix in (("admin", "wa"), ("service-provider", "ws"), ("billing", "wb"), ("member", "wm")):
        people[role] = make_person(prefix=prefix)
        set_roles("olivia", acc.id, people[role], [role])
    people["stranger"] = make_tenant().admin
    return World(acc, people)


def base(world):
    return f"/api/v1/accounts/{world.acc.id}"


def check(r, status):
    if status >= 400:
        slug = {403: "forbidden", 404: "not-found"}[status]
        S.expect_problem(r, status, slug)
    else:
        S.expect(r, status)


def invitation_count(sql, account_id, email):
    return sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s AND email=%s", int(account_id), email)


# ------------------------------------------------------------------ invitations

@pytest.mark.parametrize("who,role,status", [
    ("admin", "admin", 202),
    ("admin", "member", 202),
    ("service-provider", "billing", 403),  # billing may cancel: not a provider's to give
    ("service-provider", "member", 202),
    ("service-provider", "service-provider", 202),
    ("service-provider", "admin", 403),
    ("member", "member", 403),
    ("billing", "member", 403),
    ("stranger", "member", 404),
])
def test_invite(api, world, sql, who, role, status):
    email = S.unique_mail()
    r = api(world[who]).post(f"{base(world)}/invitations", json={"email": email, "role": role})
    check(r, status)
    assert invitation_count(sql, world.acc.id, email) == (1 if status == 202 else 0)
    if status != 202:
        assert S.outbox_rows(sql, recipient=email) == []


def test_service_provider_may_not_add_a_known_person_as_admin(api, world, make_person, ldap_admin):
    p = make_person()
    r = api(world["service-provider"]).post(f"{base(world)}/invitations", json={"email": p.mail, "role": "admin"})
    S.expect_problem(r, 403, "forbidden")
    assert S.roles_in_ldap(ldap_admin, world.acc.id, p) == set()


@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 200), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_list_invitations(api, world, invite, who, status):
    email = S.unique_mail()
    inv_id = invite(world["admin"], world.acc.id, email)["id"]
    r = api(world[who]).get(f"{base(world)}/invitations")
    check(r, status)
    if status == 200:
        assert inv_id in {i["id"] for i in r.json()["items"]}
    else:
        assert email not in r.text


@pytest.mark.parametrize("who,status", [("admin", 204), ("service-provider", 204), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_revoke_invitation(api, world, invite, sql, who, status):
    inv_id = invite(world["admin"], world.acc.id, S.unique_mail())["id"]
    check(api(world[who]).delete(f"{base(world)}/invitations/{inv_id}"), status)
    expected = "revoked" if status == 204 else "pending"
    assert sql.value("SELECT status FROM invitations WHERE id=%s", int(inv_id)) == expected


@pytest.mark.parametrize("who,status", [("admin", 202), ("service-provider", 202), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_resend_invitation(api, world, invite, sql, who, status):
    inv_id = invite(world["admin"], world.acc.id, S.unique_mail())["id"]
    before = sql.value("SELECT token_hash FROM invitations WHERE id=%s", int(inv_id))
    check(api(world[who]).post(f"{base(world)}/invitations/{inv_id}/resend"), status)
    after = sql.value("SELECT token_hash FROM invitations WHERE id=%s", int(inv_id))
    assert (after != before) == (status == 202)


def test_invitation_of_another_account_is_404(api, world, make_tenant, invite, sql):
    """An invitation id is only found under its own account."""
    other = make_tenant()
    inv_id = invite(other.admin, other.account.id, S.unique_mail())["id"]
    s = api(world["admin"])
    S.expect_problem(s.delete(f"{base(world)}/invitations/{inv_id}"), 404, "not-found")
    S.expect_problem(s.post(f"{base(world)}/invitations/{inv_id}/resend"), 404, "not-found")
    assert sql.value("SELECT status FROM invitations WHERE id=%s", int(inv_id)) == "pending"


# ------------------------------------------------------------------ contacts

@pytest.mark.parametrize("kind", ["primary", "technical"])
@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 403), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_set_contact(api, world, sql, kind, who, status):
    r = api(world[who]).put(f"{base(world)}/contacts/{kind}", json={"uid": world["admin"].uid})
    check(r, status)
    uid = sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind=%s", int(world.acc.id), kind)
    assert uid == (world["admin"].uid if status == 200 else None)


# ------------------------------------------------------------------ recipients

@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 200), ("billing", 200), ("member", 200),
                                        ("stranger", 404)])
def test_get_recipients(api, world, who, status):
    addr = S.unique_mail()
    S.expect(api(world["admin"]).put(f"{base(world)}/notification-recipients", json={"emails": [addr]}), 200)
    r = api(world[who]).get(f"{base(world)}/notification-recipients")
    check(r, status)
    if status == 200:
        assert r.json()["emails"] == [addr]
    else:
        assert addr not in r.text


@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 200), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_put_recipients(api, world, sql, who, status):
    addr = S.unique_mail()
    check(api(world[who]).put(f"{base(world)}/notification-recipients", json={"emails": [addr]}), status)
    stored = [r["email"] for r in sql.rows("SELECT email FROM notification_recipients WHERE account_id=%s",
                                           int(world.acc.id))]
    assert stored == ([addr] if status == 200 else [])


def test_recipients_of_a_child_are_403_for_the_parents_other_admin(api, make_tenant, make_account,
                                                                   make_person, set_roles):
    """Any role may read recipients, but only in the account itself: an
    admin of the parent who is not a member of the child sees it (403), not
    its recipients."""
    t = make_tenant()
    child = make_account(t.admin, "customer", t.account.id)
    addr = S.unique_mail()
    S.expect(api(t.admin).put(f"/api/v1/accounts/{child.id}/notification-recipients",
                              json={"emails": [addr]}), 200)
    other = make_person()
    set_roles(t.admin, t.account.id, other, ["admin"])
    r = api(other).get(f"/api/v1/accounts/{child.id}/notification-recipients")
    S.expect_problem(r, 403, "forbidden")
    assert addr not in r.text


# ------------------------------------------------------------------ templates

@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 200), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_list_templates(api, world, who, status):
    r = api(world[who]).get(f"{base(world)}/notification-templates")
    check(r, status)
    if status == 200:
        assert "contact-changed" in {t["name"] for t in r.json()["items"]}


def override_of(sql, account_id, name):
    return sql.row("SELECT subject, body FROM notification_templates WHERE account_id=%s AND name=%s",
                   int(account_id), name)


@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 403), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_put_template(api, world, sql, who, status):
    subject = "Access " + S.unique("") + " {{account_name}}"
    r = api(world[who]).put(f"{base(world)}/notification-templates/contact-changed",
                            json={"subject": subject, "body": "Now {{new_name}}."})
    check(r, status)
    row = override_of(sql, world.acc.id, "contact-changed")
    if status == 200:
        assert row is not None and row["subject"] == subject
    else:
        assert row is None


@pytest.mark.parametrize("who,status", [("admin", 204), ("service-provider", 403), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_delete_template(api, world, sql, who, status):
    S.expect(api(world["admin"]).put(f"{base(world)}/notification-templates/contact-changed",
                                     json={"subject": "Mine {{account_name}}", "body": "Mine."}), 200)
    r = api(world[who]).delete(f"{base(world)}/notification-templates/contact-changed")
    if status == 204:
        S.expect(r, 204)  # docs/api.md: DELETE returns to the default (204)
    else:
        check(r, status)
    row = override_of(sql, world.acc.id, "contact-changed")
    assert (row is None) == (status == 204)


# ------------------------------------------------------------------ notifications, announcements

@pytest.mark.parametrize("who,status", [("admin", 200), ("service-provider", 200), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_list_notifications(api, world, invite, who, status):
    email = S.unique_mail()
    invite(world["admin"], world.acc.id, email)
    r = api(world[who]).get(f"{base(world)}/notifications")
    check(r, status)
    if status == 200:
        assert email in {i["recipient"] for i in r.json()["items"]}
    else:
        assert email not in r.text


@pytest.mark.parametrize("who,status", [("admin", 202), ("service-provider", 403), ("billing", 403), ("member", 403),
                                        ("stranger", 404)])
def test_announce(api, world, sql, who, status):
    before = S.outbox_max_id(sql)
    r = api(world[who]).post(f"{base(world)}/announcements", json={"subject": "News " + S.unique(""),
                                                                      "body": "Something new."})
    check(r, status)
    news = [row for row in S.outbox_rows(sql, account_id=world.acc.id, after_id=before)
            if row["category"] == "news"]
    if status == 202:
        assert news and r.json()["queued"] == len(news), (S.describe(r), news)
    else:
        assert news == []


# ------------------------------------------------------------------ preferences

def test_preferences_need_a_caller(api, sql):
    r = api(None).patch("/api/v1/me/preferences", json={"news": False})
    S.expect_problem(r, 401, "unauthenticated")


def test_preferences_are_the_callers_own(api, make_person, sql):
    p, q = make_person(), make_person()
    S.expect(api(p).patch("/api/v1/me/preferences", json={"news": False}), 200)
    assert S.expect(api(p).get("/api/v1/me"), 200)["preferences"]["news"] is False
    assert S.expect(api(q).get("/api/v1/me"), 200)["preferences"]["news"] is True
    # There is no way to name someone else.
    r = api(p).patch("/api/v1/me/preferences", json={"news": True, "uid": q.uid})
    S.expect_field_errors(r, "uid")
    assert S.expect(api(p).get("/api/v1/me"), 200)["preferences"]["news"] is False
