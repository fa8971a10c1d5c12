"""Shared helpers of accountd's integration tests.

The tests talk to accountd only the way its users do: HTTP through nginx
(requests), the directory with ldap3 as the LDAP administrator, and the
MariaDB tables with pymysql. This module holds the small pieces every test
file needs: the environment, an HTTP session that knows the base URL, DN
builders, and assertion helpers that print the whole answer on failure.
"""
import time
import json
import os
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import ldap3
import requests
from ldap3.utils.dn import parse_dn

URL = os.environ.get("ACCOUNTD_URL", "http://127.0.0.1:18080").rstrip("/")
ORIGIN = os.environ.get("ACCOUNTD_ORIGIN", URL).rstrip("/")
LDAP_BASE = os.environ.get("LDAP_BASE", "dc=example,dc=org")
PEOPLE_DN = f"ou=people,{LDAP_BASE}"
ACCOUNTS_DN = f"ou=accounts,{LDAP_BASE}"
ROLES = ("admin", "service-provider", "billing", "member")
PROBLEM_PREFIX = "urn:accountd:problem:"
PROBLEM_TYPE = "application/problem+json"
EVIL_ORIGIN = "http://evil.example"

# uid -> password of every person the tests may sign in as (demo people are
# added by conftest from DEMO_PASSWORD, fresh ones by make_person).
PASSWORDS = {}


def unique(prefix="t"):
    """A name no earlier run has used: prefix + 8 hex digits."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclass
class Person:
    uid: str
    password: str
    dn: str
    name: str
    mail: str


@dataclass
class Account:
    id: str
    name: str
    kind: str
    parent_id: str
    location: str = ""
    body: dict = field(default_factory=dict)


@dataclass
class Tenant:
    """A fresh partner account (created by olivia) and a fresh person who is
    its admin. Every tenant is unrelated to every other one."""
    account: Account
    admin: Person


# ---------------------------------------------------------------- HTTP

# Every Api made, so that a test's sessions are closed when it ends
# (conftest.py, close_sessions): a session a test keeps in a helper or a
# module-level name held its keep-alive sockets to nginx until the end of
# the run, and the pytest process ran out of file descriptors.
import weakref  # noqa: E402

OPEN_SESSIONS = weakref.WeakSet()


class Api(requests.Session):
    """A requests.Session whose paths are relative to ACCOUNTD_URL, that
    never follows redirects (303s are asserted, not followed) and never
    picks up proxies or .netrc credentials from the environment."""

    def __init__(self, auth=None):
        super().__init__()
        self.trust_env = False
        OPEN_SESSIONS.add(self)
        if auth is not None:
            self.auth = auth

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = URL + url
        kwargs.setdefault("timeout", 20)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)

    def form(self, method, path, fields, origin=ORIGIN, headers=None):
        """Send an application/x-www-form-urlencoded body, as a browser does:
        fields is a list of (key, value) pairs (repeat a key for a list),
        with Origin set unless origin is None."""
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin is not None:
            h["Origin"] = origin
        h.update(headers or {})
        return self.request(method, path, data=fields, headers=h)


def describe(r):
    """One line telling what was asked and what came back."""
    req = r.request
    body = req.body
    if isinstance(body, bytes):
        body = body[:300].decode("utf-8", "replace")
    elif isinstance(body, str):
        body = body[:300]
    return (f"{req.method} {req.url} body={body!r} -> {r.status_code} "
            f"headers={dict(r.headers)} text={r.text[:800]!r}")


def expect(r, status):
    """Assert the status code; return the JSON body when there is one."""
    assert r.status_code == status, f"expected {status}: {describe(r)}"
    ctype = r.headers.get("Content-Type", "")
    if "json" in ctype and r.content:
        return r.json()
    return None


def media_type(r):
    return r.headers.get("Content-Type", "").split(";")[0].strip().lower()


def expect_problem(r, status, slug=None):
    """Assert an RFC 9457 problem+json answer of accountd with this status
    (and type urn:accountd:problem:<slug> when slug is given)."""
    assert r.status_code == status, f"expected {status}: {describe(r)}"
    assert media_type(r) == PROBLEM_TYPE, f"not problem+json: {describe(r)}"
    body = r.json()
    assert isinstance(body, dict), describe(r)
    assert body.get("status") == status, describe(r)
    assert isinstance(body.get("type"), str) and body["type"].startswith(PROBLEM_PREFIX), describe(r)
    assert isinstance(body.get("title"), str) and body["title"], describe(r)
    assert isinstance(body.get("detail"), str), describe(r)
    if slug is not None:
        assert body["type"] == PROBLEM_PREFIX + slug, describe(r)
    return body


def expect_field_errors(r, *names):
    """A 422 validation problem whose `errors` names each of `names`
    (a key equal to the name, or a nested key like company.country,
    company[country] or company/country that ends with it)."""
    body = expect_problem(r, 422, "validation")
    errors = body.get("errors")
    assert isinstance(errors, dict) and errors, f"no errors object: {describe(r)}"
    for name in names:
        assert any(_names_field(k, name) for k in errors), \
            f"errors does not name {name!r}: {errors}"
    return errors


def _names_field(key, name):
    k = key.replace("[", ".").replace("]", "").replace("/", ".")
    return k == name or k.endswith("." + name) or k == name.replace("[", ".").replace("]", "")


def allow_set(r):
    return {m.strip().upper() for m in r.headers.get("Allow", "").split(",") if m.strip()}


def path_quote(s):
    """Percent-encode a path segment completely (no '/' or '*' left)."""
    return quote(s, safe="")


def location_id(r):
    """The account id at the end of a Location header."""
    loc = r.headers.get("Location", "")
    tail = loc.rstrip("/").rsplit("/", 1)[-1]
    return tail


# ---------------------------------------------------------------- LDAP

def person_dn(uid):
    return f"uid={uid},{PEOPLE_DN}"


def account_dn(account_id):
    return f"ou={account_id},{ACCOUNTS_DN}"


def role_dn(account_id, role):
    return f"cn={role},{account_dn(account_id)}"


def norm_dn(dn):
    """Case- and spacing-insensitive form of a DN for comparisons."""
    return ",".join(f"{a.strip().lower()}={v.strip().lower()}" for a, v, _ in parse_dn(dn))


def ldap_entry(conn, dn, attributes=ldap3.ALL_ATTRIBUTES):
    """The attributes of one entry as a dict of lists, or None if absent."""
    ok = conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=attributes)
    if not ok:
        assert conn.result.get("result") == 32, f"LDAP search {dn}: {conn.result}"
        return None
    entries = [e for e in conn.response if e.get("type") == "searchResEntry"]
    assert len(entries) == 1, entries
    return {k.lower(): (v if isinstance(v, list) else [v]) for k, v in entries[0]["attributes"].items()}


def ldap_children(conn, dn):
    """The DNs directly below dn (normalized); None if dn does not exist."""
    ok = conn.search(dn, "(objectClass=*)", search_scope=ldap3.LEVEL, attributes=["1.1"])
    if not ok and conn.result.get("result") == 32:
        return None
    return {norm_dn(e["dn"]) for e in conn.response if e.get("type") == "searchResEntry"}


def group_members(conn, account_id, role):
    """Normalized member DNs of one role group; None if the group is absent."""
    entry = ldap_entry(conn, role_dn(account_id, role), ["member"])
    if entry is None:
        return None
    return {norm_dn(v) for v in entry.get("member", [])}


def project_dn(account_id, project_id, role=None):
    """A project's entry, or one of its role groups (owner, editor, reader)."""
    dn = f"ou={project_id},ou=projects,{account_dn(account_id)}"
    return f"cn={role},{dn}" if role else dn


def project_members(conn, account_id, project_id, role):
    """Normalized member DNs of one project role group (asserted present)."""
    entry = ldap_entry(conn, project_dn(account_id, project_id, role), ["member", "accountdAccountId"])
    assert entry is not None, f"no {role} group for project {project_id}"
    return {norm_dn(v) for v in entry.get("member", [])}


def project_roles_in_ldap(conn, account_id, project_id, person):
    """The roles of a project whose LDAP group lists the person."""
    dn = norm_dn(person.dn)
    return {role for role in ("owner", "editor", "reader")
            if dn in project_members(conn, account_id, project_id, role)}


def roles_in_ldap(conn, account_id, person):
    """The roles of an account whose LDAP group lists the person."""
    dn = norm_dn(person.dn)
    return {role for role in ROLES if dn in (group_members(conn, account_id, role) or set())}


# ---------------------------------------------------------------- SQL

def plant_open_intent(sql, account_id, plan, data):
    """An open set-roles intent as a crash after its LDAP steps leaves it
    (older than `accountd maint`'s --min-age), holding the account's
    guard: plan and data as saga.c writes them. Its id."""
    sql.rows("INSERT INTO ldap_intents (account_id, kind, actor, plan, data, created_at)"
             " VALUES (%s, 'set-roles', 'crashed', %s, %s, CURRENT_TIMESTAMP(6) - INTERVAL 1 HOUR)",
             int(account_id), json.dumps(plan), json.dumps(data))
    intent = sql.value("SELECT MAX(id) AS id FROM ldap_intents WHERE account_id=%s", int(account_id))
    sql.rows("UPDATE accounts SET intent_id=%s WHERE id=%s", intent, int(account_id))
    return intent


class Sql:
    """A pymysql connection (autocommit, so every read sees the latest
    commit) with three small query helpers."""

    def __init__(self, conn):
        self.conn = conn

    def rows(self, query, *args):
        self.conn.ping(reconnect=True)
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall())

    def row(self, query, *args):
        rows = self.rows(query, *args)
        assert len(rows) <= 1, rows
        return rows[0] if rows else None

    def value(self, query, *args):
        row = self.row(query, *args)
        return None if row is None else next(iter(row.values()))

    def account(self, account_id):
        return self.row("SELECT * FROM accounts WHERE id=%s", int(account_id))

    def count_accounts(self, **where):
        """COUNT(*) of accounts matching column=value pairs (all rows if none)."""
        cols = sorted(where)
        clause = " AND ".join(f"{c}=%s" for c in cols) or "1=1"
        return self.value(f"SELECT COUNT(*) AS n FROM accounts WHERE {clause}",
                          *[where[c] for c in cols])

    def audit(self, account_id):
        rows = self.rows("SELECT * FROM audit WHERE account_id=%s ORDER BY id", int(account_id))
        for r in rows:
            for k in ("old_value", "new_value"):
                if isinstance(r.get(k), (str, bytes)):
                    r[k] = json.loads(r[k])
        return rows


def json_contains(value, needle):
    """True when needle occurs anywhere inside a decoded JSON value."""
    return needle in json.dumps(value, ensure_ascii=False)


def wait_until(check, timeout=5.0, interval=0.2):
    """Call check() until it returns a truthy value or timeout seconds pass;
    return the last value. For changes the design allows to show up "at most
    a few seconds later" (LDAP edits made outside accountd)."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ---------------------------------------------------------------- mail

def unique_mail(prefix="it-"):
    """An address no earlier run has used: it-<8 hex>@example.test."""
    return f"{unique(prefix)}@example.test"


def norm_addr(addr):
    return addr.strip().strip("<>").strip().lower()


class Mail:
    """One message the SMTP sink received: the envelope recipients (from the
    sink's leading `X-Envelope-To:` line) and the message itself, parsed
    with email.policy.default (so headers come back RFC 2047-decoded)."""

    def __init__(self, path, envelope_to, msg):
        self.path = path
        self.envelope_to = envelope_to
        self.msg = msg

    @property
    def outbox_id(self):
        value = self.msg.get("X-Accountd-Outbox-Id")
        value = str(value).strip() if value is not None else ""
        return int(value) if value.isdigit() else None

    @property
    def subject(self):
        """The decoded subject (email.header for any encoded word the policy
        left alone)."""
        import email.header
        raw = self.msg.get("Subject")
        if raw is None:
            return None
        return str(email.header.make_header(email.header.decode_header(str(raw))))

    @property
    def to(self):
        return str(self.msg.get("To", ""))

    @property
    def message_id(self):
        value = self.msg.get("Message-ID")
        return None if value is None else str(value).strip()

    @property
    def body(self):
        """The text/plain content, transfer encoding undone."""
        part = self.msg.get_body(preferencelist=("plain",)) if self.msg.is_multipart() else self.msg
        if part is None:
            return ""
        try:
            return part.get_content()
        except (KeyError, LookupError):
            payload = part.get_payload(decode=True) or b""
            return payload.decode("utf-8", "replace")

    def sent_to(self, addr):
        return norm_addr(addr) in self.envelope_to

    def __repr__(self):
        return (f"Mail({os.path.basename(self.path)} outbox_id={self.outbox_id} "
                f"to={self.envelope_to} subject={self.subject!r})")


def parse_mail_file(path):
    import email
    import email.policy
    with open(path, "rb") as f:
        data = f.read()
    # The sink puts the envelope in front of the message, one line each:
    # X-Envelope-To (and X-Envelope-From).
    envelope = []
    while data[:11].lower() == b"x-envelope-":
        line, _, data = data.partition(b"\n")
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"x-envelope-to":
            value = value.decode("utf-8", "replace")
            envelope = [norm_addr(a) for a in value.split(",") if a.strip()]
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return Mail(path, envelope, msg)


class Mailbox:
    """The SMTP sink's directory (SMTP_MAILDIR): one `*.eml` file per
    received message, atomically renamed into place."""

    def __init__(self, maildir):
        self.maildir = maildir
        self._parsed = {}

    def all(self):
        """Every message received so far (parsed once, cached)."""
        found = []
        for root, _dirs, files in os.walk(self.maildir):
            for name in files:
                if name.endswith(".eml") and not name.startswith("."):
                    found.append(os.path.join(root, name))
        for path in found:
            if path not in self._parsed:
                self._parsed[path] = parse_mail_file(path)
        mails = [self._parsed[p] for p in found]
        mails.sort(key=lambda m: (m.outbox_id is None, m.outbox_id or 0, m.path))
        return mails

    def matching(self, predicate=None, to=None, outbox_id=None, outbox_ids=None):
        """Messages sent to `to` (envelope; an address or a collection of
        addresses), with this X-Accountd-Outbox-Id (or one of outbox_ids),
        and for which predicate(mail) is true."""
        if isinstance(to, str):
            to = {norm_addr(to)}
        elif to is not None:
            to = {norm_addr(a) for a in to}
        if outbox_ids is not None:
            outbox_ids = {int(i) for i in outbox_ids}
        out = []
        for m in self.all():
            if to is not None and not (to & set(m.envelope_to)):
                continue
            if outbox_id is not None and m.outbox_id != int(outbox_id):
                continue
            if outbox_ids is not None and m.outbox_id not in outbox_ids:
                continue
            if predicate is not None and not predicate(m):
                continue
            out.append(m)
        return out

    def wait_for(self, predicate=None, timeout=10, count=1, **filters):
        """Poll (every 100 ms, at most timeout seconds) until at least
        `count` messages match; return the matching messages (fewer than
        count if the time ran out: the caller asserts)."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(predicate, **filters)
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)


INVITATION_LINK = r"https?://[^\s<>\"']+/invitations/([A-Za-z0-9_\-=]+)"


def invitation_token(mail):
    """The token of the invitation link in a mail's body (the link's last
    path segment); asserts there is exactly one link."""
    import re
    tokens = re.findall(INVITATION_LINK, mail.body)
    assert len(set(tokens)) == 1, f"expected one invitation link in {mail!r}: {mail.body!r}"
    return tokens[0]


def outbox_rows(sql, recipient=None, account_id=None, after_id=None, ids=None):
    """Rows of mail_outbox, oldest first, filtered by recipient (case
    ignored), account and id."""
    where, args = [], []
    if recipient is not None:
        where.append("LOWER(recipient)=LOWER(%s)")
        args.append(recipient)
    if account_id is not None:
        where.append("account_id=%s")
        args.append(int(account_id))
    if after_id is not None:
        where.append("id>%s")
        args.append(int(after_id))
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return []
        where.append("id IN (" + ",".join(["%s"] * len(ids)) + ")")
        args.extend(ids)
    clause = " AND ".join(where) or "1=1"
    return sql.rows(f"SELECT * FROM mail_outbox WHERE {clause} ORDER BY id", *args)


_SINK = None  # with_bodies' Mailbox: it parses each received file once


def outbox_mails(sql, **filters):
    """outbox_rows with each sent mail's text (with_bodies)."""
    return with_bodies(outbox_rows(sql, **filters))


def with_bodies(rows, timeout=15):
    """rows (of outbox_rows) with each mail's text: the mailer empties a
    row's body once it has sent it (src/mailer.c), so a test reading the
    row after that would read "" — for such a row, the body of the message
    the SMTP sink received for it (X-Accountd-Outbox-Id), line ends as the
    outbox writes them. A row the mailer has not sent keeps its own."""
    global _SINK
    if _SINK is None or _SINK.maildir != os.environ["SMTP_MAILDIR"]:
        _SINK = Mailbox(os.environ["SMTP_MAILDIR"])
    box = _SINK
    out = []
    for r in rows:
        if not r["body"] and r["status"] == "sent":
            got = box.wait_for(outbox_id=r["id"], timeout=timeout)
            if got:
                r = dict(r, body=got[0].body.replace("\r\n", "\n"))
        out.append(r)
    return out


def outbox_max_id(sql):
    """The newest mail_outbox id (0 when empty): a baseline for "mails
    written after this point"."""
    return int(sql.value("SELECT COALESCE(MAX(id), 0) AS n FROM mail_outbox"))


def wait_outbox_settled(sql, timeout=10, **filters):
    """Wait until every mail_outbox row matching filters (see outbox_rows)
    is no longer `queued`; return the rows (some still queued if the time
    ran out: the caller asserts)."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        rows = outbox_rows(sql, **filters)
        if all(r["status"] != "queued" for r in rows) or time.monotonic() >= deadline:
            return rows
        time.sleep(0.1)


def poll(fetch, ok, timeout):
    """Call fetch() until ok(response) or timeout; return the last response."""
    deadline = time.monotonic() + timeout
    while True:
        r = fetch()
        if ok(r) or time.monotonic() >= deadline:
            return r
        time.sleep(0.25)


def assert_unavailable(r):
    """503 problem+json with a positive Retry-After."""
    expect_problem(r, 503, "unavailable")
    retry_after = r.headers.get("Retry-After", "")
    assert retry_after.isdigit() and int(retry_after) > 0, describe(r)


# ---------------------------------------------------------------- invitations

def accept_invitation(api, token, **fields):
    """POST /api/v1/invitations/{token}/accept anonymously (the token is the
    proof); api is the conftest factory."""
    return api(None).post(f"/api/v1/invitations/{path_quote(token)}/accept", json=fields)


def invitation_row(sql, inv_id):
    return sql.row("SELECT * FROM invitations WHERE id=%s", int(inv_id))


def people_with_mail(ldap_admin, mail):
    """uids of LDAP people whose mail is `mail`."""
    from ldap3.utils.conv import escape_filter_chars
    ok = ldap_admin.search(PEOPLE_DN, f"(mail={escape_filter_chars(mail)})",
                           search_scope=ldap3.LEVEL, attributes=["uid"])
    if not ok:
        assert ldap_admin.result.get("result") in (0, 32), ldap_admin.result
        return set()
    return {str(e["attributes"]["uid"][0]) for e in ldap_admin.response if e.get("type") == "searchResEntry"}


def metric(name):
    """The value of one unlabelled metric of GET /metrics (None if absent)."""
    r = requests.get(URL + "/metrics", timeout=10)
    assert r.status_code == 200, describe(r)
    for line in r.text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def member_count_and_list(session, parent_id, child_id):
    """(member_count of child_id in parent_id's overview table, the sorted
    uids of child_id's members list), as session reads them."""
    rows = expect(session.get("/api/v1/accounts", params={"parent_id": parent_id}), 200)["items"]
    count = {i["id"]: i["member_count"] for i in rows}[child_id]
    members = expect(session.get(f"/api/v1/accounts/{child_id}/members"), 200)["items"]
    return count, sorted(m["uid"] for m in members)


def add_no_people(conn):
    """Member values that name no person, for a role group: a DN under
    ou=people without an entry, an entry that is no person
    (cn=accountd,ou=services), and a person outside ou=people (in an OU
    of its own, made here). Returns (dns, cleanup)."""
    ou = f"ou={unique('elsewhere')},{LDAP_BASE}"
    assert conn.add(ou, ["organizationalUnit"]), conn.result
    uid = unique("outsider")
    outsider = f"uid={uid},{ou}"
    assert conn.add(outsider, ["inetOrgPerson"], {"uid": uid, "cn": "Out Sider", "sn": "Sider",
                                                  "mail": f"{uid}@example.org"}), conn.result
    dns = [person_dn(unique("ghost")), f"cn=accountd,ou=services,{LDAP_BASE}", outsider]

    def cleanup(account_id, role):
        for d in dns:  # each on its own: one already gone fails alone
            conn.modify(role_dn(account_id, role), {"member": [(ldap3.MODIFY_DELETE, [d])]})
        conn.delete(outsider)
        conn.delete(ou)

    return dns, cleanup


def wait_for_directory_cache(timeout=20.0):
    """Wait until accountd's directory cache is live (its sync session
    refreshed); assert it got there."""
    assert wait_until(lambda: metric("accountd_directory_cache_live") == 1, timeout, 0.1), \
        "the directory cache did not become live"
