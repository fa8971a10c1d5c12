/* Unit tests: the one error channel (src/problem.c, refuse() and
 * request_answer() in src/http.c) and the retry rules of transactions
 * (tx_run), on a scripted database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "problem.h"
#include "result.h"

/* A database whose begin/commit answer from a script. */
struct fake_db {
    int commit_st[TX_ATTEMPTS]; /* what COMMIT answers at each attempt */
    int begins, commits, rollbacks, pauses;
};

static int fake_begin(void *ctx, int attempt)
{
    struct fake_db *db = ctx;
    assert_int_equal(attempt, db->begins);
    db->begins++;
    return ST_OK;
}

static int fake_commit(void *ctx)
{
    struct fake_db *db = ctx;
    return db->commit_st[db->commits++];
}

static void fake_rollback(void *ctx)
{
    ((struct fake_db *)ctx)->rollbacks++;
}

static void fake_pause(void *ctx, int attempt)
{
    (void)attempt;
    ((struct fake_db *)ctx)->pauses++;
}

/* A transaction body: at attempt i it refuses if refuse_at[i], and then
 * returns result[i] (so a refusal can be followed by another status). */
struct body {
    struct problem *p;
    int refuse_at[TX_ATTEMPTS];
    int result[TX_ATTEMPTS];
    int runs;
};

static int run_body(void *arg)
{
    struct body *b = arg;
    int i = b->runs++;
    if (b->refuse_at[i])
        problem_set(b->p, 409, "conflict", "refused at this attempt");
    return b->result[i];
}

static int run(struct fake_db *db, struct problem *p, struct body *b)
{
    struct tx_ops ops = {fake_begin, fake_commit, fake_rollback, fake_pause, db};
    b->p = p;
    return tx_run(&ops, p, run_body, b);
}

static void a_refusal_ends_the_transaction_without_a_retry(void **state)
{
    (void)state;
    struct fake_db db = {0};
    struct problem p = {0};
    struct body b = {.refuse_at = {1}, .result = {ST_REFUSED}};
    assert_int_equal(run(&db, &p, &b), ST_REFUSED);
    assert_int_equal(b.runs, 1);
    assert_int_equal(db.commits, 0);
    assert_int_equal(db.rollbacks, 1);
    assert_int_equal(p.status, 409);
    assert_string_equal(p.slug, "conflict");
    problem_clear(&p);
}

static void a_retried_attempt_forgets_the_earlier_attempts_refusal(void **state)
{
    (void)state;
    /* Attempt 1 records a refusal and then deadlocks; attempt 2 commits. */
    struct fake_db db = {.commit_st = {ST_OK, ST_OK, ST_OK}};
    struct problem p = {0};
    struct body b = {.refuse_at = {1, 0}, .result = {ST_RETRY, ST_OK}};
    assert_int_equal(run(&db, &p, &b), ST_OK);
    assert_int_equal(b.runs, 2);
    assert_int_equal(db.pauses, 1);
    assert_false(problem_pending(&p));
}

static void a_retried_attempt_that_refuses_again_keeps_only_its_own(void **state)
{
    (void)state;
    struct fake_db db = {0};
    struct problem p = {0};
    struct body b = {.refuse_at = {1, 0}, .result = {ST_RETRY, ST_ERROR}};
    /* Attempt 2 fails with an error of its own: no refusal is the answer. */
    assert_int_equal(run(&db, &p, &b), ST_ERROR);
    assert_false(problem_pending(&p));
    assert_int_equal(db.rollbacks, 2);
}

static void a_refusal_followed_by_ok_never_leaks(void **state)
{
    (void)state;
    /* The body records a refusal, then decides to go on and commits. */
    struct fake_db db = {.commit_st = {ST_OK}};
    struct problem p = {0};
    struct body b = {.refuse_at = {1}, .result = {ST_OK}};
    assert_int_equal(run(&db, &p, &b), ST_OK);
    assert_int_equal(db.commits, 1);
    assert_int_equal(db.rollbacks, 0);
    assert_false(problem_pending(&p));
}

static void a_deadlocked_commit_runs_the_body_again(void **state)
{
    (void)state;
    struct fake_db db = {.commit_st = {ST_RETRY, ST_OK}};
    struct problem p = {0};
    struct body b = {.result = {ST_OK, ST_OK}};
    assert_int_equal(run(&db, &p, &b), ST_OK);
    assert_int_equal(b.runs, 2);
    assert_int_equal(db.rollbacks, 1);
}

static void three_deadlocks_are_unavailable(void **state)
{
    (void)state;
    struct fake_db db = {0};
    struct problem p = {0};
    struct body b = {.refuse_at = {0, 0, 1}, .result = {ST_RETRY, ST_RETRY, ST_RETRY}};
    assert_int_equal(run(&db, &p, &b), ST_UNAVAILABLE);
    assert_int_equal(b.runs, TX_ATTEMPTS);
    assert_false(problem_pending(&p));
}

static void a_refusal_from_before_the_transaction_is_kept(void **state)
{
    (void)state;
    struct fake_db db = {.commit_st = {ST_OK}};
    struct problem p = {0};
    problem_set(&p, 422, "validation", "earlier");
    struct body b = {.result = {ST_OK}};
    assert_int_equal(run(&db, &p, &b), ST_OK);
    assert_int_equal(p.status, 422);
    assert_string_equal(p.detail, "earlier");
    /* ... unless the transaction ends with a refusal of its own. */
    struct fake_db db2 = {0};
    struct body b2 = {.refuse_at = {1}, .result = {ST_REFUSED}};
    assert_int_equal(run(&db2, &p, &b2), ST_REFUSED);
    assert_int_equal(p.status, 409);
    problem_clear(&p);
}

/* ---- the request's channel ---------------------------------------- */

static json_t *answer_json(struct request *req)
{
    json_t *j = json_loadb(req->res.body.data, req->res.body.len, 0, NULL);
    assert_non_null(j);
    return j;
}

static void request_free(struct request *req)
{
    buf_free(&req->res.headers);
    buf_free(&req->res.body);
    json_decref(req->errors);
    problem_clear(&req->problem);
}

static void refuse_records_and_the_router_writes(void **state)
{
    (void)state;
    struct request req;
    memset(&req, 0, sizeof(req));
    assert_int_equal(refuse(&req, 404, "not-found", "no such %s", "thing"), ST_REFUSED);
    assert_true(request_refused(&req));
    assert_int_equal(req.res.status, 0); /* nothing written yet */
    request_answer(&req);
    assert_false(request_refused(&req));
    assert_int_equal(req.res.status, 404);
    assert_string_equal(req.res.content_type, "application/problem+json");
    json_t *j = answer_json(&req);
    assert_string_equal(json_string_value(json_object_get(j, "type")),
                        "urn:accountd:problem:not-found");
    assert_string_equal(json_string_value(json_object_get(j, "detail")), "no such thing");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
    json_decref(j);
    request_free(&req);
}

static void the_latest_answer_wins(void **state)
{
    (void)state;
    struct request req;
    memset(&req, 0, sizeof(req));
    /* A refusal and then a success: the success is the answer. */
    refuse(&req, 409, "conflict", "stale refusal");
    res_json(&req, 200, json_pack("{s:s}", "ok", "yes"));
    request_answer(&req);
    assert_int_equal(req.res.status, 200);
    assert_string_equal(req.res.content_type, "application/json");
    /* A success and then a refusal: the refusal is. */
    refuse(&req, 403, "forbidden", "no");
    request_answer(&req);
    assert_int_equal(req.res.status, 403);
    request_free(&req);
}

static void field_errors_go_with_a_422(void **state)
{
    (void)state;
    struct request req;
    memset(&req, 0, sizeof(req));
    assert_int_equal(res_fail_if_errors(&req), 0);
    res_field_error(&req, "name", "is required");
    assert_int_equal(res_fail_if_errors(&req), 1);
    request_answer(&req);
    assert_int_equal(req.res.status, 422);
    json_t *j = answer_json(&req);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "errors"), "name")),
                        "is required");
    json_decref(j);
    request_free(&req);
}

/* A 409 about one field (a taken alias or uid) carries that field's
 * error, and only it; a later plain refusal carries none (round-6
 * walkthroughs of seeds 002 and 003). */
static void a_field_conflict_carries_its_field(void **state)
{
    (void)state;
    struct request req;
    memset(&req, 0, sizeof(req));
    res_field_error(&req, "stale", "collected before");
    assert_int_equal(refuse_field(&req, 409, "conflict", "storefront_alias",
                                  "is taken; choose another one", "the alias '%s' is taken", "x"),
                     ST_REFUSED);
    request_answer(&req);
    assert_int_equal(req.res.status, 409);
    json_t *j = answer_json(&req);
    assert_string_equal(json_string_value(json_object_get(j, "detail")), "the alias 'x' is taken");
    json_t *errors = json_object_get(j, "errors");
    assert_int_equal(json_object_size(errors), 1);
    assert_string_equal(json_string_value(json_object_get(errors, "storefront_alias")),
                        "is taken; choose another one");
    json_decref(j);
    /* A refusal recorded after it is plain again. */
    refuse_field(&req, 409, "conflict", "uid", "is taken", "taken");
    refuse(&req, 409, "conflict", "something else");
    request_answer(&req);
    j = answer_json(&req);
    assert_null(json_object_get(j, "errors"));
    json_decref(j);
    request_free(&req);
}

static void a_store_failure_keeps_a_recorded_refusal(void **state)
{
    (void)state;
    struct request req;
    memset(&req, 0, sizeof(req));
    refuse(&req, 410, "invitation-used", "used");
    res_store_failure(&req, ST_REFUSED, "the database");
    assert_int_equal(req.problem.status, 410);
    /* ST_REFUSED without a recorded problem is an internal error. */
    problem_clear(&req.problem);
    res_store_failure(&req, ST_REFUSED, "the database");
    assert_int_equal(req.problem.status, 500);
    res_store_failure(&req, ST_ERROR, "the database");
    assert_int_equal(req.problem.status, 500);
    request_free(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_refusal_ends_the_transaction_without_a_retry),
        cmocka_unit_test(a_retried_attempt_forgets_the_earlier_attempts_refusal),
        cmocka_unit_test(a_retried_attempt_that_refuses_again_keeps_only_its_own),
        cmocka_unit_test(a_refusal_followed_by_ok_never_leaks),
        cmocka_unit_test(a_deadlocked_commit_runs_the_body_again),
        cmocka_unit_test(three_deadlocks_are_unavailable),
        cmocka_unit_test(a_refusal_from_before_the_transaction_is_kept),
        cmocka_unit_test(refuse_records_and_the_router_writes),
        cmocka_unit_test(the_latest_answer_wins),
        cmocka_unit_test(field_errors_go_with_a_422),
        cmocka_unit_test(a_store_failure_keeps_a_recorded_refusal),
        cmocka_unit_test(a_field_conflict_carries_its_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
