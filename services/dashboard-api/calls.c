/*
 * calls: PostgreSQL builds the JSON (json_agg / row_to_json over the selected
 * columns), so a page of calls is one round trip and no per-row C formatting.
 *
 * Both answers name their columns: a column added to call_logs later (a
 * secret, internal bookkeeping) reaches the dashboard only when it is added
 * here on purpose. Left out on purpose: org_id (the caller's own), call_sid
 * (a placeholder), assistant_id and phone_number_id (Vapi's routing ids).
 */
#include "calls.h"

#include <stdio.h>
#include <string.h>

#include "vx_access.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_validate.h"

/* The list leaves out the transcript and metadata: they are for the detail view. */
#define LIST_COLUMNS                                                                                                               \
    "id, vapi_call_id, call_type, status, phone_number, from_number, to_number, caller_name, duration_seconds, "                   \
    "total_cost, outcome, outcome_summary, recording_url, ended_reason, sentiment, sentiment_score, started_at, ended_at, "        \
    "created_at"

/* The detail: the list's columns, the transcript and the rest of the call. */
#define DETAIL_COLUMNS                                                                                                             \
    LIST_COLUMNS ", contact_id, transcript, stereo_recording_url, sentiment_label, sentiment_summary, sentiment_urgency, "         \
                 "success_evaluation, metadata, transfer_to, transfer_reason, transfer_time, updated_at"

static const char *const STATUSES[] = {"queued", "ringing", "in-progress", "forwarding", "ended", "completed"};

void dashboard_calls_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, "calls_list",
                  "SELECT coalesce(json_agg(c), '[]'::json)::text, (SELECT count(*) FROM call_logs "
                  "  WHERE org_id = $1 AND ($2::text IS NULL OR status = $2)) "
                  "FROM (SELECT " LIST_COLUMNS " FROM call_logs WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) "
                  "      ORDER BY created_at DESC, id LIMIT $3 OFFSET $4) c");
    vx_pg_prepare(pg, "calls_get",
                  "SELECT row_to_json(c)::text FROM (SELECT " DETAIL_COLUMNS " FROM call_logs WHERE org_id = $1 AND id = $2) c");
}

void dashboard_calls_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    long page = 1, limit = 20;
    char status[32];
    const char *q = req->query;
    if (vx_query_long(q, "page", 1, 100000, &page) == VX_QUERY_INVALID ||
        vx_query_long(q, "limit", 1, 100, &limit) == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "page must be a positive integer and limit between 1 and 100.");
        return;
    }
    vx_query_status st = vx_query_get(q, "status", status, sizeof(status));
    bool known = false;
    for (size_t i = 0; st == VX_QUERY_OK && i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        known = known || strcmp(status, STATUSES[i]) == 0;
    if (st == VX_QUERY_INVALID || (st == VX_QUERY_OK && !known)) {
        vx_rpc_reply_error(reply, 400, "invalid_query",
                           "status must be one of queued, ringing, in-progress, forwarding, ended, completed.");
        return;
    }
    char limit_s[16], offset_s[24];
    snprintf(limit_s, sizeof(limit_s), "%ld", limit);
    snprintf(offset_s, sizeof(offset_s), "%ld", (page - 1) * limit);
    const char *params[4] = {req->auth->org_id, st == VX_QUERY_OK ? status : NULL, limit_s, offset_s};
    PGresult *res = vx_access_read_as_org(pg, req, "calls_list", 4, params, reply);
    if (res == NULL)
        return;
    reply->status = 200;
    reply->content_type = "application/json";
    vx_buf_printf(&reply->body, "{\"calls\":%s,\"pagination\":{\"page\":%ld,\"limit\":%ld,\"total\":%s}}", PQgetvalue(res, 0, 0),
                  page, limit, PQgetvalue(res, 0, 1));
    PQclear(res);
}

void dashboard_calls_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_param(req, "id");
    if (id == NULL || !vx_is_uuid(id, strlen(id))) {
        vx_rpc_reply_error(reply, 400, "invalid_id", "The id in the path must be a UUID.");
        return;
    }
    const char *params[2] = {req->auth->org_id, id};
    PGresult *res = vx_access_read_as_org(pg, req, "calls_get", 2, params, reply);
    if (res == NULL)
        return;
    if (PQntuples(res) == 0)
        vx_rpc_reply_error(reply, 404, "not_found", "No call with this id.");
    else
        vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}
