/*
 * saga: one change, two stores (docs/operations.md, "One change, two
 * stores").
 *
 * A change that writes LDAP (a role change in an account or a project,
 * adding a known person, an invitation accept, an account create) is first
 * recorded in MariaDB as an
 * intent (intent_store.h) holding a struct saga_plan: the account, the
 * person, their roles before and after, whether the change creates the
 * person or the account's entries. Only then is LDAP written, with no SQL
 * transaction open; a short transaction then records the change (audit
 * row, mail, invitation) and closes the intent. When a step fails the
 * request undoes what the plan says it may have done (roles back to
 * `roles_before`, the person or the account's entries removed) and closes
 * the intent as undone; when even that cannot be done, or MariaDB's answer
 * was lost, the intent stays open and `accountd maint` decides: it reads
 * LDAP (struct saga_observed), finishes the change if every LDAP step is
 * there, undoes it otherwise, and writes the outcome to the audit trail.
 *
 * Compensations never rely on "this call changed it": a reply lost on the
 * way and a retry that finds the value there already say nothing about
 * who wrote it. They restore the state recorded in the plan, which was
 * read while the account's guard (accounts.intent_id) kept every other
 * change of that account out. A person created by an intent carries the
 * intent's marker (saga_person_marker) in `description`, so a retried add
 * knows its own entry from someone else's.
 *
 * The first half of this file is pure (plans, decisions, steps, JSON;
 * tests/unit/test_saga.c); the second half drives LDAP and MariaDB.
 *
 * A handler makes a change like members.c's change_roles:
 *
 *   struct saga s = {.actor = xstrdup(req->caller.uid)};
 *   s.plan.kind = SAGA_SET_ROLES;  s.plan.account_id = id;
 *   st = saga_begin(sql, &s, &ref);          // guard + intent, or 404/409
 *   ... read LDAP, check the rules; refused: saga_release(sql, &s, "refused")
 *   s.plan.person_dn = ...; s.plan.roles_before = ...; s.plan.roles_after = ...;
 *   saga_plan_also(&s.plan, dn, uid, before, after);   // more people, if any
 *   s.data = json_pack(...);                 // what saga_finish_sql needs
 *   outcome = saga_change_roles(ls, sql, &s, &st);  // plan, LDAP, commit (or undo)
 *   // or, with an SQL side of its own (fn ends with saga_close_tx):
 *   st = saga_record_plan(sql, &s);          // failed: saga_release, 503
 *   st = saga_apply_roles(ls, &s);           // failed: saga_undo -> NOT_APPLIED/UNKNOWN
 *   outcome = saga_commit(ls, sql, &s, fn, arg, &st);
 *   outcome != SAGA_DONE: saga_answer_failure(req, outcome, st);
 *   saga_free(&s);
 *
 * A new kind of change adds its name (saga_kind_name), and its SQL side
 * either in saga_finish_sql (so that the repair job can finish it too) or
 * in its own fn (then the repair job always undoes it).
 */
#ifndef ACCOUNTD_SAGA_H
#define ACCOUNTD_SAGA_H

#include "http.h"
#include "result.h"

#include <jansson.h>
#include <stddef.h>

struct ldap_store;
struct sql_store;

enum saga_kind {
    SAGA_SET_ROLES = 1,  /* PUT/DELETE members: roles_before -> roles_after */
    SAGA_ADD_MEMBER,     /* a person LDAP knows gets one role */
    SAGA_ACCEPT,         /* an invitation accept: maybe a new person, one role */
    SAGA_CREATE_ACCOUNT, /* ou=<id> and its role groups, the creator as admin */
    SAGA_CONTACT,        /* a contact change: no LDAP write, the guard only */
    SAGA_PROJECT_ROLES,  /* PUT/DELETE project members: roles in plan.project_id's groups */
};

/* The name stored in ldap_intents.kind ("set-roles", ...), and back (0 if
 * unknown). */
const char *saga_kind_name(enum saga_kind kind);
enum saga_kind saga_kind_from_name(const char *name);

/* Another person whose roles the same change sets: the hand-over of a
 * staged account moves the provider's people from admin to
 * service-provider in the change that makes the customer admin. */
struct saga_member {
    char *dn, *uid;
    unsigned before, after; /* ROLE_* bits in the account (PROJECT_* in a project) */
};

/* A project of the account whose roles the plan's person loses in the
 * same change: a SET_ROLES plan that takes the person out of the account
 * (DELETE …/members/{uid}, a service provider's revocation or expiry that
 * leaves them no role) takes them out of its projects too, in the one
 * change (docs/api.md, Projects). `before` their PROJECT_* bits there;
 * none after it. */
struct saga_project {
    unsigned long long id;
    unsigned before;
    /* The take-over (round-22 walkthrough of seed 001, D1): plan.taker_dn,
     * who takes the person's place as the account's last admin, also
     * takes it as this project's owner where the person was its only
     * one: their PROJECT_* bits here before and after (equal: no change). */
    unsigned taker_before, taker_after;
};

struct saga_plan {
    enum saga_kind kind;
    unsigned long long account_id;
    /* PROJECT_ROLES, and the ACCEPT of a project invitation: the project
     * whose role groups (owner, editor, reader) the roles are;
     * roles_before/after are then PROJECT_* bits. */
    unsigned long long project_id;
    int create_account; /* ou=<id> and its four role groups */
    char *admin_dn;     /* create_account: the first admin */
    int create_person;  /* the person is created by this intent */
    char *person_dn;    /* whose roles change (NULL until known) */
    char *person_uid;
    char *person_mail;                  /* create_person: the new person's mail */
    unsigned roles_before, roles_after; /* ROLE_* bits of person_dn (PROJECT_*: see project_id) */
    struct saga_member *also;           /* more people's role changes */
    size_t nalso;
    struct saga_project *projects; /* SET_ROLES: the person's project roles taken with it */
    size_t nprojects;
    char *taker_dn; /* SET_ROLES take-over: whose roles projects[i].taker_* are (NULL: nobody) */
};
void saga_plan_free(struct saga_plan *p);
/* Appends a role change of another person (dn, uid copied). */
void saga_plan_also(struct saga_plan *p, const char *dn, const char *uid, unsigned before,
                    unsigned after);
/* Appends a project whose roles (before: PROJECT_* bits) the plan's
 * person loses with the change. */
void saga_plan_project(struct saga_plan *p, unsigned long long project_id, unsigned before);
/* The take-over of project `which` of plan.projects: taker_dn (copied
 * into the plan; one taker per plan) goes from roles `before` to `after`
 * there (PROJECT_* bits) in the same change. */
void saga_plan_take_project(struct saga_plan *p, size_t which, const char *taker_dn,
                            unsigned before, unsigned after);

/* What the repair job found in LDAP. */
struct saga_observed {
    int person_found;             /* person_dn exists (created: carries the marker) */
    int person_has_password;      /* it has a userPassword */
    unsigned roles_now;           /* its roles in the account */
    const unsigned *also_now;     /* the roles of plan->also[i] now (nalso entries) */
    const unsigned *projects_now; /* the person's roles in plan->projects[i] now */
    const unsigned *takers_now;   /* plan->taker_dn's roles in plan->projects[i] now */
};

enum saga_decision { SAGA_FINISH = 1, SAGA_UNDO };

/* Finish when every LDAP step of the plan is there (only the SQL side is
 * missing; the person out of the plan's projects too), undo otherwise.
 * Account creates and contact changes are always undone (the client never
 * got a 201 or 200); a created person without a password is never
 * adopted. */
enum saga_decision saga_decide(const struct saga_plan *p, const struct saga_observed *o);

enum saga_op {
    SAGA_OP_ACCOUNT_ADD = 1,
    SAGA_OP_PERSON_ADD,
    SAGA_OP_PASSWORD,
    SAGA_OP_MEMBER_ADD,
    SAGA_OP_MEMBER_DEL,
    SAGA_OP_PERSON_DEL,
    SAGA_OP_ACCOUNT_DEL,
    SAGA_OP_PROJECT_ADD, /* the plan's person back into a project role group */
    SAGA_OP_PROJECT_DEL, /* the plan's person out of a project role group */
    SAGA_OP_TAKER_ADD,   /* plan.taker_dn into a project role group (the take-over) */
    SAGA_OP_TAKER_DEL,   /* plan.taker_dn out of one (its undo) */
};
struct saga_step {
    enum saga_op op;
    unsigned role; /* MEMBER_*: one ROLE_* bit; PROJECT_*: one PROJECT_* bit */
    size_t who;    /* MEMBER_*: 0 the plan's person, i its also[i - 1];
                      PROJECT_*, TAKER_*: the index into plan.projects */
};

/* Whose role bits a role step changes, and where. */
enum saga_role_of {
    SAGA_ROLES_MEMBER,  /* person `who` (0 or also[who - 1]) in the account: ROLE_* */
    SAGA_ROLES_PROJECT, /* the plan's person in plan.projects[who]: PROJECT_* */
    SAGA_ROLES_TAKER,   /* plan.taker_dn in plan.projects[who]: PROJECT_* */
};

/* The step that gives (add 1) or takes away role bit `role` of `of`'s
 * person `who`: MEMBER_*, PROJECT_* or TAKER_*. */
struct saga_step saga_role_step(enum saga_role_of of, int add, unsigned role, size_t who);

/* The plan's LDAP steps in the order they are made: the account's
 * entries, the person and their password, every role add, then the
 * person's project roles taken away, then every role removal (so an
 * admin is added before another one goes). A malloc'ed array; *n its
 * length. */
struct saga_step *saga_forward_steps(const struct saga_plan *p, size_t *n);
/* The steps that bring LDAP back to the plan's state before, given what is
 * there now: roles re-added (project roles too), then removed, then a
 * person this intent created, then the account's entries. Malloc'ed, like
 * the above. */
struct saga_step *saga_undo_steps(const struct saga_plan *p, const struct saga_observed *o,
                                  size_t *n);

/* Role bits of the plan as a JSON list of names: an account's roles, or
 * a project's (owner, editor, reader) for a PROJECT_ROLES plan. */
json_t *saga_plan_roles_json(const struct saga_plan *p, unsigned roles);

/* The roles dn holds now where plan p changes them: in the account's
 * role groups, or in the project's for a plan with a project_id. */
int saga_plan_roles_of(struct ldap_store *ls, const struct saga_plan *p, const char *dn,
                       unsigned *roles);
/* The plan as JSON (a new reference) and back: 0, or -1 when the JSON is
 * not a plan (p is then zeroed). Roles are lists of role names. */
json_t *saga_plan_json(const struct saga_plan *p);
int saga_plan_from_json(const json_t *j, struct saga_plan *p);
/* A list of role names as bits, as plans and their data hold them: an
 * account's roles (ROLE_*), or, with in_project, a project's (PROJECT_*).
 * 0, or -1 when a is no array or one of its entries is no role's name
 * (not a string too; *out is then 0 when a is no array, else the bits of
 * the entries before it). */
int roles_from_json(int in_project, const json_t *a, unsigned *out);

/* The `description` a person created by intent id carries (malloc'ed). */
char *saga_person_marker(unsigned long long intent_id);

/* ---- driving LDAP and MariaDB --------------------------------------- */

/* One change in flight: its intent, its plan and what the SQL side
 * records when it is done (data: kind-specific, see saga_finish_sql). */
struct saga {
    unsigned long long intent_id;
    char *actor;
    struct saga_plan plan;
    json_t *data;
    int person_created;     /* this request created plan.person_dn */
    int person_attempted;   /* a person add was sent (maybe made, reply lost) */
    int account_attempted;  /* the account's entries were (maybe) written */
    unsigned roles_touched; /* the person's role bits whose write was sent */
    int also_touched;       /* some role write was sent (plan.also restored) */
    unsigned *also_now;     /* repair: the roles of plan.also (malloc'ed) */
    int projects_touched;   /* a project role write of plan.projects was sent */
    unsigned *projects_now; /* repair: the person's roles in plan.projects (malloc'ed) */
    int takers_touched;     /* a project role write of plan.taker_dn was sent */
    unsigned *takers_now;   /* repair: plan.taker_dn's roles in plan.projects (malloc'ed) */
    int repair;             /* run by accountd maint: the audit row says so */
};
void saga_free(struct saga *s);

/* How a change ended, for the answer. */
enum saga_outcome {
    SAGA_DONE = 0,    /* applied and recorded */
    SAGA_REFUSED,     /* a rule refused it; nothing written (the refusal says why) */
    SAGA_NOT_APPLIED, /* a store failed; everything undone: 503 or 500 */
    SAGA_UNKNOWN,     /* the intent stays open: the repair job decides (503 outcome-unknown) */
};

/* Takes the account's guard and opens an intent for it (one short
 * transaction): ST_OK; ST_REFUSED with a 409 recorded in *ref when the account is
 * closed or another change of it stays in progress for longer than a
 * moment (`change-in-progress`); a store status otherwise. s->plan.kind,
 * s->plan.account_id and s->actor must be set. */
int saga_begin(struct sql_store *sql, struct saga *s, struct problem *ref);
/* Records s->plan (and s->data) in the intent before the first LDAP write.
 * A failure leaves the intent open with no LDAP written (repair: undone). */
int saga_record_plan(struct sql_store *sql, struct saga *s);
/* Gives the guard back without a change (a refusal decided after
 * saga_begin): the intent is closed as undone. */
void saga_release(struct sql_store *sql, struct saga *s, const char *why);

/* Makes the plan's role steps in LDAP (adds, then removals). */
int saga_apply_roles(struct ldap_store *ls, const struct saga *s);
/* Undoes what s may have written (roles back to roles_before, a person
 * this request created, the account's entries of a create) and closes the
 * intent as undone. Returns ST_OK when LDAP is back to the state before
 * (the change is not applied), else the failing status (the intent stays
 * open for the repair job). */
int saga_undo(struct ldap_store *ls, struct sql_store *sql, struct saga *s, const char *why);

/* Inside the caller's transaction: the SQL side of a finished change of
 * kind SET_ROLES, PROJECT_ROLES, ADD_MEMBER or ACCEPT (audit row, mail,
 * invitation),
 * then the intent closed as done and the guard given back. Account creates
 * and contact changes write their own rows and call saga_close_tx. */
int saga_finish_sql(struct sql_store *sql, struct saga *s);
/* Inside the caller's transaction: the intent closed as done and the
 * guard given back; ST_CONFLICT if the intent is no longer open (the
 * repair job decided it). */
int saga_close_tx(struct sql_store *sql, struct saga *s, const char *outcome);

/* Runs fn in a transaction that ends with the intent closed as done;
 * after a failure undoes LDAP or, when the COMMIT's outcome is unknown,
 * leaves the intent open. Returns the outcome; *st the failing status. */
enum saga_outcome saga_commit(struct ldap_store *ls, struct sql_store *sql, struct saga *s,
                              int (*fn)(struct sql_store *sql, void *arg), void *arg, int *st);

/* The rest of a role change once its plan is filled in (after
 * saga_begin and the checks): records the plan, makes the role steps in
 * LDAP and commits the SQL side (saga_finish_sql), or undoes LDAP when a
 * step fails. Returns the outcome; *st the failing status (ST_NOT_FOUND:
 * a role group of the plan is missing in LDAP). */
enum saga_outcome saga_change_roles(struct ldap_store *ls, struct sql_store *sql, struct saga *s,
                                    int *st);

/* Adds to the SET_ROLES plan p (account_id and person_dn set) the
 * person's roles in every project of the account, to be taken away in
 * the same change (saga_plan_project), as read now: under the account's
 * guard, which every project role change takes too. A project whose
 * groups an LDAP administrator deleted is skipped. When sole is not NULL,
 * *sole (malloc'ed, *nsole entries; NULL when none) receives the
 * projects whose only owner (of the people that exist) the person is,
 * for the last-owner rule of the caller; with taker_dn too (the
 * take-over, round-22 walkthrough of seed 001, D1), taker_dn becomes the
 * owner of each of them in the same change, keeping the roles the same
 * read found them holding there (saga_plan_take_project). */
int saga_plan_leave_projects(struct ldap_store *ls, struct saga_plan *p, const char *taker_dn,
                             unsigned long long **sole, size_t *nsole);

/* Answers a change that did not go through: 503 `outcome-unknown` (the
 * repair job decides) or the store failure. */
void saga_answer_failure(struct request *req, enum saga_outcome outcome, int st);

/* `accountd maint`: finishes or undoes every intent open for at least
 * min_age seconds, writing the outcome to the audit trail. Prints one line
 * per intent; returns the number it could not decide now (-1: MariaDB
 * unavailable). */
int saga_repair(struct ldap_store *ls, struct sql_store *sql, int min_age, int *repaired);

#endif
