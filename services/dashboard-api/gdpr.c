#include "gdpr.h"

void dashboard_gdpr_prepare(vx_pg *pg)
{
    (void)pg;
}

void dashboard_gdpr_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}
