/*
 * transfer: staging and hand-over (Loftware). A partner creates an account
 * `staged`, prepares it, then POST /accounts/{id}/transfer invites the
 * customer as admin; when the customer accepts (invitations.c), the
 * hand-over completes in the accept's transaction: the partner's people
 * move from admin to service-provider, the notification recipients and the
 * named contacts become the customer's, the account becomes active, the
 * customer and the partner's people are mailed, and each step is audited.
 *
 * The hand-over's LDAP steps are made in one function (handover_ldap) and
 * undone by transfer_undo when the transaction does not commit.
 */
#ifndef ACCOUNTD_TRANSFER_H
#define ACCOUNTD_TRANSFER_H

#include "http.h"
#include "sql_store.h"

struct handover;

/* The hand-over in its three parts, for a caller that makes the LDAP step
 * itself (the saga API: saga_plan_also for each provider, then its SQL side
 * as the commit's function):
 * transfer_prepare reads the people to move (the account's admins but the
 * customer) into a new *h; transfer_providers lists their DNs and uids
 * (arrays malloc'ed, strings h's; returns the count); transfer_apply_ldap
 * makes the LDAP steps (admin -> service-provider, recorded in h for
 * transfer_undo); transfer_data is what the SQL side needs (the customer's
 * mail and name, the providers' uids and mails: {"customer_mail",
 * "customer_name", "providers": [{"uid", "mail"}]}), read before any
 * transaction, so that the SQL side makes no LDAP call and `accountd maint`
 * can run it from an intent's data; transfer_finish_sql is that SQL side,
 * inside the caller's transaction (the account still staged and
 * invitation_id the one its transfer record names, else 409 in *ref;
 * access rows, recipients, contacts, status, mails, audit rows). */
int transfer_prepare(struct request *req, unsigned long long account_id, const char *customer_dn,
                     struct handover **h);
size_t transfer_providers(const struct handover *h, const char ***dns, const char ***uids);
int transfer_apply_ldap(struct request *req, struct handover *h);
json_t *transfer_data(const struct handover *h, const char *customer_mail,
                      const char *customer_name);
int transfer_finish_sql(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long invitation_id, const char *customer_uid,
                        const json_t *data, struct problem *ref);
/* The hand-over by self-demotion (docs/api.md, "Staging and hand-over"):
 * the SQL side of a role change in which an admin of a staged account
 * changed their own role from admin to another while an admin who is the
 * customer (no person of the parent account, members.c) remains, inside
 * the role change's transaction (saga_finish_sql, so the repair job
 * finishes it too). data is what the change recorded: {"contact": uid of
 * the one such customer admin, or absent, "repaired_by"?}. An
 * account no longer staged is left alone (ST_OK: the role change stands).
 * Else: pending transfer invitations revoked, the contact (if any) made
 * both named contacts when the account has none, the account active;
 * audit rows transfer.contacts and transfer.complete (actor: actor). */
int transfer_finish_self_demotion(struct sql_store *sql, unsigned long long account_id,
                                  const char *actor, const json_t *data);
/* Takes back the LDAP steps of *h (a transaction that did not commit) and
 * frees it. Safe with *h NULL. */
void transfer_undo(struct request *req, struct handover **h);
/* Frees *h, keeping its steps (the transaction committed). */
void transfer_forget(struct handover **h);

#endif
