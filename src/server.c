#include "server.h"

#include "authn.h"
#include "buf.h"
#include "caller.h"
#include "dircache.h"
#include "handlers.h"
#include "ldap_store.h"
#include "log.h"
#include "metrics.h"
#include "routes.h"
#include "sql_store.h"
#include "storefronts.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int stopping;

/*
 * The configuration requests read. SIGHUP loads accountd.conf again and
 * swaps it in; a worker holds a reference for one request, so a request
 * in flight keeps the configuration it started with, and the replaced one
 * is freed when its last request ends. The LDAP and SQL sessions keep the
 * start-up configuration (their keys need a restart).
 */
struct live_config {
    const struct config *cfg;
    struct config *owned; /* a reloaded config (freed with this), or NULL */
    unsigned refs;
};
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live_config *live;

static struct live_config *live_acquire(void)
{
    pthread_mutex_lock(&live_lock);
    struct live_config *l = live;
    l->refs++;
    pthread_mutex_unlock(&live_lock);
    return l;
}

static void live_free(struct live_config *l)
{
    if (l->owned) {
        config_free(l->owned);
        free(l->owned);
    }
    free(l);
}

static void live_release(struct live_config *l)
{
    pthread_mutex_lock(&live_lock);
    int last = --l->refs == 0 && l != live;
    pthread_mutex_unlock(&live_lock);
    if (last)
        live_free(l);
}

/* SIGHUP: a file that does not load keeps the running configuration. */
static void reload(const struct config *startup, const char *path)
{
    struct config *fresh = xcalloc(1, sizeof(*fresh));
    char err[512], changed[512];
    if (config_load(fresh, path, err, sizeof(err)) < 0) {
        free(fresh);
        log_error("configuration not reloaded, the running one stays: %s", err);
        return;
    }
    config_keep_restart_keys(fresh, startup, changed, sizeof(changed));
    if (changed[0])
        log_warn("configuration reload: %s changed; that takes a restart, the running values "
                 "stay",
                 changed);
    struct live_config *l = xcalloc(1, sizeof(*l));
    l->cfg = l->owned = fresh;
    pthread_mutex_lock(&live_lock);
    struct live_config *old = live;
    live = l;
    int unused = old->refs == 0;
    pthread_mutex_unlock(&live_lock);
    if (unused)
        live_free(old);
    /* The shop page names storefronts hold, read again (SIGHUP is also
     * how a name held since start-up, set by SQL, is gated). */
    storefront_shop_pages_read(fresh);
    size_t origins = 0;
    while (fresh->allowed_origins && fresh->allowed_origins[origins])
        origins++;
    log_info("configuration reloaded from %s (%zu allowed origins)", path, origins);
}

struct worker {
    const struct config *cfg;
    int listen_fd;
    int unix_listener; /* AF_UNIX: close without lingering (worker_main) */
    pthread_t thread;
};

static const char *fcgx_param(void *ctx, const char *name)
{
    return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static ssize_t fcgx_read(void *ctx, char *buf, size_t n)
{
    size_t chunk = n > 65536 ? 65536 : n;
    int got = FCGX_GetStr(buf, (int)chunk, (FCGX_Stream *)ctx);
    return got < 0 ? -1 : got;
}

static void set_request_id(struct request *req)
{
    const char *given = request_param(req, "REQUEST_ID");
    size_t n = given ? strlen(given) : 0;
    if (n >= 8 && n < sizeof(req->request_id) && strspn(given, "0123456789abcdef") == n) {
        memcpy(req->request_id, given, n + 1);
        return;
    }
    unsigned char r[8] = {0};
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 0, sizeof(r));
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(req->request_id + 2 * i, 3, "%02x", r[i]);
}

static void log_request(const struct request *req)
{
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ms = (double)(end.tv_sec - req->start.tv_sec) * 1e3 +
                (double)(end.tv_nsec - req->start.tv_nsec) / 1e6;
    struct buf line = BUF_INIT;
    buf_printf(&line, "rid=%s method=", req->request_id);
    buf_add_logsafe(&line, req->method ? req->method : "-");
    buf_adds(&line, " path=\"");
    if (req->log_path) {
        buf_add_logsafe(&line, req->log_path);
    } else if (req->path) {
        struct buf path = BUF_INIT;
        request_log_path(req->path, &path);
        buf_add_logsafe(&line, buf_str(&path));
        buf_free(&path);
    } else {
        /* No path parsed: REQUEST_URI as nginx sent it, query cut. */
        const char *uri = request_param(req, "REQUEST_URI");
        struct buf path = BUF_INIT;
        if (uri) {
            struct buf raw = BUF_INIT;
            buf_add(&raw, uri, strcspn(uri, "?"));
            request_log_path(buf_str(&raw), &path);
            buf_free(&raw);
        }
        buf_add_logsafe(&line, path.len ? buf_str(&path) : "-");
        buf_free(&path);
    }
    buf_printf(&line, "\" status=%d dur_ms=%.3f uid=", req->res.status, ms);
    /* The resolved person, else whatever nginx named (it may be unknown). */
    const char *uid = req->caller.uid ? req->caller.uid : request_param(req, "REMOTE_USER");
    buf_add_logsafe(&line, uid && *uid ? uid : "-");
    log_line(line.data, line.len);
    buf_free(&line);
    metrics_count_request(req->res.status, ms);
}

static int identity_param_repeated(char **envp)
{
    static const char *const names[] = {"REMOTE_USER=", "ACCOUNTD_AUTH="};
    for (size_t n = 0; n < 2; n++) {
        int count = 0;
        for (char **e = envp; e && *e; e++)
            count += strncmp(*e, names[n], strlen(names[n])) == 0;
        if (count > 1)
            return 1;
    }
    return 0;
}

/* Reads what is left of the request's stdin up to its end: for a request
 * without a body only the empty end record, already in libfcgi's buffer;
 * a body the handler refused unread (over body_limit, no credentials) is
 * read and dropped, at most what nginx lets through (client_max_body_size).
 * This happens before the answer is sent: nginx stops sending the request
 * once the answer starts, and then waits for the connection to close. 1
 * when nothing of nginx's is left unread. */
static int input_drained(FCGX_Stream *in)
{
    char trash[4096];
    while (FCGX_GetStr(trash, (int)sizeof(trash), in) > 0)
        ;
    return FCGX_HasSeenEOF(in) == EOF;
}

/* Answers one request; 1 when all of its input was read (input_drained). */
static int serve_one(struct session *session, FCGX_Request *fr)
{
    struct live_config *l = live_acquire();
    const struct config *cfg = l->cfg;
    struct request req;
    memset(&req, 0, sizeof(req));
    clock_gettime(CLOCK_MONOTONIC, &req.start);
    req.cfg = cfg;
    req.session = session;
    req.param = fcgx_param;
    req.param_ctx = fr;
    set_request_id(&req);
    if (identity_param_repeated(fr->envp)) {
        /* FCGX_GetParam returns the first of two values: a proxy that sends
         * two could let a client's value win. Refuse instead of guessing. */
        log_error("the web server passed REMOTE_USER or ACCOUNTD_AUTH twice: fix its "
                  "fastcgi_param lines (see nginx/accountd.conf)");
        refuse(&req, 500, "internal", "the web server is misconfigured");
    } else {
        routes_handle(&req, fcgx_read, fr->in);
    }
    request_answer(&req);
    if (!req.res.status) {
        refuse(&req, 500, "internal", "the handler gave no answer");
        request_answer(&req);
    }
    int drained = input_drained(fr->in);
    struct buf out = BUF_INIT;
    response_render(&req, &out);
    FCGX_PutStr(out.data, (int)out.len, fr->out);
    buf_free(&out);
    /* The answer goes to nginx now (the last stdout record and
     * FCGI_END_REQUEST, as FCGX_Finish_r would write them: err first), not
     * after the log line. */
    FCGX_FClose(fr->err);
    FCGX_FClose(fr->out);
    log_request(&req);
    request_end(&req);
    live_release(l);
    return drained;
}

/* libfcgi closes a connection by lingering: shutdown(2) of its sending side,
 * then poll(2) and read(2) until nginx closes (up to 2 s), so that unread
 * input cannot turn into a TCP reset that loses the answer. On a unix
 * socket with all input read nothing can be lost: a detached request is
 * closed at once, which saves three system calls and a wait for nginx's
 * worker per request, holding the thread. On TCP, or with input left
 * unread, libfcgi's lingering close stays. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct session session = {ldap_store_new(w->cfg), sql_store_new(w->cfg)};
    FCGX_Request fr;
    FCGX_InitRequest(&fr, w->listen_fd, 0);
    while (!atomic_load(&stopping)) {
        if (FCGX_Accept_r(&fr) < 0)
            break;
        /* Accepted while stopping: still answered. */
        metrics_worker_busy(1);
        int drained = serve_one(&session, &fr);
        metrics_worker_busy(-1);
        if (w->unix_listener && drained)
            FCGX_Detach(&fr);
        FCGX_Finish_r(&fr);
    }
    FCGX_Free(&fr, 1);
    auth_cache_clear();
    ldap_store_free(session.ldap);
    sql_store_free(session.sql);
    return NULL;
}

/* Socket activation (systemd/accountd.socket): when systemd started this
 * process with one listening socket (LISTEN_PID is our pid, LISTEN_FDS 1),
 * it is fd 3, already bound with the unit's mode, group and backlog. The
 * socket outlives accountd: a restart loses no connection that waits in its
 * queue. Returns the fd, -1 without a socket from systemd, -2 on a bad one. */
static int systemd_listener(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (!pid || !fds)
        return -1;
    char *end;
    long p = strtol(pid, &end, 10);
    if (*end || p != (long)getpid())
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (strcmp(fds, "1") != 0 || getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
        !listening) {
        log_error("socket activation: systemd must pass exactly one listening socket (LISTEN_FDS "
                  "is %s)",
                  fds);
        return -2;
    }
    int flags = fcntl(3, F_GETFD);
    if (flags >= 0)
        fcntl(3, F_SETFD, flags | FD_CLOEXEC);
    return 3;
}

static int from_systemd;

/* Wakes a worker blocked in accept(2) on a socket that systemd keeps: a
 * shutdown(2) would stop the socket for systemd too, so connect to it and
 * hang up; libfcgi reads nothing, sees the shutdown and returns. */
static void poke_listener(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return;
    int c = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c < 0)
        return;
    (void)connect(c, (struct sockaddr *)&addr, len);
    close(c);
}

static int open_listener(const struct config *cfg)
{
    int fd = systemd_listener();
    if (fd != -1) {
        from_systemd = fd >= 0;
        return fd;
    }
    if (cfg->listen[0] == '/') {
        unlink(cfg->listen);
        mode_t old = umask((mode_t)(0777 & ~cfg->listen_mode));
        fd = FCGX_OpenSocket(cfg->listen, cfg->listen_backlog);
        umask(old);
        if (fd < 0)
            return -1;
        if (chmod(cfg->listen, (mode_t)cfg->listen_mode) < 0)
            log_warn("chmod %s: %s", cfg->listen, strerror(errno));
        if (cfg->listen_group) {
            struct group *g = getgrnam(cfg->listen_group);
            if (!g || chown(cfg->listen, (uid_t)-1, g->gr_gid) < 0) {
                log_error("cannot give %s to group %s", cfg->listen, cfg->listen_group);
                close(fd);
                return -1;
            }
        }
    } else {
        fd = FCGX_OpenSocket(cfg->listen, cfg->listen_backlog);
    }
    return fd;
}

/* The kernel cuts a listen backlog to net.core.somaxconn without a word. */
static void check_somaxconn(int backlog)
{
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    int max = 0;
    if (!f)
        return;
    if (fscanf(f, "%d", &max) == 1 && max < backlog)
        log_warn("listen_backlog %d is cut to net.core.somaxconn %d: raise it (sysctl "
                 "net.core.somaxconn=%d)",
                 backlog, max, backlog);
    fclose(f);
}

int server_run(const struct config *cfg, const char *config_path)
{
    live = xcalloc(1, sizeof(*live));
    live->cfg = cfg;
    if (FCGX_Init() != 0) {
        log_error("FCGX_Init failed");
        return 1;
    }
    /* Block the stop signals in every thread; the main thread waits for
     * them with sigwait, outside any signal handler. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    int fd = open_listener(cfg);
    if (fd < 0) {
        log_error("cannot listen on %s", cfg->listen);
        return 1;
    }
    if (cfg->pid_file) {
        FILE *f = fopen(cfg->pid_file, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        } else {
            log_warn("cannot write %s: %s", cfg->pid_file, strerror(errno));
        }
    }
    if (dircache_start(cfg) < 0) {
        close(fd);
        return 1;
    }
    /* Before the workers: the storefront gate's set of held shop page
     * names, read once. */
    storefront_shop_pages_read(cfg);
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof(bound);
    int unix_family =
        getsockname(fd, (struct sockaddr *)&bound, &bound_len) == 0 && bound.ss_family == AF_UNIX;
    struct worker *workers = xcalloc((size_t)cfg->threads, sizeof(*workers));
    int started = 0;
    for (int i = 0; i < cfg->threads; i++) {
        workers[i].cfg = cfg;
        workers[i].listen_fd = fd;
        workers[i].unix_listener = unix_family;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
            break;
        started++;
    }
    if (from_systemd)
        log_info("accountd listening on the socket from systemd with %d threads (its backlog is "
                 "the socket unit's)",
                 started);
    else
        log_info("accountd listening on %s with %d threads, backlog %d", cfg->listen, started,
                 cfg->listen_backlog);
    check_somaxconn(cfg->listen_backlog);
    metrics_set_listener(fd);

    int sig = 0;
    while (sigwait(&stop, &sig) == 0 && sig == SIGHUP)
        reload(cfg, config_path);
    log_info("signal %d: stopping; requests in flight finish", sig);
    atomic_store(&stopping, 1);
    FCGX_ShutdownPending();
    /* Wake every thread blocked in accept(2). */
    if (!from_systemd)
        shutdown(fd, SHUT_RDWR);
    for (int i = 0; i < started; i++) {
        while (from_systemd && pthread_tryjoin_np(workers[i].thread, NULL) == EBUSY) {
            poke_listener(fd);
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        }
        if (!from_systemd)
            pthread_join(workers[i].thread, NULL);
    }
    close(fd);
    free(workers);
    live_free(live);
    live = NULL;
    dircache_stop();
    if (cfg->listen[0] == '/' && !from_systemd)
        unlink(cfg->listen);
    if (cfg->pid_file)
        unlink(cfg->pid_file);
    log_info("stopped");
    return 0;
}
