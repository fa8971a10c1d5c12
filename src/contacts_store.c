#include "contacts_store.h"

#include "buf.h"
#include "sql_store.h"

int contact_get(struct sql_store *sql, unsigned long long account_id, const char *kind, char **uid)
{
    struct sql_result r;
    *uid = NULL;
    int st = sql_exec(sql, "SELECT uid FROM account_contacts WHERE account_id = ? AND kind = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(kind)), &r);
    if (st == ST_OK && r.nrows)
        *uid = xstrdup(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return st;
}

int contact_set(struct sql_store *sql, unsigned long long account_id, const char *kind,
                const char *uid)
{
    return sql_exec(sql,
                    "INSERT INTO account_contacts (account_id, kind, uid) VALUES (?, ?, ?)"
                    " ON DUPLICATE KEY UPDATE uid = VALUES(uid), updated_at = CURRENT_TIMESTAMP(6)",
                    SQL_ARGS(P_INT(account_id), P_STR(kind), P_STR(uid)), NULL);
}
