/*
 * storefronts: the login check of a storefront, for auth.c, and the
 * storefront_alias field of the requests that name one.
 */
#ifndef ACCOUNTD_STOREFRONTS_H
#define ACCOUNTD_STOREFRONTS_H

#include "http.h"

/* For GET /auth after the credentials were accepted: when X-Original-URI
 * (set by nginx's auth_request location) is under /<alias> of a storefront
 * of the distributor whose storefront host is HTTP_HOST, and that
 * storefront's subscription is cancelled, answers 403 and returns 1 (also
 * 1 with a 503 when MariaDB is down). 0: go on. */
int storefront_login_refused(struct request *req);
/* The body's optional "storefront_alias" (orders, upgrades): NULL if not
 * given; a field error when it is no valid or a reserved alias. */
const char *storefront_alias_field(struct request *req, json_t *body);

#endif
