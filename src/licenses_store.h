/*
 * licenses_store: the SQL of an account's licenses (LineMetrics): one row
 * per feature with the quantity its live subscriptions grant, the units
 * other services consumed, and a license key. consume and release are
 * single conditional UPDATEs, so concurrent calls never pass the quota.
 */
#ifndef ACCOUNTD_LICENSES_STORE_H
#define ACCOUNTD_LICENSES_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* Inside a transaction: adds (sign +1) or takes back (sign -1) what
 * subscription sid grants its account (its articles' licenses times their
 * quantities). A license a feature first gets has a fresh key. */
int licenses_store_grant(struct sql_store *sql, unsigned long long account_id,
                         unsigned long long sid, int sign);
/* [{feature, quantity, used, available, key}] (a new reference). */
int licenses_store_list(struct sql_store *sql, unsigned long long account_id, json_t **out);
/* Inside a transaction: used += n if it stays within quantity. ST_OK,
 * ST_NOT_FOUND (no such license), ST_CONFLICT (past the quota; *quantity
 * and *used tell the state). On ST_OK *quantity and *used are the new
 * state. */
int licenses_store_consume(struct sql_store *sql, unsigned long long account_id,
                           const char *feature, long long n, long long *quantity, long long *used);
/* used -= n if at least n are used; as consume otherwise. */
int licenses_store_release(struct sql_store *sql, unsigned long long account_id,
                           const char *feature, long long n, long long *quantity, long long *used);

#endif
