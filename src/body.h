/*
 * body: typed access to the fields of a parsed body (JSON or form, both as a
 * JSON object), with the shared rules: only the action's own fields
 * (anything else is 422), a list where one value is wanted is 400 for a form
 * and 422 for JSON, text is checked with validate_text against the
 * field's limit (MAX_CHARS(n) or MAX_BYTES(n), validate.h), and a value
 * too long says the limit and its length.
 *
 * Each accessor records problems on the request (res_field_error or a 400);
 * the handler calls body_failed() once after reading all its fields.
 * Returned strings belong to the body and live as long as the request.
 */
#ifndef ACCOUNTD_BODY_H
#define ACCOUNTD_BODY_H

#include "http.h"
#include "validate.h"

/* Reads a JSON body (json_loadb, duplicate keys refused) into a new
 * value, NULL with *err set. RFC 8259 sets no limit to a number: an
 * integer literal beyond 64 bits (12345678901234567890), which jansson
 * refuses as "too big integer", is read as the real it is, as
 * 12345678901234567890.0 is (round-17 walkthrough of seed 001, D5), so
 * that a number property takes it and a bounded field (a quantity, an
 * id) names its own field in a 422. A number beyond a double (1e400)
 * stays an error with json_error_code(err) == json_error_numeric_overflow,
 * its line and column those of the body as sent. */
json_t *body_json_load(const char *text, size_t len, json_error_t *err);
/* The body, or an empty object when the request had none. */
json_t *body_root(struct request *req);
/* Records every member of obj that is not in allowed (NULL-terminated);
 * prefix names the enclosing object in error keys ("company"). */
void body_only(struct request *req, json_t *obj, const char *prefix, const char *const allowed[]);
/* A form: 400 when a member of obj was given more than once (a list where
 * each member takes one value, e.g. properties[key]); JSON: nothing. */
void body_single_values(struct request *req, json_t *obj, const char *prefix);
/* A string member; NULL if absent (recorded as an error when required). */
const char *body_str(struct request *req, json_t *obj, const char *prefix, const char *name,
                     int required, struct text_limit limit);
/* Trims the spaces, tabs and line breaks around obj's string member name
 * in place, so that what is read and stored after it is the trimmed
 * value (an address pasted with spaces around it, as the recipients
 * form takes it: round-6 walkthrough of seed 004, D6). Anything else
 * (absent, not a string) is left for the accessors to judge. */
void body_trim(json_t *obj, const char *name);
/* Replaces obj's string member name by its NFC form (text_nfc,
 * validate.h), so that what is checked and stored after it is the
 * normalized text: a property's label (round-18 walkthrough of seed 001,
 * D3), a project's name (round-20 walkthrough of seed 003, D2). Anything
 * else (absent, not a string) is left for the accessors to judge. */
void body_nfc(json_t *obj, const char *name);
/* Replaces obj's string member name by its form with A-Z in lower case
 * (text_lower_ascii), so that what is checked, stored, audited and echoed
 * after it is the lowered value: a storefront's host and alias. Anything
 * else (absent, not a string) is left for the accessors to judge. */
void body_lower(json_t *obj, const char *name);
/* String v without the spaces, tabs and line breaks around it, as
 * body_trim trims (a property's text value: round-14 walkthrough of seed
 * 001, D4): a new reference, v itself when nothing is trimmed. */
json_t *json_string_trimmed(json_t *v);
/* body_str for a text a person reads that may be blank: an invisible
 * format character anywhere in it is refused naming its code point
 * (validate_no_format_chars), before body_str's checks. The company's
 * text fields, people's first and last names (invitation, accept,
 * transfer, an account's contact): round-26 walkthrough of seed 004,
 * D2. */
const char *body_text(struct request *req, json_t *obj, const char *prefix, const char *name,
                      int required, struct text_limit limit);
/* body_str for a name or label a person reads (an account's, a project's
 * name, a property's label): only blank space (spaces, no-break spaces,
 * ...) is "must not be empty" as "" is (validate_name); an invisible
 * format character anywhere in it (U+200B, U+FEFF, bidi controls, ...:
 * validate_no_format_chars) is refused naming its code point (round-25
 * walkthrough of seed 004, D1). */
const char *body_name(struct request *req, json_t *obj, const char *prefix, const char *name,
                      int required, struct text_limit limit);
/* A boolean member (JSON true/false, or "true/false/1/0/on/off" in forms).
 * Returns -1 if absent, 0 or 1 otherwise. */
int body_bool(struct request *req, json_t *obj, const char *prefix, const char *name);
/* A form's checkbox: body_bool of name, except that a form which sends
 * nothing for it while its hidden field present_name (e.g. "_news_present")
 * says the box was on the page means false (an unticked box sends
 * nothing). Returns -1 if absent, 0 or 1 otherwise. */
int body_checkbox(struct request *req, json_t *obj, const char *name, const char *present_name);
/* An object member; NULL if absent or not an object (recorded). */
json_t *body_obj(struct request *req, json_t *obj, const char *prefix, const char *name);
/* A list of strings (a single string counts as a list of one). Returns a
 * malloc'ed NULL-terminated array (free() it; the strings stay the body's),
 * or NULL if absent or malformed. */
const char **body_str_list(struct request *req, json_t *obj, const char *name);
/* A decimal id given as a JSON string, a JSON integer or a form value:
 * 0 if absent; records an error and returns 0 if malformed. */
unsigned long long body_id(struct request *req, json_t *obj, const char *name);
/* For actions that take no body: any field is refused (422). Returns 1 if
 * the response is set. */
int body_none(struct request *req);
/* The `limit` query parameter (1..200, default 50); records an error. */
long query_limit(struct request *req);
/* The same for a list with its own bounds: 1..max, fallback when absent
 * (or malformed, with the error recorded). */
long query_limit_up_to(struct request *req, long max, long fallback);
/* ?name= given once: its value, NULL if absent; a field error (NULL) if
 * it was given more than once. */
const char *query_str(struct request *req, const char *name);
/* Reads a page of a list shown newest first by id: at most limit items
 * older than id before (0: from the newest), as a new array in *items. A
 * list shown oldest first (projects, customers) reads the items after the
 * cursor's id instead: the cursor is opaque to clients. */
typedef int (*id_page_reader)(struct request *req, unsigned long long before, long limit,
                              json_t **items);
/* Answers such a list: ?limit= and ?cursor= (the id of the last item
 * shown; field errors for a bad one, or any other parameter), the page
 * read one item longer to tell whether more follow, then {items,
 * next_cursor}: the last shown item's "id", or null. */
void res_id_page(struct request *req, id_page_reader read);
/* Lists read whole from their store (members, invitations, service
 * providers, property definitions, plans, articles, licenses) page as the
 * others do (DESIGN: "Lists page with limit and an opaque cursor";
 * round-8 walkthrough of seed 003): ?limit= (1..200, default 50) and
 * ?cursor= (opaque: the position after the last item shown), field errors
 * for a bad one or any other parameter. page_query checks them before
 * the list is read: 0 with *offset and *limit, or -1 with the answer set.
 * res_items_page then answers {items, next_cursor} with that page of
 * items (a new reference, consumed). */
int page_query(struct request *req, size_t *offset, long *limit);
/* The same for a list that also takes the parameters in also (NULL
 * terminated), which its handler reads. */
int page_query_also(struct request *req, const char *const also[], size_t *offset, long *limit);
void res_items_page(struct request *req, json_t *items, size_t offset, long limit);
/* items (consumed) as a new array in the order of cmp, which compares two
 * json_t *const * (qsort's way): a stable order for res_items_page. */
json_t *json_sorted(json_t *items, int (*cmp)(const void *, const void *));
/* cmp for json_sorted: items by their "uid", without regard to case (as
 * LDAP compares uids). */
int json_cmp_uid(const void *a, const void *b);
/* The required multi-line "body" field of a mail text (up to limit, no
 * control characters but line breaks and tabs); NULL (recorded) if absent or
 * bad. */
const char *body_mail_text(struct request *req, json_t *b, struct text_limit limit);
/* The account version the client read (docs/api.md, "Lost updates"):
 * the If-Match header ("<id>.<version>", a weak W/ prefix ignored, `*` or
 * empty: none) or a form's `_version` field; both given must agree.
 * Returns 0 for none, the version, or -1 with the answer set (412 for a
 * value that cannot be account id's ETag or a disagreement, 422 for a
 * malformed _version). Actions that honour it list "_version" among their
 * fields and compare the version under the account's row lock
 * (account_check_version, account_store.h). */
long long body_expected_version(struct request *req, json_t *b, unsigned long long id);
/* The same for a resource with an ETag of its own, "<prefix><id>.<version>"
 * (res_etag_of); whose names it in the messages ("the property's"). */
long long body_expected_version_of(struct request *req, json_t *b, const char *prefix,
                                   unsigned long long id, const char *whose);
/* A keyset cursor as the JSON string a list answers in next_cursor:
 * base64url of the compact JSON of c (its reference is stolen). */
json_t *cursor_encode(json_t *c);
/* 1 if any accessor failed: the response is then set (400 or 422). */
int body_failed(struct request *req);

#endif
