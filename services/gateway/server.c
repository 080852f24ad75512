/*
 * server: threads and listeners.
 *
 * Every loop thread binds its own SO_REUSEPORT socket, so the kernel spreads
 * connections across threads and no thread hands sockets to another. Each loop
 * wakes at least every 100 ms to notice a stop request. An accepted
 * connection goes to admit (admit.h), which gives it to h2o once its request
 * head has been judged.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admit.h"
#include "http.h"
#include "sse.h"
#include "vx_log.h"
#include "vx_nats.h"

#define ACCEPT_PAUSE_MS      100
#define RECEIVE_BUFFER_BYTES (128 * 1024) /* the kernel doubles it for its bookkeeping */

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_accept_resume(h2o_timeout_entry_t *entry)
{
    gw_thread *t = H2O_STRUCT_FROM_MEMBER(gw_thread, accept_resume, entry);
    if (t->listener != NULL)
        h2o_socket_read_start(t->listener, on_accept);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    gw_thread *t = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL) {
        admit_accept(t, sock);
    } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* The pending connection stays in the backlog and the listener stays
         * readable: without a pause the loop would spin on it. */
        vx_log_warn(NULL, NULL, "cannot accept connections", "error", strerror(errno));
        h2o_socket_read_stop(listener);
        if (!h2o_timeout_is_linked(&t->accept_resume))
            h2o_timeout_link(t->loop, &t->accept_pause, &t->accept_resume);
    }
}

static int open_listener(gw_thread *t)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
    /* h2o reads a socket until it would block and checks a body's size only
     * then: a fixed receive buffer (inherited by every accepted connection,
     * and no autotuning up to megabytes) bounds how far one read can go past
     * the body limit. */
    int rcvbuf = RECEIVE_BUFFER_BYTES;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->gw->cfg.port)};
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, SOMAXCONN) != 0) {
        vx_log_error(NULL, NULL, "cannot listen", "error", strerror(errno));
        close(fd);
        return -1;
    }
    t->listener = h2o_evloop_socket_create(t->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);
    return 0;
}

#define DRAIN_MAX_MS 3000
/* A thread's inbox: replies waiting to be taken, at most (cnats' defaults are
 * 65536 messages and 64 MiB). */
#define INBOX_PENDING_MSGS  16384
#define INBOX_PENDING_BYTES (32 * 1024 * 1024)

static int setup_thread(gw_thread *t);

/* Sets the thread up on itself — libh2o keeps per-thread (TLS) buffer
 * recycle lists, so a socket or context made on another thread would hand
 * buffers between threads — then runs the loop until a stop is requested, and
 * drains: no new connections, keep-alive connections told to close, and
 * requests already waiting on a service answered (or timed out) and event
 * streams ended before the thread ends. */
static void *loop_main(void *arg)
{
    gw_thread *t = arg;
    gateway *gw = t->gw;
    int rc = setup_thread(t);
    pthread_mutex_lock(&gw->startup_lock);
    t->setup_rc = rc;
    t->setup_done = true;
    pthread_cond_broadcast(&gw->startup_cond);
    pthread_mutex_unlock(&gw->startup_lock);
    if (rc != 0)
        return NULL;
    while (!t->gw->stopping)
        h2o_evloop_run(t->loop, 100);
    h2o_socket_read_stop(t->listener);
    h2o_socket_close(t->listener);
    t->listener = NULL;
    if (h2o_timeout_is_linked(&t->accept_resume))
        h2o_timeout_unlink(&t->accept_resume);
    admit_close_all(t);
    sse_thread_close(t);
    h2o_context_request_shutdown(&t->ctx);
    uint64_t deadline = h2o_now(t->loop) + DRAIN_MAX_MS;
    while (upstream_table_in_flight(&t->pending) > 0 && h2o_now(t->loop) < deadline)
        h2o_evloop_run(t->loop, 10);
    natsSubscription_Destroy(t->inbox);
    t->inbox = NULL;
    loop_nats_close(t->nats);
    /* A last turn lets the answers just produced reach their sockets (and h2o
     * free the NATS socket it watched). */
    h2o_evloop_run(t->loop, 50);
    return NULL;
}

/* The thread's own NATS connection and the inbox its replies arrive on. */
static int connect_nats(gw_thread *t)
{
    gateway *gw = t->gw;
    char name[32], subject[96];
    snprintf(name, sizeof(name), "gateway-%d", t->index);
    t->nats = loop_nats_connect(t->loop, t->queue, gw->nats_url, name, upstream_on_inbox, t);
    if (t->nats == NULL)
        return -1;
    snprintf(subject, sizeof(subject), "%s.%d.*.*", gw->inbox_prefix, t->index);
    natsStatus s = natsConnection_SubscribeSync(&t->inbox, loop_nats_connection(t->nats), subject);
    /* Replies are taken as soon as they are read, so little ever waits here;
     * the limits only keep a stalled loop from holding replies without end
     * (those over them are dropped, and their requests time out). */
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(t->inbox, INBOX_PENDING_MSGS, INBOX_PENDING_BYTES);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot subscribe to the gateway inbox", "error", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

static int setup_thread(gw_thread *t)
{
    gateway *gw = t->gw;
    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &gw->globalconf);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = gw->globalconf.hosts;
    t->accept_ctx.ssl_ctx = gw->ssl_ctx;
    t->queue = h2o_multithread_create_queue(t->loop);
    h2o_timeout_init(t->loop, &t->upstream_timeout, gw->cfg.upstream_timeout_ms);
    h2o_timeout_init(t->loop, &t->provider_timeout, gw->cfg.provider_timeout_ms);
    h2o_timeout_init(t->loop, &t->accept_pause, ACCEPT_PAUSE_MS);
    t->accept_resume.cb = on_accept_resume;
    upstream_table_init(&t->pending);
    admit_init_thread(t);
    sse_thread_init(t);
    if (connect_nats(t) != 0)
        return -1;
    return open_listener(t);
}

static int setup_tls(gateway *gw)
{
    if (gw->cfg.tls_cert_file == NULL || gw->cfg.tls_key_file == NULL)
        return 0;
    gw->ssl_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(gw->ssl_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(gw->ssl_ctx, gw->cfg.tls_cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(gw->ssl_ctx, gw->cfg.tls_key_file, SSL_FILETYPE_PEM) != 1) {
        vx_log_error(NULL, NULL, "cannot load TLS certificate or key", "cert", gw->cfg.tls_cert_file);
        return -1;
    }
    /* ALPN: HTTP/1.1 only. h2o 2.2.5 reads an HTTP/2 stream's whole body
     * before any handler can refuse it, and a connection may open ~100
     * streams: memory before authentication the admit step could not bound
     * (issue 9). HTTP/2 to clients is the load balancer's to terminate. */
    static const h2o_iovec_t http1_only[] = {{H2O_STRLIT("http/1.1")}, {NULL, 0}};
    h2o_ssl_register_alpn_protocols(gw->ssl_ctx, http1_only);
    return 0;
}

/* Every connection under the cap needs a descriptor, besides NATS and the
 * listeners: raises the soft limit as far as needed (and allowed), or lowers
 * the cap to what the limit allows. */
static void fit_descriptor_limit(gateway *gw)
{
    enum { SPARE = 64 + 8 * 64 }; /* NATS, listeners, logs: a few per thread, generously */
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return;
    rlim_t want = (rlim_t)gw->cfg.max_connections + SPARE;
    if (lim.rlim_cur >= want)
        return;
    rlim_t old = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= want ? want : lim.rlim_max;
    if (lim.rlim_cur > old && setrlimit(RLIMIT_NOFILE, &lim) != 0)
        lim.rlim_cur = old;
    if (lim.rlim_cur >= want)
        return;
    int fits = lim.rlim_cur > SPARE ? (int)(lim.rlim_cur - SPARE) : 1;
    char limit[24], cap[16];
    snprintf(limit, sizeof(limit), "%llu", (unsigned long long)lim.rlim_cur);
    snprintf(cap, sizeof(cap), "%d", fits);
    vx_log_warn(NULL, NULL, "open file limit too low for GATEWAY_MAX_CONNECTIONS: cap lowered", "nofile", limit, "max_connections",
                cap);
    gw->cfg.max_connections = fits;
}

int server_start(gateway *gw)
{
    fit_descriptor_limit(gw);
    gw->routes = vx_routes_table(&gw->nroutes);
    metrics_init(&gw->metrics, gw->routes, gw->nroutes);

    /* "_INBOX.gateway.<nuid>": under the gateway user's own prefix, the
     * only inbox subjects it may read (deploy/nats/users.conf). */
    if (vx_nats_new_inbox(gw->inbox_prefix, sizeof(gw->inbox_prefix)) != 0)
        return -1;

    h2o_config_init(&gw->globalconf);
    /* h2o buffers a request body up to this before any handler runs: the
     * body limit itself (its 413 is made JSON by http.c). h2o refuses a
     * chunked body when it reaches the limit, hence the one byte more. */
    /* The routes' own limits are checked per request (http_body_limit). */
    gw->globalconf.max_request_entity_size = gw->cfg.max_entity_bytes + 1;
    /* HTTP/1: the wait for a kept-alive connection's next request, and for a
     * request's body (its head has admit's timeout). */
    gw->globalconf.http1.req_timeout = gw->cfg.idle_timeout_ms;
    gw->globalconf.http2.idle_timeout = gw->cfg.idle_timeout_ms;
    gw->globalconf.handshake_timeout = gw->cfg.head_timeout_ms;
    /* No HTTP/2 over plain text ("Upgrade: h2c" or the HTTP/2 preface): its
     * streams would skip admit's check of each request head. */
    gw->globalconf.http1.upgrade_to_http2 = 0;
    gw->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("voxanne"));
    h2o_hostconf_t *host = h2o_config_register_host(&gw->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    http_register(gw, host);
    if (setup_tls(gw) != 0)
        return -1;

    gw->threads = calloc((size_t)gw->cfg.threads, sizeof(*gw->threads));
    pthread_mutex_init(&gw->startup_lock, NULL);
    pthread_cond_init(&gw->startup_cond, NULL);
    for (int i = 0; i < gw->cfg.threads; i++) {
        gw->threads[i].gw = gw;
        gw->threads[i].index = i;
        pthread_create(&gw->threads[i].tid, NULL, loop_main, &gw->threads[i]);
    }
    /* Listening starts only when every thread is ready (or one failed). */
    int failed = 0;
    pthread_mutex_lock(&gw->startup_lock);
    for (int i = 0; i < gw->cfg.threads; i++) {
        while (!gw->threads[i].setup_done)
            pthread_cond_wait(&gw->startup_cond, &gw->startup_lock);
        failed |= gw->threads[i].setup_rc;
    }
    pthread_mutex_unlock(&gw->startup_lock);
    return failed ? -1 : 0;
}

void server_request_stop(gateway *gw)
{
    gw->stopping = 1;
}

void server_wait(gateway *gw)
{
    for (int i = 0; gw->threads != NULL && i < gw->cfg.threads; i++)
        pthread_join(gw->threads[i].tid, NULL);
}

void server_dispose(gateway *gw)
{
    /* What we allocated, we free. The h2o loops and contexts are left to the
     * process exit: libh2o 2.2.5 has no way to close the connections a client
     * still keeps open, and disposing a context under them asserts. They stay
     * reachable through gw->threads, so leak checkers do not count them. */
    for (int i = 0; gw->threads != NULL && i < gw->cfg.threads; i++)
        upstream_table_dispose(&gw->threads[i].pending);
    if (gw->ssl_ctx != NULL)
        SSL_CTX_free(gw->ssl_ctx);
    gw->ssl_ctx = NULL;
}
