/*
 * invitations_store: the SQL of invitations (table invitations). Tokens
 * reach MariaDB only as their SHA-256 (token_hash, 64 hex digits).
 */
#ifndef ACCOUNTD_INVITATIONS_STORE_H
#define ACCOUNTD_INVITATIONS_STORE_H

#include <jansson.h>

struct sql_store;

/* One invitation as invitation_by_token reads it (strings malloc'ed,
 * invitation_row_free). */
struct invitation_row {
    unsigned long long id, account_id;
    char *email, *role, *first_name, *last_name; /* names may be NULL */
    char *status;                                /* pending, accepted, revoked */
    int expired;
    char *account_status;
    char *purpose;                 /* member, transfer or project */
    unsigned long long project_id; /* a project invitation's project, else 0 */
    int project_exists;            /* that project is there (created, not purged) */
    char *invited_by;              /* the inviter's uid (NULL: none recorded) */
    /* A revoked hand-over invitation that was the account's pending
     * transfer (account_transfers, never completed) while the account was
     * handed over: the hand-over by role change revoked it. */
    int handed_over_otherwise;
};
void invitation_row_free(struct invitation_row *r);
/* A link a resend or a new invitation to the same address replaced: the
 * status of its invitation now (malloc'ed), its id and account, or
 * ST_NOT_FOUND for a token that was never a link. */
int invitation_superseded(struct sql_store *sql, const char *token_hash, char **status,
                          unsigned long long *id, unsigned long long *account_id);

/* Creates the pending invitation of email in account_id (to project_id
 * of it, purpose "project", when project_id is not 0), or renews the one
 * there is for that account or project (new token and expiry, same id):
 * *id. */
int invitation_upsert(struct sql_store *sql, unsigned long long account_id,
                      unsigned long long project_id, const char *email, const char *role,
                      const char *purpose, const char *first_name, const char *last_name,
                      const char *token_hash, const char *invited_by, long ttl_seconds,
                      unsigned long long *id);
/* The pending invitation (expired or not) an upsert of email to
 * account_id (project_id, 0 for the account) would renew, as
 * invitation_pending_of reads it (strings malloc'ed,
 * pending_invitation_free). */
struct pending_invitation {
    unsigned long long id;
    char *purpose; /* member, transfer, project or contact */
    char *role;
    char *expires_at; /* RFC 3339 UTC */
    char *invited_by; /* the uid of who sent its link (NULL: none recorded) */
};
void pending_invitation_free(struct pending_invitation *p);
/* Locks (FOR UPDATE) and reads that invitation, address compared without
 * case; ST_NOT_FOUND if there is none. Inside a transaction. */
int invitation_pending_of(struct sql_store *sql, unsigned long long account_id,
                          unsigned long long project_id, const char *email,
                          struct pending_invitation *out);
/* What an invitation's mail (and its audit row) says: address, role,
 * expiry (RFC 3339), its project (0 and NULL for an account invitation),
 * the names given with it (NULL when none), its purpose (member,
 * transfer, project, contact) and its sender; and its account and
 * status. */
struct invitation_mail {
    char *email, *role, *expires_at;
    unsigned long long project_id, account_id;
    int pending;
    char *project_name, *first_name, *last_name, *purpose;
    char *invited_by; /* who sent it (NULL: none recorded) */
    /* Its account has no parent (and is no operator account): operator
     * staff are its provider's side (transfer.h). */
    int parentless;
};
/* Reads invitation id into out (strings malloc'ed; free with
 * invitation_mail_free); ST_NOT_FOUND if there is none. */
int invitation_mail_fields(struct sql_store *sql, unsigned long long id,
                           struct invitation_mail *out);
void invitation_mail_free(struct invitation_mail *m);
/* The pending, unexpired invitations of account_id (its projects' too),
 * or only those of project project_id when it is not 0, as a JSON list of
 * {id, email, role, status, invited_by, created_at, expires_at,
 * project_id, purpose} (project_id null for an account invitation). */
int invitations_pending(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long project_id, json_t **items);
/* Invitation id of account_id (its projects' too), or of project
 * project_id when that is not 0, as an item of that list (*item, a new
 * reference) with its status now: pending, expired (pending, past its
 * expires_at), accepted or revoked. ST_NOT_FOUND when it is not one of
 * theirs. */
int invitation_read(struct sql_store *sql, unsigned long long id, unsigned long long account_id,
                    unsigned long long project_id, json_t **item);
/* Locks pending invitation id of account_id (FOR UPDATE), and of project
 * project_id when that is not 0, and reads it into *out (as
 * invitation_pending_of; pending_invitation_free), or ST_NOT_FOUND. */
int invitation_lock_pending(struct sql_store *sql, unsigned long long id,
                            unsigned long long account_id, unsigned long long project_id,
                            struct pending_invitation *out);
/* Revokes the pending member invitation of mail to account_id (not a
 * hand-over's, a contact's or a project's), or with project_id not 0 the
 * pending invitation of mail to that project of it, if there is one, and
 * returns its id in *id (0: none): the address was added at once (round-4
 * walkthrough of seed 001; projects: round-20 walkthrough of seed 003,
 * D1). */
int invitation_revoke_member_of(struct sql_store *sql, unsigned long long account_id,
                                unsigned long long project_id, const char *mail,
                                unsigned long long *id);
/* Revokes pending invitation id of account_id: ST_NOT_FOUND if it is not
 * pending there. */
int invitation_revoke(struct sql_store *sql, unsigned long long id, unsigned long long account_id);
/* A new token and expiry for pending invitation id of account_id, and
 * invited_by its sender from now on (NULL: the sender stays):
 * ST_NOT_FOUND if it is not pending there. */
int invitation_renew(struct sql_store *sql, unsigned long long id, unsigned long long account_id,
                     const char *token_hash, long ttl_seconds, const char *invited_by);
/* Inside the transaction that holds the account's row: the pending,
 * unexpired account invitations of account_id (no project's, no
 * hand-over's) that uid sent (compared without case), locked, as a JSON
 * list of {id, email, role, invited_by, purpose} in *items (a new
 * reference). For the hand-over, which makes the customer their sender
 * (round-18 walkthrough of seed 000, D1), and the take-over of the
 * parent's admin, who becomes the sender of the last admin's they remove
 * (saga_run.c; round-21 walkthrough of seed 001, D1). */
int invitations_sent_by(struct sql_store *sql, unsigned long long account_id, const char *uid,
                        json_t **items);
/* invitations_sent_by with the projects' invitations too: the pending,
 * unexpired invitations of account_id and of its projects (no
 * hand-over's) that uid sent, the account's first, locked, as a JSON list
 * of {id, email, role, invited_by, purpose, project_id, project_name}
 * (project_id and project_name null for an account invitation). For the
 * take-over of the parent's admin, who becomes the account's admin and
 * so may give any of them (saga_run.c; round-23 walkthrough of seed 001,
 * D1), and the removal without one, which names those that stop
 * working. */
int invitations_sent_here(struct sql_store *sql, unsigned long long account_id, const char *uid,
                          json_t **items);
/* Inside a transaction: pending invitation id is sent by uid from now on
 * (its token, expiry and mail stay as they are). */
int invitation_set_sender(struct sql_store *sql, unsigned long long id, const char *uid);
/* Why invitation id of account_id was revoked: the reason of its
 * invitation.revoke audit row (malloc'ed; NULL when none was recorded, a
 * revoke by its sender): "added at once" (its person was added to the
 * account at once, saga_run.c; round-13 walkthrough of seed 001, D3),
 * "the project was deleted" (projects.c; round-14 walkthrough of seed
 * 003, D3), ... Read only when a revoked link is used, in a statement of
 * its own: the accept's own path never touches the audit table before its
 * last step. */
int invitation_revoke_reason(struct sql_store *sql, unsigned long long id,
                             unsigned long long account_id, char **reason);
/* The invitation of a token hash with its account's status, or
 * ST_NOT_FOUND; lock: FOR UPDATE (inside a transaction). */
int invitation_by_token(struct sql_store *sql, const char *token_hash, int lock,
                        struct invitation_row *out);
/* Marks pending invitation id accepted by uid: ST_CONFLICT if it is not
 * pending (any more), or when token_hash is not NULL and the invitation's
 * token is no longer that one (resent, or renewed by a new invitation of
 * its address, while it was being accepted: round-6 walkthrough of seed
 * 003, R1). */
int invitation_mark_accepted(struct sql_store *sql, unsigned long long id, const char *token_hash,
                             const char *uid);

/* Inside a transaction: revokes every pending invitation of account_id
 * (its projects' too): their ids in *ids (malloc'ed), *n. */
int invitations_revoke_all(struct sql_store *sql, unsigned long long account_id,
                           unsigned long long **ids, size_t *n);

#endif
