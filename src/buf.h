/*
 * buf: a growable byte string with explicit length and one owner.
 *
 * Every piece of text accountd builds (response bodies, headers, log lines,
 * LDAP DNs handed back by the adapters) goes through a struct buf, so no code
 * juggles fixed arrays and strlen. The bytes are always NUL-terminated, so
 * buf.data can be passed to C string APIs; len excludes the terminator.
 *
 * A zeroed struct buf (BUF_INIT) is an empty string. buf_free() releases it.
 * Allocation failure aborts: accountd cannot do anything useful without memory.
 */
#ifndef ACCOUNTD_BUF_H
#define ACCOUNTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The string so far ("" for an empty buffer, never NULL). */
const char *buf_str(const struct buf *b);
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *buf_detach(struct buf *b);

/* Appends s with control characters, backslash and quote escaped as \xNN,
 * for log lines (no CR/LF injection). */
void buf_add_logsafe(struct buf *b, const char *s);

/* Appends the whole file at path. Returns 0, or -1 with errno set. */
int buf_read_file(struct buf *b, const char *path);

/* Small allocation helpers that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
