#include "providers_store.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int provider_access_grant(struct sql_store *sql, unsigned long long account_id, const char *uid,
                          const char *granted_by)
{
    return sql_exec(sql,
                    "INSERT IGNORE INTO service_provider_access (account_id, uid, granted_by)"
                    " VALUES (?, ?, ?)",
                    SQL_ARGS(P_INT(account_id), P_STR(uid), P_STR(granted_by)), NULL);
}

int provider_access_regrant(struct sql_store *sql, unsigned long long account_id, const char *uid,
                            const char *granted_by, unsigned long long invitation_id)
{
    return sql_exec(
        sql,
        "INSERT INTO service_provider_access (account_id, uid, granted_by, granted_at, expires_at)"
        " SELECT ?, ?, w.who, CURRENT_TIMESTAMP(6),"
        " (SELECT g.expires_at FROM service_provider_access g"
        "   WHERE g.account_id = ? AND g.uid = w.who AND g.uid <> ?)"
        " FROM (SELECT COALESCE((SELECT invited_by FROM invitations WHERE id = ?), ?) AS who) w"
        " ON DUPLICATE KEY UPDATE granted_by = VALUES(granted_by),"
        " granted_at = VALUES(granted_at), expires_at = VALUES(expires_at)",
        SQL_ARGS(P_INT(account_id), P_STR(uid), P_INT(account_id), P_STR(uid), P_INT(invitation_id),
                 P_STR(granted_by)),
        NULL);
}

int provider_expiry_passed(const char *expires_at)
{
    if (!expires_at)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char text[80];
    snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000);
    return strcmp(expires_at, text) <= 0;
}

int provider_access_expired(struct sql_store *sql, unsigned long long account_id, const char *uid,
                            int *expired)
{
    struct sql_result r;
    *expired = 0;
    int st = sql_exec(sql,
                      "SELECT SQL_CACHE DATE_FORMAT(expires_at, " PROVIDER_EXPIRES_AT_FORMAT ")"
                      " FROM service_provider_access"
                      " WHERE account_id = ? AND uid = ?",
                      SQL_ARGS(P_INT(account_id), P_STR(uid)), &r);
    if (st != ST_OK)
        return st;
    *expired = r.nrows == 1 && provider_expiry_passed(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return ST_OK;
}

int provider_revoked_by_admin(struct sql_store *sql, unsigned long long account_id, const char *uid,
                              int *revoked)
{
    struct sql_result r;
    *revoked = 0;
    int st = sql_exec(sql,
                      "SELECT 1 FROM audit WHERE account_id = ?"
                      " AND action = 'service_provider.revoke'"
                      " AND LOWER(JSON_VALUE(old_value, '$.uid')) = LOWER(?) LIMIT 1",
                      SQL_ARGS(P_INT(account_id), P_STR(uid)), &r);
    if (st != ST_OK)
        return st;
    *revoked = r.nrows == 1;
    sql_result_free(&r);
    return ST_OK;
}

void provider_access_free(struct provider_access *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].uid);
        free(p[i].granted_by);
        free(p[i].granted_at);
        free(p[i].expires_at);
    }
    free(p);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

int provider_access_list(struct sql_store *sql, unsigned long long account_id,
                         struct provider_access **out, size_t *n)
{
    struct sql_result r;
    *out = NULL;
    *n = 0;
    int st = sql_exec(sql,
                      "SELECT uid, granted_by, DATE_FORMAT(granted_at, '%Y-%m-%dT%H:%i:%sZ'),"
                      " DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'),"
                      " expires_at IS NOT NULL AND expires_at <= CURRENT_TIMESTAMP(6)"
                      " FROM service_provider_access WHERE account_id = ? ORDER BY uid",
                      SQL_ARGS(P_INT(account_id)), &r);
    if (st != ST_OK)
        return st;
    *out = xcalloc(r.nrows + 1, sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++) {
        (*out)[i].uid = xstrdup(sql_cell(&r, i, 0));
        (*out)[i].granted_by = dup_or_null(sql_cell(&r, i, 1));
        (*out)[i].granted_at = dup_or_null(sql_cell(&r, i, 2));
        (*out)[i].expires_at = dup_or_null(sql_cell(&r, i, 3));
        (*out)[i].expired = strcmp(sql_cell(&r, i, 4), "1") == 0;
    }
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}

int provider_access_set_expiry(struct sql_store *sql, unsigned long long account_id,
                               const char *uid, const char *granted_by, const char *expires_at)
{
    return sql_exec(sql,
                    "INSERT INTO service_provider_access (account_id, uid, granted_by, expires_at)"
                    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)",
                    SQL_ARGS(P_INT(account_id), P_STR(uid), P_STR(granted_by), P_STR(expires_at)),
                    NULL);
}

int provider_access_delete(struct sql_store *sql, unsigned long long account_id, const char *uid)
{
    return sql_exec(sql, "DELETE FROM service_provider_access WHERE account_id = ? AND uid = ?",
                    SQL_ARGS(P_INT(account_id), P_STR(uid)), NULL);
}

int provider_access_expired_all(struct sql_store *sql, unsigned long long **accounts, char ***uids,
                                size_t *n)
{
    struct sql_result r;
    *accounts = NULL;
    *uids = NULL;
    *n = 0;
    int st = sql_exec(sql,
                      "SELECT account_id, uid FROM service_provider_access"
                      " WHERE expires_at <= CURRENT_TIMESTAMP(6) ORDER BY account_id, uid",
                      SQL_NO_ARGS, &r);
    if (st != ST_OK)
        return st;
    *accounts = xcalloc(r.nrows + 1, sizeof(**accounts));
    *uids = xcalloc(r.nrows + 1, sizeof(char *));
    for (size_t i = 0; i < r.nrows; i++) {
        (*accounts)[i] = sql_cell_id(&r, i, 0);
        (*uids)[i] = xstrdup(sql_cell(&r, i, 1));
    }
    *n = r.nrows;
    sql_result_free(&r);
    return ST_OK;
}
