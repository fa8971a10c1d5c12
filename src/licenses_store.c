#include "licenses_store.h"

#include "billing.h"

#include <stdlib.h>
#include <string.h>

int licenses_store_grant(struct sql_store *sql, unsigned long long account_id,
                         unsigned long long sid, int sign)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT l.feature, SUM(l.quantity * a.quantity) FROM subscription_articles a"
                      " JOIN article_licenses l ON l.article = a.article"
                      " WHERE a.subscription_id = ? GROUP BY l.feature ORDER BY l.feature",
                      SQL_ARGS(P_INT(sid)), &r);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; i < r.nrows && st == ST_OK; i++) {
        const char *feature = sql_cell(&r, i, 0);
        long long q = atoll(sql_cell(&r, i, 1));
        if (sign > 0) {
            char buf[LICENSE_KEY_SIZE];
            const char *key = buf;
            if (license_key_new(buf) < 0) {
                st = ST_ERROR;
                break;
            }
            st = sql_exec(sql,
                          "INSERT INTO licenses (account_id, feature, quantity, license_key)"
                          " VALUES (?, ?, ?, ?)"
                          " ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity)",
                          SQL_ARGS(P_INT(account_id), P_STR(feature), P_INT(q), P_STR(key)), NULL);
        } else {
            st = sql_exec(sql,
                          "UPDATE licenses SET quantity = IF(quantity > ?, quantity - ?, 0)"
                          " WHERE account_id = ? AND feature = ?",
                          SQL_ARGS(P_INT(q), P_INT(q), P_INT(account_id), P_STR(feature)), NULL);
        }
    }
    sql_result_free(&r);
    return st;
}

int licenses_store_list(struct sql_store *sql, unsigned long long account_id, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT feature, quantity, used, license_key FROM licenses"
                      " WHERE account_id = ? ORDER BY feature",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        long long q = atoll(sql_cell(&r, i, 1)), u = atoll(sql_cell(&r, i, 2));
        json_array_append_new(
            items, json_pack("{s:s, s:I, s:I, s:I, s:s}", "feature", sql_cell(&r, i, 0), "quantity",
                             (json_int_t)q, "used", (json_int_t)u, "available",
                             (json_int_t)(q > u ? q - u : 0), "key", sql_cell(&r, i, 3)));
    }
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}

static int read_state(struct sql_store *sql, unsigned long long account_id, const char *feature,
                      long long *quantity, long long *used)
{
    struct sql_result r;
    int st =
        sql_exec(sql, "SELECT quantity, used FROM licenses WHERE account_id = ? AND feature = ?",
                 SQL_ARGS(P_INT(account_id), P_STR(feature)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    *quantity = atoll(sql_cell(&r, 0, 0));
    *used = atoll(sql_cell(&r, 0, 1));
    sql_result_free(&r);
    return ST_OK;
}

static int change(struct sql_store *sql, const char *update, unsigned long long account_id,
                  const char *feature, long long n, long long *quantity, long long *used)
{
    struct sql_result r;
    int st =
        sql_exec(sql, update, SQL_ARGS(P_INT(n), P_INT(account_id), P_STR(feature), P_INT(n)), &r);
    if (st != ST_OK)
        return st;
    int changed = r.affected == 1;
    sql_result_free(&r);
    st = read_state(sql, account_id, feature, quantity, used);
    if (st != ST_OK)
        return st;
    return changed ? ST_OK : ST_CONFLICT;
}

int licenses_store_consume(struct sql_store *sql, unsigned long long account_id,
                           const char *feature, long long n, long long *quantity, long long *used)
{
    return change(sql,
                  "UPDATE licenses SET used = used + ? WHERE account_id = ? AND feature = ?"
                  " AND used + ? <= quantity",
                  account_id, feature, n, quantity, used);
}

int licenses_store_release(struct sql_store *sql, unsigned long long account_id,
                           const char *feature, long long n, long long *quantity, long long *used)
{
    return change(sql,
                  "UPDATE licenses SET used = used - ? WHERE account_id = ? AND feature = ?"
                  " AND used >= ?",
                  account_id, feature, n, quantity, used);
}
