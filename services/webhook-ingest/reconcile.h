/*
 * reconcile: the end-of-call reports Vapi never delivered, fetched back.
 *
 * Vapi does not retry a webhook by default (contracts/vapi.md §5), so a
 * report lost in transit would be gone. Every interval_s (RECONCILE_INTERVAL_S,
 * default 300) a thread of its own lists the calls Vapi created in the last
 * window_min minutes (RECONCILE_WINDOW_MIN, default 60: GET /call through
 * libcommon/vx_vapi_api), keeps those that ended at least grace_s
 * (RECONCILE_GRACE_S, default 120) ago — their webhook had time to arrive —
 * asks PostgreSQL which of them have no final record (call_logs.status
 * 'completed', through calls_without_final_record(), migrations/0010), and
 * feeds each of those, rebuilt as the end-of-call report Vapi would have sent,
 * through ingest_process(): the same path, org resolution, parking and
 * idempotent upsert as a webhook. A call whose org cannot be resolved is
 * parked like a webhook's (once: its request id "reconcile-<call id>" is
 * stable, and a parked message is unique per request id and reason).
 *
 * Several replicas: a round runs under a PostgreSQL advisory lock held by the
 * thread's own connection, so one replica reconciles at a time and the
 * others skip that round; the path is idempotent anyway, so a lock lost with
 * its connection costs at most duplicate work, never a duplicate row.
 *
 * Bounded: at most RECONCILE_MAX_FED calls fed and RECONCILE_MAX_PAGES pages
 * listed per round (the next round takes the rest). A round that fails (Vapi
 * unreachable or answering 5xx, the database down) is logged and the next
 * interval tries again; a call whose processing says RETRY is left to the
 * next round. Each round logs one info line with its counts. The private key
 * and the calls' contents are never logged.
 */
#ifndef INGEST_RECONCILE_H
#define INGEST_RECONCILE_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#include "vx_listen.h"

#define RECONCILE_PAGE      100 /* calls asked per GET /call (Vapi's default page) */
#define RECONCILE_MAX_PAGES 50  /* per round */
#define RECONCILE_MAX_FED   500 /* calls fed through ingest_process per round */
/* One GET /call: a background job with no caller waiting, so generous; a
 * stop waits for the request in flight at most this long. */
#define RECONCILE_VAPI_TIMEOUT_MS 15000

typedef struct ingest_reconcile_config {
    const char *database_url;
    const vx_listener *orgs_changed; /* may be NULL; read by the processor's org cache */
    natsConnection *nc;              /* may be NULL; the processor publishes a stored call's events and jobs on it */
    const char *vapi_base_url;       /* VAPI_API_BASE_URL */
    const char *vapi_private_key;    /* VAPI_PRIVATE_KEY; NULL or "": reconciliation is off */
    long interval_s;                 /* RECONCILE_INTERVAL_S, >= 1 */
    long window_min;                 /* RECONCILE_WINDOW_MIN, >= 1 */
    long grace_s;                    /* RECONCILE_GRACE_S, >= 0 */
} ingest_reconcile_config;

typedef struct ingest_reconcile ingest_reconcile;

/* Creates the reconciler (nothing connects yet). The strings of cfg must
 * outlive it. The caller owns it (ingest_reconcile_destroy). Never NULL. */
ingest_reconcile *ingest_reconcile_create(const ingest_reconcile_config *cfg);
/* Starts the thread: a round at once, then every interval_s. Without a
 * private key it logs once (info) that reconciliation is off and starts
 * nothing. Returns 0, or -1 when the thread cannot be made (logged). */
int ingest_reconcile_start(ingest_reconcile *r);
/* Stops the thread (a round in progress ends after the call or page in hand)
 * and returns when it has ended. Frees nothing; a second call (or NULL) is a no-op. */
void ingest_reconcile_stop(ingest_reconcile *r);
/* Stops r if it runs, then frees it. NULL is a no-op. */
void ingest_reconcile_destroy(ingest_reconcile *r);

/* The pure parts, for tests. */

/* True when call (a Vapi Call object) is due: status "ended", a valid id
 * (1..100 of [A-Za-z0-9-]) and an endedAt at least grace_s before now_ms. */
bool ingest_reconcile_due(const cJSON *call, int64_t now_ms, long grace_s);

/* The end-of-call report Vapi would have sent for call, as a JSON text
 * (malloc'd; the caller frees it): {"message":{"type":"end-of-call-report",
 * "timestamp": endedAt in unix ms, "call": the Call without its artifact and
 * analysis, "endedReason", "startedAt", "endedAt", "cost", "costs",
 * "artifact", "analysis", "customer", "phoneNumber"}} — each only when the
 * Call has it (not null). Credentials anywhere in it are scrubbed
 * (vx_scrub), as the gateway scrubs a webhook's. The same call always gives
 * the same text. NULL when call is not an object. */
char *ingest_reconcile_report(const cJSON *call);

#endif
