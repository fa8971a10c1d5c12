/*
 * validate: checks of single field values, pure and table-driven.
 *
 * Each function returns NULL when the value is fine, or a short human
 * message for the problem+json "errors" member. None of them allocate: a
 * message that names a length (and the length found) is written into the
 * caller's why buffer of WHY_SIZE bytes, every other one is a constant.
 */
#ifndef ACCOUNTD_VALIDATE_H
#define ACCOUNTD_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

/* The unit a text's length limit counts in (round-19 walkthrough of seed
 * 001, D1: limits counted bytes, so "Müller" was 7 long and 51 "ä" were
 * over a limit of 100). Characters are Unicode code points, as MariaDB's
 * utf8mb4 VARCHAR(n) counts them and as a person counts most text; bytes
 * are UTF-8's, where the store or a standard counts octets (an e-mail
 * address, RFC 5321; a template body, held in a TEXT column of 65,535
 * bytes). A letter written with a combining mark ("a" and U+0308) is two
 * code points: fields stored in NFC (labels, options, property values)
 * are counted after text_nfc, where most such pairs become one. */
enum text_unit { TEXT_CHARACTERS, TEXT_BYTES };
struct text_limit {
    size_t max;
    enum text_unit unit;
};
#define MAX_CHARS(n) ((struct text_limit){(n), TEXT_CHARACTERS})
#define MAX_BYTES(n) ((struct text_limit){(n), TEXT_BYTES})
/* No limit: for a field whose own check names its limit (a host name, a
 * storefront alias), so that a long value reads that check's words. */
#define ANY_LENGTH ((struct text_limit){SIZE_MAX, TEXT_BYTES})

/* Room for each message below that is written into the caller's why
 * buffer (the checks that name a length). The buffer is the caller's, on
 * its stack: the messages are made on worker threads, and the caller
 * copies the message (res_field_error) before the buffer goes. */
#define WHY_SIZE 160

/* The number of code points of UTF-8 s (its bytes that are no UTF-8
 * continuation byte; a malformed byte counts as one). */
size_t text_chars(const char *s);
/* The length of s in unit: text_chars or strlen. */
size_t text_length(const char *s, enum text_unit unit);
/* Writes what a 422 says of a text length over limit into why, and
 * returns why: "is too long: at most 100 characters (this is 101)", or
 * for bytes "is too long: at most 254 bytes of UTF-8, where a letter
 * such as \u00e4 takes 2 (this is 260)". */
const char *text_too_long(char why[WHY_SIZE], struct text_limit limit, size_t length);
/* NULL if s is at most limit long, else text_too_long's message in why. */
const char *validate_length(const char *s, struct text_limit limit, char why[WHY_SIZE]);

/* Printable UTF-8 text without control characters, 1..limit long after
 * the caller trimmed it; the message of a text too long in why. */
const char *validate_text(const char *s, struct text_limit limit, char why[WHY_SIZE]);
/* 1 if s ("" too) is only space that shows nothing: spaces, tabs, no-break
 * and other Unicode spaces, zero-width spaces. */
int text_is_blank(const char *s);
/* A new password (accept, password reset): 8 to 128 characters (code
 * points: "\u00e4\u00e4\u00e4\u00e4" is 4, not 8), not only blank
 * space, UTF-8 without control characters (validate_chars). NULL or why
 * not. */
const char *validate_password(const char *s);
/* A name or label a person reads (an account's name, a property's label):
 * validate_text, and not only blank space ("must not be empty"). */
const char *validate_name(const char *s, struct text_limit limit, char why[WHY_SIZE]);
/* 1 if code point c is an invisible format character (Unicode category
 * Cf in the BMP but for the Arabic and Syriac number signs): soft hyphen,
 * U+061C, U+180E, U+200B..U+200F, U+202A..U+202E, U+2060..U+2064,
 * U+2066..U+206F, U+FEFF, U+FFF9..U+FFFB. */
int text_format_char(long c);
/* NULL if s has no text_format_char (a zero-width joiner or non-joiner
 * between two visible characters that are both outside the Latin ranges
 * (U+0000..U+024F, U+1E00..U+1EFF) is part of a word: Persian, Indic
 * scripts, emoji sequences; next to a Latin character, accented or not,
 * it is not, round-26 walkthrough of seed 004, D2); else why,
 * naming the first one's position (in characters, from 1) and code
 * point: a name with one looks like the name without it (round-25
 * walkthrough of seed 004, D1). The one check of names, labels, the
 * company's text fields and people's first and last names (body_text,
 * body_name).
 * Malformed UTF-8 is validate_chars's to report (NULL here). */
const char *validate_no_format_chars(const char *s, char why[WHY_SIZE]);
/* NULL if s is UTF-8 without control characters (C0, DEL, C1 such as
 * U+0085) and without bidirectional formatting characters (U+202A..U+202E,
 * U+2066..U+2069, LRM, RLM, ALM) or U+2028/U+2029; multi_line allows LF,
 * CR and TAB. Otherwise the reason. */
const char *validate_chars(const char *s, int multi_line);
/* 1 if code point c is refused by validate_chars. */
int text_forbidden_char(long c, int multi_line);
/* ISO 3166-1 alpha-2, upper case. */
const char *validate_country(const char *code);
/* A VAT ID in the format of its country (EU, GB, CH, NO; others: 2-20
 * letters and digits). Spaces, dots and dashes are ignored. */
const char *validate_vat_id(const char *country, const char *vat_id);
/* A postcode in the format of its country (the EU countries; elsewhere up
 * to 20 letters, digits, spaces and dashes). Letters in any case. The
 * message of one over 20 characters in why. */
const char *validate_postcode(const char *country, const char *postcode, char why[WHY_SIZE]);
/* An e-mail address: one '@', a dotted domain, no spaces, at most 254
 * bytes (RFC 5321 counts octets; the message of a longer one in why). */
const char *validate_email(const char *s, char why[WHY_SIZE]);
/* validate_email, ASCII only: for addresses that become LDAP's mail
 * (IA5String): invitations and account contacts. */
const char *validate_email_ascii(const char *s, char why[WHY_SIZE]);
/* A person's uid as accountd creates and accepts it: 1-64 of [A-Za-z0-9._-],
 * starting with a letter or digit. */
const char *validate_uid(const char *s);
/* Whether a and b name the same person's uid: the one comparison of uids
 * (round-24 walkthrough of seed 004, D1), without regard to case, as
 * LDAP's uid matching (caseIgnoreMatch) and accountd's SQL (LOWER(uid) =
 * LOWER(?)) compare them: a uid stored in MariaDB (a named contact, an
 * inviter) stays that person's after an LDAP administrator changed only
 * its case. NULL is nobody's uid (0). Pure. */
int uid_equal(const char *a, const char *b);
/* Idempotency-Key: 1-128 visible ASCII characters (0x21-0x7e: no spaces). */
const char *validate_idempotency_key(const char *s);
/* Folds a user name the way LDAP's caseIgnoreMatch compares it, as far as
 * ASCII goes: leading and trailing spaces dropped, inner runs of spaces
 * collapsed to one, A-Z lowered. In place (the result is never longer);
 * returns s. */
char *fold_user_name(char *s);
/* The part of s[0..*len) without the spaces, tabs and line breaks (CR,
 * LF) around it: its start, and its length in *len. Pure; the one
 * definition of the white space accountd trims (body_trim,
 * json_string_trimmed and text_trimmed; the storefront alias of a path
 * too: billing.h, storefront_segment_alias). */
size_t text_trimmed_span(const char *s, size_t *len);
/* C text s without the spaces, tabs and line breaks around it (a select's
 * option, round-17 walkthrough of seed 001, D3): a malloc'ed copy; the
 * caller frees it. */
char *text_trimmed(const char *s);
/* s[0..n) with A-Z in lower case, the other bytes as they are, into out
 * (size bytes, NUL-terminated): how host names and storefront aliases are
 * compared. 0, or -1 when it does not fit (out then holds the first
 * size - 1 bytes lowered). */
int text_lower_ascii(const char *s, size_t n, char *out, size_t size);
/* NULL if host is a host name as a storefront's and the site's hosts are
 * written: 1-253 characters, dot-separated labels of a-z, 0-9 and '-'
 * (1-63 each, no '-' at either end), an optional ":port" (1-65535); else
 * why not (a static string; a URL, with a scheme, path, query or user, is
 * told it must be a host name only). Upper case is no host name here: the
 * callers lower it first. The fault is named (round-27 walkthrough of
 * seed 002, D2): a non-ASCII name is told to enter its xn-- form, then
 * the length, a character other than a-z, 0-9, '-' and '.', an empty
 * label, a label over 63, a '-' at a label's edge, the port. */
const char *text_host_check(const char *host);
/* Unicode text as accountd stores what people type in labels, options
 * and property values: s in Normalization Form C (GNU libunistring's
 * u8_normalize, UNINORM_NFC), so that "O\u0308sterreich" (NFD, as a Mac's
 * copy and paste gives it) is stored "\u00d6sterreich" and U+212A KELVIN
 * SIGN "K" (round-18 walkthrough of seed 001, D3). malloc'ed, the caller
 * frees it; s that is not UTF-8 is copied as it is (validate_chars
 * refuses it). */
char *text_nfc(const char *s);
/* 1 if a and b are the same text but for the normalization form (their
 * NFC forms are equal), 0 otherwise. */
int text_same_nfc(const char *a, const char *b);
/* The key that tells look-alike names apart (a property's label, a
 * select's option): two names look alike when their keys are equal. The
 * blank space around s is dropped (text_is_blank's spaces, and line
 * breaks), the rest is case-folded and normalized with libunistring's
 * u8_casefold(..., UNINORM_NFKC): Unicode's compatibility caseless match
 * (the comparison u8_casecmp makes with UNINORM_NFKC). So "Gold", " gold ",
 * "GOLD\u00a0"; "Österreich" in NFC and NFD; "Kärnten" and
 * "\u212Aärnten"; "Straße", "STRASSE" and "STRAẞE" (full case folding: ß
 * is "ss"); "σας" and "ΣΑΣ" (final sigma); "Ｇold" and "Gold" (NFKC) are
 * each one key. Language-neutral: the Turkish dotless ı and the dotted İ
 * are letters of their own ("Istanbul" and "İstanbul" differ). Inner
 * spaces stay (a no-break space counts as a space). malloc'ed, the caller
 * frees it. */
char *text_alike_key(const char *s);
/* text_alike_key for names people tell apart by how they look in a
 * list (project names; round-20 walkthrough of seed 003, D2): besides,
 * every run of blank space inside s (spaces, tabs, line breaks, no-break
 * and other Unicode spaces) counts as one space and a zero-width
 * character (U+200B, U+2060, U+FEFF, U+180E) as none, since HTML shows
 * "Kunde  Vier" as "Kunde Vier". Labels and options keep text_alike_key,
 * whose inner spaces stay. malloc'ed, the caller frees it. */
char *name_alike_key(const char *s);
/* Folds a VAT ID the way validate_vat_id reads it: spaces, dots and
 * dashes dropped, a-z upper-cased (other bytes kept). In place (the result
 * is never longer); returns s. The account search compares stored VAT IDs
 * folded the same way (overview_store.h). */
char *fold_vat_id(char *s);
/* The text of an account search (GET /accounts?search=), trimmed by the
 * caller: not only blank space (text_is_blank: "must not be empty"), at
 * most SEARCH_MAX_CHARS characters (code points; the message in why),
 * validate_chars. */
#define SEARCH_MAX_CHARS 200
const char *validate_search(const char *s, char why[WHY_SIZE]);
/* Parses a positive decimal id (1..2^63-1) with no sign or spaces: 0 if bad. */
unsigned long long parse_id(const char *s);

/* An RFC 3339 time in UTC, "YYYY-MM-DDTHH:MM:SSZ" (fractions of a second
 * allowed and dropped): NULL if fine, with *when set and sql (20 bytes)
 * holding "YYYY-MM-DD HH:MM:SS" for MariaDB. */
#include <time.h>
const char *validate_utc_time(const char *s, time_t *when, char sql[20]);

/* base64url without padding. Encode returns a malloc'ed string; decode
 * returns a malloc'ed NUL-terminated buffer or NULL if s is not base64url. */
char *base64url_encode(const unsigned char *data, size_t len);
char *base64url_decode(const char *s, size_t *out_len);
/* The SHA-256 of s (without its NUL) as 64 lower-case hex digits and a NUL
 * (nettle): invitation tokens are hashed here, so the cleartext never
 * reaches MariaDB (nor its general or slow query log). */
void sha256_hex(const char *s, char out[65]);

#endif
