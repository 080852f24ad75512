/*
 * pool: threads for the requests that may take long, so that a worker's
 * batch of quick reads never waits behind them.
 *
 * A worker answers a batch's replies in one write after the whole batch is
 * handled: one booking that waits 300 ms on Google Calendar would hold back
 * every lookup of its batch. So the worker hands each message that writes,
 * asks another service or calls outside (every tool but the one-read tools,
 * and knowledge-base-request) to this pool and goes on; a pool thread
 * answers it with the same handler on a database connection and org cache of
 * its own, and sends the answer on the shared NATS connection.
 *
 * Order: submissions are served first come, first served by any free thread.
 * A request whose deadline passed while it waited in the queue is not run
 * (answered 503 "expired": the gateway has answered the caller already), so
 * an overloaded pool spends itself on callers who are still waiting.
 * Stop: router_pool_stop answers everything already submitted, then joins.
 */
#ifndef TOOL_ROUTER_POOL_H
#define TOOL_ROUTER_POOL_H

#include <nats/nats.h>

#include "settings.h"
#include "vx_orgs.h"
#include "vx_rpc.h"

typedef struct router_pool router_pool;

/* Starts threads (each with its own database handle; nothing connects yet).
 * nc: the shared connection the answers (and the tools' own requests) use. */
router_pool *router_pool_start(int threads, const char *database_url, natsConnection *nc, const struct tool_settings *settings,
                               const vx_listener *listener);
/* Queues a deferred request (see vx_rpc_defer); a pool thread answers it. */
void router_pool_submit(router_pool *p, vx_rpc_deferred *d);
/* Answers every submitted request, stops the threads and frees the pool.
 * No submission may come after (stop the workers first). */
void router_pool_stop(router_pool *p);

#endif
