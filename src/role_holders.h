/*
 * role_holders: who of an account holds roles in its child accounts, and
 * what the close's mails say of them (round-18 walkthrough of seed 001,
 * D1 and D2).
 *
 * A partner's person who creates a child becomes its admin (LineMetrics:
 * "wird der Benutzer … auch als Administrators des neuen Accounts
 * eingetragen") and keeps every right there when the partner is closed:
 * access to a child comes from its own role groups, which a close of the
 * parent does not touch. Only a distributor has a back office (its
 * people's roles in the parent), and that ends with the close. So the
 * mails of a close name the parent's people who still hold roles in
 * each child, with their roles, instead of saying that they no longer
 * act for it, and speak of a back office and a storefront host only for
 * a distributor.
 *
 * Read before the close's transaction (no LDAP call inside it): the role
 * groups of the parent and of its children in one read through the
 * directory adapter (ldap_store_role_groups: the process's directory
 * cache while it is live, else one search), the people among the DNs
 * found in one more (ldap_store_people_by_dn). The matching and the
 * sentences are pure and unit-tested. Never on a read path.
 *
 * The same walk serves the removal of one person from a partner or a
 * distributor (round-20 walkthrough of seed 001, D1): the children they
 * still hold roles in, with the roles and whether they are the only
 * admin there, for the mail that names them to the remover and the
 * account's contacts (role_holders_read_person, role_holders_person_lines).
 */
#ifndef ACCOUNTD_ROLE_HOLDERS_H
#define ACCOUNTD_ROLE_HOLDERS_H

#include "account_store.h"
#include "buf.h"
#include "ldap_store.h"

#include <stddef.h>
#include <stdint.h>

struct role_holder {
    size_t person;  /* index into role_holders.people */
    unsigned roles; /* ROLE_* bits in the child */
};

struct child_holders {
    struct role_holder *held; /* one per person, in the order of their DNs */
    size_t n;
    /* Some of them are admins of the child, and it has no other admin:
     * removing them needs another admin first (the last one stays). */
    int no_other_admin;
};

struct role_holders {
    struct person *people; /* of the parent, holding a role in some child */
    size_t npeople;
    size_t *in_children;      /* per person: in how many children */
    struct child_holders *of; /* per child, in the order given */
    size_t nchildren;
    size_t nchildren_with; /* children that have any */
    /* per person: an admin of the operator account (operator staff, named
     * as such rather than as of the parent; round-26 walkthrough of seed
     * 003, D1); set by role_holders_read, NULL: none is. */
    char *operator_staff;
};

/* Reads people by DN as ldap_store_people_by_dn does (a DN that is no
 * person is skipped); ctx is passed through. */
typedef int (*role_holders_people_fn)(void *ctx, const char *const *dns, size_t n,
                                      struct person **out, size_t *nout);

/* Pure: who of account parent (any role there) holds roles in each of the
 * children (ids sorted ascending, n of them), from the role groups of
 * parent and children (others are ignored); people reads the people
 * among the DNs found (one call, none when no DN is). A member value
 * that names no person counts for nothing. Returns people's status;
 * *out is filled on ST_OK (free with role_holders_free). */
int role_holders_build(struct role_holders *out, unsigned long long parent,
                       const unsigned long long *children, size_t n,
                       const struct role_group *groups, size_t ngroups,
                       role_holders_people_fn people, void *ctx);

/* The same, read through the LDAP adapter (and its directory cache).
 * operator_id: the operator account's id (0: none); its groups are read in
 * the same read, and its admins among the people are marked in
 * operator_staff. */
int role_holders_read(struct ldap_store *ls, unsigned long long parent,
                      const unsigned long long *children, size_t n, unsigned long long operator_id,
                      struct role_holders *out);

/* Pure: marks operator_staff[k] for the people of h who are admins of
 * account operator_id by the groups given. */
void role_holders_mark_operator(struct role_holders *h, unsigned long long operator_id,
                                const struct role_group *groups, size_t ngroups);

void role_holders_free(struct role_holders *h);

/* Names listed in one sentence: at most this many, then "and N others". */
#define ROLE_HOLDERS_NAMED 10

/* parent-closed's {{parent_people}} for child i: "Anna Partner
 * (administrator) of <parent> still holds a role in <child>, and keeps it
 * until an administrator of <child> removes them under its people; do
 * that if they should no longer act for <child>." (plural for more; when
 * they are the child's only administrators, that one of its own people
 * must be made administrator first). Operator staff are named "Olivia
 * Operator (administrator; operator staff of the platform)", each of the
 * parent's people then "… (member) of <parent>" (round-26 walkthrough of
 * seed 003, D1).
 *
 * reader: the index (in h->of[i].held) of the holder whose copy this is
 * (SIZE_MAX: the copy of whoever holds no role there); their own line
 * speaks to them: "You still hold a role in
 * <child> (administrator) as operator staff of the platform, and keep it
 * until you leave it or another administrator of <child> removes you
 * under its people; do that if you should no longer act for <child>.",
 * and, when they are its administrator, the others' line ends "You are
 * its administrator: remove them under its people if they should no
 * longer act for <child>." (the removal mails' own-copy wording).
 *
 * inv (NULL or count 0: none): the child's pending admin invitations
 * (account_store.h; open_child's invitee).
 * With one, "make one of its own people an administrator first" becomes
 * "its contact Zoe Zahn (zoe@…) has not accepted the invitation to become
 * its administrator yet". Written into b; returns buf_str(b), or NULL
 * when nobody of the parent holds a role there. */
const char *role_holders_child_line(struct buf *b, const struct role_holders *h, size_t i,
                                    const char *parent_name, const char *child_name, size_t reader,
                                    const struct role_holders_invitee *inv);

/* The address of holder k of child i (NULL: none), for the own copies. */
const char *role_holders_child_mail(const struct role_holders *h, size_t i, size_t k);

/* account-closed's {{open_children}}: how many child accounts stay open
 * (open_children, of which the first told were read) and that their
 * contacts were told; that the roles people hold in them are unchanged;
 * for a distributor that its back office on them ends; and who of the
 * account still holds roles in them, in how many. Written into b;
 * returns buf_str(b), or NULL when open_children is 0. */
const char *role_holders_open_children_line(struct buf *b, const struct role_holders *h,
                                            unsigned long open_children, size_t told,
                                            int distributor);

/* ---- one person removed from the parent (round-20 walkthrough of seed
 * 001, D1) */

/* The same walk for one person: who of the children (ids sorted
 * ascending, n of them) person p holds roles in, with the roles, and
 * which of those have no administrator but them, as if p were the
 * parent's only person (the removal from a partner or distributor that
 * leaves them none there, read before it). role_holders_build_person is
 * the pure walk over the children's groups (a group of the parent given
 * is ignored); role_holders_read_person is given p's roles in each child
 * (roles[i] for children[i], as ldap_store_grants_of reads them) and reads
 * through the LDAP adapter, in one read, the groups of only the children
 * where p is admin (whether another admin is there), and p itself stands
 * for the read of the people (no second read). *out as role_holders_read
 * fills it (its people: p alone, or none). */
int role_holders_build_person(struct role_holders *out, const struct person *p,
                              unsigned long long parent, const unsigned long long *children,
                              size_t n, const struct role_group *groups, size_t ngroups);
int role_holders_read_person(struct ldap_store *ls, const struct person *p,
                             unsigned long long parent, const unsigned long long *children,
                             const unsigned *roles, size_t n, struct role_holders *out);

/* One child account as the mail of a person's removal names it: its id
 * and name, whether the person created it (accounts.created_by), which
 * lets the parent's admins remove them there, and whether the reader of
 * the copy being written is an administrator of it (the remover's own
 * copy; round-24 walkthrough of seed 001, D1). */
struct role_holders_child {
    unsigned long long id;
    const char *name;
    int created;
    int reader_admin;
};

/* Lines listed at most in member-keeps-child-roles; then "and N more". */
#define ROLE_HOLDERS_LISTED 50

/* member-keeps-child-roles' {{children}} (pure): one line per child i of
 * h (role_holders_read_person; children[i] names it) the person holds
 * roles in, in the order given, at most ROLE_HOLDERS_LISTED, then "- and
 * N more child accounts of <parent>." (N counting also `unread`, children
 * beyond those read). Each line names the child, the person's roles
 * there, whether it has no other administrator, and who can remove them:
 *   "- Bens Kunde (account 27): administrator; it has no other
 *   administrator. Ben Partner created it for Solar Partner, so an
 *   administrator of Solar Partner may remove them from its people, also
 *   without being a member of it, and becomes its administrator in their
 *   place."
 *   "- Autohaus Berger (account 17): member. An administrator of Autohaus
 *   Berger removes them under its people."
 * and where the reader is an administrator of the child (reader_admin),
 * whatever else holds there:
 *   "- Autohaus Berger (account 17): member. You are its administrator:
 *   remove them under its people."
 * Written into b; returns buf_str(b), or NULL when they hold no role in
 * any child (*count 0). *count: the child accounts they hold roles in
 * (unread included). */
const char *role_holders_person_lines(struct buf *b, const struct role_holders *h,
                                      const struct role_holders_child *children,
                                      const char *parent_name, size_t unread, size_t *count);

#endif
