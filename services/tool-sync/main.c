/*
 * tool-sync: keeps every org's Vapi assistant and the platform's tools in
 * step with what the owner saved (SPEC "tool-sync", issue 13).
 *
 * This file only wires: the settings (settings.h), NATS and the WORK
 * stream, the health responder (rpc.tool-sync.health), the sweep
 * (sweep.h: orgs left behind, and re-links after a re-registration) and
 * what wakes it (a NOTIFY when an org's prompt inputs change outside a save,
 * migrations/0021_agent_inputs.sql), the
 * consumer of work.tool-sync.> (consumer.h), and a graceful stop on
 * SIGINT/SIGTERM (stop fetching, the sync in hand ends at its next retry
 * wait and its job is handed back). Exit status: 0 after a graceful stop,
 * 1 when start-up fails, 2 on a configuration mistake.
 */
#include <signal.h>
#include <stddef.h>

#include "consumer.h"
#include "vx_pg_health.h"
#include "settings.h"
#include "sweep.h"
#include "vx_config.h"
#include "vx_listen.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_pull.h"
#include "vx_rpc.h"
#include "vx_signal.h"
#include "vx_work.h"

#define SERVICE "tool-sync"

int main(void)
{
    vx_log_init(SERVICE);
    vx_signal_block_termination();
    tsync_settings cfg;
    tsync_settings_load(&cfg);
    if (!cfg.vapi_private_key || !cfg.public_base_url)
        vx_log_warn(NULL, NULL, "VAPI_PRIVATE_KEY or PUBLIC_BASE_URL is not set: every sync will be recorded as failed");

    int status = VX_EXIT_FAILED;
    jsCtx *js = NULL;
    natsSubscription *health_sub = NULL;
    vx_pg_health *health = NULL;
    tsync_sweep *sweep = NULL;
    vx_listener *stale = NULL;
    vx_pull *consumer = NULL;

    natsConnection *nc = vx_nats_connect(cfg.nats_url, SERVICE);
    if (!nc)
        goto out;
    if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot create the JetStream context");
        goto out;
    }
    if (vx_work_ensure_stream(js) != 0)
        goto out;
    health = vx_pg_health_create(cfg.database_url);
    if (vx_rpc_serve_health(nc, SERVICE, vx_pg_health_check, health, &health_sub) != 0)
        goto out;
    sweep = tsync_sweep_create(&cfg);
    if (tsync_sweep_start(sweep) != 0)
        goto out;
    stale = vx_listener_create(cfg.database_url, VX_CHANNEL_AGENT_SYNC, SERVICE);
    if (!stale)
        goto out;
    vx_listener_on_change(stale, tsync_sweep_wake, sweep);
    if (vx_listener_start(stale) != 0)
        goto out;
    tsync_consumer_config ccfg = {.js = js, .nc = nc, .settings = &cfg, .on_reregistered = tsync_sweep_wake, .arg = sweep};
    consumer = tsync_consumer_create(&ccfg);
    if (!consumer || vx_pull_start(consumer) != 0)
        goto out;

    vx_log_info(NULL, NULL, "tool-sync started");
    int sig = vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = VX_EXIT_OK;

out:
    vx_pull_destroy(consumer);  /* its syncs wake the sweep: before it */
    vx_listener_destroy(stale); /* so does the listener */
    tsync_sweep_destroy(sweep);
    if (health_sub) {
        natsSubscription_Unsubscribe(health_sub);
        natsSubscription_Destroy(health_sub);
    }
    if (js)
        jsCtx_Destroy(js);
    vx_nats_close(nc);
    nats_CloseAndWait(2000);
    vx_pg_health_destroy(health);
    if (status == VX_EXIT_OK)
        vx_log_info(NULL, NULL, "tool-sync stopped");
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
