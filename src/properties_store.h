/*
 * properties_store: the SQL of custom properties: a partner's definitions
 * (property_definitions) and its children's values
 * (account_property_values). Returns C values; callers own what they get
 * and free it with the matching *_free.
 */
#ifndef ACCOUNTD_PROPERTIES_STORE_H
#define ACCOUNTD_PROPERTIES_STORE_H

#include "sql_store.h"

#include <jansson.h>

struct property_def {
    unsigned long long id;
    char *key, *label;
    int type;       /* enum property_type */
    char **options; /* NULL-terminated (select), else NULL */
    int required;
    unsigned long long version; /* its ETag: "p<id>.<version>" */
};

/* The definitions of account_id, oldest first. With lock set (inside a
 * transaction) they are read FOR UPDATE. */
int property_defs_load(struct sql_store *sql, unsigned long long account_id, int lock,
                       struct property_def **out, size_t *n);
/* The definition `key` of account_id: ST_OK or ST_NOT_FOUND. */
int property_def_find(struct sql_store *sql, unsigned long long account_id, const char *key,
                      int lock, struct property_def *out);
void property_def_clear(struct property_def *d);
void property_defs_free(struct property_def *d, size_t n);
/* One definition as the API shows it: {key, label, type, options?, required}. */
json_t *property_def_json(const struct property_def *d);

/* Inserts a definition; ST_DUPLICATE if the key is taken. options_json may
 * be NULL. */
int property_def_insert(struct sql_store *sql, unsigned long long account_id, const char *key,
                        const char *label, int type, const char *options_json, int required,
                        unsigned long long *id);
int property_def_update(struct sql_store *sql, unsigned long long id, const char *label,
                        const char *options_json, int required);
/* Deletes the definition; its values go with it (ON DELETE CASCADE), and
 * each child that had one gets a new version (its ETag changes). *removed
 * receives the values removed, [{account_id, value}] by account (a new
 * reference; the caller releases it). */
int property_def_delete(struct sql_store *sql, unsigned long long id, json_t **removed);
/* How many values definition id has (accounts with a value of it). */
int property_values_count(struct sql_store *sql, unsigned long long id, unsigned long long *count);
/* How many values of definition id have this sort key (a select option in
 * use). */
int property_values_with_key(struct sql_store *sql, unsigned long long id, const char *sort_key,
                             unsigned long long *count);

/* Gives the values of definition id whose sort key is `from` (a select
 * option that a PATCH of the options sent in another normalization form)
 * the option `to` instead: value to_json, sort key to. Each child that
 * had one gets a new version (its ETag changes). *moved receives those
 * children's ids, in order, as a JSON array (a new reference; the caller
 * releases it). */
int property_values_rewrite(struct sql_store *sql, unsigned long long id, const char *from,
                            const char *to_json, const char *to, json_t **moved);

/* The values of account_id as a JSON object {key: value} (a new
 * reference). */
int property_values_of(struct sql_store *sql, unsigned long long account_id, json_t **out);
/* The property sheet of account_id (GET /accounts/{id}/properties): the
 * definitions of its parent, oldest first, each as property_def_json
 * shows it plus this account's "value" (null when unset), as a new array
 * in *items ([] without a parent or definitions); *version is the
 * account's version, read in the same statement. ST_NOT_FOUND if there
 * is no such account. */
int property_sheet_of(struct sql_store *sql, unsigned long long account_id, json_t **items,
                      unsigned long long *version);
int property_value_set(struct sql_store *sql, unsigned long long account_id,
                       unsigned long long definition_id, const char *value_json,
                       const char *sort_key);
int property_value_delete(struct sql_store *sql, unsigned long long account_id,
                          unsigned long long definition_id);

#endif
