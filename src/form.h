/*
 * form: application/x-www-form-urlencoded (and query strings) into JSON.
 *
 * Pure functions, no I/O. A form becomes the same JSON object a JSON client
 * would send, so handlers read one representation:
 *   a=1&b=x+y          {"a":"1","b":"x y"}
 *   company[city]=Wien {"company":{"city":"Wien"}}
 *   roles=a&roles=b    {"roles":["a","b"]}     (a key given twice is a list)
 *   roles[]=a          {"roles":["a"]}
 * Values stay strings; handlers convert. Invalid percent-encoding, invalid
 * UTF-8, an empty key or a key used both as a value and an object is an error.
 */
#ifndef ACCOUNTD_FORM_H
#define ACCOUNTD_FORM_H

#include <jansson.h>
#include <stddef.h>

/* Percent-decodes src[0..len) ('+' is a space when plus_is_space). Returns a
 * malloc'ed NUL-terminated string, or NULL for bad encoding or an embedded NUL. */
char *form_decode(const char *src, size_t len, int plus_is_space);

/* The words for a NUL character that a body or query holds, shared by the
 * form's answer and the JSON parser's (request.c), notation being how the
 * client wrote it ("%00", "\\u0000"): after the name of what holds it. */
#define NUL_NOT_ACCEPTED(notation) "contains a NUL character (" notation "), which is not accepted"
/* form_parse's *why for a %00 (valid percent-encoding, but C strings end at
 * a NUL; round-24 walkthrough of seed 000, D5): NUL_NOT_ACCEPTED("%00"). */
extern const char form_why_nul[];

/* Parses a form or query string. Returns a new object, or NULL with a reason
 * in *why (a static string) and, when it is form_why_nul in a value, the
 * decoded name of the field that holds it in *field (malloc'ed; the caller
 * frees it; NULL otherwise, also for a NUL in a name). */
json_t *form_parse(const char *src, size_t len, const char **why, char **field);

#endif
