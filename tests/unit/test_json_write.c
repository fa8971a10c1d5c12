/* Unit tests: json_write writes the bytes json_dumps(JSON_COMPACT |
 * JSON_ENSURE_ASCII) writes, for chosen and for random values; a real with
 * the fewest digits that read back as the same double (jansson's default
 * is 17). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_write.h"

static void same_as_jansson(json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    assert_non_null(want);
    struct buf got = BUF_INIT;
    assert_int_equal(json_write(&got, v), 0);
    assert_string_equal(buf_str(&got), want);
    buf_free(&got);
    free(want);
}

static void chosen_values(void **state)
{
    (void)state;
    const char *texts[] = {
        "{}",
        "[]",
        "{\"a\":[1,-2,9223372036854775807,-9223372036854775808],\"b\":{\"c\":null}}",
        "{\"t\":true,\"f\":false,\"n\":null,\"e\":\"\",\"z\":[[],{},[[]]]}",
        "{\"r\":[12.5,-3.0,100.0,0.0,-9680.0]}",
        "{\"esc\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f end\"}",
        "{\"utf8\":\"\\u00e4\\u00df \\u20ac \\u2028 \\ud83d\\ude00 \\uffff \\u0800\"}",
        "{\"k\\u00e9y \\\"q\\\"\":1,\"second\":2,\"a\":3}",
        "[\"\\u0000 inside\"]",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        json_error_t err;
        json_t *v = json_loads(texts[i], JSON_ALLOW_NUL, &err);
        assert_non_null(v);
        same_as_jansson(v);
        json_decref(v);
    }
}

/* A random code point: ASCII (controls included) most of the time, else
 * from the 2-, 3- and 4-byte UTF-8 ranges (no surrogates). */
static unsigned random_code(void)
{
    switch (rand() % 6) {
    case 0:
        return 0x80 + (unsigned)rand() % 0x780;
    case 1: {
        unsigned c = 0x800 + (unsigned)rand() % 0xF800;
        return c >= 0xD800 && c <= 0xDFFF ? 0xE000 : c;
    }
    case 2:
        return 0x10000 + (unsigned)rand() % 0x100000;
    default:
        return 1 + (unsigned)rand() % 0x7F;
    }
}

static json_t *random_string(void)
{
    char s[200];
    size_t n = 0, want = (size_t)rand() % 40;
    for (size_t i = 0; i < want; i++) {
        unsigned c = random_code();
        if (c < 0x80) {
            s[n++] = (char)c;
        } else if (c < 0x800) {
            s[n++] = (char)(0xC0 | (c >> 6));
            s[n++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            s[n++] = (char)(0xE0 | (c >> 12));
            s[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            s[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            s[n++] = (char)(0xF0 | (c >> 18));
            s[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
            s[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
            s[n++] = (char)(0x80 | (c & 0x3F));
        }
    }
    json_t *v = json_stringn(s, n);
    assert_non_null(v);
    return v;
}

static json_t *random_value(int depth)
{
    int kind = rand() % (depth > 4 ? 6 : 8);
    switch (kind) {
    case 0:
        return json_integer((json_int_t)rand() * (rand() % 2 ? 1 : -1) * 7919);
    case 1:
        /* Halves and quarters: the same text at jansson's 17 digits. */
        return json_real((double)(rand() % 100000) / 4 * (rand() % 2 ? 1 : -1));
    case 2:
        return random_string();
    case 3:
        return json_true();
    case 4:
        return json_false();
    case 5:
        return json_null();
    case 6: {
        json_t *a = json_array();
        for (int i = rand() % 6; i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = rand() % 6; i > 0; i--) {
            json_t *k = random_string();
            json_object_setn_new(o, json_string_value(k), json_string_length(k),
                                 random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void random_values(void **state)
{
    (void)state;
    srand(20261130);
    for (int i = 0; i < 3000; i++) {
        json_t *v = json_pack("{s:o}", "v", random_value(0));
        same_as_jansson(v);
        json_decref(v);
    }
}

static void reals_in_their_shortest_form(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "[0.1]"},
        {19.99, "[19.99]"},
        {-0.30000000000000004, "[-0.30000000000000004]"},
        {100.0, "[100.0]"},
        {1e21, "[1e21]"},
        {9680.0, "[9680.0]"},
        {1e16, "[10000000000000000.0]"},
        {123456789012.5, "[123456789012.5]"},
        {0.0001, "[0.0001]"},
        {1e300, "[1e300]"},
        {2.5e-7, "[2.5e-7]"},
        {1.0 / 3, "[0.3333333333333333]"},
        {5e-324, "[5e-324]"},
        {1.7976931348623157e308, "[1.7976931348623157e308]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *a = json_pack("[f]", cases[i].v);
        struct buf got = BUF_INIT;
        assert_int_equal(json_write(&got, a), 0);
        assert_string_equal(buf_str(&got), cases[i].text);
        buf_free(&got);
        json_decref(a);
    }
    /* Random doubles: the text reads back as the same double, and one
     * digit fewer would not. */
    srand(20261201);
    for (int i = 0; i < 20000; i++) {
        double v = (double)rand() / ((double)(rand() % 100000) + 1) * (rand() % 2 ? 1 : -1);
        char text[40], shorter[320];
        int p = json_write_shortest(text, sizeof(text), v);
        assert_true(strtod(text, NULL) == v);
        if (p > 1) {
            snprintf(shorter, sizeof(shorter), "%.*g", p - 1, v);
            assert_true(strtod(shorter, NULL) != v);
        }
    }
}

static void loops_and_depth_are_refused(void **state)
{
    (void)state;
    json_t *deep = json_array(), *inner = deep;
    for (int i = 0; i < JSON_WRITE_MAX_DEPTH + 5; i++) {
        json_t *next = json_array();
        json_array_append_new(inner, next);
        inner = next;
    }
    struct buf b = BUF_INIT;
    assert_int_equal(json_write(&b, deep), -1);
    json_decref(deep);
    buf_reset(&b);

    /* a holds b, b holds a (jansson refuses only a container in itself). */
    json_t *a = json_array(), *b2 = json_array();
    json_array_append(a, b2);
    json_array_append(b2, a);
    assert_int_equal(json_write(&b, a), -1);
    json_array_clear(b2);
    json_decref(b2);
    json_decref(a);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chosen_values),
        cmocka_unit_test(random_values),
        cmocka_unit_test(reals_in_their_shortest_form),
        cmocka_unit_test(loops_and_depth_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
