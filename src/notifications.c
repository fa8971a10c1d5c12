/*
 * notifications: what the outbox holds for an account, and announcements
 * (news mail to its people, for those who did not opt out, and to its
 * notification recipients; a service provider only as a recipient).
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

/* Who a copy of the news reaches, which says why it came and how to stop
 * it. */
enum news_reader {
    NEWS_PERSON,    /* a person of the account (admin, billing, member) */
    NEWS_RECIPIENT, /* a notification recipient that is no person of it */
    NEWS_PROVIDER,  /* a recipient that is a service provider's address */
};

/* The news footer: why the mail came and how to stop it. A person of the
 * account turns news off on the preferences page (preferences_url; the
 * mailer names it in List-Unsubscribe too); a notification recipient is
 * an address an admin set, so an admin takes it off; a service provider
 * gets the account's news only as a recipient, and may take the address
 * off himself (round-12 walkthrough of seed 000, D2). */
static void news_footer(struct buf *body, const struct request *req, const char *account_name,
                        enum news_reader reader)
{
    const char *page = req->cfg->preferences_url;
    if (reader == NEWS_RECIPIENT) {
        buf_printf(body,
                   "\n--\nYou get this news as a notification recipient of %s. To get no more "
                   "of its mail, ask an administrator of %s to take this address off its "
                   "notification recipients.\n",
                   account_name, account_name);
        return;
    }
    if (reader == NEWS_PROVIDER) {
        buf_printf(body,
                   "\n--\nYou get this news as a notification recipient of %s. To get no more "
                   "of its mail, take this address off its notification recipients. ",
                   account_name);
        if (page)
            buf_printf(body,
                       "To get no more news mail at all, turn news off on your mail preferences "
                       "page:\n%s\n",
                       page);
        else
            buf_adds(body, "To get no more news mail at all, sign in and turn news off in your "
                           "mail preferences.\n");
        return;
    }
    buf_printf(body, "\n--\nYou get this news as a person of %s. ", account_name);
    if (page)
        buf_printf(body,
                   "To get no more news mail, turn news off on your mail preferences page:\n%s\n",
                   page);
    else
        buf_adds(body, "To get no more news mail, sign in and turn news off in your mail "
                       "preferences.\n");
    /* What stays, true for every person (round-17 walkthrough of seed
     * 004, D2: "mail about your accounts and subscriptions keeps coming"
     * promised a member or billing person mail they never got): a member
     * gets the mails about their own access and the billing mails of
     * their own actions (billing_people_add_actor); the account's
     * subscription and contact mails go to its named contacts (else its
     * admins) and notification recipients. */
    buf_printf(body,
               "Turning news off does not stop the mail meant for you: about your access to %s, "
               "about the orders you execute and the subscription changes you make in it and, "
               "for its named contacts and notification recipients, about the account and its "
               "subscriptions.\n",
               account_name);
}

static int seen_mail(char **seen, size_t n, const char *mail)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(seen[i], mail) == 0)
            return 1;
    return 0;
}

/* 1 if the member's only role in the account is service-provider: one of
 * the partner's people after a hand-over, whom the account's news reaches
 * through its notification recipients alone. */
static int provider_only(const json_t *member)
{
    const json_t *roles = json_object_get(member, "roles");
    size_t i;
    const json_t *r;
    unsigned bits = 0;
    json_array_foreach(roles, i, r)
    {
        const char *role = json_string_value(r);
        if (role)
            bits |= role_bit(role);
    }
    return bits == ROLE_SERVICE_PROVIDER;
}

/* The uid of the service provider (a member with that role only) whose
 * address mail is, or NULL. */
static const char *provider_with_mail(const json_t *members, const char *mail)
{
    size_t i;
    const json_t *m;
    json_array_foreach(members, i, m)
    {
        const char *their = json_string_value(json_object_get(m, "mail"));
        if (their && strcasecmp(their, mail) == 0 && provider_only(m))
            return json_string_value(json_object_get(m, "uid"));
    }
    return NULL;
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
    struct buf body = BUF_INIT, rbody = BUF_INIT, pbody = BUF_INIT;
    buf_adds(&body, c->body);
    if (body.len && body.data[body.len - 1] != '\n')
        buf_addc(&body, '\n');
    buf_adds(&rbody, buf_str(&body));
    buf_adds(&pbody, buf_str(&body));
    news_footer(&body, c->req, name, NEWS_PERSON);
    news_footer(&rbody, c->req, name, NEWS_RECIPIENT);
    news_footer(&pbody, c->req, name, NEWS_PROVIDER);
    c->queued = 0;
    /* Every address mailed or opted out (a person's opt-out holds for
     * their address among the recipients too), mailed once. */
    char **seen = xcalloc(json_array_size(c->members) + 1, sizeof(char *));
    size_t nseen = 0;
    json_array_foreach(c->members, i, m)
    {
        const char *uid = json_string_value(json_object_get(m, "uid"));
        const char *mail = json_string_value(json_object_get(m, "mail"));
        /* The partner's people after a hand-over get the account's news
         * only while their address is among its recipients (seed 000:
         * "Remove your email address to stop receiving notifications for
         * this account"; round-12 walkthrough, D2). */
        if (!mail || provider_only(m) || seen_mail(seen, nseen, mail))
            continue;
        seen[nseen++] = (char *)mail;
        int news;
        st = preferences_news_get(sql, uid, &news);
        if (st != ST_OK)
            break;
        if (!news)
            continue; /* opted out */
        st = outbox_queue_text(sql, c->account_id, "announcement", "news", mail, c->subject,
                               buf_str(&body), 1);
        if (st != ST_OK)
            break;
        c->queued++;
    }
    /* The notification recipients get it too (seed 000: "so your customer
     * receives updates and other important ... notification emails";
     * round-11 walkthrough, D1). A bare address's copy names no
     * preferences page in List-Unsubscribe: that page cannot stop it
     * (round-12 walkthrough, D3). A service provider's address is his:
     * his opt-out holds for it, and his copy names the page. */
    char **list = NULL;
    size_t n = 0;
    if (st == ST_OK)
        st = outbox_recipients(sql, c->account_id, &list, &n);
    for (size_t r = 0; st == ST_OK && r < n; r++) {
        if (seen_mail(seen, nseen, list[r]))
            continue;
        const char *provider = provider_with_mail(c->members, list[r]);
        int news = 1;
        if (provider)
            st = preferences_news_get(sql, provider, &news);
        if (st != ST_OK || !news)
            continue;
        st = outbox_queue_text(sql, c->account_id, "announcement", "news", list[r], c->subject,
                               buf_str(provider ? &pbody : &rbody), provider != NULL);
        if (st == ST_OK)
            c->queued++;
    }
    outbox_free_list(list, n);
    free(seen);
    free(account_name);
    buf_free(&body);
    buf_free(&rbody);
    buf_free(&pbody);
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
    const char *subject = body_str(req, b, NULL, "subject", 1, MAX_CHARS(255));
    const char *body = body_mail_text(req, b, MAX_CHARS(100000));
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
