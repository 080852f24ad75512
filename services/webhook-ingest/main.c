/*
 * webhook-ingest: turns the Vapi server messages that the gateway made
 * durable on JetStream (stream VAPI) into call_logs rows.
 *
 * This file only wires the pieces together: configuration, NATS, the VAPI
 * stream, the health responder (rpc.ingest.health, which reports whether
 * PostgreSQL is reachable), the consumer workers, the purge of old parked
 * messages and published jobs, the outbox relay (relay.h), the reconciliation with Vapi's list of calls (reconcile.h), and
 * a graceful stop on SIGINT/SIGTERM (stop fetching, finish the message in
 * hand, flush the acks, close). Exit status: 0 after a graceful
 * stop, 1 when start-up fails, 2 on a configuration mistake (vx_config).
 *
 * Environment: DATABASE_URL (required), NATS_URL (required),
 * INGEST_WORKERS (2, 1..64), INGEST_BATCH (64, 1..256),
 * PARKED_RETENTION_DAYS (30, 1..3650), VAPI_STREAM_MAX_BYTES and
 * VAPI_STREAM_MAX_AGE_DAYS (the stream's limits: vx_nats.h), LOG_LEVEL;
 * reconciliation: VAPI_PRIVATE_KEY (unset: off), VAPI_API_BASE_URL
 * (https://api.vapi.ai), RECONCILE_INTERVAL_S (300, 1..86400),
 * RECONCILE_WINDOW_MIN (60, 1..1440), RECONCILE_GRACE_S (120, 0..3600).
 */
#include <signal.h>
#include <stddef.h>

#include "consumer.h"
#include "vx_pg_health.h"
#include "purge.h"
#include "reconcile.h"
#include "relay.h"
#include "vx_config.h"
#include "vx_listen.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_pull.h"
#include "vx_rpc.h"
#include "vx_signal.h"
#include "vx_vapi.h"
#include "vx_events.h"
#include "vx_work.h"

#define SERVICE "webhook-ingest"

int main(void)
{
    vx_log_init(SERVICE);
    /* Before any thread exists, so every thread inherits the blocked mask. */
    vx_signal_block_termination();
    const char *database_url = vx_config_require("DATABASE_URL");
    const char *nats_url = vx_config_require("NATS_URL");
    int workers = (int)vx_config_long("INGEST_WORKERS", 2, 1, 64);
    int batch = (int)vx_config_long("INGEST_BATCH", 64, 1, 256);
    long parked_retention_days = vx_config_long("PARKED_RETENTION_DAYS", 30, 1, 3650);
    vx_vapi_stream_limits vapi_limits;
    vx_vapi_stream_limits_from_env(&vapi_limits);
    vx_vapi_require_org_hint_key();
    ingest_reconcile_config reconcile_cfg = {
        .database_url = database_url,
        .vapi_base_url = vx_config_str("VAPI_API_BASE_URL", "https://api.vapi.ai"),
        .vapi_private_key = vx_config_str("VAPI_PRIVATE_KEY", NULL),
        .interval_s = vx_config_long("RECONCILE_INTERVAL_S", 300, 1, 86400),
        .window_min = vx_config_long("RECONCILE_WINDOW_MIN", 60, 1, 1440),
        .grace_s = vx_config_long("RECONCILE_GRACE_S", 120, 0, 3600),
    };

    int status = VX_EXIT_FAILED;
    jsCtx *js = NULL;
    natsSubscription *health_sub = NULL;
    vx_pg_health *health = NULL;
    vx_pull *consumer = NULL;
    ingest_purge *purge = NULL;
    ingest_relay *relay = NULL;
    ingest_reconcile *reconcile = NULL;
    vx_listener *orgs_changed = NULL;

    natsConnection *nc = vx_nats_connect(nats_url, SERVICE);
    if (!nc)
        goto out;
    if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot create the JetStream context");
        goto out;
    }
    /* VAPI is read; EVENTS and WORK are published to (after each commit). */
    if (vx_js_ensure_vapi_stream(js, &vapi_limits) != 0 || vx_events_ensure_stream(js) != 0 || vx_work_ensure_stream(js) != 0)
        goto out;

    health = vx_pg_health_create(database_url);
    if (vx_rpc_serve_health(nc, "ingest", vx_pg_health_check, health, &health_sub) != 0)
        goto out;

    orgs_changed = vx_listener_create(database_url, VX_CHANNEL_AGENTS_CHANGED, SERVICE "-listener");
    if (orgs_changed == NULL || vx_listener_start(orgs_changed) != 0)
        goto out;
    ingest_consumer_config cfg = {
        .js = js, .nc = nc, .database_url = database_url, .workers = workers, .batch = batch, .orgs_changed = orgs_changed};
    consumer = ingest_consumer_create(&cfg);
    if (!consumer || vx_pull_start(consumer) != 0)
        goto out;
    purge = ingest_purge_create(database_url, parked_retention_days);
    if (ingest_purge_start(purge) != 0)
        goto out;
    relay = ingest_relay_create(database_url, js);
    if (ingest_relay_start(relay) != 0)
        goto out;
    reconcile_cfg.orgs_changed = orgs_changed;
    reconcile_cfg.nc = nc;
    reconcile = ingest_reconcile_create(&reconcile_cfg);
    if (ingest_reconcile_start(reconcile) != 0)
        goto out;

    vx_log_info(NULL, NULL, "webhook-ingest started");
    int sig = vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = VX_EXIT_OK;

out:
    ingest_reconcile_destroy(reconcile); /* before the listener its processor reads */
    ingest_purge_destroy(purge);
    ingest_relay_destroy(relay); /* before the JetStream context it publishes on */
    vx_pull_stop(consumer);      /* finishes in-flight messages */
    vx_pull_destroy(consumer);
    if (health_sub) {
        natsSubscription_Unsubscribe(health_sub);
        natsSubscription_Destroy(health_sub);
    }
    if (js)
        jsCtx_Destroy(js);
    vx_nats_close(nc);       /* the last acks reach the server first */
    nats_CloseAndWait(2000); /* no library thread may still run the health check */
    vx_pg_health_destroy(health);
    vx_listener_destroy(orgs_changed); /* after the workers that read it */
    if (status == VX_EXIT_OK)
        vx_log_info(NULL, NULL, "webhook-ingest stopped");
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
