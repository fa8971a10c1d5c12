#include "invitations_store.h"

#include "buf.h"
#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void invitation_row_free(struct invitation_row *r)
{
    free(r->email);
    free(r->role);
    free(r->first_name);
    free(r->last_name);
    free(r->status);
    free(r->account_status);
    free(r->purpose);
    free(r->invited_by);
    memset(r, 0, sizeof(*r));
}

int invitation_upsert(struct sql_store *sql, unsigned long long account_id,
                      unsigned long long project_id, const char *email, const char *role,
                      const char *purpose, const char *first_name, const char *last_name,
                      const char *token_hash, const char *invited_by, long ttl_seconds,
                      unsigned long long *id)
{
    struct sql_result r;
    /* The link it replaces, if any, is remembered (410, not 404). */
    int st = sql_exec(sql,
                      "INSERT IGNORE INTO invitation_superseded_tokens (token_hash, invitation_id)"
                      " SELECT token_hash, id FROM invitations WHERE account_id = ?"
                      " AND pending_email = LOWER(?) AND pending_scope = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(email), P_INT(project_id)), NULL);
    if (st != ST_OK)
        return st;
    /* One pending invitation per address and account (or project):
     * inviting again replaces its token and expiry (the old link dies),
     * keeping its id. */
    st = sql_exec(sql,
                  "INSERT INTO invitations (account_id, email, role, purpose, project_id,"
                  " first_name, last_name, token_hash, invited_by, expires_at)"
                  " VALUES (?, ?, ?, ?, NULLIF(?, 0), ?, ?, UNHEX(?), ?,"
                  " CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND)"
                  " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), role = VALUES(role),"
                  " purpose = VALUES(purpose),"
                  " first_name = COALESCE(VALUES(first_name), first_name),"
                  " last_name = COALESCE(VALUES(last_name), last_name),"
                  " token_hash = VALUES(token_hash), invited_by = VALUES(invited_by),"
                  " expires_at = VALUES(expires_at)",
                  SQL_ARGS(P_INT(account_id), P_STR(email), P_STR(role),
                           P_STR(purpose ? purpose : "member"), P_INT(project_id),
                           P_STR(first_name), P_STR(last_name), P_STR(token_hash),
                           P_STR(invited_by), P_INT(ttl_seconds)),
                  &r);
    if (st == ST_OK)
        *id = r.insert_id;
    sql_result_free(&r);
    return st;
}

/* The columns of a struct pending_invitation, in the order
 * pending_from_row reads them. */
#define PENDING_COLUMNS                                                                            \
    "id, purpose, role, DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), invited_by"

static int pending_from_row(const struct sql_result *r, struct pending_invitation *out)
{
    if (r->nrows != 1)
        return ST_NOT_FOUND;
    out->id = sql_cell_id(r, 0, 0);
    out->purpose = xstrdup(sql_cell(r, 0, 1) ? sql_cell(r, 0, 1) : "member");
    out->role = xstrdup(sql_cell(r, 0, 2));
    out->expires_at = xstrdup(sql_cell(r, 0, 3));
    out->invited_by = dup_or_null(sql_cell(r, 0, 4));
    return ST_OK;
}

void pending_invitation_free(struct pending_invitation *p)
{
    free(p->purpose);
    free(p->role);
    free(p->expires_at);
    free(p->invited_by);
    memset(p, 0, sizeof(*p));
}

int invitation_pending_of(struct sql_store *sql, unsigned long long account_id,
                          unsigned long long project_id, const char *email,
                          struct pending_invitation *out)
{
    struct sql_result r;
    memset(out, 0, sizeof(*out));
    /* pending_email and pending_scope are what the unique key holds: the
     * row an upsert of this address would renew. */
    int st = sql_exec(sql,
                      "SELECT " PENDING_COLUMNS
                      " FROM invitations WHERE account_id = ? AND pending_email = LOWER(?)"
                      " AND pending_scope = ? FOR UPDATE",
                      SQL_ARGS(P_INT(account_id), P_STR(email), P_INT(project_id)), &r);
    if (st != ST_OK)
        return st;
    st = pending_from_row(&r, out);
    sql_result_free(&r);
    return st;
}

int invitation_mail_fields(struct sql_store *sql, unsigned long long id,
                           struct invitation_mail *out)
{
    memset(out, 0, sizeof(*out));
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT i.email, i.role, DATE_FORMAT(i.expires_at, '%Y-%m-%dT%H:%i:%sZ'),"
                      " i.project_id, p.name, i.first_name, i.last_name, i.purpose,"
                      " i.account_id, i.status = 'pending', i.invited_by,"
                      " a.parent_id IS NULL AND a.kind <> 'operator'"
                      " FROM invitations i LEFT JOIN projects p ON p.id = i.project_id"
                      " JOIN accounts a ON a.id = i.account_id WHERE i.id = ?",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows != 1)
        st = ST_NOT_FOUND;
    else {
        out->email = xstrdup(sql_cell(&r, 0, 0));
        out->role = xstrdup(sql_cell(&r, 0, 1));
        out->expires_at = xstrdup(sql_cell(&r, 0, 2));
        out->project_id = sql_cell_id(&r, 0, 3);
        out->project_name = dup_or_null(sql_cell(&r, 0, 4));
        out->first_name = dup_or_null(sql_cell(&r, 0, 5));
        out->last_name = dup_or_null(sql_cell(&r, 0, 6));
        out->purpose = xstrdup(sql_cell(&r, 0, 7));
        out->account_id = sql_cell_id(&r, 0, 8);
        out->pending = sql_cell_id(&r, 0, 9) == 1;
        out->invited_by = dup_or_null(sql_cell(&r, 0, 10));
        out->parentless = sql_cell_id(&r, 0, 11) == 1;
    }
    sql_result_free(&r);
    return st;
}

void invitation_mail_free(struct invitation_mail *m)
{
    free(m->email);
    free(m->role);
    free(m->expires_at);
    free(m->project_name);
    free(m->first_name);
    free(m->last_name);
    free(m->purpose);
    free(m->invited_by);
    memset(m, 0, sizeof(*m));
}

/* Pending, unexpired invitations of the account, or of one of its
 * projects (project_id non-zero). */
static const char *const PENDING[2] = {
    "SELECT id, email, role, invited_by,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
    " DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), project_id, purpose"
    " FROM invitations WHERE account_id = ? AND status = 'pending'"
    " AND expires_at > CURRENT_TIMESTAMP(6) ORDER BY id",
    "SELECT id, email, role, invited_by,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
    " DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), project_id, purpose"
    " FROM invitations WHERE account_id = ? AND status = 'pending'"
    " AND expires_at > CURRENT_TIMESTAMP(6) AND project_id = ? ORDER BY id",
};

/* Row i of a PENDING or ONE read as a list item. project_id: a decimal
 * string for a project invitation, null for an account invitation;
 * purpose: member, transfer (completes the hand-over), project or contact
 * (names the account's contact). */
static json_t *invitation_item(const struct sql_result *r, size_t i, const char *status)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s}", "id", sql_cell(r, i, 0),
                     "email", sql_cell(r, i, 1), "role", sql_cell(r, i, 2), "status", status,
                     "invited_by", sql_cell(r, i, 3), "created_at", sql_cell(r, i, 4), "expires_at",
                     sql_cell(r, i, 5), "project_id", sql_cell(r, i, 6), "purpose",
                     sql_cell(r, i, 7) ? sql_cell(r, i, 7) : "member");
}

int invitations_pending(struct sql_store *sql, unsigned long long account_id,
                        unsigned long long project_id, json_t **items)
{
    struct sql_result r;
    int st = project_id
                 ? sql_exec(sql, PENDING[1], SQL_ARGS(P_INT(account_id), P_INT(project_id)), &r)
                 : sql_exec(sql, PENDING[0], SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    *items = json_array();
    for (size_t i = 0; i < r.nrows; i++)
        json_array_append_new(*items, invitation_item(&r, i, "pending"));
    sql_result_free(&r);
    return ST_OK;
}

static json_t *sent_item(const struct sql_result *r, size_t i)
{
    static const char *const keys[] = {"id", "email", "role", "invited_by", "purpose", NULL};
    return sql_cells_object(r, i, keys);
}

int invitations_sent_by(struct sql_store *sql, unsigned long long account_id, const char *uid,
                        json_t **items)
{
    return sql_rows_json(sql,
                         "SELECT id, email, role, invited_by, purpose FROM invitations"
                         " WHERE account_id = ?"
                         " AND status = 'pending' AND expires_at > CURRENT_TIMESTAMP(6)"
                         " AND project_id IS NULL AND purpose <> 'transfer'"
                         " AND LOWER(invited_by) = LOWER(?) ORDER BY id FOR UPDATE",
                         SQL_ARGS(P_INT(account_id), P_STR(uid)), sent_item, items);
}

static json_t *sent_here_item(const struct sql_result *r, size_t i)
{
    static const char *const keys[] = {"id",      "email",      "role",         "invited_by",
                                       "purpose", "project_id", "project_name", NULL};
    return sql_cells_object(r, i, keys);
}

int invitations_sent_here(struct sql_store *sql, unsigned long long account_id, const char *uid,
                          json_t **items)
{
    return sql_rows_json(sql,
                         "SELECT i.id, i.email, i.role, i.invited_by, i.purpose, i.project_id,"
                         " p.name FROM invitations i"
                         " LEFT JOIN projects p ON p.id = i.project_id"
                         " AND p.account_id = i.account_id WHERE i.account_id = ?"
                         " AND i.status = 'pending' AND i.expires_at > CURRENT_TIMESTAMP(6)"
                         " AND i.purpose <> 'transfer' AND LOWER(i.invited_by) = LOWER(?)"
                         " ORDER BY i.project_id IS NOT NULL, i.id FOR UPDATE",
                         SQL_ARGS(P_INT(account_id), P_STR(uid)), sent_here_item, items);
}

int invitation_set_sender(struct sql_store *sql, unsigned long long id, const char *uid)
{
    return sql_exec(sql,
                    "UPDATE invitations SET invited_by = ? WHERE id = ? AND status = 'pending'",
                    SQL_ARGS(P_STR(uid), P_INT(id)), NULL);
}

/* One invitation of the account (or of one of its projects), whatever its
 * status: the columns of PENDING and the status as it is now. */
static const char *const ONE[2] = {
    "SELECT id, email, role, invited_by,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
    " DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), project_id, purpose,"
    " IF(status = 'pending' AND expires_at <= CURRENT_TIMESTAMP(6), 'expired', status)"
    " FROM invitations WHERE id = ? AND account_id = ?",
    "SELECT id, email, role, invited_by,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
    " DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), project_id, purpose,"
    " IF(status = 'pending' AND expires_at <= CURRENT_TIMESTAMP(6), 'expired', status)"
    " FROM invitations WHERE id = ? AND account_id = ? AND project_id = ?",
};

int invitation_read(struct sql_store *sql, unsigned long long id, unsigned long long account_id,
                    unsigned long long project_id, json_t **item)
{
    struct sql_result r;
    *item = NULL;
    int st = project_id ? sql_exec(sql, ONE[1],
                                   SQL_ARGS(P_INT(id), P_INT(account_id), P_INT(project_id)), &r)
                        : sql_exec(sql, ONE[0], SQL_ARGS(P_INT(id), P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1)
        *item = invitation_item(&r, 0, sql_cell(&r, 0, 8));
    else
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

int invitation_lock_pending(struct sql_store *sql, unsigned long long id,
                            unsigned long long account_id, unsigned long long project_id,
                            struct pending_invitation *out)
{
    struct sql_result r;
    memset(out, 0, sizeof(*out));
    int st = project_id
                 ? sql_exec(sql,
                            "SELECT " PENDING_COLUMNS " FROM invitations WHERE id = ? AND"
                            " account_id = ? AND project_id = ? AND status = 'pending' FOR UPDATE",
                            SQL_ARGS(P_INT(id), P_INT(account_id), P_INT(project_id)), &r)
                 : sql_exec(sql,
                            "SELECT " PENDING_COLUMNS " FROM invitations WHERE id = ? AND"
                            " account_id = ? AND status = 'pending' FOR UPDATE",
                            SQL_ARGS(P_INT(id), P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    st = pending_from_row(&r, out);
    sql_result_free(&r);
    return st;
}

int invitation_revoke_member_of(struct sql_store *sql, unsigned long long account_id,
                                unsigned long long project_id, const char *mail,
                                unsigned long long *id)
{
    *id = 0;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT id FROM invitations WHERE account_id = ? AND pending_email = LOWER(?)"
                      " AND pending_scope = ? AND purpose = ? FOR UPDATE",
                      SQL_ARGS(P_INT(account_id), P_STR(mail), P_INT(project_id),
                               P_STR(project_id ? "project" : "member")),
                      &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1)
        *id = sql_cell_id(&r, 0, 0);
    sql_result_free(&r);
    return *id ? invitation_revoke(sql, *id, account_id) : ST_OK;
}

int invitation_revoke(struct sql_store *sql, unsigned long long id, unsigned long long account_id)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "UPDATE invitations SET status = 'revoked' WHERE id = ? AND account_id = ?"
                      " AND status = 'pending'",
                      SQL_ARGS(P_INT(id), P_INT(account_id)), &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

int invitation_renew(struct sql_store *sql, unsigned long long id, unsigned long long account_id,
                     const char *token_hash, long ttl_seconds, const char *invited_by)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "INSERT IGNORE INTO invitation_superseded_tokens (token_hash, invitation_id)"
                      " SELECT token_hash, id FROM invitations"
                      " WHERE id = ? AND account_id = ? AND status = 'pending'",
                      SQL_ARGS(P_INT(id), P_INT(account_id)), NULL);
    if (st != ST_OK)
        return st;
    st = sql_exec(sql,
                  "UPDATE invitations SET token_hash = UNHEX(?),"
                  " expires_at = CURRENT_TIMESTAMP(6) + INTERVAL ? SECOND,"
                  " invited_by = COALESCE(?, invited_by)"
                  " WHERE id = ? AND account_id = ? AND status = 'pending'",
                  SQL_ARGS(P_STR(token_hash), P_INT(ttl_seconds), P_STR(invited_by), P_INT(id),
                           P_INT(account_id)),
                  &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_NOT_FOUND;
    sql_result_free(&r);
    return st;
}

/* The hand-over by role change revoked it (invitation_row): the
 * account's transfer record still names it, not completed, and the
 * account was handed over. */
#define HANDED_OVER_OTHERWISE                                                                      \
    " i.status = 'revoked' AND i.purpose = 'transfer' AND a.handed_over_at IS NOT NULL"            \
    " AND EXISTS (SELECT 1 FROM account_transfers t WHERE t.account_id = i.account_id"             \
    " AND t.invitation_id = i.id AND t.completed_at IS NULL)"

static const char *const BY_TOKEN[2] = {
    "SELECT i.id, i.account_id, i.email, i.role, i.first_name, i.last_name,"
    " i.status, i.expires_at > CURRENT_TIMESTAMP(6), a.status, i.purpose, i.project_id,"
    " p.id IS NOT NULL, i.invited_by," HANDED_OVER_OTHERWISE
    " FROM invitations i JOIN accounts a ON a.id = i.account_id"
    " LEFT JOIN projects p ON p.id = i.project_id AND p.account_id = i.account_id"
    " AND p.ldap_state = 'done'"
    " WHERE i.token_hash = UNHEX(?)",
    "SELECT i.id, i.account_id, i.email, i.role, i.first_name, i.last_name,"
    " i.status, i.expires_at > CURRENT_TIMESTAMP(6), a.status, i.purpose, i.project_id,"
    " p.id IS NOT NULL, i.invited_by," HANDED_OVER_OTHERWISE
    " FROM invitations i JOIN accounts a ON a.id = i.account_id"
    " LEFT JOIN projects p ON p.id = i.project_id AND p.account_id = i.account_id"
    " AND p.ldap_state = 'done'"
    " WHERE i.token_hash = UNHEX(?) FOR UPDATE",
};

int invitation_superseded(struct sql_store *sql, const char *token_hash, char **status,
                          unsigned long long *id, unsigned long long *account_id)
{
    struct sql_result r;
    *status = NULL;
    *id = *account_id = 0;
    int st = sql_exec(sql,
                      "SELECT i.status, i.id, i.account_id FROM invitation_superseded_tokens s"
                      " JOIN invitations i ON i.id = s.invitation_id WHERE s.token_hash = UNHEX(?)",
                      SQL_ARGS(P_STR(token_hash)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else {
        *status = xstrdup(sql_cell(&r, 0, 0));
        *id = sql_cell_id(&r, 0, 1);
        *account_id = sql_cell_id(&r, 0, 2);
    }
    sql_result_free(&r);
    return st;
}

int invitation_revoke_reason(struct sql_store *sql, unsigned long long id,
                             unsigned long long account_id, char **reason)
{
    struct sql_result r;
    *reason = NULL;
    int st = sql_exec(sql,
                      "SELECT JSON_VALUE(new_value, '$.reason') FROM audit WHERE account_id = ?"
                      " AND action = 'invitation.revoke'"
                      " AND JSON_VALUE(new_value, '$.invitation_id') = ? ORDER BY id DESC LIMIT 1",
                      SQL_ARGS(P_INT(account_id), P_INT(id)), &r);
    if (st == ST_OK) {
        if (r.nrows > 0 && sql_cell(&r, 0, 0))
            *reason = xstrdup(sql_cell(&r, 0, 0));
        sql_result_free(&r);
    }
    return st;
}

int invitation_by_token(struct sql_store *sql, const char *token_hash, int lock,
                        struct invitation_row *out)
{
    struct sql_result r;
    memset(out, 0, sizeof(*out));
    int st = sql_exec(sql, BY_TOKEN[lock ? 1 : 0], SQL_ARGS(P_STR(token_hash)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return ST_NOT_FOUND;
    }
    out->id = sql_cell_id(&r, 0, 0);
    out->account_id = sql_cell_id(&r, 0, 1);
    out->email = xstrdup(sql_cell(&r, 0, 2));
    out->role = xstrdup(sql_cell(&r, 0, 3));
    out->first_name = dup_or_null(sql_cell(&r, 0, 4));
    out->last_name = dup_or_null(sql_cell(&r, 0, 5));
    out->status = xstrdup(sql_cell(&r, 0, 6));
    out->expired = strcmp(sql_cell(&r, 0, 7), "1") != 0;
    out->account_status = xstrdup(sql_cell(&r, 0, 8));
    out->purpose = xstrdup(sql_cell(&r, 0, 9) ? sql_cell(&r, 0, 9) : "member");
    out->project_id = sql_cell_id(&r, 0, 10);
    out->project_exists = strcmp(sql_cell(&r, 0, 11), "1") == 0;
    out->invited_by = dup_or_null(sql_cell(&r, 0, 12));
    out->handed_over_otherwise = sql_cell(&r, 0, 13) && strcmp(sql_cell(&r, 0, 13), "1") == 0;
    sql_result_free(&r);
    return ST_OK;
}

int invitation_mark_accepted(struct sql_store *sql, unsigned long long id, const char *token_hash,
                             const char *uid)
{
    struct sql_result r;
    /* The token is compared under the row's lock (this UPDATE's): a
     * resend's UPDATE of it commits before or after, never in between. */
    int st = token_hash ? sql_exec(sql,
                                   "UPDATE invitations SET status = 'accepted', accepted_at ="
                                   " CURRENT_TIMESTAMP(6), accepted_uid = ? WHERE id = ?"
                                   " AND status = 'pending' AND token_hash = UNHEX(?)",
                                   SQL_ARGS(P_STR(uid), P_INT(id), P_STR(token_hash)), &r)
                        : sql_exec(sql,
                                   "UPDATE invitations SET status = 'accepted', accepted_at ="
                                   " CURRENT_TIMESTAMP(6), accepted_uid = ? WHERE id = ?"
                                   " AND status = 'pending'",
                                   SQL_ARGS(P_STR(uid), P_INT(id)), &r);
    if (st == ST_OK && r.affected != 1)
        st = ST_CONFLICT;
    sql_result_free(&r);
    return st;
}

int invitations_revoke_all(struct sql_store *sql, unsigned long long account_id,
                           unsigned long long **ids, size_t *n)
{
    int st = sql_ids(sql,
                     "SELECT id FROM invitations WHERE account_id = ? AND status = 'pending'"
                     " ORDER BY id FOR UPDATE",
                     SQL_ARGS(P_INT(account_id)), ids, n);
    if (st == ST_OK && *n)
        st = sql_exec(sql,
                      "UPDATE invitations SET status = 'revoked'"
                      " WHERE account_id = ? AND status = 'pending'",
                      SQL_ARGS(P_INT(account_id)), NULL);
    return st;
}
