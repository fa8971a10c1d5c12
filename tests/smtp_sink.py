#!/usr/bin/python3
"""smtp_sink: the SMTP server of accountd's dev and test stacks.

    /usr/bin/python3 tests/smtp_sink.py --port PORT --maildir DIR [--pidfile FILE]
        [--tls-cert CERT --tls-key KEY] [--auth USER:PASSWORD]

Listens on 127.0.0.1:PORT only (Debian's python3-aiosmtpd) and keeps every
mail it accepts as one file DIR/<counter>-<random>.eml: the raw message as
received (after SMTP dot-unstuffing, CRLF line ends), with two lines put in
front of it that carry the envelope:

    X-Envelope-From: <MAIL FROM address>
    X-Envelope-To: <RCPT TO address>[, <another>...]

<counter> is a zero-padded number that grows with each mail (it goes on
from the highest one already in DIR after a restart), so sorting the names
sorts the mails by arrival. Each file is written under a dot-name in DIR and
then renamed, so a reader never sees half a mail: read only "*.eml".

With --tls-cert and --tls-key it offers STARTTLS and refuses any mail
before it (530). With --auth it also requires SMTP AUTH (PLAIN or LOGIN,
only after STARTTLS) with exactly that user and password, refuses anything
else with 535, and adds a third line naming the login:

    X-Authenticated-As: <user>

Recipients whose local part starts with "reject" are refused with
550 5.1.1 and those starting with "tempfail" with 451 4.3.0, so that tests
can see permanent and temporary failures.

SIGTERM or SIGINT: stop listening, remove the pid file, exit 0.
"""
import argparse
import logging
import os
import re
import secrets
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

NAME_RE = re.compile(r"^(\d+)-[0-9a-f]+\.eml$")


class Maildir:
    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.lock = threading.Lock()
        highest = 0
        for name in os.listdir(path):
            m = NAME_RE.match(name)
            if m:
                highest = max(highest, int(m.group(1)))
        self.counter = highest

    def store(self, data):
        with self.lock:
            self.counter += 1
            name = "%08d-%s.eml" % (self.counter, secrets.token_hex(4))
        tmp = os.path.join(self.path, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.path, name))
        return name


def clean(addr):
    """An envelope address on one header line."""
    return re.sub(r"[\x00-\x1f\x7f]", "", addr or "")


class Handler:
    def __init__(self, maildir):
        self.maildir = maildir

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient rejected by the test sink" % clean(address)
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: try again later (test sink)" % clean(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            clean(envelope.mail_from), ", ".join(clean(a) for a in envelope.rcpt_tos))
        login = getattr(session, "auth_data", None)
        if isinstance(login, bytes):
            head += "X-Authenticated-As: %s\r\n" % clean(login.decode("utf-8", "replace"))
        name = self.maildir.store(head.encode("utf-8") + raw)
        logging.getLogger("smtp_sink").info("stored %s (%d bytes)", name, len(raw))
        return "250 2.0.0 OK: queued as " + name


def main():
    ap = argparse.ArgumentParser(description="SMTP sink of accountd's dev and test stacks")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--auth", metavar="USER:PASSWORD")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if args.auth and not args.tls_cert:
        ap.error("--auth needs --tls-cert and --tls-key (AUTH only after STARTTLS)")

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s smtp_sink %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:  # the name ./dev checks before it stops this process by its pid
        with open("/proc/self/comm", "w") as f:
            f.write("smtp-sink")
    except OSError:
        pass

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    maildir = Maildir(os.path.abspath(args.maildir))
    options = {}
    if args.tls_cert:
        import ssl
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        options.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller = Controller(Handler(maildir), hostname="127.0.0.1", port=args.port,
                            enable_SMTPUTF8=True, **options)
    controller.start()
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.pidfile)
    logging.getLogger("smtp_sink").info("listening on 127.0.0.1:%d, mail in %s",
                                        args.port, maildir.path)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
        logging.getLogger("smtp_sink").info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
