/*
 * sql_store: accountd's only door to MariaDB.
 *
 * One struct sql_store per worker thread, connected on first use, with
 * connect/read/write timeouts. Every statement is a prepared statement (kept
 * per connection, keyed by the SQL text's address, so pass string literals);
 * values are bound, never pasted into SQL. There is no MYSQL_OPT_RECONNECT:
 * when the server went away outside a transaction the connection is opened
 * again and the statement re-prepared and run once more; inside a
 * transaction the caller gets ST_UNAVAILABLE and the transaction is lost.
 *
 * Results are copied out as strings (NULL for SQL NULL) and freed with
 * sql_result_free().
 *
 * The reads on every request's path (the account row, the overview, /me,
 * the partner page and its properties, a service provider's expiry) are
 * written `SELECT SQL_CACHE`: with MariaDB's query cache in DEMAND mode
 * (sql/accountd-mariadb.cnf, docs/operations.md) the server answers a
 * repeated read from its cache and drops it at any write to a table it
 * read, whoever writes. Such a statement must stay deterministic: no
 * CURRENT_TIMESTAMP, NOW() or RAND() (compare times in C instead, as
 * provider_expiry_passed does), or MariaDB silently stops caching it
 * (test_query_cache.py::test_hot_reads_are_served_from_the_query_cache).
 */
#ifndef ACCOUNTD_SQL_STORE_H
#define ACCOUNTD_SQL_STORE_H

#include "config.h"
#include "result.h"

#include <jansson.h>
#include <stddef.h>

enum sql_type { SQL_END = 0, SQL_INT, SQL_STR, SQL_NULL };

struct sql_param {
    enum sql_type type;
    long long i;
    const char *s;
};

#define P_INT(v)      ((struct sql_param){SQL_INT, (long long)(v), NULL})
#define P_STR(v)      ((struct sql_param){(v) ? SQL_STR : SQL_NULL, 0, (v)})
#define P_NULL        ((struct sql_param){SQL_NULL, 0, NULL})
#define SQL_ARGS(...) ((const struct sql_param[]){__VA_ARGS__, {SQL_END, 0, NULL}})
#define SQL_NO_ARGS   ((const struct sql_param[]){{SQL_END, 0, NULL}})

struct sql_result {
    size_t nrows, ncols;
    char **cells; /* nrows * ncols, row-major; NULL is SQL NULL */
    unsigned long long insert_id;
    unsigned long long affected;
};

struct sql_store;

/* Every session of the store runs its transactions at READ COMMITTED
 * (sql_store.c says why). */
struct sql_store *sql_store_new(const struct config *cfg);
/* After a failed sql_transaction: 1 if the connection was lost during its
 * COMMIT, so that the transaction may have been committed after all. A
 * caller then keeps what it did outside MariaDB rather than undo a change
 * the database may record (and logs it). */
int sql_commit_unknown(const struct sql_store *s);
void sql_store_free(struct sql_store *s);

/* Runs one prepared statement. out may be NULL. Returns ST_OK, ST_DUPLICATE
 * (1062), ST_RETRY (1213 deadlock, 1205 lock wait), ST_UNAVAILABLE, ST_ERROR. */
int sql_exec(struct sql_store *s, const char *sql, const struct sql_param *params,
             struct sql_result *out);
/* The cell at row, col (NULL for SQL NULL or out of range). */
const char *sql_cell(const struct sql_result *r, size_t row, size_t col);
unsigned long long sql_cell_id(const struct sql_result *r, size_t row, size_t col);
void sql_result_free(struct sql_result *r);

/* Runs a statement whose first column is an id: ST_OK with *ids (malloc'ed,
 * *n of them, in the statement's order). */
/* The first column of the first row as an id (sql_cell_id): *id, or
 * ST_NOT_FOUND when the statement gave no row. */
int sql_id(struct sql_store *s, const char *sql, const struct sql_param *params,
           unsigned long long *id);
/* The first column of the first row as a string: *out (malloc'ed; a NULL
 * cell as ""), or ST_NOT_FOUND when the statement gave no row. */
int sql_string(struct sql_store *s, const char *sql, const struct sql_param *params, char **out);
int sql_ids(struct sql_store *s, const char *sql, const struct sql_param *params,
            unsigned long long **ids, size_t *n);
/* The first column of every row as strings (malloc'ed, NULL cells as "";
 * free each and the list): a list of addresses, in the statement's order. */
int sql_strings(struct sql_store *s, const char *sql, const struct sql_param *params, char ***out,
                size_t *n);
/* ids as a JSON array text ("[1,2,3]", malloc'ed): the parameter of a
 * statement that joins them as a table, JSON_TABLE(?, '$[*]' COLUMNS (id
 * BIGINT UNSIGNED PATH '$')), one round trip for a whole list. */
char *sql_ids_json(const unsigned long long *ids, size_t n);

/* A new object of the row's first columns named by keys (NULL-terminated
 * list of string literals, in column order): each a JSON string, null for
 * SQL NULL. For the lists a page builds row by row (cheaper than json_pack:
 * no format to parse, no key to check). */
json_t *sql_cells_object(const struct sql_result *r, size_t row, const char *const *keys);

/* A row of a result as JSON (a store's own converter). */
typedef json_t *(*sql_row_json_fn)(const struct sql_result *r, size_t row);
/* Runs a statement that finds at most one row: ST_OK with *out = fn(row)
 * (a new reference), ST_NOT_FOUND without a row (*out NULL). */
int sql_row_json(struct sql_store *s, const char *sql, const struct sql_param *params,
                 sql_row_json_fn fn, json_t **out);
/* Runs a statement: ST_OK with *items an array of fn(row) for every row
 * (a new reference; NULL on failure). */
int sql_rows_json(struct sql_store *s, const char *sql, const struct sql_param *params,
                  sql_row_json_fn fn, json_t **items);

/* Runs fn inside START TRANSACTION ... COMMIT. fn returns an ST_* status;
 * anything but ST_OK rolls back. On deadlock or lock wait timeout the whole
 * transaction runs again (up to 3 times, with a jittered pause); ST_REFUSED
 * (fn recorded a problem) never runs again. A COMMIT that loses the
 * connection reports ST_UNAVAILABLE: its outcome is unknown, so creating
 * writes carry natural or idempotency keys. The rules are tx_run's
 * (problem.h). */
int sql_transaction(struct sql_store *s, int (*fn)(struct sql_store *s, void *arg), void *arg);
/* The same with the problem fn records its refusals in: cleared before an
 * attempt that runs again and unless the transaction ends in ST_REFUSED
 * (http.h: request_transaction() passes the request's). */
struct problem;
int sql_transaction_refusing(struct sql_store *s, struct problem *refusal,
                             int (*fn)(struct sql_store *s, void *arg), void *arg);

/* Is MariaDB answering? */
int sql_ping(struct sql_store *s);

/* Applies the migrations (migrate.c uses it): runs a multi-statement script
 * as given, outside prepared statements. */
int sql_exec_script(struct sql_store *s, const char *script, char *err, size_t err_size);
/* A store that connects as migrate_user instead of sql_user. */
struct sql_store *sql_store_new_migrator(const struct config *cfg);

#endif
