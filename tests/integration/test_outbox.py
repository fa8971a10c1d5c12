"""The e-mail outbox: every mail is a mail_outbox row written in the
transaction of its change and delivered by accountd-mailer. The list of an
account's notifications, news preferences and announcements, no mail lost
while SMTP is down and none sent twice by two mailers, and no mail for a
change that rolled back."""
import collections
import datetime
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import support as S

PREFERENCES_PAGE = S.URL + "/preferences"




def notifications(api, by, account_id, **params):
    body = S.expect(api(by).get(f"/api/v1/accounts/{account_id}/notifications", params=params), 200)
    assert isinstance(body.get("items"), list), body
    return body["items"]


def preferences(api, who):
    body = S.expect(api(who).get("/api/v1/me"), 200)
    assert isinstance(body.get("preferences"), dict), body
    return body["preferences"]


# ------------------------------------------------------------------ the list

def test_notifications_list_shows_sent_mails(api, customer, invite, sql, mailbox):
    admin, acc = customer
    first, second = S.unique_mail(), S.unique_mail()
    invite(admin, acc.id, first)
    invite(admin, acc.id, second)
    rows = S.wait_outbox_settled(sql, account_id=acc.id)
    assert [r["recipient"] for r in rows] == [first, second], rows
    assert all(r["status"] == "sent" for r in rows), rows
    mails = {m.outbox_id: m for m in mailbox.wait_for(count=2, outbox_ids=[r["id"] for r in rows])}

    items = notifications(api, admin, acc.id)
    assert [i["recipient"] for i in items] == [second, first], "not newest first: " + repr(items)
    assert [i["id"] for i in items] == [str(rows[1]["id"]), str(rows[0]["id"])], items
    for item in items:
        assert item["template"] == "invitation" and item["category"] == "transactional", item
        assert item["status"] == "sent", item
        assert isinstance(item["attempts"], int) and item["attempts"] >= 1, item
        assert item["last_error"] is None, item
        created = datetime.datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
        sent = datetime.datetime.fromisoformat(item["sent_at"].replace("Z", "+00:00"))
        assert sent >= created, item
        assert item["subject"] == mails[int(item["id"])].subject, item
        assert acc.name in item["subject"]
        # The list never shows a body (an invitation's holds its link).
        assert "body" not in item and "/invitations/" not in str(item), item


def test_notifications_list_pages(api, customer, invite, sql):
    admin, acc = customer
    emails = [S.unique_mail() for _ in range(5)]
    for e in emails:
        invite(admin, acc.id, e)
    body = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}/notifications", params={"limit": 2}), 200)
    seen = [i["recipient"] for i in body["items"]]
    assert len(seen) == 2, body
    while body.get("next_cursor"):
        body = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}/notifications",
                                       params={"limit": 2, "cursor": body["next_cursor"]}), 200)
        seen += [i["recipient"] for i in body["items"]]
        assert len(seen) <= 5, seen
    assert seen == list(reversed(emails))


# ------------------------------------------------------------------ preferences

def test_news_preference(api, make_person, sql):
    p = make_person()
    assert preferences(api, p)["news"] is True
    S.expect(api(p).patch("/api/v1/me/preferences", json={"news": False}), 200)
    assert preferences(api, p)["news"] is False
    assert sql.value("SELECT news FROM person_preferences WHERE uid=%s", p.uid) == 0
    S.expect(api(p).patch("/api/v1/me/preferences", json={"news": True}), 200)
    assert preferences(api, p)["news"] is True
    # A form, as a settings page sends it.
    S.expect(api(p).form("POST", "/api/v1/me/preferences", [("_method", "PATCH"), ("news", "off")]), 200)
    assert preferences(api, p)["news"] is False


@pytest.mark.parametrize("body", [{"news": "maybe"}, {"news": False, "marketing": True}, {"news": None}])
def test_bad_preferences_are_refused(api, make_person, body):
    p = make_person()
    r = api(p).patch("/api/v1/me/preferences", json=body)
    assert r.status_code in (400, 422), S.describe(r)
    S.expect_problem(r, r.status_code)
    assert preferences(api, p)["news"] is True


# ------------------------------------------------------------------ announcements

def test_announcement_skips_who_opted_out(api, customer, make_person, set_roles, invite, sql, mailbox):
    admin, acc = customer
    keen, quiet, buyer = make_person(), make_person(), make_person()
    set_roles(admin, acc.id, keen, ["member"])
    set_roles(admin, acc.id, quiet, ["member"])
    set_roles(admin, acc.id, buyer, ["billing"])
    S.expect(api(quiet).patch("/api/v1/me/preferences", json={"news": False}), 200)
    members = S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}/members"), 200)["items"]
    assert {m["uid"] for m in members} == {admin.uid, keen.uid, quiet.uid, buyer.uid}

    before = S.outbox_max_id(sql)
    subject = "Maintenance " + S.unique("")
    r = api(admin).post(f"/api/v1/accounts/{acc.id}/announcements",
                        json={"subject": subject, "body": "We update on Sunday.\n"})
    data = S.expect(r, 202)
    assert data.get("queued") == 3, S.describe(r)

    expected = sorted(p.mail.lower() for p in (admin, keen, buyer))
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert sorted(r["recipient"].lower() for r in rows) == expected, rows
    assert {(r["category"], r["status"], r["subject"]) for r in rows} == {("news", "sent", subject)}, rows
    mails = mailbox.wait_for(count=3, outbox_ids=[r["id"] for r in rows])
    assert sorted(a for m in mails for a in m.envelope_to) == expected, mails
    for m in mails:
        assert m.subject == subject and "We update on Sunday." in m.body, m
        # News says how to stop it (round-2 walkthrough of seed 004).
        assert "no more news mail" in m.body and acc.name in m.body.split("--")[-1], m.body
    assert mailbox.matching(lambda m: (m.outbox_id or 0) > before, to=quiet.mail) == []

    # Transactional mail still reaches the person who opted out of news.
    before = S.outbox_max_id(sql)
    assert invite(admin, acc.id, quiet.mail, "billing", status=201)["status"] == "added"
    mails = mailbox.wait_for(lambda m: (m.outbox_id or 0) > before, to=quiet.mail)
    assert len(mails) == 1 and acc.name in mails[0].subject, mails


def test_announcement_reaches_the_notification_recipients(api, customer, make_person, set_roles,
                                                            sql, mailbox):
    """Round-11 walkthrough of seed 000, D1 ("so your customer receives
    updates and other important ... notification emails"): news goes to
    the account's people and to its notification recipients, each address
    once; a recipient's footer says how that address stops getting it; a
    person who opted out is not reached through the recipients either."""
    admin, acc = customer
    quiet = make_person()
    set_roles(admin, acc.id, quiet, ["member"])
    S.expect(api(quiet).patch("/api/v1/me/preferences", json={"news": False}), 200)
    outside = S.unique_mail("rcpt-")
    S.expect(api(admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                            json={"emails": [outside, admin.mail.upper(), quiet.mail]}), 200)
    before = S.outbox_max_id(sql)
    subject = "Update " + S.unique("")
    data = S.expect(api(admin).post(f"/api/v1/accounts/{acc.id}/announcements",
                                    json={"subject": subject, "body": "Release 5 is out.\n"}), 202)
    assert data["queued"] == 2, data
    rows = [r for r in S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
            if r["subject"] == subject]
    assert sorted(r["recipient"].lower() for r in rows) == sorted(
        [outside.lower(), admin.mail.lower()]), rows
    mail = mailbox.wait_for(count=1, outbox_ids=[r["id"] for r in rows
                                                 if r["recipient"].lower() == outside.lower()])
    assert len(mail) == 1, rows
    footer = mail[0].body.replace("\r\n", "\n").split("--")[-1]
    assert f"notification recipient of {acc.name}" in footer, footer
    assert "take this address off its" in footer.replace("\n", " "), footer
    # Round-12 walkthrough of seed 000, D3: the preferences page cannot
    # stop a bare recipient's copy, so it names no List-Unsubscribe; the
    # person's copy does.
    assert mail[0].msg.get("List-Unsubscribe") is None, mail[0].msg.items()
    own = mailbox.wait_for(count=1, outbox_ids=[r["id"] for r in rows
                                                if r["recipient"].lower() == admin.mail.lower()])
    assert len(own) == 1, rows
    assert str(own[0].msg.get("List-Unsubscribe")).strip() == f"<{PREFERENCES_PAGE}>", own[0].msg.items()
    assert f"as a person of {acc.name}" in own[0].body, own[0].body
    assert mailbox.matching(lambda m: (m.outbox_id or 0) > before, to=quiet.mail) == []


def _hand_over_by_role_change(api, sql, invitation_mail, t, account_id):
    """The seed's own hand-over: the partner's admin invites the customer
    as admin (who accepts), then changes his own role to service-provider.
    Returns the customer as S.Person."""
    email = S.unique_mail("cust-")
    before = S.outbox_max_id(sql)
    S.expect(api(t.admin).post(f"/api/v1/accounts/{account_id}/invitations",
                               json={"email": email, "role": "admin"}), 202)
    _, token = invitation_mail(email, after=before)
    uid = S.expect(S.accept_invitation(api, token, uid=S.unique("cust"), password="cust-pw-12345"),
                   200)["uid"]
    S.PASSWORDS[uid] = "cust-pw-12345"
    r = api(t.admin).put(f"/api/v1/accounts/{account_id}/members/{t.admin.uid}",
                         json={"roles": ["service-provider"]})
    assert S.expect(r, 200)["roles"] == ["service-provider"]
    assert sql.account(account_id)["status"] == "active"
    return S.Person(uid, "cust-pw-12345", S.person_dn(uid), None, email)


def _announce(api, sql, by, account_id, queued):
    """POST an announcement; assert 202 {queued}; the settled rows of it."""
    before = S.outbox_max_id(sql)
    subject = "Update " + S.unique("")
    data = S.expect(api(by).post(f"/api/v1/accounts/{account_id}/announcements",
                                 json={"subject": subject, "body": "New label designer.\n"}), 202)
    rows = [r for r in S.wait_outbox_settled(sql, account_id=account_id, after_id=before)
            if r["subject"] == subject]
    assert data["queued"] == queued, (data, rows)
    return rows


def _mail_to(mailbox, rows, address):
    mine = [r["id"] for r in rows if r["recipient"].lower() == address.lower()]
    assert len(mine) == 1, (address, rows)
    mails = mailbox.wait_for(count=1, outbox_ids=mine)
    assert len(mails) == 1, (address, rows)
    return mails[0]


def test_a_provider_who_takes_his_address_off_the_recipients_gets_no_more_news(
        api, sql, mailbox, make_tenant, make_account, make_person, set_roles, invitation_mail):
    """Round-12 walkthrough of seed 000, D2 ("Remove your email address to
    stop receiving notifications for this account"): after the hand-over
    the partner's people (service-provider only) get the account's news
    through its notification recipients alone; the customer's own people
    (admin, billing, member) keep getting it as persons."""
    t = make_tenant("r12n")
    acc = make_account(t.admin, "customer", t.account.id, staged=True)
    anna, bob = make_person(prefix="r12a"), make_person(prefix="r12b")
    set_roles(t.admin, acc.id, anna, ["member"])
    set_roles(t.admin, acc.id, bob, ["billing"])
    ops = S.unique_mail("ops-")
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [t.admin.mail, ops]}), 200)
    cust = _hand_over_by_role_change(api, sql, invitation_mail, t, acc.id)
    people = {p.mail.lower() for p in (cust, anna, bob)}

    # While his address is among the recipients, the provider gets the news
    # as a recipient (his footer says so), with the preferences page his
    # own opt-out is honoured on.
    rows = _announce(api, sql, cust, acc.id, 5)
    assert {r["recipient"].lower() for r in rows} == people | {t.admin.mail.lower(), ops.lower()}, rows
    mine = _mail_to(mailbox, rows, t.admin.mail)
    footer = mine.body.replace("\r\n", "\n").split("\n--\n")[-1]
    assert f"as a notification recipient of {acc.name}" in footer, footer
    assert "as a person of" not in mine.body, mine.body
    assert "take this address off its notification recipients" in footer.replace("\n", " "), footer
    assert str(mine.msg.get("List-Unsubscribe")).strip() == f"<{PREFERENCES_PAGE}>", mine.msg.items()

    # The seed's Note: he removes his address; the account's news stops for
    # him, the customer's admin, billing person and member still get it.
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [ops]}), 200)
    rows = _announce(api, sql, cust, acc.id, 4)
    assert {r["recipient"].lower() for r in rows} == people | {ops.lower()}, rows
    assert {r["status"] for r in rows} == {"sent"}, rows
    for p in (cust, anna, bob):
        m = _mail_to(mailbox, rows, p.mail)
        assert f"as a person of {acc.name}" in m.body, m.body
        assert str(m.msg.get("List-Unsubscribe")).strip() == f"<{PREFERENCES_PAGE}>", m.msg.items()
    m = _mail_to(mailbox, rows, ops)
    assert m.msg.get("List-Unsubscribe") is None, m.msg.items()
    assert f"as a notification recipient of {acc.name}" in m.body, m.body

    # Back among the recipients after opting out of news: still nothing.
    S.expect(api(t.admin).patch("/api/v1/me/preferences", json={"news": False}), 200)
    S.expect(api(t.admin).put(f"/api/v1/accounts/{acc.id}/notification-recipients",
                              json={"emails": [ops, t.admin.mail]}), 200)
    rows = _announce(api, sql, cust, acc.id, 4)
    assert {r["recipient"].lower() for r in rows} == people | {ops.lower()}, rows


@pytest.mark.parametrize("body,field", [({"body": "x"}, "subject"), ({"subject": "x"}, "body"),
                                        ({"subject": "x", "body": "y", "to": "all"}, "to")])
def test_bad_announcement_is_422(api, customer, sql, body, field):
    admin, acc = customer
    before = S.outbox_max_id(sql)
    S.expect_field_errors(api(admin).post(f"/api/v1/accounts/{acc.id}/announcements", json=body), field)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []


def test_line_break_in_subject_adds_no_header(api, customer, sql, mailbox):
    """A subject with CR LF is refused (422) or sent on one line: either
    way no `Bcc:` header and no further recipient."""
    admin, acc = customer
    evil = S.unique_mail("it-evil-")
    before = S.outbox_max_id(sql)
    r = api(admin).post(f"/api/v1/accounts/{acc.id}/announcements",
                        json={"subject": f"Hello\r\nBcc: {evil}\r\nX-Evil: 1", "body": "Body.\n"})
    if r.status_code == 422:
        S.expect_field_errors(r, "subject")
        assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
        return
    assert S.expect(r, 202)["queued"] == 1, S.describe(r)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert [(x["recipient"], x["status"]) for x in rows] == [(admin.mail, "sent")], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert len(mails) == 1, "the announcement did not arrive"
    m = mails[0]
    assert m.envelope_to == [admin.mail.lower()], m
    assert m.msg.get("Bcc") is None and m.msg.get("X-Evil") is None, m.msg.items()
    assert "\n" not in m.subject and "\r" not in m.subject, m
    assert mailbox.matching(to=evil) == []


# ------------------------------------------------------------------ SMTP down

@pytest.fixture
def second_mailer(env):
    """A second accountd-mailer process next to the stack's own, stopped
    (by its PID) at the end."""
    mailer, conf = env.get("ACCOUNTD_MAILER"), env.get("ACCOUNTD_CONF")
    assert mailer and os.access(mailer, os.X_OK), f"ACCOUNTD_MAILER {mailer!r} is not executable"
    assert conf and os.path.exists(conf), f"ACCOUNTD_CONF {conf!r} missing"
    log = tempfile.NamedTemporaryFile(prefix="it-mailer-", suffix=".log", delete=False)
    proc = subprocess.Popen([mailer, "--config", conf], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)

    def output():
        with open(log.name, "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace")

    proc.output = output
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)


def test_smtp_down_loses_nothing_and_two_mailers_send_each_once(api, customer, sql, mailbox, dev,
                                                                 second_mailer):
    admin, acc = customer
    emails = [S.unique_mail("it-down-") for _ in range(100)]
    before = S.outbox_max_id(sql)
    dev("smtp-stop")
    smtp_running = False
    try:
        def invite_one(email):
            r = api(admin).post(f"/api/v1/accounts/{acc.id}/invitations", json={"email": email, "role": "member"})
            return r.status_code, S.describe(r)

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(invite_one, emails))
        assert [code for code, _ in results] == [202] * 100, [d for code, d in results if code != 202][:3]
        assert second_mailer.poll() is None, f"second mailer exited: {second_mailer.output()}"

        # While SMTP is down the rows stay queued, deferred with the error;
        # no attempt reached a recipient, so none counts toward dying.
        def all_tried():
            rows = S.outbox_rows(sql, account_id=acc.id, after_id=before)
            return rows if len(rows) == 100 and all(r["deferrals"] > 0 and r["last_error"] for r in rows) else None

        tried = S.wait_until(all_tried, timeout=20, interval=0.2)
        rows = S.outbox_rows(sql, account_id=acc.id, after_id=before)
        assert tried, ("not every mail was tried while SMTP was down: "
                       + repr([(r["id"], r["status"], r["deferrals"], r["last_error"]) for r in rows[:5]]))
        assert all(r["attempts"] == 0 for r in rows), [(r["id"], r["attempts"]) for r in rows][:5]
        assert sorted(r["recipient"] for r in rows) == sorted(emails)
        assert all(r["status"] == "queued" and r["sent_at"] is None for r in rows), \
            [(r["id"], r["status"], r["attempts"]) for r in rows if r["status"] != "queued"][:5]
        assert mailbox.matching(to=emails) == []
        listed = notifications(api, admin, acc.id, limit=100)
        assert {i["recipient"] for i in listed} == set(emails)
        assert all(i["status"] == "queued" and i["attempts"] == 0 and i["deferrals"] >= 1
                   and i["last_error"] for i in listed), listed[:3]

        dev("smtp-start")
        smtp_running = True
        mails = mailbox.wait_for(count=100, timeout=30, to=emails)
        assert len({a for m in mails for a in m.envelope_to}) == 100, \
            f"only {len(mails)} of 100 mails arrived within 30 s after SMTP came back"
        rows = S.wait_outbox_settled(sql, timeout=10, account_id=acc.id, after_id=before)
        assert collections.Counter(r["status"] for r in rows) == {"sent": 100}, \
            collections.Counter(r["status"] for r in rows)

        # Every row once, no duplicates (both mailers ran all along).
        assert second_mailer.poll() is None, f"second mailer exited: {second_mailer.output()}"
        mails = mailbox.matching(to=emails)
        counts = collections.Counter(m.outbox_id for m in mails)
        assert set(counts) == {r["id"] for r in rows}, "X-Accountd-Outbox-Id does not match the outbox rows"
        assert [i for i, n in counts.items() if n > 1] == [], f"mails sent twice: {counts.most_common(3)}"
        assert len(mails) == 100
        by_id = {r["id"]: r["recipient"].lower() for r in rows}
        assert all(m.envelope_to == [by_id[m.outbox_id]] for m in mails)
        assert len({m.message_id for m in mails}) == 100 and None not in {m.message_id for m in mails}
        assert all(S.invitation_token(m) for m in mails)
    finally:
        if not smtp_running:
            dev("smtp-start")


# ------------------------------------------------------------------ rollback

def test_change_that_fails_leaves_no_mail(api, customer, make_person, set_roles, sql, mailbox,
                                          ldap_admin):
    admin, acc = customer
    p = make_person()
    # In the admin's tenant tree (a member of the partner above), so the
    # invitation adds them at once: that is the change that fails here.
    set_roles("olivia", acc.parent_id, p, ["member"])
    ok = ldap_admin.delete(S.role_dn(acc.id, "billing"))
    assert ok, f"could not delete the billing group: {ldap_admin.result}"
    before = S.outbox_max_id(sql)
    r = api(admin).post(f"/api/v1/accounts/{acc.id}/invitations", json={"email": p.mail, "role": "billing"})
    assert r.status_code == 409 or r.status_code >= 500, \
        f"adding to a role group that is gone cannot succeed: {S.describe(r)}"
    S.expect_problem(r, r.status_code)

    # The mailer polls every 100 ms: give it 2 s to show anything.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert S.outbox_rows(sql, recipient=p.mail, after_id=before) == [], \
            "a mail row is left for a change that failed"
        assert mailbox.matching(lambda m: (m.outbox_id or 0) > before, to=p.mail) == [], \
            "a mail was sent for a change that failed"
        time.sleep(0.1)
    assert S.outbox_rows(sql, account_id=acc.id, after_id=before) == []
    assert S.roles_in_ldap(ldap_admin, acc.id, p) == set()
    assert sql.rows("SELECT id FROM invitations WHERE account_id=%s", int(acc.id)) == []
    # The account still works for what does not need the missing group.
    assert S.expect(api(admin).get(f"/api/v1/accounts/{acc.id}"), 200)["id"] == acc.id


# ------------------------------------------------------------------ refusals by the SMTP server

def test_refused_recipient_is_dead_and_the_others_arrive(api, customer, sql, mailbox):
    """The test sink refuses local parts starting with "reject" (550): that
    mail ends `dead` (with the error, and without its body, which held the
    link), and the account's other mails are delivered all the same."""
    admin, acc = customer
    refused, fine = S.unique_mail("reject-"), S.unique_mail()
    before = S.outbox_max_id(sql)
    for email in (refused, fine):
        S.expect(api(admin).post(f"/api/v1/accounts/{acc.id}/invitations",
                                 json={"email": email, "role": "member"}), 202)
    assert mailbox.wait_for(to=fine), f"no mail to {fine}"
    rows = S.wait_outbox_settled(sql, timeout=25, account_id=acc.id, after_id=before)
    status = {r["recipient"]: r for r in rows}
    assert status[fine]["status"] == "sent", rows
    dead = status[refused]
    assert dead["status"] == "dead" and dead["attempts"] >= 1, dead
    assert dead["last_error"] and "550" in dead["last_error"], dead
    assert dead["body"] == "" and "/invitations/" not in dead["body"], "a dead mail keeps its body"
    assert mailbox.matching(to=refused) == []
    listed = {i["recipient"]: i for i in notifications(api, admin, acc.id)}
    assert listed[refused]["status"] == "dead" and listed[refused]["last_error"], listed[refused]


def test_temporary_refusal_is_retried(api, customer, sql, mailbox):
    """451 from the sink ("tempfail" local parts): the mail stays queued and
    is tried again after the back-off, not given up at once."""
    admin, acc = customer
    email = S.unique_mail("tempfail-")
    before = S.outbox_max_id(sql)
    S.expect(api(admin).post(f"/api/v1/accounts/{acc.id}/invitations",
                             json={"email": email, "role": "member"}), 202)
    retried = S.wait_until(lambda: [r for r in S.outbox_rows(sql, recipient=email, after_id=before)
                                    if r["attempts"] >= 2], timeout=15)
    rows = S.outbox_rows(sql, recipient=email, after_id=before)
    assert retried, f"not tried a second time: {rows}"
    row = rows[0]
    assert row["status"] in ("queued", "dead") and row["last_error"] and "451" in row["last_error"], row
    assert row["sent_at"] is None
    assert mailbox.matching(to=email) == []


# ------------------------------------------------------------------ encoding

def test_long_non_ascii_subject_arrives_intact(api, customer, sql, mailbox):
    admin, acc = customer
    subject = ("Wartungsfenster für Ihr Konto – Änderungen am Größen­limit, Grüße aus Wien 🌍 "
               + "äöü " * 12 + S.unique(""))
    body = "Liebe Kundin, lieber Kunde,\nam Sonntag ändern wir Größen. Grüße 🌍\n"
    before = S.outbox_max_id(sql)
    S.expect(api(admin).post(f"/api/v1/accounts/{acc.id}/announcements",
                             json={"subject": subject, "body": body}), 202)
    rows = S.wait_outbox_settled(sql, account_id=acc.id, after_id=before)
    assert [(r["recipient"], r["status"]) for r in rows] == [(admin.mail, "sent")], rows
    mails = mailbox.wait_for(outbox_id=rows[0]["id"])
    assert len(mails) == 1
    m = mails[0]
    assert m.subject == subject, (m.subject, subject)
    assert "am Sonntag ändern wir Größen. Grüße 🌍" in m.body, m.body
    # On the wire every header is ASCII (RFC 2047 encoded words) and no
    # line is longer than RFC 5322's 998 characters.
    with open(m.path, "rb") as f:
        head = f.read().split(b"\r\n\r\n", 1)[0]
    assert all(b < 128 for b in head), "a raw header is not ASCII"
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
