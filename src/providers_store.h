/*
 * providers_store: the SQL of service-provider access
 * (service_provider_access): since when a person is a service provider of
 * an account and until when. A service-provider role without a row never
 * expires.
 */
#ifndef ACCOUNTD_PROVIDERS_STORE_H
#define ACCOUNTD_PROVIDERS_STORE_H

#include "sql_store.h"

/* Records that uid became a service provider of account_id (a hand-over);
 * an existing row keeps its dates. */
int provider_access_grant(struct sql_store *sql, unsigned long long account_id, const char *uid,
                          const char *granted_by);
/* Records a new service-provider grant of uid by granted_by (a role
 * change, a known person added, an accepted invitation: granted_by is the
 * inviter's uid when invitation_id is not 0): granted now, replacing a row
 * left from an earlier grant. A grant lasts no longer than the granter's
 * own service-provider access: it takes over their expires_at (none for an
 * admin without such a row). */
int provider_access_regrant(struct sql_store *sql, unsigned long long account_id, const char *uid,
                            const char *granted_by, unsigned long long invitation_id);
/* *revoked = 1 if an admin of account_id revoked uid's service-provider
 * access there (DELETE …/service-providers/{uid}: a service_provider.revoke
 * row in the account's audit trail, uid compared without case). Such a
 * person gets the role back only from an admin of the account, never from
 * a service provider (round-3 walkthrough of seed 000, D3; members.c,
 * invitations.c). Not on the hot path: only a provider's grant asks. */
int provider_revoked_by_admin(struct sql_store *sql, unsigned long long account_id, const char *uid,
                              int *revoked);
/* The 403 detail of such a grant, by PUT …/members/{uid} or invitation. */
#define PROVIDER_REVOKED_DETAIL                                                                    \
    "an admin of this account revoked this person's service-provider access; only an admin of "    \
    "the account can give them a role in it again"
/* *expired = 1 if uid's service-provider access to account_id has an
 * expires_at that has come (provider_expiry_passed). */
int provider_access_expired(struct sql_store *sql, unsigned long long account_id, const char *uid,
                            int *expired);

/* DATE_FORMAT(expires_at, PROVIDER_EXPIRES_AT_FORMAT): text that sorts
 * like the time it names (UTC, the session's time zone), what
 * provider_expiry_passed compares. Reads select it instead of comparing
 * with CURRENT_TIMESTAMP in SQL, so that their statements stay
 * deterministic and MariaDB's query cache may keep them
 * (docs/operations.md). */
#define PROVIDER_EXPIRES_AT_FORMAT "'%Y-%m-%d %H:%i:%s.%f'"
/* 1 if expires_at (text in PROVIDER_EXPIRES_AT_FORMAT; NULL: never) is
 * now or past by accountd's clock, else 0. */
int provider_expiry_passed(const char *expires_at);

struct provider_access {
    char *uid;
    char *granted_by, *granted_at, *expires_at; /* RFC 3339; NULL if none */
    int expired;
};
void provider_access_free(struct provider_access *p, size_t n);
/* The access rows of account_id. */
int provider_access_list(struct sql_store *sql, unsigned long long account_id,
                         struct provider_access **out, size_t *n);
/* Sets expires_at (NULL: never) of uid's access, creating the row. */
int provider_access_set_expiry(struct sql_store *sql, unsigned long long account_id,
                               const char *uid, const char *granted_by, const char *expires_at);
int provider_access_delete(struct sql_store *sql, unsigned long long account_id, const char *uid);

/* Rows whose expires_at has passed: account ids and uids (malloc'ed). */
int provider_access_expired_all(struct sql_store *sql, unsigned long long **accounts, char ***uids,
                                size_t *n);

#endif
