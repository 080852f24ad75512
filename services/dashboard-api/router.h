/*
 * router: which dashboard handler answers which gateway route. Each worker
 * owns one PostgreSQL connection and serves rpc.dashboard.> in queue group
 * "dashboard", so replicas and workers share the load; rpc.dashboard.health
 * is answered by a worker too, from its own connection.
 */
#ifndef DASHBOARD_ROUTER_H
#define DASHBOARD_ROUTER_H

#include <nats/nats.h>

#include "vx_pg.h"
#include "vx_rpc.h"

typedef struct dashboard_worker {
    vx_pg *pg;
    natsSubscription *sub;
} dashboard_worker;

/* Checks the handler table against the suite's routes (vx_routes_check_service):
 * 0 when every dashboard route has a handler and every handler a route, else
 * -1 with each mismatch logged. main refuses to start on -1. */
int dashboard_check_routes(void);
/* Connects nothing yet: creates the worker's database handle and registers statements. */
void dashboard_worker_init(dashboard_worker *w, const char *database_url);
/* Subscribes the worker. Returns 0 or -1. */
int dashboard_worker_start(dashboard_worker *w, natsConnection *nc);
/* Drains and ends the worker's subscription (requests in hand are answered).
 * Frees nothing else; a second call is a no-op. */
void dashboard_worker_stop(dashboard_worker *w);
/* Stops the worker if it serves, then frees its database handle. */
void dashboard_worker_destroy(dashboard_worker *w);

#endif
