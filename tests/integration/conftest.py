"""Fixtures of accountd's integration tests (run by `./dev test`).

The stack (nginx, accountd, slapd, MariaDB) is started by the dev script,
which passes its addresses in the environment. Every test makes its own
people and accounts with unique names, so tests do not depend on each other
or on their order; only test_resilience.py, test_resilience_sql.py,
test_overload.py, test_resilience_sync.py, test_directory_fallback.py and
test_faults.py (which stop, freeze and kill slapd, MariaDB and accountd, or
restart slapd without syncprov) are moved to the end of the run.
"""
import os
import subprocess
import uuid

import ldap3
import pymysql
import pymysql.cursors
import pytest
from ldap3.utils.hashed import hashed

import support as S

REQUIRED_ENV = (
    "ACCOUNTD_URL", "ACCOUNTD_ORIGIN", "LDAP_URI", "LDAP_BASE", "LDAP_ADMIN_DN",
    "LDAP_ADMIN_PASSWORD", "DEMO_PASSWORD", "SQL_SOCKET", "SQL_DATABASE",
)
DEMO_PEOPLE = ("olivia", "paul", "carla", "mike", "eve")


def pytest_collection_modifyitems(session, config, items):
    # Stable sort: everything keeps its order, the slapd outage comes last.
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(
        ("test_resilience.py", "test_resilience_sql.py", "test_overload.py",
         "test_resilience_sync.py", "test_directory_fallback.py", "test_faults.py")))


@pytest.fixture(scope="session")
def env():
    missing = [k for k in REQUIRED_ENV if not os.environ.get(k)]
    if missing:
        pytest.fail("not started by `./dev test`: missing " + ", ".join(missing))
    for uid in DEMO_PEOPLE:
        S.PASSWORDS.setdefault(uid, os.environ["DEMO_PASSWORD"])
    return os.environ


@pytest.fixture(scope="session")
def ldap_admin(env):
    """ldap3 connection bound as the LDAP administrator. RESTARTABLE, so it
    reconnects by itself after test_resilience restarts slapd."""
    server = ldap3.Server(env["LDAP_URI"], connect_timeout=5)
    conn = ldap3.Connection(server, user=env["LDAP_ADMIN_DN"], password=env["LDAP_ADMIN_PASSWORD"],
                            client_strategy=ldap3.RESTARTABLE, auto_bind=True,
                            receive_timeout=10, raise_exceptions=False)
    yield conn
    try:
        conn.unbind()
    except Exception:
        pass


@pytest.fixture(scope="session")
def sql(env):
    """pymysql as root over the unix socket, wrapped in support.Sql."""
    conn = pymysql.connect(unix_socket=env["SQL_SOCKET"], user="root", password="",
                           database=env["SQL_DATABASE"], autocommit=True, charset="utf8mb4",
                           cursorclass=pymysql.cursors.DictCursor, connect_timeout=5,
                           read_timeout=20, write_timeout=20)
    yield S.Sql(conn)
    conn.close()


@pytest.fixture(scope="session")
def api(env):
    """api(who) -> requests.Session signed in with HTTP Basic as `who` (a uid
    or a Person); api(who, password=...) for a chosen password;
    api(None) is anonymous."""
    sessions = []

    def factory(who=None, password=None):
        if who is None:
            s = S.Api()
        else:
            uid = who.uid if isinstance(who, S.Person) else who
            pw = password if password is not None else S.PASSWORDS[uid]
            s = S.Api(auth=(uid, pw))
        sessions.append(s)
        return s

    yield factory
    for s in sessions:
        s.close()


@pytest.fixture(autouse=True)
def close_sessions():
    """Close every Api session when a test ends (their sockets to nginx,
    left in CLOSE-WAIT, added up to the process's open-file limit over the
    whole run). A session used again later opens a new connection."""
    yield
    for s in list(S.OPEN_SESSIONS):
        s.close()


@pytest.fixture
def anon(api):
    return api(None)


@pytest.fixture(scope="session")
def person(env, ldap_admin):
    """person(uid) -> Person of an existing (demo) person, read from LDAP."""
    cache = {}

    def lookup(uid):
        if uid not in cache:
            entry = S.ldap_entry(ldap_admin, S.person_dn(uid), ["cn", "mail"])
            assert entry is not None, f"demo person {uid} missing in LDAP"
            cache[uid] = S.Person(uid, S.PASSWORDS[uid], S.person_dn(uid),
                                  entry["cn"][0], (entry.get("mail") or [""])[0])
        return cache[uid]

    return lookup


@pytest.fixture(scope="session")
def make_person(env, ldap_admin):
    """make_person(uid=None) -> a fresh inetOrgPerson with its own password.
    cn is "givenName sn", so whatever accountd calls the name, it is cn."""

    def make(uid=None, prefix="tp", given="Test"):
        uid = uid or S.unique(prefix)
        sn = "Person" + uid[-4:]
        cn = f"{given} {sn}"
        mail = f"{uid}@example.org"
        password = "pw-" + uuid.uuid4().hex
        dn = S.person_dn(uid)
        ok = ldap_admin.add(dn, ["top", "person", "organizationalPerson", "inetOrgPerson"], {
            "uid": uid, "cn": cn, "sn": sn, "givenName": given, "mail": mail,
            "userPassword": hashed(ldap3.HASHED_SALTED_SHA, password),
        })
        assert ok, f"LDAP add {dn}: {ldap_admin.result}"
        S.PASSWORDS[uid] = password
        return S.Person(uid, password, dn, cn, mail)

    return make


@pytest.fixture(scope="session")
def operator_id(api):
    r = api("olivia").get("/api/v1/me")
    body = S.expect(r, 200)
    ops = [a for a in body["accounts"] if a.get("kind") == "operator"]
    assert len(ops) == 1, f"olivia should be in exactly one operator account: {body}"
    assert "admin" in ops[0]["roles"], body
    return ops[0]["id"]


def company(name, **over):
    c = {"name": name, "street": "Ringstrasse 1", "postcode": "1010", "city": "Wien", "country": "AT"}
    c.update(over)
    return c


@pytest.fixture(scope="session")
def make_account(api):
    """make_account(owner, kind, parent_id, name=None, **fields) -> Account,
    created with POST /api/v1/accounts as `owner` (asserting 201, Location
    and the id in the body)."""

    def make(owner, kind, parent_id, name=None, **fields):
        name = name or S.unique(f"it-{kind}-")
        body = {"kind": kind, "name": name, "company": company(name + " GmbH")}
        if parent_id is not None:
            body["parent_id"] = str(parent_id)
        body.update(fields)
        r = api(owner).post("/api/v1/accounts", json=body)
        data = S.expect(r, 201)
        assert isinstance(data, dict), S.describe(r)
        account_id = data.get("id")
        assert isinstance(account_id, str) and account_id.isdigit(), f"id not a decimal string: {S.describe(r)}"
        loc = r.headers.get("Location", "")
        assert loc.rstrip("/").endswith(f"/api/v1/accounts/{account_id}"), S.describe(r)
        return S.Account(account_id, name, kind, None if parent_id is None else str(parent_id), loc, data)

    return make


@pytest.fixture(scope="session")
def set_roles(api):
    """set_roles(by, account_id, who, roles) -> PUT the member's roles, assert
    200. Someone who is not yet a member joins first: an operator (olivia)
    invites their mail (LDAP knows it, and for operators every known person
    is in their tenant tree, so they are added at once; for anyone else a
    person outside their tree would get an invitation mail instead)."""

    def put(by, account_id, who, roles):
        path = f"/api/v1/accounts/{account_id}/members/{S.path_quote(who.uid)}"
        r = api(by).put(path, json={"roles": list(roles)})
        if r.status_code == 404 and roles and "no such member" in r.text:
            j = api("olivia").post(f"/api/v1/accounts/{account_id}/invitations",
                                   json={"email": who.mail, "role": list(roles)[0]})
            assert j.status_code == 201 and j.json().get("status") == "added", S.describe(j)
            r = api(by).put(path, json={"roles": list(roles)})
        S.expect(r, 200)
        return r

    return put


@pytest.fixture(scope="session")
def make_tenant(make_person, make_account, set_roles, operator_id):
    """make_tenant() -> Tenant: a partner created by olivia under the operator
    account, with a fresh person made its admin through PUT members.
    make_tenant(prefix, kind="distributor"): a distributor instead, whose
    people are the back office of its child accounts (their orders,
    subscriptions, licenses, invoices and quotes without a role there; a
    partner's people act in a child only by the roles they hold in it:
    round-17 walkthrough of seed 001, D1)."""

    def make(prefix="tenant", kind="partner"):
        account = make_account("olivia", kind, operator_id, name=S.unique(f"it-{prefix}-"))
        admin = make_person(prefix="ta")
        set_roles("olivia", account.id, admin, ["admin"])
        return S.Tenant(account, admin)

    return make


@pytest.fixture
def customer(make_tenant, make_account):
    """(admin, account): a fresh customer account whose only admin is its
    creator (test_accounts.py has its own, returning the whole tenant)."""
    t = make_tenant()
    return t.admin, make_account(t.admin, "customer", t.account.id)


@pytest.fixture
def distributor(make_account, make_person, set_roles, operator_id):
    """(admin, account): a fresh distributor (created by olivia) and a fresh
    person who is its admin."""
    acc = make_account("olivia", "distributor", operator_id)
    admin = make_person(prefix="da")
    set_roles("olivia", acc.id, admin, ["admin"])
    return admin, acc


@pytest.fixture(scope="session")
def dev(env):
    """dev('slapd-stop') / dev('slapd-start'): the stack script's commands."""

    def run(command):
        script = env.get("ACCOUNTD_DEV")
        state = env.get("ACCOUNTD_STATE")
        assert script and state, "ACCOUNTD_DEV and ACCOUNTD_STATE are needed"
        p = subprocess.run([script, command, state], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"{script} {command}: rc={p.returncode} {p.stdout} {p.stderr}"
        return p

    return run


# ---------------------------------------------------------------- mail

@pytest.fixture(scope="session")
def mailbox(env):
    """The SMTP sink's received messages (support.Mailbox over SMTP_MAILDIR):
    mailbox.wait_for(predicate, timeout=10, to=..., outbox_id=...)."""
    maildir = env.get("SMTP_MAILDIR")
    if not maildir:
        pytest.fail("not started by `./dev test` with an SMTP sink: SMTP_MAILDIR missing")
    assert os.path.isdir(maildir), f"SMTP_MAILDIR {maildir!r} is not a directory"
    return S.Mailbox(maildir)


@pytest.fixture(scope="session")
def invite(api):
    """invite(by, account_id, email, role='member', status=202, **fields) ->
    the JSON answer of POST /accounts/{id}/invitations, asserting status."""

    def post(by, account_id, email, role="member", status=202, **fields):
        body = {"email": email, "role": role}
        body.update(fields)
        r = api(by).post(f"/api/v1/accounts/{account_id}/invitations", json=body)
        data = S.expect(r, status)
        assert isinstance(data, dict), S.describe(r)
        return data

    return post


@pytest.fixture(scope="session")
def invitation_mail(mailbox):
    """invitation_mail(email, after=0) -> (mail, token): the newest mail to
    `email` whose outbox id is above `after`, waiting for it, and the token
    of its invitation link."""

    def wait(email, after=0, timeout=10):
        mails = mailbox.wait_for(lambda m: (m.outbox_id or 0) > after, to=email, timeout=timeout)
        assert mails, f"no mail to {email} (outbox id > {after}) within {timeout} s"
        mail = mails[-1]
        return mail, S.invitation_token(mail)

    return wait
