#include "projects_store.h"

#include "buf.h"

#include <stdlib.h>

/* A project with its account's name: a project-only person (an end
 * customer's) sees whose project it is, though not the account itself
 * (round-3 walkthrough of seed 003); and its account's status, from the
 * same join (round-23 walkthrough of seed 003, D2: a closed account's
 * projects looked live, on /me too, which reads them in this one
 * statement). */
#define PROJECT_COLUMNS                                                                            \
    "p.id, p.account_id, p.name, DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%sZ'), a.name,"         \
    " a.status"
#define PROJECT_FROM " FROM projects p JOIN accounts a ON a.id = p.account_id"

static json_t *project_json(const struct sql_result *r, size_t row)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", sql_cell(r, row, 0), "account_id",
                     sql_cell(r, row, 1), "account_name", sql_cell(r, row, 4), "account_status",
                     sql_cell(r, row, 5), "name", sql_cell(r, row, 2), "created_at",
                     sql_cell(r, row, 3));
}

int project_insert(struct sql_store *sql, unsigned long long account_id, const char *name,
                   const char *created_by, unsigned long long *id)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "INSERT INTO projects (account_id, name, created_by, ldap_state)"
                      " VALUES (?, ?, ?, 'pending')",
                      SQL_ARGS(P_INT(account_id), P_STR(name), P_STR(created_by)), &r);
    if (st == ST_OK) {
        *id = r.insert_id;
        sql_result_free(&r);
    }
    return st;
}

int project_done(struct sql_store *sql, unsigned long long id)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "UPDATE projects SET ldap_state = 'done' WHERE id = ? AND ldap_state = "
                      "'pending'",
                      SQL_ARGS(P_INT(id)), &r);
    if (st == ST_OK) {
        if (r.affected != 1)
            st = ST_CONFLICT;
        sql_result_free(&r);
    }
    return st;
}

int project_delete_pending(struct sql_store *sql, unsigned long long id)
{
    return sql_exec(sql, "DELETE FROM projects WHERE id = ? AND ldap_state = 'pending'",
                    SQL_ARGS(P_INT(id)), NULL);
}

int projects_half_created(struct sql_store *sql, int min_age, struct sql_result *out)
{
    return sql_exec(sql,
                    "SELECT id, account_id FROM projects WHERE ldap_state = 'pending'"
                    " AND created_at <= CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND ORDER BY id",
                    SQL_ARGS(P_INT(min_age)), out);
}

int project_account(struct sql_store *sql, unsigned long long id, unsigned long long *account_id)
{
    return sql_id(sql, "SELECT account_id FROM projects WHERE id = ? AND ldap_state = 'done'",
                  SQL_ARGS(P_INT(id)), account_id);
}

int project_read(struct sql_store *sql, unsigned long long id, json_t **out)
{
    return sql_row_json(
        sql, "SELECT " PROJECT_COLUMNS PROJECT_FROM " WHERE p.id = ? AND p.ldap_state = 'done'",
        SQL_ARGS(P_INT(id)), project_json, out);
}

int projects_by_ids(struct sql_store *sql, const unsigned long long *ids, size_t n, json_t **found)
{
    *found = NULL;
    char *text = sql_ids_json(ids, n);
    struct sql_result r;
    /* The ids as a JSON array joined as a table: one primary-key lookup
     * each, one round trip for all (the /me of a person in many projects). */
    int st = sql_exec(sql,
                      "SELECT SQL_CACHE " PROJECT_COLUMNS
                      " FROM JSON_TABLE(?, '$[*]' COLUMNS (pid BIGINT UNSIGNED PATH '$')) j"
                      " JOIN projects p ON p.id = j.pid JOIN accounts a ON a.id = p.account_id"
                      " WHERE p.ldap_state = 'done'",
                      SQL_ARGS(P_STR(text)), &r);
    free(text);
    if (st != ST_OK)
        return st;
    *found = json_object();
    for (size_t i = 0; i < r.nrows; i++)
        json_object_set_new(*found, sql_cell(&r, i, 0), project_json(&r, i));
    sql_result_free(&r);
    return ST_OK;
}

int projects_page(struct sql_store *sql, unsigned long long account_id, unsigned long long after,
                  long limit, const unsigned long long *ids, size_t n, int only_ids, json_t **items)
{
    if (!only_ids)
        return sql_rows_json(sql,
                             "SELECT " PROJECT_COLUMNS PROJECT_FROM
                             " WHERE p.account_id = ? AND p.ldap_state = 'done' AND p.id > ?"
                             " ORDER BY p.id LIMIT ?",
                             SQL_ARGS(P_INT(account_id), P_INT(after), P_INT(limit)), project_json,
                             items);
    char *text = sql_ids_json(ids, n);
    int st = sql_rows_json(sql,
                           "SELECT " PROJECT_COLUMNS PROJECT_FROM
                           " WHERE p.account_id = ? AND p.ldap_state = 'done' AND p.id > ?"
                           " AND p.id IN (SELECT pid FROM JSON_TABLE(?, '$[*]' COLUMNS"
                           " (pid BIGINT UNSIGNED PATH '$')) j)"
                           " ORDER BY p.id LIMIT ?",
                           SQL_ARGS(P_INT(account_id), P_INT(after), P_STR(text), P_INT(limit)),
                           project_json, items);
    free(text);
    return st;
}

int projects_names(struct sql_store *sql, unsigned long long account_id, struct sql_result *out)
{
    return sql_exec(sql, "SELECT id, name FROM projects WHERE account_id = ? ORDER BY id",
                    SQL_ARGS(P_INT(account_id)), out);
}

/* Locks (done) project id of account_id: its name in *name (malloc'ed),
 * or ST_NOT_FOUND. */
static int lock_name(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                     char **name)
{
    *name = NULL;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT name FROM projects WHERE id = ? AND account_id = ?"
                      " AND ldap_state = 'done' FOR UPDATE",
                      SQL_ARGS(P_INT(id), P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1)
        *name = xstrdup(sql_cell(&r, 0, 0));
    else
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

int project_rename(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                   const char *name, char **old)
{
    int st = lock_name(sql, account_id, id, old);
    if (st != ST_OK)
        return st;
    return sql_exec(sql, "UPDATE projects SET name = ? WHERE id = ?",
                    SQL_ARGS(P_STR(name), P_INT(id)), NULL);
}

int project_remove(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                   unsigned long long **ids, size_t *n, char **name)
{
    *ids = NULL;
    *n = 0;
    int st = lock_name(sql, account_id, id, name);
    if (st != ST_OK)
        return st;
    st = sql_ids(sql,
                 "SELECT id FROM invitations WHERE account_id = ? AND project_id = ?"
                 " AND status = 'pending' ORDER BY id FOR UPDATE",
                 SQL_ARGS(P_INT(account_id), P_INT(id)), ids, n);
    for (size_t i = 0; st == ST_OK && i < *n; i++)
        st = sql_exec(
            sql, "UPDATE invitations SET status = 'revoked' WHERE id = ? AND status = 'pending'",
            SQL_ARGS(P_INT((*ids)[i])), NULL);
    if (st == ST_OK)
        st = sql_exec(sql, "DELETE FROM projects WHERE id = ?", SQL_ARGS(P_INT(id)), NULL);
    return st;
}
