/*
 * vx_natsloop: a NATS connection served by its owner thread's own poll loop.
 *
 * cnats normally reads on a thread of its own and hands every message to a
 * delivery thread, and with SendAsap writes each publish with its own
 * syscall. On a busy request/reply path those hand-offs and writes cost more
 * than the work itself (profiled: futex wake-ups and one write per reply).
 * Here the connection runs in cnats' event-loop mode: the owner thread reads
 * the socket itself (vx_natsloop_poll), takes the messages of its synchronous
 * subscriptions with natsSubscription_NextMsg(…, 0) on the same thread, and
 * every reply published meanwhile leaves in one write (vx_natsloop_flush).
 * Under load one turn of the loop carries many requests; idle, a request
 * still costs one turn.
 *
 * Only the owner thread may call poll and flush. Publishing from other
 * threads works (cnats locks) but waits for the owner's next turn; a blocking
 * natsConnection_Request on this connection from the owner thread would wait
 * for itself, so blocking requests belong on an ordinary connection.
 */
#ifndef VX_NATSLOOP_H
#define VX_NATSLOOP_H

#include <nats/nats.h>
#include <stdbool.h>

typedef struct vx_natsloop vx_natsloop;

/* Connects to url as client name (vx_nats options: reconnect forever, etc.).
 * The calling thread becomes the owner. Returns NULL (logged) on failure. */
vx_natsloop *vx_natsloop_connect(const char *url, const char *name);

natsConnection *vx_natsloop_connection(vx_natsloop *l);

/* Waits up to timeout_ms for the socket or a wake-up, then reads what has
 * arrived (messages land in their subscriptions) and writes what is waiting. */
void vx_natsloop_poll(vx_natsloop *l, int timeout_ms);

/* Writes what was published since the last turn, now: one write(2), which
 * the kernel may take in part — the rest goes out in the next turns. */
void vx_natsloop_flush(vx_natsloop *l);

/* A message to ourselves, through the server, on any connection nc: the
 * server handles a connection's input in order, so once it is back,
 * everything sent before it has taken effect and everything the server sent
 * us before it has arrived. Returns its subscription (caller destroys), NULL
 * on failure (logged). vx_natsloop_marker_back tells, without waiting,
 * whether it is back. */
natsSubscription *vx_natsloop_send_marker(natsConnection *nc);
bool vx_natsloop_marker_back(natsSubscription *marker);

/* Returns true once the server has read everything published before the
 * call (a message to ourselves came back: the server handles a connection's
 * input in order), driving the loop meanwhile; false after timeout_ms. */
bool vx_natsloop_sync(vx_natsloop *l, int timeout_ms);

/* Closes the connection and frees l — after vx_natsloop_sync (up to 5 s):
 * cnats closes with a reset that would discard unread output. */
void vx_natsloop_destroy(vx_natsloop *l);

#endif
