#include "transfer_store.h"

#include "buf.h"

#include <string.h>

int transfer_lock_account(struct sql_store *sql, unsigned long long id, char **status, char **name)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT status, name FROM accounts WHERE id = ? AND ldap_state = 'done'"
                      " FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 1) {
        *status = xstrdup(sql_cell(&r, 0, 0));
        *name = xstrdup(sql_cell(&r, 0, 1));
    } else {
        st = ST_NOT_FOUND;
    }
    sql_result_free(&r);
    return st;
}

int transfer_record_request(struct sql_store *sql, unsigned long long account_id,
                            unsigned long long invitation_id, const char *email,
                            const char *requested_by)
{
    return sql_exec(
        sql,
        "INSERT INTO account_transfers (account_id, invitation_id, email, requested_by)"
        " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
        " invitation_id = VALUES(invitation_id), email = VALUES(email),"
        " requested_by = VALUES(requested_by), requested_at = CURRENT_TIMESTAMP(6)",
        SQL_ARGS(P_INT(account_id), P_INT(invitation_id), P_STR(email), P_STR(requested_by)), NULL);
}

int transfer_revoke_pending(struct sql_store *sql, unsigned long long account_id,
                            const char *keep_email, unsigned long long **ids, size_t *n)
{
    int st = sql_ids(sql,
                     "SELECT id FROM invitations WHERE account_id = ? AND purpose = 'transfer'"
                     " AND status = 'pending' AND pending_email <> LOWER(?) ORDER BY id FOR UPDATE",
                     SQL_ARGS(P_INT(account_id), P_STR(keep_email)), ids, n);
    for (size_t i = 0; st == ST_OK && i < *n; i++)
        st = sql_exec(
            sql, "UPDATE invitations SET status = 'revoked' WHERE id = ? AND status = 'pending'",
            SQL_ARGS(P_INT((*ids)[i])), NULL);
    return st;
}

int transfer_current_invitation(struct sql_store *sql, unsigned long long account_id,
                                unsigned long long *invitation_id)
{
    return sql_id(sql,
                  "SELECT invitation_id FROM account_transfers WHERE account_id = ?"
                  " AND completed_at IS NULL FOR UPDATE",
                  SQL_ARGS(P_INT(account_id)), invitation_id);
}

int transfer_pending_invitee(struct sql_store *sql, unsigned long long account_id,
                             unsigned long long *invitation_id, char **email, int *expired)
{
    struct sql_result r;
    *invitation_id = 0;
    *email = NULL;
    *expired = 0;
    int st = sql_exec(sql,
                      "SELECT i.id, i.email, i.expires_at <= CURRENT_TIMESTAMP(6)"
                      " FROM account_transfers t JOIN invitations i ON i.id = t.invitation_id"
                      " AND i.account_id = t.account_id WHERE t.account_id = ?"
                      " AND t.completed_at IS NULL AND i.status = 'pending'"
                      " AND i.purpose = 'transfer'",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0)
        st = ST_NOT_FOUND;
    else {
        *invitation_id = sql_cell_id(&r, 0, 0);
        *email = xstrdup(sql_cell(&r, 0, 1));
        *expired = strcmp(sql_cell(&r, 0, 2), "1") == 0;
    }
    sql_result_free(&r);
    return st;
}

int transfer_record_done(struct sql_store *sql, unsigned long long account_id,
                         const char *customer_uid)
{
    int st = sql_exec(sql,
                      "UPDATE account_transfers SET completed_at = CURRENT_TIMESTAMP(6),"
                      " customer_uid = ? WHERE account_id = ?",
                      SQL_ARGS(P_STR(customer_uid), P_INT(account_id)), NULL);
    if (st == ST_OK)
        st = transfer_activate(sql, account_id);
    return st;
}

int transfer_activate(struct sql_store *sql, unsigned long long account_id)
{
    return sql_exec(sql,
                    "UPDATE accounts SET status = 'active', version = version + 1,"
                    " handed_over_at = CURRENT_TIMESTAMP(6), updated_at = CURRENT_TIMESTAMP(6)"
                    " WHERE id = ?",
                    SQL_ARGS(P_INT(account_id)), NULL);
}

int transfer_store_mark_handed_over(struct sql_store *sql, unsigned long long account_id,
                                    int *changed)
{
    struct sql_result r;
    *changed = 0;
    int st = sql_exec(sql,
                      "UPDATE accounts SET handed_over_at = CURRENT_TIMESTAMP(6)"
                      " WHERE id = ? AND handed_over_at IS NULL",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st == ST_OK) {
        *changed = r.affected == 1;
        sql_result_free(&r);
    }
    return st;
}

int transfer_set_recipients(struct sql_store *sql, unsigned long long account_id, const char *email)
{
    int st = sql_exec(sql, "DELETE FROM notification_recipients WHERE account_id = ?",
                      SQL_ARGS(P_INT(account_id)), NULL);
    if (st == ST_OK)
        st = sql_exec(sql,
                      "INSERT INTO notification_recipients (account_id, email, position)"
                      " VALUES (?, ?, 0)",
                      SQL_ARGS(P_INT(account_id), P_STR(email)), NULL);
    return st;
}

int transfer_set_contacts(struct sql_store *sql, unsigned long long account_id, const char *uid)
{
    return sql_exec(sql,
                    "INSERT INTO account_contacts (account_id, kind, uid) VALUES (?, 'primary', ?),"
                    " (?, 'technical', ?) ON DUPLICATE KEY UPDATE uid = VALUES(uid),"
                    " updated_at = CURRENT_TIMESTAMP(6)",
                    SQL_ARGS(P_INT(account_id), P_STR(uid), P_INT(account_id), P_STR(uid)), NULL);
}

int transfer_completed_by(struct sql_store *sql, unsigned long long account_id, char **uid,
                          int *by_role_change)
{
    *uid = NULL;
    *by_role_change = 0;
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT uid, JSON_UNQUOTE(JSON_EXTRACT(new_value, '$.via')) FROM audit"
                      " WHERE account_id = ? AND action = 'transfer.complete'"
                      " ORDER BY at DESC, id DESC LIMIT 1",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        st = ST_NOT_FOUND;
    } else {
        *uid = xstrdup(sql_cell(&r, 0, 0));
        const char *via = sql_cell(&r, 0, 1);
        *by_role_change = via && strcmp(via, "role-change") == 0;
    }
    sql_result_free(&r);
    return st;
}
