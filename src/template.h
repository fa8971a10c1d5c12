/*
 * template: e-mail templates with {{placeholder}} fields.
 *
 * Pure functions. Each template name has a fixed set of placeholders it may
 * use (the catalog: template_find); an override that uses any other is refused,
 * so a mail is never sent with a hole in it. Rendering substitutes values
 * as given; the subject is rendered on one line (CR, LF and other control
 * characters become spaces) so no value can add a mail header.
 */
#ifndef ACCOUNTD_TEMPLATE_H
#define ACCOUNTD_TEMPLATE_H

#include "buf.h"

#include <stddef.h>

struct template_info {
    const char *name;
    const char *category;            /* "transactional" or "news" */
    const char *const *placeholders; /* NULL-terminated */
};

/* The known templates, NULL-terminated by a zero entry. */
extern const struct template_info template_catalog[];
const struct template_info *template_find(const char *name);

/* Checks that text only uses the template's placeholders and that every
 * "{{" is closed. Returns NULL or a message; *bad (if not NULL) receives
 * the offending placeholder names (malloc'ed; every unknown one, each
 * once, in the text's order, joined by ", ") or NULL. */
const char *template_check(const struct template_info *t, const char *text, char **bad);

/* The template's placeholders as text for a message ("account_name, plan,
 * greeting"; malloc'ed, the caller frees it); for a subject without the
 * ones that carry a secret (template_check_subject). */
char *template_placeholder_list(const struct template_info *t, int subject);

/* template_check for a subject, which also refuses the placeholders that
 * carry a secret ({{link}}: the invitation's token): subjects are listed
 * in GET .../notifications, which service providers read. */
const char *template_check_subject(const struct template_info *t, const char *text, char **bad);

/* {{role_title}}: a role's name as a mail's sentence says it, article
 * included ("admin" -> "an administrator", "service-provider" -> "a
 * service provider", project "owner" -> "an owner"); an unknown name is
 * returned as it is. {{role}} stays the role's name. "billing" is "a
 * billing person", the API documentation's word (round-25 walkthrough of
 * seed 004, D2: "a billing user" is the seed's name for the primary
 * contact). The one table of role titles: role_holders.c and mail_names.c
 * say them without the article. */
const char *template_role_title(const char *role);

/* {{added_line}} of added-to-account (round-23 walkthrough of seed 004,
 * D1: a member given billing was mailed "added you to <account> as a
 * billing user. Sign in with your existing account to use it", as if
 * new there): for a person new to place (held NULL or empty) "<inviter>
 * added you to <place> as a billing person."; for one who held roles there
 * already (held: those roles' names, "member" or "billing and member";
 * now: the roles they hold after it, the same way) "<inviter> made you a
 * billing person in <place>, where you are already a member: your roles
 * there are now billing and member." role is the role given (an account's
 * or a project's). Malloc'ed. */
char *template_added_line(const char *inviter, const char *place, const char *role,
                          const char *held, const char *now);
/* {{added_subject}}, the subject of added-to-account (round-24
 * walkthrough of seed 004, D3: a member given admin read the subject
 * "You were added to <account>" above a body that says they were there
 * already): "You were added to <place>" for a person new to place (held
 * NULL or empty), "Your roles in <place> changed" for one who held roles
 * there already (held as template_added_line has it). Malloc'ed. */
char *template_added_subject(const char *place, const char *held);

/* {{sign_in_line}} of added-to-account: "Sign in with your existing account
 * to use it." for a person new to the place, else TEMPLATE_OMIT_LINE (they
 * use it already). */
const char *template_sign_in_line(const char *held);

struct template_value {
    const char *name;
    const char *value;
};

/* A value that is absent rather than empty: a body line holding its
 * placeholder is left out of the mail, line break and all ("Your
 * storefront: {{storefront_url}}" for an account without one); in a
 * subject it renders empty. Compared by address. */
extern const char template_omit_line[];
#define TEMPLATE_OMIT_LINE template_omit_line

/* {{contact_note}} of the account's contact person, in the invitation and
 * in added-to-account (a person added at once): what only a named contact
 * gets and may do, in the words of contact-changed's note (contacts.c).
 * Round-20 walkthrough of seed 004, D4: it said "may change its
 * administrators and contacts", which every admin may, and left out the
 * password resets, which only the named contacts (and operator staff)
 * may ask for. */
#define TEMPLATE_CONTACT_NOTE                                                                      \
    "You will also be its primary and technical contact: you will get its account and billing "    \
    "mail, may request password resets for its people, and stay an administrator while you are "   \
    "its contact."

/* Renders text with values (an array of n). one_line: for subjects. Returns
 * 0, or -1 if a placeholder has no value. */
int template_render(const char *text, const struct template_value *values, size_t n, int one_line,
                    struct buf *out);

/* Cuts out (UTF-8) after max_chars characters, never inside one (a byte
 * that is no UTF-8 continuation byte starts a character). Returns 1 if it
 * cut. For columns sized in characters, such as the outbox's subject. */
int template_cut_chars(struct buf *out, size_t max_chars);

#endif
