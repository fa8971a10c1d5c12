/* Unit tests: field validation, ids, base64url. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <uninorm.h>

#include "idempotency.h"
#include "sql_store.h"
#include "token.h"
#include "validate.h"

/* The messages that name a length go into the caller's buffer; these
 * tests run on one thread. */
static char why_buf[WHY_SIZE];

static void countries(void **state)
{
    (void)state;
    assert_null(validate_country("AT"));
    assert_null(validate_country("DE"));
    assert_non_null(validate_country("at"));
    assert_non_null(validate_country("Austria"));
    assert_non_null(validate_country("XX"));
    assert_non_null(validate_country(""));
}

static void vat_ids_by_country(void **state)
{
    (void)state;
    assert_null(validate_vat_id("AT", "ATU12345678"));
    assert_null(validate_vat_id("AT", "atu 1234-5678"));
    assert_non_null(validate_vat_id("AT", "AT12345678"));
    assert_null(validate_vat_id("DE", "DE123456789"));
    assert_non_null(validate_vat_id("DE", "DE12345678"));
    assert_null(validate_vat_id("GR", "EL123456789"));
    assert_null(validate_vat_id("NL", "NL123456789B01"));
    assert_null(validate_vat_id("SE", "SE123456789001"));
    assert_non_null(validate_vat_id("SE", "SE123456789002"));
    assert_null(validate_vat_id("US", "123456789"));
    assert_non_null(validate_vat_id("US", "12-34_56"));
    assert_non_null(validate_vat_id("AT", ""));
}

/* Round-6 walkthrough of seed 003, M4: the Swiss VAT number in its
 * official written form ("CHE-123.456.788 MWST", TVA, IVA) is accepted as
 * the bare one is. */
static void swiss_vat_ids_with_their_suffix(void **state)
{
    (void)state;
    assert_null(validate_vat_id("CH", "CHE-123.456.788"));
    assert_null(validate_vat_id("CH", "CHE-123.456.788 MWST"));
    assert_null(validate_vat_id("CH", "CHE-123.456.788 TVA"));
    assert_null(validate_vat_id("CH", "CHE-123.456.788 IVA"));
    assert_null(validate_vat_id("CH", "CHE123456788MWST"));
    assert_null(validate_vat_id("CH", "che-123.456.788 mwst"));
    assert_non_null(validate_vat_id("CH", "CHE-123.456.788 VAT"));
    assert_non_null(validate_vat_id("CH", "CHE-123.456.788 MWST TVA"));
    assert_non_null(validate_vat_id("CH", "CHE-123.456.78 MWST"));
    assert_non_null(validate_vat_id("CH", "MWST CHE-123.456.788"));
    /* Only Switzerland's suffixes. */
    assert_non_null(validate_vat_id("DE", "DE123456789MWST"));
}

/* The refusal names the country's format with an example, and the example
 * fits that format: every country of the table (round-6 walkthrough of seed
 * 003, M4). */
static void vat_refusals_name_the_format(void **state)
{
    (void)state;
    assert_string_equal(validate_vat_id("DE", "123456789"),
                        "must be DE followed by 9 digits, as DE123456789 (the VAT ID format of "
                        "DE; spaces, dots and dashes are ignored)");
    const char *ch = validate_vat_id("CH", "CHE-123.456");
    assert_non_null(ch);
    assert_non_null(strstr(ch, "CHE followed by 9 digits, optionally MWST, TVA or IVA"));
    static const char *const countries_with_a_format[] = {
        "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
        "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"};
    for (size_t i = 0; i < sizeof(countries_with_a_format) / sizeof(countries_with_a_format[0]);
         i++) {
        const char *cc = countries_with_a_format[i];
        const char *why = validate_vat_id(cc, "0");
        assert_non_null(why);
        /* "must be <words>, as <example> (the VAT ID format of <cc>; ..." */
        assert_true(strncmp(why, "must be ", 8) == 0);
        const char *as = strstr(why, ", as ");
        const char *end = strstr(why, " (the VAT ID format of ");
        assert_non_null(as);
        assert_non_null(end);
        assert_true(as < end);
        assert_true(strncmp(end + 23, cc, 2) == 0);
        char example[64];
        size_t n = (size_t)(end - (as + 5));
        assert_true(n > 0 && n < sizeof(example));
        memcpy(example, as + 5, n);
        example[n] = '\0';
        if (validate_vat_id(cc, example) != NULL)
            fail_msg("the example %s of %s does not fit its format", example, cc);
    }
    /* A country without a table entry keeps the general rule. */
    assert_string_equal(validate_vat_id("US", "12-34_56"), "must be 2 to 20 letters and digits");
}

static void postcodes_by_country(void **state)
{
    (void)state;
    assert_null(validate_postcode("AT", "1010", why_buf));
    assert_non_null(validate_postcode("AT", "10100", why_buf));
    assert_null(validate_postcode("DE", "10115", why_buf));
    assert_non_null(validate_postcode("DE", "1011", why_buf));
    assert_null(validate_postcode("NL", "1012 ab", why_buf));
    assert_null(validate_postcode("NL", "1012AB", why_buf));
    assert_non_null(validate_postcode("NL", "1012", why_buf));
    assert_null(validate_postcode("PL", "00-950", why_buf));
    assert_non_null(validate_postcode("PL", "00950", why_buf));
    assert_null(validate_postcode("PT", "1000-001", why_buf));
    assert_null(validate_postcode("IE", "D02 X285", why_buf));
    assert_null(validate_postcode("IE", "D6W1234", why_buf));
    assert_non_null(validate_postcode("IE", "12345", why_buf));
    assert_null(validate_postcode("MT", "VLT 1117", why_buf));
    assert_null(validate_postcode("SE", "114 55", why_buf));
    assert_null(validate_postcode("LV", "LV-1050", why_buf));
    assert_null(validate_postcode("US", "94105-1234", why_buf));
    assert_null(validate_postcode("GB", "SW1A 1AA", why_buf));
    assert_non_null(validate_postcode("US", "9410$", why_buf));
    assert_non_null(validate_postcode("AT", "", why_buf));
}

static void utc_times(void **state)
{
    (void)state;
    time_t t;
    char sql[20];
    assert_null(validate_utc_time("2027-01-31T23:59:59Z", &t, sql));
    assert_string_equal(sql, "2027-01-31 23:59:59");
    assert_int_equal(t, 1801439999);
    assert_null(validate_utc_time("2027-01-31T23:59:59.123Z", &t, sql));
    assert_non_null(validate_utc_time("2027-02-30T00:00:00Z", &t, sql));
    assert_non_null(validate_utc_time("2027-01-31T23:59:59+01:00", &t, sql));
    assert_non_null(validate_utc_time("2027-01-31 23:59:59Z", &t, sql));
    assert_non_null(validate_utc_time("2027-01-31T24:00:00Z", &t, sql));
    assert_non_null(validate_utc_time("2027-01-31T23:59:59.Z", &t, sql));
    assert_non_null(validate_utc_time("", &t, sql));
}

static void emails(void **state)
{
    (void)state;
    assert_null(validate_email("carla@example.org", why_buf));
    assert_non_null(validate_email("carla", why_buf));
    assert_non_null(validate_email("carla@localhost", why_buf));
    assert_non_null(validate_email("a b@example.org", why_buf));
    assert_non_null(validate_email("a@b@example.org", why_buf));
    assert_non_null(validate_email("a@example..org", why_buf));
    assert_non_null(validate_email("a@example.org\r\nBcc: x@y.z", why_buf));
}

static void uids(void **state)
{
    (void)state;
    assert_null(validate_uid("paul"));
    assert_null(validate_uid("p.smith-2_x"));
    assert_non_null(validate_uid("*)(uid=*"));
    assert_non_null(validate_uid("-paul"));
    assert_non_null(validate_uid(""));
    assert_non_null(validate_uid("a,ou=people"));
}

static void text_and_keys(void **state)
{
    (void)state;
    assert_null(validate_text("Acme", MAX_CHARS(10), why_buf));
    assert_non_null(validate_text("", MAX_CHARS(10), why_buf));
    assert_non_null(validate_text("12345678901", MAX_CHARS(10), why_buf));
    assert_non_null(validate_text("a\nb", MAX_CHARS(10), why_buf));
    assert_null(validate_idempotency_key("form-3f2a"));
    assert_non_null(validate_idempotency_key("with space"));
    assert_non_null(validate_idempotency_key(""));
    /* A space is printable ASCII: the message says what is allowed
     * (round-6 walkthrough of seed 002, D5). */
    assert_null(strstr(validate_idempotency_key("with space"), "printable"));
    assert_non_null(strstr(validate_idempotency_key("with space"), "must not contain spaces"));
    assert_non_null(strstr(validate_idempotency_key("caf\xc3\xa9"), "'!' to '~'"));
    assert_non_null(strstr(validate_idempotency_key(""), "1 to 128 visible ASCII characters"));
    assert_null(validate_idempotency_key("!~"));
}

/* Issue 7, defect 9: names refused control and bidi-override characters
 * only below U+0020. */
static void text_refuses_unicode_controls_and_bidi_overrides(void **state)
{
    (void)state;
    assert_null(
        validate_text("J\xc3\xbcrgen M\xc3\xbcller", MAX_CHARS(100), why_buf)); /* Jürgen Müller */
    assert_null(validate_text("\xe6\x9d\xb1\xe4\xba\xac", MAX_CHARS(100), why_buf)); /* 東京 */
    assert_null(validate_text("\xf0\x9f\x98\x80", MAX_CHARS(100), why_buf));         /* an emoji */
    assert_non_null(validate_text("a\xc2\x85"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+0085 NEL */
    assert_non_null(validate_text("a\xc2\x9b"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+009B CSI */
    assert_non_null(
        validate_text("evil\xe2\x80\xaetxt.exe", MAX_CHARS(100), why_buf)); /* U+202E RLO */
    assert_non_null(validate_text("a\xe2\x80\xaa"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+202A LRE */
    assert_non_null(validate_text("a\xe2\x80\xa8"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+2028 */
    assert_non_null(validate_text("a\xe2\x80\xa9"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+2029 */
    assert_non_null(validate_text("a\xe2\x81\xa6"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+2066 LRI */
    assert_non_null(validate_text("a\xe2\x80\x8f"
                                  "b",
                                  MAX_CHARS(100), why_buf)); /* U+200F RLM */
    assert_non_null(validate_text("a\x7f", MAX_CHARS(100), why_buf));
    assert_non_null(validate_text("a\tb", MAX_CHARS(100), why_buf));
    /* Not UTF-8: overlong, a surrogate, cut short. */
    assert_non_null(validate_text("\xc0\xaf", MAX_CHARS(100), why_buf));
    assert_non_null(validate_text("\xed\xa0\x80", MAX_CHARS(100), why_buf));
    assert_non_null(validate_text("a\xe2\x80", MAX_CHARS(100), why_buf));
    /* Mail bodies keep line breaks and tabs, nothing else. */
    assert_null(validate_chars("line 1\r\nline 2\tend", 1));
    assert_non_null(validate_chars("a\xe2\x80\xae"
                                   "b",
                                   1));
    assert_non_null(validate_chars("a\xc2\x85"
                                   "b",
                                   1));
}

/* Issue 7, defect 9: such addresses were invited (202) and failed at
 * accept (500): LDAP's mail is IA5. */
static void emails_are_ascii_dot_atoms(void **state)
{
    (void)state;
    assert_null(validate_email("first.last+tag@sub.example.org", why_buf));
    assert_null(validate_email("o'brien@example.org", why_buf));
    /* ünï@x.example */
    assert_non_null(validate_email_ascii("\xc3\xbcn\xc3\xaf@x.example", why_buf));
    assert_non_null(validate_email_ascii("user@b\xc3\xbc"
                                         "cher.example",
                                         why_buf));
    assert_null(validate_email_ascii("first.last@example.org", why_buf));
    assert_non_null(validate_email_ascii("a..b@example.org", why_buf));
    /* Notification recipients may be UTF-8 (RFC 6531); never controls. */
    assert_null(validate_email("j\xc3\xb6rg@m\xc3\xbc"
                               "ller.example",
                               why_buf));
    assert_non_null(validate_email("a\xe2\x80\xae"
                                   "b@example.org",
                                   why_buf));
    assert_non_null(validate_email("a\xc2\x85@example.org", why_buf));
    assert_non_null(validate_email("a..b@example.org", why_buf));
    assert_non_null(validate_email(".a@example.org", why_buf));
    assert_non_null(validate_email("a.@example.org", why_buf));
    assert_non_null(validate_email("a..b@", why_buf));
    assert_non_null(validate_email(".a@", why_buf));
    assert_non_null(validate_email("a@-example.org", why_buf));
    assert_non_null(validate_email("a@example-.org", why_buf));
    assert_non_null(validate_email("a@.example.org", why_buf));
    assert_non_null(validate_email("a@exa_mple.org", why_buf));
}

/* Issue 7, defect 9: tokens were hashed by MariaDB (SHA2(?)), so the
 * cleartext reached its general log; accountd hashes them itself. */
static void sha256_in_hex(void **state)
{
    (void)state;
    char out[65];
    sha256_hex("abc", out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void folded(const char *in, const char *want)
{
    char *s = strdup(in);
    assert_non_null(s);
    assert_ptr_equal(fold_user_name(s), s);
    assert_string_equal(s, want);
    free(s);
}

static void vat_folded(const char *in, const char *want)
{
    char *s = strdup(in);
    assert_non_null(s);
    assert_ptr_equal(fold_vat_id(s), s);
    assert_string_equal(s, want);
    free(s);
}

static void vat_ids_fold(void **state)
{
    (void)state;
    vat_folded("DE123456789", "DE123456789");
    vat_folded("de 123 456 789", "DE123456789");
    vat_folded(" at u12345678 ", "ATU12345678");
    /* A Swiss written form's MWST/TVA/IVA is no part of the number. */
    vat_folded("CHE-123.456.789 MWST", "CHE123456789");
    vat_folded("che-123.456.789 tva", "CHE123456789");
    vat_folded("CHE123456789IVA", "CHE123456789");
    vat_folded("CHE12345678MWST", "CHE12345678MWST");
    vat_folded("DE123456789MWST", "DE123456789MWST");
    vat_folded("", "");
    vat_folded(" .-", "");
    /* Only ASCII is folded; other bytes pass through unchanged. */
    vat_folded("z\xc3\xa4", "Z\xc3\xa4");
}

static void search_texts(void **state)
{
    (void)state;
    assert_null(validate_search("acme", why_buf));
    assert_null(validate_search("%_", why_buf));
    assert_null(validate_search("M\xc3\xbcller", why_buf));
    assert_string_equal(validate_search("", why_buf), "must not be empty");
    assert_string_equal(validate_search("   ", why_buf), "must not be empty");
    assert_string_equal(validate_search("\xc2\xa0\t", why_buf), "must not be empty");
    assert_non_null(validate_search("a\x01b", why_buf));
    assert_non_null(validate_search("\xff", why_buf));
    /* 200 characters, counted as code points rather than bytes. */
    char text[2 * SEARCH_MAX_CHARS + 3];
    memset(text, 'a', SEARCH_MAX_CHARS);
    text[SEARCH_MAX_CHARS] = '\0';
    assert_null(validate_search(text, why_buf));
    text[SEARCH_MAX_CHARS] = 'a';
    text[SEARCH_MAX_CHARS + 1] = '\0';
    assert_string_equal(validate_search(text, why_buf),
                        "is too long: at most 200 characters (this is 201)");
    for (size_t i = 0; i < SEARCH_MAX_CHARS; i++)
        memcpy(text + 2 * i, "\xc3\xa4", 2);
    text[2 * SEARCH_MAX_CHARS] = '\0';
    assert_null(validate_search(text, why_buf));
    memcpy(text + 2 * SEARCH_MAX_CHARS, "x", 2);
    assert_string_equal(validate_search(text, why_buf),
                        "is too long: at most 200 characters (this is 201)");
}

static void user_names_fold(void **state)
{
    (void)state;
    folded("alice", "alice");
    folded("Alice", "alice");
    folded("ALICE", "alice");
    folded(" alice", "alice");
    folded("alice  ", "alice");
    folded("   ALiCe   ", "alice");
    folded("Alice  B.   Smith", "alice b. smith");
    folded(" a b ", "a b");
    folded("Alice@Example.ORG", "alice@example.org");
    folded("p.smith-2_X", "p.smith-2_x");
    folded("", "");
    folded("   ", "");
    folded(" ", "");
    /* Only ASCII is folded; other bytes pass through unchanged. */
    folded("\xc3\x84lice", "\xc3\x84lice");
    folded("A\tB", "a\tb");
}

static void label_folded(const char *in, const char *want)
{
    char *key = text_alike_key(in);
    assert_string_equal(key, want);
    free(key);
}

/* 1 if libunistring's own comparison (u8_casecmp, NFKC) finds a and b
 * equal: text_alike_key must agree with it on text without blank space
 * around it. */
static int casecmp_equal(const char *a, const char *b)
{
    int result = 2;
    assert_int_equal(u8_casecmp((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b), NULL,
                                UNINORM_NFKC, &result),
                     0);
    return result == 0;
}

static void alike(const char *a, const char *b, int want)
{
    char *x = text_alike_key(a), *y = text_alike_key(b);
    assert_int_equal(strcmp(x, y) == 0, want);
    assert_int_equal(casecmp_equal(a, b), want);
    free(x);
    free(y);
}

/* Labels and select options that look alike have one key (round-17
 * walkthrough of seed 001, D3 and D4; round-18, D3: by Unicode's
 * normalization too, through libunistring). */
static void labels_fold(void **state)
{
    (void)state;
    label_folded("Gold", "gold");
    label_folded("Gold ", "gold");
    label_folded("  GOLD\t", "gold");
    label_folded("\xc2\xa0Gold\xe2\x80\x8b", "gold"); /* no-break and zero-width space */
    label_folded("Data  Loggers", "data  loggers");   /* inner spaces stay */
    label_folded("Gold\xc2\xa0"
                 "Card",
                 "gold card"); /* NFKC: a no-break space is a space */
    label_folded("   ", "");
    label_folded("\xc2\xa0", "");
    label_folded("\r\n", "");
    label_folded("", "");
    /* Latin-1 and Latin Extended-A: Ö, Ÿ, Ł, Ž, ſ; × stays. */
    label_folded("\xc3\x96sterreich", "\xc3\xb6sterreich");
    label_folded("\xc5\xb8", "\xc3\xbf");
    label_folded("\305\201\303\263d\305\272", "\305\202\303\263d\305\272"); /* Łódź */
    label_folded("\xc5\xbd", "\xc5\xbe");
    label_folded("\xc5\xbf", "s");
    label_folded("2\303\2273", "2\303\2273");
    /* Cyrillic. */
    label_folded("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
                 "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0");
    label_folded("\xd0\x81", "\xd1\x91"); /* Ё */
    /* Other scripts stay as they are written. */
    label_folded("\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac");
}

/* The look-alikes of round-18 walkthrough of seed 001, D3, and the
 * decisions about case folding beyond it (docs/api.md, "Custom
 * properties"). */
static void labels_alike_by_unicode(void **state)
{
    (void)state;
    /* NFD (O + COMBINING DIAERESIS) and NFC ("Ö") are one text. */
    alike("O\xcc\x88sterreich", "\xc3\x96sterreich", 1);
    alike("o\xcc\x88STERREICH", "\xc3\x96sterreich", 1);
    label_folded("O\xcc\x88rt", "\xc3\xb6rt");
    alike("Osterreich", "\xc3\x96sterreich", 0); /* the diaeresis counts */
    /* U+212A KELVIN SIGN is K (canonically), U+212B ANGSTROM SIGN is Å. */
    alike("\xe2\x84\xaa\xc3\xa4rnten", "K\xc3\xa4rnten", 1);
    alike("\xe2\x84\xaa\xc3\xa4rnten", "k\xc3\xa4rnten", 1);
    alike("\xe2\x84\xab", "\xc3\x85", 1);
    /* ß and ẞ: full case folding makes both "ss", so "Straße", "STRASSE"
     * and "STRAẞE" are look-alikes (Swiss German writes "Strasse"), and
     * so are "Maße" and "Masse" (decided: "MASSE" is the capitals of
     * both, a dropdown cannot tell them apart in capitals). */
    label_folded("Stra\303\237e", "strasse");
    label_folded("STRA\341\272\236E", "strasse");
    alike("Stra\303\237e", "STRASSE", 1);
    alike("STRA\341\272\236E", "Strasse", 1);
    alike("Ma\303\237e", "Masse", 1);
    /* Greek: final sigma is sigma; accents count. */
    label_folded("\xce\x95\xce\xa5\xce\xa1\xce\xa9", "\xce\xb5\xcf\x85\xcf\x81\xcf\x89");
    label_folded("\xcf\x82", "\xcf\x83");
    alike("\xcf\x83\xce\xb1\xcf\x82", "\xce\xa3\xce\x91\xce\xa3", 1); /* σας, ΣΑΣ */
    alike("\xce\xac", "\xce\xb1", 0);                                 /* ά, α */
    /* Turkish i, language-neutral (decided): dotless ı is a letter of its
     * own, İ folds to i + COMBINING DOT ABOVE, so "Istanbul", "İstanbul"
     * and "ıstanbul" are three names; İ and i + U+0307 are one. */
    alike("Istanbul", "\xc4\xb0stanbul", 0);
    alike("istanbul", "\xc4\xb0stanbul", 0);
    alike("\xc4\xb1stanbul", "Istanbul", 0);
    alike("\xc4\xb0stanbul", "i\xcc\x87stanbul", 1);
    /* NFKC: compatibility characters are their plain letters. */
    alike("\xef\xbc\xa7old", "Gold", 1); /* fullwidth G */
    alike("\xef\xac\x81le", "file", 1);  /* ﬁ ligature */
    alike("Gold", "Silber", 0);
}

static void name_folded(const char *in, const char *want)
{
    char *key = name_alike_key(in);
    assert_string_equal(key, want);
    free(key);
}

/* Project names (round-20 walkthrough of seed 003, D2: "Kunde  Vier
 * ERP" was a second project next to "Kunde Vier ERP"): inner runs of
 * blank space are one space, zero-width characters none; the rest as
 * text_alike_key, whose inner spaces stay for labels and options. */
static void project_names_fold_inner_space(void **state)
{
    (void)state;
    name_folded("Kunde Vier ERP", "kunde vier erp");
    name_folded("Kunde  Vier   ERP", "kunde vier erp");
    name_folded(" Kunde \t Vier\r\nERP ", "kunde vier erp");
    name_folded("Kunde\xc2\xa0 Vier\xe3\x80\x80"
                "ERP",
                "kunde vier erp"); /* no-break and ideographic space */
    name_folded("Kunde\xe2\x80\x83\xe2\x80\x89Vier", "kunde vier"); /* em and thin space */
    name_folded("Kunde\xe1\x9a\x80Vier", "kunde vier");             /* Ogham space mark */
    name_folded("Kunde\xe2\x80\x8bVier", "kundevier");              /* zero-width: none */
    name_folded("Kunde \xe2\x80\x8b Vier", "kunde vier");
    name_folded("Kunde\xef\xbb\xbf\xe2\x81\xa0Vier", "kundevier"); /* BOM, word joiner */
    name_folded("\xe2\x80\x8b Kunde \xe2\x80\x8b", "kunde");
    name_folded("Mu\xcc\x88ller Projekt", "m\xc3\xbcller projekt"); /* NFD */
    name_folded("   ", "");
    name_folded("", "");
    /* Labels and options keep their inner spaces (text_alike_key). */
    label_folded("Data  Loggers", "data  loggers");
}

static void nfc(void **state)
{
    (void)state;
    char *s = text_nfc("O\xcc\x88sterreich");
    assert_string_equal(s, "\xc3\x96sterreich");
    free(s);
    s = text_nfc("\xe2\x84\xaa\xc3\xa4rnten");
    assert_string_equal(s, "K\xc3\xa4rnten");
    free(s);
    /* NFC keeps what is no canonical equivalent: ẞ, ß, the fullwidth G,
     * case. */
    s = text_nfc("STRA\341\272\236E Stra\303\237e \xef\xbc\xa7");
    assert_string_equal(s, "STRA\341\272\236E Stra\303\237e \xef\xbc\xa7");
    free(s);
    s = text_nfc("");
    assert_string_equal(s, "");
    free(s);
    s = text_nfc("A\xff");
    assert_string_equal(s, "A\xff"); /* not UTF-8: as it is */
    free(s);
    assert_true(text_same_nfc("O\xcc\x88rt", "\xc3\x96rt"));
    assert_true(text_same_nfc("Gold", "Gold"));
    assert_false(text_same_nfc("Gold", "gold"));
    assert_false(text_same_nfc("Stra\303\237e", "Strasse"));
}

static void ids(void **state)
{
    (void)state;
    assert_int_equal(parse_id("42"), 42);
    assert_int_equal(parse_id("0"), 0);
    assert_int_equal(parse_id("007"), 0);
    assert_int_equal(parse_id("-1"), 0);
    assert_int_equal(parse_id("1e3"), 0);
    assert_int_equal(parse_id("99999999999999999999"), 0);
    assert_int_equal(parse_id(NULL), 0);
}

static void base64url_round_trip(void **state)
{
    (void)state;
    const char *samples[] = {"", "a", "ab", "abc", "{\"s\":0,\"id\":17}"};
    for (size_t i = 0; i < 5; i++) {
        char *enc = base64url_encode((const unsigned char *)samples[i], strlen(samples[i]));
        assert_null(strchr(enc, '='));
        size_t len;
        char *dec = base64url_decode(enc, &len);
        assert_non_null(dec);
        assert_int_equal(len, strlen(samples[i]));
        assert_memory_equal(dec, samples[i], len);
        free(enc);
        free(dec);
    }
    size_t len;
    assert_null(base64url_decode("a$b=", &len));
    assert_null(base64url_decode("abcde", &len));
}

/* The fingerprint a repeated Idempotency-Key is compared by: the body's
 * JSON with sorted keys, so the same form or JSON body in another key
 * order is the same request, and any other value is not. */
static void request_fingerprints(void **state)
{
    (void)state;
    char none[65], a[65], b[65], c[65], text[65];
    idempotency_fingerprint(NULL, none);
    assert_string_equal(none, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    json_t *x = json_pack("{s:s, s:i}", "subject", "News", "quantity", 1);
    json_t *y = json_pack("{s:i, s:s}", "quantity", 1, "subject", "News");
    json_t *z = json_pack("{s:i, s:s}", "quantity", 2, "subject", "News");
    idempotency_fingerprint(x, a);
    idempotency_fingerprint(y, b);
    idempotency_fingerprint(z, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    sha256_hex("{\"quantity\":1,\"subject\":\"News\"}", text);
    assert_string_equal(a, text);
    json_decref(x);
    json_decref(y);
    json_decref(z);
}

/* The id list a JSON_TABLE statement joins (sql_store.h). */
static void id_lists_for_json_table(void **state)
{
    (void)state;
    char *none = sql_ids_json(NULL, 0);
    assert_string_equal(none, "[]");
    free(none);
    const unsigned long long ids[] = {1, 42, 18446744073709551615ull};
    char *some = sql_ids_json(ids, 3);
    assert_string_equal(some, "[1,42,18446744073709551615]");
    free(some);
}

static void passwords(void **state)
{
    (void)state;
    assert_null(validate_password("correct horse"));
    assert_null(validate_password("12345678"));
    assert_string_equal(validate_password("short"), "must be 8 to 128 characters");
    assert_string_equal(validate_password(NULL), "must be 8 to 128 characters");
    assert_string_equal(validate_password("        "), "must not be only spaces");
    char longer[130];
    memset(longer, 'x', 129);
    longer[129] = 0;
    assert_string_equal(validate_password(longer), "must be 8 to 128 characters");
    assert_non_null(validate_password("abc\001defgh")); /* a control character */
    /* Characters, as the message says (round-19 walkthrough of seed 001,
     * D1): four umlauts are 8 bytes and 4 characters, 128 of them 256
     * bytes and 128 characters. */
    assert_string_equal(validate_password("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f"),
                        "must be 8 to 128 characters");
    char umlauts[2 * 129 + 1];
    for (size_t i = 0; i < 129; i++)
        memcpy(umlauts + 2 * i, "\xc3\xa4", 2);
    umlauts[2 * 128] = '\0';
    assert_null(validate_password(umlauts));
    umlauts[2 * 128] = '\xc3';
    umlauts[2 * 129] = '\0';
    assert_string_equal(validate_password(umlauts), "must be 8 to 128 characters");
}

/* n copies of the UTF-8 text unit, malloc'ed. */
static char *repeated(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + len * i, unit, len);
    s[len * n] = '\0';
    return s;
}

/* Round-19 walkthrough of seed 001, D1: limits counted bytes, so 51
 * "\u00e4" were over a limit of 100, and "is too long" named no limit. */
static void text_limits_count_characters_and_name_the_limit(void **state)
{
    (void)state;
    assert_int_equal(text_chars("M\xc3\xbcller"), 6);            /* Müller */
    assert_int_equal(text_chars("\xe6\x9d\xb1\xe4\xba\xac"), 2); /* 東京 */
    assert_int_equal(text_chars("\xf0\x9f\x98\x80"), 1);         /* an emoji */
    assert_int_equal(text_chars(""), 0);
    assert_int_equal(text_length("M\xc3\xbcller", TEXT_BYTES), 7);
    assert_int_equal(text_length("M\xc3\xbcller", TEXT_CHARACTERS), 6);

    char *a100 = repeated("\xc3\xa4", 100), *a101 = repeated("\xc3\xa4", 101);
    assert_null(validate_text(a100, MAX_CHARS(100), why_buf));
    assert_null(validate_name(a100, MAX_CHARS(100), why_buf));
    assert_string_equal(validate_text(a101, MAX_CHARS(100), why_buf),
                        "is too long: at most 100 characters (this is 101)");
    assert_string_equal(validate_name(a101, MAX_CHARS(100), why_buf),
                        "is too long: at most 100 characters (this is 101)");
    /* Bytes where bytes are the unit, said so. */
    assert_string_equal(validate_text(a100, MAX_BYTES(199), why_buf),
                        "is too long: at most 199 bytes of UTF-8, where a letter such as "
                        "\xc3\xa4 takes 2 (this is 200)");
    assert_null(validate_text(a100, MAX_BYTES(200), why_buf));
    /* A letter with a combining mark is two code points until NFC makes
     * it one, as the stores that keep NFC count it. */
    char *nfd = repeated("a\xcc\x88", 51);
    assert_non_null(validate_text(nfd, MAX_CHARS(100), why_buf));
    char *composed = text_nfc(nfd);
    assert_null(validate_text(composed, MAX_CHARS(100), why_buf));
    assert_int_equal(text_chars(composed), 51);
    /* Each caller's buffer holds its own message. */
    char one[WHY_SIZE], two[WHY_SIZE];
    const char *m1 = validate_length(a101, MAX_CHARS(100), one);
    const char *m2 = validate_length(a101, MAX_CHARS(50), two);
    assert_ptr_equal(m1, one);
    assert_ptr_equal(m2, two);
    assert_string_equal(m1, "is too long: at most 100 characters (this is 101)");
    assert_string_equal(m2, "is too long: at most 50 characters (this is 101)");
    assert_null(validate_length("", MAX_CHARS(0), one));
    /* The longest message fits. */
    assert_true(strlen(text_too_long(one, MAX_BYTES(SIZE_MAX), SIZE_MAX)) < WHY_SIZE - 1);
    /* Empty is said before the length, and the characters after it. */
    assert_string_equal(validate_text("", MAX_CHARS(1), why_buf), "must not be empty");
    assert_string_equal(validate_text("a\x01", MAX_CHARS(10), why_buf),
                        "must not contain control or bidirectional formatting characters");
    free(a100);
    free(a101);
    free(nfd);
    free(composed);
}

/* Names refuse invisible format characters anywhere, naming the first
 * one's position and code point (round-25 walkthrough of seed 004, D1). */
static void names_refuse_format_characters(void **state)
{
    (void)state;
    char why[WHY_SIZE];
    assert_null(validate_no_format_chars("t25s004 Gadgets", why));
    assert_null(validate_no_format_chars("G\xc3\xa4"
                                         "dgets \xe2\x80\x94 Zwei",
                                         why));
    assert_string_equal(validate_no_format_chars("Gadgets\xe2\x80\x8b", why),
                        "must not contain invisible formatting characters: character 8 is "
                        "U+200B (zero-width space), which shows as nothing");
    assert_string_equal(validate_no_format_chars("\xc3\xa4\xef\xbb\xbf", why),
                        "must not contain invisible formatting characters: character 2 is "
                        "U+FEFF (zero-width no-break space), which shows as nothing");
    assert_non_null(strstr(validate_no_format_chars("a\xe2\x80\xae"
                                                    "b",
                                                    why),
                           "U+202E"));
    assert_non_null(strstr(validate_no_format_chars("a\xe2\x81\xa6"
                                                    "b",
                                                    why),
                           "U+2066"));
    assert_non_null(strstr(validate_no_format_chars("a\xe2\x81\xa4"
                                                    "b",
                                                    why),
                           "U+2064"));
    assert_non_null(strstr(validate_no_format_chars("a\xc2\xad"
                                                    "b",
                                                    why),
                           "U+00AD"));
    /* A joiner inside a word is how the word is written: Persian
     * "mi<ZWNJ>khaham", an emoji sequence woman<ZWJ>laptop. At either end
     * of the text, next to a space or another joiner it shows nothing. */
    assert_null(validate_no_format_chars("\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88", why));
    assert_null(validate_no_format_chars("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", why));
    assert_non_null(strstr(validate_no_format_chars("Gadgets\xe2\x80\x8d", why), "U+200D"));
    assert_non_null(strstr(validate_no_format_chars("\xe2\x80\x8cGadgets", why), "U+200C"));
    assert_non_null(strstr(validate_no_format_chars("a \xe2\x80\x8c"
                                                    "b",
                                                    why),
                           "U+200C"));
    assert_non_null(strstr(validate_no_format_chars("a\xe2\x80\x8d\xe2\x80\x8d"
                                                    "b",
                                                    why),
                           "U+200D"));
    /* Next to an ASCII character a joiner is part of no word: the
     * tester's "t26s004 Gad<ZWJ>gets" read as "t26s004 Gadgets"
     * (round-26 walkthrough of seed 004, D2), Latin "Gad<ZWNJ>gets" too,
     * and a joiner between a Latin and a non-ASCII letter. The same
     * detail text as every other format character. */
    assert_string_equal(validate_no_format_chars("t26s004 Gad\xe2\x80\x8dgets", why),
                        "must not contain invisible formatting characters: character 12 is "
                        "U+200D (zero-width joiner), which shows as nothing");
    assert_non_null(strstr(validate_no_format_chars("Gad\xe2\x80\x8cgets", why), "U+200C"));
    assert_non_null(strstr(validate_no_format_chars("G\xe2\x80\x8d\xc3\xa4"
                                                    "dgets",
                                                    why),
                           "U+200D"));
    assert_non_null(strstr(validate_no_format_chars("\xc3\xa4\xe2\x80\x8d"
                                                    "dgets",
                                                    why),
                           "U+200D"));
    /* Between two accented Latin letters neither: "e-acute<ZWJ>e-grave",
     * "a-umlaut<ZWNJ>o-umlaut", U+1E01<ZWJ>U+1E03 (review of round 26). */
    assert_non_null(
        strstr(validate_no_format_chars("\xc3\xa9\xe2\x80\x8d\xc3\xa8", why), "U+200D"));
    assert_non_null(
        strstr(validate_no_format_chars("\xc3\xa4\xe2\x80\x8c\xc3\xb6", why), "U+200C"));
    assert_non_null(
        strstr(validate_no_format_chars("\xe1\xb8\x81\xe2\x80\x8d\xe1\xb8\x83", why), "U+200D"));
    assert_non_null(strstr(validate_no_format_chars("\xc9\x8f\xe2\x80\x8d\xd9\x85", why),
                           "U+200D")); /* U+024F, the last of Latin Extended-B */
    /* Latin beyond those ranges is Latin too (review of round 26): a Latin
     * Extended-D letter U+A730, fullwidth Latin "A<ZWJ>B", IPA U+0250. */
    assert_non_null(
        strstr(validate_no_format_chars("\xea\x9c\xb0\xe2\x80\x8d\xd9\x85", why), "U+200D"));
    assert_non_null(
        strstr(validate_no_format_chars("\xef\xbc\xa1\xe2\x80\x8d\xef\xbc\xa2", why), "U+200D"));
    assert_non_null(
        strstr(validate_no_format_chars("\xc9\x90\xe2\x80\x8c\xd9\x85", why), "U+200C"));
    /* Devanagari "ka<virama><ZWJ>ssa" and a flame heart (with its
     * variation selector) stay words. */
    assert_null(validate_no_format_chars("\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d\xe0\xa4\xb7", why));
    assert_null(
        validate_no_format_chars("\xe2\x9d\xa4\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x94\xa5", why));
    /* Not UTF-8: left to validate_chars. */
    assert_null(validate_no_format_chars("a\xff", why));
    for (long c = 0x200b; c <= 0x200f; c++)
        assert_true(text_format_char(c));
    assert_false(text_format_char(0x2010));
    assert_false(text_format_char(0x2028)); /* a separator: validate_chars refuses it */
    assert_false(text_format_char(0xe4));
    assert_true(strlen(validate_no_format_chars("x\xe2\x80\x8b", why)) < WHY_SIZE - 1);
}

/* Addresses stay limited in bytes (RFC 5321 counts octets); postcodes and
 * VAT IDs say their format rather than a bare "is too long". */
static void fixed_limits_name_their_limit(void **state)
{
    (void)state;
    char *local = repeated("a", 64), *domain = repeated("b", 186);
    char address[300];
    snprintf(address, sizeof(address), "%s@%s.example", local, domain); /* 64+1+186+8 = 259 */
    assert_string_equal(validate_email(address, why_buf),
                        "is too long: at most 254 bytes of UTF-8, where a letter such as \xc3\xa4 "
                        "takes 2 (this is 259)");
    assert_string_equal(validate_email_ascii(address, why_buf),
                        "is too long: at most 254 bytes of UTF-8, where a letter such as \xc3\xa4 "
                        "takes 2 (this is 259)");
    char *long_local = repeated("a", 65);
    snprintf(address, sizeof(address), "%s@example.org", long_local);
    assert_string_equal(validate_email(address, why_buf),
                        "has a local part (before the @) longer than 64 bytes");
    /* 21 characters; 20 umlauts are 40 bytes but 20 characters, refused
     * by the format, not the length. */
    assert_string_equal(validate_postcode("US", "123456789012345678901", why_buf),
                        "is too long: at most 20 characters (this is 21)");
    char *umlauts = repeated("\xc3\xa4", 20);
    assert_string_equal(validate_postcode("US", umlauts, why_buf),
                        "may contain only letters, digits, spaces and '-'");
    assert_string_equal(validate_postcode("AT", umlauts, why_buf),
                        "does not match the postcode format of the country");
    /* A VAT ID longer than any format: its format, not "is too long". */
    char *digits = repeated("1", 40);
    assert_non_null(strstr(validate_vat_id("DE", digits), "DE followed by 9 digits"));
    assert_string_equal(validate_vat_id("US", digits), "must be 2 to 20 letters and digits");
    free(local);
    free(domain);
    free(long_local);
    free(umlauts);
    free(digits);
}

static void tokens_and_links(void **state)
{
    (void)state;
    char *t = token_new(), *u = token_new();
    assert_int_equal(strlen(t), TOKEN_CHARS);
    assert_true(token_well_formed(t));
    assert_string_not_equal(t, u);
    assert_false(token_well_formed("short"));
    assert_false(token_well_formed(NULL));
    t[5] = '/';
    assert_false(token_well_formed(t));
    char *link = token_link("https://example.org/reset/{token}?x=1", "abc");
    assert_string_equal(link, "https://example.org/reset/abc?x=1");
    free(link);
    free(t);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(countries),
        cmocka_unit_test(vat_ids_by_country),
        cmocka_unit_test(swiss_vat_ids_with_their_suffix),
        cmocka_unit_test(vat_refusals_name_the_format),
        cmocka_unit_test(emails),
        cmocka_unit_test(uids),
        cmocka_unit_test(text_and_keys),
        cmocka_unit_test(text_refuses_unicode_controls_and_bidi_overrides),
        cmocka_unit_test(emails_are_ascii_dot_atoms),
        cmocka_unit_test(sha256_in_hex),
        cmocka_unit_test(user_names_fold),
        cmocka_unit_test(labels_fold),
        cmocka_unit_test(labels_alike_by_unicode),
        cmocka_unit_test(project_names_fold_inner_space),
        cmocka_unit_test(nfc),
        cmocka_unit_test(vat_ids_fold),
        cmocka_unit_test(search_texts),
        cmocka_unit_test(ids),
        cmocka_unit_test(base64url_round_trip),
        cmocka_unit_test(utc_times),
        cmocka_unit_test(postcodes_by_country),
        cmocka_unit_test(request_fingerprints),
        cmocka_unit_test(id_lists_for_json_table),
        cmocka_unit_test(passwords),
        cmocka_unit_test(text_limits_count_characters_and_name_the_limit),
        cmocka_unit_test(fixed_limits_name_their_limit),
        cmocka_unit_test(names_refuse_format_characters),
        cmocka_unit_test(tokens_and_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
