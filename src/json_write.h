/*
 * json_write: response bodies as compact, ASCII-only JSON text, the same
 * bytes as jansson's json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII), written
 * straight into a struct buf.
 *
 * Why not json_dumps: jansson 2.14 guards every array and object it dumps
 * against reference loops by formatting the container's address into a
 * hash table key (snprintf, insert, delete), which made a quarter of
 * accountd's CPU for a /me page of 50 accounts (docs/performance.md). A
 * response body is a tree the handler built for this request, so the walk
 * here keeps a depth bound instead (a loop, or anything deeper, is refused
 * like json_dumps refuses a loop). Values are still jansson's: only the
 * writing is here, and tests/unit/test_json_write.c compares it byte for
 * byte with json_dumps.
 */
#ifndef ACCOUNTD_JSON_WRITE_H
#define ACCOUNTD_JSON_WRITE_H

#include "buf.h"

#include <jansson.h>

/* Deeper than this is refused (json_write returns -1). */
#define JSON_WRITE_MAX_DEPTH 256

/* Appends v to out; 0, or -1 (out then holds a partial text: discard it)
 * when v is nested deeper than JSON_WRITE_MAX_DEPTH (a reference loop is)
 * or holds a real that jansson cannot write (NaN, infinity). */
int json_write(struct buf *out, const json_t *v);

/* Writes v into out (size >= 32) as "%.*g" with the fewest significant
 * digits (1 to 17) that strtod reads back as exactly v, and returns that
 * precision: 0.1 is "0.1", 19.99 "19.99", 1.0/3 "0.3333333333333333". A
 * NaN or infinity gives 17. An exponent only where "%.17g" has one: 100
 * is "100", not "1e+02". */
int json_write_shortest(char *out, size_t size, double v);

#endif
