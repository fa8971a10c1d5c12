#include "metrics.h"

#include "handlers.h"

#include <stdatomic.h>

/* Index by status class: 1xx..5xx. */
static atomic_ullong requests[6];
static atomic_ullong duration_us_total;
static atomic_ullong store_unavailable;
static atomic_ullong too_many_requests;
static atomic_ullong sign_in_failures;
static atomic_ullong sign_in_throttled;
static atomic_int workers_busy;

void metrics_worker_busy(int delta)
{
    atomic_fetch_add_explicit(&workers_busy, delta, memory_order_relaxed);
}

void metrics_count_sign_in_failure(void)
{
    atomic_fetch_add_explicit(&sign_in_failures, 1, memory_order_relaxed);
}

void metrics_count_sign_in_throttled(void)
{
    atomic_fetch_add_explicit(&sign_in_throttled, 1, memory_order_relaxed);
}

/* Histogram buckets in milliseconds. */
static const double buckets_ms[] = {1, 5, 10, 25, 50, 100, 250, 1000};
#define NBUCKETS (sizeof(buckets_ms) / sizeof(buckets_ms[0]))
static atomic_ullong bucket_counts[NBUCKETS];

void metrics_count_request(int status, double duration_ms)
{
    int cls = status / 100;
    if (cls < 1 || cls > 5)
        cls = 5;
    atomic_fetch_add_explicit(&requests[cls], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&duration_us_total, (unsigned long long)(duration_ms * 1000.0),
                              memory_order_relaxed);
    for (size_t i = 0; i < NBUCKETS; i++)
        if (duration_ms <= buckets_ms[i])
            atomic_fetch_add_explicit(&bucket_counts[i], 1, memory_order_relaxed);
    if (status == 503)
        atomic_fetch_add_explicit(&store_unavailable, 1, memory_order_relaxed);
    if (status == 429)
        atomic_fetch_add_explicit(&too_many_requests, 1, memory_order_relaxed);
}

void service_metrics(struct request *req)
{
    struct buf *b = &req->res.body;
    unsigned long long total = 0;
    buf_reset(b);
    buf_adds(b, "# HELP accountd_requests_total Requests answered, by status class.\n"
                "# TYPE accountd_requests_total counter\n");
    for (int c = 1; c <= 5; c++) {
        unsigned long long n = atomic_load_explicit(&requests[c], memory_order_relaxed);
        total += n;
        buf_printf(b, "accountd_requests_total{code=\"%dxx\"} %llu\n", c, n);
    }
    buf_adds(b, "# HELP accountd_request_duration_seconds Time to answer a request.\n"
                "# TYPE accountd_request_duration_seconds histogram\n");
    for (size_t i = 0; i < NBUCKETS; i++)
        buf_printf(b, "accountd_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                   buckets_ms[i] / 1000.0,
                   atomic_load_explicit(&bucket_counts[i], memory_order_relaxed));
    buf_printf(b, "accountd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", total);
    buf_printf(b, "accountd_request_duration_seconds_sum %.6f\n",
               (double)atomic_load_explicit(&duration_us_total, memory_order_relaxed) / 1e6);
    buf_printf(b, "accountd_request_duration_seconds_count %llu\n", total);
    buf_printf(b,
               "# HELP accountd_unavailable_total Requests answered 503 (LDAP or MariaDB down).\n"
               "# TYPE accountd_unavailable_total counter\naccountd_unavailable_total %llu\n",
               atomic_load_explicit(&store_unavailable, memory_order_relaxed));
    buf_printf(b,
               "# HELP accountd_too_many_requests_total Requests answered 429.\n"
               "# TYPE accountd_too_many_requests_total counter\n"
               "accountd_too_many_requests_total %llu\n",
               atomic_load_explicit(&too_many_requests, memory_order_relaxed));
    buf_printf(b,
               "# HELP accountd_sign_in_failures_total HTTP Basic checks with a wrong name or "
               "password.\n"
               "# TYPE accountd_sign_in_failures_total counter\n"
               "accountd_sign_in_failures_total %llu\n",
               atomic_load_explicit(&sign_in_failures, memory_order_relaxed));
    buf_printf(b,
               "# HELP accountd_sign_in_throttled_total HTTP Basic checks refused by the guessing "
               "throttle.\n"
               "# TYPE accountd_sign_in_throttled_total counter\n"
               "accountd_sign_in_throttled_total %llu\n",
               atomic_load_explicit(&sign_in_throttled, memory_order_relaxed));
    /* The one asking counts as busy. */
    buf_printf(b,
               "# HELP accountd_workers_busy Worker threads serving a request now.\n"
               "# TYPE accountd_workers_busy gauge\naccountd_workers_busy %d\n"
               "# HELP accountd_workers Worker threads (threads).\n"
               "# TYPE accountd_workers gauge\naccountd_workers %d\n"
               "# HELP accountd_listen_backlog Connections the kernel queues for the workers "
               "(listen_backlog); nginx answers 503 past it.\n"
               "# TYPE accountd_listen_backlog gauge\naccountd_listen_backlog %d\n",
               atomic_load_explicit(&workers_busy, memory_order_relaxed), req->cfg->threads,
               req->cfg->listen_backlog);
    req->res.status = 200;
    req->res.content_type = "text/plain; version=0.0.4; charset=utf-8";
}
