/* Unit tests: mail templates, placeholder checks and rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static void catalog_has_the_six_templates(void **state)
{
    (void)state;
    const char *names[] = {"invitation",      "added-to-account",
                           "contact-changed", "ownership-transferred",
                           "plan-welcome",    "subscription-cancelled"};
    for (size_t i = 0; i < 6; i++) {
        const struct template_info *t = template_find(names[i]);
        assert_non_null(t);
        assert_string_equal(t->category, "transactional");
    }
    assert_null(template_find("nope"));
}

static void role_title_says_the_role_in_words(void **state)
{
    (void)state;
    assert_string_equal(template_role_title("admin"), "an administrator");
    assert_string_equal(template_role_title("service-provider"), "a service provider");
    assert_string_equal(template_role_title("billing"), "a billing person");
    assert_string_equal(template_role_title("member"), "a member");
    assert_string_equal(template_role_title("owner"), "an owner");
    assert_string_equal(template_role_title("editor"), "an editor");
    assert_string_equal(template_role_title("reader"), "a reader");
    assert_string_equal(template_role_title("auditor"), "auditor"); /* unknown: as it is */
    assert_null(template_role_title(NULL));
    /* The invitation templates may use it. */
    assert_null(template_check(template_find("invitation"), "as {{role_title}}", NULL));
    assert_null(template_check(template_find("added-to-account"), "as {{role_title}}", NULL));
    assert_null(template_check(template_find("transfer-invitation"), "{{role_title}}", NULL));
    /* {{renewal_note}} (round-14 walkthrough of seed 001, D3): the two
     * invitation templates only; added-to-account replaces no link. */
    assert_null(template_check(template_find("invitation"), "{{renewal_note}}", NULL));
    assert_null(template_check(template_find("transfer-invitation"), "{{renewal_note}}", NULL));
    assert_non_null(template_check(template_find("added-to-account"), "{{renewal_note}}", NULL));
    /* {{providers_note}} (migration 073, round-18 walkthrough of seed 000,
     * D2): the hand-over's invitation and ownership-transferred only;
     * {{pending_invitations}} (D1) ownership-transferred only. */
    assert_null(template_check(template_find("transfer-invitation"), "{{providers_note}}", NULL));
    assert_null(template_check(template_find("ownership-transferred"),
                               "{{providers_note}}\n{{pending_invitations}}", NULL));
    assert_non_null(template_check(template_find("invitation"), "{{providers_note}}", NULL));
    assert_non_null(
        template_check(template_find("transfer-invitation"), "{{pending_invitations}}", NULL));
    assert_non_null(
        template_check(template_find("transfer-completed"), "{{pending_invitations}}", NULL));
}

static void check_refuses_unknown_placeholders(void **state)
{
    (void)state;
    const struct template_info *t = template_find("invitation");
    char *bad = NULL;
    assert_null(template_check(t, "Join {{account_name}} via {{ link }}", &bad));
    assert_null(bad);
    assert_non_null(template_check(t, "Hi {{nope}}", &bad));
    assert_string_equal(bad, "nope");
    free(bad);
    assert_non_null(template_check(t, "Hi {{account_name", &bad));
    assert_null(bad);
    /* contact-changed has no link */
    assert_non_null(template_check(template_find("contact-changed"), "{{link}}", NULL));
}

/* Round-18 walkthrough of seed 002, D4: only the first unknown
 * placeholder of a text was named. Now every one, each once, in the
 * text's order; and the template's own are listed for the message (a
 * subject's without the secret link). */
static void check_names_every_unknown_placeholder(void **state)
{
    (void)state;
    const struct template_info *t = template_find("subscription-changed");
    char *bad = NULL;
    const char *why =
        template_check(t, "{{nope}} {{account_name}} {{ nada }} {{nope}} {{storefront_url}}", &bad);
    assert_string_equal(why, "uses placeholders this template does not have");
    assert_string_equal(bad, "nope, nada, storefront_url");
    free(bad);
    why = template_check(t, "{{acount_name}} and {{acount_name}}", &bad);
    assert_string_equal(why, "uses a placeholder this template does not have");
    assert_string_equal(bad, "acount_name");
    free(bad);
    char *known = template_placeholder_list(t, 0);
    assert_non_null(strstr(known, "account_name, "));
    assert_null(strstr(known, "storefront_url"));
    free(known);
    const struct template_info *inv = template_find("invitation");
    known = template_placeholder_list(inv, 0);
    assert_non_null(strstr(known, "link"));
    free(known);
    known = template_placeholder_list(inv, 1);
    assert_null(strstr(known, "link"));
    assert_non_null(strstr(known, "account_name"));
    free(known);
}

/* Issue 7, defect 9: {{link}} (the invitation's token) was allowed in a
 * subject, which service providers read in GET .../notifications. */
static void subjects_refuse_the_link(void **state)
{
    (void)state;
    const struct template_info *t = template_find("invitation");
    char *bad = NULL;
    assert_null(template_check_subject(t, "Join {{account_name}}", &bad));
    assert_non_null(template_check_subject(t, "Join via {{link}}", &bad));
    assert_string_equal(bad, "link");
    free(bad);
    assert_non_null(template_check_subject(t, "Join via {{ link }}", NULL));
    /* The body needs it. */
    assert_null(template_check(t, "Accept: {{link}}", NULL));
}

static void render_substitutes_values(void **state)
{
    (void)state;
    struct template_value v[] = {{"account_name", "Acme"}, {"link", "http://x/t"}};
    struct buf out = BUF_INIT;
    assert_int_equal(template_render("Join {{account_name}}: {{link}}!", v, 2, 0, &out), 0);
    assert_string_equal(out.data, "Join Acme: http://x/t!");
    buf_reset(&out);
    assert_int_equal(template_render("{{missing}}", v, 2, 0, &out), -1);
    buf_free(&out);
}

static void subject_stays_one_line(void **state)
{
    (void)state;
    struct template_value v[] = {{"account_name", "Evil\r\nBcc: victim@example.org"}};
    struct buf out = BUF_INIT;
    assert_int_equal(template_render("Welcome to {{account_name}}", v, 1, 1, &out), 0);
    assert_null(strchr(out.data, '\n'));
    assert_null(strchr(out.data, '\r'));
    buf_reset(&out);
    /* bodies keep their lines */
    assert_int_equal(template_render("a\n{{account_name}}", v, 1, 0, &out), 0);
    assert_non_null(strchr(out.data, '\n'));
    buf_free(&out);
}

static void omitted_value_leaves_its_line_out(void **state)
{
    (void)state;
    struct template_value v[] = {{"plan", "Professional"}, {"storefront_url", TEMPLATE_OMIT_LINE}};
    struct buf out = BUF_INIT;
    assert_int_equal(
        template_render("Hello,\n\nNow {{plan}}.\nYour storefront: {{storefront_url}}\n"
                        "Bye {{plan}}\n",
                        v, 2, 0, &out),
        0);
    assert_string_equal(out.data, "Hello,\n\nNow Professional.\nBye Professional\n");
    buf_reset(&out);
    /* the first and the last line, without a line break at the end */
    assert_int_equal(
        template_render("{{storefront_url}} x\nend: {{storefront_url}}", v, 2, 0, &out), 0);
    assert_string_equal(out.data, "");
    buf_reset(&out);
    /* a subject is one line: the value is empty there */
    assert_int_equal(template_render("Shop {{storefront_url}}!", v, 2, 1, &out), 0);
    assert_string_equal(out.data, "Shop !");
    buf_free(&out);
}

/* stop-18 leftover of seed 003: a withdrawn request and an ended relation
 * have their own templates; {{reason}} (a closed account) is the decided
 * and withdrawn mails' only. */
static void relation_templates_and_their_placeholders(void **state)
{
    (void)state;
    const struct template_info *w = template_find("relation-withdrawn"),
                               *e = template_find("relation-ended"),
                               *d = template_find("relation-decided");
    assert_non_null(w);
    assert_non_null(e);
    assert_string_equal(w->category, "transactional");
    assert_string_equal(e->category, "transactional");
    assert_null(template_check(w,
                               "{{withdrawn_by}} of {{partner_name}}: {{relation_id}}\n"
                               "{{reason}}\n{{account_name}} {{account_id}}",
                               NULL));
    assert_null(template_check(e,
                               "{{ended_by}} of {{ended_by_account}}: {{partner_name}}, "
                               "{{customer_name}}, {{relation_id}}, {{account_name}}",
                               NULL));
    assert_null(template_check(d, "{{decided_by}} {{decision}}\n{{reason}}", NULL));
    char *bad = NULL;
    assert_non_null(template_check(e, "{{reason}}", &bad));
    assert_string_equal(bad, "reason");
    free(bad);
    assert_non_null(template_check(w, "{{ended_by}}", NULL));
    /* {{access_note}}: whether the end takes a storefront's sign-in away
     * (migration 085; round-19 walkthrough of seed 002, D2 follow-up);
     * the end's only. */
    assert_null(template_check(e, "{{customer_name}}. {{access_note}}\n", NULL));
    assert_non_null(template_check(w, "{{access_note}}", &bad));
    assert_string_equal(bad, "access_note");
    free(bad);
    /* {{again_note}}: whether a new relation can be asked for (migration
     * 094; round-21 walkthrough of seed 003, D3); the end's only. */
    assert_null(template_check(e, "{{access_note}}\n\n{{again_note}}\n", NULL));
    assert_non_null(template_check(w, "{{again_note}}", &bad));
    assert_string_equal(bad, "again_note");
    free(bad);
}

/* Migration 072 (round-17 walkthrough of seed 002, D3): the cancellation
 * of a reseller plan with a storefront says that its customers' sign-in
 * ends too and how long the alias is kept; both lines are left out for
 * any other plan. Only subscription-cancelled has {{retention_period}}. */
static void cancellation_names_the_storefront_and_its_retention(void **state)
{
    (void)state;
    const struct template_info *t = template_find("subscription-cancelled");
    const char *body = "Ends {{ends_at}}.\nNo sign-in at {{storefront_url}}.\n"
                       "Kept for {{retention_period}}.\nBye\n";
    assert_null(template_check(t, body, NULL));
    char *bad = NULL;
    assert_non_null(
        template_check(template_find("subscription-changed"), "{{retention_period}}", &bad));
    assert_string_equal(bad, "retention_period");
    free(bad);
    struct template_value kept[] = {{"ends_at", "2027-11-30T22:17:38Z"},
                                    {"storefront_url", "https://shop.example/golf"},
                                    {"retention_period", "90 days"}};
    struct buf out = BUF_INIT;
    assert_int_equal(template_render(body, kept, 3, 0, &out), 0);
    assert_string_equal(out.data, "Ends 2027-11-30T22:17:38Z.\n"
                                  "No sign-in at https://shop.example/golf.\n"
                                  "Kept for 90 days.\nBye\n");
    buf_reset(&out);
    struct template_value none[] = {{"ends_at", "2027-11-30T22:17:38Z"},
                                    {"storefront_url", TEMPLATE_OMIT_LINE},
                                    {"retention_period", TEMPLATE_OMIT_LINE}};
    assert_int_equal(template_render(body, none, 3, 0, &out), 0);
    assert_string_equal(out.data, "Ends 2027-11-30T22:17:38Z.\nBye\n");
    buf_free(&out);
}

static void cut_keeps_whole_characters(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    buf_adds(&out, "a\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80z"); /* a ä € 😀 z */
    assert_int_equal(template_cut_chars(&out, 5), 0);
    assert_int_equal(out.len, 11);
    assert_int_equal(template_cut_chars(&out, 4), 1);
    assert_string_equal(out.data, "a\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_int_equal(template_cut_chars(&out, 2), 1);
    assert_string_equal(out.data, "a\xc3\xa4");
    assert_int_equal(template_cut_chars(&out, 0), 1);
    assert_string_equal(out.data, "");
    buf_free(&out);
}

/* Every template may greet its reader: the invitations with the names
 * given with them, the others with the directory's name for the reader's
 * address (round-11 leftover of seed 000, D5); the welcomes say what they
 * follow ({{acted}}: seed 001, O6). */
static void every_template_may_greet(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct template_info *t = template_catalog; t->name; t++, n++)
        assert_null(template_check(t, "{{greeting}}\n", NULL));
    assert_int_equal(n, 40); /* invitation-withdrawn (044), two relation mails (046),
                                provider-access-changed (048), storefront-url-changed
                                (053), invitation-accepted (055),
                                relation-requested-for-partner (057), member-removed (061),
                                account-handed-over (063), recipients-added (067),
                                account-details-changed (068), parent-closed (069),
                                handed-over-to-customer and provider-granted (083),
                                password-changed and password-reset-used (090),
                                member-keeps-child-roles and removed-by-parent (087),
                                project-member-removed and project-deleted (092),
                                project-account-closed (101) */
    assert_null(template_check(template_find("plan-welcome"), "{{acted}}", NULL));
    assert_null(template_check(template_find("storefront-welcome"), "{{acted}}", NULL));
    assert_non_null(template_check(template_find("subscription-changed"), "{{acted}}", NULL));
}

/* invitation-accepted's {{handover_step}} (migration 086; round-20
 * walkthrough of seed 000, D2): the hand-over's step for the provider's
 * side, a staged-until line for a customer admin; that template's only. */
static void invitation_accepted_names_the_handover_step(void **state)
{
    (void)state;
    const struct template_info *t = template_find("invitation-accepted");
    assert_non_null(t);
    assert_null(
        template_check(t,
                       "{{greeting}}\n\n{{name}} ({{email}}) accepted your invitation and "
                       "is now an administrator of {{account_name}}.\n\n{{handover_step}}\n",
                       NULL));
    char *bad = NULL;
    assert_non_null(template_check(template_find("invitation"), "{{handover_step}}", &bad));
    assert_string_equal(bad, "handover_step");
    free(bad);
}

/* The notices of a used password-reset link (migration 090; round-20
 * walkthrough of seed 004, D2) say when and with whose link; they carry
 * no link themselves (the used one is dead, and these mails may have
 * extra recipients). */
static void password_notices_and_their_placeholders(void **state)
{
    (void)state;
    const struct template_info *t = template_find("password-changed");
    assert_non_null(t);
    assert_string_equal(t->category, "transactional");
    assert_null(template_check(t,
                               "{{greeting}} {{uid}} {{set_at}} {{requested_by}} {{requested_at}} "
                               "{{requested_by_name}} {{account_name}} {{name}}",
                               NULL));
    /* Migration 093 (round-21 walkthrough of seed 004, D2 and D3). */
    assert_null(template_check(t, "{{which_link}} {{ask_whom}}", NULL));
    assert_non_null(template_check(t, "{{link}}", NULL));
    t = template_find("password-reset-used");
    assert_non_null(t);
    assert_string_equal(t->category, "transactional");
    assert_null(template_check(
        t, "{{greeting}} {{name}} {{uid}} {{account_name}} {{requested_at}} {{set_at}}", NULL));
    assert_non_null(template_check(t, "{{link}}", NULL));
    assert_non_null(template_check(t, "{{requested_by}}", NULL));
}

/* Round-23 walkthrough of seed 004, D1: added-to-account's first line
 * says "added you" only to a person new there; one who held roles there
 * is told the role given and the roles held now, without the sign-in
 * line. */
static void added_line_tells_a_member_what_changed(void **state)
{
    (void)state;
    char *line = template_added_line("Anna A", "Gadgets", "billing", NULL, NULL);
    assert_string_equal(line, "Anna A added you to Gadgets as a billing person.");
    free(line);
    line = template_added_line("Anna A", "Gadgets", "billing", "member", "billing and member");
    assert_string_equal(line, "Anna A made you a billing person in Gadgets, where you are already "
                              "a member: your roles there are now billing and member.");
    free(line);
    line = template_added_line("V", "project \"P\" in R", "owner", "editor and reader",
                               "owner, editor and reader");
    assert_string_equal(line, "V made you an owner in project \"P\" in R, where you are already "
                              "an editor and a reader: your roles there are now owner, editor "
                              "and reader.");
    free(line);
    assert_string_equal(template_sign_in_line(NULL),
                        "Sign in with your existing account to use it.");
    assert_string_equal(template_sign_in_line(""), "Sign in with your existing account to use it.");
    assert_ptr_equal(template_sign_in_line("member"), TEMPLATE_OMIT_LINE);
    assert_null(template_check(template_find("added-to-account"),
                               "{{added_line}}\n{{sign_in_line}}", NULL));
}

/* Round-24 walkthrough of seed 004, D3: the subject of added-to-account
 * for one who held roles there says that their roles changed. */
static void added_subject_tells_a_member_their_roles_changed(void **state)
{
    (void)state;
    char *subject = template_added_subject("Gadgets", NULL);
    assert_string_equal(subject, "You were added to Gadgets");
    free(subject);
    subject = template_added_subject("Gadgets", "");
    assert_string_equal(subject, "You were added to Gadgets");
    free(subject);
    subject = template_added_subject("project \"P\" in R", "editor and reader");
    assert_string_equal(subject, "Your roles in project \"P\" in R changed");
    free(subject);
    char *bad = NULL;
    assert_null(
        template_check_subject(template_find("added-to-account"), "{{added_subject}}", &bad));
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalog_has_the_six_templates),
        cmocka_unit_test(added_line_tells_a_member_what_changed),
        cmocka_unit_test(added_subject_tells_a_member_their_roles_changed),
        cmocka_unit_test(check_refuses_unknown_placeholders),
        cmocka_unit_test(check_names_every_unknown_placeholder),
        cmocka_unit_test(render_substitutes_values),
        cmocka_unit_test(subjects_refuse_the_link),
        cmocka_unit_test(subject_stays_one_line),
        cmocka_unit_test(omitted_value_leaves_its_line_out),
        cmocka_unit_test(relation_templates_and_their_placeholders),
        cmocka_unit_test(cut_keeps_whole_characters),
        cmocka_unit_test(cancellation_names_the_storefront_and_its_retention),
        cmocka_unit_test(role_title_says_the_role_in_words),
        cmocka_unit_test(every_template_may_greet),
        cmocka_unit_test(invitation_accepted_names_the_handover_step),
        cmocka_unit_test(password_notices_and_their_placeholders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
