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
 * of its own (a dispatch without a pool), and sends the answer on the
 * shared NATS connection.
 *
 * Order: submissions are served first come, first served by any free thread.
 * A request whose deadline passed while it waited in the queue is not run
 * (answered 503 "expired": the gateway has answered the caller already), so
 * an overloaded pool spends itself on callers who are still waiting.
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
 * connects yet). nc: the shared connection the answers (and the tools' own
 * requests) use; config and listener are shared and must outlive the pool.
 * The caller owns the result (pool_destroy). */
pool *pool_create(int threads, const char *database_url, natsConnection *nc, const settings *config, const vx_listener *listener);
/* Starts the threads. Returns 0, or -1 (logged) when one cannot start (those
 * started are stopped again). */
int pool_start(pool *p);
/* Queues a deferred request (see vx_rpc_defer); a pool thread answers it.
 * Only between pool_start and pool_stop. */
void pool_submit(pool *p, vx_rpc_deferred *d);
/* Answers every submitted request and joins the threads. No submission may
 * come after (stop the workers first). A second call does nothing. */
void pool_stop(pool *p);
/* Stops the pool if it runs and frees it (NULL: nothing). */
void pool_destroy(pool *p);

#endif
