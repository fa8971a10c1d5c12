/*
 * authn: who is calling, checked once per request inside accountd.
 *
 * nginx says how a location authenticates by a FastCGI parameter that no
 * client can set (clients' headers arrive as HTTP_*):
 *   ACCOUNTD_AUTH=basic  HTTP Basic, checked here by an LDAP bind, with a
 *                        per-thread cache of successful checks and the
 *                        guessing throttle (src/throttle.c); REMOTE_USER is
 *                        ignored;
 *   otherwise            REMOTE_USER, as nginx sets it (the SSO proxy's
 *                        header, or an auth_request of another site).
 * Nothing read from a client's identity headers ever names the caller.
 *
 * The guessing throttle counts failed checks per person (their folded DN,
 * whatever address they come from) and per user name as typed (folded),
 * in fixed-size process-wide tables: see docs/operations.md.
 */
#ifndef ACCOUNTD_AUTHN_H
#define ACCOUNTD_AUTHN_H

#include "http.h"

/* "Basic <base64(user:password)>", strictly: the scheme (any case), one or
 * more spaces, RFC 4648 base64 with its padding and nothing after it but
 * spaces or tabs, and a decoded text with a colon and no NUL. user and
 * password are malloc'ed. Returns 0, or -1 for anything else. */
int basic_parse(const char *header, char **user, char **password);

enum basic_outcome {
    BASIC_OK,          /* login and uid set */
    BASIC_MISSING,     /* no or malformed Authorization header */
    BASIC_DENIED,      /* wrong name or password (or an empty one) */
    BASIC_THROTTLED,   /* too many failures: retry_after seconds */
    BASIC_UNAVAILABLE, /* LDAP is down */
    BASIC_ERROR,       /* another store failure */
};

struct basic_identity {
    char *login; /* the identity_attribute value, or the name as given */
    char *uid;
};

/* Checks the request's HTTP Basic credentials. On BASIC_OK, id holds
 * malloc'ed strings (basic_identity_free). retry_after is set for
 * BASIC_THROTTLED. Failed checks are logged with the name tried and the
 * client address (REMOTE_ADDR, i.e. nginx's after real_ip), never the
 * password. */
enum basic_outcome basic_check(struct request *req, struct basic_identity *id, int *retry_after);
void basic_identity_free(struct basic_identity *id);

/* The name to look the caller up by: the checked Basic login or
 * REMOTE_USER (see above). Returns NULL with the answer set (401, 429 with
 * Retry-After, 503) when there is none. The string lives until
 * request_end. */
const char *authn_user(struct request *req);

/* Frees the calling thread's cache of checked credentials (thread exit). */
void auth_cache_clear(void);

#endif
