/*
 * vx_vapi: the call-time message kinds, and the paths where Vapi carries the
 * org id we gave a call.
 */
#include "vx_vapi.h"

#include <ctype.h>
#include <string.h>

#include "vx_json.h"

bool vx_vapi_org_hint(const cJSON *message, char out[VX_UUID_STR_LEN + 1])
{
    static const char *const paths[] = {
        "call.assistantOverrides.metadata.org_id",
        "call.assistantOverrides.metadata.orgId",
        "call.assistantOverrides.variableValues.org_id",
        "call.assistantOverrides.variableValues.orgId",
        "assistant.metadata.org_id",
        "assistant.metadata.orgId",
        "call.metadata.org_id", /* legacy, not in the current schema */
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const char *s = vx_json_str(message, paths[i]);
        if (s != NULL && strlen(s) == VX_UUID_STR_LEN && vx_is_uuid(s, VX_UUID_STR_LEN)) {
            for (size_t k = 0; k <= VX_UUID_STR_LEN; k++)
                out[k] = (char)tolower((unsigned char)s[k]);
            return true;
        }
    }
    return false;
}

vx_vapi_kind vx_vapi_message_kind(const char *type)
{
    static const struct {
        const char *type;
        vx_vapi_kind kind;
    } kinds[] = {
        {"tool-calls", VX_VAPI_TOOL_CALLS},
        {"function-call", VX_VAPI_FUNCTION_CALL},
        {"assistant-request", VX_VAPI_ASSISTANT_REQUEST},
        {"transfer-destination-request", VX_VAPI_TRANSFER_DESTINATION_REQUEST},
        {"knowledge-base-request", VX_VAPI_KNOWLEDGE_BASE_REQUEST},
    };
    for (size_t i = 0; type != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(type, kinds[i].type) == 0)
            return kinds[i].kind;
    return VX_VAPI_NOT_CALL_TIME;
}
