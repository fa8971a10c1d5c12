/* Unit tests: LDAP filter escaping (RFC 4515) and DN building (RFC 4514). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_store.h"

#include <ldap.h>

static void filter_values_are_escaped(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    ldap_escape_filter_value(&b, "*)(uid=*");
    assert_string_equal(b.data, "\\2A\\29\\28uid=\\2A");
    buf_reset(&b);
    ldap_escape_filter_value(&b, "a\\b");
    assert_string_equal(b.data, "a\\5Cb");
    buf_reset(&b);
    ldap_escape_filter_value(&b, "paul");
    assert_string_equal(b.data, "paul");
    buf_free(&b);
}

static void dns_escape_special_characters(void **state)
{
    (void)state;
    const char *a[] = {"cn", "ou"}, *v[] = {"admin", "42"};
    char *dn = ldap_build_dn("dc=example,dc=org", a, v, 2);
    assert_string_equal(dn, "cn=admin,ou=42,dc=example,dc=org");
    free(dn);
    const char *a1[] = {"uid"}, *v1[] = {"x,ou=evil+cn=y"};
    dn = ldap_build_dn("ou=people,dc=example,dc=org", a1, v1, 1);
    assert_string_equal(dn, "uid=x\\2Cou\\3Devil\\2Bcn\\3Dy,ou=people,dc=example,dc=org");
    free(dn);
    assert_null(ldap_build_dn("not a dn", a, v, 1));
}

static void dn_equality_ignores_case_and_spacing(void **state)
{
    (void)state;
    assert_true(ldap_dn_equal("uid=paul,ou=people,dc=example,dc=org",
                              "UID=Paul, ou=People,DC=example,dc=org"));
    assert_false(ldap_dn_equal("uid=paul,ou=people,dc=example,dc=org",
                               "uid=pau,ou=people,dc=example,dc=org"));
}

/* Defect 5 of issue 7: an overview of a 1,000-member account normalised
 * DNs inside a member x member loop (millions of normalisations). The index
 * normalises each member DN once and each looked-up DN once. */
static void member_index_normalises_each_dn_once(void **state)
{
    (void)state;
    enum { N = 1000 };
    char *admins[10], *billing[100], *members[N];
    for (int i = 0; i < N; i++) {
        char dn[96];
        /* Spelled differently per group: case and spaces do not matter. */
        snprintf(dn, sizeof(dn), "uid=p%04d,ou=people,dc=example,dc=org", i);
        members[i] = strdup(dn);
        if (i < 100) {
            snprintf(dn, sizeof(dn), "UID=P%04d, ou=People,DC=example,dc=org", i);
            billing[i] = strdup(dn);
        }
        if (i < 10) {
            snprintf(dn, sizeof(dn), "uid=p%04d,OU=people,dc=Example,dc=org", i);
            admins[i] = strdup(dn);
        }
    }
    struct role_group groups[] = {
        {7, ROLE_ADMIN, admins, 10},
        {7, ROLE_BILLING, billing, 100},
        {7, ROLE_MEMBER, members, N},
        {8, ROLE_ADMIN, members, N}, /* another account: left out */
    };
    unsigned long before = ldap_dn_normalisations();
    struct member_index ix;
    member_index_build(&ix, groups, 4, 7);
    assert_int_equal(ix.n, N);
    size_t admins_seen = 0;
    for (int i = 0; i < N; i++) {
        char dn[96];
        snprintf(dn, sizeof(dn), "uid=p%04d,ou=people,dc=example,dc=org", i);
        const struct member_entry *e = member_index_find(&ix, dn);
        assert_non_null(e);
        unsigned want = ROLE_MEMBER | (i < 100 ? ROLE_BILLING : 0) | (i < 10 ? ROLE_ADMIN : 0);
        assert_int_equal(e->roles, want);
        admins_seen += (e->roles & ROLE_ADMIN) != 0;
    }
    assert_int_equal(admins_seen, 10);
    assert_null(member_index_find(&ix, "uid=nobody,ou=people,dc=example,dc=org"));
    /* 1,110 member values and 1,001 lookups: linear, not quadratic. */
    assert_true(ldap_dn_normalisations() - before <= 1110 + 1001);
    member_index_free(&ix);
    for (int i = 0; i < N; i++) {
        free(members[i]);
        if (i < 100)
            free(billing[i]);
        if (i < 10)
            free(admins[i]);
    }
}

/* Issue 7, defect 9: libldap's process-wide options were never set; each
 * thread's first handle initialised them concurrently. */
static void global_options_are_set_once(void **state)
{
    (void)state;
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ldap_timeout = 7;
    assert_int_equal(ldap_store_global_init(&cfg), 0);
    int version = 0;
    struct timeval *tv = NULL;
    assert_int_equal(ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version), LDAP_OPT_SUCCESS);
    assert_int_equal(version, LDAP_VERSION3);
    assert_int_equal(ldap_get_option(NULL, LDAP_OPT_NETWORK_TIMEOUT, &tv), LDAP_OPT_SUCCESS);
    assert_non_null(tv);
    assert_int_equal(tv->tv_sec, 7);
    ldap_memfree(tv);
    tv = NULL;
    assert_int_equal(ldap_get_option(NULL, LDAP_OPT_TIMEOUT, &tv), LDAP_OPT_SUCCESS);
    assert_non_null(tv);
    assert_int_equal(tv->tv_sec, 7);
    ldap_memfree(tv);
}

static void role_names_round_trip(void **state)
{
    (void)state;
    assert_int_equal(role_bit("admin"), ROLE_ADMIN);
    assert_int_equal(role_bit("service-provider"), ROLE_SERVICE_PROVIDER);
    assert_int_equal(role_bit("billing"), ROLE_BILLING);
    assert_int_equal(role_bit("member"), ROLE_MEMBER);
    assert_int_equal(role_bit("owner"), 0);
    assert_int_equal(role_bit("Admin"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter_values_are_escaped),
        cmocka_unit_test(dns_escape_special_characters),
        cmocka_unit_test(dn_equality_ignores_case_and_spacing),
        cmocka_unit_test(role_names_round_trip),
        cmocka_unit_test(member_index_normalises_each_dn_once),
        cmocka_unit_test(global_options_are_set_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
