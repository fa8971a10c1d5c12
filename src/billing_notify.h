/*
 * billing_notify: who gets an account's commercial mails (the welcome to a
 * new plan, a cancellation): its primary contact (Inflectra, interworks) —
 * or, while it has none, its admins — plus its notification recipients
 * (Loftware); a partner's relation request goes to the customer's admins
 * and recipients (relations.c). The people are read from LDAP before the
 * transaction (no row lock is held across an LDAP call), with the names
 * that greet them and the recipients who are people (mail_names.h); the
 * mails are queued inside it.
 */
#ifndef ACCOUNTD_BILLING_NOTIFY_H
#define ACCOUNTD_BILLING_NOTIFY_H

#include "http.h"
#include "mail_names.h"
#include "template.h"

struct billing_people {
    char **mails; /* malloc'ed strings */
    size_t n;
    /* The names of these people and of the account's notification
     * recipients that are a person's address, for {{greeting}}. */
    struct mail_names names;
};

/* Outside a transaction: the mails of the account's admins (and the
 * names of them and of the account's recipients). */
int billing_people_admins(struct request *req, unsigned long long account_id,
                          struct billing_people *out);
/* Outside a transaction: the mails of the named contacts (primary and
 * technical), else, with neither, the admins'. */
int billing_people_read(struct request *req, unsigned long long account_id,
                        struct billing_people *out);
void billing_people_free(struct billing_people *p);

/* Inside the transaction: queues template `name` to the people and the
 * account's notification recipients (each address once). */
int billing_notify_queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                         const struct billing_people *people, const struct template_value *values,
                         size_t nvalues);

#endif
