/*
 * subscriptions: the maintenance job of the commercial side, run by
 * `accountd maint` (cron, a systemd timer, the dev stack's timer) and by
 * tests with an explicit --now so that no test waits for a term to end.
 */
#ifndef ACCOUNTD_SUBSCRIPTIONS_H
#define ACCOUNTD_SUBSCRIPTIONS_H

#include "config.h"

/* Ends every pending cancellation whose term ended at or before now
 * (cancelled, licenses taken back, the reseller back on basic, the
 * storefront refused and kept for storefront_retention_days), then purges
 * storefronts past their retention, which frees their aliases. now is
 * RFC 3339 UTC ("2027-01-31T00:00:00Z") or NULL for the clock's time.
 * Prints what it did; 0 on success, 1 on a failure, 2 for a bad now. */
int billing_maint_run(const struct config *cfg, const char *now);

/* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM:SS" (out: 20 bytes);
 * -1 if text is not such a time. Pure, for tests. */
int billing_parse_now(const char *text, char out[20]);
/* The time `accountd maint` runs as: text (--now) as billing_parse_now
 * reads it, or the clock's UTC time when text is NULL; -1 for a bad text. */
int billing_now(const char *text, char out[20]);

#endif
