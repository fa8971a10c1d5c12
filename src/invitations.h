/*
 * invitations: what other modules use of invitations.c.
 */
#ifndef ACCOUNTD_INVITATIONS_H
#define ACCOUNTD_INVITATIONS_H

#include "http.h"
#include "sql_store.h"

struct person;

/* Inside a transaction: an invitation.revoke audit row in account_id for
 * each of the n invitations a change revoked (the close, a new transfer),
 * by actor, with why (reason). */
int invitations_audit_revoked(struct sql_store *sql, const char *actor,
                              unsigned long long account_id, const unsigned long long *ids,
                              size_t n, const char *reason);

/* What the mails about a role name as {{account_name}}: the account's
 * name, or for a project `project "<project name>" in <account name>`
 * (malloc'ed), so that added-to-account and invitation say which project
 * without a placeholder of their own. */
char *invitation_place_name(const char *account_name, const char *project_name);

/* {{inviter_name}} of a mail that brings someone into an account (an
 * invitation of any purpose, added-to-account): mail_actor_name
 * (mail_names.h) of the caller. */

/* The person to add at once for an invitation to email: the one LDAP knows
 * by that mail AND who is in the caller's tenant tree (known->dn set);
 * anyone else is left empty (known zeroed) and gets an invitation. */
int invitation_find_addable(struct request *req, const char *email, struct person *known);

/* Inside the caller's transaction (no LDAP in here): when known is not
 * NULL, the caller's saga has given that person the role in LDAP, and they
 * are mailed added-to-account with a member.add audit row (neither when
 * known is the caller: the creator named as the contact already holds
 * the role; round-15 walkthrough of seed 003, D3); otherwise the
 * address gets a pending invitation and its mail. *out receives {status:
 * "added", uid, role} or {status: "invited", id, email, role, expires_at}.
 * Returns ST_*; anything but ST_OK must roll the transaction back. */
int invite_in_transaction(struct sql_store *sql, struct request *req, unsigned long long account_id,
                          const char *account_name, const char *email, unsigned role,
                          const char *first_name, const char *last_name, const struct person *known,
                          json_t **out);

/* The same for a hand-over (POST /accounts/{id}/transfer): always a
 * pending admin invitation with purpose 'transfer', also for an address LDAP
 * knows (the customer consents by accepting); accepting it completes the
 * hand-over (transfer.c). *invitation_id receives its id. moved_ops and
 * moved_partners: the names its mail gives the people the hand-over moves
 * (transfer_moved_names_now, read before the transaction; NULL for none).
 */
int invite_transfer_in_transaction(struct sql_store *sql, struct request *req,
                                   unsigned long long account_id, const char *account_name,
                                   const char *email, const char *first_name, const char *last_name,
                                   const char *moved_ops, const char *moved_partners, json_t **out,
                                   unsigned long long *invitation_id);

/* The rule of the accept (an invitation lasts no longer than its sender's
 * right to send it; docs/api.md, "Accepting"), on the sender's roles in
 * the account: 2 when roles (ROLE_* bits) keep an invitation of role
 * (ROLE_* bit; ignored for a project one) alive, 1 when they do only
 * while the sender's service-provider access has not expired, 0 when
 * they do not (an operator's staff and a project's owners hold besides:
 * invitation_sender_holds). transfer: a hand-over invitation. Pure. */
int invitation_roles_keep(unsigned roles, unsigned role, int project, int transfer);

/* Whether the person uid still may send an invitation of role (ROLE_*,
 * or a PROJECT_* bit with project_id) in account_id, as the accept asks
 * it (accept_inviter): *holds 1 or 0, *gone 1 when the directory no
 * longer has them. LDAP reads, and SQL for a provider's expiry. */
int invitation_sender_holds(struct request *req, unsigned long long account_id,
                            unsigned long long project_id, unsigned role, int transfer,
                            const char *uid, int *holds, int *gone);

#endif
