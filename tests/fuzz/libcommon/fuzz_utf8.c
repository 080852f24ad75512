/*
 * libFuzzer harness for vx_utf8_seq_len (libcommon/vx_utf8.c), differential
 * against a reference decoder written here the other way round (decode what
 * the lead byte announces, then judge the code point: overlong, surrogate,
 * above U+10FFFF). The input is copied into an exact-size heap block, and
 * vx_utf8_seq_len is asked at every offset with the bytes left, so a read
 * past the end is an ASan report. Then the input is walked as text: where it
 * is valid UTF-8 throughout, decoding and re-encoding it gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t ref_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min_for_len[len] || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return 0;
    *cp = v;
    return len;
}

/* The shortest UTF-8 form of a valid code point; returns its length. */
static size_t encode(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned char *s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);

    /* Every offset, with exactly the bytes that are left. */
    for (size_t i = 0; i < size; i++) {
        uint32_t cp;
        size_t got = vx_utf8_seq_len(s + i, size - i);
        size_t want = ref_decode(s + i, size - i, &cp);
        if (got != want || got > 4 || got > size - i)
            abort();
        if (got != 0) {
            /* A valid sequence is the shortest form of its code point. */
            unsigned char again[4];
            if (encode(cp, again) != got || memcmp(again, s + i, got) != 0)
                abort();
        }
    }

    /* As text: valid throughout means decoding and re-encoding is the identity. */
    unsigned char *copy = malloc(size);
    if (copy == NULL)
        abort();
    size_t at = 0, out = 0;
    while (at < size) {
        uint32_t cp;
        size_t len = vx_utf8_seq_len(s + at, size - at);
        if (len == 0 || ref_decode(s + at, size - at, &cp) != len)
            break;
        out += encode(cp, copy + out);
        at += len;
    }
    if (at == size && (out != size || memcmp(copy, s, size) != 0))
        abort();

    free(copy);
    free(s);
    return 0;
}
