/*
 * call_store: set-based call writes (see call_store.h).
 *
 * Rows travel as one JSON array per statement, built with cJSON (every
 * value escaped; numbers as JSON numbers, times as ISO strings, JSON columns
 * embedded as they are) and unpacked by jsonb_to_recordset into typed
 * columns, where the casts (e164, timestamptz, …) check them like bound
 * parameters would. ON CONFLICT DO UPDATE may not touch one row twice in a
 * statement, so each statement first keeps one row per key (DISTINCT ON).
 * A look-up by number compares text with text (c.phone = r.caller, never
 * r.caller::e164): a domain cast can fail, so under row-level security it is
 * not leakproof and may not be used as an index condition — it turned the
 * contact look-up of each report into a sequential scan (~15 ms at 20,000
 * contacts; tool-router's lookup_caller.c learned the same).
 */
#include "call_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"

#define STMT_CONTEXT  "call_store_context"
#define STMT_STATUSES "call_store_statuses"
#define STMT_HANGS    "call_store_hangs"
#define STMT_CONTACTS "call_store_contacts"
#define STMT_REPORTS  "call_store_reports"
#define STMT_JOBS     "call_store_jobs"
#define STMT_MARKS    "call_store_marks"

/* One row, under the org's claims: its settings (defaults when it has no
 * row), its priced services, and which of the calls tool-router booked on. */
static const char CONTEXT_SQL[] =
    "SELECT COALESCE(s.redact_transcripts, true), COALESCE(s.hot_lead_threshold, 70), COALESCE(s.lead_alerts, true),"
    " json_build_object('services', (SELECT COALESCE(json_agg(json_build_object('name', v.name, 'price', v.price,"
    " 'keywords', v.keywords)), '[]') FROM services v WHERE v.org_id = auth_org_id() AND v.active),"
    " 'booked', (SELECT COALESCE(json_agg(DISTINCT a.vapi_call_id), '[]') FROM appointments a"
    " WHERE a.org_id = auth_org_id() AND a.status IN ('booked', 'completed')"
    " AND a.vapi_call_id IN (SELECT jsonb_array_elements_text($1::jsonb))))"
    " FROM (SELECT 1) AS one LEFT JOIN org_settings s ON s.org_id = auth_org_id()";

/* The status order; 'completed' is only ever set by the report. */
#define STATUS_RANKS "ARRAY['queued','ringing','in-progress','forwarding','ended','completed']"

static const char STATUSES_SQL[] =
    "WITH r AS (SELECT DISTINCT ON (vapi_call_id) * FROM jsonb_to_recordset($2::jsonb) AS r(vapi_call_id text,"
    " assistant_id text, phone_number_id text, call_type text, status text, caller text, to_number text,"
    " caller_name text, started_at timestamptz, ended_at timestamptz, ended_reason text, metadata jsonb)"
    " ORDER BY vapi_call_id, array_position(" STATUS_RANKS ", status) DESC)"
    " INSERT INTO call_logs (org_id, vapi_call_id, call_sid, assistant_id, phone_number_id, call_type,"
    " status, phone_number, from_number, to_number, caller_name, started_at, ended_at, ended_reason, metadata)"
    " SELECT $1::uuid, vapi_call_id, 'vapi-' || vapi_call_id, assistant_id, phone_number_id, call_type, status,"
    " caller::e164, caller::e164, to_number::e164, COALESCE(caller_name, 'Unknown Caller'), started_at, ended_at,"
    " CASE WHEN status = 'ended' THEN ended_reason END, COALESCE(metadata, '{}') FROM r"
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
    " WHERE array_position(" STATUS_RANKS ", EXCLUDED.status) > array_position(" STATUS_RANKS ", call_logs.status)"
    " RETURNING vapi_call_id, status";

/* A hang counts once per request id: the row in ingest_processed is the
 * proof it was counted. */
static const char HANGS_SQL[] =
    "WITH r AS (SELECT DISTINCT ON (request_id) * FROM jsonb_to_recordset($2::jsonb) AS r(vapi_call_id text,"
    " assistant_id text, phone_number_id text, call_type text, request_id text) ORDER BY request_id),"
    " firsts AS (INSERT INTO ingest_processed (org_id, request_id) SELECT $1::uuid, request_id FROM r"
    " ON CONFLICT DO NOTHING RETURNING request_id),"
    " counted AS (SELECT r.vapi_call_id, min(r.assistant_id) AS assistant_id, min(r.phone_number_id) AS phone_number_id,"
    " min(r.call_type) AS call_type, count(*) AS n FROM r JOIN firsts USING (request_id) GROUP BY r.vapi_call_id)"
    " INSERT INTO call_logs (org_id, vapi_call_id, call_sid, assistant_id, phone_number_id, call_type, hang_count)"
    " SELECT $1::uuid, vapi_call_id, 'vapi-' || vapi_call_id, assistant_id, phone_number_id, call_type, n FROM counted"
    " ON CONFLICT (vapi_call_id) DO UPDATE SET hang_count = call_logs.hang_count + EXCLUDED.hang_count";

/* A contact's status only moves forward; its score is the latest call's: an
 * older report delivered late does not overwrite it. Several calls of one
 * caller in a batch: the latest one's values, booked if any booked. */
static const char CONTACTS_SQL[] =
    "WITH r AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(phone text, first_name text, last_name text,"
    " lead_status text, lead_score integer, lead_tier text, at timestamptz)),"
    " d AS (SELECT DISTINCT ON (phone) phone, first_name, last_name,"
    " CASE WHEN bool_or(lead_status = 'booked') OVER (PARTITION BY phone) THEN 'booked' ELSE lead_status END AS lead_status,"
    " lead_score, lead_tier, at FROM r ORDER BY phone, at DESC NULLS LAST)"
    " INSERT INTO contacts AS c (org_id, phone, first_name, last_name, lead_status, lead_score, lead_tier, last_contacted_at)"
    " SELECT $1::uuid, phone::e164, first_name, last_name, lead_status, lead_score, lead_tier, COALESCE(at, now()) FROM d"
    " ON CONFLICT (org_id, phone) DO UPDATE SET"
    " first_name = COALESCE(c.first_name, EXCLUDED.first_name),"
    " last_name = CASE WHEN c.first_name IS NULL THEN EXCLUDED.last_name ELSE c.last_name END,"
    " lead_status = CASE WHEN c.lead_status = 'booked' OR EXCLUDED.lead_status = 'booked' THEN 'booked'"
    " WHEN EXCLUDED.lead_status = 'lost' THEN 'lost'"
    " WHEN c.lead_status IN ('new', 'lost') THEN 'contacted' ELSE c.lead_status END,"
    " lead_score = CASE WHEN c.last_contacted_at IS NULL OR EXCLUDED.last_contacted_at >= c.last_contacted_at"
    " THEN EXCLUDED.lead_score ELSE c.lead_score END,"
    " lead_tier = CASE WHEN c.last_contacted_at IS NULL OR EXCLUDED.last_contacted_at >= c.last_contacted_at"
    " THEN EXCLUDED.lead_tier ELSE c.lead_tier END,"
    " last_contacted_at = GREATEST(c.last_contacted_at, EXCLUDED.last_contacted_at)";

/* The end-of-call report owns the final record: it sets every report column
 * and status/outcome 'completed'. Columns a status-update may have filled
 * first (ids, numbers, start time, caller name) are kept when the report
 * lacks them, through COALESCE, so either message may arrive first. */
static const char REPORTS_SQL[] =
    "WITH r AS (SELECT DISTINCT ON (vapi_call_id) * FROM jsonb_to_recordset($2::jsonb) AS r(seq integer, vapi_call_id text,"
    " assistant_id text, phone_number_id text, call_type text, caller text, to_number text, caller_name text,"
    " duration_seconds integer, total_cost numeric, outcome_summary text, transcript text, recording_url text,"
    " stereo_recording_url text, ended_reason text, sentiment text, sentiment_score double precision,"
    " sentiment_summary text, sentiment_urgency text, success_evaluation text, started_at timestamptz,"
    " ended_at timestamptz, metadata jsonb, booking_confirmed boolean, financial_value numeric, recording_status text,"
    " sentiment_source text, lead_score integer, lead_tier text, lead_score_reasons jsonb)"
    " ORDER BY vapi_call_id, seq DESC)"
    " INSERT INTO call_logs (org_id, vapi_call_id, call_sid, assistant_id, phone_number_id, call_type,"
    " status, outcome, phone_number, from_number, to_number, caller_name, duration_seconds, total_cost,"
    " outcome_summary, transcript, recording_url, stereo_recording_url, ended_reason, sentiment,"
    " sentiment_label, sentiment_score, sentiment_summary, sentiment_urgency, success_evaluation,"
    " started_at, ended_at, metadata, contact_id, booking_confirmed, financial_value, recording_status,"
    " sentiment_source, lead_score, lead_tier, lead_score_reasons)"
    " SELECT $1::uuid, r.vapi_call_id, 'vapi-' || r.vapi_call_id, r.assistant_id, r.phone_number_id, r.call_type,"
    " 'completed', 'completed', r.caller::e164, r.caller::e164, r.to_number::e164,"
    " COALESCE(r.caller_name, 'Unknown Caller'), r.duration_seconds, r.total_cost, r.outcome_summary, r.transcript,"
    " r.recording_url, r.stereo_recording_url, r.ended_reason, r.sentiment, r.sentiment, r.sentiment_score,"
    " r.sentiment_summary, r.sentiment_urgency, r.success_evaluation, r.started_at, r.ended_at,"
    " COALESCE(r.metadata, '{}'), (SELECT c.id FROM contacts c WHERE c.org_id = $1::uuid AND c.phone = r.caller),"
    " r.booking_confirmed, r.financial_value, r.recording_status, r.sentiment_source, r.lead_score, r.lead_tier,"
    " r.lead_score_reasons FROM r"
    " ON CONFLICT (vapi_call_id) DO UPDATE SET"
    " assistant_id = COALESCE(EXCLUDED.assistant_id, call_logs.assistant_id),"
    " phone_number_id = COALESCE(EXCLUDED.phone_number_id, call_logs.phone_number_id),"
    " call_type = EXCLUDED.call_type,"
    " status = 'completed', outcome = 'completed',"
    " phone_number = COALESCE(EXCLUDED.phone_number, call_logs.phone_number),"
    " from_number = COALESCE(EXCLUDED.from_number, call_logs.from_number),"
    " to_number = COALESCE(EXCLUDED.to_number, call_logs.to_number),"
    " caller_name = CASE WHEN EXCLUDED.caller_name <> 'Unknown Caller' THEN EXCLUDED.caller_name"
    " ELSE COALESCE(call_logs.caller_name, 'Unknown Caller') END,"
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
    " metadata = call_logs.metadata || EXCLUDED.metadata,"
    " contact_id = COALESCE(EXCLUDED.contact_id, call_logs.contact_id),"
    " booking_confirmed = EXCLUDED.booking_confirmed,"
    " financial_value = EXCLUDED.financial_value,"
    " recording_status = EXCLUDED.recording_status,"
    " sentiment_source = EXCLUDED.sentiment_source,"
    " lead_score = EXCLUDED.lead_score,"
    " lead_tier = EXCLUDED.lead_tier,"
    " lead_score_reasons = EXCLUDED.lead_score_reasons"
    " RETURNING vapi_call_id, contact_id";

static const char JOBS_SQL[] = "INSERT INTO work_outbox (org_id, job_key, subject, payload)"
                               " SELECT DISTINCT ON (job_key) $1::uuid, job_key, subject, decode(payload, 'hex')"
                               " FROM jsonb_to_recordset($2::jsonb) AS r(job_key text, subject text, payload text)"
                               " ON CONFLICT (job_key) DO NOTHING RETURNING id, job_key";

/* The ids as one array (an init plan), so the primary key finds them: an
 * "id IN (SELECT …)" with "published_at IS NULL" was planned over the
 * unpublished-jobs index, whose dead entries every mark left behind, and
 * took longer the more jobs the table had seen (4.6 ms a batch at 50,000). */
static const char MARKS_SQL[] = "UPDATE work_outbox SET published_at = COALESCE(published_at, now())"
                                " WHERE org_id = $1::uuid AND id = ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)::bigint))";

const call_store_statement CALL_STORE_STATEMENTS[] = {
    {STMT_MARKS, MARKS_SQL},       {STMT_CONTEXT, CONTEXT_SQL}, {STMT_STATUSES, STATUSES_SQL}, {STMT_HANGS, HANGS_SQL},
    {STMT_CONTACTS, CONTACTS_SQL}, {STMT_REPORTS, REPORTS_SQL}, {STMT_JOBS, JOBS_SQL},         {NULL, NULL},
};

void call_store_prepare(vx_pg *pg)
{
    for (const call_store_statement *st = CALL_STORE_STATEMENTS; st->name != NULL; st++)
        vx_pg_prepare(pg, st->name, st->sql);
}

/* ---- JSON rows ---- */

static cJSON *new_array(void)
{
    cJSON *a = cJSON_CreateArray();
    if (!a)
        abort();
    return a;
}

static void put_str(cJSON *row, const char *key, const char *s)
{
    if (!(s ? cJSON_AddStringToObject(row, key, s) : cJSON_AddNullToObject(row, key)))
        abort();
}

static void put_num(cJSON *row, const char *key, bool has, double v)
{
    if (!(has ? cJSON_AddNumberToObject(row, key, v) : cJSON_AddNullToObject(row, key)))
        abort();
}

/* A JSON text we produced (metadata, reasons) embedded as it is. */
static void put_raw(cJSON *row, const char *key, const char *json)
{
    cJSON *raw = json ? cJSON_CreateRaw(json) : cJSON_CreateNull();
    if (!raw)
        abort();
    cJSON_AddItemToObject(row, key, raw);
}

static cJSON *new_row(cJSON *rows)
{
    cJSON *row = cJSON_CreateObject();
    if (!row)
        abort();
    cJSON_AddItemToArray(rows, row);
    return row;
}

/* Runs stmt with (org_id, rows as JSON), freeing rows; the result via *out (may be NULL). */
static ingest_store_result run_rows(vx_pg *pg, const char *stmt, const char *org_id, cJSON *rows, PGresult **out)
{
    char *json = cJSON_PrintUnformatted(rows);
    cJSON_Delete(rows);
    if (!json)
        abort();
    const char *params[2] = {org_id, json};
    PGresult *res = vx_pg_exec(pg, stmt, 2, params);
    free(json);
    if (!res)
        return ingest_store_classify(pg);
    if (out)
        *out = res;
    else
        PQclear(res);
    return INGEST_STORE_OK;
}

/* ---- context ---- */

static void read_services(call_store_context *ctx)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(ctx->json, "services");
    int n = cJSON_GetArraySize(list);
    if (n <= 0)
        return;
    ctx->services = calloc((size_t)n, sizeof *ctx->services);
    if (!ctx->services)
        abort();
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        analytics_service *s = &ctx->services[ctx->nservices++];
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(v, "price");
        const cJSON *kw = cJSON_GetObjectItemCaseSensitive(v, "keywords");
        s->name = cJSON_IsString(name) ? name->valuestring : NULL;
        s->has_price = cJSON_IsNumber(price);
        s->price = s->has_price ? price->valuedouble : 0;
        int nk = cJSON_GetArraySize(kw);
        if (nk <= 0)
            continue;
        const char **keywords = calloc((size_t)nk, sizeof *keywords);
        if (!keywords)
            abort();
        const cJSON *k;
        cJSON_ArrayForEach(k, kw)
        {
            if (cJSON_IsString(k))
                keywords[s->nkeywords++] = k->valuestring;
        }
        s->keywords = keywords;
    }
}

ingest_store_result call_store_context_read(vx_pg *pg, const ingest_call *const *reports, size_t n, call_store_context *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    cJSON *ids = new_array();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(reports[i]->vapi_call_id));
    char *json = cJSON_PrintUnformatted(ids);
    cJSON_Delete(ids);
    if (!json)
        abort();
    const char *params[1] = {json};
    PGresult *res = vx_pg_exec(pg, STMT_CONTEXT, 1, params);
    free(json);
    if (!res)
        return ingest_store_classify(pg);
    ctx->redact = strcmp(vx_pg_value(res, 0, 0), "t") == 0;
    ctx->hot_lead_threshold = atoi(vx_pg_value(res, 0, 1));
    ctx->lead_alerts = strcmp(vx_pg_value(res, 0, 2), "t") == 0;
    ctx->json = cJSON_Parse(vx_pg_value(res, 0, 3));
    PQclear(res);
    if (!ctx->json)
        abort(); /* the server built it */
    ctx->booked = cJSON_GetObjectItemCaseSensitive(ctx->json, "booked");
    read_services(ctx);
    return INGEST_STORE_OK;
}

bool call_store_context_booked(const call_store_context *ctx, const char *vapi_call_id)
{
    const cJSON *id;
    cJSON_ArrayForEach(id, ctx->booked)
    {
        if (cJSON_IsString(id) && strcmp(id->valuestring, vapi_call_id) == 0)
            return true;
    }
    return false;
}

void call_store_context_free(call_store_context *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->nservices; i++)
        free((void *)ctx->services[i].keywords);
    free(ctx->services);
    cJSON_Delete(ctx->json);
    memset(ctx, 0, sizeof *ctx);
}

/* ---- writes ---- */

/* The columns every kind of call row starts with. */
static void put_call_ids(cJSON *row, const ingest_call *c)
{
    put_str(row, "vapi_call_id", c->vapi_call_id);
    put_str(row, "assistant_id", c->assistant_id);
    put_str(row, "phone_number_id", c->phone_number_id);
    put_str(row, "call_type", c->call_type);
}

ingest_store_result call_store_statuses(vx_pg *pg, const char *org_id, const ingest_call *const *calls, size_t n, bool *advanced)
{
    cJSON *rows = new_array();
    for (size_t i = 0; i < n; i++) {
        const ingest_call *c = calls[i];
        cJSON *row = new_row(rows);
        put_call_ids(row, c);
        put_str(row, "status", c->status);
        put_str(row, "caller", c->caller_number);
        put_str(row, "to_number", c->to_number);
        put_str(row, "caller_name", c->caller_name_given ? c->caller_name : NULL);
        put_str(row, "started_at", c->has_started_at ? c->started_at : NULL);
        put_str(row, "ended_at", c->has_ended_at ? c->ended_at : NULL);
        put_str(row, "ended_reason", c->ended_reason);
        put_raw(row, "metadata", c->metadata_json);
        advanced[i] = false;
    }
    PGresult *res = NULL;
    ingest_store_result r = run_rows(pg, STMT_STATUSES, org_id, rows, &res);
    if (r != INGEST_STORE_OK)
        return r;
    /* A row came back for each call that moved, with the status it took. */
    for (int row = 0; row < PQntuples(res); row++) {
        const char *id = vx_pg_value(res, row, 0), *status = vx_pg_value(res, row, 1);
        for (size_t i = 0; i < n; i++)
            if (strcmp(calls[i]->vapi_call_id, id) == 0 && strcmp(calls[i]->status, status) == 0) {
                advanced[i] = true;
                break;
            }
    }
    PQclear(res);
    return INGEST_STORE_OK;
}

ingest_store_result call_store_hangs(vx_pg *pg, const char *org_id, const ingest_call *const *calls, const char *const *request_ids,
                                     size_t n)
{
    cJSON *rows = new_array();
    for (size_t i = 0; i < n; i++) {
        cJSON *row = new_row(rows);
        put_call_ids(row, calls[i]);
        put_str(row, "request_id", request_ids[i]);
    }
    return run_rows(pg, STMT_HANGS, org_id, rows, NULL);
}

ingest_store_result call_store_contacts(vx_pg *pg, const char *org_id, const ingest_call *const *calls,
                                        const analytics_result *const *analytics, size_t n)
{
    cJSON *rows = new_array();
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const ingest_call *c = calls[i];
        if (!c->caller_number)
            continue;
        /* "Jane van Doe" → first "Jane", last "van Doe". */
        char first[INGEST_MAX_SHORT + 1] = "", *last = NULL;
        if (c->caller_name_given) {
            snprintf(first, sizeof first, "%s", c->caller_name);
            char *space = strchr(first, ' ');
            if (space) {
                *space = '\0';
                last = space + 1;
                while (*last == ' ')
                    last++;
            }
        }
        cJSON *row = new_row(rows);
        put_str(row, "phone", c->caller_number);
        put_str(row, "first_name", *first ? first : NULL);
        put_str(row, "last_name", last && *last ? last : NULL);
        put_str(row, "lead_status", analytics[i]->lead_status);
        put_num(row, "lead_score", true, analytics[i]->lead_score);
        put_str(row, "lead_tier", analytics[i]->lead_tier);
        put_str(row, "at", c->has_ended_at ? c->ended_at : c->has_started_at ? c->started_at : NULL);
        used++;
    }
    if (used == 0) {
        cJSON_Delete(rows);
        return INGEST_STORE_OK;
    }
    return run_rows(pg, STMT_CONTACTS, org_id, rows, NULL);
}

ingest_store_result call_store_reports(vx_pg *pg, const char *org_id, const ingest_call *const *calls,
                                       const analytics_result *const *analytics, size_t n, char (*contact_ids)[37])
{
    cJSON *rows = new_array();
    for (size_t i = 0; i < n; i++) {
        const ingest_call *c = calls[i];
        const analytics_result *a = analytics[i];
        cJSON *row = new_row(rows);
        put_num(row, "seq", true, (double)i); /* the last report of a call in the batch wins */
        put_call_ids(row, c);
        put_str(row, "caller", c->caller_number);
        put_str(row, "to_number", c->to_number);
        put_str(row, "caller_name", c->caller_name_given ? c->caller_name : NULL);
        put_num(row, "duration_seconds", c->has_duration, (double)c->duration_seconds);
        put_num(row, "total_cost", c->has_total_cost, c->total_cost);
        put_str(row, "outcome_summary", c->outcome_summary);
        put_str(row, "transcript", c->transcript);
        put_str(row, "recording_url", c->recording_url);
        put_str(row, "stereo_recording_url", c->stereo_recording_url);
        put_str(row, "ended_reason", c->ended_reason);
        put_str(row, "sentiment", a->sentiment_label);
        put_num(row, "sentiment_score", a->has_sentiment_score, a->sentiment_score);
        put_str(row, "sentiment_summary", c->sentiment_summary);
        put_str(row, "sentiment_urgency", a->sentiment_urgency);
        put_str(row, "success_evaluation", c->success_evaluation);
        put_str(row, "started_at", c->has_started_at ? c->started_at : NULL);
        put_str(row, "ended_at", c->has_ended_at ? c->ended_at : NULL);
        put_raw(row, "metadata", c->metadata_json);
        if (!cJSON_AddBoolToObject(row, "booking_confirmed", a->booking_confirmed))
            abort();
        put_num(row, "financial_value", a->has_financial_value, a->financial_value);
        put_str(row, "recording_status", a->recording_status);
        put_str(row, "sentiment_source", a->sentiment_source);
        put_num(row, "lead_score", true, a->lead_score);
        put_str(row, "lead_tier", a->lead_tier);
        put_raw(row, "lead_score_reasons", a->reasons_json);
        contact_ids[i][0] = '\0';
    }
    PGresult *res = NULL;
    ingest_store_result r = run_rows(pg, STMT_REPORTS, org_id, rows, &res);
    if (r != INGEST_STORE_OK)
        return r;
    for (int row = 0; row < PQntuples(res); row++) {
        const char *id = vx_pg_value(res, row, 0), *contact = vx_pg_value(res, row, 1);
        for (size_t i = 0; contact && i < n; i++)
            if (strcmp(calls[i]->vapi_call_id, id) == 0)
                snprintf(contact_ids[i], 37, "%s", contact);
    }
    PQclear(res);
    return INGEST_STORE_OK;
}

ingest_store_result call_store_queue_jobs(vx_pg *pg, const char *org_id, call_store_job *jobs, size_t n)
{
    cJSON *rows = new_array();
    for (size_t i = 0; i < n; i++) {
        char *h = malloc(2 * jobs[i].len + 1);
        if (!h)
            abort();
        vx_hex_encode(jobs[i].payload, jobs[i].len, h);
        cJSON *row = new_row(rows);
        put_str(row, "job_key", jobs[i].job_key);
        put_str(row, "subject", jobs[i].subject);
        put_str(row, "payload", h);
        free(h);
        jobs[i].id = 0;
    }
    PGresult *res = NULL;
    ingest_store_result r = run_rows(pg, STMT_JOBS, org_id, rows, &res);
    if (r != INGEST_STORE_OK)
        return r;
    for (int row = 0; row < PQntuples(res); row++) {
        long long id = strtoll(vx_pg_value(res, row, 0), NULL, 10);
        const char *key = vx_pg_value(res, row, 1);
        for (size_t i = 0; i < n; i++)
            if (strcmp(jobs[i].job_key, key) == 0 && jobs[i].id == 0) {
                jobs[i].id = id;
                break;
            }
    }
    PQclear(res);
    return INGEST_STORE_OK;
}

ingest_store_result call_store_jobs_published(vx_pg *pg, const char *org_id, const long long *ids, size_t n)
{
    cJSON *rows = new_array();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)ids[i]));
    return run_rows(pg, STMT_MARKS, org_id, rows, NULL);
}
