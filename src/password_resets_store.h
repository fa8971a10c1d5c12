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
 * replaced (a new token and expiry; the old link dies). *expires_at is
 * RFC 3339 (malloc'ed); *replaced is 1 when a pending reset's link (sent
 * before, expired or not) died with it, else 0. */
int password_reset_put(struct sql_store *sql, unsigned long long account_id, const char *uid,
                       const char *token_hash, const char *requested_by, char **expires_at,
                       int *replaced);

struct password_reset {
    unsigned long long id, account_id;
    char *uid;
    char *status; /* pending, used, replaced */
    int expired;
};
/* Inside a transaction: the reset of token_hash, locked: ST_NOT_FOUND. */
/* ST_OK if token_hash was a link a newer request replaced (kept since
 * migration 038), else ST_NOT_FOUND. */
int password_reset_superseded(struct sql_store *sql, const char *token_hash);
int password_reset_lock(struct sql_store *sql, const char *token_hash, struct password_reset *out);
void password_reset_free(struct password_reset *r);
/* Inside a transaction: marks reset id used, and every other pending reset
 * of the same person replaced (their links die with the password set). */
int password_reset_used(struct sql_store *sql, unsigned long long id, const char *uid);

/* Inside a transaction: gives a used reset back (pending again) when the
 * directory did not take the password; the others it replaced stay so. */
int password_reset_unused(struct sql_store *sql, unsigned long long id);

#endif
