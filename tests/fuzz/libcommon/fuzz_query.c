/*
 * libFuzzer harness for vx_query (libcommon/vx_query.c), differential: a
 * reference reader written here from the header's contract must give the
 * same status and the same bytes.
 *
 * Input: byte 0 picks the output size (1-64), byte 1 the key's length (0-7),
 * then the key, then the query. Key and query are copied into exact-size
 * NUL-terminated heap blocks, the output into an exact-size heap block, so
 * an over-read or a one-byte overflow is an ASan report. Checked too:
 *   - a value read OK is NUL-terminated within out_len and has no NUL inside;
 *   - re-encoding that value and reading it back gives it again;
 *   - vx_query_long agrees with vx_query_get + strtol on a value spelled as
 *     an optional '-' and digits (nothing else is a number), stays in
 *     [min, max] and leaves its output alone unless it says OK.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The reference: split on '&', name before the first '=', first exact match
 * wins; decode '+' and %XX, refuse a bad escape, a NUL or more than out_len - 1 bytes. */
static vx_query_status ref_get(const char *query, const char *key, char *out, size_t out_len)
{
    size_t key_len = strlen(key), qlen = strlen(query);
    size_t start = 0;
    while (start < qlen) {
        size_t end = start;
        while (end < qlen && query[end] != '&')
            end++;
        size_t eq = start;
        while (eq < end && query[eq] != '=')
            eq++;
        if (eq - start == key_len && strncmp(query + start, key, key_len) == 0) {
            size_t o = 0;
            for (size_t i = eq < end ? eq + 1 : end; i < end; i++) {
                int c = (unsigned char)query[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    if (end - i < 3 || hex_value(query[i + 1]) < 0 || hex_value(query[i + 2]) < 0)
                        return VX_QUERY_INVALID;
                    c = hex_value(query[i + 1]) * 16 + hex_value(query[i + 2]);
                    i += 2;
                }
                if (c == 0 || o >= out_len - 1)
                    return VX_QUERY_INVALID;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return VX_QUERY_OK;
        }
        start = end + 1;
    }
    return VX_QUERY_ABSENT;
}

static char *copy_string(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* "key=" + value with every byte percent-encoded. */
static char *encode(const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t kl = strlen(key), vl = strlen(value);
    char *q = malloc(kl + 1 + 3 * vl + 1);
    if (q == NULL)
        abort();
    memcpy(q, key, kl);
    char *o = q + kl;
    *o++ = '=';
    for (size_t i = 0; i < vl; i++) {
        unsigned char c = (unsigned char)value[i];
        *o++ = '%';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    *o = '\0';
    return q;
}

static void check_long(const char *query, const char *key, long min, long max)
{
    long v = 12345;
    vx_query_status st = vx_query_long(query, key, min, max, &v);
    char buf[32];
    vx_query_status got = vx_query_get(query, key, buf, sizeof(buf));
    if (got == VX_QUERY_ABSENT) {
        if (st != VX_QUERY_ABSENT || v != 12345)
            abort();
        return;
    }
    bool ok = false;
    long want = 0;
    const char *digits = buf[0] == '-' ? buf + 1 : buf;
    if (got == VX_QUERY_OK && *digits >= '0' && *digits <= '9') {
        char *end;
        errno = 0;
        want = strtol(buf, &end, 10);
        ok = *end == '\0' && errno == 0 && want >= min && want <= max;
    }
    if (ok ? (st != VX_QUERY_OK || v != want || v < min || v > max) : (st != VX_QUERY_INVALID || v != 12345))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t out_len = 1 + data[0] % 64;
    size_t key_len = data[1] % 8;
    if (size - 2 < key_len)
        return 0;
    char *key = copy_string(data + 2, key_len);
    char *query = copy_string(data + 2 + key_len, size - 2 - key_len);
    char *out = malloc(out_len), *want = malloc(out_len);
    if (out == NULL || want == NULL)
        abort();
    memset(out, 'X', out_len);

    vx_query_status st = vx_query_get(query, key, out, out_len);
    vx_query_status ref = ref_get(query, key, want, out_len);
    if (st != ref)
        abort();
    if (st == VX_QUERY_OK) {
        const char *nul = memchr(out, '\0', out_len);
        if (nul == NULL || strcmp(out, want) != 0)
            abort();
        /* Back and forth: the value, fully encoded, reads as itself. */
        char *again = encode(key, out);
        char *back = malloc(out_len);
        if (back == NULL)
            abort();
        if (vx_query_get(again, key, back, out_len) != VX_QUERY_OK || strcmp(back, out) != 0)
            abort();
        free(back);
        free(again);
    }
    /* NULL is an empty query. */
    if (vx_query_get(NULL, key, out, out_len) != VX_QUERY_ABSENT)
        abort();

    check_long(query, key, 1, 100);
    check_long(query, key, LONG_MIN, LONG_MAX);
    check_long(query, key, -5, 5);

    free(want);
    free(out);
    free(query);
    free(key);
    return 0;
}
