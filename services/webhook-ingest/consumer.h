/*
 * consumer: the workers that pull Vapi messages from JetStream.
 *
 * All replicas and all their workers share one durable pull consumer,
 * "webhook-ingest" on stream VAPI (filter vapi.msg.>), so JetStream spreads
 * the messages and redelivers whatever is not acknowledged within 30 s.
 * Each worker thread has its own pull subscription and its own processor
 * (database connection); it fetches batches, processes them and then acks,
 * naks with a growing delay (1 s … 10 s) or terminates each message, as the
 * processor's verdict says (process.h). The pulling, settling and stopping
 * are libcommon/vx_pull.h's (which says why they are not cnats' Fetch and
 * AckSync); a worker does not fetch while its database is down.
 */
#ifndef INGEST_CONSUMER_H
#define INGEST_CONSUMER_H

#include <nats/nats.h>

#include "vx_listen.h"
#include "vx_pull.h"

#define INGEST_DURABLE "webhook-ingest"

typedef struct ingest_consumer_config {
    jsCtx *js;                       /* the stream VAPI must exist (vx_js_ensure_vapi_stream) */
    natsConnection *nc;              /* js's connection: the workers pull and acknowledge on it */
    const char *database_url;        /* each worker opens its own connection */
    int workers;                     /* >= 1 */
    int batch;                       /* messages per fetch, 1..256 */
    const vx_listener *orgs_changed; /* invalidates the workers' org caches; may be NULL (outlives the consumer) */
} ingest_consumer_config;

/* Creates the consumer and its workers (each with its database handle,
 * connected lazily). Starts nothing. The caller owns it and runs it with
 * vx_pull_start, vx_pull_stop (each worker finishes the batch in hand and
 * naks what it has not started, so another replica takes it at once) and
 * vx_pull_destroy (which also closes the workers' database connections).
 * NULL (logged) on failure. */
vx_pull *ingest_consumer_create(const ingest_consumer_config *cfg);

#endif
