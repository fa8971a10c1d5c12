/*
 * routes: the one table of every endpoint and the rules it needs — an
 * identity, the roles on the account its path names (or on that account's
 * parent), whether a closed account is refused — and the dispatcher that
 * runs a request through the shared steps: path → (OPTIONS: answered
 * here, no identity) → body → method (HEAD runs GET) → identity →
 * authorization → handler → web_finish (return_to / error_to redirect,
 * HTML error page, CORS).
 *
 * The table is also the authorization matrix: `accountd routes` prints it
 * (tests/integration/test_authz_matrix.py walks it), docs/api.md states it.
 */
#ifndef ACCOUNTD_ROUTES_H
#define ACCOUNTD_ROUTES_H

#include "request.h"

#include <stdio.h>

#define ROUTE_PUBLIC   0u
#define ROUTE_IDENTITY 1u /* needs a caller (REMOTE_USER) */
#define ROUTE_SECRET   2u /* the path holds a secret: logged as the pattern */
#define ROUTE_OPEN     4u /* the route's account must not be closed (409) */
#define ROUTE_PROJECT                                                                              \
    8u /* people with only a project role in the account are let in                                \
          too (req->account.roles 0); the handler shows them their                                 \
          projects only */
#define ROUTE_ROW                                                                                  \
    16u /* the handler answers with the account overview: the                                      \
           router's authorization reads the whole overview row                                     \
           (account_read) instead of the account's kind, status                                    \
           and parent only, so the answer costs one statement */

#define ROUTE_IDEMPOTENT                                                                           \
    32u /* a POST that creates or changes something: honours Idempotency-Key                       \
           (idempotency.h) */
#define ROUTE_PROJECT_OWNER                                                                        \
    64u /* a /projects/{pid}/... route that the project's owners may call                          \
           too, whatever their role in its account (round-18 walkthrough                           \
           of seed 003, D2): the roles are for everyone else */

#define ROUTE_PARENT_ADMIN                                                                         \
    128u /* the admins of the account's parent are let in too, whatever                            \
            the parent's kind (not a closed one): the handler lets them do                         \
            only what its own rule gives them (DELETE .../members/{uid}: the                       \
            parent's former people who created the account; round-20                               \
            walkthrough of seed 001, D1) */

/* Finds the account a route names when it is not the path's first
 * placeholder (an order's account, the parent named in a query). Returns
 * ST_OK with *id set (0: this request names no account, which only the
 * operator may do and the handler checks), ST_NOT_FOUND (answered 404),
 * ST_REFUSED (a problem recorded with refuse(), e.g. the 422 of
 * res_fail_if_errors(), which is the answer) or a store error. */
typedef int (*account_of_fn)(struct request *req, unsigned long long *id);

struct route {
    const char *method;
    const char *pattern; /* "/api/v1/accounts/{id}": {name} matches one segment */
    void (*handler)(struct request *req);
    unsigned flags;
    unsigned roles;           /* ROLE_* bits on the route's account that may call; 0: none named */
    unsigned parent_roles;    /* ROLE_* bits on that account's parent that may call too (a
                                 distributor parent only: the back office, caller.h) */
    account_of_fn account_of; /* NULL: the first placeholder is the account id */
    /* What the router's 403 says to a person of the account whose roles
     * are not in roles, after "your role in this account does not allow
     * this: ", when the roles alone would send them to the wrong person
     * (the reset route: only the named contacts among the admins;
     * round-18 walkthrough of seed 004, D2). NULL: the roles it needs and
     * whom to ask (caller_authorize). */
    const char *refused;
};

/* Matches decoded segments against a pattern; fills args with the
 * placeholders' values. Returns 1 on a match. Pure, for tests. */
int route_match(const char *pattern, char *const *segments, size_t nsegments, const char *args[4]);

/* 1 if the caller could call the route method pattern (as the table
 * spells it) on the account the request's route named (req->account, as
 * the router authorized it): for a message that tells the caller to do
 * something else only when they may (another route on the same account).
 * 0 for a route not in the table. */
int route_allows(const struct request *req, const char *method, const char *pattern);

/* Runs one request to its response. */
void routes_handle(struct request *req, body_read_fn read, void *read_ctx);

/* Prints the table as JSON lines (method, pattern, flags, roles,
 * parent_roles, account_of, and refused where an entry has it) for
 * `accountd routes` and the authorization-matrix test. */
void routes_print(FILE *out);

#endif
