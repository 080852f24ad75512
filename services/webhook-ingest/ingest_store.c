/*
 * ingest_store: call_logs upserts, parked_messages inserts and purges (see ingest_store.h).
 *
 * The end-of-call report owns the final record: it sets every report column
 * and status/outcome 'completed'. Columns a status-update may have filled
 * first (ids, numbers, start time, caller name) are kept when the report
 * lacks them, through COALESCE, so either message may arrive first.
 * The status-update's ON CONFLICT branch only fires when its status ranks
 * higher than the stored one (array_position over the ordered list), so a
 * late or redelivered update is a no-op and does not even touch updated_at.
 *
 * Errors are sorted into "retry later" and "never going to work": connection
 * problems, SQLSTATE classes 08/40/53/57/58 and lock timeouts are transient;
 * constraint and data errors are permanent and the message gets parked.
 */
#include "ingest_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_REPORT "ingest_report_upsert"
#define STMT_STATUS "ingest_status_upsert"
#define STMT_PARK   "ingest_park"
#define STMT_PURGE  "ingest_purge_parked"

static const char REPORT_SQL[] =
    "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, assistant_id, phone_number_id, call_type,"
    " status, outcome, phone_number, from_number, to_number, caller_name, duration_seconds, total_cost,"
    " outcome_summary, transcript, recording_url, stereo_recording_url, ended_reason, sentiment,"
    " sentiment_label, sentiment_score, sentiment_summary, sentiment_urgency, success_evaluation,"
    " started_at, ended_at, metadata)"
    " VALUES ($1::uuid, $2::text, 'vapi-' || $2::text, $3::text, $4::text, $5::text,"
    " 'completed', 'completed', $6::e164, $6::e164, $7::e164, COALESCE($8::text, 'Unknown Caller'),"
    " $9::integer, $10::numeric, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text,"
    " $16::text, $17::double precision, $18::text, $19::text, $20::text,"
    " $21::timestamptz, $22::timestamptz, $23::jsonb)"
    " ON CONFLICT (vapi_call_id) DO UPDATE SET"
    " assistant_id = COALESCE(EXCLUDED.assistant_id, call_logs.assistant_id),"
    " phone_number_id = COALESCE(EXCLUDED.phone_number_id, call_logs.phone_number_id),"
    " call_type = EXCLUDED.call_type,"
    " status = 'completed', outcome = 'completed',"
    " phone_number = COALESCE(EXCLUDED.phone_number, call_logs.phone_number),"
    " from_number = COALESCE(EXCLUDED.from_number, call_logs.from_number),"
    " to_number = COALESCE(EXCLUDED.to_number, call_logs.to_number),"
    " caller_name = COALESCE($8::text, call_logs.caller_name, 'Unknown Caller'),"
    " duration_seconds = EXCLUDED.duration_seconds,"
    " total_cost = EXCLUDED.total_cost,"
    " outcome_summary = EXCLUDED.outcome_summary,"
    " transcript = EXCLUDED.transcript,"
    " recording_url = EXCLUDED.recording_url,"
    " stereo_recording_url = EXCLUDED.stereo_recording_url,"
    " ended_reason = COALESCE(EXCLUDED.ended_reason, call_logs.ended_reason),"
    " sentiment = EXCLUDED.sentiment,"
    " sentiment_label = EXCLUDED.sentiment_label,"
    " sentiment_score = EXCLUDED.sentiment_score,"
    " sentiment_summary = EXCLUDED.sentiment_summary,"
    " sentiment_urgency = EXCLUDED.sentiment_urgency,"
    " success_evaluation = EXCLUDED.success_evaluation,"
    " started_at = COALESCE(EXCLUDED.started_at, call_logs.started_at),"
    " ended_at = COALESCE(EXCLUDED.ended_at, call_logs.ended_at),"
    " metadata = call_logs.metadata || EXCLUDED.metadata";

/* The status order; 'completed' is only ever set by the report. */
#define STATUS_RANKS "ARRAY['queued','ringing','in-progress','forwarding','ended','completed']"

static const char STATUS_SQL[] =
    "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, assistant_id, phone_number_id, call_type,"
    " status, phone_number, from_number, to_number, caller_name, started_at, ended_at, ended_reason, metadata)"
    " VALUES ($1::uuid, $2::text, 'vapi-' || $2::text, $3::text, $4::text, $5::text, $6::text,"
    " $7::e164, $7::e164, $8::e164, COALESCE($9::text, 'Unknown Caller'), $10::timestamptz, $11::timestamptz,"
    " CASE WHEN $6::text = 'ended' THEN $12::text END, $13::jsonb)"
    " ON CONFLICT (vapi_call_id) DO UPDATE SET"
    " status = EXCLUDED.status,"
    " ended_reason = CASE WHEN EXCLUDED.status = 'ended'"
    " THEN COALESCE(call_logs.ended_reason, EXCLUDED.ended_reason) ELSE call_logs.ended_reason END,"
    " assistant_id = COALESCE(call_logs.assistant_id, EXCLUDED.assistant_id),"
    " phone_number_id = COALESCE(call_logs.phone_number_id, EXCLUDED.phone_number_id),"
    " phone_number = COALESCE(call_logs.phone_number, EXCLUDED.phone_number),"
    " from_number = COALESCE(call_logs.from_number, EXCLUDED.from_number),"
    " to_number = COALESCE(call_logs.to_number, EXCLUDED.to_number),"
    " caller_name = CASE WHEN call_logs.caller_name IS NULL OR call_logs.caller_name = 'Unknown Caller'"
    " THEN EXCLUDED.caller_name ELSE call_logs.caller_name END,"
    " started_at = COALESCE(call_logs.started_at, EXCLUDED.started_at),"
    " ended_at = COALESCE(call_logs.ended_at, EXCLUDED.ended_at)"
    " WHERE array_position(" STATUS_RANKS ", EXCLUDED.status) > array_position(" STATUS_RANKS ", call_logs.status)";

static const char PARK_SQL[] = "INSERT INTO parked_messages (reason, message_type, vapi_call_id, request_id, payload)"
                               " VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb) ON CONFLICT DO NOTHING";

static const char PURGE_SQL[] = "SELECT purge_parked_messages($1::integer, $2::integer)";

void ingest_store_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_REPORT, REPORT_SQL);
    vx_pg_prepare(pg, STMT_STATUS, STATUS_SQL);
    vx_pg_prepare(pg, STMT_PARK, PARK_SQL);
    vx_pg_prepare(pg, STMT_PURGE, PURGE_SQL);
}

ingest_store_result ingest_store_classify(const vx_pg *pg)
{
    return vx_pg_error_is_transient(pg) ? INGEST_STORE_TRANSIENT : INGEST_STORE_PERMANENT;
}

/* Runs one statement in the org's transaction and commits. */
static ingest_store_result exec_in_org(vx_pg *pg, const char *org_id, const char *stmt, int n, const char *const *params)
{
    if (vx_pg_begin_org(pg, org_id) != 0) {
        ingest_store_result r = ingest_store_classify(pg);
        vx_pg_rollback(pg);
        return r;
    }
    PGresult *res = vx_pg_exec(pg, stmt, n, params);
    if (!res) {
        ingest_store_result r = ingest_store_classify(pg);
        vx_pg_rollback(pg);
        return r;
    }
    PQclear(res);
    if (vx_pg_commit(pg) != 0) {
        ingest_store_result r = ingest_store_classify(pg);
        vx_pg_rollback(pg);
        return r;
    }
    return INGEST_STORE_OK;
}

ingest_store_result ingest_store_report(vx_pg *pg, const char *org_id, const ingest_call *c)
{
    char duration[24], cost[48], score[48];
    snprintf(duration, sizeof duration, "%ld", c->duration_seconds);
    snprintf(cost, sizeof cost, "%.6f", c->total_cost);
    snprintf(score, sizeof score, "%.17g", c->sentiment_score);
    const char *params[23] = {
        org_id,
        c->vapi_call_id,
        c->assistant_id,
        c->phone_number_id,
        c->call_type,
        c->caller_number,
        c->to_number,
        c->caller_name_given ? c->caller_name : NULL,
        c->has_duration ? duration : NULL,
        c->has_total_cost ? cost : NULL,
        c->outcome_summary,
        c->transcript,
        c->recording_url,
        c->stereo_recording_url,
        c->ended_reason,
        c->sentiment,
        c->has_sentiment_score ? score : NULL,
        c->sentiment_summary,
        c->sentiment_urgency,
        c->success_evaluation,
        c->has_started_at ? c->started_at : NULL,
        c->has_ended_at ? c->ended_at : NULL,
        c->metadata_json ? c->metadata_json : "{}",
    };
    return exec_in_org(pg, org_id, STMT_REPORT, 23, params);
}

ingest_store_result ingest_store_status(vx_pg *pg, const char *org_id, const ingest_call *c)
{
    const char *params[13] = {
        org_id,
        c->vapi_call_id,
        c->assistant_id,
        c->phone_number_id,
        c->call_type,
        c->status,
        c->caller_number,
        c->to_number,
        c->caller_name_given ? c->caller_name : NULL,
        c->has_started_at ? c->started_at : NULL,
        c->has_ended_at ? c->ended_at : NULL,
        c->ended_reason,
        c->metadata_json ? c->metadata_json : "{}",
    };
    return exec_in_org(pg, org_id, STMT_STATUS, 13, params);
}

ingest_store_result ingest_store_park(vx_pg *pg, const char *reason, const char *message_type, const char *vapi_call_id,
                                      const char *request_id, const char *payload_json)
{
    const char *params[5] = {reason, message_type, vapi_call_id, request_id, payload_json};
    PGresult *res = vx_pg_exec(pg, STMT_PARK, 5, params);
    if (!res)
        return ingest_store_classify(pg);
    PQclear(res);
    return INGEST_STORE_OK;
}

ingest_store_result ingest_store_purge_parked(vx_pg *pg, long keep_days, long max_rows, long *deleted)
{
    char days[24], rows[24];
    snprintf(days, sizeof days, "%ld", keep_days);
    snprintf(rows, sizeof rows, "%ld", max_rows);
    const char *params[2] = {days, rows};
    *deleted = 0;
    PGresult *res = vx_pg_exec(pg, STMT_PURGE, 2, params);
    if (!res)
        return ingest_store_classify(pg);
    const char *n = PQntuples(res) == 1 ? vx_pg_value(res, 0, 0) : NULL;
    *deleted = n ? strtol(n, NULL, 10) : 0;
    PQclear(res);
    return INGEST_STORE_OK;
}
