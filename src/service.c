/* service: liveness and readiness. */
#include "handlers.h"
#include "ldap_store.h"
#include "sql_store.h"

void service_health(struct request *req)
{
    res_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void service_ready(struct request *req)
{
    int ldap = ldap_store_ping(req->session->ldap);
    int sql = sql_ping(req->session->sql);
    if (ldap == ST_OK && sql == ST_OK) {
        res_json(req, 200,
                 json_pack("{s:s, s:s, s:s}", "status", "ready", "ldap", "ok", "sql", "ok"));
        return;
    }
    res_unavailable(req, ldap != ST_OK && sql != ST_OK ? "LDAP and MariaDB"
                         : ldap != ST_OK               ? "LDAP"
                                                       : "MariaDB");
}
