/*
 * web: what browsers and web front ends need beyond JSON.
 *
 * - return_to / error_to: where a form post goes after it succeeded or
 *   failed. web_url_check() says whether such a URL may be used (absolute
 *   http(s), an allowed origin, no spaces or control characters);
 *   web_fill_placeholders() fills {id}, {account_id}, {order_id} in; web_error_url() builds
 *   the error_to redirect with the problem, its field errors and the values
 *   sent (secrets left out) in the query.
 * - the HTML error page for a request whose Accept prefers text/html
 *   (web_prefers_html, web_error_page, web_html_escape).
 * - CORS for allowed origins (web_cors_headers, web_preflight).
 *
 * The pure functions (no request, no I/O) have unit tests
 * (tests/unit/test_web.c); web_finish() applies them to a request once its
 * handler answered. Query names and rules: docs/api.md, "Web front ends".
 */
#ifndef ACCOUNTD_WEB_H
#define ACCOUNTD_WEB_H

#include "buf.h"
#include "config.h"
#include "http.h"

#include <jansson.h>
#include <stddef.h>

/* The longest Location accountd builds for error_to; values that do not
 * fit are left out (values_omitted=1 says so). */
#define WEB_ERROR_URL_MAX 3072

/* NULL if url may be a return_to/error_to, else why not (static text). */
const char *web_url_check(const struct config *cfg, const char *url);

/* A placeholder a return_to may hold, "{name}", and what fills it (NULL:
 * nothing does). */
struct web_placeholder {
    const char *name; /* without its braces: "id", "account_id", ... */
    const char *value;
};

/* url with every {name} of places[0..nplaces-1] replaced by its value,
 * percent-encoded. A Location never carries a raw brace (round-11
 * leftover of seed 004): any other {name} (letters, digits and '_'), and
 * one whose value is NULL, becomes nothing; a '{' or '}' that opens or
 * closes no {name} becomes %7B or %7D. */
void web_fill_placeholders(struct buf *out, const char *url, const struct web_placeholder *places,
                           size_t nplaces);

/* web_fill_placeholders with {id} and {account_id} only. */
void web_fill_ids(struct buf *out, const char *url, const char *id, const char *account_id);

/* 1 if a field of this name holds a secret (password, token, secret) that
 * never goes back into a URL. */
int web_is_secret_field(const char *name);

/* The error_to redirect: url plus "error=<slug>&status=<n>&title=...&
 * detail=...&errors[<field>]=<message>...&values[<field>]=<value>...",
 * at most max bytes (values dropped first, then field errors). errors and
 * values may be NULL. */
void web_error_url(struct buf *out, const char *url, const char *slug, int status,
                   const char *title, const char *detail, json_t *errors, json_t *values,
                   size_t max);

/* 1 if the Accept header rates text/html above every JSON type accountd
 * answers (application/json, application/problem+json). NULL: 0. */
int web_prefers_html(const char *accept);

/* Appends s with & < > " ' escaped, for text and attribute values. */
void web_html_escape(struct buf *out, const char *s);

/* A small self-contained HTML page for a problem: status and title, the
 * detail, each field error, and a link back when back is not NULL. */
void web_error_page(struct buf *out, int status, const char *title, const char *detail,
                    json_t *errors, const char *back);

/* Answers an OPTIONS request (a CORS preflight or a plain OPTIONS): allow
 * is the path's methods ("GET, HEAD, PATCH"). */
void web_preflight(struct request *req, const char *allow);

/* After the handler: the 303 to return_to on success, the 303 to error_to
 * or the HTML page on an error, the CORS headers for an allowed Origin. */
void web_finish(struct request *req);

#endif
