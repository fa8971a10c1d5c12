/* Unit tests: money arithmetic, storefront aliases, license keys, --now. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <string.h>

#include "billing.h"
#include "subscriptions.h"

static void money_is_integer_minor_units(void **state)
{
    (void)state;
    json_t *m = money_json(4900, "EUR");
    assert_true(json_is_integer(json_object_get(m, "amount_minor")));
    assert_int_equal(json_integer_value(json_object_get(m, "amount_minor")), 4900);
    assert_string_equal(json_string_value(json_object_get(m, "currency")), "EUR");
    json_decref(m);
    long long out = 0;
    assert_int_equal(money_mul_add(3, 990, 10, &out), 0);
    assert_int_equal(out, 2980);
    assert_int_equal(money_mul_add(LLONG_MAX / 2, 3, 0, &out), -1);
    assert_int_equal(money_mul_add(1, LLONG_MAX, 1, &out), -1);
    assert_int_equal(money_mul_add(-1, 5, 0, &out), -1);
    assert_int_equal(money_mul_add(0, LLONG_MAX, 0, &out), 0);
    assert_int_equal(out, 0);
    char text[160];
    money_format(text, sizeof(text), 14700, "EUR");
    assert_string_equal(text, "147.00 EUR");
    money_format(text, sizeof(text), 5, "CHF");
    assert_string_equal(text, "0.05 CHF");
    money_format(text, sizeof(text), 0, "EUR");
    assert_string_equal(text, "0.00 EUR");
    char number[INVOICE_NUMBER_SIZE];
    invoice_number_format("2026", 12, number);
    assert_string_equal(number, "INV-2026-000012");
    invoice_number_format("2027", 1234567, number);
    assert_string_equal(number, "INV-2027-1234567");
    /* In words, no API path (round-11 leftover of seeds 000 and 001). */
    invoice_mail_note(text, sizeof(text), "INV-2026-000012", 2990, "EUR");
    assert_string_equal(text, "Invoice INV-2026-000012 bills 29.90 EUR; anyone with a role in the "
                              "account finds it among the account's invoices.");
}

static void aliases(void **state)
{
    (void)state;
    int reserved;
    assert_null(storefront_alias_check("techsolutions", &reserved));
    assert_null(storefront_alias_check("abc", &reserved));
    assert_null(storefront_alias_check("a-1-b", &reserved));
    char long63[64], long64[65];
    memset(long63, 'a', 63);
    long63[63] = '\0';
    memset(long64, 'a', 64);
    long64[64] = '\0';
    assert_null(storefront_alias_check(long63, &reserved));
    assert_non_null(storefront_alias_check(long64, &reserved));
    assert_non_null(storefront_alias_check("ab", &reserved));
    assert_non_null(storefront_alias_check("", &reserved));
    assert_non_null(storefront_alias_check(NULL, &reserved));
    assert_non_null(storefront_alias_check("Tech", &reserved));
    assert_non_null(storefront_alias_check("tech_sol", &reserved));
    assert_non_null(storefront_alias_check("tech.sol", &reserved));
    assert_non_null(storefront_alias_check("-tech", &reserved));
    assert_non_null(storefront_alias_check("tech-", &reserved));
    assert_int_equal(reserved, 0);
    assert_non_null(storefront_alias_check("api", &reserved));
    assert_int_equal(reserved, 1);
    assert_non_null(storefront_alias_check("www", &reserved));
    assert_int_equal(reserved, STOREFRONT_ALIAS_RESERVED);
    /* Round-26 walkthrough of seed 002, D2: the pages of a distributor's
     * own storefront. */
    const char *pages[] = {"basket", "products", "plans", "orders", "reseller-plans", NULL};
    for (size_t i = 0; pages[i]; i++) {
        assert_non_null(strstr(storefront_alias_check(pages[i], &reserved), "reserved"));
        assert_int_equal(reserved, STOREFRONT_ALIAS_SHOP_PAGE);
    }
    assert_null(storefront_alias_check("basket-shop", &reserved));
    assert_int_equal(reserved, 0);
}

/* Round-14 walkthrough of seed 002, D3: an alias in another case is the
 * lower-case alias; the other rules still apply after lowering. */
static void aliases_are_lowered_before_the_check(void **state)
{
    (void)state;
    char out[STOREFRONT_ALIAS_SIZE];
    int reserved;
    assert_int_equal(storefront_alias_lower("TechSolutions", out, sizeof(out)), 0);
    assert_string_equal(out, "techsolutions");
    assert_null(storefront_alias_check(out, &reserved));
    assert_int_equal(storefront_alias_lower("T14S002-BETA", out, sizeof(out)), 0);
    assert_string_equal(out, "t14s002-beta");
    assert_int_equal(storefront_alias_lower("Tech_Sol", out, sizeof(out)), 0);
    assert_string_equal(out, "tech_sol");
    assert_non_null(storefront_alias_check(out, &reserved));
    assert_int_equal(storefront_alias_lower("API", out, sizeof(out)), 0);
    assert_non_null(storefront_alias_check(out, &reserved));
    assert_int_equal(reserved, 1);
    /* Only A-Z: other bytes stay, and stay refused. */
    assert_int_equal(storefront_alias_lower("caf\xc3\x89", out, sizeof(out)), 0);
    assert_string_equal(out, "caf\xc3\x89");
    assert_non_null(storefront_alias_check(out, &reserved));
    char small[4];
    assert_int_equal(storefront_alias_lower("ABCD", small, sizeof(small)), -1);
    assert_string_equal(small, "abc");
    assert_int_equal(storefront_alias_lower("", small, sizeof(small)), 0);
    assert_string_equal(small, "");
}

/* The alias a storefront page is under, decided from the path nginx
 * serves, not from the raw request URI (round-3 walkthrough of seed 002). */
static void uri_aliases(void **state)
{
    (void)state;
    char a[64];
    static const char *const same[] = {
        "/t3s002-bss/",
        "/t3s002-bss",
        "//t3s002-bss/",
        "/%743s002-bss/",
        "/./t3s002-bss/",
        "/x/../t3s002-bss/",
        "/t3s002-bss%2F",
        "/T3S002-BSS/",
        "/t3s002-bss/login?x",
        "/t3s002-bss?a=/b",
        "/%2e/t3s002-bss/x",
        "/x/%2E%2E/t3s002-bss",
        "///t3s002-bss//x/..",
        "/t3s002-bss#frag",
        "/t3s002-%42ss/",
        "/a/b/../../t3s002-bss",
        NULL,
    };
    for (size_t i = 0; same[i]; i++) {
        memset(a, 'z', sizeof(a));
        assert_int_equal(storefront_uri_alias(same[i], a, sizeof(a)), 0);
        assert_string_equal(a, "t3s002-bss");
    }
    assert_int_equal(storefront_uri_alias("/api/v1/me", a, sizeof(a)), 0);
    assert_string_equal(a, "api");
    /* A %3F is part of the path, not its end. */
    assert_int_equal(storefront_uri_alias("/ab%3Fc/", a, sizeof(a)), 0);
    assert_string_equal(a, "ab?c");
    /* No first segment, or nothing nginx would serve. */
    static const char *const none[] = {
        "/",     "//",  "/./",    "/x/..", "/x/../", "/..",          "/../t3s002-bss/",
        "/%zz/", "/%4", "/%00x/", "x/y",   "",       "/?t3s002-bss", NULL,
    };
    for (size_t i = 0; none[i]; i++)
        assert_int_equal(storefront_uri_alias(none[i], a, sizeof(a)), -1);
    assert_int_equal(storefront_uri_alias(NULL, a, sizeof(a)), -1);
    /* Too long for out. */
    assert_int_equal(storefront_uri_alias("/abcdef/", a, 6), -1);
    assert_int_equal(storefront_uri_alias("/abcde/", a, 6), 0);
    assert_string_equal(a, "abcde");
}

/* Round-25 walkthrough of seed 002, security note: "/alias;x/" was the
 * page of no storefront to the gate, while an application that takes
 * ";params" off each segment serves it as alias's. The params reading ends
 * each segment at its first ';' (a decoded %3B too); the plain one keeps
 * it. */
static void a_paths_alias_is_read_without_path_parameters(void **state)
{
    (void)state;
    char a[64];
    static const char *const same[] = {
        "/t25s002-shop;x/",
        "/t25s002-shop;/",
        "/t25s002-shop%3Bx/",
        "/t25s002-shop%3b/",
        "/T25S002-SHOP;j=1/x",
        "/;x/t25s002-shop/",
        "/x/..;/t25s002-shop/",
        "/.;/t25s002-shop;a/b",
        "/%20t25s002-shop%20;x",
        "/t25s002-shop;x?y",
        NULL,
    };
    for (size_t i = 0; same[i]; i++) {
        memset(a, 'z', sizeof(a));
        assert_int_equal(storefront_uri_alias_params(same[i], a, sizeof(a)), 0);
        assert_string_equal(a, "t25s002-shop");
    }
    /* nginx's reading keeps the ';'. */
    assert_int_equal(storefront_uri_alias("/t25s002-shop;x/", a, sizeof(a)), 0);
    assert_string_equal(a, "t25s002-shop;x");
    assert_int_equal(storefront_uri_alias("/x/..;/t25s002-shop/", a, sizeof(a)), 0);
    assert_string_equal(a, "x");
    /* Without ';' both readings are one. */
    assert_int_equal(storefront_uri_alias_params("/x/../t25s002-shop/", a, sizeof(a)), 0);
    assert_string_equal(a, "t25s002-shop");
    /* Nothing before the ';', or nothing nginx would serve. */
    static const char *const none[] = {"/;x/",   "/;/", "/%3B/", "/x/..;", "/..;/t25s002-shop/",
                                       "/%zz;/", NULL};
    for (size_t i = 0; none[i]; i++)
        assert_int_equal(storefront_uri_alias_params(none[i], a, sizeof(a)), -1);
}

/* Round-19 walkthrough of seed 002, D1: the lookups trimmed a path's
 * alias ("/storefronts/%20alias") while the sign-in gate took " alias" as
 * no alias at all and let everybody in. One reading for both: the
 * segment without the white space around it, lowered. */
static void a_paths_alias_is_trimmed_and_lowered(void **state)
{
    (void)state;
    char a[64];
    static const char *const segments[] = {
        " t19s002-shop",        "t19s002-shop ",
        "\tt19s002-shop",       "t19s002-shop\t",
        "\nt19s002-shop",       "t19s002-shop\n",
        "\r\nt19s002-shop\r\n", " \t T19S002-Shop \n",
        "T19S002-SHOP",         NULL,
    };
    for (size_t i = 0; segments[i]; i++) {
        memset(a, 'z', sizeof(a));
        assert_int_equal(storefront_segment_alias(segments[i], strlen(segments[i]), a, sizeof(a)),
                         0);
        assert_string_equal(a, "t19s002-shop");
    }
    /* Only the given length counts; inner white space stays (and is
     * refused by storefront_alias_check); other bytes stay as they are. */
    assert_int_equal(storefront_segment_alias(" ab c /x", 6, a, sizeof(a)), 0);
    assert_string_equal(a, "ab c");
    assert_int_equal(storefront_segment_alias("\vabc\f", 5, a, sizeof(a)), 0);
    assert_string_equal(a, "\vabc\f");
    assert_int_equal(storefront_segment_alias(" \t\n", 3, a, sizeof(a)), 0);
    assert_string_equal(a, "");
    /* Trimmed before it must fit: a run of spaces is no way round. */
    char longer[200];
    memset(longer, ' ', sizeof(longer));
    memcpy(longer + 150, "t19s002-shop", 12);
    assert_int_equal(storefront_segment_alias(longer, sizeof(longer), a, sizeof(a)), 0);
    assert_string_equal(a, "t19s002-shop");
    char small[4];
    assert_int_equal(storefront_segment_alias(" ABCD ", 6, small, sizeof(small)), -1);
    assert_string_equal(small, "abc");

    /* The gate's reading of a page: every spelling the lookups resolve. */
    static const char *const same[] = {
        "/%20t19s002-shop/",          "/t19s002-shop%20/",       "/%09t19s002-shop/",
        "/t19s002-shop%09/portal",    "/%0At19s002-shop/",       "/t19s002-shop%0A/",
        "/%0D%0At19s002-shop%0D%0A/", "/%20T19S002-Shop/",       "//%20t19s002-shop%20//x",
        "/x/../%20t19s002-shop/",     "/%2520/../t19s002-shop/", NULL,
    };
    for (size_t i = 0; same[i]; i++) {
        memset(a, 'z', sizeof(a));
        assert_int_equal(storefront_uri_alias(same[i], a, sizeof(a)), 0);
        assert_string_equal(a, "t19s002-shop");
    }
    /* 60 spaces and the alias: more than out holds untrimmed. */
    char uri[400] = "/";
    for (int i = 0; i < 60; i++)
        strcat(uri, "%20");
    strcat(uri, "t19s002-shop/");
    assert_int_equal(storefront_uri_alias(uri, a, sizeof(a)), 0);
    assert_string_equal(a, "t19s002-shop");
    /* A first segment of white space only names no alias; "%2520" is
     * decoded once, to "%20", as nginx decodes it. */
    assert_int_equal(storefront_uri_alias("/%20/t19s002-shop/", a, sizeof(a)), -1);
    assert_int_equal(storefront_uri_alias("/%2520t19s002-shop/", a, sizeof(a)), 0);
    assert_string_equal(a, "%20t19s002-shop");
}

static void hosts(void **state)
{
    (void)state;
    assert_null(storefront_host_check("cloud.disti.com"));
    assert_null(storefront_host_check("localhost"));
    assert_null(storefront_host_check("shop-1.example.org:8443"));
    assert_non_null(storefront_host_check(""));
    assert_non_null(storefront_host_check(NULL));
    assert_non_null(storefront_host_check("Cloud.disti.com"));
    assert_non_null(storefront_host_check("cloud..com"));
    assert_non_null(storefront_host_check(".cloud.com"));
    assert_non_null(storefront_host_check("cloud.com."));
    assert_non_null(storefront_host_check("-cloud.com"));
    assert_non_null(storefront_host_check("cloud-.com"));
    assert_non_null(storefront_host_check("cloud.com/x"));
    /* a pasted URL: told so, not "has a bad port" (round-15 walkthrough
     * of seed 002, D6) */
    const char *url_why = storefront_host_check("https://shop4.example/");
    assert_non_null(url_why);
    assert_non_null(strstr(url_why, "without https:// or a path"));
    assert_non_null(strstr(storefront_host_check("shop4.example/x"), "or a path"));
    assert_non_null(strstr(storefront_host_check("http://shop4.example"), "https://"));
    assert_non_null(storefront_host_check("cloud.com:0"));
    assert_non_null(storefront_host_check("cloud.com:65536"));
    assert_non_null(storefront_host_check("cloud.com:"));
    assert_non_null(storefront_host_check("cloud.com:80:80"));
    char label[70];
    memset(label, 'a', 64);
    strcpy(label + 64, ".com");
    assert_non_null(storefront_host_check(label));
}

/* Round-27 walkthrough of seed 002, D2: every bad host was "must be
 * labels of a-z, 0-9 and '-' separated by dots", a 64-character label of
 * allowed letters and "bücher.example" included. The fault is named. */
static void a_bad_host_is_told_its_fault(void **state)
{
    (void)state;
    const char *why = storefront_host_check("b\xc3\xbc"
                                            "cher.example");
    assert_non_null(why);
    assert_non_null(strstr(why, "xn--"));
    assert_non_null(strstr(why, "ASCII"));
    assert_non_null(strstr(storefront_host_check("shop.b\xc3\xbc:8080"), "xn--"));
    assert_null(storefront_host_check("xn--bcher-kva.example"));
    static const char *const hyphen[] = {"-bad.example", "bad-.example", "shop.-x", "shop.x-:80",
                                         NULL};
    for (size_t i = 0; hyphen[i]; i++)
        assert_string_equal(storefront_host_check(hyphen[i]),
                            "must not have a label that starts or ends with '-'");
    char name[300];
    memset(name, 'a', 64);
    strcpy(name + 64, ".example");
    assert_string_equal(storefront_host_check(name), "must have labels of 1 to 63 characters each");
    name[63] = '.'; /* 63 and then a label of 0 + ".example": "a…a..example" */
    assert_string_equal(storefront_host_check(name),
                        "must not have an empty label (two dots in a row, or a dot at either end)");
    memset(name, 'a', 63);
    strcpy(name + 63, ".example");
    assert_null(storefront_host_check(name));
    static const char *const empty[] = {
        "shop..example", ".shop.example", "shop.example.", "shop.example.:8080", ".", NULL};
    for (size_t i = 0; empty[i]; i++)
        assert_string_equal(
            storefront_host_check(empty[i]),
            "must not have an empty label (two dots in a row, or a dot at either end)");
    /* 254 characters of valid labels: the whole name's length. */
    memset(name, 0, sizeof(name));
    for (size_t i = 0; i < 254; i++)
        name[i] = i % 50 == 49 ? '.' : 'a';
    assert_string_equal(storefront_host_check(name), "must be a host name of 1 to 253 characters");
    name[253] = '\0';
    assert_null(storefront_host_check(name));
    /* A character outside a-z, 0-9, '-' and '.' keeps its message. */
    assert_string_equal(storefront_host_check("shop_x.example"),
                        "must be labels of a-z, 0-9 and '-' separated by dots");
    assert_string_equal(storefront_host_check("cloud.com:0"), "has a bad port");
}

/* Round-27 walkthrough of seed 002, D1: "/alias\x", "/alias%5Cx" and
 * "/alias./" were no storefront's page to the gate, while IIS and ASP.NET
 * read '\' as '/' and Windows drops a segment's trailing dots and
 * spaces. storefront_uri_aliases gives every reading's alias, once. */
static void a_paths_aliases_under_every_reading(void **state)
{
    (void)state;
    char a[STOREFRONT_URI_READINGS][STOREFRONT_ALIAS_SIZE];
    static const char *const windows[] = {
        "/t27s002-shop\\x",     "/t27s002-shop%5Cx",  "/t27s002-shop%5c",
        "/t27s002-shop\\",      "/t27s002-shop./",    "/t27s002-shop%2E/",
        "/t27s002-shop.%20./x", "/\\t27s002-shop/",   "/x\\..\\t27s002-shop/",
        "/x/..\\t27s002-shop",  "/T27S002-SHOP.\\",   "/t27s002-shop.;x/",
        "/t27s002-shop...",     "/.../t27s002-shop/", NULL,
    };
    for (size_t i = 0; windows[i]; i++) {
        size_t n = storefront_uri_aliases(windows[i], a);
        size_t k = 0;
        while (k < n && strcmp(a[k], "t27s002-shop") != 0)
            k++;
        assert_true(k < n);
    }
    /* nginx's reading keeps them in the segment. */
    assert_int_equal(storefront_uri_alias("/t27s002-shop\\x", a[0], sizeof(a[0])), 0);
    assert_string_equal(a[0], "t27s002-shop\\x");
    assert_int_equal(storefront_uri_alias("/t27s002-shop./", a[0], sizeof(a[0])), 0);
    assert_string_equal(a[0], "t27s002-shop.");
    /* A plain page: one reading, one alias. */
    assert_int_equal(storefront_uri_aliases("/t27s002-shop/x", a), 1);
    assert_string_equal(a[0], "t27s002-shop");
    /* Two storefronts: nginx's is the first segment, IIS's the one after
     * "..\". */
    assert_int_equal(storefront_uri_aliases("/one-shop/..\\two-shop/", a), 2);
    assert_string_equal(a[0], "one-shop");
    assert_string_equal(a[1], "two-shop");
    /* ".. " is "..": "/x/.. /shop" climbs back to shop. */
    size_t n = storefront_uri_aliases("/x/..%20/t27s002-shop", a);
    assert_int_equal(n, 2);
    assert_string_equal(a[1], "t27s002-shop");
    /* Nothing at all. */
    assert_int_equal(storefront_uri_aliases("/", a), 0);
    assert_int_equal(storefront_uri_aliases("/%zz\\x", a), 0);
    assert_int_equal(storefront_uri_aliases(NULL, a), 0);
}

static void license_keys(void **state)
{
    (void)state;
    unsigned char r[25];
    for (int i = 0; i < 25; i++)
        r[i] = (unsigned char)(i * 37);
    char key[LICENSE_KEY_SIZE];
    license_key_format(r, key);
    assert_int_equal(strlen(key), 29);
    for (int i = 0; i < 29; i++) {
        if (i % 6 == 5)
            assert_int_equal(key[i], '-');
        else
            assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", key[i]));
    }
    char a[LICENSE_KEY_SIZE], b[LICENSE_KEY_SIZE];
    assert_int_equal(license_key_new(a), 0);
    assert_int_equal(license_key_new(b), 0);
    assert_string_not_equal(a, b);
}

static void maint_now(void **state)
{
    (void)state;
    char out[20];
    assert_int_equal(billing_parse_now("2027-01-31T00:00:00Z", out), 0);
    assert_string_equal(out, "2027-01-31 00:00:00");
    assert_int_equal(billing_parse_now("2027-01-31 00:00:00", out), -1);
    assert_int_equal(billing_parse_now("2027-13-31T00:00:00Z", out), -1);
    assert_int_equal(billing_parse_now("2027-01-31T00:00:00+01:00", out), -1);
    assert_int_equal(billing_parse_now("2027-01-31T00:00:00Zx", out), -1);
    assert_int_equal(billing_parse_now(NULL, out), -1);
    /* maint's time: --now as given, or the clock's in the same form. */
    assert_int_equal(billing_now("2027-01-31T00:00:00Z", out), 0);
    assert_string_equal(out, "2027-01-31 00:00:00");
    assert_int_equal(billing_now("tomorrow", out), -1);
    assert_int_equal(billing_now(NULL, out), 0);
    assert_int_equal(strlen(out), 19);
    assert_true(out[4] == '-' && out[10] == ' ' && out[13] == ':' && strncmp(out, "20", 2) == 0);
}

static void times_as_the_api_shows_them(void **state)
{
    (void)state;
    char out[BILLING_TIME_SIZE];
    billing_time_rfc3339("2027-01-30 06:41:28.598688", out);
    assert_string_equal(out, "2027-01-30T06:41:28Z");
    billing_time_rfc3339("2027-01-30 06:41:28", out);
    assert_string_equal(out, "2027-01-30T06:41:28Z");
    billing_time_rfc3339("", out);
    assert_string_equal(out, "");
    billing_time_rfc3339(NULL, out);
    assert_string_equal(out, "");
}

/* round-27 walkthrough of seed 001, D1: an upgrade across plans of other
 * term lengths billed the difference once per old term paid ahead. */
static void upgrades_bill_the_new_terms_less_the_old_paid_ahead(void **state)
{
    (void)state;
    struct upgrade_bill b;
    /* Same term: monthly starter renewed five times ahead -> monthly
     * professional: the difference six times, paid_until unchanged. */
    assert_int_equal(billing_upgrade(1, 1, 6, 6, 1900, 4900, &b), 0);
    assert_int_equal(b.new_terms, 6);
    assert_int_equal(b.amount, 6 * 3000);
    assert_int_equal(b.months, 6);
    /* Monthly professional (1 month ahead) -> yearly enterprise: 150. */
    assert_int_equal(billing_upgrade(1, 12, 1, 1, 4900, 19900, &b), 0);
    assert_int_equal(b.new_terms, 1);
    assert_int_equal(b.new_amount, 19900);
    assert_int_equal(b.credit, 4900);
    assert_int_equal(b.amount, 15000);
    assert_int_equal(b.months, 12);
    /* Renewed once (2 months ahead): one enterprise year less 98. */
    assert_int_equal(billing_upgrade(1, 12, 2, 2, 4900, 19900, &b), 0);
    assert_int_equal(b.new_terms, 1);
    assert_int_equal(b.credit, 9800);
    assert_int_equal(b.amount, 10100);
    assert_int_equal(b.months, 12);
    /* 12 months ahead (588) is more than a year of enterprise (199): the
     * credit buys enterprise years, three of them, and 9 is billed. */
    assert_int_equal(billing_upgrade(1, 12, 12, 12, 4900, 19900, &b), 0);
    assert_int_equal(b.new_terms, 3);
    assert_int_equal(b.new_amount, 59700);
    assert_int_equal(b.credit, 58800);
    assert_int_equal(b.amount, 900);
    assert_int_equal(b.months, 36);
    /* 13 months ahead: 13 months need two years; 637 needs four. */
    assert_int_equal(billing_upgrade(1, 12, 13, 13, 4900, 19900, &b), 0);
    assert_int_equal(b.new_terms, 4);
    assert_int_equal(b.amount, 4 * 19900 - 13 * 4900);
    assert_int_equal(b.months, 48);
    /* Quantity 3 (the totals are of all seats), 2 months ahead. */
    assert_int_equal(billing_upgrade(1, 12, 2, 2, 3 * 4900, 3 * 19900, &b), 0);
    assert_int_equal(b.new_terms, 1);
    assert_int_equal(b.new_amount, 59700);
    assert_int_equal(b.credit, 29400);
    assert_int_equal(b.amount, 30300);
    /* At least one term of each; a free new plan bills nothing. */
    assert_int_equal(billing_upgrade(1, 12, 0, 1, 4900, 19900, &b), 0);
    assert_int_equal(b.new_terms, 1);
    assert_int_equal(b.amount, 15000);
    assert_int_equal(billing_upgrade(12, 12, 1, 12, 49000, 0, &b), 0);
    assert_int_equal(b.new_terms, 1);
    assert_int_equal(b.amount, 0);
    assert_int_equal(b.months, 12);
    /* A yearly plan to a monthly one: 12 months to cover. */
    assert_int_equal(billing_upgrade(12, 1, 1, 12, 19900, 4900, &b), 0);
    assert_int_equal(b.new_terms, 12);
    assert_int_equal(b.amount, 12 * 4900 - 19900);
    assert_int_equal(b.months, 12);
    assert_int_equal(billing_upgrade(0, 12, 1, 1, 4900, 19900, &b), -1);
    assert_int_equal(billing_upgrade(1, 12, LLONG_MAX / 2, INT_MAX, 4900, 19900, &b), -1);
}

/* Review of round 27: the new line's paid_months is billing_upgrade's
 * (start + n new terms), checked against INT_MAX there; the new terms
 * reach at most ten years past the start. */
static void an_upgrade_sets_paid_months_and_is_bounded(void **state)
{
    (void)state;
    struct upgrade_bill b;
    /* Month 3 of a monthly line paid to month 5 (k = 3 from month 2):
     * the yearly plan counts from month 2, to month 14. */
    assert_int_equal(billing_upgrade(1, 12, 3, 5, 4900, 19900, &b), 0);
    assert_int_equal(b.old_terms, 3);
    assert_int_equal(b.paid_months, 2 + 12);
    /* k < 1 is one term; the start is never before started_at. */
    assert_int_equal(billing_upgrade(1, 12, 0, 0, 4900, 19900, &b), 0);
    assert_int_equal(b.old_terms, 1);
    assert_int_equal(b.paid_months, 12);
    /* The start plus the new months past INT_MAX: -1, not a negative
     * paid_months. */
    assert_int_equal(billing_upgrade(1, 12, 1, INT_MAX, 4900, 19900, &b), -1);
    assert_int_equal(billing_upgrade(1, 12, 1, INT_MAX - 11, 4900, 19900, &b), 0);
    assert_int_equal(b.paid_months, INT_MAX);
    /* Ten years exactly is allowed: a monthly per-unit line of 120 seats
     * to a flat monthly plan of a seat's price buys 120 terms ... */
    assert_int_equal(billing_upgrade(1, 1, 1, 1, 120 * 100, 100, &b), 0);
    assert_int_equal(b.new_terms, 120);
    assert_int_equal(b.months, 120);
    assert_int_equal(b.amount, 0);
    /* ... one more term is refused, before any amount is computed:
     * many per-unit seats to a flat plan, */
    assert_int_equal(billing_upgrade(1, 1, 1, 1, 121 * 100, 100, &b), UPGRADE_TOO_LONG);
    assert_int_equal(b.new_terms, 121);
    assert_int_equal(b.old_terms, 1);
    assert_int_equal(b.credit, 121 * 100);
    /* a long period paid ahead (11 years of a yearly plan to a monthly
     * one), */
    assert_int_equal(billing_upgrade(12, 1, 11, 132, 19900, 4900, &b), UPGRADE_TOO_LONG);
    /* and a credit that would buy thousands of terms (no 422). */
    assert_int_equal(billing_upgrade(12, 1, 1, 12, 100000000, 1, &b), UPGRADE_TOO_LONG);
    /* Ten yearly terms are ten years. */
    assert_int_equal(billing_upgrade(1, 12, 1, 1, 10 * 19900, 19900, &b), 0);
    assert_int_equal(b.months, 120);
    assert_int_equal(billing_upgrade(1, 12, 1, 1, 10 * 19900 + 1, 19900, &b), UPGRADE_TOO_LONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(money_is_integer_minor_units),
        cmocka_unit_test(aliases),
        cmocka_unit_test(aliases_are_lowered_before_the_check),
        cmocka_unit_test(hosts),
        cmocka_unit_test(a_bad_host_is_told_its_fault),
        cmocka_unit_test(a_paths_aliases_under_every_reading),
        cmocka_unit_test(uri_aliases),
        cmocka_unit_test(a_paths_alias_is_trimmed_and_lowered),
        cmocka_unit_test(a_paths_alias_is_read_without_path_parameters),
        cmocka_unit_test(license_keys),
        cmocka_unit_test(maint_now),
        cmocka_unit_test(times_as_the_api_shows_them),
        cmocka_unit_test(upgrades_bill_the_new_terms_less_the_old_paid_ahead),
        cmocka_unit_test(an_upgrade_sets_paid_months_and_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
