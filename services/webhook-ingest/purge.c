/*
 * purge: the retention thread of parked messages (see purge.h).
 *
 * The thread sleeps on a condition variable (CLOCK_MONOTONIC), so stopping
 * wakes it at once instead of waiting out the hour. One pass deletes in
 * batches of PURGE_BATCH rows, each its own statement (and transaction), so
 * a large backlog never holds many locks for long, and checks for a stop
 * between batches.
 */
#include "purge.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest_store.h"
#include "vx_log.h"
#include "vx_pg.h"

#define PURGE_EVERY_S     3600
#define PURGE_RETRY_S     60
#define PURGE_BATCH       1000
#define PURGE_MAX_BATCHES 1000 /* per pass: the next pass takes the rest */

struct ingest_purge {
    vx_pg *pg; /* used by the thread only */
    long keep_days;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* under lock */
};

ingest_purge *ingest_purge_create(const char *database_url, long keep_days)
{
    ingest_purge *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->pg = vx_pg_create(database_url);
    ingest_store_prepare(p->pg);
    p->keep_days = keep_days;
    pthread_condattr_t attr;
    if (pthread_mutex_init(&p->lock, NULL) != 0 || pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&p->wake, &attr) != 0)
        abort();
    pthread_condattr_destroy(&attr);
    return p;
}

static bool stopping(ingest_purge *p)
{
    pthread_mutex_lock(&p->lock);
    bool s = p->stopping;
    pthread_mutex_unlock(&p->lock);
    return s;
}

/* One pass: batches until fewer than a batch are left. false when it failed (logged). */
static bool purge_pass(ingest_purge *p)
{
    long total = 0, deleted = PURGE_BATCH;
    for (int i = 0; i < PURGE_MAX_BATCHES && deleted == PURGE_BATCH && !stopping(p); i++) {
        if (ingest_store_purge_parked(p->pg, p->keep_days, PURGE_BATCH, &deleted) != INGEST_STORE_OK) {
            vx_log_warn(NULL, NULL, "purging parked messages failed, will retry", "error", vx_pg_error(p->pg));
            return false;
        }
        total += deleted;
    }
    char n[24], days[24];
    snprintf(n, sizeof n, "%ld", total);
    snprintf(days, sizeof days, "%ld", p->keep_days);
    if (total > 0)
        vx_log_info(NULL, NULL, "parked messages purged", "deleted", n, "retention_days", days);
    else
        vx_log_debug(NULL, NULL, "no parked messages to purge", "retention_days", days);
    return true;
}

static void *purge_main(void *arg)
{
    ingest_purge *p = arg;
    while (!stopping(p)) {
        long wait_s = purge_pass(p) ? PURGE_EVERY_S : PURGE_RETRY_S;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_s;
        pthread_mutex_lock(&p->lock);
        while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
            ;
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int ingest_purge_start(ingest_purge *p)
{
    int rc = pthread_create(&p->thread, NULL, purge_main, p);
    if (rc != 0) {
        vx_log_error(NULL, NULL, "cannot start the parked-message purge thread", "error", strerror(rc));
        return -1;
    }
    p->started = true;
    return 0;
}

void ingest_purge_stop(ingest_purge *p)
{
    if (!p || !p->started)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->started = false;
}

void ingest_purge_destroy(ingest_purge *p)
{
    if (!p)
        return;
    ingest_purge_stop(p);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    vx_pg_destroy(p->pg);
    free(p);
}
