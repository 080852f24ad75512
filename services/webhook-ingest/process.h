/*
 * process: what webhook-ingest does with one VapiMessageEvent from the VAPI
 * stream, and what should happen to the JetStream message afterwards.
 *
 * A processor owns one PostgreSQL connection and one org resolver, and is
 * used by one worker thread. It never settles the JetStream message: it
 * returns a verdict and the consumer acks, naks or terminates accordingly,
 * so the rule "ack only after the transaction committed" is enforced by
 * construction: ACK is only returned after a commit (or a parked insert)
 * succeeded. What it publishes (jobs, events) it publishes after the commit.
 *
 *   - undecodable protobuf            → DROP (it can never be processed)
 *   - JSON that is not a Vapi message → parked "malformed", ACK
 *   - a type we do not store          → ACK (logged at debug)
 *   - no call id, or no org found     → parked, ACK
 *   - stored                          → ACK, then the hot-lead job (if any)
 *                                       and the call.started / call.ended
 *                                       event are published (a job that
 *                                       fails stays in the outbox for the
 *                                       relay; an event that fails is logged)
 *   - in a batch whose transaction the database refuses for good: each
 *     message is written alone, so only the poison one is parked
 *   - database unreachable/transient  → RETRY (nothing acked, it comes back)
 *   - permanent SQL error             → parked with the error, ACK
 *   - parking itself fails for good   → DROP, logged as an error
 */
#ifndef INGEST_PROCESS_H
#define INGEST_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include <nats/nats.h>

#include "vx_listen.h"

typedef enum {
    INGEST_VERDICT_ACK = 0,    /* done (stored, parked or ignored) */
    INGEST_VERDICT_RETRY = -1, /* not done; redeliver after a delay */
    INGEST_VERDICT_DROP = -2,  /* can never be processed; do not redeliver */
} ingest_verdict;

typedef struct ingest_processor ingest_processor;

/* Creates a processor with its own connection to database_url (connected
 * lazily); orgs_changed (may be NULL) invalidates its org cache; on nc (may
 * be NULL: nothing is published) it publishes jobs and events, through a
 * JetStream context of its own. Never NULL. */
ingest_processor *ingest_processor_create(const char *database_url, const vx_listener *orgs_changed, natsConnection *nc);
void ingest_processor_destroy(ingest_processor *p);

/* True when the database connection is up (connecting if needed, with the
 * backoff of vx_pg_ensure). */
bool ingest_processor_db_ready(ingest_processor *p);

/* One serialized voxanne.v1.VapiMessageEvent of a batch. */
typedef struct ingest_message {
    const void *data;
    size_t len;
} ingest_message;

/* Processes n messages as one batch (their writes in one transaction; see
 * process.c) and sets verdicts[i] for each. */
void ingest_process_batch(ingest_processor *p, const ingest_message *msgs, size_t n, ingest_verdict *verdicts);

/* Between batches, when there was nothing to pull: collects the
 * acknowledgements of the last batch's publishes and marks its jobs
 * published (otherwise done in the next batch's transaction). */
void ingest_processor_idle(ingest_processor *p);

/* Processes one message (a batch of one). */
ingest_verdict ingest_process(ingest_processor *p, const void *data, size_t len);

#endif
