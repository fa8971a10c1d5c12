#include "password_resets_store.h"

#include "buf.h"
#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

int password_reset_put(struct sql_store *sql, unsigned long long account_id, const char *uid,
                       const char *token_hash, const char *requested_by, const char *requested_as,
                       const char *mailed_to, const char *password_mark, char **expires_at,
                       int *replaced)
{
    *expires_at = NULL;
    *replaced = 0;
    /* The link a new request replaces is remembered (410, not 404); a
     * row written here is the pending reset's (one per person and
     * account), whose token no earlier request can have superseded. */
    struct sql_result kept = {0};
    int st = sql_exec(sql,
                      "INSERT IGNORE INTO password_reset_superseded_tokens (token_hash, reset_id)"
                      " SELECT token_hash, id FROM password_resets"
                      " WHERE account_id = ? AND pending_key = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(uid)), &kept);
    *replaced = st == ST_OK && kept.affected > 0;
    sql_result_free(&kept);
    if (st != ST_OK)
        return st;
    st = sql_exec(sql,
                  "INSERT INTO password_resets (account_id, uid, token_hash, requested_by,"
                  " requested_as, mailed_to, password_mark, expires_at)"
                  " VALUES (?, ?, UNHEX(?), ?, ?, ?, UNHEX(?),"
                  " CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND)"
                  " ON DUPLICATE KEY UPDATE token_hash = VALUES(token_hash),"
                  " requested_by = VALUES(requested_by), requested_as = VALUES(requested_as),"
                  " mailed_to = VALUES(mailed_to), password_mark = VALUES(password_mark),"
                  " expires_at = VALUES(expires_at), created_at = CURRENT_TIMESTAMP(6)",
                  SQL_ARGS(P_INT(account_id), P_STR(uid), P_STR(token_hash), P_STR(requested_by),
                           P_STR(requested_as), P_STR(mailed_to), P_STR(password_mark),
                           P_INT(PASSWORD_RESET_TTL)),
                  NULL);
    if (st != ST_OK)
        return st;
    struct sql_result r;
    st = sql_exec(sql,
                  "SELECT DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ') FROM password_resets"
                  " WHERE token_hash = UNHEX(?)",
                  SQL_ARGS(P_STR(token_hash)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1)
        *expires_at = xstrdup(sql_cell(&r, 0, 0));
    else
        st = ST_ERROR;
    sql_result_free(&r);
    return st;
}

int password_reset_superseded(struct sql_store *sql, const char *token_hash)
{
    unsigned long long id = 0;
    return sql_id(
        sql, "SELECT reset_id FROM password_reset_superseded_tokens WHERE token_hash = UNHEX(?)",
        SQL_ARGS(P_STR(token_hash)), &id);
}

/* The reset of token_hash, with FOR UPDATE when lock (which locks its
 * account's row too, as an invitation's accept does: a close waits for
 * a claim, and a claim after a close sees it). Its account's status and
 * name come in the same statement (round-22 walkthrough of seed 004,
 * D1). */
#define RESET_SELECT                                                                               \
    "SELECT r.id, r.account_id, r.uid, r.status, r.expires_at > CURRENT_TIMESTAMP(6),"             \
    " r.requested_by, r.requested_as, DATE_FORMAT(r.created_at, '%Y-%m-%dT%H:%i:%sZ'),"            \
    " CURRENT_TIMESTAMP(6), r.mailed_to, LOWER(HEX(r.password_mark)), a.status = 'closed',"        \
    " a.name FROM password_resets r JOIN accounts a ON a.id = r.account_id"                        \
    " WHERE r.token_hash = UNHEX(?)"
static int reset_read(struct sql_store *sql, const char *token_hash, int lock,
                      struct password_reset *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st = sql_exec(sql, lock ? RESET_SELECT " FOR UPDATE" : RESET_SELECT,
                      SQL_ARGS(P_STR(token_hash)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows != 1) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    out->id = sql_cell_id(&r, 0, 0);
    out->account_id = sql_cell_id(&r, 0, 1);
    out->uid = xstrdup(sql_cell(&r, 0, 2));
    out->status = xstrdup(sql_cell(&r, 0, 3));
    out->expired = strcmp(sql_cell(&r, 0, 4), "1") != 0;
    out->requested_by = xstrdup(sql_cell(&r, 0, 5));
    out->requested_as = sql_cell(&r, 0, 6) ? xstrdup(sql_cell(&r, 0, 6)) : NULL;
    out->requested_at = xstrdup(sql_cell(&r, 0, 7));
    out->read_at = xstrdup(sql_cell(&r, 0, 8));
    out->mailed_to = sql_cell(&r, 0, 9) ? xstrdup(sql_cell(&r, 0, 9)) : NULL;
    out->password_mark = sql_cell(&r, 0, 10) ? xstrdup(sql_cell(&r, 0, 10)) : NULL;
    out->account_closed = strcmp(sql_cell(&r, 0, 11), "1") == 0;
    out->account_name = xstrdup(sql_cell(&r, 0, 12));
    sql_result_free(&r);
    return ST_OK;
}

int password_reset_lock(struct sql_store *sql, const char *token_hash, struct password_reset *out)
{
    return reset_read(sql, token_hash, 1, out);
}

int password_reset_find(struct sql_store *sql, const char *token_hash, struct password_reset *out)
{
    return reset_read(sql, token_hash, 0, out);
}

void password_reset_free(struct password_reset *r)
{
    free(r->uid);
    free(r->status);
    free(r->requested_by);
    free(r->requested_as);
    free(r->requested_at);
    free(r->read_at);
    free(r->mailed_to);
    free(r->password_mark);
    free(r->account_name);
    memset(r, 0, sizeof(*r));
}

int password_reset_used(struct sql_store *sql, const struct password_reset *row, char **used_at)
{
    *used_at = NULL;
    if (!row->read_at || strlen(row->read_at) < 19)
        return ST_ERROR;
    int st = sql_exec(sql,
                      "UPDATE password_resets SET status = 'used', used_at = ?"
                      " WHERE id = ? AND status = 'pending'",
                      SQL_ARGS(P_STR(row->read_at), P_INT(row->id)), NULL);
    if (st == ST_OK)
        st = sql_exec(sql,
                      "UPDATE password_resets SET status = 'replaced'"
                      " WHERE uid = ? AND status = 'pending' AND id <> ?",
                      SQL_ARGS(P_STR(row->uid), P_INT(row->id)), NULL);
    /* "YYYY-MM-DD HH:MM:SS.ffffff" as DATE_FORMAT(used_at,
     * '%Y-%m-%dT%H:%i:%sZ') says it. */
    if (st == ST_OK) {
        struct buf b = BUF_INIT;
        buf_add(&b, row->read_at, 10);
        buf_addc(&b, 'T');
        buf_add(&b, row->read_at + 11, 8);
        buf_addc(&b, 'Z');
        *used_at = buf_detach(&b);
    }
    return st;
}

int password_reset_unused(struct sql_store *sql, unsigned long long id)
{
    return sql_exec(sql,
                    "UPDATE password_resets SET status = 'pending', used_at = NULL"
                    " WHERE id = ? AND status = 'used'",
                    SQL_ARGS(P_INT(id)), NULL);
}
