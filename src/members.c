/*
 * members: the people of an account and their roles (LDAP role groups).
 * Role changes are sagas (saga.h) serialised per account by its guard
 * (accounts.intent_id), so two admins removing each other cannot leave the
 * account without an admin; each change writes an audit row in the short
 * transaction that closes its intent.
 */
#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "caller.h"
#include "contacts.h"
#include "contacts_store.h"
#include "handlers.h"
#include "invitations.h"
#include "invitations_store.h"
#include "ldap_store.h"
#include "mail_names.h"
#include "projects_store.h"
#include "providers.h"
#include "providers_store.h"
#include "role_holders.h"
#include "saga.h"
#include "sql_store.h"
#include "template.h"
#include "transfer.h"
#include "transfer_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The account's people by uid (uids compare without regard to case, as
 * LDAP does), paged in memory (res_items_page). */
void members_list(struct request *req)
{
    struct account_ref a = req->account;
    size_t offset;
    long limit;
    if (page_query(req, &offset, &limit) < 0)
        return;
    int st;
    json_t *items = members_json(req, a.id, &st);
    if (!items) {
        res_store_failure(req, st, "the directory");
        return;
    }
    res_items_page(req, json_sorted(items, json_cmp_uid), offset, limit);
}

/* One answer for a uid nobody has and for a person who is no member here:
 * the answer never tells whether a uid exists outside the account. */
static const char NO_MEMBER[] =
    "no such member of this account; people join by invitation (invite them by e-mail)";

/* One member as the list shows them, {uid, name, mail, roles}: the
 * Location of an invitation that added a person at once (round-8
 * walkthrough of seeds 003 and 004). Read from the account's role groups
 * as the list is; a uid nobody has and a person who is no member are the
 * same 404 as PUT and DELETE answer. */
void members_get(struct request *req)
{
    if (body_none(req))
        return;
    const char *uid = req->args[1];
    struct person person = {0};
    unsigned roles = 0;
    int st = validate_uid(uid) ? ST_NOT_FOUND
                               : ldap_store_find_person(req->session->ldap, "uid", uid, &person);
    if (st == ST_OK)
        st = ldap_store_roles_of(req->session->ldap, req->account.id, person.dn, &roles);
    if (st == ST_OK && !roles)
        st = ST_NOT_FOUND;
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "%s", NO_MEMBER);
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory");
    else
        res_json(req, 200,
                 json_pack("{s:s, s:s?, s:s?, s:o}", "uid", person.uid, "name", person.name, "mail",
                           person.mail, "roles", roles_json(roles)));
    person_free(&person);
}

/* The parent's people who hold billing without admin in the account
 * (ix): the hand-over moves them to service-provider only too (round-4
 * walkthrough of seed 000, D1). *moved people (uid, dn), (*before)[i] their
 * roles now. */
static int partner_billing(struct request *req, const struct member_index *ix,
                           const struct member_index *parent, struct person **moved,
                           unsigned **before, size_t *nmoved)
{
    const char **dns = xcalloc(ix->n + 1, sizeof(char *));
    size_t ndns = 0;
    for (size_t m = 0; m < ix->n; m++) {
        const struct member_entry *e = &ix->entries[m];
        if ((e->roles & ROLE_BILLING) && !(e->roles & ROLE_ADMIN) && parent->n &&
            member_index_find_norm(parent, e->norm))
            dns[ndns++] = e->raw;
    }
    int st = ldap_store_people_by_dn(req->session->ldap, dns, ndns, moved, nmoved);
    free(dns);
    if (st != ST_OK)
        return st;
    *before = xcalloc(*nmoved + 1, sizeof(unsigned));
    for (size_t i = 0; i < *nmoved; i++) {
        const struct member_entry *e = member_index_find(ix, (*moved)[i].dn);
        (*before)[i] = e ? e->roles : ROLE_BILLING;
    }
    return ST_OK;
}

/* The hand-over by self-demotion's people to move besides the caller,
 * and the partner's people who stay admin through it (a colleague of the
 * person who demotes themselves: round-19 walkthrough of seed 000, D4). */
struct handover_moves {
    struct person *people;
    unsigned *before;
    size_t n;
    struct person *still_admins;
    size_t nstill;
};

static void handover_moves_free(struct handover_moves *m)
{
    for (size_t i = 0; i < m->n; i++)
        person_free(&m->people[i]);
    free(m->people);
    free(m->before);
    for (size_t i = 0; i < m->nstill; i++)
        person_free(&m->still_admins[i]);
    free(m->still_admins);
    memset(m, 0, sizeof(*m));
}

/* The roles of the people who prepared a staged account are the
 * provider's to change, as its hand-over and its close are (round-26
 * walkthrough of seed 000, D1: the customer's admin, refused the close,
 * set the partner to member in one PUT, which handed the account over to
 * her, and then closed it). Someone not of the provider's side who
 * changes or removes person, a person of that side (parent) holding
 * roles here, gets the 403 of the hand-over's steps, before anything is
 * written, whether or not a hand-over (POST .../transfer) is pending; it
 * replaces round 24's 409 (D2), which held only while one was. Such a
 * change is the only one of theirs that could hand the account over
 * while an admin of that side remains; once none remains (a change made
 * outside accountd), any admin's change completes the hand-over, as the
 * 403's detail says. Decided on what find_handover has read (ix, the
 * side's groups, the account's admins, whose names of that side the
 * detail gives): no further read but the parent's name. ST_REFUSED with
 * the 403 in *ref, a store status, or ST_OK when it does not apply. */
static int refuse_preparers_roles(struct request *req, const struct account_ref *a,
                                  const struct member_index *ix, const struct member_index *parent,
                                  const struct person *person, const struct person *admins,
                                  size_t nadmins, struct problem *ref)
{
    /* An admin of that side before the change: person, or another. */
    const struct member_entry *target = member_index_find(ix, person->dn);
    int side_admin = target && (target->roles & ROLE_ADMIN);
    size_t nside = 0;
    for (size_t i = 0; i < nadmins; i++) {
        if (!member_index_find(parent, admins[i].dn))
            continue;
        nside++;
        if (admins[i].uid && strcasecmp(admins[i].uid, person->uid) != 0)
            side_admin = 1;
    }
    if (!side_admin)
        return ST_OK;
    struct buf names = BUF_INIT;
    for (size_t i = 0, k = 0; i < nadmins; i++) {
        if (!member_index_find(parent, admins[i].dn))
            continue;
        k++;
        buf_printf(&names, "%s%s",
                   k == 1       ? ""
                   : k == nside ? " and "
                                : ", ",
                   admins[i].name ? admins[i].name : admins[i].uid);
    }
    int st = transfer_refuse_preparers_roles(req, a, buf_str(&names), ref);
    buf_free(&names);
    return st;
}

/* The hand-over's invariant (docs/api.md, "Staging and hand-over";
 * round-16 walkthrough of seed 000, D1): on a staged account with a
 * parent, a change of person's roles to wanted (none: removal), by anyone,
 * after which no person of the parent is admin while at least one admin
 * who is no person of the parent (the customer) remains, is the hand-over;
 * so is a person of the parent's self-demotion from admin while a customer
 * admin remains, also when a partner colleague stays admin (round 2, D5;
 * a customer admin's own demotion is not: round-20 walkthrough of seed
 * 000, D1). It replaces the narrower rules of rounds 2, 13 (N1) and 15
 * (D3): the partner's last admin who leaves while a colleague stays as
 * service provider hands it over too. On a staged account without a
 * parent operator staff (any role in the operator account) stand for the
 * parent's people (transfer_side_account; round-17 walkthrough of seed
 * 000, D1). Counts people, not DNs (a deleted entry is nobody). Sets
 * *handover, *customer (the uid, malloc'ed, when exactly one customer
 * admin remains; else NULL: accountd does not guess), *owners (a new array
 * of the customer admins after it, {uid, name, mail}; NULL when no
 * hand-over), *target_is_parents (person is a person of the parent) and
 * the parent's billing people to move; or ST_REFUSED with the 403 of a
 * change of the preparers' roles by someone not of the provider's side
 * recorded in *ref (refuse_preparers_roles), decided before the hand-over
 * is looked for. One LDAP read of the parent's role groups and one of the admins. */
static int find_handover(struct request *req, const struct account_ref *a,
                         const struct person *person, unsigned wanted,
                         const struct member_index *ix, int *handover, char **customer,
                         json_t **owners, int *target_is_parents, struct handover_moves *moves,
                         struct problem *ref)
{
    *handover = 0;
    *customer = NULL;
    *owners = NULL;
    *target_is_parents = 0;
    if (strcmp(a->status, "staged") != 0)
        return ST_OK;
    /* The provider's side: the parent, or operator staff for an account
     * without one (round-17 walkthrough of seed 000, D1: a parentless
     * staged account was never handed over). */
    unsigned long long side = transfer_side_account(req, a->id, a->parent_id);
    if (!side)
        return ST_OK;
    struct member_index parent = {0};
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    int st = ldap_store_role_groups(req->session->ldap, &side, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    member_index_build(&parent, groups, ngroups, side);
    struct person *admins = NULL;
    size_t nadmins = 0;
    st = ldap_store_people_with_role(req->session->ldap, ix, ROLE_ADMIN, &admins, &nadmins);
    size_t customers = 0, partners = 0;
    const char *found = NULL;
    json_t *list = json_array();
    *target_is_parents = member_index_find(&parent, person->dn) != NULL;
    if (st == ST_OK && *target_is_parents && transfer_staged_not_provider_side(req, a))
        st = refuse_preparers_roles(req, a, ix, &parent, person, admins, nadmins, ref);
    /* The partner's admins who stay admin (at most all of them). */
    struct person *still = xcalloc(nadmins + 2, sizeof(*still));
    size_t nstill = 0;
    for (size_t i = 0; st == ST_OK && i <= nadmins; i++) {
        /* The admins other than person as they are, then person as the
         * change leaves them. */
        const struct person *p = i < nadmins ? &admins[i] : person;
        if (i < nadmins && (!p->uid || strcasecmp(p->uid, person->uid) == 0))
            continue;
        if (i == nadmins && !(wanted & ROLE_ADMIN))
            continue;
        if (member_index_find(&parent, p->dn)) {
            partners++;
            if (i < nadmins) {
                still[nstill++] = admins[i];
                memset(&admins[i], 0, sizeof(admins[i]));
            }
            continue;
        }
        customers++;
        found = p->uid;
        json_array_append_new(
            list, json_pack("{s:s, s:s?, s:s?}", "uid", p->uid, "name", p->name, "mail", p->mail));
    }
    /* The seed's self-demotion (round 2, D5; round-3 O1) hands over while
     * a customer admin remains even when a partner colleague stays admin
     * too. It is the provider's step: only a person of the parent (operator
     * staff on an account without one) demoting themselves makes it
     * (round-20 walkthrough of seed 000, D1: a customer admin who gave up
     * admin while another customer admin remained handed the account over
     * with the partner still a full admin). A customer admin's own change
     * is an ordinary role change while a person of the parent stays
     * admin. */
    const struct member_entry *target = member_index_find(ix, person->dn);
    int self_demotion = *target_is_parents && strcasecmp(person->uid, req->caller.uid) == 0 &&
                        wanted && !(wanted & ROLE_ADMIN) && target && (target->roles & ROLE_ADMIN);
    if (st == ST_OK && customers > 0 && (partners == 0 || self_demotion)) {
        *handover = 1;
        *customer = customers == 1 ? xstrdup(found) : NULL;
        *owners = list;
        list = NULL;
        st = partner_billing(req, ix, &parent, &moves->people, &moves->before, &moves->n);
        /* The partner colleagues it leaves admin are named to the new
         * owner and told themselves (round-19 walkthrough of seed 000,
         * D4). */
        moves->still_admins = still;
        moves->nstill = nstill;
        still = NULL;
        nstill = 0;
    }
    for (size_t i = 0; i < nstill; i++)
        person_free(&still[i]);
    free(still);
    json_decref(list);
    for (size_t i = 0; i < nadmins; i++)
        person_free(&admins[i]);
    free(admins);
    member_index_free(&parent);
    role_groups_free(groups, ngroups);
    return st;
}

/* The bare last-admin rule, or with a pointer to the pending ordinary
 * admin invitations of the account (round-15 walkthrough of seed 000, D2:
 * the seed's "invite, then change your role" with a single partner admin
 * got the bare rule, as after POST .../transfer in round 14). leaving: the
 * change is the caller's DELETE of themselves, who is told to leave, not
 * to change their role, once it is accepted (round-17 walkthrough of seed
 * 004, D5). A staged account with none pending says what comes first:
 * the customer invited as admin, or POST .../transfer (round-23
 * walkthrough of seed 000, D3). */
static int last_admin_invited(struct request *req, const struct account_ref *a, struct problem *ref,
                              const char *rule, int leaving)
{
    json_t *items = NULL;
    int st = invitations_pending(req->session->sql, a->id, 0, &items);
    if (st != ST_OK)
        return st;
    struct buf b = BUF_INIT;
    buf_adds(&b, rule);
    size_t named = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        const char *role = json_string_value(json_object_get(it, "role"));
        const char *purpose = json_string_value(json_object_get(it, "purpose"));
        const char *by = json_string_value(json_object_get(it, "invited_by"));
        if (!json_is_null(json_object_get(it, "project_id")) || !role ||
            strcmp(role, "admin") != 0 || (purpose && strcmp(purpose, "transfer") == 0))
            continue;
        buf_printf(&b,
                   "; %s invitation of %s as an administrator (invitation %s) is pending: %s "
                   "once it has been accepted",
                   by && strcasecmp(by, req->caller.uid) == 0 ? "your" : "the",
                   json_string_value(json_object_get(it, "email")),
                   json_string_value(json_object_get(it, "id")),
                   leaving ? "leave" : "change your role");
        named++;
    }
    json_decref(items);
    /* A staged account with no customer admin on the way: the seed's
     * last step ("change your access role to Service Provider") taken
     * before its first ones (round-23 walkthrough of seed 000, D3). */
    if (!named && strcmp(a->status, "staged") == 0)
        buf_printf(&b,
                   "; the account is staged: invite its customer as an administrator first (POST "
                   "/api/v1/accounts/%llu/invitations with role admin) and %s once they have "
                   "accepted, or hand it over with POST /api/v1/accounts/%llu/transfer",
                   a->id, leaving ? "leave" : "change your role", a->id);
    st = problem_set(ref, 409, "last-admin", buf_str(&b));
    buf_free(&b);
    return st;
}

/* A change of the caller's own roles that would end their right to send
 * an invitation of theirs that is still pending here (round-15
 * walkthrough of seed 000, D1: the seed's "invite, then change your role
 * to Service Provider" silently killed the customer's invitation while a
 * colleague stayed admin) is 409 conflict naming them. The rule is the
 * accept's (invitation_roles_keep), on the roles before and after, so
 * that this refusal and the accept's 410 agree. Account invitations only:
 * a project invitation's sender may keep it alive as the project's owner.
 * Operator staff keep every invitation alive. */
static int own_invitations_die(struct request *req, const struct account_ref *a,
                               const struct person *person, unsigned before, unsigned after,
                               struct problem *ref)
{
    if (strcasecmp(person->uid, req->caller.uid) != 0 || req->caller.is_operator)
        return ST_OK;
    json_t *items = NULL;
    int st = invitations_pending(req->session->sql, a->id, 0, &items);
    if (st != ST_OK)
        return st;
    struct buf list = BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        const char *role = json_string_value(json_object_get(it, "role"));
        const char *purpose = json_string_value(json_object_get(it, "purpose"));
        const char *by = json_string_value(json_object_get(it, "invited_by"));
        if (!json_is_null(json_object_get(it, "project_id")) || !role || !by ||
            strcasecmp(by, req->caller.uid) != 0)
            continue;
        int transfer = purpose && strcmp(purpose, "transfer") == 0;
        unsigned bit = role_bit(role);
        if (!invitation_roles_keep(before, bit, 0, transfer) ||
            invitation_roles_keep(after, bit, 0, transfer))
            continue;
        /* The role as the mails name it (round-16 walkthrough of seed
         * 004, D2: "as member"). */
        buf_printf(&list, "%s%s as %s (invitation %s)", n ? ", " : "",
                   json_string_value(json_object_get(it, "email")), template_role_title(role),
                   json_string_value(json_object_get(it, "id")));
        n++;
    }
    json_decref(items);
    if (n) {
        const char *gives_up = !after ? "left the account"
                               : (before & ROLE_ADMIN) && !(after & ROLE_ADMIN)
                                   ? "gave up admin"
                                   : "gave up service-provider";
        /* What to wait for says what the caller is doing (round-17
         * walkthrough of seed 004, D5: a contact handing over and leaving
         * read "change your role"), and the way that keeps the invitation
         * is named: another administrator resends it and becomes its
         * sender (invitations.c). One is there: the last admin got 409
         * last-admin before this check. */
        const char *then = !after ? "leave" : "change your role";
        struct buf detail = BUF_INIT;
        if (n == 1)
            buf_printf(&detail,
                       "your invitation of %s is still pending: it would stop working if you %s "
                       "now; %s once it has been accepted, or have another administrator resend "
                       "it (they become its sender; the invitee gets a new link), or revoke it "
                       "first",
                       buf_str(&list), gives_up, then);
        else
            buf_printf(&detail,
                       "your invitations of %s are still pending: they would stop working if you "
                       "%s now; %s once they have been accepted, or have another administrator "
                       "resend them (they become their sender; the invitees get new links), or "
                       "revoke them first",
                       buf_str(&list), gives_up, then);
        st = problem_set(ref, 409, "conflict", buf_str(&detail));
        buf_free(&detail);
    }
    buf_free(&list);
    return st;
}

/* The 409 last-admin of a change that would leave the account without an
 * admin. On a staged account with a pending hand-over it says that
 * nothing more is needed (round-14 walkthrough of seed 000, D2: the
 * partner who followed the seed's "change your role to Service Provider"
 * after POST .../transfer got the bare rule): the accept makes the
 * provider's people service providers. */
static int last_admin(struct request *req, const struct account_ref *a, struct problem *ref,
                      int leaving)
{
    static const char rule[] = "an account always keeps at least one admin";
    unsigned long long invitation_id = 0;
    char *email = NULL;
    int expired = 0;
    int st = ST_NOT_FOUND;
    if (strcmp(a->status, "staged") == 0)
        st = transfer_pending_invitee(req->session->sql, a->id, &invitation_id, &email, &expired);
    if (st == ST_NOT_FOUND)
        return last_admin_invited(req, a, ref, rule, leaving);
    if (st != ST_OK)
        return st;
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "%s; a hand-over to %s is pending (invitation %llu): when it is accepted, the "
               "provider's people become service providers by themselves%s",
               rule, email, invitation_id,
               expired ? " (its link has expired: resend it for a new one)" : "");
    st = problem_set(ref, 409, "last-admin", buf_str(&b));
    buf_free(&b);
    free(email);
    return st;
}

/* The 409 contact-admin of a hand-over that leaves several customer
 * admins (round-16 walkthrough of seed 000, D2): accountd does not guess
 * which of them becomes contact, so the detail names them. self: the
 * contact is the caller, who reads "you are" (round-18 walkthrough of
 * seed 004, D3). */
static int contact_admin_choose(struct problem *ref, unsigned long long account_id,
                                const char *kind, const json_t *owners, int self)
{
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "%s the account's %s contact, who must be an admin; this change hands the account "
               "over to its customer, whose admins are ",
               self ? "you are" : "that person is", kind[0] == 'p' ? "primary" : "technical");
    size_t n = json_array_size(owners);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(owners, i);
        const char *uid = json_string_value(json_object_get(o, "uid"));
        const char *name = json_string_value(json_object_get(o, "name"));
        buf_printf(&b, "%s%s%s%s%s",
                   i == 0       ? ""
                   : i + 1 == n ? " and "
                                : ", ",
                   name ? name : uid, name ? " (" : "", name ? uid : "", name ? ")" : "");
    }
    buf_printf(&b,
               ": name one of them %s contact first (PUT /api/v1/accounts/%llu/contacts/%s with "
               "{\"uid\": <their uid>})",
               kind[0] == 'p' ? "primary" : "technical", account_id,
               kind[0] == 'p' ? "primary" : "technical");
    int st = problem_set(ref, 409, "contact-admin", buf_str(&b));
    buf_free(&b);
    return st;
}

/* What a person of the provider's side (the parent's people; operator
 * staff without a parent) who holds roles (not admin) in a handed-over
 * account reads when they change their own roles (round-19 walkthrough of
 * seed 000, D1: the partner the customer had made a service provider
 * followed his mail's "change your own role to service provider" and read
 * only "a service provider cannot change their own roles"): who handed it
 * over, from the trail's transfer.complete row, and what they are in it
 * now. *out NULL (ST_OK) where it does not apply. One SQL read and one
 * LDAP read, on this refusal (or no-op) only. */
static int handed_over_note(struct request *req, const struct account_ref *a, unsigned roles,
                            char **out)
{
    *out = NULL;
    if (!a->handed_over)
        return ST_OK;
    unsigned long long side = transfer_side_account(req, a->id, a->parent_id);
    if (!side || !caller_roles(req, side))
        return ST_OK;
    char *uid = NULL;
    int by_role_change = 0;
    int st = transfer_completed_by(req->session->sql, a->id, &uid, &by_role_change);
    if (st == ST_NOT_FOUND)
        st = ST_OK;
    struct buf b = BUF_INIT;
    buf_adds(&b, "the account was already handed over to its customer");
    if (st == ST_OK && uid && req->caller.uid && strcasecmp(uid, req->caller.uid) == 0) {
        buf_adds(&b, " by your own change");
    } else if (st == ST_OK && uid) {
        struct person p = {0};
        int found = ldap_store_find_person(req->session->ldap, "uid", uid, &p);
        if (found != ST_OK && found != ST_NOT_FOUND)
            st = found;
        const char *who = found == ST_OK && p.name ? p.name : uid;
        if (by_role_change)
            buf_printf(&b, " by %s", who);
        else
            buf_printf(&b, " when %s accepted its transfer", who);
        person_free(&p);
    }
    buf_adds(&b, "; you are ");
    mail_role_titles(&b, roles);
    buf_adds(&b, " of it");
    free(uid);
    if (st == ST_OK)
        *out = buf_detach(&b);
    buf_free(&b);
    return st;
}

/* The removal of the parent's former person by an admin of the parent
 * who is no admin of the account (round-20 walkthrough of seed 001, D1;
 * docs/api.md, "The parent's admins remove a former colleague from the
 * accounts they created"): what change_roles and check_role_change need
 * of it. */
struct parent_removal {
    int active;             /* the rule lets the caller remove the person */
    int takes_over;         /* the person is the account's last admin: the caller becomes admin */
    unsigned caller_before; /* the caller's roles in the account before (takes_over) */
    unsigned contacts;      /* CONTACT_* kinds the person holds, which move to the caller */
    char *parent_name;      /* malloc'ed, for the refusal and the mails: parent_name_read */
    json_t *projects_taken; /* the take-over's projects: [{id, name}] (a new reference) */
};

static void parent_removal_free(struct parent_removal *pr)
{
    free(pr->parent_name);
    json_decref(pr->projects_taken);
    memset(pr, 0, sizeof(*pr));
}

/* pr->parent_name, read once where a refusal or a mail says it. */
static int parent_name_read(struct request *req, const struct account_ref *a,
                            struct parent_removal *pr)
{
    return pr->parent_name ? ST_OK
                           : account_name_get(req->session->sql, a->parent_id, &pr->parent_name);
}

/* Does the caller reach this DELETE as an admin of the account's parent
 * only: no admin role in the account itself, an admin of its parent (not
 * closed), no operator staff? The router decided it when it let them in
 * by the route's ROUTE_PARENT_ADMIN (routes.c, caller.c:
 * account_ref.by_parent_admin). */
static int by_parent_admin(const struct account_ref *a, int removal)
{
    return removal && a->by_parent_admin;
}

/* The rule (docs/api.md): the parent's admins may remove from a child
 * account a person who created it (accounts.created_by, the audit's
 * account.create actor: a child is created by an admin of its parent or
 * by operator staff), who holds no role in the parent's role groups any
 * more and who is no operator staff. Whatever else the person holds or
 * held, their roles in the account came from the parent's side; the
 * customer's own people never created the account. One SQL statement and
 * two directory reads (the cache while it is live), on this write path
 * only. Sets pr->active. */
static int parent_former_person(struct request *req, const struct account_ref *a,
                                const struct person *person, struct parent_removal *pr)
{
    char ids[32];
    snprintf(ids, sizeof(ids), "[%llu]", a->id);
    struct held_child *kids = NULL;
    size_t nkids = 0;
    unsigned long total = 0;
    int st = account_children_among(req->session->sql, a->parent_id, ids, person->uid, 1, &kids,
                                    &nkids, &total);
    int created = st == ST_OK && nkids == 1 && kids[0].created;
    account_held_children_free(kids, nkids);
    unsigned in_parent = 0;
    if (st == ST_OK && created)
        st = ldap_store_roles_of(req->session->ldap, a->parent_id, person->dn, &in_parent);
    if (st == ST_NOT_FOUND)
        st = ST_OK, in_parent = 0;
    int staff = 0;
    if (st == ST_OK && created && !in_parent)
        st = person_is_operator(req, person->dn, &staff);
    pr->active = st == ST_OK && created && !in_parent && !staff;
    return st;
}

/* The 403 to an admin of the parent whom the rule does not let remove
 * this person: the same for a uid nobody has, a person who is no member
 * and the account's own people, so that it tells nothing about the
 * account's people. roles: the caller's roles in the account. ST_REFUSED,
 * or the store's status when the parent's name cannot be read. */
static int refuse_parent_admin(struct request *req, const struct account_ref *a,
                               struct parent_removal *pr, unsigned roles)
{
    int st = parent_name_read(req, a, pr);
    if (st != ST_OK)
        return st;
    const char *parent = pr->parent_name && *pr->parent_name ? pr->parent_name : "its parent";
    struct buf b = BUF_INIT;
    if (roles)
        buf_adds(&b, "your role in this account does not allow this: it needs admin or "
                     "service-provider");
    else
        buf_adds(&b, "you are not a member of this account");
    buf_printf(&b,
               "; as an administrator of %s you may remove from it only a person who created it "
               "for %s and holds no role in %s any more",
               parent, parent, parent);
    st = problem_set(&req->problem, 403, "forbidden", buf_str(&b));
    buf_free(&b);
    return st;
}

/* The service provider's no-op (round-19 walkthrough of seed 000, D2;
 * round-20 walkthrough of seed 000, D3): who may name their own roles
 * (self) and be answered 200 with nothing written when those are the
 * roles they hold: anyone but operator staff and the account's admins
 * (and the parent's admin removing the parent's former person, who acts
 * as an admin: check_role_change), for a change to some roles. */
static int own_roles_noop_rule(const struct request *req, const struct account_ref *a, int self,
                               unsigned wanted)
{
    return self && wanted && !req->caller.is_operator && !(a->roles & ROLE_ADMIN);
}

/* The checks of a role change, on the account's role groups as read
 * under its guard: ST_OK with *before, or ST_REFUSED with the refusal.
 * The hand-over (find_handover: *handover, *customer_admin, *owners,
 * *target_is_parents, moves) is decided here on every change of a staged
 * account, so that the contact rule below knows it. removal: a DELETE,
 * which also takes a person who holds project roles in the account and
 * no account role (round-19 walkthrough of seed 003, D4): for it a person
 * without account roles is no 404 here; change_roles answers 404 when
 * they hold no project role either. */
static int check_role_change(struct request *req, const struct account_ref *a,
                             const struct person *person, unsigned wanted, unsigned *before,
                             int self, int removal, int *handover, char **customer_admin,
                             json_t **owners, int *target_is_parents, struct handover_moves *moves,
                             int stale, int *noop, struct parent_removal *pr, struct problem *ref)
{
    *noop = 0;
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(req->session->ldap, &a->id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    /* Each member DN normalised once (an account may have thousands). */
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, a->id);
    const struct member_entry *target = member_index_find(&ix, person->dn);
    *before = target ? target->roles : 0;
    /* The caller's own roles here as the groups hold them: the parent's
     * admin who takes the last admin's place keeps them, with admin. */
    if (pr->active && req->caller.dn) {
        const struct member_entry *me = member_index_find(&ix, req->caller.dn);
        pr->caller_before = me ? me->roles : 0;
    }
    /* A service provider who names exactly the roles they hold changes
     * nothing (round-19 walkthrough of seed 000, D2: the seed's
     * self-demotion form sent twice answered 403 after the first had
     * handed the account over): 200, as an admin's no-op, with nothing
     * written; no hand-over is looked for. The parent's admin removing
     * the parent's former person acts as an admin would (round-20
     * walkthrough of seed 001, D1). */
    int full = req->caller.is_operator || (a->roles & ROLE_ADMIN) || pr->active;
    if (!pr->active && own_roles_noop_rule(req, a, self, wanted) && wanted == *before) {
        member_index_free(&ix);
        role_groups_free(groups, ngroups);
        *noop = 1;
        return ST_OK;
    }
    /* A stale If-Match / _version let through for that no-op alone
     * (round-20 walkthrough of seed 000, D3: the self-demotion form sent
     * twice with its _version answered 412 after the first had handed the
     * account over): any real change is 412, as before. */
    if (stale) {
        member_index_free(&ix);
        role_groups_free(groups, ngroups);
        return problem_set(ref, 412, "precondition-failed", ACCOUNT_STALE_DETAIL);
    }
    /* The last-admin guard counts people, not DNs: a DN whose entry was
     * deleted (a directory without slapo-refint) is nobody. */
    size_t admins = 0;
    if ((*before & ROLE_ADMIN) && !(wanted & ROLE_ADMIN)) {
        struct person *people = NULL;
        st = ldap_store_people_with_role(req->session->ldap, &ix, ROLE_ADMIN, &people, &admins);
        if (st == ST_OK) {
            for (size_t i = 0; i < admins; i++)
                person_free(&people[i]);
            free(people);
        }
    }
    if (st == ST_OK && *before)
        st = find_handover(req, a, person, wanted, &ix, handover, customer_admin, owners,
                           target_is_parents, moves, ref);
    member_index_free(&ix);
    role_groups_free(groups, ngroups);
    if (st != ST_OK)
        return st;

    /* People join by invitation (which adds a person LDAP knows at once);
     * a uid that is no member here is 404 whatever the body says, so
     * nobody learns about people outside the account this way. */
    if (*before == 0 && !removal)
        return problem_set(ref, 404, "not-found", NO_MEMBER);
    /* A service provider manages non-admin people only, and not
     * themselves: roles they gave themselves would outlast the access the
     * customer limits (expires_at) or revokes. Leaving (no roles) is
     * theirs to do. */
    if (!full && wanted && strcmp(person->uid, req->caller.uid) == 0) {
        /* The partner's person on an account handed over meanwhile is
         * told what happened (round-19 walkthrough of seed 000, D1). */
        char *note = NULL;
        st = handed_over_note(req, a, *before, &note);
        if (st != ST_OK)
            return st;
        struct buf b = BUF_INIT;
        if (note)
            buf_printf(&b, "%s, and a service provider cannot change their own roles; ask an admin",
                       note);
        else
            buf_adds(&b, "a service provider cannot change their own roles; ask an admin");
        st = problem_set(ref, 403, "forbidden", buf_str(&b));
        buf_free(&b);
        free(note);
        return st;
    }
    if (!full && ((*before & ROLE_ADMIN) || (wanted & ROLE_ADMIN)))
        return problem_set(ref, 403, "forbidden", "only admins may change who is an admin");
    /* Nor give billing, which orders and cancels (DESIGN.md: a service
     * provider does not cancel): two providers giving each other billing
     * would keep it after the customer revoked their access. Keeping or
     * taking billing away stays theirs to do. */
    if (!full && (wanted & ROLE_BILLING) && !(*before & ROLE_BILLING))
        return problem_set(ref, 403, "forbidden",
                           "a service provider cannot give the billing role; ask an admin of the "
                           "account");
    /* Nor give service-provider back to someone whose access an admin of
     * the account revoked: that is the customer's decision (round-3
     * walkthrough of seed 000, D3). */
    if (!full && (wanted & ROLE_SERVICE_PROVIDER) && !(*before & ROLE_SERVICE_PROVIDER)) {
        int revoked = 0;
        st = provider_revoked_by_admin(req->session->sql, a->id, person->uid, &revoked);
        if (st != ST_OK)
            return st;
        if (revoked)
            return problem_set(ref, 403, "forbidden", PROVIDER_REVOKED_DETAIL);
    }
    /* The parent's admin removing the parent's former person who is the
     * last admin takes their place (round-20 walkthrough of seed 001,
     * D1): the account keeps an admin who can act, and the contacts the
     * person holds (a contact is an admin) move to that admin in the same
     * change. With other admins the contact rule below holds as for
     * anyone, spoken to someone who names no contact here. */
    if ((*before & ROLE_ADMIN) && !(wanted & ROLE_ADMIN) && pr->active && admins <= 1) {
        pr->takes_over = 1;
        return contact_kinds_of(req->session->sql, a->id, person->uid, &pr->contacts);
    }
    if ((*before & ROLE_ADMIN) && !(wanted & ROLE_ADMIN)) {
        if (admins <= 1)
            return last_admin(req, a, ref, self && !wanted);
        /* A contact is an admin (contacts.c): name another contact first. */
        unsigned kinds = 0;
        st = contact_kinds_of(req->session->sql, a->id, person->uid, &kinds);
        if (st != ST_OK)
            return st;
        /* The primary contact's words when they are both. */
        const char *kind = kinds & CONTACT_PRIMARY     ? "primary"
                           : kinds & CONTACT_TECHNICAL ? "technical"
                                                       : NULL;
        if (kind && pr->active)
            return problem_set(ref, 409, "contact-admin",
                               kind[0] == 'p'
                                   ? "that person is the account's primary contact, who must be "
                                     "an admin; an administrator of the account names another "
                                     "contact first"
                                   : "that person is the account's technical contact, who must "
                                     "be an admin; an administrator of the account names another "
                                     "contact first");
        /* The hand-over to one customer admin moves the contacts to them
         * itself (round-16 walkthrough of seed 000, D2: the partner who
         * had named himself contact was sent to name the customer first,
         * and the hand-over then told nobody); with several, the detail
         * names whom to make contact. */
        if (kind && *handover && *customer_admin)
            kind = NULL;
        if (kind && *handover)
            return contact_admin_choose(ref, a->id, kind, *owners, self);
        if (kind && !self)
            return problem_set(ref, 409, "contact-admin",
                               kind[0] == 'p' ? "that person is the account's primary contact, who "
                                                "must be an admin; name another contact first"
                                              : "that person is the account's technical contact, "
                                                "who must be an admin; name another contact first");
        /* The contact who leaves or gives up admin themselves is told
         * so, and what to do in which order, as the texts next to it
         * speak to the caller (round-18 walkthrough of seed 004, D3: Anna
         * leaving read "that person is the account's technical
         * contact"). */
        if (kind) {
            struct buf b = BUF_INIT;
            buf_printf(&b,
                       "you are the account's %s contact, who must be an admin; name another "
                       "administrator %s contact first, then %s",
                       kind, kind, wanted ? "change your role" : "leave");
            st = problem_set(ref, 409, "contact-admin", buf_str(&b));
            buf_free(&b);
            return st;
        }
    }
    /* The self-demotion's hand-over leaves the parent's person with
     * service-provider only. */
    return own_invitations_die(
        req, a, person, *before,
        *handover && self && *target_is_parents && wanted ? ROLE_SERVICE_PROVIDER : wanted, ref);
}

/* Does this change end the parent's back office of a customer account
 * (round-13 walkthrough of seed 004, D1: a partner the customer removed
 * still ordered, cancelled and read invoices there)? It does when it takes
 * the last role of the last person of the parent who holds one in the
 * account: the customer then owns it, as after a hand-over
 * (accounts.handed_over_at; caller.c lets the parent's roles open nothing
 * there). Only for a live customer account not handed over yet; a
 * reseller's distributor keeps its back office (seed 002's BSS). A
 * partner parent has no back office (round-17 walkthrough of seed 001,
 * D1): under it the mark opens or closes nothing, and still records that
 * the customer took the account over. Two LDAP reads, on this write path
 * only. */
static int ends_back_office(struct request *req, const struct account_ref *a,
                            const struct person *person, unsigned wanted, int *ends)
{
    *ends = 0;
    /* A staged account: the hand-over's invariant decides
     * (find_handover; round-16 walkthrough of seed 000, D1). */
    if (!a->parent_id || a->handed_over || strcmp(a->kind, "customer") != 0 ||
        strcmp(a->status, "active") != 0)
        return ST_OK;
    unsigned long long ids[2] = {a->id, a->parent_id};
    struct role_group *groups = NULL, *pgroups = NULL;
    size_t ngroups = 0, npgroups = 0;
    int st = ldap_store_role_groups(req->session->ldap, &ids[0], 1, &groups, &ngroups);
    if (st == ST_OK)
        st = ldap_store_role_groups(req->session->ldap, &ids[1], 1, &pgroups, &npgroups);
    if (st != ST_OK) {
        role_groups_free(groups, ngroups);
        return st;
    }
    struct member_index ix, parent;
    member_index_build(&ix, groups, ngroups, a->id);
    member_index_build(&parent, pgroups, npgroups, a->parent_id);
    /* The person changed must be the parent's, and no other person of the
     * parent may keep a role here. */
    int target_is_parents = member_index_find(&parent, person->dn) != NULL;
    int parents_left = wanted && target_is_parents;
    for (size_t m = 0; m < ix.n && !parents_left; m++) {
        const struct member_entry *e = &ix.entries[m];
        if (e->roles && member_index_find_norm(&parent, e->norm) &&
            e != member_index_find(&ix, person->dn))
            parents_left = 1;
    }
    *ends = target_is_parents && !parents_left;
    member_index_free(&ix);
    member_index_free(&parent);
    role_groups_free(groups, ngroups);
    role_groups_free(pgroups, npgroups);
    return st;
}

/* The saga data of a hand-over (transfer_finish_self_demotion): the
 * customer admin to name contact (may be NULL: accountd does not guess),
 * the partner's people moved (stolen), and by: who handed over, by name,
 * for the mail to the invitee of a pending transfer it revokes. The
 * contact is told so, as a contact PUT and an accept tell them (round-12
 * walkthrough of seed 000, O3): their address and name, and the names that
 * greet the readers, read here (no LDAP call in the saga's SQL step). */
static json_t *handover_data(struct request *req, unsigned long long account_id,
                             const struct person *contact, json_t *moved, int by_admin,
                             const char *how, const struct person *changed, json_t *owners)
{
    json_t *h = json_pack("{s:s?, s:o, s:s}", "contact", contact ? contact->uid : NULL, "moved",
                          moved, "by", req->caller.name ? req->caller.name : req->caller.uid);
    /* The contact-changed mail of the hand-over (round-14 walkthrough of
     * seed 000, D1): who handed over reads that they made the change
     * (by_mail), and the others are not sent to them as to an
     * administrator when they are none after it (by_admin). */
    if (req->caller.mail)
        json_object_set_new(h, "by_mail", json_string(req->caller.mail));
    json_object_set_new(h, "by_admin", json_boolean(by_admin));
    /* ... and its {{changed_by}}: who handed over with the organization
     * they act for (mail_actor_name; round-17 walkthrough of seed 004, D3).
     * Without it (the database did not answer) the mail names them by
     * name, as a plan recorded before does. */
    char *by_actor = NULL;
    if (mail_actor_name(req->session->sql, &req->caller, account_id, &by_actor) == ST_OK)
        json_object_set_new(h, "by_actor", json_string(by_actor));
    free(by_actor);
    /* What the new owner's copy says happened (round-15 walkthrough of
     * seed 000, D4; transfer_finish_self_demotion): how, and to whom. */
    json_object_set_new(h, "how", json_string(how));
    json_object_set_new(h, "changed_name",
                        json_string(changed->name ? changed->name : changed->uid));
    /* The contacts the changed person held move to the one customer
     * admin, the old contact told as a contact PUT tells them; when no
     * contact changes, the customer's admins (owners) get the hand-over
     * notice (round-16 walkthrough of seed 000, D2). */
    json_object_set_new(h, "changed_uid", json_string(changed->uid));
    if (changed->mail)
        json_object_set_new(h, "changed_mail", json_string(changed->mail));
    json_object_set_new(h, "owners", owners ? owners : json_array());
    if (contact && contact->uid && contact->mail) {
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add_person(&names, contact);
        mail_names_add_person(&names, changed);
        mail_names_read_recipients(req->session->sql, req->session->ldap, account_id, NULL, 0,
                                   &names);
        json_object_set_new(h, "contact_mail", json_string(contact->mail));
        json_object_set_new(h, "contact_name",
                            json_string(contact->name ? contact->name : contact->uid));
        json_object_set_new(h, "names", mail_names_json(&names));
        mail_names_free(&names);
        /* A staged reseller whose storefront went live while it was
         * prepared: the storefront-welcome the contact gets
         * (transfer_finish_self_demotion; round-17 walkthrough of seed
         * 002, D2). A failed read sends none rather than failing the
         * hand-over. */
        json_t *welcome = NULL;
        if (billing_welcome_late_data(req, account_id, &welcome) == ST_OK && welcome)
            json_object_set_new(h, "storefront_welcome", welcome);
    }
    return h;
}

/* ---- the person's project roles (round-18 walkthrough of seed 003, D1) */

/* A project of the account by its name as MariaDB has it (found: by
 * projects_by_ids), "project <id>" for one it does not list. */
static void name_project(struct buf *b, const json_t *found, unsigned long long id)
{
    char key[24];
    snprintf(key, sizeof(key), "%llu", id);
    const char *name = json_string_value(json_object_get(json_object_get(found, key), "name"));
    if (name)
        buf_printf(b, "\"%s\"", name);
    else
        buf_printf(b, "project %llu", id);
}

/* The projects sole[0..nsole) as the 409 last-owner names them ("\"Dach\"
 * (project 4) and \"Shop\" (project 7)"), appended to b, and the words
 * that refer back to them: *its "its" or "their", *the "the project" or
 * "the projects". */
static void sole_projects(struct buf *b, const json_t *found, const unsigned long long *sole,
                          size_t nsole, const char **its, const char **the)
{
    for (size_t i = 0; i < nsole; i++) {
        buf_adds(b, i == 0 ? "" : i + 1 == nsole ? " and " : ", ");
        name_project(b, found, sole[i]);
        buf_printf(b, " (project %llu)", sole[i]);
    }
    *its = nsole == 1 ? "its" : "their";
    *the = nsole == 1 ? "the project" : "the projects";
}

/* The projects of plan p (their names: *found, a new reference). */
static int name_projects(struct request *req, const struct saga_plan *p, json_t **found)
{
    *found = NULL;
    if (!p->nprojects)
        return ST_OK;
    unsigned long long *ids = xcalloc(p->nprojects, sizeof(*ids));
    for (size_t i = 0; i < p->nprojects; i++)
        ids[i] = p->projects[i].id;
    int st = projects_by_ids(req->session->sql, ids, p->nprojects, found);
    free(ids);
    return st;
}

/* The 409 last-owner of a removal from the account that would leave
 * projects without an owner: it names them, and the two ways on. leaving:
 * the caller removes themselves, who reads "you are" (round-19
 * walkthrough of seed 003, leftover of round 18's review), as the
 * contact-admin and last-admin refusals speak to whom they refuse. */
static int last_owner_of_projects(struct problem *ref, const json_t *found,
                                  const unsigned long long *sole, size_t nsole, int leaving)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, leaving ? "you are the only owner of " : "that person is the only owner of ");
    const char *its, *the;
    sole_projects(&b, found, sole, nsole, &its, &the);
    if (leaving)
        buf_printf(&b,
                   ": a project always keeps an owner, and leaving the account takes your "
                   "project roles too; make someone else %s owner first (or delete %s), then "
                   "leave; a change of your roles in the account (PUT, also to no roles) leaves "
                   "your project roles as they are",
                   its, the);
    else
        buf_printf(&b,
                   ": a project always keeps an owner, and removing them from the account takes "
                   "their project roles too; make someone else %s owner first (or delete %s), "
                   "then remove them; a change of their roles in the account (PUT, also to no "
                   "roles) leaves their project roles as they are",
                   its, the);
    int st = problem_set(ref, 409, "last-owner", buf_str(&b));
    buf_free(&b);
    return st;
}

/* The take-over's projects (round-22 walkthrough of seed 001, D1; docs/
 * api.md, "The parent's admins remove a former colleague …"): the caller
 * who takes the place of the account's last admin becomes the owner of
 * each project whose only owner the person removed is (sole), keeping
 * the roles they held there, in the plan's one change, as
 * saga_plan_leave_projects planned it (taker_dn). [{id, name, before,
 * after}] (a new reference) for the audit rows and the mail. */
static json_t *projects_taken_json(const struct saga_plan *plan, const json_t *found,
                                   const unsigned long long *sole, size_t nsole)
{
    json_t *taken = json_array();
    for (size_t k = 0; k < nsole; k++) {
        const struct saga_project *pj = NULL;
        for (size_t i = 0; i < plan->nprojects; i++)
            if (plan->projects[i].id == sole[k])
                pj = &plan->projects[i];
        if (!pj)
            continue;
        char id[24];
        snprintf(id, sizeof(id), "%llu", sole[k]);
        const char *name = json_string_value(json_object_get(json_object_get(found, id), "name"));
        json_array_append_new(taken,
                              json_pack("{s:I, s:s?, s:o, s:o}", "id", (json_int_t)sole[k], "name",
                                        name, "before", project_roles_json(pj->taker_before),
                                        "after", project_roles_json(pj->taker_after)));
    }
    return taken;
}

/* The account's admins other than dn by name ("Gerda Gast, Clara
 * Berger"; *names malloc'ed, NULL when none), for the parent's admin
 * told whom to ask (round-22 walkthrough of seed 001, D1). */
static int other_admin_names(struct request *req, const struct account_ref *a, const char *dn,
                             char **names)
{
    *names = NULL;
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(req->session->ldap, &a->id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, a->id);
    struct person *people = NULL;
    size_t admins = 0;
    st = ldap_store_people_with_role(req->session->ldap, &ix, ROLE_ADMIN, &people, &admins);
    struct buf b = BUF_INIT;
    for (size_t i = 0; st == ST_OK && i < admins; i++) {
        if (!ldap_dn_equal(people[i].dn, dn))
            buf_printf(&b, "%s%s", b.len ? ", " : "",
                       people[i].name && *people[i].name ? people[i].name : people[i].uid);
        person_free(&people[i]);
    }
    free(people);
    if (st == ST_OK && b.len)
        *names = buf_detach(&b);
    buf_free(&b);
    member_index_free(&ix);
    role_groups_free(groups, ngroups);
    return st;
}

/* The 409 last-owner to the parent's admin who removes the parent's
 * former person (dn) from an account that keeps another admin, or where
 * they hold no admin role (round-22 walkthrough of seed 001, D1: the
 * detail offered three ways out, each 403 for them): the account's
 * administrators, named, make someone else the owner first. */
static int last_owner_for_parent_admin(struct request *req, const struct account_ref *a,
                                       const json_t *found, const unsigned long long *sole,
                                       size_t nsole, const char *dn)
{
    char *name = NULL, *admins = NULL;
    int st = account_name_get(req->session->sql, a->id, &name);
    if (st == ST_OK)
        st = other_admin_names(req, a, dn, &admins);
    if (st != ST_OK) {
        free(name);
        return st;
    }
    struct buf b = BUF_INIT;
    buf_adds(&b, "that person is the only owner of ");
    const char *its, *the;
    sole_projects(&b, found, sole, nsole, &its, &the);
    buf_printf(&b,
               ": a project always keeps an owner, and removing them from the account takes "
               "their project roles too; ask an administrator of %s%s%s%s to make someone else "
               "%s owner (or to delete %s), then remove them",
               name && *name ? name : "the account", admins ? " (" : "", admins ? admins : "",
               admins ? ")" : "", its, the);
    st = problem_set(&req->problem, 409, "last-owner", buf_str(&b));
    buf_free(&b);
    free(admins);
    free(name);
    return st;
}

/* qsort: a plan's projects by id. */
static int cmp_project_ids(const void *a, const void *b)
{
    unsigned long long x = ((const struct saga_project *)a)->id;
    unsigned long long y = ((const struct saga_project *)b)->id;
    return x < y ? -1 : x > y;
}

/* The project roles a PUT with no roles leaves the person (round-19
 * walkthrough of seed 003, D4): for the answer, [{id, name, roles}] (ids
 * as decimal strings, name null for a project MariaDB does not list), and
 * for the audit row, [{project_id, roles}] (*audit; ids as numbers, as
 * every audit value stores them). In the plan's order. New references. */
static json_t *kept_projects_json(const struct saga_plan *p, const json_t *found, json_t **audit)
{
    json_t *answer = json_array();
    *audit = json_array();
    for (size_t i = 0; i < p->nprojects; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%llu", p->projects[i].id);
        const char *name = json_string_value(json_object_get(json_object_get(found, id), "name"));
        json_array_append_new(answer, json_pack("{s:s, s:s?, s:o}", "id", id, "name", name, "roles",
                                                project_roles_json(p->projects[i].before)));
        json_array_append_new(*audit,
                              json_pack("{s:I, s:o}", "project_id", (json_int_t)p->projects[i].id,
                                        "roles", project_roles_json(p->projects[i].before)));
    }
    return answer;
}

/* The member-removed mail's {{projects_note}} (malloc'ed; NULL when plan
 * p has no projects): the project roles the removal took (lost), or
 * those a PUT with no roles left them. */
static char *projects_note(const struct saga_plan *p, const json_t *found, int lost)
{
    if (!p->nprojects)
        return NULL;
    struct buf b = BUF_INIT;
    buf_adds(&b, lost ? "Your roles in its projects ended with it: "
                      : "Your roles in its projects stay as they were: ");
    for (size_t i = 0; i < p->nprojects; i++) {
        buf_adds(&b, i ? ", " : "");
        name_project(&b, found, p->projects[i].id);
        size_t said = 0;
        for (unsigned r = 0; r < PROJECT_ROLE_COUNT; r++)
            if (p->projects[i].before & (1u << r))
                buf_printf(&b, "%s%s", said++ ? " and " : " (", project_role_names[r]);
        buf_adds(&b, said ? ")" : "");
    }
    buf_addc(&b, '.');
    return buf_detach(&b);
}

int members_projects_lost_note(struct sql_store *sql, const struct saga_plan *p, char **note)
{
    *note = NULL;
    if (!p->nprojects)
        return ST_OK;
    unsigned long long *ids = xcalloc(p->nprojects, sizeof(*ids));
    for (size_t i = 0; i < p->nprojects; i++)
        ids[i] = p->projects[i].id;
    json_t *found = NULL;
    int st = projects_by_ids(sql, ids, p->nprojects, &found);
    free(ids);
    if (st == ST_OK)
        *note = projects_note(p, found, 1);
    json_decref(found);
    return st;
}

/* The partner's people a hand-over by a role change changes or leaves
 * admin, other than who made it, each told so in the hand-over's SQL step
 * (handed-over-to-customer; round-19 walkthrough of seed 000, D1: the
 * partner the customer demoted or removed heard nothing; D4: a partner
 * colleague who stays admin was not told either): h's "partners", [{mail,
 * name, what, roles, projects_note?, operator?}], what "removed" or
 * "changed" for the person changed (tells_person: of the partner's side,
 * not the caller, and their roles change; after: their roles after it;
 * projects_note: the member-removed line it stands for; operator: one
 * removed who keeps their access as operator staff), "moved" for the
 * billing people moved to service-provider, "still-admin" for the
 * colleagues left admin; and "still_admins", their names with the
 * organization they act for (mail_person_actor_name: one LDAP read each,
 * on this write path only), which the new owner's mail names. */
static int handover_partner_readers(struct request *req, unsigned long long account_id, json_t *h,
                                    const struct person *person, int tells_person, unsigned after,
                                    const struct handover_moves *moves, const char *projects_note)
{
    json_t *told = json_array();
    /* Operator staff removed keep their access as operators (the round-18
     * rule of the revocation mail, D2): one LDAP read, for a removal. */
    int is_operator = 0;
    int st = tells_person && !after ? person_is_operator(req, person->dn, &is_operator) : ST_OK;
    if (st != ST_OK) {
        json_decref(told);
        return st;
    }
    if (tells_person)
        json_array_append_new(told,
                              json_pack("{s:s, s:s?, s:s, s:o, s:s?, s:b}", "mail", person->mail,
                                        "name", person->name, "what", after ? "changed" : "removed",
                                        "roles", roles_json(after), "projects_note", projects_note,
                                        "operator", is_operator));
    for (size_t i = 0; i < moves->n; i++) {
        const struct person *p = &moves->people[i];
        if (strcasecmp(p->uid, person->uid) == 0 ||
            (req->caller.uid && strcasecmp(p->uid, req->caller.uid) == 0) || !p->mail || !*p->mail)
            continue;
        json_array_append_new(told,
                              json_pack("{s:s, s:s?, s:s, s:o}", "mail", p->mail, "name", p->name,
                                        "what", "moved", "roles", roles_json(moves->before[i])));
    }
    json_t *still = json_array();
    for (size_t i = 0; st == ST_OK && i < moves->nstill; i++) {
        const struct person *p = &moves->still_admins[i];
        if (req->caller.uid && strcasecmp(p->uid, req->caller.uid) == 0)
            continue;
        char *named = NULL;
        st = mail_person_actor_name(req->session->sql, req->session->ldap, p, account_id, &named);
        if (st == ST_OK)
            json_array_append_new(still, json_string(named));
        free(named);
        if (st == ST_OK && p->mail && *p->mail)
            json_array_append_new(told, json_pack("{s:s, s:s?, s:s}", "mail", p->mail, "name",
                                                  p->name, "what", "still-admin"));
    }
    json_object_set_new(h, "partners", told);
    json_object_set_new(h, "still_admins", still);
    return st;
}

/* Whether the caller is an admin of account_id after person's roles
 * become wanted (the caller's own roles otherwise do not change). */
static int by_admin_after(const struct request *req, unsigned long long account_id,
                          const struct person *person, unsigned wanted)
{
    if (strcmp(person->uid, req->caller.uid) == 0)
        return (wanted & ROLE_ADMIN) != 0;
    return (caller_roles(req, account_id) & ROLE_ADMIN) != 0;
}

/* Child accounts a person removed from the account still holds roles in
 * (round-20 walkthrough of seed 001, D1; docs/api.md, "A person removed
 * from a partner is named where they keep roles"): read when a DELETE or
 * a PUT to no roles takes every account role of a partner's or a
 * distributor's person, before the change (no LDAP call in its SQL step).
 * The person's grants (one directory read, the cache while it is live:
 * their roles in each account), the open direct children among those
 * accounts (one statement, at most CHILD_ROLES_READ, lowest ids first),
 * the role groups of those where they are admin (one directory read, for
 * whether another admin is there; src/role_holders.c's walk for this one
 * person). *out: the mail's data (to, names, removed, person_name,
 * child_count, children; the caller's own removed_you and, where they are
 * an administrator of a child, children_you), NULL when they hold no
 * role in any child. To
 * the caller and the account's named contacts, else its admins (never
 * the person removed, nor the caller who left by themselves: round-21
 * walkthrough of seed 001, D3). */
#define CHILD_ROLES_READ 1000

static int child_roles_notice(struct request *req, const struct account_ref *a,
                              const struct person *person, int self, json_t **out)
{
    *out = NULL;
    struct role_grant *grants = NULL;
    size_t ngrants = 0;
    int st = ldap_store_grants_of(req->session->ldap, person->dn, &grants, &ngrants);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK)
        return st;
    json_t *ids = json_array();
    for (size_t i = 0; i < ngrants; i++)
        if (grants[i].account_id != a->id && grants[i].roles)
            json_array_append_new(ids, json_integer((json_int_t)grants[i].account_id));
    struct held_child *kids = NULL;
    size_t nkids = 0;
    unsigned long total = 0;
    if (json_array_size(ids)) {
        char *text = json_dumps(ids, JSON_COMPACT);
        st = account_children_among(req->session->sql, a->id, text, person->uid, CHILD_ROLES_READ,
                                    &kids, &nkids, &total);
        free(text);
    }
    json_decref(ids);
    if (st != ST_OK || nkids == 0) {
        free(grants);
        account_held_children_free(kids, nkids);
        return st;
    }
    unsigned long long *child_ids = xcalloc(nkids, sizeof(*child_ids));
    unsigned *child_roles = xcalloc(nkids, sizeof(*child_roles));
    struct role_holders_child *named = xcalloc(nkids, sizeof(*named));
    qsort(grants, ngrants, sizeof(*grants), role_grant_compare);
    for (size_t i = 0; i < nkids; i++) {
        child_ids[i] = kids[i].id;
        struct role_grant key = {.account_id = kids[i].id};
        const struct role_grant *g =
            bsearch(&key, grants, ngrants, sizeof(key), role_grant_compare);
        child_roles[i] = g ? g->roles : 0;
        named[i] = (struct role_holders_child){kids[i].id, kids[i].name, kids[i].created, 0};
    }
    free(grants);
    struct role_holders h = {0};
    char *parent_name = NULL, *by = NULL;
    struct billing_people people = {0};
    struct buf lines = BUF_INIT;
    st = role_holders_read_person(req->session->ldap, person, a->id, child_ids, child_roles, nkids,
                                  &h);
    size_t count = 0;
    const char *children = NULL;
    if (st == ST_OK)
        st = account_name_get(req->session->sql, a->id, &parent_name);
    if (st == ST_OK)
        children = role_holders_person_lines(&lines, &h, named, parent_name,
                                             total > nkids ? total - nkids : 0, &count);
    if (st == ST_OK && children)
        st = billing_people_read(req, a->id, &people);
    if (st == ST_OK && children && !self)
        st = mail_actor_name(req->session->sql, &req->caller, a->id, &by);
    if (st == ST_OK && children) {
        const char *who = person->name && *person->name ? person->name : person->uid;
        /* Never the person: one who left by themselves is no reader
         * either (round-21 walkthrough of seed 001, D3: their copy spoke of
         * them in the third person and told them to "have them removed");
         * the account's contacts (else its admins) still are. */
        json_t *to = json_array();
        if (!self && req->caller.mail && *req->caller.mail)
            json_array_append_new(to, json_string(req->caller.mail));
        for (size_t i = 0; i < people.n; i++)
            if (!person->mail || strcasecmp(people.mails[i], person->mail) != 0)
                json_array_append_new(to, json_string(people.mails[i]));
        mail_names_add(&people.names, req->caller.mail, req->caller.name);
        struct buf removed = BUF_INIT;
        if (self)
            buf_printf(&removed, "%s left %s (account %llu).", who, parent_name, a->id);
        else
            buf_printf(&removed, "%s removed %s from %s (account %llu).", by, who, parent_name,
                       a->id);
        char count_text[48];
        snprintf(count_text, sizeof(count_text), "%zu child account%s", count,
                 count == 1 ? "" : "s");
        *out = json_pack("{s:o, s:o, s:s, s:s, s:s, s:s}", "to", to, "names",
                         mail_names_json(&people.names), "removed", buf_str(&removed),
                         "person_name", who, "child_count", count_text, "children", children);
        /* The remover's own copy in the second person (round-22
         * walkthrough of seed 001, D3). */
        if (!self && req->caller.mail && *req->caller.mail) {
            struct buf yours = BUF_INIT;
            buf_printf(&yours, "You removed %s from %s (account %llu).", who, parent_name, a->id);
            json_object_set_new(*out, "removed_you", json_string(buf_str(&yours)));
            json_object_set_new(*out, "except", json_string(req->caller.mail));
            buf_free(&yours);
            /* ... whose lines say where they are an administrator
             * themselves (round-24 walkthrough of seed 001, D1): their
             * grants, read with the request, no further read. */
            int admin_somewhere = 0;
            for (size_t i = 0; i < nkids; i++) {
                named[i].reader_admin = (caller_roles(req, kids[i].id) & ROLE_ADMIN) != 0;
                admin_somewhere |= named[i].reader_admin;
            }
            struct buf lines_you = BUF_INIT;
            size_t count_you = 0;
            const char *children_you =
                admin_somewhere
                    ? role_holders_person_lines(&lines_you, &h, named, parent_name,
                                                total > nkids ? total - nkids : 0, &count_you)
                    : NULL;
            if (children_you)
                json_object_set_new(*out, "children_you", json_string(children_you));
            buf_free(&lines_you);
        }
        buf_free(&removed);
    }
    buf_free(&lines);
    billing_people_free(&people);
    free(by);
    free(parent_name);
    role_holders_free(&h);
    free(named);
    free(child_ids);
    free(child_roles);
    account_held_children_free(kids, nkids);
    return st;
}

/* The removal of the parent's former person by the parent's admin, told
 * to the account (round-20 walkthrough of seed 001, D1): its named
 * contacts, else its admins, never the caller or the person removed
 * (read before the change), and in the change's SQL step its
 * notification recipients. *out: removed-by-parent's data (to, names,
 * removed_by, person_name, roles, parent_name, taken_over). */
static json_t *parent_removal_notice(struct request *req, const struct account_ref *a,
                                     const struct person *person, unsigned before,
                                     struct parent_removal *pr, int *st)
{
    struct billing_people people = {0};
    char *by = NULL;
    *st = parent_name_read(req, a, pr);
    if (*st == ST_OK)
        *st = billing_people_read_others(req, a->id, &people);
    if (*st == ST_OK)
        *st = mail_actor_name(req->session->sql, &req->caller, a->id, &by);
    json_t *out = NULL;
    if (*st == ST_OK) {
        const char *who = person->name && *person->name ? person->name : person->uid;
        json_t *to = json_array();
        for (size_t i = 0; i < people.n; i++)
            if (!person->mail || strcasecmp(people.mails[i], person->mail) != 0)
                json_array_append_new(to, json_string(people.mails[i]));
        struct buf roles = BUF_INIT;
        mail_role_titles(&roles, before);
        /* The take-over, for the account's readers and, in the copy the
         * caller gets when it made them the sender of the person's pending
         * invitations (saga_run.c; round-21 walkthrough of seed 001, D1),
         * for the caller. */
        struct buf took = BUF_INIT, took_you = BUF_INIT;
        if (pr->takes_over) {
            const char *contacts = pr->contacts == (CONTACT_PRIMARY | CONTACT_TECHNICAL)
                                       ? "primary and technical contact"
                                   : pr->contacts == CONTACT_PRIMARY ? "primary contact"
                                                                     : "technical contact";
            buf_printf(&took,
                       "%s was its only administrator, so %s became its administrator in their "
                       "place",
                       who, by);
            buf_printf(&took_you,
                       "%s was its only administrator, so you became its administrator in their "
                       "place",
                       who);
            if (pr->contacts) {
                buf_printf(&took, " and its %s", contacts);
                buf_printf(&took_you, " and its %s", contacts);
            }
            buf_adds(&took, ": they can make one of its own people an administrator, and leave "
                            "it again.");
            buf_adds(&took_you, ": you can make one of its own people an administrator, and "
                                "leave it again.");
        }
        mail_names_add(&people.names, req->caller.mail, req->caller.name);
        out =
            json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s?, s:s?}", "to", to, "names",
                      mail_names_json(&people.names), "removed_by", by, "person_name", who, "roles",
                      buf_str(&roles), "parent_name", pr->parent_name ? pr->parent_name : "",
                      "taken_over", pr->takes_over ? buf_str(&took) : NULL, "taken_over_you",
                      pr->takes_over ? buf_str(&took_you) : NULL);
        if (req->caller.mail && *req->caller.mail)
            json_object_set_new(out, "except", json_string(req->caller.mail));
        buf_free(&roles);
        buf_free(&took);
        buf_free(&took_you);
    }
    free(by);
    billing_people_free(&people);
    return out;
}

/* Shared by PUT (roles given) and DELETE (no roles). A saga (saga.h):
 * the account's guard and an intent first, then LDAP read and checked,
 * the plan recorded, LDAP written, and the audit row in a short
 * transaction that closes the intent. No SQL lock is held while LDAP
 * works. A DELETE takes the person out of the account's projects in the
 * same change, refused while they are a project's only owner; a PUT
 * changes account roles only, also to none (round-18 walkthrough of seed
 * 003, D1: an end customer given an account role and then no role lost
 * every project role, as the project's only owner too). */
static void change_roles(struct request *req, unsigned wanted, int status_ok, int stale)
{
    struct account_ref a = req->account;
    const char *uid = req->args[1];
    struct person person = {0};
    /* A uid accountd would never create cannot name a person: not found,
     * and nothing of it reaches LDAP. */
    int st = validate_uid(uid) ? ST_NOT_FOUND
                               : ldap_store_find_person(req->session->ldap, "uid", uid, &person);
    /* An admin of the parent whom the router let in for the parent's
     * former people (round-20 walkthrough of seed 001, D1): whom else
     * they name gets one 403, a uid nobody has too, so that it tells
     * nothing about the account's people. */
    int removal = !wanted && status_ok == 204;
    struct parent_removal pr = {0};
    int parent_only = by_parent_admin(&a, removal);
    if (st == ST_NOT_FOUND && parent_only && !(a.roles & ROLE_SERVICE_PROVIDER)) {
        res_store_failure(req, refuse_parent_admin(req, &a, &pr, a.roles), "the database");
        parent_removal_free(&pr);
        return;
    }
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "%s", NO_MEMBER);
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    struct saga s = {.actor = xstrdup(req->caller.uid)};
    s.plan.kind = SAGA_SET_ROLES;
    s.plan.account_id = a.id;
    char *customer_admin = NULL;
    json_t *owners = NULL;
    int handover = 0, back_office_ends = 0, target_is_parents = 0;
    struct handover_moves moves = {0};
    char *note = NULL;
    json_t *kept_answer = NULL, *kept_audit = NULL;
    /* The hand-over's invariant (round-16 walkthrough of seed 000, D1;
     * find_handover): any change of a staged account, by anyone, after
     * which no person of the parent is admin while a customer admin
     * remains. */
    int self = strcmp(person.uid, req->caller.uid) == 0;
    /* A service provider someone else removes from the account is told,
     * as a revocation tells them (round-18 walkthrough of seed 000, D3);
     * operator staff that they keep their operator access (D2). */
    int tell_provider = 0, provider_operator = 0, noop = 0;
    /* The partner's person someone else's change hands the account over
     * from is told by the hand-over's own mail (round-19 walkthrough of
     * seed 000, D1), which stands for provider-access-changed and
     * member-removed: one mail per change. */
    int handover_tells = 0;
    /* Out of the account (DELETE), or a change of account roles (PUT,
     * also to none): removal, above. */
    st = saga_begin(req->session->sql, &s, &req->problem);
    /* The parent's admin who is no admin here (round-20 walkthrough of
     * seed 001, D1): the parent's former person who created the account
     * is theirs to remove; anyone else is refused unless the roles they
     * hold here (service-provider) let them. */
    if (st == ST_OK && parent_only) {
        st = parent_former_person(req, &a, &person, &pr);
        if (st == ST_OK && !pr.active && !(a.roles & ROLE_SERVICE_PROVIDER))
            st = refuse_parent_admin(req, &a, &pr, a.roles);
        if (st != ST_OK)
            saga_release(req->session->sql, &s, st == ST_REFUSED ? "refused" : "not applied");
    }
    if (st == ST_OK) {
        st = check_role_change(req, &a, &person, wanted, &s.plan.roles_before, self, removal,
                               &handover, &customer_admin, &owners, &target_is_parents, &moves,
                               stale, &noop, &pr, &req->problem);
        /* A person who held no account role (projects only) takes no
         * back office away. */
        if (st == ST_OK && !handover && !noop && s.plan.roles_before)
            st = ends_back_office(req, &a, &person, wanted, &back_office_ends);
        handover_tells = handover && target_is_parents && !self && person.mail && *person.mail &&
                         s.plan.roles_before != wanted;
        tell_provider = st == ST_OK && !noop && !wanted && !self && !handover_tells &&
                        (s.plan.roles_before & ROLE_SERVICE_PROVIDER) && person.mail &&
                        *person.mail;
        if (tell_provider)
            st = person_is_operator(req, person.dn, &provider_operator);
        if (st != ST_OK || noop)
            saga_release(req->session->sql, &s,
                         noop               ? "no change"
                         : st == ST_REFUSED ? "refused"
                                            : "not applied");
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory or the database");
        goto out;
    }
    if (noop) {
        /* A service provider's own roles as they are: the member, as the
         * change's answer would be, and on a handed-over account what
         * happened to it (the partner's repeat of the seed's step after
         * the customer made it; round-19 walkthrough of seed 000, D1, D2). */
        char *said = NULL;
        st = handed_over_note(req, &a, s.plan.roles_before, &said);
        if (st != ST_OK) {
            res_store_failure(req, st, "the directory or the database");
            goto out;
        }
        json_t *member = json_pack("{s:s, s:s?, s:s?, s:o}", "uid", person.uid, "name", person.name,
                                   "mail", person.mail, "roles", roles_json(s.plan.roles_before));
        if (said)
            json_object_set_new(member, "note", json_string(said));
        free(said);
        res_json(req, 200, member);
        goto out;
    }
    s.plan.person_dn = xstrdup(person.dn);
    s.plan.person_uid = xstrdup(person.uid);
    /* Out of the account (DELETE): out of its projects too, never leaving
     * one without an owner. No roles by PUT: the project roles stay, and
     * the answer, the audit row and the mail (if any) say so. Read under
     * the account's guard, which every project role change takes too. */
    if (!wanted) {
        struct saga_plan kept = {.account_id = a.id, .person_dn = person.dn};
        struct saga_plan *p = removal ? &s.plan : &kept;
        unsigned long long *sole = NULL;
        size_t nsole = 0;
        const char *taker = removal && pr.takes_over ? req->caller.dn : NULL;
        st = saga_plan_leave_projects(req->session->ldap, p, taker, removal ? &sole : NULL, &nsole);
        /* Named in the mail and the answer by project id. */
        if (st == ST_OK && p->nprojects > 1)
            qsort(p->projects, p->nprojects, sizeof(*p->projects), cmp_project_ids);
        /* Nothing of the account to take: no account role (check_role_change
         * let a DELETE through for this) and no project role either. */
        if (st == ST_OK && !s.plan.roles_before && !p->nprojects)
            st = problem_set(&req->problem, 404, "not-found", NO_MEMBER);
        json_t *found = NULL;
        if (st == ST_OK)
            st = name_projects(req, p, &found);
        /* The take-over (round-22 walkthrough of seed 001, D1): the
         * parent's admin who takes the last admin's place takes it as
         * the owner of the projects they alone own too, in the same
         * change; without a take-over the 409 names the account's
         * administrators, whom the parent's admin asks. */
        if (st == ST_OK && nsole && taker)
            pr.projects_taken = projects_taken_json(&s.plan, found, sole, nsole);
        else if (st == ST_OK && nsole && pr.active)
            st = last_owner_for_parent_admin(req, &a, found, sole, nsole, person.dn);
        else if (st == ST_OK && nsole)
            st = last_owner_of_projects(&req->problem, found, sole, nsole, self);
        if (st == ST_OK)
            note = projects_note(p, found, removal);
        if (st == ST_OK && !removal)
            kept_answer = kept_projects_json(p, found, &kept_audit);
        json_decref(found);
        free(sole);
        kept.person_dn = NULL;
        saga_plan_free(&kept);
        if (st != ST_OK) {
            saga_release(req->session->sql, &s, st == ST_REFUSED ? "refused" : "not applied");
            res_store_failure(req, st, "the directory or the database");
            goto out;
        }
    }
    s.plan.roles_after = wanted;
    /* member.remove: the person holds nothing in the account after it (a
     * DELETE, or a PUT with no roles of someone without project roles);
     * a PUT with no roles that leaves project roles is a role change,
     * member.set_roles to roles [], whose new value names the project
     * roles kept (round-19 walkthrough of seed 003, D4: it read as a full
     * removal while the person still owned a project). */
    int keeps_projects = !wanted && !removal && json_array_size(kept_audit) > 0;
    s.data = json_pack("{s:s}", "action",
                       wanted || keeps_projects ? "member.set_roles" : "member.remove");
    if (keeps_projects)
        json_object_set(s.data, "projects_kept", kept_audit);
    /* Removed from the account: their own address, if it is a notification
     * recipient, leaves the list with them, in the same change (round-14
     * walkthrough of seed 004, D2); told that they were removed
     * (member-removed, round-15 walkthrough of seed 004, D1) unless they
     * removed themselves. A role change that keeps them in the account
     * keeps it. */
    if (!wanted && person.mail && *person.mail)
        json_object_set_new(s.data, "leaves_recipients",
                            json_pack("{s:s, s:s?, s:s, s:b, s:s?}", "mail", person.mail, "name",
                                      person.name, "by",
                                      req->caller.name ? req->caller.name : req->caller.uid, "tell",
                                      strcmp(person.uid, req->caller.uid) != 0 && !handover_tells,
                                      "projects_note", note));
    /* The hand-over: the saga's SQL step makes the account active and
     * names the customer the contacts (transfer.h). It leaves the
     * partner's people it moves with service-provider only (round-4
     * walkthrough of seed 000, D1): the parent's person who demotes
     * themselves, whatever other roles they asked to keep, and the
     * parent's people who hold billing without admin, in the same plan. A
     * person someone else changed (the customer's admin: round-15
     * walkthrough of seed 000, D3) gets the roles that admin gave them, no
     * more. */
    if (handover) {
        if (self && target_is_parents && wanted)
            s.plan.roles_after = ROLE_SERVICE_PROVIDER;
        json_t *moved = json_array();
        for (size_t i = 0; i < moves.n; i++) {
            if (strcasecmp(moves.people[i].uid, person.uid) == 0)
                continue; /* the person changed gets the plan's own roles */
            saga_plan_also(&s.plan, moves.people[i].dn, moves.people[i].uid, moves.before[i],
                           ROLE_SERVICE_PROVIDER);
            json_array_append_new(moved, json_pack("{s:s, s:o}", "uid", moves.people[i].uid,
                                                   "roles", roles_json(moves.before[i])));
        }
        struct person cp = {0};
        if (customer_admin &&
            ldap_store_find_person(req->session->ldap, "uid", customer_admin, &cp) != ST_OK) {
            person_free(&cp);
            cp.uid = xstrdup(customer_admin); /* named all the same, not mailed */
        }
        int dropped_admin = (s.plan.roles_before & ROLE_ADMIN) && !(wanted & ROLE_ADMIN);
        /* "self-demotion" says its maker is a service provider now: the
         * parent's person only (round-20 walkthrough of seed 000, D1). A
         * customer admin's own change hands over only where no person of
         * the parent is admin any more (an LDAP administrator's edit), and
         * reads as what it is. */
        const char *how = !wanted                                      ? (self ? "left" : "removal")
                          : self && dropped_admin && target_is_parents ? "self-demotion"
                          : self                                       ? "own-roles"
                          : dropped_admin && (wanted & ROLE_SERVICE_PROVIDER) ? "demotion"
                                                                              : "roles";
        json_t *h = handover_data(req, a.id, customer_admin ? &cp : NULL, moved,
                                  by_admin_after(req, a.id, &person, s.plan.roles_after), how,
                                  &person, owners);
        owners = NULL;
        person_free(&cp);
        json_object_set_new(s.data, "handover", h);
        st = handover_partner_readers(req, a.id, h, &person, handover_tells, s.plan.roles_after,
                                      &moves, note);
    } else if (back_office_ends) {
        json_object_set_new(s.data, "ends_back_office", json_true());
    }
    /* A service provider who makes someone a service provider: the
     * account's named contacts (else its admins) are told who gave it to
     * whom (round-19 walkthrough of seed 000, D3). An admin's grant (or an
     * operator's) mails nobody extra, as before. */
    if (st == ST_OK && providers_grant_told(a.roles, req->caller.is_operator, s.plan.roles_before,
                                            s.plan.roles_after)) {
        json_t *notice = NULL;
        char *by = NULL;
        st = mail_actor_name(req->session->sql, &req->caller, a.id, &by);
        if (st == ST_OK)
            st = providers_grant_notice(req, a.id, by, &person, PROVIDER_GRANTED_BY_ROLES, &notice);
        if (notice)
            json_object_set_new(s.data, "provider_granted", notice);
        free(by);
    }
    /* The parent's admin removing the parent's former person (round-20
     * walkthrough of seed 001, D1): the audit row says why; as the last
     * admin's removal, the caller becomes admin in the same plan (the
     * roles they held here kept), with the contacts the person held; the
     * account's contacts (else admins) and recipients are told. */
    if (st == ST_OK && pr.active) {
        json_object_set_new(s.data, "reason",
                            json_string("an administrator of the parent account removed a person "
                                        "who created this account for the parent and holds no "
                                        "role in the parent any more"));
        if (pr.takes_over && req->caller.dn) {
            saga_plan_also(&s.plan, req->caller.dn, req->caller.uid, pr.caller_before,
                           pr.caller_before | ROLE_ADMIN);
            json_t *kinds = json_array();
            if (pr.contacts & CONTACT_PRIMARY)
                json_array_append_new(kinds, json_string("primary"));
            if (pr.contacts & CONTACT_TECHNICAL)
                json_array_append_new(kinds, json_string("technical"));
            json_t *takes = json_pack("{s:s, s:o, s:s}", "from", person.uid, "contacts", kinds,
                                      "by", req->caller.uid);
            /* The projects whose owner they become (take_projects). */
            if (pr.projects_taken)
                json_object_set(takes, "projects", pr.projects_taken);
            json_object_set_new(s.data, "takes_over", takes);
        }
        json_t *told = parent_removal_notice(req, &a, &person, s.plan.roles_before, &pr, &st);
        if (told)
            json_object_set_new(s.data, "parent_removal", told);
    }
    /* A partner's or distributor's person who holds no account role there
     * after it: the child accounts they still hold roles in are named to
     * the caller and the account's contacts (else admins) (round-20
     * walkthrough of seed 001, D1). */
    if (st == ST_OK && !wanted && s.plan.roles_before &&
        (strcmp(a.kind, "partner") == 0 || strcmp(a.kind, "distributor") == 0)) {
        json_t *kept = NULL;
        st = child_roles_notice(req, &a, &person, self, &kept);
        if (kept)
            json_object_set_new(s.data, "child_roles", kept);
    }
    /* A stored contact made admin again counts again: told as a contact
     * change is (round-26 walkthrough of seed 004, D3). Not in a
     * hand-over, which names the contacts itself. */
    if (st == ST_OK && !handover) {
        unsigned kinds = 0;
        st = contacts_again_kinds(req->session->sql, a.id, &person, s.plan.roles_before,
                                  s.plan.roles_after, &kinds);
        /* Who made the change: the caller. */
        char *by = NULL;
        if (st == ST_OK && kinds)
            st = mail_actor_name(req->session->sql, &req->caller, a.id, &by);
        json_t *again = NULL;
        if (st == ST_OK && kinds) {
            const struct contact_actor actor = {
                .name = by,
                .mail = req->caller.mail,
                .admin = (caller_roles(req, a.id) & ROLE_ADMIN) != 0,
            };
            st = contacts_again_data(req, a.id, &person, kinds, &actor, &again);
        }
        free(by);
        if (again)
            json_object_set_new(s.data, "contact_again", again);
    }
    if (st != ST_OK) {
        saga_release(req->session->sql, &s, "not applied");
        res_store_failure(req, st, "the directory or the database");
        goto out;
    }
    /* ... by provider-access-changed, as DELETE …/service-providers/{uid}
     * tells them, unless member-removed tells them already (their own
     * address was a recipient: one mail per removal; saga_run.c). */
    if (tell_provider)
        json_object_set_new(s.data, "provider_told",
                            json_pack("{s:s, s:s?, s:s, s:b}", "mail", person.mail, "name",
                                      person.name, "by",
                                      req->caller.name ? req->caller.name : req->caller.uid,
                                      "operator", provider_operator));
    enum saga_outcome outcome = saga_change_roles(req->session->ldap, req->session->sql, &s, &st);
    if (outcome != SAGA_DONE)
        saga_answer_failure(req, outcome, st);
    else if (status_ok == 204)
        res_empty(req, 204);
    else {
        json_t *answer = json_pack("{s:s, s:s?, s:s?, s:o}", "uid", person.uid, "name", person.name,
                                   "mail", person.mail, "roles", roles_json(s.plan.roles_after));
        /* No account role left: the project roles they keep (round-19
         * walkthrough of seed 003, D4), [] when none. */
        if (kept_answer)
            json_object_set(answer, "projects", kept_answer);
        res_json(req, 200, answer);
    }
out:
    parent_removal_free(&pr);
    json_decref(kept_answer);
    json_decref(kept_audit);
    free(note);
    handover_moves_free(&moves);
    json_decref(owners);
    free(customer_admin);
    saga_free(&s);
    person_free(&person);
}

void members_set_roles(struct request *req)
{
    static const char *const allowed[] = {"roles", "_roles_present", "_version", NULL};
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
    /* A service provider's PUT of their own roles may be the no-op that
     * answers 200 with nothing written (check_role_change): it comes before
     * the version check, since a no-op cannot lose anything to a change
     * made meanwhile (round-20 walkthrough of seed 000, D3: the seed's
     * self-demotion form sent twice with its _version; the first moved the
     * version on). Everyone else's stale version is 412 at once, as
     * before. The uid named is the caller's own as the directory matches
     * uids, whatever the case (check_role_change then compares the
     * person found). */
    int maybe_noop = own_roles_noop_rule(
        req, &req->account, req->caller.uid && strcasecmp(req->args[1], req->caller.uid) == 0,
        wanted);
    int stale = 0;
    if (maybe_noop ? if_match_stale(req, b, &stale) : if_match_fails(req, b))
        return;
    change_roles(req, wanted, 200, stale);
}

void members_remove(struct request *req)
{
    static const char *const allowed[] = {"_version", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    if (body_failed(req) || if_match_fails(req, b))
        return;
    change_roles(req, 0, 204, 0);
}
