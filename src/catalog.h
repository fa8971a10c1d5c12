/*
 * catalog: GET /plans and /articles, and the one reader of order and quote
 * lines ({lines: [{article, quantity}]}) that prices them from the catalog,
 * shared by orders.c and invoices.c (quotes).
 */
#ifndef ACCOUNTD_CATALOG_H
#define ACCOUNTD_CATALOG_H

#include "catalog_store.h"
#include "http.h"

#define LINES_MAX    50
#define QUANTITY_MAX 100000

struct priced_line {
    const char *article; /* the body's string */
    long long quantity;
    long long unit_price_minor;
    long long amount_minor;
    struct catalog_article a;
};

struct priced_lines {
    struct priced_line *v; /* malloc'ed; free with priced_lines_free */
    size_t n;
    long long total_minor;
    char currency[4];
    const struct priced_line *plan_line; /* the line that sets a plan, or NULL */
    /* 1 + the index of the first line whose article is a plan, whether or
     * not the line is right otherwise (0: none): who may not order a plan
     * is told so before any field error (orders.c). */
    size_t plan_named;
};

/* Reads `lines` of the body (JSON: an array of {article, quantity}; form:
 * lines[0][article]=...&lines[0][quantity]=...), prices each line from the
 * catalog and records 422 field errors (lines[N].article, ...), a plan
 * that does not fit account_kind among them (plan_misfit). Orders and
 * quotes both read their lines here, so both are checked alike. Returns
 * ST_OK (check body_failed afterwards) or a store error. */
int catalog_read_lines(struct request *req, json_t *body, const char *account_kind,
                       struct priced_lines *out);
void priced_lines_free(struct priced_lines *l);
/* [{article, name, quantity, unit_price, amount}] (a new reference); name
 * is the article's name in the catalog now, kept with a quote's lines and
 * in the order.create audit row. */
json_t *priced_lines_json(const struct priced_lines *l);

/* NULL if plan article a (or an add-on) fits an account of kind: a
 * reseller plan only a partner, a customer plan only a customer; else why
 * not (a static string). */
const char *plan_misfit(const struct catalog_article *a, const char *kind);

/* A plan code a request gives (upgrade's `plan`, the overview table's
 * filter[plan]), matched against the catalog's codes in any case, as
 * storefront aliases are (round-17 walkthrough of seed 002, D5: "Standard"
 * was no plan): the JSON string value is set to the catalog's code (an
 * exact match first), so whatever reads it afterwards — the change, its
 * audit rows, an error_to's values — has the code. A code the catalog does
 * not have records a 422 on field: unknown, a space and the catalog's
 * codes in its order ("must be a plan of the catalog: basic, free, ...").
 * Returns ST_OK (check body_failed afterwards), or a store error already
 * answered with res_store_failure. */
int catalog_plan_field(struct request *req, const char *field, json_t *value, const char *unknown);

/* Inside a transaction: may an account on plan `from` ("" for none: any
 * plan of its kind) take plan `to`? ST_OK, or ST_REFUSED with a 409 in
 * *ref (the same plan, or a change plan_upgrades does not list). pending:
 * the account's plan subscription is pending cancellation, so the same
 * plan's 409 says to withdraw the cancellation instead (round-13
 * walkthrough of seed 002, D2). */
int plan_change_check(struct sql_store *sql, const char *from, const char *to, int pending,
                      struct problem *ref);

#endif
