/*
 * vx_rpc: decode GatewayRequest, run the handler, encode GatewayResponse.
 *
 * The handler never sees NATS or protobuf plumbing: it reads a decoded
 * request and fills a vx_rpc_reply. This file is the one place where a
 * service's answer becomes bytes on the wire, so every service maps errors to
 * the same {"error": "...", "code": "..."} shape.
 */
#include "vx_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"

/* What a subscription serves: handler may be NULL (health only). */
typedef struct rpc_binding {
    char service[64];
    vx_rpc_handler handler;
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

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    rpc_binding *binding = closure;
    if (is_health_subject(natsMsg_GetSubject(msg)) || binding->handler == NULL) {
        answer_health(nc, msg, binding);
        natsMsg_Destroy(msg);
        return;
    }
    vx_rpc_reply reply = {0, "application/json", VX_BUF_INIT};
    vx_gateway_request *req =
        voxanne__v1__gateway_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    if (req == NULL) {
        vx_log_warn(NULL, NULL, "rpc request is not a GatewayRequest", "subject", natsMsg_GetSubject(msg));
        vx_rpc_reply_error(&reply, 400, "bad_envelope", "The request envelope could not be decoded.");
    } else {
        binding->handler(binding->state, req, &reply);
        if (reply.status == 0) {
            vx_log_error(req->request_id, NULL, "rpc handler set no answer", "route", req->route);
            vx_rpc_reply_error(&reply, 500, "internal", "The service could not answer this request.");
        }
    }
    respond(nc, msg, &reply);
    if (req != NULL)
        voxanne__v1__gateway_request__free_unpacked(req, NULL);
    vx_buf_free(&reply.body);
    natsMsg_Destroy(msg);
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
