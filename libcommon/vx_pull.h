/*
 * vx_pull: the worker threads of a durable JetStream pull consumer, the
 * mechanics webhook-ingest (stream VAPI) and tool-sync (stream WORK) share;
 * what a message means stays in the service, behind callbacks.
 *
 * All replicas and all their workers share one durable, created (or updated
 * to our settings) explicitly with js_AddConsumer, so a replica going away
 * can never delete it. Each worker thread has its own inbox subscription and
 * pulls with JetStream's own request ($JS.API.CONSUMER.MSG.NEXT.<stream>.
 * <durable>, {"batch":N,"expires":ns}, answered on <inbox>.<n>): not
 * natsSubscription_Fetch, whose cnats 3.4.1 implementation was seen (under
 * the webhook benchmark's load) returning 114 messages in an array it had
 * allocated for a batch of 64 — a heap overflow that killed webhook-ingest.
 * Here a pull never keeps more than it asked for.
 *
 * A message is settled by answering its reply subject (+ACK, -NAK with a
 * delay, +TERM: allow_responses in deploy/nats/users.conf, never a $JS.ACK
 * grant). The answer is fire-and-forget: a lost one only means a redelivery
 * after AckWait, and both consumers' work is idempotent, so a round trip per
 * message for certainty buys nothing.
 *
 * A worker does not pull while its ready() says no (its database is down):
 * the messages stay in the stream instead of cycling through redeliveries.
 * Stopping is cooperative: a flag checked after each pull, whose 500 ms
 * expiry bounds how long stopping takes, and which the workers' contexts may
 * watch to cut a long handle() short; what was pulled but not handled is
 * handed back (-NAK) so another replica takes it at once.
 */
#ifndef VX_PULL_H
#define VX_PULL_H

#include <nats/nats.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct vx_pull vx_pull;
/* One worker thread, as handle() sees it: what its messages are settled through. */
typedef struct vx_pull_worker vx_pull_worker;

/* Makes worker i's context (0 <= i < workers), what the callbacks below
 * receive as ctx: vx_pull_create calls it once per worker with the config's
 * arg, and vx_pull owns the result from then on (ctx_destroy). stopping is
 * set once the consumer stops, for a handle() that may run long to end
 * early; it lives as long as the context. NULL (logged): the create fails. */
typedef void *(*vx_pull_ctx_create_fn)(void *arg, int i, const atomic_bool *stopping);
typedef void (*vx_pull_ctx_destroy_fn)(void *ctx);
/* The n (1..batch) messages of one pull, in the order they came: handle()
 * settles each exactly once (vx_pull_ack, _retry, _nak or _term) before it
 * returns; vx_pull destroys them afterwards. */
typedef void (*vx_pull_handle_fn)(vx_pull_worker *w, void *ctx, natsMsg *const *msgs, int n);
/* True when the worker may pull now (its database is up); asked before every pull. */
typedef bool (*vx_pull_ready_fn)(void *ctx);
/* A pull that brought nothing. */
typedef void (*vx_pull_idle_fn)(void *ctx);

typedef struct vx_pull_config {
    jsCtx *js;           /* the stream must exist; used by vx_pull_start only */
    natsConnection *nc;  /* js's connection: the workers pull and settle on it */
    const char *stream;  /* e.g. VX_STREAM_VAPI */
    const char *durable; /* the consumer all replicas share */
    const char *filter;  /* its subject filter */
    const char *what;    /* what it consumes, for the start-up log line ("Vapi messages") */
    int64_t ack_wait_ms; /* redelivery of what is not settled by then: longer than handling can take */
    int batch;           /* messages per pull, >= 1 */
    int workers;         /* threads, >= 1 */
    vx_pull_ctx_create_fn ctx_create;
    void *arg; /* for ctx_create, during vx_pull_create only */
    vx_pull_ctx_destroy_fn ctx_destroy;
    vx_pull_handle_fn handle;
    vx_pull_ready_fn ready; /* NULL: always ready */
    vx_pull_idle_fn idle;   /* NULL: nothing to do */
} vx_pull_config;

/* Copies cfg (its strings too) and makes the workers' contexts. Starts
 * nothing. NULL (logged) when cfg is not valid or a context could not be
 * made. The caller owns it (vx_pull_destroy). */
vx_pull *vx_pull_create(const vx_pull_config *cfg);
/* Creates or updates the durable, subscribes every worker's inbox and starts
 * the threads. 0, or -1 (logged): then destroy it (the threads started so far
 * are stopped there). */
int vx_pull_start(vx_pull *p);
/* Sets the contexts' stopping flag and stops pulling; each worker finishes
 * the handle() in progress, hands back (-NAK) what it pulled but did not
 * handle and what still arrives for its open pull, and ends. Returns once
 * every worker has ended. Frees nothing; a second call (or NULL) is a no-op. */
void vx_pull_stop(vx_pull *p);
/* Stops p if it runs, then frees it: its subscriptions and the workers'
 * contexts (never the durable, which outlives every replica). NULL is a no-op. */
void vx_pull_destroy(vx_pull *p);

/* Settling, from handle() on the worker's own thread. A failed answer is
 * logged and otherwise harmless: the message comes back after AckWait. */
/* +ACK: done. The next retry of this worker waits the shortest delay again. */
void vx_pull_ack(vx_pull_worker *w, natsMsg *m);
/* -NAK after the worker's backoff delay (vx_pull_backoff below): failed for
 * now, e.g. the database failed. */
void vx_pull_retry(vx_pull_worker *w, natsMsg *m);
/* -NAK redelivered after delay_ms (0: at once), leaving the backoff alone:
 * not a failure (the work is busy elsewhere, or we are stopping). */
void vx_pull_nak(vx_pull_worker *w, natsMsg *m, int64_t delay_ms);
/* +TERM: can never be handled; never redelivered. */
void vx_pull_term(vx_pull_worker *w, natsMsg *m);

/* The backoff of a worker's retries, one per worker (public for its unit
 * test). Retries wait VX_PULL_RETRY_MIN_MS, doubling per consecutive failed
 * handle() up to VX_PULL_RETRY_MAX_MS; an ack starts again from the minimum.
 * A handle() counts as failed once, however many of its messages it retried:
 * a batch that failed as a whole (one transaction) is one failure, not n. */
#define VX_PULL_RETRY_MIN_MS 1000
#define VX_PULL_RETRY_MAX_MS 10000
typedef struct vx_pull_backoff {
    int failures; /* consecutive failed handle()s, before this one */
    bool retried; /* this handle() retried a message */
} vx_pull_backoff;
/* The delay of a retry now, in milliseconds; marks the handle() as failed. */
int64_t vx_pull_backoff_retry(vx_pull_backoff *b);
/* An ack: the next retry waits the minimum again. */
void vx_pull_backoff_ack(vx_pull_backoff *b);
/* After each handle(): one more failure if it retried anything. */
void vx_pull_backoff_handled(vx_pull_backoff *b);

/* What arrived on a worker's inbox, for the pull whose reply subject is
 * reply (public for its unit test). Status messages of the pull protocol
 * carry no data and a Status header: 100 is a heartbeat; 404 (nothing to
 * deliver), 408 (expired) and 409 (ended by the server) end that pull. */
typedef enum vx_pull_arrival {
    VX_PULL_MESSAGE = 0, /* a message of the stream (maybe a late one of an earlier pull: ours all the same) */
    VX_PULL_END = 1,     /* the pull is over */
    VX_PULL_NOISE = 2,   /* a heartbeat, or the status of an earlier pull */
} vx_pull_arrival;
vx_pull_arrival vx_pull_classify(natsMsg *m, const char *reply);

#endif
