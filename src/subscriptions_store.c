#include "subscriptions_store.h"

#include "billing.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int subscriptions_store_account_of(struct sql_store *sql, unsigned long long sid,
                                   unsigned long long *account_id)
{
    return sql_id(sql, "SELECT account_id FROM subscriptions WHERE id = ?", SQL_ARGS(P_INT(sid)),
                  account_id);
}

#define SUB_COLUMNS                                                                                \
    "id, account_id, storefront_id, plan, status, term_months, started_at, ends_at, ended_reason"

static void fill(const struct sql_result *r, struct subscription *s)
{
    memset(s, 0, sizeof(*s));
    s->id = sql_cell_id(r, 0, 0);
    s->account_id = sql_cell_id(r, 0, 1);
    s->storefront_id = sql_cell_id(r, 0, 2);
    const char *plan = sql_cell(r, 0, 3);
    snprintf(s->plan, sizeof(s->plan), "%s", plan ? plan : "");
    snprintf(s->status, sizeof(s->status), "%s", sql_cell(r, 0, 4));
    s->term_months = atoi(sql_cell(r, 0, 5));
    snprintf(s->started_at, sizeof(s->started_at), "%s", sql_cell(r, 0, 6));
    snprintf(s->ends_at, sizeof(s->ends_at), "%s", sql_cell(r, 0, 7));
    const char *reason = sql_cell(r, 0, 8);
    snprintf(s->ended_reason, sizeof(s->ended_reason), "%s", reason ? reason : "");
}

static int read_one(struct sql_store *sql, const char *q, const struct sql_param *params,
                    struct subscription *s)
{
    struct sql_result r;
    int st = sql_exec(sql, q, params, &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else
        fill(&r, s);
    sql_result_free(&r);
    return st;
}

int subscriptions_store_paid_beyond(struct sql_store *sql, unsigned long long sid, char **text)
{
    struct sql_result r;
    *text = NULL;
    int st = sql_exec(sql,
                      "SELECT sa.quantity, ar.name,"
                      " DATE_FORMAT(s.started_at + INTERVAL sa.paid_months MONTH, '%Y-%m-%d')"
                      " FROM subscriptions s JOIN subscription_articles sa"
                      " ON sa.subscription_id = s.id JOIN articles ar ON ar.code = sa.article"
                      " WHERE s.id = ? AND s.started_at + INTERVAL sa.paid_months MONTH > s.ends_at"
                      " ORDER BY sa.article",
                      SQL_ARGS(P_INT(sid)), &r);
    if (st != ST_OK)
        return st;
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < r.nrows; i++)
        buf_printf(&b, "%s%s x %s (paid until %s)", i ? ", " : "", sql_cell(&r, i, 0),
                   sql_cell(&r, i, 1), sql_cell(&r, i, 2));
    sql_result_free(&r);
    *text = b.data ? buf_detach(&b) : xstrdup("");
    return ST_OK;
}

int subscriptions_store_lock(struct sql_store *sql, unsigned long long sid, struct subscription *s)
{
    return read_one(sql, "SELECT " SUB_COLUMNS " FROM subscriptions WHERE id = ? FOR UPDATE",
                    SQL_ARGS(P_INT(sid)), s);
}

/* The account's live plan subscription: the newest with a plan that is
 * not cancelled (the one accounts.plan_status mirrors). */
#define LIVE_PLAN                                                                                  \
    " FROM subscriptions WHERE account_id = ? AND plan IS NOT NULL AND status <> 'cancelled'"      \
    " ORDER BY id DESC LIMIT 1"

int subscriptions_store_live_plan(struct sql_store *sql, unsigned long long account_id,
                                  struct subscription *s)
{
    return read_one(sql, "SELECT " SUB_COLUMNS LIVE_PLAN " FOR UPDATE", SQL_ARGS(P_INT(account_id)),
                    s);
}

int subscriptions_store_insert(struct sql_store *sql, unsigned long long account_id,
                               unsigned long long order_id, const char *plan,
                               unsigned long long storefront_id, int term_months,
                               struct subscription *out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "INSERT INTO subscriptions (account_id, order_id, plan, storefront_id,"
                      " term_months, started_at, ends_at)"
                      " VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP(6),"
                      " CURRENT_TIMESTAMP(6) + INTERVAL ? MONTH)",
                      SQL_ARGS(P_INT(account_id), P_INT(order_id), P_STR(plan),
                               storefront_id ? P_INT(storefront_id) : P_NULL, P_INT(term_months),
                               P_INT(term_months)),
                      &r);
    if (st != ST_OK)
        return st;
    unsigned long long sid = r.insert_id;
    sql_result_free(&r);
    return read_one(sql, "SELECT " SUB_COLUMNS " FROM subscriptions WHERE id = ?",
                    SQL_ARGS(P_INT(sid)), out);
}

int subscriptions_store_add_article(struct sql_store *sql, unsigned long long sid,
                                    const char *article, long long quantity,
                                    long long unit_price_minor)
{
    return sql_exec(sql,
                    "INSERT INTO subscription_articles (subscription_id, article, quantity,"
                    " unit_price_minor, paid_months)"
                    " SELECT ?, code, ?, ?, term_months FROM articles WHERE code = ?",
                    SQL_ARGS(P_INT(sid), P_INT(quantity), P_INT(unit_price_minor), P_STR(article)),
                    NULL);
}

int subscriptions_store_months_left(struct sql_store *sql, unsigned long long sid, int paid_months,
                                    int *months)
{
    unsigned long long n = 0;
    int st = sql_id(sql,
                    "SELECT GREATEST(0, TIMESTAMPDIFF(MONTH, CURRENT_TIMESTAMP(6), e)"
                    " + (CURRENT_TIMESTAMP(6) + INTERVAL TIMESTAMPDIFF(MONTH, CURRENT_TIMESTAMP(6),"
                    " e) MONTH < e)) FROM (SELECT started_at + INTERVAL ? MONTH AS e"
                    " FROM subscriptions WHERE id = ?) t",
                    SQL_ARGS(P_INT(paid_months), P_INT(sid)), &n);
    *months = (int)n;
    return st;
}

int subscriptions_store_line(struct sql_store *sql, unsigned long long sid, const char *article,
                             struct sub_line *out)
{
    struct sql_result r;
    int st =
        sql_exec(sql,
                 "SELECT sa.quantity, sa.paid_months, s.started_at + INTERVAL sa.paid_months"
                 " MONTH, sa.unit_price_minor FROM subscription_articles sa JOIN subscriptions s"
                 " ON s.id = sa.subscription_id WHERE sa.subscription_id = ? AND sa.article = ?"
                 " FOR UPDATE",
                 SQL_ARGS(P_INT(sid), P_STR(article)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else {
        /* At least one seat: a stored 0 would divide an upgrade's
         * difference by 0 (review of round 27). */
        out->quantity = atoll(sql_cell(&r, 0, 0));
        if (out->quantity < 1)
            out->quantity = 1;
        out->paid_months = atoi(sql_cell(&r, 0, 1));
        out->unit_price_minor = sql_cell(&r, 0, 3) ? atoll(sql_cell(&r, 0, 3)) : 0;
        snprintf(out->paid_until, sizeof(out->paid_until), "%s",
                 sql_cell(&r, 0, 2) ? sql_cell(&r, 0, 2) : "");
    }
    sql_result_free(&r);
    return st;
}

int subscriptions_store_change_plan(struct sql_store *sql, unsigned long long sid,
                                    const char *old_article, const char *new_article,
                                    const char *plan, long long quantity,
                                    long long unit_price_minor, int paid_months,
                                    unsigned long long storefront_id, char paid_until[32])
{
    int st = sql_exec(sql,
                      "UPDATE subscription_articles SET article = ?, quantity = ?,"
                      " unit_price_minor = ?, paid_months = ? WHERE subscription_id = ?"
                      " AND article = ?",
                      SQL_ARGS(P_STR(new_article), P_INT(quantity), P_INT(unit_price_minor),
                               P_INT(paid_months), P_INT(sid), P_STR(old_article)),
                      NULL);
    if (st == ST_OK)
        st = sql_exec(
            sql, "UPDATE subscriptions SET plan = ?, storefront_id = ? WHERE id = ?",
            SQL_ARGS(P_STR(plan), storefront_id ? P_INT(storefront_id) : P_NULL, P_INT(sid)), NULL);
    struct sql_result r;
    if (st == ST_OK)
        st = sql_exec(sql, "SELECT started_at + INTERVAL ? MONTH FROM subscriptions WHERE id = ?",
                      SQL_ARGS(P_INT(paid_months), P_INT(sid)), &r);
    if (st == ST_OK) {
        snprintf(paid_until, 32, "%s", r.nrows ? sql_cell(&r, 0, 0) : "");
        sql_result_free(&r);
    }
    return st;
}

int subscriptions_store_set_status(struct sql_store *sql, unsigned long long sid, const char *from,
                                   const char *to)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "UPDATE subscriptions SET status = ?,"
                      " cancel_requested_at = IF(? = 'pending_cancellation',"
                      " CURRENT_TIMESTAMP(6), NULL) WHERE id = ? AND status = ?",
                      SQL_ARGS(P_STR(to), P_STR(to), P_INT(sid), P_STR(from)), &r);
    if (st != ST_OK)
        return st;
    st = r.affected == 1 ? ST_OK : ST_CONFLICT;
    sql_result_free(&r);
    return st;
}

int subscriptions_store_end(struct sql_store *sql, unsigned long long sid, const char *ended_at,
                            const char *reason)
{
    return sql_exec(sql,
                    "UPDATE subscriptions SET status = 'cancelled',"
                    " ended_at = COALESCE(?, CURRENT_TIMESTAMP(6)), ended_reason = ?,"
                    " ended_storefront_alias = (SELECT f.alias FROM storefronts f"
                    " WHERE f.id = subscriptions.storefront_id) WHERE id = ?",
                    SQL_ARGS(P_STR(ended_at), P_STR(reason), P_INT(sid)), NULL);
}

int subscriptions_store_extend(struct sql_store *sql, struct subscription *s, char old_end[32])
{
    snprintf(old_end, 32, "%s", s->ends_at);
    /* Counted from started_at, not from the last end: a month added to
     * a month-end date is cut short (Jan 31 -> Feb 28), and chained that
     * way the ends drift off the lines' paid_until (Nov 30 -> Apr 28 after
     * five renewals; round-4 walkthrough of seed 004). The months reached
     * so far: one more when the last of them was cut short. */
    int st = sql_exec(sql,
                      "UPDATE subscriptions SET ends_at = started_at + INTERVAL"
                      " (TIMESTAMPDIFF(MONTH, started_at, ends_at)"
                      " + (started_at + INTERVAL TIMESTAMPDIFF(MONTH, started_at, ends_at) MONTH"
                      " < ends_at) + term_months) MONTH"
                      " WHERE id = ?",
                      SQL_ARGS(P_INT(s->id)), NULL);
    if (st != ST_OK)
        return st;
    return read_one(sql, "SELECT " SUB_COLUMNS " FROM subscriptions WHERE id = ?",
                    SQL_ARGS(P_INT(s->id)), s);
}

#define T(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* A subscription's storefront alias: an ended one's is the alias it had
 * when it ended (migration 022), not what the storefront has now (renamed
 * or active again under a later subscription); null once purged. */
#define SUB_STOREFRONT_ALIAS                                                                       \
    "IF(f.id IS NULL, NULL, IF(s.status = 'cancelled', s.ended_storefront_alias, f.alias))"

int subscriptions_store_list(struct sql_store *sql, const char *default_host,
                             unsigned long long account_id, unsigned long long sid,
                             unsigned long long before, long limit, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(
        sql,
        "SELECT s.id, s.account_id, s.plan, s.status, s.term_months, " T(
            "s.started_at") ","
                            " " T("s.ends_at") ", " T("s.cancel_requested_at") ", " T(
                                "s.ended_at") ","
                                              " " SUB_STOREFRONT_ALIAS ", CONCAT('https://', "
                                              "COALESCE(d.storefront_host, ?), "
                                              "'/', " SUB_STOREFRONT_ALIAS "), "
                                              "IF(s.status = 'cancelled', 'cancelled', f.status),"
                                              " (SELECT JSON_ARRAYAGG(JSON_OBJECT('article', "
                                              "sa.article, 'quantity', sa.quantity,"
                                              "   'unit_price', JSON_OBJECT('amount_minor', "
                                              "sa.unit_price_minor, 'currency',"
                                              "   ar.currency), 'term_months', ar.term_months,"
                                              "   'paid_until', " T(
                                                  "s.started_at + INTERVAL sa.paid_months "
                                                  "MONTH") ") ORDER BY sa.article) FROM "
                                                           "subscription_articles sa"
                                                           "   JOIN articles ar ON ar.code = "
                                                           "sa.article WHERE "
                                                           "sa.subscription_id = s.id),"
                                                           " s.ended_reason"
                                                           " FROM subscriptions s LEFT JOIN "
                                                           "storefronts f ON "
                                                           "f.id = s.storefront_id"
                                                           " LEFT JOIN accounts d ON d.id = "
                                                           "f.distributor_id"
                                                           " WHERE (? = 0 OR s.account_id = ?) AND "
                                                           "(? = 0 OR "
                                                           "s.id = ?) AND (? = 0 OR s.id < ?)"
                                                           " ORDER BY s.id DESC LIMIT ?",
        SQL_ARGS(P_STR(default_host), P_INT(account_id), P_INT(account_id), P_INT(sid), P_INT(sid),
                 P_INT(before), P_INT(before), P_INT(limit)),
        &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        const char *alias = sql_cell(&r, i, 9);
        json_t *storefront = alias ? json_pack("{s:s, s:s, s:s}", "alias", alias, "url",
                                               sql_cell(&r, i, 10), "status", sql_cell(&r, i, 11))
                                   : json_null();
        const char *arts = sql_cell(&r, i, 12);
        json_t *articles = arts ? json_loads(arts, 0, NULL) : NULL;
        const char *cr = sql_cell(&r, i, 7), *ended = sql_cell(&r, i, 8),
                   *plan = sql_cell(&r, i, 2), *reason = sql_cell(&r, i, 13);
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o, s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
                             sql_cell(&r, i, 0), "account_id", sql_cell(&r, i, 1), "plan",
                             plan ? json_string(plan) : json_null(), "status", sql_cell(&r, i, 3),
                             "term_months", atoi(sql_cell(&r, i, 4)), "started_at",
                             sql_cell(&r, i, 5), "ends_at", sql_cell(&r, i, 6),
                             "cancel_requested_at", cr ? json_string(cr) : json_null(), "ended_at",
                             ended ? json_string(ended) : json_null(), "ended_reason",
                             ended && reason ? json_string(reason) : json_null(), "storefront",
                             storefront, "articles", articles ? articles : json_array()));
    }
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}

int subscriptions_store_due(struct sql_store *sql, const char *now, unsigned long long **ids,
                            size_t *n)
{
    return sql_ids(sql,
                   "SELECT id FROM subscriptions WHERE status = 'pending_cancellation'"
                   " AND ends_at <= ? ORDER BY ends_at, id",
                   SQL_ARGS(P_STR(now)), ids, n);
}

/* Due for the ending notice: active or pending cancellation, the term's
 * end after now and within days of it, no notice for this end yet. */
#define NOTICE_DUE                                                                                 \
    " status IN ('active', 'pending_cancellation') AND ends_at > ?"                                \
    " AND ends_at <= ? + INTERVAL ? DAY"                                                           \
    " AND (ending_notice_for IS NULL OR ending_notice_for <> ends_at)"

int subscriptions_store_notice_due(struct sql_store *sql, const char *now, int days,
                                   unsigned long long **ids, size_t *n)
{
    return sql_ids(sql, "SELECT id FROM subscriptions WHERE" NOTICE_DUE " ORDER BY id",
                   SQL_ARGS(P_STR(now), P_STR(now), P_INT(days)), ids, n);
}

int subscriptions_store_claim_notice(struct sql_store *sql, unsigned long long id, const char *now,
                                     int days)
{
    struct sql_result r;
    int st = sql_exec(
        sql, "UPDATE subscriptions SET ending_notice_for = ends_at WHERE id = ? AND" NOTICE_DUE,
        SQL_ARGS(P_INT(id), P_STR(now), P_STR(now), P_INT(days)), &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

int subscriptions_store_active_count(struct sql_store *sql, unsigned long long account_id, long *n)
{
    struct sql_result r;
    *n = 0;
    int st = sql_exec(sql,
                      "SELECT COUNT(*) FROM subscriptions WHERE account_id = ?"
                      " AND status = 'active'",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    *n = atol(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return ST_OK;
}

int subscriptions_store_account(struct sql_store *sql, unsigned long long account_id,
                                struct billing_account *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT kind, parent_id, COALESCE(plan, IF(kind = 'partner', 'basic', ''))"
                      " FROM accounts WHERE id = ?",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    snprintf(out->kind, sizeof(out->kind), "%s", sql_cell(&r, 0, 0));
    out->parent_id = sql_cell_id(&r, 0, 1);
    snprintf(out->plan, sizeof(out->plan), "%s", sql_cell(&r, 0, 2));
    sql_result_free(&r);
    return ST_OK;
}

int subscriptions_store_set_account_plan(struct sql_store *sql, unsigned long long account_id,
                                         const char *plan)
{
    return sql_exec(sql,
                    "UPDATE accounts SET plan = ?, version = version + 1,"
                    " updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?",
                    SQL_ARGS(P_STR(plan), P_INT(account_id)), NULL);
}

int subscriptions_store_set_plan_status(struct sql_store *sql, unsigned long long account_id)
{
    return sql_exec(sql,
                    "UPDATE accounts SET plan_status = (SELECT status" LIVE_PLAN ") WHERE id = ?",
                    SQL_ARGS(P_INT(account_id), P_INT(account_id)), NULL);
}

int subscriptions_store_live_storefront(struct sql_store *sql, unsigned long long account_id,
                                        struct live_storefront *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st =
        sql_exec(sql,
                 "SELECT s.id, s.storefront_id, o.executed_by, i.id, i.total_minor, i.currency,"
                 " s.status, s.ends_at, u.uid,"
                 " COALESCE(op.name, JSON_VALUE(u.old_value, '$.plan')),"
                 " DATE_FORMAT(COALESCE(i.issued_at, s.started_at), '%Y-%m-%d %H:%i:%s.%f')"
                 " FROM subscriptions s"
                 " JOIN storefronts f ON f.id = s.storefront_id AND f.status = 'active'"
                 " LEFT JOIN orders o ON o.id = s.order_id"
                 " LEFT JOIN invoices i ON i.id = (SELECT MAX(x.id) FROM invoices x"
                 " WHERE x.subscription_id = s.id AND x.reason IN ('order', 'upgrade'))"
                 /* the upgrade that wrote that invoice: who, from which plan */
                 " LEFT JOIN audit u ON i.reason = 'upgrade' AND u.id = (SELECT MAX(a.id)"
                 " FROM audit a WHERE a.account_id = s.account_id"
                 " AND a.action = 'subscription.upgrade'"
                 " AND CAST(JSON_VALUE(a.new_value, '$.invoice_id') AS UNSIGNED) = i.id)"
                 " LEFT JOIN plans op ON op.code = JSON_VALUE(u.old_value, '$.plan')"
                 " WHERE s.account_id = ? AND s.status IN ('active', 'pending_cancellation')"
                 " ORDER BY s.id DESC LIMIT 1",
                 SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    out->subscription_id = sql_cell_id(&r, 0, 0);
    out->storefront_id = sql_cell_id(&r, 0, 1);
    out->executed_by = sql_cell(&r, 0, 2) ? xstrdup(sql_cell(&r, 0, 2)) : NULL;
    out->invoice_id = sql_cell_id(&r, 0, 3);
    out->invoice_total_minor = sql_cell(&r, 0, 4) ? atoll(sql_cell(&r, 0, 4)) : 0;
    snprintf(out->currency, sizeof(out->currency), "%s",
             sql_cell(&r, 0, 5) ? sql_cell(&r, 0, 5) : "");
    snprintf(out->status, sizeof(out->status), "%s", sql_cell(&r, 0, 6) ? sql_cell(&r, 0, 6) : "");
    snprintf(out->ends_at, sizeof(out->ends_at), "%s",
             sql_cell(&r, 0, 7) ? sql_cell(&r, 0, 7) : "");
    out->upgraded_by = sql_cell(&r, 0, 8) ? xstrdup(sql_cell(&r, 0, 8)) : NULL;
    out->upgraded_from = sql_cell(&r, 0, 9) ? xstrdup(sql_cell(&r, 0, 9)) : NULL;
    snprintf(out->since, sizeof(out->since), "%s", sql_cell(&r, 0, 10) ? sql_cell(&r, 0, 10) : "");
    sql_result_free(&r);
    return ST_OK;
}

void live_storefront_free(struct live_storefront *l)
{
    free(l->executed_by);
    free(l->upgraded_by);
    free(l->upgraded_from);
    l->executed_by = l->upgraded_by = l->upgraded_from = NULL;
}

int subscriptions_store_mail_names(struct sql_store *sql, unsigned long long sid, char **plan,
                                   char **articles)
{
    *plan = *articles = NULL;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT s.plan, pl.name, ar.name, sa.quantity FROM subscriptions s"
                      " LEFT JOIN plans pl ON pl.code = s.plan"
                      " LEFT JOIN subscription_articles sa ON sa.subscription_id = s.id"
                      " LEFT JOIN articles ar ON ar.code = sa.article"
                      " WHERE s.id = ? ORDER BY ar.plan IS NULL, ar.position, ar.code",
                      SQL_ARGS(P_INT(sid)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    struct buf names = BUF_INIT, lines = BUF_INIT;
    for (size_t i = 0; i < r.nrows; i++) {
        const char *name = sql_cell(&r, i, 2);
        if (!name)
            continue;
        buf_printf(&names, "%s%s", names.len ? ", " : "", name);
        buf_printf(&lines, "%s  %s x %s", lines.len ? "\n" : "", sql_cell(&r, i, 3), name);
    }
    const char *code = sql_cell(&r, 0, 0), *plan_name = sql_cell(&r, 0, 1);
    if (code) {
        *plan = xstrdup(plan_name ? plan_name : code);
    } else if (names.len) {
        *plan = xstrdup(buf_str(&names));
    } else {
        struct buf b = BUF_INIT;
        buf_printf(&b, "subscription %llu", sid);
        *plan = buf_detach(&b);
    }
    *articles = xstrdup(buf_str(&lines));
    buf_free(&names);
    buf_free(&lines);
    sql_result_free(&r);
    return ST_OK;
}

int subscriptions_store_renewal_lines(struct sql_store *sql, unsigned long long sid, json_t **lines,
                                      long long *total_minor, char currency[4])
{
    struct sql_result r;
    /* need: the months from started_at that reach the new ends_at (one
     * more when the last is cut short by the end of a month). */
    int st =
        sql_exec(sql,
                 "SELECT sa.article, sa.quantity, sa.unit_price_minor, ar.currency, ar.term_months,"
                 " sa.paid_months, TIMESTAMPDIFF(MONTH, s.started_at, s.ends_at)"
                 " + (s.started_at + INTERVAL TIMESTAMPDIFF(MONTH, s.started_at, s.ends_at) MONTH"
                 " < s.ends_at), ar.name"
                 " FROM subscription_articles sa JOIN articles ar ON ar.code = sa.article"
                 " JOIN subscriptions s ON s.id = sa.subscription_id"
                 " WHERE sa.subscription_id = ? ORDER BY sa.article FOR UPDATE",
                 SQL_ARGS(P_INT(sid)), &r);
    if (st != ST_OK)
        return st;
    *lines = json_array();
    *total_minor = 0;
    snprintf(currency, 4, "%s", r.nrows ? sql_cell(&r, 0, 3) : "EUR");
    for (size_t i = 0; i < r.nrows && st == ST_OK; i++) {
        long long q = atoll(sql_cell(&r, i, 1)), p = atoll(sql_cell(&r, i, 2)), amount;
        long long term = atoll(sql_cell(&r, i, 4)), paid = atoll(sql_cell(&r, i, 5));
        long long need = atoll(sql_cell(&r, i, 6));
        if (term < 1 || need <= paid)
            continue; /* paid beyond the new end: not billed this time */
        long long terms = (need - paid + term - 1) / term;
        if (money_mul_add(q, p, 0, &amount) < 0 || money_mul_add(terms, amount, 0, &amount) < 0 ||
            money_mul_add(1, *total_minor, amount, total_minor) < 0) {
            st = ST_ERROR;
            break;
        }
        st = sql_exec(sql,
                      "UPDATE subscription_articles SET paid_months = ?"
                      " WHERE subscription_id = ? AND article = ?",
                      SQL_ARGS(P_INT(paid + terms * term), P_INT(sid), P_STR(sql_cell(&r, i, 0))),
                      NULL);
        json_array_append_new(*lines, json_pack("{s:s, s:s, s:I, s:o, s:I, s:o}", "article",
                                                sql_cell(&r, i, 0), "name", sql_cell(&r, i, 7),
                                                "quantity", (json_int_t)q, "unit_price",
                                                money_json(p, currency), "terms", (json_int_t)terms,
                                                "amount", money_json(amount, currency)));
    }
    sql_result_free(&r);
    if (st != ST_OK) {
        json_decref(*lines);
        *lines = NULL;
    }
    return st;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The values of a JSON_OBJECTAGG cell as an array, ordered by their keys
 * (byte order; descending if asked): an empty array for NULL. */
static json_t *json_list_cell(const struct sql_result *r, size_t row, size_t col, int descending)
{
    const char *v = sql_cell(r, row, col);
    json_t *obj = v ? json_loads(v, 0, NULL) : NULL;
    json_t *out = json_array();
    size_t n = json_is_object(obj) ? json_object_size(obj) : 0;
    const char **keys = xcalloc(n + 1, sizeof(*keys));
    size_t k = 0;
    const char *key;
    json_t *value;
    json_object_foreach(n ? obj : NULL, key, value) keys[k++] = key;
    qsort(keys, k, sizeof(*keys), compare_keys);
    for (size_t i = 0; i < k; i++)
        json_array_append(out, json_object_get(obj, keys[descending ? k - 1 - i : i]));
    free(keys);
    json_decref(obj);
    return out;
}

void billing_overview_set(json_t *account, const struct sql_result *r, size_t row, size_t col)
{
    const char *plan = sql_cell(r, row, col);
    json_object_set_new_nocheck(account, "plan", plan ? json_string(plan) : json_null());
    /* "<pricing model> <name>": the model is one word (an ENUM). */
    const char *model = sql_cell(r, row, col + 4);
    const char *space = model ? strchr(model, ' ') : NULL;
    json_object_set_new_nocheck(account, "plan_name", space ? json_string(space + 1) : json_null());
    json_object_set_new_nocheck(account, "pricing_model",
                                space ? json_stringn(model, (size_t)(space - model)) : json_null());
    json_object_set_new_nocheck(account, "subscriptions", json_list_cell(r, row, col + 1, 1));
    json_object_set_new_nocheck(account, "articles", json_list_cell(r, row, col + 2, 0));
    json_object_set_new_nocheck(account, "licenses", json_list_cell(r, row, col + 3, 0));
}
