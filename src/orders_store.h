/*
 * orders_store: the SQL of orders (draft -> executed | discarded) and their
 * lines, priced from the catalog when the draft is made.
 */
#ifndef ACCOUNTD_ORDERS_STORE_H
#define ACCOUNTD_ORDERS_STORE_H

#include "catalog_store.h"
#include "sql_store.h"

#include <jansson.h>

struct order_line {
    char article[65];
    char name[ARTICLE_NAME_SIZE]; /* the article's catalog name when the draft was made */
    long long quantity, unit_price_minor;
};

struct order {
    unsigned long long id, account_id;
    char status[16];
    char alias[64]; /* "" for none */
    char currency[4];
    long long total_minor;
    struct order_line *lines; /* malloc'ed; order_free */
    size_t nlines;
};
void order_free(struct order *o);

/* Inside a transaction: writes a draft with its lines (each with its
 * article's name, kept: a later rename in the catalog changes no order);
 * its id in *id. */
int orders_store_create(struct sql_store *sql, unsigned long long account_id, const char *uid,
                        const char *alias, const char *currency, long long total_minor,
                        const struct order_line *lines, size_t nlines, unsigned long long *id);
/* The account of order id (ST_NOT_FOUND). */
int orders_store_account_of(struct sql_store *sql, unsigned long long id,
                            unsigned long long *account_id);
/* Inside a transaction: reads and locks order id with its lines. */
int orders_store_lock(struct sql_store *sql, unsigned long long id, struct order *o);
/* Inside a transaction, on a draft locked with orders_store_lock: its
 * storefront alias becomes alias (ST_CONFLICT when it is no draft). */
int orders_store_set_alias(struct sql_store *sql, unsigned long long id, const char *alias);
/* draft -> executed (executed_by/_at, with what it made) or discarded
 * (discarded_by/_at; a discarded order never shows an execution). */
int orders_store_finish(struct sql_store *sql, unsigned long long id, const char *status,
                        const char *uid, unsigned long long subscription_id,
                        unsigned long long invoice_id);
/* Inside a transaction (the close's): every draft order of account_id
 * becomes discarded by uid, their ids (malloc'ed, in order) in *ids. */
int orders_store_discard_drafts(struct sql_store *sql, unsigned long long account_id,
                                const char *uid, unsigned long long **ids, size_t *n);
/* [{id, account_id, status, storefront_alias, lines: [{article, name,
 *   quantity, unit_price, amount}], total, created_by,
 *   created_at, executed_at, subscription_id, invoice_id, discarded_at}], newest first
 * (account_id 0 with id: that order only), at most limit, older than id
 * before (0: from the newest). */
int orders_store_list(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                      unsigned long long before, long limit, json_t **out);

#endif
