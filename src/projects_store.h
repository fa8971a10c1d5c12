/*
 * projects_store: the SQL of projects (STACKIT method 2): the `projects`
 * row (id, account, name, unique per account) whose LDAP role groups are
 * written as a saga: the row is `pending` (invisible) until they exist.
 */
#ifndef ACCOUNTD_PROJECTS_STORE_H
#define ACCOUNTD_PROJECTS_STORE_H

#include "sql_store.h"

#include <jansson.h>

/* Inserts a pending project; ST_DUPLICATE if the account has one by that
 * name. */
int project_insert(struct sql_store *sql, unsigned long long account_id, const char *name,
                   const char *created_by, unsigned long long *id);
/* Marks it done (visible); ST_CONFLICT if it is not pending. */
int project_done(struct sql_store *sql, unsigned long long id);
/* Removes a project that is still pending (compensation). */
int project_delete_pending(struct sql_store *sql, unsigned long long id);
/* accountd maint: the projects whose create died half-way (row still
 * pending) at least min_age seconds ago, as rows (id, account_id). */
int projects_half_created(struct sql_store *sql, int min_age, struct sql_result *out);
/* The account of a (done) project: ST_OK or ST_NOT_FOUND. */
int project_account(struct sql_store *sql, unsigned long long id, unsigned long long *account_id);
/* Project id as JSON {id, account_id, name, created_at} (a new reference). */
int project_read(struct sql_store *sql, unsigned long long id, json_t **out);
/* The (done) projects among ids, read in one statement: *found an object
 * of their JSON (as project_read's) by id as a decimal string; an id not
 * found (pending, removed) is not in it. */
int projects_by_ids(struct sql_store *sql, const unsigned long long *ids, size_t n, json_t **found);
/* A page of the (done) projects of an account as JSON items: at most limit projects with an id
 * above after (0: from the first), oldest first; only those among ids when only_ids (n may be 0:
 * then none). */
int projects_page(struct sql_store *sql, unsigned long long account_id, unsigned long long after,
                  long limit, const unsigned long long *ids, size_t n, int only_ids,
                  json_t **items);

/* Every project row of account_id, pending ones too, as rows (id, name)
 * by id: the names a new or renamed project's name must not look like
 * (projects.c compares them; read under the account's row lock, which
 * every create and rename takes). */
int projects_names(struct sql_store *sql, unsigned long long account_id, struct sql_result *out);

/* Renames (done) project id of account_id: ST_NOT_FOUND, ST_DUPLICATE
 * (the account has a project by that name), ST_OK. *old the old name
 * (malloc'ed). Inside a transaction. */
int project_rename(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                   const char *name, char **old);
/* Inside a transaction: revokes the pending invitations to project id
 * (their ids in *ids, *n), then removes its (done) row: ST_NOT_FOUND when
 * there is none. *name the name it had (malloc'ed). */
int project_remove(struct sql_store *sql, unsigned long long account_id, unsigned long long id,
                   unsigned long long **ids, size_t *n, char **name);

#endif
