/*
 * destination: where a caller who asks for a human goes, and the note of it
 * on the call — the one rule the transferCall tool and Vapi's
 * transfer-destination-request message share:
 *   1. the department named in the call, matched case-insensitively against
 *      integration_settings.transfer_departments (number or SIP URI);
 *   2. else the org's transfer_phone_number;
 *   3. else its transfer_sip_uri;
 *   4. else nothing: the caller hears that someone will call back.
 *
 * The transfer (or, with no destination, the callback request) is recorded
 * on the call (call_logs.transfer_to / transfer_reason / transfer_time, or
 * call_logs.metadata.callback_requested, for ctx->vapi_call_id): an UPDATE
 * of the org's row, or — when webhook-ingest has not seen the call yet — a
 * minimal row made the way ingest makes one (call_sid 'vapi-<id>', status
 * 'in-progress', the caller's number), which ingest's later upserts
 * complete. A row of the same call id that belongs to another org is never
 * touched (the transfer goes ahead unrecorded, with a warning).
 *
 * Functions returning int return 0, or -1 when the database failed (logged;
 * the caller returns TOOL_RETRY). They run inside the org transaction of the
 * tool or message. Statements are registered by destination_prepare.
 */
#ifndef TOOL_ROUTER_TRANSFER_DESTINATION_H
#define TOOL_ROUTER_TRANSFER_DESTINATION_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "tool.h"
#include "vx_buf.h"

#define DESTINATION_MAX_DEPARTMENT 64  /* bytes of a department name taken from a call */
#define DESTINATION_MAX_REASON     500 /* bytes of the call's summary kept as the transfer's reason */

/* A destination found by destination_find; its strings are malloc'd and
 * freed by destination_free (also when nothing was found). */
typedef struct destination {
    bool found;
    bool sip;
    char *address;    /* E.164 number or SIP URI */
    char *department; /* the matched name as configured, or NULL */
} destination;

/* Registers the statements of destination.c on a worker's connection. */
void destination_prepare(vx_pg *pg);

/* Finds the destination for department (NULL or unknown: the org's default). */
int destination_find(const tool_ctx *ctx, const char *department, destination *d);
void destination_free(destination *d);

/* Records on the call a transfer to `to`, or with to NULL the callback
 * request; reason and department may be NULL. */
int destination_record(const tool_ctx *ctx, const char *to, const char *reason, const char *department);

/* The spoken line for d into out: "Transferring you to our billing team now." */
void destination_sentence(const destination *d, vx_buf *out);
/* {"type":"number","number":…} or {"type":"sip","sipUri":…}, with "message"
 * when message is not NULL. The caller owns the object. */
cJSON *destination_json(const destination *d, const char *message);

#endif
