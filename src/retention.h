/*
 * retention: the end of a closed account, an `accountd maint` job. An
 * account closed at least account_retention_days ago (accountd.conf; 0
 * keeps closed accounts for ever) loses what gave people access to it and
 * what names people in it: first its LDAP entry with every role group and
 * project below it (nobody has a role in it any more), then in one
 * transaction its contacts, notification recipients, property values,
 * service-provider access rows and projects; its pending invitations are
 * revoked, purged_at is set and an audit row (account.purge, by
 * accountd-maint) says what went. The row itself (name, kind, parent,
 * company details) stays, with its orders, subscriptions, licenses,
 * invoices, quotes and audit trail: the bookkeeping outlives the account.
 * LDAP goes first: entries gone while the row is not yet marked are
 * harmless, and the next run finishes the purge.
 */
#ifndef ACCOUNTD_RETENTION_H
#define ACCOUNTD_RETENTION_H

#include "config.h"

/* Purges every closed account past its retention as of now
 * ("YYYY-MM-DD HH:MM:SS" UTC). Prints one line per account and a count.
 * Returns 0, or 1 when one could not be purged now. */
int retention_run(const struct config *cfg, const char *now);

#endif
