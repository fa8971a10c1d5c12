#include "retention.h"

#include "audit.h"
#include "ldap_store.h"
#include "result.h"
#include "retention_store.h"
#include "sql_store.h"

#include <stdio.h>
#include <stdlib.h>

struct purge {
    unsigned long long id;
    const char *now;
    struct retention_purged removed;
};

static int purge_tx(struct sql_store *sql, void *arg)
{
    struct purge *p = arg;
    int st = retention_purge_tx(sql, p->id, p->now, &p->removed);
    if (st != ST_OK)
        return st;
    const struct retention_purged *r = &p->removed;
    return audit_write(sql, "accountd-maint", p->id, "account.purge", NULL,
                       json_pack("{s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:b}", "purged_at",
                                 p->now, "removed", "contacts", (json_int_t)r->contacts,
                                 "notification_recipients", (json_int_t)r->recipients,
                                 "property_values", (json_int_t)r->values,
                                 "service_provider_access", (json_int_t)r->providers, "projects",
                                 (json_int_t)r->projects, "invitations_revoked",
                                 (json_int_t)r->invitations, "ldap_entries_removed", 1));
}

int retention_run(const struct config *cfg, const char *now)
{
    if (cfg->account_retention_days == 0) {
        printf("maint: closed accounts are kept (account_retention_days = 0)\n");
        return 0;
    }
    struct sql_store *sql = sql_store_new(cfg);
    unsigned long long *ids;
    size_t n;
    int st = retention_due(sql, now, cfg->account_retention_days, &ids, &n);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: MariaDB is unavailable\n");
        sql_store_free(sql);
        return 1;
    }
    struct ldap_store *ldap = n ? ldap_store_new(cfg) : NULL;
    int rc = 0, purged = 0;
    for (size_t i = 0; i < n; i++) {
        st = ldap_store_delete_account_tree(ldap, ids[i]);
        if (st == ST_OK) {
            struct purge p = {ids[i], now, {0}};
            st = sql_transaction(sql, purge_tx, &p);
            if (st == ST_NOT_FOUND)
                continue; /* another run purged it */
        }
        if (st == ST_OK) {
            printf("purged the closed account %llu\n", ids[i]);
            purged++;
        } else {
            fprintf(stderr, "accountd maint: closed account %llu could not be purged now\n",
                    ids[i]);
            rc = 1;
        }
    }
    free(ids);
    printf("maint: %d closed account(s) past their retention (%d days) purged\n", purged,
           cfg->account_retention_days);
    if (ldap)
        ldap_store_free(ldap);
    sql_store_free(sql);
    return rc;
}
