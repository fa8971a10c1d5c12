/*
 * handlers: every endpoint's handler, one module per resource. Each reads a
 * parsed struct request (path args, query, body) and sets its response;
 * routes.c says which path and method reach which handler.
 */
#ifndef ACCOUNTD_HANDLERS_H
#define ACCOUNTD_HANDLERS_H

#include "http.h"

/* service.c */
void service_health(struct request *req);
void service_ready(struct request *req);
/* metrics.c */
void service_metrics(struct request *req);
/* auth.c */
void auth_check(struct request *req);
/* accounts.c */
/* account_of for the routes: the parent named in the body, or in the
 * list's parent_id query parameter (routes.h). */
int accounts_parent_in_body(struct request *req, unsigned long long *id);
int accounts_parent_in_query(struct request *req, unsigned long long *id);
void accounts_create(struct request *req);
void accounts_list(struct request *req);
void accounts_get(struct request *req);
void accounts_patch(struct request *req);
void accounts_close(struct request *req);
/* members.c */
void members_list(struct request *req);
void members_get(struct request *req);
void members_set_roles(struct request *req);
void members_remove(struct request *req);
/* member-removed's {{projects_note}} line for the project roles plan p
 * takes ("Your roles in its projects ended with it: "A" (owner)."), for
 * another mail of a removal that takes them (the revocation of a service
 * provider's access, providers.c; round-23 walkthrough of seed 000, D6):
 * *note malloc'ed, NULL when p takes none. One SQL read of the names. */
struct saga_plan;
struct sql_store;
int members_projects_lost_note(struct sql_store *sql, const struct saga_plan *p, char **note);

/* invitations.c */
void invitations_create(struct request *req);
void invitations_list(struct request *req);
void invitations_get(struct request *req);
void invitations_revoke(struct request *req);
void invitations_resend(struct request *req);
void invitations_accept(struct request *req);
/* POST /projects/{pid}/invitations: a role in one project (invitations.c). */
void project_invitations_create(struct request *req);
void project_invitations_list(struct request *req);
void project_invitations_get(struct request *req);
void project_invitations_revoke(struct request *req);
void project_invitations_resend(struct request *req);
/* contacts.c */
void contacts_set(struct request *req);
/* recipients.c */
void recipients_get(struct request *req);
void recipients_put(struct request *req);
/* password_resets.c */
/* Whom a person of the account who may not ask for a reset asks: the
 * router's 403 on the reset route (routes.c) and, with the contacts by
 * name or what to do when there are none, the handler's to an admin who
 * is no named contact (round-25 walkthrough of seed 004, D3). */
#define RESET_CONTACTS_RULE                                                                        \
    "only the account's named contacts (primary and technical) request password resets"
#define RESET_ASK_CONTACTS RESET_CONTACTS_RULE "; ask one of them"
void password_reset_request(struct request *req);
void password_reset_complete(struct request *req);
/* templates.c */
void templates_list(struct request *req);
void templates_get(struct request *req);
void templates_put(struct request *req);
void templates_delete(struct request *req);
void template_recipients_list(struct request *req);
void template_recipients_put(struct request *req);
/* notifications.c */
void notifications_list(struct request *req);
void announcements_create(struct request *req);
/* me.c */
void me_get(struct request *req);
void me_accounts(struct request *req);
void preferences_get(struct request *req);
void preferences_patch(struct request *req);
/* properties.c */
void property_definitions_list(struct request *req);
void property_definitions_get(struct request *req);
void property_definitions_create(struct request *req);
void property_definitions_patch(struct request *req);
void property_definitions_delete(struct request *req);
void account_properties_get(struct request *req);
/* relations.c */
void relations_request(struct request *req);
void relations_approve(struct request *req);
void relations_decline(struct request *req);
void relations_customers(struct request *req);
void relations_requests(struct request *req);
void relations_get(struct request *req);
void relations_withdraw(struct request *req);
void relations_end(struct request *req);
/* The customer account of the relation in the path (route account_of). */
int relations_customer_of(struct request *req, unsigned long long *id);
/* The partner account of the relation in the path (route account_of). */
int relations_partner_of(struct request *req, unsigned long long *id);
/* The side of the relation in the path whose admin the caller is: the
 * partner if the caller is its admin, else the customer (route
 * account_of). */
int relations_side_of(struct request *req, unsigned long long *id);
/* projects.c */
void projects_create(struct request *req);
void projects_list(struct request *req);
void projects_get(struct request *req);
void projects_patch(struct request *req);
void projects_delete(struct request *req);
void project_members_get(struct request *req);
void project_members_put(struct request *req);
void project_members_delete(struct request *req);
/* The account of the project in the path (route account_of). */
int projects_account_of(struct request *req, unsigned long long *id);
/* May the caller change the people of project pid (the account's admins
 * and service providers, the project's owners)? 1, or 0 with the 403 or
 * 404 refusal set. */
int projects_may_manage(struct request *req, unsigned long long pid);
/* The caller's projects for /me: [{id, account_id, name, created_at,
 * roles}] (a new reference), or NULL with *st set. */
json_t *projects_of_caller(struct request *req, int *st);
/* For an account's close (round-23 walkthrough of seed 003, D2): the
 * people of its projects who hold no role in the account itself, as
 * [{uid, name, mail, projects: [{name, roles (PROJECT_* bits)}]}] (a new
 * reference), read from the directory before the close's transaction (at
 * most its first 200 projects); NULL with *st set on a failure. */
json_t *projects_closing_people(struct request *req, unsigned long long account_id, int *st);
/* Inside the close's transaction: project-account-closed to each of
 * those people (not the caller), outside the mail budget; kept_until the
 * time the account is kept until (NULL: no retention configured). */
int projects_mail_account_closed(struct sql_store *sql, struct request *req,
                                 unsigned long long account_id, const json_t *people,
                                 const char *account_name, const char *closed_by,
                                 const char *kept_until);
/* audit_view.c */
void audit_list(struct request *req);
/* transfer.c */
void transfers_create(struct request *req);
/* providers.c */
void providers_list(struct request *req);
void providers_get(struct request *req);
void providers_patch(struct request *req);
void providers_delete(struct request *req);
/* The caller's news preference (1 unless they opted out). */
int preferences_news(struct request *req, int *news);

/* catalog.c */
void plans_list(struct request *req);
void articles_list(struct request *req);
/* orders.c */
void orders_create(struct request *req);
void orders_list(struct request *req);
void orders_get(struct request *req);
void orders_execute(struct request *req);
void orders_discard(struct request *req);
/* The account of /orders/{oid} (route table's account_of). */
int order_account_of(struct request *req, unsigned long long *account_id);
/* subscriptions.c */
void subscriptions_list(struct request *req);
void subscriptions_get(struct request *req);
void subscriptions_upgrade(struct request *req);
void subscriptions_cancel(struct request *req);
void subscriptions_uncancel(struct request *req);
void subscriptions_renew(struct request *req);
/* The account of /subscriptions/{sid} (route table's account_of). */
int subscription_account_of(struct request *req, unsigned long long *account_id);
/* storefronts.c */
void storefronts_get(struct request *req);
void storefront_aliases_get(struct request *req);
void storefront_host_get(struct request *req);
void storefront_host_put(struct request *req);
/* licenses.c */
void licenses_list(struct request *req);
void licenses_consume(struct request *req);
void licenses_release(struct request *req);
/* invoices.c */
void invoices_list(struct request *req);
void quotes_list(struct request *req);
void quotes_get(struct request *req);
void quotes_create(struct request *req);
/* the quotes requested from the account (its children's requests) */
void quote_requests_list(struct request *req);
void quote_requests_get(struct request *req);

#endif
