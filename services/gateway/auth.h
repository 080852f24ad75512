/*
 * auth: who is calling, decided at the edge before anything else runs.
 *
 * Vapi authenticates with the one method configured for it:
 *   - with VAPI_WEBHOOK_HMAC_SECRET set, only the HMAC credential
 *     (x-signature = hex HMAC-SHA256 of "{x-timestamp}.{raw body}", the
 *     timestamp within the window, each signature used once: see vx_replay.h).
 *     The shared secret is then refused even when VAPI_WEBHOOK_SECRET is set
 *     too: a static secret travels with every request and authenticates any
 *     body forever, so keeping it would leave the weaker method open beside
 *     the stronger one;
 *   - else the shared secret, as the legacy header (x-vapi-secret) or a
 *     bearer token.
 * Dashboard users present an HS256 JWT (vx_jwt_policy: audience, issuer,
 * lifetime) whose app_metadata.org_id names their organization. Operators
 * (metrics, readiness details) present METRICS_TOKEN as a bearer token.
 */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_replay.h"
#include "vx_jwt.h"

typedef struct auth_config {
    const char *vapi_secret;      /* shared secret; ignored when vapi_hmac_secret is set */
    const char *vapi_hmac_secret; /* HMAC key; when set, the only Vapi method */
    int64_t hmac_window_s;        /* accepted clock skew for x-timestamp */
    vx_replay *replay;            /* signatures already used; NULL: no replay check (the gateway always sets one) */
    vx_jwt_policy jwt;            /* dashboard tokens */
    const char *metrics_token;    /* operator bearer token; NULL: operator routes are disabled */
} auth_config;

/* A header value as h2o hands it over: not NUL-terminated. */
typedef struct auth_slice {
    const char *base;
    size_t len;
} auth_slice;

typedef struct auth_vapi_headers {
    auth_slice secret;        /* x-vapi-secret */
    auth_slice authorization; /* Authorization */
    auth_slice signature;     /* x-signature */
    auth_slice timestamp;     /* x-timestamp */
} auth_vapi_headers;

typedef enum {
    AUTH_OK = 0,
    AUTH_DENIED = 1,   /* missing or wrong credentials */
    AUTH_REPLAY = 2,   /* a right HMAC signature that was already used (or too old for the replay cache to tell) */
    AUTH_DISABLED = 3, /* the route's method is not configured (operator routes without METRICS_TOKEN) */
} auth_status;

/* Whether the configured Vapi method accepts the request. now is unix seconds.
 * An accepted HMAC signature is remembered in cfg->replay. */
auth_status auth_vapi(const auth_config *cfg, const auth_vapi_headers *h, const char *body, size_t body_len, int64_t now);

/* Verifies "Bearer <jwt>" from the Authorization header value against cfg->jwt. */
vx_jwt_status auth_dashboard(const auth_config *cfg, auth_slice authorization, int64_t now, vx_jwt_claims *claims);

/* "Bearer <METRICS_TOKEN>" from the Authorization header value: AUTH_OK,
 * AUTH_DENIED, or AUTH_DISABLED when no token is configured. */
auth_status auth_operator(const auth_config *cfg, auth_slice authorization);

#endif
