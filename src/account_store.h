/*
 * account_store: what every resource needs of an account — its row locked
 * for a change, and its people with their roles. Resource modules include
 * this, never each other's headers.
 */
#ifndef ACCOUNTD_ACCOUNT_STORE_H
#define ACCOUNTD_ACCOUNT_STORE_H

#include "http.h"

struct sql_store;
struct sql_result;
struct role_group;

/* The account's property values as a JSON object text (NULL: none), keys
 * in the order of their definitions. The aggregates of the hot statements
 * are JSON_OBJECTAGG only: MariaDB builds GROUP_CONCAT and JSON_ARRAYAGG
 * in an internal temporary table (on disk for long values) for every
 * evaluation, JSON_OBJECTAGG in memory (docs/performance.md). */
#define ACCOUNT_PROPERTIES                                                                         \
    "(SELECT JSON_OBJECTAGG(d.prop_key, JSON_EXTRACT(v.value, '$')) FROM account_property_values " \
    "v"                                                                                            \
    " JOIN property_definitions d ON d.id = v.definition_id WHERE v.account_id = accounts.id)"

/* An account's own columns, in the order of enum account_col (the table
 * must be named accounts, not aliased). */
#define ACCOUNT_COLUMNS                                                                            \
    "id, parent_id, kind, name, status, handed_over_at IS NOT NULL, company_name, "                \
    "company_street, company_postcode,"                                                            \
    " company_city, company_country, company_vat_id, " ACCOUNT_PROPERTIES ", plan, version,"       \
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(closed_at, '%Y-%m-%dT%H:%i:%sZ')"

/* The columns of account_read()'s row: ACCOUNT_COLUMNS, contacts,
 * recipients, then the billing columns. */
enum account_col {
    ACCOUNT_COL_ID,
    ACCOUNT_COL_PARENT,
    ACCOUNT_COL_KIND,
    ACCOUNT_COL_NAME,
    ACCOUNT_COL_STATUS,
    ACCOUNT_COL_HANDED_OVER, /* "1" once handed over to its customer (migration 019), else "0" */
    ACCOUNT_COL_COMPANY,     /* six company columns from here */
    ACCOUNT_COL_PROPERTIES = ACCOUNT_COL_COMPANY + 6,
    ACCOUNT_COL_PLAN,
    ACCOUNT_COL_VERSION,
    ACCOUNT_COL_CREATED,
    ACCOUNT_COL_CLOSED,     /* when it was closed (RFC 3339), NULL unless closed */
    ACCOUNT_COL_CONTACTS,   /* {"primary": uid, "technical": uid} or NULL */
    ACCOUNT_COL_RECIPIENTS, /* {"mail": position, ...} or NULL (recipients_of_cell) */
    ACCOUNT_COL_BILLING,    /* BILLING_OVERVIEW_COLUMNS from here (subscriptions_store.h) */
    ACCOUNT_COL_STOREFRONT = ACCOUNT_COL_BILLING + 5, /* STOREFRONT_OVERVIEW_COLUMN */
};

/* Everything the overview shows from MariaDB about account id (a finished
 * one: ldap_state done) in one statement: its row, its contacts, its
 * notification recipients, its plan, subscriptions, articles and licenses, its storefront. ST_OK
 * with r->nrows 0 or 1; free r with sql_result_free. The router reads it to authorize
 * (caller_authorize) and keeps it in req->account_row for the handler. */
int account_read(struct sql_store *sql, unsigned long long id, struct sql_result *r);
/* The same row with only its first columns (id up to handed over: enough
 * for ACCOUNT_COL_PARENT, _KIND, _STATUS and _HANDED_OVER): what
 * authorization needs. */
int account_brief(struct sql_store *sql, unsigned long long id, struct sql_result *r);

/* Inside a transaction: locks account id's row (SELECT ... FOR UPDATE), so
 * changes to one account are serialised. ST_OK, with its name in *name
 * (malloc'ed) when name is not NULL; ST_REFUSED with a 409 recorded in
 * *refusal (problem.h) for a closed account; the store's status if the read
 * failed. */
int account_lock(struct sql_store *sql, unsigned long long id, struct problem *refusal,
                 char **name);

/* Inside a transaction: locks account id's row and compares its version
 * with expected (what If-Match or _version named; 0: no precondition, no
 * read). ST_OK, or ST_REFUSED with a 412 (precondition-failed) in
 * *refusal when they differ. */
int account_check_version(struct sql_store *sql, unsigned long long id, unsigned long long expected,
                          struct problem *refusal);
/* For writes whose account state is not re-read under a lock (role
 * changes, removals, hand-overs): the If-Match / _version the client sent
 * (body_expected_version) compared with the account's version now. 0 to
 * go on (none sent, or it matches); 1 with the answer set (412, or 422 for
 * a malformed _version, 503 when the database fails). */
int if_match_fails(struct request *req, json_t *body);
/* The same comparison, with a stale version left to the caller: 1 with
 * the answer set for a malformed precondition or a database failure; 0
 * otherwise, *stale 1 when the version sent is not the account's now
 * (nothing answered yet). For a write that may turn out to be a no-op,
 * which a stale version cannot make lose anything (a service provider's
 * PUT of their own roles as they are: round-20 walkthrough of seed 000,
 * D3); it answers ACCOUNT_STALE_DETAIL's 412 for any real change. */
int if_match_stale(struct request *req, json_t *body, int *stale);
#define ACCOUNT_STALE_DETAIL "the account changed since you read it; read it again"

/* Counts account id's version up (a new ETag): for changes of what the
 * account's representation shows besides its own columns (contacts,
 * notification recipients). */
int account_touch(struct sql_store *sql, unsigned long long id);
/* Account id's version (its ETag's second part) in *version: ST_OK, or
 * ST_NOT_FOUND. Inside a change's transaction it reads what the change
 * wrote. */
int account_version_get(struct sql_store *sql, unsigned long long id, unsigned long long *version);

/* The members of account id as [{uid, name, mail, roles}] (a new
 * reference), or NULL with *st set when LDAP failed. */
json_t *members_json(struct request *req, unsigned long long id, int *st);
/* The people of role groups (of account_id; 0: project groups) as items
 * {uid, name, mail, roles}, roles written by `roles` (roles_json,
 * project_roles_json); people LDAP no longer has are left out. NULL with
 * *st on a directory failure. Shared by the account's and a project's
 * member lists. */
json_t *people_items(struct request *req, const struct role_group *groups, size_t ngroups,
                     unsigned long long account_id, json_t *(*roles)(unsigned), int *st);

/* The plan an account of kind has by default: a reseller ("partner")
 * starts on basic and falls back to it when its plan ends (docs/api.md,
 * "Catalog"); NULL (none) for every other kind. */
const char *account_default_plan(const char *kind);
/* Creating an account (a saga: the row pending, then done or deleted). */
int account_insert_pending(struct sql_store *sql, const char *kind, unsigned long long parent_id,
                           const char *name, const char *status, const char *const company[6],
                           const char *created_by, unsigned long long *id);
/* ST_CONFLICT if account id is not pending (any more). */
int account_mark_done(struct sql_store *sql, unsigned long long id);
/* Removes account id and its Idempotency-Key while it is pending (a row
 * that is done keeps its key). */
int account_delete_pending(struct sql_store *sql, unsigned long long id);
/* request: the fingerprint of the creating body (idempotency.h). */
int idempotency_key_insert(struct sql_store *sql, const char *uid, const char *key,
                           unsigned long long account_id, const char *request);
/* Inside the create's transaction: keeps with uid's key the members of
 * the create's answer beyond the account (answer: JSON text, {contact?,
 * relation?}), for its replays (migration 089). */
int idempotency_key_keep_answer(struct sql_store *sql, const char *uid, const char *key,
                                const char *answer);
/* The account uid created with key: *id, *done (1 once it is done),
 * *request (the body's fingerprint, NULL for a key older than migration
 * 012) and *answer (what idempotency_key_keep_answer kept, NULL when
 * nothing was); the caller frees both; ST_NOT_FOUND if the key is new. */
int idempotency_key_find(struct sql_store *sql, const char *uid, const char *key,
                         unsigned long long *id, int *done, char **request, char **answer);

/* The row of finished account id (ACCOUNT_COLUMNS; r->nrows 0 or 1, free
 * with sql_result_free); lock: FOR UPDATE, inside a transaction. */
int account_row(struct sql_store *sql, unsigned long long id, int lock, struct sql_result *r);
/* Sets name (NULL: unchanged) and the company fields whose bit (1 << i)
 * is in have (company[i]: name, street, postcode, city, country, vat_id),
 * and counts the version up. */
int account_update_fields(struct sql_store *sql, unsigned long long id, const char *name,
                          const char *const company[6], unsigned have);
/* Inside a transaction: closes account id (locked first) with its old
 * status in *old_status (malloc'ed); ST_NOT_FOUND if there is no such
 * account or it is closed already, ST_CONFLICT while a change holds the
 * account's guard (accounts.intent_id): nothing written either way. */
int account_close(struct sql_store *sql, unsigned long long id, char **old_status);

/* The visible accounts of ids_json (a JSON array of ids) with uid's news
 * preference, in one statement: rows of id, name, kind, status, news, the
 * expires_at of uid's service-provider access to the account
 * (PROVIDER_EXPIRES_AT_FORMAT, providers_store.h; NULL if none), and
 * BILLING_OVERVIEW_COLUMNS (subscriptions_store.h) from column 6, in no
 * particular order (an ORDER BY would sort the JSON columns in a temporary
 * table on disk); no rows when no account is visible. Free r with
 * sql_result_free. */
int accounts_of_person(struct sql_store *sql, const char *uid, const char *ids_json,
                       struct sql_result *r);

/* The name of account id: *name malloc'ed ("" when there is no such row). */
int account_name_get(struct sql_store *sql, unsigned long long id, char **name);
/* account_name_get for two accounts in one query: the names of a and b
 * (each "" when there is no such account); the caller frees them. */
int account_names_get2(struct sql_store *sql, unsigned long long a, unsigned long long b,
                       char **name_a, char **name_b);
/* Inside a transaction: whether account id is closed (*closed 1; 0 too
 * when there is no such row) and its name (malloc'ed, "" for none), its
 * row share-locked, so a close cannot commit between this read and the
 * caller's writes (a quote asked of its seller: round-24 walkthrough of
 * seed 002, D2). */
int account_closed_get(struct sql_store *sql, unsigned long long id, int *closed, char **name);
/* The accounts above account id, nearest first (its parent, the
 * parent's parent, ...), and after them the operator account once more
 * (also for an account without a parent, which the chain does not reach):
 * what {{inviter_name}} names (invitations.h). One statement. */
struct account_above {
    unsigned long long id;
    char *name;      /* malloc'ed */
    int is_operator; /* the operator account */
    int closed;      /* closed (never named as whom someone acts for: mail_names.h) */
};
int account_ancestors(struct sql_store *sql, unsigned long long id, struct account_above **out,
                      size_t *n);
/* The same chain with account id itself first (no row for it when there
 * is no such account): who acts for id on the accounts below it
 * (mail_actor_name_for). One statement. */
int account_with_ancestors(struct sql_store *sql, unsigned long long id, struct account_above **out,
                           size_t *n);
void account_ancestors_free(struct account_above *a, size_t n);

/* A child's pending admin invitations, as role_holders_child_line names
 * them: how many, and the oldest one's invitee (name NULL: none given)
 * and whether it is the contact invitation. */
struct role_holders_invitee {
    unsigned long count;
    char *name; /* first and last name (in open_child: malloc'ed) */
    char *mail; /* its address (in open_child: malloc'ed; NULL: none) */
    int contact;
};

/* The children of account id that are not closed (finished ones:
 * ldap_state done), lowest id first, at most cap of them, in one
 * statement; *total receives how many there are in all. For each its
 * kind, its name and its storefront as STOREFRONT_OVERVIEW_COLUMN's cell
 * (NULL: none). What closing a parent tells its children (round-16
 * walkthrough of seed 002, D1). With facts, in the same statement
 * (round-26 walkthrough of seed 003, D1 and D2): whether a customer
 * relation between the parent and the child is active, and the child's
 * pending admin invitations (member or contact purpose, not expired): how
 * many, and the oldest one's invitee and whether it names the contact;
 * without, those are 0 and NULL (the close reads them only in its
 * transaction, where its mails are written). */
struct open_child {
    unsigned long long id;
    char kind[16];
    char *name;                          /* malloc'ed */
    char *storefront;                    /* malloc'ed or NULL */
    int related;                         /* an active customer relation with the parent */
    struct role_holders_invitee invitee; /* its pending admin invitations */
};
int account_open_children(struct sql_store *sql, unsigned long long id, size_t cap, int facts,
                          struct open_child **out, size_t *n, unsigned long *total);
void account_open_children_free(struct open_child *c, size_t n);

/* The open children of account parent (not closed, ldap_state done) among
 * ids (a JSON array of account ids), lowest id first, at most cap of them,
 * in one statement; *total receives how many there are in all. For each
 * its name and whether uid created it (accounts.created_by, equal but for
 * case). The child accounts a person removed from a partner or
 * distributor still holds roles in, and whether the parent's admins may
 * remove them there (round-20 walkthrough of seed 001, D1; docs/api.md,
 * "A person removed from a partner"). */
struct held_child {
    unsigned long long id;
    char *name;  /* malloc'ed */
    int created; /* uid created it */
};
int account_children_among(struct sql_store *sql, unsigned long long parent, const char *ids_json,
                           const char *uid, size_t cap, struct held_child **out, size_t *n,
                           unsigned long *total);
void account_held_children_free(struct held_child *c, size_t n);

/* The contact kinds uid holds in account_id as CONTACT_* bits
 * (contacts_store.h; 0: none), in one statement. uid is matched without
 * regard to case (uid_equal, validate.h): the uid stored is the
 * directory's when the contact was named, and an LDAP administrator may
 * change its case since (round-24 walkthrough of seed 004, D1). "A
 * contact is an admin": role changes ask it
 * under the account's guard (saga.h) before an admin loses admin, contact
 * changes check the admin role under the same guard. */
int contact_kinds_of(struct sql_store *sql, unsigned long long account_id, const char *uid,
                     unsigned *kinds);

#endif
