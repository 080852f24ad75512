/*
 * readiness: is the suite able to serve? A background thread asks every
 * service's rpc.<service>.health once a second and keeps the answers, so
 * GET /ready reads memory and never waits on NATS inside a loop thread.
 */
#ifndef GATEWAY_READINESS_H
#define GATEWAY_READINESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <nats/nats.h>

#include "vx_buf.h"

#define READINESS_MAX_SERVICES 16

typedef struct readiness {
    natsConnection *nc;
    char *names[READINESS_MAX_SERVICES];
    atomic_bool ok[READINESS_MAX_SERVICES];
    atomic_bool absent[READINESS_MAX_SERVICES]; /* the last poll found no responder at all */
    int count;
    pthread_t tid;
    bool running; /* tid was started and not yet joined */
    atomic_bool stop;
} readiness;

/* services: comma-separated names ("ingest,dashboard"); each must answer rpc.<name>.health. */
void readiness_start(readiness *r, natsConnection *nc, const char *services);
/* Ends the polling thread and waits for it. Frees nothing; a second call is a no-op. */
void readiness_stop(readiness *r);
/* Stops r if it polls, then frees the service names. A zeroed, never started r is fine. */
void readiness_destroy(readiness *r);
/* True when subject is "rpc.<name>.…" for a polled service that had no
 * responder at its last poll (any thread). */
bool readiness_subject_absent(readiness *r, const char *subject);
/* Writes the JSON body of /ready and returns whether everything is ready:
 * {"status":"ready"|"not_ready"}, plus, when details (the operator asked),
 * "checks" with NATS and each polled service by name. Anonymous callers learn
 * nothing about what runs behind the gateway. */
bool readiness_render(readiness *r, vx_buf *out, bool details);

#endif
