#include "team.h"

void dashboard_team_prepare(vx_pg *pg)
{
    (void)pg;
}

void dashboard_orgs_validate(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_team_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_team_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_team_invite_revoke(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_team_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_team_remove(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}
