/*
 * dircache: the directory cache, one per process, shared by every worker
 * thread.
 *
 * It holds the people under ou=people (by DN, uid, mail and the login
 * attribute identity_attribute) and the role groups under ou=accounts
 * (account groups cn=<role>,ou=<id>,ou=accounts,<base> and project groups
 * cn=<role>,ou=<project>,ou=projects,ou=<id>,ou=accounts,<base>, told apart
 * by the DN's shape), with their members. One background thread keeps it
 * current with an RFC 4533 sync session (refreshAndPersist) against slapd's
 * syncprov overlay: the refresh phase fills a new cache, which replaces the
 * old one when the refresh is done; every change slapd makes afterwards
 * (an ldapmodify by an administrator, or accountd's own writes) arrives on
 * the same session and is applied at once.
 *
 * Readers take a read-mostly lock (pthread rwlock, writers preferred): the
 * sync thread holds the write lock only to swap one record. The cache
 * answers only while the session is live; while it is down or refreshing
 * every read returns DIRCACHE_MISS and ldap_store asks LDAP itself, so no
 * read is ever served from a stale cache. Where slapd offers no syncprov,
 * the cache holds nothing and only callers' identities are kept for
 * identity_cache_ttl seconds (dircache_ttl_*), shared by all threads; the
 * sync thread asks again every ldap_sync_retry seconds, and a refusal
 * changes nothing (the state moves only once slapd accepts a session).
 *
 * accountd's own writes are applied by the writing thread (ldap_store reads
 * the entry back and calls dircache_apply_entry) before it answers, so they
 * count on the very next request. Records carry their entryCSN: an older
 * state of an entry never replaces a newer one.
 *
 * Everything returned is malloc'ed copies, freed like ldap_store's results.
 */
#ifndef ACCOUNTD_DIRCACHE_H
#define ACCOUNTD_DIRCACHE_H

#include "config.h"
#include "http.h"
#include "ldap_store.h"

#include <ldap.h>

/* "The cache cannot answer this: ask LDAP." */
#define DIRCACHE_MISS (-1)

enum dircache_state {
    DIRCACHE_OFF,        /* not started (accountd migrate/maint/bootstrap) */
    DIRCACHE_REFRESHING, /* the sync session is filling a new cache */
    DIRCACHE_LIVE,       /* refreshed, changes arrive: reads are served */
    DIRCACHE_DOWN,       /* no session (slapd away): reads go to LDAP */
    DIRCACHE_TTL,        /* slapd has no syncprov: identities kept for a TTL */
};

/* Starts the sync thread. Returns 0, or -1 if the thread cannot start. */
int dircache_start(const struct config *cfg);
/* Stops the sync thread and frees the cache. */
void dircache_stop(void);
enum dircache_state dircache_state(void);

/* Reads. Each answers ST_OK or ST_NOT_FOUND from a live cache, or
 * DIRCACHE_MISS. Arguments and results as in ldap_store.h. attr is "uid",
 * "mail" or NULL (the login attribute); any other is a miss. A person the
 * cache does not hold is a miss too (LDAP says whether they exist: one
 * an administrator has just added may still be on its way). */
int dircache_find_person(const char *attr, const char *value, struct person *out);
int dircache_people_by_dn(const char *const *dns, size_t n, struct person **out, size_t *nout);
int dircache_grants_of(const char *dn, struct role_grant **out, size_t *nout,
                       struct project_grant **projects, size_t *nprojects);
int dircache_role_groups(const unsigned long long *ids, size_t nids, struct role_group **out,
                         size_t *nout);
/* counts[i]: the distinct people over the role groups of account ids[i]:
 * the members that are people the cache holds (those under ou=people), as
 * dircache_people_by_dn finds them; a member value that names nobody
 * counts for nothing. */
int dircache_member_counts(const unsigned long long *ids, size_t nids, size_t *counts);
/* The caller for a login (person and grants) in one look at the cache. */
int dircache_caller(const char *login, struct caller *out);

/* A number that changes whenever the person's entry changes (password,
 * mail, name): a cached password check is good only while it is the one
 * read before the check. 0 when the cache cannot tell (trust nothing
 * cached), 1 in the TTL mode (no syncprov: the check cache's own TTL). */
unsigned long long dircache_person_generation(const char *dn);

/* Write-through, for ldap_store: the attributes to read an entry back
 * with, the entry read back after a write, and a DN that was deleted. */
const char *const *dircache_attrs(void);
void dircache_apply_entry(LDAP *ld, LDAPMessage *entry);
void dircache_forget_dn(const char *dn);

/* The TTL mode's shared identity cache (used only in DIRCACHE_TTL): a
 * caller read from LDAP, kept identity_cache_ttl seconds and only while
 * write_generation (ldap_store_generation) has not moved; ttl is the
 * request's identity_cache_ttl (it may change with a reload). */
int dircache_ttl_get(const char *login, unsigned long long write_generation, int ttl,
                     struct caller *out);
void dircache_ttl_put(const char *login, unsigned long long write_generation, int ttl,
                      const struct caller *c);

struct dircache_stats {
    enum dircache_state state;
    unsigned long long people, groups, memberships;
    unsigned long long refreshes;  /* completed refreshes */
    unsigned long long changes;    /* entries applied after a refresh */
    unsigned long long refresh_ms; /* how long the last refresh took */
    unsigned long long requests;   /* sync sessions asked of slapd (accepted or refused) */
};
void dircache_stats(struct dircache_stats *out);

/* Pure helpers, exported for the unit tests. */
/* The lower-cased LDAPv3 normal form of a DN (malloc'ed; NULL if not a DN). */
char *dircache_normalize_dn(const char *dn);
/* 1 if normalized DN ndn is below base_ndn (normalized too), not base_ndn
 * itself: a person's entry below ou=people. */
int dircache_dn_below(const char *ndn, const char *base_ndn);
/* Splits a role group's normalized DN below accounts_ndn ("ou=accounts,
 * <base>", normalized): 1 for an account group, 2 for a project group, 0
 * for anything else. role gets the cn value (at most role_size bytes). */
int dircache_group_shape(const char *ndn, const char *accounts_ndn, unsigned long long *account_id,
                         unsigned long long *project_id, char *role, size_t role_size);

#endif
