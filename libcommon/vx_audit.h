/*
 * vx_audit: the one writer of the organization's audit log (table
 * audit_log, migrations/0014), for every service that changes an org's
 * data on its owner's behalf: dashboard-api, credential-vault, rag-search.
 * The owner reads the entries through dashboard-api's GET /api/audit.
 *
 * An entry is written inside the caller's open transaction (vx_pg_begin_org
 * for the org it names), so it commits or rolls back with the change it
 * records: an entry exists exactly when the change does. Actions are
 * "<thing>.<verb>" ("service.created", "knowledge_base.document_added");
 * details are a JSON object naming ids, kinds and field names, never a
 * person's phone, email, name or words (nor a document's content).
 */
#ifndef VX_AUDIT_H
#define VX_AUDIT_H

#include <stdbool.h>

#include "vx_pg.h"
#include "vx_rpc.h"

/* The longest action name the table takes. */
#define VX_AUDIT_ACTION_MAX 64

/* True when action is a name the table's CHECK accepts: at most
 * VX_AUDIT_ACTION_MAX characters matching ^[a-z][a-z_]*(\.[a-z][a-z_]*)+$. */
bool vx_audit_action_valid(const char *action);

/* Registers the insert on pg (once per vx_pg). */
void vx_audit_prepare(vx_pg *pg);

/* Adds the entry for req's signed-in user (the org, user id and role of
 * req->auth, the request id): action, what it touched (target_type and
 * target_id, either may be NULL) and details (a JSON object's text, or NULL
 * for {}). Returns 0, or -1 when the write failed — an action name the
 * table would refuse is refused here (logged); a database failure is kept
 * for vx_pg_error / vx_pg_sqlstate, and the caller rolls back and answers
 * as for its own failed write. */
int vx_audit_record(vx_pg *pg, const vx_gateway_request *req, const char *action, const char *target_type, const char *target_id,
                    const char *details_json);

/* The same for an org and actor named otherwise: a request that carries no
 * token (sign-up, sign-in, an accepted invitation: the ones just
 * authenticated) or a change no signed-in user made (user_id and role NULL
 * or ""). request_id may be NULL. */
int vx_audit_record_as(vx_pg *pg, const char *request_id, const char *org_id, const char *user_id, const char *role,
                       const char *action, const char *target_type, const char *target_id, const char *details_json);

#endif
