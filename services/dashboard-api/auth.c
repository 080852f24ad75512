#include "auth.h"

void dashboard_auth_prepare(vx_pg *pg)
{
    (void)pg;
}

void dashboard_auth_signup(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_auth_login(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_auth_refresh(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_auth_logout(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_auth_accept_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}
