/*
 * intent_store: the SQL of ldap_intents (sql/005_ldap_intents.sql) and of
 * each account's guard (accounts.intent_id). Used by saga_run.c only.
 *
 * Every function here is one short statement or transaction: none is ever
 * called while an LDAP call is in flight on the same request, and none
 * holds a row lock after it returns (the *_tx ones run inside the
 * caller's transaction and hold what it holds).
 */
#ifndef ACCOUNTD_INTENT_STORE_H
#define ACCOUNTD_INTENT_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* Why intent_store_begin could not take the guard. */
enum intent_refusal { INTENT_OK = 0, INTENT_NO_ACCOUNT, INTENT_CLOSED, INTENT_BUSY };

/* One transaction: inserts an open intent of `kind` for account_id by
 * actor and sets it as the account's guard. ST_OK with *id; ST_CONFLICT
 * with *why when the account is missing, closed or guarded by another
 * open intent. A 'pending' account (being created) is accepted only when
 * allow_pending. */
int intent_store_begin(struct sql_store *sql, const char *kind, unsigned long long account_id,
                       const char *actor, int allow_pending, unsigned long long *id,
                       enum intent_refusal *why);
/* Inside the caller's transaction (an account create, whose row it has
 * just inserted): an open intent with its plan and data, set as the
 * account's guard. */
int intent_store_insert_tx(struct sql_store *sql, const char *kind, unsigned long long account_id,
                           const char *actor, const char *plan, const char *data,
                           unsigned long long *id);
/* The intent's state ("open", "done", "undone") in buf: ST_OK or a store
 * status (ST_NOT_FOUND if there is no such intent). */
int intent_store_state(struct sql_store *sql, unsigned long long id, char *buf, size_t size);
/* Autocommitted: the intent's plan and data (JSON text). */
int intent_store_set_plan(struct sql_store *sql, unsigned long long id, const char *plan,
                          const char *data);
/* Inside the caller's transaction: state 'done' (or 'undone' when undone
 * is set) with outcome, and the account's guard given back. ST_CONFLICT if
 * the intent was no longer open. */
int intent_store_close_tx(struct sql_store *sql, unsigned long long id,
                          unsigned long long account_id, int undone, const char *outcome);
/* The same in a transaction of its own. */
int intent_store_close(struct sql_store *sql, unsigned long long id, unsigned long long account_id,
                       int undone, const char *outcome);

struct intent_row {
    unsigned long long id, account_id;
    char *kind, *actor, *plan, *data; /* plan and data may be NULL */
};
void intent_rows_free(struct intent_row *rows, size_t n);
/* Open intents created at least min_age seconds ago, oldest first. */
int intent_store_open(struct sql_store *sql, int min_age, struct intent_row **out, size_t *n);

#endif
