#include "invoices_store.h"

#include "billing.h"

#include <stdio.h>
#include <stdlib.h>

int invoices_store_write(struct sql_store *sql, const struct invoice *inv, unsigned long long *id)
{
    char *lines = json_dumps(inv->lines, JSON_COMPACT);
    struct sql_result r;
    int st = sql_exec(sql,
                      "INSERT INTO invoices (account_id, subscription_id, order_id, reason,"
                      " currency, total_minor, line_items, period_start, period_end)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, CURRENT_TIMESTAMP(6)), ?)",
                      SQL_ARGS(P_INT(inv->account_id),
                               inv->subscription_id ? P_INT(inv->subscription_id) : P_NULL,
                               inv->order_id ? P_INT(inv->order_id) : P_NULL, P_STR(inv->reason),
                               P_STR(inv->currency), P_INT(inv->total_minor), P_STR(lines),
                               P_STR(inv->period_start), P_STR(inv->period_end)),
                      &r);
    free(lines);
    if (st == ST_OK)
        *id = r.insert_id;
    sql_result_free(&r);
    return st;
}

int invoices_store_number(struct sql_store *sql, unsigned long long id,
                          char number[INVOICE_NUMBER_SIZE])
{
    char *year = NULL;
    int st = sql_string(sql, "SELECT YEAR(issued_at) FROM invoices WHERE id = ?",
                        SQL_ARGS(P_INT(id)), &year);
    if (st == ST_OK)
        invoice_number_format(year, id, number);
    free(year);
    return st;
}

#define TIME(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

static const char *const INVOICE_SQL =
    "SELECT id, reason, subscription_id, order_id, currency, total_minor, line_items,"
    " " TIME("period_start") ", " TIME("period_end") ", " TIME(
        "issued_at") ", YEAR(issued_at)"
                     " FROM invoices WHERE (? = 0 OR account_id = ?) AND (? = 0 OR id = ?)"
                     " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?";

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *invoices_json(const struct sql_result *r)
{
    json_t *items = json_array();
    for (size_t i = 0; i < r->nrows; i++) {
        char number[INVOICE_NUMBER_SIZE];
        invoice_number_format(sql_cell(r, i, 10), sql_cell_id(r, i, 0), number);
        json_t *lines = json_loads(sql_cell(r, i, 6), 0, NULL);
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "id", sql_cell(r, i, 0),
                      "number", number, "reason", sql_cell(r, i, 1), "subscription_id",
                      nullable(sql_cell(r, i, 2)), "order_id", nullable(sql_cell(r, i, 3)), "total",
                      money_json(atoll(sql_cell(r, i, 5)), sql_cell(r, i, 4)), "lines",
                      lines ? lines : json_array(), "period_start", nullable(sql_cell(r, i, 7)),
                      "period_end", nullable(sql_cell(r, i, 8)), "issued_at", sql_cell(r, i, 9)));
    }
    return items;
}

int invoices_store_list(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long before, long limit, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql, INVOICE_SQL,
                      SQL_ARGS(P_INT(account_id), P_INT(account_id), P_INT(0), P_INT(0),
                               P_INT(before), P_INT(before), P_INT(limit)),
                      &r);
    if (st != ST_OK)
        return st;
    *out = invoices_json(&r);
    sql_result_free(&r);
    return ST_OK;
}

int invoices_store_get(struct sql_store *sql, unsigned long long id, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(
        sql, INVOICE_SQL,
        SQL_ARGS(P_INT(0), P_INT(0), P_INT(id), P_INT(id), P_INT(0), P_INT(0), P_INT(1)), &r);
    if (st != ST_OK)
        return st;
    json_t *items = invoices_json(&r);
    sql_result_free(&r);
    if (json_array_size(items) == 0) {
        json_decref(items);
        return ST_NOT_FOUND;
    }
    *out = json_incref(json_array_get(items, 0));
    json_decref(items);
    return ST_OK;
}

int quotes_store_create(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long seller_id, const char *uid, const char *currency,
                        long long total_minor, json_t *lines, int valid_days,
                        unsigned long long *id)
{
    char *text = json_dumps(lines, JSON_COMPACT);
    struct sql_result r;
    int st =
        sql_exec(sql,
                 "INSERT INTO quotes (account_id, seller_id, currency, total_minor,"
                 " line_items, requested_by, valid_until)"
                 " VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP(6) + INTERVAL ? DAY)",
                 SQL_ARGS(P_INT(account_id), seller_id ? P_INT(seller_id) : P_NULL, P_STR(currency),
                          P_INT(total_minor), P_STR(text), P_STR(uid), P_INT(valid_days)),
                 &r);
    free(text);
    if (st == ST_OK)
        *id = r.insert_id;
    sql_result_free(&r);
    return st;
}

/* One quote of a result whose first columns are QUOTE_COLUMNS. */
#define QUOTE_COLUMNS                                                                              \
    "q.id, q.status, q.currency, q.total_minor, q.line_items, q.requested_by,"                     \
    " " TIME("q.created_at") ", " TIME("q.valid_until")

static json_t *quote_json(const struct sql_result *r, size_t i)
{
    json_t *lines = json_loads(sql_cell(r, i, 4), 0, NULL);
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s}", "id", sql_cell(r, i, 0), "status",
                     sql_cell(r, i, 1), "total",
                     money_json(atoll(sql_cell(r, i, 3)), sql_cell(r, i, 2)), "lines",
                     lines ? lines : json_array(), "requested_by", sql_cell(r, i, 5), "created_at",
                     sql_cell(r, i, 6), "valid_until", sql_cell(r, i, 7));
}

int quotes_store_list(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                      unsigned long long before, long limit, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT " QUOTE_COLUMNS " FROM quotes q"
                      " WHERE q.account_id = ? AND (? = 0 OR q.id = ?)"
                      " AND (? = 0 OR q.id < ?) ORDER BY q.id DESC LIMIT ?",
                      SQL_ARGS(P_INT(account_id), P_INT(id), P_INT(id), P_INT(before),
                               P_INT(before), P_INT(limit)),
                      &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(items, quote_json(&r, i));
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}

int quotes_store_requests_to(struct sql_store *sql, unsigned long long seller_id,
                             unsigned long long id, unsigned long long before, long limit,
                             json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT " QUOTE_COLUMNS ", q.account_id, a.name FROM quotes q"
                      " JOIN accounts a ON a.id = q.account_id"
                      " WHERE q.seller_id = ? AND (? = 0 OR q.id = ?)"
                      " AND (? = 0 OR q.id < ?) ORDER BY q.id DESC LIMIT ?",
                      SQL_ARGS(P_INT(seller_id), P_INT(id), P_INT(id), P_INT(before), P_INT(before),
                               P_INT(limit)),
                      &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        json_t *item = quote_json(&r, i);
        json_object_set_new(item, "account_id", json_string(sql_cell(&r, i, 8)));
        json_object_set_new(item, "account_name", json_string(sql_cell(&r, i, 9)));
        json_array_append_new(items, item);
    }
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}
