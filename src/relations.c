/*
 * relations: partner -> customer relations (STACKIT method 1). Creating a
 * customer organization under a partner with a contact person records an
 * active relation (accounts.c); for an organization that exists already
 * the partner asks (POST /accounts/{id}/customer-relations), which makes a
 * pending relation that the customer's admin approves or declines
 * (POST /customer-relations/{rid}/approve|decline); the customer's
 * notification recipients and admins are mailed (template
 * relation-requested) and GET /accounts/{id}/customer-relations lists the
 * requests on both sides. GET /accounts/{id}/customers lists a partner's
 * relations. A relation is
 * commercial: it grants the partner no access to the customer's account.
 */
#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "relations.h"
#include "relations_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct relate {
    struct request *req;
    unsigned long long partner_id, customer_id, id;
    const char *decision; /* approve/decline: "active" or "declined" */
    json_t *relation;
    struct billing_people admins; /* request: the customer's admins; decide: the partner's */
};

/* The request's mail to the customer: its notification recipients and
 * admins, in the customer's template (relation-requested). */
static int mail_customer(struct sql_store *sql, struct relate *r)
{
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, r->customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, r->partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24], cid[24];
        snprintf(rid, sizeof(rid), "%llu", r->id);
        snprintf(cid, sizeof(cid), "%llu", r->customer_id);
        const struct caller *who = &r->req->caller;
        /* The customer's own id in the paths the mail gives, and who asked
         * (round-3 walkthrough of seed 003). */
        struct template_value vals[] = {{"account_name", customer_name},
                                        {"account_id", cid},
                                        {"partner_name", partner_name},
                                        {"requested_by", who->name ? who->name : who->uid},
                                        {"requested_by_mail", who->mail ? who->mail : who->uid},
                                        {"relation_id", rid}};
        st = billing_notify_queue(sql, r->customer_id, "relation-requested", &r->admins, vals, 6);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

static int request_tx(struct sql_store *sql, void *arg)
{
    struct relate *r = arg;
    int st = account_lock(sql, r->partner_id, &r->req->problem, NULL);
    /* A closed customer could never approve it (round-3 walkthrough of
     * seed 003): refused before anything is written or mailed. */
    if (st == ST_OK) {
        st = account_lock(sql, r->customer_id, &r->req->problem, NULL);
        if (st == ST_REFUSED)
            return refuse(r->req, 409, "conflict",
                          "the customer organization is closed; it cannot take a relation");
    }
    if (st == ST_OK)
        st = relation_insert(sql, r->partner_id, r->customer_id, "pending", r->req->caller.uid,
                             &r->id);
    if (st == ST_DUPLICATE)
        return refuse(r->req, 409, "conflict", "a relation between these accounts exists already");
    json_t *n = st == ST_OK ? json_pack("{s:I, s:I, s:I, s:s}", "relation_id", (json_int_t)r->id,
                                        "partner_id", (json_int_t)r->partner_id, "customer_id",
                                        (json_int_t)r->customer_id, "status", "pending")
                            : NULL;
    if (st == ST_OK)
        st = audit_write(sql, r->req->caller.uid, r->partner_id, "relation.request", NULL,
                         json_deep_copy(n));
    if (st == ST_OK)
        st = audit_write(sql, r->req->caller.uid, r->customer_id, "relation.request", NULL,
                         json_incref(n));
    json_decref(n);
    if (st == ST_OK)
        st = mail_customer(sql, r);
    return st;
}

void relations_request(struct request *req)
{
    static const char *const allowed[] = {"customer_id", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct relate r = {.req = req, .partner_id = req->account.id};
    r.customer_id = body_id(req, b, "customer_id");
    if (!r.customer_id && !json_object_get(req->errors, "customer_id"))
        res_field_error(req, "customer_id", "is required");
    if (body_failed(req))
        return;
    if (strcmp(req->account.kind, "partner") != 0) {
        refuse(req, 409, "conflict", "only a partner account has customer relations");
        return;
    }
    char kind[16];
    int st = relation_account_kind(req->session->sql, r.customer_id, kind);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    if (strcmp(kind, "customer") != 0) {
        res_field_error(req, "customer_id", "names no customer organization");
        res_fail_if_errors(req);
        return;
    }
    /* The customer's admins, read before the transaction (the directory). */
    st = billing_people_admins(req, r.customer_id, &r.admins);
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    st = request_transaction(req, request_tx, &r);
    billing_people_free(&r.admins);
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

/* The route's account of /customer-relations/{rid}/…: the customer's. */
int relations_customer_of(struct request *req, unsigned long long *id)
{
    unsigned long long rid = parse_id(req->args[0]);
    if (!rid)
        return ST_NOT_FOUND;
    return relation_customer(req->session->sql, rid, id);
}

/* The decision's mail to the partner (relation-decided): its contacts or
 * admins and its notification recipients learn it at once instead of
 * polling the list (round-4 walkthrough of seed 003). */
static int mail_partner(struct sql_store *sql, struct relate *r)
{
    char *customer_name = NULL, *partner_name = NULL;
    int st = account_name_get(sql, r->customer_id, &customer_name);
    if (st == ST_OK)
        st = account_name_get(sql, r->partner_id, &partner_name);
    if (st == ST_OK) {
        char rid[24];
        snprintf(rid, sizeof(rid), "%llu", r->id);
        const char *who = r->req->caller.name ? r->req->caller.name : r->req->caller.uid;
        struct template_value vals[] = {
            {"account_name", partner_name},
            {"customer_name", customer_name},
            {"decision", strcmp(r->decision, "active") == 0 ? "approved" : "declined"},
            {"decided_by", who},
            {"relation_id", rid}};
        st = billing_notify_queue(sql, r->partner_id, "relation-decided", &r->admins, vals, 5);
    }
    free(customer_name);
    free(partner_name);
    return st;
}

static int decide_tx(struct sql_store *sql, void *arg)
{
    struct relate *r = arg;
    int st = account_lock(sql, r->customer_id, &r->req->problem, NULL);
    json_decref(r->relation);
    r->relation = NULL;
    if (st == ST_OK)
        st = relation_lock(sql, r->id, &r->relation);
    if (st == ST_NOT_FOUND)
        return refuse(r->req, 404, "not-found", "no such customer relation");
    if (st != ST_OK)
        return st;
    const char *status = json_string_value(json_object_get(r->relation, "status"));
    if (strcmp(status, "pending") != 0)
        return refuse(r->req, 409, "conflict", "this relation was decided already");
    r->partner_id =
        strtoull(json_string_value(json_object_get(r->relation, "partner_id")), NULL, 10);
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
    return st == ST_OK ? mail_partner(sql, r) : st;
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
     * transaction. */
    unsigned long long partner = 0, customer = 0;
    int st = relation_sides(req->session->sql, r.id, &partner, &customer);
    if (st == ST_NOT_FOUND)
        st = refuse(req, 404, "not-found", "no such customer relation");
    if (st == ST_OK)
        st = billing_people_read(req, partner, &r.admins);
    if (st == ST_OK)
        st = request_transaction(req, decide_tx, &r);
    billing_people_free(&r.admins);
    json_decref(r.relation);
    r.relation = NULL;
    if (st == ST_OK)
        st = relation_read(req->session->sql, r.id, &r.relation);
    if (st == ST_OK)
        res_json(req, 200, r.relation);
    else
        res_store_failure(req, st, "the database");
}

void relations_approve(struct request *req)
{
    decide(req, "active");
}

void relations_decline(struct request *req)
{
    decide(req, "declined");
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
    body_only(req, req->query, NULL, known);
    const char *status = query_str(req, "status");
    if (status && strcmp(status, "pending") != 0 && strcmp(status, "active") != 0 &&
        strcmp(status, "declined") != 0)
        res_field_error(req, "status", "must be pending, active or declined");
    if (body_failed(req))
        return;
    json_t *items;
    int st = relation_requests(req->session->sql, req->account.id, status, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

int relations_decline_on_close(struct sql_store *sql, unsigned long long account_id,
                               const char *uid)
{
    struct sql_result r;
    int st = relations_pending_of(sql, account_id, &r);
    if (st != ST_OK)
        return st;
    for (size_t i = 0; st == ST_OK && i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0),
                           sides[2] = {sql_cell_id(&r, i, 1), sql_cell_id(&r, i, 2)};
        st = relation_decide(sql, id, "declined", uid);
        for (int k = 0; k < 2 && st == ST_OK; k++)
            st = audit_write(
                sql, uid, sides[k], "relation.decline",
                json_pack("{s:I, s:s}", "relation_id", (json_int_t)id, "status", "pending"),
                json_pack("{s:I, s:s, s:s, s:I}", "relation_id", (json_int_t)id, "status",
                          "declined", "reason", "account closed", "closed_account_id",
                          (json_int_t)account_id));
    }
    sql_result_free(&r);
    return st;
}
