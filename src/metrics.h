/*
 * metrics: process-wide counters for GET /metrics (Prometheus text format).
 * Updated with relaxed atomics from every worker; nginx limits who may read
 * them (loopback or an allow-listed scraper).
 */
#ifndef ACCOUNTD_METRICS_H
#define ACCOUNTD_METRICS_H

/* Counts one finished request. */
void metrics_count_request(int status, double duration_ms);
/* The listening socket, for the queue gauges (-1: none). */
void metrics_set_listener(int fd);
/* A worker starts (+1) or ends (-1) serving a request. */
void metrics_worker_busy(int delta);
/* An HTTP Basic check that failed (wrong name or password), or that was
 * refused by the guessing throttle. */
void metrics_count_sign_in_failure(void);
void metrics_count_sign_in_throttled(void);
/* A statement that lost its MariaDB connection (gone, or sql_timeout
 * waited out), and one run again on a new connection (sql_store.c). */
void metrics_count_sql_lost(void);
void metrics_count_sql_retried(void);

#endif
