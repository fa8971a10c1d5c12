#include "problem.h"

#include "buf.h"
#include "result.h"

#include <stdlib.h>

int problem_set(struct problem *p, int status, const char *slug, const char *detail)
{
    problem_clear(p);
    p->status = status;
    p->slug = xstrdup(slug ? slug : "internal");
    p->detail = xstrdup(detail ? detail : "refused");
    return ST_REFUSED;
}

void problem_clear(struct problem *p)
{
    free(p->slug);
    free(p->detail);
    p->status = 0;
    p->slug = NULL;
    p->detail = NULL;
}

int problem_pending(const struct problem *p)
{
    return p && p->status != 0;
}

int tx_run(const struct tx_ops *ops, struct problem *refusal, int (*body)(void *arg), void *arg)
{
    /* A refusal recorded before this transaction is not its business: kept
     * aside, and back unless the transaction ends with its own. */
    struct problem before = {0};
    if (refusal) {
        before = *refusal;
        *refusal = (struct problem){0};
    }
    int st = ST_UNAVAILABLE;
    for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
        if (attempt > 0)
            ops->pause(ops->ctx, attempt);
        /* An earlier attempt's refusal is not this attempt's. */
        if (refusal)
            problem_clear(refusal);
        st = ops->begin(ops->ctx, attempt);
        if (st != ST_OK)
            break;
        st = body(arg);
        if (st == ST_OK)
            st = ops->commit(ops->ctx);
        if (st != ST_OK)
            ops->rollback(ops->ctx);
        if (st != ST_RETRY)
            break;
        st = ST_UNAVAILABLE; /* unless another attempt works */
    }
    /* Only a refusal that ended the transaction is the answer. */
    if (refusal && st != ST_REFUSED) {
        problem_clear(refusal);
        *refusal = before;
    } else if (refusal) {
        problem_clear(&before);
    }
    return st;
}
