/*
 * contacts: what the account overview (accounts.c) shows of the two named
 * contacts.
 */
#ifndef ACCOUNTD_CONTACTS_H
#define ACCOUNTD_CONTACTS_H

#include "http.h"

/* contacts.c: {primary, technical} for the overview, each {uid, name,
 * mail} (name and mail from members) or null: null also for a contact who
 * is not an admin in members (roles changed in LDAP directly); kinds is
 * the text of account_read()'s ACCOUNT_COL_CONTACTS (account_store.h;
 * NULL: none). A new reference. */
json_t *contacts_json(const char *kinds, json_t *members);

#endif
