/*
 * subscriptions_store: the SQL of subscriptions (what an executed order
 * created): their articles, status (active, pending_cancellation,
 * cancelled), term, and the storefront they keep alive.
 *
 * Times go in and out as MariaDB DATETIME text in UTC
 * ("YYYY-MM-DD HH:MM:SS.ffffff"); JSON shows RFC 3339.
 */
#ifndef ACCOUNTD_SUBSCRIPTIONS_STORE_H
#define ACCOUNTD_SUBSCRIPTIONS_STORE_H

#include "sql_store.h"

#include <jansson.h>

struct subscription {
    unsigned long long id, account_id, storefront_id;
    char plan[33]; /* "" for none */
    char status[24];
    int term_months;
    char started_at[32], ends_at[32];
    char ended_reason[16]; /* "cancelled", "replaced" or "" while it runs */
};

/* The account of subscription sid (ST_NOT_FOUND). */
int subscriptions_store_account_of(struct sql_store *sql, unsigned long long sid,
                                   unsigned long long *account_id);
/* The lines of subscription sid paid beyond its ends_at, as text for a
 * mail ("3 x Data logger (paid until 2027-11-30)", joined by ", "; "" for
 * none; malloc'ed in *text). */
int subscriptions_store_paid_beyond(struct sql_store *sql, unsigned long long sid, char **text);
/* Inside a transaction: reads and locks subscription sid. */
int subscriptions_store_lock(struct sql_store *sql, unsigned long long sid, struct subscription *s);
/* Inside a transaction: the account's live (active or pending) subscription
 * with a plan, locked; ST_NOT_FOUND if none. */
int subscriptions_store_live_plan(struct sql_store *sql, unsigned long long account_id,
                                  struct subscription *s);
/* Inside a transaction: a new active subscription from now for term_months. */
int subscriptions_store_insert(struct sql_store *sql, unsigned long long account_id,
                               unsigned long long order_id, const char *plan,
                               unsigned long long storefront_id, int term_months,
                               struct subscription *out);
int subscriptions_store_add_article(struct sql_store *sql, unsigned long long sid,
                                    const char *article, long long quantity,
                                    long long unit_price_minor);
/* The months from now to paid_months after subscription sid's start,
 * rounded up (0 when that is past): how far ahead a line is paid. */
int subscriptions_store_months_left(struct sql_store *sql, unsigned long long sid, int paid_months,
                                    int *months);
/* A line of a subscription as an upgrade reads it. */
struct sub_line {
    long long quantity;         /* at least 1 */
    long long unit_price_minor; /* what a seat's term was paid at the order */
    int paid_months;            /* from the subscription's started_at */
    char paid_until[32];        /* started_at + paid_months, "YYYY-MM-DD HH:MM:SS.ffffff" */
};
/* Inside a transaction: the line of subscription sid for article
 * (ST_NOT_FOUND if it has no such article); the row is locked. */
int subscriptions_store_line(struct sql_store *sql, unsigned long long sid, const char *article,
                             struct sub_line *out);
/* Replaces the plan article old_article by new_article (quantity, unit
 * price, paid months from started_at) and sets the plan; paid_until gets
 * the end of the months paid ("YYYY-MM-DD HH:MM:SS.ffffff"). */
int subscriptions_store_change_plan(struct sql_store *sql, unsigned long long sid,
                                    const char *old_article, const char *new_article,
                                    const char *plan, long long quantity,
                                    long long unit_price_minor, int paid_months,
                                    unsigned long long storefront_id, char paid_until[32]);
/* status from -> to (ST_CONFLICT if the subscription is not in from). */
int subscriptions_store_set_status(struct sql_store *sql, unsigned long long sid, const char *from,
                                   const char *to);
/* Ends it: cancelled, ended_at (NULL: now), reason cancelled|replaced;
 * it keeps the alias its storefront has now (what the list shows). */
int subscriptions_store_end(struct sql_store *sql, unsigned long long sid, const char *ended_at,
                            const char *reason);
/* ends_at += term_months; the old and new end in the strings. */
int subscriptions_store_extend(struct sql_store *sql, struct subscription *s, char old_end[32]);
/* [{id, account_id, plan, status, term_months, started_at, ends_at,
 *   cancel_requested_at, ended_at, storefront, articles}] of an account
 * (sid 0) or one subscription (account_id 0), newest first: at most limit,
 * older than id before (0: from the newest). */
int subscriptions_store_list(struct sql_store *sql, const char *default_host,
                             unsigned long long account_id, unsigned long long sid,
                             unsigned long long before, long limit, json_t **out);
/* How many subscriptions of the account are active (not cancelled, nor
 * pending cancellation), in *n. */
int subscriptions_store_active_count(struct sql_store *sql, unsigned long long account_id, long *n);
/* Ids of the subscriptions due for the notice that their term ends within
 * days of now (active or pending cancellation; one notice per term end). */
int subscriptions_store_notice_due(struct sql_store *sql, const char *now, int days,
                                   unsigned long long **ids, size_t *n);
/* Inside a transaction: records the notice of subscription id's term end
 * if it is still due (ST_NOT_FOUND otherwise: sent, renewed or ended). */
int subscriptions_store_claim_notice(struct sql_store *sql, unsigned long long id, const char *now,
                                     int days);
/* Ids of pending cancellations whose term ended at or before now, the
 * earliest end first: a catch-up run (maint --now) ends them in the order
 * they ended, so each audit row's before and after is of its time. */
int subscriptions_store_due(struct sql_store *sql, const char *now, unsigned long long **ids,
                            size_t *n);

/* The account's commercial state: kind, parent and plan (a partner
 * without a plan is on the reseller plan basic; "" for none). */
struct billing_account {
    char kind[16];
    unsigned long long parent_id;
    char plan[33];
};
int subscriptions_store_account(struct sql_store *sql, unsigned long long account_id,
                                struct billing_account *out);
/* Inside a transaction: the account's plan (NULL: none) with a new
 * version (the plan is one of the account's own fields). */
int subscriptions_store_set_account_plan(struct sql_store *sql, unsigned long long account_id,
                                         const char *plan);
/* Inside a transaction: accounts.plan_status, the status of the account's
 * live plan subscription (subscriptions_store_live_plan; NULL without
 * one), read again from its subscriptions. The overview table shows and
 * filters it (sql/098). Called wherever that status may change: an order
 * of a plan, a cancel, an uncancel, the end at its term. Not the account's
 * own field: its version stays. */
int subscriptions_store_set_plan_status(struct sql_store *sql, unsigned long long account_id);
/* What the mails call subscription sid (docs/api.md, "Notifications"):
 * *plan its plan's catalog name (its code when the catalog has none);
 * without a plan, its articles' names ("Assets pack, Data logger"), or
 * "subscription <sid>" when it has none; *articles one line per article,
 * "  <quantity> x <name>", without a last line end. Both malloc'ed. */
int subscriptions_store_mail_names(struct sql_store *sql, unsigned long long sid, char **plan,
                                   char **articles);
/* The account's live subscription (active or pending cancellation) whose
 * storefront is active, the newest: what a storefront-welcome mailed
 * after the order names (billing_notify.h). executed_by: who executed its
 * order (malloc'ed; NULL if none recorded); invoice_id: the newest invoice
 * of its order or an upgrade (0 if none), with its total and currency.
 * When that invoice is an upgrade's: upgraded_by, who ran it, and
 * upgraded_from, the plan it left (its catalog name, else its code), from
 * the upgrade's audit row (both malloc'ed; NULL otherwise; round-15
 * walkthrough of seed 002, D3). status ("active" or
 * "pending_cancellation") and ends_at (SQL's form) of the subscription.
 * since (SQL's form, microseconds): when the subscription came to be what
 * it is, the time of that newest invoice (its start without one); a
 * storefront-welcome queued since then was its welcome (round-17
 * walkthrough of seed 002, D2). ST_NOT_FOUND when the account has none.
 * live_storefront_free frees. */
struct live_storefront {
    unsigned long long subscription_id, storefront_id, invoice_id;
    char *executed_by, *upgraded_by, *upgraded_from;
    long long invoice_total_minor;
    char currency[4];
    char status[24], ends_at[32], since[32];
};
void live_storefront_free(struct live_storefront *l);
int subscriptions_store_live_storefront(struct sql_store *sql, unsigned long long account_id,
                                        struct live_storefront *out);
/* Inside a transaction, after subscriptions_store_extend: the lines of
 * subscription sid that its new ends_at finds unpaid, each billed for as
 * many of its own terms (its article's term_months) as reach ends_at and
 * marked paid so far, as invoice lines [{article, name, quantity,
 * unit_price, terms, amount}] (name: the article's catalog name now) with
 * their total; lines paid beyond ends_at are not
 * billed (an empty list when none is due). */
int subscriptions_store_renewal_lines(struct sql_store *sql, unsigned long long sid, json_t **lines,
                                      long long *total_minor, char currency[4]);

/* The billing part of the account overview, as extra columns of the
 * account's own SELECT (one round trip; FROM accounts, not aliased): plan (reseller
 * partners without one are on basic), subscriptions (with ended_at and
 * ended_reason as subscriptions_store_list has them: null while one runs,
 * so a replaced one does not read as "cancelled, ends next year"; round-17
 * walkthrough of seed 002, D1), articles and licenses,
 * and the plan's pricing model and name ("per_unit Professional": seed
 * 001's "In welchem Preismodell befindet sich der Account?"),
 * each a JSON object text keyed by its sort key (JSON_OBJECTAGG: no
 * temporary table per row, account_store.h), which billing_overview_set
 * turns into arrays in that order. */
#define BILLING_OVERVIEW_COLUMNS                                                                   \
    " COALESCE(accounts.plan, IF(accounts.kind = 'partner', 'basic', NULL)),"                      \
    " (SELECT JSON_OBJECTAGG(LPAD(s.id, 20, '0'), JSON_OBJECT('id', CAST(s.id AS CHAR), 'plan',"   \
    "   s.plan, 'status', s.status, 'started_at', DATE_FORMAT(s.started_at, "                      \
    "'%Y-%m-%dT%H:%i:%sZ'),"                                                                       \
    "   'ends_at', DATE_FORMAT(s.ends_at, '%Y-%m-%dT%H:%i:%sZ'),"                                  \
    "   'ended_at', DATE_FORMAT(s.ended_at, '%Y-%m-%dT%H:%i:%sZ'),"                                \
    "   'ended_reason', IF(s.ended_at IS NULL, NULL, s.ended_reason)))"                            \
    "   FROM subscriptions s WHERE s.account_id = accounts.id),"                                   \
    " (SELECT JSON_OBJECTAGG(CONCAT(LPAD(s.id, 20, '0'), sa.article), JSON_OBJECT('article',"      \
    "   sa.article, 'name', ar.name, 'quantity', sa.quantity, 'subscription_id',"                  \
    "   CAST(s.id AS CHAR)))"                                                                      \
    "   FROM subscriptions s JOIN subscription_articles sa ON sa.subscription_id = s.id"           \
    "   JOIN articles ar ON ar.code = sa.article"                                                  \
    "   WHERE s.account_id = accounts.id AND s.status <> 'cancelled'),"                            \
    " (SELECT JSON_OBJECTAGG(l.feature, JSON_OBJECT('feature', l.feature, 'quantity', l.quantity," \
    "   'used', l.used, 'key', l.license_key)) FROM licenses l"                                    \
    "   WHERE l.account_id = accounts.id),"                                                        \
    " (SELECT CONCAT(pl.pricing_model, ' ', pl.name) FROM plans pl"                                \
    "   WHERE pl.code = COALESCE(accounts.plan, IF(accounts.kind = 'partner', 'basic', NULL)))"

/* Sets plan, plan_name, pricing_model, subscriptions, articles and
 * licenses on account from the BILLING_OVERVIEW_COLUMNS that start at
 * column col of row. */
void billing_overview_set(json_t *account, const struct sql_result *r, size_t row, size_t col);

#endif
