#include "contacts_store.h"

#include "account_store.h"
#include "audit.h"
#include "buf.h"
#include "sql_store.h"

int contact_get(struct sql_store *sql, unsigned long long account_id, const char *kind, char **uid)
{
    struct sql_result r;
    *uid = NULL;
    int st = sql_exec(sql, "SELECT uid FROM account_contacts WHERE account_id = ? AND kind = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(kind)), &r);
    if (st == ST_OK && r.nrows)
        *uid = xstrdup(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return st;
}

int contacts_name_if_none(struct sql_store *sql, const char *actor, unsigned long long account_id,
                          const char *uid, unsigned *named_kinds)
{
    static const char *const kinds[] = {"primary", "technical"};
    int st = ST_OK, named = 0;
    *named_kinds = 0;
    for (size_t k = 0; k < 2 && st == ST_OK; k++) {
        struct sql_result r;
        st = sql_exec(
            sql, "INSERT IGNORE INTO account_contacts (account_id, kind, uid) VALUES (?, ?, ?)",
            SQL_ARGS(P_INT(account_id), P_STR(kinds[k]), P_STR(uid)), &r);
        int added = st == ST_OK && r.affected == 1;
        sql_result_free(&r);
        if (added) {
            named = 1;
            *named_kinds |= 1u << k;
            st = audit_write(sql, actor, account_id, "contact.set",
                             json_pack("{s:s, s:n}", "contact", kinds[k], "uid"),
                             json_pack("{s:s, s:s}", "contact", kinds[k], "uid", uid));
        }
    }
    /* The overview shows the contacts: its ETag moves with them. */
    if (st == ST_OK && named)
        st = account_touch(sql, account_id);
    return st;
}

int contacts_forget_uid(struct sql_store *sql, const char *actor, const char *uid)
{
    struct sql_result r;
    int st = sql_exec(sql,
                      "SELECT account_id, kind, uid FROM account_contacts"
                      " WHERE LOWER(uid) = LOWER(?) ORDER BY account_id, kind FOR UPDATE",
                      SQL_ARGS(P_STR(uid)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows)
        st = sql_exec(sql, "DELETE FROM account_contacts WHERE LOWER(uid) = LOWER(?)",
                      SQL_ARGS(P_STR(uid)), NULL);
    /* The trail says the contact ended before the new person's rows
     * follow, so that it never reads as if they were that contact. */
    for (size_t i = 0; i < r.nrows && st == ST_OK; i++)
        st = audit_write(
            sql, actor, sql_cell_id(&r, i, 0), "contact.unset",
            json_pack("{s:s, s:s}", "contact", sql_cell(&r, i, 1), "uid", sql_cell(&r, i, 2)),
            json_pack("{s:s, s:n, s:s}", "contact", sql_cell(&r, i, 1), "uid", "reason",
                      "the person named was deleted from the directory; a new "
                      "person now has that uid"));
    sql_result_free(&r);
    return st;
}

int contact_set(struct sql_store *sql, unsigned long long account_id, const char *kind,
                const char *uid)
{
    return sql_exec(sql,
                    "INSERT INTO account_contacts (account_id, kind, uid) VALUES (?, ?, ?)"
                    " ON DUPLICATE KEY UPDATE uid = VALUES(uid), updated_at = CURRENT_TIMESTAMP(6)",
                    SQL_ARGS(P_INT(account_id), P_STR(kind), P_STR(uid)), NULL);
}
