/*
 * contacts: what the account overview (accounts.c) shows of the two named
 * contacts, who of them still counts as one (contacts_entry), and the
 * mail that tells of a contact named without a PUT.
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

struct sql_store;
struct mail_names;
struct person;

/* The directory entry of the account's contact uid (as contacts_store.h
 * names them), in *person while they are an admin of the account; left
 * empty when LDAP has no such person or an LDAP administrator took their
 * admin role away: a contact is an admin (contacts_json), else no
 * contact, neither mailed nor named. ST_OK, or the directory's failure.
 * Outside a transaction (LDAP reads); the caller frees *person
 * (person_free). */
int contacts_entry(struct request *req, unsigned long long account_id, const char *uid,
                   struct person *person);

/* The contact-changed mail of a person named contact without a PUT (the
 * contact person of POST /accounts, added at once or accepting): as a PUT
 * mails it, to them and to the account's notification recipients, naming
 * the kinds (CONTACT_PRIMARY, CONTACT_TECHNICAL bits of named_kinds: "primary
 * and technical" for both; uid: the named person, whose note names both
 * kinds when they hold the other one too) and old_name as the old contact (NULL:
 * "nobody"), who is mailed too at old_mail (may be NULL); changed_by
 * is who named them, changed_by_mail their address (may be NULL: none
 * known) and changed_by_admin 1 when they are an admin of the account
 * after the change ({{if_unexpected}}, contacts.c); names greets its
 * readers (may be NULL: "Hello,"); owner_text (may be NULL: no
 * hand-over) says that the change was a hand-over and the named person
 * its new owner (round-15 walkthrough of seed 000, D4): they are left out
 * of contact-changed and get account-handed-over instead, its
 * {{handed_over}} owner_text and then what being the contact means
 * (round-23 walkthrough of seed 000, D2: their copy of contact-changed
 * led with the contact and said the account was theirs after its
 * footer); an empty owner_text leaves them out only (told by the change's
 * first call: one mail for both kinds).
 * Nothing for named_kinds 0. Inside the transaction that names them. */
int contacts_mail_named(struct sql_store *sql, unsigned long long account_id,
                        const char *account_name, unsigned named_kinds, const char *uid,
                        const char *name, const char *mail, const char *changed_by,
                        const char *changed_by_mail, int changed_by_admin,
                        const struct mail_names *names, const char *owner_text,
                        const char *old_name, const char *old_mail);
/* contacts_mail_named with the account's notification recipients
 * (outbox_recipients) read by the caller: recipients, nrecipients. */
int contacts_mail_named_to(struct sql_store *sql, unsigned long long account_id,
                           const char *account_name, unsigned named_kinds, const char *uid,
                           const char *name, const char *mail, const char *changed_by,
                           const char *changed_by_mail, int changed_by_admin,
                           const struct mail_names *names, const char *owner_text,
                           const char *old_name, const char *old_mail, char *const *recipients,
                           size_t nrecipients);

/* Who made a change, as a contact-changed mail names them: name (as
 * mail_actor_name gives it; NULL: "an administrator of the account"),
 * mail (their address: their copy says they made it; NULL: none) and
 * admin (whether they are an admin of the account, as a contact PUT's
 * mail asks). A role change names its caller; an accepted admin
 * invitation its inviter (invitations.c; round-26 walkthrough of seed
 * 004, D3). */
struct contact_actor {
    const char *name;
    const char *mail;
    int admin;
};

/* A stored contact who did not count (no admin of the account: an LDAP
 * administrator took the role away) counts again when a role change
 * through accountd makes them admin again (round-26 walkthrough of seed
 * 004, D3: the overview named them contact again and nobody was told).
 * *kinds: the contacts (CONTACT_* bits) that count again, 0 when the
 * change makes no stored contact count again (they were admin before,
 * are no admin after, hold no contact row, or have no address). person:
 * the person changed, as the directory has them; roles_before,
 * roles_after: their account roles. One SQL read at most: a caller asks
 * this first and resolves who made the change only when *kinds. */
int contacts_again_kinds(struct sql_store *sql, unsigned long long account_id,
                         const struct person *person, unsigned roles_before, unsigned roles_after,
                         unsigned *kinds);
/* What the change's SQL step needs to tell kinds (contacts_again_kinds,
 * not 0) of person as a contact change does (contacts_again_mail): *out
 * {kinds, uid, name, mail, by, by_mail, by_admin, other_mail, names}, by
 * naming who made the change. Under the account's guard, before the
 * transaction (LDAP reads through the directory cache). *out a new
 * reference. */
int contacts_again_data(struct request *req, unsigned long long account_id,
                        const struct person *person, unsigned kinds, const struct contact_actor *by,
                        json_t **out);
/* Inside the change's transaction: contact-changed "from nobody to
 * <name>" for the kinds of again (contacts_again_data; NULL or not an
 * object: nothing) to the person, the other contact and the
 * notification recipients, as a contact PUT mails it. The audit rows are
 * the caller's (contact.set per kind). */
int contacts_again_mail(struct sql_store *sql, unsigned long long account_id, const json_t *again);

#endif
