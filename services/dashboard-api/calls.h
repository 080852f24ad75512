/*
 * calls: the dashboard's call log — GET /api/calls (list with paging and a
 * status filter) and GET /api/calls/{id} (one call with its transcript).
 *
 * Every query runs scoped to the caller's org (RLS) and also filters by
 * org_id in its WHERE clause: defence in depth. The handlers serve requests
 * that passed access.h's checks (the router makes sure): req->auth holds a
 * valid org id and a role that may read calls.
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
