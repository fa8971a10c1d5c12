#include "template.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* {{name}}: the first and last name given with the invitation ("" when
 * none); {{greeting}}: "Hello <name>," or "Hello," without one;
 * {{contact_note}}: for the account's contact person, what that means (a
 * line left out for others); {{renewal_note}}: for an invitation that
 * replaces a pending one of the address (inviting it again, a resend, a
 * hand-over taking over a member invitation), that the earlier link no
 * longer works and the role change if any (a line left out for a first
 * invitation; round-14 walkthrough of seed 001, D3). */
static const char *const invitation_ph[] = {
    "account_name", "inviter_name", "role",       "link",         "expires_at",   "email",
    "name",         "greeting",     "role_title", "contact_note", "renewal_note", NULL};
/* The hand-over's invitation: the invitation's, and {{providers_note}},
 * who keeps access once the customer accepts and what they may end of it
 * (migration 073; round-18 walkthrough of seed 000, D2: on an account
 * without a parent the platform's operators keep theirs). */
static const char *const transfer_invitation_ph[] = {
    "account_name", "inviter_name",   "role",     "link",       "expires_at",
    "email",        "name",           "greeting", "role_title", "contact_note",
    "renewal_note", "providers_note", NULL};
/* {{greeting}}, in every template but the invitations' (which give it
 * from the invitation's names): "Hello <name>," with the name the
 * directory has for the reader's address, "Hello," without one; the
 * outbox renders it per reader (outbox.h; round-11 leftover of seed 000,
 * D5). */
/* {{contact_note}} as in the invitation: the account's contact person
 * added at once is told what that means (round-14 walkthrough of seed
 * 004, D3); a line left out for anyone else. {{added_subject}}: the
 * subject, "You were added to <place>" or, for one who held roles there,
 * "Your roles in <place> changed" (migration 106; round-24 walkthrough
 * of seed 004, D3; template_added_subject). */
static const char *const added_ph[] = {
    "account_name", "inviter_name", "role",         "name",          "role_title", "greeting",
    "contact_note", "added_line",   "sign_in_line", "added_subject", NULL};
/* {{changed_by}}: who named the new contact (the caller of the PUT, the
 * creator of the account, the inviter of the contact invitation, who
 * handed over), with the organization they act for as mail_actor_name
 * says it ("Paul Partner of Acme Partners"; round-17 walkthrough of seed
 * 004, D3);
 * {{if_unexpected}}: whom a reader asks who did not expect the change,
 * per reader ("You made this change." in the copy of who made it; not
 * them while they are no admin of the account: round-14 walkthroughs of
 * seeds 000 and 004, D1);
 * {{contact_note}}: in the new contact's copy, what being that contact
 * means ("You are now its technical contact: you get its account and
 * billing mail, ..."), a line left out for every other reader (migration
 * 082; round-19 walkthrough of seed 004, D2). */
static const char *const contact_ph[] = {"account_name",  "contact",      "old_name",
                                         "new_name",      "changed_by",   "greeting",
                                         "if_unexpected", "contact_note", NULL};
/* {{providers_note}} as in transfer-invitation; {{pending_invitations}}
 * the invitations the people the hand-over moved sent, which the new
 * owner sends from now on (a line left out when there is none; migration
 * 073, round-18 walkthrough of seed 000, D1); {{other_admins}} the
 * customer's other administrators the hand-over leaves admin (the partner
 * added them while staging), by name and address, that they stay and that
 * the new owner can change that (a line left out when there is none;
 * migration 096, round-22 walkthrough of seed 000, D1). */
static const char *const transfer_ph[] = {"account_name",        "new_owner_name", "new_owner_mail",
                                          "account_id",          "greeting",       "providers_note",
                                          "pending_invitations", "other_admins",   NULL};
/* {{your_access}}: what the hand-over leaves the reader ("You keep
 * access as a service provider.", or for a replaced notification
 * recipient that its mail for the account ends). */
static const char *const transfer_done_ph[] = {"account_name", "new_owner_name", "new_owner_mail",
                                               "your_access",  "greeting",       NULL};
/* {{acted_by}}: who ordered, upgraded, renewed or withdrew a cancellation
 * (round-7 walkthroughs of seeds 002 and 004); {{invoice}}: the invoice the
 * change wrote, its total and where to read it (a line left out when it
 * wrote none); {{acted}}: what the welcome follows, and who did it
 * ("Ordered by Bill Buch.", "Upgraded from Starter by Bill Buch."; round-11
 * leftover of seed 001, O6: an upgrade said "Ordered by"); {{moved_note}}:
 * the old URL of a storefront the upgrade or order moved to a new alias,
 * which no longer leads to it (round-15 walkthrough of seed 002, D5);
 * {{cancellation_note}}: in the late welcome of a contact who joins while
 * the subscription is pending cancellation, its end and that an
 * administrator can withdraw it (D2). Both a line left out otherwise. */
static const char *const welcome_ph[] = {
    "account_name", "plan",     "articles",   "storefront_url",    "acted_by", "invoice",
    "acted",        "greeting", "moved_note", "cancellation_note", NULL};
/* {{after_end}}: what follows the end ("Then X returns to the Basic
 * plan."; a line that holds it is left out when nothing does). A reseller
 * plan with a storefront (migration 072; round-17 walkthrough of seed
 * 002, D3): {{storefront_url}} its storefront, where neither the reseller
 * nor its customers sign in after the end; {{retention_period}} how long
 * its alias and settings are kept after it ("90 days", the config's
 * storefront_retention_days). Each a line left out for any other plan
 * (and the second when nothing is kept). */
static const char *const cancelled_ph[] = {
    "account_name", "plan",     "ends_at",        "cancelled_by",     "subscription_id",
    "after_end",    "greeting", "storefront_url", "retention_period", NULL};
static const char *const changed_ph[] = {"account_name", "plan",    "change",   "ends_at",
                                         "acted_by",     "invoice", "greeting", NULL};
static const char *const ending_ph[] = {"account_name", "plan",     "ends_at",
                                        "next",         "greeting", NULL};
static const char *const relation_ph[] = {"account_name", "account_id",  "partner_name",
                                          "requested_by", "relation_id", "requested_by_mail",
                                          "greeting",     NULL};
/* {{kept}}: until when the closed account is kept, and what is deleted
 * then (docs/operations.md, "Closed accounts"); {{open_children}}: how
 * many of its child accounts stay open, a line left out when none
 * (migration 069; round-16 walkthrough of seed 002, D1), that the roles
 * people hold in them are unchanged, the back office's end only for a
 * distributor, and who of the account still holds roles in them
 * (round-18 walkthrough of seed 001, D1 and D2); {{storefronts}}: the live
 * storefronts whose sign-in its people lose with the close, as people of
 * a customer of their reseller ("the storefront of Shop (https://…)"), a
 * line left out when none (migration 079; round-19 walkthrough of seed
 * 002, D2). */
static const char *const closed_ph[] = {"account_name", "account_id",    "closed_by",   "kept",
                                        "greeting",     "open_children", "storefronts", NULL};
/* To each open child of a closed account (migration 069; round-16
 * walkthrough of seed 002, D1): {{parent_name}} and {{parent_id}} the
 * closed parent, {{relation}} what the child is of it ("a customer", "a
 * reseller"), {{closed_by}} as in account-closed, {{storefront_url}} the
 * child's live storefront (a line left out without one). Migration 074
 * (round-18 walkthrough of seed 001, D1 and D2): {{distributor_name}}
 * the closed parent's name when it is a distributor, whose back office
 * and storefront host the line holding it speaks of (a line left out for
 * any other parent: a partner has neither); {{parent_people}} who of the
 * closed parent still holds roles in the child, with their roles, and
 * that they keep them until an administrator of the child removes them
 * (a line left out when nobody does). Migration 103 (round-23 walkthrough
 * of seed 002, D3): {{parent_storefront}} the closed parent's own live
 * storefront, which runs to its term end, and that end
 * ("https://…/bea until 2027-12-01T04:15:36Z, when its subscription
 * ends"), for a child whose people it admits as its customers (a line
 * left out otherwise). Migration 115 (round-26 walkthrough of seed 003,
 * D2): {{parent_relation}} the clause that ties the child to the closed
 * parent: "which Kunde (account 30) is a customer of" while a customer's
 * relation with it is active (and for any other kind, by {{relation}}),
 * else "under which Kunde (account 30) was created". */
static const char *const parent_closed_ph[] = {
    "account_name",      "account_id",      "parent_name", "parent_id",        "relation",
    "closed_by",         "storefront_url",  "greeting",    "distributor_name", "parent_people",
    "parent_storefront", "parent_relation", NULL};
/* {{reason}}: why, when the request did not end by a person's decision (a
 * closed account); a line of its own, left out without one. */
static const char *const decided_ph[] = {"account_name", "customer_name", "decision", "decided_by",
                                         "relation_id",  "reason",        "greeting", NULL};
static const char *const withdrawn_ph[] = {"account_name", "account_id",  "partner_name",
                                           "withdrawn_by", "relation_id", "reason",
                                           "greeting",     NULL};
/* {{access_note}}: what the end changes of anyone's access, written by
 * accountd: "Nobody's access to either account changes.", or, when the
 * customer's people lose the sign-in at a reseller's live storefront by
 * it, "Nobody's roles in either account change, but the people of <customer>
 * can no longer sign in at the storefront of <reseller> (<url>): it is for
 * the reseller's customers." (migration 085; round-19 walkthrough of seed
 * 002, D2 follow-up). {{again_note}}: "The partner may ask for a new
 * relation; …", or, for a closed customer, that it takes no new relation
 * (migration 094; round-21 walkthrough of seed 003, D3). */
static const char *const ended_ph[] = {
    "account_name", "partner_name", "customer_name", "ended_by",   "ended_by_account",
    "relation_id",  "greeting",     "access_note",   "again_note", NULL};

/* Migration 046 (round-12 walkthrough of seed 003): to the customer's
 * admins when operator staff who are none of them decided a relation
 * request for it ({{decided_by}}: "Olivia Operator (operator staff of
 * <the operator account>)"), and to a partner under which someone who is
 * none of its people created a customer organization and so its relation
 * ({{created_by}} likewise). */
static const char *const decided_for_ph[] = {"account_name", "account_id", "partner_name",
                                             "decision",     "decided_by", "relation_id",
                                             "greeting",     NULL};
static const char *const created_ph[] = {"account_name", "account_id", "customer_name",
                                         "customer_id",  "created_by", "relation_id",
                                         "greeting",     NULL};
/* Migration 057 (round-15 walkthrough of seed 003, D1): to a partner for
 * which operator staff asked a customer for a relation ({{requested_by}}:
 * "Olivia Operator (operator staff of <the operator account>)"). */
static const char *const requested_for_ph[] = {
    "account_name", "account_id",  "customer_name", "customer_id",
    "requested_by", "relation_id", "greeting",      NULL};

/* To the seller (the parent account) of an account that asks for a quote:
 * {{lines}} one line per article ("  3 x Professional: 147.00 EUR");
 * {{requested_by}} who asked, with the organization they act for as
 * mail_actor_name says it (round-17 walkthrough of seed 001, D2);
 * {{seller_name}} the account mailed, whose quote requests list it
 * (migration 088, round-20 walkthrough of seed 001, D3). */
static const char *const quote_ph[] = {
    "account_name",      "account_id",  "quote_id", "requested_by",
    "requested_by_mail", "lines",       "total",    "valid_days",
    "greeting",          "seller_name", NULL};

/* To an address taken off the notification recipients: who did it and
 * the recipients now ("none" for an empty list). */
static const char *const removed_ph[] = {"account_name", "changed_by", "email",
                                         "recipients",   "greeting",   NULL};

/* To a person removed from the account (every role gone) whose own
 * address leaves the notification recipients with them: who removed them
 * and the address; no list of the recipients left, which they may no
 * longer read (migration 061; round-15 walkthrough of seed 004, D1).
 * {{projects_note}}: the project roles the removal took (also mailed to
 * a person whose address was no recipient) or left, a line left out when
 * there were none (migration 076; round-18 walkthrough of seed 003,
 * D1). {{notifications_note}}: that the address gets none of the
 * account's notifications any more, and that this is the last one, for an
 * address that was a notification recipient only (a line left out
 * otherwise; migration 081, round-19 walkthrough of seed 003, D3). */
static const char *const member_removed_ph[] = {
    "account_name", "changed_by", "email", "greeting", "projects_note", "notifications_note", NULL};

/* To the named contacts (else the admins), never the caller, when a
 * recipients PUT adds addresses (migration 067; round-16 walkthrough of
 * seed 004, D1): who added them ({{changed_by}}, with the organization
 * they act for), {{added}} the addresses added ("a, b"), {{recipients}}
 * the list now. */
static const char *const added_recipients_ph[] = {"account_name", "changed_by", "added",
                                                  "recipients",   "greeting",   NULL};

/* To the named contacts (else the admins), never the caller, when a PATCH
 * changes the account's name or company data (migration 068; round-16
 * walkthrough of seed 004, D1): {{account_name}} the name after it,
 * {{changes}} one line per changed field ("name: X → Y",
 * "company city: A → B"). */
static const char *const details_changed_ph[] = {"account_name", "changed_by", "changes",
                                                 "greeting", NULL};

/* To a service provider whose access an admin limited, moved or ended:
 * {{change}} "ends on <time>", "no longer ends", "was ended" (round-13
 * walkthrough of seed 000, N3); {{what_changed}} the whole sentence
 * (migration 063; round-16 walkthrough of seed 000, D4). */
static const char *const provider_changed_ph[] = {"account_name", "changed_by", "change",
                                                  "what_changed", "greeting",   NULL};

/* To the customer's admins of an account a role change handed over
 * without naming a contact (migration 063; round-16 walkthrough of seed
 * 000, D2), and to the customer's admins a POST …/transfer leaves admin
 * besides its new owner (round-22 walkthrough of seed 000, D1):
 * {{handed_over}} what happened, and where its notifications go (D2). */
static const char *const handed_over_ph[] = {"account_name", "handed_over", "greeting", NULL};

/* To each of the partner's people a hand-over by a role change changed or
 * left admin, but who made it (migration 083; round-19 walkthrough of
 * seed 000, D1 and D4): {{handed_over}} what happened ("Xena Xi made you a
 * service provider of X, which handed it over to its customer: it is now
 * active."), {{your_access}} what it leaves the reader ("You keep access
 * as a service provider. …", "You no longer have access to it.", "You are
 * still one of its administrators: …"). */
static const char *const handed_over_partner_ph[] = {"account_name", "handed_over", "your_access",
                                                     "greeting", NULL};

/* To the named contacts (else the admins), never the caller, when a
 * service provider gives someone the service-provider role (migration
 * 083; round-19 walkthrough of seed 000, D3): {{granted_by}} who, with the
 * organization they act for, {{granted_to}} to whom, with theirs and
 * their address, {{how}} by which step ("added at once, …", "by an
 * invitation, which they have now accepted", "by a change of their roles
 * in the account"). */
static const char *const provider_granted_ph[] = {"account_name", "granted_by", "granted_to",
                                                  "how",          "greeting",   NULL};

/* To a reseller whose storefront URL changed with its distributor's
 * storefront host (migration 053; round-14 walkthrough of seed 002, D1):
 * {{old_url}} and {{new_url}} (https://<host>/<alias>), {{partner_name}}
 * the distributor, {{changed_by}} who changed the host and for which
 * organization ("Dina Disti of Cloud Disti"). */
static const char *const url_changed_ph[] = {"account_name", "old_url",  "new_url", "partner_name",
                                             "changed_by",   "greeting", NULL};

/* To the person a pending invitation was sent to, when a change other
 * than its sender's revoke withdraws it (the hand-over by role change):
 * {{name}} and {{greeting}} as in the invitation, who withdrew it
 * ({{withdrawn_by}}) and why ({{reason}}). */
static const char *const invitation_withdrawn_ph[] = {"account_name", "email",  "name", "greeting",
                                                      "withdrawn_by", "reason", NULL};

/* To the sender of an ordinary admin invitation to a staged account when
 * it is accepted (migration 055; round-15 walkthrough of seed 000, D2):
 * {{name}} and {{email}} of who accepted; {{handover_step}} (migration
 * 086; round-20 walkthrough of seed 000, D2): the provider's side reads
 * how to hand the account over, a customer admin that it stays staged
 * until the people who prepare it hand it over. */
static const char *const invitation_accepted_ph[] = {"account_name", "name",          "email",
                                                     "greeting",     "handover_step", NULL};

/* A password reset's link ({{link}}: the secret, as in invitations);
 * {{renewal_note}}: for a reset that replaces a pending one of the same
 * person and account, that the earlier link no longer works (a line left
 * out otherwise; migration 071, round-17 walkthrough of seed 004, D4). */
static const char *const reset_ph[] = {"account_name", "requested_by", "name",
                                       "uid",          "link",         "expires_at",
                                       "greeting",     "renewal_note", NULL};

/* To the person whose password a reset link set, when it is used
 * (migration 090; round-20 walkthrough of seed 004, D2): {{set_at}} when,
 * {{requested_at}} when the link was asked for, {{requested_by}} who
 * asked, in the capacity that let them ask ("Anna Admin (a named contact
 * of Widgets)", "Olivia Operator (operator staff of Platform
 * Operator)"), {{requested_by_name}} the same person by name alone;
 * {{which_link}} "the reset link that <requested_by> asked for", or "the
 * reset link you asked for" when the person asked for their own, and
 * {{ask_whom}} whom a person who did not set it asks: who asked and the
 * account's named contacts while who asked still may ask, else its
 * current named contacts by name, else "an administrator of <account>"
 * (migration 093; round-21 walkthrough of seed 004, D2 and D3). */
static const char *const password_changed_ph[] = {
    "account_name",      "uid",          "name",   "requested_by",
    "requested_by_name", "requested_at", "set_at", "which_link",
    "ask_whom",          "greeting",     NULL};
/* To who asked for that reset (a named contact or operator staff), unless
 * it was the person: {{name}} and {{uid}} whose password was set. */
static const char *const password_reset_used_ph[] = {
    "account_name", "uid", "name", "requested_at", "set_at", "greeting", NULL};
/* A person removed from a partner or a distributor who still holds
 * roles in its child accounts (migration 087; round-20 walkthrough of
 * seed 001, D1), to the remover and the account's named contacts (else
 * its admins): {{removed}} what happened ("Anna Partner removed Ben
 * Partner from Solar Partner (account 6)."), {{person_name}},
 * {{child_count}} ("2 child accounts") and {{children}}, one line per
 * child account with the roles, whether it has no other administrator and
 * who may remove them there (role_holders_person_lines). */
static const char *const child_roles_ph[] = {"account_name", "account_id",  "removed",
                                             "person_name",  "child_count", "children",
                                             "greeting",     NULL};
/* To a child account whose parent's admin removed the parent's former
 * person who created it (migration 087; round-20 walkthrough of seed 001,
 * D1): {{removed_by}} who, with the organization they act for,
 * {{person_name}}, {{roles}} their roles there ("an administrator and a
 * member"), {{parent_name}}, {{taken_over}} that the remover took the
 * place of its last administrator (a line left out otherwise);
 * {{pending_invitations}}: the pending invitations of the person removed
 * that the remover sends from now on, so that their links keep working
 * ("Pending invitations you now send: ..." in the remover's own copy; a
 * line left out when there is none: migration 091, round-21 walkthrough
 * of seed 001, D1).
 *
 * Migration 095 (round-22 walkthrough of seed 001, D1-D4): {{removed}}
 * the opening sentence ("Anna Partner of Solar Partner removed Ben
 * Partner from X, where they were an administrator."; "You removed …" in
 * the remover's own copy), {{projects_taken}} the projects whose owner
 * the remover became in the take-over (a line left out otherwise),
 * {{told_as}} why this reader gets the mail (the take-over's reason in
 * the remover's copy only); {{pending_invitations}} without a take-over
 * names the person's invitations that stopped working. {{removed_by}}
 * and {{roles}} stay for overrides. */
static const char *const removed_by_parent_ph[] = {"account_name",
                                                   "removed_by",
                                                   "person_name",
                                                   "roles",
                                                   "parent_name",
                                                   "taken_over",
                                                   "pending_invitations",
                                                   "greeting",
                                                   "removed",
                                                   "projects_taken",
                                                   "told_as",
                                                   NULL};

/* To a person a DELETE took out of a project, not by themselves
 * (project-member-removed), and to each person of a deleted project other
 * than who deleted it (project-deleted): who did it ({{removed_by}},
 * {{deleted_by}}: with the organization they act for, mail_names.h),
 * the project, its account, and {{roles}} the project roles that ended
 * ("owner", "editor and reader"); migration 092, round-21 walkthrough of
 * seed 003, D2. */
static const char *const project_member_removed_ph[] = {
    "account_name", "project_name", "removed_by", "roles", "greeting", NULL};
static const char *const project_deleted_ph[] = {"account_name", "project_name", "deleted_by",
                                                 "roles",        "greeting",     NULL};
/* To each person of a closed account's projects who holds no role in the
 * account (project-account-closed, migration 101; round-23 walkthrough of
 * seed 003, D2): who closed it, {{projects}} their projects there with
 * their roles ('project "A" (your roles: owner)'), {{kept}} until when
 * they can still read them. */
static const char *const project_account_closed_ph[] = {
    "account_name", "account_id", "closed_by", "projects", "kept", "greeting", NULL};

const struct template_info template_catalog[] = {
    {"invitation", "transactional", invitation_ph},
    {"transfer-invitation", "transactional", transfer_invitation_ph},
    {"added-to-account", "transactional", added_ph},
    {"contact-changed", "transactional", contact_ph},
    {"ownership-transferred", "transactional", transfer_ph},
    {"transfer-completed", "transactional", transfer_done_ph},
    {"plan-welcome", "transactional", welcome_ph},
    {"storefront-welcome", "transactional", welcome_ph},
    {"quote-requested", "transactional", quote_ph},
    {"password-reset", "transactional", reset_ph},
    {"subscription-cancelled", "transactional", cancelled_ph},
    {"subscription-changed", "transactional", changed_ph},
    {"subscription-ending", "transactional", ending_ph},
    {"relation-requested", "transactional", relation_ph},
    {"account-closed", "transactional", closed_ph},
    {"relation-decided", "transactional", decided_ph},
    {"relation-withdrawn", "transactional", withdrawn_ph},
    {"relation-ended", "transactional", ended_ph},
    {"relation-decided-by-operator", "transactional", decided_for_ph},
    {"relation-created", "transactional", created_ph},
    {"relation-requested-for-partner", "transactional", requested_for_ph},
    {"recipient-removed", "transactional", removed_ph},
    {"member-removed", "transactional", member_removed_ph},
    {"provider-access-changed", "transactional", provider_changed_ph},
    {"invitation-withdrawn", "transactional", invitation_withdrawn_ph},
    {"storefront-url-changed", "transactional", url_changed_ph},
    {"invitation-accepted", "transactional", invitation_accepted_ph},
    {"parent-closed", "transactional", parent_closed_ph},
    {"recipients-added", "transactional", added_recipients_ph},
    {"account-details-changed", "transactional", details_changed_ph},
    {"account-handed-over", "transactional", handed_over_ph},
    {"handed-over-to-customer", "transactional", handed_over_partner_ph},
    {"provider-granted", "transactional", provider_granted_ph},
    {"password-changed", "transactional", password_changed_ph},
    {"password-reset-used", "transactional", password_reset_used_ph},
    {"member-keeps-child-roles", "transactional", child_roles_ph},
    {"removed-by-parent", "transactional", removed_by_parent_ph},
    {"project-member-removed", "transactional", project_member_removed_ph},
    {"project-deleted", "transactional", project_deleted_ph},
    {"project-account-closed", "transactional", project_account_closed_ph},
    {NULL, NULL, NULL},
};

const char *template_role_title(const char *role)
{
    static const struct {
        const char *role, *title;
    } titles[] = {
        {"admin", "an administrator"},   {"service-provider", "a service provider"},
        {"billing", "a billing person"}, {"member", "a member"},
        {"owner", "an owner"},           {"editor", "an editor"},
        {"reader", "a reader"},
    };
    for (size_t i = 0; role && i < sizeof(titles) / sizeof(titles[0]); i++)
        if (strcmp(titles[i].role, role) == 0)
            return titles[i].title;
    return role;
}

/* "billing and member" as "a billing person and a member". */
static void titles_of(struct buf *b, const char *names)
{
    const char *p = names;
    while (*p) {
        const char *and = strstr(p, " and ");
        const char *comma = strstr(p, ", ");
        const char *end = and&&(!comma || and < comma) ? and : comma;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *one = strndup(p, len);
        if (!one)
            abort();
        buf_adds(b, template_role_title(one));
        free(one);
        if (!end)
            break;
        buf_adds(b, end == and? " and " : ", ");
        p = end + (end == and? 5 : 2);
    }
}

char *template_added_line(const char *inviter, const char *place, const char *role,
                          const char *held, const char *now)
{
    struct buf b = BUF_INIT;
    if (!held || !*held) {
        buf_printf(&b, "%s added you to %s as %s.", inviter ? inviter : "", place ? place : "",
                   template_role_title(role));
        return buf_detach(&b);
    }
    buf_printf(&b, "%s made you %s in %s, where you are already ", inviter ? inviter : "",
               template_role_title(role), place ? place : "");
    titles_of(&b, held);
    buf_printf(&b, ": your roles there are now %s.", now ? now : role);
    return buf_detach(&b);
}

char *template_added_subject(const char *place, const char *held)
{
    struct buf b = BUF_INIT;
    if (!held || !*held)
        buf_printf(&b, "You were added to %s", place ? place : "");
    else
        buf_printf(&b, "Your roles in %s changed", place ? place : "");
    return buf_detach(&b);
}

const char *template_sign_in_line(const char *held)
{
    return held && *held ? TEMPLATE_OMIT_LINE : "Sign in with your existing account to use it.";
}

const struct template_info *template_find(const char *name)
{
    for (const struct template_info *t = template_catalog; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Finds the next "{{name}}" at or after p: returns its start, the name's
 * bounds, and the end; NULL if none; *unclosed if "{{" is not closed. */
static const char *next_placeholder(const char *p, const char **name, size_t *len, const char **end,
                                    int *unclosed)
{
    const char *open = strstr(p, "{{");
    *unclosed = 0;
    if (!open)
        return NULL;
    const char *close = strstr(open + 2, "}}");
    if (!close) {
        *unclosed = 1;
        return NULL;
    }
    const char *s = open + 2, *e = close;
    while (s < e && *s == ' ')
        s++;
    while (e > s && e[-1] == ' ')
        e--;
    *name = s;
    *len = (size_t)(e - s);
    *end = close + 2;
    return open;
}

static int allowed(const struct template_info *t, const char *name, size_t len)
{
    for (size_t i = 0; t->placeholders[i]; i++)
        if (strlen(t->placeholders[i]) == len && strncmp(t->placeholders[i], name, len) == 0)
            return 1;
    return 0;
}

/* Placeholders whose values are secrets: never in a subject. */
static const char *const secret_ph[] = {"link", NULL};

const char *template_check_subject(const struct template_info *t, const char *text, char **bad)
{
    const char *why = template_check(t, text, bad);
    if (why)
        return why;
    const char *p = text, *name, *end;
    size_t len;
    int unclosed;
    while (next_placeholder(p, &name, &len, &end, &unclosed)) {
        for (size_t i = 0; secret_ph[i]; i++) {
            if (strlen(secret_ph[i]) == len && strncmp(secret_ph[i], name, len) == 0) {
                if (bad)
                    *bad = xstrndup(name, len);
                return "must not use a placeholder that carries a secret (the subject is listed "
                       "in the account's notifications)";
            }
        }
        p = end;
    }
    return NULL;
}

/* Is name (len bytes) one of names[0..n)? */
static int listed(const char *const *names, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return 1;
    return 0;
}

/* Does a placeholder before `upto` in text have this name (len bytes)? */
static int named_before(const char *text, const char *upto, const char *name, size_t len)
{
    const char *p = text, *n, *end;
    size_t l;
    int unclosed;
    while (next_placeholder(p, &n, &l, &end, &unclosed) && end <= upto) {
        if (l == len && strncmp(n, name, len) == 0)
            return 1;
        p = end;
    }
    return 0;
}

const char *template_check(const struct template_info *t, const char *text, char **bad)
{
    if (bad)
        *bad = NULL;
    const char *p = text, *name, *end;
    size_t len;
    int unclosed;
    /* Every unknown placeholder, each once, in the order of the text
     * (round-18 walkthrough of seed 002, D4: only the first was named, so
     * three mistakes took three round trips). */
    struct buf unknown = BUF_INIT;
    size_t nunknown = 0;
    while (next_placeholder(p, &name, &len, &end, &unclosed)) {
        if (!allowed(t, name, len) && !named_before(text, p, name, len)) {
            if (nunknown++)
                buf_adds(&unknown, ", ");
            buf_add(&unknown, name, len);
        }
        p = end;
    }
    if (nunknown) {
        if (bad)
            *bad = buf_detach(&unknown);
        buf_free(&unknown);
        return nunknown == 1 ? "uses a placeholder this template does not have"
                             : "uses placeholders this template does not have";
    }
    buf_free(&unknown);
    if (unclosed)
        return "has a '{{' without '}}'";
    return NULL;
}

char *template_placeholder_list(const struct template_info *t, int subject)
{
    struct buf out = BUF_INIT;
    size_t nsecret = sizeof(secret_ph) / sizeof(secret_ph[0]) - 1;
    for (size_t i = 0; t->placeholders[i]; i++) {
        const char *ph = t->placeholders[i];
        if (subject && listed(secret_ph, nsecret, ph, strlen(ph)))
            continue;
        if (out.len)
            buf_adds(&out, ", ");
        buf_adds(&out, ph);
    }
    return buf_detach(&out);
}

static void add_value(struct buf *out, const char *v, int one_line)
{
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (one_line && (c < 0x20 || c == 0x7f))
            buf_addc(out, ' ');
        else
            buf_addc(out, (char)c);
    }
}

const char template_omit_line[] = "";

int template_render(const char *text, const struct template_value *values, size_t n, int one_line,
                    struct buf *out)
{
    const char *p = text, *name, *end, *open;
    size_t len;
    int unclosed;
    while ((open = next_placeholder(p, &name, &len, &end, &unclosed))) {
        struct buf lit = BUF_INIT;
        buf_add(&lit, p, (size_t)(open - p));
        add_value(out, buf_str(&lit), one_line);
        buf_free(&lit);
        const char *v = NULL;
        for (size_t i = 0; i < n; i++)
            if (strlen(values[i].name) == len && strncmp(values[i].name, name, len) == 0)
                v = values[i].value ? values[i].value : "";
        if (!v)
            return -1;
        if (v == template_omit_line && !one_line) {
            /* Leave the whole line out: back to the last line break written,
             * on after the next one of the text. */
            while (out->len > 0 && out->data[out->len - 1] != '\n')
                out->len--;
            if (out->data)
                out->data[out->len] = '\0';
            const char *eol = strchr(end, '\n');
            p = eol ? eol + 1 : end + strlen(end);
            continue;
        }
        add_value(out, v == template_omit_line ? "" : v, one_line);
        p = end;
    }
    if (unclosed)
        return -1;
    add_value(out, p, one_line);
    return 0;
}

int template_cut_chars(struct buf *out, size_t max_chars)
{
    size_t chars = 0;
    for (size_t i = 0; i < out->len; i++) {
        if (((unsigned char)out->data[i] & 0xC0) != 0x80 && chars++ == max_chars) {
            out->len = i;
            out->data[i] = '\0';
            return 1;
        }
    }
    return 0;
}
