/*
 * vx_validate: shape checks for the identifiers that cross our edges.
 *
 * Design: hand-written scanners instead of regular expressions — each check
 * is one pass over at most a few dozen bytes, never allocates, never reads
 * past the given length and is safe on any input (NULL included, which is
 * simply not valid). vx_uuid_v4 draws from the CSPRNG via vx_crypto, so ids
 * are unguessable as well as unique.
 */
#include "vx_validate.h"

#include "vx_crypto.h"
#include "vx_utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True when s[0..len) is exactly xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex.
 * The version and variant nibbles are not checked: Postgres accepts any. */
bool vx_is_uuid(const char *s, size_t len)
{
    if (!s || len != VX_UUID_STR_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

/* True for '+', a non-zero digit, then 6 to 14 more digits, then the end:
 * 7 to 15 digits in all, as ITU-T E.164 allows. */
bool vx_is_e164(const char *s)
{
    if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    size_t n = 1;
    const char *p = s + 2;
    for (; *p >= '0' && *p <= '9'; p++)
        if (++n > 15)
            return false;
    return *p == '\0' && n >= 7;
}

void vx_uuid_v4(char out[VX_UUID_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t r[16];
    vx_random_bytes(r, sizeof r);
    r[6] = (uint8_t)((r[6] & 0x0F) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    size_t o = 0;
    for (size_t i = 0; i < sizeof r; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 0x0F];
    }
    out[o] = '\0';
}

bool vx_email_plausible(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (at == NULL || at == s || memchr(at + 1, '@', (size_t)(s + n - at - 1)) != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ')
            return false;
    const char *domain = at + 1;
    size_t dn = (size_t)(s + n - domain);
    if (dn < 3 || domain[0] == '.' || domain[dn - 1] == '.' || memchr(domain, '.', dn) == NULL)
        return false;
    for (size_t i = 0; i + 1 < dn; i++)
        if (domain[i] == '.' && domain[i + 1] == '.')
            return false;
    return true;
}

long vx_text_chars(const char *s, size_t n, const char *allowed_controls)
{
    const unsigned char *p = (const unsigned char *)s;
    long chars = 0;
    for (size_t i = 0; i < n; chars++) {
        if ((p[i] < 0x20 || p[i] == 0x7f) && (p[i] == 0 || strchr(allowed_controls, p[i]) == NULL))
            return -1;
        size_t k = vx_utf8_seq_len(p + i, n - i);
        if (k == 0)
            return -1;
        i += k;
    }
    return chars;
}

bool vx_is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

void vx_trim(const char *s, size_t n, const char **start, size_t *len)
{
    while (n > 0 && vx_is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && vx_is_space((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

void vx_excerpt(const char *s, char out[VX_EXCERPT_SIZE])
{
    size_t n = 0, len = strlen(s);
    while (n < len && n < 48) {
        unsigned char c = (unsigned char)s[n];
        size_t seq = c < 0x80 ? 1 : vx_utf8_seq_len((const unsigned char *)s + n, len - n);
        if (seq == 0 || n + seq > 48)
            break;
        for (size_t i = 0; i < seq; i++)
            out[n + i] = seq == 1 && (c < 0x20 || c == 0x7f) ? '?' : s[n + i];
        n += seq;
    }
    if (n < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

char *vx_clean_text(const char *s, size_t min_chars, size_t max_chars)
{
    const char *t;
    size_t n;
    vx_trim(s, strlen(s), &t, &n);
    if (n > max_chars * 4) /* a character is at most 4 bytes: too long whatever it holds */
        return NULL;
    long chars = vx_text_chars(t, n, "");
    if (chars < 0 || (size_t)chars < min_chars || (size_t)chars > max_chars)
        return NULL;
    char *out = strndup(t, n);
    if (out == NULL)
        abort();
    return out;
}
