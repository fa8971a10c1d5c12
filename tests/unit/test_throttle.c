/* Unit tests: the guessing throttle's counting (src/throttle.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

/* A key like the salted hashes authn.c uses: spread over all bytes. */
static void make_key(uint8_t key[THROTTLE_KEY_SIZE], uint64_t n)
{
    uint64_t x = n * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    for (int i = 0; i < THROTTLE_KEY_SIZE; i++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 32;
        key[i] = (uint8_t)x;
    }
}

static void failures_below_the_limit_cost_nothing(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 64, 3, 1, 5, 300), 0);
    uint8_t k[THROTTLE_KEY_SIZE];
    make_key(k, 1);
    assert_true(throttle_wait(&t, k, 100) == 0);
    for (unsigned i = 1; i < 3; i++) {
        assert_int_equal(throttle_fail(&t, k, 100), i);
        assert_true(throttle_wait(&t, k, 100) == 0);
    }
    assert_int_equal(throttle_fail(&t, k, 100), 3);
    assert_true(throttle_wait(&t, k, 100) == 1);
    throttle_free(&t);
}

static void each_further_failure_doubles_the_wait_up_to_the_maximum(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 64, 2, 1, 5, 300), 0);
    uint8_t k[THROTTLE_KEY_SIZE];
    make_key(k, 2);
    throttle_fail(&t, k, 10);
    double expected[] = {1, 2, 4, 5, 5, 5};
    double now = 10;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        throttle_fail(&t, k, now);
        assert_true(throttle_wait(&t, k, now) == expected[i]);
        /* Half-way through, half the wait is left; after it, none. */
        assert_true(throttle_wait(&t, k, now + expected[i] / 2) == expected[i] / 2);
        assert_true(throttle_wait(&t, k, now + expected[i]) == 0);
        now += expected[i];
    }
    throttle_free(&t);
}

static void the_first_wait_is_configurable(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 64, 1, 3, 10, 300), 0);
    uint8_t k[THROTTLE_KEY_SIZE];
    make_key(k, 7);
    throttle_fail(&t, k, 10);
    assert_true(throttle_wait(&t, k, 10) == 3);
    throttle_fail(&t, k, 13);
    assert_true(throttle_wait(&t, k, 13) == 6);
    throttle_fail(&t, k, 19);
    assert_true(throttle_wait(&t, k, 19) == 10);
    throttle_free(&t);
}

static void the_wait_never_exceeds_max_delay(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 64, 1, 1, 3, 1e9), 0);
    uint8_t k[THROTTLE_KEY_SIZE];
    make_key(k, 3);
    for (int i = 0; i < 100000; i++)
        throttle_fail(&t, k, 50);
    assert_int_equal(throttle_failures(&t, k, 50), 100000);
    assert_true(throttle_wait(&t, k, 50) == 3);
    assert_true(throttle_wait(&t, k, 53) == 0);
    throttle_free(&t);
}

static void a_quiet_window_forgets(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 64, 1, 1, 5, 60), 0);
    uint8_t k[THROTTLE_KEY_SIZE];
    make_key(k, 4);
    for (int i = 0; i < 5; i++)
        throttle_fail(&t, k, 100);
    assert_int_equal(throttle_failures(&t, k, 159), 5);
    assert_int_equal(throttle_failures(&t, k, 160), 0);
    assert_true(throttle_wait(&t, k, 160) == 0);
    /* Counting starts again at one. */
    assert_int_equal(throttle_fail(&t, k, 161), 1);
    throttle_free(&t);
}

static void keys_are_counted_apart(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 64, 1, 1, 5, 300), 0);
    uint8_t a[THROTTLE_KEY_SIZE], b[THROTTLE_KEY_SIZE];
    make_key(a, 5);
    make_key(b, 6);
    throttle_fail(&t, a, 10);
    throttle_fail(&t, a, 10);
    assert_int_equal(throttle_failures(&t, a, 10), 2);
    assert_int_equal(throttle_failures(&t, b, 10), 0);
    assert_true(throttle_wait(&t, b, 10) == 0);
    throttle_free(&t);
}

/* issue 7: counters for real people survived only ~4,000 random names. A
 * person being guessed (many failures) outlives 10,000 one-off keys in a
 * table of 1,024 entries; so do 100 such people at once. */
static void a_spray_of_one_off_keys_does_not_flush_guessed_keys(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 1024, 2, 1, 5, 3600), 0);
    uint8_t k[THROTTLE_KEY_SIZE];
    for (uint64_t p = 0; p < 100; p++) {
        make_key(k, 1000 + p);
        for (int i = 0; i < 6; i++)
            throttle_fail(&t, k, 10);
    }
    for (uint64_t n = 0; n < 10000; n++) {
        make_key(k, 1000000 + n);
        throttle_fail(&t, k, 11);
    }
    for (uint64_t p = 0; p < 100; p++) {
        make_key(k, 1000 + p);
        assert_int_equal(throttle_failures(&t, k, 11), 6);
        assert_true(throttle_wait(&t, k, 11) > 0);
    }
    throttle_free(&t);
}

/* Memory is what init allocated: a full table replaces, it never grows. */
static void a_full_set_replaces_the_fewest_failures(void **state)
{
    (void)state;
    struct throttle t;
    assert_int_equal(throttle_init(&t, 1, 1, 1, 5, 3600), 0);
    assert_int_equal(t.nsets, 1);
    uint8_t k[THROTTLE_KEY_SIZE];
    for (uint64_t n = 0; n < THROTTLE_WAYS; n++) {
        make_key(k, n);
        for (uint64_t i = 0; i <= n; i++)
            throttle_fail(&t, k, 10 + (double)n);
    }
    /* key 0 has 1 failure, the fewest: a new key takes its place. */
    uint8_t fresh[THROTTLE_KEY_SIZE];
    make_key(fresh, 99);
    throttle_fail(&t, fresh, 20);
    make_key(k, 0);
    assert_int_equal(throttle_failures(&t, k, 20), 0);
    for (uint64_t n = 1; n < THROTTLE_WAYS; n++) {
        make_key(k, n);
        assert_int_equal(throttle_failures(&t, k, 20), n + 1);
    }
    assert_int_equal(throttle_failures(&t, fresh, 20), 1);
    throttle_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failures_below_the_limit_cost_nothing),
        cmocka_unit_test(each_further_failure_doubles_the_wait_up_to_the_maximum),
        cmocka_unit_test(the_first_wait_is_configurable),
        cmocka_unit_test(the_wait_never_exceeds_max_delay),
        cmocka_unit_test(a_quiet_window_forgets),
        cmocka_unit_test(keys_are_counted_apart),
        cmocka_unit_test(a_spray_of_one_off_keys_does_not_flush_guessed_keys),
        cmocka_unit_test(a_full_set_replaces_the_fewest_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
