/*
 * notifications_store: the SQL of what the outbox holds for an account, as
 * the notifications listing shows it.
 */
#ifndef ACCOUNTD_NOTIFICATIONS_STORE_H
#define ACCOUNTD_NOTIFICATIONS_STORE_H

#include <jansson.h>

struct sql_store;

/* Up to limit mails of account_id, newest first, with ids below before (0:
 * from the newest): *items a JSON list of {id, template, category,
 * recipient, subject, status, attempts, deferrals, created_at, sent_at,
 * last_error} and *next the cursor of the next page (a string) or JSON
 * null; both new references, set only on ST_OK. */
int notifications_page(struct sql_store *sql, unsigned long long account_id,
                       unsigned long long before, long limit, json_t **items, json_t **next);

#endif
