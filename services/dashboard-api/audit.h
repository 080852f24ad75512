/*
 * audit: the organization's audit log (table audit_log, migration 0014).
 *
 *   GET /api/audit   owners only: newest first, `limit` (1..200, default 50),
 *                    `before` (an entry id: the page after it), `action`
 *                    (one action name); answers
 *                    {"entries":[{id, action, actor_user_id, actor_role,
 *                    target_type, target_id, details, created_at}],
 *                    "next_before": <id or null>}.
 *
 * Entries are written by libcommon/vx_audit.h, here and in the other
 * services (credential-vault's integrations, rag-search's knowledge base),
 * each inside the transaction of the change it records; this module only
 * reads them.
 */
#ifndef DASHBOARD_AUDIT_H
#define DASHBOARD_AUDIT_H

#include "vx_pg.h"
#include "vx_rpc.h"

/* Registers the list statement on pg. */
void dashboard_audit_prepare(vx_pg *pg);

void dashboard_audit_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
