/*
 * licenses: an account's licenses (feature, quantity, used, key), and the
 * atomic consume and release other services call (LineMetrics: a license
 * governs how many assets or data loggers an account may add).
 */
#include "audit.h"
#include "body.h"
#include "handlers.h"
#include "licenses_store.h"
#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

void licenses_list(struct request *req)
{
    size_t offset;
    long limit;
    if (body_none(req) || page_query(req, &offset, &limit) < 0)
        return;
    json_t *items;
    int st = licenses_store_list(req->session->sql, req->account.id, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_items_page(req, items, offset, limit);
}

struct usage {
    struct request *req;
    const char *feature;
    long long n, quantity, used;
    int consume;
};

static int usage_tx(struct sql_store *sql, void *arg)
{
    struct usage *u = arg;
    long long before;
    int st = u->consume ? licenses_store_consume(sql, u->req->account.id, u->feature, u->n,
                                                 &u->quantity, &u->used)
                        : licenses_store_release(sql, u->req->account.id, u->feature, u->n,
                                                 &u->quantity, &u->used);
    if (st != ST_OK)
        return st;
    before = u->consume ? u->used - u->n : u->used + u->n;
    return audit_write(sql, u->req->caller.uid, u->req->account.id,
                       u->consume ? "license.consume" : "license.release",
                       json_pack("{s:s, s:I}", "feature", u->feature, "used", (json_int_t)before),
                       json_pack("{s:s, s:I}", "feature", u->feature, "used", (json_int_t)u->used));
}

static void change_usage(struct request *req, int consume)
{
    static const char *const allowed[] = {"quantity", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    /* A form's quantity given twice is 400, not "must be a whole number"
     * (round-11 walkthrough of seed 002, D2). */
    body_single_values(req, b, NULL);
    struct usage u = {.req = req, .feature = req->args[1], .consume = consume, .n = 1};
    json_t *q = json_object_get(b, "quantity");
    if (q) {
        long long n = -1;
        if (json_is_integer(q))
            n = json_integer_value(q);
        else if (json_is_string(q) && req->body_is_form) {
            char *end;
            const char *s = json_string_value(q);
            n = (s[0] >= '0' && s[0] <= '9') ? strtoll(s, &end, 10) : -1;
            if (n >= 0 && *end)
                n = -1;
        }
        if (n < 1 || n > 1000000)
            res_field_error(req, "quantity", "must be a whole number from 1 to 1000000");
        u.n = n;
    }
    if (body_failed(req))
        return;
    int st = request_transaction(req, usage_tx, &u);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "the account has no license for this feature");
        return;
    }
    if (st == ST_CONFLICT) {
        refuse(req, 409, "conflict",
               consume ? "the license allows %lld, %lld are in use: %lld more would exceed it"
                       : "the license has %lld, %lld are in use: %lld cannot be released",
               u.quantity, u.used, u.n);
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200,
             json_pack("{s:s, s:I, s:I, s:I}", "feature", u.feature, "quantity",
                       (json_int_t)u.quantity, "used", (json_int_t)u.used, "available",
                       (json_int_t)(u.quantity > u.used ? u.quantity - u.used : 0)));
}

void licenses_consume(struct request *req)
{
    change_usage(req, 1);
}

void licenses_release(struct request *req)
{
    change_usage(req, 0);
}
