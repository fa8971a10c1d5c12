/*
 * contacts: what the account overview (accounts.c) shows of the two named
 * contacts.
 */
#ifndef ACCOUNTD_CONTACTS_H
#define ACCOUNTD_CONTACTS_H

#include "http.h"

/* contacts.c: {primary, technical} for the overview, each {uid, name,
 * mail} (name and mail from members) or null. NULL with *st on failure. */
json_t *contacts_json(struct request *req, unsigned long long account_id, json_t *members, int *st);

#endif
