/*
 * result: the status every adapter call returns. Handlers map them to HTTP:
 * ST_UNAVAILABLE is 503 with Retry-After, ST_ERROR 500, ST_REFUSED the
 * problem recorded on the request (problem.h), the others depend on what the
 * handler was doing.
 */
#ifndef ACCOUNTD_RESULT_H
#define ACCOUNTD_RESULT_H

enum st {
    ST_OK = 0,
    ST_NOT_FOUND,   /* nothing matched */
    ST_DUPLICATE,   /* a unique key or an existing entry refused the write */
    ST_DENIED,      /* wrong credentials */
    ST_RETRY,       /* deadlock or lock wait timeout: run the transaction again */
    ST_CONFLICT,    /* a store found the state changed under it (an entry with the same
                       unique value, an intent no longer open): the caller decides;
                       never an answer by itself */
    ST_UNAVAILABLE, /* the server is down or did not answer in time */
    ST_TOO_MANY,    /* a budget of the account is spent: the outbound mail budget
                       (res_store_failure answers 429), the relation budget (relations.c) */
    ST_REFUSED,     /* a problem was recorded (problem.h, http.h refuse()) and is the
                       answer: transactions roll back and do not run again */
    ST_ERROR,       /* anything else; logged where it happened */
};

#endif
