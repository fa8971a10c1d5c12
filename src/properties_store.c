#include "properties_store.h"

#include "buf.h"
#include "properties.h"

#include <stdlib.h>
#include <string.h>

#define DEF_COLUMNS "id, prop_key, label, type, options, required, version"

static void read_def(const struct sql_result *r, size_t row, struct property_def *d)
{
    memset(d, 0, sizeof(*d));
    d->id = sql_cell_id(r, row, 0);
    d->key = xstrdup(sql_cell(r, row, 1));
    d->label = xstrdup(sql_cell(r, row, 2));
    d->type = property_type_parse(sql_cell(r, row, 3));
    const char *opts = sql_cell(r, row, 4);
    json_t *o = opts ? json_loads(opts, 0, NULL) : NULL;
    if (json_is_array(o)) {
        d->options = xcalloc(json_array_size(o) + 1, sizeof(char *));
        size_t i, n = 0;
        json_t *v;
        json_array_foreach(o, i, v)
        {
            if (json_is_string(v))
                d->options[n++] = xstrdup(json_string_value(v));
        }
    }
    json_decref(o);
    d->required = strcmp(sql_cell(r, row, 5), "1") == 0;
    d->version = sql_cell_id(r, row, 6);
}

void property_def_clear(struct property_def *d)
{
    free(d->key);
    free(d->label);
    for (size_t i = 0; d->options && d->options[i]; i++)
        free(d->options[i]);
    free(d->options);
    memset(d, 0, sizeof(*d));
}

void property_defs_free(struct property_def *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        property_def_clear(&d[i]);
    free(d);
}

int property_defs_load(struct sql_store *sql, unsigned long long account_id, int lock,
                       struct property_def **out, size_t *n)
{
    struct sql_result r;
    *out = NULL;
    *n = 0;
    int st = sql_exec(sql,
                      lock ? "SELECT " DEF_COLUMNS " FROM property_definitions"
                             " WHERE account_id = ? ORDER BY id FOR UPDATE"
                           : "SELECT " DEF_COLUMNS " FROM property_definitions"
                             " WHERE account_id = ? ORDER BY id",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    *out = xcalloc(r.nrows + 1, sizeof(struct property_def));
    for (size_t i = 0; i < r.nrows; i++)
        read_def(&r, i, &(*out)[i]);
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}

int property_def_find(struct sql_store *sql, unsigned long long account_id, const char *key,
                      int lock, struct property_def *out)
{
    struct sql_result r;
    memset(out, 0, sizeof(*out));
    int st = sql_exec(sql,
                      lock ? "SELECT " DEF_COLUMNS " FROM property_definitions"
                             " WHERE account_id = ? AND prop_key = ? FOR UPDATE"
                           : "SELECT " DEF_COLUMNS " FROM property_definitions"
                             " WHERE account_id = ? AND prop_key = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(key)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1)
        read_def(&r, 0, out);
    else
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

json_t *property_def_json(const struct property_def *d)
{
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:b}", "key", d->key, "label", d->label, "type",
                  d->type >= 0 ? property_type_names[d->type] : "text", "required", d->required);
    if (d->options) {
        json_t *o = json_array();
        for (size_t i = 0; d->options[i]; i++)
            json_array_append_new(o, json_string(d->options[i]));
        json_object_set_new(j, "options", o);
    }
    json_object_set_new(j, "version", json_integer((json_int_t)d->version));
    return j;
}

int property_def_insert(struct sql_store *sql, unsigned long long account_id, const char *key,
                        const char *label, int type, const char *options_json, int required,
                        unsigned long long *id)
{
    struct sql_result r;
    int st = sql_exec(
        sql,
        "INSERT INTO property_definitions (account_id, prop_key, label, type, options,"
        " required) VALUES (?, ?, ?, ?, ?, ?)",
        SQL_ARGS(P_INT(account_id), P_STR(key), P_STR(label), P_STR(property_type_names[type]),
                 P_STR(options_json), P_INT(required ? 1 : 0)),
        &r);
    if (st == ST_OK) {
        *id = r.insert_id;
        sql_result_free(&r);
    }
    return st;
}

int property_def_update(struct sql_store *sql, unsigned long long id, const char *label,
                        const char *options_json, int required)
{
    return sql_exec(sql,
                    "UPDATE property_definitions SET label = ?, options = ?, required = ?,"
                    " version = version + 1 WHERE id = ?",
                    SQL_ARGS(P_STR(label), P_STR(options_json), P_INT(required ? 1 : 0), P_INT(id)),
                    NULL);
}

int property_def_delete(struct sql_store *sql, unsigned long long id, json_t **removed)
{
    struct sql_result r;
    *removed = NULL;
    int st = sql_exec(sql,
                      "SELECT account_id, value FROM account_property_values"
                      " WHERE definition_id = ? ORDER BY account_id FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    json_t *values = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        json_t *v = json_loads(sql_cell(&r, i, 1), JSON_DECODE_ANY, NULL);
        json_array_append_new(values, json_pack("{s:I, s:o}", "account_id",
                                                (json_int_t)sql_cell_id(&r, i, 0), "value",
                                                v ? v : json_null()));
    }
    sql_result_free(&r);
    /* The children that lose a value change: their ETag moves on. */
    if (json_array_size(values))
        st = sql_exec(sql,
                      "UPDATE accounts a JOIN account_property_values v ON v.account_id = a.id"
                      " SET a.version = a.version + 1, a.updated_at = CURRENT_TIMESTAMP(6)"
                      " WHERE v.definition_id = ?",
                      SQL_ARGS(P_INT(id)), NULL);
    if (st == ST_OK)
        st = sql_exec(sql, "DELETE FROM property_definitions WHERE id = ?", SQL_ARGS(P_INT(id)),
                      NULL);
    if (st == ST_OK)
        *removed = values;
    else
        json_decref(values);
    return st;
}

int property_values_count(struct sql_store *sql, unsigned long long id, unsigned long long *count)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT COUNT(*) FROM account_property_values WHERE definition_id = ?",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    *count = sql_cell_id(&r, 0, 0);
    sql_result_free(&r);
    return ST_OK;
}

int property_values_with_key(struct sql_store *sql, unsigned long long id, const char *sort_key,
                             unsigned long long *count)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT COUNT(*) FROM account_property_values"
                      " WHERE definition_id = ? AND sort_key = ?",
                      SQL_ARGS(P_INT(id), P_STR(sort_key)), &r);
    if (st != ST_OK)
        return st;
    *count = sql_cell_id(&r, 0, 0);
    sql_result_free(&r);
    return ST_OK;
}

int property_values_rewrite(struct sql_store *sql, unsigned long long id, const char *from,
                            const char *to_json, const char *to, json_t **moved)
{
    struct sql_result r;
    *moved = NULL;
    int st = sql_exec(sql,
                      "SELECT account_id FROM account_property_values"
                      " WHERE definition_id = ? AND sort_key = ? ORDER BY account_id FOR UPDATE",
                      SQL_ARGS(P_INT(id), P_STR(from)), &r);
    if (st != ST_OK)
        return st;
    json_t *ids = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(ids, json_integer((json_int_t)sql_cell_id(&r, i, 0)));
    sql_result_free(&r);
    if (json_array_size(ids))
        st = sql_exec(sql,
                      "UPDATE accounts a JOIN account_property_values v ON v.account_id = a.id"
                      " SET a.version = a.version + 1, a.updated_at = CURRENT_TIMESTAMP(6)"
                      " WHERE v.definition_id = ? AND v.sort_key = ?",
                      SQL_ARGS(P_INT(id), P_STR(from)), NULL);
    if (st == ST_OK && json_array_size(ids))
        st = sql_exec(sql,
                      "UPDATE account_property_values SET value = ?, sort_key = ?"
                      " WHERE definition_id = ? AND sort_key = ?",
                      SQL_ARGS(P_STR(to_json), P_STR(to), P_INT(id), P_STR(from)), NULL);
    if (st == ST_OK)
        *moved = ids;
    else
        json_decref(ids);
    return st;
}

int property_values_of(struct sql_store *sql, unsigned long long account_id, json_t **out)
{
    struct sql_result r;
    *out = NULL;
    int st = sql_exec(sql,
                      "SELECT d.prop_key, v.value FROM account_property_values v"
                      " JOIN property_definitions d ON d.id = v.definition_id"
                      " WHERE v.account_id = ? ORDER BY d.id",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    *out = json_object();
    for (size_t i = 0; i < r.nrows; i++) {
        json_t *v = json_loads(sql_cell(&r, i, 1), JSON_DECODE_ANY, NULL);
        if (v)
            json_object_set_new(*out, sql_cell(&r, i, 0), v);
    }
    sql_result_free(&r);
    return ST_OK;
}

int property_sheet_of(struct sql_store *sql, unsigned long long account_id, json_t **items,
                      unsigned long long *version)
{
    struct sql_result r;
    *items = NULL;
    *version = 0;
    /* One statement: the values, the definitions and the version are of
     * one moment. An account without a parent (or a parent without
     * definitions) gives one row of NULL definition columns. */
    int st = sql_exec(sql,
                      "SELECT d.id, d.prop_key, d.label, d.type, d.options, d.required,"
                      " d.version, v.value, a.version FROM accounts a"
                      " LEFT JOIN property_definitions d ON d.account_id = a.parent_id"
                      " LEFT JOIN account_property_values v"
                      " ON v.account_id = a.id AND v.definition_id = d.id"
                      " WHERE a.id = ? ORDER BY d.id",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    *version = sql_cell_id(&r, 0, 8);
    *items = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        if (!sql_cell(&r, i, 0))
            continue;
        struct property_def d;
        read_def(&r, i, &d);
        json_t *item = property_def_json(&d);
        const char *text = sql_cell(&r, i, 7);
        json_t *value = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(item, "value", value ? value : json_null());
        json_array_append_new(*items, item);
        property_def_clear(&d);
    }
    sql_result_free(&r);
    return ST_OK;
}

int property_value_set(struct sql_store *sql, unsigned long long account_id,
                       unsigned long long definition_id, const char *value_json,
                       const char *sort_key)
{
    return sql_exec(
        sql,
        "INSERT INTO account_property_values (account_id, definition_id, value,"
        " sort_key) VALUES (?, ?, ?, ?)"
        " ON DUPLICATE KEY UPDATE value = VALUES(value), sort_key = VALUES(sort_key)",
        SQL_ARGS(P_INT(account_id), P_INT(definition_id), P_STR(value_json), P_STR(sort_key)),
        NULL);
}

int property_value_delete(struct sql_store *sql, unsigned long long account_id,
                          unsigned long long definition_id)
{
    return sql_exec(
        sql, "DELETE FROM account_property_values WHERE account_id = ? AND definition_id = ?",
        SQL_ARGS(P_INT(account_id), P_INT(definition_id)), NULL);
}
