"""Shared helpers of accountd's integration tests.

The tests talk to accountd only the way its users do: HTTP through nginx
(requests), the directory with ldap3 as the LDAP administrator, and the
MariaDB tables with pymysql. This module holds the small pieces every test
file needs: the environment, an HTTP session that knows the base URL, DN
builders, and assertion helpers that print the whole answer on failure.
"""
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

class Api(requests.Session):
    """A requests.Session whose paths are relative to ACCOUNTD_URL, that
    never follows redirects (303s are asserted, not followed) and never
    picks up proxies or .netrc credentials from the environment."""

    def __init__(self, auth=None):
        super().__init__()
        self.trust_env = False
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


def roles_in_ldap(conn, account_id, person):
    """The roles of an account whose LDAP group lists the person."""
    dn = norm_dn(person.dn)
    return {role for role in ROLES if dn in (group_members(conn, account_id, role) or set())}


# ---------------------------------------------------------------- SQL

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
