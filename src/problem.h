/*
 * problem: accountd's one error channel.
 *
 * Whatever refuses a request — a handler, a check it calls, a store or a
 * transaction body — records one problem (HTTP status, type slug, detail)
 * and returns ST_REFUSED (http.h: refuse() on the request, problem_set() on
 * a struct problem a store was handed). Nothing writes the answer on the
 * way: the router writes the recorded problem as problem+json once the
 * handler returns (http.h: request_answer()).
 *
 * Transactions (tx_run, used by sql_transaction): a body that returns
 * ST_REFUSED is rolled back and not run again. A refusal recorded by an
 * attempt that is run again (deadlock) is cleared before the next attempt,
 * and a transaction that commits clears any refusal its body recorded and
 * then overrode: only a refusal that ended the transaction reaches the
 * answer.
 */
#ifndef ACCOUNTD_PROBLEM_H
#define ACCOUNTD_PROBLEM_H

struct problem {
    int status;   /* HTTP status; 0: nothing recorded */
    char *slug;   /* urn:accountd:problem:<slug> (malloc'ed) */
    char *detail; /* malloc'ed */
};

/* Records the problem (replacing an earlier one) and returns ST_REFUSED.
 * slug and detail are copied. */
int problem_set(struct problem *p, int status, const char *slug, const char *detail);
/* Forgets it (frees its strings); p stays usable. */
void problem_clear(struct problem *p);
/* 1 if a problem is recorded. */
int problem_pending(const struct problem *p);

/* The steps of a transaction, so that its retry rules (tx_run) do not
 * depend on a database. begin/commit return ST_* statuses; rollback runs
 * after anything but a commit that worked; pause waits before attempt
 * number `attempt` (1, 2). */
struct tx_ops {
    int (*begin)(void *ctx, int attempt);
    int (*commit)(void *ctx);
    void (*rollback)(void *ctx);
    void (*pause)(void *ctx, int attempt);
    void *ctx;
};

#define TX_ATTEMPTS 3

/* Runs body inside begin ... commit. ST_RETRY (from body or commit) runs
 * it again, up to TX_ATTEMPTS times (then ST_UNAVAILABLE). refusal (may be
 * NULL) is where body records its refusals: what an attempt recorded is
 * cleared before the next attempt, and unless the transaction ends with
 * ST_REFUSED; a problem recorded before tx_run is kept as it was unless the
 * transaction ends with a refusal of its own. Returns the status. */
int tx_run(const struct tx_ops *ops, struct problem *refusal, int (*body)(void *arg), void *arg);

#endif
