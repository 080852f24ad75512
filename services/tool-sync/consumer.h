/*
 * consumer: the workers that take tool-sync jobs from the WORK stream.
 *
 * All replicas and all their workers share one durable pull consumer,
 * "tool-sync" on stream WORK (work-queue retention; filter
 * work.tool-sync.>; explicit acks). Each worker thread has its own pull
 * subscription and its own tsync_sync (database connection), takes one job
 * at a time (a sync may wait seconds on Vapi's retries), decodes its
 * ToolSyncJob (proto/voxanne/v1/work.proto) and settles it by the sync's
 * outcome: +ACK when synced, skipped (superseded or done) or left to the
 * sweep; -NAK with a delay when another worker holds the org (it will see
 * this version, or a newer one, when it is done) or the database failed;
 * +TERM for a job that cannot be read. The job is only a wake-up:
 * agent_sync is the truth, and the sweep finds any org a lost job left
 * behind.
 *
 * Acks answer the reply subject the job came with (allow_responses in
 * deploy/nats/users.conf; never a $JS.ACK grant), as webhook-ingest's.
 */
#ifndef TSYNC_CONSUMER_H
#define TSYNC_CONSUMER_H

#include <nats/nats.h>

#include "settings.h"
#include "sync.h"

#define TSYNC_DURABLE "tool-sync"

typedef struct tsync_consumer tsync_consumer;

typedef struct tsync_consumer_config {
    jsCtx *js;          /* the WORK stream must exist (vx_work_ensure_stream) */
    natsConnection *nc; /* js's connection */
    const tsync_settings *settings;
    tsync_reregistered_fn on_reregistered; /* may be NULL */
    void *arg;
} tsync_consumer_config;

/* Creates the consumer and its workers (settings->workers). Starts nothing. */
tsync_consumer *tsync_consumer_create(const tsync_consumer_config *cfg);
/* Creates or updates the durable, subscribes every worker and starts them. 0, or -1 (logged): then destroy it. */
int tsync_consumer_start(tsync_consumer *c);
/* Stops fetching; a sync in hand stops at its next Vapi retry wait (the job is handed back). Returns when every worker ended. */
void tsync_consumer_stop(tsync_consumer *c);
/* Stops c if it runs, then frees it. NULL is a no-op. */
void tsync_consumer_destroy(tsync_consumer *c);

#endif
