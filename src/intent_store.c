#include "intent_store.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct begin {
    const char *kind, *actor;
    unsigned long long account_id, id;
    int allow_pending;
    enum intent_refusal why;
};

static int begin_tx(struct sql_store *sql, void *arg)
{
    struct begin *b = arg;
    struct sql_result r;
    /* The row lock lasts for this transaction only: a few statements, no
     * LDAP. */
    int st =
        sql_exec(sql, "SELECT status, ldap_state, intent_id FROM accounts WHERE id = ? FOR UPDATE",
                 SQL_ARGS(P_INT(b->account_id)), &r);
    if (st != ST_OK)
        return st;
    b->why = INTENT_OK;
    if (r.nrows != 1 || (!b->allow_pending && strcmp(sql_cell(&r, 0, 1), "done") != 0))
        b->why = INTENT_NO_ACCOUNT;
    else if (strcmp(sql_cell(&r, 0, 0), "closed") == 0)
        b->why = INTENT_CLOSED;
    else if (sql_cell(&r, 0, 2))
        b->why = INTENT_BUSY;
    sql_result_free(&r);
    if (b->why != INTENT_OK)
        return ST_CONFLICT;
    st = sql_exec(sql, "INSERT INTO ldap_intents (account_id, kind, actor) VALUES (?, ?, ?)",
                  SQL_ARGS(P_INT(b->account_id), P_STR(b->kind), P_STR(b->actor)), &r);
    if (st != ST_OK)
        return st;
    b->id = r.insert_id;
    sql_result_free(&r);
    return sql_exec(sql, "UPDATE accounts SET intent_id = ? WHERE id = ?",
                    SQL_ARGS(P_INT(b->id), P_INT(b->account_id)), NULL);
}

int intent_store_begin(struct sql_store *sql, const char *kind, unsigned long long account_id,
                       const char *actor, int allow_pending, unsigned long long *id,
                       enum intent_refusal *why)
{
    struct begin b = {kind, actor, account_id, 0, allow_pending, INTENT_OK};
    int st = sql_transaction(sql, begin_tx, &b);
    *id = b.id;
    *why = st == ST_CONFLICT ? b.why : INTENT_OK;
    return st;
}

int intent_store_insert_tx(struct sql_store *sql, const char *kind, unsigned long long account_id,
                           const char *actor, const char *plan, const char *data,
                           unsigned long long *id)
{
    struct sql_result r;
    int st = sql_exec(
        sql,
        "INSERT INTO ldap_intents (account_id, kind, actor, plan, data)"
        " VALUES (?, ?, ?, ?, ?)",
        SQL_ARGS(P_INT(account_id), P_STR(kind), P_STR(actor), P_STR(plan), P_STR(data)), &r);
    if (st != ST_OK)
        return st;
    *id = r.insert_id;
    sql_result_free(&r);
    return sql_exec(sql, "UPDATE accounts SET intent_id = ? WHERE id = ?",
                    SQL_ARGS(P_INT(*id), P_INT(account_id)), NULL);
}

int intent_store_state(struct sql_store *sql, unsigned long long id, char *buf, size_t size)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT state FROM ldap_intents WHERE id = ?", SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows != 1)
        st = ST_NOT_FOUND;
    else
        snprintf(buf, size, "%s", sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return st;
}

int intent_store_set_plan(struct sql_store *sql, unsigned long long id, const char *plan,
                          const char *data)
{
    struct sql_result r;
    int st =
        sql_exec(sql, "UPDATE ldap_intents SET plan = ?, data = ? WHERE id = ? AND state = 'open'",
                 SQL_ARGS(P_STR(plan), P_STR(data), P_INT(id)), &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_CONFLICT;
    sql_result_free(&r);
    return st;
}

int intent_store_close_tx(struct sql_store *sql, unsigned long long id,
                          unsigned long long account_id, int undone, const char *outcome)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "UPDATE ldap_intents SET state = ?, outcome = ?,"
                      " finished_at = CURRENT_TIMESTAMP(6) WHERE id = ? AND state = 'open'",
                      SQL_ARGS(P_STR(undone ? "undone" : "done"), P_STR(outcome), P_INT(id)), &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_CONFLICT;
    sql_result_free(&r);
    if (st == ST_OK)
        st = sql_exec(sql, "UPDATE accounts SET intent_id = NULL WHERE id = ? AND intent_id = ?",
                      SQL_ARGS(P_INT(account_id), P_INT(id)), NULL);
    return st;
}

struct closing {
    unsigned long long id, account_id;
    int undone;
    const char *outcome;
};

static int close_tx(struct sql_store *sql, void *arg)
{
    struct closing *c = arg;
    return intent_store_close_tx(sql, c->id, c->account_id, c->undone, c->outcome);
}

int intent_store_close(struct sql_store *sql, unsigned long long id, unsigned long long account_id,
                       int undone, const char *outcome)
{
    struct closing c = {id, account_id, undone, outcome};
    return sql_transaction(sql, close_tx, &c);
}

void intent_rows_free(struct intent_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].kind);
        free(rows[i].actor);
        free(rows[i].plan);
        free(rows[i].data);
    }
    free(rows);
}

static char *dup_cell(const struct sql_result *r, size_t row, size_t col)
{
    const char *v = sql_cell(r, row, col);
    return v ? xstrdup(v) : NULL;
}

int intent_store_open(struct sql_store *sql, int min_age, struct intent_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct sql_result r;
    int st =
        sql_exec(sql,
                 "SELECT id, account_id, kind, actor, plan, data FROM ldap_intents"
                 " WHERE state = 'open' AND created_at <= CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND"
                 " ORDER BY id",
                 SQL_ARGS(P_INT(min_age)), &r);
    if (st != ST_OK)
        return st;
    *out = xcalloc(r.nrows + 1, sizeof(struct intent_row));
    for (size_t i = 0; i < r.nrows; i++) {
        struct intent_row *row = &(*out)[i];
        row->id = sql_cell_id(&r, i, 0);
        row->account_id = sql_cell_id(&r, i, 1);
        row->kind = dup_cell(&r, i, 2);
        row->actor = dup_cell(&r, i, 3);
        row->plan = dup_cell(&r, i, 4);
        row->data = dup_cell(&r, i, 5);
    }
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}
