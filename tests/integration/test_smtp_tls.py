"""accountd-mailer over STARTTLS with SMTP AUTH (smtp_starttls, smtp_user,
smtp_password_file, smtp_ca_file), against a second SMTP sink started here
with a throw-away certificate and a login. The stack's own mailer is paused
meanwhile (./dev mailer-stop), so that only the mailer under test, run with
--once, sends the mails these tests queue.

A refused login, a server without STARTTLS and a certificate that is not
trusted say nothing about the mail: it stays queued and is retried, never
marked dead, and never goes out in clear text."""
import os
import socket
import subprocess
import time

import pytest

import support as S

LOGIN, PASSWORD = "mailer", "smtp-secret-pw"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tls_sink(env, tmp_path_factory):
    """A sink with STARTTLS (required) and AUTH: (port, Mailbox, CA file)."""
    d = tmp_path_factory.mktemp("tls-sink")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    port, maildir, pidfile = free_port(), str(d / "mail"), str(d / "sink.pid")
    sink = os.path.join(env["ACCOUNTD_SRC"], "tests", "smtp_sink.py")
    log = open(d / "sink.log", "wb")
    proc = subprocess.Popen(["/usr/bin/python3", sink, "--port", str(port), "--maildir", maildir,
                             "--pidfile", pidfile, "--tls-cert", cert, "--tls-key", key,
                             "--auth", f"{LOGIN}:{PASSWORD}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        assert S.wait_until(lambda: os.path.exists(pidfile), timeout=20), \
            (d / "sink.log").read_text()
        yield port, S.Mailbox(maildir), cert
    finally:
        proc.terminate()  # by its own PID
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def stack_mailer_paused(dev):
    dev("mailer-stop")
    try:
        yield
    finally:
        dev("mailer-start")


@pytest.fixture
def mailer_conf(env, tmp_path):
    """mailer_conf(**keys) -> path of a copy of the stack's accountd.conf
    with those keys replaced (and a password file for smtp_password)."""

    def write(**keys):
        if "smtp_password" in keys:
            pw = tmp_path / "smtp.pw"
            pw.write_text(keys.pop("smtp_password") + "\n")
            keys["smtp_password_file"] = str(pw)
        keys.setdefault("mail_max_attempts", "100")
        keys.setdefault("mail_retry_base", "1")
        keys.setdefault("mail_retry_max", "1")
        kept = []
        with open(env["ACCOUNTD_CONF"]) as f:
            for line in f:
                name = line.split("=", 1)[0].strip()
                if name not in keys:
                    kept.append(line.rstrip("\n"))
        path = tmp_path / "mailer.conf"
        path.write_text("\n".join(kept + [f"{k} = {v}" for k, v in keys.items()]) + "\n")
        return str(path)

    return write


def run_once(env, conf):
    """accountd-mailer --once with that config; its output."""
    p = subprocess.run([env["ACCOUNTD_MAILER"], "--config", conf, "--once"], capture_output=True,
                       text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"accountd-mailer --once: rc={p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout + p.stderr


def queue_invitation(api, make_tenant, make_account, invite):
    """A fresh customer and an invitation to a fresh address: the address."""
    t = make_tenant()
    acc = make_account(t.admin, "customer", t.account.id)
    email = S.unique_mail()
    invite(t.admin, acc.id, email)
    return email


def outbox_row(sql, email):
    rows = S.outbox_rows(sql, recipient=email)
    assert len(rows) == 1, rows
    return rows[0]


def tls_conf(mailer_conf, port, cert, password=PASSWORD, **more):
    keys = dict(smtp_url=f"smtp://127.0.0.1:{port}", smtp_starttls="required", smtp_user=LOGIN,
                smtp_password=password, smtp_ca_file=cert)
    keys.update(more)
    return mailer_conf(**keys)


def test_mail_goes_over_starttls_with_the_login(env, api, sql, make_tenant, make_account, invite,
                                                mailbox, tls_sink, stack_mailer_paused, mailer_conf):
    port, tls_box, cert = tls_sink
    email = queue_invitation(api, make_tenant, make_account, invite)
    assert outbox_row(sql, email)["status"] == "queued"
    run_once(env, tls_conf(mailer_conf, port, cert))
    mails = tls_box.wait_for(to=email, timeout=10)
    assert len(mails) == 1, mails
    # The sink's own line: this mail came after STARTTLS and AUTH as LOGIN.
    assert str(mails[0].msg.get("X-Authenticated-As", "")) == LOGIN, mails[0].msg
    assert S.invitation_token(mails[0])
    row = outbox_row(sql, email)
    assert (row["status"], row["attempts"]) == ("sent", 1), row
    assert mailbox.matching(to=email) == [], "the mail also went through the plain sink"


def wrong_setup_keeps_the_mail(env, sql, email, tls_box, conf, error_part):
    out = run_once(env, conf)
    row = outbox_row(sql, email)
    # Deferred: nothing reached the recipient, so it is no attempt.
    assert (row["status"], row["attempts"], row["deferrals"]) == ("queued", 0, 1), (row, out)
    assert error_part in (row["last_error"] or ""), (row, out)
    assert tls_box.matching(to=email) == []
    return row


def deliver_when_due(env, sql, email, conf, timeout=15):
    """Run --once until the retry is due and the mail is sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_once(env, conf)
        if outbox_row(sql, email)["status"] == "sent":
            return outbox_row(sql, email)
        time.sleep(0.3)
    raise AssertionError(f"mail to {email} not sent within {timeout} s: {outbox_row(sql, email)}")


def test_a_refused_login_is_retried_not_dead(env, api, sql, make_tenant, make_account, invite,
                                             tls_sink, stack_mailer_paused, mailer_conf):
    port, tls_box, cert = tls_sink
    email = queue_invitation(api, make_tenant, make_account, invite)
    wrong_setup_keeps_the_mail(env, sql, email, tls_box,
                               tls_conf(mailer_conf, port, cert, password="not-" + PASSWORD),
                               "login refused")
    row = deliver_when_due(env, sql, email, tls_conf(mailer_conf, port, cert))
    assert (row["attempts"], row["deferrals"]) == (1, 1), row
    assert len(tls_box.wait_for(to=email, timeout=10)) == 1


@pytest.mark.parametrize("setting", ["required", "try with a login"])
def test_required_starttls_never_sends_in_clear(env, api, sql, make_tenant, make_account, invite,
                                                mailbox, tls_sink, stack_mailer_paused, mailer_conf,
                                                setting):
    """The stack's plain sink offers no STARTTLS: with `required`, or with
    `try` and a login (whose password must not go out in clear text),
    nothing is sent to it."""
    _, tls_box, cert = tls_sink
    email = queue_invitation(api, make_tenant, make_account, invite)
    keys = {"smtp_starttls": "required"} if setting == "required" else \
        {"smtp_starttls": "try", "smtp_user": LOGIN, "smtp_password": PASSWORD}
    conf = mailer_conf(smtp_url=f"smtp://127.0.0.1:{env['SMTP_PORT']}", **keys)
    wrong_setup_keeps_the_mail(env, sql, email, tls_box, conf, "STARTTLS not offered")
    assert mailbox.matching(to=email) == []


def test_an_untrusted_certificate_is_refused(env, api, sql, make_tenant, make_account, invite,
                                             tls_sink, stack_mailer_paused, mailer_conf):
    """Without smtp_ca_file the system's CAs do not know the sink's
    certificate: no mail, and the password is never sent."""
    port, tls_box, cert = tls_sink
    email = queue_invitation(api, make_tenant, make_account, invite)
    conf = mailer_conf(smtp_url=f"smtp://127.0.0.1:{port}", smtp_starttls="required",
                       smtp_user=LOGIN, smtp_password=PASSWORD)
    wrong_setup_keeps_the_mail(env, sql, email, tls_box, conf, "TLS failed")
    deliver_when_due(env, sql, email, tls_conf(mailer_conf, port, cert))


def test_a_refused_sender_defers_every_mail(env, api, sql, make_tenant, make_account, invite,
                                             tls_sink, stack_mailer_paused, mailer_conf):
    """Without a login the sink answers 530 to MAIL FROM: that says nothing
    about the mail (it is the same for all), so the mail waits, not dies."""
    port, tls_box, cert = tls_sink
    email = queue_invitation(api, make_tenant, make_account, invite)
    conf = mailer_conf(smtp_url=f"smtp://127.0.0.1:{port}", smtp_starttls="required",
                       smtp_ca_file=cert, mail_max_attempts="1")
    wrong_setup_keeps_the_mail(env, sql, email, tls_box, conf, "MAIL FROM refused (530)")
    deliver_when_due(env, sql, email, tls_conf(mailer_conf, port, cert))


def test_an_unusable_server_never_kills_a_mail(env, api, sql, make_tenant, make_account, invite,
                                                tls_sink, stack_mailer_paused, mailer_conf):
    """mail_max_attempts = 1 and an SMTP server that is not there: round
    after round the mail is deferred, never dead (DESIGN.md: no e-mail is
    lost when SMTP is down)."""
    port, tls_box, cert = tls_sink
    email = queue_invitation(api, make_tenant, make_account, invite)
    conf = mailer_conf(smtp_url=f"smtp://127.0.0.1:{free_port()}", mail_max_attempts="1")
    for n in range(1, 4):
        S.wait_until(lambda: sql.value("SELECT next_attempt_at <= CURRENT_TIMESTAMP(6) FROM mail_outbox"
                                       " WHERE id=%s", outbox_row(sql, email)["id"]), timeout=10)
        out = run_once(env, conf)
        row = outbox_row(sql, email)
        assert (row["status"], row["attempts"], row["deferrals"]) == ("queued", 0, n), (row, out)
        assert "cannot connect" in row["last_error"], row
    row = deliver_when_due(env, sql, email, tls_conf(mailer_conf, port, cert, mail_max_attempts="1"))
    assert (row["status"], row["attempts"]) == ("sent", 1), row


def test_an_unreadable_ca_file_stops_the_mailer_at_start(env, mailer_conf, tmp_path):
    conf = mailer_conf(smtp_ca_file=str(tmp_path / "missing.pem"))
    p = subprocess.run([env["ACCOUNTD_MAILER"], "--config", conf, "--once"], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert "smtp_ca_file" in p.stderr and "missing.pem" in p.stderr, p.stderr
