/*
 * storefronts: the sign-in gate of a storefront, for auth.c, and the
 * storefront_alias field of the requests that name one.
 */
#ifndef ACCOUNTD_STOREFRONTS_H
#define ACCOUNTD_STOREFRONTS_H

#include "http.h"

struct config;
struct sql_store;

/* For GET /auth after the credentials were accepted (req->authn_user set
 * to the checked login): when X-Original-URI (set by nginx's auth_request
 * location) is under /<alias> of a storefront of the distributor whose
 * storefront host is HTTP_HOST, answers 403 and returns 1 when that
 * storefront's subscription is cancelled (for everyone), or when the
 * caller holds no role in the storefront's account, in a customer of it
 * that is not closed (below it with its relations, where recorded,
 * active, or by an active customer relation: round-19 walkthrough of seed
 * 002, D2) or in its distributor's account and is no operator staff
 * (round-18 walkthrough of seed 002, D1). The caller's roles come from the
 * directory cache (caller_require), the rest from one SQL statement; 1
 * also with a 401/503 when they cannot be read. 0: go on. A page that is
 * no storefront's reads nothing. */
int storefront_login_refused(struct request *req);
/* The shop page names (storefront_shop_pages) that storefronts hold, read
 * in one statement into the set the gate consults: a shop page name no
 * storefront holds reads nothing at GET /auth. Called once at start-up,
 * before the workers, and at each reload (SIGHUP); until it has read the
 * set, and when a read fails, every shop page name counts as held (the
 * gate as before). No new storefront takes such a name, so the holders
 * only shrink: a name read as held and released since costs one
 * statement, no wrong answer. */
void storefront_shop_pages_read(const struct config *cfg);
/* The body's optional "storefront_alias" (orders, upgrades): NULL if not
 * given; a field error when it is no valid or a reserved alias, but for a
 * shop page name (STOREFRONT_ALIAS_SHOP_PAGE), which
 * storefront_alias_holder_check judges where the alias is claimed. */
const char *storefront_alias_field(struct request *req, json_t *body);
/* Who holds alias (NULL: nothing) under account_id's distributor's host,
 * active or cancelled. A shop page name ("basket") is refused, 422 with a
 * field error ("is reserved: ..."), unless account_id's own storefront has
 * it: a storefront that had it before it was reserved keeps it, in an
 * upgrade, an order and its execution alike (review of round 26). With
 * taken_refused, any alias another account's storefront has is 409
 * ("is taken"; claiming it checks again, by the UNIQUE index). own_alias:
 * the alias the caller already read of account_id's storefront (or NULL),
 * its own without SQL. ST_OK, ST_REFUSED with the answer, or a store
 * error. */
int storefront_alias_holder_check(struct request *req, struct sql_store *sql,
                                  unsigned long long account_id, const char *alias,
                                  const char *own_alias, int taken_refused);
/* At most this many storefronts are named in a mail's line of the
 * storefronts whose sign-in someone loses (storefronts_named); beyond
 * them "and others". */
#define STOREFRONTS_NAMED 10
/* The storefronts of list (a JSON array of {name, url}, as
 * storefronts_store_of_customer reads them) as a mail's sentence names
 * them: "the storefront of Shop (https://…)" or "the storefronts of A
 * (…), B (…) and C (…)", at most STOREFRONTS_NAMED, then "and others";
 * written into b, which the caller frees. NULL for an empty list.
 * account-closed's {{storefronts}} and relation-ended's {{access_note}}
 * (round-19 walkthrough of seed 002, D2 and its follow-up). */
const char *storefronts_named(struct buf *b, json_t *list);

#endif
