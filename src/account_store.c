/*
 * account_store: what every resource needs of an account — its row locked
 * for a change, and its people with their roles — so that resource modules
 * (accounts, members, contacts, invitations, notifications, ...) depend on
 * this module and never on each other.
 */
#include "account_store.h"

#include "body.h"
#include "caller.h"
#include "contacts_store.h"
#include "ldap_store.h"
#include "providers_store.h"
#include "result.h"
#include "sql_store.h"
#include "storefronts_store.h"
#include "subscriptions_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int account_brief(struct sql_store *sql, unsigned long long id, struct sql_result *r)
{
    return sql_exec(sql,
                    "SELECT SQL_CACHE id, parent_id, kind, name, status, handed_over_at IS NOT NULL"
                    " FROM accounts"
                    " WHERE id = ? AND ldap_state = 'done'",
                    SQL_ARGS(P_INT(id)), r);
}

int account_read(struct sql_store *sql, unsigned long long id, struct sql_result *r)
{
    return sql_exec(sql,
                    "SELECT SQL_CACHE " ACCOUNT_COLUMNS ","
                    " (SELECT JSON_OBJECTAGG(c.kind, c.uid) FROM account_contacts c"
                    "  WHERE c.account_id = accounts.id),"
                    " (SELECT JSON_OBJECTAGG(n.email, n.position)"
                    "  FROM notification_recipients n WHERE n.account_id = "
                    "accounts.id)," BILLING_OVERVIEW_COLUMNS "," STOREFRONT_OVERVIEW_COLUMN
                    " FROM accounts WHERE accounts.id = ? AND accounts.ldap_state = 'done'",
                    SQL_ARGS(P_INT(id)), r);
}

int account_lock(struct sql_store *sql, unsigned long long id, struct problem *refusal, char **name)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT name, status FROM accounts WHERE id = ? FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows != 1 || strcmp(sql_cell(&r, 0, 1), "closed") == 0)
        st = problem_set(refusal, 409, "conflict", "a closed account cannot be changed");
    else if (name)
        *name = xstrdup(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return st;
}

int account_check_version(struct sql_store *sql, unsigned long long id, unsigned long long expected,
                          struct problem *refusal)
{
    if (!expected)
        return ST_OK;
    struct sql_result r;
    int st = sql_exec(sql, "SELECT version FROM accounts WHERE id = ? FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1 && sql_cell_id(&r, 0, 0) != expected)
        st = problem_set(refusal, 412, "precondition-failed", ACCOUNT_STALE_DETAIL);
    sql_result_free(&r);
    return st;
}

int if_match_stale(struct request *req, json_t *body, int *stale)
{
    *stale = 0;
    long long im = body_expected_version(req, body, req->account.id);
    if (im < 0)
        return 1;
    if (im == 0)
        return 0;
    unsigned long long version = 0;
    int st = account_version_get(req->session->sql, req->account.id, &version);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return 1;
    }
    *stale = version != (unsigned long long)im;
    return 0;
}

int if_match_fails(struct request *req, json_t *body)
{
    int stale = 0;
    if (if_match_stale(req, body, &stale))
        return 1;
    if (stale) {
        refuse(req, 412, "precondition-failed", "%s", ACCOUNT_STALE_DETAIL);
        return 1;
    }
    return 0;
}

int account_touch(struct sql_store *sql, unsigned long long id)
{
    return sql_exec(sql,
                    "UPDATE accounts SET version = version + 1, updated_at = CURRENT_TIMESTAMP(6)"
                    " WHERE id = ?",
                    SQL_ARGS(P_INT(id)), NULL);
}

int account_version_get(struct sql_store *sql, unsigned long long id, unsigned long long *version)
{
    return sql_id(sql, "SELECT version FROM accounts WHERE id = ?", SQL_ARGS(P_INT(id)), version);
}

json_t *people_items(struct request *req, const struct role_group *groups, size_t ngroups,
                     unsigned long long account_id, json_t *(*roles)(unsigned), int *st)
{
    /* Every distinct member DN with its roles, each DN normalised once. */
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, account_id);
    const char **dns = xcalloc(ix.n + 1, sizeof(char *));
    for (size_t i = 0; i < ix.n; i++)
        dns[i] = ix.entries[i].raw;
    struct person *people = NULL;
    size_t npeople = 0;
    json_t *items = NULL;
    *st = ldap_store_people_by_dn(req->session->ldap, dns, ix.n, &people, &npeople);
    if (*st == ST_OK) {
        items = json_array();
        for (size_t p = 0; p < npeople; p++) {
            const struct member_entry *e = member_index_find(&ix, people[p].dn);
            json_array_append_new(items, json_pack("{s:s, s:s?, s:s?, s:o}", "uid", people[p].uid,
                                                   "name", people[p].name, "mail", people[p].mail,
                                                   "roles", roles(e ? e->roles : 0)));
            person_free(&people[p]);
        }
        free(people);
    }
    free(dns);
    member_index_free(&ix);
    return items;
}

json_t *members_json(struct request *req, unsigned long long id, int *st)
{
    struct role_group *groups;
    size_t ngroups;
    *st = ldap_store_role_groups(req->session->ldap, &id, 1, &groups, &ngroups);
    if (*st != ST_OK)
        return NULL;
    json_t *items = people_items(req, groups, ngroups, id, roles_json, st);
    role_groups_free(groups, ngroups);
    return items;
}

int contact_kinds_of(struct sql_store *sql, unsigned long long account_id, const char *uid,
                     unsigned *kinds)
{
    *kinds = 0;
    struct sql_result r;
    /* Without regard to case, as uid_equal (validate.h) and LDAP match
     * uids (round-24 walkthrough of seed 004, D1: the column is
     * utf8mb4_bin, and a contact whose uid an LDAP administrator lowered
     * could make herself a plain member). */
    int st = sql_exec(
        sql, "SELECT kind FROM account_contacts WHERE account_id = ? AND LOWER(uid) = LOWER(?)",
        SQL_ARGS(P_INT(account_id), P_STR(uid)), &r);
    for (size_t i = 0; st == ST_OK && i < r.nrows; i++)
        *kinds |= strcmp(sql_cell(&r, i, 0), "primary") == 0 ? CONTACT_PRIMARY : CONTACT_TECHNICAL;
    sql_result_free(&r);
    return st;
}

int account_name_get(struct sql_store *sql, unsigned long long id, char **name)
{
    struct sql_result r;
    *name = NULL;
    int st = sql_exec(sql, "SELECT name FROM accounts WHERE id = ?", SQL_ARGS(P_INT(id)), &r);
    if (st == ST_OK)
        *name = xstrdup(r.nrows == 1 ? sql_cell(&r, 0, 0) : "");
    sql_result_free(&r);
    return st;
}

int account_names_get2(struct sql_store *sql, unsigned long long a, unsigned long long b,
                       char **name_a, char **name_b)
{
    struct sql_result r;
    *name_a = *name_b = NULL;
    int st = sql_exec(sql, "SELECT id, name FROM accounts WHERE id IN (?, ?)",
                      SQL_ARGS(P_INT(a), P_INT(b)), &r);
    if (st != ST_OK)
        return st;
    const char *na = "", *nb = "";
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0);
        if (id == a)
            na = sql_cell(&r, i, 1);
        if (id == b)
            nb = sql_cell(&r, i, 1);
    }
    *name_a = xstrdup(na);
    *name_b = xstrdup(nb);
    sql_result_free(&r);
    return ST_OK;
}

int account_closed_get(struct sql_store *sql, unsigned long long id, int *closed, char **name)
{
    struct sql_result r;
    *closed = 0;
    *name = NULL;
    int st = sql_exec(
        sql, "SELECT name, status = 'closed' FROM accounts WHERE id = ? LOCK IN SHARE MODE",
        SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    *name = xstrdup(r.nrows == 1 ? sql_cell(&r, 0, 0) : "");
    *closed = r.nrows == 1 && strcmp(sql_cell(&r, 0, 1), "1") == 0;
    sql_result_free(&r);
    return ST_OK;
}

/* account_ancestors and account_with_ancestors: the chain from depth
 * from_depth (0: the account itself, 1: its parent) up, then the operator
 * account once more. */
static int account_chain(struct sql_store *sql, unsigned long long id, int from_depth,
                         struct account_above **out, size_t *n)
{
    struct sql_result r;
    *out = NULL;
    *n = 0;
    int st = sql_exec(sql,
                      "WITH RECURSIVE chain (id, parent_id, name, kind, closed, depth) AS ("
                      " SELECT id, parent_id, name, kind, status = 'closed', 0 FROM accounts"
                      " WHERE id = ?"
                      " UNION ALL"
                      " SELECT a.id, a.parent_id, a.name, a.kind, a.status = 'closed',"
                      " c.depth + 1 FROM accounts a"
                      " JOIN chain c ON a.id = c.parent_id WHERE c.depth < 32)"
                      " SELECT id, name, kind = 'operator', depth, closed FROM chain"
                      " WHERE depth >= ?"
                      " UNION ALL"
                      " SELECT id, name, 1, 1000, 0 FROM accounts"
                      " WHERE kind = 'operator' AND ldap_state = 'done'"
                      " ORDER BY 4, 1",
                      SQL_ARGS(P_INT(id), P_INT(from_depth)), &r);
    if (st != ST_OK)
        return st;
    *out = xcalloc(r.nrows + 1, sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++) {
        (*out)[i].id = sql_cell_id(&r, i, 0);
        (*out)[i].name = xstrdup(sql_cell(&r, i, 1) ? sql_cell(&r, i, 1) : "");
        (*out)[i].is_operator = sql_cell(&r, i, 2) && strcmp(sql_cell(&r, i, 2), "1") == 0;
        (*out)[i].closed = sql_cell(&r, i, 4) && strcmp(sql_cell(&r, i, 4), "1") == 0;
    }
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}

int account_ancestors(struct sql_store *sql, unsigned long long id, struct account_above **out,
                      size_t *n)
{
    return account_chain(sql, id, 1, out, n);
}

int account_with_ancestors(struct sql_store *sql, unsigned long long id, struct account_above **out,
                           size_t *n)
{
    return account_chain(sql, id, 0, out, n);
}

void account_ancestors_free(struct account_above *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        free(a[i].name);
    free(a);
}

int accounts_of_person(struct sql_store *sql, const char *uid, const char *ids_json,
                       struct sql_result *r)
{
    return sql_exec(sql,
                    "SELECT SQL_CACHE accounts.id, accounts.name, accounts.kind, accounts.status,"
                    " (SELECT news FROM person_preferences WHERE uid = ?),"
                    " (SELECT DATE_FORMAT(sp.expires_at, " PROVIDER_EXPIRES_AT_FORMAT ")"
                    "  FROM service_provider_access sp"
                    "  WHERE sp.account_id = accounts.id AND sp.uid = ?)," BILLING_OVERVIEW_COLUMNS
                    " FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j"
                    " JOIN accounts ON accounts.id = j.id AND accounts.ldap_state = 'done'",
                    SQL_ARGS(P_STR(uid), P_STR(uid), P_STR(ids_json)), r);
}

static const char *const ACCOUNT_ROW[2] = {
    "SELECT SQL_CACHE " ACCOUNT_COLUMNS " FROM accounts WHERE id = ? AND ldap_state = 'done'",
    "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ? AND ldap_state = 'done' FOR UPDATE",
};

int account_row(struct sql_store *sql, unsigned long long id, int lock, struct sql_result *r)
{
    return sql_exec(sql, ACCOUNT_ROW[lock ? 1 : 0], SQL_ARGS(P_INT(id)), r);
}

int account_update_fields(struct sql_store *sql, unsigned long long id, const char *name,
                          const char *const c[6], unsigned h)
{
    return sql_exec(
        sql,
        "UPDATE accounts SET name = COALESCE(?, name),"
        " company_name = IF(?, ?, company_name), company_street = IF(?, ?, company_street),"
        " company_postcode = IF(?, ?, company_postcode), company_city = IF(?, ?, company_city),"
        " company_country = IF(?, ?, company_country), company_vat_id = IF(?, ?, company_vat_id),"
        " version = version + 1, updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?",
        SQL_ARGS(P_STR(name), P_INT(h & 1), P_STR(c[0]), P_INT((h >> 1) & 1), P_STR(c[1]),
                 P_INT((h >> 2) & 1), P_STR(c[2]), P_INT((h >> 3) & 1), P_STR(c[3]),
                 P_INT((h >> 4) & 1), P_STR(c[4]), P_INT((h >> 5) & 1), P_STR(c[5]), P_INT(id)),
        NULL);
}

int account_close(struct sql_store *sql, unsigned long long id, char **old_status)
{
    struct sql_result r;
    *old_status = NULL;
    int st =
        sql_exec(sql, "SELECT status, intent_id IS NOT NULL FROM accounts WHERE id = ? FOR UPDATE",
                 SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    char *old = r.nrows == 1 ? xstrdup(sql_cell(&r, 0, 0)) : NULL;
    int guarded = r.nrows == 1 && strcmp(sql_cell(&r, 0, 1), "1") == 0;
    sql_result_free(&r);
    if (!old || strcmp(old, "closed") == 0) {
        free(old);
        return ST_NOT_FOUND;
    }
    /* A change of the account holds its guard (a role change, an accept,
     * a contact change: their LDAP step runs outside this transaction):
     * closing now would let it finish on a closed account (round-5
     * walkthrough of seed 003). */
    if (guarded) {
        free(old);
        return ST_CONFLICT;
    }
    st = sql_exec(sql,
                  "UPDATE accounts SET status = 'closed', closed_at = CURRENT_TIMESTAMP(6),"
                  " version = version + 1 WHERE id = ?",
                  SQL_ARGS(P_INT(id)), NULL);
    if (st != ST_OK) {
        free(old);
        return st;
    }
    *old_status = old;
    return ST_OK;
}

const char *account_default_plan(const char *kind)
{
    return strcmp(kind, "partner") == 0 ? "basic" : NULL;
}

int account_insert_pending(struct sql_store *sql, const char *kind, unsigned long long parent_id,
                           const char *name, const char *status, const char *const cv[6],
                           const char *created_by, unsigned long long *id)
{
    struct sql_result r;
    /* A reseller starts on basic (docs/api.md, "Catalog"). */
    const char *plan = account_default_plan(kind);
    int st =
        sql_exec(sql,
                 "INSERT INTO accounts (kind, parent_id, name, status, company_name,"
                 " company_street, company_postcode, company_city, company_country,"
                 " company_vat_id, created_by, plan, ldap_state)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                 SQL_ARGS(P_STR(kind), parent_id ? P_INT(parent_id) : P_NULL, P_STR(name),
                          P_STR(status), P_STR(cv[0]), P_STR(cv[1]), P_STR(cv[2]), P_STR(cv[3]),
                          P_STR(cv[4]), P_STR(cv[5]), P_STR(created_by), P_STR(plan)),
                 &r);
    if (st == ST_OK)
        *id = r.insert_id;
    sql_result_free(&r);
    return st;
}

int account_mark_done(struct sql_store *sql, unsigned long long id)
{
    struct sql_result r;
    int st = sql_exec(
        sql, "UPDATE accounts SET ldap_state = 'done' WHERE id = ? AND ldap_state = 'pending'",
        SQL_ARGS(P_INT(id)), &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_CONFLICT;
    sql_result_free(&r);
    return st;
}

int account_delete_pending(struct sql_store *sql, unsigned long long id)
{
    int st = sql_exec(sql,
                      "DELETE k FROM idempotency_keys k JOIN accounts a ON a.id = k.account_id"
                      " WHERE k.account_id = ? AND a.ldap_state = 'pending'",
                      SQL_ARGS(P_INT(id)), NULL);
    if (st == ST_OK)
        st = sql_exec(sql, "DELETE FROM accounts WHERE id = ? AND ldap_state = 'pending'",
                      SQL_ARGS(P_INT(id)), NULL);
    return st;
}

int idempotency_key_insert(struct sql_store *sql, const char *uid, const char *key,
                           unsigned long long account_id, const char *request)
{
    return sql_exec(sql,
                    "INSERT INTO idempotency_keys (uid, idem_key, account_id, request)"
                    " VALUES (?, ?, ?, ?)",
                    SQL_ARGS(P_STR(uid), P_STR(key), P_INT(account_id), P_STR(request)), NULL);
}

int idempotency_key_keep_answer(struct sql_store *sql, const char *uid, const char *key,
                                const char *answer)
{
    return sql_exec(sql, "UPDATE idempotency_keys SET answer = ? WHERE uid = ? AND idem_key = ?",
                    SQL_ARGS(P_STR(answer), P_STR(uid), P_STR(key)), NULL);
}

int idempotency_key_find(struct sql_store *sql, const char *uid, const char *key,
                         unsigned long long *id, int *done, char **request, char **answer)
{
    struct sql_result r;
    *request = NULL;
    *answer = NULL;
    int st =
        sql_exec(sql,
                 "SELECT k.account_id, a.ldap_state, k.request, k.answer FROM idempotency_keys k"
                 " JOIN accounts a ON a.id = k.account_id WHERE k.uid = ? AND k.idem_key = ?",
                 SQL_ARGS(P_STR(uid), P_STR(key)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else {
        *id = sql_cell_id(&r, 0, 0);
        *done = strcmp(sql_cell(&r, 0, 1), "done") == 0;
        *request = sql_cell(&r, 0, 2) ? xstrdup(sql_cell(&r, 0, 2)) : NULL;
        *answer = sql_cell(&r, 0, 3) ? xstrdup(sql_cell(&r, 0, 3)) : NULL;
    }
    sql_result_free(&r);
    return st;
}

/* account_open_children's columns 0-4 (id, kind, name, how many in all,
 * the storefront) and its WHERE tail, shared by the light read (before the
 * close's transaction) and the one with the facts (in it), which adds its
 * columns and joins between them. */
#define OPEN_CHILDREN_HEAD                                                                         \
    "SELECT accounts.id, accounts.kind, accounts.name,"                                            \
    " COUNT(*) OVER ()," STOREFRONT_OVERVIEW_COLUMN
#define OPEN_CHILDREN_TAIL                                                                         \
    " WHERE accounts.parent_id = ? AND accounts.status <> 'closed'"                                \
    " AND accounts.ldap_state = 'done' ORDER BY accounts.id LIMIT ?"

int account_open_children(struct sql_store *sql, unsigned long long id, size_t cap, int facts,
                          struct open_child **out, size_t *n, unsigned long *total)
{
    *out = NULL;
    *n = 0;
    *total = 0;
    struct sql_result r;
    int st =
        facts ? sql_exec(
                    sql,
                    OPEN_CHILDREN_HEAD
                    ", accounts.kind = 'customer' AND EXISTS (SELECT 1 FROM customer_relations cr"
                    " WHERE cr.partner_id = accounts.parent_id AND cr.customer_id = accounts.id"
                    " AND cr.status = 'active'),"
                    " COALESCE(inv.n, 0), TRIM(CONCAT_WS(' ', inv.first_name, inv.last_name)),"
                    " inv.email, inv.purpose = 'contact'"
                    " FROM accounts"
                    /* The pending admin invitations of the children (those
                     * that make their invitee an administrator on
                     * acceptance): how many, and the oldest one. */
                    " LEFT JOIN (SELECT i.account_id, i.first_name, i.last_name, i.email,"
                    " i.purpose, ROW_NUMBER() OVER (PARTITION BY i.account_id ORDER BY i.id) rn,"
                    " COUNT(*) OVER (PARTITION BY i.account_id) n"
                    " FROM invitations i JOIN accounts ch ON ch.id = i.account_id"
                    " AND ch.parent_id = ?"
                    " WHERE i.role = 'admin' AND i.status = 'pending'"
                    " AND i.purpose IN ('member', 'contact')"
                    " AND i.expires_at > CURRENT_TIMESTAMP(6)) inv"
                    " ON inv.account_id = accounts.id AND inv.rn = 1" OPEN_CHILDREN_TAIL,
                    SQL_ARGS(P_INT(id), P_INT(id), P_INT(cap)), &r)
              : sql_exec(sql, OPEN_CHILDREN_HEAD " FROM accounts" OPEN_CHILDREN_TAIL,
                         SQL_ARGS(P_INT(id), P_INT(cap)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows) {
        *out = xcalloc(r.nrows, sizeof(**out));
        for (size_t i = 0; i < r.nrows; i++) {
            struct open_child *c = &(*out)[i];
            c->id = sql_cell_id(&r, i, 0);
            snprintf(c->kind, sizeof(c->kind), "%s", sql_cell(&r, i, 1) ? sql_cell(&r, i, 1) : "");
            c->name = xstrdup(sql_cell(&r, i, 2) ? sql_cell(&r, i, 2) : "");
            c->storefront = sql_cell(&r, i, 4) ? xstrdup(sql_cell(&r, i, 4)) : NULL;
            if (!facts)
                continue;
            c->related = sql_cell(&r, i, 5) && strcmp(sql_cell(&r, i, 5), "1") == 0;
            c->invitee.count = sql_cell(&r, i, 6) ? strtoul(sql_cell(&r, i, 6), NULL, 10) : 0;
            c->invitee.name =
                sql_cell(&r, i, 7) && *sql_cell(&r, i, 7) ? xstrdup(sql_cell(&r, i, 7)) : NULL;
            c->invitee.mail = sql_cell(&r, i, 8) ? xstrdup(sql_cell(&r, i, 8)) : NULL;
            c->invitee.contact = sql_cell(&r, i, 9) && strcmp(sql_cell(&r, i, 9), "1") == 0;
        }
        *n = r.nrows;
        *total = strtoul(sql_cell(&r, 0, 3), NULL, 10);
    }
    sql_result_free(&r);
    return ST_OK;
}

int account_children_among(struct sql_store *sql, unsigned long long parent, const char *ids_json,
                           const char *uid, size_t cap, struct held_child **out, size_t *n,
                           unsigned long *total)
{
    *out = NULL;
    *n = 0;
    *total = 0;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT accounts.id, accounts.name, LOWER(accounts.created_by) = LOWER(?),"
                      " COUNT(*) OVER ()"
                      " FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j"
                      " JOIN accounts ON accounts.id = j.id AND accounts.parent_id = ?"
                      " AND accounts.status <> 'closed' AND accounts.ldap_state = 'done'"
                      " ORDER BY accounts.id LIMIT ?",
                      SQL_ARGS(P_STR(uid), P_STR(ids_json), P_INT(parent), P_INT(cap)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows) {
        *out = xcalloc(r.nrows, sizeof(**out));
        for (size_t i = 0; i < r.nrows; i++) {
            struct held_child *c = &(*out)[i];
            c->id = sql_cell_id(&r, i, 0);
            c->name = xstrdup(sql_cell(&r, i, 1) ? sql_cell(&r, i, 1) : "");
            c->created = sql_cell(&r, i, 2) && strcmp(sql_cell(&r, i, 2), "1") == 0;
        }
        *n = r.nrows;
        *total = strtoul(sql_cell(&r, 0, 3), NULL, 10);
    }
    sql_result_free(&r);
    return ST_OK;
}

void account_held_children_free(struct held_child *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

void account_open_children_free(struct open_child *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        free(c[i].storefront);
        free(c[i].invitee.name);
        free(c[i].invitee.mail);
    }
    free(c);
}
