/*
 * vx_crypto: SHA-256, HMAC-SHA256, constant-time comparison, randomness,
 * hex, base64 and base64url on top of OpenSSL 3 (AES-256-GCM: vx_aead.c).
 *
 * Design: thin wrappers over OpenSSL's one-shot EVP APIs, with the sharp
 * edges filed off:
 *   - OpenSSL takes int lengths in several places; larger inputs are fed in
 *     chunks (or, for HMAC keys, pre-hashed exactly as RFC 2104 prescribes),
 *     never silently truncated.
 *   - Functions returning void (hashing, randomness) cannot fail short of
 *     memory exhaustion or a broken CSPRNG; they abort rather than hand back
 *     a digest or key that is not one.
 *   - base64url decoding is strict (no padding, no whitespace, no '+' or '/',
 *     zero unused bits), so every byte string has exactly one accepted
 *     encoding — a JWT signature cannot be re-encoded to slip past a
 *     "seen before" check.
 * Hex, base64 and base64url are written here rather than with OpenSSL's
 * BIO/EVP encoders, which add newlines (and know no base64url).
 */
#include "vx_crypto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static void crypto_die(const char *what)
{
    fprintf(stderr, "vx_crypto: %s failed\n", what);
    abort();
}

void vx_sha256(const void *data, size_t len, uint8_t out[VX_SHA256_LEN])
{
    if (EVP_Digest(len ? data : "", len, out, NULL, EVP_sha256(), NULL) != 1)
        crypto_die("EVP_Digest");
}

/* HMAC-SHA256 of data under key. A key longer than INT_MAX (OpenSSL's limit)
 * is replaced by its SHA-256, which is what HMAC does with any key longer
 * than the block size anyway, so the result is unchanged. */
void vx_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[VX_SHA256_LEN])
{
    uint8_t hashed_key[VX_SHA256_LEN];
    if (key_len > INT_MAX) {
        vx_sha256(key, key_len, hashed_key);
        key = hashed_key;
        key_len = sizeof hashed_key;
    }
    unsigned int out_len = 0;
    if (!HMAC(EVP_sha256(), key_len ? key : "", (int)key_len, len ? data : (const void *)"", len, out, &out_len) ||
        out_len != VX_SHA256_LEN)
        crypto_die("HMAC");
    OPENSSL_cleanse(hashed_key, sizeof hashed_key);
}

/* Equal lengths: CRYPTO_memcmp over the whole length. Unequal lengths: the
 * answer is already false, but a full-length CRYPTO_memcmp over a is still
 * run so the time depends on the lengths only, not on the contents. */
bool vx_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len == 0 && b_len == 0)
        return true;
    if (!a || !b)
        return false;
    if (a_len != b_len) {
        (void)CRYPTO_memcmp(a, a, a_len);
        return false;
    }
    return CRYPTO_memcmp(a, b, a_len) == 0;
}

void vx_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1)
            crypto_die("RAND_bytes");
        p += n;
        len -= (size_t)n;
    }
}

void vx_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0x0F];
    }
    out[2 * len] = '\0';
}

int vx_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int vx_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_len)
{
    if (!in || out_len > SIZE_MAX / 2 || in_len != 2 * out_len)
        return -1;
    for (size_t i = 0; i < out_len; i++) {
        int hi = vx_hex_digit(in[2 * i]), lo = vx_hex_digit(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Both encodings in one: the alphabet differs, and only base64 pads the last
 * group to four characters. Returns NULL only when the allocation fails or
 * the size would overflow. */
static char *b64_encode(const char *alphabet, bool pad, const uint8_t *in, size_t len)
{
    if (len > (SIZE_MAX - 4) / 4 * 3)
        return NULL;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

char *vx_base64_encode(const uint8_t *in, size_t len)
{
    return b64_encode(b64_alphabet, true, in, len);
}

char *vx_base64url_encode(const uint8_t *in, size_t len)
{
    return b64_encode(b64url_alphabet, false, in, len);
}

/* The value of c in the url alphabet (- _) or the standard one (+ /), or -1. */
static int b64_val(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/* Strict decoder of unpadded input: a length of 1 mod 4 is impossible, and
 * the bits a final partial group does not use must be zero (RFC 4648 §3.5). */
static int b64_decode(const char *in, size_t in_len, bool url, uint8_t **out, size_t *out_len)
{
    if (!out || !out_len || (!in && in_len) || in_len % 4 == 1)
        return -1;
    size_t n = in_len / 4 * 3 + (in_len % 4 ? in_len % 4 - 1 : 0);
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < in_len; i++) {
        int v = b64_val(in[i], url);
        if (v < 0)
            goto fail;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            buf[o++] = (uint8_t)(acc >> 16);
            buf[o++] = (uint8_t)(acc >> 8);
            buf[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (in_len % 4 == 2) { /* 12 bits: one byte, 4 unused bits */
        if (acc & 0x0F)
            goto fail;
        buf[o++] = (uint8_t)(acc >> 4);
    } else if (in_len % 4 == 3) { /* 18 bits: two bytes, 2 unused bits */
        if (acc & 0x03)
            goto fail;
        buf[o++] = (uint8_t)(acc >> 10);
        buf[o++] = (uint8_t)(acc >> 2);
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
fail:
    free(buf);
    return -1;
}

int vx_base64url_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    return b64_decode(in, in_len, true, out, out_len);
}

int vx_base64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    /* Padding, when present, completes the last group to four characters. */
    if (in != NULL && in_len > 0 && in[in_len - 1] == '=') {
        if (in_len % 4 != 0)
            return -1;
        in_len -= in_len >= 2 && in[in_len - 2] == '=' ? 2 : 1;
    }
    return b64_decode(in, in_len, false, out, out_len);
}
