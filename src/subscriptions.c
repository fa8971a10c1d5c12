/*
 * subscriptions: list, upgrade (free -> standard and what plan_upgrades
 * allows), cancel (pending_cancellation until the term ends), uncancel
 * (before it takes effect), renew (one more term and its invoice), and the
 * maintenance job that ends cancellations at term end (interworks).
 */
#include "subscriptions.h"

#include "account_store.h"
#include "audit.h"
#include "billing.h"
#include "billing_notify.h"
#include "buf.h"
#include "body.h"
#include "catalog.h"
#include "handlers.h"
#include "invoices_store.h"
#include "ldap_store.h"
#include "licenses_store.h"
#include "mail_names.h"
#include "routes.h"
#include "sql_store.h"
#include "storefronts.h"
#include "storefronts_store.h"
#include "subscriptions_store.h"
#include "template.h"
#include "validate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int subscription_account_of(struct request *req, unsigned long long *account_id)
{
    unsigned long long sid = parse_id(req->args[0]);
    if (!sid)
        return ST_NOT_FOUND;
    return subscriptions_store_account_of(req->session->sql, sid, account_id);
}

/* 200 with subscription sid; extra (stolen, may be NULL) merged in. */
static void respond_subscription(struct request *req, unsigned long long sid, json_t *extra)
{
    json_t *items;
    int st = subscriptions_store_list(req->session->sql, req->cfg->storefront_host, 0, sid, 0, 1,
                                      &items);
    if (st != ST_OK) {
        json_decref(extra);
        res_store_failure(req, st, "the database");
        return;
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        json_decref(extra);
        refuse(req, 404, "not-found", "no such subscription");
        return;
    }
    json_t *s = json_incref(json_array_get(items, 0));
    json_decref(items);
    if (extra) {
        json_object_update(s, extra);
        json_decref(extra);
    }
    res_json(req, 200, s);
}

static int subscriptions_page(struct request *req, unsigned long long before, long limit,
                              json_t **items)
{
    return subscriptions_store_list(req->session->sql, req->cfg->storefront_host, req->account.id,
                                    0, before, limit, items);
}

void subscriptions_list(struct request *req)
{
    res_id_page(req, subscriptions_page);
}

void subscriptions_get(struct request *req)
{
    if (body_none(req))
        return;
    respond_subscription(req, parse_id(req->args[0]), NULL);
}

/* ---- the state changes ---------------------------------------------- */

enum change { CHANGE_UPGRADE, CHANGE_CANCEL, CHANGE_UNCANCEL, CHANGE_RENEW };

struct sub_change {
    struct request *req;
    enum change what;
    unsigned long long sid;
    const char *plan, *alias; /* upgrade */
    struct billing_people people;
    unsigned long long invoice_id;
    long long invoice_total; /* in the currency below */
    char invoice_currency[4];
    /* Who acted, as the mails name them: with the organization they act
     * for when they are no person of the account (mail_names.h; round-14
     * walkthrough of seed 002, D2). Set in change_tx. */
    char *actor;
};

/* {{invoice}} of the change's mail: the invoice it wrote (*note), else
 * the line is left out (a renewal with nothing to bill, an uncancel). */
static int invoice_note(struct sql_store *sql, const struct sub_change *c, char *out, size_t size,
                        const char **note)
{
    *note = TEMPLATE_OMIT_LINE;
    if (!c->invoice_id)
        return ST_OK;
    char number[INVOICE_NUMBER_SIZE];
    int st = invoices_store_number(sql, c->invoice_id, number);
    if (st != ST_OK)
        return st;
    invoice_mail_note(out, size, number, c->invoice_total, c->invoice_currency);
    *note = out;
    return ST_OK;
}

static int upgrade(struct sql_store *sql, struct sub_change *c, struct subscription *s,
                   const char *account_name)
{
    struct request *req = c->req;
    if (!s->plan[0])
        return refuse(c->req, 409, "conflict", "this subscription has no plan");
    char old_code[65], new_code[65];
    struct catalog_article old_a, new_a;
    struct billing_account acc;
    /* A plan of the other audience is refused as an order of it is, 422
     * on the plan with plan_misfit's reason, before the catalog's upgrade
     * path is asked (round-22 walkthrough of seed 002, D2: a reseller's
     * upgrade to a customer plan was 409 "not an upgrade the catalog
     * allows"). */
    int st = catalog_store_plan_article(sql, c->plan, new_code, &new_a);
    if (st != ST_OK && st != ST_NOT_FOUND)
        return st;
    int found = st == ST_OK;
    if (found) {
        st = subscriptions_store_account(sql, s->account_id, &acc);
        if (st != ST_OK)
            return st;
        const char *misfit = plan_misfit(&new_a, acc.kind);
        if (misfit) {
            res_field_error(c->req, "plan", misfit);
            return refuse_invalid(c->req);
        }
    }
    st = plan_change_check(sql, s->plan, c->plan, 0, &c->req->problem); /* s is active */
    if (st != ST_OK)
        return st;
    /* Not before plan_change_check: a plan without an article (basic) is
     * its 409 "not an upgrade the catalog allows", as before round 22. */
    if (!found)
        return refuse(c->req, 409, "conflict", "the catalog cannot sell this plan");
    st = catalog_store_plan_article(sql, s->plan, old_code, &old_a);
    if (st == ST_NOT_FOUND)
        return refuse(c->req, 409, "conflict", "the catalog cannot sell this plan");
    if (st != ST_OK)
        return st;
    if (strcmp(old_a.currency, new_a.currency) != 0)
        return refuse(c->req, 409, "conflict", "the plans are priced in two currencies");
    /* The seats carry over: a per_unit plan keeps the line's quantity, a
     * flat or free one is one per account (round-3 walkthrough of seed
     * 001). */
    struct sub_line line;
    st = subscriptions_store_line(sql, s->id, old_code, &line);
    if (st == ST_NOT_FOUND)
        return refuse(c->req, 409, "conflict", "the subscription has no article of its plan");
    if (st != ST_OK)
        return st;
    long long old_q = line.quantity;
    /* The credit is what the old plan was paid, not today's catalog price
     * (review of round 27); the catalog's for a line without it. */
    long long old_price = line.unit_price_minor > 0 ? line.unit_price_minor : old_a.price_minor;
    long long new_q = strcmp(new_a.plan_pricing, "per_unit") == 0 ? old_q : 1;
    /* The old plan's terms paid ahead (renewed early) get the new plan
     * too (round-5 walkthrough of seed 001: five early renewals, then an
     * upgrade, billed one month of the difference for six): k old terms
     * from the start of the term now runs in to the line's paid_until.
     * The new plan counts from that start for the new terms that cover
     * them, less what the k old terms were paid (billing_upgrade; round-27
     * walkthrough of seed 001, D1: monthly professional renewed once, then
     * yearly enterprise, billed the yearly difference twice). */
    int months_left = 0;
    st = subscriptions_store_months_left(sql, s->id, line.paid_months, &months_left);
    if (st != ST_OK)
        return st;
    int old_term = old_a.term_months > 0 ? old_a.term_months : 1;
    int new_term = new_a.term_months > 0 ? new_a.term_months : 1;
    long long old_total, new_total;
    struct upgrade_bill bill;
    int billed = -1;
    if (money_mul_add(old_q, old_price, 0, &old_total) == 0 &&
        money_mul_add(new_q, new_a.price_minor, 0, &new_total) == 0)
        billed = billing_upgrade(old_term, new_term, (months_left + old_term - 1) / old_term,
                                 line.paid_months, old_total, new_total, &bill);
    /* The credit would buy more than ten years of the new plan (review of
     * round 27): refused before anything is written. */
    if (billed == UPGRADE_TOO_LONG) {
        char price[48], ends[BILLING_TIME_SIZE];
        money_format(price, sizeof(price), old_total, old_a.currency);
        billing_time_rfc3339(line.paid_until, ends);
        return refuse(c->req, 409, "conflict",
                      "the %s months paid ahead (%lld \u00d7 %s) would pay for more than ten years "
                      "of %s: change plans when the paid term ends (%s), or ask the operator",
                      old_a.plan_name[0] ? old_a.plan_name : s->plan, bill.old_terms, price,
                      new_a.plan_name[0] ? new_a.plan_name : c->plan, ends);
    }
    if (billed != 0) {
        res_field_error(c->req, "plan", "the amount is too large");
        return refuse_invalid(c->req);
    }
    int paid_months = bill.paid_months;
    long long amount = bill.amount;
    unsigned long long storefront_id = s->storefront_id;
    char *alias = NULL, *old_alias = NULL;
    int was_cancelled = 0;
    /* The alias the subscription's storefront has before (the audit row's
     * old value, also when it is kept). */
    if (storefront_id) {
        json_t *before;
        st = storefronts_store_json(sql, req->cfg->storefront_host, storefront_id, &before);
        if (st != ST_OK)
            return st;
        const char *a = json_string_value(json_object_get(before, "alias"));
        old_alias = a ? xstrdup(a) : NULL;
        json_decref(before);
    }
    /* A shop page name only as the account's own storefront's: kept
     * through an upgrade (review of round 26); the one it has now is
     * old_alias. Taken by another: the claim below says so. */
    st = storefront_alias_holder_check(req, sql, s->account_id, c->alias, old_alias, 0);
    if (st != ST_OK) {
        free(old_alias);
        return st;
    }
    if (new_a.plan_needs_storefront && (c->alias || !storefront_id)) {
        unsigned long long distributor;
        char *claimed_old = NULL;
        st = storefronts_store_distributor(sql, s->account_id, &distributor);
        if (st == ST_NOT_FOUND)
            st = refuse(c->req, 409, "conflict",
                        "a storefront needs a distributor above the account");
        if (st == ST_OK)
            st = storefronts_store_claim(sql, distributor, s->account_id, c->alias, &storefront_id,
                                         &alias, &claimed_old, &was_cancelled);
        if (st == ST_NOT_FOUND)
            st = refuse(c->req, 409, "conflict",
                        "this plan needs a storefront alias: send storefront_alias");
        else if (st == ST_DUPLICATE)
            /* Named, as the draft's and execute's answers name it (round-19
             * walkthrough of seed 002, D3); only a sent alias is claimed
             * anew, so c->alias is the one taken. */
            st = refuse_field(
                c->req, 409, "conflict", "storefront_alias", "is taken; choose another one",
                "the storefront alias '%s' is taken; choose another one", c->alias ? c->alias : "");
        if (st != ST_OK) {
            free(old_alias);
            return st;
        }
        if (claimed_old) {
            free(old_alias);
            old_alias = claimed_old;
        }
    }
    free(alias);
    char paid_until[32] = "";
    st = licenses_store_grant(sql, s->account_id, s->id, -1);
    if (st == ST_OK)
        st = subscriptions_store_change_plan(sql, s->id, old_code, new_code, c->plan, new_q,
                                             new_a.price_minor, paid_months, storefront_id,
                                             paid_until);
    if (st == ST_OK)
        st = licenses_store_grant(sql, s->account_id, s->id, +1);
    if (st == ST_OK)
        st = subscriptions_store_set_account_plan(sql, s->account_id, c->plan);
    /* The invoice's lines. The same term on both plans (each old term
     * paid ahead is one new term): one line of the difference, seat by
     * seat, for each term, as before. Else the new plan line for its n
     * terms and a credit line for the old plan's k terms paid ahead, its
     * unit_price and amount negative (round-27 walkthrough of seed 001,
     * D1). */
    json_t *lines;
    if (old_term == new_term && bill.new_terms == bill.old_terms) {
        long long diff = amount / bill.old_terms;
        /* Per seat when it divides evenly (the same seats on both plans). */
        long long line_q = diff % new_q == 0 ? new_q : 1;
        lines = json_pack("[{s:s, s:s, s:I, s:o, s:I, s:o}]", "article", new_code, "name",
                          new_a.name, "quantity", (json_int_t)line_q, "unit_price",
                          money_json(diff / line_q, new_a.currency), "terms",
                          (json_int_t)bill.old_terms, "amount", money_json(amount, new_a.currency));
    } else
        lines = json_pack(
            "[{s:s, s:s, s:I, s:o, s:I, s:o}, {s:s, s:s, s:I, s:o, s:I, s:o}]", "article", new_code,
            "name", new_a.name, "quantity", (json_int_t)new_q, "unit_price",
            money_json(new_a.price_minor, new_a.currency), "terms", (json_int_t)bill.new_terms,
            "amount", money_json(bill.new_amount, new_a.currency), "article", old_code, "name",
            old_a.name, "quantity", (json_int_t)old_q, "unit_price",
            money_json(-old_price, old_a.currency), "terms", (json_int_t)bill.old_terms, "amount",
            money_json(-bill.credit, old_a.currency));
    /* For the period from now to the new plan line's paid_until: the
     * start of the old line's current term plus the n new terms
     * (bill.paid_months); with the same term on both plans, the old
     * line's paid_until. The subscription's ends_at only when that was
     * not read. */
    struct invoice inv = {.account_id = s->account_id,
                          .subscription_id = s->id,
                          .reason = "upgrade",
                          .currency = new_a.currency,
                          .total_minor = amount,
                          .lines = lines,
                          .period_start = NULL, /* from now: the upgrade's time */
                          .period_end = paid_until[0] ? paid_until : s->ends_at};
    if (st == ST_OK)
        st = invoices_store_write(sql, &inv, &c->invoice_id);
    c->invoice_total = amount;
    snprintf(c->invoice_currency, sizeof(c->invoice_currency), "%s", new_a.currency);
    json_decref(lines);
    json_t *storefront = NULL;
    if (st == ST_OK)
        st = storefronts_store_json(sql, req->cfg->storefront_host, storefront_id, &storefront);
    if (st == ST_OK)
        st = audit_write(
            sql, req->caller.uid, s->account_id, "subscription.upgrade",
            json_pack("{s:I, s:s, s:s?, s:s?}", "subscription_id", (json_int_t)s->id, "plan",
                      s->plan, "storefront_alias", old_alias, "storefront_status",
                      old_alias ? (was_cancelled ? "cancelled" : "active") : NULL),
            json_pack("{s:I, s:s, s:I, s:s?, s:s?}", "subscription_id", (json_int_t)s->id, "plan",
                      c->plan, "invoice_id", (json_int_t)c->invoice_id, "storefront_alias",
                      json_string_value(json_object_get(storefront, "alias")), "storefront_status",
                      json_string_value(json_object_get(storefront, "status"))));
    if (st == ST_OK) {
        const char *url = json_string_value(json_object_get(storefront, "url"));
        char *plan_name = NULL, *articles = NULL, invoice[256];
        const char *note = NULL;
        st = subscriptions_store_mail_names(sql, s->id, &plan_name, &articles);
        if (st == ST_OK)
            st = invoice_note(sql, c, invoice, sizeof(invoice), &note);
        /* No order was placed: the welcome says what the upgrade was
         * (round-11 leftover of seed 001, O6: it said "Ordered by"). */
        const char *acted_by = c->actor;
        const char *old_plan = old_a.plan_name[0] ? old_a.plan_name : s->plan;
        /* The upgrader's own copy: "Upgraded from … by you." (round-26
         * walkthroughs of seed 001, D1 and seed 002, D3). */
        struct billing_acted acted;
        billing_acted_init(&acted, req->caller.mail, acted_by, "Upgraded from %s", old_plan);
        /* A new storefront_alias moved the storefront: the old URL no
         * longer leads to it (round-15 walkthrough of seed 002, D5). */
        struct buf moved = BUF_INIT;
        const char *moved_note = billing_moved_note(
            &moved, url, old_alias, json_string_value(json_object_get(storefront, "alias")));
        struct template_value vals[] = {
            {"account_name", account_name},
            {"plan", new_a.plan_name},
            {"articles", articles},
            {"storefront_url", url ? url : TEMPLATE_OMIT_LINE},
            {"acted_by", acted_by},
            {"invoice", note},
            {"acted", buf_str(&acted.line)},
            {"moved_note", moved_note},
            {"cancellation_note", TEMPLATE_OMIT_LINE},
        };
        if (st == ST_OK)
            st = billing_notify_queue_readers(sql, s->account_id,
                                              url ? "storefront-welcome" : "plan-welcome",
                                              &c->people, vals, sizeof(vals) / sizeof(vals[0]),
                                              acted.own, sizeof(acted.own) / sizeof(acted.own[0]));
        buf_free(&moved);
        billing_acted_free(&acted);
        free(plan_name);
        free(articles);
    }
    json_decref(storefront);
    free(old_alias);
    return st;
}

static int renew(struct sql_store *sql, struct sub_change *c, struct subscription *s)
{
    char old_end[32];
    int st = subscriptions_store_extend(sql, s, old_end);
    /* Each line on its own term: billed only when its paid months end
     * before the new end (round-3 walkthrough of seed 001). */
    json_t *lines = NULL;
    long long total = 0;
    char currency[4];
    if (st == ST_OK)
        st = subscriptions_store_renewal_lines(sql, s->id, &lines, &total, currency);
    struct invoice inv = {.account_id = s->account_id,
                          .subscription_id = s->id,
                          .reason = "renewal",
                          .currency = currency,
                          .total_minor = total,
                          .lines = lines,
                          .period_start = old_end,
                          .period_end = s->ends_at};
    if (st == ST_OK && json_array_size(lines)) {
        st = invoices_store_write(sql, &inv, &c->invoice_id);
        c->invoice_total = total;
        snprintf(c->invoice_currency, sizeof(c->invoice_currency), "%s", currency);
    }
    json_decref(lines);
    /* RFC 3339 in the audit row, as every time the API shows. */
    char old_ends[BILLING_TIME_SIZE], new_ends[BILLING_TIME_SIZE];
    billing_time_rfc3339(old_end, old_ends);
    billing_time_rfc3339(s->ends_at, new_ends);
    json_t *invoice_id = c->invoice_id ? json_integer((json_int_t)c->invoice_id) : json_null();
    if (st == ST_OK)
        st = audit_write(
            sql, c->req->caller.uid, s->account_id, "subscription.renew",
            json_pack("{s:I, s:s}", "subscription_id", (json_int_t)s->id, "ends_at", old_ends),
            json_pack("{s:I, s:s, s:O}", "subscription_id", (json_int_t)s->id, "ends_at", new_ends,
                      "invoice_id", invoice_id));
    json_decref(invoice_id);
    return st;
}

/* What the mails call the subscription (malloc'ed): the plan's catalog
 * name ("Standard Edition"), its code when the catalog has none; without a
 * plan its articles' names, never "(none)" (round-3 walkthrough of seed
 * 001). */
static int plan_display_name(struct sql_store *sql, const struct subscription *s, char **name)
{
    char *articles = NULL;
    int st = subscriptions_store_mail_names(sql, s->id, name, &articles);
    free(articles);
    return st;
}

/* A renewal or a withdrawn cancellation: the named contacts and the
 * recipients are told (Inflectra: transactional mail on "a change in a
 * subscription"), and who made it (billing_people_add_actor). */
static int mail_change(struct sql_store *sql, struct sub_change *c, const struct subscription *s,
                       const char *account_name, const char *change)
{
    char *plan_name = NULL, ends[BILLING_TIME_SIZE], invoice[256];
    const char *note = NULL;
    int st = plan_display_name(sql, s, &plan_name);
    if (st == ST_OK)
        st = invoice_note(sql, c, invoice, sizeof(invoice), &note);
    billing_time_rfc3339(s->ends_at, ends);
    struct template_value vals[] = {
        {"account_name", account_name}, {"plan", plan_name}, {"change", change}, {"ends_at", ends},
        {"acted_by", c->actor},         {"invoice", note}};
    /* Whoever made the change reads "Changed by you." in their own copy
     * (round-26 walkthroughs of seed 001, D1 and seed 002, D3). */
    struct reader_value own[] = {{c->req->caller.mail, "acted_by", "you"}};
    if (st == ST_OK)
        st = billing_notify_queue_readers(sql, s->account_id, "subscription-changed", &c->people,
                                          vals, 6, own, 1);
    free(plan_name);
    return st;
}

/* 1 if the caller may uncancel the subscription, as the route table says
 * (routes.h: route_allows). Renew is open to every person of the account,
 * so its "uncancel it first" must not send a member to a 403 (round-6
 * walkthrough of seed 004, D6). */
static int may_uncancel(const struct request *req)
{
    return route_allows(req, "POST", "/api/v1/subscriptions/{sid}/uncancel");
}

/* What the hint of refuse_replaced says about the account's live plan
 * subscription live, for the change c: "(Standard Edition, active):
 * cancel that one" when that change would be accepted there, else what
 * live is without a verb ("(Standard Edition), which is already pending
 * cancellation until …"; "…, which is already on Standard Edition, the
 * highest plan") (round-18 walkthrough of seed 002, D2: it sent people to
 * cancel a subscription already pending cancellation, and to upgrade one
 * on the top plan). Appended to out. Inside change_tx's transaction. */
static int live_plan_hint(struct sql_store *sql, struct sub_change *c,
                          const struct subscription *live, struct buf *out)
{
    char name[101], ends[BILLING_TIME_SIZE];
    int st = catalog_store_plan_name(sql, live->plan, name);
    if (st == ST_NOT_FOUND)
        snprintf(name, sizeof(name), "%s", live->plan);
    else if (st != ST_OK)
        return st;
    billing_time_rfc3339(live->ends_at, ends);
    int pending = strcmp(live->status, "pending_cancellation") == 0;
    buf_printf(out, "; the account's plan runs on subscription %llu now", live->id);
    switch (c->what) {
    case CHANGE_CANCEL:
        if (pending)
            buf_printf(out, " (%s), which is already pending cancellation until %s", name, ends);
        else
            buf_printf(out, " (%s, active): cancel that one", name);
        return ST_OK;
    case CHANGE_RENEW:
        if (!pending)
            buf_printf(out, " (%s, active): renew that one", name);
        else if (may_uncancel(c->req))
            buf_printf(out,
                       " (%s), which is pending cancellation until %s: withdraw the "
                       "cancellation (uncancel), then renew that one",
                       name, ends);
        else
            buf_printf(out,
                       " (%s), which is pending cancellation until %s; an admin or billing "
                       "person of the account can withdraw the cancellation (uncancel)",
                       name, ends);
        return ST_OK;
    case CHANGE_UPGRADE:
        break;
    default:
        buf_printf(out, " (%s)", name);
        return ST_OK;
    }
    int upgrades = 0, allowed = 0;
    st = catalog_store_upgrades_from(sql, live->plan, &upgrades);
    if (st == ST_OK && c->plan && strcmp(c->plan, live->plan) != 0)
        st = catalog_store_upgrade_allowed(sql, live->plan, c->plan, &allowed);
    if (st != ST_OK)
        return st;
    if (upgrades == 0)
        buf_printf(out, ", which is already on %s, the highest plan", name);
    else if (c->plan && strcmp(c->plan, live->plan) == 0)
        buf_printf(out, ", which already has this plan (%s)", name);
    else if (!allowed)
        buf_printf(out, " (%s), from which this plan change is not an upgrade the catalog allows",
                   name);
    else if (pending)
        buf_printf(out,
                   " (%s), which is pending cancellation until %s: withdraw the cancellation "
                   "(uncancel), then upgrade that one",
                   name, ends);
    else
        buf_printf(out, " (%s, active): upgrade that one", name);
    return ST_OK;
}

/* The refusal of a change of subscription s, which an order of another
 * plan replaced (ended_reason "replaced"): it was never cancelled, and
 * "order anew" would have the account buy the plan it runs on again
 * (round-13 walkthrough of seed 002, D4; uncancel says so since round
 * 12). why says what follows for this change ("there is nothing to
 * cancel"); the account's live plan subscription, when it has one now, is
 * named, with the change to make there when it would be accepted
 * (live_plan_hint). Inside change_tx's transaction. */
static int refuse_replaced(struct sql_store *sql, struct sub_change *c,
                           const struct subscription *s, const char *why)
{
    struct subscription live;
    struct buf hint = BUF_INIT;
    int st = subscriptions_store_live_plan(sql, s->account_id, &live);
    if (st == ST_OK && live.id > s->id)
        st = live_plan_hint(sql, c, &live, &hint);
    else if (st == ST_NOT_FOUND)
        st = ST_OK; /* no live plan subscription: the sentence ends with why */
    if (st == ST_OK)
        st = refuse(c->req, 409, "conflict",
                    "this subscription was replaced by an order of another plan and ended then: "
                    "%s%s",
                    why, buf_str(&hint));
    buf_free(&hint);
    return st;
}

static int change_tx(struct sql_store *sql, void *arg)
{
    struct sub_change *c = arg;
    struct subscription s;
    int st = subscriptions_store_lock(sql, c->sid, &s);
    if (st != ST_OK)
        return st;
    char *account_name = NULL;
    st = account_lock(sql, s.account_id, &c->req->problem, &account_name);
    free(c->actor);
    c->actor = NULL;
    if (st == ST_OK)
        st = mail_actor_name(sql, &c->req->caller, s.account_id, &c->actor);
    if (st != ST_OK) {
        free(account_name);
        return st;
    }
    int active = strcmp(s.status, "active") == 0;
    int pending = strcmp(s.status, "pending_cancellation") == 0;
    int replaced = strcmp(s.ended_reason, "replaced") == 0;
    switch (c->what) {
    case CHANGE_UPGRADE:
        if (replaced)
            st = refuse_replaced(sql, c, &s, "it is not upgraded");
        else if (!active)
            st = refuse(c->req, 409, "conflict",
                        pending ? "a subscription pending cancellation cannot be upgraded; "
                                  "uncancel it first"
                                : "a cancelled subscription cannot be upgraded");
        else
            st = upgrade(sql, c, &s, account_name);
        break;
    case CHANGE_RENEW:
        if (replaced)
            st = refuse_replaced(sql, c, &s, "it is not renewed");
        else if (pending && !may_uncancel(c->req))
            st = refuse(c->req, 409, "conflict",
                        "a subscription pending cancellation is not renewed; an admin or billing "
                        "person of the account can withdraw the cancellation first (uncancel)");
        else if (!active)
            st = refuse(c->req, 409, "conflict",
                        pending ? "a subscription pending cancellation is not renewed; "
                                  "uncancel it first"
                                : "a cancelled subscription cannot be renewed; order anew");
        else
            st = renew(sql, c, &s);
        if (st == ST_OK)
            st = mail_change(sql, c, &s, account_name, "was renewed");
        break;
    case CHANGE_CANCEL:
        st = subscriptions_store_set_status(sql, s.id, "active", "pending_cancellation");
        if (st == ST_OK && s.plan[0])
            st = subscriptions_store_set_plan_status(sql, s.account_id);
        if (st == ST_CONFLICT && replaced)
            st = refuse_replaced(sql, c, &s, "there is nothing to cancel");
        else if (st == ST_CONFLICT)
            st = refuse(c->req, 409, "conflict",
                        pending ? "the subscription is already pending cancellation"
                                : "the subscription is already cancelled");
        /* RFC 3339, as every time the API shows (the row has SQL's form). */
        char ends[BILLING_TIME_SIZE];
        billing_time_rfc3339(s.ends_at, ends);
        if (st == ST_OK)
            st = audit_write(
                sql, c->req->caller.uid, s.account_id, "subscription.cancel",
                json_pack("{s:I, s:s}", "subscription_id", (json_int_t)s.id, "status", s.status),
                json_pack("{s:I, s:s, s:s}", "subscription_id", (json_int_t)s.id, "status",
                          "pending_cancellation", "ends_at", ends));
        char *plan_name = NULL;
        if (st == ST_OK)
            st = plan_display_name(sql, &s, &plan_name);
        /* Who cancelled, what follows the end, and how to undo it
         * (round-6 walkthroughs of seeds 002 and 004). */
        struct billing_account acc;
        if (st == ST_OK)
            st = subscriptions_store_account(sql, s.account_id, &acc);
        if (st == ST_OK) {
            struct buf after = BUF_INIT;
            if (s.plan[0] && strcmp(acc.kind, "partner") == 0)
                buf_printf(&after, "Then %s returns to the Basic plan%s.", account_name,
                           s.storefront_id ? " and its storefront URL stops working" : "");
            else if (s.plan[0])
                buf_printf(&after, "Then %s has no plan.", account_name);
            /* Lines paid ahead end with it, unrefunded (round-12
             * walkthrough of seed 001, D5: the mail was silent on them). */
            char *ahead = NULL;
            st = subscriptions_store_paid_beyond(sql, s.id, &ahead);
            if (st == ST_OK && *ahead)
                buf_printf(&after,
                           "%sIts add-ons paid beyond that date end with it too: %s. They are "
                           "not refunded automatically; ask your provider about them.",
                           after.len ? " " : "", ahead);
            free(ahead);
            /* A reseller plan with a storefront (round-17 walkthrough of
             * seed 002, D3): its customers' sign-in ends with it too
             * ({{storefront_url}}), and its alias and storefront settings
             * are kept for the retention period, coming back with the
             * next plan order ({{retention_period}}; a line left out when
             * nothing is kept). Both lines left out for any other plan. */
            json_t *storefront = NULL;
            if (st == ST_OK && s.plan[0] && s.storefront_id && strcmp(acc.kind, "partner") == 0)
                st = storefronts_store_json(sql, c->req->cfg->storefront_host, s.storefront_id,
                                            &storefront);
            const char *url = json_string_value(json_object_get(storefront, "url"));
            int days = c->req->cfg->storefront_retention_days;
            char kept[32];
            snprintf(kept, sizeof(kept), "%d day%s", days, days == 1 ? "" : "s");
            char sid[24];
            snprintf(sid, sizeof(sid), "%llu", s.id);
            struct template_value vals[] = {
                {"account_name", account_name},
                {"plan", plan_name},
                {"ends_at", ends},
                {"cancelled_by", c->actor},
                {"subscription_id", sid},
                {"after_end", after.len ? buf_str(&after) : TEMPLATE_OMIT_LINE},
                {"storefront_url", url ? url : TEMPLATE_OMIT_LINE},
                {"retention_period", url && days > 0 ? kept : TEMPLATE_OMIT_LINE},
            };
            /* The canceller's own copy: "You cancelled …" (round-26
             * walkthroughs of seed 001, D1 and seed 002, D3). */
            struct reader_value own[] = {{c->req->caller.mail, "cancelled_by", "You"}};
            if (st == ST_OK)
                st = billing_notify_queue_readers(sql, s.account_id, "subscription-cancelled",
                                                  &c->people, vals, sizeof(vals) / sizeof(vals[0]),
                                                  own, 1);
            json_decref(storefront);
            buf_free(&after);
        }
        free(plan_name);
        break;
    case CHANGE_UNCANCEL:
        st = subscriptions_store_set_status(sql, s.id, "pending_cancellation", "active");
        if (st == ST_OK && s.plan[0])
            st = subscriptions_store_set_plan_status(sql, s.account_id);
        if (st == ST_CONFLICT)
            /* One an order replaced was never cancelled (round-12
             * walkthrough of seed 002, D4). */
            st = refuse(c->req, 409, "conflict",
                        active ? "the subscription is not pending cancellation"
                        : strcmp(s.ended_reason, "replaced") == 0
                            ? "this subscription was replaced by an order of another plan; "
                              "there is no cancellation to withdraw"
                            : "the cancellation has taken effect; order a new "
                              "subscription");
        if (st == ST_OK)
            st = audit_write(
                sql, c->req->caller.uid, s.account_id, "subscription.uncancel",
                json_pack("{s:I, s:s}", "subscription_id", (json_int_t)s.id, "status", s.status),
                json_pack("{s:I, s:s}", "subscription_id", (json_int_t)s.id, "status", "active"));
        if (st == ST_OK)
            st = mail_change(sql, c, &s, account_name, "continues: its cancellation was withdrawn");
        break;
    }
    free(account_name);
    return st;
}

static void run_change(struct request *req, struct sub_change *c)
{
    c->req = req;
    c->sid = parse_id(req->args[0]);
    int st = ST_OK;
    st = billing_people_read(req, req->account.id, &c->people);
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    /* Who acted gets the mail of their change too (round-17 walkthrough
     * of seed 004, D1). */
    billing_people_add_actor(req, req->account.id, &c->people);
    st = request_transaction(req, change_tx, c);
    billing_people_free(&c->people);
    free(c->actor);
    c->actor = NULL;
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "no such subscription");
    else if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else {
        json_t *extra = NULL;
        if (c->invoice_id) {
            json_t *inv;
            st = invoices_store_get(req->session->sql, c->invoice_id, &inv);
            if (st == ST_OK)
                extra = json_pack("{s:o}", "invoice", inv);
        } else if (c->what == CHANGE_RENEW) {
            extra = json_pack("{s:n}", "invoice"); /* no line was due */
        }
        respond_subscription(req, c->sid, extra);
    }
}

void subscriptions_upgrade(struct request *req)
{
    static const char *const allowed[] = {"plan", "storefront_alias", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct sub_change c = {.what = CHANGE_UPGRADE};
    c.plan = body_str(req, b, NULL, "plan", 1, MAX_CHARS(32));
    c.alias = storefront_alias_field(req, b);
    if (c.plan) {
        /* A plan the catalog does not have is a bad field (as an unknown
         * article on an order), not a refused plan change; its message
         * lists the catalog's codes, which match in any case ("Standard"
         * is standard; round-17 walkthrough of seed 002, D5). */
        json_t *plan = json_object_get(b, "plan");
        if (catalog_plan_field(req, "plan", plan, "no such plan in the catalog; its plans are") !=
            ST_OK)
            return;
        c.plan = json_string_value(plan);
    }
    if (body_failed(req))
        return;
    run_change(req, &c);
}

void subscriptions_cancel(struct request *req)
{
    if (body_none(req))
        return;
    struct sub_change c = {.what = CHANGE_CANCEL};
    run_change(req, &c);
}

void subscriptions_uncancel(struct request *req)
{
    if (body_none(req))
        return;
    struct sub_change c = {.what = CHANGE_UNCANCEL};
    run_change(req, &c);
}

void subscriptions_renew(struct request *req)
{
    if (body_none(req))
        return;
    struct sub_change c = {.what = CHANGE_RENEW};
    run_change(req, &c);
}

/* ---- maintenance ---------------------------------------------------- */

int billing_parse_now(const char *text, char out[20])
{
    int y, mo, d, h, mi, s;
    char z, tail;
    if (!text || strlen(text) != 20 ||
        sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &s, &z, &tail) != 7 ||
        z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
        y < 1970 || h < 0 || mi < 0 || s < 0)
        return -1;
    char full[80];
    snprintf(full, sizeof(full), "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
    if (strlen(full) != 19)
        return -1;
    memcpy(out, full, 20);
    return 0;
}

int billing_now(const char *text, char out[20])
{
    if (text)
        return billing_parse_now(text, out);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
    return 0;
}

/* The account's licenses as [{feature, quantity}] (a new reference). */
static int license_quantities(struct sql_store *sql, unsigned long long account_id, json_t **out)
{
    json_t *all;
    *out = NULL;
    int st = licenses_store_list(sql, account_id, &all);
    if (st != ST_OK)
        return st;
    *out = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(all, i, l)
    {
        json_array_append_new(*out,
                              json_pack("{s:O, s:O}", "feature", json_object_get(l, "feature"),
                                        "quantity", json_object_get(l, "quantity")));
    }
    json_decref(all);
    return ST_OK;
}

/* A storefront (storefronts_store_json) as {alias, status, retain_until}
 * for an audit row, or JSON null (a new reference). */
static json_t *storefront_brief(json_t *sf)
{
    if (!json_is_object(sf))
        return json_null();
    return json_pack("{s:O, s:O, s:O}", "alias", json_object_get(sf, "alias"), "status",
                     json_object_get(sf, "status"), "retain_until",
                     json_object_get(sf, "retain_until"));
}

struct ending {
    const struct config *cfg;
    unsigned long long sid;
    const char *now;
    int ended;
};

/* One pending cancellation past its term: cancelled at its end. */
static int end_tx(struct sql_store *sql, void *arg)
{
    struct ending *e = arg;
    e->ended = 0;
    struct subscription s;
    int st = subscriptions_store_lock(sql, e->sid, &s);
    if (st != ST_OK)
        return st;
    if (strcmp(s.status, "pending_cancellation") != 0 || strcmp(s.ends_at, e->now) > 0)
        return ST_OK; /* uncancelled or renewed meanwhile */
    struct problem ignored = {0};
    st = account_lock(sql, s.account_id, &ignored, NULL);
    problem_clear(&ignored);
    if (st == ST_REFUSED)
        st = ST_OK; /* a closed account's subscription still ends */
    struct billing_account acc = {0};
    /* What changes on the account, before and after, for the audit row:
     * its plan, its licenses, its storefront (round-3 walkthrough of
     * seed 002). */
    json_t *lic_before = NULL, *lic_after = NULL, *sf_before = NULL, *sf_after = NULL;
    if (st == ST_OK)
        st = subscriptions_store_account(sql, s.account_id, &acc);
    if (st == ST_OK)
        st = license_quantities(sql, s.account_id, &lic_before);
    /* A subscription without a storefront (add-ons) names the account's
     * (round-6 walkthrough of seed 002): it stays as it was. */
    unsigned long long sf_id = s.storefront_id;
    if (st == ST_OK && !sf_id)
        st = storefronts_store_of_account(sql, s.account_id, &sf_id);
    if (st == ST_OK)
        st = storefronts_store_json(sql, e->cfg->storefront_host, sf_id, &sf_before);
    if (st == ST_OK)
        st = subscriptions_store_end(sql, s.id, s.ends_at, "cancelled");
    if (st == ST_OK && s.plan[0])
        st = subscriptions_store_set_plan_status(sql, s.account_id);
    if (st == ST_OK)
        st = licenses_store_grant(sql, s.account_id, s.id, -1);
    if (st == ST_OK && s.storefront_id)
        st = storefronts_store_cancel(sql, s.storefront_id, s.ends_at,
                                      e->cfg->storefront_retention_days);
    /* Back to the default plan: basic for a reseller, none otherwise. */
    const char *plan_after = acc.plan[0] ? acc.plan : NULL;
    if (st == ST_OK && s.plan[0] && strcmp(acc.plan, s.plan) == 0) {
        plan_after = account_default_plan(acc.kind);
        st = subscriptions_store_set_account_plan(sql, s.account_id, plan_after);
    }
    if (st == ST_OK)
        st = license_quantities(sql, s.account_id, &lic_after);
    if (st == ST_OK)
        st = storefronts_store_json(sql, e->cfg->storefront_host, sf_id, &sf_after);
    /* RFC 3339 as every time in the API; no plan (add-ons only): null. */
    char ended[BILLING_TIME_SIZE];
    billing_time_rfc3339(s.ends_at, ended);
    if (st == ST_OK)
        st = audit_write(
            sql, "accountd-maint", s.account_id, "subscription.end",
            json_pack("{s:I, s:s, s:s?, s:s?, s:O, s:o}", "subscription_id", (json_int_t)s.id,
                      "status", s.status, "plan", s.plan[0] ? s.plan : NULL, "account_plan",
                      acc.plan[0] ? acc.plan : NULL, "licenses", lic_before, "storefront",
                      storefront_brief(sf_before)),
            json_pack("{s:I, s:s, s:s, s:s?, s:O, s:o}", "subscription_id", (json_int_t)s.id,
                      "status", "cancelled", "ended_at", ended, "account_plan", plan_after,
                      "licenses", lic_after, "storefront", storefront_brief(sf_after)));
    json_decref(lic_before);
    json_decref(lic_after);
    json_decref(sf_before);
    json_decref(sf_after);
    if (st == ST_OK)
        e->ended = 1;
    return st;
}

/* The notice that a subscription's term ends soon (Inflectra: "one of
 * the subscriptions is expiring soon"): once per term end, to the named
 * contacts and the recipients, `subscription_notice_days` ahead. */
struct notice {
    const struct config *cfg;
    unsigned long long sid;
    const char *now;
    struct billing_people *people;
    int sent;
};

static int notice_tx(struct sql_store *sql, void *arg)
{
    struct notice *n = arg;
    n->sent = 0;
    int st =
        subscriptions_store_claim_notice(sql, n->sid, n->now, n->cfg->subscription_notice_days);
    if (st == ST_NOT_FOUND)
        return ST_OK; /* sent, renewed or ended meanwhile */
    struct subscription s;
    if (st == ST_OK)
        st = subscriptions_store_lock(sql, n->sid, &s);
    char *account_name = NULL, *plan_name = NULL, ends[BILLING_TIME_SIZE];
    if (st == ST_OK)
        st = account_name_get(sql, s.account_id, &account_name);
    if (st == ST_OK)
        st = plan_display_name(sql, &s, &plan_name);
    if (st == ST_OK) {
        billing_time_rfc3339(s.ends_at, ends);
        int active = strcmp(s.status, "active") == 0;
        struct template_value vals[] = {{"account_name", account_name},
                                        {"plan", plan_name},
                                        {"ends_at", ends},
                                        {"next", active ? "renew it to continue after that date"
                                                        : "it was cancelled and ends then"}};
        st = billing_notify_queue(sql, s.account_id, "subscription-ending", n->people, vals, 4);
    }
    free(account_name);
    free(plan_name);
    if (st == ST_OK)
        n->sent = 1;
    return st;
}

/* Returns the number of notices sent, or -1 when a store was unavailable
 * (the rest wait for the next run). */
static int send_notices(const struct config *cfg, struct sql_store *sql, const char *now)
{
    if (cfg->subscription_notice_days <= 0)
        return 0;
    unsigned long long *ids = NULL;
    size_t n = 0;
    if (subscriptions_store_notice_due(sql, now, cfg->subscription_notice_days, &ids, &n) != ST_OK)
        return -1;
    struct session session = {n ? ldap_store_new(cfg) : NULL, sql};
    struct request req = {.cfg = cfg, .session = &session};
    int sent = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned long long account_id = 0;
        struct billing_people people = {0};
        int st = subscriptions_store_account_of(sql, ids[i], &account_id);
        if (st == ST_OK)
            st = billing_people_read(&req, account_id, &people);
        struct notice note = {cfg, ids[i], now, &people, 0};
        if (st == ST_OK)
            st = sql_transaction(sql, notice_tx, &note);
        billing_people_free(&people);
        if (st != ST_OK) {
            fprintf(stderr,
                    "accountd maint: the ending notice of subscription %llu could not be "
                    "sent now\n",
                    ids[i]);
            failed = 1;
        } else if (note.sent) {
            printf("mailed the ending notice of subscription %llu\n", ids[i]);
            sent++;
        }
    }
    if (session.ldap)
        ldap_store_free(session.ldap);
    free(ids);
    return failed ? -1 : sent;
}

struct purging {
    const char *now;
    int purged;
};

static int purge_tx(struct sql_store *sql, void *arg)
{
    struct purging *p = arg;
    return storefronts_store_purge(sql, p->now, &p->purged);
}

int billing_maint_run(const struct config *cfg, const char *now_text)
{
    char now[20];
    if (billing_now(now_text, now) < 0) {
        fprintf(stderr, "accountd maint: --now must be a UTC time like 2027-01-31T00:00:00Z\n");
        return 2;
    }
    struct sql_store *sql = sql_store_new(cfg);
    unsigned long long *ids = NULL;
    size_t n = 0;
    int rc = 0, ended = 0;
    int notices = send_notices(cfg, sql, now);
    if (notices < 0)
        rc = 1;
    int st = subscriptions_store_due(sql, now, &ids, &n);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: MariaDB is unavailable\n");
        sql_store_free(sql);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        struct ending e = {cfg, ids[i], now, 0};
        st = sql_transaction(sql, end_tx, &e);
        if (st != ST_OK) {
            fprintf(stderr, "accountd maint: subscription %llu could not be ended now\n", ids[i]);
            rc = 1;
        } else if (e.ended) {
            printf("ended the cancelled subscription %llu\n", ids[i]);
            ended++;
        }
    }
    free(ids);
    struct purging p = {now, 0};
    st = sql_transaction(sql, purge_tx, &p);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: storefronts could not be purged now\n");
        rc = 1;
    }
    printf("maint: %d ending notice(s) mailed, %d subscription(s) ended, %d storefront(s) purged "
           "(now %s UTC)\n",
           notices < 0 ? 0 : notices, ended, p.purged, now);
    sql_store_free(sql);
    return rc;
}
