/* Unit tests: buf (string buffer) and log-safe escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void grows_and_terminates(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_string_equal(buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        buf_addc(&b, 'x');
    assert_int_equal(b.len, 1000);
    assert_int_equal(strlen(b.data), 1000);
    buf_printf(&b, "%d-%s", 42, "end");
    assert_string_equal(b.data + 1000, "42-end");
    buf_reset(&b);
    assert_string_equal(buf_str(&b), "");
    buf_free(&b);
}

static void detach_hands_over(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    char *empty = buf_detach(&b);
    assert_string_equal(empty, "");
    free(empty);
    buf_adds(&b, "abc");
    char *s = buf_detach(&b);
    assert_string_equal(s, "abc");
    assert_null(b.data);
    free(s);
}

static void logsafe_escapes_crlf_and_quotes(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_add_logsafe(&b, "a\r\nb\"c\\d\x7f");
    assert_string_equal(b.data, "a\\x0d\\x0ab\\x22c\\x5cd\\x7f");
    assert_null(strchr(b.data, '\n'));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_and_terminates),
        cmocka_unit_test(detach_hands_over),
        cmocka_unit_test(logsafe_escapes_crlf_and_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
