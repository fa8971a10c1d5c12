/*
 * templates_store: the SQL of an account's template overrides (table
 * notification_templates; the template in effect is outbox_template()).
 */
#ifndef ACCOUNTD_TEMPLATES_STORE_H
#define ACCOUNTD_TEMPLATES_STORE_H

struct sql_store;

/* Sets (or replaces) account_id's override of template name. */
int template_override_set(struct sql_store *sql, unsigned long long account_id, const char *name,
                          const char *subject, const char *body);
/* Removes it: ST_OK with *found 1 if there was one. */
int template_override_delete(struct sql_store *sql, unsigned long long account_id, const char *name,
                             int *found);

#endif
