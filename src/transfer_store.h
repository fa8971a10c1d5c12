/*
 * transfer_store: the SQL of staging and hand-over (Loftware): the
 * account_transfers row, the account's status, recipients and contacts as
 * the hand-over leaves them.
 */
#ifndef ACCOUNTD_TRANSFER_STORE_H
#define ACCOUNTD_TRANSFER_STORE_H

#include "sql_store.h"

/* Locks the account row: its status and name (malloc'ed) in *status and
 * *name. ST_NOT_FOUND if there is no such (done) account. */
int transfer_lock_account(struct sql_store *sql, unsigned long long id, char **status, char **name);
/* Records (or replaces) the pending hand-over of account_id. */
int transfer_record_request(struct sql_store *sql, unsigned long long account_id,
                            unsigned long long invitation_id, const char *email,
                            const char *requested_by);
/* Revokes every pending transfer invitation of account_id except the one
 * to keep_email (compared without case; that one a new transfer renews):
 * their ids in *ids (malloc'ed, *n of them, possibly none), for the audit
 * trail. Inside the transaction that holds the account row. */
int transfer_revoke_pending(struct sql_store *sql, unsigned long long account_id,
                            const char *keep_email, unsigned long long **ids, size_t *n);
/* The invitation that completes the pending hand-over of account_id (the
 * last transfer's), locked: ST_NOT_FOUND when there is no pending one. */
int transfer_current_invitation(struct sql_store *sql, unsigned long long account_id,
                                unsigned long long *invitation_id);
/* The pending hand-over of account_id as its invitee is told it: the
 * invitation's id and address (*email malloc'ed) and *expired (1: its link
 * has expired, a resend renews it); ST_NOT_FOUND when none is pending. A
 * plain read, no lock: for a refusal's detail (members.c, round-14
 * walkthrough of seed 000, D2). */
int transfer_pending_invitee(struct sql_store *sql, unsigned long long account_id,
                             unsigned long long *invitation_id, char **email, int *expired);
/* Marks the hand-over done and the account active (version raised,
 * handed_over_at set: the parent's back office ends, caller.h). */
int transfer_record_done(struct sql_store *sql, unsigned long long account_id,
                         const char *customer_uid);
/* Inside a transaction: account_id handed over to its customer now, unless
 * it was already (*changed 0): the parent's roles open nothing there. */
int transfer_store_mark_handed_over(struct sql_store *sql, unsigned long long account_id,
                                    int *changed);
/* Makes the account active and handed over (version raised,
 * handed_over_at set), no transfer record involved: the hand-over by
 * self-demotion. */
int transfer_activate(struct sql_store *sql, unsigned long long account_id);
/* Replaces the account's notification recipients with one address. */
int transfer_set_recipients(struct sql_store *sql, unsigned long long account_id,
                            const char *email);
/* Makes uid both named contacts of the account. */
int transfer_set_contacts(struct sql_store *sql, unsigned long long account_id, const char *uid);
/* Who completed the hand-over of account_id, as its newest
 * transfer.complete audit row says: *uid (malloc'ed) its actor, and
 * *by_role_change 1 for a hand-over by a role change, 0 for the accept of
 * POST …/transfer. ST_NOT_FOUND when the trail has none (an account whose
 * parent's back office ended without a hand-over). A plain read, for a
 * refusal's detail only (members.c; round-19 walkthrough of seed 000, D1). */
int transfer_completed_by(struct sql_store *sql, unsigned long long account_id, char **uid,
                          int *by_role_change);

#endif
