#include "metrics.h"

#include "dircache.h"
#include "handlers.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* Index by status class: 1xx..5xx. */
static atomic_ullong requests[6];
static atomic_ullong duration_us_total;
static atomic_ullong store_unavailable;
static atomic_ullong too_many_requests;
static atomic_ullong sign_in_failures;
static atomic_ullong sign_in_throttled;
static atomic_ullong sql_lost;
static atomic_ullong sql_retried;
static atomic_int workers_busy;
static atomic_int listener_fd = -1;

void metrics_set_listener(int fd)
{
    atomic_store(&listener_fd, fd);
}

/* A unix listening socket's queue (connections waiting for accept) and
 * its effective backlog (after the kernel's somaxconn cap), from the
 * kernel's sock_diag (what `ss -xl` shows). Returns 0 or -1. */
static int unix_listen_queue(int fd, unsigned *queued, unsigned *backlog)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -1;
    struct timeval tv = {1, 0};
    setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req udr;
    } ask;
    memset(&ask, 0, sizeof(ask));
    ask.nlh.nlmsg_len = sizeof(ask);
    ask.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    ask.nlh.nlmsg_flags = NLM_F_REQUEST;
    ask.udr.sdiag_family = AF_UNIX;
    ask.udr.udiag_states = ~0u;
    ask.udr.udiag_ino = (unsigned)st.st_ino;
    ask.udr.udiag_show = UDIAG_SHOW_RQLEN;
    ask.udr.udiag_cookie[0] = ask.udr.udiag_cookie[1] = ~0u; /* no cookie */
    int rc = -1;
    long answer[1024];
    if (send(nl, &ask, sizeof(ask), 0) == (ssize_t)sizeof(ask)) {
        ssize_t n = recv(nl, answer, sizeof(answer), 0);
        struct nlmsghdr *h = (struct nlmsghdr *)answer;
        if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct unix_diag_msg)) && h->nlmsg_len <= (size_t)n &&
            h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct unix_diag_msg)) &&
            h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            struct unix_diag_msg *m = NLMSG_DATA(h);
            size_t len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
            for (struct nlattr *a = (struct nlattr *)(m + 1);
                 len >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len;
                 len -= (size_t)NLA_ALIGN(a->nla_len),
                               a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
                if (a->nla_type == UNIX_DIAG_RQLEN &&
                    a->nla_len >= NLA_HDRLEN + sizeof(struct unix_diag_rqlen)) {
                    struct unix_diag_rqlen *q = (struct unix_diag_rqlen *)((char *)a + NLA_HDRLEN);
                    *queued = q->udiag_rqueue;
                    *backlog = q->udiag_wqueue;
                    rc = 0;
                    break;
                }
                if ((size_t)NLA_ALIGN(a->nla_len) > len)
                    break;
            }
        }
    }
    close(nl);
    return rc;
}

/* The same for a TCP listener: TCP_INFO of a listening socket holds the
 * accept queue in tcpi_unacked and the backlog in tcpi_sacked. */
static int listen_queue(int fd, unsigned *queued, unsigned *backlog)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
        return -1;
    if (sa.ss_family == AF_UNIX)
        return unix_listen_queue(fd, queued, backlog);
    struct tcp_info ti;
    socklen_t tlen = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) < 0)
        return -1;
    *queued = ti.tcpi_unacked;
    *backlog = ti.tcpi_sacked;
    return 0;
}

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

void metrics_count_sql_lost(void)
{
    atomic_fetch_add_explicit(&sql_lost, 1, memory_order_relaxed);
}

void metrics_count_sql_retried(void)
{
    atomic_fetch_add_explicit(&sql_retried, 1, memory_order_relaxed);
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
    buf_printf(b,
               "# HELP accountd_sql_connection_lost_total Statements that found MariaDB gone or "
               "waited out sql_timeout.\n"
               "# TYPE accountd_sql_connection_lost_total counter\n"
               "accountd_sql_connection_lost_total %llu\n"
               "# HELP accountd_sql_retried_total Statements run once more on a new connection "
               "(the old one was found dead at once).\n"
               "# TYPE accountd_sql_retried_total counter\n"
               "accountd_sql_retried_total %llu\n",
               atomic_load_explicit(&sql_lost, memory_order_relaxed),
               atomic_load_explicit(&sql_retried, memory_order_relaxed));
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
    unsigned queued, backlog;
    if (listen_queue(atomic_load(&listener_fd), &queued, &backlog) == 0)
        buf_printf(b,
                   "# HELP accountd_listen_queue Connections waiting in the socket's queue for a "
                   "free worker.\n"
                   "# TYPE accountd_listen_queue gauge\naccountd_listen_queue %u\n"
                   "# HELP accountd_listen_queue_max The queue's size as the kernel applies it "
                   "(listen_backlog, cut to net.core.somaxconn).\n"
                   "# TYPE accountd_listen_queue_max gauge\naccountd_listen_queue_max %u\n",
                   queued, backlog);
    struct dircache_stats ds;
    dircache_stats(&ds);
    buf_printf(b,
               "# HELP accountd_directory_cache_live 1 while the directory cache answers reads"
               " (its sync session is refreshed and following changes).\n"
               "# TYPE accountd_directory_cache_live gauge\naccountd_directory_cache_live %d\n"
               "# HELP accountd_directory_cache_ttl_mode 1 if slapd offers no syncprov"
               " (identities are kept for identity_cache_ttl).\n"
               "# TYPE accountd_directory_cache_ttl_mode gauge\n"
               "accountd_directory_cache_ttl_mode %d\n"
               "# HELP accountd_directory_cache_entries Entries the directory cache holds.\n"
               "# TYPE accountd_directory_cache_entries gauge\n"
               "accountd_directory_cache_entries{kind=\"person\"} %llu\n"
               "accountd_directory_cache_entries{kind=\"group\"} %llu\n"
               "accountd_directory_cache_entries{kind=\"membership\"} %llu\n"
               "# HELP accountd_directory_cache_refreshes_total Completed sync refreshes.\n"
               "# TYPE accountd_directory_cache_refreshes_total counter\n"
               "accountd_directory_cache_refreshes_total %llu\n"
               "# HELP accountd_directory_cache_changes_total Changes applied after a refresh.\n"
               "# TYPE accountd_directory_cache_changes_total counter\n"
               "accountd_directory_cache_changes_total %llu\n"
               "# HELP accountd_directory_cache_refresh_seconds How long the last refresh took.\n"
               "# TYPE accountd_directory_cache_refresh_seconds gauge\n"
               "accountd_directory_cache_refresh_seconds %.3f\n"
               "# HELP accountd_directory_cache_sync_requests_total Sync sessions asked of slapd"
               " (at start, after every reconnect, and every ldap_sync_retry seconds while"
               " slapd offers no syncprov), accepted or refused.\n"
               "# TYPE accountd_directory_cache_sync_requests_total counter\n"
               "accountd_directory_cache_sync_requests_total %llu\n",
               ds.state == DIRCACHE_LIVE, ds.state == DIRCACHE_TTL, ds.people, ds.groups,
               ds.memberships, ds.refreshes, ds.changes, (double)ds.refresh_ms / 1e3, ds.requests);
    req->res.status = 200;
    req->res.content_type = "text/plain; version=0.0.4; charset=utf-8";
}
