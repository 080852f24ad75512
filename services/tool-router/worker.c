/*
 * worker: a vx_rpc batched worker around dispatch_batch (see worker.h).
 *
 * Design: the worker adds nothing to what dispatch does but the thread, the
 * NATS connection and the health check; keeping them apart lets the pool's
 * threads run the very same dispatch without any of them.
 */
#include "worker.h"

#include <stdlib.h>

#include "dispatch.h"
#include "vx_rpc.h"

struct worker {
    dispatch *dispatch;
    vx_rpc_worker *rpc; /* NULL when not running */
};

/* Runs on the worker's own thread, so it may use the worker's connection. */
static bool healthy(void *state, const char **detail)
{
    dispatch *d = state;
    bool ok = vx_pg_ensure(d->pg) == 0;
    *detail = ok ? "ok" : "database unreachable";
    return ok;
}

worker *worker_create(const char *database_url, natsConnection *nc, pool *slow, const settings *config, const vx_listener *listener)
{
    worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->dispatch = dispatch_create(database_url, nc, slow, config, listener);
    return w;
}

int worker_start(worker *w, const char *nats_url)
{
    w->rpc = vx_rpc_worker_start_batched(nats_url, "tools", dispatch_batch, healthy, w->dispatch);
    return w->rpc != NULL ? 0 : -1;
}

void worker_drain(worker *w)
{
    if (w->rpc != NULL)
        vx_rpc_worker_drain(w->rpc);
}

void worker_stop(worker *w)
{
    if (w->rpc == NULL)
        return;
    vx_rpc_worker_destroy(w->rpc); /* stops it when not asked yet, waits, frees it */
    w->rpc = NULL;
}

void worker_destroy(worker *w)
{
    if (w == NULL)
        return;
    worker_stop(w);
    dispatch_destroy(w->dispatch);
    free(w);
}
