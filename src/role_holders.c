#include "role_holders.h"

#include "result.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void role_holders_free(struct role_holders *h)
{
    for (size_t i = 0; i < h->npeople; i++)
        person_free(&h->people[i]);
    free(h->people);
    free(h->in_children);
    for (size_t i = 0; h->of && i < h->nchildren; i++)
        free(h->of[i].held);
    free(h->of);
    free(h->operator_staff);
    memset(h, 0, sizeof(*h));
}

static int id_cmp(const void *key, const void *elem)
{
    unsigned long long a = *(const unsigned long long *)key, b = *(const unsigned long long *)elem;
    return a < b ? -1 : a > b;
}

/* One role group membership of a parent's person (entry of the parent's
 * member index) in child `child`. */
struct held_raw {
    size_t child, entry;
    unsigned role;
};

static int held_raw_cmp(const void *a, const void *b)
{
    const struct held_raw *x = a, *y = b;
    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

int role_holders_build(struct role_holders *out, unsigned long long parent,
                       const unsigned long long *children, size_t n,
                       const struct role_group *groups, size_t ngroups,
                       role_holders_people_fn people, void *ctx)
{
    memset(out, 0, sizeof(*out));
    out->nchildren = n;
    out->of = xcalloc(n + 1, sizeof(*out->of));
    out->in_children = xcalloc(1, sizeof(*out->in_children));
    struct member_index pix;
    member_index_build(&pix, groups, ngroups, parent);
    /* Every membership of a parent's DN in a child's group (each DN of a
     * child normalised once: linear in the members), and per child the
     * admins who are none of the parent's. */
    struct held_raw *raw = NULL;
    size_t nraw = 0, capraw = 0;
    size_t *other_admins = xcalloc(n + 1, sizeof(*other_admins));
    for (size_t g = 0; g < ngroups && pix.n && n; g++) {
        if (groups[g].account_id == parent)
            continue;
        const unsigned long long *ch =
            bsearch(&groups[g].account_id, children, n, sizeof(*children), id_cmp);
        if (!ch)
            continue;
        size_t ci = (size_t)(ch - children);
        for (size_t m = 0; m < groups[g].nmembers; m++) {
            const struct member_entry *e = member_index_find(&pix, groups[g].members[m]);
            if (!e) {
                other_admins[ci] += groups[g].role == ROLE_ADMIN;
                continue;
            }
            if (nraw == capraw) {
                capraw = capraw ? capraw * 2 : 16;
                raw = realloc(raw, capraw * sizeof(*raw));
                if (!raw)
                    abort();
            }
            raw[nraw++] = (struct held_raw){ci, (size_t)(e - pix.entries), groups[g].role};
        }
    }
    /* The people among the parent's DNs found in a child, in one read. */
    char *asked = xcalloc(pix.n + 1, 1);
    const char **dns = xcalloc(pix.n + 1, sizeof(*dns));
    size_t ndns = 0;
    for (size_t r = 0; r < nraw; r++)
        if (!asked[raw[r].entry]) {
            asked[raw[r].entry] = 1;
            dns[ndns++] = pix.entries[raw[r].entry].raw;
        }
    free(asked);
    int st =
        ndns ? people(ctx, (const char *const *)dns, ndns, &out->people, &out->npeople) : ST_OK;
    free(dns);
    size_t *person_of = xcalloc(pix.n + 1, sizeof(*person_of)); /* index + 1; 0: no person */
    for (size_t i = 0; st == ST_OK && i < out->npeople; i++) {
        const struct member_entry *e = member_index_find(&pix, out->people[i].dn);
        if (e)
            person_of[e - pix.entries] = i + 1;
    }
    if (st == ST_OK) {
        /* The people in the order of their DNs, whatever order the read
         * gave them in: the mails list them so. */
        struct person *sorted = xcalloc(out->npeople + 1, sizeof(*sorted));
        size_t ns = 0;
        for (size_t e = 0; e < pix.n; e++)
            if (person_of[e]) {
                sorted[ns] = out->people[person_of[e] - 1];
                memset(&out->people[person_of[e] - 1], 0, sizeof(struct person));
                person_of[e] = ++ns;
            }
        for (size_t i = 0; i < out->npeople; i++)
            person_free(&out->people[i]); /* none of the DNs asked for (none left) */
        free(out->people);
        out->people = sorted;
        out->npeople = ns;
        free(out->in_children);
        out->in_children = xcalloc(ns + 1, sizeof(*out->in_children));
    }
    /* Per child, one holder per person with the roles of all its groups
     * (sorted, a person's memberships in a child are next to each other). */
    if (nraw)
        qsort(raw, nraw, sizeof(*raw), held_raw_cmp);
    for (size_t r0 = 0, r1; st == ST_OK && r0 < nraw; r0 = r1) {
        struct child_holders *c = &out->of[raw[r0].child];
        for (r1 = r0; r1 < nraw && raw[r1].child == raw[r0].child; r1++)
            ;
        for (size_t r = r0; r < r1; r++) {
            size_t who = person_of[raw[r].entry];
            if (!who)
                continue; /* names no person */
            if (c->n && c->held[c->n - 1].person == who - 1) {
                c->held[c->n - 1].roles |= raw[r].role;
                continue;
            }
            if (!c->held)
                c->held = xcalloc(r1 - r0, sizeof(*c->held));
            c->held[c->n++] = (struct role_holder){who - 1, raw[r].role};
            out->in_children[who - 1]++;
        }
    }
    for (size_t i = 0; st == ST_OK && i < n; i++) {
        struct child_holders *c = &out->of[i];
        int admins = 0;
        for (size_t k = 0; k < c->n; k++)
            admins |= (c->held[k].roles & ROLE_ADMIN) != 0;
        c->no_other_admin = admins && other_admins[i] == 0;
        out->nchildren_with += c->n > 0;
    }
    free(person_of);
    free(other_admins);
    free(raw);
    member_index_free(&pix);
    if (st != ST_OK)
        role_holders_free(out);
    return st;
}

static int people_from_ldap(void *ctx, const char *const *dns, size_t n, struct person **out,
                            size_t *nout)
{
    return ldap_store_people_by_dn(ctx, dns, n, out, nout);
}

void role_holders_mark_operator(struct role_holders *h, unsigned long long operator_id,
                                const struct role_group *groups, size_t ngroups)
{
    if (!operator_id || !h->npeople)
        return;
    if (!h->operator_staff)
        h->operator_staff = xcalloc(h->npeople, 1);
    /* The operator account's members, each DN normalised once. */
    struct member_index ix;
    member_index_build(&ix, groups, ngroups, operator_id);
    for (size_t k = 0; k < h->npeople; k++) {
        const struct member_entry *e =
            h->people[k].dn ? member_index_find(&ix, h->people[k].dn) : NULL;
        if (e && (e->roles & ROLE_ADMIN))
            h->operator_staff[k] = 1;
    }
    member_index_free(&ix);
}

int role_holders_read(struct ldap_store *ls, unsigned long long parent,
                      const unsigned long long *children, size_t n, unsigned long long operator_id,
                      struct role_holders *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return ST_OK;
    /* The operator account's groups in the same read, unless it is the
     * parent or one of the children (read anyway). */
    int op_extra = operator_id && operator_id != parent &&
                   !bsearch(&operator_id, children, n, sizeof(*children), id_cmp);
    unsigned long long *ids = xcalloc(n + 2, sizeof(*ids));
    ids[0] = parent;
    memcpy(ids + 1, children, n * sizeof(*ids));
    if (op_extra)
        ids[n + 1] = operator_id;
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    int st = ldap_store_role_groups(ls, ids, n + 1 + (size_t)op_extra, &groups, &ngroups);
    free(ids);
    if (st == ST_OK)
        st = role_holders_build(out, parent, children, n, groups, ngroups, people_from_ldap, ls);
    if (st == ST_OK)
        role_holders_mark_operator(out, operator_id, groups, ngroups);
    role_groups_free(groups, ngroups);
    return st;
}

/* Reads nothing: the one person the walk is for (ctx), when asked for. */
static int person_itself(void *ctx, const char *const *dns, size_t n, struct person **out,
                         size_t *nout)
{
    const struct person *p = ctx;
    *out = xcalloc(2, sizeof(**out));
    *nout = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ldap_dn_equal(dns[i], p->dn))
            continue;
        struct person *c = &(*out)[0];
        c->dn = xstrdup(p->dn);
        c->uid = p->uid ? xstrdup(p->uid) : NULL;
        c->name = p->name ? xstrdup(p->name) : NULL;
        c->mail = p->mail ? xstrdup(p->mail) : NULL;
        *nout = 1;
        break;
    }
    return ST_OK;
}

int role_holders_build_person(struct role_holders *out, const struct person *p,
                              unsigned long long parent, const unsigned long long *children,
                              size_t n, const struct role_group *groups, size_t ngroups)
{
    memset(out, 0, sizeof(*out));
    /* The parent as the walk sees it: p alone (whatever roles they hold
     * or held there: any role makes a person the parent's), the groups
     * of the parent given are left out. */
    struct role_group *all = xcalloc(ngroups + 1, sizeof(*all));
    size_t nall = 0;
    for (size_t g = 0; g < ngroups; g++)
        if (groups[g].account_id != parent)
            all[nall++] = groups[g];
    char *member = p->dn;
    all[nall++] = (struct role_group){parent, ROLE_MEMBER, &member, 1};
    int st = role_holders_build(out, parent, children, n, all, nall, person_itself, (void *)p);
    free(all);
    return st;
}

int role_holders_read_person(struct ldap_store *ls, const struct person *p,
                             unsigned long long parent, const unsigned long long *children,
                             const unsigned *roles, size_t n, struct role_holders *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0 || !p->dn)
        return ST_OK;
    /* The groups of the children where p is admin: whether someone else
     * is admin there. */
    unsigned long long *admin_of = xcalloc(n, sizeof(*admin_of));
    size_t nadmin = 0, nmine = 0;
    for (size_t i = 0; i < n; i++) {
        if (roles[i] & ROLE_ADMIN)
            admin_of[nadmin++] = children[i];
        else
            for (unsigned r = 0; r < ROLE_COUNT; r++)
                nmine += (roles[i] >> r) & 1u;
    }
    struct role_group *groups = NULL;
    size_t ngroups = 0;
    int st = nadmin ? ldap_store_role_groups(ls, admin_of, nadmin, &groups, &ngroups) : ST_OK;
    free(admin_of);
    if (st == ST_OK) {
        /* Elsewhere p's own memberships as the grants give them: one
         * group of p alone per role. */
        struct role_group *all = xcalloc(ngroups + nmine + 1, sizeof(*all));
        size_t nall = 0;
        for (size_t g = 0; g < ngroups; g++)
            all[nall++] = groups[g];
        char *member = p->dn;
        for (size_t i = 0; i < n; i++)
            for (unsigned r = 0; r < ROLE_COUNT && !(roles[i] & ROLE_ADMIN); r++)
                if (roles[i] & (1u << r))
                    all[nall++] = (struct role_group){children[i], 1u << r, &member, 1};
        st = role_holders_build_person(out, p, parent, children, n, all, nall);
        free(all);
    }
    role_groups_free(groups, ngroups);
    return st;
}

/* A person's name as the mails say it: the directory's cn, else the uid. */
static const char *holder_name(const struct role_holders *h, size_t person)
{
    const struct person *p = &h->people[person];
    return p->name && *p->name ? p->name : p->uid ? p->uid : "";
}

/* Appends "A, B and C" (the k-th written by item), at most
 * ROLE_HOLDERS_NAMED of n, then " and N others". */
static void add_name_list(struct buf *b, size_t n, void (*item)(struct buf *, const void *, size_t),
                          const void *arg)
{
    size_t shown = n > ROLE_HOLDERS_NAMED ? ROLE_HOLDERS_NAMED : n;
    for (size_t k = 0; k < shown; k++) {
        if (k)
            buf_adds(b, k + 1 == shown && shown == n ? " and " : ", ");
        item(b, arg, k);
    }
    if (shown < n)
        buf_printf(b, " and %zu others", n - shown);
}

/* "administrator, billing person": roles as a mail's sentence says them
 * (template_role_title without its article). */
static void add_role_words(struct buf *b, unsigned roles)
{
    const char *sep = "";
    for (unsigned r = 0; r < ROLE_COUNT; r++) {
        if (!(roles & (1u << r)))
            continue;
        const char *title = template_role_title(role_names[r]);
        const char *space = strchr(title, ' ');
        buf_printf(b, "%s%s", sep, space ? space + 1 : title);
        sep = ", ";
    }
}

/* 1 if person (an index into h->people) is operator staff: an admin of
 * the operator account (operator_staff, set by role_holders_read). */
static int holder_is_operator(const struct role_holders *h, size_t person)
{
    return h->operator_staff && h->operator_staff[person];
}

/* The holders of one child a line names (the reader's own left out). */
struct child_named {
    const struct role_holders *h;
    const struct role_holder **who;
    size_t n;
    const char *parent_name; /* each parent's person "of <parent>" (mixed with operator staff) */
};

/* "Anna Partner (administrator, billing person)": the roles as
 * add_role_words says them; operator staff "(administrator; operator
 * staff of the platform)". */
static void add_child_holder(struct buf *b, const void *arg, size_t k)
{
    const struct child_named *c = arg;
    const struct role_holder *who = c->who[k];
    buf_printf(b, "%s (", holder_name(c->h, who->person));
    add_role_words(b, who->roles);
    if (holder_is_operator(c->h, who->person))
        buf_adds(b, "; operator staff of the platform)");
    else if (c->parent_name)
        buf_printf(b, ") of %s", c->parent_name);
    else
        buf_adds(b, ")");
}

const char *role_holders_child_mail(const struct role_holders *h, size_t i, size_t k)
{
    if (i >= h->nchildren || k >= h->of[i].n)
        return NULL;
    const char *mail = h->people[h->of[i].held[k].person].mail;
    return mail && *mail ? mail : NULL;
}

/* "Zoe Zahn (zoe@example.org)", or the address alone. */
static void add_invitee(struct buf *b, const struct role_holders_invitee *inv)
{
    if (inv->name && *inv->name)
        buf_printf(b, "%s (%s)", inv->name, inv->mail ? inv->mail : "");
    else
        buf_adds(b, inv->mail ? inv->mail : "");
}

const char *role_holders_child_line(struct buf *b, const struct role_holders *h, size_t i,
                                    const char *parent_name, const char *child_name, size_t reader,
                                    const struct role_holders_invitee *inv)
{
    if (i >= h->nchildren || h->of[i].n == 0)
        return NULL;
    const struct child_holders *c = &h->of[i];
    /* The reader's own entry, and the others. */
    const struct role_holder *me = NULL;
    const struct role_holder **others = xcalloc(c->n, sizeof(*others));
    size_t nothers = 0, nstaff = 0;
    int others_admin = 0;
    for (size_t k = 0; k < c->n; k++) {
        if (k == reader) {
            me = &c->held[k];
            continue;
        }
        others[nothers++] = &c->held[k];
        nstaff += holder_is_operator(h, c->held[k].person) != 0;
        others_admin |= (c->held[k].roles & ROLE_ADMIN) != 0;
    }
    int me_admin = me && (me->roles & ROLE_ADMIN);
    if (me) {
        buf_printf(b, "You still hold a role in %s (", child_name);
        add_role_words(b, me->roles);
        if (holder_is_operator(h, me->person))
            buf_adds(b, ") as operator staff of the platform");
        else
            buf_printf(b, ") as one of the people of %s", parent_name);
        if (me_admin)
            buf_printf(b,
                       ", and keep it until you leave it or another administrator of %s removes "
                       "you under its people; do that if you should no longer act for %s.",
                       child_name, child_name);
        else
            buf_printf(b,
                       ", and keep it until an administrator of %s removes you under its people; "
                       "ask them to if you should no longer act for %s.",
                       child_name, child_name);
    }
    if (nothers) {
        if (me)
            buf_adds(b, " ");
        /* Only the parent's people: "A and B of <parent>"; with operator
         * staff among them, each says what they are. */
        struct child_named named = {h, others, nothers, nstaff ? parent_name : NULL};
        add_name_list(b, nothers, add_child_holder, &named);
        if (!nstaff)
            buf_printf(b, " of %s", parent_name);
        int one = nothers == 1;
        if (me_admin)
            buf_printf(b,
                       " still %s in %s. You are its administrator: remove them under its people "
                       "if they should no longer act for %s.",
                       one ? "holds a role" : "hold roles", child_name, child_name);
        else
            buf_printf(b,
                       " still %s in %s, and %s until an administrator of %s removes them under "
                       "its people; do that if they should no longer act for %s.",
                       one ? "holds a role" : "hold roles", child_name,
                       one ? "keeps it" : "keep them", child_name, child_name);
    }
    free(others);
    if (c->no_other_admin) {
        /* Who the child's only administrators are, as the reader reads it. */
        int pending = inv && inv->count > 0;
        if (me_admin && !others_admin)
            buf_printf(b, " You are %sthe only administrator of %s: ", pending ? "still " : "",
                       child_name);
        else if (me_admin)
            buf_printf(b, " %s has no administrator but the people named here%s: ", child_name,
                       pending ? " yet" : "");
        else
            buf_printf(b, " %s has no other administrator%s: ", child_name, pending ? " yet" : "");
        if (pending) {
            /* Round-26 walkthrough of seed 003, D1: the invitation that
             * makes its own administrator is pending. */
            if (inv->count == 1 && inv->contact) {
                buf_adds(b, "its contact ");
                add_invitee(b, inv);
                buf_adds(b, " has not accepted the invitation to become its administrator yet");
            } else if (inv->count == 1) {
                add_invitee(b, inv);
                buf_adds(b, ", invited as its administrator, has not accepted yet");
            } else {
                add_invitee(b, inv);
                buf_printf(b, " and %lu more invited as its administrators have not accepted yet",
                           inv->count - 1);
            }
            buf_adds(b, " (the last administrator cannot be removed).");
        } else if (me_admin)
            buf_adds(b, "make one of its own people an administrator before you leave it (the "
                        "last administrator cannot be removed).");
        else
            buf_adds(b, "make one of its own people an administrator first (the last "
                        "administrator cannot be removed).");
    }
    return buf_str(b);
}

/* "Anna Partner in 3": the k-th of the people who hold roles in a child. */
static void add_closer_holder(struct buf *b, const void *arg, size_t k)
{
    const struct role_holders *h = ((const void *const *)arg)[0];
    int counts = ((const void *const *)arg)[1] != NULL;
    for (size_t i = 0, seen = 0; i < h->npeople; i++) {
        if (!h->in_children[i] || seen++ != k)
            continue;
        buf_adds(b, holder_name(h, i));
        if (counts)
            buf_printf(b, " in %zu", h->in_children[i]);
        return;
    }
}

const char *role_holders_open_children_line(struct buf *b, const struct role_holders *h,
                                            unsigned long open_children, size_t told,
                                            int distributor)
{
    if (!open_children)
        return NULL;
    int one = open_children == 1;
    const char *it = one ? "it" : "them";
    char beyond[48] = "";
    if (open_children > told)
        snprintf(beyond, sizeof(beyond), " (those of the first %zu)", told);
    if (one)
        buf_printf(b,
                   "1 child account of it stays open, with its subscriptions%s, and its contacts "
                   "were told: ",
                   distributor ? " and storefront" : "");
    else
        buf_printf(b,
                   "%lu child accounts of it stay open, with their subscriptions%s, and their "
                   "contacts were told%s: ",
                   open_children, distributor ? " and storefronts" : "", beyond);
    if (distributor)
        buf_printf(b,
                   "the back office of this account for %s ends (its people no longer act for %s "
                   "by their roles here), and the roles people hold in %s are unchanged.",
                   it, it, it);
    else
        buf_printf(b, "the roles people hold in %s are unchanged.", it);
    size_t named = 0;
    for (size_t i = 0; i < h->npeople; i++)
        named += h->in_children[i] > 0;
    if (named) {
        if (one)
            buf_adds(b, " People of this account still hold roles in it (");
        else if (*beyond)
            buf_printf(b,
                       " People of this account still hold roles in %zu of the first %zu of "
                       "them (",
                       h->nchildren_with, told);
        else
            buf_printf(b, " People of this account still hold roles in %zu of them (",
                       h->nchildren_with);
        const void *arg[2] = {h, one ? NULL : h};
        add_name_list(b, named, add_closer_holder, arg);
        buf_printf(b, "), and keep them until an administrator of %s removes them.",
                   one ? "it" : "each");
    }
    return buf_str(b);
}

const char *role_holders_person_lines(struct buf *b, const struct role_holders *h,
                                      const struct role_holders_child *children,
                                      const char *parent_name, size_t unread, size_t *count)
{
    size_t held = 0, listed = 0;
    for (size_t i = 0; i < h->nchildren; i++) {
        const struct child_holders *c = &h->of[i];
        if (c->n == 0)
            continue;
        held++;
        if (listed == ROLE_HOLDERS_LISTED)
            continue;
        const struct role_holder *who = &c->held[0];
        const char *name = holder_name(h, who->person);
        const char *child = children[i].name;
        buf_printf(b, "%s- %s (account %llu): ", listed ? "\n" : "", child, children[i].id);
        add_role_words(b, who->roles);
        buf_adds(b, c->no_other_admin ? "; it has no other administrator." : ".");
        if (children[i].reader_admin)
            /* The reader (the remover) may do it at once: "An
             * administrator of X removes them" sent them to a third party
             * (round-24 walkthrough of seed 001, D1). */
            buf_adds(b, " You are its administrator: remove them under its people.");
        else if (children[i].created && c->no_other_admin)
            /* ... and the sender of their pending invitations there
             * (saga_run.c; round-21 walkthrough of seed 001, D1; those in
             * its projects too since round 23, D1), and the owner of the
             * projects they alone own there (round-22, D1). */
            buf_printf(b,
                       " %s created it for %s, so an administrator of %s may remove them from its "
                       "people, also without being a member of it, and becomes its administrator "
                       "in their place, the owner of the projects they alone own there and the "
                       "sender of their invitations still pending there.",
                       name, parent_name, parent_name);
        else if (children[i].created)
            /* With another administrator: nothing promised that a
             * project they alone own refuses, and the invitations that
             * stop working are named (round-22, D1, D2): the person's,
             * by name ("which of their invitations" read as the
             * contacts' own; round-23 walkthrough of seed 001, D3). */
            buf_printf(b,
                       " %s created it for %s, so an administrator of %s may remove them from its "
                       "people, also without being a member of it once no project there has them "
                       "as its only owner (its administrators name another owner first); its "
                       "named contacts are then told which invitations %s sent that are still "
                       "pending there stop working.",
                       name, parent_name, parent_name, name);
        else if (c->no_other_admin)
            buf_printf(b,
                       " An administrator of %s removes them under its people, but it has none "
                       "but them: operator staff name another one first.",
                       child);
        else
            buf_printf(b, " An administrator of %s removes them under its people.", child);
        listed++;
    }
    *count = held + unread;
    if (*count == 0)
        return NULL;
    if (*count > listed)
        buf_printf(b, "\n- and %zu more child account%s of %s.", *count - listed,
                   *count - listed == 1 ? "" : "s", parent_name);
    return buf_str(b);
}
