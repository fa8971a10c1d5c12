/*
 * saga: the half that drives LDAP and MariaDB (the pure half is saga.c).
 */
#include "saga.h"

#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "buf.h"
#include "contacts.h"
#include "contacts_store.h"
#include "caller.h"
#include "intent_store.h"
#include "invitations_store.h"
#include "ldap_store.h"
#include "log.h"
#include "mail_names.h"
#include "outbox.h"
#include "problem.h"
#include "sql_store.h"
#include "providers.h"
#include "providers_store.h"
#include "recipients.h"
#include "transfer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How long saga_begin waits for another change of the same account: a
 * change takes a few round trips; one that takes longer waits for LDAP
 * (or for the repair job), and the caller is told so. */
#define GUARD_TRIES 12

void saga_free(struct saga *s)
{
    free(s->actor);
    free(s->also_now);
    free(s->projects_now);
    free(s->takers_now);
    saga_plan_free(&s->plan);
    json_decref(s->data);
    memset(s, 0, sizeof(*s));
}

static void pause_ms(long ms)
{
    static __thread unsigned seed;
    if (!seed)
        seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
    ms += rand_r(&seed) % (ms / 2 + 1);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int saga_begin(struct sql_store *sql, struct saga *s, struct problem *ref)
{
    enum intent_refusal why = INTENT_OK;
    int st = ST_OK;
    for (int attempt = 0; attempt < GUARD_TRIES; attempt++) {
        st = intent_store_begin(sql, saga_kind_name(s->plan.kind), s->plan.account_id, s->actor, 0,
                                &s->intent_id, &why);
        if (st != ST_CONFLICT || why != INTENT_BUSY)
            break;
        pause_ms(40L * (attempt + 1)); /* about 3 s in all */
    }
    if (st != ST_CONFLICT)
        return st;
    switch (why) {
    case INTENT_NO_ACCOUNT:
        return problem_set(ref, 404, "not-found", "no such account");
    case INTENT_CLOSED:
        return problem_set(ref, 409, "conflict", "a closed account cannot be changed");
    default:
        return problem_set(ref, 409, "change-in-progress",
                           "another change of this account is in progress (or waits for the "
                           "repair job); try again shortly");
    }
}

static char *dumps(const json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

int saga_record_plan(struct sql_store *sql, struct saga *s)
{
    json_t *plan = saga_plan_json(&s->plan);
    char *p = dumps(plan), *d = dumps(s->data);
    int st = intent_store_set_plan(sql, s->intent_id, p, d);
    free(p);
    free(d);
    json_decref(plan);
    return st;
}

void saga_release(struct sql_store *sql, struct saga *s, const char *why)
{
    if (intent_store_close(sql, s->intent_id, s->plan.account_id, 1, why) != ST_OK)
        log_error("account %llu: intent %llu could not be closed; the repair job closes it",
                  s->plan.account_id, s->intent_id);
}

static const char *member_dn(const struct saga_plan *p, size_t who)
{
    return who == 0 ? p->person_dn : p->also[who - 1].dn;
}

/* One role group write of the plan: the account's group, or the
 * project's for a PROJECT_ROLES plan. */
static int plan_set_member(struct ldap_store *ls, const struct saga_plan *p, unsigned role,
                           const char *dn, int add)
{
    if (!p->project_id)
        return ldap_store_set_member(ls, p->account_id, role, dn, add);
    int changed;
    return ldap_store_change_project_member(ls, p->account_id, p->project_id, role, dn, add,
                                            &changed);
}

/* One write of dn in project `which` of plan.projects. gone_ok (the
 * plan's person): a group an LDAP administrator deleted holds nobody,
 * nothing to take away or give back there. Else (the take-over's taker,
 * plan.taker_dn; round-22 walkthrough of seed 001, D1) a project deleted
 * meanwhile is ST_NOT_FOUND: the step fails, and the change is undone
 * (the repair job's decision reads the same). */
static int plan_set_project_member(struct ldap_store *ls, const struct saga_plan *p, size_t which,
                                   const char *dn, unsigned role, int add, int gone_ok)
{
    int changed;
    int st = ldap_store_change_project_member(ls, p->account_id, p->projects[which].id, role, dn,
                                              add, &changed);
    return gone_ok && st == ST_NOT_FOUND ? ST_OK : st;
}

/* Makes one role step of the plan (struct saga_step: a role group write
 * of the plan's person or another in the account, or of the plan's
 * person in one of plan.projects); any other step: ST_OK, nothing done. */
static int run_role_step(struct ldap_store *ls, const struct saga_plan *p,
                         const struct saga_step *step)
{
    switch (step->op) {
    case SAGA_OP_MEMBER_ADD:
    case SAGA_OP_MEMBER_DEL:
        return plan_set_member(ls, p, step->role, member_dn(p, step->who),
                               step->op == SAGA_OP_MEMBER_ADD);
    case SAGA_OP_PROJECT_ADD:
    case SAGA_OP_PROJECT_DEL:
        return plan_set_project_member(ls, p, step->who, p->person_dn, step->role,
                                       step->op == SAGA_OP_PROJECT_ADD, 1);
    case SAGA_OP_TAKER_ADD:
    case SAGA_OP_TAKER_DEL:
        return p->taker_dn ? plan_set_project_member(ls, p, step->who, p->taker_dn, step->role,
                                                     step->op == SAGA_OP_TAKER_ADD, 0)
                           : ST_OK;
    default:
        return ST_OK;
    }
}

/* The person's roles in one project of the account (0 when the project's
 * groups are gone). */
static int project_roles_of(struct ldap_store *ls, unsigned long long account_id,
                            unsigned long long project_id, const char *dn, unsigned *roles)
{
    struct saga_plan plan = {.account_id = account_id, .project_id = project_id};
    int st = saga_plan_roles_of(ls, &plan, dn, roles);
    if (st == ST_NOT_FOUND) {
        *roles = 0;
        st = ST_OK;
    }
    return st;
}

/* The roles dn holds now where the plan changes them. */
int saga_plan_roles_of(struct ldap_store *ls, const struct saga_plan *p, const char *dn,
                       unsigned *roles)
{
    if (!p->project_id)
        return ldap_store_roles_of(ls, p->account_id, dn, roles);
    struct role_group *groups;
    size_t n;
    *roles = 0;
    int st = ldap_store_project_groups(ls, p->account_id, p->project_id, &groups, &n);
    if (st != ST_OK)
        return st;
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < groups[g].nmembers; i++)
            if (ldap_dn_equal(groups[g].members[i], dn))
                *roles |= groups[g].role;
    role_groups_free(groups, n);
    return ST_OK;
}

int saga_apply_roles(struct ldap_store *ls, const struct saga *s_const)
{
    struct saga *s = (struct saga *)s_const;
    size_t n;
    struct saga_step *steps = saga_forward_steps(&s->plan, &n);
    int st = ST_OK;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        const struct saga_step *step = &steps[i];
        st = run_role_step(ls, &s->plan, step);
        /* Made, or maybe made (the reply was lost): undo must look at it. */
        if (st != ST_OK && st != ST_UNAVAILABLE)
            break;
        if (step->op == SAGA_OP_PROJECT_ADD || step->op == SAGA_OP_PROJECT_DEL) {
            s->projects_touched = 1;
        } else if (step->op == SAGA_OP_TAKER_ADD || step->op == SAGA_OP_TAKER_DEL) {
            s->takers_touched = 1;
        } else if (step->op == SAGA_OP_MEMBER_ADD || step->op == SAGA_OP_MEMBER_DEL) {
            if (step->who == 0)
                s->roles_touched |= step->role;
            s->also_touched = 1;
        }
    }
    free(steps);
    return st;
}

/* Sets the roles among `bits` of `of`'s person `who` (saga_role_step) to
 * those in `want`: adds first (pass 0), removals second. Goes on past a
 * failure, which it returns. */
static int restore_bits(struct ldap_store *ls, const struct saga_plan *p, enum saga_role_of of,
                        size_t who, unsigned bits, unsigned want, int pass)
{
    int result = ST_OK;
    for (unsigned b = 0; b < (of == SAGA_ROLES_MEMBER ? ROLE_COUNT : PROJECT_ROLE_COUNT); b++) {
        unsigned bit = 1u << b;
        int add = (want & bit) != 0;
        if (!(bits & bit) || add != (pass == 0))
            continue;
        struct saga_step step = saga_role_step(of, add, bit, who);
        int st = run_role_step(ls, p, &step);
        if (st != ST_OK && st != ST_NOT_FOUND)
            result = st;
    }
    return result;
}

/* Restores the roles this request may have changed to the plan's state
 * before: its person's touched roles, every other person's changed ones;
 * adds first. */
static int restore_roles(struct ldap_store *ls, const struct saga *s)
{
    const struct saga_plan *p = &s->plan;
    int result = ST_OK;
    for (int pass = 0; pass < 2; pass++) {
        if (s->roles_touched && p->person_dn) {
            int st =
                restore_bits(ls, p, SAGA_ROLES_MEMBER, 0, s->roles_touched, p->roles_before, pass);
            if (st != ST_OK)
                result = st;
        }
        for (size_t i = 0; s->also_touched && i < p->nalso; i++) {
            int st = restore_bits(ls, p, SAGA_ROLES_MEMBER, i + 1,
                                  p->also[i].before ^ p->also[i].after, p->also[i].before, pass);
            if (st != ST_OK)
                result = st;
        }
        /* The person back into the project roles they had (none is
         * given by the change, so adds only). */
        for (size_t i = 0; pass == 0 && s->projects_touched && i < p->nprojects; i++) {
            int st = restore_bits(ls, p, SAGA_ROLES_PROJECT, i, p->projects[i].before,
                                  p->projects[i].before, pass);
            if (st != ST_OK)
                result = st;
        }
        /* The taker back to the project roles they had (round-22
         * walkthrough of seed 001, D1). */
        for (size_t i = 0; p->taker_dn && s->takers_touched && i < p->nprojects; i++) {
            int st = restore_bits(ls, p, SAGA_ROLES_TAKER, i,
                                  p->projects[i].taker_before ^ p->projects[i].taker_after,
                                  p->projects[i].taker_before, pass);
            if (st != ST_OK)
                result = st;
        }
    }
    return result;
}

int saga_undo(struct ldap_store *ls, struct sql_store *sql, struct saga *s, const char *why)
{
    int st = ST_OK;
    if (s->plan.create_account) {
        if (s->account_attempted)
            st = ldap_store_delete_account(ls, s->plan.account_id);
    } else {
        st = restore_roles(ls, s);
        if (st == ST_OK && s->person_created) {
            int d = ldap_store_delete_entry(ls, s->plan.person_dn);
            if (d != ST_OK && d != ST_NOT_FOUND)
                st = d;
        } else if (st == ST_OK && s->person_attempted && s->plan.person_mail) {
            /* The add's reply was lost: its entry, if it was made, carries
             * this intent's marker. */
            char *marker = saga_person_marker(s->intent_id);
            struct person p;
            int hp;
            int f = ldap_store_marked_person(ls, s->plan.person_mail, marker, &p, &hp);
            if (f == ST_OK) {
                f = ldap_store_delete_entry(ls, p.dn);
                if (f == ST_NOT_FOUND)
                    f = ST_OK;
            }
            if (f != ST_OK && f != ST_NOT_FOUND)
                st = f;
            person_free(&p);
            free(marker);
        }
    }
    if (st != ST_OK) {
        log_error("account %llu: intent %llu (%s) could not be undone in LDAP now; the repair job "
                  "decides",
                  s->plan.account_id, s->intent_id, saga_kind_name(s->plan.kind));
        return st;
    }
    /* LDAP is as before: the change is not applied, whether or not the
     * intent can be closed now (the repair job finds nothing to undo). */
    if (intent_store_close(sql, s->intent_id, s->plan.account_id, 1, why) != ST_OK)
        log_error("account %llu: intent %llu is undone in LDAP but still open; the repair job "
                  "closes it",
                  s->plan.account_id, s->intent_id);
    return ST_OK;
}

int saga_close_tx(struct sql_store *sql, struct saga *s, const char *outcome)
{
    return intent_store_close_tx(sql, s->intent_id, s->plan.account_id, 0, outcome);
}

static const char *data_str(const struct saga *s, const char *key)
{
    return json_string_value(json_object_get(s->data, key));
}

/* The audit row's new value: what the change made, and who finished it. */
static json_t *with_repair(const struct saga *s, json_t *value)
{
    if (s->repair)
        json_object_set_new(value, "repaired_by",
                            json_pack("{s:s, s:I}", "job", "accountd maint", "intent_id",
                                      (json_int_t)s->intent_id));
    return value;
}

static int account_name(struct sql_store *sql, unsigned long long id, char **name)
{
    return account_name_get(sql, id, name);
}

/* A service-provider role given or taken away by a change: its access
 * row (providers_store.h) is written afresh or deleted with it, so that
 * the list of providers says who granted it and when, and a later grant
 * starts without an earlier one's dates. */
static int provider_rows(struct sql_store *sql, const struct saga *s, unsigned before,
                         unsigned after, const char *granted_by, unsigned long long invitation_id)
{
    const struct saga_plan *p = &s->plan;
    if (!(before & ROLE_SERVICE_PROVIDER) && (after & ROLE_SERVICE_PROVIDER))
        return provider_access_regrant(sql, p->account_id, p->person_uid, granted_by,
                                       invitation_id);
    if ((before & ROLE_SERVICE_PROVIDER) && !(after & ROLE_SERVICE_PROVIDER))
        return provider_access_delete(sql, p->account_id, p->person_uid);
    return ST_OK;
}

/* Role names as a mail says them: "member", "billing and member". */
static char *roles_said(const json_t *names)
{
    struct buf b = BUF_INIT;
    size_t n = json_array_size(names);
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s",
                   i == 0       ? ""
                   : i + 1 == n ? " and "
                                : ", ",
                   json_string_value(json_array_get(names, i)));
    return buf_detach(&b);
}

/* added-to-account to the person a change added at once (data: mail,
 * name, inviter_name, role; no mail: nobody to tell), naming place: the
 * account, or the project in it. One who held roles there already is
 * told the role given and the roles they hold now, not that they were
 * added (round-23 walkthrough of seed 004, D1; template_added_line). */
static int queue_added(struct sql_store *sql, const struct saga *s, const char *place)
{
    const char *to[] = {data_str(s, "mail")};
    if (!to[0])
        return ST_OK;
    const char *role = data_str(s, "role");
    json_t *before = saga_plan_roles_json(&s->plan, s->plan.roles_before);
    json_t *after = saga_plan_roles_json(&s->plan, s->plan.roles_after);
    char *held = roles_said(before), *now = roles_said(after);
    char *line = template_added_line(data_str(s, "inviter_name"), place, role, held, now);
    char *subject = template_added_subject(place, held);
    struct template_value vals[] = {
        {"account_name", place},
        {"inviter_name", data_str(s, "inviter_name")},
        {"role", role},
        {"name", data_str(s, "name") ? data_str(s, "name") : s->plan.person_uid},
        {"role_title", template_role_title(role)},
        {"contact_note", TEMPLATE_OMIT_LINE},
        {"added_line", line},
        {"sign_in_line", template_sign_in_line(held)},
        {"added_subject", subject},
    };
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add(&names, to[0], data_str(s, "name"));
    int st = outbox_queue(sql, s->plan.account_id, "added-to-account", to, 1, &names, vals,
                          sizeof(vals) / sizeof(vals[0]));
    mail_names_free(&names);
    free(line);
    free(subject);
    free(held);
    free(now);
    json_decref(before);
    json_decref(after);
    return st;
}

/* A stored contact whom the role change (or an admin invitation, added
 * at once or accepted) made admin again counts again
 * (contacts_again_data, members.c and invitations.c; round-26
 * walkthrough of seed 004, D3): a contact.set row per kind by actor, "from nobody"
 * as the overview showed it, and contact-changed as a contact PUT mails
 * it. */
static int finish_contact_again(struct sql_store *sql, const struct saga *s, const char *actor,
                                const json_t *again)
{
    unsigned kinds = (unsigned)json_integer_value(json_object_get(again, "kinds"));
    const char *uid = json_string_value(json_object_get(again, "uid"));
    static const char *const names[] = {"primary", "technical"};
    int st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < 2; i++)
        if (kinds & (i ? CONTACT_TECHNICAL : CONTACT_PRIMARY))
            st = audit_write(sql, actor, s->plan.account_id, "contact.set",
                             json_pack("{s:s}", "contact", names[i]),
                             with_repair(s, json_pack("{s:s, s:s, s:s}", "contact", names[i], "uid",
                                                      uid, "reason",
                                                      "made admin again: the stored contact "
                                                      "counts again")));
    if (st == ST_OK)
        st = contacts_again_mail(sql, s->plan.account_id, again);
    return st;
}

static int finish_add_member(struct sql_store *sql, struct saga *s)
{
    const struct saga_plan *p = &s->plan;
    const char *role = data_str(s, "role");
    char *name = NULL;
    int st = account_name(sql, p->account_id, &name);
    if (st == ST_OK)
        st = queue_added(sql, s, name);
    free(name);
    if (st == ST_OK)
        st = audit_write(
            sql, s->actor, p->account_id, "member.add",
            /* The roles they had, when they had any (round-4 walkthrough
             * of seed 004), and the roles they hold after it, with the one
             * added (round-6 walkthrough of seed 004, D5). */
            p->roles_before ? json_pack("{s:s, s:o}", "uid", p->person_uid, "roles",
                                        roles_json(p->roles_before))
                            : NULL,
            with_repair(s, json_pack("{s:s, s:o, s:[s]}", "uid", p->person_uid, "roles",
                                     roles_json(p->roles_after), "added", role ? role : "")));
    /* A stale stored contact added as admin at once counts again
     * (invitations.c, add_known; round-26 walkthrough of seed 004, D3). */
    const json_t *again = json_object_get(s->data, "contact_again");
    if (st == ST_OK && json_is_object(again))
        st = finish_contact_again(sql, s, s->actor, again);
    if (st == ST_OK)
        st = provider_rows(sql, s, p->roles_before, p->roles_after, s->actor, 0);
    /* Added at once: a pending member invitation of their address to the
     * account is no longer wanted, nor its live link (round-4 walkthrough
     * of seed 001). */
    unsigned long long revoked = 0;
    if (st == ST_OK && data_str(s, "mail"))
        st = invitation_revoke_member_of(sql, p->account_id, 0, data_str(s, "mail"), &revoked);
    if (st == ST_OK && revoked)
        st = audit_write(
            sql, s->actor, p->account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)revoked, "status", "pending"),
            json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)revoked, "status", "revoked",
                      "reason", "added at once"));
    return st;
}

/* A change that gives a person a project role they did not hold (a
 * project invitation's 201 added, a PUT): a pending invitation of their
 * address to that project is no longer wanted, nor its live link, as for
 * the account (finish_add_member; round-20 walkthrough of seed 003, D1).
 * data "ends_invitation_of": their address, recorded with the plan (an
 * intent recorded before it was ends none). */
static int end_project_invitation(struct sql_store *sql, const struct saga *s)
{
    const struct saga_plan *p = &s->plan;
    const char *mail = data_str(s, "ends_invitation_of");
    unsigned long long revoked = 0;
    if (!mail || !(p->roles_after & ~p->roles_before))
        return ST_OK;
    int st = invitation_revoke_member_of(sql, p->account_id, p->project_id, mail, &revoked);
    if (st == ST_OK && revoked)
        st = audit_write(
            sql, s->actor, p->account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)revoked, "status", "pending"),
            json_pack("{s:I, s:s, s:I, s:s}", "invitation_id", (json_int_t)revoked, "status",
                      "revoked", "project_id", (json_int_t)p->project_id, "reason",
                      "added at once"));
    return st;
}

static int finish_accept(struct sql_store *sql, struct saga *s)
{
    const struct saga_plan *p = &s->plan;
    json_int_t inv = json_integer_value(json_object_get(s->data, "invitation_id"));
    /* ST_CONFLICT: revoked while it was being accepted, or its token
     * replaced (resent): the link accepted is no longer the invitation's
     * (token_hash: recorded with the plan; an intent recorded before it
     * was compares the status only). */
    int st = invitation_mark_accepted(sql, (unsigned long long)inv, data_str(s, "token_hash"),
                                      p->person_uid);
    /* A new person is nobody's contact yet: a contact row that names their
     * uid names a person an LDAP administrator deleted, whose uid they
     * took, and must not make them a contact (round-5 walkthrough of seed
     * 004); its contact.unset rows come first in the trail. */
    if (st == ST_OK && p->create_person)
        st = contacts_forget_uid(sql, p->person_uid, p->person_uid);
    json_t *n = json_pack("{s:I, s:s, s:s?, s:b}", "invitation_id", inv, "uid", p->person_uid,
                          "role", data_str(s, "role"), "created", p->create_person);
    /* A project invitation: a role in the project, none in the account. */
    if (p->project_id)
        json_object_set_new(n, "project_id", json_integer((json_int_t)p->project_id));
    if (st == ST_OK)
        st = audit_write(sql, p->person_uid, p->account_id, "invitation.accept", NULL,
                         with_repair(s, n));
    else
        json_decref(n);
    if (st == ST_OK && p->project_id)
        return ST_OK;
    /* The account's contact person (named at its create) joins as admin:
     * its primary and technical contact, unless it has them already. */
    unsigned named = 0;
    if (st == ST_OK && json_is_true(json_object_get(s->data, "names_contact")) &&
        (p->roles_after & ROLE_ADMIN))
        st = contacts_name_if_none(sql, p->person_uid, p->account_id, p->person_uid, &named);
    /* ... and told so, as a contact PUT tells them (contact_mail and
     * contact_name: recorded with the plan; an intent recorded before
     * they were sends no mail). */
    if (st == ST_OK && named && data_str(s, "contact_mail")) {
        char *name = NULL;
        /* The names that greet the readers (contact_names: the contact's
         * and the recipients', recorded with the plan; an intent recorded
         * before greets "Hello,"). */
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add_json(&names, json_object_get(s->data, "contact_names"));
        st = account_name(sql, p->account_id, &name);
        if (st == ST_OK)
            st = contacts_mail_named(
                sql, p->account_id, name, named, p->person_uid,
                data_str(s, "contact_name") ? data_str(s, "contact_name") : p->person_uid,
                data_str(s, "contact_mail"),
                data_str(s, "contact_named_by") ? data_str(s, "contact_named_by")
                                                : "an administrator of the account",
                data_str(s, "contact_named_by_mail"),
                !json_is_false(json_object_get(s->data, "contact_named_by_admin")), &names, NULL,
                NULL, NULL);
        /* A reseller's storefront that went live while their invitation
         * was pending: its welcome, which went to the admins then
         * (billing_notify.h; round-12 walkthrough of seed 002, D3). */
        if (st == ST_OK)
            st = billing_welcome_late_queue(sql, p->account_id, name,
                                            json_object_get(s->data, "storefront_welcome"),
                                            data_str(s, "contact_mail"), &names);
        mail_names_free(&names);
        free(name);
    }
    /* A stale stored contact the accept made admin again counts again
     * (accept_again_data, invitations.c; round-26 walkthrough of seed
     * 004, D3): its rows by the person who accepted, as the accept's
     * other rows; the mail names the inviter. */
    const json_t *again = json_object_get(s->data, "contact_again");
    if (st == ST_OK && json_is_object(again))
        st = finish_contact_again(sql, s, p->person_uid, again);
    /* Granted by whoever sent the invitation. */
    if (st == ST_OK)
        st = provider_rows(sql, s, p->roles_before, p->roles_after, p->person_uid,
                           (unsigned long long)inv);
    /* An admin invitation to a staged account: its sender is told
     * (transfer.h, transfer_mail_admin_accepted). */
    const json_t *tell = json_object_get(s->data, "tell_sender");
    if (st == ST_OK && json_is_object(tell))
        st = transfer_mail_admin_accepted(sql, p->account_id, tell);
    /* A hand-over (transfer.h): its SQL side, from the data recorded with
     * the plan (the providers' moves are the plan's `also`). */
    const json_t *handover = json_object_get(s->data, "transfer");
    if (st == ST_OK && json_is_object(handover)) {
        json_t *h = json_deep_copy(handover);
        with_repair(s, h);
        struct problem ref = {0};
        st = transfer_finish_sql(sql, p->account_id, (unsigned long long)inv, p->person_uid, h,
                                 &ref);
        problem_clear(&ref);
        if (st == ST_REFUSED)
            st = ST_CONFLICT; /* no longer staged: the accept is undone */
        json_decref(h);
    }
    return st;
}

/* Why the take-over gave an invitation a new sender: its audit row says
 * it (invitation.sender). */
#define SENDER_TAKEN_OVER                                                                          \
    "its sender was removed by an administrator of the parent account, who took their place as "   \
    "the account's administrator"

/* One pending invitation, an item of invitations_sent_here, appended to
 * the mails' *list ("a@x as an administrator (invitation 43)", ", "
 * between them; a project's "p@x as a reader in project "Dach"
 * (invitation 35)", round-23 walkthrough of seed 001, D1) and counted
 * in *n, a project's also in *nproject; one without id, email or role is
 * not. A project whose row is gone (no name from the LEFT JOIN) is named
 * by its id: "in project 35". */
static void list_invitation(struct buf *list, size_t *n, size_t *nproject, const json_t *it)
{
    const char *id = json_string_value(json_object_get(it, "id"));
    const char *email = json_string_value(json_object_get(it, "email"));
    const char *role = json_string_value(json_object_get(it, "role"));
    const char *purpose = json_string_value(json_object_get(it, "purpose"));
    const char *project = json_string_value(json_object_get(it, "project_name"));
    if (!id || !email || !role)
        return;
    buf_printf(list, "%s%s as %s%s", (*n)++ ? ", " : "", email, template_role_title(role),
               purpose && strcmp(purpose, "contact") == 0 ? " and its contact person" : "");
    const char *pid = json_string_value(json_object_get(it, "project_id"));
    if (pid) {
        /* (a project whose row is gone has no name: its id) */
        if (project)
            buf_printf(list, " in project \"%s\"", project);
        else
            buf_printf(list, " in project %s", pid);
        (*nproject)++;
    }
    buf_printf(list, " (invitation %s)", id);
}

/* Where the invitations of a list_invitation list are pending, n of
 * them, nproject a project's: "the account's pending invitations", a
 * project's "the project's" (round-23 walkthrough of seed 001, D1). */
static const char *pending_where(size_t n, size_t nproject)
{
    if (!nproject)
        return "the account's pending invitations";
    if (nproject < n)
        return "the pending invitations of the account and of its projects";
    return nproject == 1 ? "the project's pending invitations"
                         : "the pending invitations of their projects";
}

/* The pending invitations the person removed sent in the account and in
 * its projects (their customer's future admin and contact, among
 * others), whose links would answer 410 invitation-revoked once their
 * sender holds no role here: the caller who takes their place is their
 * sender from now on, so that the links keep working (round-21
 * walkthrough of seed 001, D1; as the hand-over does for the preparers'
 * invitations, transfer.c). The projects' too since the round-23
 * walkthrough of seed 001, D1: the caller is the account's admin now, who
 * may give any project role there (invitation_sender_holds), and the
 * owner of the projects the person alone owned. An invitation.sender row
 * each (actor: the caller; a project's with its project_id). *list: "a@x
 * as an administrator (invitation 43), ...", *n of them (0: none),
 * *nproject of them a project's. */
static int take_over_invitations(struct sql_store *sql, const struct saga *s, const char *from,
                                 struct buf *list, size_t *n, size_t *nproject)
{
    const struct saga_plan *p = &s->plan;
    const char *to = p->also[0].uid;
    json_t *items = NULL;
    int st = invitations_sent_here(sql, p->account_id, from, &items);
    for (size_t k = 0; st == ST_OK && k < json_array_size(items); k++) {
        const json_t *it = json_array_get(items, k);
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *email = json_string_value(json_object_get(it, "email"));
        const char *role = json_string_value(json_object_get(it, "role"));
        const char *was = json_string_value(json_object_get(it, "invited_by"));
        const char *pid = json_string_value(json_object_get(it, "project_id"));
        if (!id || !email || !role)
            continue;
        json_int_t inv = (json_int_t)strtoull(id, NULL, 10);
        st = invitation_set_sender(sql, (unsigned long long)inv, to);
        json_t *o = json_pack("{s:I, s:s}", "invitation_id", inv, "invited_by", was ? was : from);
        json_t *nv = json_pack("{s:I, s:s, s:s}", "invitation_id", inv, "invited_by", to, "reason",
                               SENDER_TAKEN_OVER);
        if (pid) {
            json_object_set_new(o, "project_id", json_integer((json_int_t)strtoull(pid, NULL, 10)));
            json_object_set_new(nv, "project_id",
                                json_integer((json_int_t)strtoull(pid, NULL, 10)));
        }
        if (st == ST_OK)
            st = audit_write(sql, s->actor, p->account_id, "invitation.sender", o,
                             with_repair(s, nv));
        else {
            json_decref(o);
            json_decref(nv);
        }
        if (st == ST_OK)
            list_invitation(list, n, nproject, it);
    }
    json_decref(items);
    return st;
}

/* The parent's admin who removed the account's last admin, the parent's
 * former person, in their place (members.c; round-20 walkthrough of seed
 * 001, D1): member.add (or member.set_roles when they held roles here)
 * for the caller who takes the place (the plan's also entry of takes'
 * "by"), with the reason, and the contacts the person removed held, now
 * theirs (contact.set each, the ETag moved), and the pending invitations
 * they sent (take_over_invitations: *invitations, *ninvitations, of them
 * *nproject a project's). */
static int finish_take_over(struct sql_store *sql, const struct saga *s, const json_t *takes,
                            struct buf *invitations, size_t *ninvitations, size_t *nproject)
{
    const struct saga_plan *p = &s->plan;
    /* The caller who takes the place: the plan's also entry of the uid
     * recorded with it ("by"; an intent recorded before names none, and
     * its plan had them as its one also entry). */
    const char *by = json_string_value(json_object_get(takes, "by"));
    const struct saga_member *m = NULL;
    for (size_t i = 0; !m && i < p->nalso; i++)
        if (by ? p->also[i].uid && strcmp(p->also[i].uid, by) == 0 : p->nalso == 1)
            m = &p->also[i];
    if (!m)
        return ST_OK;
    const char *from = json_string_value(json_object_get(takes, "from"));
    char reason[400];
    snprintf(reason, sizeof(reason),
             "took the place of %s, the account's last administrator, whom they removed as an "
             "administrator of the parent account",
             from ? from : "its last administrator");
    json_t *n = json_pack("{s:s, s:o, s:o, s:s}", "uid", m->uid, "roles", roles_json(m->after),
                          "added", roles_json(m->after & ~m->before), "reason", reason);
    int st = audit_write(
        sql, s->actor, p->account_id, m->before ? "member.set_roles" : "member.add",
        m->before ? json_pack("{s:s, s:o}", "uid", m->uid, "roles", roles_json(m->before)) : NULL,
        with_repair(s, n));
    const json_t *kinds = json_object_get(takes, "contacts");
    for (size_t i = 0; st == ST_OK && i < json_array_size(kinds); i++) {
        const char *kind = json_string_value(json_array_get(kinds, i));
        if (!kind)
            continue;
        st = contact_set(sql, p->account_id, kind, m->uid);
        if (st == ST_OK)
            st = audit_write(sql, s->actor, p->account_id, "contact.set",
                             json_pack("{s:s, s:s?}", "contact", kind, "uid", from),
                             with_repair(s, json_pack("{s:s, s:s, s:s}", "contact", kind, "uid",
                                                      m->uid, "reason", reason)));
    }
    if (st == ST_OK && json_array_size(kinds))
        st = account_touch(sql, p->account_id);
    if (st == ST_OK && from)
        st = take_over_invitations(sql, s, from, invitations, ninvitations, nproject);
    /* The projects whose only owner they were: the caller their owner
     * now (members.c, take_projects; round-22 walkthrough of seed 001,
     * D1), a project.member.set row each, with the reason. */
    const json_t *projects = json_object_get(takes, "projects");
    for (size_t i = 0; st == ST_OK && i < json_array_size(projects); i++) {
        const json_t *pj = json_array_get(projects, i);
        json_t *id = json_object_get(pj, "id");
        if (!json_is_integer(id))
            continue;
        st = audit_write(
            sql, s->actor, p->account_id, "project.member.set",
            json_pack("{s:O, s:s, s:O}", "project_id", id, "uid", m->uid, "roles",
                      json_object_get(pj, "before")),
            with_repair(s, json_pack("{s:O, s:s, s:O, s:s}", "project_id", id, "uid", m->uid,
                                     "roles", json_object_get(pj, "after"), "reason", reason)));
    }
    return st;
}

/* The recipients of data's "to", and the account's notification
 * recipients but except (the caller's address) when with_recipients, and
 * also (one more reader: NULL none): queued as template name, outside the
 * mail budget (the change is counted already), own[0..nown) rendered per
 * reader. */
static int queue_told(struct sql_store *sql, const struct saga *s, const char *name,
                      const json_t *told, int with_recipients, const char *except, const char *also,
                      const struct template_value *vals, size_t nvals,
                      const struct reader_value *own, size_t nown)
{
    const json_t *to = json_object_get(told, "to");
    char **recipients = NULL;
    size_t nrecipients = 0;
    int st = with_recipients ? outbox_recipients(sql, s->plan.account_id, &recipients, &nrecipients)
                             : ST_OK;
    if (st != ST_OK)
        return st;
    const char **mails = xcalloc(json_array_size(to) + nrecipients + 2, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(to); i++)
        mails[n++] = json_string_value(json_array_get(to, i));
    for (size_t i = 0; i < nrecipients; i++)
        if (!except || strcasecmp(recipients[i], except) != 0)
            mails[n++] = recipients[i];
    if (also && *also)
        mails[n++] = also;
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add_json(&names, json_object_get(told, "names"));
    if (n)
        st = outbox_queue_readers(sql, s->plan.account_id, name, mails, n, &names, vals, nvals, own,
                                  nown, 0);
    mail_names_free(&names);
    free(mails);
    outbox_free_list(recipients, nrecipients);
    return st;
}

/* The pending invitations of the person removed when there is no
 * take-over (round-22 walkthrough of seed 001, D2), in the account and
 * in its projects (round-23, D1): they stay as they are, and their links
 * answer 410 now that their sender holds no role here; the account's
 * readers are told which, and what to do. *list "otto@x as a member
 * (invitation 19), ...", *n of them, *nproject a project's. */
static int stopped_invitations(struct sql_store *sql, const struct saga *s, struct buf *list,
                               size_t *n, size_t *nproject)
{
    json_t *items = NULL;
    int st = s->plan.person_uid
                 ? invitations_sent_here(sql, s->plan.account_id, s->plan.person_uid, &items)
                 : ST_OK;
    for (size_t k = 0; st == ST_OK && k < json_array_size(items); k++)
        list_invitation(list, n, nproject, json_array_get(items, k));
    json_decref(items);
    return st;
}

/* removed-by-parent (migrations 087, 091, 095): to the account's named
 * contacts (else its admins) read before the change and its notification
 * recipients, never the caller. After a take-over: the pending
 * invitations the caller sends from now on (finish_take_over;
 * invitations, n of them, nproject a project's) and the projects they own now (takes_over's
 * "projects"), each a line, and the caller gets a copy of their own that
 * says so, in the second person (round-21 walkthrough of seed 001, D1;
 * round-22, D1, D3, D4). Without one: the invitations of the person
 * removed that stopped working, and what to do (round-22, D2). */
static int queue_parent_removal(struct sql_store *sql, const struct saga *s, const json_t *told,
                                const char *invitations, size_t n, size_t nproject)
{
    char *name = NULL;
    int st = account_name(sql, s->plan.account_id, &name);
    if (st != ST_OK)
        return st;
    const char *taken = json_string_value(json_object_get(told, "taken_over"));
    const char *taken_you = json_string_value(json_object_get(told, "taken_over_you"));
    const char *who = json_string_value(json_object_get(told, "person_name"));
    const char *by = json_string_value(json_object_get(told, "removed_by"));
    const char *caller = json_string_value(json_object_get(told, "except"));
    const char *roles = json_string_value(json_object_get(told, "roles"));
    const char *parent = json_string_value(json_object_get(told, "parent_name"));
    struct buf pending = BUF_INIT, yours = BUF_INIT, owned = BUF_INIT, owned_you = BUF_INIT,
               list = BUF_INIT;
    if (n == 1) {
        buf_printf(&pending,
                   "The invitation %s sent that is still pending, %s, comes from %s from now on: "
                   "its link keeps working.",
                   who, invitations, by);
        buf_printf(&yours,
                   "Pending invitation you now send: %s. %s sent it; its link keeps working, and "
                   "as its sender you can resend or revoke it in %s.",
                   invitations, who, pending_where(n, nproject));
    } else if (n) {
        buf_printf(&pending,
                   "The invitations %s sent that are still pending, %s, come from %s from now "
                   "on: their links keep working.",
                   who, invitations, by);
        buf_printf(&yours,
                   "Pending invitations you now send: %s. %s sent them; their links keep "
                   "working, and as their sender you can resend or revoke any of them in %s.",
                   invitations, who, pending_where(n, nproject));
    } else if (!taken) {
        size_t stopped = 0, stopped_project = 0;
        st = stopped_invitations(sql, s, &list, &stopped, &stopped_project);
        if (stopped == 1)
            buf_printf(&pending,
                       "The invitation %s sent, %s, no longer works: resend it from %s (you "
                       "become its sender), or revoke it.",
                       who, buf_str(&list), pending_where(stopped, stopped_project));
        else if (stopped)
            buf_printf(&pending,
                       "The invitations %s sent, %s, no longer work: resend each from %s (you "
                       "become its sender), or revoke it.",
                       who, buf_str(&list), pending_where(stopped, stopped_project));
    }
    /* The projects the take-over made the caller owner of. */
    const json_t *projects = json_object_get(json_object_get(s->data, "takes_over"), "projects");
    size_t nprojects = json_array_size(projects);
    if (nprojects) {
        struct buf names = BUF_INIT;
        for (size_t i = 0; i < nprojects; i++) {
            const json_t *pj = json_array_get(projects, i);
            const char *pname = json_string_value(json_object_get(pj, "name"));
            buf_adds(&names, i == 0 ? "" : i + 1 == nprojects ? " and " : ", ");
            if (pname)
                buf_printf(&names, "\"%s\" ", pname);
            buf_printf(&names, "(project %lld)",
                       (long long)json_integer_value(json_object_get(pj, "id")));
        }
        const char *one = nprojects == 1 ? "its" : "their";
        buf_printf(&owned, "%s was the only owner of %s, so %s became %s owner in their place.",
                   who, buf_str(&names), by, one);
        buf_printf(&owned_you,
                   "Projects you now own: %s. %s was %s only owner; you can make one of the "
                   "account's own people owner, and leave %s again.",
                   buf_str(&names), who, one, nprojects == 1 ? "it" : "them");
        buf_free(&names);
    }
    /* Who removed them, in the second person in the caller's own copy
     * (round-22 walkthrough of seed 001, D3), and why each reader gets
     * it: the take-over's reason only in that copy (D4). A plan recorded
     * by round 22's first take stored these four sentences; they are
     * built here alike. */
    struct buf removed = BUF_INIT, removed_you = BUF_INIT, told_as = BUF_INIT, told_you = BUF_INIT;
    buf_printf(&removed, "%s removed %s from %s, where they were %s.", by ? by : "", who ? who : "",
               name, roles ? roles : "");
    buf_printf(&removed_you, "You removed %s from %s, where they were %s.", who ? who : "", name,
               roles ? roles : "");
    buf_printf(&told_as,
               "You get this mail as a named contact of %s, as one of its administrators while "
               "it has no named contact, or as one of its notification recipients.",
               name);
    buf_printf(&told_you,
               "You get this copy as the administrator of %s who removed %s from %s and took "
               "their place there.",
               parent ? parent : "", who ? who : "", name);
    struct template_value vals[] = {
        {"account_name", name},
        {"removed_by", by},
        {"person_name", who},
        {"roles", roles},
        {"parent_name", parent},
        {"taken_over", taken ? taken : TEMPLATE_OMIT_LINE},
        {"pending_invitations", pending.len ? buf_str(&pending) : TEMPLATE_OMIT_LINE},
        {"removed", buf_str(&removed)},
        {"projects_taken", nprojects ? buf_str(&owned) : TEMPLATE_OMIT_LINE},
        {"told_as", buf_str(&told_as)},
    };
    /* The caller's own copy, only when it tells them something: which
     * invitations and projects are theirs now. */
    const char *also = (n || nprojects) && caller && *caller ? caller : NULL;
    struct reader_value own[] = {
        {caller, "pending_invitations", n ? buf_str(&yours) : TEMPLATE_OMIT_LINE},
        {caller, "taken_over", taken_you ? taken_you : taken},
        {caller, "projects_taken", nprojects ? buf_str(&owned_you) : TEMPLATE_OMIT_LINE},
        {caller, "removed", buf_str(&removed_you)},
        {caller, "told_as", buf_str(&told_you)},
    };
    if (st == ST_OK)
        st = queue_told(sql, s, "removed-by-parent", told, 1, caller, also, vals, 10, own,
                        also ? 5 : 0);
    buf_free(&pending);
    buf_free(&yours);
    buf_free(&owned);
    buf_free(&owned_you);
    buf_free(&list);
    buf_free(&removed);
    buf_free(&removed_you);
    buf_free(&told_as);
    buf_free(&told_you);
    free(name);
    return st;
}

/* member-keeps-child-roles (migration 087): to the caller and the
 * account's named contacts (else its admins), as read before the
 * change; the caller's own copy in the second person. */
static int queue_child_roles(struct sql_store *sql, const struct saga *s, const json_t *told)
{
    char *name = NULL;
    int st = account_name(sql, s->plan.account_id, &name);
    if (st != ST_OK)
        return st;
    char id[24];
    snprintf(id, sizeof(id), "%llu", s->plan.account_id);
    struct template_value vals[] = {
        {"account_name", name},
        {"account_id", id},
        {"removed", json_string_value(json_object_get(told, "removed"))},
        {"person_name", json_string_value(json_object_get(told, "person_name"))},
        {"child_count", json_string_value(json_object_get(told, "child_count"))},
        {"children", json_string_value(json_object_get(told, "children"))},
    };
    /* The remover's own copy says "You removed …" (round-22 walkthrough
     * of seed 001, D3). */
    const char *caller = json_string_value(json_object_get(told, "except"));
    if (!caller) /* as round 22's first take recorded it */
        caller = json_string_value(json_object_get(told, "caller"));
    const char *yours = json_string_value(json_object_get(told, "removed_you"));
    /* ... and names the children where they are an administrator
     * themselves as theirs to act in (round-24 walkthrough of seed 001,
     * D1; absent when they are none's). */
    const char *children_you = json_string_value(json_object_get(told, "children_you"));
    struct reader_value own[] = {{caller, "removed", yours}, {caller, "children", children_you}};
    st = queue_told(sql, s, "member-keeps-child-roles", told, 0, NULL, NULL, vals, 6, own,
                    caller && yours ? (children_you ? 2 : 1) : 0);
    free(name);
    return st;
}

/* project-member-removed (migration 092) to the person a DELETE took out
 * of a project (data "removed": projects.c, mail_removed_member), naming
 * the roles it ended; outside the mail budget, as member-removed is. */
static int queue_project_removed(struct sql_store *sql, const struct saga *s)
{
    const json_t *removed = json_object_get(s->data, "removed");
    if (!json_is_object(removed) || s->plan.roles_after)
        return ST_OK;
    const char *to[] = {json_string_value(json_object_get(removed, "mail"))};
    if (!to[0])
        return ST_OK;
    char *name = NULL;
    int st = account_name(sql, s->plan.account_id, &name);
    if (st != ST_OK)
        return st;
    struct buf roles = BUF_INIT;
    size_t said = 0;
    for (unsigned r = 0; r < PROJECT_ROLE_COUNT; r++)
        if (s->plan.roles_before & (1u << r))
            buf_printf(&roles, "%s%s", said++ ? " and " : "", project_role_names[r]);
    struct template_value vals[] = {
        {"account_name", name},
        {"project_name", json_string_value(json_object_get(removed, "project_name"))},
        {"removed_by", json_string_value(json_object_get(removed, "removed_by"))},
        {"roles", buf_str(&roles)},
    };
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add(&names, to[0], json_string_value(json_object_get(removed, "name")));
    st = outbox_queue(sql, s->plan.account_id, "project-member-removed", to, 1, &names, vals, 4);
    mail_names_free(&names);
    buf_free(&roles);
    free(name);
    return st;
}

int saga_finish_sql(struct sql_store *sql, struct saga *s)
{
    const struct saga_plan *p = &s->plan;
    int st;
    switch (p->kind) {
    case SAGA_SET_ROLES: {
        const char *action = data_str(s, "action");
        json_t *o =
            json_pack("{s:s, s:o}", "uid", p->person_uid, "roles", roles_json(p->roles_before));
        json_t *n =
            json_pack("{s:s, s:o}", "uid", p->person_uid, "roles", roles_json(p->roles_after));
        /* A PUT to no roles that leaves project roles (members.c; round-19
         * walkthrough of seed 003, D4): the new value names them. */
        json_t *kept = json_object_get(s->data, "projects_kept");
        if (json_is_array(kept))
            json_object_set(n, "projects", kept);
        /* Why someone who is no admin of the account removed them: the
         * parent's admin removing its former person (members.c; round-20
         * walkthrough of seed 001, D1). */
        if (data_str(s, "reason"))
            json_object_set_new(n, "reason", json_string(data_str(s, "reason")));
        st = audit_write(sql, s->actor, p->account_id, action ? action : "member.set_roles", o,
                         with_repair(s, n));
        const json_t *again = json_object_get(s->data, "contact_again");
        if (st == ST_OK && json_is_object(again))
            st = finish_contact_again(sql, s, s->actor, again);
        /* ... who, removing the account's last admin, takes their place
         * (the plan's also entry of takes_over's "by") and the contacts
         * they held: a row each. */
        const json_t *takes = json_object_get(s->data, "takes_over");
        struct buf invitations = BUF_INIT;
        size_t ninvitations = 0, nproject = 0;
        if (st == ST_OK && json_is_object(takes))
            st = finish_take_over(sql, s, takes, &invitations, &ninvitations, &nproject);
        /* The person's project roles taken with it (a removal from the
         * account: members.c, providers.c): one project.member.remove row
         * per project, by the same actor (docs/api.md, Projects). */
        for (size_t i = 0; st == ST_OK && i < p->nprojects; i++)
            st = audit_write(sql, s->actor, p->account_id, "project.member.remove",
                             json_pack("{s:I, s:s, s:o}", "project_id",
                                       (json_int_t)p->projects[i].id, "uid", p->person_uid, "roles",
                                       project_roles_json(p->projects[i].before)),
                             with_repair(s, json_pack("{s:I, s:s, s:[]}", "project_id",
                                                      (json_int_t)p->projects[i].id, "uid",
                                                      p->person_uid, "roles")));
        /* A service provider's role given or taken away (also by
         * providers.c): the access row with it. */
        if (st == ST_OK)
            st = provider_rows(sql, s, p->roles_before, p->roles_after, s->actor, 0);
        /* A person removed from the account: their own address leaves
         * the notification recipients with them (members.c, recipients.h;
         * round-14 walkthrough of seed 004, D2), and the mail that tells
         * them names the project roles taken with it or left (round-18
         * walkthrough of seed 003, D1). */
        const json_t *leaves = json_object_get(s->data, "leaves_recipients");
        int removed_told = 0, left_recipients = 0;
        if (st == ST_OK && !p->roles_after && json_is_object(leaves))
            st = recipients_remove_person(
                sql, p->account_id, s->actor, json_string_value(json_object_get(leaves, "mail")),
                json_string_value(json_object_get(leaves, "name")),
                json_string_value(json_object_get(leaves, "by")),
                json_is_true(json_object_get(leaves, "tell")),
                json_string_value(json_object_get(leaves, "projects_note")), p->nprojects > 0,
                &removed_told, &left_recipients);
        /* A provider an admin revoked is told (providers.c), and so is a
         * service provider removed from the account by someone else
         * (members.c; round-18 walkthrough of seed 000, D3), unless the
         * member-removed mail above told them already (removed_told:
         * one mail per removal); operator staff that they keep their
         * operator access (D2). */
        const json_t *told = json_object_get(s->data, "provider_told");
        if (st == ST_OK && json_is_object(told) && !removed_told)
            st = providers_mail_changed(
                sql, p->account_id, json_string_value(json_object_get(told, "mail")),
                json_string_value(json_object_get(told, "name")),
                json_string_value(json_object_get(told, "by")), "was ended",
                json_is_true(json_object_get(told, "operator")),
                json_string_value(json_object_get(told, "projects_note")), p->roles_after);
        /* An admin of a staged account who changed their own role from
         * admin: the hand-over (members.c, transfer.h). */
        const json_t *handover = json_object_get(s->data, "handover");
        if (st == ST_OK && json_is_object(handover)) {
            json_t *h = with_repair(s, json_deep_copy(handover));
            /* A partner's person it removes reads in its mail that their
             * address left the recipients (round-19 walkthrough of seed
             * 000, D1; member-removed is not sent them). */
            if (left_recipients)
                json_object_set_new(h, "changed_left_recipients", json_true());
            st = transfer_finish_self_demotion(sql, p->account_id, s->actor, h);
            json_decref(h);
        }
        /* The last of the parent's people left a customer account: the
         * parent's back office ends (members.c, ends_back_office). */
        if (st == ST_OK && json_is_true(json_object_get(s->data, "ends_back_office")))
            st = transfer_end_back_office(sql, p->account_id, s->actor, p->person_uid);
        /* The mails of round-20 walkthrough of seed 001, D1 (members.c):
         * the account told of its parent's removal of a former person,
         * and the child accounts where a person removed from a partner
         * or distributor keeps roles. */
        const json_t *by_parent = json_object_get(s->data, "parent_removal");
        if (st == ST_OK && json_is_object(by_parent))
            st = queue_parent_removal(sql, s, by_parent, buf_str(&invitations), ninvitations,
                                      nproject);
        buf_free(&invitations);
        const json_t *kept_roles = json_object_get(s->data, "child_roles");
        if (st == ST_OK && json_is_object(kept_roles))
            st = queue_child_roles(sql, s, kept_roles);
        break;
    }
    case SAGA_PROJECT_ROLES: {
        const char *action = data_str(s, "action");
        json_t *o = json_pack("{s:I, s:s, s:o}", "project_id", (json_int_t)p->project_id, "uid",
                              p->person_uid, "roles", saga_plan_roles_json(p, p->roles_before));
        json_t *n = json_pack("{s:I, s:s, s:o}", "project_id", (json_int_t)p->project_id, "uid",
                              p->person_uid, "roles", saga_plan_roles_json(p, p->roles_after));
        st = audit_write(sql, s->actor, p->account_id, action ? action : "project.member.set", o,
                         with_repair(s, n));
        /* A person of the caller's tree added at once by a project
         * invitation is told so (invitations.c). */
        if (st == ST_OK)
            st = queue_added(sql, s, data_str(s, "place"));
        if (st == ST_OK)
            st = end_project_invitation(sql, s);
        if (st == ST_OK)
            st = queue_project_removed(sql, s);
        break;
    }
    case SAGA_ADD_MEMBER:
        st = finish_add_member(sql, s);
        break;
    case SAGA_ACCEPT:
        st = finish_accept(sql, s);
        break;
    default:
        return ST_ERROR;
    }
    /* A service provider who gave someone the service-provider role (a
     * PUT, a person added at once, an invitation they sent accepted): the
     * account's named contacts, else its admins, are told who gave it to
     * whom (members.c, invitations.c; round-19 walkthrough of seed 000,
     * D3), recorded with the plan. */
    const json_t *granted = json_object_get(s->data, "provider_granted");
    if (st == ST_OK && json_is_object(granted) && !p->project_id &&
        !(p->roles_before & ROLE_SERVICE_PROVIDER) && (p->roles_after & ROLE_SERVICE_PROVIDER))
        st = providers_mail_granted(sql, p->account_id, granted);
    if (st == ST_OK)
        st = saga_close_tx(sql, s, s->repair ? "finished by accountd maint" : "done");
    return st;
}

struct finish_arg {
    struct saga *s;
};

static int finish_tx(struct sql_store *sql, void *arg)
{
    return saga_finish_sql(sql, ((struct finish_arg *)arg)->s);
}

enum saga_outcome saga_commit(struct ldap_store *ls, struct sql_store *sql, struct saga *s,
                              int (*fn)(struct sql_store *sql, void *arg), void *arg, int *st)
{
    struct finish_arg fa = {s};
    if (!fn) {
        fn = finish_tx;
        arg = &fa;
    }
    *st = sql_transaction(sql, fn, arg);
    if (*st == ST_OK)
        return SAGA_DONE;
    if (sql_commit_unknown(sql)) {
        /* The connection died during COMMIT: read what MariaDB made of it. */
        char state[16];
        int r = intent_store_state(sql, s->intent_id, state, sizeof(state));
        if (r == ST_OK && strcmp(state, "done") == 0) {
            *st = ST_OK;
            return SAGA_DONE;
        }
        if (r != ST_OK || strcmp(state, "open") != 0) {
            log_error("account %llu: MariaDB was lost during the COMMIT of intent %llu (%s); the "
                      "repair job decides",
                      s->plan.account_id, s->intent_id, saga_kind_name(s->plan.kind));
            return SAGA_UNKNOWN;
        }
    }
    return saga_undo(ls, sql, s, "undone: the database refused or lost the change") == ST_OK
               ? SAGA_NOT_APPLIED
               : SAGA_UNKNOWN;
}

enum saga_outcome saga_change_roles(struct ldap_store *ls, struct sql_store *sql, struct saga *s,
                                    int *st)
{
    *st = saga_record_plan(sql, s);
    if (*st != ST_OK) {
        saga_release(sql, s, "not applied: the plan could not be recorded");
        return SAGA_NOT_APPLIED;
    }
    *st = saga_apply_roles(ls, s);
    if (*st != ST_OK)
        return saga_undo(ls, sql, s, "undone: the directory refused or lost a step") == ST_OK
                   ? SAGA_NOT_APPLIED
                   : SAGA_UNKNOWN;
    return saga_commit(ls, sql, s, NULL, NULL, st);
}

int saga_plan_leave_projects(struct ldap_store *ls, struct saga_plan *p, const char *taker_dn,
                             unsigned long long **sole, size_t *nsole)
{
    if (sole) {
        *sole = NULL;
        *nsole = 0;
    }
    struct role_grant *grants = NULL;
    struct project_grant *projects = NULL;
    size_t ngrants = 0, nprojects = 0;
    int st = ldap_store_all_grants_of(ls, p->person_dn, &grants, &ngrants, &projects, &nprojects);
    free(grants);
    for (size_t i = 0; st == ST_OK && i < nprojects; i++) {
        if (projects[i].account_id != p->account_id)
            continue;
        /* The project's groups as they are now, not the grant as the
         * cache had it, and its owners counted as people that exist. */
        struct role_group *groups;
        size_t ngroups;
        st =
            ldap_store_project_groups(ls, p->account_id, projects[i].project_id, &groups, &ngroups);
        if (st == ST_NOT_FOUND) {
            st = ST_OK; /* an LDAP administrator deleted it: nothing to take */
            continue;
        }
        if (st != ST_OK)
            break;
        struct member_index ix;
        member_index_build(&ix, groups, ngroups, 0);
        const struct member_entry *e = member_index_find(&ix, p->person_dn);
        unsigned roles = e ? e->roles : 0;
        size_t owners = 0;
        if (sole && (roles & PROJECT_OWNER))
            st = ldap_store_count_people(ls, &ix, PROJECT_OWNER, &owners);
        /* The taker's roles there, from the same groups. */
        const struct member_entry *t = taker_dn ? member_index_find(&ix, taker_dn) : NULL;
        unsigned taker = t ? t->roles : 0;
        member_index_free(&ix);
        role_groups_free(groups, ngroups);
        if (st != ST_OK || !roles)
            continue;
        saga_plan_project(p, projects[i].project_id, roles);
        if (sole && (roles & PROJECT_OWNER) && owners <= 1) {
            unsigned long long *grown = realloc(*sole, (*nsole + 1) * sizeof(*grown));
            if (!grown)
                abort();
            *sole = grown;
            (*sole)[(*nsole)++] = projects[i].project_id;
            if (taker_dn)
                saga_plan_take_project(p, p->nprojects - 1, taker_dn, taker, taker | PROJECT_OWNER);
        }
    }
    free(projects);
    if (st != ST_OK && sole) {
        free(*sole);
        *sole = NULL;
        *nsole = 0;
    }
    return st;
}

void saga_answer_failure(struct request *req, enum saga_outcome outcome, int st)
{
    if (outcome == SAGA_UNKNOWN) {
        res_header(req, "Retry-After", "5");
        refuse(req, 503, "outcome-unknown",
               "the change may or may not have been applied: a store failed half-way; the "
               "repair job (accountd maint) finishes or undoes it and records the outcome in "
               "the audit trail");
        return;
    }
    res_store_failure(req, st == ST_OK ? ST_ERROR : st, "the directory or the database");
}

/* ---- the repair job --------------------------------------------------- */

/* The other people's roles (plan.also), and the take-over's taker's in
 * the plan's projects (round-22 walkthrough of seed 001, D1; o->takers_now). */
static int observe_others(struct ldap_store *ls, struct saga *s, struct saga_observed *o)
{
    const struct saga_plan *p = &s->plan;
    for (size_t i = 0; i < p->nalso; i++) {
        int st = saga_plan_roles_of(ls, p, p->also[i].dn, &s->also_now[i]);
        if (st != ST_OK)
            return st;
    }
    if (p->taker_dn && p->nprojects) {
        o->takers_now = s->takers_now = xcalloc(p->nprojects, sizeof(unsigned));
        for (size_t i = 0; i < p->nprojects; i++) {
            int st = project_roles_of(ls, p->account_id, p->projects[i].id, p->taker_dn,
                                      &s->takers_now[i]);
            if (st != ST_OK)
                return st;
        }
    }
    return ST_OK;
}

/* What LDAP holds of the intent's change. s->plan.person_* are filled in
 * from the marked person of a create. */
static int observe(struct ldap_store *ls, struct saga *s, struct saga_observed *o)
{
    struct saga_plan *p = &s->plan;
    memset(o, 0, sizeof(*o));
    int st = ST_OK;
    if (p->create_account || p->kind == SAGA_CONTACT)
        return ST_OK; /* always undone: nothing to look at */
    if (p->nalso)
        o->also_now = s->also_now = xcalloc(p->nalso, sizeof(unsigned));
    if (p->create_person) {
        char *marker = saga_person_marker(s->intent_id);
        struct person found;
        st = ldap_store_marked_person(ls, p->person_mail, marker, &found, &o->person_has_password);
        free(marker);
        if (st == ST_NOT_FOUND)
            return observe_others(ls, s, o);
        if (st != ST_OK)
            return st;
        o->person_found = 1;
        free(p->person_dn);
        free(p->person_uid);
        p->person_dn = xstrdup(found.dn);
        p->person_uid = xstrdup(found.uid);
        person_free(&found);
    } else if (p->person_uid && p->person_dn) {
        struct person found;
        st = ldap_store_find_person(ls, "uid", p->person_uid, &found);
        if (st == ST_NOT_FOUND)
            return observe_others(ls, s, o);
        if (st != ST_OK)
            return st;
        o->person_found = ldap_dn_equal(found.dn, p->person_dn);
        person_free(&found);
    } else {
        return observe_others(ls, s, o);
    }
    if (o->person_found)
        st = saga_plan_roles_of(ls, p, p->person_dn, &o->roles_now);
    if (st == ST_OK && o->person_found && p->nprojects) {
        o->projects_now = s->projects_now = xcalloc(p->nprojects, sizeof(unsigned));
        for (size_t i = 0; st == ST_OK && i < p->nprojects; i++)
            st = project_roles_of(ls, p->account_id, p->projects[i].id, p->person_dn,
                                  &s->projects_now[i]);
    }

    return st == ST_OK ? observe_others(ls, s, o) : st;
}

static int run_undo_steps(struct ldap_store *ls, struct sql_store *sql, const struct saga *s,
                          const struct saga_step *steps, size_t n)
{
    const struct saga_plan *p = &s->plan;
    for (size_t i = 0; i < n; i++) {
        int st = ST_OK;
        switch (steps[i].op) {
        case SAGA_OP_PERSON_DEL:
            st = ldap_store_delete_entry(ls, p->person_dn);
            break;
        case SAGA_OP_ACCOUNT_DEL:
            /* LDAP first: a row without entries is harmless, entries
             * without a row would be orphans. */
            st = ldap_store_delete_account(ls, p->account_id);
            if (st == ST_OK)
                st = account_delete_pending(sql, p->account_id);
            break;
        default:
            st = run_role_step(ls, p, &steps[i]);
            break;
        }
        if (st == ST_NOT_FOUND)
            st = ST_OK;
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

struct undone_arg {
    struct saga *s;
    const struct saga_observed *o;
};

static int undone_tx(struct sql_store *sql, void *arg)
{
    struct undone_arg *u = arg;
    struct saga *s = u->s;
    const struct saga_plan *p = &s->plan;
    json_t *o = json_pack("{s:I, s:s, s:s?, s:o}", "intent_id", (json_int_t)s->intent_id, "kind",
                          saga_kind_name(p->kind), "uid", p->person_uid, "roles_found",
                          saga_plan_roles_json(p, u->o->roles_now));
    json_t *n = json_pack("{s:s, s:o, s:b, s:b, s:s}", "outcome", "undone", "roles",
                          saga_plan_roles_json(p, p->create_person ? 0 : p->roles_before),
                          "person_removed", p->create_person && u->o->person_found,
                          "account_removed", p->create_account, "requested_by", s->actor);
    int st = audit_write(sql, "accountd-maint", p->account_id, "repair.undo", o, n);
    if (st == ST_OK)
        st = intent_store_close_tx(sql, s->intent_id, p->account_id, 1, "undone by accountd maint");
    return st;
}

/* Decides and repairs one intent: ST_OK, or the status that stopped it. */
static int repair_one(struct ldap_store *ls, struct sql_store *sql, const struct intent_row *row,
                      const char **what)
{
    struct saga s = {.intent_id = row->id, .actor = xstrdup(row->actor), .repair = 1};
    json_t *plan = row->plan ? json_loads(row->plan, 0, NULL) : NULL;
    s.data = row->data ? json_loads(row->data, 0, NULL) : json_object();
    int st = ST_OK;
    if (!plan || saga_plan_from_json(plan, &s.plan) < 0) {
        /* No plan recorded: no LDAP write was made. */
        saga_plan_free(&s.plan);
        s.plan.kind = saga_kind_from_name(row->kind);
        if (!s.plan.kind)
            s.plan.kind = SAGA_CONTACT;
        s.plan.account_id = row->account_id;
    }
    json_decref(plan);
    struct saga_observed o;
    st = observe(ls, &s, &o);
    if (st == ST_OK) {
        /* A hand-over too: its SQL side runs from the intent's data
         * (saga_finish_sql, transfer_finish_sql). */
        int finish = saga_decide(&s.plan, &o) == SAGA_FINISH;
        if (finish) {
            *what = "finished";
            struct finish_arg fa = {&s};
            st = sql_transaction(sql, finish_tx, &fa);
            /* The SQL side refuses it now (an invitation revoked since):
             * the LDAP side goes too. */
            finish = st != ST_CONFLICT;
        }
        if (!finish) {
            *what = "undone";
            size_t n;
            struct saga_step *steps = saga_undo_steps(&s.plan, &o, &n);
            st = run_undo_steps(ls, sql, &s, steps, n);
            free(steps);
            struct undone_arg u = {&s, &o};
            if (st == ST_OK)
                st = sql_transaction(sql, undone_tx, &u);
        }
    }
    saga_free(&s);
    return st;
}

int saga_repair(struct ldap_store *ls, struct sql_store *sql, int min_age, int *repaired)
{
    struct intent_row *rows;
    size_t n;
    *repaired = 0;
    if (intent_store_open(sql, min_age, &rows, &n) != ST_OK)
        return -1;
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *what = "repaired";
        int st = repair_one(ls, sql, &rows[i], &what);
        if (st == ST_OK) {
            printf("intent %llu (%s, account %llu): %s\n", rows[i].id, rows[i].kind,
                   rows[i].account_id, what);
            (*repaired)++;
        } else {
            fprintf(stderr, "accountd maint: intent %llu (%s, account %llu) could not be %s now\n",
                    rows[i].id, rows[i].kind, rows[i].account_id, what);
            failed++;
        }
    }
    intent_rows_free(rows, n);
    return failed;
}
