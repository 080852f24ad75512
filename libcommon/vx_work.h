/*
 * vx_work: background jobs between services on the JetStream stream WORK
 * (subjects "work.<service>.<job>", e.g. work.notifier.hot_lead).
 *
 * Work-queue retention: a job is removed once its consumer acks it, so the
 * stream holds only what is still to do; what nobody ever takes is dropped
 * after VX_WORK_MAX_AGE_S. A job is published with its id as Nats-Msg-Id,
 * so a job published twice within the de-duplication window (a publisher
 * that crashed between its publish and recording it) is queued once; the
 * consumer keys its side effects on the job id for anything later.
 */
#ifndef VX_WORK_H
#define VX_WORK_H

#include <stddef.h>
#include <nats/nats.h>

#define VX_WORK_STREAM         "WORK"
#define VX_WORK_SUBJECT_PREFIX "work."
#define VX_WORK_MAX_AGE_S      (7 * 24 * 3600)

#define VX_WORK_NOTIFIER_HOT_LEAD "work.notifier.hot_lead"
/* An org's agent configuration was saved (dashboard-api): tool-sync brings
 * Vapi to it (ToolSyncJob, proto/voxanne/v1/work.proto). */
#define VX_WORK_TOOL_SYNC "work.tool-sync.sync"

/* Creates the WORK stream if missing, else updates it to the suite's
 * configuration (idempotent; every publisher and consumer calls it at start).
 * 0, or -1 (logged). */
int vx_work_ensure_stream(jsCtx *js);

/* Publishes one job (len bytes of a serialized job message) to subject with
 * Nats-Msg-Id job_id, and waits for the PubAck. 0, or -1 (logged with
 * request_id, which may be NULL). */
int vx_work_publish(jsCtx *js, const char *subject, const char *job_id, const char *request_id, const void *data, size_t len);

/* The same without waiting: the PubAck is awaited later, for many jobs at
 * once, with js_PublishAsyncComplete on js (whose PublishAsync.ErrHandler
 * hears which were refused, by their Nats-Msg-Id). 0, or -1 (logged) when
 * it could not be sent. */
int vx_work_publish_async(jsCtx *js, const char *subject, const char *job_id, const char *request_id, const void *data, size_t len);

#endif
