/*
 * vx_signal: graceful shutdown on SIGINT/SIGTERM without signal handlers.
 *
 * main() calls vx_signal_block_termination() before starting any thread (so
 * every thread inherits the blocked mask and no library thread is interrupted),
 * wires everything, then calls vx_signal_wait_termination(), which returns the
 * signal once one arrives. There is no race between a flag check and a sleep.
 */
#ifndef VX_SIGNAL_H
#define VX_SIGNAL_H

#include <stdbool.h>

void vx_signal_block_termination(void);
/* Blocks until SIGINT or SIGTERM; returns the signal number. */
int vx_signal_wait_termination(void);
/* Waits up to ms for SIGINT or SIGTERM (blocked by vx_signal_block_termination);
 * returns the signal number, or 0 when none came. Lets a start-up wait be
 * interrupted. Where the signals are not blocked it only sleeps. */
int vx_signal_wait_termination_ms(int ms);
/* True once one of the waits above has returned a signal: the process was
 * asked to stop. A service stopped while it was still starting (waiting for
 * NATS) exits 0 like any stop, not as a failed start-up. */
bool vx_signal_stop_requested(void);

#endif
