/*
 * saga: the pure half (plans, decisions, steps, JSON). The half that
 * drives LDAP and MariaDB is saga_run.c.
 */
#include "saga.h"

#include "buf.h"
#include "caller.h"
#include "ldap_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    NULL, "set-roles", "add-member", "accept", "create-account", "contact", "project-roles"};

const char *saga_kind_name(enum saga_kind kind)
{
    if (kind < SAGA_SET_ROLES || kind > SAGA_PROJECT_ROLES)
        return "unknown";
    return kind_names[kind];
}

enum saga_kind saga_kind_from_name(const char *name)
{
    for (int k = SAGA_SET_ROLES; name && k <= SAGA_PROJECT_ROLES; k++)
        if (strcmp(kind_names[k], name) == 0)
            return (enum saga_kind)k;
    return 0;
}

void saga_plan_free(struct saga_plan *p)
{
    free(p->admin_dn);
    free(p->person_dn);
    free(p->person_uid);
    free(p->person_mail);
    for (size_t i = 0; i < p->nalso; i++) {
        free(p->also[i].dn);
        free(p->also[i].uid);
    }
    free(p->also);
    free(p->projects);
    free(p->taker_dn);
    memset(p, 0, sizeof(*p));
}

void saga_plan_also(struct saga_plan *p, const char *dn, const char *uid, unsigned before,
                    unsigned after)
{
    struct saga_member *grown = realloc(p->also, (p->nalso + 1) * sizeof(*grown));
    if (!grown)
        abort();
    p->also = grown;
    p->also[p->nalso++] =
        (struct saga_member){xstrdup(dn), uid ? xstrdup(uid) : NULL, before, after};
}

void saga_plan_project(struct saga_plan *p, unsigned long long project_id, unsigned before)
{
    struct saga_project *grown = realloc(p->projects, (p->nprojects + 1) * sizeof(*grown));
    if (!grown)
        abort();
    p->projects = grown;
    p->projects[p->nprojects++] = (struct saga_project){project_id, before, 0, 0};
}

void saga_plan_take_project(struct saga_plan *p, size_t which, const char *taker_dn,
                            unsigned before, unsigned after)
{
    if (which >= p->nprojects || !taker_dn)
        return;
    if (!p->taker_dn)
        p->taker_dn = xstrdup(taker_dn);
    p->projects[which].taker_before = before;
    p->projects[which].taker_after = after;
}

enum saga_decision saga_decide(const struct saga_plan *p, const struct saga_observed *o)
{
    if (p->kind == SAGA_CREATE_ACCOUNT || p->kind == SAGA_CONTACT)
        return SAGA_UNDO;
    if (!o->person_found)
        return SAGA_UNDO;
    if (p->create_person && !o->person_has_password)
        return SAGA_UNDO;
    for (size_t i = 0; i < p->nalso; i++)
        if (!o->also_now || o->also_now[i] != p->also[i].after)
            return SAGA_UNDO;
    /* Out of every project of the plan (a project deleted since reads
     * as none). */
    for (size_t i = 0; i < p->nprojects; i++)
        if (!o->projects_now || o->projects_now[i])
            return SAGA_UNDO;
    /* ... and the taker in the projects they take over (round-22
     * walkthrough of seed 001, D1). */
    for (size_t i = 0; p->taker_dn && i < p->nprojects; i++)
        if (p->projects[i].taker_after != p->projects[i].taker_before &&
            (!o->takers_now || o->takers_now[i] != p->projects[i].taker_after))
            return SAGA_UNDO;
    return o->roles_now == p->roles_after ? SAGA_FINISH : SAGA_UNDO;
}

/* The most steps a plan can need. */
static size_t max_steps(const struct saga_plan *p)
{
    return 4 + 2 * ROLE_COUNT * (1 + p->nalso) + 4 * PROJECT_ROLE_COUNT * p->nprojects;
}

struct saga_step saga_role_step(enum saga_role_of of, int add, unsigned role, size_t who)
{
    enum saga_op op = of == SAGA_ROLES_TAKER     ? (add ? SAGA_OP_TAKER_ADD : SAGA_OP_TAKER_DEL)
                      : of == SAGA_ROLES_PROJECT ? (add ? SAGA_OP_PROJECT_ADD : SAGA_OP_PROJECT_DEL)
                                                 : (add ? SAGA_OP_MEMBER_ADD : SAGA_OP_MEMBER_DEL);
    return (struct saga_step){op, role, who};
}

/* Appends the adds (add = 1) or removals that turn roles `have` into
 * `want` for `of`'s person `who` (ROLE_* bits in the account, PROJECT_*
 * bits in project `who` of plan.projects): saga_role_step. */
static size_t role_steps(enum saga_role_of of, int add, unsigned want, unsigned have, size_t who,
                         struct saga_step *out, size_t n)
{
    unsigned count = of == SAGA_ROLES_MEMBER ? ROLE_COUNT : PROJECT_ROLE_COUNT;
    for (unsigned b = 0; b < count; b++) {
        unsigned bit = 1u << b;
        if (add ? (want & bit) && !(have & bit) : !(want & bit) && (have & bit))
            out[n++] = saga_role_step(of, add, bit, who);
    }
    return n;
}

struct saga_step *saga_forward_steps(const struct saga_plan *p, size_t *count)
{
    struct saga_step *out = xcalloc(max_steps(p), sizeof(*out));
    size_t n = 0;
    if (p->create_account)
        out[n++] = (struct saga_step){SAGA_OP_ACCOUNT_ADD, 0, 0};
    if (p->create_person) {
        out[n++] = (struct saga_step){SAGA_OP_PERSON_ADD, 0, 0};
        out[n++] = (struct saga_step){SAGA_OP_PASSWORD, 0, 0};
    }
    for (int add = 1; add >= 0; add--) {
        /* The taker becomes owner before the person's project roles go,
         * so that a project is never without its owner. */
        for (size_t i = 0; p->taker_dn && i < p->nprojects; i++)
            n = role_steps(SAGA_ROLES_TAKER, add, p->projects[i].taker_after,
                           p->projects[i].taker_before, i, out, n);
        /* The project roles go before the account's: a step that fails
         * leaves the person in the account, which undo keeps simple. */
        for (size_t i = 0; !add && i < p->nprojects; i++)
            n = role_steps(SAGA_ROLES_PROJECT, 0, 0, p->projects[i].before, i, out, n);
        n = role_steps(SAGA_ROLES_MEMBER, add, p->roles_after, p->roles_before, 0, out, n);
        for (size_t i = 0; i < p->nalso; i++)
            n = role_steps(SAGA_ROLES_MEMBER, add, p->also[i].after, p->also[i].before, i + 1, out,
                           n);
    }
    *count = n;
    return out;
}

struct saga_step *saga_undo_steps(const struct saga_plan *p, const struct saga_observed *o,
                                  size_t *count)
{
    struct saga_step *out = xcalloc(max_steps(p), sizeof(*out));
    size_t n = 0;
    if (!p->create_account) {
        for (int add = 1; add >= 0; add--) {
            if (o->person_found)
                n = role_steps(SAGA_ROLES_MEMBER, add, p->create_person ? 0 : p->roles_before,
                               o->roles_now, 0, out, n);
            for (size_t i = 0; o->also_now && i < p->nalso; i++)
                n = role_steps(SAGA_ROLES_MEMBER, add, p->also[i].before, o->also_now[i], i + 1,
                               out, n);
            for (size_t i = 0; o->person_found && o->projects_now && i < p->nprojects; i++)
                n = role_steps(SAGA_ROLES_PROJECT, add, p->projects[i].before, o->projects_now[i],
                               i, out, n);
            for (size_t i = 0; p->taker_dn && o->takers_now && i < p->nprojects; i++)
                if (p->projects[i].taker_after != p->projects[i].taker_before)
                    n = role_steps(SAGA_ROLES_TAKER, add, p->projects[i].taker_before,
                                   o->takers_now[i], i, out, n);
        }
    }
    if (p->create_person && o->person_found)
        out[n++] = (struct saga_step){SAGA_OP_PERSON_DEL, 0, 0};
    if (p->create_account)
        out[n++] = (struct saga_step){SAGA_OP_ACCOUNT_DEL, 0, 0};
    *count = n;
    return out;
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Role names: an account's, or a project's for a PROJECT_ROLES plan. */
json_t *saga_plan_roles_json(const struct saga_plan *p, unsigned roles)
{
    return p->project_id ? project_roles_json(roles) : roles_json(roles);
}

json_t *saga_plan_json(const struct saga_plan *p)
{
    json_t *also = json_array();
    for (size_t i = 0; i < p->nalso; i++)
        json_array_append_new(also,
                              json_pack("{s:s, s:o, s:o, s:o}", "dn", p->also[i].dn, "uid",
                                        str_or_null(p->also[i].uid), "roles_before",
                                        saga_plan_roles_json(p, p->also[i].before), "roles_after",
                                        saga_plan_roles_json(p, p->also[i].after)));
    json_t *j = json_pack(
        "{s:s, s:I, s:b, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "kind", saga_kind_name(p->kind),
        "account_id", (json_int_t)p->account_id, "create_account", p->create_account, "admin_dn",
        str_or_null(p->admin_dn), "create_person", p->create_person, "person_dn",
        str_or_null(p->person_dn), "person_uid", str_or_null(p->person_uid), "person_mail",
        str_or_null(p->person_mail), "roles_before", saga_plan_roles_json(p, p->roles_before),
        "roles_after", saga_plan_roles_json(p, p->roles_after));
    json_object_set_new(j, "also", also);
    /* Only when there are any: a plan without reads as before. */
    if (p->nprojects) {
        json_t *projects = json_array();
        for (size_t i = 0; i < p->nprojects; i++) {
            json_t *pj = json_pack("{s:I, s:o}", "project_id", (json_int_t)p->projects[i].id,
                                   "roles_before", project_roles_json(p->projects[i].before));
            if (p->taker_dn) {
                json_object_set_new(pj, "taker_before",
                                    project_roles_json(p->projects[i].taker_before));
                json_object_set_new(pj, "taker_after",
                                    project_roles_json(p->projects[i].taker_after));
            }
            json_array_append_new(projects, pj);
        }
        json_object_set_new(j, "projects", projects);
        if (p->taker_dn)
            json_object_set_new(j, "taker_dn", json_string(p->taker_dn));
    }
    if (p->project_id)
        json_object_set_new(j, "project_id", json_integer((json_int_t)p->project_id));
    return j;
}

static char *dup_str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? xstrdup(s) : NULL;
}

int roles_from_json(int in_project, const json_t *a, unsigned *out)
{
    *out = 0;
    if (!json_is_array(a))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *name = json_string_value(v);
        unsigned bit = !name ? 0 : in_project ? project_role_bit(name) : role_bit(name);
        if (!bit)
            return -1;
        *out |= bit;
    }
    return 0;
}

int saga_plan_from_json(const json_t *j, struct saga_plan *p)
{
    memset(p, 0, sizeof(*p));
    json_t *id = json_object_get(j, "account_id");
    json_t *project = json_object_get(j, "project_id");
    p->kind = saga_kind_from_name(json_string_value(json_object_get(j, "kind")));
    /* A project's roles need its project; only a project's roles and the
     * accept of a project invitation have one. */
    if (project && (!json_is_integer(project) || json_integer_value(project) <= 0))
        p->kind = 0;
    p->project_id = p->kind ? (unsigned long long)json_integer_value(project) : 0;
    if (p->kind == SAGA_PROJECT_ROLES ? !p->project_id : p->project_id && p->kind != SAGA_ACCEPT)
        p->kind = 0;
    /* The plan's roles are a project's when it has one. */
    int in_project = p->project_id != 0;
    if (!json_is_object(j) || !p->kind || !json_is_integer(id) || json_integer_value(id) <= 0 ||
        roles_from_json(in_project, json_object_get(j, "roles_before"), &p->roles_before) < 0 ||
        roles_from_json(in_project, json_object_get(j, "roles_after"), &p->roles_after) < 0) {
        memset(p, 0, sizeof(*p));
        return -1;
    }
    p->account_id = (unsigned long long)json_integer_value(id);
    p->create_account = json_is_true(json_object_get(j, "create_account"));
    p->create_person = json_is_true(json_object_get(j, "create_person"));
    p->admin_dn = dup_str(j, "admin_dn");
    p->person_dn = dup_str(j, "person_dn");
    p->person_uid = dup_str(j, "person_uid");
    p->person_mail = dup_str(j, "person_mail");
    if ((p->create_person && !p->person_mail) || (p->create_account && !p->admin_dn)) {
        saga_plan_free(p);
        return -1;
    }
    json_t *also = json_object_get(j, "also");
    size_t i;
    json_t *m;
    json_array_foreach(also, i, m)
    {
        const char *dn = json_string_value(json_object_get(m, "dn"));
        unsigned before, after;
        if (!dn || roles_from_json(in_project, json_object_get(m, "roles_before"), &before) < 0 ||
            roles_from_json(in_project, json_object_get(m, "roles_after"), &after) < 0) {
            saga_plan_free(p);
            return -1;
        }
        saga_plan_also(p, dn, json_string_value(json_object_get(m, "uid")), before, after);
    }
    /* The person's project roles taken with a SET_ROLES change. */
    json_t *projects = json_object_get(j, "projects");
    if (projects && (!json_is_array(projects) || p->kind != SAGA_SET_ROLES)) {
        saga_plan_free(p);
        return -1;
    }
    json_array_foreach(projects, i, m)
    {
        json_t *pid = json_object_get(m, "project_id");
        unsigned before;
        if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
            roles_from_json(1, json_object_get(m, "roles_before"), &before) < 0) {
            saga_plan_free(p);
            return -1;
        }
        saga_plan_project(p, (unsigned long long)json_integer_value(pid), before);
        /* The take-over's taker there (round-22 walkthrough of seed 001,
         * D1); a plan recorded before has none. */
        const char *taker = json_string_value(json_object_get(j, "taker_dn"));
        unsigned tb = 0, ta = 0;
        if (taker && (roles_from_json(1, json_object_get(m, "taker_before"), &tb) < 0 ||
                      roles_from_json(1, json_object_get(m, "taker_after"), &ta) < 0)) {
            saga_plan_free(p);
            return -1;
        }
        if (taker)
            saga_plan_take_project(p, p->nprojects - 1, taker, tb, ta);
    }
    return 0;
}

char *saga_person_marker(unsigned long long intent_id)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "accountd intent %llu", intent_id);
    return buf_detach(&b);
}
