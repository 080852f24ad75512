/*
 * consumer: the durable pull consumer and the worker loop (see consumer.h).
 *
 * The pull protocol is webhook-ingest's (services/webhook-ingest/consumer.c
 * says why it does not use natsSubscription_Fetch): a request on
 * $JS.API.CONSUMER.MSG.NEXT.WORK.tool-sync for one job, answered on the
 * worker's own inbox; the job is settled by answering its reply subject.
 */
#include "consumer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "voxanne/v1/work.pb-c.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"
#include "vx_validate.h"
#include "vx_work.h"

#define FILTER           VX_WORK_SUBJECT_PREFIX "tool-sync.>"
#define PULL_SUBJECT     "$JS.API.CONSUMER.MSG.NEXT." VX_WORK_STREAM "." TSYNC_DURABLE
#define FETCH_TIMEOUT_MS 500
/* Longer than one sync can take: its Vapi calls, each with its timeout, and the retry waits. */
#define ACK_WAIT_NS        (INT64_C(300) * 1000 * 1000 * 1000)
#define MAX_ACK_PENDING    1000
#define BUSY_DELAY_MS      500
#define RETRY_MIN_MS       1000
#define RETRY_MAX_MS       10000
#define IDLE_SLEEP_MS      250
#define ERROR_LOG_EVERY_MS 30000

typedef struct worker {
    struct tsync_consumer *owner;
    pthread_t thread;
    bool started;
    natsSubscription *sub;
    char inbox[128];
    uint64_t pulls;
    tsync_sync *sync;
    int failures;
    int64_t last_err_log;
    bool db_down;
} worker;

struct tsync_consumer {
    atomic_bool stop;
    jsCtx *js;
    natsConnection *nc;
    int nworkers;
    worker *workers;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int ensure_durable(jsCtx *js)
{
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = TSYNC_DURABLE;
    cc.FilterSubject = FILTER;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = ACK_WAIT_NS;
    cc.MaxDeliver = -1;
    cc.MaxAckPending = MAX_ACK_PENDING;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddConsumer(&ci, js, VX_WORK_STREAM, &cc, NULL, &jerr);
    if (s != NATS_OK) {
        jsErrCode add_err = jerr;
        jerr = 0;
        s = js_UpdateConsumer(&ci, js, VX_WORK_STREAM, &cc, NULL, &jerr);
        if (s != NATS_OK) {
            char codes[48];
            snprintf(codes, sizeof codes, "%d/%d", (int)add_err, (int)jerr);
            vx_log_error(NULL, NULL, "cannot create or update the durable consumer", "consumer", TSYNC_DURABLE, "error",
                         natsStatus_GetText(s), "js_err", codes);
            return -1;
        }
    }
    jsConsumerInfo_Destroy(ci);
    return 0;
}

static bool may_log(worker *w)
{
    int64_t now = vx_monotonic_us() / 1000;
    if (w->last_err_log && now - w->last_err_log < ERROR_LOG_EVERY_MS)
        return false;
    w->last_err_log = now;
    return true;
}

static int subscribe(tsync_consumer *c, worker *w)
{
    if (vx_nats_new_inbox(w->inbox, sizeof(w->inbox)) != 0)
        return -1;
    char subject[160];
    snprintf(subject, sizeof(subject), "%s.*", w->inbox);
    natsStatus s = natsConnection_SubscribeSync(&w->sub, c->nc, subject);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot subscribe for pulled jobs", "error", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

static const char *pull_status(natsMsg *m)
{
    const char *status = NULL;
    if (natsMsg_GetDataLength(m) == 0 && natsMsgHeader_Get(m, "Status", &status) == NATS_OK)
        return status;
    return NULL;
}

/* One pull request for one job: the job (the caller settles and destroys it), or NULL. */
static natsMsg *pull_one(tsync_consumer *c, worker *w)
{
    char reply[160], body[96];
    snprintf(reply, sizeof(reply), "%s.%" PRIu64, w->inbox, ++w->pulls);
    snprintf(body, sizeof(body), "{\"batch\":1,\"expires\":%" PRId64 "}", (int64_t)(FETCH_TIMEOUT_MS - 50) * INT64_C(1000000));
    natsStatus s = natsConnection_PublishRequestString(c->nc, PULL_SUBJECT, reply, body);
    if (s != NATS_OK) {
        if (may_log(w))
            vx_log_warn(NULL, NULL, "pull request failed", "error", natsStatus_GetText(s));
        sleep_ms(IDLE_SLEEP_MS);
        return NULL;
    }
    int64_t deadline = vx_monotonic_us() / 1000 + FETCH_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - vx_monotonic_us() / 1000;
        natsMsg *m = NULL;
        if (left <= 0 || natsSubscription_NextMsg(&m, w->sub, left) != NATS_OK)
            return NULL;
        const char *status = pull_status(m);
        if (status == NULL)
            return m; /* a job (maybe a late answer to an earlier pull: ours all the same) */
        bool over = strcmp(natsMsg_GetSubject(m), reply) == 0 && strncmp(status, "100", 3) != 0;
        natsMsg_Destroy(m);
        if (over)
            return NULL;
    }
}

static void answer(worker *w, natsMsg *msg, const char *what)
{
    const char *to = natsMsg_GetReply(msg);
    natsStatus s = (to && to[0]) ? natsConnection_PublishString(w->owner->nc, to, what) : NATS_ILLEGAL_STATE;
    if (s != NATS_OK) /* redelivered after AckWait: a sync is idempotent */
        vx_log_warn(NULL, NULL, "could not settle job", "error", natsStatus_GetText(s));
}

static void nak_after(worker *w, natsMsg *msg, int64_t delay_ms)
{
    char nak[64];
    snprintf(nak, sizeof(nak), "-NAK {\"delay\":%" PRId64 "}", delay_ms * INT64_C(1000000));
    answer(w, msg, nak);
}

static void handle(worker *w, natsMsg *msg)
{
    Voxanne__V1__ToolSyncJob *job =
        voxanne__v1__tool_sync_job__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    if (!job || !job->org_id || !vx_is_uuid(job->org_id, strlen(job->org_id)) || job->version < 1) {
        vx_log_warn(NULL, NULL, "unreadable tool-sync job dropped");
        answer(w, msg, "+TERM");
        if (job)
            voxanne__v1__tool_sync_job__free_unpacked(job, NULL);
        return;
    }
    const char *rid = job->request_id && job->request_id[0] ? job->request_id : NULL;
    tsync_outcome out = tsync_sync_org(w->sync, job->org_id, (long long)job->version, rid);
    switch (out) {
    case TSYNC_DONE:
    case TSYNC_SKIPPED:
    case TSYNC_FAILED:
        w->failures = 0;
        answer(w, msg, "+ACK");
        break;
    case TSYNC_BUSY:
        nak_after(w, msg, BUSY_DELAY_MS);
        break;
    case TSYNC_STOPPED:
        answer(w, msg, "-NAK");
        break;
    default: {
        int shift = w->failures < 4 ? w->failures : 4;
        int64_t delay = (int64_t)RETRY_MIN_MS << shift;
        w->failures++;
        nak_after(w, msg, delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS);
        break;
    }
    }
    voxanne__v1__tool_sync_job__free_unpacked(job, NULL);
}

static bool db_gate(worker *w)
{
    bool up = tsync_sync_db_ready(w->sync);
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
    tsync_consumer *c = w->owner;
    while (!atomic_load(&c->stop)) {
        if (!db_gate(w))
            continue;
        natsMsg *m = pull_one(c, w);
        if (!m)
            continue;
        if (atomic_load(&c->stop))
            answer(w, m, "-NAK");
        else
            handle(w, m);
        natsMsg_Destroy(m);
    }
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, w->sub, 50) == NATS_OK) {
        if (pull_status(m) == NULL)
            answer(w, m, "-NAK");
        natsMsg_Destroy(m);
        m = NULL;
    }
    return NULL;
}

tsync_consumer *tsync_consumer_create(const tsync_consumer_config *cfg)
{
    tsync_consumer *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    atomic_init(&c->stop, false);
    c->js = cfg->js;
    c->nc = cfg->nc;
    c->nworkers = cfg->settings->workers;
    c->workers = calloc((size_t)c->nworkers, sizeof *c->workers);
    if (!c->workers)
        abort();
    for (int i = 0; i < c->nworkers; i++) {
        c->workers[i].owner = c;
        c->workers[i].sync = tsync_sync_create(cfg->settings, &c->stop, cfg->on_reregistered, cfg->arg);
    }
    return c;
}

int tsync_consumer_start(tsync_consumer *c)
{
    if (ensure_durable(c->js) != 0)
        return -1;
    for (int i = 0; i < c->nworkers; i++)
        if (c->workers[i].sub == NULL && subscribe(c, &c->workers[i]) != 0)
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
    vx_log_info(NULL, NULL, "consuming tool-sync jobs", "consumer", TSYNC_DURABLE, "workers", n);
    return 0;
}

void tsync_consumer_stop(tsync_consumer *c)
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

void tsync_consumer_destroy(tsync_consumer *c)
{
    if (!c)
        return;
    tsync_consumer_stop(c);
    for (int i = 0; i < c->nworkers; i++) {
        natsSubscription_Destroy(c->workers[i].sub);
        tsync_sync_destroy(c->workers[i].sync);
    }
    free(c->workers);
    free(c);
}
