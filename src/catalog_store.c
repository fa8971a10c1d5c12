#include "catalog_store.h"

#include "billing.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *json_cell(const struct sql_result *r, size_t row, size_t col)
{
    const char *v = sql_cell(r, row, col);
    json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_array();
}

int catalog_store_plans(struct sql_store *sql, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT p.code, p.name, p.audience, p.pricing_model, p.needs_storefront,"
                      " (SELECT JSON_ARRAYAGG(u.to_plan ORDER BY u.to_plan) FROM plan_upgrades u"
                      "  WHERE u.from_plan = p.code),"
                      " a.code, a.price_minor, a.currency, a.term_months"
                      " FROM plans p LEFT JOIN articles a ON a.plan = p.code ORDER BY p.position",
                      SQL_NO_ARGS, &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        const char *article = sql_cell(&r, i, 6);
        json_t *price = article ? money_json(atoll(sql_cell(&r, i, 7)), sql_cell(&r, i, 8))
                                : money_json(0, "EUR");
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:s?, s:o, s:o}", "code",
                             sql_cell(&r, i, 0), "name", sql_cell(&r, i, 1), "audience",
                             sql_cell(&r, i, 2), "pricing_model", sql_cell(&r, i, 3),
                             "needs_storefront", atoi(sql_cell(&r, i, 4)), "upgrades_to",
                             json_cell(&r, i, 5), "article", article, "price", price, "term_months",
                             article ? json_integer(atoi(sql_cell(&r, i, 9))) : json_null()));
    }
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}

int catalog_store_articles(struct sql_store *sql, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT a.code, a.name, a.plan, a.price_minor, a.currency, a.term_months,"
                      " (SELECT JSON_ARRAYAGG(JSON_OBJECT('feature', l.feature, 'quantity',"
                      "   l.quantity) ORDER BY l.feature) FROM article_licenses l"
                      "  WHERE l.article = a.code)"
                      " FROM articles a ORDER BY a.position",
                      SQL_NO_ARGS, &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s?, s:o, s:i, s:o}", "code", sql_cell(&r, i, 0), "name",
                      sql_cell(&r, i, 1), "plan", sql_cell(&r, i, 2), "price",
                      money_json(atoll(sql_cell(&r, i, 3)), sql_cell(&r, i, 4)), "term_months",
                      atoi(sql_cell(&r, i, 5)), "licenses", json_cell(&r, i, 6)));
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}

static const char *const ARTICLE_COLUMNS_SQL =
    "SELECT a.price_minor, a.currency, a.term_months, a.plan, p.needs_storefront, p.audience,"
    " a.code, a.name, p.name, p.pricing_model FROM articles a LEFT JOIN plans p ON p.code = a.plan"
    " WHERE a.code = ?";

static void fill_article(const struct sql_result *r, struct catalog_article *out)
{
    memset(out, 0, sizeof(*out));
    out->price_minor = atoll(sql_cell(r, 0, 0));
    snprintf(out->currency, sizeof(out->currency), "%s", sql_cell(r, 0, 1));
    out->term_months = atoi(sql_cell(r, 0, 2));
    const char *plan = sql_cell(r, 0, 3);
    snprintf(out->plan, sizeof(out->plan), "%s", plan ? plan : "");
    out->plan_needs_storefront = plan && atoi(sql_cell(r, 0, 4));
    snprintf(out->plan_audience, sizeof(out->plan_audience), "%s", plan ? sql_cell(r, 0, 5) : "");
    snprintf(out->name, sizeof(out->name), "%s", sql_cell(r, 0, 7));
    snprintf(out->plan_name, sizeof(out->plan_name), "%s", plan ? sql_cell(r, 0, 8) : "");
    snprintf(out->plan_pricing, sizeof(out->plan_pricing), "%s", plan ? sql_cell(r, 0, 9) : "");
}

int catalog_store_article(struct sql_store *sql, const char *code, struct catalog_article *out)
{
    struct sql_result r;
    int st = sql_exec(sql, ARTICLE_COLUMNS_SQL, SQL_ARGS(P_STR(code)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else
        fill_article(&r, out);
    sql_result_free(&r);
    return st;
}

int catalog_store_articles_named(struct sql_store *sql, const char *name, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT a.code, COALESCE(p.audience, '') FROM articles a"
                      " LEFT JOIN plans p ON p.code = a.plan"
                      " WHERE LOWER(a.code) = LOWER(?) OR LOWER(a.name) = LOWER(?)"
                      " OR LOWER(a.plan) = LOWER(?) OR LOWER(p.name) = LOWER(?)"
                      " ORDER BY a.position",
                      SQL_ARGS(P_STR(name), P_STR(name), P_STR(name), P_STR(name)), &r);
    if (st != ST_OK)
        return st;
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(items, json_pack("{s:s, s:s}", "code", sql_cell(&r, i, 0), "audience",
                                               sql_cell(&r, i, 1)));
    sql_result_free(&r);
    *out = items;
    return ST_OK;
}

int catalog_store_plan_article(struct sql_store *sql, const char *plan, char code[65],
                               struct catalog_article *out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT a.price_minor, a.currency, a.term_months, a.plan,"
                      " p.needs_storefront, p.audience, a.code, a.name, p.name, p.pricing_model"
                      " FROM articles a JOIN plans p ON p.code = a.plan WHERE a.plan = ?",
                      SQL_ARGS(P_STR(plan)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        st = ST_NOT_FOUND;
    } else {
        fill_article(&r, out);
        snprintf(code, 65, "%s", sql_cell(&r, 0, 6));
    }
    sql_result_free(&r);
    return st;
}

int catalog_store_plan_name(struct sql_store *sql, const char *code, char name[101])
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT name FROM plans WHERE code = ?", SQL_ARGS(P_STR(code)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else
        snprintf(name, 101, "%s", sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return st;
}

int catalog_store_upgrade_allowed(struct sql_store *sql, const char *from, const char *to,
                                  int *allowed)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT 1 FROM plan_upgrades WHERE from_plan = ? AND to_plan = ?",
                      SQL_ARGS(P_STR(from), P_STR(to)), &r);
    if (st != ST_OK)
        return st;
    *allowed = r.nrows > 0;
    sql_result_free(&r);
    return ST_OK;
}

int catalog_store_change_names(struct sql_store *sql, const char *from, const char *to,
                               char **from_name, char **to_name, char **upgrades)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT COALESCE((SELECT name FROM plans WHERE code = ?), ?),"
                      " COALESCE((SELECT name FROM plans WHERE code = ?), ?),"
                      " COALESCE((SELECT GROUP_CONCAT(t.name ORDER BY t.position SEPARATOR ', ')"
                      "  FROM plan_upgrades u JOIN plans t ON t.code = u.to_plan"
                      "  WHERE u.from_plan = ?), '')",
                      SQL_ARGS(P_STR(from), P_STR(from), P_STR(to), P_STR(to), P_STR(from)), &r);
    if (st != ST_OK)
        return st;
    *from_name = xstrdup(sql_cell(&r, 0, 0));
    *to_name = xstrdup(sql_cell(&r, 0, 1));
    *upgrades = xstrdup(sql_cell(&r, 0, 2));
    sql_result_free(&r);
    return ST_OK;
}

int catalog_store_upgrades_from(struct sql_store *sql, const char *from, int *count)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT COUNT(*) FROM plan_upgrades WHERE from_plan = ?",
                      SQL_ARGS(P_STR(from)), &r);
    if (st != ST_OK)
        return st;
    *count = atoi(sql_cell(&r, 0, 0) ? sql_cell(&r, 0, 0) : "0");
    sql_result_free(&r);
    return ST_OK;
}
