/*
 * idempotency_store: the SQL of the Idempotency-Key of POSTs that change
 * something (table request_keys, sql/010): one row per caller and key,
 * claimed before the handler runs, holding the answer once it succeeded.
 * The router's side is idempotency.h.
 */
#ifndef ACCOUNTD_IDEMPOTENCY_STORE_H
#define ACCOUNTD_IDEMPOTENCY_STORE_H

struct sql_store;

enum idem_claim {
    IDEM_CLAIMED,      /* the key was free: this request runs and finishes or releases it */
    IDEM_DONE,         /* the key's request succeeded: *answer holds what it answered */
    IDEM_RUNNING,      /* the key's request is still running */
    IDEM_ABANDONED,    /* its request never finished (accountd stopped during it) */
    IDEM_OTHER_REQUEST /* the key was used for another request (path or body) */
};

/* A stored answer (strings malloc'ed, idempotency_answer_free). */
struct idem_answer {
    int status;
    char *headers; /* "Name: value\r\n" lines */
    char *body;    /* JSON text, "" for none */
};
void idempotency_answer_free(struct idem_answer *a);

/* Claims (uid, key) for request ("METHOD /path") with the body's
 * fingerprint. A running claim older than abandon_after seconds is
 * IDEM_ABANDONED. Returns ST_OK with *claim set, or a store error. */
int idempotency_claim(struct sql_store *sql, const char *uid, const char *key, const char *request,
                      const char *fingerprint, int abandon_after, enum idem_claim *claim,
                      struct idem_answer *answer);
/* Keeps the answer of the request that holds the claim. */
int idempotency_finish(struct sql_store *sql, const char *uid, const char *key, int status,
                       const char *headers, const char *body);
/* Frees the key of a request that was refused (nothing was done). */
int idempotency_release(struct sql_store *sql, const char *uid, const char *key);
/* accountd maint: removes keys claimed more than max_age seconds ago. */
int idempotency_expire(struct sql_store *sql, long max_age, unsigned long long *removed);

#endif
