/* Unit tests: property keys and typed values with their sort keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "properties.h"

/* Checks v (JSON text, or a string when from_text) and returns the error
 * or NULL; *json and *key receive the results (freed by the caller). */
static const char *check(int type, const char *v, int from_text, char **json, char **key)
{
    static const char *const options[] = {"EU", "US", NULL};
    json_t *value = from_text ? json_string(v) : json_loads(v, JSON_DECODE_ANY, NULL);
    assert_non_null(value);
    *json = *key = NULL;
    static char buf[PROPERTY_WHY_SIZE]; /* one thread: the message outlives the call */
    const char *why = property_value_check(type, options, value, from_text, json, key, buf);
    json_decref(value);
    return why;
}

static void keys(void **state)
{
    (void)state;
    assert_null(property_key_check("region"));
    assert_null(property_key_check("data_loggers2"));
    assert_non_null(property_key_check(""));
    assert_non_null(property_key_check("Region"));
    assert_non_null(property_key_check("2fast"));
    assert_non_null(property_key_check("a-b"));
    assert_non_null(property_key_check("status"));
    assert_non_null(property_key_check("member_count"));
    assert_non_null(property_key_check("plan_status")); /* round 23, seed 001 D2 */
    char long_key[66];
    memset(long_key, 'a', 65);
    long_key[65] = '\0';
    assert_non_null(property_key_check(long_key));
    assert_int_equal(property_type_parse("select"), PROP_SELECT);
    assert_int_equal(property_type_parse("colour"), -1);
}

static void values_by_type(void **state)
{
    (void)state;
    char *j, *k;
    assert_null(check(PROP_TEXT, "\"Wien\"", 0, &j, &k));
    assert_string_equal(j, "\"Wien\"");
    assert_string_equal(k, "Wien");
    free(j);
    free(k);
    assert_non_null(check(PROP_TEXT, "\"\"", 0, &j, &k));
    assert_non_null(check(PROP_TEXT, "12", 0, &j, &k));
    assert_non_null(check(PROP_TEXT, "\"a\\nb\"", 0, &j, &k));
    /* Trimmed around, from JSON and from text (round-14 walkthrough of
     * seed 001, D4); blank stays empty. */
    assert_null(check(PROP_TEXT, "\"  Wien \\t\\r\\n\"", 0, &j, &k));
    assert_string_equal(j, "\"Wien\"");
    assert_string_equal(k, "Wien");
    free(j);
    free(k);
    assert_null(check(PROP_TEXT, " Graz  Nord ", 1, &j, &k));
    assert_string_equal(k, "Graz  Nord");
    free(j);
    free(k);
    assert_string_equal(check(PROP_TEXT, "\" \\t\\n \"", 0, &j, &k), "must not be empty");
    assert_non_null(check(PROP_SELECT, " EU", 1, &j, &k));

    assert_null(check(PROP_NUMBER, "12.5", 0, &j, &k));
    assert_string_equal(j, "12.5");
    free(j);
    free(k);
    assert_null(check(PROP_NUMBER, "40", 1, &j, &k));
    assert_string_equal(j, "40");
    free(j);
    free(k);
    assert_null(check(PROP_NUMBER, "-1e3", 1, &j, &k));
    assert_string_equal(j, "-1000");
    free(j);
    free(k);
    assert_non_null(check(PROP_NUMBER, "\"12\"", 0, &j, &k)); /* JSON wants a number */
    assert_non_null(check(PROP_NUMBER, "0x10", 1, &j, &k));
    assert_non_null(check(PROP_NUMBER, "nan", 1, &j, &k));
    assert_non_null(check(PROP_NUMBER, " 1", 1, &j, &k));
    assert_non_null(check(PROP_NUMBER, "1e999", 1, &j, &k));

    assert_null(check(PROP_BOOLEAN, "true", 0, &j, &k));
    assert_string_equal(k, "1");
    free(j);
    free(k);
    assert_null(check(PROP_BOOLEAN, "off", 1, &j, &k));
    assert_string_equal(j, "false");
    free(j);
    free(k);
    assert_non_null(check(PROP_BOOLEAN, "\"true\"", 0, &j, &k));
    assert_non_null(check(PROP_BOOLEAN, "yes-ish", 1, &j, &k));

    assert_null(check(PROP_DATE, "2028-02-29", 1, &j, &k));
    free(j);
    free(k);
    assert_non_null(check(PROP_DATE, "2027-02-29", 1, &j, &k));
    assert_non_null(check(PROP_DATE, "2027-13-01", 1, &j, &k));
    assert_non_null(check(PROP_DATE, "2027-1-01", 1, &j, &k));

    assert_null(check(PROP_SELECT, "EU", 1, &j, &k));
    free(j);
    free(k);
    assert_non_null(check(PROP_SELECT, "eu", 1, &j, &k));
    /* Blank is no value, even where a definition made before kept a
     * blank option (round-17 walkthrough of seed 001, D3). */
    static const char *const blank_option[] = {"Gold", "   ", "\xc2\xa0", NULL};
    char buf[PROPERTY_WHY_SIZE];
    json_t *blank = json_string("   ");
    assert_string_equal(property_value_check(PROP_SELECT, blank_option, blank, 0, &j, &k, buf),
                        "must not be empty");
    json_decref(blank);
    blank = json_string("\xc2\xa0");
    assert_string_equal(property_value_check(PROP_SELECT, blank_option, blank, 1, &j, &k, buf),
                        "must not be empty");
    json_decref(blank);
}

/* A text value counts 500 characters of its NFC text, not bytes, and
 * a longer one says so (round-19 walkthrough of seed 001, D1: 251 "e"
 * with U+0301, 251 "\u00e9" in NFC, were over a limit of 500 bytes). */
static void text_values_count_characters(void **state)
{
    (void)state;
    char *j, *k;
    char *value = malloc(251 * 3 + 1);
    assert_non_null(value);
    for (size_t i = 0; i < 251; i++)
        memcpy(value + 3 * i, "e\xcc\x81", 3); /* e and U+0301 */
    value[251 * 3] = '\0';
    json_t *nfd = json_string(value);
    char buf[PROPERTY_WHY_SIZE];
    assert_null(property_value_check(PROP_TEXT, NULL, nfd, 0, &j, &k, buf));
    assert_int_equal(strlen(k), 251 * 2); /* NFC: U+00E9, two bytes each */
    free(j);
    free(k);
    free(value);
    json_decref(nfd);
    /* 500 four-byte characters fit; 501 are refused with the limit. */
    value = malloc(501 * 4 + 1);
    assert_non_null(value);
    for (size_t i = 0; i < 501; i++)
        memcpy(value + 4 * i, "\xf0\x9f\x98\x80", 4);
    value[500 * 4] = '\0';
    json_t *v = json_string(value);
    assert_null(property_value_check(PROP_TEXT, NULL, v, 0, &j, &k, buf));
    assert_int_equal(strlen(k), 2000); /* sort_key VARBINARY(2000), migration 082 */
    free(j);
    free(k);
    json_decref(v);
    value[500 * 4] = '\xf0';
    value[501 * 4] = '\0';
    v = json_string(value);
    assert_string_equal(property_value_check(PROP_TEXT, NULL, v, 1, &j, &k, buf),
                        "is too long: at most 500 characters (this is 501)");
    json_decref(v);
    free(value);
}

/* The 422s of numbers and selects say what would be accepted (round-20
 * walkthrough of seed 001, D4: "1,5" got "must be a number", "wien"
 * "must be one of the options"). */
static void messages_say_what_is_accepted(void **state)
{
    (void)state;
    char *j, *k;
    assert_string_equal(check(PROP_NUMBER, "1,5", 1, &j, &k),
                        "must be a number like 1.5 (a decimal point, not a comma)");
    assert_string_equal(check(PROP_NUMBER, "1.000,50", 1, &j, &k),
                        "must be a number like 1.5 (a decimal point, not a comma)");
    assert_string_equal(check(PROP_NUMBER, "\"1,5\"", 0, &j, &k),
                        "must be a number like 1.5 (a decimal point, not a comma)");
    assert_string_equal(check(PROP_NUMBER, "zwei", 1, &j, &k), "must be a number like 1.5");
    assert_string_equal(check(PROP_NUMBER, "\"12\"", 0, &j, &k), "must be a number like 1.5");
    assert_string_equal(check(PROP_NUMBER, "true", 0, &j, &k), "must be a number like 1.5");
    assert_string_equal(property_number_why(NULL), "must be a number like 1.5");

    /* A select names its options, and the one typed in another case (or
     * with spaces around it) as the one meant. */
    assert_string_equal(check(PROP_SELECT, "Asia", 1, &j, &k), "must be one of: EU, US");
    assert_string_equal(check(PROP_SELECT, "eu", 1, &j, &k),
                        "must be one of: EU, US; did you mean 'EU'?");
    assert_string_equal(check(PROP_SELECT, " US ", 1, &j, &k),
                        "must be one of: EU, US; did you mean 'US'?");
    assert_string_equal(check(PROP_SELECT, "12", 0, &j, &k), "must be one of: EU, US");
    static const char *const laender[] = {
        "Wien", "Ober\xc3\xb6sterreich", "K\xc3\xa4rnten", "Tirol", "Steiermark", NULL};
    char buf[PROPERTY_WHY_SIZE];
    assert_string_equal(property_select_why(laender, "wien", buf),
                        "must be one of: Wien, Ober\xc3\xb6sterreich, K\xc3\xa4rnten, Tirol, "
                        "Steiermark; did you mean 'Wien'?");
    /* Full case folding and NFKC, as options are kept apart: "STRASSE"
     * means "Stra\u00dfe"; an accent is no look-alike. */
    static const char *const streets[] = {"Stra\xc3\x9f"
                                          "e",
                                          "Osterreich", NULL};
    assert_string_equal(property_select_why(streets, "STRASSE", buf),
                        "must be one of: Stra\xc3\x9f"
                        "e, Osterreich; did you mean 'Stra\xc3\x9f"
                        "e'?");
    assert_string_equal(property_select_why(streets, "\xc3\x96sterreich", buf),
                        "must be one of: Stra\xc3\x9f"
                        "e, Osterreich");
    static const char *const none[] = {NULL};
    assert_string_equal(property_select_why(none, "x", buf),
                        "must be one of the options, and this property has none");
    /* 100 options of 100 characters: as many as fit in about 240 bytes,
     * then how many more; the guess still named. */
    char *many[101];
    for (size_t i = 0; i < 100; i++) {
        many[i] = malloc(101);
        assert_non_null(many[i]);
        memset(many[i], 'a' + (int)(i % 26), 100);
        many[i][100] = '\0';
        many[i][0] = (char)('A' + (int)(i / 26));
    }
    many[100] = NULL;
    char typed[101];
    memcpy(typed, many[57], 101);
    typed[50] = (char)(typed[50] - 'a' + 'A'); /* another case */
    const char *why = property_select_why((const char *const *)many, typed, buf);
    assert_true(strlen(why) < PROPERTY_WHY_SIZE);
    assert_non_null(strstr(why, "must be one of: "));
    assert_non_null(strstr(why, ", \xe2\x80\xa6 and 98 more; did you mean '"));
    assert_non_null(strstr(why, many[57]));
    for (size_t i = 0; i < 100; i++)
        free(many[i]);
}

/* The sort keys of numbers order like the numbers. */
static void number_keys_order(void **state)
{
    (void)state;
    const char *ordered[] = {"-1e300", "-50", "-1.5", "-0.001", "0",
                             "0.001",  "1",   "7.5",  "50",     "1e300"};
    char *prev = NULL;
    for (size_t i = 0; i < sizeof(ordered) / sizeof(ordered[0]); i++) {
        char *j, *k;
        assert_null(check(PROP_NUMBER, ordered[i], 1, &j, &k));
        assert_int_equal(strlen(k), 16);
        if (prev)
            assert_true(strcmp(prev, k) < 0);
        free(prev);
        free(j);
        prev = k;
    }
    free(prev);
    /* -0 and 0 are one value. */
    char *j1, *k1, *j2, *k2;
    assert_null(check(PROP_NUMBER, "-0", 1, &j1, &k1));
    assert_null(check(PROP_NUMBER, "0", 1, &j2, &k2));
    assert_string_equal(k1, k2);
    assert_string_equal(j1, j2);
    free(j1);
    free(k1);
    free(j2);
    free(k2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys),
        cmocka_unit_test(values_by_type),
        cmocka_unit_test(text_values_count_characters),
        cmocka_unit_test(number_keys_order),
        cmocka_unit_test(messages_say_what_is_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
