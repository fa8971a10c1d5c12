#include "adminless.h"

#include "adminless_store.h"
#include "audit.h"
#include "buf.h"
#include "ldap_store.h"
#include "result.h"
#include "sql_store.h"

#include <stdio.h>
#include <stdlib.h>

struct episode {
    unsigned long long id;
    const char *since; /* account.admin_restored: when it lost its admins */
    size_t admins;     /* account.admin_restored: how many it has now */
    int changed;       /* 1 when this run recorded or ended the episode */
};

static int start_tx(struct sql_store *sql, void *arg)
{
    struct episode *e = arg;
    int st = adminless_record(sql, e->id, &e->changed);
    if (st == ST_OK && e->changed)
        st = audit_write(sql, "accountd-maint", e->id, "account.adminless", NULL,
                         json_pack("{s:i}", "admins", 0));
    return st;
}

static int end_tx(struct sql_store *sql, void *arg)
{
    struct episode *e = arg;
    int st = adminless_forget(sql, e->id, &e->changed);
    if (st == ST_OK && e->changed)
        st = audit_write(sql, "accountd-maint", e->id, "account.admin_restored",
                         json_pack("{s:i, s:s}", "admins", 0, "since", e->since),
                         json_pack("{s:I}", "admins", (json_int_t)e->admins));
    return st;
}

int adminless_report(struct sql_store *sql, struct ldap_store *ldap)
{
    /* The accounts first, then the directory: an account created between
     * the two is not among them, so it is never taken for one whose admin
     * group was read before it existed. */
    struct sql_result r;
    int st = adminless_candidates(sql, &r);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: MariaDB is unavailable\n");
        return -1;
    }
    struct admin_count *groups = NULL;
    size_t ngroups = 0;
    st = ldap_store_admin_counts(ldap, &groups, &ngroups);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: cannot read the admin groups from LDAP\n");
        sql_result_free(&r);
        return -1;
    }
    int adminless = 0, failed = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        struct episode e = {.id = sql_cell_id(&r, i, ADMINLESS_ID),
                            .since = sql_cell(&r, i, ADMINLESS_SINCE)};
        int closed = sql_cell_id(&r, i, ADMINLESS_CLOSED) != 0;
        size_t admins = admin_count_of(groups, ngroups, e.id);
        if (!closed && !admins) {
            adminless++;
            if (!e.since)
                st = sql_transaction(sql, start_tx, &e);
            struct buf line = BUF_INIT;
            buf_printf(&line, "account %llu (", e.id);
            buf_add_logsafe(&line, sql_cell(&r, i, ADMINLESS_NAME));
            buf_printf(&line,
                       ") has no admin in the directory%s%s: operator staff name one (POST "
                       "/api/v1/accounts/%llu/invitations with role admin)",
                       e.since ? " since " : "", e.since ? e.since : "", e.id);
            printf("%s\n", buf_str(&line));
            buf_free(&line);
        } else if (e.since) {
            /* An admin again, or closed (the close is audited already):
             * the episode ends; a later loss is a new one. */
            e.admins = admins;
            st =
                closed ? adminless_forget(sql, e.id, &e.changed) : sql_transaction(sql, end_tx, &e);
            if (st == ST_OK && !closed && e.changed)
                printf("account %llu has an admin again (%zu)\n", e.id, e.admins);
        }
        if (st != ST_OK) {
            fprintf(stderr, "accountd maint: account %llu: its admin check could not be recorded\n",
                    e.id);
            failed = 1;
            st = ST_OK;
        }
    }
    free(groups);
    sql_result_free(&r);
    printf("maint: %d account(s) without an admin\n", adminless);
    return failed ? -1 : adminless;
}
