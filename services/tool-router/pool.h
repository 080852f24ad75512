/*
 * pool: threads for the requests that may take long, so that a worker's
 * batch of quick reads never waits behind them.
 *
 * A worker answers a batch's replies in one write after the whole batch is
 * handled: one booking that waits 300 ms on Google Calendar would hold back
 * every lookup of its batch. So the worker hands each message that writes,
 * asks another service or calls outside (every tool but the one-read tools,
 * and knowledge-base-request) to this pool and goes on; a pool thread
 * answers it with dispatch_request on a database connection and org cache
 * of its own (a dispatch without a pool), and sends the answer
 * (vx_rpc_deferred_answer: on the connection the request arrived on).
 *
 * Order: submissions are served first come, first served by any free thread.
 * A request whose deadline has passed is not run (answered 503 "expired":
 * the gateway has answered the caller already) — neither one that arrives
 * late nor one whose deadline passed while it waited in the queue — so an
 * overloaded pool spends itself on callers who are still waiting.
 * Bound: at most queue_max requests wait (each holds its decoded request,
 * up to NATS' payload limit); one more is answered 503 "overloaded" at once
 * instead of queueing without end.
 * Life cycle (docs/conventions.md): pool_create makes the pool and a
 * dispatcher per thread (nothing connects, no thread runs); pool_start starts
 * the threads; pool_stop answers everything already submitted and joins
 * them; pool_destroy stops the pool if it runs and frees it. A submitted
 * vx_rpc_deferred belongs to the pool until it is answered.
 */
#ifndef TOOL_ROUTER_POOL_H
#define TOOL_ROUTER_POOL_H

#include <nats/nats.h>

#include "settings.h"
#include "vx_listen.h"
#include "vx_rpc.h"

typedef struct pool pool;

/* A pool of `threads` threads, each with its own database handle (nothing
 * connects yet), and a queue of at most queue_max waiting requests. nc: the
 * shared connection the tools' own requests use; config and listener are
 * shared and must outlive the pool. The caller owns the result
 * (pool_destroy). */
pool *pool_create(int threads, size_t queue_max, const char *database_url, natsConnection *nc, const settings *config,
                  const vx_listener *listener);
/* Starts the threads. Returns 0, or -1 (logged) when one cannot start (those
 * started are stopped again). */
int pool_start(pool *p);
/* Queues a deferred request (see vx_rpc_defer); a pool thread answers it.
 * Answered at once instead, on the calling thread and without running it:
 * 503 "expired" when its deadline has passed, 503 "overloaded" when
 * queue_max requests wait already. Not after pool_stop; before pool_start
 * requests wait until it (tests fill the queue so). */
void pool_submit(pool *p, vx_rpc_deferred *d);
/* Answers every submitted request and joins the threads. No submission may
 * come after (stop the workers first). A second call does nothing. */
void pool_stop(pool *p);
/* Stops the pool if it runs and frees it (NULL: nothing). */
void pool_destroy(pool *p);

#endif
