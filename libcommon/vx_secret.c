/*
 * vx_secret: wipe, then free (see vx_secret.h).
 */
#include "vx_secret.h"

#include <stdlib.h>
#include <string.h>

void vx_secret_free(char *s)
{
    if (s == NULL)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void vx_secret_buf_free(vx_buf *b)
{
    if (b == NULL)
        return;
    if (b->data != NULL)
        explicit_bzero(b->data, b->len);
    vx_buf_free(b);
}

static void wipe_strings(cJSON *item)
{
    for (; item != NULL; item = item->next) {
        if (cJSON_IsString(item) && item->valuestring != NULL)
            explicit_bzero(item->valuestring, strlen(item->valuestring));
        wipe_strings(item->child);
    }
}

void vx_secret_json_delete(cJSON *root)
{
    if (root != NULL)
        wipe_strings(root->child);
    cJSON_Delete(root);
}
