/*
 * consumer: durable pull consumer setup and the worker loop (see consumer.h).
 *
 * The durable is created (or updated) explicitly with js_AddConsumer, so a
 * replica going away can never delete it. Workers pull from it with
 * JetStream's own request ($JS.API.CONSUMER.MSG.NEXT, a batch and an expiry)
 * on an inbox of their own, and settle each message by answering its reply
 * subject (+ACK, -NAK with a delay, +TERM): not natsSubscription_Fetch,
 * whose cnats 3.4.1 implementation was seen (under the webhook benchmark's
 * load) returning 114 messages in an array it had allocated for a batch of
 * 64 — a heap overflow that killed webhook-ingest. Here a pull never keeps
 * more than it asked for. Workers do not fetch while their database connection is down:
 * the messages stay in the stream instead of cycling through redeliveries.
 * Shutdown is cooperative: a flag checked between messages and after each
 * fetch, whose 500 ms timeout bounds how long stopping takes.
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

#include "process.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"

#define FILTER             VX_SUBJECT_VAPI_PREFIX ">"
#define PULL_SUBJECT       "$JS.API.CONSUMER.MSG.NEXT." VX_STREAM_VAPI "." INGEST_DURABLE
#define FETCH_TIMEOUT_MS   500
#define TRICKLE_WAIT_MS    20
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
    natsSubscription *sub; /* <inbox>.*: the answers to this worker's pull requests */
    char inbox[128];
    uint64_t pulls; /* pull requests sent: each is answered on <inbox>.<pulls> */
    ingest_processor *proc;
    int failures;         /* consecutive RETRY verdicts, for the nak delay */
    int64_t last_err_log; /* rate limit for fetch/database errors */
    bool db_down;
} worker;

struct ingest_consumer {
    atomic_bool stop;
    jsCtx *js;          /* not owned */
    natsConnection *nc; /* not owned */
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

/* Logs at most every ERROR_LOG_EVERY_MS per worker. */
static bool may_log(worker *w)
{
    int64_t now = vx_monotonic_us() / 1000;
    if (w->last_err_log && now - w->last_err_log < ERROR_LOG_EVERY_MS)
        return false;
    w->last_err_log = now;
    return true;
}

/* The worker's inbox subscription, where its pull requests are answered. */
static int subscribe(ingest_consumer *c, worker *w)
{
    if (vx_nats_new_inbox(w->inbox, sizeof(w->inbox)) != 0)
        return -1;
    char subject[160];
    snprintf(subject, sizeof(subject), "%s.*", w->inbox);
    natsStatus s = natsConnection_SubscribeSync(&w->sub, c->nc, subject);
    if (s == NATS_OK) /* a whole batch of reports may wait here: no slow-consumer drops */
        s = natsSubscription_SetPendingLimits(w->sub, -1, -1);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot subscribe for pulled messages", "error", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

/* A status message of the pull protocol (no data, a Status header): its code, or NULL for a message of the stream. */
static const char *pull_status(natsMsg *m)
{
    const char *status = NULL;
    if (natsMsg_GetDataLength(m) == 0 && natsMsgHeader_Get(m, "Status", &status) == NATS_OK)
        return status;
    return NULL;
}

/* One pull request for up to batch messages into msgs, waiting at most
 * timeout_ms for the first (the server's 408 ends a request that got
 * nothing). Returns how many (the caller settles and destroys each), or -1
 * when the request could not be sent.
 * Messages of an earlier pull that arrive late are stream messages like any
 * other (delivered to us, waiting for our ack): they are taken too, and
 * still never more than batch. */
static int pull(ingest_consumer *c, worker *w, natsMsg **msgs, int batch, int64_t timeout_ms)
{
    char reply[160], body[96];
    snprintf(reply, sizeof(reply), "%s.%" PRIu64, w->inbox, ++w->pulls);
    /* The server gives up a little before we do, so its 408 ends the wait. */
    snprintf(body, sizeof(body), "{\"batch\":%d,\"expires\":%" PRId64 "}", batch, (timeout_ms - 50) * INT64_C(1000000));
    natsStatus s = natsConnection_PublishRequestString(c->nc, PULL_SUBJECT, reply, body);
    if (s != NATS_OK) {
        if (may_log(w))
            vx_log_warn(NULL, NULL, "pull request failed", "error", natsStatus_GetText(s));
        return -1;
    }
    int count = 0;
    int64_t deadline = vx_monotonic_us() / 1000 + timeout_ms;
    while (count < batch) {
        int64_t left = deadline - vx_monotonic_us() / 1000;
        /* Once something came, what follows at once joins it; the rest of a
         * waiting request's batch is not waited for (a report posted alone
         * is stored now, not when the request expires). Whatever the server
         * still sends for it is taken by the next pull. */
        if (count > 0 && left > TRICKLE_WAIT_MS)
            left = TRICKLE_WAIT_MS;
        natsMsg *m = NULL;
        if (left <= 0 || natsSubscription_NextMsg(&m, w->sub, left) != NATS_OK)
            break;
        const char *status = pull_status(m);
        if (status == NULL) {
            msgs[count++] = m;
            continue;
        }
        /* 404 nothing to deliver, 408 expired, 409 ended by the server: this
         * pull is over (100 is a heartbeat). Another pull's status is stale. */
        bool over = strcmp(natsMsg_GetSubject(m), reply) == 0 && strncmp(status, "100", 3) != 0;
        natsMsg_Destroy(m);
        if (over)
            break;
    }
    return count;
}

/* Settles msg by answering its reply subject, as JetStream's ack protocol
 * asks: "+ACK", "-NAK {\"delay\":ns}" or "+TERM". */
static natsStatus answer(worker *w, natsMsg *msg, const char *what)
{
    const char *to = natsMsg_GetReply(msg);
    if (to == NULL || to[0] == '\0')
        return NATS_ILLEGAL_STATE;
    return natsConnection_PublishString(w->owner->nc, to, what);
}

/* Settles msg by its verdict. */
static void settle(worker *w, natsMsg *msg, ingest_verdict v)
{
    natsStatus s;
    switch (v) {
    case INGEST_VERDICT_ACK:
        w->failures = 0;
        s = answer(w, msg, "+ACK");
        break;
    case INGEST_VERDICT_RETRY: {
        int shift = w->failures < 4 ? w->failures : 4;
        int64_t delay = (int64_t)RETRY_MIN_MS << shift;
        char nak[64];
        snprintf(nak, sizeof(nak), "-NAK {\"delay\":%" PRId64 "}",
                 (delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS) * INT64_C(1000000));
        s = answer(w, msg, nak);
        break;
    }
    default:
        s = answer(w, msg, "+TERM");
        break;
    }
    if (s != NATS_OK) /* redelivered after AckWait; harmless, writes are idempotent */
        vx_log_warn(NULL, NULL, "could not settle message", "error", natsStatus_GetText(s));
}

/* Processes the n pulled messages as one batch (one transaction; see
 * process.c) and settles each: the acks go out only after the commit. */
static void settle_batch(worker *w, natsMsg **msgs, int n, ingest_message *batch, ingest_verdict *verdicts)
{
    for (int i = 0; i < n; i++)
        batch[i] = (ingest_message){natsMsg_GetData(msgs[i]), (size_t)natsMsg_GetDataLength(msgs[i])};
    int64_t started = vx_monotonic_us();
    ingest_process_batch(w->proc, batch, (size_t)n, verdicts);
    char count[16], us[24];
    snprintf(count, sizeof(count), "%d", n);
    snprintf(us, sizeof(us), "%" PRId64, vx_monotonic_us() - started);
    vx_log_debug(NULL, NULL, "batch processed", "messages", count, "us", us);
    bool retried = false;
    for (int i = 0; i < n; i++) {
        settle(w, msgs[i], verdicts[i]);
        retried |= verdicts[i] == INGEST_VERDICT_RETRY;
    }
    if (retried) /* the next NAK waits longer, up to RETRY_MAX_MS */
        w->failures++;
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
    natsMsg **msgs = calloc((size_t)c->batch, sizeof(*msgs));
    ingest_message *batch = calloc((size_t)c->batch, sizeof(*batch));
    ingest_verdict *verdicts = calloc((size_t)c->batch, sizeof(*verdicts));
    if (msgs == NULL || batch == NULL || verdicts == NULL)
        abort();
    while (!atomic_load(&c->stop)) {
        if (!db_gate(w))
            continue;
        int n = pull(c, w, msgs, c->batch, FETCH_TIMEOUT_MS);
        if (n < 0) {
            sleep_ms(IDLE_SLEEP_MS);
            continue;
        }
        if (atomic_load(&c->stop)) {
            for (int i = 0; i < n; i++)
                answer(w, msgs[i], "-NAK"); /* not started: let another worker have it now */
        } else if (n > 0) {
            settle_batch(w, msgs, n, batch, verdicts);
        } else {
            ingest_processor_idle(w->proc); /* nothing came: the last batch's jobs are marked now */
        }
        for (int i = 0; i < n; i++)
            natsMsg_Destroy(msgs[i]);
    }
    /* Messages already delivered for a pull still open at the server: handed
     * back now, so another replica takes them without waiting for AckWait. */
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, w->sub, 50) == NATS_OK) {
        if (pull_status(m) == NULL)
            answer(w, m, "-NAK");
        natsMsg_Destroy(m);
        m = NULL;
    }
    free(msgs);
    free(batch);
    free(verdicts);
    return NULL;
}

ingest_consumer *ingest_consumer_create(const ingest_consumer_config *cfg)
{
    ingest_consumer *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    atomic_init(&c->stop, false);
    c->js = cfg->js;
    c->nc = cfg->nc;
    c->batch = cfg->batch;
    c->nworkers = cfg->workers;
    c->workers = calloc((size_t)cfg->workers, sizeof *c->workers);
    if (!c->workers)
        abort();
    for (int i = 0; i < c->nworkers; i++) {
        worker *w = &c->workers[i];
        w->owner = c;
        w->proc = ingest_processor_create(cfg->database_url, cfg->orgs_changed, cfg->nc);
    }
    return c;
}

int ingest_consumer_start(ingest_consumer *c)
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
