#include "billing.h"
#include "form.h"
#include "validate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

json_t *money_json(long long minor, const char *currency)
{
    return json_pack("{s:I, s:s}", "amount_minor", (json_int_t)minor, "currency", currency);
}

void money_format(char *out, size_t size, long long minor, const char *currency)
{
    snprintf(out, size, "%lld.%02lld %s", minor / 100, minor % 100, currency);
}

void invoice_number_format(const char *year, unsigned long long id, char out[INVOICE_NUMBER_SIZE])
{
    snprintf(out, INVOICE_NUMBER_SIZE, "INV-%.8s-%06llu", year ? year : "", id);
}

void invoice_mail_note(char *out, size_t size, const char *number, long long total_minor,
                       const char *currency)
{
    char total[48];
    money_format(total, sizeof(total), total_minor, currency);
    snprintf(out, size,
             "Invoice %s bills %s; anyone with a role in the account finds it among the "
             "account's invoices.",
             number, total);
}

int money_mul_add(long long a, long long b, long long c, long long *out)
{
    if (a < 0 || b < 0 || c < 0)
        return -1;
    if (b != 0 && a > LLONG_MAX / b)
        return -1;
    long long p = a * b;
    if (p > LLONG_MAX - c)
        return -1;
    *out = p + c;
    return 0;
}

int billing_upgrade(int old_term, int new_term, long long old_terms, int paid_months,
                    long long old_total, long long new_total, struct upgrade_bill *out)
{
    memset(out, 0, sizeof(*out));
    if (old_term < 1 || new_term < 1 || old_total < 0 || new_total < 0)
        return -1;
    long long k = old_terms < 1 ? 1 : old_terms;
    out->old_terms = k;
    long long ahead;
    if (money_mul_add(k, old_term, 0, &ahead) < 0 ||
        money_mul_add(k, old_total, 0, &out->credit) < 0)
        return -1;
    /* The new plan's terms that cover the months paid ahead. */
    long long n = ahead / new_term + (ahead % new_term != 0);
    /* No refund: the credit beyond them buys more new-plan terms, the
     * last one whole. */
    if (new_total > 0) {
        long long cover = out->credit / new_total + (out->credit % new_total != 0);
        if (cover > n)
            n = cover;
    }
    if (n < 1)
        n = 1;
    out->new_terms = n;
    if (n > UPGRADE_MAX_MONTHS / new_term)
        return UPGRADE_TOO_LONG;
    if (money_mul_add(n, new_total, 0, &out->new_amount) < 0 ||
        money_mul_add(n, new_term, 0, &out->months) < 0)
        return -1;
    out->amount = out->new_amount > out->credit ? out->new_amount - out->credit : 0;
    long long start = (long long)paid_months - ahead;
    if (start < 0)
        start = 0;
    if (start > INT_MAX - out->months)
        return -1;
    out->paid_months = (int)(start + out->months);
    return 0;
}

/* Names a storefront alias must not take: they are the first path segment
 * of the storefront host's own pages, of accountd's API, or confusing. */
static const char *const reserved_aliases[] = {
    "about",   "account",  "accounts", "admin",     "api",         "app",         "assets",
    "auth",    "billing",  "blog",     "cart",      "checkout",    "dashboard",   "docs",
    "favicon", "health",   "help",     "images",    "invitations", "legal",       "login",
    "logout",  "mail",     "metrics",  "me",        "news",        "portal",      "privacy",
    "ready",   "register", "reseller", "resellers", "root",        "shop",        "signin",
    "signup",  "static",   "status",   "store",     "storefront",  "storefronts", "support",
    "system",  "terms",    "www",      NULL,
};

/* Page names of a distributor's own storefront, on the host its resellers'
 * storefronts share: the seed's ("Reseller Plans product page ... add it to
 * your basket") and a shop's usual ones. A new alias must not take one
 * (round-26 walkthrough of seed 002, D2: a reseller took "basket" and shut
 * the distributor's other resellers out of its basket); a storefront that
 * already has one keeps it, gated and looked up as before. */
static const char *const shop_page_aliases[] = {
    "basket",  "bss",      "catalog",  "catalogue",     "categories",    "category",
    "compare", "contact",  "customer", "customers",     "downloads",     "faq",
    "home",    "invoice",  "invoices", "notifications", "offers",        "order",
    "orders",  "payment",  "payments", "plan",          "plans",         "pricing",
    "product", "products", "profile",  "quote",         "quotes",        "reseller-plans",
    "search",  "settings", "setup",    "subscription",  "subscriptions", "wishlist",
    NULL,
};

const char *storefront_alias_check(const char *alias, int *reserved)
{
    *reserved = 0;
    size_t n = alias ? strlen(alias) : 0;
    if (n < 3 || n > 63)
        return "must be 3 to 63 characters long";
    for (size_t i = 0; i < n; i++) {
        char c = alias[i];
        /* Every caller lowers A-Z first (text_lower_ascii), so what
         * is left here is another character: the message says what is
         * allowed, upper case included (round-17 walkthrough of seed 002,
         * D4: "only lowercase letters" sent people after the case). */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return "may contain only the letters a-z, digits and hyphens (upper case is "
                   "stored in lower case)";
    }
    if (alias[0] == '-' || alias[n - 1] == '-')
        return "must not start or end with a hyphen";
    for (size_t i = 0; reserved_aliases[i]; i++) {
        if (strcmp(alias, reserved_aliases[i]) == 0) {
            *reserved = STOREFRONT_ALIAS_RESERVED;
            return "is reserved";
        }
    }
    if (storefront_shop_page_index(alias) >= 0) {
        *reserved = STOREFRONT_ALIAS_SHOP_PAGE;
        return "is reserved: it names a page of the distributor's own storefront (such as "
               "basket, products or plans)";
    }
    return NULL;
}

_Static_assert(sizeof(shop_page_aliases) / sizeof(shop_page_aliases[0]) - 1 <=
                   STOREFRONT_SHOP_PAGES_MAX,
               "a shop page name's index fits the gate's set of held names");

const char *const *storefront_shop_pages(void)
{
    return shop_page_aliases;
}

int storefront_shop_page_index(const char *alias)
{
    for (int i = 0; alias && shop_page_aliases[i]; i++)
        if (strcmp(alias, shop_page_aliases[i]) == 0)
            return i;
    return -1;
}

int storefront_alias_lower(const char *alias, char *out, size_t size)
{
    return text_lower_ascii(alias ? alias : "", alias ? strlen(alias) : 0, out, size);
}

const char *storefront_host_check(const char *host)
{
    return text_host_check(host);
}

/* How a server behind nginx may read a page's path (uri_alias). */
#define READ_PATH_PARAMS 1 /* ';' ends a segment (servlet matrix parameters) */
#define READ_WINDOWS     2 /* '\' separates segments, trailing dots and spaces dropped */

/* Windows drops a segment's trailing dots and spaces ("alias." and
 * "alias. " are "alias"; round-27 walkthrough of seed 002, D1). "." and
 * ".." stay themselves (after trailing white space: ".. " is ".."); a
 * segment of nothing else ("...") is left empty and vanishes as "//"
 * does. The segment's new length. */
static size_t windows_segment(const char *seg, size_t len)
{
    while (len && strchr(" \t\r\n", seg[len - 1]))
        len--;
    if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
        return len;
    while (len && strchr(" .\t\r\n", seg[len - 1]))
        len--;
    return len;
}

/* storefront_uri_alias (reading 0), and the first segment as an
 * application behind nginx reads the path under reading (READ_*). */
static int uri_alias(const char *uri, unsigned reading, char *out, size_t size)
{
    if (!uri || uri[0] != '/' || size < 2)
        return -1;
    /* Decode the path once, as nginx does before it picks a location
     * (form_decode refuses a bad escape and %00, as nginx does). */
    size_t n = strcspn(uri, "?#");
    char *path = form_decode(uri, n, 0);
    if (!path)
        return -1;
    size_t len = strlen(path);
    /* A '\' is a '/' to IIS and ASP.NET, a decoded %5C too (round-27
     * walkthrough of seed 002, D1). */
    const char *separators = reading & READ_WINDOWS ? "/\\" : "/";
    /* Walk the segments: empty ones ("//") and "." vanish, ".." drops the
     * one before; only the first that stays matters, but a ".." may take
     * it back, so keep the depth and the first segment seen at depth 0. */
    size_t depth = 0, first = 0, first_len = 0;
    int bad = 0;
    for (size_t i = 0; i < len && !bad;) {
        while (i < len && strchr(separators, path[i]))
            i++;
        size_t start = i;
        while (i < len && !strchr(separators, path[i]))
            i++;
        size_t seg = i - start;
        /* ";x" ends the segment ("/alias;x/" is "/alias/", "/;x/" is "//",
         * "/x/..;/" is "/x/../"), a decoded %3B as well. */
        if (reading & READ_PATH_PARAMS) {
            const char *semi = memchr(path + start, ';', seg);
            if (semi)
                seg = (size_t)(semi - (path + start));
        }
        if (reading & READ_WINDOWS)
            seg = windows_segment(path + start, seg);
        if (seg == 0 || (seg == 1 && path[start] == '.'))
            continue;
        if (seg == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (depth == 0)
                bad = 1; /* above the root: nginx answers 400 */
            else
                depth--;
            continue;
        }
        if (depth == 0) {
            first = start;
            first_len = seg;
        }
        depth++;
    }
    /* The segment as the lookups read it (trimmed, lowered): a path they
     * resolve to a storefront is that storefront's page here too. */
    int rc = -1;
    if (!bad && depth > 0 && storefront_segment_alias(path + first, first_len, out, size) == 0 &&
        out[0])
        rc = 0;
    free(path);
    return rc;
}

int storefront_uri_alias(const char *uri, char *out, size_t size)
{
    return uri_alias(uri, 0, out, size);
}

int storefront_uri_alias_params(const char *uri, char *out, size_t size)
{
    return uri_alias(uri, READ_PATH_PARAMS, out, size);
}

size_t storefront_uri_aliases(const char *uri,
                              char out[STOREFRONT_URI_READINGS][STOREFRONT_ALIAS_SIZE])
{
    /* nginx's, a servlet container's, IIS's, and IIS's with ";params"
     * (round-25 and round-27 walkthroughs of seed 002). */
    static const unsigned readings[STOREFRONT_URI_READINGS] = {0, READ_PATH_PARAMS, READ_WINDOWS,
                                                               READ_PATH_PARAMS | READ_WINDOWS};
    size_t n = 0;
    for (size_t r = 0; r < STOREFRONT_URI_READINGS; r++) {
        if (uri_alias(uri, readings[r], out[n], STOREFRONT_ALIAS_SIZE) < 0)
            continue;
        size_t k = 0;
        while (k < n && strcmp(out[k], out[n]) != 0)
            k++;
        if (k == n)
            n++;
    }
    return n;
}

int storefront_segment_alias(const char *segment, size_t len, char *out, size_t size)
{
    size_t start = text_trimmed_span(segment, &len);
    return text_lower_ascii(segment + start, len - start, out, size);
}

void license_key_format(const unsigned char random[25], char out[LICENSE_KEY_SIZE])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t o = 0;
    for (size_t i = 0; i < 25; i++) {
        if (i && i % 5 == 0)
            out[o++] = '-';
        out[o++] = alphabet[random[i] & 31];
    }
    out[o] = '\0';
}

int license_key_new(char out[LICENSE_KEY_SIZE])
{
    unsigned char r[25];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -1;
    license_key_format(r, out);
    return 0;
}

void billing_time_rfc3339(const char *sql_time, char out[BILLING_TIME_SIZE])
{
    out[0] = '\0';
    if (!sql_time || strlen(sql_time) < 19)
        return;
    snprintf(out, BILLING_TIME_SIZE, "%.10sT%.8sZ", sql_time, sql_time + 11);
}
