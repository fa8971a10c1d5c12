/* Unit tests: audit values as HTTP answers show them (ids as strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

static void check(const char *in, const char *want)
{
    json_t *v = json_loads(in, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    assert_ptr_equal(audit_value_for_answer(v), v);
    char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert_string_equal(got, want);
    free(got);
    json_decref(v);
}

static void ids_become_decimal_strings(void **state)
{
    (void)state;
    check("{\"invitation_id\":17,\"email\":\"a@b.c\"}",
          "{\"email\":\"a@b.c\",\"invitation_id\":\"17\"}");
    check("{\"id\":18446744073709551,\"parent_id\":null}",
          "{\"id\":\"18446744073709551\",\"parent_id\":null}");
    check("{\"subscription_id\":\"5\"}", "{\"subscription_id\":\"5\"}");
}

static void nested_objects_and_lists(void **state)
{
    (void)state;
    check("{\"relation\":{\"customer_id\":3,\"partner_id\":2},\"lines\":[{\"order_id\":9,"
          "\"quantity\":2}]}",
          "{\"lines\":[{\"order_id\":\"9\",\"quantity\":2}],\"relation\":{\"customer_id\":\"3\","
          "\"partner_id\":\"2\"}}");
    check("[{\"id\":1},{\"id\":2}]", "[{\"id\":\"1\"},{\"id\":\"2\"}]");
    check("{\"account_ids\":[1,\"2\",3]}", "{\"account_ids\":[\"1\",\"2\",\"3\"]}");
}

static void other_numbers_stay(void **state)
{
    (void)state;
    check("{\"version\":3,\"quantity\":10,\"valid\":true,\"paid\":1.5}",
          "{\"paid\":1.5,\"quantity\":10,\"valid\":true,\"version\":3}");
    check("{\"ids\":[1],\"uid\":\"alice\",\"_id\":4}", "{\"_id\":4,\"ids\":[1],\"uid\":\"alice\"}");
    check("42", "42");
    check("null", "null");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_become_decimal_strings),
        cmocka_unit_test(nested_objects_and_lists),
        cmocka_unit_test(other_numbers_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
