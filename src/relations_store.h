/*
 * relations_store: the SQL of partner -> customer relations (STACKIT
 * method 1), one per pair (UNIQUE index: a second one is ST_DUPLICATE).
 */
#ifndef ACCOUNTD_RELATIONS_STORE_H
#define ACCOUNTD_RELATIONS_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* Inserts a relation with status "active" or "pending". */
int relation_insert(struct sql_store *sql, unsigned long long partner_id,
                    unsigned long long customer_id, const char *status, const char *requested_by,
                    unsigned long long *id);
/* The customer account of relation id (ST_NOT_FOUND if none). */
int relation_customer(struct sql_store *sql, unsigned long long id, unsigned long long *customer);
/* Inside a transaction: locks relation id and reads it as JSON (a new
 * reference) with its status. */
int relation_lock(struct sql_store *sql, unsigned long long id, json_t **out);
/* Sets a pending relation's decision ("active" or "declined"). */
/* Inside a transaction: the pending relations of account_id, on either
 * side, locked (FOR UPDATE), as rows (id, partner_id, customer_id). */
int relations_pending_of(struct sql_store *sql, unsigned long long account_id,
                         struct sql_result *out);
int relation_decide(struct sql_store *sql, unsigned long long id, const char *status,
                    const char *uid);
/* Relation id as the API shows it. */
int relation_read(struct sql_store *sql, unsigned long long id, json_t **out);
/* The partner and customer accounts of relation id (ST_NOT_FOUND if
 * none). */
int relation_sides(struct sql_store *sql, unsigned long long id, unsigned long long *partner,
                   unsigned long long *customer);
/* The customers of partner_id: its relations with an id above after,
 * oldest first, at most limit, each with the customer's name once it is
 * active. */
int relation_customers(struct sql_store *sql, unsigned long long partner_id,
                       unsigned long long after, long limit, json_t **items);
/* The relations of account_id on either side, oldest first (status: NULL
 * for all, else only those), each with "side" ("customer": another account
 * asks to be, or is, this account's partner; "partner": this account asked)
 * and the other account's name: the partner's always, the customer's once
 * the relation is active (as GET /customers shows it). */
int relation_requests(struct sql_store *sql, unsigned long long account_id, const char *status,
                      json_t **items);
/* The kind of an existing (done) account, "" if none (kind: 16 bytes). */
int relation_account_kind(struct sql_store *sql, unsigned long long id, char kind[16]);

#endif
