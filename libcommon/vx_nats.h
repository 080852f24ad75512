/*
 * vx_nats: how every Voxanne program talks to NATS.
 *
 * Connections are made with SendAsap (a request/reply round trip on loopback
 * falls from ~1 ms to ~0.2 ms), retry on the first connect, and reconnect
 * forever; disconnects and reconnects are logged.
 *
 * Every connection of a process is made as the one identity its environment
 * names: NATS_USER and NATS_PASSWORD (the program's user in
 * deploy/nats/users.conf, whose permissions say what it may publish and
 * subscribe to), and optionally TLS — NATS_TLS_CA (the CA to verify the
 * server with) and NATS_TLS_CERT + NATS_TLS_KEY (a client certificate). The
 * inboxes of a process live under "_INBOX.<user>", the only inbox subjects
 * its user may read. A malformed setting exits with status 2 (vx_config).
 */
#ifndef VX_NATS_H
#define VX_NATS_H

#include <nats/nats.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Connects to url (comma-separated list allowed) as client name and returns
 * once connected: a server not reachable yet is retried in the background
 * (logged every 10 s) while SIGINT/SIGTERM still stop the wait. NULL (logged)
 * on failure or when a termination signal came first (it is consumed: the
 * caller exits). */
natsConnection *vx_nats_connect(const char *url, const char *name);

/* url (a comma-separated list) as it may be logged: every "user:password@"
 * or "token@" removed, so credentials never reach a log line. Truncated to
 * out_len - 1 bytes; always NUL-terminated. */
void vx_nats_url_for_log(const char *url, char *out, size_t out_len);

/* "_INBOX.<NATS_USER>", or "_INBOX" without a user. */
const char *vx_nats_inbox_prefix(void);
/* A fresh inbox subject under vx_nats_inbox_prefix() into out. 0, or -1 when it does not fit. */
int vx_nats_new_inbox(char *out, size_t out_len);
/* True when user can be a NATS_USER: 1 to 64 of a-z, 0-9, '-', '_' (one subject token). */
bool vx_nats_user_valid(const char *user);

/* The options vx_nats_connect uses, for callers that add their own (NULL and
 * logged on failure), and the connect that takes them (and destroys them). */
natsOptions *vx_nats_options(const char *url, const char *name);
natsConnection *vx_nats_connect_with(natsOptions *opts, const char *url);

/* Closes nc (NULL: nothing) once the server has read what was published on it
 * (a PING/PONG, up to 2 s): cnats closes with SO_LINGER 0, a reset that
 * discards output the server has not read — the last replies or acks. */
void vx_nats_close(natsConnection *nc);
/* A subscription a worker serves, and its stop in two steps (a worker's
 * stop calls both; its destroy may then free what the handler used).
 * vx_served_sub_stop starts draining it (messages already delivered are
 * handled, no new ones come) or, when nc is not connected, only unsubscribes;
 * a second call does nothing. vx_served_sub_end waits up to
 * VX_SERVED_SUB_DRAIN_MS for the drain, then destroys sub and — when the
 * subscription is tracked — waits until its handler has returned for the
 * last time: a drain that timed out, or a plain unsubscribe, leaves a handler
 * possibly running on the delivery thread, and freeing its state under it
 * crashed dashboard-api at a stop (cnats documents the race at
 * natsSubscription_SetOnCompleteCB). NULL sub: nothing. */
#define VX_SERVED_SUB_DRAIN_MS 5000
typedef struct vx_served_sub {
    natsConnection *nc;    /* the connection sub was made on (not owned) */
    natsSubscription *sub; /* owned */
    bool draining;
    bool tracked;         /* vx_served_sub_track succeeded */
    atomic_bool complete; /* set by the on-complete callback: no handler runs any more */
    void (*also)(void *); /* run on completion first (frees a binding); may be NULL */
    void *also_arg;
} vx_served_sub;
/* Has the subscription tell s when its last handler call has returned (and
 * run also(also_arg) then, e.g. to free what only the handler used). Call
 * once, right after subscribing s->sub asynchronously. 0, or -1 (logged). */
int vx_served_sub_track(vx_served_sub *s, void (*also)(void *), void *also_arg);
void vx_served_sub_stop(vx_served_sub *s);
void vx_served_sub_end(vx_served_sub *s);

/* Publishes len bytes of data to subject, expected to land in stream, with
 * the de-duplication id msg_id (Nats-Msg-Id): waits for the PubAck when wait
 * is true, else only sends it (awaited later with js_PublishAsyncComplete,
 * refusals reported to the context's PublishAsync.ErrHandler). Returns the
 * status and, when the stream refused, its error code in *jerr (may be NULL). */
natsStatus vx_js_publish_once(jsCtx *js, const char *stream, const char *subject, const char *msg_id, const void *data, size_t len,
                              bool wait, jsErrCode *jerr);

/* Creates the JetStream stream if missing, else updates it to cfg. Returns 0 or -1 (logged). */
int vx_js_ensure_stream(jsCtx *js, jsStreamConfig *cfg);

/* Stream VAPI: raw Vapi server messages (subjects vapi.msg.<type>), file storage,
 * 2-minute de-duplication window. Publisher and consumers both call this, with
 * the same limits (read from the environment by both).
 *
 * Work-queue retention: a message leaves the stream when webhook-ingest acks
 * it (stored, parked or ignored), so what the stream holds is exactly the
 * backlog. Its limits: at most max_bytes (VAPI_STREAM_MAX_BYTES, default
 * 8 GiB) of backlog; when that is full, NEW messages are refused (discard
 * new), never unprocessed ones dropped: the gateway then answers 503
 * stream_full with Retry-After, and Vapi (with a backoffPlan) retries. A
 * message nobody consumed is removed after max_age_s
 * (VAPI_STREAM_MAX_AGE_DAYS, default 7) — after a week of ingest down. */
#define VX_STREAM_VAPI         "VAPI"
#define VX_SUBJECT_VAPI_PREFIX "vapi.msg."
typedef struct vx_vapi_stream_limits {
    int64_t max_bytes;
    int64_t max_age_s;
    int replicas; /* 1, or 3 on a JetStream cluster: a PubAck then means a majority holds the message */
} vx_vapi_stream_limits;
/* The limits from VAPI_STREAM_MAX_BYTES (1 MiB..1 TiB), VAPI_STREAM_MAX_AGE_DAYS
 * (1..365) and VAPI_STREAM_REPLICAS (1..5, default 1; nats-server 2.9 has no
 * sync-every-write option, so only replicas make an acknowledged report
 * survive a machine's power cut: docs/decisions.md). */
void vx_vapi_stream_limits_from_env(vx_vapi_stream_limits *limits);
int vx_js_ensure_vapi_stream(jsCtx *js, const vx_vapi_stream_limits *limits);

#endif
