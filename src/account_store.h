/*
 * account_store: what every resource needs of an account — its row locked
 * for a change, and its people with their roles. Resource modules include
 * this, never each other's headers.
 */
#ifndef ACCOUNTD_ACCOUNT_STORE_H
#define ACCOUNTD_ACCOUNT_STORE_H

#include "http.h"

struct sql_store;

/* Inside a transaction: locks account id's row (SELECT ... FOR UPDATE), so
 * changes to one account are serialised. ST_OK, with its name in *name
 * (malloc'ed) when name is not NULL; ST_CONFLICT with a 409 in *ref for a
 * closed account; the store's status if the read failed. */
int account_lock(struct sql_store *sql, unsigned long long id, struct refusal *ref, char **name);

/* The members of account id as [{uid, name, mail, roles}] (a new
 * reference), or NULL with *st set when LDAP failed. */
json_t *members_json(struct request *req, unsigned long long id, int *st);

#endif
