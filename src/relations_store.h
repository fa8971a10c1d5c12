/*
 * relations_store: the SQL of partner -> customer relations (STACKIT
 * method 1), one per pair (UNIQUE index: a second one is ST_DUPLICATE).
 * A relation is pending, then active or declined (the customer decides)
 * or withdrawn (the partner); an active one may be ended; a declined,
 * withdrawn or ended pair is asked again on its row (relation_reopen).
 */
#ifndef ACCOUNTD_RELATIONS_STORE_H
#define ACCOUNTD_RELATIONS_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* Inserts a relation with status "active" or "pending"; by_staff: operator
 * staff asked for the partner (requested_by_staff, migration 102: the
 * partner's lists name the customer). */
int relation_insert(struct sql_store *sql, unsigned long long partner_id,
                    unsigned long long customer_id, const char *status, const char *requested_by,
                    int by_staff, unsigned long long *id);
/* Inside a transaction: locks relation id and reads it as JSON (a new
 * reference) with its status. */
int relation_lock(struct sql_store *sql, unsigned long long id, json_t **out);
/* Inside a transaction: locks the relation of the pair, if any, and reads
 * it as JSON (ST_NOT_FOUND: none). */
int relation_lock_pair(struct sql_store *sql, unsigned long long partner_id,
                       unsigned long long customer_id, json_t **out);
/* Asks again on a declined, withdrawn or ended relation: pending, asked
 * by requested_by now, its decision and end cleared; requested_by_staff
 * set by by_staff (as for relation_insert) and never cleared: a name the
 * partner was told stays told. */
int relation_reopen(struct sql_store *sql, unsigned long long id, const char *requested_by,
                    int by_staff);
/* The pending relations of account_id, on either side, as rows (id,
 * partner_id, customer_id); lock: inside a transaction, FOR UPDATE (else
 * read before one, to read the people to tell from the directory). */
int relations_pending_of(struct sql_store *sql, unsigned long long account_id, int lock,
                         struct sql_result *out);
/* The active relations in which customer_id is the customer, as rows (id,
 * partner_id); lock: inside a transaction, FOR UPDATE (else read before
 * one, to read the partners' people from the directory). */
int relations_active_as_customer(struct sql_store *sql, unsigned long long customer_id, int lock,
                                 struct sql_result *out);
/* The active relations in which partner_id is the partner and the
 * customer is not its child (an existing organization related by request:
 * round-27 walkthrough of seed 003, D1), as rows (id, customer_id); lock
 * as for relations_active_as_customer (the relations only). */
int relations_active_outside(struct sql_store *sql, unsigned long long partner_id, int lock,
                             struct sql_result *out);
/* *customer_closed, *partner_closed 1 when that account is closed; one
 * statement. */
int relation_sides_closed(struct sql_store *sql, unsigned long long partner_id,
                          unsigned long long customer_id, int *partner_closed,
                          int *customer_closed);
/* Sets a pending relation's outcome by uid: "active" or "declined" (the
 * customer's decision), "withdrawn" (the partner's), in decided_by and
 * decided_at. */
int relation_decide(struct sql_store *sql, unsigned long long id, const char *status,
                    const char *uid);
/* Ends an active relation: "ended", ended_by uid, ended_at now (decided_by
 * and decided_at keep who approved it). */
int relation_end(struct sql_store *sql, unsigned long long id, const char *uid);
/* Relation id as the API shows it. */
int relation_read(struct sql_store *sql, unsigned long long id, json_t **out);
/* The partner and customer accounts of relation id (ST_NOT_FOUND if
 * none). */
int relation_sides(struct sql_store *sql, unsigned long long id, unsigned long long *partner,
                   unsigned long long *customer);
/* The customers of partner_id: its relations with an id above after,
 * oldest first, at most limit, each with the customer's name while it is
 * active or once it ended, or whenever operator staff asked for it (the
 * partner's mail named it: round-23 walkthrough of seed 003, D3), and its
 * status while active or once ended. */
int relation_customers(struct sql_store *sql, unsigned long long partner_id,
                       unsigned long long after, long limit, json_t **items);
/* The relations of account_id on either side, oldest first (status: NULL
 * for all, else only those), each with "side" ("customer": another account
 * asks to be, or is, this account's partner; "partner": this account asked)
 * and the other account's name: the partner's always, the customer's while
 * the relation is active or once it ended or when operator staff asked for
 * it (as GET /customers shows it). */
int relation_requests(struct sql_store *sql, unsigned long long account_id, const char *status,
                      json_t **items);
/* The kind and status of an existing (done) account, both "" if none
 * (16 bytes each). */
int relation_account_read(struct sql_store *sql, unsigned long long id, char kind[16],
                          char status[16]);
/* *known: 1 if the pair's relation is active or ended (the partner has
 * known the customer: GET /customers names it), else 0. */
int relation_known(struct sql_store *sql, unsigned long long partner_id,
                   unsigned long long customer_id, int *known);
/* The relation budget (config relation_budget; docs/api.md, "Relation
 * budget"), counted as the mail budget is (outbox.c): room for one more
 * request of partner_id within the last RELATION_BUDGET_WINDOW seconds,
 * whose requests are its relation.request audit rows? ST_OK (*retry_after
 * 0), or ST_TOO_MANY with *retry_after the seconds until the oldest
 * counted one leaves the window. limit 0: no limit. Inside the request's transaction,
 * which holds the partner's row lock, so two requests cannot both take the
 * last room; outside one it only reads whether the budget is spent. */
#define RELATION_BUDGET_WINDOW 3600
int relation_budget_take(struct sql_store *sql, unsigned long long partner_id, int limit,
                         int *retry_after);

#endif
