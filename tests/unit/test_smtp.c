/* Unit tests: smtp_format_message (the RFC 5322 message the mailer sends)
 * and smtp_envelope_address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp.h"

/* 2024-03-05 10:00:00 UTC, a Tuesday */
#define NOW ((time_t)1709632800)

static char *format(const char *subject, const char *body)
{
    struct buf b = BUF_INIT;
    smtp_format_message(&b, "accountd@example.org", "alice@example.com", subject, body, NULL, 42,
                        NOW);
    return buf_detach(&b);
}

/* The header block (up to the empty line), with its last CRLF. */
static char *headers_of(const char *msg)
{
    const char *end = strstr(msg, "\r\n\r\n");
    assert_non_null(end);
    size_t n = (size_t)(end - msg) + 2;
    char *h = malloc(n + 1);
    memcpy(h, msg, n);
    h[n] = '\0';
    return h;
}

/* Does a line of text start with prefix? */
static int has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, prefix, n) == 0)
            return 1;
    }
    return 0;
}

static void every_line_ends_in_crlf(void **state)
{
    (void)state;
    char *msg = format("Hello", "one\ntwo\r\nthree\rfour\n\nsix");
    size_t len = strlen(msg);
    for (size_t i = 0; i < len; i++) {
        if (msg[i] == '\n')
            assert_true(i > 0 && msg[i - 1] == '\r');
        if (msg[i] == '\r')
            assert_true(i + 1 < len && msg[i + 1] == '\n');
    }
    const char *body = strstr(msg, "\r\n\r\n") + 4;
    assert_string_equal(body, "one\r\ntwo\r\nthree\r\nfour\r\n\r\nsix\r\n");
    free(msg);
}

static void headers_are_complete(void **state)
{
    (void)state;
    char *msg = format("Hello", "body\n");
    char *h = headers_of(msg);
    assert_true(has_line(h, "Date: Tue, 05 Mar 2024 10:00:00 +0000\r\n"));
    assert_true(has_line(h, "From: accountd@example.org\r\n"));
    assert_true(has_line(h, "To: alice@example.com\r\n"));
    assert_true(has_line(h, "Subject: Hello\r\n"));
    assert_true(has_line(h, "Message-ID: <outbox-42."));
    assert_non_null(strstr(h, "@accountd>\r\n"));
    assert_true(has_line(h, "X-Accountd-Outbox-Id: 42\r\n"));
    assert_true(has_line(h, "MIME-Version: 1.0\r\n"));
    assert_true(has_line(h, "Content-Type: text/plain; charset=UTF-8\r\n"));
    assert_true(has_line(h, "Content-Transfer-Encoding: 8bit\r\n"));
    free(h);
    free(msg);
}

static void message_ids_differ(void **state)
{
    (void)state;
    char *a = format("x", "y"), *b = format("x", "y");
    const char *ida = strstr(a, "Message-ID: "), *idb = strstr(b, "Message-ID: ");
    assert_non_null(ida);
    assert_non_null(idb);
    assert_true(strncmp(ida, idb, strcspn(ida, "\r")) != 0);
    free(a);
    free(b);
}

static void subject_cannot_add_headers(void **state)
{
    (void)state;
    const char *attempts[] = {"Hi\r\nBcc: x@y",     "Hi\nBcc: x@y",    "Hi\rBcc: x@y",
                              "Hi\r\n\r\nBcc: x@y", "Hi\r\n Bcc: x@y", "Hi\xc3\xa9\r\nBcc: x@y"};
    for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
        char *msg = format(attempts[i], "body");
        char *h = headers_of(msg);
        assert_false(has_line(msg, "Bcc:"));
        /* Only the line break of a folded encoded subject may start with a
         * space; nothing else of the subject reaches a line of its own. */
        for (const char *p = strstr(h, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
            const char *line = p + 2;
            assert_true(line[0] == ' ' ? strncmp(line, " =?UTF-8?B?", 11) == 0
                                       : strchr("DFTSMXC", line[0]) != NULL);
        }
        /* The headers still end where they should: the body is intact. */
        assert_string_equal(strstr(msg, "\r\n\r\n") + 4, "body\r\n");
        free(h);
        free(msg);
    }
    char *msg = format("Hi\r\nBcc: x@y", "body");
    assert_true(has_line(msg, "Subject: Hi Bcc: x@y\r\n"));
    free(msg);
}

static void utf8_subject_is_encoded(void **state)
{
    (void)state;
    /* "Grüße" */
    char *msg = format("Gr\xc3\xbc\xc3\x9f"
                       "e",
                       "body");
    assert_true(has_line(msg, "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"));
    char *h = headers_of(msg);
    for (const unsigned char *p = (const unsigned char *)h; *p; p++)
        assert_true(*p < 0x80);
    free(h);
    free(msg);
}

static int b64_value(char c)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(alphabet, c);
    return c && p ? (int)(p - alphabet) : -1;
}

/* Appends the base64 text b64 (n characters, a multiple of 4) decoded. */
static void add_decoded(struct buf *out, const char *b64, size_t n)
{
    assert_int_equal(n % 4, 0);
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = b64[i + k] == '=' ? 0 : b64_value(b64[i + k]);
        for (int k = 0; k < 4; k++)
            assert_true(v[k] >= 0);
        unsigned x =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        buf_addc(out, (char)(x >> 16));
        if (b64[i + 2] != '=')
            buf_addc(out, (char)(x >> 8));
        if (b64[i + 3] != '=')
            buf_addc(out, (char)x);
    }
}

/* Is s (n bytes) whole UTF-8 characters: no continuation byte first, no
 * character cut at the end? */
static int whole_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = s[i] < 0x80             ? 1
                     : (s[i] & 0xe0) == 0xc0 ? 2
                     : (s[i] & 0xf0) == 0xe0 ? 3
                     : (s[i] & 0xf8) == 0xf0 ? 4
                                             : 0;
        if (!len || i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

static void long_utf8_subject_is_folded_on_characters(void **state)
{
    (void)state;
    /* One ASCII byte first, so that 3-byte characters straddle any fixed
     * chunk size; then 2-byte ones. */
    struct buf s = BUF_INIT;
    buf_addc(&s, 'x');
    for (int i = 0; i < 40; i++)
        buf_adds(&s, "\xe2\x82\xac"); /* the euro sign, three bytes */
    for (int i = 0; i < 25; i++)
        buf_adds(&s, "\xc3\xa9"); /* é, two bytes */
    char *msg = format(s.data, "body");
    char *h = headers_of(msg);
    struct buf all = BUF_INIT;
    size_t words = 0;
    for (const char *p = strstr(h, "=?UTF-8?B?"); p; p = strstr(p + 1, "=?UTF-8?B?")) {
        const char *end = strstr(p + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - p <= 75); /* RFC 2047: an encoded-word is at most 75 */
        struct buf word = BUF_INIT;
        add_decoded(&word, p + 10, (size_t)(end - (p + 10)));
        assert_true(whole_utf8((const unsigned char *)word.data, word.len));
        buf_add(&all, word.data, word.len);
        buf_free(&word);
        words++;
    }
    assert_true(words > 2);
    assert_int_equal(all.len, s.len);
    assert_memory_equal(all.data, s.data, s.len);
    /* every line under 78 characters */
    for (const char *p = h; *p;) {
        size_t n = strcspn(p, "\r");
        assert_true(n <= 78);
        p += n + 2;
    }
    buf_free(&all);
    free(h);
    free(msg);
    buf_free(&s);
}

static void plain_subject_looking_encoded_is_encoded(void **state)
{
    (void)state;
    char *msg = format("=?UTF-8?B?QmNjOg==?=", "body");
    assert_false(has_line(msg, "Subject: =?UTF-8?B?QmNjOg==?=\r\n"));
    assert_true(has_line(msg, "Subject: =?UTF-8?B?"));
    free(msg);
}

static void addresses_lose_control_characters(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    smtp_format_message(&b, "a@b\r\nBcc: c@d", "e@f\nX-Evil: 1", "s", "body", NULL, 7, NOW);
    assert_false(has_line(b.data, "Bcc:"));
    assert_false(has_line(b.data, "X-Evil:"));
    assert_true(has_line(b.data, "From: a@bBcc: c@d\r\n"));
    buf_free(&b);
}

/* News mail names the preferences page (RFC 2369); other mail has no
 * List-Unsubscribe, and a line break in the URL cannot add a header. */
static void list_unsubscribe_only_when_given(void **state)
{
    (void)state;
    char *msg = format("s", "body");
    assert_false(has_line(msg, "List-Unsubscribe:"));
    free(msg);
    struct buf b = BUF_INIT;
    smtp_format_message(&b, "a@b", "c@d", "s", "body", "https://portal.example.org/preferences", 7,
                        NOW);
    char *h = headers_of(b.data);
    assert_true(has_line(h, "List-Unsubscribe: <https://portal.example.org/preferences>\r\n"));
    free(h);
    buf_free(&b);
    smtp_format_message(&b, "a@b", "c@d", "s", "body", "https://x\r\nBcc: e@f", 7, NOW);
    assert_false(has_line(b.data, "Bcc:"));
    buf_free(&b);
}

static void body_dots_are_left_to_curl(void **state)
{
    (void)state;
    char *msg = format("s", ".\n..two\n");
    assert_string_equal(strstr(msg, "\r\n\r\n") + 4, ".\r\n..two\r\n");
    free(msg);
}

static void empty_body(void **state)
{
    (void)state;
    char *msg = format("s", "");
    assert_string_equal(strstr(msg, "\r\n\r\n"), "\r\n\r\n");
    free(msg);
}

static void long_lines_become_quoted_printable(void **state)
{
    (void)state;
    struct buf body = BUF_INIT;
    buf_adds(&body, "short line\n");
    for (int i = 0; i < 1200; i++)
        buf_addc(&body, i % 50 == 49 ? ' ' : 'a');
    buf_adds(&body, "\nGr\xc3\xbc\xc3\x9f"
                    "e =\n");
    char *msg = format("s", body.data);
    assert_true(has_line(msg, "Content-Transfer-Encoding: quoted-printable\r\n"));
    const char *p = strstr(msg, "\r\n\r\n") + 4;
    for (; *p;) {
        size_t n = strcspn(p, "\r");
        assert_true(n <= 76);
        p += n + 2;
    }
    assert_non_null(strstr(msg, "\r\nGr=C3=BC=C3=9Fe =3D\r\n"));
    free(msg);
    buf_free(&body);
}

static void envelope_address(void **state)
{
    (void)state;
    char *a = smtp_envelope_address("Accountd <noreply@example.org>");
    assert_string_equal(a, "noreply@example.org");
    free(a);
    a = smtp_envelope_address("noreply@example.org");
    assert_string_equal(a, "noreply@example.org");
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_line_ends_in_crlf),
        cmocka_unit_test(headers_are_complete),
        cmocka_unit_test(message_ids_differ),
        cmocka_unit_test(subject_cannot_add_headers),
        cmocka_unit_test(utf8_subject_is_encoded),
        cmocka_unit_test(long_utf8_subject_is_folded_on_characters),
        cmocka_unit_test(plain_subject_looking_encoded_is_encoded),
        cmocka_unit_test(addresses_lose_control_characters),
        cmocka_unit_test(list_unsubscribe_only_when_given),
        cmocka_unit_test(body_dots_are_left_to_curl),
        cmocka_unit_test(empty_body),
        cmocka_unit_test(long_lines_become_quoted_printable),
        cmocka_unit_test(envelope_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
