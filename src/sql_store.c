#include "sql_store.h"

#include "metrics.h"

#include "buf.h"
#include "log.h"
#include "problem.h"

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* More than accountd has distinct statements, so none is prepared twice. */
#define STMT_CACHE 160

struct cached_stmt {
    const char *sql;
    MYSQL_STMT *stmt;
};

struct sql_store {
    const struct config *cfg;
    const char *user;
    const char *password;
    int multi_statements;
    int commit_unknown; /* the last sql_transaction lost the server during COMMIT */
    MYSQL *db;
    int in_transaction;
    int connect_failing; /* the last connect failed: its reason was logged */
    struct cached_stmt cache[STMT_CACHE];
    size_t ncache;
};

static struct sql_store *store_new(const struct config *cfg, const char *user, const char *password,
                                   int multi)
{
    struct sql_store *s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->user = user;
    s->password = password;
    s->multi_statements = multi;
    /* Every transaction locks the rows it changes (account_lock, the
     * order's, the subscription's) and then reads what it decides on. At
     * REPEATABLE READ a plain read after a lock wait still saw the snapshot
     * of the transaction's first read, taken before the wait: two plan
     * orders of one reseller executed at once both read "basic" and both
     * ran (round-4 walkthrough of seed 002). At READ COMMITTED each read
     * sees what was committed before it, so the one that waited sees the
     * other's plan. Every session is set up so on connect. */
    return s;
}

struct sql_store *sql_store_new(const struct config *cfg)
{
    return store_new(cfg, cfg->sql_user, cfg->sql_password, 0);
}

struct sql_store *sql_store_new_migrator(const struct config *cfg)
{
    return store_new(cfg, cfg->migrate_user, cfg->migrate_password, 1);
}

static void disconnect(struct sql_store *s)
{
    for (size_t i = 0; i < s->ncache; i++)
        mysql_stmt_close(s->cache[i].stmt);
    s->ncache = 0;
    if (s->db)
        mysql_close(s->db);
    s->db = NULL;
    s->in_transaction = 0;
}

void sql_store_free(struct sql_store *s)
{
    if (!s)
        return;
    disconnect(s);
    free(s);
}

static int connect_db(struct sql_store *s)
{
    if (s->db)
        return ST_OK;
    MYSQL *db = mysql_init(NULL);
    if (!db)
        return ST_ERROR;
    unsigned timeout = (unsigned)s->cfg->sql_timeout;
    my_bool off = 0;
    mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(db, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_optionsv(db, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    mysql_optionsv(db, MYSQL_OPT_RECONNECT, &off);
    mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char *host = s->cfg->sql_socket ? "localhost" : s->cfg->sql_host;
    unsigned long flags = s->multi_statements ? CLIENT_MULTI_STATEMENTS : 0;
    if (!mysql_real_connect(db, host, s->user, s->password, s->cfg->sql_database, s->cfg->sql_port,
                            s->cfg->sql_socket, flags)) {
        /* Once per outage, not once per attempt. */
        if (!s->connect_failing)
            log_error("MariaDB connect as %s failed: %s", s->user, mysql_error(db));
        s->connect_failing = 1;
        mysql_close(db);
        return ST_UNAVAILABLE;
    }
    /* Strict mode and UTC, whatever the server's defaults. */
    if (mysql_query(db, "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,"
                        "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone='+00:00'")) {
        log_error("MariaDB session setup failed: %s", mysql_error(db));
        mysql_close(db);
        return ST_UNAVAILABLE;
    }
    if (mysql_query(db, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")) {
        log_error("MariaDB session setup failed: %s", mysql_error(db));
        mysql_close(db);
        return ST_UNAVAILABLE;
    }
    if (s->connect_failing)
        log_info("MariaDB connect as %s works again", s->user);
    s->connect_failing = 0;
    s->db = db;
    return ST_OK;
}

static int is_gone(unsigned err)
{
    return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
           err == CR_CONN_HOST_ERROR || err == ER_CONNECTION_KILLED || err == 4031 /* idle */ ||
           err == ER_SERVER_SHUTDOWN;
}

static int map_error(struct sql_store *s, unsigned err, const char *msg, const char *sql)
{
    if (err == ER_DUP_ENTRY)
        return ST_DUPLICATE;
    if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT)
        return ST_RETRY;
    if (is_gone(err)) {
        metrics_count_sql_lost();
        disconnect(s);
        return ST_UNAVAILABLE;
    }
    log_error("SQL error %u: %s (in: %.60s)", err, msg, sql);
    return ST_ERROR;
}

static MYSQL_STMT *prepared(struct sql_store *s, const char *sql, unsigned *err, const char **msg)
{
    for (size_t i = 0; i < s->ncache; i++)
        if (s->cache[i].sql == sql)
            return s->cache[i].stmt;
    MYSQL_STMT *stmt = mysql_stmt_init(s->db);
    if (!stmt) {
        *err = CR_OUT_OF_MEMORY;
        *msg = "out of memory";
        return NULL;
    }
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql))) {
        *err = mysql_stmt_errno(stmt);
        *msg = mysql_stmt_error(stmt);
        /* keep the message alive until mapped: copy into a static per-thread buffer */
        static __thread char msgbuf[256];
        snprintf(msgbuf, sizeof(msgbuf), "%s", *msg);
        *msg = msgbuf;
        mysql_stmt_close(stmt);
        return NULL;
    }
    if (s->ncache == STMT_CACHE) {
        mysql_stmt_close(s->cache[0].stmt);
        memmove(&s->cache[0], &s->cache[1], sizeof(s->cache[0]) * (STMT_CACHE - 1));
        s->ncache--;
    }
    s->cache[s->ncache].sql = sql;
    s->cache[s->ncache].stmt = stmt;
    s->ncache++;
    return stmt;
}

/* The first cell of a statement's first row: as an id, or a string. */
static int first_cell(struct sql_store *s, const char *sql, const struct sql_param *params,
                      unsigned long long *id, char **text)
{
    struct sql_result r;
    int st = sql_exec(s, sql, params, &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else if (id)
        *id = sql_cell_id(&r, 0, 0);
    else
        *text = xstrdup(sql_cell(&r, 0, 0) ? sql_cell(&r, 0, 0) : "");
    sql_result_free(&r);
    return st;
}

int sql_id(struct sql_store *s, const char *sql, const struct sql_param *params,
           unsigned long long *id)
{
    return first_cell(s, sql, params, id, NULL);
}

int sql_string(struct sql_store *s, const char *sql, const struct sql_param *params, char **out)
{
    *out = NULL;
    return first_cell(s, sql, params, NULL, out);
}

int sql_ids(struct sql_store *s, const char *sql, const struct sql_param *params,
            unsigned long long **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    struct sql_result r;
    int st = sql_exec(s, sql, params, &r);
    if (st != ST_OK)
        return st;
    *ids = xcalloc(r.nrows + 1, sizeof(**ids));
    for (size_t i = 0; i < r.nrows; i++)
        (*ids)[i] = sql_cell_id(&r, i, 0);
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}

int sql_strings(struct sql_store *s, const char *sql, const struct sql_param *params, char ***out,
                size_t *n)
{
    *out = NULL;
    *n = 0;
    struct sql_result r;
    int st = sql_exec(s, sql, params, &r);
    if (st != ST_OK)
        return st;
    *out = xcalloc(r.nrows + 1, sizeof(char *));
    for (size_t i = 0; i < r.nrows; i++)
        (*out)[i] = xstrdup(sql_cell(&r, i, 0) ? sql_cell(&r, i, 0) : "");
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}

char *sql_ids_json(const unsigned long long *ids, size_t n)
{
    struct buf b = BUF_INIT;
    buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%llu", i ? "," : "", ids[i]);
    buf_addc(&b, ']');
    return buf_detach(&b);
}

void sql_result_free(struct sql_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof(*r));
}

const char *sql_cell(const struct sql_result *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->cells[row * r->ncols + col];
}

unsigned long long sql_cell_id(const struct sql_result *r, size_t row, size_t col)
{
    const char *v = sql_cell(r, row, col);
    return v ? strtoull(v, NULL, 10) : 0;
}

json_t *sql_cells_object(const struct sql_result *r, size_t row, const char *const *keys)
{
    json_t *o = json_object();
    for (size_t c = 0; keys[c]; c++) {
        const char *v = sql_cell(r, row, c);
        json_object_set_new_nocheck(o, keys[c], v ? json_string(v) : json_null());
    }
    return o;
}

int sql_row_json(struct sql_store *s, const char *sql, const struct sql_param *params,
                 sql_row_json_fn fn, json_t **out)
{
    struct sql_result r;
    *out = NULL;
    int st = sql_exec(s, sql, params, &r);
    if (st != ST_OK)
        return st;
    if (r.nrows >= 1)
        *out = fn(&r, 0);
    else
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

int sql_rows_json(struct sql_store *s, const char *sql, const struct sql_param *params,
                  sql_row_json_fn fn, json_t **items)
{
    struct sql_result r;
    *items = NULL;
    int st = sql_exec(s, sql, params, &r);
    if (st != ST_OK)
        return st;
    *items = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(*items, fn(&r, i));
    sql_result_free(&r);
    return ST_OK;
}

/* Copies all rows of an executed statement into out. */
static int fetch_all(MYSQL_STMT *stmt, struct sql_result *out, unsigned *err, const char **msg)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
    if (!meta)
        return 0; /* no result set */
    size_t ncols = mysql_num_fields(meta);
    my_bool update_max = 1;
    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    if (mysql_stmt_store_result(stmt)) {
        *err = mysql_stmt_errno(stmt);
        *msg = mysql_stmt_error(stmt);
        mysql_free_result(meta);
        return -1;
    }
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    MYSQL_BIND *binds = xcalloc(ncols, sizeof(MYSQL_BIND));
    unsigned long *lens = xcalloc(ncols, sizeof(unsigned long));
    my_bool *nulls = xcalloc(ncols, sizeof(my_bool));
    char **bufs = xcalloc(ncols, sizeof(char *));
    for (size_t c = 0; c < ncols; c++) {
        size_t cap = fields[c].max_length + 1;
        if (cap < 32)
            cap = 32;
        bufs[c] = xmalloc(cap);
        binds[c].buffer_type = MYSQL_TYPE_STRING;
        binds[c].buffer = bufs[c];
        binds[c].buffer_length = cap;
        binds[c].length = &lens[c];
        binds[c].is_null = &nulls[c];
    }
    mysql_stmt_bind_result(stmt, binds);
    size_t nrows = (size_t)mysql_stmt_num_rows(stmt);
    out->ncols = ncols;
    out->cells = xcalloc(nrows * ncols + 1, sizeof(char *));
    int rc;
    while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
        if (out->nrows >= nrows)
            break;
        for (size_t c = 0; c < ncols; c++) {
            /* A truncated value reports its full length: read only the buffer. */
            size_t len = lens[c] < binds[c].buffer_length ? lens[c] : binds[c].buffer_length - 1;
            out->cells[out->nrows * ncols + c] = nulls[c] ? NULL : xstrndup(bufs[c], len);
        }
        out->nrows++;
    }
    for (size_t c = 0; c < ncols; c++)
        free(bufs[c]);
    free(bufs);
    free(binds);
    free(lens);
    free(nulls);
    mysql_free_result(meta);
    mysql_stmt_free_result(stmt);
    return 0;
}

static int exec_once(struct sql_store *s, const char *sql, const struct sql_param *params,
                     struct sql_result *out, unsigned *err, const char **msg)
{
    MYSQL_STMT *stmt = prepared(s, sql, err, msg);
    if (!stmt)
        return -1;
    size_t n = 0;
    while (params && params[n].type != SQL_END)
        n++;
    if (n != mysql_stmt_param_count(stmt)) {
        *err = 0;
        *msg = "parameter count does not match the statement";
        return -1;
    }
    MYSQL_BIND *binds = xcalloc(n ? n : 1, sizeof(MYSQL_BIND));
    unsigned long *lens = xcalloc(n ? n : 1, sizeof(unsigned long));
    for (size_t i = 0; i < n; i++) {
        switch (params[i].type) {
        case SQL_INT:
            binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
            binds[i].buffer = (void *)&params[i].i;
            break;
        case SQL_STR:
            lens[i] = (unsigned long)strlen(params[i].s);
            binds[i].buffer_type = MYSQL_TYPE_STRING;
            binds[i].buffer = (void *)params[i].s;
            binds[i].buffer_length = lens[i];
            binds[i].length = &lens[i];
            break;
        default:
            binds[i].buffer_type = MYSQL_TYPE_NULL;
        }
    }
    int rc = -1;
    if (mysql_stmt_bind_param(stmt, binds) || mysql_stmt_execute(stmt)) {
        *err = mysql_stmt_errno(stmt);
        *msg = mysql_stmt_error(stmt);
        mysql_stmt_reset(stmt);
        goto out;
    }
    struct sql_result tmp = {0};
    struct sql_result *r = out ? out : &tmp;
    memset(r, 0, sizeof(*r));
    if (fetch_all(stmt, r, err, msg) < 0) {
        sql_result_free(r);
        goto out;
    }
    r->insert_id = mysql_stmt_insert_id(stmt);
    my_ulonglong affected = mysql_stmt_affected_rows(stmt);
    r->affected = affected == (my_ulonglong)-1 ? 0 : affected;
    if (!out)
        sql_result_free(&tmp);
    rc = 0;
out:
    free(binds);
    free(lens);
    return rc;
}

/* Seconds since *t (CLOCK_MONOTONIC). */
static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* A connection found dead at once (the server restarted since it was
 * opened) is worth one more try on a new one; one that died by waiting
 * out sql_timeout is not: a second wait would double the timeout. */
#define STALE_FAILURE_SECONDS 0.5

int sql_exec(struct sql_store *s, const char *sql, const struct sql_param *params,
             struct sql_result *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int attempt = 0; attempt < 2; attempt++) {
        int was_open = s->db != NULL;
        if (connect_db(s) != ST_OK)
            return ST_UNAVAILABLE;
        unsigned err = 0;
        const char *msg = "";
        if (exec_once(s, sql, params, out, &err, &msg) == 0)
            return ST_OK;
        int in_tx = s->in_transaction;
        int st = map_error(s, err, msg, sql);
        /* A dead connection outside a transaction: one more try, new one. */
        if (st == ST_UNAVAILABLE && was_open && !in_tx && attempt == 0 &&
            seconds_since(&start) < STALE_FAILURE_SECONDS) {
            metrics_count_sql_retried();
            continue;
        }
        return st;
    }
    return ST_UNAVAILABLE;
}

static int simple(struct sql_store *s, const char *stmt)
{
    if (connect_db(s) != ST_OK)
        return ST_UNAVAILABLE;
    if (mysql_query(s->db, stmt) == 0)
        return ST_OK;
    return map_error(s, mysql_errno(s->db), mysql_error(s->db), stmt);
}

int sql_commit_unknown(const struct sql_store *s)
{
    return s->commit_unknown;
}

/* The steps of tx_run (problem.c) on a connection. */
static int tx_begin(void *ctx, int attempt)
{
    struct sql_store *s = ctx;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int was_open = s->db != NULL;
    int st = simple(s, "START TRANSACTION");
    if (st != ST_OK && s->db == NULL && was_open && attempt == 0 &&
        seconds_since(&start) < STALE_FAILURE_SECONDS) {
        metrics_count_sql_retried();
        st = simple(s, "START TRANSACTION"); /* stale connection */
    }
    if (st == ST_OK)
        s->in_transaction = 1;
    return st;
}

static int tx_commit(void *ctx)
{
    struct sql_store *s = ctx;
    int st = simple(s, "COMMIT");
    /* Lost during COMMIT: the server may have committed or not. */
    s->commit_unknown = st == ST_UNAVAILABLE;
    if (st == ST_OK)
        s->in_transaction = 0;
    return st;
}

static void tx_rollback(void *ctx)
{
    struct sql_store *s = ctx;
    if (s->db && mysql_query(s->db, "ROLLBACK"))
        disconnect(s);
    s->in_transaction = 0;
}

static void tx_pause(void *ctx, int attempt)
{
    (void)ctx;
    /* 5-24 ms times the attempt, with a per-thread seed so that the
     * threads that deadlocked each other do not retry in step. */
    static __thread unsigned seed;
    if (!seed)
        seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
    struct timespec ts = {0, (long)(5 + rand_r(&seed) % 20) * 1000000L * attempt};
    nanosleep(&ts, NULL);
}

struct tx_body {
    struct sql_store *s;
    int (*fn)(struct sql_store *s, void *arg);
    void *arg;
};

static int tx_call(void *arg)
{
    struct tx_body *b = arg;
    return b->fn(b->s, b->arg);
}

int sql_transaction_refusing(struct sql_store *s, struct problem *refusal,
                             int (*fn)(struct sql_store *s, void *arg), void *arg)
{
    s->commit_unknown = 0;
    struct tx_ops ops = {tx_begin, tx_commit, tx_rollback, tx_pause, s};
    struct tx_body b = {s, fn, arg};
    return tx_run(&ops, refusal, tx_call, &b);
}

int sql_transaction(struct sql_store *s, int (*fn)(struct sql_store *s, void *arg), void *arg)
{
    return sql_transaction_refusing(s, NULL, fn, arg);
}

int sql_ping(struct sql_store *s)
{
    struct sql_result r;
    int st = sql_exec(s, "SELECT 1", SQL_NO_ARGS, &r);
    sql_result_free(&r);
    return st;
}

int sql_exec_script(struct sql_store *s, const char *script, char *err, size_t err_size)
{
    if (connect_db(s) != ST_OK) {
        snprintf(err, err_size, "cannot connect to MariaDB as %s", s->user);
        return ST_UNAVAILABLE;
    }
    if (mysql_real_query(s->db, script, (unsigned long)strlen(script))) {
        snprintf(err, err_size, "%s", mysql_error(s->db));
        return ST_ERROR;
    }
    int status;
    do {
        MYSQL_RES *res = mysql_store_result(s->db);
        if (res)
            mysql_free_result(res);
        status = mysql_next_result(s->db);
        if (status > 0) {
            snprintf(err, err_size, "%s", mysql_error(s->db));
            return ST_ERROR;
        }
    } while (status == 0);
    return ST_OK;
}
