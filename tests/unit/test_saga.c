/* Unit tests: the saga's pure half (plans, decisions, steps, JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_store.h"
#include "saga.h"

static struct saga_plan roles_plan(unsigned before, unsigned after)
{
    struct saga_plan p = {.kind = SAGA_SET_ROLES, .account_id = 7};
    p.person_dn = strdup("uid=a,ou=people,dc=example,dc=org");
    p.person_uid = strdup("a");
    p.roles_before = before;
    p.roles_after = after;
    return p;
}

static void forward_adds_before_removals(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_ADMIN | ROLE_BILLING, ROLE_MEMBER | ROLE_SERVICE_PROVIDER);
    struct saga_step *st;
    size_t n;
    st = saga_forward_steps(&p, &n);
    assert_int_equal(n, 4);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[0].role, ROLE_SERVICE_PROVIDER);
    assert_int_equal(st[1].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[1].role, ROLE_MEMBER);
    assert_int_equal(st[2].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[2].role, ROLE_ADMIN);
    assert_int_equal(st[3].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[3].role, ROLE_BILLING);
    free(st);
    saga_plan_free(&p);
}

static void forward_of_accept_and_create(void **state)
{
    (void)state;
    struct saga_plan p = {
        .kind = SAGA_ACCEPT, .account_id = 3, .create_person = 1, .roles_after = ROLE_ADMIN};
    struct saga_step *st;
    size_t n;
    st = saga_forward_steps(&p, &n);
    assert_int_equal(n, 3);
    assert_int_equal(st[0].op, SAGA_OP_PERSON_ADD);
    assert_int_equal(st[1].op, SAGA_OP_PASSWORD);
    assert_int_equal(st[2].op, SAGA_OP_MEMBER_ADD);
    struct saga_plan c = {.kind = SAGA_CREATE_ACCOUNT, .account_id = 3, .create_account = 1};
    free(st);
    st = saga_forward_steps(&c, &n);
    assert_int_equal(n, 1);
    assert_int_equal(st[0].op, SAGA_OP_ACCOUNT_ADD);
    free(st);
}

static void no_change_no_steps(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_MEMBER, ROLE_MEMBER);
    struct saga_step *st;
    size_t n;
    st = saga_forward_steps(&p, &n);
    assert_int_equal(n, 0);
    free(st);
    struct saga_observed o = {.person_found = 1, .roles_now = ROLE_MEMBER};
    st = saga_undo_steps(&p, &o, &n);
    assert_int_equal(n, 0);
    free(st);
    assert_int_equal(saga_decide(&p, &o), SAGA_FINISH);
    saga_plan_free(&p);
}

/* The half-applied change of issue 7 (a): asked [member,
 * service-provider] from [billing], LDAP left billing + member +
 * service-provider. Not every step is there: undone, back to billing. */
static void half_applied_role_change_is_undone(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_BILLING, ROLE_MEMBER | ROLE_SERVICE_PROVIDER);
    struct saga_observed o = {.person_found = 1,
                              .roles_now = ROLE_BILLING | ROLE_MEMBER | ROLE_SERVICE_PROVIDER};
    assert_int_equal(saga_decide(&p, &o), SAGA_UNDO);
    struct saga_step *st;
    size_t n;
    st = saga_undo_steps(&p, &o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[0].role, ROLE_SERVICE_PROVIDER);
    assert_int_equal(st[1].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[1].role, ROLE_MEMBER);
    free(st);
    saga_plan_free(&p);
}

/* Issue 7 (b): killed between the LDAP write and the COMMIT: every LDAP
 * step is there, only SQL is missing: finished. */
static void complete_role_change_is_finished(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_MEMBER, ROLE_ADMIN);
    struct saga_observed o = {.person_found = 1, .roles_now = ROLE_ADMIN};
    assert_int_equal(saga_decide(&p, &o), SAGA_FINISH);
    /* An undo from half-way re-adds before it removes. */
    struct saga_observed half = {.person_found = 1, .roles_now = ROLE_ADMIN | ROLE_MEMBER};
    assert_int_equal(saga_decide(&p, &half), SAGA_UNDO);
    struct saga_step *st;
    size_t n;
    struct saga_observed none = {.person_found = 1, .roles_now = ROLE_ADMIN};
    struct saga_plan back = roles_plan(ROLE_ADMIN | ROLE_BILLING, ROLE_MEMBER);
    st = saga_undo_steps(&back, &none, &n);
    assert_int_equal(n, 1);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[0].role, ROLE_BILLING);
    free(st);
    saga_plan_free(&p);
    saga_plan_free(&back);
}

static void created_person_without_password_is_never_adopted(void **state)
{
    (void)state;
    struct saga_plan p = {
        .kind = SAGA_ACCEPT, .account_id = 3, .create_person = 1, .roles_after = ROLE_MEMBER};
    struct saga_observed o = {
        .person_found = 1, .person_has_password = 0, .roles_now = ROLE_MEMBER};
    assert_int_equal(saga_decide(&p, &o), SAGA_UNDO);
    struct saga_step *st;
    size_t n;
    st = saga_undo_steps(&p, &o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[1].op, SAGA_OP_PERSON_DEL);
    free(st);
    o.person_has_password = 1;
    assert_int_equal(saga_decide(&p, &o), SAGA_FINISH);
    /* Not found at all: nothing to remove. */
    struct saga_observed gone = {0};
    assert_int_equal(saga_decide(&p, &gone), SAGA_UNDO);
    st = saga_undo_steps(&p, &gone, &n);
    assert_int_equal(n, 0);
    free(st);
}

static void creates_and_contacts_are_always_undone(void **state)
{
    (void)state;
    struct saga_plan c = {.kind = SAGA_CREATE_ACCOUNT, .account_id = 9, .create_account = 1};
    struct saga_observed o = {.person_found = 1, .roles_now = ROLE_ADMIN};
    assert_int_equal(saga_decide(&c, &o), SAGA_UNDO);
    struct saga_step *st;
    size_t n;
    st = saga_undo_steps(&c, &o, &n);
    assert_int_equal(n, 1);
    assert_int_equal(st[0].op, SAGA_OP_ACCOUNT_DEL);
    free(st);
    struct saga_plan k = {.kind = SAGA_CONTACT, .account_id = 9};
    assert_int_equal(saga_decide(&k, &o), SAGA_UNDO);
    struct saga_observed none = {0};
    st = saga_undo_steps(&k, &none, &n);
    assert_int_equal(n, 0);
    free(st);
}

/* A hand-over: the customer becomes admin and the provider's person
 * moves from admin to service-provider in one change. Every add (of
 * anyone) comes before any removal; finished only when both are there. */
static void other_people_in_one_change(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(0, ROLE_ADMIN);
    saga_plan_also(&p, "uid=sp,ou=people,dc=example,dc=org", "sp", ROLE_ADMIN,
                   ROLE_SERVICE_PROVIDER);
    size_t n;
    struct saga_step *st = saga_forward_steps(&p, &n);
    assert_int_equal(n, 3);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[0].who, 0);
    assert_int_equal(st[1].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[1].role, ROLE_SERVICE_PROVIDER);
    assert_int_equal(st[1].who, 1);
    assert_int_equal(st[2].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[2].role, ROLE_ADMIN);
    assert_int_equal(st[2].who, 1);
    free(st);
    unsigned now[1] = {ROLE_ADMIN | ROLE_SERVICE_PROVIDER};
    struct saga_observed o = {.person_found = 1, .roles_now = ROLE_ADMIN, .also_now = now};
    assert_int_equal(saga_decide(&p, &o), SAGA_UNDO);
    st = saga_undo_steps(&p, &o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[0].who, 0);
    assert_int_equal(st[1].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[1].role, ROLE_SERVICE_PROVIDER);
    assert_int_equal(st[1].who, 1);
    free(st);
    now[0] = ROLE_SERVICE_PROVIDER;
    assert_int_equal(saga_decide(&p, &o), SAGA_FINISH);
    json_t *j = saga_plan_json(&p);
    struct saga_plan q;
    assert_int_equal(saga_plan_from_json(j, &q), 0);
    assert_int_equal(q.nalso, 1);
    assert_string_equal(q.also[0].uid, "sp");
    assert_int_equal(q.also[0].before, ROLE_ADMIN);
    assert_int_equal(q.also[0].after, ROLE_SERVICE_PROVIDER);
    json_decref(j);
    saga_plan_free(&q);
    saga_plan_free(&p);
}

static void plan_json_round_trip(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_ADMIN, ROLE_MEMBER | ROLE_BILLING);
    json_t *j = saga_plan_json(&p);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "set-roles");
    struct saga_plan q;
    assert_int_equal(saga_plan_from_json(j, &q), 0);
    assert_int_equal(q.kind, SAGA_SET_ROLES);
    assert_int_equal(q.account_id, 7);
    assert_int_equal(q.roles_before, ROLE_ADMIN);
    assert_int_equal(q.roles_after, ROLE_MEMBER | ROLE_BILLING);
    assert_string_equal(q.person_dn, p.person_dn);
    assert_string_equal(q.person_uid, "a");
    assert_null(q.person_mail);
    json_decref(j);
    saga_plan_free(&q);
    saga_plan_free(&p);
}

/* A project's role change: its roles are the project's (owner, editor,
 * reader) in the plan's JSON, its steps and decisions those of any role
 * change. */
static void project_plan_round_trip_and_steps(void **state)
{
    (void)state;
    struct saga_plan p = {.kind = SAGA_PROJECT_ROLES, .account_id = 7, .project_id = 12};
    p.person_dn = strdup("uid=a,ou=people,dc=example,dc=org");
    p.person_uid = strdup("a");
    p.roles_before = PROJECT_READER;
    p.roles_after = PROJECT_EDITOR;
    json_t *j = saga_plan_json(&p);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "project-roles");
    assert_int_equal(json_integer_value(json_object_get(j, "project_id")), 12);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "roles_before"), 0)),
                        "reader");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "roles_after"), 0)),
                        "editor");
    struct saga_plan q;
    assert_int_equal(saga_plan_from_json(j, &q), 0);
    assert_int_equal(q.kind, SAGA_PROJECT_ROLES);
    assert_int_equal(q.project_id, 12);
    assert_int_equal(q.roles_before, PROJECT_READER);
    assert_int_equal(q.roles_after, PROJECT_EDITOR);
    json_decref(j);
    /* An account's plan carries no project. */
    struct saga_plan r = roles_plan(ROLE_ADMIN, ROLE_MEMBER);
    j = saga_plan_json(&r);
    assert_null(json_object_get(j, "project_id"));
    json_decref(j);
    /* Forward: the editor group first, then out of the reader group. */
    size_t n;
    struct saga_step *st = saga_forward_steps(&q, &n);
    assert_int_equal(n, 2);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[0].role, PROJECT_EDITOR);
    assert_int_equal(st[1].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[1].role, PROJECT_READER);
    free(st);
    /* Killed after the add: in both groups, undone to reader only. */
    struct saga_observed o = {.person_found = 1, .roles_now = PROJECT_READER | PROJECT_EDITOR};
    assert_int_equal(saga_decide(&q, &o), SAGA_UNDO);
    st = saga_undo_steps(&q, &o, &n);
    assert_int_equal(n, 1);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[0].role, PROJECT_EDITOR);
    free(st);
    o.roles_now = PROJECT_EDITOR;
    assert_int_equal(saga_decide(&q, &o), SAGA_FINISH);
    saga_plan_free(&q);
    saga_plan_free(&r);
    saga_plan_free(&p);
}

/* The accept of a project invitation: a new person and a project role;
 * its plan keeps the project, and a crash before the password is undone
 * (the person and the group value go). */
static void project_accept_plan(void **state)
{
    (void)state;
    struct saga_plan p = {.kind = SAGA_ACCEPT, .account_id = 7, .project_id = 12};
    p.create_person = 1;
    p.person_mail = strdup("new@example.org");
    p.person_dn = strdup("uid=new,ou=people,dc=example,dc=org");
    p.person_uid = strdup("new");
    p.roles_after = PROJECT_READER;
    json_t *j = saga_plan_json(&p);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "roles_after"), 0)),
                        "reader");
    struct saga_plan q;
    assert_int_equal(saga_plan_from_json(j, &q), 0);
    json_decref(j);
    assert_int_equal(q.kind, SAGA_ACCEPT);
    assert_int_equal(q.project_id, 12);
    assert_int_equal(q.roles_after, PROJECT_READER);
    size_t n;
    struct saga_step *st = saga_forward_steps(&q, &n);
    assert_int_equal(n, 3);
    assert_int_equal(st[2].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[2].role, PROJECT_READER);
    free(st);
    struct saga_observed o = {.person_found = 1, .roles_now = PROJECT_READER};
    assert_int_equal(saga_decide(&q, &o), SAGA_UNDO);
    st = saga_undo_steps(&q, &o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[1].op, SAGA_OP_PERSON_DEL);
    free(st);
    o.person_has_password = 1;
    assert_int_equal(saga_decide(&q, &o), SAGA_FINISH);
    saga_plan_free(&q);
    saga_plan_free(&p);
}

/* A removal from the account takes the person's project roles in the
 * same change (round-18 walkthrough of seed 003, D1): the project roles
 * go before the account's, the plan keeps them, and the repair job
 * finishes only when the person is out of every project too. */
static void removal_takes_project_roles(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_MEMBER, 0);
    saga_plan_project(&p, 12, PROJECT_OWNER | PROJECT_READER);
    saga_plan_project(&p, 13, PROJECT_EDITOR);
    size_t n;
    struct saga_step *st = saga_forward_steps(&p, &n);
    assert_int_equal(n, 4);
    assert_int_equal(st[0].op, SAGA_OP_PROJECT_DEL);
    assert_int_equal(st[0].role, PROJECT_OWNER);
    assert_int_equal(st[0].who, 0);
    assert_int_equal(st[1].op, SAGA_OP_PROJECT_DEL);
    assert_int_equal(st[1].role, PROJECT_READER);
    assert_int_equal(st[2].op, SAGA_OP_PROJECT_DEL);
    assert_int_equal(st[2].role, PROJECT_EDITOR);
    assert_int_equal(st[2].who, 1);
    assert_int_equal(st[3].op, SAGA_OP_MEMBER_DEL);
    assert_int_equal(st[3].role, ROLE_MEMBER);
    free(st);
    json_t *j = saga_plan_json(&p);
    json_t *projects = json_object_get(j, "projects");
    assert_int_equal(json_array_size(projects), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(projects, 1), "project_id")),
                     13);
    struct saga_plan q;
    assert_int_equal(saga_plan_from_json(j, &q), 0);
    json_decref(j);
    assert_int_equal(q.nprojects, 2);
    assert_int_equal(q.projects[0].id, 12);
    assert_int_equal(q.projects[0].before, PROJECT_OWNER | PROJECT_READER);
    assert_int_equal(q.projects[1].before, PROJECT_EDITOR);
    /* Killed half-way: out of the account and project 12, still an
     * editor of 13: undone, every role back. */
    unsigned now[2] = {0, PROJECT_EDITOR};
    struct saga_observed o = {.person_found = 1, .roles_now = 0, .projects_now = now};
    assert_int_equal(saga_decide(&q, &o), SAGA_UNDO);
    st = saga_undo_steps(&q, &o, &n);
    assert_int_equal(n, 3);
    assert_int_equal(st[0].op, SAGA_OP_MEMBER_ADD);
    assert_int_equal(st[1].op, SAGA_OP_PROJECT_ADD);
    assert_int_equal(st[1].role, PROJECT_OWNER);
    assert_int_equal(st[1].who, 0);
    assert_int_equal(st[2].op, SAGA_OP_PROJECT_ADD);
    assert_int_equal(st[2].role, PROJECT_READER);
    free(st);
    /* Every step there: finished; not read: undone. */
    now[1] = 0;
    assert_int_equal(saga_decide(&q, &o), SAGA_FINISH);
    o.projects_now = NULL;
    assert_int_equal(saga_decide(&q, &o), SAGA_UNDO);
    /* A plan without projects reads as before (no "projects"). */
    struct saga_plan r = roles_plan(ROLE_MEMBER, 0);
    j = saga_plan_json(&r);
    assert_null(json_object_get(j, "projects"));
    json_decref(j);
    saga_plan_free(&r);
    saga_plan_free(&q);
    saga_plan_free(&p);
}

/* The take-over (round-22 walkthrough of seed 001, D1): the parent's
 * admin who takes the last admin's place becomes owner of the projects
 * the person alone owned, in the same change: the taker's add goes
 * before the person's project roles go; the plan keeps it; the repair
 * job finishes only when the taker is there too, and its undo takes the
 * taker's new role away again. */
static void take_over_takes_sole_projects(void **state)
{
    (void)state;
    struct saga_plan p = roles_plan(ROLE_ADMIN, 0);
    saga_plan_project(&p, 6, PROJECT_OWNER);
    saga_plan_project(&p, 7, PROJECT_READER);
    saga_plan_take_project(&p, 0, "uid=anna,ou=people,dc=x", PROJECT_READER,
                           PROJECT_READER | PROJECT_OWNER);
    size_t n;
    struct saga_step *st = saga_forward_steps(&p, &n);
    assert_int_equal(n, 4);
    assert_int_equal(st[0].op, SAGA_OP_TAKER_ADD);
    assert_int_equal(st[0].role, PROJECT_OWNER);
    assert_int_equal(st[0].who, 0);
    assert_int_equal(st[1].op, SAGA_OP_PROJECT_DEL);
    assert_int_equal(st[2].op, SAGA_OP_PROJECT_DEL);
    assert_int_equal(st[3].op, SAGA_OP_MEMBER_DEL);
    free(st);
    json_t *j = saga_plan_json(&p);
    struct saga_plan q;
    assert_int_equal(saga_plan_from_json(j, &q), 0);
    json_decref(j);
    assert_string_equal(q.taker_dn, "uid=anna,ou=people,dc=x");
    assert_int_equal(q.projects[0].taker_before, PROJECT_READER);
    assert_int_equal(q.projects[0].taker_after, PROJECT_READER | PROJECT_OWNER);
    assert_int_equal(q.projects[1].taker_before, q.projects[1].taker_after);
    /* The person is out everywhere, but the taker is no owner yet: undone,
     * the taker's roles as before. */
    unsigned now[2] = {0, 0};
    unsigned takers[2] = {PROJECT_READER, 0};
    struct saga_observed o = {
        .person_found = 1, .roles_now = 0, .projects_now = now, .takers_now = takers};
    assert_int_equal(saga_decide(&q, &o), SAGA_UNDO);
    takers[0] = PROJECT_READER | PROJECT_OWNER;
    assert_int_equal(saga_decide(&q, &o), SAGA_FINISH);
    st = saga_undo_steps(&q, &o, &n);
    int taker_del = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i].op == SAGA_OP_TAKER_DEL && st[i].role == PROJECT_OWNER && st[i].who == 0)
            taker_del = 1;
    assert_true(taker_del);
    free(st);
    o.takers_now = NULL;
    assert_int_equal(saga_decide(&q, &o), SAGA_UNDO);
    saga_plan_free(&q);
    saga_plan_free(&p);
}

static void bad_plans_are_refused(void **state)
{
    (void)state;
    struct saga_plan q;
    const char *bad[] = {
        "{}",
        "{\"kind\":\"set-roles\",\"account_id\":0,\"roles_before\":[],\"roles_after\":[]}",
        "{\"kind\":\"nope\",\"account_id\":1,\"roles_before\":[],\"roles_after\":[]}",
        "{\"kind\":\"set-roles\",\"account_id\":1,\"roles_before\":[\"owner\"],\"roles_after\":[]}",
        "{\"kind\":\"accept\",\"account_id\":1,\"create_person\":true,\"roles_before\":[],"
        "\"roles_after\":[\"member\"]}",
        "[1]",
        /* a project's roles without their project, or an account's role in one */
        "{\"kind\":\"project-roles\",\"account_id\":1,\"roles_before\":[],\"roles_after\":"
        "[\"owner\"]}",
        "{\"kind\":\"project-roles\",\"account_id\":1,\"project_id\":0,\"roles_before\":[],"
        "\"roles_after\":[\"owner\"]}",
        "{\"kind\":\"project-roles\",\"account_id\":1,\"project_id\":5,\"roles_before\":[],"
        "\"roles_after\":[\"admin\"]}",
        "{\"kind\":\"set-roles\",\"account_id\":1,\"project_id\":5,\"roles_before\":[],"
        "\"roles_after\":[\"admin\"]}",
        /* only a project's roles and a project invitation's accept */
        "{\"kind\":\"add-member\",\"account_id\":1,\"project_id\":5,\"roles_before\":[],"
        "\"roles_after\":[\"owner\"]}",
        /* project roles taken with an account change: set-roles only,
         * with a project and project roles */
        "{\"kind\":\"project-roles\",\"account_id\":1,\"project_id\":5,\"roles_before\":[],"
        "\"roles_after\":[],\"projects\":[{\"project_id\":6,\"roles_before\":[\"owner\"]}]}",
        "{\"kind\":\"set-roles\",\"account_id\":1,\"roles_before\":[],\"roles_after\":[],"
        "\"projects\":[{\"project_id\":0,\"roles_before\":[\"owner\"]}]}",
        "{\"kind\":\"set-roles\",\"account_id\":1,\"roles_before\":[],\"roles_after\":[],"
        "\"projects\":[{\"project_id\":6,\"roles_before\":[\"admin\"]}]}",
        "{\"kind\":\"set-roles\",\"account_id\":1,\"roles_before\":[],\"roles_after\":[],"
        "\"projects\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        assert_int_equal(saga_plan_from_json(j, &q), -1);
        assert_int_equal(q.kind, 0);
        assert_null(q.person_dn);
        json_decref(j);
    }
}

static void kinds_and_marker(void **state)
{
    (void)state;
    for (int k = SAGA_SET_ROLES; k <= SAGA_PROJECT_ROLES; k++)
        assert_int_equal(saga_kind_from_name(saga_kind_name((enum saga_kind)k)), k);
    assert_int_equal(saga_kind_from_name("drop"), 0);
    assert_int_equal(saga_kind_from_name(NULL), 0);
    char *m = saga_person_marker(42);
    assert_string_equal(m, "accountd intent 42");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_adds_before_removals),
        cmocka_unit_test(forward_of_accept_and_create),
        cmocka_unit_test(no_change_no_steps),
        cmocka_unit_test(half_applied_role_change_is_undone),
        cmocka_unit_test(complete_role_change_is_finished),
        cmocka_unit_test(created_person_without_password_is_never_adopted),
        cmocka_unit_test(creates_and_contacts_are_always_undone),
        cmocka_unit_test(other_people_in_one_change),
        cmocka_unit_test(plan_json_round_trip),
        cmocka_unit_test(project_plan_round_trip_and_steps),
        cmocka_unit_test(project_accept_plan),
        cmocka_unit_test(removal_takes_project_roles),
        cmocka_unit_test(take_over_takes_sole_projects),
        cmocka_unit_test(bad_plans_are_refused),
        cmocka_unit_test(kinds_and_marker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
