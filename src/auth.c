/*
 * auth: GET /api/v1/auth (nginx's auth_request target, HTTP Basic checked by
 * an LDAP bind), with the cache of checked credentials and the budget of
 * failed sign-ins.
 */
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "sql_store.h"
#include "validate.h"

#include <nettle/sha2.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "Basic <base64 user:password>" into user and password (malloc'ed). */
static int parse_basic(const char *header, char **user, char **password)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    const char *b = header + 6;
    while (*b == ' ')
        b++;
    struct buf url = BUF_INIT;
    for (const char *p = b; *p && *p != '='; p++)
        buf_addc(&url, *p == '+' ? '-' : *p == '/' ? '_' : *p);
    size_t len;
    char *decoded = base64url_decode(buf_str(&url), &len);
    buf_free(&url);
    if (!decoded)
        return -1;
    char *colon = memchr(decoded, ':', len);
    if (!colon || memchr(decoded, '\0', len)) {
        free(decoded);
        return -1;
    }
    *user = xstrndup(decoded, (size_t)(colon - decoded));
    *password = xstrdup(colon + 1);
    memset(decoded, 0, len);
    free(decoded);
    return 0;
}

/*
 * The check cache: per worker thread (no lock). An entry says "this user
 * and password bound successfully" for auth_cache_ttl seconds; its key is a
 * salted SHA-256 of user and password (the salt is random per process), so
 * no password is kept. Failures are never cached: every wrong password
 * reaches LDAP.
 */
#define AUTH_SLOTS 64

struct auth_entry {
    uint8_t key[SHA256_DIGEST_SIZE];
    char *login;
    char *uid;
    char *dn; /* folded, for the throttle */
    struct timespec until;
};

static __thread struct auth_entry auth_cache[AUTH_SLOTS];
static __thread unsigned auth_next;
static uint8_t auth_salt[32];
static pthread_once_t auth_salt_once = PTHREAD_ONCE_INIT;

static void make_salt(void)
{
    if (getrandom(auth_salt, sizeof(auth_salt), 0) != (ssize_t)sizeof(auth_salt))
        abort(); /* no randomness: refuse to run rather than cache weakly */
}

static void auth_key(const char *user, const char *password, uint8_t key[SHA256_DIGEST_SIZE])
{
    pthread_once(&auth_salt_once, make_salt);
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, sizeof(auth_salt), auth_salt);
    sha256_update(&ctx, strlen(user) + 1, (const uint8_t *)user); /* with its NUL */
    sha256_update(&ctx, strlen(password), (const uint8_t *)password);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, key);
}

void auth_cache_clear(void)
{
    for (unsigned i = 0; i < AUTH_SLOTS; i++) {
        free(auth_cache[i].login);
        free(auth_cache[i].uid);
        free(auth_cache[i].dn);
        memset(&auth_cache[i], 0, sizeof(auth_cache[i]));
    }
}

static struct auth_entry *auth_lookup(const uint8_t key[SHA256_DIGEST_SIZE])
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (unsigned i = 0; i < AUTH_SLOTS; i++) {
        struct auth_entry *e = &auth_cache[i];
        if (e->login && memcmp(e->key, key, SHA256_DIGEST_SIZE) == 0 &&
            (e->until.tv_sec > now.tv_sec ||
             (e->until.tv_sec == now.tv_sec && e->until.tv_nsec > now.tv_nsec)))
            return e;
    }
    return NULL;
}

static void auth_store(const struct config *cfg, const uint8_t key[SHA256_DIGEST_SIZE],
                       const char *login, const char *uid, const char *dn)
{
    struct auth_entry *e = &auth_cache[auth_next++ % AUTH_SLOTS];
    free(e->login);
    free(e->uid);
    free(e->dn);
    memcpy(e->key, key, SHA256_DIGEST_SIZE);
    e->login = xstrdup(login);
    e->uid = xstrdup(uid);
    e->dn = xstrdup(dn);
    clock_gettime(CLOCK_MONOTONIC, &e->until);
    e->until.tv_sec += cfg->auth_cache_ttl;
}

static void accept_login(struct request *req, const char *login, const char *uid)
{
    res_header(req, "X-Accountd-User", login);
    res_json(req, 200, json_pack("{s:s}", "user", login));
    /* The log line names who signed in. */
    free(req->caller.uid);
    req->caller.uid = xstrdup(uid);
}

/*
 * Throttling of password guessing: failed checks are counted per person and
 * client address (REMOTE_ADDR) in process-wide tables; past
 * auth_max_failures within auth_failure_window seconds the pair is refused
 * with 429 and no LDAP bind until the window ends.
 *
 * LDAP matches the name (identity_attribute, uid or mail) ignoring case and
 * extra spaces, so "alice", "Alice" and " alice " are one person. A failure
 * is therefore counted twice: under the user name folded with
 * fold_user_name() (checked before any LDAP operation), and, once the search
 * found the person, under their folded DN (checked before the bind; it also
 * catches non-ASCII case variants of the name, which fold_user_name() leaves
 * alone). Either one over the limit refuses the check.
 *
 * Each kind of key has its own table, so a person's two keys cannot evict
 * each other. A table is a fixed array indexed by a salted hash, so it
 * cannot grow and an attacker cannot choose which entry a key lands in.
 */
#define THROTTLE_SLOTS 4096

enum throttle_kind { BY_NAME, BY_DN };

struct failures {
    uint8_t key[SHA256_DIGEST_SIZE];
    unsigned count;
    time_t window_start;
};

static struct failures throttle[2][THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static time_t monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec;
}

/* who is a folded user name (BY_NAME) or a folded DN (BY_DN). */
static struct failures *throttle_slot(enum throttle_kind kind, const char *who, const char *addr,
                                      uint8_t key[SHA256_DIGEST_SIZE])
{
    auth_key(who, addr ? addr : "", key);
    return &throttle[kind][(key[0] | (unsigned)key[1] << 8) % THROTTLE_SLOTS];
}

/* Seconds until the pair may try again, 0 if it may now. */
static int throttled(const struct config *cfg, enum throttle_kind kind, const char *who,
                     const char *addr)
{
    uint8_t key[SHA256_DIGEST_SIZE];
    time_t now = monotonic_seconds();
    int wait = 0;
    pthread_mutex_lock(&throttle_lock);
    struct failures *f = throttle_slot(kind, who, addr, key);
    if (memcmp(f->key, key, sizeof(key)) == 0 && now - f->window_start < cfg->auth_failure_window &&
        f->count >= (unsigned)cfg->auth_max_failures)
        wait = (int)(cfg->auth_failure_window - (now - f->window_start));
    pthread_mutex_unlock(&throttle_lock);
    return wait;
}

static void count_failure(const struct config *cfg, enum throttle_kind kind, const char *who,
                          const char *addr)
{
    uint8_t key[SHA256_DIGEST_SIZE];
    time_t now = monotonic_seconds();
    pthread_mutex_lock(&throttle_lock);
    struct failures *f = throttle_slot(kind, who, addr, key);
    if (memcmp(f->key, key, sizeof(key)) != 0 ||
        now - f->window_start >= cfg->auth_failure_window) {
        memcpy(f->key, key, sizeof(key));
        f->count = 0;
        f->window_start = now;
    }
    f->count++;
    pthread_mutex_unlock(&throttle_lock);
}

static int is_subrequest(struct request *req)
{
    const char *sub = request_param(req, "ACCOUNTD_AUTH_SUBREQUEST");
    return sub && strcmp(sub, "1") == 0;
}

static void too_many(struct request *req, int wait)
{
    char ra[16];
    snprintf(ra, sizeof(ra), "%d", wait > 0 ? wait : 1);
    res_header(req, "Retry-After", ra);
    if (is_subrequest(req)) {
        /* nginx passes only 2xx, 401 and 403 from auth_request: say it in a
         * header, and the API request answers 429 (caller.c). */
        res_header(req, "X-Accountd-Auth", "throttled");
        res_json(req, 200, json_pack("{s:s}", "status", "throttled"));
        return;
    }
    res_problem(req, 429, "too-many-attempts", "too many failed sign-ins; try again in %d seconds",
                wait);
}

static void directory_down(struct request *req)
{
    /* nginx's auth_request turns anything but 2xx/401/403 into a bare 500:
     * tell it through a header instead, and let the API answer 503. */
    if (is_subrequest(req)) {
        res_header(req, "X-Accountd-Auth", "unavailable");
        res_json(req, 200, json_pack("{s:s}", "status", "unavailable"));
        return;
    }
    res_unavailable(req, "the directory");
}

void auth_check(struct request *req)
{
    char *user = NULL, *password = NULL, *name = NULL, *dn = NULL;
    if (parse_basic(request_param(req, "HTTP_AUTHORIZATION"), &user, &password) < 0) {
        res_unauthenticated(req, "HTTP Basic credentials are required");
        return;
    }
    if (!*user || !*password) {
        /* Never bind with an empty password (RFC 4513 5.1.2). */
        res_unauthenticated(req, "user name and password must not be empty");
        goto out;
    }
    const char *addr = request_param(req, "REMOTE_ADDR");
    /* The person's budget, whatever case and spacing the name comes in. */
    name = fold_user_name(xstrdup(user));
    int wait = throttled(req->cfg, BY_NAME, name, addr);
    if (wait > 0) {
        too_many(req, wait);
        goto out;
    }
    uint8_t key[SHA256_DIGEST_SIZE];
    int cache = req->cfg->auth_cache_ttl > 0;
    if (cache) {
        auth_key(user, password, key);
        struct auth_entry *hit = auth_lookup(key);
        if (hit) {
            wait = throttled(req->cfg, BY_DN, hit->dn, addr);
            if (wait > 0)
                too_many(req, wait);
            else
                accept_login(req, hit->login, hit->uid);
            goto out;
        }
    }
    struct person p;
    int st = ldap_store_find_person(req->session->ldap, NULL, user, &p);
    if (st == ST_OK) {
        dn = fold_user_name(xstrdup(p.dn));
        wait = throttled(req->cfg, BY_DN, dn, addr);
        if (wait > 0) {
            person_free(&p);
            too_many(req, wait);
            goto out;
        }
        st = ldap_store_check_password(req->session->ldap, p.dn, password);
        if (st == ST_OK) {
            const char *login = p.login ? p.login : user;
            accept_login(req, login, p.uid);
            if (cache)
                auth_store(req->cfg, key, login, p.uid, dn);
        }
        person_free(&p);
    }
    if (st == ST_NOT_FOUND || st == ST_DENIED) {
        count_failure(req->cfg, BY_NAME, name, addr);
        if (dn)
            count_failure(req->cfg, BY_DN, dn, addr);
        res_unauthenticated(req, "wrong user name or password");
    } else if (st == ST_UNAVAILABLE)
        directory_down(req);
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory");
out:
    memset(password, 0, strlen(password));
    free(user);
    free(password);
    free(name);
    free(dn);
}
