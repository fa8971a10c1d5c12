/*
 * billing_notify: who gets an account's commercial mails (the welcome to a
 * new plan, a cancellation): its primary contact (Inflectra, interworks) —
 * or, while it has none, its admins — plus its notification recipients
 * (Loftware), and the person of the account who made the change
 * (billing_people_add_actor); a partner's relation request goes to the
 * customer's admins and recipients (relations.c). The people are read
 * from LDAP before the transaction (no row lock is held across an LDAP
 * call), with the names that greet them and the recipients who are people
 * (mail_names.h); the mails are queued inside it.
 */
#ifndef ACCOUNTD_BILLING_NOTIFY_H
#define ACCOUNTD_BILLING_NOTIFY_H

#include "buf.h"
#include "http.h"
#include "mail_names.h"
#include "outbox.h"
#include "template.h"

struct billing_people {
    char **mails; /* malloc'ed strings */
    size_t n;
    /* The names of these people and of the account's notification
     * recipients that are a person's address, for {{greeting}}. */
    struct mail_names names;
    /* The caller's address when read by a *_others function: never
     * mailed, also not as a notification recipient (malloc'ed; NULL:
     * none). */
    char *except;
};

/* Outside a transaction: the mails of the account's admins (and the
 * names of them and of the account's recipients). */
int billing_people_admins(struct request *req, unsigned long long account_id,
                          struct billing_people *out);
/* Outside a transaction: the mails of the named contacts (primary and
 * technical), else, with neither, the admins'. */
int billing_people_read(struct request *req, unsigned long long account_id,
                        struct billing_people *out);
/* The same two, leaving out the caller (by uid and by mail, also among
 * the notification recipients when the mail is queued): the people to
 * tell of what operator staff did for an account they hold a role in
 * too (round-14 walkthrough of seed 003, D1/D2). The "else the admins"
 * of billing_people_read_others applies when no contact other than the
 * caller is left. */
int billing_people_admins_others(struct request *req, unsigned long long account_id,
                                 struct billing_people *out);
int billing_people_read_others(struct request *req, unsigned long long account_id,
                               struct billing_people *out);
/* The named contacts other than the caller, and the admins (other than
 * the caller) only when the account names no contact at all: when the
 * caller is its only contact, nobody (the notification recipients are
 * still mailed by billing_notify_queue). docs/api.md's "named contacts,
 * else admins; never the closer" for relation-ended of a close (round-25
 * walkthrough of seed 001, D3: the partner's only contact closed a child
 * and its other admins, operator staff included, were mailed instead). */
int billing_people_named_others(struct request *req, unsigned long long account_id,
                                struct billing_people *out);
void billing_people_free(struct billing_people *p);

/* Outside a transaction, after one of the reads above: the caller joins
 * the people when they hold a role in account_id itself and have an
 * address, greeted by their own name, so that whoever renews, cancels,
 * upgrades, uncancels or executes an order gets the mail of that action
 * (round-17 walkthrough of seed 004, D1: a member who renewed had no
 * record of it; a named contact or a notification recipient who acts
 * still gets one copy: outbox_queue sends each address once). People
 * acting from above the account (its partner's or distributor's staff,
 * operator staff without a role in it) are not added: the mail is written
 * to the account's people, and a distributor names its own copies as a
 * template's extra recipients. Not for a *_others read (their caller is
 * left out on purpose). */
void billing_people_add_actor(struct request *req, unsigned long long account_id,
                              struct billing_people *p);

/* Inside the transaction: queues template `name` to the people and the
 * account's notification recipients (each address once, none that is
 * people->except). Nobody left: nothing is queued. */
int billing_notify_queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                         const struct billing_people *people, const struct template_value *values,
                         size_t nvalues);
/* The same with own[0..nown) rendered per reader (outbox_queue_readers):
 * the copy of the person who acted speaks to them (round-25 walkthrough
 * of seed 001, D2: "You closed …"; round-26 walkthrough of seed 001, D1:
 * "Ordered by you.", "You cancelled …", "Changed by you."). */
int billing_notify_queue_readers(struct sql_store *sql, unsigned long long account_id,
                                 const char *name, const struct billing_people *people,
                                 const struct template_value *values, size_t nvalues,
                                 const struct reader_value *own, size_t nown);
/* The same with the account's notification recipients already read
 * (outbox_recipients; the close reads its own once). */
int billing_notify_queue_readers_to(struct sql_store *sql, unsigned long long account_id,
                                    const char *name, const struct billing_people *people,
                                    char *const *recipients, size_t nrecipients,
                                    const struct template_value *values, size_t nvalues,
                                    const struct reader_value *own, size_t nown);

/* A mail's "acted" line, what (fmt, ...) then " by <acted_by>."
 * ("Ordered by Mike Smith.", "Upgraded from Professional by Mike
 * Smith."), and the copy of the person who acted (mail): "<what> by
 * you.", acted_by "you" (round-26 walkthroughs of seed 001, D1 and seed
 * 002, D3). own is for billing_notify_queue_readers; billing_acted_free
 * releases the lines. */
struct billing_acted {
    struct buf line, own_line;
    struct reader_value own[2];
};
void billing_acted_init(struct billing_acted *a, const char *mail, const char *acted_by,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void billing_acted_free(struct billing_acted *a);

/* The storefront-welcome of a person who becomes a named contact of a
 * reseller after the order: the contact person who joins later (round-12
 * walkthrough of seed 002, D3: the welcome went to the admins while the
 * contact's invitation was pending, and the contact never learnt the
 * storefront's URL), an admin named primary or technical contact with
 * PUT …/contacts/{kind}, and the customer admin a hand-over names
 * (round-17 walkthrough of seed 002, D2). Outside a transaction, before
 * the change that names them: *out is what the mail says (a new
 * reference; {storefront_id, plan, articles, storefront_url, acted_by,
 * invoice?, upgraded_from?, cancelled_as_of?, since?}), NULL when the
 * account has no active storefront. */
int billing_welcome_late_data(struct request *req, unsigned long long account_id, json_t **out);
/* {{moved_note}} of a welcome whose upgrade or order moved the
 * storefront to another alias (round-15 walkthrough of seed 002, D5):
 * written into out, naming the old URL (url, the new one, with old_alias
 * for its last segment) and that it no longer leads to the storefront;
 * returns buf_str(out), or TEMPLATE_OMIT_LINE when the alias did not
 * change (or there was none before). Pure; the caller frees out. */
const char *billing_moved_note(struct buf *out, const char *url, const char *old_alias,
                               const char *new_alias);
/* Inside the transaction that names them: mails storefront-welcome with
 * w to `to` only (not the account's recipients or the template's extra
 * ones, who had it with the order), unless that storefront is no longer
 * active or the account's outbox holds a storefront-welcome to that
 * address queued since w's `since` (the subscription's order or newest
 * upgrade: they had its welcome already; any time when w has no since).
 * It says "Upgraded from <plan> by <who>." when the newest invoice is an
 * upgrade's, and {{cancellation_note}} when the subscription is pending
 * cancellation (round-15 walkthrough of seed 002, D2, D3); {{moved_note}}
 * is left out. */
int billing_welcome_late_queue(struct sql_store *sql, unsigned long long account_id,
                               const char *account_name, const json_t *w, const char *to,
                               const struct mail_names *names);

#endif
