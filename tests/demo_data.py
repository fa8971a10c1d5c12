#!/usr/bin/python3
"""The dev stack's demo accounts, created through the API like any client
(`./dev up` runs it after the stack is up), then the summary it prints.

    demo_data.py STATE_DIR DEMO_PEOPLE_LDIF

STATE_DIR/stack.env says where the stack listens and in which mode nginx
checks identities (basic or sso). The demo people are in LDAP already
(ldap-schema/demo-people.ldif.in, all with the demo password); they join the
accounts by invitation: LDAP knows their mail and the inviter is the
operator, whose tenant tree is the whole directory, so accountd adds them at
once (and mails them). Anyone else inviting a person outside their tree
sends an invitation.
"""

import base64
import json
import re
import shlex
import sys
import urllib.error
import urllib.request

DEMO_PASSWORD = "demo-password"
OPERATOR = "olivia"


def info(msg):
    print("    " + msg, flush=True)


def die(msg):
    print("ERROR: demo data: " + msg, file=sys.stderr)
    sys.exit(1)


def stack_env(state):
    """stack.env's KEY=VALUE lines (written by ./dev with printf %q)."""
    env = {}
    with open(state + "/stack.env") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.rstrip("\n").split("=", 1)
                env[key] = shlex.split(value)[0] if value else ""
    return env


class Api:
    def __init__(self, url, auth, log):
        self.url, self.auth, self.log = url, auth, log
        self.etag = None

    def call(self, method, path, user, data=None):
        """The JSON body and the Location of a 2xx answer; anything else fails."""
        headers = {"Origin": self.url, "Accept": "application/json"}
        if self.auth == "sso":
            headers["X-SSO-User"] = user
        else:
            token = base64.b64encode(f"{user}:{DEMO_PASSWORD}".encode()).decode()
            headers["Authorization"] = "Basic " + token
        body = None
        if data is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(data).encode()
        req = urllib.request.Request(self.url + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                self.etag = r.headers.get("ETag")
                text = r.read().decode()
                return (json.loads(text) if text else {}), r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            die(f"{method} {path} as {user} answered {e.code}: {e.read()[:600].decode(errors='replace')}"
                f" (accountd log: {self.log})")
        except OSError as e:
            die(f"{method} {path} failed: {e}")

    def create(self, user, data):
        body, location = self.call("POST", "/api/v1/accounts", user, data)
        new_id = body.get("id") or (re.search(r"/(\d+)\s*$", location) or [None, None])[1]
        if not new_id:
            die("cannot find the new account's id (no \"id\" in the body, no Location)")
        return str(new_id)


def demo_mails(ldif):
    """uid -> mail, from the demo people's LDIF template."""
    mails, uid = {}, None
    with open(ldif) as f:
        for line in f:
            if line.startswith("dn: uid="):
                uid = line[len("dn: uid="):].split(",")[0]
            elif line.startswith("mail: ") and uid:
                mails[uid] = line.split()[1]
    return mails


def main():
    if len(sys.argv) != 3:
        die("usage: demo_data.py STATE_DIR DEMO_PEOPLE_LDIF")
    state, ldif = sys.argv[1], sys.argv[2]
    env = stack_env(state)
    url = "http://127.0.0.1:" + env["STACK_HTTP_PORT"]
    auth = env["STACK_AUTH"]
    api = Api(url, auth, state + "/accountd.log")
    mails = demo_mails(ldif)

    def add_member(account, uid, role, inviter):
        if uid not in mails:
            die(f"no mail for {uid} in {ldif}")
        body, _ = api.call("POST", f"/api/v1/accounts/{account}/invitations", inviter,
                           {"email": mails[uid], "role": role})
        if body.get("status") != "added":
            die(f"inviting {mails[uid]} to account {account} did not add {uid} at once: {body}")
        info(f"{uid} is {role} of account {account}")

    print("==> loading demo data through the API", flush=True)
    me, _ = api.call("GET", "/api/v1/me", OPERATOR)
    operator = next((str(a["id"]) for a in me.get("accounts", []) if a["kind"] == "operator"), None)
    if not operator:
        die(f"GET /api/v1/me as {OPERATOR} lists no operator account: {me}")
    info(f"operator account: {operator}")

    acme = api.create(OPERATOR, {"kind": "partner", "name": "Acme Partners", "parent_id": operator})
    info(f'partner "Acme Partners": {acme}')
    add_member(acme, "paul", "admin", OPERATOR)

    contoso = api.create("paul", {
        "kind": "customer", "name": "Contoso GmbH", "parent_id": acme,
        "company": {"name": "Contoso GmbH", "street": "Mariahilfer Strasse 1", "postcode": "1060",
                    "city": "Wien", "country": "AT", "vat_id": "ATU12345678"}})
    info(f'customer "Contoso GmbH" (under Acme Partners): {contoso}')
    add_member(contoso, "carla", "admin", OPERATOR)
    add_member(contoso, "mike", "member", OPERATOR)

    globex = api.create(OPERATOR, {"kind": "customer", "name": "Globex", "parent_id": operator})
    info(f'customer "Globex" (under the operator): {globex}')
    add_member(globex, "eve", "admin", OPERATOR)

    api.call("GET", f"/api/v1/accounts/{contoso}", "carla")
    etag = api.etag or f'"{contoso}.1"'

    def who(uid):
        return f"-H 'X-SSO-User: {uid}'" if auth == "sso" else f"-u {uid}:{DEMO_PASSWORD}"

    print(f"""
accountd dev stack is up: {url}/api/v1/   (auth: {auth})

  demo people (password: {DEMO_PASSWORD})
    olivia  operator staff (admin of operator account {operator})
    paul    admin of partner "Acme Partners" ({acme})
    carla   admin of customer "Contoso GmbH" ({contoso}, under Acme Partners)
    mike    member of "Contoso GmbH"
    eve     admin of customer "Globex" ({globex}, another tenant)

  try
    curl -s {url}/api/v1/health
    curl -s {who('paul')} {url}/api/v1/me
    curl -s {who('paul')} '{url}/api/v1/accounts?parent_id={acme}'
    curl -si {who('paul')} -H 'Origin: {url}' --data-urlencode kind=customer --data-urlencode 'name=Initech' --data-urlencode parent_id={acme} --data-urlencode 'return_to={url}/done' {url}/api/v1/accounts
    curl -si {who('carla')} -X PATCH -H 'If-Match: {etag}' -H 'Content-Type: application/json' -d '{{"name":"Contoso Wien GmbH"}}' {url}/api/v1/accounts/{contoso}

  mail     accountd-mailer delivers to the SMTP sink on 127.0.0.1:{env['STACK_SMTP_PORT']},
           which keeps every mail as a file in {state}/mail/; an invitation
           mail's link ({url}/invitations/...) opens an example
           registration page that accepts it (nginx/invitation-page.conf.in);
           news mails link to {url}/preferences, an example preferences page;
           a password-reset mail's link ({url}/password-reset/...) opens
           an example page that sets the new password
  logs     {state}/accountd.log
           {state}/mailer.log (accountd-mailer), {state}/smtp-sink.log
           {state}/nginx/logs/{{access,error}}.log
           {state}/mariadb.err, {state}/slapd.log
  LDAP     ldap://127.0.0.1:{env['STACK_LDAP_PORT']}/  cn=admin,{env['STACK_BASE']}, password in {state}/secrets/ldap-admin.pw
  MariaDB  mariadb --no-defaults -S {state}/mysql.sock -u root accountd
  stop     ./dev down""")


if __name__ == "__main__":
    main()
