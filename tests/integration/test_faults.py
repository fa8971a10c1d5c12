"""One change, two stores (issue 7, defects 2 and 4): a server or accountd
itself stopped, frozen (SIGSTOP) or killed at each step of a role change,
an invitation accept, a contact change, an account create, a hand-over and
a project role change; after the
servers are back and `accountd maint --min-age 0` ran, LDAP and MariaDB
agree and every change that stayed is in the audit trail. A 2xx answer
means applied; `unavailable` means not applied; `outcome-unknown` (or a
dead accountd) leaves the decision to the repair job.

accountd runs behind ldap_proxy.LdapProxy for this module (its ldap_uri
is pointed at the proxy and it is restarted), so a test can hold the LDAP
write of a step, or lose its reply. SQL steps are held with
`LOCK TABLES audit WRITE` (every change writes its audit row last, in the
transaction that closes its intent). conftest runs this module at the end;
every server is started again whatever happens.
"""
import os
import re
import signal
import subprocess
import threading
import time
from urllib.parse import urlparse

import pymysql
import pytest

import support as S
from conftest import company
from ldap_proxy import ADD_REQUEST, ADD_RESPONSE, MODIFY_REQUEST, MODIFY_RESPONSE, LdapProxy

ACCOUNTS = "/api/v1/accounts"


# ---------------------------------------------------------------- plumbing

def state_pid(env, name):
    path = os.path.join(env["ACCOUNTD_STATE"], name)
    with open(path) as f:
        return int(f.read().strip())


def signal_server(env, pidfile, sig):
    os.kill(state_pid(env, pidfile), sig)


def run_maint(env):
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")
    run = subprocess.run([binary, "maint", "--min-age", "0", "--config", env["ACCOUNTD_CONF"]],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"maint: {run.stdout} {run.stderr}"
    return run.stdout


class InFlight:
    """A request sent from a thread, so the test can act while it waits."""

    def __init__(self, send):
        self.response = self.error = None
        self.thread = threading.Thread(target=self._run, args=(send,), daemon=True)
        self.thread.start()

    def _run(self, send):
        try:
            self.response = send()
        except Exception as e:  # noqa: BLE001 - reported by result()
            self.error = e

    def result(self, timeout=120):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the request did not end"
        assert self.error is None, repr(self.error)
        return self.response


class TableLock:
    """LOCK TABLES <table> WRITE on a connection of its own: the change's
    last SQL step waits on it."""

    def __init__(self, env, table="audit"):
        self.conn = pymysql.connect(unix_socket=env["SQL_SOCKET"], user="root", password="",
                                    database=env["SQL_DATABASE"], autocommit=True,
                                    connect_timeout=5)
        with self.conn.cursor() as cur:
            cur.execute(f"LOCK TABLES {table} WRITE")

    def release(self):
        try:
            with self.conn.cursor() as cur:
                cur.execute("UNLOCK TABLES")
        except Exception:  # noqa: BLE001 - the server may be gone (that is the test)
            pass
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


def wait_blocked_on_lock(sql, timeout=30):
    """Until one of accountd's statements waits for the table lock."""
    def blocked():
        return sql.value("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST"
                         " WHERE USER='accountd' AND STATE LIKE 'Waiting for table metadata lock%%'")
    assert S.wait_until(blocked, timeout=timeout, interval=0.1), "accountd never waited for the lock"


def wait_until_no_waiter(sql, timeout=30):
    """Until no statement of accountd waits for a table lock any more."""
    def free():
        return sql.value("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST"
                         " WHERE USER='accountd' AND STATE LIKE 'Waiting for table metadata lock%%'") == 0
    assert S.wait_until(free, timeout=timeout, interval=0.1)


def assert_row_not_locked(env, account_id):
    """No SQL lock on the account's row while LDAP works (issue 7: a hung
    slapd pinned the row, then every worker)."""
    conn = pymysql.connect(unix_socket=env["SQL_SOCKET"], user="root", password="",
                           database=env["SQL_DATABASE"], autocommit=False, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM accounts WHERE id=%s FOR UPDATE NOWAIT", (int(account_id),))
            assert cur.fetchall()
        conn.rollback()
    finally:
        conn.close()


def ensure_servers(env, dev):
    """Every server of the stack running and thawed again."""
    for pidfile in ("slapd.pid", "mariadb.pid", "accountd.pid"):
        try:
            os.kill(state_pid(env, pidfile), signal.SIGCONT)
        except (OSError, ValueError):
            pass
    dev("slapd-start")
    dev("mariadb-start")
    dev("accountd-start")


@pytest.fixture(scope="module")
def proxy(env, dev):
    """accountd restarted with its LDAP connections through the proxy; the
    original config and a direct accountd are back at the end."""
    ensure_servers(env, dev)
    u = urlparse(env["LDAP_URI"])
    p = LdapProxy(u.hostname, u.port or 389)
    conf = env["ACCOUNTD_CONF"]
    with open(conf) as f:
        original = f.read()
    with open(conf, "w") as f:
        f.write(re.sub(r"(?m)^ldap_uri\s*=.*$", f"ldap_uri = {p.uri}", original))
    try:
        dev("accountd-stop")
        dev("accountd-start")
        yield p
    finally:
        p.clear()
        with open(conf, "w") as f:
            f.write(original)
        ensure_servers(env, dev)
        dev("accountd-stop")
        dev("accountd-start")
        p.close()


@pytest.fixture
def healthy(env, dev, proxy):
    """Every test starts and ends with all servers up, no hold pending."""
    proxy.clear()
    ensure_servers(env, dev)
    yield
    proxy.clear()
    ensure_servers(env, dev)


def wait_api(api, who):
    """accountd answers again (after a restart or an outage)."""
    r = S.poll(lambda: api(who).get("/api/v1/me"), lambda r: r.status_code == 200, 30)
    S.expect(r, 200)


def intents_closed(sql, account_id):
    open_ = sql.value("SELECT COUNT(*) AS n FROM ldap_intents WHERE account_id=%s AND state='open'",
                      int(account_id))
    assert open_ == 0, sql.rows("SELECT * FROM ldap_intents WHERE account_id=%s", int(account_id))
    row = sql.account(account_id)
    assert row is None or row["intent_id"] is None, row


def check_answer(r, applied):
    """What the client was told matches what the stores hold."""
    if r is None:
        return
    if 200 <= r.status_code < 300:
        assert applied, f"answered {r.status_code} but the change is not there"
    elif r.status_code == 503 and r.headers.get("Content-Type", "").startswith(S.PROBLEM_TYPE):
        slug = r.json().get("type", "").rsplit(":", 1)[-1]
        assert slug in ("unavailable", "outcome-unknown"), S.describe(r)
        # nginx's own 503 for a failed upstream: accountd died (or was never
        # reached); only accountd's own 503 unavailable claims "not applied".
        from_nginx = "accountd is not reachable" in r.json().get("detail", "")
        if slug == "unavailable" and not from_nginx:
            assert not applied, f"answered 'not applied' but the change is there: {S.describe(r)}"
        assert r.headers.get("Retry-After", "").isdigit(), S.describe(r)
    else:
        # 500 (a store refused) means not applied; 502/504 from nginx:
        # accountd died, the repair job decided.
        assert r.status_code in (500, 502, 504), S.describe(r)
        if r.status_code == 500:
            assert not applied, S.describe(r)


# ---------------------------------------------------------------- changes

class RoleChange:
    ldap_write = MODIFY_REQUEST

    def __init__(self, api, make_tenant, make_person, set_roles, **_):
        self.api = api
        self.tenant = make_tenant("fault")
        self.person = make_person(prefix="fm")
        set_roles(self.tenant.admin, self.tenant.account.id, self.person, ["member"])
        self.account_id = self.tenant.account.id
        self.session = api(self.tenant.admin)

    def send(self):
        return self.session.put(f"{ACCOUNTS}/{self.account_id}/members/{self.person.uid}",
                                json={"roles": ["admin", "billing"]}, timeout=120)

    def agree(self, sql, ldap_admin):
        rows = [a for a in sql.audit(self.account_id) if a["action"] == "member.set_roles"
                and a["new_value"]["uid"] == self.person.uid
                and sorted(a["new_value"]["roles"]) == ["admin", "billing"]]
        applied = bool(rows)
        assert len(rows) <= 1, rows
        want = {"admin", "billing"} if applied else {"member"}
        assert S.roles_in_ldap(ldap_admin, self.account_id, self.person) == want, rows
        return applied


class Accept:
    ldap_write = ADD_REQUEST

    def __init__(self, api, make_tenant, invite, invitation_mail, **_):
        self.api = api
        self.tenant = make_tenant("fault")
        self.account_id = self.tenant.account.id
        self.email = S.unique_mail("it-fault-")
        self.inv = invite(self.tenant.admin, self.account_id, self.email, "admin")
        _, self.token = invitation_mail(self.email)
        self.password = "pw-" + S.unique("x")

    def send(self):
        return S.accept_invitation(self.api, self.token, password=self.password)

    def agree(self, sql, ldap_admin):
        inv = S.invitation_row(sql, self.inv["id"])
        uids = S.people_with_mail(ldap_admin, self.email)
        applied = inv["status"] == "accepted"
        audit = [a for a in sql.audit(self.account_id) if a["action"] == "invitation.accept"]
        if applied:
            assert uids == {inv["accepted_uid"]}, (inv, uids)
            person = S.Person(inv["accepted_uid"], self.password, S.person_dn(inv["accepted_uid"]),
                              "", self.email)
            assert S.roles_in_ldap(ldap_admin, self.account_id, person) == {"admin"}
            assert len(audit) == 1, audit
            # The password was set: the new person signs in.
            S.PASSWORDS[person.uid] = self.password
            S.expect(self.api(person.uid).get("/api/v1/me"), 200)
        else:
            assert inv["status"] == "pending", inv
            assert uids == set(), f"a person was left behind: {uids}"
            assert not audit, audit
            # olivia created the tenant's account, its admin was added.
            admins = S.group_members(ldap_admin, self.account_id, "admin")
            assert admins == {S.norm_dn(self.tenant.admin.dn), S.norm_dn(S.person_dn("olivia"))}, admins
        return applied


class ContactChange:
    ldap_write = None  # no LDAP write: the guard only

    def __init__(self, api, make_tenant, make_person, set_roles, **_):
        self.tenant = make_tenant("fault")
        self.account_id = self.tenant.account.id
        self.contact = make_person(prefix="fc")
        set_roles(self.tenant.admin, self.account_id, self.contact, ["admin"])
        self.session = api(self.tenant.admin)

    def send(self):
        return self.session.put(f"{ACCOUNTS}/{self.account_id}/contacts/primary",
                                json={"uid": self.contact.uid}, timeout=120)

    def agree(self, sql, ldap_admin):
        row = sql.row("SELECT uid FROM account_contacts WHERE account_id=%s AND kind='primary'",
                      int(self.account_id))
        audit = [a for a in sql.audit(self.account_id) if a["action"] == "contact.set"]
        applied = row is not None
        if applied:
            assert row["uid"] == self.contact.uid
            assert len(audit) == 1, audit
        else:
            assert not audit, audit
        assert "admin" in S.roles_in_ldap(ldap_admin, self.account_id, self.contact)
        return applied


class Create:
    ldap_write = ADD_REQUEST

    def __init__(self, api, make_tenant, **_):
        self.tenant = make_tenant("fault")
        self.parent = self.tenant.account.id
        self.name = S.unique("it-fault-create-")
        self.session = api(self.tenant.admin)
        self.account_id = None

    def send(self):
        return self.session.post(ACCOUNTS, json={"kind": "customer", "name": self.name,
                                                 "parent_id": self.parent,
                                                 "company": company(self.name)}, timeout=120)

    def agree(self, sql, ldap_admin):
        intent = sql.row("SELECT account_id FROM ldap_intents WHERE kind='create-account'"
                         " AND actor=%s ORDER BY id DESC LIMIT 1", self.tenant.admin.uid)
        assert intent, "the create recorded no intent"
        self.account_id = str(intent["account_id"])
        row = sql.account(self.account_id)
        applied = row is not None
        entry = S.ldap_entry(ldap_admin, S.account_dn(self.account_id))
        if applied:
            assert row["ldap_state"] == "done" and row["name"] == self.name, row
            assert entry is not None
            assert S.group_members(ldap_admin, self.account_id, "admin") == {
                S.norm_dn(self.tenant.admin.dn)}
            assert [a for a in sql.audit(self.account_id) if a["action"] == "account.create"]
        else:
            assert entry is None, "LDAP entries of an account that does not exist"
            assert not sql.rows("SELECT id FROM accounts WHERE name=%s", self.name)
        return applied


class Handover:
    """The hand-over of a staged account (issue 9): the customer accepts
    the transfer invitation; in one plan they become admin and the
    partner's two people move from admin to service-provider; the SQL side
    (access rows, recipients, contacts, active, mails, audit) is the
    commit. Held at a provider's move (its service-provider add)."""
    ldap_write = MODIFY_REQUEST
    ldap_containing = b"cn=service-provider,"

    def __init__(self, api, make_tenant, make_person, set_roles, make_account, invitation_mail, **_):
        self.api = api
        self.tenant = make_tenant("fault")
        acc = make_account(self.tenant.admin, "customer", self.tenant.account.id, staged=True)
        self.account_id = acc.id
        self.colleague = make_person(prefix="fh")
        # One of the partner's people (the hand-over moves only those).
        set_roles("olivia", self.tenant.account.id, self.colleague, ["member"])
        set_roles(self.tenant.admin, self.account_id, self.colleague, ["admin"])
        self.email = S.unique_mail("it-fault-ho-")
        r = api(self.tenant.admin).post(f"{ACCOUNTS}/{self.account_id}/transfer", json={"email": self.email})
        self.inv = S.expect(r, 202)
        _, self.token = invitation_mail(self.email)
        self.password = "pw-" + S.unique("x")
        self.partner_dns = {S.norm_dn(self.tenant.admin.dn), S.norm_dn(self.colleague.dn)}

    def send(self):
        # Undoing several steps against a frozen slapd takes longer than
        # the client's default timeout.
        return self.api(None).post(f"/api/v1/invitations/{S.path_quote(self.token)}/accept",
                                   json={"password": self.password}, timeout=120)

    def agree(self, sql, ldap_admin):
        inv = S.invitation_row(sql, self.inv["id"])
        row = sql.account(self.account_id)
        uids = S.people_with_mail(ldap_admin, self.email)
        access = {r["uid"] for r in sql.rows("SELECT uid FROM service_provider_access WHERE account_id=%s",
                                              int(self.account_id))}
        actions = [a["action"] for a in sql.audit(self.account_id)]
        admins = S.group_members(ldap_admin, self.account_id, "admin")
        providers = S.group_members(ldap_admin, self.account_id, "service-provider")
        applied = row["status"] == "active"
        if applied:
            assert inv["status"] == "accepted" and uids == {inv["accepted_uid"]}, (inv, uids)
            assert admins == {S.norm_dn(S.person_dn(inv["accepted_uid"]))}, admins
            assert providers == self.partner_dns, providers
            assert access == {self.tenant.admin.uid, self.colleague.uid}, access
            assert actions.count("transfer.complete") == 1 and actions.count("transfer.demote") == 2, actions
            assert actions.count("invitation.accept") == 1, actions
            contacts = {r["kind"]: r["uid"] for r in sql.rows(
                "SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(self.account_id))}
            assert contacts == {"primary": inv["accepted_uid"], "technical": inv["accepted_uid"]}, contacts
            S.PASSWORDS[inv["accepted_uid"]] = self.password
            S.expect(self.api(inv["accepted_uid"]).get(f"{ACCOUNTS}/{self.account_id}"), 200)
        else:
            assert row["status"] == "staged", row
            assert inv["status"] == "pending", inv
            assert uids == set(), f"a person was left behind: {uids}"
            assert admins == self.partner_dns, admins
            assert providers == set(), providers
            assert access == set(), access
            assert "transfer.complete" not in actions and "transfer.demote" not in actions, actions
        return applied


class ProjectRole:
    """A person's role in a project (seed 003, STACKIT method 2): reader
    becomes editor, a saga step like an account's role change. Held at the
    add to the editor group."""
    ldap_write = MODIFY_REQUEST
    ldap_containing = b"cn=editor,"

    def __init__(self, api, make_tenant, make_person, set_roles, **_):
        self.tenant = make_tenant("fault")
        self.account_id = self.tenant.account.id
        self.session = api(self.tenant.admin)
        r = self.session.post(f"{ACCOUNTS}/{self.account_id}/projects",
                              json={"name": S.unique("fault-prj-")})
        self.project_id = S.expect(r, 201)["id"]
        # A project role goes to people of the account (docs/api.md).
        self.person = make_person(prefix="fp")
        set_roles(self.tenant.admin, self.account_id, self.person, ["member"])
        S.expect(self.session.put(self.path(), json={"role": "reader"}), 200)

    def path(self):
        return f"/api/v1/projects/{self.project_id}/members/{self.person.uid}"

    def send(self):
        return self.session.put(self.path(), json={"role": "editor"}, timeout=120)

    def agree(self, sql, ldap_admin):
        rows = [a for a in sql.audit(self.account_id) if a["action"] == "project.member.set"
                and a["new_value"]["uid"] == self.person.uid
                and a["new_value"]["roles"] == ["editor"]]
        applied = bool(rows)
        assert len(rows) <= 1, rows
        want = {"editor"} if applied else {"reader"}
        have = S.project_roles_in_ldap(ldap_admin, self.account_id, self.project_id, self.person)
        assert have == want, (have, rows)
        return applied


class SelfDemotion:
    """The seed-000 hand-over by role change: the partner's admin of a
    staged account, with the customer admin already in, changes their own
    role to service-provider; the SQL step makes the account active, names
    the customer as contacts and writes the provider's access row. Held at
    the add to the service-provider group."""
    ldap_write = MODIFY_REQUEST
    ldap_containing = b"cn=service-provider,"

    def __init__(self, api, make_tenant, make_account, invite, invitation_mail, **_):
        self.api = api
        self.tenant = make_tenant("fault")
        acc = make_account(self.tenant.admin, "customer", self.tenant.account.id, staged=True)
        self.account_id = acc.id
        email = S.unique_mail("it-fault-sd-")
        invite(self.tenant.admin, self.account_id, email, "admin")
        _, token = invitation_mail(email)
        password = "pw-" + S.unique("x")
        self.customer = S.expect(S.accept_invitation(api, token, password=password), 200)["uid"]
        self.session = api(self.tenant.admin)

    def send(self):
        return self.session.put(f"{ACCOUNTS}/{self.account_id}/members/{self.tenant.admin.uid}",
                                json={"roles": ["service-provider"]}, timeout=120)

    def agree(self, sql, ldap_admin):
        row = sql.account(self.account_id)
        actions = [a["action"] for a in sql.audit(self.account_id)]
        access = {r["uid"] for r in sql.rows("SELECT uid FROM service_provider_access WHERE account_id=%s",
                                              int(self.account_id))}
        contacts = {r["kind"]: r["uid"] for r in sql.rows(
            "SELECT kind, uid FROM account_contacts WHERE account_id=%s", int(self.account_id))}
        admins = S.group_members(ldap_admin, self.account_id, "admin")
        providers = S.group_members(ldap_admin, self.account_id, "service-provider")
        me, customer = S.norm_dn(self.tenant.admin.dn), S.norm_dn(S.person_dn(self.customer))
        applied = row["status"] == "active"
        if applied:
            assert admins == {customer} and providers == {me}, (admins, providers)
            assert access == {self.tenant.admin.uid}, access
            assert contacts == {"primary": self.customer, "technical": self.customer}, contacts
            assert actions.count("transfer.complete") == 1, actions
        else:
            assert row["status"] == "staged", row
            assert admins == {me, customer} and providers == set(), (admins, providers)
            assert access == set() and contacts == {}, (access, contacts)
            assert "transfer.complete" not in actions, actions
        return applied


class ProjectAccept:
    """Accepting a project invitation (seed 003, STACKIT method 2): the
    person is created with only the project role. Held at the add to the
    project's reader group."""
    ldap_write = MODIFY_REQUEST
    ldap_containing = b"cn=reader,"

    def __init__(self, api, make_tenant, invitation_mail, **_):
        self.api = api
        self.tenant = make_tenant("fault")
        self.account_id = self.tenant.account.id
        session = api(self.tenant.admin)
        self.project_id = S.expect(session.post(f"{ACCOUNTS}/{self.account_id}/projects",
                                                json={"name": S.unique("fault-pa-")}), 201)["id"]
        self.email = S.unique_mail("it-fault-pa-")
        self.inv = S.expect(session.post(f"/api/v1/projects/{self.project_id}/invitations",
                                         json={"email": self.email, "role": "reader"}), 202)
        _, self.token = invitation_mail(self.email)
        self.password = "pw-" + S.unique("x")

    def send(self):
        return self.api(None).post(f"/api/v1/invitations/{S.path_quote(self.token)}/accept",
                                   json={"password": self.password}, timeout=120)

    def agree(self, sql, ldap_admin):
        inv = S.invitation_row(sql, self.inv["id"])
        uids = S.people_with_mail(ldap_admin, self.email)
        audit = [a for a in sql.audit(self.account_id) if a["action"] == "invitation.accept"]
        applied = inv["status"] == "accepted"
        if applied:
            assert uids == {inv["accepted_uid"]}, (inv, uids)
            person = S.Person(inv["accepted_uid"], self.password, S.person_dn(inv["accepted_uid"]),
                              "", self.email)
            assert S.project_roles_in_ldap(ldap_admin, self.account_id, self.project_id, person) == {"reader"}
            assert S.roles_in_ldap(ldap_admin, self.account_id, person) == set()
            assert len(audit) == 1, audit
            S.PASSWORDS[person.uid] = self.password
            S.expect(self.api(person.uid).get(f"/api/v1/projects/{self.project_id}"), 200)
        else:
            assert inv["status"] == "pending", inv
            assert uids == set(), f"a person was left behind: {uids}"
            assert S.project_members(ldap_admin, self.account_id, self.project_id, "reader") == set()
            assert not audit, audit
        return applied


CHANGES = {"roles": RoleChange, "accept": Accept, "contact": ContactChange, "create": Create,
           "handover": Handover, "project": ProjectRole,
           "selfdemote": SelfDemotion, "projectaccept": ProjectAccept}


@pytest.fixture
def make_change(api, make_tenant, make_person, set_roles, make_account, invite, invitation_mail):
    def make(name):
        return CHANGES[name](api=api, make_tenant=make_tenant, make_person=make_person,
                             set_roles=set_roles, make_account=make_account, invite=invite,
                             invitation_mail=invitation_mail)
    return make


def settle(env, sql, ldap_admin, change, response):
    """Repair, then check that the stores agree and the answer was true."""
    out = run_maint(env)
    applied = change.agree(sql, ldap_admin)
    intents_closed(sql, change.account_id)
    check_answer(response, applied)
    return applied, out


# ---------------------------------------------------------------- SQL step

SQL_FAULTS = ["kill-accountd", "freeze-accountd", "stop-mariadb", "freeze-mariadb"]


@pytest.mark.parametrize("change_name", ["roles", "accept", "contact", "create", "handover",
                                         "project", "selfdemote", "projectaccept"])
@pytest.mark.parametrize("fault", SQL_FAULTS)
def test_fault_at_the_sql_step(env, dev, sql, ldap_admin, api, healthy, make_change, change_name,
                               fault):
    change = make_change(change_name)
    lock = TableLock(env)
    response = None
    try:
        flight = InFlight(change.send)
        wait_blocked_on_lock(sql)
        if fault == "kill-accountd":
            signal_server(env, "accountd.pid", signal.SIGKILL)
            response = flight.result()
            lock.release()
            dev("accountd-start")
        elif fault == "freeze-accountd":
            signal_server(env, "accountd.pid", signal.SIGSTOP)
            try:
                lock.release()  # the statement goes on while accountd sleeps
                wait_until_no_waiter(sql)
            finally:
                signal_server(env, "accountd.pid", signal.SIGCONT)
            response = flight.result()
        elif fault == "stop-mariadb":
            dev("mariadb-stop")
            response = flight.result()
            dev("mariadb-start")
        else:
            signal_server(env, "mariadb.pid", signal.SIGSTOP)
            try:
                response = flight.result()
            finally:
                signal_server(env, "mariadb.pid", signal.SIGCONT)
    finally:
        lock.release()
    wait_api(api, "olivia")
    applied, out = settle(env, sql, ldap_admin, change, response)
    if fault == "kill-accountd":
        # accountd died with the LDAP side made: the repair job decided and
        # said so in the audit trail.
        trail = sql.audit(change.account_id) if change.account_id else []
        assert "intent" in out, out
        assert any(a["action"] == "repair.undo" or S.json_contains(a["new_value"], "accountd maint")
                   for a in trail), trail
    # The account takes the next change at once (the guard is free).
    if change_name != "create" and not applied:
        r = change.send()
        assert r.status_code in (200, 201), S.describe(r)


# ---------------------------------------------------------------- LDAP step

LDAP_FAULTS = ["freeze-slapd", "stop-slapd", "kill-slapd", "kill-accountd", "freeze-accountd"]


@pytest.mark.parametrize("change_name", ["roles", "accept", "create", "handover", "project",
                                         "selfdemote", "projectaccept"])
@pytest.mark.parametrize("fault", LDAP_FAULTS)
def test_fault_at_the_ldap_step(env, dev, sql, ldap_admin, api, healthy, proxy, make_change,
                                change_name, fault):
    change = make_change(change_name)
    hold = proxy.hold_next(change.ldap_write, getattr(change, "ldap_containing", None))
    flight = InFlight(change.send)
    assert hold.held.wait(30), "the change never reached its LDAP write"
    account = change.account_id or None
    if fault == "freeze-slapd":
        signal_server(env, "slapd.pid", signal.SIGSTOP)
        try:
            hold.release()  # on the wire to a frozen slapd
            if account:
                assert_row_not_locked(env, account)
            response = flight.result()
        finally:
            signal_server(env, "slapd.pid", signal.SIGCONT)
    elif fault == "stop-slapd":
        dev("slapd-stop")
        hold.drop()
        response = flight.result()
        dev("slapd-start")
    elif fault == "kill-slapd":
        signal_server(env, "slapd.pid", signal.SIGKILL)
        hold.drop()
        response = flight.result()
        dev("slapd-start")
    elif fault == "freeze-accountd":
        signal_server(env, "accountd.pid", signal.SIGSTOP)
        try:
            hold.release()  # slapd answers a process that sleeps
        finally:
            signal_server(env, "accountd.pid", signal.SIGCONT)
        response = flight.result()
    else:
        signal_server(env, "accountd.pid", signal.SIGKILL)
        hold.release()  # it was on the wire: slapd makes it
        response = flight.result()
        dev("accountd-start")
    wait_api(api, "olivia")
    # A frozen slapd answers what it had queued once it runs again: wait
    # until the directory answers before the repair job reads it.
    S.wait_until(lambda: ldap_admin.search(S.PEOPLE_DN, "(uid=olivia)") or None, timeout=30)
    settle(env, sql, ldap_admin, change, response)


def test_frozen_slapd_pins_no_row_and_no_other_account(env, sql, ldap_admin, api, healthy, proxy,
                                                      make_change, make_tenant):
    """While one account's role change waits for a frozen slapd, its row is
    not locked and another account's SQL-only work goes on."""
    change = make_change("roles")
    other = make_tenant("fault-other")
    hold = proxy.hold_next(MODIFY_REQUEST)
    flight = InFlight(change.send)
    assert hold.held.wait(30)
    signal_server(env, "slapd.pid", signal.SIGSTOP)
    try:
        hold.release()
        started = time.monotonic()
        assert_row_not_locked(env, change.account_id)
        # The guard (accounts.intent_id) is taken, nothing else is held.
        assert sql.account(change.account_id)["intent_id"] is not None
        r = sql.rows("UPDATE accounts SET updated_at = updated_at WHERE id IN (%s, %s)",
                     int(change.account_id), int(other.account.id))
        assert time.monotonic() - started < 5, "another session waited for the account's row"
        response = flight.result()
    finally:
        signal_server(env, "slapd.pid", signal.SIGCONT)
    assert response.status_code == 503, S.describe(response)
    wait_api(api, "olivia")
    settle(env, sql, ldap_admin, change, response)
    del r


# ---------------------------------------------------------------- lost replies (defect 4)

def test_accept_whose_add_reply_is_lost_sets_the_password(api, sql, ldap_admin, healthy, proxy,
                                                          make_change):
    """The person's add is made, its reply lost; the retry finds the entry.
    It is this accept's own entry (its marker), so the password is set and
    the person signs in: never an entry adopted without a password."""
    change = make_change("accept")
    loss = proxy.lose_next_response(ADD_RESPONSE)
    r = change.send()
    assert loss.lost.is_set(), "no add reply was lost"
    body = S.expect(r, 200)
    assert body["created"] is True, body
    assert change.agree(sql, ldap_admin)
    intents_closed(sql, change.account_id)
    entry = S.ldap_entry(ldap_admin, S.person_dn(body["uid"]), ["description"])
    assert entry["description"][0].startswith("accountd intent "), entry


def test_role_change_whose_reply_is_lost_is_exact(api, sql, ldap_admin, healthy, proxy,
                                                  make_change):
    change = make_change("roles")
    loss = proxy.lose_next_response(MODIFY_RESPONSE)
    r = change.send()
    assert loss.lost.is_set()
    S.expect(r, 200)
    assert change.agree(sql, ldap_admin)
    intents_closed(sql, change.account_id)


def test_compensation_after_a_lost_reply_undoes_the_role(env, api, sql, ldap_admin, healthy, proxy,
                                                         make_tenant, make_person, set_roles):
    """Adding a known person (a member of the tenant, so added at once):
    the role add is made, its reply lost, and the retry finds the member
    there. The audit row then fails (a trigger refuses it): the
    compensation must take the role back, although the retry's answer alone
    would say "nothing changed"."""
    t = make_tenant("fault")
    known = make_person(prefix="fk")
    set_roles(t.admin, t.account.id, known, ["member"])
    trigger = "it_refuse_" + known.uid.replace("-", "_")
    sql.rows(f"CREATE TRIGGER {trigger} BEFORE INSERT ON audit FOR EACH ROW"
             f" IF NEW.new_value LIKE '%%{known.uid}%%' THEN"
             f" SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF")
    try:
        loss = proxy.lose_next_response(MODIFY_RESPONSE)
        r = api(t.admin).post(f"{ACCOUNTS}/{t.account.id}/invitations",
                              json={"email": known.mail, "role": "billing"})
        assert loss.lost.is_set()
        S.expect_problem(r, 500)
    finally:
        sql.rows(f"DROP TRIGGER IF EXISTS {trigger}")
    assert S.roles_in_ldap(ldap_admin, t.account.id, known) == {"member"}
    intents_closed(sql, t.account.id)
    assert sql.value("SELECT state FROM ldap_intents WHERE account_id=%s AND kind='add-member'"
                     " ORDER BY id DESC LIMIT 1", int(t.account.id)) == "undone"


def test_revoked_while_its_accept_was_left_open_is_undone(env, dev, sql, ldap_admin, api, healthy,
                                                          make_change):
    """Issue 7: accountd killed during an accept's last SQL step left the
    person admin with the invitation pending, and revoking it then left the
    admin. Now the accept's intent stays open; the invitation is revoked
    meanwhile; the repair job cannot finish an accept of a revoked
    invitation, so it undoes it: the person and the role go, and the audit
    trail says so."""
    change = make_change("accept")
    lock = TableLock(env)
    try:
        flight = InFlight(change.send)
        wait_blocked_on_lock(sql)
        signal_server(env, "accountd.pid", signal.SIGKILL)
        response = flight.result()
    finally:
        lock.release()
    dev("accountd-start")
    wait_api(api, "olivia")
    # LDAP has the new person as admin; the invitation is still pending.
    assert len(S.people_with_mail(ldap_admin, change.email)) == 1
    r = api(change.tenant.admin).delete(
        f"{ACCOUNTS}/{change.account_id}/invitations/{change.inv['id']}")
    S.expect(r, 204)
    out = run_maint(env)
    assert "accept" in out and "undone" in out, out
    assert S.invitation_row(sql, change.inv["id"])["status"] == "revoked"
    assert S.people_with_mail(ldap_admin, change.email) == set()
    admins = S.group_members(ldap_admin, change.account_id, "admin")
    assert admins == {S.norm_dn(change.tenant.admin.dn), S.norm_dn(S.person_dn("olivia"))}, admins
    intents_closed(sql, change.account_id)
    assert [a for a in sql.audit(change.account_id) if a["action"] == "repair.undo"]
    check_answer(response, applied=False)


def test_closing_waits_for_a_change_in_progress(env, sql, ldap_admin, api, healthy, proxy, make_change):
    """round-5 walkthrough of seed 003: a role change (or an accept) whose
    LDAP step was under way finished on an account closed meanwhile. While
    a change holds the account's guard, DELETE /accounts/{id} is 409
    change-in-progress and closes nothing; once it is done, the close
    works."""
    change = make_change("roles")
    hold = proxy.hold_next(MODIFY_REQUEST)
    flight = InFlight(change.send)
    try:
        assert hold.held.wait(30)
        assert sql.account(change.account_id)["intent_id"] is not None
        r = change.session.delete(f"{ACCOUNTS}/{change.account_id}")
        S.expect_problem(r, 409, "change-in-progress")
        assert sql.account(change.account_id)["status"] == "active"
        assert not [a for a in sql.audit(change.account_id) if a["action"] == "account.close"]
    finally:
        hold.release()
    S.expect(flight.result(), 200)
    assert change.agree(sql, ldap_admin)
    S.expect(change.session.delete(f"{ACCOUNTS}/{change.account_id}"), 204)
    assert sql.account(change.account_id)["status"] == "closed"


# ---------------------------------------------------------------- races with an accept (round 6)

def test_a_resend_during_the_old_links_accept_wins(api, sql, ldap_admin, healthy, proxy, make_change,
                                                   invitation_mail):
    """round-6 walkthrough of seed 003, R1: the accept of the old link is
    held at its person's add; a resend commits meanwhile (a new token and
    mail). The accept must not commit on the replaced token: it is undone
    (nobody left in LDAP) and answers 410 invitation-replaced as the old
    link does from then on; the resent link works."""
    change = make_change("accept")
    hold = proxy.hold_next(ADD_REQUEST)
    flight = InFlight(change.send)
    try:
        assert hold.held.wait(30)
        before = S.outbox_max_id(sql)
        r = api(change.tenant.admin).post(
            f"{ACCOUNTS}/{change.account_id}/invitations/{change.inv['id']}/resend")
        S.expect(r, 202)
    finally:
        hold.release()
    S.expect_problem(flight.result(), 410, "invitation-replaced")
    assert not change.agree(sql, ldap_admin)
    intents_closed(sql, change.account_id)
    _, token = invitation_mail(change.email, after=before)
    assert token != change.token
    change.token = token
    S.expect(change.send(), 200)
    assert change.agree(sql, ldap_admin)


def test_a_hand_over_accept_that_loses_to_a_new_transfer_is_410(api, sql, ldap_admin, healthy, proxy,
                                                                 make_change):
    """round-6 walkthrough of seed 000, D4: the hand-over's accept is held
    at a provider's move; a transfer to another address revokes its
    invitation meanwhile. The accept is undone and answers 410
    invitation-revoked (the documented answer of a revoked link), not
    409."""
    change = make_change("handover")
    hold = proxy.hold_next(change.ldap_write, change.ldap_containing)
    flight = InFlight(change.send)
    try:
        assert hold.held.wait(30)
        r = api(change.tenant.admin).post(f"{ACCOUNTS}/{change.account_id}/transfer",
                                          json={"email": S.unique_mail("it-fault-ho2-")})
        S.expect(r, 202)
    finally:
        hold.release()
    S.expect_problem(flight.result(), 410, "invitation-revoked")
    intents_closed(sql, change.account_id)
    assert S.invitation_row(sql, change.inv["id"])["status"] == "revoked"
    assert sql.account(change.account_id)["status"] == "staged"
    assert S.people_with_mail(ldap_admin, change.email) == set()
    assert S.group_members(ldap_admin, change.account_id, "admin") == change.partner_dns
    assert S.group_members(ldap_admin, change.account_id, "service-provider") == set()
