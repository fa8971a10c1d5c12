/*
 * preferences_store: the SQL of a person's preferences (table
 * person_preferences, keyed by uid).
 */
#ifndef ACCOUNTD_PREFERENCES_STORE_H
#define ACCOUNTD_PREFERENCES_STORE_H

struct sql_store;

/* *news: 1 unless uid opted out of news mail (also when there is no row). */
int preferences_news_get(struct sql_store *sql, const char *uid, int *news);
/* Sets uid's news preference (creating the row). */
int preferences_news_set(struct sql_store *sql, const char *uid, int news);

#endif
