/* Unit tests: reading a JSON body (body_json_load), integers beyond 64
 * bits included (round-17 walkthrough of seed 001, D5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

static json_t *load(const char *text, json_error_t *err)
{
    return body_json_load(text, strlen(text), err);
}

static void integers_within_64_bits_stay_integers(void **state)
{
    (void)state;
    json_error_t err;
    json_t *v = load("{\"a\": 9223372036854775807, \"b\": -9223372036854775808, \"c\": 1.5}", &err);
    assert_non_null(v);
    assert_true(json_is_integer(json_object_get(v, "a")));
    assert_true(json_is_integer(json_object_get(v, "b")));
    assert_true(json_is_real(json_object_get(v, "c")));
    json_decref(v);
}

static void bigger_integers_are_read_as_reals(void **state)
{
    (void)state;
    json_error_t err;
    json_t *v = load(
        "{\"properties\": {\"logger\": 12345678901234567890},"
        " \"lines\": [{\"quantity\": -99999999999999999999, \"n\": 3}],"
        " \"big\": 9223372036854775808, \"s\": \"12345678901234567890\\\"99999999999999999999\","
        " \"r\": 12345678901234567890.5e2, \"t\": true}",
        &err);
    assert_non_null(v);
    json_t *logger = json_object_get(json_object_get(v, "properties"), "logger");
    assert_true(json_is_real(logger));
    assert_true(json_real_value(logger) == 12345678901234567890.0);
    json_t *line = json_array_get(json_object_get(v, "lines"), 0);
    assert_true(json_is_real(json_object_get(line, "quantity")));
    assert_true(json_real_value(json_object_get(line, "quantity")) == -99999999999999999999.0);
    assert_true(json_is_integer(json_object_get(line, "n")));
    assert_true(json_is_real(json_object_get(v, "big")));
    /* Text stays text, reals stay as they were. */
    assert_string_equal(json_string_value(json_object_get(v, "s")),
                        "12345678901234567890\"99999999999999999999");
    assert_true(json_real_value(json_object_get(v, "r")) == 12345678901234567890.5e2);
    assert_true(json_is_true(json_object_get(v, "t")));
    json_decref(v);
}

static void other_errors_point_into_the_body_as_sent(void **state)
{
    (void)state;
    json_error_t err, want;
    /* The same error at the same place as in a body whose number is as
     * long and fits. */
    assert_null(load("{\"a\": 12345678901234567890, \"b\": 11111111111111111111, \"c\": }", &err));
    assert_null(json_loads("{\"a\": 1.345678901234567890, \"b\": 1.111111111111111111, \"c\": }",
                           JSON_REJECT_DUPLICATES, &want));
    assert_int_equal(err.line, want.line);
    assert_int_equal(err.column, want.column);
    assert_int_equal(err.position, want.position);
    assert_int_not_equal(json_error_code(&err), json_error_numeric_overflow);
    /* On a later line only that line's numbers count for the column. */
    assert_null(
        load("{\"a\": 12345678901234567890,\n \"b\": 11111111111111111111, \"b\": 1}", &err));
    assert_null(json_loads("{\"a\": 1.345678901234567890,\n \"b\": 1.111111111111111111, \"b\": 1}",
                           JSON_REJECT_DUPLICATES, &want));
    assert_int_equal(err.line, 2);
    assert_int_equal(err.line, want.line);
    assert_int_equal(err.column, want.column);
    assert_int_equal(err.position, want.position);
    assert_string_equal(err.text, want.text); /* duplicate object key */
}

static void numbers_beyond_a_double_stay_errors(void **state)
{
    (void)state;
    json_error_t err;
    assert_null(load("{\"a\": 1e400}", &err));
    assert_int_equal(json_error_code(&err), json_error_numeric_overflow);
    char text[512] = "{\"n\": 1, \"a\": ";
    size_t n = strlen(text);
    memset(text + n, '9', 400);
    strcpy(text + n + 400, "}");
    assert_null(load(text, &err));
    assert_int_equal(json_error_code(&err), json_error_numeric_overflow);
    assert_int_equal(err.line, 1);
    assert_true(err.column >= (int)n && err.column <= (int)n + 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_within_64_bits_stay_integers),
        cmocka_unit_test(bigger_integers_are_read_as_reals),
        cmocka_unit_test(other_errors_point_into_the_body_as_sent),
        cmocka_unit_test(numbers_beyond_a_double_stay_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
