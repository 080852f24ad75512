/*
 * health: PostgreSQL reachability for rpc.ingest.health (see health.h).
 * vx_pg_ensure's backoff keeps a flood of health requests during an outage
 * from turning into a flood of connection attempts.
 */
#include "health.h"

#include <stdlib.h>

#include "vx_pg.h"

#define STMT_PING "ingest_health_ping"

struct ingest_health {
    vx_pg *pg;
};

ingest_health *ingest_health_create(const char *database_url)
{
    ingest_health *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->pg = vx_pg_create(database_url);
    if (!h->pg)
        abort();
    vx_pg_prepare(h->pg, STMT_PING, "SELECT 1");
    return h;
}

void ingest_health_destroy(ingest_health *h)
{
    if (!h)
        return;
    vx_pg_destroy(h->pg);
    free(h);
}

bool ingest_health_check(void *state, const char **detail)
{
    ingest_health *h = state;
    if (vx_pg_ensure(h->pg) != 0) {
        *detail = "database unreachable";
        return false;
    }
    PGresult *res = vx_pg_exec(h->pg, STMT_PING, 0, NULL);
    if (!res) {
        *detail = "database query failed";
        return false;
    }
    PQclear(res);
    return true;
}
