-- accountd migration 003: the outbox tells apart attempts that reached a
-- mail's recipient from rounds in which the SMTP server could not be used.
--
-- `attempts` counts what the SMTP server answered about this mail (sent, a
-- 4xx or 5xx to MAIL, RCPT or DATA); only these count toward
-- mail_max_attempts. `deferrals` counts rounds in which the server was
-- unreachable, refused TLS or the login, or answered 421: a mail is never
-- marked dead for those (DESIGN.md: no e-mail is lost when SMTP is down),
-- but they lengthen the wait before the next try like attempts do.

ALTER TABLE mail_outbox
  ADD COLUMN deferrals INT UNSIGNED NOT NULL DEFAULT 0 AFTER attempts;
