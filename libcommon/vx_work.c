/*
 * vx_work: the WORK stream and publishing a job (see vx_work.h).
 */
#include "vx_work.h"

#include <stdint.h>
#include <stdio.h>

#include "vx_log.h"
#include "vx_nats.h"

#define NS_PER_S 1000000000LL

int vx_work_ensure_stream(jsCtx *js)
{
    static const char *subjects[] = {VX_WORK_SUBJECT_PREFIX ">"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = VX_WORK_STREAM;
    cfg.Description = "Jobs between services (work.<service>.<job>), removed once done";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Retention = js_WorkQueuePolicy;
    cfg.MaxAge = (int64_t)VX_WORK_MAX_AGE_S * NS_PER_S;
    cfg.MaxBytes = (int64_t)1024 * 1024 * 1024;
    /* A full queue refuses new jobs (the publisher keeps them in its outbox
     * and retries) rather than silently dropping queued ones. */
    cfg.Discard = js_DiscardNew;
    cfg.Duplicates = (int64_t)120 * NS_PER_S;
    cfg.MaxMsgSize = 1024 * 1024;
    return vx_js_ensure_stream(js, &cfg);
}

/* Publishes one job, waiting for its PubAck or not. */
static int publish(jsCtx *js, const char *subject, const char *job_id, const char *request_id, const void *data, size_t len,
                   bool wait)
{
    jsErrCode jerr = 0;
    natsStatus s = vx_js_publish_once(js, VX_WORK_STREAM, subject, job_id, data, len, wait, &jerr);
    if (s != NATS_OK) {
        char code[16];
        snprintf(code, sizeof code, "%d", (int)jerr);
        vx_log_warn(request_id, NULL, "job not queued", "subject", subject, "job_id", job_id, "error", natsStatus_GetText(s),
                    "js_code", code);
        return -1;
    }
    return 0;
}

int vx_work_publish(jsCtx *js, const char *subject, const char *job_id, const char *request_id, const void *data, size_t len)
{
    return publish(js, subject, job_id, request_id, data, len, true);
}

int vx_work_publish_async(jsCtx *js, const char *subject, const char *job_id, const char *request_id, const void *data, size_t len)
{
    return publish(js, subject, job_id, request_id, data, len, false);
}
