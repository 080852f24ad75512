/*
 * call_report: Vapi message → struct ingest_call (see call_report.h).
 *
 * Each field has one small reader that lists the places Vapi has put it,
 * newest first, and the checks that keep it storable. The column mapping
 * follows the seed's "Critical Database Column Mappings" (phone_number and
 * from_number both from the caller, caller_name defaulting to
 * "Unknown Caller", all sentiment fields, metadata with sentimentAnalysis)
 * with SPEC's corrections: duration from endedAt − startedAt, call_type from
 * call.type instead of a constant, and no invented timestamps.
 */
#include "call_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vx_json.h"
#include "vx_scrub.h"
#include "vx_vapi.h"
#include "vx_time.h"
#include "vx_validate.h"

/* Timestamps outside [2000-01-01, 2100-01-01) are treated as garbage. */
#define MIN_TIME_MS INT64_C(946684800000)
#define MAX_TIME_MS INT64_C(4102444800000)
/* A call never lasts a week; anything longer is a broken clock. */
#define MAX_DURATION_S 604800L
/* call_logs.total_cost is numeric(12,4). */
#define MAX_COST 99999999.0

/* A bounded copy of the first non-empty string among up to four paths. */
static char *str_at(const cJSON *msg, size_t max, bool *truncated, const char *p1, const char *p2, const char *p3, const char *p4)
{
    const char *s = vx_json_str_first(msg, p1, p2, p3, p4, (const char *)NULL);
    if (truncated)
        *truncated = false;
    return s ? ingest_text_dup(s, max, truncated) : NULL;
}

/* A finite number at path, also accepted as a string that is wholly a number
 * ("0.1661"): the earlier implementation stored such strings as they came. */
static bool num_at(const cJSON *msg, const char *path, double *out)
{
    double d;
    if (vx_json_num(msg, path, &d)) {
        if (!isfinite(d))
            return false;
        *out = d;
        return true;
    }
    const char *s = vx_json_str(msg, path);
    if (!s || !*s || strlen(s) > 64)
        return false;
    char *end;
    d = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(d))
        return false;
    *out = d;
    return true;
}

static bool time_at(const cJSON *msg, const char *path, int64_t *out)
{
    int64_t ms;
    if (!vx_json_time_ms(msg, path, &ms) || ms < MIN_TIME_MS || ms >= MAX_TIME_MS)
        return false;
    *out = ms;
    return true;
}

static const char *call_type_of(const char *t)
{
    if (!t)
        return "inbound";
    if (strcmp(t, "outboundPhoneCall") == 0)
        return "outbound";
    if (strcmp(t, "webCall") == 0 || strcmp(t, "vapi.websocketCall") == 0)
        return "web";
    return "inbound"; /* inboundPhoneCall, absent, or a type we do not know */
}

ingest_msg_kind ingest_msg_kind_of(const char *type)
{
    if (!type)
        return INGEST_MSG_OTHER;
    if (strcmp(type, "end-of-call-report") == 0)
        return INGEST_MSG_END_OF_CALL_REPORT;
    if (strcmp(type, "status-update") == 0)
        return INGEST_MSG_STATUS_UPDATE;
    if (strcmp(type, "hang") == 0)
        return INGEST_MSG_HANG;
    return INGEST_MSG_OTHER;
}

const char *ingest_status_normalize(const char *s)
{
    static const char *const known[] = {"queued", "ringing", "in-progress", "forwarding", "ended"};
    if (!s)
        return NULL;
    if (strcmp(s, "scheduled") == 0)
        return "queued";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i]) == 0)
            return known[i];
    return NULL;
}

/* The tier-2 org hint (see vx_vapi_org_hint), as a new string or NULL. */
static char *org_hint(const cJSON *msg)
{
    char id[VX_UUID_STR_LEN + 1];
    return vx_vapi_org_hint(msg, id) ? ingest_text_dup(id, VX_UUID_STR_LEN, NULL) : NULL;
}

static void caller(const cJSON *msg, ingest_call *c)
{
    const char *num = vx_json_str_first(msg, "call.customer.number", "customer.number", (const char *)NULL);
    if (num && vx_is_e164(num))
        c->caller_number = ingest_text_dup(num, 16, NULL);
    else if (num)
        c->caller_raw = ingest_text_dup(num, 64, NULL);

    const char *to = vx_json_str_first(msg, "phoneNumber.number", "call.phoneNumber.number", (const char *)NULL);
    if (to && vx_is_e164(to))
        c->to_number = ingest_text_dup(to, 16, NULL);

    c->caller_name = str_at(msg, INGEST_MAX_SHORT, NULL, "call.customer.name", "customer.name", NULL, NULL);
    c->caller_name_given = c->caller_name != NULL;
    if (!c->caller_name)
        c->caller_name = ingest_text_dup(INGEST_UNKNOWN_CALLER, INGEST_MAX_SHORT, NULL);
}

static void call_times(const cJSON *msg, ingest_call *c)
{
    c->has_started_at = time_at(msg, "startedAt", &c->started_at_ms) || time_at(msg, "call.startedAt", &c->started_at_ms);
    c->has_ended_at = time_at(msg, "endedAt", &c->ended_at_ms) || time_at(msg, "call.endedAt", &c->ended_at_ms);
    if (c->has_started_at)
        vx_time_format_iso(c->started_at_ms, c->started_at);
    if (c->has_ended_at)
        vx_time_format_iso(c->ended_at_ms, c->ended_at);

    double d;
    if (c->has_started_at && c->has_ended_at && c->ended_at_ms >= c->started_at_ms) {
        d = (double)(c->ended_at_ms - c->started_at_ms) / 1000.0;
    } else if (num_at(msg, "durationSeconds", &d) && d >= 0) {
        /* d is already seconds */
    } else if (num_at(msg, "durationMs", &d) && d >= 0) {
        d /= 1000.0;
    } else {
        return;
    }
    d = round(d);
    if (d > (double)MAX_DURATION_S)
        return;
    c->has_duration = true;
    c->duration_seconds = (long)d;
}

static void analysis(const cJSON *msg, ingest_call *c)
{
    c->outcome_summary = str_at(msg, INGEST_MAX_TEXT, NULL, "analysis.summary", "summary", NULL, NULL);

    const cJSON *ev = vx_json_at(msg, "analysis.successEvaluation");
    if (cJSON_IsString(ev) && ev->valuestring[0]) {
        c->success_evaluation = ingest_text_dup(ev->valuestring, INGEST_MAX_TEXT, NULL);
    } else if (cJSON_IsBool(ev)) {
        c->success_evaluation = ingest_text_dup(cJSON_IsTrue(ev) ? "true" : "false", 8, NULL);
    } else if (cJSON_IsNumber(ev) && isfinite(ev->valuedouble)) {
        char num[40];
        double v = ev->valuedouble;
        if (v == floor(v) && fabs(v) < 1e15)
            snprintf(num, sizeof num, "%.0f", v);
        else
            snprintf(num, sizeof num, "%.15g", v);
        c->success_evaluation = ingest_text_dup(num, sizeof num, NULL);
    }

    c->sentiment = str_at(msg, INGEST_MAX_SHORT, NULL, "analysis.sentiment", "analysis.structuredData.sentiment", NULL, NULL);
    c->has_sentiment_score = num_at(msg, "analysis.sentimentScore", &c->sentiment_score) ||
                             num_at(msg, "analysis.structuredData.sentimentScore", &c->sentiment_score);
    c->sentiment_summary =
        str_at(msg, INGEST_MAX_TEXT, NULL, "analysis.sentimentSummary", "analysis.structuredData.sentimentSummary", NULL, NULL);
    c->sentiment_urgency =
        str_at(msg, INGEST_MAX_SHORT, NULL, "analysis.sentimentUrgency", "analysis.structuredData.sentimentUrgency", NULL, NULL);
}

static void add_str_or_null(cJSON *obj, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(obj, key, s);
    else
        cJSON_AddNullToObject(obj, key);
}

/* call_logs.metadata. structuredData is kept only while the whole object
 * stays under INGEST_MAX_METADATA. */
static char *metadata(const cJSON *msg, const ingest_call *c, bool with_structured)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "source", "vapi-webhook");
    if (c->ended_reason)
        cJSON_AddStringToObject(m, "endedReason", c->ended_reason);

    const cJSON *ev = vx_json_at(msg, "analysis.successEvaluation");
    if (cJSON_IsBool(ev) || (cJSON_IsNumber(ev) && isfinite(ev->valuedouble)))
        cJSON_AddItemToObject(m, "successEvaluation", cJSON_Duplicate(ev, false));
    else if (c->success_evaluation)
        cJSON_AddStringToObject(m, "successEvaluation", c->success_evaluation);

    const cJSON *sd = vx_json_at(msg, "analysis.structuredData");
    if (cJSON_IsObject(sd)) {
        if (with_structured) {
            /* What the assistant extracted is the caller's words: never a credential stored with it. */
            cJSON *copy = cJSON_Duplicate(sd, true);
            vx_scrub_json(copy);
            cJSON_AddItemToObject(m, "structuredData", copy);
        } else
            cJSON_AddTrueToObject(m, "structuredDataTruncated");
    }

    cJSON *sa = cJSON_AddObjectToObject(m, "sentimentAnalysis");
    add_str_or_null(sa, "label", c->sentiment);
    if (c->has_sentiment_score)
        cJSON_AddNumberToObject(sa, "score", c->sentiment_score);
    else
        cJSON_AddNullToObject(sa, "score");
    add_str_or_null(sa, "summary", c->sentiment_summary);
    add_str_or_null(sa, "urgency", c->sentiment_urgency);

    if (c->caller_raw)
        cJSON_AddStringToObject(m, "rawCallerNumber", c->caller_raw);
    if (c->transcript_truncated)
        cJSON_AddTrueToObject(m, "transcriptTruncated");

    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (!text)
        abort();
    ingest_text_sanitize(text); /* structuredData came straight from the payload */
    return text;
}

static const cJSON *message_of(const cJSON *root)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (cJSON_IsObject(msg))
        return msg;
    if (cJSON_IsObject(root) && !msg && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "type")))
        return root; /* a bare message without the envelope */
    return NULL;
}

int ingest_call_from_json(const cJSON *root, ingest_call *out)
{
    memset(out, 0, sizeof *out);
    const cJSON *msg = root ? message_of(root) : NULL;
    if (!msg)
        return -1;
    ingest_call *c = out;

    c->type = str_at(msg, INGEST_MAX_SHORT, NULL, "type", NULL, NULL, NULL);
    c->kind = ingest_msg_kind_of(c->type);

    const char *id = vx_json_str(msg, "call.id");
    if (id && *id && strlen(id) <= INGEST_MAX_ID)
        c->vapi_call_id = ingest_text_dup(id, INGEST_MAX_ID, NULL);
    const char *aid = vx_json_str_first(msg, "call.assistantId", "assistant.id", (const char *)NULL);
    if (aid && strlen(aid) <= INGEST_MAX_ID)
        c->assistant_id = ingest_text_dup(aid, INGEST_MAX_ID, NULL);
    const char *pid = vx_json_str_first(msg, "call.phoneNumberId", "phoneNumber.id", (const char *)NULL);
    if (pid && strlen(pid) <= INGEST_MAX_ID)
        c->phone_number_id = ingest_text_dup(pid, INGEST_MAX_ID, NULL);

    caller(msg, c);
    c->call_type = call_type_of(vx_json_str(msg, "call.type"));
    call_times(msg, c);

    double cost;
    if ((num_at(msg, "cost", &cost) || num_at(msg, "call.cost", &cost)) && cost >= 0 && cost < MAX_COST) {
        c->has_total_cost = true;
        c->total_cost = cost;
    }

    c->transcript = str_at(msg, INGEST_MAX_TRANSCRIPT, &c->transcript_truncated, "artifact.transcript", "transcript", NULL, NULL);
    c->recording_url =
        str_at(msg, INGEST_MAX_URL, NULL, "artifact.recordingUrl", "artifact.recording.mono.combinedUrl", "recordingUrl", NULL);
    c->stereo_recording_url = str_at(msg, INGEST_MAX_URL, NULL, "artifact.stereoRecordingUrl", "artifact.recording.stereoUrl",
                                     "stereoRecordingUrl", NULL);
    analysis(msg, c);

    c->ended_reason = str_at(msg, INGEST_MAX_SHORT, NULL, "endedReason", "call.endedReason", NULL, NULL);
    if (c->kind == INGEST_MSG_STATUS_UPDATE) {
        const char *st = ingest_status_normalize(vx_json_str(msg, "status"));
        if (st)
            c->status = ingest_text_dup(st, 32, NULL);
    }
    c->metadata_org_id = org_hint(msg);

    c->metadata_json = metadata(msg, c, true);
    if (strlen(c->metadata_json) > INGEST_MAX_METADATA) {
        free(c->metadata_json);
        c->metadata_json = metadata(msg, c, false);
    }
    return 0;
}

int ingest_call_parse(const char *json, size_t len, ingest_call *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return -1;
    int rc = ingest_call_from_json(root, out);
    cJSON_Delete(root);
    return rc;
}

void ingest_call_free(ingest_call *c)
{
    char **owned[] = {&c->type,
                      &c->vapi_call_id,
                      &c->assistant_id,
                      &c->phone_number_id,
                      &c->caller_number,
                      &c->caller_raw,
                      &c->to_number,
                      &c->caller_name,
                      &c->transcript,
                      &c->recording_url,
                      &c->stereo_recording_url,
                      &c->outcome_summary,
                      &c->success_evaluation,
                      &c->sentiment,
                      &c->sentiment_summary,
                      &c->sentiment_urgency,
                      &c->ended_reason,
                      &c->status,
                      &c->metadata_org_id,
                      &c->metadata_json};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(*owned[i]);
    memset(c, 0, sizeof *c);
}
