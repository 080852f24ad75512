/*
 * call_store: the set-based SQL that writes a batch's calls — one statement
 * per kind of write for all of one org's messages in the batch, each taking
 * its rows as one JSON array (jsonb_to_recordset), so a batch of 64 reports
 * costs a handful of round trips instead of a few hundred.
 *
 * Every function runs inside the batch's open transaction, under the org's
 * claims (vx_pg_begin_org / vx_pg_switch_org: row-level security checks
 * every row), and none commits. The order within an org is the order of
 * these declarations: statuses, hangs, contacts, reports, jobs — so a
 * status-update and the report of the same call in one batch leave the call
 * completed, and a report finds its caller's contact.
 *
 * Idempotency is the database's, as before batching:
 *   - reports upsert on vapi_call_id and set the same values every time;
 *     several reports of one call in one batch: the last one counts;
 *   - a status moves forward only (queued < ringing < in-progress <
 *     forwarding < ended < completed); several of one call: the highest;
 *   - a hang counts once per request id (ingest_processed);
 *   - a job is queued once per job key, whenever it is delivered again.
 */
#ifndef INGEST_CALL_STORE_H
#define INGEST_CALL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "analytics.h"
#include "call_report.h"
#include "ingest_store.h"
#include "vx_pg.h"

/* Registers the statements on pg (once per connection handle, with ingest_store_prepare). */
void call_store_prepare(vx_pg *pg);

/* The statements call_store_prepare registers, by name, ending with a
 * {NULL, NULL}: also what tests/integration/webhook-ingest/test_call_store_plans.c
 * EXPLAINs, so a plan that leaves its index is caught before a benchmark
 * finds the batch slowing down as the tables grow. */
typedef struct call_store_statement {
    const char *name;
    const char *sql;
} call_store_statement;
extern const call_store_statement CALL_STORE_STATEMENTS[];

/* What the analytics of one org's reports need from the org. */
typedef struct call_store_context {
    bool redact;            /* org_settings.redact_transcripts (default on) */
    int hot_lead_threshold; /* org_settings.hot_lead_threshold (default 70) */
    bool lead_alerts;       /* org_settings.lead_alerts (default true): false, no hot-lead job at all */
    analytics_service *services;
    size_t nservices;
    cJSON *json;         /* owns the strings services and booked point into */
    const cJSON *booked; /* array of the call ids with an appointment made during the call */
} call_store_context;

/* Reads the org's context for the n reports (their call ids). */
ingest_store_result call_store_context_read(vx_pg *pg, const ingest_call *const *reports, size_t n, call_store_context *ctx);
bool call_store_context_booked(const call_store_context *ctx, const char *vapi_call_id);
void call_store_context_free(call_store_context *ctx);

/* Records n status-updates (each with status and call id); advanced[i] tells
 * whether calls[i]'s call was new or moved forward (false for a late or
 * repeated update, and for all but the highest of one call in the batch). */
ingest_store_result call_store_statuses(vx_pg *pg, const char *org_id, const ingest_call *const *calls, size_t n, bool *advanced);

/* Counts n hang messages on their calls, once per request id. */
ingest_store_result call_store_hangs(vx_pg *pg, const char *org_id, const ingest_call *const *calls, const char *const *request_ids,
                                     size_t n);

/* Creates or updates the callers' contacts of n reports (those without a
 * caller number are skipped): the lead status moves new → contacted →
 * booked / lost and a booked contact stays booked; score and tier are the
 * latest call's unless a later call already scored the contact; the name is
 * filled only when the contact has none. */
ingest_store_result call_store_contacts(vx_pg *pg, const char *org_id, const ingest_call *const *calls,
                                        const analytics_result *const *analytics, size_t n);

/* Upserts the final records of n reports (status and outcome 'completed')
 * with their analytics, each linked to its caller's contact; writes each
 * call's contact id into contact_ids[i] ("" when none). */
ingest_store_result call_store_reports(vx_pg *pg, const char *org_id, const ingest_call *const *calls,
                                       const analytics_result *const *analytics, size_t n, char (*contact_ids)[37]);

/* One job for the outbox. */
typedef struct call_store_job {
    const char *job_key;
    const char *subject;
    const unsigned char *payload;
    size_t len;
    long long id; /* set by call_store_queue_jobs: the new row, or 0 when the key was queued before */
} call_store_job;

/* Adds n jobs to the outbox, each unless its key exists (whatever its state). */
ingest_store_result call_store_queue_jobs(vx_pg *pg, const char *org_id, call_store_job *jobs, size_t n);

/* Marks n outbox jobs of org_id published (JetStream took them). */
ingest_store_result call_store_jobs_published(vx_pg *pg, const char *org_id, const long long *ids, size_t n);

#endif
