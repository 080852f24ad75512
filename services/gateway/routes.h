/*
 * routes: the gateway's route table — one row per route: method, path
 * pattern, how the caller authenticates, and where the request goes.
 *
 * Later services add routes by adding rows to the table in routes.c; the
 * gateway's code does not change.
 */
#ifndef GATEWAY_ROUTES_H
#define GATEWAY_ROUTES_H

#include <stddef.h>

typedef enum {
    AUTH_NONE,      /* health, readiness, metrics */
    AUTH_VAPI,      /* x-vapi-secret, bearer secret, or HMAC signature */
    AUTH_DASHBOARD, /* Authorization: Bearer <HS256 JWT> with app_metadata.org_id */
} route_auth;

typedef enum {
    TARGET_RPC,          /* request/reply on subject with a GatewayRequest */
    TARGET_VAPI_WEBHOOK, /* call-time messages to rpc.tools.call, the rest to JetStream */
    TARGET_VAPI_TOOL,    /* one tool's own URL: to rpc.tools.call, sayable fallback in both formats */
    TARGET_HEALTH,
    TARGET_READY,
    TARGET_METRICS,
} route_target;

typedef struct route {
    const char *name;    /* stable label for logs, metrics and GatewayRequest.route */
    const char *method;  /* "GET", "POST", … */
    const char *pattern; /* "/api/calls/{id:uuid}"; {name} matches one segment, {name:uuid} a UUID */
    route_auth auth;
    route_target target;
    const char *subject; /* for TARGET_RPC */
} route;

#define ROUTE_MAX_PARAMS 4

typedef struct route_param {
    const char *name;
    size_t name_len;
    const char *value; /* points into the request path */
    size_t value_len;
} route_param;

typedef enum {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,
    ROUTE_METHOD_NOT_ALLOWED,
    ROUTE_BAD_PARAM, /* the path matched but a typed parameter (uuid) is malformed */
} route_match_status;

typedef struct route_match {
    const route *route;
    route_param params[ROUTE_MAX_PARAMS];
    size_t nparams;
    const char *bad_param; /* for ROUTE_BAD_PARAM: the parameter's name (points into the pattern) */
    size_t bad_param_len;
} route_match;

/* The route table and its size. */
const route *routes_table(size_t *count);
/* Matches method and path (without query) against table. */
route_match_status routes_match(const route *table, size_t count, const char *method, size_t method_len, const char *path,
                                size_t path_len, route_match *out);

#endif
