/*
 * invoices: the account's invoices (written by orders and subscriptions),
 * and quotes a customer requests for lines of the catalog (Inflectra).
 */
#include "audit.h"
#include "account_store.h"
#include "billing.h"
#include "billing_notify.h"
#include "buf.h"
#include "body.h"
#include "catalog.h"
#include "handlers.h"
#include "invoices_store.h"
#include "mail_names.h"
#include "sql_store.h"
#include "subscriptions_store.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

#define QUOTE_VALID_DAYS 30

static int invoices_page(struct request *req, unsigned long long before, long limit, json_t **items)
{
    return invoices_store_list(req->session->sql, req->account.id, before, limit, items);
}

void invoices_list(struct request *req)
{
    res_id_page(req, invoices_page);
}

static int quotes_page(struct request *req, unsigned long long before, long limit, json_t **items)
{
    return quotes_store_list(req->session->sql, req->account.id, 0, before, limit, items);
}

void quotes_list(struct request *req)
{
    res_id_page(req, quotes_page);
}

void quotes_get(struct request *req)
{
    if (body_none(req))
        return;
    /* Only a quote of the account in the path: another account's id is
     * as unknown as a missing one. */
    unsigned long long id = parse_id(req->args[1]);
    json_t *items = NULL;
    int st = id ? quotes_store_list(req->session->sql, req->account.id, id, 0, 1, &items) : ST_OK;
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        refuse(req, 404, "not-found", "no such quote");
        return;
    }
    res_json(req, 200, json_incref(json_array_get(items, 0)));
    json_decref(items);
}

struct quoting {
    struct request *req;
    struct priced_lines lines;
    unsigned long long id;
    unsigned long long seller;     /* the parent account: who sells to it (0: none) */
    struct billing_people sellers; /* its contacts or admins (read before) */
};

static void money_text(struct buf *b, long long minor, const char *currency)
{
    char text[48];
    money_format(text, sizeof(text), minor, currency);
    buf_printf(b, "%s", text);
}

/* The quotes requested from the account in the path: it is their seller
 * (the asking account's parent when they were asked for), and its
 * quote-requested mail sends its people here (round-20 walkthrough of
 * seed 001, D3: the mail named the customer's quotes, where a partner's
 * admin who is no member of the customer is refused). Each names the
 * asking account. */
static int quote_requests_page(struct request *req, unsigned long long before, long limit,
                               json_t **items)
{
    return quotes_store_requests_to(req->session->sql, req->account.id, 0, before, limit, items);
}

void quote_requests_list(struct request *req)
{
    res_id_page(req, quote_requests_page);
}

void quote_requests_get(struct request *req)
{
    if (body_none(req))
        return;
    /* Only a quote requested from the account in the path: any other id
     * is as unknown as a missing one. */
    unsigned long long id = parse_id(req->args[1]);
    json_t *items = NULL;
    int st =
        id ? quotes_store_requests_to(req->session->sql, req->account.id, id, 0, 1, &items) : ST_OK;
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        refuse(req, 404, "not-found", "no such quote request");
        return;
    }
    res_json(req, 200, json_incref(json_array_get(items, 0)));
    json_decref(items);
}

/* The seller hears of the request (round-6 walkthrough of seed 004: "request
 * quotes" reached nobody): quote-requested to the parent account's named
 * contacts (else its admins) and its notification recipients. The
 * requester is named as the other mails name who acted (mail_actor_name):
 * a person of the seller asking for its customer (a partner's admin who
 * holds no role in the child) is "Ben Kollege of <the partner>", not "of
 * <the customer>" (round-17 walkthrough of seed 001, D2; migration 071
 * says "asks for a quote for <account>"). The mail holds the whole
 * request, and names where the seller's people read it again: among the
 * quote requests to {{seller_name}} (migration 088; round-20 walkthrough
 * of seed 001, D3). */
static int mail_quote(struct sql_store *sql, struct quoting *q)
{
    if (!q->seller)
        return ST_OK;
    char *account_name = NULL, *requester = NULL, *seller_name = NULL;
    int st = account_names_get2(sql, q->req->account.id, q->seller, &account_name, &seller_name);
    if (st == ST_OK)
        st = mail_actor_name(sql, &q->req->caller, q->req->account.id, &requester);
    if (st != ST_OK) {
        free(account_name);
        free(seller_name);
        return st;
    }
    struct buf lines = BUF_INIT, total = BUF_INIT;
    for (size_t i = 0; i < q->lines.n; i++) {
        const struct priced_line *l = &q->lines.v[i];
        buf_printf(&lines, "%s  %lld x %s: ", i ? "\n" : "", l->quantity, l->a.name);
        money_text(&lines, l->amount_minor, q->lines.currency);
    }
    money_text(&total, q->lines.total_minor, q->lines.currency);
    char account_id[24], quote_id[24], valid_days[16];
    snprintf(account_id, sizeof(account_id), "%llu", q->req->account.id);
    snprintf(quote_id, sizeof(quote_id), "%llu", q->id);
    snprintf(valid_days, sizeof(valid_days), "%d", QUOTE_VALID_DAYS);
    struct request *req = q->req;
    struct template_value vals[] = {
        {"account_name", account_name},
        {"seller_name", seller_name},
        {"account_id", account_id},
        {"quote_id", quote_id},
        {"requested_by", requester},
        {"requested_by_mail", req->caller.mail ? req->caller.mail : ""},
        {"lines", buf_str(&lines)},
        {"total", buf_str(&total)},
        {"valid_days", valid_days},
    };
    st = billing_notify_queue(sql, q->seller, "quote-requested", &q->sellers, vals,
                              sizeof(vals) / sizeof(vals[0]));
    buf_free(&lines);
    buf_free(&total);
    free(requester);
    free(account_name);
    free(seller_name);
    return st;
}

/* A closed seller answers no quote request (round-24 walkthrough of seed
 * 002, D2: a reseller of a closed distributor asked it for a quote, got
 * 201, and the closed distributor's people were mailed that it "sells
 * to" the reseller, whose parent-closed said its back office had ended):
 * 409, nothing written, nobody mailed. */
static int seller_open_check(struct sql_store *sql, struct quoting *q)
{
    if (!q->seller)
        return ST_OK;
    int closed;
    char *seller_name, *account_name = NULL;
    int st = account_closed_get(sql, q->seller, &closed, &seller_name);
    if (st == ST_OK && closed)
        st = account_name_get(sql, q->req->account.id, &account_name);
    if (st == ST_OK && closed)
        st = refuse(q->req, 409, "conflict",
                    "%s, the seller of %s, is closed: nobody there answers a quote request any "
                    "more. The catalog's prices are in GET /api/v1/plans and GET /api/v1/articles; "
                    "order from it yourself (POST /api/v1/accounts/%llu/orders), or ask the "
                    "operator",
                    seller_name, account_name, q->req->account.id);
    free(account_name);
    free(seller_name);
    return st;
}

static int quote_tx(struct sql_store *sql, void *arg)
{
    struct quoting *q = arg;
    int open = seller_open_check(sql, q);
    if (open != ST_OK)
        return open;
    /* A plan the account cannot move to from the one it has (the same
     * plan, a downgrade) could never be ordered: 409, as the order's draft
     * answers (round-3 walkthrough of seed 002). */
    if (q->lines.plan_line) {
        struct billing_account acc;
        struct subscription live;
        int st = subscriptions_store_account(sql, q->req->account.id, &acc);
        int pending = 0;
        if (st == ST_OK) {
            st = subscriptions_store_live_plan(sql, q->req->account.id, &live);
            pending = st == ST_OK && strcmp(live.status, "pending_cancellation") == 0;
            if (st == ST_NOT_FOUND)
                st = ST_OK;
        }
        if (st == ST_OK)
            st = plan_change_check(sql, acc.plan, q->lines.plan_line->a.plan, pending,
                                   &q->req->problem);
        if (st != ST_OK)
            return st;
    }
    json_t *lines = priced_lines_json(&q->lines);
    int st = quotes_store_create(sql, q->req->account.id, q->seller, q->req->caller.uid,
                                 q->lines.currency, q->lines.total_minor, lines, QUOTE_VALID_DAYS,
                                 &q->id);
    if (st == ST_OK)
        st = audit_write(sql, q->req->caller.uid, q->req->account.id, "quote.request", NULL,
                         json_pack("{s:I, s:O, s:o}", "quote_id", (json_int_t)q->id, "lines", lines,
                                   "total", money_json(q->lines.total_minor, q->lines.currency)));
    json_decref(lines);
    if (st == ST_OK)
        st = mail_quote(sql, q);
    return st;
}

void quotes_create(struct request *req)
{
    static const char *const allowed[] = {"lines", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct quoting q = {.req = req};
    int st = catalog_read_lines(req, b, req->account.kind, &q.lines);
    if (st != ST_OK) {
        priced_lines_free(&q.lines);
        res_store_failure(req, st, "the database");
        return;
    }
    if (body_failed(req)) {
        priced_lines_free(&q.lines);
        return;
    }
    /* The seller's people, from the directory before the transaction. */
    q.seller = req->account.parent_id;
    if (q.seller) {
        st = billing_people_read(req, q.seller, &q.sellers);
        if (st != ST_OK) {
            priced_lines_free(&q.lines);
            res_store_failure(req, st, "the directory");
            return;
        }
    }
    st = request_transaction(req, quote_tx, &q);
    priced_lines_free(&q.lines);
    billing_people_free(&q.sellers);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *items;
    st = quotes_store_list(req->session->sql, req->account.id, q.id, 0, 1, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    char loc[96];
    snprintf(loc, sizeof(loc), "/api/v1/accounts/%llu/quotes/%llu", req->account.id, q.id);
    res_header(req, "Location", loc);
    res_json(req, 201, json_incref(json_array_get(items, 0)));
    json_decref(items);
}
