#include "orders_store.h"

#include "billing.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void order_free(struct order *o)
{
    free(o->lines);
    memset(o, 0, sizeof(*o));
}

int orders_store_create(struct sql_store *sql, unsigned long long account_id, const char *uid,
                        const char *alias, const char *currency, long long total_minor,
                        const struct order_line *lines, size_t nlines, unsigned long long *id)
{
    struct sql_result r;
    int st = sql_exec(
        sql,
        "INSERT INTO orders (account_id, storefront_alias, currency, total_minor,"
        " created_by) VALUES (?, ?, ?, ?, ?)",
        SQL_ARGS(P_INT(account_id), P_STR(alias), P_STR(currency), P_INT(total_minor), P_STR(uid)),
        &r);
    if (st != ST_OK)
        return st;
    *id = r.insert_id;
    sql_result_free(&r);
    for (size_t i = 0; i < nlines && st == ST_OK; i++)
        st = sql_exec(sql,
                      "INSERT INTO order_lines (order_id, line_no, article, name, quantity,"
                      " unit_price_minor) VALUES (?, ?, ?, ?, ?, ?)",
                      SQL_ARGS(P_INT(*id), P_INT(i), P_STR(lines[i].article), P_STR(lines[i].name),
                               P_INT(lines[i].quantity), P_INT(lines[i].unit_price_minor)),
                      NULL);
    return st;
}

int orders_store_account_of(struct sql_store *sql, unsigned long long id,
                            unsigned long long *account_id)
{
    return sql_id(sql, "SELECT account_id FROM orders WHERE id = ?", SQL_ARGS(P_INT(id)),
                  account_id);
}

int orders_store_lock(struct sql_store *sql, unsigned long long id, struct order *o)
{
    memset(o, 0, sizeof(*o));
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT id, account_id, status, storefront_alias, currency, total_minor"
                      " FROM orders WHERE id = ? FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    o->id = sql_cell_id(&r, 0, 0);
    o->account_id = sql_cell_id(&r, 0, 1);
    snprintf(o->status, sizeof(o->status), "%s", sql_cell(&r, 0, 2));
    const char *alias = sql_cell(&r, 0, 3);
    snprintf(o->alias, sizeof(o->alias), "%s", alias ? alias : "");
    snprintf(o->currency, sizeof(o->currency), "%s", sql_cell(&r, 0, 4));
    o->total_minor = atoll(sql_cell(&r, 0, 5));
    sql_result_free(&r);
    st = sql_exec(sql,
                  "SELECT article, quantity, unit_price_minor, name FROM order_lines"
                  " WHERE order_id = ? ORDER BY line_no",
                  SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    o->nlines = r.nrows;
    o->lines = xcalloc(r.nrows + 1, sizeof(*o->lines));
    for (size_t i = 0; i < r.nrows; i++) {
        snprintf(o->lines[i].article, sizeof(o->lines[i].article), "%s", sql_cell(&r, i, 0));
        o->lines[i].quantity = atoll(sql_cell(&r, i, 1));
        o->lines[i].unit_price_minor = atoll(sql_cell(&r, i, 2));
        snprintf(o->lines[i].name, sizeof(o->lines[i].name), "%s", sql_cell(&r, i, 3));
    }
    sql_result_free(&r);
    return ST_OK;
}

int orders_store_discard_drafts(struct sql_store *sql, unsigned long long account_id,
                                const char *uid, unsigned long long **ids, size_t *n)
{
    int st = sql_ids(sql,
                     "SELECT id FROM orders WHERE account_id = ? AND status = 'draft'"
                     " ORDER BY id FOR UPDATE",
                     SQL_ARGS(P_INT(account_id)), ids, n);
    if (st == ST_OK && *n)
        st = sql_exec(sql,
                      "UPDATE orders SET status = 'discarded', discarded_by = ?,"
                      " discarded_at = CURRENT_TIMESTAMP(6)"
                      " WHERE account_id = ? AND status = 'draft'",
                      SQL_ARGS(P_STR(uid), P_INT(account_id)), NULL);
    return st;
}

int orders_store_finish(struct sql_store *sql, unsigned long long id, const char *status,
                        const char *uid, unsigned long long subscription_id,
                        unsigned long long invoice_id)
{
    struct sql_result r;
    int discard = strcmp(status, "discarded") == 0;
    int st = sql_exec(sql,
                      discard ? "UPDATE orders SET status = ?, discarded_by = ?,"
                                " discarded_at = CURRENT_TIMESTAMP(6), subscription_id = ?,"
                                " invoice_id = ? WHERE id = ? AND status = 'draft'"
                              : "UPDATE orders SET status = ?, executed_by = ?,"
                                " executed_at = CURRENT_TIMESTAMP(6), subscription_id = ?,"
                                " invoice_id = ? WHERE id = ? AND status = 'draft'",
                      SQL_ARGS(P_STR(status), P_STR(uid),
                               subscription_id ? P_INT(subscription_id) : P_NULL,
                               invoice_id ? P_INT(invoice_id) : P_NULL, P_INT(id)),
                      &r);
    if (st != ST_OK)
        return st;
    st = r.affected == 1 ? ST_OK : ST_CONFLICT;
    sql_result_free(&r);
    return st;
}

int orders_store_set_alias(struct sql_store *sql, unsigned long long id, const char *alias)
{
    struct sql_result r;
    int st =
        sql_exec(sql, "UPDATE orders SET storefront_alias = ? WHERE id = ? AND status = 'draft'",
                 SQL_ARGS(P_STR(alias), P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    st = r.affected == 1 ? ST_OK : ST_CONFLICT;
    sql_result_free(&r);
    return st;
}

#define T(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

int orders_store_list(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                      unsigned long long before, long limit, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(
        sql,
        "SELECT o.id, o.account_id, o.status, o.storefront_alias, o.currency, o.total_minor,"
        " o.created_by, " T("o.created_at") ", " T(
            "o.executed_at") ","
                             " o.subscription_id, o.invoice_id,"
                             " " T(
                                 "o.discarded_at") ","
                                                   " (SELECT JSON_ARRAYAGG(JSON_OBJECT('article', "
                                                   "l.article, 'name', l.name, 'quantity', "
                                                   "l.quantity,"
                                                   "   'unit_price_minor', l.unit_price_minor) "
                                                   "ORDER BY l.line_no) FROM "
                                                   "order_lines l"
                                                   "   WHERE l.order_id = o.id)"
                                                   " FROM orders o WHERE (? = 0 OR o.account_id = "
                                                   "?) AND (? = 0 OR o.id "
                                                   "= ?)"
                                                   " AND (? = 0 OR o.id < ?) ORDER BY o.id DESC "
                                                   "LIMIT ?",
        SQL_ARGS(P_INT(account_id), P_INT(account_id), P_INT(id), P_INT(id), P_INT(before),
                 P_INT(before), P_INT(limit)),
        &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        const char *currency = sql_cell(&r, i, 4);
        json_t *raw = sql_cell(&r, i, 12) ? json_loads(sql_cell(&r, i, 12), 0, NULL) : NULL;
        json_t *lines = json_array();
        size_t k;
        json_t *l;
        json_array_foreach(raw, k, l)
        {
            json_int_t q = json_integer_value(json_object_get(l, "quantity"));
            json_int_t p = json_integer_value(json_object_get(l, "unit_price_minor"));
            long long amount = 0;
            money_mul_add(q, p, 0, &amount);
            json_array_append_new(lines, json_pack("{s:O, s:O, s:I, s:o, s:o}", "article",
                                                   json_object_get(l, "article"), "name",
                                                   json_object_get(l, "name"), "quantity", q,
                                                   "unit_price", money_json(p, currency), "amount",
                                                   money_json(amount, currency)));
        }
        json_decref(raw);
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "id",
                      sql_cell(&r, i, 0), "account_id", sql_cell(&r, i, 1), "status",
                      sql_cell(&r, i, 2), "storefront_alias", nullable(sql_cell(&r, i, 3)), "lines",
                      lines, "total", money_json(atoll(sql_cell(&r, i, 5)), currency), "created_by",
                      sql_cell(&r, i, 6), "created_at", sql_cell(&r, i, 7), "executed_at",
                      nullable(sql_cell(&r, i, 8)), "subscription_id", nullable(sql_cell(&r, i, 9)),
                      "invoice_id", nullable(sql_cell(&r, i, 10)), "discarded_at",
                      nullable(sql_cell(&r, i, 11))));
    }
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}
