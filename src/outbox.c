#include "outbox.h"

#include "buf.h"
#include "log.h"
#include "mail_names.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The account and those above it, nearest first (depth 0: itself): the
 * distributors and operator among them decide a template and add its
 * extra recipients. CHAIN_DECIDES keeps those that still do: a closed
 * account above no longer decides the mails of the accounts below it
 * (round-23 walkthrough of seed 002, D2: its override and its extra
 * recipients stop at the close); an account's own override still
 * applies to its own mails. The account being closed in this thread's
 * transaction (outbox_closing) still decides the mails its close queues
 * (round-24 walkthrough of seed 002, D1): its status is already 'closed'
 * there, and its parent-closed override and extra recipients are written
 * for exactly those mails. */
#define CHAIN_SQL                                                                                  \
    "WITH RECURSIVE chain (id, parent_id, kind, status, depth) AS ("                               \
    " SELECT id, parent_id, kind, status, 0 FROM accounts WHERE id = ?"                            \
    " UNION ALL"                                                                                   \
    " SELECT a.id, a.parent_id, a.kind, a.status, c.depth + 1 FROM accounts a"                     \
    " JOIN chain c ON a.id = c.parent_id WHERE c.depth < 32)"
#define CHAIN_DECIDES                                                                              \
    " c.kind IN ('distributor', 'operator') AND (c.depth = 0 OR c.status <> 'closed' OR c.id = ?)"

/* The account whose close this thread's transaction is making (0: none):
 * outbox_closing. */
static __thread unsigned long long closing_account;

void outbox_closing(unsigned long long account_id)
{
    closing_account = account_id;
}

int outbox_template(struct sql_store *sql, unsigned long long account_id, const char *name,
                    char **subject, char **body, unsigned long long *source)
{
    *subject = *body = NULL;
    *source = 0;
    struct sql_result r;
    int st =
        sql_exec(sql,
                 CHAIN_SQL " SELECT t.subject, t.body, t.account_id, c.depth FROM chain c"
                           " JOIN notification_templates t ON t.account_id = c.id AND t.name = ?"
                           " WHERE" CHAIN_DECIDES " UNION ALL"
                           " SELECT subject, body, NULL, 1000 FROM notification_templates"
                           " WHERE account_id IS NULL AND name = ?"
                           " ORDER BY 4 LIMIT 1",
                 SQL_ARGS(P_INT(account_id), P_STR(name), P_INT(closing_account), P_STR(name)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows == 0) {
        sql_result_free(&r);
        log_error("no template named %s: is migration 002 applied?", name);
        return ST_ERROR;
    }
    *subject = xstrdup(sql_cell(&r, 0, 0));
    *body = xstrdup(sql_cell(&r, 0, 1));
    *source = sql_cell_id(&r, 0, 2);
    sql_result_free(&r);
    return ST_OK;
}

static int budget_limit = 100, budget_window = 3600;
static __thread int budget_retry_after;

void outbox_budget_configure(int limit, int window_seconds)
{
    budget_limit = limit;
    budget_window = window_seconds;
}

int outbox_budget_retry_after(void)
{
    return budget_retry_after > 0 ? budget_retry_after : budget_window;
}

/* The templates of the mails a tenant causes, which the mail budget
 * counts (docs/api.md, "Mail budget"): one list for the check before a
 * mail is queued and for the count of what was queued, which binds them
 * one by one (a password reset was checked but never counted, so resets
 * never used the budget up). */
static const char *const budgeted_templates[] = {
    "invitation", "transfer-invitation", "added-to-account", "contact-changed", "announcement",
    "password-reset",
    /* Round-16 walkthrough of seed 004, D1: told to the contacts as
     * contact-changed is, and counted as it is. */
    "recipients-added", "account-details-changed"};
#define BUDGETED_TEMPLATES (sizeof(budgeted_templates) / sizeof(budgeted_templates[0]))
_Static_assert(BUDGETED_TEMPLATES == 8, "budget_take's count has one ? per budgeted template");

static int budgeted(const char *template_name)
{
    for (size_t i = 0; i < BUDGETED_TEMPLATES; i++)
        if (strcmp(budgeted_templates[i], template_name) == 0)
            return 1;
    return 0;
}

/* Room for n more budgeted recipients of account_id within the window?
 * Runs in the caller's transaction, which holds the account's row lock,
 * so two requests cannot both take the last room. */
static int budget_take(struct sql_store *sql, unsigned long long account_id,
                       const char *template_name, size_t n)
{
    if (!budget_limit || !account_id || !n || !budgeted(template_name))
        return ST_OK;
    const char *const *t = budgeted_templates;
    struct sql_result r;
    int st =
        sql_exec(sql,
                 "SELECT COUNT(*), GREATEST(1, TIMESTAMPDIFF(SECOND, CURRENT_TIMESTAMP(6),"
                 " MIN(created_at) + INTERVAL ? SECOND) + 1) FROM mail_outbox"
                 " WHERE account_id = ? AND created_at > CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND"
                 " AND template IN (?, ?, ?, ?, ?, ?, ?, ?)",
                 SQL_ARGS(P_INT(budget_window), P_INT(account_id), P_INT(budget_window),
                          P_STR(t[0]), P_STR(t[1]), P_STR(t[2]), P_STR(t[3]), P_STR(t[4]),
                          P_STR(t[5]), P_STR(t[6]), P_STR(t[7])),
                 &r);
    if (st != ST_OK)
        return st;
    unsigned long long used = sql_cell_id(&r, 0, 0);
    const char *wait = sql_cell(&r, 0, 1);
    budget_retry_after = wait ? atoi(wait) : budget_window;
    sql_result_free(&r);
    if (used + n <= (unsigned long long)budget_limit)
        return ST_OK;
    /* More than the whole budget at once never fits: wait a full window. */
    if (n > (size_t)budget_limit)
        budget_retry_after = budget_window;
    log_info("account %llu: mail budget of %d recipients per %d s spent (%llu used, %zu more "
             "asked)",
             account_id, budget_limit, budget_window, used, n);
    return ST_TOO_MANY;
}

static int insert(struct sql_store *sql, unsigned long long account_id, const char *name,
                  const char *category, const char *recipient, const char *subject,
                  const char *body, int list_unsubscribe)
{
    return sql_exec(sql,
                    "INSERT INTO mail_outbox (account_id, template, category, list_unsubscribe,"
                    " recipient, subject, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    SQL_ARGS(account_id ? P_INT(account_id) : P_NULL, P_STR(name), P_STR(category),
                             P_INT(list_unsubscribe ? 1 : 0), P_STR(recipient), P_STR(subject),
                             P_STR(body)),
                    NULL);
}

static int template_has(const struct template_info *t, const char *placeholder)
{
    for (size_t i = 0; t->placeholders[i]; i++)
        if (strcmp(t->placeholders[i], placeholder) == 0)
            return 1;
    return 0;
}

/* The extra recipients of template name that the distributors and the
 * operator above account_id (itself included) named, nearest first. */
static int extra_recipients(struct sql_store *sql, unsigned long long account_id, const char *name,
                            char ***out, size_t *n)
{
    return sql_strings(sql,
                       CHAIN_SQL " SELECT r.email FROM chain c"
                                 " JOIN template_recipients r ON r.account_id = c.id AND r.name = ?"
                                 " WHERE" CHAIN_DECIDES " ORDER BY c.depth, r.position",
                       SQL_ARGS(P_INT(account_id), P_STR(name), P_INT(closing_account)), out, n);
}

static int value_given(const struct template_value *values, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(values[i].name, name) == 0)
            return 1;
    return 0;
}

/* {{greeting}} for one reader: "Hello Pat Partner," or "Hello,". */
static void greeting_of(struct buf *out, const char *name)
{
    buf_reset(out);
    if (name && *name)
        buf_printf(out, "Hello %s,", name);
    else
        buf_adds(out, "Hello,");
}

static int queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                 const char *const *recipients, size_t nrecipients, const struct mail_names *names,
                 const struct template_value *values, size_t nvalues, int budget_counts,
                 int with_extra, const struct reader_value *own, size_t nown)
{
    const struct template_info *t = template_find(name);
    if (!t)
        return ST_ERROR;
    size_t distinct = 0;
    for (size_t i = 0; i < nrecipients; i++) {
        int repeated = !recipients[i] || !*recipients[i];
        for (size_t j = 0; j < i && !repeated; j++)
            repeated = recipients[j] && strcasecmp(recipients[j], recipients[i]) == 0;
        distinct += !repeated;
    }
    int budget = budget_counts ? budget_take(sql, account_id, name, distinct) : ST_OK;
    if (budget != ST_OK)
        return budget;
    char *subject_t, *body_t;
    unsigned long long source;
    int st = outbox_template(sql, account_id, name, &subject_t, &body_t, &source);
    if (st != ST_OK)
        return st;
    /* The values, and {{greeting}} per reader (the last entry) when the
     * template has it and the caller gave none (round-11 leftover of seed
     * 000, D5: mails to known people greeted "Hello,"). */
    int greets = template_has(t, "greeting") && !value_given(values, nvalues, "greeting");
    size_t nall_values = nvalues + (greets ? 1 : 0);
    struct template_value *body_values = xcalloc(nall_values + 1, sizeof(*body_values));
    struct template_value *subject_values = xcalloc(nall_values + 1, sizeof(*subject_values));
    for (size_t i = 0; i < nvalues; i++)
        body_values[i] = subject_values[i] = values[i];
    struct buf greeting = BUF_INIT;
    if (greets)
        body_values[nvalues] = subject_values[nvalues] =
            (struct template_value){"greeting", "Hello,"};
    /* A secret ({{link}}: the invitation token) never goes into a subject,
     * which GET .../notifications lists: an override stored before that was
     * refused renders it empty. Nor does a directory name ({{greeting}}
     * stays "Hello," there). */
    for (size_t i = 0; i < nvalues; i++)
        if (strcmp(values[i].name, "link") == 0)
            subject_values[i].value = "";
    struct buf subject = BUF_INIT, body = BUF_INIT;
    if (template_render(subject_t, subject_values, nall_values, 1, &subject) < 0 ||
        template_render(body_t, body_values, nall_values, 0, &body) < 0) {
        log_error("template %s of account %llu has a placeholder without a value", name, source);
        st = ST_ERROR;
    }
    free(subject_values);
    /* The subject column holds 998 characters (RFC 5322's line); a 255
     * character template with long values repeated may render more. */
    template_cut_chars(&subject, 998);
    /* The extra recipients a distributor or the operator above named for
     * this template (never for one that carries a link: the invitee's). */
    char **extra = NULL;
    size_t nextra = 0;
    if (st == ST_OK && with_extra && !template_has(t, "link"))
        st = extra_recipients(sql, account_id, name, &extra, &nextra);
    size_t nall = nrecipients + nextra;
    const char **all = xcalloc(nall + 1, sizeof(char *));
    for (size_t i = 0; i < nrecipients; i++)
        all[i] = recipients[i];
    for (size_t i = 0; i < nextra; i++)
        all[nrecipients + i] = extra[i];
    for (size_t i = 0; i < nall && st == ST_OK; i++) {
        if (!all[i] || !*all[i])
            continue;
        int repeated = 0;
        for (size_t j = 0; j < i; j++)
            if (all[j] && strcasecmp(all[j], all[i]) == 0)
                repeated = 1;
        if (repeated)
            continue;
        /* A body that greets its reader, or has a value of its own for
         * some reader: rendered for each. */
        if (greets || nown) {
            if (greets) {
                greeting_of(&greeting, mail_names_find(names, all[i]));
                body_values[nvalues].value = buf_str(&greeting);
            }
            for (size_t v = 0; v < nvalues; v++) {
                body_values[v].value = values[v].value;
                for (size_t k = 0; k < nown; k++)
                    if (own[k].mail && strcasecmp(own[k].mail, all[i]) == 0 &&
                        strcmp(own[k].name, values[v].name) == 0)
                        body_values[v].value = own[k].value;
            }
            buf_reset(&body);
            if (template_render(body_t, body_values, nall_values, 0, &body) < 0)
                st = ST_ERROR;
        }
        if (st == ST_OK)
            st = insert(sql, account_id, name, t->category, all[i], buf_str(&subject),
                        buf_str(&body), 0);
    }
    free(all);
    free(body_values);
    outbox_free_list(extra, nextra);
    buf_free(&greeting);
    buf_free(&subject);
    buf_free(&body);
    free(subject_t);
    free(body_t);
    return st;
}

int outbox_queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                 const char *const *recipients, size_t nrecipients, const struct mail_names *names,
                 const struct template_value *values, size_t nvalues)
{
    return queue(sql, account_id, name, recipients, nrecipients, names, values, nvalues, 1, 1, NULL,
                 0);
}

int outbox_queue_readers(struct sql_store *sql, unsigned long long account_id, const char *name,
                         const char *const *recipients, size_t nrecipients,
                         const struct mail_names *names, const struct template_value *values,
                         size_t nvalues, const struct reader_value *own, size_t nown,
                         int budget_counts)
{
    return queue(sql, account_id, name, recipients, nrecipients, names, values, nvalues,
                 budget_counts, 1, own, nown);
}

int outbox_queue_unbudgeted(struct sql_store *sql, unsigned long long account_id, const char *name,
                            const char *const *recipients, size_t nrecipients,
                            const struct mail_names *names, const struct template_value *values,
                            size_t nvalues)
{
    return queue(sql, account_id, name, recipients, nrecipients, names, values, nvalues, 0, 1, NULL,
                 0);
}

int outbox_queue_only(struct sql_store *sql, unsigned long long account_id, const char *name,
                      const char *const *recipients, size_t nrecipients,
                      const struct mail_names *names, const struct template_value *values,
                      size_t nvalues)
{
    return queue(sql, account_id, name, recipients, nrecipients, names, values, nvalues, 1, 0, NULL,
                 0);
}

int outbox_sent_to(struct sql_store *sql, unsigned long long account_id, const char *name,
                   const char *recipient, const char *since, int *sent)
{
    struct sql_result r;
    *sent = 0;
    int st = sql_exec(sql,
                      "SELECT 1 FROM mail_outbox WHERE account_id = ? AND template = ?"
                      " AND LOWER(recipient) = LOWER(?) AND (? IS NULL OR created_at >= ?) LIMIT 1",
                      SQL_ARGS(P_INT(account_id), P_STR(name), P_STR(recipient),
                               since && *since ? P_STR(since) : P_NULL,
                               since && *since ? P_STR(since) : P_NULL),
                      &r);
    if (st == ST_OK)
        *sent = r.nrows > 0;
    sql_result_free(&r);
    return st;
}

int outbox_queue_text(struct sql_store *sql, unsigned long long account_id, const char *name,
                      const char *category, const char *recipient, const char *subject,
                      const char *body, int list_unsubscribe)
{
    int st = budget_take(sql, account_id, name, 1);
    if (st != ST_OK)
        return st;
    return insert(sql, account_id, name, category, recipient, subject, body, list_unsubscribe);
}

int outbox_recipients(struct sql_store *sql, unsigned long long account_id, char ***out, size_t *n)
{
    return sql_strings(sql,
                       "SELECT email FROM notification_recipients WHERE account_id = ?"
                       " ORDER BY position",
                       SQL_ARGS(P_INT(account_id)), out, n);
}

void outbox_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}
