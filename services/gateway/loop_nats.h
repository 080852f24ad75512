/*
 * loop_nats: a loop thread's own NATS connection, served by its h2o loop.
 *
 * Each gateway loop thread publishes its requests on a connection of its own
 * in cnats' event-loop mode: the loop watches the socket (a dup of it: h2o
 * closes what it watches, cnats closes its own), cnats reads it when h2o says
 * it is readable, and the replies it parsed are taken from a synchronous
 * inbox subscription right there, on the loop thread. Publishes made during
 * one turn of the loop leave in one write at the end of that turn. So a
 * request costs no thread hand-off and no lock contention, and under load one
 * read and one write carry many requests.
 *
 * cnats calls back from its own threads too (the reconnect thread attaches
 * the new socket, the ping timer writes): those calls only record what is
 * wanted and post a message to the loop, which applies it. Everything else
 * happens on the loop thread.
 *
 * "No responders" status messages are disabled on this connection: a
 * synchronous subscription would swallow them without saying which request
 * they answer. The gateway learns that a service is absent from its health
 * polls instead (readiness), and a request nobody answers times out.
 */
#ifndef GATEWAY_LOOP_NATS_H
#define GATEWAY_LOOP_NATS_H

#include <h2o.h>
#include <nats/nats.h>

typedef struct loop_nats loop_nats;

/* Called on the loop thread after cnats has read from the socket: take the
 * messages of the inbox subscription (natsSubscription_NextMsg(…, 0)). */
typedef void (*loop_nats_read_cb)(void *data);

/* Connects to url on the calling thread, which must be the loop's thread;
 * messages go through queue (the thread's h2o multithread queue). Returns
 * NULL (logged) on failure. */
loop_nats *loop_nats_connect(h2o_evloop_t *loop, h2o_multithread_queue_t *queue, const char *url, const char *name,
                             loop_nats_read_cb on_read, void *data);

natsConnection *loop_nats_connection(loop_nats *n);

/* Flushes what is buffered and closes the connection, on the loop thread.
 * The loop must turn once more afterwards so h2o frees the watched socket. */
void loop_nats_close(loop_nats *n);

#endif
