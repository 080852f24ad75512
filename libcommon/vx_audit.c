/*
 * vx_audit: one insert into audit_log (see vx_audit.h).
 */
#include "vx_audit.h"

#include <string.h>

#include "vx_log.h"

#define STMT_RECORD "vx_audit_record"

bool vx_audit_action_valid(const char *action)
{
    size_t n = action != NULL ? strlen(action) : 0;
    if (n == 0 || n > VX_AUDIT_ACTION_MAX)
        return false;
    /* Segments of [a-z][a-z_]*, at least two, joined by single dots. */
    size_t segments = 0;
    for (size_t i = 0; i < n; i++) {
        char c = action[i];
        bool starts = i == 0 || action[i - 1] == '.';
        if (starts) {
            if (c < 'a' || c > 'z')
                return false;
            segments++;
        } else if (!((c >= 'a' && c <= 'z') || c == '_' || (c == '.' && i + 1 < n))) {
            return false;
        }
    }
    return segments >= 2;
}

void vx_audit_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_RECORD,
                  "INSERT INTO audit_log (org_id, actor_user_id, actor_role, action, target_type, target_id, details, request_id)"
                  " VALUES ($1::uuid, NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, COALESCE($7::jsonb, '{}'), NULLIF($8, ''))");
}

int vx_audit_record(vx_pg *pg, const vx_gateway_request *req, const char *action, const char *target_type, const char *target_id,
                    const char *details_json)
{
    return vx_audit_record_as(pg, req->request_id, req->auth->org_id, req->auth->user_id, req->auth->role, action, target_type,
                              target_id, details_json);
}

int vx_audit_record_as(vx_pg *pg, const char *request_id, const char *org_id, const char *user_id, const char *role,
                       const char *action, const char *target_type, const char *target_id, const char *details_json)
{
    /* A programming mistake, not the database's: said here, where it is plain. */
    if (!vx_audit_action_valid(action)) {
        vx_log_error(request_id, org_id, "audit entry refused: not an action name", "action", action);
        return -1;
    }
    const char *params[8] = {org_id, user_id, role, action, target_type, target_id, details_json, request_id};
    PGresult *res = vx_pg_exec(pg, STMT_RECORD, 8, params);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}
