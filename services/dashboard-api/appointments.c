#include "appointments.h"

void dashboard_appointments_prepare(vx_pg *pg)
{
    (void)pg;
}

void dashboard_appointments_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_appointments_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_appointments_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_appointments_reschedule(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}

void dashboard_appointments_cancel(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}
