/*
 * adminless: `accountd maint`'s report of accounts without an admin.
 *
 * The API never removes an account's last admin (DESIGN: "An account
 * always keeps at least one admin"), but an LDAP administrator can, with
 * ldapmodify (round-12 walkthrough of seed 003, D4), and then nobody of the
 * account can manage it any more; only operator staff can name a new admin.
 * Each maint run compares the directory's admin groups (one search) with
 * the live accounts (one statement) and prints a line for every account
 * that is not closed and has no admin; the first run that finds one writes
 * an audit row (account.adminless), and the first that finds an admin
 * again another (account.admin_restored), so the trail has one pair per
 * episode however often maint runs (docs/operations.md).
 */
#ifndef ACCOUNTD_ADMINLESS_H
#define ACCOUNTD_ADMINLESS_H

struct sql_store;
struct ldap_store;

/* Reports the accounts without an admin on stdout, audits new and ended
 * episodes. Returns how many accounts have no admin, or -1 when a store
 * could not be read or a record not be written (reported on stderr). */
int adminless_report(struct sql_store *sql, struct ldap_store *ldap);

#endif
