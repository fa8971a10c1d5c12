/*
 * auth: GET /api/v1/auth, the HTTP Basic check (authn.c) as an endpoint of
 * its own, for nginx's auth_request in other locations of a site, and the
 * gate of resellers' storefronts (storefronts.h: storefront_login_refused).
 */
#include "authn.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "sql_store.h"
#include "storefronts.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The 403 of the storefront's gate names its reason in a header too,
 * X-Accountd-Reason: nginx's auth_request passes on only the status, and
 * the snippet's 403 page (nginx/accountd.conf, @accountd_forbidden) takes
 * the header with auth_request_set and serves it as the problem's detail
 * (round-19 walkthrough of seed 002, D4: a cancelled storefront and a
 * stranger both read "access denied"). The value is the detail as the
 * inside of a JSON string, in ASCII ('"', '\\', control characters and
 * anything beyond ASCII escaped), so nginx puts it into its problem+json
 * as it is; the details of the gate are plain ASCII text anyway. */
static void reason_header(struct request *req)
{
    if (req->problem.status != 403 || !req->problem.detail)
        return;
    json_t *detail = json_string(req->problem.detail);
    char *quoted = detail ? json_dumps(detail, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
    json_decref(detail);
    size_t n = quoted ? strlen(quoted) : 0;
    if (n >= 2) {
        quoted[n - 1] = '\0';
        res_header(req, "X-Accountd-Reason", quoted + 1);
    }
    free(quoted);
}

/*
 * GET /api/v1/auth: the HTTP Basic check on its own, for nginx's
 * auth_request in locations of the site other than the API (which
 * authenticates every request itself, authn.c) and for clients. 200 names
 * the person in X-Accountd-User; 401, 429 and 503 are answered as such.
 * nginx's auth_request passes on only 2xx, 401 and 403: it turns 429 and
 * 503 into a 500 of its own, which nginx/accountd.conf answers as 503 with
 * Retry-After, so a failed check never grants access.
 */
void auth_check(struct request *req)
{
    struct basic_identity id;
    int retry_after;
    switch (basic_check(req, &id, &retry_after)) {
    case BASIC_OK:
        /* The checked login is the caller, should the storefront check
         * below need their roles (caller_require: no second check). */
        req->authn_user = xstrdup(id.login);
        /* Under /<alias>/ of a storefront (X-Original-URI): 403 when its
         * subscription ended — the reseller and its sub-customers alike —
         * or for a person who is none of its reseller's, its customers'
         * or its distributor's people (storefronts.h). The plain check
         * (no storefront page) reads nothing more. */
        if (storefront_login_refused(req)) {
            reason_header(req);
            basic_identity_free(&id);
            return;
        }
        res_header(req, "X-Accountd-User", id.login);
        res_json(req, 200, json_pack("{s:s}", "user", id.login));
        /* The log line names who signed in. */
        free(req->caller.uid);
        req->caller.uid = id.uid;
        id.uid = NULL;
        basic_identity_free(&id);
        return;
    case BASIC_MISSING:
        res_unauthenticated(req, "HTTP Basic credentials are required");
        return;
    case BASIC_DENIED:
        res_unauthenticated(req, "wrong user name or password");
        return;
    case BASIC_THROTTLED:
        res_too_many_sign_ins(req, retry_after);
        return;
    case BASIC_UNAVAILABLE:
        res_unavailable(req, "the directory");
        return;
    case BASIC_ERROR:
        break;
    }
    res_store_failure(req, ST_ERROR, "the directory");
}
