/*
 * consumer: the workers that pull Vapi messages from JetStream.
 *
 * All replicas and all their workers share one durable pull consumer,
 * "webhook-ingest" on stream VAPI (filter vapi.msg.>), so JetStream spreads
 * the messages and redelivers whatever is not acknowledged within 30 s.
 * Each worker thread has its own pull subscription and its own processor
 * (database connection); it fetches batches, processes each message and then
 * acks, naks with a growing delay (1 s … 10 s) or terminates it, as the
 * processor's verdict says (process.h).
 *
 * Acks are natsMsg_Ack (fire-and-forget), not natsMsg_AckSync: a lost ack
 * only means a redelivery after AckWait, and every write is idempotent in the
 * database, so paying a round trip per message for certainty buys nothing.
 */
#ifndef INGEST_CONSUMER_H
#define INGEST_CONSUMER_H

#include <nats/nats.h>

#include "vx_listen.h"

#define INGEST_DURABLE "webhook-ingest"

typedef struct ingest_consumer ingest_consumer;

typedef struct ingest_consumer_config {
    jsCtx *js;                       /* the stream VAPI must exist (vx_js_ensure_vapi_stream) */
    natsConnection *nc;              /* js's connection: the workers pull and acknowledge on it */
    const char *database_url;        /* each worker opens its own connection */
    int workers;                     /* >= 1 */
    int batch;                       /* messages per fetch, 1..256 */
    const vx_listener *orgs_changed; /* invalidates the workers' org caches; may be NULL */
} ingest_consumer_config;

/* Creates the consumer and its workers (each with its database handle,
 * connected lazily). Starts nothing. The caller owns it (ingest_consumer_destroy). */
ingest_consumer *ingest_consumer_create(const ingest_consumer_config *cfg);
/* Creates or updates the durable consumer, subscribes every worker and starts
 * their threads. Returns 0, or -1 (logged) when the consumer cannot be set
 * up: then destroy it (the workers started so far are stopped there). */
int ingest_consumer_start(ingest_consumer *c);

/* Stops fetching; each worker finishes the message in hand and naks the rest
 * of its batch (so another replica takes them at once); returns once every
 * worker has ended. Frees nothing; a second call (or NULL) is a no-op. */
void ingest_consumer_stop(ingest_consumer *c);
/* Stops c if it runs, then frees it (subscriptions, workers' database
 * connections). NULL is a no-op. */
void ingest_consumer_destroy(ingest_consumer *c);

#endif
