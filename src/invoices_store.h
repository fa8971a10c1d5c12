/*
 * invoices_store: the SQL of invoices (written when an order executes, a
 * subscription is upgraded or renewed) and quotes (requested by a
 * customer). Amounts are integer minor units with a currency.
 */
#ifndef ACCOUNTD_INVOICES_STORE_H
#define ACCOUNTD_INVOICES_STORE_H

#include "billing.h"
#include "sql_store.h"

#include <jansson.h>

struct invoice {
    unsigned long long account_id, subscription_id, order_id; /* 0: none */
    const char *reason;                                       /* order, upgrade, renewal */
    const char *currency;
    long long total_minor;
    json_t *lines; /* borrowed: [{article, name, quantity, unit_price, [terms,] amount}] */
    const char *period_start, *period_end; /* "YYYY-MM-DD HH:MM:SS.ffffff"; NULL below */
};

/* Inside a transaction: writes one invoice, its lines as given: an
 * invoice is never edited, so each line keeps the name it was written
 * with whatever the catalog calls the article later (period_start NULL: the
 * transaction's now, as for an upgrade, which bills from the moment it
 * happens); its id in *id. */
int invoices_store_write(struct sql_store *sql, const struct invoice *inv, unsigned long long *id);
/* Invoice id's number as the API shows it (invoice_number_format, the
 * year it was issued). */
int invoices_store_number(struct sql_store *sql, unsigned long long id,
                          char number[INVOICE_NUMBER_SIZE]);
/* [{id, number, reason, subscription_id, order_id, total, lines,
 *   period_start, period_end, issued_at}], newest first: at most limit,
 * older than id before (0: from the newest). */
int invoices_store_list(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long before, long limit, json_t **out);
/* One invoice as in the list (ST_NOT_FOUND). */
int invoices_store_get(struct sql_store *sql, unsigned long long id, json_t **out);

/* Writes a quote valid for valid_days, requested from seller_id (the
 * account's parent, which is mailed; 0: none); its id in *id. */
int quotes_store_create(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long seller_id, const char *uid, const char *currency,
                        long long total_minor, json_t *lines, int valid_days,
                        unsigned long long *id);
/* [{id, status, total, lines, requested_by, created_at, valid_until}],
 * newest first (id 0: all of the account; else only that quote), at most
 * limit, older than id before (0: from the newest). */
int quotes_store_list(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                      unsigned long long before, long limit, json_t **out);
/* The quotes requested from seller_id (GET /accounts/{seller}/quote-requests;
 * round-20 walkthrough of seed 001, D3): as quotes_store_list shows them,
 * each with the asking account's account_id and account_name, newest
 * first (id 0: all; else only that one), at most limit, older than before
 * (0: from the newest). One statement, by the index on (seller_id, id). */
int quotes_store_requests_to(struct sql_store *sql, unsigned long long seller_id,
                             unsigned long long id, unsigned long long before, long limit,
                             json_t **out);

#endif
