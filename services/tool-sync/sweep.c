/*
 * sweep: the periodic pass over orgs left behind (see sweep.h).
 */
#include "sweep.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "sync.h"
#include "vx_log.h"
#include "vx_periodic.h"
#include "vx_pg.h"

#define SWEEP_MAX_ORGS   100
#define SWEEP_AGAIN_MS   200L
#define SWEEP_DB_DOWN_MS 5000L

struct tsync_sweep {
    const tsync_settings *cfg;
    atomic_bool stop;
    vx_pg *pg;
    tsync_sync *sync;
    vx_periodic *runner;
};

static long sweep_pass(vx_periodic *self, void *arg)
{
    tsync_sweep *w = arg;
    long every = w->cfg->sweep_interval_s * 1000L;
    char **orgs = NULL;
    int n = 0;
    if (tsync_store_orgs_to_sweep(w->pg, SWEEP_MAX_ORGS, &orgs, &n) != TSYNC_STORE_OK)
        return SWEEP_DB_DOWN_MS < every ? SWEEP_DB_DOWN_MS : every;
    bool vapi_failing = false;
    int synced = 0;
    for (int i = 0; i < n; i++) {
        if (!vapi_failing && !vx_periodic_stopping(self)) {
            tsync_outcome out = tsync_sync_org(w->sync, orgs[i], 0, NULL);
            synced += out == TSYNC_DONE;
            vapi_failing = out == TSYNC_FAILED || out == TSYNC_RETRY;
        }
        free(orgs[i]);
    }
    free(orgs);
    if (n > 0) {
        char found[16], done[16];
        snprintf(found, sizeof found, "%d", n);
        snprintf(done, sizeof done, "%d", synced);
        vx_log_info(NULL, NULL, "sweep pass", "orgs", found, "synced", done);
    }
    return (n >= SWEEP_MAX_ORGS && !vapi_failing) ? SWEEP_AGAIN_MS : every;
}

tsync_sweep *tsync_sweep_create(const tsync_settings *settings)
{
    tsync_sweep *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->cfg = settings;
    atomic_init(&w->stop, false);
    w->pg = vx_pg_create(settings->database_url);
    if (!w->pg)
        abort();
    tsync_store_prepare(w->pg);
    w->sync = tsync_sync_create(settings, &w->stop, NULL, NULL);
    w->runner = vx_periodic_create("tool-sync sweep", sweep_pass, w);
    return w;
}

int tsync_sweep_start(tsync_sweep *w)
{
    return vx_periodic_start(w->runner);
}

void tsync_sweep_wake(void *sweep)
{
    tsync_sweep *w = sweep;
    if (w)
        vx_periodic_wake(w->runner);
}

void tsync_sweep_stop(tsync_sweep *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true); /* a sync in hand ends at its next retry wait */
    vx_periodic_stop(w->runner);
}

void tsync_sweep_destroy(tsync_sweep *w)
{
    if (!w)
        return;
    tsync_sweep_stop(w);
    vx_periodic_destroy(w->runner);
    tsync_sync_destroy(w->sync);
    vx_pg_destroy(w->pg);
    free(w);
}
