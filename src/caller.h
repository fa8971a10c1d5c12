/*
 * caller: who is calling and what they may do.
 *
 * The identity is the checked HTTP Basic login or the REMOTE_USER FastCGI
 * parameter (authn.h; never an HTTP_* header), looked up by
 * identity_attribute in the process-wide directory cache (dircache.h), or
 * in LDAP while the cache cannot answer; the roles are the role groups that
 * hold the person's DN as they are when the request starts, so a change an
 * LDAP administrator makes counts on the next request, in every thread.
 * Operators are the
 * admins of the one operator account and may do everything.
 */
#ifndef ACCOUNTD_CALLER_H
#define ACCOUNTD_CALLER_H

#include "http.h"

/* Copies (malloc'ed) and frees a struct caller's contents. */
void caller_copy(struct caller *to, const struct caller *from);
void caller_clear(struct caller *c);

/* Authenticates and resolves the caller. On failure sets 401, 429 or 503
 * and returns -1. */
int caller_require(struct request *req);
/* Reads the caller's roles again, as they are now: for a request that
 * waited for another one that may have changed them (a POST /accounts
 * repeat waits for its first request, whose new account the caller is
 * admin of: accounts.c). 0, or -1 with the answer set as by
 * caller_require. */
int caller_refresh(struct request *req);
/* The caller's ROLE_* bits in an account (not inherited). */
unsigned caller_roles(const struct request *req, unsigned long long account_id);
/* qsort/bsearch order of struct role_grant: by account id (the order of
 * struct caller's grants). */
int role_grant_compare(const void *a, const void *b);

/* A set of role bits as a JSON array of role names (a new reference). */
json_t *roles_json(unsigned roles);
/* PROJECT_* bits as a JSON array of their names (owner, editor, reader). */
json_t *project_roles_json(unsigned roles);

/* Loads account id and checks that the caller holds one of the roles in
 * `allowed` on it, or one of `parent_allowed` on its parent (operators always
 * pass; the parent's roles count only when the parent is a distributor, the
 * back office: round-17 walkthrough of seed 001, D1; and for nothing once the
 * account was handed over to its customer, accounts.handed_over_at, or once
 * the parent is closed: round-16 walkthrough of seed 002, D1). Answers 404
 * when the caller may not even see the account (no role in it, no admin or
 * service-provider role in an ancestor), 403 when they see it but may not
 * do this (to a person of the account: naming the roles in `allowed` and to
 * ask an administrator; round-17 walkthrough of seed 004, D6), 503 when a
 * store is down. Returns 0 or -1. For a handler's own check of another
 * account than its route's (accounts.c: the repeat of an Idempotency-Key);
 * the router calls caller_authorize_also. */
int caller_authorize(struct request *req, unsigned long long id, unsigned allowed,
                     unsigned parent_allowed, struct account_ref *out);
/* The same, as the router calls it for the account its route names
 * (routes.c), with the route's words in the 403 to a person of the
 * account: `refused`, when not NULL, is said instead of the roles (the
 * route's own, struct route in routes.h; round-18 walkthrough of seed 004,
 * D2); `also`, when not NULL, is named after them for a route that also
 * lets in people who hold something besides the roles in `allowed` (a
 * project's owners: ROUTE_PROJECT_OWNER) and whom the router found not to
 * hold it ("it needs admin or service-provider, or <also>"; round-18
 * walkthrough of seed 003, D2). parent_any: roles on the account's parent
 * that let the caller in whatever the parent's kind (a route with
 * ROUTE_PARENT_ADMIN: its admins; not once the parent is closed), for a
 * handler that then checks its own finer rule (round-20 walkthrough of
 * seed 001, D1). */
int caller_authorize_also(struct request *req, unsigned long long id, unsigned allowed,
                          unsigned parent_allowed, unsigned parent_any, const char *refused,
                          const char *also, struct account_ref *out);

/* Whether the caller may see account id, by caller_authorize's rule for
 * 404 against 403: operators see every account, anyone else an account
 * they hold a role in (an expired service-provider grant is none) or one
 * below an account they are admin or service provider of. *sees receives
 * 1 or 0 (0 also for an id no account has); returns ST_*. For a handler
 * whose answer about an account the body names must not tell another
 * tenant's account from none (relations.c). */
int caller_sees_account(struct request *req, unsigned long long id, int *sees);

/* 1 if the caller's roles in account a (as caller_authorize filled it)
 * pass the rule allowed / parent_allowed: the same test caller_authorize
 * makes (operators pass; the parent's roles count only when the parent is
 * a distributor, and for nothing once a was handed over or its parent
 * closed). */
int caller_account_allows(const struct request *req, const struct account_ref *a, unsigned allowed,
                          unsigned parent_allowed);

/* Is the person dn in the caller's tenant tree (docs/api.md, "tenant
 * tree")? The tree is the accounts in which the caller is admin or
 * service-provider (a service-provider grant past its expires_at is none)
 * and their projects, not the accounts below them (round-19 walkthrough
 * of seed 003, D1: a child organization's people are its own; a partner's
 * admin reaches them only through a role of admin or service-provider in
 * that child). A person belongs to it when they hold a role in one of
 * those accounts or in one of their projects (a project-only person
 * counts; a service-provider grant past its expires_at does not: uid is
 * the person's, to look that up). Operators' tree is the whole directory.
 * Read from the directory cache (no LDAP search while it is live) and the
 * caller's grants; SQL only for a service-provider grant's expiry. *in
 * receives 1 or 0; returns ST_*. Only people in the tree are added without
 * their consent; the answer to the caller must not tell the others from
 * unknown addresses. */
int caller_tree_holds(struct request *req, const char *dn, const char *uid, int *in);
/* The caller's PROJECT_* bits in a project (ldap_store.h). */
unsigned caller_project_roles(const struct request *req, unsigned long long project_id);
/* 1 if the caller is an owner of project project_id of account_id. */
int caller_owns_project(const struct request *req, unsigned long long project_id,
                        unsigned long long account_id);
/* 1 if the caller has a role in any project of the account. */
int caller_in_projects_of(const struct request *req, unsigned long long account_id);
/* For a caller let in by a project role only (ROUTE_PROJECT): fills out
 * with account id (no account roles) or answers 404/503 and returns -1. */
int caller_project_account(struct request *req, unsigned long long id, struct account_ref *out);

/* The id of the operator account (0 if none yet); cached once found. */
unsigned long long operator_account_id(struct request *req);

/* Is the person dn (not the caller: someone a change is about) an
 * operator, an admin of the operator account, who may do everything
 * whatever their roles in an account (DESIGN.md)? *is 1 or 0 (0 also
 * while there is no operator account, and for a dn no group holds). One
 * LDAP read of the operator account's groups. For the mails that must not
 * tell operator staff they lost an access they keep (round-18 walkthrough
 * of seed 000, D2) and for the hand-over's invitations (D1). */
int person_is_operator(struct request *req, const char *dn, int *is);

#endif
