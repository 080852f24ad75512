/*
 * vx_signal: SIGINT/SIGTERM blocked in every thread and received with sigwait.
 */
#include "vx_signal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

static atomic_bool stop_requested;

static void termination_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void vx_signal_block_termination(void)
{
    sigset_t set;
    termination_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* A peer closing a socket must be an error return, never a process kill. */
    signal(SIGPIPE, SIG_IGN);
}

int vx_signal_wait_termination(void)
{
    sigset_t set;
    int sig = 0;
    termination_set(&set);
    while (sigwait(&set, &sig) != 0)
        ;
    atomic_store(&stop_requested, true);
    return sig;
}

int vx_signal_wait_termination_ms(int ms)
{
    sigset_t set;
    termination_set(&set);
    struct timespec timeout = {ms / 1000, (long)(ms % 1000) * 1000000L};
    int sig = sigtimedwait(&set, NULL, &timeout);
    if (sig > 0)
        atomic_store(&stop_requested, true);
    return sig > 0 ? sig : 0;
}

bool vx_signal_stop_requested(void)
{
    return atomic_load(&stop_requested);
}
