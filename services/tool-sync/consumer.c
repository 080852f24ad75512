/*
 * consumer: tool-sync's side of the durable pull consumer (see consumer.h);
 * the pulling, settling and stopping are libcommon/vx_pull's. One job per
 * pull: a sync may wait seconds on Vapi's retries, and a job pulled with it
 * would wait behind it instead of going to an idle worker or replica.
 */
#include "consumer.h"

#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/work.pb-c.h"
#include "vx_log.h"
#include "vx_pull.h"
#include "vx_validate.h"
#include "vx_work.h"

#define FILTER VX_WORK_SUBJECT_PREFIX "tool-sync.>"
/* Longer than one sync can take: its Vapi calls, each with its timeout, and the retry waits. */
#define ACK_WAIT_MS   (300 * 1000)
#define BUSY_DELAY_MS 500

/* A worker's context is its tsync_sync, which watches the consumer's
 * stopping flag: a sync in hand ends at its next retry wait when stopping. */
static void *worker_create(void *arg, int i, const atomic_bool *stopping)
{
    const tsync_consumer_config *cfg = arg;
    return tsync_sync_create(cfg->settings, stopping, cfg->on_reregistered, cfg->arg);
}

static void worker_destroy(void *ctx)
{
    tsync_sync_destroy(ctx);
}

static bool worker_ready(void *ctx)
{
    return tsync_sync_db_ready(ctx) != 0;
}

/* Decodes one job, syncs its org and settles the job by the outcome. */
static void handle_job(vx_pull_worker *pw, tsync_sync *sync, natsMsg *msg)
{
    Voxanne__V1__ToolSyncJob *job =
        voxanne__v1__tool_sync_job__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    if (!job || !job->org_id || !vx_is_uuid(job->org_id, strlen(job->org_id)) || job->version < 1) {
        vx_log_warn(NULL, NULL, "unreadable tool-sync job dropped");
        vx_pull_term(pw, msg);
        if (job)
            voxanne__v1__tool_sync_job__free_unpacked(job, NULL);
        return;
    }
    const char *rid = job->request_id && job->request_id[0] ? job->request_id : NULL;
    switch (tsync_sync_org(sync, job->org_id, (long long)job->version, rid)) {
    case TSYNC_DONE:
    case TSYNC_SKIPPED:
    case TSYNC_FAILED: /* recorded in agent_sync: the sweep takes it from there */
        vx_pull_ack(pw, msg);
        break;
    case TSYNC_BUSY: /* the worker that holds the org will see this version, or a newer one */
        vx_pull_nak(pw, msg, BUSY_DELAY_MS);
        break;
    case TSYNC_STOPPED:
        vx_pull_nak(pw, msg, 0);
        break;
    default:
        vx_pull_retry(pw, msg);
        break;
    }
    voxanne__v1__tool_sync_job__free_unpacked(job, NULL);
}

static void worker_handle(vx_pull_worker *pw, void *ctx, natsMsg *const *msgs, int n)
{
    for (int i = 0; i < n; i++)
        handle_job(pw, ctx, msgs[i]);
}

vx_pull *tsync_consumer_create(const tsync_consumer_config *cfg)
{
    vx_pull_config pc = {
        .js = cfg->js,
        .nc = cfg->nc,
        .stream = VX_WORK_STREAM,
        .durable = TSYNC_DURABLE,
        .filter = FILTER,
        .what = "tool-sync jobs",
        .ack_wait_ms = ACK_WAIT_MS,
        .batch = 1,
        .workers = cfg->settings->workers,
        .ctx_create = worker_create,
        .arg = (void *)cfg,
        .ctx_destroy = worker_destroy,
        .handle = worker_handle,
        .ready = worker_ready,
    };
    return vx_pull_create(&pc);
}
