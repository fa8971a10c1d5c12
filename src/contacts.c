/*
 * contacts: the two named contacts of an account (Inflectra): primary
 * (billing) and technical (alternate), each one of its admins. A change
 * mails the old and the new contact and the account's notification
 * recipients, in the transaction that records it.
 */
#include "account_store.h"
#include "contacts.h"
#include "audit.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "outbox.h"
#include "sql_store.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

struct contact_change {
    struct request *req;
    unsigned long long account_id;
    const char *kind;
    struct person *new_person;
    struct refusal refusal;
};

static int contact_tx(struct sql_store *sql, void *arg)
{
    struct contact_change *c = arg;
    struct request *req = c->req;
    char *account_name = NULL;
    int st = account_lock(sql, c->account_id, &c->refusal, &account_name);
    if (st != ST_OK)
        return st;
    struct sql_result r;
    st = sql_exec(sql, "SELECT uid FROM account_contacts WHERE account_id = ? AND kind = ?",
                  SQL_ARGS(P_INT(c->account_id), P_STR(c->kind)), &r);
    char *old_uid = st == ST_OK && r.nrows ? xstrdup(sql_cell(&r, 0, 0)) : NULL;
    sql_result_free(&r);
    if (st != ST_OK || (old_uid && strcmp(old_uid, c->new_person->uid) == 0))
        goto out; /* failed, or no change: nothing to record or mail */
    st = sql_exec(sql,
                  "INSERT INTO account_contacts (account_id, kind, uid) VALUES (?, ?, ?)"
                  " ON DUPLICATE KEY UPDATE uid = VALUES(uid), updated_at = CURRENT_TIMESTAMP(6)",
                  SQL_ARGS(P_INT(c->account_id), P_STR(c->kind), P_STR(c->new_person->uid)), NULL);
    struct person old = {0};
    if (st == ST_OK && old_uid) {
        int found = ldap_store_find_person(req->session->ldap, "uid", old_uid, &old);
        if (found != ST_OK && found != ST_NOT_FOUND)
            st = found;
    }
    char **recipients = NULL;
    size_t nrecipients = 0;
    if (st == ST_OK)
        st = outbox_recipients(sql, c->account_id, &recipients, &nrecipients);
    if (st == ST_OK) {
        const char **to = xcalloc(nrecipients + 3, sizeof(char *));
        size_t n = 0;
        to[n++] = old.mail;
        to[n++] = c->new_person->mail;
        for (size_t i = 0; i < nrecipients; i++)
            to[n++] = recipients[i];
        struct template_value vals[] = {
            {"account_name", account_name},
            {"contact", c->kind},
            {"old_name", old.name ? old.name : (old_uid ? old_uid : "nobody")},
            {"new_name", c->new_person->name ? c->new_person->name : c->new_person->uid},
        };
        st = outbox_queue(sql, c->account_id, "contact-changed", to, n, vals, 4);
        free(to);
    }
    if (st == ST_OK) {
        json_t *o = json_pack("{s:s, s:s?}", "contact", c->kind, "uid", old_uid);
        json_t *nw = json_pack("{s:s, s:s}", "contact", c->kind, "uid", c->new_person->uid);
        st = audit_write(sql, req->caller.uid, c->account_id, "contact.set", o, nw);
    }
    outbox_free_list(recipients, nrecipients);
    person_free(&old);
out:
    free(old_uid);
    free(account_name);
    return st;
}

void contacts_set(struct request *req)
{
    const char *kind = req->args[1];
    if (strcmp(kind, "primary") != 0 && strcmp(kind, "technical") != 0) {
        res_problem(req, 404, "not-found", "contacts are primary and technical");
        return;
    }
    static const char *const allowed[] = {"uid", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *uid = body_str(req, b, NULL, "uid", 1, 64);
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    struct person p = {0};
    int st = validate_uid(uid) ? ST_NOT_FOUND
                               : ldap_store_find_person(req->session->ldap, "uid", uid, &p);
    if (st != ST_OK && st != ST_NOT_FOUND) {
        res_store_failure(req, st, "the directory");
        return;
    }
    /* The contact must be one of the account's admins. */
    unsigned roles = 0;
    if (st == ST_OK) {
        struct role_group *groups;
        size_t ngroups;
        st = ldap_store_role_groups(req->session->ldap, &a.id, 1, &groups, &ngroups);
        if (st != ST_OK) {
            person_free(&p);
            res_store_failure(req, st, "the directory");
            return;
        }
        struct member_index ix;
        member_index_build(&ix, groups, ngroups, a.id);
        const struct member_entry *e = member_index_find(&ix, p.dn);
        roles = e ? e->roles : 0;
        member_index_free(&ix);
        role_groups_free(groups, ngroups);
    }
    if (!(roles & ROLE_ADMIN)) {
        person_free(&p);
        res_field_error(req, "uid", "must be an admin of the account");
        res_fail_if_errors(req);
        return;
    }
    struct contact_change c = {.req = req, .account_id = a.id, .kind = kind, .new_person = &p};
    st = sql_transaction(req->session->sql, contact_tx, &c);
    if (st == ST_OK)
        res_json(req, 200,
                 json_pack("{s:s, s:s, s:s?, s:s?}", "contact", kind, "uid", p.uid, "name", p.name,
                           "mail", p.mail));
    else if (st == ST_CONFLICT)
        res_refusal(req, &c.refusal);
    else
        res_store_failure(req, st, "the database");
    person_free(&p);
}

json_t *contacts_json(const char *kinds, json_t *members)
{
    json_t *out = json_pack("{s:n, s:n}", "primary", "technical");
    json_t *k = kinds ? json_loads(kinds, 0, NULL) : NULL;
    const char *kind;
    json_t *v;
    json_object_foreach(k, kind, v)
    {
        const char *uid = json_string_value(v);
        if (!uid || !json_object_get(out, kind))
            continue;
        json_t *entry = json_pack("{s:s, s:n, s:n}", "uid", uid, "name", "mail");
        size_t i;
        json_t *m;
        json_array_foreach(members, i, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "uid")), uid) == 0) {
                json_object_set(entry, "name", json_object_get(m, "name"));
                json_object_set(entry, "mail", json_object_get(m, "mail"));
            }
        }
        json_object_set_new(out, kind, entry);
    }
    json_decref(k);
    return out;
}
