/*
 * recipients: an account's notification recipients (handlers in
 * handlers.h); the list reader is shared with a template's extra
 * recipients (templates.c).
 */
#ifndef ACCOUNTD_RECIPIENTS_H
#define ACCOUNTD_RECIPIENTS_H

#include "http.h"

#include <jansson.h>
#include <stddef.h>

#define MAX_RECIPIENTS 50

/* The addresses of body b's `emails`: a JSON list, or a form's text with
 * one address per line (trimmed, blank lines skipped). Each is checked
 * (errors[emails[N]], N the item or the line as typed), addresses equal
 * but for case count once (the first kept), at most MAX_RECIPIENTS.
 * Records 422 field errors on req (check body_failed); returns the kept
 * addresses, *kept of them (free with outbox_free_list), or NULL. */
char **recipients_read_body(struct request *req, json_t *b, size_t *kept);

#endif
