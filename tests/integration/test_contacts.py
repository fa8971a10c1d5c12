"""The two named contacts of an account (primary and technical): each is
one of the account's admins, shown in the account overview; changing one
mails the old contact, the new one and the account's notification
recipients (`contact-changed`)."""
import ldap3
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


def test_an_admin_without_an_address_is_no_contact(api, customer, make_person, set_roles, sql,
                                                   ldap_admin):
    """Round-12 walkthrough of seed 004, D3: the contacts receive the
    account's mail, so an admin an LDAP administrator made without `mail`
    cannot be named one: 422 on uid, the contact stays, nobody is mailed.
    With an address again, the same person can be named."""
    admin, acc = customer
    S.expect(api(admin).put(contact_path(acc.id, "technical"), json={"uid": admin.uid}), 200)
    p = make_person(prefix="nomail")
    set_roles(admin, acc.id, p, ["admin"])
    assert ldap_admin.modify(p.dn, {"mail": [(ldap3.MODIFY_DELETE, [])]}), ldap_admin.result
    # An ldapmodify counts once the change stream brings it (within 100 ms,
    # longer under load): wait until the member reads without an address.
    member = f"/api/v1/accounts/{acc.id}/members/{p.uid}"
    assert S.wait_until(lambda: api(admin).get(member).json().get("mail") is None)
    before = S.outbox_max_id(sql)
    errors = S.expect_field_errors(api(admin).put(contact_path(acc.id, "technical"),
                                                  json={"uid": p.uid}), "uid")
    assert errors["uid"] == ("has no e-mail address in the directory; a named contact "
                                     "must receive the account's mail"), errors
    assert stored_contact(sql, acc.id, "technical") == admin.uid
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert ldap_admin.modify(p.dn, {"mail": [(ldap3.MODIFY_ADD, [p.mail])]}), ldap_admin.result
    assert S.wait_until(lambda: api(admin).get(member).json().get("mail") == p.mail)
    S.expect(api(admin).put(contact_path(acc.id, "technical"), json={"uid": p.uid}), 200)
    assert stored_contact(sql, acc.id, "technical") == p.uid
    # Round-13 walkthrough of seed 004, D3: an LDAP administrator deletes
    # the named contact's address afterwards. The kind reads as unset, as
    # for a contact who lost the admin role, and comes back with the
    # address.
    assert ldap_admin.modify(p.dn, {"mail": [(ldap3.MODIFY_DELETE, [])]}), ldap_admin.result
    assert S.wait_until(lambda: overview_contacts(api, admin, acc.id)["technical"] is None)
    assert stored_contact(sql, acc.id, "technical") == p.uid
    assert ldap_admin.modify(p.dn, {"mail": [(ldap3.MODIFY_ADD, [p.mail])]}), ldap_admin.result
    assert S.wait_until(lambda: (overview_contacts(api, admin, acc.id)["technical"] or {})
                        .get("uid") == p.uid)


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

    # The first contact: no old one, so the new one and the recipients;
    # the admin named themselves and there is no other contact, so the
    # other admin hears of it too (round-18 walkthrough of seed 004, D1).
    before = S.outbox_max_id(sql)
    S.expect(api(admin).put(contact_path(acc.id), json={"uid": admin.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([admin.mail.lower(), b.mail.lower(), r1, r2]), rows
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


def etag(api, by, account_id):
    r = api(by).get(f"/api/v1/accounts/{account_id}")
    assert r.status_code == 200, S.describe(r)
    return r.headers["ETag"]


@pytest.mark.parametrize("kind", ["primary", "technical"])
def test_contact_change_moves_the_etag_and_honours_if_match(api, customer, make_person, set_roles, sql, kind):
    """story-004 D4: the overview shows the contacts, so a change gives it a
    new ETag; a stale If-Match is 412 (precondition-failed) and changes
    nothing, also when the contact would stay the same; none is allowed."""
    admin, acc = customer
    b = make_person()
    set_roles(admin, acc.id, b, ["admin"])
    first = etag(api, admin, acc.id)
    r = api(admin).put(contact_path(acc.id, kind), json={"uid": admin.uid}, headers={"If-Match": first})
    S.expect(r, 200)
    second = etag(api, admin, acc.id)
    assert second != first
    assert sql.account(acc.id)["version"] == int(second.strip('"').split(".")[1])
    # The old ETag is stale now: 412, nothing stored, mailed or audited.
    before_mail, before_audit = S.outbox_max_id(sql), len(sql.audit(acc.id))
    for uid in (b.uid, admin.uid):
        S.expect_problem(api(admin).put(contact_path(acc.id, kind), json={"uid": uid}, headers={"If-Match": first}),
                         412, "precondition-failed")
    assert stored_contact(sql, acc.id, kind) == admin.uid
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before_mail) == []
    assert len(sql.audit(acc.id)) == before_audit
    assert etag(api, admin, acc.id) == second
    # A form's _version is checked the same way.
    version = second.strip('"').split(".")[1]
    r = api(admin).form("POST", contact_path(acc.id, kind),
                        [("_method", "PUT"), ("uid", b.uid), ("_version", str(int(version) - 1))])
    S.expect_problem(r, 412, "precondition-failed")
    r = api(admin).form("POST", contact_path(acc.id, kind), [("_method", "PUT"), ("uid", b.uid), ("_version", version)])
    S.expect(r, 200)
    assert stored_contact(sql, acc.id, kind) == b.uid
    # Without a precondition the change is applied, and the ETag moves again.
    third = etag(api, admin, acc.id)
    S.expect(api(admin).put(contact_path(acc.id, kind), json={"uid": admin.uid}), 200)
    assert etag(api, admin, acc.id) != third
    # A PUT that changes nothing keeps the ETag.
    fourth = etag(api, admin, acc.id)
    S.expect(api(admin).put(contact_path(acc.id, kind), json={"uid": admin.uid}, headers={"If-Match": fourth}), 200)
    assert etag(api, admin, acc.id) == fourth


@pytest.mark.parametrize("uid, message", [
    ("bad uid!", "may contain only letters, digits, '.', '_' and '-'"),
    ("s004-tech2 ", "may contain only letters, digits, '.', '_' and '-'"),
    ("-dash", "must start with a letter or digit"),
])
def test_malformed_contact_uid_gets_a_format_message(api, customer, sql, uid, message):
    """story-004 D7: a uid no person can have is 422 on errors.uid with
    what is wrong with it, not "must be an admin of the account"."""
    admin, acc = customer
    errors = S.expect_field_errors(api(admin).put(contact_path(acc.id, "technical"), json={"uid": uid}), "uid")
    assert errors["uid"] == message, errors
    assert stored_contact(sql, acc.id, "technical") is None


def test_a_contact_demoted_in_ldap_is_no_contact(api, customer, make_person, set_roles, sql, ldap_admin):
    """story-004 D2: "a contact is always an admin" also when an LDAP
    administrator takes the admin role away in the directory: the contact
    reads as unset (overview null), gets no contact or billing mail (the
    admins get the billing mail, as without a primary contact), and the
    next contact change mails "from nobody" and not the old contact."""
    admin, acc = customer
    b = make_person()
    set_roles(admin, acc.id, b, ["admin"])
    S.expect(api(admin).put(contact_path(acc.id, "primary"), json={"uid": b.uid}), 200)
    S.expect(api(admin).put(contact_path(acc.id, "technical"), json={"uid": b.uid}), 200)
    assert overview_contacts(api, admin, acc.id)["primary"]["uid"] == b.uid

    S.wait_for_directory_cache()
    dn = S.norm_dn(b.dn)
    assert ldap_admin.modify(S.role_dn(acc.id, "admin"), {"member": [(ldap3.MODIFY_DELETE, [b.dn])]}), ldap_admin.result
    assert ldap_admin.modify(S.role_dn(acc.id, "member"), {"member": [(ldap3.MODIFY_ADD, [b.dn])]}), ldap_admin.result

    def members():
        body = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}"), 200)
        return body, {m["uid"]: m["roles"] for m in body["members"]}
    assert S.wait_until(lambda: members()[1].get(b.uid) == ["member"], 5.0, 0.1)
    assert dn not in S.group_members(ldap_admin, acc.id, "admin")
    view, roles = members()
    assert view["contacts"] == {"primary": None, "technical": None}, view["contacts"]
    assert stored_contact(sql, acc.id, "primary") == b.uid  # the row stays; reads treat it as unset

    # Billing mail (plan-welcome): the admins, as for an account without a primary contact.
    before = S.outbox_max_id(sql)
    draft = S.expect(api(admin).post(f"/api/v1/accounts/{acc.id}/orders",
                                     json={"lines": [{"article": "starter", "quantity": 1}]}), 201)
    S.expect(api(admin).post(f"/api/v1/orders/{draft['id']}/execute"), 200)
    welcome = [r for r in S.outbox_rows(sql, account_id=acc.id, after_id=before) if r["template"] == "plan-welcome"]
    assert admin.mail.lower() in addresses(welcome) and b.mail.lower() not in addresses(welcome), welcome

    # Naming another contact: the old one is not mailed, the mail says "nobody".
    before = S.outbox_max_id(sql)
    S.expect(api(admin).put(contact_path(acc.id, "primary"), json={"uid": admin.uid}), 200)
    rows = S.with_bodies(S.outbox_rows(sql, account_id=acc.id, after_id=before))
    assert addresses(rows) == [admin.mail.lower()], rows
    assert "nobody" in rows[0]["subject"] + rows[0]["body"], rows[0]
    audit = [r for r in sql.audit(acc.id) if r["action"] == "contact.set"][-1]
    assert audit["old_value"] == {"contact": "primary", "uid": b.uid}
    # Admin again: the remaining (technical) contact counts again.
    assert ldap_admin.modify(S.role_dn(acc.id, "admin"), {"member": [(ldap3.MODIFY_ADD, [b.dn])]}), ldap_admin.result
    assert S.wait_until(lambda: overview_contacts(api, admin, acc.id)["technical"] is not None, 5.0, 0.1)
    assert overview_contacts(api, admin, acc.id)["technical"]["uid"] == b.uid


def test_contact_answer_carries_the_new_etag(api, customer, make_person, set_roles):
    """round-3 walkthroughs (seeds 000, 003, 004): a contact PUT answers
    with the account's new ETag, so a front end chains its next If-Match
    without reading the account again; an unchanged contact answers the
    current one."""
    admin, acc = customer
    b = make_person()
    set_roles(admin, acc.id, b, ["admin"])
    r = api(admin).put(contact_path(acc.id, "primary"), json={"uid": b.uid},
                       headers={"If-Match": etag(api, admin, acc.id)})
    S.expect(r, 200)
    new = r.headers.get("ETag")
    assert new and new == etag(api, admin, acc.id), (new, r.headers)
    # Chained: the answer's ETag is good for the next change.
    r = api(admin).put(contact_path(acc.id, "technical"), json={"uid": b.uid}, headers={"If-Match": new})
    S.expect(r, 200)
    newer = r.headers["ETag"]
    assert newer != new and newer == etag(api, admin, acc.id)
    # Nothing changes: the same ETag.
    r = api(admin).put(contact_path(acc.id, "technical"), json={"uid": b.uid}, headers={"If-Match": newer})
    S.expect(r, 200)
    assert r.headers["ETag"] == newer == etag(api, admin, acc.id)


def test_a_new_person_with_a_deleted_contacts_uid_is_no_contact(api, customer, make_person, set_roles, sql,
                                                               ldap_admin, invite, invitation_mail):
    """round-5 walkthrough of seed 004: an LDAP administrator deleted the
    named contact; a new, different person who took that uid when
    accepting an admin invitation became primary contact silently. A new
    person is nobody's contact: the stale rows go in the accept."""
    admin, acc = customer
    old = make_person(prefix="ctgone")
    set_roles(admin, acc.id, old, ["admin"])
    S.expect(api(admin).put(contact_path(acc.id, "primary"), json={"uid": old.uid}), 200)
    assert stored_contact(sql, acc.id, "primary") == old.uid
    # The LDAP administrator deletes the person (a directory without
    # slapo-refint keeps the DN in the admin group).
    assert ldap_admin.delete(old.dn), ldap_admin.result
    email = S.unique_mail("ctnew-")
    before = S.outbox_max_id(sql)
    invite(admin, acc.id, email, "admin")
    _, token = invitation_mail(email, after=before)
    S.expect(S.accept_invitation(api, token, uid=old.uid, password="pw-ctnew-123"), 200)
    assert stored_contact(sql, acc.id, "primary") is None
    view = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}"), 200)
    assert view["contacts"]["primary"] is None, view["contacts"]


def test_clearing_a_deleted_persons_contact_rows_is_in_the_audit_trail(api, make_tenant, make_account,
                                                                       make_person, set_roles, sql,
                                                                       ldap_admin, invite, invitation_mail):
    """round-6 walkthrough of seed 004, D4: the accept that deletes the
    contact rows naming a deleted person's uid wrote no audit row, so the
    trail named that uid contact and then showed a new person with the
    uid joining. Each row deleted gets contact.unset in its account, with
    the uid it named and why, before the accept's own rows."""
    t = make_tenant()
    acc = make_account(t.admin, "customer", t.account.id)
    other = make_account(t.admin, "customer", t.account.id)
    old = make_person(prefix="ctaud")
    for a in (acc, other):
        set_roles(t.admin, a.id, old, ["admin"])
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": old.uid}), 200)
    S.expect(api(t.admin).put(contact_path(other.id, "technical"), json={"uid": old.uid}), 200)
    assert ldap_admin.delete(old.dn), ldap_admin.result
    email = S.unique_mail("ctaud-")
    before = S.outbox_max_id(sql)
    invite(t.admin, acc.id, email, "admin")
    _, token = invitation_mail(email, after=before)
    # The same uid in another case: uids are matched without regard to case.
    new_uid = old.uid.upper()
    S.expect(S.accept_invitation(api, token, uid=new_uid, password="pw-ctaud-123"), 200)
    for a, kind in ((acc, "primary"), (other, "technical")):
        assert stored_contact(sql, a.id, kind) is None
        rows = [r for r in sql.audit(a.id) if r["action"] == "contact.unset"]
        assert len(rows) == 1, rows
        assert rows[0]["uid"] == new_uid
        assert rows[0]["old_value"] == {"contact": kind, "uid": old.uid}, rows[0]
        assert rows[0]["new_value"]["contact"] == kind and rows[0]["new_value"]["uid"] is None
        assert "deleted" in rows[0]["new_value"]["reason"], rows[0]
    actions = [r["action"] for r in sql.audit(acc.id)]
    assert actions[-2:] == ["contact.unset", "invitation.accept"], actions
    # The audit view shows it to the account's admins.
    items = S.expect(api(t.admin).get(f"/api/v1/accounts/{other.id}/audit"), 200)["items"]
    assert items[0]["action"] == "contact.unset" and items[0]["old_value"]["uid"] == old.uid, items[0]


# ---------------------------------------------------------------- the other guardians

SELF_TEXT = "You made this change."
WHY = ("You get this mail as a named contact or a notification recipient of {acc}, or as one of"
       " its administrators while it has no other named contact.")


def received(mailbox, rows, to):
    found = [r for r in rows if r["template"] == "contact-changed"
             and r["recipient"].lower() == to.lower()]
    assert len(found) == 1, (to, rows)
    mails = mailbox.wait_for(outbox_id=found[0]["id"], timeout=15)
    assert len(mails) == 1, found
    return mails[0].body.replace("\r\n", "\n")


def demote_in_ldap(api, ldap_admin, by, account_id, person):
    """The seed's LDAP administrator takes the admin role away (the person
    stays a member); the overview shows it at once."""
    S.wait_for_directory_cache()
    assert ldap_admin.modify(S.role_dn(account_id, "admin"),
                             {"member": [(ldap3.MODIFY_DELETE, [person.dn])]}), ldap_admin.result
    assert ldap_admin.modify(S.role_dn(account_id, "member"),
                             {"member": [(ldap3.MODIFY_ADD, [person.dn])]}), ldap_admin.result

    def roles():
        body = S.expect(api(by).get(f"/api/v1/accounts/{account_id}"), 200)
        return {m["uid"]: m["roles"] for m in body["members"]}.get(person.uid)
    assert S.wait_until(lambda: roles() == ["member"], 5.0, 0.1)


def test_naming_oneself_after_an_ldap_demotion_is_told_to_the_other_contact(
        api, sql, mailbox, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """Round-18 walkthrough of seed 004, D1: Ben was technical contact,
    Gus primary; the LDAP administrator took admin away from Gus (primary
    reads unset), and Paul, the partner's admin and an admin of the
    customer, named himself primary. contact-changed went to Paul alone
    ("from nobody to Paul …  You made this change."): Ben, the customer's
    other named contact, heard nothing. Now the contact of the other kind
    reads every change; Paul's copy still says he made it, one copy per
    address; Gus (no contact any more), another admin and a member get
    none. A member may not name a contact (403), another tenant 404."""
    t = make_tenant("ctg")
    acc = make_account(t.admin, "customer", t.account.id)
    gus, ben, dora, mia = (make_person(prefix=p) for p in ("ctgg", "ctgb", "ctgd", "ctgm"))
    for who in (gus, ben, dora):
        set_roles(t.admin, acc.id, who, ["admin"])
    set_roles(t.admin, acc.id, mia, ["member"])
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": gus.uid}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}), 200)
    demote_in_ldap(api, ldap_admin, t.admin, acc.id, gus)
    assert overview_contacts(api, ben, acc.id)["primary"] is None

    # Who may not: a member (the router's 403), another tenant (404); no mail.
    other = make_tenant("ctgo")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(mia).put(contact_path(acc.id, "primary"), json={"uid": mia.uid}),
                     403, "forbidden")
    S.expect_problem(api(other.admin).put(contact_path(acc.id, "primary"),
                                          json={"uid": other.admin.uid}), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []

    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": t.admin.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([t.admin.mail.lower(), ben.mail.lower()]), rows
    assert {r["template"] for r in rows} == {"contact-changed"}
    paul = f"{t.admin.name} of {t.account.name}"
    mine = received(mailbox, rows, t.admin.mail)
    assert mine.rstrip("\n").endswith(SELF_TEXT), mine
    bens = received(mailbox, rows, ben.mail)
    assert bens.startswith(f"Hello {ben.name},\n\n{paul} changed the primary contact of"
                           f" {acc.name} from nobody to {t.admin.name}.\n"), bens
    assert (f"If you did not expect this change, ask {paul} or another administrator of"
            f" {acc.name}: any administrator can name another contact.\n") in bens, bens
    assert WHY.format(acc=acc.name) in bens and SELF_TEXT not in bens, bens

    # Every change, not only one from nobody: Paul hands primary to Dora;
    # Ben (technical) hears of it with the old and the new contact.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": dora.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([t.admin.mail.lower(), dora.mail.lower(),
                                      ben.mail.lower()]), rows
    assert f"from {t.admin.name} to {dora.name}." in received(mailbox, rows, ben.mail)

    # A change of the technical contact is told to the primary one (Dora).
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(contact_path(acc.id, "technical"), json={"uid": t.admin.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([ben.mail.lower(), t.admin.mail.lower(),
                                      dora.mail.lower()]), rows
    assert received(mailbox, rows, ben.mail).rstrip("\n").endswith(SELF_TEXT)
    # The other contact who makes the change gets no copy as such: Dora
    # (primary) hands technical from Paul to Ben.
    before = S.outbox_max_id(sql)
    S.expect(api(dora).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([t.admin.mail.lower(), ben.mail.lower()]), rows


def test_naming_oneself_with_no_other_contact_is_told_to_the_other_admins(
        api, sql, mailbox, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """D1: when the old, the new and the other contact leave nobody but
    the caller (Gus named himself primary after the primary's LDAP
    demotion, no technical contact), the account's other admins read
    contact-changed, as recipients-added goes to the contacts else the
    admins: not the caller twice, not the demoted person, not a member or
    a billing person; the notification recipients as always. When
    someone else is named, they read it and the admins do not."""
    t = make_tenant("cta")
    acc = make_account(t.admin, "customer", t.account.id)
    carl, gus, ann, bob, mia = (make_person(prefix=p)
                                for p in ("ctac", "ctag", "ctaa", "ctab", "ctam"))
    for who in (carl, gus, ann):
        set_roles(t.admin, acc.id, who, ["admin"])
    set_roles(t.admin, acc.id, bob, ["billing"])
    set_roles(t.admin, acc.id, mia, ["member"])
    bare = S.unique_mail("ops-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [bare]}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": carl.uid}), 200)
    demote_in_ldap(api, ldap_admin, t.admin, acc.id, carl)

    before = S.outbox_max_id(sql)
    S.expect(api(gus).put(contact_path(acc.id, "primary"), json={"uid": gus.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([gus.mail.lower(), t.admin.mail.lower(), ann.mail.lower(),
                                      bare.lower()]), rows
    assert received(mailbox, rows, gus.mail).rstrip("\n").endswith(SELF_TEXT)
    anns = received(mailbox, rows, ann.mail)
    assert anns.startswith(f"Hello {ann.name},\n\n{gus.name} changed the primary contact of"
                           f" {acc.name} from nobody to {gus.name}.\n"), anns
    assert WHY.format(acc=acc.name) in anns, anns
    assert f"ask {gus.name} or another administrator of {acc.name}" in anns, anns

    # Gus names himself technical too: the other contact is himself, so
    # the other admins again.
    before = S.outbox_max_id(sql)
    S.expect(api(gus).put(contact_path(acc.id, "technical"), json={"uid": gus.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([gus.mail.lower(), t.admin.mail.lower(), ann.mail.lower(),
                                      bare.lower()]), rows

    # Gus hands technical to Ann: she reads it, the other admins do not.
    before = S.outbox_max_id(sql)
    S.expect(api(gus).put(contact_path(acc.id, "technical"), json={"uid": ann.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([gus.mail.lower(), ann.mail.lower(), bare.lower()]), rows


NOTE = ("You are now its {kind} contact{too}: you get its account and billing mail, may request"
        " password resets for its people, and stay an administrator while you are its contact (to"
        " change your role or leave, name {rest} first).")


def note(kind, holds_both=False):
    """The new contact's {{contact_note}}: for both kinds, named at once or
    one named while the person holds the other already (round-20
    walkthrough of seed 004, D3), the way out names both kinds."""
    both = kind == "primary and technical" or holds_both
    too = ""
    if holds_both and kind != "primary and technical":
        too = ", and you are its {} contact too".format(
            "technical" if kind == "primary" else "primary")
    rest = ("other administrators its primary and technical contacts" if both
            else f"another administrator {kind} contact")
    return NOTE.format(kind=kind, too=too, rest=rest)


OLD_NOTE = "You get this copy because you were its {kind} contact until now. "


def old_note(kind, holds_other=False):
    """The old contact's {{contact_note}} (round-24 walkthrough of seed 004,
    D2): what ends for them, or, while they still hold the other kind, what
    they keep."""
    if holds_other:
        other = "technical" if kind == "primary" else "primary"
        return OLD_NOTE.format(kind=kind) + (
            f"You are no longer its {kind} contact, but you are still its {other} contact: you"
            " keep its account and billing mail and may still request password resets for its"
            " people.")
    return OLD_NOTE.format(kind=kind) + (
        f"You are no longer its {kind} contact: you no longer get its account and billing mail as"
        " its contact or request password resets for its people, and being its contact no longer"
        " keeps you from changing your role or leaving.")


def test_the_new_contacts_copy_says_what_being_the_contact_means(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-19 walkthrough of seed 004, D2: Anna named Carl technical
    contact by form, and his contact-changed said that the contact
    changed, not what it means for him, while the contact person of POST
    /accounts is told in the invitation ({{contact_note}}). The new
    contact's copy now carries the line, worded for the kind named; the
    old contact's, the other contact's and the recipients' copies do not
    (the line is left out, nothing blank in its place). The contact
    person named at POST /accounts reads it for both kinds. A member may
    not name a contact (403), another tenant 404, and nobody is mailed."""
    from urllib.parse import parse_qsl, urlsplit
    t = make_tenant("r19cn")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, carl = make_person(prefix="r19cna"), make_person(prefix="r19cnc")
    for who in (anna, carl):
        set_roles(t.admin, acc.id, who, ["admin"])
    bare = S.unique_mail("ops-")
    S.expect(api(anna).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                           json={"emails": [bare]}), 200)
    S.expect(api(anna).put(contact_path(acc.id, "primary"), json={"uid": anna.uid}), 200)
    S.expect(api(anna).put(contact_path(acc.id, "technical"), json={"uid": anna.uid}), 200)

    # The tester's form: Anna hands technical to Carl.
    before = S.outbox_max_id(sql)
    r = api(anna).form("POST", contact_path(acc.id, "technical"),
                       [("_method", "PUT"), ("uid", carl.uid),
                        ("return_to", S.ORIGIN + "/portal/ok")])
    assert r.status_code == 303, S.describe(r)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([anna.mail.lower(), carl.mail.lower(), bare.lower()]), rows
    carls = received(mailbox, rows, carl.mail)
    assert carls.startswith(f"Hello {carl.name},\n\n{anna.name} changed the technical contact of"
                            f" {acc.name} from {anna.name} to {carl.name}.\n{note('technical')}\n\n"
                            + WHY.format(acc=acc.name)), carls
    other = received(mailbox, rows, bare)
    assert "You are now" not in other and "You are no longer" not in other, other
    assert f"from {anna.name} to {carl.name}.\n\n" + WHY.format(acc=acc.name) in other, other
    # Anna, the old technical contact and still primary: what ends, and
    # what she keeps (round-24 walkthrough of seed 004, D2).
    other = received(mailbox, rows, anna.mail)
    assert "You are now" not in other, other
    assert (f"from {anna.name} to {carl.name}.\n{old_note('technical', holds_other=True)}\n\n"
            + WHY.format(acc=acc.name)) in other, other
    # The primary kind, to someone who is already the other contact: Carl
    # is technical and becomes primary too; his copy says primary, and
    # that he is technical contact too (round-20 walkthrough of seed 004,
    # D3).
    before = S.outbox_max_id(sql)
    S.expect(api(anna).put(contact_path(acc.id, "primary"), json={"uid": carl.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    carls = received(mailbox, rows, carl.mail)
    assert f"to {carl.name}.\n{note('primary', holds_both=True)}\n\n" in carls, carls
    assert "You are now" not in received(mailbox, rows, anna.mail)
    assert "You are now" not in received(mailbox, rows, bare)

    # Who may not: a member (403), another tenant (404); no mail.
    member = make_person(prefix="r19cnm")
    set_roles(anna, acc.id, member, ["member"])
    other_tenant = make_tenant("r19cno")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).put(contact_path(acc.id, "technical"), json={"uid": anna.uid}),
                     403, "forbidden")
    S.expect_problem(api(other_tenant.admin).put(contact_path(acc.id, "technical"),
                                                 json={"uid": anna.uid}), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []

    # The contact person of POST /accounts, added at once: both kinds.
    p = make_person(prefix="r19cnp")
    set_roles("olivia", t.account.id, p, ["member"])
    before = S.outbox_max_id(sql)
    r = api(t.admin).post("/api/v1/accounts", json={
        "kind": "customer", "name": S.unique("it-r19cn-"), "parent_id": t.account.id,
        "contact": {"email": p.mail}})
    S.expect(r, 201)
    new_id = S.location_id(r)
    rows = [row for row in S.wait_outbox_settled(sql, account_id=new_id, after_id=before)
            if row["template"] == "contact-changed"]
    assert addresses(rows) == [p.mail.lower()], rows
    assert f".\n{note('primary and technical')}\n\n" in received(mailbox, rows, p.mail)


def test_a_contact_named_who_holds_the_other_kind_is_told_of_both(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-20 walkthrough of seed 004, D3: Ben, technical contact
    already, was named primary too; his note said "name another
    administrator primary contact first", he did, and leaving was still
    409, as the technical contact. The note of a person who holds both
    kinds after the change says so and names both kinds in the way out;
    following it, leaving works. Someone named one kind who does not hold
    the other reads the one-kind note as before; the other readers get no
    note. A member may not name a contact (403), another tenant 404, and
    nobody is mailed."""
    t = make_tenant("r20bt")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, carl = (make_person(prefix=p) for p in ("r20a", "r20b", "r20c"))
    for who in (anna, ben, carl):
        set_roles(t.admin, acc.id, who, ["admin"])
    S.expect(api(anna).put(contact_path(acc.id, "primary"), json={"uid": anna.uid}), 200)
    S.expect(api(anna).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}), 200)

    # The tester's request: Anna names Ben primary too (uid in other case).
    before = S.outbox_max_id(sql)
    got = S.expect(api(anna).put(contact_path(acc.id, "primary"), json={"uid": ben.uid.upper()}),
                   200)
    assert got["uid"] == ben.uid, got
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert addresses(rows) == sorted([anna.mail.lower(), ben.mail.lower()]), rows
    bens = received(mailbox, rows, ben.mail)
    assert bens.startswith(f"Hello {ben.name},\n\n{anna.name} changed the primary contact of"
                           f" {acc.name} from {anna.name} to {ben.name}.\n"
                           f"{note('primary', holds_both=True)}\n\n"
                           + WHY.format(acc=acc.name)), bens
    assert ("You are now its primary contact, and you are its technical contact too: you get its"
            " account and billing mail, may request password resets for its people, and stay an"
            " administrator while you are its contact (to change your role or leave, name other"
            " administrators its primary and technical contacts first).") in bens, bens
    assert "You are now" not in received(mailbox, rows, anna.mail)

    # Ben follows the note: other administrators both contacts, then he
    # leaves. With only primary handed over, leaving is still 409 (the
    # technical contact), as the note now says.
    S.expect(api(ben).put(contact_path(acc.id, "primary"), json={"uid": anna.uid}), 200)
    p = S.expect_problem(api(ben).delete(f"/api/v1/accounts/{acc.id}/members/{ben.uid}"),
                         409, "contact-admin")
    assert "technical contact" in p["detail"], p
    before = S.outbox_max_id(sql)
    S.expect(api(ben).put(contact_path(acc.id, "technical"), json={"uid": carl.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    # Carl holds one kind only: the one-kind note, as before.
    assert f"to {carl.name}.\n{note('technical')}\n\n" in received(mailbox, rows, carl.mail)
    S.expect(api(ben).delete(f"/api/v1/accounts/{acc.id}/members/{ben.uid}"), 204)

    # Who may not name a contact: a member (403), another tenant (404); no
    # mail.
    member = make_person(prefix="r20m")
    set_roles(anna, acc.id, member, ["member"])
    other = make_tenant("r20bto")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).put(contact_path(acc.id, "primary"), json={"uid": carl.uid}),
                     403, "forbidden")
    S.expect_problem(api(other.admin).put(contact_path(acc.id, "primary"), json={"uid": carl.uid}),
                     404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert stored_contact(sql, acc.id, "primary") == anna.uid


def rename_uid_in_ldap(ldap_admin, person, new_uid):
    """An LDAP administrator's modrdn of person's uid (here only its case):
    the same entry; refint moves the groups' member DNs with it. Returns
    the Person with the new uid and DN (the password is the same)."""
    assert ldap_admin.modify_dn(person.dn, f"uid={new_uid}", delete_old_dn=True), ldap_admin.result
    S.PASSWORDS[new_uid] = person.password
    return S.Person(new_uid, person.password, S.person_dn(new_uid), person.name, person.mail)


@pytest.mark.parametrize("direction", ["lowered", "raised"])
def test_a_contact_whose_uid_changed_case_in_ldap_stays_the_contact(
        api, make_tenant, make_account, make_person, set_roles, sql, ldap_admin, direction):
    """Round-24 walkthrough of seed 004, D1: an LDAP administrator changed
    only the case of the technical contact's uid (T24s004Eva ->
    t24s004eva, the same entry), and the contact went half missing: the
    overview showed null, her reset requests got 403, she could make
    herself a plain member (the contact-admin guard missed her), and naming
    her again in another case mailed "changed ... from Zoë Ünal to Zoë
    Ünal". A stored contact matches the directory's uid without regard to
    case everywhere (uid_equal); naming the same person in another case is
    a no-op: 200, no mail, the ETag as it was. Who may not: a member (403
    for the PUT and the reset), another tenant (404)."""
    t = make_tenant("r24cc")
    acc = make_account(t.admin, "customer", t.account.id)
    base = S.unique("r24ce")
    mixed = "R24" + base[3:] + "Eva"
    created, renamed = (mixed, mixed.lower()) if direction == "lowered" else (mixed.lower(), mixed)
    eva = make_person(uid=created)
    dora = make_person(prefix="r24cd")
    set_roles(t.admin, acc.id, eva, ["admin"])
    set_roles(t.admin, acc.id, dora, ["member"])
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": t.admin.uid}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "technical"), json={"uid": created}), 200)
    assert stored_contact(sql, acc.id, "technical") == created

    S.wait_for_directory_cache()
    eva = rename_uid_in_ldap(ldap_admin, eva, renamed)

    def member_uids():
        body = S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)
        return [m["uid"] for m in body["members"]]
    assert S.wait_until(lambda: renamed in member_uids(), 10.0, 0.2), member_uids()
    assert stored_contact(sql, acc.id, "technical") == created  # the row as it was

    # The overview: she is the technical contact, spelt as the directory has her now.
    want = {"uid": renamed, "name": eva.name, "mail": eva.mail}
    for reader in (t.admin, eva, dora):
        assert overview_contacts(api, reader, acc.id)["technical"] == want, reader

    # Naming her again in another case: the same person, no change, no mail.
    etag = api(t.admin).get(f"/api/v1/accounts/{acc.id}").headers.get("ETag")
    for spelling in (created, renamed.upper(), renamed):
        before = S.outbox_max_id(sql)
        r = S.expect(api(t.admin).put(contact_path(acc.id, "technical"), json={"uid": spelling}), 200)
        assert r["uid"] == renamed, r
        assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == [], spelling
        assert api(t.admin).get(f"/api/v1/accounts/{acc.id}").headers.get("ETag") == etag
    assert not [a for a in sql.audit(acc.id) if a["action"] == "contact.set"
                and (a["new_value"] or {}).get("uid", "").lower() == renamed.lower()
                and (a["old_value"] or {}).get("uid")]

    # Her reset requests: a named contact may ask (202).
    S.expect(api(eva).post(f"/api/v1/accounts/{acc.id}/members/{dora.uid}/password-reset"), 202)
    # Who may not: a member (403), another tenant (404).
    other = make_tenant("r24cco")
    S.expect_problem(api(dora).post(f"/api/v1/accounts/{acc.id}/members/{eva.uid}/password-reset"), 403)
    S.expect_problem(api(other.admin).post(f"/api/v1/accounts/{acc.id}/members/{dora.uid}/password-reset"),
                     404)
    before = S.outbox_max_id(sql)
    S.expect_problem(api(dora).put(contact_path(acc.id, "technical"), json={"uid": renamed.upper()}),
                     403, "forbidden")
    S.expect_problem(api(other.admin).put(contact_path(acc.id, "technical"), json={"uid": renamed}), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []

    # "A contact stays an administrator": 409 contact-admin for her own
    # demotion and for another admin's, whatever case the path spells.
    for by, path_uid in ((eva, renamed), (eva, created), (t.admin, renamed.upper())):
        S.expect_problem(api(by).put(f"/api/v1/accounts/{acc.id}/members/{S.path_quote(path_uid)}",
                                     json={"roles": ["member"]}), 409, "contact-admin")
    roles = {m["uid"]: m["roles"] for m in
             S.expect(api(t.admin).get(f"/api/v1/accounts/{acc.id}"), 200)["members"]}
    assert "admin" in roles[renamed], roles


def test_the_replaced_contacts_copy_says_what_ends_for_them(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-24 walkthrough of seed 004, D2: Anna replaced Ben as technical
    contact with Carl (by form), and Ben's copy of contact-changed said he
    got it "as a named contact", not that he no longer gets the account's
    mail or asks for resets. The old contact's copy now says why they get
    it and what ends for them (and, holding the other kind still, what
    they keep); what it says holds: his reset request is 403 after it, and
    he may leave. Who may not: a member (403), another tenant (404); no
    mail."""
    t = make_tenant("r24dn")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, carl, dora = (make_person(prefix=p) for p in ("r24na", "r24nb", "r24nc", "r24nd"))
    for who in (anna, ben, carl):
        set_roles(t.admin, acc.id, who, ["admin"])
    set_roles(t.admin, acc.id, dora, ["member"])
    bare = S.unique_mail("ops-")
    S.expect(api(anna).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                           json={"emails": [bare]}), 200)
    S.expect(api(anna).put(contact_path(acc.id, "primary"), json={"uid": anna.uid}), 200)
    S.expect(api(anna).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}), 200)
    S.expect(api(ben).post(f"/api/v1/accounts/{acc.id}/members/{dora.uid}/password-reset"), 202)

    # The tester's form: Anna hands technical from Ben to Carl.
    before = S.outbox_max_id(sql)
    r = api(anna).form("POST", contact_path(acc.id, "technical"),
                       [("_method", "PUT"), ("uid", carl.uid), ("return_to", S.ORIGIN + "/portal/ok")])
    assert r.status_code == 303, S.describe(r)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    # (Anna, the other contact, made the change: no copy for her.)
    assert addresses(rows) == sorted([ben.mail.lower(), carl.mail.lower(), bare.lower()]), rows
    bens = received(mailbox, rows, ben.mail)
    assert bens.startswith(f"Hello {ben.name},\n\n{anna.name} changed the technical contact of"
                           f" {acc.name} from {ben.name} to {carl.name}.\n{old_note('technical')}\n\n"
                           + WHY.format(acc=acc.name)), bens
    for to in (bare, carl.mail):
        assert "You are no longer" not in received(mailbox, rows, to), to
    # What it says holds: no resets, and he may leave.
    S.expect_problem(api(ben).post(f"/api/v1/accounts/{acc.id}/members/{dora.uid}/password-reset"),
                     403)

    # Anna hands primary to Carl: she made the change and reads both her
    # own note and "You made this change."
    before = S.outbox_max_id(sql)
    S.expect(api(anna).put(contact_path(acc.id, "primary"), json={"uid": carl.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    annas = received(mailbox, rows, anna.mail)
    assert f"to {carl.name}.\n{old_note('primary')}\n\n" in annas, annas
    assert annas.rstrip("\n").endswith(SELF_TEXT), annas

    # Who may not: a member (403), another tenant (404); no mail.
    other = make_tenant("r24dno")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(dora).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}),
                     403, "forbidden")
    S.expect_problem(api(other.admin).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}),
                     404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    S.expect(api(ben).delete(f"/api/v1/accounts/{acc.id}/members/{ben.uid}"), 204)


def test_a_stale_contact_made_admin_again_is_told_as_a_contact_change(
        api, sql, mailbox, ldap_admin, make_tenant, make_account, make_person, set_roles):
    """Round-26 walkthrough of seed 004, D3: Ben, the stored technical
    contact, lost admin in the directory (the overview showed no
    technical contact); Anna made him admin again with PUT …/members and
    the overview named him technical contact again with no mail and no
    contact audit. Now the role change that makes a stored contact count
    again writes contact.set and mails contact-changed "from nobody to
    Ben" to Ben, the other contact (Anna, who made the change, reads that
    she did) and the recipients. Who may not change roles (a member: 403;
    another tenant: 404) changes and mails nothing; a role change that
    makes no stored contact count again (Ben admin already, Dora no
    contact) mails no contact-changed."""
    t = make_tenant("ct26")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, dora, mia = (make_person(prefix=p) for p in ("ct26a", "ct26b", "ct26d", "ct26m"))
    for who in (anna, ben):
        set_roles(t.admin, acc.id, who, ["admin"])
    for who in (dora, mia):
        set_roles(t.admin, acc.id, who, ["member"])
    bare = S.unique_mail("ops26-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [bare]}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": anna.uid}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}), 200)
    demote_in_ldap(api, ldap_admin, t.admin, acc.id, ben)
    assert overview_contacts(api, anna, acc.id)["technical"] is None
    assert stored_contact(sql, acc.id, "technical") == ben.uid

    member_path = f"/api/v1/accounts/{acc.id}/members/{ben.uid}"
    before = S.outbox_max_id(sql)
    S.expect_problem(api(mia).put(member_path, json={"roles": ["admin"]}), 403, "forbidden")
    S.expect_problem(api(make_tenant("ct26o").admin).put(member_path, json={"roles": ["admin"]}),
                     404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert overview_contacts(api, anna, acc.id)["technical"] is None

    audit_before = max(r["id"] for r in sql.audit(acc.id))
    S.expect(api(anna).put(member_path, json={"roles": ["admin"]}), 200)
    assert overview_contacts(api, anna, acc.id)["technical"]["uid"] == ben.uid
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "contact-changed"]
    assert addresses(rows) == sorted([anna.mail.lower(), ben.mail.lower(), bare.lower()]), rows
    annas = received(mailbox, rows, anna.mail)
    assert f"changed the technical contact of {acc.name} from nobody to {ben.name}." in annas, annas
    assert annas.rstrip("\n").endswith(SELF_TEXT), annas
    bens = received(mailbox, rows, ben.mail)
    assert bens.startswith(f"Hello {ben.name},\n\n"), bens
    assert f"from nobody to {ben.name}." in bens and SELF_TEXT not in bens, bens
    assert f"from nobody to {ben.name}." in received(mailbox, rows, bare)
    trail = [r for r in sql.audit(acc.id) if r["id"] > audit_before]
    assert [r["action"] for r in trail] == ["member.set_roles", "contact.set"], trail
    assert trail[1]["uid"] == anna.uid, trail[1]
    assert trail[1]["old_value"] == {"contact": "technical"}, trail[1]
    assert trail[1]["new_value"]["contact"] == "technical", trail[1]
    assert trail[1]["new_value"]["uid"] == ben.uid, trail[1]

    # No stored contact counts again: no contact-changed, no contact.set.
    audit_before = max(r["id"] for r in sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    S.expect(api(anna).put(member_path, json={"roles": ["admin", "billing"]}), 200)
    S.expect(api(anna).put(f"/api/v1/accounts/{acc.id}/members/{dora.uid}",
                           json={"roles": ["admin"]}), 200)
    assert [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "contact-changed"] == []
    assert [r["action"] for r in sql.audit(acc.id) if r["id"] > audit_before] == \
        ["member.set_roles", "member.set_roles"]


def remove_in_ldap(api, ldap_admin, by, account_id, person):
    """The seed's LDAP administrator takes every role of the account away
    from the person (their contact rows stay); the overview no longer
    lists them."""
    S.wait_for_directory_cache()
    for role in sorted(S.roles_in_ldap(ldap_admin, account_id, person)):
        assert ldap_admin.modify(S.role_dn(account_id, role),
                                 {"member": [(ldap3.MODIFY_DELETE, [person.dn])]}), ldap_admin.result

    def listed():
        body = S.expect(api(by).get(f"/api/v1/accounts/{account_id}"), 200)
        return person.uid in {m["uid"] for m in body["members"]}
    assert S.wait_until(lambda: not listed(), 5.0, 0.1)


@pytest.mark.parametrize("how", ["json", "form", "added"])
def test_a_stale_contact_invited_as_admin_again_is_told_as_a_contact_change(
        api, sql, mailbox, ldap_admin, make_tenant, make_account, make_person, set_roles,
        invitation_mail, how):
    """Round-26 walkthrough of seed 004, D3 (the case its role-change fix
    left): Ben, the stored technical contact, lost admin in the directory
    (json, form: he was taken out of the account, so Anna's admin
    invitation waits for his accept; added: he stayed a member, so it adds
    him at once). Accepting it (by JSON or by the registration page's
    form), or the invitation that adds him at once, made him the named
    technical contact again with no mail and no contact audit. Now it
    writes contact.set and mails contact-changed "from nobody to Ben",
    naming Anna (the inviter) as the one who made it, to Ben, the other
    contact (Anna: "You made this change.") and the recipients, and to
    nobody else. Who may not invite (a member: 403; another tenant: 404)
    changes and mails nothing; an invitation that brings back no stored
    contact (Dora, no contact) mails no contact-changed."""
    t = make_tenant("cq26")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, dora, mia = (make_person(prefix=p) for p in ("cq26a", "cq26b", "cq26d", "cq26m"))
    for who in (anna, ben):
        set_roles(t.admin, acc.id, who, ["admin"])
    set_roles(t.admin, acc.id, mia, ["member"])
    bare = S.unique_mail("opsq26-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [bare]}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "primary"), json={"uid": anna.uid}), 200)
    S.expect(api(t.admin).put(contact_path(acc.id, "technical"), json={"uid": ben.uid}), 200)
    if how == "added":
        demote_in_ldap(api, ldap_admin, t.admin, acc.id, ben)
    else:
        remove_in_ldap(api, ldap_admin, t.admin, acc.id, ben)
    assert overview_contacts(api, anna, acc.id)["technical"] is None
    assert stored_contact(sql, acc.id, "technical") == ben.uid

    inv_path = f"/api/v1/accounts/{acc.id}/invitations"
    body = {"email": ben.mail, "role": "admin"}
    before = S.outbox_max_id(sql)
    S.expect_problem(api(mia).post(inv_path, json=body), 403, "forbidden")
    S.expect_problem(api(make_tenant("cq26o").admin).post(inv_path, json=body), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert overview_contacts(api, anna, acc.id)["technical"] is None

    audit_before = max(r["id"] for r in sql.audit(acc.id))
    if how == "added":
        answer = S.expect(api(anna).post(inv_path, json=body), 201)
        assert answer["status"] == "added", answer
    else:
        answer = S.expect(api(anna).post(inv_path, json=body), 202)
        assert answer["status"] == "invited", answer
        _, token = invitation_mail(ben.mail, after=before)
        # Nothing is told before the accept.
        assert overview_contacts(api, anna, acc.id)["technical"] is None
        assert [r for r in S.outbox_rows(sql, account_id=acc.id, after_id=before)
                if r["template"] == "contact-changed"] == []
        S.expect(api(None).post(f"/api/v1/invitations/{'0' * 43}/accept", json={}), 404)
        if how == "json":
            r = S.accept_invitation(api, token)
        else:
            r = api(None).form("POST", f"/api/v1/invitations/{token}/accept",
                               [("uid", "placeholder"), ("password", "placeholder-pw")])
        accepted = S.expect(r, 200)
        assert (accepted["uid"], accepted["created"]) == (ben.uid, False), accepted
    assert overview_contacts(api, anna, acc.id)["technical"]["uid"] == ben.uid
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "contact-changed"]
    assert addresses(rows) == sorted([anna.mail.lower(), ben.mail.lower(), bare.lower()]), rows
    line = f"changed the technical contact of {acc.name} from nobody to {ben.name}."
    annas = received(mailbox, rows, anna.mail)
    assert line in annas and annas.rstrip("\n").endswith(SELF_TEXT), annas
    bens = received(mailbox, rows, ben.mail)
    assert bens.startswith(f"Hello {ben.name},\n\n"), bens
    assert f"{anna.name} changed the technical contact" in bens, bens
    assert line in bens and SELF_TEXT not in bens, bens
    assert line in received(mailbox, rows, bare)
    trail = [r for r in sql.audit(acc.id) if r["id"] > audit_before]
    sets = [r for r in trail if r["action"] == "contact.set"]
    assert len(sets) == 1, trail
    # By who changed the roles: the inviter adding at once, the person
    # accepting (as the accept's other rows).
    assert sets[0]["uid"] == (anna.uid if how == "added" else ben.uid), sets[0]
    assert sets[0]["old_value"] == {"contact": "technical"}, sets[0]
    assert (sets[0]["new_value"]["contact"], sets[0]["new_value"]["uid"]) == ("technical", ben.uid)

    # No stored contact counts again: no contact-changed, no contact.set.
    audit_before = max(r["id"] for r in sql.audit(acc.id))
    before = S.outbox_max_id(sql)
    S.expect(api(anna).post(inv_path, json={"email": dora.mail, "role": "admin"}), 202)
    _, token = invitation_mail(dora.mail, after=before)
    if how == "form":
        r = api(None).form("POST", f"/api/v1/invitations/{token}/accept",
                           [("uid", "placeholder"), ("password", "placeholder-pw")])
    else:
        r = S.accept_invitation(api, token)
    assert S.expect(r, 200)["uid"] == dora.uid
    assert [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "contact-changed"] == []
    assert [r["action"] for r in sql.audit(acc.id)
            if r["id"] > audit_before and r["action"].startswith("contact.")] == []
    assert overview_contacts(api, anna, acc.id)["technical"]["uid"] == ben.uid
