/*
 * vx_events: an org's live domain events (call.started, call.ended, …) on
 * NATS, for the dashboard's Server-Sent Events and any other listener.
 *
 * An event is a voxanne.v1.DomainEvent (proto/voxanne/v1/events.proto)
 * published to "events.org.<org_id>.<type>" through JetStream, into the
 * stream EVENTS, which keeps them a while (VX_EVENTS_MAX_AGE_S) so a client
 * that reconnects with Last-Event-ID can be given what it missed: an event's
 * id is its EVENTS stream sequence. The publisher sets Nats-Msg-Id, so an
 * event published twice within JetStream's de-duplication window (a
 * redelivered report) is stored once.
 *
 * The org id is part of the subject, so a listener filters on one org with
 * "events.org.<org_id>.>" and NATS permissions can say who publishes events
 * (only the services that own the data) and who hears them (the gateway).
 */
#ifndef VX_EVENTS_H
#define VX_EVENTS_H

#include <stdint.h>
#include <nats/nats.h>

#define VX_EVENTS_STREAM         "EVENTS"
#define VX_EVENTS_SUBJECT_PREFIX "events.org."
#define VX_EVENTS_MAX_AGE_S      (24 * 3600)

/* The event types published today. */
#define VX_EVENT_CALL_STARTED "call.started"
#define VX_EVENT_CALL_ENDED   "call.ended"

/* Creates the EVENTS stream, or checks the existing one (idempotent, safe
 * from every replica at start): subjects "events.org.>", file storage,
 * limits retention (VX_EVENTS_MAX_AGE_S, 256 MB, discard old), a 2-minute
 * de-duplication window, and direct gets allowed (the gateway reads an
 * org's missed events with them). An existing stream is never updated, so a
 * publisher needs only $JS.API.STREAM.INFO/CREATE.EVENTS; one whose subjects
 * or direct gets differ is refused (-1), other differences are logged.
 * 0, or -1 (logged). */
int vx_events_ensure_stream(jsCtx *js);

/* Publishes one event of org_id: type (e.g. VX_EVENT_CALL_ENDED), data_json a
 * JSON object (the event's fields, shown to the org's dashboard as is),
 * msg_id the de-duplication id (e.g. "call.ended:<vapi call id>"),
 * request_id for logs (may be NULL). Waits for the PubAck. 0, or -1 (logged). */
int vx_events_publish(jsCtx *js, const char *org_id, const char *type, const char *msg_id, const char *request_id,
                      const char *data_json);

/* The same without waiting: the PubAck is awaited later, for many events at
 * once, with js_PublishAsyncComplete on js (whose PublishAsync.ErrHandler
 * hears about refusals). 0, or -1 (logged) when it could not be sent. */
int vx_events_publish_async(jsCtx *js, const char *org_id, const char *type, const char *msg_id, const char *request_id,
                            const char *data_json);

#endif
