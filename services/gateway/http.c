/*
 * http: everything that happens to a request before a service sees it.
 *
 * Order matters and is the same for every route: request id, CORS preflight,
 * routing (404/405/400 on a malformed UUID), body size (413), authentication
 * (401), then the route's target. Every answer goes through http_respond so
 * the request id header, CORS headers and metrics are never forgotten.
 *
 * The same checks run twice: on the request head, before h2o reads the body
 * (http_check_head, called by admit), so that an oversized or
 * unauthenticated request costs no body buffer; and here, on the whole
 * request, because a Vapi signature covers the body and because later
 * requests of a kept-alive connection reach h2o directly. So a connection
 * stays open after an answer only when its request proved the route's
 * credentials: an anonymous caller gets one request per connection, each one
 * checked on its head.
 */
#include "http.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "forward.h"
#include "sse.h"
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

/* RFC 9110 tchar. */
static bool is_token_char(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool http_header_value_safe(const char *value)
{
    if (value == NULL || strlen(value) > 1024)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++)
        if (!((*p >= 0x20 && *p != 0x7f) || *p == '\t'))
            return false;
    return true;
}

bool http_header_forwardable(const char *name, const char *value)
{
    /* Headers the gateway sets or that frame the response: never a service's to choose. */
    static const char *const owned[] = {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "trailer",
        "te",
        "content-type",
        "x-request-id",
        "set-cookie",
        "server",
        "date",
        "vary",
        "location",
        "strict-transport-security",
    };
    if (name == NULL || name[0] == '\0' || strlen(name) > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        if (!is_token_char(*p))
            return false;
    if (strncasecmp(name, "access-control-", 15) == 0)
        return false;
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        if (strcasecmp(name, owned[i]) == 0)
            return false;
    return http_header_value_safe(value);
}

static void add_cors_headers(request_ctx *ctx)
{
    const char *origin = ctx->thread->gw->cfg.cors_origin;
    if (origin == NULL || ctx->is_vapi)
        return;
    h2o_add_header(&ctx->req->pool, &ctx->req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, origin, strlen(origin));
    h2o_add_header(&ctx->req->pool, &ctx->req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    /* What the dashboard's script may read besides the simple headers
     * (the contacts export's file name and next part: contacts_csv.h). */
    h2o_add_header_by_str(&ctx->req->pool, &ctx->req->res.headers, H2O_STRLIT("access-control-expose-headers"), 0, NULL,
                          H2O_STRLIT("ETag, Retry-After, X-Request-Id, Content-Disposition, X-Next-Cursor"));
}

static const char *reason_for(unsigned status)
{
    return status < 300    ? "OK"
           : status == 304 ? "Not Modified"
           : status < 400  ? "Redirect"
           : status < 500  ? "Client Error"
                           : "Server Error";
}

void http_respond(request_ctx *ctx, unsigned status, const char *content_type, const char *body, size_t len)
{
    if (ctx->answered)
        return;
    ctx->answered = true;
    h2o_req_t *req = ctx->req;
    req->res.status = (int)status;
    req->res.reason = reason_for(status);
    /* Only a caller who proved the route's credentials keeps the connection:
     * a later request on it reaches h2o without admit's check of its head. */
    if (!ctx->verified)
        req->http1_is_persistent = 0;
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

void http_begin_stream(request_ctx *ctx, h2o_generator_t *generator, const char *content_type)
{
    ctx->answered = true;
    h2o_req_t *req = ctx->req;
    req->res.status = 200;
    req->res.reason = reason_for(200);
    /* A stream is one request: its end (or its client's) closes the connection. */
    req->http1_is_persistent = 0;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, ctx->request_id,
                          strlen(ctx->request_id));
    add_cors_headers(ctx);
    metrics_observe(&ctx->thread->gw->metrics, ctx->route, 200, vx_monotonic_us() - ctx->start_us);
    atomic_fetch_sub_explicit(&ctx->thread->gw->metrics.inflight, 1, memory_order_relaxed);
    h2o_start_response(req, generator);
}

void http_respond_error(request_ctx *ctx, unsigned status, const char *code, const char *message)
{
    vx_buf body = VX_BUF_INIT;
    vx_error_json(&body, code, message);
    http_respond(ctx, status, "application/json", body.data, body.len);
    vx_buf_free(&body);
}

void http_unique_id(uint64_t out[2])
{
    /* A random per-thread prefix and a counter: unique, unguessable enough,
     * and no getrandom(2) on every request. */
    static _Thread_local uint64_t prefix, counter;
    if (prefix == 0)
        vx_random_bytes(&prefix, sizeof(prefix));
    out[0] = prefix;
    out[1] = ++counter;
}

/* Keeps a caller's X-Request-Id when it is short and printable (so it is safe
 * in logs and headers); otherwise makes a new random one. */
static void make_request_id(h2o_iovec_t given, char out[REQUEST_ID_MAX + 1])
{
    bool usable = given.len > 0 && given.len <= REQUEST_ID_MAX;
    for (size_t i = 0; usable && i < given.len; i++)
        usable = isalnum((unsigned char)given.base[i]) || given.base[i] == '-' || given.base[i] == '_' || given.base[i] == '.';
    if (usable) {
        memcpy(out, given.base, given.len);
        out[given.len] = '\0';
    } else {
        uint64_t id[2];
        http_unique_id(id);
        snprintf(out, REQUEST_ID_MAX + 1, "%016" PRIx64 "%016" PRIx64, id[0], id[1]);
    }
}

static void assign_request_id(request_ctx *ctx)
{
    make_request_id(HEADER(ctx->req, "x-request-id"), ctx->request_id);
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
    case VX_AUTH_SERVICE:
        return true;
    case VX_AUTH_VAPI: {
        h2o_iovec_t s = HEADER(req, "x-vapi-secret"), a = HEADER(req, "authorization");
        h2o_iovec_t sig = HEADER(req, "x-signature"), ts = HEADER(req, "x-timestamp");
        auth_vapi_headers h = {{s.base, s.len}, {a.base, a.len}, {sig.base, sig.len}, {ts.base, ts.len}};
        ctx->is_vapi = true;
        auth_status st = auth_vapi(&gw->auth, &h, req->entity.base, req->entity.len, now);
        if (st == AUTH_OK)
            return true;
        if (st == AUTH_REPLAY)
            http_respond_error(ctx, 401, "replayed_request", "This signed request was already received.");
        else
            http_respond_error(ctx, 401, "unauthorized", "Missing or invalid Vapi credentials.");
        return false;
    }
    case VX_AUTH_OPERATOR:
    case VX_AUTH_OPERATOR_DETAILS: {
        h2o_iovec_t a = HEADER(req, "authorization");
        auth_status st = auth_operator(&gw->auth, (auth_slice){a.base, a.len});
        ctx->is_operator = st == AUTH_OK;
        if (st == AUTH_OK || ctx->route->auth == VX_AUTH_OPERATOR_DETAILS)
            return true;
        /* No token configured: the route does not exist for anyone. */
        if (st == AUTH_DISABLED)
            http_respond_error(ctx, 404, "not_found", "No such route.");
        else
            http_respond_error(ctx, 401, "unauthorized", "Missing or invalid operator token.");
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
        bool ready = readiness_render(&gw->readiness, &body, ctx->is_operator);
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

size_t http_body_limit(const gateway *gw, const vx_route *route)
{
    return route != NULL && route->max_body_bytes > 0 ? route->max_body_bytes : gw->cfg.max_body_bytes;
}

bool http_peer_address(h2o_req_t *req, http_peer *out)
{
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer); /* a failed get_peername leaves no family */
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&peer);
    if (peer.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        memcpy(out->bytes, &((struct sockaddr_in *)&peer)->sin_addr, sizeof(struct in_addr));
        out->len = sizeof(struct in_addr);
    } else if (peer.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        memcpy(out->bytes, &((struct sockaddr_in6 *)&peer)->sin6_addr, sizeof(struct in6_addr));
        out->len = sizeof(struct in6_addr);
    } else {
        return false;
    }
    if (inet_ntop(peer.ss_family, out->bytes, out->text, sizeof out->text) == NULL)
        return false;
    return true;
}

/* Spends one request of the budget of org_id (or, NULL, of the client's
 * address); when it is spent, answers 429 with Retry-After and returns false.
 * Vapi's routes are never limited here — a call in progress must not be
 * refused because the clinic is busy; their abuse is bounded by their
 * credentials and the stream's limits — nor are the operator's probes. */
static bool within_budget(request_ctx *ctx, ratelimit *rl, const char *org_id)
{
    if (rl == NULL || ctx->route->auth == VX_AUTH_VAPI || ctx->route->auth == VX_AUTH_OPERATOR ||
        ctx->route->auth == VX_AUTH_OPERATOR_DETAILS || ctx->route->target == VX_TARGET_HEALTH)
        return true;
    http_peer peer;
    const void *key = org_id;
    size_t key_len = org_id != NULL ? strlen(org_id) : 0;
    if (org_id == NULL) {
        if (!http_peer_address(ctx->req, &peer))
            return true; /* not an address we can tell apart */
        key = peer.bytes;
        key_len = peer.len;
    }
    long wait_s = ratelimit_take(rl, key, key_len, vx_monotonic_us());
    if (wait_s == 0)
        return true;
    char retry[24];
    int n = snprintf(retry, sizeof retry, "%ld", wait_s);
    http_add_header(ctx, "retry-after", retry, (size_t)n);
    if (org_id != NULL)
        http_respond_error(ctx, 429, "rate_limited", "This organization is sending too many requests. Retry later.");
    else
        http_respond_error(ctx, 429, "rate_limited", "Too many requests from this address. Retry later.");
    return false;
}

static void answer_preflight(request_ctx *ctx)
{
    if (ctx->thread->gw->cfg.cors_origin == NULL) {
        http_respond_error(ctx, 405, "method_not_allowed", "This method is not allowed here.");
        return;
    }
    http_add_header(ctx, "access-control-allow-methods", H2O_STRLIT("GET, POST, PUT, PATCH, DELETE, OPTIONS"));
    http_add_header(ctx, "access-control-allow-headers", H2O_STRLIT("Authorization, Content-Type, If-None-Match, X-Request-Id"));
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
    if (req->entity.len > http_body_limit(gw, ctx->route)) {
        http_respond_error(ctx, 413, "body_too_large", "The request body is larger than this service accepts.");
        return 0;
    }
    if (!within_budget(ctx, gw->ip_limit, NULL))
        return 0;
    /* Authentication comes before parameter validation, so that anonymous
     * callers learn nothing about which paths exist beyond 401. */
    if (!authenticate(ctx))
        return 0;
    if (ctx->route->auth == VX_AUTH_DASHBOARD && !within_budget(ctx, gw->org_limit, ctx->claims.org_id))
        return 0;
    ctx->verified = ctx->route->auth != VX_AUTH_NONE && ctx->route->auth != VX_AUTH_SERVICE &&
                    (ctx->route->auth != VX_AUTH_OPERATOR_DETAILS || ctx->is_operator);
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
    case VX_TARGET_EVENTS:
        sse_serve(ctx);
        break;
    default:
        serve_local(ctx);
        break;
    }
    return 0;
}

/* ---- The head alone, before the body is read (admit.c) ---- */

void http_head_refusal(gateway *gw, const http_head *head, const vx_route *route, unsigned status, const char *code,
                       const char *message, int64_t start_us, vx_buf *out)
{
    char request_id[REQUEST_ID_MAX + 1], date[64];
    make_request_id(head != NULL ? head->request_id : h2o_iovec_init(NULL, 0), request_id);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    vx_buf body = VX_BUF_INIT;
    vx_error_json(&body, code, message);
    vx_buf_printf(out,
                  "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\nContent-Length: %zu\r\nServer: voxanne\r\n"
                  "content-type: application/json\r\nx-request-id: %s\r\n",
                  status, reason_for(status), date, body.len, request_id);
    const char *origin = gw->cfg.cors_origin;
    if (origin != NULL && (route == NULL || route->auth != VX_AUTH_VAPI))
        vx_buf_printf(out, "access-control-allow-origin: %s\r\nvary: Origin\r\n", origin);
    vx_buf_puts(out, "\r\n");
    vx_buf_append(out, body.data, body.len);
    vx_buf_free(&body);
    metrics_observe(&gw->metrics, route, status, vx_monotonic_us() - start_us);
}

/* Why a head is refused (status 0: it is not). */
typedef struct head_refusal {
    unsigned status;
    const char *code, *message;
} head_refusal;

/* The route's credentials judged on the head alone: *verdict VERIFIED or
 * UNVERIFIED (nothing to judge yet), or a refusal. */
static head_refusal judge_credentials(gateway *gw, const http_head *head, const vx_route *route, http_head_verdict *verdict)
{
    int64_t now = vx_now_ms() / 1000;
    *verdict = HTTP_HEAD_UNVERIFIED;
    switch (route->auth) {
    case VX_AUTH_NONE:
    case VX_AUTH_SERVICE:
        return (head_refusal){0, NULL, NULL};
    case VX_AUTH_VAPI: {
        const char *hmac_secret = gw->auth.vapi_hmac_secret;
        /* A signature covers the body: judged (and remembered against replay)
         * only once the body has arrived, in on_req. */
        if (hmac_secret != NULL && hmac_secret[0] != '\0' && head->signature.len > 0 && head->timestamp.len > 0)
            return (head_refusal){0, NULL, NULL};
        /* Without a signature, nothing is checked against the replay cache. */
        auth_vapi_headers h = {{head->vapi_secret.base, head->vapi_secret.len},
                               {head->authorization.base, head->authorization.len},
                               {NULL, 0},
                               {NULL, 0}};
        if (auth_vapi(&gw->auth, &h, "", 0, now) != AUTH_OK)
            return (head_refusal){401, "unauthorized", "Missing or invalid Vapi credentials."};
        *verdict = HTTP_HEAD_VERIFIED;
        return (head_refusal){0, NULL, NULL};
    }
    case VX_AUTH_OPERATOR:
    case VX_AUTH_OPERATOR_DETAILS: {
        auth_status st = auth_operator(&gw->auth, (auth_slice){head->authorization.base, head->authorization.len});
        if (st == AUTH_OK)
            *verdict = HTTP_HEAD_VERIFIED;
        if (st == AUTH_OK || route->auth == VX_AUTH_OPERATOR_DETAILS)
            return (head_refusal){0, NULL, NULL};
        if (st == AUTH_DISABLED)
            return (head_refusal){404, "not_found", "No such route."};
        return (head_refusal){401, "unauthorized", "Missing or invalid operator token."};
    }
    case VX_AUTH_DASHBOARD: {
        vx_jwt_claims claims;
        vx_jwt_status st = auth_dashboard(&gw->auth, (auth_slice){head->authorization.base, head->authorization.len}, now, &claims);
        if (st != VX_JWT_OK)
            return (head_refusal){401, "unauthorized", vx_jwt_status_str(st)};
        *verdict = HTTP_HEAD_VERIFIED;
        return (head_refusal){0, NULL, NULL};
    }
    }
    return (head_refusal){401, "unauthorized", "Missing or invalid credentials."};
}

http_head_verdict http_check_head(gateway *gw, const http_head *head, int64_t start_us, vx_buf *out)
{
    if (h2o_memis(head->method.base, head->method.len, H2O_STRLIT("OPTIONS")))
        return HTTP_HEAD_UNVERIFIED;
    const char *query = memchr(head->path.base, '?', head->path.len);
    size_t path_len = query != NULL ? (size_t)(query - head->path.base) : head->path.len;
    vx_route_match m;
    const vx_route *route = NULL;
    head_refusal r = {0, NULL, NULL};
    http_head_verdict verdict = HTTP_HEAD_UNVERIFIED;
    switch (vx_routes_match(gw->routes, gw->nroutes, head->method.base, head->method.len, head->path.base, path_len, &m)) {
    case VX_ROUTE_NOT_FOUND:
        r = (head_refusal){404, "not_found", "No such route."};
        break;
    case VX_ROUTE_METHOD_NOT_ALLOWED:
        r = (head_refusal){405, "method_not_allowed", "This method is not allowed here."};
        break;
    case VX_ROUTE_BAD_PARAM:
    case VX_ROUTE_FOUND:
        route = m.route;
        if (head->content_length != SIZE_MAX && head->content_length > http_body_limit(gw, route))
            r = (head_refusal){413, "body_too_large", "The request body is larger than this service accepts."};
        else
            r = judge_credentials(gw, head, route, &verdict);
        if (r.status == 0 && m.bad_param != NULL)
            r = (head_refusal){400, "invalid_id", "The id in the path must be a UUID."};
        break;
    }
    if (r.status == 0)
        return verdict;
    http_head_refusal(gw, head, route, r.status, r.code, r.message, start_us, out);
    return HTTP_HEAD_REFUSED;
}

/* ---- h2o's own answers ---- */

/* h2o answers a few requests itself, before any handler runs: a body over
 * max_request_entity_size (413), a malformed chunked body or an unknown
 * transfer-encoding (400), an unknown expectation (417). Those answers take
 * the host's fallback path, where this filter gives them the suite's
 * {"error","code"} shape instead of h2o's plain text. */
typedef struct json_error_filter {
    h2o_filter_t super;
    gateway *gw;
} json_error_filter;

typedef struct json_error_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
} json_error_ostream;

static void json_error_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    json_error_ostream *o = (json_error_ostream *)self;
    if (bufcnt == 0 || o->body.len == 0) { /* HEAD, or already sent */
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    h2o_iovec_t body = o->body;
    o->body.len = 0;
    h2o_ostream_send_next(self, req, &body, 1, state);
}

static void on_error_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    if (req->res.status >= 400) {
        head_refusal r = {400, "bad_request", "The request could not be read."};
        if (req->res.status == 413)
            r = (head_refusal){413, "body_too_large", "The request body is larger than this service accepts."};
        else if (req->res.status == 417)
            r = (head_refusal){417, "expectation_failed", "Only Expect: 100-continue is supported."};
        vx_buf json = VX_BUF_INIT;
        vx_error_json(&json, r.code, r.message);
        json_error_ostream *o = (json_error_ostream *)h2o_add_ostream(req, sizeof(*o), slot);
        o->super.do_send = json_error_send;
        o->body = h2o_strdup(&req->pool, json.data, json.len);
        vx_buf_free(&json);
        req->res.content_length = o->body.len;
        ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
        if (i >= 0)
            req->res.headers.entries[i].value = h2o_iovec_init(H2O_STRLIT("application/json"));
        else
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
        metrics_observe(&((json_error_filter *)self)->gw->metrics, NULL, (unsigned)req->res.status, 0);
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void http_register(gateway *gw, h2o_hostconf_t *host)
{
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    gw_handler *h = (gw_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->gw = gw;
    json_error_filter *f = (json_error_filter *)h2o_create_filter(&host->fallback_path, sizeof(*f));
    f->super.on_setup_ostream = on_error_setup_ostream;
    f->gw = gw;
}
