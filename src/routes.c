#include "routes.h"

#include "caller.h"
#include "handlers.h"

#include <string.h>

/* Every endpoint. Reading this table tells who may call what: ROUTE_PUBLIC
 * answers anyone; ROUTE_IDENTITY needs REMOTE_USER, and the handler then
 * checks the caller's role on the account in the path (docs/api.md). */
static const struct route routes[] = {
    {"GET", "/api/v1/health", service_health, ROUTE_PUBLIC},
    {"GET", "/api/v1/ready", service_ready, ROUTE_PUBLIC},
    {"GET", "/api/v1/auth", auth_check, ROUTE_PUBLIC},
    {"GET", "/metrics", service_metrics, ROUTE_PUBLIC},
    {"GET", "/api/v1/me", me_get, ROUTE_IDENTITY},
    {"POST", "/api/v1/accounts", accounts_create, ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts", accounts_list, ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts/{id}", accounts_get, ROUTE_IDENTITY},
    {"PATCH", "/api/v1/accounts/{id}", accounts_patch, ROUTE_IDENTITY},
    {"DELETE", "/api/v1/accounts/{id}", accounts_close, ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts/{id}/members", members_list, ROUTE_IDENTITY},
    {"PUT", "/api/v1/accounts/{id}/members/{uid}", members_set_roles, ROUTE_IDENTITY},
    {"DELETE", "/api/v1/accounts/{id}/members/{uid}", members_remove, ROUTE_IDENTITY},
    {"POST", "/api/v1/accounts/{id}/invitations", invitations_create, ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts/{id}/invitations", invitations_list, ROUTE_IDENTITY},
    {"DELETE", "/api/v1/accounts/{id}/invitations/{inv}", invitations_revoke, ROUTE_IDENTITY},
    {"POST", "/api/v1/accounts/{id}/invitations/{inv}/resend", invitations_resend, ROUTE_IDENTITY},
    {"POST", "/api/v1/invitations/{token}/accept", invitations_accept, ROUTE_SECRET},
    {"PUT", "/api/v1/accounts/{id}/contacts/{kind}", contacts_set, ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts/{id}/notification-recipients", recipients_get, ROUTE_IDENTITY},
    {"PUT", "/api/v1/accounts/{id}/notification-recipients", recipients_put, ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts/{id}/notification-templates", templates_list, ROUTE_IDENTITY},
    {"PUT", "/api/v1/accounts/{id}/notification-templates/{name}", templates_put, ROUTE_IDENTITY},
    {"DELETE", "/api/v1/accounts/{id}/notification-templates/{name}", templates_delete,
     ROUTE_IDENTITY},
    {"GET", "/api/v1/accounts/{id}/notifications", notifications_list, ROUTE_IDENTITY},
    {"POST", "/api/v1/accounts/{id}/announcements", announcements_create, ROUTE_IDENTITY},
    {"PATCH", "/api/v1/me/preferences", preferences_patch, ROUTE_IDENTITY},
};

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

static void redirect_to_return(struct request *req)
{
    if (!req->return_to || req->res.status < 200 || req->res.status > 299)
        return;
    /* The redirect replaces the answer, headers (Location, ETag) included. */
    buf_reset(&req->res.headers);
    res_header(req, "Location", req->return_to);
    res_empty(req, 303);
}

void routes_handle(struct request *req, body_read_fn read, void *read_ctx)
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
        res_problem(req, 404, "not-found", "no such resource");
        return;
    }
    if (request_parse_body(req, read, read_ctx) < 0)
        return;

    struct buf allow = BUF_INIT;
    const struct route *found = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *a[4] = {0};
        if (!route_match(routes[i].pattern, req->segments, req->nsegments, a))
            continue;
        buf_printf(&allow, "%s%s", allow.len ? ", " : "", routes[i].method);
        if (!found && strcmp(routes[i].method, req->method) == 0) {
            found = &routes[i];
            memcpy(req->args, a, sizeof(a));
        }
    }
    if (!found) {
        res_header(req, "Allow", buf_str(&allow));
        buf_free(&allow);
        res_problem(req, 405, "method-not-allowed", "%s is not allowed here", req->method);
        return;
    }
    buf_free(&allow);
    if ((found->flags & ROUTE_IDENTITY) && caller_require(req) < 0)
        return;
    found->handler(req);
    redirect_to_return(req);
}
