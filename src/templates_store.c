#include "templates_store.h"

#include "sql_store.h"
#include "buf.h"

#include <stdlib.h>

int template_override_set(struct sql_store *sql, unsigned long long account_id, const char *name,
                          const char *subject, const char *body)
{
    return sql_exec(sql,
                    "INSERT INTO notification_templates (account_id, name, subject, body)"
                    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE subject = VALUES(subject),"
                    " body = VALUES(body), updated_at = CURRENT_TIMESTAMP(6)",
                    SQL_ARGS(P_INT(account_id), P_STR(name), P_STR(subject), P_STR(body)), NULL);
}

int template_override_delete(struct sql_store *sql, unsigned long long account_id, const char *name,
                             int *found)
{
    struct sql_result r;
    int st = sql_exec(sql, "DELETE FROM notification_templates WHERE account_id = ? AND name = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(name)), &r);
    *found = st == ST_OK && r.affected > 0;
    sql_result_free(&r);
    return st;
}

int template_recipients_get(struct sql_store *sql, unsigned long long account_id, const char *name,
                            char ***out, size_t *n)
{
    return sql_strings(sql,
                       "SELECT email FROM template_recipients WHERE account_id = ? AND name = ?"
                       " ORDER BY position",
                       SQL_ARGS(P_INT(account_id), P_STR(name)), out, n);
}

int template_recipients_replace(struct sql_store *sql, unsigned long long account_id,
                                const char *name, char *const *emails, size_t n)
{
    int st = sql_exec(sql, "DELETE FROM template_recipients WHERE account_id = ? AND name = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(name)), NULL);
    for (size_t i = 0; i < n && st == ST_OK; i++)
        st = sql_exec(sql,
                      "INSERT INTO template_recipients (account_id, name, position, email)"
                      " VALUES (?, ?, ?, ?)",
                      SQL_ARGS(P_INT(account_id), P_STR(name), P_INT(i), P_STR(emails[i])), NULL);
    return st;
}
