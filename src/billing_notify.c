#include "billing_notify.h"

#include "contacts_store.h"

#include "ldap_store.h"
#include "outbox.h"
#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

static void add_person(struct billing_people *p, const struct person *who)
{
    const char *mail = who->mail;
    if (!mail || !*mail)
        return;
    mail_names_add_person(&p->names, who);
    char **grown = realloc(p->mails, (p->n + 1) * sizeof(char *));
    if (!grown)
        abort();
    p->mails = grown;
    p->mails[p->n++] = xstrdup(mail);
}

static int read_admins(struct request *req, unsigned long long account_id,
                       struct billing_people *out)
{
    struct role_group *groups;
    size_t ngroups;
    int st = ldap_store_role_groups(req->session->ldap, &account_id, 1, &groups, &ngroups);
    if (st != ST_OK)
        return st;
    for (size_t g = 0; g < ngroups && st == ST_OK; g++) {
        if (groups[g].role != ROLE_ADMIN || groups[g].nmembers == 0)
            continue;
        struct person *people;
        size_t npeople;
        st = ldap_store_people_by_dn(req->session->ldap, (const char *const *)groups[g].members,
                                     groups[g].nmembers, &people, &npeople);
        if (st != ST_OK)
            break;
        for (size_t i = 0; i < npeople; i++) {
            add_person(out, &people[i]);
            person_free(&people[i]);
        }
        free(people);
    }
    role_groups_free(groups, ngroups);
    return st;
}

/* The names of the account's notification recipients that are a
 * person's address (one read by mail each, best effort: mail_names.h). */
static void read_recipient_names(struct request *req, unsigned long long account_id,
                                 struct billing_people *out)
{
    mail_names_read_recipients(req->session->sql, req->session->ldap, account_id, NULL, 0,
                               &out->names);
}

int billing_people_admins(struct request *req, unsigned long long account_id,
                          struct billing_people *out)
{
    memset(out, 0, sizeof(*out));
    int st = read_admins(req, account_id, out);
    if (st == ST_OK)
        read_recipient_names(req, account_id, out);
    else
        billing_people_free(out);
    return st;
}

int billing_people_read(struct request *req, unsigned long long account_id,
                        struct billing_people *out)
{
    memset(out, 0, sizeof(*out));
    /* Both named contacts get the transactional mail (Inflectra: "these
     * users will also receive email notifications"); one person named as
     * both gets it once (outbox_queue drops repeated addresses). A contact
     * is an admin: one who is not (any more: changed in LDAP directly) is
     * no contact (docs/api.md). */
    static const char *const kinds[] = {"primary", "technical"};
    for (size_t k = 0; k < 2; k++) {
        char *uid = NULL;
        int st = contact_get(req->session->sql, account_id, kinds[k], &uid);
        if (st == ST_OK && uid) {
            struct person p = {0};
            st = ldap_store_find_person(req->session->ldap, "uid", uid, &p);
            unsigned roles = 0;
            if (st == ST_OK)
                st = ldap_store_roles_of(req->session->ldap, account_id, p.dn, &roles);
            if (st == ST_OK && (roles & ROLE_ADMIN))
                add_person(out, &p);
            person_free(&p);
            if (st == ST_NOT_FOUND)
                st = ST_OK;
        }
        free(uid);
        if (st != ST_OK) {
            billing_people_free(out);
            return st;
        }
    }
    /* No contact (or they are gone, or no admins): the account's admins. */
    int st = out->n ? ST_OK : read_admins(req, account_id, out);
    if (st == ST_OK)
        read_recipient_names(req, account_id, out);
    else
        billing_people_free(out);
    return st;
}

void billing_people_free(struct billing_people *p)
{
    outbox_free_list(p->mails, p->n);
    mail_names_free(&p->names);
    memset(p, 0, sizeof(*p));
}

int billing_notify_queue(struct sql_store *sql, unsigned long long account_id, const char *name,
                         const struct billing_people *people, const struct template_value *values,
                         size_t nvalues)
{
    char **recipients;
    size_t nrecipients;
    int st = outbox_recipients(sql, account_id, &recipients, &nrecipients);
    if (st != ST_OK)
        return st;
    const char **to = xcalloc(people->n + nrecipients + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < people->n; i++)
        to[n++] = people->mails[i];
    for (size_t i = 0; i < nrecipients; i++)
        to[n++] = recipients[i];
    st = outbox_queue(sql, account_id, name, to, n, &people->names, values, nvalues);
    free(to);
    outbox_free_list(recipients, nrecipients);
    return st;
}
