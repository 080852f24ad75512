/*
 * libFuzzer harness for tool-router's Vapi message parser: arbitrary bytes as
 * the body of POST /api/vapi/webhook or /api/vapi/tools/{tool}. Whatever
 * comes in, the parser must return without reading out of bounds, every
 * call it reports must have a name and id within the documented limits, and
 * the arguments a transfer-destination-request found in its conversation
 * must be an object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vapi_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    vapi_message m;
    memset(&m, 0, sizeof(m));
    for (int route = 0; route < 2; route++) {
        if (vapi_message_parse(body, size, route ? "lookupCaller" : NULL, &m) == VAPI_PARSE_OK) {
            for (size_t i = 0; i < m.ncalls; i++)
                if (m.calls[i].problem == VAPI_CALL_OK && (m.calls[i].name == NULL || strlen(m.calls[i].name) > 64))
                    abort();
            if (m.transfer_args != NULL && !cJSON_IsObject(m.transfer_args))
                abort();
        }
        vapi_message_free(&m);
    }
    free(body);
    return 0;
}
