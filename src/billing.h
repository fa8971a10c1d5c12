/*
 * billing: pure rules shared by the commercial resources (catalog, orders,
 * subscriptions, storefronts, licenses, invoices): money as integer minor
 * units with a currency, storefront aliases, license keys. No I/O here
 * except license_key_new's random bytes; unit-tested in tests/unit.
 */
#ifndef ACCOUNTD_BILLING_H
#define ACCOUNTD_BILLING_H

#include <jansson.h>
#include <stddef.h>

/* {"amount_minor": minor, "currency": "EUR"} (a new reference). Money is
 * never a floating-point number anywhere in accountd. */
json_t *money_json(long long minor, const char *currency);

/* minor units as text, "147.00 EUR" (the catalog's currencies have two
 * decimals), NUL-terminated in out (truncated to size - 1). */
void money_format(char *out, size_t size, long long minor, const char *currency);

/* An invoice's number as its customer reads it: "INV-<year issued>-<id,
 * six digits at least>" ("INV-2026-000012"). Pure. */
#define INVOICE_NUMBER_SIZE 48
void invoice_number_format(const char *year, unsigned long long id, char out[INVOICE_NUMBER_SIZE]);

/* The line the welcome and subscription-change mails give an invoice
 * ({{invoice}}): its number, its total and where it is read, in words for
 * its non-technical readers (round-11 leftover of seeds 000, D4, and 001,
 * O9: it gave an API path), e.g. "Invoice INV-2026-000012 bills 147.00
 * EUR; anyone with a role in the account finds it among the account's
 * invoices." Pure. */
void invoice_mail_note(char *out, size_t size, const char *number, long long total_minor,
                       const char *currency);

/* *out = a * b + c without overflow and never negative: 0, or -1 if the
 * result would not fit in a long long (the caller answers 422). */
int money_mul_add(long long a, long long b, long long c, long long *out);

/* What an upgrade of a plan line bills (round-27 walkthrough of seed 001,
 * D1: monthly professional renewed once, then yearly enterprise, billed
 * the yearly difference once per paid-ahead month). The new plan counts
 * from the start of the old line's current paid term, the start of the
 * old_terms (k, at least 1) old terms paid from the term now runs in to
 * the old line's paid_until. n = the new plan's terms needed to cover
 * those k x old_term months (at least 1); the bill is n x new_total less
 * the credit k x old_total (each a term's price of all the line's seats);
 * when that would be negative, n grows until it is not (the credit buys
 * new-plan time; nothing is refunded; a free new plan: 0). With the same
 * term on both plans n = k, and the bill is k x (new_total - old_total),
 * as before. When the credit decides n, the last new term is bought
 * whole: the customer pays the difference and gets that term. The new
 * terms may reach at most UPGRADE_MAX_MONTHS past the start. */
#define UPGRADE_MAX_MONTHS 120
struct upgrade_bill {
    long long old_terms;  /* k */
    long long new_terms;  /* n */
    long long new_amount; /* n x new_total */
    long long credit;     /* k x old_total */
    long long amount;     /* new_amount - credit, never negative */
    long long months;     /* n x new_term: from the start to the new paid_until */
    int paid_months;      /* the new line's paid months from started_at: the
                           * start (paid_months - k x old_term, at least 0)
                           * + months */
};
/* paid_months: the old line's, from the subscription's started_at. 0;
 * UPGRADE_TOO_LONG when the new terms would reach more than
 * UPGRADE_MAX_MONTHS past the start (old_terms, new_terms and credit are
 * set; the caller answers 409); -1 when a term is not positive or an
 * amount or the new paid_months does not fit (the caller answers 422).
 * Pure. */
#define UPGRADE_TOO_LONG (-2)
int billing_upgrade(int old_term, int new_term, long long old_terms, int paid_months,
                    long long old_total, long long new_total, struct upgrade_bill *out);

/* NULL if alias is a valid storefront alias: 3-63 characters of a-z, 0-9
 * and '-', neither starting nor ending with '-', not reserved; else why not
 * (a static string). *reserved is set when the only fault is that the alias
 * is reserved: STOREFRONT_ALIAS_RESERVED for a path of the site or of
 * accountd (api, login, static: never a storefront), STOREFRONT_ALIAS_SHOP_
 * PAGE for a page name of a distributor's own storefront (basket, products,
 * plans: no new alias takes one, while a storefront that had one before
 * keeps it; round-26 walkthrough of seed 002, D2); else 0. */
#define STOREFRONT_ALIAS_RESERVED  1
#define STOREFRONT_ALIAS_SHOP_PAGE 2
const char *storefront_alias_check(const char *alias, int *reserved);
/* The shop page names (STOREFRONT_ALIAS_SHOP_PAGE), NULL-terminated, in a
 * fixed order; at most STOREFRONT_SHOP_PAGES_MAX of them (the gate keeps
 * the ones storefronts hold as bits of a 64-bit set). */
#define STOREFRONT_SHOP_PAGES_MAX 64
const char *const *storefront_shop_pages(void);
/* alias's index in storefront_shop_pages(), or -1 when it is none. */
int storefront_shop_page_index(const char *alias);
/* Room for any alias storefront_alias_lower copies whole (longer ones are
 * invalid anyway). */
#define STOREFRONT_ALIAS_SIZE 256
/* alias with A-Z in lower case into out (size bytes), as the sign-in
 * compares it; the rest as it is, for storefront_alias_check. 0, or -1
 * when it does not fit (out then holds a cut copy, still too long to be
 * valid when size > 64). */
int storefront_alias_lower(const char *alias, char *out, size_t size);

/* The alias a path segment names, %-decoded already (once, without '+'
 * as a space: the router's segments, form_decode), into out (size bytes,
 * NUL-terminated): the spaces, tabs and line breaks around it dropped
 * (text_trimmed_span, as a pasted alias is trimmed), then A-Z lowered
 * (storefront_alias_lower). The one reading of a path's alias: the public
 * lookups (GET /storefronts/{alias}, /storefront-aliases/{alias}) and the
 * storefront's sign-in gate (storefront_uri_alias) both take it, so every
 * path the lookups resolve to a storefront is gated as that storefront
 * (round-19 walkthrough of seed 002, D1: "/%20alias/" was resolved by the
 * lookups and let through by the gate). 0; -1 when the trimmed segment
 * does not fit (out then holds its first size - 1 bytes, still too long
 * to be valid when size > 64). Pure; the caller checks the result with
 * storefront_alias_check. */
int storefront_segment_alias(const char *segment, size_t len, char *out, size_t size);

/* The storefront alias a request for uri is under, as nginx serves it:
 * the path (up to '?' or '#') is %-decoded once, "//" merged, "." and
 * ".." resolved, and its first segment read by storefront_segment_alias
 * (white space around it dropped, lower case: aliases are lowercase; a
 * user may type them in any case). 0 with the alias in out
 * (NUL-terminated, 1 to size - 1 characters); -1 when there is no first
 * segment, nothing is left of it but white space, it does not fit, or uri
 * is no path nginx would serve (not starting with '/', a bad or NUL
 * %-escape, ".." above the root). Pure; the caller still checks the alias
 * with storefront_alias_check. */
int storefront_uri_alias(const char *uri, char *out, size_t size);
/* The same as an application behind nginx that takes ";params" off each
 * segment reads it (servlet containers: matrix parameters): every segment
 * ends at its first ';', a decoded "%3B" included ("/alias;x/",
 * "/alias;/", "/alias%3Bx/" are "/alias/"; "/;x/alias/" is "//alias/";
 * "/x/..;/alias/" is "/x/../alias/"). The gate checks the page under both
 * readings (round-25 walkthrough of seed 002, security note). Pure; 0 or
 * -1 as storefront_uri_alias. */
int storefront_uri_alias_params(const char *uri, char *out, size_t size);
/* Every alias the first segment of uri names to some server that may
 * stand behind nginx, each once (at most STOREFRONT_URI_READINGS), into
 * out; their number (0: no reading has a first segment). The readings:
 * nginx's (storefront_uri_alias), a servlet container's (";params" off,
 * storefront_uri_alias_params), and IIS's and ASP.NET's, without and with
 * ";params": '\' (a decoded "%5C" too) separates segments as '/' does,
 * and a segment's trailing dots and spaces are dropped as Windows drops
 * them ("/alias\x", "/alias%5Cx", "/alias./", "/alias%2E/" are
 * "/alias/"; "." and ".." stay, ".. " is "..", "..." vanishes). The gate
 * refuses a page when any of them is a storefront the caller may not sign
 * in at (round-27 walkthrough of seed 002, D1). No alias has a ';', '\'
 * or '.', so a stricter reading only adds the storefront another server
 * would serve there, never takes nginx's away. Pure; the caller checks each alias with
 * storefront_alias_check. */
#define STOREFRONT_URI_READINGS 4
size_t storefront_uri_aliases(const char *uri,
                              char out[STOREFRONT_URI_READINGS][STOREFRONT_ALIAS_SIZE]);

/* NULL if host is a storefront host name (text_host_check: 1-253
 * characters of a-z, 0-9, '-' and dots, an optional ":port"); else why
 * not (a static string). */
const char *storefront_host_check(const char *host);

/* A fresh license key: 25 random characters of the RFC 4648 base32
 * alphabet in five groups ("ABCDE-FGHIJ-..."), NUL-terminated in out.
 * Returns 0, or -1 when the system has no randomness. */
#define LICENSE_KEY_SIZE 30
int license_key_new(char out[LICENSE_KEY_SIZE]);
/* Formats 25 bytes of randomness as a key (pure; for tests). */
void license_key_format(const unsigned char random[25], char out[LICENSE_KEY_SIZE]);

/* A MariaDB DATETIME as it reads from a row ("2027-01-30 06:41:28" or
 * with microseconds, ".598688") as the API shows every time: RFC 3339
 * UTC to the second ("2027-01-30T06:41:28Z"), in out. Anything shorter
 * than "YYYY-MM-DD HH:MM:SS" (an empty column) gives "". Pure. */
#define BILLING_TIME_SIZE 21
void billing_time_rfc3339(const char *sql_time, char out[BILLING_TIME_SIZE]);

#endif
