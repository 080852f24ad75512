/*
 * vx_periodic: a background thread that runs one pass of a job, sleeps, and
 * runs it again — the parked-message purge, the outbox relay, the
 * reconciliation with Vapi — with a stop that wakes it at once.
 *
 * The thread sleeps on a condition variable over CLOCK_MONOTONIC, so a stop
 * never waits out the interval and a wall-clock jump never shortens or
 * stretches it. A pass asks vx_periodic_stopping() between units of work to
 * end early when the service stops.
 */
#ifndef VX_PERIODIC_H
#define VX_PERIODIC_H

#include <stdbool.h>

typedef struct vx_periodic vx_periodic;

/* One pass of the job; returns how long to sleep before the next one, in
 * milliseconds (a job returns a shorter delay after a failure, for example). */
typedef long (*vx_periodic_pass)(vx_periodic *self, void *arg);

/* Creates the runner of pass(arg), named name in logs. Starts nothing. */
vx_periodic *vx_periodic_create(const char *name, vx_periodic_pass pass, void *arg);
/* Starts the thread: a first pass at once. 0, or -1 (logged). */
int vx_periodic_start(vx_periodic *p);
/* True once a stop was asked: a pass checks it between units of work. */
bool vx_periodic_stopping(vx_periodic *p);
/* Runs the next pass now instead of at its time (no-op when stopped). */
void vx_periodic_wake(vx_periodic *p);
/* Asks the thread to stop and returns when it has ended (the pass in progress
 * finishes first). A second call, or NULL, is a no-op. */
void vx_periodic_stop(vx_periodic *p);
/* Stops p if it runs, then frees it. NULL is a no-op. */
void vx_periodic_destroy(vx_periodic *p);

#endif
