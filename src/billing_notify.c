#include "billing_notify.h"

#include "billing.h"
#include "buf.h"
#include "caller.h"
#include "contacts.h"
#include "contacts_store.h"
#include "invoices_store.h"
#include "storefronts_store.h"
#include "subscriptions_store.h"

#include "ldap_store.h"
#include "outbox.h"
#include "sql_store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Is who the caller left out (by uid or by mail)? */
static int is_left_out(const struct caller *but, const struct person *who)
{
    if (!but)
        return 0;
    if (but->uid && who->uid && strcasecmp(but->uid, who->uid) == 0)
        return 1;
    return but->mail && who->mail && strcasecmp(but->mail, who->mail) == 0;
}

/* Adds who's address, greeted by their name, unless they have none or
 * are but (the caller left out; NULL: nobody), or the people hold the
 * address already (case ignored: one person named both primary and
 * technical contact, or a contact who also acts, is there once). */
static void add_person(struct billing_people *p, const struct person *who, const struct caller *but)
{
    const char *mail = who->mail;
    if (!mail || !*mail || is_left_out(but, who))
        return;
    mail_names_add_person(&p->names, who);
    for (size_t i = 0; i < p->n; i++)
        if (strcasecmp(p->mails[i], mail) == 0)
            return;
    char **grown = realloc(p->mails, (p->n + 1) * sizeof(char *));
    if (!grown)
        abort();
    p->mails = grown;
    p->mails[p->n++] = xstrdup(mail);
}

static int read_admins(struct request *req, unsigned long long account_id, const struct caller *but,
                       struct billing_people *out)
{
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(req->session->ldap, &account_id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    for (size_t g = 0; g < ngroups && st == ST_OK; g++) {
        if (groups[g].role != ROLE_ADMIN || groups[g].nmembers == 0)
            continue;
        struct person *people;
        size_t npeople;
        st = ldap_store_people_by_dn(req->session->ldap, (const char *const *)groups[g].members,
                                     groups[g].nmembers, &people, &npeople);
        if (st != ST_OK)
            break;
        for (size_t i = 0; i < npeople; i++) {
            add_person(out, &people[i], but);
            person_free(&people[i]);
        }
        free(people);
    }
    role_groups_free(groups, ngroups);
    return st;
}

/* The end of a read of the people (st: how it went): the names of the
 * account's notification recipients that are a person's address (one
 * read by mail each, best effort: mail_names.h) and the address of but
 * (the caller to leave out, or NULL), never mailed; out freed after a
 * failure. */
static int read_done(struct request *req, unsigned long long account_id, const struct caller *but,
                     struct billing_people *out, int st)
{
    if (st == ST_OK)
        mail_names_read_recipients(req->session->sql, req->session->ldap, account_id, NULL, 0,
                                   &out->names);
    else
        billing_people_free(out);
    if (st == ST_OK && but && but->mail && *but->mail)
        out->except = xstrdup(but->mail);
    return st;
}

/* but: the caller to leave out, or NULL. */
static int admins_of(struct request *req, unsigned long long account_id, const struct caller *but,
                     struct billing_people *out)
{
    memset(out, 0, sizeof(*out));
    return read_done(req, account_id, but, out, read_admins(req, account_id, but, out));
}

/* named_only: the admins only when no contact is named at all (a contact
 * who is but counts as named: billing_people_named_others). */
static int contacts_else_admins_as(struct request *req, unsigned long long account_id,
                                   const struct caller *but, int named_only,
                                   struct billing_people *out)
{
    memset(out, 0, sizeof(*out));
    size_t named = 0;
    /* Both named contacts get the transactional mail (Inflectra: "these
     * users will also receive email notifications"); one person named as
     * both gets it once (add_person). A contact is an admin: one who is
     * not (any more: changed in LDAP directly) is no contact
     * (docs/api.md). */
    static const char *const kinds[] = {"primary", "technical"};
    for (size_t k = 0; k < 2; k++) {
        char *uid = NULL;
        int st = contact_get(req->session->sql, account_id, kinds[k], &uid);
        if (st == ST_OK && uid) {
            struct person p = {0};
            st = contacts_entry(req, account_id, uid, &p);
            if (st == ST_OK && p.uid)
                named++;
            if (st == ST_OK)
                add_person(out, &p, but);
            person_free(&p);
            /* ST_NOT_FOUND: LDAP has no accounts subtree to read roles
             * in; no contact then either. */
            if (st == ST_NOT_FOUND)
                st = ST_OK;
        }
        free(uid);
        if (st != ST_OK) {
            billing_people_free(out);
            return st;
        }
    }
    /* No contact (or they are gone, or no admins, or the only one is the
     * caller left out): the account's admins. */
    int fall_back = named_only ? !named : !out->n;
    return read_done(req, account_id, but, out,
                     fall_back ? read_admins(req, account_id, but, out) : ST_OK);
}

static int contacts_else_admins(struct request *req, unsigned long long account_id,
                                const struct caller *but, struct billing_people *out)
{
    return contacts_else_admins_as(req, account_id, but, 0, out);
}

int billing_people_named_others(struct request *req, unsigned long long account_id,
                                struct billing_people *out)
{
    return contacts_else_admins_as(req, account_id, &req->caller, 1, out);
}

int billing_people_admins(struct request *req, unsigned long long account_id,
                          struct billing_people *out)
{
    return admins_of(req, account_id, NULL, out);
}

int billing_people_read(struct request *req, unsigned long long account_id,
                        struct billing_people *out)
{
    return contacts_else_admins(req, account_id, NULL, out);
}

int billing_people_admins_others(struct request *req, unsigned long long account_id,
                                 struct billing_people *out)
{
    return admins_of(req, account_id, &req->caller, out);
}

int billing_people_read_others(struct request *req, unsigned long long account_id,
                               struct billing_people *out)
{
    return contacts_else_admins(req, account_id, &req->caller, out);
}

void billing_people_add_actor(struct request *req, unsigned long long account_id,
                              struct billing_people *p)
{
    const char *mail = req->caller.mail;
    if (!mail || !*mail || !caller_roles(req, account_id))
        return;
    if (p->except && strcasecmp(p->except, mail) == 0)
        return;
    /* Once: a contact (or an admin) already is not added again. */
    struct person actor = {.mail = req->caller.mail, .name = req->caller.name};
    add_person(p, &actor, NULL);
}

void billing_people_free(struct billing_people *p)
{
    outbox_free_list(p->mails, p->n);
    mail_names_free(&p->names);
    free(p->except);
    memset(p, 0, sizeof(*p));
}

int billing_notify_queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                         const struct billing_people *people, const struct template_value *values,
                         size_t nvalues)
{
    return billing_notify_queue_readers(sql, account_id, name, people, values, nvalues, NULL, 0);
}

int billing_notify_queue_readers(struct sql_store *sql, unsigned long long account_id,
                                 const char *name, const struct billing_people *people,
                                 const struct template_value *values, size_t nvalues,
                                 const struct reader_value *own, size_t nown)
{
    char **recipients;
    size_t nrecipients;
    int st = outbox_recipients(sql, account_id, &recipients, &nrecipients);
    if (st != ST_OK)
        return st;
    st = billing_notify_queue_readers_to(sql, account_id, name, people, recipients, nrecipients,
                                         values, nvalues, own, nown);
    outbox_free_list(recipients, nrecipients);
    return st;
}

int billing_notify_queue_readers_to(struct sql_store *sql, unsigned long long account_id,
                                    const char *name, const struct billing_people *people,
                                    char *const *recipients, size_t nrecipients,
                                    const struct template_value *values, size_t nvalues,
                                    const struct reader_value *own, size_t nown)
{
    const char **to = xcalloc(people->n + nrecipients + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < people->n; i++)
        to[n++] = people->mails[i];
    for (size_t i = 0; i < nrecipients; i++)
        if (!people->except || strcasecmp(recipients[i], people->except) != 0)
            to[n++] = recipients[i];
    int st = outbox_queue_readers(sql, account_id, name, to, n, &people->names, values, nvalues,
                                  own, nown, 1);
    free(to);
    return st;
}

/* The person uid as the billing mails name who acted (mail_actor_name):
 * with their roles as the directory has them now. *out NULL (ST_OK) when
 * the directory no longer knows them. */
static int actor_of_uid(struct request *req, const char *uid, unsigned long long account_id,
                        char **out)
{
    *out = NULL;
    struct person by = {0};
    int st = ldap_store_find_person(req->session->ldap, "uid", uid, &by);
    if (st == ST_OK)
        st = mail_person_actor_name(req->session->sql, req->session->ldap, &by, account_id, out);
    person_free(&by);
    return st == ST_NOT_FOUND ? ST_OK : st;
}

int billing_welcome_late_data(struct request *req, unsigned long long account_id, json_t **out)
{
    *out = NULL;
    struct sql_store *sql = req->session->sql;
    struct live_storefront live;
    int st = subscriptions_store_live_storefront(sql, account_id, &live);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK)
        return st;
    char *plan = NULL, *articles = NULL;
    json_t *storefront = NULL;
    char invoice[256] = "", number[INVOICE_NUMBER_SIZE];
    st = subscriptions_store_mail_names(sql, live.subscription_id, &plan, &articles);
    if (st == ST_OK)
        st =
            storefronts_store_json(sql, req->cfg->storefront_host, live.storefront_id, &storefront);
    if (st == ST_OK && live.invoice_id) {
        st = invoices_store_number(sql, live.invoice_id, number);
        if (st == ST_OK)
            invoice_mail_note(invoice, sizeof(invoice), number, live.invoice_total_minor,
                              live.currency);
    }
    /* Who brought the subscription to what it is, by name, with the
     * organization they act for when they are no person of the account
     * (round-14 walkthrough of seed 002, D2), as the welcome of that
     * change named them: the upgrade that wrote the newest invoice when
     * it is an upgrade's ("Upgraded from Free Edition by …", matching the
     * invoice the mail names: round-15 walkthrough of seed 002, D3), else
     * who executed the order ("Ordered by …"). */
    const char *by_uid = live.upgraded_by ? live.upgraded_by : live.executed_by;
    char *actor = NULL;
    if (st == ST_OK && by_uid)
        st = actor_of_uid(req, by_uid, account_id, &actor);
    /* A pending cancellation: its end, for the line that tells the new
     * contact (round-15 walkthrough of seed 002, D2). */
    char ends[BILLING_TIME_SIZE] = "";
    if (strcmp(live.status, "pending_cancellation") == 0)
        billing_time_rfc3339(live.ends_at, ends);
    const char *url = json_string_value(json_object_get(storefront, "url"));
    if (st == ST_OK && url)
        *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "storefront_id",
                         (json_int_t)live.storefront_id, "plan", plan ? plan : "", "articles",
                         articles ? articles : "", "storefront_url", url, "acted_by",
                         actor ? actor : (by_uid ? by_uid : "your distributor"), "invoice",
                         invoice[0] ? invoice : NULL, "upgraded_from",
                         live.upgraded_by ? live.upgraded_from : NULL, "cancelled_as_of",
                         ends[0] ? ends : NULL, "since", live.since[0] ? live.since : NULL);
    free(actor);
    json_decref(storefront);
    free(plan);
    free(articles);
    live_storefront_free(&live);
    return st;
}

const char *billing_moved_note(struct buf *out, const char *url, const char *old_alias,
                               const char *new_alias)
{
    const char *slash = url ? strrchr(url, '/') : NULL;
    if (!slash || !old_alias || !*old_alias || !new_alias || strcasecmp(old_alias, new_alias) == 0)
        return TEMPLATE_OMIT_LINE;
    buf_printf(out,
               "The storefront moved from %.*s/%s: that URL no longer leads to it (another "
               "reseller may take its alias). Please update the links you gave your customers.",
               (int)(slash - url), url, old_alias);
    return buf_str(out);
}

int billing_welcome_late_queue(struct sql_store *sql, unsigned long long account_id,
                               const char *account_name, const json_t *w, const char *to,
                               const struct mail_names *names)
{
    if (!json_is_object(w) || !to || !*to)
        return ST_OK;
    /* The storefront as it is now: the mail names only a live one. */
    json_t *storefront = NULL;
    int st = storefronts_store_json(
        sql, "", (unsigned long long)json_integer_value(json_object_get(w, "storefront_id")),
        &storefront);
    const char *status = json_string_value(json_object_get(storefront, "status"));
    int active = st == ST_OK && status && strcmp(status, "active") == 0;
    json_decref(storefront);
    if (st != ST_OK || !active)
        return st;
    /* Once per subscription as it is (round-17 walkthrough of seed 002,
     * D2): not when its welcome, or a late one since, reached this
     * address already — as a contact, an admin or a recipient then. A
     * plan recorded before `since` was (an accept's intent) compares
     * with any storefront-welcome of the account, as it did. */
    int sent = 0;
    st = outbox_sent_to(sql, account_id, "storefront-welcome", to,
                        json_string_value(json_object_get(w, "since")), &sent);
    if (st != ST_OK || sent)
        return st;
    const char *invoice = json_string_value(json_object_get(w, "invoice"));
    const char *acted_by = json_string_value(json_object_get(w, "acted_by"));
    const char *upgraded_from = json_string_value(json_object_get(w, "upgraded_from"));
    const char *plan = json_string_value(json_object_get(w, "plan"));
    const char *cancelled_as_of = json_string_value(json_object_get(w, "cancelled_as_of"));
    if (!acted_by)
        acted_by = "your distributor";
    struct buf acted = BUF_INIT, cancellation = BUF_INIT;
    if (upgraded_from)
        buf_printf(&acted, "Upgraded from %s by %s.", upgraded_from, acted_by);
    else
        buf_printf(&acted, "Ordered by %s.", acted_by);
    /* The new contact is who may still withdraw a pending cancellation:
     * told so, rather than only "your storefront is ready" (round-15
     * walkthrough of seed 002, D2). */
    if (cancelled_as_of)
        buf_printf(&cancellation,
                   "The %s subscription is cancelled as of %s: the storefront stops working "
                   "then. Until then an administrator of %s can withdraw the cancellation.",
                   plan && *plan ? plan : "storefront", cancelled_as_of, account_name);
    struct template_value vals[] = {
        {"account_name", account_name},
        {"plan", plan},
        {"articles", json_string_value(json_object_get(w, "articles"))},
        {"storefront_url", json_string_value(json_object_get(w, "storefront_url"))},
        {"acted_by", acted_by},
        {"invoice", invoice ? invoice : TEMPLATE_OMIT_LINE},
        {"acted", buf_str(&acted)},
        {"moved_note", TEMPLATE_OMIT_LINE},
        {"cancellation_note", cancelled_as_of ? buf_str(&cancellation) : TEMPLATE_OMIT_LINE},
    };
    size_t nvals = sizeof(vals) / sizeof(vals[0]);
    for (size_t i = 0; i < nvals; i++)
        if (!vals[i].value)
            vals[i].value = "";
    const char *recipients[] = {to};
    st =
        outbox_queue_only(sql, account_id, "storefront-welcome", recipients, 1, names, vals, nvals);
    buf_free(&acted);
    buf_free(&cancellation);
    return st;
}

void billing_acted_init(struct billing_acted *a, const char *mail, const char *acted_by,
                        const char *fmt, ...)
{
    struct buf what = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&what, fmt, ap);
    va_end(ap);
    a->line = (struct buf)BUF_INIT;
    a->own_line = (struct buf)BUF_INIT;
    buf_printf(&a->line, "%s by %s.", buf_str(&what), acted_by);
    buf_printf(&a->own_line, "%s by you.", buf_str(&what));
    buf_free(&what);
    a->own[0] = (struct reader_value){mail, "acted_by", "you"};
    a->own[1] = (struct reader_value){mail, "acted", buf_str(&a->own_line)};
}

void billing_acted_free(struct billing_acted *a)
{
    buf_free(&a->line);
    buf_free(&a->own_line);
}
