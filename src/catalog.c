/*
 * catalog: the plans and articles anyone signed in may read, and the
 * pricing of order and quote lines.
 */
#include "catalog.h"

#include "billing.h"
#include "body.h"
#include "buf.h"
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void plans_list(struct request *req)
{
    size_t offset;
    long limit;
    if (body_none(req) || page_query(req, &offset, &limit) < 0)
        return;
    json_t *items;
    int st = catalog_store_plans(req->session->sql, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_items_page(req, items, offset, limit);
}

void articles_list(struct request *req)
{
    size_t offset;
    long limit;
    if (body_none(req) || page_query(req, &offset, &limit) < 0)
        return;
    json_t *items;
    int st = catalog_store_articles(req->session->sql, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_items_page(req, items, offset, limit);
}

/* A quantity: a JSON integer or a form's decimal string, 1..QUANTITY_MAX. */
static long long read_quantity(struct request *req, json_t *v, const char *field)
{
    long long q = -1;
    if (json_is_integer(v)) {
        q = json_integer_value(v);
    } else if (json_is_string(v) && req->body_is_form) {
        const char *s = json_string_value(v);
        char *end = NULL;
        q = (s[0] >= '0' && s[0] <= '9') ? strtoll(s, &end, 10) : -1;
        if (!end || *end)
            q = -1;
    }
    if (q < 1 || q > QUANTITY_MAX) {
        char msg[64];
        snprintf(msg, sizeof(msg), "must be a whole number from 1 to %d", QUANTITY_MAX);
        res_field_error(req, field, msg);
        return 0;
    }
    return q;
}

const char *plan_misfit(const struct catalog_article *a, const char *kind)
{
    if (strcmp(a->plan_audience, "reseller") == 0 && strcmp(kind, "partner") != 0)
        return "is a reseller plan; only a reseller (partner) account can have it";
    if (strcmp(a->plan_audience, "customer") == 0 && strcmp(kind, "customer") != 0)
        return "is a customer plan; only a customer account can have it";
    return NULL;
}

/* A line's article the catalog does not have (round-23 walkthrough of
 * seed 002, D4: a reseller ordered its plan as "standard" or "Standard"
 * and was told only that there is no such article): the 422 names the
 * articles that the text names in any case — by their code or name, or
 * their plan's code or name — and that fit an account of kind, as "did
 * you mean reseller-standard?". One statement more, on this path only. */
static int unknown_article(struct request *req, const char *field, const char *given,
                           const char *kind)
{
    json_t *named = NULL;
    int st = catalog_store_articles_named(req->session->sql, given, &named);
    if (st != ST_OK)
        return st;
    struct buf msg = BUF_INIT;
    buf_printf(&msg, "no such article in the catalog");
    size_t i, fit = 0;
    json_t *a;
    json_array_foreach(named, i, a)
    {
        struct catalog_article probe = {0};
        snprintf(probe.plan_audience, sizeof(probe.plan_audience), "%s",
                 json_string_value(json_object_get(a, "audience")));
        if (plan_misfit(&probe, kind))
            continue;
        buf_printf(&msg, "%s%s", fit++ ? " or " : "; did you mean ",
                   json_string_value(json_object_get(a, "code")));
    }
    if (fit)
        buf_printf(&msg, "?");
    res_field_error(req, field, buf_str(&msg));
    buf_free(&msg);
    json_decref(named);
    return ST_OK;
}

int catalog_read_lines(struct request *req, json_t *body, const char *account_kind,
                       struct priced_lines *out)
{
    static const char *const line_fields[] = {"article", "quantity", NULL};
    memset(out, 0, sizeof(*out));
    json_t *lines = json_object_get(body, "lines");
    /* A form's lines[0][article] arrives as {"0": {...}}: take it in the
     * order of its indices. */
    json_t *list = NULL;
    if (json_is_array(lines)) {
        list = json_incref(lines);
    } else if (json_is_object(lines) && req->body_is_form) {
        list = json_array();
        for (size_t i = 0; i < json_object_size(lines); i++) {
            char k[24];
            snprintf(k, sizeof(k), "%zu", i);
            json_t *item = json_object_get(lines, k);
            if (!item) {
                res_field_error(req, "lines", "form lines must be numbered from 0");
                json_decref(list);
                return ST_OK;
            }
            json_array_append(list, item);
        }
    }
    if (!list || json_array_size(list) == 0 || json_array_size(list) > LINES_MAX) {
        char msg[80];
        snprintf(msg, sizeof(msg), "must be a list of 1 to %d lines of {article, quantity}",
                 LINES_MAX);
        res_field_error(req, "lines", msg);
        json_decref(list);
        return ST_OK;
    }
    size_t n = json_array_size(list);
    out->v = calloc(n, sizeof(*out->v));
    /* The articles of every line the catalog knows, right or not: the
     * rules across lines (each article once, one plan) are checked against
     * them, so that the first answer names those mistakes too, not only
     * after the other mistakes of the lines are fixed (round-11 leftover
     * of seed 004, D2). */
    const char **known = calloc(n, sizeof(*known));
    if (!out->v || !known)
        abort();
    size_t nknown = 0;
    int plan_known = 0;
    int st = ST_OK;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        char prefix[32], f[48];
        snprintf(prefix, sizeof(prefix), "lines[%zu]", i);
        json_t *item = json_array_get(list, i);
        if (!json_is_object(item)) {
            res_field_error(req, prefix, "must be an object {article, quantity}");
            continue;
        }
        body_only(req, item, prefix, line_fields);
        /* lines[0][quantity] given twice in a form: 400 (round-11
         * walkthrough of seed 002, D2). */
        body_single_values(req, item, prefix);
        struct priced_line *l = &out->v[out->n];
        l->article = body_str(req, item, prefix, "article", 1, MAX_CHARS(64));
        snprintf(f, sizeof(f), "%s.quantity", prefix);
        json_t *q = json_object_get(item, "quantity");
        if (!q)
            res_field_error(req, f, "is required");
        else
            l->quantity = read_quantity(req, q, f);
        /* A line's article is checked even when its quantity is wrong, so
         * that one answer names every mistake of the line. */
        if (!l->article)
            continue;
        snprintf(f, sizeof(f), "%s.article", prefix);
        st = catalog_store_article(req->session->sql, l->article, &l->a);
        if (st == ST_NOT_FOUND) {
            st = unknown_article(req, f, l->article, account_kind);
            continue;
        }
        if (st != ST_OK)
            break;
        int again = 0;
        for (size_t j = 0; j < nknown && !again; j++)
            again = strcmp(known[j], l->article) == 0;
        if (again) {
            res_field_error(req, f, "is already on another line");
            continue;
        }
        known[nknown++] = l->article;
        if (l->a.plan[0] && !out->plan_named)
            out->plan_named = i + 1;
        if (l->a.plan[0] && plan_known) {
            res_field_error(req, f, "an order holds at most one plan");
            continue;
        }
        if (l->a.plan[0])
            plan_known = 1;
        if (!l->quantity)
            continue;
        if (out->n == 0)
            snprintf(out->currency, sizeof(out->currency), "%s", l->a.currency);
        else if (strcmp(out->currency, l->a.currency) != 0) {
            res_field_error(req, f, "is priced in another currency than the other lines");
            continue;
        }
        if (l->a.plan[0]) {
            const char *misfit = plan_misfit(&l->a, account_kind);
            if (misfit) {
                res_field_error(req, f, misfit);
                continue;
            }
            /* An account has one plan: only a per_unit plan is sold by the
             * unit (seats); a flat or free one is one line of quantity 1. */
            if (strcmp(l->a.plan_pricing, "per_unit") != 0 && l->quantity != 1) {
                snprintf(f, sizeof(f), "%s.quantity", prefix);
                res_field_error(req, f,
                                "must be 1: this plan has one price per account "
                                "(pricing_model flat or free)");
                continue;
            }
        }
        l->unit_price_minor = l->a.price_minor;
        if (money_mul_add(l->quantity, l->unit_price_minor, 0, &l->amount_minor) < 0 ||
            money_mul_add(1, out->total_minor, l->amount_minor, &out->total_minor) < 0) {
            res_field_error(req, f, "the amount is too large");
            continue;
        }
        out->n++;
        if (l->a.plan[0])
            out->plan_line = l;
    }
    free(known);
    json_decref(list);
    return st;
}

void priced_lines_free(struct priced_lines *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

json_t *priced_lines_json(const struct priced_lines *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:I, s:o, s:o}", "article", l->v[i].article, "name",
                         l->v[i].a.name, "quantity", (json_int_t)l->v[i].quantity, "unit_price",
                         money_json(l->v[i].unit_price_minor, l->currency), "amount",
                         money_json(l->v[i].amount_minor, l->currency)));
    return a;
}

int catalog_plan_field(struct request *req, const char *field, json_t *value, const char *unknown)
{
    const char *given = json_string_value(value);
    if (!given)
        return ST_OK;
    json_t *plans = NULL;
    int st = catalog_store_plans(req->session->sql, &plans);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return st;
    }
    struct buf codes = BUF_INIT;
    const char *exact = NULL, *other_case = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(plans, i, p)
    {
        const char *code = json_string_value(json_object_get(p, "code"));
        if (strcmp(code, given) == 0)
            exact = code;
        else if (!other_case && strcasecmp(code, given) == 0)
            other_case = code;
        buf_printf(&codes, "%s%s", i ? ", " : "", code);
    }
    if (exact || other_case) {
        if (!exact)
            json_string_set(value, other_case);
    } else {
        struct buf msg = BUF_INIT;
        buf_printf(&msg, "%s %s", unknown, buf_str(&codes));
        res_field_error(req, field, buf_str(&msg));
        buf_free(&msg);
    }
    buf_free(&codes);
    json_decref(plans);
    return ST_OK;
}

/* from -> to must be in plan_upgrades ("" from: an account without a plan
 * may take any plan of its kind). */
int plan_change_check(struct sql_store *sql, const char *from, const char *to, int pending,
                      struct problem *ref)
{
    if (!from[0])
        return ST_OK;
    if (strcmp(from, to) == 0)
        return problem_set(ref, 409, "conflict",
                           pending ? "the account already has this plan; it is pending "
                                     "cancellation: withdraw the cancellation (uncancel) instead"
                                   : "the account already has this plan");
    int allowed;
    int st = catalog_store_upgrade_allowed(sql, from, to, &allowed);
    if (st != ST_OK)
        return st;
    if (allowed)
        return ST_OK;
    /* Which plan the account is on and where it can go, as the execute's
     * 409 names the plan (round-24 walkthrough of seed 001, D2: the
     * draft's 409 was only the rule). */
    char *now, *wanted, *upgrades;
    st = catalog_store_change_names(sql, from, to, &now, &wanted, &upgrades);
    if (st != ST_OK)
        return st;
    struct buf detail = BUF_INIT;
    buf_printf(&detail,
               "this plan change is not an upgrade the catalog allows: the account is on %s, and "
               "%s is no upgrade of it (",
               now, wanted);
    if (upgrades[0])
        buf_printf(&detail, "it can change to %s)", upgrades);
    else
        buf_adds(&detail, "no plan is an upgrade of it)");
    st = problem_set(ref, 409, "conflict", buf_str(&detail));
    buf_free(&detail);
    free(now);
    free(wanted);
    free(upgrades);
    return st;
}
