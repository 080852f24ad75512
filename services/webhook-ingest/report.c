/*
 * report: an end-of-call report's transaction (see report.h).
 *
 * Analytics read the words as spoken (a redaction marker never changes a
 * score); what is stored is the redacted copy. The redacted fields are the
 * ones that hold what the caller said: transcript, summary, sentiment
 * summary, and the strings of the structured data Vapi extracted (a date of
 * birth is exactly what an intake form extracts).
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "voxanne/v1/work.pb-c.h"
#include "vx_time.h"
#include "vx_work.h"

static void add_stats(vx_redact_stats *sum, const vx_redact_stats *s)
{
    sum->card += s->card;
    sum->ssn += s->ssn;
    sum->dob += s->dob;
    sum->email += s->email;
    sum->phone += s->phone;
    sum->caller_kept += s->caller_kept;
}

/* A redacted copy of s (NULL stays NULL), counted into sum. */
static char *redact(const char *s, const char *caller, vx_redact_stats *sum)
{
    if (!s)
        return NULL;
    vx_redact_stats st;
    char *r = vx_redact(s, strlen(s), VX_REDACT_ALL, caller, &st, NULL);
    add_stats(sum, &st);
    return r;
}

static void redact_json_strings(cJSON *v, const char *caller, vx_redact_stats *sum)
{
    if (cJSON_IsString(v) && v->valuestring) {
        char *r = redact(v->valuestring, caller, sum);
        if (strcmp(r, v->valuestring) != 0) {
            free(v->valuestring);
            v->valuestring = r;
        } else
            free(r);
        return;
    }
    cJSON *child;
    cJSON_ArrayForEach(child, v)
    {
        redact_json_strings(child, caller, sum);
    }
}

/* The metadata with its caller's words redacted and the counts added. */
static char *redact_metadata(const char *json, const char *caller, vx_redact_stats *sum)
{
    cJSON *m = cJSON_Parse(json ? json : "{}");
    if (!m)
        m = cJSON_CreateObject();
    redact_json_strings(cJSON_GetObjectItemCaseSensitive(m, "structuredData"), caller, sum);
    cJSON *sa = cJSON_GetObjectItemCaseSensitive(m, "sentimentAnalysis");
    redact_json_strings(cJSON_GetObjectItemCaseSensitive(sa, "summary"), caller, sum);
    cJSON *counts = cJSON_CreateObject();
    cJSON_AddNumberToObject(counts, "card", sum->card);
    cJSON_AddNumberToObject(counts, "ssn", sum->ssn);
    cJSON_AddNumberToObject(counts, "dob", sum->dob);
    cJSON_AddNumberToObject(counts, "email", sum->email);
    cJSON_AddNumberToObject(counts, "phone", sum->phone);
    cJSON_DeleteItemFromObjectCaseSensitive(m, "redactions");
    cJSON_AddItemToObject(m, "redactions", counts);
    char *out = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (!out)
        abort();
    return out;
}

/* The hot-lead job of this call, serialized into out. */
static void make_job(const char *org_id, const ingest_call *c, const char *request_id, ingest_report_outcome *out)
{
    snprintf(out->job_key, sizeof out->job_key, "%s%s", INGEST_HOT_LEAD_JOB_PREFIX, c->vapi_call_id);
    Voxanne__V1__HotLeadJob job = VOXANNE__V1__HOT_LEAD_JOB__INIT;
    job.job_id = out->job_key;
    job.org_id = (char *)org_id;
    job.vapi_call_id = c->vapi_call_id;
    job.contact_id = out->contact_id;
    job.lead_score = out->analytics.lead_score;
    job.lead_tier = (char *)out->analytics.lead_tier;
    job.threshold = out->hot_lead_threshold;
    job.request_id = (char *)(request_id ? request_id : "");
    job.queued_at_ms = vx_now_ms();
    out->job_len = voxanne__v1__hot_lead_job__get_packed_size(&job);
    out->job = malloc(out->job_len ? out->job_len : 1);
    if (!out->job)
        abort();
    voxanne__v1__hot_lead_job__pack(&job, out->job);
}

/* c as it is stored: the caller's words redacted (a shallow copy; the
 * strings it replaces are kept in owned[] until the statements have run). */
static void redacted_copy(const ingest_call *c, ingest_call *out, char *owned[4], vx_redact_stats *stats)
{
    *out = *c;
    out->transcript = owned[0] = redact(c->transcript, c->caller_number, stats);
    out->outcome_summary = owned[1] = redact(c->outcome_summary, c->caller_number, stats);
    out->sentiment_summary = owned[2] = redact(c->sentiment_summary, c->caller_number, stats);
    out->metadata_json = owned[3] = redact_metadata(c->metadata_json, c->caller_number, stats);
}

ingest_store_result ingest_reports_store(vx_pg *pg, const char *org_id, const ingest_call *const *calls,
                                         const char *const *request_ids, size_t n, ingest_report_outcome *outcomes)
{
    memset(outcomes, 0, n * sizeof *outcomes);
    call_store_context ctx;
    ingest_store_result r = call_store_context_read(pg, calls, n, &ctx);
    if (r != INGEST_STORE_OK)
        return r;
    ingest_call *copies = calloc(n, sizeof *copies);
    char *(*owned)[4] = calloc(n, sizeof *owned);
    const ingest_call **stored = calloc(n, sizeof *stored);
    const analytics_result **analytics = calloc(n, sizeof *analytics);
    char(*contacts)[37] = calloc(n, sizeof *contacts);
    call_store_job *jobs = calloc(n, sizeof *jobs);
    size_t *job_of = calloc(n, sizeof *job_of), njobs = 0;
    if (!copies || !owned || !stored || !analytics || !contacts || !jobs || !job_of)
        abort();
    for (size_t i = 0; i < n; i++) {
        const ingest_call *c = calls[i];
        ingest_report_outcome *out = &outcomes[i];
        out->hot_lead_threshold = ctx.hot_lead_threshold;
        analytics_input in = {.transcript = c->transcript,
                              .summary = c->outcome_summary,
                              .sentiment = c->sentiment,
                              .has_sentiment_score = c->has_sentiment_score,
                              .sentiment_score = c->sentiment_score,
                              .sentiment_urgency = c->sentiment_urgency,
                              .recording_url = c->recording_url,
                              .booked = call_store_context_booked(&ctx, c->vapi_call_id),
                              .services = ctx.services,
                              .nservices = ctx.nservices};
        analytics_compute(&in, &out->analytics);
        analytics[i] = &out->analytics;
        if (ctx.redact) {
            redacted_copy(c, &copies[i], owned[i], &out->redactions);
            stored[i] = &copies[i];
        } else {
            stored[i] = c;
        }
    }
    r = call_store_contacts(pg, org_id, stored, analytics, n);
    if (r == INGEST_STORE_OK)
        r = call_store_reports(pg, org_id, stored, analytics, n, contacts);
    for (size_t i = 0; r == INGEST_STORE_OK && i < n; i++) {
        memcpy(outcomes[i].contact_id, contacts[i], sizeof contacts[i]);
        if (!ctx.lead_alerts || outcomes[i].analytics.lead_score < ctx.hot_lead_threshold)
            continue;
        make_job(org_id, calls[i], request_ids[i], &outcomes[i]);
        jobs[njobs] = (call_store_job){outcomes[i].job_key, VX_WORK_NOTIFIER_HOT_LEAD, outcomes[i].job, outcomes[i].job_len, 0};
        job_of[njobs++] = i;
    }
    if (r == INGEST_STORE_OK && njobs > 0)
        r = call_store_queue_jobs(pg, org_id, jobs, njobs);
    for (size_t j = 0; r == INGEST_STORE_OK && j < njobs; j++)
        outcomes[job_of[j]].job_id = jobs[j].id;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            free(owned[i][k]);
    free(copies);
    free(owned);
    free(stored);
    free(analytics);
    free(contacts);
    free(jobs);
    free(job_of);
    call_store_context_free(&ctx);
    return r;
}

void ingest_report_outcome_free(ingest_report_outcome *out)
{
    if (!out)
        return;
    analytics_result_free(&out->analytics);
    free(out->job);
    memset(out, 0, sizeof *out);
}

char *ingest_report_event_json(const ingest_call *c, const ingest_report_outcome *out)
{
    const analytics_result *a = &out->analytics;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "call_id", c->vapi_call_id);
    cJSON_AddStringToObject(e, "call_type", c->call_type);
    if (c->has_ended_at)
        cJSON_AddStringToObject(e, "ended_at", c->ended_at);
    if (c->has_duration)
        cJSON_AddNumberToObject(e, "duration_seconds", (double)c->duration_seconds);
    if (c->ended_reason)
        cJSON_AddStringToObject(e, "ended_reason", c->ended_reason);
    cJSON_AddBoolToObject(e, "booking_confirmed", a->booking_confirmed);
    if (a->has_financial_value)
        cJSON_AddNumberToObject(e, "financial_value", a->financial_value);
    cJSON_AddNumberToObject(e, "lead_score", a->lead_score);
    cJSON_AddStringToObject(e, "lead_tier", a->lead_tier);
    if (*out->contact_id)
        cJSON_AddStringToObject(e, "contact_id", out->contact_id);
    char *json = cJSON_PrintUnformatted(e);
    cJSON_Delete(e);
    if (!json)
        abort();
    return json;
}
