/*
 * vx_pg_health: a service's health answer when what it needs is PostgreSQL
 * (rpc.<service>.health through vx_rpc_serve_health): healthy when the
 * database answers a query. Its own connection, so a health request never
 * waits behind a worker's transaction; vx_pg_ensure's backoff keeps a flood
 * of health requests during an outage from becoming a flood of connection
 * attempts.
 */
#ifndef VX_PG_HEALTH_H
#define VX_PG_HEALTH_H

#include <stdbool.h>

typedef struct vx_pg_health vx_pg_health;

/* Connects lazily (vx_pg). The caller owns it (vx_pg_health_destroy). */
vx_pg_health *vx_pg_health_create(const char *database_url);
void vx_pg_health_destroy(vx_pg_health *h); /* NULL: nothing */
/* A vx_health_check: state is a vx_pg_health. Used by one thread at a time
 * (the health subscription's). */
bool vx_pg_health_check(void *state, const char **detail);

#endif
