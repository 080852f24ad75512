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
 * dashboard_audit_record writes one entry inside the caller's open
 * transaction (vx_pg_begin_org), so it commits or rolls back with the change
 * it records. Actions are "<thing>.<verb>" ("service.created",
 * "settings.notifications.updated", "contact.erased"); details name ids and
 * field names, never a person's phone, email, name or words.
 */
#ifndef DASHBOARD_AUDIT_H
#define DASHBOARD_AUDIT_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_audit_prepare(vx_pg *pg);

/* Adds the entry for req's user: action, what it touched (target_type and
 * target_id, either may be NULL) and details (a JSON object's text, or
 * NULL). Returns 0, or -1 when the write failed (the caller rolls back and
 * answers as for its own failed write). */
int dashboard_audit_record(vx_pg *pg, const vx_gateway_request *req, const char *action, const char *target_type,
                           const char *target_id, const char *details_json);

/* The same for a request that carries no token (sign-up, sign-in, an
 * accepted invitation): the org and actor are the ones just authenticated. */
int dashboard_audit_record_as(vx_pg *pg, const vx_gateway_request *req, const char *org_id, const char *user_id, const char *role,
                              const char *action, const char *target_type, const char *target_id, const char *details_json);

void dashboard_audit_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
