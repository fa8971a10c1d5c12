#include "config.h"

#include "buf.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen_mode = 0660;
    cfg->threads = 4;
    cfg->ldap_uri = xstrdup("ldap://127.0.0.1:389/");
    cfg->ldap_timeout = 3;
    cfg->ldap_sync_retry = 60;
    cfg->identity_attribute = xstrdup("uid");
    cfg->sql_host = xstrdup("127.0.0.1");
    cfg->sql_port = 3306;
    cfg->sql_database = xstrdup("accountd");
    cfg->sql_user = xstrdup("accountd");
    cfg->sql_timeout = 5;
    cfg->migrate_user = xstrdup("root");
    cfg->migrations_dir = xstrdup(ACCOUNTD_DATADIR "/sql");
    cfg->smtp_url = xstrdup("smtp://127.0.0.1:25");
    cfg->smtp_starttls = xstrdup("try");
    cfg->smtp_timeout = 10;
    cfg->mail_from = xstrdup("accountd@localhost");
    cfg->mail_max_attempts = 8;
    cfg->mail_retry_base = 30;
    cfg->mail_retry_max = 3600;
    cfg->mail_poll_interval = 1000;
    cfg->mail_batch = 20;
    cfg->invitation_url = xstrdup("http://127.0.0.1:8080/invitations/{token}");
    cfg->preferences_url = xstrdup("http://127.0.0.1:8080/preferences");
    cfg->password_reset_url = xstrdup("http://127.0.0.1:8080/password-reset/{token}");
    cfg->invitation_ttl = 7 * 24 * 3600;
    cfg->mail_budget = 100;
    cfg->mail_budget_window = 3600;
    cfg->relation_budget = 20;
    cfg->body_limit = 1048576;
    cfg->retry_after = 5;
    cfg->identity_cache_ttl = 2;
    cfg->auth_cache_ttl = 10;
    cfg->auth_max_failures = 10;
    cfg->auth_failure_window = 300;
    cfg->auth_delay = 1;
    cfg->auth_max_delay = 5;
    cfg->listen_backlog = 1024;
    cfg->storefront_host = xstrdup("storefront.example.com");
    cfg->storefront_retention_days = 90;
    cfg->subscription_notice_days = 14;
    cfg->account_retention_days = 365;
    cfg->allowed_origins = xcalloc(1, sizeof(char *));
    cfg->site_hosts = xcalloc(1, sizeof(char *));
}

static void free_origins(char **o)
{
    for (size_t i = 0; o && o[i]; i++)
        free(o[i]);
    free(o);
}

void config_free(struct config *cfg)
{
    char **strings[] = {&cfg->listen,
                        &cfg->listen_group,
                        &cfg->pid_file,
                        &cfg->ldap_uri,
                        &cfg->ldap_base,
                        &cfg->ldap_bind_dn,
                        &cfg->ldap_bind_password,
                        &cfg->identity_attribute,
                        &cfg->sql_socket,
                        &cfg->sql_host,
                        &cfg->sql_database,
                        &cfg->sql_user,
                        &cfg->sql_password,
                        &cfg->migrate_user,
                        &cfg->migrate_password,
                        &cfg->migrations_dir,
                        &cfg->smtp_url,
                        &cfg->smtp_starttls,
                        &cfg->smtp_user,
                        &cfg->smtp_password,
                        &cfg->mail_from,
                        &cfg->invitation_url,
                        &cfg->preferences_url,
                        &cfg->password_reset_url,
                        &cfg->smtp_ca_file,
                        &cfg->storefront_host};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (*strings[i]) {
            /* Secrets are wiped before they are freed. */
            memset(*strings[i], 0, strlen(*strings[i]));
            free(*strings[i]);
        }
        *strings[i] = NULL;
    }
    free_origins(cfg->allowed_origins);
    cfg->allowed_origins = NULL;
    free_origins(cfg->site_hosts);
    cfg->site_hosts = NULL;
}

static int fail(char *err, size_t err_size, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t err_size, const char *name, int line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err, err_size, "%s:%d: %s", name, line, msg);
    else
        snprintf(err, err_size, "%s: %s", name, msg);
    return -1;
}

/* Reads the first line of a secret file. */
static char *read_secret(const char *path, char *why, size_t why_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b = BUF_INIT;
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n' && c != '\r')
        buf_addc(&b, (char)c);
    fclose(f);
    return buf_detach(&b);
}

static int parse_int(const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* An http(s) URL that can stand in a header's <...> as it is. */
static int url_fits_header(const char *url)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == ',')
            return 0;
    return 1;
}

static void replace(char **field, const char *value)
{
    free(*field);
    *field = value[0] ? xstrdup(value) : NULL;
}

/* The next item of a list separated by spaces, tabs or commas, from *p:
 * its start and length (*len), *p moved past it; NULL at the end. */
static const char *list_item(const char **p, size_t *len)
{
    const char *q = *p;
    while (*q == ' ' || *q == '\t' || *q == ',')
        q++;
    const char *s = q;
    while (*q && *q != ' ' && *q != '\t' && *q != ',')
        q++;
    *p = q;
    *len = (size_t)(q - s);
    return *len ? s : NULL;
}

static int parse_origins(struct config *cfg, const char *v)
{
    free_origins(cfg->allowed_origins);
    size_t n = 0, len;
    cfg->allowed_origins = xcalloc(strlen(v) / 2 + 2, sizeof(char *));
    const char *p = v, *s;
    while ((s = list_item(&p, &len))) {
        char *o = xstrndup(s, len);
        size_t ol = strlen(o);
        while (ol > 0 && o[ol - 1] == '/')
            o[--ol] = '\0';
        if (strncmp(o, "http://", 7) != 0 && strncmp(o, "https://", 8) != 0) {
            free(o);
            return -1;
        }
        cfg->allowed_origins[n++] = o;
    }
    return 0;
}

/* The host name's span in "name[:port]" (len bytes; "[v6]:port" keeps its
 * brackets): its length without the port and a trailing dot. */
static size_t host_span(const char *s, size_t len)
{
    size_t n = len;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        n = close ? (size_t)(close - s) + 1 : len;
    } else {
        const char *colon = memchr(s, ':', len);
        if (colon)
            n = (size_t)(colon - s);
    }
    while (n > 0 && s[n - 1] == '.')
        n--;
    return n;
}

size_t config_host_name(const char *s, size_t len, char *out, size_t size)
{
    size_t n = s ? host_span(s, len) : 0;
    if (!size)
        return 0;
    if (n >= size)
        n = 0;
    text_lower_ascii(s, n, out, size);
    return n;
}

/* config_host_name's host name of s, malloc'ed (NULL if empty or longer
 * than a host name). */
static char *host_name(const char *s, size_t len)
{
    char h[CONFIG_HOST_NAME_SIZE];
    return config_host_name(s, len, h, sizeof(h)) ? xstrdup(h) : NULL;
}

/* Adds h (owned) to the NULL-terminated list *list unless it is there. */
static void site_hosts_add(char ***list, char *h)
{
    size_t n = 0;
    for (; (*list)[n]; n++) {
        if (strcmp((*list)[n], h) == 0) {
            free(h);
            return;
        }
    }
    char **grown = xcalloc(n + 2, sizeof(char *));
    memcpy(grown, *list, n * sizeof(char *));
    grown[n] = h;
    free(*list);
    *list = grown;
}

/* The host of url ("scheme://[user@]host[:port][/...]") added to the list. */
static void site_hosts_add_url(char ***list, const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return;
    p += 3;
    size_t len = strcspn(p, "/?#");
    const char *at = memchr(p, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    char *h = host_name(p, len);
    if (h)
        site_hosts_add(list, h);
}

/* site_hosts = "a.example b.example": host names, a port allowed (and
 * ignored), separated by spaces, tabs or commas. */
static int parse_site_hosts(struct config *cfg, const char *v)
{
    free_origins(cfg->site_hosts);
    cfg->site_hosts = xcalloc(1, sizeof(char *));
    const char *p = v, *s;
    size_t len;
    while ((s = list_item(&p, &len))) {
        /* A storefront host's rule (text_host_check) on the name as it is
         * compared (lower case, no trailing dot) and the port sent. */
        char *h = host_name(s, len);
        const char *port = memchr(s, ':', len);
        struct buf item = BUF_INIT;
        buf_printf(&item, "%s%.*s", h ? h : "", port ? (int)(len - (size_t)(port - s)) : 0,
                   port ? port : "");
        int bad = !h || text_host_check(buf_str(&item));
        buf_free(&item);
        if (bad) {
            free(h);
            return -1;
        }
        site_hosts_add(&cfg->site_hosts, h);
    }
    return 0;
}

static int set_key(struct config *cfg, const char *key, const char *v, char *why, size_t ws)
{
    long n;
    struct {
        const char *key;
        char **field;
    } strs[] = {
        {"listen", &cfg->listen},
        {"listen_group", &cfg->listen_group},
        {"pid_file", &cfg->pid_file},
        {"ldap_uri", &cfg->ldap_uri},
        {"ldap_base", &cfg->ldap_base},
        {"ldap_bind_dn", &cfg->ldap_bind_dn},
        {"identity_attribute", &cfg->identity_attribute},
        {"sql_socket", &cfg->sql_socket},
        {"sql_host", &cfg->sql_host},
        {"sql_database", &cfg->sql_database},
        {"sql_user", &cfg->sql_user},
        {"migrate_user", &cfg->migrate_user},
        {"migrations_dir", &cfg->migrations_dir},
        {"smtp_url", &cfg->smtp_url},
        {"smtp_starttls", &cfg->smtp_starttls},
        {"smtp_user", &cfg->smtp_user},
        {"smtp_ca_file", &cfg->smtp_ca_file},
        {"mail_from", &cfg->mail_from},
        {"invitation_url", &cfg->invitation_url},
        {"preferences_url", &cfg->preferences_url},
        {"password_reset_url", &cfg->password_reset_url},
        {"storefront_host", &cfg->storefront_host},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(key, strs[i].key) == 0) {
            replace(strs[i].field, v);
            return 0;
        }
    }
    struct {
        const char *key;
        char **field;
    } secrets[] = {
        {"ldap_bind_password_file", &cfg->ldap_bind_password},
        {"sql_password_file", &cfg->sql_password},
        {"migrate_password_file", &cfg->migrate_password},
        {"smtp_password_file", &cfg->smtp_password},
    };
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (strcmp(key, secrets[i].key) == 0) {
            free(*secrets[i].field);
            *secrets[i].field = NULL;
            if (!v[0])
                return 0;
            *secrets[i].field = read_secret(v, why, ws);
            return *secrets[i].field ? 0 : -1;
        }
    }
    struct {
        const char *key;
        long min, max;
        int *field;
    } ints[] = {
        {"threads", 1, 256, &cfg->threads},
        {"ldap_timeout", 1, 300, &cfg->ldap_timeout},
        {"ldap_sync_retry", 1, 3600, &cfg->ldap_sync_retry},
        {"sql_timeout", 1, 300, &cfg->sql_timeout},
        {"retry_after", 1, 3600, &cfg->retry_after},
        {"identity_cache_ttl", 0, 60, &cfg->identity_cache_ttl},
        {"auth_cache_ttl", 0, 300, &cfg->auth_cache_ttl},
        {"auth_max_failures", 1, 1000, &cfg->auth_max_failures},
        {"auth_failure_window", 1, 86400, &cfg->auth_failure_window},
        {"auth_delay", 1, 60, &cfg->auth_delay},
        {"auth_max_delay", 1, 60, &cfg->auth_max_delay},
        {"listen_backlog", 16, 65535, &cfg->listen_backlog},
        {"smtp_timeout", 1, 300, &cfg->smtp_timeout},
        {"mail_max_attempts", 1, 100, &cfg->mail_max_attempts},
        {"mail_retry_base", 1, 86400, &cfg->mail_retry_base},
        {"mail_retry_max", 1, 7 * 86400, &cfg->mail_retry_max},
        {"mail_poll_interval", 10, 60000, &cfg->mail_poll_interval},
        {"mail_batch", 1, 1000, &cfg->mail_batch},
        {"invitation_ttl", 60, 90 * 86400, &cfg->invitation_ttl},
        {"mail_budget", 0, 1000000, &cfg->mail_budget},
        {"mail_budget_window", 60, 7 * 86400, &cfg->mail_budget_window},
        {"relation_budget", 0, 100000, &cfg->relation_budget},
        {"storefront_retention_days", 0, 3650, &cfg->storefront_retention_days},
        {"subscription_notice_days", 0, 365, &cfg->subscription_notice_days},
        {"account_retention_days", 0, 36500, &cfg->account_retention_days},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (strcmp(key, ints[i].key) == 0) {
            if (parse_int(v, ints[i].min, ints[i].max, &n) < 0) {
                snprintf(why, ws, "%s must be a number from %ld to %ld", key, ints[i].min,
                         ints[i].max);
                return -1;
            }
            *ints[i].field = (int)n;
            return 0;
        }
    }
    if (strcmp(key, "sql_port") == 0) {
        if (parse_int(v, 1, 65535, &n) < 0) {
            snprintf(why, ws, "sql_port must be a port number");
            return -1;
        }
        cfg->sql_port = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "listen_mode") == 0) {
        char *end;
        errno = 0;
        unsigned long m = strtoul(v, &end, 8);
        if (errno || end == v || *end || m > 0777) {
            snprintf(why, ws, "listen_mode must be an octal mode such as 0660");
            return -1;
        }
        cfg->listen_mode = (unsigned)m;
        return 0;
    }
    if (strcmp(key, "body_limit") == 0) {
        if (parse_int(v, 1024, 64L * 1024 * 1024, &n) < 0) {
            snprintf(why, ws, "body_limit must be a byte count from 1024 to 67108864");
            return -1;
        }
        cfg->body_limit = (size_t)n;
        return 0;
    }
    if (strcmp(key, "allowed_origins") == 0) {
        if (parse_origins(cfg, v) < 0) {
            snprintf(why, ws, "allowed_origins must be http:// or https:// origins");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "site_hosts") == 0) {
        if (parse_site_hosts(cfg, v) < 0) {
            snprintf(why, ws,
                     "site_hosts must be host names (portal.example.org), without a "
                     "scheme or a path");
            return -1;
        }
        return 0;
    }
    snprintf(why, ws, "unknown key '%s'", key);
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int config_parse(struct config *cfg, const char *text, const char *name, char *err, size_t err_size)
{
    set_defaults(cfg);
    char *copy = xstrdup(text);
    int line = 0, rc = 0;
    char why[256];
    /* strtok_r would skip empty lines and lose the numbering: split by hand. */
    char *p = copy;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        /* A comment is a line whose first non-blank character is '#'; a
         * '#' anywhere else belongs to the value (invitation_url =
         * https://app/#/i/{token}). */
        char *l = trim(p);
        p = nl ? nl + 1 : NULL;
        if (!*l || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            rc = fail(err, err_size, name, line, "expected 'key = value'");
            break;
        }
        *eq = '\0';
        char *key = trim(l), *value = trim(eq + 1);
        if (set_key(cfg, key, value, why, sizeof(why)) < 0) {
            rc = fail(err, err_size, name, line, "%s", why);
            break;
        }
    }
    free(copy);
    if (rc == 0) {
        const char *missing = !cfg->listen               ? "listen"
                              : !cfg->ldap_base          ? "ldap_base"
                              : !cfg->ldap_bind_dn       ? "ldap_bind_dn"
                              : !cfg->ldap_bind_password ? "ldap_bind_password_file"
                                                         : NULL;
        if (missing)
            rc = fail(err, err_size, name, 0, "missing required key '%s'", missing);
        else if (!cfg->identity_attribute || !isalpha((unsigned char)cfg->identity_attribute[0]) ||
                 strspn(cfg->identity_attribute,
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") !=
                     strlen(cfg->identity_attribute))
            /* It goes into LDAP filters as the attribute's name. */
            rc = fail(err, err_size, name, 0,
                      "identity_attribute must be an LDAP attribute name (a letter, then "
                      "letters, digits and '-')");
        else if (!cfg->smtp_starttls ||
                 (strcmp(cfg->smtp_starttls, "no") != 0 && strcmp(cfg->smtp_starttls, "try") != 0 &&
                  strcmp(cfg->smtp_starttls, "required") != 0))
            rc = fail(err, err_size, name, 0, "smtp_starttls must be no, try or required");
        else if (!cfg->invitation_url || !strstr(cfg->invitation_url, "{token}"))
            rc = fail(err, err_size, name, 0, "invitation_url must contain {token}");
        else if (!cfg->password_reset_url || !strstr(cfg->password_reset_url, "{token}"))
            rc = fail(err, err_size, name, 0, "password_reset_url must contain {token}");
        else if (cfg->preferences_url && !url_fits_header(cfg->preferences_url))
            /* It goes into the List-Unsubscribe header of news mail. */
            rc = fail(err, err_size, name, 0,
                      "preferences_url must be an http:// or https:// URL without spaces, "
                      "control characters, '<', '>' or ','");
        else if (!cfg->mail_from)
            rc = fail(err, err_size, name, 0, "mail_from must not be empty");
        else if (cfg->auth_delay > cfg->auth_max_delay)
            rc = fail(err, err_size, name, 0, "auth_delay must not exceed auth_max_delay");
    }
    if (rc == 0) {
        /* The site's own hosts, once (round-26 walkthrough of seed 002,
         * D1): the site_hosts key's, then those of its links and origins. */
        site_hosts_add_url(&cfg->site_hosts, cfg->invitation_url);
        site_hosts_add_url(&cfg->site_hosts, cfg->password_reset_url);
        site_hosts_add_url(&cfg->site_hosts, cfg->preferences_url);
        for (size_t i = 0; cfg->allowed_origins[i]; i++)
            site_hosts_add_url(&cfg->site_hosts, cfg->allowed_origins[i]);
    }
    if (rc < 0)
        config_free(cfg);
    return rc;
}

int config_load(struct config *cfg, const char *path, char *err, size_t err_size)
{
    struct buf b = BUF_INIT;
    if (buf_read_file(&b, path) < 0) {
        memset(cfg, 0, sizeof(*cfg));
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        buf_free(&b);
        return -1;
    }
    int rc = config_parse(cfg, buf_str(&b), path, err, err_size);
    buf_free(&b);
    return rc;
}

int config_origin_allowed(const struct config *cfg, const char *origin, size_t len)
{
    for (size_t i = 0; cfg->allowed_origins && cfg->allowed_origins[i]; i++) {
        const char *o = cfg->allowed_origins[i];
        if (strlen(o) == len && strncasecmp(o, origin, len) == 0)
            return 1;
    }
    return 0;
}

int config_is_site_host(const struct config *cfg, const char *host)
{
    /* Compared in place: GET /auth asks for every page. */
    size_t n = host ? host_span(host, strlen(host)) : 0;
    for (size_t i = 0; n && cfg->site_hosts && cfg->site_hosts[i]; i++)
        if (strlen(cfg->site_hosts[i]) == n && strncasecmp(cfg->site_hosts[i], host, n) == 0)
            return 1;
    return 0;
}

static int same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void name_changed(struct buf *names, const char *key)
{
    buf_printf(names, "%s%s", names->len ? ", " : "", key);
}

void config_keep_restart_keys(struct config *fresh, const struct config *running, char *changed,
                              size_t changed_size)
{
    /* Keys that name connections, sockets and threads: what the running
     * process built at start-up. */
    const struct {
        const char *key;
        char **fresh;
        char *running;
    } strs[] = {
        {"listen", &fresh->listen, running->listen},
        {"listen_group", &fresh->listen_group, running->listen_group},
        {"pid_file", &fresh->pid_file, running->pid_file},
        {"ldap_uri", &fresh->ldap_uri, running->ldap_uri},
        {"ldap_base", &fresh->ldap_base, running->ldap_base},
        {"ldap_bind_dn", &fresh->ldap_bind_dn, running->ldap_bind_dn},
        {"ldap_bind_password_file", &fresh->ldap_bind_password, running->ldap_bind_password},
        {"identity_attribute", &fresh->identity_attribute, running->identity_attribute},
        {"sql_socket", &fresh->sql_socket, running->sql_socket},
        {"sql_host", &fresh->sql_host, running->sql_host},
        {"sql_database", &fresh->sql_database, running->sql_database},
        {"sql_user", &fresh->sql_user, running->sql_user},
        {"sql_password_file", &fresh->sql_password, running->sql_password},
        {"migrate_user", &fresh->migrate_user, running->migrate_user},
        {"migrate_password_file", &fresh->migrate_password, running->migrate_password},
        {"migrations_dir", &fresh->migrations_dir, running->migrations_dir},
    };
    const struct {
        const char *key;
        int *fresh;
        int running;
    } ints[] = {
        {"threads", &fresh->threads, running->threads},
        {"ldap_timeout", &fresh->ldap_timeout, running->ldap_timeout},
        {"ldap_sync_retry", &fresh->ldap_sync_retry, running->ldap_sync_retry},
        {"sql_timeout", &fresh->sql_timeout, running->sql_timeout},
        /* set once at start-up for every thread (outbox_budget_configure) */
        {"mail_budget", &fresh->mail_budget, running->mail_budget},
        {"mail_budget_window", &fresh->mail_budget_window, running->mail_budget_window},
    };
    const struct {
        const char *key;
        unsigned *fresh;
        unsigned running;
    } uints[] = {
        {"listen_mode", &fresh->listen_mode, running->listen_mode},
        {"sql_port", &fresh->sql_port, running->sql_port},
    };
    struct buf names = BUF_INIT;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (same_string(*strs[i].fresh, strs[i].running))
            continue;
        name_changed(&names, strs[i].key);
        if (*strs[i].fresh)
            memset(*strs[i].fresh, 0, strlen(*strs[i].fresh)); /* may be a secret */
        free(*strs[i].fresh);
        *strs[i].fresh = strs[i].running ? xstrdup(strs[i].running) : NULL;
    }
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (*ints[i].fresh != ints[i].running) {
            name_changed(&names, ints[i].key);
            *ints[i].fresh = ints[i].running;
        }
    }
    for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
        if (*uints[i].fresh != uints[i].running) {
            name_changed(&names, uints[i].key);
            *uints[i].fresh = uints[i].running;
        }
    }
    snprintf(changed, changed_size, "%s", buf_str(&names));
    buf_free(&names);
}
