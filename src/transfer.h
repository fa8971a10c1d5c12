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
#include "ldap_store.h"
#include "sql_store.h"

struct handover;

/* The hand-over in parts, for a caller that makes the LDAP step itself
 * (the saga API): transfer_prepare reads the people to move into a new *h
 * (the account's admins but the customer, and the parent's people who hold
 * billing without admin: round-4 walkthrough of seed 000, D1) and the
 * mails of the providers already there (told too, D4);
 * transfer_plan_moves adds each move to the plan (roles before ->
 * service-provider only); transfer_data is what the SQL side needs
 * (the customer's mail and name, the moved people's uids, mails, roles
 * before and whether each is an operator, the others' mails, whether
 * operator staff are the provider's side: {"customer_mail",
 * "customer_name", "providers": [{"uid", "mail", "roles", "operator"}],
 * "told": [mail], "stay_admins": [{"uid", "name", "mail"}], "operator_side"};
 * stay_admins: the account's other admins who are no person of the
 * provider's side, whom the hand-over leaves admin, names to the new owner
 * and mails account-handed-over (round-22 walkthrough of seed 000, D1);
 * an intent recorded before has none); the caller
 * may add "storefront_welcome", billing_welcome_late_data's object, for
 * the customer of a reseller with a live storefront), read before any
 * transaction, so that the SQL side makes no LDAP call and `accountd maint`
 * can run it from an intent's data; transfer_finish_sql is that SQL side,
 * inside the caller's transaction (the account still staged and
 * invitation_id the one its transfer record names, else 409 in *ref;
 * access rows, the moved people's admin and billing invitations handed to
 * the customer (round-18 walkthrough of seed 000, D1), recipients,
 * contacts, status, mails, audit rows). */
struct saga_plan;
int transfer_prepare(struct request *req, unsigned long long account_id, const char *customer_dn,
                     struct handover **h);
void transfer_plan_moves(const struct handover *h, struct saga_plan *plan);
json_t *transfer_data(const struct handover *h, const char *customer_mail,
                      const char *customer_name);
int transfer_finish_sql(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long invitation_id, const char *customer_uid,
                        const json_t *data, struct problem *ref);
/* The provider's side of a staged account (docs/api.md, "Staging and
 * hand-over"): the account whose people prepare it and hand it over. That
 * is its parent; for an account without a parent, which only operator
 * staff create, the operator account (round-17 walkthrough of seed 000,
 * D1: operator staff, any role in the operator account, play the part a
 * partner's people play under a partner). 0 for the operator account
 * itself and while there is none. */
unsigned long long transfer_side_account(struct request *req, unsigned long long account_id,
                                         unsigned long long parent_id);
/* 1 when the caller is of the provider's side of account a (docs/api.md,
 * "Staging and hand-over"): operator staff, a person of its parent (any
 * role there), or, for an account without a parent, a person of the
 * operator account. They prepared it and they hand it over; the
 * customer's admins they added while staging do not (round-23
 * walkthrough of seed 000, D1). No LDAP read but for a parentless
 * account. */
int transfer_caller_of_provider_side(struct request *req, const struct account_ref *a);
/* 1 when account a is staged and the caller is not of its provider's side
 * (transfer_caller_of_provider_side): the hand-over's steps, the close
 * and the change of the preparers' roles are not theirs
 * (transfer_refuse_not_provider_side,
 * transfer_refuse_close_not_provider_side,
 * transfer_refuse_preparers_roles). No read but for a parentless
 * staged account. */
int transfer_staged_not_provider_side(struct request *req, const struct account_ref *a);
/* The 403 to a caller who is not of that side (or no admin of the
 * account) on a step of the hand-over of staged account a: POST
 * .../transfer, and the resend or revoke of its invitation (round-24
 * walkthrough of seed 000, D1). Names who prepared it (two LDAP reads
 * and one SQL read, on this refusal only); nothing is written. */
void transfer_refuse_not_provider_side(struct request *req, const struct account_ref *a);
/* The same 403 to such a caller who closes staged account a (DELETE
 * /accounts/{id}): closing is the provider's step too, as it ends the
 * preparation and withdraws a pending hand-over (round-25 walkthrough of
 * seed 000, D1). Nothing is written. */
void transfer_refuse_close_not_provider_side(struct request *req, const struct account_ref *a);
/* The same 403 to such a caller who changes or removes the roles of one
 * of the people who prepared staged account a (PUT or DELETE
 * /accounts/{id}/members/{uid} of a person of its provider's side while
 * an admin of that side remains): the change of their roles is the
 * provider's step too, as it would hand the account over or take the
 * preparation from them (round-26 walkthrough of seed 000, D1).
 * side_names: the names of that side's admins of the account ("Paul
 * Partner and Petra Partner") as the caller has read them, so that the
 * refusal reads no directory entry again. ST_REFUSED with the 403
 * recorded in *ref (as the role change's other refusals are; nothing is
 * written), or a store status. */
int transfer_refuse_preparers_roles(struct request *req, const struct account_ref *a,
                                    const char *side_names, struct problem *ref);
/* The same refusal, on the same rule, to such a caller who ends or sets
 * the end of the service-provider access of dn, a person of the provider's
 * side (PATCH or DELETE /accounts/{id}/service-providers/{uid}; round-27
 * walkthrough of seed 000, D1), or who invites such a person to a role.
 * Reads that side and its admins here (on a staged account, for a caller
 * not of that side only). ST_REFUSED with the 403 in *ref, a store status,
 * or ST_OK when it does not apply. */
int transfer_refuse_preparers_change(struct request *req, const struct account_ref *a,
                                     const char *dn, struct problem *ref);
/* The people of the provider's side (transfer_side_account; any role
 * group), for telling the partner's people (or operator staff) from the
 * customer's: ST_OK with p filled (empty when there is no side);
 * p->operator_side is 1 when the side is the operator account. Free with
 * transfer_parent_free. */
struct transfer_parent {
    struct role_group *groups;
    size_t ngroups;
    struct member_index ix;
    int operator_side;
};
int transfer_parent_people(struct request *req, unsigned long long account_id,
                           struct transfer_parent *p);
void transfer_parent_free(struct transfer_parent *p);
/* 1 if dn is a person of the parent. */
int transfer_partner_person(const struct transfer_parent *p, const char *dn);
/* The roles dn holds in the account (*here, ROLE_* bits) and whether it
 * is a person of the provider's side (*of_parent: of the account's
 * parent, or operator staff for an account without one): both read, for
 * the transfer's message that tells the customer's admin already in the
 * account from the partner's people. */
int transfer_person_side(struct request *req, unsigned long long account_id, const char *dn,
                         unsigned *here, int *of_parent);
/* *is 1 when dn is one of the partner's people for a hand-over of the
 * account: a person of the provider's side (its parent, or operator
 * staff), or one who holds any of `roles` in it (round-4 walkthrough of
 * seed 000, D2). *operator_side (may be NULL) is 1 when the account has no
 * parent and operator staff are its provider's side. */
int transfer_is_partners(struct request *req, unsigned long long account_id, const char *dn,
                         unsigned roles, int *is, int *operator_side);
/* The audit row transfer.demote of one moved person ({"uid", "roles"}:
 * the roles before; without them, admin). */
int transfer_audit_demote(struct sql_store *sql, const char *actor, unsigned long long account_id,
                          const json_t *moved);
/* The hand-over by self-demotion (docs/api.md, "Staging and hand-over"):
 * the SQL side of a role change in which an admin of a staged account
 * changed their own role from admin to another while an admin who is the
 * customer (no person of the parent account, members.c) remains, inside
 * the role change's transaction (saga_finish_sql, so the repair job
 * finishes it too). data is what the change recorded: {"contact": uid of
 * the one such customer admin, or absent, "repaired_by"?}. An
 * account no longer staged is left alone (ST_OK: the role change stands).
 * Else: pending transfer invitations revoked (their invitees mailed
 * invitation-withdrawn, naming data's "by", the actor's name, else the
 * actor), the contact (if any) made
 * both named contacts when the account has none, and the contacts someone
 * else held moved to them (round-16 walkthrough of seed 000, D2), mailed
 * contact-changed (and, with data's "storefront_welcome", the late
 * storefront-welcome: round-17 walkthrough of seed 002, D2); when no
 * contact changes, data's "owners" (the customer's admins) mailed
 * account-handed-over; the new owner's text says where the notifications
 * go (round-22 walkthrough of seed 000, D2); the account active;
 * audit rows transfer.contacts and transfer.complete (actor: actor).
 * data's "moved" ([{"uid", "roles"}]: partner people the role change moved
 * to service-provider only besides the actor, D1) get an access row
 * (granted by actor) and a transfer.demote row each. data's "partners"
 * (members.c: the partner's people it changed or left admin, but the
 * actor) are mailed handed-over-to-customer, and the new owner's text
 * names data's "still_admins" (round-19 walkthrough of seed 000, D1 and
 * D4; "changed_left_recipients": the removed person's address left the
 * recipients, saga_run.c). */
/* Inside the role change's transaction: the last person of the parent
 * left customer account_id, whose parent's back office therefore ends
 * (accounts.handed_over_at set, once), with an account.back_office_end
 * audit row naming who left. */
int transfer_end_back_office(struct sql_store *sql, unsigned long long account_id,
                             const char *actor, const char *left_uid);
int transfer_finish_self_demotion(struct sql_store *sql, unsigned long long account_id,
                                  const char *actor, const json_t *data);
/* Why a hand-over invitation the hand-over by self-demotion revoked no
 * longer works: its link's 410 (invitations.c) and the invitee's
 * invitation-withdrawn mail say it (round-12 walkthrough of seed 000, D5). */
#define TRANSFER_WITHDRAWN_BY_ROLE_CHANGE                                                          \
    "the account was handed over to its customer by a role change"
/* Inside the accept's transaction: an ordinary admin invitation to a
 * staged account was accepted, and its sender is told (round-15
 * walkthrough of seed 000, D2: the partner could not learn when to change
 * their own role, the hand-over's last step): invitation-accepted to
 * tell's {"mail", "name"} (the sender), naming {"joined", "email"} (who
 * accepted); {{handover_step}} the hand-over's step when tell's
 * "provider_side" is not false, else that the account stays staged until
 * the people who prepare it hand it over (a customer admin who invited
 * another: round-20 walkthrough of seed 000, D2). Nothing when the account
 * is no longer staged. Outside the mail budget (a spent budget must not
 * fail the accept). */
int transfer_mail_admin_accepted(struct sql_store *sql, unsigned long long account_id,
                                 const json_t *tell);
/* {{providers_note}} of transfer-invitation (invitation 1) and of
 * ownership-transferred (0): who keeps access once the customer takes the
 * account over, and what its administrators may end (migration 073). For
 * an account whose provider's side is operator staff (operator_side: no
 * parent) it says that they are the platform's staff and that the
 * platform's operators keep access to every account as operators, which
 * no administrator of the account ends (round-18 walkthrough of seed 000,
 * D2: the mails promised the customer they could end it). Under a parent,
 * operators names the operator staff among the people the hand-over moves
 * and partners the partner's people (NULL for none): with operator staff
 * among them it says that operator staff act in every account as the
 * platform's operators, and offers to revoke only the partner's people's
 * access (round-25 walkthrough of seed 000, D2). Allocated. */
char *transfer_providers_note(int operator_side, int invitation, const char *operators,
                              const char *partners);
/* The names of the people a hand-over moves (its data's "providers", named
 * by its "names"), split into the operator staff among them (*operators)
 * and the others (*partners): "A", "A and B", "A, B and C", NULL for none;
 * allocated. */
void transfer_moved_names(const json_t *providers, const json_t *names, char **operators,
                          char **partners);
/* The same for the people a hand-over of account_id would move now (the
 * transfer-invitation's note): reads LDAP as transfer_prepare, so before
 * the transaction that sends it (POST .../transfer, the resend). */
int transfer_moved_names_now(struct request *req, unsigned long long account_id, char **operators,
                             char **partners);
/* Frees *h (safe with *h NULL). */
void transfer_forget(struct handover **h);

#endif
