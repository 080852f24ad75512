/*
 * vx_vapi: facts about Vapi's payloads that more than one service reads.
 *
 * The call-time message types live here and nowhere else: the gateway sends
 * a webhook message of one of these types to tool-router and waits for its
 * answer, every other type goes to the durable stream; tool-router answers
 * exactly these. A type added here is routed and answered everywhere at once.
 */
#ifndef VX_VAPI_H
#define VX_VAPI_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "vx_validate.h"

/* The Vapi server messages that Vapi waits on for an answer during a call. */
typedef enum {
    VX_VAPI_TOOL_CALLS = 0,
    VX_VAPI_FUNCTION_CALL,     /* the legacy form of tool-calls */
    VX_VAPI_ASSISTANT_REQUEST, /* "which assistant takes this call?" */
    VX_VAPI_TRANSFER_DESTINATION_REQUEST,
    VX_VAPI_KNOWLEDGE_BASE_REQUEST,
    VX_VAPI_NOT_CALL_TIME, /* any other type (status-update, end-of-call-report, …): nobody waits for it */
} vx_vapi_kind;

/* The kind of a message.type value (NULL: VX_VAPI_NOT_CALL_TIME). */
vx_vapi_kind vx_vapi_message_kind(const char *type);

/* The org id we put on a call (assistantOverrides.metadata / variableValues in
 * our assistant-request answer, the assistant's metadata, or a legacy
 * call.metadata.org_id), read from a Vapi `message` object. Writes the first
 * candidate that is a UUID, lower-cased, into out and returns true; false when
 * there is none. It is a hint: callers check the org exists before trusting it. */
bool vx_vapi_org_hint(const cJSON *message, char out[VX_UUID_STR_LEN + 1]);

#endif
