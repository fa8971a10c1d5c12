#include "mail_names.h"

#include "buf.h"
#include "log.h"
#include "outbox.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct mail_name *entry(const struct mail_names *m, const char *mail)
{
    for (size_t i = 0; mail && i < m->n; i++)
        if (strcasecmp(m->items[i].mail, mail) == 0)
            return &m->items[i];
    return NULL;
}

void mail_names_add(struct mail_names *m, const char *mail, const char *name)
{
    if (!mail || !*mail)
        return;
    struct mail_name *e = entry(m, mail);
    if (e) {
        if (!e->name && name && *name)
            e->name = xstrdup(name);
        return;
    }
    struct mail_name *grown = realloc(m->items, (m->n + 1) * sizeof(*grown));
    if (!grown)
        abort();
    m->items = grown;
    m->items[m->n].mail = xstrdup(mail);
    m->items[m->n].name = name && *name ? xstrdup(name) : NULL;
    m->n++;
}

void mail_names_add_person(struct mail_names *m, const struct person *p)
{
    if (p)
        mail_names_add(m, p->mail, p->name);
}

const char *mail_names_find(const struct mail_names *m, const char *mail)
{
    const struct mail_name *e = m ? entry(m, mail) : NULL;
    return e ? e->name : NULL;
}

int mail_names_read(struct ldap_store *ls, struct mail_names *m, const char *mail)
{
    if (!mail || !*mail || entry(m, mail))
        return ST_OK;
    struct person p = {0};
    int st = ldap_store_find_person(ls, "mail", mail, &p);
    if (st == ST_OK)
        mail_names_add(m, mail, p.name);
    else if (st == ST_NOT_FOUND)
        mail_names_add(m, mail, NULL);
    person_free(&p);
    return st == ST_NOT_FOUND ? ST_OK : st;
}

void mail_names_read_recipients(struct sql_store *sql, struct ldap_store *ls,
                                unsigned long long account_id, const char *const *skip,
                                size_t n_skip, struct mail_names *m)
{
    char **list = NULL;
    size_t n = 0;
    int st = outbox_recipients(sql, account_id, &list, &n);
    for (size_t i = 0; st == ST_OK && i < n; i++) {
        int skipped = 0;
        for (size_t j = 0; j < n_skip && !skipped; j++)
            skipped = skip[j] && strcasecmp(skip[j], list[i]) == 0;
        if (!skipped)
            st = mail_names_read(ls, m, list[i]);
    }
    if (st != ST_OK)
        log_info("account %llu: the recipients' names could not be read now; their mail "
                 "greets them \"Hello,\"",
                 account_id);
    outbox_free_list(list, n);
}

json_t *mail_names_json(const struct mail_names *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < m->n; i++)
        if (m->items[i].name)
            json_object_set_new(o, m->items[i].mail, json_string(m->items[i].name));
    return o;
}

void mail_names_add_json(struct mail_names *m, const json_t *names)
{
    const char *mail;
    json_t *name;
    if (!json_is_object(names))
        return;
    json_object_foreach((json_t *)names, mail, name)
    {
        if (json_is_string(name))
            mail_names_add(m, mail, json_string_value(name));
    }
}

void mail_names_free(struct mail_names *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].mail);
        free(m->items[i].name);
    }
    free(m->items);
    m->items = NULL;
    m->n = 0;
}
