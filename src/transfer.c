/*
 * transfer: POST /accounts/{id}/transfer and the completion of a hand-over
 * when the customer accepts (transfer.h).
 */
#include "transfer.h"

#include "audit.h"
#include "body.h"
#include "caller.h"
#include "contacts_store.h"
#include "handlers.h"
#include "invitations.h"
#include "ldap_store.h"
#include "log.h"
#include "outbox.h"
#include "providers_store.h"
#include "transfer_store.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

/* ---- the request ---------------------------------------------------- */

struct transfer_request {
    struct request *req;
    unsigned long long account_id;
    const char *email, *first_name, *last_name;
    json_t *result;
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
    for (size_t i = 0; st == ST_OK && i < nrevoked; i++)
        st = audit_write(
            sql, t->req->caller.uid, t->account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)revoked[i], "status", "pending"),
            json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)revoked[i], "status",
                      "revoked", "reason", "replaced by a new transfer"));
    free(revoked);
    unsigned long long invitation_id = 0;
    if (st == ST_OK) {
        json_decref(t->result);
        t->result = NULL;
        st =
            invite_transfer_in_transaction(sql, t->req, t->account_id, name, t->email,
                                           t->first_name, t->last_name, &t->result, &invitation_id);
    }
    if (st == ST_OK)
        st = transfer_record_request(sql, t->account_id, invitation_id, t->email,
                                     t->req->caller.uid);
    if (st == ST_OK)
        st = audit_write(
            sql, t->req->caller.uid, t->account_id, "transfer.request", NULL,
            json_pack("{s:s, s:I}", "email", t->email, "invitation_id", (json_int_t)invitation_id));
    free(status);
    free(name);
    return st;
}

void transfers_create(struct request *req)
{
    static const char *const allowed[] = {"email", "first_name", "last_name", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct transfer_request t = {.req = req};
    t.email = body_str(req, b, NULL, "email", 1, 254);
    t.first_name = body_str(req, b, NULL, "first_name", 0, 100);
    t.last_name = body_str(req, b, NULL, "last_name", 0, 100);
    const char *why;
    if (t.email && (why = validate_email_ascii(t.email)))
        res_field_error(req, "email", why);
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    t.account_id = a.id;
    int st = request_transaction(req, request_tx, &t);
    if (st == ST_OK)
        res_json(req, 202, t.result);
    else
        res_store_failure(req, st, "the database");
    if (st != ST_OK)
        json_decref(t.result);
}

/* ---- the hand-over -------------------------------------------------- */

struct handover {
    unsigned long long account_id;
    struct person *providers; /* the account's admins but the customer */
    size_t nproviders;
    unsigned char *added_sp;      /* this hand-over added providers[i] to service-provider */
    unsigned char *removed_admin; /* ... and removed them from admin */
};

static void handover_free(struct handover *h)
{
    for (size_t i = 0; i < h->nproviders; i++)
        person_free(&h->providers[i]);
    free(h->providers);
    free(h->added_sp);
    free(h->removed_admin);
    free(h);
}

/* Every LDAP step of a hand-over: each provider joins service-provider,
 * then leaves admin. What was changed is recorded in h for the undo. */
static int handover_ldap(struct ldap_store *ls, struct handover *h)
{
    int st = ST_OK;
    for (size_t i = 0; i < h->nproviders && st == ST_OK; i++) {
        int changed = 0;
        st = ldap_store_change_member(ls, h->account_id, ROLE_SERVICE_PROVIDER, h->providers[i].dn,
                                      1, &changed);
        h->added_sp[i] = st == ST_OK && changed;
        if (st == ST_OK) {
            st = ldap_store_change_member(ls, h->account_id, ROLE_ADMIN, h->providers[i].dn, 0,
                                          &changed);
            h->removed_admin[i] = st == ST_OK && changed;
        }
    }
    return st;
}

/* Reverses handover_ldap's recorded steps. */
static void handover_ldap_undo(struct ldap_store *ls, struct handover *h)
{
    for (size_t i = h->nproviders; i-- > 0;) {
        int st = ST_OK;
        if (h->removed_admin[i])
            st = ldap_store_set_member(ls, h->account_id, ROLE_ADMIN, h->providers[i].dn, 1);
        if (st == ST_OK && h->added_sp[i])
            st = ldap_store_set_member(ls, h->account_id, ROLE_SERVICE_PROVIDER, h->providers[i].dn,
                                       0);
        if (st != ST_OK)
            log_error("account %llu: could not undo the hand-over for %s; fix the admin and "
                      "service-provider groups by hand",
                      h->account_id, h->providers[i].uid);
        h->removed_admin[i] = h->added_sp[i] = 0;
    }
}

void transfer_undo(struct request *req, struct handover **h)
{
    if (!*h)
        return;
    handover_ldap_undo(req->session->ldap, *h);
    handover_free(*h);
    *h = NULL;
}

void transfer_forget(struct handover **h)
{
    if (*h)
        handover_free(*h);
    *h = NULL;
}

/* The account's admins other than the customer, read from LDAP. */
static int read_providers(struct request *req, struct handover *h, const char *customer_dn)
{
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(req->session->ldap, &h->account_id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    const char **dns = NULL;
    size_t ndns = 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (groups[g].role != ROLE_ADMIN)
            continue;
        dns = xcalloc(groups[g].nmembers + 1, sizeof(char *));
        for (size_t m = 0; m < groups[g].nmembers; m++)
            if (!ldap_dn_equal(groups[g].members[m], customer_dn))
                dns[ndns++] = groups[g].members[m];
    }
    st = ldap_store_people_by_dn(req->session->ldap, dns, ndns, &h->providers, &h->nproviders);
    free(dns);
    role_groups_free(groups, ngroups);
    if (st != ST_OK)
        return st;
    h->added_sp = xcalloc(h->nproviders + 1, 1);
    h->removed_admin = xcalloc(h->nproviders + 1, 1);
    return ST_OK;
}

int transfer_prepare(struct request *req, unsigned long long account_id, const char *customer_dn,
                     struct handover **hp)
{
    transfer_undo(req, hp);
    struct handover *h = xcalloc(1, sizeof(*h));
    h->account_id = account_id;
    *hp = h;
    return read_providers(req, h, customer_dn);
}

size_t transfer_providers(const struct handover *h, const char ***dns, const char ***uids)
{
    *dns = xcalloc(h->nproviders + 1, sizeof(char *));
    *uids = xcalloc(h->nproviders + 1, sizeof(char *));
    for (size_t i = 0; i < h->nproviders; i++) {
        (*dns)[i] = h->providers[i].dn;
        (*uids)[i] = h->providers[i].uid;
    }
    return h->nproviders;
}

int transfer_apply_ldap(struct request *req, struct handover *h)
{
    return handover_ldap(req->session->ldap, h);
}

json_t *transfer_data(const struct handover *h, const char *customer_mail,
                      const char *customer_name)
{
    json_t *providers = json_array();
    for (size_t i = 0; i < h->nproviders; i++)
        json_array_append_new(providers, json_pack("{s:s, s:s?}", "uid", h->providers[i].uid,
                                                   "mail", h->providers[i].mail));
    return json_pack("{s:s?, s:s?, s:o}", "customer_mail", customer_mail, "customer_name",
                     customer_name, "providers", providers);
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
            st = audit_write(sql, customer_uid, account_id, "transfer.demote",
                             json_pack("{s:s, s:[s]}", "uid", uid, "roles", "admin"),
                             json_pack("{s:s, s:[s]}", "uid", uid, "roles", "service-provider"));
    }
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
    outbox_free_list(old, nold);
    /* 3. The named contacts: the customer, the account's admin now; the
     * audit row keeps the ones they replace (round 2, D2). */
    json_t *old_contacts = NULL;
    if (st == ST_OK)
        st = named_contacts(sql, account_id, &old_contacts);
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
    /* 5. Mail: the customer, and each of the partner's people. */
    const char *owner_name = customer_name ? customer_name : customer_uid;
    if (st == ST_OK && customer_mail) {
        const char *to[] = {customer_mail};
        struct template_value vals[] = {{"account_name", name}, {"new_owner_name", owner_name}};
        st = outbox_queue(sql, account_id, "ownership-transferred", to, 1, vals, 2);
    }
    const char **to = xcalloc(nproviders + 1, sizeof(char *));
    size_t nto = 0;
    for (size_t i = 0; i < nproviders; i++) {
        const char *m = json_string_value(json_object_get(json_array_get(providers, i), "mail"));
        if (m)
            to[nto++] = m;
    }
    if (st == ST_OK && nto) {
        struct template_value vals[] = {{"account_name", name},
                                        {"new_owner_name", owner_name},
                                        {"new_owner_mail", customer_mail ? customer_mail : ""}};
        st = outbox_queue(sql, account_id, "transfer-completed", to, nto, vals, 3);
    }
    free(to);
    free(name);
    return st;
}

int transfer_finish_self_demotion(struct sql_store *sql, unsigned long long account_id,
                                  const char *actor, const json_t *data)
{
    char *status = NULL, *name = NULL;
    int st = transfer_lock_account(sql, account_id, &status, &name);
    int staged = st == ST_OK && strcmp(status, "staged") == 0;
    free(status);
    free(name);
    if (st != ST_OK || !staged)
        return st == ST_NOT_FOUND ? ST_OK : st;
    /* 1. A pending POST …/transfer is overtaken: its link is revoked, as a
     * new transfer to another address would revoke it. */
    unsigned long long *revoked = NULL;
    size_t nrevoked = 0;
    st = transfer_revoke_pending(sql, account_id, "", &revoked, &nrevoked);
    for (size_t i = 0; st == ST_OK && i < nrevoked; i++)
        st = audit_write(
            sql, actor, account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)revoked[i], "status", "pending"),
            json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)revoked[i], "status",
                      "revoked", "reason", "the account was handed over by a role change"));
    free(revoked);
    /* 2. The named contacts: the one customer admin left, when there are
     * none yet (contacts are admins; the demoted person was none,
     * members.c). */
    const char *contact = json_string_value(json_object_get(data, "contact"));
    json_t *old = NULL;
    if (st == ST_OK)
        st = named_contacts(sql, account_id, &old);
    if (st == ST_OK && contact && json_is_null(json_object_get(old, "primary")) &&
        json_is_null(json_object_get(old, "technical"))) {
        st = transfer_set_contacts(sql, account_id, contact);
        if (st == ST_OK) {
            st = audit_write(sql, actor, account_id, "transfer.contacts", old,
                             json_pack("{s:s, s:s}", "primary", contact, "technical", contact));
            old = NULL;
        }
    }
    json_decref(old);
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
