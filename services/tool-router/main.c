/*
 * tool-router: what the voice agent can do mid-call. Wiring only.
 *
 * TOOLS_WORKERS workers (default 1), each with its own thread, NATS and
 * PostgreSQL connection, serve rpc.tools.> in queue group "tools" and answer
 * the quick messages themselves, in batches; TOOLS_POOL_THREADS threads
 * (default 4, see pool.h) answer the ones that may take long. One listener
 * thread keeps every org cache honest. SIGTERM/SIGINT: stop taking requests,
 * let the in-flight ones finish, close everything, exit 0.
 */
#include <stdlib.h>

#include "vx_orgs.h"
#include "router.h"
#include "settings.h"
#include "vx_config.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_signal.h"

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
    struct tool_settings settings;
    settings_load(&settings);

    natsConnection *nc = vx_nats_connect(nats_url, "tool-router");
    if (nc == NULL)
        return 1;
    vx_listener *listener = vx_listener_start(database_url, VX_CHANNEL_AGENTS_CHANGED, "tool-router-listener");
    router_pool *pool = router_pool_start(npool, database_url, nc, &settings, listener);
    router_worker *workers = calloc((size_t)nworkers, sizeof(*workers));
    if (workers == NULL)
        abort();
    int rc = pool != NULL ? 0 : 1;
    for (int i = 0; i < nworkers && rc == 0; i++) {
        router_worker_init(&workers[i], database_url, nc, pool, &settings, listener);
        if (router_worker_start(&workers[i], nats_url) != 0)
            rc = 1;
    }

    if (rc == 0) {
        vx_log_info(NULL, NULL, "tool-router serving", "subject", "rpc.tools.>");
        vx_signal_wait_termination();
        vx_log_info(NULL, NULL, "tool-router stopping");
    }
    for (int i = 0; i < nworkers; i++)
        router_worker_drain(&workers[i]);
    for (int i = 0; i < nworkers; i++)
        router_worker_destroy(&workers[i]);
    free(workers);
    router_pool_stop(pool); /* after the workers: they hand it requests until they are gone */
    vx_listener_stop(listener);
    vx_nats_close(nc); /* after the pool: its last answers go out on nc */
    nats_Close();
    return rc;
}
