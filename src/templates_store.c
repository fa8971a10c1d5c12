#include "templates_store.h"

#include "sql_store.h"
#include "buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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

json_t *template_recipients_inherited_json(struct sql_store *sql, unsigned long long account_id,
                                           const char *name, int *status)
{
    struct sql_result r;
    *status = sql_exec(sql,
                       "WITH RECURSIVE chain (id, parent_id, kind, status, depth) AS ("
                       " SELECT id, parent_id, kind, status, 0 FROM accounts WHERE id = ?"
                       " UNION ALL"
                       " SELECT a.id, a.parent_id, a.kind, a.status, c.depth + 1 FROM accounts a"
                       " JOIN chain c ON a.id = c.parent_id WHERE c.depth < 32)"
                       " SELECT c.id, r.email FROM chain c"
                       " JOIN template_recipients r ON r.account_id = c.id AND r.name = ?"
                       " WHERE c.depth > 0 AND c.kind IN ('distributor', 'operator')"
                       " AND c.status <> 'closed'"
                       " ORDER BY c.depth, r.position",
                       SQL_ARGS(P_INT(account_id), P_STR(name)), &r);
    if (*status != ST_OK)
        return NULL;
    json_t *out = json_array(), *emails = NULL;
    const char *last = NULL;
    for (size_t i = 0; i < r.nrows; i++) {
        const char *id = sql_cell(&r, i, 0);
        if (!last || strcmp(last, id) != 0) {
            emails = json_array();
            json_array_append_new(out, json_pack("{s:s, s:o}", "account_id", id, "emails", emails));
            last = id;
        }
        json_array_append_new(emails, json_string(sql_cell(&r, i, 1)));
    }
    sql_result_free(&r);
    return out;
}
