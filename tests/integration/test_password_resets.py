"""Password resets (seed 004: "the two named account holders are the only
users authorized to make any changes on the account or request the reset
of any passwords"): a named contact asks, the person gets a mail at their
own address with a single-use link, and sets the new password there. The
old password works until then; the new one at once, the old one no more."""
import os
import re
import subprocess

import ldap3

import support as S

ACCOUNTS = "/api/v1/accounts"
RESET_LINK = r"https?://[^\s<>\"']+/password-reset/([A-Za-z0-9_\-]+)"


def reset_path(account_id, uid):
    return f"{ACCOUNTS}/{account_id}/members/{S.path_quote(uid)}/password-reset"


def set_password(api, token, password):
    return api(None).post(f"/api/v1/password-resets/{token}", json={"password": password})


def reset_mail(mailbox, sql, person, before):
    rows = [r for r in S.wait_outbox_settled(sql, after_id=before)
            if r["template"] == "password-reset"]
    assert [r["recipient"].lower() for r in rows] == [person.mail.lower()], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"], timeout=15)
    assert len(mails) == 1, rows
    tokens = re.findall(RESET_LINK, mails[0].body)
    assert len(tokens) == 1, mails[0].body
    return mails[0], tokens[0]


def test_a_named_contact_has_a_password_reset_mailed(api, sql, ldap_admin, mailbox, make_tenant,
                                                     make_account, make_person, set_roles):
    t = make_tenant("pwr")
    acc = make_account(t.admin, "customer", t.account.id)
    primary, worker = make_person(prefix="pwp"), make_person(prefix="pww")
    set_roles(t.admin, acc.id, primary, ["admin"])
    set_roles(t.admin, acc.id, worker, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": primary.uid}), 200)
    before = S.outbox_max_id(sql)
    got = S.expect(api(primary).post(reset_path(acc.id, worker.uid)), 202)
    assert got["uid"] == worker.uid and got["status"] == "mailed" and got["expires_at"], got
    mail, token = reset_mail(mailbox, sql, worker, before)
    body = mail.body.replace("\r\n", "\n")
    assert mail.subject == f"Set a new password for {worker.uid}", mail.subject
    assert f"{primary.name}, a named contact of {acc.name}, asked for a new password" in body, body
    assert token not in (mail.subject or "")
    # The token is stored as its hash only.
    assert sql.value("SELECT COUNT(*) AS n FROM password_resets WHERE uid=%s AND"
                     " token_hash = UNHEX(SHA2(%s, 256))", worker.uid, token) == 1
    row = [a for a in sql.audit(acc.id) if a["action"] == "password.reset_request"][-1]
    assert row["uid"] == primary.uid and row["new_value"]["uid"] == worker.uid, row
    # The old password works until the new one is set.
    S.expect(api(worker).get("/api/v1/me"), 200)
    # A bad password: 422, nothing used.
    S.expect_field_errors(set_password(api, token, "short"), "password")
    S.expect_field_errors(set_password(api, token, "         "), "password")
    # Set: the new password at once, the old one no more.
    done = S.expect(set_password(api, token, "brand-new-pass-1"), 200)
    assert done == {"uid": worker.uid, "status": "password set"}, done
    old = S.Api(auth=(worker.uid, S.PASSWORDS[worker.uid]))
    assert S.poll(lambda: old.get("/api/v1/me"), lambda r: r.status_code == 401, 5).status_code == 401
    S.PASSWORDS[worker.uid] = "brand-new-pass-1"
    S.expect(api(worker).get("/api/v1/me"), 200)
    row = [a for a in sql.audit(acc.id) if a["action"] == "password.reset"][-1]
    assert row["uid"] == worker.uid, row
    # The link works once.
    S.expect_problem(set_password(api, token, "another-pass-2"), 410, "reset-used")
    S.expect_problem(set_password(api, "A" * 43, "another-pass-2"), 404, "not-found")
    S.expect_problem(set_password(api, "nope", "another-pass-2"), 404, "not-found")


def test_asking_again_replaces_the_link(api, sql, mailbox, make_tenant, make_account, make_person,
                                        set_roles):
    t = make_tenant("pwr2")
    acc = make_account(t.admin, "customer", t.account.id)
    worker = make_person(prefix="pww2")
    set_roles(t.admin, acc.id, worker, ["billing"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical",
                              json={"uid": t.admin.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    _, first = reset_mail(mailbox, sql, worker, before)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    _, second = reset_mail(mailbox, sql, worker, before)
    assert first != second
    # The replaced link says so (410; round-10 walkthrough of seed 004,
    # D1: it was 404); a token that never was a link stays 404.
    S.expect_problem(set_password(api, first, "brand-new-pass-1"), 410, "reset-replaced")
    S.expect_problem(set_password(api, "B" * 43, "brand-new-pass-1"), 404, "not-found")
    S.expect(set_password(api, second, "brand-new-pass-1"), 200)
    S.PASSWORDS[worker.uid] = "brand-new-pass-1"
    # An expired link: 410.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    _, third = reset_mail(mailbox, sql, worker, before)
    sql.rows("UPDATE password_resets SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND"
             " WHERE token_hash = UNHEX(SHA2(%s, 256))", third)
    S.expect_problem(set_password(api, third, "brand-new-pass-2"), 410, "reset-expired")


RENEWAL_NOTE = ("This link replaces the one sent to you before: the link in that earlier mail no"
                " longer works.")


def test_a_reset_that_replaces_a_pending_one_says_the_earlier_link_is_dead(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-17 walkthrough of seed 004, D4: asking again for the same
    person mailed a second link that looked like the first and did not say
    that the first one no longer works (410 reset-replaced). A reset that
    replaces a pending one of the person in that account carries
    {{renewal_note}} (migration 071) on a line of its own, worded as the
    invitations' note; a first reset, and one after the link was used,
    leave the line out. Who may not ask is mailed nothing."""
    t = make_tenant("pwr17")
    acc = make_account(t.admin, "customer", t.account.id)
    worker, member = make_person(prefix="pw17w"), make_person(prefix="pw17m")
    set_roles(t.admin, acc.id, worker, ["member"])
    set_roles(t.admin, acc.id, member, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    asked = (f"Hello {worker.name},\n\n{t.admin.name}, a named contact of {acc.name}, asked for a"
             f" new password for your user {worker.uid}.\n")
    set_it = "\nSet it here (the link works once and expires "
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    mail, first = reset_mail(mailbox, sql, worker, before)
    body = mail.body.replace("\r\n", "\n")
    assert body.startswith(asked + set_it), body
    assert "replaces" not in body, body
    # Again while the first is pending: the note, between the two.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    mail, second = reset_mail(mailbox, sql, worker, before)
    body = mail.body.replace("\r\n", "\n")
    assert body.startswith(asked + RENEWAL_NOTE + "\n" + set_it), body
    assert mail.subject == f"Set a new password for {worker.uid}", mail.subject
    # ... and it says the truth: the first link is dead, the second works.
    S.expect_problem(set_password(api, first, "brand-new-pass-17"), 410, "reset-replaced")
    S.expect(set_password(api, second, "brand-new-pass-17"), 200)
    S.PASSWORDS[worker.uid] = "brand-new-pass-17"
    # Nothing pending any more: no note.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    mail, _ = reset_mail(mailbox, sql, worker, before)
    body = mail.body.replace("\r\n", "\n")
    assert body.startswith(asked + set_it) and "replaces" not in body, body
    # Who may not ask: a member (403, the router's, sending them to the
    # named contacts: the route table's own text), another tenant (404);
    # no mail, and the pending link stays the one just sent.
    other = make_tenant("pwr17o")
    before = S.outbox_max_id(sql)
    p = S.expect_problem(api(member).post(reset_path(acc.id, worker.uid)), 403, "forbidden")
    assert p["detail"] == MEMBER_REFUSAL, p
    S.expect_problem(api(other.admin).post(reset_path(acc.id, worker.uid)), 404, "not-found")
    assert [r for r in S.outbox_rows(sql, after_id=before) if r["template"] == "password-reset"] == []


# The router's 403 on the reset route to a person of the account who is no
# admin (round-18 walkthrough of seed 004, D2: a member read "it needs
# admin; ask an administrator of the account", and the administrator who
# was asked, no named contact, got 403 in turn).
MEMBER_REFUSAL = ("your role in this account does not allow this: only the account's named"
                  " contacts (primary and technical) request password resets; ask one of them")
ADMIN_REFUSAL = "only the account's named contacts (primary and technical) request password resets"


def test_only_named_contacts_ask_and_only_for_their_accounts_people(api, sql, make_tenant,
                                                                    make_account, make_person,
                                                                    set_roles):
    """Seed 004: additional users may not "reset the password of any linked
    cloud services"; an admin who is no named contact may not either; the
    operator's staff may. Nobody is mailed by a refusal."""
    t = make_tenant("pwr3")
    acc = make_account(t.admin, "customer", t.account.id)
    contact, admin, billing, member, sp = (make_person(prefix=p)
                                           for p in ("pc", "pa", "pb", "pm", "pp"))
    set_roles(t.admin, acc.id, contact, ["admin"])
    set_roles(t.admin, acc.id, admin, ["admin"])
    set_roles(t.admin, acc.id, billing, ["billing"])
    set_roles(t.admin, acc.id, member, ["member"])
    set_roles(t.admin, acc.id, sp, ["service-provider"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": contact.uid}), 200)
    stranger = make_person(prefix="ps")
    other = make_tenant("pwr3o")
    before = S.outbox_max_id(sql)
    path = reset_path(acc.id, member.uid)
    p = S.expect_problem(api(admin).post(path), 403, "forbidden")
    # (whom to ask, by name: round-25 walkthrough of seed 004, D3)
    assert p["detail"] == (f"{ADMIN_REFUSAL}; ask one of them ({contact.name}), or name yourself"
                           " a contact: any administrator of the account can, with PUT"
                           f" /api/v1/accounts/{acc.id}/contacts/primary or /technical"), p
    # Those who are no admin are sent to the named contacts, not to "an
    # administrator" (D2): the route table's text, the same for each role.
    for who in (billing, member, sp):
        p = S.expect_problem(api(who).post(path), 403, "forbidden")
        assert p["detail"] == MEMBER_REFUSAL, p
    S.expect_problem(api(other.admin).post(path), 404)
    S.expect_problem(api(None).post(path), 401)
    # The person must hold a role in the account; unknown uids alike.
    S.expect_problem(api(contact).post(reset_path(acc.id, stranger.uid)), 404, "not-found")
    S.expect_problem(api(contact).post(reset_path(acc.id, "no-such-person")), 404, "not-found")
    S.expect_problem(api(contact).post(reset_path(acc.id, other.admin.uid)), 404, "not-found")
    assert [r for r in S.outbox_rows(sql, after_id=before) if r["template"] == "password-reset"] == []
    # A body is refused; the operator and the contact are let in.
    S.expect_field_errors(api(contact).post(path, json={"password": "x"}), "password")
    S.expect(api("olivia").post(path), 202)
    S.expect(api(contact).post(path), 202)


def test_the_mails_link_opens_a_page_that_sets_the_password(api, sql, mailbox, make_tenant,
                                                            make_account, make_person, set_roles):
    """The dev and test stacks' password page (nginx/password-reset-page.conf.in,
    tests/nginx-static/password-reset/) in a real browser (headless
    Chromium): the mail's link opens a form that posts the new password as
    an HTML form with return_to and error_to, as a site's front end would."""
    from browser import Browser
    t = make_tenant("pwpage")
    acc = make_account(t.admin, "customer", t.account.id)
    worker = make_person(prefix="pwpg")
    set_roles(t.admin, acc.id, worker, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    mail, token = reset_mail(mailbox, sql, worker, before)
    url = re.search(r"https?://\S+/password-reset/\S+", mail.body).group(0)
    assert url.startswith(S.URL + "/password-reset/"), url
    browser = Browser()
    try:
        browser.goto(url)
        assert browser.status() == 200
        assert "Set a new password" in browser.text()
        # Too short: back on the page, told why; nothing set.
        browser.fill("#password", "short")
        browser.submit("#reset")
        assert browser.url().startswith(url), browser.url()
        assert "8 to 128" in browser.text(), browser.text()
        assert sql.value("SELECT status FROM password_resets WHERE token_hash ="
                         " UNHEX(SHA2(%s, 256))", token) == "pending"
        browser.fill("#password", "page-new-pass-1")
        browser.submit("#reset")
        assert browser.url().startswith(S.URL + "/password-set"), browser.url()
        assert f"The new password of {worker.uid} is set" in browser.text(), browser.text()
        # The link is used up: the page says so.
        browser.goto(url)
        browser.fill("#password", "page-new-pass-2")
        browser.submit("#reset")
        assert browser.url().startswith(url) and "used already" in browser.text(), browser.text()
    finally:
        browser.close()
    S.PASSWORDS[worker.uid] = "page-new-pass-1"
    S.expect(api(worker).get("/api/v1/me"), 200)


def configured_mail_budget(env):
    """mail_budget of the test stack's accountd.conf, else the default
    (docs/config.md)."""
    with open(env["ACCOUNTD_CONF"]) as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == "mail_budget":
                return int(value.strip())
    return 100


def test_password_resets_use_up_the_mail_budget(api, sql, env, make_tenant, make_account,
                                                 make_person, set_roles):
    """A colleague's find: the budget checked a password reset before it
    queued the mail, but its count left password-reset mails out, so resets
    never used the budget up, while docs/api.md says the mail "counts
    against the mail budget like an invitation". After N resets (N the
    stack's mail_budget) the next mail-sending action is 429, whichever it
    is, and changes nothing."""
    budget = configured_mail_budget(env)
    assert budget > 0, "the test stack's mail budget is off"
    t = make_tenant("pwb")
    acc = make_account(t.admin, "customer", t.account.id)
    primary, worker = make_person(prefix="pwbp"), make_person(prefix="pwbw")
    set_roles(t.admin, acc.id, primary, ["admin"])
    set_roles(t.admin, acc.id, worker, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": primary.uid}), 200)
    # The setup's own mails (added-to-account, contact-changed) leave the
    # window: the account starts with its whole budget.
    sql.rows("UPDATE mail_outbox SET created_at = created_at - INTERVAL 2 DAY WHERE account_id=%s",
             int(acc.id))
    contact = api(primary)
    for i in range(budget):
        r = contact.post(reset_path(acc.id, worker.uid))
        assert r.status_code == 202, (i, S.describe(r))
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE account_id=%s AND"
                     " template='password-reset' AND created_at > NOW() - INTERVAL 1 HOUR",
                     int(acc.id)) == budget
    before = S.outbox_max_id(sql)
    resets = sql.value("SELECT COUNT(*) FROM password_resets WHERE uid=%s", worker.uid)
    # One more reset: refused, nothing written.
    r = contact.post(reset_path(acc.id, worker.uid))
    S.expect_problem(r, 429, "mail-budget-exceeded")
    retry = r.headers.get("Retry-After", "")
    assert retry.isdigit() and 0 < int(retry) <= 3600, S.describe(r)
    assert sql.value("SELECT COUNT(*) FROM password_resets WHERE uid=%s", worker.uid) == resets
    # An invitation is a mail of the same budget: refused too.
    email = S.unique_mail("pwb-over-")
    S.expect_problem(contact.post(f"{ACCOUNTS}/{acc.id}/invitations",
                                  json={"email": email, "role": "member"}),
                     429, "mail-budget-exceeded")
    assert sql.rows("SELECT id FROM invitations WHERE email=%s", email) == []
    assert S.outbox_max_id(sql) == before


def test_the_mail_names_who_asked_in_their_capacity(api, sql, mailbox, make_tenant, make_account,
                                                   make_person, set_roles, operator_id):
    """Round-13 walkthrough of seed 004, D2: operator staff may ask for a
    reset, but the mail called them "a named contact of <account>". It
    names them as operator staff; a named contact reads as before, also
    one who is operator staff too (they asked as the account's contact)."""
    t = make_tenant("pwr13")
    acc = make_account(t.admin, "customer", t.account.id)
    worker = make_person(prefix="pw13")
    set_roles(t.admin, acc.id, worker, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    operator = sql.value("SELECT name FROM accounts WHERE id=%s", int(operator_id))
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").post(reset_path(acc.id, worker.uid)), 202)
    mail, _ = reset_mail(mailbox, sql, worker, before)
    body = mail.body.replace("\r\n", "\n")
    assert (f"{olivia}, operator staff of {operator}, asked for a new password for your user"
            f" {worker.uid}.") in body, body
    assert "named contact" not in body, body
    # The contact, as before.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, worker.uid)), 202)
    mail, _ = reset_mail(mailbox, sql, worker, before)
    assert (f"{t.admin.name}, a named contact of {acc.name}, asked for a new password for your"
            f" user {worker.uid}.") in mail.body.replace("\r\n", "\n"), mail.body
    # Operator staff who are its named contact ask as its contact.
    own = make_account("olivia", "customer", t.account.id)  # olivia is its admin
    set_roles("olivia", own.id, worker, ["member"])
    S.expect(api("olivia").put(f"{ACCOUNTS}/{own.id}/contacts/technical",
                               json={"uid": "olivia"}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").post(reset_path(own.id, worker.uid)), 202)
    mail, _ = reset_mail(mailbox, sql, worker, before)
    assert f"{olivia}, a named contact of {own.name}, asked" in mail.body.replace("\r\n", "\n"), \
        mail.body


def test_migration_047_takes_the_capacity_out_of_the_template(api, sql, env, make_account,
                                                             operator_id):
    """Migration 047: the shipped password-reset text and an override that
    kept its sentence lose the words "a named contact of {{account_name}}"
    ({{requested_by}} carries the capacity now); an override worded
    otherwise is left alone. Run once more here, as `accountd migrate` runs
    it (the file may run again)."""
    kept, own = (make_account("olivia", "distributor", operator_id) for _ in range(2))
    old = ("Hello {{name}},\n\n{{requested_by}}, a named contact of {{account_name}}, asked for a"
           " new password for your user {{uid}}.\n\nHere: {{link}}\n")
    mine = "{{requested_by}} wants {{uid}} to choose a new password: {{link}}\n"
    for acc, body in ((kept, old), (own, mine)):
        sql.rows("DELETE FROM notification_templates WHERE account_id=%s", int(acc.id))
        sql.rows("INSERT INTO notification_templates (account_id, name, subject, body)"
                 " VALUES (%s, 'password-reset', 'New password', %s)", int(acc.id), body)
    path = os.path.join(env.get("ACCOUNTD_SRC") or os.getcwd(), "sql",
                        "047_password_reset_asker.sql")
    with open(path) as f:
        p = subprocess.run(["mariadb", "--no-defaults", "-S", env["SQL_SOCKET"], "-u", "root",
                            env["SQL_DATABASE"]], stdin=f, capture_output=True, text=True,
                           timeout=120)
    assert p.returncode == 0, f"migration 047: rc={p.returncode}: {p.stdout} {p.stderr}"

    def body_of(account_id):
        return sql.value("SELECT body FROM notification_templates WHERE name='password-reset' AND"
                         " account_id <=> %s", account_id)

    assert body_of(int(kept.id)) == ("Hello {{name}},\n\n{{requested_by}}, asked for a new password"
                                     " for your user {{uid}}.\n\nHere: {{link}}\n")
    assert body_of(int(own.id)) == mine
    default = body_of(None)
    assert "{{requested_by}}, asked for a new password for your user {{uid}}." in default, default
    assert "named contact" not in default, default


def set_password_body(api, token, body):
    return api(None).post(f"/api/v1/password-resets/{token}", json=body)


def set_password_form(api, token, password, error_to):
    """The example page's form: error_to is the page itself."""
    fields = [("error_to", error_to)]
    if password is not None:
        fields.insert(0, ("password", password))
    return api(None).form("POST", f"/api/v1/password-resets/{token}", fields)


def error_query(r):
    from urllib.parse import parse_qsl, urlsplit
    assert r.status_code == 303, S.describe(r)
    return dict(parse_qsl(urlsplit(r.headers["Location"]).query))


# The bodies a dead link answers 410 to whatever they hold: a short
# password, none, an unknown field next to a good one (the tester's
# requests).
BAD_BODIES = ({"password": "short"}, {}, {"password": "abcdefghij", "extra": 1})


def test_a_dead_link_is_410_whatever_the_body(api, sql, ldap_admin, mailbox, make_tenant,
                                              make_account, make_person, set_roles):
    """Round-20 walkthrough of seed 004, D1: a replaced (or used) reset
    link answered 422 "must be 8 to 128 characters" to a short or missing
    password, and only a well-formed body learnt that the link was dead.
    The token is looked at first, as for an invitation's accept: a
    replaced, used, expired link, or one whose person is gone, is 410
    whatever the body (JSON or the example page's form with error_to); an
    unknown one 404; only a live link's body gets 422, and it stays good."""
    t = make_tenant("pwr20")
    acc = make_account(t.admin, "customer", t.account.id)
    dora, gone = make_person(prefix="pw20d"), make_person(prefix="pw20g")
    set_roles(t.admin, acc.id, dora, ["member"])
    set_roles(t.admin, acc.id, gone, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical",
                              json={"uid": t.admin.uid}), 200)
    page = S.URL + "/password-reset/{}"

    def dead(token, slug):
        for body in BAD_BODIES:
            S.expect_problem(set_password_body(api, token, body), 410, slug)
        for password in ("short", None):
            q = error_query(set_password_form(api, token, password, page.format(token)))
            assert q["error"] == slug and q["status"] == "410", q
            assert not any(k.startswith("errors[") for k in q), q

    # Asked twice: T1 replaced by T2.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, dora.uid)), 202)
    _, t1 = reset_mail(mailbox, sql, dora, before)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, dora.uid)), 202)
    _, t2 = reset_mail(mailbox, sql, dora, before)
    dead(t1, "reset-replaced")
    # A live link: the body is checked (422, errors[password] at
    # error_to), and the link stays good.
    for body in BAD_BODIES:
        r = set_password_body(api, t2, body)
        S.expect_field_errors(r, "extra" if "extra" in body else "password")
    q = error_query(set_password_form(api, t2, "short", page.format(t2)))
    assert q["error"] == "validation" and q["status"] == "422" and "errors[password]" in q, q
    S.expect(set_password(api, t2, "pw20-new-pass-1"), 200)
    S.PASSWORDS[dora.uid] = "pw20-new-pass-1"
    dead(t2, "reset-used")
    # Expired.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, dora.uid)), 202)
    _, t3 = reset_mail(mailbox, sql, dora, before)
    sql.rows("UPDATE password_resets SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND"
             " WHERE token_hash = UNHEX(SHA2(%s, 256))", t3)
    dead(t3, "reset-expired")
    # Revoked: an LDAP administrator deleted the person.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, gone.uid)), 202)
    _, t4 = reset_mail(mailbox, sql, gone, before)
    assert ldap_admin.delete(gone.dn), ldap_admin.result
    # (the directory cache learns of it within moments)
    r = S.poll(lambda: set_password(api, t4, "short"), lambda r: r.status_code == 410, 5)
    S.expect_problem(r, 410, "reset-revoked")
    dead(t4, "reset-revoked")
    # Unknown: 404, whatever the body.
    for body in BAD_BODIES:
        S.expect_problem(set_password_body(api, "C" * 43, body), 404, "not-found")
    # Signing in changes nothing (the token is the proof): another
    # tenant's admin, and the person who asked, get the same 410.
    other = make_tenant("pwr20o")
    for who in (other.admin, t.admin):
        S.expect_problem(api(who).post(f"/api/v1/password-resets/{t1}", json={"password": "x"}),
                         410, "reset-replaced")
    # Nothing was told by any of it: the notices are the one set's.
    told = [(r["template"], r["recipient"].lower()) for r in S.outbox_rows(sql, account_id=acc.id)
            if r["template"] in ("password-changed", "password-reset-used")]
    assert told == [("password-changed", dora.mail.lower()),
                    ("password-reset-used", t.admin.mail.lower())], told


def reset_times(sql, token):
    """requested_at and set_at of a reset as the notices say them."""
    row = sql.row("SELECT DATE_FORMAT(created_at, '%%Y-%%m-%%dT%%H:%%i:%%sZ') AS asked,"
                  " DATE_FORMAT(used_at, '%%Y-%%m-%%dT%%H:%%i:%%sZ') AS used"
                  " FROM password_resets WHERE token_hash = UNHEX(SHA2(%s, 256))", token)
    return row["asked"], row["used"]


NOTICES = ("password-changed", "password-reset-used")


def notices(sql, before):
    """The notices queued after before, settled: [(template, recipient, body)]."""
    rows = [r for r in S.wait_outbox_settled(sql, after_id=before) if r["template"] in NOTICES]
    return [(r["template"], r["recipient"].lower(), r["body"]) for r in S.with_bodies(rows)]


def changed_text(person, asked_by, asker_name, acc_name, asked, used, whom=None):
    """password-changed as migration 093 words it: whom defaults to who
    asked and the account's named contacts; asked_by None is the person's
    own request."""
    which = ("the reset link you asked for" if asked_by is None
             else f"the reset link that {asked_by} asked for")
    whom = whom or f"{asker_name} or a named contact of {acc_name}"
    return (f"Hello {person.name},\n\nThe password of your user {person.uid} was set at {used} with"
            f" {which} on {asked}. From now on only the new password works.\n\nIf this was not"
            f" you, someone else used the link mailed to you: ask {whom} at once for a new reset"
            " link.\n")


def used_text(reader_name, person, acc_name, asked, used):
    return (f"Hello {reader_name},\n\nThe password reset you asked for {person.name}"
            f" ({person.uid}) in {acc_name} on {asked} was used: a new password was set at"
            f" {used}.\n")


def test_a_used_link_is_told_to_the_person_and_to_who_asked(api, sql, env, mailbox, make_tenant,
                                                            make_account, make_person, set_roles,
                                                            operator_id):
    """Round-20 walkthrough of seed 004, D2: once a reset link was used
    nobody was told, not the person (whose password someone with a
    forwarded mail or a link scanner may have set) nor the contact who
    asked. Now the person gets password-changed at their own address (when,
    with whose link, whom to ask if it was not them), and who asked gets
    password-reset-used, one line: a named contact, operator staff (named
    as such), not the person themselves when they asked for their own, and
    not someone who has left the account since. A 422 or a 410 tells
    nobody. Both are outside the mail budget: a spent budget does not stop
    them (migration 090)."""
    t = make_tenant("pwr20n")
    acc = make_account(t.admin, "customer", t.account.id)
    ben, carl, dora = (make_person(prefix=p) for p in ("pw20b", "pw20c", "pw20w"))
    set_roles(t.admin, acc.id, ben, ["admin"])
    set_roles(t.admin, acc.id, carl, ["admin"])
    set_roles(t.admin, acc.id, dora, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary", json={"uid": ben.uid}), 200)
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/technical",
                              json={"uid": carl.uid}), 200)

    # The tester's request: Ben asks for Carl; Carl sets it.
    before = S.outbox_max_id(sql)
    S.expect(api(ben).post(reset_path(acc.id, carl.uid)), 202)
    _, token = reset_mail(mailbox, sql, carl, before)
    before = S.outbox_max_id(sql)
    S.expect_field_errors(set_password(api, token, "short"), "password")
    S.expect(set_password(api, token, "pw20-carl-67890"), 200)
    S.PASSWORDS[carl.uid] = "pw20-carl-67890"
    asked, used = reset_times(sql, token)
    got = notices(sql, before)
    assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", carl.mail.lower()),
                                                  ("password-reset-used", ben.mail.lower())], got
    assert got[0][2] == changed_text(carl, f"{ben.name} (a named contact of {acc.name})", ben.name,
                                     acc.name, asked, used), got[0][2]
    assert got[1][2] == used_text(ben.name, carl, acc.name, asked, used), got[1][2]
    subjects = {r["template"]: r["subject"] for r in S.outbox_rows(sql, after_id=before)
                if r["template"] in NOTICES}
    assert subjects == {"password-changed": f"The password of {carl.uid} was set",
                        "password-reset-used":
                            f"{acc.name}: the password reset for {carl.uid} was used"}, subjects
    # A used link again: 410, nobody told.
    before = S.outbox_max_id(sql)
    S.expect_problem(set_password(api, token, "pw20-carl-other"), 410, "reset-used")
    assert notices(sql, before) == []

    # Operator staff asked: named as such; told as who asked.
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)
    operator = sql.value("SELECT name FROM accounts WHERE id=%s", int(operator_id))
    before = S.outbox_max_id(sql)
    S.expect(api("olivia").post(reset_path(acc.id, dora.uid)), 202)
    _, token = reset_mail(mailbox, sql, dora, before)
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, token, "pw20-dora-1"), 200)
    S.PASSWORDS[dora.uid] = "pw20-dora-1"
    asked, used = reset_times(sql, token)
    got = notices(sql, before)
    assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", dora.mail.lower()),
                                                  ("password-reset-used",
                                                   olivia["mail"].lower())], got
    assert got[0][2] == changed_text(dora, f"{olivia['name']} (operator staff of {operator})",
                                     olivia["name"], acc.name, asked, used), got[0][2]
    assert "named contact of" not in got[0][2].split("\n\n")[1], got[0][2]

    # A contact who asked for their own password: one mail, theirs.
    before = S.outbox_max_id(sql)
    S.expect(api(ben).post(reset_path(acc.id, ben.uid)), 202)
    _, token = reset_mail(mailbox, sql, ben, before)
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, token, "pw20-ben-1"), 200)
    S.PASSWORDS[ben.uid] = "pw20-ben-1"
    assert [(tpl, to) for tpl, to, _ in notices(sql, before)] == [
        ("password-changed", ben.mail.lower())]

    # Who asked and has left the account since: named in the person's
    # mail, not told themselves.
    before = S.outbox_max_id(sql)
    S.expect(api(carl).post(reset_path(acc.id, dora.uid)), 202)
    _, token = reset_mail(mailbox, sql, dora, before)
    S.expect(api(ben).put(f"{ACCOUNTS}/{acc.id}/contacts/technical", json={"uid": ben.uid}), 200)
    S.expect(api(ben).delete(f"{ACCOUNTS}/{acc.id}/members/{carl.uid}"), 204)
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, token, "pw20-dora-2"), 200)
    S.PASSWORDS[dora.uid] = "pw20-dora-2"
    asked, used = reset_times(sql, token)
    got = notices(sql, before)
    assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", dora.mail.lower())], got
    # (round-21 walkthrough of seed 004, D2: the notice sends Dora to the
    # account's named contacts now, not to Carl, who left)
    assert got[0][2] == changed_text(dora, f"{carl.name} (a named contact of {acc.name})",
                                     carl.name, acc.name, asked, used,
                                     whom=f"a named contact of {acc.name} ({ben.name})"), got[0][2]

    # A spent mail budget: the reset request is 429, the notices of a link
    # asked for before still go out.
    budget = configured_mail_budget(env)
    before = S.outbox_max_id(sql)
    S.expect(api(ben).post(reset_path(acc.id, dora.uid)), 202)
    _, token = reset_mail(mailbox, sql, dora, before)
    for _ in range(budget):  # counted mails of the window (dead: never sent)
        sql.rows("INSERT INTO mail_outbox (account_id, template, category, recipient, subject,"
                 " body, status) VALUES (%s, 'invitation', 'transactional',"
                 " 'nobody@example.test', 'x', '', 'dead')", int(acc.id))
    S.expect_problem(api(ben).post(reset_path(acc.id, dora.uid)), 429, "mail-budget-exceeded")
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, token, "pw20-dora-3"), 200)
    S.PASSWORDS[dora.uid] = "pw20-dora-3"
    assert [(tpl, to) for tpl, to, _ in notices(sql, before)] == [
        ("password-changed", dora.mail.lower()), ("password-reset-used", ben.mail.lower())]
    # The new passwords work.
    for who in (carl, dora, ben):
        S.expect(api(who).get("/api/v1/me"), 200)

    # Who may not ask (nobody is told anything): an admin who is no named
    # contact, a member, another tenant.
    other = make_tenant("pwr20no")
    before = S.outbox_max_id(sql)
    S.expect_problem(api(t.admin).post(reset_path(acc.id, dora.uid)), 403, "forbidden")
    S.expect_problem(api(dora).post(reset_path(acc.id, ben.uid)), 403, "forbidden")
    S.expect_problem(api(other.admin).post(reset_path(acc.id, dora.uid)), 404)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


def revoked(r, words):
    body = S.expect_problem(r, 410, "reset-revoked")
    assert words in body["detail"], body
    return body


def test_a_link_dies_when_the_directory_changes_the_mail_or_the_password(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-21 walkthrough of seed 004, D1: a reset link mailed to an
    address the directory no longer has still set the password (after an
    LDAP administrator replaced or deleted the person's mail), and so did
    one whose password an LDAP administrator had set with ldappasswd since.
    A link holds only for the address it was mailed to (case ignored) and
    the password it would replace (migration 093): otherwise 410
    reset-revoked whatever the body, nothing set, nobody told."""
    t = make_tenant("pwr21")
    acc = make_account(t.admin, "customer", t.account.id)
    carl, dora = make_person(prefix="pw21c"), make_person(prefix="pw21d")
    set_roles(t.admin, acc.id, carl, ["member"])
    set_roles(t.admin, acc.id, dora, ["member"])
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    first = S.outbox_max_id(sql)

    def change_mail(person, mail):
        change = [(ldap3.MODIFY_REPLACE, [mail])] if mail else [(ldap3.MODIFY_DELETE, [])]
        assert ldap_admin.modify(person.dn, {"mail": change}), ldap_admin.result
        S.poll(lambda: api(person).get("/api/v1/me"),
               lambda r: r.status_code == 200 and r.json().get("mail") == mail, 5)

    # The address replaced: the link mailed to the old one is dead.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, carl.uid)), 202)
    _, t1 = reset_mail(mailbox, sql, carl, before)
    assert sql.value("SELECT mailed_to FROM password_resets WHERE token_hash ="
                     " UNHEX(SHA2(%s, 256))", t1) == carl.mail
    new_mail = S.unique("pw21-neu-") + "@example.org"
    change_mail(carl, new_mail)
    for body in BAD_BODIES + ({"password": "pw21-carl-good-1"},):
        revoked(set_password_body(api, t1, body), "mailed to an address that is no longer yours")
    S.expect(api(carl).get("/api/v1/me"), 200)  # the old password still works
    # A link mailed to the new address holds when only its case changes.
    carl.mail = new_mail
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, carl.uid)), 202)
    _, t2 = reset_mail(mailbox, sql, carl, before)
    change_mail(carl, new_mail.upper())
    S.expect(set_password(api, t2, "pw21-carl-good-2"), 200)
    S.PASSWORDS[carl.uid] = "pw21-carl-good-2"
    S.expect(api(carl).get("/api/v1/me"), 200)

    # The address deleted: dead (a new request is 409 for want of one).
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, carl.uid)), 202)
    _, t3 = reset_mail(mailbox, sql, carl, before)
    change_mail(carl, None)
    revoked(set_password(api, t3, "pw21-carl-good-3"), "no longer yours")
    S.expect(api(carl).get("/api/v1/me"), 200)

    # The password set by an LDAP administrator (ldappasswd's extended
    # operation): the pending link is dead, the administrator's password
    # stays. The form with error_to says so too.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, dora.uid)), 202)
    _, t4 = reset_mail(mailbox, sql, dora, before)
    assert ldap_admin.extend.standard.modify_password(dora.dn, new_password="pw21-dora-ldap"), \
        ldap_admin.result
    S.PASSWORDS[dora.uid] = "pw21-dora-ldap"
    revoked(set_password(api, t4, "pw21-dora-good-1"), "your password was changed since")
    page = S.URL + "/password-reset/{}"
    q = error_query(set_password_form(api, t4, "pw21-dora-good-1", page.format(t4)))
    assert q["error"] == "reset-revoked" and q["status"] == "410", q
    S.expect(api(dora).get("/api/v1/me"), 200)
    # Signing in changes nothing: another tenant's admin gets the same 410.
    other = make_tenant("pwr21o")
    revoked(api(other.admin).post(f"/api/v1/password-resets/{t4}",
                                  json={"password": "pw21-dora-good-2"}), "password was changed")
    # A link asked for after it holds.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, dora.uid)), 202)
    _, t5 = reset_mail(mailbox, sql, dora, before)
    S.expect(set_password(api, t5, "pw21-dora-good-3"), 200)
    S.PASSWORDS[dora.uid] = "pw21-dora-good-3"
    S.expect(api(dora).get("/api/v1/me"), 200)
    # Only the two links that held were told.
    told = [(r["template"], r["recipient"].lower())
            for r in S.outbox_rows(sql, account_id=acc.id, after_id=first)
            if r["template"] in NOTICES]
    assert told == [("password-changed", new_mail.lower()),
                    ("password-reset-used", t.admin.mail.lower()),
                    ("password-changed", dora.mail.lower()),
                    ("password-reset-used", t.admin.mail.lower())], told


def test_a_link_dies_with_the_role_and_its_notice_names_who_can_help(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-21 walkthrough of seed 004, D2 and D3. A link whose person
    was removed from the account since is 410 reset-revoked ("you no
    longer hold a role in <account>"). When who asked is no named contact
    any more, the link still works, but the notice sends the person to the
    account's named contacts now, by name, not to the former asker; with
    no contact but the person, to "an administrator of <account>". A
    contact's own reset reads "the reset link you asked for" and never
    tells them to ask themselves."""
    t = make_tenant("pwr21r")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, carl, dora, erik = (make_person(prefix=p)
                                   for p in ("pw21a", "pw21b", "pw21c", "pw21d", "pw21e"))
    for p in (anna, ben, carl):
        set_roles(t.admin, acc.id, p, ["admin"])
    for p in (dora, erik):
        set_roles(t.admin, acc.id, p, ["member"])
    contacts = f"{ACCOUNTS}/{acc.id}/contacts"
    S.expect(api(t.admin).put(f"{contacts}/primary", json={"uid": anna.uid}), 200)
    S.expect(api(t.admin).put(f"{contacts}/technical", json={"uid": carl.uid}), 200)

    # (a) Erik removed: his link is dead.
    before = S.outbox_max_id(sql)
    S.expect(api(anna).post(reset_path(acc.id, erik.uid)), 202)
    _, token = reset_mail(mailbox, sql, erik, before)
    S.expect(api(anna).delete(f"{ACCOUNTS}/{acc.id}/members/{erik.uid}"), 204)
    for body in BAD_BODIES:
        revoked(set_password_body(api, token, body), f"you no longer hold a role in {acc.name}")
    before = S.outbox_max_id(sql)
    revoked(set_password(api, token, "pw21-erik-good-1"), "no longer hold a role")
    assert notices(sql, before) == []
    S.expect(api(erik).get("/api/v1/me"), 200)  # his password is unchanged

    # (b) Anna asked for Dora, then handed primary to Ben and left: the
    # link works; the notice names Ben and Carl, not Anna.
    before = S.outbox_max_id(sql)
    S.expect(api(anna).post(reset_path(acc.id, dora.uid)), 202)
    _, token = reset_mail(mailbox, sql, dora, before)
    S.expect(api(anna).put(f"{contacts}/primary", json={"uid": ben.uid}), 200)
    S.expect(api(anna).delete(f"{ACCOUNTS}/{acc.id}/members/{anna.uid}"), 204)
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, token, "pw21-dora-good-1"), 200)
    S.PASSWORDS[dora.uid] = "pw21-dora-good-1"
    asked, used = reset_times(sql, token)
    got = notices(sql, before)
    assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", dora.mail.lower())], got
    assert got[0][2] == changed_text(
        dora, f"{anna.name} (a named contact of {acc.name})", anna.name, acc.name, asked, used,
        whom=f"a named contact of {acc.name} ({ben.name}, {carl.name})"), got[0][2]

    # Carl asked for Dora, then lost the technical contact (he stays
    # admin): only Ben is named.
    before = S.outbox_max_id(sql)
    S.expect(api(carl).post(reset_path(acc.id, dora.uid)), 202)
    _, token = reset_mail(mailbox, sql, dora, before)
    S.expect(api(ben).put(f"{contacts}/technical", json={"uid": ben.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, token, "pw21-dora-good-2"), 200)
    S.PASSWORDS[dora.uid] = "pw21-dora-good-2"
    asked, used = reset_times(sql, token)
    got = notices(sql, before)
    # (Carl, still an admin, is told it was used.)
    assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", dora.mail.lower()),
                                                  ("password-reset-used", carl.mail.lower())], got
    assert got[0][2] == changed_text(
        dora, f"{carl.name} (a named contact of {acc.name})", carl.name, acc.name, asked, used,
        whom=f"a named contact of {acc.name} ({ben.name})"), got[0][2]

    # D3: Ben, both contacts, asks for his own: "you asked for", and with
    # no other contact, an administrator; with Carl technical again,
    # Carl by name.
    for technical, whom in ((ben, f"an administrator of {acc.name}"),
                            (carl, f"a named contact of {acc.name} ({carl.name})")):
        S.expect(api(ben).put(f"{contacts}/technical", json={"uid": technical.uid}), 200)
        before = S.outbox_max_id(sql)
        S.expect(api(ben).post(reset_path(acc.id, ben.uid)), 202)
        _, token = reset_mail(mailbox, sql, ben, before)
        before = S.outbox_max_id(sql)
        password = f"pw21-ben-{technical.uid}"
        S.expect(set_password(api, token, password), 200)
        S.PASSWORDS[ben.uid] = password
        asked, used = reset_times(sql, token)
        got = notices(sql, before)
        assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", ben.mail.lower())], got
        assert got[0][2] == changed_text(ben, None, None, acc.name, asked, used,
                                         whom=whom), got[0][2]
        # (his uid only as the user whose password was set; never "ask" him)
        assert got[0][2].count(ben.uid) == 1 and f"ask {ben.name}" not in got[0][2], got[0][2]


def ldap_bind_works(env, person, password):
    """A simple bind of the person with that password, against slapd itself."""
    server = ldap3.Server(env["LDAP_URI"], connect_timeout=5)
    conn = ldap3.Connection(server, user=person.dn, password=password, receive_timeout=10,
                            raise_exceptions=False)
    try:
        return conn.bind()
    finally:
        conn.unbind()


def test_a_link_dies_when_its_account_is_closed(api, sql, env, mailbox, make_tenant,
                                                make_account, make_person, set_roles):
    """Round-22 walkthrough of seed 004, D1: a link asked for in an account
    that was closed afterwards still set the person's directory password
    (the one they use for their other accounts too), and its notice sent
    them to the closed account's contacts, whose new request is 409. The
    link now dies with the account: 410 reset-revoked saying that the
    account was closed and whom to ask, whatever the body, before its
    expiry, for JSON and a form; nothing set, nobody told. A link of
    another account of the same person still works."""
    t = make_tenant("pwr22")
    acc = make_account(t.admin, "customer", t.account.id)
    closing = make_account(t.admin, "customer", t.account.id)
    dora = make_person(prefix="pw22d")
    old_password = dora.password
    for a in (acc, closing):
        set_roles(t.admin, a.id, dora, ["member"])
        S.expect(api(t.admin).put(f"{ACCOUNTS}/{a.id}/contacts/primary",
                                  json={"uid": t.admin.uid}), 200)
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(closing.id, dora.uid)), 202)
    _, token = reset_mail(mailbox, sql, dora, before)
    S.expect(api(t.admin).delete(f"{ACCOUNTS}/{closing.id}"), 204)
    # Asking again there is refused: the contact can no longer help.
    S.expect_problem(api(t.admin).post(reset_path(closing.id, dora.uid)), 409)

    before = S.outbox_max_id(sql)
    words = (f"{closing.name} was closed, so this link no longer works; if you still need a new"
             " password, ask a named contact of an account you still work in")
    for body in BAD_BODIES + ({"password": "pw22-dora-good-1"},):
        assert revoked(set_password_body(api, token, body), words)["detail"] == words
    # Signed in (Dora herself, another tenant's admin): the same 410.
    other = make_tenant("pwr22o")
    for who in (dora, other.admin):
        revoked(api(who).post(f"/api/v1/password-resets/{token}",
                              json={"password": "pw22-dora-good-2"}), words)
    page = S.URL + f"/password-reset/{token}"
    q = error_query(set_password_form(api, token, "pw22-dora-good-3", page))
    assert q["error"] == "reset-revoked" and q["status"] == "410", q
    assert "password" not in q, q
    # Closed before it expired, it says so after its expiry too: asking
    # again "for a new one" there would be 409.
    sql.rows("UPDATE password_resets SET expires_at = CURRENT_TIMESTAMP(6) - INTERVAL 1 SECOND"
             " WHERE token_hash = UNHEX(SHA2(%s, 256))", token)
    revoked(set_password(api, token, "pw22-dora-good-4"), words)
    # Nothing set: the old password still binds in LDAP and signs in;
    # nobody told; the link stays pending (the close wrote nothing to it).
    assert ldap_bind_works(env, dora, old_password)
    for p in ("pw22-dora-good-1", "pw22-dora-good-2", "pw22-dora-good-3", "pw22-dora-good-4"):
        assert not ldap_bind_works(env, dora, p), p
    S.expect(api(dora).get("/api/v1/me"), 200)
    assert notices(sql, before) == []
    assert sql.value("SELECT status FROM password_resets WHERE token_hash ="
                     " UNHEX(SHA2(%s, 256))", token) == "pending"
    assert sql.value("SELECT COUNT(*) FROM audit WHERE account_id = %s"
                     " AND action = 'password.reset'", closing.id) == 0

    # Her link of the account she still works in holds.
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(reset_path(acc.id, dora.uid)), 202)
    _, live = reset_mail(mailbox, sql, dora, before)
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, live, "pw22-dora-good-5"), 200)
    S.PASSWORDS[dora.uid] = "pw22-dora-good-5"
    assert ldap_bind_works(env, dora, "pw22-dora-good-5")
    assert not ldap_bind_works(env, dora, old_password)
    assert [(tpl, to) for tpl, to, _ in notices(sql, before)] == [
        ("password-changed", dora.mail.lower()),
        ("password-reset-used", t.admin.mail.lower())]
    # The closed account's link, replaced by that use, says so.
    S.expect_problem(set_password(api, token, "pw22-dora-good-6"), 410, "reset-replaced")


UNMAILED_REFUSAL = ("only the account's named contacts (primary and technical) request password"
                    " resets: your e-mail address is no longer in the directory, so the account"
                    " does not count you as its contact; ask an LDAP administrator to restore it")


def test_a_contact_whose_address_was_deleted_asks_for_no_resets(api, sql, ldap_admin, mailbox,
                                                               make_tenant, make_account,
                                                               make_person, set_roles):
    """Round-23 walkthrough of seed 004, D2: an LDAP administrator deleted
    the technical contact's mail; the overview read `technical: null`, yet
    he still asked for a reset (202) and the person read "a named contact
    of <account>" asked. A reset counts as named contacts exactly those the
    overview shows: 403 with the reason, as for a contact who lost the
    admin role, nobody mailed; with the address back he asks again. A link
    he asked for before keeps working, but its notice no longer sends the
    person to him."""
    t = make_tenant("pwr23")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, carl, dora = (make_person(prefix=p) for p in ("pw23a", "pw23c", "pw23d"))
    for p in (anna, carl):
        set_roles(t.admin, acc.id, p, ["admin"])
    set_roles(t.admin, acc.id, dora, ["member"])
    contacts = f"{ACCOUNTS}/{acc.id}/contacts"
    S.expect(api(t.admin).put(f"{contacts}/primary", json={"uid": anna.uid}), 200)
    S.expect(api(t.admin).put(f"{contacts}/technical", json={"uid": carl.uid}), 200)
    path = reset_path(acc.id, dora.uid)
    before = S.outbox_max_id(sql)
    S.expect(api(carl).post(path), 202)
    _, token = reset_mail(mailbox, sql, dora, before)

    assert ldap_admin.modify(carl.dn, {"mail": [(ldap3.MODIFY_DELETE, [])]}), ldap_admin.result
    try:
        overview = lambda: S.expect(api(anna).get(f"{ACCOUNTS}/{acc.id}"), 200)["contacts"]
        assert S.wait_until(lambda: overview()["technical"] is None)
        before = S.outbox_max_id(sql)
        r = S.poll(lambda: api(carl).post(path), lambda r: r.status_code == 403, 10)
        p = S.expect_problem(r, 403, "forbidden")
        assert p["detail"] == UNMAILED_REFUSAL, p
        # A refusal mails nobody.
        assert [x for x in S.outbox_rows(sql, after_id=before)
                if x["template"] == "password-reset"] == []
        # Anna, a contact the overview shows, still asks; another tenant is 404.
        other = make_tenant("pwr23o")
        S.expect_problem(api(other.admin).post(path), 404)
        # The link Carl asked for before still works; the notice sends
        # Dora to Anna, not to Carl, and Carl has no address to be told.
        before = S.outbox_max_id(sql)
        S.expect(set_password(api, token, "pw23-dora-good-1"), 200)
        S.PASSWORDS[dora.uid] = "pw23-dora-good-1"
        asked, used = reset_times(sql, token)
        got = notices(sql, before)
        assert [(tpl, to) for tpl, to, _ in got] == [("password-changed", dora.mail.lower())], got
        assert got[0][2] == changed_text(
            dora, f"{carl.name} (a named contact of {acc.name})", carl.name, acc.name, asked,
            used, whom=f"a named contact of {acc.name} ({anna.name})"), got[0][2]
        before = S.outbox_max_id(sql)
        S.expect(api(anna).post(path), 202)
        reset_mail(mailbox, sql, dora, before)
    finally:
        assert ldap_admin.modify(carl.dn, {"mail": [(ldap3.MODIFY_ADD, [carl.mail])]}), \
            ldap_admin.result
    assert S.wait_until(lambda: (overview()["technical"] or {}).get("uid") == carl.uid)
    before = S.outbox_max_id(sql)
    r = S.poll(lambda: api(carl).post(path), lambda r: r.status_code == 202, 10)
    S.expect(r, 202)
    reset_mail(mailbox, sql, dora, before)


def test_a_project_only_person_gets_a_reset_from_the_accounts_contact_or_operator_staff(
        api, sql, env, ldap_admin, mailbox, make_tenant, make_person, set_roles, operator_id):
    """Round-25 walkthrough of seed 003, D1: an end customer who holds a
    role in a reseller's project only (STACKIT method 2) could get no
    reset: the named contact and operator staff both read 404 "that
    person has no role in this account". A role in one of the account's
    projects counts: the mail names the project(s), the link sets the
    person's directory password, and it dies when the last project role
    goes. Who may not ask is refused as for the account's people."""
    t = make_tenant("pwr25p")
    acc = t.account
    S.expect(api(t.admin).put(f"{ACCOUNTS}/{acc.id}/contacts/primary",
                              json={"uid": t.admin.uid}), 200)
    projects = f"{ACCOUNTS}/{acc.id}/projects"
    shop = S.expect(api(t.admin).post(projects, json={"name": S.unique("pw25 Shop ")}), 201)
    web = S.expect(api(t.admin).post(projects, json={"name": S.unique("pw25 Web ")}), 201)
    lena, carl, stranger, member, admin = (make_person(prefix=p) for p in
                                           ("pw25l", "pw25c", "pw25s", "pw25m", "pw25a"))
    set_roles(t.admin, acc.id, member, ["member"])
    set_roles(t.admin, acc.id, admin, ["admin"])

    def put_in(project, role, person, how=ldap3.MODIFY_ADD):
        assert ldap_admin.modify(S.project_dn(acc.id, project["id"], role),
                                 {"member": [(how, [person.dn])]}), ldap_admin.result

    put_in(shop, "reader", lena)
    put_in(shop, "editor", carl)
    put_in(web, "owner", carl)
    for p, pr in ((lena, shop), (carl, web)):
        S.poll(lambda: api(t.admin).get(f"/api/v1/projects/{pr['id']}/members/{p.uid}"),
               lambda r: r.status_code == 200, 10)
    # The named contact, as JSON: the mail says in whose project she is.
    before = S.outbox_max_id(sql)
    got = S.expect(api(t.admin).post(reset_path(acc.id, lena.uid)), 202)
    assert got["uid"] == lena.uid and got["status"] == "mailed", got
    mail, token = reset_mail(mailbox, sql, lena, before)
    body = mail.body.replace("\r\n", "\n")
    assert (f"{t.admin.name}, a named contact of {acc.name}, in whose project \"{shop['name']}\""
            f" you hold a role, asked for a new password for your user {lena.uid}.") in body, body
    # The link works: her directory password is the new one.
    S.expect(set_password(api, token, "pw25-lena-new-1"), 200)
    S.PASSWORDS[lena.uid] = "pw25-lena-new-1"
    assert ldap_bind_works(env, lena, "pw25-lena-new-1")
    S.expect(api(lena).get("/api/v1/me"), 200)
    # Operator staff, as a form: their mail names the account and both
    # of Carl's projects.
    olivia = S.expect(api("olivia").get("/api/v1/me"), 200)["name"]
    operator = sql.value("SELECT name FROM accounts WHERE id=%s", int(operator_id))
    before = S.outbox_max_id(sql)
    r = api("olivia").form("POST", reset_path(acc.id, carl.uid),
                           [("return_to", S.ORIGIN + "/portal/ok")])
    assert r.status_code == 303 and r.headers["Location"].startswith(S.ORIGIN + "/portal/ok"), \
        S.describe(r)
    mail, token = reset_mail(mailbox, sql, carl, before)
    body = mail.body.replace("\r\n", "\n")
    names = sorted([shop, web], key=lambda p: int(p["id"]))
    assert (f"{olivia}, operator staff of {operator}, for {acc.name}, in whose projects"
            f" \"{names[0]['name']}\" and \"{names[1]['name']}\" you hold roles, asked for a new"
            f" password for your user {carl.uid}.") in body, body
    # He loses one project role: the link holds; the last one: it dies.
    put_in(web, "owner", carl, ldap3.MODIFY_DELETE)
    S.expect_field_errors(set_password(api, token, "short"), "password")
    put_in(shop, "editor", carl, ldap3.MODIFY_DELETE)
    r = S.poll(lambda: set_password(api, token, "short"), lambda r: r.status_code == 410, 10)
    revoked(r, f"you no longer hold a role in {acc.name} or its projects")
    S.expect(api(carl).get("/api/v1/me"), 200)  # his password is unchanged
    # No role anywhere in the account: 404; another tenant 404; a member
    # the router's 403; an admin who is no contact 403; nobody mailed.
    other = make_tenant("pwr25o")
    before = S.outbox_max_id(sql)
    for who, uid in ((t.admin, stranger.uid), ("olivia", stranger.uid), (t.admin, carl.uid)):
        p = S.expect_problem(api(who).post(reset_path(acc.id, uid)), 404, "not-found")
        assert p["detail"] == "that person has no role in this account or its projects", p
    S.expect_problem(api(other.admin).post(reset_path(acc.id, lena.uid)), 404, "not-found")
    p = S.expect_problem(api(member).post(reset_path(acc.id, lena.uid)), 403, "forbidden")
    assert p["detail"] == MEMBER_REFUSAL, p
    S.expect_problem(api(admin).post(reset_path(acc.id, lena.uid)), 403, "forbidden")
    assert [r for r in S.outbox_rows(sql, after_id=before) if r["template"] == "password-reset"] == []


def test_an_admin_who_is_no_contact_is_told_whom_to_ask_or_how_to_name_one(
        api, sql, make_tenant, make_account, make_person, set_roles):
    """Round-25 walkthrough of seed 004, D3: an admin who is no named
    contact got the bare rule, while a member read "ask one of them". The
    admin reads the members' text with the contacts by name and that any
    administrator can name themselves; with no contact, that there is none
    now and how to name one. A contact without an address is none."""
    t = make_tenant("pwr25a")
    acc = make_account(t.admin, "customer", t.account.id)
    eva, ben, anna, dora = (make_person(prefix=p) for p in ("pw25e", "pw25b", "pw25n", "pw25d"))
    for p in (eva, ben, anna):
        set_roles(t.admin, acc.id, p, ["admin"])
    set_roles(t.admin, acc.id, dora, ["member"])
    contacts = f"{ACCOUNTS}/{acc.id}/contacts"
    S.expect(api(t.admin).put(f"{contacts}/primary", json={"uid": eva.uid}), 200)
    S.expect(api(t.admin).put(f"{contacts}/technical", json={"uid": ben.uid}), 200)
    path = reset_path(acc.id, dora.uid)
    how = f"PUT /api/v1/accounts/{acc.id}/contacts/primary or /technical"
    p = S.expect_problem(api(anna).post(path), 403, "forbidden")
    assert p["detail"] == (f"{ADMIN_REFUSAL}; ask one of them ({eva.name}, {ben.name}), or name"
                           f" yourself a contact: any administrator of the account can, with"
                           f" {how}"), p
    # One contact for both kinds: named once.
    S.expect(api(t.admin).put(f"{contacts}/technical", json={"uid": eva.uid}), 200)
    p = S.expect_problem(api(anna).post(path), 403, "forbidden")
    assert f"ask one of them ({eva.name}), or name yourself" in p["detail"], p
    # None named: whom to ask is any administrator, who can name one.
    sql.rows("DELETE FROM account_contacts WHERE account_id=%s", int(acc.id))
    assert S.expect(api(anna).get(f"{ACCOUNTS}/{acc.id}"), 200)["contacts"] == \
        {"primary": None, "technical": None}
    p = S.expect_problem(api(anna).post(path), 403, "forbidden")
    assert p["detail"] == (f"{ADMIN_REFUSAL}, and the account has no named contact now: any"
                           f" administrator of the account can name one, yourself included,"
                           f" with {how}"), p
    # The member still reads the router's text; another tenant 404.
    p = S.expect_problem(api(dora).post(path), 403, "forbidden")
    assert p["detail"] == MEMBER_REFUSAL, p
    S.expect_problem(api(make_tenant("pwr25ao").admin).post(path), 404)
    # Anna names herself and asks.
    S.expect(api(anna).put(f"{contacts}/primary", json={"uid": anna.uid}), 200)
    S.expect(api(anna).post(path), 202)


def demote_in_ldap(api, ldap_admin, by, account_id, person):
    """An LDAP administrator takes admin away from person (they stay a
    member); the overview shows it."""
    S.wait_for_directory_cache()
    assert ldap_admin.modify(S.role_dn(account_id, "admin"),
                             {"member": [(ldap3.MODIFY_DELETE, [person.dn])]}), ldap_admin.result
    assert ldap_admin.modify(S.role_dn(account_id, "member"),
                             {"member": [(ldap3.MODIFY_ADD, [person.dn])]}), ldap_admin.result

    def roles():
        body = S.expect(api(by).get(f"{ACCOUNTS}/{account_id}"), 200)
        return {m["uid"]: m["roles"] for m in body["members"]}.get(person.uid)
    assert S.wait_until(lambda: roles() == ["member"], 5.0, 0.1)


def test_a_contact_demoted_in_ldap_is_named_nowhere_as_the_one_to_ask(
        api, sql, ldap_admin, mailbox, make_tenant, make_account, make_person, set_roles):
    """Round-26 walkthrough of seed 004, D1: Ben, both contacts, lost
    admin in the directory; the overview showed no contact, but an admin's
    reset refusal still said "ask one of them (Ben …)" and the
    password-changed notice of a link Ben had asked for "ask Ben … or a
    named contact of …". Both count contacts as the overview does: with
    none counted, the refusal says the account has none now and the notice
    names an administrator; with Anna primary (Ben's stored technical row
    left), Anna only."""
    t = make_tenant("pwr26")
    acc = make_account(t.admin, "customer", t.account.id)
    anna, ben, dora, ida = (make_person(prefix=p) for p in ("pw26a", "pw26b", "pw26d", "pw26i"))
    for p in (anna, ben):
        set_roles(t.admin, acc.id, p, ["admin"])
    for p in (dora, ida):
        set_roles(t.admin, acc.id, p, ["member"])
    contacts = f"{ACCOUNTS}/{acc.id}/contacts"
    for kind in ("primary", "technical"):
        S.expect(api(t.admin).put(f"{contacts}/{kind}", json={"uid": ben.uid}), 200)
    tokens = {}
    for p in (ida, dora):
        before = S.outbox_max_id(sql)
        S.expect(api(ben).post(reset_path(acc.id, p.uid)), 202)
        tokens[p.uid] = reset_mail(mailbox, sql, p, before)[1]

    demote_in_ldap(api, ldap_admin, t.admin, acc.id, ben)
    assert S.expect(api(t.admin).get(f"{ACCOUNTS}/{acc.id}"), 200)["contacts"] == \
        {"primary": None, "technical": None}
    how = f"PUT /api/v1/accounts/{acc.id}/contacts/primary or /technical"
    path = reset_path(acc.id, dora.uid)
    for admin in (anna, t.admin):
        p = S.expect_problem(api(admin).post(path), 403, "forbidden")
        assert p["detail"] == (f"{ADMIN_REFUSAL}, and the account has no named contact now: any"
                               f" administrator of the account can name one, yourself included,"
                               f" with {how}"), p
    # Ben, a member now, reads the router's text; another tenant 404.
    p = S.expect_problem(api(ben).post(path), 403, "forbidden")
    assert p["detail"] == MEMBER_REFUSAL, p
    S.expect_problem(api(make_tenant("pwr26o").admin).post(path), 404)

    # Ida's notice: no contact counted, an administrator.
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, tokens[ida.uid], "pw26-ida-good-1"), 200)
    S.PASSWORDS[ida.uid] = "pw26-ida-good-1"
    asked, used = reset_times(sql, tokens[ida.uid])
    got = [g for g in notices(sql, before) if g[0] == "password-changed"]
    assert [to for _, to, _ in got] == [ida.mail.lower()], got
    assert got[0][2] == changed_text(
        ida, f"{ben.name} (a named contact of {acc.name})", ben.name, acc.name, asked, used,
        whom=f"an administrator of {acc.name}"), got[0][2]

    # Anna names herself primary; Ben's technical row stays, uncounted.
    S.expect(api(anna).put(f"{contacts}/primary", json={"uid": anna.uid}), 200)
    assert sql.row("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='technical'",
                   int(acc.id))["uid"] == ben.uid
    p = S.expect_problem(api(t.admin).post(path), 403, "forbidden")
    assert p["detail"] == (f"{ADMIN_REFUSAL}; ask one of them ({anna.name}), or name yourself a"
                           f" contact: any administrator of the account can, with {how}"), p
    before = S.outbox_max_id(sql)
    S.expect(set_password(api, tokens[dora.uid], "pw26-dora-good-1"), 200)
    S.PASSWORDS[dora.uid] = "pw26-dora-good-1"
    asked, used = reset_times(sql, tokens[dora.uid])
    got = [g for g in notices(sql, before) if g[0] == "password-changed"]
    assert got[0][2] == changed_text(
        dora, f"{ben.name} (a named contact of {acc.name})", ben.name, acc.name, asked, used,
        whom=f"a named contact of {acc.name} ({anna.name})"), got[0][2]
    assert f"ask {ben.name}" not in got[0][2]
