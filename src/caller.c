#include "caller.h"

#include "account_store.h"
#include "authn.h"
#include "buf.h"
#include "dircache.h"
#include "ldap_store.h"
#include "log.h"
#include "providers_store.h"
#include "sql_store.h"
#include "validate.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic unsigned long long operator_id;

unsigned long long operator_account_id(struct request *req)
{
    unsigned long long id = atomic_load(&operator_id);
    if (id)
        return id;
    struct sql_result r;
    if (sql_exec(req->session->sql,
                 "SELECT id FROM accounts WHERE kind = 'operator' AND ldap_state = 'done' "
                 "ORDER BY id LIMIT 1",
                 SQL_NO_ARGS, &r) == ST_OK) {
        id = sql_cell_id(&r, 0, 0);
        sql_result_free(&r);
    }
    if (id)
        atomic_store(&operator_id, id);
    return id;
}

int person_is_operator(struct request *req, const char *dn, int *is)
{
    *is = 0;
    unsigned long long op = dn ? operator_account_id(req) : 0;
    if (!op)
        return ST_OK;
    unsigned roles = 0;
    int st = ldap_store_roles_of(req->session->ldap, op, dn, &roles);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    *is = st == ST_OK && (roles & ROLE_ADMIN) != 0;
    return st;
}

void caller_clear(struct caller *c)
{
    free(c->uid);
    free(c->dn);
    free(c->name);
    free(c->mail);
    free(c->grants);
    free(c->projects);
    memset(c, 0, sizeof(*c));
}

void caller_copy(struct caller *to, const struct caller *from)
{
    to->uid = from->uid ? xstrdup(from->uid) : NULL;
    to->dn = from->dn ? xstrdup(from->dn) : NULL;
    to->name = from->name ? xstrdup(from->name) : NULL;
    to->mail = from->mail ? xstrdup(from->mail) : NULL;
    to->ngrants = from->ngrants;
    to->grants = xcalloc(from->ngrants + 1, sizeof(struct role_grant));
    memcpy(to->grants, from->grants, from->ngrants * sizeof(struct role_grant));
    to->nprojects = from->nprojects;
    to->projects = xcalloc(from->nprojects + 1, sizeof(struct project_grant));
    if (from->nprojects)
        memcpy(to->projects, from->projects, from->nprojects * sizeof(struct project_grant));
    to->is_operator = from->is_operator;
}

int caller_refresh(struct request *req)
{
    caller_clear(&req->caller);
    req->caller_loaded = 0;
    return caller_require(req);
}

int role_grant_compare(const void *a, const void *b)
{
    const struct role_grant *x = a, *y = b;
    return x->account_id < y->account_id ? -1 : x->account_id > y->account_id;
}

/* Operator staff: admins of the operator account (looked up once, and only
 * for someone who is an admin anywhere). */
static void mark_operator(struct request *req)
{
    unsigned long long op = 0;
    for (size_t i = 0; i < req->caller.ngrants && !req->caller.is_operator; i++) {
        if (!(req->caller.grants[i].roles & ROLE_ADMIN))
            continue;
        if (!op)
            op = operator_account_id(req);
        req->caller.is_operator = op && req->caller.grants[i].account_id == op;
    }
}

int caller_require(struct request *req)
{
    if (req->caller_loaded)
        return 0;
    /* HTTP Basic checked here, or nginx's REMOTE_USER (authn.h). */
    const char *user = authn_user(req);
    if (!user)
        return -1;
    /* The process-wide directory cache, kept current by the sync session;
     * while that is down or refreshing, LDAP itself. */
    int st = dircache_caller(user, &req->caller);
    if (st == ST_OK) {
        req->caller_loaded = 1;
        mark_operator(req);
        return 0;
    }
    /* Without syncprov: identities shared by all threads for
     * identity_cache_ttl, ended by any LDAP write accountd makes. */
    unsigned long long generation = ldap_store_generation();
    if (dircache_ttl_get(user, generation, req->cfg->identity_cache_ttl, &req->caller)) {
        req->caller_loaded = 1;
        return 0;
    }
    struct person p;
    st = ldap_store_find_person(req->session->ldap, NULL, user, &p);
    if (st == ST_NOT_FOUND) {
        res_unauthenticated(req, "the signed-in user is not known to the directory");
        return -1;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return -1;
    }
    /* Account and project grants from one read (the directory cache can
     * serve both: project groups are told apart by the DN's shape). */
    st = ldap_store_all_grants_of(req->session->ldap, p.dn, &req->caller.grants,
                                  &req->caller.ngrants, &req->caller.projects,
                                  &req->caller.nprojects);
    if (st != ST_OK) {
        person_free(&p);
        res_store_failure(req, st, "the directory");
        return -1;
    }
    /* In account order, as the directory cache gives them (caller_roles). */
    qsort(req->caller.grants, req->caller.ngrants, sizeof(struct role_grant), role_grant_compare);
    req->caller.uid = p.uid;
    req->caller.dn = p.dn;
    req->caller.name = p.name;
    req->caller.mail = p.mail;
    free(p.login);
    req->caller_loaded = 1;
    mark_operator(req);
    dircache_ttl_put(user, generation, req->cfg->identity_cache_ttl, &req->caller);
    return 0;
}

unsigned caller_roles(const struct request *req, unsigned long long account_id)
{
    /* The grants are in account order, one per account (caller_require). */
    const struct role_grant key = {.account_id = account_id}, *g = NULL;
    if (req->caller.ngrants)
        g = bsearch(&key, req->caller.grants, req->caller.ngrants, sizeof(key), role_grant_compare);
    return g ? g->roles : 0;
}

/* The caller's roles in account id as authorization counts them: a
 * service-provider grant whose expires_at has passed
 * (service_provider_access) counts for nothing from that moment, before
 * `accountd maint` removes it from LDAP. */
static unsigned effective_roles(struct request *req, unsigned long long id, int *st)
{
    unsigned roles = caller_roles(req, id);
    *st = ST_OK;
    if (roles & ROLE_SERVICE_PROVIDER) {
        int expired = 0;
        *st = provider_access_expired(req->session->sql, id, req->caller.uid, &expired);
        if (expired)
            roles &= ~ROLE_SERVICE_PROVIDER;
    }
    return roles;
}

/* Is the caller admin or service-provider of one of the account's
 * ancestors (the roles that see child accounts' rows)? A plain member or
 * billing person of a parent does not learn that a child exists. */
static int sees_from_ancestor(struct request *req, unsigned long long id, int *st)
{
    struct sql_result r;
    *st = sql_exec(req->session->sql,
                   "WITH RECURSIVE chain (id, parent_id, depth) AS ("
                   " SELECT id, parent_id, 0 FROM accounts WHERE id = ?"
                   " UNION ALL"
                   " SELECT a.id, a.parent_id, c.depth + 1 FROM accounts a"
                   " JOIN chain c ON a.id = c.parent_id WHERE c.depth < 32)"
                   " SELECT id FROM chain WHERE depth > 0",
                   SQL_ARGS(P_INT(id)), &r);
    if (*st != ST_OK)
        return 0;
    int seen = 0;
    for (size_t i = 0; i < r.nrows && !seen && *st == ST_OK; i++)
        seen = (effective_roles(req, sql_cell_id(&r, i, 0), st) &
                (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)) != 0;
    sql_result_free(&r);
    return seen;
}

int caller_sees_account(struct request *req, unsigned long long id, int *sees)
{
    int st = ST_OK;
    *sees = req->caller.is_operator || effective_roles(req, id, &st) != 0;
    if (st == ST_OK && !*sees)
        *sees = sees_from_ancestor(req, id, &st);
    if (st != ST_OK)
        *sees = 0;
    return st;
}

/* Does the caller manage account id for their tenant tree: admin or
 * service-provider of it (a service-provider grant past its expires_at is
 * none: effective_roles, one SQL read only for such a grant)? */
static int manages_account(struct request *req, unsigned long long id, int *st)
{
    return (effective_roles(req, id, st) & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)) != 0;
}

int caller_tree_holds(struct request *req, const char *dn, const char *uid, int *in)
{
    *in = 0;
    if (req->caller.is_operator) {
        *in = 1;
        return ST_OK;
    }
    /* Nobody is in the tree of a caller who manages no account. */
    int manages = 0;
    for (size_t i = 0; i < req->caller.ngrants && !manages; i++)
        manages = (req->caller.grants[i].roles & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)) != 0;
    if (!manages)
        return ST_OK;
    struct role_grant *grants;
    struct project_grant *projects;
    size_t ngrants, nprojects;
    int st =
        ldap_store_all_grants_of(req->session->ldap, dn, &grants, &ngrants, &projects, &nprojects);
    /* The person's accounts, and the accounts of their projects (the
     * account's admins and service providers see the project's people):
     * the person is in the tree when the caller manages one of those
     * accounts itself. An account below one the caller manages is not
     * enough (round-19 walkthrough of seed 003, D1): its people are its
     * own organization's, and a partner's admins enter it only as its
     * members. */
    for (size_t i = 0; i < ngrants && st == ST_OK && !*in; i++) {
        if (!manages_account(req, grants[i].account_id, &st) || st != ST_OK)
            continue;
        /* A service-provider grant past its expires_at is no role
         * (service_provider_access), before maint removes it. */
        int expired = 0;
        if (grants[i].roles == ROLE_SERVICE_PROVIDER && uid)
            st = provider_access_expired(req->session->sql, grants[i].account_id, uid, &expired);
        *in = st == ST_OK && !expired;
    }
    for (size_t i = 0; i < nprojects && st == ST_OK && !*in; i++)
        *in = manages_account(req, projects[i].account_id, &st) && st == ST_OK;
    free(grants);
    free(projects);
    if (st != ST_OK)
        *in = 0;
    return st;
}

/* Reads account id (a parent) in one statement: whether it is closed and
 * whether it is a distributor, the one kind of parent whose roles open
 * the back office (round-17 walkthrough of seed 001, D1). */
static int read_parent(struct request *req, unsigned long long id, struct account_ref *out)
{
    struct sql_result r;
    int st = account_brief(req->session->sql, id, &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1) {
        out->parent_closed = strcmp(sql_cell(&r, 0, ACCOUNT_COL_STATUS), "closed") == 0;
        out->parent_distributor = strcmp(sql_cell(&r, 0, ACCOUNT_COL_KIND), "distributor") == 0;
    }
    sql_result_free(&r);
    return ST_OK;
}

/* The router's 404: the resource the path names (req->not_found). */
static const char *not_found_detail(const struct request *req)
{
    return req->not_found ? req->not_found : "no such account";
}

/* The router's 403 to a person of the account whose roles the route does
 * not name: which roles it needs (the route table's, in the words of the
 * role names) and whom to ask (round-17 walkthrough of seed 004, D6: an
 * additional user read a bare "your role in this account does not allow
 * this"). Only people with a role in the account get it, so it tells
 * nobody outside the account anything. */
static void refuse_role(struct request *req, unsigned allowed, unsigned roles, const char *refused,
                        const char *also)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, "your role in this account does not allow this");
    /* The route's own words, where the roles would send the caller to
     * the wrong person (routes.h, struct route's refused). */
    if (refused) {
        refuse(req, 403, "forbidden", "%s: %s", buf_str(&b), refused);
        buf_free(&b);
        return;
    }
    size_t count = 0, said = 0;
    for (unsigned i = 0; i < ROLE_COUNT; i++)
        count += (allowed & (1u << i)) != 0;
    for (unsigned i = 0; i < ROLE_COUNT; i++) {
        if (!(allowed & (1u << i)))
            continue;
        buf_printf(&b, "%s%s",
                   said == 0           ? ": it needs "
                   : said + 1 == count ? " or "
                                       : ", ",
                   role_names[i]);
        said++;
    }
    if (also)
        buf_printf(&b, ", or %s", also);
    if (!(roles & ROLE_ADMIN))
        buf_adds(&b, "; ask an administrator of the account");
    refuse(req, 403, "forbidden", "%s", buf_str(&b));
    buf_free(&b);
}

int caller_account_allows(const struct request *req, const struct account_ref *a, unsigned allowed,
                          unsigned parent_allowed)
{
    if (a->handed_over || a->parent_closed || !a->parent_distributor)
        parent_allowed = 0;
    return req->caller.is_operator || (a->roles & allowed) || (a->parent_roles & parent_allowed);
}

int caller_authorize(struct request *req, unsigned long long id, unsigned allowed,
                     unsigned parent_allowed, struct account_ref *out)
{
    return caller_authorize_also(req, id, allowed, parent_allowed, 0, NULL, NULL, out);
}

int caller_authorize_also(struct request *req, unsigned long long id, unsigned allowed,
                          unsigned parent_allowed, unsigned parent_any, const char *refused,
                          const char *also, struct account_ref *out)
{
    memset(out, 0, sizeof(*out));
    if (!id) {
        refuse(req, 404, "not-found", "%s", not_found_detail(req));
        return -1;
    }
    /* Every route reads the account's kind, status and parent; a route
     * that answers with the overview (ROUTE_ROW) reads the whole overview
     * row in that one statement and keeps it for the handler
     * (req->account_row), so the overview's correlated columns are paid
     * only where they are shown. */
    struct sql_result *r = xcalloc(1, sizeof(*r));
    int st = req->want_account_row ? account_read(req->session->sql, id, r)
                                   : account_brief(req->session->sql, id, r);
    if (st != ST_OK || r->nrows == 0) {
        sql_result_free(r);
        free(r);
        if (st != ST_OK)
            res_store_failure(req, st, "the database");
        else
            refuse(req, 404, "not-found", "%s", not_found_detail(req));
        return -1;
    }
    out->id = id;
    snprintf(out->kind, sizeof(out->kind), "%s", sql_cell(r, 0, ACCOUNT_COL_KIND));
    snprintf(out->status, sizeof(out->status), "%s", sql_cell(r, 0, ACCOUNT_COL_STATUS));
    out->parent_id = sql_cell_id(r, 0, ACCOUNT_COL_PARENT);
    const char *handed_over = sql_cell(r, 0, ACCOUNT_COL_HANDED_OVER);
    out->handed_over = handed_over && strcmp(handed_over, "1") == 0;
    if (req->account_row) {
        sql_result_free(req->account_row);
        free(req->account_row);
        req->account_row = NULL;
    }
    if (req->want_account_row) {
        req->account_row = r;
    } else {
        sql_result_free(r);
        free(r);
    }
    out->roles = req->caller.is_operator ? caller_roles(req, id) : effective_roles(req, id, &st);
    if (st == ST_OK)
        out->parent_roles = !out->parent_id           ? 0
                            : req->caller.is_operator ? caller_roles(req, out->parent_id)
                                                      : effective_roles(req, out->parent_id, &st);
    /* The back office is a distributor's (round-17 walkthrough of seed
     * 001, D1) and ends when it is closed (round-16 walkthrough of seed
     * 002, D1): the parent's kind and status, read in one statement and
     * only when the caller has roles there (operators pass anyway). */
    if (st == ST_OK && out->parent_roles && !req->caller.is_operator)
        st = read_parent(req, out->parent_id, out);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return -1;
    }
    /* The parent's back office is a distributor's, on its child accounts
     * (seed 002's BSS). A partner's people act in a child only by the
     * roles they hold there (round-17 walkthrough of seed 001, D1: a
     * partner admin who is no member got 403 on the overview but read
     * license keys and invoices and placed orders). The distributor's
     * ends with the hand-over: the customer owns a handed-over account,
     * and the distributor's people act in it only by the roles they hold
     * there (as service providers: read billing, never order, cancel or
     * upgrade; docs/api.md, "Plans, orders, ..."). The hand-over flag
     * comes with the row read above: no round trip. */
    /* The parent's admins on a route that lets them in for its handler's
     * own rule, whatever the parent's kind (ROUTE_PARENT_ADMIN: removing
     * the parent's former people who created the account; round-20
     * walkthrough of seed 001, D1), also when they hold a role here the
     * route does not name; not for a closed parent, whose people no
     * longer act for it. The handler learns that it is that rule that
     * applies to them (out->by_parent_admin): they hold none of those
     * roles here and are no operator staff, also when a role they hold
     * here (service-provider) let them in as well. */
    int parent_lets_in = (out->parent_roles & parent_any) && !out->parent_closed;
    out->by_parent_admin = parent_lets_in && !req->caller.is_operator && !(out->roles & parent_any);
    if (caller_account_allows(req, out, allowed, parent_allowed))
        return 0;
    if (parent_lets_in)
        return 0;
    if (out->roles) {
        refuse_role(req, allowed, out->roles, refused, also);
        return -1;
    }
    /* The parent's billing people read the account's row in the parent's
     * overview table (round-15 walkthrough of seed 002, D1), and a
     * distributor's are its back office there: they know it exists, so
     * what else they may not do is 403, not 404 (round-13 walkthrough of
     * seed 002, D3), after a hand-over too, as for the parent's admins
     * (round-16 walkthrough of seed 001, D1), and under a partner, which
     * has no back office (round-17 walkthrough of seed 001, D1). */
    int visible = (out->parent_roles & ROLE_BILLING) || sees_from_ancestor(req, id, &st);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return -1;
    }
    if (visible) {
        refuse(req, 403, "forbidden", "you are not a member of this account");
        return -1;
    }
    refuse(req, 404, "not-found", "%s", not_found_detail(req));
    return -1;
}

unsigned caller_project_roles(const struct request *req, unsigned long long project_id)
{
    for (size_t i = 0; i < req->caller.nprojects; i++)
        if (req->caller.projects[i].project_id == project_id)
            return req->caller.projects[i].roles;
    return 0;
}

int caller_owns_project(const struct request *req, unsigned long long project_id,
                        unsigned long long account_id)
{
    for (size_t i = 0; i < req->caller.nprojects; i++)
        if (req->caller.projects[i].project_id == project_id &&
            req->caller.projects[i].account_id == account_id)
            return (req->caller.projects[i].roles & PROJECT_OWNER) != 0;
    return 0;
}

int caller_in_projects_of(const struct request *req, unsigned long long account_id)
{
    for (size_t i = 0; i < req->caller.nprojects; i++)
        if (req->caller.projects[i].account_id == account_id)
            return 1;
    return 0;
}

int caller_project_account(struct request *req, unsigned long long id, struct account_ref *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st = sql_exec(req->session->sql,
                      "SELECT kind, status, parent_id FROM accounts"
                      " WHERE id = ? AND ldap_state = 'done'",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return -1;
    }
    if (r.nrows == 0) {
        sql_result_free(&r);
        refuse(req, 404, "not-found", "%s", not_found_detail(req));
        return -1;
    }
    out->id = id;
    snprintf(out->kind, sizeof(out->kind), "%s", sql_cell(&r, 0, 0));
    snprintf(out->status, sizeof(out->status), "%s", sql_cell(&r, 0, 1));
    out->parent_id = sql_cell_id(&r, 0, 2);
    sql_result_free(&r);
    return 0;
}

json_t *roles_json(unsigned roles)
{
    json_t *rl = json_array();
    for (unsigned b = 0; b < ROLE_COUNT; b++)
        if (roles & (1u << b))
            json_array_append_new(rl, json_string(role_names[b]));
    return rl;
}

json_t *project_roles_json(unsigned roles)
{
    json_t *rl = json_array();
    for (unsigned b = 0; b < PROJECT_ROLE_COUNT; b++)
        if (roles & (1u << b))
            json_array_append_new(rl, json_string(project_role_names[b]));
    return rl;
}
