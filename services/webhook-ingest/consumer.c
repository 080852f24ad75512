/*
 * consumer: durable pull consumer setup and the worker loop (see consumer.h).
 *
 * The durable is created (or updated) explicitly with js_AddConsumer and the
 * workers bind to it, so unsubscribing or a replica going away can never
 * delete it. Workers do not fetch while their database connection is down:
 * the messages stay in the stream instead of cycling through redeliveries.
 * Shutdown is cooperative: a flag checked between messages and after each
 * fetch, whose 500 ms timeout bounds how long stopping takes.
 */
#include "consumer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "process.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"

#define FILTER             VX_SUBJECT_VAPI_PREFIX ">"
#define FETCH_TIMEOUT_MS   500
#define ACK_WAIT_NS        (INT64_C(30) * 1000 * 1000 * 1000)
#define MAX_ACK_PENDING    1000
#define RETRY_MIN_MS       1000
#define RETRY_MAX_MS       10000
#define IDLE_SLEEP_MS      250
#define ERROR_LOG_EVERY_MS 30000

typedef struct worker {
    struct ingest_consumer *owner;
    pthread_t thread;
    bool started;
    natsSubscription *sub;
    ingest_processor *proc;
    int failures;         /* consecutive RETRY verdicts, for the nak delay */
    int64_t last_err_log; /* rate limit for fetch/database errors */
    bool db_down;
} worker;

struct ingest_consumer {
    atomic_bool stop;
    jsCtx *js; /* not owned */
    int batch;
    int nworkers;
    worker *workers;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Creates the durable consumer, or updates it to our settings. */
static int ensure_durable(jsCtx *js)
{
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = INGEST_DURABLE;
    cc.FilterSubject = FILTER;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = ACK_WAIT_NS;
    cc.MaxDeliver = -1;
    cc.MaxAckPending = MAX_ACK_PENDING;

    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddConsumer(&ci, js, VX_STREAM_VAPI, &cc, NULL, &jerr);
    if (s != NATS_OK) {
        jsErrCode add_err = jerr;
        jerr = 0;
        s = js_UpdateConsumer(&ci, js, VX_STREAM_VAPI, &cc, NULL, &jerr);
        if (s != NATS_OK) {
            char codes[48];
            snprintf(codes, sizeof codes, "%d/%d", (int)add_err, (int)jerr);
            vx_log_error(NULL, NULL, "cannot create or update the durable consumer", "consumer", INGEST_DURABLE, "error",
                         natsStatus_GetText(s), "js_err", codes);
            return -1;
        }
    }
    jsConsumerInfo_Destroy(ci);
    return 0;
}

static int subscribe(jsCtx *js, natsSubscription **sub)
{
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = VX_STREAM_VAPI;
    so.Consumer = INGEST_DURABLE;
    jsErrCode jerr = 0;
    natsStatus s = js_PullSubscribe(sub, js, FILTER, INGEST_DURABLE, NULL, &so, &jerr);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot bind to the durable consumer", "consumer", INGEST_DURABLE, "error", natsStatus_GetText(s),
                     "detail", nats_GetLastError(NULL));
        return -1;
    }
    return 0;
}

/* Logs at most every ERROR_LOG_EVERY_MS per worker. */
static bool may_log(worker *w)
{
    int64_t now = vx_monotonic_us() / 1000;
    if (w->last_err_log && now - w->last_err_log < ERROR_LOG_EVERY_MS)
        return false;
    w->last_err_log = now;
    return true;
}

static void settle(worker *w, natsMsg *msg)
{
    ingest_verdict v = ingest_process(w->proc, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
    natsStatus s;
    switch (v) {
    case INGEST_VERDICT_ACK:
        w->failures = 0;
        s = natsMsg_Ack(msg, NULL);
        break;
    case INGEST_VERDICT_RETRY: {
        int shift = w->failures < 4 ? w->failures : 4;
        int64_t delay = (int64_t)RETRY_MIN_MS << shift;
        w->failures++;
        s = natsMsg_NakWithDelay(msg, delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS, NULL);
        break;
    }
    default:
        s = natsMsg_Term(msg, NULL);
        break;
    }
    if (s != NATS_OK) /* redelivered after AckWait; harmless, writes are idempotent */
        vx_log_warn(NULL, NULL, "could not settle message", "error", natsStatus_GetText(s));
}

/* Returns false (after pausing) when the database is down: do not fetch then. */
static bool db_gate(worker *w)
{
    bool up = ingest_processor_db_ready(w->proc);
    if (up != !w->db_down) {
        w->db_down = !up;
        if (up)
            vx_log_info(NULL, NULL, "database reachable, fetching again");
        else
            vx_log_warn(NULL, NULL, "database unreachable, pausing fetch");
    }
    if (!up)
        sleep_ms(IDLE_SLEEP_MS);
    return up;
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    ingest_consumer *c = w->owner;
    while (!atomic_load(&c->stop)) {
        if (!db_gate(w))
            continue;
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, w->sub, c->batch, FETCH_TIMEOUT_MS, &jerr);
        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK) {
            if (may_log(w))
                vx_log_warn(NULL, NULL, "fetch failed", "error", natsStatus_GetText(s));
            natsMsgList_Destroy(&list);
            sleep_ms(IDLE_SLEEP_MS);
            continue;
        }
        for (int i = 0; i < list.Count; i++) {
            if (atomic_load(&c->stop))
                natsMsg_Nak(list.Msgs[i], NULL); /* not started: let another worker have it now */
            else
                settle(w, list.Msgs[i]);
        }
        natsMsgList_Destroy(&list);
    }
    return NULL;
}

ingest_consumer *ingest_consumer_create(const ingest_consumer_config *cfg)
{
    ingest_consumer *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    atomic_init(&c->stop, false);
    c->js = cfg->js;
    c->batch = cfg->batch;
    c->nworkers = cfg->workers;
    c->workers = calloc((size_t)cfg->workers, sizeof *c->workers);
    if (!c->workers)
        abort();
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        w->owner = c;
        w->proc = ingest_processor_create(cfg->database_url, cfg->orgs_changed);
    }
    return c;
}

int ingest_consumer_start(ingest_consumer *c)
{
    if (ensure_durable(c->js) != 0)
        return -1;
    for (int i = 0; i < c->nworkers; i++)
        if (c->workers[i].sub == NULL && subscribe(c->js, &c->workers[i].sub) != 0)
            return -1;
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        if (w->started)
            continue;
        if (pthread_create(&w->thread, NULL, worker_run, w) != 0) {
            vx_log_error(NULL, NULL, "cannot start worker thread");
            return -1;
        }
        w->started = true;
    }
    char n[16];
    snprintf(n, sizeof n, "%d", c->nworkers);
    vx_log_info(NULL, NULL, "consuming Vapi messages", "consumer", INGEST_DURABLE, "workers", n);
    return 0;
}

void ingest_consumer_stop(ingest_consumer *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        if (w->started) {
            pthread_join(w->thread, NULL);
            w->started = false;
        }
    }
}

void ingest_consumer_destroy(ingest_consumer *c)
{
    if (!c)
        return;
    ingest_consumer_stop(c);
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        /* Destroy only: the durable outlives us (we bound to it, never created it here). */
        natsSubscription_Destroy(w->sub);
        ingest_processor_destroy(w->proc);
    }
    free(c->workers);
    free(c);
}
