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
/* The contact person named at an account's create, joining as admin: uid
 * becomes its primary and technical contact where it has none (a contact
 * already named stays), with the ETag moved and a contact.set audit row
 * by actor when anything changed. *named_kinds: the kinds named now
 * (CONTACT_PRIMARY, CONTACT_TECHNICAL bits). Inside a transaction. */
#define CONTACT_PRIMARY   1u
#define CONTACT_TECHNICAL 2u
int contacts_name_if_none(struct sql_store *sql, const char *actor, unsigned long long account_id,
                          const char *uid, unsigned *named_kinds);
/* Deletes every contact row (any account) that names uid, without regard
 * to case: a person created now with a uid a deleted person had. Each
 * row deleted gets a contact.unset audit row in its account by actor,
 * with the uid it named and why (round-6 walkthrough of seed 004, D4).
 * Inside a transaction. */
int contacts_forget_uid(struct sql_store *sql, const char *actor, const char *uid);
/* Makes uid account_id's contact of kind (creating or replacing it). */
int contact_set(struct sql_store *sql, unsigned long long account_id, const char *kind,
                const char *uid);

#endif
