/*
 * gdpr: GDPR: a contact's export (Art. 15/20) and erasure (Art. 17) (in progress).
 */
#ifndef DASHBOARD_GDPR_H
#define DASHBOARD_GDPR_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_gdpr_prepare(vx_pg *pg);
void dashboard_gdpr_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
