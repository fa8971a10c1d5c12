/*
 * audit_view: GET /accounts/{id}/audit — the account's audit trail for its
 * admins (and operators): who, when, what, old and new values; newest
 * first, paged with a cursor, filtered by a time range (from, to) and by
 * the actor's uid.
 */
#include "audit.h"
#include "body.h"
#include "handlers.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A stored value as the answer shows it: ids as decimal strings. */
static json_t *json_or_null(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? audit_value_for_answer(v) : json_null();
}

void audit_list(struct request *req)
{
    static const char *const known[] = {"limit", "cursor", "from", "to", "actor", NULL};
    body_only(req, req->query, NULL, known);
    long limit = query_limit(req);
    const char *from_s = query_str(req, "from"), *to_s = query_str(req, "to");
    const char *actor = query_str(req, "actor"), *cursor = query_str(req, "cursor");
    char from[20], to[20];
    time_t t;
    const char *why;
    if (from_s && (why = validate_utc_time(from_s, &t, from)))
        res_field_error(req, "from", why);
    if (to_s && (why = validate_utc_time(to_s, &t, to)))
        res_field_error(req, "to", why);
    char buf[WHY_SIZE];
    if (actor && (why = validate_text(actor, MAX_CHARS(255), buf)))
        res_field_error(req, "actor", why);
    /* cursor: base64url of the last row's id */
    unsigned long long before = 0;
    if (cursor) {
        size_t len;
        char *raw = base64url_decode(cursor, &len);
        before = raw && len < 21 ? parse_id(raw) : 0;
        free(raw);
        if (!before)
            res_field_error(req, "cursor", "is not a cursor of this listing");
    }
    if (body_failed(req))
        return;
    struct sql_result r;
    int st = audit_page(req->session->sql, req->account.id, before, from_s ? from : NULL,
                        to_s ? to : NULL, actor, limit + 1, &r);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    size_t n = r.nrows > (size_t)limit ? (size_t)limit : r.nrows;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id",
                                               sql_cell(&r, i, 0), "at", sql_cell(&r, i, 1), "uid",
                                               sql_cell(&r, i, 2), "action", sql_cell(&r, i, 3),
                                               "old_value", json_or_null(sql_cell(&r, i, 4)),
                                               "new_value", json_or_null(sql_cell(&r, i, 5))));
    json_t *next = json_null();
    if (r.nrows > (size_t)limit && n > 0) {
        const char *last = sql_cell(&r, n - 1, 0);
        char *enc = base64url_encode((const unsigned char *)last, strlen(last));
        next = json_string(enc);
        free(enc);
    }
    sql_result_free(&r);
    res_json(req, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
