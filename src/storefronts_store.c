#include "storefronts_store.h"

#include "audit.h"
#include "buf.h"
#include "providers_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The host key of a distributor's storefronts: its own storefront host in
 * lower case, '' for the config's (storefronts.host, migration 013). */
#define DISTRIBUTOR_HOST_KEY                                                                       \
    "(SELECT LOWER(COALESCE(storefront_host, '')) FROM accounts WHERE id = ?)"

int storefronts_store_claim(struct sql_store *sql, unsigned long long distributor_id,
                            unsigned long long account_id, const char *alias,
                            unsigned long long *storefront_id, char **alias_out, char **old_alias,
                            int *was_cancelled)
{
    struct sql_result r;
    *old_alias = NULL;
    *was_cancelled = 0;
    int st = sql_exec(sql,
                      "SELECT id, alias, status FROM storefronts WHERE account_id = ?"
                      " AND distributor_id = ? FOR UPDATE",
                      SQL_ARGS(P_INT(account_id), P_INT(distributor_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        if (!alias)
            return ST_NOT_FOUND;
        st = sql_exec(
            sql,
            "INSERT INTO storefronts (distributor_id, host, account_id, alias)"
            " VALUES (?, " DISTRIBUTOR_HOST_KEY ", ?, ?)",
            SQL_ARGS(P_INT(distributor_id), P_INT(distributor_id), P_INT(account_id), P_STR(alias)),
            &r);
        if (st != ST_OK)
            return st;
        *storefront_id = r.insert_id;
        *alias_out = xstrdup(alias);
        sql_result_free(&r);
        return ST_OK;
    }
    *storefront_id = sql_cell_id(&r, 0, 0);
    *alias_out = xstrdup(alias ? alias : sql_cell(&r, 0, 1));
    *old_alias = xstrdup(sql_cell(&r, 0, 1));
    *was_cancelled = strcmp(sql_cell(&r, 0, 2), "active") != 0;
    sql_result_free(&r);
    /* The kept storefront comes back (with a new alias if one was given). */
    st = sql_exec(sql,
                  "UPDATE storefronts SET alias = ?, status = 'active', cancelled_at = NULL,"
                  " retain_until = NULL WHERE id = ?",
                  SQL_ARGS(P_STR(*alias_out), P_INT(*storefront_id)), NULL);
    if (st != ST_OK) {
        free(*alias_out);
        *alias_out = NULL;
        free(*old_alias);
        *old_alias = NULL;
    }
    return st;
}

/* The nearest account of kind distributor or operator at depth >=
 * min_depth above account_id (0: the account itself counts). */
static int nearest_distributor(struct sql_store *sql, unsigned long long account_id, int min_depth,
                               unsigned long long *distributor_id)
{
    *distributor_id = 0;
    return sql_id(sql,
                  "WITH RECURSIVE up (id, parent_id, kind, depth) AS ("
                  " SELECT id, parent_id, kind, 0 FROM accounts WHERE id = ?"
                  " UNION ALL SELECT a.id, a.parent_id, a.kind, up.depth + 1 FROM accounts a"
                  " JOIN up ON a.id = up.parent_id WHERE up.depth < 64)"
                  " SELECT id FROM up WHERE depth >= ? AND kind IN ('distributor', 'operator')"
                  " ORDER BY depth LIMIT 1",
                  SQL_ARGS(P_INT(account_id), P_INT(min_depth)), distributor_id);
}

int storefronts_store_distributor(struct sql_store *sql, unsigned long long account_id,
                                  unsigned long long *distributor_id)
{
    return nearest_distributor(sql, account_id, 1, distributor_id);
}

int storefronts_store_resolve_distributor(struct sql_store *sql, unsigned long long account_id,
                                          unsigned long long *distributor_id)
{
    return nearest_distributor(sql, account_id, 0, distributor_id);
}

int storefronts_store_cancel(struct sql_store *sql, unsigned long long id, const char *ended_at,
                             int retention_days)
{
    return sql_exec(sql,
                    "UPDATE storefronts SET status = 'cancelled', cancelled_at = ?,"
                    " retain_until = ? + INTERVAL ? DAY WHERE id = ?",
                    SQL_ARGS(P_STR(ended_at), P_STR(ended_at), P_INT(retention_days), P_INT(id)),
                    NULL);
}

#define STOREFRONT_COLUMNS                                                                         \
    "s.account_id, s.distributor_id, s.alias,"                                                     \
    " CONCAT('https://', COALESCE(d.storefront_host, ?), '/', s.alias), s.status,"                 \
    " DATE_FORMAT(s.retain_until, '%Y-%m-%dT%H:%i:%sZ')"

static json_t *storefront_row_json(const struct sql_result *r, size_t i)
{
    const char *retain = sql_cell(r, i, 5);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "account_id", sql_cell(r, i, 0),
                     "distributor_id", sql_cell(r, i, 1), "alias", sql_cell(r, i, 2), "url",
                     sql_cell(r, i, 3), "status", sql_cell(r, i, 4), "retain_until",
                     retain ? json_string(retain) : json_null());
}

json_t *storefront_overview_json(const char *cell, const char *default_host)
{
    json_t *o = cell ? json_loads(cell, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return json_null();
    }
    const char *host = json_string_value(json_object_get(o, "host"));
    const char *alias = json_string_value(json_object_get(o, "alias"));
    struct buf url = {0};
    buf_printf(&url, "https://%s/%s", host ? host : default_host, alias ? alias : "");
    json_object_del(o, "host");
    json_object_set_new(o, "url", json_string(buf_str(&url)));
    buf_free(&url);
    return o;
}

int storefronts_store_by_alias(struct sql_store *sql, const char *default_host, const char *alias,
                               unsigned long long distributor_id, const char *host_key,
                               json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT " STOREFRONT_COLUMNS " FROM storefronts s"
                      " JOIN accounts d ON d.id = s.distributor_id"
                      " WHERE s.alias = ? AND (? = 0 OR s.host = " DISTRIBUTOR_HOST_KEY ")"
                      " AND (? IS NULL OR s.host = ?) LIMIT 2",
                      SQL_ARGS(P_STR(default_host), P_STR(alias), P_INT(distributor_id),
                               P_INT(distributor_id), P_STR(host_key), P_STR(host_key)),
                      &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else if (r.nrows > 1)
        st = ST_CONFLICT;
    else
        *out = storefront_row_json(&r, 0);
    sql_result_free(&r);
    return st;
}

int storefronts_store_json(struct sql_store *sql, const char *default_host, unsigned long long id,
                           json_t **out)
{
    *out = json_null();
    if (!id)
        return ST_OK;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT " STOREFRONT_COLUMNS " FROM storefronts s"
                      " JOIN accounts d ON d.id = s.distributor_id WHERE s.id = ?",
                      SQL_ARGS(P_STR(default_host), P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows)
        *out = storefront_row_json(&r, 0);
    sql_result_free(&r);
    return ST_OK;
}

int storefronts_store_of_account(struct sql_store *sql, unsigned long long account_id,
                                 unsigned long long *id)
{
    *id = 0;
    int st = sql_id(sql, "SELECT id FROM storefronts WHERE account_id = ? ORDER BY id DESC LIMIT 1",
                    SQL_ARGS(P_INT(account_id)), id);
    return st == ST_NOT_FOUND ? ST_OK : st;
}

int storefronts_store_available(struct sql_store *sql, const char *alias,
                                unsigned long long distributor_id, const char *host_key,
                                int *available)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT 1 FROM storefronts WHERE alias = ?"
                      " AND (? = 0 OR host = " DISTRIBUTOR_HOST_KEY ")"
                      " AND (? IS NULL OR host = ?) LIMIT 1",
                      SQL_ARGS(P_STR(alias), P_INT(distributor_id), P_INT(distributor_id),
                               P_STR(host_key), P_STR(host_key)),
                      &r);
    if (st != ST_OK)
        return st;
    *available = r.nrows == 0;
    sql_result_free(&r);
    return ST_OK;
}

/* The sign-in rule, one text for the gate (storefronts_store_sign_in) and
 * storefronts_store_of_customer so that the two cannot drift: the CTEs
 * (after WITH) chain and admitted. roots: the FROM tail that picks the
 * starting accounts as `a`; open: whether such an origin counts as open.
 * chain: each origin (with its parent and whether it is open) and the
 * accounts above it (at most 32). admitted (origin, partner_id): the
 * resellers whose customer an open origin is (round-19 walkthrough of seed
 * 002, D2):
 * - an account above it (a customer below the reseller: child,
 *   grandchild), when neither its relation with that account nor the one
 *   with its own parent, where one was recorded, is other than active
 *   (ended; pending, declined or withdrawn again after an end: the row is
 *   reused, so only an active one is a customer's);
 * - a partner it has an active customer relation with (a customer by
 *   relation, under another parent).
 * The relations are read by ix_customer_relations_customer, from the
 * chain's few rows (STRAIGHT_JOIN: the optimizer otherwise may scan a
 * small customer_relations instead). */
#define SIGN_IN_RULE_CTES(roots, open)                                                             \
    "RECURSIVE chain (origin, origin_parent, origin_open, id, parent_id, depth) AS ("              \
    " SELECT a.id, a.parent_id, " open ", a.id, a.parent_id, 0 FROM accounts a " roots             \
    " UNION ALL"                                                                                   \
    " SELECT c.origin, c.origin_parent, c.origin_open, a.id, a.parent_id, c.depth + 1"             \
    " FROM accounts a JOIN chain c ON a.id = c.parent_id WHERE c.depth < 32),"                     \
    " admitted (origin, partner_id) AS ("                                                          \
    " SELECT c.origin, c.id FROM chain c WHERE c.depth > 0 AND c.origin_open AND NOT EXISTS ("     \
    "  SELECT 1 FROM customer_relations r WHERE r.customer_id = c.origin"                          \
    "  AND r.partner_id IN (c.id, c.origin_parent) AND r.status <> 'active')"                      \
    " UNION SELECT c.origin, r.partner_id FROM chain c STRAIGHT_JOIN"                              \
    " customer_relations r ON r.customer_id = c.origin"                                            \
    " WHERE c.depth = 0 AND c.origin_open AND r.status = 'active')"

/* The gate's origins: the caller's accounts (a JSON array of ids). */
#define SIGN_IN_GATE_CTES                                                                          \
    SIGN_IN_RULE_CTES(                                                                             \
        "JOIN JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j ON a.id = j.id",       \
        "a.status <> 'closed'")

int storefronts_store_shop_page_holders(struct sql_store *sql, const char *names_json, char ***out,
                                        size_t *n)
{
    return sql_strings(sql,
                       "SELECT DISTINCT LOWER(alias) FROM storefronts"
                       " WHERE JSON_CONTAINS(?, JSON_QUOTE(LOWER(alias)))",
                       SQL_ARGS(P_STR(names_json)), out, n);
}

int storefronts_store_sign_in(struct sql_store *sql, const char *default_host, const char *host,
                              const char *const *aliases, size_t naliases, const char *uid,
                              const char *accounts_json, struct storefront_sign_in **out, size_t *n)
{
    struct sql_result r;
    *out = NULL;
    *n = 0;
    /* The readings' aliases in one statement (round-27 walkthrough of
     * seed 002, D1): a fixed IN list of STOREFRONT_SIGN_IN_ALIASES, the
     * last alias repeated in the slots left, so the text stays one. */
    if (naliases < 1 || naliases > STOREFRONT_SIGN_IN_ALIASES)
        return ST_ERROR;
    const char *a[STOREFRONT_SIGN_IN_ALIASES];
    for (size_t i = 0; i < STOREFRONT_SIGN_IN_ALIASES; i++)
        a[i] = aliases[i < naliases ? i : naliases - 1];
    /* The caller's accounts (origins) admit: at depth 0, when one is the
     * storefront's account itself (open or not: a closed reseller's
     * storefront runs to its term end) or its distributor while that is
     * not closed (the distributor's other resellers are below the
     * distributor, not in it; a closed distributor's row comes back marked
     * via_closed_distributor, so that the gate can say why: round-22
     * walkthrough of seed 002, D1);
     * and when the storefront's account is one of the resellers the
     * sign-in rule admits it to (SIGN_IN_RULE_CTES). */
    int st =
        sql_exec(sql,
                 "SELECT SQL_CACHE DISTINCT s.status = 'active', c.origin,"
                 " (SELECT DATE_FORMAT(sp.expires_at, " PROVIDER_EXPIRES_AT_FORMAT ")"
                 "  FROM service_provider_access sp WHERE sp.account_id = c.origin AND sp.uid = ?),"
                 " c.partner_id = s.distributor_id AND NOT c.origin_open, s.id"
                 " FROM storefronts s"
                 " LEFT JOIN (WITH " SIGN_IN_GATE_CTES
                 "  SELECT origin, id AS partner_id, 1 AS own, origin_open FROM chain"
                 "  WHERE depth = 0"
                 "  UNION ALL SELECT origin, partner_id, 0, 1 FROM admitted) c"
                 " ON c.partner_id = s.account_id OR (c.own AND c.partner_id = s.distributor_id)"
                 " WHERE s.alias IN (?, ?, ?, ?)"
                 " AND (SUBSTRING_INDEX(s.host, ':', 1) = LOWER(?) OR (s.host = ''"
                 " AND LOWER(SUBSTRING_INDEX(?, ':', 1)) = LOWER(?)))",
                 SQL_ARGS(P_STR(uid), P_STR(accounts_json), P_STR(a[0]), P_STR(a[1]), P_STR(a[2]),
                          P_STR(a[3]), P_STR(host), P_STR(default_host), P_STR(host)),
                 &r);
    if (st != ST_OK)
        return st;
    *out = xcalloc(r.nrows + 1, sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++) {
        (*out)[i].storefront_id = sql_cell_id(&r, i, 4);
        (*out)[i].active = strcmp(sql_cell(&r, i, 0), "1") == 0;
        (*out)[i].via = sql_cell(&r, i, 1) ? sql_cell_id(&r, i, 1) : 0;
        (*out)[i].via_sp_expires_at = sql_cell(&r, i, 2) ? xstrdup(sql_cell(&r, i, 2)) : NULL;
        (*out)[i].via_closed_distributor =
            sql_cell(&r, i, 3) && strcmp(sql_cell(&r, i, 3), "1") == 0;
    }
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}

void storefront_sign_in_free(struct storefront_sign_in *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].via_sp_expires_at);
    free(v);
}

int storefronts_store_of_customer(struct sql_store *sql, const char *default_host,
                                  unsigned long long account_id, int open_only, int limit,
                                  json_t **out)
{
    *out = NULL;
    struct sql_result r;
    /* The resellers whose customer it is (SIGN_IN_RULE_CTES, the gate's
     * rule), then their live storefronts (uq_storefronts_account).
     * open_only: a closed account has no resellers (the gate's
     * origin_open); without it, a closed account's are listed too. */
    int st = sql_exec(
        sql,
        "WITH " SIGN_IN_RULE_CTES(
            "WHERE a.id = ?",
            "(? = 0 OR a.status <> 'closed')") " SELECT r.name, CONCAT('https://', "
                                               "COALESCE(d.storefront_host, ?), '/', s.alias)"
                                               " FROM (SELECT DISTINCT partner_id FROM admitted) k"
                                               " JOIN storefronts s ON s.account_id = k.partner_id "
                                               "AND s.status = 'active'"
                                               " JOIN accounts r ON r.id = s.account_id JOIN "
                                               "accounts d ON d.id = s.distributor_id"
                                               " ORDER BY s.id LIMIT ?",
        SQL_ARGS(P_INT(open_only ? 1 : 0), P_INT(account_id), P_STR(default_host), P_INT(limit)),
        &r);
    if (st != ST_OK)
        return st;
    *out = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(
            *out, json_pack("{s:s, s:s}", "name", sql_cell(&r, i, 0), "url", sql_cell(&r, i, 1)));
    sql_result_free(&r);
    return ST_OK;
}

int storefronts_store_children_admitted(struct sql_store *sql, unsigned long long account_id,
                                        unsigned long long **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    struct sql_result r;
    /* The children as the rule's origins, those admitted at account_id
     * (the chain's depth 1, or an active relation with it). */
    int st = sql_exec(sql,
                      "WITH " SIGN_IN_RULE_CTES("WHERE a.parent_id = ? AND a.ldap_state = 'done'",
                                                "a.status <> 'closed'") " SELECT DISTINCT origin"
                                                                        " FROM admitted"
                                                                        " WHERE partner_id = ?"
                                                                        " ORDER BY origin",
                      SQL_ARGS(P_INT(account_id), P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows) {
        *ids = xcalloc(r.nrows, sizeof(**ids));
        for (size_t i = 0; i < r.nrows; i++)
            (*ids)[i] = sql_cell_id(&r, i, 0);
        *n = r.nrows;
    }
    sql_result_free(&r);
    return ST_OK;
}

int storefronts_store_own_live(struct sql_store *sql, const char *default_host,
                               unsigned long long account_id, char **url, char **ends_at,
                               char **plan_name)
{
    *url = NULL;
    *ends_at = NULL;
    *plan_name = NULL;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT CONCAT('https://', COALESCE(d.storefront_host, ?), '/', s.alias),"
                      " DATE_FORMAT(u.ends_at, '%Y-%m-%dT%H:%i:%sZ'), p.name"
                      " FROM (SELECT id, alias, distributor_id FROM storefronts"
                      "  WHERE account_id = ? AND status = 'active' ORDER BY id DESC LIMIT 1) s"
                      " JOIN accounts d ON d.id = s.distributor_id"
                      " LEFT JOIN subscriptions u ON u.id = (SELECT v.id FROM subscriptions v"
                      "  WHERE v.storefront_id = s.id"
                      "  AND v.status IN ('active', 'pending_cancellation')"
                      "  ORDER BY v.ends_at DESC LIMIT 1)"
                      " LEFT JOIN plans p ON p.code = u.plan",
                      SQL_ARGS(P_STR(default_host), P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows) {
        *url = xstrdup(sql_cell(&r, 0, 0));
        *ends_at = sql_cell(&r, 0, 1) ? xstrdup(sql_cell(&r, 0, 1)) : NULL;
        *plan_name = sql_cell(&r, 0, 2) ? xstrdup(sql_cell(&r, 0, 2)) : NULL;
    }
    sql_result_free(&r);
    return ST_OK;
}

int storefronts_store_purge(struct sql_store *sql, const char *now, int *purged)
{
    *purged = 0;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT id, account_id, distributor_id, alias FROM storefronts"
                      " WHERE status = 'cancelled' AND retain_until <= ? ORDER BY id",
                      SQL_ARGS(P_STR(now)), &r);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; i < r.nrows && st == ST_OK; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0);
        /* Subscriptions keep their history; the storefront is gone. */
        st = sql_exec(sql, "UPDATE subscriptions SET storefront_id = NULL WHERE storefront_id = ?",
                      SQL_ARGS(P_INT(id)), NULL);
        struct sql_result d = {0};
        if (st == ST_OK)
            st = sql_exec(sql,
                          "DELETE FROM storefronts WHERE id = ? AND status = 'cancelled'"
                          " AND retain_until <= ?",
                          SQL_ARGS(P_INT(id), P_STR(now)), &d);
        if (st == ST_OK && d.affected == 1) {
            (*purged)++;
            st = audit_write(sql, "accountd-maint", sql_cell_id(&r, i, 1), "storefront.purge",
                             json_pack("{s:s, s:s}", "alias", sql_cell(&r, i, 3), "distributor_id",
                                       sql_cell(&r, i, 2)),
                             NULL);
        }
        sql_result_free(&d);
    }
    sql_result_free(&r);
    return st;
}

int storefronts_store_set_host(struct sql_store *sql, unsigned long long distributor_id,
                               const char *host, char **old)
{
    struct sql_result r;
    *old = NULL;
    int st = sql_exec(sql, "SELECT storefront_host FROM accounts WHERE id = ? FOR UPDATE",
                      SQL_ARGS(P_INT(distributor_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows && sql_cell(&r, 0, 0))
        *old = xstrdup(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    st = sql_exec(sql, "UPDATE accounts SET storefront_host = ? WHERE id = ?",
                  SQL_ARGS(P_STR(host), P_INT(distributor_id)), NULL);
    /* Another distributor has a host of that name (the UNIQUE index on
     * storefront_host_name, migration 022). */
    if (st == ST_DUPLICATE)
        return ST_CONFLICT;
    /* Its storefronts move to the new host: 1062 when one of their aliases
     * is taken there (ST_DUPLICATE). */
    if (st == ST_OK)
        st = sql_exec(
            sql, "UPDATE storefronts SET host = LOWER(COALESCE(?, '')) WHERE distributor_id = ?",
            SQL_ARGS(P_STR(host), P_INT(distributor_id)), NULL);
    return st;
}

int storefronts_store_host_served(struct sql_store *sql, const char *host_key, int *served)
{
    unsigned long long id = 0;
    /* By the unique index on the host's name (migration 022): the public
     * alias lookup read every account before (LOWER() on the column). */
    int st =
        sql_id(sql,
               "SELECT id FROM accounts WHERE storefront_host_name = SUBSTRING_INDEX(?, ':', 1)"
               " AND LOWER(storefront_host) = ? LIMIT 1",
               SQL_ARGS(P_STR(host_key), P_STR(host_key)), &id);
    *served = st == ST_OK;
    return st == ST_NOT_FOUND ? ST_OK : st;
}

int storefronts_store_host(struct sql_store *sql, unsigned long long distributor_id, json_t **out)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT storefront_host FROM accounts WHERE id = ?",
                      SQL_ARGS(P_INT(distributor_id)), &r);
    if (st != ST_OK)
        return st;
    const char *h = r.nrows ? sql_cell(&r, 0, 0) : NULL;
    *out = h ? json_string(h) : json_null();
    sql_result_free(&r);
    return ST_OK;
}

/* Rows (account_id, account name, alias) as a list of resellers; frees r. */
static int resellers_of(struct sql_result *r, struct storefront_reseller **out, size_t *n)
{
    if (r->nrows) {
        *out = xcalloc(r->nrows, sizeof(**out));
        for (size_t i = 0; i < r->nrows; i++) {
            (*out)[i].account_id = sql_cell_id(r, i, 0);
            (*out)[i].account_name = xstrdup(sql_cell(r, i, 1) ? sql_cell(r, i, 1) : "");
            (*out)[i].alias = xstrdup(sql_cell(r, i, 2));
        }
        *n = r->nrows;
    }
    sql_result_free(r);
    return ST_OK;
}

int storefronts_store_live_of_distributor(struct sql_store *sql, unsigned long long distributor_id,
                                          struct storefront_reseller **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT s.account_id, a.name, s.alias FROM storefronts s"
                      " JOIN accounts a ON a.id = s.account_id"
                      " WHERE s.distributor_id = ? AND s.status = 'active' ORDER BY s.account_id",
                      SQL_ARGS(P_INT(distributor_id)), &r);
    return st == ST_OK ? resellers_of(&r, out, n) : st;
}

int storefronts_store_host_clashes(struct sql_store *sql, unsigned long long distributor_id,
                                   const char *host, size_t max, struct storefront_reseller **out,
                                   size_t *n)
{
    *out = NULL;
    *n = 0;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT s.account_id, a.name, s.alias FROM storefronts s"
                      " JOIN accounts a ON a.id = s.account_id"
                      " JOIN storefronts o ON o.host = LOWER(COALESCE(?, '')) AND o.alias = s.alias"
                      " AND o.distributor_id <> s.distributor_id"
                      " WHERE s.distributor_id = ? ORDER BY s.account_id LIMIT ?",
                      SQL_ARGS(P_STR(host), P_INT(distributor_id), P_INT(max)), &r);
    return st == ST_OK ? resellers_of(&r, out, n) : st;
}

void storefront_resellers_free(struct storefront_reseller *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].account_name);
        free(list[i].alias);
    }
    free(list);
}
