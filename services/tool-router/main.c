/*
 * tool-router: what the voice agent can do mid-call. Wiring only (see
 * README.md for the map of the folder).
 *
 * TOOLS_WORKERS workers (default 1, see worker.h), each with its own thread,
 * NATS and PostgreSQL connection, serve rpc.tools.> in queue group "tools"
 * and answer the quick messages themselves, in batches; TOOLS_POOL_THREADS
 * threads (default 4, see pool.h) answer the ones that may take long, with
 * at most TOOLS_POOL_QUEUE_MAX (default 256) waiting for them. One
 * listener thread keeps every org cache honest. SIGTERM/SIGINT: stop taking
 * requests, let the in-flight ones finish, close everything, exit 0.
 */
#include <stdlib.h>

#include "dispatch.h"
#include "pool.h"
#include "settings.h"
#include "tool_table.h"
#include "vx_config.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_orgs.h"
#include "vx_rpc.h"
#include "vx_signal.h"
#include "vx_vapi.h"
#include "worker.h"

int main(void)
{
    vx_log_init("tool-router");
    vx_signal_block_termination();
    const char *database_url = vx_config_require("DATABASE_URL");
    const char *nats_url = vx_config_require("NATS_URL");
    /* One worker batches best: every request it receives in one read of its
     * socket shares one database round trip (more workers on 2 cores split
     * the batches and measured 20% slower); the pool keeps it from blocking. */
    int nworkers = (int)vx_config_long("TOOLS_WORKERS", 1, 1, 64);
    int npool = (int)vx_config_long("TOOLS_POOL_THREADS", 4, 1, 64);
    /* Requests waiting for a pool thread, at most (more are answered 503):
     * a burst of a hundred bookings at once must fit (each takes a few ms of
     * a thread), while the bound keeps the waiting requests' memory finite
     * (each up to the gateway's body limit). */
    size_t pool_queue = (size_t)vx_config_long("TOOLS_POOL_QUEUE_MAX", 256, 1, 65536);
    vx_vapi_require_org_hint_key();
    vx_rpc_require_envelope_key();
    settings config;
    settings_load(&config);
    if (dispatch_check_routes() != 0 || tool_table_check_catalog() != 0)
        return VX_EXIT_FAILED;

    int status = VX_EXIT_FAILED;
    vx_listener *listener = NULL;
    pool *slow = NULL;
    worker **workers = calloc((size_t)nworkers, sizeof(*workers));
    if (workers == NULL)
        abort();
    natsConnection *nc = vx_nats_connect(nats_url, "tool-router");
    if (nc == NULL)
        goto out;
    listener = vx_listener_create(database_url, VX_CHANNEL_AGENTS_CHANGED, "tool-router-listener");
    if (listener == NULL || vx_listener_start(listener) != 0)
        goto out;
    slow = pool_create(npool, pool_queue, database_url, nc, &config, listener);
    if (pool_start(slow) != 0)
        goto out;
    for (int i = 0; i < nworkers; i++) {
        workers[i] = worker_create(database_url, nc, slow, &config, listener);
        if (worker_start(workers[i], nats_url) != 0)
            goto out;
    }

    vx_log_info(NULL, NULL, "tool-router serving", "subject", "rpc.tools.>");
    vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "tool-router stopping");
    status = VX_EXIT_OK;

out:
    for (int i = 0; i < nworkers; i++)
        if (workers[i] != NULL)
            worker_drain(workers[i]);
    for (int i = 0; i < nworkers; i++)
        worker_destroy(workers[i]);
    free(workers);
    pool_destroy(slow); /* after the workers: they hand it requests until they are gone */
    vx_listener_destroy(listener);
    vx_nats_close(nc); /* after the pool: its last answers go out on nc */
    nats_Close();
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
