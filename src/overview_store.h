/*
 * overview_store: the SQL of the account lists of GET /accounts: the
 * partner's overview table (?parent_id=), one page of children, sorted and
 * filtered by any column or property, and the property values of that
 * page's rows; and operator staff's search over every account (?search=).
 */
#ifndef ACCOUNTD_OVERVIEW_STORE_H
#define ACCOUNTD_OVERVIEW_STORE_H

#include "sql_store.h"

#include <jansson.h>

#define OVERVIEW_FILTERS 4

/* One page of a parent's children, ordered by (sort key, id), ascending or
 * descending. `column` is one of id, name, kind, status, plan, created_at,
 * or NULL to sort by the property definition sort_definition (an account
 * without a value sorts as the empty key, first). The sort key is a byte
 * string compared bytewise: the id zero-padded to 20 digits, the name's
 * UTF-8 bytes, kind and status by their names, plan ('' without one),
 * created_at as YYYYMMDDhhmmssffffff, a property's stored sort key. Keyset
 * paging: with after_key set only rows after (after_key, after_id) in that
 * order come; rows added meanwhile never make a row appear twice or go
 * missing. status/plan filter the columns, plan_status the status of the
 * child's live plan subscription (active, pending_cancellation; NULL: any);
 * filter_defs/filter_keys (n_filters of them) keep rows whose value of that
 * definition has that sort key. Result columns: id, name, kind, status,
 * plan, plan_status (NULL: no live plan subscription), has_values ("1" if
 * the child has any property value, else "0"), sort key; at most limit
 * rows. plan_status is the account's column (sql/098), which
 * subscriptions_store_set_plan_status writes where the live plan
 * subscription's status changes: a write to accounts, so it drops the
 * page's cached answers as any other does.
 *
 * A column sort reads the page from the index (parent_id, <key>, id)
 * (sql/008_overview_indexes.sql) starting at the cursor, so a page costs
 * its own rows (plus the rows a filter skips). A property sort reads the
 * values in their order from (definition_id, sort_key, account_id) and the
 * children without a value from (parent_id, id) (overview_store.c): the
 * latter part may read all of the parent's children when few lack a value.
 * No statement sorts; only a property filter makes one create a temporary
 * table (MariaDB's subquery cache, in memory). */
struct overview_query {
    unsigned long long parent_id;
    const char *column;
    unsigned long long sort_definition;
    int descending;
    const char *after_key;
    unsigned long long after_id;
    const char *status, *plan, *plan_status;
    unsigned long long filter_defs[OVERVIEW_FILTERS];
    const char *filter_keys[OVERVIEW_FILTERS];
    long limit;
};
int overview_page(struct sql_store *sql, const struct overview_query *q, struct sql_result *out);

/* The property values of the accounts ids[0..n-1] (one statement, plain
 * rows by primary key, for the ids whose has_values[i] is set; none when
 * no id has values): out[i] becomes a new JSON object {key: value} of
 * ids[i]'s values in the order of their definitions ({} without any). On
 * failure nothing is set. */
int overview_properties(struct sql_store *sql, const unsigned long long *ids, const int *has_values,
                        size_t n, json_t **out);

/* Operator staff's search (GET /accounts?search=, docs/api.md "Finding an
 * existing organization"): every finished account (ldap_state done;
 * closed ones too) whose name or company name contains text, both lowered
 * (LOWER) and compared bytewise (INSTR on the table's utf8mb4_bin, so
 * neither LIKE's % and _ nor an escape apply), or whose company VAT ID,
 * folded as fold_vat_id does (spaces, dots, dashes dropped, upper case),
 * equals vat_key (NULL: no VAT ID is compared). Ordered by name (its
 * bytes, name_key) and id, the rows after (after_name, after_id) in that
 * order (a keyset cursor: NULL and 0 for the first page), at most limit
 * rows, as a new array in *items of {id, name, kind, status, parent_id,
 * company: {name, country, vat_id}} (ids as decimal strings, as every
 * account body has them; parent_id null for the operator account).
 *
 * Cost: no index serves a substring, so the statement reads every account
 * row (the table's rows, not the page's), one statement per page; it
 * stays out of the query cache (no SQL_CACHE: each search text is its own
 * statement). */
int overview_search(struct sql_store *sql, const char *text, const char *vat_key,
                    const char *after_name, unsigned long long after_id, long limit,
                    json_t **items);

#endif
