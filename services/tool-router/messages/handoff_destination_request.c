/*
 * handoff_destination_request: Vapi's handoff-destination-request message
 * (contract in messages.h) — answered at once with an error Vapi adds to
 * the conversation, since an org has no second assistant to hand to.
 */
#include "messages/messages.h"

#include "settings.h"
#include "vx_log.h"

void handoff_destination_request_answer(const tool_ctx *ctx, cJSON *answer)
{
    vx_log_warn(ctx->request_id, ctx->org_id, "handoff requested but no assistant to hand to (check the assistant's tools)",
                "call_id", ctx->vapi_call_id);
    cJSON_AddStringToObject(answer, "error", ctx->settings->say_no_handoff);
}
