/*
 * me: GET /api/v1/me (the caller, their accounts and roles, their
 * preferences) and PATCH /api/v1/me/preferences (news opt-out).
 */
#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "outbox.h"
#include "sql_store.h"
#include "subscriptions_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The accounts of the caller's grants, as JSON for /me. */
static json_t *my_accounts(struct request *req, int *st)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < req->caller.ngrants; i++)
        json_array_append_new(ids, json_integer((json_int_t)req->caller.grants[i].account_id));
    char *ids_json = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    struct sql_result r;
    *st = sql_exec(req->session->sql,
                   "SELECT accounts.id, accounts.name, accounts.kind, "
                   "accounts.status," BILLING_OVERVIEW_COLUMNS " FROM accounts"
                   " JOIN JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j"
                   " ON accounts.id = j.id WHERE accounts.ldap_state = 'done'"
                   " ORDER BY accounts.id",
                   SQL_ARGS(P_STR(ids_json)), &r);
    free(ids_json);
    if (*st != ST_OK)
        return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0);
        json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", sql_cell(&r, i, 0), "name",
                              sql_cell(&r, i, 1), "kind", sql_cell(&r, i, 2), "status",
                              sql_cell(&r, i, 3), "roles", roles_json(caller_roles(req, id)));
        /* plan, subscriptions, articles, licenses: same statement */
        billing_overview_set(a, &r, i, 4);
        json_array_append_new(out, a);
    }
    sql_result_free(&r);
    return out;
}

void me_get(struct request *req)
{
    int st;
    json_t *accounts = my_accounts(req, &st);
    if (!accounts) {
        res_store_failure(req, st, "the database");
        return;
    }
    int news;
    st = preferences_news(req, &news);
    if (st != ST_OK) {
        json_decref(accounts);
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *projects = projects_of_caller(req, &st);
    if (!projects) {
        json_decref(accounts);
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *me =
        json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:{s:b}, s:b}", "uid", req->caller.uid, "name",
                  req->caller.name, "mail", req->caller.mail, "accounts", accounts, "projects",
                  projects, "preferences", "news", news, "operator", req->caller.is_operator);
    res_json(req, 200, me);
}

/* ---- preferences ---------------------------------------------------- */

int preferences_news(struct request *req, int *news)
{
    struct sql_result r;
    *news = 1;
    int st = sql_exec(req->session->sql, "SELECT news FROM person_preferences WHERE uid = ?",
                      SQL_ARGS(P_STR(req->caller.uid)), &r);
    if (st == ST_OK && r.nrows == 1)
        *news = strcmp(sql_cell(&r, 0, 0), "0") != 0;
    sql_result_free(&r);
    return st;
}

struct preference_change {
    struct request *req;
    int news;
};

static int preferences_tx(struct sql_store *sql, void *arg)
{
    struct preference_change *c = arg;
    int st = sql_exec(sql,
                      "INSERT INTO person_preferences (uid, news) VALUES (?, ?)"
                      " ON DUPLICATE KEY UPDATE news = VALUES(news),"
                      " updated_at = CURRENT_TIMESTAMP(6)",
                      SQL_ARGS(P_STR(c->req->caller.uid), P_INT(c->news)), NULL);
    if (st == ST_OK) {
        json_t *n = json_pack("{s:b}", "news", c->news);
        st = audit_write(sql, c->req->caller.uid, 0, "preferences.set", NULL, n);
    }
    return st;
}

void preferences_patch(struct request *req)
{
    static const char *const allowed[] = {"news", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    int news = body_bool(req, b, NULL, "news");
    if (news < 0 && !json_object_get(req->errors, "news"))
        res_field_error(req, "news", "is required");
    if (body_failed(req))
        return;
    struct preference_change c = {req, news};
    int st = sql_transaction(req->session->sql, preferences_tx, &c);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 200, json_pack("{s:b}", "news", news));
}
