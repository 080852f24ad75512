/*
 * router: which dashboard handler answers which gateway route. Each worker
 * owns one PostgreSQL connection and serves rpc.dashboard.> in queue group
 * "dashboard", so replicas and workers share the load; rpc.dashboard.health
 * is answered by a worker too, from its own connection.
 */
#ifndef DASHBOARD_ROUTER_H
#define DASHBOARD_ROUTER_H

#include <nats/nats.h>

#include "vx_rpc.h"

/* One worker: a PostgreSQL connection and a subscription. Opaque. */
typedef struct dashboard_worker dashboard_worker;

/* Checks the handler table against the suite's routes (vx_routes_check_service):
 * 0 when every dashboard route has a handler and every handler a route, else
 * -1 with each mismatch logged. main refuses to start on -1. */
int dashboard_check_routes(void);
/* Creates a worker: its database handle (connected lazily) with every
 * statement registered. Starts nothing. The caller owns it (dashboard_worker_destroy). */
dashboard_worker *dashboard_worker_create(const char *database_url);
/* Subscribes the worker on nc (shared by the workers; requests are delivered
 * on the subscription's own thread). Returns 0 or -1 (logged). */
int dashboard_worker_start(dashboard_worker *w, natsConnection *nc);
/* Drains and ends the worker's subscription (vx_served_sub): requests in
 * hand are answered, no new ones come; at once when NATS is away. Frees
 * nothing; a second call is a no-op. */
void dashboard_worker_stop(dashboard_worker *w);
/* Stops the worker if it serves, then frees it. NULL: nothing. */
void dashboard_worker_destroy(dashboard_worker *w);

#endif
