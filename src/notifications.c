/*
 * notifications: an account's notification recipients, its mail templates
 * (defaults and a distributor's overrides), what the outbox holds for it,
 * announcements (news mail to its people), and the caller's preferences.
 */
#include "accounts.h"
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

#define MAX_RECIPIENTS 50

/* ---- recipients ----------------------------------------------------- */

static json_t *string_list(char **items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    return a;
}

void recipients_get(struct request *req)
{
    struct account_ref a = req->account;
    char **list;
    size_t n;
    int st = outbox_recipients(req->session->sql, a.id, &list, &n);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200, json_pack("{s:o}", "emails", string_list(list, n)));
    outbox_free_list(list, n);
}

/* The addresses of the body: a JSON list, or form text with one address
 * per line (or the field repeated). Trimmed; empty lines skipped. */
static char **read_addresses(struct request *req, json_t *b, size_t *n)
{
    *n = 0;
    json_t *v = json_object_get(b, "emails");
    if (!v) {
        res_field_error(req, "emails", "is required");
        return NULL;
    }
    json_t *items = json_is_array(v) ? v : NULL;
    if (!items && !(json_is_string(v) && req->body_is_form)) {
        res_field_error(req, "emails", "must be a list of e-mail addresses");
        return NULL;
    }
    char **out = xcalloc(MAX_RECIPIENTS * 4 + 1, sizeof(char *));
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < count; i++) {
        json_t *item = items ? json_array_get(items, i) : v;
        if (!json_is_string(item)) {
            res_field_error(req, "emails", "must be a list of e-mail addresses");
            break;
        }
        const char *text = json_string_value(item);
        /* JSON: one address per item; form: one per line. */
        const char *p = text;
        while (*p) {
            size_t len = req->body_is_form ? strcspn(p, "\r\n") : strlen(p);
            const char *s = p, *e = p + len;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e > s || !req->body_is_form) {
                if (*n >= MAX_RECIPIENTS * 4) {
                    res_field_error(req, "emails", "at most 50 addresses");
                    return out;
                }
                out[(*n)++] = xstrndup(s, (size_t)(e - s));
            }
            p += len;
            while (*p == '\r' || *p == '\n')
                p++;
        }
    }
    return out;
}

struct recipients_change {
    struct request *req;
    unsigned long long account_id;
    char **emails;
    size_t n;
    struct refusal refusal;
};

static int recipients_tx(struct sql_store *sql, void *arg)
{
    struct recipients_change *c = arg;
    int st = account_lock(sql, c->account_id, &c->refusal, NULL);
    if (st != ST_OK)
        return st;
    char **old;
    size_t nold;
    st = outbox_recipients(sql, c->account_id, &old, &nold);
    if (st != ST_OK)
        return st;
    json_t *o = string_list(old, nold);
    outbox_free_list(old, nold);
    st = sql_exec(sql, "DELETE FROM notification_recipients WHERE account_id = ?",
                  SQL_ARGS(P_INT(c->account_id)), NULL);
    size_t i = 0;
    while (i < c->n && st == ST_OK) {
        st = sql_exec(sql,
                      "INSERT INTO notification_recipients (account_id, email, position)"
                      " VALUES (?, ?, ?)",
                      SQL_ARGS(P_INT(c->account_id), P_STR(c->emails[i]), P_INT(i)), NULL);
        if (st == ST_DUPLICATE) {
            /* Equal to an earlier one in the column's collation (e.g. a
             * non-ASCII letter in another case): keep the first, as above. */
            free(c->emails[i]);
            memmove(&c->emails[i], &c->emails[i + 1], (c->n - i - 1) * sizeof(char *));
            c->n--;
            st = ST_OK;
            continue;
        }
        i++;
    }
    if (st == ST_OK)
        return audit_write(sql, c->req->caller.uid, c->account_id, "recipients.set", o,
                           string_list(c->emails, c->n));
    json_decref(o);
    return st;
}

void recipients_put(struct request *req)
{
    static const char *const allowed[] = {"emails", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    size_t n = 0;
    char **emails = read_addresses(req, b, &n);
    /* Check each; keep the first of addresses equal but for case. */
    size_t kept = 0;
    for (size_t i = 0; emails && i < n; i++) {
        const char *why = validate_email(emails[i]);
        if (why) {
            char f[32];
            snprintf(f, sizeof(f), "emails[%zu]", i);
            res_field_error(req, f, why);
        }
        int dup = 0;
        for (size_t j = 0; j < kept; j++)
            dup |= strcasecmp(emails[j], emails[i]) == 0;
        if (dup)
            free(emails[i]);
        else
            emails[kept++] = emails[i];
    }
    if (kept > MAX_RECIPIENTS)
        res_field_error(req, "emails", "at most 50 addresses");
    struct account_ref a = req->account;
    if (!body_failed(req)) {
        struct recipients_change c = {.req = req, .account_id = a.id, .emails = emails, .n = kept};
        int st = sql_transaction(req->session->sql, recipients_tx, &c);
        kept = c.n;
        if (st == ST_OK)
            res_json(req, 200, json_pack("{s:o}", "emails", string_list(emails, kept)));
        else if (st == ST_CONFLICT)
            res_refusal(req, &c.refusal);
        else
            res_store_failure(req, st, "the database");
    }
    outbox_free_list(emails, kept);
}

/* ---- templates ------------------------------------------------------ */

static json_t *template_json(const struct template_info *t, const char *subject, const char *body,
                             unsigned long long source)
{
    json_t *ph = json_array();
    for (size_t i = 0; t->placeholders[i]; i++)
        json_array_append_new(ph, json_string(t->placeholders[i]));
    char src[24];
    snprintf(src, sizeof(src), "%llu", source);
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:b, s:o}", "name", t->name, "category",
                     t->category, "placeholders", ph, "subject", subject, "body", body,
                     "overridden", source != 0, "source_account_id",
                     source ? json_string(src) : json_null());
}

void templates_list(struct request *req)
{
    struct account_ref a = req->account;
    json_t *items = json_array();
    for (const struct template_info *t = template_catalog; t->name; t++) {
        char *subject, *body;
        unsigned long long source;
        int st = outbox_template(req->session->sql, a.id, t->name, &subject, &body, &source);
        if (st != ST_OK) {
            json_decref(items);
            res_store_failure(req, st, "the database");
            return;
        }
        json_array_append_new(items, template_json(t, subject, body, source));
        free(subject);
        free(body);
    }
    res_json(req, 200, json_pack("{s:o}", "items", items));
}

/* Text of a template body: any length up to max, no control characters
 * but line breaks and tabs. */
static const char *check_body(const char *s, size_t max)
{
    if (!*s)
        return "must not be empty";
    if (strlen(s) > max)
        return "is too long";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return "must not contain control characters";
    return NULL;
}

/* The required multi-line "body" field of a mail text; NULL (recorded) if
 * absent or bad. */
static const char *mail_body(struct request *req, json_t *b, size_t max)
{
    json_t *v = json_object_get(b, "body");
    const char *body = json_is_string(v) ? json_string_value(v) : NULL;
    const char *why = !v ? "is required" : !body ? "must be a string" : check_body(body, max);
    if (why) {
        res_field_error(req, "body", why);
        return NULL;
    }
    return body;
}

static int may_override(const struct account_ref *a)
{
    return strcmp(a->kind, "distributor") == 0 || strcmp(a->kind, "operator") == 0;
}

struct template_change {
    struct request *req;
    unsigned long long account_id;
    const char *name, *subject, *body; /* subject NULL: delete */
    int found;
    struct refusal refusal;
};

static int template_tx(struct sql_store *sql, void *arg)
{
    struct template_change *c = arg;
    struct sql_result r;
    int st = account_lock(sql, c->account_id, &c->refusal, NULL);
    if (st != ST_OK)
        return st;
    if (c->subject) {
        st = sql_exec(
            sql,
            "INSERT INTO notification_templates (account_id, name, subject, body)"
            " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE subject = VALUES(subject),"
            " body = VALUES(body), updated_at = CURRENT_TIMESTAMP(6)",
            SQL_ARGS(P_INT(c->account_id), P_STR(c->name), P_STR(c->subject), P_STR(c->body)),
            NULL);
        c->found = 1;
    } else {
        st = sql_exec(sql, "DELETE FROM notification_templates WHERE account_id = ? AND name = ?",
                      SQL_ARGS(P_INT(c->account_id), P_STR(c->name)), &r);
        c->found = st == ST_OK && r.affected > 0;
        sql_result_free(&r);
        if (!c->found)
            return st;
    }
    if (st == ST_OK) {
        json_t *n = c->subject ? json_pack("{s:s, s:s, s:s}", "name", c->name, "subject",
                                           c->subject, "body", c->body)
                               : NULL;
        json_t *o = c->subject ? NULL : json_pack("{s:s}", "name", c->name);
        st = audit_write(sql, c->req->caller.uid, c->account_id,
                         c->subject ? "template.set" : "template.reset", o, n);
    }
    return st;
}

static void change_template(struct request *req, const char *subject, const char *body)
{
    const struct template_info *t = template_find(req->args[1]);
    struct account_ref a = req->account;
    if (!t) {
        res_problem(req, 404, "not-found", "no such template");
        return;
    }
    if (!may_override(&a)) {
        res_problem(req, 409, "conflict", "only distributor accounts override templates");
        return;
    }
    struct template_change c = {req, a.id, t->name, subject, body, 0, {0}};
    int st = sql_transaction(req->session->sql, template_tx, &c);
    if (st == ST_CONFLICT)
        res_refusal(req, &c.refusal);
    else if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else if (!c.found)
        res_problem(req, 404, "not-found", "this account does not override that template");
    else if (!subject)
        res_empty(req, 204);
    else
        res_json(req, 200, template_json(t, subject, body, a.id));
}

void templates_put(struct request *req)
{
    static const char *const allowed[] = {"subject", "body", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *subject = body_str(req, b, NULL, "subject", 1, 255);
    const char *body = mail_body(req, b, 20000);
    const char *why;
    const struct template_info *t = template_find(req->args[1]);
    if (t) {
        char *bad = NULL;
        char msg[160];
        if (subject && (why = template_check(t, subject, &bad))) {
            snprintf(msg, sizeof(msg), "%s%s%s", why, bad ? ": " : "", bad ? bad : "");
            res_field_error(req, "subject", msg);
        }
        free(bad);
        bad = NULL;
        if (body && (why = template_check(t, body, &bad))) {
            snprintf(msg, sizeof(msg), "%s%s%s", why, bad ? ": " : "", bad ? bad : "");
            res_field_error(req, "body", msg);
        }
        free(bad);
    }
    if (body_failed(req))
        return;
    change_template(req, subject, body);
}

void templates_delete(struct request *req)
{
    if (body_none(req))
        return;
    change_template(req, NULL, NULL);
}

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
    const char *body = mail_body(req, b, 100000);
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

/* ---- preferences ---------------------------------------------------- */

int preferences_news(struct request *req, int *news)
{
    struct sql_result r;
    *news = 1;
    int st = sql_exec(req->session->sql, "SELECT news FROM person_preferences WHERE uid = ?",
                      SQL_ARGS(P_STR(req->caller.uid)), &r);
    if (st == ST_OK && r.nrows == 1)
        *news = strcmp(sql_cell(&r, 0, 0), "0") != 0;
    sql_result_free(&r);
    return st;
}

struct preference_change {
    struct request *req;
    int news;
};

static int preferences_tx(struct sql_store *sql, void *arg)
{
    struct preference_change *c = arg;
    int st = sql_exec(sql,
                      "INSERT INTO person_preferences (uid, news) VALUES (?, ?)"
                      " ON DUPLICATE KEY UPDATE news = VALUES(news),"
                      " updated_at = CURRENT_TIMESTAMP(6)",
                      SQL_ARGS(P_STR(c->req->caller.uid), P_INT(c->news)), NULL);
    if (st == ST_OK) {
        json_t *n = json_pack("{s:b}", "news", c->news);
        st = audit_write(sql, c->req->caller.uid, 0, "preferences.set", NULL, n);
    }
    return st;
}

void preferences_patch(struct request *req)
{
    static const char *const allowed[] = {"news", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    int news = body_bool(req, b, NULL, "news");
    if (news < 0 && !json_object_get(req->errors, "news"))
        res_field_error(req, "news", "is required");
    if (body_failed(req))
        return;
    struct preference_change c = {req, news};
    int st = sql_transaction(req->session->sql, preferences_tx, &c);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 200, json_pack("{s:b}", "news", news));
}
