/*
 * catalog_store: the SQL of the catalog (plans, articles and the licenses
 * each article grants; seed data of sql/005_billing.sql). Read-only.
 */
#ifndef ACCOUNTD_CATALOG_STORE_H
#define ACCOUNTD_CATALOG_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* [{code, name, audience, pricing_model, needs_storefront, upgrades_to,
 *   article, price, term_months}] in *out (a new reference). */
int catalog_store_plans(struct sql_store *sql, json_t **out);
/* [{code, name, plan, price, term_months, licenses: [{feature, quantity}]}]. */
int catalog_store_articles(struct sql_store *sql, json_t **out);

/* An article's name: articles.name is VARCHAR(200) of utf8mb4, up to 800
 * bytes; never cut (a cut could split a character, and the line would be
 * no valid JSON string). */
#define ARTICLE_NAME_SIZE (200 * 4 + 1)

struct catalog_article {
    long long price_minor;
    char currency[4];
    int term_months;
    char plan[33]; /* "" when the article sets no plan */
    int plan_needs_storefront;
    char plan_audience[16];       /* "reseller" or "customer" */
    char name[ARTICLE_NAME_SIZE]; /* the article's name */
    char plan_name[101];          /* the plan's name ("Standard Edition"); "" without a plan */
    char plan_pricing[16];        /* the plan's pricing_model: free, flat, per_unit; "" */
};
/* One article: ST_OK, ST_NOT_FOUND. */
int catalog_store_article(struct sql_store *sql, const char *code, struct catalog_article *out);
/* The articles that `name` names in another way than their exact code
 * (round-23 walkthrough of seed 002, D4: "standard" ordered): their code,
 * their name, their plan's code or their plan's name in any case, in the
 * catalog's order, as [{code, audience}] in *out (a new reference;
 * audience is the plan's, "" for an add-on). Read only for an order line
 * whose article is unknown. */
int catalog_store_articles_named(struct sql_store *sql, const char *name, json_t **out);
/* The article that puts an account on plan (ST_NOT_FOUND if none). */
int catalog_store_plan_article(struct sql_store *sql, const char *plan, char code[65],
                               struct catalog_article *out);
/* The name of plan code ("Standard Edition") in name; ST_NOT_FOUND when
 * the catalog has no such plan. */
int catalog_store_plan_name(struct sql_store *sql, const char *code, char name[101]);
/* Does the catalog allow changing from one plan to another? 1 or 0 in
 * *allowed. */
int catalog_store_upgrade_allowed(struct sql_store *sql, const char *from, const char *to,
                                  int *allowed);
/* For a refused plan change: the names of plans `from` and `to` (their
 * codes when the catalog has no such plan) and the names of the plans
 * `from` may change to, ", "-separated ("" for none), in one statement.
 * The strings are the caller's to free. */
int catalog_store_change_names(struct sql_store *sql, const char *from, const char *to,
                               char **from_name, char **to_name, char **upgrades);
/* How many plans the catalog lets plan `from` change to (0: it is the
 * highest of its line) in *count. */
int catalog_store_upgrades_from(struct sql_store *sql, const char *from, int *count);

#endif
