"""An account's notification recipients: set as a JSON list or, from a
form, as one textarea with an address per line; every address checked
(errors keyed `emails[N]`); account notifications go to exactly these
addresses, so removing your own address stops your mail."""
from urllib.parse import parse_qsl, urlsplit

import pytest

import support as S




def path(account_id):
    return f"/api/v1/accounts/{account_id}/notification-recipients"


def get_emails(api, by, account_id):
    body = S.expect(api(by).get(path(account_id)), 200)
    assert isinstance(body, dict) and isinstance(body.get("emails"), list), body
    return body["emails"]


def stored(sql, account_id):
    return sorted(r["email"].lower() for r in
                  sql.rows("SELECT email FROM notification_recipients WHERE account_id=%s", int(account_id)))


def test_fresh_account_has_none(api, customer):
    admin, acc = customer
    assert get_emails(api, admin, acc.id) == []


def test_put_json_list(api, customer, sql):
    admin, acc = customer
    a, b = S.unique_mail(), S.unique_mail()
    S.expect(api(admin).put(path(acc.id), json={"emails": [a, b]}), 200)
    assert get_emails(api, admin, acc.id) == [a, b]
    assert stored(sql, acc.id) == sorted([a, b])
    overview = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}"), 200)
    assert S.json_contains(overview.get("notification_recipients"), a), overview
    assert S.json_contains(overview.get("notification_recipients"), b), overview
    # A PUT replaces the list.
    c = S.unique_mail()
    S.expect(api(admin).put(path(acc.id), json={"emails": [c]}), 200)
    assert get_emails(api, admin, acc.id) == [c]
    assert stored(sql, acc.id) == [c]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_form_textarea_one_address_per_line(api, customer, sql, newline):
    """Browsers send a textarea's line breaks as CRLF."""
    admin, acc = customer
    a, b = S.unique_mail(), S.unique_mail()
    r = api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", f"{a}{newline}{b}")])
    S.expect(r, 200)
    assert get_emails(api, admin, acc.id) == [a, b]
    assert stored(sql, acc.id) == sorted([a, b])


def test_form_repeated_field(api, customer, sql):
    admin, acc = customer
    a, b = S.unique_mail(), S.unique_mail()
    r = api(admin).form("PUT", path(acc.id), [("emails", a), ("emails", b)])
    S.expect(r, 200)
    assert get_emails(api, admin, acc.id) == [a, b]


def test_form_with_return_to_redirects(api, customer, sql):
    admin, acc = customer
    a = S.unique_mail()
    target = f"{S.ORIGIN}/accounts/{acc.id}/settings"
    r = api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", a), ("return_to", target)])
    assert r.status_code == 303 and r.headers.get("Location") == target, S.describe(r)
    assert stored(sql, acc.id) == [a]


def test_invalid_address_is_422_and_changes_nothing(api, customer, sql):
    admin, acc = customer
    keep = S.unique_mail()
    S.expect(api(admin).put(path(acc.id), json={"emails": [keep]}), 200)
    r = api(admin).put(path(acc.id), json={"emails": [S.unique_mail(), "not an address", S.unique_mail()]})
    body = S.expect_problem(r, 422, "validation")
    assert "emails[1]" in body.get("errors", {}), body
    assert set(body["errors"]) == {"emails[1]"}, body
    assert get_emails(api, admin, acc.id) == [keep]
    assert stored(sql, acc.id) == [keep]


def test_invalid_line_in_textarea_is_422(api, customer, sql):
    admin, acc = customer
    keep = S.unique_mail()
    S.expect(api(admin).put(path(acc.id), json={"emails": [keep]}), 200)
    r = api(admin).form("POST", path(acc.id), [("_method", "PUT"),
                                               ("emails", f"{S.unique_mail()}\r\nfoo@\r\n{S.unique_mail()}")])
    body = S.expect_problem(r, 422, "validation")
    assert "emails[1]" in body.get("errors", {}), body
    assert stored(sql, acc.id) == [keep]


def test_textarea_errors_name_the_line_typed_blank_lines_counted(api, customer, sql):
    """Round 3, seed 001 D6: the bad address on the third line (after a
    blank one) was emails[1]; N is the textarea's line, 0-based, blank
    lines counted (CRLF, LF or CR each end a line)."""
    admin, acc = customer
    good = S.unique_mail()
    for text, line in ((f" {good} \r\n\r\nnot-an-address\r\n", 2),
                       (f"\n\n{good}\nfoo@\n", 3),
                       (f"{good}\r\r\rx@", 3)):
        r = api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", text)])
        body = S.expect_problem(r, 422, "validation")
        assert set(body["errors"]) == {f"emails[{line}]"}, (text, body)
        # With error_to, the same key and the text as it was typed.
        r = api(admin).form("POST", path(acc.id), [
            ("_method", "PUT"), ("emails", text), ("error_to", S.ORIGIN + "/rec")])
        assert r.status_code == 303, S.describe(r)
        q = parse_qsl(urlsplit(r.headers["Location"]).query, keep_blank_values=True)
        assert [k for k, _ in q if k.startswith("errors[")] == [f"errors[emails[{line}]]"], q
        assert dict(q)["values[emails]"] == text, q
    # A repeated field counts its values (an empty one too).
    r = api(admin).form("PUT", path(acc.id), [("emails", good), ("emails", ""),
                                              ("emails", "bad")])
    assert set(S.expect_problem(r, 422, "validation")["errors"]) == {"emails[2]"}
    assert stored(sql, acc.id) == []


@pytest.mark.parametrize("bad", ["a@b@example.test", "@example.test", "x@", "x y@example.test",
                                 "x@example.test\r\nBcc: evil@example.test"])
def test_bad_addresses(api, customer, sql, bad):
    admin, acc = customer
    r = api(admin).put(path(acc.id), json={"emails": [bad]})
    body = S.expect_problem(r, 422, "validation")
    assert "emails[0]" in body.get("errors", {}), body
    assert stored(sql, acc.id) == []


def test_duplicates_ignoring_case_count_once(api, customer, sql):
    admin, acc = customer
    a = S.unique_mail()
    S.expect(api(admin).put(path(acc.id), json={"emails": [a, a.upper(), a]}), 200)
    emails = get_emails(api, admin, acc.id)
    assert [e.lower() for e in emails] == [a], emails


def test_duplicates_in_the_databases_collation_count_once(api, customer, sql):
    """`Ä` and `ä` differ as bytes but are equal for the column (utf8mb4,
    case-insensitive): the first is kept, as for ASCII case, never a 500."""
    admin, acc = customer
    local = S.unique("jörg")
    upper, lower = f"{local.upper()}@müller.example", f"{local}@müller.example"
    other = S.unique_mail()
    r = api(admin).put(path(acc.id), json={"emails": [upper, other, lower]})
    assert S.expect(r, 200)["emails"] == [upper, other], S.describe(r)
    assert get_emails(api, admin, acc.id) == [upper, other]
    assert len(stored(sql, acc.id)) == 2


def test_at_most_50(api, customer, sql):
    admin, acc = customer
    fifty = [S.unique_mail() for _ in range(50)]
    S.expect(api(admin).put(path(acc.id), json={"emails": fifty}), 200)
    assert get_emails(api, admin, acc.id) == fifty
    r = api(admin).put(path(acc.id), json={"emails": fifty + [S.unique_mail()]})
    body = S.expect_problem(r, 422, "validation")
    assert any(k == "emails" or k.startswith("emails[") for k in body.get("errors", {})), body
    assert stored(sql, acc.id) == sorted(fifty)
    # Duplicates count once: 50 distinct plus a repeat is fine.
    S.expect(api(admin).put(path(acc.id), json={"emails": fifty + [fifty[0].upper()]}), 200)


def test_empty_list_is_allowed(api, customer, sql):
    admin, acc = customer
    S.expect(api(admin).put(path(acc.id), json={"emails": [S.unique_mail()]}), 200)
    S.expect(api(admin).put(path(acc.id), json={"emails": []}), 200)
    assert get_emails(api, admin, acc.id) == []
    assert stored(sql, acc.id) == []


def test_emails_must_be_given(api, customer, sql):
    admin, acc = customer
    S.expect(api(admin).put(path(acc.id), json={"emails": ["keep-" + S.unique_mail()]}), 200)
    before = stored(sql, acc.id)
    S.expect_field_errors(api(admin).put(path(acc.id), json={"mails": [S.unique_mail()]}), "mails")
    assert stored(sql, acc.id) == before


def test_removing_your_own_address_stops_your_mail(api, customer, make_person, set_roles, sql, mailbox):
    admin, acc = customer
    me, c1, c2 = make_person(), make_person(), make_person()
    for p in (me, c1, c2):
        set_roles(admin, acc.id, p, ["admin"])
    other = S.unique_mail()
    S.expect(api(me).put(path(acc.id), json={"emails": [me.mail, other]}), 200)
    S.expect(api(admin).put(f"/api/v1/accounts/{acc.id}/contacts/primary", json={"uid": c1.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id)
    assert me.mail.lower() in {r["recipient"].lower() for r in rows}, \
        f"while on the list, {me.mail} got no contact-changed mail: {rows}"

    # me takes their own address off the list.
    S.expect(api(me).put(path(acc.id), json={"emails": [other]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(admin).put(f"/api/v1/accounts/{acc.id}/contacts/primary", json={"uid": c2.uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert sorted(r["recipient"].lower() for r in rows) == sorted([c1.mail.lower(), c2.mail.lower(), other]), rows
    assert all(r["status"] == "sent" for r in rows), rows
    mails = mailbox.wait_for(count=3, outbox_ids=[r["id"] for r in rows])
    assert sorted(a for m in mails for a in m.envelope_to) == sorted([c1.mail.lower(), c2.mail.lower(), other])
    assert mailbox.matching(lambda m: (m.outbox_id or 0) > before, to=me.mail) == []


def account_etag(api, by, account_id):
    r = api(by).get(f"/api/v1/accounts/{account_id}")
    assert r.status_code == 200, S.describe(r)
    return r.headers["ETag"]


def test_recipients_move_the_etag_and_honour_if_match(api, customer, sql):
    """story-004 D4: the overview shows the recipients, so a PUT gives it a
    new ETag; a stale If-Match (or form _version) is 412 and stores
    nothing; without one the PUT is applied (the last write wins)."""
    admin, acc = customer
    first = account_etag(api, admin, acc.id)
    S.expect(api(admin).put(path(acc.id), json={"emails": ["a@example.org"]}, headers={"If-Match": first}), 200)
    second = account_etag(api, admin, acc.id)
    assert second != first
    view = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}"), 200)
    assert second == f'"{acc.id}.{view["version"]}"'
    audit_before = len(sql.audit(acc.id))
    r = api(admin).put(path(acc.id), json={"emails": ["b@example.org"]}, headers={"If-Match": first})
    S.expect_problem(r, 412, "precondition-failed")
    assert stored(sql, acc.id) == ["a@example.org"]
    assert len(sql.audit(acc.id)) == audit_before
    assert account_etag(api, admin, acc.id) == second
    # A form: stale _version is 412 (error_to: error=stale); the current one applies.
    stale = str(int(first.strip('"').split(".")[1]))
    r = api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", "c@example.org"), ("_version", stale)])
    S.expect_problem(r, 412, "precondition-failed")
    assert stored(sql, acc.id) == ["a@example.org"]
    current = second.strip('"').split(".")[1]
    r = api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", "c@example.org"), ("_version", current)])
    S.expect(r, 200)
    assert stored(sql, acc.id) == ["c@example.org"]
    # A PATCH of the account makes a recipients edit read before it stale.
    third = account_etag(api, admin, acc.id)
    S.expect(api(admin).patch(f"/api/v1/accounts/{acc.id}", json={"name": S.unique("renamed")}), 200)
    S.expect_problem(api(admin).put(path(acc.id), json={"emails": []}, headers={"If-Match": third}), 412)
    # No precondition: applied.
    S.expect(api(admin).put(path(acc.id), json={"emails": []}), 200)
    assert stored(sql, acc.id) == []


def test_recipients_answers_carry_the_accounts_etag(api, customer):
    """round-3 walkthroughs (seeds 000, 003, 004): GET and PUT of the
    recipients carry the account's ETag, so the recipients page guards its
    save without reading the whole account."""
    admin, acc = customer
    got = api(admin).get(path(acc.id))
    S.expect(got, 200)
    assert got.headers.get("ETag") == account_etag(api, admin, acc.id)
    put = api(admin).put(path(acc.id), json={"emails": ["one@example.org"]},
                         headers={"If-Match": got.headers["ETag"]})
    S.expect(put, 200)
    assert put.headers.get("ETag") == account_etag(api, admin, acc.id) != got.headers["ETag"]
    again = api(admin).put(path(acc.id), json={"emails": ["two@example.org"]},
                           headers={"If-Match": put.headers["ETag"]})
    S.expect(again, 200)
    assert again.headers["ETag"] == account_etag(api, admin, acc.id)
    # The old one is stale.
    S.expect_problem(api(admin).put(path(acc.id), json={"emails": []}, headers={"If-Match": put.headers["ETag"]}),
                     412)


def test_an_address_taken_off_is_told_who_did_it(api, sql, mailbox, make_tenant, make_account,
                                                 make_person, set_roles):
    """Round-8 walkthrough of seed 000, D3: a service provider replaced the
    customer's recipients with its own address and the customer's address
    simply stopped getting mail. Each address taken off gets
    recipient-removed (who did it, the recipients now); an address kept,
    and the caller's own, get nothing."""
    t = make_tenant("rcprm")
    acc = make_account(t.admin, "customer", t.account.id)
    sp = make_person(prefix="rcsp")
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    customer_mail, kept = S.unique_mail("cust-"), S.unique_mail("kept-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [customer_mail, kept, sp.mail]}),
             200)
    before = S.outbox_max_id(sql)
    S.expect(api(sp).put(path(acc.id), json={"emails": [kept]}), 200)
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "recipient-removed"]
    assert [r["recipient"].lower() for r in rows] == [customer_mail.lower()], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    body = mails[0].body.replace("\r\n", "\n")
    assert mails[0].subject == f"{acc.name}: this address no longer gets its notifications", \
        mails[0].subject
    assert f"changed the notification recipients of {acc.name}: {customer_mail} is no longer" \
        in body, body
    assert f"The recipients now: {kept}\n" in body, body
    # Emptying the list: the last one is told, "none" left.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": []}), 200)
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "recipient-removed"]
    assert [r["recipient"].lower() for r in rows] == [kept.lower()], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert "The recipients now: none\n" in mails[0].body.replace("\r\n", "\n"), mails[0].body


def test_a_named_contact_taken_off_the_recipients_is_not_told_it_loses_the_mail(
        api, sql, make_tenant, make_account, make_person, set_roles):
    """Round-13 walkthrough of seed 000, N2: the primary contact's address,
    taken off the recipients by a service provider, was told "this is the
    last notification … it gets", and the next account mail reached her as
    the contact at once. An address that still gets the account's mail as a
    named contact is not mailed recipient-removed; another address is."""
    t = make_tenant("rccon")
    acc = make_account(t.admin, "customer", t.account.id)
    clara = make_person(prefix="rcclara")
    set_roles(t.admin, acc.id, clara, ["admin"])
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/contacts/primary",
                              json={"uid": clara.uid}), 200)
    sp = make_person(prefix="rcsp2")
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    other = S.unique_mail("ops-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [clara.mail.upper(), other]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(sp).put(path(acc.id), json={"emails": []}), 200)
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["template"] == "recipient-removed"]
    assert [r["recipient"].lower() for r in rows] == [other.lower()], rows


# ---------------------------------------------------------------- round 14: a removed person's address

def removed_rows(sql, account_id, before):
    return [r for r in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if r["template"] == "recipient-removed"]


def member_removed_rows(sql, account_id, before):
    return [r for r in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if r["template"] == "member-removed"]


def assert_member_removed_mail(mailbox, row, account, person, by):
    """Round-15 walkthrough of seed 004, D1: the mail of a removed person
    whose address left the recipients with them says they were removed;
    it reads as no recipients edit, does not list the addresses that
    still get the account's mail, and does not ask to add the address
    again."""
    mails = mailbox.wait_for(outbox_id=row["id"], timeout=15)
    assert len(mails) == 1, row
    body = mails[0].body.replace("\r\n", "\n")
    assert mails[0].subject == f"You were removed from {account.name}", mails[0].subject
    assert body.startswith(f"Hello {person.name},\n\n"), body
    # Since migration 081 (round-19 walkthrough of seed 003, D3) the
    # sentence about the notifications is a line of its own, there because
    # the address was a recipient.
    assert (f"{by.name} removed you from {account.name}: you no longer hold a role there.\n"
            f"{row['recipient']} no longer gets the notifications of {account.name} (subscription"
            f" changes, renewals, contact changes and the like): this is the last one it gets.\n"
            ) in body, body
    for old in ("changed the notification recipients", "is no longer one of them",
                "The recipients now", "add the address again"):
        assert old not in body, body
    return body


def test_a_removed_persons_own_address_leaves_the_recipients(api, sql, mailbox, make_tenant,
                                                             make_account, make_person,
                                                             set_roles, ldap_admin):
    """Round-14 walkthrough of seed 004, D2: a person removed from the
    account (DELETE .../members/{uid}) whose own address was a notification
    recipient went on getting the account's invoices and plan changes. Their
    address (equal but for case) leaves the list in the same change, audited
    as a recipients change by the remover, and is told so as a recipient
    removal tells it; other addresses stay. A role change that keeps them in
    the account keeps it."""
    t = make_tenant("rcleave")
    acc = make_account(t.admin, "customer", t.account.id)
    tom, uma = make_person(prefix="rclt"), make_person(prefix="rclu")
    set_roles(t.admin, acc.id, tom, ["admin"])
    set_roles(t.admin, acc.id, uma, ["member"])
    other = S.unique_mail("ops-")
    S.expect(api(t.admin).put(path(acc.id),
                              json={"emails": [tom.mail.upper(), other, uma.mail]}), 200)
    # A role change that keeps Tom in the account keeps his address.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/members/{tom.uid}",
                              json={"roles": ["member"]}), 200)
    assert get_emails(api, t.admin, acc.id) == [tom.mail.upper(), other, uma.mail]
    assert removed_rows(sql, acc.id, before) == []
    version = sql.account(acc.id)["version"]

    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{acc.id}/members/{tom.uid}"), 204)
    assert S.roles_in_ldap(ldap_admin, acc.id, tom) == set()
    assert get_emails(api, t.admin, acc.id) == [other, uma.mail]
    assert sql.account(acc.id)["version"] > version
    trail = sql.audit(acc.id)
    actions = [r["action"] for r in trail]
    assert actions[-2:] == ["member.remove", "recipients.set"], actions
    row = trail[-1]
    assert row["uid"] == t.admin.uid, row
    assert row["old_value"] == [tom.mail.upper(), other, uma.mail], row
    assert row["new_value"] == [other, uma.mail], row
    # Round-15 walkthrough of seed 004, D1: he is told he was removed
    # (member-removed), not that the recipients were edited.
    assert removed_rows(sql, acc.id, before) == []
    rows = member_removed_rows(sql, acc.id, before)
    assert [r["recipient"] for r in rows] == [tom.mail.upper()], rows
    body = assert_member_removed_mail(mailbox, rows[0], acc, tom, t.admin)
    assert other not in body and uma.mail not in body, body
    # The account's next mail does not reach him.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    assert tom.mail.lower() not in [r["recipient"].lower() for r in
                                    S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)]
    # A person whose address is no recipient: the list stays as it is.
    version = sql.account(acc.id)["version"]
    ned = make_person(prefix="rcln")
    set_roles(t.admin, acc.id, ned, ["billing"])
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{acc.id}/members/{ned.uid}"), 204)
    assert get_emails(api, t.admin, acc.id) == [other, uma.mail]
    assert sql.audit(acc.id)[-1]["action"] == "member.remove"
    # Nor is he mailed: a removal otherwise mails nobody (round-15
    # walkthrough of seed 004, D1).
    assert S.wait_outbox_settled(sql, account_id=acc.id, after_id=before) == []


def test_a_person_removed_by_the_checkbox_form_is_told_they_were_removed(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, ldap_admin):
    """Round-15 walkthrough of seed 004, D1: the roles checkbox form with
    no box ticked (`_roles_present=1`) removes the person as a DELETE does;
    their address leaves the recipients and they get member-removed, which
    names neither the recipients left nor "add the address again". The
    recipients PUT keeps mailing recipient-removed."""
    t = make_tenant("rcbox")
    acc = make_account(t.admin, "customer", t.account.id)
    uma, lars = make_person(prefix="rcbu"), make_person(prefix="rcbl")
    set_roles(t.admin, acc.id, uma, ["member"])
    set_roles(t.admin, acc.id, lars, ["billing"])
    finance = S.unique_mail("fin-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [uma.mail, lars.mail, finance]}), 200)
    before = S.outbox_max_id(sql)
    r = api(t.admin).form("POST", f"/api/v1/accounts/{acc.id}/members/{uma.uid}",
                          [("_method", "PUT"), ("_roles_present", "1")])
    S.expect(r, 200)
    assert S.roles_in_ldap(ldap_admin, acc.id, uma) == set()
    assert get_emails(api, t.admin, acc.id) == [lars.mail, finance]
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert [(r["template"], r["recipient"]) for r in rows] == [("member-removed", uma.mail)], rows
    body = assert_member_removed_mail(mailbox, rows[0], acc, uma, t.admin)
    assert lars.mail not in body and finance not in body, body
    # An edit of the list itself still mails recipient-removed.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [finance]}), 200)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert [(r["template"], r["recipient"]) for r in rows] == [("recipient-removed", lars.mail)], rows


def test_a_person_who_leaves_takes_their_address_along_unmailed(api, sql, make_tenant,
                                                                make_account, make_person,
                                                                set_roles):
    """D2: an admin removing themselves takes their own address off the
    recipients too, and, as for a recipients change, their own address is
    not mailed (they know)."""
    t = make_tenant("rcself")
    acc = make_account(t.admin, "customer", t.account.id)
    uma = make_person(prefix="rcsu")
    set_roles(t.admin, acc.id, uma, ["admin"])
    other = S.unique_mail("ops-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [uma.mail, other]}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(uma).delete(f"/api/v1/accounts/{acc.id}/members/{uma.uid}"), 204)
    assert stored(sql, acc.id) == [other.lower()]
    row = sql.audit(acc.id)[-1]
    assert row["action"] == "recipients.set" and row["uid"] == uma.uid, row
    assert S.wait_outbox_settled(sql, account_id=acc.id, after_id=before) == []


def test_a_removal_refused_keeps_the_recipients(api, sql, make_tenant, make_account, make_person,
                                                set_roles):
    """D2: who may not remove a person (a member, another tenant's admin)
    changes neither the roles nor the recipients."""
    t = make_tenant("rcref")
    acc = make_account(t.admin, "customer", t.account.id)
    tom, uma = make_person(prefix="rcrt"), make_person(prefix="rcru")
    set_roles(t.admin, acc.id, tom, ["billing"])
    set_roles(t.admin, acc.id, uma, ["member"])
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [tom.mail]}), 200)
    trail = len(sql.audit(acc.id))
    stranger = make_tenant("rcref2").admin
    before = S.outbox_max_id(sql)
    S.expect_problem(api(uma).delete(f"/api/v1/accounts/{acc.id}/members/{tom.uid}"), 403)
    S.expect_problem(api(stranger).delete(f"/api/v1/accounts/{acc.id}/members/{tom.uid}"), 404)
    assert stored(sql, acc.id) == [tom.mail.lower()]
    assert len(sql.audit(acc.id)) == trail
    assert S.wait_outbox_settled(sql, account_id=acc.id, after_id=before) == []


def test_a_removal_whose_mail_fails_changes_nothing(api, sql, make_tenant, make_account,
                                                    make_person, set_roles, ldap_admin):
    """D2, nothing half-written: when the removed person's mail
    (member-removed since round 15) cannot be queued (its default template
    is missing here), the removal is undone: the roles in LDAP, the
    recipients, the audit trail stay as they were."""
    t = make_tenant("rcfail")
    acc = make_account(t.admin, "customer", t.account.id)
    tom = make_person(prefix="rcft")
    set_roles(t.admin, acc.id, tom, ["billing"])
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [tom.mail]}), 200)
    trail = len(sql.audit(acc.id))
    sql.rows("UPDATE notification_templates SET name='member-removed-off'"
             " WHERE account_id IS NULL AND name='member-removed'")
    try:
        r = api(t.admin).delete(f"/api/v1/accounts/{acc.id}/members/{tom.uid}")
    finally:
        sql.rows("UPDATE notification_templates SET name='member-removed'"
                 " WHERE account_id IS NULL AND name='member-removed-off'")
    assert r.status_code >= 500, r.text
    assert S.roles_in_ldap(ldap_admin, acc.id, tom) == {"billing"}
    assert stored(sql, acc.id) == [tom.mail.lower()]
    assert len(sql.audit(acc.id)) == trail
    # With the template back, the same removal goes through.
    S.expect(api(t.admin).delete(f"/api/v1/accounts/{acc.id}/members/{tom.uid}"), 204)
    assert stored(sql, acc.id) == []


# ---------------------------------------------------------------- round 16: an addition is told

def guarded_customer(api, make_tenant, make_account, make_person, set_roles, prefix):
    """Round-16 walkthrough of seed 004, D1: a customer whose named contacts
    are Bea (primary) and Tom (technical), both admins; the partner's admin
    who created it is an admin too but no contact. Returns (tenant, account,
    bea, tom)."""
    t = make_tenant(prefix)
    acc = make_account(t.admin, "customer", t.account.id)
    bea = make_person(prefix=prefix + "bea")
    tom = make_person(prefix=prefix + "tom")
    set_roles(t.admin, acc.id, bea, ["admin"])
    set_roles(t.admin, acc.id, tom, ["admin"])
    for kind, who in (("primary", bea), ("technical", tom)):
        S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/contacts/{kind}",
                                  json={"uid": who.uid}), 200)
    return t, acc, bea, tom


def added_rows(sql, account_id, before):
    return [r for r in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if r["template"] == "recipients-added"]


def test_an_address_added_by_an_admin_who_is_no_contact_is_told_to_the_contacts(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-16 walkthrough of seed 004, D1: the partner's admin (no named
    contact) added an outside address, which then got the invoices, and
    nobody was told. The named contacts get recipients-added (who added
    which addresses, what they now get, that an administrator can remove
    them); the caller's own address gets none, nor does the added one."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "rcadd")
    outside = S.unique_mail("billing-elsewhere-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [outside, t.admin.mail]}), 200)
    rows = added_rows(sql, acc.id, before)
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [bea.mail.lower(), tom.mail.lower()]), rows
    everything = S.outbox_rows(sql, account_id=acc.id, after_id=before)
    assert t.admin.mail.lower() not in {r["recipient"].lower() for r in everything}, everything
    assert outside.lower() not in {r["recipient"].lower() for r in everything}, everything
    for who in (bea, tom):
        row = next(r for r in rows if r["recipient"].lower() == who.mail.lower())
        mails = mailbox.wait_for(outbox_id=row["id"], timeout=15)
        assert len(mails) == 1, row
        assert mails[0].subject == \
            f"{acc.name}: addresses were added to the notification recipients", mails[0].subject
        body = mails[0].body.replace("\r\n", "\n")
        assert body.startswith(f"Hello {who.name},\n\n"), body
        assert (f"{t.admin.name} of {t.account.name} added {outside}, {t.admin.mail} to the"
                f" notification recipients of {acc.name}. From now on they get the account's"
                " transactional mail: subscription changes, renewals and invoices, contact"
                " changes and the like.") in " ".join(body.split()), body
        assert f"The recipients now: {outside}, {t.admin.mail}\n" in body, body
        assert (f"If you did not expect this, an administrator of {acc.name} can remove them"
                " from the notification recipients.") in " ".join(body.split()), body
    # The same list again adds nothing: nothing is mailed.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [outside.upper(), t.admin.mail]}),
             200)
    assert added_rows(sql, acc.id, before) == []
    # A removal only keeps recipient-removed as before, and adds nothing.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [t.admin.mail]}), 200)
    assert added_rows(sql, acc.id, before) == []
    assert [r["recipient"].lower() for r in removed_rows(sql, acc.id, before)] == \
        [outside.lower()]


def test_an_address_added_by_a_form_names_only_the_new_one(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """The settings form's textarea is the same change: only the address
    that was not there before is named as added."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "rcaddf")
    kept, new = S.unique_mail("kept-"), S.unique_mail("new-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [kept]}), 200)
    before = S.outbox_max_id(sql)
    r = api(t.admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", f"{kept}\r\n{new}")])
    S.expect(r, 200)
    rows = added_rows(sql, acc.id, before)
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [bea.mail.lower(), tom.mail.lower()]), rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    text = " ".join(mails[0].body.split())
    assert f" added {new} to the notification recipients of {acc.name}." in text, text
    assert f"The recipients now: {kept}, {new}" in text, text


def test_a_contact_who_adds_an_address_is_not_told_the_other_contact_is(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """A named contact who adds an address knows: the other contact is
    mailed, the caller is not (neither as contact nor as admin)."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "rcaddc")
    outside = S.unique_mail("ext-")
    before = S.outbox_max_id(sql)
    S.expect(api(bea).put(path(acc.id), json={"emails": [outside, bea.mail]}), 200)
    rows = added_rows(sql, acc.id, before)
    assert [r["recipient"].lower() for r in rows] == [tom.mail.lower()], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    text = " ".join(mails[0].body.split())
    assert f"{bea.name} added {outside}, {bea.mail} to the notification recipients" in text, text
    everything = S.outbox_rows(sql, account_id=acc.id, after_id=before)
    assert bea.mail.lower() not in {r["recipient"].lower() for r in everything}, everything


def test_without_contacts_the_other_admins_are_told(api, sql, make_tenant, make_account,
                                                      make_person, set_roles):
    """No named contact: the account's admins but the caller."""
    t = make_tenant("rcadda")
    acc = make_account(t.admin, "customer", t.account.id)
    other = make_person(prefix="rcaddaz")
    set_roles(t.admin, acc.id, other, ["admin"])
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [S.unique_mail()]}), 200)
    assert [r["recipient"].lower() for r in added_rows(sql, acc.id, before)] == \
        [other.mail.lower()]


def test_who_may_not_set_the_recipients_mails_nobody(api, sql, make_tenant, make_account,
                                                      make_person, set_roles):
    """A member (403) and another tenant's admin (404) change nothing and
    mail nothing."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "rcaddn")
    member = make_person(prefix="rcaddm")
    set_roles(t.admin, acc.id, member, ["member"])
    eve = make_tenant("rcadde").admin
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).put(path(acc.id), json={"emails": [S.unique_mail()]}), 403)
    S.expect_problem(api(eve).put(path(acc.id), json={"emails": [S.unique_mail()]}), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert get_emails(api, t.admin, acc.id) == []


def test_a_spent_mail_budget_refuses_an_addition_not_a_removal(api, sql, env, make_tenant,
                                                                make_account, make_person,
                                                                set_roles):
    """recipients-added counts in the mail budget as contact-changed does:
    with the budget spent an addition is 429 and changes nothing (it never
    happens unmailed); a removal (recipient-removed, outside the budget)
    still goes through."""
    from test_consent import budget_of, fill_budget
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "rcaddb")
    kept = S.unique_mail("kept-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [kept]}), 200)
    fill_budget(sql, acc.id, budget_of(env["ACCOUNTD_CONF"]))
    before = S.outbox_max_id(sql)
    r = api(t.admin).put(path(acc.id), json={"emails": [kept, S.unique_mail("over-")]})
    S.expect_problem(r, 429, "mail-budget-exceeded")
    assert S.outbox_max_id(sql) == before
    assert get_emails(api, t.admin, acc.id) == [kept]
    S.expect(api(t.admin).put(path(acc.id), json={"emails": []}), 200)
    assert [r["recipient"].lower() for r in removed_rows(sql, acc.id, before)] == [kept.lower()]


def test_recipient_removed_names_the_actor_as_recipients_added_does(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-21 walkthrough of seed 000, D2: one PUT of the recipients by
    the partner's person mailed recipient-removed "Paul Partner changed …"
    and recipients-added "Paul Partner of Acme Partners added …". Decision:
    recipient-removed names who acted as recipients-added does
    (mail_actor_name): "<name> of <their organization>" for a person of an
    account above, "on behalf of" for operator staff, the name alone for
    the account's own people."""
    t, acc, bea, tom = guarded_customer(api, make_tenant, make_account, make_person, set_roles,
                                        "rcact")
    member = make_person(prefix="rcactm")
    set_roles(t.admin, acc.id, member, ["member"])
    old, new = S.unique_mail("billing-old-"), S.unique_mail("billing-new-")
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [old]}), 200)
    # Who may not: a member 403, another tenant 404; nothing is mailed.
    before = S.outbox_max_id(sql)
    S.expect_problem(api(member).put(path(acc.id), json={"emails": [new]}), 403)
    S.expect_problem(api(make_tenant("rcactx").admin).put(path(acc.id), json={"emails": [new]}),
                     404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []

    def bodies(before):
        rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
        out = {}
        for r in rows:
            mails = mailbox.wait_for(outbox_id=r["id"], timeout=15)
            assert len(mails) == 1, r
            out[(r["template"], r["recipient"].lower())] = " ".join(mails[0].body.split())
        return out

    # The partner's admin (an admin of the customer too, by creating it).
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).put(path(acc.id), json={"emails": [new]}), 200)
    got = bodies(before)
    by = f"{t.admin.name} of {t.account.name}"
    assert set(got) == {("recipient-removed", old.lower()), ("recipients-added", bea.mail.lower()),
                        ("recipients-added", tom.mail.lower())}, got
    assert f"{by} changed the notification recipients of {acc.name}: {old} is no longer" in \
        got[("recipient-removed", old.lower())], got
    assert f"{by} added {new} to the" in got[("recipients-added", bea.mail.lower())], got
    # Operator staff: "on behalf of" the partner.
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").put(path(acc.id), json={"emails": [old]}), 200)
    got = bodies(before)
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    assert (f"{olivia} on behalf of {t.account.name} changed the notification recipients of"
            f" {acc.name}: {new} is no longer") in got[("recipient-removed", new.lower())], got
    # The account's own admin: the name alone.
    before = S.outbox_max_id(sql)
    S.expect(api(bea).put(path(acc.id), json={"emails": []}), 200)
    got = bodies(before)
    text = got[("recipient-removed", old.lower())]
    assert (f"{bea.name} changed the notification recipients of {acc.name}: {old} is"
            " no longer") in text, got
    assert f"{bea.name} of " not in text and "on behalf of" not in text, text


def test_commas_and_semicolons_separate_addresses_in_a_form(api, customer, sql, make_person,
                                                            set_roles, make_tenant):
    """Round-23 walkthrough of seed 000, D4: two addresses on one line of
    the textarea (comma or semicolon) or "Name <addr>" got only "must be an
    e-mail address". A form's comma or semicolon separates addresses as a
    line break does (errors keyed by the line as typed); JSON stays one
    address per item, with a message that says so; a name with the
    address is refused in both, saying to send the address alone."""
    admin, acc = customer
    a, b, c = S.unique_mail(), S.unique_mail(), S.unique_mail()
    for text in (f"{a}, {b}", f"{a};{b}", f"{a} ;  {b},\r\n", f"{a},,{b};"):
        S.expect(api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", text)]), 200)
        assert get_emails(api, admin, acc.id) == [a, b], text
    S.expect(api(admin).form("PUT", path(acc.id), [("emails", f"{a}, {b}\r\n{c}")]), 200)
    assert get_emails(api, admin, acc.id) == [a, b, c]
    assert stored(sql, acc.id) == sorted([a, b, c])
    # A bad piece is named by its line as typed.
    one = "must be the e-mail address alone, without a name or angle brackets " \
          "(cora@example.com, not Cora <cora@example.com>)"
    for text, errors in ((f"{a}\r\n{b}, foo@", {"emails[1]": "must be an e-mail address"}),
                         (f"Cora Capek <{a}>", {"emails[0]": one}),
                         (f"{b}\n<{a}>; {c}", {"emails[1]": one})):
        r = api(admin).form("POST", path(acc.id), [("_method", "PUT"), ("emails", text)])
        assert S.expect_problem(r, 422, "validation")["errors"] == errors, text
    assert stored(sql, acc.id) == sorted([a, b, c])
    # JSON: one address per item.
    for item in (f"{a}, {b}", f"{a}; {b}"):
        errors = S.expect_field_errors(api(admin).put(path(acc.id), json={"emails": [c, item]}),
                                       "emails[1]")
        assert errors == {"emails[1]": "must be one e-mail address: put each address in an item "
                                       "of its own, not several separated by a comma or "
                                       "semicolon"}, errors
    errors = S.expect_field_errors(api(admin).put(path(acc.id), json={
        "emails": [f"Cora Capek <{a}>"]}), "emails[0]")
    assert errors == {"emails[0]": one}, errors
    assert stored(sql, acc.id) == sorted([a, b, c])
    # Who may: unchanged (a member 403, another tenant 404).
    member = make_person(prefix="rcm")
    set_roles(admin, acc.id, member, ["member"])
    form = [("_method", "PUT"), ("emails", f"{a}, {b}")]
    S.expect_problem(api(member).form("POST", path(acc.id), form), 403)
    S.expect_problem(api(make_tenant("rco").admin).form("POST", path(acc.id), form), 404)
    assert stored(sql, acc.id) == sorted([a, b, c])
