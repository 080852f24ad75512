/*
 * team: the org's team and its validation (in progress).
 */
#ifndef DASHBOARD_TEAM_H
#define DASHBOARD_TEAM_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_team_prepare(vx_pg *pg);
void dashboard_orgs_validate(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_invite_revoke(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_remove(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
