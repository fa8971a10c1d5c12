/*
 * ldap_store: accountd's only door to LDAP, like nslcd's myldap.
 *
 * One struct ldap_store per worker thread holds two connections, opened on
 * first use: one bound as accountd's service account, one for checking
 * people's passwords. Every call has the configured timeout; when slapd went
 * away the connection is thrown away and the call is tried once more on a
 * new one, then ST_UNAVAILABLE. Filter values are escaped with
 * ldap_bv2escaped_filter_value and DNs are built with ldap_str2dn and
 * ldap_dn2str: callers pass plain values and never see LDAP syntax.
 *
 * Reads of people and role groups are answered from the process-wide
 * directory cache (dircache.h) while it is live, else from LDAP; every
 * successful write is read back into the cache before the call returns.
 *
 * Tree: people under ou=people,<base>; account <id> is
 * ou=<id>,ou=accounts,<base>; its role groups cn=<role> below it
 * (objectClass accountdRoleGroup, member = people's DNs).
 *
 * Everything returned is malloc'ed and freed with the matching *_free.
 */
#ifndef ACCOUNTD_LDAP_STORE_H
#define ACCOUNTD_LDAP_STORE_H

#include "buf.h"
#include "config.h"
#include "result.h"

#include <ldap.h>

#define ROLE_ADMIN            1u
#define ROLE_SERVICE_PROVIDER 2u
#define ROLE_BILLING          4u
#define ROLE_MEMBER           8u
#define ROLE_ANY              15u
#define ROLE_COUNT            4

/* "admin", "service-provider", "billing", "member", in bit order. */
extern const char *const role_names[ROLE_COUNT];
/* The bit of a role name, 0 if unknown. */
unsigned role_bit(const char *name);

/* The roles a person holds in one account. */
struct role_grant {
    unsigned long long account_id;
    unsigned roles; /* ROLE_* bits */
};

struct person {
    char *dn;
    char *uid;
    char *name; /* cn */
    char *mail;
    char *login; /* value of identity_attribute */
};
void person_free(struct person *p);

struct role_group {
    unsigned long long account_id;
    unsigned role;  /* one ROLE_* bit */
    char **members; /* DNs */
    size_t nmembers;
};
void role_groups_free(struct role_group *g, size_t n);

struct ldap_store;
struct member_index;

/* Sets libldap's process-wide defaults (LDAPv3, the network and operation
 * timeouts, no referrals) with ldap_set_option(NULL, ...): call it once,
 * before any thread starts, since libldap's global options are not
 * guarded for concurrent first use. Each handle sets them again itself. */
int ldap_store_global_init(const struct config *cfg);

struct ldap_store *ldap_store_new(const struct config *cfg);
void ldap_store_free(struct ldap_store *ls);

/* Is slapd answering (a base read of the base DN)? */
int ldap_store_ping(struct ldap_store *ls);

/* The person whose attribute attr (identity_attribute when attr is NULL)
 * equals value: ST_OK, ST_NOT_FOUND (also when ambiguous), ST_UNAVAILABLE. */
int ldap_store_find_person(struct ldap_store *ls, const char *attr, const char *value,
                           struct person *out);
/* The people among the DNs (DNs that are no person are skipped). */
int ldap_store_people_by_dn(struct ldap_store *ls, const char *const *dns, size_t n,
                            struct person **out, size_t *nout);
/* Simple bind as dn with password: ST_OK, ST_DENIED or ST_UNAVAILABLE. An
 * empty password is ST_DENIED without any bind. */
int ldap_store_check_password(struct ldap_store *ls, const char *dn, const char *password);

/* Every role the person dn holds, as one grant per account. */
int ldap_store_grants_of(struct ldap_store *ls, const char *dn, struct role_grant **out,
                         size_t *nout);
/* The role groups (with members) of the given accounts. */
int ldap_store_role_groups(struct ldap_store *ls, const unsigned long long *ids, size_t nids,
                           struct role_group **out, size_t *nout);
/* Projects (STACKIT method 2): ou=<project>,ou=projects,ou=<account>,
 * ou=accounts,<base> with role groups cn=owner|editor|reader below it
 * (accountdRoleGroup, accountdAccountId = the account). Role groups are
 * told apart by the DN's shape: cn=<role>,ou=<id>,ou=accounts is an
 * account's, cn=<role>,ou=<pid>,ou=projects,ou=<id>,ou=accounts a
 * project's. */
#define PROJECT_OWNER      1u
#define PROJECT_EDITOR     2u
#define PROJECT_READER     4u
#define PROJECT_ROLE_COUNT 3
/* "owner", "editor", "reader", in bit order. */
extern const char *const project_role_names[PROJECT_ROLE_COUNT];
/* The bit of a project role name, 0 if unknown. */
unsigned project_role_bit(const char *name);

struct project_grant {
    unsigned long long account_id, project_id;
    unsigned roles; /* PROJECT_* bits */
};

/* Like ldap_store_grants_of, from the same one search, and also the
 * person's project grants (projects may be NULL: not wanted). */
int ldap_store_all_grants_of(struct ldap_store *ls, const char *dn, struct role_grant **grants,
                             size_t *ngrants, struct project_grant **projects, size_t *nprojects);
/* Creates the project's entry and its three role groups (owner_dn, if not
 * NULL, in owner), and ou=projects under the account if missing. What it
 * created is removed again if a later step fails. */
int ldap_store_create_project(struct ldap_store *ls, unsigned long long account_id,
                              unsigned long long project_id, const char *owner_dn);
/* Removes the account's entry and everything below it (role groups,
 * projects and their groups, anything an LDAP administrator added there),
 * deepest first: a closed account past its retention (retention.c).
 * ST_OK also when there was nothing (left). */
int ldap_store_delete_account_tree(struct ldap_store *ls, unsigned long long id);
/* Removes the project's role groups and entry (compensation). */
int ldap_store_delete_project(struct ldap_store *ls, unsigned long long account_id,
                              unsigned long long project_id);
/* The project's role groups with members (role: PROJECT_* bit). */
int ldap_store_project_groups(struct ldap_store *ls, unsigned long long account_id,
                              unsigned long long project_id, struct role_group **out, size_t *nout);
/* Adds or removes dn in one project role group; *changed as in
 * ldap_store_change_member. */
int ldap_store_change_project_member(struct ldap_store *ls, unsigned long long account_id,
                                     unsigned long long project_id, unsigned role, const char *dn,
                                     int add, int *changed);

/* counts[i]: the distinct people over the role groups of account ids[i],
 * those the members list shows (ldap_store_people_by_dn): a member value
 * that names no person under ou=people counts for nothing. From the
 * directory cache; while it cannot answer, two LDAP searches for all the
 * ids (their role groups, then their members among the people). */
int ldap_store_member_counts(struct ldap_store *ls, const unsigned long long *ids, size_t nids,
                             size_t *counts);
/* Creates ou=<id> (description: marker, when not NULL) with its four role
 * groups, admin_dn in admin. Whatever it created is removed again if a
 * later step fails. ST_DUPLICATE if the account entry already exists (it is
 * left alone); a retry after a lost reply that finds the entry with our
 * marker goes on, as the first attempt made it. */
int ldap_store_create_account(struct ldap_store *ls, unsigned long long id, const char *admin_dn,
                              const char *marker);
/* Removes the role groups and the account entry (compensation). */
int ldap_store_delete_account(struct ldap_store *ls, unsigned long long id);
/* Adds (add=1) or removes dn as a member of a role group. Adding a present
 * member or removing an absent one is ST_OK. */
int ldap_store_set_member(struct ldap_store *ls, unsigned long long id, unsigned role,
                          const char *dn, int add);
/* The same; *changed is 1 if this call added or removed the member, 0 if
 * it was already so, -1 if that is unknown: the write was sent again after
 * a lost reply, so "already so" may be the first attempt's doing.
 * Compensations restore a state read before the change (saga.h) instead
 * of trusting this. */
int ldap_store_change_member(struct ldap_store *ls, unsigned long long id, unsigned role,
                             const char *dn, int add, int *changed);

/* How many of the index's entries holding role (a ROLE_* bit) are
 * people that exist (a member DN whose entry was deleted counts not). */
int ldap_store_count_people(struct ldap_store *ls, const struct member_index *ix, unsigned role,
                            size_t *count);
/* The same people themselves (an array of *n, each freed with
 * person_free, then the array). */
int ldap_store_people_with_role(struct ldap_store *ls, const struct member_index *ix, unsigned role,
                                struct person **people, size_t *n);

/* A member value of a role group (account or project group) that names no
 * entry: its person was deleted in a directory without slapo-refint. */
struct dangling_member {
    char *group_dn;
    unsigned long long account_id; /* the group's accountdAccountId */
    char *member;                  /* the value as stored */
};
void dangling_members_free(struct dangling_member *d, size_t n);
/* Every dangling member value under ou=accounts. */
int ldap_store_dangling_members(struct ldap_store *ls, struct dangling_member **out, size_t *nout);
/* Removes one member value from a group; ST_NOT_FOUND if it is gone. */
int ldap_store_remove_member_value(struct ldap_store *ls, const char *group_dn, const char *member);

/* An account's admin group with its number of members (accountd
 * maint's report of accounts without an admin, adminless.h). */
struct admin_count {
    unsigned long long account_id;
    size_t admins;
};
/* Every account admin group (cn=admin,ou=<id>,ou=accounts) that has a
 * member, in one search: *out (malloc'ed, free()) sorted by account id. */
int ldap_store_admin_counts(struct ldap_store *ls, struct admin_count **out, size_t *nout);
/* The admins of account_id in such a list (0 when it is not there). */
size_t admin_count_of(const struct admin_count *counts, size_t n, unsigned long long account_id);

/* Creates inetOrgPerson uid=<uid> under ou=people, with `description`
 * marker (saga_person_marker) when not NULL. *dn_out (malloc'ed) receives
 * its DN. ST_DUPLICATE if the uid is taken, ST_CONFLICT if a constraint
 * refused it (slapo-unique: another person has that mail). When the add
 * was sent again after a lost reply, an entry found there counts as made
 * by this call only if it carries the marker. */
int ldap_store_create_person(struct ldap_store *ls, const char *uid, const char *mail,
                             const char *given_name, const char *surname, const char *cn,
                             const char *marker, char **dn_out);
/* The one person with that mail and `description` marker: ST_OK (with
 * *has_password), ST_NOT_FOUND, or a store status. */
int ldap_store_marked_person(struct ldap_store *ls, const char *mail, const char *marker,
                             struct person *out, int *has_password);
/* Whether entry dn has a userPassword (never read): ST_OK with 0 also when
 * there is no such entry. */
int ldap_store_has_password(struct ldap_store *ls, const char *dn, int *has_password);
/* What a password-reset link is judged by (round-21 walkthrough of seed
 * 004, D1), read with a base search of the entry dn itself, never from
 * the directory cache (which holds no userPassword, and may be down):
 * *mail, the entry's first mail (malloc'ed; NULL when it has none), and
 * password_mark, the hex SHA-256 of its userPassword values (the same for
 * no value), which changes whenever anyone sets the password. The values
 * themselves are never kept. ST_NOT_FOUND when there is no such person. */
int ldap_store_reset_proof(struct ldap_store *ls, const char *dn, char **mail,
                           char password_mark[65]);
/* The ROLE_* bits of person dn in account id. */
int ldap_store_roles_of(struct ldap_store *ls, unsigned long long id, const char *dn,
                        unsigned *roles);
/* Sets a password with the Password Modify extended operation (RFC 3062),
 * so slapd hashes it with its own configured scheme. */
int ldap_store_set_password(struct ldap_store *ls, const char *dn, const char *password);
/* Deletes one entry (compensation for create_person). */
int ldap_store_delete_entry(struct ldap_store *ls, const char *dn);

/* A counter that grows with every successful LDAP write accountd makes, in
 * any thread: a cache of LDAP data is valid only for the value it was
 * filled under. */
unsigned long long ldap_store_generation(void);

/* Pure helpers, exported for the unit tests. */
/* 1 if two DNs name the same entry (LDAPv3 normalised, case-insensitive).
 * Normalises both: never call it inside a loop over members (use a
 * member_index, which normalises each DN once). */
int ldap_dn_equal(const char *a, const char *b);
/* dn in LDAPv3 normal form, lower case (malloc'ed); a string that is no DN
 * is copied in lower case. Each call counts in ldap_dn_normalisations. */
char *ldap_dn_norm(const char *dn);
/* How many DNs were normalised so far in this process (unit tests check
 * that member loops stay linear). */
unsigned long ldap_dn_normalisations(void);

/* The distinct members of some role groups with the roles each holds:
 * every member DN normalised once when the index is built, then sorted,
 * so a lookup is a binary search. raw points into the groups (keep them
 * until the index is freed). */
struct member_entry {
    char *norm;      /* normalised DN (owned) */
    const char *raw; /* one of the DNs as the groups hold it */
    unsigned roles;  /* ROLE_* bits */
};
struct member_index {
    struct member_entry *entries;
    size_t n;
};
/* Builds the index of the groups of account_id (all groups if 0). */
void member_index_build(struct member_index *ix, const struct role_group *groups, size_t ngroups,
                        unsigned long long account_id);
/* The entry of dn (normalised once here), or NULL. */
const struct member_entry *member_index_find(const struct member_index *ix, const char *dn);
/* The same for a DN already normalised with ldap_dn_norm. */
const struct member_entry *member_index_find_norm(const struct member_index *ix, const char *norm);
void member_index_free(struct member_index *ix);
/* The first value of attr in entry e, copied; NULL if it has none. */
char *ldap_first_value(LDAP *ld, LDAPMessage *e, const char *attr);
/* Appends value escaped for a filter (RFC 4515). */
void ldap_escape_filter_value(struct buf *out, const char *value);
/* "<attr>=<value>" RDNs (outermost last) prepended to base, as an LDAPv3 DN
 * string with every value escaped (RFC 4514). NULL if base is not a DN. */
char *ldap_build_dn(const char *base, const char *const *attrs, const char *const *values,
                    size_t n);

#endif
