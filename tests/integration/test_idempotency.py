"""Idempotency-Key on every POST that creates or changes something
(DESIGN: "Creating POSTs honour an Idempotency-Key header (double-submitted
forms)"; docs/api.md "Idempotency-Key"): a repeat gets the first answer and
does nothing, the orders, mails and license counts show it; a browser form
sends the key as the hidden field _idempotency_key. POST /api/v1/accounts
keeps its own (test_requests.py)."""
import os
import subprocess

import pytest

import support as S

FRONT = f"http://127.0.0.1:{os.environ.get('ACCOUNTD_FRONTEND_PORT', '18082')}"
LINES = {"lines": [{"article": "assets-pack", "quantity": 1}]}


@pytest.fixture
def shop(make_tenant, make_account):
    """A partner's admin and a customer the admin created (and is admin of)."""
    t = make_tenant("idem")
    cust = make_account(t.admin, "customer", t.account.id)
    return t, cust


def orders_of(sql, account_id):
    return sql.value("SELECT COUNT(*) FROM orders WHERE account_id=%s", int(account_id))


def key():
    return S.unique("idem-")


def test_an_order_posted_twice_with_a_key_is_one_order(api, sql, shop):
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/orders"
    k = key()
    first = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k})
    body = S.expect(first, 201)
    assert "Idempotent-Replayed" not in first.headers
    second = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k})
    assert S.expect(second, 201) == body
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers.get("Idempotent-Replayed") == "true", S.describe(second)
    assert orders_of(sql, cust.id) == 1
    # Another key, or none: another order each time.
    S.expect(api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": key()}), 201)
    S.expect(api(t.admin).post(path, json=LINES), 201)
    S.expect(api(t.admin).post(path, json=LINES), 201)
    assert orders_of(sql, cust.id) == 4
    # The replay is the order as it was answered: executing it after the
    # first answer does not change what a repeat of the create gets back.
    S.expect(api(t.admin).post(f"/api/v1/orders/{body['id']}/execute"), 200)
    again = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k})
    assert S.expect(again, 201)["status"] == "draft"
    assert orders_of(sql, cust.id) == 4


def test_the_key_with_another_body_or_path_is_422_and_does_nothing(api, sql, shop):
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/orders"
    k = key()
    S.expect(api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k}), 201)
    other = {"lines": [{"article": "assets-pack", "quantity": 2}]}
    S.expect_field_errors(api(t.admin).post(path, json=other, headers={"Idempotency-Key": k}),
                          "Idempotency-Key")
    S.expect_field_errors(api(t.admin).post(f"/api/v1/accounts/{cust.id}/quotes", json=LINES,
                                            headers={"Idempotency-Key": k}), "Idempotency-Key")
    assert orders_of(sql, cust.id) == 1
    assert sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(cust.id)) == 0


def test_a_refused_request_frees_its_key(api, sql, shop):
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/orders"
    k = key()
    bad = {"lines": [{"article": "no-such-article", "quantity": 1}]}
    S.expect_field_errors(api(t.admin).post(path, json=bad, headers={"Idempotency-Key": k}))
    assert orders_of(sql, cust.id) == 0
    # The same key with the corrected body: done once, then replayed.
    first = S.expect(api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k}), 201)
    second = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k})
    assert S.expect(second, 201)["id"] == first["id"]
    assert orders_of(sql, cust.id) == 1


def test_the_key_is_per_caller(api, sql, shop, make_person, set_roles):
    t, cust = shop
    other = make_person(prefix="ib")
    set_roles(t.admin, cust.id, other, ["billing"])
    path = f"/api/v1/accounts/{cust.id}/orders"
    k = key()
    a = S.expect(api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": k}), 201)
    b = S.expect(api(other).post(path, json=LINES, headers={"Idempotency-Key": k}), 201)
    assert a["id"] != b["id"]
    assert orders_of(sql, cust.id) == 2


def test_a_replay_checks_the_roles_again(api, sql, shop, make_person, set_roles, make_tenant):
    t, cust = shop
    billing = make_person(prefix="ir")
    set_roles(t.admin, cust.id, billing, ["billing"])
    path = f"/api/v1/accounts/{cust.id}/orders"
    k = key()
    S.expect(api(billing).post(path, json=LINES, headers={"Idempotency-Key": k}), 201)
    # A service provider does not order (a member orders add-ons since
    # round 8: test_billing.py, test_a_members_keys_and_forms).
    set_roles(t.admin, cust.id, billing, ["service-provider"])
    r = api(billing).post(path, json=LINES, headers={"Idempotency-Key": k})
    S.expect_problem(r, 403)
    assert "lines" not in r.text
    # Another tenant's admin with the same key learns nothing either.
    stranger = make_tenant("idem-other").admin
    S.expect_problem(api(stranger).post(path, json=LINES, headers={"Idempotency-Key": k}), 404)
    assert orders_of(sql, cust.id) == 1


def test_a_double_submitted_announcement_form_mails_once(api, sql, make_tenant, make_person,
                                                          set_roles, mailbox):
    t = make_tenant("idem-news")
    members = [make_person(prefix="in") for _ in range(2)]
    for m in members:
        set_roles(t.admin, t.account.id, m, ["member"])
    subject = S.unique("News ")
    fields = [("subject", subject), ("body", "Our new release is out."),
              ("_idempotency_key", key()), ("return_to", FRONT + "/sent")]
    path = f"/api/v1/accounts/{t.account.id}/announcements"
    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303 and r.headers["Location"] == FRONT + "/sent", S.describe(r)
    queued = sql.value("SELECT COUNT(*) FROM mail_outbox WHERE subject=%s", subject)
    assert queued >= 2, queued
    assert "Idempotent-Replayed" not in r.headers
    r = api(t.admin).form("POST", path, fields)
    assert r.status_code == 303 and r.headers["Location"] == FRONT + "/sent", S.describe(r)
    # The replayed form's redirect says so, as a JSON replay does.
    assert r.headers.get("Idempotent-Replayed") == "true", S.describe(r)
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE subject=%s", subject) == queued
    for m in members:
        got = mailbox.wait_for(to=m.mail, predicate=lambda mail: mail.subject == subject)
        assert len(got) == 1, got
    # A third submit without the key is a new announcement.
    plain = [f for f in fields if f[0] != "_idempotency_key"]
    r = api(t.admin).form("POST", path, plain)
    assert r.status_code == 303, S.describe(r)
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE subject=%s", subject) == 2 * queued


def test_a_consume_repeated_with_its_key_counts_once(api, sql, shop, make_person, set_roles):
    t, cust = shop
    done = api(t.admin).post(f"/api/v1/accounts/{cust.id}/orders",
                             json={"lines": [{"article": "starter", "quantity": 1}]})
    S.expect(api(t.admin).post(f"/api/v1/orders/{S.expect(done, 201)['id']}/execute"), 200)
    member = make_person(prefix="ic")
    set_roles(t.admin, cust.id, member, ["member"])
    path = f"/api/v1/accounts/{cust.id}/licenses/data-loggers/consume"
    k = key()
    for _ in range(3):
        got = S.expect(api(member).post(path, json={"quantity": 2},
                                        headers={"Idempotency-Key": k}), 200)
        assert got["used"] == 2, got
    assert sql.value("SELECT used FROM licenses WHERE account_id=%s AND feature='data-loggers'",
                     int(cust.id)) == 2
    S.expect(api(member).post(path, json={"quantity": 2}), 200)
    assert sql.value("SELECT used FROM licenses WHERE account_id=%s AND feature='data-loggers'",
                     int(cust.id)) == 4


def test_a_running_or_abandoned_request_keeps_its_key(api, sql, shop):
    """A row without an answer is a request still running (a repeat waits
    for it, and is 409 when it does not end within the wait), or one that
    never finished because the service stopped during it (409 saying so):
    its outcome is unknown, so the key never runs it a second time."""
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/orders"
    import hashlib
    import json
    fp = hashlib.sha256(json.dumps(LINES, separators=(",", ":"), sort_keys=True)
                        .encode()).hexdigest()
    running, abandoned = key(), key()
    sql.rows("INSERT INTO request_keys (uid, idem_key, request, fingerprint) VALUES (%s,%s,%s,%s)",
             t.admin.uid, running, f"POST {path}", fp)
    sql.rows("INSERT INTO request_keys (uid, idem_key, request, fingerprint, created_at)"
             " VALUES (%s,%s,%s,%s, CURRENT_TIMESTAMP(6) - INTERVAL 1 HOUR)",
             t.admin.uid, abandoned, f"POST {path}", fp)
    r = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": running})
    assert "still being processed" in S.expect_problem(r, 409, "conflict")["detail"]
    r = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": abandoned})
    assert "never finished" in S.expect_problem(r, 409, "conflict")["detail"]
    assert orders_of(sql, cust.id) == 0


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "tab\there", "umlaut-\u00e4"])
def test_a_malformed_key_is_422_and_does_nothing(api, sql, shop, bad):
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/orders"
    if bad.isascii() and "\t" not in bad:
        r = api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": bad})
        S.expect_field_errors(r, "Idempotency-Key")
    r = api(t.admin).form("POST", path.replace("/orders", "/quotes"),
                          [("lines[0][article]", "assets-pack"), ("lines[0][quantity]", "1"),
                           ("_idempotency_key", bad)])
    S.expect_field_errors(r, "_idempotency_key")
    assert orders_of(sql, cust.id) == 0
    assert sql.value("SELECT COUNT(*) FROM quotes WHERE account_id=%s", int(cust.id)) == 0


def test_header_and_form_field_must_agree_and_json_takes_only_the_header(api, sql, shop):
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/announcements"
    fields = [("subject", "Hello"), ("body", "text"), ("_idempotency_key", "a-key")]
    r = api(t.admin).form("POST", path, fields, headers={"Idempotency-Key": "another-key"})
    S.expect_problem(r, 400, "bad-request")
    r = api(t.admin).post(path, json={"subject": "Hello", "body": "text",
                                      "_idempotency_key": "a-key"})
    S.expect_problem(r, 400, "bad-request")
    assert sql.value("SELECT COUNT(*) FROM mail_outbox WHERE account_id=%s", int(cust.id)) == 0


def test_the_accounts_create_form_takes_the_hidden_field_too(api, sql, make_tenant):
    t = make_tenant("idem-acc")
    name = S.unique("it-idem-field-")
    fields = [("kind", "customer"), ("name", name), ("parent_id", str(t.account.id)),
              ("_idempotency_key", key())]
    locations = []
    replayed = []
    for _ in range(2):
        r = api(t.admin).form("POST", "/api/v1/accounts", fields)
        S.expect(r, 201)
        locations.append(r.headers["Location"])
        replayed.append(r.headers.get("Idempotent-Replayed"))
    assert locations[0] == locations[1]
    assert replayed == [None, "true"], replayed
    assert sql.count_accounts(name=name) == 1


def test_the_accounts_key_with_another_body_is_422_and_creates_nothing(api, sql, make_tenant):
    """POST /accounts keeps its own keys, with the same rule as every other
    POST: the key with another body is 422, not the earlier account."""
    t = make_tenant("idem-acc2")
    k = key()
    first = {"kind": "customer", "name": S.unique("it-idem-a-"), "parent_id": t.account.id}
    created = S.expect(api(t.admin).post("/api/v1/accounts", json=first,
                                         headers={"Idempotency-Key": k}), 201)
    other = dict(first, name=S.unique("it-idem-b-"))
    S.expect_field_errors(api(t.admin).post("/api/v1/accounts", json=other,
                                            headers={"Idempotency-Key": k}), "Idempotency-Key")
    assert sql.count_accounts(name=other["name"]) == 0
    # The first body again is a replay of the first answer.
    again = api(t.admin).post("/api/v1/accounts", json=first, headers={"Idempotency-Key": k})
    assert S.expect(again, 201)["id"] == created["id"]
    assert again.headers.get("Idempotent-Replayed") == "true", S.describe(again)
    assert sql.count_accounts(name=first["name"]) == 1
    assert sql.value("SELECT request FROM idempotency_keys WHERE idem_key=%s", k)


def test_maint_removes_keys_older_than_a_day(env, sql, shop):
    t, _ = shop
    old, fresh = key(), key()
    sql.rows("INSERT INTO request_keys (uid, idem_key, request, fingerprint, status, created_at)"
             " VALUES (%s,%s,'POST /x',REPEAT('0',64),201, CURRENT_TIMESTAMP(6) - INTERVAL 25 HOUR)",
             t.admin.uid, old)
    sql.rows("INSERT INTO request_keys (uid, idem_key, request, fingerprint, status)"
             " VALUES (%s,%s,'POST /x',REPEAT('0',64),201)", t.admin.uid, fresh)
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--config", env["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Idempotency-Key(s) older than a day removed" in run.stdout, run.stdout
    left = {r["idem_key"] for r in sql.rows(
        "SELECT idem_key FROM request_keys WHERE idem_key IN (%s,%s)", old, fresh)}
    assert left == {fresh}


def test_a_long_path_with_a_key_gets_the_routes_own_answer(api, sql, shop):
    """The request line is kept whole (no 500 for a path longer than a
    short column): an unknown 1,500-character feature is the route's 404."""
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/licenses/{'f' * 1500}/consume"
    for _ in range(2):
        S.expect_problem(api(t.admin).post(path, json={"quantity": 1},
                                           headers={"Idempotency-Key": key()}), 404)


# ---------------------------------------------------------------- round 6: a repeat waits

def running_row(sql, uid, k, path, body):
    """A claimed key without an answer: a first request still running."""
    import hashlib
    import json
    fp = hashlib.sha256(json.dumps(body, separators=(",", ":"), sort_keys=True).encode()).hexdigest()
    sql.rows("INSERT INTO request_keys (uid, idem_key, request, fingerprint) VALUES (%s,%s,%s,%s)",
             uid, k, f"POST {path}", fp)


def in_flight(send):
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(1)
    future = pool.submit(send)
    pool.shutdown(wait=False)
    return future


def test_a_repeat_waits_for_the_first_request_and_gets_its_answer(api, sql, shop):
    """round-6 walkthroughs of seeds 001 (D2) and 003 (O1): a repeat that
    arrived while the first request with its key still ran got 409 "still
    being processed". It waits for the first to end: then it gets the
    kept answer, or, when the first was refused and freed its key, it runs
    itself. (The first request is played by the test: a claimed row it
    finishes or frees a second after the repeat was sent.)"""
    import time
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/orders"
    finished = key()
    running_row(sql, t.admin.uid, finished, path, LINES)
    repeat = in_flight(lambda: api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": finished}))
    time.sleep(1)
    sql.rows("UPDATE request_keys SET status=201, headers=%s, body=%s WHERE uid=%s AND idem_key=%s",
             "Location: /api/v1/orders/424242\r\n", '{"id":"424242","status":"draft"}', t.admin.uid,
             finished)
    r = repeat.result(timeout=30)
    assert S.expect(r, 201) == {"id": "424242", "status": "draft"}, S.describe(r)
    assert r.headers["Location"] == "/api/v1/orders/424242"
    assert r.headers.get("Idempotent-Replayed") == "true", S.describe(r)
    assert orders_of(sql, cust.id) == 0
    # The first was refused (its key freed) while the repeat waited: the
    # repeat runs itself, as a later one would.
    freed = key()
    running_row(sql, t.admin.uid, freed, path, LINES)
    repeat = in_flight(lambda: api(t.admin).post(path, json=LINES, headers={"Idempotency-Key": freed}))
    time.sleep(1)
    sql.rows("DELETE FROM request_keys WHERE uid=%s AND idem_key=%s", t.admin.uid, freed)
    r = repeat.result(timeout=30)
    S.expect(r, 201)
    assert "Idempotent-Replayed" not in r.headers
    assert orders_of(sql, cust.id) == 1


def test_a_double_clicked_create_form_gets_the_first_answer(api, sql, make_tenant):
    """round-6 walkthroughs of seeds 001 (D2) and 003 (O1): docs/api.md's
    example promises that a second click on Create gets the same 303; a
    click that arrived while the first still ran was sent to error_to
    (409), so the person saw the error page though the account existed.
    Both clicks at once now get the same 303 to the account, and there is
    one account."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    t = make_tenant("idem-dbl")
    for _ in range(3):
        name = S.unique("it-idem-dbl-")
        fields = [("kind", "customer"), ("name", name), ("parent_id", str(t.account.id)),
                  ("_idempotency_key", key()), ("return_to", FRONT + "/accounts/{id}"),
                  ("error_to", FRONT + "/accounts/new")]
        start = threading.Barrier(2)

        def click(_):
            start.wait()
            return api(t.admin).form("POST", "/api/v1/accounts", fields)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(click, range(2)))
        assert sql.count_accounts(name=name) == 1
        acc_id = sql.value("SELECT id FROM accounts WHERE name=%s", name)
        for r in answers:
            assert r.status_code == 303, S.describe(r)
            assert r.headers["Location"] == f"{FRONT}/accounts/{acc_id}", S.describe(r)


def test_a_double_submitted_invitation_waits_and_mails_once(api, sql, shop):
    """The same for a JSON client's Idempotency-Key on any other POST: two
    identical invitations at once get the same 202, and one invitation is
    made and mailed."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    t, cust = shop
    path = f"/api/v1/accounts/{cust.id}/invitations"
    for _ in range(3):
        email = S.unique_mail("idem-dbl-")
        k = key()
        start = threading.Barrier(2)

        def send(_):
            start.wait()
            return api(t.admin).post(path, json={"email": email, "role": "member"},
                                     headers={"Idempotency-Key": k})

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, range(2)))
        bodies = [S.expect(r, 202) for r in answers]
        assert bodies[0] == bodies[1], bodies
        assert sorted(r.headers.get("Idempotent-Replayed", "") for r in answers) == ["", "true"], \
            [S.describe(r) for r in answers]
        assert sql.value("SELECT COUNT(*) FROM invitations WHERE account_id=%s AND email=%s",
                         int(cust.id), email) == 1
        assert len(S.outbox_rows(sql, recipient=email)) == 1


# ---------------------------------------------------------------- round 20: POST /accounts

def org_body(parent_id, name, contact):
    from conftest import company
    return {"kind": "customer", "name": name, "parent_id": str(parent_id),
            "company": company(name + " GmbH"), "contact": contact}


def test_a_replayed_organization_create_carries_its_contact_and_relation(
        api, sql, make_tenant, make_person, set_roles, invitation_mail):
    """Round-20 walkthrough of seed 003, D3: the Help Center's double-
    submitted "create organization" (POST /accounts with `contact`, a
    partner parent, the same Idempotency-Key) replayed the account without
    `contact` and `relation`, so whoever double-clicked saw no contact
    invited. The replay carries the first answer's `contact` and
    `relation` as it gave them (kept with the key), with the account as it
    is now; nothing is made or mailed twice. Who may not create under the
    partner gets their refusal and nothing of the first answer."""
    t = make_tenant("idem-org")
    email = S.unique_mail("idem-org-")
    name = S.unique("it-idem-org-")
    body = org_body(t.account.id, name,
                    {"first_name": "Fiona", "last_name": "Fuenf", "email": email})
    k = key()
    before = S.outbox_max_id(sql)
    first = api("olivia").post("/api/v1/accounts", json=body, headers={"Idempotency-Key": k})
    made = S.expect(first, 201)
    assert made["contact"]["status"] == "invited" and made["contact"]["email"] == email, made
    assert made["relation"]["status"] == "active", made
    second = api("olivia").post("/api/v1/accounts", json=body, headers={"Idempotency-Key": k})
    again = S.expect(second, 201)
    assert second.headers.get("Idempotent-Replayed") == "true", S.describe(second)
    assert second.headers["Location"] == first.headers["Location"]
    assert again["contact"] == made["contact"] and again["relation"] == made["relation"], again
    assert again == made, (again, made)
    assert sql.count_accounts(name=name) == 1
    assert sql.value("SELECT COUNT(*) FROM invitations WHERE email=%s", email) == 1
    assert sql.value("SELECT COUNT(*) FROM customer_relations WHERE customer_id=%s",
                     int(made["id"])) == 1
    assert [r["template"] for r in S.outbox_rows(sql, recipient=email, after_id=before)] == \
        ["invitation"]

    # Who may not create under the partner (a member of it 403, another
    # tenant's admin 404), with the same key and body: their refusal, no
    # contact or relation of the first answer.
    m = make_person(prefix="idem-org-m")
    set_roles(t.admin, t.account.id, m, ["member"])
    other = make_tenant("idem-org-o")
    for who, status in ((api(m), 403), (api(other.admin), 404)):
        r = who.post("/api/v1/accounts", json=body, headers={"Idempotency-Key": k})
        S.expect_problem(r, status)
        assert email not in r.text and "contact" not in r.json() and "relation" not in r.json(), \
            S.describe(r)
    assert sql.count_accounts(name=name) == 1

    # The contact accepts: a replay is the account as it is now (its
    # contacts name her), with the first answer's contact and relation.
    _, token = invitation_mail(email, after=before)
    uid = S.unique("idemorg")
    S.expect(S.accept_invitation(api, token, uid=uid, password="pw-" + uid), 200)
    later = S.expect(api("olivia").post("/api/v1/accounts", json=body,
                                        headers={"Idempotency-Key": k}), 201)
    assert later["contact"] == made["contact"] and later["relation"] == made["relation"], later
    assert (later["contacts"]["primary"] or {}).get("uid") == uid, later["contacts"]
    # A key kept before migration 089 has no answer kept: the account
    # alone, as before.
    sql.rows("UPDATE idempotency_keys SET answer=NULL WHERE uid='olivia' AND idem_key=%s", k)
    old = S.expect(api("olivia").post("/api/v1/accounts", json=body,
                                      headers={"Idempotency-Key": k}), 201)
    assert "contact" not in old and "relation" not in old and old["id"] == made["id"], old


def test_a_replayed_organization_create_form_carries_its_contact_and_relation(
        api, sql, make_tenant, make_person, set_roles):
    """The same for the Help Center's form (its hidden _idempotency_key),
    with a contact LDAP knows, added at once: the replay's `contact` is
    that addition, and no second mail goes out."""
    t = make_tenant("idem-orgf")
    p = make_person(prefix="idem-orgf-c")
    set_roles("olivia", t.account.id, p, ["member"])
    name = S.unique("it-idem-orgf-")
    fields = [("kind", "customer"), ("name", name), ("parent_id", str(t.account.id)),
              ("company[name]", name + " GmbH"), ("company[street]", "Ringstrasse 1"),
              ("company[postcode]", "1010"), ("company[city]", "Wien"), ("company[country]", "AT"),
              ("contact[email]", p.mail), ("contact[first_name]", "Carl"),
              ("_idempotency_key", key())]
    before = S.outbox_max_id(sql)
    first = api("olivia").form("POST", "/api/v1/accounts", fields)
    made = S.expect(first, 201)
    assert made["contact"] == {"status": "added", "uid": p.uid, "role": "admin"}, made
    assert made["relation"]["status"] == "active", made
    mails = len(S.outbox_rows(sql, recipient=p.mail, after_id=before))
    second = api("olivia").form("POST", "/api/v1/accounts", fields)
    again = S.expect(second, 201)
    assert second.headers.get("Idempotent-Replayed") == "true", S.describe(second)
    assert second.headers["Location"] == first.headers["Location"]
    assert again["contact"] == made["contact"] and again["relation"] == made["relation"], again
    assert sql.count_accounts(name=name) == 1
    assert len(S.outbox_rows(sql, recipient=p.mail, after_id=before)) == mails
