/*
 * storefronts: the login check of a storefront, for auth.c.
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

#endif
