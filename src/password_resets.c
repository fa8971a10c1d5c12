/*
 * password_resets: an account's named contacts have a new password set for
 * one of its people (seed 004: "the two named account holders are the only
 * users authorized to make any changes on the account or request the
 * reset of any passwords"). The contact only asks: the person gets a mail
 * at their own address with a single-use link, and sets the password
 * there (POST /password-resets/{token}), so nobody learns anyone's
 * password and a contact cannot take over a person who also works for
 * other accounts. Once the link is used, the person is mailed that their
 * password was set (password-changed) and whoever asked that it was used
 * (password-reset-used).
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "contacts.h"
#include "contacts_store.h"
#include "handlers.h"
#include "ldap_store.h"
#include "log.h"
#include "mail_names.h"
#include "outbox.h"
#include "password_resets_store.h"
#include "projects_store.h"
#include "sql_store.h"
#include "token.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Is the caller one of the account's named contacts (primary, technical),
 * as the overview counts them (contacts_json)? A contact is an admin (the
 * route lets in no one else) with an address: one whose mail an LDAP
 * administrator deleted reads as unset in the overview and is no contact
 * here either (round-23 walkthrough of seed 004, D2); *unmailed then says
 * that they are named but have no address. The stored uid is matched
 * without regard to case (uid_equal; round-24 walkthrough of seed 004,
 * D1: a contact whose uid an LDAP administrator lowered got 403). */
static int caller_is_contact(struct request *req, unsigned long long account_id, int *is,
                             int *unmailed)
{
    *is = *unmailed = 0;
    static const char *const kinds[] = {"primary", "technical"};
    int named = 0;
    for (size_t i = 0; i < 2 && !named; i++) {
        char *uid = NULL;
        int st = contact_get(req->session->sql, account_id, kinds[i], &uid);
        if (st != ST_OK && st != ST_NOT_FOUND)
            return st;
        named = uid_equal(uid, req->caller.uid);
        free(uid);
    }
    int mailed = req->caller.mail && *req->caller.mail;
    *is = named && mailed;
    *unmailed = named && !mailed;
    return ST_OK;
}

/* The account's named contacts by name ("Anna Admin, Ben Zwanzig"),
 * primary first, as the overview counts them (contacts_entry, the rule
 * of contacts_json): one gone from the directory, no admin of the
 * account any more (round-26 walkthrough of seed 004, D1: an LDAP
 * administrator took admin from the contact, the overview showed no
 * contact, and the refusal and password-changed still named them) or
 * without an address is left out, and so is skip_uid (the person of a
 * reset), and technical when it names primary's person.
 * *asker_contact (may be NULL): whether asker_uid is one of them as the
 * overview counts them. Read through the directory cache. Returns the
 * first store error (what could be read is in *out, which is always
 * set, malloc'ed). */
static int contact_names_of(struct request *req, unsigned long long account_id,
                            const char *skip_uid, const char *asker_uid, int *asker_contact,
                            char **out)
{
    static const char *const kinds[] = {"primary", "technical"};
    char *uids[2] = {NULL, NULL};
    struct buf names = BUF_INIT;
    int failed = ST_OK;
    if (asker_contact)
        *asker_contact = 0;
    for (size_t i = 0; i < 2; i++) {
        int st = contact_get(req->session->sql, account_id, kinds[i], &uids[i]);
        if (st != ST_OK && st != ST_NOT_FOUND && failed == ST_OK)
            failed = st;
        if (st != ST_OK || !uids[i] || (i == 1 && uid_equal(uids[0], uids[1])))
            continue;
        struct person p = {0};
        st = contacts_entry(req, account_id, uids[i], &p);
        /* (ST_NOT_FOUND: no accounts subtree to read roles in, no contact) */
        if (st != ST_OK && st != ST_NOT_FOUND && failed == ST_OK)
            failed = st;
        /* (a contact as the overview counts one: an admin with an
         * address; anyone else helps nobody) */
        if (st == ST_OK && p.uid && p.mail && *p.mail) {
            if (asker_contact && uid_equal(uids[i], asker_uid))
                *asker_contact = 1;
            if (!uid_equal(uids[i], skip_uid))
                buf_printf(&names, "%s%s", names.len ? ", " : "", p.name ? p.name : uids[i]);
        }
        person_free(&p);
    }
    free(uids[0]);
    free(uids[1]);
    *out = buf_detach(&names);
    return failed;
}

/* The 403 of an admin who is no named contact (round-25 walkthrough of
 * seed 004, D3: they got the bare rule while a member got "ask one of
 * them"): the members' text with the contacts by name and that any
 * administrator can name one, themselves included; with none named,
 * that the account has none now and how an administrator names one. */
static void refuse_admin(struct request *req, unsigned long long account_id)
{
    char *names = NULL;
    int st = contact_names_of(req, account_id, NULL, NULL, NULL, &names);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else if (*names)
        refuse(req, 403, "forbidden",
               RESET_ASK_CONTACTS " (%s), or name yourself a contact: any administrator of the "
                                  "account can, with PUT /api/v1/accounts/%llu/contacts/primary "
                                  "or /technical",
               names, account_id);
    else
        refuse(req, 403, "forbidden",
               RESET_CONTACTS_RULE
               ", and the account has no named contact now: any administrator of the account "
               "can name one, yourself included, with PUT /api/v1/accounts/%llu/contacts/primary "
               "or /technical",
               account_id);
    free(names);
}

static int id_cmp(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* The person's roles in the account (ROLE_* bits) and, when they hold
 * none there, the account's projects where they hold a role (*pids, *npids;
 * malloc'ed, NULL when none): an end customer of a reseller's project
 * (STACKIT method 2) is the account's person too (round-25 walkthrough
 * of seed 003, D1: nobody could ask for their reset, 404 "that person
 * has no role in this account"). Both from one read of the person's
 * grants (the directory cache, the same search as the caller's grants).
 * pids may be NULL: then only *npids is counted and no list is built. */
static int roles_here(struct request *req, unsigned long long account_id, const char *dn,
                      unsigned *roles, unsigned long long **pids, size_t *npids)
{
    *roles = 0;
    if (pids)
        *pids = NULL;
    *npids = 0;
    struct role_grant *grants = NULL;
    struct project_grant *projects = NULL;
    size_t ngrants = 0, nprojects = 0;
    int st =
        ldap_store_all_grants_of(req->session->ldap, dn, &grants, &ngrants, &projects, &nprojects);
    if (st == ST_OK) {
        for (size_t i = 0; i < ngrants; i++)
            if (grants[i].account_id == account_id)
                *roles |= grants[i].roles;
        if (!*roles && nprojects && pids)
            *pids = xcalloc(nprojects, sizeof(**pids));
        for (size_t i = 0; !*roles && i < nprojects; i++)
            if (projects[i].account_id == account_id && projects[i].roles) {
                if (pids)
                    (*pids)[*npids] = projects[i].project_id;
                (*npids)++;
            }
    }
    free(grants);
    free(projects);
    if (!pids)
        return st;
    /* (by id: the mail names them oldest first, whatever the directory's order) */
    if (*npids > 1)
        qsort(*pids, *npids, sizeof(**pids), id_cmp);
    if (!*npids) {
        free(*pids);
        *pids = NULL;
    }
    return st;
}

/* What the request's mail adds to who asked for a person with project
 * roles only: "in whose project \"Shop\" you hold a role" (several:
 * "in whose projects \"Shop\" and \"Web\" you hold roles"), by the
 * projects' names now (one statement); NULL when there are none (a
 * project removed meanwhile). *out malloc'ed. */
static int project_note(struct sql_store *sql, const unsigned long long *pids, size_t npids,
                        char **out)
{
    *out = NULL;
    json_t *found = NULL;
    int st = projects_by_ids(sql, pids, npids, &found);
    if (st != ST_OK)
        return st;
    const char **names = xcalloc(npids ? npids : 1, sizeof(*names));
    size_t n = 0;
    for (size_t i = 0; i < npids; i++) {
        char key[24];
        snprintf(key, sizeof key, "%llu", pids[i]);
        const char *name = json_string_value(json_object_get(json_object_get(found, key), "name"));
        if (name)
            names[n++] = name;
    }
    if (n) {
        char *joined = mail_names_joined(names, n, "\"");
        struct buf b = BUF_INIT;
        buf_printf(&b, "in whose project%s %s you hold %s", n > 1 ? "s" : "", joined,
                   n > 1 ? "roles" : "a role");
        *out = buf_detach(&b);
        free(joined);
    }
    free(names);
    json_decref(found);
    return ST_OK;
}

struct reset_request {
    struct request *req;
    unsigned long long account_id;
    const struct person *person;
    const char *token;
    int contact;                    /* the caller is a named contact of the account */
    const char *password_mark;      /* the person's password now (ldap_store_reset_proof) */
    const unsigned long long *pids; /* the account's projects where a person with no role in the
                                       account holds one (roles_here) */
    size_t npids;
    char *expires_at;
};

/* {{requested_by}} of the mails: who asked (name), in the capacity that
 * let them ask (as: "contact" or "operator"; anything else, e.g. NULL,
 * adds nothing), so that the person can judge whether the request was
 * legitimate (seed 004): "Anna Admin, a named contact of <account>", or,
 * for operator staff who are no named contact of it, "Olivia Operator,
 * operator staff of <the operator account>" (round-13 walkthrough of seed
 * 004, D2: the template called them "a named contact" too; migration 047
 * took those words out of it); in brackets instead, "Anna Admin (a named
 * contact of Widgets)", when bracketed (password-changed). where (NULL:
 * nothing), for a person with project roles only (project_note), follows
 * the capacity, after the account for operator staff ("Olivia Operator,
 * operator staff of Platform Operator, for Reseller, in whose project
 * \"Shop\" you hold a role"; round-25 walkthrough of seed 003, D1).
 * Inside a transaction; *out malloc'ed. */
static int requested_by(struct sql_store *sql, struct request *req, const char *name,
                        const char *as, const char *account_name, const char *where, int bracketed,
                        char **out)
{
    struct buf b = BUF_INIT, capacity = BUF_INIT;
    int st = ST_OK;
    if (as && strcmp(as, "contact") == 0) {
        buf_printf(&capacity, "a named contact of %s", account_name);
    } else if (as && strcmp(as, "operator") == 0) {
        char *operator_name = NULL;
        st = account_name_get(sql, operator_account_id(req), &operator_name);
        if (st == ST_OK)
            buf_printf(&capacity, "operator staff of %s", operator_name);
        free(operator_name);
        if (where)
            buf_printf(&capacity, ", for %s", account_name);
    }
    if (where && capacity.len)
        buf_printf(&capacity, ", %s", where);
    buf_adds(&b, name);
    if (capacity.len)
        buf_printf(&b, bracketed ? " (%s)" : ", %s", buf_str(&capacity));
    buf_free(&capacity);
    *out = buf_detach(&b);
    return st;
}

/* {{renewal_note}} of a reset that replaces a pending one of the same
 * person and account (round-17 walkthrough of seed 004, D4: the second
 * mail looked like the first and did not say that the first link had
 * died, 410 reset-replaced); a line left out otherwise. As the
 * invitations' note says it (invitations.c). */
#define RESET_RENEWAL_NOTE                                                                         \
    "This link replaces the one sent to you before: the link in that earlier mail no longer "      \
    "works."

static int request_tx(struct sql_store *sql, void *arg)
{
    struct reset_request *r = arg;
    struct request *req = r->req;
    char *account_name = NULL;
    int st = account_lock(sql, r->account_id, &req->problem, &account_name);
    char hash[65];
    sha256_hex(r->token, hash);
    int replaced = 0;
    if (st == ST_OK)
        st = password_reset_put(sql, r->account_id, r->person->uid, hash, req->caller.uid,
                                r->contact ? "contact" : "operator", r->person->mail,
                                r->password_mark, &r->expires_at, &replaced);
    char *asked_by = NULL, *where = NULL;
    if (st == ST_OK && r->npids)
        st = project_note(sql, r->pids, r->npids, &where);
    if (st == ST_OK)
        st = requested_by(sql, req, req->caller.name ? req->caller.name : req->caller.uid,
                          r->contact ? "contact" : "operator", account_name, where, 0, &asked_by);
    free(where);
    if (st == ST_OK) {
        char *link = token_link(req->cfg->password_reset_url, r->token);
        const char *to[] = {r->person->mail};
        struct template_value vals[] = {
            {"account_name", account_name},
            {"requested_by", asked_by},
            {"name", r->person->name ? r->person->name : r->person->uid},
            {"uid", r->person->uid},
            {"link", link},
            {"expires_at", r->expires_at},
            {"renewal_note", replaced ? RESET_RENEWAL_NOTE : TEMPLATE_OMIT_LINE},
        };
        struct mail_names names = MAIL_NAMES_INIT;
        mail_names_add_person(&names, r->person);
        st = outbox_queue(sql, r->account_id, "password-reset", to, 1, &names, vals,
                          sizeof(vals) / sizeof(vals[0]));
        mail_names_free(&names);
        free(link);
    }
    if (st == ST_OK)
        st = audit_write(
            sql, req->caller.uid, r->account_id, "password.reset_request", NULL,
            json_pack("{s:s, s:s}", "uid", r->person->uid, "expires_at", r->expires_at));
    free(asked_by);
    free(account_name);
    return st;
}

#define RESET_NO_ROLE "that person has no role in this account or its projects"

void password_reset_request(struct request *req)
{
    if (body_none(req))
        return;
    unsigned long long account_id = req->account.id;
    int contact = 0, unmailed = 0;
    int st = caller_is_contact(req, account_id, &contact, &unmailed);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    if (!req->caller.is_operator && unmailed) {
        refuse(req, 403, "forbidden",
               "only the account's named contacts (primary and technical) request password "
               "resets: your e-mail address is no longer in the directory, so the account does "
               "not count you as its contact; ask an LDAP administrator to restore it");
        return;
    }
    if (!req->caller.is_operator && !contact) {
        refuse_admin(req, account_id);
        return;
    }
    /* The person: someone with a role in the account or in one of its
     * projects; anyone else (or an unknown uid) gets the same 404. */
    const char *uid = req->args[1];
    struct person person = {0};
    unsigned roles = 0;
    unsigned long long *pids = NULL;
    size_t npids = 0;
    st = validate_uid(uid) ? ST_NOT_FOUND
                           : ldap_store_find_person(req->session->ldap, "uid", uid, &person);
    if (st == ST_OK)
        st = roles_here(req, account_id, person.dn, &roles, &pids, &npids);
    if (st == ST_OK && !roles && !npids)
        st = ST_NOT_FOUND;
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", RESET_NO_ROLE);
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory");
    else if (!person.mail || !*person.mail)
        refuse(req, 409, "conflict",
               "that person has no e-mail address in the directory to send the link to");
    else {
        /* What the link will be judged by when it is used: the address it
         * goes to and the password it would replace (round-21 walkthrough
         * of seed 004, D1). */
        char *mail_now = NULL, mark[65];
        st = ldap_store_reset_proof(req->session->ldap, person.dn, &mail_now, mark);
        free(mail_now);
        if (st != ST_OK) {
            if (st == ST_NOT_FOUND)
                refuse(req, 404, "not-found", RESET_NO_ROLE);
            else
                res_store_failure(req, st, "the directory");
            person_free(&person);
            free(pids);
            return;
        }
        char *token = token_new();
        struct reset_request r = {req,  account_id, &person, token, contact,
                                  mark, pids,       npids,   NULL};
        st = request_transaction(req, request_tx, &r);
        if (st == ST_OK)
            res_json(req, 202,
                     json_pack("{s:s, s:s, s:s}", "uid", person.uid, "status", "mailed",
                               "expires_at", r.expires_at));
        else
            res_store_failure(req, st, "the database");
        free(token);
        free(r.expires_at);
    }
    free(pids);
    person_free(&person);
}

/* ---- setting the password -------------------------------------------- */

struct reset_claim {
    struct request *req;
    const char *hash;
    struct password_reset row;
    int undo;      /* 1: give the claim back (the LDAP write failed) */
    char *used_at; /* RFC 3339: when the claim marked it used */
};

#define RESET_REPLACED_DETAIL "this link was replaced by a newer one or the password was set since"

/* What a link that is not live answers (st: what reading its reset gave,
 * ST_NOT_FOUND for no reset of that token): 410 for a used, replaced,
 * expired one or one of a closed account, 404 for a token that never was
 * a link; ST_OK for a live one. One place for the look before the body and the claim after it. */
static int link_state(struct request *req, struct sql_store *sql, int st, const char *hash,
                      const struct password_reset *row)
{
    if (st == ST_NOT_FOUND) {
        /* A link a newer request replaced (round-10 walkthrough of seed
         * 004, D1). */
        st = password_reset_superseded(sql, hash);
        if (st == ST_OK)
            return refuse(req, 410, "reset-replaced", RESET_REPLACED_DETAIL);
        if (st == ST_NOT_FOUND)
            return refuse(req, 404, "not-found", "no such password reset");
        return st;
    }
    if (st != ST_OK)
        return st;
    if (strcmp(row->status, "used") == 0)
        return refuse(req, 410, "reset-used", "this link was used already");
    if (strcmp(row->status, "replaced") == 0)
        return refuse(req, 410, "reset-replaced", RESET_REPLACED_DETAIL);
    /* A link of an account closed since it was asked for (round-22
     * walkthrough of seed 004, D1): the contact's authority over the
     * person ended with the account (asking again there is 409), so the
     * link ends too, before its expiry says "ask for a new one" of an
     * account that gives none. Whom to ask is said without naming the
     * person's other accounts: the answer goes to whoever holds the
     * link. */
    if (row->account_closed)
        return refuse(req, 410, "reset-revoked",
                      "%s was closed, so this link no longer works; if you still need a new "
                      "password, ask a named contact of an account you still work in",
                      row->account_name ? row->account_name : "the account");
    if (row->expired)
        return refuse(req, 410, "reset-expired", "this link has expired; ask for a new one");
    return ST_OK;
}

/* 410 reset-revoked for a link whose person's directory entry no longer
 * backs it (round-21 walkthrough of seed 004): they hold no role in the
 * account any more (D2: the contact's authority over them ended with
 * it), their mail is no longer the address the link was mailed to or is
 * gone (D1: the mailbox is the proof), or their password was set since
 * the request (D1: an LDAP administrator's ldappasswd). Read from the
 * directory itself (ldap_store_reset_proof), not the cache. A link asked
 * for before migration 093 is judged by its role alone. ST_OK for a
 * link that still holds; otherwise the answer is set (ST_REFUSED). */
static int link_still_theirs(struct request *req, const struct password_reset *row,
                             const struct person *person)
{
    unsigned roles = 0;
    size_t npids = 0;
    char *mail = NULL, mark[65];
    /* (a role in one of the account's projects holds it too: round-25
     * walkthrough of seed 003, D1; only whether there is one counts) */
    int st = roles_here(req, row->account_id, person->dn, &roles, NULL, &npids);
    if (st == ST_OK)
        st = ldap_store_reset_proof(req->session->ldap, person->dn, &mail, mark);
    if (st == ST_NOT_FOUND) {
        return refuse(req, 410, "reset-revoked", "that person no longer exists");
    } else if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return ST_REFUSED;
    }
    enum { HOLDS, NO_ROLE, NOT_THEIR_MAIL, PASSWORD_CHANGED } why = HOLDS;
    if (!roles && !npids)
        why = NO_ROLE;
    else if (row->mailed_to && (!mail || strcasecmp(mail, row->mailed_to) != 0))
        why = NOT_THEIR_MAIL;
    else if (row->password_mark && strcmp(mark, row->password_mark) != 0)
        why = PASSWORD_CHANGED;
    free(mail);
    if (why == HOLDS)
        return ST_OK;
    char *account_name = NULL;
    st = account_name_get(req->session->sql, row->account_id, &account_name);
    if (st != ST_OK && st != ST_NOT_FOUND) {
        res_store_failure(req, st, "the database");
        return ST_REFUSED;
    }
    const char *account = account_name ? account_name : "the account";
    if (why == NO_ROLE)
        st = refuse(req, 410, "reset-revoked",
                    "you no longer hold a role in %s or its projects, so this link no longer "
                    "works",
                    account);
    else if (why == NOT_THEIR_MAIL)
        st = refuse(req, 410, "reset-revoked",
                    "this link was mailed to an address that is no longer yours; ask a named "
                    "contact of %s for a new one",
                    account);
    else
        st = refuse(req, 410, "reset-revoked",
                    "your password was changed since this link was sent; ask a named contact of "
                    "%s for a new link if you still need one",
                    account);
    free(account_name);
    return st;
}

/* Claims the reset (one winner of two uses of a link), or gives it back. */
static int claim_tx(struct sql_store *sql, void *arg)
{
    struct reset_claim *c = arg;
    struct request *req = c->req;
    password_reset_free(&c->row);
    int st = password_reset_lock(sql, c->hash, &c->row);
    if (c->undo)
        return st == ST_OK ? password_reset_unused(sql, c->row.id) : st;
    st = link_state(req, sql, st, c->hash, &c->row);
    free(c->used_at);
    c->used_at = NULL;
    if (st == ST_OK)
        st = password_reset_used(sql, &c->row, &c->used_at);
    if (st == ST_OK)
        st = audit_write(sql, c->row.uid, c->row.account_id, "password.reset", NULL,
                         json_pack("{s:s}", "uid", c->row.uid));
    return st;
}

/* The notices of a used link (round-20 walkthrough of seed 004, D2: once
 * a link was used nobody was told, neither the person, whose password
 * someone with a forwarded mail or a link scanner may have set, nor the
 * contact who asked). */
struct reset_notice {
    struct request *req;
    const struct password_reset *row;
    const struct person *person; /* whose password was set */
    const char *asker_name;      /* who asked, by name (their uid if gone) */
    const char *asker_mail;      /* NULL: who asked is not told */
    const char *set_at;          /* RFC 3339: when the link was used (the claim) */
    int self;                    /* the person asked for their own */
    int asker_may_ask;           /* who asked still may ask (a contact, operator staff) */
    char *contact_names;         /* the account's named contacts now, but the person */
    struct mail_names names;
};

/* {{which_link}} and {{ask_whom}} of password-changed (migration 093;
 * round-21 walkthrough of seed 004): the link "you asked for" when the
 * person asked for their own (D3: they were named by uid and told to ask
 * themselves); whom to ask for a new link if it was not them: who asked
 * and the account's named contacts while who asked still may ask, else
 * (D2: a contact who left or lost the role, the person themselves) the
 * account's current named contacts by name, else "an administrator of"
 * the account. */
static void notice_which_and_whom(const struct reset_notice *n, const char *asked_by,
                                  const char *account_name, struct buf *which, struct buf *whom)
{
    if (n->self)
        buf_adds(which, "the reset link you asked for");
    else
        buf_printf(which, "the reset link that %s asked for", asked_by);
    if (!n->self && n->asker_may_ask)
        buf_printf(whom, "%s or a named contact of %s", n->asker_name, account_name);
    else if (n->contact_names && *n->contact_names)
        buf_printf(whom, "a named contact of %s (%s)", account_name, n->contact_names);
    else
        buf_printf(whom, "an administrator of %s", account_name);
}

/* Both notices, outside the mail budget: a security notice must not be
 * refused by a spent budget (the password is set by then), and each
 * follows one use of a link whose password-reset mail the budget counted
 * (at most two per counted mail). */
static int notice_tx(struct sql_store *sql, void *arg)
{
    struct reset_notice *n = arg;
    const struct password_reset *row = n->row;
    char *account_name = NULL, *asked_by = NULL;
    const char *set_at = n->set_at;
    int st = account_name_get(sql, row->account_id, &account_name);
    if (st == ST_OK)
        /* Who asked, with the capacity that let them ask when they asked
         * (as the password-reset mail said it), in brackets; the name
         * alone for a link asked for before migration 090 kept it. */
        st = requested_by(sql, n->req, n->asker_name, n->row->requested_as, account_name, NULL, 1,
                          &asked_by);
    const char *name = n->person->name ? n->person->name : n->person->uid;
    if (st == ST_OK && n->person->mail && *n->person->mail) {
        const char *to[] = {n->person->mail};
        struct buf which = BUF_INIT, whom = BUF_INIT;
        notice_which_and_whom(n, asked_by, account_name, &which, &whom);
        struct template_value vals[] = {
            {"which_link", buf_str(&which)},
            {"ask_whom", buf_str(&whom)},
            {"account_name", account_name},
            {"uid", n->person->uid},
            {"name", name},
            {"requested_by", asked_by},
            {"requested_by_name", n->asker_name},
            {"requested_at", row->requested_at},
            {"set_at", set_at},
        };
        st = outbox_queue_unbudgeted(sql, row->account_id, "password-changed", to, 1, &n->names,
                                     vals, sizeof(vals) / sizeof(vals[0]));
        buf_free(&which);
        buf_free(&whom);
    }
    if (st == ST_OK && n->asker_mail) {
        const char *to[] = {n->asker_mail};
        struct template_value vals[] = {
            {"account_name", account_name},      {"uid", n->person->uid}, {"name", name},
            {"requested_at", row->requested_at}, {"set_at", set_at},
        };
        st = outbox_queue_unbudgeted(sql, row->account_id, "password-reset-used", to, 1, &n->names,
                                     vals, sizeof(vals) / sizeof(vals[0]));
    }
    free(asked_by);
    free(account_name);
    return st;
}

/* Who asked for the used link, read before the notices' transaction (no
 * LDAP call inside one): their name for the person's mail, and their
 * address when they are told too: not when they are the person (one
 * mail: the person's), not when they are gone from the directory or have
 * no address, and not when they hold no role in the account any more and
 * are no operator staff (someone who left gets no more of its mail). A
 * directory that does not answer tells only the person. */
static void notice_asker(struct request *req, struct reset_notice *n, struct person *asker)
{
    const struct password_reset *row = n->row;
    n->asker_name = row->requested_by;
    /* The person who asked for their own: named as the request mail named
     * them (round-21 walkthrough of seed 004, D3). */
    if (row->requested_by && strcasecmp(row->requested_by, n->person->uid) == 0)
        n->asker_name = n->person->name ? n->person->name : n->person->uid;
    if (!row->requested_by || n->self)
        return;
    int st = ldap_store_find_person(req->session->ldap, "uid", row->requested_by, asker);
    if (st != ST_OK) {
        if (st != ST_NOT_FOUND)
            log_info("password reset %llu: who asked could not be read; only %s is told", row->id,
                     n->person->uid);
        return;
    }
    if (asker->name)
        n->asker_name = asker->name;
    if (!asker->mail || !*asker->mail ||
        (n->person->mail && strcasecmp(asker->mail, n->person->mail) == 0))
        return;
    unsigned roles = 0;
    int is_operator = 0;
    st = ldap_store_roles_of(req->session->ldap, row->account_id, asker->dn, &roles);
    if (st == ST_OK && !roles)
        st = person_is_operator(req, asker->dn, &is_operator);
    if (st != ST_OK) {
        log_info("password reset %llu: the roles of who asked could not be read; only %s is told",
                 row->id, n->person->uid);
        return;
    }
    if (roles || is_operator) {
        n->asker_mail = asker->mail;
        mail_names_add_person(&n->names, asker);
    }
}

/* Whom the person's notice sends them to (round-21 walkthrough of seed
 * 004, D2 and D3), read before the notices' transaction like
 * notice_asker: whether who asked still may ask (a named contact of the
 * account now, or operator staff now, as they asked), and the account's
 * named contacts now by name, the person left out. A store that does not
 * answer leaves the names out ("an administrator of <account>"). */
static void notice_contacts(struct request *req, struct reset_notice *n, const struct person *asker)
{
    const struct password_reset *row = n->row;
    int asker_contact = 0;
    if (contact_names_of(req, row->account_id, n->person->uid, row->requested_by, &asker_contact,
                         &n->contact_names) != ST_OK)
        log_info("password reset %llu: the contacts could not be read", row->id);
    if (n->self)
        return;
    if (row->requested_as && strcmp(row->requested_as, "operator") == 0) {
        int is_operator = 0;
        if (asker->dn && person_is_operator(req, asker->dn, &is_operator) == ST_OK)
            n->asker_may_ask = is_operator;
    } else {
        n->asker_may_ask = asker_contact;
    }
}

void password_reset_complete(struct request *req)
{
    const char *token = req->args[0];
    if (!token_well_formed(token)) {
        refuse(req, 404, "not-found", "no such password reset");
        return;
    }
    char hash[65];
    sha256_hex(token, hash);
    struct reset_claim c = {.req = req, .hash = hash};
    struct person person = {0};
    /* The link first: a used, replaced or expired one is 410 (an unknown
     * one 404) whatever the body says, as for an invitation's accept
     * (round-20 walkthrough of seed 004, D1: a short password on a dead
     * link got 422 "must be 8 to 128 characters", and only the next try
     * said that the link no longer works). */
    int st = password_reset_find(req->session->sql, hash, &c.row);
    st = link_state(req, req->session->sql, st, hash, &c.row);
    /* ... and so is one whose person an LDAP administrator deleted. */
    if (st == ST_OK) {
        st = ldap_store_find_person(req->session->ldap, "uid", c.row.uid, &person);
        if (st == ST_NOT_FOUND)
            st = refuse(req, 410, "reset-revoked", "that person no longer exists");
        else if (st != ST_OK) {
            res_store_failure(req, st, "the directory");
            goto out;
        }
    }
    /* ... and so is one whose person no longer holds the role, the
     * address or the password it was asked for (round-21 walkthrough of
     * seed 004, D1 and D2). */
    if (st == ST_OK)
        st = link_still_theirs(req, &c.row, &person);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        goto out;
    }
    /* Only a live link's body is checked. */
    static const char *const allowed[] = {"password", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *password = body_str(req, b, NULL, "password", 1, MAX_CHARS(128));
    const char *why = password ? validate_password(password) : NULL;
    if (why)
        res_field_error(req, "password", why);
    if (body_failed(req))
        goto out;
    /* The claim reads the link again, locked: a use of it since is 410. */
    st = request_transaction(req, claim_tx, &c);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        goto out;
    }
    st = ldap_store_set_password(req->session->ldap, person.dn, password);
    if (st != ST_OK) {
        /* The link stays good for another try (not for a person who is
         * gone). */
        c.undo = 1;
        if (st != ST_NOT_FOUND && request_transaction(req, claim_tx, &c) != ST_OK)
            log_error("password reset %llu: used, but the password was not set", c.row.id);
        if (st == ST_NOT_FOUND)
            refuse(req, 410, "reset-revoked", "that person no longer exists");
        else
            res_store_failure(req, st, "the directory");
        goto out;
    }
    /* The password is set: the notices (D2). Their transaction failing
     * does not undo that, nor make the answer a failure the person would
     * try again with a used link. */
    struct person asker = {0};
    struct reset_notice n = {.req = req,
                             .row = &c.row,
                             .person = &person,
                             .set_at = c.used_at,
                             .names = MAIL_NAMES_INIT};
    mail_names_add_person(&n.names, &person);
    n.self = c.row.requested_by && strcasecmp(c.row.requested_by, person.uid) == 0;
    notice_asker(req, &n, &asker);
    notice_contacts(req, &n, &asker);
    if (request_transaction(req, notice_tx, &n) != ST_OK)
        log_error("password reset %llu: the password was set, but its notices were not queued",
                  c.row.id);
    mail_names_free(&n.names);
    free(n.contact_names);
    person_free(&asker);
    res_json(req, 200, json_pack("{s:s, s:s}", "uid", c.row.uid, "status", "password set"));
out:
    person_free(&person);
    password_reset_free(&c.row);
    free(c.used_at);
}
