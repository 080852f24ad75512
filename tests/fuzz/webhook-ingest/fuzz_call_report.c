/*
 * libFuzzer harness for webhook-ingest's report parser: arbitrary bytes as a
 * Vapi message. Whatever comes in, the parser must not crash, and what it
 * keeps must be storable: phone numbers E.164 or absent, durations never
 * negative.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size ? size : 1);
    if (!json)
        return 0;
    memcpy(json, data, size);
    ingest_call c;
    memset(&c, 0, sizeof(c));
    if (ingest_call_parse(json, size, &c) == 0) {
        if ((c.caller_number != NULL && !vx_is_e164(c.caller_number)) || c.duration_seconds < 0)
            abort();
    }
    ingest_call_free(&c);
    free(json);
    return 0;
}
