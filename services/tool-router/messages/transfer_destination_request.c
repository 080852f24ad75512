/*
 * transfer_destination_request: Vapi's transfer-destination-request message
 * (contract in messages.h) — "the assistant wants to transfer; where to?"
 *
 * Design: the message carries no arguments of its own; the framework hands
 * over those of the transferCall call that caused it (vapi_message.h), so
 * the department and the summary are read exactly as by the transferCall
 * tool, and the destination rule and the note on the call (the summary as
 * the reason) are transfer/destination's, shared with it. The answer is
 * Vapi's own shape: the destination plus a request-start message to say
 * while the call is moved, or an error sentence when the org has no
 * destination.
 */
#include "messages/messages.h"

#include <stdlib.h>

#include "answer.h"
#include "transfer/destination.h"

tool_status transfer_destination_request_answer(const tool_ctx *ctx, cJSON *answer)
{
    char *summary = answer_clean_dup(tool_arg_str(ctx, VX_TOOL_ARG_SUMMARY), DESTINATION_MAX_REASON);
    char *department = answer_clean_dup(tool_arg_str(ctx, VX_TOOL_ARG_DEPARTMENT), DESTINATION_MAX_DEPARTMENT);
    destination d;
    tool_status st = TOOL_DONE;
    if (destination_find(ctx, department, &d) != 0) {
        st = TOOL_RETRY;
    } else if (!d.found) {
        cJSON_AddStringToObject(answer, "error", "Sorry, I can't transfer your call right now.");
    } else if (destination_record(ctx, d.address, summary, department) != 0) {
        st = TOOL_RETRY;
    } else {
        vx_buf sentence = VX_BUF_INIT;
        destination_sentence(&d, &sentence);
        cJSON_AddItemToObject(answer, "destination", destination_json(&d, NULL));
        cJSON *msg = cJSON_AddObjectToObject(answer, "message");
        cJSON_AddStringToObject(msg, "type", "request-start");
        cJSON_AddStringToObject(msg, "message", sentence.data);
        vx_buf_free(&sentence);
    }
    destination_free(&d);
    free(summary);
    free(department);
    return st;
}
