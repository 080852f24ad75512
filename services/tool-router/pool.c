/*
 * pool: a mutex-guarded FIFO of deferred requests and the threads that
 * answer them (see pool.h). Handing over costs a lock and, when a thread is
 * idle, a wake-up — paid only by messages that are slow anyway.
 */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "router.h"
#include "vx_log.h"
#include "vx_time.h"

typedef struct queued {
    vx_rpc_deferred *d;
    struct queued *next;
} queued;

typedef struct pool_thread {
    router_pool *pool;
    router_worker state; /* its database handle and org cache */
    pthread_t tid;
    bool running;
} pool_thread;

struct router_pool {
    natsConnection *nc;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    queued *head, *tail;
    bool stopping;
    int nthreads;
    pool_thread *threads;
};

/* The next request, or NULL once the pool stops and nothing is left. */
static vx_rpc_deferred *take(router_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->head == NULL && !p->stopping)
        pthread_cond_wait(&p->ready, &p->lock);
    queued *q = p->head;
    if (q != NULL) {
        p->head = q->next;
        if (p->head == NULL)
            p->tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (q == NULL)
        return NULL;
    vx_rpc_deferred *d = q->d;
    free(q);
    return d;
}

static void *pool_main(void *arg)
{
    pool_thread *t = arg;
    vx_rpc_deferred *d;
    while ((d = take(t->pool)) != NULL) {
        const vx_gateway_request *req = vx_rpc_deferred_request(d);
        vx_rpc_reply reply = {.content_type = "application/json"};
        /* Under overload the queue grows behind slow calls; a request whose
         * deadline passed while it waited has been answered by the gateway
         * already. Dropping it at once keeps the pool for callers still waiting. */
        if (req->deadline_unix_ms > 0 && vx_now_ms() > req->deadline_unix_ms) {
            vx_log_warn(req->request_id, NULL, "request expired in the pool queue: not run");
            vx_rpc_reply_error(&reply, 503, "expired", "The request waited past its deadline.");
        } else {
            router_handle(&t->state, req, &reply);
        }
        vx_rpc_deferred_answer(d, t->pool->nc, &reply);
    }
    return NULL;
}

router_pool *router_pool_start(int threads, const char *database_url, natsConnection *nc, const struct tool_settings *settings,
                               const vx_listener *listener)
{
    router_pool *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->threads = calloc((size_t)threads, sizeof(*p->threads))) == NULL)
        abort();
    p->nc = nc;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (int i = 0; i < threads; i++) {
        pool_thread *t = &p->threads[i];
        t->pool = p;
        router_worker_init(&t->state, database_url, nc, NULL, settings, listener);
        t->running = pthread_create(&t->tid, NULL, pool_main, t) == 0;
        p->nthreads++;
        if (!t->running) {
            vx_log_error(NULL, NULL, "pool thread failed to start");
            router_pool_stop(p);
            return NULL;
        }
    }
    return p;
}

void router_pool_submit(router_pool *p, vx_rpc_deferred *d)
{
    queued *q = malloc(sizeof(*q));
    if (q == NULL)
        abort();
    q->d = d;
    q->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail != NULL)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

void router_pool_stop(router_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++) {
        if (p->threads[i].running)
            pthread_join(p->threads[i].tid, NULL);
        router_worker_destroy(&p->threads[i].state);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->ready);
    free(p->threads);
    free(p);
}
