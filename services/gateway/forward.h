/*
 * forward: a request handed to a service as a GatewayRequest over NATS, and
 * the service's GatewayResponse handed back as the HTTP answer.
 */
#ifndef GATEWAY_FORWARD_H
#define GATEWAY_FORWARD_H

#include "http.h"

/* Sends ctx's request (body given explicitly) to its route's subject — the
 * one key from route to handler, also sent as GatewayRequest.route — and
 * answers when the reply comes. If the service does not answer, ctx->fallback answers when set,
 * else a JSON 504 (timeout) or 503 (nobody serves the subject). */
void forward_rpc(request_ctx *ctx, const char *body, size_t body_len);

#endif
