/*
 * ingest_store: webhook-ingest's SQL besides the calls themselves
 * (call_store.h): parked messages, the outbox's relay side and the janitor's
 * purges. Every statement is prepared once per connection and bound with
 * parameters; tenant rows are written inside vx_pg_begin_org(org_id), so
 * row-level security checks them too.
 *
 * Idempotency lives in the database, not in JetStream's 2-minute
 * de-duplication window: a parked message is inserted once per (request id,
 * reason); the calls' rules are in call_store.h.
 */
#ifndef INGEST_STORE_H
#define INGEST_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "call_report.h"
#include "vx_pg.h"

typedef enum {
    INGEST_STORE_OK = 0,
    INGEST_STORE_TRANSIENT = -1, /* retry later: connection lost, deadlock, … */
    INGEST_STORE_PERMANENT = -2, /* this message can never be stored as is: park it */
} ingest_store_result;

/* Registers the statements on pg. Call once per connection handle, before use. */
void ingest_store_prepare(vx_pg *pg);

/* Marks n outbox jobs of org_id published, in a transaction of their own. */
ingest_store_result ingest_store_jobs_published(vx_pg *pg, const char *org_id, const long long *ids, size_t n);

/* One job left unpublished (ingest_store_pending_jobs). */
typedef struct ingest_pending_job {
    long long id;
    char *job_key;
    char *subject;
    unsigned char *payload;
    size_t len;
} ingest_pending_job;

/* Orgs with jobs unpublished for more than older_than_ms (at most max_orgs),
 * as a malloc'd array of UUID strings in *orgs (free each and the array). */
ingest_store_result ingest_store_orgs_with_pending_jobs(vx_pg *pg, long older_than_ms, int max_orgs, char ***orgs, int *n);
/* Up to max unpublished jobs of org_id, oldest first; free with ingest_pending_jobs_free. */
ingest_store_result ingest_store_pending_jobs(vx_pg *pg, const char *org_id, int max, ingest_pending_job **jobs, int *n);
void ingest_pending_jobs_free(ingest_pending_job *jobs, int n);

/* Deletes published jobs and counted-message keys older than keep_days
 * (purge_ingest_bookkeeping, migrations/0009); *deleted as ingest_store_purge_parked. */
ingest_store_result ingest_store_purge_jobs(vx_pg *pg, long keep_days, long max_rows, long *deleted);

/* Sorts the last error on pg: TRANSIENT when vx_pg_error_is_transient says
 * it is worth retrying (connection lost, rollback class, resources, timeouts), else PERMANENT. */
ingest_store_result ingest_store_classify(const vx_pg *pg);

/* Keeps a message we could not store, once per (request id, reason): a
 * redelivery parks nothing new. reason is short text; message_type,
 * vapi_call_id and request_id may be NULL; payload_json must be a JSON value. */
ingest_store_result ingest_store_park(vx_pg *pg, const char *reason, const char *message_type, const char *vapi_call_id,
                                      const char *request_id, const char *payload_json);

/* Deletes parked messages received more than keep_days (>= 1) days ago, at
 * most max_rows of them, oldest first, through purge_parked_messages() (the
 * app role may add to parked_messages, nothing more: migrations/0007). Sets
 * *deleted to how many went; max_rows deleted means more may be left. */
ingest_store_result ingest_store_purge_parked(vx_pg *pg, long keep_days, long max_rows, long *deleted);

#endif
