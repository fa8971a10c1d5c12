/* Unit tests: strict parsing of the HTTP Basic Authorization header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "authn.h"

static int parses(const char *header, const char *user, const char *password)
{
    char *u = NULL, *p = NULL;
    if (basic_parse(header, &u, &p) < 0)
        return 0;
    int same = strcmp(u, user) == 0 && strcmp(p, password) == 0;
    free(u);
    free(p);
    return same;
}

static int refused(const char *header)
{
    char *u = NULL, *p = NULL;
    if (basic_parse(header, &u, &p) < 0)
        return 1;
    free(u);
    free(p);
    return 0;
}

static void well_formed_credentials(void **state)
{
    (void)state;
    /* alice:secret */
    assert_true(parses("Basic YWxpY2U6c2VjcmV0", "alice", "secret"));
    assert_true(parses("basic YWxpY2U6c2VjcmV0", "alice", "secret"));
    assert_true(parses("BASIC   YWxpY2U6c2VjcmV0", "alice", "secret"));
    assert_true(parses("Basic YWxpY2U6c2VjcmV0  ", "alice", "secret"));
    /* one and two padding characters: "ab:c" and "ab:cd" */
    assert_true(parses("Basic YWI6Yw==", "ab", "c"));
    assert_true(parses("Basic YWI6Y2Q=", "ab", "cd"));
    /* the password may hold colons; the name ends at the first */
    assert_true(parses("Basic YTpiOmM=", "a", "b:c"));
    /* empty parts parse (the check refuses them) */
    assert_true(parses("Basic Og==", "", ""));
    /* + and / of the standard alphabet: "~~~:???" */
    assert_true(parses("Basic fn5+Oj8/Pw==", "~~~", "???"));
}

/* issue 7: `Basic <valid>=<anything>` was accepted. */
static void anything_after_the_base64_is_refused(void **state)
{
    (void)state;
    assert_true(refused("Basic YWxpY2U6c2VjcmV0=garbage"));
    assert_true(refused("Basic YWxpY2U6c2VjcmV0=="));
    assert_true(refused("Basic YWI6Yw==x"));
    assert_true(refused("Basic YWI6Yw==YWI6Yw=="));
    assert_true(refused("Basic YWxpY2U6c2VjcmV0 YWxpY2U6c2VjcmV0"));
    assert_true(refused("Basic YWxpY2U6c2VjcmV0,Basic YWxpY2U6c2VjcmV0"));
}

static void malformed_base64_is_refused(void **state)
{
    (void)state;
    assert_true(refused("Basic YWI6Yw"));   /* padding missing */
    assert_true(refused("Basic YWI6Yw="));  /* length not a multiple of 4 */
    assert_true(refused("Basic YW=6Yw==")); /* padding in the middle */
    assert_true(refused("Basic YWI6Yx==")); /* non-zero bits in the padding */
    assert_true(refused("Basic YWI6Y2R=")); /* likewise with one = */
    assert_true(refused("Basic YWI6Y-Q=")); /* base64url's alphabet */
    assert_true(refused("Basic YWI6Y_Q="));
    assert_true(refused("Basic YWI6\tYw=="));
    assert_true(refused("Basic ===="));
    assert_true(refused("Basic "));
    assert_true(refused("Basic"));
    assert_true(refused(""));
    assert_true(refused(NULL));
}

static void other_schemes_and_texts_are_refused(void **state)
{
    (void)state;
    assert_true(refused("Bearer YWxpY2U6c2VjcmV0"));
    assert_true(refused("BasicYWxpY2U6c2VjcmV0"));
    assert_true(refused("Basic\tYWxpY2U6c2VjcmV0"));
    /* "alice" (no colon) */
    assert_true(refused("Basic YWxpY2U="));
    /* "a\0:b" (a NUL inside) */
    assert_true(refused("Basic YQA6Yg=="));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed_credentials),
        cmocka_unit_test(anything_after_the_base64_is_refused),
        cmocka_unit_test(malformed_base64_is_refused),
        cmocka_unit_test(other_schemes_and_texts_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
