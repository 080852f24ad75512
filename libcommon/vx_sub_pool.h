/*
 * vx_sub_pool: one queue subscription served by several threads from one
 * line of waiting messages.
 *
 * Why not a subscription per thread: NATS hands each message of a queue group
 * to one member at random, and a member's messages wait behind whatever it
 * is doing, even while another member sits idle. For handlers that take a
 * while (rag-search embeds a question: ~1 ms of CPU) that is a queue per
 * thread instead of one for all, and a request's wait depends on which line
 * it was put in: the tail grows and cores idle. Here cnats's delivery thread
 * only appends each message to one FIFO, and every thread takes the oldest
 * when it is free.
 *
 * The stop drains: no new message is taken from NATS, and those already
 * received are still handled (answered) before vx_sub_pool_stop returns —
 * the connection must stay open until then.
 */
#ifndef VX_SUB_POOL_H
#define VX_SUB_POOL_H

#include <stddef.h>

#include <nats/nats.h>

/* Handles one message on a pool thread, with that thread's own state (the
 * n states given at start: per-thread scratch, a connection, ...). The
 * handler owns msg and destroys it. */
typedef void (*vx_sub_pool_handler)(void *state, natsConnection *nc, natsMsg *msg);

typedef struct vx_sub_pool vx_sub_pool;

/* Subscribes to subject in queue group queue on nc and starts one thread per
 * state (1 <= n <= 64; the states are not owned and must outlive the pool);
 * returns once the server knows the subscription. NULL (logged) on failure,
 * with nothing left running. */
vx_sub_pool *vx_sub_pool_start(natsConnection *nc, const char *subject, const char *queue, vx_sub_pool_handler handler,
                               void *const *states, size_t n);
/* Stops taking messages, handles those received, joins the threads. Safe to
 * call twice; NULL does nothing. */
void vx_sub_pool_stop(vx_sub_pool *p);
/* Stops if needed, then frees. */
void vx_sub_pool_destroy(vx_sub_pool *p);

#endif
