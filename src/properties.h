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

/* Room for the messages property_value_check writes into its caller's
 * buffer: a text too long (validate.h, WHY_SIZE) and a select's, which
 * names the options. */
#define PROPERTY_WHY_SIZE 512

/* The 422 of a value that is no number, saying what would be (round-20
 * walkthrough of seed 001, D4): "must be a number like 1.5", and "must be
 * a number like 1.5 (a decimal point, not a comma)" for typed text with a
 * comma ("1,5"). typed may be NULL (a JSON value that is no text). */
const char *property_number_why(const char *typed);
/* The 422 of a value that is none of a select's options (NULL-terminated),
 * written into why and returned: "must be one of: Wien, Tirol, Kärnten"
 * (as many options as fit in about 240 bytes, then "… and 7 more"),
 * followed by "; did you mean 'Wien'?" when typed (NULL: a JSON value
 * that is no text) equals one of them but for case, the blank space
 * around it or Unicode's compatibility forms (text_alike_key). */
const char *property_select_why(const char *const *options, const char *typed,
                                char why[PROPERTY_WHY_SIZE]);

/* Checks one value for a property of type `type` (options: the select's
 * choices, NULL-terminated). `value` is JSON; with `from_text` set it is a
 * string as a form or a query string sends it ("12.5", "true",
 * "2026-01-31"). On success returns NULL and sets *value_json (the JSON text
 * the API shows: "\"EU\"", "12.5", "true") and *sort_key (bytes that order
 * like the values: numbers as 16 hex digits of the sign-flipped IEEE
 * double, dates YYYY-MM-DD, booleans 0/1, text as is), both malloc'ed.
 * Otherwise returns the message for the 422 and sets nothing; a text
 * longer than 500 characters (in NFC) and a select's options are said in
 * why. */
const char *property_value_check(int type, const char *const *options, json_t *value, int from_text,
                                 char **value_json, char **sort_key, char why[PROPERTY_WHY_SIZE]);

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
