/*
 * webhook: Vapi message routing, de-duplication ids and PubAck handling.
 */
#include "webhook.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "voxanne/v1/vapi.pb-c.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_json.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_scrub.h"
#include "vx_time.h"
#include "vx_vapi.h"

#define TOOL_UNAVAILABLE_TEXT                                                                                                      \
    "I'm sorry, I can't reach our scheduling system right now. Please tell the caller we will call them back shortly."

bool webhook_subject_token(const char *type, char *out, size_t out_len)
{
    size_t len = strlen(type);
    if (len == 0 || len >= out_len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = type[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
        /* A dot would split the NATS subject into more tokens. */
        out[i] = c == '.' ? '_' : c;
    }
    out[len] = '\0';
    return true;
}

void webhook_dedup_id(const char *type, const char *call_id, const char *status, const char *body, size_t body_len, char *out,
                      size_t out_len)
{
    if (call_id != NULL && strcmp(type, "end-of-call-report") == 0) {
        snprintf(out, out_len, "report:%s", call_id);
    } else if (call_id != NULL && status != NULL && strcmp(type, "status-update") == 0) {
        snprintf(out, out_len, "status:%s:%s", call_id, status);
    } else {
        uint8_t digest[VX_SHA256_LEN];
        char hex[2 * VX_SHA256_LEN + 1];
        vx_sha256(body, body_len, digest);
        vx_hex_encode(digest, sizeof(digest), hex);
        snprintf(out, out_len, "body:%s", hex);
    }
}

/* One {"name","toolCallId","error"} per tool call, in order, from any of the
 * three lists Vapi may send (see contracts/vapi.md §1.3). */
static void append_tool_errors(cJSON *results, const cJSON *message)
{
    const cJSON *list = vx_json_at(message, "toolCallList");
    if (!cJSON_IsArray(list))
        list = vx_json_at(message, "toolCalls");
    bool wrapped = false;
    if (!cJSON_IsArray(list)) {
        list = vx_json_at(message, "toolWithToolCallList");
        wrapped = true;
    }
    if (!cJSON_IsArray(list))
        return;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const cJSON *call = wrapped ? vx_json_at(item, "toolCall") : item;
        const char *id = vx_json_str(call, "id");
        const char *name = vx_json_str_first(call, "function.name", "name", (char *)NULL);
        if (id == NULL)
            continue;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", name != NULL ? name : "");
        cJSON_AddStringToObject(r, "toolCallId", id);
        cJSON_AddStringToObject(r, "error", TOOL_UNAVAILABLE_TEXT);
        cJSON_AddItemToArray(results, r);
    }
}

char *webhook_fallback_answer(const char *body, size_t body_len, const char *type, bool legacy)
{
    cJSON *answer = cJSON_CreateObject();
    if (strcmp(type, "tool-calls") == 0) {
        cJSON *root = cJSON_ParseWithLength(body, body_len);
        cJSON *results = cJSON_AddArrayToObject(answer, "results");
        append_tool_errors(results, vx_json_at(root, "message"));
        cJSON_Delete(root);
        if (legacy) {
            cJSON *legacy_result = cJSON_AddObjectToObject(answer, "toolResult");
            cJSON_AddStringToObject(legacy_result, "type", "text");
            cJSON_AddStringToObject(legacy_result, "content", TOOL_UNAVAILABLE_TEXT);
        }
    } else if (strcmp(type, "function-call") == 0) {
        cJSON_AddStringToObject(answer, "result", TOOL_UNAVAILABLE_TEXT);
    } else {
        /* assistant-request / transfer-destination-request: Vapi speaks "error" and
         * carries on without us; there is nothing better to offer without the service. */
        cJSON_AddStringToObject(answer, "error", "Sorry, we cannot take your call right now. Please try again shortly.");
    }
    char *out = cJSON_PrintUnformatted(answer);
    cJSON_Delete(answer);
    return out;
}

static void fallback_to_vapi(request_ctx *ctx, upstream_outcome outcome)
{
    bool legacy = ctx->route->target == VX_TARGET_VAPI_TOOL;
    char *json = webhook_fallback_answer(ctx->req->entity.base, ctx->req->entity.len, ctx->vapi_type, legacy);
    http_respond(ctx, 200, "application/json", json, strlen(json));
    free(json);
}

/* The stream's answer: {"stream":"VAPI","seq":N[,"duplicate":true]} or {"error":{…}}. */
static void on_puback(upstream_call *call, upstream_outcome outcome, natsMsg *msg)
{
    request_ctx *ctx = call->data;
    if (outcome == UPSTREAM_REPLY) {
        cJSON *ack = cJSON_ParseWithLength(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
        bool stored = ack != NULL && vx_json_str(ack, "stream") != NULL && vx_json_at(ack, "error") == NULL;
        const char *why = vx_json_str(ack, "error.description");
        /* The stream's byte limit with discard-new (vx_nats.h): ingest has been
         * behind for long. Vapi should come back later, not at once. */
        bool full = !stored && why != NULL && strstr(why, "maximum") != NULL;
        if (!stored)
            vx_log_error(ctx->request_id, NULL, full ? "the VAPI stream is full: message refused" : "jetstream refused the message",
                         "type", ctx->vapi_type, "answer", why ? why : "unreadable");
        cJSON_Delete(ack);
        if (stored) {
            http_respond(ctx, 200, "application/json", "{\"received\":true}", 17);
            return;
        }
        if (full) {
            http_add_header(ctx, "retry-after", "60", 2);
            http_respond_error(ctx, 503, "stream_full", "Messages are not being processed right now. Please retry later.");
            return;
        }
    } else {
        if (outcome == UPSTREAM_TIMEOUT)
            metrics_upstream_timeout(&ctx->thread->gw->metrics, ctx->route);
        vx_log_error(ctx->request_id, NULL, "jetstream did not acknowledge", "type", ctx->vapi_type, "outcome",
                     outcome == UPSTREAM_TIMEOUT ? "timeout" : "no_stream");
    }
    /* Not durable: tell Vapi so (a configured backoffPlan retries it). */
    http_respond_error(ctx, 503, "not_durable", "The message could not be stored. Please retry.");
}

/* Publishes body (the message as it may be stored: scrubbed) to the stream. */
static void publish_durable(request_ctx *ctx, const char *subject_token, const char *call_id, const char *status, const char *body,
                            size_t body_len)
{
    h2o_req_t *req = ctx->req;
    Voxanne__V1__VapiMessageEvent ev = VOXANNE__V1__VAPI_MESSAGE_EVENT__INIT;
    ev.request_id = ctx->request_id;
    ev.type = ctx->vapi_type;
    ev.call_id = (char *)(call_id != NULL ? call_id : "");
    ev.raw_json.data = (uint8_t *)body;
    ev.raw_json.len = body_len;
    ev.received_at_ms = vx_now_ms();
    size_t len = voxanne__v1__vapi_message_event__get_packed_size(&ev);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__vapi_message_event__pack(&ev, buf);

    char subject[128], reply[128], dedup[160];
    snprintf(subject, sizeof(subject), "%s%s", VX_SUBJECT_VAPI_PREFIX, subject_token);
    webhook_dedup_id(ctx->vapi_type, call_id, status, req->entity.base, req->entity.len, dedup, sizeof(dedup));
    upstream_begin(ctx->thread, &ctx->call, on_puback, ctx, false, reply, sizeof(reply));

    natsMsg *msg = NULL;
    natsStatus s = natsMsg_Create(&msg, subject, reply, (const char *)buf, (int)len);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(msg, "Nats-Msg-Id", dedup);
    if (s == NATS_OK)
        s = natsConnection_PublishMsg(loop_nats_connection(ctx->thread->nats), msg);
    natsMsg_Destroy(msg);
    free(buf);
    if (s != NATS_OK) {
        upstream_cancel(&ctx->call);
        vx_log_error(ctx->request_id, NULL, "nats publish failed", "error", natsStatus_GetText(s));
        http_respond_error(ctx, 503, "not_durable", "The message could not be stored. Please retry.");
    }
}

void webhook_tool(request_ctx *ctx)
{
    /* The body is Vapi's tool-calls envelope; tool-router validates it. */
    snprintf(ctx->vapi_type, sizeof(ctx->vapi_type), "tool-calls");
    ctx->fallback = fallback_to_vapi;
    forward_rpc(ctx, ctx->req->entity.base, ctx->req->entity.len);
}

void webhook_handle(request_ctx *ctx)
{
    h2o_req_t *req = ctx->req;
    cJSON *root = cJSON_ParseWithLength(req->entity.base, req->entity.len);
    if (root == NULL) {
        http_respond_error(ctx, 400, "invalid_json", "The body is not valid JSON.");
        return;
    }
    const cJSON *message = vx_json_at(root, "message");
    const char *type = vx_json_str(message, "type");
    char token[64];
    if (!cJSON_IsObject(message) || type == NULL || !webhook_subject_token(type, token, sizeof(token))) {
        cJSON_Delete(root);
        http_respond_error(ctx, 400, "invalid_message", "Expected {\"message\": {\"type\": \"…\"}} as Vapi sends it.");
        return;
    }
    snprintf(ctx->vapi_type, sizeof(ctx->vapi_type), "%s", type);
    if (vx_vapi_message_kind(type) != VX_VAPI_NOT_CALL_TIME) {
        cJSON_Delete(root);
        ctx->fallback = fallback_to_vapi;
        forward_rpc(ctx, req->entity.base, req->entity.len);
        return;
    }
    const char *call_id = vx_json_str(message, "call.id");
    const char *status = vx_json_str(message, "status");
    if (call_id != NULL && (call_id[0] == '\0' || strlen(call_id) > 100))
        call_id = NULL;
    if (status != NULL && strlen(status) > 32)
        status = NULL;
    /* No credential Vapi embeds (a number's twilioAuthToken, a server's
     * secret, …) reaches the stream's files: the message is stored scrubbed,
     * re-printed only when there was something to remove. The signature was
     * checked on the bytes as sent, before this. */
    char *scrubbed = NULL;
    if (vx_scrub_json(root) > 0) {
        scrubbed = cJSON_PrintUnformatted(root);
        if (scrubbed == NULL)
            abort();
    }
    /* call_id and status point into root: published before it is freed. */
    publish_durable(ctx, token, call_id, status, scrubbed != NULL ? scrubbed : req->entity.base,
                    scrubbed != NULL ? strlen(scrubbed) : req->entity.len);
    free(scrubbed);
    cJSON_Delete(root);
}
