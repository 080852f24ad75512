/*
 * vx_rpc: decode GatewayRequest, run the handler, encode GatewayResponse.
 *
 * The handler never sees NATS or protobuf plumbing: it reads a decoded
 * request and fills a vx_rpc_reply. This file is the one place where a
 * service's answer becomes bytes on the wire, so every service maps errors to
 * the same {"error": "...", "code": "..."} shape.
 */
#include "vx_rpc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"
#include "vx_natsloop.h"

/* What a subscription serves: handler may be NULL (health only). */
typedef struct rpc_binding {
    char service[64];
    vx_rpc_handler handler;
    vx_rpc_batch_handler batch; /* loop-driven workers only; instead of handler */
    vx_health_check check;
    void *state;
} rpc_binding;

static bool is_health_subject(const char *subject)
{
    size_t n = strlen(subject);
    return n > 7 && strcmp(subject + n - 7, ".health") == 0;
}

void vx_error_json(vx_buf *out, const char *code, const char *message)
{
    vx_buf_puts(out, "{\"error\":");
    vx_buf_json_string(out, message, strlen(message));
    vx_buf_puts(out, ",\"code\":");
    vx_buf_json_string(out, code, strlen(code));
    vx_buf_putc(out, '}');
}

void vx_rpc_reply_json(vx_rpc_reply *reply, unsigned status, const char *json)
{
    reply->status = status;
    reply->content_type = "application/json";
    vx_buf_reset(&reply->body);
    vx_buf_puts(&reply->body, json);
}

void vx_rpc_reply_error(vx_rpc_reply *reply, unsigned status, const char *code, const char *message)
{
    reply->status = status;
    reply->content_type = "application/json";
    vx_buf_reset(&reply->body);
    vx_error_json(&reply->body, code, message);
}

const char *vx_rpc_path_param(const vx_gateway_request *req, const char *key)
{
    for (size_t i = 0; i < req->n_path_params; i++)
        if (strcmp(req->path_params[i]->key, key) == 0)
            return req->path_params[i]->value;
    return NULL;
}

static void respond(natsConnection *nc, natsMsg *msg, const vx_rpc_reply *reply)
{
    const char *to = natsMsg_GetReply(msg);
    if (to == NULL || to[0] == '\0')
        return;
    Voxanne__V1__GatewayResponse resp = VOXANNE__V1__GATEWAY_RESPONSE__INIT;
    resp.status = reply->status;
    resp.content_type = (char *)(reply->content_type != NULL ? reply->content_type : "application/json");
    resp.body.data = (uint8_t *)reply->body.data;
    resp.body.len = reply->body.len;
    size_t len = voxanne__v1__gateway_response__get_packed_size(&resp);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__gateway_response__pack(&resp, buf);
    natsStatus s = natsConnection_Publish(nc, to, buf, (int)len);
    if (s != NATS_OK)
        vx_log_error(NULL, NULL, "rpc reply failed", "error", natsStatus_GetText(s));
    free(buf);
}

static void answer_health(natsConnection *nc, natsMsg *msg, const rpc_binding *binding)
{
    Voxanne__V1__HealthReply reply = VOXANNE__V1__HEALTH_REPLY__INIT;
    const char *detail = "ok";
    reply.service = (char *)binding->service;
    reply.ok = binding->check == NULL || binding->check(binding->state, &detail);
    reply.detail = (char *)detail;
    uint8_t buf[512];
    size_t len = voxanne__v1__health_reply__get_packed_size(&reply);
    if (len <= sizeof(buf) && natsMsg_GetReply(msg) != NULL) {
        voxanne__v1__health_reply__pack(&reply, buf);
        natsConnection_Publish(nc, natsMsg_GetReply(msg), buf, (int)len);
    }
}

/* Answers a health request, or a message that is not a GatewayRequest (400).
 * Otherwise returns the decoded request for the handler. Destroys msg when it answered. */
static vx_gateway_request *decode_or_answer(natsConnection *nc, natsMsg *msg, const rpc_binding *binding)
{
    if (is_health_subject(natsMsg_GetSubject(msg)) || (binding->handler == NULL && binding->batch == NULL)) {
        answer_health(nc, msg, binding);
        natsMsg_Destroy(msg);
        return NULL;
    }
    vx_gateway_request *req =
        voxanne__v1__gateway_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    if (req != NULL) {
        /* The route a handler dispatches on is the subject NATS delivered the
         * request on (authenticated by the bus), never what the envelope
         * claims. protobuf-c frees the field with free() unless it is the
         * static default. */
        char *subject = strdup(natsMsg_GetSubject(msg));
        if (subject == NULL)
            abort();
        if (req->route != NULL && req->route != protobuf_c_empty_string)
            free(req->route);
        req->route = subject;
    }
    if (req == NULL) {
        vx_log_warn(NULL, NULL, "rpc request is not a GatewayRequest", "subject", natsMsg_GetSubject(msg));
        vx_rpc_reply reply = {.content_type = "application/json"};
        vx_rpc_reply_error(&reply, 400, "bad_envelope", "The request envelope could not be decoded.");
        respond(nc, msg, &reply);
        vx_buf_free(&reply.body);
        natsMsg_Destroy(msg);
    }
    return req;
}

/* Sends a handler's answer (500 when it set none) and frees the request, the reply and msg. */
static void finish_request(natsConnection *nc, natsMsg *msg, vx_gateway_request *req, vx_rpc_reply *reply)
{
    if (reply->status == 0) {
        vx_log_error(req->request_id, NULL, "rpc handler set no answer", "route", req->route);
        vx_rpc_reply_error(reply, 500, "internal", "The service could not answer this request.");
    }
    respond(nc, msg, reply);
    voxanne__v1__gateway_request__free_unpacked(req, NULL);
    vx_buf_free(&reply->body);
    natsMsg_Destroy(msg);
}

/* Answers one message (health or GatewayRequest) and destroys it. */
static void serve_message(natsConnection *nc, natsMsg *msg, const rpc_binding *binding)
{
    vx_gateway_request *req = decode_or_answer(nc, msg, binding);
    if (req == NULL)
        return;
    vx_rpc_reply reply = {.content_type = "application/json"};
    binding->handler(binding->state, req, &reply);
    finish_request(nc, msg, req, &reply);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    serve_message(nc, msg, closure);
}

static int subscribe(natsConnection *nc, const char *subject, const char *service, vx_rpc_handler handler, vx_health_check check,
                     void *state, natsSubscription **out)
{
    rpc_binding *binding = calloc(1, sizeof(*binding));
    if (binding == NULL)
        abort();
    snprintf(binding->service, sizeof(binding->service), "%s", service);
    binding->handler = handler;
    binding->check = check;
    binding->state = state;
    natsStatus s = natsConnection_QueueSubscribe(out, nc, subject, service, on_request, binding);
    if (s == NATS_OK)
        s = natsSubscription_SetOnCompleteCB(*out, free, binding);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "rpc subscribe failed", "subject", subject, "error", natsStatus_GetText(s));
        free(binding);
        return -1;
    }
    return 0;
}

int vx_rpc_serve(natsConnection *nc, const char *service, vx_rpc_handler handler, vx_health_check check, void *state,
                 natsSubscription **out)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.>", service);
    return subscribe(nc, subject, service, handler, check, state, out);
}

int vx_rpc_serve_health(natsConnection *nc, const char *service, vx_health_check check, void *state, natsSubscription **out)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.health", service);
    return subscribe(nc, subject, service, NULL, check, state, out);
}

/* ---- loop-driven workers (see vx_rpc_worker_start) ---- */

#define WORKER_POLL_MS   100
#define WORKER_DRAIN_MS  5000
#define WORKER_BATCH_MAX 256 /* messages answered before the replies are written */

/* The requests of one batch, decoded, with their replies. */
typedef struct request_batch {
    natsMsg *msgs[WORKER_BATCH_MAX];
    const vx_gateway_request *reqs[WORKER_BATCH_MAX];
    vx_rpc_reply replies[WORKER_BATCH_MAX];
    size_t n;
} request_batch;

struct vx_rpc_worker {
    rpc_binding binding;
    request_batch batch;
    char url[512];
    char client_name[96];
    pthread_t tid;
    atomic_bool stop;
    /* Start-up result, handed from the worker thread to vx_rpc_worker_start. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int started; /* 0 waiting, 1 serving, -1 failed */
};

static void worker_started(vx_rpc_worker *w, int result)
{
    pthread_mutex_lock(&w->lock);
    w->started = result;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Answers the requests of a batch: the batch handler sees them all at once
 * (it may, say, run their reads in one database round trip). */
static void answer_batch(natsConnection *nc, const rpc_binding *binding, request_batch *b)
{
    if (b->n == 0)
        return;
    for (size_t i = 0; i < b->n; i++)
        b->replies[i] = (vx_rpc_reply){.content_type = "application/json",
                                       .origin = {.msg = b->msgs[i], .req = (vx_gateway_request *)b->reqs[i]}};
    if (binding->batch != NULL)
        binding->batch(binding->state, b->reqs, b->replies, b->n);
    else
        for (size_t i = 0; i < b->n; i++)
            binding->handler(binding->state, b->reqs[i], &b->replies[i]);
    for (size_t i = 0; i < b->n; i++)
        if (b->replies[i].origin.deferred == NULL)
            finish_request(nc, b->msgs[i], (vx_gateway_request *)b->reqs[i], &b->replies[i]);
    b->n = 0;
}

struct vx_rpc_deferred {
    natsMsg *msg;
    vx_gateway_request *req;
};

vx_rpc_deferred *vx_rpc_defer(vx_rpc_reply *reply)
{
    vx_rpc_deferred *d = malloc(sizeof(*d));
    if (d == NULL || reply->origin.msg == NULL) /* not a reply of a batch: a programming error */
        abort();
    d->msg = reply->origin.msg;
    d->req = reply->origin.req;
    reply->origin.deferred = d;
    return d;
}

const vx_gateway_request *vx_rpc_deferred_request(const vx_rpc_deferred *d)
{
    return d->req;
}

void vx_rpc_deferred_answer(vx_rpc_deferred *d, natsConnection *nc, vx_rpc_reply *reply)
{
    finish_request(nc, d->msg, d->req, reply);
    free(d);
}

/* Answers the messages already received (at most a batch, or all of them
 * when all is set); false once the subscription is gone. */
static bool serve_pending(natsConnection *nc, natsSubscription *sub, vx_rpc_worker *w, bool all)
{
    request_batch *b = &w->batch;
    for (;;) {
        bool open = true, more = true;
        while (b->n < WORKER_BATCH_MAX) {
            natsMsg *msg = NULL;
            natsStatus s = natsSubscription_NextMsg(&msg, sub, 0);
            if (s == NATS_SLOW_CONSUMER) {
                vx_log_warn(NULL, NULL, "rpc worker fell behind: messages were dropped", "service", w->binding.service);
                continue;
            }
            if (s != NATS_OK) {
                open = s == NATS_TIMEOUT || natsSubscription_IsValid(sub);
                more = false;
                break;
            }
            vx_gateway_request *req = decode_or_answer(nc, msg, &w->binding);
            if (req != NULL) {
                b->msgs[b->n] = msg;
                b->reqs[b->n++] = req;
            }
        }
        answer_batch(nc, &w->binding, b);
        if (!open || !more || !all)
            return open;
    }
}

/* Stops taking requests without losing one already routed to us: the UNSUB
 * goes out in drain mode (the subscription keeps what still arrives), then a
 * marker; once the marker is back, every request sent before the UNSUB is here. */
static natsSubscription *start_drain(natsConnection *nc, natsSubscription *sub)
{
    natsStatus s = natsSubscription_Drain(sub);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "rpc worker drain failed", "error", natsStatus_GetText(s));
        return NULL;
    }
    return vx_natsloop_send_marker(nc);
}

static void *worker_main(void *arg)
{
    vx_rpc_worker *w = arg;
    vx_natsloop *loop = vx_natsloop_connect(w->url, w->client_name);
    natsSubscription *sub = NULL;
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.>", w->binding.service);
    natsStatus s = loop != NULL ? natsConnection_QueueSubscribeSync(&sub, vx_natsloop_connection(loop), subject, w->binding.service)
                                : NATS_ERR;
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "rpc subscribe failed", "subject", subject, "error", natsStatus_GetText(s));
        natsSubscription_Destroy(sub);
        vx_natsloop_destroy(loop);
        worker_started(w, -1);
        return NULL;
    }
    /* A burst must not be dropped as a slow consumer: the gateway times requests out anyway. */
    natsSubscription_SetPendingLimits(sub, -1, -1);
    /* Started means the server routes to us: wait until it has seen the SUB. */
    if (!vx_natsloop_sync(loop, WORKER_DRAIN_MS))
        vx_log_warn(NULL, NULL, "rpc worker subscription not confirmed yet", "subject", subject);
    natsSubscription *marker = NULL;
    worker_started(w, 1);

    natsConnection *nc = vx_natsloop_connection(loop);
    int64_t drain_until = 0;
    for (;;) {
        vx_natsloop_poll(loop, WORKER_POLL_MS);
        bool drained = marker != NULL && vx_natsloop_marker_back(marker);
        bool open = serve_pending(nc, sub, w, drained);
        vx_natsloop_flush(loop);
        if (!open || drained)
            break;
        if (drain_until == 0 && atomic_load(&w->stop)) {
            marker = start_drain(nc, sub);
            vx_natsloop_flush(loop);
            drain_until = nats_Now() + WORKER_DRAIN_MS;
            if (marker == NULL)
                break;
        } else if (drain_until != 0 && nats_Now() > drain_until) {
            vx_log_warn(NULL, NULL, "rpc worker drain timed out", "service", w->binding.service);
            break;
        }
    }
    natsSubscription_Destroy(marker);
    natsSubscription_Destroy(sub);
    vx_natsloop_destroy(loop);
    return NULL;
}

static vx_rpc_worker *worker_start(const char *nats_url, const char *service, vx_rpc_handler handler, vx_rpc_batch_handler batch,
                                   vx_health_check check, void *state)
{
    vx_rpc_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    snprintf(w->binding.service, sizeof(w->binding.service), "%s", service);
    w->binding.handler = handler;
    w->binding.batch = batch;
    w->binding.check = check;
    w->binding.state = state;
    snprintf(w->url, sizeof(w->url), "%s", nats_url);
    snprintf(w->client_name, sizeof(w->client_name), "%s-worker", service);
    atomic_init(&w->stop, false);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
        vx_log_error(NULL, NULL, "rpc worker thread failed", "service", service);
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&w->lock);
    while (w->started == 0)
        pthread_cond_wait(&w->cond, &w->lock);
    int started = w->started;
    pthread_mutex_unlock(&w->lock);
    if (started < 0) {
        pthread_join(w->tid, NULL);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    return w;
}

vx_rpc_worker *vx_rpc_worker_start(const char *nats_url, const char *service, vx_rpc_handler handler, vx_health_check check,
                                   void *state)
{
    return worker_start(nats_url, service, handler, NULL, check, state);
}

vx_rpc_worker *vx_rpc_worker_start_batched(const char *nats_url, const char *service, vx_rpc_batch_handler handler,
                                           vx_health_check check, void *state)
{
    return worker_start(nats_url, service, NULL, handler, check, state);
}

void vx_rpc_worker_drain(vx_rpc_worker *w)
{
    if (w != NULL)
        atomic_store(&w->stop, true);
}

void vx_rpc_worker_destroy(vx_rpc_worker *w)
{
    if (w == NULL)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->tid, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
