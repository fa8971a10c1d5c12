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
 */
#ifndef ACCOUNTD_ROLE_HOLDERS_H
#define ACCOUNTD_ROLE_HOLDERS_H

#include "buf.h"
#include "ldap_store.h"

#include <stddef.h>

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

/* The same, read through the LDAP adapter (and its directory cache). */
int role_holders_read(struct ldap_store *ls, unsigned long long parent,
                      const unsigned long long *children, size_t n, struct role_holders *out);

void role_holders_free(struct role_holders *h);

/* Names listed in one sentence: at most this many, then "and N others". */
#define ROLE_HOLDERS_NAMED 10

/* parent-closed's {{parent_people}} for child i: "Anna Partner
 * (administrator) of <parent> still holds a role in <child>, and keeps it
 * until an administrator of <child> removes them under its people; do
 * that if they should no longer act for <child>." (plural for more; when
 * they are the child's only administrators, that one of its own people
 * must be made administrator first). Written into b; returns buf_str(b),
 * or NULL when nobody of the parent holds a role there. */
const char *role_holders_child_line(struct buf *b, const struct role_holders *h, size_t i,
                                    const char *parent_name, const char *child_name);

/* account-closed's {{open_children}}: how many child accounts stay open
 * (open_children, of which the first told were read) and that their
 * contacts were told; that the roles people hold in them are unchanged;
 * for a distributor that its back office on them ends; and who of the
 * account still holds roles in them, in how many. Written into b;
 * returns buf_str(b), or NULL when open_children is 0. */
const char *role_holders_open_children_line(struct buf *b, const struct role_holders *h,
                                            unsigned long open_children, size_t told,
                                            int distributor);

#endif
