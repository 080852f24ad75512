/*
 * pool: a mutex-guarded FIFO of deferred requests and the threads that
 * answer them (see pool.h). Handing over costs a lock and, when a thread is
 * idle, a wake-up — paid only by messages that are slow anyway.
 */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "dispatch.h"
#include "vx_log.h"
#include "vx_time.h"

typedef struct queued {
    vx_rpc_deferred *d;
    struct queued *next;
} queued;

typedef struct pool_thread {
    pool *owner;
    dispatch *dispatch; /* its database handle and org cache */
    pthread_t tid;
    bool running;
} pool_thread;

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    queued *head, *tail;
    size_t waiting, queue_max;
    bool stopping;
    int nthreads;
    pool_thread *threads;
};

/* The next request, or NULL once the pool stops and nothing is left. */
static vx_rpc_deferred *take(pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->head == NULL && !p->stopping)
        pthread_cond_wait(&p->ready, &p->lock);
    queued *q = p->head;
    if (q != NULL) {
        p->head = q->next;
        if (p->head == NULL)
            p->tail = NULL;
        p->waiting--;
    }
    pthread_mutex_unlock(&p->lock);
    if (q == NULL)
        return NULL;
    vx_rpc_deferred *d = q->d;
    free(q);
    return d;
}

/* True when the gateway's deadline for req has passed: it has answered the
 * caller already, so running the request would only spend the pool. */
static bool expired(const vx_gateway_request *req)
{
    return req->deadline_unix_ms > 0 && vx_now_ms() > req->deadline_unix_ms;
}

/* Answers d with a 503 without running it. */
static void refuse(pool *p, vx_rpc_deferred *d, const char *code, const char *message)
{
    vx_rpc_reply reply = {.content_type = "application/json"};
    vx_rpc_reply_error(&reply, 503, code, message);
    vx_rpc_deferred_answer(d, &reply);
}

static void *pool_main(void *arg)
{
    pool_thread *t = arg;
    vx_rpc_deferred *d;
    while ((d = take(t->owner)) != NULL) {
        const vx_gateway_request *req = vx_rpc_deferred_request(d);
        /* Under overload the queue grows behind slow calls: a request whose
         * deadline passed while it waited is dropped at once. */
        if (expired(req)) {
            vx_log_warn(req->request_id, NULL, "request expired in the pool queue: not run");
            refuse(t->owner, d, "expired", "The request waited past its deadline.");
            continue;
        }
        vx_rpc_reply reply = {.content_type = "application/json"};
        dispatch_request(t->dispatch, req, &reply);
        vx_rpc_deferred_answer(d, &reply);
    }
    return NULL;
}

pool *pool_create(int threads, size_t queue_max, const char *database_url, natsConnection *nc, const settings *config,
                  const vx_listener *listener)
{
    pool *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->threads = calloc((size_t)threads, sizeof(*p->threads))) == NULL)
        abort();
    p->nthreads = threads;
    p->queue_max = queue_max;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (int i = 0; i < threads; i++) {
        p->threads[i].owner = p;
        p->threads[i].dispatch = dispatch_create(database_url, nc, NULL, config, listener);
    }
    return p;
}

int pool_start(pool *p)
{
    for (int i = 0; i < p->nthreads; i++) {
        pool_thread *t = &p->threads[i];
        t->running = pthread_create(&t->tid, NULL, pool_main, t) == 0;
        if (!t->running) {
            vx_log_error(NULL, NULL, "pool thread failed to start");
            pool_stop(p);
            return -1;
        }
    }
    return 0;
}

void pool_submit(pool *p, vx_rpc_deferred *d)
{
    const vx_gateway_request *req = vx_rpc_deferred_request(d);
    if (expired(req)) {
        vx_log_warn(req->request_id, NULL, "request arrived after its deadline: not run");
        refuse(p, d, "expired", "The request arrived after its deadline.");
        return;
    }
    queued *q = malloc(sizeof(*q));
    if (q == NULL)
        abort();
    q->d = d;
    q->next = NULL;
    pthread_mutex_lock(&p->lock);
    bool full = p->waiting >= p->queue_max;
    if (!full) {
        if (p->tail != NULL)
            p->tail->next = q;
        else
            p->head = q;
        p->tail = q;
        p->waiting++;
        pthread_cond_signal(&p->ready);
    }
    pthread_mutex_unlock(&p->lock);
    if (full) {
        free(q);
        vx_log_warn(req->request_id, NULL, "pool queue full: request refused");
        refuse(p, d, "overloaded", "The service is busy. Please retry.");
    }
}

void pool_stop(pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++) {
        if (p->threads[i].running)
            pthread_join(p->threads[i].tid, NULL);
        p->threads[i].running = false;
    }
}

void pool_destroy(pool *p)
{
    if (p == NULL)
        return;
    pool_stop(p);
    for (int i = 0; i < p->nthreads; i++)
        dispatch_destroy(p->threads[i].dispatch);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->ready);
    free(p->threads);
    free(p);
}
