/*
 * consumer: webhook-ingest's side of the durable pull consumer (see
 * consumer.h); the pulling, settling and stopping are libcommon/vx_pull's.
 */
#include "consumer.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "process.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_pull.h"
#include "vx_time.h"

#define FILTER      VX_SUBJECT_VAPI_PREFIX ">"
#define ACK_WAIT_MS (30 * 1000)

/* One worker thread's own: its processor and the scratch of its batches. */
typedef struct worker {
    ingest_processor *proc;
    ingest_message *batch;
    ingest_verdict *verdicts;
} worker;

static void *worker_create(void *arg, int i, const atomic_bool *stopping)
{
    const ingest_consumer_config *cfg = arg;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->proc = ingest_processor_create(cfg->database_url, cfg->orgs_changed, cfg->nc);
    w->batch = calloc((size_t)cfg->batch, sizeof *w->batch);
    w->verdicts = calloc((size_t)cfg->batch, sizeof *w->verdicts);
    if (!w->batch || !w->verdicts)
        abort();
    return w;
}

static void worker_destroy(void *ctx)
{
    worker *w = ctx;
    ingest_processor_destroy(w->proc);
    free(w->batch);
    free(w->verdicts);
    free(w);
}

static bool worker_ready(void *ctx)
{
    worker *w = ctx;
    return ingest_processor_db_ready(w->proc);
}

/* Nothing came: the last batch's jobs are marked now. */
static void worker_idle(void *ctx)
{
    worker *w = ctx;
    ingest_processor_idle(w->proc);
}

/* Processes the n pulled messages as one batch (one transaction; see
 * process.c) and settles each: the acks go out only after the commit. */
static void worker_handle(vx_pull_worker *pw, void *ctx, natsMsg *const *msgs, int n)
{
    worker *w = ctx;
    for (int i = 0; i < n; i++)
        w->batch[i] = (ingest_message){natsMsg_GetData(msgs[i]), (size_t)natsMsg_GetDataLength(msgs[i])};
    int64_t started = vx_monotonic_us();
    ingest_process_batch(w->proc, w->batch, (size_t)n, w->verdicts);
    char count[16], us[24];
    snprintf(count, sizeof(count), "%d", n);
    snprintf(us, sizeof(us), "%" PRId64, vx_monotonic_us() - started);
    vx_log_debug(NULL, NULL, "batch processed", "messages", count, "us", us);
    for (int i = 0; i < n; i++) {
        switch (w->verdicts[i]) {
        case INGEST_VERDICT_ACK:
            vx_pull_ack(pw, msgs[i]);
            break;
        case INGEST_VERDICT_RETRY:
            vx_pull_retry(pw, msgs[i]);
            break;
        default:
            vx_pull_term(pw, msgs[i]);
            break;
        }
    }
}

vx_pull *ingest_consumer_create(const ingest_consumer_config *cfg)
{
    vx_pull_config pc = {
        .js = cfg->js,
        .nc = cfg->nc,
        .stream = VX_STREAM_VAPI,
        .durable = INGEST_DURABLE,
        .filter = FILTER,
        .what = "Vapi messages",
        .ack_wait_ms = ACK_WAIT_MS,
        .batch = cfg->batch,
        .workers = cfg->workers,
        .ctx_create = worker_create,
        .arg = (void *)cfg,
        .ctx_destroy = worker_destroy,
        .handle = worker_handle,
        .ready = worker_ready,
        .idle = worker_idle,
    };
    return vx_pull_create(&pc);
}
