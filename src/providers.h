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

/* Inside the change's transaction: the service provider (mail, name; no
 * mail: nothing) is told that changed_by changed their access to
 * account_id: change is "ends on <time>", "no longer ends" or "was ended"
 * (provider-access-changed; round-13 walkthrough of seed 000, N3); the
 * mail's {{what_changed}} is the whole sentence made of it (round-16
 * walkthrough of seed 000, D4). is_operator: the provider is an operator (an
 * admin of the operator account), whose "was ended" says that the
 * service-provider role was removed and that they keep their operator
 * access (round-18 walkthrough of seed 000, D2: it said "you no longer
 * have access", and nothing changed for them).
 * Outside the mail budget: the customer's decision must not fail on it. */
int providers_mail_changed(struct sql_store *sql, unsigned long long account_id, const char *mail,
                           const char *name, const char *changed_by, const char *change,
                           int is_operator);

#endif
