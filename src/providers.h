/*
 * providers: what `accountd maint` and the role changes use of the
 * service-provider module: the expiry job, and the mails that tell a
 * provider their access changed or the customer's guardians that someone
 * was given the role.
 */
#ifndef ACCOUNTD_PROVIDERS_H
#define ACCOUNTD_PROVIDERS_H

#include "http.h"
#include "ldap_store.h"
#include "sql_store.h"

#include <jansson.h>

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
 * projects_note (may be NULL): the line of the project roles a revocation
 * took with it, as member-removed names them (round-23 walkthrough of
 * seed 000, D6), after the sentence.
 * kept: the roles a revocation left them in the account (ROLE_* bits):
 * when any, the mail says which role ended and which they keep, not "you
 * no longer have access" (round-27 walkthrough of seed 000, D2).
 * Outside the mail budget: the customer's decision must not fail on it. */
int providers_mail_changed(struct sql_store *sql, unsigned long long account_id, const char *mail,
                           const char *name, const char *changed_by, const char *change,
                           int is_operator, const char *projects_note, unsigned kept);

/* {{how}} of provider-granted: the three ways a service provider gives
 * the role (round-19 walkthrough of seed 000, D3). */
#define PROVIDER_GRANTED_AT_ONCE       "added at once, as a person the directory already knew"
#define PROVIDER_GRANTED_BY_INVITATION "by an invitation, which they have now accepted"
#define PROVIDER_GRANTED_BY_ROLES      "by a change of their roles in the account"

/* Outside a transaction, before a change by which a service provider (no
 * admin of account_id, no operator) gives grantee the service-provider
 * role (round-19 walkthrough of seed 000, D3: after the hand-over the
 * partner gave the role to an outside address, and the customer heard
 * nothing): what provider-granted tells the account's named contacts,
 * else its admins (never the caller, nor the grantee): *out a new
 * {to: [mail…], names: {mail: name}, granted_by, granted_to, how}, NULL
 * when nobody is left to tell. granted_by: who gave it, as
 * mail_actor_name names them; granted_to is the grantee with the
 * organization they act for and their address (mail_person_actor_name).
 * Reads the contacts and admins and the grantee's grants from the
 * directory; a store that does not answer fails the change (it would go
 * unnoticed), as recipients-added does. */
int providers_grant_notice(struct request *req, unsigned long long account_id,
                           const char *granted_by, const struct person *grantee, const char *how,
                           json_t **out);
/* Whether a change is one providers_grant_notice is for: made by a
 * service provider (by_roles, the maker's ROLE_* bits in the account,
 * without admin; by_operator: operator staff, who are not one) and
 * giving the grantee the service-provider role anew (their account
 * roles before and after the change). An admin's or operator's grant
 * mails nobody extra. Pure. */
int providers_grant_told(unsigned by_roles, int by_operator, unsigned before, unsigned after);
/* Inside the change's transaction: queues provider-granted as
 * providers_grant_notice described it (NULL or nobody: nothing), outside
 * the mail budget (the grant must not fail on it; the invitation and
 * added-to-account that led to it were counted). */
int providers_mail_granted(struct sql_store *sql, unsigned long long account_id,
                           const json_t *notice);

#endif
