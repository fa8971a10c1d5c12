#include "idempotency.h"

#include "buf.h"
#include "idempotency_store.h"
#include "log.h"
#include "result.h"
#include "sql_store.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A claim this old whose request has not finished was abandoned (accountd
 * stopped during it): longer than any request may take (nginx gives up
 * after fastcgi_read_timeout, 60 s). */
#define ABANDONED_AFTER_SECONDS 300

void idempotency_fingerprint(json_t *body, char out[65])
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sha256_hex(text ? text : "", out);
    free(text);
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void idempotency_wait_start(struct idempotency_wait *w)
{
    w->deadline_ms = monotonic_ms() + IDEMPOTENCY_WAIT_MS;
}

int idempotency_wait_more(struct idempotency_wait *w)
{
    long long left = w->deadline_ms - monotonic_ms();
    if (left <= 0)
        return 0;
    long long step = left < IDEMPOTENCY_WAIT_STEP_MS ? left : IDEMPOTENCY_WAIT_STEP_MS;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1000000)};
    nanosleep(&ts, NULL);
    return 1;
}

static void request_line(const struct request *req, struct buf *out)
{
    buf_printf(out, "%s %s", req->method, req->path);
}

int idempotency_begin(struct request *req)
{
    if (!req->idem_key)
        return 0;
    const char *why = validate_idempotency_key(req->idem_key);
    if (why) {
        res_field_error(req, req->idem_field, why);
        res_fail_if_errors(req);
        return -1;
    }
    char fingerprint[65];
    idempotency_fingerprint(req->body, fingerprint);
    struct buf line = BUF_INIT;
    request_line(req, &line);
    enum idem_claim claim;
    struct idem_answer answer;
    /* A repeat that finds the first request running waits for its end:
     * then its kept answer, or (refused: the key freed) a claim of its
     * own, is what a later repeat would get. */
    struct idempotency_wait wait;
    idempotency_wait_start(&wait);
    int st;
    do
        st = idempotency_claim(req->session->sql, req->caller.uid, req->idem_key, buf_str(&line),
                               fingerprint, ABANDONED_AFTER_SECONDS, &claim, &answer);
    while (st == ST_OK && claim == IDEM_RUNNING && idempotency_wait_more(&wait));
    buf_free(&line);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return -1;
    }
    switch (claim) {
    case IDEM_CLAIMED:
        req->idem_claimed = 1;
        return 0;
    case IDEM_DONE:
        res_empty(req, answer.status);
        buf_adds(&req->res.headers, answer.headers);
        res_header(req, "Idempotent-Replayed", "true");
        req->idem_replayed = 1;
        if (*answer.body) {
            buf_adds(&req->res.body, answer.body);
            req->res.content_type = "application/json";
        }
        idempotency_answer_free(&answer);
        return -1;
    case IDEM_RUNNING:
        refuse(req, 409, "conflict",
               "a request with this Idempotency-Key is still being processed (waited %d s for "
               "it); send it again later to get its answer",
               IDEMPOTENCY_WAIT_MS / 1000);
        return -1;
    case IDEM_ABANDONED:
        refuse(req, 409, "conflict",
               "the request with this Idempotency-Key never finished (the service stopped during "
               "it), so its outcome is unknown: check what it was to do, then send it with a new "
               "key");
        return -1;
    case IDEM_OTHER_REQUEST:
        res_field_error(req, req->idem_field,
                        "was already used for another request (another path or body); send a "
                        "new key");
        res_fail_if_errors(req);
        return -1;
    }
    return -1;
}

void idempotency_end(struct request *req)
{
    if (!req->idem_claimed)
        return;
    req->idem_claimed = 0;
    int st;
    if (request_refused(req)) {
        /* outcome-unknown (the repair job decides), or a COMMIT that lost
         * MariaDB (it may have committed): the change may be there, so the
         * key stays claimed and a repeat is 409, never a second time; any
         * other refusal did nothing. */
        if ((req->problem.slug && strcmp(req->problem.slug, "outcome-unknown") == 0) ||
            sql_commit_unknown(req->session->sql))
            return;
        st = idempotency_release(req->session->sql, req->caller.uid, req->idem_key);
    } else if (req->res.status >= 200 && req->res.status < 300) {
        st = idempotency_finish(req->session->sql, req->caller.uid, req->idem_key, req->res.status,
                                buf_str(&req->res.headers), buf_str(&req->res.body));
    } else {
        st = idempotency_release(req->session->sql, req->caller.uid, req->idem_key);
    }
    /* The answer stands either way; a key that could not be updated stays
     * claimed, and a repeat is refused (409) rather than done twice. */
    if (st != ST_OK)
        log_warn("request %s: Idempotency-Key not updated (%d)", req->request_id, st);
}
