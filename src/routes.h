/*
 * routes: the one table of every endpoint (method, path pattern, handler,
 * whether it needs an identity), and the dispatcher that runs a request
 * through the shared steps: path → body → method → CSRF → identity →
 * handler → return_to redirect.
 */
#ifndef ACCOUNTD_ROUTES_H
#define ACCOUNTD_ROUTES_H

#include "request.h"

#define ROUTE_PUBLIC   0u
#define ROUTE_IDENTITY 1u /* needs a caller (REMOTE_USER) */
#define ROUTE_SECRET   2u /* the path holds a secret: logged as the pattern */

struct route {
    const char *method;
    const char *pattern; /* "/api/v1/accounts/{id}": {name} matches one segment */
    void (*handler)(struct request *req);
    unsigned flags;
};

/* Matches decoded segments against a pattern; fills args with the
 * placeholders' values. Returns 1 on a match. Pure, for tests. */
int route_match(const char *pattern, char *const *segments, size_t nsegments, const char *args[4]);

/* Runs one request to its response. */
void routes_handle(struct request *req, body_read_fn read, void *read_ctx);

#endif
