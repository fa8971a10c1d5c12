#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n > t && strcmp(s + n - t, tail) == 0;
}

static json_t *id_string(json_t *v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return json_string(buf);
}

json_t *audit_value_for_answer(json_t *v)
{
    const char *key;
    json_t *m, *e;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, m)
        {
            if (json_is_integer(m) && (strcmp(key, "id") == 0 || ends_with(key, "_id"))) {
                json_object_set_new(v, key, id_string(m)); /* replaces in place */
            } else if (json_is_array(m) && ends_with(key, "_ids")) {
                json_array_foreach(m, i, e)
                {
                    if (json_is_integer(e))
                        json_array_set_new(m, i, id_string(e));
                }
            } else {
                audit_value_for_answer(m);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            audit_value_for_answer(m);
        }
    }
    return v;
}

int audit_write(struct sql_store *sql, const char *uid, unsigned long long account_id,
                const char *action, json_t *old_value, json_t *new_value)
{
    char *o = old_value ? json_dumps(old_value, JSON_COMPACT) : NULL;
    char *n = new_value ? json_dumps(new_value, JSON_COMPACT) : NULL;
    json_decref(old_value);
    json_decref(new_value);
    int st = sql_exec(sql,
                      "INSERT INTO audit (uid, account_id, action, old_value, new_value)"
                      " VALUES (?, ?, ?, ?, ?)",
                      SQL_ARGS(P_STR(uid), account_id ? P_INT(account_id) : P_NULL, P_STR(action),
                               P_STR(o), P_STR(n)),
                      NULL);
    free(o);
    free(n);
    return st;
}

int audit_page(struct sql_store *sql, unsigned long long account_id, unsigned long long before_id,
               const char *from, const char *to, const char *actor, long limit,
               struct sql_result *out)
{
    return sql_exec(sql,
                    "SELECT id, DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.%fZ'), uid, action, old_value,"
                    " new_value FROM audit WHERE account_id = ? AND (? = 0 OR id < ?)"
                    " AND (? IS NULL OR at >= ?) AND (? IS NULL OR at < ?)"
                    " AND (? IS NULL OR actor_key = LOWER(?)) ORDER BY id DESC LIMIT ?",
                    SQL_ARGS(P_INT(account_id), P_INT(before_id), P_INT(before_id), P_STR(from),
                             P_STR(from), P_STR(to), P_STR(to), P_STR(actor), P_STR(actor),
                             P_INT(limit)),
                    out);
}
