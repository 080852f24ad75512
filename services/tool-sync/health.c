/*
 * health: PostgreSQL reachability for rpc.tool-sync.health (see health.h).
 */
#include "health.h"

#include <stdlib.h>

#include "vx_pg.h"

#define STMT_PING "tsync_health_ping"

struct tsync_health {
    vx_pg *pg;
};

tsync_health *tsync_health_create(const char *database_url)
{
    tsync_health *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->pg = vx_pg_create(database_url);
    if (!h->pg)
        abort();
    vx_pg_prepare(h->pg, STMT_PING, "SELECT 1");
    return h;
}

void tsync_health_destroy(tsync_health *h)
{
    if (!h)
        return;
    vx_pg_destroy(h->pg);
    free(h);
}

bool tsync_health_check(void *state, const char **detail)
{
    tsync_health *h = state;
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
