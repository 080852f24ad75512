/*
 * vx_scrub: the credential rule and its two scrubbers (see vx_scrub.h).
 */
#include "vx_scrub.h"

#include <stdlib.h>
#include <string.h>

bool vx_scrub_key_sensitive(const char *key, size_t len)
{
    /* Lower-case, without '-' and '_', so X-Api-Key, api_key and apiKey all match. */
    char norm[128];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof(norm) - 1; i++) {
        char ch = key[i];
        if (ch == '-' || ch == '_')
            continue;
        norm[n++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    norm[n] = '\0';
    static const char *const words[] = {"secret", "token", "password", "apikey", "privatekey", "authorization", "credential"};
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
        if (strstr(norm, words[w]) != NULL)
            return true;
    return false;
}

size_t vx_scrub_json(cJSON *root)
{
    size_t replaced = 0;
    for (cJSON *it = root != NULL ? root->child : NULL; it != NULL; it = it->next) {
        bool sensitive = it->string != NULL && vx_scrub_key_sensitive(it->string, strlen(it->string));
        if (sensitive && cJSON_IsString(it)) {
            if (strcmp(it->valuestring, VX_SCRUB_REDACTED) != 0) {
                cJSON_SetValuestring(it, VX_SCRUB_REDACTED);
                replaced++;
            }
        } else if (sensitive && (cJSON_IsObject(it) || cJSON_IsArray(it))) {
            /* A whole credential object: its parts need not be named like secrets. */
            cJSON *mask = cJSON_CreateString(VX_SCRUB_REDACTED);
            if (mask == NULL)
                abort(); /* out of memory */
            /* The key moves to the mask as it is (owned, or constant). */
            mask->string = it->string;
            mask->type |= it->type & cJSON_StringIsConst;
            it->string = NULL;
            cJSON_ReplaceItemViaPointer(root, it, mask);
            it = mask;
            replaced++;
        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            replaced += vx_scrub_json(it);
        }
    }
    return replaced;
}

/* Index just past the string literal that opens at s[i] ('"'), or n. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

void vx_scrub_text(char *buf, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (buf[i] != '"') {
            i++;
            continue;
        }
        size_t key_end = skip_string(buf, i, n);
        size_t j = skip_ws(buf, key_end, n);
        if (j < n && buf[j] == ':') {
            size_t v = skip_ws(buf, j + 1, n);
            if (v < n && buf[v] == '"') {
                size_t v_end = skip_string(buf, v, n);
                if (key_end > i + 1 && vx_scrub_key_sensitive(buf + i + 1, key_end - i - 2))
                    for (size_t k = v + 1; k + 1 < v_end; k++)
                        buf[k] = '*';
                i = v_end;
                continue;
            }
        }
        i = key_end;
    }
}
