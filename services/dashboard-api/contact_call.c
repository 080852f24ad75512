/*
 * contact_call: see contact_call.h.
 *
 * One transaction from the look-up to the record, holding the contact's row
 * (FOR NO KEY UPDATE) while Vapi is asked: a second request for the same
 * contact waits for it, then sees the first call's row and is refused. So
 * the guard holds across workers and replicas without a table of its own,
 * and a call Vapi refused leaves nothing behind (rolled back). The wait is
 * bounded by the Vapi timeout; other contacts are not held up, and the
 * row's key is not locked, so webhook-ingest may still link calls to it.
 *
 * The record is an upsert on vapi_call_id, as webhook-ingest writes: Vapi
 * may send the call's first status-update before its answer to POST /call
 * reaches us, and then the row exists already; this fills in what the
 * webhook does not know (the contact) and keeps what it wrote. The columns
 * follow webhook-ingest's mapping (phone_number and from_number the
 * customer's number, to_number the org's number, caller_name the name Vapi
 * was given), so its later upserts agree with ours.
 */
#include "contact_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vx_audit.h"
#include "vx_json.h"
#include "vx_log.h"
#include "vx_time.h"
#include "vx_validate.h"

#define STMT_TARGET "contact_call_target"
#define STMT_GUARD  "contact_call_guard"
#define STMT_RECORD "contact_call_record"

#define STR(x)            #x
#define XSTR(x)           STR(x)
#define GUARD_S           XSTR(CONTACT_CALL_GUARD_S)
#define CUSTOMER_NAME_MAX XSTR(VX_VAPI_API_CUSTOMER_NAME_MAX)

/* Time kept for the database work after Vapi's answer, within the gateway's deadline. */
#define DEADLINE_MARGIN_MS 1000
/* Less than this left for Vapi: not worth asking. */
#define MIN_VAPI_MS 200

static vx_vapi_api_config VAPI; /* set once by main.c before any worker starts; read-only after */

void dashboard_contact_call_configure(const vx_vapi_api_config *vapi)
{
    VAPI = *vapi;
}

/* $1 org, $2 contact: the contact, its row held until the transaction ends,
 * and the org's agent: the first with both an assistant and a number, else
 * the first (to say what it lacks). */
static const char TARGET_SQL[] =
    "SELECT c.phone::text, left(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), " CUSTOMER_NAME_MAX "), "
    "a.vapi_assistant_id, a.vapi_phone_number_id, a.phone_number::text "
    "FROM contacts c LEFT JOIN LATERAL (SELECT vapi_assistant_id, vapi_phone_number_id, phone_number FROM agents "
    "WHERE org_id = $1::uuid "
    "ORDER BY (vapi_assistant_id IS NOT NULL AND vapi_phone_number_id IS NOT NULL) DESC, created_at, id LIMIT 1) a ON true "
    "WHERE c.org_id = $1::uuid AND c.id = $2::uuid FOR NO KEY UPDATE OF c";

/* $1 org, $2 contact: the double-dial guard, through call_logs_org_contact_idx.
 * A statement of its own, run once the contact's row is held: under READ
 * COMMITTED its snapshot is taken after the wait, so it sees the call a
 * request that held the row before committed (in TARGET_SQL's own snapshot,
 * taken before the wait, that call would not exist yet). */
static const char GUARD_SQL[] =
    "SELECT EXISTS (SELECT 1 FROM call_logs WHERE org_id = $1::uuid AND contact_id = $2::uuid AND call_type = 'outbound' "
    "AND status IN ('queued', 'ringing', 'in-progress', 'forwarding') "
    "AND created_at > now() - interval '" GUARD_S " seconds')";

/* $1 org, $2 vapi call id, $3 contact, $4 assistant, $5 phone number id,
 * $6 Vapi's status, $7 customer number, $8 org number, $9 caller name. */
static const char RECORD_SQL[] =
    "INSERT INTO call_logs AS l (org_id, vapi_call_id, call_sid, contact_id, assistant_id, phone_number_id, call_type, "
    "status, phone_number, from_number, to_number, caller_name, metadata) "
    "VALUES ($1::uuid, $2, 'vapi-' || $2, $3::uuid, $4, $5, 'outbound', "
    "CASE WHEN $6::text IN ('queued', 'ringing', 'in-progress', 'forwarding', 'ended') THEN $6::text ELSE 'queued' END, "
    "$7, $7, $8, coalesce($9, 'Unknown Caller'), '{\"source\": \"dashboard_call_back\"}') "
    "ON CONFLICT (vapi_call_id) DO UPDATE SET "
    "contact_id = coalesce(l.contact_id, EXCLUDED.contact_id), call_type = 'outbound', "
    "assistant_id = coalesce(l.assistant_id, EXCLUDED.assistant_id), "
    "phone_number_id = coalesce(l.phone_number_id, EXCLUDED.phone_number_id), "
    "phone_number = coalesce(l.phone_number, EXCLUDED.phone_number), "
    "from_number = coalesce(l.from_number, EXCLUDED.from_number), "
    "to_number = coalesce(l.to_number, EXCLUDED.to_number), "
    "caller_name = CASE WHEN l.caller_name IS NULL OR l.caller_name = 'Unknown Caller' THEN EXCLUDED.caller_name "
    "ELSE l.caller_name END, "
    "metadata = EXCLUDED.metadata || l.metadata "
    "WHERE l.org_id = EXCLUDED.org_id RETURNING id, status";

void dashboard_contact_call_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_TARGET, TARGET_SQL);
    vx_pg_prepare(pg, STMT_GUARD, GUARD_SQL);
    vx_pg_prepare(pg, STMT_RECORD, RECORD_SQL);
}

/* The body: none, or an empty object. False with reply set otherwise. */
static bool body_empty(const vx_gateway_request *req, vx_rpc_reply *reply)
{
    if (req->body.len == 0)
        return true;
    cJSON *o = vx_json_object_strict((const char *)req->body.data, req->body.len);
    if (o == NULL) {
        vx_rpc_reply_error(reply, 400, "invalid_json", "The body must be empty or a JSON object.");
        return false;
    }
    bool empty = o->child == NULL;
    if (!empty) {
        char message[160];
        snprintf(message, sizeof(message), "Unknown field \"%.64s\": this route takes no fields.", o->child->string);
        vx_rpc_reply_error(reply, 400, "unknown_field", message);
    }
    cJSON_Delete(o);
    return empty;
}

/* A database failure: logged, rolled back, answered. */
static void db_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    vx_log_error(req->request_id, req->auth->org_id, "call-back database step failed", "statement", stmt, "sqlstate",
                 vx_pg_sqlstate(pg), "error", vx_pg_error(pg));
    bool transient = vx_pg_error_is_transient(pg);
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal", "The call could not be placed.");
}

/* Vapi's failure, as the dashboard sees it (contact_call.h). */
static void reply_vapi_failed(vx_vapi_api_status st, const vx_vapi_api_call *call, vx_rpc_reply *reply)
{
    if (st == VX_VAPI_API_REJECTED) {
        vx_rpc_reply_error(reply, 502, "vapi_rejected",
                           "Vapi refused the call. Check the agent's assistant and phone number in Settings, then retry.");
    } else if (call->http_status == 429) {
        vx_rpc_reply_error(reply, 503, "vapi_rate_limited", "Vapi is busy right now. Please retry in a moment.");
        if (call->retry_after_s > 0) {
            char s[24];
            snprintf(s, sizeof(s), "%ld", call->retry_after_s);
            vx_rpc_reply_header(reply, "retry-after", s);
        }
    } else if (call->http_status == 0) {
        vx_rpc_reply_error(reply, 504, "vapi_unavailable", "Vapi did not answer in time. Please retry.");
    } else {
        vx_rpc_reply_error(reply, 502, "vapi_unavailable", "Vapi could not place the call right now. Please retry.");
    }
}

/* The Vapi timeout for this request: the configured one, cut to what the
 * gateway's deadline leaves after DEADLINE_MARGIN_MS; 0 when too little is left. */
static long vapi_timeout(const vx_gateway_request *req)
{
    long t = VAPI.timeout_ms;
    if (req->deadline_unix_ms > 0) {
        int64_t left = req->deadline_unix_ms - vx_now_ms() - DEADLINE_MARGIN_MS;
        if (left < t)
            t = (long)(left > 0 ? left : 0);
    }
    return t >= MIN_VAPI_MS ? t : 0;
}

/* A refusal before Vapi: the transaction ended, logged (ids only), answered. */
static void refuse(vx_pg *pg, const vx_gateway_request *req, const char *id, unsigned status, const char *code, const char *why,
                   const char *message, vx_rpc_reply *reply)
{
    vx_pg_rollback(pg);
    vx_log_info(req->request_id, req->auth->org_id, "call-back refused", "contact_id", id, "code", code, "reason", why);
    vx_rpc_reply_error(reply, status, code, message);
}

/* The contact's look-up (its row held), then the checks before Vapi. The
 * row, or NULL with the transaction ended and reply set. */
static PGresult *target(vx_pg *pg, const vx_gateway_request *req, const char *id, vx_rpc_reply *reply)
{
    const char *params[2] = {req->auth->org_id, id};
    PGresult *res = NULL, *guard = NULL;
    if (vx_pg_begin_org(pg, req->auth->org_id) != 0 || (res = vx_pg_exec(pg, STMT_TARGET, 2, params)) == NULL) {
        db_failed(pg, req, STMT_TARGET, reply);
    } else if (PQntuples(res) == 0) {
        /* Another org's id is not found either: its existence is not ours to tell. */
        refuse(pg, req, id, 404, "not_found", NULL, "No contact with this id.", reply);
    } else if (vx_pg_value(res, 0, 0) == NULL) {
        refuse(pg, req, id, 400, "no_phone", NULL, "This contact has no phone number to call.", reply);
    } else if (vx_pg_value(res, 0, 2) == NULL) {
        refuse(pg, req, id, 409, "agent_not_ready", "no assistant",
               "The agent has no Vapi assistant yet: save the agent in Settings first.", reply);
    } else if (vx_pg_value(res, 0, 3) == NULL) {
        refuse(pg, req, id, 409, "agent_not_ready", "no phone number",
               "The agent has no phone number on Vapi yet: connect Twilio in Settings first.", reply);
    } else if (VAPI.private_key == NULL || VAPI.private_key[0] == '\0') {
        refuse(pg, req, id, 503, "vapi_not_configured", "VAPI_PRIVATE_KEY is not set",
               "Calling out is not configured on this server.", reply);
    } else if ((guard = vx_pg_exec(pg, STMT_GUARD, 2, params)) == NULL) {
        db_failed(pg, req, STMT_GUARD, reply);
    } else if (strcmp(PQgetvalue(guard, 0, 0), "t") == 0) {
        refuse(pg, req, id, 409, "call_in_progress", NULL,
               "A call to this contact was placed less than " GUARD_S " seconds ago and has not ended yet.", reply);
    } else {
        PQclear(guard);
        return res;
    }
    PQclear(guard);
    PQclear(res);
    return NULL;
}

/* Records the placed call and its audit entry, commits, answers. */
static void record(vx_pg *pg, const vx_gateway_request *req, const char *id, const PGresult *t, const vx_vapi_api_call *call,
                   vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    const char *params[9] = {
        org,
        call->id,
        id,
        vx_pg_value(t, 0, 2),
        vx_pg_value(t, 0, 3),
        call->status[0] != '\0' ? call->status : "queued",
        vx_pg_value(t, 0, 0),
        vx_pg_value(t, 0, 4),
        vx_pg_value(t, 0, 1),
    };
    PGresult *res = vx_pg_exec(pg, STMT_RECORD, 9, params);
    char details[256] = "";
    const char *failed = NULL;
    if (res == NULL || PQntuples(res) != 1) {
        failed = STMT_RECORD;
    } else {
        /* Ids only: the call's row id is a UUID, Vapi's id is [A-Za-z0-9-] (vx_vapi_api_id_valid). */
        snprintf(details, sizeof(details), "{\"call_id\": \"%s\", \"vapi_call_id\": \"%s\"}", PQgetvalue(res, 0, 0), call->id);
        if (vx_audit_record(pg, req, "contact.called", "contact", id, details) != 0)
            failed = "audit_record";
        else if (vx_pg_commit(pg) != 0)
            failed = "COMMIT";
    }
    if (failed != NULL) {
        /* The call is placed: the client must not dial again. webhook-ingest
         * records it from Vapi's own messages (its report links the contact
         * by number). */
        vx_log_error(req->request_id, org, "call-back placed on Vapi but not recorded", "contact_id", id, "vapi_call_id", call->id,
                     "statement", failed, "sqlstate", vx_pg_sqlstate(pg), "error", vx_pg_error(pg));
        vx_pg_rollback(pg);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNullToObject(o, "call_id");
        cJSON_AddStringToObject(o, "vapi_call_id", call->id);
        cJSON_AddStringToObject(o, "status", params[5]);
        cJSON_AddBoolToObject(o, "recorded", false);
        vx_rpc_reply_cjson(reply, 202, o);
        PQclear(res);
        return;
    }
    vx_log_info(req->request_id, org, "call-back placed", "contact_id", id, "call_id", PQgetvalue(res, 0, 0), "vapi_call_id",
                call->id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "call_id", PQgetvalue(res, 0, 0));
    cJSON_AddStringToObject(o, "vapi_call_id", call->id);
    cJSON_AddStringToObject(o, "status", PQgetvalue(res, 0, 1));
    cJSON_AddStringToObject(o, "contact_id", id);
    vx_rpc_reply_cjson(reply, 201, o);
    PQclear(res);
}

void dashboard_contacts_call(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    if (!body_empty(req, reply))
        return;
    PGresult *t = target(pg, req, id, reply);
    if (t == NULL)
        return;
    vx_vapi_api_config vapi = VAPI;
    vapi.timeout_ms = vapi_timeout(req);
    vx_vapi_api_call call;
    vx_vapi_api_status st;
    if (vapi.timeout_ms == 0) {
        /* The gateway gives up before Vapi could answer: nothing is asked. */
        memset(&call, 0, sizeof(call));
        st = VX_VAPI_API_ERROR;
    } else {
        st = vx_vapi_api_create_call(&vapi, vx_pg_value(t, 0, 2), vx_pg_value(t, 0, 3), vx_pg_value(t, 0, 0), vx_pg_value(t, 0, 1),
                                     &call, req->request_id, req->auth->org_id);
    }
    if (st != VX_VAPI_API_OK) {
        vx_pg_rollback(pg);
        char http[24] = "none";
        if (call.http_status > 0)
            snprintf(http, sizeof(http), "%ld", call.http_status);
        vx_log_warn(req->request_id, req->auth->org_id, "call-back not placed", "contact_id", id, "vapi_http_status", http);
        reply_vapi_failed(st, &call, reply);
    } else {
        record(pg, req, id, t, &call, reply);
    }
    PQclear(t);
}
