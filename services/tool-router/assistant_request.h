/*
 * assistant_request: Vapi's assistant-request — "this number has no fixed
 * assistant; which one takes the call?" — answered per call, within
 * milliseconds (Vapi's hard limit is 7.5 s).
 *
 * The org comes from the called number (orgs: phone number id, then number);
 * the router opens the org's transaction and calls this. One query returns
 * the org's assistant (the agent answering this number first), the org's
 * name, the caller as a contact (by org and caller number) and that caller's
 * latest call summary. The answer:
 *   {"assistantId":"…","assistantOverrides":{
 *      "variableValues":{"org_id":…,"customerName":…,"customerFirstName":…,"lastCallSummary":…},
 *      "metadata":{"org_id":…},
 *      "firstMessage":"Hi Jane, thanks for calling Acme Clinic! How can I help you today?"}}
 * — caller fields and firstMessage only for a known caller. This is
 * "identity injection" done per call: the shared assistant is never edited,
 * so concurrent callers cannot see each other's greeting. The org id in
 * metadata/variableValues comes back on every later message of the call
 * (org resolution tier 2).
 * No active org or no assistant: {"error": settings.say_not_set_up}.
 */
#ifndef TOOL_ROUTER_ASSISTANT_REQUEST_H
#define TOOL_ROUTER_ASSISTANT_REQUEST_H

#include "tool.h"

#define ASSISTANT_MAX_SUMMARY 500

void assistant_request_prepare(vx_pg *pg);

/* Fills answer (an empty object) for the org ctx->org_id and the caller
 * ctx->caller_number (may be NULL); phone_number_id / called_number pick the
 * org's agent for this number when it has several. TOOL_RETRY on a database
 * failure (answer untouched). */
tool_status assistant_request_answer(const tool_ctx *ctx, const char *phone_number_id, const char *called_number, cJSON *answer);

#endif
