/*
 * storefronts: the public lookups a storefront makes before anyone signs
 * in (GET /storefronts/{alias}, /storefront-aliases/{alias}), and the
 * storefront's gate in GET /auth (X-Original-URI under /<alias>): no
 * sign-in at the storefront of a cancelled subscription, nor by anyone who
 * is none of its reseller's, its customers' or its distributor's people.
 */
#include "storefronts.h"

#include "audit.h"
#include "account_store.h"
#include "billing.h"
#include "billing_notify.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "config.h"
#include "handlers.h"
#include "log.h"
#include "mail_names.h"
#include "providers_store.h"
#include "sql_store.h"
#include "storefronts_store.h"
#include "validate.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ?distributor_id= (0 when absent); -1 with a 422 recorded if malformed. */
static long long query_distributor(struct request *req)
{
    json_t *v = json_object_get(req->query, "distributor_id");
    if (!v)
        return 0;
    unsigned long long id = json_is_string(v) ? parse_id(json_string_value(v)) : 0;
    if (!id) {
        res_field_error(req, "distributor_id", "must be an account id");
        return -1;
    }
    return (long long)id;
}

/* ?host= (the storefront host a page is served under, as its URL shows
 * it): its key in storefronts.host, lower case, "" for the configured host;
 * NULL when absent. A storefront page knows its host, not its
 * distributor's id (round-9 walkthrough of seed 002, D2). */
static const char *query_host(struct request *req, char key[300])
{
    const char *given = query_str(req, "host");
    if (!given)
        return NULL;
    /* Trimmed as a pasted alias is (round-18 walkthrough of seed 002, D3). */
    char *host = text_trimmed(given);
    char lower[300];
    int fits = text_lower_ascii(host, strlen(host), lower, sizeof(lower)) == 0;
    free(host);
    if (!fits) {
        /* What storefront_host_check says of a long one (round-19
         * walkthrough of seed 001, D1: a bare "is too long" named no
         * limit). */
        res_field_error(req, "host", "must be a host name of 1 to 253 characters");
        return NULL;
    }
    const char *why = storefront_host_check(lower);
    if (why) {
        res_field_error(req, "host", why);
        return NULL;
    }
    snprintf(key, 300, "%s", strcasecmp(lower, req->cfg->storefront_host) == 0 ? "" : lower);
    return key;
}

/* The alias of the path in lower case, as the sign-in compares it
 * (round-14 walkthrough of seed 002, D3: /storefronts/T14S002-BETA was a
 * 422 while the sign-in took /T14S002-BETA/ as that storefront). */
static int read_lookup(struct request *req, long long *distributor, int *reserved,
                       const char **host_key, char key[300], char alias[STOREFRONT_ALIAS_SIZE])
{
    static const char *const known[] = {"distributor_id", "host", NULL};
    body_only(req, req->query, NULL, known);
    *distributor = query_distributor(req);
    *host_key = query_host(req, key);
    /* The path's alias without the white space a pasted one brings
     * ("/storefront-aliases/%20t18s002-mike%20"; round-18 walkthrough of
     * seed 002, D3), then lowered: storefront_segment_alias, as the
     * sign-in gate reads a page's alias (round-19 walkthrough of seed 002,
     * D1). One too long to fit is cut, and still too long to be valid. */
    storefront_segment_alias(req->args[0], strlen(req->args[0]), alias, STOREFRONT_ALIAS_SIZE);
    const char *why = storefront_alias_check(alias, reserved);
    if (why && !*reserved)
        res_field_error(req, "alias", why);
    if (body_none(req))
        return -1;
    /* A host no distributor serves (a typo, a www. in front) is 404, not
     * "every alias is free" (round-10 walkthrough of seed 002, D1). */
    if (*host_key && **host_key) {
        int served = 0;
        int st = storefronts_store_host_served(req->session->sql, *host_key, &served);
        if (st != ST_OK) {
            res_store_failure(req, st, "the database");
            return -1;
        }
        if (!served) {
            refuse(req, 404, "not-found",
                   "no distributor serves storefronts at this host; give the host of the "
                   "storefront's URL");
            return -1;
        }
    }
    if (*distributor <= 0)
        return 0;
    /* The distributor whose host the URL is under, found as an order finds
     * it: a reseller's (or its customer's) id means its nearest
     * distributor; an id that is no account, or has no distributor above
     * it, is 404 (round-3 walkthrough of seed 002). */
    unsigned long long resolved;
    int st = storefronts_store_resolve_distributor(req->session->sql,
                                                   (unsigned long long)*distributor, &resolved);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found",
               "no such distributor: distributor_id names no distributor nor an account "
               "under one");
        return -1;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return -1;
    }
    *distributor = (long long)resolved;
    /* Both given: they must name one host, else the answer would be about
     * neither (same walkthrough). */
    if (*host_key) {
        json_t *own = NULL;
        st = storefronts_store_host(req->session->sql, resolved, &own);
        if (st != ST_OK) {
            res_store_failure(req, st, "the database");
            return -1;
        }
        const char *h = json_string_value(own);
        int same = h ? strcasecmp(h, *host_key) == 0 : **host_key == '\0';
        json_decref(own);
        if (!same) {
            res_field_error(req, "host",
                            "is not the storefront host of distributor_id's distributor");
            res_fail_if_errors(req);
            return -1;
        }
    }
    return 0;
}

void storefronts_get(struct request *req)
{
    long long distributor;
    int reserved;
    const char *host_key;
    char key[300], alias[STOREFRONT_ALIAS_SIZE];
    if (read_lookup(req, &distributor, &reserved, &host_key, key, alias) < 0)
        return;
    json_t *sf = NULL;
    /* A shop page name is looked up: a storefront that had it before it
     * was reserved keeps it (round-26 walkthrough of seed 002, D2). */
    int st = reserved == STOREFRONT_ALIAS_RESERVED
                 ? ST_NOT_FOUND
                 : storefronts_store_by_alias(req->session->sql, req->cfg->storefront_host, alias,
                                              (unsigned long long)distributor, host_key, &sf);
    if (st == ST_NOT_FOUND)
        refuse(req, 404, "not-found", "no storefront has this alias");
    else if (st == ST_CONFLICT)
        refuse(req, 409, "conflict",
               "several distributors have a storefront with this alias; ask with "
               "?host= (the storefront's host) or ?distributor_id=");
    else if (st != ST_OK)
        res_store_failure(req, st, "the database");
    else
        res_json(req, 200, sf);
}

void storefront_aliases_get(struct request *req)
{
    long long distributor;
    int reserved;
    const char *host_key;
    char key[300], alias[STOREFRONT_ALIAS_SIZE];
    if (read_lookup(req, &distributor, &reserved, &host_key, key, alias) < 0)
        return;
    int available = 0;
    int st = reserved ? ST_OK
                      : storefronts_store_available(req->session->sql, alias,
                                                    (unsigned long long)distributor, host_key,
                                                    &available);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_json(req, 200,
             json_pack("{s:s, s:b, s:s?}", "alias", alias, "available", available, "reason",
                       available  ? NULL
                       : reserved ? "reserved"
                                  : "taken"));
}

/* The caller's accounts as a JSON array for storefronts_store_sign_in:
 * every account they hold a role in, and the account of every project
 * they hold a role in (a project's people are people of its account). */
static char *caller_accounts_json(const struct request *req)
{
    const struct caller *c = &req->caller;
    unsigned long long *ids = xcalloc(c->ngrants + c->nprojects + 1, sizeof(*ids));
    size_t n = 0;
    for (size_t i = 0; i < c->ngrants; i++)
        ids[n++] = c->grants[i].account_id;
    for (size_t i = 0; i < c->nprojects; i++)
        ids[n++] = c->projects[i].account_id;
    char *json = sql_ids_json(ids, n);
    free(ids);
    return json;
}

/* Does row admit the caller? Its account counts unless the caller is only
 * a service provider there and that access has expired (service_provider_
 * access; before accountd maint takes the role away). */
static int sign_in_admits(const struct request *req, const struct storefront_sign_in *row)
{
    if (!row->via || row->via_closed_distributor)
        return 0;
    unsigned roles = caller_roles(req, row->via);
    if (roles == ROLE_SERVICE_PROVIDER && !caller_in_projects_of(req, row->via))
        return !provider_expiry_passed(row->via_sp_expires_at);
    return 1;
}

/* The shop page names storefronts hold (bit i: storefront_shop_pages()[i]),
 * replaced whole by storefront_shop_pages_read; all of them until it has
 * read the set. */
static _Atomic uint64_t shop_pages_held = UINT64_MAX;

void storefront_shop_pages_read(const struct config *cfg)
{
    json_t *names = json_array();
    for (const char *const *p = storefront_shop_pages(); *p; p++)
        json_array_append_new(names, json_string(*p));
    char *text = json_dumps(names, JSON_COMPACT);
    json_decref(names);
    struct sql_store *sql = sql_store_new(cfg);
    char **held = NULL;
    size_t n = 0;
    int st = storefronts_store_shop_page_holders(sql, text, &held, &n);
    sql_store_free(sql);
    free(text);
    if (st != ST_OK) {
        log_warn("storefronts: the shop page names storefronts hold were not read (status %d); "
                 "the gate keeps the set it had",
                 st);
        return;
    }
    uint64_t set = 0;
    for (size_t i = 0; i < n; i++) {
        int k = storefront_shop_page_index(held[i]);
        if (k >= 0)
            set |= UINT64_C(1) << k;
        free(held[i]);
    }
    free(held);
    atomic_store(&shop_pages_held, set);
}

/* Whether a page's first segment is an alias (not /api/..., /static/...).
 * A shop page name (/basket/) is only where a storefront holds it: no new
 * storefront takes one, but one that had it before it was reserved is
 * still gated (round-26 walkthrough of seed 002, D2). The others, the
 * busiest pages of a storefront host, read nothing (the set read at
 * start-up, storefront_shop_pages_read). */
static int is_alias(const char *alias)
{
    int reserved;
    if (storefront_alias_check(alias, &reserved) == NULL)
        return 1;
    int k = reserved == STOREFRONT_ALIAS_SHOP_PAGE ? storefront_shop_page_index(alias) : -1;
    return k >= 0 && (atomic_load(&shop_pages_held) >> k & 1);
}

/* The gate for the storefronts the aliases name under host (the page's
 * readings, storefront_uri_aliases): 1 (refused, the problem set) or 0 (no
 * storefront there, or the caller is admitted at every one). */
static int gate_refuses(struct request *req, const char *host, const char *const *aliases,
                        size_t naliases)
{
    /* Who may sign in there (round-18 walkthrough of seed 002, D1: any
     * person of any tenant did): the caller's roles from the directory
     * cache (caller_require; LDAP only while the cache cannot answer),
     * then one statement for the storefronts and the caller's place. */
    if (caller_require(req) < 0)
        return 1;
    char *accounts = caller_accounts_json(req);
    struct storefront_sign_in *rows = NULL;
    size_t n = 0;
    int st = storefronts_store_sign_in(req->session->sql, req->cfg->storefront_host, host, aliases,
                                       naliases, req->caller.uid, accounts, &rows, &n);
    free(accounts);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return 1;
    }
    /* Per storefront (the rows of one are gathered on its first row):
     * admitted by any of the caller's accounts, or only through a closed
     * distributor. */
    int cancelled = 0, refused = 0, closed_distributor = 0;
    int *admitted = xcalloc(n + 1, sizeof(*admitted));
    int *closed = xcalloc(n + 1, sizeof(*closed));
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (rows[k].storefront_id != rows[i].storefront_id)
            k++;
        cancelled |= !rows[i].active;
        admitted[k] |= req->caller.is_operator || sign_in_admits(req, &rows[i]);
        closed[k] |= rows[i].via_closed_distributor;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (rows[k].storefront_id != rows[i].storefront_id)
            k++;
        if (k == i && !admitted[k]) {
            refused = 1;
            closed_distributor |= closed[k];
        }
    }
    free(admitted);
    free(closed);
    storefront_sign_in_free(rows, n);
    /* A storefront whose subscription ended refuses everybody, the
     * reseller and its sub-customers alike. */
    if (cancelled) {
        refuse(req, 403, "forbidden",
               "this storefront's subscription is cancelled: nobody can sign in here");
        return 1;
    }
    /* A role in the storefront's distributor counts only while the
     * distributor is not closed (round-22 walkthrough of seed 002, D1: its
     * people kept signing in at every former reseller's storefront, while
     * the resellers' parent-closed mail says they no longer act for
     * them); roles they hold in the reseller or its customers still
     * count. */
    if (refused && closed_distributor) {
        refuse(req, 403, "forbidden",
               "you cannot sign in at this storefront: your role in its distributor no longer "
               "admits you, since the distributor is closed");
        return 1;
    }
    /* No storefront there (no rows): not a storefront page, as before. */
    if (refused) {
        refuse(req, 403, "forbidden",
               "you cannot sign in at this storefront: it is for the people of its reseller, "
               "of the reseller's customers and of its distributor");
        return 1;
    }
    return 0;
}

static int same_host_name(const char *a, const char *b);

int storefront_login_refused(struct request *req)
{
    const char *uri = request_param(req, "HTTP_X_ORIGINAL_URI");
    const char *given = request_param(req, "HTTP_HOST");
    if (!uri || uri[0] != '/' || !given || !*given)
        return 0;
    /* The host read once, as the site's hosts and the default one are
     * (config_host_name: port, case and a trailing dot dropped), for every
     * test below: "shop.example." is the host nginx serves as
     * shop.example, whether or not HTTP_HOST is its $host (review of
     * round 26). None (empty, or longer than any host name): no
     * storefront's. */
    char host[CONFIG_HOST_NAME_SIZE];
    if (!config_host_name(given, strlen(given), host, sizeof(host)))
        return 0;
    /* The site's own host is no storefront host, unless the config makes
     * it the default one: a distributor that took it before that was
     * refused gates none of the site's pages (round-26 walkthrough of
     * seed 002, D1). In memory, no statement. */
    if (config_is_site_host(req->cfg, host) && !same_host_name(host, req->cfg->storefront_host))
        return 0;
    /* The first path segment of the page nginx serves: X-Original-URI is
     * the raw $request_uri (a subrequest's $uri is its own), so
     * "//alias/", "/%61lias/", "/x/../alias/" or "/ALIAS/" are decoded and
     * normalised first (round-3 walkthrough of seed 002), and the segment
     * is read as the public lookups read a path's alias, white space
     * around it dropped ("/%20alias/", "/alias%09/": round-19 walkthrough
     * of seed 002, D1), so whatever they resolve to a storefront is gated
     * as that storefront. A page a storefront application that takes
     * ";params" off each segment (matrix parameters, as servlet
     * containers do) would serve as a storefront's is gated as that
     * storefront too: "/alias;x/" (round-25 walkthrough of seed 002,
     * security note), and so is one IIS or ASP.NET would serve as a
     * storefront's, '\' (or %5C) read as '/' and a segment's trailing dots
     * and spaces dropped: "/alias\x", "/alias./" (round-27 walkthrough of
     * seed 002, D1). storefront_uri_aliases gives every alias these
     * readings name; they are gated in one statement, and when they name
     * several storefronts, the caller must be admitted at each. */
    _Static_assert(STOREFRONT_URI_READINGS <= STOREFRONT_SIGN_IN_ALIASES,
                   "every reading's alias fits the one sign-in statement");
    char names[STOREFRONT_URI_READINGS][STOREFRONT_ALIAS_SIZE];
    const char *aliases[STOREFRONT_URI_READINGS];
    size_t nread = storefront_uri_aliases(uri, names), n = 0;
    for (size_t i = 0; i < nread; i++)
        if (is_alias(names[i]))
            aliases[n++] = names[i];
    return n && gate_refuses(req, host, aliases, n);
}

/* ---- a distributor's storefront host --------------------------------- */

/* What a reseller with a live storefront is told when its URL moves
 * with the host (round-14 walkthrough of seed 002, D1): its readers,
 * read from LDAP before the transaction (billing_notify.h). */
struct host_reader {
    unsigned long long account_id;
    struct billing_people people;
};

struct host_change {
    struct request *req;
    const char *host;
    /* Read before the transaction: the effective host then, and the
     * readers of each live storefront when it changes. */
    char *host_before; /* malloc'ed; NULL: the config's */
    struct host_reader *readers;
    size_t nreaders;
    int stale; /* the transaction found other storefronts than were read */
};

/* The effective host: the distributor's own, else the config's. */
static const char *effective_host(const struct request *req, const char *own)
{
    return own && *own ? own : req->cfg->storefront_host;
}

static void host_readers_free(struct host_change *h)
{
    for (size_t i = 0; i < h->nreaders; i++)
        billing_people_free(&h->readers[i].people);
    free(h->readers);
    h->readers = NULL;
    h->nreaders = 0;
    free(h->host_before);
    h->host_before = NULL;
}

/* Before the transaction (no row lock across LDAP): when the PUT changes
 * the effective host, the live storefronts (one statement) and each
 * reseller's readers, as storefront-welcome reads them. */
static int host_readers_read(struct host_change *h)
{
    struct request *req = h->req;
    json_t *own = NULL;
    int st = storefronts_store_host(req->session->sql, req->account.id, &own);
    if (st != ST_OK)
        return st;
    const char *o = json_string_value(own);
    h->host_before = o ? xstrdup(o) : NULL;
    json_decref(own);
    if (strcasecmp(effective_host(req, h->host_before), effective_host(req, h->host)) == 0)
        return ST_OK;
    struct storefront_reseller *list;
    size_t n;
    st = storefronts_store_live_of_distributor(req->session->sql, req->account.id, &list, &n);
    if (st != ST_OK)
        return st;
    h->readers = n ? xcalloc(n, sizeof(*h->readers)) : NULL;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        h->readers[i].account_id = list[i].account_id;
        st = billing_people_read(req, list[i].account_id, &h->readers[i].people);
        h->nreaders = i + 1;
    }
    storefront_resellers_free(list, n);
    return st;
}

/* Inside the transaction: each live storefront's reseller gets an audit
 * row storefront.url on its own account and storefront-url-changed, as
 * the storefront-welcome goes (billing_notify_queue: its contacts, else
 * admins, its recipients and the template's extra recipients). */
static int host_tell_resellers(struct sql_store *sql, struct host_change *h, const char *old_host)
{
    struct request *req = h->req;
    const char *before = effective_host(req, old_host), *after = effective_host(req, h->host);
    if (strcasecmp(before, after) == 0)
        return ST_OK;
    struct storefront_reseller *list;
    size_t n;
    int st = storefronts_store_live_of_distributor(sql, req->account.id, &list, &n);
    if (st != ST_OK)
        return st;
    /* Read for other storefronts than these (one came or went meanwhile,
     * or the host changed after the read): read again. */
    int same = n == h->nreaders;
    for (size_t i = 0; i < n && same; i++)
        same = list[i].account_id == h->readers[i].account_id;
    if (!same) {
        storefront_resellers_free(list, n);
        h->stale = 1;
        return ST_CONFLICT;
    }
    char *partner_name = NULL, *by = NULL;
    if (n)
        st = account_name_get(sql, req->account.id, &partner_name);
    /* Who changed it, as invitations and billing mails name them, for
     * the distributor whose host it is (mail_actor_name_for): "Dina Disti
     * of <distributor>", operator staff "on behalf of <distributor>", for
     * every reseller alike; a sub-reseller's parent did nothing (round-20
     * walkthrough of seed 002, D1: it was named, as the reader's parent). */
    if (n && st == ST_OK)
        st = mail_actor_name_for(sql, &req->caller, req->account.id, &by);
    struct buf old_url = BUF_INIT, new_url = BUF_INIT;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        buf_reset(&old_url);
        buf_reset(&new_url);
        buf_printf(&old_url, "https://%s/%s", before, list[i].alias);
        buf_printf(&new_url, "https://%s/%s", after, list[i].alias);
        st = audit_write(sql, req->caller.uid, list[i].account_id, "storefront.url",
                         json_pack("{s:s, s:s}", "alias", list[i].alias, "url", buf_str(&old_url)),
                         json_pack("{s:s, s:s, s:I}", "alias", list[i].alias, "url",
                                   buf_str(&new_url), "distributor_id",
                                   (json_int_t)req->account.id));
        struct template_value vals[] = {
            {"account_name", list[i].account_name},
            {"old_url", buf_str(&old_url)},
            {"new_url", buf_str(&new_url)},
            {"partner_name", partner_name ? partner_name : ""},
            {"changed_by", by},
        };
        if (st == ST_OK)
            st = billing_notify_queue(sql, list[i].account_id, "storefront-url-changed",
                                      &h->readers[i].people, vals, 5);
    }
    buf_free(&old_url);
    buf_free(&new_url);
    free(partner_name);
    free(by);
    storefront_resellers_free(list, n);
    return st;
}

static int host_tx(struct sql_store *sql, void *arg)
{
    struct host_change *h = arg;
    char *old;
    h->stale = 0;
    int st = storefronts_store_set_host(sql, h->req->account.id, h->host, &old);
    /* The host it has (the PUT lowers it, and stored hosts are lower case)
     * is no change: no audit row, as for order.alias (round-21 walkthrough
     * of seed 002, D2: every re-typed host wrote old = new). */
    int same = strcmp(old ? old : "", h->host ? h->host : "") == 0;
    if (st == ST_OK && !same)
        st = audit_write(sql, h->req->caller.uid, h->req->account.id, "storefront.host",
                         json_pack("{s:s?}", "storefront_host", old),
                         json_pack("{s:s?}", "storefront_host", h->host));
    if (st == ST_OK)
        st = host_tell_resellers(sql, h, old);
    free(old);
    return st;
}

static void respond_host(struct request *req, const char *own)
{
    res_json(req, 200,
             json_pack("{s:s?, s:s}", "storefront_host", own, "effective",
                       own ? own : req->cfg->storefront_host));
}

/* a and b name the same host, whatever their ports, case and a trailing
 * dot (config_host_name, as the sign-in gate reads the request's Host). */
static int same_host_name(const char *a, const char *b)
{
    char ha[CONFIG_HOST_NAME_SIZE], hb[CONFIG_HOST_NAME_SIZE];
    return config_host_name(a, strlen(a), ha, sizeof(ha)) &&
           config_host_name(b, strlen(b), hb, sizeof(hb)) && strcmp(ha, hb) == 0;
}

static int host_allowed(struct request *req)
{
    if (strcmp(req->account.kind, "distributor") == 0 || strcmp(req->account.kind, "operator") == 0)
        return 1;
    refuse(req, 409, "conflict", "only a distributor account has a storefront host");
    return 0;
}

/* The 409 of a host where another distributor's storefront has the alias
 * of one of this distributor's: which aliases and resellers clash (up to
 * five; round-16 walkthrough of seed 002, D2: the distributor had to look
 * every reseller's alias up). The same is public through GET
 * /storefronts/{alias}. */
static void refuse_host_clash(struct request *req, const char *host)
{
    struct storefront_reseller *list = NULL;
    size_t n = 0;
    struct buf which = BUF_INIT;
    if (storefronts_store_host_clashes(req->session->sql, req->account.id, host, 6, &list, &n) ==
            ST_OK &&
        n) {
        buf_printf(&which, ": ");
        for (size_t i = 0; i < n && i < 5; i++)
            buf_printf(&which, "%s'%s' (%s, account %llu)", i ? ", " : "", list[i].alias,
                       list[i].account_name, list[i].account_id);
        if (n > 5)
            buf_printf(&which, " and more");
    }
    storefront_resellers_free(list, n);
    refuse(req, 409, "conflict",
           "a storefront under that host already has the alias of one of this distributor's "
           "storefronts%s",
           buf_str(&which));
    buf_free(&which);
}

void storefront_host_put(struct request *req)
{
    static const char *const allowed[] = {"storefront_host", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct host_change h = {.req = req};
    /* Trimmed as a pasted alias is (round-18 walkthrough of seed 002, D3). */
    body_trim(b, "storefront_host");
    /* Stored in lower case, as an alias is: a host name is the same in any
     * case, and the lookups' ?host= and the sign-in gate take it so
     * (round-20 walkthrough of seed 002, D2: "Shop.Example" was a 422
     * "must be labels of a-z, …"). */
    body_lower(b, "storefront_host");
    /* Any length here: storefront_host_check names the limit of a host
     * name (253 characters; round-19 walkthrough of seed 001, D1). */
    h.host = body_str(req, b, NULL, "storefront_host", 0, ANY_LENGTH);
    const char *why = h.host ? storefront_host_check(h.host) : NULL;
    /* The config's host is shared by every distributor without its own:
     * "" names it (an alias is unique per host, and the config may change). */
    if (!why && h.host && *h.host && same_host_name(h.host, req->cfg->storefront_host))
        why = "is the default storefront host; send \"\" to use it";
    /* The site's own host (its links' and allowed origins' hosts, the
     * config's site_hosts): a reseller's alias there would put the site's
     * own pages behind the storefront gate, for every other tenant
     * (round-26 walkthrough of seed 002, D1). Port, case and a trailing
     * dot ignored (config_host_name), as the gate reads the request's
     * Host. */
    if (!why && h.host && *h.host && config_is_site_host(req->cfg, h.host))
        why = "is the host of this site (invitation links, allowed origins); a distributor's "
              "storefront needs a host of its own";
    if (why)
        res_field_error(req, "storefront_host", why);
    if (body_failed(req) || !host_allowed(req))
        return;
    /* The storefronts are read before the transaction; when it finds
     * others (an order executed meanwhile), it rolls back and they are
     * read again (bounded). */
    int st = ST_OK, read = ST_OK;
    for (int attempt = 0; attempt < 3; attempt++) {
        host_readers_free(&h);
        read = host_readers_read(&h);
        st = read == ST_OK ? request_transaction(req, host_tx, &h) : read;
        if (!(st == ST_CONFLICT && h.stale))
            break;
    }
    host_readers_free(&h);
    if (read != ST_OK) {
        res_store_failure(req, read, "the directory or the database");
        return;
    }
    if (st == ST_CONFLICT && h.stale) {
        res_unavailable(req, "the distributor's storefronts (they changed while the host did)");
        return;
    }
    if (st == ST_CONFLICT) {
        refuse(req, 409, "conflict",
               "another distributor has this storefront host: a host belongs to one "
               "distributor");
        return;
    }
    if (st == ST_DUPLICATE) {
        refuse_host_clash(req, h.host);
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    respond_host(req, h.host);
}

void storefront_host_get(struct request *req)
{
    if (body_none(req) || !host_allowed(req))
        return;
    json_t *sf;
    int st = storefronts_store_host(req->session->sql, req->account.id, &sf);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    respond_host(req, json_string_value(sf));
    json_decref(sf);
}

const char *storefront_alias_field(struct request *req, json_t *body)
{
    /* Pasted with spaces around it (" t18s002-mike "): trimmed as other
     * typed fields are (round-18 walkthrough of seed 002, D3: the 422
     * named the allowed characters, and the offending space is
     * invisible); a space inside is still refused. */
    body_trim(body, "storefront_alias");
    /* Stored in lower case: "TechSolutions" is techsolutions (round-14
     * walkthrough of seed 002, D3); the body keeps the lowered value, so
     * the draft, the audit rows and error_to's echo have it. */
    body_lower(body, "storefront_alias");
    /* Any length here: storefront_alias_check names the limit (3 to 63
     * characters; round-19 walkthrough of seed 001, D1). */
    const char *alias = body_str(req, body, NULL, "storefront_alias", 0, ANY_LENGTH);
    if (alias) {
        /* A shop page name is the claim's to judge: the account's own
         * storefront keeps it (storefront_alias_holder_check). */
        int reserved;
        const char *why = storefront_alias_check(alias, &reserved);
        if (why && reserved != STOREFRONT_ALIAS_SHOP_PAGE)
            res_field_error(req, "storefront_alias", why);
    }
    return alias;
}

int storefront_alias_holder_check(struct request *req, struct sql_store *sql,
                                  unsigned long long account_id, const char *alias,
                                  const char *own_alias, int taken_refused)
{
    if (!alias)
        return ST_OK;
    int reserved;
    const char *why = storefront_alias_check(alias, &reserved);
    int shop_page = why && reserved == STOREFRONT_ALIAS_SHOP_PAGE;
    /* The account's own storefront's alias is its own: nothing to read. */
    if ((!shop_page && !taken_refused) || (own_alias && strcmp(alias, own_alias) == 0))
        return ST_OK;
    /* The storefront that has it under the account's distributor's host,
     * active or cancelled (its alias kept through retention); none without
     * a distributor. */
    unsigned long long distributor = 0, holder = 0;
    int st = storefronts_store_distributor(sql, account_id, &distributor);
    if (st == ST_OK) {
        json_t *sf = NULL;
        st = storefronts_store_by_alias(sql, req->cfg->storefront_host, alias, distributor, NULL,
                                        &sf);
        if (st == ST_OK)
            holder = parse_id(json_string_value(json_object_get(sf, "account_id")));
        json_decref(sf);
    }
    if (st != ST_OK && st != ST_NOT_FOUND)
        return st;
    if (shop_page && holder != account_id) {
        res_field_error(req, "storefront_alias", why);
        return refuse_invalid(req);
    }
    if (taken_refused && holder && holder != account_id)
        return refuse_field(req, 409, "conflict", "storefront_alias",
                            "is taken; choose another one",
                            "the storefront alias '%s' is taken; choose another one", alias);
    return ST_OK;
}

const char *storefronts_named(struct buf *b, json_t *list)
{
    size_t n = json_array_size(list);
    if (!n)
        return NULL;
    int more = n > STOREFRONTS_NAMED;
    if (more)
        n = STOREFRONTS_NAMED;
    buf_adds(b, n == 1 ? "the storefront of " : "the storefronts of ");
    for (size_t i = 0; i < n; i++) {
        json_t *sf = json_array_get(list, i);
        if (i)
            buf_adds(b, i + 1 == n && !more ? " and " : ", ");
        buf_printf(b, "%s (%s)", json_string_value(json_object_get(sf, "name")),
                   json_string_value(json_object_get(sf, "url")));
    }
    if (more)
        buf_adds(b, " and others");
    return buf_str(b);
}
