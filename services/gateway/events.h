/*
 * events: the gateway's side of the EVENTS stream (libcommon/vx_events.h) —
 * one live feed for the whole gateway, catch-up reads for resuming clients,
 * and the count of open streams per org. The HTTP side is sse.h.
 *
 * Live: one ordered JetStream consumer (DeliverNew, filter "events.org.>")
 * on the shared connection gw->nc, whatever the number of clients. Its
 * callback runs on a cnats thread: it decodes each DomainEvent once, formats
 * its SSE frame once (an events_item, shared and reference-counted), and
 * posts it to every loop thread that has a stream open (sse_thread_post),
 * through h2o's multithread queue. An ordered consumer is cnats' own gapless
 * feed: it notices a missed sequence (or a reconnect) and re-creates the
 * consumer from the last sequence it delivered, so the loops see every event
 * once, in stream order. Why not a consumer per client: a consumer costs the
 * server state and a round trip per connect, and the fan-out would repeat
 * the decode for each client.
 *
 * Resume: a client that sends Last-Event-ID N is first registered for live
 * events (held back while it catches up), then its missed events are read
 * from the stream off the loop thread by a fetch worker — direct gets
 * ($JS.API.DIRECT.GET.EVENTS with seq and next_by_subj
 * "events.org.<org>.>", nats-server 2.9+) until the stream has no more — and
 * posted back to the client's loop thread. Every event stored before the
 * registration is found by the reads (they start after it), and every event
 * delivered after it is held back: together nothing is missed, and the held
 * back events whose sequence the reads already gave are dropped (the id is
 * the sequence), so nothing is sent twice. See docs/decisions.md.
 */
#ifndef GATEWAY_EVENTS_H
#define GATEWAY_EVENTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <h2o.h>
#include <nats/nats.h>

#include "vx_buf.h"

struct gateway;
struct sse_client;

#define EVENTS_ORG_MAX 64 /* an org id (a UUID) fits, with room */

/* One event as a client receives it. Immutable once made; shared by every
 * thread and client that sends it. */
typedef struct events_item {
    atomic_int refs;
    uint64_t seq; /* its EVENTS stream sequence: the SSE id */
    char org_id[EVENTS_ORG_MAX + 1];
    size_t len;
    char frame[]; /* "id: <seq>\nevent: <type>\ndata: <json>\n\n" */
} events_item;

/* Decodes a DomainEvent read from EVENTS at seq on subject and formats its
 * frame. NULL (logged) when it cannot be streamed: not a DomainEvent, or its
 * org or type differ from the subject's (the subject is what the publisher's
 * permissions vouch for). One reference, the caller's. */
events_item *events_item_from_msg(const char *subject, const void *data, size_t len, uint64_t seq);
events_item *events_item_ref(events_item *it);
void events_item_unref(events_item *it);

/* A catch-up read: the events of org_id after sequence `after`, at most a
 * page of them. Made by the loop thread, read by the fetch worker, posted
 * back to reply_to (the loop thread's receiver) as a message. */
typedef struct events_fetch {
    h2o_multithread_message_t super; /* first member: the receiver gets this pointer */
    h2o_multithread_receiver_t *reply_to;
    struct sse_client *client; /* loop thread only: NULL once the client is gone */
    char org_id[EVENTS_ORG_MAX + 1];
    uint64_t after;
    /* Filled by the worker. */
    events_item **items;
    size_t nitems, cap;
    bool more;   /* the page is full: read again after the last item */
    bool failed; /* not read (NATS error, or the gateway stops): the client must reconnect */
} events_fetch;

void events_fetch_free(events_fetch *f);

typedef enum {
    EVENTS_ADMIT_OK = 0,
    EVENTS_ADMIT_ORG_FULL = 1, /* the org has GATEWAY_SSE_MAX_PER_ORG streams open */
    EVENTS_ADMIT_FULL = 2,     /* the gateway has GATEWAY_SSE_MAX_CLIENTS streams open */
} events_admit_status;

typedef struct events events;

/* Reads its limits from gw->cfg; starts nothing. */
events *events_create(struct gateway *gw);
/* Ensures the EVENTS stream, starts the fetch worker and subscribes the live
 * feed, before the loop threads exist: what it hears is dropped until
 * events_set_ready. 0, or -1 (logged). */
int events_start(events *e);
/* The loop threads are set up (gw->threads is final): events flow to them,
 * and GET /api/events is served (before: 503). */
void events_set_ready(events *e);
bool events_ready(events *e);
/* Stops the worker (fetches not done yet are posted back as failed) and
 * the delivery of live events. Before the loop threads stop; twice is a no-op. */
void events_stop(events *e);
/* Destroys the feed's subscription and frees e: after the gateway's NATS
 * connection is closed (see events.c). */
void events_destroy(events *e);

/* Hands f to the fetch worker (any thread). */
void events_fetch_submit(events *e, events_fetch *f);

/* Counts one more stream of org, unless a limit says no. Any thread. */
events_admit_status events_admit(events *e, const char *org_id);
/* The stream admitted for org ended. */
void events_release(events *e, const char *org_id);

#endif
