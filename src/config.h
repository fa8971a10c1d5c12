/*
 * config: accountd's configuration, parsed and checked once at start-up.
 *
 * The file format and every key are documented in docs/config.md. A bad
 * file stops accountd with "FILE:LINE: reason". Secrets (passwords) are read
 * from the files the config names; they are kept in memory only and never
 * logged. The struct is read-only after config_load() returns; a reload
 * (SIGHUP, server.c) loads a new one and swaps it in whole.
 */
#ifndef ACCOUNTD_CONFIG_H
#define ACCOUNTD_CONFIG_H

#include <stddef.h>

struct config {
    char *listen;
    unsigned listen_mode;
    char *listen_group;
    int threads;
    char *pid_file;

    char *ldap_uri;
    char *ldap_base;
    char *ldap_bind_dn;
    char *ldap_bind_password;
    int ldap_timeout;
    int ldap_sync_retry; /* seconds between sync requests to a slapd without syncprov */
    char *identity_attribute;

    char *sql_socket;
    char *sql_host;
    unsigned sql_port;
    char *sql_database;
    char *sql_user;
    char *sql_password;
    int sql_timeout;
    char *migrate_user;
    char *migrate_password;
    char *migrations_dir;

    /* mail (accountd-mailer, invitations) */
    char *smtp_url;
    char *smtp_starttls; /* "no", "try", "required" */
    char *smtp_user;
    char *smtp_password;
    char *smtp_ca_file; /* CA certificates for the server's TLS; NULL: the system's */
    int smtp_timeout;
    char *mail_from;
    int mail_max_attempts;
    int mail_retry_base;
    int mail_retry_max;
    int mail_poll_interval; /* milliseconds */
    int mail_batch;
    char *invitation_url;     /* with {token} */
    char *preferences_url;    /* the front end's mail preferences page; NULL: none */
    char *password_reset_url; /* with {token}: the page that sets a new password */
    int invitation_ttl;       /* seconds */
    int mail_budget;          /* recipients of tenant-caused mail per account ... */
    int mail_budget_window;   /* ... within this many seconds; 0 budget: unlimited */
    int relation_budget;      /* relation requests per partner account an hour; 0: unlimited */

    size_t body_limit;
    char **allowed_origins; /* NULL-terminated */
    /* The site's own host names (NULL-terminated; lower case, no port, no
     * trailing dot): the hosts of invitation_url, password_reset_url,
     * preferences_url and allowed_origins, and the site_hosts key's.
     * Computed once by config_parse; no distributor may take one as its
     * storefront host (round-26 walkthrough of seed 002, D1). */
    char **site_hosts;
    int retry_after;
    int identity_cache_ttl;  /* seconds; 0: no cache */
    int auth_cache_ttl;      /* seconds; 0: no cache */
    int auth_max_failures;   /* failed checks per person before waits begin */
    int auth_delay;          /* the first wait, in seconds; it then doubles ... */
    int auth_max_delay;      /* ... up to this (the longest Retry-After) */
    int auth_failure_window; /* seconds without a failure that forget them */
    int listen_backlog;      /* connections the kernel queues for accept */

    /* billing */
    char *storefront_host;         /* distributors without their own host */
    int storefront_retention_days; /* a cancelled storefront is kept this long */
    int subscription_notice_days;  /* the "term ends soon" mail, this many days ahead (0: off) */
    int account_retention_days;    /* a closed account is kept this long (0: for ever) */
};

/* Parses text (as read from a file called name). Returns 0, or -1 with a
 * "name:line: reason" message in err (err_size bytes). Password files named
 * in the text are read relative to the current directory. */
int config_parse(struct config *cfg, const char *text, const char *name, char *err,
                 size_t err_size);
/* Reads and parses the file at path. */
int config_load(struct config *cfg, const char *path, char *err, size_t err_size);
void config_free(struct config *cfg);

/* For a reload (SIGHUP): puts the running values back into fresh for the
 * keys that only a restart can change (listen*, threads, pid_file, ldap_*,
 * identity_attribute, sql_*, migrate_*, migrations_dir) and names those
 * that differed in changed ("" if none). */
void config_keep_restart_keys(struct config *fresh, const struct config *running, char *changed,
                              size_t changed_size);

/* The host name of s ("name[:port]", len bytes; "[v6]:port" keeps its
 * brackets) into out: lower case, without the port and a trailing dot, as
 * nginx's $host has it. The one reading of a host name, of the config's
 * and of a request's Host alike. Its length; 0 (out "") when empty or
 * when it does not fit in size (CONFIG_HOST_NAME_SIZE fits any host name
 * of 253 characters, in brackets or not). */
#define CONFIG_HOST_NAME_SIZE 256
size_t config_host_name(const char *s, size_t len, char *out, size_t size);

/* 1 if host ("name[:port]", any case, a trailing dot or not) names one of
 * site_hosts, read as config_host_name reads it (the port ignored as
 * nginx's $host drops it). No allocation. */
int config_is_site_host(const struct config *cfg, const char *host);

/* 1 if origin ("scheme://host[:port]") is in allowed_origins. */
int config_origin_allowed(const struct config *cfg, const char *origin, size_t len);

#endif
