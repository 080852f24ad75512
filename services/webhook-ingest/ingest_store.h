/*
 * ingest_store: the SQL webhook-ingest runs (call_logs upserts,
 * parked_messages inserts and their purge). Every statement is prepared once
 * per connection and bound with parameters; every call_logs write runs inside
 * vx_pg_begin_org(org_id), so row-level security checks it too.
 *
 * Idempotency lives here, in the database, not in JetStream's 2-minute
 * de-duplication window:
 *   - an end-of-call report upserts on vapi_call_id and sets the same values
 *     every time, so a redelivered report changes nothing but updated_at;
 *   - a status-update inserts the call if it is new, and otherwise moves the
 *     status forward only (queued < ringing < in-progress < forwarding <
 *     ended < completed), so a late one never reopens an ended call;
 *   - a parked message is inserted once per (call, type, reason).
 */
#ifndef INGEST_STORE_H
#define INGEST_STORE_H

#include "call_report.h"
#include "vx_pg.h"

typedef enum {
    INGEST_STORE_OK = 0,
    INGEST_STORE_TRANSIENT = -1, /* retry later: connection lost, deadlock, … */
    INGEST_STORE_PERMANENT = -2, /* this message can never be stored as is: park it */
} ingest_store_result;

/* Registers the statements on pg. Call once per connection handle, before use. */
void ingest_store_prepare(vx_pg *pg);

/* Upserts the final record of a call from an end-of-call report (status and
 * outcome 'completed'). c->vapi_call_id must be set. */
ingest_store_result ingest_store_report(vx_pg *pg, const char *org_id, const ingest_call *c);

/* Records a status-update (c->status and c->vapi_call_id must be set). */
ingest_store_result ingest_store_status(vx_pg *pg, const char *org_id, const ingest_call *c);

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
