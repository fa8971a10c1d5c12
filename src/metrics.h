/*
 * metrics: process-wide counters for GET /metrics (Prometheus text format).
 * Updated with relaxed atomics from every worker; nginx limits who may read
 * them (loopback or an allow-listed scraper).
 */
#ifndef ACCOUNTD_METRICS_H
#define ACCOUNTD_METRICS_H

/* Counts one finished request. */
void metrics_count_request(int status, double duration_ms);

#endif
