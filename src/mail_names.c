#include "mail_names.h"

#include "account_store.h"
#include "buf.h"
#include "caller.h"
#include "ldap_store.h"
#include "log.h"
#include "outbox.h"
#include "template.h"

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

/* who's ROLE_* bits in account_id (the grants are in account order). */
static unsigned actor_roles(const struct caller *who, unsigned long long account_id)
{
    const struct role_grant key = {.account_id = account_id}, *g = NULL;
    if (who->ngrants)
        g = bsearch(&key, who->grants, who->ngrants, sizeof(key), role_grant_compare);
    return g ? g->roles : 0;
}

/* mail_actor_name's rule on the chain up of the account acted on (up,
 * nearest first, the operator account last); account_id is that account
 * (0 for none: an account right below up[0]). *out malloc'ed. */
static char *actor_name_in_chain(const struct caller *who, unsigned long long account_id,
                                 const struct account_above *up, size_t n)
{
    const char *name = who->name ? who->name : who->uid;
    struct buf b = BUF_INIT;
    buf_adds(&b, name ? name : "");
    const struct account_above *of = NULL;
    const char *behalf = NULL;
    int staff = 0;
    /* The last row is the operator account. */
    int is_operator = who->is_operator ||
                      (n && up[n - 1].is_operator && (actor_roles(who, up[n - 1].id) & ROLE_ADMIN));
    if (is_operator) {
        /* Operator staff act for the platform, also in the accounts they
         * created (whose admins they are): for the partner or distributor
         * the account is under (round-12 walkthrough of seed 003, D2: the
         * Partner Sales Account Manager creates the organization), else
         * for the operator account (the last row). */
        /* A closed partner or distributor is nobody's to act for: its back
         * office for the accounts below has ended (parent-closed), so
         * staff are named as operator staff (round-25 walkthrough of seed
         * 002, D1: "Olivia Operator on behalf of <the closed
         * distributor>" cancelled a reseller's plan). */
        if (n && !up[0].is_operator && up[0].closed)
            staff = 1;
        else if (n && !up[0].is_operator)
            behalf = up[0].name;
        else if (n && up[n - 1].id != account_id)
            of = &up[n - 1];
    } else {
        /* A person of an account above (a partner's, a distributor's
         * people): the nearest one where they hold a role, also when they
         * hold one in this account too (the partner's admin of a staged
         * account, round-12 walkthrough of seed 000, D4). Not a closed
         * one: its people act only by the roles they hold below it, as
         * the account's own people do, by name alone (round-25
         * walkthrough of seed 002, D1: "Dina Disti of <the closed
         * distributor>" invited Hotel's people as Hotel's admin). */
        for (size_t i = 0; i < n && !of; i++)
            if (!up[i].is_operator && !up[i].closed && actor_roles(who, up[i].id))
                of = &up[i];
    }
    if (of)
        buf_printf(&b, " of %s", of->name);
    else if (behalf)
        buf_printf(&b, " on behalf of %s", behalf);
    else if (staff)
        buf_adds(&b, " (operator staff)");
    return buf_detach(&b);
}

/* The actor's name over the chain that read(sql, id, ...) gives:
 * account_ancestors (the accounts above id) or account_with_ancestors
 * (id and those above it, named as if the reader sat right below id);
 * open_first: the chain's first account counts as open (the one being
 * closed by this very change). */
static int actor_name_over(struct sql_store *sql, const struct caller *who, unsigned long long id,
                           unsigned long long account_id,
                           int (*read)(struct sql_store *, unsigned long long,
                                       struct account_above **, size_t *),
                           int open_first, char **out)
{
    struct account_above *up = NULL;
    size_t n = 0;
    *out = NULL;
    int st = read(sql, id, &up, &n);
    if (st != ST_OK)
        return st;
    if (open_first && n)
        up[0].closed = 0;
    *out = actor_name_in_chain(who, account_id, up, n);
    account_ancestors_free(up, n);
    return ST_OK;
}

int mail_actor_name(struct sql_store *sql, const struct caller *who, unsigned long long account_id,
                    char **out)
{
    return actor_name_over(sql, who, account_id, account_id, account_ancestors, 0, out);
}

int mail_actor_name_for(struct sql_store *sql, const struct caller *who, unsigned long long org_id,
                        char **out)
{
    return actor_name_over(sql, who, org_id, 0, account_with_ancestors, 0, out);
}

int mail_actor_name_closing(struct sql_store *sql, const struct caller *who,
                            unsigned long long closing_id, char **out)
{
    return actor_name_over(sql, who, closing_id, 0, account_with_ancestors, 1, out);
}

int mail_person_actor_name(struct sql_store *sql, struct ldap_store *ls, const struct person *p,
                           unsigned long long account_id, char **out)
{
    *out = NULL;
    struct caller who = {.uid = p->uid, .name = p->name};
    int st = ldap_store_all_grants_of(ls, p->dn, &who.grants, &who.ngrants, NULL, NULL);
    if (st == ST_OK) {
        qsort(who.grants, who.ngrants, sizeof(*who.grants), role_grant_compare);
        st = mail_actor_name(sql, &who, account_id, out);
    }
    free(who.grants);
    return st;
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

void mail_role_titles(struct buf *b, unsigned roles)
{
    size_t said = 0, count = 0;
    for (unsigned r = 0; r < ROLE_COUNT; r++)
        count += (roles & (1u << r)) != 0;
    for (unsigned r = 0; r < ROLE_COUNT; r++) {
        if (!(roles & (1u << r)))
            continue;
        buf_printf(b, "%s%s",
                   said == 0           ? ""
                   : said + 1 == count ? " and "
                                       : ", ",
                   template_role_title(role_names[r]));
        said++;
    }
}

char *mail_names_joined(const char *const *v, size_t n, const char *quote)
{
    if (!n)
        return NULL;
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", quote, v[i], quote);
    return buf_detach(&b);
}
