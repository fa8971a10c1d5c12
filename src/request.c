#include "request.h"

#include "sql_store.h"

#include "body.h"
#include "form.h"
#include "log.h"
#include "web.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int method_is_unsafe(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

size_t url_origin_len(const char *url)
{
    size_t skip;
    if (strncasecmp(url, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        skip = 8;
    else
        return 0;
    const char *host = url + skip;
    size_t n = strcspn(host, "/?#");
    if (n == 0 || memchr(host, '@', n) || memchr(host, '\\', n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f)
            return 0;
    return skip + n;
}

static int split_path(struct request *req)
{
    const char *uri = request_param(req, "REQUEST_URI");
    if (!uri || !*uri)
        uri = request_param(req, "DOCUMENT_URI");
    if (!uri || uri[0] != '/') {
        refuse(req, 400, "bad-request", "missing or malformed request URI");
        return -1;
    }
    size_t plen = strcspn(uri, "?");
    req->path = xstrndup(uri, plen);
    const char *qs = uri[plen] == '?' ? uri + plen + 1 : NULL;
    if (!qs && !request_param(req, "REQUEST_URI"))
        qs = request_param(req, "QUERY_STRING");

    size_t max = 1;
    for (const char *p = req->path; *p; p++)
        max += *p == '/';
    req->segments = xcalloc(max, sizeof(char *));
    const char *p = req->path + 1;
    while (1) {
        size_t n = strcspn(p, "/");
        char *seg = form_decode(p, n, 0);
        if (!seg) {
            refuse(req, 400, "bad-request", "malformed percent-encoding in the path");
            return -1;
        }
        req->segments[req->nsegments++] = seg;
        if (!p[n])
            break;
        p += n + 1;
    }
    const char *why;
    char *field = NULL;
    req->query = form_parse(qs ? qs : "", qs ? strlen(qs) : 0, &why, &field);
    if (!req->query) {
        if (why == form_why_nul)
            refuse(req, 400, "bad-request", "%s%s %s", field ? "the query parameter " : "",
                   field ? field : "a query parameter's name", why);
        else
            refuse(req, 400, "bad-request", "malformed query string: %s", why);
        free(field);
        return -1;
    }
    return 0;
}

int request_parse_head(struct request *req)
{
    req->method = request_param(req, "REQUEST_METHOD");
    if (!req->method || !*req->method) {
        refuse(req, 400, "bad-request", "missing request method");
        return -1;
    }
    return split_path(req);
}

/* The media type of a Content-Type value, without parameters or spaces,
 * in lower case ("" when there is none). */
static void media_type_of(const char *ct, char *out, size_t size)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (n >= size)
        n = 0; /* longer than any type accountd knows */
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)ct[i]);
    out[n] = '\0';
}

static int media_type_is_json(const char *type)
{
    size_t n = strlen(type);
    return strcmp(type, "application/json") == 0 ||
           (strncmp(type, "application/", 12) == 0 && n > 17 && strcmp(type + n - 5, "+json") == 0);
}

/* The types an HTML form (or any page) can send cross-site without a CORS
 * preflight: a request with one of them must show where it comes from. */
static int media_type_is_simple(const char *type)
{
    return strcmp(type, "application/x-www-form-urlencoded") == 0 ||
           strcmp(type, "multipart/form-data") == 0 || strcmp(type, "text/plain") == 0;
}

static int read_body(struct request *req, size_t len, body_read_fn read, void *ctx, struct buf *b)
{
    buf_grow(b, len);
    while (b->len < len) {
        ssize_t n = read(ctx, b->data + b->len, len - b->len);
        if (n <= 0)
            break;
        b->len += (size_t)n;
    }
    b->data[b->len] = '\0';
    if (b->len != len) {
        refuse(req, 400, "bad-request", "request body shorter than Content-Length");
        return -1;
    }
    return 0;
}

/* 1 if the body's first byte that is not blank space is '{' or '[': what
 * JSON starts with, and never a form (no action has a field named so). */
static int body_looks_like_json(const struct buf *b)
{
    size_t i = 0;
    while (i < b->len &&
           (b->data[i] == ' ' || b->data[i] == '\t' || b->data[i] == '\r' || b->data[i] == '\n'))
        i++;
    return i < b->len && (b->data[i] == '{' || b->data[i] == '[');
}

static int parse_body_bytes(struct request *req, const char *ct, const char *type,
                            const struct buf *b)
{
    /* JSON sent as a form (curl -d '{...}' says
     * application/x-www-form-urlencoded), with no Content-Type or another
     * type: 415 that names the mistake, not the form's Origin rule (403),
     * the JSON text as an unknown form field (422) or "malformed form key"
     * (400) (round-6 walkthrough of seed 000, D3; also seeds 001 to 004).
     * This answer comes before the CSRF check (check_origin) and opens no
     * hole: it refuses the request, as the 403 would, and nothing is read
     * from the body, written or redirected (error_to is not read yet). */
    if (!media_type_is_json(type) && body_looks_like_json(b)) {
        while (ct && (*ct == ' ' || *ct == '\t'))
            ct++;
        if (!ct || !*ct)
            refuse(req, 415, "unsupported-media-type",
                   "this body looks like JSON but was sent with no Content-Type; send it with "
                   "Content-Type: application/json");
        else
            refuse(req, 415, "unsupported-media-type",
                   "this body looks like JSON but was sent as %s; send it with Content-Type: "
                   "application/json",
                   *type ? type : "an unknown Content-Type");
        return -1;
    }
    if (media_type_is_json(type)) {
        json_error_t err;
        json_t *v = body_json_load(b->data, b->len, &err);
        if (!v && json_error_code(&err) == json_error_numeric_overflow) {
            /* Valid JSON, but no double holds it (round-17 walkthrough of
             * seed 001, D5): not "malformed". */
            refuse(req, 400, "bad-request",
                   "the number at line %d column %d is too large: accountd reads a JSON number "
                   "as a 64-bit integer or a double (at most about 1.8e308)",
                   err.line, err.column);
            return -1;
        }
        if (!v && (json_error_code(&err) == json_error_null_character ||
                   json_error_code(&err) == json_error_null_byte_in_key)) {
            /* Valid JSON, but C strings end at a NUL: jansson's text names
             * its option JSON_ALLOW_NUL, which no client sets (round-23
             * walkthrough of seed 000, D5). Its other load errors say what
             * is wrong in JSON's terms and name no option. */
            refuse(req, 400, "bad-request",
                   "the string at line %d column %d " NUL_NOT_ACCEPTED("\\u0000"), err.line,
                   err.column);
            return -1;
        }
        if (!v) {
            refuse(req, 400, "bad-request", "malformed JSON at line %d column %d: %s", err.line,
                   err.column, err.text);
            return -1;
        }
        if (!json_is_object(v)) {
            json_decref(v);
            refuse(req, 400, "bad-request", "the JSON body must be an object");
            return -1;
        }
        req->body = v;
        return 0;
    }
    if (strcmp(type, "application/x-www-form-urlencoded") == 0) {
        const char *why;
        char *field = NULL;
        req->body = form_parse(b->data, b->len, &why, &field);
        if (!req->body) {
            /* Well-formed, but a NUL: said as JSON's is (round-24
             * walkthrough of seed 000, D5: "invalid percent-encoding"). */
            if (why == form_why_nul)
                refuse(req, 400, "bad-request", "%s%s %s", field ? "the form field " : "",
                       field ? field : "a form field's name", why);
            else
                refuse(req, 400, "bad-request", "malformed form: %s", why);
            free(field);
            return -1;
        }
        req->body_is_form = 1;
        return 0;
    }
    refuse(req, 415, "unsupported-media-type",
           "send application/json or application/x-www-form-urlencoded");
    return -1;
}

/* _method: only a form POST may carry it. */
static int apply_method_override(struct request *req)
{
    json_t *m = req->body ? json_object_get(req->body, "_method") : NULL;
    if (!m)
        return 0;
    if (!req->body_is_form || strcmp(req->method, "POST") != 0 || !json_is_string(m)) {
        refuse(req, 400, "bad-request", "_method is only accepted once, in a form POST");
        return -1;
    }
    const char *v = json_string_value(m);
    static const char *const allowed[] = {"PATCH", "PUT", "DELETE"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(v, allowed[i]) == 0) {
            req->method = allowed[i];
            json_object_del(req->body, "_method");
            return 0;
        }
    }
    refuse(req, 400, "bad-request", "_method must be PATCH, PUT or DELETE");
    return -1;
}

/* The fields that only an HTML form carries (API.md, "Web front ends")
 * are refused in a JSON body: {"_roles_present": true} would otherwise
 * take every role of a person away, {"_news_present": true} turn news off
 * (round-4 walkthrough of seed 004). JSON says the same with the body
 * itself and the If-Match and Idempotency-Key headers. */
static int refuse_form_fields(struct request *req)
{
    /* (_method and _idempotency_key are 400 where they are applied.) */
    static const char *const form_only[] = {
        "_roles_present", "_news_present", "_required_present", "_properties_present",
        "_version",       "return_to",     "error_to",          NULL};
    if (req->body_is_form || !json_is_object(req->body))
        return 0;
    for (size_t i = 0; form_only[i]; i++)
        if (json_object_get(req->body, form_only[i]))
            res_field_error(req, form_only[i],
                            strcmp(form_only[i], "_version") == 0
                                ? "is accepted only in an HTML form; send If-Match"
                                : "is accepted only in an HTML form");
    return res_fail_if_errors(req) ? -1 : 0;
}

/* return_to and error_to: an absolute URL on an allowed origin, without
 * spaces or control characters (web_url_check); taken out of the body. */
static int apply_redirect_field(struct request *req, const char *name, char **out)
{
    json_t *r = req->body ? json_object_get(req->body, name) : NULL;
    if (!r)
        return 0;
    if (!json_is_string(r)) {
        refuse(req, 400, "bad-request", "%s must be given once, as a string", name);
        return -1;
    }
    const char *why = web_url_check(req->cfg, json_string_value(r));
    if (!why)
        *out = xstrdup(json_string_value(r));
    /* Out of the body either way: a refused URL is not sent back among
     * the values of an error_to redirect. */
    json_object_del(req->body, name);
    if (why) {
        res_field_error(req, name, why);
        res_fail_if_errors(req);
        return -1;
    }
    return 0;
}

/* The Idempotency-Key header, or a form's _idempotency_key (a browser
 * form cannot send the header); both at once must agree. */
static int apply_idempotency_key(struct request *req)
{
    const char *header = request_param(req, "HTTP_IDEMPOTENCY_KEY");
    json_t *f = req->body ? json_object_get(req->body, "_idempotency_key") : NULL;
    if (f && (!req->body_is_form || !json_is_string(f))) {
        refuse(req, 400, "bad-request",
               "_idempotency_key is only accepted once, in a form (JSON sends the "
               "Idempotency-Key header)");
        return -1;
    }
    if (f && header && strcmp(header, json_string_value(f)) != 0) {
        refuse(req, 400, "bad-request", "Idempotency-Key and _idempotency_key disagree");
        return -1;
    }
    if (f) {
        req->idem_key = xstrdup(json_string_value(f));
        req->idem_field = "_idempotency_key";
        json_object_del(req->body, "_idempotency_key");
    } else if (header) {
        req->idem_key = xstrdup(header);
        req->idem_field = "Idempotency-Key";
    }
    return 0;
}

static int check_origin(struct request *req, int simple_type)
{
    if (!method_is_unsafe(req->method))
        return 0;
    const char *origin = request_param(req, "HTTP_ORIGIN");
    const char *referer = request_param(req, "HTTP_REFERER");
    if (origin && *origin) {
        if (config_origin_allowed(req->cfg, origin, strlen(origin)))
            return 0;
        refuse(req, 403, "forbidden", "cross-site request refused: Origin not allowed");
        return -1;
    }
    if (referer && *referer) {
        size_t n = url_origin_len(referer);
        if (n && config_origin_allowed(req->cfg, referer, n))
            return 0;
        refuse(req, 403, "forbidden", "cross-site request refused: Referer not allowed");
        return -1;
    }
    if (req->body_is_form || simple_type) {
        refuse(req, 403, "forbidden", "a form must come with an Origin or Referer header");
        return -1;
    }
    return 0;
}

int request_parse_body(struct request *req, body_read_fn read, void *read_ctx)
{
    const char *cl = request_param(req, "CONTENT_LENGTH");
    size_t len = 0;
    if (cl && *cl) {
        char *end;
        unsigned long long v = strtoull(cl, &end, 10);
        if (*end || cl[0] == '-') {
            refuse(req, 400, "bad-request", "malformed Content-Length");
            return -1;
        }
        if (v > req->cfg->body_limit) {
            refuse(req, 413, "payload-too-large", "the request body exceeds %zu bytes",
                   req->cfg->body_limit);
            return -1;
        }
        len = (size_t)v;
    }
    const char *ct = request_param(req, "CONTENT_TYPE");
    char type[128];
    media_type_of(ct ? ct : "", type, sizeof(type));
    if (len > 0) {
        struct buf b = BUF_INIT;
        int rc = read_body(req, len, read, read_ctx, &b);
        if (rc == 0)
            rc = parse_body_bytes(req, ct, type, &b);
        buf_free(&b);
        if (rc < 0)
            return -1;
    }
    /* error_to first: a refusal of return_to then goes there too. A
     * request refused as cross-site is never redirected. */
    if (apply_method_override(req) < 0 || refuse_form_fields(req) < 0 ||
        check_origin(req, media_type_is_simple(type)) < 0 ||
        apply_redirect_field(req, "error_to", &req->error_to) < 0 ||
        apply_redirect_field(req, "return_to", &req->return_to) < 0 ||
        apply_idempotency_key(req) < 0)
        return -1;
    return 0;
}

void request_end(struct request *req)
{
    free(req->path);
    for (size_t i = 0; i < req->nsegments; i++)
        free(req->segments[i]);
    free(req->segments);
    json_decref(req->query);
    json_decref(req->body);
    json_decref(req->errors);
    problem_clear(&req->problem);
    free(req->return_to);
    free(req->authn_user);
    free(req->error_to);
    free(req->idem_key);
    free(req->caller.uid);
    free(req->caller.dn);
    free(req->caller.name);
    free(req->caller.mail);
    free(req->caller.grants);
    free(req->caller.projects);
    if (req->account_row) {
        sql_result_free(req->account_row);
        free(req->account_row);
    }
    buf_free(&req->res.headers);
    buf_free(&req->res.body);
}

void request_log_path(const char *path, struct buf *out)
{
    int after_invitations = 0;
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p + 1, "/") + 1; /* "/segment" */
        const char *seg = p + 1;
        size_t len = n - 1;
        char *decoded = form_decode(seg, len, 0);
        const char *d = decoded ? decoded : "";
        int secret = after_invitations && len > 0 && strspn(d, "0123456789") != strlen(d) &&
                     strcmp(d, "accept") != 0 && strcmp(d, "resend") != 0;
        if (!decoded && after_invitations)
            secret = len > 0;
        if (secret)
            buf_adds(out, "/{token}");
        else
            buf_add(out, p, n);
        if (decoded && strcasecmp(decoded, "invitations") == 0)
            after_invitations = 1;
        free(decoded);
        p += n;
    }
}
