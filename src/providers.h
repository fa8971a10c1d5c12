/*
 * providers: what `accountd maint` uses of the service-provider module.
 */
#ifndef ACCOUNTD_PROVIDERS_H
#define ACCOUNTD_PROVIDERS_H

#include "ldap_store.h"
#include "sql_store.h"

/* Removes every service-provider access whose expires_at has passed: the
 * person leaves the account's service-provider group in LDAP, the row goes,
 * and an audit row (uid "accountd-maint") says so. Prints one line per
 * removal; *removed counts them. */
int providers_expire(struct sql_store *sql, struct ldap_store *ldap, int *removed);

#endif
