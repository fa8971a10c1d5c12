/*
 * migrate: `accountd migrate` applies the ordered SQL migrations
 * (migrations_dir/NNN_name.sql) that schema_migrations does not list yet, as
 * migrate_user, and records each; `accountd bootstrap` creates the operator
 * account of a fresh installation.
 */
#ifndef ACCOUNTD_MIGRATE_H
#define ACCOUNTD_MIGRATE_H

#include "config.h"

int migrate_run(const struct config *cfg);
int bootstrap_run(const struct config *cfg, const char *operator_uid, const char *name);
/* `accountd maint`: the repair job. Every intent (saga.h) open for at
 * least min_age seconds is finished or undone, with an audit row; accounts
 * left 'pending' without an intent (accountd before migration 005) are
 * undone: their LDAP entries, idempotency keys and rows are removed.
 * Prints what it did; 0 on success. */
int maint_run(const struct config *cfg, int min_age);

#endif
