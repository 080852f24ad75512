/*
 * sse: GET /api/events — an org's domain events as Server-Sent Events.
 *
 * Served by the gateway itself (never forwarded): a dashboard user's token
 * names the org, and the stream carries that org's events only, each as
 *
 *     id: <EVENTS stream sequence>
 *     event: <type>
 *     data: <the event's JSON on one line>
 *
 * with a ": ping" comment every GATEWAY_SSE_HEARTBEAT_MS so proxies keep the
 * connection and a vanished client is noticed (h2o 2.2 stops reading a
 * connection once its request is read, so only a failed write tells). A
 * client that sends Last-Event-ID (or ?lastEventId=) first gets every event
 * of its org after that id still in the stream, then the live ones, with no
 * gap and no duplicate at the switch (events.h says how).
 *
 * Each stream lives on the loop thread that accepted it: its output buffer,
 * the events held back while it catches up, its heartbeat. Events reach the
 * thread through its multithread queue. Only one h2o_send is in flight per
 * stream (h2o's rule: the next only after proceed); what comes meanwhile
 * waits in the stream's buffer, and a client whose buffer passes
 * GATEWAY_SSE_MAX_BUFFER_BYTES — or whose write has not finished for a long
 * time — is dropped, so it never slows the others or holds memory. The
 * gateway's request deadlines do not apply (there is no upstream call); the
 * stream ends when the client goes (h2o's stop), when its token expires (the
 * client reconnects with a fresh one), or when the gateway stops.
 *
 * Refusals are JSON ({"error","code"}): 400 invalid_last_event_id, 429
 * too_many_streams (GATEWAY_SSE_MAX_PER_ORG), 503 sse_unavailable
 * (GATEWAY_SSE_MAX_CLIENTS).
 */
#ifndef GATEWAY_SSE_H
#define GATEWAY_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "http.h"
#include "vx_buf.h"

typedef struct sse_thread sse_thread;

/* Sets up t's streams (on t's loop thread, before it serves requests). */
void sse_thread_init(gw_thread *t);
/* Ends every stream of t (the gateway stops): each gets the end of its
 * response once its write in flight is done. On t's loop thread. */
void sse_thread_close(gw_thread *t);
/* Hands it to t's loop thread if t has streams open (takes a reference).
 * Any thread. */
void sse_thread_post(gw_thread *t, events_item *it);

/* The route's handler (VX_TARGET_EVENTS), after authentication. */
void sse_serve(request_ctx *ctx);

/* ---- Pure parts (unit-tested) ---- */

/* Appends one event's frame to out: "id: <seq>\nevent: <type>\ndata: <data>\n\n".
 * CR and LF in data become spaces (in JSON they can only be whitespace
 * between tokens, so the JSON is unchanged) and NULs are dropped: the data
 * is one line whatever the publisher sent. Type keeps only visible ASCII. */
void sse_format_frame(vx_buf *out, uint64_t seq, const char *type, size_t type_len, const char *data, size_t data_len);

/* Parses a Last-Event-ID value: decimal digits (optional surrounding spaces
 * or tabs), at most INT64_MAX. 0 and *id set, or -1 when malformed. */
int sse_parse_last_event_id(const char *s, size_t len, uint64_t *id);

/* The raw value of the first name=value pair of an URL query (without the
 * '?'), or false when absent. *value points into query. */
bool sse_query_value(const char *query, size_t len, const char *name, const char **value, size_t *value_len);

#endif
