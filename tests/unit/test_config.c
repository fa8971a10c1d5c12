/* Unit tests: configuration parsing and its error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char secret_path[64];

static int make_secret(void **state)
{
    (void)state;
    snprintf(secret_path, sizeof(secret_path), "/tmp/accountd-test-secret-%d", (int)getpid());
    FILE *f = fopen(secret_path, "w");
    fputs("s3cret\nsecond line\n", f);
    fclose(f);
    return 0;
}

static int remove_secret(void **state)
{
    (void)state;
    unlink(secret_path);
    return 0;
}

static int parse(struct config *cfg, const char *extra, char *err)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "# comment\n\nlisten = /tmp/a.sock\nldap_base = dc=example,dc=org\n"
             "ldap_bind_dn = cn=accountd,dc=example,dc=org\n"
             "ldap_bind_password_file = %s\n%s",
             secret_path, extra);
    return config_parse(cfg, text, "test.conf", err, 256);
}

static void minimal_config_gets_defaults(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg, "", err), 0);
    assert_string_equal(cfg.listen, "/tmp/a.sock");
    assert_string_equal(cfg.ldap_bind_password, "s3cret");
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.body_limit, 1048576);
    assert_string_equal(cfg.identity_attribute, "uid");
    assert_int_equal(cfg.listen_mode, 0660);
    assert_int_equal(cfg.listen_backlog, 1024);
    assert_int_equal(cfg.auth_max_failures, 10);
    assert_int_equal(cfg.auth_delay, 1);
    assert_int_equal(cfg.auth_max_delay, 5);
    assert_int_equal(cfg.auth_failure_window, 300);
    assert_int_equal(cfg.ldap_sync_retry, 60);
    assert_int_equal(cfg.storefront_retention_days, 90);
    assert_int_equal(cfg.account_retention_days, 365);
    assert_int_equal(cfg.subscription_notice_days, 14);
    config_free(&cfg);
}

static void subscription_notice_days(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg, "subscription_notice_days = 0\n", err), 0);
    assert_int_equal(cfg.subscription_notice_days, 0); /* no notice */
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "subscription_notice_days = 365\n", err), 0);
    assert_int_equal(cfg.subscription_notice_days, 365);
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "subscription_notice_days = 366\n", err), -1);
    assert_non_null(strstr(err, "subscription_notice_days"));
}

static void account_retention_days(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg, "account_retention_days = 0\n", err), 0);
    assert_int_equal(cfg.account_retention_days, 0); /* kept for ever */
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "account_retention_days = 3650\n", err), 0);
    assert_int_equal(cfg.account_retention_days, 3650);
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "account_retention_days = -1\n", err), -1);
    assert_int_equal(parse(&cfg, "account_retention_days = 36501\n", err), -1);
    assert_non_null(strstr(err, "account_retention_days"));
}

/* The relation budget (round-11 leftover of seed 001): 20 requests an
 * hour by default, 0 no limit; a reload applies it at once. */
static void relation_budget(void **state)
{
    (void)state;
    struct config cfg, running;
    char err[256], changed[256];
    assert_int_equal(parse(&cfg, "", err), 0);
    assert_int_equal(cfg.relation_budget, 20);
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "relation_budget = 0\n", err), 0);
    assert_int_equal(cfg.relation_budget, 0); /* no limit */
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "relation_budget = -1\n", err), -1);
    assert_int_equal(parse(&cfg, "relation_budget = 100001\n", err), -1);
    assert_non_null(strstr(err, "relation_budget must be a number from 0 to 100000"));
    assert_int_equal(parse(&running, "", err), 0);
    assert_int_equal(parse(&cfg, "relation_budget = 3\n", err), 0);
    config_keep_restart_keys(&cfg, &running, changed, sizeof(changed));
    assert_string_equal(changed, "");
    assert_int_equal(cfg.relation_budget, 3);
    config_free(&cfg);
    config_free(&running);
}

static void backlog_and_throttle_keys(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(
        parse(&cfg, "listen_backlog = 4096\nauth_delay = 3\nauth_max_delay = 3\n", err), 0);
    assert_int_equal(cfg.listen_backlog, 4096);
    assert_int_equal(cfg.auth_delay, 3);
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "listen_backlog = 8\n", err), -1);
    assert_non_null(strstr(err, "test.conf:"));
    assert_int_equal(parse(&cfg, "auth_max_delay = 61\n", err), -1);
    assert_int_equal(parse(&cfg, "auth_delay = 6\n", err), -1);
    assert_non_null(strstr(err, "auth_delay must not exceed auth_max_delay"));
    assert_int_equal(parse(&cfg, "ldap_sync_retry = 5\n", err), 0);
    assert_int_equal(cfg.ldap_sync_retry, 5);
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "ldap_sync_retry = 0\n", err), -1);
    assert_non_null(strstr(err, "ldap_sync_retry must be a number from 1 to 3600"));
}

static void values_and_origins(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg,
                           "  # an indented comment\nthreads = 8\nallowed_origins = http://a:8080/ "
                           "https://b.example\nidentity_attribute = mail\nlisten_mode = 0600\n",
                           err),
                     0);
    assert_int_equal(cfg.threads, 8);
    assert_string_equal(cfg.identity_attribute, "mail");
    assert_int_equal(cfg.listen_mode, 0600);
    assert_true(config_origin_allowed(&cfg, "http://a:8080", 13));
    assert_true(config_origin_allowed(&cfg, "https://b.example", 17));
    assert_false(config_origin_allowed(&cfg, "http://a:8081", 13));
    assert_false(config_origin_allowed(&cfg, "http://evil.example", 19));
    config_free(&cfg);
}

/* Issue 7, defect 9: '#' started a comment anywhere on a line, so this
 * URL lost its fragment and then its {token}. */
static void hash_inside_a_value_is_no_comment(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg,
                           "invitation_url = https://app.example/#/i/{token}\n"
                           "mail_from = ops#1@example.org\n",
                           err),
                     0);
    assert_string_equal(cfg.invitation_url, "https://app.example/#/i/{token}");
    assert_string_equal(cfg.mail_from, "ops#1@example.org");
    config_free(&cfg);
    /* A '#' after a number is part of the value, so it is no number. */
    assert_int_equal(parse(&cfg, "threads = 8 # eight\n", err), -1);
    assert_non_null(strstr(err, "test.conf:7:"));
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg, "bogus = 1\n", err), -1);
    assert_string_equal(err, "test.conf:7: unknown key 'bogus'");
    assert_int_equal(parse(&cfg, "threads = many\n", err), -1);
    assert_non_null(strstr(err, "test.conf:7: threads must be a number"));
    assert_int_equal(parse(&cfg, "no equals sign\n", err), -1);
    assert_non_null(strstr(err, "test.conf:7:"));
    assert_int_equal(parse(&cfg, "allowed_origins = ftp://x\n", err), -1);
    assert_int_equal(config_parse(&cfg, "listen = /x\n", "t.conf", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "missing required key"));
    assert_int_equal(parse(&cfg, "identity_attribute = mail)(uid=*\n", err), -1);
    assert_non_null(strstr(err, "identity_attribute must be an LDAP attribute name"));
    assert_int_equal(parse(&cfg, "identity_attribute = employeeNumber\n", err), 0);
    config_free(&cfg);
}

static void missing_secret_file_is_an_error(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(config_parse(&cfg,
                                  "listen=/x\nldap_base=dc=x\nldap_bind_dn=cn=x\n"
                                  "ldap_bind_password_file=/nonexistent/pw\n",
                                  "t.conf", err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "t.conf:4: cannot read /nonexistent/pw"));
}

static void reload_keeps_what_needs_a_restart(void **state)
{
    (void)state;
    struct config running, fresh;
    char err[256], changed[256];
    assert_int_equal(parse(&running, "threads = 4\nallowed_origins = https://a.example\n", err), 0);
    assert_int_equal(parse(&fresh,
                           "threads = 8\nsql_port = 3307\nldap_uri = ldap://other/\n"
                           "allowed_origins = https://a.example https://b.example\n"
                           "body_limit = 2048\n",
                           err),
                     0);
    config_keep_restart_keys(&fresh, &running, changed, sizeof(changed));
    assert_string_equal(changed, "ldap_uri, threads, sql_port");
    assert_int_equal(fresh.threads, 4);
    assert_int_equal(fresh.sql_port, 3306);
    assert_string_equal(fresh.ldap_uri, running.ldap_uri);
    /* What a reload is for stays new. */
    assert_int_equal(fresh.body_limit, 2048);
    assert_true(config_origin_allowed(&fresh, "https://b.example", 17));
    config_keep_restart_keys(&fresh, &running, changed, sizeof(changed));
    assert_string_equal(changed, "");
    config_free(&fresh);
    config_free(&running);
}

/* Round-26 walkthrough of seed 002, D1: the site's own hosts, computed
 * once from its links, its allowed origins and site_hosts; compared by
 * name, the port, case and a trailing dot ignored. */
static void site_hosts_are_the_links_and_origins_hosts(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg,
                           "invitation_url = https://Portal.Example.org:8443/i/{token}\n"
                           "password_reset_url = https://user@reset.example.org/r/{token}\n"
                           "preferences_url = \n"
                           "allowed_origins = http://127.0.0.1:8080 http://localhost:8080/\n"
                           "site_hosts = Help.Example.org, www.example.org:443\n",
                           err),
                     0);
    const char *yes[] = {"portal.example.org",  "PORTAL.example.org:80",
                         "portal.example.org.", "reset.example.org",
                         "127.0.0.1",           "127.0.0.1:8080",
                         "LocalHost.",          "help.example.org",
                         "www.example.org",     NULL};
    for (size_t i = 0; yes[i]; i++)
        assert_true(config_is_site_host(&cfg, yes[i]));
    const char *no[] = {"shop.example.org", "example.org", "127.0.0.2", "user", "", NULL};
    for (size_t i = 0; no[i]; i++)
        assert_false(config_is_site_host(&cfg, no[i]));
    config_free(&cfg);
    assert_int_equal(parse(&cfg, "site_hosts = https://x.example/\n", err), -1);
    assert_non_null(strstr(err, "site_hosts must be host names"));
}

/* Review of round 26: a site_hosts item is a host name by the storefront
 * host's rule (text_host_check), not only one without / @ ? #; one longer
 * than a host name could never match a request's Host. */
static void site_hosts_are_host_names(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    char line[400];
    char long_host[300];
    memset(long_host, 'a', sizeof(long_host) - 1);
    long_host[sizeof(long_host) - 1] = '\0';
    const char *bad[] = {
        "a:b:c",          "-x.example",         "x-.example", "shop..example", "shop_1.example",
        "shop.example:0", "shop.example:99999", "[::1]",      long_host,       NULL};
    for (size_t i = 0; bad[i]; i++) {
        snprintf(line, sizeof(line), "site_hosts = ok.example %s\n", bad[i]);
        assert_int_equal(parse(&cfg, line, err), -1);
        assert_non_null(strstr(err, "site_hosts must be host names"));
    }
    assert_int_equal(parse(&cfg, "site_hosts = Shop-1.Example.:8443 localhost 10.0.0.1\n", err), 0);
    assert_true(config_is_site_host(&cfg, "shop-1.example"));
    assert_true(config_is_site_host(&cfg, "localhost"));
    assert_true(config_is_site_host(&cfg, "10.0.0.1:80"));
    config_free(&cfg);
}

/* Review of round 26: one reading of a host name, the request's Host
 * and the config's alike (config_host_name), no allocation. */
static void a_host_name_is_read_once(void **state)
{
    (void)state;
    char h[CONFIG_HOST_NAME_SIZE];
    const char *in[] = {"shop.example", "Shop.Example.", "SHOP.example.:8443", "shop.example:80",
                        "[::1]:8080",   "[::1]",         "shop.example..",     NULL};
    const char *out[] = {"shop.example", "shop.example", "shop.example", "shop.example",
                         "[::1]",        "[::1]",        "shop.example"};
    for (size_t i = 0; in[i]; i++) {
        assert_int_equal(config_host_name(in[i], strlen(in[i]), h, sizeof(h)), strlen(out[i]));
        assert_string_equal(h, out[i]);
    }
    const char *none[] = {"", ".", ":8080", ".:80", NULL};
    for (size_t i = 0; none[i]; i++) {
        assert_int_equal(config_host_name(none[i], strlen(none[i]), h, sizeof(h)), 0);
        assert_string_equal(h, "");
    }
    /* Longer than a host name: none, not a cut one. */
    assert_int_equal(config_host_name("abcdef.example", 14, h, 6), 0);
    assert_string_equal(h, "");
    /* The site's hosts: a prefix or a longer name is another host. */
    struct config cfg;
    char err[256];
    assert_int_equal(parse(&cfg, "site_hosts = portal.example.org\n", err), 0);
    assert_true(config_is_site_host(&cfg, "PORTAL.example.org.:443"));
    assert_false(config_is_site_host(&cfg, "portal.example.or"));
    assert_false(config_is_site_host(&cfg, "portal.example.orgx"));
    assert_false(config_is_site_host(&cfg, "xportal.example.org"));
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backlog_and_throttle_keys),
        cmocka_unit_test(minimal_config_gets_defaults),
        cmocka_unit_test(account_retention_days),
        cmocka_unit_test(relation_budget),
        cmocka_unit_test(subscription_notice_days),
        cmocka_unit_test(values_and_origins),
        cmocka_unit_test(hash_inside_a_value_is_no_comment),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(missing_secret_file_is_an_error),
        cmocka_unit_test(reload_keeps_what_needs_a_restart),
        cmocka_unit_test(site_hosts_are_the_links_and_origins_hosts),
        cmocka_unit_test(site_hosts_are_host_names),
        cmocka_unit_test(a_host_name_is_read_once),
    };
    return cmocka_run_group_tests(tests, make_secret, remove_secret);
}
