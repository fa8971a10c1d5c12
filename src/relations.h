/*
 * relations: customer relations (STACKIT method 1), what other modules
 * call besides the routes (handlers.h).
 */
#ifndef ACCOUNTD_RELATIONS_H
#define ACCOUNTD_RELATIONS_H

struct sql_store;

/* Inside the close's transaction: the pending relation requests of
 * account_id, on either side, are declined by uid (the one closing it),
 * each with a relation.decline audit row on both accounts (reason
 * "account closed"): a closed account can neither approve nor be
 * approved, so they would stay pending for ever (round-4 walkthrough of
 * seed 003). */
int relations_decline_on_close(struct sql_store *sql, unsigned long long account_id,
                               const char *uid);

#endif
