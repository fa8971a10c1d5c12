/*
 * http: the request context handed to every handler, and the one way to
 * answer: res_json() for a JSON body; refuse() records the request's one
 * problem (problem.h), which the router writes as an RFC 9457 problem+json
 * once the handler returns; res_field_error() collects 422 field errors.
 * The latest wins: a success written after a refusal drops the refusal, a
 * refusal recorded after a success replaces it.
 *
 * A struct request lives for one FastCGI request; everything it points to is
 * freed by request_end(). Handlers never print headers or bodies by hand.
 */
#ifndef ACCOUNTD_HTTP_H
#define ACCOUNTD_HTTP_H

#include "buf.h"
#include "config.h"
#include "problem.h"

#include <jansson.h>
#include <stddef.h>
#include <time.h>

struct ldap_store;
struct sql_store;
struct sql_result;

/* The per-thread connections, opened lazily by the adapters. */
struct session {
    struct ldap_store *ldap;
    struct sql_store *sql;
};

struct role_grant;    /* ldap_store.h */
struct project_grant; /* ldap_store.h */

/* The account a route names, as the router authorized it (routes.c): the
 * caller's own roles there and on its parent. Filled before the handler
 * runs on every route whose table entry names roles. */
struct account_ref {
    unsigned long long id;
    unsigned long long parent_id; /* 0: none */
    char kind[16];
    char status[16];
    unsigned roles;         /* the caller's own roles in it */
    unsigned parent_roles;  /* the caller's own roles in its parent */
    int handed_over;        /* handed over to its customer: the parent's roles open nothing */
    int parent_closed;      /* its parent is closed: the parent's roles open nothing either */
    int parent_distributor; /* its parent is a distributor: only then do the parent's roles open
                               the back office (round-17 walkthrough of seed 001, D1) */
    int by_parent_admin;    /* the caller is an admin of its parent (not closed) and no admin of
                               it, on a route that lets the parent's admins in (caller.c:
                               caller_authorize_also's parent_any; ROUTE_PARENT_ADMIN) */
};

/* Who is calling, resolved from REMOTE_USER on demand (caller.c). */
struct caller {
    char *uid; /* the person's uid attribute */
    char *dn;
    char *name; /* cn */
    char *mail;
    struct role_grant *grants; /* in account order, one per account (caller_roles) */
    size_t ngrants;
    struct project_grant *projects; /* the projects they have a role in */
    size_t nprojects;
    int is_operator;
};

struct response {
    int status;
    struct buf headers; /* "Name: value\r\n" lines */
    struct buf body;
    const char *content_type;
};

/* Looks up a FastCGI parameter (NULL if absent). Tests provide their own. */
typedef const char *(*param_fn)(void *ctx, const char *name);

struct request {
    const struct config *cfg;
    struct session *session;
    param_fn param;
    void *param_ctx;

    char request_id[40];
    struct timespec start;
    const char *method;   /* after a form's _method */
    char *path;           /* raw path, no query */
    const char *log_path; /* what the log shows instead, when path holds a secret */
    char **segments;      /* percent-decoded path segments */
    size_t nsegments;
    const char *args[4]; /* the {placeholders} of the matched route */
    json_t *query;       /* parsed query string (object) */
    json_t *body;        /* parsed body (object) or NULL */
    int body_is_form;
    char *return_to; /* where a success goes (303), checked (web.h) */
    char *error_to;  /* where a 4xx goes (303), checked (web.h) */
    /* The Idempotency-Key header, or a form's hidden _idempotency_key
     * (taken out of the body); NULL if none. Unchecked: the routes that
     * honour it check it (idempotency.h, accounts.c). */
    char *idem_key;
    const char *idem_field; /* where it came from: "Idempotency-Key" or "_idempotency_key" */
    int idem_claimed;       /* the router claimed it for this request (idempotency.c) */
    int idem_replayed;      /* answered from a kept answer: Idempotent-Replayed: true */
    /* The router's 404 for the resource the path names ("no such order"),
     * when that is not the account itself; NULL: "no such account". */
    const char *not_found;
    int head; /* HEAD: answered as GET, without the body */

    char *authn_user; /* who authenticated (authn.c): Basic login or REMOTE_USER */
    struct caller caller;
    int caller_loaded;
    struct account_ref account; /* set by the router (routes.c) */
    /* The router's read of that account (account_store.h: account_read), kept
     * for the handler; NULL if none. Freed by request_end. */
    struct sql_result *account_row;
    int want_account_row; /* the route is ROUTE_ROW (routes.h) */

    json_t *errors;         /* field errors collected for a 422 */
    int problem_has_errors; /* the problem (not a 422) carries errors too: refuse_field() */
    struct problem problem; /* the refusal (refuse()), written by request_answer() */
    struct response res;
};

const char *request_param(const struct request *req, const char *name);

void res_header(struct request *req, const char *name, const char *value);
/* ETag: "<account id>.<version>" (docs/api.md, "Lost updates"). */
void res_etag(struct request *req, unsigned long long id, unsigned long long version);
/* ETag: "<prefix><id>.<version>" of a resource with a version of its own
 * (a property definition: "p<id>.<version>"). */
void res_etag_of(struct request *req, const char *prefix, unsigned long long id,
                 unsigned long long version);
/* Sends body (reference stolen) with status. */
void res_json(struct request *req, int status, json_t *body);
void res_empty(struct request *req, int status);
/* Records the request's problem (replacing an earlier one; 422 carries the
 * collected field errors) and returns ST_REFUSED, so that a transaction
 * body can `return refuse(...)`. Nothing is written until request_answer(). */
int refuse(struct request *req, int status, const char *slug, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* refuse() for a problem that is not a 422 but is about one field (a
 * taken storefront alias or uid: 409): the answer carries
 * errors: {field: message} too, as a 422's does, so that a form marks the
 * field (error_to gets errors[field], docs/api.md "Errors"). Replaces the
 * field errors collected before. */
int refuse_field(struct request *req, int status, const char *slug, const char *field,
                 const char *message, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* 1 once the request was refused (a problem is recorded). */
int request_refused(const struct request *req);
/* 503 with Retry-After. */
void res_unavailable(struct request *req, const char *what);
/* 429 with Retry-After (seconds): a budget of the account is spent (the
 * mail budget, the relation budget); slug names it (type
 * urn:accountd:problem:<slug>), detail says which and that nothing
 * changed. Returns ST_REFUSED. */
int res_budget_spent(struct request *req, const char *slug, int retry_after, const char *detail);
/* Refuses for an adapter status that is not ST_OK: ST_REFUSED keeps the
 * problem already recorded, ST_TOO_MANY is the mail budget's 429,
 * ST_UNAVAILABLE/ST_RETRY 503, anything else 500. */
void res_store_failure(struct request *req, int st, const char *what);
/* Collects "field: message" for a 422. */
void res_field_error(struct request *req, const char *field, const char *message);
/* If field errors were collected: refuses with 422 and returns 1. */
int res_fail_if_errors(struct request *req);
/* For a store or transaction body that collected field errors: refuses
 * with their 422 and returns ST_REFUSED. */
int refuse_invalid(struct request *req);
/* 401 (unauthenticated) with the HTTP Basic challenge nginx passes on. */
void res_unauthenticated(struct request *req, const char *why);
/* 429 (too many failed sign-ins) with Retry-After: seconds. */
void res_too_many_sign_ins(struct request *req, int seconds);

/* sql_transaction on the request's connection with the request's problem:
 * a body refuses with refuse() (or problem_set on &req->problem) and
 * returns ST_REFUSED; a refusal of an attempt run again after a deadlock,
 * or of a transaction that committed, is forgotten. */
struct sql_store;
int request_transaction(struct request *req, int (*fn)(struct sql_store *s, void *arg), void *arg);

/* The router's end: writes a recorded problem as problem+json (and
 * forgets it). */
void request_answer(struct request *req);

/* Renders the response as FastCGI stdout (status line, headers, body). */
void response_render(const struct request *req, struct buf *out);

#endif
