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
#include <stdint.h>
#include <cjson/cJSON.h>

#include "vx_validate.h"

/* The Vapi server messages that Vapi waits on for an answer during a call. */
typedef enum {
    VX_VAPI_TOOL_CALLS = 0,
    VX_VAPI_FUNCTION_CALL,     /* the legacy form of tool-calls */
    VX_VAPI_ASSISTANT_REQUEST, /* "which assistant takes this call?" */
    VX_VAPI_TRANSFER_DESTINATION_REQUEST,
    VX_VAPI_KNOWLEDGE_BASE_REQUEST,
    VX_VAPI_HANDOFF_DESTINATION_REQUEST, /* a dynamic handoff tool asks "which assistant next?" */
    VX_VAPI_NOT_CALL_TIME,               /* any other type (status-update, end-of-call-report, …): nobody waits for it */
} vx_vapi_kind;

/* The kind of a message.type value (NULL: VX_VAPI_NOT_CALL_TIME). */
vx_vapi_kind vx_vapi_message_kind(const char *type);

/* The org id we put on a call (assistantOverrides.metadata / variableValues in
 * our assistant-request answer, or the assistant's metadata), read from a
 * Vapi `message` object — only when we signed it: next to the org id the
 * same object must hold "org_sig", our HMAC of that org id and this call's
 * id (call.id) under ORG_HINT_KEY. Org ids are not secret and the caller's
 * side controls these objects, so an unsigned id, or one signed for another
 * call, is ignored: the call then resolves by its assistant or number, or
 * not at all (parked, not served). Writes the first signed candidate,
 * lower-cased, into out and returns true; false when there is none. */
bool vx_vapi_org_hint(const cJSON *message, char out[VX_UUID_STR_LEN + 1]);

/* The "org_sig" for org_id on call call_id (64 hex digits and a NUL into
 * out). -1 without ORG_HINT_KEY or without a call id; 0 when written. */
int vx_vapi_org_hint_sign(const char *org_id, const char *call_id, char out[65]);
/* The same under key rather than the process's ORG_HINT_KEY (tests, tools). */
int vx_vapi_org_hint_sign_with(const uint8_t key[32], const char *org_id, const char *call_id, char out[65]);

/* Loads ORG_HINT_KEY (64 hex digits; `voxctl org-hint-key` derives it from
 * the gateway's ENVELOPE_MASTER_KEY) now, exiting with status 2 and a clear
 * line when it is missing or malformed. The services that sign or read hints
 * (tool-router, webhook-ingest) call it at start; elsewhere a missing key
 * means every hint is ignored. */
void vx_vapi_require_org_hint_key(void);

/* The label the org-hint key is derived under from the master key
 * (vx_envelope_service_key(master, VX_VAPI_ORG_HINT_KEY_NAME, key)). */
#define VX_VAPI_ORG_HINT_KEY_NAME "org-hint"

#endif
