/*
 * org_read: a dashboard read under the org's claims.
 */
#include "org_read.h"

#include "vx_log.h"

PGresult *dashboard_read_as_org(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                                vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    PGresult *res = NULL;
    if (vx_pg_begin_org_reads(pg, org) == 0) {
        res = vx_pg_exec(pg, stmt, n, params);
        if (res != NULL)
            vx_pg_commit(pg); /* ends the read scope: nothing is sent */
        else
            vx_pg_rollback(pg);
    }
    if (res == NULL) {
        vx_log_error(req->request_id, org, "database read failed", "statement", stmt, "error", vx_pg_error(pg));
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    }
    return res;
}
