/*
 * accountd-mailer: delivers the e-mail outbox (table mail_outbox) over SMTP.
 *
 *   accountd-mailer [--config FILE] [--once] [--pid-file FILE]
 *
 * Each round claims up to mail_batch due rows in one short transaction:
 * SELECT ... FOR UPDATE SKIP LOCKED (so several mailers never take the same
 * row), then each row's next_attempt_at is moved past the round's longest
 * possible duration (its lease), COMMIT. Then each mail is sent and its
 * outcome recorded on its row at once (one statement, autocommitted), so a
 * mail is sent twice only if MariaDB is lost between the SMTP server's
 * "250" and that statement (or the mailer dies there): the mail comes back
 * when its lease ends. A temporary failure waits mail_retry_base *
 * 2^(attempts + deferrals) seconds (at most mail_retry_max); after
 * mail_max_attempts, or at once on a permanent refusal, the mail is dead; a
 * server that cannot be used only defers (never dead). Sent and dead mails
 * lose their body. An empty round waits mail_poll_interval ms, a full one
 * goes on at once.
 *
 * SIGTERM or SIGINT: the mail being sent is finished and recorded, the rest
 * of the round is handed back (due at once), the program exits 0. --once:
 * deliver until nothing is due, exit.
 * Operations: docs/operations.md.
 */
#include "buf.h"
#include "config.h"
#include "log.h"
#include "result.h"
#include "smtp.h"
#include "sql_store.h"
#include "validate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAST_ERROR_MAX   500  /* mail_outbox.last_error is VARCHAR(500) */
#define TROUBLE_WAIT_MIN 1000 /* ms before asking MariaDB again ... */
#define TROUBLE_WAIT_MAX 5000 /* ... doubling up to this */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* SIGTERM and SIGINT are blocked while a round talks to MariaDB and the
 * SMTP server (no EINTR inside libmariadb or libcurl); between two mails the
 * round asks sigpending(). They are open only while the mailer sleeps, and
 * then their handler (installed without SA_RESTART) cuts nanosleep short. */
static sigset_t stop_signals;

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
}

static int stop_requested(void)
{
    if (stop_signal)
        return 1;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1))
        return 1;
    return 0;
}

/* Sleeps ms milliseconds, less if a stop signal comes. */
static void pause_ms(long ms)
{
    sigprocmask(SIG_UNBLOCK, &stop_signals, NULL); /* a pending one runs now */
    while (ms > 0 && !stop_signal) {
        long slice = ms > 200 ? 200 : ms; /* bounds a signal that just missed */
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL); /* EINTR: the loop looks at the flag */
        ms -= slice;
    }
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
}

struct mailer {
    const struct config *cfg;
    struct sql_store *sql;
    struct smtp *smtp;
    char *envelope_from;
    /* the current round */
    struct sql_result claimed; /* the rows of the round, leased to this mailer */
    size_t fetched;            /* rows claimed */
    size_t sent;               /* mails the SMTP server accepted */
    int smtp_down;             /* the SMTP server could not be used */
    char smtp_error[LAST_ERROR_MAX + 1];
};

static const char sql_due[] =
    "SELECT id, recipient, subject, body, attempts, deferrals, category, list_unsubscribe"
    " FROM mail_outbox"
    " WHERE status = 'queued' AND next_attempt_at <= CURRENT_TIMESTAMP(6)"
    " ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED";
/* Both take the rows' ids as a JSON array: one statement for a round. */
static const char sql_lease[] =
    "UPDATE mail_outbox SET next_attempt_at = CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND"
    " WHERE id IN (SELECT id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j)";
static const char sql_release[] =
    "UPDATE mail_outbox SET next_attempt_at = CURRENT_TIMESTAMP(6) WHERE status = 'queued'"
    " AND id IN (SELECT id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j)";
static const char sql_sent[] =
    "UPDATE mail_outbox SET status = 'sent', sent_at = CURRENT_TIMESTAMP(6),"
    " attempts = attempts + 1, body = '', last_error = NULL WHERE id = ?";
static const char sql_retry[] =
    "UPDATE mail_outbox SET attempts = attempts + 1,"
    " next_attempt_at = CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND, last_error = ? WHERE id = ?";
static const char sql_defer[] =
    "UPDATE mail_outbox SET deferrals = deferrals + 1,"
    " next_attempt_at = CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND, last_error = ? WHERE id = ?";
static const char sql_dead[] = "UPDATE mail_outbox SET status = 'dead', attempts = attempts + 1,"
                               " body = '', last_error = ? WHERE id = ?";

/* Seconds before the next attempt of a mail that failed after `attempts`
 * earlier attempts: retry_base * 2^attempts, at most retry_max. */
static long retry_delay(const struct config *cfg, long attempts)
{
    long delay = cfg->mail_retry_base;
    for (long i = 0; i < attempts && delay < cfg->mail_retry_max; i++)
        delay *= 2;
    return delay < cfg->mail_retry_max ? delay : cfg->mail_retry_max;
}

/* An address libcurl may put in "RCPT TO:<...>" and the To: header: the
 * same rule as for every address accountd accepts (one @, no space, no
 * control character, none of ()<>[]\,;:"), so a value from LDAP such as
 * "a@b,c@d" cannot name a second recipient. */
static int address_ok(const char *a)
{
    char why[WHY_SIZE];
    return validate_email(a, why) == NULL;
}

/* err as it may be stored: printable ASCII, at most LAST_ERROR_MAX bytes. */
static void clean_error(char *dest, const char *err)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)err; *p && n < LAST_ERROR_MAX; p++)
        dest[n++] = (char)(*p < 0x20 || *p >= 0x7f ? '?' : *p);
    dest[n] = '\0';
}

/* One line per mail: its id, outcome, attempts and the recipient's domain;
 * never the address, the subject or the body. */
static void log_mail(unsigned long long id, const char *status, long attempts, const char *to,
                     long retry_in, const char *err)
{
    struct buf line = BUF_INIT;
    const char *at = strrchr(to, '@');
    buf_printf(&line, "mail id=%llu status=%s attempts=%ld domain=", id, status, attempts);
    buf_add_logsafe(&line, at && at[1] ? at + 1 : "-");
    if (retry_in > 0)
        buf_printf(&line, " retry_in=%lds", retry_in);
    if (err && *err) {
        /* The fixed phrase before ": " names no address (smtp.h). */
        const char *colon = strstr(err, ": ");
        struct buf what = BUF_INIT;
        buf_add(&what, err, colon ? (size_t)(colon - err) : strlen(err));
        buf_adds(&line, " reason=\"");
        buf_add_logsafe(&line, buf_str(&what));
        buf_addc(&line, '"');
        buf_free(&what);
    }
    log_line(line.data, line.len);
    buf_free(&line);
}

/* Writes the outcome st (ST_OK, ST_RETRY, ST_ERROR, ST_UNAVAILABLE) of one
 * attempt on the mail's row. Only what the server said about this mail
 * counts toward mail_max_attempts; a server that could not be used
 * (ST_UNAVAILABLE) defers the mail, however long that lasts, and the wait
 * grows with attempts and deferrals together. */
static int record(struct mailer *m, struct sql_store *sql, unsigned long long id, const char *to,
                  long attempts, long deferrals, int st, const char *err)
{
    const struct config *cfg = m->cfg;
    char error_buf[LAST_ERROR_MAX + 1];
    clean_error(error_buf, err);
    const char *error = error_buf;
    long now_attempts = attempts + 1;
    int rc;
    if (st == ST_OK) {
        rc = sql_exec(sql, sql_sent, SQL_ARGS(P_INT(id)), NULL);
        if (rc == ST_OK)
            log_mail(id, "sent", now_attempts, to, 0, NULL);
    } else if (st == ST_ERROR || (st != ST_UNAVAILABLE && now_attempts >= cfg->mail_max_attempts)) {
        rc = sql_exec(sql, sql_dead, SQL_ARGS(P_STR(error), P_INT(id)), NULL);
        if (rc == ST_OK)
            log_mail(id, "dead", now_attempts, to, 0, error);
    } else if (st == ST_UNAVAILABLE) {
        long delay = retry_delay(cfg, attempts + deferrals);
        rc = sql_exec(sql, sql_defer, SQL_ARGS(P_INT(delay), P_STR(error), P_INT(id)), NULL);
        if (rc == ST_OK)
            log_mail(id, "deferred", attempts, to, delay, error);
    } else {
        long delay = retry_delay(cfg, attempts + deferrals);
        rc = sql_exec(sql, sql_retry, SQL_ARGS(P_INT(delay), P_STR(error), P_INT(id)), NULL);
        if (rc == ST_OK)
            log_mail(id, "retry", now_attempts, to, delay, error);
    }
    return rc;
}

static int deliver(struct mailer *m, struct sql_store *sql, const struct sql_result *r, size_t row)
{
    unsigned long long id = sql_cell_id(r, row, 0);
    const char *to = sql_cell(r, row, 1) ? sql_cell(r, row, 1) : "";
    const char *subject = sql_cell(r, row, 2) ? sql_cell(r, row, 2) : "";
    const char *body = sql_cell(r, row, 3) ? sql_cell(r, row, 3) : "";
    long attempts = sql_cell(r, row, 4) ? strtol(sql_cell(r, row, 4), NULL, 10) : 0;
    long deferrals = sql_cell(r, row, 5) ? strtol(sql_cell(r, row, 5), NULL, 10) : 0;
    char err[LAST_ERROR_MAX + 1] = "";
    int st;
    if (m->smtp_down) {
        /* The server failed for an earlier mail of this round: this one
         * waits as well, without another connection attempt. */
        st = ST_UNAVAILABLE;
        snprintf(err, sizeof(err), "%s", m->smtp_error);
    } else if (!address_ok(to)) {
        st = ST_ERROR;
        snprintf(err, sizeof(err), "invalid recipient address");
    } else {
        struct buf msg = BUF_INIT;
        /* News can be turned off: its mail names the page (RFC 2369), but
         * only on a copy whose reader that page serves (list_unsubscribe,
         * migration 043): a bare notification recipient's copy has none. */
        int news = sql_cell(r, row, 6) && strcmp(sql_cell(r, row, 6), "news") == 0;
        int unsubscribe = news && sql_cell(r, row, 7) && strcmp(sql_cell(r, row, 7), "0") != 0;
        smtp_format_message(&msg, m->cfg->mail_from, to, subject, body,
                            unsubscribe ? m->cfg->preferences_url : NULL, id, time(NULL));
        st = smtp_send(m->smtp, m->envelope_from, to, msg.data, msg.len, err, sizeof(err));
        buf_free(&msg);
        if (st == ST_OK)
            m->sent++;
        if (st == ST_UNAVAILABLE) {
            m->smtp_down = 1;
            snprintf(m->smtp_error, sizeof(m->smtp_error), "%s", err);
        }
    }
    return record(m, sql, id, to, attempts, deferrals, st, err);
}

/* The ids of claimed rows from..nrows as a JSON array (malloc'ed). */
static char *claimed_ids(const struct sql_result *r, size_t from)
{
    struct buf b = BUF_INIT;
    buf_addc(&b, '[');
    for (size_t i = from; i < r->nrows; i++)
        buf_printf(&b, "%s%llu", i > from ? "," : "", sql_cell_id(r, i, 0));
    buf_addc(&b, ']');
    return buf_detach(&b);
}

/* The claim of a round, inside sql_transaction (which may run it again
 * after a deadlock: it starts from scratch). */
static int claim_tx(struct sql_store *sql, void *arg)
{
    struct mailer *m = arg;
    sql_result_free(&m->claimed);
    m->fetched = 0;
    int st = sql_exec(sql, sql_due, SQL_ARGS(P_INT(m->cfg->mail_batch)), &m->claimed);
    if (st != ST_OK)
        return st;
    /* Long enough for every mail of the round to time out, and a minute. */
    long lease = (long)m->cfg->smtp_timeout * ((long)m->claimed.nrows + 1) + 60;
    if (m->claimed.nrows) {
        char *ids = claimed_ids(&m->claimed, 0);
        st = sql_exec(sql, sql_lease, SQL_ARGS(P_INT(lease), P_STR(ids)), NULL);
        free(ids);
    }
    if (st == ST_OK)
        m->fetched = m->claimed.nrows;
    return st;
}

static int run_round(struct mailer *m)
{
    /* READ COMMITTED (every session of sql_store is): the locking read
     * takes no gap locks, so accountd's INSERTs into the
     * outbox never wait for a claim. */
    m->sent = 0;
    m->smtp_down = 0;
    m->smtp_error[0] = '\0';
    int st = sql_transaction(m->sql, claim_tx, m);
    if (st != ST_OK) {
        m->fetched = 0;
        sql_result_free(&m->claimed);
        return st;
    }
    size_t i = 0;
    for (; i < m->fetched && st == ST_OK; i++) {
        if (i > 0 && stop_requested())
            break;
        st = deliver(m, m->sql, &m->claimed, i);
        if (st != ST_OK)
            log_warn("mail id=%llu: MariaDB could not record its outcome; it comes back when its "
                     "lease ends (and is sent again if it was sent)",
                     sql_cell_id(&m->claimed, i, 0));
    }
    /* Stopped early: hand back the rest, due at once for any mailer. A
     * failure here only means they wait for their lease. */
    if (st == ST_OK && i < m->fetched) {
        char *ids = claimed_ids(&m->claimed, i);
        sql_exec(m->sql, sql_release, SQL_ARGS(P_STR(ids)), NULL);
        free(ids);
    }
    sql_result_free(&m->claimed);
    return st;
}

static int run(struct mailer *m, int once)
{
    const struct config *cfg = m->cfg;
    int trouble = 0; /* MariaDB unavailable or failing: logged once */
    long wait = TROUBLE_WAIT_MIN;
    while (!stop_requested()) {
        int st = run_round(m);
        if (st != ST_OK) {
            if (once) {
                log_error("MariaDB %s: mails stay in the outbox",
                          st == ST_UNAVAILABLE ? "is unavailable" : "failed");
                return 1;
            }
            if (!trouble)
                log_warn("MariaDB %s: mails stay in the outbox; trying again every %ld s at most",
                         st == ST_UNAVAILABLE ? "is unavailable" : "failed",
                         (long)TROUBLE_WAIT_MAX / 1000);
            trouble = 1;
            pause_ms(wait);
            wait = wait * 2 < TROUBLE_WAIT_MAX ? wait * 2 : TROUBLE_WAIT_MAX;
            continue;
        }
        if (trouble) {
            log_info("MariaDB answers again: delivering the outbox");
            trouble = 0;
            wait = TROUBLE_WAIT_MIN;
        }
        int full = m->fetched >= (size_t)cfg->mail_batch;
        if (once) {
            if (!full)
                break;
        } else if (!full || m->smtp_down) {
            pause_ms(cfg->mail_poll_interval);
        }
    }
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: accountd-mailer [--config FILE] [--once] [--pid-file FILE]\n"
          "  delivers accountd's e-mail outbox over SMTP until SIGTERM;\n"
          "  --once: until nothing is due, then exit\n",
          f);
}

int main(int argc, char **argv)
{
    const char *config_path = ACCOUNTD_SYSCONFDIR "/accountd/accountd.conf";
    const char *pid_file = NULL;
    int once = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(a, "--pid-file") == 0 && i + 1 < argc) {
            pid_file = argv[++i];
        } else if (strcmp(a, "--once") == 0) {
            once = 1;
        } else if (strcmp(a, "--version") == 0) {
            printf("accountd-mailer %s\n", PACKAGE_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "accountd-mailer: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    struct config cfg;
    char err[512];
    if (config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "accountd-mailer: %s\n", err);
        return 1;
    }
    /* Checked here, not by config_load: accountd reads the same file and
     * has no use for it. Without it every TLS handshake would fail. */
    if (cfg.smtp_ca_file && access(cfg.smtp_ca_file, R_OK) != 0) {
        fprintf(stderr, "accountd-mailer: %s: smtp_ca_file %s: %s\n", config_path, cfg.smtp_ca_file,
                strerror(errno));
        config_free(&cfg);
        return 1;
    }
    install_signals();
    if (smtp_global_init() != ST_OK) {
        log_error("libcurl initialisation failed");
        config_free(&cfg);
        return 1;
    }
    int rc = 1;
    struct mailer m;
    memset(&m, 0, sizeof(m));
    m.cfg = &cfg;
    m.sql = sql_store_new(&cfg);
    m.smtp = smtp_new(&cfg);
    m.envelope_from = smtp_envelope_address(cfg.mail_from);
    if (!m.smtp) {
        log_error("cannot create a libcurl handle");
        goto out;
    }
    if (pid_file) {
        FILE *f = fopen(pid_file, "w");
        if (!f) {
            log_error("cannot write %s: %s", pid_file, strerror(errno));
            goto out;
        }
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    }
    log_info("accountd-mailer started (batch %d, poll %d ms, %d attempts, retry %d..%d s%s)",
             cfg.mail_batch, cfg.mail_poll_interval, cfg.mail_max_attempts, cfg.mail_retry_base,
             cfg.mail_retry_max, once ? ", once" : "");
    rc = run(&m, once);
    if (stop_requested())
        log_info("signal received: stopped");
    else if (rc == 0)
        log_info("nothing due: stopped");
    if (pid_file)
        unlink(pid_file);
out:
    smtp_free(m.smtp);
    sql_store_free(m.sql);
    free(m.envelope_from);
    smtp_global_cleanup();
    config_free(&cfg);
    return rc;
}
