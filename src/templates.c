/*
 * templates: an account's mail templates — the defaults shipped in
 * template.c and a distributor's overrides — listed, set and reset.
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "outbox.h"
#include "recipients.h"
#include "templates_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    size_t offset;
    long limit;
    if (page_query(req, &offset, &limit) < 0)
        return;
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
    res_items_page(req, items, offset, limit);
}

/* One template as the list shows it, the one in effect for the account
 * (its override, its distributor's, or the default): round-11 walkthrough
 * of seed 002, D3 (PUT and DELETE had it, GET was 405). */
void templates_get(struct request *req)
{
    if (body_none(req))
        return;
    const struct template_info *t = template_find(req->args[1]);
    if (!t) {
        refuse(req, 404, "not-found", "no such template");
        return;
    }
    char *subject, *body;
    unsigned long long source;
    int st = outbox_template(req->session->sql, req->account.id, t->name, &subject, &body, &source);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200, template_json(t, subject, body, source));
    free(subject);
    free(body);
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
};

static int template_tx(struct sql_store *sql, void *arg)
{
    struct template_change *c = arg;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st != ST_OK)
        return st;
    if (c->subject) {
        st = template_override_set(sql, c->account_id, c->name, c->subject, c->body);
        c->found = 1;
    } else {
        st = template_override_delete(sql, c->account_id, c->name, &c->found);
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
        refuse(req, 404, "not-found", "no such template");
        return;
    }
    if (!may_override(&a)) {
        refuse(req, 409, "conflict", "only distributor accounts override templates");
        return;
    }
    struct template_change c = {req, a.id, t->name, subject, body, 0};
    int st = request_transaction(req, template_tx, &c);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else if (!c.found)
        refuse(req, 404, "not-found", "this account does not override that template");
    else if (!subject)
        res_empty(req, 204);
    else
        res_json(req, 200, template_json(t, subject, body, a.id));
}

/* The 422 of a subject or body that template t refuses: the message
 * with the names it found (every unknown placeholder, or the one that
 * carries a secret), and for unknown ones the placeholders t has, so one
 * answer names every mistake (round-18 walkthrough of seed 002, D4). */
static void template_field_error(struct request *req, const struct template_info *t,
                                 const char *field, const char *text, int subject)
{
    char *bad = NULL;
    const char *why =
        subject ? template_check_subject(t, text, &bad) : template_check(t, text, &bad);
    if (!why)
        return;
    struct buf msg = BUF_INIT;
    buf_adds(&msg, why);
    if (bad) {
        buf_printf(&msg, ": %s", bad);
        /* The same check without the names: unknown ones, not a secret. */
        if (template_check(t, text, NULL)) {
            char *known = template_placeholder_list(t, subject);
            buf_printf(&msg, "; its placeholders are %s", known);
            free(known);
        }
    }
    res_field_error(req, field, buf_str(&msg));
    buf_free(&msg);
    free(bad);
}

void templates_put(struct request *req)
{
    static const char *const allowed[] = {"subject", "body", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *subject = body_str(req, b, NULL, "subject", 1, MAX_CHARS(255));
    const char *body = body_mail_text(req, b, MAX_BYTES(20000));
    const struct template_info *t = template_find(req->args[1]);
    if (t) {
        /* Every unknown placeholder of a field, and the ones the template
         * has (round-18 walkthrough of seed 002, D4). */
        if (subject)
            template_field_error(req, t, "subject", subject, 1);
        if (body)
            template_field_error(req, t, "body", body, 0);
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

/* ---- a template's extra recipients ----------------------------------- */

/* Seed 002: "you can add any other preferred recipients from the
 * Notifications menu in the Setup environment of your BSS". A template
 * with the invitee's sign-up link ({{link}}) goes to the invitee only. */
static const struct template_info *recipients_template(struct request *req)
{
    const struct template_info *t = template_find(req->args[1]);
    if (!t) {
        refuse(req, 404, "not-found", "no such template");
        return NULL;
    }
    return t;
}

static json_t *emails_json(char *const *emails, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(emails[i]));
    return a;
}

void template_recipients_list(struct request *req)
{
    const struct template_info *t = recipients_template(req);
    if (!t)
        return;
    char **emails;
    size_t n;
    int st = template_recipients_get(req->session->sql, req->account.id, t->name, &emails, &n);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    /* Whose extra recipients also get every copy (round-21 walkthrough of
     * seed 002, D1: a reseller read "emails": [] while each of its
     * storefront-welcomes also went to its distributor's): `emails` stays
     * the account's own list, `inherited` names the lists above that
     * apply; none for a template with a personal link, which goes to its
     * reader only. */
    int link = 0;
    for (size_t i = 0; t->placeholders[i]; i++)
        link |= strcmp(t->placeholders[i], "link") == 0;
    json_t *inherited =
        link ? json_array()
             : template_recipients_inherited_json(req->session->sql, req->account.id, t->name, &st);
    if (!inherited) {
        outbox_free_list(emails, n);
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200,
             json_pack("{s:s, s:o, s:o}", "name", t->name, "emails", emails_json(emails, n),
                       "inherited", inherited));
    outbox_free_list(emails, n);
}

struct recipients_set {
    struct request *req;
    const char *name;
    char **emails;
    size_t n;
};

static int template_recipients_tx(struct sql_store *sql, void *arg)
{
    struct recipients_set *c = arg;
    unsigned long long id = c->req->account.id;
    int st = account_lock(sql, id, &c->req->problem, NULL);
    char **old = NULL;
    size_t nold = 0;
    if (st == ST_OK)
        st = template_recipients_get(sql, id, c->name, &old, &nold);
    if (st == ST_OK)
        st = template_recipients_replace(sql, id, c->name, c->emails, c->n);
    if (st == ST_OK)
        st = audit_write(
            sql, c->req->caller.uid, id, "template.recipients",
            json_pack("{s:s, s:o}", "name", c->name, "emails", emails_json(old, nold)),
            json_pack("{s:s, s:o}", "name", c->name, "emails", emails_json(c->emails, c->n)));
    outbox_free_list(old, nold);
    return st;
}

void template_recipients_put(struct request *req)
{
    static const char *const allowed[] = {"emails", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    size_t n = 0;
    char **emails = recipients_read_body(req, b, &n);
    const struct template_info *t = body_failed(req) ? NULL : recipients_template(req);
    struct account_ref a = req->account;
    int link = 0;
    for (size_t i = 0; t && t->placeholders[i]; i++)
        link |= strcmp(t->placeholders[i], "link") == 0;
    if (!t)
        ;
    else if (!may_override(&a))
        refuse(req, 409, "conflict",
               "only distributor accounts and the operator's set a template's recipients");
    else if (link)
        refuse(req, 409, "conflict",
               "this template carries a personal link (an invitation's or a password "
               "reset's): it goes to its reader only");
    else {
        struct recipients_set c = {req, t->name, emails, n};
        int st = request_transaction(req, template_recipients_tx, &c);
        if (st != ST_OK)
            res_store_failure(req, st, "the database");
        else
            res_json(req, 200,
                     json_pack("{s:s, s:o}", "name", t->name, "emails", emails_json(emails, n)));
    }
    outbox_free_list(emails, n);
}
