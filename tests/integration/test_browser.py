"""Web front ends in a real browser: Debian's headless Chromium (browser.py)
signs in with HTTP Basic, loads a small static front end
(tests/integration/frontend/) from a second origin that accountd.conf
allows, and posts its forms to the API, as a person would. The tests check
where the browser ends (URL, status) and what a person reads there, then
the stores. A third origin, not allowed, plays the foreign site.
Screenshots of the error pages go to build-asan/artifacts/.
"""
import http.server
import json
import os
import re
import threading
from functools import partial
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import support as S
from browser import Browser

API = S.URL
FRONT_PORT = int(os.environ.get("ACCOUNTD_FRONTEND_PORT", "18082"))
FOREIGN_PORT = int(os.environ.get("ACCOUNTD_FOREIGN_PORT", "18083"))
FRONT = f"http://127.0.0.1:{FRONT_PORT}"
FOREIGN = f"http://127.0.0.1:{FOREIGN_PORT}"
PAGES = os.path.join(os.path.dirname(__file__), "frontend")
ARTIFACTS = os.environ.get("ACCOUNTD_ARTIFACTS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build-asan", "artifacts")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def front_ends():
    """The static front end served on the allowed origin and on a foreign one."""
    servers = []
    for port in (FRONT_PORT, FOREIGN_PORT):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(QuietHandler, directory=PAGES))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    yield
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def portal(make_tenant, make_account):
    """A partner (its admin signs in) and a customer account under it."""
    t = make_tenant("browser")
    customer = make_account(t.admin, "customer", t.account.id)
    return t, customer


@pytest.fixture(scope="module")
def browser(front_ends, portal):
    t, _ = portal
    b = Browser(t.admin.uid, t.admin.password)
    # Signing in: the password dialog of the API's origin, answered once.
    b.sign_in(API + "/api/v1/me")
    assert b.status() == 200 and t.admin.uid in b.text(), b.documents
    yield b
    b.close()


def page(name, **params):
    q = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in {"api": API, **params}.items())
    return f"{FRONT}/{name}?{q}"


def shot(b, name):
    return b.screenshot(os.path.join(ARTIFACTS, name))


def access_log(env):
    return open(os.path.join(env["ACCOUNTD_STATE"], "nginx", "logs", "access.log")).read()


# ---------------------------------------------------------------- forms

def test_create_ends_on_return_to_with_the_new_id(browser, portal, sql):
    t, _ = portal
    name = S.unique("br-create-")
    browser.goto(page("create.html", parent=t.account.id))
    browser.fill("[name=name]", name)
    browser.fill("[name='company[name]']", name + " GmbH")
    browser.fill("[name='company[country]']", "AT")
    browser.submit()
    new_id = sql.value("SELECT id FROM accounts WHERE name = %s", name)
    assert new_id, "nothing created"
    assert browser.url() == f"{FRONT}/saved.html?account={new_id}", browser.documents
    assert browser.status() == 200
    assert browser.redirects[-1][1] == 303
    assert f"Saved: account {new_id}" in browser.text()
    # The page's hidden _idempotency_key came along (a second click would
    # have been answered from it).
    assert sql.value("SELECT COUNT(*) FROM idempotency_keys WHERE account_id = %s", new_id) == 1


def test_create_with_errors_ends_on_error_to_with_what_was_typed(browser, portal, sql):
    t, _ = portal
    name = S.unique("br-invalid-")
    browser.goto(page("create.html", parent=t.account.id))
    browser.fill("[name=name]", name)
    browser.fill("[name='company[city]']", "Wien & Umgebung")
    browser.fill("[name='company[country]']", "Austria")
    browser.submit()
    url = browser.url()
    assert url.startswith(FRONT + "/create.html?"), browser.documents
    q = parse_qs(urlsplit(url).query)
    assert q["error"] == ["validation"] and q["status"] == ["422"], q
    text = browser.text()
    assert "Not saved" in text and "company.country:" in text, text
    # What the person typed is back in the form.
    assert browser.value("[name=name]") == name
    assert browser.value("[name='company[city]']") == "Wien & Umgebung"
    assert browser.value("[name='company[country]']") == "Austria"
    assert sql.count_accounts(name=name) == 0


def test_without_error_to_the_browser_shows_the_html_error_page(browser, portal, sql):
    t, _ = portal
    name = S.unique("br-html-")
    form_url = page("create.html", parent=t.account.id, no_error_to=1)
    browser.goto(form_url)
    browser.fill("[name=name]", name)
    browser.fill("[name='company[country]']", "<b>Austria</b>")
    browser.submit()
    assert browser.url() == API + "/api/v1/accounts", browser.documents
    assert browser.status() == 422
    text = browser.text()
    assert "Please correct what you entered" in text and "Error 422" in text, text
    assert "company.country" in text
    # The back link goes where the person came from: the front end's origin,
    # as Chromium's default referrer policy (strict-origin-when-cross-origin)
    # tells no more.
    assert browser.eval("document.getElementById('back').href") == FRONT + "/"
    shot(browser, "error-page-422.png")
    assert sql.count_accounts(name=name) == 0


def test_rename_with_the_current_version(browser, portal, sql):
    _, customer = portal
    version = sql.account(customer.id)["version"]
    name = S.unique("br-rename-")
    browser.goto(page("rename.html", account=customer.id, version=version))
    browser.fill("[name=name]", name)
    browser.submit()
    assert browser.url() == f"{FRONT}/saved.html?account={customer.id}", browser.documents
    assert f"Saved: account {customer.id}" in browser.text()
    assert sql.account(customer.id)["name"] == name


def test_a_stale_version_is_refused(browser, portal, api, sql):
    t, customer = portal
    version = sql.account(customer.id)["version"]
    browser.goto(page("rename.html", account=customer.id, version=version))
    # Someone else renames the account after the page was loaded.
    newer = S.unique("br-newer-")
    S.expect(api(t.admin).patch(f"/api/v1/accounts/{customer.id}", json={"name": newer}), 200)
    browser.fill("[name=name]", "overwritten")
    browser.submit()
    assert browser.url().startswith(FRONT + "/rename.html?"), browser.documents
    q = parse_qs(urlsplit(browser.url()).query)
    assert q["error"] == ["stale"] and q["status"] == ["412"], q
    assert "Someone else changed this account in the meantime" in browser.text()
    assert browser.value("[name=name]") == "overwritten"
    assert sql.account(customer.id)["name"] == newer
    # Without error_to: the HTML error page says the same.
    browser.goto(page("rename.html", account=customer.id, version=version, no_error_to=1))
    browser.fill("[name=name]", "overwritten")
    browser.submit()
    assert browser.status() == 412 and browser.url() == f"{API}/api/v1/accounts/{customer.id}"
    assert "Someone else changed this in the meantime" in browser.text()
    shot(browser, "error-page-412.png")
    assert sql.account(customer.id)["name"] == newer


def test_roles_with_no_box_ticked_removes_them(browser, portal, make_person, set_roles, ldap_admin):
    t, customer = portal
    p = make_person()
    set_roles(t.admin, customer.id, p, ["member", "billing"])
    browser.goto(page("roles.html", account=customer.id, uid=p.uid))
    browser.submit()
    assert browser.url() == f"{FRONT}/saved.html?account={customer.id}&member={p.uid}", browser.documents
    assert f"Saved: account {customer.id}, member {p.uid}" in browser.text()
    assert S.roles_in_ldap(ldap_admin, customer.id, p) == set()


def test_roles_ticked(browser, portal, make_person, set_roles, ldap_admin):
    t, customer = portal
    p = make_person()
    set_roles(t.admin, customer.id, p, ["member"])
    browser.goto(page("roles.html", account=customer.id, uid=p.uid))
    browser.check("[name=roles][value=billing]")
    browser.check("[name=roles][value=member]")
    browser.submit()
    assert browser.url() == f"{FRONT}/saved.html?account={customer.id}&member={p.uid}", browser.documents
    assert S.roles_in_ldap(ldap_admin, customer.id, p) == {"billing", "member"}


def test_invite_ends_on_return_to_with_the_invitation(browser, portal, sql):
    _, customer = portal
    email = S.unique("br-inv-") + "@example.net"
    browser.goto(page("invite.html", account=customer.id))
    browser.fill("[name=email]", email)
    browser.submit()
    inv = sql.value("SELECT id FROM invitations WHERE email = %s", email)
    assert inv, "no invitation"
    assert browser.url() == f"{FRONT}/saved.html?account={customer.id}&invitation={inv}", browser.documents
    kept = sql.row("SELECT status, body FROM request_keys WHERE request = %s AND body LIKE %s",
                   f"POST /api/v1/accounts/{customer.id}/invitations", f"%{email}%")
    assert kept and kept["status"] == 202, kept


def test_recipients_textarea(browser, portal, api):
    t, customer = portal
    a, b = S.unique("br-r1-") + "@example.org", S.unique("br-r2-") + "@example.org"
    browser.goto(page("recipients.html", account=customer.id))
    browser.fill("[name=emails]", f"{a}\n{b}\n")
    browser.submit()
    assert browser.url() == f"{FRONT}/saved.html?account={customer.id}", browser.documents
    got = S.expect(api(t.admin).get(f"/api/v1/accounts/{customer.id}/notification-recipients"), 200)
    assert set(got["emails"]) == {a, b}
    # A bad address comes back with the text as typed.
    browser.goto(page("recipients.html", account=customer.id))
    browser.fill("[name=emails]", f"{a}\nnot an address")
    browser.submit()
    assert "emails[1]: must be an e-mail address" in browser.text(), browser.text()
    assert browser.value("[name=emails]") == f"{a}\nnot an address"


# ---------------------------------------------------------------- scripts (CORS)

def js_call(b, method, url, body=None, headers=None):
    args = [json.dumps(method), json.dumps(url), json.dumps(body) if body is not None else "undefined",
            json.dumps(headers or {})]
    return b.eval(f"call({', '.join(args)})", await_promise=True)


def test_fetch_from_an_allowed_origin(browser, portal, sql, env):
    t, customer = portal
    browser.goto(f"{FRONT}/script.html")
    me = js_call(browser, "GET", API + "/api/v1/me")
    assert me.get("status") == 200, me
    assert json.loads(me["text"])["uid"] == t.admin.uid
    url = f"{API}/api/v1/accounts/{customer.id}"
    got = js_call(browser, "GET", url)
    assert got.get("status") == 200 and got["etag"], got   # ETag exposed to the script
    name = S.unique("br-fetch-")
    r = js_call(browser, "PATCH", url, json.dumps({"name": name}),
                {"Content-Type": "application/json", "If-Match": got["etag"]})
    assert r.get("status") == 200, r
    assert json.loads(r["text"])["name"] == name and r["etag"] != got["etag"]
    assert sql.account(customer.id)["name"] == name
    # The PATCH needed a preflight, answered without a login.
    path = urlsplit(url).path
    assert re.search(rf'"OPTIONS {re.escape(path)} HTTP/1.1" 204 ', access_log(env)), "no preflight"


def test_fetch_from_a_foreign_origin_is_refused_and_writes_nothing(browser, portal, sql, env):
    _, customer = portal
    before = sql.account(customer.id)
    browser.goto(f"{FOREIGN}/script.html")
    url = f"{API}/api/v1/accounts/{customer.id}"
    me = js_call(browser, "GET", API + "/api/v1/me")
    assert "error" in me, me    # answered, but the script may not read it
    r = js_call(browser, "PATCH", url, json.dumps({"name": "foreign"}),
                {"Content-Type": "application/json", "If-Match": f'"{customer.id}.{before["version"]}"'})
    assert "error" in r, r
    path = urlsplit(url).path
    assert re.search(rf'"OPTIONS {re.escape(path)} HTTP/1.1" 403 ', access_log(env)), "preflight not refused"
    # A form-encoded fetch needs no preflight: accountd's CSRF rule refuses it.
    r = js_call(browser, "POST", url, f"_method=PATCH&name=foreign&_version={before['version']}",
                {"Content-Type": "application/x-www-form-urlencoded"})
    assert "error" in r, r
    after = sql.account(customer.id)
    assert after["name"] == before["name"] and after["version"] == before["version"]
