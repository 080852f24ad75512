/*
 * vx_access: the dashboard's roles and the organization's status (see vx_access.h).
 */
#include "vx_access.h"

#include <string.h>

#include "vx_log.h"
#include "vx_validate.h"

#define STMT_ORG_STATUS "vx_access_org_status"

static const struct {
    const char *name;
    vx_role role;
} ROLES[] = {
    {"owner", VX_ROLE_OWNER},
    {"staff", VX_ROLE_STAFF},
};

unsigned vx_access_role(const char *role)
{
    for (size_t i = 0; role != NULL && i < sizeof(ROLES) / sizeof(ROLES[0]); i++) {
        if (strcmp(role, ROLES[i].name) == 0)
            return ROLES[i].role;
    }
    return 0;
}

bool vx_access_token(const vx_gateway_request *req, unsigned roles, vx_rpc_reply *reply)
{
    const Voxanne__V1__AuthContext *auth = req->auth;
    if (auth == NULL || auth->org_id == NULL || !vx_is_uuid(auth->org_id, strlen(auth->org_id))) {
        vx_rpc_reply_error(reply, 401, "unauthorized", "A dashboard token with an organization is required.");
        return false;
    }
    unsigned role = vx_access_role(auth->role);
    if (role == 0) {
        /* The role comes from a verified token: it names no secret. */
        vx_log_warn(req->request_id, auth->org_id, "dashboard request refused: unknown role", "role", auth->role, "route",
                    req->route);
        vx_rpc_reply_error(reply, 403, "unknown_role",
                           "This account has no dashboard role. Ask the organization's owner for access.");
        return false;
    }
    if ((role & roles) == 0) {
        vx_log_warn(req->request_id, auth->org_id, "dashboard request refused: role not allowed", "role", auth->role, "route",
                    req->route);
        vx_rpc_reply_error(reply, 403, "forbidden", "Your role does not allow this. Ask the organization's owner.");
        return false;
    }
    return true;
}

void vx_access_prepare(vx_pg *pg)
{
    /* Under the org's claims: row-level security shows its own row only. */
    vx_pg_prepare(pg, STMT_ORG_STATUS, "SELECT status FROM organizations WHERE id = $1::uuid");
}

/* One read statement as org (see vx_access_read_as_org). */
static PGresult *read_as(vx_pg *pg, const vx_gateway_request *req, const char *org, const char *stmt, int n,
                         const char *const *params, vx_rpc_reply *reply)
{
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

PGresult *vx_access_read_as_org(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                                vx_rpc_reply *reply)
{
    return read_as(pg, req, req->auth->org_id, stmt, n, params, reply);
}

bool vx_access_org(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    return vx_access_org_active(pg, req, req->auth->org_id, reply);
}

bool vx_access_org_active(vx_pg *pg, const vx_gateway_request *req, const char *org, vx_rpc_reply *reply)
{
    const char *params[1] = {org};
    PGresult *res = read_as(pg, req, org, STMT_ORG_STATUS, 1, params, reply);
    if (res == NULL)
        return false;
    const char *status = PQntuples(res) == 1 ? vx_pg_value(res, 0, 0) : NULL;
    bool active = status != NULL && strcmp(status, "active") == 0;
    if (status == NULL) {
        vx_log_warn(req->request_id, org, "dashboard request refused: no such organization", "route", req->route);
        vx_rpc_reply_error(reply, 403, "org_not_found", "This organization does not exist.");
    } else if (!active) {
        vx_log_warn(req->request_id, org, "dashboard request refused: organization not active", "status", status, "route",
                    req->route);
        vx_rpc_reply_error(reply, 403, "org_suspended", "This organization is suspended. Please contact support.");
    }
    PQclear(res);
    return active;
}
