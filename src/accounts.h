/*
 * accounts: shared pieces of the accounts module used by other resources.
 */
#ifndef ACCOUNTD_ACCOUNTS_H
#define ACCOUNTD_ACCOUNTS_H

#include "http.h"

/* The members of account id as [{uid, name, mail, roles}] (a new
 * reference), or NULL with *st set when LDAP failed. */
json_t *members_json(struct request *req, unsigned long long id, int *st);

/* contacts.c: {primary, technical} for the overview, each {uid, name,
 * mail} (name and mail from members) or null. NULL with *st on failure. */
json_t *contacts_json(struct request *req, unsigned long long account_id, json_t *members, int *st);

#endif
