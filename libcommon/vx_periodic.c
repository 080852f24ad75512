/*
 * vx_periodic: one thread, one job, run again and again (see vx_periodic.h).
 */
#include "vx_periodic.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vx_log.h"

struct vx_periodic {
    char name[64];
    vx_periodic_pass pass;
    void *arg;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* under lock */
    bool woken;    /* under lock: run the next pass now */
};

vx_periodic *vx_periodic_create(const char *name, vx_periodic_pass pass, void *arg)
{
    vx_periodic *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    strncpy(p->name, name, sizeof p->name - 1);
    p->pass = pass;
    p->arg = arg;
    pthread_condattr_t attr;
    if (pthread_mutex_init(&p->lock, NULL) != 0 || pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&p->wake, &attr) != 0)
        abort();
    pthread_condattr_destroy(&attr);
    return p;
}

bool vx_periodic_stopping(vx_periodic *p)
{
    pthread_mutex_lock(&p->lock);
    bool s = p->stopping;
    pthread_mutex_unlock(&p->lock);
    return s;
}

static void *periodic_main(void *arg)
{
    vx_periodic *p = arg;
    while (!vx_periodic_stopping(p)) {
        long wait_ms = p->pass(p, p->arg);
        if (wait_ms < 1)
            wait_ms = 1;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&p->lock);
        while (!p->stopping && !p->woken && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
            ;
        p->woken = false;
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int vx_periodic_start(vx_periodic *p)
{
    int rc = pthread_create(&p->thread, NULL, periodic_main, p);
    if (rc != 0) {
        vx_log_error(NULL, NULL, "cannot start a background thread", "job", p->name, "error", strerror(rc));
        return -1;
    }
    p->started = true;
    return 0;
}

void vx_periodic_wake(vx_periodic *p)
{
    pthread_mutex_lock(&p->lock);
    p->woken = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void vx_periodic_stop(vx_periodic *p)
{
    if (!p || !p->started)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->started = false;
}

void vx_periodic_destroy(vx_periodic *p)
{
    if (!p)
        return;
    vx_periodic_stop(p);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
