/*
 * contacts: the two named contacts of an account (Inflectra): primary
 * (billing) and technical (alternate), each one of its admins. A change
 * mails the old and the new contact, the contact of the other kind (or,
 * when that leaves nobody but the caller, the other admins) and the
 * account's notification recipients, in the transaction that records it;
 * a new contact of a
 * reseller with a live storefront also gets its storefront-welcome, once
 * per subscription (billing_notify.h). A change takes the
 * account's guard (saga.h), like role changes, so the rule "a contact is an
 * admin" is checked against LDAP while no role change of that account can
 * run.
 */
#include "account_store.h"
#include "contacts.h"
#include "contacts_store.h"
#include "audit.h"
#include "billing_notify.h"
#include "body.h"
#include "buf.h"
#include "caller.h"
#include "handlers.h"
#include "ldap_store.h"
#include "mail_names.h"
#include "outbox.h"
#include "saga.h"
#include "sql_store.h"
#include "transfer.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct contact_change {
    struct request *req;
    struct saga *saga;
    const char *kind;
    const char *old_uid;
    const struct person *old_person, *new_person;
    unsigned long long if_match; /* 0: no precondition */
    unsigned long long version;  /* the account's version after the change */
    /* The names that greet the mails' readers: both contacts and the
     * recipients who are people, read before the transaction. */
    const struct mail_names *names;
    /* The account's live storefront, for the new contact's
     * storefront-welcome (billing_notify.h; NULL: none). */
    const json_t *welcome;
    /* The other readers of the mail (contact_guardians): the contact of
     * the other kind (mail NULL: none) and the other admins (n 0: none). */
    const struct person *other_contact;
    const struct billing_people *admins;
    /* The account is staged and the new contact is of the provider's
     * side (its parent's people, or operator staff without a parent):
     * the note says the hand-over moves the contacts. */
    int staged_provider;
};

/* {{if_unexpected}} of contact-changed (round-14 walkthroughs of seeds 000
 * and 004, D1): whom a reader asks who did not expect the change. The
 * person who made it reads that they did (their own address: as old or
 * new contact or as a recipient); everyone else is sent to them and the
 * other administrators while they are an admin of the account after the
 * change, else to "an administrator" (the seed's hand-over by role
 * change: who handed over is a service provider now and may not name
 * contacts). */
#define CONTACT_SELF_TEXT "You made this change."

/* {{contact_note}} of contact-changed (round-19 walkthrough of seed 004,
 * D2: the contact named by a PUT read that the contact changed, not what
 * it means for them, while the contact person of POST /accounts is told
 * in the invitation): in the new contact's copy only, what being the
 * contact of kind ("primary", "technical", "primary and technical")
 * means, as docs/api.md has it: the account's transactional mail
 * ("Notifications"), password resets ("Password resets"), and the admin
 * role kept while they are a contact (409 contact-admin). holds_both: the
 * person named one kind holds the other too after the change (round-20
 * walkthrough of seed 004, D3: Ben, technical contact already, named
 * primary, read "name another administrator primary contact first", did
 * so, and leaving was still 409 as the technical contact); the way out
 * then names both kinds, as for both named at once. A line left out for
 * every other reader. staged_provider: the account is staged and the new
 * contact is of the provider's side (round-21 walkthrough of seed 000,
 * D3: the partner who named himself contact while staging read "name
 * other administrators contacts first", a step the hand-over does for
 * him): the parenthesis says that the hand-over moves the contacts to
 * the customer's administrator, and when a step is still needed, with
 * the account's id in its path (round-24 walkthrough of seed 000, D4: it
 * read a literal "POST /accounts/{id}/transfer"). Into text. */
static void contact_note(struct buf *text, const char *kind, int holds_both, int staged_provider,
                         unsigned long long account_id)
{
    int both = strchr(kind, ' ') != NULL;
    buf_printf(text, "You are now its %s contact", kind);
    if (!both && holds_both)
        buf_printf(text, ", and you are its %s contact too",
                   strcmp(kind, "primary") == 0 ? "technical" : "primary");
    buf_adds(text, ": you get its account and billing mail, may request password resets for its "
                   "people, and stay an administrator while you are its contact (");
    if (staged_provider) {
        buf_printf(text,
                   "the account is staged: when you hand it over to its customer, by POST "
                   "/api/v1/accounts/%llu/transfer or by changing your own role to service "
                   "provider, the contacts move to the customer's administrator; only if it has "
                   "several do you name one of them contact first).",
                   account_id);
        return;
    }
    buf_adds(text, "to change your role or leave, name ");
    if (both || holds_both)
        buf_adds(text, "other administrators its primary and technical contacts first).");
    else
        buf_printf(text, "another administrator %s contact first).", kind);
}

/* {{contact_note}} of the old contact's copy of contact-changed
 * (round-24 walkthrough of seed 004, D2: the replaced contact read that
 * they get the mail "as a named contact", and not what ended for them):
 * that they were the contact of kind until now, and what that no longer
 * gives them; holds_other: they still hold the contact of the other kind
 * (a one-kind change), which keeps the mail and the resets. Into text. */
static void old_contact_note(struct buf *text, const char *kind, int holds_other)
{
    int both = strchr(kind, ' ') != NULL;
    buf_printf(text, "You get this copy because you were its %s contact until now. ", kind);
    if (!both && holds_other) {
        buf_printf(text,
                   "You are no longer its %s contact, but you are still its %s contact: you "
                   "keep its account and billing mail and may still request password resets "
                   "for its people.",
                   kind, strcmp(kind, "primary") == 0 ? "technical" : "primary");
        return;
    }
    buf_printf(text,
               "You are no longer its %s contact: you no longer get its account and billing "
               "mail as its contact or request password resets for its people, and being its "
               "contact no longer keeps you from changing your role or leaving.",
               kind);
}

/* Does uid hold the contact of the other kind than kind (a one-kind
 * naming: "primary" or "technical") after the change? Inside the
 * change's transaction. */
static int holds_other_kind(struct sql_store *sql, unsigned long long account_id, const char *kind,
                            const char *uid, int *holds)
{
    *holds = 0;
    if (!uid || strchr(kind, ' '))
        return ST_OK;
    char *other = NULL;
    int st = contact_get(sql, account_id, strcmp(kind, "primary") == 0 ? "technical" : "primary",
                         &other);
    if (st == ST_NOT_FOUND)
        st = ST_OK;
    *holds = st == ST_OK && uid_equal(other, uid);
    free(other);
    return st;
}

/* vals: the mail's values, {{if_unexpected}} and {{contact_note}} the
 * last two; new_mail: the new contact's address, whose copy carries the
 * note; new_uid: their uid (whether they hold the other kind too);
 * old_mail, old_uid: the replaced contact's (NULL: none, or not known),
 * whose copy carries old_contact_note. */
static int queue_contact_changed(struct sql_store *sql, unsigned long long account_id,
                                 const char *const *to, size_t n, const struct mail_names *names,
                                 struct template_value *vals, const char *changed_by,
                                 const char *changed_by_mail, int changed_by_admin,
                                 const char *new_mail, const char *new_uid, const char *old_mail,
                                 const char *old_uid, int budget_counts, int staged_provider)
{
    const char *account_name = vals[0].value;
    struct buf text = BUF_INIT, note = BUF_INIT;
    if (changed_by_admin)
        buf_printf(&text,
                   "If you did not expect this change, ask %s or another administrator of %s: "
                   "any administrator can name another contact.",
                   changed_by, account_name);
    else
        buf_printf(&text,
                   "If you did not expect this change, ask an administrator of %s: any "
                   "administrator can name another contact; %s is not an administrator of %s.",
                   account_name, changed_by, account_name);
    vals[5].value = buf_str(&text);
    vals[6].value = TEMPLATE_OMIT_LINE;
    int holds_both = 0;
    int st = holds_other_kind(sql, account_id, vals[1].value, new_uid, &holds_both);
    if (st != ST_OK) {
        buf_free(&text);
        return st;
    }
    contact_note(&note, vals[1].value, holds_both, staged_provider, account_id);
    struct buf old_note = BUF_INIT;
    int old_holds = 0;
    if (old_mail && *old_mail && old_uid && !uid_equal(old_uid, new_uid)) {
        st = holds_other_kind(sql, account_id, vals[1].value, old_uid, &old_holds);
        if (st == ST_OK)
            old_contact_note(&old_note, vals[1].value, old_holds);
    }
    /* The later entry wins for a reader both name: who made the change
     * reads that they did. The new contact's copy carries what being the
     * contact means (round-19 walkthrough of seed 004, D2). The new owner
     * of a hand-over is not among the readers: contacts_mail_named_to
     * tells them with account-handed-over (round-23 walkthrough of seed
     * 000, D2). */
    struct reader_value own[3];
    size_t nown = 0;
    if (old_note.len)
        own[nown++] = (struct reader_value){old_mail, "contact_note", buf_str(&old_note)};
    if (st == ST_OK && new_mail && *new_mail)
        own[nown++] = (struct reader_value){new_mail, "contact_note", buf_str(&note)};
    if (changed_by_mail && *changed_by_mail)
        own[nown++] = (struct reader_value){changed_by_mail, "if_unexpected", CONTACT_SELF_TEXT};
    if (st == ST_OK)
        st = outbox_queue_readers(sql, account_id, "contact-changed", to, n, names, vals, 7, own,
                                  nown, budget_counts);
    buf_free(&text);
    buf_free(&note);
    buf_free(&old_note);
    return st;
}

/* The SQL side: the contact row, the mails, the audit row, and the intent
 * closed (the guard given back). No LDAP in here. */
static int contact_tx(struct sql_store *sql, void *arg)
{
    struct contact_change *c = arg;
    struct request *req = c->req;
    unsigned long long account_id = c->saga->plan.account_id;
    char *account_name = NULL;
    /* If-Match, checked again under the row lock: a PATCH or recipients
     * change since the check under the guard makes it stale. */
    int st = account_check_version(sql, account_id, c->if_match, &req->problem);
    if (st == ST_OK)
        st = account_name_get(sql, account_id, &account_name);
    if (st == ST_OK)
        st = contact_set(sql, account_id, c->kind, c->new_person->uid);
    /* The overview shows the contacts: its ETag moves with them. */
    if (st == ST_OK)
        st = account_touch(sql, account_id);
    if (st == ST_OK)
        st = account_version_get(sql, account_id, &c->version);
    char **recipients = NULL;
    size_t nrecipients = 0;
    if (st == ST_OK)
        st = outbox_recipients(sql, account_id, &recipients, &nrecipients);
    /* Who named the contact, with the organization they act for, as the
     * invitations and the billing mails name them (mail_actor_name):
     * "Paul Partner of Acme Partners" for a partner's admin (round-17
     * walkthrough of seed 004, D3: this mail alone said "Paul Partner"). */
    char *by = NULL;
    if (st == ST_OK)
        st = mail_actor_name(sql, &req->caller, account_id, &by);
    if (st == ST_OK) {
        const struct person *old = c->old_person;
        const char **to = xcalloc(nrecipients + c->admins->n + 4, sizeof(char *));
        size_t n = 0;
        to[n++] = old->mail;
        to[n++] = c->new_person->mail;
        to[n++] = c->other_contact->mail;
        for (size_t i = 0; i < c->admins->n; i++)
            to[n++] = c->admins->mails[i];
        for (size_t i = 0; i < nrecipients; i++)
            to[n++] = recipients[i];
        struct template_value vals[] = {
            {"account_name", account_name},
            {"contact", c->kind},
            {"old_name", old->name ? old->name : (old->dn && c->old_uid ? c->old_uid : "nobody")},
            {"new_name", c->new_person->name ? c->new_person->name : c->new_person->uid},
            {"changed_by", by},
            {"if_unexpected", ""},
            {"contact_note", ""},
        };
        /* A contact change leaves the caller's roles as they were: an
         * admin of the account, or someone acting from above it (a
         * parent's admin, operator staff). */
        st = queue_contact_changed(sql, account_id, to, n, c->names, vals, by, req->caller.mail,
                                   (caller_roles(req, account_id) & ROLE_ADMIN) != 0,
                                   c->new_person->mail, c->new_person->uid, old->mail, c->old_uid,
                                   1, c->staged_provider);
        free(to);
    }
    /* A reseller's new contact, primary or technical, learns where its
     * storefront is, as the contacts named at the order did (round-17
     * walkthrough of seed 002, D2): the late storefront-welcome, to them
     * only, unless they had this subscription's welcome already. */
    if (st == ST_OK && c->welcome)
        st = billing_welcome_late_queue(sql, account_id, account_name, c->welcome,
                                        c->new_person->mail, c->names);
    if (st == ST_OK) {
        json_t *o = json_pack("{s:s, s:s?}", "contact", c->kind, "uid", c->old_uid);
        json_t *nw = json_pack("{s:s, s:s}", "contact", c->kind, "uid", c->new_person->uid);
        st = audit_write(sql, req->caller.uid, account_id, "contact.set", o, nw);
    }
    if (st == ST_OK)
        st = saga_close_tx(sql, c->saga, "done");
    outbox_free_list(recipients, nrecipients);
    free(by);
    free(account_name);
    return st;
}

int contacts_mail_named_to(struct sql_store *sql, unsigned long long account_id,
                           const char *account_name, unsigned named_kinds, const char *uid,
                           const char *name, const char *mail, const char *changed_by,
                           const char *changed_by_mail, int changed_by_admin,
                           const struct mail_names *names, const char *owner_text,
                           const char *old_name, const char *old_mail, char *const *recipients,
                           size_t nrecipients)
{
    if (!named_kinds)
        return ST_OK;
    /* The new owner of a hand-over (owner_text) reads the hand-over
     * first (round-23 walkthrough of seed 000, D2: their copy of
     * contact-changed was titled "the primary and technical contact
     * changed" and said that the account was theirs after its footer):
     * they are left out of contact-changed, wherever the list names
     * them (as old contact or recipient too), and get
     * account-handed-over, "<account> was handed over to you", whose
     * {{handed_over}} is owner_text and then, as a paragraph of its own,
     * what being the contact means (contact_note, as their copy of
     * contact-changed had it). An empty owner_text: told already by the
     * change's first such call (one mail for both kinds). */
    int owner_told = owner_text && mail && *mail;
    const char **to = xcalloc(nrecipients + 3, sizeof(char *));
    size_t n = 0;
    if (old_mail && *old_mail && !(owner_told && strcasecmp(old_mail, mail) == 0))
        to[n++] = old_mail;
    if (!owner_told)
        to[n++] = mail;
    for (size_t i = 0; i < nrecipients; i++)
        if (!owner_told || strcasecmp(recipients[i], mail) != 0)
            to[n++] = recipients[i];
    const char *kind = named_kinds == (CONTACT_PRIMARY | CONTACT_TECHNICAL)
                           ? "primary and technical"
                       : (named_kinds & CONTACT_PRIMARY) ? "primary"
                                                         : "technical";
    int st = ST_OK;
    if (owner_told && *owner_text) {
        int holds_both = 0;
        st = holds_other_kind(sql, account_id, kind, uid, &holds_both);
        struct buf text = BUF_INIT;
        buf_printf(&text, "%s\n\n", owner_text);
        contact_note(&text, kind, holds_both, 0, 0);
        const char *own[] = {mail};
        struct template_value hv[] = {{"account_name", account_name},
                                      {"handed_over", buf_str(&text)}};
        if (st == ST_OK)
            st = outbox_queue_readers(sql, account_id, "account-handed-over", own, 1, names, hv, 2,
                                      NULL, 0, 0);
        buf_free(&text);
    }
    if (st != ST_OK || !n) {
        free(to);
        return st;
    }
    struct template_value vals[] = {
        {"account_name", account_name},
        {"contact", kind},
        {"old_name", old_name ? old_name : "nobody"},
        {"new_name", name},
        {"changed_by", changed_by},
        {"if_unexpected", ""},
        {"contact_note", ""},
    };
    /* The note is theirs alone: none when they are not a reader. */
    st = queue_contact_changed(sql, account_id, to, n, names, vals, changed_by, changed_by_mail,
                               changed_by_admin, owner_told ? NULL : mail, owner_told ? NULL : uid,
                               NULL, NULL, 0, 0);
    free(to);
    return st;
}

int contacts_mail_named(struct sql_store *sql, unsigned long long account_id,
                        const char *account_name, unsigned named_kinds, const char *uid,
                        const char *name, const char *mail, const char *changed_by,
                        const char *changed_by_mail, int changed_by_admin,
                        const struct mail_names *names, const char *owner_text,
                        const char *old_name, const char *old_mail)
{
    if (!named_kinds)
        return ST_OK;
    char **recipients = NULL;
    size_t nrecipients = 0;
    int st = outbox_recipients(sql, account_id, &recipients, &nrecipients);
    if (st == ST_OK)
        st = contacts_mail_named_to(sql, account_id, account_name, named_kinds, uid, name, mail,
                                    changed_by, changed_by_mail, changed_by_admin, names,
                                    owner_text, old_name, old_mail, recipients, nrecipients);
    outbox_free_list(recipients, nrecipients);
    return st;
}

int contacts_entry(struct request *req, unsigned long long account_id, const char *uid,
                   struct person *person)
{
    unsigned roles = 0;
    int st = ldap_store_find_person(req->session->ldap, "uid", uid, person);
    if (st == ST_OK)
        st = ldap_store_roles_of(req->session->ldap, account_id, person->dn, &roles);
    else if (st == ST_NOT_FOUND)
        st = ST_OK;
    if (st != ST_OK || !(roles & ROLE_ADMIN))
        person_free(person);
    return st;
}

/* Under the account's guard: ST_OK with *old_uid (malloc'ed, NULL if none)
 * and the old contact's entry; ST_REFUSED with a 422 when the new contact
 * is no admin (the one rule of contacts: a contact is an admin, checked
 * here and, for demotions, in members.c, both under the guard). */
static int contact_check(struct request *req, struct saga *s, const char *kind,
                         unsigned long long if_match, const struct person *p, char **old_uid,
                         struct person *old)
{
    *old_uid = NULL;
    /* A stale If-Match is 412 also when nothing would change. */
    int st = account_check_version(req->session->sql, s->plan.account_id, if_match, &req->problem);
    if (st != ST_OK)
        return st;
    unsigned roles = 0;
    st = ldap_store_roles_of(req->session->ldap, s->plan.account_id, p->dn, &roles);
    if (st != ST_OK)
        return st;
    if (!(roles & ROLE_ADMIN)) {
        res_field_error(req, "uid", "must be an admin of the account");
        return refuse_invalid(req);
    }
    /* The contacts receive the account's mail: someone an LDAP
     * administrator made without an address cannot be one (round-12
     * walkthrough of seed 004, D3). */
    if (!p->mail || !*p->mail) {
        res_field_error(req, "uid",
                        "has no e-mail address in the directory; a named contact must receive the "
                        "account's mail");
        return refuse_invalid(req);
    }
    st = contact_get(req->session->sql, s->plan.account_id, kind, old_uid);
    /* An old contact who is no admin any more (changed in LDAP directly)
     * is no contact: not mailed, "nobody" in the mail. The stored uid is
     * matched without regard to case (uid_equal). */
    if (st == ST_OK && *old_uid && !uid_equal(*old_uid, p->uid))
        st = contacts_entry(req, s->plan.account_id, *old_uid, old);
    return st;
}

/* Is p the caller (by uid or by address, case ignored)? */
static int is_caller(const struct request *req, const struct person *p)
{
    if (uid_equal(p->uid, req->caller.uid))
        return 1;
    return p->mail && req->caller.mail && *req->caller.mail &&
           strcasecmp(p->mail, req->caller.mail) == 0;
}

/* Who else reads contact-changed besides the old and the new contact and
 * the recipients (round-18 walkthrough of seed 004, D1: an admin named
 * themselves primary while the old primary was unset by an LDAP
 * demotion, and the mail went to them alone; the technical contact, the
 * customer's other guardian, heard nothing). The seed's safeguard is
 * that a change is noticed: the contact of the other kind (*other, an
 * admin with an address, as contacts_json counts one; not the caller)
 * reads every change; and when the old, the new and the other contact leave nobody
 * but the caller, the account's other admins do (*admins, never the
 * caller), as recipients-added goes to the contacts else the admins.
 * The notification recipients do not count: an address is no guardian.
 * Under the account's guard, before the transaction (no LDAP inside
 * it); the readers' names go to names. */
static int contact_guardians(struct request *req, unsigned long long account_id, const char *kind,
                             const struct person *old, const struct person *p, struct person *other,
                             struct billing_people *admins, struct mail_names *names)
{
    const char *other_kind = strcmp(kind, "primary") == 0 ? "technical" : "primary";
    char *uid = NULL;
    int st = contact_get(req->session->sql, account_id, other_kind, &uid);
    if (st == ST_OK && uid && !uid_equal(uid, p->uid))
        st = contacts_entry(req, account_id, uid, other);
    /* The caller knows what they did: as the other contact they get no
     * copy (one as the old or new contact or as a recipient). */
    if (st == ST_OK && (!other->mail || !*other->mail || is_caller(req, other)))
        person_free(other);
    free(uid);
    if (st != ST_OK)
        return st;
    mail_names_add_person(names, other);
    int someone =
        (old->mail && *old->mail && !is_caller(req, old)) || !is_caller(req, p) || other->mail;
    if (someone)
        return ST_OK;
    st = billing_people_admins_others(req, account_id, admins);
    for (size_t i = 0; st == ST_OK && i < admins->n; i++)
        mail_names_add(names, admins->mails[i], mail_names_find(&admins->names, admins->mails[i]));
    return st;
}

void contacts_set(struct request *req)
{
    const char *kind = req->args[1];
    if (strcmp(kind, "primary") != 0 && strcmp(kind, "technical") != 0) {
        refuse(req, 404, "not-found", "contacts are primary and technical");
        return;
    }
    static const char *const allowed[] = {"uid", "_version", NULL};
    json_t *b = body_root(req);
    body_only(req, b, NULL, allowed);
    const char *uid = body_str(req, b, NULL, "uid", 1, MAX_CHARS(64));
    const char *why;
    /* A uid no person can have says what is wrong with it, not "must be
     * an admin" (docs/api.md, the limits table). */
    if (uid && (why = validate_uid(uid)))
        res_field_error(req, "uid", why);
    if (body_failed(req))
        return;
    struct account_ref a = req->account;
    long long im = body_expected_version(req, b, a.id);
    if (im < 0)
        return;
    struct person p = {0}, old = {0}, other = {0};
    struct billing_people admins = {0};
    struct mail_names names = MAIL_NAMES_INIT;
    json_t *welcome = NULL;
    char *old_uid = NULL;
    int st = ldap_store_find_person(req->session->ldap, "uid", uid, &p);
    if (st == ST_NOT_FOUND) {
        person_free(&p);
        res_field_error(req, "uid", "must be an admin of the account");
        res_fail_if_errors(req);
        return;
    }
    if (st != ST_OK) {
        res_store_failure(req, st, "the directory");
        return;
    }
    /* A saga without LDAP writes: the guard serialises contact changes
     * with role changes, so "a contact is an admin" holds. */
    struct saga s = {.actor = xstrdup(req->caller.uid)};
    s.plan.kind = SAGA_CONTACT;
    s.plan.account_id = a.id;
    unsigned long long version = 0;
    st = saga_begin(req->session->sql, &s, &req->problem);
    if (st == ST_OK) {
        st = contact_check(req, &s, kind, (unsigned long long)im, &p, &old_uid, &old);
        if (st == ST_OK && uid_equal(old_uid, p.uid)) {
            /* No change: nothing to record or mail; the ETag as it is.
             * Also when the uid stored differs from the directory's only
             * in case (an LDAP administrator renamed the entry so, or the
             * caller wrote it so): the same person, matched as uids are
             * everywhere (round-24 walkthrough of seed 004, D1: "changed
             * ... from Zoë Ünal to Zoë Ünal"). The stored spelling stays:
             * every reader matches it without regard to case. */
            saga_release(req->session->sql, &s, "no change");
            st = account_version_get(req->session->sql, a.id, &version);
        } else if (st == ST_OK) {
            /* The readers' names, under the guard, before the
             * transaction (no LDAP call inside one). */
            mail_names_add_person(&names, &p);
            mail_names_add_person(&names, &old);
            mail_names_read_recipients(req->session->sql, req->session->ldap, a.id, NULL, 0,
                                       &names);
            st = contact_guardians(req, a.id, kind, &old, &p, &other, &admins, &names);
            /* What the storefront-welcome says, read here (the orderer's
             * name is the directory's): NULL without a live storefront. */
            if (st == ST_OK)
                st = billing_welcome_late_data(req, a.id, &welcome);
            /* Staged: is the new contact of the provider's side? (Their
             * note then says that the hand-over moves the contacts.) */
            int staged_provider = 0;
            if (st == ST_OK && strcmp(a.status, "staged") == 0) {
                unsigned here = 0;
                st = transfer_person_side(req, a.id, p.dn, &here, &staged_provider);
            }
            if (st != ST_OK) {
                saga_release(req->session->sql, &s, "failed");
                res_store_failure(req, st, "the directory or the database");
                goto out;
            }
            struct contact_change c = {.req = req,
                                       .saga = &s,
                                       .kind = kind,
                                       .old_uid = old_uid,
                                       .old_person = &old,
                                       .new_person = &p,
                                       .if_match = (unsigned long long)im,
                                       .names = &names,
                                       .welcome = welcome,
                                       .other_contact = &other,
                                       .admins = &admins,
                                       .staged_provider = staged_provider};
            enum saga_outcome outcome =
                saga_commit(req->session->ldap, req->session->sql, &s, contact_tx, &c, &st);
            if (outcome != SAGA_DONE) {
                saga_answer_failure(req, outcome, st);
                goto out;
            }
            version = c.version;
        } else {
            saga_release(req->session->sql, &s, "refused");
        }
    }
    if (st == ST_OK) {
        /* The account's new ETag, so a front end can chain its next
         * If-Match (round-3 walkthroughs). */
        res_etag(req, a.id, version);
        res_json(req, 200,
                 json_pack("{s:s, s:s, s:s?, s:s?}", "contact", kind, "uid", p.uid, "name", p.name,
                           "mail", p.mail));
    } else
        res_store_failure(req, st, "the directory or the database");
out:
    saga_free(&s);
    json_decref(welcome);
    mail_names_free(&names);
    free(old_uid);
    person_free(&old);
    person_free(&other);
    billing_people_free(&admins);
    person_free(&p);
}

int contacts_again_kinds(struct sql_store *sql, unsigned long long account_id,
                         const struct person *person, unsigned roles_before, unsigned roles_after,
                         unsigned *kinds)
{
    *kinds = 0;
    if ((roles_before & ROLE_ADMIN) || !(roles_after & ROLE_ADMIN) || !person->uid ||
        !person->mail || !*person->mail)
        return ST_OK;
    return contact_kinds_of(sql, account_id, person->uid, kinds);
}

int contacts_again_data(struct request *req, unsigned long long account_id,
                        const struct person *person, unsigned kinds, const struct contact_actor *by,
                        json_t **out)
{
    *out = NULL;
    int st = ST_OK;
    /* The contact of the other kind, as the overview counts one (an
     * admin with an address), reads the change as they read a PUT's;
     * the caller too, who changed a role and may not know that it names
     * a contact (unlike a PUT's caller, they get their copy). */
    struct person other = {0};
    if (kinds != (CONTACT_PRIMARY | CONTACT_TECHNICAL)) {
        char *uid = NULL;
        st = contact_get(req->session->sql, account_id,
                         kinds & CONTACT_PRIMARY ? "technical" : "primary", &uid);
        if (st == ST_NOT_FOUND)
            st = ST_OK;
        if (st == ST_OK && uid && !uid_equal(uid, person->uid))
            st = contacts_entry(req, account_id, uid, &other);
        if (st == ST_NOT_FOUND)
            st = ST_OK;
        free(uid);
    }
    if (st != ST_OK) {
        person_free(&other);
        return st;
    }
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add_person(&names, person);
    if (other.mail && *other.mail)
        mail_names_add_person(&names, &other);
    mail_names_read_recipients(req->session->sql, req->session->ldap, account_id, NULL, 0, &names);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:b, s:s?, s:o}", "kinds", (json_int_t)kinds,
                     "uid", person->uid, "name", person->name ? person->name : person->uid, "mail",
                     person->mail, "by", by->name ? by->name : "an administrator of the account",
                     "by_mail", by->mail && *by->mail ? by->mail : NULL, "by_admin", by->admin,
                     "other_mail", other.mail && *other.mail ? other.mail : NULL, "names",
                     mail_names_json(&names));
    mail_names_free(&names);
    person_free(&other);
    return ST_OK;
}

int contacts_again_mail(struct sql_store *sql, unsigned long long account_id, const json_t *again)
{
    if (!json_is_object(again))
        return ST_OK;
#define AGAIN_STR(k) json_string_value(json_object_get(again, k))
    char *account_name = NULL;
    char **recipients = NULL;
    size_t nrecipients = 0;
    int st = account_name_get(sql, account_id, &account_name);
    if (st == ST_OK)
        st = outbox_recipients(sql, account_id, &recipients, &nrecipients);
    /* The other contact reads it as the recipients do (a PUT's copy to
     * them carries no note of its own either). */
    const char *other = AGAIN_STR("other_mail");
    char **to = xcalloc(nrecipients + 1, sizeof(char *));
    size_t n = 0;
    if (other)
        to[n++] = (char *)other;
    for (size_t i = 0; i < nrecipients; i++)
        to[n++] = recipients[i];
    struct mail_names names = MAIL_NAMES_INIT;
    mail_names_add_json(&names, json_object_get(again, "names"));
    if (st == ST_OK)
        st = contacts_mail_named_to(
            sql, account_id, account_name,
            (unsigned)json_integer_value(json_object_get(again, "kinds")), AGAIN_STR("uid"),
            AGAIN_STR("name"), AGAIN_STR("mail"), AGAIN_STR("by"), AGAIN_STR("by_mail"),
            json_is_true(json_object_get(again, "by_admin")), &names, NULL, NULL, NULL, to, n);
#undef AGAIN_STR
    mail_names_free(&names);
    free(to);
    outbox_free_list(recipients, nrecipients);
    free(account_name);
    return st;
}

/* Whether roles (a member's JSON list of role names) holds admin. */
static int lists_admin(const json_t *roles)
{
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
    {
        if (json_is_string(r) && strcmp(json_string_value(r), "admin") == 0)
            return 1;
    }
    return 0;
}

json_t *contacts_json(const char *kinds, json_t *members)
{
    json_t *out = json_pack("{s:n, s:n}", "primary", "technical");
    json_t *k = kinds ? json_loads(kinds, 0, NULL) : NULL;
    const char *kind;
    json_t *v;
    json_object_foreach(k, kind, v)
    {
        const char *uid = json_string_value(v);
        if (!uid || !json_object_get(out, kind))
            continue;
        /* A contact is an admin: one who is not (any more: an LDAP
         * administrator took the role away in the directory) is no
         * contact, and the kind reads as unset (docs/api.md). Nor is one
         * whose address an LDAP administrator deleted: the contacts'
         * mail cannot reach them (round-13 walkthrough of seed 004, D3).
         * The stored uid matches the member's without regard to case
         * (uid_equal), and the entry spells it as the directory does
         * (round-24 walkthrough of seed 004, D1: an LDAP administrator
         * lowered the case of a contact's uid and the kind read null). */
        size_t i;
        json_t *m;
        json_array_foreach(members, i, m)
        {
            const char *mail = json_string_value(json_object_get(m, "mail"));
            const char *member_uid = json_string_value(json_object_get(m, "uid"));
            if (!uid_equal(member_uid, uid) || !lists_admin(json_object_get(m, "roles")) || !mail ||
                !*mail)
                continue;
            json_t *entry = json_pack("{s:s, s:n, s:n}", "uid", member_uid, "name", "mail");
            if (json_object_get(m, "name"))
                json_object_set(entry, "name", json_object_get(m, "name"));
            if (json_object_get(m, "mail"))
                json_object_set(entry, "mail", json_object_get(m, "mail"));
            json_object_set_new(out, kind, entry);
        }
    }
    json_decref(k);
    return out;
}
