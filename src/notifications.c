/*
 * notifications: what the outbox holds for an account, and announcements
 * (news mail to its people, for those who did not opt out).
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "outbox.h"
#include "sql_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the outbox ----------------------------------------------------- */

void notifications_list(struct request *req)
{
    json_t *cursor = json_object_get(req->query, "cursor");
    const char *cursor_s = cursor ? json_string_value(cursor) : NULL;
    long limit = query_limit(req);
    unsigned long long before = 0;
    if (cursor && !(cursor_s && (before = parse_id(cursor_s))))
        res_field_error(req, "cursor", "is not a cursor of this listing");
    static const char *const known[] = {"limit", "cursor", NULL};
    body_only(req, req->query, NULL, known);
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    struct sql_result r;
    int st = sql_exec(req->session->sql,
                      "SELECT id, template, category, recipient, subject, status, attempts,"
                      " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
                      " DATE_FORMAT(sent_at, '%Y-%m-%dT%H:%i:%sZ'), last_error, deferrals"
                      " FROM mail_outbox WHERE account_id = ? AND (? IS NULL OR id < ?)"
                      " ORDER BY id DESC LIMIT ?",
                      SQL_ARGS(P_INT(a.id), before ? P_INT(before) : P_NULL,
                               before ? P_INT(before) : P_NULL, P_INT(limit + 1)),
                      &r);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    size_t n = r.nrows > (size_t)limit ? (size_t)limit : r.nrows;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *sent = sql_cell(&r, i, 8), *err = sql_cell(&r, i, 9);
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o}", "id",
                             sql_cell(&r, i, 0), "template", sql_cell(&r, i, 1), "category",
                             sql_cell(&r, i, 2), "recipient", sql_cell(&r, i, 3), "subject",
                             sql_cell(&r, i, 4), "status", sql_cell(&r, i, 5), "attempts",
                             (json_int_t)sql_cell_id(&r, i, 6), "deferrals",
                             (json_int_t)sql_cell_id(&r, i, 10), "created_at", sql_cell(&r, i, 7),
                             "sent_at", sent ? json_string(sent) : json_null(), "last_error",
                             err ? json_string(err) : json_null()));
    }
    json_t *next = r.nrows > (size_t)limit && n ? json_string(sql_cell(&r, n - 1, 0)) : json_null();
    sql_result_free(&r);
    res_json(req, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

/* ---- announcements (news) ------------------------------------------- */

struct announcement {
    struct request *req;
    unsigned long long account_id;
    const char *subject, *body;
    json_t *members;
    size_t queued;
    struct refusal refusal;
};

static int announcement_tx(struct sql_store *sql, void *arg)
{
    struct announcement *c = arg;
    size_t i;
    json_t *m;
    int st = account_lock(sql, c->account_id, &c->refusal, NULL);
    if (st != ST_OK)
        return st;
    c->queued = 0;
    json_array_foreach(c->members, i, m)
    {
        const char *uid = json_string_value(json_object_get(m, "uid"));
        const char *mail = json_string_value(json_object_get(m, "mail"));
        if (!mail)
            continue;
        struct sql_result r;
        st = sql_exec(sql, "SELECT news FROM person_preferences WHERE uid = ?",
                      SQL_ARGS(P_STR(uid)), &r);
        if (st != ST_OK)
            return st;
        int opted_out = r.nrows == 1 && strcmp(sql_cell(&r, 0, 0), "0") == 0;
        sql_result_free(&r);
        if (opted_out)
            continue;
        st = outbox_queue_text(sql, c->account_id, "announcement", "news", mail, c->subject,
                               c->body);
        if (st != ST_OK)
            return st;
        c->queued++;
    }
    json_t *n = json_pack("{s:s, s:I}", "subject", c->subject, "queued", (json_int_t)c->queued);
    return audit_write(sql, c->req->caller.uid, c->account_id, "announcement.send", NULL, n);
}

void announcements_create(struct request *req)
{
    static const char *const allowed[] = {"subject", "body", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *subject = body_str(req, b, NULL, "subject", 1, 255);
    const char *body = body_mail_text(req, b, 100000);
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    int st;
    struct announcement c = {req, a.id, subject, body, members_json(req, a.id, &st), 0, {0}};
    if (!c.members) {
        res_store_failure(req, st, "the directory");
        return;
    }
    st = sql_transaction(req->session->sql, announcement_tx, &c);
    json_decref(c.members);
    if (st == ST_CONFLICT)
        res_refusal(req, &c.refusal);
    else if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 202, json_pack("{s:I}", "queued", (json_int_t)c.queued));
}
