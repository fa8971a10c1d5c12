/*
 * providers: the customer's admins see, limit and revoke the access of
 * service providers (the partner's people after a hand-over):
 * GET /accounts/{id}/service-providers[/{uid}], PATCH …/{uid}
 * {expires_at}, DELETE …/{uid}. Past expires_at authorization ignores the
 * role at once (caller.c); `accountd maint` removes it from LDAP
 * (providers_expire).
 */
#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "log.h"
#include "mail_names.h"
#include "outbox.h"
#include "providers.h"
#include "problem.h"
#include "providers_store.h"
#include "saga.h"
#include "sql_store.h"
#include "transfer.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The service providers of account id (people in its service-provider
 * group) with their access rows, as JSON items; only `uid` when not NULL
 * (then *found says whether they are one). */
static json_t *providers_json(struct request *req, unsigned long long id, const char *uid, int *st)
{
    struct role_group *groups;
    size_t ngroups;
    *st = ldap_store_role_groups(req->session->ldap, &id, 1, &groups, &ngroups);
    if (*st != ST_OK)
        return NULL;
    const char **dns = NULL;
    size_t ndns = 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (groups[g].role != ROLE_SERVICE_PROVIDER)
            continue;
        dns = xcalloc(groups[g].nmembers + 1, sizeof(char *));
        for (size_t m = 0; m < groups[g].nmembers; m++)
            dns[ndns++] = groups[g].members[m];
    }
    struct person *people = NULL;
    size_t npeople = 0;
    *st = ldap_store_people_by_dn(req->session->ldap, dns, ndns, &people, &npeople);
    free(dns);
    role_groups_free(groups, ngroups);
    if (*st != ST_OK)
        return NULL;
    struct provider_access *rows = NULL;
    size_t nrows = 0;
    *st = provider_access_list(req->session->sql, id, &rows, &nrows);
    json_t *items = *st == ST_OK ? json_array() : NULL;
    for (size_t p = 0; items && p < npeople; p++) {
        if (uid && strcmp(people[p].uid, uid) != 0)
            continue;
        struct provider_access *a = NULL;
        for (size_t i = 0; i < nrows && !a; i++)
            if (strcmp(rows[i].uid, people[p].uid) == 0)
                a = &rows[i];
        json_array_append_new(items,
                              json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "uid",
                                        people[p].uid, "name", people[p].name, "mail",
                                        people[p].mail, "granted_by", a ? a->granted_by : NULL,
                                        "granted_at", a ? a->granted_at : NULL, "expires_at",
                                        a ? a->expires_at : NULL, "expired", a ? a->expired : 0));
        json_object_set_new(json_array_get(items, json_array_size(items) - 1), "expires_at",
                            a && a->expires_at ? json_string(a->expires_at) : json_null());
    }
    provider_access_free(rows, nrows);
    for (size_t p = 0; p < npeople; p++)
        person_free(&people[p]);
    free(people);
    return items;
}

void providers_list(struct request *req)
{
    struct account_ref a = req->account;
    size_t offset;
    long limit;
    if (page_query(req, &offset, &limit) < 0)
        return;
    int st;
    json_t *items = providers_json(req, a.id, NULL, &st);
    if (!items) {
        res_store_failure(req, st, "the directory or the database");
        return;
    }
    res_items_page(req, json_sorted(items, json_cmp_uid), offset, limit);
}

/* The one provider of the path, or NULL with the answer set (404). */
static json_t *one_provider(struct request *req, unsigned long long id, const char *uid)
{
    int st;
    json_t *items = validate_uid(uid) ? json_array() : providers_json(req, id, uid, &st);
    if (!items) {
        res_store_failure(req, st, "the directory or the database");
        return NULL;
    }
    json_t *one = json_array_get(items, 0);
    if (!one) {
        json_decref(items);
        refuse(req, 404, "not-found", "that person is no service provider of this account");
        return NULL;
    }
    json_incref(one);
    json_decref(items);
    return one;
}

void providers_get(struct request *req)
{
    struct account_ref a = req->account;
    json_t *one = one_provider(req, a.id, req->args[1]);
    if (one)
        res_json(req, 200, one);
}

int providers_mail_changed(struct sql_store *sql, unsigned long long account_id, const char *mail,
                           const char *name, const char *changed_by, const char *change,
                           int is_operator, const char *projects_note, unsigned kept)
{
    if (!mail || !*mail)
        return ST_OK;
    char *account_name = NULL;
    int st = account_name_get(sql, account_id, &account_name);
    if (st != ST_OK)
        return st;
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add(&names, mail, name);
    const char *to[] = {mail};
    /* The whole sentence (round-16 walkthrough of seed 000, D4: "changed
     * your service-provider access to X: it was ended: you no longer have
     * access"). */
    struct buf what = BUF_INIT;
    if (strcmp(change, "was ended") == 0 && is_operator)
        /* Operators may do everything (DESIGN.md): the role recorded
         * what the hand-over did, and its end changes nothing of their
         * access (round-18 walkthrough of seed 000, D2). */
        buf_printf(&what,
                   "%s removed your service-provider role in %s. You keep your access to it as "
                   "operator staff: the platform's operators may act in every account, so only "
                   "the service-provider role is gone.",
                   changed_by, account_name);
    else if (strcmp(change, "was ended") == 0 && kept) {
        /* Their other roles stay (round-27 walkthrough of seed 000, D2:
         * a member was told "you no longer have access"). */
        buf_printf(&what, "%s ended your service-provider role in %s; you keep access as ",
                   changed_by, account_name);
        mail_role_titles(&what, kept);
        buf_addc(&what, '.');
    } else if (strcmp(change, "was ended") == 0)
        buf_printf(&what, "%s ended your service-provider access to %s: you no longer have access.",
                   changed_by, account_name);
    else if (strcmp(change, "no longer ends") == 0)
        buf_printf(&what,
                   "%s removed the end date of your service-provider access to %s: it no longer "
                   "ends.",
                   changed_by, account_name);
    else
        buf_printf(&what, "%s set the end of your service-provider access to %s: it %s.",
                   changed_by, account_name, change);
    if (projects_note && *projects_note)
        buf_printf(&what, " %s", projects_note);
    struct template_value vals[] = {{"account_name", account_name},
                                    {"changed_by", changed_by},
                                    {"change", change},
                                    {"what_changed", buf_str(&what)}};
    st =
        outbox_queue_unbudgeted(sql, account_id, "provider-access-changed", to, 1, &names, vals, 4);
    buf_free(&what);
    mail_names_free(&names);
    free(account_name);
    return st;
}

int providers_grant_notice(struct request *req, unsigned long long account_id,
                           const char *granted_by, const struct person *grantee, const char *how,
                           json_t **out)
{
    *out = NULL;
    struct billing_people people = {0};
    int st = billing_people_read_others(req, account_id, &people);
    if (st != ST_OK)
        return st;
    char *to_name = NULL;
    st = mail_person_actor_name(req->session->sql, req->session->ldap, grantee, account_id,
                                &to_name);
    json_t *to = json_array();
    for (size_t i = 0; i < people.n; i++)
        if (!grantee->mail || strcasecmp(people.mails[i], grantee->mail) != 0)
            json_array_append_new(to, json_string(people.mails[i]));
    if (st == ST_OK && json_array_size(to)) {
        struct buf whom = BUF_INIT;
        buf_adds(&whom, to_name ? to_name : grantee->uid);
        if (grantee->mail && *grantee->mail)
            buf_printf(&whom, " (%s)", grantee->mail);
        *out = json_pack("{s:O, s:o, s:s, s:s, s:s}", "to", to, "names",
                         mail_names_json(&people.names), "granted_by", granted_by, "granted_to",
                         buf_str(&whom), "how", how);
        buf_free(&whom);
    }
    json_decref(to);
    free(to_name);
    billing_people_free(&people);
    return st;
}

int providers_grant_told(unsigned by_roles, int by_operator, unsigned before, unsigned after)
{
    return !by_operator && !(by_roles & ROLE_ADMIN) && (after & ROLE_SERVICE_PROVIDER) &&
           !(before & ROLE_SERVICE_PROVIDER);
}

int providers_mail_granted(struct sql_store *sql, unsigned long long account_id,
                           const json_t *notice)
{
    const json_t *to = json_object_get(notice, "to");
    size_t n = json_array_size(to);
    if (!n)
        return ST_OK;
    char *account_name = NULL;
    int st = account_name_get(sql, account_id, &account_name);
    if (st != ST_OK)
        return st;
    const char **mails = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        mails[i] = json_string_value(json_array_get(to, i));
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add_json(&names, json_object_get(notice, "names"));
    struct template_value vals[] = {
        {"account_name", account_name},
        {"granted_by", json_string_value(json_object_get(notice, "granted_by"))},
        {"granted_to", json_string_value(json_object_get(notice, "granted_to"))},
        {"how", json_string_value(json_object_get(notice, "how"))},
    };
    st = outbox_queue_unbudgeted(sql, account_id, "provider-granted", mails, n, &names, vals, 4);
    mail_names_free(&names);
    free(mails);
    free(account_name);
    return st;
}

struct expiry {
    struct request *req;
    unsigned long long account_id;
    const char *uid;
    const char *expires_at; /* "YYYY-MM-DD HH:MM:SS" or NULL (never) */
    const char *rfc3339;    /* the same as "YYYY-MM-DDTHH:MM:SSZ", for the audit row */
    json_t *old;
};

static int expiry_tx(struct sql_store *sql, void *arg)
{
    struct expiry *e = arg;
    int st = account_lock(sql, e->account_id, &e->req->problem, NULL);
    if (st == ST_OK)
        st = provider_access_set_expiry(sql, e->account_id, e->uid, e->req->caller.uid,
                                        e->expires_at);
    if (st == ST_OK) {
        json_t *o = json_deep_copy(e->old);
        st = audit_write(
            sql, e->req->caller.uid, e->account_id, "service_provider.expiry",
            json_pack("{s:s, s:O}", "uid", e->uid, "expires_at", json_object_get(o, "expires_at")),
            json_pack("{s:s, s:s?}", "uid", e->uid, "expires_at", e->rfc3339));
        json_decref(o);
    }
    /* The provider is told (round-13 walkthrough of seed 000, N3). */
    if (st == ST_OK) {
        char change[64];
        snprintf(change, sizeof(change), e->rfc3339 ? "ends on %s" : "no longer ends",
                 e->rfc3339 ? e->rfc3339 : "");
        st = providers_mail_changed(
            sql, e->account_id, json_string_value(json_object_get(e->old, "mail")),
            json_string_value(json_object_get(e->old, "name")),
            e->req->caller.name ? e->req->caller.name : e->req->caller.uid, change, 0, NULL, 0);
    }
    return st;
}

void providers_patch(struct request *req)
{
    static const char *const allowed[] = {"expires_at", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    json_t *given = json_object_get(b, "expires_at");
    const char *text = NULL;
    char sqltime[20];
    if (!given)
        res_field_error(req, "expires_at", "is required (null for no expiry)");
    else if (!json_is_null(given) &&
             !(req->body_is_form && json_is_string(given) && !json_string_value(given)[0]))
        text = body_str(req, b, NULL, "expires_at", 1, MAX_CHARS(40));
    time_t when = 0;
    const char *why;
    if (text && (why = validate_utc_time(text, &when, sqltime)))
        res_field_error(req, "expires_at", why);
    else if (text && when <= time(NULL))
        res_field_error(req, "expires_at", "must be in the future");
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    struct expiry e = {.req = req, .account_id = a.id, .uid = req->args[1]};
    e.old = one_provider(req, a.id, e.uid);
    if (!e.old)
        return;
    /* On a staged account, the preparers' access is the provider's to
     * limit, as their roles are (round-27 walkthrough of seed 000, D1):
     * the 403 of the role change, nothing written or mailed. */
    int st = ST_OK;
    if (transfer_staged_not_provider_side(req, &a)) {
        struct person p;
        st = ldap_store_find_person(req->session->ldap, "uid", e.uid, &p);
        if (st == ST_OK) {
            st = transfer_refuse_preparers_change(req, &a, p.dn, &req->problem);
            person_free(&p);
        }
    }
    if (st != ST_OK) {
        json_decref(e.old);
        /* LDAP no longer knows the person: 404, as providers_delete
         * answers (review of round 27; it was 500). */
        if (st == ST_NOT_FOUND)
            refuse(req, 404, "not-found", "that person is no service provider of this account");
        else
            res_store_failure(req, st, "the directory or the database");
        return;
    }
    e.expires_at = text ? sqltime : NULL;
    /* The audit row in the API's format (RFC 3339 UTC), as its old value
     * (round 2, D3). */
    char rfc[sizeof(sqltime) + 1];
    if (text) {
        memcpy(rfc, sqltime, 19);
        rfc[10] = 'T';
        rfc[19] = 'Z';
        rfc[20] = '\0';
        e.rfc3339 = rfc;
    }
    st = request_transaction(req, expiry_tx, &e);
    json_decref(e.old);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *one = one_provider(req, a.id, e.uid);
    if (one)
        res_json(req, 200, one);
}

/* ---- revoking ------------------------------------------------------- */

/* One service provider's role taken away as a saga change (saga.h): the
 * account's guard, the plan (their roles now -> without service-provider)
 * recorded, the LDAP step, then the SQL side (saga_finish_sql: the access
 * row deleted, the audit row `action`, the intent closed), with no SQL
 * transaction open during an LDAP call. A failure is undone, or left to
 * `accountd maint`, which finishes or undoes it and audits that. A
 * revocation (action service_provider.revoke) mails the provider, named
 * by told_by, and says to an operator (is_operator) that they keep their
 * operator access. ST_OK, ST_NOT_FOUND when the person holds no
 * service-provider role there (the guard given back), or the failing
 * status with *outcome. */
static int provider_remove(struct ldap_store *ls, struct sql_store *sql,
                           unsigned long long account_id, const struct person *p, const char *actor,
                           const char *told_by, int is_operator, const char *action,
                           struct problem *ref, enum saga_outcome *outcome)
{
    struct saga s = {.actor = xstrdup(actor)};
    s.plan.kind = SAGA_SET_ROLES;
    s.plan.account_id = account_id;
    *outcome = SAGA_NOT_APPLIED;
    int st = saga_begin(sql, &s, ref);
    if (st != ST_OK) {
        saga_free(&s);
        return st;
    }
    unsigned before = 0;
    st = ldap_store_roles_of(ls, account_id, p->dn, &before);
    if (st == ST_OK && !(before & ROLE_SERVICE_PROVIDER))
        st = ST_NOT_FOUND;
    if (st != ST_OK) {
        saga_release(sql, &s, "refused");
        saga_free(&s);
        return st;
    }
    s.plan.person_dn = xstrdup(p->dn);
    s.plan.person_uid = xstrdup(p->uid);
    s.plan.roles_before = before;
    s.plan.roles_after = before & ~ROLE_SERVICE_PROVIDER;
    /* Left with no role: out of the account's projects too, in the same
     * change, with no last-owner rule (the customer's revocation and the
     * expiry are never refused for it; docs/api.md, Projects). */
    if (!s.plan.roles_after) {
        st = saga_plan_leave_projects(ls, &s.plan, NULL, NULL, NULL);
        if (st != ST_OK) {
            saga_release(sql, &s, "not applied");
            saga_free(&s);
            return st;
        }
    }
    /* The SQL side deletes the access row (saga_finish_sql), and tells
     * the provider when an admin revoked it (told_by; saga_run.c). */
    s.data = json_pack("{s:s}", "action", action);
    /* The project roles it takes, named in the revocation's mail as
     * member-removed names them (round-23 walkthrough of seed 000, D6). */
    char *note = NULL;
    int telling = strcmp(action, "service_provider.revoke") == 0 && p->mail;
    if (telling)
        st = members_projects_lost_note(sql, &s.plan, &note);
    if (st != ST_OK) {
        saga_release(sql, &s, "not applied");
        saga_free(&s);
        return st;
    }
    if (telling)
        json_object_set_new(s.data, "provider_told",
                            json_pack("{s:s, s:s?, s:s, s:b, s:s?}", "mail", p->mail, "name",
                                      p->name, "by", told_by ? told_by : actor, "operator",
                                      is_operator, "projects_note", note));
    free(note);
    *outcome = saga_change_roles(ls, sql, &s, &st);
    saga_free(&s);
    return st;
}

void providers_delete(struct request *req)
{
    if (body_none(req))
        return;
    struct account_ref a = req->account;
    json_t *one = one_provider(req, a.id, req->args[1]);
    if (!one)
        return;
    json_decref(one);
    struct person p;
    enum saga_outcome outcome = SAGA_NOT_APPLIED;
    int st = ldap_store_find_person(req->session->ldap, "uid", req->args[1], &p);
    /* Operator staff are told that they keep their operator access
     * (round-18 walkthrough of seed 000, D2): read only for a mail. */
    int is_operator = 0;
    if (st == ST_OK) {
        /* On a staged account, the preparers' access is the provider's
         * to end, as their roles are (round-27 walkthrough of seed 000,
         * D1): the 403 of the role change, nothing written or mailed. */
        st = transfer_refuse_preparers_change(req, &a, p.dn, &req->problem);
        if (st == ST_OK && p.mail && *p.mail)
            st = person_is_operator(req, p.dn, &is_operator);
        if (st == ST_OK)
            st = provider_remove(req->session->ldap, req->session->sql, a.id, &p, req->caller.uid,
                                 req->caller.name, is_operator, "service_provider.revoke",
                                 &req->problem, &outcome);
        person_free(&p);
    }
    if (st == ST_OK)
        res_empty(req, 204);
    else if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "that person is no service provider of this account");
    else if (st == ST_REFUSED)
        res_store_failure(req, st, "the directory or the database");
    else
        saga_answer_failure(req, outcome, st);
}

/* ---- expiry (accountd maint) --------------------------------------- */

/* The row of a person LDAP no longer knows: only the row is left. */
struct expired {
    unsigned long long account_id;
    const char *uid;
};

static int expired_tx(struct sql_store *sql, void *arg)
{
    struct expired *e = arg;
    int st = provider_access_delete(sql, e->account_id, e->uid);
    if (st == ST_OK)
        st = audit_write(sql, "accountd-maint", e->account_id, "service_provider.expire",
                         json_pack("{s:s, s:[s]}", "uid", e->uid, "roles", "service-provider"),
                         json_pack("{s:s, s:[]}", "uid", e->uid, "roles"));
    return st;
}

int providers_expire(struct sql_store *sql, struct ldap_store *ldap, int *removed)
{
    unsigned long long *accounts;
    char **uids;
    size_t n;
    *removed = 0;
    int st = provider_access_expired_all(sql, &accounts, &uids, &n);
    if (st != ST_OK)
        return st;
    int rc = ST_OK;
    for (size_t i = 0; i < n; i++) {
        /* A saga change like a revocation; its SQL side deletes the row. */
        struct person p;
        struct problem ref = {0};
        enum saga_outcome outcome;
        st = ldap_store_find_person(ldap, "uid", uids[i], &p);
        if (st == ST_OK) {
            st = provider_remove(ldap, sql, accounts[i], &p, "accountd-maint", NULL, 0,
                                 "service_provider.expire", &ref, &outcome);
            person_free(&p);
            problem_clear(&ref);
        }
        /* The person is gone, or no longer in the group: only the row. */
        struct expired e = {accounts[i], uids[i]};
        if (st == ST_NOT_FOUND)
            st = sql_transaction(sql, expired_tx, &e);
        if (st == ST_OK) {
            printf("removed the expired service-provider access of %s to account %llu\n", uids[i],
                   accounts[i]);
            (*removed)++;
        } else {
            fprintf(stderr,
                    "accountd maint: the expired access of %s to account %llu could not be "
                    "removed now\n",
                    uids[i], accounts[i]);
            rc = st;
        }
        free(uids[i]);
    }
    free(uids);
    free(accounts);
    return rc;
}
