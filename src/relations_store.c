#include "relations_store.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELATION_COLUMNS                                                                           \
    "r.id, r.partner_id, r.customer_id, r.status, r.requested_by,"                                 \
    " DATE_FORMAT(r.created_at, '%Y-%m-%dT%H:%i:%sZ'), r.decided_by,"                              \
    " DATE_FORMAT(r.decided_at, '%Y-%m-%dT%H:%i:%sZ'), r.ended_by,"                                \
    " DATE_FORMAT(r.ended_at, '%Y-%m-%dT%H:%i:%sZ')"

/* The columns after RELATION_COLUMNS start here. */
#define RELATION_NCOLUMNS 10

static json_t *relation_json(const struct sql_result *r, size_t row)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "id",
                     sql_cell(r, row, 0), "partner_id", sql_cell(r, row, 1), "customer_id",
                     sql_cell(r, row, 2), "status", sql_cell(r, row, 3), "requested_by",
                     sql_cell(r, row, 4), "created_at", sql_cell(r, row, 5), "decided_by",
                     sql_cell(r, row, 6), "decided_at", sql_cell(r, row, 7), "ended_by",
                     sql_cell(r, row, 8), "ended_at", sql_cell(r, row, 9));
}

int relation_insert(struct sql_store *sql, unsigned long long partner_id,
                    unsigned long long customer_id, const char *status, const char *requested_by,
                    int by_staff, unsigned long long *id)
{
    struct sql_result r;
    int st = sql_exec(
        sql,
        "INSERT INTO customer_relations (partner_id, customer_id, status,"
        " requested_by, requested_by_staff, decided_by, decided_at) VALUES (?, ?, ?, ?, ?,"
        " IF(? = 'active', ?, NULL), IF(? = 'active', CURRENT_TIMESTAMP(6), NULL))",
        SQL_ARGS(P_INT(partner_id), P_INT(customer_id), P_STR(status), P_STR(requested_by),
                 P_INT(by_staff ? 1 : 0), P_STR(status), P_STR(requested_by), P_STR(status)),
        &r);
    if (st == ST_OK) {
        *id = r.insert_id;
        sql_result_free(&r);
    }
    return st;
}

int relation_sides(struct sql_store *sql, unsigned long long id, unsigned long long *partner,
                   unsigned long long *customer)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT partner_id, customer_id FROM customer_relations WHERE id = ?",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1) {
        *partner = sql_cell_id(&r, 0, 0);
        *customer = sql_cell_id(&r, 0, 1);
    } else {
        st = ST_NOT_FOUND;
    }
    sql_result_free(&r);
    return st;
}

int relation_lock(struct sql_store *sql, unsigned long long id, json_t **out)
{
    return sql_row_json(sql,
                        "SELECT " RELATION_COLUMNS " FROM customer_relations r WHERE r.id = ?"
                        " FOR UPDATE",
                        SQL_ARGS(P_INT(id)), relation_json, out);
}

int relation_lock_pair(struct sql_store *sql, unsigned long long partner_id,
                       unsigned long long customer_id, json_t **out)
{
    return sql_row_json(sql,
                        "SELECT " RELATION_COLUMNS " FROM customer_relations r"
                        " WHERE r.partner_id = ? AND r.customer_id = ? FOR UPDATE",
                        SQL_ARGS(P_INT(partner_id), P_INT(customer_id)), relation_json, out);
}

int relation_reopen(struct sql_store *sql, unsigned long long id, const char *requested_by,
                    int by_staff)
{
    return sql_exec(sql,
                    "UPDATE customer_relations SET status = 'pending', requested_by = ?,"
                    " requested_by_staff = requested_by_staff OR ?,"
                    " created_at = CURRENT_TIMESTAMP(6), decided_by = NULL, decided_at = NULL,"
                    " ended_by = NULL, ended_at = NULL"
                    " WHERE id = ? AND status IN ('declined', 'withdrawn', 'ended')",
                    SQL_ARGS(P_STR(requested_by), P_INT(by_staff ? 1 : 0), P_INT(id)), NULL);
}

int relation_end(struct sql_store *sql, unsigned long long id, const char *uid)
{
    return sql_exec(sql,
                    "UPDATE customer_relations SET status = 'ended', ended_by = ?,"
                    " ended_at = CURRENT_TIMESTAMP(6) WHERE id = ? AND status = 'active'",
                    SQL_ARGS(P_STR(uid), P_INT(id)), NULL);
}

int relations_pending_of(struct sql_store *sql, unsigned long long account_id, int lock,
                         struct sql_result *out)
{
    static const char *const PENDING[2] = {
        "SELECT id, partner_id, customer_id FROM customer_relations"
        " WHERE status = 'pending' AND (partner_id = ? OR customer_id = ?) ORDER BY id",
        "SELECT id, partner_id, customer_id FROM customer_relations"
        " WHERE status = 'pending' AND (partner_id = ? OR customer_id = ?) ORDER BY id"
        " FOR UPDATE",
    };
    return sql_exec(sql, PENDING[lock ? 1 : 0], SQL_ARGS(P_INT(account_id), P_INT(account_id)),
                    out);
}

int relations_active_as_customer(struct sql_store *sql, unsigned long long customer_id, int lock,
                                 struct sql_result *out)
{
    static const char *const ACTIVE[2] = {
        "SELECT id, partner_id FROM customer_relations"
        " WHERE status = 'active' AND customer_id = ? ORDER BY id",
        "SELECT id, partner_id FROM customer_relations"
        " WHERE status = 'active' AND customer_id = ? ORDER BY id FOR UPDATE",
    };
    return sql_exec(sql, ACTIVE[lock ? 1 : 0], SQL_ARGS(P_INT(customer_id)), out);
}

int relations_active_outside(struct sql_store *sql, unsigned long long partner_id, int lock,
                             struct sql_result *out)
{
    /* The subquery takes no lock: only the relations' rows are locked. */
    static const char *const ACTIVE[2] = {
        "SELECT id, customer_id FROM customer_relations r"
        " WHERE status = 'active' AND partner_id = ? AND NOT EXISTS ("
        "  SELECT 1 FROM accounts a WHERE a.id = r.customer_id AND a.parent_id = r.partner_id)"
        " ORDER BY id",
        "SELECT id, customer_id FROM customer_relations r"
        " WHERE status = 'active' AND partner_id = ? AND NOT EXISTS ("
        "  SELECT 1 FROM accounts a WHERE a.id = r.customer_id AND a.parent_id = r.partner_id)"
        " ORDER BY id FOR UPDATE",
    };
    return sql_exec(sql, ACTIVE[lock ? 1 : 0], SQL_ARGS(P_INT(partner_id)), out);
}

int relation_sides_closed(struct sql_store *sql, unsigned long long partner_id,
                          unsigned long long customer_id, int *partner_closed, int *customer_closed)
{
    struct sql_result r;
    *partner_closed = *customer_closed = 0;
    int st = sql_exec(sql, "SELECT id FROM accounts WHERE id IN (?, ?) AND status = 'closed'",
                      SQL_ARGS(P_INT(partner_id), P_INT(customer_id)), &r);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0);
        *partner_closed |= id == partner_id;
        *customer_closed |= id == customer_id;
    }
    sql_result_free(&r);
    return ST_OK;
}

int relation_decide(struct sql_store *sql, unsigned long long id, const char *status,
                    const char *uid)
{
    return sql_exec(sql,
                    "UPDATE customer_relations SET status = ?, decided_by = ?,"
                    " decided_at = CURRENT_TIMESTAMP(6) WHERE id = ? AND status = 'pending'",
                    SQL_ARGS(P_STR(status), P_STR(uid), P_INT(id)), NULL);
}

int relation_read(struct sql_store *sql, unsigned long long id, json_t **out)
{
    return sql_row_json(sql, "SELECT " RELATION_COLUMNS " FROM customer_relations r WHERE r.id = ?",
                        SQL_ARGS(P_INT(id)), relation_json, out);
}

/* relation_customers' row: the relation, relation_id, and the customer's
 * name and status (NULL unless active or ended, by the statement; the name
 * also when operator staff asked). */
static json_t *customer_json(const struct sql_result *r, size_t row)
{
    json_t *j = relation_json(r, row);
    const char *name = sql_cell(r, row, RELATION_NCOLUMNS),
               *status = sql_cell(r, row, RELATION_NCOLUMNS + 1);
    json_object_set_new(j, "relation_id", json_string(sql_cell(r, row, 0)));
    json_object_set_new(j, "name", name ? json_string(name) : json_null());
    json_object_set_new(j, "account_status", status ? json_string(status) : json_null());
    return j;
}

int relation_customers(struct sql_store *sql, unsigned long long partner_id,
                       unsigned long long after, long limit, json_t **items)
{
    return sql_rows_json(sql,
                         "SELECT " RELATION_COLUMNS ", IF(r.status IN ('active', 'ended')"
                         " OR r.requested_by_staff, a.name, NULL),"
                         " IF(r.status IN ('active', 'ended'), a.status, NULL)"
                         " FROM customer_relations r JOIN accounts a ON a.id = r.customer_id"
                         " WHERE r.partner_id = ? AND r.id > ? ORDER BY r.id LIMIT ?",
                         SQL_ARGS(P_INT(partner_id), P_INT(after), P_INT(limit)), customer_json,
                         items);
}

/* relation_requests' row: the relation, both names (the customer's NULL by
 * the statement on the partner's side unless the relation is active or
 * ended or operator staff asked for it) and its side for the account asked
 * about. */
static json_t *request_json(const struct sql_result *r, size_t row)
{
    json_t *j = relation_json(r, row);
    const char *customer_name = sql_cell(r, row, RELATION_NCOLUMNS + 1);
    json_object_set_new(j, "side", json_string(sql_cell(r, row, RELATION_NCOLUMNS + 2)));
    json_object_set_new(j, "partner_name", json_string(sql_cell(r, row, RELATION_NCOLUMNS)));
    json_object_set_new(j, "customer_name",
                        customer_name ? json_string(customer_name) : json_null());
    return j;
}

int relation_requests(struct sql_store *sql, unsigned long long account_id, const char *status,
                      json_t **items)
{
    return sql_rows_json(sql,
                         "SELECT " RELATION_COLUMNS ", p.name,"
                         " IF(r.status IN ('active', 'ended') OR r.customer_id = ?"
                         " OR r.requested_by_staff, c.name, NULL),"
                         " IF(r.customer_id = ?, 'customer', 'partner')"
                         " FROM customer_relations r JOIN accounts p ON p.id = r.partner_id"
                         " JOIN accounts c ON c.id = r.customer_id"
                         " WHERE (r.customer_id = ? OR r.partner_id = ?)"
                         " AND (? IS NULL OR r.status = ?) ORDER BY r.id",
                         SQL_ARGS(P_INT(account_id), P_INT(account_id), P_INT(account_id),
                                  P_INT(account_id), P_STR(status), P_STR(status)),
                         request_json, items);
}

int relation_account_read(struct sql_store *sql, unsigned long long id, char kind[16],
                          char status[16])
{
    struct sql_result r;
    kind[0] = status[0] = '\0';
    int st = sql_exec(sql, "SELECT kind, status FROM accounts WHERE id = ? AND ldap_state = 'done'",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1) {
        snprintf(kind, 16, "%s", sql_cell(&r, 0, 0));
        snprintf(status, 16, "%s", sql_cell(&r, 0, 1));
    }
    sql_result_free(&r);
    return ST_OK;
}

int relation_known(struct sql_store *sql, unsigned long long partner_id,
                   unsigned long long customer_id, int *known)
{
    struct sql_result r;
    *known = 0;
    int st = sql_exec(sql,
                      "SELECT 1 FROM customer_relations WHERE partner_id = ? AND customer_id = ?"
                      " AND status IN ('active', 'ended')",
                      SQL_ARGS(P_INT(partner_id), P_INT(customer_id)), &r);
    if (st != ST_OK)
        return st;
    *known = r.nrows > 0;
    sql_result_free(&r);
    return ST_OK;
}

int relation_budget_take(struct sql_store *sql, unsigned long long partner_id, int limit,
                         int *retry_after)
{
    *retry_after = 0;
    if (!limit)
        return ST_OK;
    /* One budget for a partner and the sub-partners below it (round-13
     * walkthrough of seed 001, D2: a partner that made sub-partners had a
     * budget for each): the partners of the unbroken chain of partner
     * accounts the requester is in, from its topmost partner down (a
     * distributor's resellers are not one: their parent is no partner).
     * ix_audit_account_action (migration 040) reads each one's window. */
    struct sql_result r;
    int st = sql_exec(
        sql,
        "WITH RECURSIVE up (id, parent_id, kind, depth) AS ("
        " SELECT id, parent_id, kind, 0 FROM accounts WHERE id = ?"
        " UNION ALL SELECT a.id, a.parent_id, a.kind, up.depth + 1 FROM accounts a"
        " JOIN up ON a.id = up.parent_id WHERE a.kind = 'partner' AND up.depth < 32),"
        " top (id) AS (SELECT id FROM up ORDER BY depth DESC LIMIT 1),"
        " down (id, depth) AS (SELECT id, 0 FROM top"
        " UNION ALL SELECT a.id, down.depth + 1 FROM accounts a JOIN down ON a.parent_id = down.id"
        " WHERE a.kind = 'partner' AND down.depth < 32)"
        " SELECT COUNT(*), GREATEST(1, TIMESTAMPDIFF(SECOND, CURRENT_TIMESTAMP(6),"
        " MIN(at) + INTERVAL ? SECOND) + 1) FROM audit"
        " WHERE account_id IN (SELECT id FROM down) AND action = 'relation.request'"
        " AND at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND",
        SQL_ARGS(P_INT(partner_id), P_INT(RELATION_BUDGET_WINDOW), P_INT(RELATION_BUDGET_WINDOW)),
        &r);
    if (st != ST_OK)
        return st;
    unsigned long long used = sql_cell_id(&r, 0, 0);
    const char *wait = sql_cell(&r, 0, 1);
    int seconds = wait ? atoi(wait) : RELATION_BUDGET_WINDOW;
    sql_result_free(&r);
    if (used < (unsigned long long)limit)
        return ST_OK;
    *retry_after = seconds > 0 ? seconds : 1;
    log_info("account %llu: relation budget of %d requests per %d s spent (%llu made)", partner_id,
             limit, RELATION_BUDGET_WINDOW, used);
    return ST_TOO_MANY;
}
