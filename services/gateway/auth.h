/*
 * auth: who is calling, decided at the edge before anything else runs.
 *
 * Vapi authenticates in any of the three ways an assistant can be configured:
 * the legacy shared secret header (x-vapi-secret), a bearer token carrying the
 * same secret, or the HMAC credential (x-signature = hex HMAC-SHA256 of
 * "{x-timestamp}.{raw body}" within a replay window). Dashboard users present
 * an HS256 JWT whose app_metadata.org_id names their organization.
 */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_jwt.h"

typedef struct auth_config {
    const char *vapi_secret;      /* shared secret; may be NULL when only HMAC is used */
    const char *vapi_hmac_secret; /* HMAC key; NULL disables the HMAC method */
    int64_t hmac_window_s;        /* accepted clock skew for x-timestamp */
    const char *jwt_secret;
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

/* True when any configured method accepts the request. now is unix seconds. */
bool auth_vapi(const auth_config *cfg, const auth_vapi_headers *h, const char *body, size_t body_len, int64_t now);

/* Verifies "Bearer <jwt>" from the Authorization header value. */
vx_jwt_status auth_dashboard(const auth_config *cfg, auth_slice authorization, int64_t now, vx_jwt_claims *claims);

#endif
