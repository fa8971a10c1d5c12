/*
 * retention_store: the SQL of a closed account's end (retention.h): which
 * accounts are past their retention, and the purge of their access and
 * personal data in one transaction.
 */
#ifndef ACCOUNTD_RETENTION_STORE_H
#define ACCOUNTD_RETENTION_STORE_H

#include <stddef.h>

struct sql_store;

/* Closed accounts not yet purged whose closed_at is at least days before
 * now ("YYYY-MM-DD HH:MM:SS", UTC): *ids (malloc'ed), *n. */
int retention_due(struct sql_store *sql, const char *now, int days, unsigned long long **ids,
                  size_t *n);

/* What a purge removed, for its audit row. */
struct retention_purged {
    unsigned long long contacts, recipients, values, providers, projects, invitations;
};

/* Inside a transaction: the account (still closed, not purged: else
 * ST_NOT_FOUND) loses its contacts, notification recipients, property
 * values, service-provider access rows and projects; its pending
 * invitations are revoked; purged_at is set to now. */
int retention_purge_tx(struct sql_store *sql, unsigned long long id, const char *now,
                       struct retention_purged *out);

#endif
