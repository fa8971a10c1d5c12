/*
 * templates_store: the SQL of an account's template overrides (table
 * notification_templates; the template in effect is outbox_template()).
 */
#ifndef ACCOUNTD_TEMPLATES_STORE_H
#define ACCOUNTD_TEMPLATES_STORE_H

#include <jansson.h>
#include <stddef.h>

struct sql_store;

/* Sets (or replaces) account_id's override of template name. */
int template_override_set(struct sql_store *sql, unsigned long long account_id, const char *name,
                          const char *subject, const char *body);
/* Removes it: ST_OK with *found 1 if there was one. */
int template_override_delete(struct sql_store *sql, unsigned long long account_id, const char *name,
                             int *found);

/* account_id's extra recipients of template name (table
 * template_recipients), in order: *out malloc'ed strings (free with
 * outbox_free_list). */
int template_recipients_get(struct sql_store *sql, unsigned long long account_id, const char *name,
                            char ***out, size_t *n);
/* The extra recipients of template name that the distributors and the
 * operator above account_id (not itself) named, which every copy of its
 * mail of that name also goes to (outbox.c): [{account_id, emails}],
 * nearest first, one entry per account that names any (round-21
 * walkthrough of seed 002, D1). One SQL statement. NULL with *status
 * set on a failure; the caller owns the array. */
json_t *template_recipients_inherited_json(struct sql_store *sql, unsigned long long account_id,
                                           const char *name, int *status);
/* Inside a transaction: replaces them by emails[0..n). */
int template_recipients_replace(struct sql_store *sql, unsigned long long account_id,
                                const char *name, char *const *emails, size_t n);

#endif
