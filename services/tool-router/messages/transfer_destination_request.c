/*
 * transfer_destination_request: Vapi's transfer-destination-request message
 * (contract in messages.h) — "the assistant wants to transfer; where to?"
 *
 * Design: the destination rule and the note on the call are
 * transfer/destination's, exactly as for the transferCall tool (there is no
 * reason in this message, so none is recorded). The answer is Vapi's own
 * shape: the destination plus a request-start message to say while the
 * call is moved, or an error sentence when the org has no destination.
 */
#include "messages/messages.h"

#include <stdlib.h>

#include "answer.h"
#include "transfer/destination.h"

tool_status transfer_destination_request_answer(const tool_ctx *ctx, cJSON *answer)
{
    char *department = answer_clean_dup(tool_arg_str(ctx, VX_TOOL_ARG_DEPARTMENT), DESTINATION_MAX_DEPARTMENT);
    destination d;
    tool_status st = TOOL_DONE;
    if (destination_find(ctx, department, &d) != 0) {
        st = TOOL_RETRY;
    } else if (!d.found) {
        cJSON_AddStringToObject(answer, "error", "Sorry, I can't transfer your call right now.");
    } else if (destination_record(ctx, d.address, NULL, department) != 0) {
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
    free(department);
    return st;
}
