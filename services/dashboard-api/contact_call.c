#include "contact_call.h"

void dashboard_contact_call_prepare(vx_pg *pg)
{
    (void)pg;
}

void dashboard_contacts_call(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    (void)pg;
    (void)req;
    vx_rpc_reply_error(reply, 501, "not_implemented", "Not built yet.");
}
