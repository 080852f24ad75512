/*
 * openai_wire: see openai_wire.h.
 */
#include "clients/openai_wire.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"
#include "vx_utf8.h"

int openai_wire_embeddings_url(const char *base, vx_buf *out)
{
    if (base == NULL || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
        return -1;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    size_t host = strncmp(base, "https://", 8) == 0 ? 8 : 7;
    if (n <= host)
        return -1;
    vx_buf_append(out, base, n);
    bool has_v1 = n >= 3 && memcmp(base + n - 3, "/v1", 3) == 0;
    vx_buf_puts(out, has_v1 ? "/embeddings" : "/v1/embeddings");
    return 0;
}

size_t openai_wire_token_estimate(const char *text, size_t len)
{
    (void)text;
    return len;
}

size_t openai_wire_cut(const char *text, size_t len, size_t max_tokens)
{
    if (openai_wire_token_estimate(text, len) <= max_tokens)
        return len;
    size_t keep = max_tokens; /* the estimate is one token per byte */
    /* Back off over continuation bytes (10xxxxxx): the cut falls before a sequence's first byte. */
    while (keep > 0 && ((unsigned char)text[keep] & 0xC0) == 0x80)
        keep--;
    return keep;
}

bool openai_wire_utf8_valid(const char *text, size_t len)
{
    for (size_t at = 0; at < len;) {
        size_t n = vx_utf8_seq_len((const unsigned char *)text + at, len - at);
        if (n == 0)
            return false;
        at += n;
    }
    return true;
}

size_t openai_wire_batch_end(const size_t *tokens, size_t start, size_t n, size_t max_inputs, size_t max_tokens)
{
    size_t end = start, sum = 0;
    while (end < n && end - start < max_inputs && (end == start || sum + tokens[end] <= max_tokens)) {
        sum += tokens[end];
        end++;
    }
    return end;
}

long openai_wire_duration_ms(const char *s)
{
    if (s == NULL)
        return -1;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n == 0 || n > 64)
        return -1;
    char buf[65];
    memcpy(buf, s, n);
    buf[n] = '\0';
    const double day_ms = 86400000.0;
    double total = 0;
    bool bare = strspn(buf, "0123456789.") == n; /* a bare number: seconds, as Retry-After */
    for (const char *p = buf; *p != '\0';) {
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return -1;
        /* digits, optionally '.' and digits (no sign, no exponent, no hex: what Go writes) */
        double v = 0, scale = 1;
        bool any = false, dot = false;
        for (; (*p >= '0' && *p <= '9') || (*p == '.' && !dot); p++) {
            if (*p == '.') {
                dot = true;
                continue;
            }
            any = true;
            if (dot)
                v += (*p - '0') * (scale /= 10);
            else if (v < 1e12)
                v = v * 10 + (*p - '0');
        }
        if (!any)
            return -1;
        double unit;
        if (bare) {
            unit = 1000;
        } else if (strncmp(p, "ns", 2) == 0) {
            unit = 1e-6, p += 2;
        } else if (strncmp(p, "us", 2) == 0) {
            unit = 1e-3, p += 2;
        } else if (strncmp(p, "\xC2\xB5s", 3) == 0 || strncmp(p, "\xCE\xBCs", 3) == 0) {
            unit = 1e-3, p += 3;
        } else if (strncmp(p, "ms", 2) == 0) {
            unit = 1, p += 2;
        } else if (*p == 's') {
            unit = 1000, p++;
        } else if (*p == 'm') {
            unit = 60000, p++;
        } else if (*p == 'h') {
            unit = 3600000, p++;
        } else {
            return -1;
        }
        total += v * unit;
        if (total > day_ms)
            return (long)day_ms;
    }
    return (long)ceil(total);
}

int openai_wire_base64_floats(const char *s, size_t len, float *out, size_t dim)
{
    uint8_t *bytes = NULL;
    size_t got = 0;
    if (vx_base64_decode(s, len, &bytes, &got) != 0)
        return -1;
    if (got != dim * 4) {
        free(bytes);
        return -1;
    }
    for (size_t i = 0; i < dim; i++) {
        const uint8_t *b = bytes + i * 4; /* little-endian float32, whatever the host */
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &u, sizeof(float));
    }
    free(bytes);
    return 0;
}

int openai_wire_normalise(float *v, size_t dim)
{
    double sum = 0;
    for (size_t i = 0; i < dim; i++) {
        if (!isfinite(v[i]))
            return -1;
        sum += (double)v[i] * (double)v[i];
    }
    if (!(sum > 0) || !isfinite(sum))
        return -1;
    double inv = 1.0 / sqrt(sum);
    for (size_t i = 0; i < dim; i++)
        v[i] = (float)((double)v[i] * inv);
    return 0;
}

/* Reads one embedding (a base64 string or an array of numbers) into out; its size into *got (0: not an embedding). */
static int read_vector(const cJSON *emb, int dim, float *out, size_t room, size_t *got)
{
    *got = 0;
    if (cJSON_IsString(emb)) {
        size_t len = strlen(emb->valuestring), pad = 0;
        while (pad < len && emb->valuestring[len - 1 - pad] == '=')
            pad++;
        size_t floats = ((len - pad) * 3 / 4) / 4; /* what the characters hold */
        if (dim > 0 && floats != (size_t)dim)
            return (*got = floats), -1;
        if (floats == 0 || floats > room || openai_wire_base64_floats(emb->valuestring, len, out, floats) != 0)
            return -1;
        *got = floats;
        return 0;
    }
    if (!cJSON_IsArray(emb))
        return -1;
    size_t count = (size_t)cJSON_GetArraySize(emb);
    if ((dim > 0 && count != (size_t)dim) || count == 0 || count > room)
        return (*got = count), -1;
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, emb)
    {
        if (!cJSON_IsNumber(x))
            return -1;
        out[i++] = (float)x->valuedouble;
    }
    *got = count;
    return 0;
}

embed_status openai_wire_parse_answer(const char *body, size_t len, size_t n, int *dim, float *out, size_t cap, char *why,
                                      size_t why_len)
{
    embed_status st = EMBED_FAILED;
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    bool *seen = calloc(n > 0 ? n : 1, sizeof(bool));
    if (seen == NULL)
        abort();
    if (!cJSON_IsArray(data)) {
        snprintf(why, why_len, "the provider's answer is not an embeddings list");
        goto out;
    }
    if ((size_t)cJSON_GetArraySize(data) != n) {
        snprintf(why, why_len, "the provider answered %d embeddings for %zu inputs", cJSON_GetArraySize(data), n);
        goto out;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, data)
    {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(item, "index");
        double d = cJSON_IsNumber(idx) ? idx->valuedouble : -1;
        if (d < 0 || d >= (double)n || d != floor(d)) {
            snprintf(why, why_len, "the provider's answer has an embedding without a valid index");
            goto out;
        }
        size_t i = (size_t)d;
        if (seen[i]) {
            snprintf(why, why_len, "the provider's answer has index %zu twice", i);
            goto out;
        }
        seen[i] = true;
        /* Unknown size: the first vector (whatever its index) is read into out[0], then moved. */
        size_t at = *dim > 0 ? i * (size_t)*dim : 0, got = 0;
        if (at > cap || read_vector(cJSON_GetObjectItemCaseSensitive(item, "embedding"), *dim, out + at, cap - at, &got) != 0) {
            if (got > 0 && *dim > 0)
                snprintf(why, why_len, "the provider answered a vector of %zu values, expected %d", got, *dim);
            else
                snprintf(why, why_len, "the provider's answer has an unreadable embedding at index %zu", i);
            goto out;
        }
        if (*dim <= 0) {
            if (got * n > cap) {
                snprintf(why, why_len, "the provider answered vectors of %zu values, more than expected", got);
                goto out;
            }
            *dim = (int)got;
            if (i != 0)
                memmove(out + i * got, out, got * sizeof(float));
        }
        if (openai_wire_normalise(out + i * (size_t)*dim, (size_t)*dim) != 0) {
            snprintf(why, why_len, "the provider answered a zero or non-finite vector at index %zu", i);
            goto out;
        }
    }
    st = EMBED_OK;
out:
    free(seen);
    cJSON_Delete(root);
    return st;
}

static void copy_string(const cJSON *obj, const char *key, char *out, size_t out_len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    snprintf(out, out_len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

void openai_wire_parse_error(const char *body, size_t len, openai_wire_error *err)
{
    memset(err, 0, sizeof(*err));
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    copy_string(e, "type", err->type, sizeof(err->type));
    copy_string(e, "code", err->code, sizeof(err->code));
    copy_string(e, "message", err->message, sizeof(err->message));
    cJSON_Delete(root);
}
