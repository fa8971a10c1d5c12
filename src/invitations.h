/*
 * invitations: what other modules use of invitations.c.
 */
#ifndef ACCOUNTD_INVITATIONS_H
#define ACCOUNTD_INVITATIONS_H

#include "http.h"
#include "sql_store.h"

/* Inside the caller's transaction (which holds account_id's row): a person
 * LDAP knows by that mail gets the role at once and is mailed
 * added-to-account; anyone else gets a pending invitation and its mail.
 * *out receives {status: "added", uid, role} or {status: "invited", id,
 * email, role, expires_at}. Returns ST_*; anything but ST_OK must roll the
 * transaction back (an LDAP role added here is removed with the account's
 * entries by the caller's compensation). */
int invite_in_transaction(struct sql_store *sql, struct request *req, unsigned long long account_id,
                          const char *account_name, const char *email, unsigned role,
                          const char *first_name, const char *last_name, json_t **out);

/* The same for a hand-over (POST /accounts/{id}/transfer): always a
 * pending admin invitation with purpose 'transfer', also for an address LDAP
 * knows (the customer consents by accepting); accepting it completes the
 * hand-over (transfer.c). *invitation_id receives its id. */
int invite_transfer_in_transaction(struct sql_store *sql, struct request *req,
                                   unsigned long long account_id, const char *account_name,
                                   const char *email, const char *first_name, const char *last_name,
                                   json_t **out, unsigned long long *invitation_id);

#endif
