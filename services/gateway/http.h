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
    vx_jwt_claims claims; /* for dashboard routes */
    char request_id[REQUEST_ID_MAX + 1];
    char vapi_type[64]; /* for the Vapi webhook: message.type */
    /* When set, answers instead of the generic 503/504 if the service is unavailable. */
    void (*fallback)(struct request_ctx *ctx, upstream_outcome outcome);
};

/* Registers the handler on the host configuration. */
void http_register(gateway *gw, h2o_hostconf_t *host);

/* Answers with body (copied) and records metrics. */
void http_respond(request_ctx *ctx, unsigned status, const char *content_type, const char *body, size_t len);
/* Answers {"error": message, "code": code}. */
void http_respond_error(request_ctx *ctx, unsigned status, const char *code, const char *message);
/* Adds a response header (name must be lower case); call before http_respond. */
void http_add_header(request_ctx *ctx, const char *name, const char *value, size_t value_len);

#endif
