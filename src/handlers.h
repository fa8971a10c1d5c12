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
void me_get(struct request *req);
/* accounts.c */
void accounts_create(struct request *req);
void accounts_list(struct request *req);
void accounts_get(struct request *req);
void accounts_patch(struct request *req);
void accounts_close(struct request *req);
/* members.c */
void members_list(struct request *req);
void members_set_roles(struct request *req);
void members_remove(struct request *req);

#endif
