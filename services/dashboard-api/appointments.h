/*
 * appointments: the org's appointments (in progress).
 */
#ifndef DASHBOARD_APPOINTMENTS_H
#define DASHBOARD_APPOINTMENTS_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_appointments_prepare(vx_pg *pg);
void dashboard_appointments_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_reschedule(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_cancel(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
