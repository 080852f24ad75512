/*
 * auth: built-in sign-in (in progress).
 */
#ifndef DASHBOARD_AUTH_H
#define DASHBOARD_AUTH_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_auth_prepare(vx_pg *pg);
void dashboard_auth_signup(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_login(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_refresh(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_logout(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_accept_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
