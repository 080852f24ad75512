/*
 * forward: GatewayRequest out, GatewayResponse back.
 */
#include "forward.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vx_log.h"
#include "vx_rpc.h"
#include "vx_time.h"
#include "gateway.h"

/* A Location is the gateway's to set (http_header_forwardable), except on
 * the routes whose service authenticates the browser itself — Google's OAuth
 * callback, which ends by sending the owner back to the dashboard. */
static bool redirect_allowed(const request_ctx *ctx, const Voxanne__V1__GatewayResponse *resp, const Voxanne__V1__KeyValue *h)
{
    return ctx->route->auth == VX_AUTH_SERVICE && (resp->status == 302 || resp->status == 303) &&
           strcasecmp(h->key, "location") == 0 && http_header_value_safe(h->value);
}

/* Copies an h2o slice into a NUL-terminated string in the request pool. */
static char *pool_str(h2o_req_t *req, const char *s, size_t len)
{
    char *out = h2o_mem_alloc_pool(&req->pool, len + 1);
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* The answer when the service did not answer (timeout, nobody serving, not sent). */
static void answer_failure(request_ctx *ctx, upstream_outcome outcome)
{
    if (outcome == UPSTREAM_TIMEOUT)
        metrics_upstream_timeout(&ctx->thread->gw->metrics, ctx->route);
    vx_log_warn(ctx->request_id, ctx->claims.org_id[0] ? ctx->claims.org_id : NULL, "service did not answer", "route",
                ctx->route->subject, "outcome", outcome == UPSTREAM_TIMEOUT ? "timeout" : "no_responders");
    if (ctx->fallback != NULL)
        ctx->fallback(ctx, outcome);
    else if (outcome == UPSTREAM_TIMEOUT)
        http_respond_error(ctx, 504, "upstream_timeout", "The service did not answer in time. Please retry.");
    else
        http_respond_error(ctx, 503, "service_unavailable", "The service is not available right now. Please retry.");
}

static void on_reply(upstream_call *call, upstream_outcome outcome, natsMsg *msg)
{
    request_ctx *ctx = call->data;
    if (outcome != UPSTREAM_REPLY) {
        answer_failure(ctx, outcome);
        return;
    }
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    if (resp == NULL || resp->status < 100 || resp->status > 599) {
        vx_log_error(ctx->request_id, NULL, "service answered with an invalid envelope", "route", ctx->route->subject);
        http_respond_error(ctx, 502, "bad_upstream_answer", "The service gave an answer the gateway could not read.");
    } else {
        /* What a service says goes into the client's response only as data:
         * a header or content type with a CR/LF (a forged or broken answer)
         * is dropped, never copied into the response head. */
        for (size_t i = 0; i < resp->n_headers; i++) {
            if (http_header_forwardable(resp->headers[i]->key, resp->headers[i]->value) ||
                redirect_allowed(ctx, resp, resp->headers[i]))
                http_add_header(ctx, resp->headers[i]->key, resp->headers[i]->value, strlen(resp->headers[i]->value));
            else
                vx_log_warn(ctx->request_id, NULL, "service answer header dropped", "route", ctx->route->subject);
        }
        const char *type = resp->content_type;
        if (type[0] == '\0' || !http_header_value_safe(type))
            type = "application/json";
        http_respond(ctx, resp->status, type, (const char *)resp->body.data, resp->body.len);
    }
    if (resp != NULL)
        voxanne__v1__gateway_response__free_unpacked(resp, NULL);
}

void forward_rpc(request_ctx *ctx, const char *body, size_t body_len)
{
    const char *subject = ctx->route->subject;
    h2o_req_t *req = ctx->req;
    const vx_route_match *m = ctx->match;
    /* Nobody to ask (the health polls found no responder): say so now instead
     * of letting the caller wait for the timeout. */
    if (readiness_subject_absent(&ctx->thread->gw->readiness, subject)) {
        answer_failure(ctx, UPSTREAM_NO_RESPONDERS);
        return;
    }
    Voxanne__V1__GatewayRequest greq = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    Voxanne__V1__KeyValue params[VX_ROUTE_MAX_PARAMS];
    Voxanne__V1__KeyValue *param_ptrs[VX_ROUTE_MAX_PARAMS];

    greq.request_id = ctx->request_id;
    greq.route = (char *)subject;
    greq.method = pool_str(req, req->method.base, req->method.len);
    greq.path = pool_str(req, req->path.base, req->query_at != SIZE_MAX ? req->query_at : req->path.len);
    greq.query =
        req->query_at != SIZE_MAX ? pool_str(req, req->path.base + req->query_at + 1, req->path.len - req->query_at - 1) : "";
    for (size_t i = 0; i < m->nparams; i++) {
        voxanne__v1__key_value__init(&params[i]);
        params[i].key = pool_str(req, m->params[i].name, m->params[i].name_len);
        params[i].value = pool_str(req, m->params[i].value, m->params[i].value_len);
        param_ptrs[i] = &params[i];
    }
    greq.n_path_params = m->nparams;
    greq.path_params = param_ptrs;
    greq.body.data = (uint8_t *)body;
    greq.body.len = body_len;
    if (ctx->is_vapi) {
        auth.vapi = true;
    } else if (ctx->route->auth != VX_AUTH_SERVICE) {
        auth.org_id = ctx->claims.org_id;
        auth.user_id = ctx->claims.sub;
        auth.role = ctx->claims.role;
    }
    greq.auth = &auth;
    const gateway_config *cfg = &ctx->thread->gw->cfg;
    bool slow = ctx->route->waits_on_providers;
    greq.deadline_unix_ms = vx_now_ms() + (int64_t)(slow ? cfg->provider_timeout_ms : cfg->upstream_timeout_ms);
    /* Unique per envelope: two requests — even with the same client-given
     * request id in the same millisecond — are never the same bytes, so
     * only a true copy is a replay. */
    uint64_t nonce[2];
    http_unique_id(nonce);
    greq.nonce.data = (uint8_t *)nonce;
    greq.nonce.len = sizeof(nonce);

    size_t len = voxanne__v1__gateway_request__get_packed_size(&greq);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__gateway_request__pack(&greq, buf);

    char reply[128];
    upstream_begin(ctx->thread, &ctx->call, on_reply, ctx, slow, reply, sizeof(reply));
    natsStatus s =
        vx_rpc_publish_signed(loop_nats_connection(ctx->thread->nats), ctx->thread->gw->signer, subject, reply, buf, len);
    free(buf);
    if (s != NATS_OK) {
        upstream_cancel(&ctx->call);
        vx_log_error(ctx->request_id, NULL, "nats publish failed", "subject", subject, "error", natsStatus_GetText(s));
        answer_failure(ctx, UPSTREAM_NO_RESPONDERS);
    }
}
