/*
 * webhook-ingest: turns the Vapi server messages that the gateway made
 * durable on JetStream (stream VAPI) into call_logs rows.
 *
 * This file only wires the pieces together: configuration, NATS, the VAPI
 * stream, the health responder (rpc.ingest.health, which reports whether
 * PostgreSQL is reachable), the consumer workers, the purge of old parked
 * messages, and a graceful stop on SIGINT/SIGTERM (stop fetching, finish the
 * message in hand, flush the acks, close). Exit status: 0 after a graceful
 * stop, 1 when start-up fails, 2 on a configuration mistake (vx_config).
 *
 * Environment: DATABASE_URL (required), NATS_URL (required),
 * INGEST_WORKERS (2, 1..64), INGEST_BATCH (64, 1..256),
 * PARKED_RETENTION_DAYS (30, 1..3650), LOG_LEVEL.
 */
#include <signal.h>
#include <stddef.h>

#include "consumer.h"
#include "health.h"
#include "purge.h"
#include "vx_config.h"
#include "vx_listen.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_rpc.h"
#include "vx_signal.h"
#include "vx_vapi.h"

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
    vx_vapi_require_org_hint_key();

    int status = VX_EXIT_FAILED;
    jsCtx *js = NULL;
    natsSubscription *health_sub = NULL;
    ingest_health *health = NULL;
    ingest_consumer *consumer = NULL;
    ingest_purge *purge = NULL;
    vx_listener *orgs_changed = NULL;

    natsConnection *nc = vx_nats_connect(nats_url, SERVICE);
    if (!nc)
        goto out;
    if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot create the JetStream context");
        goto out;
    }
    if (vx_js_ensure_vapi_stream(js) != 0)
        goto out;

    health = ingest_health_create(database_url);
    if (vx_rpc_serve_health(nc, "ingest", ingest_health_check, health, &health_sub) != 0)
        goto out;

    orgs_changed = vx_listener_create(database_url, VX_CHANNEL_AGENTS_CHANGED, SERVICE "-listener");
    if (orgs_changed == NULL || vx_listener_start(orgs_changed) != 0)
        goto out;
    ingest_consumer_config cfg = {
        .js = js, .nc = nc, .database_url = database_url, .workers = workers, .batch = batch, .orgs_changed = orgs_changed};
    consumer = ingest_consumer_create(&cfg);
    if (ingest_consumer_start(consumer) != 0)
        goto out;
    purge = ingest_purge_create(database_url, parked_retention_days);
    if (ingest_purge_start(purge) != 0)
        goto out;

    vx_log_info(NULL, NULL, "webhook-ingest started");
    int sig = vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = VX_EXIT_OK;

out:
    ingest_purge_destroy(purge);
    ingest_consumer_stop(consumer); /* finishes in-flight messages */
    ingest_consumer_destroy(consumer);
    if (health_sub) {
        natsSubscription_Unsubscribe(health_sub);
        natsSubscription_Destroy(health_sub);
    }
    if (js)
        jsCtx_Destroy(js);
    vx_nats_close(nc);       /* the last acks reach the server first */
    nats_CloseAndWait(2000); /* no library thread may still run the health check */
    ingest_health_destroy(health);
    vx_listener_destroy(orgs_changed); /* after the workers that read it */
    if (status == VX_EXIT_OK)
        vx_log_info(NULL, NULL, "webhook-ingest stopped");
    return status;
}
