/* Unit tests: who of a closed parent holds roles in its children, and
 * what the close's mails say of them (role_holders.h; round-18
 * walkthrough of seed 001, D1 and D2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "result.h"
#include "role_holders.h"

#define ANNA  "uid=anna,ou=people,dc=example,dc=org"
#define BEN   "uid=ben,ou=people,dc=example,dc=org"
#define CLARA "uid=clara,ou=people,dc=example,dc=org"
#define GHOST "uid=ghost,ou=people,dc=example,dc=org"

static size_t people_calls;
static int people_reversed; /* the directory answers in another order */

/* The directory: Anna, Ben and Clara are people; the ghost is not. */
static int fake_people(void *ctx, const char *const *dns, size_t n, struct person **out,
                       size_t *nout)
{
    (void)ctx;
    people_calls++;
    *out = calloc(n + 1, sizeof(**out));
    *nout = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL, *uid = NULL;
        if (strcasecmp(dns[i], ANNA) == 0)
            name = "Anna Partner", uid = "anna";
        else if (strcasecmp(dns[i], BEN) == 0)
            name = "", uid = "ben"; /* no cn: named by uid */
        else if (strcasecmp(dns[i], CLARA) == 0)
            name = "Clara Kundin", uid = "clara";
        if (!uid)
            continue;
        struct person *p = &(*out)[(*nout)++];
        p->dn = strdup(dns[i]);
        p->uid = strdup(uid);
        p->name = strdup(name);
        p->mail = strdup("x@example.org");
    }
    for (size_t i = 0; people_reversed && i < *nout / 2; i++) {
        struct person t = (*out)[i];
        (*out)[i] = (*out)[*nout - 1 - i];
        (*out)[*nout - 1 - i] = t;
    }
    return ST_OK;
}

static int failing_people(void *ctx, const char *const *dns, size_t n, struct person **out,
                          size_t *nout)
{
    (void)ctx, (void)dns, (void)n;
    *out = NULL;
    *nout = 0;
    return ST_UNAVAILABLE;
}

static struct role_group group(unsigned long long account, unsigned role, const char *a,
                               const char *b)
{
    struct role_group g = {.account_id = account, .role = role};
    g.members = calloc(3, sizeof(char *));
    if (a)
        g.members[g.nmembers++] = strdup(a);
    if (b)
        g.members[g.nmembers++] = strdup(b);
    return g;
}

/* Partner 10 (Anna admin, Ben billing, the ghost member); customer 20:
 * Anna its only admin (the creator), Ben a member, Clara billing;
 * customer 21: Clara admin, Anna billing and member (written in upper
 * case); customer 22: nobody of the partner; account 99: not a child. */
static struct role_group *tree(size_t *n)
{
    struct role_group *g = calloc(16, sizeof(*g));
    size_t k = 0;
    g[k++] = group(10, ROLE_ADMIN, ANNA, NULL);
    g[k++] = group(10, ROLE_BILLING, BEN, NULL);
    g[k++] = group(10, ROLE_MEMBER, GHOST, NULL);
    g[k++] = group(20, ROLE_ADMIN, ANNA, NULL);
    g[k++] = group(20, ROLE_MEMBER, BEN, GHOST);
    g[k++] = group(20, ROLE_BILLING, CLARA, NULL);
    g[k++] = group(21, ROLE_ADMIN, CLARA, NULL);
    g[k++] = group(21, ROLE_BILLING, "UID=Anna,OU=People,DC=example,DC=org", NULL);
    g[k++] = group(21, ROLE_MEMBER, ANNA, NULL);
    g[k++] = group(22, ROLE_ADMIN, CLARA, NULL);
    g[k++] = group(99, ROLE_ADMIN, ANNA, NULL);
    *n = k;
    return g;
}

static const unsigned long long children[] = {20, 21, 22};

static void finds_the_parents_people_in_each_child(void **state)
{
    (void)state;
    size_t ng;
    struct role_group *g = tree(&ng);
    struct role_holders h;
    people_calls = 0;
    assert_int_equal(role_holders_build(&h, 10, children, 3, g, ng, fake_people, NULL), ST_OK);
    assert_int_equal(people_calls, 1);
    assert_int_equal(h.nchildren, 3);
    assert_int_equal(h.nchildren_with, 2);
    /* 20: Anna (admin) and Ben (member); the ghost names no person; Clara
     * is none of the partner's. Anna is its only admin. */
    assert_int_equal(h.of[0].n, 2);
    assert_string_equal(h.people[h.of[0].held[0].person].uid, "anna");
    assert_int_equal(h.of[0].held[0].roles, ROLE_ADMIN);
    assert_string_equal(h.people[h.of[0].held[1].person].uid, "ben");
    assert_int_equal(h.of[0].held[1].roles, ROLE_MEMBER);
    assert_true(h.of[0].no_other_admin);
    /* 21: Anna once, with both roles (the DN's case does not matter);
     * Clara is another admin. */
    assert_int_equal(h.of[1].n, 1);
    assert_int_equal(h.of[1].held[0].roles, ROLE_BILLING | ROLE_MEMBER);
    assert_false(h.of[1].no_other_admin);
    assert_int_equal(h.of[2].n, 0);
    for (size_t i = 0; i < h.npeople; i++)
        assert_int_equal(h.in_children[i], strcmp(h.people[i].uid, "anna") == 0 ? 2 : 1);
    role_holders_free(&h);
    /* Listed in the order of their DNs, whatever order the directory
     * answers in. */
    people_reversed = 1;
    assert_int_equal(role_holders_build(&h, 10, children, 3, g, ng, fake_people, NULL), ST_OK);
    people_reversed = 0;
    assert_int_equal(h.npeople, 2);
    assert_string_equal(h.people[0].uid, "anna");
    assert_string_equal(h.people[h.of[0].held[1].person].uid, "ben");
    role_holders_free(&h);
    role_groups_free(g, ng);
}

static void nobody_of_the_parent_asks_nobody(void **state)
{
    (void)state;
    struct role_group g[2] = {group(10, ROLE_ADMIN, BEN, NULL), group(20, ROLE_ADMIN, CLARA, NULL)};
    struct role_holders h;
    people_calls = 0;
    assert_int_equal(role_holders_build(&h, 10, children, 1, g, 2, fake_people, NULL), ST_OK);
    assert_int_equal(people_calls, 0);
    assert_int_equal(h.nchildren_with, 0);
    struct buf b = BUF_INIT;
    assert_null(role_holders_child_line(&b, &h, 0, "P", "C", SIZE_MAX, NULL));
    role_holders_free(&h);
    free(g[0].members[0]), free(g[0].members), free(g[1].members[0]), free(g[1].members);
    buf_free(&b);
}

static void a_failed_read_is_the_status(void **state)
{
    (void)state;
    size_t ng;
    struct role_group *g = tree(&ng);
    struct role_holders h;
    assert_int_equal(role_holders_build(&h, 10, children, 3, g, ng, failing_people, NULL),
                     ST_UNAVAILABLE);
    assert_null(h.of);
    assert_int_equal(h.npeople, 0);
    role_groups_free(g, ng);
}

static void the_child_line_names_them_with_their_roles(void **state)
{
    (void)state;
    size_t ng;
    struct role_group *g = tree(&ng);
    struct role_holders h;
    assert_int_equal(role_holders_build(&h, 10, children, 3, g, ng, fake_people, NULL), ST_OK);
    struct buf b = BUF_INIT;
    assert_string_equal(
        role_holders_child_line(&b, &h, 0, "Solar Partner", "Autohaus", SIZE_MAX, NULL),
        "Anna Partner (administrator) and ben (member) of Solar Partner still hold roles in "
        "Autohaus, and keep them until an administrator of Autohaus removes them under its "
        "people; do that if they should no longer act for Autohaus. Autohaus has no other "
        "administrator: make one of its own people an administrator first (the last "
        "administrator cannot be removed).");
    buf_free(&b);
    assert_string_equal(
        role_holders_child_line(&b, &h, 1, "Solar Partner", "Berger", SIZE_MAX, NULL),
        "Anna Partner (billing person, member) of Solar Partner still holds a role "
        "in Berger, and keeps it until an administrator of Berger removes them "
        "under its people; do that if they should no longer act for Berger.");
    buf_free(&b);
    assert_null(role_holders_child_line(&b, &h, 2, "Solar Partner", "Kunde", SIZE_MAX, NULL));
    assert_null(role_holders_child_line(&b, &h, 3, "Solar Partner", "Kunde", SIZE_MAX, NULL));
    role_holders_free(&h);
    role_groups_free(g, ng);
}

static void the_closers_line_says_what_the_close_changes(void **state)
{
    (void)state;
    size_t ng;
    struct role_group *g = tree(&ng);
    struct role_holders h;
    assert_int_equal(role_holders_build(&h, 10, children, 3, g, ng, fake_people, NULL), ST_OK);
    struct buf b = BUF_INIT;
    /* A partner: no back office, no storefronts. */
    assert_string_equal(role_holders_open_children_line(&b, &h, 3, 3, 0),
                        "3 child accounts of it stay open, with their subscriptions, and their "
                        "contacts were told: the roles people hold in them are unchanged. People "
                        "of this account still hold roles in 2 of them (Anna Partner in 2 and ben "
                        "in 1), and keep them until an administrator of each removes them.");
    buf_free(&b);
    /* A distributor beyond the cap. */
    assert_string_equal(role_holders_open_children_line(&b, &h, 1200, 3, 1),
                        "1200 child accounts of it stay open, with their subscriptions and "
                        "storefronts, and their contacts were told (those of the first 3): the "
                        "back office of this account for them ends (its people no longer act for "
                        "them by their roles here), and the roles people hold in them are "
                        "unchanged. People of this account still hold roles in 2 of the first 3 "
                        "of them (Anna Partner in 2 and ben in 1), and keep them until an "
                        "administrator of each removes them.");
    buf_free(&b);
    assert_null(role_holders_open_children_line(&b, &h, 0, 0, 1));
    role_holders_free(&h);
    /* One child, nobody of the account in it. */
    struct role_holders none;
    assert_int_equal(role_holders_build(&none, 10, children + 2, 1, g, ng, fake_people, NULL),
                     ST_OK);
    assert_string_equal(role_holders_open_children_line(&b, &none, 1, 1, 1),
                        "1 child account of it stays open, with its subscriptions and storefront, "
                        "and its contacts were told: the back office of this account for it ends "
                        "(its people no longer act for it by their roles here), and the roles "
                        "people hold in it are unchanged.");
    buf_free(&b);
    role_holders_free(&none);
    /* One child with Anna in it. */
    struct role_holders one;
    assert_int_equal(role_holders_build(&one, 10, children + 1, 1, g, ng, fake_people, NULL),
                     ST_OK);
    assert_string_equal(role_holders_open_children_line(&b, &one, 1, 1, 0),
                        "1 child account of it stays open, with its subscriptions, and its "
                        "contacts were told: the roles people hold in it are unchanged. People of "
                        "this account still hold roles in it (Anna Partner), and keep them until "
                        "an administrator of it removes them.");
    buf_free(&b);
    role_holders_free(&one);
    role_groups_free(g, ng);
}

/* At most ROLE_HOLDERS_NAMED names, then "and N others". */
static void long_lists_are_cut(void **state)
{
    (void)state;
    enum { N = ROLE_HOLDERS_NAMED + 3 };
    struct role_holders h = {0};
    h.people = calloc(N, sizeof(*h.people));
    h.in_children = calloc(N, sizeof(*h.in_children));
    h.npeople = N;
    h.nchildren = 1;
    h.nchildren_with = 1;
    h.of = calloc(1, sizeof(*h.of));
    h.of[0].held = calloc(N, sizeof(*h.of[0].held));
    h.of[0].n = N;
    for (size_t i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof(name), "P%zu", i);
        h.people[i].name = strdup(name);
        h.in_children[i] = 1;
        h.of[0].held[i] = (struct role_holder){i, ROLE_MEMBER};
    }
    struct buf b = BUF_INIT;
    const char *line = role_holders_child_line(&b, &h, 0, "P", "C", SIZE_MAX, NULL);
    assert_non_null(strstr(line, "P8 (member), P9 (member) and 3 others of P still hold roles"));
    buf_free(&b);
    line = role_holders_open_children_line(&b, &h, 1, 1, 0);
    assert_non_null(strstr(line, "(P0, P1, P2, P3, P4, P5, P6, P7, P8, P9 and 3 others)"));
    buf_free(&b);
    role_holders_free(&h);
}

/* Round-26 walkthrough of seed 003, D1: the reader's own line speaks to
 * them, operator staff are named as such, and a pending admin invitation
 * of the child is named instead of "make one of its own people an
 * administrator". Child 0: Olivia (operator staff) its only admin, Anna
 * (of the parent) a member. */
static void the_readers_own_line_and_a_pending_invitation(void **state)
{
    (void)state;
    struct role_holders h = {0};
    h.npeople = 2;
    h.people = calloc(2, sizeof(*h.people));
    h.in_children = calloc(2, sizeof(*h.in_children));
    h.operator_staff = calloc(2, 1);
    h.people[0].name = strdup("Olivia Operator");
    h.people[0].mail = strdup("olivia@example.org");
    h.people[1].name = strdup("Anna Partner");
    h.people[1].mail = strdup("anna@example.org");
    h.operator_staff[0] = 1;
    h.nchildren = 1;
    h.nchildren_with = 1;
    h.of = calloc(1, sizeof(*h.of));
    h.of[0].held = calloc(2, sizeof(*h.of[0].held));
    h.of[0].held[0] = (struct role_holder){0, ROLE_ADMIN};
    h.of[0].held[1] = (struct role_holder){1, ROLE_MEMBER};
    h.of[0].n = 2;
    h.of[0].no_other_admin = 1;
    struct buf b = BUF_INIT;
    /* Another reader: third person, Olivia as operator staff. */
    assert_string_equal(
        role_holders_child_line(&b, &h, 0, "Reseller", "Zahn", SIZE_MAX, NULL),
        "Olivia Operator (administrator; operator staff of the platform) and Anna Partner "
        "(member) of Reseller still hold roles in Zahn, and keep them until an administrator of "
        "Zahn removes them under its people; do that if they should no longer act for Zahn. "
        "Zahn has no other administrator: make one of its own people an administrator first "
        "(the last administrator cannot be removed).");
    buf_free(&b);
    /* Olivia's own copy (holder 0), the contact's invitation pending. */
    char zoe[] = "Zoe Zahn", zoe_mail[] = "zoe@zahn.example", bernd_mail[] = "bernd@zahn.example";
    struct role_holders_invitee inv = {1, zoe, zoe_mail, 1};
    assert_string_equal(
        role_holders_child_line(&b, &h, 0, "Reseller", "Zahn", 0, &inv),
        "You still hold a role in Zahn (administrator) as operator staff of the platform, and "
        "keep it until you leave it or another administrator of Zahn removes you under its "
        "people; do that if you should no longer act for Zahn. Anna Partner (member) of Reseller "
        "still holds a role in Zahn. You are its administrator: remove them under its people if "
        "they should no longer act for Zahn. You are still the only administrator of Zahn: its "
        "contact Zoe Zahn (zoe@zahn.example) has not accepted the invitation to become its "
        "administrator yet (the last administrator cannot be removed).");
    buf_free(&b);
    /* Anna's own copy (holder 1); two invitations pending, the oldest no contact's
     * and without a name. */
    inv = (struct role_holders_invitee){2, NULL, bernd_mail, 0};
    assert_string_equal(
        role_holders_child_line(&b, &h, 0, "Reseller", "Zahn", 1, &inv),
        "You still hold a role in Zahn (member) as one of the people of Reseller, and keep it "
        "until an administrator of Zahn removes you under its people; ask them to if you "
        "should no longer act for Zahn. Olivia Operator (administrator; operator staff of the "
        "platform) still holds a role in Zahn, and keeps it until an administrator of Zahn "
        "removes them under its people; do that if they should no longer act for Zahn. Zahn "
        "has no other administrator yet: bernd@zahn.example and 1 more invited as its "
        "administrators have not accepted yet (the last administrator cannot be removed).");
    buf_free(&b);
    assert_string_equal(role_holders_child_mail(&h, 0, 1), "anna@example.org");
    assert_null(role_holders_child_mail(&h, 0, 2));
    assert_null(role_holders_child_mail(&h, 1, 0));
    role_holders_free(&h);
}

/* Review of round 26, item 5: operator staff are the people in an admin
 * group of the operator account (their DN as the group holds it, in
 * another case too); a member group of it, or an admin group of another
 * account, makes nobody staff. Each DN is normalised once. */
static void operator_admins_are_marked_once_each(void **state)
{
    (void)state;
    struct role_holders h = {0};
    h.npeople = 3;
    h.people = calloc(3, sizeof(*h.people));
    h.people[0].dn = strdup(ANNA);
    h.people[1].dn = strdup(BEN);
    h.people[2].dn = strdup(CLARA);
    char *admins[] = {"UID=Anna,ou=people,dc=example,dc=org", GHOST};
    char *members[] = {BEN};
    char *other[] = {CLARA};
    struct role_group g[] = {
        {1, ROLE_ADMIN, admins, 2},
        {1, ROLE_MEMBER, members, 1},
        {7, ROLE_ADMIN, other, 1},
    };
    unsigned long before = ldap_dn_normalisations();
    role_holders_mark_operator(&h, 1, g, 3);
    assert_true(ldap_dn_normalisations() - before <= 3 + 3);
    assert_non_null(h.operator_staff);
    assert_int_equal(h.operator_staff[0], 1);
    assert_int_equal(h.operator_staff[1], 0);
    assert_int_equal(h.operator_staff[2], 0);
    role_holders_free(&h);
}

/* Round-20 walkthrough of seed 001, D1: one person removed from the
 * partner, and the children they still hold roles in. Partner 10 (Ben
 * billing there, which does not matter); 20: Anna admin, Ben member; 21:
 * Ben admin and billing (his DN in upper case), Clara admin; 22: Ben its
 * only admin (he created it); 23: Clara only. */
static struct role_group *bens_tree(size_t *n)
{
    struct role_group *g = calloc(16, sizeof(*g));
    size_t k = 0;
    g[k++] = group(10, ROLE_BILLING, BEN, NULL);
    g[k++] = group(20, ROLE_ADMIN, ANNA, NULL);
    g[k++] = group(20, ROLE_MEMBER, BEN, NULL);
    g[k++] = group(21, ROLE_ADMIN, "UID=ben,OU=People,DC=example,DC=org", CLARA);
    g[k++] = group(21, ROLE_BILLING, BEN, NULL);
    g[k++] = group(22, ROLE_ADMIN, BEN, NULL);
    g[k++] = group(23, ROLE_ADMIN, CLARA, NULL);
    *n = k;
    return g;
}

static void one_persons_roles_in_the_children(void **state)
{
    (void)state;
    size_t ng;
    struct role_group *g = bens_tree(&ng);
    static const unsigned long long kids[] = {20, 21, 22, 23};
    struct person ben = {.dn = BEN, .uid = "ben", .name = "Ben Partner", .mail = "b@example.org"};
    struct role_holders h;
    assert_int_equal(role_holders_build_person(&h, &ben, 10, kids, 4, g, ng), ST_OK);
    assert_int_equal(h.npeople, 1);
    assert_string_equal(h.people[0].uid, "ben");
    assert_int_equal(h.nchildren_with, 3);
    assert_int_equal(h.of[0].n, 1);
    assert_int_equal(h.of[0].held[0].roles, ROLE_MEMBER);
    assert_false(h.of[0].no_other_admin);
    assert_int_equal(h.of[1].held[0].roles, ROLE_ADMIN | ROLE_BILLING);
    assert_false(h.of[1].no_other_admin); /* Clara */
    assert_int_equal(h.of[2].held[0].roles, ROLE_ADMIN);
    assert_true(h.of[2].no_other_admin);
    assert_int_equal(h.of[3].n, 0);

    struct role_holders_child named[] = {{20, "Autohaus", 0, 0},
                                         {21, "Berger", 0, 0},
                                         {22, "Bens Kunde", 1, 0},
                                         {23, "Kunde", 0, 0}};
    struct buf b = BUF_INIT;
    size_t count = 0;
    assert_string_equal(
        role_holders_person_lines(&b, &h, named, "Solar Partner", 0, &count),
        "- Autohaus (account 20): member. An administrator of Autohaus removes them under its "
        "people.\n"
        "- Berger (account 21): administrator, billing person. An administrator of Berger removes "
        "them under its people.\n"
        "- Bens Kunde (account 22): administrator; it has no other administrator. Ben Partner "
        "created it for Solar Partner, so an administrator of Solar Partner may remove them from "
        "its people, also without being a member of it, and becomes its administrator in their "
        "place, the owner of the projects they alone own there and the sender of their "
        "invitations still pending there.");
    assert_int_equal(count, 3);
    buf_free(&b);
    /* Not created by him, and its only admin: operator staff; beyond
     * the children read, "and N more". */
    named[2].created = 0;
    const char *lines = role_holders_person_lines(&b, &h, named, "Solar Partner", 2, &count);
    assert_non_null(strstr(lines, "- Bens Kunde (account 22): administrator; it has no other "
                                  "administrator. An administrator of Bens Kunde removes them "
                                  "under its people, but it has none but them: operator staff "
                                  "name another one first.\n- and 2 more child accounts of "
                                  "Solar Partner."));
    assert_int_equal(count, 5);
    buf_free(&b);
    /* The reader is an administrator of a child (the remover's own copy;
     * round-24 walkthrough of seed 001, D1): that line says so, whoever
     * created it; the others stay as they are. */
    named[0].reader_admin = 1;
    named[1].reader_admin = 1;
    named[2].created = 1;
    assert_string_equal(
        role_holders_person_lines(&b, &h, named, "Solar Partner", 0, &count),
        "- Autohaus (account 20): member. You are its administrator: remove them under its "
        "people.\n"
        "- Berger (account 21): administrator, billing person. You are its administrator: remove "
        "them under its people.\n"
        "- Bens Kunde (account 22): administrator; it has no other administrator. Ben Partner "
        "created it for Solar Partner, so an administrator of Solar Partner may remove them from "
        "its people, also without being a member of it, and becomes its administrator in their "
        "place, the owner of the projects they alone own there and the sender of their "
        "invitations still pending there.");
    assert_int_equal(count, 3);
    buf_free(&b);
    named[0].reader_admin = named[1].reader_admin = 0;
    role_holders_free(&h);

    /* Nowhere: no line, no count. */
    assert_int_equal(role_holders_build_person(&h, &ben, 10, kids + 3, 1, g, ng), ST_OK);
    assert_null(role_holders_person_lines(&b, &h, named + 3, "Solar Partner", 0, &count));
    assert_int_equal(count, 0);
    role_holders_free(&h);
    role_groups_free(g, ng);
}

/* At most ROLE_HOLDERS_LISTED lines, then "and N more". */
static void long_child_lists_are_cut(void **state)
{
    (void)state;
    enum { N = ROLE_HOLDERS_LISTED + 1 };
    struct role_holders h = {0};
    h.people = calloc(1, sizeof(*h.people));
    h.people[0].uid = strdup("ben");
    h.npeople = 1;
    h.in_children = calloc(1, sizeof(*h.in_children));
    h.nchildren = N;
    h.of = calloc(N, sizeof(*h.of));
    struct role_holders_child named[N];
    for (size_t i = 0; i < N; i++) {
        h.of[i].held = calloc(1, sizeof(*h.of[i].held));
        h.of[i].held[0] = (struct role_holder){0, ROLE_MEMBER};
        h.of[i].n = 1;
        named[i] = (struct role_holders_child){100 + i, "C", 0, 0};
    }
    struct buf b = BUF_INIT;
    size_t count = 0;
    const char *lines = role_holders_person_lines(&b, &h, named, "P", 1, &count);
    assert_int_equal(count, N + 1);
    assert_non_null(strstr(lines, "- C (account 149): member."));
    assert_null(strstr(lines, "(account 150)"));
    assert_non_null(strstr(lines, "\n- and 2 more child accounts of P."));
    buf_free(&b);
    role_holders_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_the_parents_people_in_each_child),
        cmocka_unit_test(nobody_of_the_parent_asks_nobody),
        cmocka_unit_test(a_failed_read_is_the_status),
        cmocka_unit_test(the_child_line_names_them_with_their_roles),
        cmocka_unit_test(the_closers_line_says_what_the_close_changes),
        cmocka_unit_test(the_readers_own_line_and_a_pending_invitation),
        cmocka_unit_test(operator_admins_are_marked_once_each),
        cmocka_unit_test(long_lists_are_cut),
        cmocka_unit_test(one_persons_roles_in_the_children),
        cmocka_unit_test(long_child_lists_are_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
