#include "audit.h"

#include <stdlib.h>

int audit_write(struct sql_store *sql, const char *uid, unsigned long long account_id,
                const char *action, json_t *old_value, json_t *new_value)
{
    char *o = old_value ? json_dumps(old_value, JSON_COMPACT) : NULL;
    char *n = new_value ? json_dumps(new_value, JSON_COMPACT) : NULL;
    json_decref(old_value);
    json_decref(new_value);
    int st = sql_exec(sql,
                      "INSERT INTO audit (uid, account_id, action, old_value, new_value)"
                      " VALUES (?, ?, ?, ?, ?)",
                      SQL_ARGS(P_STR(uid), account_id ? P_INT(account_id) : P_NULL, P_STR(action),
                               P_STR(o), P_STR(n)),
                      NULL);
    free(o);
    free(n);
    return st;
}
