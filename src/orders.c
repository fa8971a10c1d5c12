/*
 * orders: drafts with lines and an optional storefront alias, placed by
 * a distributor parent's admins and billing people (back office) or the account's
 * own (self-service), and by its members when every line is an add-on
 * (round-8 walkthrough of seed 004); executing one creates, in one SQL
 * transaction, the subscription, its licenses, an invoice, the storefront
 * and the welcome mail (interworks "Execute the Order to create a
 * Subscription").
 */
#include "account_store.h"
#include "audit.h"
#include "billing.h"
#include "billing_notify.h"
#include "body.h"
#include "catalog.h"
#include "handlers.h"
#include "invoices_store.h"
#include "licenses_store.h"
#include "mail_names.h"
#include "orders_store.h"
#include "routes.h"
#include "storefronts.h"
#include "storefronts_store.h"
#include "subscriptions_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int order_account_of(struct request *req, unsigned long long *account_id)
{
    unsigned long long id = parse_id(req->args[0]);
    if (!id)
        return ST_NOT_FOUND;
    return orders_store_account_of(req->session->sql, id, account_id);
}

static void respond_order(struct request *req, unsigned long long id, int status)
{
    json_t *items;
    int st = orders_store_list(req->session->sql, 0, id, 0, 1, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        refuse(req, 404, "not-found", "no such order");
        return;
    }
    json_t *order = json_incref(json_array_get(items, 0));
    json_decref(items);
    res_json(req, status, order);
}

/* ---- who orders a plan ---------------------------------------------- */

/* The order routes let the account's members in (routes.c): DESIGN.md's
 * member may "configure add-ons" (Inflectra: additional users "configure
 * certain items such as the cloud subscription add-ons"). An order with a
 * plan changes the account's plan, which stays with those who may change
 * it by upgrade: the roles of POST /subscriptions/{sid}/upgrade in the
 * route table (the account's admins and billing people, its distributor
 * parent's before a hand-over, operators). Everyone else the order routes let in
 * (a member, a member who is also a service provider) orders, executes
 * and discards add-ons only (round-8 walkthrough of seed 004). */
static int may_order_plans(const struct request *req)
{
    return route_allows(req, "POST", "/api/v1/subscriptions/{sid}/upgrade");
}

#define PLAN_IS_ADMINS "a plan is ordered by an administrator or billing person of the account"

/* Inside a transaction, on order o as orders_store_lock read it, for
 * execute or discard (what): ST_REFUSED with 403 when the caller may not
 * order plans and a line of o is a plan, else ST_OK (or a store error).
 * Checked before the order's status, so a member is told the same for a
 * plan's order whatever became of it. */
static int refuse_plan_order(struct request *req, struct sql_store *sql, const struct order *o,
                             const char *what)
{
    if (may_order_plans(req))
        return ST_OK;
    for (size_t i = 0; i < o->nlines; i++) {
        struct catalog_article a;
        int st = catalog_store_article(sql, o->lines[i].article, &a);
        if (st == ST_NOT_FOUND)
            continue; /* no plan the catalog knows (execute says so) */
        if (st != ST_OK)
            return st;
        if (a.plan[0])
            return refuse(
                req, 403, "forbidden",
                "this order holds a plan (%s): members %s orders of add-ons only; " PLAN_IS_ADMINS,
                o->lines[i].name, what);
    }
    return ST_OK;
}

/* ---- while the plan is pending cancellation -------------------------- */

/* 1 if the caller may withdraw a cancellation, as the route table says. */
static int may_uncancel(const struct request *req)
{
    return route_allows(req, "POST", "/api/v1/subscriptions/{sid}/uncancel");
}

/* The name of plan code in name (char[101]), or the code itself when the
 * catalog has no such plan; ST_OK or a store error. */
static int plan_name_or_code(struct sql_store *sql, const char *code, char name[101])
{
    int st = catalog_store_plan_name(sql, code, name);
    if (st == ST_NOT_FOUND) {
        snprintf(name, 101, "%s", code);
        st = ST_OK;
    }
    return st;
}

/* At execute, a plan change the catalog does not allow says which plan
 * the account has now (round-16 walkthrough of seed 002, D3): the draft
 * was checked against the plan the account had then (a refused change is
 * never a draft), so the account's plan changed since, by another order
 * or an upgrade. Otherwise plan_change_check. */
static int execute_plan_change_check(struct request *req, struct sql_store *sql, const char *from,
                                     const char *to, int pending)
{
    int allowed = 1;
    int st = from[0] && strcmp(from, to) != 0
                 ? catalog_store_upgrade_allowed(sql, from, to, &allowed)
                 : ST_OK;
    if (st != ST_OK)
        return st;
    if (allowed)
        return plan_change_check(sql, from, to, pending, &req->problem);
    char now[101], wanted[101];
    st = plan_name_or_code(sql, from, now);
    if (st == ST_OK)
        st = plan_name_or_code(sql, to, wanted);
    if (st != ST_OK)
        return st;
    return refuse(req, 409, "conflict",
                  "this plan change is not an upgrade the catalog allows: the account is on %s "
                  "now (changed since this draft was made), and %s is no upgrade of it; discard "
                  "this draft",
                  now, wanted);
}

/* DESIGN.md: a cancelled subscription is pending_cancellation until its
 * term ends, "service continues meanwhile. At term end it is cancelled";
 * coming back after that means a new subscription (interworks: "create a
 * new subscription from the beginning"), a change of mind before it means
 * withdrawing the cancellation (uncancel). So while the account's plan
 * subscription is pending cancellation an order is refused with 409, when
 * the draft is made and again at execute (the cancel may come between):
 * - add-ons only: they would be a subscription of their own that outlives
 *   the plan, against the cancellation mail, and keeps the account from
 *   being closed (round-13 walkthrough of seed 001, D1);
 * - a plan: it would replace the subscription the cancellation ends, which
 *   POST /subscriptions/{sid}/upgrade refuses ("uncancel it first"), so
 *   both ways of changing the plan answer alike (round-13 walkthrough of
 *   seed 002, D2). The same plan is plan_change_check's "already has this
 *   plan", told to withdraw the cancellation instead; a change the catalog
 *   does not allow keeps its own 409.
 * Inside a transaction that holds the account's lock (a cancel takes it
 * too); account_plan is the account's plan ("" for none), plan the
 * order's ("" for add-ons only). ST_OK, ST_REFUSED or a store error. */
/* A plan change the catalog does not allow from the pending plan (a
 * reseller's Standard to Free): when the plan the account is back on
 * after the end (a reseller's basic; a customer's none) allows it, the
 * 409 says so, with the pending plan, its subscription and its end as the
 * other refusals here name them (round-24 walkthrough of seed 002, D3:
 * the answer was only "not an upgrade the catalog allows"); else the
 * refusal already recorded stands. */
static int after_end_refusal(struct request *req, struct sql_store *sql,
                             const struct subscription *live, const char *name, const char *ends,
                             const char *plan)
{
    const char *after = account_default_plan(req->account.kind);
    if (!after)
        after = "";
    int allowed = 1;
    int st = after[0] ? catalog_store_upgrade_allowed(sql, after, plan, &allowed) : ST_OK;
    if (st != ST_OK)
        return st;
    if (!allowed || strcmp(after, plan) == 0)
        return ST_REFUSED;
    char after_name[101], wanted[101];
    st = after[0] ? plan_name_or_code(sql, after, after_name) : ST_OK;
    if (st == ST_OK)
        st = plan_name_or_code(sql, plan, wanted);
    if (st != ST_OK)
        return st;
    struct buf then = BUF_INIT;
    if (after[0])
        buf_printf(&then, "the account is then back on %s", after_name);
    else
        buf_adds(&then, "the account then has no plan");
    st = refuse(req, 409, "conflict",
                "this plan change is not an upgrade the catalog allows: the account's %s "
                "subscription (subscription %llu) is pending cancellation and ends at %s; %s and "
                "can order %s then. To keep %s instead, withdraw the cancellation (uncancel)",
                name, live->id, ends, buf_str(&then), wanted, name);
    buf_free(&then);
    return st;
}

static int order_plan_check(struct request *req, struct sql_store *sql,
                            unsigned long long account_id, const char *account_plan,
                            const char *plan, int executing)
{
    struct subscription live;
    int st = subscriptions_store_live_plan(sql, account_id, &live);
    if (st != ST_OK && st != ST_NOT_FOUND)
        return st;
    int pending = st == ST_OK && strcmp(live.status, "pending_cancellation") == 0;
    int refused = 0;
    if (plan[0]) {
        st = executing ? execute_plan_change_check(req, sql, account_plan, plan, pending)
                       : plan_change_check(sql, account_plan, plan, pending, &req->problem);
        /* Another plan the catalog does not allow from this one may be
         * one the account can order once the pending plan has ended
         * (round-24 walkthrough of seed 002, D3): said below. */
        refused = st == ST_REFUSED && pending && strcmp(account_plan, plan) != 0;
        if (st != ST_OK && !refused)
            return st;
    }
    if (!pending)
        return ST_OK;
    char name[101], ends[BILLING_TIME_SIZE];
    st = plan_name_or_code(sql, live.plan, name);
    if (st != ST_OK)
        return st;
    billing_time_rfc3339(live.ends_at, ends);
    if (refused)
        return after_end_refusal(req, sql, &live, name, ends, plan);
    if (plan[0])
        return refuse(req, 409, "conflict",
                      "the account's %s subscription (subscription %llu) is pending cancellation "
                      "and ends at %s: uncancel it first, then order the plan change (as an "
                      "upgrade of it is refused); once it has ended, an order starts a new "
                      "subscription",
                      name, live.id, ends);
    return refuse(req, 409, "conflict",
                  "the account's %s subscription (subscription %llu) is pending cancellation and "
                  "ends at %s; add-ons are not ordered for a plan that ends: %s",
                  name, live.id, ends,
                  may_uncancel(req) ? "withdraw the cancellation first (uncancel), then order them"
                                    : "an admin or billing person of the account can withdraw the "
                                      "cancellation first (uncancel)");
}

/* ---- create --------------------------------------------------------- */

struct draft {
    struct request *req;
    const char *alias;
    struct priced_lines lines;
    unsigned long long id;
};

static int draft_tx(struct sql_store *sql, void *arg)
{
    struct draft *d = arg;
    struct problem ignored = {0};
    int st = account_lock(sql, d->req->account.id, &ignored, NULL);
    problem_clear(&ignored);
    if (st != ST_OK)
        return st;
    /* A plan the account cannot move to from its current one (the same
     * plan, a downgrade) could never execute, and nothing is ordered while
     * the plan is pending cancellation: 409 now, as execute would answer
     * (it checks again: the plan may change meanwhile). */
    struct billing_account acc;
    st = subscriptions_store_account(sql, d->req->account.id, &acc);
    if (st == ST_OK)
        st = order_plan_check(d->req, sql, d->req->account.id, acc.plan,
                              d->lines.plan_line ? d->lines.plan_line->a.plan : "", 0);
    if (st != ST_OK)
        return st;
    struct order_line *lines = xcalloc(d->lines.n + 1, sizeof(*lines));
    for (size_t i = 0; i < d->lines.n; i++) {
        snprintf(lines[i].article, sizeof(lines[i].article), "%s", d->lines.v[i].article);
        snprintf(lines[i].name, sizeof(lines[i].name), "%s", d->lines.v[i].a.name);
        lines[i].quantity = d->lines.v[i].quantity;
        lines[i].unit_price_minor = d->lines.v[i].unit_price_minor;
    }
    st = orders_store_create(sql, d->req->account.id, d->req->caller.uid, d->alias,
                             d->lines.currency, d->lines.total_minor, lines, d->lines.n, &d->id);
    free(lines);
    if (st == ST_OK)
        st = audit_write(sql, d->req->caller.uid, d->req->account.id, "order.create", NULL,
                         json_pack("{s:I, s:o, s:s?, s:o}", "order_id", (json_int_t)d->id, "lines",
                                   priced_lines_json(&d->lines), "storefront_alias", d->alias,
                                   "total", money_json(d->lines.total_minor, d->lines.currency)));
    return st;
}

/* The rules of an order's storefront_alias, the same when the draft is
 * made and when execute sets it: only an order for a plan with a
 * storefront takes one (422, recorded as a field error); then who holds
 * it (storefront_alias_holder_check: a shop page name, a taken alias). */
static void alias_fits_order(struct request *req, const char *alias, int plan_needs_storefront)
{
    if (alias && !plan_needs_storefront)
        res_field_error(req, "storefront_alias",
                        "only an order for a plan with a storefront "
                        "(free, standard) takes an alias");
}

void orders_create(struct request *req)
{
    static const char *const allowed[] = {"lines", "storefront_alias", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct draft d = {.req = req};
    d.alias = storefront_alias_field(req, b);
    int st = catalog_read_lines(req, b, req->account.kind, &d.lines);
    if (st != ST_OK) {
        priced_lines_free(&d.lines);
        res_store_failure(req, st, "the database");
        return;
    }
    /* A member's plan: 403 before any field error (as the router's 403
     * comes before a 422), on the line that names it, so a form marks it;
     * nothing is written and an Idempotency-Key is freed. */
    if (d.lines.plan_named && !may_order_plans(req)) {
        char field[32];
        snprintf(field, sizeof(field), "lines[%zu].article", d.lines.plan_named - 1);
        priced_lines_free(&d.lines);
        refuse_field(req, 403, "forbidden", field, "is a plan: members order add-ons only",
                     "members order add-ons only; " PLAN_IS_ADMINS);
        return;
    }
    /* Whether the lines' plan takes an alias is known only when the lines
     * are right: a bad quantity of standard is no reason to call its
     * alias wrong (round-5 walkthrough of seed 002). */
    if (!req->errors || json_object_size(req->errors) == 0)
        alias_fits_order(req, d.alias,
                         d.lines.plan_line && d.lines.plan_line->a.plan_needs_storefront);
    if (body_failed(req)) {
        priced_lines_free(&d.lines);
        return;
    }
    /* A shop page name only as the account's own storefront's; taken by
     * another storefront under the distributor's host (the same URL): say
     * so now (executing checks again). */
    st = storefront_alias_holder_check(req, req->session->sql, req->account.id, d.alias, NULL, 1);
    if (st != ST_OK) {
        priced_lines_free(&d.lines);
        res_store_failure(req, st, "the database");
        return;
    }
    st = request_transaction(req, draft_tx, &d);
    priced_lines_free(&d.lines);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/orders/%llu", d.id);
    res_header(req, "Location", loc);
    respond_order(req, d.id, 201);
}

static int orders_page(struct request *req, unsigned long long before, long limit, json_t **items)
{
    return orders_store_list(req->session->sql, req->account.id, 0, before, limit, items);
}

void orders_list(struct request *req)
{
    res_id_page(req, orders_page);
}

void orders_get(struct request *req)
{
    if (body_none(req))
        return;
    respond_order(req, parse_id(req->args[0]), 200);
}

/* ---- execute -------------------------------------------------------- */

struct execution {
    struct request *req;
    unsigned long long order_id;
    const char *alias; /* the body's storefront_alias, or NULL */
    int alias_empty;   /* the body had storefront_alias "" (a form's empty field) */
    char taken[64];    /* the draft's own alias, refused as taken ("" otherwise) */
    struct billing_people people;
    unsigned long long subscription_id, invoice_id;
};

static int execute_tx(struct sql_store *sql, void *arg)
{
    struct execution *x = arg;
    struct request *req = x->req;
    struct order o;
    char *account_name = NULL, *alias = NULL, *old_alias = NULL;
    json_t *lines = NULL, *storefront = NULL, *kept = NULL;
    x->taken[0] = '\0';
    int st = orders_store_lock(sql, x->order_id, &o);
    if (st != ST_OK)
        return st;
    st = refuse_plan_order(req, sql, &o, "execute");
    if (st != ST_OK)
        goto out;
    if (strcmp(o.status, "draft") != 0) {
        st = refuse(x->req, 409, "conflict", "only a draft order can be executed");
        goto out;
    }
    st = account_lock(sql, o.account_id, &x->req->problem, &account_name);
    if (st != ST_OK)
        goto out;
    struct billing_account acc;
    st = subscriptions_store_account(sql, o.account_id, &acc);
    if (st != ST_OK)
        goto out;
    /* The order's plan, if any, and the subscription's term. */
    struct catalog_article plan_a = {0};
    long long plan_quantity = 0;
    int term = 0;
    lines = json_array();
    for (size_t i = 0; i < o.nlines && st == ST_OK; i++) {
        struct catalog_article a;
        st = catalog_store_article(sql, o.lines[i].article, &a);
        if (st != ST_OK)
            break;
        if (a.plan[0]) {
            plan_a = a;
            plan_quantity = o.lines[i].quantity;
        }
        if (!term || a.plan[0])
            term = a.term_months;
        long long amount = 0;
        money_mul_add(o.lines[i].quantity, o.lines[i].unit_price_minor, 0, &amount);
        /* The invoice bills the order's lines as the draft wrote them:
         * its price and its article's name then (docs/api.md). */
        json_array_append_new(
            lines, json_pack("{s:s, s:s, s:I, s:o, s:o}", "article", o.lines[i].article, "name",
                             o.lines[i].name, "quantity", (json_int_t)o.lines[i].quantity,
                             "unit_price", money_json(o.lines[i].unit_price_minor, o.currency),
                             "amount", money_json(amount, o.currency)));
    }
    if (st != ST_OK)
        goto out;
    if (plan_a.plan[0]) {
        if (plan_misfit(&plan_a, acc.kind)) {
            st = refuse(x->req, 409, "conflict", "the plan does not fit this account");
            goto out;
        }
        st = order_plan_check(req, sql, o.account_id, acc.plan, plan_a.plan, 1);
        if (st != ST_OK)
            goto out;
        /* A draft made before flat plans were refused by the unit. */
        if (strcmp(plan_a.plan_pricing, "per_unit") != 0 && plan_quantity != 1) {
            st = refuse(x->req, 409, "conflict",
                        "this plan has one price per account: discard the order and order "
                        "quantity 1");
            goto out;
        }
    } else {
        /* Add-ons only: not while the plan is pending cancellation. */
        st = order_plan_check(req, sql, o.account_id, acc.plan, "", 1);
        if (st != ST_OK)
            goto out;
    }
    /* The alias sent with execute (interworks: "the Storefront Alias must
     * be specified here before the order is executed"): checked as on the
     * draft, then it is the order's, replacing one the draft had. */
    if (x->alias) {
        alias_fits_order(req, x->alias, plan_a.plan_needs_storefront);
        if (body_failed(req)) {
            st = refuse_invalid(req);
            goto out;
        }
        st = storefront_alias_holder_check(req, sql, o.account_id, x->alias, NULL, 1);
        if (st == ST_OK && strcmp(o.alias, x->alias) != 0) {
            st = orders_store_set_alias(sql, o.id, x->alias);
            if (st == ST_OK)
                st = audit_write(sql, req->caller.uid, o.account_id, "order.alias",
                                 json_pack("{s:I, s:s?}", "order_id", (json_int_t)o.id,
                                           "storefront_alias", o.alias[0] ? o.alias : NULL),
                                 json_pack("{s:I, s:s}", "order_id", (json_int_t)o.id,
                                           "storefront_alias", x->alias));
            snprintf(o.alias, sizeof(o.alias), "%s", x->alias);
        }
        if (st != ST_OK)
            goto out;
    }
    /* An upgrade order replaces the live plan subscription; ended before
     * the storefront is claimed, so it keeps the alias it had (a rename
     * below is the new subscription's). */
    struct subscription old;
    if (plan_a.plan[0]) {
        st = subscriptions_store_live_plan(sql, o.account_id, &old);
        if (st == ST_OK) {
            st = subscriptions_store_end(sql, old.id, NULL, "replaced");
            if (st == ST_OK)
                st = licenses_store_grant(sql, o.account_id, old.id, -1);
            if (st == ST_OK)
                st = audit_write(
                    sql, req->caller.uid, o.account_id, "subscription.replace",
                    json_pack("{s:I, s:s}", "subscription_id", (json_int_t)old.id, "status",
                              old.status),
                    json_pack("{s:s, s:s}", "status", "cancelled", "reason", "replaced"));
        } else if (st == ST_NOT_FOUND) {
            st = ST_OK;
        }
        if (st != ST_OK)
            goto out;
    }
    /* The storefront: the order's alias, or the one the reseller kept. */
    unsigned long long storefront_id = 0;
    int was_cancelled = 0;
    if (plan_a.plan_needs_storefront) {
        unsigned long long distributor;
        st = storefronts_store_distributor(sql, o.account_id, &distributor);
        if (st == ST_NOT_FOUND) {
            st = refuse(x->req, 409, "conflict",
                        "a storefront needs a distributor above the account");
            goto out;
        }
        if (st != ST_OK)
            goto out;
        st = storefronts_store_claim(sql, distributor, o.account_id, o.alias[0] ? o.alias : NULL,
                                     &storefront_id, &alias, &old_alias, &was_cancelled);
        if (st == ST_NOT_FOUND && x->alias_empty) {
            /* A checkout form sent the field empty: the form marks it. */
            res_field_error(req, "storefront_alias", "is required: this plan needs a storefront");
            st = refuse_invalid(req);
        } else if (st == ST_NOT_FOUND)
            st = refuse(x->req, 409, "conflict",
                        "this plan needs a storefront alias: send storefront_alias with "
                        "execute (POST /api/v1/orders/%llu/execute)",
                        o.id);
        else if (st == ST_DUPLICATE && x->alias)
            /* The alias sent, taken since storefront_alias_holder_check (a
             * race). */
            st = refuse_field(x->req, 409, "conflict", "storefront_alias",
                              "is taken; choose another one",
                              "the storefront alias '%s' is taken; choose another one", o.alias);
        else if (st == ST_DUPLICATE) {
            /* The draft's alias, taken since the draft was saved: named,
             * as the other "taken" answers name theirs, and echoed to
             * error_to as values[storefront_alias] (orders_execute), since
             * the request sent none (round-19 walkthrough of seed 002, D3). */
            snprintf(x->taken, sizeof(x->taken), "%s", o.alias);
            st = refuse_field(x->req, 409, "conflict", "storefront_alias",
                              "is taken; choose another one",
                              "the storefront alias '%s' of this draft is taken; choose another "
                              "one",
                              o.alias);
        }
        if (st != ST_OK)
            goto out;
    }
    /* An order that does not touch the storefront (add-ons, a customer
     * plan) names the one the account has, before and after alike (round-6
     * walkthrough of seed 002). */
    if (!plan_a.plan_needs_storefront) {
        unsigned long long kept_id = 0;
        st = storefronts_store_of_account(sql, o.account_id, &kept_id);
        if (st == ST_OK)
            st = storefronts_store_json(sql, req->cfg->storefront_host, kept_id, &kept);
        if (st != ST_OK)
            goto out;
    }
    const char *kept_alias = json_string_value(json_object_get(kept, "alias"));
    const char *kept_status = json_string_value(json_object_get(kept, "status"));
    struct subscription sub;
    st = subscriptions_store_insert(sql, o.account_id, o.id, plan_a.plan[0] ? plan_a.plan : NULL,
                                    storefront_id, term ? term : 1, &sub);
    for (size_t i = 0; i < o.nlines && st == ST_OK; i++)
        st = subscriptions_store_add_article(sql, sub.id, o.lines[i].article, o.lines[i].quantity,
                                             o.lines[i].unit_price_minor);
    if (st == ST_OK)
        st = licenses_store_grant(sql, o.account_id, sub.id, +1);
    struct invoice inv = {.account_id = o.account_id,
                          .subscription_id = sub.id,
                          .order_id = o.id,
                          .reason = "order",
                          .currency = o.currency,
                          .total_minor = o.total_minor,
                          .lines = lines,
                          .period_start = sub.started_at,
                          .period_end = sub.ends_at};
    if (st == ST_OK)
        st = invoices_store_write(sql, &inv, &x->invoice_id);
    if (st == ST_OK && plan_a.plan[0])
        st = subscriptions_store_set_account_plan(sql, o.account_id, plan_a.plan);
    if (st == ST_OK && plan_a.plan[0]) /* the one it replaced, if any, ended above */
        st = subscriptions_store_set_plan_status(sql, o.account_id);
    if (st == ST_OK)
        st = orders_store_finish(sql, o.id, "executed", req->caller.uid, sub.id, x->invoice_id);
    if (st == ST_OK)
        st = storefronts_store_json(sql, req->cfg->storefront_host, storefront_id, &storefront);
    if (st == ST_OK)
        st = audit_write(
            sql, req->caller.uid, o.account_id, "order.execute",
            /* The account's storefront before: its alias (kept or
             * active; null if it had none) and whether it came back. */
            json_pack("{s:I, s:s, s:s?, s:s?, s:s?}", "order_id", (json_int_t)o.id, "status",
                      "draft", "plan", acc.plan[0] ? acc.plan : NULL, "storefront_alias",
                      kept ? kept_alias : old_alias, "storefront_status",
                      kept ? kept_status
                           : (old_alias ? (was_cancelled ? "cancelled" : "active") : NULL)),
            json_pack("{s:I, s:s, s:I, s:I, s:s?, s:s?, s:s?}", "order_id", (json_int_t)o.id,
                      "status", "executed", "subscription_id", (json_int_t)sub.id, "invoice_id",
                      (json_int_t)x->invoice_id,
                      /* an order of add-ons keeps the account's plan
                       * (round-5 walkthrough of seed 002) */
                      "plan", plan_a.plan[0] ? plan_a.plan : (acc.plan[0] ? acc.plan : NULL),
                      "storefront_alias", kept ? kept_alias : alias, "storefront_status",
                      kept ? kept_status : (alias ? "active" : NULL)));
    if (st == ST_OK) {
        const char *url = json_string_value(json_object_get(storefront, "url"));
        /* The plan's name ("Standard Edition"), else the articles' (an
         * order of add-ons is no plan), and every article with its
         * quantity; no storefront: its line is left out of the mail. A
         * plan with a storefront sends storefront-welcome (the seed's
         * "Welcome to Standard Reseller Storefront"), any other order
         * plan-welcome (round-6 walkthrough of seed 002). */
        char *plan_name = NULL, *articles = NULL, invoice[256], number[INVOICE_NUMBER_SIZE];
        st = subscriptions_store_mail_names(sql, sub.id, &plan_name, &articles);
        if (st == ST_OK)
            st = invoices_store_number(sql, x->invoice_id, number);
        if (st == ST_OK)
            invoice_mail_note(invoice, sizeof(invoice), number, o.total_minor, o.currency);
        /* With the organization they act for when they are no person of
         * the account: the distributor's back office (round-14
         * walkthrough of seed 002, D2; mail_names.h). */
        char *actor = NULL;
        if (st == ST_OK)
            st = mail_actor_name(sql, &req->caller, o.account_id, &actor);
        const char *acted_by = actor ? actor : "";
        /* The executor's own copy says it to them: "Ordered by you."
         * (round-26 walkthroughs of seed 001, D1 and seed 002, D3), as
         * account-closed's "You closed …"; other readers' copies name
         * them. */
        struct billing_acted acted;
        billing_acted_init(&acted, req->caller.mail, acted_by, "Ordered");
        /* The order's storefront_alias moved the storefront the reseller
         * had: the old URL no longer leads to it (round-15 walkthrough of
         * seed 002, D5). */
        struct buf moved = BUF_INIT;
        const char *moved_note = billing_moved_note(&moved, url, old_alias, alias);
        struct template_value vals[] = {
            {"account_name", account_name},
            {"plan", plan_name},
            {"articles", articles},
            {"storefront_url", url ? url : TEMPLATE_OMIT_LINE},
            {"acted_by", acted_by},
            {"invoice", invoice},
            {"acted", buf_str(&acted.line)},
            {"moved_note", moved_note},
            {"cancellation_note", TEMPLATE_OMIT_LINE},
        };
        if (st == ST_OK)
            st = billing_notify_queue_readers(sql, o.account_id,
                                              url ? "storefront-welcome" : "plan-welcome",
                                              &x->people, vals, sizeof(vals) / sizeof(vals[0]),
                                              acted.own, sizeof(acted.own) / sizeof(acted.own[0]));
        buf_free(&moved);
        billing_acted_free(&acted);
        free(actor);
        free(plan_name);
        free(articles);
    }
    x->subscription_id = sub.id;
out:
    json_decref(lines);
    json_decref(storefront);
    json_decref(kept);
    free(alias);
    free(old_alias);
    free(account_name);
    order_free(&o);
    return st;
}

void orders_execute(struct request *req)
{
    static const char *const allowed[] = {"storefront_alias", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct execution x = {.req = req, .order_id = parse_id(req->args[0])};
    x.alias = storefront_alias_field(req, b);
    json_t *given = b ? json_object_get(b, "storefront_alias") : NULL;
    x.alias_empty = json_is_string(given) && json_string_length(given) == 0;
    if (body_failed(req))
        return;
    int st = billing_people_read(req, req->account.id, &x.people);
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    /* Who executed it gets the welcome too (round-17 walkthrough of seed
     * 004, D1). */
    billing_people_add_actor(req, req->account.id, &x.people);
    st = request_transaction(req, execute_tx, &x);
    billing_people_free(&x.people);
    /* A form's error_to shows the alias that was refused (web_error_url
     * echoes the body's fields). */
    if (x.taken[0] && request_refused(req))
        json_object_set_new(b, "storefront_alias", json_string(x.taken));
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such order");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *orders = NULL, *subs = NULL, *invoice = NULL;
    st = orders_store_list(req->session->sql, 0, x.order_id, 0, 1, &orders);
    if (st == ST_OK)
        st = subscriptions_store_list(req->session->sql, req->cfg->storefront_host, 0,
                                      x.subscription_id, 0, 1, &subs);
    if (st == ST_OK)
        st = invoices_store_get(req->session->sql, x.invoice_id, &invoice);
    if (st != ST_OK) {
        json_decref(orders);
        json_decref(subs);
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200,
             json_pack("{s:O, s:O, s:o}", "order", json_array_get(orders, 0), "subscription",
                       json_array_get(subs, 0), "invoice", invoice));
    json_decref(orders);
    json_decref(subs);
}

/* ---- discard -------------------------------------------------------- */

struct discarding {
    struct request *req;
    unsigned long long order_id;
};

static int discard_tx(struct sql_store *sql, void *arg)
{
    struct discarding *d = arg;
    struct order o;
    int st = orders_store_lock(sql, d->order_id, &o);
    if (st != ST_OK)
        return st;
    st = refuse_plan_order(d->req, sql, &o, "discard");
    if (st == ST_OK && strcmp(o.status, "draft") != 0)
        st = refuse(d->req, 409, "conflict", "only a draft order can be discarded");
    if (st == ST_OK)
        st = orders_store_finish(sql, o.id, "discarded", d->req->caller.uid, 0, 0);
    if (st == ST_OK)
        st = audit_write(
            sql, d->req->caller.uid, o.account_id, "order.discard",
            json_pack("{s:I, s:s}", "order_id", (json_int_t)o.id, "status", "draft"),
            json_pack("{s:I, s:s}", "order_id", (json_int_t)o.id, "status", "discarded"));
    order_free(&o);
    return st;
}

void orders_discard(struct request *req)
{
    if (body_none(req))
        return;
    struct discarding d = {.req = req, .order_id = parse_id(req->args[0])};
    int st = request_transaction(req, discard_tx, &d);
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "no such order");
    else if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        respond_order(req, d.order_id, 200);
}
