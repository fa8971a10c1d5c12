"""The two named contacts of an account (primary and technical): each is
one of the account's admins, shown in the account overview; changing one
mails the old contact, the new one and the account's notification
recipients (`contact-changed`)."""
import pytest

import support as S




def contact_path(account_id, kind="primary"):
    return f"/api/v1/accounts/{account_id}/contacts/{kind}"


def overview_contacts(api, by, account_id):
    body = S.expect(api(by).get(f"/api/v1/accounts/{account_id}"), 200)
    assert isinstance(body.get("contacts"), dict), body
    return body["contacts"]


def stored_contact(sql, account_id, kind="primary"):
    return sql.value("SELECT uid FROM account_contacts WHERE account_id=%s AND kind=%s", int(account_id), kind)


def addresses(rows):
    return sorted(r["recipient"].lower() for r in rows)


@pytest.mark.parametrize("kind", ["primary", "technical"])
def test_set_contact_shows_in_overview(api, customer, sql, kind):
    admin, acc = customer
    assert overview_contacts(api, admin, acc.id) == {"primary": None, "technical": None}
    S.expect(api(admin).put(contact_path(acc.id, kind), json={"uid": admin.uid}), 200)
    contacts = overview_contacts(api, admin, acc.id)
    assert contacts[kind] == {"uid": admin.uid, "name": admin.name, "mail": admin.mail}, contacts
    other = "technical" if kind == "primary" else "primary"
    assert contacts[other] is None, contacts
    assert stored_contact(sql, acc.id, kind) == admin.uid


def test_set_contact_by_form(api, customer, make_person, set_roles, sql):
    admin, acc = customer
    b = make_person()
    set_roles(admin, acc.id, b, ["admin"])
    r = api(admin).form("POST", contact_path(acc.id, "technical"), [("_method", "PUT"), ("uid", b.uid)])
    S.expect(r, 200)
    assert overview_contacts(api, admin, acc.id)["technical"]["uid"] == b.uid


@pytest.mark.parametrize("case", ["member", "other-roles", "not-in-account", "unknown"])
def test_contact_must_be_an_admin(api, customer, make_person, set_roles, sql, case):
    admin, acc = customer
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": admin.uid}), 200)
    if case == "unknown":
        uid = S.unique("ghost")
    else:
        p = make_person()
        uid = p.uid
        if case == "member":
            set_roles(admin, acc.id, p, ["member"])
        elif case == "other-roles":
            set_roles(admin, acc.id, p, ["billing", "member", "service-provider"])
    before = S.outbox_max_id(sql)
    r = api(admin).put(contact_path(acc.id), json={"uid": uid})
    S.expect_field_errors(r, "uid")
    assert stored_contact(sql, acc.id) == admin.uid
    assert overview_contacts(api, admin, acc.id)["primary"]["uid"] == admin.uid
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


def test_unknown_contact_kind_is_404(api, customer, sql):
    admin, acc = customer
    r = api(admin).put(contact_path(acc.id, "billing"), json={"uid": admin.uid})
    S.expect_problem(r, 404, "not-found")
    assert sql.rows("SELECT * FROM account_contacts WHERE account_id=%s", int(acc.id)) == []


def test_change_mails_old_new_and_recipients(api, customer, make_person, set_roles, sql, mailbox):
    admin, acc = customer
    b = make_person()
    set_roles(admin, acc.id, b, ["admin"])
    r1, r2 = S.unique_mail(), S.unique_mail()
    S.expect(api(admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                            json={"emails": [r1, r2]}), 200)

    # The first contact: no old one, so the new one and the recipients.
    before = S.outbox_max_id(sql)
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": admin.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([admin.mail.lower(), r1, r2]), rows
    assert {r["template"] for r in rows} == {"contact-changed"}

    # From admin to b: old, new and recipients, each once.
    before = S.outbox_max_id(sql)
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": b.uid}), 200)
    assert overview_contacts(api, admin, acc.id)["primary"]["uid"] == b.uid
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([admin.mail.lower(), b.mail.lower(), r1, r2]), rows
    assert {(r["template"], r["category"], r["status"]) for r in rows} == {("contact-changed", "transactional", "sent")}

    ids = [r["id"] for r in rows]
    mails = mailbox.wait_for(count=4, outbox_ids=ids)
    assert len(mails) == 4, mails
    by_id = {r["id"]: r["recipient"].lower() for r in rows}
    for m in mails:
        assert m.envelope_to == [by_id[m.outbox_id]], m
        assert acc.name in m.subject and "primary" in m.subject, m
        assert admin.name in m.body and b.name in m.body, m.body
    assert sorted(a for m in mails for a in m.envelope_to) == sorted(by_id.values())


def test_setting_the_same_contact_mails_it_once(api, customer, sql):
    admin, acc = customer
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": admin.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": admin.uid}), 200)
    rows = S.outbox_rows(sql, account_id=acc.id, after_id=before)
    assert addresses(rows).count(admin.mail.lower()) <= 1, rows


def test_service_provider_may_not_change_contacts(api, customer, make_person, set_roles, sql):
    admin, acc = customer
    sp = make_person()
    set_roles(admin, acc.id, sp, ["service-provider"])
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": admin.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect_problem(api(sp).put(contact_path(acc.id), json={"uid": admin.uid}), 403, "forbidden")
    S.expect_problem(api(sp).put(contact_path(acc.id, "technical"), json={"uid": admin.uid}), 403, "forbidden")
    assert stored_contact(sql, acc.id) == admin.uid
    assert stored_contact(sql, acc.id, "technical") is None
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


def test_unknown_field_is_422(api, customer, sql):
    admin, acc = customer
    r = api(admin).put(contact_path(acc.id), json={"uid": admin.uid, "mail": "x@example.test"})
    S.expect_field_errors(r, "mail")
    assert stored_contact(sql, acc.id) is None
