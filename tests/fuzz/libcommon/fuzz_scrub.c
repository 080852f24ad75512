/*
 * libFuzzer harness for libcommon/vx_scrub.c: on any input, the JSON
 * scrubber leaves no string, object or array under a credential-bearing key
 * and is idempotent, and the text scrubber never changes the length or
 * touches a byte outside a masked value (checked against the input: a byte
 * that changed must be '*' now).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when no credential-bearing key below item holds anything but "[redacted]" or a scalar. */
static int clean(const cJSON *item)
{
    for (const cJSON *it = item != NULL ? item->child : NULL; it != NULL; it = it->next) {
        if (it->string != NULL && vx_scrub_key_sensitive(it->string, strlen(it->string))) {
            if (cJSON_IsObject(it) || cJSON_IsArray(it))
                return 0;
            if (cJSON_IsString(it) && strcmp(it->valuestring, VX_SCRUB_REDACTED) != 0)
                return 0;
        } else if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && !clean(it)) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *root = cJSON_ParseWithLength(text, size);
    if (root != NULL) {
        vx_scrub_json(root);
        if (!clean(root) || vx_scrub_json(root) != 0)
            abort();
        cJSON_Delete(root);
    }
    vx_scrub_text(text, size);
    for (size_t i = 0; i < size; i++)
        if (text[i] != (char)data[i] && text[i] != '*')
            abort();
    free(text);
    return 0;
}
