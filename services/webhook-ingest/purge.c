/*
 * purge: the retention thread of parked messages (see purge.h).
 *
 * A vx_periodic thread, so stopping wakes it at once instead of waiting out
 * the hour. Besides parked messages it purges webhook-ingest's bookkeeping:
 * published outbox jobs and the keys of counted messages, after 30 days
 * (purge_ingest_bookkeeping, migrations/0009). One pass deletes in
 * batches of PURGE_BATCH rows, each its own statement (and transaction), so
 * a large backlog never holds many locks for long, and checks for a stop
 * between batches.
 */
#include "purge.h"

#include <stdio.h>
#include <stdlib.h>

#include "ingest_store.h"
#include "vx_log.h"
#include "vx_periodic.h"
#include "vx_pg.h"

#define PURGE_EVERY_MS    (3600 * 1000L)
#define PURGE_RETRY_MS    (60 * 1000L)
#define PURGE_BATCH       1000
#define PURGE_MAX_BATCHES 1000 /* per pass: the next pass takes the rest */
/* Published jobs and counted-message keys guard against late redeliveries;
 * a month is far beyond any (the VAPI stream keeps messages a week). */
#define BOOKKEEPING_KEEP_DAYS 30

struct ingest_purge {
    vx_pg *pg; /* used by the thread only */
    long keep_days;
    vx_periodic *runner;
};

typedef ingest_store_result (*purge_fn)(vx_pg *pg, long keep_days, long max_rows, long *deleted);

/* Batches of one purge until fewer than a batch are left. false when it failed (logged). */
static bool purge_all(ingest_purge *p, vx_periodic *self, purge_fn fn, const char *what, long keep_days)
{
    long total = 0, deleted = PURGE_BATCH;
    for (int i = 0; i < PURGE_MAX_BATCHES && deleted >= PURGE_BATCH && !vx_periodic_stopping(self); i++) {
        if (fn(p->pg, keep_days, PURGE_BATCH, &deleted) != INGEST_STORE_OK) {
            vx_log_warn(NULL, NULL, "purge failed, will retry", "what", what, "error", vx_pg_error(p->pg));
            return false;
        }
        total += deleted;
    }
    char n[24], days[24];
    snprintf(n, sizeof n, "%ld", total);
    snprintf(days, sizeof days, "%ld", keep_days);
    if (total > 0)
        vx_log_info(NULL, NULL, "purged", "what", what, "deleted", n, "retention_days", days);
    else
        vx_log_debug(NULL, NULL, "nothing to purge", "what", what, "retention_days", days);
    return true;
}

static long purge_pass(vx_periodic *self, void *arg)
{
    ingest_purge *p = arg;
    bool ok = purge_all(p, self, ingest_store_purge_parked, "parked messages", p->keep_days);
    ok = purge_all(p, self, ingest_store_purge_jobs, "published jobs and counted messages", BOOKKEEPING_KEEP_DAYS) && ok;
    return ok ? PURGE_EVERY_MS : PURGE_RETRY_MS;
}

ingest_purge *ingest_purge_create(const char *database_url, long keep_days)
{
    ingest_purge *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->pg = vx_pg_create(database_url);
    ingest_store_prepare(p->pg);
    p->keep_days = keep_days;
    p->runner = vx_periodic_create("purge", purge_pass, p);
    return p;
}

int ingest_purge_start(ingest_purge *p)
{
    return vx_periodic_start(p->runner);
}

void ingest_purge_stop(ingest_purge *p)
{
    if (p)
        vx_periodic_stop(p->runner);
}

void ingest_purge_destroy(ingest_purge *p)
{
    if (!p)
        return;
    vx_periodic_destroy(p->runner);
    vx_pg_destroy(p->pg);
    free(p);
}
