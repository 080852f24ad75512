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

void vx_signal_block_termination(void);
/* Blocks until SIGINT or SIGTERM; returns the signal number. */
int vx_signal_wait_termination(void);

#endif
