/*
 * properties: a partner's custom property definitions (GET, POST, PATCH,
 * DELETE /accounts/{id}/property-definitions) and the typed values its
 * children carry (set by PATCH /accounts/{child}, through
 * properties_apply; read with their definitions by GET
 * /accounts/{child}/properties). Every change writes an audit row in its
 * transaction.
 */
#include "properties.h"

#include "account_store.h"
#include "audit.h"
#include "body.h"
#include "caller.h"
#include "handlers.h"
#include "json_write.h"
#include "ldap_store.h"
#include "properties_store.h"
#include "sql_store.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Characters (code points) of the NFC text, as a person counts them
 * (round-19 walkthrough of seed 001, D1): a label fits label
 * VARCHAR(100), an option the options JSON, a text value its JSON text
 * in value VARCHAR(2000) (at most 1,002 characters: every quote or backslash
 * escaped) and its bytes in sort_key VARBINARY(2000) (4 bytes for each
 * character at most; migration 082 widened it from 512). */
#define TEXT_MAX        500
#define LABEL_MAX       100
#define OPTION_MAX      100
#define OPTIONS_MAX     100
#define DEFINITIONS_MAX 100

const char *const property_type_names[PROP_TYPES] = {"text", "number", "boolean", "date", "select"};

int property_type_parse(const char *name)
{
    for (int i = 0; name && i < PROP_TYPES; i++)
        if (strcmp(name, property_type_names[i]) == 0)
            return i;
    return -1;
}

/* Columns of the overview table: a property may not shadow them in sort
 * and filter parameters. plan_status became one in round 22 (round-23
 * walkthrough of seed 001, D2): a definition made before keeps its values,
 * but the overview's filter and sort of that name are the column's. */
static const char *const reserved_keys[] = {
    "id", "name", "kind", "status", "plan", "plan_status", "created_at", "member_count", NULL};

const char *property_key_check(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 64)
        return "must be 1 to 64 characters";
    if (!islower((unsigned char)key[0]))
        return "must start with a lower-case letter";
    for (const char *p = key; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
            return "may contain only a-z, 0-9 and '_'";
    for (size_t i = 0; reserved_keys[i]; i++)
        if (strcmp(key, reserved_keys[i]) == 0)
            return "is the name of a column of the overview table";
    return NULL;
}

/* A decimal number as JSON writes it: -?digits[.digits][e[+-]digits]. */
static int decimal_syntax(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    return d <= days[m - 1] + (m == 2 && leap(y));
}

/* 16 hex digits whose byte order is the order of the doubles. */
static char *number_sort_key(double v)
{
    uint64_t bits;
    if (v == 0)
        v = 0; /* -0 sorts as 0 */
    memcpy(&bits, &v, sizeof(bits));
    bits = (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
    char *k = xcalloc(17, 1);
    snprintf(k, 17, "%016llX", (unsigned long long)bits);
    return k;
}

static char *number_json(double v)
{
    char buf[40];
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        snprintf(buf, sizeof(buf), "%.0f", v == 0 ? 0.0 : v);
    else
        json_write_shortest(buf, sizeof(buf), v);
    return xstrdup(buf);
}

static char *string_json(const char *s)
{
    json_t *j = json_string(s);
    char *out = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    return out;
}

/* What a number property takes, said to the person who typed the value
 * (round-20 walkthrough of seed 001, D4: "1,5", as German speakers write
 * one and a half, got only "must be a number"). */
const char *property_number_why(const char *typed)
{
    if (typed && strchr(typed, ','))
        return "must be a number like 1.5 (a decimal point, not a comma)";
    return "must be a number like 1.5";
}

/* The options named in a select's message take at most this many bytes,
 * so that the message, percent-encoded into an error_to URL (each byte of
 * an umlaut three), stays well within its 3072 bytes (web.h). */
#define SELECT_WHY_OPTIONS 240

/* lead ("must be one of: "), then the options as many as fit, then "; did
 * you mean 'X'?" for an option typed looks like; into why, returned. */
static const char *options_named(const char *lead, const char *const *options, const char *typed,
                                 char why[PROPERTY_WHY_SIZE])
{
    size_t n = 0;
    while (options && options[n])
        n++;
    /* One option alike but for case, the blank space around it or
     * Unicode's compatibility forms ("wien" for "Wien", " EU"):
     * text_alike_key, the comparison that keeps options apart. */
    const char *alike = NULL;
    if (typed) {
        char *want = text_alike_key(typed);
        for (size_t i = 0; want[0] && !alike && i < n; i++) {
            char *have = text_alike_key(options[i]);
            if (strcmp(have, want) == 0 && strcmp(options[i], typed) != 0)
                alike = options[i];
            free(have);
        }
        free(want);
    }
    struct buf b = BUF_INIT;
    buf_adds(&b, lead);
    size_t named = 0, start = b.len;
    for (; named < n; named++) {
        size_t add = (named ? 2 : 0) + strlen(options[named]);
        if (b.len - start + add > SELECT_WHY_OPTIONS)
            break;
        buf_printf(&b, "%s%s", named ? ", " : "", options[named]);
    }
    if (named < n)
        buf_printf(&b, "%s\u2026 and %zu more", named ? ", " : "", n - named);
    if (alike) {
        /* The option itself when the message still fits why whole. */
        size_t before = b.len;
        buf_printf(&b, "; did you mean '%s'?", alike);
        if (b.len >= PROPERTY_WHY_SIZE) {
            b.len = before;
            b.data[before] = '\0';
            buf_adds(&b, "; it differs from one of them only in case or spaces");
        }
    }
    snprintf(why, PROPERTY_WHY_SIZE, "%s", buf_str(&b));
    buf_free(&b);
    return why;
}

const char *property_select_why(const char *const *options, const char *typed,
                                char why[PROPERTY_WHY_SIZE])
{
    if (!options || !options[0])
        return "must be one of the options, and this property has none";
    return options_named("must be one of: ", options, typed, why);
}

/* 1 if v is text of blank space only (line breaks around it included,
 * as property_value_check trims them). */
static int blank_text(json_t *v)
{
    if (!json_is_string(v))
        return 0;
    json_t *trimmed = json_string_trimmed(v);
    int blank = text_is_blank(json_string_value(trimmed));
    json_decref(trimmed);
    return blank;
}

const char *property_value_check(int type, const char *const *options, json_t *value, int from_text,
                                 char **value_json, char **sort_key, char buf[PROPERTY_WHY_SIZE])
{
    const char *s = json_is_string(value) ? json_string_value(value) : NULL;
    const char *why;
    switch (type) {
    case PROP_TEXT: {
        if (!s)
            return "must be text";
        /* Without the spaces, tabs and line breaks around it, as other
         * text fields are stored, from JSON and forms alike; a filter's
         * value is read here too, so it compares trimmed (round-14
         * walkthrough of seed 001, D4). Blank text stays "must not be
         * empty". */
        json_t *trimmed = json_string_trimmed(value);
        /* In NFC, as labels and options are stored, so that a filter
         * typed in either form finds it (round-18 walkthrough of seed
         * 001, D3). */
        char *t = text_nfc(json_string_value(trimmed));
        json_decref(trimmed);
        if ((why = validate_name(t, MAX_CHARS(TEXT_MAX), buf))) {
            free(t);
            return why;
        }
        *value_json = string_json(t);
        *sort_key = t;
        return NULL;
    }
    case PROP_NUMBER: {
        double v;
        if (json_is_number(value) && !from_text) {
            v = json_number_value(value);
        } else if (s && from_text && decimal_syntax(s)) {
            errno = 0;
            v = strtod(s, NULL);
            if (errno == ERANGE && fabs(v) > 1)
                return "is out of range";
        } else {
            return property_number_why(s);
        }
        if (!isfinite(v))
            return "is out of range";
        *value_json = number_json(v);
        *sort_key = number_sort_key(v);
        return NULL;
    }
    case PROP_BOOLEAN: {
        int b = -1;
        if (json_is_boolean(value) && !from_text)
            b = json_is_true(value);
        else if (s && from_text) {
            static const char *const yes[] = {"true", "1", "on", NULL};
            static const char *const no[] = {"false", "0", "off", NULL};
            for (size_t i = 0; yes[i]; i++) {
                if (strcmp(s, yes[i]) == 0)
                    b = 1;
                if (strcmp(s, no[i]) == 0)
                    b = 0;
            }
        }
        if (b < 0)
            return "must be true or false";
        *value_json = xstrdup(b ? "true" : "false");
        *sort_key = xstrdup(b ? "1" : "0");
        return NULL;
    }
    case PROP_DATE:
        /* A value of the right form that no calendar has (2027-02-30)
         * says so (round-10 walkthrough of seed 001, D3). */
        if (s && !valid_date(s) && strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
            strspn(s, "0123456789-") == 10)
            return "is not a calendar date (YYYY-MM-DD)";
        if (!s || !valid_date(s))
            return "must be a date YYYY-MM-DD";
        *value_json = string_json(s);
        *sort_key = xstrdup(s);
        return NULL;
    case PROP_SELECT:
        if (!s)
            return property_select_why(options, NULL, buf);
        /* Blank is no value, as a form's blank value (round-17
         * walkthrough of seed 001, D3): even where a definition made
         * before kept a blank option, JSON cannot store an invisible
         * value. */
        if (blank_text(value))
            return "must not be empty";
        for (size_t i = 0; options && options[i]; i++) {
            if (strcmp(options[i], s) == 0) {
                *value_json = string_json(s);
                *sort_key = xstrdup(s);
                return NULL;
            }
        }
        /* The option in another normalization form ("O\u0308sterreich"
         * for "Österreich", as a Mac's copy and paste gives it) is that
         * option, stored as the option is written (round-18 walkthrough
         * of seed 001, D3): the values of one option never split. Only
         * when no option is equal byte for byte. */
        for (size_t i = 0; options && options[i]; i++) {
            if (text_same_nfc(options[i], s)) {
                *value_json = string_json(options[i]);
                *sort_key = xstrdup(options[i]);
                return NULL;
            }
        }
        return property_select_why(options, s, buf);
    default:
        return "has an unknown type";
    }
}

/* An empty form value (or one of blank space only) or a JSON null removes
 * a value. */
static int removes(const struct request *req, json_t *v)
{
    return json_is_null(v) || (req->body_is_form && blank_text(v));
}

static void key_error(struct request *req, const char *key, const char *message)
{
    char f[160];
    snprintf(f, sizeof(f), "properties.%.140s", key);
    res_field_error(req, f, message);
}

/* "is required (Kundennummer)": the label names the property for a
 * person who sees only the form (round-14 walkthrough of seed 001, D1). */
static void required_error(struct request *req, const struct property_def *d)
{
    char why[160];
    snprintf(why, sizeof(why), "is required (%.120s)", d->label);
    key_error(req, d->key, why);
}

static struct property_def *def_of(struct property_def *defs, size_t ndefs, const char *key)
{
    for (size_t i = 0; i < ndefs; i++)
        if (strcmp(defs[i].key, key) == 0)
            return &defs[i];
    return NULL;
}

/* A form's unticked checkboxes (round-15 walkthrough of seed 001, D1):
 * each key of present that props lacks is a boolean property set to
 * false, as the form's "off" would; a key that names no boolean property
 * of the account is an error of that property. */
static int checkboxes_off(struct request *req, struct property_def *defs, size_t ndefs,
                          json_t *props, json_t *present)
{
    int failed = 0;
    size_t i;
    json_t *k;
    json_array_foreach(present, i, k)
    {
        const char *key = json_string_value(k);
        if (!key || json_object_get(props, key))
            continue;
        struct property_def *d = def_of(defs, ndefs, key);
        if (!d)
            key_error(req, key, "no such property is defined for this account");
        else if (d->type != PROP_BOOLEAN)
            key_error(req, key,
                      "is not a checkbox (boolean) property: _properties_present lists only those");
        else {
            json_object_set_new(props, key, json_string("false"));
            continue;
        }
        failed = 1;
    }
    return failed;
}

int properties_apply(struct sql_store *sql, struct request *req, unsigned long long child_id,
                     unsigned long long parent_id, json_t *props, json_t *present)
{
    struct property_def *defs = NULL;
    size_t ndefs = 0;
    int st = parent_id ? property_defs_load(sql, parent_id, 0, &defs, &ndefs) : ST_OK;
    if (st != ST_OK)
        return st;
    json_t *current = NULL;
    st = property_values_of(sql, child_id, &current);
    const char *key;
    json_t *v;
    int failed = present ? checkboxes_off(req, defs, ndefs, props, present) : 0;
    json_object_foreach(props, key, v)
    {
        if (st != ST_OK)
            break;
        struct property_def *d = def_of(defs, ndefs, key);
        if (!d) {
            key_error(req, key, "no such property is defined for this account");
            failed = 1;
            continue;
        }
        if (removes(req, v)) {
            st = property_value_delete(sql, child_id, d->id);
            json_object_del(current, key);
            continue;
        }
        if (json_is_array(v) && req->body_is_form) {
            /* accounts_patch refused it already (body_single_values). */
            key_error(req, key, "must be given once");
            failed = 1;
            continue;
        }
        char *value_json = NULL, *sort_key = NULL, buf[PROPERTY_WHY_SIZE];
        const char *why = property_value_check(d->type, (const char *const *)d->options, v,
                                               req->body_is_form, &value_json, &sort_key, buf);
        if (why) {
            /* Blank text is no value: a required one is missing (a
             * select's too: round-17 walkthrough of seed 001, D3). */
            if ((d->type == PROP_TEXT || d->type == PROP_SELECT) && d->required && blank_text(v))
                required_error(req, d);
            else
                key_error(req, key, why);
            failed = 1;
            continue;
        }
        st = property_value_set(sql, child_id, d->id, value_json, sort_key);
        json_object_set_new(current, key, json_true());
        free(value_json);
        free(sort_key);
    }
    for (size_t i = 0; st == ST_OK && i < ndefs; i++) {
        if (defs[i].required && !json_object_get(current, defs[i].key)) {
            char f[160];
            snprintf(f, sizeof(f), "properties.%.140s", defs[i].key);
            if (!json_object_get(req->errors, f))
                required_error(req, &defs[i]);
            failed = 1;
        }
    }
    json_decref(current);
    property_defs_free(defs, ndefs);
    if (st == ST_OK && failed)
        st = refuse_invalid(req);
    return st;
}

/* ---- an account's own sheet ---------------------------------------- */

/* GET /accounts/{id}/properties: the definitions that apply to this
 * account (its parent's) with its values, for whoever may read the
 * account (round-14 walkthrough of seed 001, D1: its admins wrote values
 * whose labels, types and options they could not read). Paged as the
 * definitions list; the ETag is the account's, the one PATCH
 * /accounts/{id} checks. */
void account_properties_get(struct request *req)
{
    size_t offset;
    long limit;
    if (page_query(req, &offset, &limit) < 0)
        return;
    json_t *items;
    unsigned long long version;
    int st = property_sheet_of(req->session->sql, req->account.id, &items, &version);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such account");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_etag(req, req->account.id, version);
    res_items_page(req, items, offset, limit);
}

/* ---- definitions: handlers ----------------------------------------- */

/* The first of options[0..n) that looks like an option whose
 * text_alike_key is key (keys: theirs; "" for one that is no model) and
 * is not the text `same` itself (NULL: any); its index, or -1. Both
 * checks of look-alike options use it: POST's and PATCH's options
 * (read_options) and PATCH's new names (renames_resolve). */
static long option_alike_clash(const char *const *options, char *const *keys, size_t n,
                               const char *key, const char *same)
{
    for (size_t j = 0; j < n; j++)
        if (keys[j][0] && strcmp(keys[j], key) == 0 && (!same || strcmp(options[j], same) != 0))
            return (long)j;
    return -1;
}

/* Reads `options` of a select: 1..100 texts, each trimmed as a text value
 * is (round-17 walkthrough of seed 001, D3: "Gold " and " Silber" were
 * kept with their spaces), not blank ("   ", a no-break space: "must not
 * be empty", as a label), and no two alike: equal but for case, the
 * blank space around them or Unicode's normalization ("Gold", "gold",
 * "Gold\u00a0"; "Österreich" in NFC and NFD, "Kärnten" with a KELVIN
 * SIGN: round-18 walkthrough of seed 001, D3), which a dropdown cannot
 * tell apart. Each error names the option's index (errors["options[2]"]).
 * Returns the JSON array text of the trimmed options in NFC (malloc'ed)
 * or NULL with a field error recorded. */
static char *read_options(struct request *req, json_t *b)
{
    const char **opts = body_str_list(req, b, "options");
    if (!opts) {
        if (!json_object_get(req->errors, "options"))
            res_field_error(req, "options", "a select needs 1 to 100 options");
        return NULL;
    }
    size_t count = 0;
    while (opts[count])
        count++;
    char **trimmed = xcalloc(count + 1, sizeof(char *));
    char **keys = xcalloc(count + 1, sizeof(char *));
    json_t *arr = json_array();
    for (size_t n = 0; n < count; n++) {
        char *plain = text_trimmed(opts[n]);
        const char *option = trimmed[n] = text_nfc(plain); /* stored in NFC */
        free(plain);
        char why[240], too_long[WHY_SIZE];
        const char *bad = validate_name(option, MAX_CHARS(OPTION_MAX), too_long);
        if (bad)
            snprintf(why, sizeof(why), "%s", bad);
        keys[n] = text_alike_key(option);
        long j =
            bad ? -1 : option_alike_clash((const char *const *)trimmed, keys, n, keys[n], NULL);
        if (j >= 0) {
            snprintf(why, sizeof(why),
                     "is the same as options[%ld] ('%.60s') but for case, the spaces "
                     "around it or characters that look alike: options must differ by more",
                     j, trimmed[j]);
            bad = why;
        }
        if (bad) {
            char f[32];
            snprintf(f, sizeof(f), "options[%zu]", n);
            res_field_error(req, f, why);
            keys[n][0] = '\0'; /* a bad option is no model for the later ones */
        }
        json_array_append_new(arr, json_string(option));
    }
    for (size_t n = 0; n < count; n++) {
        free(trimmed[n]);
        free(keys[n]);
    }
    free(trimmed);
    free(keys);
    free(opts);
    if (count == 0 || count > OPTIONS_MAX)
        res_field_error(req, "options", "a select needs 1 to 100 options");
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

/* Only accounts that have children define properties for them. */
static int defines_for_children(struct request *req, const struct account_ref *a)
{
    if (strcmp(a->kind, "customer") != 0)
        return 1;
    refuse(req, 409, "conflict",
           "a customer account has no child accounts to define "
           "properties for");
    return 0;
}

void property_definitions_list(struct request *req)
{
    struct account_ref a = req->account;
    size_t offset;
    long limit;
    if (page_query(req, &offset, &limit) < 0)
        return;
    struct property_def *defs;
    size_t n;
    int st = property_defs_load(req->session->sql, a.id, 0, &defs, &n);
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, property_def_json(&defs[i]));
    property_defs_free(defs, n);
    res_items_page(req, items, offset, limit);
}

/* One definition as the list shows it (round-8 walkthrough of seed 001:
 * the Location of a create answered 405). */
void property_definitions_get(struct request *req)
{
    if (body_none(req))
        return;
    struct property_def def;
    int st = property_def_find(req->session->sql, req->account.id, req->args[1], 0, &def);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such property");
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return;
    }
    res_etag_of(req, "p", def.id, def.version);
    res_json(req, 200, property_def_json(&def));
    property_def_clear(&def);
}

struct def_change {
    struct request *req;
    unsigned long long account_id;
    const char *key, *label;
    int type, required; /* required: -1 unchanged */
    char *options;      /* JSON text, NULL if not given */
    int have_options;
    long long expected;      /* If-Match / _version: the version read; 0 none */
    struct property_def def; /* the definition after the change */
    /* PATCH's rename_options: the options renamed, each with its new
     * name (trimmed, in NFC) and the name as sent (errors name it). */
    struct option_rename *renames;
    size_t nrenames;
    unsigned long long values_moved; /* by the renames (the partner's audit row) */
    int delete_values;               /* DELETE's values=delete: the values may go */
};

struct option_rename {
    const char *sent; /* the key of rename_options as sent (the body's) */
    char *to;         /* the new name, trimmed and in NFC */
    const char *from; /* the option of the definition it names (the transaction's) */
};

/* The version the client read of definition key (If-Match "p<id>.<version>"
 * or a form's _version): 0 for none, -1 with the answer set. The
 * definition is read only when the client sent one. */
static long long expected_def_version(struct request *req, json_t *b, unsigned long long account_id,
                                      const char *key)
{
    if (!request_param(req, "HTTP_IF_MATCH") && !json_object_get(b, "_version"))
        return 0;
    struct property_def def;
    int st = property_def_find(req->session->sql, account_id, key, 0, &def);
    if (st == ST_NOT_FOUND) {
        refuse(req, 404, "not-found", "no such property");
        return -1;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the database");
        return -1;
    }
    long long v = body_expected_version_of(req, b, "p", def.id, "the property's");
    property_def_clear(&def);
    return v;
}

/* Under the definition's row lock: a stale If-Match / _version is 412 and
 * nothing changes (round-12 walkthrough of seed 001, D2). */
static int def_version_holds(struct def_change *c, const struct property_def *now)
{
    if (c->expected > 0 && (unsigned long long)c->expected != now->version)
        return refuse(c->req, 412, "precondition-failed",
                      "the property changed since you read it; read it again");
    return ST_OK;
}

/* The definition of defs, other than the one with id except, whose label
 * looks like label (text_alike_key: equal but for case, the blank space
 * around it and Unicode's normalization forms), or NULL. */
static const struct property_def *label_holder(const struct property_def *defs, size_t n,
                                               const char *label, unsigned long long except)
{
    char *want = text_alike_key(label);
    const struct property_def *found = NULL;
    for (size_t i = 0; !found && i < n; i++) {
        if (defs[i].id == except)
            continue;
        char *have = text_alike_key(defs[i].label);
        if (strcmp(have, want) == 0)
            found = &defs[i];
        free(have);
    }
    free(want);
    return found;
}

/* 409 about the fields the form shows: errors.key for a taken key
 * (round-8 walkthrough of seed 001), errors.label for a label another
 * property of the account has, in any case, with or without spaces
 * around it (round-17 walkthrough of seed 001, D4: two columns headed
 * "Region", and "is required (Region)" could not tell them apart); both
 * when both are taken. */
static int refuse_taken(struct request *req, int key_taken, const struct property_def *holder)
{
    char why[240];
    if (holder)
        snprintf(why, sizeof(why), "is taken: the account's property '%.64s' is labelled '%.100s'",
                 holder->key, holder->label);
    if (!key_taken)
        return refuse_field(req, 409, "conflict", "label", why,
                            "a property with this label exists: '%.64s'", holder->key);
    static const char key_why[] = "is taken: the account has a property with this key";
    if (!holder)
        return refuse_field(req, 409, "conflict", "key", key_why,
                            "a property with this key exists");
    refuse_field(req, 409, "conflict", "key", key_why,
                 "a property with this key exists, and '%.64s' has this label", holder->key);
    res_field_error(req, "label", why);
    return ST_REFUSED;
}

static int define_tx(struct sql_store *sql, void *arg)
{
    struct def_change *c = arg;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st != ST_OK)
        return st;
    struct property_def *defs;
    size_t n;
    st = property_defs_load(sql, c->account_id, 1, &defs, &n);
    if (st != ST_OK)
        return st;
    const struct property_def *holder = label_holder(defs, n, c->label, 0);
    int key_taken = def_of(defs, n, c->key) != NULL;
    if (key_taken || holder)
        st = refuse_taken(c->req, key_taken, holder);
    property_defs_free(defs, n);
    if (st != ST_OK)
        return st;
    if (n >= DEFINITIONS_MAX)
        return refuse(c->req, 409, "conflict", "an account has at most 100 properties");
    unsigned long long id;
    st = property_def_insert(sql, c->account_id, c->key, c->label, c->type, c->options,
                             c->required == 1, &id);
    /* About the key the form shows: errors.key marks it (round-8
     * walkthrough of seed 001). */
    if (st == ST_DUPLICATE)
        return refuse_field(c->req, 409, "conflict", "key",
                            "is taken: the account has a property with this key",
                            "a property with this key exists");
    if (st != ST_OK)
        return st;
    property_def_clear(&c->def);
    st = property_def_find(sql, c->account_id, c->key, 0, &c->def);
    if (st == ST_OK)
        st = audit_write(sql, c->req->caller.uid, c->account_id, "property.define", NULL,
                         property_def_json(&c->def));
    return st;
}

static void answer_change(struct request *req, int st, struct def_change *c, int status)
{
    if (st == ST_OK) {
        if (status == 201) {
            char loc[160];
            snprintf(loc, sizeof(loc), "/api/v1/accounts/%llu/property-definitions/%s",
                     c->account_id, c->def.key);
            res_header(req, "Location", loc);
        }
        if (status != 204)
            res_etag_of(req, "p", c->def.id, c->def.version);
        if (status == 204)
            res_empty(req, 204);
        else
            res_json(req, status, property_def_json(&c->def));
    } else {
        res_store_failure(req, st, "the database");
    }
    property_def_clear(&c->def);
    free(c->options);
}

void property_definitions_create(struct request *req)
{
    static const char *const allowed[] = {
        "key", "label", "type", "options", "required", "_required_present", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct def_change c = {.req = req, .required = -1};
    c.key = body_str(req, b, NULL, "key", 1, MAX_CHARS(64));
    body_nfc(b, "label");
    c.label = body_name(req, b, NULL, "label", 1, MAX_CHARS(LABEL_MAX));
    const char *type = body_str(req, b, NULL, "type", 1, MAX_CHARS(16));
    /* The "required" checkbox of a form: _required_present=1 says it was on
     * the page, so an unticked box is false (round-15 walkthrough of seed
     * 001, D1; as _news_present). */
    c.required = body_checkbox(req, b, "required", "_required_present");
    const char *why;
    if (c.key && (why = property_key_check(c.key)))
        res_field_error(req, "key", why);
    c.type = property_type_parse(type);
    if (type && c.type < 0)
        res_field_error(req, "type", "must be text, number, boolean, date or select");
    if (c.type == PROP_SELECT)
        c.options = read_options(req, b);
    else if (json_object_get(b, "options"))
        res_field_error(req, "options", "only a select has options");
    if (body_failed(req)) {
        free(c.options);
        return;
    }
    struct account_ref a = req->account;
    if (!defines_for_children(req, &a)) {
        free(c.options);
        return;
    }
    c.account_id = a.id;
    answer_change(req, request_transaction(req, define_tx, &c), &c, 201);
}

/* A rename to a label another property of the account has is 409
 * (refuse_taken). Only a new label is checked (one that is not the old
 * one but for case and spaces): two labels alike from before this rule
 * do not block the dialog, which sends the label with every change. */
static int label_free(struct sql_store *sql, struct def_change *c, const struct property_def *old)
{
    if (!c->label)
        return ST_OK;
    char *now = text_alike_key(c->label), *was = text_alike_key(old->label);
    int same = strcmp(now, was) == 0;
    free(now);
    free(was);
    if (same)
        return ST_OK;
    struct property_def *defs;
    size_t n;
    int st = property_defs_load(sql, c->account_id, 0, &defs, &n);
    if (st != ST_OK)
        return st;
    const struct property_def *holder = label_holder(defs, n, c->label, old->id);
    if (holder)
        st = refuse_taken(c->req, 0, holder);
    property_defs_free(defs, n);
    return st;
}

/* The values of option `from` of definition def become option `to`: a
 * rename of rename_options (renames_apply), or the same text in another
 * normalization form (redefine_tx). Each child that had it gets a new
 * version and an audit row of its own, as on a delete (DESIGN.md: which
 * account, the old and the new value); *moved receives how many. */
static int option_renamed(struct sql_store *sql, struct def_change *c,
                          const struct property_def *def, const char *from, const char *to,
                          size_t *moved_n)
{
    char *to_json = string_json(to);
    json_t *moved = NULL;
    int st = property_values_rewrite(sql, def->id, from, to_json, to, &moved);
    free(to_json);
    size_t i;
    json_t *id;
    *moved_n = json_array_size(moved);
    json_array_foreach(moved, i, id)
    {
        if (st != ST_OK)
            break;
        st = audit_write(sql, c->req->caller.uid, (unsigned long long)json_integer_value(id),
                         "property.update", json_pack("{s:s, s:s}", "key", def->key, "value", from),
                         json_pack("{s:s, s:s, s:I}", "key", def->key, "value", to, "partner_id",
                                   (json_int_t)c->account_id));
    }
    json_decref(moved);
    return st;
}

/* 1 if field errors were recorded (for the 422 of the transaction). */
static int has_field_errors(const struct request *req)
{
    return req->errors && json_object_size(req->errors) > 0;
}

/* The error of rename_options' entry r ("rename_options.<name as sent>"). */
static void rename_error(struct request *req, const struct option_rename *r, const char *why)
{
    char f[160];
    snprintf(f, sizeof(f), "rename_options.%.120s", r->sent);
    res_field_error(req, f, why);
}

/* The index in options of the option `name` names: the same text, or the
 * same in another normalization form or with blank space around it
 * (rename_options' keys are trimmed and compared in NFC); -1 if none. */
static long option_index(char *const *options, const char *name)
{
    char *plain = text_trimmed(name);
    long found = -1;
    for (long i = 0; found < 0 && options && options[i]; i++)
        if (strcmp(options[i], plain) == 0)
            found = i;
    for (long i = 0; found < 0 && options && options[i]; i++)
        if (text_same_nfc(options[i], plain))
            found = i;
    free(plain);
    return found;
}

/* The entry of c's rename_options that renames option (of the
 * definition), or NULL. */
static const struct option_rename *renamed_by(const struct def_change *c, const char *option)
{
    for (size_t k = 0; k < c->nrenames; k++)
        if (c->renames[k].from && strcmp(c->renames[k].from, option) == 0)
            return &c->renames[k];
    return NULL;
}

/* options as a JSON array (a new reference); with c, each option c
 * renames replaced by its new name where it was, one that equals an
 * option before it merged into that one. */
static json_t *options_to_json(char *const *options, const struct def_change *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; options && options[i]; i++) {
        const struct option_rename *r = c ? renamed_by(c, options[i]) : NULL;
        const char *name = r ? r->to : options[i];
        int seen = 0;
        size_t n;
        json_t *o;
        json_array_foreach(arr, n, o) seen |= strcmp(json_string_value(o), name) == 0;
        if (!seen)
            json_array_append_new(arr, json_string(name));
    }
    return arr;
}

/* rename_options against the definition old (round-20 walkthrough of seed
 * 001, D2): each names an option of it; with `options` sent, each new name
 * is among them and each renamed option is not; without, the options
 * become old's with each renamed one replaced in place, one that becomes
 * an option the list has already merging into it (its first place), and
 * a new name that only looks like another option (case, spaces,
 * look-alike characters) is refused as such an option is on POST. The
 * options the definition gets as JSON text in *options_json (malloc'ed),
 * or ST_REFUSED with the 422 recorded. */
static int renames_resolve(struct def_change *c, const struct property_def *old,
                           char **options_json)
{
    struct request *req = c->req;
    *options_json = NULL;
    char why[PROPERTY_WHY_SIZE];
    for (size_t k = 0; k < c->nrenames; k++) {
        struct option_rename *r = &c->renames[k];
        long i = option_index(old->options, r->sent);
        r->from = i >= 0 ? old->options[i] : NULL;
        if (!r->from)
            rename_error(req, r,
                         options_named("is no option of this property, whose options are: ",
                                       (const char *const *)old->options, r->sent, why));
    }
    json_t *sent = c->have_options ? json_loads(c->options, 0, NULL) : NULL;
    for (size_t k = 0; k < c->nrenames; k++) {
        struct option_rename *r = &c->renames[k];
        if (!r->from || strcmp(r->from, r->to) == 0)
            continue;
        const char *problem = NULL;
        for (size_t j = 0; !problem && j < c->nrenames; j++) {
            const struct option_rename *other = &c->renames[j];
            if (j == k || !other->from)
                continue;
            if (j < k && strcmp(other->from, r->from) == 0)
                problem = "names the same option as another entry of rename_options";
            else if (strcmp(other->from, r->to) == 0 && strcmp(other->from, other->to) != 0)
                problem = "renames it to an option this request renames too: rename one of them "
                          "first, in a request of its own";
        }
        if (problem) {
            rename_error(req, r, problem);
            continue;
        }
        if (!sent)
            continue;
        size_t n;
        json_t *o;
        int has_to = 0, has_from = 0;
        json_array_foreach(sent, n, o)
        {
            has_to |= strcmp(json_string_value(o), r->to) == 0;
            has_from |= strcmp(json_string_value(o), r->from) == 0;
        }
        if (!has_to) {
            snprintf(why, sizeof(why),
                     "renames it to '%.100s', which is not among the options sent: send the "
                     "options with the new name, or send no options",
                     r->to);
            rename_error(req, r, why);
        } else if (has_from) {
            snprintf(why, sizeof(why),
                     "is still among the options sent: a renamed option goes, its values become "
                     "'%.100s'",
                     r->to);
            rename_error(req, r, why);
        }
    }
    if (sent) {
        json_decref(sent);
        if (has_field_errors(req))
            return refuse_invalid(req);
        *options_json = xstrdup(c->options);
        return ST_OK;
    }
    /* The options as they were, each renamed one replaced where it was
     * (options_to_json). */
    json_t *now = options_to_json(old->options, c);
    /* A new name that looks like another option (not the same text) is
     * refused, as two such options are on POST (read_options). */
    size_t count = json_array_size(now);
    const char **names = xcalloc(count + 1, sizeof(char *));
    char **keys = xcalloc(count + 1, sizeof(char *));
    for (size_t n = 0; n < count; n++) {
        names[n] = json_string_value(json_array_get(now, n));
        keys[n] = text_alike_key(names[n]);
    }
    for (size_t k = 0; k < c->nrenames; k++) {
        const struct option_rename *r = &c->renames[k];
        if (!r->from)
            continue;
        char *want = text_alike_key(r->to);
        long j = option_alike_clash(names, keys, count, want, r->to);
        free(want);
        if (j >= 0) {
            snprintf(why, sizeof(why),
                     "renames it to '%.100s', the same as the option '%.100s' but for case, "
                     "the spaces around it or characters that look alike: rename it to "
                     "'%.100s' itself to move its values there, or to a name that differs "
                     "by more",
                     r->to, names[j], names[j]);
            rename_error(req, r, why);
        }
    }
    for (size_t n = 0; n < count; n++)
        free(keys[n]);
    free(keys);
    free(names);
    if (has_field_errors(req)) {
        json_decref(now);
        return refuse_invalid(req);
    }
    *options_json = json_dumps(now, JSON_COMPACT);
    json_decref(now);
    return ST_OK;
}

/* Moves the values of each renamed option to its new name: each child
 * that had it gets the new one, a new version and an audit row of its
 * own (option_renamed, as for an option sent again in NFC). */
static int renames_apply(struct sql_store *sql, struct def_change *c,
                         const struct property_def *old)
{
    int st = ST_OK;
    for (size_t k = 0; st == ST_OK && k < c->nrenames; k++) {
        const struct option_rename *r = &c->renames[k];
        size_t moved = 0;
        if (r->from && strcmp(r->from, r->to) != 0)
            st = option_renamed(sql, c, old, r->from, r->to, &moved);
        c->values_moved += moved;
    }
    return st;
}

static int redefine_tx(struct sql_store *sql, void *arg)
{
    struct def_change *c = arg;
    c->values_moved = 0;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st != ST_OK)
        return st;
    struct property_def old;
    st = property_def_find(sql, c->account_id, c->key, 1, &old);
    if (st == ST_NOT_FOUND)
        return refuse(c->req, 404, "not-found", "no such property");
    if (st != ST_OK)
        return st;
    if ((st = def_version_holds(c, &old)) != ST_OK || (st = label_free(sql, c, &old)) != ST_OK) {
        property_def_clear(&old);
        return st;
    }
    if ((c->have_options || c->nrenames) && old.type != PROP_SELECT) {
        res_field_error(c->req, c->have_options ? "options" : "rename_options",
                        "only a select has options");
        property_def_clear(&old);
        return refuse_invalid(c->req);
    }
    /* The options the definition gets: those sent, or with renames and
     * none sent its own with the renamed ones replaced (renames_resolve);
     * NULL: unchanged. */
    char *options = NULL;
    if (c->nrenames)
        st = renames_resolve(c, &old, &options);
    else if (c->have_options)
        options = xstrdup(c->options);
    if (st == ST_OK)
        st = renames_apply(sql, c, &old);
    /* An option still in use by a child stays: its value would lose its
     * meaning. One renamed (rename_options) took its values along. One
     * sent again in another normalization form (options are stored in
     * NFC since round 18: an option of before, written in NFD, comes back
     * in NFC) is kept, and its values follow it. */
    if (st == ST_OK && options) {
        json_t *now = json_loads(options, 0, NULL);
        for (size_t i = 0; st == ST_OK && old.options && old.options[i]; i++) {
            int kept = renamed_by(c, old.options[i]) != NULL;
            const char *renamed = NULL;
            size_t k;
            json_t *o;
            json_array_foreach(now, k, o) kept |= strcmp(json_string_value(o), old.options[i]) == 0;
            json_array_foreach(now, k, o)
            {
                if (!kept && !renamed && text_same_nfc(json_string_value(o), old.options[i]))
                    renamed = json_string_value(o);
            }
            size_t moved; /* not by a rename: not in values_moved */
            if (renamed)
                st = option_renamed(sql, c, &old, old.options[i], renamed, &moved);
            unsigned long long used = 0;
            if (!kept && !renamed && st == ST_OK)
                st = property_values_with_key(sql, old.id, old.options[i], &used);
            /* About the options the form shows: errors.options marks
             * them (round-8 walkthrough of seed 001); how to move the
             * values on (round-20 walkthrough of seed 001, D2). */
            if (st == ST_OK && used) {
                char why[PROPERTY_WHY_SIZE];
                snprintf(why, sizeof(why),
                         "must keep '%.100s': it is the value of %llu account(s); rename it "
                         "(rename_options) to move those values to another option",
                         old.options[i], used);
                st = refuse_field(c->req, 409, "conflict", "options", why,
                                  "option '%.100s' is the value of %llu account(s) "
                                  "(filter[%.64s] finds them); rename_options {\"%.100s\": "
                                  "<another option>} gives them that option",
                                  old.options[i], used, old.key, old.options[i]);
            }
        }
        json_decref(now);
    }
    if (st == ST_OK && !options && old.options) {
        json_t *arr = options_to_json(old.options, NULL);
        options = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
    }
    if (st == ST_OK)
        st = property_def_update(sql, old.id, c->label ? c->label : old.label, options,
                                 c->required >= 0 ? c->required : old.required);
    free(options);
    if (st == ST_OK) {
        property_def_clear(&c->def);
        st = property_def_find(sql, c->account_id, c->key, 0, &c->def);
    }
    if (st == ST_OK) {
        /* The partner's row says which options were renamed and how
         * many values moved with them (each child has its own row). */
        json_t *now = property_def_json(&c->def);
        if (c->nrenames) {
            json_t *renamed = json_object();
            for (size_t k = 0; k < c->nrenames; k++)
                json_object_set_new(renamed, c->renames[k].from, json_string(c->renames[k].to));
            json_object_set_new(now, "options_renamed", renamed);
            json_object_set_new(now, "values_moved", json_integer((json_int_t)c->values_moved));
        }
        st = audit_write(sql, c->req->caller.uid, c->account_id, "property.update",
                         property_def_json(&old), now);
    }
    property_def_clear(&old);
    return st;
}

/* PATCH's rename_options {"<option>": "<new name>", ...} (a form:
 * rename_options[<option>]=<new name>): each new name trimmed and in NFC,
 * checked as an option is (1-100 characters, not blank); at most 100.
 * The options named are checked against the definition in its
 * transaction (renames_resolve). */
static void read_renames(struct request *req, json_t *b, struct def_change *c)
{
    json_t *obj = body_obj(req, b, NULL, "rename_options");
    if (!obj)
        return;
    body_single_values(req, obj, "rename_options");
    if (json_object_size(obj) > OPTIONS_MAX) {
        res_field_error(req, "rename_options", "renames at most 100 options at once");
        return;
    }
    c->renames = xcalloc(json_object_size(obj) + 1, sizeof(struct option_rename));
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v)
    {
        struct option_rename *r = &c->renames[c->nrenames++];
        r->sent = name;
        if (!json_is_string(v)) {
            if (!json_is_array(v)) /* a form's repeated field: 400 above */
                rename_error(req, r, "must be the option's new name, a text");
            r->to = xstrdup("");
            continue;
        }
        char *plain = text_trimmed(json_string_value(v));
        r->to = text_nfc(plain);
        free(plain);
        char too_long[WHY_SIZE];
        const char *bad = validate_name(r->to, MAX_CHARS(OPTION_MAX), too_long);
        if (bad)
            rename_error(req, r, bad);
    }
}

static void renames_free(struct def_change *c)
{
    for (size_t k = 0; k < c->nrenames; k++)
        free(c->renames[k].to);
    free(c->renames);
    c->renames = NULL;
    c->nrenames = 0;
}

void property_definitions_patch(struct request *req)
{
    static const char *const allowed[] = {
        "label", "options", "required", "_required_present", "_version", "rename_options", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    struct def_change c = {.req = req, .key = req->args[1]};
    body_nfc(b, "label");
    c.label =
        body_name(req, b, NULL, "label", json_object_get(b, "label") != NULL, MAX_CHARS(LABEL_MAX));
    c.required = body_checkbox(req, b, "required", "_required_present");
    if (json_object_get(b, "options")) {
        c.have_options = 1;
        c.options = read_options(req, b);
    }
    read_renames(req, b, &c);
    if (body_failed(req)) {
        free(c.options);
        renames_free(&c);
        return;
    }
    struct account_ref a = req->account;
    c.account_id = a.id;
    if ((c.expected = expected_def_version(req, b, a.id, c.key)) < 0) {
        free(c.options);
        renames_free(&c);
        return;
    }
    answer_change(req, request_transaction(req, redefine_tx, &c), &c, 200);
    renames_free(&c);
}

static int undefine_tx(struct sql_store *sql, void *arg)
{
    struct def_change *c = arg;
    int st = account_lock(sql, c->account_id, &c->req->problem, NULL);
    if (st != ST_OK)
        return st;
    property_def_clear(&c->def);
    st = property_def_find(sql, c->account_id, c->key, 1, &c->def);
    if (st == ST_NOT_FOUND)
        return refuse(c->req, 404, "not-found", "no such property");
    if (st == ST_OK)
        st = def_version_holds(c, &c->def);
    /* Values go only when the caller said so (round-20 walkthrough of
     * seed 001, D2: a DELETE wiped every child's value, also in children
     * the partner's admin may not enter, while renaming the same option
     * was refused): 409 naming how many, counted before anything is
     * deleted. A definition without values goes as before. The definition
     * row is locked (property_def_find above), so no value of it can be
     * added between the count and the delete. */
    unsigned long long lost = 0;
    if (st == ST_OK && !c->delete_values)
        st = property_values_count(sql, c->def.id, &lost);
    if (st == ST_OK && lost) {
        char why[PROPERTY_WHY_SIZE];
        snprintf(why, sizeof(why),
                 "%llu account(s) have a value of this property: send values=delete to delete it "
                 "with their values",
                 lost);
        st = refuse_field(c->req, 409, "conflict", "values", why,
                          "property '%.64s' has a value in %llu account(s); deleting it deletes "
                          "those values: send the DELETE again with values=delete to confirm",
                          c->def.key, lost);
    }
    json_t *removed = NULL;
    if (st == ST_OK)
        st = property_def_delete(sql, c->def.id, &removed);
    if (st == ST_OK)
        st = audit_write(sql, c->req->caller.uid, c->account_id, "property.delete",
                         property_def_json(&c->def),
                         json_pack("{s:s, s:I}", "key", c->def.key, "values_removed",
                                   (json_int_t)json_array_size(removed)));
    /* Each child that lost a value has it in its own trail (DESIGN.md:
     * which account, the old and the new value). */
    size_t i;
    json_t *r;
    json_array_foreach(removed, i, r)
    {
        if (st != ST_OK)
            break;
        json_int_t child = json_integer_value(json_object_get(r, "account_id"));
        st = audit_write(
            sql, c->req->caller.uid, (unsigned long long)child, "property.delete",
            json_pack("{s:s, s:O}", "key", c->def.key, "value", json_object_get(r, "value")),
            json_pack("{s:s, s:n, s:I}", "key", c->def.key, "value", "partner_id",
                      (json_int_t)c->account_id));
    }
    json_decref(removed);
    return st;
}

void property_definitions_delete(struct request *req)
{
    static const char *const allowed[] = {"_version", "values", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    /* values=delete: delete the values too (undefine_tx) */
    const char *values = body_str(req, b, NULL, "values", 0, MAX_CHARS(16));
    if (values && strcmp(values, "delete") != 0)
        res_field_error(req, "values",
                        "must be 'delete' (delete the property and every account's value of it)");
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    struct def_change c = {
        .req = req, .key = req->args[1], .account_id = a.id, .delete_values = values != NULL};
    if ((c.expected = expected_def_version(req, b, a.id, c.key)) < 0)
        return;
    answer_change(req, request_transaction(req, undefine_tx, &c), &c, 204);
}
