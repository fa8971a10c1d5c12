#include "body.h"

#include "result.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 if the integer literal s (n bytes: -?digits) is beyond json_int_t,
 * where jansson says "too big integer". */
static int integer_too_big(const char *s, size_t n)
{
    char *copy = xstrndup(s, n);
    errno = 0;
    (void)strtoll(copy, NULL, 10);
    int big = errno == ERANGE;
    free(copy);
    return big;
}

/* Where ".0" went into the text: its offset there and its line. */
struct insertion {
    size_t at;
    int line;
};

/* The JSON text with ".0" after each integer literal (outside strings)
 * that json_int_t cannot hold, in *out; the insertions in *ins (malloc'ed),
 * *nins of them. */
static void big_integers_as_reals(const char *text, size_t len, struct buf *out,
                                  struct insertion **ins, size_t *nins)
{
    size_t cap = 0;
    int line = 1;
    *ins = NULL;
    *nins = 0;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        size_t j = i + 1;
        if (c == '"') {
            while (j < len && text[j] != '"')
                j += text[j] == '\\' && j + 1 < len ? 2 : 1;
            j = j < len ? j + 1 : len;
        } else if (c == '-' || isdigit((unsigned char)c)) {
            while (j < len && isdigit((unsigned char)text[j]))
                j++;
            int real = j < len && (text[j] == '.' || text[j] == 'e' || text[j] == 'E');
            while (real && j < len && strchr("0123456789.eE+-", text[j]))
                j++;
            if (!real && isdigit((unsigned char)text[j - 1]) && integer_too_big(text + i, j - i)) {
                buf_add(out, text + i, j - i);
                if (*nins == cap) {
                    cap = cap ? 2 * cap : 8;
                    struct insertion *grown = realloc(*ins, cap * sizeof(**ins));
                    if (!grown)
                        abort();
                    *ins = grown;
                }
                (*ins)[(*nins)++] = (struct insertion){out->len, line};
                buf_adds(out, ".0");
                i = j;
                continue;
            }
        } else if (isalpha((unsigned char)c)) {
            while (j < len && isalnum((unsigned char)text[j]))
                j++;
        }
        for (size_t k = i; k < j; k++)
            line += text[k] == '\n';
        buf_add(out, text + i, j - i);
        i = j;
    }
}

json_t *body_json_load(const char *text, size_t len, json_error_t *err)
{
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, err);
    if (v || json_error_code(err) != json_error_numeric_overflow)
        return v;
    struct buf reals = BUF_INIT;
    struct insertion *ins;
    size_t nins;
    big_integers_as_reals(text, len, &reals, &ins, &nins);
    v = nins ? json_loadb(reals.data, reals.len, JSON_REJECT_DUPLICATES, err) : NULL;
    if (!v && nins) {
        /* Where the error is in the body as sent: before it, each ".0"
         * moved it two bytes (and two columns on its line). */
        int position = err->position, column = err->column;
        for (size_t i = 0; i < nins; i++) {
            if ((int)ins[i].at >= err->position)
                break;
            position -= 2;
            if (ins[i].line == err->line)
                column -= 2;
        }
        err->position = position;
        err->column = column;
    }
    free(ins);
    buf_free(&reals);
    return v;
}

json_t *body_root(struct request *req)
{
    if (!req->body)
        req->body = json_object();
    return req->body;
}

static void field_name(char *out, size_t n, const char *prefix, const char *name)
{
    if (prefix)
        snprintf(out, n, "%s.%s", prefix, name);
    else
        snprintf(out, n, "%s", name);
}

/* A form sent a list where one value is wanted: 400 per the form rules. */
static void repeated(struct request *req, const char *field)
{
    if (!request_refused(req))
        refuse(req, 400, "bad-request", "the field '%s' was given more than once", field);
}

void body_single_values(struct request *req, json_t *obj, const char *prefix)
{
    const char *key;
    json_t *v;
    if (!req->body_is_form || !json_is_object(obj))
        return;
    json_object_foreach(obj, key, v)
    {
        if (json_is_array(v)) {
            char f[256];
            field_name(f, sizeof(f), prefix, key);
            repeated(req, f);
        }
    }
}

void body_only(struct request *req, json_t *obj, const char *prefix, const char *const allowed[])
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], key) == 0)
                ok = 1;
        if (!ok) {
            char f[256];
            field_name(f, sizeof(f), prefix, key);
            res_field_error(req, f, "is not accepted by this action");
        }
    }
}

const char *body_str(struct request *req, json_t *obj, const char *prefix, const char *name,
                     int required, struct text_limit limit)
{
    char f[256];
    field_name(f, sizeof(f), prefix, name);
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    if (!v || json_is_null(v)) {
        if (required)
            res_field_error(req, f, "is required");
        return NULL;
    }
    if (json_is_array(v) && req->body_is_form) {
        repeated(req, f);
        return NULL;
    }
    if (!json_is_string(v)) {
        res_field_error(req, f, "must be a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    char buf[WHY_SIZE];
    const char *why = validate_text(s, limit, buf);
    if (why && (required || s[0])) {
        res_field_error(req, f, why);
        return NULL;
    }
    return s[0] ? s : NULL;
}

json_t *json_string_trimmed(json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), start = text_trimmed_span(s, &len);
    if (start == 0 && len == json_string_length(v))
        return json_incref(v);
    return json_stringn(s + start, len - start);
}

void body_trim(json_t *obj, const char *name)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
    if (!json_is_string(v))
        return;
    json_t *t = json_string_trimmed(v);
    if (t == v)
        json_decref(t);
    else
        json_object_set_new(obj, name, t);
}

void body_nfc(json_t *obj, const char *name)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
    if (!json_is_string(v))
        return;
    char *nfc = text_nfc(json_string_value(v));
    if (strcmp(nfc, json_string_value(v)) != 0)
        json_object_set_new(obj, name, json_string(nfc));
    free(nfc);
}

void body_lower(json_t *obj, const char *name)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
    if (!json_is_string(v))
        return;
    size_t n = json_string_length(v);
    char *lower = xmalloc(n + 1);
    text_lower_ascii(json_string_value(v), n, lower, n + 1);
    if (memcmp(lower, json_string_value(v), n) != 0)
        json_object_set_new(obj, name, json_stringn(lower, n));
    free(lower);
}

/* 0 if obj's member name has no invisible format character (or is no
 * string: body_str judges it); else -1 with the field error recorded. A
 * text of only blank space is left to the caller when skip_blank. */
static int format_chars_check(struct request *req, json_t *obj, const char *prefix,
                              const char *name, int skip_blank)
{
    const json_t *v = obj ? json_object_get(obj, name) : NULL;
    const char *raw = json_is_string(v) ? json_string_value(v) : NULL;
    char buf[WHY_SIZE];
    const char *why =
        raw && !(skip_blank && text_is_blank(raw)) ? validate_no_format_chars(raw, buf) : NULL;
    if (!why)
        return 0;
    char f[256];
    field_name(f, sizeof(f), prefix, name);
    res_field_error(req, f, why);
    return -1;
}

const char *body_text(struct request *req, json_t *obj, const char *prefix, const char *name,
                      int required, struct text_limit limit)
{
    if (format_chars_check(req, obj, prefix, name, 0) < 0)
        return NULL;
    return body_str(req, obj, prefix, name, required, limit);
}

const char *body_name(struct request *req, json_t *obj, const char *prefix, const char *name,
                      int required, struct text_limit limit)
{
    /* Invisible format characters (U+200B, bidi controls, ...) anywhere
     * in a name are refused with their code point before the text's other
     * checks, whose message for bidi controls names none; a name of only
     * blank and zero-width space stays "must not be empty" (round 3;
     * round-25 walkthrough of seed 004, D1). */
    if (format_chars_check(req, obj, prefix, name, 1) < 0)
        return NULL;
    const char *s = body_str(req, obj, prefix, name, required, limit);
    if (s && text_is_blank(s)) {
        char f[256];
        field_name(f, sizeof(f), prefix, name);
        res_field_error(req, f, "must not be empty");
        return NULL;
    }
    return s;
}

int body_bool(struct request *req, json_t *obj, const char *prefix, const char *name)
{
    char f[256];
    field_name(f, sizeof(f), prefix, name);
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    if (!v || json_is_null(v))
        return -1;
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_array(v) && req->body_is_form) {
        repeated(req, f);
        return -1;
    }
    if (json_is_string(v) && req->body_is_form) {
        const char *s = json_string_value(v);
        static const char *const yes[] = {"true", "1", "on", "yes"};
        static const char *const no[] = {"false", "0", "off", "no", ""};
        for (size_t i = 0; i < 4; i++)
            if (strcasecmp(s, yes[i]) == 0)
                return 1;
        for (size_t i = 0; i < 5; i++)
            if (strcasecmp(s, no[i]) == 0)
                return 0;
    }
    res_field_error(req, f, "must be true or false");
    return -1;
}

int body_checkbox(struct request *req, json_t *obj, const char *name, const char *present_name)
{
    int v = body_bool(req, obj, NULL, name);
    int present = body_bool(req, obj, NULL, present_name);
    if (v < 0 && present == 1 && !json_object_get(req->errors, name))
        v = 0;
    return v;
}

json_t *body_obj(struct request *req, json_t *obj, const char *prefix, const char *name)
{
    char f[256];
    field_name(f, sizeof(f), prefix, name);
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        res_field_error(req, f, "must be an object");
        return NULL;
    }
    return v;
}

const char **body_str_list(struct request *req, json_t *obj, const char *name)
{
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v)) {
        const char **out = xcalloc(2, sizeof(char *));
        /* An empty form value means an empty list ("roles=" clears). */
        if (json_string_length(v) > 0 || !req->body_is_form)
            out[0] = json_string_value(v);
        if (!req->body_is_form) {
            free(out);
            res_field_error(req, name, "must be a list of strings");
            return NULL;
        }
        return out;
    }
    if (!json_is_array(v)) {
        res_field_error(req, name, "must be a list of strings");
        return NULL;
    }
    const char **out = xcalloc(json_array_size(v) + 1, sizeof(char *));
    size_t i, n = 0;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item)) {
            free(out);
            res_field_error(req, name, "must be a list of strings");
            return NULL;
        }
        out[n++] = json_string_value(item);
    }
    return out;
}

unsigned long long body_id(struct request *req, json_t *obj, const char *name)
{
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_array(v) && req->body_is_form) {
        repeated(req, name);
        return 0;
    }
    unsigned long long id = 0;
    if (json_is_string(v))
        id = parse_id(json_string_value(v));
    else if (json_is_integer(v) && json_integer_value(v) > 0)
        id = (unsigned long long)json_integer_value(v);
    if (!id)
        res_field_error(req, name, "must be an account id");
    return id;
}

int body_none(struct request *req)
{
    static const char *const nothing[] = {NULL};
    if (req->body)
        body_only(req, req->body, NULL, nothing);
    return body_failed(req);
}

const char *query_str(struct request *req, const char *name)
{
    json_t *v = json_object_get(req->query, name);
    if (v && !json_is_string(v)) {
        res_field_error(req, name, "must be given once");
        return NULL;
    }
    return v ? json_string_value(v) : NULL;
}

void res_id_page(struct request *req, id_page_reader read)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    body_none(req);
    long limit = query_limit(req);
    unsigned long long before = 0;
    const char *cursor = query_str(req, "cursor");
    if (cursor && !(before = parse_id(cursor)))
        res_field_error(req, "cursor", "is not a cursor of this listing");
    body_only(req, req->query, NULL, known);
    if (body_failed(req))
        return;
    json_t *items;
    int st = read(req, before, limit + 1, &items);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *next = json_null();
    if (json_array_size(items) > (size_t)limit) {
        while (json_array_size(items) > (size_t)limit)
            json_array_remove(items, json_array_size(items) - 1);
        json_t *last = json_object_get(json_array_get(items, (size_t)limit - 1), "id");
        next = json_is_string(last) ? json_string(json_string_value(last)) : json_null();
    }
    res_json(req, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

json_t *cursor_encode(json_t *c)
{
    char *raw = json_dumps(c, JSON_COMPACT);
    char *enc = raw ? base64url_encode((const unsigned char *)raw, strlen(raw)) : NULL;
    json_t *out = enc ? json_string(enc) : json_null();
    free(raw);
    free(enc);
    json_decref(c);
    return out;
}

/* The in-memory cursor: base64url of "o:<offset>" (opaque to clients). */
static char *offset_cursor(size_t offset)
{
    char raw[32];
    int n = snprintf(raw, sizeof(raw), "o:%zu", offset);
    return base64url_encode((const unsigned char *)raw, (size_t)n);
}

int page_query(struct request *req, size_t *offset, long *limit)
{
    static const char *const none[] = {NULL};
    return page_query_also(req, none, offset, limit);
}

int page_query_also(struct request *req, const char *const also[], size_t *offset, long *limit)
{
    const char *known[8] = {"limit", "cursor"};
    for (size_t i = 0; also[i] && i + 3 < sizeof(known) / sizeof(known[0]); i++)
        known[i + 2] = also[i];
    *offset = 0;
    *limit = query_limit(req);
    const char *cursor = query_str(req, "cursor");
    if (cursor) {
        size_t len = 0;
        char *raw = base64url_decode(cursor, &len);
        char *end = NULL;
        unsigned long long o =
            raw && len > 2 && strncmp(raw, "o:", 2) == 0 ? strtoull(raw + 2, &end, 10) : 0;
        if (!end || *end || o == 0 || o > 1000000)
            res_field_error(req, "cursor", "is not a cursor of this listing");
        else
            *offset = (size_t)o;
        free(raw);
    }
    body_only(req, req->query, NULL, known);
    return body_failed(req) ? -1 : 0;
}

void res_items_page(struct request *req, json_t *items, size_t offset, long limit)
{
    size_t n = json_array_size(items);
    json_t *page = json_array();
    for (size_t i = offset; i < n && i < offset + (size_t)limit; i++)
        json_array_append(page, json_array_get(items, i));
    json_t *next = json_null();
    if (offset + (size_t)limit < n) {
        char *c = offset_cursor(offset + (size_t)limit);
        json_decref(next);
        next = json_string(c);
        free(c);
    }
    json_decref(items);
    res_json(req, 200, json_pack("{s:o, s:o}", "items", page, "next_cursor", next));
}

json_t *json_sorted(json_t *items, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(items);
    json_t **v = calloc(n + 1, sizeof(*v));
    if (!v)
        abort();
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(items, i));
    qsort(v, n, sizeof(*v), cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    free(v);
    json_decref(items);
    return out;
}

int json_cmp_uid(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "uid"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "uid"));
    return strcasecmp(x ? x : "", y ? y : "");
}

long query_limit(struct request *req)
{
    return query_limit_up_to(req, 200, 50);
}

long query_limit_up_to(struct request *req, long max, long fallback)
{
    json_t *v = json_object_get(req->query, "limit");
    if (!v)
        return fallback;
    const char *s = json_string_value(v);
    char *end = NULL;
    long limit = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || end == s || limit < 1 || limit > max) {
        char why[64];
        snprintf(why, sizeof(why), "must be a number from 1 to %ld", max);
        res_field_error(req, "limit", why);
        return fallback;
    }
    return limit;
}

int body_failed(struct request *req)
{
    if (request_refused(req))
        return 1;
    return res_fail_if_errors(req);
}

/* Text of a mail body: any length up to limit, no control characters
 * but line breaks and tabs. */
static const char *check_body(const char *s, struct text_limit limit, char why[WHY_SIZE])
{
    if (!*s)
        return "must not be empty";
    const char *too_long = validate_length(s, limit, why);
    return too_long ? too_long : validate_chars(s, 1);
}

const char *body_mail_text(struct request *req, json_t *b, struct text_limit limit)
{
    json_t *v = json_object_get(b, "body");
    const char *body = json_is_string(v) ? json_string_value(v) : NULL;
    char buf[WHY_SIZE];
    const char *why = !v      ? "is required"
                      : !body ? "must be a string"
                              : check_body(body, limit, buf);
    if (why) {
        res_field_error(req, "body", why);
        return NULL;
    }
    return body;
}

/* If-Match: "<id>.<version>" (a weak W/ prefix is ignored). 0 if absent,
 * -1 if it cannot be this account's ETag. */
static long long parse_if_match(const char *h, const char *prefix, unsigned long long id)
{
    if (!h || !*h)
        return 0;
    if (strcmp(h, "*") == 0)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    size_t n = strlen(prefix);
    if (h[0] != '"' || strncmp(h + 1, prefix, n) != 0 || !(h[1 + n] >= '0' && h[1 + n] <= '9'))
        return -1;
    unsigned long long hid, version;
    char tail;
    if (sscanf(h + 1 + n, "%llu.%llu\"%c", &hid, &version, &tail) != 2 || hid != id || version == 0)
        return -1;
    return (long long)version;
}

/* 1 if h is an ETag of accountd without its double quotes ("5.9", also
 * after W/): digits, a dot, digits. */
static int if_match_unquoted(const char *h)
{
    if (!h)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    size_t a = strspn(h, "0123456789");
    if (a == 0 || a > 20 || h[a] != '.')
        return 0;
    size_t b = strspn(h + a + 1, "0123456789");
    return b > 0 && b <= 20 && h[a + 1 + b] == '\0';
}

/* The version the client read: If-Match, or a form's hidden _version (the
 * account's `version`, the number its ETag carries). Both must agree.
 * Returns 0 for none, the version, or -1 with the answer set (412 for a
 * value that cannot be this account's, 422 for a malformed _version). A
 * form without either is let through like a JSON PATCH without If-Match:
 * existing front ends that never render _version keep working
 * (docs/api.md, "Lost updates"). */
long long body_expected_version(struct request *req, json_t *b, unsigned long long id)
{
    return body_expected_version_of(req, b, "", id, "the account's");
}

long long body_expected_version_of(struct request *req, json_t *b, const char *prefix,
                                   unsigned long long id, const char *whose)
{
    const char *if_match = request_param(req, "HTTP_IF_MATCH");
    long long im = parse_if_match(if_match, prefix, id);
    if (im < 0 && !*prefix && if_match_unquoted(if_match)) {
        /* If-Match: 5.9 for the ETag "5.9": still 412 (it is not the
         * ETag), but saying what is wrong (round-6 walkthrough of seed
         * 003, M2). */
        const char *v = strncmp(if_match, "W/", 2) == 0 ? if_match + 2 : if_match;
        refuse(req, 412, "precondition-failed",
               "If-Match must be the ETag exactly as sent, in double quotes (If-Match: \"%s\")", v);
        return -1;
    }
    if (im < 0) {
        refuse(req, 412, "precondition-failed", "If-Match does not match %s ETag", whose);
        return -1;
    }
    json_t *v = json_object_get(b, "_version");
    long long fv = 0;
    if (v) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        char *end = NULL;
        if (json_is_integer(v))
            fv = json_integer_value(v);
        else if (s && *s >= '0' && *s <= '9')
            fv = strtoll(s, &end, 10);
        if (fv <= 0 || (end && *end)) {
            char why[96];
            snprintf(why, sizeof(why), "must be %s version, a positive number", whose);
            res_field_error(req, "_version", why);
            res_fail_if_errors(req);
            return -1;
        }
    }
    if (im && fv && im != fv) {
        refuse(req, 412, "precondition-failed", "If-Match and _version disagree");
        return -1;
    }
    return im ? im : fv;
}
