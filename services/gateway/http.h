/*
 * http: the one h2o handler — request ids, CORS, routing, body limits,
 * authentication — and the helpers every target uses to answer.
 */
#ifndef GATEWAY_HTTP_H
#define GATEWAY_HTTP_H

#include <stdint.h>
#include <h2o.h>

#include "gateway.h"
#include "vx_jwt.h"

#define REQUEST_ID_MAX 64

/* Per-request state, allocated in the request's memory pool: when h2o frees the
 * request (answer sent or client gone) a pending upstream call is cancelled. */
typedef struct request_ctx request_ctx;
struct request_ctx {
    upstream_call call;
    h2o_req_t *req;
    gw_thread *thread;
    const vx_route_match *match;
    const vx_route *route;
    int64_t start_us;
    bool answered;
    bool is_vapi;
    bool verified;        /* the route's credentials were checked: the connection may stay open */
    bool is_operator;     /* presented the operator token (METRICS_TOKEN) */
    vx_jwt_claims claims; /* for dashboard routes */
    char request_id[REQUEST_ID_MAX + 1];
    char vapi_type[64]; /* for the Vapi webhook: message.type */
    /* When set, answers instead of the generic 503/504 if the service is unavailable. */
    void (*fallback)(struct request_ctx *ctx, upstream_outcome outcome);
};

/* Registers the handler on the host configuration, and turns h2o's own
 * error answers (a body over the limit, a malformed request) into JSON. */
void http_register(gateway *gw, h2o_hostconf_t *host);

/* A request head as admit reads it, before any of its body (admit.h). The
 * slices point into admit's buffer. */
typedef struct http_head {
    h2o_iovec_t method;
    h2o_iovec_t path;      /* with the query, as sent */
    size_t content_length; /* SIZE_MAX: none given */
    bool chunked;          /* transfer-encoding given: the body's size is not known yet */
    h2o_iovec_t request_id, authorization, vapi_secret, signature, timestamp;
} http_head;

typedef enum {
    HTTP_HEAD_VERIFIED = 0,   /* the route's credentials were checked on the head: read the body */
    HTTP_HEAD_UNVERIFIED = 1, /* nothing could be checked yet (a public route, or a Vapi signature over
                               * the body): read the body within the unverified budget */
    HTTP_HEAD_REFUSED = 2,    /* refused on the head alone: out holds the answer, send it and close */
} http_head_verdict;

/* What on_req would decide from the head alone, in the same order (route,
 * size, credentials, parameters), so an oversized or unauthenticated
 * request is answered before its body is read. start_us: when the
 * connection was accepted (vx_monotonic_us), for the metrics. */
http_head_verdict http_check_head(gateway *gw, const http_head *head, int64_t start_us, vx_buf *out);
/* Writes into out a whole HTTP/1.1 answer {"error": message, "code": code}
 * that closes the connection, with the request id and CORS headers
 * http_respond would add, and counts it in the metrics. head may be NULL
 * (an unreadable head); route may be NULL. */
void http_head_refusal(gateway *gw, const http_head *head, const vx_route *route, unsigned status, const char *code,
                       const char *message, int64_t start_us, vx_buf *out);

/* Answers with body (copied) and records metrics. */
void http_respond(request_ctx *ctx, unsigned status, const char *content_type, const char *body, size_t len);
/* Starts a streamed answer (200, content_type, the request id and CORS
 * headers, counted in the metrics as answered now): the caller then feeds
 * it with h2o_send through generator. The connection closes when it ends. */
void http_begin_stream(request_ctx *ctx, h2o_generator_t *generator, const char *content_type);
/* Answers {"error": message, "code": code}. */
void http_respond_error(request_ctx *ctx, unsigned status, const char *code, const char *message);
/* Adds a response header (name must be lower case); call before http_respond. */
void http_add_header(request_ctx *ctx, const char *name, const char *value, size_t value_len);
/* 128 bits unique in this process (a random per-thread prefix, then a
 * count): request ids made here, envelope nonces. */
void http_unique_id(uint64_t out[2]);
/* True when a service's answer may carry this header to the client: the
 * name an RFC 9110 token, the value visible characters, spaces and tabs
 * only (no CR, LF or NUL: a header a service sends can never split the
 * response or add one of its own), and the name none the gateway owns —
 * framing (content-length, transfer-encoding, connection…), the request id,
 * CORS, cookies. */
/* The largest body route takes: its own limit, else GATEWAY_MAX_BODY_BYTES. */
size_t http_body_limit(const gateway *gw, const vx_route *route);

bool http_header_forwardable(const char *name, const char *value);

/* The client's address as the connection's socket saw it (a proxy in front
 * is the client: X-Forwarded-For is a client's claim, not believed). */
typedef struct http_peer {
    unsigned char bytes[16]; /* the address: 4 bytes (IPv4) or 16 (IPv6) */
    size_t len;
    char text[46]; /* its text form (INET6_ADDRSTRLEN) */
} http_peer;
/* Fills out and returns true for an IPv4 or IPv6 peer; false otherwise. */
bool http_peer_address(h2o_req_t *req, http_peer *out);
/* The value rule alone (a service's content type): at most 1 KiB of visible
 * characters, spaces and tabs. */
bool http_header_value_safe(const char *value);

#endif
