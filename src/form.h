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

/* Parses a form or query string. Returns a new object, or NULL with a reason
 * in *why (a static string). */
json_t *form_parse(const char *src, size_t len, const char **why);

#endif
