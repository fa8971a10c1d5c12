/*
 * members: the people of an account and their roles (LDAP role groups).
 * Role changes are serialised per account by locking its SQL row, so two
 * admins removing each other cannot leave the account without an admin;
 * each change writes an audit row in that same transaction.
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "log.h"
#include "sql_store.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

void members_list(struct request *req)
{
    struct account_ref a = req->account;
    int st;
    json_t *items = members_json(req, a.id, &st);
    if (!items) {
        res_store_failure(req, st, "the directory");
        return;
    }
    res_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

struct role_change {
    struct request *req;
    struct account_ref *account;
    struct person person;
    unsigned wanted;
    /* Role bits this request added and removed in LDAP: undone when the
     * transaction does not commit after all. */
    unsigned applied_add, applied_del;
    struct refusal refusal; /* a 403/404/409 decided inside the transaction */
};

/* Puts back what c->applied_* says was changed, and forgets it. */
static void undo_applied(struct role_change *c)
{
    struct ldap_store *ls = c->req->session->ldap;
    for (unsigned b = 0; b < ROLE_COUNT; b++) {
        unsigned bit = 1u << b;
        int st = ST_OK;
        if (c->applied_add & bit)
            st = ldap_store_set_member(ls, c->account->id, bit, c->person.dn, 0);
        if (c->applied_del & bit)
            st = ldap_store_set_member(ls, c->account->id, bit, c->person.dn, 1);
        if (st != ST_OK)
            log_error("account %llu: could not undo the %s role change for %s; fix the role "
                      "group by hand",
                      c->account->id, role_names[b], c->person.uid);
    }
    c->applied_add = c->applied_del = 0;
}

/* Inside the transaction that holds the account row lock. Run again by
 * sql_transaction after a deadlock, so it first undoes an earlier run,
 * once it holds the lock again. */
static int change_roles_tx(struct sql_store *sql, void *arg)
{
    struct role_change *c = arg;
    struct request *req = c->req;
    int st = account_lock(sql, c->account->id, &c->refusal, NULL);
    if (st != ST_OK && st != ST_CONFLICT)
        return st;
    undo_applied(c); /* the row is locked (also when closed) */
    if (st != ST_OK)
        return st;

    struct role_group *groups;
    size_t ngroups;
    st = ldap_store_role_groups(req->session->ldap, &c->account->id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    /* Each member DN normalised once (an account may have thousands). */
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, c->account->id);
    const struct member_entry *target = member_index_find(&ix, c->person.dn);
    unsigned before = target ? target->roles : 0;
    /* The last-admin guard counts people, not DNs: a DN whose entry was
     * deleted (a directory without slapo-refint) is nobody. */
    size_t admins = 0;
    if ((before & ROLE_ADMIN) && !(c->wanted & ROLE_ADMIN))
        st = ldap_store_count_people(req->session->ldap, &ix, ROLE_ADMIN, &admins);
    member_index_free(&ix);
    role_groups_free(groups, ngroups);
    if (st != ST_OK)
        return st;

    /* People join by invitation (which adds a person LDAP knows at once);
     * a uid that is no member here is 404 whatever the body says, so
     * nobody learns about people outside the account this way. */
    if (before == 0)
        return refusal_set(&c->refusal, 404, "not-found",
                           "that person is not a member of this account; invite them by e-mail");
    /* A service provider manages non-admin people only. */
    int full = req->caller.is_operator || (c->account->roles & ROLE_ADMIN);
    if (!full && ((before & ROLE_ADMIN) || (c->wanted & ROLE_ADMIN)))
        return refusal_set(&c->refusal, 403, "forbidden", "only admins may change who is an admin");
    if ((before & ROLE_ADMIN) && !(c->wanted & ROLE_ADMIN) && admins <= 1)
        return refusal_set(&c->refusal, 409, "last-admin",
                           "an account always keeps at least one admin");

    /* Adds first, then removals; undo what was applied if a step fails.
     * `before` was read under the account's lock, so a call that succeeds
     * made the change, even when its reply was lost and the retry found it
     * made. */
    for (unsigned b = 0; b < ROLE_COUNT && st == ST_OK; b++) {
        unsigned bit = 1u << b;
        if ((c->wanted & bit) && !(before & bit)) {
            st = ldap_store_set_member(req->session->ldap, c->account->id, bit, c->person.dn, 1);
            if (st == ST_OK)
                c->applied_add |= bit;
        }
    }
    for (unsigned b = 0; b < ROLE_COUNT && st == ST_OK; b++) {
        unsigned bit = 1u << b;
        if (!(c->wanted & bit) && (before & bit)) {
            st = ldap_store_set_member(req->session->ldap, c->account->id, bit, c->person.dn, 0);
            if (st == ST_OK)
                c->applied_del |= bit;
        }
    }
    if (st == ST_OK) {
        json_t *o = json_pack("{s:s, s:o}", "uid", c->person.uid, "roles", roles_json(before));
        json_t *n = json_pack("{s:s, s:o}", "uid", c->person.uid, "roles", roles_json(c->wanted));
        st = audit_write(sql, req->caller.uid, c->account->id,
                         c->wanted ? "member.set_roles" : "member.remove", o, n);
    }
    if (st != ST_OK)
        undo_applied(c);
    return st;
}

/* Shared by PUT (roles given) and DELETE (no roles). */
static void change_roles(struct request *req, unsigned wanted, int status_ok)
{
    struct account_ref a = req->account;
    const char *uid = req->args[1];
    struct role_change c = {.req = req, .account = &a, .wanted = wanted};
    /* A uid accountd would never create cannot name a person: not found,
     * and nothing of it reaches LDAP. */
    int st = validate_uid(uid) ? ST_NOT_FOUND
                               : ldap_store_find_person(req->session->ldap, "uid", uid, &c.person);
    if (st == ST_NOT_FOUND) {
        res_problem(req, 404, "not-found", "no such person");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    st = sql_transaction(req->session->sql, change_roles_tx, &c);
    /* The COMMIT failed: a rolled-back change must not stay in LDAP either;
     * one the database may have recorded after all stays (the answer is
     * 503, and the same PUT again finds it done). */
    if (st != ST_OK && sql_commit_unknown(req->session->sql) && (c.applied_add | c.applied_del))
        log_error("account %llu: MariaDB was lost during the COMMIT of a role change for %s; "
                  "the LDAP change is kept",
                  a.id, c.person.uid);
    else if (st != ST_OK)
        undo_applied(&c);
    if (st == ST_CONFLICT)
        res_refusal(req, &c.refusal);
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory or the database");
    else if (status_ok == 204)
        res_empty(req, 204);
    else
        res_json(req, 200,
                 json_pack("{s:s, s:s?, s:s?, s:o}", "uid", c.person.uid, "name", c.person.name,
                           "mail", c.person.mail, "roles", roles_json(wanted)));
    person_free(&c.person);
}

void members_set_roles(struct request *req)
{
    static const char *const allowed[] = {"roles", "_roles_present", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    json_t *given = b ? json_object_get(b, "roles") : NULL;
    const char **roles = body_str_list(req, b, "roles");
    /* A form's checkboxes send nothing when none is ticked: the hidden
     * field _roles_present=1 says the set was on the page, so no roles
     * means none (docs/api.md, next to roles). */
    int present = body_bool(req, b, NULL, "_roles_present");
    if ((!given || json_is_null(given)) && present != 1)
        res_field_error(req, "roles", "is required");
    unsigned wanted = 0;
    for (size_t i = 0; roles && roles[i]; i++) {
        unsigned bit = role_bit(roles[i]);
        if (!bit)
            res_field_error(req, "roles", "roles are admin, service-provider, billing and member");
        wanted |= bit;
    }
    free(roles);
    if (body_failed(req))
        return;
    change_roles(req, wanted, 200);
}

void members_remove(struct request *req)
{
    if (body_none(req))
        return;
    change_roles(req, 0, 204);
}
