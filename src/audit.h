/*
 * audit: the audit trail. Every change writes one row — when, who (uid),
 * which account, what (an action such as "account.update"), old and new
 * values as JSON — in the same transaction as the change itself.
 */
#ifndef ACCOUNTD_AUDIT_H
#define ACCOUNTD_AUDIT_H

#include "sql_store.h"

#include <jansson.h>

/* An audit value as an HTTP answer shows it: every integer member named
 * `id` or `*_id` (and every integer in a `*_ids` list), at any depth,
 * becomes a decimal string, as the contract wants ids in JSON (modules
 * write them as numbers). Changes v in place and returns it. */
json_t *audit_value_for_answer(json_t *v);

/* old_value and new_value may be NULL; both are stolen (released here,
 * like the values given to jansson's *_new functions), so a caller can
 * pass what json_pack() returns. */
int audit_write(struct sql_store *sql, const char *uid, unsigned long long account_id,
                const char *action, json_t *old_value, json_t *new_value);

/* One page of account_id's audit trail, newest first: rows with id below
 * before_id (0: from the newest), at in [from, to) when given ("YYYY-MM-DD
 * HH:MM:SS", NULL: open), by uid actor when given (case ignored). Columns: id, at (RFC
 * 3339), uid, action, old_value, new_value; at most limit rows. */
int audit_page(struct sql_store *sql, unsigned long long account_id, unsigned long long before_id,
               const char *from, const char *to, const char *actor, long limit,
               struct sql_result *out);

#endif
