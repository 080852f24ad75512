/*
 * process: what webhook-ingest does with one VapiMessageEvent from the VAPI
 * stream, and what should happen to the JetStream message afterwards.
 *
 * A processor owns one PostgreSQL connection and one org resolver, and is
 * used by one worker thread. It never touches NATS: it returns a verdict and
 * the consumer acks, naks or terminates accordingly, so the rule "ack only
 * after the transaction committed" is enforced by construction: ACK is only
 * returned after a commit (or a parked insert) succeeded.
 *
 *   - undecodable protobuf            → DROP (it can never be processed)
 *   - JSON that is not a Vapi message → parked "malformed", ACK
 *   - a type we do not store          → ACK (logged at debug)
 *   - no call id, or no org found     → parked, ACK
 *   - stored                          → ACK
 *   - database unreachable/transient  → RETRY (nothing acked, it comes back)
 *   - permanent SQL error             → parked with the error, ACK
 *   - parking itself fails for good   → DROP, logged as an error
 */
#ifndef INGEST_PROCESS_H
#define INGEST_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "vx_listen.h"

typedef enum {
    INGEST_VERDICT_ACK = 0,    /* done (stored, parked or ignored) */
    INGEST_VERDICT_RETRY = -1, /* not done; redeliver after a delay */
    INGEST_VERDICT_DROP = -2,  /* can never be processed; do not redeliver */
} ingest_verdict;

typedef struct ingest_processor ingest_processor;

/* Creates a processor with its own connection to database_url (connected
 * lazily); orgs_changed (may be NULL) invalidates its org cache. Never NULL. */
ingest_processor *ingest_processor_create(const char *database_url, const vx_listener *orgs_changed);
void ingest_processor_destroy(ingest_processor *p);

/* True when the database connection is up (connecting if needed, with the
 * backoff of vx_pg_ensure). */
bool ingest_processor_db_ready(ingest_processor *p);

/* Processes one serialized voxanne.v1.VapiMessageEvent. */
ingest_verdict ingest_process(ingest_processor *p, const void *data, size_t len);

#endif
