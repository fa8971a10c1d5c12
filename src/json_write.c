#include "json_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HEX[] = "0123456789ABCDEF";

int json_write_shortest(char *out, size_t size, double v)
{
    /* An exponent only where 17 digits have one too: 100, not 1e+02. */
    snprintf(out, size, "%.17g", v);
    int exponent = strchr(out, 'e') != NULL;
    for (int p = 1; p < 17; p++) {
        char text[40];
        snprintf(text, sizeof(text), "%.*g", p, v);
        if (strtod(text, NULL) == v && (exponent || !strchr(text, 'e'))) {
            snprintf(out, size, "%s", text);
            return p;
        }
    }
    return 17;
}

static void add_u(struct buf *out, unsigned code)
{
    char e[6] = {
        '\\',          'u', HEX[(code >> 12) & 15], HEX[(code >> 8) & 15], HEX[(code >> 4) & 15],
        HEX[code & 15]};
    buf_add(out, e, sizeof(e));
}

/* jansson's strings are valid UTF-8 (json_string checks it): ASCII passes
 * but for '"', '\\' and controls, anything else becomes \uXXXX (a pair of
 * surrogates above U+FFFF), as JSON_ENSURE_ASCII writes it. */
static void add_string(struct buf *out, const char *s, size_t len)
{
    buf_addc(out, '"');
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len) {
            unsigned char c = (unsigned char)s[run];
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
                break;
            run++;
        }
        buf_add(out, s + i, run - i);
        i = run;
        if (i == len)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            const char *e = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
            if (e)
                buf_adds(out, e);
            else
                add_u(out, c);
            i++;
            continue;
        }
        unsigned code;
        size_t n;
        if (c >= 0xF0) {
            code = c & 0x07;
            n = 4;
        } else if (c >= 0xE0) {
            code = c & 0x0F;
            n = 3;
        } else {
            code = c & 0x1F;
            n = 2;
        }
        for (size_t k = 1; k < n && i + k < len; k++)
            code = (code << 6) | ((unsigned char)s[i + k] & 0x3F);
        i += n;
        if (code > 0xFFFF) {
            code -= 0x10000;
            add_u(out, 0xD800 | (code >> 10));
            add_u(out, 0xDC00 | (code & 0x3FF));
        } else {
            add_u(out, code);
        }
    }
    buf_addc(out, '"');
}

static int write_value(struct buf *out, const json_t *v, int depth)
{
    if (depth > JSON_WRITE_MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        buf_addc(out, '{');
        const char *key;
        size_t klen;
        json_t *m;
        int first = 1;
        json_object_keylen_foreach((json_t *)v, key, klen, m)
        {
            if (!first)
                buf_addc(out, ',');
            first = 0;
            add_string(out, key, klen);
            buf_addc(out, ':');
            if (write_value(out, m, depth + 1) != 0)
                return -1;
        }
        buf_addc(out, '}');
        return 0;
    }
    case JSON_ARRAY: {
        buf_addc(out, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_addc(out, ',');
            if (write_value(out, json_array_get(v, i), depth + 1) != 0)
                return -1;
        }
        buf_addc(out, ']');
        return 0;
    }
    case JSON_STRING:
        add_string(out, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    case JSON_REAL: {
        /* jansson's own text for a real (its ".0" and exponent rules), with
         * the fewest digits that read back as the same double: 19.99, not
         * json_dumps's default 19.989999999999998. */
        char digits[40];
        int precision = json_write_shortest(digits, sizeof(digits), json_real_value(v));
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII |
                                       JSON_REAL_PRECISION(precision));
        if (!text)
            return -1;
        buf_adds(out, text);
        free(text);
        return 0;
    }
    case JSON_TRUE:
        buf_adds(out, "true");
        return 0;
    case JSON_FALSE:
        buf_adds(out, "false");
        return 0;
    case JSON_NULL:
        buf_adds(out, "null");
        return 0;
    }
    return -1;
}

int json_write(struct buf *out, const json_t *v)
{
    return v ? write_value(out, v, 0) : -1;
}
