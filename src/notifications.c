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
#include "notifications_store.h"
#include "outbox.h"
#include "preferences_store.h"
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
    json_t *items, *next;
    int st = notifications_page(req->session->sql, req->account.id, before, limit, &items, &next);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

/* ---- announcements (news) ------------------------------------------- */

struct announcement {
    struct request *req;
    unsigned long long account_id;
    const char *subject, *body;
    json_t *members;
    size_t queued;
};

static int announcement_tx(struct sql_store *sql, void *arg)
{
    struct announcement *c = arg;
    size_t i;
    json_t *m;
    char *account_name = NULL;
    int st = account_lock(sql, c->account_id, &c->req->problem, &account_name);
    if (st != ST_OK)
        return st;
    /* News says why it came and how to stop it (Inflectra: news reaches
     * everyone "unless they opt-out"); transactional mail cannot be
     * turned off and has no such line. */
    struct buf body = BUF_INIT;
    buf_adds(&body, c->body);
    if (body.len && body.data[body.len - 1] != '\n')
        buf_addc(&body, '\n');
    /* A hint the reader can follow: the front end's preferences page
     * (preferences_url; the mailer names it in List-Unsubscribe too). */
    const char *page = c->req->cfg->preferences_url;
    buf_printf(&body, "\n--\nYou get this news as a person of %s. ",
               account_name ? account_name : "this account");
    if (page)
        buf_printf(&body,
                   "To get no more news mail, turn news off on your mail preferences page:\n%s\n"
                   "Mail about your accounts and subscriptions keeps coming.\n",
                   page);
    else
        buf_adds(&body, "To get no more news mail, sign in and turn news off in your mail "
                        "preferences; mail about your accounts and subscriptions keeps coming.\n");
    free(account_name);
    c->queued = 0;
    json_array_foreach(c->members, i, m)
    {
        const char *uid = json_string_value(json_object_get(m, "uid"));
        const char *mail = json_string_value(json_object_get(m, "mail"));
        if (!mail)
            continue;
        int news;
        st = preferences_news_get(sql, uid, &news);
        if (st != ST_OK)
            break;
        if (!news)
            continue; /* opted out */
        st = outbox_queue_text(sql, c->account_id, "announcement", "news", mail, c->subject,
                               buf_str(&body));
        if (st != ST_OK)
            break;
        c->queued++;
    }
    buf_free(&body);
    if (st != ST_OK)
        return st;
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
    struct announcement c = {req, a.id, subject, body, members_json(req, a.id, &st), 0};
    if (!c.members) {
        res_store_failure(req, st, "the directory");
        return;
    }
    st = request_transaction(req, announcement_tx, &c);
    json_decref(c.members);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 202, json_pack("{s:I}", "queued", (json_int_t)c.queued));
}
