/*
 * payload: secret-free, jsonb-safe copies of Vapi bodies for parked_messages.
 * Credentials go by libcommon/vx_scrub's one rule, for a JSON body and,
 * textually, for one that is not.
 */
#include "payload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vx_scrub.h"

/* How much of a body that is not JSON we keep. */
#define MAX_MALFORMED_RAW (64 * 1024)

char *ingest_payload_for_parking(cJSON *root)
{
    vx_scrub_json(root);
    char *text = cJSON_PrintUnformatted(root);
    if (!text)
        abort();
    size_t len = strlen(text);
    if (len > INGEST_MAX_PARKED) {
        free(text);
        text = malloc(64);
        if (!text)
            abort();
        snprintf(text, 64, "{\"truncated\":true,\"length\":%zu}", len);
        return text;
    }
    ingest_text_sanitize(text);
    return text;
}

char *ingest_payload_malformed(const char *raw, size_t len)
{
    size_t keep = len < MAX_MALFORMED_RAW ? len : MAX_MALFORMED_RAW;
    char *copy = malloc(keep + 1);
    if (!copy)
        abort();
    if (keep)
        memcpy(copy, raw, keep);
    copy[keep] = '\0';
    vx_scrub_text(copy, keep);
    char *clean = ingest_text_dup_len(copy, keep, keep, NULL);
    free(copy);

    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "malformed");
    cJSON_AddNumberToObject(o, "length", (double)len);
    cJSON_AddStringToObject(o, "raw", clean);
    free(clean);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        abort();
    return text;
}
