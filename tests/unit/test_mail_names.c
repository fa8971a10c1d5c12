/* Unit tests: the names that greet a mail's readers (mail_names.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mail_names.h"

static void finds_names_by_address_ignoring_case(void **state)
{
    (void)state;
    struct mail_names m = MAIL_NAMES_INIT;
    mail_names_add(&m, "pat@partner.example", "Pat Partner");
    mail_names_add(&m, "ops@kunde.example", NULL); /* a bare recipient */
    mail_names_add(&m, "", "Nobody");
    mail_names_add(&m, NULL, "Nobody");
    assert_int_equal(m.n, 2);
    assert_string_equal(mail_names_find(&m, "PAT@Partner.example"), "Pat Partner");
    assert_null(mail_names_find(&m, "ops@kunde.example"));
    assert_null(mail_names_find(&m, "other@example.org"));
    assert_null(mail_names_find(NULL, "pat@partner.example"));
    mail_names_free(&m);
    assert_int_equal(m.n, 0);
}

static void a_name_is_never_replaced_by_none(void **state)
{
    (void)state;
    struct mail_names m = MAIL_NAMES_INIT;
    mail_names_add(&m, "clara@kunde.example", NULL);
    mail_names_add(&m, "Clara@kunde.example", "Clara Kundin");
    mail_names_add(&m, "clara@kunde.example", NULL);
    mail_names_add(&m, "clara@kunde.example", "Someone Else");
    assert_int_equal(m.n, 1);
    assert_string_equal(mail_names_find(&m, "clara@kunde.example"), "Clara Kundin");
    struct person p = {.mail = "sam@partner.example", .name = "Sam Staff"};
    mail_names_add_person(&m, &p);
    mail_names_add_person(&m, NULL);
    assert_string_equal(mail_names_find(&m, "sam@partner.example"), "Sam Staff");
    mail_names_free(&m);
}

static void json_carries_the_names_that_exist(void **state)
{
    (void)state;
    struct mail_names m = MAIL_NAMES_INIT;
    mail_names_add(&m, "pat@partner.example", "Pat Partner");
    mail_names_add(&m, "ops@kunde.example", NULL);
    json_t *j = mail_names_json(&m);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(j, "pat@partner.example")),
                        "Pat Partner");
    struct mail_names back = MAIL_NAMES_INIT;
    json_object_set_new(j, "odd@example.org", json_integer(1)); /* skipped */
    mail_names_add_json(&back, j);
    mail_names_add_json(&back, NULL);
    assert_int_equal(back.n, 1);
    assert_string_equal(mail_names_find(&back, "pat@partner.example"), "Pat Partner");
    json_decref(j);
    mail_names_free(&back);
    mail_names_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_names_by_address_ignoring_case),
        cmocka_unit_test(a_name_is_never_replaced_by_none),
        cmocka_unit_test(json_carries_the_names_that_exist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
