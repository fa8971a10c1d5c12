#include "recipients_store.h"

#include "sql_store.h"

#include <stdlib.h>
#include <string.h>

int recipients_replace(struct sql_store *sql, unsigned long long account_id, char **emails,
                       size_t *n)
{
    int st = sql_exec(sql, "DELETE FROM notification_recipients WHERE account_id = ?",
                      SQL_ARGS(P_INT(account_id)), NULL);
    size_t i = 0;
    while (i < *n && st == ST_OK) {
        st = sql_exec(sql,
                      "INSERT INTO notification_recipients (account_id, email, position)"
                      " VALUES (?, ?, ?)",
                      SQL_ARGS(P_INT(account_id), P_STR(emails[i]), P_INT(i)), NULL);
        if (st == ST_DUPLICATE) {
            /* Keep the first, as the handler does for equal-but-case. */
            free(emails[i]);
            memmove(&emails[i], &emails[i + 1], (*n - i - 1) * sizeof(char *));
            (*n)--;
            st = ST_OK;
            continue;
        }
        i++;
    }
    return st;
}
