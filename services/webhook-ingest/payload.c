/*
 * payload: secret-free, jsonb-safe copies of Vapi bodies for parked_messages.
 *
 * A key is credential-bearing when its name contains (in any case) one of
 * "secret", "token", "password", "apikey", "privatekey" or "authorization"
 * (ignoring '-' and '_');
 * only string values are masked, so counters such as promptTokens survive.
 * The same rule masks values in a body that is not JSON, by scanning its
 * "key": "value" pairs textually.
 */
#include "payload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define REDACTED "[redacted]"
/* How much of a body that is not JSON we keep. */
#define MAX_MALFORMED_RAW (64 * 1024)

static bool sensitive_key(const char *k, size_t len)
{
    /* Lower-case, without '-' and '_', so X-Api-Key, api_key and apiKey all match. */
    char norm[128];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof norm - 1; i++) {
        char ch = k[i];
        if (ch == '-' || ch == '_')
            continue;
        norm[n++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    norm[n] = '\0';
    static const char *const words[] = {"secret", "token", "password", "apikey", "privatekey", "authorization"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (strstr(norm, words[w]))
            return true;
    return false;
}

void ingest_payload_redact(cJSON *root)
{
    for (cJSON *it = root ? root->child : NULL; it; it = it->next) {
        if (cJSON_IsString(it) && it->string && sensitive_key(it->string, strlen(it->string)))
            cJSON_SetValuestring(it, REDACTED);
        else if (cJSON_IsObject(it) || cJSON_IsArray(it))
            ingest_payload_redact(it);
    }
}

char *ingest_payload_for_parking(cJSON *root)
{
    ingest_payload_redact(root);
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

/* Masks the string values of credential-bearing keys in buf, in place. */
static void mask_text(char *buf, size_t n)
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
                if (key_end > i + 1 && sensitive_key(buf + i + 1, key_end - i - 2))
                    for (size_t k = v + 1; k + 1 < v_end; k++)
                        buf[k] = '*';
                i = v_end;
                continue;
            }
        }
        i = key_end;
    }
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
    mask_text(copy, keep);
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
