/*
 * properties: a partner's typed custom properties for its child accounts
 * (LineMetrics). The definitions belong to the partner; each child holds
 * values for them, checked by type. What accounts.c needs to edit, show,
 * sort and filter values is declared here; the pure checks are exported for
 * the unit tests.
 */
#ifndef ACCOUNTD_PROPERTIES_H
#define ACCOUNTD_PROPERTIES_H

#include "http.h"
#include "validate.h"

#include <jansson.h>

enum property_type { PROP_TEXT, PROP_NUMBER, PROP_BOOLEAN, PROP_DATE, PROP_SELECT, PROP_TYPES };

/* "text", "number", ... in enum order. */
extern const char *const property_type_names[PROP_TYPES];
/* The type of a name, -1 if unknown. */
int property_type_parse(const char *name);

/* A property key: 1-64 of [a-z0-9_], starting with a letter, and not the
 * name of an overview column (id, name, kind, status, plan, created_at,
 * member_count). NULL if fine, else a message. */
const char *property_key_check(const char *key);

/* Checks one value for a property of type `type` (options: the select's
 * choices, NULL-terminated). `value` is JSON; with `from_text` set it is a
 * string as a form or a query string sends it ("12.5", "true",
 * "2026-01-31"). On success returns NULL and sets *value_json (the JSON text
 * the API shows: "\"EU\"", "12.5", "true") and *sort_key (bytes that order
 * like the values: numbers as 16 hex digits of the sign-flipped IEEE
 * double, dates YYYY-MM-DD, booleans 0/1, text as is), both malloc'ed.
 * Otherwise returns the message for the 422 and sets nothing; a text
 * longer than 500 characters (in NFC) is said in why. */
const char *property_value_check(int type, const char *const *options, json_t *value, int from_text,
                                 char **value_json, char **sort_key, char why[WHY_SIZE]);

/* Writes the values of a PATCH body's `properties` object on child
 * account child_id, inside the caller's transaction: every key must be
 * defined by the child's parent (parent_id), a JSON null (or an empty form
 * value) removes a value, and afterwards every required property has one.
 * Field errors are recorded on req as "properties.<key>" (then
 * ST_REFUSED with their 422, and the caller rolls back). present (a
 * form's _properties_present, an array of keys, or NULL): the checkbox
 * (boolean) properties the form showed; one of them that props lacks
 * (an unticked box sends nothing) is set to false. */
int properties_apply(struct sql_store *sql, struct request *req, unsigned long long child_id,
                     unsigned long long parent_id, json_t *props, json_t *present);

#endif
