/* Unit tests: LDAP filter escaping (RFC 4515) and DN building (RFC 4514). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_store.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
