/*
 * vx_listen: a cache's way to hear that the database changed.
 *
 * A listener thread holds its own connection, LISTENs on a channel (sent by
 * triggers with pg_notify) and bumps a generation counter on every
 * notification, on every (re)connect and on every disconnect — while it is
 * not listening nothing tells us about changes, so callers should also keep
 * their entries short-lived when vx_listener_live() is false. A cache reads
 * the generation before each look-up and drops everything when it moved.
 * The listener reconnects with backoff (100 ms to 5 s) and checks a quiet
 * connection every 30 s; keepalives notice one dropped silently.
 */
#ifndef VX_LISTEN_H
#define VX_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

/* Sent by triggers on agents and organizations (migrations/0004_call_tools.sql):
 * whatever maps assistants, numbers or metadata to an org may have changed. */
#define VX_CHANNEL_AGENTS_CHANGED "voxanne_agents_changed"
/* Sent at commit when an org's agent became stale (migrations/0021_agent_inputs.sql):
 * tool-sync's sweep has work. */
#define VX_CHANNEL_AGENT_SYNC "voxanne_agent_sync"

/* Called on the listener's thread whenever the generation moves. */
typedef void (*vx_listener_fn)(void *arg);

typedef struct vx_listener vx_listener;

/* Creates a listener for channel (nothing runs yet: generation 1, not live).
 * NULL only when its wake-up pipe cannot be made (logged). The caller owns
 * it (vx_listener_destroy). */
vx_listener *vx_listener_create(const char *conninfo, const char *channel, const char *application_name);
/* Sets what is called each time the generation moves (before start; NULL
 * for nothing): for a worker that sleeps until there is work, rather than a
 * cache that checks the generation at each look-up. */
void vx_listener_on_change(vx_listener *l, vx_listener_fn fn, void *arg);
/* Starts the thread (it connects in the background). 0, or -1 (logged) when
 * the thread cannot be created. */
int vx_listener_start(vx_listener *l);
/* Stops the thread (at once) and waits for it. Frees nothing; a listener not
 * running (or NULL) is left alone. */
void vx_listener_stop(vx_listener *l);
/* Stops the listener if it runs, then frees it. NULL is fine. */
void vx_listener_destroy(vx_listener *l);
/* Changes every time the watched data may have changed. */
uint64_t vx_listener_generation(const vx_listener *l);
/* True while LISTEN is in effect on a live connection. */
bool vx_listener_live(const vx_listener *l);

#endif
