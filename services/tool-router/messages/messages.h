/*
 * messages: the call-time Vapi messages that are not tool calls — Vapi sends
 * them on its own during a call and waits for the answer. One file each,
 * named after the message:
 *
 *   assistant-request             messages/assistant_request.c
 *   transfer-destination-request  messages/transfer_destination_request.c
 *   knowledge-base-request        messages/knowledge_base_request.c
 *   handoff-destination-request   messages/handoff_destination_request.c
 *
 * The framework's side (dispatch.c) parses the message, resolves the org
 * once, opens the org transaction where the message needs one, builds the
 * tool_ctx (ctx->args is an empty object: these messages carry no
 * arguments) and turns the JSON object filled here into the HTTP 200 answer
 * — or, when something failed, into an error sentence Vapi can speak. A
 * handler only fills `answer` (an empty object it does not own) and, where
 * it returns tool_status, says TOOL_RETRY when the database failed (answer
 * untouched: the framework rolls back and answers an apology). One header
 * for all four, like tools/tools.h: they share one shape and the
 * framework's includes stay one line.
 */
#ifndef TOOL_ROUTER_MESSAGES_MESSAGES_H
#define TOOL_ROUTER_MESSAGES_MESSAGES_H

#include <cjson/cJSON.h>

#include "tool.h"

/*
 * assistant-request — "this number has no fixed assistant; which one takes
 * the call?" — answered per call, within milliseconds (Vapi's hard limit is
 * 7.5 s). The org comes from the called number (orgs: phone number id, then
 * number); dispatch opens the org's transaction and calls this. One query
 * returns the org's assistant (the agent answering this number first), the
 * org's name, the caller as a contact (by org and caller number) and that
 * caller's latest call summary. The answer:
 *   {"assistantId":"…","assistantOverrides":{
 *      "variableValues":{"org_id":…,"customerName":…,"customerFirstName":…,"lastCallSummary":…},
 *      "metadata":{"org_id":…},
 *      "firstMessage":"Hi Jane, thanks for calling Acme Clinic! How can I help you today?"}}
 * — caller fields and firstMessage only for a known caller. This is
 * "identity injection" done per call: the shared assistant is never edited,
 * so concurrent callers cannot see each other's greeting. The org id in
 * metadata/variableValues comes back on every later message of the call
 * (org resolution tier 2). No active org or no assistant:
 * {"error": settings.say_not_set_up}.
 * ctx->caller_number may be NULL; phone_number_id / called_number pick the
 * org's agent for this number when it has several.
 */
void assistant_request_prepare(vx_pg *pg);
tool_status assistant_request_answer(const tool_ctx *ctx, const char *phone_number_id, const char *called_number, cJSON *answer);

/*
 * transfer-destination-request — "where should this call go?": the
 * destination rule of transfer/destination.h for the department of the
 * transferCall call that caused the message (ctx->args: its arguments, as
 * vapi_message.h finds them in the conversation), recorded on the call like
 * transferCall, with its summary as the reason. The answer:
 *   {"destination":{"type":"number","number":…}|{"type":"sip","sipUri":…},
 *    "message":{"type":"request-start","message":"Transferring you to …"}}
 * or {"error":"Sorry, I can't transfer your call right now."} when the org
 * has no destination (contracts/vapi.md §2.4).
 */
tool_status transfer_destination_request_answer(const tool_ctx *ctx, cJSON *answer);

/*
 * knowledge-base-request — the assistant's knowledge-base lookup for the
 * caller's last utterance (query; NULL or empty: no documents). The answer
 * is {"documents":[{"content","similarity"}]}, or {"documents":[]} when
 * rag-search is absent, late, failing or finds nothing. Needs no database
 * and never fails.
 */
void knowledge_base_request_answer(const tool_ctx *ctx, const char *query, cJSON *answer);

/*
 * handoff-destination-request — a handoff tool with a dynamic destination
 * asks which assistant takes the call next. A Voxanne org runs one
 * receptionist assistant and no squad, so there is never another assistant
 * to hand to: the answer is {"error": settings.say_no_handoff}, which Vapi
 * adds to the conversation (the assistant carries on and can offer a
 * transfer to a person), instead of the silence Vapi would otherwise wait
 * out. Logged, since it means an assistant was configured with a handoff
 * tool we never set. Needs no database and never fails.
 */
void handoff_destination_request_answer(const tool_ctx *ctx, cJSON *answer);

#endif
