/*
 * events: the live feed, the fetch worker and the stream counts (see events.h).
 */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "sse.h"
#include "voxanne/v1/events.pb-c.h"
#include "vx_events.h"
#include "vx_log.h"

/* A catch-up page: what one fetch reads at most before the client's output
 * must drain (so a client resuming from far back is fed at its own pace,
 * never holding more than about a page and its buffer). */
#define FETCH_PAGE_BYTES  (256 * 1024)
#define FETCH_PAGE_EVENTS 1024
#define ORG_BUCKETS       256

typedef struct org_count {
    struct org_count *next;
    int n;
    char org_id[EVENTS_ORG_MAX + 1];
} org_count;

struct events {
    struct gateway *gw;
    jsCtx *js;
    natsSubscription *feed;
    bool started;
    atomic_bool ready; /* events_set_ready: gw->threads may be read */
    bool feed_made;
    bool feed_done; /* under mu: the feed's handler has returned for the last time */

    /* The fetch worker's queue. */
    pthread_t worker;
    bool worker_running;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    events_fetch **queue;
    size_t qhead, qlen, qcap;
    bool stopping;

    /* Streams open, under counts_mu. */
    pthread_mutex_t counts_mu;
    org_count *orgs[ORG_BUCKETS];
    int total;
};

/* ---- Items ---- */

events_item *events_item_ref(events_item *it)
{
    atomic_fetch_add_explicit(&it->refs, 1, memory_order_relaxed);
    return it;
}

void events_item_unref(events_item *it)
{
    if (it != NULL && atomic_fetch_sub_explicit(&it->refs, 1, memory_order_acq_rel) == 1)
        free(it);
}

events_item *events_item_from_msg(const char *subject, const void *data, size_t len, uint64_t seq)
{
    static const size_t prefix_len = sizeof(VX_EVENTS_SUBJECT_PREFIX) - 1;
    if (subject == NULL || strncmp(subject, VX_EVENTS_SUBJECT_PREFIX, prefix_len) != 0)
        return NULL;
    const char *org = subject + prefix_len;
    const char *dot = strchr(org, '.');
    if (dot == NULL || dot == org || (size_t)(dot - org) > EVENTS_ORG_MAX || dot[1] == '\0')
        return NULL;
    size_t org_len = (size_t)(dot - org);
    const char *type = dot + 1;
    Voxanne__V1__DomainEvent *ev = voxanne__v1__domain_event__unpack(NULL, len, data);
    if (ev == NULL || strlen(ev->org_id) != org_len || memcmp(ev->org_id, org, org_len) != 0 || strcmp(ev->type, type) != 0) {
        char s[24];
        snprintf(s, sizeof(s), "%llu", (unsigned long long)seq);
        vx_log_warn(ev != NULL ? ev->request_id : NULL, NULL, "event not streamed: not a DomainEvent of its subject", "seq", s,
                    "subject", subject);
        if (ev != NULL)
            voxanne__v1__domain_event__free_unpacked(ev, NULL);
        return NULL;
    }
    vx_buf frame = VX_BUF_INIT;
    sse_format_frame(&frame, seq, ev->type, strlen(ev->type), (const char *)ev->data_json.data, ev->data_json.len);
    events_item *it = malloc(sizeof(*it) + frame.len + 1);
    if (it == NULL)
        abort();
    atomic_init(&it->refs, 1);
    it->seq = seq;
    memcpy(it->org_id, org, org_len);
    it->org_id[org_len] = '\0';
    it->len = frame.len;
    memcpy(it->frame, frame.data, frame.len + 1);
    vx_buf_free(&frame);
    voxanne__v1__domain_event__free_unpacked(ev, NULL);
    return it;
}

void events_fetch_free(events_fetch *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->nitems; i++)
        events_item_unref(f->items[i]);
    free(f->items);
    free(f);
}

/* ---- The live feed (a cnats thread) ---- */

static void on_feed_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    events *e = closure;
    jsMsgMetaData *meta = NULL;
    /* Before ready no stream can be open (sse_serve refuses), so nothing
     * is missed by dropping. */
    if (atomic_load_explicit(&e->ready, memory_order_acquire) && natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        events_item *it = events_item_from_msg(natsMsg_GetSubject(msg), natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg),
                                               meta->Sequence.Stream);
        for (int i = 0; it != NULL && i < e->gw->cfg.threads; i++)
            sse_thread_post(&e->gw->threads[i], it);
        events_item_unref(it);
    }
    jsMsgMetaData_Destroy(meta);
    natsMsg_Destroy(msg);
}

static void on_feed_complete(void *closure)
{
    events *e = closure;
    pthread_mutex_lock(&e->mu);
    e->feed_done = true;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

static int subscribe_feed(events *e)
{
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = VX_EVENTS_STREAM; /* no lookup of the stream by subject (STREAM.NAMES is not the gateway's) */
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverNew;
    jsErrCode jerr = 0;
    natsStatus s = js_Subscribe(&e->feed, e->js, VX_EVENTS_SUBJECT_PREFIX ">", on_feed_msg, e, NULL, &so, &jerr);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(e->feed, -1, 64 * 1024 * 1024);
    if (s == NATS_OK)
        s = natsSubscription_SetOnCompleteCB(e->feed, on_feed_complete, e);
    if (s != NATS_OK) {
        char code[16];
        snprintf(code, sizeof(code), "%d", (int)jerr);
        vx_log_error(NULL, NULL, "cannot subscribe to the EVENTS stream", "error", natsStatus_GetText(s), "js_code", code);
        return -1;
    }
    e->feed_made = true;
    return 0;
}

/* ---- The fetch worker ---- */

static void fetch_push(events_fetch *f, events_item *it)
{
    if (f->nitems == f->cap) {
        f->cap = f->cap == 0 ? 32 : f->cap * 2;
        f->items = realloc(f->items, f->cap * sizeof(*f->items));
        if (f->items == NULL)
            abort();
    }
    f->items[f->nitems++] = it;
}

/* Reads f's page: direct gets of the next event of the org after each one,
 * until the stream has none (NATS_NOT_FOUND) or the page is full. */
static void fetch_run(events *e, events_fetch *f)
{
    char filter[sizeof(VX_EVENTS_SUBJECT_PREFIX) + EVENTS_ORG_MAX + 4];
    snprintf(filter, sizeof(filter), "%s%s.>", VX_EVENTS_SUBJECT_PREFIX, f->org_id);
    uint64_t next = f->after + 1;
    size_t bytes = 0;
    for (;;) {
        if (bytes >= FETCH_PAGE_BYTES || f->nitems >= FETCH_PAGE_EVENTS) {
            f->more = true;
            return;
        }
        jsDirectGetMsgOptions o;
        jsDirectGetMsgOptions_Init(&o);
        o.Sequence = next;
        o.NextBySubject = filter;
        natsMsg *msg = NULL;
        natsStatus s = js_DirectGetMsg(&msg, e->js, VX_EVENTS_STREAM, NULL, &o);
        if (s == NATS_NOT_FOUND)
            return;
        if (s != NATS_OK) {
            vx_log_error(NULL, f->org_id, "cannot read missed events", "error", natsStatus_GetText(s));
            f->failed = true;
            return;
        }
        uint64_t seq = natsMsg_GetSequence(msg);
        events_item *it = seq >= next ? events_item_from_msg(natsMsg_GetSubject(msg), natsMsg_GetData(msg),
                                                             (size_t)natsMsg_GetDataLength(msg), seq)
                                      : NULL;
        natsMsg_Destroy(msg);
        if (seq < next) { /* never: the server answers at or after the sequence asked */
            f->failed = true;
            return;
        }
        if (it != NULL) {
            bytes += it->len;
            fetch_push(f, it);
        }
        next = seq + 1;
    }
}

static void *worker_main(void *arg)
{
    events *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (e->qlen == 0 && !e->stopping)
            pthread_cond_wait(&e->cond, &e->mu);
        if (e->qlen == 0)
            break;
        events_fetch *f = e->queue[e->qhead];
        e->qhead = (e->qhead + 1) % e->qcap;
        e->qlen--;
        bool stopping = e->stopping;
        pthread_mutex_unlock(&e->mu);
        if (stopping)
            f->failed = true;
        else
            fetch_run(e, f);
        h2o_multithread_send_message(f->reply_to, &f->super);
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

void events_fetch_submit(events *e, events_fetch *f)
{
    pthread_mutex_lock(&e->mu);
    if (e->stopping || !e->worker_running) {
        pthread_mutex_unlock(&e->mu);
        f->failed = true;
        h2o_multithread_send_message(f->reply_to, &f->super);
        return;
    }
    if (e->qlen == e->qcap) {
        size_t cap = e->qcap == 0 ? 64 : e->qcap * 2;
        events_fetch **q = malloc(cap * sizeof(*q));
        if (q == NULL)
            abort();
        for (size_t i = 0; i < e->qlen; i++)
            q[i] = e->queue[(e->qhead + i) % e->qcap];
        free(e->queue);
        e->queue = q;
        e->qhead = 0;
        e->qcap = cap;
    }
    e->queue[(e->qhead + e->qlen) % e->qcap] = f;
    e->qlen++;
    pthread_cond_signal(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

/* ---- Stream counts ---- */

static size_t org_bucket(const char *org_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)org_id; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return h % ORG_BUCKETS;
}

events_admit_status events_admit(events *e, const char *org_id)
{
    const gateway_config *cfg = &e->gw->cfg;
    pthread_mutex_lock(&e->counts_mu);
    org_count **slot = &e->orgs[org_bucket(org_id)];
    org_count *c = *slot;
    while (c != NULL && strcmp(c->org_id, org_id) != 0)
        c = c->next;
    events_admit_status st = EVENTS_ADMIT_OK;
    if (c != NULL && c->n >= cfg->sse_max_per_org)
        st = EVENTS_ADMIT_ORG_FULL;
    else if (e->total >= cfg->sse_max_clients)
        st = EVENTS_ADMIT_FULL;
    if (st == EVENTS_ADMIT_OK) {
        if (c == NULL) {
            c = calloc(1, sizeof(*c));
            if (c == NULL)
                abort();
            snprintf(c->org_id, sizeof(c->org_id), "%s", org_id);
            c->next = *slot;
            *slot = c;
        }
        c->n++;
        e->total++;
    }
    pthread_mutex_unlock(&e->counts_mu);
    return st;
}

void events_release(events *e, const char *org_id)
{
    pthread_mutex_lock(&e->counts_mu);
    org_count **p = &e->orgs[org_bucket(org_id)];
    while (*p != NULL && strcmp((*p)->org_id, org_id) != 0)
        p = &(*p)->next;
    if (*p != NULL) {
        e->total--;
        if (--(*p)->n == 0) {
            org_count *gone = *p;
            *p = gone->next;
            free(gone);
        }
    }
    pthread_mutex_unlock(&e->counts_mu);
}

/* ---- Life ---- */

events *events_create(struct gateway *gw)
{
    events *e = calloc(1, sizeof(*e));
    if (e == NULL)
        abort();
    e->gw = gw;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cond, NULL);
    pthread_mutex_init(&e->counts_mu, NULL);
    return e;
}

int events_start(events *e)
{
    natsStatus s = natsConnection_JetStream(&e->js, e->gw->nc, NULL);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "jetstream context failed", "error", natsStatus_GetText(s));
        return -1;
    }
    if (vx_events_ensure_stream(e->js) != 0)
        return -1;
    e->started = true;
    if (pthread_create(&e->worker, NULL, worker_main, e) != 0) {
        vx_log_error(NULL, NULL, "cannot start the events fetch thread");
        return -1;
    }
    pthread_mutex_lock(&e->mu);
    e->worker_running = true;
    pthread_mutex_unlock(&e->mu);
    return subscribe_feed(e);
}

void events_set_ready(events *e)
{
    atomic_store_explicit(&e->ready, true, memory_order_release);
}

bool events_ready(events *e)
{
    return e != NULL && atomic_load_explicit(&e->ready, memory_order_acquire);
}

void events_stop(events *e)
{
    if (e == NULL || !e->started)
        return;
    e->started = false;
    /* The feed's handler drops what still comes (not ready); the
     * subscription itself is destroyed in events_destroy, after the NATS
     * connection is closed: cnats 3.4.1 recreates an ordered consumer on a
     * thread of its own after a reconnect, and destroying the subscription
     * and its JetStream context under that thread was seen (TSan, after a
     * NATS restart) locking a destroyed mutex. A closed connection ends it. */
    atomic_store(&e->ready, false);
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    bool running = e->worker_running;
    e->worker_running = false;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
    if (running)
        pthread_join(e->worker, NULL);
}

void events_destroy(events *e)
{
    if (e == NULL)
        return;
    events_stop(e);
    bool feed = e->feed != NULL;
    natsSubscription_Destroy(e->feed);
    e->feed = NULL;
    pthread_mutex_lock(&e->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    while (feed && !e->feed_done && pthread_cond_timedwait(&e->cond, &e->mu, &until) == 0)
        ;
    if (feed && !e->feed_done)
        vx_log_warn(NULL, NULL, "the events feed did not confirm its end");
    pthread_mutex_unlock(&e->mu);
    pthread_mutex_lock(&e->mu);
    bool handler_done = !e->feed_made || e->feed_done;
    pthread_mutex_unlock(&e->mu);
    if (!handler_done) /* kept (reachable from the gateway) rather than freed under a running handler */
        return;
    jsCtx_Destroy(e->js);
    free(e->queue);
    for (size_t i = 0; i < ORG_BUCKETS; i++)
        while (e->orgs[i] != NULL) {
            org_count *c = e->orgs[i];
            e->orgs[i] = c->next;
            free(c);
        }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->counts_mu);
    free(e);
}
