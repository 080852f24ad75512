/*
 * audit: one insert, one keyset page (see audit.h).
 */
#include "audit.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vx_access.h"
#include "vx_query.h"

#define LIST_DEFAULT 50
#define LIST_MAX     200

void dashboard_audit_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, "audit_record",
                  "INSERT INTO audit_log (org_id, actor_user_id, actor_role, action, target_type, target_id, details, request_id)"
                  " VALUES ($1::uuid, NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, COALESCE($7::jsonb, '{}'), NULLIF($8, ''))");
    /* One more row than the page, to know whether another page follows. */
    vx_pg_prepare(pg, "audit_list",
                  "SELECT coalesce(json_agg(e ORDER BY e.id DESC), '[]')::text FROM ("
                  " SELECT id, action, actor_user_id, actor_role, target_type, target_id, details, created_at FROM audit_log"
                  " WHERE org_id = $1::uuid AND ($2::bigint IS NULL OR id < $2::bigint) AND ($3::text IS NULL OR action = $3)"
                  " ORDER BY id DESC LIMIT $4::int) e");
}

int dashboard_audit_record(vx_pg *pg, const vx_gateway_request *req, const char *action, const char *target_type,
                           const char *target_id, const char *details_json)
{
    const char *params[8] = {req->auth->org_id, req->auth->user_id, req->auth->role, action,
                             target_type,       target_id,          details_json,    req->request_id};
    PGresult *res = vx_pg_exec(pg, "audit_record", 8, params);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

/* True when s is an action name as the table allows it ("thing.verb"). */
static bool action_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || strchr(s, '.') == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || s[i] == '.'))
            return false;
    return s[0] != '.' && s[n - 1] != '.' && strstr(s, "..") == NULL;
}

void dashboard_audit_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    long limit = LIST_DEFAULT, before = 0;
    char action[72];
    const char *q = req->query;
    vx_query_status bs = vx_query_long(q, "before", 1, LONG_MAX, &before);
    vx_query_status as = vx_query_get(q, "action", action, sizeof action);
    if (vx_query_long(q, "limit", 1, LIST_MAX, &limit) == VX_QUERY_INVALID || bs == VX_QUERY_INVALID || as == VX_QUERY_INVALID ||
        (as == VX_QUERY_OK && !action_ok(action))) {
        vx_rpc_reply_error(reply, 400, "invalid_query",
                           "limit must be between 1 and 200, before an entry id, action an action name such as service.created.");
        return;
    }
    char limit_s[24], before_s[24];
    snprintf(limit_s, sizeof limit_s, "%ld", limit + 1);
    snprintf(before_s, sizeof before_s, "%ld", before);
    const char *params[4] = {req->auth->org_id, bs == VX_QUERY_OK ? before_s : NULL, as == VX_QUERY_OK ? action : NULL, limit_s};
    PGresult *res = vx_access_read_as_org(pg, req, "audit_list", 4, params, reply);
    if (res == NULL)
        return;
    /* The extra row tells that a next page exists; it is cut here, and the
     * last id shown is where the next page starts. */
    cJSON *entries = cJSON_Parse(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (!cJSON_IsArray(entries)) {
        cJSON_Delete(entries);
        vx_rpc_reply_error(reply, 500, "internal", "The audit log could not be read.");
        return;
    }
    cJSON *next = cJSON_CreateNull();
    if (cJSON_GetArraySize(entries) > limit) {
        cJSON_DeleteItemFromArray(entries, (int)limit);
        cJSON *last = cJSON_GetArrayItem(entries, (int)limit - 1);
        cJSON_Delete(next);
        next = cJSON_Duplicate(cJSON_GetObjectItem(last, "id"), false);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "entries", entries);
    cJSON_AddItemToObject(root, "next_before", next);
    vx_rpc_reply_cjson(reply, 200, root);
}
