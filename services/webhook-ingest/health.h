/*
 * health: the check behind rpc.ingest.health — can this replica reach
 * PostgreSQL? It has its own connection (vx_pg is single-threaded and the
 * health responder runs on its own NATS thread) and asks "SELECT 1".
 */
#ifndef INGEST_HEALTH_H
#define INGEST_HEALTH_H

#include <stdbool.h>

typedef struct ingest_health ingest_health;

/* Never NULL; connects lazily. */
ingest_health *ingest_health_create(const char *database_url);
void ingest_health_destroy(ingest_health *h);

/* A vx_health_check: state is an ingest_health. On failure *detail is a
 * static, secret-free reason. */
bool ingest_health_check(void *state, const char **detail);

#endif
