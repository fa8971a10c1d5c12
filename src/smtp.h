/*
 * smtp: accountd-mailer's only door to the SMTP server (libcurl).
 *
 * One struct smtp per mailer: a libcurl easy handle that keeps the SMTP
 * connection open between mails (libcurl reuses it and reconnects when the
 * server closed it). Every option comes from the config: smtp_url,
 * smtp_starttls, smtp_user/smtp_password, smtp_timeout. libcurl does the
 * SMTP dot-stuffing; callers hand it the message as it should arrive.
 *
 * smtp_format_message() builds the RFC 5322 message (headers, CRLF line
 * ends) and is pure apart from the random part of the Message-ID; it is unit
 * tested in tests/unit/test_smtp.c.
 *
 * Never logs: errors go back to the caller as text without secrets (no
 * password, no message content).
 */
#ifndef ACCOUNTD_SMTP_H
#define ACCOUNTD_SMTP_H

#include "buf.h"
#include "config.h"

#include <stddef.h>
#include <time.h>

/* Once at program start, before any other thread exists (curl_global_init);
 * smtp_global_cleanup() once at exit. smtp_global_init returns ST_OK or
 * ST_ERROR. */
int smtp_global_init(void);
void smtp_global_cleanup(void);

struct smtp;

/* A session for cfg (kept by reference: cfg must outlive it). NULL if
 * libcurl cannot make a handle. Free with smtp_free(). */
struct smtp *smtp_new(const struct config *cfg);
void smtp_free(struct smtp *s);

/* Sends message (len bytes, CRLF line ends, as from smtp_format_message) to
 * one recipient; from and to are bare addresses (envelope). Returns
 *   ST_OK          the server accepted the mail;
 *   ST_RETRY       a temporary refusal of this mail (4xx to RCPT, DATA or
 *                  the end of data): try it again later;
 *   ST_ERROR       a permanent refusal of this mail (5xx to RCPT, DATA or
 *                  the end of data): do not try again;
 *   ST_UNAVAILABLE the server could not be used at all (connection refused,
 *                  timeout, TLS or login failure, 421, a bad greeting, any
 *                  refusal of MAIL FROM, a configuration error): temporary,
 *                  and for every mail, not only this one.
 * On failure err (err_size bytes) receives "<what>: <detail>", where <what>
 * is a short fixed phrase holding no address ("RCPT TO refused (550)",
 * "cannot connect", ...) that may be logged, and <detail> is the server's
 * reply or libcurl's message (it may name the recipient). */
int smtp_send(struct smtp *s, const char *from, const char *to, const char *message, size_t len,
              char *err, size_t err_size);

/* Appends to out the whole message: Date (RFC 5322, from now), From, To,
 * Subject (RFC 2047 "=?UTF-8?B?...?=" words unless it is short printable
 * ASCII; CR, LF and other control characters in it become one space each
 * run, so it can never start another header), Message-ID
 * "<outbox-ID.RANDOM@accountd>", "X-Accountd-Outbox-Id: ID",
 * "List-Unsubscribe: <list_unsubscribe>" when that is not NULL or empty
 * (news mail: the preferences page, RFC 2369; control characters dropped),
 * MIME-Version,
 * Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding 8bit
 * (quoted-printable instead when a body line is longer than 998 bytes), an
 * empty line and the body with every line ending in CRLF (LF, CR and CRLF
 * are all line ends). Control characters in from and to are dropped. No
 * dot-stuffing: libcurl does it. */
void smtp_format_message(struct buf *out, const char *from, const char *to, const char *subject,
                         const char *body, const char *list_unsubscribe,
                         unsigned long long outbox_id, time_t now);

/* The address inside "Name <addr>", or the whole string when there are no
 * angle brackets. Returns a malloc'ed copy; free() it. */
char *smtp_envelope_address(const char *mailbox);

#endif
