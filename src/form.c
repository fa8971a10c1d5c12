#include "form.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

const char form_why_nul[] = NUL_NOT_ACCEPTED("%00");

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *form_decode(const char *src, size_t len, int plus_is_space)
{
    struct buf b = BUF_INIT;
    buf_grow(&b, len);
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(src[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(src[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                buf_free(&b);
                return NULL;
            }
            buf_addc(&b, (char)(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            buf_addc(&b, ' ');
        } else if (c == '\0') {
            buf_free(&b);
            return NULL;
        } else {
            buf_addc(&b, c);
        }
    }
    return buf_detach(&b);
}

static int key_is_utf8(const char *key)
{
    json_t *probe = json_string(key);
    json_decref(probe);
    return probe != NULL;
}

/* 1 when src[0..len) holds the escape %00 (form_decode's NULL for a NUL,
 * not for a bad escape). */
static int has_nul_escape(const char *src, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++)
        if (src[i] == '%' && src[i + 1] == '0' && src[i + 2] == '0')
            return 1;
    return 0;
}

/* Stores value under path (the parts of "a[b][]"). */
static int store(json_t *root, char **parts, size_t nparts, int append, json_t *value,
                 const char **why)
{
    json_t *obj = root;
    for (size_t i = 0; i + 1 < nparts; i++) {
        json_t *next = json_object_get(obj, parts[i]);
        if (!next) {
            next = json_object();
            json_object_set_new(obj, parts[i], next);
        } else if (!json_is_object(next)) {
            *why = "a form key is used both as a value and as an object";
            return -1;
        }
        obj = next;
    }
    const char *last = parts[nparts - 1];
    json_t *old = json_object_get(obj, last);
    if (!old) {
        if (append) {
            json_t *arr = json_array();
            json_array_append(arr, value);
            json_object_set_new(obj, last, arr);
        } else {
            json_object_set(obj, last, value);
        }
        return 0;
    }
    if (json_is_array(old))
        return json_array_append(old, value);
    if (json_is_string(old)) {
        json_t *arr = json_array();
        json_array_append(arr, old);
        json_array_append(arr, value);
        json_object_set_new(obj, last, arr);
        return 0;
    }
    *why = "a form key is used both as a value and as an object";
    return -1;
}

/* Splits "a[b][]" into parts {"a","b"} and append=1. */
static int split_key(char *key, char **parts, size_t max, size_t *nparts, int *append)
{
    *append = 0;
    *nparts = 0;
    char *br = strchr(key, '[');
    if (br == key || !key[0])
        return -1;
    if (!br) {
        parts[(*nparts)++] = key;
        return 0;
    }
    *br = '\0';
    parts[(*nparts)++] = key;
    char *p = br + 1;
    for (;;) {
        char *close = strchr(p, ']');
        if (!close)
            return -1;
        *close = '\0';
        if (!*p) {
            /* "[]" must be last */
            if (close[1] != '\0')
                return -1;
            *append = 1;
            return 0;
        }
        if (*nparts >= max)
            return -1;
        parts[(*nparts)++] = p;
        if (close[1] == '\0')
            return 0;
        if (close[1] != '[')
            return -1;
        p = close + 2;
    }
}

json_t *form_parse(const char *src, size_t len, const char **why, char **field)
{
    json_t *root = json_object();
    size_t i = 0;
    *why = NULL;
    *field = NULL;
    while (i < len) {
        size_t end = i;
        while (end < len && src[end] != '&')
            end++;
        if (end == i) {
            i = end + 1;
            continue;
        }
        const char *eq = memchr(src + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (src + i)) : end - i;
        char *key = form_decode(src + i, klen, 1);
        char *val = eq ? form_decode(eq + 1, (size_t)(src + end - (eq + 1)), 1) : xstrdup("");
        json_t *jv = val ? json_string(val) : NULL;
        char *parts[8];
        size_t nparts;
        int append;
        int rc = -1;
        if (!key && has_nul_escape(src + i, klen)) {
            *why = form_why_nul;
        } else if (key && !val && has_nul_escape(eq + 1, (size_t)(src + end - (eq + 1)))) {
            *why = form_why_nul;
            *field = xstrdup(key);
        } else if (!key || !val) {
            *why = "invalid percent-encoding in the form";
        } else if (!jv) {
            *why = "form values must be UTF-8";
        } else if (!key_is_utf8(key)) {
            *why = "form keys must be UTF-8";
        } else if (split_key(key, parts, 8, &nparts, &append) < 0) {
            *why = "malformed form key";
        } else {
            rc = store(root, parts, nparts, append, jv, why);
        }
        free(key);
        free(val);
        json_decref(jv);
        if (rc < 0) {
            json_decref(root);
            return NULL;
        }
        i = end + 1;
    }
    return root;
}
