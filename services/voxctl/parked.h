/*
 * parked: the operator's view of the Vapi messages webhook-ingest parked
 * (their org could not be resolved, they were malformed, or a permanent
 * SQL error kept them out) — `voxctl parked list` and `voxctl parked replay`.
 *
 * parked_messages is readable only by the schema owner (migrations/0007: the
 * services may only add to it), so both commands connect with
 * ADMIN_DATABASE_URL. A list shows what each row is, never its payload
 * (transcripts and callers' numbers). A replay publishes the parked message
 * back to the VAPI stream exactly as the gateway would (a VapiMessageEvent on
 * vapi.msg.<type>, Nats-Msg-Id "replay:<id>", so replaying twice at once
 * publishes once), waits for the PubAck, then deletes the row: the message
 * is webhook-ingest's again, and parks anew (as a new row) if what kept it
 * out is still true — say an org that still does not exist.
 */
#ifndef VXCTL_PARKED_H
#define VXCTL_PARKED_H

#include <nats/nats.h>

#include "cli.h"
#include "vx_pg.h"

#define VXCTL_PARKED_LIMIT_DEFAULT 100
#define VXCTL_PARKED_LIMIT_MAX     10000

/* Prints up to limit parked rows, oldest first, one per line:
 * id, received_at, reason, message type, call id, request id (tab-separated;
 * "-" for none), then "<n> parked" on stderr. reason (may be NULL) keeps only
 * rows whose reason starts with it. */
vxctl_status vxctl_parked_list(vx_pg *admin, long limit, const char *reason);

/* Replays parked row id, or when id is 0 up to limit rows (oldest first,
 * reason as for list), as described above: one line per row on stdout
 * ("replayed 12 (end-of-call-report, call …)"), a summary on stderr.
 * VXCTL_FAILED when a row could not be replayed (it stays parked) or id does
 * not exist. */
vxctl_status vxctl_parked_replay(vx_pg *admin, jsCtx *js, long id, long limit, const char *reason);

#endif
