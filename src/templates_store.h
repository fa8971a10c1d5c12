/*
 * templates_store: the SQL of an account's template overrides (table
 * notification_templates; the template in effect is outbox_template()).
 */
#ifndef ACCOUNTD_TEMPLATES_STORE_H
#define ACCOUNTD_TEMPLATES_STORE_H

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
/* Inside a transaction: replaces them by emails[0..n). */
int template_recipients_replace(struct sql_store *sql, unsigned long long account_id,
                                const char *name, char *const *emails, size_t n);

#endif
