/*
 * relations: partner -> customer relations (STACKIT method 1). Creating a
 * customer organization under a partner with a contact person records an
 * active relation (accounts.c); for an organization that exists already
 * the partner asks (POST /accounts/{id}/customer-relations), which makes a
 * pending relation that the customer's admin approves or declines
 * (POST /customer-relations/{rid}/approve|decline) and the partner's admin
 * may withdraw (…/withdraw); the customer's
 * notification recipients and admins are mailed (template
 * relation-requested) and GET /accounts/{id}/customer-relations lists the
 * requests on both sides. An admin of either side ends an active relation
 * (…/end); a declined, withdrawn or ended pair is asked again on its row.
 * GET /accounts/{id}/customers lists a partner's relations. Closing an
 * account ends its pending requests (relations_close_pending). Every change
 * is audited on both accounts and mailed to the other side. A relation is
 * commercial: it grants the partner no access to the customer's account.
 * A request tells nothing about an account the caller may not see: an id
 * that names no live customer is answered as an unknown one unless the
 * caller sees it (its own tree, a related customer), and a partner makes
 * at most relation_budget requests an hour (round-11 leftover of seed
 * 001; docs/api.md, "Customer relations"). Operator staff may act for
 * either side; a mail names them as such unless they are an admin of the
 * side they act for, and when they decide or end for a customer none of
 * whose admins they are, the customer's admins are told too; a decision
 * by operator staff is theirs as operator staff whatever roles they hold
 * in the customer (acts_as_admin). A customer created under a partner
 * by operator staff, or by anyone else who is none of the partner's
 * people, is mailed to the partner's people other than its creator
 * (relations_created_*; round-12 walkthrough of seed 003, D3; round-14
 * walkthrough of seed 003, D1/D2). A request operator staff make for a
 * partner is mailed to the partner's people other than them
 * (relation-requested-for-partner), and the customer's mail names them
 * by capacity (round-15 walkthrough of seed 003, D1/D2). A person of an
 * account above the customer (the reseller that created it) decides and
 * ends for it on its behalf, as operator staff do, and one of the
 * requesting partner's people does not decide its request at all (403);
 * no relation mail goes to the caller's own address (round-16
 * walkthrough of seed 003, D1/D3).
 */
#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "mail_names.h"
#include "outbox.h"
#include "relations.h"
#include "relations_store.h"
#include "storefronts.h"
#include "storefronts_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct relate {
    struct request *req;
    unsigned long long partner_id, customer_id, id;
    const char *decision; /* decide: "active" or "declined"; withdraw: "withdrawn" */
    json_t *relation;
    /* request: whether the caller may see the customer_id's account (its
     * own tree, or a customer the partner is related to), which decides
     * between the precise answer and the one of an unknown id; the
     * relation budget (config) and, once it is spent, its Retry-After. */
    int visible;
    int budget;
    int retry_after;
    /* Who is told besides the notification recipients: request, withdraw
     * and end by the partner: the customer's admins; decide and end by the
     * customer: the partner's contacts (else its admins). */
    struct billing_people admins;
    /* decide, withdraw, end: who acted, as the other side's mail names
     * them (acting_for); malloc'ed. */
    char *actor;
    /* decide and end by someone who is no admin of the customer (operator
     * staff acting for it): their name for the customer's own mail
     * (staff_name), and the customer's admins, who are told too; NULL
     * and none otherwise (round-12 walkthrough of seed 003, D1). */
    char *staff;
    struct billing_people customer_admins;
    /* request by operator staff: their capacity, "operator staff of <the
     * operator account>", which the customer's mail gives in place of
     * their address (staff_capacity), and the partner's people to tell,
     * other than the caller (round-15 walkthrough of seed 003, D1/D2);
     * NULL and none for the partner's own people. */
    char *capacity;
    struct billing_people partner_told;
};

/* The relation's id and accounts as its audit rows show them. */
static json_t *audit_value(const struct relate *r, const char *status)
{
    return json_pack("{s:I, s:I, s:I, s:s}", "relation_id", (json_int_t)r->id, "partner_id",
                     (json_int_t)r->partner_id, "customer_id", (json_int_t)r->customer_id, "status",
                     status);
}

/* Writes action's audit row (old status -> new) on both accounts. */
static int audit_both(struct sql_store *sql, const struct relate *r, const char *action,
                      const char *old_status, const char *new_status)
{
    json_t *o = old_status ? audit_value(r, old_status) : NULL, *n = audit_value(r, new_status);
    int st = audit_write(sql, r->req->caller.uid, r->partner_id, action,
                         o ? json_deep_copy(o) : NULL, json_deep_copy(n));
    if (st == ST_OK)
        st = audit_write(sql, r->req->caller.uid, r->customer_id, action, o ? json_incref(o) : NULL,
                         json_incref(n));
    json_decref(o);
    json_decref(n);
    return st;
}

static unsigned long long relation_field_id(json_t *rel, const char *name)
{
    return strtoull(json_string_value(json_object_get(rel, name)), NULL, 10);
}

static const char *caller_display(const struct caller *who)
{
    return who->name ? who->name : who->uid;
}

/* Operator staff's capacity as the mails give it: "operator staff of
 * <the operator account>". *out malloc'ed; outside a transaction (it reads
 * the operator account's name). */
static int staff_capacity(struct request *req, char **out)
{
    char *operator_name = NULL;
    *out = NULL;
    int st = account_name_get(req->session->sql, operator_account_id(req), &operator_name);
    if (st == ST_OK) {
        struct buf b = BUF_INIT;
        buf_printf(&b, "operator staff of %s", operator_name);
        *out = xstrdup(buf_str(&b));
        buf_free(&b);
    }
    free(operator_name);
    return st;
}

/* The caller as a mail to an account names them: operator staff as
 * "Olivia Operator (operator staff of <the operator account>)", anyone
 * else by their name. *out malloc'ed; outside a transaction (it reads the
 * operator account's name). */
static int staff_name(struct request *req, char **out)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, caller_display(&req->caller));
    int st = ST_OK;
    if (req->caller.is_operator) {
        char *capacity = NULL;
        st = staff_capacity(req, &capacity);
        if (st == ST_OK)
            buf_printf(&b, " (%s)", capacity);
        free(capacity);
    }
    *out = xstrdup(buf_str(&b));
    buf_free(&b);
    return st;
}

/* Is the caller an admin of account id? */
static int is_admin_of(struct request *req, unsigned long long id)
{
    return (caller_roles(req, id) & ROLE_ADMIN) != 0;
}

/* Is the caller (not operator staff) a person of an account above id —
 * any account role in its parent chain, the operator account not counted —
 * or, with self, of id itself? mail_actor_name's notion of "a person of an
 * account above", which names them "<name> of <that account>" in every
 * other mail (round-16 walkthrough of seed 003, D1). One statement. */
static int person_above(struct request *req, unsigned long long id, int self, int *out)
{
    *out = self && caller_roles(req, id) != 0;
    if (*out)
        return ST_OK;
    struct account_above *up = NULL;
    size_t n = 0;
    int st = account_ancestors(req->session->sql, id, &up, &n);
    for (size_t i = 0; st == ST_OK && i < n && !*out; i++)
        *out = !up[i].is_operator && caller_roles(req, up[i].id) != 0;
    account_ancestors_free(up, n);
    return st;
}

/* Does the caller act for side id (decide, end, withdraw, close) as its
 * admin (*out)? Operator staff act as operator staff whatever roles they
 * hold there, also in an account they created, whose admin that made them
 * (round-14 walkthrough of seed 003, D2, as the invitation rule has it);
 * on the operator account itself they act as its admin. A person of an
 * account above it (the partner that created the customer and so is its
 * admin) acts for it on behalf, from that account, whatever roles they
 * hold in it too (round-16 walkthrough of seed 003, D1). */
static int acts_as_admin(struct request *req, unsigned long long id, int *out)
{
    *out = 0;
    if (req->caller.is_operator) {
        *out = id == operator_account_id(req) && is_admin_of(req, id);
        return ST_OK;
    }
    int above = 0;
    int st = person_above(req, id, 0, &above);
    *out = st == ST_OK && !above && is_admin_of(req, id);
    return st;
}

/* Who acted for account id from outside it, as its mails name them:
 * operator staff by capacity (staff_name), a person of an account above it
 * as every other mail names them, "Rita Reseller of <that account>"
 * (mail_actor_name; round-16 walkthrough of seed 003, D1). *out malloc'ed;
 * outside a transaction. */
static int outsider_name(struct request *req, unsigned long long id, char **out)
{
    if (req->caller.is_operator)
        return staff_name(req, out);
    return mail_actor_name(req->session->sql, &req->caller, id, out);
}

/* Who acted for account id, as the other side's mail names them: its
 * templates say "{{decided_by}} of {{customer_name}}", "{{ended_by}} of
 * {{ended_by_account}}", "{{withdrawn_by}} of {{partner_name}}". as_admin
 * (the caller acts as that account's admin): by their name. Anyone else
 * acts for it from outside — operator staff (DESIGN: "Operators may do
 * everything") or a person of an account above it (acts_as_admin) — named
 * "Olivia Operator (operator staff of <the operator account>) on behalf"
 * or "Rita Reseller of <her partner> on behalf", so that the mail reads
 * "… on behalf of <account>" and does not make them one of its people
 * (round-12 walkthrough of seed 003, D1: "Olivia Operator of <customer>
 * approved"; round-16, D1: "Rita Reseller of <customer> declined"). The
 * templates stay as they are, so do distributors' overrides of them.
 * *out malloc'ed; outside a transaction. */
static int acting_for(struct request *req, int as_admin, unsigned long long id, char **out)
{
    if (as_admin) {
        *out = xstrdup(caller_display(&req->caller));
        return ST_OK;
    }
    char *staff = NULL;
    int st = outsider_name(req, id, &staff);
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s on behalf", staff ? staff : caller_display(&req->caller));
    *out = xstrdup(buf_str(&b));
    buf_free(&b);
    free(staff);
    return st;
}

/* For an action of side customer_id by someone who does not act as its
 * admin (as_admin 0: operator staff, a person of an account above it):
 * their name for the customer's mail (outsider_name) and the customer's
 * admins to mail, other than the caller (who may hold a role there:
 * round-14 walkthrough of seed 003, D2; round-16, D1), read before the
 * transaction. Nothing for one acting as its admin, who told their own
 * side. */
static int read_customer_told(struct request *req, int as_admin, unsigned long long customer_id,
                              struct relate *r)
{
    if (as_admin)
        return ST_OK;
    int st = outsider_name(req, customer_id, &r->staff);
    return st == ST_OK ? billing_people_admins_others(req, customer_id, &r->customer_admins) : st;
}

/* A mail to the customer's side of relation r in its template: the
 * customer's name and id, the partner's name and the relation's id, then
 * the two values in extra, to people and the customer's recipients. */
static int mail_customer_side(struct sql_store *sql, struct relate *r, const char *template,
                              const struct billing_people *people,
                              const struct template_value extra[2])
{
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, r->customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, r->partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24], cid[24];
        snprintf(rid, sizeof(rid), "%llu", r->id);
        snprintf(cid, sizeof(cid), "%llu", r->customer_id);
        struct template_value vals[] = {{"account_name", customer_name},
                                        {"account_id", cid},
                                        {"partner_name", partner_name},
                                        {"relation_id", rid},
                                        extra[0],
                                        extra[1]};
        st = billing_notify_queue(sql, r->customer_id, template, people, vals, 6);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

/* The request's mail to the customer: its notification recipients and
 * admins, in the customer's template (relation-requested), with the
 * customer's own id and who asked (round-3 walkthrough of seed 003). The
 * template says "{{requested_by}} ({{requested_by_mail}}) asks, for
 * <partner>": one of the partner's people by name and address, operator
 * staff by name and capacity, "Olivia Operator (operator staff of <the
 * operator account>) asks, for <partner>", so that the customer's admins,
 * who judge whether the request is legitimate, see that the platform's
 * own staff asked (round-15 walkthrough of seed 003, D2). */
static int mail_customer(struct sql_store *sql, struct relate *r)
{
    const struct caller *who = &r->req->caller;
    const struct template_value extra[2] = {{"requested_by", caller_display(who)},
                                            {"requested_by_mail", r->capacity ? r->capacity
                                                                  : who->mail ? who->mail
                                                                              : who->uid}};
    return mail_customer_side(sql, r, "relation-requested", &r->admins, extra);
}

/* A request operator staff made for the partner (r->staff set): the
 * partner's contacts (else admins) and notification recipients other
 * than the caller are mailed relation-requested-for-partner, as a
 * customer they create under it is mailed relation-created (round-15
 * walkthrough of seed 003, D1: the reseller who had asked the Help Center
 * heard nothing until the customer decided). Its own people asking: no
 * mail (they know). */
static int mail_partner_requested(struct sql_store *sql, struct relate *r)
{
    if (!r->staff)
        return ST_OK;
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, r->customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, r->partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24], pid[24], cid[24];
        snprintf(rid, sizeof(rid), "%llu", r->id);
        snprintf(pid, sizeof(pid), "%llu", r->partner_id);
        snprintf(cid, sizeof(cid), "%llu", r->customer_id);
        struct template_value vals[] = {{"account_name", partner_name},   {"account_id", pid},
                                        {"customer_name", customer_name}, {"customer_id", cid},
                                        {"requested_by", r->staff},       {"relation_id", rid}};
        st = billing_notify_queue(sql, r->partner_id, "relation-requested-for-partner",
                                  &r->partner_told, vals, 6);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

/* The answer of a customer_id that names no live customer organization
 * the caller may see (round-11 leftover of seed 001): exactly that of an
 * id no account has, so that another tenant's account — closed, not a
 * customer — cannot be told from none (API.md: "another tenant's account
 * is 404, never 403"; a body's field here, docs/api.md). */
static int refuse_unknown_customer(struct request *req)
{
    res_field_error(req, "customer_id", "names no customer organization");
    return refuse_invalid(req);
}

/* A closed customer could never approve (round-3 walkthrough of seed 003):
 * said as such only to a caller who sees the account. */
static int refuse_closed_customer(struct relate *r)
{
    if (!r->visible)
        return refuse_unknown_customer(r->req);
    return refuse(r->req, 409, "conflict",
                  "the customer organization is closed; it cannot take a relation");
}

static int refuse_budget_spent(struct relate *r)
{
    return res_budget_spent(r->req, "relation-budget-exceeded", r->retry_after,
                            "this partner account has made as many relation requests as it may "
                            "within an hour (relation_budget); nothing was changed and nobody "
                            "was mailed; try again later");
}

static int request_tx(struct sql_store *sql, void *arg)
{
    struct relate *r = arg;
    int st = account_lock(sql, r->partner_id, &r->req->problem, NULL);
    /* Closed since it was read: refused before anything is written or
     * mailed. */
    if (st == ST_OK) {
        st = account_lock(sql, r->customer_id, &r->req->problem, NULL);
        if (st == ST_REFUSED)
            return refuse_closed_customer(r);
    }
    /* One relation per pair: a declined, withdrawn or ended one is asked
     * again on its row (stop-18 leftover); a pending or active one stays
     * as it is, refused before the budget (a repeat is not counted). */
    json_t *old = NULL;
    const char *old_status = NULL;
    if (st == ST_OK) {
        st = relation_lock_pair(sql, r->partner_id, r->customer_id, &old);
        if (st == ST_NOT_FOUND) {
            st = ST_OK;
        } else if (st == ST_OK) {
            r->id = relation_field_id(old, "id");
            old_status = json_string_value(json_object_get(old, "status"));
            if (strcmp(old_status, "pending") == 0 || strcmp(old_status, "active") == 0)
                st = refuse(r->req, 409, "conflict",
                            "a relation between these accounts exists already (%s)", old_status);
        }
    }
    /* A new request, first or asked again, counts against the partner's
     * relation budget (round-11 leftover of seed 001), under its row lock
     * taken above; past it nothing is written or mailed. */
    if (st == ST_OK)
        st = relation_budget_take(sql, r->partner_id, r->budget, &r->retry_after);
    if (st == ST_OK)
        st = old ? relation_reopen(sql, r->id, r->req->caller.uid, r->staff != NULL)
                 : relation_insert(sql, r->partner_id, r->customer_id, "pending",
                                   r->req->caller.uid, r->staff != NULL, &r->id);
    if (st == ST_DUPLICATE)
        st = refuse(r->req, 409, "conflict", "a relation between these accounts exists already");
    if (st == ST_OK)
        st = audit_both(sql, r, "relation.request", old_status, "pending");
    json_decref(old);
    if (st == ST_OK)
        st = mail_customer(sql, r);
    if (st == ST_OK)
        st = mail_partner_requested(sql, r);
    return st;
}

/* Whether the caller may see the customer_id's account already (round-11
 * leftover of seed 001): in their own tree (caller_sees_account: a role in
 * it, or admin or service provider above it; operators) or a customer the
 * partner is related to (active or ended: GET /customers names it). Asked
 * for every id alike, one that no account has too. */
static int customer_visible(struct request *req, struct relate *r)
{
    int st = caller_sees_account(req, r->customer_id, &r->visible);
    if (st == ST_OK && !r->visible)
        st = relation_known(req->session->sql, r->partner_id, r->customer_id, &r->visible);
    return st;
}

void relations_request(struct request *req)
{
    static const char *const allowed[] = {"customer_id", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct relate r = {
        .req = req, .partner_id = req->account.id, .budget = req->cfg->relation_budget};
    r.customer_id = body_id(req, b, "customer_id");
    if (!r.customer_id && !json_object_get(req->errors, "customer_id"))
        res_field_error(req, "customer_id", "is required");
    if (body_failed(req))
        return;
    if (strcmp(req->account.kind, "partner") != 0) {
        refuse(req, 409, "conflict", "only a partner account has customer relations");
        return;
    }
    char kind[16], status[16];
    int st = relation_account_read(req->session->sql, r.customer_id, kind, status);
    if (st == ST_OK)
        st = customer_visible(req, &r);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    /* No such account: the unknown id's answer, whoever asks (operators
     * see every id). */
    if (!kind[0])
        r.visible = 0;
    int customer = strcmp(kind, "customer") == 0;
    if (!customer || strcmp(status, "closed") == 0) {
        /* The precise answer to a caller who sees the account; everyone
         * else gets the unknown id's, or 429 once the budget is spent, as
         * a live customer would: a spent budget tells no miss from a hit. */
        if (r.visible && !customer) {
            char why[80];
            snprintf(why, sizeof(why), "is a%s %s account, not a customer organization",
                     strchr("aeiou", kind[0]) ? "n" : "", kind);
            res_field_error(req, "customer_id", why);
            res_fail_if_errors(req);
        } else if (r.visible) {
            refuse_closed_customer(&r);
        } else {
            st = relation_budget_take(req->session->sql, r.partner_id, r.budget, &r.retry_after);
            if (st == ST_TOO_MANY)
                refuse_budget_spent(&r);
            else if (st != ST_OK)
                res_store_failure(req, st, "the database");
            else
                refuse_unknown_customer(req);
        }
        return;
    }
    /* The customer's admins, read before the transaction (the directory);
     * for operator staff also their name and capacity and the partner's
     * people other than them (round-15 walkthrough of seed 003, D1/D2:
     * operator staff count as such whatever roles they hold in the
     * partner, as acts_as_admin has it; a partner is never the operator
     * account). */
    const char *failed = "the database";
    if (req->caller.is_operator) {
        st = staff_capacity(req, &r.capacity);
        if (st == ST_OK)
            st = staff_name(req, &r.staff);
    }
    /* Never at the caller's own address (uid and mail, also as a
     * notification recipient), as the sibling mails leave them out
     * (round-16 walkthrough of seed 003, D3: the asker, an admin of the
     * customer they created, was asked to decide their own request). */
    if (st == ST_OK) {
        failed = "the directory";
        st = billing_people_admins_others(req, r.customer_id, &r.admins);
    }
    if (st == ST_OK && req->caller.is_operator)
        st = billing_people_read_others(req, r.partner_id, &r.partner_told);
    if (st != ST_OK) {
        billing_people_free(&r.admins);
        billing_people_free(&r.partner_told);
        free(r.capacity);
        free(r.staff);
        res_store_failure(req, st, failed);
        return;
    }
    st = request_transaction(req, request_tx, &r);
    billing_people_free(&r.admins);
    billing_people_free(&r.partner_told);
    free(r.capacity);
    free(r.staff);
    if (st == ST_TOO_MANY && r.retry_after) {
        refuse_budget_spent(&r);
        return;
    }
    json_t *rel = NULL;
    if (st == ST_OK)
        st = relation_read(req->session->sql, r.id, &rel);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    char loc[80];
    snprintf(loc, sizeof(loc), "/api/v1/customer-relations/%llu", r.id);
    res_header(req, "Location", loc);
    res_json(req, 202, rel);
}

/* The route's account of an action only one side takes: that side's
 * (mine). An admin of the other side sees the relation (GET
 * /customer-relations/{rid}), so the action is 403 for them, saying whose
 * it is, not 404 (round-8 walkthrough of seed 003, D3); anyone else is
 * judged on this side by the router. */
static int relation_side_for(struct request *req, int customer_side, const char *why,
                             unsigned long long *id)
{
    unsigned long long rid = parse_id(req->args[0]), partner = 0, customer = 0;
    if (!rid)
        return ST_NOT_FOUND;
    int st = relation_sides(req->session->sql, rid, &partner, &customer);
    if (st != ST_OK)
        return st;
    unsigned long long mine = customer_side ? customer : partner;
    unsigned long long other = customer_side ? partner : customer;
    if (!req->caller.is_operator && !(caller_roles(req, mine) & ROLE_ADMIN) &&
        (caller_roles(req, other) & ROLE_ADMIN)) {
        refuse(req, 403, "forbidden", "%s", why);
        return ST_REFUSED;
    }
    *id = mine;
    return ST_OK;
}

/* /customer-relations/{rid}/approve|decline: the customer's. */
int relations_customer_of(struct request *req, unsigned long long *id)
{
    return relation_side_for(req, 1,
                             "only an admin of the customer account approves or declines this "
                             "request; the partner that asked may withdraw it",
                             id);
}

/* /customer-relations/{rid}/withdraw: the partner's. */
int relations_partner_of(struct request *req, unsigned long long *id)
{
    return relation_side_for(req, 0,
                             "only the partner that asked withdraws this request; an admin of "
                             "the customer account declines it",
                             id);
}

/* The decision's mail to the partner (relation-decided): its contacts or
 * admins and its notification recipients learn it at once instead of
 * polling the list (round-4 walkthrough of seed 003). */
static int mail_decided(struct sql_store *sql, unsigned long long partner_id,
                        unsigned long long customer_id, unsigned long long id, const char *decision,
                        const char *decided_by, const struct billing_people *people, int closed)
{
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24];
        snprintf(rid, sizeof(rid), "%llu", id);
        struct buf reason = BUF_INIT;
        if (closed)
            buf_printf(&reason,
                       "The account %s was closed: its pending relation requests were declined.",
                       customer_name);
        struct template_value vals[] = {
            {"account_name", partner_name},
            {"customer_name", customer_name},
            {"decision", strcmp(decision, "active") == 0 ? "approved" : "declined"},
            {"decided_by", decided_by},
            {"relation_id", rid},
            {"reason", closed ? buf_str(&reason) : template_omit_line}};
        st = billing_notify_queue(sql, partner_id, "relation-decided", people, vals, 6);
        buf_free(&reason);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

static int mail_partner(struct sql_store *sql, struct relate *r)
{
    return mail_decided(sql, r->partner_id, r->customer_id, r->id, r->decision, r->actor,
                        &r->admins, 0);
}

/* A decision made for the customer by someone who is not its admin
 * (operator staff): its admins, who were asked to decide, and its
 * notification recipients learn that it was decided, how and by whom
 * (relation-decided-by-operator, migration 046; round-12 walkthrough of
 * seed 003, D1). */
static int mail_customer_decided(struct sql_store *sql, struct relate *r)
{
    const struct template_value extra[2] = {
        {"decision", strcmp(r->decision, "active") == 0 ? "approved" : "declined"},
        {"decided_by", r->staff}};
    return mail_customer_side(sql, r, "relation-decided-by-operator", &r->customer_admins, extra);
}

/* Inside a transaction: locks the account the caller acts for and the
 * relation (into r->relation); 404 if it is gone, 409 with what (and the
 * status it has) unless it is in status. */
static int lock_in_status(struct sql_store *sql, struct relate *r, unsigned long long account_id,
                          const char *status, const char *what)
{
    int st = account_lock(sql, account_id, &r->req->problem, NULL);
    json_decref(r->relation);
    r->relation = NULL;
    if (st == ST_OK)
        st = relation_lock(sql, r->id, &r->relation);
    if (st == ST_NOT_FOUND)
        return refuse(r->req, 404, "not-found", "no such customer relation");
    if (st != ST_OK)
        return st;
    const char *has = json_string_value(json_object_get(r->relation, "status"));
    if (strcmp(has, status) != 0)
        return refuse(r->req, 409, "conflict", "%s; this relation is %s", what, has);
    return ST_OK;
}

static int decide_tx(struct sql_store *sql, void *arg)
{
    struct relate *r = arg;
    int st = lock_in_status(sql, r, r->customer_id, "pending",
                            "only a pending request can be approved or declined");
    if (st != ST_OK)
        return st;
    r->partner_id = relation_field_id(r->relation, "partner_id");
    /* A closed partner takes no relation (round-4 walkthrough of seed
     * 003); declining one is fine. */
    if (strcmp(r->decision, "active") == 0) {
        st = account_lock(sql, r->partner_id, &r->req->problem, NULL);
        if (st == ST_REFUSED)
            return refuse(r->req, 409, "conflict",
                          "the partner account is closed; decline the request instead");
        if (st != ST_OK)
            return st;
    }
    st = relation_decide(sql, r->id, r->decision, r->req->caller.uid);
    const char *action =
        strcmp(r->decision, "active") == 0 ? "relation.approve" : "relation.decline";
    json_t *o = json_pack("{s:I, s:s}", "relation_id", (json_int_t)r->id, "status", "pending");
    json_t *n = json_pack("{s:I, s:s}", "relation_id", (json_int_t)r->id, "status", r->decision);
    if (st == ST_OK)
        st = audit_write(sql, r->req->caller.uid, r->customer_id, action, json_deep_copy(o),
                         json_deep_copy(n));
    if (st == ST_OK)
        st = audit_write(sql, r->req->caller.uid, r->partner_id, action, json_incref(o),
                         json_incref(n));
    json_decref(o);
    json_decref(n);
    if (st == ST_OK)
        st = mail_partner(sql, r);
    if (st == ST_OK && r->staff)
        st = mail_customer_decided(sql, r);
    return st;
}

/* The relation's two sides, read before the transaction (to read the
 * people to tell from the directory): ST_REFUSED with a 404 if there is no
 * such relation. */
static int sides_of(struct request *req, unsigned long long id, unsigned long long *partner,
                    unsigned long long *customer)
{
    int st = relation_sides(req->session->sql, id, partner, customer);
    return st == ST_NOT_FOUND ? refuse(req, 404, "not-found", "no such customer relation") : st;
}

/* The answer of a decision, a withdrawal or an end: the relation as it is
 * now, or the failure st. */
static void answer_relation(struct request *req, struct relate *r, int st)
{
    billing_people_free(&r->admins);
    billing_people_free(&r->customer_admins);
    free(r->actor);
    free(r->staff);
    r->actor = r->staff = NULL;
    json_decref(r->relation);
    r->relation = NULL;
    if (st == ST_OK)
        st = relation_read(req->session->sql, r->id, &r->relation);
    if (st == ST_OK)
        res_json(req, 200, r->relation);
    else
        res_store_failure(req, st, "the database");
}

/* The partner's own people do not decide its request for the customer:
 * a person of the requesting partner or of an account above it (any
 * account role there; mail_actor_name's notion) who is an admin of the
 * customer too — the reseller that created it — gets 403, and nothing is
 * written or mailed (round-16 walkthrough of seed 003, D1: the reseller
 * asked again after the customer had ended the relation and approved its
 * own request). Operator staff keep their round-14 rule: they decide as
 * operator staff. */
static int refuse_partner_deciding(struct request *req, unsigned long long partner,
                                   unsigned long long customer)
{
    if (req->caller.is_operator)
        return ST_OK;
    int of_partner = 0;
    int st = person_above(req, partner, 1, &of_partner);
    if (st != ST_OK || !of_partner)
        return st;
    char *partner_name = NULL, *customer_name = NULL;
    st = account_name_get(req->session->sql, partner, &partner_name);
    if (st == ST_OK)
        st = account_name_get(req->session->sql, customer, &customer_name);
    if (st == ST_OK)
        st = refuse(req, 403, "forbidden",
                    "you asked for this relation as a person of %s; an administrator of %s who "
                    "is none of %s's people decides it",
                    partner_name, customer_name, partner_name);
    free(partner_name);
    free(customer_name);
    return st;
}

static void decide(struct request *req, const char *decision)
{
    if (body_none(req))
        return;
    struct relate r = {.req = req,
                       .customer_id = req->account.id,
                       .id = parse_id(req->args[0]),
                       .decision = decision};
    /* Who is told: the partner's people, from the directory, before the
     * transaction; and when the caller does not decide as the customer's
     * admin (operator staff deciding for it), the customer's admins too. */
    unsigned long long partner = 0, customer = 0;
    int st = sides_of(req, r.id, &partner, &customer);
    if (st == ST_OK)
        st = refuse_partner_deciding(req, partner, customer);
    if (st == ST_OK)
        st = billing_people_read(req, partner, &r.admins);
    int as_admin = 0;
    if (st == ST_OK)
        st = acts_as_admin(req, customer, &as_admin);
    if (st == ST_OK)
        st = acting_for(req, as_admin, customer, &r.actor);
    if (st == ST_OK)
        st = read_customer_told(req, as_admin, customer, &r);
    if (st == ST_OK)
        st = request_transaction(req, decide_tx, &r);
    answer_relation(req, &r, st);
}

void relations_approve(struct request *req)
{
    decide(req, "active");
}

void relations_decline(struct request *req)
{
    decide(req, "declined");
}

/* ---- withdraw ----------------------------------------------------- */

/* The withdrawal's mail to the customer (relation-withdrawn): the admins
 * and notification recipients who were told of the request learn that
 * there is nothing to decide any more. closed: the partner's account was
 * closed (the reason line says so). */
static int mail_withdrawn(struct sql_store *sql, unsigned long long partner_id,
                          unsigned long long customer_id, unsigned long long id,
                          const char *withdrawn_by, const struct billing_people *people, int closed)
{
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24], cid[24];
        snprintf(rid, sizeof(rid), "%llu", id);
        snprintf(cid, sizeof(cid), "%llu", customer_id);
        struct buf reason = BUF_INIT;
        if (closed)
            buf_printf(&reason,
                       "The account %s was closed: its pending relation requests were "
                       "withdrawn.",
                       partner_name);
        struct template_value vals[] = {{"account_name", customer_name},
                                        {"account_id", cid},
                                        {"partner_name", partner_name},
                                        {"withdrawn_by", withdrawn_by},
                                        {"relation_id", rid},
                                        {"reason", closed ? buf_str(&reason) : template_omit_line}};
        st = billing_notify_queue(sql, customer_id, "relation-withdrawn", people, vals, 6);
        buf_free(&reason);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

static int withdraw_tx(struct sql_store *sql, void *arg)
{
    struct relate *r = arg;
    int st =
        lock_in_status(sql, r, r->partner_id, "pending", "only a pending request can be withdrawn");
    if (st != ST_OK)
        return st;
    r->customer_id = relation_field_id(r->relation, "customer_id");
    st = relation_decide(sql, r->id, "withdrawn", r->req->caller.uid);
    if (st == ST_OK)
        st = audit_both(sql, r, "relation.withdraw", "pending", "withdrawn");
    if (st == ST_OK)
        st = mail_withdrawn(sql, r->partner_id, r->customer_id, r->id, r->actor, &r->admins, 0);
    return st;
}

void relations_withdraw(struct request *req)
{
    if (body_none(req))
        return;
    struct relate r = {.req = req, .partner_id = req->account.id, .id = parse_id(req->args[0])};
    /* Who is told: the customer's admins, from the directory, before the
     * transaction (as the request told them). */
    unsigned long long partner = 0, customer = 0;
    int st = sides_of(req, r.id, &partner, &customer);
    if (st == ST_OK)
        st = billing_people_admins_others(req, customer, &r.admins);
    int as_admin = 0;
    if (st == ST_OK)
        st = acts_as_admin(req, partner, &as_admin);
    if (st == ST_OK)
        st = acting_for(req, as_admin, partner, &r.actor);
    if (st == ST_OK)
        st = request_transaction(req, withdraw_tx, &r);
    answer_relation(req, &r, st);
}

/* ---- end ---------------------------------------------------------- */

struct ending {
    struct relate r;
    unsigned long long side;  /* the route's account: the side whose admin ends it */
    unsigned long long other; /* the side that is told */
};

/* How many storefronts of the customer are read before and after an end
 * (storefronts_store_of_customer): the accounts above it (at most 32) and
 * those of the partners it has a relation with. */
#define END_STOREFRONTS_READ 100

/* relation-ended's {{access_note}} (migration 085; round-19 walkthrough of
 * seed 002, D2 follow-up): the end changes nobody's roles, but the people
 * of the customer no longer sign in at the storefronts in lost (what the
 * end took away, storefronts_named); without any, the sentence the mail
 * always had. Into b. */
static const char *ended_access_note(struct buf *b, const char *customer_name, json_t *lost)
{
    struct buf named = BUF_INIT;
    const char *at = storefronts_named(&named, lost);
    if (!at)
        buf_adds(b, "Nobody's access to either account changes.");
    else
        buf_printf(b,
                   "Nobody's roles in either account change, but the people of %s can no longer "
                   "sign in at %s: %s",
                   customer_name, at,
                   json_array_size(lost) == 1 ? "it is for the reseller's customers."
                                              : "they are for the resellers' customers.");
    buf_free(&named);
    return buf_str(b);
}

/* relation-ended's {{again_note}} (migration 094; round-21 walkthrough of
 * seed 003, D3): whether a new relation can be asked for — not with a
 * closed customer, which takes none (409), nor by a closed partner, which
 * asks for none (409; round-27 walkthrough of seed 003, D2). Into b. */
static const char *ended_again_note(struct buf *b, const char *customer_name, int closed,
                                    const char *partner_name, int partner_closed)
{
    if (closed)
        buf_printf(b, "%s is closed: it takes no new relation.", customer_name);
    else if (partner_closed)
        buf_printf(b, "%s is closed: it asks for no new relation.", partner_name);
    else
        buf_adds(b, "The partner may ask for a new relation; the customer's administrators "
                    "approve or decline it.");
    return buf_str(b);
}

/* The end's mail to the other side (relation-ended); when the customer's
 * side was ended by someone who is not its admin (operator staff), its
 * admins and recipients are told too, with the same template (round-12
 * walkthrough of seed 003, D1). lost: the storefronts at which the
 * customer's people signed in until the end ({{access_note}}). */
static int mail_ended(struct sql_store *sql, struct ending *e, json_t *lost)
{
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, e->r.customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, e->r.partner_id, &partner_name);
    /* A closed customer takes no new relation (409), a closed partner
     * asks for none (409): the mail does not offer one (round-21 and
     * round-27 walkthroughs of seed 003, D3 and D2). One statement. */
    int closed = 0, partner_closed = 0;
    if (st == ST_OK)
        st =
            relation_sides_closed(sql, e->r.partner_id, e->r.customer_id, &partner_closed, &closed);
    if (st == ST_OK) {
        char rid[24];
        snprintf(rid, sizeof(rid), "%llu", e->r.id);
        int by_partner = e->side == e->r.partner_id;
        struct buf note = BUF_INIT, again = BUF_INIT;
        struct template_value vals[] = {
            {"account_name", by_partner ? customer_name : partner_name},
            {"partner_name", partner_name},
            {"customer_name", customer_name},
            {"ended_by", e->r.actor},
            {"ended_by_account", by_partner ? partner_name : customer_name},
            {"relation_id", rid},
            {"access_note", ended_access_note(&note, customer_name, lost)},
            {"again_note",
             ended_again_note(&again, customer_name, closed, partner_name, partner_closed)}};
        st = billing_notify_queue(sql, e->other, "relation-ended", &e->r.admins, vals, 8);
        if (st == ST_OK && e->r.staff) {
            vals[0].value = customer_name;
            st = billing_notify_queue(sql, e->r.customer_id, "relation-ended",
                                      &e->r.customer_admins, vals, 8);
        }
        buf_free(&note);
        buf_free(&again);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

/* The storefronts of before that after has not (by URL): what an end took
 * away. Both lists come by storefront id, after a subset of before. A new
 * reference. */
static json_t *storefronts_lost(json_t *before, json_t *after)
{
    json_t *lost = json_array();
    for (size_t i = 0; i < json_array_size(before); i++) {
        json_t *url = json_object_get(json_array_get(before, i), "url");
        int kept = 0;
        for (size_t j = 0; j < json_array_size(after) && !kept; j++)
            kept = json_equal(json_object_get(json_array_get(after, j), "url"), url);
        if (!kept)
            json_array_append(lost, json_array_get(before, i));
    }
    return lost;
}

static int end_tx(struct sql_store *sql, void *arg)
{
    struct ending *e = arg;
    struct relate *r = &e->r;
    int st = lock_in_status(sql, r, e->side, "active", "only an active relation can be ended");
    if (st != ST_OK)
        return st;
    /* The storefronts the customer's people sign in at as a reseller's
     * customer, read by the gate's rule before and after the end (round-19
     * walkthrough of seed 002, D2 follow-up): those it takes away are
     * named in the mail. A closed customer's people sign in at none. */
    const char *host = r->req->cfg->storefront_host;
    json_t *before = NULL, *after = NULL;
    st = storefronts_store_of_customer(sql, host, r->customer_id, 1, END_STOREFRONTS_READ, &before);
    if (st == ST_OK)
        st = relation_end(sql, r->id, r->req->caller.uid);
    if (st == ST_OK)
        st = audit_both(sql, r, "relation.end", "active", "ended");
    if (st == ST_OK)
        st = storefronts_store_of_customer(sql, host, r->customer_id, 1, END_STOREFRONTS_READ,
                                           &after);
    if (st == ST_OK) {
        json_t *lost = storefronts_lost(before, after);
        st = mail_ended(sql, e, lost);
        json_decref(lost);
    }
    json_decref(before);
    json_decref(after);
    return st;
}

void relations_end(struct request *req)
{
    if (body_none(req))
        return;
    struct ending e = {.r = {.req = req, .id = parse_id(req->args[0])}, .side = req->account.id};
    int st = sides_of(req, e.r.id, &e.r.partner_id, &e.r.customer_id);
    /* The route's account is the side the caller acts for
     * (relations_side_of); the other side is told: the customer's admins,
     * or the partner's contacts (else its admins), as for a request and a
     * decision, read from the directory before the transaction. */
    if (st == ST_OK) {
        int by_partner = e.side == e.r.partner_id;
        e.other = by_partner ? e.r.customer_id : e.r.partner_id;
        st = by_partner ? billing_people_admins_others(req, e.other, &e.r.admins)
                        : billing_people_read(req, e.other, &e.r.admins);
        int as_admin = 0;
        if (st == ST_OK)
            st = acts_as_admin(req, e.side, &as_admin);
        if (st == ST_OK)
            st = acting_for(req, as_admin, e.side, &e.r.actor);
        /* Someone ending it for the customer from outside it (operator
         * staff, a person of an account above it): the customer's admins
         * did not, and are told too. */
        if (st == ST_OK && !by_partner)
            st = read_customer_told(req, as_admin, e.r.customer_id, &e.r);
    }
    if (st == ST_OK)
        st = request_transaction(req, end_tx, &e);
    answer_relation(req, &e.r, st);
}

/* A page of GET /accounts/{id}/customers (res_id_page): oldest first,
 * the cursor the last relation's id. */
static int customers_page(struct request *req, unsigned long long after, long limit, json_t **items)
{
    return relation_customers(req->session->sql, req->account.id, after, limit, items);
}

void relations_customers(struct request *req)
{
    res_id_page(req, customers_page);
}

int relations_side_of(struct request *req, unsigned long long *id)
{
    unsigned long long rid = parse_id(req->args[0]), partner = 0, customer = 0;
    if (!rid)
        return ST_NOT_FOUND;
    int st = relation_sides(req->session->sql, rid, &partner, &customer);
    if (st != ST_OK)
        return st;
    /* The router then checks the admin role on the side chosen: a partner
     * admin passes on the partner, anyone else is judged on the customer. */
    *id = (caller_roles(req, partner) & ROLE_ADMIN) ? partner : customer;
    return ST_OK;
}

void relations_get(struct request *req)
{
    if (body_none(req))
        return;
    json_t *rel = NULL;
    int st = relation_read(req->session->sql, parse_id(req->args[0]), &rel);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such customer relation");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200, rel);
}

void relations_requests(struct request *req)
{
    static const char *const known[] = {"status", NULL};
    size_t offset;
    long limit;
    if (page_query_also(req, known, &offset, &limit) < 0)
        return;
    const char *status = query_str(req, "status");
    static const char *const statuses[] = {"pending",   "active", "declined",
                                           "withdrawn", "ended",  NULL};
    size_t i = 0;
    while (status && statuses[i] && strcmp(status, statuses[i]) != 0)
        i++;
    if (status && !statuses[i])
        res_field_error(req, "status", "must be pending, active, declined, withdrawn or ended");
    if (body_failed(req))
        return;
    json_t *items;
    int st = relation_requests(req->session->sql, req->account.id, status, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_items_page(req, items, offset, limit);
}

/* ---- closing an account ------------------------------------------ */

/* Who closed it, as the other sides' mails name them (acting_for): read
 * once, when the first other side is met. */
static int closing_actor(struct request *req, unsigned long long account_id,
                         struct relations_closing *out)
{
    if (out->actor)
        return ST_OK;
    int as_admin = 0;
    int st = acts_as_admin(req, account_id, &as_admin);
    if (st == ST_OK)
        st = acting_for(req, as_admin, account_id, &out->actor);
    return st;
}

/* Room for the other sides of r's rows and their people (never 0 bytes). */
static void closing_alloc(const struct sql_result *r, unsigned long long **ids,
                          struct billing_people **people)
{
    *ids = xcalloc(r->nrows ? r->nrows : 1, sizeof(**ids));
    *people = xcalloc(r->nrows ? r->nrows : 1, sizeof(**people));
}

/* The other sides of r's rows (column 1) and their people by people_of,
 * into ids, people and *n (as far as read); frees r. */
static int closing_sides(struct request *req, unsigned long long account_id, struct sql_result *r,
                         int (*people_of)(struct request *, unsigned long long,
                                          struct billing_people *),
                         unsigned long long **ids, struct billing_people **people, size_t *n,
                         struct relations_closing *out)
{
    closing_alloc(r, ids, people);
    int st = r->nrows ? closing_actor(req, account_id, out) : ST_OK;
    for (size_t i = 0; st == ST_OK && i < r->nrows; i++) {
        (*ids)[i] = sql_cell_id(r, i, 1);
        st = people_of(req, (*ids)[i], &(*people)[i]);
        *n = i + 1;
    }
    sql_result_free(r);
    return st;
}

int relations_closing_read(struct request *req, unsigned long long account_id,
                           struct relations_closing *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st = relations_pending_of(req->session->sql, account_id, 0, &r);
    if (st != ST_OK)
        return st;
    closing_alloc(&r, &out->accounts, &out->people);
    if (r.nrows)
        st = closing_actor(req, account_id, out);
    for (size_t i = 0; st == ST_OK && i < r.nrows; i++) {
        unsigned long long partner = sql_cell_id(&r, i, 1), customer = sql_cell_id(&r, i, 2);
        /* The closed account's customer side is told as a decision is
         * (the partner's contacts, else its admins); its partner side as a
         * request is (the customer's admins). */
        if (customer == account_id) {
            out->accounts[i] = partner;
            st = billing_people_read(req, partner, &out->people[i]);
        } else {
            out->accounts[i] = customer;
            st = billing_people_admins(req, customer, &out->people[i]);
        }
        out->n = i + 1;
    }
    sql_result_free(&r);
    /* Its active relations as the customer: the partners are told that
     * the close ended them (contacts, else admins), as for an end. Never
     * the closer (they know), also not as a recipient; the partner's
     * admins only when it names no contact at all: a closer who is its
     * only contact leaves its recipients (round-25 walkthrough of seed
     * 001, D3). */
    if (st == ST_OK)
        st = relations_active_as_customer(req->session->sql, account_id, 0, &r);
    if (st == ST_OK)
        st = closing_sides(req, account_id, &r, billing_people_named_others, &out->partners,
                           &out->partner_people, &out->nactive, out);
    /* Its active relations as the partner with organizations that are
     * not its children: their admins are told that the close ended them,
     * as when the partner ends one (round-27 walkthrough of seed 003, D1);
     * the children are told by parent-closed. */
    if (st == ST_OK)
        st = relations_active_outside(req->session->sql, account_id, 0, &r);
    if (st == ST_OK)
        st = closing_sides(req, account_id, &r, billing_people_admins_others, &out->customers,
                           &out->customer_people, &out->ncustomers, out);
    if (st != ST_OK)
        relations_closing_free(out);
    return st;
}

void relations_closing_free(struct relations_closing *c)
{
    for (size_t i = 0; i < c->n; i++)
        billing_people_free(&c->people[i]);
    free(c->people);
    free(c->accounts);
    for (size_t i = 0; i < c->nactive; i++)
        billing_people_free(&c->partner_people[i]);
    free(c->partner_people);
    free(c->partners);
    for (size_t i = 0; i < c->ncustomers; i++)
        billing_people_free(&c->customer_people[i]);
    free(c->customer_people);
    free(c->customers);
    free(c->actor);
    memset(c, 0, sizeof(*c));
}

int relations_close_pending(struct sql_store *sql, const struct caller *who,
                            unsigned long long account_id, const struct relations_closing *told)
{
    struct sql_result r;
    int st = relations_pending_of(sql, account_id, 1, &r);
    if (st != ST_OK)
        return st;
    static const struct billing_people nobody = {0};
    const char *actor = told->actor ? told->actor : caller_display(who);
    for (size_t i = 0; st == ST_OK && i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0), partner = sql_cell_id(&r, i, 1),
                           customer = sql_cell_id(&r, i, 2);
        int customer_closed = customer == account_id;
        unsigned long long other = customer_closed ? partner : customer;
        /* A request that came after the people were read: its other side's
         * notification recipients are told, its people not. */
        const struct billing_people *people = &nobody;
        for (size_t k = 0; k < told->n; k++)
            if (told->accounts[k] == other)
                people = &told->people[k];
        const char *status = customer_closed ? "declined" : "withdrawn";
        st = relation_decide(sql, id, status, who->uid);
        for (int k = 0; k < 2 && st == ST_OK; k++)
            st = audit_write(
                sql, who->uid, k ? customer : partner,
                customer_closed ? "relation.decline" : "relation.withdraw",
                json_pack("{s:I, s:s}", "relation_id", (json_int_t)id, "status", "pending"),
                json_pack("{s:I, s:s, s:s, s:I}", "relation_id", (json_int_t)id, "status", status,
                          "reason", "account closed", "closed_account_id", (json_int_t)account_id));
        if (st == ST_OK && customer_closed)
            st = mail_decided(sql, partner, customer, id, "declined", actor, people, 1);
        else if (st == ST_OK)
            st = mail_withdrawn(sql, partner, customer, id, actor, people, 1);
    }
    sql_result_free(&r);
    return st;
}

/* relation-ended of a close to the other side, account: people and its
 * notification recipients (billing_notify_queue's readers), but nobody who
 * reads account-closed (told->closed_readers and told->closed_rcpt, the
 * closed account's recipients). vals: relation-ended's 8 values. */
static int queue_ended_of_close(struct sql_store *sql, unsigned long long account,
                                const struct billing_people *people,
                                const struct relations_closing *told,
                                const struct template_value *vals)
{
    char **rcpt = NULL;
    size_t nrcpt = 0;
    int st = outbox_recipients(sql, account, &rcpt, &nrcpt);
    const char **to = xcalloc(people->n + nrcpt + 1, sizeof(char *));
    size_t n = 0;
    for (size_t k = 0; st == ST_OK && k < people->n + nrcpt; k++) {
        const char *m = k < people->n ? people->mails[k] : rcpt[k - people->n];
        int skip = k >= people->n && people->except && strcasecmp(m, people->except) == 0;
        for (size_t j = 0; !skip && told->closed_readers && j < told->closed_readers->n; j++)
            skip = strcasecmp(m, told->closed_readers->mails[j]) == 0;
        for (size_t j = 0; !skip && j < told->nclosed_rcpt; j++)
            skip = strcasecmp(m, told->closed_rcpt[j]) == 0;
        if (!skip)
            to[n++] = m;
    }
    if (st == ST_OK)
        st = outbox_queue(sql, account, "relation-ended", to, n, &people->names, vals, 8);
    free(to);
    outbox_free_list(rcpt, nrcpt);
    return st;
}

/* The active relations of a closed account on one side end (status
 * ended, ended_by who; relation.end on both accounts with reason "account
 * closed" and closed_account_id), and each other side is mailed
 * relation-ended (queue_ended_of_close). as_partner: the closed account
 * is the partner (relations_active_outside: the other sides are
 * told->customers, and the mail names its own storefront, which no longer
 * admits their people), else the customer (relations_active_as_customer:
 * told->partners). *ended: how many ended. */
static int close_relations_as(struct sql_store *sql, const struct caller *who,
                              unsigned long long account_id, int as_partner,
                              const struct relations_closing *told, size_t *ended)
{
    *ended = 0;
    struct sql_result r;
    int st = as_partner ? relations_active_outside(sql, account_id, 1, &r)
                        : relations_active_as_customer(sql, account_id, 1, &r);
    if (st != ST_OK || r.nrows == 0) {
        if (st == ST_OK)
            sql_result_free(&r);
        return st;
    }
    static const struct billing_people nobody = {0};
    const char *actor = told->actor ? told->actor : caller_display(who);
    size_t nknown = as_partner ? told->ncustomers : told->nactive;
    const unsigned long long *known = as_partner ? told->customers : told->partners;
    const struct billing_people *known_people =
        as_partner ? told->customer_people : told->partner_people;
    const char *closed_name = told->closed_name;
    /* A closed partner's own storefront, which runs to its term end after
     * the close, admitted these customers' people by the relation: the
     * end takes that away, and the mail says so. */
    const char *url = as_partner ? told->closed_url : NULL;
    for (size_t i = 0; st == ST_OK && i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0), other = sql_cell_id(&r, i, 1);
        unsigned long long partner = as_partner ? account_id : other,
                           customer = as_partner ? other : account_id;
        /* A relation that came after the people were read: the other
         * side's notification recipients are told, its people not. */
        const struct billing_people *people = &nobody;
        for (size_t k = 0; k < nknown; k++)
            if (known[k] == other)
                people = &known_people[k];
        st = relation_end(sql, id, who->uid);
        for (int k = 0; k < 2 && st == ST_OK; k++)
            st = audit_write(
                sql, who->uid, k ? customer : partner, "relation.end",
                json_pack("{s:I, s:s}", "relation_id", (json_int_t)id, "status", "active"),
                json_pack("{s:I, s:s, s:s, s:I}", "relation_id", (json_int_t)id, "status", "ended",
                          "reason", "account closed", "closed_account_id", (json_int_t)account_id));
        char *other_name = NULL;
        if (st == ST_OK)
            st = account_name_get(sql, other, &other_name);
        if (st == ST_OK) {
            const char *partner_name = as_partner ? closed_name : other_name,
                       *customer_name = as_partner ? other_name : closed_name;
            char rid[24];
            snprintf(rid, sizeof(rid), "%llu", id);
            struct buf note = BUF_INIT, again = BUF_INIT;
            buf_printf(&note,
                       "It ended because %s (account %llu) was closed; nobody's roles in either "
                       "account change.",
                       closed_name, account_id);
            if (url)
                buf_printf(&note,
                           " The people of %s can no longer sign in at its storefront at %s, "
                           "which runs on to its term end for its own customers.",
                           customer_name, url);
            struct template_value vals[] = {
                {"account_name", other_name},
                {"partner_name", partner_name},
                {"customer_name", customer_name},
                {"ended_by", actor},
                {"ended_by_account", closed_name},
                {"relation_id", rid},
                {"access_note", buf_str(&note)},
                {"again_note",
                 ended_again_note(&again, customer_name, !as_partner, partner_name, as_partner)}};
            st = queue_ended_of_close(sql, other, people, told, vals);
            buf_free(&note);
            buf_free(&again);
        }
        free(other_name);
        if (st == ST_OK)
            *ended = i + 1;
    }
    sql_result_free(&r);
    return st;
}

int relations_close_active(struct sql_store *sql, const struct caller *who,
                           unsigned long long account_id, const struct relations_closing *told)
{
    size_t ended;
    return close_relations_as(sql, who, account_id, 0, told, &ended);
}

int relations_close_customers(struct sql_store *sql, const struct caller *who,
                              unsigned long long account_id, const struct relations_closing *told,
                              size_t *ended)
{
    return close_relations_as(sql, who, account_id, 1, told, ended);
}

/* ---- a customer created under its partner ------------------------- */

int relations_created_read(struct request *req, unsigned long long partner_id,
                           struct relations_created *out)
{
    memset(out, 0, sizeof(*out));
    /* The partner's own people know what they created. Operator staff
     * count as operator staff whatever roles they hold in the partner,
     * also in one they created, whose admin that made them (round-14
     * walkthrough of seed 003, D1: the Help Center's customers were never
     * told to the reseller): its contacts (else admins) other than the
     * creator are told, and nobody when none is left. */
    if (!req->caller.is_operator && caller_roles(req, partner_id))
        return ST_OK;
    int st = staff_name(req, &out->created_by);
    if (st == ST_OK)
        st = billing_people_read_others(req, partner_id, &out->people);
    if (st != ST_OK)
        relations_created_free(out);
    return st;
}

void relations_created_free(struct relations_created *c)
{
    billing_people_free(&c->people);
    free(c->created_by);
    memset(c, 0, sizeof(*c));
}

int relations_created_mail(struct sql_store *sql, const struct relations_created *told,
                           unsigned long long partner_id, unsigned long long customer_id,
                           unsigned long long relation_id)
{
    if (!told->created_by)
        return ST_OK;
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24], pid[24], cid[24];
        snprintf(rid, sizeof(rid), "%llu", relation_id);
        snprintf(pid, sizeof(pid), "%llu", partner_id);
        snprintf(cid, sizeof(cid), "%llu", customer_id);
        struct template_value vals[] = {{"account_name", partner_name},   {"account_id", pid},
                                        {"customer_name", customer_name}, {"customer_id", cid},
                                        {"created_by", told->created_by}, {"relation_id", rid}};
        st = billing_notify_queue(sql, partner_id, "relation-created", &told->people, vals, 6);
    }
    free(customer_name);
    free(partner_name);
    return st;
}
