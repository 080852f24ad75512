/*
 * calls: the dashboard's call log — GET /api/calls (list with paging and a
 * status filter) and GET /api/calls/{id} (one call with its transcript).
 *
 * Every query runs in a transaction scoped to the caller's org (RLS) and also
 * filters by org_id in its WHERE clause: defence in depth.
 */
#ifndef DASHBOARD_CALLS_H
#define DASHBOARD_CALLS_H

#include "vx_pg.h"
#include "vx_rpc.h"

/* Registers the statements this module uses on pg. */
void dashboard_calls_prepare(vx_pg *pg);
void dashboard_calls_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_calls_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
