/*
 * audit: one keyset page of the audit log (see audit.h).
 */
#include "audit.h"

#include <limits.h>
#include <stdio.h>

#include "vx_access.h"
#include "vx_audit.h"
#include "vx_query.h"

#define LIST_DEFAULT 50
#define LIST_MAX     200

void dashboard_audit_prepare(vx_pg *pg)
{
    /* One more row than the page ($4 + 1) tells whether another page follows:
     * the page is the first $4, and the next starts before its last id. */
    vx_pg_prepare(pg, "audit_list",
                  "SELECT coalesce(json_agg(json_build_object('id', id, 'action', action, 'actor_user_id', actor_user_id,"
                  " 'actor_role', actor_role, 'target_type', target_type, 'target_id', target_id, 'details', details,"
                  " 'created_at', created_at) ORDER BY id DESC) FILTER (WHERE n <= $4::int), '[]')::text,"
                  " CASE WHEN count(*) > $4::int THEN min(id) FILTER (WHERE n <= $4::int) END"
                  " FROM (SELECT *, row_number() OVER (ORDER BY id DESC) AS n FROM audit_log"
                  " WHERE org_id = $1::uuid AND ($2::bigint IS NULL OR id < $2::bigint) AND ($3::text IS NULL OR action = $3)"
                  " ORDER BY id DESC LIMIT $4::int + 1) e");
}

void dashboard_audit_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    long limit = LIST_DEFAULT, before = 0;
    char action[VX_AUDIT_ACTION_MAX + 8];
    const char *q = req->query;
    vx_query_status bs = vx_query_long(q, "before", 1, LONG_MAX, &before);
    vx_query_status as = vx_query_get(q, "action", action, sizeof action);
    if (vx_query_long(q, "limit", 1, LIST_MAX, &limit) == VX_QUERY_INVALID || bs == VX_QUERY_INVALID || as == VX_QUERY_INVALID ||
        (as == VX_QUERY_OK && !vx_audit_action_valid(action))) {
        vx_rpc_reply_error(reply, 400, "invalid_query",
                           "limit must be between 1 and 200, before an entry id, action an action name such as service.created.");
        return;
    }
    char limit_s[24], before_s[24];
    snprintf(limit_s, sizeof limit_s, "%ld", limit);
    snprintf(before_s, sizeof before_s, "%ld", before);
    const char *params[4] = {req->auth->org_id, bs == VX_QUERY_OK ? before_s : NULL, as == VX_QUERY_OK ? action : NULL, limit_s};
    PGresult *res = vx_access_read_as_org(pg, req, "audit_list", 4, params, reply);
    if (res == NULL)
        return;
    reply->status = 200;
    reply->content_type = "application/json";
    vx_buf_printf(&reply->body, "{\"entries\":%s,\"next_before\":%s}", PQgetvalue(res, 0, 0),
                  PQgetisnull(res, 0, 1) ? "null" : PQgetvalue(res, 0, 1));
    PQclear(res);
}
