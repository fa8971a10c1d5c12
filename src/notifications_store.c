#include "notifications_store.h"

#include "sql_store.h"

int notifications_page(struct sql_store *sql, unsigned long long account_id,
                       unsigned long long before, long limit, json_t **items, json_t **next)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT id, template, category, recipient, subject, status, attempts,"
                      " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
                      " DATE_FORMAT(sent_at, '%Y-%m-%dT%H:%i:%sZ'), last_error, deferrals"
                      " FROM mail_outbox WHERE account_id = ? AND (? IS NULL OR id < ?)"
                      " ORDER BY id DESC LIMIT ?",
                      SQL_ARGS(P_INT(account_id), before ? P_INT(before) : P_NULL,
                               before ? P_INT(before) : P_NULL, P_INT(limit + 1)),
                      &r);
    if (st != ST_OK)
        return st;
    size_t n = r.nrows > (size_t)limit ? (size_t)limit : r.nrows;
    *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *sent = sql_cell(&r, i, 8), *err = sql_cell(&r, i, 9);
        json_array_append_new(
            *items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o}", "id",
                              sql_cell(&r, i, 0), "template", sql_cell(&r, i, 1), "category",
                              sql_cell(&r, i, 2), "recipient", sql_cell(&r, i, 3), "subject",
                              sql_cell(&r, i, 4), "status", sql_cell(&r, i, 5), "attempts",
                              (json_int_t)sql_cell_id(&r, i, 6), "deferrals",
                              (json_int_t)sql_cell_id(&r, i, 10), "created_at", sql_cell(&r, i, 7),
                              "sent_at", sent ? json_string(sent) : json_null(), "last_error",
                              err ? json_string(err) : json_null()));
    }
    *next = r.nrows > (size_t)limit && n ? json_string(sql_cell(&r, n - 1, 0)) : json_null();
    sql_result_free(&r);
    return ST_OK;
}
