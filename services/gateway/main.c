/*
 * gateway: the HTTP edge of Voxanne. Wiring only: configuration, NATS,
 * the VAPI stream, the events feed, readiness polling, the server, and
 * shutdown on a signal.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "server.h"
#include "vx_config.h"
#include "vx_envelope.h"
#include "vx_jwt.h"
#include "vx_routes.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_signal.h"

static gateway the_gateway;

/* "https://app.example.com" of "https://app.example.com/settings/x", or NULL
 * for anything that is not an http(s) URL with a host. */
static const char *origin_of(const char *url)
{
    static char origin[256];
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return NULL;
    const char *host = strstr(url, "://") + 3;
    size_t len = (size_t)(host - url) + strcspn(host, "/?#");
    if (len == (size_t)(host - url) || len >= sizeof origin)
        return NULL;
    memcpy(origin, url, len);
    origin[len] = '\0';
    return origin;
}

int main(void)
{
    gateway *gw = &the_gateway;
    vx_log_init("gateway");
    vx_signal_block_termination();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    gw->cfg.port = (int)vx_config_long("GATEWAY_PORT", 8080, 1, 65535);
    gw->cfg.threads = (int)vx_config_long("GATEWAY_THREADS", cores > 0 ? cores : 1, 1, 64);
    gw->cfg.max_body_bytes = (size_t)vx_config_long("GATEWAY_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024);
    gw->cfg.upstream_timeout_ms = (uint64_t)vx_config_long("GATEWAY_UPSTREAM_TIMEOUT_MS", 5000, 10, 120000);
    gw->cfg.provider_timeout_ms = (uint64_t)vx_config_long("GATEWAY_PROVIDER_TIMEOUT_MS", 30000, 10, 120000);
    gw->cfg.max_connections = (int)vx_config_long("GATEWAY_MAX_CONNECTIONS", 1024, 1, 1000000);
    gw->cfg.head_timeout_ms = (uint64_t)vx_config_long("GATEWAY_HEAD_TIMEOUT_MS", 5000, 100, 120000);
    gw->cfg.idle_timeout_ms = (uint64_t)vx_config_long("GATEWAY_IDLE_TIMEOUT_MS", 10000, 100, 600000);
    size_t nroutes;
    const vx_route *routes = vx_routes_table(&nroutes);
    size_t largest = vx_routes_largest_body(routes, nroutes);
    gw->cfg.max_entity_bytes = largest > gw->cfg.max_body_bytes ? largest : gw->cfg.max_body_bytes;
    long unverified_default =
        16L * 1024 * 1024 > (long)gw->cfg.max_entity_bytes ? 16L * 1024 * 1024 : (long)gw->cfg.max_entity_bytes;
    gw->cfg.unverified_body_bytes = (size_t)vx_config_long("GATEWAY_UNVERIFIED_BODY_BYTES", unverified_default,
                                                           (long)gw->cfg.max_body_bytes, 4L * 1024 * 1024 * 1024);
    gw->cfg.cors_origin = vx_config_str("GATEWAY_CORS_ORIGIN", NULL);
    if (gw->cfg.cors_origin == NULL) /* the dashboard's own address says where it is served from */
        gw->cfg.cors_origin = origin_of(vx_config_str("DASHBOARD_URL", NULL));
    gw->cfg.tls_cert_file = vx_config_str("GATEWAY_TLS_CERT", NULL);
    gw->cfg.tls_key_file = vx_config_str("GATEWAY_TLS_KEY", NULL);
    gw->cfg.sse_heartbeat_ms = (uint64_t)vx_config_long("GATEWAY_SSE_HEARTBEAT_MS", 15000, 10, 300000);
    gw->cfg.sse_max_buffer_bytes =
        (size_t)vx_config_long("GATEWAY_SSE_MAX_BUFFER_BYTES", 1024 * 1024, 64 * 1024, 64L * 1024 * 1024);
    gw->cfg.sse_max_clients = (int)vx_config_long("GATEWAY_SSE_MAX_CLIENTS", 512, 1, 1000000);
    gw->cfg.sse_max_per_org = (int)vx_config_long("GATEWAY_SSE_MAX_PER_ORG", 10, 1, 100000);
    /* Request budgets (ratelimit.h): per org for dashboard routes, per client
     * address for every route but Vapi's and the operator's. 0 turns one off. */
    long org_rate = vx_config_long("GATEWAY_RATE_ORG_PER_MIN", 3000, 0, 6000000);
    long org_burst = vx_config_long("GATEWAY_RATE_ORG_BURST", 300, 1, 1000000);
    long ip_rate = vx_config_long("GATEWAY_RATE_IP_PER_MIN", 3000, 0, 6000000);
    long ip_burst = vx_config_long("GATEWAY_RATE_IP_BURST", 300, 1, 1000000);
    gw->org_limit = ratelimit_create(16384, org_rate, org_burst);
    gw->ip_limit = ratelimit_create(65536, ip_rate, ip_burst);
    gw->auth.vapi_secret = vx_config_str("VAPI_WEBHOOK_SECRET", NULL);
    gw->auth.vapi_hmac_secret = vx_config_str("VAPI_WEBHOOK_HMAC_SECRET", NULL);
    gw->auth.hmac_window_s = vx_config_long("VAPI_WEBHOOK_HMAC_WINDOW_S", 300, 1, 3600);
    long replay_capacity = vx_config_long("VAPI_WEBHOOK_REPLAY_CAPACITY", 65536, 16, 4194304);
    gw->auth.jwt.secret = vx_config_require("JWT_SECRET");
    gw->auth.jwt.audience = vx_config_str("JWT_AUDIENCE", VX_JWT_DEFAULT_AUDIENCE);
    gw->auth.jwt.issuer = vx_config_str("JWT_ISSUER", NULL);
    gw->auth.jwt.max_lifetime_s =
        vx_config_long("JWT_MAX_LIFETIME_S", VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_MIN_MAX_LIFETIME_S, VX_JWT_MAX_MAX_LIFETIME_S);
    gw->auth.jwt.leeway_s = VX_JWT_DEFAULT_LEEWAY_S;
    gw->auth.metrics_token = vx_config_str("METRICS_TOKEN", NULL);
    vx_vapi_stream_limits vapi_limits;
    vx_vapi_stream_limits_from_env(&vapi_limits);
    const char *weak = vx_jwt_secret_problem(gw->auth.jwt.secret);
    if (weak != NULL) {
        fprintf(stderr, "gateway: JWT_SECRET cannot be used: %s\n", weak);
        return VX_EXIT_CONFIG;
    }
    if (gw->auth.vapi_secret == NULL && gw->auth.vapi_hmac_secret == NULL) {
        fprintf(stderr, "gateway: set VAPI_WEBHOOK_SECRET or VAPI_WEBHOOK_HMAC_SECRET (Vapi routes would accept no one)\n");
        return VX_EXIT_CONFIG;
    }
    if (gw->auth.metrics_token != NULL && strlen(gw->auth.metrics_token) < 16) {
        fprintf(stderr, "gateway: METRICS_TOKEN must be at least 16 bytes (openssl rand -hex 16), or unset\n");
        return VX_EXIT_CONFIG;
    }
    if (gw->auth.vapi_secret != NULL && gw->auth.vapi_hmac_secret != NULL)
        vx_log_warn(NULL, NULL,
                    "VAPI_WEBHOOK_SECRET is ignored: with VAPI_WEBHOOK_HMAC_SECRET set, only signed Vapi requests are accepted");
    if (gw->auth.metrics_token == NULL)
        vx_log_info(NULL, NULL, "METRICS_TOKEN is not set: /metrics answers 404 and /ready gives no details");
    uint8_t master[VX_ENVELOPE_KEY_LEN];
    if (vx_envelope_key_parse(vx_config_require("ENVELOPE_MASTER_KEY"), master) != 0) {
        fprintf(stderr, "gateway: ENVELOPE_MASTER_KEY must be 64 hex digits (openssl rand -hex 32)\n");
        return VX_EXIT_CONFIG;
    }
    gw->signer = vx_envelope_signer_for_routes(master);
    OPENSSL_cleanse(master, sizeof(master));
    if (gw->signer == NULL)
        return VX_EXIT_FAILED;
    const char *nats_url = vx_config_require("NATS_URL");
    const char *ready_services = vx_config_str("GATEWAY_READY_SERVICES", "ingest,dashboard,tools");

    int status = VX_EXIT_FAILED;
    jsCtx *js = NULL;
    if (gw->auth.vapi_hmac_secret != NULL &&
        (gw->auth.replay = vx_replay_create((size_t)replay_capacity, "signed Vapi requests")) == NULL)
        goto out;
    gw->nats_url = nats_url;
    gw->nc = vx_nats_connect(nats_url, "gateway");
    if (gw->nc == NULL)
        goto out;
    if (natsConnection_JetStream(&js, gw->nc, NULL) != NATS_OK || vx_js_ensure_vapi_stream(js, &vapi_limits) != 0)
        goto out;
    jsCtx_Destroy(js);
    js = NULL;
    gw->events = events_create(gw);
    if (events_start(gw->events) != 0)
        goto out;

    readiness_start(&gw->readiness, gw->nc, ready_services);
    if (server_start(gw) != 0) /* some loop threads may be running: stopped below */
        goto out;
    events_set_ready(gw->events);
    char port[16], threads[16];
    snprintf(port, sizeof(port), "%d", gw->cfg.port);
    snprintf(threads, sizeof(threads), "%d", gw->cfg.threads);
    vx_log_info(NULL, NULL, "gateway listening", "port", port, "threads", threads, "tls", gw->ssl_ctx ? "on" : "off");

    vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "gateway stopping");
    status = VX_EXIT_OK;

out:
    /* The feed and the catch-up reads first: the loops then end every stream. */
    events_stop(gw->events);
    server_request_stop(gw);
    server_wait(gw);
    readiness_stop(&gw->readiness);
    server_dispose(gw);
    readiness_destroy(&gw->readiness);
    vx_replay_destroy(gw->auth.replay);
    if (js != NULL)
        jsCtx_Destroy(js);
    vx_nats_close(gw->nc);
    events_destroy(gw->events); /* after the connection: see events.c */
    vx_envelope_signer_destroy(gw->signer);
    ratelimit_destroy(gw->org_limit);
    ratelimit_destroy(gw->ip_limit);
    nats_Close();
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
