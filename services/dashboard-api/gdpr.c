/*
 * gdpr: PostgreSQL builds the export in one statement over named columns,
 * and the erasure is one transaction of a statement per table, each under
 * the org's claims (row-level security) and naming org_id. The contact's
 * calls are found once, when the contact's row is locked, and every later
 * statement works on those ids: scrubbing a call removes the number it was
 * found by. parked_messages is not readable by the services' role: two
 * SECURITY DEFINER functions of migration 0016 read and delete the
 * contact's rows there. See gdpr.h for what each answer holds.
 */
#include "gdpr.h"

#include <stdio.h>
#include <string.h>

#include "vx_access.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_validate.h"

/* The largest export answered: the reply travels as one NATS message, and
 * the suite's servers take 8 MB (deploy/local/infra.sh, max_payload). */
#define EXPORT_MAX_BYTES (6 * 1024 * 1024)

#define STMT_EXPORT      "gdpr_export"
#define STMT_LOCK        "gdpr_erase_lock"
#define STMT_PARKED      "gdpr_erase_parked"
#define STMT_TOOL_CALLS  "gdpr_erase_tool_calls"
#define STMT_OUTBOX      "gdpr_erase_outbox"
#define STMT_APPOINTMENT "gdpr_erase_appointments"
#define STMT_CALLS       "gdpr_erase_calls"
#define STMT_CONTACT     "gdpr_erase_contact"

/* Every column of each table, by name; left out: org_id (the document's
 * own), appointments.blocks (starts_at .. ends_at + buffer_minutes again). */
#define CONTACT_COLUMNS                                                                                                            \
    "id, first_name, last_name, phone, email, lead_status, lead_score, lead_tier, notes, last_contacted_at, created_at, "          \
    "updated_at"
#define CALL_COLUMNS                                                                                                               \
    "id, vapi_call_id, call_sid, contact_id, assistant_id, phone_number_id, call_type, status, phone_number, from_number, "        \
    "to_number, caller_name, duration_seconds, total_cost, outcome, outcome_summary, transcript, recording_url, "                  \
    "stereo_recording_url, recording_status, ended_reason, sentiment, sentiment_label, sentiment_score, sentiment_summary, "       \
    "sentiment_urgency, sentiment_source, success_evaluation, booking_confirmed, financial_value, lead_score, lead_tier, "         \
    "lead_score_reasons, hang_count, started_at, ended_at, metadata, transfer_to, transfer_reason, transfer_time, created_at, "    \
    "updated_at"
#define APPOINTMENT_COLUMNS                                                                                                        \
    "id, contact_id, service_id, service_name, starts_at, ends_at, buffer_minutes, status, vapi_call_id, tool_call_id, notes, "    \
    "google_event_id, confirmation_sent, created_at, updated_at"
#define TOOL_CALL_COLUMNS "tool_call_id, tool_name, vapi_call_id, is_error, result_text, extra, created_at, updated_at"
#define OUTBOX_COLUMNS    "id, job_key, subject, encode(payload, 'base64') AS payload_base64, created_at, updated_at, published_at"
#define AUDIT_COLUMNS     "id, action, actor_user_id, actor_role, target_type, target_id, details, request_id, created_at, updated_at"

/* An outbox job (alias w) is the contact's when its key or payload (a
 * protobuf: strings are stored as they are) holds one of needles' values:
 * a call id of theirs, their id, number or e-mail. Values under 8
 * characters are no evidence (E.164 numbers have at least 8). */
#define OUTBOX_MATCH(needles)                                                                                                      \
    "EXISTS (SELECT 1 FROM (" needles ") AS n (x) WHERE length(n.x) >= 8 AND "                                                     \
    "(position(convert_to(n.x, 'UTF8') IN w.payload) > 0 OR strpos(w.job_key, n.x) > 0))"

/* A JSON array of the rows of a select (alias r), in order. */
#define ROWS(select, order) "(SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY " order "), '[]'::jsonb) FROM (" select ") AS r)"

/* The export's parts; $1 org, $2 contact id, k the contact, calls their calls. */
#define EXPORT_CALLS                                                                                                               \
    ROWS("SELECT " CALL_COLUMNS " FROM call_logs WHERE org_id = $1::uuid AND id IN (SELECT id FROM calls)", "r.created_at, r.id")
#define APPOINTMENTS_OF_CONTACT "appointments WHERE org_id = $1::uuid AND contact_id = $2::uuid"
#define EXPORT_APPOINTMENTS     ROWS("SELECT " APPOINTMENT_COLUMNS " FROM " APPOINTMENTS_OF_CONTACT, "r.starts_at, r.id")
#define EXPORT_TOOL_CALLS                                                                                                          \
    ROWS("SELECT " TOOL_CALL_COLUMNS                                                                                               \
         " FROM tool_calls WHERE org_id = $1::uuid AND vapi_call_id IN (SELECT vapi_call_id FROM calls)",                          \
         "r.created_at, r.tool_call_id")
#define EXPORT_NEEDLES "SELECT vapi_call_id FROM calls UNION ALL SELECT unnest(ARRAY[k.id::text, k.phone::text, k.email])"
#define EXPORT_OUTBOX                                                                                                              \
    ROWS("SELECT " OUTBOX_COLUMNS " FROM work_outbox w WHERE w.org_id = $1::uuid AND " OUTBOX_MATCH(EXPORT_NEEDLES), "r.id")
#define EXPORT_AUDIT                                                                                                               \
    ROWS("SELECT " AUDIT_COLUMNS " FROM audit_log WHERE org_id = $1::uuid AND target_type = 'contact' AND target_id = $2::text",   \
         "r.id")

/* No row: no such contact in the org. */
static const char EXPORT_SQL[] =
    "WITH k AS (SELECT " CONTACT_COLUMNS " FROM contacts WHERE org_id = $1::uuid AND id = $2::uuid), "
    "calls AS MATERIALIZED (SELECT id, vapi_call_id FROM gdpr_contact_calls($1::uuid, $2::uuid)) "
    "SELECT jsonb_build_object('exported_at', now(), 'org_id', $1::uuid, 'contact_id', k.id, 'contact', to_jsonb(k), "
    "'calls', " EXPORT_CALLS ", 'appointments', " EXPORT_APPOINTMENTS ", 'tool_calls', " EXPORT_TOOL_CALLS ", "
    "'outbox_jobs', " EXPORT_OUTBOX ", 'parked_messages', gdpr_parked_messages($1::uuid, $2::uuid), "
    "'audit_log', " EXPORT_AUDIT ")::text FROM k";

/* What an erased call keeps of its metadata: webhook-ingest's figures
 * (call_report.c, report.c), never its words, the caller's raw number,
 * the assistant's structured data, or anything Vapi sent that is not listed. */
#define KEPT_METADATA                                                                                                              \
    "jsonb_strip_nulls(jsonb_build_object('source', metadata -> 'source', 'endedReason', metadata -> 'endedReason', "              \
    "'successEvaluation', CASE WHEN jsonb_typeof(metadata -> 'successEvaluation') IN ('boolean', 'number') "                       \
    "THEN metadata -> 'successEvaluation' END, "                                                                                   \
    "'sentimentAnalysis', CASE WHEN jsonb_typeof(metadata -> 'sentimentAnalysis') = 'object' THEN jsonb_build_object("             \
    "'label', metadata #> '{sentimentAnalysis,label}', 'score', metadata #> '{sentimentAnalysis,score}', "                         \
    "'urgency', metadata #> '{sentimentAnalysis,urgency}') END, "                                                                  \
    "'redactions', CASE WHEN jsonb_typeof(metadata -> 'redactions') = 'object' THEN metadata -> 'redactions' END, "                \
    "'erased', true))"

/* The erasure's parameters, in the order of these indices. */
enum { P_ORG, P_CONTACT, P_PHONE, P_EMAIL, P_CALL_IDS, P_VAPI_IDS, P_COUNT };

/* One statement of the erasure after the lock: its parameters (indices
 * above) and the name of its count in the answer and the audit entry. */
static const struct {
    const char *stmt;
    const char *count;
    int nparams;
    int params[5];
} STEPS[] = {
    /* First, while the contact and their calls' numbers still say whose rows are whose. */
    {STMT_PARKED, "parked_messages_deleted", 2, {P_ORG, P_CONTACT}},
    {STMT_OUTBOX, "outbox_jobs_deleted", 5, {P_ORG, P_VAPI_IDS, P_CONTACT, P_PHONE, P_EMAIL}},
    {STMT_TOOL_CALLS, "tool_calls_cleared", 2, {P_ORG, P_VAPI_IDS}},
    {STMT_APPOINTMENT, "appointments_anonymised", 2, {P_ORG, P_CONTACT}},
    {STMT_CALLS, "calls_cleared", 3, {P_ORG, P_CALL_IDS, P_PHONE}},
    /* Last: nothing references the contact any more, nothing cascades. */
    {STMT_CONTACT, NULL, 2, {P_ORG, P_CONTACT}},
};
#define NSTEPS (sizeof(STEPS) / sizeof(STEPS[0]))

void dashboard_gdpr_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_EXPORT, EXPORT_SQL);
    /* The contact's row locked (no booking or call can be linked to it until
     * we commit), with their number, e-mail and calls as array literals. */
    vx_pg_prepare(pg, STMT_LOCK,
                  "SELECT k.phone::text, k.email, c.ids::text, c.vapi_ids::text FROM contacts k, "
                  "LATERAL (SELECT coalesce(array_agg(g.id), '{}') AS ids, coalesce(array_agg(g.vapi_call_id), '{}') AS vapi_ids "
                  "FROM gdpr_contact_calls($1::uuid, $2::uuid) g) c "
                  "WHERE k.org_id = $1::uuid AND k.id = $2::uuid FOR UPDATE OF k");
    vx_pg_prepare(pg, STMT_PARKED, "SELECT gdpr_erase_parked_messages($1::uuid, $2::uuid)");
    vx_pg_prepare(pg, STMT_OUTBOX,
                  "DELETE FROM work_outbox w WHERE w.org_id = $1::uuid AND " OUTBOX_MATCH(
                      "SELECT unnest($2::text[] || ARRAY[$3::text, $4::text, $5::text])"));
    /* The ledger's rows stay (a repeated toolCallId must still not run its
     * tool again, and tool-router refuses a row without an answer). */
    vx_pg_prepare(pg, STMT_TOOL_CALLS,
                  "UPDATE tool_calls SET result_text = '[erased]', extra = NULL "
                  "WHERE org_id = $1::uuid AND vapi_call_id = ANY ($2::text[])");
    vx_pg_prepare(pg, STMT_APPOINTMENT,
                  "UPDATE appointments SET contact_id = NULL, notes = NULL WHERE org_id = $1::uuid AND contact_id = $2::uuid");
    /* The clinic's numbers stay (to_number of an inbound call, from_number of
     * an outbound one), unless they are the contact's. */
    vx_pg_prepare(pg, STMT_CALLS,
                  "UPDATE call_logs SET contact_id = NULL, phone_number = NULL, "
                  "from_number = CASE WHEN call_type = 'outbound' AND from_number IS DISTINCT FROM $3::text THEN from_number END, "
                  "to_number = CASE WHEN call_type <> 'outbound' AND to_number IS DISTINCT FROM $3::text THEN to_number END, "
                  "caller_name = NULL, transcript = NULL, outcome_summary = NULL, sentiment_summary = NULL, "
                  "success_evaluation = NULL, transfer_reason = NULL, recording_url = NULL, stereo_recording_url = NULL, "
                  "metadata = " KEPT_METADATA " WHERE org_id = $1::uuid AND id = ANY ($2::uuid[])");
    vx_pg_prepare(pg, STMT_CONTACT, "DELETE FROM contacts WHERE org_id = $1::uuid AND id = $2::uuid");
}

dashboard_gdpr_delete_kind dashboard_gdpr_delete_query(const char *query)
{
    if (query == NULL || query[0] == '\0')
        return DASHBOARD_GDPR_PLAIN_DELETE;
    /* One parameter, erase, exactly true or false. */
    char value[8];
    if (strchr(query, '&') != NULL || vx_query_get(query, "erase", value, sizeof(value)) != VX_QUERY_OK)
        return DASHBOARD_GDPR_BAD_QUERY;
    if (strcmp(value, "true") == 0)
        return DASHBOARD_GDPR_ERASE;
    if (strcmp(value, "false") == 0)
        return DASHBOARD_GDPR_PLAIN_DELETE;
    return DASHBOARD_GDPR_BAD_QUERY;
}

/* A statement that failed: logged (statement and PostgreSQL's one-line
 * message, which holds no values), rolled back, answered. */
static void failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, const char *what, vx_rpc_reply *reply)
{
    vx_log_error(req->request_id, req->auth->org_id, "gdpr statement failed", "statement", stmt, "sqlstate", vx_pg_sqlstate(pg),
                 "error", vx_pg_error(pg));
    bool transient = vx_pg_error_is_transient(pg);
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal", what);
}

void dashboard_gdpr_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    static const char what[] = "The contact's data could not be exported.";
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    const char *org = req->auth->org_id;
    const char *params[2] = {org, id};
    /* A transaction, not a read scope: the audit entry commits with the read. */
    PGresult *res = NULL;
    if (vx_pg_begin_org(pg, org) != 0 || (res = vx_pg_exec(pg, STMT_EXPORT, 2, params)) == NULL) {
        failed(pg, req, STMT_EXPORT, what, reply);
    } else if (PQntuples(res) == 0) {
        /* Another org's id is not found either: its existence is not ours to tell. */
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "not_found", "No contact with this id.");
    } else if (PQgetlength(res, 0, 0) > EXPORT_MAX_BYTES) {
        /* Years of long calls: more than one message can carry. Nothing was exported. */
        char size[24];
        snprintf(size, sizeof(size), "%d", PQgetlength(res, 0, 0));
        vx_log_warn(req->request_id, org, "GDPR export too large to answer", "contact_id", id, "bytes", size);
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 500, "export_too_large",
                           "This contact's data is too large to export in one document. Ask the operator for it.");
    } else if (vx_audit_record(pg, req, "contact.gdpr_export", "contact", id, NULL) != 0) {
        failed(pg, req, "audit_record", what, reply);
    } else if (vx_pg_commit(pg) != 0) {
        failed(pg, req, "COMMIT", what, reply);
    } else {
        vx_log_info(req->request_id, org, "contact exported (GDPR)", "contact_id", id);
        vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
        char disposition[80];
        snprintf(disposition, sizeof(disposition), "attachment; filename=\"contact-%s.json\"", id);
        vx_rpc_reply_header(reply, "content-disposition", disposition);
    }
    PQclear(res);
}

/* Runs the erasure's statements after the lock, writing each one's count
 * as "name":n into counts. Returns 0, or -1 with the failed statement in
 * *failed_stmt (the transaction is then to be rolled back). */
static int erase_rows(vx_pg *pg, const char *const p[P_COUNT], vx_buf *counts, const char **failed_stmt)
{
    for (size_t i = 0; i < NSTEPS; i++) {
        const char *params[5];
        for (int j = 0; j < STEPS[i].nparams; j++)
            params[j] = p[STEPS[i].params[j]];
        PGresult *res = vx_pg_exec(pg, STEPS[i].stmt, STEPS[i].nparams, params);
        if (res == NULL) {
            *failed_stmt = STEPS[i].stmt;
            return -1;
        }
        if (STEPS[i].count != NULL) {
            /* A function's answer, or the rows a statement changed. */
            const char *n = PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : PQcmdTuples(res);
            vx_buf_printf(counts, "%s\"%s\":%s", counts->len > 0 ? "," : "", STEPS[i].count, n[0] != '\0' ? n : "0");
        }
        PQclear(res);
    }
    return 0;
}

void dashboard_gdpr_erase(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    static const char what[] = "The contact could not be erased.";
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    /* The route admits staff (a plain delete); the erasure is the owner's. */
    if (!vx_access_token(req, VX_ROLE_OWNER, reply))
        return;
    const char *org = req->auth->org_id;
    const char *lock_params[2] = {org, id};
    PGresult *lock = NULL;
    if (vx_pg_begin_org(pg, org) != 0 || (lock = vx_pg_exec(pg, STMT_LOCK, 2, lock_params)) == NULL) {
        failed(pg, req, STMT_LOCK, what, reply);
        PQclear(lock);
        return;
    }
    if (PQntuples(lock) == 0) {
        /* Another org's id, or one erased already. */
        vx_pg_rollback(pg);
        PQclear(lock);
        vx_rpc_reply_error(reply, 404, "not_found", "No contact with this id.");
        return;
    }
    const char *p[P_COUNT] = {[P_ORG] = org,
                              [P_CONTACT] = id,
                              [P_PHONE] = vx_pg_value(lock, 0, 0),
                              [P_EMAIL] = vx_pg_value(lock, 0, 1),
                              [P_CALL_IDS] = vx_pg_value(lock, 0, 2),
                              [P_VAPI_IDS] = vx_pg_value(lock, 0, 3)};
    vx_buf counts = VX_BUF_INIT, details = VX_BUF_INIT;
    const char *failed_stmt = NULL;
    if (erase_rows(pg, p, &counts, &failed_stmt) != 0) {
        failed(pg, req, failed_stmt, what, reply);
    } else {
        /* Ids and counts only: nothing of who they were. */
        vx_buf_printf(&details, "{%s}", counts.data);
        if (vx_audit_record(pg, req, "contact.gdpr_erase", "contact", id, details.data) != 0) {
            failed(pg, req, "audit_record", what, reply);
        } else if (vx_pg_commit(pg) != 0) {
            failed(pg, req, "COMMIT", what, reply);
        } else {
            vx_log_info(req->request_id, org, "contact erased (GDPR)", "contact_id", id, "counts", details.data);
            vx_buf_reset(&reply->body);
            reply->status = 200;
            reply->content_type = "application/json";
            vx_buf_printf(&reply->body, "{\"erased\":true,\"id\":\"%s\",%s}", id, counts.data);
        }
    }
    PQclear(lock);
    vx_buf_free(&counts);
    vx_buf_free(&details);
}
