/*
 * accountd: partner, reseller and customer accounts over FastCGI.
 * Usage and commands: docs/config.md.
 */
#include "config.h"
#include "ldap_store.h"
#include "log.h"
#include "migrate.h"
#include "outbox.h"
#include "retention.h"
#include "routes.h"
#include "server.h"
#include "subscriptions.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: accountd [--config FILE]                 serve FastCGI\n"
          "       accountd migrate [--config FILE]         apply SQL migrations\n"
          "       accountd bootstrap --operator UID [--name NAME] [--config FILE]\n"
          "       accountd maint [--min-age SECONDS] [--now TIME] [--config FILE]\n"
          "                repair job, subscriptions ending at term end, storefront purge\n"
          "       accountd routes                          the route table as JSON lines\n"
          "       accountd --version\n",
          f);
}

int main(int argc, char **argv)
{
    const char *config_path = ACCOUNTD_SYSCONFDIR "/accountd/accountd.conf";
    const char *command = "serve", *operator_uid = NULL, *name = "Operator";
    int min_age = 300;
    const char *now = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("accountd %s\n", PACKAGE_VERSION);
            return 0;
        } else if (strcmp(a, "routes") == 0 && argc == 2) {
            routes_print(stdout);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(a, "--operator") == 0 && i + 1 < argc) {
            operator_uid = argv[++i];
        } else if (strcmp(a, "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(a, "--now") == 0 && i + 1 < argc) {
            now = argv[++i];
        } else if (strcmp(a, "--min-age") == 0 && i + 1 < argc) {
            min_age = atoi(argv[++i]);
        } else if (a[0] != '-' && (strcmp(a, "serve") == 0 || strcmp(a, "migrate") == 0 ||
                                   strcmp(a, "bootstrap") == 0 || strcmp(a, "maint") == 0)) {
            command = a;
        } else {
            fprintf(stderr, "accountd: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    struct config cfg;
    char err[512];
    if (config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "accountd: %s\n", err);
        return 1;
    }
    json_object_seed(0);
    /* Before any thread exists (server_run starts the workers). */
    if (ldap_store_global_init(&cfg) < 0) {
        config_free(&cfg);
        return 1;
    }
    outbox_budget_configure(cfg.mail_budget, cfg.mail_budget_window);
    int rc;
    if (strcmp(command, "migrate") == 0) {
        rc = migrate_run(&cfg);
    } else if (strcmp(command, "maint") == 0) {
        char at[20];
        if (billing_now(now, at) < 0) {
            fputs("accountd maint: --now must be a UTC time like 2027-01-31T00:00:00Z\n", stderr);
            rc = 2;
        } else {
            rc = maint_run(&cfg, min_age);
            int billing_rc = billing_maint_run(&cfg, now);
            if (billing_rc > rc)
                rc = billing_rc;
            int retention_rc = retention_run(&cfg, at);
            if (retention_rc > rc)
                rc = retention_rc;
        }
    } else if (strcmp(command, "bootstrap") == 0) {
        if (!operator_uid) {
            fputs("accountd bootstrap: --operator UID is required\n", stderr);
            rc = 2;
        } else {
            rc = bootstrap_run(&cfg, operator_uid, name);
        }
    } else {
        rc = server_run(&cfg, config_path);
    }
    config_free(&cfg);
    return rc;
}
