/*
 * forward: GatewayRequest out, GatewayResponse back.
 */
#include "forward.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vx_crypto.h"
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

/* True when the If-None-Match list holds etag (or "*"): RFC 9110's weak
 * comparison, so a W/ on either side does not matter. */
static bool none_match_hits(h2o_req_t *req, const char *etag)
{
    ssize_t at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("if-none-match"), -1);
    if (at < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[at].value;
    const char *opaque = etag + 2; /* past our own "W/" */
    size_t opaque_len = strlen(opaque);
    for (size_t i = 0; i < v.len;) {
        while (i < v.len && (v.base[i] == ' ' || v.base[i] == '\t' || v.base[i] == ','))
            i++;
        size_t start = i;
        while (i < v.len && v.base[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v.base[end - 1] == ' ' || v.base[end - 1] == '\t'))
            end--;
        const char *tag = v.base + start;
        size_t len = end - start;
        if (len == 1 && tag[0] == '*')
            return true;
        if (len >= 2 && tag[0] == 'W' && tag[1] == '/') {
            tag += 2;
            len -= 2;
        }
        if (len == opaque_len && memcmp(tag, opaque, len) == 0)
            return true;
    }
    return false;
}

/* A dashboard read answered 200 gets an ETag (a digest of what it says), and
 * a client that already holds that answer gets 304 without the body: a
 * dashboard polling its lists downloads them only when they changed. The
 * service still does the read; what is saved is the transfer and the
 * browser's work. private: never kept by a shared cache — it is one org's data. */
static bool answered_not_modified(request_ctx *ctx, const Voxanne__V1__GatewayResponse *resp)
{
    if (ctx->route->auth != VX_AUTH_DASHBOARD || resp->status != 200 ||
        !h2o_memis(ctx->req->method.base, ctx->req->method.len, H2O_STRLIT("GET")))
        return false;
    uint8_t digest[VX_SHA256_LEN];
    vx_sha256(resp->body.data, resp->body.len, digest);
    char etag[2 + 1 + 32 + 1 + 1] = "W/\"";
    vx_hex_encode(digest, 16, etag + 3);
    strcat(etag, "\"");
    http_add_header(ctx, "etag", etag, strlen(etag));
    http_add_header(ctx, "cache-control", H2O_STRLIT("private, no-cache"));
    if (!none_match_hits(ctx->req, etag))
        return false;
    http_respond(ctx, 304, "application/json", "", 0);
    return true;
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
        if (!answered_not_modified(ctx, resp))
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
    /* The few request headers a service may need (vx_rpc.h): what the body
     * is, and who sent it (sign-in counts failures per address). */
    Voxanne__V1__KeyValue headers[2];
    Voxanne__V1__KeyValue *header_ptrs[2];
    size_t nheaders = 0;
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (ct != -1) {
        voxanne__v1__key_value__init(&headers[nheaders]);
        headers[nheaders].key = VX_RPC_HEADER_CONTENT_TYPE;
        headers[nheaders].value = pool_str(req, req->headers.entries[ct].value.base, req->headers.entries[ct].value.len);
        header_ptrs[nheaders] = &headers[nheaders];
        nheaders++;
    }
    http_peer peer;
    if (http_peer_address(req, &peer)) {
        voxanne__v1__key_value__init(&headers[nheaders]);
        headers[nheaders].key = VX_RPC_HEADER_CLIENT_IP;
        headers[nheaders].value = pool_str(req, peer.text, strlen(peer.text));
        header_ptrs[nheaders] = &headers[nheaders];
        nheaders++;
    }
    greq.n_headers = nheaders;
    greq.headers = header_ptrs;
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
