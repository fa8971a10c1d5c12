/*
 * password_resets_store: the SQL of password resets (table
 * password_resets, migration 032): one pending reset per person and
 * account, found by its token's SHA-256.
 */
#ifndef ACCOUNTD_PASSWORD_RESETS_STORE_H
#define ACCOUNTD_PASSWORD_RESETS_STORE_H

struct sql_store;

#define PASSWORD_RESET_TTL (24 * 3600) /* seconds a reset link lives */

/* Inside a transaction: the pending reset of uid in account_id, new or
 * replaced (a new token and expiry; the old link dies). requested_by: the
 * uid of who asked; requested_as: the capacity that let them ask,
 * "contact" or "operator" (migration 090; what the password-changed mail
 * names them as); mailed_to: the address the link is mailed to, and
 * password_mark: the person's password as it is now
 * (ldap_store_reset_proof; migration 093: a link dies when either
 * changes, round-21 walkthrough of seed 004, D1). *expires_at is RFC 3339 (malloc'ed); *replaced is
 * 1 when a pending reset's link (sent before, expired or not) died with it, else 0. */
int password_reset_put(struct sql_store *sql, unsigned long long account_id, const char *uid,
                       const char *token_hash, const char *requested_by, const char *requested_as,
                       const char *mailed_to, const char *password_mark, char **expires_at,
                       int *replaced);

struct password_reset {
    unsigned long long id, account_id;
    char *uid;
    char *status; /* pending, used, replaced */
    int expired;
    char *requested_by;  /* the uid of who asked */
    char *requested_as;  /* "contact", "operator", or NULL (asked before migration 090) */
    char *requested_at;  /* RFC 3339: when this link was asked for */
    char *read_at;       /* CURRENT_TIMESTAMP(6) of the read, as MariaDB writes it */
    char *mailed_to;     /* the address it was mailed to (NULL: asked before migration 093) */
    char *password_mark; /* hex; the password then (NULL: asked before migration 093) */
    int account_closed;  /* the account it was asked in is closed (round-22, seed 004, D1) */
    char *account_name;  /* that account's name now */
};
/* ST_OK if token_hash was a link a newer request replaced (kept since
 * migration 038), else ST_NOT_FOUND. */
int password_reset_superseded(struct sql_store *sql, const char *token_hash);
/* Inside a transaction: the reset of token_hash, locked; ST_NOT_FOUND. */
int password_reset_lock(struct sql_store *sql, const char *token_hash, struct password_reset *out);
/* The same, read without a lock (the look at a link before its body is
 * checked: a dead link is 410 whatever the body says). */
int password_reset_find(struct sql_store *sql, const char *token_hash, struct password_reset *out);
void password_reset_free(struct password_reset *r);
/* Inside a transaction, on a reset password_reset_lock read: marks it
 * used at the time of that read (*used_at: RFC 3339, malloc'ed, as the
 * notices say it), and every other pending reset of the same person
 * replaced (their links die with the password set). */
int password_reset_used(struct sql_store *sql, const struct password_reset *row, char **used_at);

/* Inside a transaction: gives a used reset back (pending again) when the
 * directory did not take the password; the others it replaced stay so. */
int password_reset_unused(struct sql_store *sql, unsigned long long id);

#endif
