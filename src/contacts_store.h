/*
 * contacts_store: the SQL of an account's named contacts (table
 * account_contacts: one uid per account and kind, primary or technical).
 */
#ifndef ACCOUNTD_CONTACTS_STORE_H
#define ACCOUNTD_CONTACTS_STORE_H

#include <jansson.h>

struct sql_store;

/* The uid of account_id's contact of kind: *uid malloc'ed, NULL if none. */
int contact_get(struct sql_store *sql, unsigned long long account_id, const char *kind, char **uid);
/* Makes uid account_id's contact of kind (creating or replacing it). */
int contact_set(struct sql_store *sql, unsigned long long account_id, const char *kind,
                const char *uid);

#endif
