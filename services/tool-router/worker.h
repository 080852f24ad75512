/*
 * worker: one of tool-router's request loops — a thread and a NATS
 * connection of its own (vx_rpc_worker) serving rpc.tools.> in queue group
 * "tools", so workers and replicas share the load, with a dispatcher
 * (database connection, org cache; dispatch.h) that only this worker uses.
 * rpc.tools.health is answered by the worker from its own connection, so a
 * healthy answer also proves the worker is not stuck. Tools that ask other
 * services (vault, rag-search) do so on the shared connection nc.
 *
 * Life cycle (docs/conventions.md): worker_create (nothing connects),
 * worker_start; at shutdown worker_drain for every worker (each stops taking
 * requests at once, in parallel), then worker_stop for each (waits until its
 * in-flight requests are answered) and worker_destroy (stops first if
 * needed; NULL: nothing).
 */
#ifndef TOOL_ROUTER_WORKER_H
#define TOOL_ROUTER_WORKER_H

#include <nats/nats.h>

#include "pool.h"
#include "settings.h"
#include "vx_listen.h"

typedef struct worker worker;

/* A worker whose messages that may take long go to slow (NULL: it answers
 * everything itself); nc, config and listener are shared and must outlive
 * it. The caller owns the result. */
worker *worker_create(const char *database_url, natsConnection *nc, pool *slow, const settings *config,
                      const vx_listener *listener);
/* Starts serving (a thread and NATS connection to nats_url). Returns 0 or -1 (logged). */
int worker_start(worker *w, const char *nats_url);
/* Asks the worker to stop taking requests; returns at once. */
void worker_drain(worker *w);
/* Drains (if not asked yet) and waits (up to 5 s) until the requests already
 * received are answered. A second call does nothing. */
void worker_stop(worker *w);
/* Stops the worker if it runs and frees it (NULL: nothing). */
void worker_destroy(worker *w);

#endif
