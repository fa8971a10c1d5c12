#include "preferences_store.h"

#include "sql_store.h"

#include <string.h>

int preferences_news_get(struct sql_store *sql, const char *uid, int *news)
{
    struct sql_result r;
    *news = 1;
    int st = sql_exec(sql, "SELECT news FROM person_preferences WHERE uid = ?",
                      SQL_ARGS(P_STR(uid)), &r);
    if (st == ST_OK && r.nrows == 1)
        *news = strcmp(sql_cell(&r, 0, 0), "0") != 0;
    sql_result_free(&r);
    return st;
}

int preferences_news_set(struct sql_store *sql, const char *uid, int news)
{
    return sql_exec(sql,
                    "INSERT INTO person_preferences (uid, news) VALUES (?, ?)"
                    " ON DUPLICATE KEY UPDATE news = VALUES(news),"
                    " updated_at = CURRENT_TIMESTAMP(6)",
                    SQL_ARGS(P_STR(uid), P_INT(news)), NULL);
}
