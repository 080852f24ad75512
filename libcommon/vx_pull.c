/*
 * vx_pull: durable setup, the worker loop and settling (see vx_pull.h).
 */
#include "vx_pull.h"

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"

#define FETCH_TIMEOUT_MS 500
/* The server gives up a little before we do, so its 408 ends the wait. */
#define EXPIRES_EARLY_MS 50
/* Once something came, what follows at once joins it: see pull(). */
#define TRICKLE_WAIT_MS    20
#define MAX_ACK_PENDING    1000
#define IDLE_SLEEP_MS      250
#define ERROR_LOG_EVERY_MS 30000
/* How long a stopping worker waits for what its open pull still brings. */
#define HAND_BACK_WAIT_MS 50

struct vx_pull_worker {
    struct vx_pull *owner;
    void *ctx; /* the service's, owned (ctx_destroy) */
    pthread_t thread;
    bool started;
    natsSubscription *sub; /* <inbox>.*: the answers to this worker's pull requests */
    char inbox[128];
    uint64_t pulls; /* pull requests sent: each is answered on <inbox>.<pulls> */
    vx_pull_backoff backoff;
    int64_t last_err_log; /* rate limit for pull errors */
    bool db_down;
};

struct vx_pull {
    atomic_bool stop;
    jsCtx *js;          /* not owned */
    natsConnection *nc; /* not owned */
    char *stream, *durable, *filter, *what;
    char *pull_subject; /* $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable> */
    int64_t ack_wait_ms;
    int batch;
    int nworkers;
    vx_pull_worker *workers;
    vx_pull_ctx_destroy_fn ctx_destroy;
    vx_pull_handle_fn handle;
    vx_pull_ready_fn ready;
    vx_pull_idle_fn idle;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *copy(const char *s)
{
    char *c = strdup(s);
    if (!c)
        abort();
    return c;
}

int64_t vx_pull_backoff_retry(vx_pull_backoff *b)
{
    int shift = b->failures < 4 ? b->failures : 4;
    int64_t delay = (int64_t)VX_PULL_RETRY_MIN_MS << shift;
    b->retried = true;
    return delay < VX_PULL_RETRY_MAX_MS ? delay : VX_PULL_RETRY_MAX_MS;
}

void vx_pull_backoff_ack(vx_pull_backoff *b)
{
    b->failures = 0;
}

void vx_pull_backoff_handled(vx_pull_backoff *b)
{
    if (b->retried && b->failures < INT_MAX)
        b->failures++;
    b->retried = false;
}

vx_pull_arrival vx_pull_classify(natsMsg *m, const char *reply)
{
    const char *status = NULL;
    if (natsMsg_GetDataLength(m) != 0 || natsMsgHeader_Get(m, "Status", &status) != NATS_OK || status == NULL)
        return VX_PULL_MESSAGE;
    /* Another pull's status is stale: that pull ended long ago for us. */
    if (strcmp(natsMsg_GetSubject(m), reply) != 0 || strncmp(status, "100", 3) == 0)
        return VX_PULL_NOISE;
    return VX_PULL_END;
}

/* Creates the durable consumer, or updates it to our settings. */
static int ensure_durable(vx_pull *p)
{
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = p->durable;
    cc.FilterSubject = p->filter;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = p->ack_wait_ms * INT64_C(1000000);
    cc.MaxDeliver = -1;
    cc.MaxAckPending = MAX_ACK_PENDING;

    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddConsumer(&ci, p->js, p->stream, &cc, NULL, &jerr);
    if (s != NATS_OK) {
        jsErrCode add_err = jerr;
        jerr = 0;
        s = js_UpdateConsumer(&ci, p->js, p->stream, &cc, NULL, &jerr);
        if (s != NATS_OK) {
            char codes[48];
            snprintf(codes, sizeof codes, "%d/%d", (int)add_err, (int)jerr);
            vx_log_error(NULL, NULL, "cannot create or update the durable consumer", "consumer", p->durable, "error",
                         natsStatus_GetText(s), "js_err", codes);
            return -1;
        }
    }
    jsConsumerInfo_Destroy(ci);
    return 0;
}

/* Logs at most every ERROR_LOG_EVERY_MS per worker. */
static bool may_log(vx_pull_worker *w)
{
    int64_t now = vx_monotonic_us() / 1000;
    if (w->last_err_log && now - w->last_err_log < ERROR_LOG_EVERY_MS)
        return false;
    w->last_err_log = now;
    return true;
}

/* The worker's inbox subscription, where its pull requests are answered. */
static int subscribe(vx_pull *p, vx_pull_worker *w)
{
    if (vx_nats_new_inbox(w->inbox, sizeof(w->inbox)) != 0)
        return -1;
    char subject[160];
    snprintf(subject, sizeof(subject), "%s.*", w->inbox);
    natsStatus s = natsConnection_SubscribeSync(&w->sub, p->nc, subject);
    if (s == NATS_OK) /* a whole batch may wait here: no slow-consumer drops */
        s = natsSubscription_SetPendingLimits(w->sub, -1, -1);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot subscribe for pulled messages", "consumer", p->durable, "error", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

/* One pull request for up to p->batch messages into msgs, waiting at most
 * FETCH_TIMEOUT_MS for the first (the server's 408 ends a request that got
 * nothing). Returns how many (the caller settles and destroys each), or -1
 * when the request could not be sent.
 * Messages of an earlier pull that arrive late are stream messages like any
 * other (delivered to us, waiting for our ack): they are taken too, and
 * still never more than batch. */
static int pull(vx_pull *p, vx_pull_worker *w, natsMsg **msgs)
{
    char reply[160], body[96];
    snprintf(reply, sizeof(reply), "%s.%" PRIu64, w->inbox, ++w->pulls);
    snprintf(body, sizeof(body), "{\"batch\":%d,\"expires\":%" PRId64 "}", p->batch,
             (int64_t)(FETCH_TIMEOUT_MS - EXPIRES_EARLY_MS) * INT64_C(1000000));
    natsStatus s = natsConnection_PublishRequestString(p->nc, p->pull_subject, reply, body);
    if (s != NATS_OK) {
        if (may_log(w))
            vx_log_warn(NULL, NULL, "pull request failed", "consumer", p->durable, "error", natsStatus_GetText(s));
        return -1;
    }
    int count = 0;
    int64_t deadline = vx_monotonic_us() / 1000 + FETCH_TIMEOUT_MS;
    while (count < p->batch) {
        int64_t left = deadline - vx_monotonic_us() / 1000;
        /* Once something came, what follows at once joins it; the rest of a
         * waiting request's batch is not waited for (a message published
         * alone is handled now, not when the request expires). Whatever the
         * server still sends for it is taken by the next pull. */
        if (count > 0 && left > TRICKLE_WAIT_MS)
            left = TRICKLE_WAIT_MS;
        natsMsg *m = NULL;
        if (left <= 0 || natsSubscription_NextMsg(&m, w->sub, left) != NATS_OK)
            break;
        vx_pull_arrival a = vx_pull_classify(m, reply);
        if (a == VX_PULL_MESSAGE) {
            msgs[count++] = m;
            continue;
        }
        natsMsg_Destroy(m);
        if (a == VX_PULL_END)
            break;
    }
    return count;
}

/* Settles m by answering its reply subject, as JetStream's ack protocol asks. */
static void answer(vx_pull_worker *w, natsMsg *m, const char *what)
{
    const char *to = natsMsg_GetReply(m);
    natsStatus s = (to && to[0]) ? natsConnection_PublishString(w->owner->nc, to, what) : NATS_ILLEGAL_STATE;
    if (s != NATS_OK) /* redelivered after AckWait: harmless, the work is idempotent */
        vx_log_warn(NULL, NULL, "could not settle message", "consumer", w->owner->durable, "error", natsStatus_GetText(s));
}

void vx_pull_ack(vx_pull_worker *w, natsMsg *m)
{
    vx_pull_backoff_ack(&w->backoff);
    answer(w, m, "+ACK");
}

void vx_pull_nak(vx_pull_worker *w, natsMsg *m, int64_t delay_ms)
{
    if (delay_ms <= 0) {
        answer(w, m, "-NAK");
        return;
    }
    char nak[64];
    snprintf(nak, sizeof(nak), "-NAK {\"delay\":%" PRId64 "}", delay_ms * INT64_C(1000000));
    answer(w, m, nak);
}

void vx_pull_retry(vx_pull_worker *w, natsMsg *m)
{
    vx_pull_nak(w, m, vx_pull_backoff_retry(&w->backoff));
}

void vx_pull_term(vx_pull_worker *w, natsMsg *m)
{
    answer(w, m, "+TERM");
}

/* Returns false (after pausing) when the worker may not pull now. */
static bool ready_gate(vx_pull *p, vx_pull_worker *w)
{
    bool up = p->ready == NULL || p->ready(w->ctx);
    if (up != !w->db_down) {
        w->db_down = !up;
        if (up)
            vx_log_info(NULL, NULL, "database reachable, fetching again", "consumer", p->durable);
        else
            vx_log_warn(NULL, NULL, "database unreachable, pausing fetch", "consumer", p->durable);
    }
    if (!up)
        sleep_ms(IDLE_SLEEP_MS);
    return up;
}

static void *worker_run(void *arg)
{
    vx_pull_worker *w = arg;
    vx_pull *p = w->owner;
    natsMsg **msgs = calloc((size_t)p->batch, sizeof(*msgs));
    if (msgs == NULL)
        abort();
    while (!atomic_load(&p->stop)) {
        if (!ready_gate(p, w))
            continue;
        int n = pull(p, w, msgs);
        if (n < 0) {
            sleep_ms(IDLE_SLEEP_MS);
            continue;
        }
        if (atomic_load(&p->stop)) {
            for (int i = 0; i < n; i++)
                vx_pull_nak(w, msgs[i], 0); /* not started: let another worker have it now */
        } else if (n > 0) {
            p->handle(w, w->ctx, msgs, n);
            vx_pull_backoff_handled(&w->backoff); /* the next retry waits longer, up to the maximum */
        } else if (p->idle) {
            p->idle(w->ctx);
        }
        for (int i = 0; i < n; i++)
            natsMsg_Destroy(msgs[i]);
    }
    /* Messages already delivered for a pull still open at the server: handed
     * back now, so another replica takes them without waiting for AckWait. */
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, w->sub, HAND_BACK_WAIT_MS) == NATS_OK) {
        if (vx_pull_classify(m, "") == VX_PULL_MESSAGE)
            vx_pull_nak(w, m, 0);
        natsMsg_Destroy(m);
        m = NULL;
    }
    free(msgs);
    return NULL;
}

vx_pull *vx_pull_create(const vx_pull_config *cfg)
{
    if (!cfg->js || !cfg->nc || !cfg->stream || !cfg->durable || !cfg->filter || !cfg->what || !cfg->ctx_create ||
        !cfg->ctx_destroy || !cfg->handle || cfg->batch < 1 || cfg->workers < 1 || cfg->ack_wait_ms < 1) {
        vx_log_error(NULL, NULL, "invalid pull consumer configuration", "consumer", cfg->durable);
        return NULL;
    }
    vx_pull *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    atomic_init(&p->stop, false);
    p->js = cfg->js;
    p->nc = cfg->nc;
    p->stream = copy(cfg->stream);
    p->durable = copy(cfg->durable);
    p->filter = copy(cfg->filter);
    p->what = copy(cfg->what);
    size_t len = strlen("$JS.API.CONSUMER.MSG.NEXT..") + strlen(cfg->stream) + strlen(cfg->durable) + 1;
    p->pull_subject = malloc(len);
    if (!p->pull_subject)
        abort();
    snprintf(p->pull_subject, len, "$JS.API.CONSUMER.MSG.NEXT.%s.%s", cfg->stream, cfg->durable);
    p->ack_wait_ms = cfg->ack_wait_ms;
    p->batch = cfg->batch;
    p->ctx_destroy = cfg->ctx_destroy;
    p->handle = cfg->handle;
    p->ready = cfg->ready;
    p->idle = cfg->idle;
    p->workers = calloc((size_t)cfg->workers, sizeof *p->workers);
    if (!p->workers)
        abort();
    for (; p->nworkers < cfg->workers; p->nworkers++) {
        vx_pull_worker *w = &p->workers[p->nworkers];
        w->owner = p;
        w->ctx = cfg->ctx_create(cfg->arg, p->nworkers, &p->stop);
        if (!w->ctx) {
            vx_pull_destroy(p); /* the contexts made so far */
            return NULL;
        }
    }
    return p;
}

int vx_pull_start(vx_pull *p)
{
    if (ensure_durable(p) != 0)
        return -1;
    for (int i = 0; i < p->nworkers; i++)
        if (p->workers[i].sub == NULL && subscribe(p, &p->workers[i]) != 0)
            return -1;
    for (int i = 0; i < p->nworkers; i++) {
        vx_pull_worker *w = &p->workers[i];
        if (w->started)
            continue;
        if (pthread_create(&w->thread, NULL, worker_run, w) != 0) {
            vx_log_error(NULL, NULL, "cannot start worker thread", "consumer", p->durable);
            return -1;
        }
        w->started = true;
    }
    char msg[160], n[16];
    snprintf(msg, sizeof msg, "consuming %s", p->what);
    snprintf(n, sizeof n, "%d", p->nworkers);
    vx_log_info(NULL, NULL, msg, "consumer", p->durable, "workers", n);
    return 0;
}

void vx_pull_stop(vx_pull *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    for (int i = 0; i < p->nworkers; i++) {
        vx_pull_worker *w = &p->workers[i];
        if (w->started) {
            pthread_join(w->thread, NULL);
            w->started = false;
        }
    }
}

void vx_pull_destroy(vx_pull *p)
{
    if (!p)
        return;
    vx_pull_stop(p);
    for (int i = 0; i < p->nworkers; i++) {
        natsSubscription_Destroy(p->workers[i].sub);
        if (p->workers[i].ctx)
            p->ctx_destroy(p->workers[i].ctx);
    }
    free(p->workers);
    free(p->stream);
    free(p->durable);
    free(p->filter);
    free(p->what);
    free(p->pull_subject);
    free(p);
}
