/*
 * recipients_store: the SQL of an account's notification recipients
 * (table notification_recipients; read with outbox_recipients()).
 */
#ifndef ACCOUNTD_RECIPIENTS_STORE_H
#define ACCOUNTD_RECIPIENTS_STORE_H

#include <stddef.h>

struct sql_store;

/* Inside a transaction: replaces account_id's recipients by emails[0..*n)
 * in that order. An address equal to an earlier one in the column's
 * collation (e.g. a non-ASCII letter in another case) is dropped: freed,
 * removed from emails, *n lowered. ST_OK or the store's status. */
int recipients_replace(struct sql_store *sql, unsigned long long account_id, char **emails,
                       size_t *n);

#endif
