#include "ldap_store.h"

#include "dircache.h"
#include "log.h"

#include <lber.h>
#include <nettle/sha2.h>
#include <stdatomic.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

const char *const role_names[ROLE_COUNT] = {"admin", "service-provider", "billing", "member"};

unsigned role_bit(const char *name)
{
    for (unsigned i = 0; i < ROLE_COUNT; i++)
        if (strcmp(role_names[i], name) == 0)
            return 1u << i;
    return 0;
}

struct ldap_store {
    const struct config *cfg;
    LDAP *ld;      /* bound as the service account */
    LDAP *auth_ld; /* for people's binds */
    char *people_base;
    char *accounts_base;
    int retried; /* the last write was sent again on a new connection */
};

static const char *const person_attrs_default[] = {"uid", "cn", "mail", NULL};

void person_free(struct person *p)
{
    free(p->dn);
    free(p->uid);
    free(p->name);
    free(p->mail);
    free(p->login);
    memset(p, 0, sizeof(*p));
}

void role_groups_free(struct role_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < g[i].nmembers; j++)
            free(g[i].members[j]);
        free(g[i].members);
    }
    free(g);
}

/* ---- pure helpers -------------------------------------------------- */

void ldap_escape_filter_value(struct buf *out, const char *value)
{
    struct berval in, esc = {0, NULL};
    in.bv_val = (char *)value;
    in.bv_len = strlen(value);
    if (ldap_bv2escaped_filter_value(&in, &esc) != 0) {
        /* Only fails on allocation failure. */
        fputs("accountd: out of memory\n", stderr);
        abort();
    }
    buf_add(out, esc.bv_val, esc.bv_len);
    ber_memfree(esc.bv_val);
}

char *ldap_build_dn(const char *base, const char *const *attrs, const char *const *values, size_t n)
{
    LDAPDN basedn = NULL;
    if (ldap_str2dn(base, &basedn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
        return NULL;
    size_t nbase = 0;
    while (basedn && basedn[nbase])
        nbase++;
    LDAPRDN *rdns = calloc(n + nbase + 1, sizeof(LDAPRDN));
    LDAPAVA *avas = calloc(n ? n : 1, sizeof(LDAPAVA));
    LDAPAVA **ava_ptrs = calloc(2 * (n ? n : 1), sizeof(LDAPAVA *));
    char *out = NULL;
    if (!rdns || !avas || !ava_ptrs)
        goto out;
    for (size_t i = 0; i < n; i++) {
        avas[i].la_attr.bv_val = (char *)attrs[i];
        avas[i].la_attr.bv_len = strlen(attrs[i]);
        avas[i].la_value.bv_val = (char *)values[i];
        avas[i].la_value.bv_len = strlen(values[i]);
        avas[i].la_flags = LDAP_AVA_STRING;
        ava_ptrs[2 * i] = &avas[i];
        ava_ptrs[2 * i + 1] = NULL;
        rdns[i] = &ava_ptrs[2 * i];
    }
    for (size_t i = 0; i < nbase; i++)
        rdns[n + i] = basedn[i];
    if (ldap_dn2str(rdns, &out, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
        out = NULL;
        goto out;
    }
    /* Hand the caller malloc'ed memory, not libldap's allocator's. */
    {
        char *copy = xstrdup(out);
        ldap_memfree(out);
        out = copy;
    }
out:
    free(rdns);
    free(avas);
    free(ava_ptrs);
    ldap_dnfree(basedn);
    return out;
}

static _Atomic unsigned long dn_normalisations;

unsigned long ldap_dn_normalisations(void)
{
    return atomic_load(&dn_normalisations);
}

char *ldap_dn_norm(const char *dn)
{
    atomic_fetch_add(&dn_normalisations, 1);
    char *n = NULL, *out;
    if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAPV3, &n, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
        n) {
        out = xstrdup(n);
    } else {
        out = xstrdup(dn);
    }
    ldap_memfree(n);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

int ldap_dn_equal(const char *a, const char *b)
{
    char *na = ldap_dn_norm(a), *nb = ldap_dn_norm(b);
    int eq = strcmp(na, nb) == 0;
    free(na);
    free(nb);
    return eq;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct member_entry *)a)->norm, ((const struct member_entry *)b)->norm);
}

void member_index_build(struct member_index *ix, const struct role_group *groups, size_t ngroups,
                        unsigned long long account_id)
{
    size_t total = 0;
    for (size_t g = 0; g < ngroups; g++)
        if (!account_id || groups[g].account_id == account_id)
            total += groups[g].nmembers;
    ix->entries = xcalloc(total + 1, sizeof(struct member_entry));
    ix->n = 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (account_id && groups[g].account_id != account_id)
            continue;
        for (size_t m = 0; m < groups[g].nmembers; m++) {
            struct member_entry *e = &ix->entries[ix->n++];
            e->norm = ldap_dn_norm(groups[g].members[m]);
            e->raw = groups[g].members[m];
            e->roles = groups[g].role;
        }
    }
    qsort(ix->entries, ix->n, sizeof(struct member_entry), entry_cmp);
    /* One entry per DN, with the roles of all its groups. */
    size_t w = 0;
    for (size_t r = 0; r < ix->n; r++) {
        if (w > 0 && strcmp(ix->entries[w - 1].norm, ix->entries[r].norm) == 0) {
            ix->entries[w - 1].roles |= ix->entries[r].roles;
            free(ix->entries[r].norm);
            continue;
        }
        ix->entries[w++] = ix->entries[r];
    }
    ix->n = w;
}

const struct member_entry *member_index_find_norm(const struct member_index *ix, const char *norm)
{
    struct member_entry key = {.norm = (char *)norm};
    return ix->n ? bsearch(&key, ix->entries, ix->n, sizeof(struct member_entry), entry_cmp) : NULL;
}

const struct member_entry *member_index_find(const struct member_index *ix, const char *dn)
{
    char *norm = ldap_dn_norm(dn);
    const struct member_entry *e = member_index_find_norm(ix, norm);
    free(norm);
    return e;
}

void member_index_free(struct member_index *ix)
{
    for (size_t i = 0; i < ix->n; i++)
        free(ix->entries[i].norm);
    free(ix->entries);
    ix->entries = NULL;
    ix->n = 0;
}

/* ---- connections --------------------------------------------------- */

int ldap_store_global_init(const struct config *cfg)
{
    int version = LDAP_VERSION3;
    struct timeval tv = {cfg->ldap_timeout, 0};
    if (ldap_set_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
        ldap_set_option(NULL, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
        ldap_set_option(NULL, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
        ldap_set_option(NULL, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS) {
        log_error("cannot set libldap's global options");
        return -1;
    }
    return 0;
}

struct ldap_store *ldap_store_new(const struct config *cfg)
{
    struct ldap_store *ls = xcalloc(1, sizeof(*ls));
    ls->cfg = cfg;
    const char *people[] = {"ou"}, *pv[] = {"people"};
    const char *accounts[] = {"ou"}, *av[] = {"accounts"};
    ls->people_base = ldap_build_dn(cfg->ldap_base, people, pv, 1);
    ls->accounts_base = ldap_build_dn(cfg->ldap_base, accounts, av, 1);
    if (!ls->people_base || !ls->accounts_base) {
        log_error("ldap_base is not a valid DN");
        abort();
    }
    return ls;
}

static void drop(LDAP **ld)
{
    if (*ld)
        ldap_unbind_ext_s(*ld, NULL, NULL);
    *ld = NULL;
}

void ldap_store_free(struct ldap_store *ls)
{
    if (!ls)
        return;
    drop(&ls->ld);
    drop(&ls->auth_ld);
    free(ls->people_base);
    free(ls->accounts_base);
    free(ls);
}

static int is_down(int rc)
{
    return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
           rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

static int open_handle(struct ldap_store *ls, LDAP **out)
{
    LDAP *ld = NULL;
    int rc = ldap_initialize(&ld, ls->cfg->ldap_uri);
    if (rc != LDAP_SUCCESS) {
        log_error("ldap_initialize(%s): %s", ls->cfg->ldap_uri, ldap_err2string(rc));
        return ST_UNAVAILABLE;
    }
    int version = LDAP_VERSION3;
    struct timeval tv = {ls->cfg->ldap_timeout, 0};
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    *out = ld;
    return ST_OK;
}

/* The service connection, bound. */
static int service(struct ldap_store *ls, LDAP **out)
{
    if (ls->ld) {
        *out = ls->ld;
        return ST_OK;
    }
    LDAP *ld;
    if (open_handle(ls, &ld) != ST_OK)
        return ST_UNAVAILABLE;
    struct berval cred;
    cred.bv_val = ls->cfg->ldap_bind_password;
    cred.bv_len = strlen(cred.bv_val);
    int rc = ldap_sasl_bind_s(ld, ls->cfg->ldap_bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        log_error("LDAP bind as the service account failed: %s", ldap_err2string(rc));
        ldap_unbind_ext_s(ld, NULL, NULL);
        return ST_UNAVAILABLE;
    }
    ls->ld = ld;
    *out = ld;
    return ST_OK;
}

/* Maps a result code; a connection-level failure drops the handle. */
static int map_rc(struct ldap_store *ls, LDAP **which, int rc, const char *what)
{
    if (rc == LDAP_SUCCESS)
        return ST_OK;
    if (is_down(rc)) {
        drop(which);
        (void)ls;
        return ST_UNAVAILABLE;
    }
    if (rc == LDAP_NO_SUCH_OBJECT)
        return ST_NOT_FOUND;
    if (rc == LDAP_ALREADY_EXISTS)
        return ST_DUPLICATE;
    if (rc == LDAP_CONSTRAINT_VIOLATION) {
        /* slapo-unique: another person has that mail (ST_CONFLICT). */
        log_info("LDAP %s refused: %s", what, ldap_err2string(rc));
        return ST_CONFLICT;
    }
    log_error("LDAP %s failed: %s", what, ldap_err2string(rc));
    return ST_ERROR;
}

/* A search with the configured timeout; retried once on a fresh connection
 * when the old one turned out to be dead (slapd restarted). */
static int search(struct ldap_store *ls, const char *base, int scope, const char *filter,
                  const char *const *attrs, LDAPMessage **res)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        LDAP *ld;
        int was_open = ls->ld != NULL;
        if (service(ls, &ld) != ST_OK)
            return ST_UNAVAILABLE;
        struct timeval tv = {ls->cfg->ldap_timeout, 0};
        *res = NULL;
        int rc = ldap_search_ext_s(ld, base, scope, filter, (char **)attrs, 0, NULL, NULL, &tv,
                                   LDAP_NO_LIMIT, res);
        if (rc == LDAP_SUCCESS)
            return ST_OK;
        if (*res) {
            ldap_msgfree(*res);
            *res = NULL;
        }
        int st = map_rc(ls, &ls->ld, rc, "search");
        if (st == ST_UNAVAILABLE && was_open && attempt == 0)
            continue;
        return st;
    }
    return ST_UNAVAILABLE;
}

static _Atomic unsigned long long write_generation;

unsigned long long ldap_store_generation(void)
{
    return atomic_load(&write_generation);
}

/*
 * Write-through: after accountd changed the entry dn, the directory cache
 * gets the entry as it now is (read back here), so that the next request,
 * in whichever thread, sees the change without waiting for the sync
 * session to deliver it. If it cannot be read back, the cache forgets the
 * entry (a refusal until the sync brings it back, never a stale grant).
 */
static void write_through(struct ldap_store *ls, const char *dn, int deleted)
{
    if (!dn || dircache_state() != DIRCACHE_LIVE)
        return;
    if (deleted) {
        dircache_forget_dn(dn);
        return;
    }
    LDAPMessage *res = NULL;
    int st = search(ls, dn, LDAP_SCOPE_BASE, "(objectClass=*)", dircache_attrs(), &res);
    LDAPMessage *e = st == ST_OK ? ldap_first_entry(ls->ld, res) : NULL;
    if (e)
        dircache_apply_entry(ls->ld, e);
    else
        dircache_forget_dn(dn);
    if (res)
        ldap_msgfree(res);
}

/* A modify/add/delete, retried once like search. fn runs the operation on
 * the entry dn (for the cache's write-through; deleted: fn deletes it). */
typedef int (*write_fn)(LDAP *ld, void *arg);

static int write_op(struct ldap_store *ls, write_fn fn, void *arg, const char *what, const char *dn,
                    int deleted)
{
    ls->retried = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        ls->retried = attempt > 0;
        LDAP *ld;
        int was_open = ls->ld != NULL;
        if (service(ls, &ld) != ST_OK)
            return ST_UNAVAILABLE;
        int rc = fn(ld, arg);
        int st = map_rc(ls, &ls->ld, rc, what);
        if (st == ST_OK) {
            atomic_fetch_add(&write_generation, 1);
            write_through(ls, dn, deleted);
        }
        if (st == ST_UNAVAILABLE && was_open && attempt == 0)
            continue;
        return st;
    }
    return ST_UNAVAILABLE;
}

int ldap_store_ping(struct ldap_store *ls)
{
    LDAPMessage *res;
    const char *attrs[] = {"1.1", NULL};
    int st = search(ls, ls->cfg->ldap_base, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, &res);
    if (st == ST_OK)
        ldap_msgfree(res);
    return st;
}

/* ---- people -------------------------------------------------------- */

char *ldap_first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
    struct berval **vals = ldap_get_values_len(ld, e, attr);
    char *v = NULL;
    if (vals && vals[0])
        v = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
    ldap_value_free_len(vals);
    return v;
}

static void read_person(struct ldap_store *ls, LDAPMessage *e, struct person *p)
{
    char *dn = ldap_get_dn(ls->ld, e);
    p->dn = xstrdup(dn ? dn : "");
    ldap_memfree(dn);
    p->uid = ldap_first_value(ls->ld, e, "uid");
    p->name = ldap_first_value(ls->ld, e, "cn");
    p->mail = ldap_first_value(ls->ld, e, "mail");
    p->login = ldap_first_value(ls->ld, e, ls->cfg->identity_attribute);
    if (!p->uid)
        p->uid = xstrdup(p->login ? p->login : "");
}

static void person_attrs(struct ldap_store *ls, const char *attrs[5])
{
    for (int i = 0; i < 3; i++)
        attrs[i] = person_attrs_default[i];
    attrs[3] = ls->cfg->identity_attribute;
    attrs[4] = NULL;
}

/* The one person under the people base that filter names; none or
 * several is ST_NOT_FOUND (an ambiguous identity is no identity). */
static int find_one_person(struct ldap_store *ls, const char *filter, struct person *out)
{
    memset(out, 0, sizeof(*out));
    const char *attrs[5];
    person_attrs(ls, attrs);
    LDAPMessage *res;
    int st = search(ls, ls->people_base, LDAP_SCOPE_SUBTREE, filter, attrs, &res);
    if (st != ST_OK)
        return st;
    LDAPMessage *e = ldap_first_entry(ls->ld, res);
    if (!e || ldap_count_entries(ls->ld, res) != 1) {
        ldap_msgfree(res);
        return ST_NOT_FOUND;
    }
    read_person(ls, e, out);
    ldap_msgfree(res);
    return ST_OK;
}

int ldap_store_find_person(struct ldap_store *ls, const char *attr, const char *value,
                           struct person *out)
{
    int cached = dircache_find_person(attr, value, out);
    if (cached != DIRCACHE_MISS)
        return cached;
    struct buf f = BUF_INIT;
    buf_printf(&f, "(&(objectClass=inetOrgPerson)(%s=", attr ? attr : ls->cfg->identity_attribute);
    ldap_escape_filter_value(&f, value);
    buf_adds(&f, "))");
    int st = find_one_person(ls, buf_str(&f), out);
    buf_free(&f);
    return st;
}

int ldap_store_people_by_dn(struct ldap_store *ls, const char *const *dns, size_t n,
                            struct person **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return ST_OK;
    int cached = dircache_people_by_dn(dns, n, out, nout);
    if (cached != DIRCACHE_MISS)
        return cached;
    struct buf f = BUF_INIT;
    buf_adds(&f, "(&(objectClass=inetOrgPerson)(|");
    for (size_t i = 0; i < n; i++) {
        buf_adds(&f, "(entryDN=");
        ldap_escape_filter_value(&f, dns[i]);
        buf_addc(&f, ')');
    }
    buf_adds(&f, "))");
    const char *attrs[5];
    person_attrs(ls, attrs);
    LDAPMessage *res;
    int st = search(ls, ls->people_base, LDAP_SCOPE_SUBTREE, buf_str(&f), attrs, &res);
    buf_free(&f);
    if (st != ST_OK)
        return st;
    int count = ldap_count_entries(ls->ld, res);
    *out = xcalloc(count > 0 ? (size_t)count : 1, sizeof(struct person));
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e))
        read_person(ls, e, &(*out)[(*nout)++]);
    ldap_msgfree(res);
    return ST_OK;
}

int ldap_store_check_password(struct ldap_store *ls, const char *dn, const char *password)
{
    /* RFC 4513 5.1.2: an empty password would be an unauthenticated bind,
     * which "succeeds" without checking anything. */
    if (!password || !*password || !dn || !*dn)
        return ST_DENIED;
    for (int attempt = 0; attempt < 2; attempt++) {
        int was_open = ls->auth_ld != NULL;
        if (!ls->auth_ld && open_handle(ls, &ls->auth_ld) != ST_OK)
            return ST_UNAVAILABLE;
        struct berval cred;
        cred.bv_val = (char *)password;
        cred.bv_len = strlen(password);
        int rc = ldap_sasl_bind_s(ls->auth_ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
        if (rc == LDAP_SUCCESS)
            return ST_OK;
        if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH ||
            rc == LDAP_UNWILLING_TO_PERFORM || rc == LDAP_INVALID_DN_SYNTAX)
            return ST_DENIED;
        if (is_down(rc)) {
            drop(&ls->auth_ld);
            if (was_open && attempt == 0)
                continue;
            return ST_UNAVAILABLE;
        }
        log_error("LDAP bind for a password check failed: %s", ldap_err2string(rc));
        drop(&ls->auth_ld);
        return ST_ERROR;
    }
    return ST_UNAVAILABLE;
}

/* ---- role groups --------------------------------------------------- */

static char *account_dn(struct ldap_store *ls, unsigned long long id)
{
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%llu", id);
    const char *a[] = {"ou"}, *v[] = {idbuf};
    return ldap_build_dn(ls->accounts_base, a, v, 1);
}

static char *group_dn(struct ldap_store *ls, unsigned long long id, unsigned role)
{
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%llu", id);
    const char *role_name = NULL;
    for (unsigned i = 0; i < ROLE_COUNT; i++)
        if (role == 1u << i)
            role_name = role_names[i];
    if (!role_name)
        return NULL;
    const char *a[] = {"cn", "ou"}, *v[] = {role_name, idbuf};
    return ldap_build_dn(ls->accounts_base, a, v, 2);
}

const char *const project_role_names[PROJECT_ROLE_COUNT] = {"owner", "editor", "reader"};

unsigned project_role_bit(const char *name)
{
    for (unsigned i = 0; name && i < PROJECT_ROLE_COUNT; i++)
        if (strcmp(name, project_role_names[i]) == 0)
            return 1u << i;
    return 0;
}

static size_t rdn_count(LDAPDN dn)
{
    size_t n = 0;
    while (dn && dn[n])
        n++;
    return n;
}

/* 1 if rdn is the single attr=value, with the value copied (NUL-ended)
 * into value (size bytes; a longer value does not match). */
static int rdn_is(LDAPRDN rdn, const char *attr, char *value, size_t size)
{
    if (!rdn || !rdn[0] || rdn[1])
        return 0;
    if (strlen(attr) != rdn[0]->la_attr.bv_len ||
        strncasecmp(rdn[0]->la_attr.bv_val, attr, rdn[0]->la_attr.bv_len) != 0 ||
        rdn[0]->la_value.bv_len >= size)
        return 0;
    memcpy(value, rdn[0]->la_value.bv_val, rdn[0]->la_value.bv_len);
    value[rdn[0]->la_value.bv_len] = '\0';
    return 1;
}

/* The shape of a role group's DN below ou=accounts: 1 for an account
 * group (cn=<role>,ou=<id>), 2 for a project group
 * (cn=<role>,ou=<pid>,ou=projects,ou=<id>), 0 otherwise; fills the ids
 * and the role name (at most 31 bytes). */
static int group_shape(struct ldap_store *ls, LDAP *ld, LDAPMessage *e,
                       unsigned long long *account_id, unsigned long long *project_id,
                       char role[32])
{
    *account_id = *project_id = 0;
    role[0] = '\0';
    char *dnstr = ldap_get_dn(ld, e);
    LDAPDN dn = NULL, base = NULL;
    int shape = 0;
    if (dnstr && ldap_str2dn(dnstr, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
        ldap_str2dn(ls->accounts_base, &base, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS) {
        size_t n = rdn_count(dn), nb = rdn_count(base);
        char v1[24], v2[16], v3[24];
        if (n > nb && rdn_is(dn[0], "cn", role, 32)) {
            if (n - nb == 2 && rdn_is(dn[1], "ou", v1, sizeof(v1))) {
                *account_id = strtoull(v1, NULL, 10);
                shape = *account_id ? 1 : 0;
            } else if (n - nb == 4 && rdn_is(dn[1], "ou", v1, sizeof(v1)) &&
                       rdn_is(dn[2], "ou", v2, sizeof(v2)) && strcasecmp(v2, "projects") == 0 &&
                       rdn_is(dn[3], "ou", v3, sizeof(v3))) {
                *project_id = strtoull(v1, NULL, 10);
                *account_id = strtoull(v3, NULL, 10);
                shape = *account_id && *project_id ? 2 : 0;
            }
        }
    }
    ldap_dnfree(dn);
    ldap_dnfree(base);
    ldap_memfree(dnstr);
    return shape;
}

int ldap_store_grants_of(struct ldap_store *ls, const char *dn, struct role_grant **out,
                         size_t *nout)
{
    return ldap_store_all_grants_of(ls, dn, out, nout, NULL, NULL);
}

int ldap_store_all_grants_of(struct ldap_store *ls, const char *dn, struct role_grant **out,
                             size_t *nout, struct project_grant **projects, size_t *nprojects)
{
    *out = NULL;
    *nout = 0;
    if (projects) {
        *projects = NULL;
        *nprojects = 0;
    }
    int cached = dircache_grants_of(dn, out, nout, projects, nprojects);
    if (cached != DIRCACHE_MISS)
        return cached;
    struct buf f = BUF_INIT;
    buf_adds(&f, "(&(objectClass=accountdRoleGroup)(member=");
    ldap_escape_filter_value(&f, dn);
    buf_adds(&f, "))");
    const char *attrs[] = {"cn", "accountdAccountId", NULL};
    LDAPMessage *res;
    int st = search(ls, ls->accounts_base, LDAP_SCOPE_SUBTREE, buf_str(&f), attrs, &res);
    buf_free(&f);
    if (st != ST_OK)
        return st;
    int count = ldap_count_entries(ls->ld, res);
    *out = xcalloc(count > 0 ? (size_t)count : 1, sizeof(struct role_grant));
    if (projects)
        *projects = xcalloc(count > 0 ? (size_t)count : 1, sizeof(struct project_grant));
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e)) {
        unsigned long long id, pid;
        char role[32];
        int shape = group_shape(ls, ls->ld, e, &id, &pid, role);
        if (shape == 2 && projects && project_role_bit(role)) {
            size_t i = 0;
            while (i < *nprojects && (*projects)[i].project_id != pid)
                i++;
            if (i == *nprojects) {
                (*projects)[i].account_id = id;
                (*projects)[i].project_id = pid;
                (*projects)[i].roles = 0;
                (*nprojects)++;
            }
            (*projects)[i].roles |= project_role_bit(role);
            continue;
        }
        if (shape != 1 || !role_bit(role))
            continue;
        size_t i = 0;
        while (i < *nout && (*out)[i].account_id != id)
            i++;
        if (i == *nout) {
            (*out)[i].account_id = id;
            (*out)[i].roles = 0;
            (*nout)++;
        }
        (*out)[i].roles |= role_bit(role);
    }
    ldap_msgfree(res);
    return ST_OK;
}

int ldap_store_role_groups(struct ldap_store *ls, const unsigned long long *ids, size_t nids,
                           struct role_group **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (nids == 0)
        return ST_OK;
    int cached = dircache_role_groups(ids, nids, out, nout);
    if (cached != DIRCACHE_MISS)
        return cached;
    struct buf f = BUF_INIT;
    buf_adds(&f, "(&(objectClass=accountdRoleGroup)(|");
    for (size_t i = 0; i < nids; i++) {
        char idbuf[24];
        snprintf(idbuf, sizeof(idbuf), "%llu", ids[i]);
        buf_adds(&f, "(accountdAccountId=");
        ldap_escape_filter_value(&f, idbuf);
        buf_addc(&f, ')');
    }
    buf_adds(&f, "))");
    const char *attrs[] = {"cn", "accountdAccountId", "member", NULL};
    LDAPMessage *res;
    int st = search(ls, ls->accounts_base, LDAP_SCOPE_SUBTREE, buf_str(&f), attrs, &res);
    buf_free(&f);
    if (st != ST_OK)
        return st;
    int count = ldap_count_entries(ls->ld, res);
    *out = xcalloc(count > 0 ? (size_t)count : 1, sizeof(struct role_group));
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e)) {
        struct role_group *g = &(*out)[*nout];
        unsigned long long pid;
        char role[32];
        /* Account groups only: a project's groups carry the account's id
         * too, and are told apart by the DN's shape. */
        if (group_shape(ls, ls->ld, e, &g->account_id, &pid, role) != 1 || !role_bit(role))
            continue;
        g->role = role_bit(role);
        struct berval **vals = ldap_get_values_len(ls->ld, e, "member");
        size_t nv = vals ? (size_t)ldap_count_values_len(vals) : 0;
        g->members = xcalloc(nv ? nv : 1, sizeof(char *));
        for (size_t i = 0; i < nv; i++)
            g->members[g->nmembers++] = xstrndup(vals[i]->bv_val, vals[i]->bv_len);
        ldap_value_free_len(vals);
        (*nout)++;
    }
    ldap_msgfree(res);
    return ST_OK;
}

int ldap_store_member_counts(struct ldap_store *ls, const unsigned long long *ids, size_t nids,
                             size_t *counts)
{
    int cached = dircache_member_counts(ids, nids, counts);
    if (cached != DIRCACHE_MISS)
        return cached;
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    int st = ldap_store_role_groups(ls, ids, nids, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    /* Only people count, as the members list shows them (people_by_dn):
     * a member value that names nobody under ou=people counts for nothing
     * (round-18 walkthrough of seed 001, D4). The page's distinct members
     * are read in one search, then each account's are looked up. */
    struct member_index all;
    member_index_build(&all, groups, ngroups, 0);
    const char **dns = xcalloc(all.n + 1, sizeof(char *));
    for (size_t i = 0; i < all.n; i++)
        dns[i] = all.entries[i].raw;
    struct person *people = NULL;
    size_t npeople = 0;
    st = ldap_store_people_by_dn(ls, dns, all.n, &people, &npeople);
    free(dns);
    char *is_person = xcalloc(all.n + 1, 1);
    for (size_t p = 0; p < npeople; p++) {
        const struct member_entry *e = member_index_find(&all, people[p].dn);
        if (e)
            is_person[e - all.entries] = 1;
        person_free(&people[p]);
    }
    free(people);
    for (size_t i = 0; st == ST_OK && i < nids; i++) {
        struct member_index ix;
        member_index_build(&ix, groups, ngroups, ids[i]);
        counts[i] = 0;
        for (size_t m = 0; m < ix.n; m++) {
            const struct member_entry *e = member_index_find_norm(&all, ix.entries[m].norm);
            counts[i] += e && is_person[e - all.entries];
        }
        member_index_free(&ix);
    }
    free(is_person);
    member_index_free(&all);
    role_groups_free(groups, ngroups);
    return st;
}

/* 1 if entry dn exists with `description` equal to marker, 0 if not, -1
 * if that cannot be read. */
static int entry_has_marker(struct ldap_store *ls, const char *dn, const char *marker)
{
    struct buf f = BUF_INIT;
    buf_adds(&f, "(description=");
    ldap_escape_filter_value(&f, marker);
    buf_addc(&f, ')');
    const char *attrs[] = {"1.1", NULL};
    LDAPMessage *res;
    int st = search(ls, dn, LDAP_SCOPE_BASE, buf_str(&f), attrs, &res);
    buf_free(&f);
    if (st == ST_NOT_FOUND)
        return 0;
    if (st != ST_OK)
        return -1;
    int found = ldap_count_entries(ls->ld, res) == 1;
    ldap_msgfree(res);
    return found;
}

struct add_arg {
    const char *dn;
    LDAPMod **mods;
};

static int do_add(LDAP *ld, void *arg)
{
    struct add_arg *a = arg;
    return ldap_add_ext_s(ld, a->dn, a->mods, NULL, NULL);
}

static int do_delete(LDAP *ld, void *arg)
{
    return ldap_delete_ext_s(ld, (const char *)arg, NULL, NULL);
}

int ldap_store_create_account(struct ldap_store *ls, unsigned long long id, const char *admin_dn,
                              const char *marker)
{
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%llu", id);
    char *dn = account_dn(ls, id);
    char *oc_ou[] = {"top", "organizationalUnit", NULL};
    char *ou_vals[] = {idbuf, NULL};
    char *desc_vals[] = {(char *)marker, NULL};
    LDAPMod oc = {LDAP_MOD_ADD, "objectClass", {.modv_strvals = oc_ou}};
    LDAPMod ou = {LDAP_MOD_ADD, "ou", {.modv_strvals = ou_vals}};
    LDAPMod desc = {LDAP_MOD_ADD, "description", {.modv_strvals = desc_vals}};
    LDAPMod *mods[] = {&oc, &ou, marker ? &desc : NULL, NULL};
    struct add_arg a = {dn, mods};
    int st = write_op(ls, do_add, &a, "add of an account entry", NULL, 0);
    /* A retry's "already exists" after a lost reply: ours if it carries
     * our marker, someone else's otherwise. */
    if (st == ST_DUPLICATE && ls->retried && marker && entry_has_marker(ls, dn, marker) == 1)
        st = ST_OK;
    if (st != ST_OK) {
        free(dn);
        return st;
    }
    unsigned created = 0;
    for (unsigned i = 0; i < ROLE_COUNT && st == ST_OK; i++) {
        char *gdn = group_dn(ls, id, 1u << i);
        char *oc_g[] = {"top", "accountdRoleGroup", NULL};
        char *cn_vals[] = {(char *)role_names[i], NULL};
        char *member_vals[] = {(char *)admin_dn, NULL};
        LDAPMod goc = {LDAP_MOD_ADD, "objectClass", {.modv_strvals = oc_g}};
        LDAPMod gcn = {LDAP_MOD_ADD, "cn", {.modv_strvals = cn_vals}};
        LDAPMod gid = {LDAP_MOD_ADD, "accountdAccountId", {.modv_strvals = ou_vals}};
        LDAPMod gmember = {LDAP_MOD_ADD, "member", {.modv_strvals = member_vals}};
        LDAPMod *gmods[] = {&goc, &gcn, &gid, i == 0 ? &gmember : NULL, NULL};
        struct add_arg ga = {gdn, gmods};
        st = write_op(ls, do_add, &ga, "add of a role group", gdn, 0);
        /* Under an entry this call made: a retry's "already exists" is
         * the first attempt's add. */
        if (st == ST_DUPLICATE && ls->retried)
            st = ST_OK;
        if (st == ST_OK)
            created |= 1u << i;
        free(gdn);
    }
    if (st != ST_OK) {
        /* Compensation: remove what this call created, in reverse. */
        for (int i = ROLE_COUNT - 1; i >= 0; i--) {
            if (!(created & (1u << i)))
                continue;
            char *gdn = group_dn(ls, id, 1u << i);
            write_op(ls, do_delete, gdn, "compensating delete", gdn, 1);
            free(gdn);
        }
        write_op(ls, do_delete, dn, "compensating delete", NULL, 1);
    }
    free(dn);
    return st;
}

int ldap_store_delete_account(struct ldap_store *ls, unsigned long long id)
{
    int st = ST_OK;
    for (int i = ROLE_COUNT - 1; i >= 0; i--) {
        char *gdn = group_dn(ls, id, 1u << i);
        int r = write_op(ls, do_delete, gdn, "delete of a role group", gdn, 1);
        if (r != ST_OK && r != ST_NOT_FOUND)
            st = r;
        free(gdn);
    }
    char *dn = account_dn(ls, id);
    int r = write_op(ls, do_delete, dn, "delete of an account entry", NULL, 1);
    if (r != ST_OK && r != ST_NOT_FOUND)
        st = r;
    free(dn);
    return st;
}

static int longer_first(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb ? 1 : la > lb ? -1 : 0;
}

int ldap_store_delete_account_tree(struct ldap_store *ls, unsigned long long id)
{
    char *base = account_dn(ls, id);
    const char *attrs[] = {"1.1", NULL};
    LDAPMessage *res = NULL;
    int st = search(ls, base, LDAP_SCOPE_SUBTREE, "(objectClass=*)", attrs, &res);
    free(base);
    if (st == ST_NOT_FOUND)
        return ST_OK; /* removed already */
    if (st != ST_OK)
        return st;
    size_t n = 0, cap = 8;
    char **dns = xcalloc(cap, sizeof(char *));
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e)) {
        char *dn = ldap_get_dn(ls->ld, e);
        if (!dn)
            continue;
        if (n == cap) {
            cap *= 2;
            char **grown = realloc(dns, cap * sizeof(char *));
            if (!grown)
                abort();
            dns = grown;
        }
        dns[n++] = xstrdup(dn);
        ldap_memfree(dn);
    }
    ldap_msgfree(res);
    /* A child's DN is its parent's with one more RDN in front: longest
     * first deletes every entry after those below it. */
    qsort(dns, n, sizeof(char *), longer_first);
    for (size_t i = 0; i < n; i++) {
        int r = write_op(ls, do_delete, dns[i], "delete of an account's entry", dns[i], 1);
        if (r != ST_OK && r != ST_NOT_FOUND && st == ST_OK)
            st = r;
        free(dns[i]);
    }
    free(dns);
    return st;
}

struct member_arg {
    const char *group;
    const char *member;
    int add;
    int changed;
};

static int do_member(LDAP *ld, void *arg)
{
    struct member_arg *m = arg;
    char *vals[] = {(char *)m->member, NULL};
    LDAPMod mod = {m->add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, "member", {.modv_strvals = vals}};
    LDAPMod *mods[] = {&mod, NULL};
    int rc = ldap_modify_ext_s(ld, m->group, mods, NULL, NULL);
    m->changed = rc == LDAP_SUCCESS;
    if ((m->add && rc == LDAP_TYPE_OR_VALUE_EXISTS) || (!m->add && rc == LDAP_NO_SUCH_ATTRIBUTE))
        rc = LDAP_SUCCESS;
    return rc;
}

int ldap_store_change_member(struct ldap_store *ls, unsigned long long id, unsigned role,
                             const char *dn, int add, int *changed)
{
    *changed = 0;
    char *gdn = group_dn(ls, id, role);
    if (!gdn)
        return ST_ERROR;
    struct member_arg m = {gdn, dn, add, 0};
    int st = write_op(ls, do_member, &m, "change of a role group", gdn, 0);
    free(gdn);
    /* After a retry, "already so" may be the first attempt's doing. */
    *changed = st != ST_OK ? 0 : ls->retried ? -1 : m.changed;
    return st;
}

int ldap_store_set_member(struct ldap_store *ls, unsigned long long id, unsigned role,
                          const char *dn, int add)
{
    int changed;
    return ldap_store_change_member(ls, id, role, dn, add, &changed);
}

/* ---- people: creation ---------------------------------------------- */

int ldap_store_create_person(struct ldap_store *ls, const char *uid, const char *mail,
                             const char *given_name, const char *surname, const char *cn,
                             const char *marker, char **dn_out)
{
    *dn_out = NULL;
    const char *a[] = {"uid"}, *v[] = {uid};
    char *dn = ldap_build_dn(ls->people_base, a, v, 1);
    if (!dn)
        return ST_ERROR;
    char *oc[] = {"top", "person", "organizationalPerson", "inetOrgPerson", NULL};
    char *uid_v[] = {(char *)uid, NULL}, *mail_v[] = {(char *)mail, NULL};
    char *sn_v[] = {(char *)surname, NULL}, *cn_v[] = {(char *)cn, NULL};
    char *gn_v[] = {(char *)given_name, NULL};
    LDAPMod m_oc = {LDAP_MOD_ADD, "objectClass", {.modv_strvals = oc}};
    LDAPMod m_uid = {LDAP_MOD_ADD, "uid", {.modv_strvals = uid_v}};
    LDAPMod m_mail = {LDAP_MOD_ADD, "mail", {.modv_strvals = mail_v}};
    LDAPMod m_sn = {LDAP_MOD_ADD, "sn", {.modv_strvals = sn_v}};
    LDAPMod m_cn = {LDAP_MOD_ADD, "cn", {.modv_strvals = cn_v}};
    LDAPMod m_gn = {LDAP_MOD_ADD, "givenName", {.modv_strvals = gn_v}};
    char *desc_v[] = {(char *)marker, NULL};
    LDAPMod m_desc = {LDAP_MOD_ADD, "description", {.modv_strvals = desc_v}};
    LDAPMod *mods[8] = {&m_oc, &m_uid, &m_mail, &m_sn, &m_cn};
    size_t nm = 5;
    if (given_name && *given_name)
        mods[nm++] = &m_gn;
    if (marker)
        mods[nm++] = &m_desc;
    mods[nm] = NULL;
    struct add_arg arg = {dn, mods};
    int st = write_op(ls, do_add, &arg, "add of a person", dn, 0);
    /* A retry refused as "uid taken" or "mail taken" after a lost reply:
     * the entry is the first attempt's only if it carries our marker;
     * anyone else's entry (maybe without a password yet) is never
     * adopted as ours. */
    if ((st == ST_DUPLICATE || st == ST_CONFLICT) && ls->retried && marker &&
        entry_has_marker(ls, dn, marker) == 1)
        st = ST_OK;
    if (st == ST_OK)
        *dn_out = dn;
    else
        free(dn);
    return st;
}

struct passwd_arg {
    const char *dn;
    const char *password;
};

static int do_passwd(LDAP *ld, void *arg)
{
    struct passwd_arg *p = arg;
    struct berval user, newpw, gen = {0, NULL};
    user.bv_val = (char *)p->dn;
    user.bv_len = strlen(p->dn);
    newpw.bv_val = (char *)p->password;
    newpw.bv_len = strlen(p->password);
    int rc = ldap_passwd_s(ld, &user, NULL, &newpw, &gen, NULL, NULL);
    if (gen.bv_val)
        ber_memfree(gen.bv_val);
    return rc;
}

int ldap_store_set_password(struct ldap_store *ls, const char *dn, const char *password)
{
    if (!password || !*password)
        return ST_ERROR;
    struct passwd_arg p = {dn, password};
    return write_op(ls, do_passwd, &p, "password modify", dn, 0);
}

int ldap_store_delete_entry(struct ldap_store *ls, const char *dn)
{
    return write_op(ls, do_delete, (void *)dn, "delete of an entry", dn, 1);
}

/* ---- integrity ------------------------------------------------------ */

int ldap_store_people_with_role(struct ldap_store *ls, const struct member_index *ix, unsigned role,
                                struct person **people, size_t *npeople)
{
    const char **dns = xcalloc(ix->n + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->entries[i].roles & role)
            dns[n++] = ix->entries[i].raw;
    int st = ldap_store_people_by_dn(ls, dns, n, people, npeople);
    free(dns);
    return st;
}

int ldap_store_count_people(struct ldap_store *ls, const struct member_index *ix, unsigned role,
                            size_t *count)
{
    *count = 0;
    struct person *people = NULL;
    size_t npeople = 0;
    int st = ldap_store_people_with_role(ls, ix, role, &people, &npeople);
    if (st != ST_OK)
        return st;
    *count = npeople;
    for (size_t i = 0; i < npeople; i++)
        person_free(&people[i]);
    free(people);
    return ST_OK;
}

void dangling_members_free(struct dangling_member *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].group_dn);
        free(d[i].member);
    }
    free(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does the entry dn exist? ST_OK yes, ST_NOT_FOUND no. */
static int entry_exists(struct ldap_store *ls, const char *dn)
{
    LDAPMessage *res;
    const char *attrs[] = {"1.1", NULL};
    int st = search(ls, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, &res);
    if (st == ST_OK)
        ldap_msgfree(res);
    return st;
}

int ldap_store_dangling_members(struct ldap_store *ls, struct dangling_member **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    /* Every entry under ou=people, normalised once and sorted: most members
     * are found there without a read of their own. */
    const char *none[] = {"1.1", NULL};
    LDAPMessage *res;
    int st = search(ls, ls->people_base, LDAP_SCOPE_SUBTREE, "(objectClass=*)", none, &res);
    if (st != ST_OK)
        return st;
    int count = ldap_count_entries(ls->ld, res);
    char **people = xcalloc(count > 0 ? (size_t)count : 1, sizeof(char *));
    size_t npeople = 0;
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e)) {
        char *dn = ldap_get_dn(ls->ld, e);
        if (dn)
            people[npeople++] = ldap_dn_norm(dn);
        ldap_memfree(dn);
    }
    ldap_msgfree(res);
    qsort(people, npeople, sizeof(char *), cmp_str);

    const char *attrs[] = {"accountdAccountId", "member", NULL};
    res = NULL;
    st = search(ls, ls->accounts_base, LDAP_SCOPE_SUBTREE, "(objectClass=accountdRoleGroup)", attrs,
                &res);
    size_t cap = 0;
    for (LDAPMessage *e = st == ST_OK ? ldap_first_entry(ls->ld, res) : NULL; e && st == ST_OK;
         e = ldap_next_entry(ls->ld, e)) {
        struct berval **vals = ldap_get_values_len(ls->ld, e, "member");
        char *gdn = ldap_get_dn(ls->ld, e);
        char *idv = ldap_first_value(ls->ld, e, "accountdAccountId");
        for (size_t i = 0; vals && vals[i] && st == ST_OK; i++) {
            char *member = xstrndup(vals[i]->bv_val, vals[i]->bv_len);
            char *norm = ldap_dn_norm(member);
            int known = bsearch(&norm, people, npeople, sizeof(char *), cmp_str) != NULL;
            free(norm);
            int ex = known ? ST_OK : entry_exists(ls, member);
            if (ex == ST_NOT_FOUND) {
                if (*nout == cap) {
                    cap = cap ? 2 * cap : 16;
                    struct dangling_member *grown = realloc(*out, cap * sizeof(**out));
                    if (!grown)
                        abort();
                    *out = grown;
                }
                struct dangling_member *d = &(*out)[(*nout)++];
                d->group_dn = xstrdup(gdn ? gdn : "");
                d->account_id = idv ? strtoull(idv, NULL, 10) : 0;
                d->member = member;
                member = NULL;
            } else if (ex != ST_OK) {
                st = ex;
            }
            free(member);
        }
        free(idv);
        ldap_memfree(gdn);
        ldap_value_free_len(vals);
    }
    if (res)
        ldap_msgfree(res);
    for (size_t i = 0; i < npeople; i++)
        free(people[i]);
    free(people);
    if (st != ST_OK) {
        dangling_members_free(*out, *nout);
        *out = NULL;
        *nout = 0;
    }
    return st;
}

static int cmp_admin_count(const void *a, const void *b)
{
    unsigned long long x = ((const struct admin_count *)a)->account_id,
                       y = ((const struct admin_count *)b)->account_id;
    return x < y ? -1 : x > y;
}

size_t admin_count_of(const struct admin_count *counts, size_t n, unsigned long long account_id)
{
    const struct admin_count key = {.account_id = account_id};
    const struct admin_count *c = bsearch(&key, counts, n, sizeof(key), cmp_admin_count);
    return c ? c->admins : 0;
}

int ldap_store_admin_counts(struct ldap_store *ls, struct admin_count **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    /* One search of the admin groups that have a member at all; the
     * account is the DN's (a project's groups are owner, editor and
     * reader, never admin, and are left out by their shape too). */
    const char *attrs[] = {"member", NULL};
    LDAPMessage *res;
    int st = search(ls, ls->accounts_base, LDAP_SCOPE_SUBTREE,
                    "(&(objectClass=accountdRoleGroup)(cn=admin)(member=*))", attrs, &res);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK)
        return st;
    int count = ldap_count_entries(ls->ld, res);
    *out = xcalloc(count > 0 ? (size_t)count : 1, sizeof(**out));
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e)) {
        unsigned long long account_id, project_id;
        char role[32];
        if (group_shape(ls, ls->ld, e, &account_id, &project_id, role) != 1 ||
            strcasecmp(role, "admin") != 0)
            continue;
        struct berval **vals = ldap_get_values_len(ls->ld, e, "member");
        size_t n = vals ? (size_t)ldap_count_values_len(vals) : 0;
        ldap_value_free_len(vals);
        if (n)
            (*out)[(*nout)++] = (struct admin_count){account_id, n};
    }
    ldap_msgfree(res);
    qsort(*out, *nout, sizeof(**out), cmp_admin_count);
    return ST_OK;
}

int ldap_store_remove_member_value(struct ldap_store *ls, const char *group_dn, const char *member)
{
    struct member_arg m = {group_dn, member, 0, 0};
    int st = write_op(ls, do_member, &m, "removal of a dangling member", group_dn, 0);
    if (st == ST_OK && !m.changed)
        st = ST_NOT_FOUND;
    return st;
}

/* ---- projects ------------------------------------------------------ */

static char *project_dn(struct ldap_store *ls, unsigned long long account_id,
                        unsigned long long project_id, const char *role)
{
    char aid[24], pid[24];
    snprintf(aid, sizeof(aid), "%llu", account_id);
    snprintf(pid, sizeof(pid), "%llu", project_id);
    const char *a[] = {"cn", "ou", "ou", "ou"}, *v[] = {role, pid, "projects", aid};
    if (!project_id) /* the account's ou=projects */
        return ldap_build_dn(ls->accounts_base, a + 2, v + 2, 2);
    return role ? ldap_build_dn(ls->accounts_base, a, v, 4)
                : ldap_build_dn(ls->accounts_base, a + 1, v + 1, 3);
}

int ldap_store_create_project(struct ldap_store *ls, unsigned long long account_id,
                              unsigned long long project_id, const char *owner_dn)
{
    char aid[24], pid[24];
    snprintf(aid, sizeof(aid), "%llu", account_id);
    snprintf(pid, sizeof(pid), "%llu", project_id);
    char *oc_ou[] = {"top", "organizationalUnit", NULL};
    char *projects_vals[] = {"projects", NULL};
    char *pid_vals[] = {pid, NULL};
    char *container = project_dn(ls, account_id, 0, NULL);
    LDAPMod coc = {LDAP_MOD_ADD, "objectClass", {.modv_strvals = oc_ou}};
    LDAPMod cou = {LDAP_MOD_ADD, "ou", {.modv_strvals = projects_vals}};
    LDAPMod *cmods[] = {&coc, &cou, NULL};
    struct add_arg ca = {container, cmods};
    int st = write_op(ls, do_add, &ca, "add of an account's projects entry", NULL, 0);
    free(container);
    if (st == ST_DUPLICATE)
        st = ST_OK;
    if (st != ST_OK)
        return st;
    char *dn = project_dn(ls, account_id, project_id, NULL);
    LDAPMod poc = {LDAP_MOD_ADD, "objectClass", {.modv_strvals = oc_ou}};
    LDAPMod pou = {LDAP_MOD_ADD, "ou", {.modv_strvals = pid_vals}};
    LDAPMod *pmods[] = {&poc, &pou, NULL};
    struct add_arg pa = {dn, pmods};
    st = write_op(ls, do_add, &pa, "add of a project entry", NULL, 0);
    free(dn);
    if (st != ST_OK)
        return st;
    char *aid_vals[] = {aid, NULL};
    for (unsigned i = 0; i < PROJECT_ROLE_COUNT && st == ST_OK; i++) {
        char *gdn = project_dn(ls, account_id, project_id, project_role_names[i]);
        char *oc_g[] = {"top", "accountdRoleGroup", NULL};
        char *cn_vals[] = {(char *)project_role_names[i], NULL};
        char *member_vals[] = {(char *)owner_dn, NULL};
        LDAPMod goc = {LDAP_MOD_ADD, "objectClass", {.modv_strvals = oc_g}};
        LDAPMod gcn = {LDAP_MOD_ADD, "cn", {.modv_strvals = cn_vals}};
        LDAPMod gid = {LDAP_MOD_ADD, "accountdAccountId", {.modv_strvals = aid_vals}};
        LDAPMod gmember = {LDAP_MOD_ADD, "member", {.modv_strvals = member_vals}};
        LDAPMod *gmods[] = {&goc, &gcn, &gid, i == 0 && owner_dn ? &gmember : NULL, NULL};
        struct add_arg ga = {gdn, gmods};
        st = write_op(ls, do_add, &ga, "add of a project role group", gdn, 0);
        free(gdn);
    }
    if (st != ST_OK)
        ldap_store_delete_project(ls, account_id, project_id);
    return st;
}

int ldap_store_delete_project(struct ldap_store *ls, unsigned long long account_id,
                              unsigned long long project_id)
{
    int st = ST_OK;
    for (int i = PROJECT_ROLE_COUNT - 1; i >= 0; i--) {
        char *gdn = project_dn(ls, account_id, project_id, project_role_names[i]);
        int r = write_op(ls, do_delete, gdn, "delete of a project role group", gdn, 1);
        if (r != ST_OK && r != ST_NOT_FOUND)
            st = r;
        free(gdn);
    }
    char *dn = project_dn(ls, account_id, project_id, NULL);
    int r = write_op(ls, do_delete, dn, "delete of a project entry", NULL, 1);
    if (r != ST_OK && r != ST_NOT_FOUND)
        st = r;
    free(dn);
    return st;
}

int ldap_store_project_groups(struct ldap_store *ls, unsigned long long account_id,
                              unsigned long long project_id, struct role_group **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    char *dn = project_dn(ls, account_id, project_id, NULL);
    const char *attrs[] = {"cn", "member", NULL};
    LDAPMessage *res;
    int st = search(ls, dn, LDAP_SCOPE_ONELEVEL, "(objectClass=accountdRoleGroup)", attrs, &res);
    free(dn);
    if (st != ST_OK)
        return st;
    int count = ldap_count_entries(ls->ld, res);
    *out = xcalloc(count > 0 ? (size_t)count : 1, sizeof(struct role_group));
    for (LDAPMessage *e = ldap_first_entry(ls->ld, res); e; e = ldap_next_entry(ls->ld, e)) {
        char *cn = ldap_first_value(ls->ld, e, "cn");
        unsigned role = project_role_bit(cn);
        free(cn);
        if (!role)
            continue;
        struct role_group *g = &(*out)[(*nout)++];
        g->account_id = account_id;
        g->role = role;
        struct berval **vals = ldap_get_values_len(ls->ld, e, "member");
        size_t nv = vals ? (size_t)ldap_count_values_len(vals) : 0;
        g->members = xcalloc(nv ? nv : 1, sizeof(char *));
        for (size_t i = 0; i < nv; i++)
            g->members[g->nmembers++] = xstrndup(vals[i]->bv_val, vals[i]->bv_len);
        ldap_value_free_len(vals);
    }
    ldap_msgfree(res);
    return ST_OK;
}

int ldap_store_change_project_member(struct ldap_store *ls, unsigned long long account_id,
                                     unsigned long long project_id, unsigned role, const char *dn,
                                     int add, int *changed)
{
    *changed = 0;
    const char *name = NULL;
    for (unsigned i = 0; i < PROJECT_ROLE_COUNT; i++)
        if (role == 1u << i)
            name = project_role_names[i];
    if (!name)
        return ST_ERROR;
    char *gdn = project_dn(ls, account_id, project_id, name);
    struct member_arg m = {gdn, dn, add, 0};
    int st = write_op(ls, do_member, &m, "change of a project role group", gdn, 0);
    free(gdn);
    *changed = st == ST_OK && m.changed;
    return st;
}

int ldap_store_marked_person(struct ldap_store *ls, const char *mail, const char *marker,
                             struct person *out, int *has_password)
{
    *has_password = 0;
    struct buf f = BUF_INIT;
    buf_adds(&f, "(&(objectClass=inetOrgPerson)(mail=");
    ldap_escape_filter_value(&f, mail);
    buf_adds(&f, ")(description=");
    ldap_escape_filter_value(&f, marker);
    buf_adds(&f, "))");
    int st = find_one_person(ls, buf_str(&f), out);
    buf_free(&f);
    return st == ST_OK ? ldap_store_has_password(ls, out->dn, has_password) : st;
}

int ldap_store_has_password(struct ldap_store *ls, const char *dn, int *has_password)
{
    *has_password = 0;
    const char *attrs[] = {"1.1", NULL};
    LDAPMessage *res;
    /* A presence filter: the value itself is never read. */
    int st = search(ls, dn, LDAP_SCOPE_BASE, "(userPassword=*)", attrs, &res);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK)
        return st;
    *has_password = ldap_count_entries(ls->ld, res) == 1;
    ldap_msgfree(res);
    return ST_OK;
}

int ldap_store_reset_proof(struct ldap_store *ls, const char *dn, char **mail,
                           char password_mark[65])
{
    *mail = NULL;
    password_mark[0] = '\0';
    const char *attrs[] = {"mail", "userPassword", NULL};
    LDAPMessage *res;
    /* The entry itself, not the cache: the cache holds no userPassword,
     * and a link is judged by what the directory says now. */
    int st = search(ls, dn, LDAP_SCOPE_BASE, "(objectClass=inetOrgPerson)", attrs, &res);
    if (st != ST_OK)
        return st;
    LDAPMessage *e = ldap_first_entry(ls->ld, res);
    if (!e) {
        ldap_msgfree(res);
        return ST_NOT_FOUND;
    }
    *mail = ldap_first_value(ls->ld, e, "mail");
    /* The values are hashed at once and never kept, logged or stored. */
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    static const char label[] = "userPassword";
    sha256_update(&ctx, sizeof(label), (const uint8_t *)label);
    struct berval **vals = ldap_get_values_len(ls->ld, e, "userPassword");
    for (size_t i = 0; vals && vals[i]; i++) {
        uint8_t len[4] = {(uint8_t)(vals[i]->bv_len >> 24), (uint8_t)(vals[i]->bv_len >> 16),
                          (uint8_t)(vals[i]->bv_len >> 8), (uint8_t)vals[i]->bv_len};
        sha256_update(&ctx, sizeof(len), len);
        sha256_update(&ctx, vals[i]->bv_len, (const uint8_t *)vals[i]->bv_val);
    }
    ldap_value_free_len(vals);
    ldap_msgfree(res);
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof(digest), digest);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(digest); i++) {
        password_mark[2 * i] = hex[digest[i] >> 4];
        password_mark[2 * i + 1] = hex[digest[i] & 15];
    }
    password_mark[64] = '\0';
    return ST_OK;
}

int ldap_store_roles_of(struct ldap_store *ls, unsigned long long id, const char *dn,
                        unsigned *roles)
{
    *roles = 0;
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(ls, &id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, id);
    const struct member_entry *e = member_index_find(&ix, dn);
    *roles = e ? e->roles : 0;
    member_index_free(&ix);
    role_groups_free(groups, ngroups);
    return ST_OK;
}
