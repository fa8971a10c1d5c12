/*
 * result: the status every adapter call returns. Handlers map them to HTTP:
 * ST_UNAVAILABLE is 503 with Retry-After, ST_ERROR 500, the others depend on
 * what the handler was doing.
 */
#ifndef ACCOUNTD_RESULT_H
#define ACCOUNTD_RESULT_H

enum st {
    ST_OK = 0,
    ST_NOT_FOUND,   /* nothing matched */
    ST_DUPLICATE,   /* a unique key or an existing entry refused the write */
    ST_DENIED,      /* wrong credentials */
    ST_RETRY,       /* deadlock or lock wait timeout: run the transaction again */
    ST_CONFLICT,    /* the handler's own state check failed */
    ST_STALE,       /* If-Match did not match the current version */
    ST_INVALID,     /* the handler recorded field errors (answered 422) */
    ST_UNAVAILABLE, /* the server is down or did not answer in time */
    ST_TOO_MANY,    /* the account's outbound mail budget is spent (answered 429) */
    ST_ERROR,       /* anything else; logged where it happened */
};

#endif
