/*
 * contact_call: a call-back to a contact: a Vapi outbound call (in progress).
 */
#ifndef DASHBOARD_CONTACT_CALL_H
#define DASHBOARD_CONTACT_CALL_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_contact_call_prepare(vx_pg *pg);
void dashboard_contacts_call(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
