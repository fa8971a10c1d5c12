#include "authn.h"

#include "dircache.h"

#include "ldap_store.h"
#include "log.h"
#include "metrics.h"
#include "throttle.h"
#include "validate.h"

#include <nettle/sha2.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the Authorization header ------------------------------------------ */

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* RFC 4648 section 4 with padding; non-zero bits in the padding are refused
 * (RFC 4648 3.5), so each text has exactly one encoding. */
static char *base64_decode_strict(const char *s, size_t n, size_t *out_len)
{
    if (n == 0 || n % 4 != 0)
        return NULL;
    size_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    char *out = malloc(n / 4 * 3 + 1);
    if (!out)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (size_t j = 0; j < 4; j++) {
            int last_quad = i + 4 == n;
            v[j] = last_quad && j >= 4 - pad ? 0 : base64_value(s[i + j]);
            if (v[j] < 0) {
                free(out);
                return NULL;
            }
        }
        if ((i + 4 == n && pad == 2 && (v[1] & 0x0f)) ||
            (i + 4 == n && pad == 1 && (v[2] & 0x03))) {
            free(out);
            return NULL;
        }
        unsigned triple =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[len++] = (char)(triple >> 16);
        if (i + 4 < n || pad < 2)
            out[len++] = (char)(triple >> 8 & 0xff);
        if (i + 4 < n || pad < 1)
            out[len++] = (char)(triple & 0xff);
    }
    out[len] = '\0';
    *out_len = len;
    return out;
}

int basic_parse(const char *header, char **user, char **password)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    const char *b = header + 6;
    while (*b == ' ')
        b++;
    size_t n = strcspn(b, " \t");
    if (b[n + strspn(b + n, " \t")] != '\0')
        return -1;
    size_t len;
    char *decoded = base64_decode_strict(b, n, &len);
    if (!decoded)
        return -1;
    char *colon = memchr(decoded, ':', len);
    if (!colon || memchr(decoded, '\0', len)) {
        memset(decoded, 0, len);
        free(decoded);
        return -1;
    }
    *user = xstrndup(decoded, (size_t)(colon - decoded));
    *password = xstrdup(colon + 1);
    memset(decoded, 0, len);
    free(decoded);
    return 0;
}

/* ---- salted keys ------------------------------------------------------- */

static uint8_t salt[32];
static pthread_once_t salt_once = PTHREAD_ONCE_INIT;

static void make_salt(void)
{
    if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
        abort(); /* no randomness: refuse to run rather than hash weakly */
}

/* SHA-256 of the salt, a kind tag and two strings (each with its NUL). */
static void salted_key(const char *kind, const char *a, const char *b, uint8_t key[32])
{
    pthread_once(&salt_once, make_salt);
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, sizeof(salt), salt);
    sha256_update(&ctx, strlen(kind) + 1, (const uint8_t *)kind);
    sha256_update(&ctx, strlen(a) + 1, (const uint8_t *)a);
    sha256_update(&ctx, strlen(b), (const uint8_t *)b);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, key);
}

static double monotonic_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/*
 * ---- the check cache ----------------------------------------------------
 * Per worker thread (no lock). An entry says "this user and password bound
 * successfully" for auth_cache_ttl seconds; its key is a salted hash of
 * both, so no password is kept. Failures are never cached.
 */
#define CHECK_SLOTS 64

struct check_entry {
    uint8_t key[SHA256_DIGEST_SIZE];
    char *login;
    char *uid;
    char *dn;                      /* the person's */
    unsigned long long generation; /* dircache_person_generation before the bind */
    double until;
};

static __thread struct check_entry check_cache[CHECK_SLOTS];
static __thread unsigned check_next;

void auth_cache_clear(void)
{
    for (unsigned i = 0; i < CHECK_SLOTS; i++) {
        free(check_cache[i].login);
        free(check_cache[i].uid);
        free(check_cache[i].dn);
        memset(&check_cache[i], 0, sizeof(check_cache[i]));
    }
}

static struct check_entry *check_lookup(const uint8_t key[SHA256_DIGEST_SIZE], double now)
{
    for (unsigned i = 0; i < CHECK_SLOTS; i++) {
        struct check_entry *e = &check_cache[i];
        if (e->login && e->until > now && memcmp(e->key, key, SHA256_DIGEST_SIZE) == 0) {
            /* The person's entry changed since (a new password), or the
             * directory cache cannot tell: no hit. */
            unsigned long long gen = dircache_person_generation(e->dn);
            return gen && gen == e->generation ? e : NULL;
        }
    }
    return NULL;
}

static void check_store(const uint8_t key[SHA256_DIGEST_SIZE], const char *login, const char *uid,
                        const char *dn, unsigned long long generation, double until)
{
    if (!generation)
        return; /* the directory cache cannot tell when the entry changes */
    struct check_entry *e = &check_cache[check_next++ % CHECK_SLOTS];
    free(e->login);
    free(e->uid);
    free(e->dn);
    memcpy(e->key, key, SHA256_DIGEST_SIZE);
    e->login = xstrdup(login);
    e->uid = xstrdup(uid);
    e->dn = xstrdup(dn);
    e->generation = generation;
    e->until = until;
}

/*
 * ---- the guessing throttle ----------------------------------------------
 * Process-wide, under one lock. Two tables with the same rule
 * (throttle.h): `people`, keyed by the person's folded DN, only for names
 * LDAP knows, so a spray of made-up names never touches it; and `names`,
 * keyed by the folded name as typed, checked before LDAP is asked at all
 * (a spray may flush it; the people table still holds).
 *
 * `proven` remembers (salted) credentials that bound successfully in the
 * last PROVEN_TTL seconds: such a credential is checked by LDAP even while
 * its person is throttled, since whoever sends it knows nothing new from
 * the answer. So a person who signed in before is not locked out by
 * someone else guessing their password.
 */
#define THROTTLE_CAPACITY 16384
#define PROVEN_SLOTS      8192
#define PROVEN_TTL        86400.0

static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct throttle people, names;
static struct {
    uint8_t key[SHA256_DIGEST_SIZE];
    double at;
} proven[PROVEN_SLOTS];
static int throttle_ready;

/* Under throttle_lock: the tables, with the running config's limits. */
static void throttle_setup(const struct config *cfg)
{
    if (!throttle_ready) {
        if (throttle_init(&people, THROTTLE_CAPACITY, 1, 1, 1, 1) < 0 ||
            throttle_init(&names, THROTTLE_CAPACITY, 1, 1, 1, 1) < 0)
            abort();
        throttle_ready = 1;
    }
    struct throttle *t[2] = {&people, &names};
    for (int i = 0; i < 2; i++) {
        t[i]->max_failures = (unsigned)cfg->auth_max_failures;
        t[i]->first_delay = cfg->auth_delay;
        t[i]->max_delay = cfg->auth_max_delay;
        t[i]->window = cfg->auth_failure_window;
    }
}

static size_t proven_slot(const uint8_t key[SHA256_DIGEST_SIZE])
{
    return ((size_t)key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16) % PROVEN_SLOTS;
}

static int is_proven(const uint8_t key[SHA256_DIGEST_SIZE], double now)
{
    pthread_mutex_lock(&throttle_lock);
    size_t i = proven_slot(key);
    int yes = proven[i].at > 0 && now - proven[i].at < PROVEN_TTL &&
              memcmp(proven[i].key, key, SHA256_DIGEST_SIZE) == 0;
    pthread_mutex_unlock(&throttle_lock);
    return yes;
}

static void set_proven(const uint8_t key[SHA256_DIGEST_SIZE], double now)
{
    pthread_mutex_lock(&throttle_lock);
    size_t i = proven_slot(key);
    memcpy(proven[i].key, key, SHA256_DIGEST_SIZE);
    proven[i].at = now;
    pthread_mutex_unlock(&throttle_lock);
}

static double throttle_check(const struct config *cfg, struct throttle *t, const uint8_t *key,
                             double now)
{
    pthread_mutex_lock(&throttle_lock);
    throttle_setup(cfg);
    double wait = throttle_wait(t, key, now);
    pthread_mutex_unlock(&throttle_lock);
    return wait;
}

static unsigned count_failure(const struct config *cfg, const uint8_t *name_key,
                              const uint8_t *person_key, double now)
{
    pthread_mutex_lock(&throttle_lock);
    throttle_setup(cfg);
    unsigned n = throttle_fail(&names, name_key, now);
    if (person_key)
        n = throttle_fail(&people, person_key, now);
    pthread_mutex_unlock(&throttle_lock);
    return n;
}

static void log_failure(struct request *req, const char *user, const char *why, unsigned failures)
{
    struct buf line = BUF_INIT;
    buf_printf(&line, "level=warn event=sign-in-failed rid=%s reason=%s user=\"", req->request_id,
               why);
    buf_add_logsafe(&line, user);
    buf_adds(&line, "\" addr=");
    const char *addr = request_param(req, "REMOTE_ADDR");
    buf_add_logsafe(&line, addr && *addr ? addr : "-");
    buf_printf(&line, " failures=%u", failures);
    log_line(line.data, line.len);
    buf_free(&line);
}

static int seconds_up(double wait)
{
    int s = (int)wait;
    if (s < wait)
        s++;
    return s > 0 ? s : 1;
}

enum basic_outcome basic_check(struct request *req, struct basic_identity *id, int *retry_after)
{
    const struct config *cfg = req->cfg;
    char *user = NULL, *password = NULL, *name = NULL, *dn = NULL;
    enum basic_outcome out;
    memset(id, 0, sizeof(*id));
    *retry_after = 0;
    if (basic_parse(request_param(req, "HTTP_AUTHORIZATION"), &user, &password) < 0)
        return BASIC_MISSING;
    if (!*user || !*password) {
        /* Never bind with an empty password (RFC 4513 5.1.2). */
        out = BASIC_DENIED;
        goto done;
    }
    double now = monotonic_now();
    uint8_t cred_key[SHA256_DIGEST_SIZE], name_key[SHA256_DIGEST_SIZE],
        person_key[SHA256_DIGEST_SIZE];
    salted_key("credential", user, password, cred_key);
    if (cfg->auth_cache_ttl > 0) {
        struct check_entry *hit = check_lookup(cred_key, now);
        if (hit) {
            id->login = xstrdup(hit->login);
            id->uid = xstrdup(hit->uid);
            out = BASIC_OK;
            goto done;
        }
    }
    int proven_credential = is_proven(cred_key, now);
    /* The name's budget, whatever case and spacing it comes in. */
    name = fold_user_name(xstrdup(user));
    salted_key("name", name, "", name_key);
    double wait = throttle_check(cfg, &names, name_key, now);
    if (wait > 0 && !proven_credential) {
        *retry_after = seconds_up(wait);
        out = BASIC_THROTTLED;
        goto done;
    }
    struct person p;
    int st = ldap_store_find_person(req->session->ldap, NULL, user, &p);
    if (st == ST_OK) {
        /* The person's budget, from every address and for every spelling
         * (non-ASCII case variants included, which LDAP folds too). */
        dn = fold_user_name(xstrdup(p.dn));
        salted_key("person", dn, "", person_key);
        wait = throttle_check(cfg, &people, person_key, now);
        if (wait > 0 && !proven_credential) {
            person_free(&p);
            *retry_after = seconds_up(wait);
            out = BASIC_THROTTLED;
            goto done;
        }
        /* Read before the bind: a change after it makes the entry stale. */
        unsigned long long generation = dircache_person_generation(p.dn);
        st = ldap_store_check_password(req->session->ldap, p.dn, password);
        if (st == ST_OK) {
            id->login = xstrdup(p.login ? p.login : user);
            id->uid = xstrdup(p.uid);
            set_proven(cred_key, now);
            if (cfg->auth_cache_ttl > 0)
                check_store(cred_key, id->login, id->uid, p.dn, generation,
                            now + cfg->auth_cache_ttl);
        }
        person_free(&p);
    }
    if (st == ST_OK) {
        out = BASIC_OK;
    } else if (st == ST_NOT_FOUND || st == ST_DENIED) {
        unsigned n = count_failure(cfg, name_key, dn ? person_key : NULL, monotonic_now());
        log_failure(req, user, dn ? "wrong-password" : "unknown-user", n);
        metrics_count_sign_in_failure();
        out = BASIC_DENIED;
    } else {
        out = st == ST_UNAVAILABLE ? BASIC_UNAVAILABLE : BASIC_ERROR;
    }
done:
    if (out == BASIC_THROTTLED)
        metrics_count_sign_in_throttled();
    if (password)
        memset(password, 0, strlen(password));
    free(user);
    free(password);
    free(name);
    free(dn);
    return out;
}

void basic_identity_free(struct basic_identity *id)
{
    free(id->login);
    free(id->uid);
    memset(id, 0, sizeof(*id));
}

const char *authn_user(struct request *req)
{
    if (req->authn_user)
        return req->authn_user;
    const char *mode = request_param(req, "ACCOUNTD_AUTH");
    if (!mode || strcmp(mode, "basic") != 0) {
        const char *user = request_param(req, "REMOTE_USER");
        if (!user || !*user) {
            res_unauthenticated(req, "sign in first");
            return NULL;
        }
        req->authn_user = xstrdup(user);
        return req->authn_user;
    }
    struct basic_identity id;
    int retry_after;
    switch (basic_check(req, &id, &retry_after)) {
    case BASIC_OK:
        req->authn_user = id.login;
        free(id.uid);
        return req->authn_user;
    case BASIC_MISSING:
        res_unauthenticated(req, "HTTP Basic credentials are required");
        return NULL;
    case BASIC_DENIED:
        res_unauthenticated(req, "wrong user name or password");
        return NULL;
    case BASIC_THROTTLED:
        res_too_many_sign_ins(req, retry_after);
        return NULL;
    case BASIC_UNAVAILABLE:
        res_unavailable(req, "the directory");
        return NULL;
    case BASIC_ERROR:
        break;
    }
    res_store_failure(req, ST_ERROR, "the directory");
    return NULL;
}
