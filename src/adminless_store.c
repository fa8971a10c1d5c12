#include "adminless_store.h"

#include "result.h"
#include "sql_store.h"

int adminless_candidates(struct sql_store *sql, struct sql_result *out)
{
    return sql_exec(sql,
                    "SELECT a.id, a.name, a.status = 'closed' OR a.ldap_state <> 'done',"
                    " DATE_FORMAT(l.since, '%Y-%m-%dT%H:%i:%SZ')"
                    " FROM accounts a LEFT JOIN adminless_accounts l ON l.account_id = a.id"
                    " WHERE (a.status <> 'closed' AND a.ldap_state = 'done')"
                    " OR l.account_id IS NOT NULL ORDER BY a.id",
                    SQL_NO_ARGS, out);
}

int adminless_record(struct sql_store *sql, unsigned long long id, int *recorded)
{
    struct sql_result r = {0};
    int st = sql_exec(sql, "INSERT IGNORE INTO adminless_accounts (account_id) VALUES (?)",
                      SQL_ARGS(P_INT(id)), &r);
    *recorded = st == ST_OK && r.affected == 1;
    sql_result_free(&r);
    return st;
}

int adminless_forget(struct sql_store *sql, unsigned long long id, int *dropped)
{
    struct sql_result r = {0};
    int st = sql_exec(sql, "DELETE FROM adminless_accounts WHERE account_id = ?",
                      SQL_ARGS(P_INT(id)), &r);
    *dropped = st == ST_OK && r.affected == 1;
    sql_result_free(&r);
    return st;
}
