/*
 * stats_fold: see stats_fold.h.
 */
#include "stats_fold.h"

#include <stdio.h>
#include <stdlib.h>

#include "vx_log.h"
#include "vx_periodic.h"
#include "vx_pg.h"

#define STMT_FOLD "stats_fold"

struct stats_fold {
    vx_pg *pg;
    vx_periodic *runner;
};

static long fold_pass(vx_periodic *self, void *arg)
{
    stats_fold *f = arg;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", STATS_FOLD_BATCH);
    const char *params[1] = {limit};
    while (!vx_periodic_stopping(self)) {
        PGresult *res = vx_pg_exec(f->pg, STMT_FOLD, 1, params);
        if (res == NULL) {
            vx_log_warn(NULL, NULL, "calls stats not folded; the stats stay exact, read from the deltas", "sqlstate",
                        vx_pg_sqlstate(f->pg), "error", vx_pg_error(f->pg));
            return 5 * STATS_FOLD_INTERVAL_MS;
        }
        long folded = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        if (folded < STATS_FOLD_BATCH)
            break;
    }
    return STATS_FOLD_INTERVAL_MS;
}

stats_fold *stats_fold_create(const char *database_url)
{
    stats_fold *f = calloc(1, sizeof(*f));
    if (f == NULL)
        abort();
    f->pg = vx_pg_create(database_url);
    vx_pg_prepare(f->pg, STMT_FOLD, "SELECT call_stats_fold($1::int)");
    f->runner = vx_periodic_create("calls stats fold", fold_pass, f);
    return f;
}

int stats_fold_start(stats_fold *f)
{
    return vx_periodic_start(f->runner);
}

void stats_fold_stop(stats_fold *f)
{
    if (f != NULL)
        vx_periodic_stop(f->runner);
}

void stats_fold_destroy(stats_fold *f)
{
    if (f == NULL)
        return;
    vx_periodic_destroy(f->runner);
    vx_pg_destroy(f->pg);
    free(f);
}
