/*
 * transfer: POST /accounts/{id}/transfer and the completion of a hand-over
 * when the customer accepts (transfer.h).
 */
#include "transfer.h"

#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "contacts.h"
#include "contacts_store.h"
#include "handlers.h"
#include "invitations.h"
#include "invitations_store.h"
#include "ldap_store.h"
#include "log.h"
#include "mail_names.h"
#include "outbox.h"
#include "providers_store.h"
#include "saga.h"
#include "template.h"
#include "transfer_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the request ---------------------------------------------------- */

struct transfer_request {
    struct request *req;
    unsigned long long account_id;
    const char *email, *first_name, *last_name;
    /* The names its invitation's mail gives the people the hand-over
     * moves, read before the transaction (transfer_moved_names_now). */
    char *moved_ops, *moved_partners;
    json_t *result;
    unsigned long long invitation_id;
};

static int request_tx(struct sql_store *sql, void *arg)
{
    struct transfer_request *t = arg;
    char *status = NULL, *name = NULL;
    int st = transfer_lock_account(sql, t->account_id, &status, &name);
    if (st == ST_NOT_FOUND)
        st = refuse(t->req, 404, "not-found", "no such account");
    else if (st == ST_OK && strcmp(status, "staged") != 0)
        st = refuse(t->req, 409, "conflict",
                    "only a staged account can be handed over; this one is not staged");
    /* One pending hand-over at a time: a transfer to another address
     * revokes the earlier link (one to the same address is renewed by the
     * invitation below, its old link dead too). */
    unsigned long long *revoked = NULL;
    size_t nrevoked = 0;
    if (st == ST_OK)
        st = transfer_revoke_pending(sql, t->account_id, t->email, &revoked, &nrevoked);
    if (st == ST_OK)
        st = invitations_audit_revoked(sql, t->req->caller.uid, t->account_id, revoked, nrevoked,
                                       "replaced by a new transfer");
    free(revoked);
    unsigned long long invitation_id = 0;
    if (st == ST_OK) {
        json_decref(t->result);
        t->result = NULL;
        st = invite_transfer_in_transaction(sql, t->req, t->account_id, name, t->email,
                                            t->first_name, t->last_name, t->moved_ops,
                                            t->moved_partners, &t->result, &invitation_id);
    }
    if (st == ST_OK)
        st = transfer_record_request(sql, t->account_id, invitation_id, t->email,
                                     t->req->caller.uid);
    if (st == ST_OK)
        st = audit_write(
            sql, t->req->caller.uid, t->account_id, "transfer.request", NULL,
            json_pack("{s:s, s:I}", "email", t->email, "invitation_id", (json_int_t)invitation_id));
    t->invitation_id = invitation_id;
    free(status);
    free(name);
    return st;
}

static int side_people(struct request *req, unsigned long long account_id,
                       unsigned long long parent_id, struct transfer_parent *p);

/* How many admins of account a are people of its provider's side, its
 * parent or, without one, operator staff (one LDAP read of each's role
 * groups): what the 422 of a transfer to an admin of the account names as
 * the way that works. side: that side's people when the caller has read
 * them already (transfer_parent_people), else NULL: read here. names (may
 * be NULL): their names ("Paul Partner and Petra Partner"), one more LDAP
 * read, for the 403 that sends the customer's admin to them. */
static int parent_admins_here(struct request *req, const struct account_ref *a,
                              const struct transfer_parent *side, size_t *n, struct buf *names)
{
    *n = 0;
    struct transfer_parent own = {0};
    int st = ST_OK;
    if (!side) {
        st = side_people(req, a->id, a->parent_id, &own);
        side = &own;
    }
    /* No side (the operator's own account), or nobody in it. */
    if (st != ST_OK || !side->ix.n) {
        transfer_parent_free(&own);
        return st;
    }
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    st = ldap_store_role_groups(req->session->ldap, &a->id, 1, &groups, &ngroups);
    if (st == ST_OK) {
        struct member_index ix;
        member_index_build(&ix, groups, ngroups, a->id);
        const char **dns = xcalloc(ix.n + 1, sizeof(char *));
        for (size_t m = 0; m < ix.n; m++)
            if ((ix.entries[m].roles & ROLE_ADMIN) &&
                member_index_find_norm(&side->ix, ix.entries[m].norm))
                dns[(*n)++] = ix.entries[m].raw;
        struct person *people = NULL;
        size_t npeople = 0;
        if (names && *n)
            st = ldap_store_people_by_dn(req->session->ldap, dns, *n, &people, &npeople);
        for (size_t i = 0; i < npeople; i++) {
            buf_printf(names, "%s%s",
                       i == 0             ? ""
                       : i + 1 == npeople ? " and "
                                          : ", ",
                       people[i].name ? people[i].name : people[i].uid);
            person_free(&people[i]);
        }
        free(people);
        free(dns);
        member_index_free(&ix);
    }
    role_groups_free(groups, ngroups);
    transfer_parent_free(&own);
    return st;
}

/* The provider's side of a staged account (transfer.h). */
int transfer_caller_of_provider_side(struct request *req, const struct account_ref *a)
{
    if (req->caller.is_operator)
        return 1;
    if (a->parent_id)
        return a->parent_roles != 0;
    unsigned long long side = transfer_side_account(req, a->id, 0);
    return side && caller_roles(req, side) != 0;
}

int transfer_staged_not_provider_side(struct request *req, const struct account_ref *a)
{
    return strcmp(a->status, "staged") == 0 && !transfer_caller_of_provider_side(req, a);
}

/* The 403 of the provider's step (transfer.h; round-23 walkthrough of
 * seed 000, D1: the customer's admin Dora, whom the partner added while
 * staging, handed the account to a third person, whose invitation then
 * said that she had prepared it and the partner heard nothing). The
 * detail names who prepared it (the provider side's admins of the
 * account, with the parent's name) and, to an admin, what they can do
 * meanwhile: not the change of the roles of the people who prepared it,
 * which is the provider's step too (round-26 walkthrough of seed 000,
 * D1). Nothing is written. */
enum provider_step { STEP_HANDOVER, STEP_CLOSE, STEP_PREPARERS_ROLES };

static int not_provider_side_detail(struct request *req, const struct account_ref *a,
                                    enum provider_step step, const char *side_names,
                                    struct buf *detail);

/* The 403 of step on the request, or the store failure. */
static void refuse_not_provider_side(struct request *req, const struct account_ref *a,
                                     enum provider_step step)
{
    struct buf detail = BUF_INIT;
    int st = not_provider_side_detail(req, a, step, NULL, &detail);
    if (st == ST_OK)
        refuse(req, 403, "forbidden", "%s", buf_str(&detail));
    else
        res_store_failure(req, st, "the directory or the database");
    buf_free(&detail);
}

void transfer_refuse_not_provider_side(struct request *req, const struct account_ref *a)
{
    refuse_not_provider_side(req, a, STEP_HANDOVER);
}

/* The same 403 to the customer's admin who closes a staged account
 * (transfer.h; round-25 walkthrough of seed 000, D1). */
void transfer_refuse_close_not_provider_side(struct request *req, const struct account_ref *a)
{
    refuse_not_provider_side(req, a, STEP_CLOSE);
}

/* The same 403 to the customer's admin who changes or removes the roles
 * of one of the people who prepared a staged account (transfer.h;
 * round-26 walkthrough of seed 000, D1), with their names as the role
 * change has read them. */
int transfer_refuse_preparers_roles(struct request *req, const struct account_ref *a,
                                    const char *side_names, struct problem *ref)
{
    struct buf detail = BUF_INIT;
    int st = not_provider_side_detail(req, a, STEP_PREPARERS_ROLES, side_names, &detail);
    if (st == ST_OK)
        st = problem_set(ref, 403, "forbidden", buf_str(&detail));
    buf_free(&detail);
    return st;
}

/* The same 403 to such a caller who ends or time-limits the
 * service-provider access of a person of the provider's side (transfer.h;
 * round-27 walkthrough of seed 000, D1): the rule of the role change
 * (members.c, refuse_preparers_roles: a person of that side, while an
 * admin of that side remains), read here as the service-providers routes
 * have read nothing of it. Reads only on a staged account and a caller
 * not of its provider's side. */
int transfer_refuse_preparers_change(struct request *req, const struct account_ref *a,
                                     const char *dn, struct problem *ref)
{
    if (!transfer_staged_not_provider_side(req, a))
        return ST_OK;
    /* The side's people read once: whether dn is one of them, and which
     * of them are admins here (review of round 27). */
    struct transfer_parent p;
    int st = side_people(req, a->id, a->parent_id, &p);
    size_t n = 0;
    struct buf names = BUF_INIT;
    if (st == ST_OK && transfer_partner_person(&p, dn))
        st = parent_admins_here(req, a, &p, &n, &names);
    if (st == ST_OK && n && *buf_str(&names))
        st = transfer_refuse_preparers_roles(req, a, buf_str(&names), ref);
    buf_free(&names);
    transfer_parent_free(&p);
    return st;
}

/* step: which of the provider's steps is refused (the detail says which:
 * a hand-over's, the close, or the change of a preparer's roles).
 * side_names: the names of the provider side's admins of the account when
 * the caller has read them already ("" for none), else NULL: they are read
 * here (parent_admins_here). ST_OK with the 403's detail in detail, or a
 * store status. */
static int not_provider_side_detail(struct request *req, const struct account_ref *a,
                                    enum provider_step step, const char *side_names,
                                    struct buf *detail)
{
    struct buf names = BUF_INIT, who = BUF_INIT;
    size_t n = 0;
    int st = ST_OK;
    if (side_names) {
        buf_adds(&names, side_names);
        n = *side_names != '\0';
    } else {
        st = parent_admins_here(req, a, NULL, &n, &names);
    }
    char *parent_name = NULL;
    if (st == ST_OK && a->parent_id) {
        st = account_name_get(req->session->sql, a->parent_id, &parent_name);
        if (st == ST_NOT_FOUND)
            st = ST_OK;
    }
    if (st != ST_OK || !n)
        buf_free(&names);
    if (st != ST_OK) {
        free(parent_name);
        return st;
    }
    if (!n) {
        /* No admin of the provider's side is left (only a change made
         * outside accountd leaves a staged account so): it is the
         * customer's already, and the way that says so is the role
         * change (as the 422 of a transfer to its admin says). */
        buf_printf(detail,
                   "the hand-over is the provider's step, but no %s is an admin of this staged "
                   "account any more: it is the customer's already, and any change of its "
                   "people's roles by an admin of the account completes the hand-over (PUT "
                   "/api/v1/accounts/%llu/members/{uid} with the roles they have, or DELETE of "
                   "someone who leaves)%s",
                   a->parent_id ? "person of the partner" : "operator staff member", a->id,
                   step == STEP_CLOSE ? "; once it is active, its administrators close it" : "");
        free(parent_name);
        return st;
    }
    if (!a->parent_id)
        buf_printf(&who, "operator staff: %s", buf_str(&names));
    else
        buf_printf(&who, "%s of %s, or operator staff", buf_str(&names),
                   parent_name ? parent_name : "the partner");
    /* The rule, in the same words for each step. */
    struct buf only = BUF_INIT;
    buf_printf(&only,
               "only the people who prepared this staged account (%s) %s, by POST "
               "/api/v1/accounts/%llu/transfer or by changing their own role to service-provider",
               buf_str(&who),
               step == STEP_CLOSE             ? "close it or hand it over"
               : step == STEP_PREPARERS_ROLES ? "change their own roles or hand it over"
                                              : "hand it over",
               a->id);
    struct buf meanwhile = BUF_INIT;
    if (a->roles & ROLE_ADMIN)
        buf_printf(&meanwhile,
                   ". As its administrator you can invite people (POST "
                   "/api/v1/accounts/%llu/invitations) and change the roles of people other than "
                   "those who prepared it (PUT /api/v1/accounts/%llu/members/{uid}) meanwhile",
                   a->id, a->id);
    if (step == STEP_CLOSE)
        buf_printf(detail,
                   "closing a staged account is the provider's step, as its hand-over is: %s; "
                   "once it is handed over, its administrators close it; ask them%s",
                   buf_str(&only), buf_str(&meanwhile));
    else if (step == STEP_PREPARERS_ROLES)
        buf_printf(detail,
                   "changing the roles of the people who prepared a staged account is the "
                   "provider's step, as its hand-over is: %s; once it is handed over, its "
                   "administrators change their roles; ask them%s; nothing was changed",
                   buf_str(&only), buf_str(&meanwhile));
    else
        buf_printf(detail,
                   "the hand-over is the provider's step: %s, and they resend or revoke its "
                   "invitation; ask them%s",
                   buf_str(&only), buf_str(&meanwhile));
    buf_free(&only);
    buf_free(&meanwhile);
    buf_free(&names);
    buf_free(&who);
    free(parent_name);
    return st;
}

/* The 422 of a transfer to an admin of the account who is no person of
 * its parent (round-6 walkthrough of seed 000, D1), naming a way that
 * works for this caller (round-15 walkthrough of seed 000, D3: the
 * customer's admin who sent their own address got "one of the partner's
 * own people", and the operator was sent to "the partner's admin" of an
 * account that had none left). For an account without a parent the
 * provider's side is operator staff, and the message names them (round-17
 * walkthrough of seed 000, D1: it named steps that did nothing there). */
static int already_admin_message(struct request *req, const struct account_ref *a,
                                 struct buf *message)
{
    size_t partner_admins = 0;
    int st = parent_admins_here(req, a, NULL, &partner_admins, NULL);
    if (st != ST_OK)
        return st;
    unsigned long long side = transfer_side_account(req, a->id, a->parent_id);
    int operator_side = !a->parent_id;
    /* The caller is one of the provider's side: a person of the parent,
     * or (no parent) operator staff. */
    int caller_of_side =
        operator_side ? side && caller_roles(req, side) != 0 : a->parent_roles != 0;
    buf_adds(message, "this person is already an admin of this account; ");
    if ((a->roles & ROLE_ADMIN) && caller_of_side && partner_admins)
        buf_printf(message,
                   "to hand the account over to them, change your own role to service-provider "
                   "(PUT /api/v1/accounts/%llu/members/%s with {\"roles\": "
                   "[\"service-provider\"]}: the hand-over by role change)",
                   a->id, req->caller.uid ? req->caller.uid : "{your uid}");
    else if (partner_admins) {
        buf_printf(message,
                   "%s hands the account over to them by changing their own role to "
                   "service-provider (PUT /api/v1/accounts/%llu/members/{their uid}: the "
                   "hand-over by role change)",
                   operator_side ? "an operator staff member who is an admin of it"
                                 : "the partner's admin",
                   a->id);
        /* The change of the preparers' roles is the provider's side's
         * (round-26 walkthrough of seed 000, D1): operator staff, not
         * the customer's admin (who gets the 403 before this). */
        if (req->caller.is_operator)
            buf_printf(message,
                       ", or you, as operator staff, change the roles of %s to "
                       "service-provider: the change that leaves none of them admin hands it "
                       "over",
                       operator_side ? "the operator staff who are its admins"
                                     : "the partner's admins");
    } else
        /* Since the hand-over's invariant (round-16 walkthrough of seed
         * 000, D1) only a change made outside accountd (or before the
         * rule) leaves a staged account in this state; any role change
         * through the API completes it. */
        buf_printf(message,
                   "no %s is an admin of it any more: it is the customer's "
                   "already, and any change of its people's roles by an admin of the account "
                   "completes the hand-over (PUT /api/v1/accounts/%llu/members/{uid} with the "
                   "roles they have, or DELETE of someone who leaves)",
                   operator_side ? "operator staff member" : "person of the partner", a->id);
    return ST_OK;
}

void transfers_create(struct request *req)
{
    static const char *const allowed[] = {"email", "first_name", "last_name", "_version", NULL};
    /* Only a staged account is handed over (checked again under its
     * lock): the 409 first, to everyone the route lets in (every person
     * of the account; round-24 walkthrough of seed 000, D3: the partner
     * who had prepared an account handed over since, now its service
     * provider, was told to ask the people who prepared it), before the
     * body and the address, whose messages speak of a hand-over that
     * cannot happen here. */
    if (strcmp(req->account.status, "staged") != 0) {
        refuse(req, 409, "conflict",
               "only a staged account can be handed over; this one is not staged");
        return;
    }
    /* On a staged account, the admins of the provider's side only
     * (routes.c; round-23 walkthrough of seed 000, D1): before the body
     * is looked at, nothing written. */
    if ((!req->caller.is_operator && !(req->account.roles & ROLE_ADMIN)) ||
        transfer_staged_not_provider_side(req, &req->account)) {
        transfer_refuse_not_provider_side(req, &req->account);
        return;
    }
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct transfer_request t = {.req = req};
    /* Trimmed as an invitation's (round-6 walkthrough of seed 004, D6). */
    body_trim(b, "email");
    body_trim(b, "first_name");
    body_trim(b, "last_name");
    t.email = body_str(req, b, NULL, "email", 1, MAX_BYTES(254));
    t.first_name = body_text(req, b, NULL, "first_name", 0, MAX_CHARS(100));
    t.last_name = body_text(req, b, NULL, "last_name", 0, MAX_CHARS(100));
    const char *why;
    char buf[WHY_SIZE];
    if (t.email && (why = validate_email_ascii(t.email, buf)))
        res_field_error(req, "email", why);
    if (body_failed(req) || if_match_fails(req, b))
        return;
    struct account_ref a = req->account;
    t.account_id = a.id;
    /* Not to one of the partner's own people (round-4 walkthrough of seed
     * 000, D2): a person of the parent account, or an admin or service
     * provider of this one, would take the account over from the partner
     * instead of its customer. */
    struct person known = {0};
    int st = ldap_store_find_person(req->session->ldap, "mail", t.email, &known);
    unsigned here = 0;
    int of_parent = 0;
    if (st == ST_OK) {
        st = transfer_person_side(req, a.id, known.dn, &here, &of_parent);
    }
    person_free(&known);
    if (st == ST_NOT_FOUND)
        st = ST_OK;
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    if (!of_parent && (here & ROLE_ADMIN)) {
        /* The customer's admin the partner already added (the seed's "add
         * your customer as admin, then hand over"): not "one of the
         * partner's own people", which they are not; the hand-over to an
         * admin already in the account is the role change (round-6
         * walkthrough of seed 000, D1). */
        struct buf message = BUF_INIT;
        st = already_admin_message(req, &a, &message);
        if (st != ST_OK) {
            buf_free(&message);
            res_store_failure(req, st, "the directory");
            return;
        }
        res_field_error(req, "email", buf_str(&message));
        buf_free(&message);
        refuse_invalid(req);
        return;
    }
    if (of_parent || (here & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER))) {
        res_field_error(req, "email",
                        a.parent_id
                            ? "this address belongs to one of the partner's own people (a person "
                              "of the parent account, or an admin or service provider of this "
                              "account); hand the account over to the customer's address"
                            : "this address belongs to one of the provider's own people (operator "
                              "staff, or an admin or service provider of this account); hand "
                              "the account over to the customer's address");
        refuse_invalid(req);
        return;
    }
    /* The transfer-invitation's note names the people the hand-over moves
     * (but on an account whose provider's side is operator staff): read
     * here, as the transaction holds no LDAP read. */
    if (a.parent_id || !transfer_side_account(req, a.id, 0)) {
        st = transfer_moved_names_now(req, a.id, &t.moved_ops, &t.moved_partners);
        if (st != ST_OK) {
            free(t.moved_ops);
            free(t.moved_partners);
            res_store_failure(req, st, "the directory");
            return;
        }
    }
    st = request_transaction(req, request_tx, &t);
    free(t.moved_ops);
    free(t.moved_partners);
    if (st == ST_OK) {
        /* The hand-over's invitation, as an invitation's 202 points to it
         * (round-8 walkthroughs of seeds 003 and 004). */
        char loc[96];
        snprintf(loc, sizeof(loc), "/api/v1/accounts/%llu/invitations/%llu", a.id, t.invitation_id);
        res_header(req, "Location", loc);
        res_json(req, 202, t.result);
    } else
        res_store_failure(req, st, "the database");
    if (st != ST_OK)
        json_decref(t.result);
}

/* ---- the hand-over -------------------------------------------------- */

struct handover {
    unsigned long long account_id;
    struct person *providers; /* the partner's people the hand-over moves */
    unsigned *before;         /* their roles in the account before it */
    /* 1 for one who is an operator (an admin of the operator account),
     * whose invitations stay usable whatever the hand-over leaves them
     * (round-18 walkthrough of seed 000, D1) */
    int *is_operator;
    size_t nproviders;
    int operator_side; /* no parent: operator staff are the provider's side */
    char **told;       /* the mails of the partner's people who are providers already */
    size_t ntold;
    /* The account's other admins who are no person of the provider's
     * side (the customer's admins the partner added while staging): the
     * hand-over leaves them admin, names them to the new owner and tells
     * them (round-22 walkthrough of seed 000, D1). */
    struct person *stay_admins;
    size_t nstay;
    /* The names that greet the mails' readers: the partner's people's and
     * those of the notification recipients who are people. */
    struct mail_names names;
};

static void handover_free(struct handover *h)
{
    for (size_t i = 0; i < h->nproviders; i++)
        person_free(&h->providers[i]);
    free(h->providers);
    free(h->before);
    free(h->is_operator);
    for (size_t i = 0; i < h->ntold; i++)
        free(h->told[i]);
    free(h->told);
    for (size_t i = 0; i < h->nstay; i++)
        person_free(&h->stay_admins[i]);
    free(h->stay_admins);
    mail_names_free(&h->names);
    free(h);
}

void transfer_forget(struct handover **h)
{
    if (*h)
        handover_free(*h);
    *h = NULL;
}

unsigned long long transfer_side_account(struct request *req, unsigned long long account_id,
                                         unsigned long long parent_id)
{
    if (parent_id)
        return parent_id;
    unsigned long long op = operator_account_id(req);
    return op == account_id ? 0 : op;
}

int transfer_parent_people(struct request *req, unsigned long long account_id,
                           struct transfer_parent *p)
{
    memset(p, 0, sizeof(*p));
    struct sql_result r = {0};
    int st = account_brief(req->session->sql, account_id, &r);
    int found = st == ST_OK && r.nrows;
    unsigned long long parent = found ? sql_cell_id(&r, 0, ACCOUNT_COL_PARENT) : 0;
    sql_result_free(&r);
    if (st != ST_OK || !found)
        return st;
    return side_people(req, account_id, parent, p);
}

/* transfer_parent_people of an account whose parent is known. */
static int side_people(struct request *req, unsigned long long account_id,
                       unsigned long long parent_id, struct transfer_parent *p)
{
    memset(p, 0, sizeof(*p));
    /* Operator staff for an account without a parent (round-17
     * walkthrough of seed 000, D1 and D2). */
    unsigned long long side = transfer_side_account(req, account_id, parent_id);
    if (!side)
        return ST_OK;
    p->operator_side = !parent_id;
    int st = ldap_store_role_groups(req->session->ldap, &side, 1, &p->groups, &p->ngroups);
    if (st == ST_OK)
        member_index_build(&p->ix, p->groups, p->ngroups, side);
    return st;
}

void transfer_parent_free(struct transfer_parent *p)
{
    member_index_free(&p->ix);
    role_groups_free(p->groups, p->ngroups);
    memset(p, 0, sizeof(*p));
}

int transfer_partner_person(const struct transfer_parent *p, const char *dn)
{
    return p->ix.n && member_index_find(&p->ix, dn) != NULL;
}

int transfer_person_side(struct request *req, unsigned long long account_id, const char *dn,
                         unsigned *here, int *of_parent)
{
    *here = 0;
    *of_parent = 0;
    int st = ldap_store_roles_of(req->session->ldap, account_id, dn, here);
    if (st != ST_OK)
        return st;
    struct transfer_parent p;
    st = transfer_parent_people(req, account_id, &p);
    if (st == ST_OK)
        *of_parent = transfer_partner_person(&p, dn);
    transfer_parent_free(&p);
    return st;
}

int transfer_is_partners(struct request *req, unsigned long long account_id, const char *dn,
                         unsigned roles, int *is, int *operator_side)
{
    *is = 0;
    if (operator_side)
        *operator_side = 0;
    unsigned here = 0;
    int st = ldap_store_roles_of(req->session->ldap, account_id, dn, &here);
    if (st != ST_OK)
        return st;
    struct transfer_parent p;
    st = transfer_parent_people(req, account_id, &p);
    if (st == ST_OK) {
        *is = (here & roles) || transfer_partner_person(&p, dn);
        if (operator_side)
            *operator_side = p.operator_side;
    }
    transfer_parent_free(&p);
    return st;
}

/* The partner's people the hand-over moves (round-4 walkthrough of seed
 * 000, D1; round 5): the parent's people who hold admin or billing in the
 * account, the customer never; each ends with service-provider only.
 * The other providers are told too (D4). Read from LDAP. */
static int read_providers(struct request *req, struct handover *h, const char *customer_dn)
{
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(req->session->ldap, &h->account_id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    struct transfer_parent parent;
    st = transfer_parent_people(req, h->account_id, &parent);
    if (st != ST_OK) {
        role_groups_free(groups, ngroups);
        return st;
    }
    h->operator_side = parent.operator_side;
    /* The operators among them (an admin of the operator account) keep
     * their invitations alive as operators: the hand-over gives those of
     * the others a new sender (transfer_finish_sql). Operator staff are
     * the parent already on an account without one; else one more read
     * of the operator account's groups. */
    struct role_group *opgroups = NULL;
    size_t nopgroups = 0;
    struct member_index opix = {0};
    const struct member_index *operators = &parent.ix;
    if (!parent.operator_side) {
        unsigned long long op = operator_account_id(req);
        if (op)
            st = ldap_store_role_groups(req->session->ldap, &op, 1, &opgroups, &nopgroups);
        if (st != ST_OK) {
            transfer_parent_free(&parent);
            role_groups_free(groups, ngroups);
            return st;
        }
        member_index_build(&opix, opgroups, nopgroups, op);
        operators = &opix;
    }
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, h->account_id);
    const char **dns = xcalloc(ix.n + 1, sizeof(char *));
    const char **told = xcalloc(ix.n + 1, sizeof(char *));
    size_t ndns = 0, ntold = 0;
    for (size_t m = 0; m < ix.n; m++) {
        const struct member_entry *e = &ix.entries[m];
        if (customer_dn && ldap_dn_equal(e->raw, customer_dn))
            continue;
        /* Only the partner's people move: an admin the partner added
         * while staging who is not one of the parent's people (the
         * customer's own IT admin, as the seed's "add users and assign
         * access roles") stays admin (round-5 walkthrough of seed 000). */
        if ((e->roles & (ROLE_ADMIN | ROLE_BILLING)) && transfer_partner_person(&parent, e->raw))
            dns[ndns++] = e->raw;
        else if (e->roles & (ROLE_SERVICE_PROVIDER | ROLE_ADMIN))
            /* A provider already, or a customer admin who stays admin
             * (round-22 walkthrough of seed 000, D1): one read for both,
             * told apart below. */
            told[ntold++] = e->raw;
    }
    st = ldap_store_people_by_dn(req->session->ldap, dns, ndns, &h->providers, &h->nproviders);
    h->before = xcalloc(h->nproviders + 1, sizeof(unsigned));
    h->is_operator = xcalloc(h->nproviders + 1, sizeof(int));
    for (size_t i = 0; st == ST_OK && i < h->nproviders; i++) {
        const struct member_entry *e = member_index_find(&ix, h->providers[i].dn);
        h->before[i] = e ? e->roles : ROLE_ADMIN;
        const struct member_entry *o =
            operators->n ? member_index_find(operators, h->providers[i].dn) : NULL;
        h->is_operator[i] = o && (o->roles & ROLE_ADMIN);
        mail_names_add_person(&h->names, &h->providers[i]);
    }
    struct person *others = NULL;
    size_t nothers = 0;
    if (st == ST_OK)
        st = ldap_store_people_by_dn(req->session->ldap, told, ntold, &others, &nothers);
    h->told = xcalloc(nothers + 1, sizeof(char *));
    h->stay_admins = xcalloc(nothers + 1, sizeof(*h->stay_admins));
    for (size_t i = 0; i < nothers; i++) {
        mail_names_add_person(&h->names, &others[i]);
        const struct member_entry *e = member_index_find(&ix, others[i].dn);
        if (e && (e->roles & ROLE_ADMIN)) {
            /* Admin and no person of the provider's side: the customer's
             * admin, who stays admin (not a provider, whatever other role
             * they hold). */
            h->stay_admins[h->nstay++] = others[i];
            continue;
        }
        if (others[i].mail)
            h->told[h->ntold++] = xstrdup(others[i].mail);
        person_free(&others[i]);
    }
    free(others);
    free(dns);
    free(told);
    member_index_free(&ix);
    member_index_free(&opix);
    role_groups_free(opgroups, nopgroups);
    transfer_parent_free(&parent);
    role_groups_free(groups, ngroups);
    return st;
}

int transfer_prepare(struct request *req, unsigned long long account_id, const char *customer_dn,
                     struct handover **hp)
{
    transfer_forget(hp);
    struct handover *h = xcalloc(1, sizeof(*h));
    h->account_id = account_id;
    *hp = h;
    int st = read_providers(req, h, customer_dn);
    /* The recipients the customer's address replaces are told too. */
    if (st == ST_OK)
        mail_names_read_recipients(req->session->sql, req->session->ldap, account_id, NULL, 0,
                                   &h->names);
    return st;
}

void transfer_plan_moves(const struct handover *h, struct saga_plan *plan)
{
    for (size_t i = 0; i < h->nproviders; i++)
        saga_plan_also(plan, h->providers[i].dn, h->providers[i].uid, h->before[i],
                       ROLE_SERVICE_PROVIDER);
}

json_t *transfer_data(const struct handover *h, const char *customer_mail,
                      const char *customer_name)
{
    json_t *providers = json_array();
    for (size_t i = 0; i < h->nproviders; i++)
        json_array_append_new(providers,
                              json_pack("{s:s, s:s?, s:o, s:b}", "uid", h->providers[i].uid, "mail",
                                        h->providers[i].mail, "roles", roles_json(h->before[i]),
                                        "operator", h->is_operator[i]));
    json_t *told = json_array();
    for (size_t i = 0; i < h->ntold; i++)
        json_array_append_new(told, json_string(h->told[i]));
    /* The customer's admins it leaves admin, as the hand-over by role
     * change records its "owners" (round-22 walkthrough of seed 000, D1). */
    json_t *stay = json_array();
    for (size_t i = 0; i < h->nstay; i++)
        json_array_append_new(stay,
                              json_pack("{s:s?, s:s?, s:s?}", "uid", h->stay_admins[i].uid, "name",
                                        h->stay_admins[i].name, "mail", h->stay_admins[i].mail));
    /* names: who the readers of its mails are (an intent recorded before
     * it greets them "Hello,"). */
    json_t *names = mail_names_json(&h->names);
    if (customer_mail && customer_name)
        json_object_set_new(names, customer_mail, json_string(customer_name));
    return json_pack("{s:s?, s:s?, s:o, s:o, s:o, s:o, s:b}", "customer_mail", customer_mail,
                     "customer_name", customer_name, "providers", providers, "told", told,
                     "stay_admins", stay, "names", names, "operator_side", h->operator_side);
}

static void moved_names_split(const char **names, const int *is_operator, size_t n,
                              char **operators, char **partners);

int transfer_moved_names_now(struct request *req, unsigned long long account_id, char **operators,
                             char **partners)
{
    *operators = *partners = NULL;
    struct handover *h = NULL;
    int st = transfer_prepare(req, account_id, NULL, &h);
    if (st == ST_OK) {
        /* As transfer_moved_names reads them from transfer_data's. */
        const char **names = xcalloc(h->nproviders + 1, sizeof(char *));
        for (size_t i = 0; i < h->nproviders; i++) {
            const char *mail = h->providers[i].mail;
            names[i] = mail ? mail_names_find(&h->names, mail) : NULL;
            if (!names[i])
                names[i] = h->providers[i].uid;
        }
        moved_names_split(names, h->is_operator, h->nproviders, operators, partners);
        free(names);
    }
    transfer_forget(&h);
    return st;
}

int transfer_audit_demote(struct sql_store *sql, const char *actor, unsigned long long account_id,
                          const json_t *moved)
{
    const char *uid = json_string_value(json_object_get(moved, "uid"));
    json_t *before = json_object_get(moved, "roles");
    /* An intent recorded before the roles were (round 4): admin. */
    json_t *o = json_is_array(before) ? json_pack("{s:s, s:O}", "uid", uid, "roles", before)
                                      : json_pack("{s:s, s:[s]}", "uid", uid, "roles", "admin");
    return audit_write(sql, actor, account_id, "transfer.demote", o,
                       json_pack("{s:s, s:[s]}", "uid", uid, "roles", "service-provider"));
}

/* The account's named contacts as {"primary": uid or null, "technical":
 * uid or null} in *out (a new reference). */
static int named_contacts(struct sql_store *sql, unsigned long long account_id, json_t **out)
{
    char *primary = NULL, *technical = NULL;
    int st = contact_get(sql, account_id, "primary", &primary);
    if (st == ST_OK)
        st = contact_get(sql, account_id, "technical", &technical);
    *out =
        st == ST_OK ? json_pack("{s:s?, s:s?}", "primary", primary, "technical", technical) : NULL;
    free(primary);
    free(technical);
    return st;
}

char *transfer_providers_note(int operator_side, int invitation, const char *operators,
                              const char *partners)
{
    if (operator_side)
        return xstrdup(
            invitation
                ? "The people who prepared it are the platform's staff: they keep access as "
                  "your service providers, for support. You can end that role at any time, "
                  "but the platform's operators keep access to every account as operators."
                : "The people who prepared it are the platform's staff: they keep access as your "
                  "service providers, for support, and you find them in the account's list of "
                  "service providers. An administrator can end that role there at any time, but "
                  "the platform's operators keep access to every account as operators.");
    struct buf b = BUF_INIT;
    if (!operators)
        buf_adds(&b, invitation
                         ? "The people who prepared it keep access as your service providers, for "
                           "support; you can revoke that at any time."
                         : "The people who prepared it keep access as your service providers, for "
                           "support. You find them in the account's list of service providers, "
                           "where an administrator can end any one's access at any time.");
    /* Operator staff among the people it moves, on an account under a
     * partner: their service-provider role ends, their access as the
     * platform's operators does not (round-25 walkthrough of seed 000,
     * D2); "revoke" only for the partner's people. */
    else if (!partners)
        buf_printf(&b,
                   "The people who prepared it (%s) are the platform's operator staff: they keep "
                   "access as your service providers, for support%s. %s can end that role at "
                   "any time, but operator staff can act in every account as the platform's "
                   "operators, whatever role they hold in it, so ending it does not end their "
                   "access.",
                   operators,
                   invitation ? ""
                              : ", and you find them in the account's list of service providers",
                   invitation ? "You" : "An administrator");
    else
        buf_printf(&b,
                   "The people who prepared it keep access as your service providers, for "
                   "support%s. %s revoke the access of the partner's people among them (%s) at any "
                   "time. The others (%s) are the platform's operator staff, who can act in every "
                   "account as the platform's operators whatever role they hold in it: ending "
                   "their service-provider role does not end their access.",
                   invitation ? ""
                              : ", and you find them in the account's list of service providers",
                   invitation ? "You can" : "An administrator can", partners, operators);
    return buf_detach(&b);
}

/* names[i] (NULL: left out) into the operator staff's (is_operator[i])
 * and the others'. */
static void moved_names_split(const char **names, const int *is_operator, size_t n,
                              char **operators, char **partners)
{
    const char **ops = xcalloc(n + 1, sizeof(char *));
    const char **others = xcalloc(n + 1, sizeof(char *));
    size_t nops = 0, nothers = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        if (is_operator[i])
            ops[nops++] = names[i];
        else
            others[nothers++] = names[i];
    }
    *operators = mail_names_joined(ops, nops, "");
    *partners = mail_names_joined(others, nothers, "");
    free(ops);
    free(others);
}

void transfer_moved_names(const json_t *providers, const json_t *names, char **operators,
                          char **partners)
{
    size_t n = json_array_size(providers);
    const char **v = xcalloc(n + 1, sizeof(char *));
    int *is_operator = xcalloc(n + 1, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(providers, i);
        const char *mail = json_string_value(json_object_get(p, "mail"));
        v[i] = mail ? json_string_value(json_object_get(names, mail)) : NULL;
        if (!v[i])
            v[i] = json_string_value(json_object_get(p, "uid"));
        is_operator[i] = json_is_true(json_object_get(p, "operator"));
    }
    moved_names_split(v, is_operator, n, operators, partners);
    free(v);
    free(is_operator);
}

/* Why the hand-over gave an invitation a new sender: its audit row says
 * it (invitation.sender). */
#define SENDER_HANDED_OVER                                                                         \
    "the account was handed over: its sender is a service provider now, who may not send it"

/* 1b. of the hand-over (round-18 walkthrough of seed 000, D1: the admin
 * and billing invitations the partner sent while staging answered 410
 * invitation-revoked once the accept made their sender a service
 * provider, and nobody was told): each pending account invitation that a
 * person the hand-over moves sent, and may send no longer as a service
 * provider (the accept's rule, invitation_roles_keep, on their roles
 * before and after), gets the customer, its admin now, as its sender, so
 * that its link keeps working; an invitation.sender audit row each
 * (actor: the customer). Its token, expiry and mail stay. Operators keep
 * theirs alive as operators and are left alone. *note: the line of
 * ownership-transferred that names them, left empty when there is none. */
static int hand_over_invitations(struct sql_store *sql, unsigned long long account_id,
                                 const char *customer_uid, const json_t *providers,
                                 struct buf *note)
{
    int st = ST_OK;
    size_t n = 0;
    struct buf list = BUF_INIT;
    for (size_t i = 0; st == ST_OK && i < json_array_size(providers); i++) {
        const json_t *p = json_array_get(providers, i);
        const char *uid = json_string_value(json_object_get(p, "uid"));
        if (!uid || json_is_true(json_object_get(p, "operator")))
            continue;
        /* Their roles before it (an intent recorded before round 4 has
         * none: admin; a list that holds something else than role names
         * gives none, and their invitations stay as they are). */
        const json_t *roles = json_object_get(p, "roles");
        unsigned before = ROLE_ADMIN;
        if (json_is_array(roles) && roles_from_json(0, roles, &before) < 0)
            before = 0;
        json_t *items = NULL;
        st = invitations_sent_by(sql, account_id, uid, &items);
        for (size_t k = 0; st == ST_OK && k < json_array_size(items); k++) {
            const json_t *it = json_array_get(items, k);
            const char *id = json_string_value(json_object_get(it, "id"));
            const char *email = json_string_value(json_object_get(it, "email"));
            const char *role = json_string_value(json_object_get(it, "role"));
            const char *was = json_string_value(json_object_get(it, "invited_by"));
            unsigned bit = role_bit(role ? role : "");
            if (!id || !email || !bit || !invitation_roles_keep(before, bit, 0, 0) ||
                invitation_roles_keep(ROLE_SERVICE_PROVIDER, bit, 0, 0))
                continue;
            json_int_t inv = (json_int_t)strtoull(id, NULL, 10);
            st = invitation_set_sender(sql, (unsigned long long)inv, customer_uid);
            if (st == ST_OK)
                st = audit_write(
                    sql, customer_uid, account_id, "invitation.sender",
                    json_pack("{s:I, s:s}", "invitation_id", inv, "invited_by", was ? was : uid),
                    json_pack("{s:I, s:s, s:s}", "invitation_id", inv, "invited_by", customer_uid,
                              "reason", SENDER_HANDED_OVER));
            if (st == ST_OK)
                buf_printf(&list, "%s%s as %s (invitation %s)", n++ ? ", " : "", email,
                           template_role_title(role), id);
        }
        json_decref(items);
    }
    if (st == ST_OK && n == 1)
        buf_printf(note,
                   "Pending invitation you now send: %s. The people who prepared the account sent "
                   "it; its link keeps working, and as its sender you can revoke it in the "
                   "account's pending invitations.",
                   buf_str(&list));
    else if (st == ST_OK && n)
        buf_printf(note,
                   "Pending invitations you now send: %s. The people who prepared the account "
                   "sent them; their links keep working, and as their sender you can revoke any "
                   "of them in the account's pending invitations.",
                   buf_str(&list));
    buf_free(&list);
    return st;
}

/* The sentence that names the administrators a hand-over leaves admin
 * besides the new owner (still: a JSON array of strings, each a person as
 * the mail names them): "A is still an administrator of it: <why>; you
 * can change that in the account's people." ("A and B are still
 * administrators …"), after a space when b holds text; nothing when the
 * array is empty. The hand-over by role change names the partner's
 * colleagues it leaves admin (round-19 walkthrough of seed 000, D4), the
 * one by POST …/transfer the customer's admins the partner added while
 * staging (round-22 walkthrough of seed 000, D1). */
static void still_admins_sentence(struct buf *b, const json_t *still, const char *why)
{
    size_t n = json_array_size(still);
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s",
                   i == 0       ? (b->len ? " " : "")
                   : i + 1 == n ? " and "
                                : ", ",
                   json_string_value(json_array_get(still, i)));
    if (n)
        buf_printf(b, " %s still %s of it: %s; you can change that in the account's people.",
                   n == 1 ? "is" : "are", n == 1 ? "an administrator" : "administrators", why);
}

/* Where the account's notifications go now, for the new owner of a
 * hand-over (round-22 walkthrough of seed 000, D2: after a hand-over by
 * role change the partner's addresses still got them and the new owner
 * was not told; the transfer's mail said where they go): "Its
 * notifications go to a, b", or "No address gets its notifications" for
 * an empty list, after a space when b holds text; the caller ends it. */
static void notifications_sentence(struct buf *b, char *const *recipients, size_t n)
{
    if (b->len)
        buf_addc(b, ' ');
    if (!n) {
        buf_adds(b, "No address gets its notifications");
        return;
    }
    buf_adds(b, "Its notifications go to ");
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s", i ? ", " : "", recipients[i]);
}

/* account-handed-over (migration 063) to the customer's admins of a
 * hand-over (owners: [{uid, name, mail}]), text its {{handed_over}}, and
 * mine the readers' own copies: the hand-over by role change that named
 * no contact (round-16 walkthrough of seed 000, D2) and the customer's
 * admins a POST …/transfer leaves admin besides its new owner (round-22
 * walkthrough of seed 000, D1) send the same mail. Transactional, outside
 * the mail budget (the hand-over must not fail on it), greeted by the
 * names the owners carry. */
static int queue_handed_over(struct sql_store *sql, unsigned long long account_id,
                             const char *account_name, const json_t *owners, const char *text,
                             const struct reader_value *mine, size_t nmine)
{
    size_t n = json_array_size(owners);
    if (!n || !text || !*text)
        return ST_OK;
    const char **to = xcalloc(n + 1, sizeof(char *));
    struct mail_names names = MAIL_NAMES_INIT;
    size_t nto = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(owners, i);
        const char *mail = json_string_value(json_object_get(o, "mail"));
        if (!mail || !*mail)
            continue;
        to[nto++] = mail;
        mail_names_add(&names, mail, json_string_value(json_object_get(o, "name")));
    }
    struct template_value vals[] = {{"account_name", account_name}, {"handed_over", text}};
    int st = ST_OK;
    if (nto)
        st = outbox_queue_readers(sql, account_id, "account-handed-over", to, nto, &names, vals, 2,
                                  mine, nmine, 0);
    mail_names_free(&names);
    free(to);
    return st;
}

/* What a hand-over leaves a partner's person who was no admin and whose
 * other roles it ended (before: their roles, ROLE_* bits), said the same
 * way by the hand-over by role change and by the accepted transfer
 * (round-19 walkthrough of seed 000, D1; round-27, D3). */
static void moved_access_sentence(struct buf *b, unsigned before)
{
    buf_adds(b, "You keep access as a service provider only: the hand-over ended your other "
                "roles in it (");
    mail_role_titles(b, before & ~(unsigned)ROLE_SERVICE_PROVIDER);
    buf_adds(b, "), as it leaves the partner's people service providers.");
}

/* The customer's admins a POST …/transfer leaves admin besides the one
 * who accepts it (data's "stay_admins"; round-22 walkthrough of seed 000,
 * D1: the partner had added Zoe as admin while staging, and the hand-over
 * to Zack told neither about the other). *line: the line of
 * ownership-transferred that names them ({{other_admins}}, migration 096),
 * left empty when there is none; each of them gets account-handed-over,
 * as the hand-over by role change tells the customer's admins. */
static int mail_stay_admins(struct sql_store *sql, unsigned long long account_id,
                            const char *account_name, const char *owner_name,
                            const char *owner_mail, const json_t *data, struct buf *line)
{
    const json_t *stay = json_object_get(data, "stay_admins");
    if (!json_array_size(stay))
        return ST_OK;
    json_t *named = json_array();
    for (size_t i = 0; i < json_array_size(stay); i++) {
        const json_t *o = json_array_get(stay, i);
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *mail = json_string_value(json_object_get(o, "mail"));
        const char *uid = json_string_value(json_object_get(o, "uid"));
        struct buf one = BUF_INIT;
        if (name && *name && mail && *mail)
            buf_printf(&one, "%s (%s)", name, mail);
        else
            buf_adds(&one, mail && *mail ? mail : name && *name ? name : uid ? uid : "");
        if (one.len)
            json_array_append_new(named, json_string(buf_str(&one)));
        buf_free(&one);
    }
    still_admins_sentence(line, named,
                          "the people who prepared it added them, and the hand-over "
                          "leaves the customer's administrators as they are");
    json_decref(named);
    struct buf text = BUF_INIT;
    char *recipients[] = {(char *)owner_mail};
    buf_printf(&text,
               "%s accepted the hand-over of %s from the people who prepared it: it is now "
               "active and its customer's, and %s is its primary and technical contact.",
               owner_name, account_name, owner_name);
    notifications_sentence(&text, recipients, owner_mail ? 1 : 0);
    buf_adds(&text, ". You are still one of its administrators, as the people who prepared it made "
                    "you; they keep access as its service providers.");
    int st = queue_handed_over(sql, account_id, account_name, stay, buf_str(&text), NULL, 0);
    buf_free(&text);
    return st;
}

int transfer_finish_sql(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long invitation_id, const char *customer_uid,
                        const json_t *data, struct problem *ref)
{
    char *status = NULL, *name = NULL;
    int st = transfer_lock_account(sql, account_id, &status, &name);
    if (st == ST_OK && strcmp(status, "staged") != 0)
        st = problem_set(ref, 409, "conflict", "this account was handed over already");
    free(status);
    /* Only the invitation the transfer record names completes it: one a
     * later transfer replaced does not. */
    unsigned long long current = 0;
    if (st == ST_OK) {
        st = transfer_current_invitation(sql, account_id, &current);
        if (st == ST_NOT_FOUND || (st == ST_OK && current != invitation_id))
            st = problem_set(ref, 409, "conflict",
                             "this transfer invitation was replaced by a newer one");
    }
    if (st != ST_OK) {
        free(name);
        return st;
    }
    const char *customer_mail = json_string_value(json_object_get(data, "customer_mail"));
    const char *customer_name = json_string_value(json_object_get(data, "customer_name"));
    const json_t *providers = json_object_get(data, "providers");
    size_t nproviders = json_array_size(providers);
    /* 1. The partner's people: service providers from now on. */
    for (size_t i = 0; i < nproviders && st == ST_OK; i++) {
        const char *uid = json_string_value(json_object_get(json_array_get(providers, i), "uid"));
        if (!uid)
            continue;
        st = provider_access_grant(sql, account_id, uid, customer_uid);
        if (st == ST_OK)
            st = transfer_audit_demote(sql, customer_uid, account_id, json_array_get(providers, i));
    }
    /* 1b. Their invitations they may no longer send: the customer's. */
    struct buf pending = BUF_INIT;
    if (st == ST_OK)
        st = hand_over_invitations(sql, account_id, customer_uid, providers, &pending);
    /* 2. The notification recipients become the customer's. */
    char **old = NULL;
    size_t nold = 0;
    if (st == ST_OK)
        st = outbox_recipients(sql, account_id, &old, &nold);
    if (st == ST_OK) {
        json_t *o = json_array();
        for (size_t i = 0; i < nold; i++)
            json_array_append_new(o, json_string(old[i]));
        st = transfer_set_recipients(sql, account_id, customer_mail);
        if (st == ST_OK)
            st = audit_write(sql, customer_uid, account_id, "transfer.recipients",
                             json_pack("{s:o}", "emails", o),
                             json_pack("{s:[s?]}", "emails", customer_mail));
        else
            json_decref(o);
    }
    /* 3. The named contacts: the customer, the account's admin now; the
     * audit row keeps the ones they replace (round 2, D2). */
    json_t *old_contacts = NULL;
    if (st == ST_OK)
        st = named_contacts(sql, account_id, &old_contacts);
    /* Whether the customer becomes a contact now (a kind that named
     * someone else, or nobody): the storefront-welcome below. */
    int becomes_contact = 0;
    for (int k = 0; st == ST_OK && k < 2; k++) {
        const char *was =
            json_string_value(json_object_get(old_contacts, k ? "technical" : "primary"));
        if (!was || strcasecmp(was, customer_uid) != 0)
            becomes_contact = 1;
    }
    if (st == ST_OK)
        st = transfer_set_contacts(sql, account_id, customer_uid);
    if (st == ST_OK) {
        st = audit_write(
            sql, customer_uid, account_id, "transfer.contacts", old_contacts,
            json_pack("{s:s, s:s}", "primary", customer_uid, "technical", customer_uid));
        old_contacts = NULL;
    }
    json_decref(old_contacts);
    /* 4. Active. */
    if (st == ST_OK)
        st = transfer_record_done(sql, account_id, customer_uid);
    if (st == ST_OK)
        st = audit_write(sql, customer_uid, account_id, "transfer.complete",
                         json_pack("{s:s}", "status", "staged"),
                         json_pack("{s:s, s:s, s:O*}", "status", "active", "owner", customer_uid,
                                   "repaired_by", json_object_get(data, "repaired_by")));
    /* 5. Mail: the customer, and each of the partner's people, each
     * greeted by name when the directory has one. */
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add_json(&names, json_object_get(data, "names"));
    const char *owner_name = customer_name ? customer_name : customer_uid;
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%llu", account_id);
    /* The customer's admins the partner added while staging stay admin:
     * they are told, and the new owner's mail names them (round-22
     * walkthrough of seed 000, D1). */
    struct buf others = BUF_INIT;
    if (st == ST_OK)
        st = mail_stay_admins(sql, account_id, name, owner_name, customer_mail, data, &others);
    if (st == ST_OK && customer_mail) {
        /* The operator staff among the people it moved keep access as
         * operators (round-25 walkthrough of seed 000, D2). */
        char *moved_ops = NULL, *moved_partners = NULL;
        transfer_moved_names(providers, json_object_get(data, "names"), &moved_ops,
                             &moved_partners);
        char *providers_note = transfer_providers_note(
            json_is_true(json_object_get(data, "operator_side")), 0, moved_ops, moved_partners);
        free(moved_ops);
        free(moved_partners);
        const char *to[] = {customer_mail};
        /* Who keeps access and what the customer may end of it (an
         * account without a parent: operator staff, whose operator access
         * nobody of the account ends; round-18 walkthrough of seed 000,
         * D2); the invitations the customer sends now, a line left out
         * when there is none (D1). */
        struct template_value vals[] = {
            {"account_name", name},
            {"new_owner_name", owner_name},
            {"new_owner_mail", customer_mail},
            {"account_id", idbuf},
            {"providers_note", providers_note},
            {"pending_invitations", pending.len ? buf_str(&pending) : TEMPLATE_OMIT_LINE},
            {"other_admins", others.len ? buf_str(&others) : TEMPLATE_OMIT_LINE}};
        st = outbox_queue(sql, account_id, "ownership-transferred", to, 1, &names, vals, 7);
        free(providers_note);
    }
    /* A staged reseller whose storefront went live while it was prepared:
     * the customer, its contact now, learns the storefront's URL, as the
     * contacts named at the order did (round-17 walkthrough of seed 002,
     * D2; an intent recorded before sends none). */
    if (st == ST_OK && customer_mail && becomes_contact)
        st = billing_welcome_late_queue(sql, account_id, name,
                                        json_object_get(data, "storefront_welcome"), customer_mail,
                                        &names);
    const json_t *told = json_object_get(data, "told");
    const char **to = xcalloc(nproviders + json_array_size(told) + 1, sizeof(char *));
    /* moved[k]: the roles before of to[k] when the accept ended roles of
     * theirs other than admin (a partner colleague who was billing), who
     * reads which, as the hand-over by role change says it (round-27
     * walkthrough of seed 000, D3); 0 for the others. */
    unsigned *moved = xcalloc(nproviders + json_array_size(told) + 1, sizeof(unsigned));
    size_t nto = 0;
    for (size_t i = 0; i < nproviders; i++) {
        const json_t *pr = json_array_get(providers, i);
        const char *m = json_string_value(json_object_get(pr, "mail"));
        if (!m)
            continue;
        unsigned before = 0;
        if (roles_from_json(0, json_object_get(pr, "roles"), &before) < 0 ||
            (before & ROLE_ADMIN) || json_is_true(json_object_get(pr, "operator")))
            before = 0;
        moved[nto] = before & ~(unsigned)ROLE_SERVICE_PROVIDER ? before : 0;
        to[nto++] = m;
    }
    /* The partner's people who were providers already are told too
     * (round-4 walkthrough of seed 000, D4). */
    for (size_t i = 0; i < json_array_size(told); i++)
        if (json_string_value(json_array_get(told, i)))
            to[nto++] = json_string_value(json_array_get(told, i));
    /* The notification recipients the customer's address replaced are told
     * too, that their mail for the account ends (round-6 walkthrough of
     * seed 004); a partner person who was one of them reads both lines
     * (round-7 walkthrough of seed 000). Each address gets one mail. */
    struct buf ends = BUF_INIT, both = BUF_INIT;
    buf_printf(&ends, "This address no longer gets the notifications of %s: they go to %s now.",
               name, customer_mail ? customer_mail : owner_name);
    buf_printf(&both, "You keep access as a service provider. %s", buf_str(&ends));
    /* to[]: the partner's people, split by whether they were recipients;
     * rest[]: the other replaced recipients. */
    const char **kept = xcalloc(nto + 1, sizeof(char *)),
               **kept_ended = xcalloc(nto + 1, sizeof(char *));
    const char **rest = xcalloc(nold + 1, sizeof(char *));
    size_t nkept = 0, nkept_ended = 0, nrest = 0;
    struct buf one = BUF_INIT;
    for (size_t k = 0; k < nto; k++) {
        int was = 0;
        for (size_t i = 0; i < nold && !was; i++)
            was = strcasecmp(old[i], to[k]) == 0;
        if (moved[k]) {
            if (st != ST_OK)
                continue;
            buf_reset(&one);
            moved_access_sentence(&one, moved[k]);
            if (was)
                buf_printf(&one, " %s", buf_str(&ends));
            struct template_value vals[] = {{"account_name", name},
                                            {"new_owner_name", owner_name},
                                            {"new_owner_mail", customer_mail ? customer_mail : ""},
                                            {"your_access", buf_str(&one)}};
            st = outbox_queue(sql, account_id, "transfer-completed", &to[k], 1, &names, vals, 4);
        } else if (was)
            kept_ended[nkept_ended++] = to[k];
        else
            kept[nkept++] = to[k];
    }
    for (size_t i = 0; i < nold; i++) {
        int dup = customer_mail && strcasecmp(old[i], customer_mail) == 0;
        for (size_t k = 0; k < nto && !dup; k++)
            dup = strcasecmp(old[i], to[k]) == 0;
        if (!dup)
            rest[nrest++] = old[i];
    }
    const struct {
        const char **to;
        size_t n;
        const char *access;
    } groups[] = {{kept, nkept, "You keep access as a service provider."},
                  {kept_ended, nkept_ended, buf_str(&both)},
                  {rest, nrest, buf_str(&ends)}};
    for (size_t g = 0; g < 3 && st == ST_OK; g++) {
        if (!groups[g].n)
            continue;
        struct template_value vals[] = {{"account_name", name},
                                        {"new_owner_name", owner_name},
                                        {"new_owner_mail", customer_mail ? customer_mail : ""},
                                        {"your_access", groups[g].access}};
        st = outbox_queue(sql, account_id, "transfer-completed", groups[g].to, groups[g].n, &names,
                          vals, 4);
    }
    mail_names_free(&names);
    buf_free(&pending);
    buf_free(&others);
    buf_free(&ends);
    buf_free(&both);
    buf_free(&one);
    free(moved);
    free(kept);
    free(kept_ended);
    free(rest);
    free(to);
    outbox_free_list(old, nold);
    free(name);
    return st;
}

/* The person a pending hand-over invited is told that it was withdrawn
 * (round-12 walkthrough of seed 000, D5: only the audit trail said so):
 * invitation-withdrawn to the invited address, greeting them by the names
 * given with the transfer, naming who handed the account over. */
static int mail_withdrawn_handover(struct sql_store *sql, unsigned long long account_id,
                                   const char *account_name, unsigned long long invitation_id,
                                   const char *by)
{
    struct invitation_mail m;
    int st = invitation_mail_fields(sql, invitation_id, &m);
    if (st != ST_OK)
        return st == ST_NOT_FOUND ? ST_OK : st;
    struct buf name = BUF_INIT, greeting = BUF_INIT;
    if (m.first_name && *m.first_name)
        buf_adds(&name, m.first_name);
    if (m.last_name && *m.last_name)
        buf_printf(&name, "%s%s", name.len ? " " : "", m.last_name);
    buf_printf(&greeting, "Hello%s%s,", name.len ? " " : "", buf_str(&name));
    const char *to[] = {m.email};
    struct template_value vals[] = {
        {"account_name", account_name}, {"email", m.email},
        {"name", buf_str(&name)},       {"greeting", buf_str(&greeting)},
        {"withdrawn_by", by},           {"reason", TRANSFER_WITHDRAWN_BY_ROLE_CHANGE},
    };
    st = outbox_queue(sql, account_id, "invitation-withdrawn", to, 1, NULL, vals, 6);
    buf_free(&name);
    buf_free(&greeting);
    invitation_mail_free(&m);
    return st;
}

int transfer_end_back_office(struct sql_store *sql, unsigned long long account_id,
                             const char *actor, const char *left_uid)
{
    int changed = 0;
    int st = transfer_store_mark_handed_over(sql, account_id, &changed);
    if (st == ST_OK && changed)
        st = audit_write(sql, actor, account_id, "account.back_office_end",
                         json_pack("{s:b}", "back_office", 1),
                         json_pack("{s:b, s:s}", "back_office", 0, "last_of_parent", left_uid));
    return st;
}

int transfer_mail_admin_accepted(struct sql_store *sql, unsigned long long account_id,
                                 const json_t *tell)
{
    const char *mail = json_string_value(json_object_get(tell, "mail"));
    const char *joined = json_string_value(json_object_get(tell, "joined"));
    const char *email = json_string_value(json_object_get(tell, "email"));
    if (!mail || !*mail || !joined || !email)
        return ST_OK;
    char *status = NULL, *name = NULL;
    int st = transfer_lock_account(sql, account_id, &status, &name);
    if (st == ST_OK && strcmp(status, "staged") == 0) {
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add(&names, mail, json_string_value(json_object_get(tell, "name")));
        const char *to[] = {mail};
        /* {{handover_step}} (migration 086): the hand-over's step to the
         * provider's side only (a plan recorded before says nothing of the
         * sender's side: theirs, as the mail was before); a customer admin
         * who invited a second admin reads that the account stays staged
         * until the people preparing it hand it over (round-20 walkthrough
         * of seed 000, D2: they were told to make the provider's step, which
         * then handed the account over with the partner still admin). */
        struct buf step = BUF_INIT;
        if (json_is_false(json_object_get(tell, "provider_side")))
            buf_printf(&step,
                       "%s stays staged until the people who prepare it for you hand it over; "
                       "then it becomes active.",
                       name);
        else
            buf_printf(&step,
                       "To hand the account over, change your own role to service provider: %s "
                       "then becomes active and its customer's, and you keep access as a service "
                       "provider. Until then it stays staged.",
                       name);
        struct template_value vals[] = {
            {"account_name", name},
            {"name", joined},
            {"email", email},
            {"handover_step", buf_str(&step)},
        };
        st =
            outbox_queue_unbudgeted(sql, account_id, "invitation-accepted", to, 1, &names, vals, 4);
        buf_free(&step);
        mail_names_free(&names);
    }
    free(status);
    free(name);
    return st == ST_NOT_FOUND ? ST_OK : st;
}

/* The sentence of a hand-over by a role change (data's "how", and who
 * was changed, "changed_name"): what happened, and that it handed the
 * account over to whom ("you", the new owner, or "its customer", to the
 * partner's people; round-19 walkthrough of seed 000, D1). self: the
 * reader made the change themselves (the customer's admin who demoted or
 * removed the partner's person), and reads "You …" and that it is now
 * theirs (D1: they read only "You made this change."). 0 for a plan
 * recorded before (no "how"): nothing written. */
static int handover_sentence(struct buf *b, const json_t *data, const char *account_name,
                             const char *by, const char *whom, int self)
{
    const char *how = json_string_value(json_object_get(data, "how"));
    const char *changed = json_string_value(json_object_get(data, "changed_name"));
    if (!how || !changed)
        return 0;
    const char *who = self ? "You" : by;
    const char *now = self ? "it is now active and yours." : "it is now active.";
    if (strcmp(how, "self-demotion") == 0)
        buf_printf(b, "%s handed %s over to %s: it is now active and %s is a service provider.", by,
                   account_name, whom, by);
    else if (strcmp(how, "demotion") == 0)
        buf_printf(b, "%s made %s a service provider of %s, which handed it over to %s: %s", who,
                   changed, account_name, whom, now);
    else if (strcmp(how, "left") == 0)
        buf_printf(b, "%s left %s, which handed it over to %s: %s", by, account_name, whom, now);
    else if (strcmp(how, "own-roles") == 0)
        /* A customer admin's own change that left no person of the parent
         * admin (round-20 walkthrough of seed 000, D1): not "is a service
         * provider", which they need not be. */
        buf_printf(b, "%s changed %s own roles in %s, which handed it over to %s: %s", who,
                   self ? "your" : "their", account_name, whom, now);
    else if (strcmp(how, "roles") == 0)
        buf_printf(b, "%s changed the roles of %s in %s, which handed it over to %s: %s", who,
                   changed, account_name, whom, now);
    else
        buf_printf(b, "%s removed %s from %s, which handed it over to %s: %s", who, changed,
                   account_name, whom, now);
    return 1;
}

/* What account-handed-over tells the customer's admin the hand-over
 * leaves the account to (round-15 walkthrough of seed 000, D4: they are
 * its administrator, often the only one): what happened; self: they made
 * the change (round-19 walkthrough of seed 000, D1). The mail's own text
 * says that its administrator names the contacts, so no line here says
 * it again (round-23 walkthrough of seed 000, D2: it was the last line of
 * the new owner's copy of contact-changed, which the hand-over no longer
 * sends them; contacts_mail_named_to). The partner's people who are
 * still its administrators are named, with the organization they act
 * for, and that the owner can change that (data's "still_admins"; D4: the
 * new owner read as if the partner had become a service provider while a
 * colleague stayed admin). Empty for a plan recorded before (no "how"). */
static void owner_text(struct buf *b, const json_t *data, const char *account_name, const char *by,
                       int self, const char *notifications)
{
    if (!handover_sentence(b, data, account_name, by, "you", self))
        return;
    still_admins_sentence(b, json_object_get(data, "still_admins"),
                          "the change of one's own role leaves the others as they are");
    /* Where its notifications go (round-22 walkthrough of seed 000, D2). */
    if (notifications && *notifications)
        buf_printf(b, " %s", notifications);
}

/* The partner's people a hand-over by a role change changed or left
 * admin, but who made it (data's "partners", members.c), are each told:
 * handed-over-to-customer (migration 083; round-19 walkthrough of seed
 * 000, D1 and D4), {{handed_over}} what happened to them or the account
 * and {{your_access}} what it leaves them. Transactional, outside the
 * mail budget (the customer's decision must not fail on it), greeted by
 * the names recorded with the plan. */
static int mail_partners(struct sql_store *sql, unsigned long long account_id,
                         const char *account_name, const char *by, const json_t *data)
{
    const json_t *partners = json_object_get(data, "partners");
    int st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < json_array_size(partners); i++) {
        const json_t *p = json_array_get(partners, i);
        const char *mail = json_string_value(json_object_get(p, "mail"));
        const char *what = json_string_value(json_object_get(p, "what"));
        if (!mail || !*mail || !what)
            continue;
        /* The roles they held (none when the list holds something else
         * than role names). */
        unsigned roles = 0;
        if (roles_from_json(0, json_object_get(p, "roles"), &roles) < 0)
            roles = 0;
        const char *note = json_string_value(json_object_get(p, "projects_note"));
        struct buf said = BUF_INIT, access = BUF_INIT;
        if (strcmp(what, "removed") == 0) {
            buf_printf(&said,
                       "%s removed you from %s, which handed it over to its customer: it is now "
                       "active.",
                       by, account_name);
            if (json_is_true(json_object_get(p, "operator")))
                /* Operators may do everything (DESIGN.md), as the
                 * revocation tells them (round-18 walkthrough of seed 000,
                 * D2). */
                buf_adds(&access, "You keep your access to it as operator staff: the platform's "
                                  "operators may act in every account, so only your roles in it "
                                  "are gone.");
            else
                buf_adds(&access, "You no longer have access to it.");
            if (json_is_true(json_object_get(data, "changed_left_recipients")))
                buf_printf(&access, " %s no longer gets its notifications.", mail);
            if (note)
                buf_printf(&access, " %s", note);
        } else if (strcmp(what, "changed") == 0) {
            if (roles & ROLE_SERVICE_PROVIDER)
                buf_printf(&said,
                           "%s made you a service provider of %s, which handed it over to its "
                           "customer: it is now active.",
                           by, account_name);
            else
                buf_printf(&said,
                           "%s changed your roles in %s, which handed it over to its customer: it "
                           "is now active.",
                           by, account_name);
            buf_adds(&access, "You keep access as ");
            mail_role_titles(&access, roles);
            buf_addc(&access, '.');
            if (roles & ROLE_SERVICE_PROVIDER)
                buf_adds(&access, " Its customer's administrators find you in its list of service "
                                  "providers and can end that access at any time.");
        } else if (strcmp(what, "moved") == 0) {
            handover_sentence(&said, data, account_name, by, "its customer", 0);
            moved_access_sentence(&access, roles);
        } else {
            handover_sentence(&said, data, account_name, by, "its customer", 0);
            buf_adds(&access,
                     "You are still one of its administrators: the change of one's own role "
                     "leaves the partner's other administrators as they are, and its customer's "
                     "administrators see you among its people, where they can change that. To "
                     "keep access as a service provider, as the partner's people do after a "
                     "hand-over, change your own role to service provider.");
        }
        if (said.len) {
            struct mail_names names = MAIL_NAMES_INIT;
            mail_names_add(&names, mail, json_string_value(json_object_get(p, "name")));
            const char *to[] = {mail};
            struct template_value vals[] = {{"account_name", account_name},
                                            {"handed_over", buf_str(&said)},
                                            {"your_access", buf_str(&access)}};
            st = outbox_queue_unbudgeted(sql, account_id, "handed-over-to-customer", to, 1, &names,
                                         vals, 3);
            mail_names_free(&names);
        }
        buf_free(&said);
        buf_free(&access);
    }
    return st;
}

/* The hand-over notice to the customer's admins when the hand-over named
 * no contact (round-16 walkthrough of seed 000, D2: the contacts were the
 * customer's already, or several customer admins remain, and the new
 * owner learnt nothing): account-handed-over (migration 063) with the
 * owner_text sentence; who made the change reads that they did. */
static int mail_handed_over(struct sql_store *sql, unsigned long long account_id,
                            const char *account_name, const char *by, const json_t *data,
                            const char *notifications)
{
    struct buf text = BUF_INIT, own = BUF_INIT;
    owner_text(&text, data, account_name, by, 0, notifications);
    buf_printf(&own,
               "Your change handed %s over to its customer's administrators, you among "
               "them: it is now active.",
               account_name);
    if (notifications && *notifications)
        buf_printf(&own, " %s", notifications);
    const char *by_mail = json_string_value(json_object_get(data, "by_mail"));
    struct reader_value mine[] = {{by_mail, "handed_over", buf_str(&own)}};
    int st = queue_handed_over(sql, account_id, account_name, json_object_get(data, "owners"),
                               text.len ? buf_str(&text) : NULL, mine, by_mail && *by_mail ? 1 : 0);
    buf_free(&text);
    buf_free(&own);
    return st;
}

int transfer_finish_self_demotion(struct sql_store *sql, unsigned long long account_id,
                                  const char *actor, const json_t *data)
{
    char *status = NULL, *name = NULL;
    int st = transfer_lock_account(sql, account_id, &status, &name);
    int staged = st == ST_OK && strcmp(status, "staged") == 0;
    free(status);
    if (st != ST_OK || !staged) {
        free(name);
        return st == ST_NOT_FOUND ? ST_OK : st;
    }
    /* 1. A pending POST …/transfer is overtaken: its link is revoked, as a
     * new transfer to another address would revoke it; the link says why
     * (invitations.c, accept_read) and its invitee is told. */
    unsigned long long *revoked = NULL;
    size_t nrevoked = 0;
    st = transfer_revoke_pending(sql, account_id, "", &revoked, &nrevoked);
    const char *by = json_string_value(json_object_get(data, "by"));
    for (size_t i = 0; st == ST_OK && i < nrevoked; i++) {
        st = audit_write(
            sql, actor, account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)revoked[i], "status", "pending"),
            json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)revoked[i], "status",
                      "revoked", "reason", "the account was handed over by a role change"));
        if (st == ST_OK)
            st = mail_withdrawn_handover(sql, account_id, name, revoked[i], by ? by : actor);
    }
    free(revoked);
    /* 2. The named contacts: the one customer admin left becomes both
     * when none is named, and the contacts someone else held (the
     * partner's person, no admin after it) move to them (round-16
     * walkthrough of seed 000, D2; members.c no longer refuses it); an
     * empty one stays empty next to a named one. With several customer
     * admins accountd does not guess: the contacts stay as they are. */
    const char *contact = json_string_value(json_object_get(data, "contact"));
    json_t *old = NULL;
    if (st == ST_OK)
        st = named_contacts(sql, account_id, &old);
    const char *oldp = json_string_value(json_object_get(old, "primary"));
    const char *oldt = json_string_value(json_object_get(old, "technical"));
    unsigned changed = 0;
    if (contact && !oldp && !oldt)
        changed = CONTACT_PRIMARY | CONTACT_TECHNICAL;
    if (contact && oldp && strcasecmp(oldp, contact) != 0)
        changed |= CONTACT_PRIMARY;
    if (contact && oldt && strcasecmp(oldt, contact) != 0)
        changed |= CONTACT_TECHNICAL;
    /* ... and told so, with the recipients and the old contact, as at an
     * accept (a plan recorded before names no contact_mail and sends
     * none): one mail per old contact. */
    const char *cmail = json_string_value(json_object_get(data, "contact_mail"));
    /* Where its notifications go: the hand-over by role change leaves the
     * recipients as they are (the partner's addresses, often), and the
     * new owner's text says so (round-22 walkthrough of seed 000, D2):
     * read when a mail carries it (account-handed-over, whether a
     * contact changed or not), the list going on to contact-changed. */
    char **recipients = NULL;
    size_t nrecipients = 0;
    struct buf notifications = BUF_INIT;
    if (st == ST_OK && (!changed || cmail)) {
        st = outbox_recipients(sql, account_id, &recipients, &nrecipients);
        if (st == ST_OK) {
            notifications_sentence(&notifications, recipients, nrecipients);
            buf_adds(&notifications, ": an administrator, or its service providers, can change "
                                     "its notification recipients.");
        }
    }
    if (st == ST_OK && changed) {
        json_t *old_copy = json_deep_copy(old);
        st = transfer_set_contacts(sql, account_id, contact);
        if (st == ST_OK)
            st = audit_write(sql, actor, account_id, "transfer.contacts", old_copy,
                             json_pack("{s:s, s:s}", "primary", contact, "technical", contact));
        else
            json_decref(old_copy);
        /* Who handed over, as the contact-changed mail names whoever
         * names a contact (mail_actor_name, recorded with the plan:
         * "Paul Partner of Acme Partners"; round-17 walkthrough of seed
         * 004, D3); a plan recorded before names them by name. */
        const char *by_actor = json_string_value(json_object_get(data, "by_actor"));
        if (st == ST_OK && cmail) {
            struct mail_names names = MAIL_NAMES_INIT;
            mail_names_add_json(&names, json_object_get(data, "names"));
            const char *cname = json_string_value(json_object_get(data, "contact_name"));
            struct buf owner = BUF_INIT;
            /* The customer's admin who made the change reads that it is
             * theirs now, not only "You made this change." (round-19
             * walkthrough of seed 000, D1). The new owner's mail is
             * account-handed-over with this text, sent by the first call
             * below; a second one (another old contact for the other
             * kind) gets "" and leaves them out: one mail to them
             * (round-23 walkthrough of seed 000, D2). */
            int told = 0;
            owner_text(&owner, data, name, by ? by : actor, strcasecmp(contact, actor) == 0,
                       buf_str(&notifications));
            const char *olds[2] = {oldp, oldt};
            unsigned kinds[2] = {CONTACT_PRIMARY, CONTACT_TECHNICAL};
            int same = (!oldp && !oldt) || (oldp && oldt && strcasecmp(oldp, oldt) == 0);
            for (int k = 0; k < 2 && st == ST_OK; k++) {
                unsigned these = same ? changed : (changed & kinds[k]);
                if (!these || (same && k == 1))
                    continue;
                const char *changed_uid = json_string_value(json_object_get(data, "changed_uid"));
                int was_changed = olds[k] && changed_uid && strcasecmp(olds[k], changed_uid) == 0;
                const char *old_name =
                    !olds[k]      ? NULL
                    : was_changed ? json_string_value(json_object_get(data, "changed_name"))
                                  : olds[k];
                st = contacts_mail_named_to(
                    sql, account_id, name, these, contact, cname ? cname : contact, cmail,
                    by_actor ? by_actor
                    : by     ? by
                             : actor,
                    json_string_value(json_object_get(data, "by_mail")),
                    !json_is_false(json_object_get(data, "by_admin")), &names,
                    !owner.len ? NULL
                    : told     ? ""
                               : buf_str(&owner),
                    old_name,
                    was_changed ? json_string_value(json_object_get(data, "changed_mail")) : NULL,
                    recipients, nrecipients);
                told = 1;
            }
            /* A staged reseller whose storefront went live while it was
             * prepared: its new contact gets the storefront-welcome
             * (round-17 walkthrough of seed 002, D2; members.c reads it
             * with the plan; an intent recorded before sends none). */
            if (st == ST_OK)
                st = billing_welcome_late_queue(sql, account_id, name,
                                                json_object_get(data, "storefront_welcome"), cmail,
                                                &names);
            buf_free(&owner);
            mail_names_free(&names);
        }
    }
    json_decref(old);
    /* No contact changed: the customer's admins still learn that the
     * account is theirs now (round-16 walkthrough of seed 000, D2). */
    if (st == ST_OK && !changed)
        st =
            mail_handed_over(sql, account_id, name, by ? by : actor, data, buf_str(&notifications));
    buf_free(&notifications);
    outbox_free_list(recipients, nrecipients);
    /* The partner's people it changed or left admin (round-19
     * walkthrough of seed 000, D1 and D4). */
    if (st == ST_OK)
        st = mail_partners(sql, account_id, name, by ? by : actor, data);
    free(name);
    /* The partner's people who held billing without admin end with
     * service-provider only (members.c; round-4 walkthrough of seed 000,
     * D1): granted by the person who handed over. */
    const json_t *moved = json_object_get(data, "moved");
    for (size_t i = 0; st == ST_OK && i < json_array_size(moved); i++) {
        const char *uid = json_string_value(json_object_get(json_array_get(moved, i), "uid"));
        if (!uid)
            continue;
        st = provider_access_grant(sql, account_id, uid, actor);
        if (st == ST_OK)
            st = transfer_audit_demote(sql, actor, account_id, json_array_get(moved, i));
    }
    /* 3. Active. */
    if (st == ST_OK)
        st = transfer_activate(sql, account_id);
    if (st == ST_OK)
        st = audit_write(
            sql, actor, account_id, "transfer.complete", json_pack("{s:s}", "status", "staged"),
            json_pack("{s:s, s:s, s:s?, s:O*}", "status", "active", "via", "role-change", "owner",
                      contact, "repaired_by", json_object_get(data, "repaired_by")));
    return st;
}
