/*
 * accounts: create (MariaDB row + LDAP role groups, as a saga), the
 * partner's overview list, the joined overview, update with If-Match, close.
 * Authorization follows docs/api.md; every change writes an audit row.
 */
#include "account_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "catalog.h"
#include "contacts.h"
#include "handlers.h"
#include "invitations_store.h"
#include "idempotency.h"
#include "relations.h"
#include "ldap_store.h"
#include "invitations.h"
#include "log.h"
#include "mail_names.h"
#include "intent_store.h"
#include "orders_store.h"
#include "outbox.h"
#include "overview_store.h"
#include "relations_store.h"
#include "role_holders.h"
#include "properties.h"
#include "properties_store.h"
#include "saga.h"
#include "sql_store.h"
#include "storefronts.h"
#include "storefronts_store.h"
#include "subscriptions_store.h"
#include "transfer.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
    COL_ID = ACCOUNT_COL_ID,
    COL_PARENT = ACCOUNT_COL_PARENT,
    COL_KIND = ACCOUNT_COL_KIND,
    COL_NAME = ACCOUNT_COL_NAME,
    COL_STATUS = ACCOUNT_COL_STATUS,
    COL_COMPANY = ACCOUNT_COL_COMPANY,
    COL_PROPERTIES = ACCOUNT_COL_PROPERTIES,
    COL_PLAN = ACCOUNT_COL_PLAN,
    COL_VERSION = ACCOUNT_COL_VERSION,
    COL_CREATED = ACCOUNT_COL_CREATED,
    COL_CLOSED = ACCOUNT_COL_CLOSED,
};

static const char *const company_fields[] = {"name",    "street", "postcode", "city",
                                             "country", "vat_id", NULL};
static const size_t company_max[] = {200, 200, 20, 100, 2, 20};

/* ---- shared: the account as JSON ----------------------------------- */

static json_t *company_json(const struct sql_result *r, size_t row)
{
    json_t *c = json_object();
    for (size_t i = 0; company_fields[i]; i++) {
        const char *v = sql_cell(r, row, COL_COMPANY + i);
        json_object_set_new(c, company_fields[i], v ? json_string(v) : json_null());
    }
    return c;
}

static json_t *properties_json(const char *text)
{
    json_t *p = text ? json_loads(text, 0, NULL) : NULL;
    return json_is_object(p) ? p : (json_decref(p), json_object());
}

/* The account's own fields (what the ETag versions). */
static json_t *fields_json(const struct sql_result *r, size_t row)
{
    const char *parent = sql_cell(r, row, COL_PARENT);
    const char *plan = sql_cell(r, row, COL_PLAN);
    return json_pack(
        "{s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:s}", "id", sql_cell(r, row, COL_ID),
        "parent_id", parent ? json_string(parent) : json_null(), "kind", sql_cell(r, row, COL_KIND),
        "name", sql_cell(r, row, COL_NAME), "status", sql_cell(r, row, COL_STATUS), "company",
        company_json(r, row), "properties", properties_json(sql_cell(r, row, COL_PROPERTIES)),
        "plan", plan ? json_string(plan) : json_null(), "created_at",
        sql_cell(r, row, COL_CREATED));
}

struct recipient {
    const char *mail;
    json_int_t position;
};

static int compare_recipients(const void *a, const void *b)
{
    const struct recipient *x = a, *y = b;
    if (x->position != y->position)
        return x->position < y->position ? -1 : 1;
    return strcmp(x->mail, y->mail);
}

/* The notification recipients in their order, from the overview row's
 * {"mail": position, ...} (ACCOUNT_COL_RECIPIENTS; NULL: none). */
static json_t *recipients_json(const char *text)
{
    json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
    size_t n = json_is_object(obj) ? json_object_size(obj) : 0;
    struct recipient *list = xcalloc(n + 1, sizeof(*list));
    size_t k = 0;
    const char *mail;
    json_t *position;
    json_object_foreach(n ? obj : NULL, mail, position)
    {
        list[k].mail = mail;
        list[k++].position = json_integer_value(position);
    }
    qsort(list, k, sizeof(*list), compare_recipients);
    json_t *out = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(out, json_string(list[i].mail));
    free(list);
    json_decref(obj);
    return out;
}

/* closed_at (RFC 3339, null unless closed) and kept_until: when `accountd
 * maint` may purge it, account_retention_days after closed_at (null unless
 * closed, and for ever with 0 days). A closed account's page says how long
 * it stays (round-8 walkthrough of seed 002, D3). */
/* When an account closed at `closed` may be purged, RFC 3339 in out; 0,
 * or -1 when closed accounts are kept for ever (0 days). */
static int kept_until(const struct request *req, time_t closed, char out[32])
{
    int days = req->cfg->account_retention_days;
    time_t until = closed + (time_t)days * 86400;
    struct tm tm;
    if (days <= 0 || !gmtime_r(&until, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return -1;
    return 0;
}

static void closed_json(struct request *req, json_t *a, const char *closed)
{
    time_t when = 0;
    char sql[20], text[32];
    int known =
        closed && !validate_utc_time(closed, &when, sql) && kept_until(req, when, text) == 0;
    json_object_set_new(a, "closed_at", closed ? json_string(closed) : json_null());
    json_object_set_new(a, "kept_until", known ? json_string(text) : json_null());
}

/* Answers 200 (or status) with the joined overview of account id. The row
 * comes from the router's authorization read (req->account_row) when that
 * is this account's and nothing changed it since; else it is read here.
 * The members come from the directory cache. extra (may be NULL; the
 * caller keeps it) is merged into the body. */
static void respond_account(struct request *req, unsigned long long id, int status, json_t *extra)
{
    struct sql_result own = {0}, *r = req->account_row;
    int st = ST_OK;
    if (!r || req->account.id != id) {
        st = account_read(req->session->sql, id, &own);
        r = &own;
    }
    if (st != ST_OK || r->nrows == 0) {
        if (st == ST_OK)
            refuse(req, 404, "not-found", "no such account");
        else
            res_store_failure(req, st, "the database");
        sql_result_free(&own);
        return;
    }
    json_t *a = fields_json(r, 0);
    closed_json(req, a, sql_cell(r, 0, COL_CLOSED));
    billing_overview_set(a, r, 0, ACCOUNT_COL_BILLING);
    json_object_set_new(a, "storefront",
                        storefront_overview_json(sql_cell(r, 0, ACCOUNT_COL_STOREFRONT),
                                                 req->cfg->storefront_host));
    unsigned long long version = sql_cell_id(r, 0, COL_VERSION);
    json_t *members = members_json(req, id, &st);
    if (!members) {
        json_decref(a);
        sql_result_free(&own);
        res_store_failure(req, st, "the directory");
        return;
    }
    json_t *contacts = contacts_json(sql_cell(r, 0, ACCOUNT_COL_CONTACTS), members);
    json_t *rl = recipients_json(sql_cell(r, 0, ACCOUNT_COL_RECIPIENTS));
    sql_result_free(&own);
    json_object_set_new(a, "members", members);
    json_object_set_new(a, "contacts", contacts);
    json_object_set_new(a, "notification_recipients", rl);
    json_object_set_new(a, "version", json_integer((json_int_t)version));
    res_etag(req, id, version);
    if (extra)
        json_object_update(a, extra);
    res_json(req, status, a);
}

/* The router's row is outdated once the handler changed the account. */
static void forget_account_row(struct request *req)
{
    if (req->account_row) {
        sql_result_free(req->account_row);
        free(req->account_row);
        req->account_row = NULL;
    }
}

/* ---- create --------------------------------------------------------- */

struct company {
    const char *v[6];
};

/* Reads and validates company{...}; `have` says which members were sent. */
static void read_company(struct request *req, json_t *obj, struct company *c, unsigned *have)
{
    memset(c, 0, sizeof(*c));
    *have = 0;
    if (!obj)
        return;
    body_only(req, obj, "company", company_fields);
    for (size_t i = 0; company_fields[i]; i++) {
        if (json_object_get(obj, company_fields[i]))
            *have |= 1u << i;
        /* A country is a code, not a name: whatever its length, its
         * error says what is expected (check_company). The others count
         * characters, as their VARCHAR columns do (round-19 walkthrough
         * of seed 001, D1). */
        int is_country = i == 4;
        c->v[i] = body_text(req, obj, "company", company_fields[i], 0,
                            MAX_CHARS(is_country ? 200 : company_max[i]));
    }
}

static void check_company(struct request *req, const struct company *c)
{
    const char *country = c->v[4], *vat = c->v[5];
    const char *why;
    char buf[WHY_SIZE];
    if (country && (why = validate_country(country)))
        res_field_error(req, "company.country", why);
    const char *postcode = c->v[2];
    if (postcode && *postcode && country && !validate_country(country) &&
        (why = validate_postcode(country, postcode, buf)))
        res_field_error(req, "company.postcode", why);
    if (vat && !country)
        res_field_error(req, "company.vat_id", "needs company.country");
    else if (vat && !validate_country(country) && (why = validate_vat_id(country, vat)))
        res_field_error(req, "company.vat_id", why);
}

/* Which kinds of child each kind of account may create, and the 422 of
 * any other (round-19 walkthrough of seed 001, D2: every refusal blamed
 * `kind` alike, "this kind of account cannot be created under the
 * parent", under a customer too, which takes no child of any kind, and
 * named no kind that would do): the field to blame and what is true. */
static const struct {
    const char *parent;
    const char *children[4];
    const char *field, *why;
} child_kinds[] = {
    {"operator",
     {"distributor", "partner", "customer", NULL},
     "kind",
     "must be distributor, partner or customer under the operator account"},
    {"distributor",
     {"partner", "customer", NULL},
     "kind",
     "must be partner or customer under a distributor account"},
    {"partner",
     {"partner", "customer", NULL},
     "kind",
     "must be partner or customer under a partner account"},
    {"customer", {NULL}, "parent_id", "is a customer account, which has no child accounts"},
};

/* 0 if a parent of kind parent may have a child of kind child; else -1
 * with the 422's field error recorded. */
static int child_kind_check(struct request *req, const char *parent, const char *child)
{
    for (size_t i = 0; i < sizeof(child_kinds) / sizeof(child_kinds[0]); i++) {
        if (strcmp(child_kinds[i].parent, parent) != 0)
            continue;
        for (size_t j = 0; child_kinds[i].children[j]; j++)
            if (strcmp(child_kinds[i].children[j], child) == 0)
                return 0;
        res_field_error(req, child_kinds[i].field, child_kinds[i].why);
        return -1;
    }
    res_field_error(req, "parent_id", "cannot have child accounts");
    return -1;
}

struct create {
    struct request *req;
    const char *kind, *name, *status, *idem_key;
    char fingerprint[65]; /* of the body, kept with idem_key */
    unsigned long long parent_id;
    struct company company;
    /* contact: invited as admin in step 3 */
    const char *contact_email, *contact_first, *contact_last;
    struct person contact_known; /* dn set when LDAP knows the contact's mail */
    json_t *contact_result;
    unsigned long long id;
    /* A customer organization a partner creates with a contact person:
     * the partner -> customer relation is recorded active (STACKIT). */
    int relate;
    unsigned long long relation_id;
    /* The partner told of it when the creator is none of its people. */
    struct relations_created told;
    struct saga saga; /* the account's entries (and a known contact) in LDAP */
};

static int create_insert(struct sql_store *sql, void *arg)
{
    struct create *c = arg;
    int st = account_insert_pending(sql, c->kind, c->parent_id, c->name, c->status, c->company.v,
                                    c->req->caller.uid, &c->id);
    if (st != ST_OK)
        return st;
    if (c->idem_key)
        st = idempotency_key_insert(sql, c->req->caller.uid, c->idem_key, c->id, c->fingerprint);
    if (st != ST_OK)
        return st;
    /* The intent of the LDAP side, recorded with the row: a crash after
     * this leaves both for `accountd maint`, which removes them. */
    struct saga_plan *p = &c->saga.plan;
    p->account_id = c->id;
    json_t *plan = saga_plan_json(p);
    char *text = json_dumps(plan, JSON_COMPACT);
    st = intent_store_insert_tx(sql, saga_kind_name(p->kind), c->id, c->saga.actor, text, NULL,
                                &c->saga.intent_id);
    free(text);
    json_decref(plan);
    return st;
}

/* The account.create row's new value: the account as created, with the
 * company details and the contact person as the request gave them
 * (round-6 walkthrough of seed 003, D7); ids are numbers, as in every
 * audit value (the audit view answers them as strings). */
static json_t *create_value(const struct create *c)
{
    json_t *company = json_object();
    for (size_t i = 0; company_fields[i]; i++)
        json_object_set_new(company, company_fields[i],
                            c->company.v[i] ? json_string(c->company.v[i]) : json_null());
    json_t *contact = c->contact_email
                          ? json_pack("{s:s, s:s?, s:s?}", "email", c->contact_email, "first_name",
                                      c->contact_first, "last_name", c->contact_last)
                          : json_null();
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "kind", c->kind, "name", c->name, "status",
                     c->status, "parent_id",
                     c->parent_id ? json_integer((json_int_t)c->parent_id) : json_null(), "company",
                     company, "contact", contact);
}

/* The members of the create's answer beyond the account: `contact` (the
 * contact person's invitation, or their addition at once) and `relation`
 * (the partner -> customer relation recorded); NULL when it has neither.
 * Kept with the Idempotency-Key, a replay answers them too (round-20
 * walkthrough of seed 003, D3). */
static json_t *create_extra(const struct create *c)
{
    json_t *extra = c->contact_result ? json_pack("{s:O}", "contact", c->contact_result) : NULL;
    if (c->relation_id) {
        if (!extra)
            extra = json_object();
        char rid[24];
        snprintf(rid, sizeof(rid), "%llu", c->relation_id);
        json_object_set_new(extra, "relation",
                            json_pack("{s:s, s:s}", "id", rid, "status", "active"));
    }
    return extra;
}

static int create_finish(struct sql_store *sql, void *arg)
{
    struct create *c = arg;
    int st = account_mark_done(sql, c->id);
    if (st != ST_OK)
        return st;
    st = audit_write(sql, c->req->caller.uid, c->id, "account.create", NULL, create_value(c));
    /* The contact person becomes the account's admin: at once if LDAP
     * knows the address, else by invitation (STACKIT "method 1"). */
    if (st == ST_OK && c->contact_email) {
        json_decref(c->contact_result);
        st = invite_in_transaction(
            sql, c->req, c->id, c->name, c->contact_email, ROLE_ADMIN, c->contact_first,
            c->contact_last, c->contact_known.dn ? &c->contact_known : NULL, &c->contact_result);
    }
    if (st == ST_OK && c->relate) {
        st = relation_insert(sql, c->parent_id, c->id, "active", c->req->caller.uid, 0,
                             &c->relation_id);
        json_t *rel = json_pack("{s:I, s:I, s:I, s:s}", "relation_id", (json_int_t)c->relation_id,
                                "partner_id", (json_int_t)c->parent_id, "customer_id",
                                (json_int_t)c->id, "status", "active");
        if (st == ST_OK)
            st = audit_write(sql, c->req->caller.uid, c->parent_id, "relation.create", NULL,
                             json_deep_copy(rel));
        if (st == ST_OK)
            st = audit_write(sql, c->req->caller.uid, c->id, "relation.create", NULL,
                             json_incref(rel));
        json_decref(rel);
        if (st == ST_OK)
            st = relations_created_mail(sql, &c->told, c->parent_id, c->id, c->relation_id);
    }
    /* What a replay answers besides the account as it is then. */
    json_t *extra = st == ST_OK && c->idem_key ? create_extra(c) : NULL;
    if (extra) {
        char *text = json_dumps(extra, JSON_COMPACT);
        st = idempotency_key_keep_answer(sql, c->req->caller.uid, c->idem_key, text);
        free(text);
        json_decref(extra);
    }
    if (st == ST_OK)
        st = saga_close_tx(sql, &c->saga, "done");
    return st;
}

static int create_undo(struct sql_store *sql, void *arg)
{
    struct create *c = arg;
    return account_delete_pending(sql, c->id);
}

/* A repeated Idempotency-Key: answer as the first request did. Returns 1
 * if it answered. */
static int replay(struct request *req, const char *key, const char *fingerprint)
{
    unsigned long long id;
    int done, answered = 1;
    char *request = NULL, *answer = NULL;
    /* The first request with the key still running (a double-click): wait
     * for it, then answer as it did (round-6 walkthroughs of seeds 001, D2,
     * and 003, O1); a create that failed removed its key (not found: this
     * one creates). */
    struct idempotency_wait wait;
    idempotency_wait_start(&wait);
    int st;
    for (;;) {
        st = idempotency_key_find(req->session->sql, req->caller.uid, key, &id, &done, &request,
                                  &answer);
        if (st != ST_OK || done || (request && strcmp(request, fingerprint) != 0) ||
            !idempotency_wait_more(&wait))
            break;
        free(request);
        free(answer);
    }
    /* The caller's roles may have been read before the first request made
     * them the new account's admin (a double-click): read them again. */
    if (st == ST_OK && done && caller_refresh(req) < 0)
        goto out;
    if (st == ST_NOT_FOUND) {
        answered = 0;
        goto out;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        goto out;
    }
    /* The same key with another body is a client's mistake, not a repeat:
     * as on every other POST (idempotency.c). */
    if (request && strcmp(request, fingerprint) != 0) {
        res_field_error(req, req->idem_field, "was used with another request body");
        res_fail_if_errors(req);
        goto out;
    }
    if (!done) {
        refuse(req, 409, "conflict",
               "a request with this Idempotency-Key is still being processed (waited %d s for "
               "it); send it again later to get its answer",
               IDEMPOTENCY_WAIT_MS / 1000);
        goto out;
    }
    /* The key is the caller's, but the account may have moved on: only
     * someone who may still read it gets it (a person removed from it gets
     * what GET would answer), and a closed account is no creation to
     * repeat. */
    struct account_ref a;
    if (caller_authorize(req, id, ROLE_ANY, 0, &a) < 0)
        goto out;
    if (strcmp(a.status, "closed") == 0) {
        refuse(req, 409, "conflict",
               "this Idempotency-Key created an account that has been closed since");
        goto out;
    }
    char loc[64];
    snprintf(loc, sizeof(loc), "/api/v1/accounts/%llu", id);
    res_header(req, "Location", loc);
    /* The account as it is now, with the first answer's contact and
     * relation as it gave them (create_extra; round-20 walkthrough of seed
     * 003, D3: a double-clicked create showed no contact invited). A key
     * kept before migration 089 has none. */
    json_t *extra = answer ? json_loads(answer, 0, NULL) : NULL;
    respond_account(req, id, 201, json_is_object(extra) ? extra : NULL);
    json_decref(extra);
    if (req->res.status == 201) {
        res_header(req, "Idempotent-Replayed", "true");
        req->idem_replayed = 1;
    }
out:
    free(request);
    free(answer);
    return answered;
}

int accounts_parent_in_body(struct request *req, unsigned long long *id)
{
    *id = body_id(req, body_root(req), "parent_id");
    return body_failed(req) ? ST_REFUSED : ST_OK;
}

int accounts_parent_in_query(struct request *req, unsigned long long *id)
{
    /* ?search= without parent_id names no account: operator staff's search
     * of every account, whose rule the handler checks (accounts_search). */
    if (!json_object_get(req->query, "parent_id") && json_object_get(req->query, "search")) {
        *id = 0;
        return ST_OK;
    }
    const char *parent_s = query_str(req, "parent_id");
    *id = parse_id(parent_s);
    if (!*id && !json_object_get(req->errors, "parent_id"))
        res_field_error(req, "parent_id", parent_s ? "must be an account id" : "is required");
    if (!*id) {
        res_fail_if_errors(req);
        return ST_REFUSED;
    }
    return ST_OK;
}

static void create_account(struct request *req, struct create *c);

void accounts_create(struct request *req)
{
    static const char *const allowed[] = {"kind",    "name",    "parent_id", "staged",
                                          "company", "contact", NULL};
    static const char *const contact_fields[] = {"first_name", "last_name", "email", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct create c = {.req = req};
    c.kind = body_str(req, b, NULL, "kind", 1, MAX_CHARS(32));
    c.name = body_name(req, b, NULL, "name", 1, MAX_CHARS(200));
    c.parent_id = body_id(req, b, "parent_id");
    int staged = body_bool(req, b, NULL, "staged");
    c.status = staged == 1 ? "staged" : "active";
    unsigned have;
    read_company(req, body_obj(req, b, NULL, "company"), &c.company, &have);
    check_company(req, &c.company);
    json_t *contact = body_obj(req, b, NULL, "contact");
    if (contact) {
        body_only(req, contact, "contact", contact_fields);
        /* Trimmed as an invitation's (round-6 walkthrough of seed 004, D6). */
        body_trim(contact, "email");
        body_trim(contact, "first_name");
        body_trim(contact, "last_name");
        c.contact_email = body_str(req, contact, "contact", "email", 1, MAX_BYTES(254));
        c.contact_first = body_text(req, contact, "contact", "first_name", 0, MAX_CHARS(100));
        c.contact_last = body_text(req, contact, "contact", "last_name", 0, MAX_CHARS(100));
        const char *bad;
        char why[WHY_SIZE];
        if (c.contact_email && (bad = validate_email_ascii(c.contact_email, why)))
            res_field_error(req, "contact.email", bad);
        /* Staged: the customer has no access yet (DESIGN.md); the
         * customer's admin comes with the hand-over, POST …/transfer.
         * The detail points to what works: the partner who gives their
         * own address (the seed's step 1) names themselves contact after
         * creating it, the customer's address goes to the hand-over
         * (round-21 walkthrough of seed 000, D1). */
        if (staged == 1 && c.contact_email && req->caller.mail &&
            strcasecmp(c.contact_email, req->caller.mail) == 0)
            res_field_error(req, "contact",
                            "cannot be given for a staged account: to be its contact while you "
                            "stage it, create it without contact and name yourself after "
                            "creating it (PUT /api/v1/accounts/{id}/contacts/primary and "
                            ".../contacts/technical, {id} being the new account's id); the "
                            "hand-over (POST /api/v1/accounts/{id}/transfer) later moves the "
                            "contacts to the customer");
        else if (staged == 1)
            res_field_error(req, "contact",
                            "cannot be given for a staged account: give the customer's address "
                            "when you hand it over, which invites the customer as admin (POST "
                            "/api/v1/accounts/{id}/transfer, {id} being the new account's id); "
                            "to be its contact while you stage it, name yourself after creating "
                            "it (PUT /api/v1/accounts/{id}/contacts/primary)");
    }
    if (c.kind && strcmp(c.kind, "distributor") != 0 && strcmp(c.kind, "partner") != 0 &&
        strcmp(c.kind, "customer") != 0)
        res_field_error(req, "kind", "must be distributor, partner or customer");
    c.idem_key = req->idem_key;
    const char *why;
    if (c.idem_key && (why = validate_idempotency_key(c.idem_key)))
        res_field_error(req, req->idem_field, why);
    /* Only the operator's admins create top-level accounts; an explicit
     * `"parent_id": null` is the same as none. */
    if (!c.parent_id && !req->caller.is_operator)
        res_field_error(req, "parent_id", "is required");
    if (body_failed(req))
        return;

    if (c.idem_key)
        idempotency_fingerprint(req->body, c.fingerprint);
    if (c.idem_key && replay(req, c.idem_key, c.fingerprint))
        return;
    if (c.parent_id) {
        /* The router authorized the parent (accounts_parent_in_body). */
        const struct account_ref *parent = &req->account;
        if (child_kind_check(req, parent->kind, c.kind) < 0) {
            res_fail_if_errors(req);
            return;
        }
        /* API.md: "a partner parent gets a customer relation", with or
         * without a contact person. */
        c.relate = strcmp(parent->kind, "partner") == 0 && strcmp(c.kind, "customer") == 0;
    }

    /* The contact person becomes the account's admin: at once if LDAP
     * knows the address (in the saga's LDAP step), else by invitation. */
    int st = ST_OK;
    if (c.contact_email) {
        st = invitation_find_addable(req, c.contact_email, &c.contact_known);
        if (st != ST_OK) {
            res_store_failure(req, st, "the directory");
            return;
        }
    }
    /* The partner's people, when someone else relates a new customer to
     * it (round-12 walkthrough of seed 003, D3). */
    if (c.relate && (st = relations_created_read(req, c.parent_id, &c.told)) != ST_OK) {
        person_free(&c.contact_known);
        res_store_failure(req, st, "the directory");
        return;
    }
    create_account(req, &c);
    relations_created_free(&c.told);
    json_decref(c.contact_result);
    person_free(&c.contact_known);
    saga_free(&c.saga);
}

/* Saga (saga.h): 1. the SQL row, invisible while pending, with its intent;
 * 2. the LDAP entries (and a known contact's admin role); 3. the row marked
 * done with its audit row, the intent closed. A failure in 2 or 3 undoes
 * what was written; when that cannot be done the row stays pending and
 * `accountd maint` removes both. */
static void create_account(struct request *req, struct create *c)
{
    struct saga *s = &c->saga;
    s->actor = xstrdup(req->caller.uid);
    s->plan.kind = SAGA_CREATE_ACCOUNT;
    s->plan.create_account = 1;
    s->plan.admin_dn = xstrdup(req->caller.dn);
    if (c->contact_known.dn && !ldap_dn_equal(c->contact_known.dn, req->caller.dn)) {
        s->plan.person_dn = xstrdup(c->contact_known.dn);
        s->plan.person_uid = xstrdup(c->contact_known.uid);
        s->plan.roles_after = ROLE_ADMIN;
    }
    int st = request_transaction(req, create_insert, c);
    if (st == ST_DUPLICATE && c->idem_key) {
        /* Another request with the key came first: its answer, once it is
         * done (replay waits); if it failed, its key is gone and this
         * request creates. */
        if (replay(req, c->idem_key, c->fingerprint))
            return;
        st = request_transaction(req, create_insert, c);
        if (st == ST_DUPLICATE) {
            refuse(req, 409, "conflict", "Idempotency-Key already used");
            return;
        }
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    char *marker = saga_person_marker(s->intent_id);
    s->account_attempted = 1;
    st = ldap_store_create_account(req->session->ldap, c->id, req->caller.dn, marker);
    free(marker);
    if (st == ST_DUPLICATE)
        s->account_attempted = 0; /* someone else's entry: left alone */
    if (st == ST_OK)
        st = saga_apply_roles(req->session->ldap, s);
    enum saga_outcome outcome;
    if (st == ST_OK)
        outcome = saga_commit(req->session->ldap, req->session->sql, s, create_finish, c, &st);
    else
        outcome = saga_undo(req->session->ldap, req->session->sql, s,
                            "undone: the directory refused or lost a step") == ST_OK
                      ? SAGA_NOT_APPLIED
                      : SAGA_UNKNOWN;
    if (outcome == SAGA_DONE) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/accounts/%llu", c->id);
        res_header(req, "Location", loc);
        json_t *extra = create_extra(c);
        respond_account(req, c->id, 201, extra);
        json_decref(extra);
        return;
    }
    /* Not applied: the pending row and its key go too. Unknown: the row
     * stays pending (invisible) for the repair job. */
    if (outcome == SAGA_NOT_APPLIED && request_transaction(req, create_undo, c) != ST_OK)
        log_error("account %llu left pending after a failed create: the repair job removes it",
                  c->id);
    if (outcome == SAGA_NOT_APPLIED && st == ST_DUPLICATE)
        refuse(req, 409, "conflict",
               "the directory already holds an entry for account %llu; nothing was created", c->id);
    else
        saga_answer_failure(req, outcome, st);
}

/* ---- list ----------------------------------------------------------- */

static const char *const SORT_COLUMNS[] = {"id",   "name",       "kind", "status",
                                           "plan", "created_at", NULL};

/* Does sort or filter[...] name anything but a column (then the parent's
 * property definitions are read to resolve it; a page by a column with at
 * most status, plan and plan_status filters does without that statement)? */
static int overview_needs_definitions(struct request *req, const char *sort_s)
{
    if (sort_s) {
        const char *name = sort_s[0] == '-' ? sort_s + 1 : sort_s;
        int column = 0;
        for (size_t i = 0; SORT_COLUMNS[i] && !column; i++)
            column = strcmp(name, SORT_COLUMNS[i]) == 0;
        if (!column && strcmp(name, "plan_status") != 0)
            return 1;
    }
    json_t *filter = json_object_get(req->query, "filter");
    const char *key;
    json_t *v;
    json_object_foreach(json_is_object(filter) ? filter : NULL, key, v)
    {
        (void)v;
        if (strcmp(key, "status") != 0 && strcmp(key, "plan") != 0 &&
            strcmp(key, "plan_status") != 0)
            return 1;
    }
    return 0;
}

/* filter[status]: an account status (round-3 walkthrough of seed 001). */
static int overview_status_known(const char *status)
{
    static const char *const statuses[] = {"active", "staged", "suspended", "closed", NULL};
    for (size_t i = 0; statuses[i]; i++)
        if (strcmp(status, statuses[i]) == 0)
            return 1;
    return 0;
}

/* Resolves sort and filter[...] against the columns and the parent's
 * property definitions; records field errors. */
static void overview_parameters(struct request *req, const char *sort_s, struct overview_query *q,
                                char **filter_keys)
{
    struct property_def *defs = NULL;
    size_t ndefs = 0;
    if (overview_needs_definitions(req, sort_s)) {
        int st = property_defs_load(req->session->sql, q->parent_id, 0, &defs, &ndefs);
        if (st != ST_OK) {
            res_store_failure(req, st, "the database");
            return;
        }
    }
    q->column = "id";
    if (sort_s) {
        const char *name = sort_s[0] == '-' ? sort_s + 1 : sort_s;
        q->descending = sort_s[0] == '-';
        q->column = NULL;
        for (size_t i = 0; SORT_COLUMNS[i] && !q->column; i++)
            if (strcmp(name, SORT_COLUMNS[i]) == 0)
                q->column = SORT_COLUMNS[i];
        /* plan_status is the column's, never a property's of that key
         * defined before round 22 (round-23 walkthrough of seed 001, D2). */
        int plan_status = strcmp(name, "plan_status") == 0;
        for (size_t i = 0; i < ndefs && !plan_status && !q->column && !q->sort_definition; i++)
            if (strcmp(name, defs[i].key) == 0)
                q->sort_definition = defs[i].id;
        if (!q->column && !q->sort_definition)
            res_field_error(req, "sort",
                            strcmp(name, "member_count") == 0
                                ? "member_count is LDAP's and cannot be sorted by"
                            : plan_status ? "plan_status cannot be sorted by; filter by it with "
                                            "filter[plan_status]=active or pending_cancellation"
                                          : "must be id, name, kind, status, plan, created_at or a "
                                            "property key, optionally with a leading '-'");
    }
    json_t *filter = json_object_get(req->query, "filter");
    if (filter && !json_is_object(filter))
        res_field_error(req, "filter", "must be given as filter[<column or property>]=<value>");
    const char *key;
    json_t *v;
    size_t nf = 0;
    json_object_foreach(json_is_object(filter) ? filter : NULL, key, v)
    {
        char f[160];
        snprintf(f, sizeof(f), "filter[%.140s]", key);
        if (!json_is_string(v)) {
            res_field_error(req, f, "must be one value");
            continue;
        }
        if (strcmp(key, "status") == 0) {
            q->status = json_string_value(v);
            if (!overview_status_known(q->status))
                res_field_error(req, f, "must be one of active, staged, suspended, closed");
            continue;
        }
        if (strcmp(key, "plan_status") == 0) {
            /* The live plan subscription's status (round-22 walkthrough of
             * seed 002, D3): a BSS table of the resellers pending
             * cancellation. */
            q->plan_status = json_string_value(v);
            if (strcmp(q->plan_status, "active") != 0 &&
                strcmp(q->plan_status, "pending_cancellation") != 0)
                res_field_error(req, f, "must be one of active, pending_cancellation");
            continue;
        }
        if (strcmp(key, "plan") == 0) {
            /* a plan of the catalog, in any case; the error names them all
             * (round-17 walkthrough of seed 002, D5: catalog_plan_field) */
            if (catalog_plan_field(req, f, v, "must be a plan of the catalog:") != ST_OK)
                break; /* answered: the store's failure */
            q->plan = json_string_value(v);
            continue;
        }
        struct property_def *d = NULL;
        for (size_t i = 0; i < ndefs && !d; i++)
            if (strcmp(key, defs[i].key) == 0)
                d = &defs[i];
        if (!d) {
            res_field_error(
                req, f, "is no property of this account's children (or status, plan, plan_status)");
            continue;
        }
        if (nf == OVERVIEW_FILTERS) {
            res_field_error(req, "filter", "at most 4 properties can be filtered by at once");
            continue;
        }
        char *value_json = NULL, buf[PROPERTY_WHY_SIZE];
        const char *why = property_value_check(d->type, (const char *const *)d->options, v, 1,
                                               &value_json, &filter_keys[nf], buf);
        if (why) {
            res_field_error(req, f, why);
            continue;
        }
        free(value_json);
        q->filter_defs[nf] = d->id;
        q->filter_keys[nf] = filter_keys[nf];
        nf++;
    }
    property_defs_free(defs, ndefs);
}

/* The search's cursor (round-11 leftover of seed 000): base64url of
 * {"s": "search", "k": the last row's name, "id": its id}, a keyset as the
 * overview's cursor is. Returns the decoded object (json_decref it), or
 * NULL if s is not such a cursor. */
static json_t *search_cursor_read(const char *s)
{
    size_t len = 0;
    char *raw = base64url_decode(s, &len);
    json_t *c = raw ? json_loadb(raw, len, 0, NULL) : NULL;
    free(raw);
    json_t *kind = json_object_get(c, "s"), *k = json_object_get(c, "k");
    json_t *id = json_object_get(c, "id");
    if (!json_is_string(kind) || strcmp(json_string_value(kind), "search") != 0 ||
        !json_is_string(k) || !json_is_integer(id) || json_integer_value(id) <= 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* The cursor after item (a search row), as a new JSON string. */
static json_t *search_cursor_after(json_t *item)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    return cursor_encode(json_pack("{s:s, s:O, s:I}", "s", "search", "k",
                                   json_object_get(item, "name"), "id",
                                   (json_int_t)(id ? strtoull(id, NULL, 10) : 0)));
}

/* GET /accounts?search= (no parent_id; docs/api.md "Finding an existing
 * organization", seed 003): operator staff find any account by a part of
 * its name or company name, or by its VAT ID, to connect an organization
 * that exists already. Anyone else is refused before their parameters are
 * read, as the router refuses before a field error. It pages as every
 * list does, {items, next_cursor} (round-11 leftover of seed 000), and
 * keeps its limit and more. */
static void accounts_search(struct request *req)
{
    if (!req->caller.is_operator) {
        refuse(req, 403, "forbidden",
               "only operator staff search all accounts; list your own customers with "
               "parent_id=<your account id>");
        return;
    }
    static const char *const known[] = {"search", "limit", "cursor", NULL};
    body_only(req, req->query, NULL, known);
    long limit = query_limit_up_to(req, 50, 20);
    /* Surrounding spaces are no part of what is looked for (a pasted name). */
    body_trim(req->query, "search");
    const char *text = query_str(req, "search");
    char buf[WHY_SIZE];
    const char *why = text ? validate_search(text, buf) : NULL;
    if (why)
        res_field_error(req, "search", why);
    const char *cursor_s = query_str(req, "cursor");
    json_t *cursor = cursor_s ? search_cursor_read(cursor_s) : NULL;
    if (cursor_s && !cursor)
        res_field_error(req, "cursor", "is not a cursor of this listing");
    if (body_failed(req)) {
        json_decref(cursor);
        return;
    }
    char *vat_key = fold_vat_id(xstrdup(text));
    json_t *items = NULL;
    json_t *after_id = json_object_get(cursor, "id");
    int st = overview_search(req->session->sql, text, *vat_key ? vat_key : NULL,
                             json_string_value(json_object_get(cursor, "k")),
                             after_id ? (unsigned long long)json_integer_value(after_id) : 0,
                             limit + 1, &items);
    free(vat_key);
    json_decref(cursor);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    int more = json_array_size(items) > (size_t)limit;
    if (more)
        json_array_remove(items, (size_t)limit);
    json_t *next =
        more ? search_cursor_after(json_array_get(items, (size_t)limit - 1)) : json_null();
    json_t *page = json_pack("{s:o, s:o, s:I, s:b}", "items", items, "next_cursor", next, "limit",
                             (json_int_t)limit, "more", more);
    res_json(req, 200, page);
}

void accounts_list(struct request *req)
{
    /* No account: ?search= without parent_id (accounts_parent_in_query). */
    if (!req->account.id) {
        accounts_search(req);
        return;
    }
    const char *cursor_s = query_str(req, "cursor");
    const char *sort_s = query_str(req, "sort");
    /* The router authorized the parent (accounts_parent_in_query). */
    struct overview_query q = {.parent_id = req->account.id};
    q.limit = query_limit(req);
    const char *known[] = {"parent_id", "limit", "cursor", "sort", "filter", "search", NULL};
    body_only(req, req->query, NULL, known);
    /* Decision: the search is operator staff's, over every account; a
     * parent's own rows are the overview's filters and sorts. */
    if (json_object_get(req->query, "search"))
        res_field_error(req, "search",
                        "cannot be combined with parent_id: the search looks through every "
                        "account (operator staff only); leave out parent_id, or list this "
                        "account's children without search");
    /* cursor: base64url of {"s": sort, "k": last sort key, "id": last id} */
    json_t *cursor = NULL;
    if (cursor_s) {
        size_t len;
        char *raw = base64url_decode(cursor_s, &len);
        cursor = raw ? json_loadb(raw, len, 0, NULL) : NULL;
        free(raw);
        json_t *s = json_object_get(cursor, "s"), *id = json_object_get(cursor, "id");
        json_t *k = json_object_get(cursor, "k");
        if (!json_is_string(s) || strcmp(json_string_value(s), sort_s ? sort_s : "id") != 0 ||
            !json_is_integer(id) || json_integer_value(id) <= 0 || !json_is_string(k)) {
            res_field_error(req, "cursor", "is not a cursor of this listing");
        } else {
            q.after_id = (unsigned long long)json_integer_value(id);
            q.after_key = json_string_value(k);
        }
    }
    /* A field error here still lets sort and filter be checked, so that
     * one 422 names every bad parameter (round-13 walkthrough of seed 003,
     * D4); a 400 (a parameter given twice) stops here. */
    if (request_refused(req)) {
        json_decref(cursor);
        return;
    }
    char *filter_keys[OVERVIEW_FILTERS] = {0};
    overview_parameters(req, sort_s, &q, filter_keys);
    struct sql_result r = {0};
    int st = ST_OK;
    if (!request_refused(req) && !res_fail_if_errors(req)) {
        q.limit++;
        st = overview_page(req->session->sql, &q, &r);
        q.limit--;
    }
    json_decref(cursor);
    for (size_t i = 0; i < OVERVIEW_FILTERS; i++)
        free(filter_keys[i]);
    if (request_refused(req))
        return;
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    size_t n = r.nrows > (size_t)q.limit ? (size_t)q.limit : r.nrows;
    unsigned long long *ids = xcalloc(n + 1, sizeof(*ids));
    int *has_values = xcalloc(n + 1, sizeof(*has_values));
    for (size_t i = 0; i < n; i++) {
        ids[i] = sql_cell_id(&r, i, 0);
        has_values[i] = sql_cell(&r, i, 6) && strcmp(sql_cell(&r, i, 6), "1") == 0;
    }
    /* member_count: distinct people over each account's role groups (the
     * members its members list shows: round-18 walkthrough of seed 001,
     * D4), from the directory cache (two LDAP searches for the page while
     * it is down). */
    size_t *counts = xcalloc(n + 1, sizeof(*counts));
    st = ldap_store_member_counts(req->session->ldap, ids, n, counts);
    /* properties: the page's values as plain rows, assembled here. */
    json_t **props = xcalloc(n + 1, sizeof(*props));
    int pst =
        st == ST_OK ? overview_properties(req->session->sql, ids, has_values, n, props) : ST_OK;
    free(has_values);
    if (st != ST_OK || pst != ST_OK) {
        for (size_t i = 0; i < n; i++)
            json_decref(props[i]);
        free(props);
        free(counts);
        free(ids);
        sql_result_free(&r);
        res_store_failure(req, st != ST_OK ? st : pst,
                          st != ST_OK ? "the directory" : "the database");
        return;
    }
    static const char *const ITEM_CELLS[] = {"id",   "name",        "kind", "status",
                                             "plan", "plan_status", NULL};
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *item = sql_cells_object(&r, i, ITEM_CELLS);
        json_object_set_new_nocheck(item, "member_count", json_integer((json_int_t)counts[i]));
        json_object_set_new_nocheck(item, "properties", props[i]);
        json_array_append_new(items, item);
    }
    json_t *next = json_null();
    if (r.nrows > (size_t)q.limit && n > 0)
        next = cursor_encode(json_pack("{s:s, s:s, s:I}", "s", sort_s ? sort_s : "id", "k",
                                       sql_cell(&r, n - 1, 7), "id", (json_int_t)ids[n - 1]));
    free(props);
    free(counts);
    free(ids);
    sql_result_free(&r);
    res_json(req, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

/* ---- read ----------------------------------------------------------- */

void accounts_get(struct request *req)
{
    struct account_ref a = req->account;
    respond_account(req, a.id, 200, NULL);
}

/* ---- update --------------------------------------------------------- */

/* fields_json's id and parent_id as numbers, as every audit value holds
 * ids (account.create's parent_id was a number, account.update's a
 * string: round-6 walkthrough of seed 003, D7). */
static json_t *audit_ids(json_t *v)
{
    static const char *const keys[] = {"id", "parent_id", NULL};
    for (size_t i = 0; keys[i]; i++) {
        const char *text = json_string_value(json_object_get(v, keys[i]));
        if (text)
            json_object_set_new(v, keys[i], json_integer((json_int_t)strtoull(text, NULL, 10)));
    }
    return v;
}

struct patch {
    struct request *req;
    unsigned long long id;
    unsigned long long if_match; /* 0: none */
    const char *name;
    struct company company;
    unsigned have_company;
    json_t *properties; /* the body's, NULL if not given */
    json_t *present;    /* a form's _properties_present: an array of keys, or NULL */
    /* Who is told of a change of the name or company data
     * (account-details-changed): the named contacts, else the admins,
     * never the caller, read before the transaction when the body has
     * either; others_st: how that read went. */
    struct billing_people others;
    int others_st;
};

/* One line per field of name and company that differs between the
 * account's fields before and after (fields_json), "<label>: <old> →
 * <new>", "(none)" for an empty value; an empty and an unset value are
 * the same. */
static void details_changes(const json_t *old, const json_t *new, struct buf *out)
{
    static const char *const labels[] = {"company name", "company street",  "company postcode",
                                         "company city", "company country", "company VAT ID"};
    const char *before[7], *after[7], *label[7];
    before[0] = json_string_value(json_object_get(old, "name"));
    after[0] = json_string_value(json_object_get(new, "name"));
    label[0] = "name";
    for (size_t i = 0; company_fields[i]; i++) {
        before[i + 1] =
            json_string_value(json_object_get(json_object_get(old, "company"), company_fields[i]));
        after[i + 1] =
            json_string_value(json_object_get(json_object_get(new, "company"), company_fields[i]));
        label[i + 1] = labels[i];
    }
    for (size_t i = 0; i < 7; i++) {
        const char *o = before[i] ? before[i] : "", *n = after[i] ? after[i] : "";
        if (strcmp(o, n) != 0)
            buf_printf(out, "%s%s: %s \u2192 %s", out->len ? "\n" : "", label[i], *o ? o : "(none)",
                       *n ? n : "(none)");
    }
}

/* account-details-changed to p->others, in the PATCH's transaction, when
 * the name or the company data changed (round-16 walkthrough of seed 004,
 * D1: a rename and a new billing address by an admin who is no named
 * contact went unnoticed). Counted in the mail budget, as contact-changed
 * is. */
static int mail_details_changed(struct sql_store *sql, struct patch *p, const json_t *old,
                                const json_t *new)
{
    struct buf changes = BUF_INIT;
    details_changes(old, new, &changes);
    int st = ST_OK;
    /* A directory that did not answer refuses a change nobody would
     * hear of; nobody to tell (no admin but the caller) does not. */
    if (changes.len && p->others_st != ST_OK)
        st = p->others_st;
    else if (changes.len && p->others.n) {
        char *by = NULL;
        st = mail_actor_name(sql, &p->req->caller, p->id, &by);
        if (st == ST_OK) {
            struct template_value vals[] = {
                {"account_name", json_string_value(json_object_get(new, "name"))},
                {"changed_by", by},
                {"changes", buf_str(&changes)},
            };
            st = outbox_queue(sql, p->id, "account-details-changed",
                              (const char *const *)p->others.mails, p->others.n, &p->others.names,
                              vals, 3);
        }
        free(by);
    }
    buf_free(&changes);
    return st;
}

static int patch_tx(struct sql_store *sql, void *arg)
{
    struct patch *p = arg;
    struct sql_result r;
    int st = account_row(sql, p->id, 1, &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        return refuse(p->req, 404, "not-found", "no such account");
    }
    if (strcmp(sql_cell(&r, 0, COL_STATUS), "closed") == 0) {
        sql_result_free(&r);
        return refuse(p->req, 409, "conflict", "a closed account cannot be changed");
    }
    if (p->if_match && p->if_match != sql_cell_id(&r, 0, COL_VERSION)) {
        sql_result_free(&r);
        return refuse(p->req, 412, "precondition-failed",
                      "the account changed since you read it; read it again");
    }
    json_t *old = fields_json(&r, 0);
    /* The effective company after the change, checked as a whole. */
    struct company eff;
    for (size_t i = 0; i < 6; i++)
        eff.v[i] =
            (p->have_company & (1u << i)) ? p->company.v[i] : sql_cell(&r, 0, COL_COMPANY + i);
    check_company(p->req, &eff);
    /* `properties: {}` too: it asks for the required values' check. */
    if (p->properties) {
        const char *parent = sql_cell(&r, 0, COL_PARENT);
        st = properties_apply(sql, p->req, p->id, parent ? strtoull(parent, NULL, 10) : 0,
                              p->properties, p->present);
        if (st != ST_OK && st != ST_REFUSED) {
            json_decref(old);
            sql_result_free(&r);
            return st;
        }
    }
    if (res_fail_if_errors(p->req)) {
        json_decref(old);
        sql_result_free(&r);
        return ST_REFUSED;
    }
    const char **c = p->company.v;
    unsigned h = p->have_company;
    st = account_update_fields(sql, p->id, p->name, c, h);
    sql_result_free(&r);
    if (st == ST_OK)
        st = account_row(sql, p->id, 0, &r);
    if (st == ST_OK) {
        json_t *new = fields_json(&r, 0);
        sql_result_free(&r);
        st = mail_details_changed(sql, p, old, new);
        if (st == ST_OK)
            return audit_write(sql, p->req->caller.uid, p->id, "account.update", audit_ids(old),
                               audit_ids(new));
        json_decref(new);
    }
    json_decref(old);
    return st;
}

/* A form's _properties_present (round-15 walkthrough of seed 001, D1):
 * one key, or the same field repeated, naming the checkbox (boolean)
 * properties the form showed, so that an unticked one (a browser sends
 * nothing for it) is set to false. A borrowed array in the body, or NULL. */
static json_t *read_properties_present(struct request *req, json_t *b)
{
    json_t *v = b ? json_object_get(b, "_properties_present") : NULL;
    if (!v)
        return NULL;
    if (json_is_string(v)) {
        json_t *a = json_array();
        json_array_append(a, v);
        json_object_set_new(b, "_properties_present", a);
        v = a;
    }
    size_t i;
    json_t *k;
    int ok = json_is_array(v) && json_array_size(v) <= 100;
    json_array_foreach(v, i, k) ok = ok && json_is_string(k) && *json_string_value(k);
    if (!ok) {
        res_field_error(req, "_properties_present",
                        "must name the form's checkbox properties (at most 100)");
        return NULL;
    }
    return v;
}

void accounts_patch(struct request *req)
{
    static const char *const allowed[] = {
        "name", "company", "properties", "_properties_present", "_version", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct patch p = {.req = req, .id = parse_id(req->args[0])};
    p.name = body_name(req, b, NULL, "name", json_object_get(b, "name") != NULL, MAX_CHARS(200));
    read_company(req, body_obj(req, b, NULL, "company"), &p.company, &p.have_company);
    p.properties = body_obj(req, b, NULL, "properties");
    body_single_values(req, p.properties, "properties");
    p.present = read_properties_present(req, b);
    if (p.present && !p.properties && !body_failed(req)) {
        /* Only unticked boxes on the page: they are the change. */
        json_object_set_new(b, "properties", json_object());
        p.properties = json_object_get(b, "properties");
    }
    /* null is no value to set: {"company": null} answered 200, changed
     * nothing and still raised the version (round-4 walkthrough of seed
     * 001). A field is cleared with "" (company) or {"key": null}. */
    static const char *const objects[] = {"company", "properties", NULL};
    for (size_t i = 0; b && objects[i]; i++)
        if (json_is_null(json_object_get(b, objects[i])))
            res_field_error(req, objects[i], "must be an object");
    /* A country's format is the value's own: 422 before a stale If-Match's
     * 412, as other format errors (round-9 walkthrough of seed 000, D2);
     * the postcode and VAT ID are checked against the country the account
     * will have, under its lock. */
    const char *country = p.company.v[4], *why;
    if (country && *country && (why = validate_country(country)))
        res_field_error(req, "company.country", why);
    if (body_failed(req))
        return;
    long long im = body_expected_version(req, b, p.id);
    if (im < 0)
        return;
    p.if_match = (unsigned long long)im;
    /* No LDAP call in the transaction: who would be told of a change of
     * the name or company data is read first (none for properties). */
    p.others_st =
        p.name || p.have_company ? billing_people_read_others(req, p.id, &p.others) : ST_OK;
    int st = request_transaction(req, patch_tx, &p);
    billing_people_free(&p.others);
    forget_account_row(req);
    if (st == ST_OK)
        respond_account(req, p.id, 200, NULL);
    else
        res_store_failure(req, st, "the directory or the database");
}

/* ---- close ---------------------------------------------------------- */

/* At most this many open children are told of their parent's close
 * (the lowest ids; docs/api.md): each costs directory reads before the
 * transaction and a mail in it. account-closed counts them all. */
#define CLOSE_CHILDREN_TOLD 1000

struct closing {
    struct request *req;
    unsigned long long id;
    unsigned long long if_match;      /* If-Match / _version (0: none) */
    struct billing_people people;     /* the named contacts (else the admins) */
    struct relations_closing related; /* the other sides of its pending relation requests */
    /* Its open children (round-16 walkthrough of seed 002, D1), read
     * before the transaction with each one's readers; the transaction
     * lists them again (with their relations and pending invitations,
     * which its mails tell) and, when they changed meanwhile, sets stale
     * and rolls back (read again, bounded). */
    struct open_child *children;
    size_t nchildren;
    unsigned long open_children; /* all of them, beyond the cap too */
    struct billing_people *child_people;
    /* The closed account's people who still hold roles in those
     * children (role_holders.h; round-18 walkthrough of seed 001, D1),
     * read with them. */
    struct role_holders holders;
    int distributor; /* the closed account is a distributor: its back office ends */
    int stale;
    /* The people of its projects who hold no role in it (round-23
     * walkthrough of seed 003, D2), read before the transaction:
     * projects_closing_people. */
    json_t *project_people;
    /* How many of its active relations as the partner with organizations
     * outside it the close ended (round-27 walkthrough of seed 003, D1). */
    size_t ended_customers;
    /* Read once in the transaction (close_steps) for account-closed and
     * the relations' mails (related.closed_*): its name, its notification
     * recipients and its own live storefront (own_url NULL: none; own_ends,
     * own_plan: the subscription that keeps it live, NULL: none). */
    char *name;
    char **rcpt;
    size_t nrcpt;
    char *own_url, *own_ends, *own_plan;
};

static void closing_children_free(struct closing *c)
{
    for (size_t i = 0; c->child_people && i < c->nchildren; i++)
        billing_people_free(&c->child_people[i]);
    free(c->child_people);
    role_holders_free(&c->holders);
    account_open_children_free(c->children, c->nchildren);
    c->child_people = NULL;
    c->children = NULL;
    c->nchildren = 0;
    c->open_children = 0;
}

/* Outside the transaction: the open children (one statement), the
 * readers of each (contacts, else admins; LDAP) and who of this account
 * holds roles in them (role_holders_read). */
static int closing_children_read(struct closing *c)
{
    closing_children_free(c);
    int st = account_open_children(c->req->session->sql, c->id, CLOSE_CHILDREN_TOLD, 0,
                                   &c->children, &c->nchildren, &c->open_children);
    if (st != ST_OK)
        return st;
    c->child_people = c->nchildren ? xcalloc(c->nchildren, sizeof(*c->child_people)) : NULL;
    for (size_t i = 0; i < c->nchildren && st == ST_OK; i++)
        st = billing_people_read(c->req, c->children[i].id, &c->child_people[i]);
    if (st == ST_OK && c->nchildren) {
        unsigned long long *ids = xcalloc(c->nchildren, sizeof(*ids));
        for (size_t i = 0; i < c->nchildren; i++)
            ids[i] = c->children[i].id;
        st = role_holders_read(c->req->session->ldap, c->id, ids, c->nchildren,
                               operator_account_id(c->req), &c->holders);
        free(ids);
    }
    return st;
}

/* What a child is of its parent, for parent-closed's {{relation}}. */
static const char *child_relation(const char *kind)
{
    if (strcmp(kind, "customer") == 0)
        return "a customer";
    if (strcmp(kind, "partner") == 0)
        return "a reseller";
    return "a child account";
}

/* Inside the transaction: parent-closed to each open child read before
 * (ST_CONFLICT with stale set when the children are others now), as the
 * transaction reads it (with its relation and pending invitations). */
static int mail_children(struct sql_store *sql, struct closing *c, const char *parent_name,
                         const char *parent_url, const char *parent_ends)
{
    struct open_child *now;
    size_t n;
    unsigned long total;
    int st = account_open_children(sql, c->id, CLOSE_CHILDREN_TOLD, 1, &now, &n, &total);
    if (st != ST_OK)
        return st;
    int same = n == c->nchildren && total == c->open_children;
    for (size_t i = 0; i < n && same; i++)
        same = now[i].id == c->children[i].id;
    if (!same) {
        account_open_children_free(now, n);
        c->stale = 1;
        return ST_CONFLICT;
    }
    /* The same children: the mails are written from this read, whose
     * relations and pending invitations are those the close commits
     * with (one accepted or a relation ended since the read before is
     * told as it stands). */
    account_open_children_free(c->children, c->nchildren);
    c->children = now;
    char parent_id[24];
    snprintf(parent_id, sizeof(parent_id), "%llu", c->id);
    /* The closed parent's own live storefront (parent_url, NULL: none;
     * parent_ends, NULL: no subscription keeps it live; read by
     * closed_reads), which runs to its term end, and the children whose
     * people it still admits as its customers (round-23 walkthrough of
     * seed 002, D3): {{parent_storefront}}, a line left out for the
     * others. One statement, only when it has one. */
    unsigned long long *admitted = NULL;
    size_t nadmitted = 0, next_admitted = 0;
    if (parent_url)
        st = storefronts_store_children_admitted(sql, c->id, &admitted, &nadmitted);
    struct buf parent_sf = BUF_INIT;
    if (st == ST_OK && parent_url) {
        if (parent_ends)
            buf_printf(&parent_sf, "%s until %s, when its subscription ends", parent_url,
                       parent_ends);
        else
            buf_printf(&parent_sf, "%s while its subscription runs", parent_url);
    }
    /* Named as who closed the parent, which was open when they did:
     * "Dina Disti of Cloud Disti" (mail_actor_name_closing); the same for
     * every child, read once. */
    char *closed_by = NULL;
    if (st == ST_OK && c->nchildren)
        st = mail_actor_name_closing(sql, &c->req->caller, c->id, &closed_by);
    for (size_t i = 0; i < c->nchildren && st == ST_OK; i++) {
        struct open_child *ch = &c->children[i];
        /* Both lists ascend by id. */
        while (next_admitted < nadmitted && admitted[next_admitted] < ch->id)
            next_admitted++;
        int at_parent = next_admitted < nadmitted && admitted[next_admitted] == ch->id;
        /* The storefront line only for a live storefront. */
        json_t *sf = storefront_overview_json(ch->storefront, c->req->cfg->storefront_host);
        const char *status = json_string_value(json_object_get(sf, "status"));
        const char *url = status && strcmp(status, "active") == 0
                              ? json_string_value(json_object_get(sf, "url"))
                              : NULL;
        char id[24];
        snprintf(id, sizeof(id), "%llu", ch->id);
        /* Round-18 walkthrough of seed 001, D1 and D2: who of the parent
         * still holds roles in the child (a line left out when none), and
         * the back office's end and the storefront host only for a
         * distributor (a partner has neither). */
        /* Round-26 walkthrough of seed 003, D1: a holder's own copy
         * speaks to them, and a pending admin invitation of the child is
         * named instead of "make one of its own people an administrator". */
        struct buf holders = BUF_INIT;
        const char *held = role_holders_child_line(&holders, &c->holders, i, parent_name, ch->name,
                                                   SIZE_MAX, &ch->invitee);
        size_t nheld = held ? c->holders.of[i].n : 0;
        struct buf *own_text = nheld ? xcalloc(nheld, sizeof(*own_text)) : NULL;
        struct reader_value *own = nheld ? xcalloc(nheld, sizeof(*own)) : NULL;
        size_t nown = 0;
        for (size_t k = 0; k < nheld; k++) {
            const char *mail = role_holders_child_mail(&c->holders, i, k);
            if (!mail)
                continue;
            own[nown].mail = mail;
            own[nown].name = "parent_people";
            own[nown].value = role_holders_child_line(&own_text[k], &c->holders, i, parent_name,
                                                      ch->name, k, &ch->invitee);
            nown++;
        }
        /* Round-26 walkthrough of seed 003, D2: a customer is called the
         * parent's customer only while their relation is active; else
         * the child was created under it. */
        struct buf tie = BUF_INIT;
        if (strcmp(ch->kind, "customer") != 0 || ch->related)
            buf_printf(&tie, "which %s (account %s) is %s of", ch->name, id,
                       child_relation(ch->kind));
        else
            buf_printf(&tie, "under which %s (account %s) was created", ch->name, id);
        struct template_value vals[] = {
            {"account_name", ch->name},
            {"account_id", id},
            {"parent_name", parent_name},
            {"parent_id", parent_id},
            {"relation", child_relation(ch->kind)},
            {"closed_by", closed_by},
            {"storefront_url", url ? url : TEMPLATE_OMIT_LINE},
            {"distributor_name", c->distributor ? parent_name : TEMPLATE_OMIT_LINE},
            {"parent_people", held ? held : TEMPLATE_OMIT_LINE},
            {"parent_storefront", at_parent ? buf_str(&parent_sf) : TEMPLATE_OMIT_LINE},
            {"parent_relation", buf_str(&tie)},
        };
        st = billing_notify_queue_readers(sql, ch->id, "parent-closed", &c->child_people[i], vals,
                                          11, own, nown);
        for (size_t k = 0; k < nheld; k++)
            buf_free(&own_text[k]);
        free(own_text);
        free(own);
        buf_free(&tie);
        buf_free(&holders);
        json_decref(sf);
    }
    free(closed_by);
    buf_free(&parent_sf);
    free(admitted);
    return st;
}

/* account-closed: to the named contacts (else the admins) and the
 * notification recipients, in the close's transaction. */
static int mail_closed(struct sql_store *sql, struct closing *c)
{
    const char *name = c->name, *own_url = c->own_url, *own_ends = c->own_ends,
               *own_plan = c->own_plan;
    char id[24], kept[320];
    snprintf(id, sizeof(id), "%llu", c->id);
    char when[32];
    int kept_known = kept_until(c->req, time(NULL), when) == 0;
    if (kept_known)
        snprintf(kept, sizeof(kept),
                 "It is kept until %s: then its people's roles, contacts, recipients, properties "
                 "and projects are deleted; its invoices and audit trail stay.",
                 when);
    else
        snprintf(kept, sizeof(kept), "It is kept with its people's roles and settings.");
    /* Who closed it, with the organization they act for when they are no
     * person of the account, as the billing mails name them (mail_names.h;
     * round-15 walkthrough of seed 002, D4: a distributor's person who
     * closed a reseller was named without "of <distributor>"). */
    char *closed_by = NULL;
    int st = mail_actor_name(sql, &c->req->caller, c->id, &closed_by);
    if (st != ST_OK)
        return st;
    /* How many child accounts stay open (round-16 walkthrough of seed
     * 002, D1): a line left out when none. */
    struct buf children = BUF_INIT;
    const char *line = role_holders_open_children_line(&children, &c->holders, c->open_children,
                                                       c->nchildren, c->distributor);
    /* A distributor's people lose the sign-in by their roles here at its
     * resellers' live storefronts (round-23 walkthrough of seed 002, D1):
     * named from the children read, no statement more. */
    if (line && c->distributor) {
        json_t *live = json_array();
        for (size_t i = 0; i < c->nchildren; i++) {
            json_t *sf =
                storefront_overview_json(c->children[i].storefront, c->req->cfg->storefront_host);
            const char *status = json_string_value(json_object_get(sf, "status"));
            const char *url = json_string_value(json_object_get(sf, "url"));
            const char *under = json_string_value(json_object_get(sf, "distributor_id"));
            if (status && url && under && strcmp(status, "active") == 0 &&
                strtoull(under, NULL, 10) == c->id)
                json_array_append_new(
                    live, json_pack("{s:s, s:s}", "name", c->children[i].name, "url", url));
            json_decref(sf);
        }
        struct buf named = BUF_INIT;
        const char *at = storefronts_named(&named, live);
        if (at) {
            int one = json_array_size(live) == 1;
            buf_printf(&children,
                       " By their roles in this account, its people can no longer sign in at %s, "
                       "nor at the storefronts below %s; roles they hold in a reseller or in its "
                       "customers still admit them there.",
                       at, one ? "it" : "them");
            line = buf_str(&children);
        }
        buf_free(&named);
        json_decref(live);
    }
    /* Its customer relations with organizations that are not its
     * children, which the close ended (round-27 walkthrough of seed 003,
     * D1): a sentence on the same line (line, when set, is children's). */
    if (c->ended_customers) {
        if (line)
            buf_adds(&children, " ");
        if (c->ended_customers == 1)
            buf_adds(&children, "Its customer relation with 1 organization that is not its child "
                                "account ended; its administrators were told.");
        else
            buf_printf(&children,
                       "Its customer relations with %zu organizations that are not its child "
                       "accounts ended; their administrators were told.",
                       c->ended_customers);
        line = buf_str(&children);
    }
    /* Its own live storefront (a reseller closed while its plan is
     * pending cancellation) runs on to the term end, sign-in included,
     * and no order of the closed account brings it back after that, as
     * the cancellation mail offered (round-25 walkthrough of seed 002,
     * D2): a line after {{kept}}'s, in that value; one statement. */
    struct buf kept_line = BUF_INIT;
    buf_printf(&kept_line, "%s", kept);
    if (own_url) {
        buf_printf(&kept_line, "\nIts storefront at %s keeps working, sign-in included, ", own_url);
        if (own_ends)
            buf_printf(&kept_line, "until %s, when its %s subscription ends", own_ends,
                       own_plan ? own_plan : "");
        else
            buf_printf(&kept_line, "while its subscription runs");
        buf_printf(&kept_line, "; since the account is closed, it can order nothing, so no order "
                               "brings the storefront back after that, although its alias and "
                               "settings are kept for a time.");
    }
    /* The storefronts its people signed in at as a reseller's customer
     * (round-19 walkthrough of seed 002, D2): a line left out when none. */
    json_t *storefronts = NULL;
    st = storefronts_store_of_customer(sql, c->req->cfg->storefront_host, c->id, 0,
                                       STOREFRONTS_NAMED + 1, &storefronts);
    struct buf sf_line = BUF_INIT;
    const char *sf = st == ST_OK ? storefronts_named(&sf_line, storefronts) : NULL;
    struct template_value vals[] = {
        {"account_name", name},
        {"account_id", id},
        {"closed_by", closed_by},
        {"kept", buf_str(&kept_line)},
        {"open_children", line ? line : TEMPLATE_OMIT_LINE},
        {"storefronts", sf ? sf : TEMPLATE_OMIT_LINE},
    };
    /* The closer's own copy says "You closed …" (round-25 walkthrough of
     * seed 001, D2: she read her own name and organization as if someone
     * else had acted); other readers' copies are unchanged. */
    struct reader_value own[] = {{c->req->caller.mail, "closed_by", "You"}};
    size_t nown = c->req->caller.mail && *c->req->caller.mail ? 1 : 0;
    if (st == ST_OK)
        st = billing_notify_queue_readers_to(sql, c->id, "account-closed", &c->people, c->rcpt,
                                             c->nrcpt, vals, 6, own, nown);
    /* Its project-only people: their projects close with it. */
    if (st == ST_OK)
        st = projects_mail_account_closed(sql, c->req, c->id, c->project_people, name, closed_by,
                                          kept_known ? when : NULL);
    json_decref(storefronts);
    buf_free(&sf_line);
    buf_free(&kept_line);
    buf_free(&children);
    if (st == ST_OK)
        st = mail_children(sql, c, name, own_url, own_ends);
    free(closed_by);
    return st;
}

static void closed_reads_free(struct closing *c)
{
    free(c->name);
    outbox_free_list(c->rcpt, c->nrcpt);
    free(c->own_url);
    free(c->own_ends);
    free(c->own_plan);
    c->name = c->own_url = c->own_ends = c->own_plan = NULL;
    c->rcpt = NULL;
    c->nrcpt = 0;
    c->related.closed_name = c->related.closed_url = NULL;
    c->related.closed_rcpt = NULL;
    c->related.nclosed_rcpt = 0;
}

/* The closed account's name, notification recipients and own live
 * storefront, once for all the close's mails (closed_reads_free). */
static int closed_reads(struct sql_store *sql, struct closing *c)
{
    int st = account_name_get(sql, c->id, &c->name);
    if (st == ST_OK)
        st = outbox_recipients(sql, c->id, &c->rcpt, &c->nrcpt);
    if (st == ST_OK)
        st = storefronts_store_own_live(sql, c->req->cfg->storefront_host, c->id, &c->own_url,
                                        &c->own_ends, &c->own_plan);
    c->related.closed_name = c->name;
    c->related.closed_rcpt = c->rcpt;
    c->related.nclosed_rcpt = c->nrcpt;
    c->related.closed_url = c->own_url;
    return st;
}

static int close_steps(struct sql_store *sql, struct closing *c)
{
    /* The status it had (active, staged, suspended) goes into the audit row. */
    char *old_status = NULL;
    /* A stale If-Match is 412 and closes nothing (round-8 walkthrough of
     * seed 000, D1). */
    int st = account_check_version(sql, c->id, c->if_match, &c->req->problem);
    if (st != ST_OK)
        return st;
    st = account_close(sql, c->id, &old_status);
    if (st == ST_NOT_FOUND)
        return ST_OK; /* gone or closed already */
    if (st == ST_CONFLICT)
        return refuse(c->req, 409, "change-in-progress",
                      "another change of this account is in progress (or waits for the repair "
                      "job); try again shortly");
    if (st != ST_OK)
        return st;
    /* An active subscription would run on for ever on a closed account
     * (which refuses cancel and renew), with its storefront open: it must
     * be cancelled first. A cancelled one (pending_cancellation) ends at
     * its term end, by `accountd maint`, closed account or not. The account
     * row is locked, so no order executes meanwhile. */
    long active;
    st = subscriptions_store_active_count(sql, c->id, &active);
    if (st == ST_OK && active > 0)
        st = refuse(c->req, 409, "conflict",
                    "the account has %ld active subscription(s): cancel them first (they end at "
                    "their term end), then close it",
                    active);
    if (st != ST_OK) {
        free(old_status);
        return st;
    }
    json_t *o = json_pack("{s:s}", "status", old_status),
           *n = json_pack("{s:s}", "status", "closed");
    free(old_status);
    st = audit_write(sql, c->req->caller.uid, c->id, "account.close", o, n);
    /* Its pending invitations end with it: their links answer 410 (round-6
     * walkthrough of seed 001; before, they stayed pending until the
     * retention purge and answered 409). */
    unsigned long long *revoked = NULL;
    size_t nrevoked = 0;
    if (st == ST_OK)
        st = invitations_revoke_all(sql, c->id, &revoked, &nrevoked);
    if (st == ST_OK)
        st = invitations_audit_revoked(sql, c->req->caller.uid, c->id, revoked, nrevoked,
                                       "the account was closed");
    free(revoked);
    /* And its draft orders: a closed account can neither execute nor
     * discard them (round-12 walkthrough of seed 001, D4). */
    unsigned long long *drafts = NULL;
    size_t ndrafts = 0;
    if (st == ST_OK)
        st = orders_store_discard_drafts(sql, c->id, c->req->caller.uid, &drafts, &ndrafts);
    for (size_t i = 0; st == ST_OK && i < ndrafts; i++)
        st = audit_write(
            sql, c->req->caller.uid, c->id, "order.discard",
            json_pack("{s:I, s:s}", "order_id", (json_int_t)drafts[i], "status", "draft"),
            json_pack("{s:I, s:s, s:s}", "order_id", (json_int_t)drafts[i], "status", "discarded",
                      "reason", "the account was closed"));
    free(drafts);
    if (st == ST_OK)
        st = relations_close_pending(sql, &c->req->caller, c->id, &c->related);
    if (st == ST_OK)
        st = closed_reads(sql, c);
    /* Its relations with customers outside it end before account-closed,
     * which counts them. */
    if (st == ST_OK)
        st = relations_close_customers(sql, &c->req->caller, c->id, &c->related,
                                       &c->ended_customers);
    /* account-closed first: its {{storefronts}} line reads the
     * storefronts the customer's active relations admitted it at. */
    if (st == ST_OK)
        st = mail_closed(sql, c);
    if (st == ST_OK)
        st = relations_close_active(sql, &c->req->caller, c->id, &c->related);
    closed_reads_free(c);
    return st;
}

/* The mails the close queues (account-closed, parent-closed to its
 * children, the relations' mails) still take the closing account's own
 * overrides and extra recipients, as they were at the close; from its
 * commit on they no longer decide the mails below it (outbox_closing;
 * round-24 walkthrough of seed 002, D1). */
static int close_tx(struct sql_store *sql, void *arg)
{
    struct closing *c = arg;
    outbox_closing(c->id);
    int st = close_steps(sql, c);
    outbox_closing(0);
    return st;
}

void accounts_close(struct request *req)
{
    struct account_ref a = req->account;
    static const char *const allowed[] = {"_version", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    if (body_failed(req))
        return;
    long long im = body_expected_version(req, b, a.id);
    if (im < 0)
        return;
    if (strcmp(a.kind, "operator") == 0) {
        refuse(req, 409, "conflict", "the operator account cannot be closed");
        return;
    }
    /* A staged account is the provider's until its hand-over: closing it
     * ends the preparation and withdraws a pending hand-over, so the
     * customer's admin the partner added while staging gets the 403 of
     * the hand-over's steps (round-25 walkthrough of seed 000, D1; no
     * read but on that refusal and for a parentless account). */
    if (transfer_staged_not_provider_side(req, &a)) {
        transfer_refuse_close_not_provider_side(req, &a);
        return;
    }
    struct closing c = {.req = req,
                        .id = a.id,
                        .if_match = (unsigned long long)im,
                        .distributor = strcmp(a.kind, "distributor") == 0};
    /* Who is told (LDAP: before the transaction). */
    int st = billing_people_read(req, a.id, &c.people);
    if (st == ST_OK)
        st = relations_closing_read(req, a.id, &c.related);
    if (st == ST_OK)
        c.project_people = projects_closing_people(req, a.id, &st);
    /* Who reads account-closed is not told again by relation-ended (a
     * partner's admin who is an admin of its customer too). */
    c.related.closed_readers = &c.people;
    /* Its open children and their readers: when the transaction finds
     * others (one created or closed meanwhile), it rolls back and they
     * are read again (bounded), as a storefront host change does. */
    for (int attempt = 0; attempt < 3 && st == ST_OK; attempt++) {
        c.stale = 0;
        st = closing_children_read(&c);
        if (st == ST_OK)
            st = request_transaction(req, close_tx, &c);
        if (!(st == ST_CONFLICT && c.stale))
            break;
        if (attempt < 2)
            st = ST_OK;
    }
    billing_people_free(&c.people);
    relations_closing_free(&c.related);
    closing_children_free(&c);
    json_decref(c.project_people);
    if (st == ST_CONFLICT && c.stale) {
        res_unavailable(req, "the account's child accounts (they changed while it was closed)");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_empty(req, 204);
}
