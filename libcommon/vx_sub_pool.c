/*
 * vx_sub_pool: one subscription, one FIFO, n threads (vx_sub_pool.h).
 */
#include "vx_sub_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vx_log.h"
#include "vx_nats.h"

#define POOL_MAX_THREADS 64

typedef struct queued {
    natsMsg *msg;
    struct queued *next;
} queued;

typedef struct pool_thread {
    vx_sub_pool *pool;
    void *state;
    pthread_t tid;
    bool started;
} pool_thread;

struct vx_sub_pool {
    natsConnection *nc;
    vx_served_sub served;
    vx_sub_pool_handler handler;
    pthread_mutex_t mu;
    pthread_cond_t ready;
    queued *head, *tail; /* oldest first */
    bool closed;         /* no message will be appended any more */
    bool stopped;
    size_t n;
    pool_thread threads[];
};

/* On cnats's delivery thread: append, wake one thread, return at once. */
static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    vx_sub_pool *p = closure;
    queued *q = malloc(sizeof(*q));
    if (q == NULL)
        abort();
    q->msg = msg;
    q->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail != NULL)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->mu);
}

/* The oldest message, waiting for one; NULL once closed and empty. */
static natsMsg *take(vx_sub_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->head == NULL && !p->closed)
        pthread_cond_wait(&p->ready, &p->mu);
    queued *q = p->head;
    if (q != NULL) {
        p->head = q->next;
        if (p->head == NULL)
            p->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    natsMsg *msg = q != NULL ? q->msg : NULL;
    free(q);
    return msg;
}

static void *serve(void *arg)
{
    pool_thread *t = arg;
    natsMsg *msg;
    while ((msg = take(t->pool)) != NULL)
        t->pool->handler(t->state, t->pool->nc, msg);
    return NULL;
}

vx_sub_pool *vx_sub_pool_start(natsConnection *nc, const char *subject, const char *queue, vx_sub_pool_handler handler,
                               void *const *states, size_t n)
{
    if (n == 0 || n > POOL_MAX_THREADS) {
        vx_log_error(NULL, NULL, "subscription pool: bad thread count", "subject", subject);
        return NULL;
    }
    vx_sub_pool *p = calloc(1, sizeof(*p) + n * sizeof(pool_thread));
    if (p == NULL)
        abort();
    p->nc = nc;
    p->handler = handler;
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (size_t i = 0; i < n; i++) {
        p->threads[i].pool = p;
        p->threads[i].state = states[i];
        if (pthread_create(&p->threads[i].tid, NULL, serve, &p->threads[i]) != 0) {
            vx_log_error(NULL, NULL, "subscription pool: cannot start a thread", "subject", subject);
            vx_sub_pool_destroy(p);
            return NULL;
        }
        p->threads[i].started = true;
    }
    p->served.nc = nc;
    natsStatus s = natsConnection_QueueSubscribe(&p->served.sub, nc, subject, queue, on_message, p);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "subscribe failed", "subject", subject, "error", natsStatus_GetText(s));
        vx_sub_pool_destroy(p);
        return NULL;
    }
    /* The stop waits until on_message has returned for the last time. */
    if (vx_served_sub_track(&p->served, NULL, NULL) != 0) {
        vx_sub_pool_destroy(p);
        return NULL;
    }
    /* Serving once this returns: the server has the interest (a request sent
     * before would find no responder). */
    natsConnection_FlushTimeout(nc, 2000);
    return p;
}

void vx_sub_pool_stop(vx_sub_pool *p)
{
    if (p == NULL || p->stopped)
        return;
    p->stopped = true;
    /* First nothing more from NATS (the drain hands over what cnats holds),
     * then the threads finish the line and see it closed. */
    vx_served_sub_stop(&p->served);
    vx_served_sub_end(&p->served);
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (p->threads[i].started)
            pthread_join(p->threads[i].tid, NULL);
}

void vx_sub_pool_destroy(vx_sub_pool *p)
{
    if (p == NULL)
        return;
    vx_sub_pool_stop(p);
    /* Only a start that failed half-way leaves messages: none is handled. */
    for (queued *q = p->head, *next; q != NULL; q = next) {
        next = q->next;
        natsMsg_Destroy(q->msg);
        free(q);
    }
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
