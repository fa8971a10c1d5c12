/*
 * adminless_store: the SQL of accountd maint's report of accounts without
 * an admin (adminless.h): the accounts to compare with the directory's
 * admin groups, in one statement, and the record of each episode
 * (adminless_accounts, migration 046) that keeps its audit rows to one per
 * episode.
 */
#ifndef ACCOUNTD_ADMINLESS_STORE_H
#define ACCOUNTD_ADMINLESS_STORE_H

struct sql_store;
struct sql_result;

/* Columns of adminless_candidates' rows. */
enum { ADMINLESS_ID, ADMINLESS_NAME, ADMINLESS_CLOSED, ADMINLESS_SINCE };

/* One statement, ordered by id: every live account (not closed, its
 * create done) and every account recorded without an admin: id, name,
 * closed (1 when it is closed or not live, 0 else), since (the record's
 * time, NULL when it has none). */
int adminless_candidates(struct sql_store *sql, struct sql_result *out);

/* Inside a transaction: records account id as without an admin from now;
 * *recorded 1 when this call did (0: recorded already, by another run). */
int adminless_record(struct sql_store *sql, unsigned long long id, int *recorded);
/* Drops the record of account id (inside a transaction or alone);
 * *dropped 1 when this call did. */
int adminless_forget(struct sql_store *sql, unsigned long long id, int *dropped);

#endif
