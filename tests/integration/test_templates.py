"""Mail templates: twenty-one shipped defaults with fixed placeholders; a
distributor overrides one for itself and every account below it (its
partners and customers); an override may only use the template's
placeholders; DELETE returns to the default. Checked in the mails that
arrive."""
import os
import re
import subprocess

import pytest

import support as S

TEMPLATES = {
    # name -> the placeholders the shipped default uses (sql/002 and later;
    # test_defaults_use_exactly_these_placeholders keeps this in step)
    # sql/051: {{renewal_note}}, the line of a renewal or resend (round-14
    # walkthrough of seed 001, D3)
    "invitation": {"account_name", "inviter_name", "expires_at", "link", "greeting",
                   "role_title", "contact_note", "renewal_note"},
    # sql/021: the hand-over's own wording (round-3 walkthrough of seed 000)
    # sql/073: {{providers_note}}, who keeps access after it (round-18
    # walkthrough of seed 000, D2)
    "transfer-invitation": {"account_name", "inviter_name", "expires_at", "link", "greeting",
                            "renewal_note", "providers_note"},
    # sql/025: the role in words, who changed a contact, the hand-over's next steps
    # sql/049: {{contact_note}} as in the invitation, for a contact person
    # added at once (round-14 walkthrough of seed 004, D3)
    # sql/106: the subject is {{added_subject}}, "Your roles in <account>
    # changed" for one who held roles there (round-24 walkthrough of seed
    # 004, D3); {{account_name}}, still offered, is used by no default line
    "added-to-account": {"name", "contact_note", "added_line", "sign_in_line", "added_subject"},
    # sql/039: every mail but the invitations greets its reader by the name
    # the directory has for the address, "Hello," without one (round-11
    # leftover of seed 000, D5)
    # sql/049: whom to ask, per reader ({{if_unexpected}}; round-14
    # walkthroughs of seeds 000 and 004, D1)
    # sql/077: the other admins read it too when nobody else would (round-18
    # walkthrough of seed 004, D1), and the line saying why names them
    # sql/082: {{contact_note}}, what being the contact means, in the new
    # contact's copy (round-19 walkthrough of seed 004, D2)
    "contact-changed": {"account_name", "contact", "old_name", "new_name", "changed_by",
                        "greeting", "if_unexpected", "contact_note"},
    # sql/073: {{providers_note}} as in transfer-invitation, and
    # {{pending_invitations}}, the invitations the new owner sends now
    # (round-18 walkthrough of seed 000, D1 and D2); sql/096:
    # {{other_admins}}, the customer's admins it leaves admin (round-22
    # walkthrough of seed 000, D1)
    "ownership-transferred": {"account_name", "new_owner_name", "new_owner_mail", "account_id",
                              "providers_note", "pending_invitations", "other_admins"},
    "transfer-completed": {"account_name", "new_owner_name", "new_owner_mail", "your_access",
                           "greeting"},
    # sql/039: {{acted}} says what the welcome follows, an order or an
    # upgrade (round-11 leftover of seed 001, O6)
    "plan-welcome": {"account_name", "plan", "articles", "storefront_url", "acted", "invoice",
                     "greeting"},
    # sql/029: a plan with a storefront has its own welcome (round-6 walkthrough of seed 002)
    # sql/059: {{moved_note}}, the old URL of a storefront moved to a new
    # alias, and {{cancellation_note}}, the late welcome's line while the
    # subscription is pending cancellation (round-15 walkthrough of seed
    # 002, D2 and D5)
    "storefront-welcome": {"account_name", "plan", "articles", "storefront_url", "acted",
                           "invoice", "greeting", "moved_note", "cancellation_note"},
    # sql/030: a quote request reaches the seller (round-6 walkthrough of seed 004)
    # sql/071: "asks for a quote for {{account_name}}", {{requested_by}}
    # naming their organization (round-17 walkthrough of seed 001, D2)
    # sql/088: {{seller_name}}, whose quote requests list it (round-20
    # walkthrough of seed 001, D3)
    "quote-requested": {"account_name", "account_id", "quote_id", "requested_by",
                        "requested_by_mail", "lines", "total", "valid_days", "greeting",
                        "seller_name"},
    # sql/032: a named contact asked for a person's new password (round-6 walkthrough of seed 004)
    # {{account_name}} stays a placeholder of it, but the default says it
    # only through {{requested_by}} ("Anna Admin, a named contact of X";
    # migration 047, round-13 walkthrough of seed 004, D2).
    # sql/071: {{renewal_note}}, the line of a reset that replaces a pending
    # one (round-17 walkthrough of seed 004, D4)
    "password-reset": {"requested_by", "name", "uid", "link", "expires_at", "renewal_note"},
    # sql/025: who cancelled, what follows the end, how to withdraw it
    # sql/072: a reseller plan's storefront, where neither the reseller nor
    # its customers sign in after the end, and how long its alias is kept
    # (round-17 walkthrough of seed 002, D3)
    "subscription-cancelled": {"account_name", "plan", "ends_at", "cancelled_by", "after_end",
                               "greeting", "storefront_url", "retention_period"},
    # sql/015: a renewal or a withdrawn cancellation
    "subscription-changed": {"account_name", "plan", "change", "ends_at", "acted_by",
                             "invoice", "greeting"},
    # sql/016: the term ends soon (accountd maint)
    "subscription-ending": {"account_name", "plan", "ends_at", "next", "greeting"},
    # sql/009: a partner asks for a customer relation
    "relation-requested": {"account_name", "account_id", "partner_name", "requested_by",
                           "requested_by_mail", "relation_id", "greeting"},
    # sql/021: closing an account (round-3 walkthrough of seed 004)
    # sql/069: {{open_children}}, how many child accounts stay open (round-16
    # walkthrough of seed 002, D1)
    # sql/079: {{storefronts}}, the storefronts whose sign-in its people lose
    # (round-19 walkthrough of seed 002, D2)
    "account-closed": {"account_name", "account_id", "closed_by", "kept", "greeting",
                       "open_children", "storefronts"},
    # sql/021: the customer decided a relation request (round-4 walkthrough of seed 003)
    "relation-decided": {"account_name", "customer_name", "decision", "decided_by", "relation_id",
                         "reason", "greeting"},
    # sql/024: the partner withdrew its request; an active relation ended
    # (stop-18 leftover of seed 003)
    "relation-withdrawn": {"account_name", "account_id", "partner_name", "withdrawn_by",
                           "relation_id", "reason", "greeting"},
    # sql/085: {{access_note}}, whether the end takes a storefront's sign-in
    # away (round-19 walkthrough of seed 002, D2 follow-up)
    "relation-ended": {"account_name", "partner_name", "customer_name", "ended_by",
                       "ended_by_account", "relation_id", "greeting", "access_note",
                       "again_note"},
    # sql/035: an address taken off the recipients (round-8 walkthrough of seed 000)
    "recipient-removed": {"account_name", "changed_by", "email", "recipients", "greeting"},
    # sql/044: a pending hand-over the hand-over by role change withdrew
    # (round-12 walkthrough of seed 000, D5)
    "invitation-withdrawn": {"account_name", "email", "greeting", "withdrawn_by", "reason"},
    # sql/046: operator staff decided a request for the customer; a customer
    # was created and related to its partner by someone else (round-12
    # walkthrough of seed 003, D1 and D3)
    "relation-decided-by-operator": {"account_name", "account_id", "partner_name", "decision",
                                     "decided_by", "relation_id", "greeting"},
    "relation-created": {"account_name", "account_id", "customer_name", "customer_id",
                         "created_by", "relation_id", "greeting"},
    # sql/057: operator staff asked a customer for a relation in a partner's
    # name (round-15 walkthrough of seed 003, D1)
    "relation-requested-for-partner": {"account_name", "account_id", "customer_name",
                                       "customer_id", "requested_by", "relation_id",
                                       "greeting"},
    # sql/048: a service provider's access limited, moved or ended
    # (round-13 walkthrough of seed 000, N3)
    # sql/063: {{what_changed}}, the whole sentence; {{changed_by}} now in
    # "ask … or another administrator" (round-16 walkthrough of seed 000, D4)
    "provider-access-changed": {"account_name", "changed_by", "change", "what_changed",
                                "greeting"},
    # sql/053: a reseller's storefront URL moved with its distributor's
    # storefront host (round-14 walkthrough of seed 002, D1)
    "storefront-url-changed": {"account_name", "old_url", "new_url", "partner_name",
                               "changed_by", "greeting"},
    # sql/061: a removed person whose own address leaves the recipients
    # with them is told they were removed (round-15 walkthrough of seed
    # 004, D1)
    # sql/076: {{projects_note}}, the project roles a removal took or left
    # (round-18 walkthrough of seed 003, D1)
    # sql/081: {{notifications_note}}, that the address no longer gets the
    # account's notifications, for a recipient's address only (round-19
    # walkthrough of seed 003, D3); the default no longer says {{email}}
    # itself (still a placeholder overrides may use)
    "member-removed": {"account_name", "changed_by", "greeting", "projects_note",
                       "notifications_note"},
    # sql/055: the sender of an admin invitation to a staged account is told
    # when it is accepted (round-15 walkthrough of seed 000, D2)
    # sql/086: {{handover_step}}, the hand-over's step for the provider's
    # side only (round-20 walkthrough of seed 000, D2)
    "invitation-accepted": {"account_name", "name", "email", "greeting", "handover_step"},
    # sql/069: each open child of a closed account is told (round-16
    # walkthrough of seed 002, D1)
    # sql/074: who of the closed parent still holds roles in the child, and
    # a distributor's name for the line of its back office and storefront
    # host (round-18 walkthrough of seed 001, D1 and D2)
    # sql/103: {{parent_storefront}}, the closed parent's live storefront
    # and its end, for a child whose people it admits (round-23 walkthrough
    # of seed 002, D3)
    # sql/115 (round-26 walkthrough of seed 003, D2): the default says
    # {{parent_relation}} ("which … (account 30) is a customer of" / "under
    # which … (account 30) was created"); {{relation}} and {{account_id}}
    # stay placeholders overrides may use.
    "parent-closed": {"account_name", "parent_name", "parent_id",
                      "closed_by", "storefront_url", "greeting", "distributor_name",
                      "parent_people", "parent_storefront", "parent_relation"},
    # sql/067 and sql/068: an addition to the recipients and a change of
    # the name or company data, told to the named contacts (round-16
    # walkthrough of seed 004, D1)
    "recipients-added": {"account_name", "changed_by", "added", "recipients", "greeting"},
    "account-details-changed": {"account_name", "changed_by", "changes", "greeting"},
    # sql/063: the hand-over by role change that named no contact tells
    # the customer's admins (round-16 walkthrough of seed 000, D2)
    "account-handed-over": {"account_name", "handed_over", "greeting"},
    # sql/083: the partner's people a hand-over by a role change changed or
    # left admin are told, and a service provider's grant of the role is
    # told to the named contacts (round-19 walkthrough of seed 000, D1, D3
    # and D4)
    "handed-over-to-customer": {"account_name", "handed_over", "your_access", "greeting"},
    "provider-granted": {"account_name", "granted_by", "granted_to", "how", "greeting"},
    # sql/090: a used password-reset link is told to the person whose
    # password was set and to who asked for it (round-20 walkthrough of
    # seed 004, D2)
    # (sql/093: {{which_link}} and {{ask_whom}}, round-21 walkthrough of
    # seed 004, D2 and D3; {{account_name}}, {{requested_by}} and
    # {{requested_by_name}} are placeholders overrides may use, the default
    # says them inside the new two)
    "password-changed": {"uid", "requested_at", "set_at", "which_link", "ask_whom", "greeting"},
    "password-reset-used": {"account_name", "uid", "name", "requested_at", "set_at", "greeting"},
    # sql/087: a person removed from a partner or distributor who keeps
    # roles in its child accounts is named to the remover and its contacts,
    # and a child account whose parent's admin removed the parent's former
    # person who created it is told (round-20 walkthrough of seed 001, D1)
    # ({{account_id}} is a placeholder overrides may use; the default says
    # it inside {{removed}})
    "member-keeps-child-roles": {"account_name", "removed", "person_name", "child_count",
                                 "children", "greeting"},
    # {{pending_invitations}}: the pending invitations of the person
    # removed that the remover sends from now on (migration 091; round-21
    # walkthrough of seed 001, D1)
    # sql/095: {{removed}} (the opening sentence, "You removed …" in the
    # remover's copy), {{projects_taken}} and {{told_as}} (round-22
    # walkthrough of seed 001, D1-D4; {{removed_by}} and {{roles}} are
    # placeholders overrides may use, the default says them inside
    # {{removed}})
    "removed-by-parent": {"account_name", "person_name", "parent_name", "taken_over",
                          "pending_invitations", "greeting", "removed", "projects_taken",
                          "told_as"},
    # sql/092: a person taken out of a project, or whose project was
    # deleted, is told, with the project roles that ended (round-21
    # walkthrough of seed 003, D2)
    "project-member-removed": {"account_name", "project_name", "removed_by", "roles", "greeting"},
    "project-deleted": {"account_name", "project_name", "deleted_by", "roles", "greeting"},
    # sql/101: the people of a closed account's projects who hold no role
    # in the account are told (round-23 walkthrough of seed 003, D2)
    "project-account-closed": {"account_name", "account_id", "closed_by", "projects", "kept",
                               "greeting"},
}




def tpath(account_id, name=None):
    base = f"/api/v1/accounts/{account_id}/notification-templates"
    return base if name is None else f"{base}/{name}"


def change_contact(api, sql, mailbox, by, account_id, uid):
    """Set the primary contact; return the mail that reached `by`."""
    before = S.outbox_max_id(sql)
    S.expect(api(by).put(f"/api/v1/accounts/{account_id}/contacts/primary", json={"uid": uid}), 200)
    rows = S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
    mine = [r for r in rows if r["recipient"].lower() == by.mail.lower()]
    assert len(mine) == 1 and mine[0]["status"] == "sent", rows
    mails = mailbox.wait_for(outbox_id=mine[0]["id"])
    assert len(mails) == 1, f"no mail for outbox row {mine[0]}"
    return mine[0], mails[0]


def default_subject(account_name):
    return f"{account_name}: the primary contact changed"


def test_lists_the_templates_with_placeholders(api, distributor):
    admin, acc = distributor
    body = S.expect(api(admin).get(tpath(acc.id)), 200)
    items = body.get("items")
    assert isinstance(items, list), body
    by_name = {t["name"]: t for t in items}
    assert set(by_name) == set(TEMPLATES), body
    for name, used in TEMPLATES.items():
        placeholders = by_name[name].get("placeholders")
        assert isinstance(placeholders, list), by_name[name]
        assert used <= set(placeholders), (name, placeholders)


def defaults(sql):
    return {r["name"]: r for r in sql.rows(
        "SELECT name, subject, body FROM notification_templates WHERE account_id IS NULL")}


def test_defaults_use_exactly_these_placeholders(sql):
    """TEMPLATES is what the shipped defaults use (docs/api.md lists the
    placeholders): every default greets its reader with {{greeting}} but
    those that greet by a name of their own (round-11 leftover of seed
    000, D5), and the welcomes say {{acted}} (seed 001, O6)."""
    rows = defaults(sql)
    assert set(rows) == set(TEMPLATES), sorted(rows)
    for name, row in rows.items():
        used = set(re.findall(r"\{\{\s*([a-z_]+)\s*\}\}", row["subject"] + row["body"]))
        assert used == TEMPLATES[name], (name, sorted(used ^ TEMPLATES[name]))
        named = name in ("added-to-account", "password-reset", "ownership-transferred")
        assert row["body"].startswith("Hello {{" if named else "{{greeting}}\n"), (name, row["body"])


def test_no_default_template_gives_an_api_path(sql):
    """Round-11 leftovers of seeds 000 (D4) and 001 (O9): the mails' readers
    use a front end, not curl; no default says "GET /api/v1/..."."""
    for name, row in defaults(sql).items():
        for text in (row["subject"], row["body"]):
            assert "/api/" not in text, (name, text)
            assert not re.search(r"\b(GET|HEAD|POST|PUT|PATCH|DELETE) /", text), (name, text)


def test_an_override_greets_by_name_in_the_body_only(api, distributor, make_account, sql,
                                                    mailbox):
    """{{greeting}} in a distributor's override: the reader's directory name
    in the body; "Hello," in the subject, which GET .../notifications lists
    (round-11 leftover of seed 000, D5)."""
    admin, dist = distributor
    marker = S.unique("tplg-")
    S.expect(api(admin).put(tpath(dist.id, "contact-changed"), json={
        "subject": f"{{{{greeting}}}} {marker}", "body": f"{{{{greeting}}}}\n\n{marker}\n"}), 200)
    cust = make_account(admin, "customer", dist.id)
    outbox, mail = change_contact(api, sql, mailbox, admin, cust.id, admin.uid)
    assert mail.subject == f"Hello, {marker}", mail.subject
    assert outbox["subject"] == f"Hello, {marker}", outbox
    assert mail.body.replace("\r\n", "\n") == f"Hello {admin.name},\n\n{marker}\n", mail.body


def test_customer_admin_lists_templates_too(api, make_tenant, make_account):
    t = make_tenant()
    cust = make_account(t.admin, "customer", t.account.id)
    body = S.expect(api(t.admin).get(tpath(cust.id)), 200)
    assert {i["name"] for i in body["items"]} == set(TEMPLATES)


@pytest.mark.parametrize("chain", ["customer", "partner-customer"])
def test_override_reaches_accounts_below(api, distributor, make_account, sql, mailbox, chain):
    admin, dist = distributor
    marker = S.unique("tpl-")
    subject = f"[{marker}] {{{{account_name}}}}: {{{{contact}}}} contact is now {{{{new_name}}}}"
    body = f"Custom {marker}: {{{{new_name}}}} looks after {{{{account_name}}}}.\n"
    S.expect(api(admin).put(tpath(dist.id, "contact-changed"), json={"subject": subject, "body": body}), 200)
    row = sql.row("SELECT subject, body FROM notification_templates WHERE account_id=%s AND name='contact-changed'",
                  int(dist.id))
    assert row == {"subject": subject, "body": body}

    parent = dist
    if chain == "partner-customer":
        parent = make_account(admin, "partner", dist.id)
    cust = make_account(admin, "customer", parent.id)
    outbox, mail = change_contact(api, sql, mailbox, admin, cust.id, admin.uid)
    expected = f"[{marker}] {cust.name}: primary contact is now {admin.name}"
    assert mail.subject == expected, mail
    assert outbox["subject"] == expected
    assert f"Custom {marker}: {admin.name} looks after {cust.name}." in mail.body, mail.body


def test_a_subject_that_renders_too_long_is_cut_not_refused(api, distributor, make_account, sql, invite):
    """A 255-character subject that repeats a 200-character account name
    renders to ~3000 characters: the mail is still queued, its subject cut
    to the outbox's 998 characters, never inside a character."""
    admin, dist = distributor
    subject = ("{{account_name}} " * 15)[:255]
    S.expect(api(admin).put(tpath(dist.id, "invitation"),
                            json={"subject": subject, "body": "Join: {{link}}\n"}), 200)
    name = S.unique("a-long-") + "é" * 85  # 100 characters, 185 bytes (the limit is 200 bytes)
    cust = make_account(admin, "customer", dist.id, name=name)
    email = S.unique_mail()
    invite(admin, cust.id, email)
    rows = S.outbox_rows(sql, recipient=email)
    assert len(rows) == 1, rows
    assert len(rows[0]["subject"]) == 998, len(rows[0]["subject"])
    assert rows[0]["subject"].startswith(name + " " + name), rows[0]["subject"][:300]


def test_override_does_not_reach_other_distributors(api, distributor, make_account, make_person, set_roles,
                                                    operator_id, sql, mailbox):
    admin, dist = distributor
    S.expect(api(admin).put(tpath(dist.id, "contact-changed"),
                            json={"subject": "Other " + S.unique("") + " {{account_name}}", "body": "x"}), 200)
    other = make_account("olivia", "distributor", operator_id)
    other_admin = make_person(prefix="da")
    set_roles("olivia", other.id, other_admin, ["admin"])
    cust = make_account(other_admin, "customer", other.id)
    _, mail = change_contact(api, sql, mailbox, other_admin, cust.id, other_admin.uid)
    assert mail.subject == default_subject(cust.name), mail


def test_delete_returns_to_the_default(api, distributor, make_account, make_person, set_roles, sql, mailbox):
    admin, dist = distributor
    cust = make_account(admin, "customer", dist.id)
    marker = S.unique("tpl-")
    S.expect(api(admin).put(tpath(dist.id, "contact-changed"),
                            json={"subject": f"{marker} {{{{account_name}}}}", "body": "Changed."}), 200)
    _, mail = change_contact(api, sql, mailbox, admin, cust.id, admin.uid)
    assert mail.subject == f"{marker} {cust.name}", mail

    r = api(admin).delete(tpath(dist.id, "contact-changed"))
    S.expect(r, 204)  # docs/api.md: DELETE returns to the default (204)
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(dist.id)) == []

    b = make_person()
    set_roles(admin, cust.id, b, ["admin"])
    _, mail = change_contact(api, sql, mailbox, admin, cust.id, b.uid)
    assert mail.subject == default_subject(cust.name), mail


@pytest.mark.parametrize("fields,bad", [
    ({"subject": "Hi {{nope}}", "body": "{{account_name}}"}, "subject"),
    ({"subject": "Hi {{account_name}}", "body": "Dear {{nope}}"}, "body"),
    ({"subject": "Hi {{account_name", "body": "x"}, "subject"),
    ({"subject": "Hi", "body": "Dear {{new_name}"}, "body"),
    ({"subject": "Hi {{link}}", "body": "x"}, "subject"),          # invitation's, not this template's
    ({"body": "x"}, "subject"),
    ({"subject": "x"}, "body"),
])
def test_bad_override_is_422(api, distributor, sql, fields, bad):
    admin, dist = distributor
    r = api(admin).put(tpath(dist.id, "contact-changed"), json=fields)
    S.expect_field_errors(r, bad)
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(dist.id)) == []


def test_unknown_template_is_404(api, distributor, sql):
    admin, dist = distributor
    r = api(admin).put(tpath(dist.id, "welcome-aboard"), json={"subject": "x", "body": "y"})
    S.expect_problem(r, 404, "not-found")
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(dist.id)) == []


@pytest.mark.parametrize("kind", ["customer", "partner"])
def test_override_outside_a_distributor_is_409(api, make_tenant, make_account, sql, kind):
    t = make_tenant()
    acc = make_account(t.admin, kind, t.account.id)
    r = api(t.admin).put(tpath(acc.id, "contact-changed"), json={"subject": "Mine {{account_name}}", "body": "x"})
    S.expect_problem(r, 409, "conflict")
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(acc.id)) == []


def test_one_template_reads_as_the_list_shows_it(api, distributor, make_tenant, make_account):
    """Round-11 walkthrough of seed 002, D3: GET of one template (PUT and
    DELETE had it; GET was 405): the one in effect, as the list shows it;
    an unknown name 404; a member 403."""
    admin, acc = distributor
    listed = {t["name"]: t for t in S.expect(api(admin).get(tpath(acc.id)), 200)["items"]}
    one = S.expect(api(admin).get(f"{tpath(acc.id)}/plan-welcome"), 200)
    assert one == listed["plan-welcome"], (one, listed["plan-welcome"])
    S.expect(api(admin).put(f"{tpath(acc.id)}/plan-welcome",
                            json={"subject": "Hi {{account_name}}", "body": "Now {{plan}}.\n"}), 200)
    one = S.expect(api(admin).get(f"{tpath(acc.id)}/plan-welcome"), 200)
    assert one["subject"] == "Hi {{account_name}}" and one["overridden"] is True, one
    S.expect_problem(api(admin).get(f"{tpath(acc.id)}/no-such-template"), 404)


QUOTE_071 = ("{{greeting}}\n\n{{requested_by}} ({{requested_by_mail}}) of {{account_name}} (account"
             " {{account_id}}) asks for a quote:\n{{lines}}\nTotal: {{total}}\n\nThe quote is valid"
             " for {{valid_days}} days. You find it as quote {{quote_id}} among the quotes of"
             " {{account_name}}; answer {{requested_by}} at {{requested_by_mail}}.\n\nYou get this"
             " mail as a contact, an admin or a notification recipient of the account that sells to"
             " {{account_name}}.\n")
QUOTE_071_NEW = QUOTE_071.replace(
    " of {{account_name}} (account {{account_id}}) asks for a quote:",
    " asks for a quote for {{account_name}} (account {{account_id}}):")
QUOTE_088 = QUOTE_071_NEW.replace(
    "You find it as quote {{quote_id}} among the quotes of {{account_name}}; answer"
    " {{requested_by}} at {{requested_by_mail}}.",
    "This mail holds the whole request: answer {{requested_by}} at {{requested_by_mail}}. The"
    " administrators, service providers and billing people of {{seller_name}} also find it as"
    " request {{quote_id}} among the quote requests to {{seller_name}}.").replace(
    "notification recipient of the account that sells to {{account_name}}.",
    "notification recipient of {{seller_name}}, which sells to {{account_name}}.")
RESET_071 = ("Hello {{name}},\n\n{{requested_by}}, asked for a new password for your user {{uid}}."
             "\n\nSet it here (the link works once and expires {{expires_at}}):\n{{link}}\n\nUntil"
             " you do, your current password keeps working. If you did not expect this, ignore this"
             " e-mail.\n")


def run_migration_071(env):
    path = os.path.join(env.get("ACCOUNTD_SRC") or os.getcwd(), "sql",
                        "071_quote_requester_reset_note.sql")
    with open(path) as f:
        p = subprocess.run(["mariadb", "--no-defaults", "-S", env["SQL_SOCKET"], "-u", "root",
                            env["SQL_DATABASE"]], stdin=f, capture_output=True, text=True,
                           timeout=120)
    assert p.returncode == 0, f"migration 071: rc={p.returncode}: {p.stdout} {p.stderr}"


def test_migration_071_changes_only_the_shipped_defaults(sql, env, make_account, operator_id):
    """Migration 071 (round-17 walkthroughs of seed 001, D2, and seed 004,
    D4): the shipped quote-requested says "asks for a quote for
    {{account_name}}" (subject "Quote requested for …") and the shipped
    password-reset has the {{renewal_note}} line; a distributor's override
    that kept the old texts keeps them, and so does a default row someone
    edited in the database. Run once more here, as `accountd migrate` runs
    it (the file may run again and changes nothing more)."""
    rows = defaults(sql)
    quote, reset = rows["quote-requested"], rows["password-reset"]
    assert quote["subject"] == "Quote requested for {{account_name}} ({{total}})", quote
    assert ("{{requested_by}} ({{requested_by_mail}}) asks for a quote for {{account_name}}"
            " (account {{account_id}}):\n{{lines}}") in quote["body"], quote
    # The body as migration 088 left it after 071 (round-20 walkthrough of
    # seed 001, D3).
    assert quote["body"] == QUOTE_088, quote
    assert reset["body"] == RESET_071.replace(
        "{{uid}}.\n\n", "{{uid}}.\n{{renewal_note}}\n\n", 1), reset
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    for name, subject, body in (("quote-requested", "{{account_name}} asks for a quote ({{total}})",
                                 QUOTE_071),
                                ("password-reset", "Set a new password for {{uid}}", RESET_071)):
        sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
                 " VALUES (%s, %s, %s, %s)", int(dist.id), name, subject, body)
    overrides = sql.rows("SELECT name, subject, body FROM notification_templates"
                         " WHERE account_id=%s ORDER BY name", int(dist.id))
    edited = "{{greeting}}\n\n{{requested_by}} wants a quote for {{account_name}}: {{lines}}\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='quote-requested'", edited)
    try:
        run_migration_071(env)
        run_migration_071(env)
        assert defaults(sql)["quote-requested"]["body"] == edited
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='quote-requested'", quote["body"])
    assert sql.rows("SELECT name, subject, body FROM notification_templates"
                    " WHERE account_id=%s ORDER BY name", int(dist.id)) == overrides
    after = defaults(sql)
    assert (after["quote-requested"], after["password-reset"]) == (quote, reset)


PARENT_CLOSED_069 = (
    "{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account"
    " {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its"
    " subscriptions continue: the close changed nothing of {{account_name}}, and its own people"
    " keep their roles.\n\nThe people of {{parent_name}} no longer act for {{account_name}}: they"
    " no longer order, upgrade, cancel or renew its subscriptions or read its billing as its back"
    " office, and the storefront host of {{parent_name}} can no longer be changed.\nIts storefront"
    " stays at {{storefront_url}}, and signing in there keeps working while its subscription"
    " runs.\n\nYou get this mail as a contact, an admin or a notification recipient of"
    " {{account_name}}.\n")


# sql/074's text (round-18 walkthrough of seed 001, D1 and D2), which 103
# takes on from.
PARENT_CLOSED_074 = (
    "{{greeting}}\n\n{{parent_name}} (account {{parent_id}}), which {{account_name}} (account"
    " {{account_id}}) is {{relation}} of, was closed by {{closed_by}}.\n\n{{account_name}} and its"
    " subscriptions continue: the close changed nothing of {{account_name}}, and the roles people"
    " hold in it are unchanged.\n{{parent_people}}\nThe back office of {{distributor_name}} for"
    " {{account_name}} ends: by their roles in {{distributor_name}}, its people no longer order,"
    " upgrade, cancel or renew the subscriptions of {{account_name}} or read its billing, and the"
    " storefront host of {{distributor_name}} can no longer be changed.\nIts storefront stays at"
    " {{storefront_url}}, and signing in there keeps working while its subscription runs.\n\nYou"
    " get this mail as a contact, an admin or a notification recipient of {{account_name}}.\n")

PARENT_CLOSED_103 = PARENT_CLOSED_074.replace(
    "while its subscription runs.\n\n",
    "while its subscription runs.\nThe people of {{account_name}} can still sign in at the"
    " storefront of {{parent_name}} at {{parent_storefront}}, and no longer after that.\n\n")
PARENT_CLOSED_115 = PARENT_CLOSED_103.replace(
    "{{parent_id}}), which {{account_name}} (account {{account_id}}) is {{relation}} of, was",
    "{{parent_id}}), {{parent_relation}}, was")


CONTACT_049 = ("{{greeting}}\n\n{{changed_by}} changed the {{contact}} contact of {{account_name}}"
               " from {{old_name}} to {{new_name}}.\n\nYou get this mail as a named contact or a"
               " notification recipient of {{account_name}}. {{if_unexpected}}\n")


# sql/077's text, and sql/082's: {{contact_note}}, a line of the new
# contact's copy (round-19 walkthrough of seed 004, D2)
CONTACT_077 = CONTACT_049.replace(
    "notification recipient of {{account_name}}. ",
    "notification recipient of {{account_name}}, or as one of its administrators while it"
    " has no other named contact. ")
CONTACT_082 = CONTACT_077.replace("{{new_name}}.\n\n", "{{new_name}}.\n{{contact_note}}\n\n")


def run_migration(env, name):
    path = os.path.join(env.get("ACCOUNTD_SRC") or os.getcwd(), "sql", name)
    with open(path) as f:
        p = subprocess.run(["mariadb", "--no-defaults", "-S", env["SQL_SOCKET"], "-u", "root",
                            env["SQL_DATABASE"]], stdin=f, capture_output=True, text=True,
                           timeout=120)
    assert p.returncode == 0, f"{name}: rc={p.returncode}: {p.stdout} {p.stderr}"


def test_migration_074_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 074 (round-18 walkthrough of seed 001, D1 and D2): the
    shipped parent-closed no longer says that the closed parent's people
    "no longer act for" the child. It names who of the parent still holds
    roles there ({{parent_people}}), and speaks of a back office and a
    storefront host only in a line that holds {{distributor_name}} (left
    out for a partner). A distributor's override that kept the text of
    069 keeps it, and so does a default row someone edited in the
    database; the file may run again and changes nothing more."""
    row = defaults(sql)["parent-closed"]
    body = row["body"]
    assert "no longer act for" not in body, body
    assert "\n{{parent_people}}\n" in body, body
    assert ("\nThe back office of {{distributor_name}} for {{account_name}} ends: by their roles"
            " in {{distributor_name}}, its people no longer order, upgrade, cancel or renew the"
            " subscriptions of {{account_name}} or read its billing, and the storefront host of"
            " {{distributor_name}} can no longer be changed.\n") in body, body
    # "back office" and "storefront host" only in that line.
    lines = [x for x in body.split("\n") if "back office" in x or "storefront host" in x]
    assert len(lines) == 1 and "{{distributor_name}}" in lines[0], lines
    assert row["subject"] == "{{parent_name}} was closed: {{account_name}} continues", row
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'parent-closed', %s, %s)", int(dist.id), row["subject"],
             PARENT_CLOSED_069)
    edited = "{{greeting}}\n\n{{parent_name}} was closed; {{account_name}} goes on.\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='parent-closed'", edited)
    try:
        run_migration(env, "074_parent_closed_holders.sql")
        assert defaults(sql)["parent-closed"]["body"] == edited
        # The text of 069 is what it replaces, and only that.
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='parent-closed'", PARENT_CLOSED_069)
        run_migration(env, "074_parent_closed_holders.sql")
        run_migration(env, "074_parent_closed_holders.sql")
        assert defaults(sql)["parent-closed"]["body"] == PARENT_CLOSED_074
        # ... which 103 (round 23) and 115 (round 26) take on from.
        run_migration(env, "103_parent_closed_storefront.sql")
        run_migration(env, "115_parent_closed_relation.sql")
        assert defaults(sql)["parent-closed"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='parent-closed'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='parent-closed'", int(dist.id)) == PARENT_CLOSED_069


def test_migration_103_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 103 (round-23 walkthrough of seed 002, D3): the shipped
    parent-closed has a line with {{parent_storefront}}, the closed
    parent's live storefront and its end, right after the child's own
    storefront line (accountd leaves it out when the parent admits the
    child's people at no storefront). A distributor's override that kept
    the text of 074 keeps it, and so does a default row someone edited in
    the database; the file may run again and changes nothing more."""
    row = defaults(sql)["parent-closed"]
    body = row["body"]
    assert body == PARENT_CLOSED_115, body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'parent-closed', %s, %s)", int(dist.id), row["subject"],
             PARENT_CLOSED_074)
    edited = "{{greeting}}\n\n{{parent_name}} is gone; {{account_name}} stays.\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='parent-closed'", edited)
    try:
        run_migration(env, "103_parent_closed_storefront.sql")
        assert defaults(sql)["parent-closed"]["body"] == edited
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='parent-closed'", PARENT_CLOSED_074)
        run_migration(env, "103_parent_closed_storefront.sql")
        run_migration(env, "103_parent_closed_storefront.sql")
        assert defaults(sql)["parent-closed"]["body"] == PARENT_CLOSED_103
        # ... which 115 (round 26) takes on from.
        run_migration(env, "115_parent_closed_relation.sql")
        assert defaults(sql)["parent-closed"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='parent-closed'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='parent-closed'", int(dist.id)) == PARENT_CLOSED_074


def test_migration_115_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 115 (round-26 walkthrough of seed 003, D2): the shipped
    parent-closed ties the child to the closed parent by
    {{parent_relation}} ("which … is a customer of" only while their
    relation is active, else "under which … was created"). A
    distributor's override that kept the text of 103 keeps it, and so does
    a default row someone edited in the database; the file may run again
    and changes nothing more."""
    row = defaults(sql)["parent-closed"]
    body = row["body"]
    assert "(account {{parent_id}}), {{parent_relation}}, was closed by {{closed_by}}.\n" in body, body
    assert "{{relation}}" not in body, body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'parent-closed', %s, %s)", int(dist.id), row["subject"],
             PARENT_CLOSED_103)
    edited = "{{greeting}}\n\n{{parent_name}} ended; {{account_name}} stays.\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='parent-closed'", edited)
    try:
        run_migration(env, "115_parent_closed_relation.sql")
        assert defaults(sql)["parent-closed"]["body"] == edited
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='parent-closed'", PARENT_CLOSED_103)
        run_migration(env, "115_parent_closed_relation.sql")
        run_migration(env, "115_parent_closed_relation.sql")
        assert defaults(sql)["parent-closed"]["body"] == body == PARENT_CLOSED_115
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='parent-closed'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='parent-closed'", int(dist.id)) == PARENT_CLOSED_103


INVITATION_ACCEPTED_055 = (
    "{{greeting}}\n\n{{name}} ({{email}}) accepted your invitation and is now an administrator of"
    " {{account_name}}.\n\nTo hand the account over, change your own role to service provider:"
    " {{account_name}} then becomes active and its customer's, and you keep access as a service"
    " provider. Until then it stays staged.\n\nYou get this mail because you invited {{name}} to"
    " {{account_name}} as an administrator.\n")


def test_migration_086_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 086 (round-20 walkthrough of seed 000, D2): the shipped
    invitation-accepted carries the hand-over's step in {{handover_step}}
    (accountd says it to the provider's side only, and to a customer admin
    that the account stays staged), not in its text. A distributor's
    override that kept the text of 055 keeps it, and so does a default row
    someone edited in the database; the file may run again and changes
    nothing more."""
    row = defaults(sql)["invitation-accepted"]
    body = row["body"]
    assert body == INVITATION_ACCEPTED_055.replace(
        "To hand the account over, change your own role to service provider: {{account_name}} then"
        " becomes active and its customer's, and you keep access as a service provider. Until then"
        " it stays staged.", "{{handover_step}}"), body
    assert row["subject"] == "{{account_name}}: {{name}} accepted your invitation", row
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'invitation-accepted', %s, %s)", int(dist.id), row["subject"],
             INVITATION_ACCEPTED_055)
    edited = "{{greeting}}\n\n{{name}} is in.\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='invitation-accepted'", edited)
    try:
        run_migration(env, "086_invitation_accepted_handover_step.sql")
        assert defaults(sql)["invitation-accepted"]["body"] == edited
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='invitation-accepted'", INVITATION_ACCEPTED_055)
        run_migration(env, "086_invitation_accepted_handover_step.sql")
        run_migration(env, "086_invitation_accepted_handover_step.sql")
        assert defaults(sql)["invitation-accepted"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='invitation-accepted'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='invitation-accepted'", int(dist.id)) == INVITATION_ACCEPTED_055


REMOVED_BY_PARENT_087 = (
    "{{greeting}}\n\n{{removed_by}} removed {{person_name}} from {{account_name}}, where they were "
    "{{roles}}. {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a "
    "role in {{parent_name}}. The administrators of {{parent_name}} may remove such a person from "
    "an account they created, and none of its own people.\n\n{{taken_over}}\n\nIf "
    "{{person_name}} should still act for {{account_name}}, an administrator of {{account_name}} "
    "can invite them again.\n\nYou get this mail as a named contact of {{account_name}}, as one "
    "of its administrators while it has no named contact, or as one of its notification "
    "recipients.\n")


REMOVED_BY_PARENT_091 = (
    "{{greeting}}\n\n{{removed_by}} removed {{person_name}} from {{account_name}}, where they were "
    "{{roles}}. {{person_name}} created {{account_name}} for {{parent_name}} and no longer holds a "
    "role in {{parent_name}}. The administrators of {{parent_name}} may remove {{person_name}}, "
    "who created it for {{parent_name}}, from {{account_name}}, but none of its own people.\n"
    "{{taken_over}}\n{{pending_invitations}}\n\nIf {{person_name}} should still act for "
    "{{account_name}}, an administrator of {{account_name}} can invite them again.\n\nYou get "
    "this mail as a named contact of {{account_name}}, as one of its administrators while it has "
    "no named contact, as one of its notification recipients, or as the administrator of "
    "{{parent_name}} who took the place of {{person_name}} and now sends their pending "
    "invitations.\n")


def test_migration_095_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 095 (round-22 walkthrough of seed 001, D1-D4): the shipped
    removed-by-parent opens with {{removed}}, has {{projects_taken}} on a
    line of its own and closes with {{told_as}} (no take-over reason for
    every reader). An override that kept 091's text keeps it, so does an
    edited default row; the file may run again."""
    row = defaults(sql)["removed-by-parent"]
    body = row["body"]
    assert body.startswith("{{greeting}}\n\n{{removed}} {{person_name}} created"), body
    assert ("but none of its own people.\n{{taken_over}}\n{{projects_taken}}\n"
            "{{pending_invitations}}\n\nIf {{person_name}}") in body, body
    assert body.endswith("can invite them again.\n\n{{told_as}}\n"), body
    assert "took the place" not in body, body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'removed-by-parent', %s, %s)", int(dist.id), row["subject"],
             REMOVED_BY_PARENT_091)
    edited = "{{greeting}}\n\n{{person_name}} is gone.\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='removed-by-parent'", edited)
    try:
        run_migration(env, "095_take_over_projects.sql")
        assert defaults(sql)["removed-by-parent"]["body"] == edited
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='removed-by-parent'", REMOVED_BY_PARENT_091)
        run_migration(env, "095_take_over_projects.sql")
        run_migration(env, "095_take_over_projects.sql")
        assert defaults(sql)["removed-by-parent"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='removed-by-parent'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='removed-by-parent'", int(dist.id)) == REMOVED_BY_PARENT_091


def test_migration_091_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 091 (round-21 walkthrough of seed 001, D1, D2): the
    shipped removed-by-parent has {{taken_over}} and {{pending_invitations}}
    on lines of their own right under the paragraph before them (no blank
    paragraph where they are left out) and says who created the account.
    A distributor's override that kept the text of 087 keeps it, and so
    does a default row someone edited in the database; the file may run
    again and changes nothing more."""
    row = defaults(sql)["removed-by-parent"]
    body = row["body"]
    assert "\n\n{{taken_over}}" not in body and "{{taken_over}}\n\n" not in body, body
    assert ("may remove {{person_name}}, who created it for {{parent_name}}, from "
            "{{account_name}}, but none of its own people.") in body, body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'removed-by-parent', %s, %s)", int(dist.id), row["subject"],
             REMOVED_BY_PARENT_087)
    edited = "{{greeting}}\n\n{{person_name}} is out.\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='removed-by-parent'", edited)
    try:
        run_migration(env, "091_take_over_pending_invitations.sql")
        assert defaults(sql)["removed-by-parent"]["body"] == edited
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='removed-by-parent'", REMOVED_BY_PARENT_087)
        run_migration(env, "091_take_over_pending_invitations.sql")
        run_migration(env, "091_take_over_pending_invitations.sql")
        assert defaults(sql)["removed-by-parent"]["body"] == REMOVED_BY_PARENT_091
        # ... which 095 (round 22) takes on from.
        run_migration(env, "095_take_over_projects.sql")
        assert defaults(sql)["removed-by-parent"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='removed-by-parent'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='removed-by-parent'", int(dist.id)) == REMOVED_BY_PARENT_087


def test_a_bad_override_names_every_unknown_placeholder(api, distributor, make_tenant, sql):
    """Round-18 walkthrough of seed 002, D4: the 422 named only the first
    unknown placeholder of each field, and not the template's own, so three
    mistakes took three round trips. Decision: every unknown placeholder
    of the field, each once, in the text's order, then "its placeholders
    are …" as GET …/notification-templates lists them (a subject's without
    the secret {{link}}). Another tenant's admin is 404, nothing written."""
    admin, dist = distributor
    listed = {t["name"]: t["placeholders"] for t in S.expect(
        api(admin).get(f"/api/v1/accounts/{dist.id}/notification-templates"), 200)["items"]}
    ph = ", ".join(listed["subscription-changed"])
    r = api(admin).put(tpath(dist.id, "subscription-changed"), json={
        "subject": "{{acount_name}}",
        "body": "{{nope}} {{nada}} {{ nope }} {{account_name}} {{storefront_url}}"})
    errors = S.expect_field_errors(r, "subject", "body")
    assert errors == {
        "subject": "uses a placeholder this template does not have: acount_name; "
                   f"its placeholders are {ph}",
        "body": "uses placeholders this template does not have: nope, nada, storefront_url; "
                f"its placeholders are {ph}"}, errors
    # The invitation's subject may not carry its link: not listed there.
    r = api(admin).put(tpath(dist.id, "invitation"), json={"subject": "{{x}} {{y}}",
                                                            "body": "{{link}}"})
    subject = S.expect_field_errors(r, "subject")["subject"]
    known = [p for p in listed["invitation"] if p != "link"]
    assert subject == ("uses placeholders this template does not have: x, y; its placeholders "
                       f"are {', '.join(known)}"), subject
    # The secret itself and an unclosed brace keep their words.
    r = api(admin).put(tpath(dist.id, "invitation"), json={"subject": "{{link}}", "body": "x"})
    assert S.expect_field_errors(r, "subject")["subject"] == (
        "must not use a placeholder that carries a secret (the subject is listed in the "
        "account's notifications): link")
    r = api(admin).put(tpath(dist.id, "invitation"), json={"subject": "x", "body": "{{link"})
    assert S.expect_field_errors(r, "body")["body"] == "has a '{{' without '}}'"
    other = make_tenant("r18d4")
    S.expect_problem(api(other.admin).put(tpath(dist.id, "subscription-changed"), json={
        "subject": "{{nope}}", "body": "x"}), 404)
    assert sql.rows("SELECT id FROM notification_templates WHERE account_id=%s", int(dist.id)) == []


def test_migration_077_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 077 (round-18 walkthrough of seed 004, D1): contact-changed
    now also goes to the other named contact and, when nobody but the
    person who made the change would read it, to the other admins; the
    shipped default's line that says why the reader gets it names those
    admins too. A distributor's override that kept the text of migration
    049 keeps it, and so does a default row someone edited in the
    database. Run once more here, as `accountd migrate` runs it."""
    row = defaults(sql)["contact-changed"]
    assert row["body"] == CONTACT_082, row  # migration 082 changed it again
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'contact-changed', %s, %s)", int(dist.id), row["subject"], CONTACT_049)
    edited = CONTACT_049.replace("You get this mail", "You receive this mail")
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='contact-changed'", edited)
    try:
        run_migration(env, "077_contact_changed_guardians.sql")
        run_migration(env, "077_contact_changed_guardians.sql")
        assert defaults(sql)["contact-changed"]["body"] == edited
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='contact-changed'", row["body"])
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='contact-changed'", int(dist.id)) == CONTACT_049
    assert defaults(sql)["contact-changed"] == row


ACCOUNT_CLOSED_069 = (
    "{{greeting}}\n\n{{closed_by}} closed the account {{account_name}} (account {{account_id}})."
    " A closed account takes no more changes; a cancelled subscription of it still ends at its"
    " term end.\n{{kept}}\n{{open_children}}\n\nYou get this mail as a contact, an admin or a"
    " notification recipient of {{account_name}}.\n")


def test_migration_079_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 079 (round-19 walkthrough of seed 002, D2): the shipped
    account-closed says which storefronts the closed account's people no
    longer sign in at ({{storefronts}}, a line of its own after {{kept}}).
    A distributor's override that kept the text of 069 keeps it, and so
    does a default row someone edited in the database; the file may run
    again and changes nothing more."""
    row = defaults(sql)["account-closed"]
    body = row["body"]
    assert body == ACCOUNT_CLOSED_069.replace(
        "{{kept}}\n", "{{kept}}\nIts people can no longer sign in at {{storefronts}} by their"
        " roles here: a reseller's storefront is for the people of its customers, and a closed"
        " account is none of them.\n"), body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'account-closed', %s, %s)", int(dist.id), row["subject"],
             ACCOUNT_CLOSED_069)
    edited = ACCOUNT_CLOSED_069.replace("You get this mail", "You receive this mail")
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='account-closed'", edited)
    try:
        run_migration(env, "079_closed_storefront_sign_in.sql")
        assert defaults(sql)["account-closed"]["body"] == edited
        # The text of 069 is what it replaces, and only that.
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='account-closed'", ACCOUNT_CLOSED_069)
        run_migration(env, "079_closed_storefront_sign_in.sql")
        run_migration(env, "079_closed_storefront_sign_in.sql")
        assert defaults(sql)["account-closed"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='account-closed'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='account-closed'", int(dist.id)) == ACCOUNT_CLOSED_069


def test_migration_083_adds_the_two_defaults_and_keeps_edits(sql, env, make_account, operator_id):
    """Migration 083 (round-19 walkthrough of seed 000, D1, D3 and D4):
    handed-over-to-customer and provider-granted are new shipped
    defaults; a default row someone edited in the database and a
    distributor's override keep their text, and the file may run again
    and adds nothing."""
    rows = defaults(sql)
    handed, granted = rows["handed-over-to-customer"], rows["provider-granted"]
    assert handed["subject"] == "{{account_name}} was handed over to its customer", handed
    assert "\n{{handed_over}}\n\n{{your_access}}\n" in handed["body"], handed
    assert granted["subject"] == "{{account_name}}: a service provider was added", granted
    assert "{{granted_by}} made {{granted_to}} a service provider of {{account_name}}, {{how}}." \
        in granted["body"], granted
    dist = make_account("olivia", "distributor", operator_id)
    own = "{{greeting}}\n\n{{granted_by}} added {{granted_to}}.\n"
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'provider-granted', %s, %s)", int(dist.id), granted["subject"], own)
    edited = "{{greeting}}\n\n{{handed_over}}\n"
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='handed-over-to-customer'", edited)
    try:
        run_migration(env, "083_handover_partner_mails.sql")
        run_migration(env, "083_handover_partner_mails.sql")
        assert defaults(sql)["handed-over-to-customer"]["body"] == edited
        assert defaults(sql)["provider-granted"]["body"] == granted["body"]
        n = sql.value("SELECT COUNT(*) FROM notification_templates WHERE name IN"
                      " ('handed-over-to-customer', 'provider-granted') AND account_id IS NULL")
        assert n == 2, n
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='handed-over-to-customer'", handed["body"])
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='provider-granted'", int(dist.id)) == own


def test_migration_082_changes_only_the_unchanged_default(sql, env, make_account, operator_id):
    """Migration 082 (round-19 walkthrough of seed 004, D2): the shipped
    contact-changed has {{contact_note}}, what being the contact means, a
    line of the new contact's copy only. It changed the default only where
    it was still migration 077's text: a distributor's override with that
    text keeps it, and so does a default row someone edited in the
    database. Run twice more here, as `accountd migrate` could; its other
    half (text property values' sort_key widened to 2,000 bytes) repeats
    harmlessly."""
    row = defaults(sql)["contact-changed"]
    assert row["body"] == CONTACT_082, row
    assert "{{contact_note}}" not in CONTACT_077
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'contact-changed', %s, %s)", int(dist.id), row["subject"], CONTACT_077)
    edited = CONTACT_077.replace("You get this mail", "You receive this mail")
    try:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='contact-changed'", CONTACT_077)
        run_migration(env, "082_contact_note_text_limits.sql")
        assert defaults(sql)["contact-changed"]["body"] == CONTACT_082
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='contact-changed'", edited)
        run_migration(env, "082_contact_note_text_limits.sql")
        assert defaults(sql)["contact-changed"]["body"] == edited
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='contact-changed'", row["body"])
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='contact-changed'", int(dist.id)) == CONTACT_077
    assert defaults(sql)["contact-changed"] == row
    assert sql.value("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                     " DATABASE() AND TABLE_NAME = 'account_property_values'"
                     " AND COLUMN_NAME = 'sort_key'") == "varbinary(2000)"


RELATION_ENDED_039 = (
    "{{greeting}}\n\n{{ended_by}} of {{ended_by_account}} ended the customer relation"
    " {{relation_id}}: {{partner_name}} is no longer the partner (reseller) of {{customer_name}}."
    " Nobody's access to either account changes.\n\nThe partner may ask for a new relation; the"
    " customer's administrators approve or decline it.\n\nYou get this mail as a contact, an"
    " admin or a notification recipient of {{account_name}}.\n")


RELATION_ENDED_085 = RELATION_ENDED_039.replace(
    "Nobody's access to either account changes.", "{{access_note}}")
RELATION_ENDED_094 = RELATION_ENDED_085.replace(
    "The partner may ask for a new relation; the customer's administrators approve or decline it.",
    "{{again_note}}")


def test_migration_094_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 094 (round-21 walkthrough of seed 003, D3): the shipped
    relation-ended no longer offers a new relation itself; {{again_note}}
    does, or says that a closed customer takes none. Only the text of 085
    is replaced: an edited default row and an override keep theirs; the
    file may run again."""
    body = defaults(sql)["relation-ended"]["body"]
    assert body == RELATION_ENDED_094, body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'relation-ended', 'x', %s)", int(dist.id), RELATION_ENDED_085)
    edited = RELATION_ENDED_085.replace("You get this mail", "You receive this mail")
    try:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='relation-ended'", edited)
        run_migration(env, "094_relation_ended_closed_customer.sql")
        assert defaults(sql)["relation-ended"]["body"] == edited
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='relation-ended'", RELATION_ENDED_085)
        run_migration(env, "094_relation_ended_closed_customer.sql")
        run_migration(env, "094_relation_ended_closed_customer.sql")
        assert defaults(sql)["relation-ended"]["body"] == RELATION_ENDED_094
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='relation-ended'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='relation-ended'", int(dist.id)) == RELATION_ENDED_085


def test_migration_085_changes_only_the_shipped_default(sql, env, make_account, operator_id):
    """Migration 085 (round-19 walkthrough of seed 002, D2 follow-up): the
    shipped relation-ended no longer says "Nobody's access to either account
    changes." itself; {{access_note}} says it, or that the customer's people
    can no longer sign in at the reseller's storefront. A distributor's
    override that kept the text of 039 keeps it, and so does a default row
    someone edited in the database; the file may run again and changes
    nothing more."""
    row = defaults(sql)["relation-ended"]
    body = row["body"]
    assert body == RELATION_ENDED_094, body
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'relation-ended', %s, %s)", int(dist.id), row["subject"],
             RELATION_ENDED_039)
    edited = RELATION_ENDED_039.replace("You get this mail", "You receive this mail")
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='relation-ended'", edited)
    try:
        run_migration(env, "085_relation_ended_storefront.sql")
        assert defaults(sql)["relation-ended"]["body"] == edited
        # The text of 039 is what it replaces, and only that.
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='relation-ended'", RELATION_ENDED_039)
        run_migration(env, "085_relation_ended_storefront.sql")
        run_migration(env, "085_relation_ended_storefront.sql")
        assert defaults(sql)["relation-ended"]["body"] == RELATION_ENDED_085
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='relation-ended'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='relation-ended'", int(dist.id)) == RELATION_ENDED_039


def test_migration_088_changes_only_the_shipped_default(sql, env, api, make_tenant, make_account,
                                                        operator_id):
    """Migration 088 (round-20 walkthrough of seed 001, D3): the shipped
    quote-requested no longer sends the seller's people to "the quotes of
    <the customer>", where a partner's admin who is no member of it gets
    403; it says the mail holds the whole request and names the seller's
    quote requests ({{seller_name}}). A distributor's override that kept
    the text of 071 keeps it, and so does a default row someone edited in
    the database. quotes.seller_id is filled for the quotes asked for
    before it (the asking account's parent). The file may run again and
    changes nothing more."""
    row = defaults(sql)["quote-requested"]
    body = row["body"]
    assert body == QUOTE_088, body
    assert "among the quotes of" not in body and QUOTE_088 != QUOTE_071_NEW
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(dist.id))
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'quote-requested', %s, %s)", int(dist.id), row["subject"],
             QUOTE_071_NEW)
    edited = QUOTE_071_NEW.replace("You get this mail", "You receive this mail")
    # A quote asked for before the column: its seller is filled in.
    t = make_tenant("m088")
    cust = make_account(t.admin, "customer", t.account.id)
    q = S.expect(api(t.admin).post(f"/api/v1/accounts/{cust.id}/quotes", json={
        "lines": [{"article": "starter", "quantity": 1}]}), 201)
    sql.rows("UPDATE quotes SET seller_id=NULL WHERE id=%s", int(q["id"]))
    sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
             " AND name='quote-requested'", edited)
    try:
        run_migration(env, "088_quote_requests_to_the_seller.sql")
        assert defaults(sql)["quote-requested"]["body"] == edited
        assert sql.value("SELECT seller_id FROM quotes WHERE id=%s", int(q["id"])) == \
            int(t.account.id)
        # The text of 071 is what it replaces, and only that.
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='quote-requested'", QUOTE_071_NEW)
        run_migration(env, "088_quote_requests_to_the_seller.sql")
        run_migration(env, "088_quote_requests_to_the_seller.sql")
        assert defaults(sql)["quote-requested"]["body"] == body
    finally:
        sql.rows("UPDATE notification_templates SET body=%s WHERE account_id IS NULL"
                 " AND name='quote-requested'", body)
    assert sql.value("SELECT body FROM notification_templates WHERE account_id=%s"
                     " AND name='quote-requested'", int(dist.id)) == QUOTE_071_NEW
    listed = S.expect(api(t.admin).get(f"/api/v1/accounts/{t.account.id}/quote-requests"),
                      200)["items"]
    assert [(i["id"], i["account_id"]) for i in listed] == [(q["id"], cust.id)], listed


def test_migration_106_changes_only_the_shipped_default_subject(sql, env, make_account, operator_id):
    """Migration 106 (round-24 walkthrough of seed 004, D3): the shipped
    added-to-account's subject is {{added_subject}} ("You were added to
    <place>", or "Your roles in <place> changed" for one who held roles
    there). It replaces the subject migration 002 shipped, and only that:
    a default row whose subject someone edited in the database keeps it,
    and so does a distributor's override; the file may run again; the
    body stays as migration 100 left it."""
    row = defaults(sql)["added-to-account"]
    assert row["subject"] == "{{added_subject}}", row
    assert row["body"] == "Hello {{name}},\n\n{{added_line}}\n{{contact_note}}\n{{sign_in_line}}\n", row
    shipped = "You were added to {{account_name}}"
    dist = make_account("olivia", "distributor", operator_id)
    sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
             " VALUES (%s, 'added-to-account', %s, %s)", int(dist.id), shipped, row["body"])
    edited = "Welcome to {{account_name}}"
    sql.rows("UPDATE notification_templates SET subject=%s WHERE account_id IS NULL"
             " AND name='added-to-account'", edited)
    try:
        run_migration(env, "106_added_to_account_subject.sql")
        assert defaults(sql)["added-to-account"]["subject"] == edited
        sql.rows("UPDATE notification_templates SET subject=%s WHERE account_id IS NULL"
                 " AND name='added-to-account'", shipped)
        run_migration(env, "106_added_to_account_subject.sql")
        run_migration(env, "106_added_to_account_subject.sql")
        assert defaults(sql)["added-to-account"] == row
    finally:
        sql.rows("UPDATE notification_templates SET subject=%s WHERE account_id IS NULL"
                 " AND name='added-to-account'", row["subject"])
    assert sql.value("SELECT subject FROM notification_templates WHERE account_id=%s"
                     " AND name='added-to-account'", int(dist.id)) == shipped
