#include "routes.h"

#include "caller.h"
#include "handlers.h"
#include "idempotency.h"
#include "web.h"
#include "ldap_store.h"
#include "result.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

/* Every endpoint and who may call it. flags: PUBLIC answers anyone,
 * IDENTITY needs a caller, SECRET keeps the path out of the log, OPEN
 * refuses a closed account, PROJECT lets in people with a project role
 * only, OWNER lets the project's owners in whatever their role in its
 * account, PARENT_ADMIN lets the admins of its parent in (any kind of
 * parent) for the handler's own rule. roles: the caller's roles on the
 * account the path names that let them in; parent: roles on that
 * account's parent that do too when that parent is a distributor, the
 * back office (caller_authorize; operators always pass). A caller who
 * cannot see the account gets 404, one who sees it without the role 403
 * (caller_authorize), which names the roles and whom to ask, or says the
 * route's own refused text when its entry has one (the roles alone would
 * send them to the wrong person). Finer rules (a service provider grants no admin role, ...) are
 * the handler's. */
#define ADMIN   ROLE_ADMIN
#define SP      ROLE_SERVICE_PROVIDER
#define BILLING ROLE_BILLING
#define MEMBER  ROLE_MEMBER
#define ANY     ROLE_ANY
#define ID      ROUTE_IDENTITY
#define OPEN    ROUTE_OPEN
#define PROJECT ROUTE_PROJECT
#define IDEM    ROUTE_IDEMPOTENT
#define OWNER   ROUTE_PROJECT_OWNER
#define PARENT  ROUTE_PARENT_ADMIN

static const struct route routes[] = {
    /* method, path, handler, flags, roles, parent roles, account of, refused */
    {"GET", "/api/v1/health", service_health, ROUTE_PUBLIC, 0, 0, NULL, NULL},
    {"GET", "/api/v1/ready", service_ready, ROUTE_PUBLIC, 0, 0, NULL, NULL},
    {"GET", "/api/v1/auth", auth_check, ROUTE_PUBLIC, 0, 0, NULL, NULL},
    {"GET", "/metrics", service_metrics, ROUTE_PUBLIC, 0, 0, NULL, NULL},
    {"GET", "/api/v1/me", me_get, ID, 0, 0, NULL, NULL},
    {"GET", "/api/v1/me/accounts", me_accounts, ID, 0, 0, NULL, NULL},
    {"GET", "/api/v1/me/preferences", preferences_get, ID, 0, 0, NULL, NULL},
    {"PATCH", "/api/v1/me/preferences", preferences_patch, ID, 0, 0, NULL, NULL},
    /* accounts: a create names its parent in the body, the list in the query;
     * the search (?search= without parent_id) names none: operator staff
     * only, checked by its handler (accounts.c, accounts_search) */
    {"POST", "/api/v1/accounts", accounts_create, ID | OPEN, ADMIN, 0, accounts_parent_in_body,
     NULL},
    /* the list of P: also P's billing people, the back office that orders,
     * upgrades and cancels for P's children and must find them (round-15
     * walkthrough of seed 002, D1) */
    {"GET", "/api/v1/accounts", accounts_list, ID, ADMIN | SP | BILLING, 0,
     accounts_parent_in_query, NULL},
    {"GET", "/api/v1/accounts/{id}", accounts_get, ID | ROUTE_ROW, ANY, 0, NULL, NULL},
    {"PATCH", "/api/v1/accounts/{id}", accounts_patch, ID | OPEN, ADMIN | SP, 0, NULL, NULL},
    /* On a staged account only the admins of the provider's side (and
     * operator staff) close it; the customer's admin gets the handler's
     * 403 (accounts.c; round-25 walkthrough of seed 000, D1). */
    {"DELETE", "/api/v1/accounts/{id}", accounts_close, ID, ADMIN, 0, NULL, NULL},
    /* people and roles */
    {"GET", "/api/v1/accounts/{id}/members", members_list, ID, ANY, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/members/{uid}", members_get, ID, ANY, 0, NULL, NULL},
    {"PUT", "/api/v1/accounts/{id}/members/{uid}", members_set_roles, ID | OPEN, ADMIN | SP, 0,
     NULL, NULL},
    /* also the parent's admins, who remove the parent's former people
     * who created the account, and no one else (members.c; round-20
     * walkthrough of seed 001, D1) */
    {"DELETE", "/api/v1/accounts/{id}/members/{uid}", members_remove, ID | OPEN | PARENT,
     ADMIN | SP, 0, NULL, NULL},
    /* the named contacts (checked by the handler: they are admins) and
     * operator staff; whom the others ask is the named contacts, not any
     * admin (round-18 walkthrough of seed 004, D2) */
    {"POST", "/api/v1/accounts/{id}/members/{uid}/password-reset", password_reset_request,
     ID | OPEN | IDEM, ADMIN, 0, NULL, RESET_ASK_CONTACTS},
    {"POST", "/api/v1/accounts/{id}/invitations", invitations_create, ID | OPEN | IDEM, ADMIN | SP,
     0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/invitations", invitations_list, ID, ADMIN | SP, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/invitations/{inv}", invitations_get, ID, ADMIN | SP, 0, NULL,
     NULL},
    {"DELETE", "/api/v1/accounts/{id}/invitations/{inv}", invitations_revoke, ID, ADMIN | SP, 0,
     NULL, NULL},
    {"POST", "/api/v1/accounts/{id}/invitations/{inv}/resend", invitations_resend, ID | OPEN | IDEM,
     ADMIN | SP, 0, NULL, NULL},
    {"POST", "/api/v1/invitations/{token}/accept", invitations_accept, ROUTE_SECRET, 0, 0, NULL,
     NULL},
    {"POST", "/api/v1/password-resets/{token}", password_reset_complete, ROUTE_SECRET, 0, 0, NULL,
     NULL},
    {"PUT", "/api/v1/accounts/{id}/contacts/{kind}", contacts_set, ID | OPEN, ADMIN, 0, NULL, NULL},
    /* notifications */
    {"GET", "/api/v1/accounts/{id}/notification-recipients", recipients_get, ID, ANY, 0, NULL,
     NULL},
    {"PUT", "/api/v1/accounts/{id}/notification-recipients", recipients_put, ID | OPEN, ADMIN | SP,
     0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/notification-templates", templates_list, ID, ADMIN | SP, 0, NULL,
     NULL},
    {"GET", "/api/v1/accounts/{id}/notification-templates/{name}", templates_get, ID, ADMIN | SP, 0,
     NULL, NULL},
    {"PUT", "/api/v1/accounts/{id}/notification-templates/{name}", templates_put, ID | OPEN, ADMIN,
     0, NULL, NULL},
    {"DELETE", "/api/v1/accounts/{id}/notification-templates/{name}", templates_delete, ID | OPEN,
     ADMIN, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/notification-templates/{name}/recipients",
     template_recipients_list, ID, ADMIN | SP, 0, NULL, NULL},
    {"PUT", "/api/v1/accounts/{id}/notification-templates/{name}/recipients",
     template_recipients_put, ID | OPEN, ADMIN, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/notifications", notifications_list, ID, ADMIN | SP, 0, NULL,
     NULL},
    {"POST", "/api/v1/accounts/{id}/announcements", announcements_create, ID | OPEN | IDEM, ADMIN,
     0, NULL, NULL},
    /* partner management: properties, hand-over, service providers */
    /* the definitions are read also by the partner's billing people, who
     * read the overview table's property columns (round-16 walkthrough of
     * seed 001, D3); writing them stays admin or service-provider */
    {"GET", "/api/v1/accounts/{id}/property-definitions", property_definitions_list, ID,
     ADMIN | SP | BILLING, 0, NULL, NULL},
    {"POST", "/api/v1/accounts/{id}/property-definitions", property_definitions_create,
     ID | OPEN | IDEM, ADMIN | SP, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/property-definitions/{key}", property_definitions_get, ID,
     ADMIN | SP | BILLING, 0, NULL, NULL},
    {"PATCH", "/api/v1/accounts/{id}/property-definitions/{key}", property_definitions_patch,
     ID | OPEN, ADMIN | SP, 0, NULL, NULL},
    {"DELETE", "/api/v1/accounts/{id}/property-definitions/{key}", property_definitions_delete,
     ID | OPEN, ADMIN | SP, 0, NULL, NULL},
    /* a child's own sheet: its parent's definitions with its values, for
     * whoever reads the account (as GET /accounts/{id}) */
    {"GET", "/api/v1/accounts/{id}/properties", account_properties_get, ID, ANY, 0, NULL, NULL},
    /* every person of the account is let in for the handler's rule: an
     * account that is not staged is its 409 to all of them (round-24
     * walkthrough of seed 000, D3); on a staged one only the admins of
     * the provider's side (a person of the parent, operator staff
     * without one) and operator staff send it, everyone else gets the
     * handler's 403, which names who prepared it (transfer.c; round-23
     * walkthrough of seed 000, D1) */
    {"POST", "/api/v1/accounts/{id}/transfer", transfers_create, ID | OPEN | IDEM, ANY, 0, NULL,
     NULL},
    {"GET", "/api/v1/accounts/{id}/service-providers", providers_list, ID, ADMIN, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/service-providers/{uid}", providers_get, ID, ADMIN, 0, NULL,
     NULL},
    {"PATCH", "/api/v1/accounts/{id}/service-providers/{uid}", providers_patch, ID | OPEN, ADMIN, 0,
     NULL, NULL},
    {"DELETE", "/api/v1/accounts/{id}/service-providers/{uid}", providers_delete, ID | OPEN, ADMIN,
     0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/audit", audit_list, ID, ADMIN, 0, NULL, NULL},
    /* projects: people with a project role only are let in (ROUTE_PROJECT) */
    {"POST", "/api/v1/accounts/{id}/projects", projects_create, ID | OPEN | IDEM | PROJECT,
     ADMIN | SP, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/projects", projects_list, ID | PROJECT, ANY, 0, NULL, NULL},
    {"GET", "/api/v1/projects/{pid}", projects_get, ID | PROJECT, ANY, 0, projects_account_of,
     NULL},
    {"PATCH", "/api/v1/projects/{pid}", projects_patch, ID | OPEN | PROJECT, ADMIN | SP, 0,
     projects_account_of, NULL},
    {"DELETE", "/api/v1/projects/{pid}", projects_delete, ID | OPEN | PROJECT, ADMIN | SP, 0,
     projects_account_of, NULL},
    {"GET", "/api/v1/projects/{pid}/members/{uid}", project_members_get, ID | PROJECT, ANY, 0,
     projects_account_of, NULL},
    /* the project's people and invitations: the account's admins and
     * service providers, and the project's owners whatever their role in
     * the account (OWNER; round-18 walkthrough of seed 003, D2) */
    {"PUT", "/api/v1/projects/{pid}/members/{uid}", project_members_put,
     ID | OPEN | PROJECT | OWNER, ADMIN | SP, 0, projects_account_of, NULL},
    {"DELETE", "/api/v1/projects/{pid}/members/{uid}", project_members_delete,
     ID | OPEN | PROJECT | OWNER, ADMIN | SP, 0, projects_account_of, NULL},
    {"POST", "/api/v1/projects/{pid}/invitations", project_invitations_create,
     ID | OPEN | PROJECT | OWNER | IDEM, ADMIN | SP, 0, projects_account_of, NULL},
    {"GET", "/api/v1/projects/{pid}/invitations", project_invitations_list, ID | PROJECT | OWNER,
     ADMIN | SP, 0, projects_account_of, NULL},
    {"GET", "/api/v1/projects/{pid}/invitations/{inv}", project_invitations_get,
     ID | PROJECT | OWNER, ADMIN | SP, 0, projects_account_of, NULL},
    {"DELETE", "/api/v1/projects/{pid}/invitations/{inv}", project_invitations_revoke,
     ID | PROJECT | OWNER, ADMIN | SP, 0, projects_account_of, NULL},
    {"POST", "/api/v1/projects/{pid}/invitations/{inv}/resend", project_invitations_resend,
     ID | OPEN | PROJECT | OWNER | IDEM, ADMIN | SP, 0, projects_account_of, NULL},
    /* customer relations: a partner asks (or withdraws), the customer's
     * admin decides, an admin of either side ends an active one */
    {"POST", "/api/v1/accounts/{id}/customer-relations", relations_request, ID | OPEN | IDEM, ADMIN,
     0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/customers", relations_customers, ID, ADMIN | SP, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/customer-relations", relations_requests, ID, ADMIN, 0, NULL,
     NULL},
    {"GET", "/api/v1/customer-relations/{rid}", relations_get, ID, ADMIN, 0, relations_side_of,
     NULL},
    {"POST", "/api/v1/customer-relations/{rid}/approve", relations_approve, ID | OPEN | IDEM, ADMIN,
     0, relations_customer_of, NULL},
    {"POST", "/api/v1/customer-relations/{rid}/decline", relations_decline, ID | OPEN | IDEM, ADMIN,
     0, relations_customer_of, NULL},
    {"POST", "/api/v1/customer-relations/{rid}/withdraw", relations_withdraw, ID | OPEN | IDEM,
     ADMIN, 0, relations_partner_of, NULL},
    {"POST", "/api/v1/customer-relations/{rid}/end", relations_end, ID | OPEN | IDEM, ADMIN, 0,
     relations_side_of, NULL},
    /* billing (docs/api.md "Plans, orders, subscriptions, storefronts,
     * licenses"): back office = the parent's admins and billing people,
     * when the parent is a distributor (caller_authorize; round-17
     * walkthrough of seed 001, D1: a partner's people act in a child only
     * by the roles they hold there), self-service = the account's own
     * admins and billing people; members read, renew and order add-ons
     * (orders.c: an order with a plan is for the roles of upgrade; round-8
     * walkthrough of seed 004). Service providers read (DESIGN: "read
     * billing"). */
    {"GET", "/api/v1/plans", plans_list, ID, 0, 0, NULL, NULL},
    {"GET", "/api/v1/articles", articles_list, ID, 0, 0, NULL, NULL},
    {"POST", "/api/v1/accounts/{id}/orders", orders_create, ID | OPEN | IDEM,
     ADMIN | BILLING | MEMBER, ADMIN | BILLING, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/orders", orders_list, ID, ANY, ADMIN | BILLING, NULL, NULL},
    {"GET", "/api/v1/orders/{oid}", orders_get, ID, ANY, ADMIN | BILLING, order_account_of, NULL},
    {"POST", "/api/v1/orders/{oid}/execute", orders_execute, ID | OPEN | IDEM,
     ADMIN | BILLING | MEMBER, ADMIN | BILLING, order_account_of, NULL},
    {"POST", "/api/v1/orders/{oid}/discard", orders_discard, ID | OPEN | IDEM,
     ADMIN | BILLING | MEMBER, ADMIN | BILLING, order_account_of, NULL},
    {"GET", "/api/v1/accounts/{id}/subscriptions", subscriptions_list, ID, ANY, ADMIN | BILLING,
     NULL, NULL},
    {"GET", "/api/v1/subscriptions/{sid}", subscriptions_get, ID, ANY, ADMIN | BILLING,
     subscription_account_of, NULL},
    {"POST", "/api/v1/subscriptions/{sid}/upgrade", subscriptions_upgrade, ID | OPEN | IDEM,
     ADMIN | BILLING, ADMIN | BILLING, subscription_account_of, NULL},
    {"POST", "/api/v1/subscriptions/{sid}/cancel", subscriptions_cancel, ID | OPEN | IDEM,
     ADMIN | BILLING, ADMIN | BILLING, subscription_account_of, NULL},
    {"POST", "/api/v1/subscriptions/{sid}/uncancel", subscriptions_uncancel, ID | OPEN | IDEM,
     ADMIN | BILLING, ADMIN | BILLING, subscription_account_of, NULL},
    {"POST", "/api/v1/subscriptions/{sid}/renew", subscriptions_renew, ID | OPEN | IDEM, ANY,
     ADMIN | BILLING, subscription_account_of, NULL},
    {"GET", "/api/v1/storefronts/{alias}", storefronts_get, ROUTE_PUBLIC, 0, 0, NULL, NULL},
    {"GET", "/api/v1/storefront-aliases/{alias}", storefront_aliases_get, ROUTE_PUBLIC, 0, 0, NULL,
     NULL},
    {"GET", "/api/v1/accounts/{id}/storefront-host", storefront_host_get, ID, ADMIN | SP, 0, NULL,
     NULL},
    {"PUT", "/api/v1/accounts/{id}/storefront-host", storefront_host_put, ID | OPEN, ADMIN, 0, NULL,
     NULL},
    {"GET", "/api/v1/accounts/{id}/licenses", licenses_list, ID, ANY, ADMIN | BILLING, NULL, NULL},
    {"POST", "/api/v1/accounts/{id}/licenses/{feature}/consume", licenses_consume, ID | OPEN | IDEM,
     ANY, 0, NULL, NULL},
    {"POST", "/api/v1/accounts/{id}/licenses/{feature}/release", licenses_release, ID | OPEN | IDEM,
     ANY, 0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/invoices", invoices_list, ID, ANY, ADMIN | BILLING, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/quotes", quotes_list, ID, ANY, ADMIN | BILLING, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/quotes/{qid}", quotes_get, ID, ANY, ADMIN | BILLING, NULL, NULL},
    {"POST", "/api/v1/accounts/{id}/quotes", quotes_create, ID | OPEN | IDEM, ADMIN | BILLING,
     ADMIN | BILLING, NULL, NULL},
    /* the quotes requested from the account (the seller: its children
     * ask), which its quote-requested mail names: its admins, service
     * providers and billing people, as its overview table of children
     * (round-20 walkthrough of seed 001, D3); no parent roles */
    {"GET", "/api/v1/accounts/{id}/quote-requests", quote_requests_list, ID, ADMIN | SP | BILLING,
     0, NULL, NULL},
    {"GET", "/api/v1/accounts/{id}/quote-requests/{qid}", quote_requests_get, ID,
     ADMIN | SP | BILLING, 0, NULL, NULL},
};

int route_allows(const struct request *req, const char *method, const char *pattern)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].pattern, pattern) == 0)
            return caller_account_allows(req, &req->account, routes[i].roles,
                                         routes[i].parent_roles);
    return 0;
}

int route_match(const char *pattern, char *const *segments, size_t nsegments, const char *args[4])
{
    size_t nargs = 0, i = 0;
    const char *p = pattern;
    if (*p != '/')
        return 0;
    p++;
    while (1) {
        size_t n = strcspn(p, "/");
        if (i >= nsegments)
            return 0;
        if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
            if (!segments[i][0] || nargs >= 4)
                return 0;
            args[nargs++] = segments[i];
        } else if (strlen(segments[i]) != n || strncmp(segments[i], p, n) != 0) {
            return 0;
        }
        i++;
        if (!p[n])
            break;
        p += n + 1;
    }
    return i == nsegments;
}

/* The methods of every route on the request's path ("GET, HEAD, PUT"):
 * HEAD wherever GET is. */
static void path_methods(const struct request *req, struct buf *allow)
{
    size_t n = sizeof(routes) / sizeof(routes[0]);
    for (size_t i = 0; i < n; i++) {
        const char *a[4] = {0};
        if (!route_match(routes[i].pattern, req->segments, req->nsegments, a))
            continue;
        buf_printf(allow, "%s%s", allow->len ? ", " : "", routes[i].method);
        if (strcmp(routes[i].method, "GET") == 0)
            buf_adds(allow, ", HEAD");
    }
}

/* "no such order" for /api/v1/orders/{oid}/...: the 404 of a route whose
 * path names another resource than an account (an unknown one, or one
 * the caller may not see, alike). */
static const char *route_noun(const char *pattern)
{
    static const struct {
        const char *prefix, *detail;
    } nouns[] = {
        {"/api/v1/orders/", "no such order"},
        {"/api/v1/subscriptions/", "no such subscription"},
        {"/api/v1/projects/", "no such project"},
        {"/api/v1/customer-relations/", "no such customer relation"},
    };
    for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
        if (strncmp(pattern, nouns[i].prefix, strlen(nouns[i].prefix)) == 0)
            return nouns[i].detail;
    return NULL;
}

/* The route's rules for the account it names: fills req->account, or
 * answers 404/403/409/422/503 and returns -1. */
static int authorize_route(struct request *req, const struct route *route)
{
    unsigned long long id = 0;
    if (route->account_of) {
        req->not_found = route_noun(route->pattern);
        int st = route->account_of(req, &id);
        if (st == ST_REFUSED)
            return -1; /* the problem it recorded is the answer */
        if (st == ST_NOT_FOUND)
            id = 0;
        else if (st != ST_OK) {
            res_store_failure(req, st, "the database");
            return -1;
        }
        if (st == ST_OK && id == 0)
            return 0; /* names no account: the handler's own rule */
    } else {
        id = parse_id(req->args[0]);
    }
    req->want_account_row = (route->flags & ROUTE_ROW) != 0;
    /* A project's owners pass an OWNER route whatever role they hold in
     * the account (round-18 walkthrough of seed 003, D2: a member or
     * billing person made owner got this 403 before the project role was
     * looked at, while an owner with no account role passed): any role
     * of theirs lets them in, as an expired service-provider grant alone
     * does not; the handler checks the project role again
     * (projects_may_manage). Everyone else needs the route's roles, and
     * its 403 names the owners too. */
    unsigned allowed = route->roles;
    const char *also = NULL;
    if (route->flags & ROUTE_PROJECT_OWNER) {
        if (id && caller_owns_project(req, parse_id(req->args[0]), id))
            allowed = ROLE_ANY;
        else
            also = "an owner role in the project";
    }
    if ((route->flags & ROUTE_PROJECT) && id && !req->caller.is_operator &&
        !caller_roles(req, id) && caller_in_projects_of(req, id)) {
        if (caller_project_account(req, id, &req->account) < 0)
            return -1;
    } else if (caller_authorize_also(req, id, allowed, route->parent_roles,
                                     route->flags & ROUTE_PARENT_ADMIN ? ROLE_ADMIN : 0,
                                     route->refused, also, &req->account) < 0) {
        return -1;
    }
    if ((route->flags & ROUTE_OPEN) && strcmp(req->account.status, "closed") == 0) {
        refuse(req, 409, "conflict", "a closed account cannot be changed");
        return -1;
    }
    return 0;
}

/* A write (POST, PUT, PATCH, DELETE) takes no query parameter: none of
 * them reads its query, so one sent there was silently ignored —
 * POST /subscriptions/12/cancel?dry_run=1 really cancelled, and
 * .../execute?storefront_alias=x executed without the alias (round-6
 * walkthrough of seed 002, D3). 422 with each parameter in errors, before
 * the handler runs (nothing written, no key claimed), as lists refuse a
 * parameter they do not take. A form's fields (_method, return_to, ...)
 * are body fields too. */
static int refuse_write_query(struct request *req)
{
    if (!method_is_unsafe(req->method) || !json_is_object(req->query) ||
        json_object_size(req->query) == 0)
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach(req->query, key, v)
    {
        (void)v;
        res_field_error(req, key,
                        "is not accepted by this action: it takes no query parameters (its "
                        "fields go in the body)");
    }
    refuse(req, 422, "validation",
           "this action takes no query parameters; send its fields in "
           "the body");
    return -1;
}

static void dispatch(struct request *req, body_read_fn read, void *read_ctx)
{
    if (request_parse_head(req) < 0)
        return;
    size_t n = sizeof(routes) / sizeof(routes[0]);
    int path_known = 0;
    const char *args[4];
    for (size_t i = 0; i < n && !path_known; i++) {
        path_known = route_match(routes[i].pattern, req->segments, req->nsegments, args);
        if (path_known && (routes[i].flags & ROUTE_SECRET))
            req->log_path = routes[i].pattern;
    }
    if (!path_known) {
        refuse(req, 404, "not-found", "no such resource");
        return;
    }
    /* OPTIONS (CORS preflights): answered for every path without an
     * identity and without reading a body. The path's methods are listed
     * only here and for a 405 (a walk over every route). */
    struct buf allow = BUF_INIT;
    if (strcmp(req->method, "OPTIONS") == 0) {
        path_methods(req, &allow);
        web_preflight(req, buf_str(&allow));
        buf_free(&allow);
        return;
    }
    if (request_parse_body(req, read, read_ctx) < 0)
        return;
    /* HEAD is GET without the body (response_render leaves it out). */
    req->head = strcmp(req->method, "HEAD") == 0;
    const char *method = req->head ? "GET" : req->method;
    const struct route *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        const char *a[4] = {0};
        if (strcmp(routes[i].method, method) == 0 &&
            route_match(routes[i].pattern, req->segments, req->nsegments, a)) {
            found = &routes[i];
            memcpy(req->args, a, sizeof(a));
        }
    }
    if (!found) {
        path_methods(req, &allow);
        res_header(req, "Allow", buf_str(&allow));
        buf_free(&allow);
        /* A form that put _method into its action's URL (round-6
         * walkthrough of seed 000): say where it belongs. */
        if (request_param(req, "_method"))
            refuse(req, 405, "method-not-allowed",
                   "%s is not allowed here; a form sends _method as a field of its body, not "
                   "in the URL",
                   req->method);
        else
            refuse(req, 405, "method-not-allowed", "%s is not allowed here", req->method);
        return;
    }
    if ((found->flags & ROUTE_IDENTITY) && caller_require(req) < 0)
        return;
    if ((found->roles || found->parent_roles) && authorize_route(req, found) < 0)
        return;
    if (refuse_write_query(req) < 0)
        return;
    if ((found->flags & ROUTE_IDEMPOTENT) && idempotency_begin(req) < 0)
        return;
    found->handler(req);
    idempotency_end(req);
}

void routes_handle(struct request *req, body_read_fn read, void *read_ctx)
{
    dispatch(req, read, read_ctx);
    /* A refusal becomes the answer here, before web_finish() reads it. */
    request_answer(req);
    /* return_to / error_to redirects, the HTML error page, CORS. */
    web_finish(req);
}

void routes_print(FILE *out)
{
    static const char *const flag_names[] = {"identity", "secret",     "open",  "project",
                                             "row",      "idempotent", "owner", "parent-admin"};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        json_t *flags = json_array();
        for (unsigned b = 0; b < sizeof(flag_names) / sizeof(flag_names[0]); b++)
            if (r->flags & (1u << b))
                json_array_append_new(flags, json_string(flag_names[b]));
        json_t *line = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:s?}", "method", r->method,
                                 "pattern", r->pattern, "flags", flags, "roles",
                                 roles_json(r->roles), "parent_roles", roles_json(r->parent_roles),
                                 "account_of", r->account_of != NULL, "refused", r->refused);
        char *text = json_dumps(line, JSON_COMPACT);
        fprintf(out, "%s\n", text);
        free(text);
        json_decref(line);
    }
}
