#include "web.h"

#include "json_write.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- URLs ------------------------------------------------------------- */

const char *web_url_check(const struct config *cfg, const char *url)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return "must not contain spaces, tabs, line breaks or control characters";
    size_t olen = url_origin_len(url);
    if (!olen || !config_origin_allowed(cfg, url, olen))
        return "must be a URL on an allowed origin";
    return NULL;
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static void add_encoded(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf_addc(out, (char)*p);
        } else {
            buf_addc(out, '%');
            buf_addc(out, hex[*p >> 4]);
            buf_addc(out, hex[*p & 15]);
        }
    }
}

/* The length of the "{name}" at p (p[0] is '{'), 0 if none is there. */
static size_t placeholder_len(const char *p)
{
    size_t n = 1;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
        n++;
    return n > 1 && p[n] == '}' ? n + 1 : 0;
}

void web_fill_placeholders(struct buf *out, const char *url, const struct web_placeholder *places,
                           size_t nplaces)
{
    const char *p = url;
    while (*p) {
        size_t len = *p == '{' ? placeholder_len(p) : 0;
        if (len) {
            for (size_t i = 0; i < nplaces; i++)
                if (strlen(places[i].name) == len - 2 &&
                    strncmp(p + 1, places[i].name, len - 2) == 0) {
                    if (places[i].value)
                        add_encoded(out, places[i].value);
                    break;
                }
            p += len;
        } else if (*p == '{' || *p == '}') {
            buf_adds(out, *p == '{' ? "%7B" : "%7D");
            p++;
        } else {
            buf_addc(out, *p++);
        }
    }
}

void web_fill_ids(struct buf *out, const char *url, const char *id, const char *account_id)
{
    const struct web_placeholder places[] = {{"id", id}, {"account_id", account_id}};
    web_fill_placeholders(out, url, places, sizeof(places) / sizeof(places[0]));
}

int web_is_secret_field(const char *name)
{
    static const char *const secret[] = {"password", "passwd", "secret", "token"};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        if (strcasestr(name, secret[i]))
            return 1;
    return 0;
}

/* One "&key=value" pair, or nothing if it would pass max. */
static int add_pair(struct buf *out, const char *key, const char *value, size_t max)
{
    struct buf pair = BUF_INIT;
    buf_addc(&pair, '&');
    buf_adds(&pair, key);
    buf_addc(&pair, '=');
    add_encoded(&pair, value);
    int fits = out->len + pair.len <= max;
    if (fits)
        buf_add(out, pair.data, pair.len);
    buf_free(&pair);
    return fits;
}

/* The fields that are lists whatever a form sent: the roles' checkboxes,
 * a select's options (docs/api.md, "The error_to query"). */
static int is_list_field(const char *name)
{
    return strcmp(name, "roles") == 0 || strcmp(name, "options") == 0;
}

/* The values sent, as values[a][b]=... (lists as values[a][]=...),
 * without secrets and without the form's own _fields. Returns 0 if
 * something did not fit. */
static int add_values(struct buf *out, const char *prefix, json_t *v, size_t max)
{
    int all = 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *item;
        json_object_foreach(v, k, item)
        {
            if (k[0] == '_' || web_is_secret_field(k))
                continue;
            struct buf key = BUF_INIT;
            buf_adds(&key, prefix);
            buf_addc(&key, '[');
            add_encoded(&key, k);
            buf_addc(&key, ']');
            /* A list field with one box ticked came as one value: it is
             * still a list (values[roles][]=member). */
            if (strcmp(prefix, "values") == 0 && is_list_field(k) && !json_is_array(item))
                buf_adds(&key, "[]");
            all &= add_values(out, buf_str(&key), item, max);
            buf_free(&key);
        }
    } else if (json_is_array(v)) {
        struct buf key = BUF_INIT;
        buf_printf(&key, "%s[]", prefix);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (json_is_string(item) || json_is_number(item) || json_is_boolean(item))
                all &= add_values(out, buf_str(&key), item, max);
        }
        buf_free(&key);
    } else if (json_is_string(v)) {
        all &= add_pair(out, prefix, json_string_value(v), max);
    } else if (json_is_integer(v)) {
        char n[32];
        snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
        all &= add_pair(out, prefix, n, max);
    } else if (json_is_real(v)) {
        char n[64];
        json_write_shortest(n, sizeof(n), json_real_value(v));
        all &= add_pair(out, prefix, n, max);
    } else if (json_is_boolean(v)) {
        all &= add_pair(out, prefix, json_is_true(v) ? "true" : "false", max);
    }
    return all;
}

void web_error_url(struct buf *out, const char *url, const char *slug, int status,
                   const char *title, const char *detail, json_t *errors, json_t *values,
                   size_t max)
{
    static const char omitted[] = "&omitted=1";
    size_t hash = strcspn(url, "#");
    const char *fragment = url + hash;
    size_t reserve = strlen(fragment) + sizeof(omitted) - 1;
    buf_add(out, url, hash);
    if (max < out->len + reserve)
        max = out->len + reserve;
    size_t limit = max - reserve;
    /* The first pair's '&' becomes '?' (or stays '&' after a query). */
    size_t first = out->len;
    char n[16];
    snprintf(n, sizeof(n), "%d", status);
    int all = add_pair(out, "error", slug ? slug : "error", limit);
    all &= add_pair(out, "status", n, limit);
    all &= add_pair(out, "title", title ? title : "", limit);
    all &= add_pair(out, "detail", detail ? detail : "", limit);
    if (json_is_object(errors)) {
        const char *k;
        json_t *msg;
        json_object_foreach(errors, k, msg)
        {
            struct buf key = BUF_INIT;
            buf_adds(&key, "errors[");
            add_encoded(&key, k);
            buf_addc(&key, ']');
            all &= add_pair(out, buf_str(&key), json_is_string(msg) ? json_string_value(msg) : "",
                            limit);
            buf_free(&key);
        }
    }
    if (values)
        all &= add_values(out, "values", values, limit);
    if (!all)
        buf_adds(out, omitted);
    if (out->len > first && !memchr(url, '?', hash))
        out->data[first] = '?';
    buf_adds(out, fragment);
}

/* ---- Accept ----------------------------------------------------------- */

/* The q of the most specific range in accept that matches type/subtype
 * (RFC 9110 12.5.1); -1 when none matches. */
static double accept_q(const char *accept, const char *type)
{
    size_t tlen = strcspn(type, "/");
    double best_q = -1;
    int best_spec = -1;
    const char *p = accept;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *e = p + n;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        size_t rlen = strcspn(p, ";, \t");
        if (rlen > (size_t)(e - p))
            rlen = (size_t)(e - p);
        int spec = -1;
        if (rlen == 3 && strncmp(p, "*/*", 3) == 0)
            spec = 0;
        else if (rlen == tlen + 2 && strncasecmp(p, type, tlen) == 0 && p[tlen] == '/' &&
                 p[tlen + 1] == '*')
            spec = 1;
        else if (rlen == strlen(type) && strncasecmp(p, type, rlen) == 0)
            spec = 2;
        if (spec > best_spec) {
            double q = 1;
            for (const char *s = p + rlen; s < e; s++) {
                if (*s != ';')
                    continue;
                s++;
                while (s < e && (*s == ' ' || *s == '\t'))
                    s++;
                if (s + 2 <= e && (*s == 'q' || *s == 'Q') && s[1] == '=') {
                    char num[16];
                    size_t l = strcspn(s + 2, ";, \t");
                    if (l > (size_t)(e - (s + 2)))
                        l = (size_t)(e - (s + 2));
                    if (l >= sizeof(num))
                        l = sizeof(num) - 1;
                    memcpy(num, s + 2, l);
                    num[l] = '\0';
                    char *end;
                    q = strtod(num, &end);
                    if (end == num || q < 0 || q > 1)
                        q = 0;
                }
            }
            best_spec = spec;
            best_q = q;
        }
        p = *e ? e + 1 : e;
    }
    return best_q;
}

int web_prefers_html(const char *accept)
{
    if (!accept || !*accept)
        return 0;
    double html = accept_q(accept, "text/html");
    if (html <= 0)
        return 0;
    return html > accept_q(accept, "application/json") &&
           html > accept_q(accept, "application/problem+json");
}

/* ---- the HTML error page ------------------------------------------------ */

void web_html_escape(struct buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_adds(out, "&amp;");
            break;
        case '<':
            buf_adds(out, "&lt;");
            break;
        case '>':
            buf_adds(out, "&gt;");
            break;
        case '"':
            buf_adds(out, "&quot;");
            break;
        case '\'':
            buf_adds(out, "&#39;");
            break;
        default:
            buf_addc(out, *s);
        }
    }
}

/* What a person reads as the heading: what happened, in plain words. */
static const char *heading(int status)
{
    switch (status) {
    case 400:
        return "The request could not be read";
    case 401:
        return "Please sign in";
    case 403:
        return "This is not allowed";
    case 404:
        return "Not found";
    case 405:
        return "This action is not available here";
    case 409:
        return "This cannot be done right now";
    case 410:
        return "This link is no longer valid";
    case 412:
    case 428:
        return "Someone else changed this in the meantime";
    case 413:
        return "What you sent is too large";
    case 415:
        return "This kind of content is not accepted";
    case 422:
        return "Please correct what you entered";
    case 429:
        return "Too many attempts";
    case 503:
        return "Temporarily unavailable";
    default:
        return status >= 500 ? "Something went wrong on our side" : "The request was refused";
    }
}

void web_error_page(struct buf *out, int status, const char *title, const char *detail,
                    json_t *errors, const char *back)
{
    buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>");
    buf_printf(out, "%d ", status);
    web_html_escape(out, title ? title : "Error");
    buf_adds(out, "</title>\n<style>\n"
                  "body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;"
                  "padding:0 1rem;color:#1f2328;line-height:1.5}\n"
                  "h1{font-size:1.6rem;margin:0 0 .5rem}\n"
                  ".status{color:#59636e;margin:0 0 1.5rem}\n"
                  "ul{padding-left:1.2rem}li{margin:.3rem 0}\n"
                  "code{background:#f6f8fa;padding:0 .3rem;border-radius:4px}\n"
                  "a{color:#0969da}\n"
                  "</style>\n</head>\n<body>\n<main>\n<h1>");
    web_html_escape(out, heading(status));
    buf_adds(out, "</h1>\n<p class=\"status\">Error ");
    buf_printf(out, "%d", status);
    if (title && *title) {
        buf_adds(out, " &middot; ");
        web_html_escape(out, title);
    }
    buf_adds(out, "</p>\n");
    if (detail && *detail) {
        buf_adds(out, "<p id=\"detail\">");
        web_html_escape(out, detail);
        buf_adds(out, "</p>\n");
    }
    if (json_is_object(errors) && json_object_size(errors)) {
        buf_adds(out, "<ul id=\"errors\">\n");
        const char *k;
        json_t *msg;
        json_object_foreach(errors, k, msg)
        {
            buf_adds(out, "<li><code>");
            web_html_escape(out, k);
            buf_adds(out, "</code>: ");
            web_html_escape(out, json_is_string(msg) ? json_string_value(msg) : "is invalid");
            buf_adds(out, "</li>\n");
        }
        buf_adds(out, "</ul>\n");
    }
    if (back) {
        buf_adds(out, "<p><a id=\"back\" href=\"");
        web_html_escape(out, back);
        buf_adds(out, "\">Back to the previous page</a></p>\n");
    }
    buf_adds(out, "</main>\n</body>\n</html>\n");
}

/* ---- CORS -------------------------------------------------------------- */

/* The Origin header when it is on the allow-list, else NULL. */
static const char *allowed_origin(const struct request *req)
{
    const char *origin = request_param(req, "HTTP_ORIGIN");
    if (!origin || !*origin || !req->cfg ||
        !config_origin_allowed(req->cfg, origin, strlen(origin)))
        return NULL;
    return origin;
}

static void cors_headers(struct request *req)
{
    res_header(req, "Vary", "Origin");
    const char *origin = allowed_origin(req);
    if (!origin)
        return;
    res_header(req, "Access-Control-Allow-Origin", origin);
    res_header(req, "Access-Control-Allow-Credentials", "true");
    res_header(req, "Access-Control-Expose-Headers",
               "ETag, Location, Retry-After, Idempotent-Replayed");
}

void web_preflight(struct request *req, const char *allow)
{
    const char *origin = request_param(req, "HTTP_ORIGIN");
    if (origin && *origin && !allowed_origin(req)) {
        refuse(req, 403, "forbidden", "cross-origin request refused: Origin not allowed");
        return;
    }
    struct buf methods = BUF_INIT;
    buf_printf(&methods, "%s, OPTIONS", allow);
    res_header(req, "Allow", buf_str(&methods));
    const char *wanted = request_param(req, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
    if (origin && *origin && wanted && *wanted) {
        res_header(req, "Access-Control-Allow-Methods", buf_str(&methods));
        res_header(req, "Access-Control-Allow-Headers",
                   "Accept, Authorization, Content-Type, If-Match, Idempotency-Key");
        res_header(req, "Access-Control-Max-Age", "600");
        res_header(req, "Vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
    }
    buf_free(&methods);
    res_empty(req, 204);
}

/* ---- after the handler --------------------------------------------------- */

/* A decimal or string member of a JSON object as text (NULL if absent). */
static char *member_text(json_t *obj, const char *name)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
    char n[32];
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
        return xstrdup(n);
    }
    return NULL;
}

static json_t *response_json(const struct request *req)
{
    if (!req->res.content_type || !strstr(req->res.content_type, "json") || !req->res.body.len)
        return NULL;
    return json_loadb(req->res.body.data, req->res.body.len, 0, NULL);
}

/* 1 if the request's path is /api/v1/<name> or under it. */
static int path_under(const struct request *req, const char *name)
{
    return req->nsegments >= 3 && strcmp(req->segments[0], "api") == 0 &&
           strcmp(req->segments[1], "v1") == 0 && strcmp(req->segments[2], name) == 0;
}

/* The placeholders of return_to (docs/api.md, "Fields every form may
 * carry"), each worked out from the answer and the path alone, so that a
 * replayed answer (an Idempotency-Key's) fills them as the first did:
 * - {id}: the id in the answer (what was created or changed); a POST's
 *   answer without one: its key or uid, else the id of the subscription
 *   it answers with (execute: {order, subscription, invoice}); else the
 *   path's last placeholder; else, under /api/v1/me, the caller's uid.
 * - {account_id}: the answer's account_id, else the account in an
 *   /api/v1/accounts/{id}... path, else the answer's id when the path is
 *   /api/v1/accounts itself (a created account), else the account the
 *   router resolved for the path (a project's, an order's).
 * - {order_id}: the order the answer holds (execute), else the {oid} of
 *   an /api/v1/orders/{oid}... path, else the order a POST
 *   /api/v1/accounts/{id}/orders made.
 * Anything else, and what nothing fills, becomes nothing
 * (web_fill_placeholders). */
static void redirect_success(struct request *req)
{
    json_t *answer = response_json(req);
    int post = req->method && strcmp(req->method, "POST") == 0;
    char *id = member_text(answer, "id");
    if (!id && post)
        id = member_text(answer, "key");
    if (!id && post)
        id = member_text(answer, "uid");
    if (!id && post)
        id = member_text(json_object_get(answer, "subscription"), "id");
    if (!id) {
        for (int i = 3; i >= 0 && !id; i--)
            if (req->args[i])
                id = xstrdup(req->args[i]);
    }
    /* The caller's own (their preferences): they are what changed. */
    if (!id && path_under(req, "me") && req->caller.uid)
        id = xstrdup(req->caller.uid);
    char *account_id = member_text(answer, "account_id");
    int under_accounts = path_under(req, "accounts");
    if (!account_id && under_accounts && req->nsegments >= 4)
        account_id = xstrdup(req->segments[3]);
    else if (!account_id && under_accounts && id)
        account_id = xstrdup(id);
    /* A path of another resource (a project, an order): its account, as
     * the router resolved it. */
    if (!account_id && req->account.id) {
        char n[24];
        snprintf(n, sizeof(n), "%llu", req->account.id);
        account_id = xstrdup(n);
    }
    char *order_id = member_text(json_object_get(answer, "order"), "id");
    if (!order_id && path_under(req, "orders") && req->nsegments >= 4)
        order_id = xstrdup(req->segments[3]);
    else if (!order_id && post && under_accounts && req->nsegments == 5 &&
             strcmp(req->segments[4], "orders") == 0 && id)
        order_id = xstrdup(id);
    json_decref(answer);
    const struct web_placeholder places[] = {
        {"id", id}, {"account_id", account_id}, {"order_id", order_id}};
    struct buf loc = BUF_INIT;
    web_fill_placeholders(&loc, req->return_to, places, sizeof(places) / sizeof(places[0]));
    free(id);
    free(account_id);
    free(order_id);
    /* The redirect replaces the answer, headers (Location, ETag) included. */
    buf_reset(&req->res.headers);
    res_header(req, "Location", buf_str(&loc));
    if (req->idem_replayed)
        res_header(req, "Idempotent-Replayed", "true");
    res_empty(req, 303);
    buf_free(&loc);
}

static const char *problem_slug(json_t *problem)
{
    json_t *t = json_object_get(problem, "type");
    const char *s = json_is_string(t) ? json_string_value(t) : "";
    const char *prefix = "urn:accountd:problem:";
    return strncmp(s, prefix, strlen(prefix)) == 0 ? s + strlen(prefix) : "error";
}

static const char *problem_str(json_t *problem, const char *name)
{
    json_t *v = json_object_get(problem, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* error_to's placeholders, from what the path names (nothing was made):
 * {id} the path's last placeholder (under /api/v1/me the caller's uid),
 * {account_id} the account of an /api/v1/accounts/{id}... path or the one
 * the router resolved, {order_id} the {oid} of an /api/v1/orders/{oid}...
 * path; anything else becomes nothing, as for return_to (round-13
 * walkthrough of seed 002, D1: they came back as raw braces). */
static void fill_error_to(struct request *req, struct buf *out)
{
    char *id = NULL, *account_id = NULL, *order_id = NULL;
    for (int i = 3; i >= 0 && !id; i--)
        if (req->args[i])
            id = xstrdup(req->args[i]);
    if (!id && path_under(req, "me") && req->caller.uid)
        id = xstrdup(req->caller.uid);
    if (path_under(req, "accounts") && req->nsegments >= 4)
        account_id = xstrdup(req->segments[3]);
    else if (req->account.id) {
        char n[24];
        snprintf(n, sizeof(n), "%llu", req->account.id);
        account_id = xstrdup(n);
    }
    if (path_under(req, "orders") && req->nsegments >= 4)
        order_id = xstrdup(req->segments[3]);
    const struct web_placeholder places[] = {
        {"id", id}, {"account_id", account_id}, {"order_id", order_id}};
    web_fill_placeholders(out, req->error_to, places, sizeof(places) / sizeof(places[0]));
    free(id);
    free(account_id);
    free(order_id);
}

static void redirect_error(struct request *req, json_t *problem)
{
    struct buf loc = BUF_INIT, url = BUF_INIT;
    /* A stale _version or If-Match is "stale" for front ends (412). */
    const char *slug = problem_slug(problem);
    if (strcmp(slug, "precondition-failed") == 0)
        slug = "stale";
    fill_error_to(req, &url);
    web_error_url(&loc, buf_str(&url), slug, req->res.status, problem_str(problem, "title"),
                  problem_str(problem, "detail"), json_object_get(problem, "errors"), req->body,
                  WEB_ERROR_URL_MAX);
    buf_reset(&req->res.headers);
    res_header(req, "Location", buf_str(&loc));
    res_empty(req, 303);
    buf_free(&loc);
    buf_free(&url);
}

static void html_page(struct request *req, json_t *problem)
{
    /* A link back only to a page of an allowed origin. */
    const char *referer = request_param(req, "HTTP_REFERER");
    const char *back =
        referer && *referer && web_url_check(req->cfg, referer) == NULL ? referer : NULL;
    buf_reset(&req->res.body);
    web_error_page(&req->res.body, req->res.status, problem_str(problem, "title"),
                   problem_str(problem, "detail"), json_object_get(problem, "errors"), back);
    req->res.content_type = "text/html; charset=utf-8";
    res_header(req, "Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'");
}

void web_finish(struct request *req)
{
    int status = req->res.status;
    if (status >= 200 && status <= 299 && req->return_to) {
        redirect_success(req);
    } else if (status >= 400 && req->res.content_type &&
               strcmp(req->res.content_type, "application/problem+json") == 0) {
        json_t *problem = response_json(req);
        if (json_is_object(problem)) {
            /* HTTP Basic: a 401 keeps its challenge, so that the browser
             * asks for the password and sends the form again. */
            const char *mode = request_param(req, "ACCOUNTD_AUTH");
            int challenge = status == 401 && mode && strcmp(mode, "basic") == 0;
            if (req->error_to && status < 500 && !challenge)
                redirect_error(req, problem);
            else if (web_prefers_html(request_param(req, "HTTP_ACCEPT")))
                html_page(req, problem);
        }
        json_decref(problem);
    }
    cors_headers(req);
}
