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
#include "preferences_store.h"
#include "providers_store.h"
#include "sql_store.h"
#include "subscriptions_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct row_id {
    unsigned long long id;
    size_t row;
};

static int compare_row_ids(const void *a, const void *b)
{
    const struct row_id *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The accounts of the caller's grants, ordered by id, one page at a
 * time: the page's ids are chosen from the grants (the directory cache;
 * they come in account order, one per account, caller.h) before MariaDB is
 * asked, so the cost of a page does not grow with the number of accounts
 * the caller is in. *next_after: the id to continue after, 0 on the last
 * page. */
static json_t *my_accounts(struct request *req, unsigned long long after, size_t limit,
                           unsigned long long *next_after, int *news, int *st)
{
    const struct role_grant *g = req->caller.grants;
    size_t n = req->caller.ngrants;
    unsigned long long *ids = xcalloc(limit + 1, sizeof(*ids));
    size_t taken = 0, i = 0;
    while (i < n && g[i].account_id <= after)
        i++;
    for (; i < n && taken < limit; i++)
        ids[taken++] = g[i].account_id;
    *next_after = i < n && taken ? g[i - 1].account_id : 0;
    char *ids_json = sql_ids_json(ids, taken);
    free(ids);
    /* One statement: one row per visible account of the page, each
     * carrying the caller's news preference; rows come in no order. */
    struct sql_result r;
    *st = accounts_of_person(req->session->sql, req->caller.uid, ids_json, &r);
    free(ids_json);
    if (*st != ST_OK)
        return NULL;
    if (news && r.nrows) {
        const char *v = sql_cell(&r, 0, 4);
        *news = !v || strcmp(v, "0") != 0;
    } else if (news) {
        *st = preferences_news_get(req->session->sql, req->caller.uid, news);
        if (*st != ST_OK) {
            sql_result_free(&r);
            return NULL;
        }
    }
    struct row_id *order = xcalloc(r.nrows + 1, sizeof(*order));
    for (size_t k = 0; k < r.nrows; k++)
        order[k] = (struct row_id){sql_cell_id(&r, k, 0), k};
    qsort(order, r.nrows, sizeof(*order), compare_row_ids);
    /* The roles as authorization counts them: an expired service-provider
     * role (column 5) is not listed, nor the account when it was the only
     * role there (the page is then shorter). */
    json_t *out = json_array();
    for (size_t o = 0; o < r.nrows; o++) {
        size_t k = order[o].row;
        unsigned roles = caller_roles(req, order[o].id);
        if (provider_expiry_passed(sql_cell(&r, k, 5)))
            roles &= ~ROLE_SERVICE_PROVIDER;
        if (!roles)
            continue;
        static const char *const CELLS[] = {"id", "name", "kind", "status", NULL};
        json_t *a = sql_cells_object(&r, k, CELLS);
        json_object_set_new_nocheck(a, "roles", roles_json(roles));
        /* plan, subscriptions, articles, licenses: same statement */
        billing_overview_set(a, &r, k, 6);
        json_array_append_new(out, a);
    }
    free(order);
    sql_result_free(&r);
    return out;
}

/* The cursor of the caller's account pages: base64url of {"a": last id}. */
static json_t *accounts_cursor(unsigned long long after)
{
    if (!after)
        return json_null();
    return cursor_encode(json_pack("{s:I}", "a", (json_int_t)after));
}

/* Reads ?cursor= of /me/accounts: 0 without one, or the id to go on
 * after; a field error for anything that is not such a cursor. */
static unsigned long long parse_accounts_cursor(struct request *req)
{
    json_t *v = json_object_get(req->query, "cursor");
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    size_t len;
    char *raw = s ? base64url_decode(s, &len) : NULL;
    json_t *c = raw ? json_loadb(raw, len, 0, NULL) : NULL;
    free(raw);
    json_t *a = json_object_get(c, "a");
    unsigned long long after = json_is_integer(a) && json_integer_value(a) > 0
                                   ? (unsigned long long)json_integer_value(a)
                                   : 0;
    json_decref(c);
    if (!after)
        res_field_error(req, "cursor", "is not a cursor of this listing");
    return after;
}

/* /me shows the first ME_ACCOUNTS of them; GET /me/accounts pages on. */
#define ME_ACCOUNTS 50

void me_get(struct request *req)
{
    int st;
    unsigned long long next;
    int news;
    json_t *accounts = my_accounts(req, 0, ME_ACCOUNTS, &next, &news, &st);
    if (!accounts) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *projects = projects_of_caller(req, &st);
    if (!projects) {
        json_decref(accounts);
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *me = json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:o, s:{s:b}, s:b}", "uid", req->caller.uid,
                           "name", req->caller.name, "mail", req->caller.mail, "accounts", accounts,
                           "accounts_next_cursor", accounts_cursor(next), "projects", projects,
                           "preferences", "news", news, "operator", req->caller.is_operator);
    res_json(req, 200, me);
}

void me_accounts(struct request *req)
{
    const char *known[] = {"limit", "cursor", NULL};
    body_only(req, req->query, NULL, known);
    long limit = query_limit(req);
    unsigned long long after = parse_accounts_cursor(req);
    if (body_failed(req))
        return;
    int st;
    unsigned long long next;
    json_t *items = my_accounts(req, after, (size_t)limit, &next, NULL, &st);
    if (!items) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200,
             json_pack("{s:o, s:o}", "items", items, "next_cursor", accounts_cursor(next)));
}

/* ---- preferences ---------------------------------------------------- */

int preferences_news(struct request *req, int *news)
{
    return preferences_news_get(req->session->sql, req->caller.uid, news);
}

struct preference_change {
    struct request *req;
    int news;
};

static int preferences_tx(struct sql_store *sql, void *arg)
{
    struct preference_change *c = arg;
    /* The audit row has the value before (round-4 walkthrough of seed
     * 004), as every other change's. */
    int before = 1;
    int st = preferences_news_get(sql, c->req->caller.uid, &before);
    if (st == ST_OK)
        st = preferences_news_set(sql, c->req->caller.uid, c->news);
    if (st == ST_OK)
        st = audit_write(sql, c->req->caller.uid, 0, "preferences.set",
                         json_pack("{s:b}", "news", before), json_pack("{s:b}", "news", c->news));
    return st;
}

void preferences_get(struct request *req)
{
    if (body_none(req))
        return;
    int news = 1;
    int st = preferences_news(req, &news);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 200, json_pack("{s:b}", "news", news));
}

void preferences_patch(struct request *req)
{
    static const char *const allowed[] = {"news", "_news_present", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    /* A form's checkbox sends nothing when unticked: the hidden field
     * _news_present=1 says it was on the page, so no news means false
     * (docs/api.md, as _roles_present for roles). */
    int news = body_checkbox(req, b, "news", "_news_present");
    if (news < 0 && !json_object_get(req->errors, "news"))
        res_field_error(req, "news", "is required");
    if (body_failed(req))
        return;
    struct preference_change c = {req, news};
    int st = request_transaction(req, preferences_tx, &c);
    if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 200, json_pack("{s:b}", "news", news));
}
