/*
 * password_resets: an account's named contacts have a new password set for
 * one of its people (seed 004: "the two named account holders are the only
 * users authorized to make any changes on the account or request the
 * reset of any passwords"). The contact only asks: the person gets a mail
 * at their own address with a single-use link, and sets the password
 * there (POST /password-resets/{token}), so nobody learns anyone's
 * password and a contact cannot take over a person who also works for
 * other accounts.
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "contacts_store.h"
#include "handlers.h"
#include "ldap_store.h"
#include "log.h"
#include "mail_names.h"
#include "outbox.h"
#include "password_resets_store.h"
#include "sql_store.h"
#include "token.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

/* Is the caller one of the account's named contacts (primary, technical)? */
static int caller_is_contact(struct request *req, unsigned long long account_id, int *is)
{
    *is = 0;
    static const char *const kinds[] = {"primary", "technical"};
    for (size_t i = 0; i < 2 && !*is; i++) {
        char *uid = NULL;
        int st = contact_get(req->session->sql, account_id, kinds[i], &uid);
        if (st != ST_OK && st != ST_NOT_FOUND)
            return st;
        *is = uid && req->caller.uid && strcmp(uid, req->caller.uid) == 0;
        free(uid);
    }
    return ST_OK;
}

struct reset_request {
    struct request *req;
    unsigned long long account_id;
    const struct person *person;
    const char *token;
    int contact; /* the caller is a named contact of the account */
    char *expires_at;
};

/* {{requested_by}} of the mail: who asked, in the capacity that let them
 * ask, so that the person can judge whether the request was legitimate
 * (seed 004): "Anna Admin, a named contact of <account>", or, for operator
 * staff who are no named contact of it, "Olivia Operator, operator staff
 * of <the operator account>" (round-13 walkthrough of seed 004, D2: the
 * template called them "a named contact" too; migration 047 took those
 * words out of it). Inside the request's transaction; *out malloc'ed. */
static int requested_by(struct sql_store *sql, const struct reset_request *r,
                        const char *account_name, char **out)
{
    const struct request *req = r->req;
    struct buf b = BUF_INIT;
    buf_adds(&b, req->caller.name ? req->caller.name : req->caller.uid);
    int st = ST_OK;
    if (r->contact) {
        buf_printf(&b, ", a named contact of %s", account_name);
    } else {
        char *operator_name = NULL;
        st = account_name_get(sql, operator_account_id(r->req), &operator_name);
        if (st == ST_OK)
            buf_printf(&b, ", operator staff of %s", operator_name);
        free(operator_name);
    }
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
                                &r->expires_at, &replaced);
    char *asked_by = NULL;
    if (st == ST_OK)
        st = requested_by(sql, r, account_name, &asked_by);
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

void password_reset_request(struct request *req)
{
    if (body_none(req))
        return;
    unsigned long long account_id = req->account.id;
    int contact = 0;
    int st = caller_is_contact(req, account_id, &contact);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    if (!req->caller.is_operator && !contact) {
        refuse(req, 403, "forbidden",
               "only the account's named contacts (primary and technical) request password "
               "resets");
        return;
    }
    /* The person: someone with a role in the account; anyone else (or an
     * unknown uid) gets the same 404. */
    const char *uid = req->args[1];
    struct person person = {0};
    unsigned roles = 0;
    st = validate_uid(uid) ? ST_NOT_FOUND
                           : ldap_store_find_person(req->session->ldap, "uid", uid, &person);
    if (st == ST_OK)
        st = ldap_store_roles_of(req->session->ldap, account_id, person.dn, &roles);
    if (st == ST_OK && !roles)
        st = ST_NOT_FOUND;
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "that person has no role in this account");
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory");
    else if (!person.mail || !*person.mail)
        refuse(req, 409, "conflict",
               "that person has no e-mail address in the directory to send the link to");
    else {
        char *token = token_new();
        struct reset_request r = {req, account_id, &person, token, contact, NULL};
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
    person_free(&person);
}

/* ---- setting the password -------------------------------------------- */

struct reset_claim {
    struct request *req;
    const char *hash;
    struct password_reset row;
    int undo; /* 1: give the claim back (the LDAP write failed) */
};

/* Claims the reset (one winner of two uses of a link), or gives it back. */
static int claim_tx(struct sql_store *sql, void *arg)
{
    struct reset_claim *c = arg;
    struct request *req = c->req;
    password_reset_free(&c->row);
    int st = password_reset_lock(sql, c->hash, &c->row);
    if (c->undo)
        return st == ST_OK ? password_reset_unused(sql, c->row.id) : st;
    if (st == ST_NOT_FOUND) {
        /* A link a newer request replaced (round-10 walkthrough of seed
         * 004, D1). */
        st = password_reset_superseded(sql, c->hash);
        if (st == ST_OK)
            return refuse(req, 410, "reset-replaced",
                          "this link was replaced by a newer one or the password was set since");
        if (st == ST_NOT_FOUND)
            return refuse(req, 404, "not-found", "no such password reset");
        return st;
    }
    if (st != ST_OK)
        return st;
    if (strcmp(c->row.status, "used") == 0)
        return refuse(req, 410, "reset-used", "this link was used already");
    if (strcmp(c->row.status, "replaced") == 0)
        return refuse(req, 410, "reset-replaced",
                      "this link was replaced by a newer one or the password was set since");
    if (c->row.expired)
        return refuse(req, 410, "reset-expired", "this link has expired; ask for a new one");
    st = password_reset_used(sql, c->row.id, c->row.uid);
    if (st == ST_OK)
        st = audit_write(sql, c->row.uid, c->row.account_id, "password.reset", NULL,
                         json_pack("{s:s}", "uid", c->row.uid));
    return st;
}

void password_reset_complete(struct request *req)
{
    const char *token = req->args[0];
    if (!token_well_formed(token)) {
        refuse(req, 404, "not-found", "no such password reset");
        return;
    }
    static const char *const allowed[] = {"password", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *password = body_str(req, b, NULL, "password", 1, MAX_CHARS(128));
    const char *why = password ? validate_password(password) : NULL;
    if (why)
        res_field_error(req, "password", why);
    if (body_failed(req))
        return;
    char hash[65];
    sha256_hex(token, hash);
    struct reset_claim c = {.req = req, .hash = hash};
    int st = request_transaction(req, claim_tx, &c);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        password_reset_free(&c.row);
        return;
    }
    struct person person = {0};
    st = ldap_store_find_person(req->session->ldap, "uid", c.row.uid, &person);
    if (st == ST_OK)
        st = ldap_store_set_password(req->session->ldap, person.dn, password);
    person_free(&person);
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
        password_reset_free(&c.row);
        return;
    }
    res_json(req, 200, json_pack("{s:s, s:s}", "uid", c.row.uid, "status", "password set"));
    password_reset_free(&c.row);
}
