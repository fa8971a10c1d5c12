/*
 * account_store: what every resource needs of an account — its row locked
 * for a change, and its people with their roles — so that resource modules
 * (accounts, members, contacts, invitations, notifications, ...) depend on
 * this module and never on each other.
 */
#include "account_store.h"

#include "caller.h"
#include "ldap_store.h"
#include "sql_store.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int account_lock(struct sql_store *sql, unsigned long long id, struct refusal *ref, char **name)
{
    struct sql_result r;
    int st = sql_exec(sql, "SELECT name, status FROM accounts WHERE id = ? FOR UPDATE",
                      SQL_ARGS(P_INT(id)), &r);
    if (st != ST_OK)
        return st;
    if (r.nrows != 1 || strcmp(sql_cell(&r, 0, 1), "closed") == 0)
        st = refusal_set(ref, 409, "conflict", "a closed account cannot be changed");
    else if (name)
        *name = xstrdup(sql_cell(&r, 0, 0));
    sql_result_free(&r);
    return st;
}

json_t *members_json(struct request *req, unsigned long long id, int *st)
{
    struct role_group *groups;
    size_t ngroups;
    *st = ldap_store_role_groups(req->session->ldap, &id, 1, &groups, &ngroups);
    if (*st != ST_OK)
        return NULL;
    /* Every distinct member DN with its roles. */
    size_t total = 0;
    for (size_t g = 0; g < ngroups; g++)
        total += groups[g].nmembers;
    char **dns = xcalloc(total + 1, sizeof(char *));
    unsigned *roles = xcalloc(total + 1, sizeof(unsigned));
    size_t ndns = 0;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t m = 0; m < groups[g].nmembers; m++) {
            size_t i = 0;
            while (i < ndns && !ldap_dn_equal(dns[i], groups[g].members[m]))
                i++;
            if (i == ndns)
                dns[ndns++] = groups[g].members[m];
            roles[i] |= groups[g].role;
        }
    }
    struct person *people = NULL;
    size_t npeople = 0;
    json_t *items = NULL;
    *st = ldap_store_people_by_dn(req->session->ldap, dns, ndns, &people, &npeople);
    if (*st == ST_OK) {
        items = json_array();
        for (size_t p = 0; p < npeople; p++) {
            unsigned rs = 0;
            for (size_t i = 0; i < ndns; i++)
                if (ldap_dn_equal(dns[i], people[p].dn))
                    rs |= roles[i];
            json_array_append_new(items, json_pack("{s:s, s:s?, s:s?, s:o}", "uid", people[p].uid,
                                                   "name", people[p].name, "mail", people[p].mail,
                                                   "roles", roles_json(rs)));
        }
        for (size_t p = 0; p < npeople; p++)
            person_free(&people[p]);
        free(people);
    }
    free(dns);
    free(roles);
    role_groups_free(groups, ngroups);
    return items;
}
