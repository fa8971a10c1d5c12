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

/* The news footer: why the mail came and how to stop it. A person of the
 * account turns news off on the preferences page (preferences_url; the
 * mailer names it in List-Unsubscribe too); a notification recipient is
 * an address an admin set, so an admin takes it off. */
static void news_footer(struct buf *body, const struct request *req, const char *account_name,
                        int recipient)
{
    const char *page = req->cfg->preferences_url;
    if (recipient) {
        buf_printf(body,
                   "\n--\nYou get this news as a notification recipient of %s. To get no more "
                   "of its mail, ask an administrator of %s to take this address off its "
                   "notification recipients.\n",
                   account_name, account_name);
        return;
    }
    buf_printf(body, "\n--\nYou get this news as a person of %s. ", account_name);
    if (page)
        buf_printf(body,
                   "To get no more news mail, turn news off on your mail preferences page:\n%s\n"
                   "Mail about your accounts and subscriptions keeps coming.\n",
                   page);
    else
        buf_adds(body, "To get no more news mail, sign in and turn news off in your mail "
                       "preferences; mail about your accounts and subscriptions keeps coming.\n");
}

static int seen_mail(char **seen, size_t n, const char *mail)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(seen[i], mail) == 0)
            return 1;
    return 0;
}

static int announcement_tx(struct sql_store *sql, void *arg)
{
    struct announcement *c = arg;
    size_t i;
    json_t *m;
    char *account_name = NULL;
    int st = account_lock(sql, c->account_id, &c->req->problem, &account_name);
    if (st != ST_OK)
        return st;
    const char *name = account_name ? account_name : "this account";
    /* News says why it came and how to stop it (Inflectra: news reaches
     * everyone "unless they opt-out"); transactional mail cannot be
     * turned off and has no such line. */
    struct buf body = BUF_INIT, rbody = BUF_INIT;
    buf_adds(&body, c->body);
    if (body.len && body.data[body.len - 1] != '\n')
        buf_addc(&body, '\n');
    buf_adds(&rbody, buf_str(&body));
    news_footer(&body, c->req, name, 0);
    news_footer(&rbody, c->req, name, 1);
    c->queued = 0;
    /* Every address mailed or opted out (a person's opt-out holds for
     * their address among the recipients too), mailed once. */
    char **seen = xcalloc(json_array_size(c->members) + 1, sizeof(char *));
    size_t nseen = 0;
    json_array_foreach(c->members, i, m)
    {
        const char *uid = json_string_value(json_object_get(m, "uid"));
        const char *mail = json_string_value(json_object_get(m, "mail"));
        if (!mail || seen_mail(seen, nseen, mail))
            continue;
        seen[nseen++] = (char *)mail;
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
    /* The notification recipients get it too (seed 000: "so your customer
     * receives updates and other important ... notification emails";
     * round-11 walkthrough, D1). */
    char **list = NULL;
    size_t n = 0;
    if (st == ST_OK)
        st = outbox_recipients(sql, c->account_id, &list, &n);
    for (size_t r = 0; st == ST_OK && r < n; r++) {
        if (seen_mail(seen, nseen, list[r]))
            continue;
        st = outbox_queue_text(sql, c->account_id, "announcement", "news", list[r], c->subject,
                               buf_str(&rbody));
        if (st == ST_OK)
            c->queued++;
    }
    outbox_free_list(list, n);
    free(seen);
    free(account_name);
    buf_free(&body);
    buf_free(&rbody);
    if (st != ST_OK)
        return st;
    json_t *j = json_pack("{s:s, s:I}", "subject", c->subject, "queued", (json_int_t)c->queued);
    return audit_write(sql, c->req->caller.uid, c->account_id, "announcement.send", NULL, j);
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
