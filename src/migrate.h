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

#endif
