/*
 * request: turns the FastCGI parameters and body of one request into a
 * struct request — method (with a form's _method), decoded path segments,
 * query and body as JSON objects, return_to and error_to — and applies the
 * rules every request shares: body cap (413), media types (415), malformed
 * input (400), CSRF origin check (403). On failure the response is already
 * set.
 */
#ifndef ACCOUNTD_REQUEST_H
#define ACCOUNTD_REQUEST_H

#include "http.h"

#include <sys/types.h>

/* Reads up to n body bytes; returns the count, 0 at the end, -1 on error. */
typedef ssize_t (*body_read_fn)(void *ctx, char *buf, size_t n);

/* Parses everything but the body. Returns 0, or -1 with the response set. */
int request_parse_head(struct request *req);
/* Reads and parses the body, applies _method, CSRF, error_to and return_to. */
int request_parse_body(struct request *req, body_read_fn read, void *read_ctx);
/* Frees what the request owns (not the session or config). */
void request_end(struct request *req);

/* 1 for a method that changes state (POST, PUT, PATCH, DELETE). */
int method_is_unsafe(const char *method);
/* Length of the origin part ("scheme://host[:port]") at the start of an
 * absolute http(s) URL, or 0 if url is not one. */
size_t url_origin_len(const char *url);

/* The request path as the log shows it: after an "invitations" segment
 * (compared decoded, any case), every segment but an id (digits),
 * "accept" and "resend" is written "{token}", so an invitation token never
 * reaches the log, whatever the path around it (a path that names no
 * route, such as .../invitations/<token>//accept, is logged too). */
void request_log_path(const char *path, struct buf *out);

#endif
