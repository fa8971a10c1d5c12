/*
 * storefronts_store: the SQL of resellers' storefronts (interworks): one
 * row per reseller and distributor, the alias unique per storefront host
 * (the URL) by a UNIQUE index on (host, alias), never check-then-insert;
 * host is the distributor's own storefront host, '' for the config's. A cancelled storefront keeps
 * its alias until retain_until; purging deletes the row and frees the alias.
 *
 * The URL is https://<host>/<alias>, host being the distributor's
 * accounts.storefront_host or, when that is NULL, the configured
 * storefront_host (passed in as default_host).
 */
#ifndef ACCOUNTD_STOREFRONTS_STORE_H
#define ACCOUNTD_STOREFRONTS_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* Inside a transaction: gives account_id a live storefront under
 * distributor_id. alias NULL keeps the alias the account already has there
 * (retained or active); a new alias replaces it. ST_OK with its id and
 * alias (malloc'ed), in *old_alias the alias the account's storefront had
 * before (malloc'ed; NULL when the storefront is new; the same as the
 * alias when it is kept) and in *was_cancelled 1 when that storefront was
 * a kept (cancelled) one that is active again; ST_DUPLICATE when
 * another storefront under the same host holds the alias (1062),
 * ST_NOT_FOUND when alias is NULL and the account has no storefront there. */
int storefronts_store_claim(struct sql_store *sql, unsigned long long distributor_id,
                            unsigned long long account_id, const char *alias,
                            unsigned long long *storefront_id, char **alias_out, char **old_alias,
                            int *was_cancelled);
/* The distributor whose host a storefront of account_id lives under: its
 * nearest ancestor that is a distributor (or the operator account), so a
 * sub-reseller under a partner is in its distributor's tree. ST_NOT_FOUND
 * when there is none. */
int storefronts_store_distributor(struct sql_store *sql, unsigned long long account_id,
                                  unsigned long long *distributor_id);
/* For ?distributor_id= of the public lookups: account_id itself when it is
 * a distributor (or the operator account), else its distributor as above
 * (a reseller's id answers as the reseller's orders would). ST_NOT_FOUND
 * when there is no such account or no distributor above it. */
int storefronts_store_resolve_distributor(struct sql_store *sql, unsigned long long account_id,
                                          unsigned long long *distributor_id);
/* Inside a transaction: cancels storefront id, kept until ended_at plus
 * retention_days. */
int storefronts_store_cancel(struct sql_store *sql, unsigned long long id, const char *ended_at,
                             int retention_days);
/* The storefront {account_id, distributor_id, alias, url, status,
 * retain_until} by alias under the storefront host of distributor_id (0:
 * any host; then ST_CONFLICT when several have it) and, when host_key is
 * not NULL, under that host (storefronts.host: a distributor's own host in
 * lower case, "" for the configured one). ST_NOT_FOUND if none. */
int storefronts_store_by_alias(struct sql_store *sql, const char *default_host, const char *alias,
                               unsigned long long distributor_id, const char *host_key,
                               json_t **out);
/* The account's storefront (live or kept; the newest when it had several
 * distributors), its id in *id (0: none). For the audit rows of what does
 * not touch it (an add-on's order and end). */
int storefronts_store_of_account(struct sql_store *sql, unsigned long long account_id,
                                 unsigned long long *id);
/* The storefront of a subscription's storefront_id as {alias, url,
 * status} or JSON null (a new reference). */
int storefronts_store_json(struct sql_store *sql, const char *default_host, unsigned long long id,
                           json_t **out);
/* The account's storefront for its overview, as one more column of the
 * account's own SELECT (FROM accounts, not aliased; one round trip): a
 * JSON object text {alias, host, status, retain_until, distributor_id} of
 * its newest storefront (live or kept), host being the distributor's own
 * storefront host or null; NULL when it has none. Served by
 * uq_storefronts_account (account_id, distributor_id). */
#define STOREFRONT_OVERVIEW_COLUMN                                                                 \
    " (SELECT JSON_OBJECT('alias', s.alias, 'host', d.storefront_host, 'status', s.status,"        \
    "   'retain_until', DATE_FORMAT(s.retain_until, '%Y-%m-%dT%H:%i:%sZ'), 'distributor_id',"      \
    "   CAST(s.distributor_id AS CHAR))"                                                           \
    "   FROM storefronts s JOIN accounts d ON d.id = s.distributor_id"                             \
    "   WHERE s.account_id = accounts.id ORDER BY s.id DESC LIMIT 1)"

/* The overview's storefront {alias, url, status, retain_until,
 * distributor_id} from a STOREFRONT_OVERVIEW_COLUMN cell (url
 * https://<host>/<alias>, default_host for a distributor without its
 * own), or JSON null for a NULL cell. */
json_t *storefront_overview_json(const char *cell, const char *default_host);

/* Is alias free (no storefront under distributor_id's host holds it;
 * distributor_id 0: no row anywhere; host_key as above)? */
int storefronts_store_available(struct sql_store *sql, const char *alias,
                                unsigned long long distributor_id, const char *host_key,
                                int *available);
/* For /auth's sign-in at https://host/alias (round-18 walkthrough of seed
 * 002, D1): the storefronts under host with one of aliases (1 to
 * STOREFRONT_SIGN_IN_ALIASES of them: the names the page's readings give,
 * round-27 walkthrough of seed 002, D1; host is nginx's
 * $host, which has no port: a storefront host with a ":port" matches by
 * its name), each with the caller's accounts that admit them there. One
 * row per storefront and admitting account: storefront_id (which of the
 * storefronts the row is about), active (the storefront's
 * status), via (one of the accounts of accounts_json — a JSON array of
 * the ids the caller holds a role in — that is the storefront's account,
 * its distributor, or a customer of it that is not closed: one below it
 * whose relations with it and with its own parent, where recorded, are
 * active, or one with an active customer relation with it (round-19
 * walkthrough of seed 002, D2); 0 when none is) and via_sp_expires_at
 * (uid's service-provider expiry in via, in PROVIDER_EXPIRES_AT_FORMAT;
 * NULL for none) and via_closed_distributor (via is the storefront's
 * distributor and it is closed: its people's roles there no longer admit,
 * round-22 walkthrough of seed 002, D1). No rows: no storefront there.
 * One statement, SQL_CACHE (deterministic: the expiry is compared by the
 * caller). */
#define STOREFRONT_SIGN_IN_ALIASES 4
struct storefront_sign_in {
    unsigned long long storefront_id;
    int active;
    unsigned long long via;
    char *via_sp_expires_at;
    int via_closed_distributor;
};
int storefronts_store_sign_in(struct sql_store *sql, const char *default_host, const char *host,
                              const char *const *aliases, size_t naliases, const char *uid,
                              const char *accounts_json, struct storefront_sign_in **out,
                              size_t *n);
void storefront_sign_in_free(struct storefront_sign_in *v, size_t n);
/* The distinct aliases, of storefronts under any host and in any status,
 * that are one of names (a JSON array of strings): *out (sql_strings;
 * free each and the list), *n. One statement, read once at start-up and
 * at a reload (storefront_shop_pages_read). */
int storefronts_store_shop_page_holders(struct sql_store *sql, const char *names_json, char ***out,
                                        size_t *n);
/* For account-closed and relation-ended (round-19 walkthrough of seed
 * 002, D2 and its follow-up): the live storefronts at which account_id's
 * people sign in as people of a customer of the storefront's reseller, by
 * storefronts_store_sign_in's rule — those of the accounts above it, when
 * its relations with that account and with its own parent, where
 * recorded, are active, and those of the partners it has an active
 * customer relation with. open_only: with the rule's account status too
 * (none for a closed account: a relation's end); 0: without it (the
 * close, whose account is being closed). A JSON array of {name, url} (the
 * reseller's name, https://<host>/<alias>), by storefront id, at most
 * limit of them. One statement; inside a transaction it reads the
 * transaction's own writes (read before and after a relation's end, the
 * storefronts the end takes away). */
int storefronts_store_of_customer(struct sql_store *sql, const char *default_host,
                                  unsigned long long account_id, int open_only, int limit,
                                  json_t **out);
/* For parent-closed (round-23 walkthrough of seed 002, D3): which of
 * account_id's children admit their people at account_id's storefront as
 * its customers, by storefronts_store_sign_in's rule (SIGN_IN_RULE_CTES;
 * a child that is not closed, whose relation with account_id, where
 * recorded, is active); whether it has a live storefront is
 * storefronts_store_own_live's. *ids (malloc'ed) the admitted children,
 * ascending, *n of them. One statement; inside the close's transaction. */
int storefronts_store_children_admitted(struct sql_store *sql, unsigned long long account_id,
                                        unsigned long long **ids, size_t *n);
/* The maintenance job: deletes cancelled storefronts whose retain_until
 * is at or before now (UTC "YYYY-MM-DD HH:MM:SS"), each with an audit row;
 * their count in *purged. */
/* For account-closed (round-25 walkthrough of seed 002, D2) and its
 * parent-closed: the closed account's own live storefront, which runs to its term end: *url
 * (https://<host>/<alias>, malloc'ed) NULL when it has none; *ends_at
 * (RFC 3339) and *plan_name (the plan's name) of the subscription that
 * keeps it live (active or pending cancellation), NULL when none does.
 * One statement; inside the close's transaction. */
int storefronts_store_own_live(struct sql_store *sql, const char *default_host,
                               unsigned long long account_id, char **url, char **ends_at,
                               char **plan_name);
int storefronts_store_purge(struct sql_store *sql, const char *now, int *purged);

/* 1 in *served when some distributor has host_key (lower case) as its own
 * storefront host. */
int storefronts_store_host_served(struct sql_store *sql, const char *host_key, int *served);
/* A distributor's own storefront host as a JSON string, or JSON null. */
int storefronts_store_host(struct sql_store *sql, unsigned long long distributor_id, json_t **out);
/* Inside a transaction: a distributor's own storefront host (NULL: the
 * config's), with the old one in *old (malloc'ed or NULL); its storefronts
 * move to that host (ST_DUPLICATE when one's alias is taken there).
 * ST_CONFLICT when another distributor has a host of that name (the port
 * does not count: a host belongs to one distributor). */
int storefronts_store_set_host(struct sql_store *sql, unsigned long long distributor_id,
                               const char *host, char **old);

/* A distributor's live storefronts: those whose URL a change of its
 * storefront host moves for someone who uses it (status active: the
 * subscription that needs it is active or pending cancellation; a kept,
 * cancelled one serves nobody). One statement, by account id. */
struct storefront_reseller {
    unsigned long long account_id;
    char *account_name; /* malloc'ed */
    char *alias;        /* malloc'ed */
};
int storefronts_store_live_of_distributor(struct sql_store *sql, unsigned long long distributor_id,
                                          struct storefront_reseller **out, size_t *n);
void storefront_resellers_free(struct storefront_reseller *list, size_t n);
/* Why storefronts_store_set_host(distributor_id, host) answered
 * ST_DUPLICATE: the distributor's storefronts (any status) whose alias
 * another distributor's storefront holds under host (NULL or "": the
 * config's), by account id, at most max of them (round-16 walkthrough
 * of seed 002, D2). One statement. */
int storefronts_store_host_clashes(struct sql_store *sql, unsigned long long distributor_id,
                                   const char *host, size_t max, struct storefront_reseller **out,
                                   size_t *n);

#endif
