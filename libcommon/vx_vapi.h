/*
 * vx_vapi: facts about Vapi's payloads that more than one service reads.
 */
#ifndef VX_VAPI_H
#define VX_VAPI_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "vx_validate.h"

/* The org id we put on a call (assistantOverrides.metadata / variableValues in
 * our assistant-request answer, the assistant's metadata, or a legacy
 * call.metadata.org_id), read from a Vapi `message` object. Writes the first
 * candidate that is a UUID, lower-cased, into out and returns true; false when
 * there is none. It is a hint: callers check the org exists before trusting it. */
bool vx_vapi_org_hint(const cJSON *message, char out[VX_UUID_STR_LEN + 1]);

#endif
