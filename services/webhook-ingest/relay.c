/*
 * relay: the outbox relay thread (see relay.h).
 */
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>

#include "ingest_store.h"
#include "vx_log.h"
#include "vx_periodic.h"
#include "vx_pg.h"
#include "vx_work.h"

#define RELAY_EVERY_MS     10000L
#define RELAY_GRACE_MS     30000L /* a worker publishes within milliseconds of its commit */
#define RELAY_MAX_ORGS     100
#define RELAY_JOBS_PER_ORG 100

struct ingest_relay {
    vx_pg *pg; /* used by the thread only */
    jsCtx *js;
    vx_periodic *runner;
};

/* Publishes one org's pending jobs; how many, or -1 when the database failed. */
static int relay_org(ingest_relay *r, vx_periodic *self, const char *org)
{
    ingest_pending_job *jobs;
    int n;
    if (ingest_store_pending_jobs(r->pg, org, RELAY_JOBS_PER_ORG, &jobs, &n) != INGEST_STORE_OK)
        return -1;
    int done = 0;
    for (int i = 0; i < n && !vx_periodic_stopping(self); i++) {
        if (vx_work_publish(r->js, jobs[i].subject, jobs[i].job_key, NULL, jobs[i].payload, jobs[i].len) != 0)
            break; /* NATS is unwell: the next pass tries again */
        if (ingest_store_jobs_published(r->pg, org, &jobs[i].id, 1) != INGEST_STORE_OK)
            break;
        vx_log_info(NULL, org, "outbox job relayed", "job_id", jobs[i].job_key);
        done++;
    }
    ingest_pending_jobs_free(jobs, n);
    return done;
}

static long relay_pass(vx_periodic *self, void *arg)
{
    ingest_relay *r = arg;
    char **orgs;
    int n;
    if (vx_pg_ensure(r->pg) != 0 ||
        ingest_store_orgs_with_pending_jobs(r->pg, RELAY_GRACE_MS, RELAY_MAX_ORGS, &orgs, &n) != INGEST_STORE_OK) {
        vx_log_warn(NULL, NULL, "outbox relay: database unavailable, will retry", "error", vx_pg_error(r->pg));
        return RELAY_EVERY_MS;
    }
    for (int i = 0; i < n; i++) {
        if (!vx_periodic_stopping(self) && relay_org(r, self, orgs[i]) < 0)
            vx_log_warn(NULL, orgs[i], "outbox relay: reading jobs failed, will retry", "error", vx_pg_error(r->pg));
        free(orgs[i]);
    }
    free(orgs);
    return RELAY_EVERY_MS;
}

ingest_relay *ingest_relay_create(const char *database_url, jsCtx *js)
{
    ingest_relay *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->pg = vx_pg_create(database_url);
    if (!r->pg)
        abort();
    ingest_store_prepare(r->pg);
    r->js = js;
    r->runner = vx_periodic_create("outbox relay", relay_pass, r);
    return r;
}

int ingest_relay_start(ingest_relay *r)
{
    return vx_periodic_start(r->runner);
}

void ingest_relay_stop(ingest_relay *r)
{
    if (r)
        vx_periodic_stop(r->runner);
}

void ingest_relay_destroy(ingest_relay *r)
{
    if (!r)
        return;
    vx_periodic_destroy(r->runner);
    vx_pg_destroy(r->pg);
    free(r);
}
