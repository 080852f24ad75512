/*
 * routes: the dashboard's /api/integrations routes, served by the vault
 * because only it may hold the secrets they carry (libcommon/vx_routes.c:
 * rpc.integrations.*). Each worker is one vx_rpc_serve subscription in queue
 * group "integrations" with its own vx_pg; its table says which roles each
 * route admits, and every route but Google's callback passes
 * libcommon/vx_access.h first (the callback is authenticated by its signed
 * state instead: there is no dashboard token on a redirect from Google).
 *
 * No answer of these routes ever holds a secret: they return metadata,
 * each setup step's outcome, Google's consent URL, or a redirect.
 */
#ifndef VAULT_INTEGRATIONS_ROUTES_H
#define VAULT_INTEGRATIONS_ROUTES_H

#include <nats/nats.h>

#include "credentials.h"
#include "vx_rpc.h"

typedef struct routes_worker routes_worker;

/* What a handler works with: the vault and the worker's own database handle. */
typedef struct route_ctx {
    const vault_ctx *v;
    vx_pg *pg;
} route_ctx;

/* Checks the handler table against the suite's routes; -1 (logged) when they disagree. */
int routes_check(void);
routes_worker *routes_worker_create(const vault_ctx *v);
int routes_worker_start(routes_worker *w, natsConnection *nc);
void routes_worker_stop(routes_worker *w);
void routes_worker_destroy(routes_worker *w);

/* The handlers (one file each, or one per provider flow). */
void integrations_list(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void integrations_twilio_connect(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void integrations_twilio_delete(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void integrations_google_authorize(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void integrations_google_callback(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
/* Registers the statements the handlers use. */
void integrations_twilio_prepare(vx_pg *pg);

#endif
