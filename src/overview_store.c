#include "overview_store.h"

/* The sort key of every row: a byte string, so that one comparison serves
 * every column (ids zero-padded, times as digits, property values as their
 * stored sort keys). The page is cut in a derived table so that the
 * properties of only the page's rows are read. */
#define OVERVIEW_INNER                                                                             \
    "SELECT a.id, a.name, a.kind, a.status, a.plan,"                                               \
    " CASE ? WHEN 'id' THEN CAST(LPAD(a.id, 20, '0') AS BINARY)"                                   \
    " WHEN 'name' THEN CAST(a.name AS BINARY)"                                                     \
    " WHEN 'kind' THEN CAST(CAST(a.kind AS CHAR) AS BINARY)"                                       \
    " WHEN 'status' THEN CAST(CAST(a.status AS CHAR) AS BINARY)"                                   \
    " WHEN 'plan' THEN CAST(COALESCE(a.plan, '') AS BINARY)"                                       \
    " WHEN 'created_at' THEN CAST(DATE_FORMAT(a.created_at, '%Y%m%d%H%i%s%f') AS BINARY)"          \
    " ELSE COALESCE(v.sort_key, CAST('' AS BINARY)) END AS sk"                                     \
    " FROM accounts a LEFT JOIN account_property_values v"                                         \
    " ON v.account_id = a.id AND v.definition_id = ?"                                              \
    " WHERE a.parent_id = ? AND a.ldap_state = 'done'"                                             \
    " AND (? IS NULL OR a.status = ?) AND (? IS NULL OR a.plan = ?)" FILTER FILTER FILTER FILTER

#define FILTER                                                                                     \
    " AND (? IS NULL OR EXISTS (SELECT 1 FROM account_property_values f"                           \
    " WHERE f.account_id = a.id AND f.definition_id = ? AND f.sort_key = ?))"

#define OVERVIEW_PROPERTIES                                                                        \
    "(SELECT CONCAT('{', GROUP_CONCAT(JSON_QUOTE(d.prop_key), ':', pv.value ORDER BY d.id"         \
    " SEPARATOR ','), '}') FROM account_property_values pv"                                        \
    " JOIN property_definitions d ON d.id = pv.definition_id WHERE pv.account_id = p.id)"

static const char *const OVERVIEW_ASC =
    "SELECT p.id, p.name, p.kind, p.status, p.plan, p.sk, " OVERVIEW_PROPERTIES
    " FROM (SELECT * FROM (" OVERVIEW_INNER ") t"
    " WHERE (? IS NULL OR t.sk > ? OR (t.sk = ? AND t.id > ?))"
    " ORDER BY t.sk, t.id LIMIT ?) p ORDER BY p.sk, p.id";

static const char *const OVERVIEW_DESC =
    "SELECT p.id, p.name, p.kind, p.status, p.plan, p.sk, " OVERVIEW_PROPERTIES
    " FROM (SELECT * FROM (" OVERVIEW_INNER ") t"
    " WHERE (? IS NULL OR t.sk < ? OR (t.sk = ? AND t.id < ?))"
    " ORDER BY t.sk DESC, t.id DESC LIMIT ?) p ORDER BY p.sk DESC, p.id DESC";

int overview_page(struct sql_store *sql, const struct overview_query *q, struct sql_result *out)
{
    struct sql_param params[32];
    size_t n = 0;
    params[n++] = P_STR(q->column ? q->column : "property");
    params[n++] = P_INT(q->sort_definition);
    params[n++] = P_INT(q->parent_id);
    params[n++] = P_STR(q->status);
    params[n++] = P_STR(q->status);
    params[n++] = P_STR(q->plan);
    params[n++] = P_STR(q->plan);
    for (size_t i = 0; i < OVERVIEW_FILTERS; i++) {
        int on = q->filter_keys[i] != NULL;
        params[n++] = on ? P_INT(1) : P_NULL;
        params[n++] = P_INT(q->filter_defs[i]);
        params[n++] = P_STR(q->filter_keys[i]);
    }
    params[n++] = P_STR(q->after_key);
    params[n++] = P_STR(q->after_key);
    params[n++] = P_STR(q->after_key);
    params[n++] = P_INT(q->after_id);
    params[n++] = P_INT(q->limit);
    params[n++] = (struct sql_param){SQL_END, 0, NULL};
    return sql_exec(sql, q->descending ? OVERVIEW_DESC : OVERVIEW_ASC, params, out);
}
