/*
 * relay: publishes the outbox jobs a worker could not (the transactional
 * outbox's second half).
 *
 * A worker publishes a report's hot-lead job right after the commit and
 * marks it published. If it crashed in between, or NATS refused the
 * publish, the job is still in work_outbox with published_at NULL: this
 * thread finds such jobs (older than RELAY_GRACE_MS, so it never races a
 * worker that is about to publish), publishes them with their job id as
 * Nats-Msg-Id, and marks them. A job published twice within JetStream's
 * de-duplication window is queued once; the notifier keys its work on the
 * job id for anything later. Every replica relays; two relaying the same
 * job publish it twice and JetStream keeps one.
 */
#ifndef INGEST_RELAY_H
#define INGEST_RELAY_H

#include <nats/nats.h>

typedef struct ingest_relay ingest_relay;

/* Creates the relay (its own database connection, connected lazily). Starts nothing. */
ingest_relay *ingest_relay_create(const char *database_url, jsCtx *js);
/* Starts the thread: a pass at once, then every 10 s. 0, or -1 (logged). */
int ingest_relay_start(ingest_relay *r);
/* Stops the thread after its current job; a second call, or NULL, is a no-op. */
void ingest_relay_stop(ingest_relay *r);
/* Stops r if it runs, then frees it. NULL is a no-op. */
void ingest_relay_destroy(ingest_relay *r);

#endif
