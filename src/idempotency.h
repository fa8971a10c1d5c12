/*
 * idempotency: the Idempotency-Key (or a form's _idempotency_key) of the
 * routes flagged ROUTE_IDEMPOTENT (routes.h): every POST that creates or
 * changes something, but POST /api/v1/accounts, which keeps its own
 * (accounts.c). The router calls idempotency_begin() after authorizing
 * the route and idempotency_end() once the handler answered:
 *
 * - the first request with a key claims it and runs; a success (2xx)
 *   keeps its answer (status, header lines, body) under the caller and the
 *   key; a refusal frees the key (nothing was done: the same key may be
 *   sent again with a corrected body); a 503 outcome-unknown, or any
 *   refusal after a COMMIT that lost MariaDB, keeps it claimed (the
 *   change may be there: a repeat must not do it twice);
 * - a repeat of that request (same method, path and body) by the same
 *   caller gets the kept answer again, with `Idempotent-Replayed: true`,
 *   and does nothing; the route's roles are checked again first;
 * - a repeat while the first still runs is 409; one whose first never
 *   finished (accountd stopped during it) is 409 saying so; the key sent
 *   with another path or body is 422; a malformed key is 422.
 *
 * Keys are kept a day (`accountd maint` removes older ones).
 */
#ifndef ACCOUNTD_IDEMPOTENCY_H
#define ACCOUNTD_IDEMPOTENCY_H

#include "http.h"

/* Seconds a key and its answer are kept. */
#define IDEMPOTENCY_KEEP_SECONDS (24L * 3600)

/* Returns 0 to run the handler (with the key claimed, or without a key),
 * -1 when the request is answered (a replay or a refusal). */
int idempotency_begin(struct request *req);
/* After the handler, before request_answer(): keeps or frees the claim. */
void idempotency_end(struct request *req);
/* The fingerprint of a request body: SHA-256 (hex) of its JSON with
 * sorted keys; of "" without a body. Pure, for tests. */
void idempotency_fingerprint(json_t *body, char out[65]);

#endif
