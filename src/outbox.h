/*
 * outbox: queues e-mails as rows of mail_outbox, inside the caller's SQL
 * transaction, so a mail exists exactly when the change that causes it was
 * committed. accountd-mailer delivers the rows.
 *
 * Templates are resolved per account: the override of the nearest
 * distributor or operator at or above the account, else the default shipped
 * in sql/002_notifications.sql.
 */
#ifndef ACCOUNTD_OUTBOX_H
#define ACCOUNTD_OUTBOX_H

#include "sql_store.h"
#include "template.h"

struct mail_names; /* mail_names.h */

/* The outbound mail budget (config mail_budget, mail_budget_window): set
 * once at start-up, before any thread. Mails a tenant causes (templates
 * invitation, transfer-invitation, added-to-account, contact-changed,
 * recipients-added, account-details-changed, password-reset and
 * announcements; outbox.c's list) count per account and recipient;
 * queueing one past the budget fails with ST_TOO_MANY and nothing of the
 * transaction is kept. */
void outbox_budget_configure(int limit, int window_seconds);
/* After ST_TOO_MANY in this thread: seconds until the budget has room. */
int outbox_budget_retry_after(void);

/* While a transaction closes account_id (the close's own mails: its
 * account-closed, parent-closed to its children), its template overrides
 * and extra recipients still decide the mails queued for it and for the
 * accounts below it, though its row says closed already; any mail queued
 * after does not (round-24 walkthrough of seed 002, D1). Per thread: the
 * closing transaction sets it before its mails and calls
 * outbox_closing(0) when it returns, whatever the outcome. */
void outbox_closing(unsigned long long account_id);

/* The template in effect for an account: subject and body (malloc'ed) and
 * the account whose override it is (0 for the default). */
int outbox_template(struct sql_store *sql, unsigned long long account_id, const char *name,
                    char **subject, char **body, unsigned long long *source);

/* Renders template name for account_id with values and queues one mail per
 * address of recipients (NULL-terminated; NULL entries in between are
 * allowed and skipped; repeated addresses are sent once).
 *
 * {{greeting}} (a template that has it, when values do not give it: the
 * invitations give their own) is rendered for each address: "Hello
 * <name>," with the name names has for it (names may be NULL), else
 * "Hello,". In a subject it is always "Hello,": subjects are listed in
 * GET .../notifications, a directory name is the reader's own. */
int outbox_queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                 const char *const *recipients, size_t nrecipients, const struct mail_names *names,
                 const struct template_value *values, size_t nvalues);
/* The same, outside the mail budget: for a mail that follows from a change
 * the budget counted already (the contact named when the invitation that
 * names them is accepted), so that a spent budget never fails that change. */
int outbox_queue_unbudgeted(struct sql_store *sql, unsigned long long account_id, const char *name,
                            const char *const *recipients, size_t nrecipients,
                            const struct mail_names *names, const struct template_value *values,
                            size_t nvalues);

/* A value that one reader's copy takes instead of the one values give
 * (a text that speaks to the person who made the change: round-14
 * walkthrough of seed 004, D1). mail: the reader, equal but for case;
 * name: a placeholder values give. Only in the body: a subject renders
 * what values give. */
struct reader_value {
    const char *mail;
    const char *name;
    const char *value;
};

/* outbox_queue (budget_counts 1) or outbox_queue_unbudgeted (0), with
 * own[0..nown) rendered per reader. */
int outbox_queue_readers(struct sql_store *sql, unsigned long long account_id, const char *name,
                         const char *const *recipients, size_t nrecipients,
                         const struct mail_names *names, const struct template_value *values,
                         size_t nvalues, const struct reader_value *own, size_t nown,
                         int budget_counts);

/* The same as outbox_queue, to these recipients only: without the extra
 * recipients a distributor named for the template (a mail that repeats,
 * for one more reader, what they were sent already). */
int outbox_queue_only(struct sql_store *sql, unsigned long long account_id, const char *name,
                      const char *const *recipients, size_t nrecipients,
                      const struct mail_names *names, const struct template_value *values,
                      size_t nvalues);
/* *sent 1 when account_id's outbox holds a mail of template name to
 * recipient (case ignored), whatever became of it, queued at or after
 * since (SQL's DATETIME form; NULL or "": at any time). */
int outbox_sent_to(struct sql_store *sql, unsigned long long account_id, const char *name,
                   const char *recipient, const char *since, int *sent);

/* Queues one mail with a ready subject and body (announcements).
 * list_unsubscribe: 1 when the reader stops such mail on the mail
 * preferences page (a person whose own news preference governs this copy):
 * accountd-mailer then names that page in List-Unsubscribe; 0 for an
 * address that page does not serve (a bare notification recipient). Mail
 * of a template never carries the header. */
int outbox_queue_text(struct sql_store *sql, unsigned long long account_id, const char *name,
                      const char *category, const char *recipient, const char *subject,
                      const char *body, int list_unsubscribe);

/* The account's notification recipients, as a malloc'ed array of malloc'ed
 * strings (*n entries). */
int outbox_recipients(struct sql_store *sql, unsigned long long account_id, char ***out, size_t *n);
void outbox_free_list(char **list, size_t n);

#endif
