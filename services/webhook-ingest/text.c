/*
 * text: bounded UTF-8 repair for strings on their way into PostgreSQL.
 *
 * One validator (_seq_len) decides how many bytes at a position form a valid
 * UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF). Copies walk the input once, sequence by sequence, so a cut at the
 * maximum length always lands on a sequence boundary.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at p (n bytes available), or 0. */
static size_t _seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

char *ingest_text_dup_len(const char *s, size_t len, size_t max, bool *truncated)
{
    const unsigned char *in = (const unsigned char *)s;
    size_t cap = len < max ? len : max;
    char *out = malloc(cap + 1);
    if (!out)
        abort(); /* as vx_buf: an out-of-memory service is better restarted */
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = in[i] == 0 ? 0 : _seq_len(in + i, len - i);
        size_t take = n ? n : 1;
        if (o + take > max)
            break;
        if (n)
            memcpy(out + o, in + i, n);
        else
            out[o] = '?';
        o += take;
        i += n ? n : 1;
    }
    out[o] = '\0';
    if (truncated)
        *truncated = i < len;
    return out;
}

char *ingest_text_dup(const char *s, size_t max, bool *truncated)
{
    if (!s) {
        if (truncated)
            *truncated = false;
        return NULL;
    }
    /* strnlen: never read more of a huge input than we could keep. */
    size_t len = strnlen(s, max + 1);
    return ingest_text_dup_len(s, len, max, truncated);
}

void ingest_text_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        size_t len = _seq_len(p + i, n - i);
        if (len == 0) {
            p[i] = '?';
            len = 1;
        }
        i += len;
    }
}
