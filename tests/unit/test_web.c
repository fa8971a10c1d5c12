/* Unit tests: return_to/error_to checks, {id} filling, the error_to query,
 * Accept negotiation, HTML escaping and the error page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "web.h"

static struct config cfg;

static int setup(void **state)
{
    (void)state;
    char err[256];
    static const char text[] = "listen = /tmp/x.sock\nldap_base = dc=x\nldap_bind_dn = cn=x\n"
                               "allowed_origins = https://app.example http://127.0.0.1:8080\n";
    /* ldap_bind_password_file is required: point it at a file we write. */
    FILE *f = fopen("test_web.pw", "w");
    if (!f)
        return -1;
    fputs("pw\n", f);
    fclose(f);
    char full[512];
    snprintf(full, sizeof(full), "%sldap_bind_password_file = test_web.pw\n", text);
    return config_parse(&cfg, full, "test", err, sizeof(err));
}

static int teardown(void **state)
{
    (void)state;
    config_free(&cfg);
    remove("test_web.pw");
    return 0;
}

static void url_check_allows_only_allowed_origins(void **state)
{
    (void)state;
    assert_null(web_url_check(&cfg, "https://app.example/done?x=1#top"));
    assert_null(web_url_check(&cfg, "http://127.0.0.1:8080/accounts/{id}"));
    assert_null(web_url_check(&cfg, "https://APP.example/"));
    assert_non_null(web_url_check(&cfg, "https://evil.example/"));
    assert_non_null(web_url_check(&cfg, "https://app.example.evil.example/"));
    assert_non_null(web_url_check(&cfg, "https://app.example@evil.example/"));
    assert_non_null(web_url_check(&cfg, "http://127.0.0.1:8081/"));
    assert_non_null(web_url_check(&cfg, "//app.example/x"));
    assert_non_null(web_url_check(&cfg, "/relative"));
    assert_non_null(web_url_check(&cfg, "javascript:alert(1)"));
    assert_non_null(web_url_check(&cfg, ""));
}

static void url_check_refuses_spaces_and_controls(void **state)
{
    (void)state;
    assert_non_null(web_url_check(&cfg, "https://app.example/a b"));
    assert_non_null(web_url_check(&cfg, "https://app.example/a\tb"));
    assert_non_null(web_url_check(&cfg, "https://app.example/a\r\nSet-Cookie: x=1"));
    assert_non_null(web_url_check(&cfg, "https://app.example/a\nb"));
    assert_non_null(web_url_check(&cfg, "https://app.example/\x7f"));
    assert_non_null(web_url_check(&cfg, " https://app.example/"));
}

static void fills_ids_encoded(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    web_fill_ids(&b, "https://app.example/a/{account_id}/m/{id}?x={id}", "jo hn/x", "42");
    assert_string_equal(buf_str(&b), "https://app.example/a/42/m/jo%20hn%2Fx?x=jo%20hn%2Fx");
    buf_reset(&b);
    /* What nothing fills is left empty, never as raw braces (round-11
     * leftover of seed 004). */
    web_fill_ids(&b, "https://app.example/{id}/{other}?a={account_id}", NULL, "7");
    assert_string_equal(buf_str(&b), "https://app.example//?a=7");
    buf_free(&b);
}

static void fills_placeholders_and_encodes_stray_braces(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    const struct web_placeholder places[] = {{"id", "5"}, {"account_id", NULL}, {"order_id", "9"}};
    web_fill_placeholders(&b, "https://app.example/s/{id}?o={order_id}&a={account_id}&x={Co_1}",
                          places, 3);
    assert_string_equal(buf_str(&b), "https://app.example/s/5?o=9&a=&x=");
    buf_reset(&b);
    web_fill_placeholders(&b, "https://app.example/{}/{a-b}/}{id/{{id}}/{", places, 3);
    assert_string_equal(buf_str(&b), "https://app.example/%7B%7D/%7Ba-b%7D/%7D%7Bid/%7B5%7D/%7B");
    buf_free(&b);
}

static void secret_fields(void **state)
{
    (void)state;
    assert_true(web_is_secret_field("password"));
    assert_true(web_is_secret_field("new_Password"));
    assert_true(web_is_secret_field("token"));
    assert_true(web_is_secret_field("client_secret"));
    assert_false(web_is_secret_field("name"));
    assert_false(web_is_secret_field("email"));
}

static void error_url_with_errors_and_values(void **state)
{
    (void)state;
    json_t *errors = json_pack("{s:s, s:s}", "name", "is required", "company.country",
                               "must be an ISO 3166-1 alpha-2 code");
    json_t *values = json_pack("{s:s, s:s, s:{s:s, s:s}, s:[s,s], s:s}", "name", "", "password",
                               "hunter2", "company", "city", "Wien & Co", "country", "Österreich",
                               "roles", "admin", "member", "_version", "3");
    struct buf b = BUF_INIT;
    web_error_url(&b, "https://app.example/new#form", "validation", 422, "Unprocessable Content",
                  "some fields are invalid", errors, values, WEB_ERROR_URL_MAX);
    assert_string_equal(
        buf_str(&b),
        "https://app.example/new?error=validation&status=422&title=Unprocessable%20Content"
        "&detail=some%20fields%20are%20invalid&errors[name]=is%20required"
        "&errors[company.country]=must%20be%20an%20ISO%203166-1%20alpha-2%20code"
        "&values[name]=&values[company][city]=Wien%20%26%20Co"
        "&values[company][country]=%C3%96sterreich&values[roles][]=admin"
        "&values[roles][]=member#form");
    assert_null(strstr(buf_str(&b), "hunter2"));
    buf_free(&b);
    json_decref(errors);
    json_decref(values);
}

static void error_url_keeps_an_existing_query(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    web_error_url(&b, "https://app.example/edit?account=5", "precondition-failed", 412, "x", "",
                  NULL, NULL, WEB_ERROR_URL_MAX);
    assert_string_equal(buf_str(&b), "https://app.example/edit?account=5&error=precondition-failed"
                                     "&status=412&title=x&detail=");
    buf_free(&b);
}

static void error_url_leaves_out_what_does_not_fit(void **state)
{
    (void)state;
    char big[2000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_t *values = json_pack("{s:s, s:s, s:s}", "body", big, "subject", "Hello", "more", big);
    struct buf b = BUF_INIT;
    web_error_url(&b, "https://app.example/x#f", "validation", 422, "t", "d", NULL, values, 2500);
    assert_true(b.len <= 2500);
    assert_non_null(strstr(buf_str(&b), "values[subject]=Hello"));
    assert_non_null(strstr(buf_str(&b), "&omitted=1#f"));
    assert_int_equal(strstr(buf_str(&b), "values[more]") != NULL, 0);
    buf_free(&b);
    json_decref(values);
}

static void accept_negotiation(void **state)
{
    (void)state;
    /* Chromium's and Firefox's navigation Accept headers. */
    assert_true(web_prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,"
                                 "image/avif,image/webp,image/apng,*/*;q=0.8,"
                                 "application/signed-exchange;v=b3;q=0.7"));
    assert_true(
        web_prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
    assert_true(web_prefers_html("text/*"));
    /* fetch(), curl, requests: JSON. */
    assert_false(web_prefers_html("*/*"));
    assert_false(web_prefers_html(NULL));
    assert_false(web_prefers_html(""));
    assert_false(web_prefers_html("application/json"));
    assert_false(web_prefers_html("application/problem+json, text/html;q=0.5"));
    assert_false(web_prefers_html("text/html, application/json"));
    assert_false(web_prefers_html("text/html;q=0"));
    assert_false(web_prefers_html("text/html;q=0.5, */*"));
    assert_true(web_prefers_html("text/html, application/*;q=0.2"));
    assert_true(web_prefers_html("TEXT/HTML ; q=1, application/json ; q=0.9"));
    assert_false(web_prefers_html("text/html;q=abc, application/json;q=0.1"));
}

static void html_escaping(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    web_html_escape(&b, "<script>alert(\"x\" & 'y')</script>");
    assert_string_equal(buf_str(&b),
                        "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
    buf_free(&b);
}

static void error_page_is_escaped_and_readable(void **state)
{
    (void)state;
    json_t *errors = json_pack("{s:s}", "name<b>", "is <required>");
    struct buf b = BUF_INIT;
    web_error_page(&b, 422, "Unprocessable Content", "bad \"input\"", errors,
                   "https://app.example/new?a=1&b=\"2\"");
    const char *s = buf_str(&b);
    assert_non_null(strstr(s, "<title>422 Unprocessable Content</title>"));
    assert_non_null(strstr(s, "Please correct what you entered"));
    assert_non_null(strstr(s, "bad &quot;input&quot;"));
    assert_non_null(strstr(s, "<code>name&lt;b&gt;</code>: is &lt;required&gt;"));
    assert_non_null(strstr(s, "href=\"https://app.example/new?a=1&amp;b=&quot;2&quot;\""));
    assert_null(strstr(s, "<b>"));
    buf_reset(&b);
    web_error_page(&b, 412, "Precondition Failed", "changed", NULL, NULL);
    assert_null(strstr(buf_str(&b), "href"));
    assert_null(strstr(buf_str(&b), "<ul"));
    buf_free(&b);
    json_decref(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_check_allows_only_allowed_origins),
        cmocka_unit_test(url_check_refuses_spaces_and_controls),
        cmocka_unit_test(fills_ids_encoded),
        cmocka_unit_test(fills_placeholders_and_encodes_stray_braces),
        cmocka_unit_test(secret_fields),
        cmocka_unit_test(error_url_with_errors_and_values),
        cmocka_unit_test(error_url_keeps_an_existing_query),
        cmocka_unit_test(error_url_leaves_out_what_does_not_fit),
        cmocka_unit_test(accept_negotiation),
        cmocka_unit_test(html_escaping),
        cmocka_unit_test(error_page_is_escaped_and_readable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
