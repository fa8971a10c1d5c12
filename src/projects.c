/*
 * projects: projects inside an account (STACKIT method 2) with their own
 * role groups owner, editor, reader in LDAP. POST/GET
 * /accounts/{id}/projects (paged), GET /projects/{pid} (with its people),
 * PUT/DELETE /projects/{pid}/members/{uid} (for people of the account,
 * of its projects or of the caller's tenant tree; anyone else is invited:
 * POST /projects/{pid}/invitations, invitations.c). A
 * person who is only in a project's groups is let into these routes
 * (ROUTE_PROJECT) and sees that project and nothing else of the account.
 * Creating a project writes the row pending until its LDAP groups exist
 * (a crash in between: `accountd maint` removes groups and row); a
 * person's project roles change as a saga (saga.h), like account roles.
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "handlers.h"
#include "invitations.h"
#include "ldap_store.h"
#include "mail_names.h"
#include "outbox.h"
#include "log.h"
#include "projects_store.h"
#include "providers_store.h"
#include "saga.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A person's project roles as a mail says them: "owner", "editor and
 * reader" (malloc'ed). */
static char *project_roles_text(unsigned roles)
{
    struct buf b = BUF_INIT;
    size_t said = 0;
    for (unsigned r = 0; r < PROJECT_ROLE_COUNT; r++)
        if (roles & (1u << r))
            buf_printf(&b, "%s%s", said++ ? " and " : "", project_role_names[r]);
    return buf_detach(&b);
}

/* ---- create --------------------------------------------------------- */

struct project_create {
    struct request *req;
    unsigned long long account_id, id;
    const char *name;
};

static const char NAME_TAKEN[] = "the account has a project by that name";

/* Under the account's row lock (account_lock), which every create and
 * rename of its projects takes: 409 when a project of the account other
 * than except (0: none) has a name like name — equal but for case, the
 * blank space around it and Unicode's normalization forms, as property
 * labels compare (round-19 walkthrough of seed 003, D2: " X " and "x"
 * were second projects next to "X"), and but for runs of blank space
 * inside it and zero-width characters, which a list in HTML does not
 * show (name_alike_key; round-20 walkthrough of seed 003, D2: "Kunde
 * Vier" with two spaces was a second project). The UNIQUE index on the
 * exact name stays the last word (ST_DUPLICATE). Names two projects of
 * the account already share (made before) stay as they are. */
static int refuse_name_alike(struct sql_store *sql, struct request *req,
                             unsigned long long account_id, unsigned long long except,
                             const char *name)
{
    struct sql_result r;
    int st = projects_names(sql, account_id, &r);
    if (st != ST_OK)
        return st;
    char *want = name_alike_key(name);
    for (size_t i = 0; st == ST_OK && i < r.nrows; i++) {
        if (sql_cell_id(&r, i, 0) == except)
            continue;
        const char *have = sql_cell(&r, i, 1);
        char *key = name_alike_key(have);
        if (strcmp(key, want) == 0) {
            if (strcmp(have, name) == 0)
                st = refuse_field(req, 409, "conflict", "name", NAME_TAKEN, "%s", NAME_TAKEN);
            else {
                /* No byte cap: a name of 200 characters is up to 800
                 * bytes, and a cut inside a UTF-8 sequence would lose the
                 * field's error (json_string refuses it). */
                struct buf why = BUF_INIT;
                buf_printf(&why, "is taken: the account's project %s is named \"%s\"",
                           sql_cell(&r, i, 0), have);
                st = refuse_field(req, 409, "conflict", "name", buf_str(&why),
                                  "the account has a project by a name like that: \"%s\" "
                                  "(project %s); project names compare without regard to case "
                                  "and the space around them or repeated inside them",
                                  have, sql_cell(&r, i, 0));
                buf_free(&why);
            }
        }
        free(key);
    }
    free(want);
    sql_result_free(&r);
    return st;
}

static int create_insert_tx(struct sql_store *sql, void *arg)
{
    struct project_create *c = arg;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st == ST_OK)
        st = refuse_name_alike(sql, c->req, c->account_id, 0, c->name);
    if (st == ST_OK)
        st = project_insert(sql, c->account_id, c->name, c->req->caller.uid, &c->id);
    if (st == ST_DUPLICATE)
        st = refuse_field(c->req, 409, "conflict", "name", NAME_TAKEN, "%s", NAME_TAKEN);
    return st;
}

static int create_finish_tx(struct sql_store *sql, void *arg)
{
    struct project_create *c = arg;
    int st = project_done(sql, c->id);
    if (st == ST_OK)
        st = audit_write(sql, c->req->caller.uid, c->account_id, "project.create", NULL,
                         json_pack("{s:I, s:s, s:s}", "project_id", (json_int_t)c->id, "name",
                                   c->name, "owner", c->req->caller.uid));
    return st;
}

static int create_undo_tx(struct sql_store *sql, void *arg)
{
    struct project_create *c = arg;
    return project_delete_pending(sql, c->id);
}

/* Creating, renaming and deleting are the account's admins' and service
 * providers' (the router lets project people in, so that one who sees the
 * project hears 403, not 404: round-7 walkthrough of seed 003; one who
 * sees the account's projects hears 403 on create: round-24 walkthrough of
 * seed 003, D1). what: what the 403 says they do ("create", "rename or
 * delete"); pid: the project, 0 on create (no 404 then). */
static int may_change_project(struct request *req, unsigned long long pid, const char *what)
{
    if (req->caller.is_operator || (req->account.roles & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)))
        return 1;
    if (!pid || caller_project_roles(req, pid))
        refuse(req, 403, "forbidden",
               "only the account's admins and service providers %s its projects", what);
    else
        refuse(req, 404, "not-found", "no such project");
    return 0;
}

void projects_create(struct request *req)
{
    if (!may_change_project(req, 0, "create"))
        return;
    static const char *const allowed[] = {"name", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct project_create c = {.req = req, .account_id = req->account.id};
    /* Spaces around a pasted name are dropped, as around an invitation's
     * names (round-19 walkthrough of seed 003, D2), and the name is kept
     * in NFC, as labels are (round-20 walkthrough of seed 003, D2). */
    body_trim(b, "name");
    body_nfc(b, "name");
    c.name = body_name(req, b, NULL, "name", 1, MAX_CHARS(200));
    if (body_failed(req))
        return;
    int st = request_transaction(req, create_insert_tx, &c);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    /* The creator owns the project. */
    int lst = ldap_store_create_project(req->session->ldap, c.account_id, c.id, req->caller.dn);
    int sst = lst == ST_OK ? request_transaction(req, create_finish_tx, &c) : ST_OK;
    if (lst != ST_OK || sst != ST_OK) {
        if (sst != ST_OK && sql_commit_unknown(req->session->sql)) {
            log_error("project %llu: MariaDB was lost during its COMMIT; its LDAP groups are "
                      "kept",
                      c.id);
        } else {
            if (lst == ST_OK)
                ldap_store_delete_project(req->session->ldap, c.account_id, c.id);
            if (request_transaction(req, create_undo_tx, &c) != ST_OK)
                log_error("project %llu left pending after a failed create", c.id);
        }
        res_store_failure(req, lst != ST_OK ? lst : sst, "the directory or the database");
        return;
    }
    json_t *p = NULL;
    st = project_read(req->session->sql, c.id, &p);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_object_set_new(p, "roles", project_roles_json(PROJECT_OWNER));
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/projects/%llu", c.id);
    res_header(req, "Location", loc);
    res_json(req, 201, p);
}

/* ---- list ----------------------------------------------------------- */

/* Anyone with a role in the account sees every project; a person with
 * project roles only sees those projects. */
static int sees_every_project(const struct request *req)
{
    return req->caller.is_operator || req->account.roles;
}

/* A page of the list (res_id_page): the projects after the cursor, oldest
 * first; for a person with project roles only, among their projects. */
static int projects_page_of_caller(struct request *req, unsigned long long after, long limit,
                                   json_t **items)
{
    unsigned long long *ids = NULL;
    size_t n = 0;
    if (!sees_every_project(req)) {
        ids = xcalloc(req->caller.nprojects + 1, sizeof(*ids));
        for (size_t i = 0; i < req->caller.nprojects; i++)
            if (req->caller.projects[i].account_id == req->account.id)
                ids[n++] = req->caller.projects[i].project_id;
    }
    int st =
        projects_page(req->session->sql, req->account.id, after, limit, ids, n, ids != NULL, items);
    free(ids);
    if (st != ST_OK)
        return st;
    size_t i;
    json_t *p;
    json_array_foreach(*items, i, p)
    {
        unsigned long long pid = parse_id(json_string_value(json_object_get(p, "id")));
        json_object_set_new(p, "roles", project_roles_json(caller_project_roles(req, pid)));
    }
    return ST_OK;
}

void projects_list(struct request *req)
{
    res_id_page(req, projects_page_of_caller);
}

/* ---- one project ------------------------------------------------------ */

/* The project's people (those that exist: a dangling DN is nobody) with
 * their roles in it, by uid. */
/* A person's roles in project pid as PUT and GET of
 * /projects/{pid}/members/{uid} answer them (ids as decimal strings,
 * API.md). */
static json_t *project_member_json(const struct person *p, unsigned long long pid, unsigned roles)
{
    char id[24];
    snprintf(id, sizeof(id), "%llu", pid);
    return json_pack("{s:s, s:s?, s:s?, s:s, s:o}", "uid", p->uid, "name", p->name, "mail", p->mail,
                     "project_id", id, "roles", project_roles_json(roles));
}

static json_t *project_members_json(struct request *req, unsigned long long account_id,
                                    unsigned long long project_id, int *st)
{
    struct role_group *groups;
    size_t ngroups;
    *st = ldap_store_project_groups(req->session->ldap, account_id, project_id, &groups, &ngroups);
    if (*st != ST_OK)
        return NULL;
    json_t *items = people_items(req, groups, ngroups, 0, project_roles_json, st);
    role_groups_free(groups, ngroups);
    return items;
}

static int uid_order(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "uid"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "uid"));
    return strcmp(x ? x : "", y ? y : "");
}

void projects_get(struct request *req)
{
    if (body_none(req))
        return;
    unsigned long long pid = parse_id(req->args[0]);
    unsigned mine = caller_project_roles(req, pid);
    if (!sees_every_project(req) && !mine) {
        refuse(req, 404, "not-found", "no such project");
        return;
    }
    json_t *p = NULL;
    int st = project_read(req->session->sql, pid, &p);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such project");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *members = project_members_json(req, req->account.id, pid, &st);
    if (!members) {
        json_decref(p);
        if (st == ST_NOT_FOUND)
            refuse(req, 404, "not-found", "no such project");
        else
            res_store_failure(req, st, "the directory");
        return;
    }
    /* By uid, so that the answer does not depend on LDAP's order. */
    size_t n = json_array_size(members);
    json_t **sorted = xcalloc(n + 1, sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_incref(json_array_get(members, i));
    qsort(sorted, n, sizeof(json_t *), uid_order);
    json_array_clear(members);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(members, sorted[i]);
    free(sorted);
    json_object_set_new(p, "roles", project_roles_json(mine));
    json_object_set_new(p, "members", members);
    res_json(req, 200, p);
}

/* ---- rename and delete (round-6 walkthrough of seed 003) ------------ */

struct project_change {
    struct request *req;
    unsigned long long account_id, id;
    const char *name; /* rename: the new name; delete: NULL */
    json_t *people;   /* delete: its people, {uid, name, mail, roles (bits)} */
};

static int rename_tx(struct sql_store *sql, void *arg)
{
    struct project_change *c = arg;
    char *old = NULL;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st == ST_OK)
        st = refuse_name_alike(sql, c->req, c->account_id, c->id, c->name);
    if (st == ST_OK)
        st = project_rename(sql, c->account_id, c->id, c->name, &old);
    if (st == ST_NOT_FOUND)
        st = refuse(c->req, 404, "not-found", "no such project");
    else if (st == ST_DUPLICATE)
        st = refuse_field(c->req, 409, "conflict", "name", NAME_TAKEN, "%s", NAME_TAKEN);
    if (st == ST_OK)
        st = audit_write(sql, c->req->caller.uid, c->account_id, "project.rename",
                         json_pack("{s:I, s:s}", "project_id", (json_int_t)c->id, "name", old),
                         json_pack("{s:I, s:s}", "project_id", (json_int_t)c->id, "name", c->name));
    free(old);
    return st;
}

void projects_patch(struct request *req)
{
    if (!may_change_project(req, parse_id(req->args[0]), "rename or delete"))
        return;
    static const char *const allowed[] = {"name", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct project_change c = {
        .req = req, .account_id = req->account.id, .id = parse_id(req->args[0])};
    body_trim(b, "name"); /* as on create */
    body_nfc(b, "name");
    c.name = body_name(req, b, NULL, "name", 1, MAX_CHARS(200));
    if (body_failed(req))
        return;
    int st = request_transaction(req, rename_tx, &c);
    json_t *p = NULL;
    if (st == ST_OK)
        st = project_read(req->session->sql, c.id, &p);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_object_set_new(p, "roles", project_roles_json(caller_project_roles(req, c.id)));
    res_json(req, 200, p);
}

/* people_items' roles as they are: the bits (for project_roles_text). */
static json_t *roles_bits(unsigned roles)
{
    return json_integer(roles);
}

/* project-deleted (migration 092; round-21 walkthrough of seed 003, D2:
 * an end customer whose only access was the project was left with an
 * empty /me and no word why): to each of its people read before the
 * delete, other than the caller, naming the roles that ended, in the
 * delete's transaction, outside the mail budget as member-removed is. */
static int mail_project_deleted(struct sql_store *sql, struct project_change *c,
                                const char *project_name)
{
    size_t n = json_array_size(c->people);
    if (!n)
        return ST_OK;
    char *actor = NULL, *account = NULL;
    int st = mail_actor_name(sql, &c->req->caller, c->account_id, &actor);
    if (st == ST_OK)
        st = account_name_get(sql, c->account_id, &account);
    for (size_t i = 0; st == ST_OK && i < n; i++) {
        json_t *p = json_array_get(c->people, i);
        const char *uid = json_string_value(json_object_get(p, "uid"));
        const char *mail = json_string_value(json_object_get(p, "mail"));
        if (!mail || !*mail || (uid && strcasecmp(uid, c->req->caller.uid) == 0))
            continue;
        char *roles = project_roles_text((unsigned)json_integer_value(json_object_get(p, "roles")));
        struct template_value vals[] = {
            {"account_name", account},
            {"project_name", project_name},
            {"deleted_by", actor},
            {"roles", roles},
        };
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add(&names, mail, json_string_value(json_object_get(p, "name")));
        st = outbox_queue(sql, c->account_id, "project-deleted", &mail, 1, &names, vals, 4);
        mail_names_free(&names);
        free(roles);
    }
    free(actor);
    free(account);
    return st;
}

static int remove_tx(struct sql_store *sql, void *arg)
{
    struct project_change *c = arg;
    unsigned long long *revoked = NULL;
    size_t nrevoked = 0;
    char *name = NULL;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st == ST_OK)
        st = project_remove(sql, c->account_id, c->id, &revoked, &nrevoked, &name);
    if (st == ST_NOT_FOUND)
        st = refuse(c->req, 404, "not-found", "no such project");
    for (size_t i = 0; st == ST_OK && i < nrevoked; i++)
        st = audit_write(
            sql, c->req->caller.uid, c->account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)revoked[i], "status", "pending"),
            json_pack("{s:I, s:s, s:I, s:s}", "invitation_id", (json_int_t)revoked[i], "status",
                      "revoked", "project_id", (json_int_t)c->id, "reason",
                      "the project was deleted"));
    if (st == ST_OK)
        st = audit_write(sql, c->req->caller.uid, c->account_id, "project.delete",
                         json_pack("{s:I, s:s}", "project_id", (json_int_t)c->id, "name", name),
                         NULL);
    if (st == ST_OK)
        st = mail_project_deleted(sql, c, name);
    free(revoked);
    free(name);
    return st;
}

/* The project's LDAP entry and role groups go first, then its row (with
 * its pending invitations) in one transaction. If the transaction fails,
 * the project is one an LDAP administrator deleted (404 for what needs its
 * groups, still listed) and the same DELETE again finishes it: removing
 * groups that are gone is no error. */
void projects_delete(struct request *req)
{
    if (!may_change_project(req, parse_id(req->args[0]), "rename or delete") || body_none(req))
        return;
    struct project_change c = {
        .req = req, .account_id = req->account.id, .id = parse_id(req->args[0])};
    /* Its people, to tell them (mail_project_deleted): read before its
     * groups go; none when an LDAP administrator deleted them already. */
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    int st = ldap_store_project_groups(req->session->ldap, c.account_id, c.id, &groups, &ngroups);
    if (st == ST_OK) {
        c.people = people_items(req, groups, ngroups, 0, roles_bits, &st);
        role_groups_free(groups, ngroups);
    } else if (st == ST_NOT_FOUND) {
        st = ST_OK;
    }
    if (st == ST_OK)
        st = ldap_store_delete_project(req->session->ldap, c.account_id, c.id);
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        goto out;
    }
    st = request_transaction(req, remove_tx, &c);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        goto out;
    }
    res_empty(req, 204);
out:
    json_decref(c.people);
}

/* The account of /projects/{pid}/…, for the route table. */
int projects_account_of(struct request *req, unsigned long long *id)
{
    unsigned long long pid = parse_id(req->args[0]);
    if (!pid)
        return ST_NOT_FOUND;
    return project_account(req->session->sql, pid, id);
}

/* ---- members -------------------------------------------------------- */

/* A person's roles in a project change like their roles in an account
 * (saga.h, members.c): the account's guard and an intent first, then the
 * project's groups read and the rules checked with no SQL transaction
 * open, the LDAP writes, and the audit row in the transaction that closes
 * the intent. A failure half-way is undone, or left to `accountd maint`
 * when even that fails. */

/* The one answer for a uid a PUT may not name: unknown, or a person who
 * is neither in the project's account (a role in it or in one of its
 * projects) nor in the caller's tenant tree; the same body either way, so
 * that it never tells whether a uid exists (docs/api.md, Projects). */
#define NOT_IN_ACCOUNT "that person is not known here; invite them to the project by e-mail"
/* The same for a DELETE: unknown, or no role in the project. */
#define NOT_IN_PROJECT "that person has no role in the project"

/* Does the person hold a role in the account as authorization counts it
 * (a service-provider grant past its expires_at is none)? */
static int account_roles_counted(struct request *req, unsigned long long account_id,
                                 const struct person *person, unsigned *roles)
{
    *roles = 0;
    int st = ldap_store_roles_of(req->session->ldap, account_id, person->dn, roles);
    if (st == ST_OK && (*roles & ROLE_SERVICE_PROVIDER)) {
        int expired = 0;
        st = provider_access_expired(req->session->sql, account_id, person->uid, &expired);
        if (expired)
            *roles &= ~(unsigned)ROLE_SERVICE_PROVIDER;
    }
    return st;
}

static int holds_account_role(struct request *req, unsigned long long account_id,
                              const struct person *person, int *holds)
{
    unsigned roles = 0;
    int st = account_roles_counted(req, account_id, person, &roles);
    *holds = st == ST_OK && roles != 0;
    return st;
}

/* Round-21 walkthrough of seed 003, D1: an end customer's project-only
 * owner demoted and removed the reseller's admin from the reseller's own
 * project. A caller who manages the project's people only as its owner
 * (no admin or service-provider role in the account, and not operator
 * staff) changes and removes the project roles of everyone but the
 * account's admins and service providers (a service-provider grant past
 * its expires_at is none); those stay the account's administrators' to
 * change. One directory read (and one statement for a service provider),
 * on this write path only. */
#define ACCOUNT_PEOPLE_KEPT                                                                        \
    "that person is an administrator or service provider of the project's account: only the "      \
    "account's administrators and service providers change or remove their project roles; ask "    \
    "the account's administrators"
static int refuse_account_staff(struct request *req, unsigned long long account_id,
                                const struct person *person)
{
    if (req->caller.is_operator || (req->account.roles & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)) ||
        strcasecmp(person->uid, req->caller.uid) == 0)
        return ST_OK;
    unsigned roles = 0;
    int st = account_roles_counted(req, account_id, person, &roles);
    if (st != ST_OK)
        return st;
    if (roles & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER))
        return refuse(req, 403, "forbidden", ACCOUNT_PEOPLE_KEPT);
    return ST_OK;
}

/* May the person be given a role in a project of the account without
 * their consent? They may when they hold a role in the account; and, when
 * the caller is an admin or service provider of the account (or the
 * operator), also when they are in one of its projects or in the caller's
 * tenant tree (caller_tree_holds: the caller's admins and service
 * providers already see them). A project's owner without a role in the
 * account (an end customer's person, STACKIT method 2) places only the
 * account's own people: the account's other projects are other end
 * customers', whose people such an owner must not find or pull in by uid.
 * Anyone else consents through a project invitation. */
static int may_join_project(struct request *req, unsigned long long account_id,
                            const struct person *person, int *may)
{
    int st = holds_account_role(req, account_id, person, may);
    if (st != ST_OK || *may)
        return st;
    if (!req->caller.is_operator && !(req->account.roles & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)))
        return ST_OK;
    struct role_grant *grants = NULL;
    struct project_grant *projects = NULL;
    size_t ngrants = 0, nprojects = 0;
    st = ldap_store_all_grants_of(req->session->ldap, person->dn, &grants, &ngrants, &projects,
                                  &nprojects);
    for (size_t i = 0; st == ST_OK && i < nprojects && !*may; i++)
        *may = projects[i].account_id == account_id;
    free(grants);
    free(projects);
    if (st != ST_OK || *may)
        return st;
    return caller_tree_holds(req, person->dn, person->uid, may);
}

/* The person's roles in the project now (*before), and the rules of the
 * change: ST_OK, or ST_REFUSED with the problem recorded. */
static int check_project_change(struct request *req, unsigned long long account_id,
                                unsigned long long project_id, const struct person *person,
                                unsigned wanted, unsigned *before)
{
    struct role_group *groups;
    size_t ngroups;
    int st =
        ldap_store_project_groups(req->session->ldap, account_id, project_id, &groups, &ngroups);
    if (st == ST_NOT_FOUND)
        return refuse(req, 404, "not-found", "no such project");
    if (st != ST_OK)
        return st;
    /* The role's group an LDAP administrator deleted: no such project
     * role to give (round-4 walkthrough of seed 003: it was a 500 when the
     * saga's LDAP step failed), as the invitation route answers. */
    int have_group = !wanted;
    for (size_t i = 0; i < ngroups; i++)
        have_group |= groups[i].role == wanted;
    if (!have_group) {
        role_groups_free(groups, ngroups);
        return refuse(req, 404, "not-found", "no such project");
    }
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, 0);
    const struct member_entry *target = member_index_find(&ix, person->dn);
    *before = target ? target->roles : 0;
    /* The last-owner guard counts people, not DNs, as the last-admin guard
     * does (members.c): a DN whose entry was deleted (a directory without
     * slapo-refint) is nobody. */
    size_t owners = 0;
    if ((*before & PROJECT_OWNER) && !(wanted & PROJECT_OWNER))
        st = ldap_store_count_people(req->session->ldap, &ix, PROJECT_OWNER, &owners);
    member_index_free(&ix);
    role_groups_free(groups, ngroups);
    if (st != ST_OK)
        return st;
    if (!wanted && !*before)
        return refuse(req, 404, "not-found", NOT_IN_PROJECT);
    if (*before) {
        st = refuse_account_staff(req, account_id, person);
        if (st != ST_OK)
            return st;
    }
    /* People join by invitation; a project role is given at once only to
     * someone of the account, of its projects or of the caller's tenant
     * tree (or changes the role of someone in the project). */
    if (wanted && !*before) {
        int may = 0;
        st = may_join_project(req, account_id, person, &may);
        if (st != ST_OK)
            return st;
        if (!may)
            return refuse(req, 404, "not-found", NOT_IN_ACCOUNT);
        /* Nor into a project, someone whose provider access an admin of
         * the account revoked (round-12 walkthrough of seed 000, D1). */
        int revoked = 0;
        if (!req->caller.is_operator && !(req->account.roles & ROLE_ADMIN))
            st = provider_revoked_by_admin(req->session->sql, account_id, person->uid, &revoked);
        if (st != ST_OK)
            return st;
        if (revoked)
            return refuse(req, 403, "forbidden", PROVIDER_REVOKED_DETAIL);
    }
    if ((*before & PROJECT_OWNER) && !(wanted & PROJECT_OWNER) && owners <= 1)
        return refuse(req, 409, "last-owner", "a project always keeps an owner");
    return ST_OK;
}

/* Account admins and service providers manage every project's people,
 * a project's owners theirs; anyone else who sees the project gets 403,
 * someone who does not see it 404. */
int projects_may_manage(struct request *req, unsigned long long pid)
{
    if (req->caller.is_operator || (req->account.roles & (ROLE_ADMIN | ROLE_SERVICE_PROVIDER)))
        return 1;
    unsigned mine = caller_project_roles(req, pid);
    if (mine & PROJECT_OWNER)
        return 1;
    if (mine || req->account.roles)
        refuse(req, 403, "forbidden",
               "only the project's owners and the account's admins "
               "manage its people");
    else
        refuse(req, 404, "not-found", "no such project");
    return 0;
}

/* The saga's project, for its mails (*project: a new reference): 404
 * when it is gone. */
static int saga_project(struct request *req, const struct saga *s, json_t **project)
{
    *project = NULL;
    int st = project_read(req->session->sql, s->plan.project_id, project);
    if (st == ST_NOT_FOUND)
        return refuse(req, 404, "not-found", "no such project");
    return st;
}

/* The added-to-account mail of a person a PUT brings into the project
 * (round-8 walkthrough of seed 003: the invitation route mails them, PUT
 * did not): the saga's data that its SQL step (saga_finish_sql) mails
 * from, as add_known_to_project records it. Only for someone who had no
 * role in the project, and not for callers who place themselves. */
static int mail_new_member(struct request *req, struct saga *s, const struct person *person,
                           unsigned wanted)
{
    if (!wanted || s->plan.roles_before || !person->mail ||
        strcasecmp(person->uid, req->caller.uid) == 0)
        return ST_OK;
    json_t *project = NULL;
    int st = saga_project(req, s, &project);
    if (st != ST_OK)
        return st;
    char *place = invitation_place_name(json_string_value(json_object_get(project, "account_name")),
                                        json_string_value(json_object_get(project, "name")));
    const char *role = "";
    for (unsigned i = 0; i < PROJECT_ROLE_COUNT; i++)
        if (wanted == 1u << i)
            role = project_role_names[i];
    json_object_set_new(s->data, "role", json_string(role));
    json_object_set_new(s->data, "mail", json_string(person->mail));
    json_object_set_new(s->data, "name", json_string(person->name ? person->name : person->uid));
    /* Who added them, and for which organization (mail_names.h). */
    char *inviter = NULL;
    st = mail_actor_name(req->session->sql, &req->caller, s->plan.account_id, &inviter);
    json_object_set_new(s->data, "inviter_name", json_string(inviter ? inviter : ""));
    free(inviter);
    json_object_set_new(s->data, "place", json_string(place));
    free(place);
    json_decref(project);
    return st;
}

/* project-member-removed (migration 092; round-21 walkthrough of seed
 * 003, D2: a person taken out of a project was told nothing, and one
 * whose only access it was found an empty /me): the saga's data its SQL
 * step mails from ("removed": {mail, name, removed_by, project_name}),
 * for a DELETE of someone who held a role in the project, not by
 * themselves. Outside the mail budget, as member-removed is. */
static int mail_removed_member(struct request *req, struct saga *s, const struct person *person,
                               unsigned wanted)
{
    if (wanted || !s->plan.roles_before || !person->mail || !*person->mail ||
        strcasecmp(person->uid, req->caller.uid) == 0)
        return ST_OK;
    json_t *project = NULL;
    int st = saga_project(req, s, &project);
    if (st != ST_OK)
        return st;
    char *actor = NULL;
    st = mail_actor_name(req->session->sql, &req->caller, s->plan.account_id, &actor);
    json_object_set_new(s->data, "removed",
                        json_pack("{s:s, s:s?, s:s, s:s?}", "mail", person->mail, "name",
                                  person->name, "removed_by", actor ? actor : "", "project_name",
                                  json_string_value(json_object_get(project, "name"))));
    free(actor);
    json_decref(project);
    return st;
}

static void change_member(struct request *req, unsigned wanted, int status_ok)
{
    unsigned long long account_id = req->account.id, project_id = parse_id(req->args[0]);
    if (!projects_may_manage(req, project_id))
        return;
    const char *uid = req->args[1];
    struct person person = {0};
    int st = validate_uid(uid) ? ST_NOT_FOUND
                               : ldap_store_find_person(req->session->ldap, "uid", uid, &person);
    if (st == ST_NOT_FOUND) {
        /* The answer of a person who is there but no member. */
        refuse(req, 404, "not-found", wanted ? NOT_IN_ACCOUNT : NOT_IN_PROJECT);
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    struct saga s = {.actor = xstrdup(req->caller.uid)};
    s.plan.kind = SAGA_PROJECT_ROLES;
    s.plan.account_id = account_id;
    s.plan.project_id = project_id;
    st = saga_begin(req->session->sql, &s, &req->problem);
    if (st == ST_OK) {
        st = check_project_change(req, account_id, project_id, &person, wanted,
                                  &s.plan.roles_before);
        if (st != ST_OK)
            saga_release(req->session->sql, &s, st == ST_REFUSED ? "refused" : "not applied");
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory or the database");
        goto out;
    }
    s.plan.person_dn = xstrdup(person.dn);
    s.plan.person_uid = xstrdup(person.uid);
    s.plan.roles_after = wanted;
    s.data = json_pack("{s:s}", "action", wanted ? "project.member.set" : "project.member.remove");
    /* A role given ends a pending invitation of their address to the
     * project (saga_run.c; round-20 walkthrough of seed 003, D1). */
    if (wanted && person.mail)
        json_object_set_new(s.data, "ends_invitation_of", json_string(person.mail));
    st = mail_new_member(req, &s, &person, wanted);
    if (st == ST_OK)
        st = mail_removed_member(req, &s, &person, wanted);
    if (st != ST_OK) {
        saga_release(req->session->sql, &s, st == ST_REFUSED ? "refused" : "not applied");
        res_store_failure(req, st, "the database");
        goto out;
    }
    enum saga_outcome outcome = saga_change_roles(req->session->ldap, req->session->sql, &s, &st);
    if (outcome != SAGA_DONE)
        saga_answer_failure(req, outcome, st);
    else if (status_ok == 204)
        res_empty(req, 204);
    else {
        res_json(req, 200, project_member_json(&person, project_id, wanted));
    }
out:
    saga_free(&s);
    person_free(&person);
}

/* One person of the project with their roles in it, as PUT answers
 * ({uid, name, mail, project_id, roles}), to whoever sees the project's
 * people (GET /projects/{pid}): the Location of a project invitation that
 * added a person at once (round-8 walkthrough of seed 003). A uid nobody
 * has and a person without a role in the project are the same 404 as a
 * DELETE answers; a project whose groups an LDAP administrator deleted is
 * no project. */
void project_members_get(struct request *req)
{
    if (body_none(req))
        return;
    unsigned long long account_id = req->account.id, pid = parse_id(req->args[0]);
    if (!sees_every_project(req) && !caller_project_roles(req, pid)) {
        refuse(req, 404, "not-found", "no such project");
        return;
    }
    const char *uid = req->args[1];
    struct person person = {0};
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    unsigned roles = 0;
    int st = ldap_store_project_groups(req->session->ldap, account_id, pid, &groups, &ngroups);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such project");
        return;
    }
    if (st == ST_OK)
        st = validate_uid(uid) ? ST_NOT_FOUND
                               : ldap_store_find_person(req->session->ldap, "uid", uid, &person);
    if (st == ST_OK) {
        struct member_index ix;
        member_index_build(&ix, groups, ngroups, 0);
        const struct member_entry *e = member_index_find(&ix, person.dn);
        roles = e ? e->roles : 0;
        member_index_free(&ix);
        if (!roles)
            st = ST_NOT_FOUND;
    }
    role_groups_free(groups, ngroups);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", NOT_IN_PROJECT);
    } else if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
    } else {
        res_json(req, 200, project_member_json(&person, pid, roles));
    }
    person_free(&person);
}

void project_members_put(struct request *req)
{
    static const char *const allowed[] = {"role", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *role = body_str(req, b, NULL, "role", 1, MAX_CHARS(16));
    unsigned bit = role ? project_role_bit(role) : 0;
    if (role && !bit)
        res_field_error(req, "role", "must be owner, editor or reader");
    if (body_failed(req))
        return;
    change_member(req, bit, 200);
}

void project_members_delete(struct request *req)
{
    if (body_none(req))
        return;
    change_member(req, 0, 204);
}

/* ---- /me ------------------------------------------------------------ */

json_t *projects_of_caller(struct request *req, int *st)
{
    size_t n = req->caller.nprojects;
    *st = ST_OK;
    if (!n)
        return json_array();
    unsigned long long *ids = xcalloc(n, sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = req->caller.projects[i].project_id;
    json_t *found;
    *st = projects_by_ids(req->session->sql, ids, n, &found);
    free(ids);
    if (*st != ST_OK)
        return NULL;
    /* In the order of the caller's grants, with their roles; a project
     * not found is one being created or removed. */
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof(key), "%llu", req->caller.projects[i].project_id);
        json_t *p = json_object_get(found, key);
        if (!p)
            continue;
        json_t *item = json_copy(p);
        json_object_set_new(item, "roles", project_roles_json(req->caller.projects[i].roles));
        json_array_append_new(items, item);
    }
    json_decref(found);
    return items;
}

/* ---- an account's close ------------------------------------------------ */

/* At most this many of a closing account's projects are read for their
 * people (the lowest ids; docs/api.md, "Closing an account": each is one
 * directory read before the close's transaction). */
#define CLOSE_PROJECTS_READ 200

json_t *projects_closing_people(struct request *req, unsigned long long account_id, int *st)
{
    struct sql_result r;
    *st = projects_names(req->session->sql, account_id, &r);
    if (*st != ST_OK)
        return NULL;
    json_t *out = json_array();
    if (r.nrows == 0) {
        sql_result_free(&r);
        return out;
    }
    /* Who holds an account role reads account-closed already. */
    json_t *members = members_json(req, account_id, st);
    json_t *account_people = json_object(), *index = json_object();
    for (size_t i = 0; members && i < json_array_size(members); i++) {
        const char *uid = json_string_value(json_object_get(json_array_get(members, i), "uid"));
        if (uid)
            json_object_set_new(account_people, uid, json_true());
    }
    json_decref(members);
    for (size_t i = 0; *st == ST_OK && i < r.nrows && i < CLOSE_PROJECTS_READ; i++) {
        struct role_group *groups = NULL;
        size_t ngroups = 0;
        int s = ldap_store_project_groups(req->session->ldap, account_id, sql_cell_id(&r, i, 0),
                                          &groups, &ngroups);
        if (s == ST_NOT_FOUND)
            continue;
        if (s != ST_OK) {
            *st = s;
            break;
        }
        json_t *people = people_items(req, groups, ngroups, 0, roles_bits, st);
        role_groups_free(groups, ngroups);
        for (size_t j = 0; people && j < json_array_size(people); j++) {
            json_t *p = json_array_get(people, j);
            const char *uid = json_string_value(json_object_get(p, "uid"));
            if (!uid || json_object_get(account_people, uid))
                continue;
            json_t *at = json_object_get(index, uid), *person;
            if (at) {
                person = json_array_get(out, (size_t)json_integer_value(at));
            } else {
                json_object_set_new(index, uid, json_integer((json_int_t)json_array_size(out)));
                person = json_pack("{s:s, s:O?, s:O?, s:[]}", "uid", uid, "name",
                                   json_object_get(p, "name"), "mail", json_object_get(p, "mail"),
                                   "projects");
                json_array_append_new(out, person);
            }
            json_array_append_new(json_object_get(person, "projects"),
                                  json_pack("{s:s, s:O}", "name", sql_cell(&r, i, 1), "roles",
                                            json_object_get(p, "roles")));
        }
        json_decref(people);
    }
    sql_result_free(&r);
    json_decref(account_people);
    json_decref(index);
    if (*st != ST_OK) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int projects_mail_account_closed(struct sql_store *sql, struct request *req,
                                 unsigned long long account_id, const json_t *people,
                                 const char *account_name, const char *closed_by,
                                 const char *kept_until)
{
    char id[24];
    snprintf(id, sizeof(id), "%llu", account_id);
    struct buf kept = BUF_INIT;
    if (kept_until)
        buf_printf(&kept,
                   "You can still read them until %s; then they are deleted with the account's "
                   "data.",
                   kept_until);
    else
        buf_adds(&kept, "You can still read them while the account is kept.");
    int st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < json_array_size(people); i++) {
        json_t *p = json_array_get(people, i);
        const char *uid = json_string_value(json_object_get(p, "uid"));
        const char *mail = json_string_value(json_object_get(p, "mail"));
        if (!mail || !*mail || (uid && strcasecmp(uid, req->caller.uid) == 0))
            continue;
        /* project "A" (owner); the projects "A" (owner) and "B" (reader) */
        json_t *projects = json_object_get(p, "projects");
        size_t n = json_array_size(projects);
        struct buf named = BUF_INIT;
        buf_adds(&named, n == 1 ? "project " : "the projects ");
        for (size_t j = 0; j < n; j++) {
            json_t *pr = json_array_get(projects, j);
            char *roles =
                project_roles_text((unsigned)json_integer_value(json_object_get(pr, "roles")));
            buf_printf(&named, "%s\"%s\" (your roles: %s)",
                       j == 0       ? ""
                       : j + 1 == n ? " and "
                                    : ", ",
                       json_string_value(json_object_get(pr, "name")), roles);
            free(roles);
        }
        struct template_value vals[] = {
            {"account_name", account_name}, {"account_id", id},       {"closed_by", closed_by},
            {"projects", buf_str(&named)},  {"kept", buf_str(&kept)},
        };
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add(&names, mail, json_string_value(json_object_get(p, "name")));
        st = outbox_queue_unbudgeted(sql, account_id, "project-account-closed", &mail, 1, &names,
                                     vals, 5);
        mail_names_free(&names);
        buf_free(&named);
    }
    buf_free(&kept);
    return st;
}
