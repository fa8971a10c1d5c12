#include "migrate.h"
#include "adminless.h"
#include "providers.h"

#include "audit.h"
#include "buf.h"
#include "idempotency.h"
#include "idempotency_store.h"
#include "ldap_store.h"
#include "projects_store.h"
#include "saga.h"
#include "sql_store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_migration(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && isdigit((unsigned char)name[0]) && isdigit((unsigned char)name[1]) &&
           isdigit((unsigned char)name[2]) && name[3] == '_' && strcmp(name + n - 4, ".sql") == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int migrate_run(const struct config *cfg)
{
    DIR *d = opendir(cfg->migrations_dir);
    if (!d) {
        fprintf(stderr, "accountd migrate: %s: %s\n", cfg->migrations_dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_migration(e->d_name))
            continue;
        char **grown = realloc(names, (n + 1) * sizeof(char *));
        if (!grown)
            abort();
        names = grown;
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_names);

    struct sql_store *sql = sql_store_new_migrator(cfg);
    char err[512];
    int rc = 0, applied = 0;
    if (sql_exec_script(sql,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INT UNSIGNED NOT NULL PRIMARY KEY,"
                        " name VARCHAR(255) NOT NULL,"
                        " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))"
                        " ENGINE=InnoDB",
                        err, sizeof(err)) != ST_OK) {
        fprintf(stderr, "accountd migrate: %s\n", err);
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        long version = strtol(names[i], NULL, 10);
        struct sql_result r;
        int st = sql_exec(sql, "SELECT 1 FROM schema_migrations WHERE version = ?",
                          SQL_ARGS(P_INT(version)), &r);
        if (st != ST_OK) {
            fprintf(stderr, "accountd migrate: cannot read schema_migrations\n");
            rc = 1;
            break;
        }
        int done = r.nrows > 0;
        sql_result_free(&r);
        if (done)
            continue;
        struct buf path = BUF_INIT;
        buf_printf(&path, "%s/%s", cfg->migrations_dir, names[i]);
        struct buf text = BUF_INIT;
        char *script = buf_read_file(&text, path.data) == 0 ? buf_detach(&text) : NULL;
        buf_free(&text);
        printf("applying %s\n", names[i]);
        fflush(stdout);
        if (!script) {
            fprintf(stderr, "accountd migrate: cannot read %s\n", path.data);
            rc = 1;
        } else if (sql_exec_script(sql, script, err, sizeof(err)) != ST_OK) {
            fprintf(stderr, "accountd migrate: %s failed: %s\n", names[i], err);
            rc = 1;
        } else if (sql_exec(sql, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                            SQL_ARGS(P_INT(version), P_STR(names[i])), NULL) != ST_OK) {
            fprintf(stderr, "accountd migrate: cannot record %s\n", names[i]);
            rc = 1;
        } else {
            applied++;
        }
        free(script);
        buf_free(&path);
    }
    if (rc == 0)
        printf(applied ? "applied %d migration(s)\n" : "schema is up to date%.0d\n", applied);
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    sql_store_free(sql);
    return rc;
}

int bootstrap_run(const struct config *cfg, const char *operator_uid, const char *name)
{
    struct sql_store *sql = sql_store_new(cfg);
    struct ldap_store *ldap = ldap_store_new(cfg);
    struct person p = {0};
    struct sql_result r = {0};
    int rc = 1;
    int st = sql_exec(sql, "SELECT id, ldap_state FROM accounts WHERE kind = 'operator'",
                      SQL_NO_ARGS, &r);
    if (st != ST_OK) {
        fprintf(stderr, "accountd bootstrap: MariaDB is unavailable\n");
        goto out;
    }
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0);
        if (strcmp(sql_cell(&r, i, 1), "done") == 0) {
            printf("operator account %llu exists; nothing to do\n", id);
            rc = 0;
            goto out;
        }
        /* A bootstrap that died half-way: remove it and start over. */
        ldap_store_delete_account(ldap, id);
        sql_exec(sql, "DELETE FROM accounts WHERE id = ? AND ldap_state = 'pending'",
                 SQL_ARGS(P_INT(id)), NULL);
    }
    sql_result_free(&r);
    st = ldap_store_find_person(ldap, "uid", operator_uid, &p);
    if (st != ST_OK) {
        fprintf(stderr, "accountd bootstrap: no LDAP person with uid %s\n", operator_uid);
        goto out;
    }
    st = sql_exec(sql,
                  "INSERT INTO accounts (kind, name, status, created_by, ldap_state)"
                  " VALUES ('operator', ?, 'active', ?, 'pending')",
                  SQL_ARGS(P_STR(name), P_STR(operator_uid)), &r);
    if (st != ST_OK) {
        fprintf(stderr, "accountd bootstrap: cannot create the operator account\n");
        goto out;
    }
    unsigned long long id = r.insert_id;
    sql_result_free(&r);
    st = ldap_store_create_account(ldap, id, p.dn, NULL);
    if (st == ST_OK)
        st = sql_exec(sql, "UPDATE accounts SET ldap_state = 'done' WHERE id = ?",
                      SQL_ARGS(P_INT(id)), NULL);
    if (st == ST_OK) {
        json_t *n = json_pack("{s:s, s:s}", "kind", "operator", "name", name);
        audit_write(sql, operator_uid, id, "account.create", NULL, n);
        printf("operator account %llu created with %s as its admin\n", id, operator_uid);
        rc = 0;
    } else {
        fprintf(stderr, "accountd bootstrap: LDAP refused the account's role groups\n");
        ldap_store_delete_account(ldap, id);
        sql_exec(sql, "DELETE FROM accounts WHERE id = ?", SQL_ARGS(P_INT(id)), NULL);
    }
out:
    sql_result_free(&r);
    person_free(&p);
    ldap_store_free(ldap);
    sql_store_free(sql);
    return rc;
}

/* Role group members whose person is gone (a directory that ran without
 * slapo-refint): each is reported, removed and audited, so a new person
 * who gets the same DN inherits nothing. Returns the number removed or -1. */
static int maint_dangling_members(struct sql_store *sql, struct ldap_store *ldap)
{
    struct dangling_member *d;
    size_t n;
    int st = ldap_store_dangling_members(ldap, &d, &n);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: cannot read the role groups from LDAP\n");
        return -1;
    }
    int removed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        printf("dangling member %s in %s (account %llu): ", d[i].member, d[i].group_dn,
               d[i].account_id);
        st = ldap_store_remove_member_value(ldap, d[i].group_dn, d[i].member);
        if (st == ST_NOT_FOUND) {
            printf("already gone\n");
            continue;
        }
        if (st != ST_OK) {
            printf("could not be removed now\n");
            failed = 1;
            continue;
        }
        json_t *o = json_pack("{s:s, s:s}", "group", d[i].group_dn, "member", d[i].member);
        if (audit_write(sql, "accountd-maint", d[i].account_id, "member.remove_dangling", o,
                        NULL) != ST_OK) {
            fprintf(stderr,
                    "accountd maint: removed %s from %s but could not write its audit row\n",
                    d[i].member, d[i].group_dn);
            failed = 1;
        }
        printf("removed\n");
        removed++;
    }
    dangling_members_free(d, n);
    printf("maint: %d dangling member(s) removed\n", removed);
    return failed ? -1 : removed;
}

/* Projects whose create died between the row and its LDAP groups (the
 * row stays pending, and keeps its name taken): the groups first, then the
 * row, so that no group is left without its project. Returns -1 if one
 * could not be removed now. */
static int maint_half_created_projects(struct sql_store *sql, struct ldap_store *ldap, int min_age)
{
    struct sql_result r;
    int st = projects_half_created(sql, min_age, &r);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: MariaDB is unavailable\n");
        return -1;
    }
    int rc = 0, removed = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0), account = sql_cell_id(&r, i, 1);
        st = ldap_store_delete_project(ldap, account, id);
        if (st == ST_NOT_FOUND)
            st = ST_OK;
        if (st == ST_OK)
            st = project_delete_pending(sql, id);
        if (st == ST_OK) {
            printf("removed the half-created project %llu of account %llu\n", id, account);
            removed++;
        } else {
            fprintf(stderr, "accountd maint: project %llu could not be removed now\n", id);
            rc = -1;
        }
    }
    sql_result_free(&r);
    printf("maint: %d half-created project(s) removed\n", removed);
    return rc;
}

int maint_run(const struct config *cfg, int min_age)
{
    struct sql_store *sql = sql_store_new(cfg);
    struct ldap_store *ldap = ldap_store_new(cfg);
    struct sql_result r = {0};
    int rc = 0, repaired = 0, intents = 0;
    /* Changes a crash or an outage left half-done: finished or undone. */
    int failed = saga_repair(ldap, sql, min_age, &intents);
    if (failed < 0) {
        fprintf(stderr, "accountd maint: MariaDB is unavailable\n");
        rc = 1;
        goto out;
    }
    if (failed > 0)
        rc = 1;
    printf("maint: %d open change(s) finished or undone\n", intents);
    /* Accounts left pending by a create without an intent (accountd
     * before migration 005). */
    int st = sql_exec(sql,
                      "SELECT id FROM accounts WHERE ldap_state = 'pending' AND intent_id IS NULL"
                      " AND created_at <= CURRENT_TIMESTAMP(6) - INTERVAL ? SECOND ORDER BY id",
                      SQL_ARGS(P_INT(min_age)), &r);
    if (st != ST_OK) {
        fprintf(stderr, "accountd maint: MariaDB is unavailable\n");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned long long id = sql_cell_id(&r, i, 0);
        /* LDAP first: a row without entries is harmless, entries without a
         * row would be orphans. */
        st = ldap_store_delete_account(ldap, id);
        if (st == ST_OK)
            st = sql_exec(sql, "DELETE FROM idempotency_keys WHERE account_id = ?",
                          SQL_ARGS(P_INT(id)), NULL);
        if (st == ST_OK)
            st = sql_exec(sql, "DELETE FROM accounts WHERE id = ? AND ldap_state = 'pending'",
                          SQL_ARGS(P_INT(id)), NULL);
        if (st == ST_OK) {
            printf("removed the half-created account %llu\n", id);
            repaired++;
        } else {
            fprintf(stderr, "accountd maint: account %llu could not be repaired now\n", id);
            rc = 1;
        }
    }
    printf("maint: %d half-created account(s) removed\n", repaired);
    if (maint_half_created_projects(sql, ldap, min_age) < 0)
        rc = 1;
    if (maint_dangling_members(sql, ldap) < 0)
        rc = 1;
    /* After the dangling members are gone: an admin group whose only
     * member was one is an account without an admin. */
    if (adminless_report(sql, ldap) < 0)
        rc = 1;
    int expired = 0;
    if (providers_expire(sql, ldap, &expired) != ST_OK)
        rc = 1;
    printf("maint: %d expired service-provider access(es) removed\n", expired);
    unsigned long long keys = 0;
    if (idempotency_expire(sql, IDEMPOTENCY_KEEP_SECONDS, &keys) != ST_OK) {
        fprintf(stderr, "accountd maint: old Idempotency-Keys could not be removed now\n");
        rc = 1;
    }
    printf("maint: %llu Idempotency-Key(s) older than a day removed\n", keys);
out:
    sql_result_free(&r);
    ldap_store_free(ldap);
    sql_store_free(sql);
    return rc;
}
