/*
 * vx_query: a small, strict query-string reader. Strict because its output
 * goes into SQL parameters and JSON: invalid encodings are errors, not guesses.
 * The writer encodes everything but the unreserved characters, so what it
 * writes means the same to every reader (a form body, a URL's query, a
 * signature computed over either).
 */
#include "vx_query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"

/* Decodes [s, s+len) into out; false on a malformed escape, a NUL, or overflow. */
static bool decode(const char *s, size_t len, char *out, size_t out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return false;
            int hi = vx_hex_digit(s[i + 1]), lo = vx_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= out_len)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

vx_query_status vx_query_get(const char *query, const char *key, char *out, size_t out_len)
{
    size_t key_len = strlen(key);
    const char *p = query;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&');
        size_t part_len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', part_len);
        size_t name_len = eq != NULL ? (size_t)(eq - p) : part_len;
        if (name_len == key_len && memcmp(p, key, key_len) == 0) {
            const char *value = eq != NULL ? eq + 1 : p + part_len;
            size_t value_len = (size_t)(p + part_len - value);
            return decode(value, value_len, out, out_len) ? VX_QUERY_OK : VX_QUERY_INVALID;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return VX_QUERY_ABSENT;
}

vx_query_status vx_query_long(const char *query, const char *key, long min, long max, long *out)
{
    char buf[32];
    vx_query_status st = vx_query_get(query, key, buf, sizeof(buf));
    if (st != VX_QUERY_OK)
        return st;
    /* strtol would skip leading white space and take a '+': refused, so a
     * number has one spelling (digits, optionally after one '-'). */
    const char *digits = buf[0] == '-' ? buf + 1 : buf;
    if (*digits < '0' || *digits > '9')
        return VX_QUERY_INVALID;
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (*end != '\0' || errno != 0 || v < min || v > max)
        return VX_QUERY_INVALID;
    *out = v;
    return VX_QUERY_OK;
}

/* Appends s percent-encoded: only RFC 3986's unreserved characters stay as they are. */
static void encode(vx_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            vx_buf_putc(out, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 0x0F]};
            vx_buf_append(out, esc, sizeof esc);
        }
    }
}

void vx_query_append(vx_buf *out, const char *key, const char *value)
{
    if (out->len > 0)
        vx_buf_putc(out, '&');
    encode(out, key);
    vx_buf_putc(out, '=');
    encode(out, value);
}
