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
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "log.h"
#include "outbox.h"
#include "sql_store.h"
#include "transfer.h"
#include "validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define TOKEN_BYTES 32
#define TOKEN_CHARS 43 /* base64url of 32 bytes, no padding */

static char *new_token(void)
{
    unsigned char raw[TOKEN_BYTES];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n <= 0)
            abort(); /* no randomness, no tokens */
        got += (size_t)n;
    }
    return base64url_encode(raw, sizeof(raw));
}

static int token_well_formed(const char *t)
{
    return strlen(t) == TOKEN_CHARS &&
           strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
               TOKEN_CHARS;
}

static char *link_for(const struct config *cfg, const char *token)
{
    struct buf b = BUF_INIT;
    const char *at = strstr(cfg->invitation_url, "{token}");
    buf_add(&b, cfg->invitation_url, (size_t)(at - cfg->invitation_url));
    buf_adds(&b, token);
    buf_adds(&b, at + 7);
    return buf_detach(&b);
}

static const char *role_name(unsigned bit)
{
    for (unsigned i = 0; i < ROLE_COUNT; i++)
        if (bit == 1u << i)
            return role_names[i];
    return "";
}

/* ---- invite --------------------------------------------------------- */

struct invite {
    struct request *req;
    struct account_ref *account;
    const char *email, *first_name, *last_name;
    unsigned role;
    const char *purpose; /* "member" (NULL) or "transfer" */
    struct person known; /* dn set when LDAP already knows the address */
    int known_added;     /* this request added known to the role group */
    char *token;
    unsigned long long id;
    char *expires_at;
    struct refusal refusal;
};

/* Takes back the role add_known gave, if it was this request's doing
 * (a person who had the role already keeps it). */
static void known_undo(struct invite *v)
{
    if (v->known_added && ldap_store_set_member(v->req->session->ldap, v->account->id, v->role,
                                                v->known.dn, 0) != ST_OK)
        log_error("account %llu: could not take back the %s role given to %s; fix the role "
                  "group by hand",
                  v->account->id, role_name(v->role), v->known.uid);
    v->known_added = 0;
}

/* Gives v->known the role at once and mails them; inside a transaction
 * that holds the account row. Run again after a deadlock, so it first
 * takes back what an earlier run gave. */
static int add_known(struct sql_store *sql, struct invite *v, const char *account_name)
{
    struct request *req = v->req;
    int st;
    known_undo(v);
    /* The mail row first: whatever fails after it rolls it back too. */
    const char *to[] = {v->known.mail};
    struct template_value vals[] = {
        {"account_name", account_name},
        {"inviter_name", req->caller.name ? req->caller.name : req->caller.uid},
        {"role", role_name(v->role)},
        {"name", v->known.name ? v->known.name : v->known.uid},
    };
    st = outbox_queue(sql, v->account->id, "added-to-account", to, 1, vals, 4);
    if (st == ST_OK) {
        st = ldap_store_change_member(req->session->ldap, v->account->id, v->role, v->known.dn, 1,
                                      &v->known_added);
        if (st == ST_NOT_FOUND) {
            log_error("account %llu has no %s role group in LDAP", v->account->id,
                      role_name(v->role));
            st = refusal_set(&v->refusal, 500, "internal",
                             "the account's role group is missing in the directory");
        }
    }
    if (st == ST_OK) {
        json_t *n = json_pack("{s:s, s:[s]}", "uid", v->known.uid, "roles", role_name(v->role));
        st = audit_write(sql, req->caller.uid, v->account->id, "member.add", NULL, n);
    }
    if (st != ST_OK)
        known_undo(v);
    return st;
}

/* Queues the invitation mail of invitation v->id (with the token just set)
 * and its audit row; fills v->role and v->expires_at. */
static int mail_invitation(struct sql_store *sql, struct invite *v, const char *account_name,
                           const char *action)
{
    struct request *req = v->req;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT email, role, DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ')"
                      " FROM invitations WHERE id = ?",
                      SQL_ARGS(P_INT(v->id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows != 1) {
        sql_result_free(&r);
        return ST_ERROR;
    }
    char *email = xstrdup(sql_cell(&r, 0, 0));
    v->role = role_bit(sql_cell(&r, 0, 1));
    free(v->expires_at);
    v->expires_at = xstrdup(sql_cell(&r, 0, 2));
    sql_result_free(&r);
    char *link = link_for(req->cfg, v->token);
    const char *to[] = {email};
    struct template_value vals[] = {
        {"account_name", account_name},
        {"inviter_name", req->caller.name ? req->caller.name : req->caller.uid},
        {"role", role_name(v->role)},
        {"link", link},
        {"expires_at", v->expires_at},
        {"email", email},
    };
    st = outbox_queue(sql, v->account->id, "invitation", to, 1, vals, 6);
    free(link);
    if (st == ST_OK) {
        json_t *n = json_pack("{s:I, s:s, s:s}", "invitation_id", (json_int_t)v->id, "email", email,
                              "role", role_name(v->role));
        st = audit_write(sql, req->caller.uid, v->account->id, action, NULL, n);
    }
    free(email);
    return st;
}

/* Writes (or renews) the pending invitation of v->email and mails its
 * link; inside a transaction that holds the account row. */
static int invite_new(struct sql_store *sql, struct invite *v, const char *account_name)
{
    struct request *req = v->req;
    int st;
    free(v->token);
    v->token = new_token();
    char token_hash_buf[65];
    sha256_hex(v->token, token_hash_buf);
    const char *token_hash = token_hash_buf;
    struct sql_result r;
    /* One pending invitation per address: inviting again replaces its
     * token and expiry (the old link dies), keeping its id. */
    st = sql_exec(sql,
                  "INSERT INTO invitations (account_id, email, role, purpose, first_name,"
                  " last_name, token_hash, invited_by, expires_at)"
                  " VALUES (?, ?, ?, ?, ?, ?, UNHEX(?), ?,"
                  " CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND)"
                  " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), role = VALUES(role),"
                  " purpose = VALUES(purpose),"
                  " first_name = VALUES(first_name), last_name = VALUES(last_name),"
                  " token_hash = VALUES(token_hash), invited_by = VALUES(invited_by),"
                  " expires_at = VALUES(expires_at), created_at = CURRENT_TIMESTAMP(6)",
                  SQL_ARGS(P_INT(v->account->id), P_STR(v->email), P_STR(role_name(v->role)),
                           P_STR(v->purpose ? v->purpose : "member"), P_STR(v->first_name),
                           P_STR(v->last_name), P_STR(token_hash), P_STR(req->caller.uid),
                           P_INT(req->cfg->invitation_ttl)),
                  &r);
    if (st == ST_OK) {
        v->id = r.insert_id;
        sql_result_free(&r);
        st = mail_invitation(sql, v, account_name, "invitation.create");
    }
    return st;
}

/* The invitation proper, inside a transaction that holds the account row:
 * a person LDAP knows by the mail (v->known) is added at once, anyone else
 * gets a link. */
static int invite_step(struct sql_store *sql, struct invite *v, const char *account_name)
{
    return v->known.dn ? add_known(sql, v, account_name) : invite_new(sql, v, account_name);
}

static int invite_tx(struct sql_store *sql, void *arg)
{
    struct invite *v = arg;
    char *account_name = NULL;
    int st = account_lock(sql, v->account->id, &v->refusal, &account_name);
    if (st != ST_OK)
        return st;
    st = invite_step(sql, v, account_name);
    free(account_name);
    return st;
}

/* The answer to an invitation that went through (docs/api.md). */
static json_t *invite_result(const struct invite *v)
{
    if (v->known.dn)
        return json_pack("{s:s, s:s, s:s}", "status", "added", "uid", v->known.uid, "role",
                         role_name(v->role));
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%llu", v->id);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "invited", "id", idbuf, "email",
                     v->email, "role", role_name(v->role), "expires_at", v->expires_at);
}

/* The person to add at once for an invitation to email: one LDAP knows by
 * that mail AND who is in the caller's tenant tree; anyone else (unknown,
 * or known outside the tree) is left empty and gets an invitation mail,
 * so the answer never tells whether the directory knows the address. */
static int find_addable(struct request *req, const char *email, struct person *known)
{
    int st = ldap_store_find_person(req->session->ldap, "mail", email, known);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK)
        return st;
    int in = 0;
    st = caller_tree_holds(req, known->dn, &in);
    if (st != ST_OK || !in)
        person_free(known);
    return st;
}

/* Who may hand out which role: admins any, service providers non-admin. */
static int may_grant(struct request *req, const struct account_ref *a, unsigned role)
{
    if (req->caller.is_operator || (a->roles & ROLE_ADMIN))
        return 1;
    return role != ROLE_ADMIN;
}

void invitations_create(struct request *req)
{
    static const char *const allowed[] = {"email", "role", "first_name", "last_name", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct invite v = {.req = req};
    v.email = body_str(req, b, NULL, "email", 1, 254);
    const char *role = body_str(req, b, NULL, "role", 1, 32);
    v.first_name = body_str(req, b, NULL, "first_name", 0, 100);
    v.last_name = body_str(req, b, NULL, "last_name", 0, 100);
    const char *why;
    if (v.email && (why = validate_email_ascii(v.email)))
        res_field_error(req, "email", why);
    if (role && !(v.role = role_bit(role)))
        res_field_error(req, "role", "must be admin, service-provider, billing or member");
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    if (!may_grant(req, &a, v.role)) {
        res_problem(req, 403, "forbidden", "only admins may invite admins");
        return;
    }
    v.account = &a;
    int st = find_addable(req, v.email, &v.known);
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory or the database");
        return;
    }
    st = sql_transaction(req->session->sql, invite_tx, &v);
    if (st != ST_OK && sql_commit_unknown(req->session->sql) && v.known_added)
        log_error("account %llu: MariaDB was lost during the COMMIT that added %s; the role "
                  "is kept",
                  a.id, v.known.uid);
    else if (st != ST_OK)
        known_undo(&v); /* the COMMIT failed and rolled back */
    if (st == ST_OK)
        res_json(req, v.known.dn ? 201 : 202, invite_result(&v));
    else if (st == ST_CONFLICT)
        res_refusal(req, &v.refusal);
    else if (st != ST_OK)
        res_store_failure(req, st, "the directory or the database");
    person_free(&v.known);
    free(v.token);
    free(v.expires_at);
}

/* ---- list, revoke, resend ------------------------------------------ */

void invitations_list(struct request *req)
{
    struct account_ref a = req->account;
    struct sql_result r;
    int st = sql_exec(req->session->sql,
                      "SELECT id, email, role, invited_by,"
                      " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
                      " DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ')"
                      " FROM invitations WHERE account_id = ? AND status = 'pending'"
                      " AND expires_at > CURRENT_TIMESTAMP(6) ORDER BY id",
                      SQL_ARGS(P_INT(a.id)), &r);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", sql_cell(&r, i, 0),
                             "email", sql_cell(&r, i, 1), "role", sql_cell(&r, i, 2), "status",
                             "pending", "invited_by", sql_cell(&r, i, 3), "created_at",
                             sql_cell(&r, i, 4), "expires_at", sql_cell(&r, i, 5)));
    sql_result_free(&r);
    res_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

struct revoke {
    struct request *req;
    unsigned long long account_id, id;
    int found;
};

static int revoke_tx(struct sql_store *sql, void *arg)
{
    struct revoke *v = arg;
    struct sql_result r;
    int st = sql_exec(sql,
                      "UPDATE invitations SET status = 'revoked' WHERE id = ? AND account_id = ?"
                      " AND status = 'pending'",
                      SQL_ARGS(P_INT(v->id), P_INT(v->account_id)), &r);
    if (st != ST_OK)
        return st;
    v->found = r.affected == 1;
    sql_result_free(&r);
    if (!v->found)
        return ST_OK;
    json_t *o = json_pack("{s:I, s:s}", "invitation_id", (json_int_t)v->id, "status", "pending");
    json_t *n = json_pack("{s:I, s:s}", "invitation_id", (json_int_t)v->id, "status", "revoked");
    return audit_write(sql, v->req->caller.uid, v->account_id, "invitation.revoke", o, n);
}

void invitations_revoke(struct request *req)
{
    if (body_none(req))
        return;
    struct account_ref a = req->account;
    struct revoke v = {req, a.id, parse_id(req->args[1]), 0};
    int st = v.id ? sql_transaction(req->session->sql, revoke_tx, &v) : ST_OK;
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else if (!v.found)
        res_problem(req, 404, "not-found", "no such pending invitation");
    else
        res_empty(req, 204);
}

static int resend_tx(struct sql_store *sql, void *arg)
{
    struct invite *v = arg;
    struct request *req = v->req;
    char *account_name = NULL;
    int st = account_lock(sql, v->account->id, &v->refusal, &account_name);
    if (st != ST_OK)
        return st;
    free(v->token);
    v->token = new_token();
    char token_hash_buf[65];
    sha256_hex(v->token, token_hash_buf);
    const char *token_hash = token_hash_buf;
    struct sql_result r;
    st = sql_exec(sql,
                  "UPDATE invitations SET token_hash = UNHEX(?),"
                  " expires_at = CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND"
                  " WHERE id = ? AND account_id = ? AND status = 'pending'",
                  SQL_ARGS(P_STR(token_hash), P_INT(req->cfg->invitation_ttl), P_INT(v->id),
                           P_INT(v->account->id)),
                  &r);
    int found = st == ST_OK && r.affected == 1;
    sql_result_free(&r);
    if (st == ST_OK && !found)
        st = refusal_set(&v->refusal, 404, "not-found", "no such pending invitation");
    if (st == ST_OK)
        st = mail_invitation(sql, v, account_name, "invitation.resend");
    free(account_name);
    return st;
}

void invitations_resend(struct request *req)
{
    if (body_none(req))
        return;
    struct account_ref a = req->account;
    struct invite v = {.req = req, .account = &a, .id = parse_id(req->args[1])};
    int st = v.id ? sql_transaction(req->session->sql, resend_tx, &v)
                  : refusal_set(&v.refusal, 404, "not-found", "no such pending invitation");
    if (st == ST_OK) {
        char idbuf[24];
        snprintf(idbuf, sizeof(idbuf), "%llu", v.id);
        res_json(req, 202, json_pack("{s:s, s:s}", "id", idbuf, "expires_at", v.expires_at));
    } else if (st == ST_CONFLICT) {
        res_refusal(req, &v.refusal);
    } else {
        res_store_failure(req, st, "the database");
    }
    free(v.token);
    free(v.expires_at);
}

/* ---- accept --------------------------------------------------------- */

struct accept {
    struct request *req;
    const char *token, *uid, *password, *first_name, *last_name;
    char token_hash[65]; /* SHA-256 of token in hex: all MariaDB sees of it */
    unsigned long long id, account_id;
    unsigned role;
    char *person_uid;
    char *person_dn;
    int created;
    int member_added;
    int mail_taken; /* the directory refused a second person with the mail */
    int transfer;   /* a hand-over invitation (transfer.c completes it) */
    struct handover *handover;
    struct refusal refusal;
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

static int create_person(struct accept *v, const char *mail, const char *inv_first,
                         const char *inv_last)
{
    struct request *req = v->req;
    const char *first = v->first_name ? v->first_name : inv_first;
    const char *last = v->last_name ? v->last_name : inv_last;
    char *base = v->uid ? xstrdup(v->uid) : uid_from_mail(mail);
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
        st = ldap_store_create_person(req->session->ldap, uid.data, mail, first,
                                      last ? last : uid.data, cn.data, &v->person_dn);
        if (st == ST_OK)
            v->person_uid = xstrdup(uid.data);
        buf_free(&uid);
        buf_free(&cn);
        if (v->uid)
            break; /* a chosen uid is taken: say so */
    }
    free(base);
    if (st == ST_DUPLICATE)
        return refusal_set(&v->refusal, 409, "conflict", "that uid is taken; choose another");
    if (st == ST_CONFLICT) {
        v->mail_taken = 1;
        return refusal_set(&v->refusal, 409, "conflict",
                           "a person with this e-mail address exists already");
    }
    if (st != ST_OK)
        return st;
    v->created = 1;
    st = ldap_store_set_password(req->session->ldap, v->person_dn, v->password);
    return st;
}

static void accept_undo(struct accept *v);

static int accept_tx(struct sql_store *sql, void *arg)
{
    struct accept *v = arg;
    struct request *req = v->req;
    const char *hash = v->token_hash;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT i.id, i.account_id, i.email, i.role, i.first_name, i.last_name,"
                      " i.status, i.expires_at > CURRENT_TIMESTAMP(6), a.status, i.purpose"
                      " FROM invitations i JOIN accounts a ON a.id = i.account_id"
                      " WHERE i.token_hash = UNHEX(?) FOR UPDATE",
                      SQL_ARGS(P_STR(hash)), &r);
    if (st != ST_OK)
        return st;
    /* Run again after a deadlock: start from nothing, now that the
     * invitation is locked again. */
    accept_undo(v);
    free(v->person_uid);
    free(v->person_dn);
    v->person_uid = v->person_dn = NULL;
    v->mail_taken = 0;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return refusal_set(&v->refusal, 404, "not-found", "no such invitation");
    }
    const char *status = sql_cell(&r, 0, 6);
    if (strcmp(status, "accepted") == 0)
        st = refusal_set(&v->refusal, 410, "invitation-used", "this invitation was already used");
    else if (strcmp(status, "revoked") == 0)
        st = refusal_set(&v->refusal, 410, "invitation-revoked", "this invitation was revoked");
    else if (strcmp(sql_cell(&r, 0, 7), "1") != 0)
        st = refusal_set(&v->refusal, 410, "invitation-expired", "this invitation has expired");
    else if (strcmp(sql_cell(&r, 0, 8), "closed") == 0)
        st = refusal_set(&v->refusal, 409, "conflict", "the account is closed");
    if (st != ST_OK) {
        sql_result_free(&r);
        return st;
    }
    v->id = sql_cell_id(&r, 0, 0);
    v->account_id = sql_cell_id(&r, 0, 1);
    v->role = role_bit(sql_cell(&r, 0, 3));
    v->transfer = strcmp(sql_cell(&r, 0, 9), "transfer") == 0;
    char *mail = xstrdup(sql_cell(&r, 0, 2));
    char *inv_first = sql_cell(&r, 0, 4) ? xstrdup(sql_cell(&r, 0, 4)) : NULL;
    char *inv_last = sql_cell(&r, 0, 5) ? xstrdup(sql_cell(&r, 0, 5)) : NULL;
    sql_result_free(&r);

    struct person known;
    st = ldap_store_find_person(req->session->ldap, "mail", mail, &known);
    if (st == ST_OK) {
        v->person_uid = xstrdup(known.uid);
        v->person_dn = xstrdup(known.dn);
        person_free(&known);
    } else if (st == ST_NOT_FOUND) {
        if (!v->password) {
            res_field_error(req, "password", "is required to create your login");
            st = ST_INVALID;
        } else {
            st = create_person(v, mail, inv_first, inv_last);
            /* Created in the meantime (another invitation to the same
             * address, accepted at the same moment): that person joins. */
            if (st == ST_CONFLICT && v->mail_taken &&
                ldap_store_find_person(req->session->ldap, "mail", mail, &known) == ST_OK) {
                v->person_uid = xstrdup(known.uid);
                v->person_dn = xstrdup(known.dn);
                person_free(&known);
                st = ST_OK;
            }
        }
    }
    if (st == ST_OK) {
        st = ldap_store_change_member(req->session->ldap, v->account_id, v->role, v->person_dn, 1,
                                      &v->member_added);
    }
    if (st == ST_OK)
        st = sql_exec(sql,
                      "UPDATE invitations SET status = 'accepted', accepted_at ="
                      " CURRENT_TIMESTAMP(6), accepted_uid = ? WHERE id = ?",
                      SQL_ARGS(P_STR(v->person_uid), P_INT(v->id)), NULL);
    if (st == ST_OK) {
        json_t *n = json_pack("{s:I, s:s, s:s, s:b}", "invitation_id", (json_int_t)v->id, "uid",
                              v->person_uid, "role", role_name(v->role), "created", v->created);
        st = audit_write(sql, v->person_uid, v->account_id, "invitation.accept", NULL, n);
    }
    /* A hand-over: the rest of it in this same transaction. */
    if (st == ST_OK && v->transfer) {
        st = transfer_complete(sql, req, v->account_id, v->person_uid, v->person_dn, &v->handover,
                               &v->refusal);
    }
    free(mail);
    free(inv_first);
    free(inv_last);
    /* Undone here, while the invitation is still locked: a second accept
     * of the same token waiting for the lock must not see a person that is
     * about to go. */
    if (st != ST_OK)
        accept_undo(v);
    return st;
}

/* After a COMMIT lost on the way: 1 if the invitation is accepted by
 * v->person_uid after all, 0 if it is not, -1 if that cannot be read. */
static int accepted_after_all(struct sql_store *sql, const struct accept *v)
{
    struct sql_result r;
    if (sql_exec(sql, "SELECT status, accepted_uid FROM invitations WHERE id = ?",
                 SQL_ARGS(P_INT(v->id)), &r) != ST_OK)
        return -1;
    int done = r.nrows == 1 && strcmp(sql_cell(&r, 0, 0), "accepted") == 0 && v->person_uid &&
               sql_cell(&r, 0, 1) && strcmp(sql_cell(&r, 0, 1), v->person_uid) == 0;
    sql_result_free(&r);
    return done;
}

/* Undoes the LDAP writes of a failed accept. */
static void accept_undo(struct accept *v)
{
    transfer_undo(v->req, &v->handover);
    if (v->member_added)
        ldap_store_set_member(v->req->session->ldap, v->account_id, v->role, v->person_dn, 0);
    if (v->created && ldap_store_delete_entry(v->req->session->ldap, v->person_dn) != ST_OK)
        log_error("could not remove the person created by a failed invitation accept");
    v->member_added = v->created = 0;
}

void invitations_accept(struct request *req)
{
    static const char *const allowed[] = {"uid", "password", "first_name", "last_name", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct accept v = {.req = req, .token = req->args[0]};
    v.uid = body_str(req, b, NULL, "uid", 0, 64);
    v.password = body_str(req, b, NULL, "password", 0, 1024);
    v.first_name = body_str(req, b, NULL, "first_name", 0, 100);
    v.last_name = body_str(req, b, NULL, "last_name", 0, 100);
    const char *why;
    if (v.uid && (why = validate_uid(v.uid)))
        res_field_error(req, "uid", why);
    if (v.password && (strlen(v.password) < 8 || strlen(v.password) > 128))
        res_field_error(req, "password", "must be 8 to 128 characters");
    if (body_failed(req))
        return;
    if (!token_well_formed(v.token)) {
        res_problem(req, 404, "not-found", "no such invitation");
        return;
    }
    sha256_hex(v.token, v.token_hash);
    int st = sql_transaction(req->session->sql, accept_tx, &v);
    if (st != ST_OK && sql_commit_unknown(req->session->sql)) {
        int done = accepted_after_all(req->session->sql, &v);
        if (done == 1)
            st = ST_OK;
        else if (done == 0)
            accept_undo(&v);
        else
            log_error("invitation %llu: MariaDB was lost during the COMMIT of its accept; the "
                      "person %s is kept",
                      v.id, v.person_uid ? v.person_uid : "-");
    } else if (st != ST_OK) {
        accept_undo(&v); /* the COMMIT failed and rolled back */
    }
    if (st == ST_OK) {
        char idbuf[24];
        snprintf(idbuf, sizeof(idbuf), "%llu", v.account_id);
        res_json(req, 200,
                 json_pack("{s:s, s:s, s:s, s:b}", "uid", v.person_uid, "account_id", idbuf, "role",
                           role_name(v.role), "created", v.created));
        /* The log line names who accepted. */
        free(req->caller.uid);
        req->caller.uid = xstrdup(v.person_uid);
    } else if (st == ST_CONFLICT) {
        res_refusal(req, &v.refusal);
    } else if (st == ST_INVALID) {
        res_fail_if_errors(req);
    } else {
        res_store_failure(req, st, "the directory or the database");
    }
    transfer_forget(&v.handover);
    free(v.person_uid);
    free(v.person_dn);
}

int invite_in_transaction(struct sql_store *sql, struct request *req, unsigned long long account_id,
                          const char *account_name, const char *email, unsigned role,
                          const char *first_name, const char *last_name, json_t **out)
{
    struct account_ref a = {.id = account_id};
    struct invite v = {.req = req,
                       .account = &a,
                       .email = email,
                       .first_name = first_name,
                       .last_name = last_name,
                       .role = role};
    *out = NULL;
    int st = find_addable(req, email, &v.known);
    if (st == ST_OK)
        st = invite_step(sql, &v, account_name);
    if (st == ST_OK)
        *out = invite_result(&v);
    if (st == ST_CONFLICT)
        st = ST_ERROR; /* the refusals of add_known are internal errors here */
    person_free(&v.known);
    free(v.token);
    free(v.expires_at);
    return st;
}

int invite_transfer_in_transaction(struct sql_store *sql, struct request *req,
                                   unsigned long long account_id, const char *account_name,
                                   const char *email, const char *first_name, const char *last_name,
                                   json_t **out, unsigned long long *invitation_id)
{
    struct account_ref a = {.id = account_id};
    struct invite v = {.req = req,
                       .account = &a,
                       .email = email,
                       .first_name = first_name,
                       .last_name = last_name,
                       .role = ROLE_ADMIN,
                       .purpose = "transfer"};
    *out = NULL;
    int st = invite_new(sql, &v, account_name);
    if (st == ST_OK) {
        *out = invite_result(&v);
        *invitation_id = v.id;
    }
    free(v.token);
    free(v.expires_at);
    return st;
}
