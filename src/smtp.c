#include "smtp.h"

#include "result.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ---- message formatting (pure) --------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding (RFC 2045 / RFC 2047 "B"). */
static void add_base64(struct buf *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        buf_addc(out, b64_alphabet[(v >> 18) & 63]);
        buf_addc(out, b64_alphabet[(v >> 12) & 63]);
        buf_addc(out, i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=');
        buf_addc(out, i + 2 < n ? b64_alphabet[v & 63] : '=');
    }
}

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Appends s without its control characters (header values that must stay
 * on their line: addresses). */
static void add_without_ctl(struct buf *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_ctl(*p))
            buf_addc(out, (char)*p);
}

/* The subject on one line: each run of control characters (CR, LF, TAB,
 * ...) becomes one space, leading and trailing spaces go. */
static void one_line(struct buf *out, const char *s)
{
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_ctl(*p) || *p == ' ') {
            pending_space = out->len > 0;
            continue;
        }
        if (pending_space)
            buf_addc(out, ' ');
        pending_space = 0;
        buf_addc(out, (char)*p);
    }
}

/* Longest subject sent as it is; RFC 5322 lines end at 998 octets, and a
 * folded encoded form is safer for anything long. */
#define SUBJECT_PLAIN_MAX 200
/* Bytes of UTF-8 per encoded-word: 42 bytes are 56 base64 characters, so
 * "=?UTF-8?B?...?=" is 68 and a folded line stays under 78. */
#define SUBJECT_WORD_BYTES 42

static void add_subject(struct buf *out, const char *subject)
{
    struct buf s = BUF_INIT;
    one_line(&s, subject ? subject : "");
    int plain = s.len <= SUBJECT_PLAIN_MAX;
    for (size_t i = 0; plain && i < s.len; i++)
        if ((unsigned char)s.data[i] >= 0x80)
            plain = 0;
    /* "=?" in a plain subject would be read as an encoded-word. */
    if (plain && strstr(buf_str(&s), "=?"))
        plain = 0;
    buf_adds(out, "Subject: ");
    if (plain) {
        buf_add(out, buf_str(&s), s.len);
    } else {
        /* Encoded-words never split a UTF-8 character (RFC 2047 5(3)). */
        size_t i = 0;
        while (i < s.len) {
            size_t n = s.len - i < SUBJECT_WORD_BYTES ? s.len - i : SUBJECT_WORD_BYTES;
            while (n > 1 && i + n < s.len && ((unsigned char)s.data[i + n] & 0xc0) == 0x80)
                n--;
            if (i > 0)
                buf_adds(out, "\r\n "); /* folding: the next line continues */
            buf_adds(out, "=?UTF-8?B?");
            add_base64(out, (const unsigned char *)s.data + i, n);
            buf_adds(out, "?=");
            i += n;
        }
    }
    buf_adds(out, "\r\n");
    buf_free(&s);
}

static void add_date(struct buf *out, time_t now)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&now, &tm);
    /* Names by hand: strftime's %a and %b follow the locale. */
    buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday % 7],
               tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
               tm.tm_sec);
}

static void add_message_id(struct buf *out, unsigned long long outbox_id)
{
    unsigned char r[8] = {0};
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        /* Uniqueness still holds through the id and the time. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(r, &ts.tv_nsec, sizeof(ts.tv_nsec) < sizeof(r) ? sizeof(ts.tv_nsec) : sizeof(r));
    }
    buf_printf(out, "Message-ID: <outbox-%llu.", outbox_id);
    for (size_t i = 0; i < sizeof(r); i++)
        buf_printf(out, "%02x", r[i]);
    buf_adds(out, "@accountd>\r\n");
}

#define LINE_MAX_OCTETS 998 /* RFC 5321 4.5.3.1.6, without the CRLF */

/* Does any line of body exceed what SMTP may carry? */
static int has_long_line(const char *body)
{
    size_t n = 0;
    for (const char *p = body; *p; p++) {
        if (*p == '\r' || *p == '\n')
            n = 0;
        else if (++n > LINE_MAX_OCTETS)
            return 1;
    }
    return 0;
}

/* Calls line(ctx, start, len) for each line of body, whatever its line
 * ends (CRLF, LF or a lone CR). A last line without an end counts too; an
 * empty body is no line. */
static void each_line(const char *body, void (*line)(struct buf *, const char *, size_t),
                      struct buf *out)
{
    const char *p = body;
    while (*p) {
        size_t n = strcspn(p, "\r\n");
        line(out, p, n);
        p += n;
        if (p[0] == '\r' && p[1] == '\n')
            p += 2;
        else if (*p)
            p++;
    }
}

static void add_line_8bit(struct buf *out, const char *s, size_t n)
{
    buf_add(out, s, n);
    buf_adds(out, "\r\n");
}

/* Quoted-printable (RFC 2045 6.7) of one line, soft breaks under 76. */
static void add_line_qp(struct buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int last = i + 1 == n;
        /* Space and tab are literal except at the end of a line. */
        int literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
        size_t width = literal ? 1 : 3;
        if (col + width > 75) {
            buf_adds(out, "=\r\n");
            col = 0;
        }
        if (literal) {
            buf_addc(out, (char)c);
        } else {
            buf_addc(out, '=');
            buf_addc(out, hex[c >> 4]);
            buf_addc(out, hex[c & 15]);
        }
        col += width;
    }
    buf_adds(out, "\r\n");
}

void smtp_format_message(struct buf *out, const char *from, const char *to, const char *subject,
                         const char *body, const char *list_unsubscribe,
                         unsigned long long outbox_id, time_t now)
{
    if (!body)
        body = "";
    int qp = has_long_line(body);
    add_date(out, now);
    buf_adds(out, "From: ");
    add_without_ctl(out, from ? from : "");
    buf_adds(out, "\r\nTo: ");
    add_without_ctl(out, to ? to : "");
    buf_adds(out, "\r\n");
    add_subject(out, subject);
    add_message_id(out, outbox_id);
    buf_printf(out, "X-Accountd-Outbox-Id: %llu\r\n", outbox_id);
    if (list_unsubscribe && *list_unsubscribe) {
        buf_adds(out, "List-Unsubscribe: <");
        add_without_ctl(out, list_unsubscribe);
        buf_adds(out, ">\r\n");
    }
    buf_adds(out, "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=UTF-8\r\n");
    buf_printf(out, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "8bit");
    buf_adds(out, "\r\n");
    each_line(body, qp ? add_line_qp : add_line_8bit, out);
}

char *smtp_envelope_address(const char *mailbox)
{
    const char *lt = strrchr(mailbox, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt)
        return xstrndup(lt + 1, (size_t)(gt - lt - 1));
    return xstrdup(mailbox);
}

/* ---- sending (libcurl) ---------------------------------------------- */

int smtp_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? ST_OK : ST_ERROR;
}

void smtp_global_cleanup(void)
{
    curl_global_cleanup();
}

/* What the debug callback saw of the current transfer: the last command
 * (its verb only: an AUTH line carries credentials) and the last reply. */
struct dialogue {
    char verb[16];
    int in_transaction; /* MAIL FROM was sent in this transfer */
    int quitting;       /* QUIT was sent: what follows says nothing */
    int reply_code;
    char reply[256]; /* control characters and non-ASCII made '?' */
};

struct smtp {
    const struct config *cfg;
    CURL *curl;
    struct dialogue dialogue;
};

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t read_message(char *dest, size_t size, size_t nitems, void *arg)
{
    struct upload *u = arg;
    size_t room = size * nitems, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(dest, u->data + u->pos, n);
    u->pos += n;
    return n;
}

static void save_reply(struct dialogue *d, const char *data, size_t size)
{
    /* Possibly several lines: keep the last non-empty one. */
    while (size > 0 && (data[size - 1] == '\r' || data[size - 1] == '\n'))
        size--;
    size_t start = size;
    while (start > 0 && data[start - 1] != '\n')
        start--;
    size_t n = size - start;
    if (n >= sizeof(d->reply))
        n = sizeof(d->reply) - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[start + i];
        d->reply[i] = (char)(is_ctl(c) || c >= 0x80 ? '?' : c);
    }
    d->reply[n] = '\0';
    int code = 0;
    if (n >= 3 && d->reply[0] >= '1' && d->reply[0] <= '5' && d->reply[1] >= '0' &&
        d->reply[1] <= '9' && d->reply[2] >= '0' && d->reply[2] <= '9')
        code = (d->reply[0] - '0') * 100 + (d->reply[1] - '0') * 10 + (d->reply[2] - '0');
    if (code)
        d->reply_code = code;
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)curl;
    struct dialogue *d = arg;
    if (d->quitting)
        return 0; /* after a failure libcurl says QUIT: keep the failure */
    if (type == CURLINFO_HEADER_IN) {
        save_reply(d, data, size);
    } else if (type == CURLINFO_HEADER_OUT) {
        size_t n = 0;
        while (n < size && n + 1 < sizeof(d->verb) && data[n] != ' ' && data[n] != '\r' &&
               data[n] != '\n')
            n++;
        if (n == 4 && memcmp(data, "QUIT", 4) == 0) {
            d->quitting = 1;
            return 0;
        }
        memcpy(d->verb, data, n);
        d->verb[n] = '\0';
        if (strcmp(d->verb, "MAIL") == 0)
            d->in_transaction = 1;
    }
    return 0;
}

struct smtp *smtp_new(const struct config *cfg)
{
    CURL *curl = curl_easy_init();
    if (!curl)
        return NULL;
    struct smtp *s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->curl = curl;
    return s;
}

void smtp_free(struct smtp *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->curl);
    free(s);
}

/* `try` with a login is `required`: a server that does not offer
 * STARTTLS (or an attacker who strips it) must not get the password in
 * clear text. */
static long use_ssl(const struct config *cfg)
{
    const char *starttls = cfg->smtp_starttls;
    if (starttls && strcmp(starttls, "no") == 0)
        return (long)CURLUSESSL_NONE;
    if ((starttls && strcmp(starttls, "required") == 0) || cfg->smtp_user)
        return (long)CURLUSESSL_ALL;
    return (long)CURLUSESSL_TRY;
}

static int set_options(struct smtp *s, struct curl_slist *rcpt, struct upload *u,
                       const char *from_brackets, char *errbuf)
{
    const struct config *cfg = s->cfg;
    CURL *c = s->curl;
    long timeout = cfg->smtp_timeout > 0 ? cfg->smtp_timeout : 10;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, cfg->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT, timeout);
    SET(CURLOPT_TIMEOUT, timeout);
    SET(CURLOPT_USE_SSL, use_ssl(cfg));
    if (cfg->smtp_ca_file)
        SET(CURLOPT_CAINFO, cfg->smtp_ca_file);
    if (cfg->smtp_user) {
        SET(CURLOPT_USERNAME, cfg->smtp_user);
        SET(CURLOPT_PASSWORD, cfg->smtp_password ? cfg->smtp_password : "");
    }
    SET(CURLOPT_MAIL_FROM, from_brackets);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_message);
    SET(CURLOPT_READDATA, u);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)u->len);
    /* The dialogue is read through the debug callback (it needs VERBOSE);
     * nothing is printed. */
    SET(CURLOPT_DEBUGFUNCTION, on_debug);
    SET(CURLOPT_DEBUGDATA, &s->dialogue);
    SET(CURLOPT_VERBOSE, 1L);
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

/* Does this libcurl failure say nothing about the mail itself? */
static int transport_failure(CURLcode rc)
{
    switch (rc) {
    case CURLE_SEND_ERROR:         /* also a refused MAIL or RCPT: see the reply */
    case CURLE_RECV_ERROR:         /* likewise */
    case CURLE_WEIRD_SERVER_REPLY: /* likewise for the end of data */
    case CURLE_UPLOAD_FAILED:
        return 0;
    default:
        return 1;
    }
}

static const char *what_failed(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve the SMTP server";
    case CURLE_COULDNT_CONNECT:
        return "cannot connect";
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_USE_SSL_FAILED:
        return "STARTTLS not offered";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
        return "TLS failed";
    case CURLE_LOGIN_DENIED:
        return "login refused";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return "bad smtp_url";
    case CURLE_GOT_NOTHING:
        return "connection closed";
    default:
        return "SMTP failed";
    }
}

int smtp_send(struct smtp *s, const char *from, const char *to, const char *message, size_t len,
              char *err, size_t err_size)
{
    if (err_size)
        err[0] = '\0';
    struct buf from_b = BUF_INIT, to_b = BUF_INIT;
    buf_printf(&from_b, "<%s>", from);
    buf_printf(&to_b, "<%s>", to);
    struct curl_slist *rcpt = curl_slist_append(NULL, to_b.data);
    struct upload u = {message, len, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    memset(&s->dialogue, 0, sizeof(s->dialogue));
    int st;
    if (!rcpt || set_options(s, rcpt, &u, from_b.data, errbuf) < 0) {
        snprintf(err, err_size, "SMTP failed: cannot set up libcurl");
        st = ST_UNAVAILABLE;
        goto out;
    }
    CURLcode rc = curl_easy_perform(s->curl);
    if (rc == CURLE_OK) {
        st = ST_OK;
        goto out;
    }
    const struct dialogue *d = &s->dialogue;
    int code = d->reply_code;
    const char *detail = d->reply[0] ? d->reply : (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (!transport_failure(rc) && d->in_transaction && code >= 400 && code != 421) {
        const char *stage = strcmp(d->verb, "MAIL") == 0   ? "MAIL FROM"
                            : strcmp(d->verb, "RCPT") == 0 ? "RCPT TO"
                            : strcmp(d->verb, "DATA") == 0 ? "DATA"
                                                           : "message";
        snprintf(err, err_size, "%s refused (%d): %s", stage, code, detail);
        /* A refused sender is the same for every mail (the server wants a
         * login, mail_from is not allowed, ...): the server cannot be used. */
        if (strcmp(d->verb, "MAIL") == 0)
            st = ST_UNAVAILABLE;
        else
            st = code >= 500 ? ST_ERROR : ST_RETRY;
    } else {
        const char *what = what_failed(rc);
        if (code >= 400 && !transport_failure(rc))
            snprintf(err, err_size, "SMTP server refused (%d): %s", code, detail);
        else
            snprintf(err, err_size, "%s: %s", what, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        st = ST_UNAVAILABLE;
    }
out:
    /* Nothing of this transfer may outlive it in the handle. */
    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(s->curl, CURLOPT_READDATA, NULL);
    curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(rcpt);
    buf_free(&from_b);
    buf_free(&to_b);
    return st;
}
