/*
 * mail_names: the names the directory has for the addresses a change is
 * about to mail, so that each mail greets its reader by name
 * ({{greeting}}: "Hello Pat Partner,"; round-11 leftover of seed 000, D5).
 *
 * Filled before the change's SQL transaction, since no LDAP call is made
 * inside one: from the people the write path read anyway (contacts,
 * admins, providers, the actor), or by one read of the person by mail
 * through the LDAP adapter (a notification recipient's address). The
 * outbox (outbox.h) then looks each recipient up in it inside the
 * transaction. An address with no name here is greeted "Hello,": a bare
 * notification recipient that is no person's, an address more than one
 * person has (no one person), a person without a cn. Never filled on a
 * read path.
 *
 * A saga's SQL side may run in `accountd maint` long after the request:
 * mail_names_json/mail_names_add_json carry the names in the intent's
 * data. Everything added is copied; mail_names_free frees it.
 */
#ifndef ACCOUNTD_MAIL_NAMES_H
#define ACCOUNTD_MAIL_NAMES_H

#include "http.h"
#include "ldap_store.h"
#include "sql_store.h"

#include <jansson.h>
#include <stddef.h>

struct mail_name {
    char *mail;
    char *name; /* NULL: looked up, no one person's name */
};

struct mail_names {
    struct mail_name *items;
    size_t n;
};

#define MAIL_NAMES_INIT                                                                            \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Records mail's name (NULL or "" for none). The first entry of an address
 * (equal but for case) wins: a name read from a person is never replaced
 * by a later "none". An empty or NULL mail is ignored. */
void mail_names_add(struct mail_names *m, const char *mail, const char *name);
/* The same for a person read from the directory: their mail and cn. */
void mail_names_add_person(struct mail_names *m, const struct person *p);
/* The name of mail, or NULL (unknown, or known to have none). */
const char *mail_names_find(const struct mail_names *m, const char *mail);

/* One read of the person by mail through the LDAP adapter, unless m
 * has the address already; no one person (none, several) records none.
 * ST_OK, or ST_UNAVAILABLE / ST_ERROR from the adapter. */
int mail_names_read(struct ldap_store *ls, struct mail_names *m, const char *mail);
/* The same for each notification recipient of account_id (read here,
 * outside any transaction), but those in skip (n_skip addresses, equal
 * but for case; may be NULL). Best effort: a greeting never fails a
 * change, so when the database or the directory does not answer, the
 * addresses not read yet stay without a name ("Hello,"). */
void mail_names_read_recipients(struct sql_store *sql, struct ldap_store *ls,
                                unsigned long long account_id, const char *const *skip,
                                size_t n_skip, struct mail_names *m);

/* The name a mail gives the person who acted (who: the caller, or a
 * person read from the directory with their grants in account order) on
 * account_id, with the organization they act for (docs/api.md,
 * "Invitations name the organization of who sends them", and "Billing
 * mails name the organization of who acted"): "Paul Partner of Acme
 * Partners" for a person of an account above it (the nearest where they
 * hold a role; not the operator account), also when they hold a role in
 * account_id too; "Olivia Operator on behalf of Acme Partners" for
 * operator staff (whatever roles they hold) in an account under a partner
 * or distributor ("of <the operator account>" where the operator account
 * is its parent or it has none; the name alone in the operator account);
 * the name alone for everyone else (the account's own people). A closed
 * account is never named as whom someone acts for or is of (round-25
 * walkthrough of seed 002, D1): operator staff under a closed partner or
 * distributor are "Olivia Operator (operator staff)"; a person of a
 * closed account above is named as of the next open account above where
 * they hold a role, else by name alone. Operator
 * staff: who->is_operator, or an admin of the operator account. One SQL
 * statement (account_ancestors); no LDAP, so it may run inside a
 * transaction. {{inviter_name}} of the invitation mails, the actor of
 * the billing mails. *out malloc'ed. */
int mail_actor_name(struct sql_store *sql, const struct caller *who, unsigned long long account_id,
                    char **out);
/* The same for a change an organization makes on every account below it
 * at once (a distributor's storefront host move, told to each reseller
 * under it, sub-resellers included): who is named as on an account right
 * below org_id, whichever account below reads it — "Dina Disti of Cloud
 * Disti" for its own people, "Olivia Operator on behalf of Cloud Disti"
 * for operator staff ("of <the operator account>" when org_id is the
 * operator account), never an account between org_id and the reader
 * (round-20 walkthrough of seed 002, D1: a sub-reseller was told its
 * parent reseller changed the host). One SQL statement
 * (account_with_ancestors); no LDAP. *out malloc'ed. */
int mail_actor_name_for(struct sql_store *sql, const struct caller *who, unsigned long long org_id,
                        char **out);
/* mail_actor_name_for of who closes closing_id, to the accounts right
 * below it (its parent-closed), inside the close's transaction:
 * closing_id counts as open, as it was when they acted ("Dina Disti of
 * Cloud Disti" closed Cloud Disti; round-25 walkthrough of seed 002,
 * D1). One SQL statement; *out malloc'ed. */
int mail_actor_name_closing(struct sql_store *sql, const struct caller *who,
                            unsigned long long closing_id, char **out);
/* The same for a person read from the directory who is not the caller
 * (the sender of an invitation being accepted, who acted on a billing
 * change): with the roles the directory gives them now (one read of
 * their grants through the LDAP adapter, so not inside a transaction).
 * *out malloc'ed; ST_OK, or ST_UNAVAILABLE / ST_ERROR. */
int mail_person_actor_name(struct sql_store *sql, struct ldap_store *ls, const struct person *p,
                           unsigned long long account_id, char **out);

/* {"<mail>": "<name>", ...} of the addresses that have a name (new
 * reference), and back: entries of an object made so (anything else in
 * it is skipped; NULL adds nothing). */
json_t *mail_names_json(const struct mail_names *m);
void mail_names_add_json(struct mail_names *m, const json_t *names);

void mail_names_free(struct mail_names *m);
/* A list as the mails say it: "A", "A and B", "A, B and C", each in quote
 * (e.g. "\"" for "\"Shop\" and \"Web\""; "" for none); NULL for none.
 * malloc'ed. */
char *mail_names_joined(const char *const *v, size_t n, const char *quote);
/* Account roles (ROLE_* bits) as the mails name them, articles included
 * ("an administrator, a billing person and a member"), appended to b. */
void mail_role_titles(struct buf *b, unsigned roles);

#endif
