/*
 * health: rpc.tool-sync.health (vx_rpc_serve_health): healthy when
 * PostgreSQL answers. Vapi is not checked: a sync waits for it, nothing
 * else does. (The gateway's /ready does not poll tool-sync: the suite
 * serves, and saves are answered, without it — SPEC hard rule 10.)
 */
#ifndef TSYNC_HEALTH_H
#define TSYNC_HEALTH_H

#include <stdbool.h>

typedef struct tsync_health tsync_health;

tsync_health *tsync_health_create(const char *database_url);
void tsync_health_destroy(tsync_health *h);
/* A vx_health_check: state is a tsync_health. */
bool tsync_health_check(void *state, const char **detail);

#endif
