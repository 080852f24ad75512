/*
 * services: the org's priced services (what the agent quotes and books) —
 *   GET    /api/services         list (staff too)
 *   POST   /api/services         create (owners)
 *   PATCH  /api/services/{id}    update the fields given (owners)
 *   DELETE /api/services/{id}    delete (owners); 409 service_in_use while
 *                                appointments refer to it (deactivate it instead)
 *
 * Every statement runs under the caller's org (row-level security) and also
 * names org_id. The handlers serve requests that passed access.h's checks,
 * with the roles router.c's table gives them.
 */
#ifndef DASHBOARD_SERVICES_H
#define DASHBOARD_SERVICES_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_services_prepare(vx_pg *pg);
void dashboard_services_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_services_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_services_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_services_delete(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
