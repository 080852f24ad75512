/*
 * vx_pg_health: one query on its own connection (see vx_pg_health.h).
 */
#include "vx_pg_health.h"

#include <stdlib.h>

#include "vx_pg.h"

#define STMT_PING "vx_health_ping"

struct vx_pg_health {
    vx_pg *pg;
};

vx_pg_health *vx_pg_health_create(const char *database_url)
{
    vx_pg_health *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->pg = vx_pg_create(database_url);
    if (!h->pg)
        abort();
    vx_pg_prepare(h->pg, STMT_PING, "SELECT 1");
    return h;
}

void vx_pg_health_destroy(vx_pg_health *h)
{
    if (!h)
        return;
    vx_pg_destroy(h->pg);
    free(h);
}

bool vx_pg_health_check(void *state, const char **detail)
{
    vx_pg_health *h = state;
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
