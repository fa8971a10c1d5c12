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
 * - a repeat while the first still runs waits for it (polling the key, up
 *   to IDEMPOTENCY_WAIT_MS) and then answers as a repeat of a finished
 *   request does: the kept answer, or, when the first was refused and
 *   freed the key, it runs itself (a browser's double-click shows the
 *   second answer only: round-6 walkthroughs of seeds 001, D2, and 003,
 *   O1); only when the wait runs out it is 409; one whose first never
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

/* How long a repeat waits for the first request with its key to finish,
 * in milliseconds, and how often it looks (a worker thread waits with it:
 * docs/api.md, "Requests"). */
#define IDEMPOTENCY_WAIT_MS      5000
#define IDEMPOTENCY_WAIT_STEP_MS 50

/* The wait of a repeat (POST /accounts uses it too, accounts.c). */
struct idempotency_wait {
    long long deadline_ms; /* CLOCK_MONOTONIC */
};
void idempotency_wait_start(struct idempotency_wait *w);
/* Sleeps one step and returns 1 while the wait lasts; 0 (no sleep) once
 * it has run out. */
int idempotency_wait_more(struct idempotency_wait *w);

/* Returns 0 to run the handler (with the key claimed, or without a key),
 * -1 when the request is answered (a replay or a refusal). */
int idempotency_begin(struct request *req);
/* After the handler, before request_answer(): keeps or frees the claim. */
void idempotency_end(struct request *req);
/* The fingerprint of a request body: SHA-256 (hex) of its JSON with
 * sorted keys; of "" without a body. Pure, for tests. */
void idempotency_fingerprint(json_t *body, char out[65]);

#endif
