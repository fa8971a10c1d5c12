/*
 * overview_store: the SQL of the partner's overview table
 * (GET /accounts?parent_id=): one page of children with their property
 * values, sorted and filtered by any column or property.
 */
#ifndef ACCOUNTD_OVERVIEW_STORE_H
#define ACCOUNTD_OVERVIEW_STORE_H

#include "sql_store.h"

#define OVERVIEW_FILTERS 4

/* One page of a parent's children, ordered by (sort key, id), ascending or
 * descending. `column` is one of id, name, kind, status, plan, created_at,
 * or NULL to sort by the property definition sort_definition (an account
 * without a value sorts as the empty key, first). Keyset paging: with
 * after_key set only rows after (after_key, after_id) in that order come;
 * rows added meanwhile never make a row appear twice or go missing.
 * status/plan filter the columns (NULL: any); filter_defs/filter_keys
 * (n_filters of them) keep rows whose value of that definition has that
 * sort key. Result columns: id, name, kind, status, plan, sort key,
 * properties (JSON object text or NULL), at most limit rows. */
struct overview_query {
    unsigned long long parent_id;
    const char *column;
    unsigned long long sort_definition;
    int descending;
    const char *after_key;
    unsigned long long after_id;
    const char *status, *plan;
    unsigned long long filter_defs[OVERVIEW_FILTERS];
    const char *filter_keys[OVERVIEW_FILTERS];
    long limit;
};
int overview_page(struct sql_store *sql, const struct overview_query *q, struct sql_result *out);

#endif
