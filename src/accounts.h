/*
 * accounts: shared pieces of the accounts module used by other resources.
 */
#ifndef ACCOUNTD_ACCOUNTS_H
#define ACCOUNTD_ACCOUNTS_H

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

/* contacts.c: {primary, technical} for the overview, each {uid, name,
 * mail} (name and mail from members) or null. NULL with *st on failure. */
json_t *contacts_json(struct request *req, unsigned long long account_id, json_t *members, int *st);

#endif
