#include "retention_store.h"

#include "buf.h"
#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

int retention_due(struct sql_store *sql, const char *now, int days, unsigned long long **ids,
                  size_t *n)
{
    return sql_ids(sql,
                   "SELECT id FROM accounts WHERE status = 'closed' AND purged_at IS NULL"
                   " AND closed_at <= CAST(? AS DATETIME(6)) - INTERVAL ? DAY ORDER BY id",
                   SQL_ARGS(P_STR(now), P_INT(days)), ids, n);
}

/* One DELETE or UPDATE of the account's rows; *count what it touched. */
static int touch(struct sql_store *sql, const char *stmt, unsigned long long id,
                 unsigned long long *count)
{
    struct sql_result r;
    int st = sql_exec(sql, stmt, SQL_ARGS(P_INT(id)), &r);
    if (st == ST_OK) {
        *count = r.affected;
        sql_result_free(&r);
    }
    return st;
}

int retention_purge_tx(struct sql_store *sql, unsigned long long id, const char *now,
                       struct retention_purged *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT id FROM accounts WHERE id = ? AND status = 'closed'"
                      " AND purged_at IS NULL FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    size_t found = r.nrows;
    sql_result_free(&r);
    if (!found)
        return ST_NOT_FOUND; /* purged by another run, or not closed any more */
    st = touch(sql, "DELETE FROM account_contacts WHERE account_id = ?", id, &out->contacts);
    if (st == ST_OK)
        st = touch(sql, "DELETE FROM notification_recipients WHERE account_id = ?", id,
                   &out->recipients);
    if (st == ST_OK)
        st = touch(sql, "DELETE FROM account_property_values WHERE account_id = ?", id,
                   &out->values);
    if (st == ST_OK)
        st = touch(sql, "DELETE FROM service_provider_access WHERE account_id = ?", id,
                   &out->providers);
    if (st == ST_OK)
        st = touch(sql, "DELETE FROM projects WHERE account_id = ?", id, &out->projects);
    if (st == ST_OK)
        st = touch(sql,
                   "UPDATE invitations SET status = 'revoked' WHERE account_id = ?"
                   " AND status = 'pending'",
                   id, &out->invitations);
    if (st == ST_OK)
        st = sql_exec(sql, "UPDATE accounts SET purged_at = CAST(? AS DATETIME(6)) WHERE id = ?",
                      SQL_ARGS(P_STR(now), P_INT(id)), NULL);
    return st;
}
