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
 * one address per line, or several on a line separated by commas or
 * semicolons (trimmed, blank lines and pieces skipped). Each is checked
 * (errors[emails[N]], N the item or the line as typed), addresses equal
 * but for case count once (the first kept), at most MAX_RECIPIENTS.
 * Records 422 field errors on req (check body_failed); returns the kept
 * addresses, *kept of them (free with outbox_free_list), or NULL. */
char **recipients_read_body(struct request *req, json_t *b, size_t *kept);

struct sql_store;

/* Inside the transaction that records a person's removal from account_id
 * (every role gone: DELETE .../members/{uid}; round-14 walkthrough of
 * seed 004, D2): the notification recipients equal but for case to mail,
 * the person's own address, leave the list with them, audited as a
 * recipients change (recipients.set, by actor) and told that they were
 * removed by member-removed (changed_by: by; name greets them, may be
 * NULL; round-15 walkthrough of seed 004, D1) unless tell is 0 (they
 * removed themselves: they know). projects_note is its {{projects_note}}
 * line (NULL: left out): the project roles the removal took or left
 * (members.c; round-18 walkthrough of seed 003, D1); lost_projects: the
 * removal took project roles, and they are told also when the list did
 * not hold their address. Otherwise nothing when the list does not hold
 * the address: a removal mails nobody else. The mail's
 * {{notifications_note}}, that the address gets none of the account's
 * notifications any more, is there only when the list held it (round-19
 * walkthrough of seed 003, D3). *mailed (may be NULL): 1 when
 * member-removed was queued; *left (may be NULL): 1 when the address left
 * the list (the hand-over's own mail says so to a partner's person it
 * removes, with tell 0: round-19 walkthrough of seed 000, D1). ST_OK or
 * the store's status. */
int recipients_remove_person(struct sql_store *sql, unsigned long long account_id,
                             const char *actor, const char *mail, const char *name, const char *by,
                             int tell, const char *projects_note, int lost_projects, int *mailed,
                             int *left);

#endif
