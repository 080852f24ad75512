/*
 * http: everything that happens to a request before a service sees it.
 *
 * Order matters and is the same for every route: request id, CORS preflight,
 * routing (404/405/400 on a malformed UUID), body size (413), authentication
 * (401), then the route's target. Every answer goes through http_respond so
 * the request id header, CORS headers and metrics are never forgotten.
 */
#include "http.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_log.h"
#include "vx_rpc.h"
#include "vx_time.h"
#include "webhook.h"

typedef struct gw_handler {
    h2o_handler_t super;
    gateway *gw;
} gw_handler;

static h2o_iovec_t header_value(h2o_req_t *req, const char *name, size_t name_len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, name_len, -1);
    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return req->headers.entries[i].value;
}
#define HEADER(req, lit) header_value((req), (lit), sizeof(lit) - 1)

void http_add_header(request_ctx *ctx, const char *name, const char *value, size_t value_len)
{
    h2o_req_t *req = ctx->req;
    /* h2o keeps pointers: both strings must live in the request's pool. */
    size_t name_len = strlen(name);
    char *n = h2o_mem_alloc_pool(&req->pool, name_len + 1);
    for (size_t i = 0; i <= name_len; i++)
        n[i] = (char)tolower((unsigned char)name[i]);
    char *v = h2o_mem_alloc_pool(&req->pool, value_len);
    memcpy(v, value, value_len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n, name_len, 1, NULL, v, value_len);
}

static void add_cors_headers(request_ctx *ctx)
{
    const char *origin = ctx->thread->gw->cfg.cors_origin;
    if (origin == NULL || ctx->is_vapi)
        return;
    h2o_add_header(&ctx->req->pool, &ctx->req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, origin, strlen(origin));
    h2o_add_header(&ctx->req->pool, &ctx->req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
}

void http_respond(request_ctx *ctx, unsigned status, const char *content_type, const char *body, size_t len)
{
    if (ctx->answered)
        return;
    ctx->answered = true;
    h2o_req_t *req = ctx->req;
    req->res.status = (int)status;
    req->res.reason = status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, ctx->request_id,
                          strlen(ctx->request_id));
    add_cors_headers(ctx);
    int64_t elapsed = vx_monotonic_us() - ctx->start_us;
    metrics_observe(&ctx->thread->gw->metrics, ctx->route, status, elapsed);
    atomic_fetch_sub_explicit(&ctx->thread->gw->metrics.inflight, 1, memory_order_relaxed);
    if (status >= 500)
        vx_log_warn(ctx->request_id, NULL, "request failed", "route", ctx->route ? ctx->route->subject : "unrouted");
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

void http_respond_error(request_ctx *ctx, unsigned status, const char *code, const char *message)
{
    vx_buf body = VX_BUF_INIT;
    vx_error_json(&body, code, message);
    http_respond(ctx, status, "application/json", body.data, body.len);
    vx_buf_free(&body);
}

/* Keeps a caller's X-Request-Id when it is short and printable (so it is safe
 * in logs and headers); otherwise makes a new random one. */
static void assign_request_id(request_ctx *ctx)
{
    h2o_iovec_t given = HEADER(ctx->req, "x-request-id");
    bool usable = given.len > 0 && given.len <= REQUEST_ID_MAX;
    for (size_t i = 0; usable && i < given.len; i++)
        usable = isalnum((unsigned char)given.base[i]) || given.base[i] == '-' || given.base[i] == '_' || given.base[i] == '.';
    if (usable) {
        memcpy(ctx->request_id, given.base, given.len);
        ctx->request_id[given.len] = '\0';
    } else {
        /* A random per-thread prefix and a counter: unique, unguessable enough for
         * an id, and no getrandom(2) on every request. */
        static _Thread_local uint64_t prefix, counter;
        if (prefix == 0)
            vx_random_bytes(&prefix, sizeof(prefix));
        snprintf(ctx->request_id, sizeof(ctx->request_id), "%016" PRIx64 "%016" PRIx64, prefix, ++counter);
    }
}

static void on_ctx_dispose(void *p)
{
    request_ctx *ctx = p;
    upstream_cancel(&ctx->call);
    if (!ctx->answered)
        atomic_fetch_sub_explicit(&ctx->thread->gw->metrics.inflight, 1, memory_order_relaxed);
}

static bool authenticate(request_ctx *ctx)
{
    gateway *gw = ctx->thread->gw;
    h2o_req_t *req = ctx->req;
    int64_t now = vx_now_ms() / 1000;
    switch (ctx->route->auth) {
    case VX_AUTH_NONE:
        return true;
    case VX_AUTH_VAPI: {
        h2o_iovec_t s = HEADER(req, "x-vapi-secret"), a = HEADER(req, "authorization");
        h2o_iovec_t sig = HEADER(req, "x-signature"), ts = HEADER(req, "x-timestamp");
        auth_vapi_headers h = {{s.base, s.len}, {a.base, a.len}, {sig.base, sig.len}, {ts.base, ts.len}};
        ctx->is_vapi = true;
        if (auth_vapi(&gw->auth, &h, req->entity.base, req->entity.len, now))
            return true;
        http_respond_error(ctx, 401, "unauthorized", "Missing or invalid Vapi credentials.");
        return false;
    }
    case VX_AUTH_DASHBOARD: {
        h2o_iovec_t a = HEADER(req, "authorization");
        vx_jwt_status st = auth_dashboard(&gw->auth, (auth_slice){a.base, a.len}, now, &ctx->claims);
        if (st == VX_JWT_OK)
            return true;
        http_respond_error(ctx, 401, "unauthorized", vx_jwt_status_str(st));
        return false;
    }
    }
    return false;
}

static void serve_local(request_ctx *ctx)
{
    gateway *gw = ctx->thread->gw;
    vx_buf body = VX_BUF_INIT;
    switch (ctx->route->target) {
    case VX_TARGET_HEALTH:
        vx_buf_puts(&body, "{\"status\":\"ok\",\"service\":\"gateway\"}");
        http_respond(ctx, 200, "application/json", body.data, body.len);
        break;
    case VX_TARGET_READY: {
        bool ready = readiness_render(&gw->readiness, &body);
        http_respond(ctx, ready ? 200 : 503, "application/json", body.data, body.len);
        break;
    }
    case VX_TARGET_METRICS:
        metrics_render(&gw->metrics, &body);
        http_respond(ctx, 200, "text/plain; version=0.0.4", body.data, body.len);
        break;
    default:
        break;
    }
    vx_buf_free(&body);
}

static void answer_preflight(request_ctx *ctx)
{
    if (ctx->thread->gw->cfg.cors_origin == NULL) {
        http_respond_error(ctx, 405, "method_not_allowed", "This method is not allowed here.");
        return;
    }
    http_add_header(ctx, "access-control-allow-methods", H2O_STRLIT("GET, POST, PUT, PATCH, DELETE, OPTIONS"));
    http_add_header(ctx, "access-control-allow-headers", H2O_STRLIT("Authorization, Content-Type, X-Request-Id"));
    http_add_header(ctx, "access-control-max-age", H2O_STRLIT("600"));
    http_respond(ctx, 204, "text/plain", "", 0);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    gateway *gw = ((gw_handler *)self)->gw;
    request_ctx *ctx = h2o_mem_alloc_shared(&req->pool, sizeof(*ctx), on_ctx_dispose);
    memset(ctx, 0, sizeof(*ctx));
    ctx->req = req;
    ctx->thread = H2O_STRUCT_FROM_MEMBER(gw_thread, ctx, req->conn->ctx);
    ctx->start_us = vx_monotonic_us();
    atomic_fetch_add_explicit(&gw->metrics.inflight, 1, memory_order_relaxed);
    assign_request_id(ctx);

    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
        answer_preflight(ctx);
        return 0;
    }
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    vx_route_match *m = h2o_mem_alloc_pool(&req->pool, sizeof(*m));
    switch (vx_routes_match(gw->routes, gw->nroutes, req->method.base, req->method.len, req->path.base, path_len, m)) {
    case VX_ROUTE_NOT_FOUND:
        http_respond_error(ctx, 404, "not_found", "No such route.");
        return 0;
    case VX_ROUTE_METHOD_NOT_ALLOWED:
        http_respond_error(ctx, 405, "method_not_allowed", "This method is not allowed here.");
        return 0;
    case VX_ROUTE_BAD_PARAM:
    case VX_ROUTE_FOUND:
        break;
    }
    ctx->match = m;
    ctx->route = m->route;
    if (req->entity.len > gw->cfg.max_body_bytes) {
        http_respond_error(ctx, 413, "body_too_large", "The request body is larger than this service accepts.");
        return 0;
    }
    /* Authentication comes before parameter validation, so that anonymous
     * callers learn nothing about which paths exist beyond 401. */
    if (!authenticate(ctx))
        return 0;
    if (m->bad_param != NULL) {
        http_respond_error(ctx, 400, "invalid_id", "The id in the path must be a UUID.");
        return 0;
    }
    switch (ctx->route->target) {
    case VX_TARGET_RPC:
        forward_rpc(ctx, req->entity.base, req->entity.len);
        break;
    case VX_TARGET_VAPI_WEBHOOK:
        webhook_handle(ctx);
        break;
    case VX_TARGET_VAPI_TOOL:
        webhook_tool(ctx);
        break;
    default:
        serve_local(ctx);
        break;
    }
    return 0;
}

void http_register(gateway *gw, h2o_hostconf_t *host)
{
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    gw_handler *h = (gw_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->gw = gw;
}
