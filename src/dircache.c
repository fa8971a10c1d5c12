#include "dircache.h"

#include "caller.h"
#include "log.h"

#include <lber.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- a multimap of borrowed string keys ----------------------------- */

/* Keys point into the value's own record, which outlives its nodes. */
struct node {
    struct node *next;
    uint64_t hash;
    const char *key;
    void *val;
};

struct map {
    struct node **b;
    size_t nb, n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    /* FNV-1a leaves the low bits (the bucket) of similar keys, like
     * account ids in a row, clustered: mix them (MurmurHash3's finalizer). */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static void map_init(struct map *m)
{
    m->nb = 1024;
    m->n = 0;
    m->b = xcalloc(m->nb, sizeof(*m->b));
}

static void map_free(struct map *m)
{
    for (size_t i = 0; i < m->nb; i++)
        for (struct node *n = m->b[i], *next; n; n = next) {
            next = n->next;
            free(n);
        }
    free(m->b);
}

static void map_add(struct map *m, const char *key, void *val)
{
    if (m->n >= m->nb) {
        size_t nb = m->nb * 2;
        struct node **b = xcalloc(nb, sizeof(*b));
        for (size_t i = 0; i < m->nb; i++)
            for (struct node *n = m->b[i], *next; n; n = next) {
                next = n->next;
                n->next = b[n->hash & (nb - 1)];
                b[n->hash & (nb - 1)] = n;
            }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    struct node *n = xmalloc(sizeof(*n));
    n->hash = hash_str(key);
    n->key = key;
    n->val = val;
    n->next = m->b[n->hash & (m->nb - 1)];
    m->b[n->hash & (m->nb - 1)] = n;
    m->n++;
}

static void map_del(struct map *m, const char *key, const void *val)
{
    uint64_t h = hash_str(key);
    for (struct node **p = &m->b[h & (m->nb - 1)]; *p; p = &(*p)->next) {
        if ((*p)->val == val && (*p)->hash == h && strcmp((*p)->key, key) == 0) {
            struct node *dead = *p;
            *p = dead->next;
            free(dead);
            m->n--;
            return;
        }
    }
}

/* The first node with key after `from` (NULL: from the start). */
static struct node *map_next(const struct map *m, const char *key, uint64_t h,
                             const struct node *from)
{
    struct node *n = from ? from->next : m->b[h & (m->nb - 1)];
    for (; n; n = n->next)
        if (n->hash == h && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

#define MAP_EACH(m, key, h, n)                                                                     \
    for (struct node *n = map_next(m, key, h, NULL); n; n = map_next(m, key, h, n))

/* ---- records -------------------------------------------------------- */

enum { GROUP_OTHER, GROUP_ACCOUNT, GROUP_PROJECT };

/* Memory matters here (100,000 people): the uuid and CSN live in the
 * record, dn is ndn when LDAP gave it in normal form already, login is uid
 * or mail when identity_attribute is one of them (login_kind). */
struct dperson {
    char uuid[40];
    char *dn, *ndn;
    char *uid, *name, *mail, *login; /* first values */
    char **keys;                     /* index keys: "u|uid", "m|mail", "l|login", folded */
    size_t nkeys;
    char csn[48];
    unsigned long long generation;
};

struct dgroup {
    char uuid[40];
    char *dn, *ndn;
    int kind;
    unsigned long long account_id, project_id;
    unsigned role; /* ROLE_* for account groups */
    char idkey[24];
    char **members, **nmembers; /* as stored, and normalized */
    size_t nm;
    /* person[m]: 1 if nmembers[m] names a person the cache holds. Kept
     * by group_index and person_index (the sync thread, under the write
     * lock), so that member counts need no lookup of their own. */
    unsigned char *person;
    char csn[48];
};

struct dir {
    struct map person_uuid, person_ndn, person_key;
    struct map group_uuid, group_ndn, group_member, group_account;
    unsigned long long memberships;
};

static const struct config *cfg;
static char login_kind = 'l'; /* the key kind of identity_attribute: 'u', 'm' or 'l' */
static char *accounts_ndn;
static char *people_ndn; /* "ou=people,<base>", normalized */
static const char *attrs[10];

static pthread_rwlock_t lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static struct dir *live;          /* under lock */
static enum dircache_state state; /* under lock */
static _Atomic unsigned long long generation_counter = 2;
static _Atomic unsigned long long stat_refreshes, stat_changes, stat_refresh_ms, stat_requests;

static pthread_t sync_thread;
static int sync_started;
static pthread_mutex_t stop_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int stopping;

static struct dir *dir_new(void)
{
    struct dir *d = xcalloc(1, sizeof(*d));
    map_init(&d->person_uuid);
    map_init(&d->person_ndn);
    map_init(&d->person_key);
    map_init(&d->group_uuid);
    map_init(&d->group_ndn);
    map_init(&d->group_member);
    map_init(&d->group_account);
    return d;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void person_rec_free(struct dperson *p)
{
    if (!p)
        return;
    if (p->dn != p->ndn)
        free(p->dn);
    free(p->ndn);
    if (p->login != p->uid && p->login != p->mail)
        free(p->login);
    free(p->uid);
    free(p->name);
    free(p->mail);
    free_strv(p->keys, p->nkeys);
    free(p);
}

static void group_rec_free(struct dgroup *g)
{
    if (!g)
        return;
    if (g->dn != g->ndn)
        free(g->dn);
    free(g->ndn);
    for (size_t i = 0; i < g->nm; i++)
        if (g->members[i] != g->nmembers[i])
            free(g->members[i]);
    free(g->members);
    free_strv(g->nmembers, g->nm);
    free(g->person);
    free(g);
}

static void dir_free(struct dir *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->person_uuid.nb; i++)
        for (struct node *n = d->person_uuid.b[i]; n; n = n->next)
            person_rec_free(n->val);
    for (size_t i = 0; i < d->group_uuid.nb; i++)
        for (struct node *n = d->group_uuid.b[i]; n; n = n->next)
            group_rec_free(n->val);
    map_free(&d->person_uuid);
    map_free(&d->person_ndn);
    map_free(&d->person_key);
    map_free(&d->group_uuid);
    map_free(&d->group_ndn);
    map_free(&d->group_member);
    map_free(&d->group_account);
    free(d);
}

static void *find_one(const struct map *m, const char *key)
{
    struct node *n = map_next(m, key, hash_str(key), NULL);
    return n ? n->val : NULL;
}

/* The first member of g (its nmembers sorted: group_index) not before
 * ndn. */
static size_t member_lower_bound(const struct dgroup *g, const char *ndn)
{
    size_t lo = 0, hi = g->nm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(g->nmembers[mid], ndn) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Marks the member values ndn of every group that has it as a person's
 * (is_person) or not: a binary search in each (a group may have
 * thousands of members, a person may be in hundreds of groups). */
static void mark_members(struct dir *d, const char *ndn, unsigned char is_person)
{
    uint64_t h = hash_str(ndn);
    MAP_EACH(&d->group_member, ndn, h, n)
    {
        struct dgroup *g = n->val;
        for (size_t m = member_lower_bound(g, ndn); m < g->nm && strcmp(g->nmembers[m], ndn) == 0;
             m++)
            g->person[m] = is_person;
    }
}

struct member_pair {
    char *raw, *norm;
};

static int compare_member_pairs(const void *a, const void *b)
{
    return strcmp(((const struct member_pair *)a)->norm, ((const struct member_pair *)b)->norm);
}

/* Orders g's members by their normalized DN (LDAP's values are a set:
 * their order means nothing), for member_lower_bound. */
static void sort_members(struct dgroup *g)
{
    int sorted = 1;
    for (size_t i = 1; i < g->nm && sorted; i++)
        sorted = strcmp(g->nmembers[i - 1], g->nmembers[i]) <= 0;
    if (sorted)
        return;
    struct member_pair *pairs = xcalloc(g->nm, sizeof(*pairs));
    for (size_t i = 0; i < g->nm; i++)
        pairs[i] = (struct member_pair){g->members[i], g->nmembers[i]};
    qsort(pairs, g->nm, sizeof(*pairs), compare_member_pairs);
    for (size_t i = 0; i < g->nm; i++) {
        g->members[i] = pairs[i].raw;
        g->nmembers[i] = pairs[i].norm;
    }
    free(pairs);
}

static void person_index(struct dir *d, struct dperson *p, int add)
{
    if (add) {
        map_add(&d->person_uuid, p->uuid, p);
        map_add(&d->person_ndn, p->ndn, p);
        for (size_t i = 0; i < p->nkeys; i++)
            map_add(&d->person_key, p->keys[i], p);
        mark_members(d, p->ndn, 1);
    } else {
        map_del(&d->person_uuid, p->uuid, p);
        map_del(&d->person_ndn, p->ndn, p);
        for (size_t i = 0; i < p->nkeys; i++)
            map_del(&d->person_key, p->keys[i], p);
        mark_members(d, p->ndn, find_one(&d->person_ndn, p->ndn) != NULL);
    }
}

static void group_index(struct dir *d, struct dgroup *g, int add)
{
    if (add) {
        sort_members(g);
        free(g->person);
        g->person = xcalloc(g->nm + 1, 1);
        for (size_t i = 0; i < g->nm; i++)
            g->person[i] = find_one(&d->person_ndn, g->nmembers[i]) != NULL;
        map_add(&d->group_uuid, g->uuid, g);
        map_add(&d->group_ndn, g->ndn, g);
        if (g->kind == GROUP_ACCOUNT)
            map_add(&d->group_account, g->idkey, g);
        for (size_t i = 0; i < g->nm; i++)
            map_add(&d->group_member, g->nmembers[i], g);
        d->memberships += g->nm;
    } else {
        map_del(&d->group_uuid, g->uuid, g);
        map_del(&d->group_ndn, g->ndn, g);
        if (g->kind == GROUP_ACCOUNT)
            map_del(&d->group_account, g->idkey, g);
        for (size_t i = 0; i < g->nm; i++)
            map_del(&d->group_member, g->nmembers[i], g);
        d->memberships -= g->nm;
    }
}

/* ---- pure helpers --------------------------------------------------- */

static void lower_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

char *dircache_normalize_dn(const char *dn)
{
    char *out = NULL;
    if (!dn ||
        ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAPV3, &out, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
        return NULL;
    char *copy = xstrdup(out ? out : "");
    ldap_memfree(out);
    lower_ascii(copy);
    return copy;
}

static int read_number(const char **p, unsigned long long *out)
{
    const char *s = *p;
    unsigned long long v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (~0ULL - 9) / 10)
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

int dircache_group_shape(const char *ndn, const char *accounts, unsigned long long *account_id,
                         unsigned long long *project_id, char *role, size_t role_size)
{
    *account_id = *project_id = 0;
    if (role_size)
        role[0] = '\0';
    size_t n = strlen(ndn), na = strlen(accounts);
    if (n <= na + 1 || strcmp(ndn + n - na, accounts) != 0 || ndn[n - na - 1] != ',')
        return 0;
    if (strncmp(ndn, "cn=", 3) != 0)
        return 0;
    const char *p = ndn + 3, *comma = strchr(p, ',');
    if (!comma || (size_t)(comma - p) >= role_size || comma == p)
        return 0;
    memcpy(role, p, (size_t)(comma - p));
    role[comma - p] = '\0';
    p = comma + 1;
    const char *end = ndn + n - na; /* the accounts suffix starts here */
    unsigned long long first;
    if (strncmp(p, "ou=", 3) != 0)
        return 0;
    p += 3;
    if (read_number(&p, &first) < 0 || *p != ',' || first == 0)
        return 0;
    p++;
    if (p == end) {
        *account_id = first;
        return GROUP_ACCOUNT;
    }
    if (strncmp(p, "ou=projects,ou=", 15) != 0)
        return 0;
    p += 15;
    unsigned long long acc;
    if (read_number(&p, &acc) < 0 || *p != ',' || acc == 0 || p + 1 != end)
        return 0;
    *account_id = acc;
    *project_id = first;
    return GROUP_PROJECT;
}

int dircache_dn_below(const char *ndn, const char *base_ndn)
{
    size_t n = strlen(ndn), nb = strlen(base_ndn);
    return n > nb + 1 && ndn[n - nb - 1] == ',' && strcmp(ndn + n - nb, base_ndn) == 0;
}

/* Folds an attribute value the way LDAP's caseIgnore matching does for
 * ASCII: lower case, no leading or trailing spaces, inner runs as one. */
static char *fold_key(char kind, const char *value, size_t len)
{
    char *k = xmalloc(len + 3);
    char *w = k;
    *w++ = kind;
    *w++ = '|';
    size_t i = 0;
    while (i < len && value[i] == ' ')
        i++;
    while (i < len) {
        if (value[i] == ' ') {
            while (i < len && value[i] == ' ')
                i++;
            if (i < len)
                *w++ = ' ';
            continue;
        }
        char c = value[i++];
        *w++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    *w = '\0';
    return k;
}

/* ---- entries from LDAP ---------------------------------------------- */

static void add_keys(LDAP *ld, LDAPMessage *e, const char *attr, char kind, struct dperson *p)
{
    struct berval **vals = ldap_get_values_len(ld, e, attr);
    size_t nv = vals ? (size_t)ldap_count_values_len(vals) : 0;
    if (nv) {
        char **keys = realloc(p->keys, (p->nkeys + nv) * sizeof(char *));
        if (!keys)
            abort();
        p->keys = keys;
        for (size_t i = 0; i < nv; i++)
            p->keys[p->nkeys++] = fold_key(kind, vals[i]->bv_val, vals[i]->bv_len);
    }
    ldap_value_free_len(vals);
}

static int has_class(LDAP *ld, LDAPMessage *e, const char *cls)
{
    struct berval **vals = ldap_get_values_len(ld, e, "objectClass");
    int found = 0;
    for (size_t i = 0; vals && vals[i] && !found; i++)
        found = vals[i]->bv_len == strlen(cls) &&
                strncasecmp(vals[i]->bv_val, cls, vals[i]->bv_len) == 0;
    ldap_value_free_len(vals);
    return found;
}

static void csn_of(LDAP *ld, LDAPMessage *e, char csn[48])
{
    char *v = ldap_first_value(ld, e, "entryCSN");
    snprintf(csn, 48, "%s", v ? v : "");
    free(v);
}

/* A parsed entry: a person, a group, or neither (both NULL). */
struct parsed {
    struct dperson *person;
    struct dgroup *group;
};

static void parse_entry(LDAP *ld, LDAPMessage *e, const char *uuid, struct parsed *out)
{
    memset(out, 0, sizeof(*out));
    char *dn = ldap_get_dn(ld, e);
    if (!dn)
        return;
    char *ndn = dircache_normalize_dn(dn);
    if (!ndn) {
        ldap_memfree(dn);
        return;
    }
    if (has_class(ld, e, "inetOrgPerson") && dircache_dn_below(ndn, people_ndn)) {
        struct dperson *p = xcalloc(1, sizeof(*p));
        snprintf(p->uuid, sizeof(p->uuid), "%s", uuid);
        p->ndn = ndn;
        p->dn = strcmp(dn, ndn) == 0 ? ndn : xstrdup(dn);
        p->uid = ldap_first_value(ld, e, "uid");
        p->name = ldap_first_value(ld, e, "cn");
        p->mail = ldap_first_value(ld, e, "mail");
        p->login = login_kind == 'u'   ? p->uid
                   : login_kind == 'm' ? p->mail
                                       : ldap_first_value(ld, e, cfg->identity_attribute);
        if (!p->uid) {
            p->uid = xstrdup(p->login ? p->login : "");
            if (login_kind == 'u')
                p->login = p->uid;
        }
        add_keys(ld, e, "uid", 'u', p);
        add_keys(ld, e, "mail", 'm', p);
        if (login_kind == 'l')
            add_keys(ld, e, cfg->identity_attribute, 'l', p);
        csn_of(ld, e, p->csn);
        out->person = p;
    } else if (has_class(ld, e, "accountdRoleGroup")) {
        struct dgroup *g = xcalloc(1, sizeof(*g));
        char role[64];
        snprintf(g->uuid, sizeof(g->uuid), "%s", uuid);
        g->ndn = ndn;
        g->dn = strcmp(dn, ndn) == 0 ? ndn : xstrdup(dn);
        g->kind = dircache_group_shape(ndn, accounts_ndn, &g->account_id, &g->project_id, role,
                                       sizeof(role));
        g->role = g->kind == GROUP_ACCOUNT   ? role_bit(role)
                  : g->kind == GROUP_PROJECT ? project_role_bit(role)
                                             : 0;
        if (!g->role)
            g->kind = GROUP_OTHER;
        snprintf(g->idkey, sizeof(g->idkey), "%llu", g->account_id);
        struct berval **vals = ldap_get_values_len(ld, e, "member");
        size_t nv = vals ? (size_t)ldap_count_values_len(vals) : 0;
        g->members = xcalloc(nv + 1, sizeof(char *));
        g->nmembers = xcalloc(nv + 1, sizeof(char *));
        for (size_t i = 0; i < nv; i++) {
            char *m = xstrndup(vals[i]->bv_val, vals[i]->bv_len);
            char *nm = dircache_normalize_dn(m);
            if (!nm) {
                free(m);
                continue;
            }
            if (strcmp(m, nm) == 0) { /* stored in normal form already: keep one */
                free(m);
                m = nm;
            }
            g->members[g->nm] = m;
            g->nmembers[g->nm++] = nm;
        }
        ldap_value_free_len(vals);
        csn_of(ld, e, g->csn);
        out->group = g;
    } else {
        free(ndn);
    }
    ldap_memfree(dn);
}

/* Removes whatever record has this uuid or ndn; returns the removed
 * records through *dead_p / *dead_g for freeing outside the lock. */
static void unlink_uuid(struct dir *d, const char *uuid, struct dperson **dead_p,
                        struct dgroup **dead_g)
{
    struct dperson *p = find_one(&d->person_uuid, uuid);
    if (p) {
        person_index(d, p, 0);
        *dead_p = p;
    }
    struct dgroup *g = find_one(&d->group_uuid, uuid);
    if (g) {
        group_index(d, g, 0);
        *dead_g = g;
    }
}

/*
 * What slapo-refint does to the role groups when a person is deleted or
 * renamed (remove, or rename, their DN in every member value), done to the
 * cache at once: refint makes those changes later, in a background task,
 * and they need not come back through the sync session. new_dn NULL: the
 * person was deleted. Called with the lock held (or on a private cache).
 */
static void mirror_refint(struct dir *d, const char *old_ndn, const char *new_dn)
{
    char *key = xstrdup(old_ndn); /* old_ndn may belong to a member value */
    uint64_t h = hash_str(key);
    struct node *n;
    while ((n = map_next(&d->group_member, key, h, NULL)) != NULL) {
        struct dgroup *g = n->val;
        group_index(d, g, 0);
        size_t w = 0;
        for (size_t i = 0; i < g->nm; i++) {
            if (strcmp(g->nmembers[i], key) != 0) {
                g->members[w] = g->members[i];
                g->nmembers[w++] = g->nmembers[i];
                continue;
            }
            if (g->members[i] != g->nmembers[i])
                free(g->members[i]);
            free(g->nmembers[i]);
            char *nm = new_dn ? dircache_normalize_dn(new_dn) : NULL;
            if (nm) {
                g->nmembers[w] = nm;
                g->members[w++] = strcmp(new_dn, nm) == 0 ? nm : xstrdup(new_dn);
            }
        }
        g->nm = w;
        group_index(d, g, 1);
    }
    free(key);
}

/* Applies a parsed entry to d (the caller holds the lock, or owns d).
 * Frees what it replaces, and the parsed records it does not keep. */
static void apply_parsed(struct dir *d, const char *uuid, struct parsed *in, int count_change)
{
    const char *csn = in->person ? in->person->csn : in->group ? in->group->csn : "";
    struct dperson *old_p = find_one(&d->person_uuid, uuid);
    struct dgroup *old_g = find_one(&d->group_uuid, uuid);
    const char *old_csn = old_p ? old_p->csn : old_g ? old_g->csn : NULL;
    if (old_csn && *old_csn && *csn && strcmp(old_csn, csn) > 0) {
        /* An older state than the one held (a write-through overtook the
         * stream): keep the newer one. */
        person_rec_free(in->person);
        group_rec_free(in->group);
        return;
    }
    struct dperson *dead_p = NULL, *dead_p2 = NULL;
    struct dgroup *dead_g = NULL, *dead_g2 = NULL;
    unlink_uuid(d, uuid, &dead_p, &dead_g);
    if (in->person) {
        /* Another entry by that name (deleted while we were away). */
        struct dperson *same = find_one(&d->person_ndn, in->person->ndn);
        if (same) {
            person_index(d, same, 0);
            dead_p2 = same;
        }
        if (dead_p && strcmp(dead_p->csn, in->person->csn) == 0)
            in->person->generation = dead_p->generation;
        else
            in->person->generation = atomic_fetch_add(&generation_counter, 1);
        if (dead_p && strcmp(dead_p->ndn, in->person->ndn) != 0)
            mirror_refint(d, dead_p->ndn, in->person->dn); /* renamed */
        person_index(d, in->person, 1);
    }
    if (in->group) {
        struct dgroup *same = find_one(&d->group_ndn, in->group->ndn);
        if (same) {
            group_index(d, same, 0);
            dead_g2 = same;
        }
        group_index(d, in->group, 1);
    }
    person_rec_free(dead_p);
    person_rec_free(dead_p2);
    group_rec_free(dead_g);
    group_rec_free(dead_g2);
    if (count_change)
        atomic_fetch_add(&stat_changes, 1);
}

static void delete_uuid(struct dir *d, const char *uuid)
{
    struct dperson *dead_p = NULL;
    struct dgroup *dead_g = NULL;
    unlink_uuid(d, uuid, &dead_p, &dead_g);
    if (dead_p)
        mirror_refint(d, dead_p->ndn, NULL);
    person_rec_free(dead_p);
    group_rec_free(dead_g);
    atomic_fetch_add(&stat_changes, 1);
}

static void uuid_string(const struct berval *bin, char out[40])
{
    out[0] = '\0';
    if (bin->bv_len != 16)
        return;
    const unsigned char *u = (const unsigned char *)bin->bv_val;
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

/* ---- write-through (worker threads) --------------------------------- */

const char *const *dircache_attrs(void)
{
    return attrs;
}

void dircache_apply_entry(LDAP *ld, LDAPMessage *e)
{
    char *uuid = ldap_first_value(ld, e, "entryUUID");
    if (!uuid)
        return;
    lower_ascii(uuid);
    struct parsed in;
    parse_entry(ld, e, uuid, &in);
    pthread_rwlock_wrlock(&lock);
    if (state == DIRCACHE_LIVE && live && (in.person || in.group)) {
        apply_parsed(live, uuid, &in, 1);
        in.person = NULL;
        in.group = NULL;
    }
    pthread_rwlock_unlock(&lock);
    person_rec_free(in.person);
    group_rec_free(in.group);
    free(uuid);
}

void dircache_forget_dn(const char *dn)
{
    char *ndn = dircache_normalize_dn(dn);
    if (!ndn)
        return;
    struct dperson *p = NULL;
    struct dgroup *g = NULL;
    pthread_rwlock_wrlock(&lock);
    if (live) {
        if ((p = find_one(&live->person_ndn, ndn))) {
            person_index(live, p, 0);
            mirror_refint(live, p->ndn, NULL);
        }
        if ((g = find_one(&live->group_ndn, ndn)))
            group_index(live, g, 0);
    }
    pthread_rwlock_unlock(&lock);
    person_rec_free(p);
    group_rec_free(g);
    free(ndn);
}

/* ---- reads ----------------------------------------------------------- */

static int read_begin(void)
{
    pthread_rwlock_rdlock(&lock);
    if (state == DIRCACHE_LIVE && live)
        return 1;
    pthread_rwlock_unlock(&lock);
    return 0;
}

static void read_end(void)
{
    pthread_rwlock_unlock(&lock);
}

static void copy_person(const struct dperson *p, struct person *out)
{
    out->dn = xstrdup(p->dn);
    out->uid = xstrdup(p->uid);
    out->name = p->name ? xstrdup(p->name) : NULL;
    out->mail = p->mail ? xstrdup(p->mail) : NULL;
    out->login = p->login ? xstrdup(p->login) : NULL;
}

static char key_kind(const char *attr)
{
    if (!attr || strcasecmp(attr, cfg->identity_attribute) == 0)
        return login_kind;
    if (strcasecmp(attr, "uid") == 0)
        return 'u';
    if (strcasecmp(attr, "mail") == 0)
        return 'm';
    return 0;
}

/* The one person whose key matches, NULL if none or several (under lock). */
static const struct dperson *person_by_key(char kind, const char *value)
{
    char *key = fold_key(kind, value, strlen(value));
    uint64_t h = hash_str(key);
    const struct dperson *found = NULL;
    int count = 0;
    MAP_EACH(&live->person_key, key, h, n)
    {
        if (n->val != found)
            count++;
        found = n->val;
    }
    free(key);
    return count == 1 ? found : NULL;
}

int dircache_find_person(const char *attr, const char *value, struct person *out)
{
    memset(out, 0, sizeof(*out));
    if (!value || !read_begin())
        return DIRCACHE_MISS;
    char kind = key_kind(attr);
    if (!kind) {
        read_end();
        return DIRCACHE_MISS;
    }
    const struct dperson *p = person_by_key(kind, value);
    if (p)
        copy_person(p, out);
    read_end();
    /* Not found is LDAP's to say: a person an administrator has just added
     * may still be on its way through the sync session, and LDAP folds
     * case beyond ASCII. */
    return p ? ST_OK : DIRCACHE_MISS;
}

/* The person named by dn (under lock). */
static const struct dperson *person_by_dn(const char *dn)
{
    char *l = xstrdup(dn);
    lower_ascii(l);
    const struct dperson *p = find_one(&live->person_ndn, l);
    free(l);
    if (p)
        return p;
    char *ndn = dircache_normalize_dn(dn);
    if (ndn)
        p = find_one(&live->person_ndn, ndn);
    free(ndn);
    return p;
}

int dircache_people_by_dn(const char *const *dns, size_t n, struct person **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (!read_begin())
        return DIRCACHE_MISS;
    *out = xcalloc(n + 1, sizeof(struct person));
    for (size_t i = 0; i < n; i++) {
        const struct dperson *p = person_by_dn(dns[i]);
        int dup = 0;
        for (size_t j = 0; p && j < *nout && !dup; j++)
            dup = strcmp((*out)[j].dn, p->dn) == 0;
        if (p && !dup)
            copy_person(p, &(*out)[(*nout)++]);
    }
    read_end();
    return ST_OK;
}

static int compare_project_grants(const void *a, const void *b)
{
    const struct project_grant *x = a, *y = b;
    if (x->account_id != y->account_id)
        return x->account_id < y->account_id ? -1 : 1;
    return x->project_id < y->project_id ? -1 : x->project_id > y->project_id;
}

/* The grants of the person with normalized DN ndn (under the read lock):
 * one per account (and per project, when projects is not NULL), the roles
 * of its groups OR'ed, ordered by account id. Sorted and merged, not
 * searched: a person in 300 accounts has 300+ groups. */
static void grants_of_ndn(const char *ndn, struct role_grant **out, size_t *nout,
                          struct project_grant **projects, size_t *nprojects)
{
    uint64_t h = hash_str(ndn);
    size_t cap = 0;
    MAP_EACH(&live->group_member, ndn, h, n) cap++;
    struct role_grant *g_out = xcalloc(cap + 1, sizeof(struct role_grant));
    struct project_grant *p_out = projects ? xcalloc(cap + 1, sizeof(struct project_grant)) : NULL;
    size_t ng = 0, np = 0;
    MAP_EACH(&live->group_member, ndn, h, n)
    {
        const struct dgroup *g = n->val;
        if (g->kind == GROUP_PROJECT && p_out)
            p_out[np++] = (struct project_grant){
                .account_id = g->account_id, .project_id = g->project_id, .roles = g->role};
        else if (g->kind == GROUP_ACCOUNT)
            g_out[ng++] = (struct role_grant){.account_id = g->account_id, .roles = g->role};
    }
    qsort(g_out, ng, sizeof(*g_out), role_grant_compare);
    size_t k = 0;
    for (size_t i = 0; i < ng; i++) {
        if (k && g_out[k - 1].account_id == g_out[i].account_id)
            g_out[k - 1].roles |= g_out[i].roles;
        else
            g_out[k++] = g_out[i];
    }
    *out = g_out;
    *nout = k;
    if (p_out) {
        qsort(p_out, np, sizeof(*p_out), compare_project_grants);
        k = 0;
        for (size_t i = 0; i < np; i++) {
            if (k && p_out[k - 1].account_id == p_out[i].account_id &&
                p_out[k - 1].project_id == p_out[i].project_id)
                p_out[k - 1].roles |= p_out[i].roles;
            else
                p_out[k++] = p_out[i];
        }
        *projects = p_out;
        *nprojects = k;
    }
}

int dircache_grants_of(const char *dn, struct role_grant **out, size_t *nout,
                       struct project_grant **projects, size_t *nprojects)
{
    *out = NULL;
    *nout = 0;
    char *ndn = dircache_normalize_dn(dn);
    if (!ndn)
        return DIRCACHE_MISS;
    if (!read_begin()) {
        free(ndn);
        return DIRCACHE_MISS;
    }
    grants_of_ndn(ndn, out, nout, projects, nprojects);
    read_end();
    free(ndn);
    return ST_OK;
}

int dircache_caller(const char *login, struct caller *out)
{
    memset(out, 0, sizeof(*out));
    if (!read_begin())
        return DIRCACHE_MISS;
    const struct dperson *p = person_by_key(login_kind, login);
    if (p) {
        out->uid = xstrdup(p->uid);
        out->dn = xstrdup(p->dn);
        out->name = p->name ? xstrdup(p->name) : NULL;
        out->mail = p->mail ? xstrdup(p->mail) : NULL;
        grants_of_ndn(p->ndn, &out->grants, &out->ngrants, &out->projects, &out->nprojects);
    }
    read_end();
    return p ? ST_OK : DIRCACHE_MISS; /* not found: as in dircache_find_person */
}

int dircache_role_groups(const unsigned long long *ids, size_t nids, struct role_group **out,
                         size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (!read_begin())
        return DIRCACHE_MISS;
    size_t cap = 0;
    char key[24];
    for (size_t i = 0; i < nids; i++) {
        snprintf(key, sizeof(key), "%llu", ids[i]);
        uint64_t h = hash_str(key);
        MAP_EACH(&live->group_account, key, h, n) cap++;
    }
    *out = xcalloc(cap + 1, sizeof(struct role_group));
    for (size_t i = 0; i < nids; i++) {
        snprintf(key, sizeof(key), "%llu", ids[i]);
        uint64_t h = hash_str(key);
        int seen = 0; /* an id listed twice is answered once, as LDAP does */
        for (size_t j = 0; j < i && !seen; j++)
            seen = ids[j] == ids[i];
        if (seen)
            continue;
        MAP_EACH(&live->group_account, key, h, n)
        {
            const struct dgroup *g = n->val;
            struct role_group *r = &(*out)[(*nout)++];
            r->account_id = g->account_id;
            r->role = g->role;
            r->members = xcalloc(g->nm + 1, sizeof(char *));
            for (size_t m = 0; m < g->nm; m++)
                r->members[m] = xstrdup(g->members[m]);
            r->nmembers = g->nm;
        }
    }
    read_end();
    return ST_OK;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Counts the people among the members, as the members list shows them
 * (dircache_people_by_dn): a member value that names no person the cache
 * holds (a DN under ou=people whose entry does not exist, or an entry
 * outside ou=people) counts for nothing, so member_count always equals
 * the members list (round-18 walkthrough of seed 001, D4: it counted a
 * mistyped DN until accountd maint removed it). Which values are
 * people's the groups know already (dgroup.person): no lookup here. */
int dircache_member_counts(const unsigned long long *ids, size_t nids, size_t *counts)
{
    if (!read_begin())
        return DIRCACHE_MISS;
    char key[24];
    for (size_t i = 0; i < nids; i++) {
        snprintf(key, sizeof(key), "%llu", ids[i]);
        uint64_t h = hash_str(key);
        size_t total = 0;
        MAP_EACH(&live->group_account, key, h, n) total += ((const struct dgroup *)n->val)->nm;
        const char **all = xcalloc(total + 1, sizeof(char *));
        size_t nall = 0;
        MAP_EACH(&live->group_account, key, h, n)
        {
            const struct dgroup *g = n->val;
            for (size_t m = 0; m < g->nm; m++)
                if (g->person[m])
                    all[nall++] = g->nmembers[m];
        }
        /* Distinct normalized DNs: sorted, each counted once. */
        qsort(all, nall, sizeof(char *), compare_strings);
        counts[i] = 0;
        for (size_t k = 0; k < nall; k++)
            counts[i] += k == 0 || strcmp(all[k - 1], all[k]) != 0;
        free(all);
    }
    read_end();
    return ST_OK;
}

unsigned long long dircache_person_generation(const char *dn)
{
    unsigned long long gen = 0;
    pthread_rwlock_rdlock(&lock);
    if (state == DIRCACHE_TTL) {
        gen = 1;
    } else if (state == DIRCACHE_LIVE && live && dn) {
        const struct dperson *p = person_by_dn(dn);
        gen = p ? p->generation : 0;
    }
    pthread_rwlock_unlock(&lock);
    return gen;
}

enum dircache_state dircache_state(void)
{
    pthread_rwlock_rdlock(&lock);
    enum dircache_state s = state;
    pthread_rwlock_unlock(&lock);
    return s;
}

void dircache_stats(struct dircache_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_rwlock_rdlock(&lock);
    out->state = state;
    if (live) {
        out->people = live->person_uuid.n;
        out->groups = live->group_uuid.n;
        out->memberships = live->memberships;
    }
    pthread_rwlock_unlock(&lock);
    out->refreshes = atomic_load(&stat_refreshes);
    out->changes = atomic_load(&stat_changes);
    out->refresh_ms = atomic_load(&stat_refresh_ms);
    out->requests = atomic_load(&stat_requests);
}

/* ---- the TTL mode's identity cache ---------------------------------- */

#define TTL_SLOTS 1024

struct ttl_entry {
    char *login;
    struct caller caller;
    unsigned long long write_generation;
    struct timespec until;
};

static struct ttl_entry ttl_cache[TTL_SLOTS];
static pthread_mutex_t ttl_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t ttl_slot(const char *login)
{
    return (size_t)(hash_str(login) % TTL_SLOTS);
}

int dircache_ttl_get(const char *login, unsigned long long write_generation, int ttl,
                     struct caller *out)
{
    if (ttl <= 0 || dircache_state() != DIRCACHE_TTL)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int hit = 0;
    pthread_mutex_lock(&ttl_lock);
    struct ttl_entry *e = &ttl_cache[ttl_slot(login)];
    if (e->login && strcmp(e->login, login) == 0 && e->write_generation == write_generation &&
        (e->until.tv_sec > now.tv_sec ||
         (e->until.tv_sec == now.tv_sec && e->until.tv_nsec > now.tv_nsec))) {
        caller_copy(out, &e->caller);
        hit = 1;
    }
    pthread_mutex_unlock(&ttl_lock);
    return hit;
}

void dircache_ttl_put(const char *login, unsigned long long write_generation, int ttl,
                      const struct caller *c)
{
    if (ttl <= 0 || dircache_state() != DIRCACHE_TTL)
        return;
    pthread_mutex_lock(&ttl_lock);
    struct ttl_entry *e = &ttl_cache[ttl_slot(login)];
    free(e->login);
    caller_clear(&e->caller);
    e->login = xstrdup(login);
    caller_copy(&e->caller, c);
    e->write_generation = write_generation;
    clock_gettime(CLOCK_MONOTONIC, &e->until);
    e->until.tv_sec += ttl;
    pthread_mutex_unlock(&ttl_lock);
}

static void ttl_clear(void)
{
    pthread_mutex_lock(&ttl_lock);
    for (size_t i = 0; i < TTL_SLOTS; i++) {
        free(ttl_cache[i].login);
        ttl_cache[i].login = NULL;
        caller_clear(&ttl_cache[i].caller);
    }
    pthread_mutex_unlock(&ttl_lock);
}

/* ---- the sync session (one background thread) ----------------------- */

static void set_state(enum dircache_state s, struct dir *replace_with, int replace)
{
    struct dir *old = NULL;
    pthread_rwlock_wrlock(&lock);
    if (state != s)
        log_info("directory cache: %s",
                 s == DIRCACHE_LIVE         ? "live (sync session refreshed)"
                 : s == DIRCACHE_REFRESHING ? "refreshing (reads go to LDAP)"
                 : s == DIRCACHE_DOWN       ? "down (reads go to LDAP until the sync is back)"
                 : s == DIRCACHE_TTL        ? "no syncprov on the server: identities kept for "
                                              "identity_cache_ttl, sync asked again every "
                                              "ldap_sync_retry seconds"
                                            : "off");
    state = s;
    if (replace) {
        old = live;
        live = replace_with;
    }
    pthread_rwlock_unlock(&lock);
    dir_free(old);
}

static int should_stop(void)
{
    pthread_mutex_lock(&stop_mutex);
    int s = stopping;
    pthread_mutex_unlock(&stop_mutex);
    return s;
}

/* Sleeps ms milliseconds unless stopped first; returns 1 if stopping. */
static int nap(long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&stop_mutex);
    while (!stopping && pthread_cond_timedwait(&stop_cond, &stop_mutex, &until) == 0)
        ;
    int s = stopping;
    pthread_mutex_unlock(&stop_mutex);
    return s;
}

static LDAP *sync_connect(void)
{
    LDAP *ld = NULL;
    if (ldap_initialize(&ld, cfg->ldap_uri) != LDAP_SUCCESS)
        return NULL;
    int version = LDAP_VERSION3;
    struct timeval tv = {cfg->ldap_timeout, 0};
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    struct berval cred;
    cred.bv_val = cfg->ldap_bind_password;
    cred.bv_len = strlen(cred.bv_val);
    int rc = ldap_sasl_bind_s(ld, cfg->ldap_bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return NULL;
    }
    return ld;
}

enum session_end { SESSION_LOST, SESSION_NO_SYNC, SESSION_STOPPED };

static void handle_entry(LDAP *ld, LDAPMessage *msg, struct dir *target)
{
    LDAPControl **ctrls = NULL;
    ldap_get_entry_controls(ld, msg, &ctrls);
    LDAPControl *c = ctrls ? ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL) : NULL;
    ber_int_t sync_state = -1;
    struct berval uuid_bin = {0, NULL};
    BerElement *ber = c ? ber_init(&c->ldctl_value) : NULL;
    if (!ber || ber_scanf(ber, "{em", &sync_state, &uuid_bin) == LBER_ERROR) {
        if (ber)
            ber_free(ber, 1);
        ldap_controls_free(ctrls);
        log_warn("directory cache: an entry without a sync state: ignored");
        return;
    }
    char uuid[40];
    uuid_string(&uuid_bin, uuid);
    ber_free(ber, 1);
    ldap_controls_free(ctrls);
    if (!uuid[0])
        return;
    int is_live = target == NULL;
    if (sync_state == LDAP_SYNC_DELETE) {
        if (is_live) {
            pthread_rwlock_wrlock(&lock);
            if (live)
                delete_uuid(live, uuid);
            pthread_rwlock_unlock(&lock);
        } else {
            delete_uuid(target, uuid);
        }
        return;
    }
    struct parsed in;
    parse_entry(ld, msg, uuid, &in);
    if (!in.person && !in.group) {
        /* It left the filter's scope, or it is nothing we keep. */
        if (sync_state == LDAP_SYNC_MODIFY) {
            if (is_live) {
                pthread_rwlock_wrlock(&lock);
                if (live)
                    delete_uuid(live, uuid);
                pthread_rwlock_unlock(&lock);
            } else {
                delete_uuid(target, uuid);
            }
        }
        return;
    }
    if (is_live) {
        pthread_rwlock_wrlock(&lock);
        if (live) {
            apply_parsed(live, uuid, &in, 1);
            in.person = NULL;
            in.group = NULL;
        }
        pthread_rwlock_unlock(&lock);
        person_rec_free(in.person);
        group_rec_free(in.group);
    } else {
        apply_parsed(target, uuid, &in, 0);
    }
}

/* A syncInfo message: sets *done on refreshDone; applies a deleted id set. */
static void handle_intermediate(LDAP *ld, LDAPMessage *msg, struct dir *target, int *done)
{
    char *oid = NULL;
    struct berval *data = NULL;
    if (ldap_parse_intermediate(ld, msg, &oid, &data, NULL, 0) != LDAP_SUCCESS || !oid ||
        strcmp(oid, LDAP_SYNC_INFO) != 0 || !data)
        goto out;
    BerElement *ber = ber_init(data);
    if (!ber)
        goto out;
    ber_len_t len;
    ber_tag_t tag = ber_peek_tag(ber, &len);
    struct berval cookie;
    if (tag == LDAP_TAG_SYNC_REFRESH_PRESENT || tag == LDAP_TAG_SYNC_REFRESH_DELETE) {
        ber_int_t refresh_done = 1;
        if (ber_scanf(ber, "{") != LBER_ERROR) {
            if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE)
                ber_scanf(ber, "m", &cookie);
            if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDONE)
                ber_scanf(ber, "b", &refresh_done);
            if (refresh_done)
                *done = 1;
        }
    } else if (tag == LDAP_TAG_SYNC_ID_SET) {
        ber_int_t deletes = 0;
        BerVarray ids = NULL;
        if (ber_scanf(ber, "{") != LBER_ERROR) {
            if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE)
                ber_scanf(ber, "m", &cookie);
            if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDELETES)
                ber_scanf(ber, "b", &deletes);
            if (ber_scanf(ber, "[W]}", &ids) != LBER_ERROR && ids && deletes) {
                if (!target)
                    pthread_rwlock_wrlock(&lock);
                struct dir *d = target ? target : live;
                for (size_t i = 0; d && ids[i].bv_val; i++) {
                    char uuid[40];
                    uuid_string(&ids[i], uuid);
                    if (uuid[0])
                        delete_uuid(d, uuid);
                }
                if (!target)
                    pthread_rwlock_unlock(&lock);
            }
            ber_bvarray_free(ids);
        }
    }
    ber_free(ber, 1);
out:
    ldap_memfree(oid);
    ber_bvfree(data);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * One sync session: the search with the Sync Request control (RFC 4533,
 * mode refreshAndPersist, no cookie: every session starts with a full
 * refresh into a new cache), then the messages one at a time. This drives
 * the protocol with ldap_search_ext and ldap_result directly, parsing the
 * Sync State control and the Sync Info messages as libldap's ldap_sync_*
 * helpers do: ldap_sync_init() does not return before the refresh is done,
 * so this thread could neither notice a stop request during a long refresh
 * nor choose the moment the fresh cache replaces the old one.
 */
static enum session_end run_session(LDAP *ld)
{
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    struct berval value = {0, NULL};
    if (!ber ||
        ber_printf(ber, "{eb}", (ber_int_t)LDAP_SYNC_REFRESH_AND_PERSIST, (ber_int_t)0) < 0 ||
        ber_flatten2(ber, &value, 0) < 0) {
        if (ber)
            ber_free(ber, 1);
        return SESSION_LOST;
    }
    LDAPControl sync_ctrl = {LDAP_CONTROL_SYNC, value, 1};
    LDAPControl *ctrls[] = {&sync_ctrl, NULL};
    int msgid;
    int rc = ldap_search_ext(ld, cfg->ldap_base, LDAP_SCOPE_SUBTREE,
                             "(|(objectClass=inetOrgPerson)(objectClass=accountdRoleGroup))",
                             (char **)attrs, 0, ctrls, NULL, NULL, LDAP_NO_LIMIT, &msgid);
    ber_free(ber, 1);
    if (rc != LDAP_SUCCESS)
        return SESSION_LOST;
    atomic_fetch_add(&stat_requests, 1);
    /* The state stays as it is until slapd has accepted the session (its
     * first entry or sync info): a refusal (no syncprov, asked again every
     * ldap_sync_retry seconds) leaves the TTL mode and the identities all
     * threads share untouched, and logs nothing new. */
    int accepted = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct dir *fresh = dir_new();
    int done = 0;
    enum session_end end = SESSION_LOST;
    for (;;) {
        if (should_stop()) {
            ldap_abandon_ext(ld, msgid, NULL, NULL);
            end = SESSION_STOPPED;
            break;
        }
        /* After refreshDone, changes queued while refreshing follow at
         * once: the fresh cache goes live when 20 ms pass without one. */
        struct timeval tv = {0, done && fresh ? 20000 : 200000};
        LDAPMessage *msg = NULL;
        rc = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &msg);
        if (rc == 0) {
            if (done && fresh) {
                unsigned long long ms = (unsigned long long)ms_since(&t0);
                atomic_store(&stat_refresh_ms, ms);
                atomic_fetch_add(&stat_refreshes, 1);
                log_info("directory cache: refreshed %zu people and %zu role groups in %llu ms",
                         fresh->person_uuid.n, fresh->group_uuid.n, ms);
                set_state(DIRCACHE_LIVE, fresh, 1);
                fresh = NULL;
            }
            continue;
        }
        if (rc < 0)
            break;
        int type = ldap_msgtype(msg);
        if (!accepted && (type == LDAP_RES_SEARCH_ENTRY || type == LDAP_RES_INTERMEDIATE)) {
            accepted = 1;
            set_state(DIRCACHE_REFRESHING, NULL, 1);
            ttl_clear();
        }
        if (type == LDAP_RES_SEARCH_ENTRY) {
            handle_entry(ld, msg, fresh);
        } else if (type == LDAP_RES_INTERMEDIATE) {
            handle_intermediate(ld, msg, fresh, &done);
        } else if (type == LDAP_RES_SEARCH_RESULT) {
            int err = LDAP_OTHER;
            ldap_parse_result(ld, msg, &err, NULL, NULL, NULL, NULL, 0);
            if (err == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || err == LDAP_PROTOCOL_ERROR ||
                err == LDAP_UNWILLING_TO_PERFORM)
                end = SESSION_NO_SYNC;
            else
                log_warn("directory cache: the sync session ended: %s", ldap_err2string(err));
            ldap_msgfree(msg);
            break;
        }
        ldap_msgfree(msg);
    }
    dir_free(fresh);
    return end;
}

static void *sync_main(void *arg)
{
    (void)arg;
    long backoff = 100;
    while (!should_stop()) {
        LDAP *ld = sync_connect();
        enum session_end end = SESSION_LOST;
        if (ld) {
            end = run_session(ld);
            ldap_unbind_ext_s(ld, NULL, NULL);
        }
        if (end == SESSION_STOPPED)
            break;
        if (end == SESSION_NO_SYNC) {
            set_state(DIRCACHE_TTL, NULL, 1);
            backoff = 100;
            if (nap((long)cfg->ldap_sync_retry * 1000))
                break;
            continue;
        }
        set_state(DIRCACHE_DOWN, NULL, 1);
        if (nap(backoff))
            break;
        backoff = backoff * 2 > 1000 ? 1000 : backoff * 2;
        if (ld)
            backoff = 100; /* it answered: try again soon */
    }
    return NULL;
}

int dircache_start(const struct config *c)
{
    cfg = c;
    const char *a[] = {"ou"}, *v[] = {"accounts"};
    char *acc = ldap_build_dn(cfg->ldap_base, a, v, 1);
    accounts_ndn = acc ? dircache_normalize_dn(acc) : NULL;
    free(acc);
    const char *pv[] = {"people"};
    char *people = ldap_build_dn(cfg->ldap_base, a, pv, 1);
    people_ndn = people ? dircache_normalize_dn(people) : NULL;
    free(people);
    if (!accounts_ndn || !people_ndn) {
        log_error("ldap_base is not a valid DN");
        return -1;
    }
    size_t n = 0;
    static const char *const base_attrs[] = {"objectClass", "uid",       "cn",       "mail",
                                             "member",      "entryUUID", "entryCSN", NULL};
    for (; base_attrs[n]; n++)
        attrs[n] = base_attrs[n];
    int known = 0;
    for (size_t i = 0; i < n; i++)
        known |= strcasecmp(attrs[i], cfg->identity_attribute) == 0;
    if (!known)
        attrs[n++] = cfg->identity_attribute;
    attrs[n] = NULL;
    login_kind = strcasecmp(cfg->identity_attribute, "uid") == 0    ? 'u'
                 : strcasecmp(cfg->identity_attribute, "mail") == 0 ? 'm'
                                                                    : 'l';
    state = DIRCACHE_DOWN;
    stopping = 0;
    if (pthread_create(&sync_thread, NULL, sync_main, NULL) != 0) {
        log_error("cannot start the directory sync thread");
        return -1;
    }
    sync_started = 1;
    return 0;
}

void dircache_stop(void)
{
    if (!sync_started)
        return;
    pthread_mutex_lock(&stop_mutex);
    stopping = 1;
    pthread_cond_broadcast(&stop_cond);
    pthread_mutex_unlock(&stop_mutex);
    pthread_join(sync_thread, NULL);
    sync_started = 0;
    set_state(DIRCACHE_OFF, NULL, 1);
    ttl_clear();
    free(accounts_ndn);
    accounts_ndn = NULL;
    free(people_ndn);
    people_ndn = NULL;
}
