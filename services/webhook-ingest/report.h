/*
 * report: what storing end-of-call reports implies — redaction, analytics,
 * the callers' contacts and the hot-lead jobs — for one org's reports of a
 * batch, inside the batch's transaction (process.c), so that either all of
 * it is stored or none of it:
 *
 *     context: the org's settings, services, the calls tool-router booked on
 *     per report: analytics (analytics.h) on what was said, then the caller's
 *       words redacted (unless the org turned it off)
 *     contacts upsert (reports whose caller's number is known)
 *     call_logs upsert
 *     hot-lead jobs into work_outbox (score >= the org's threshold; once per call)
 *
 * Publishing the jobs and the call.ended events happens after the commit,
 * in process.c: a report is never acked before its transaction committed,
 * and a job left unpublished by a crash is published by the outbox relay.
 */
#ifndef INGEST_REPORT_H
#define INGEST_REPORT_H

#include <stddef.h>

#include "analytics.h"
#include "call_report.h"
#include "call_store.h"
#include "ingest_store.h"
#include "vx_pg.h"
#include "vx_redact.h"

#define INGEST_HOT_LEAD_JOB_PREFIX "hot-lead:"

typedef struct ingest_report_outcome {
    analytics_result analytics;
    char contact_id[37];    /* "" when the caller's number is unknown */
    int hot_lead_threshold; /* the org's */
    long long job_id;       /* the outbox row this delivery queued, 0 when none (or queued before) */
    char job_key[128];      /* INGEST_HOT_LEAD_JOB_PREFIX + call id, when job_id != 0 */
    unsigned char *job;     /* the serialized voxanne.v1.HotLeadJob, when job_id != 0 */
    size_t job_len;
    vx_redact_stats redactions; /* what was redacted */
} ingest_report_outcome;

/* Writes n reports of org_id (each with a call id; request_ids[i] may be
 * NULL) as above, in the open transaction under the org's claims; nothing is
 * committed. outcomes[i] is filled for each (free each with
 * ingest_report_outcome_free, whatever the result). */
ingest_store_result ingest_reports_store(vx_pg *pg, const char *org_id, const ingest_call *const *calls,
                                         const char *const *request_ids, size_t n, ingest_report_outcome *outcomes);

void ingest_report_outcome_free(ingest_report_outcome *out);

/* The data of the call.ended event (a JSON object the caller frees): ids,
 * outcome and analytics only — no name, number or transcript, so the event
 * stream holds no PHI. */
char *ingest_report_event_json(const ingest_call *c, const ingest_report_outcome *out);

#endif
