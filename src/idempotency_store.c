#include "idempotency_store.h"

#include "buf.h"
#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

void idempotency_answer_free(struct idem_answer *a)
{
    free(a->headers);
    free(a->body);
    memset(a, 0, sizeof(*a));
}

static int read_claim(struct sql_store *sql, const char *uid, const char *key, const char *request,
                      const char *fingerprint, int abandon_after, enum idem_claim *claim,
                      struct idem_answer *answer)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT request, fingerprint, status, headers, body,"
                      " created_at < CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND"
                      " FROM request_keys WHERE uid = ? AND idem_key = ?",
                      SQL_ARGS(P_INT(abandon_after), P_STR(uid), P_STR(key)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND; /* released in between: claim again */
    }
    const char *status = sql_cell(&r, 0, 2);
    if (strcmp(sql_cell(&r, 0, 0), request) != 0 || strcmp(sql_cell(&r, 0, 1), fingerprint) != 0) {
        *claim = IDEM_OTHER_REQUEST;
    } else if (!status) {
        const char *old = sql_cell(&r, 0, 5);
        *claim = old && strcmp(old, "1") == 0 ? IDEM_ABANDONED : IDEM_RUNNING;
    } else {
        *claim = IDEM_DONE;
        answer->status = atoi(status);
        answer->headers = xstrdup(sql_cell(&r, 0, 3) ? sql_cell(&r, 0, 3) : "");
        answer->body = xstrdup(sql_cell(&r, 0, 4) ? sql_cell(&r, 0, 4) : "");
    }
    sql_result_free(&r);
    return ST_OK;
}

int idempotency_claim(struct sql_store *sql, const char *uid, const char *key, const char *request,
                      const char *fingerprint, int abandon_after, enum idem_claim *claim,
                      struct idem_answer *answer)
{
    memset(answer, 0, sizeof(*answer));
    /* The unique key decides who runs (never check-then-insert); a key
     * released between the INSERT and the SELECT is claimed once more. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int st =
            sql_exec(sql,
                     "INSERT INTO request_keys (uid, idem_key, request, fingerprint)"
                     " VALUES (?, ?, ?, ?)",
                     SQL_ARGS(P_STR(uid), P_STR(key), P_STR(request), P_STR(fingerprint)), NULL);
        if (st == ST_OK) {
            *claim = IDEM_CLAIMED;
            return ST_OK;
        }
        if (st != ST_DUPLICATE)
            return st;
        st = read_claim(sql, uid, key, request, fingerprint, abandon_after, claim, answer);
        if (st != ST_NOT_FOUND)
            return st;
    }
    *claim = IDEM_RUNNING;
    return ST_OK;
}

int idempotency_finish(struct sql_store *sql, const char *uid, const char *key, int status,
                       const char *headers, const char *body)
{
    return sql_exec(sql,
                    "UPDATE request_keys SET status = ?, headers = ?, body = ?"
                    " WHERE uid = ? AND idem_key = ? AND status IS NULL",
                    SQL_ARGS(P_INT(status), P_STR(headers), P_STR(body), P_STR(uid), P_STR(key)),
                    NULL);
}

int idempotency_release(struct sql_store *sql, const char *uid, const char *key)
{
    return sql_exec(sql,
                    "DELETE FROM request_keys WHERE uid = ? AND idem_key = ? AND status IS NULL",
                    SQL_ARGS(P_STR(uid), P_STR(key)), NULL);
}

int idempotency_expire(struct sql_store *sql, long max_age, unsigned long long *removed)
{
    struct sql_result r = {0};
    int st = sql_exec(
        sql, "DELETE FROM request_keys WHERE created_at < CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
        SQL_ARGS(P_INT(max_age)), &r);
    *removed = st == ST_OK ? r.affected : 0;
    sql_result_free(&r);
    return st;
}
