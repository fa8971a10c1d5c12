/*
 * accounts: shared pieces of the accounts module used by other resources.
 */
#ifndef ACCOUNTD_ACCOUNTS_H
#define ACCOUNTD_ACCOUNTS_H

#include "http.h"

/* The members of account id as [{uid, name, mail, roles}] (a new
 * reference), or NULL with *st set when LDAP failed. */
json_t *members_json(struct request *req, unsigned long long id, int *st);

#endif
