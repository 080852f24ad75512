/*
 * gateway: the shared state of the HTTP edge.
 *
 * One gateway has N loop threads (gw_thread), each with its own h2o event
 * loop, listener (SO_REUSEPORT), table of requests waiting for a service and
 * NATS connection served by that loop (loop_nats): requests are published and
 * their replies read on the loop thread itself, so no loop ever blocks on NATS
 * and no request is handed between threads. The shared connection nc is for
 * the rest: the VAPI and EVENTS streams' setup, the readiness polls, and the
 * domain events fed to every thread's SSE clients (events.h).
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <h2o.h>
#include <nats/nats.h>

#include "auth.h"
#include "loop_nats.h"
#include "metrics.h"
#include "ratelimit.h"
#include "readiness.h"
#include "vx_envelope.h"
#include "vx_routes.h"
#include "upstream.h"

typedef struct gateway_config {
    int port;
    int threads;
    size_t max_body_bytes;
    /* What h2o buffers at most: the largest of max_body_bytes and the routes'
     * own limits (vx_route.max_body_bytes). h2o 2.2 reads a whole body
     * before any handler, so a chunked body (size unknown at its head) is
     * read up to this before its route's own limit refuses it. */
    size_t max_entity_bytes;
    uint64_t upstream_timeout_ms;
    uint64_t provider_timeout_ms; /* routes that wait on outside providers (vx_route.waits_on_providers) */
    int max_connections;          /* open at once (all threads); more are closed at once */
    uint64_t head_timeout_ms;     /* from accept (and TLS handshake) until the request head is read */
    uint64_t idle_timeout_ms;     /* keep-alive wait for the next request, and reading a body */
    size_t unverified_body_bytes; /* bodies read at once before their credentials could be checked */
    const char *cors_origin;      /* NULL: no CORS headers */
    const char *tls_cert_file;
    const char *tls_key_file;
    /* GET /api/events (sse.h) */
    uint64_t sse_heartbeat_ms;   /* a ": ping" comment this often on every stream */
    size_t sse_max_buffer_bytes; /* a stream's output waiting for its client, at most: beyond it the client is dropped */
    int sse_max_clients;         /* streams open at once (all threads); beyond: 503 */
    int sse_max_per_org;         /* streams open at once per org; beyond: 429 */
} gateway_config;

typedef struct gateway gateway;
struct sse_thread;
struct events;

typedef struct gw_thread {
    gateway *gw;
    int index;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    loop_nats *nats;
    natsSubscription *inbox; /* synchronous: "<inbox_prefix>.<index>.*.*" */
    h2o_timeout_t upstream_timeout;
    h2o_timeout_t provider_timeout; /* the same for routes that wait on outside providers */
    upstream_table pending;
    /* admit: connections still being read up to their request head (or
     * lingering after a refusal), and their timeouts. Loop thread only. */
    h2o_linklist_t admitting;
    h2o_timeout_t head_timeout;
    h2o_timeout_t linger_timeout;
    h2o_timeout_t accept_pause; /* listener paused after accept(2) ran out of descriptors */
    h2o_timeout_entry_t accept_resume;
    uint64_t cap_logged_at; /* last "connection cap reached" log (loop ms) */
    uint64_t cap_refused;   /* connections refused since that log */
    struct sse_thread *sse; /* this thread's event streams (sse.h) */
    bool setup_done;        /* set under gw->startup_lock */
    int setup_rc;
} gw_thread;

struct gateway {
    gateway_config cfg;
    auth_config auth;
    h2o_globalconf_t globalconf;
    SSL_CTX *ssl_ctx;
    natsConnection *nc;
    const char *nats_url;
    vx_envelope_signer *signer; /* signs every request forwarded to a service */
    char inbox_prefix[64];      /* "_INBOX.gateway.<nuid>" (vx_nats_new_inbox) */
    const vx_route *routes;
    size_t nroutes;
    metrics metrics;
    readiness readiness;
    struct events *events; /* the EVENTS feed and resume reads behind GET /api/events (events.h) */
    ratelimit *org_limit;  /* dashboard requests per org; NULL: no limit (ratelimit.h) */
    ratelimit *ip_limit;   /* requests per client address on every route but Vapi's and the operator's */
    gw_thread *threads;
    atomic_int connections;         /* open now, all threads (admit) */
    atomic_size_t unverified_bytes; /* reserved by bodies read before their credentials are checked */
    pthread_mutex_t startup_lock;
    pthread_cond_t startup_cond;
    atomic_int stopping;
};

#endif
