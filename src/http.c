#include "http.h"

#include "json_write.h"
#include "outbox.h"
#include "result.h"
#include "sql_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *request_param(const struct request *req, const char *name)
{
    return req->param ? req->param(req->param_ctx, name) : NULL;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 428:
        return "Precondition Required";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void res_header(struct request *req, const char *name, const char *value)
{
    buf_adds(&req->res.headers, name);
    buf_adds(&req->res.headers, ": ");
    /* Header values never carry CR or LF, whatever the caller passes. */
    for (const char *p = value; *p; p++)
        buf_addc(&req->res.headers, (*p == '\r' || *p == '\n') ? ' ' : *p);
    buf_adds(&req->res.headers, "\r\n");
}

void res_etag_of(struct request *req, const char *prefix, unsigned long long id,
                 unsigned long long version)
{
    char etag[80];
    snprintf(etag, sizeof(etag), "\"%s%llu.%llu\"", prefix, id, version);
    res_header(req, "ETag", etag);
}

void res_etag(struct request *req, unsigned long long id, unsigned long long version)
{
    char etag[64];
    snprintf(etag, sizeof(etag), "\"%llu.%llu\"", id, version);
    res_header(req, "ETag", etag);
}

static void set_body(struct request *req, int status, const char *type, json_t *body)
{
    req->res.status = status;
    req->res.content_type = type;
    buf_reset(&req->res.body);
    if (body) {
        /* json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII)'s bytes (json_write.h);
         * nothing for a body it would refuse too. */
        buf_grow(&req->res.body, 4096); /* most bodies: no growing on the way */
        if (json_write(&req->res.body, body) != 0)
            buf_reset(&req->res.body);
        json_decref(body);
    }
}

void res_json(struct request *req, int status, json_t *body)
{
    problem_clear(&req->problem);
    set_body(req, status, "application/json", body);
}

void res_empty(struct request *req, int status)
{
    problem_clear(&req->problem);
    set_body(req, status, NULL, NULL);
}

static int vrefuse(struct request *req, int status, const char *slug, const char *fmt, va_list ap)
{
    struct buf detail = BUF_INIT;
    buf_vprintf(&detail, fmt, ap);
    int st = problem_set(&req->problem, status, slug, buf_str(&detail));
    buf_free(&detail);
    return st;
}

int refuse(struct request *req, int status, const char *slug, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vrefuse(req, status, slug, fmt, ap);
    va_end(ap);
    req->problem_has_errors = 0;
    return st;
}

int refuse_field(struct request *req, int status, const char *slug, const char *field,
                 const char *message, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vrefuse(req, status, slug, fmt, ap);
    va_end(ap);
    /* Only this field: errors an earlier step collected are not this
     * problem's. */
    json_decref(req->errors);
    req->errors = json_object();
    json_object_set_new(req->errors, field, json_string(message));
    req->problem_has_errors = 1;
    return st;
}

int request_refused(const struct request *req)
{
    return problem_pending(&req->problem);
}

void request_answer(struct request *req)
{
    const struct problem *p = &req->problem;
    if (!problem_pending(p))
        return;
    struct buf type = BUF_INIT;
    buf_printf(&type, "urn:accountd:problem:%s", p->slug);
    json_t *body = json_pack("{s:s, s:s, s:i, s:s}", "type", buf_str(&type), "title",
                             reason(p->status), "status", p->status, "detail", p->detail);
    if ((p->status == 422 || req->problem_has_errors) && req->errors)
        json_object_set(body, "errors", req->errors);
    buf_free(&type);
    set_body(req, p->status, "application/problem+json", body);
    problem_clear(&req->problem);
}

int request_transaction(struct request *req, int (*fn)(struct sql_store *s, void *arg), void *arg)
{
    return sql_transaction_refusing(req->session->sql, &req->problem, fn, arg);
}

void res_unavailable(struct request *req, const char *what)
{
    char ra[16];
    snprintf(ra, sizeof(ra), "%d", req->cfg ? req->cfg->retry_after : 5);
    res_header(req, "Retry-After", ra);
    refuse(req, 503, "unavailable", "%s is unavailable; try again shortly", what);
}

int res_budget_spent(struct request *req, const char *slug, int retry_after, const char *detail)
{
    char ra[16];
    snprintf(ra, sizeof(ra), "%d", retry_after > 0 ? retry_after : 1);
    res_header(req, "Retry-After", ra);
    return refuse(req, 429, slug, "%s", detail);
}

void res_store_failure(struct request *req, int st, const char *what)
{
    if (st == ST_REFUSED && request_refused(req))
        return; /* the refusal is the answer */
    if (st == ST_TOO_MANY)
        res_budget_spent(req, "mail-budget-exceeded", outbox_budget_retry_after(),
                         "this account has sent as many mails as it may for now (mail_budget); "
                         "nothing was changed; try again later");
    else if (st == ST_UNAVAILABLE || st == ST_RETRY)
        res_unavailable(req, what);
    else
        refuse(req, 500, "internal", "internal error while using %s", what);
}

void res_field_error(struct request *req, const char *field, const char *message)
{
    if (!req->errors)
        req->errors = json_object();
    if (!json_object_get(req->errors, field))
        json_object_set_new(req->errors, field, json_string(message));
}

int res_fail_if_errors(struct request *req)
{
    if (!req->errors || json_object_size(req->errors) == 0)
        return 0;
    refuse(req, 422, "validation", "some fields are invalid");
    return 1;
}

int refuse_invalid(struct request *req)
{
    if (!res_fail_if_errors(req))
        refuse(req, 500, "internal", "a check failed without saying why");
    return ST_REFUSED;
}

void response_render(const struct request *req, struct buf *out)
{
    int status = req->res.status ? req->res.status : 500;
    /* Room for the fixed headers too: one allocation, not one per doubling. */
    buf_grow(out, 512 + req->res.headers.len + (req->head ? 0 : req->res.body.len));
    buf_printf(out, "Status: %d %s\r\n", status, reason(status));
    if (req->res.content_type)
        buf_printf(out, "Content-Type: %s\r\n", req->res.content_type);
    buf_add(out, buf_str(&req->res.headers), req->res.headers.len);
    buf_adds(out, "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
    buf_printf(out, "Content-Length: %zu\r\n\r\n", req->res.body.len);
    /* HEAD: the headers GET would send, Content-Length included. */
    if (!req->head)
        buf_add(out, buf_str(&req->res.body), req->res.body.len);
}

void res_unauthenticated(struct request *req, const char *why)
{
    res_header(req, "WWW-Authenticate", "Basic realm=\"accountd\"");
    refuse(req, 401, "unauthenticated", "%s", why);
}

void res_too_many_sign_ins(struct request *req, int seconds)
{
    char ra[16];
    snprintf(ra, sizeof(ra), "%d", seconds > 0 ? seconds : 1);
    res_header(req, "Retry-After", ra);
    refuse(req, 429, "too-many-attempts", "too many failed sign-ins; try again in %d seconds",
           seconds > 0 ? seconds : 1);
}
