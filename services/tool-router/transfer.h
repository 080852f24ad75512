/*
 * transfer: hand the caller to a human — the transferCall tool and Vapi's
 * transfer-destination-request message share one destination rule:
 *   1. the department named in the call, matched case-insensitively against
 *      integration_settings.transfer_departments (number or SIP URI);
 *   2. else the org's transfer_phone_number;
 *   3. else its transfer_sip_uri;
 *   4. else nothing: the caller hears that someone will call back.
 *
 * transferCall(summary, department) also records the transfer on the call
 * (call_logs.transfer_to / transfer_reason / transfer_time, for
 * ctx->vapi_call_id): an UPDATE of the org's row, or — when webhook-ingest
 * has not seen the call yet — a minimal row made the way ingest makes one
 * (call_sid 'vapi-<id>', status 'in-progress', the caller's number), which
 * ingest's later upserts complete. With no destination the request is noted
 * in call_logs.metadata.callback_requested instead. A row of the same call id
 * that belongs to another org is never touched (the transfer goes ahead
 * unlogged, with a warning).
 *
 * The transfer itself: Vapi does not act on a destination in a custom
 * function's result, so when the message carries the call's
 * monitor.controlUrl, transferCall asks Vapi to transfer the live call
 * (vapi_control: {"type":"transfer","destination":…,"content":<the
 * sentence>}) once its transaction has committed. If Vapi refuses or does
 * not answer, the caller hears the callback sentence instead and the request
 * is noted in callback_requested. A control URL that is not Vapi's is not
 * called (logged).
 *
 * Answers: transferCall → sentence "Transferring you to our billing team
 * now." + extra {"destination":{"type":"number","number":…,"message":…}} (or
 * {"type":"sip","sipUri":…}); transfer-destination-request →
 * {"destination":{…},"message":{"type":"request-start","message":…}} or
 * {"error":…} (contracts/vapi.md §2.4).
 */
#ifndef TOOL_ROUTER_TRANSFER_H
#define TOOL_ROUTER_TRANSFER_H

#include "tool.h"

#define TRANSFER_MAX_REASON 500

void transfer_prepare(vx_pg *pg);
tool_status tool_transfer_call(const tool_ctx *ctx, tool_result *out);

/* Answers a transfer-destination-request into answer (an empty object), inside
 * the org transaction (it records the transfer like transferCall, without a
 * reason). TOOL_RETRY on a database failure (answer untouched). */
tool_status transfer_destination_answer(const tool_ctx *ctx, cJSON *answer);

#endif
