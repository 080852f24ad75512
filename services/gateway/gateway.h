/*
 * gateway: the shared state of the HTTP edge.
 *
 * One gateway has N loop threads (gw_thread), each with its own h2o event
 * loop, listener (SO_REUSEPORT) and table of requests waiting for a service.
 * They share one NATS connection: replies for every thread arrive on one
 * wildcard inbox subscription and are handed back to the owning loop thread
 * through h2o's multithread queue, so no loop ever blocks on NATS.
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
#include "metrics.h"
#include "readiness.h"
#include "routes.h"
#include "upstream.h"

typedef struct gateway_config {
    int port;
    int threads;
    size_t max_body_bytes;
    uint64_t upstream_timeout_ms;
    const char *cors_origin; /* NULL: no CORS headers */
    const char *tls_cert_file;
    const char *tls_key_file;
} gateway_config;

typedef struct gateway gateway;

typedef struct gw_thread {
    gateway *gw;
    int index;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t replies;
    h2o_timeout_t upstream_timeout;
    upstream_table pending;
    bool setup_done; /* set under gw->startup_lock */
    int setup_rc;
} gw_thread;

struct gateway {
    gateway_config cfg;
    auth_config auth;
    h2o_globalconf_t globalconf;
    SSL_CTX *ssl_ctx;
    natsConnection *nc;
    natsSubscription *inbox_sub;
    char inbox_prefix[64]; /* "_INBOX.gw.<nuid>" */
    const route *routes;
    size_t nroutes;
    metrics metrics;
    readiness readiness;
    gw_thread *threads;
    pthread_mutex_t startup_lock;
    pthread_cond_t startup_cond;
    atomic_int stopping;
};

#endif
