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
 * The pulling and settling are libcommon/vx_pull.h's, as webhook-ingest's:
 * acks answer the reply subject the job came with (allow_responses in
 * deploy/nats/users.conf; never a $JS.ACK grant).
 */
#ifndef TSYNC_CONSUMER_H
#define TSYNC_CONSUMER_H

#include <nats/nats.h>

#include "settings.h"
#include "vx_pull.h"
#include "sync.h"

#define TSYNC_DURABLE "tool-sync"

typedef struct tsync_consumer_config {
    jsCtx *js;          /* the WORK stream must exist (vx_work_ensure_stream) */
    natsConnection *nc; /* js's connection */
    const tsync_settings *settings;
    tsync_reregistered_fn on_reregistered; /* may be NULL */
    void *arg;
} tsync_consumer_config; /* settings and arg outlive the consumer */

/* Creates the consumer and its workers (settings->workers, each with its
 * tsync_sync). Starts nothing. The caller owns it and runs it with
 * vx_pull_start, vx_pull_stop (stops fetching; a sync in hand stops at its
 * next Vapi retry wait and its job is handed back) and vx_pull_destroy.
 * NULL (logged) on failure. */
vx_pull *tsync_consumer_create(const tsync_consumer_config *cfg);

#endif
