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

#include "vx_config.h"
#include "vx_envelope.h"
#include "vx_log.h"
#include "vx_natsloop.h"
#include "vx_replay.h"
#include "vx_time.h"
#include "vx_validate.h"

/* Signatures remembered against replays (vx_replay, ~52 bytes each, touched
 * as used): with the gateway's default 5 s deadlines the table holds every
 * live one up to ~13k requests/s per process; beyond that the oldest
 * deadlines are refused until it drains, never a replay let through. */
#define REPLAY_SLOTS 65536

/* This service's envelope key (ENVELOPE_KEY) and replay guard, one per
 * process: every subscription of a service checks the same signatures. */
static struct {
    pthread_once_t once;
    uint8_t key[VX_ENVELOPE_KEY_LEN];
    vx_replay *replay;
} envelope = {.once = PTHREAD_ONCE_INIT};

static void envelope_load(void)
{
    if (vx_envelope_key_parse(getenv("ENVELOPE_KEY"), envelope.key) != 0) {
        fprintf(stderr, "ENVELOPE_KEY must be 64 hex digits: this service's key for the gateway's signatures "
                        "(`voxctl envelope-key <program>` derives it from the gateway's ENVELOPE_MASTER_KEY)\n");
        exit(VX_EXIT_CONFIG);
    }
    envelope.replay = vx_replay_create(REPLAY_SLOTS, "gateway envelopes");
    if (envelope.replay == NULL)
        abort();
}

/* Why a request envelope is refused, checked on the bytes as received,
 * before anything is decoded: NULL when the gateway signed them (the MAC is
 * then in mac), else the reason, with the error code in *code. */
static const char *signature_refusal(natsMsg *msg, uint8_t mac[32], const char **code)
{
    pthread_once(&envelope.once, envelope_load);
    const char *signature = NULL;
    if (natsMsgHeader_Get(msg, VX_ENVELOPE_HEADER, &signature) == NATS_OK &&
        vx_envelope_verify(envelope.key, natsMsg_GetSubject(msg), natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg),
                           signature, mac))
        return NULL;
    *code = "envelope_unsigned";
    return "The request envelope is not signed by the gateway.";
}

/* Why a signed request is refused all the same: it expired (the gateway has
 * answered already: no work is done for it), claims a deadline too far
 * ahead to be remembered, or was served before. NULL: serve it. */
static const char *freshness_refusal(const vx_gateway_request *req, const uint8_t mac[32], const char **code)
{
    int64_t now = vx_now_ms();
    if (req->deadline_unix_ms <= now) {
        *code = "envelope_expired";
        return "The request envelope has expired.";
    }
    if (req->deadline_unix_ms > now + VX_ENVELOPE_MAX_AHEAD_MS) {
        *code = "envelope_deadline";
        return "The request envelope's deadline is too far ahead.";
    }
    /* Deadlines are times the envelope stays acceptable until: window 0. */
    if (vx_replay_check(envelope.replay, mac, req->deadline_unix_ms, now, 0) != VX_REPLAY_FRESH) {
        *code = "envelope_replayed";
        return "The request envelope was already served.";
    }
    return NULL;
}

natsStatus vx_rpc_publish_signed(natsConnection *nc, const vx_envelope_signer *s, const char *subject, const char *reply,
                                 const void *payload, size_t len)
{
    char signature[VX_ENVELOPE_SIG_SIZE];
    if (vx_envelope_signer_sign(s, subject, payload, len, signature) != 0)
        return NATS_INVALID_SUBJECT;
    natsMsg *msg = NULL;
    natsStatus st = natsMsg_Create(&msg, subject, reply, payload, (int)len);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(msg, VX_ENVELOPE_HEADER, signature);
    if (st == NATS_OK)
        st = natsConnection_PublishMsg(nc, msg);
    natsMsg_Destroy(msg);
    return st;
}

void vx_rpc_require_envelope_key(void)
{
    pthread_once(&envelope.once, envelope_load);
}

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

void vx_rpc_reply_cjson(vx_rpc_reply *reply, unsigned status, cJSON *root)
{
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (json == NULL)
        abort(); /* out of memory */
    vx_rpc_reply_json(reply, status, json);
    free(json);
}

void vx_rpc_reply_header(vx_rpc_reply *reply, const char *name, const char *value)
{
    if (reply->nheaders == VX_RPC_MAX_HEADERS) {
        vx_log_error(NULL, NULL, "rpc reply header dropped: too many", "name", name);
        return;
    }
    vx_buf_append(&reply->headers, name, strlen(name) + 1);
    vx_buf_append(&reply->headers, value, strlen(value) + 1);
    reply->nheaders++;
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

const char *vx_rpc_path_uuid(const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_param(req, "id");
    if (id != NULL && vx_is_uuid(id, strlen(id)))
        return id;
    vx_rpc_reply_error(reply, 400, "invalid_id", "The id in the path must be a UUID.");
    return NULL;
}

const char *vx_rpc_header(const vx_gateway_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcmp(req->headers[i]->key, name) == 0)
            return req->headers[i]->value;
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
    Voxanne__V1__KeyValue kv[VX_RPC_MAX_HEADERS], *kvp[VX_RPC_MAX_HEADERS];
    const char *h = reply->headers.data;
    for (size_t i = 0; i < reply->nheaders && i < VX_RPC_MAX_HEADERS; i++) {
        voxanne__v1__key_value__init(&kv[i]);
        kv[i].key = (char *)h;
        h += strlen(h) + 1;
        kv[i].value = (char *)h;
        h += strlen(h) + 1;
        kvp[i] = &kv[i];
        resp.n_headers = i + 1;
    }
    resp.headers = kvp;
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
    const char *code = NULL;
    uint8_t mac[32];
    const char *refused = signature_refusal(msg, mac, &code);
    vx_gateway_request *req = refused != NULL ? NULL
                                              : voxanne__v1__gateway_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg),
                                                                                     (const uint8_t *)natsMsg_GetData(msg));
    if (req != NULL)
        refused = freshness_refusal(req, mac, &code);
    if (refused != NULL) {
        vx_log_warn(req != NULL ? req->request_id : NULL, NULL, "rpc request refused", "subject", natsMsg_GetSubject(msg), "code",
                    code);
        vx_rpc_reply reply = {.content_type = "application/json"};
        vx_rpc_reply_error(&reply, 401, code, refused);
        respond(nc, msg, &reply);
        vx_buf_free(&reply.body);
        vx_buf_free(&reply.headers);
        voxanne__v1__gateway_request__free_unpacked(req, NULL);
        natsMsg_Destroy(msg);
        return NULL;
    }
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
        vx_buf_free(&reply.headers);
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
    vx_buf_free(&reply->headers);
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

/* served: the worker's subscription to track (the binding is freed when it
 * completes), or NULL (a health subscription: the binding is freed then). */
static int subscribe(natsConnection *nc, const char *subject, const char *service, vx_rpc_handler handler, vx_health_check check,
                     void *state, natsSubscription **out, vx_served_sub *served)
{
    if (handler != NULL)
        vx_rpc_require_envelope_key();
    rpc_binding *binding = calloc(1, sizeof(*binding));
    if (binding == NULL)
        abort();
    snprintf(binding->service, sizeof(binding->service), "%s", service);
    binding->handler = handler;
    binding->check = check;
    binding->state = state;
    natsStatus s = natsConnection_QueueSubscribe(out, nc, subject, service, on_request, binding);
    if (s == NATS_OK && served == NULL)
        s = natsSubscription_SetOnCompleteCB(*out, free, binding);
    if (s == NATS_OK && served != NULL && vx_served_sub_track(served, free, binding) != 0)
        s = NATS_ERR;
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "rpc subscribe failed", "subject", subject, "error", natsStatus_GetText(s));
        if (*out != NULL) {
            natsSubscription_Unsubscribe(*out);
            natsSubscription_Destroy(*out);
            *out = NULL;
        }
        free(binding);
        return -1;
    }
    return 0;
}

int vx_rpc_serve(natsConnection *nc, const char *service, vx_rpc_handler handler, vx_health_check check, void *state,
                 vx_served_sub *out)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.>", service);
    out->nc = nc;
    return subscribe(nc, subject, service, handler, check, state, &out->sub, out);
}

int vx_rpc_serve_health(natsConnection *nc, const char *service, vx_health_check check, void *state, natsSubscription **out)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.health", service);
    return subscribe(nc, subject, service, NULL, check, state, out, NULL);
}

/* ---- loop-driven workers (see vx_rpc_worker_start) ---- */

#define WORKER_POLL_MS       100
#define WORKER_DRAIN_MS      5000
#define WORKER_BATCH_MAX     256 /* messages answered before the replies are written */
#define WORKER_PENDING_MSGS  8192
#define WORKER_PENDING_BYTES (64 * 1024 * 1024)

/* The requests of one batch, decoded, with their replies. */
typedef struct request_batch {
    natsMsg *msgs[WORKER_BATCH_MAX];
    const vx_gateway_request *reqs[WORKER_BATCH_MAX];
    vx_rpc_reply replies[WORKER_BATCH_MAX];
    size_t n;
} request_batch;

/* Where the deferred answers of a worker go: its own connection. NATS lets
 * a user reply only on the connection that received the request
 * (allow_responses in deploy/nats/users.conf), so an answer sent on any
 * other connection would be refused. Shared by the worker and each of its
 * deferred requests (refs); nc is NULL once the worker has closed it. */
typedef struct reply_channel {
    pthread_mutex_t lock;
    natsConnection *nc;
    int refs;
    int outstanding; /* deferred requests not answered yet */
} reply_channel;

static void channel_release(reply_channel *c)
{
    pthread_mutex_lock(&c->lock);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last) {
        pthread_mutex_destroy(&c->lock);
        free(c);
    }
}

static int channel_outstanding(reply_channel *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->outstanding;
    pthread_mutex_unlock(&c->lock);
    return n;
}

struct vx_rpc_worker {
    rpc_binding binding;
    request_batch batch;
    reply_channel *channel;
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
static void answer_batch(natsConnection *nc, reply_channel *channel, const rpc_binding *binding, request_batch *b)
{
    if (b->n == 0)
        return;
    for (size_t i = 0; i < b->n; i++)
        b->replies[i] = (vx_rpc_reply){.content_type = "application/json",
                                       .origin = {.msg = b->msgs[i], .req = (vx_gateway_request *)b->reqs[i], .channel = channel}};
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
    reply_channel *channel;
};

vx_rpc_deferred *vx_rpc_defer(vx_rpc_reply *reply)
{
    vx_rpc_deferred *d = malloc(sizeof(*d));
    reply_channel *c = reply->origin.channel;
    if (d == NULL || reply->origin.msg == NULL || c == NULL) /* not a reply of a batch: a programming error */
        abort();
    d->msg = reply->origin.msg;
    d->req = reply->origin.req;
    d->channel = c;
    pthread_mutex_lock(&c->lock);
    c->refs++;
    c->outstanding++;
    pthread_mutex_unlock(&c->lock);
    reply->origin.deferred = d;
    return d;
}

const vx_gateway_request *vx_rpc_deferred_request(const vx_rpc_deferred *d)
{
    return d->req;
}

void vx_rpc_deferred_answer(vx_rpc_deferred *d, vx_rpc_reply *reply)
{
    reply_channel *c = d->channel;
    /* Publishing from this thread on the worker's connection is safe: cnats
     * wakes the worker's loop to write it. The lock keeps the worker from
     * closing the connection meanwhile. */
    pthread_mutex_lock(&c->lock);
    if (c->nc != NULL) {
        finish_request(c->nc, d->msg, d->req, reply);
    } else {
        vx_log_warn(d->req->request_id, NULL, "rpc answer dropped: its worker is gone");
        voxanne__v1__gateway_request__free_unpacked(d->req, NULL);
        vx_buf_free(&reply->body);
        vx_buf_free(&reply->headers);
        natsMsg_Destroy(d->msg);
    }
    c->outstanding--;
    pthread_mutex_unlock(&c->lock);
    channel_release(c);
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
        answer_batch(nc, w->channel, &w->binding, b);
        if (!open || !more || !all)
            return open;
    }
}

/* Stops taking requests without losing one already routed to us: the UNSUB
 * goes out in drain mode (the subscription keeps what still arrives), then a
 * marker; once the marker is back, every request sent before the UNSUB is here. */
static bool nats_connected(natsConnection *nc)
{
    return natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
}

static natsSubscription *start_drain(natsConnection *nc, natsSubscription *sub)
{
    /* While NATS is away no request can reach us and no answer leave: there
     * is nothing to drain, and no server to send the marker back. */
    if (!nats_connected(nc))
        return NULL;
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
    /* Bounded: a flood queues at most this much here (each request up to the
     * gateway's body limit); beyond it NATS drops requests as a slow
     * consumer (logged) and the gateway answers their callers 504. A burst
     * of thousands still fits; the gateway times requests out anyway. */
    natsSubscription_SetPendingLimits(sub, WORKER_PENDING_MSGS, WORKER_PENDING_BYTES);
    /* Started means the server routes to us: wait until it has seen the SUB. */
    if (!vx_natsloop_sync(loop, WORKER_DRAIN_MS))
        vx_log_warn(NULL, NULL, "rpc worker subscription not confirmed yet", "subject", subject);
    natsSubscription *marker = NULL;
    natsConnection *nc = vx_natsloop_connection(loop);
    pthread_mutex_lock(&w->channel->lock);
    w->channel->nc = nc;
    pthread_mutex_unlock(&w->channel->lock);
    worker_started(w, 1);

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
        } else if (drain_until != 0 && !nats_connected(nc)) {
            vx_log_warn(NULL, NULL, "rpc worker drain cut short: nats disconnected", "service", w->binding.service);
            break;
        }
    }
    /* Requests handed to other threads are still to be answered on this
     * connection: keep it served until they are (they are bounded by their
     * deadlines), then close it to them. Not while NATS is away: an answer
     * could only wait in the reconnect buffer that the close discards. */
    int64_t answers_until = nats_Now() + WORKER_DRAIN_MS;
    while (channel_outstanding(w->channel) > 0 && nats_Now() < answers_until && nats_connected(nc)) {
        vx_natsloop_poll(loop, 10);
        vx_natsloop_flush(loop);
    }
    if (channel_outstanding(w->channel) > 0)
        vx_log_warn(NULL, NULL, "rpc worker stopped with answers outstanding", "service", w->binding.service);
    vx_natsloop_flush(loop);
    pthread_mutex_lock(&w->channel->lock);
    w->channel->nc = NULL;
    pthread_mutex_unlock(&w->channel->lock);
    natsSubscription_Destroy(marker);
    natsSubscription_Destroy(sub);
    vx_natsloop_destroy(loop);
    return NULL;
}

static vx_rpc_worker *worker_start(const char *nats_url, const char *service, vx_rpc_handler handler, vx_rpc_batch_handler batch,
                                   vx_health_check check, void *state)
{
    vx_rpc_require_envelope_key();
    vx_rpc_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    snprintf(w->binding.service, sizeof(w->binding.service), "%s", service);
    w->binding.handler = handler;
    w->binding.batch = batch;
    w->binding.check = check;
    w->binding.state = state;
    w->channel = calloc(1, sizeof(*w->channel));
    if (w->channel == NULL)
        abort();
    pthread_mutex_init(&w->channel->lock, NULL);
    w->channel->refs = 1;
    snprintf(w->url, sizeof(w->url), "%s", nats_url);
    snprintf(w->client_name, sizeof(w->client_name), "%s-worker", service);
    atomic_init(&w->stop, false);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
        vx_log_error(NULL, NULL, "rpc worker thread failed", "service", service);
        channel_release(w->channel);
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
        channel_release(w->channel);
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
    channel_release(w->channel);
    free(w);
}
