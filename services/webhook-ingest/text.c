/*
 * text: bounded UTF-8 repair for strings on their way into PostgreSQL.
 *
 * One validator (vx_utf8_seq_len) decides how many bytes at a position form a valid
 * UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF). Copies walk the input once, sequence by sequence, so a cut at the
 * maximum length always lands on a sequence boundary.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include "vx_utf8.h"

char *ingest_text_dup_len(const char *s, size_t len, size_t max, bool *truncated)
{
    const unsigned char *in = (const unsigned char *)s;
    size_t cap = len < max ? len : max;
    char *out = malloc(cap + 1);
    if (!out)
        abort(); /* as vx_buf: an out-of-memory service is better restarted */
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = in[i] == 0 ? 0 : vx_utf8_seq_len(in + i, len - i);
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
        size_t len = vx_utf8_seq_len(p + i, n - i);
        if (len == 0) {
            p[i] = '?';
            len = 1;
        }
        i += len;
    }
}
