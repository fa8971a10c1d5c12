/*
 * invitations: invite people to an account by e-mail and role, and accept an
 * invitation with its token. A known address is added at once; an unknown
 * one gets a single-use, expiring link whose token is stored only as its
 * SHA-256 (computed here, so the cleartext never reaches MariaDB or a log). Accepting creates the
 * LDAP person (password set with the Password Modify operation) and adds the role, undoing the LDAP
 * writes if anything after them fails.
 */
#include "invitations.h"
#include "account_store.h"

#include "audit.h"
#include "billing_notify.h"
#include "contacts.h"
#include "contacts_store.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "invitations_store.h"
#include "log.h"
#include "mail_names.h"
#include "outbox.h"
#include "projects_store.h"
#include "providers.h"
#include "providers_store.h"
#include "saga.h"
#include "sql_store.h"
#include "template.h"
#include "transfer.h"
#include "token.h"
#include "validate.h"
#include "web.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *role_name(unsigned bit)
{
    for (unsigned i = 0; i < ROLE_COUNT; i++)
        if (bit == 1u << i)
            return role_names[i];
    return "";
}

/* A role's name: an account's, or a project's (project_id not 0). */
static const char *role_name_in(unsigned long long project_id, unsigned bit)
{
    if (!project_id)
        return role_name(bit);
    for (unsigned i = 0; i < PROJECT_ROLE_COUNT; i++)
        if (bit == 1u << i)
            return project_role_names[i];
    return "";
}

/* What an invitation's mails name: the account, or for a project
 * invitation the project in its account (project "Kunde A" in
 * Reseller X), so that the shipped templates and a distributor's own keep their
 * placeholders. */
char *invitation_place_name(const char *account_name, const char *project_name)
{
    struct buf b = BUF_INIT;
    if (project_name)
        buf_printf(&b, "project \"%s\" in %s", project_name, account_name ? account_name : "");
    else
        buf_adds(&b, account_name ? account_name : "");
    return buf_detach(&b);
}

/* The projects a list has looked up in the directory (mark_usable): each
 * project's role groups read once per answer, however many of its
 * invitations are pending. */
struct project_seen {
    unsigned long long id;
    int found;       /* the project's entry is there */
    unsigned groups; /* the PROJECT_* bits of the role groups it has */
};
struct projects_seen {
    struct project_seen *items;
    size_t n;
};

static void projects_seen_free(struct projects_seen *seen)
{
    free(seen->items);
    memset(seen, 0, sizeof(*seen));
}

/* Is the group of role (a PROJECT_* bit) of project pid of account
 * account_id in the directory? *project_gone: the whole project is not
 * (an LDAP administrator deleted it; its row in MariaDB stays). seen, when
 * not NULL, keeps the projects looked up, so that a list reads each
 * project's groups once (mark_usable); NULL reads them now. */
static int project_role_in_directory(struct request *req, struct projects_seen *seen,
                                     unsigned long long account_id, unsigned long long pid,
                                     unsigned role, int *there, int *project_gone)
{
    struct project_seen *p = NULL, looked;
    for (size_t i = 0; seen && i < seen->n && !p; i++)
        if (seen->items[i].id == pid)
            p = &seen->items[i];
    if (!p) {
        struct role_group *groups;
        size_t ngroups;
        int st = ldap_store_project_groups(req->session->ldap, account_id, pid, &groups, &ngroups);
        if (st != ST_OK && st != ST_NOT_FOUND)
            return st;
        looked = (struct project_seen){pid, st == ST_OK, 0};
        for (size_t i = 0; st == ST_OK && i < ngroups; i++)
            looked.groups |= groups[i].role;
        if (st == ST_OK)
            role_groups_free(groups, ngroups);
        p = &looked;
        if (seen) {
            struct project_seen *grown = realloc(seen->items, (seen->n + 1) * sizeof(*grown));
            if (!grown)
                abort();
            seen->items = grown;
            seen->items[seen->n++] = looked;
        }
    }
    *project_gone = !p->found;
    *there = p->found && (p->groups & role);
    return ST_OK;
}

/* Does the project have the role group of role (a PROJECT_* bit) in LDAP,
 * as the accept needs it (accept_person: 410 invitation-revoked), a
 * resend checks it (resend_project_check: 409) and an invitation to the
 * project asks it first (404)? ST_OK, or ST_NOT_FOUND when an LDAP
 * administrator deleted the group or the whole project. */
static int project_in_directory(struct request *req, unsigned long long account_id,
                                unsigned long long project_id, unsigned role)
{
    int there = 0, project_gone = 0;
    int st =
        project_role_in_directory(req, NULL, account_id, project_id, role, &there, &project_gone);
    return st != ST_OK ? st : there ? ST_OK : ST_NOT_FOUND;
}

/* ---- invite --------------------------------------------------------- */

struct invite {
    struct request *req;
    struct account_ref *account;
    const char *email, *first_name, *last_name;
    unsigned role;
    const char *purpose;           /* "member" (NULL), "transfer" or "project" */
    unsigned long long project_id; /* a project invitation: role is a PROJECT_* bit */
    struct person known;           /* dn set when LDAP already knows the address */
    char *token;
    unsigned long long id;
    char *expires_at;
    char *stored_email; /* as the invitation keeps it (the first spelling) */
    /* A hand-over's invitation (transfer-invitation) under a partner: the
     * names of the operator staff and of the partner's people its
     * hand-over moves (transfer_moved_names_now), read before the
     * transaction, which holds no LDAP read; moved_read is 1 once the
     * step before it has looked (the names NULL for none). */
    const char *moved_ops, *moved_partners;
    int moved_read;
};

/* The Location of an invitation's answer (round-8 walkthroughs of seeds
 * 003 and 004): the person added at once (201: the account's member, or
 * the project's), or the pending invitation (202: on the account's route,
 * or on the project's for a project invitation). The uid is
 * percent-encoded (web.h). */
static void invite_location(struct invite *v)
{
    struct buf pattern = BUF_INIT, loc = BUF_INIT;
    if (v->project_id)
        buf_printf(&pattern, "/api/v1/projects/%llu/%s/{id}", v->project_id,
                   v->known.dn ? "members" : "invitations");
    else
        buf_printf(&pattern, "/api/v1/accounts/%llu/%s/{id}", v->account->id,
                   v->known.dn ? "members" : "invitations");
    char id[24];
    snprintf(id, sizeof(id), "%llu", v->id);
    web_fill_ids(&loc, buf_str(&pattern), v->known.dn ? v->known.uid : id, NULL);
    res_header(v->req, "Location", buf_str(&loc));
    buf_free(&pattern);
    buf_free(&loc);
}

/* The data of an add-member intent: what its SQL side (saga_finish_sql:
 * the added-to-account mail and the audit row) needs, also when the repair
 * job finishes it. */
static json_t *add_member_data(const struct person *known, unsigned role, const char *inviter)
{
    return json_pack("{s:s, s:s?, s:s?, s:s}", "role", role_name(role), "mail", known->mail, "name",
                     known->name ? known->name : known->uid, "inviter_name", inviter);
}

/* The note of a person invited to a role that one they hold already
 * covers (round-22 walkthrough of seed 004, D2: an admin invited as
 * member; round-23 walkthrough of seed 003, D1: a project's owner or
 * editor invited as a lesser project role), on answer: "<name> is
 * already <held> of <place>, which gives everything the <asked> role
 * gives: nothing changed and no mail was sent". held: "an administrator",
 * "an owner"; place: the account's name, or the project in it. */
static void covered_note(json_t *answer, const struct person *known, const char *held,
                         const char *place, const char *asked)
{
    struct buf note = BUF_INIT;
    buf_printf(&note,
               "%s is already %s of %s, which gives everything the %s role gives: nothing "
               "changed and no mail was sent",
               known->name ? known->name : known->uid, held, place, asked);
    json_object_set_new(answer, "note", json_string(buf_str(&note)));
    buf_free(&note);
}

/* The note of an admin invited as member, naming the account. */
static int already_admin_note(struct request *req, const struct invite *v, json_t *answer)
{
    char *account_name = NULL;
    int st = account_name_get(req->session->sql, v->account->id, &account_name);
    if (st != ST_OK)
        return st;
    covered_note(answer, &v->known, template_role_title(role_name(ROLE_ADMIN)), account_name,
                 role_name(v->role));
    free(account_name);
    return ST_OK;
}

/* The project role among held (PROJECT_* bits) that gives everything
 * asked gives, or 0: owner gives everything editor and reader give, and
 * editor everything reader gives (the bits are in that order, the
 * highest role first), so the highest role held covers every lower one. */
static unsigned project_role_covering(unsigned held, unsigned asked)
{
    unsigned highest = held & (~held + 1u);
    return highest && highest < asked ? highest : 0;
}

/* Gives v->known the role at once (a saga: guard, plan, LDAP, then the mail
 * and audit row in a short transaction) and answers. */
static void add_known(struct invite *v)
{
    struct request *req = v->req;
    struct saga s = {.actor = xstrdup(req->caller.uid)};
    s.plan.kind = SAGA_ADD_MEMBER;
    s.plan.account_id = v->account->id;
    char *inviter = NULL;
    int st = mail_actor_name(req->session->sql, &req->caller, v->account->id, &inviter);
    if (st == ST_OK)
        st = saga_begin(req->session->sql, &s, &req->problem);
    if (st == ST_OK) {
        st = ldap_store_roles_of(req->session->ldap, s.plan.account_id, v->known.dn,
                                 &s.plan.roles_before);
        if (st != ST_OK)
            saga_release(req->session->sql, &s, "not applied");
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory or the database");
        goto out;
    }
    /* An admin invited as member: admin gives everything member gives
     * (DESIGN.md, "People and roles"; every route open to member is open
     * to admin), so member would add nothing but a mail saying "added you
     * ... as a member" to someone who runs the account (round-22
     * walkthrough of seed 004, D2). Answered as a role they hold, with a
     * note that says so. */
    int admin_covers = v->role == ROLE_MEMBER && (s.plan.roles_before & ROLE_ADMIN);
    if ((s.plan.roles_before & v->role) || admin_covers) {
        /* They have that role already: nothing changes, so no mail and no
         * audit row; the answer is the same as the first time's. */
        saga_release(req->session->sql, &s, "no change");
        json_t *answer = json_pack("{s:s, s:s, s:s}", "status", "added", "uid", v->known.uid,
                                   "role", role_name(v->role));
        if (admin_covers)
            st = already_admin_note(req, v, answer);
        if (st != ST_OK) {
            json_decref(answer);
            res_store_failure(req, st, "the database");
            goto out;
        }
        invite_location(v);
        res_json(req, 201, answer);
        goto out;
    }
    s.plan.person_dn = xstrdup(v->known.dn);
    s.plan.person_uid = xstrdup(v->known.uid);
    s.plan.roles_after = s.plan.roles_before | v->role;
    s.data = add_member_data(&v->known, v->role, inviter);
    /* A service provider who adds someone as a service provider at once:
     * the account's named contacts (else its admins) are told (round-19
     * walkthrough of seed 000, D3); an admin's or operator's addition
     * mails nobody extra. */
    if (providers_grant_told(v->account->roles, req->caller.is_operator, s.plan.roles_before,
                             s.plan.roles_after)) {
        json_t *notice = NULL;
        st = providers_grant_notice(req, v->account->id, inviter, &v->known,
                                    PROVIDER_GRANTED_AT_ONCE, &notice);
        if (notice)
            json_object_set_new(s.data, "provider_granted", notice);
        if (st != ST_OK) {
            saga_release(req->session->sql, &s, "not applied");
            res_store_failure(req, st, "the directory or the database");
            goto out;
        }
    }
    /* A stale stored contact added as admin at once counts again: told as
     * a role change's PUT tells it (contacts_again_data; round-26
     * walkthrough of seed 004, D3). */
    unsigned kinds = 0;
    st = contacts_again_kinds(req->session->sql, v->account->id, &v->known, s.plan.roles_before,
                              s.plan.roles_after, &kinds);
    json_t *again = NULL;
    if (st == ST_OK && kinds) {
        const struct contact_actor actor = {
            .name = inviter,
            .mail = req->caller.mail,
            .admin = (caller_roles(req, v->account->id) & ROLE_ADMIN) != 0,
        };
        st = contacts_again_data(req, v->account->id, &v->known, kinds, &actor, &again);
    }
    if (again)
        json_object_set_new(s.data, "contact_again", again);
    if (st != ST_OK) {
        saga_release(req->session->sql, &s, "not applied");
        res_store_failure(req, st, "the directory or the database");
        goto out;
    }
    enum saga_outcome outcome = saga_change_roles(req->session->ldap, req->session->sql, &s, &st);
    if (st == ST_NOT_FOUND) {
        log_error("account %llu has no %s role group in LDAP", v->account->id, role_name(v->role));
        st = ST_ERROR;
    }
    if (outcome == SAGA_DONE) {
        invite_location(v);
        res_json(req, 201,
                 json_pack("{s:s, s:s, s:s}", "status", "added", "uid", v->known.uid, "role",
                           role_name(v->role)));
    } else
        saga_answer_failure(req, outcome, st);
out:
    free(inviter);
    saga_free(&s);
}

/* The invitee's name from the names given with the invitation (NULL when
 * none) and the greeting line of its mail (docs/api.md, "Templates"). */
static char *invitee_name(const char *first, const char *last)
{
    struct buf b = BUF_INIT;
    if (first && *first)
        buf_adds(&b, first);
    if (last && *last)
        buf_printf(&b, "%s%s", b.len ? " " : "", last);
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* {{renewal_note}} of a mail whose invitation replaces a pending one of
 * the same address (a renewal or a resend; replaced_role: the role the
 * replaced link offered), malloc'ed; NULL for a first invitation, whose
 * line is left out (round-14 walkthrough of seed 001, D3: the second mail
 * contradicted the first without saying that it replaces it). */
static char *renewal_note(const char *replaced_role, unsigned long long project_id, unsigned role)
{
    if (!replaced_role)
        return NULL;
    const char *now = role_name_in(project_id, role);
    struct buf b = BUF_INIT;
    buf_adds(&b, "This invitation replaces the one sent to you before");
    if (strcmp(replaced_role, now) != 0)
        buf_printf(&b, ", now as %s instead of %s", template_role_title(now),
                   template_role_title(replaced_role));
    buf_adds(&b, ": the link in that earlier mail no longer works.");
    return buf_detach(&b);
}

/* Queues the invitation mail of invitation v->id (with the token just set)
 * and its audit row (old_value old, taken, may be NULL); fills v->role and
 * v->expires_at. A hand-over (purpose transfer) has its own template, also
 * on resend. replaced_role: the role of the pending invitation (of the
 * same address) whose link this one replaces, NULL when it replaces
 * none. */
static int mail_invitation(struct sql_store *sql, struct invite *v, const char *account_name,
                           const char *action, json_t *old, const char *replaced_role)
{
    struct request *req = v->req;
    struct invitation_mail m;
    int st = invitation_mail_fields(sql, v->id, &m);
    if (st != ST_OK) {
        json_decref(old);
        return st == ST_NOT_FOUND ? ST_ERROR : st;
    }
    v->project_id = m.project_id;
    v->role = v->project_id ? project_role_bit(m.role) : role_bit(m.role);
    free(v->expires_at);
    v->expires_at = xstrdup(m.expires_at);
    free(v->stored_email);
    v->stored_email = xstrdup(m.email);
    char *link = token_link(req->cfg->invitation_url, v->token);
    char *place = invitation_place_name(account_name, m.project_name);
    char *name = invitee_name(m.first_name, m.last_name);
    struct buf greeting = BUF_INIT;
    buf_printf(&greeting, "Hello%s%s,", name ? " " : "", name ? name : "");
    /* Who sends it and for which organization: "Paul Partner of Acme
     * Partners" (round-10 to round-12 walkthroughs of seeds 000 and 003:
     * the mail named the partner's person only). */
    char *inviter = NULL;
    st = mail_actor_name(sql, &req->caller, v->account->id, &inviter);
    char *renewal = renewal_note(replaced_role, v->project_id, v->role);
    /* transfer-invitation under a partner: the operator staff among the
     * people it moves keep access as operators, whatever the customer
     * ends (round-25 walkthrough of seed 000, D2); read when it is sent. */
    int transfer = strcmp(m.purpose, "transfer") == 0;
    /* Read before the transaction (v->moved_*); not read only when a
     * transfer took the invitation over after that step looked at it. */
    if (st == ST_OK && transfer && !m.parentless && !v->moved_read)
        st = refuse(req, 409, "conflict",
                    "this invitation became the hand-over's while it was resent; resend it again");
    char *providers_note =
        transfer ? transfer_providers_note(m.parentless, 1, v->moved_ops, v->moved_partners) : NULL;
    const char *to[] = {m.email};
    struct template_value vals[] = {
        {"account_name", place},
        {"inviter_name", inviter ? inviter : ""},
        {"role", role_name_in(v->project_id, v->role)},
        {"link", link},
        {"expires_at", v->expires_at},
        {"email", m.email},
        {"name", name ? name : ""},
        {"greeting", buf_str(&greeting)},
        {"role_title", template_role_title(role_name_in(v->project_id, v->role))},
        /* The account's contact person is told what naming them means
         * (round-6 walkthroughs of seeds 001 and 003); for anyone else the
         * line is left out. */
        {"contact_note",
         strcmp(m.purpose, "contact") == 0 ? TEMPLATE_CONTACT_NOTE : TEMPLATE_OMIT_LINE},
        {"renewal_note", renewal ? renewal : TEMPLATE_OMIT_LINE},
        /* transfer-invitation: who keeps access after the hand-over; on
         * an account without a parent the platform's operators, whose
         * access the customer does not end (round-18 walkthrough of seed
         * 000, D2). */
        {"providers_note", providers_note ? providers_note : ""},
    };
    const char *template = transfer ? "transfer-invitation" : "invitation";
    if (st == ST_OK)
        st = outbox_queue(sql, v->account->id, template, to, 1, NULL, vals,
                          sizeof(vals) / sizeof(vals[0]));
    free(renewal);
    free(providers_note);
    free(link);
    free(place);
    free(name);
    buf_free(&greeting);
    free(inviter);
    if (st == ST_OK) {
        /* What the invitation is now: its purpose and the names given
         * with it too (a contact's, a hand-over's), its expiry and sender
         * (round-6 walkthroughs of seeds 003, D7, and 004, D5). */
        json_t *n =
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?}", "invitation_id", (json_int_t)v->id,
                      "email", m.email, "role", role_name_in(v->project_id, v->role), "purpose",
                      m.purpose, "expires_at", m.expires_at, "invited_by", m.invited_by);
        if (m.first_name)
            json_object_set_new(n, "first_name", json_string(m.first_name));
        if (m.last_name)
            json_object_set_new(n, "last_name", json_string(m.last_name));
        if (v->project_id)
            json_object_set_new(n, "project_id", json_integer((json_int_t)v->project_id));
        st = audit_write(sql, req->caller.uid, v->account->id, action, old, n);
    } else {
        json_decref(old);
    }
    invitation_mail_free(&m);
    return st;
}

/* A pending invitation of the address that an invitation of another
 * purpose must not overwrite: a hand-over's (transfer) or the account's
 * contact person's (contact) would silently lose what its accept does
 * (docs/api.md, round-3 walkthrough of seeds 000 and 004). ST_OK, or
 * ST_REFUSED with a 409 that names it. */
static int keeps_purpose(struct request *req, const struct pending_invitation *old,
                         const char *purpose)
{
    if (strcmp(old->purpose, purpose) == 0)
        return ST_OK;
    /* The hand-over invites the address as admin already: the partner
     * who follows the seed's "add your customer as Administration" after
     * POST .../transfer needs nothing more, and revoking it would end the
     * hand-over (round-14 walkthrough of seed 000, D2). */
    if (strcmp(old->purpose, "transfer") == 0)
        return refuse(req, 409, "conflict",
                      "a hand-over of this account to this address is pending (invitation %llu): "
                      "it already invites this address as admin, and when it is accepted the "
                      "provider's people become service providers by themselves; resend that "
                      "invitation for a new link",
                      old->id);
    if (strcmp(old->purpose, "contact") == 0)
        return refuse(req, 409, "conflict",
                      "the account's contact invitation to this address is pending (invitation "
                      "%llu); resend or revoke that invitation first",
                      old->id);
    return ST_OK;
}

static int may_grant(struct request *req, const struct account_ref *a, unsigned role);

/* Writes (or renews) the pending invitation of v->email and mails its
 * link; inside a transaction that holds the account row. Renewing one of
 * another purpose is refused (keeps_purpose) but for a hand-over, which
 * takes over a member invitation of its address. */
static int invite_new(struct sql_store *sql, struct invite *v, const char *account_name)
{
    struct request *req = v->req;
    const char *purpose = v->purpose ? v->purpose : "member";
    struct pending_invitation old;
    json_t *old_value = NULL;
    char *replaced_role = NULL;
    int st = invitation_pending_of(sql, v->account->id, v->project_id, v->email, &old);
    if (st == ST_NOT_FOUND)
        st = ST_OK;
    else if (st == ST_OK) {
        st = keeps_purpose(req, &old, purpose);
        /* Replacing a pending admin invitation is revoking it: for those
         * who may revoke it only (round-11 walkthrough of seed 001, D1: a
         * service provider's member invitation took over an admin's). */
        if (st == ST_OK && strcmp(purpose, "member") == 0 &&
            !may_grant(req, v->account, role_bit(old.role)))
            st = refuse(req, 403, "forbidden",
                        "a pending invitation of this address to become admin is there "
                        "(invitation %llu); only admins may replace or revoke it",
                        old.id);
        /* The audit row of a renewal keeps what it replaced. */
        if (st == ST_OK)
            old_value =
                json_pack("{s:I, s:s, s:s, s:s}", "invitation_id", (json_int_t)old.id, "role",
                          old.role, "purpose", old.purpose, "expires_at", old.expires_at);
        if (st == ST_OK)
            replaced_role = xstrdup(old.role);
        pending_invitation_free(&old);
    }
    if (st != ST_OK)
        return st;
    free(v->token);
    v->token = token_new();
    char token_hash_buf[65];
    sha256_hex(v->token, token_hash_buf);
    const char *token_hash = token_hash_buf;
    st = invitation_upsert(sql, v->account->id, v->project_id, v->email,
                           role_name_in(v->project_id, v->role), v->purpose, v->first_name,
                           v->last_name, token_hash, req->caller.uid, req->cfg->invitation_ttl,
                           &v->id);
    if (st == ST_OK)
        st = mail_invitation(sql, v, account_name, "invitation.create", old_value, replaced_role);
    else
        json_decref(old_value);
    free(replaced_role);
    return st;
}

/* A new invitation, inside a transaction that holds the account row (no
 * LDAP in here). */
static int invite_tx(struct sql_store *sql, void *arg)
{
    struct invite *v = arg;
    char *account_name = NULL;
    int st = account_lock(sql, v->account->id, &v->req->problem, &account_name);
    if (st != ST_OK)
        return st;
    st = invite_new(sql, v, account_name);
    free(account_name);
    return st;
}

/* The answer to an invitation that went through (docs/api.md). */
static json_t *invite_result(const struct invite *v)
{
    json_t *out;
    if (v->known.dn) {
        out = json_pack("{s:s, s:s, s:s}", "status", "added", "uid", v->known.uid, "role",
                        role_name_in(v->project_id, v->role));
    } else {
        char idbuf[24];
        snprintf(idbuf, sizeof(idbuf), "%llu", v->id);
        out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "invited", "id", idbuf, "email",
                        v->stored_email ? v->stored_email : v->email, "role",
                        role_name_in(v->project_id, v->role), "expires_at", v->expires_at);
    }
    if (v->project_id) {
        char pid[24];
        snprintf(pid, sizeof(pid), "%llu", v->project_id);
        json_object_set_new(out, "project_id", json_string(pid));
    }
    return out;
}

/* The person to add at once for an invitation to email: one LDAP knows by
 * that mail AND who is in the caller's tenant tree; anyone else (unknown,
 * or known outside the tree) is left empty and gets an invitation mail,
 * so the answer never tells whether the directory knows the address. */
static int keep_if_in_tree(struct request *req, struct person *known)
{
    int in = 0;
    int st = caller_tree_holds(req, known->dn, known->uid, &in);
    if (st != ST_OK || !in)
        person_free(known);
    return st;
}

int invitation_find_addable(struct request *req, const char *email, struct person *known)
{
    int st = ldap_store_find_person(req->session->ldap, "mail", email, known);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    return st == ST_OK ? keep_if_in_tree(req, known) : st;
}

/* A service provider's invitation to service-provider of a person LDAP
 * knows by that mail (in their tree or not) whose access an admin of the
 * account revoked: *refused = 1 (providers_store.h). Only the revoked
 * person's address is told apart, and only to a provider of that same
 * account, which the 403 says. */
static int provider_regrant_refused_of(struct request *req, const struct account_ref *a,
                                       const struct person *p, int *refused)
{
    *refused = 0;
    return p->dn ? provider_revoked_by_admin(req->session->sql, a->id, p->uid, refused) : ST_OK;
}

static int provider_regrant_refused(struct request *req, const struct account_ref *a,
                                    const char *email, int *refused)
{
    *refused = 0;
    struct person p;
    int st = ldap_store_find_person(req->session->ldap, "mail", email, &p);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK)
        return st;
    st = provider_regrant_refused_of(req, a, &p, refused);
    person_free(&p);
    return st;
}

/* Who may hand out which role: admins any, service providers non-admin. */
static int may_grant(struct request *req, const struct account_ref *a, unsigned role)
{
    if (req->caller.is_operator || (a->roles & ROLE_ADMIN))
        return 1;
    return role != ROLE_ADMIN;
}

/* The body of an account or project invitation: {email, role, first_name?,
 * last_name?}; the email checked here, the role text returned for the
 * caller to map (NULL when absent, with the error recorded). */
static const char *invite_body(struct request *req, struct invite *v)
{
    static const char *const allowed[] = {"email", "role", "first_name", "last_name", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    /* Spaces around a pasted address or name are dropped, as the
     * recipients form drops them (round-6 walkthrough of seed 004, D6). */
    body_trim(b, "email");
    body_trim(b, "first_name");
    body_trim(b, "last_name");
    v->email = body_str(req, b, NULL, "email", 1, MAX_BYTES(254));
    const char *role = body_str(req, b, NULL, "role", 1, MAX_CHARS(32));
    v->first_name = body_text(req, b, NULL, "first_name", 0, MAX_CHARS(100));
    v->last_name = body_text(req, b, NULL, "last_name", 0, MAX_CHARS(100));
    const char *why;
    char buf[WHY_SIZE];
    if (v->email && (why = validate_email_ascii(v->email, buf)))
        res_field_error(req, "email", why);
    return role;
}

void invitations_create(struct request *req)
{
    struct invite v = {.req = req};
    const char *role = invite_body(req, &v);
    if (role && !(v.role = role_bit(role)))
        res_field_error(req, "role", "must be admin, service-provider, billing or member");
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    if (!may_grant(req, &a, v.role)) {
        refuse(req, 403, "forbidden", "only admins may invite admins");
        return;
    }
    /* Nor billing, which orders and cancels (DESIGN.md: a service provider
     * does not cancel): a provider's staff giving each other billing would
     * keep that after the customer revoked their access (round 2, D1). */
    if (v.role == ROLE_BILLING && !req->caller.is_operator && !(a.roles & ROLE_ADMIN)) {
        refuse(req, 403, "forbidden",
               "a service provider cannot give the billing role; ask an admin of the account");
        return;
    }
    v.account = &a;
    int st = ST_OK;
    /* Any role: a provider re-adding a revoked colleague as member undid
     * the customer's revocation (round-11 walkthrough of seed 000, D2). */
    if (!req->caller.is_operator && !(a.roles & ROLE_ADMIN)) {
        int refused = 0;
        st = provider_regrant_refused(req, &a, v.email, &refused);
        if (st == ST_OK && refused) {
            refuse(req, 403, "forbidden", PROVIDER_REVOKED_DETAIL);
            return;
        }
        if (st != ST_OK) {
            res_store_failure(req, st, "the directory or the database");
            return;
        }
    }
    st = invitation_find_addable(req, v.email, &v.known);
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory or the database");
        return;
    }
    /* A service provider cannot add roles to themselves this way either
     * (members.c). */
    if (v.known.dn && !req->caller.is_operator && !(a.roles & ROLE_ADMIN) &&
        strcmp(v.known.uid, req->caller.uid) == 0) {
        refuse(req, 403, "forbidden",
               "a service provider cannot change their own roles; ask an admin");
        goto out;
    }
    /* A role given to a person of the provider's side of a staged account
     * is a change of the preparers' roles: theirs, as its end by DELETE
     * .../service-providers/{uid} is (round-27 walkthrough of seed 000,
     * D1: the customer's admin gave the partner's colleague back the role
     * she had ended). The 403 of the role change, nothing written. */
    if (v.known.dn) {
        st = transfer_refuse_preparers_change(req, &a, v.known.dn, &req->problem);
        if (st != ST_OK) {
            res_store_failure(req, st, "the directory or the database");
            goto out;
        }
        add_known(&v);
        goto out;
    }
    st = request_transaction(req, invite_tx, &v);
    if (st == ST_OK) {
        invite_location(&v);
        res_json(req, 202, invite_result(&v));
    } else {
        res_store_failure(req, st, "the directory or the database");
    }
out:
    person_free(&v.known);
    free(v.token);
    free(v.expires_at);
    free(v.stored_email);
}

/* ---- invite to a project ------------------------------------------- */

/* Gives v->known the project role at once: a project-roles saga, as PUT
 * /projects/{pid}/members/{uid} makes, that adds the role (any other role
 * they hold in the project stays, as an account invitation keeps other
 * roles) and mails them added-to-account naming the project (place). */
static void add_known_to_project(struct invite *v, const char *place)
{
    struct request *req = v->req;
    struct saga s = {.actor = xstrdup(req->caller.uid)};
    s.plan.kind = SAGA_PROJECT_ROLES;
    s.plan.account_id = v->account->id;
    s.plan.project_id = v->project_id;
    char *inviter = NULL;
    int st = mail_actor_name(req->session->sql, &req->caller, v->account->id, &inviter);
    if (st == ST_OK)
        st = saga_begin(req->session->sql, &s, &req->problem);
    if (st == ST_OK) {
        st = saga_plan_roles_of(req->session->ldap, &s.plan, v->known.dn, &s.plan.roles_before);
        if (st == ST_NOT_FOUND)
            st = refuse(req, 404, "not-found", "no such project");
        if (st != ST_OK)
            saga_release(req->session->sql, &s, st == ST_REFUSED ? "refused" : "not applied");
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory or the database");
        goto out;
    }
    /* A role they hold already, or one a higher role of theirs covers
     * (round-23 walkthrough of seed 003, D1: an owner invited as reader
     * was "added" as a reader and mailed so, holding ["owner","reader"]):
     * no change, no mail, no audit row, the answer of the first time; the
     * covered one with a note, as an admin invited as member gets
     * (add_known). */
    unsigned covering = project_role_covering(s.plan.roles_before, v->role);
    if ((s.plan.roles_before & v->role) || covering) {
        saga_release(req->session->sql, &s, "no change");
        json_t *answer = invite_result(v);
        if (covering)
            covered_note(answer, &v->known,
                         template_role_title(role_name_in(v->project_id, covering)), place,
                         role_name_in(v->project_id, v->role));
        invite_location(v);
        res_json(req, 201, answer);
        goto out;
    }
    s.plan.person_dn = xstrdup(v->known.dn);
    s.plan.person_uid = xstrdup(v->known.uid);
    s.plan.roles_after = s.plan.roles_before | v->role;
    s.data = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s?}", "action", "project.member.set",
                       "role", role_name_in(v->project_id, v->role), "mail", v->known.mail, "name",
                       v->known.name ? v->known.name : v->known.uid, "inviter_name", inviter,
                       "place", place, "ends_invitation_of", v->known.mail);
    enum saga_outcome outcome = saga_change_roles(req->session->ldap, req->session->sql, &s, &st);
    if (outcome == SAGA_DONE) {
        invite_location(v);
        res_json(req, 201, invite_result(v));
    } else
        saga_answer_failure(req, outcome, st);
out:
    free(inviter);
    saga_free(&s);
}

/* The person to add at once for an invitation to project v->project_id:
 * one invitation_find_addable finds, or one LDAP knows by that mail who
 * holds a role in the project already (round-20 walkthrough of seed 003,
 * D1: a project-only owner's invitation of a person of the project,
 * whom GET /projects/{pid} shows them with name and mail, was mailed as a
 * stranger's). Anyone else is left empty and invited. v->known: the
 * person LDAP knows by the mail (or none), groups: the project's role
 * groups, as the caller read them. */
static int project_find_addable(struct request *req, struct invite *v,
                                const struct role_group *groups, size_t ngroups)
{
    if (!v->known.dn)
        return ST_OK;
    for (size_t g = 0; g < ngroups; g++)
        for (size_t i = 0; i < groups[g].nmembers; i++)
            if (ldap_dn_equal(groups[g].members[i], v->known.dn))
                return ST_OK; /* already in the project */
    return keep_if_in_tree(req, &v->known);
}

void project_invitations_create(struct request *req)
{
    struct invite v = {.req = req, .purpose = "project"};
    const char *role = invite_body(req, &v);
    if (role && !(v.role = project_role_bit(role)))
        res_field_error(req, "role", "must be owner, editor or reader");
    if (body_failed(req))
        return;
    /* Whoever may change the project's people (PUT .../members/{uid}). */
    v.project_id = parse_id(req->args[0]);
    if (!projects_may_manage(req, v.project_id))
        return;
    struct account_ref a = req->account;
    v.account = &a;
    json_t *project = NULL;
    char *account_name = NULL, *place = NULL;
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    int st = project_read(req->session->sql, v.project_id, &project);
    /* A project whose groups an LDAP administrator deleted is no project
     * (GET /projects/{pid} is 404 too): nobody is invited to it. Its
     * groups, read once, also say who is in it (project_find_addable). */
    if (st == ST_OK)
        st = ldap_store_project_groups(req->session->ldap, a.id, v.project_id, &groups, &ngroups);
    unsigned there = 0;
    for (size_t g = 0; st == ST_OK && g < ngroups; g++)
        there |= groups[g].role;
    if (st == ST_NOT_FOUND || (st == ST_OK && !(there & v.role))) {
        json_decref(project);
        role_groups_free(groups, ngroups);
        refuse(req, 404, "not-found", "no such project");
        return;
    }
    /* The person LDAP knows by the address, read once. */
    if (st == ST_OK) {
        st = ldap_store_find_person(req->session->ldap, "mail", v.email, &v.known);
        if (st == ST_NOT_FOUND)
            st = ST_OK;
    }
    /* Whom an admin of the account revoked gets no project role from
     * anyone else either (round-12 walkthrough of seed 000, D1). */
    int refused = 0;
    if (st == ST_OK && !req->caller.is_operator && !(a.roles & ROLE_ADMIN))
        st = provider_regrant_refused_of(req, &a, &v.known, &refused);
    if (st == ST_OK && refused) {
        json_decref(project);
        role_groups_free(groups, ngroups);
        person_free(&v.known);
        refuse(req, 403, "forbidden", PROVIDER_REVOKED_DETAIL);
        return;
    }
    if (st == ST_OK)
        st = project_find_addable(req, &v, groups, ngroups);
    role_groups_free(groups, ngroups);
    if (st == ST_OK && v.known.dn) {
        st = account_name_get(req->session->sql, a.id, &account_name);
        if (st == ST_OK) {
            place = invitation_place_name(account_name,
                                          json_string_value(json_object_get(project, "name")));
            add_known_to_project(&v, place);
        }
    } else if (st == ST_OK) {
        st = request_transaction(req, invite_tx, &v);
        if (st == ST_OK) {
            invite_location(&v);
            res_json(req, 202, invite_result(&v));
        }
    }
    if (st != ST_OK)
        res_store_failure(req, st, "the directory or the database");
    json_decref(project);
    free(account_name);
    free(place);
    person_free(&v.known);
    free(v.token);
    free(v.expires_at);
    free(v.stored_email);
}

/* ---- list, revoke, resend ------------------------------------------ */

int invitations_audit_revoked(struct sql_store *sql, const char *actor,
                              unsigned long long account_id, const unsigned long long *ids,
                              size_t n, const char *reason)
{
    int st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < n; i++)
        st = audit_write(
            sql, actor, account_id, "invitation.revoke",
            json_pack("{s:I, s:s}", "invitation_id", (json_int_t)ids[i], "status", "pending"),
            json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)ids[i], "status", "revoked",
                      "reason", reason));
    return st;
}

/* The project routes of the invitations: the project's managers
 * (projects_may_manage, which answers otherwise), then fn as for the
 * account's invitations, limited to project pid. */
static void in_project(struct request *req, void (*fn)(struct request *, unsigned long long))
{
    unsigned long long pid = parse_id(req->args[0]);
    if (projects_may_manage(req, pid))
        fn(req, pid);
}

/* Whether a pending invitation's link would still work, as the accept
 * decides (invitation_sender_holds; round-15 walkthrough of seed 000,
 * D1: the list showed an invitation whose sender had given up admin as
 * pending, and its accept was 410): "usable" on item, and "reason" when it
 * is false. Other statuses are left as they are. A project invitation
 * whose project (or the group of its role) an LDAP administrator deleted
 * is not usable either (round-18 walkthrough of seed 003, D3: listed
 * usable although its link answers 410 and its resend 409); seen keeps
 * the projects looked up for the answer. */
static int mark_usable(struct request *req, json_t *item, struct projects_seen *seen)
{
    const char *status = json_string_value(json_object_get(item, "status"));
    const char *by = json_string_value(json_object_get(item, "invited_by"));
    if (!status || strcmp(status, "pending") != 0)
        return ST_OK;
    if (!by) {
        json_object_set_new(item, "usable", json_true());
        return ST_OK;
    }
    /* The item's ids are decimal strings, as the API writes every id
     * (round-17 walkthrough of seed 003, D1: read as an integer, a
     * project-only owner's invitations were checked as account invitations
     * and listed as dead). */
    const char *pid_s = json_string_value(json_object_get(item, "project_id"));
    unsigned long long pid = pid_s ? strtoull(pid_s, NULL, 10) : 0;
    const char *role = json_string_value(json_object_get(item, "role"));
    const char *purpose = json_string_value(json_object_get(item, "purpose"));
    unsigned bit = pid ? project_role_bit(role ? role : "") : role_bit(role ? role : "");
    int holds = 0, gone = 0;
    /* Its project first: without it no sender helps, and a resend is
     * refused (409), so revoking it is all there is to do. */
    if (pid) {
        int there = 0, project_gone = 0;
        int st =
            project_role_in_directory(req, seen, req->account.id, pid, bit, &there, &project_gone);
        if (st != ST_OK)
            return st;
        if (!there) {
            struct buf reason = BUF_INIT;
            if (project_gone)
                buf_adds(&reason, "its project is no longer in the directory");
            else
                buf_printf(&reason, "its project's %s group is no longer in the directory",
                           role ? role : "role");
            buf_adds(&reason, ": its link answers 410 invitation-revoked; revoke it");
            json_object_set_new(item, "usable", json_false());
            json_object_set_new(item, "reason", json_string(buf_str(&reason)));
            buf_free(&reason);
            return ST_OK;
        }
    }
    int st =
        invitation_sender_holds(req, req->account.id, pid, bit,
                                purpose && strcmp(purpose, "transfer") == 0, by, &holds, &gone);
    if (st != ST_OK)
        return st;
    json_object_set_new(item, "usable", json_boolean(holds));
    /* Written for the reader (round-16 walkthrough of seed 000, D3: a
     * service provider was told to resend or revoke an admin invitation,
     * both 403 for them): what the caller may do, as revoke and resend
     * decide (may_grant; a project's managers manage its invitations). */
    if (!holds) {
        int may = pid || may_grant(req, &req->account, bit);
        struct buf reason = BUF_INIT;
        buf_printf(&reason, "%s: its link answers 410 invitation-revoked; %s",
                   gone ? "its sender is no longer in the directory"
                        : "its sender may no longer give this role here",
                   may ? "resend it (you become its sender) or revoke it"
                       : "ask an admin of the account to resend it (becoming its sender) or to "
                         "revoke it");
        json_object_set_new(item, "reason", json_string(buf_str(&reason)));
        buf_free(&reason);
    }
    return ST_OK;
}

/* The account's pending invitations, or those of project pid (not 0). */
static void list_pending(struct request *req, unsigned long long pid)
{
    size_t offset;
    long limit;
    if (page_query(req, &offset, &limit) < 0)
        return;
    json_t *items = NULL;
    struct projects_seen seen = {0};
    int st = invitations_pending(req->session->sql, req->account.id, pid, &items);
    for (size_t i = 0; st == ST_OK && i < json_array_size(items); i++)
        st = mark_usable(req, json_array_get(items, i), &seen);
    projects_seen_free(&seen);
    if (st != ST_OK) {
        if (items)
            json_decref(items);
        res_store_failure(req, st, "the directory or the database");
        return;
    }
    res_items_page(req, items, offset, limit);
}

void invitations_list(struct request *req)
{
    list_pending(req, 0);
}

/* A project's owners manage the invitations of their project (api.md,
 * round-3 walkthrough of seed 003), as the account's admins do. */
void project_invitations_list(struct request *req)
{
    in_project(req, list_pending);
}

/* One invitation of the account (its projects' too, as the list shows
 * them), or of project pid (not 0) only: the Location of a 202 (round-8
 * walkthroughs of seeds 003 and 004). Any status: pending, expired,
 * accepted, revoked; another account's or project's is unknown. */
static void get_one(struct request *req, unsigned long long pid)
{
    if (body_none(req))
        return;
    unsigned long long id = parse_id(req->args[1]);
    json_t *item = NULL;
    int st =
        id ? invitation_read(req->session->sql, id, req->account.id, pid, &item) : ST_NOT_FOUND;
    if (st == ST_OK) {
        struct projects_seen seen = {0};
        st = mark_usable(req, item, &seen);
        projects_seen_free(&seen);
        if (st != ST_OK)
            json_decref(item);
    }
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "no such invitation");
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory or the database");
    else
        res_json(req, 200, item);
}

void invitations_get(struct request *req)
{
    get_one(req, 0);
}

void project_invitations_get(struct request *req)
{
    in_project(req, get_one);
}

struct revoke {
    struct request *req;
    const struct account_ref *account;
    unsigned long long id, project_id;
};

/* 1 when the caller is an admin of staged account a who is no person of
 * its provider's side (the customer's admin the partner added while
 * staging): the resend and revoke of its hand-over's invitation are not
 * theirs (round-24 walkthrough of seed 000, D1). Operator staff and the
 * partner's people are of that side; a service provider or member is
 * refused by lock_pending's admin rule. No read but for a parentless
 * account (transfer.h). */
static int handover_step_not_callers(struct request *req, const struct account_ref *a)
{
    return (a->roles & ROLE_ADMIN) && transfer_staged_not_provider_side(req, a);
}

/* The resend or revoke of invitation id of the account by such a caller
 * when it is the pending hand-over's (purpose transfer): the 403 of POST
 * .../transfer, which names who prepared the account (round-24
 * walkthrough of seed 000, D1: the customer's admin resent the partner's
 * hand-over and became its sender, so that its invitee read that she had
 * prepared the account, or revoked it, and nobody was told). Read before
 * the transaction, which holds no LDAP read; one SQL read, for such a
 * caller only. Returns 1 when refused (the answer given). */
static int handover_step_refused(struct request *req, unsigned long long id)
{
    if (!handover_step_not_callers(req, &req->account))
        return 0;
    struct invitation_mail m;
    int st = invitation_mail_fields(req->session->sql, id, &m);
    int transfer = st == ST_OK && m.account_id == req->account.id && m.pending && !m.project_id &&
                   m.purpose && strcmp(m.purpose, "transfer") == 0;
    if (st == ST_OK)
        invitation_mail_free(&m);
    if (st != ST_OK && st != ST_NOT_FOUND) {
        res_store_failure(req, st, "the database");
        return 1;
    }
    if (!transfer)
        return 0;
    transfer_refuse_not_provider_side(req, &req->account);
    return 1;
}

/* Locks pending invitation id of the account (of project pid when that is
 * not 0) and checks that the caller may hand out its role (a service
 * provider may not revoke or resend an admin invitation: that would stop a
 * customer's hand-over). ST_OK, or ST_REFUSED with a 404 or 403 refusal. */
static int lock_pending(struct sql_store *sql, struct request *req, const struct account_ref *a,
                        unsigned long long id, unsigned long long pid, struct problem *ref,
                        struct pending_invitation *out)
{
    int st = invitation_lock_pending(sql, id, a->id, pid, out);
    if (st == ST_NOT_FOUND) {
        /* One that is there but no longer pending (its GET shows it) is
         * 409, saying what became of it (round-10 walkthrough of seed
         * 003, D1); an unknown one 404. */
        json_t *item = NULL;
        st = invitation_read(sql, id, a->id, pid, &item);
        if (st == ST_OK) {
            const char *status = json_string_value(json_object_get(item, "status"));
            if (!status)
                status = "ended";
            char detail[160];
            /* Not "its person is in the account": they may have been
             * removed since (round-12 walkthrough of seed 001, D1). */
            snprintf(detail, sizeof(detail), "this invitation is %s, no longer pending%s", status,
                     strcmp(status, "accepted") == 0
                         ? "; its person's roles are changed under the account's members"
                         : "; invite the address again for a new one");
            st = problem_set(ref, 409, "conflict", detail);
        } else if (st == ST_NOT_FOUND)
            st = problem_set(ref, 404, "not-found", "no such pending invitation");
        json_decref(item);
    } else if (st == ST_OK && !may_grant(req, a, role_bit(out->role)))
        st = problem_set(ref, 403, "forbidden",
                         "only admins may revoke or resend an invitation to become admin");
    else if (st == ST_OK && !pid && strcmp(out->purpose, "transfer") == 0 &&
             handover_step_not_callers(req, a))
        /* A member invitation a transfer took over after the check before
         * the transaction (handover_step_refused): the same rule, in
         * short (no LDAP read under the lock). */
        st = problem_set(ref, 403, "forbidden",
                         "the hand-over is the provider's step: the people who prepared this "
                         "staged account resend or revoke its invitation; ask them");
    return st;
}

static int revoke_tx(struct sql_store *sql, void *arg)
{
    struct revoke *v = arg;
    struct pending_invitation locked = {0};
    /* A closed account's invitations first say that the account is closed,
     * as a resend and a new invitation there do (round-12 walkthrough of
     * seed 001, D1: "invite the address again" led to another 409). */
    int st = account_lock(sql, v->account->id, &v->req->problem, NULL);
    if (st == ST_OK)
        st = lock_pending(sql, v->req, v->account, v->id, v->project_id, &v->req->problem, &locked);
    pending_invitation_free(&locked);
    if (st == ST_OK)
        st = invitation_revoke(sql, v->id, v->account->id);
    if (st != ST_OK)
        return st;
    json_t *o = json_pack("{s:I, s:s}", "invitation_id", (json_int_t)v->id, "status", "pending");
    json_t *n = json_pack("{s:I, s:s}", "invitation_id", (json_int_t)v->id, "status", "revoked");
    if (v->project_id)
        json_object_set_new(n, "project_id", json_integer((json_int_t)v->project_id));
    return audit_write(sql, v->req->caller.uid, v->account->id, "invitation.revoke", o, n);
}

static void revoke(struct request *req, unsigned long long pid)
{
    if (body_none(req))
        return;
    struct account_ref a = req->account;
    struct revoke v = {.req = req, .account = &a, .id = parse_id(req->args[1]), .project_id = pid};
    if (v.id && !pid && handover_step_refused(req, v.id))
        return;
    int st = v.id ? request_transaction(req, revoke_tx, &v)
                  : refuse(req, 404, "not-found", "no such pending invitation");
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_empty(req, 204);
}

void invitations_revoke(struct request *req)
{
    revoke(req, 0);
}

void project_invitations_revoke(struct request *req)
{
    in_project(req, revoke);
}

/* May the caller give role (a ROLE_* bit; 0 for a project role, which
 * whoever manages the project's invitations may give) in the account
 * themselves: an operator or admin any, a service provider neither admin
 * nor billing (invitations_create's rules). */
static int may_give(struct request *req, const struct account_ref *a, unsigned role)
{
    if (req->caller.is_operator || (a->roles & ROLE_ADMIN))
        return 1;
    return role != ROLE_ADMIN && role != ROLE_BILLING;
}

static int resend_tx(struct sql_store *sql, void *arg)
{
    struct invite *v = arg;
    struct request *req = v->req;
    char *account_name = NULL;
    struct pending_invitation locked = {0};
    int st = account_lock(sql, v->account->id, &v->req->problem, &account_name);
    if (st == ST_OK)
        st = lock_pending(sql, req, v->account, v->id, v->project_id, &v->req->problem, &locked);
    if (st != ST_OK) {
        free(account_name);
        pending_invitation_free(&locked);
        return st;
    }
    /* A resend by someone who may give the role makes them its sender:
     * the accept asks whether the sender still may (accept_inviter), so an
     * admin who resends the invitation of an admin removed since sends a
     * link that works. A service provider's resend of an admin's billing
     * invitation leaves the admin its sender. */
    int project = strcmp(locked.purpose, "project") == 0;
    const char *sender =
        may_give(req, v->account, project ? 0 : role_bit(locked.role)) ? req->caller.uid : NULL;
    /* The audit row keeps what the resend replaced (round-6 walkthrough of
     * seed 004, D5). */
    json_t *old = json_pack("{s:I, s:s, s:s?}", "invitation_id", (json_int_t)v->id, "expires_at",
                            locked.expires_at, "invited_by", locked.invited_by);
    /* Its mail says that the earlier link no longer works (round-14
     * walkthrough of seed 001, D3): a resend keeps the role. */
    char *replaced_role = xstrdup(locked.role);
    pending_invitation_free(&locked);
    free(v->token);
    v->token = token_new();
    char token_hash_buf[65];
    sha256_hex(v->token, token_hash_buf);
    const char *token_hash = token_hash_buf;
    st = invitation_renew(sql, v->id, v->account->id, token_hash, req->cfg->invitation_ttl, sender);
    if (st == ST_NOT_FOUND)
        st = refuse(req, 404, "not-found", "no such pending invitation");
    if (st == ST_OK)
        st = mail_invitation(sql, v, account_name, "invitation.resend", old, replaced_role);
    else
        json_decref(old);
    free(replaced_role);
    free(account_name);
    return st;
}

/* Read before the transaction, which holds no LDAP read. A pending
 * project invitation of the account whose project (or role group) an LDAP
 * administrator deleted: its link could only answer 410, so it is not
 * mailed again (stop-18 leftover). A pending hand-over's invitation under
 * a partner: the names its mail gives the people the hand-over moves, into
 * v (*ops and *partners, the caller's to free). Returns 1 when it may be
 * sent, else 0 with the answer given. */
static int resend_check(struct request *req, struct invite *v, char **ops, char **partners)
{
    struct invitation_mail m;
    int st = invitation_mail_fields(req->session->sql, v->id, &m);
    const char *store = "the database";
    if (st == ST_OK && m.account_id == req->account.id && m.pending && !m.project_id &&
        strcmp(m.purpose, "transfer") == 0) {
        v->moved_read = 1;
        if (!m.parentless) {
            store = "the directory";
            st = transfer_moved_names_now(req, m.account_id, ops, partners);
            v->moved_ops = *ops;
            v->moved_partners = *partners;
        }
    } else if (st == ST_OK && m.account_id == req->account.id && m.pending && m.project_id) {
        store = "the directory";
        st = project_in_directory(req, m.account_id, m.project_id, project_role_bit(m.role));
        if (st == ST_NOT_FOUND)
            st = refuse(req, 409, "conflict",
                        "this invitation's project (or its role group) is no longer in the "
                        "directory; revoke the invitation");
    } else if (st == ST_NOT_FOUND) {
        st = ST_OK; /* the transaction answers 404 */
    }
    invitation_mail_free(&m);
    if (st != ST_OK)
        res_store_failure(req, st, store);
    return st == ST_OK;
}

static void resend(struct request *req, unsigned long long pid)
{
    if (body_none(req))
        return;
    struct account_ref a = req->account;
    struct invite v = {.req = req, .account = &a, .id = parse_id(req->args[1]), .project_id = pid};
    if (v.id && !pid && handover_step_refused(req, v.id))
        return;
    char *moved_ops = NULL, *moved_partners = NULL;
    if (v.id && !resend_check(req, &v, &moved_ops, &moved_partners)) {
        free(moved_ops);
        free(moved_partners);
        return;
    }
    int st = v.id ? request_transaction(req, resend_tx, &v)
                  : refuse(req, 404, "not-found", "no such pending invitation");
    if (st == ST_OK) {
        char idbuf[24];
        snprintf(idbuf, sizeof(idbuf), "%llu", v.id);
        /* As the invitation's own 202 (round-10 walkthrough of seed 004,
         * D2). */
        invite_location(&v);
        res_json(req, 202, json_pack("{s:s, s:s}", "id", idbuf, "expires_at", v.expires_at));
    } else {
        res_store_failure(req, st, "the database");
    }
    free(v.token);
    free(v.expires_at);
    free(v.stored_email);
    free(moved_ops);
    free(moved_partners);
}

void invitations_resend(struct request *req)
{
    resend(req, 0);
}

void project_invitations_resend(struct request *req)
{
    in_project(req, resend);
}

/* ---- accept --------------------------------------------------------- */

struct accept {
    struct request *req;
    const char *token, *uid, *password, *first_name, *last_name;
    char token_hash[65]; /* SHA-256 of token in hex: all MariaDB sees of it */
    unsigned long long id, account_id;
    unsigned long long project_id; /* a project invitation: role is a PROJECT_* bit */
    unsigned role;
    char *mail, *inv_first, *inv_last;
    char *invited_by; /* the inviter's uid, or NULL */
    struct saga saga;
    int transfer;              /* a hand-over invitation (transfer.h) */
    int names_contact;         /* the contact person of the account's create */
    struct handover *handover; /* its people and LDAP steps */
    /* As the accept read them, for the mails' data after it: the sender
     * (accept_inviter; dn NULL without one), their roles in the account,
     * and whether they are operator staff (-1: not asked); the person who
     * joins (accept_person; dn NULL for a person it created, read when
     * first needed: accept_joined). */
    struct person inviter;
    unsigned inviter_roles;
    int inviter_operator;
    struct person joined;
    /* The inviter as the accept's contact-changed mails name them, read
     * when first needed (accept_named_by): by.name is by_name. */
    struct contact_actor by;
    char *by_name;
    int by_read;
};

/* A uid from the mail's local part: lower case, [a-z0-9._-], starting
 * with a letter or digit. */
static char *uid_from_mail(const char *mail)
{
    struct buf b = BUF_INIT;
    for (const char *p = mail; *p && *p != '@' && b.len < 32; p++) {
        unsigned char c = (unsigned char)tolower((unsigned char)*p);
        if (isalnum(c) || ((c == '.' || c == '_' || c == '-') && b.len > 0))
            buf_addc(&b, (char)c);
    }
    if (b.len == 0)
        buf_adds(&b, "user");
    return buf_detach(&b);
}

/* Creates the person (marked with the intent, so a retried add knows its
 * own entry) and sets the password. ST_REFUSED with a refusal, or with
 * *mail_taken when another person got the mail in the meantime. */
static int create_person(struct accept *v, int *mail_taken)
{
    struct request *req = v->req;
    struct saga *s = &v->saga;
    const char *first = v->first_name ? v->first_name : v->inv_first;
    const char *last = v->last_name ? v->last_name : v->inv_last;
    char *base = v->uid ? xstrdup(v->uid) : uid_from_mail(v->mail);
    char *marker = saga_person_marker(s->intent_id);
    *mail_taken = 0;
    int st = ST_DUPLICATE;
    for (int n = 1; n <= 50 && st == ST_DUPLICATE; n++) {
        struct buf uid = BUF_INIT, cn = BUF_INIT;
        buf_adds(&uid, base);
        if (n > 1)
            buf_printf(&uid, "%d", n);
        if (first)
            buf_printf(&cn, "%s%s", first, last ? " " : "");
        if (last)
            buf_adds(&cn, last);
        if (!cn.len)
            buf_adds(&cn, uid.data);
        s->person_attempted = 1;
        char *dn = NULL;
        st = ldap_store_create_person(req->session->ldap, uid.data, v->mail, first,
                                      last ? last : uid.data, cn.data, marker, &dn);
        if (st == ST_OK) {
            s->person_created = 1;
            s->plan.person_dn = dn;
            s->plan.person_uid = xstrdup(uid.data);
        }
        buf_free(&uid);
        buf_free(&cn);
        if (v->uid)
            break; /* a chosen uid is taken: say so */
    }
    free(base);
    free(marker);
    if (st == ST_DUPLICATE)
        return refuse_field(v->req, 409, "conflict", "uid", "is taken; choose another",
                            "that uid is taken; choose another");
    if (st == ST_CONFLICT) {
        *mail_taken = 1;
        return refuse(v->req, 409, "conflict", "a person with this e-mail address exists already");
    }
    if (st != ST_OK)
        return st;
    return ldap_store_set_password(req->session->ldap, s->plan.person_dn, v->password);
}

/* uid and password as the body gives them: strings (a number or a
 * repeated form field is a 422, as for any field), their content checked
 * only when the accept creates a person (login_errors). */
static const char *login_str(struct request *req, json_t *b, const char *name)
{
    json_t *v = b ? json_object_get(b, name) : NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        body_str(req, b, NULL, name, 0, ANY_LENGTH); /* records what is wrong */
        return NULL;
    }
    const char *s = json_string_value(v);
    return s[0] ? s : NULL;
}

/* What is wrong with the login a new person would get (uid as given,
 * password; required: a person is created), recorded as field errors
 * when record is set; 1 if anything is. */
static int login_errors(struct accept *v, int required, int record)
{
    const char *uid_why = v->uid ? validate_uid(v->uid) : NULL, *pw_why = NULL;
    if (!v->password)
        pw_why = required ? "is required to create your login" : NULL;
    else
        pw_why = validate_password(v->password); /* only spaces: round-4, seed 001 */
    if (record && uid_why)
        res_field_error(v->req, "uid", uid_why);
    if (record && pw_why)
        res_field_error(v->req, "password", pw_why);
    return uid_why || pw_why;
}

/* A token no invitation has now: a link a resend or a new invitation
 * replaced is 410 saying so (or what became of its invitation), anything
 * else 404 (round-8 walkthroughs of seeds 001 and 004). */
static int accept_old_link(struct accept *v)
{
    char *status = NULL;
    unsigned long long id = 0, account_id = 0;
    int st = invitation_superseded(v->req->session->sql, v->token_hash, &status, &id, &account_id);
    if (st == ST_NOT_FOUND)
        return refuse(v->req, 404, "not-found", "no such invitation");
    if (st != ST_OK)
        return st;
    if (strcmp(status, "accepted") == 0)
        st = refuse(v->req, 410, "invitation-used", "this invitation was already used");
    else if (strcmp(status, "revoked") == 0) {
        /* Why, as the newest link says it, when its project was deleted
         * (round-14 walkthrough of seed 003, D3). */
        char *reason = NULL;
        st = invitation_revoke_reason(v->req->session->sql, id, account_id, &reason);
        if (st == ST_OK)
            st = refuse(v->req, 410, "invitation-revoked", "%s",
                        reason && strcmp(reason, "the project was deleted") == 0
                            ? "this invitation was revoked: the project was deleted"
                            : "this invitation was revoked");
        free(reason);
    } else
        st = refuse(v->req, 410, "invitation-replaced",
                    "a newer link was sent for this invitation, and this one no longer works: "
                    "use the link in the newest mail");
    free(status);
    return st;
}

/* Reads the invitation of the token: ST_OK, or ST_REFUSED with the 404,
 * 410 or 409 refusal. */
static int accept_read(struct accept *v)
{
    struct invitation_row r;
    int st = invitation_by_token(v->req->session->sql, v->token_hash, 0, &r);
    if (st == ST_NOT_FOUND)
        return accept_old_link(v);
    if (st != ST_OK)
        return st;
    if (strcmp(r.status, "accepted") == 0)
        st = refuse(v->req, 410, "invitation-used", "this invitation was already used");
    else if (strcmp(r.status, "revoked") == 0) {
        /* The close revoked it, or the hand-over by role change (the
         * account's pending hand-over, never completed, on an account
         * handed over), or the person's direct addition, or the deletion
         * of its project: say why (round-11 walkthrough of seed 004, D4;
         * round-12 walkthrough of seed 000, D5; round-13 walkthrough of
         * seed 001, D3; round-14 walkthrough of seed 003, D3). The last
         * two from the revoke's audit row, read here only. */
        char *reason = NULL;
        if (!r.handed_over_otherwise && strcmp(r.account_status, "closed") != 0)
            st = invitation_revoke_reason(v->req->session->sql, r.id, r.account_id, &reason);
        int added_at_once = reason && strcmp(reason, "added at once") == 0;
        int project_deleted = reason && strcmp(reason, "the project was deleted") == 0;
        /* A project invitation's person added to the project at once
         * (round-20 walkthrough of seed 003, D1) is told of the project. */
        int to_project = strcmp(r.purpose, "project") == 0;
        if (st == ST_OK)
            st = refuse(v->req, 410, "invitation-revoked", "%s",
                        r.handed_over_otherwise
                            ? "this invitation was revoked: " TRANSFER_WITHDRAWN_BY_ROLE_CHANGE
                        : strcmp(r.account_status, "closed") == 0
                            ? "this invitation was revoked: the account was closed"
                        : added_at_once && to_project
                            ? "this invitation is no longer needed: you were added to the project "
                              "directly; sign in with your existing account"
                        : added_at_once
                            ? "this invitation is no longer needed: you were added to the account "
                              "directly; sign in with your existing account"
                        : project_deleted ? "this invitation was revoked: the project was deleted"
                                          : "this invitation was revoked");
        free(reason);
    } else if (r.expired)
        st = refuse(v->req, 410, "invitation-expired", "this invitation has expired");
    else if (strcmp(r.account_status, "closed") == 0)
        /* One made before closing revoked its invitations (round 6). */
        st = refuse(v->req, 410, "invitation-revoked", "the account was closed");
    if (st == ST_OK) {
        v->id = r.id;
        v->account_id = r.account_id;
        v->project_id = strcmp(r.purpose, "project") == 0 ? r.project_id : 0;
        v->role = v->project_id ? project_role_bit(r.role) : role_bit(r.role);
        v->transfer = strcmp(r.purpose, "transfer") == 0;
        v->names_contact = strcmp(r.purpose, "contact") == 0;
        if (v->transfer && strcmp(r.account_status, "staged") != 0)
            st = refuse(v->req, 409, "conflict", "this account was handed over already");
        /* A project invitation whose project is gone (its account purged)
         * is revoked with it. */
        else if (strcmp(r.purpose, "project") == 0 && !r.project_exists)
            st = refuse(v->req, 410, "invitation-revoked", "this invitation's project is gone");
        free(v->mail);
        free(v->inv_first);
        free(v->inv_last);
        free(v->invited_by);
        v->mail = r.email;
        v->inv_first = r.first_name;
        v->inv_last = r.last_name;
        v->invited_by = r.invited_by;
        r.email = r.first_name = r.last_name = r.invited_by = NULL;
    }
    invitation_row_free(&r);
    return st;
}

/* An invitation lasts no longer than its sender's right to send it
 * (docs/api.md, "Accepting"; round-6 walkthrough of seed 001, D3, which
 * generalises the service providers' rule of the round-4 walkthrough of
 * seed 000, D3): at the accept, under the guard, the person who sent it
 * must still be an operator, an admin of the account, a service provider
 * of it whose access has not expired (for member and service-provider,
 * and any project role), or an owner of the invitation's project. A
 * hand-over's sender is the partner's admin who asked for it: still an
 * admin, or a service provider of the staged account (where the hand-over
 * puts the partner's people: one who demoted themselves while a colleague
 * stays admin keeps the link alive, round-3 walkthrough of seed 000, O1);
 * a contact invitation's is the account's creator. Otherwise it is revoked (410),
 * nothing created; an invitation without a recorded sender is not
 * checked. A service provider's grant then gets their own expires_at
 * (provider_access_regrant). */
int invitation_roles_keep(unsigned roles, unsigned role, int project, int transfer)
{
    if (roles & ROLE_ADMIN)
        return 2;
    if ((roles & ROLE_SERVICE_PROVIDER) &&
        (project || transfer || (role != ROLE_ADMIN && role != ROLE_BILLING)))
        return 1;
    return 0;
}

/* invitation_sender_holds, keeping what it read: the sender in *inviter
 * (the caller frees it), their roles in the account in *roles, and in
 * *is_operator whether they are operator staff (-1: not asked). */
static int sender_holds(struct request *req, unsigned long long account_id,
                        unsigned long long project_id, unsigned role, int transfer, const char *uid,
                        struct person *inviter, unsigned *roles, int *is_operator, int *holds,
                        int *gone)
{
    int st = ldap_store_find_person(req->session->ldap, "uid", uid, inviter);
    *gone = st == ST_NOT_FOUND;
    *holds = 0;
    *roles = 0;
    *is_operator = -1;
    if (st == ST_OK)
        st = ldap_store_roles_of(req->session->ldap, account_id, inviter->dn, roles);
    int keep = st == ST_OK ? invitation_roles_keep(*roles, role, project_id != 0, transfer) : 0;
    if (keep == 2)
        *holds = 1;
    else if (keep == 1) {
        int expired = 0;
        st = provider_access_expired(req->session->sql, account_id, inviter->uid, &expired);
        *holds = st == ST_OK && !expired;
    }
    if (st == ST_OK && !*holds && project_id) {
        struct saga_plan plan = {.account_id = account_id, .project_id = project_id};
        unsigned project_roles = 0;
        st = saga_plan_roles_of(req->session->ldap, &plan, inviter->dn, &project_roles);
        if (st == ST_NOT_FOUND)
            st = ST_OK; /* the project is gone: accept_person says so */
        *holds = st == ST_OK && (project_roles & PROJECT_OWNER);
    }
    unsigned long long op = st == ST_OK && !*holds ? operator_account_id(req) : 0;
    if (op) {
        unsigned op_roles = 0;
        st = ldap_store_roles_of(req->session->ldap, op, inviter->dn, &op_roles);
        *holds = st == ST_OK && (op_roles & ROLE_ADMIN);
        if (st == ST_OK || st == ST_NOT_FOUND)
            *is_operator = *holds;
    } else if (st == ST_OK && !*holds) {
        *is_operator = 0; /* no operator account */
    }
    /* Deleted from the directory, or in no role group: holds nothing. */
    return st == ST_NOT_FOUND ? ST_OK : st;
}

int invitation_sender_holds(struct request *req, unsigned long long account_id,
                            unsigned long long project_id, unsigned role, int transfer,
                            const char *uid, int *holds, int *gone)
{
    struct person inviter = {0};
    unsigned roles;
    int is_operator;
    int st = sender_holds(req, account_id, project_id, role, transfer, uid, &inviter, &roles,
                          &is_operator, holds, gone);
    person_free(&inviter);
    return st;
}

static int accept_inviter(struct accept *v)
{
    struct request *req = v->req;
    if (!v->invited_by)
        return ST_OK;
    int holds = 0, gone = 0;
    int st = sender_holds(req, v->account_id, v->project_id, v->role, v->transfer, v->invited_by,
                          &v->inviter, &v->inviter_roles, &v->inviter_operator, &holds, &gone);
    if (st != ST_OK || holds)
        return st;
    /* A project invitation's sender was its owner, maybe never in the
     * account, and the invitee knows only the project and its sender
     * (round-21 walkthrough of seed 003, D4: the text spoke of being
     * "removed from the account" and sent them to administrators they do
     * not know). */
    if (v->project_id) {
        json_t *project = NULL;
        st = project_read(req->session->sql, v->project_id, &project);
        if (st == ST_NOT_FOUND)
            return refuse(req, 410, "invitation-revoked", "this invitation's project is gone");
        if (st != ST_OK)
            return st;
        const char *name = json_string_value(json_object_get(project, "name"));
        st = refuse(req, 410, "invitation-revoked",
                    "this invitation was revoked: the person who sent it %s project \"%s\", and "
                    "an invitation lasts no longer than its sender's right to send it; ask the "
                    "project's owners (or the account's administrators) for a new invitation",
                    gone ? "is no longer in the directory, nor an owner of"
                         : "is no longer an owner of",
                    name ? name : "");
        json_decref(project);
        return st;
    }
    return refuse(req, 410, "invitation-revoked",
                  "this invitation was revoked: the person who sent it %s, and an invitation "
                  "lasts no longer than its sender's right to send it; ask the account's "
                  "administrators for a new invitation",
                  gone ? "is no longer in the directory"
                       : "may no longer give this role here (removed from the account, or "
                         "given another role, since)");
}

/* The person who joins: the one LDAP knows by the mail, else a new one.
 * Runs under the account's guard, with the plan recorded once the person
 * is known (a new person: before it is created, found by its marker). */
static int accept_person(struct accept *v)
{
    struct request *req = v->req;
    struct saga *s = &v->saga;
    struct person known;
    /* A project invitation whose project's groups an LDAP administrator
     * deleted is revoked with it, before anyone is created (round-3
     * walkthrough of seed 003). */
    if (v->project_id) {
        int pst = project_in_directory(req, v->account_id, v->project_id, v->role);
        if (pst == ST_NOT_FOUND)
            return refuse(req, 410, "invitation-revoked", "this invitation's project is gone");
        if (pst != ST_OK)
            return pst;
    }
    int st = ldap_store_find_person(req->session->ldap, "mail", v->mail, &known);
    if (st == ST_NOT_FOUND) {
        /* uid and password matter only now (a person LDAP knows keeps
         * theirs): checked here, under the guard, for what is created. */
        if (login_errors(v, 1, 1))
            return refuse_invalid(req);
        s->plan.create_person = 1;
        s->plan.person_mail = xstrdup(v->mail);
        s->plan.roles_before = 0;
        s->plan.roles_after = v->role;
        st = saga_record_plan(req->session->sql, s);
        if (st != ST_OK)
            return st;
        int mail_taken;
        st = create_person(v, &mail_taken);
        if (!(st == ST_REFUSED && mail_taken))
            return st;
        /* Created in the meantime (another invitation to the same address,
         * accepted at the same moment): that person joins. */
        st = ldap_store_find_person(req->session->ldap, "mail", v->mail, &known);
        if (st != ST_OK)
            return st == ST_NOT_FOUND ? ST_REFUSED : st; /* the 409 create_person recorded */
        s->plan.create_person = 0;
    } else if (st != ST_OK) {
        return st;
    }
    s->plan.person_dn = xstrdup(known.dn);
    s->plan.person_uid = xstrdup(known.uid);
    v->joined = known;
    /* The account's role groups, or the project's (plan.project_id). */
    st = saga_plan_roles_of(req->session->ldap, &s->plan, s->plan.person_dn, &s->plan.roles_before);
    s->plan.roles_after = s->plan.roles_before | v->role;
    return st == ST_OK ? saga_record_plan(req->session->sql, s) : st;
}

/* The person who joins, as accept_person read them, or (a person it
 * created) as the directory has them now: ST_OK, or ST_NOT_FOUND with
 * *p an empty person. */
static int accept_joined(struct accept *v, const struct person **p)
{
    int st = ST_OK;
    if (!v->joined.dn)
        st = ldap_store_find_person(v->req->session->ldap, "uid", v->saga.plan.person_uid,
                                    &v->joined);
    *p = &v->joined;
    return st;
}

/* Who an accept's contact-changed mails name as the one who made the
 * change: the invitation's inviter (v->invited_by set), by name when the
 * directory still has them, with the organization they act for, as their
 * invitation named them (mail_actor_name; round-17 walkthrough of seed
 * 004, D3), else by their uid; as accept_inviter read them. by.mail:
 * their address (their own copy says they made the change; NULL when
 * gone or without one) and by.admin: whether they are an admin of the
 * account still (else the mail does not send its readers to them;
 * round-14 walkthroughs of seeds 000 and 004, D1). Read once per accept
 * (v->by), for the contact named (accept_contact_data) and the stale
 * contact who counts again (accept_again_data). */
static int accept_named_by(struct accept *v, const struct contact_actor **out)
{
    *out = &v->by;
    if (v->by_read)
        return ST_OK;
    const struct person *inviter = &v->inviter;
    int st = ST_OK;
    if (inviter->dn)
        st = mail_person_actor_name(v->req->session->sql, v->req->session->ldap, inviter,
                                    v->account_id, &v->by_name);
    /* Their grants not found: named as one gone, by their uid. */
    int gone = !inviter->dn || st == ST_NOT_FOUND;
    if (st == ST_NOT_FOUND)
        st = ST_OK;
    if (st != ST_OK)
        return st;
    if (!v->by_name)
        v->by_name = xstrdup(v->invited_by ? v->invited_by : "an administrator of the account");
    v->by.name = v->by_name;
    if (!gone) {
        v->by.mail = inviter->mail;
        v->by.admin = (v->inviter_roles & ROLE_ADMIN) != 0;
    }
    v->by_read = 1;
    return ST_OK;
}

/* The account's contact person: their name and mail, for the
 * contact-changed mail of the SQL side (saga_finish_sql), recorded with
 * the plan so that `accountd maint` sends the same. */
static int accept_contact_data(struct accept *v)
{
    struct request *req = v->req;
    struct saga *s = &v->saga;
    const struct person *p;
    int st = accept_joined(v, &p);
    if (st == ST_OK) {
        json_object_set_new(s->data, "contact_name", json_string(p->name ? p->name : p->uid));
        json_object_set_new(s->data, "contact_mail", json_string(p->mail ? p->mail : v->mail));
    }
    /* The names that greet the mail's readers: theirs and those of the
     * recipients who are people (round-11 leftover of seed 000, D5). */
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add(&names, p->mail ? p->mail : v->mail, p->name);
    if (st == ST_OK) {
        mail_names_read_recipients(req->session->sql, req->session->ldap, v->account_id, NULL, 0,
                                   &names);
        json_object_set_new(s->data, "contact_names", mail_names_json(&names));
    }
    mail_names_free(&names);
    /* Who named them: the invitation's inviter (accept_named_by). */
    if (st == ST_OK && v->invited_by) {
        const struct contact_actor *by = NULL;
        st = accept_named_by(v, &by);
        if (st == ST_OK) {
            json_object_set_new(s->data, "contact_named_by", json_string(by->name));
            if (by->mail)
                json_object_set_new(s->data, "contact_named_by_mail", json_string(by->mail));
            json_object_set_new(s->data, "contact_named_by_admin", json_boolean(by->admin));
        }
    }
    /* A reseller whose storefront went live while the invitation was
     * pending: the welcome the contact gets when they are named
     * (billing_notify.h; round-12 walkthrough of seed 002, D3). */
    json_t *welcome = NULL;
    if (st == ST_OK)
        st = billing_welcome_late_data(req, v->account_id, &welcome);
    if (welcome)
        json_object_set_new(s->data, "storefront_welcome", welcome);
    return st == ST_OK ? saga_record_plan(req->session->sql, s) : st;
}

/* A stored contact who did not count (no admin of the account: an LDAP
 * administrator took the role away, or they were removed and invited
 * back) counts again when the accept makes them admin: told as a contact
 * change, as a role change's PUT tells it (contacts_again_data; the
 * SQL side: finish_accept), naming the inviter as the one who made the
 * change (round-26 walkthrough of seed 004, D3), recorded with the plan.
 * Not for a person the accept creates (their uid's rows are forgotten,
 * finish_accept), a project invitation, or a hand-over (which names the
 * contacts itself). */
static int accept_again_data(struct accept *v)
{
    struct saga *s = &v->saga;
    if (v->project_id || v->transfer || s->plan.create_person ||
        (s->plan.roles_before & ROLE_ADMIN) || !(s->plan.roles_after & ROLE_ADMIN))
        return ST_OK;
    const struct person *p;
    int st = accept_joined(v, &p);
    if (st == ST_NOT_FOUND)
        return ST_OK; /* gone from the directory: nobody to tell */
    unsigned kinds = 0;
    if (st == ST_OK)
        st = contacts_again_kinds(v->req->session->sql, v->account_id, p, s->plan.roles_before,
                                  s->plan.roles_after, &kinds);
    /* The inviter's name only when a stale contact counts again. */
    const struct contact_actor *by = NULL;
    if (st == ST_OK && kinds)
        st = accept_named_by(v, &by);
    json_t *again = NULL;
    if (st == ST_OK && kinds)
        st = contacts_again_data(v->req, v->account_id, p, kinds, by, &again);
    if (!again)
        return st;
    json_object_set_new(s->data, "contact_again", again);
    return st == ST_OK ? saga_record_plan(v->req->session->sql, s) : st;
}

/* An ordinary admin invitation: its sender is told when it is accepted
 * while the account is staged (the SQL side checks that;
 * transfer_mail_admin_accepted; round-15 walkthrough of seed 000, D2):
 * their address and name, and who joined, recorded with the plan. The
 * mail's step, "change your own role to service provider", is theirs only
 * while they are an admin of the account: a sender who is not (operator
 * staff who invited into an account they hold no role in) is not sent it
 * (round-17 walkthrough of seed 000, D1). The step is the provider's
 * (round-20 walkthrough of seed 000, D2: a customer admin who invited a
 * second admin was told to make it, and doing so handed the account over
 * with the partner still its admin): a sender who is no person of the
 * parent (operator staff on an account without one) reads instead that
 * the account stays staged until the people preparing it hand it over
 * (provider_side false; transfer_mail_admin_accepted). Who joined is
 * named by the address the directory has for them (D3), the invited one
 * otherwise. */
static int accept_sender_data(struct accept *v)
{
    struct request *req = v->req;
    if (v->transfer || v->project_id || v->role != ROLE_ADMIN || !v->invited_by)
        return ST_OK;
    /* The sender and their roles as accept_inviter read them. */
    const struct person *sender = &v->inviter;
    int provider_side = 0;
    int st = ST_OK;
    if (sender->dn && sender->mail && *sender->mail && (v->inviter_roles & ROLE_ADMIN)) {
        struct transfer_parent side;
        st = transfer_parent_people(req, v->account_id, &side);
        if (st == ST_OK)
            provider_side = transfer_partner_person(&side, sender->dn);
        transfer_parent_free(&side);
        const struct person *joined = &v->joined;
        if (st == ST_OK) {
            int jst = accept_joined(v, &joined);
            if (jst != ST_NOT_FOUND)
                st = jst; /* not found: named as invited */
        }
        if (st == ST_OK) {
            char *given = invitee_name(v->inv_first, v->inv_last);
            const char *who = joined->name ? joined->name : given ? given : v->mail;
            const char *email = joined->mail && *joined->mail ? joined->mail : v->mail;
            json_object_set_new(v->saga.data, "tell_sender",
                                json_pack("{s:s, s:s?, s:s, s:s, s:b}", "mail", sender->mail,
                                          "name", sender->name, "joined", who, "email", email,
                                          "provider_side", provider_side));
            free(given);
        }
    }
    int told = json_object_get(v->saga.data, "tell_sender") != NULL;
    if (st == ST_NOT_FOUND)
        st = ST_OK;
    return st == ST_OK && told ? saga_record_plan(req->session->sql, &v->saga) : st;
}

/* A service-provider invitation a service provider sent (neither an
 * admin of the account nor an operator when it is accepted): the
 * account's named contacts, else its admins, are told who gave the role
 * to whom when it takes effect, at the accept (round-19 walkthrough of
 * seed 000, D3), recorded with the plan. Not for a person who is a
 * service provider already (nothing is granted). */
static int accept_grant_data(struct accept *v)
{
    struct request *req = v->req;
    struct saga *s = &v->saga;
    if (v->project_id || v->transfer || !v->invited_by)
        return ST_OK;
    /* The sender, their roles and (when it was asked) whether they are
     * operator staff, as accept_inviter read them; asked now only when
     * the rest of the rule holds. */
    const struct person *inviter = &v->inviter;
    int st = inviter->dn ? ST_OK : ST_NOT_FOUND;
    int is_operator = v->inviter_operator;
    if (st == ST_OK && is_operator < 0 &&
        providers_grant_told(v->inviter_roles, 0, s->plan.roles_before, s->plan.roles_after))
        st = person_is_operator(req, inviter->dn, &is_operator);
    json_t *notice = NULL;
    if (st == ST_OK && providers_grant_told(v->inviter_roles, is_operator > 0, s->plan.roles_before,
                                            s->plan.roles_after)) {
        char *by = NULL;
        const struct person *grantee = &v->joined;
        st = mail_person_actor_name(req->session->sql, req->session->ldap, inviter, v->account_id,
                                    &by);
        if (st == ST_OK)
            st = accept_joined(v, &grantee);
        if (st == ST_OK)
            st = providers_grant_notice(req, v->account_id, by, grantee,
                                        PROVIDER_GRANTED_BY_INVITATION, &notice);
        free(by);
    }
    if (st == ST_NOT_FOUND)
        st = ST_OK; /* a sender gone from the directory: accept_inviter refused it */
    if (notice)
        json_object_set_new(s->data, "provider_granted", notice);
    return st == ST_OK && notice ? saga_record_plan(req->session->sql, s) : st;
}

/* A hand-over invitation: the provider's people (the account's admins but
 * the customer) move from admin to service-provider in the same saga. */
static int accept_handover_plan(struct accept *v)
{
    struct request *req = v->req;
    struct saga *s = &v->saga;
    /* Never to one of the partner's own people (round-4 walkthrough of
     * seed 000, D2): the address may have become one's since the
     * transfer was asked for (a person of the parent, or a service
     * provider of the account). Refused under the guard, nothing changed. */
    int partners = 0, operator_side = 0;
    int st = transfer_is_partners(req, v->account_id, s->plan.person_dn, ROLE_SERVICE_PROVIDER,
                                  &partners, &operator_side);
    if (st != ST_OK)
        return st;
    if (partners)
        return refuse(req, 409, "conflict", "%s",
                      operator_side
                          ? "this address belongs to one of the provider's own people now "
                            "(operator staff, or a service provider of this account): the "
                            "account cannot be handed over to them; ask for a new transfer"
                          : "this address belongs to one of the partner's own people now (a "
                            "person of the parent account, or a service provider of this "
                            "account): the account cannot be handed over to them; ask the "
                            "partner for a new transfer");
    st = transfer_prepare(req, v->account_id, s->plan.person_dn, &v->handover);
    if (st != ST_OK)
        return st;
    transfer_plan_moves(v->handover, &s->plan);
    /* What the SQL side needs (transfer_data), in the intent's data, so
     * that saga_finish_sql completes the hand-over here and in `accountd
     * maint` alike. The customer's name for the mails: a person created
     * just now has the one create_person gave them. */
    struct person customer = {0};
    if (st == ST_OK)
        st = ldap_store_find_person(req->session->ldap, "uid", s->plan.person_uid, &customer);
    /* A staged reseller whose storefront went live while it was prepared:
     * the customer, both contacts after it, gets its welcome (round-17
     * walkthrough of seed 002, D2; transfer_finish_sql). The customer's
     * address is the directory's, not as the transfer typed it (round-17
     * walkthrough of seed 000, D3: IVY@x for ivy@x stayed in the
     * recipients and the mails). */
    json_t *welcome = NULL;
    if (st == ST_OK)
        st = billing_welcome_late_data(req, v->account_id, &welcome);
    if (st == ST_OK) {
        json_t *data = transfer_data(
            v->handover, customer.mail && *customer.mail ? customer.mail : v->mail, customer.name);
        if (welcome)
            json_object_set(data, "storefront_welcome", welcome);
        json_object_set_new(s->data, "transfer", data);
    }
    json_decref(welcome);
    person_free(&customer);
    return st == ST_OK ? saga_record_plan(req->session->sql, s) : st;
}

/* An accept whose SQL side found the invitation changed under it (its
 * LDAP steps undone): answered as the link answers now (round-6
 * walkthrough of seed 000, D4: a hand-over's accept that lost to a new
 * transfer is 410 invitation-revoked, as the docs say, not a 409) — 404
 * for a link a resend replaced, 410 for a revoked or used invitation, 409
 * for an account handed over already. ST_REFUSED, or a store status. */
static int accept_lost(struct accept *v)
{
    int st = accept_read(v);
    if (st != ST_OK)
        return st;
    /* Still pending with this token: nothing tells which change it lost
     * to (the account's hand-over record names another invitation). */
    if (v->transfer)
        return refuse(v->req, 409, "conflict",
                      "this account was handed over already, or the invitation replaced");
    return refuse(v->req, 410, "invitation-revoked", "this invitation was revoked");
}

/* The SQL side of an accept (saga_finish_sql: the accept's rows, then a
 * hand-over's, which refuses an account that is no longer staged), closing
 * the intent. */
static int accept_commit_tx(struct sql_store *sql, void *arg)
{
    struct accept *v = arg;
    return saga_finish_sql(sql, &v->saga);
}

void invitations_accept(struct request *req)
{
    static const char *const allowed[] = {"uid", "password", "first_name", "last_name", NULL};
    struct accept v = {.req = req, .token = req->args[0], .inviter_operator = -1};
    /* The token first: an unknown, used, revoked or expired one is 404 or
     * 410 whatever the body says (a 422 about the password would hide
     * that the link is dead). */
    if (!token_well_formed(v.token)) {
        refuse(req, 404, "not-found", "no such invitation");
        return;
    }
    sha256_hex(v.token, v.token_hash);
    int st = accept_read(&v);
    if (st != ST_OK) {
        if (st != ST_REFUSED)
            res_store_failure(req, st, "the database");
        free(v.invited_by);
        free(v.mail);
        free(v.inv_first);
        free(v.inv_last);
        return;
    }
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    v.uid = login_str(req, b, "uid");
    v.password = login_str(req, b, "password");
    v.first_name = body_text(req, b, NULL, "first_name", 0, MAX_CHARS(100));
    v.last_name = body_text(req, b, NULL, "last_name", 0, MAX_CHARS(100));
    /* uid and password are ignored when LDAP knows the invited mail
     * (docs/api.md, round-3 walkthrough of seed 000): a login that would
     * not do is a 422 here only for an address LDAP does not know, so
     * that the answer lists every field error at once; accept_person
     * checks again for the person it creates. */
    if (login_errors(&v, 0, 0)) {
        struct person known;
        int kst = ldap_store_find_person(req->session->ldap, "mail", v.mail, &known);
        if (kst == ST_OK)
            person_free(&known);
        else if (kst == ST_NOT_FOUND)
            login_errors(&v, 0, 1);
        else
            res_store_failure(req, kst, "the directory");
    }
    if (body_failed(req)) {
        free(v.invited_by);
        free(v.mail);
        free(v.inv_first);
        free(v.inv_last);
        return;
    }
    struct saga *s = &v.saga;
    enum saga_outcome outcome = SAGA_NOT_APPLIED;
    if (st == ST_OK) {
        char actor[48];
        snprintf(actor, sizeof(actor), "invitation:%llu", v.id);
        s->actor = xstrdup(actor);
        s->plan.kind = SAGA_ACCEPT;
        s->plan.account_id = v.account_id;
        /* A project invitation: its role groups, no account role. */
        s->plan.project_id = v.project_id;
        /* token_hash: the accept commits only while the invitation still
         * has this link's token (finish_accept): a resend in the meantime
         * is the winner, and this accept is undone (round-6 walkthrough of
         * seed 003, R1). */
        s->data = json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)v.id, "role",
                            role_name_in(v.project_id, v.role), "token_hash", v.token_hash);
        if (v.names_contact)
            json_object_set_new(s->data, "names_contact", json_true());
        st = saga_begin(req->session->sql, s, &req->problem);
        /* Read again under the guard: an accept of the same token that
         * held it has finished by now. */
        if (st == ST_OK && (st = accept_read(&v)) != ST_OK)
            saga_release(req->session->sql, s, "refused");
        else if (st == ST_OK) {
            st = accept_inviter(&v);
            if (st == ST_OK)
                st = accept_person(&v);
            if (st == ST_OK && v.names_contact)
                st = accept_contact_data(&v);
            if (st == ST_OK)
                st = accept_again_data(&v);
            if (st == ST_OK)
                st = accept_sender_data(&v);
            if (st == ST_OK)
                st = accept_grant_data(&v);
            if (st == ST_OK && v.transfer)
                st = accept_handover_plan(&v);
            if (st == ST_OK)
                st = saga_apply_roles(req->session->ldap, s);
            if (st == ST_OK)
                outcome = saga_commit(req->session->ldap, req->session->sql, s, accept_commit_tx,
                                      &v, &st);
            else
                outcome = saga_undo(req->session->ldap, req->session->sql, s,
                                    st == ST_REFUSED
                                        ? "refused"
                                        : "undone: the directory refused or lost a step") == ST_OK
                              ? SAGA_NOT_APPLIED
                              : SAGA_UNKNOWN;
            /* Revoked, resent or (a hand-over) completed while it was being
             * accepted: the answer a later accept of this link gets. */
            if (outcome == SAGA_NOT_APPLIED && st == ST_CONFLICT)
                st = accept_lost(&v);
            /* The project deleted while the accept ran (its group gone
             * under the LDAP step): what the link answers from now on, not
             * a 500 (round-7 walkthrough of seed 003). */
            else if (outcome == SAGA_NOT_APPLIED && st != ST_OK && st != ST_REFUSED &&
                     v.project_id &&
                     project_in_directory(req, v.account_id, v.project_id, v.role) == ST_NOT_FOUND)
                st = refuse(req, 410, "invitation-revoked", "this invitation's project is gone");
        }
    }
    if (st == ST_OK && outcome == SAGA_DONE) {
        char idbuf[24];
        snprintf(idbuf, sizeof(idbuf), "%llu", v.account_id);
        json_t *out =
            json_pack("{s:s, s:s, s:s, s:b}", "uid", s->plan.person_uid, "account_id", idbuf,
                      "role", role_name_in(v.project_id, v.role), "created", s->plan.create_person);
        if (v.project_id) {
            char pid[24];
            snprintf(pid, sizeof(pid), "%llu", v.project_id);
            json_object_set_new(out, "project_id", json_string(pid));
        }
        res_json(req, 200, out);
        /* The log line names who accepted. */
        free(req->caller.uid);
        req->caller.uid = xstrdup(s->plan.person_uid);
    } else if (outcome == SAGA_UNKNOWN) {
        saga_answer_failure(req, outcome, st);
    } else {
        res_store_failure(req, st, "the directory or the database");
    }
    transfer_forget(&v.handover);
    saga_free(s);
    person_free(&v.inviter);
    person_free(&v.joined);
    free(v.by_name);
    free(v.invited_by);
    free(v.mail);
    free(v.inv_first);
    free(v.inv_last);
}

int invite_in_transaction(struct sql_store *sql, struct request *req, unsigned long long account_id,
                          const char *account_name, const char *email, unsigned role,
                          const char *first_name, const char *last_name, const struct person *known,
                          json_t **out)
{
    struct account_ref a = {.id = account_id};
    /* The account's contact person: named its primary and technical
     * contact when they join (at once when LDAP knows them, else when they
     * accept: purpose 'contact'). */
    struct invite v = {.req = req,
                       .account = &a,
                       .email = email,
                       .first_name = first_name,
                       .last_name = last_name,
                       .role = role,
                       .purpose = "contact"};
    *out = NULL;
    int st;
    if (known) {
        /* The caller's saga gave them the role in LDAP: mail and audit.
         * Their name greets them (a new account has no recipients yet). */
        char *inviter = NULL;
        st = mail_actor_name(sql, &req->caller, account_id, &inviter);
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add_person(&names, known);
        const char *to[] = {known->mail};
        /* Named contact (a new account has none yet): their
         * added-to-account mail says what that means, as the invitation
         * of a contact person does (round-14 walkthrough of seed 004,
         * D3), and the contact-changed mail follows, as a contact PUT
         * sends it. */
        unsigned named = 0;
        if (st == ST_OK && role == ROLE_ADMIN)
            st = contacts_name_if_none(sql, req->caller.uid, account_id, known->uid, &named);
        char *added_line =
            template_added_line(inviter ? inviter : "", account_name, role_name(role), NULL, NULL);
        char *added_subject = template_added_subject(account_name, NULL);
        struct template_value vals[] = {
            {"account_name", account_name},
            {"inviter_name", inviter ? inviter : ""},
            {"role", role_name(role)},
            {"name", known->name ? known->name : known->uid},
            {"role_title", template_role_title(role_name(role))},
            {"contact_note", named == (CONTACT_PRIMARY | CONTACT_TECHNICAL) ? TEMPLATE_CONTACT_NOTE
                                                                            : TEMPLATE_OMIT_LINE},
            /* (new to the account: it was just created) */
            {"added_line", added_line},
            {"sign_in_line", template_sign_in_line(NULL)},
            {"added_subject", added_subject},
        };
        /* The creator named as the contact (their own address, equal but
         * for case): they are its admin by creating it, so, as for an
         * invitation of someone who already holds the role, no
         * added-to-account mail and no member.add row; the contact-changed
         * mail below still says "You made this change." (round-15
         * walkthrough of seed 003, D3). */
        int self = req->caller.dn && ldap_dn_equal(known->dn, req->caller.dn);
        if (st == ST_OK && !self)
            st = outbox_queue(sql, account_id, "added-to-account", to, 1, &names, vals,
                              sizeof(vals) / sizeof(vals[0]));
        if (st == ST_OK && !self)
            st = audit_write(sql, req->caller.uid, account_id, "member.add", NULL,
                             json_pack("{s:s, s:[s], s:[s]}", "uid", known->uid, "roles",
                                       role_name(role), "added", role_name(role)));
        /* Named by the creator as their added-to-account mail names them
         * (mail_actor_name; round-17 walkthrough of seed 004, D3). */
        if (st == ST_OK)
            st = contacts_mail_named(sql, account_id, account_name, named, known->uid,
                                     known->name ? known->name : known->uid, known->mail, inviter,
                                     req->caller.mail, 1, &names, NULL, NULL, NULL);
        free(inviter);
        free(added_line);
        free(added_subject);
        if (st == ST_OK)
            *out = json_pack("{s:s, s:s, s:s}", "status", "added", "uid", known->uid, "role",
                             role_name(role));
        mail_names_free(&names);
        return st;
    }
    st = invite_new(sql, &v, account_name);
    if (st == ST_OK)
        *out = invite_result(&v);
    free(v.token);
    free(v.expires_at);
    free(v.stored_email);
    return st;
}

int invite_transfer_in_transaction(struct sql_store *sql, struct request *req,
                                   unsigned long long account_id, const char *account_name,
                                   const char *email, const char *first_name, const char *last_name,
                                   const char *moved_ops, const char *moved_partners, json_t **out,
                                   unsigned long long *invitation_id)
{
    struct account_ref a = {.id = account_id};
    struct invite v = {.req = req,
                       .account = &a,
                       .email = email,
                       .first_name = first_name,
                       .last_name = last_name,
                       .role = ROLE_ADMIN,
                       .purpose = "transfer",
                       .moved_ops = moved_ops,
                       .moved_partners = moved_partners,
                       .moved_read = 1};
    *out = NULL;
    int st = invite_new(sql, &v, account_name);
    if (st == ST_OK) {
        *out = invite_result(&v);
        *invitation_id = v.id;
    }
    free(v.token);
    free(v.expires_at);
    free(v.stored_email);
    return st;
}
