/*
 * Unit tests for libcommon/vx_utf8.c (vx_utf8_seq_len), checked two ways:
 *   - literally, class by class: ASCII, the boundaries of the valid 2-, 3-
 *     and 4-byte ranges, overlong forms, UTF-16 surrogates, code points above
 *     U+10FFFF (and the 5- and 6-byte forms of old), truncated sequences and
 *     stray or missing continuation bytes;
 *   - against a tiny reference decoder written here the other way round (it
 *     decodes whatever the lead byte announces, then judges the code point),
 *     over every code point, every 1-, 2- and 3-byte string and a large
 *     sample of 4-byte strings.
 * Every sequence sits in a buffer of exactly n bytes (heap or stack), so a
 * read past n is an ASan report in the asan build.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vx_utf8.h"

/* ------------------------------------------------------------ reference */

/* Decodes the sequence the lead byte announces (1-4 bytes; the 5- and 6-byte
 * leads of the original design and bare continuation bytes are refused), then
 * refuses overlong forms, surrogates and anything above U+10FFFF. Returns the
 * length and sets *cp, or returns 0. */
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

static size_t ref_seq_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    return ref_decode(s, n, &cp);
}

/* Encodes cp into out[0..len) (len 1-4) with the generic UTF-8 bit layout,
 * whether or not that is the valid form: overlong when len is longer than
 * needed, a surrogate or beyond U+10FFFF when cp is. */
static void encode_as(uint32_t cp, size_t len, unsigned char *out)
{
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    for (size_t i = len - 1; i > 0; i--) {
        out[i] = (unsigned char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    out[0] = (unsigned char)(lead[len] | cp);
}

static size_t shortest_len(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* vx_utf8_seq_len on a copy of s[0..n) in a heap block of exactly n bytes. */
static size_t seq_len(const void *s, size_t n)
{
    unsigned char *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, s, n);
    size_t got = vx_utf8_seq_len(copy, n);
    free(copy);
    return got;
}

/* The same, and the reference must agree. */
static size_t checked_len(const void *s, size_t n)
{
    size_t got = seq_len(s, n);
    assert_int_equal(got, ref_seq_len(s, n));
    return got;
}

/* A byte string in a table: its bytes (up to 6) and how many there are. */
typedef struct seq {
    unsigned char b[6];
    size_t n;
} seq;

#define SEQ(...)                                                                                                                   \
    {                                                                                                                              \
        {__VA_ARGS__}, sizeof((unsigned char[]){__VA_ARGS__})                                                                      \
    }

static void expect_all(const seq *t, size_t count, size_t want, const char *what)
{
    for (size_t i = 0; i < count; i++) {
        size_t got = checked_len(t[i].b, t[i].n);
        if (got != want)
            fail_msg("%s #%zu (%02X %02X %02X %02X): got %zu, want %zu", what, i, t[i].b[0], t[i].b[1], t[i].b[2], t[i].b[3], got,
                     want);
    }
}

/* ------------------------------------------------------------ classes */

static void test_ascii_is_one_byte(void **state)
{
    for (unsigned c = 0; c < 0x80; c++) {
        unsigned char b = (unsigned char)c;
        assert_int_equal(checked_len(&b, 1), 1);
        /* Whatever follows does not matter. */
        unsigned char two[2] = {b, 0xFF};
        assert_int_equal(checked_len(two, 2), 1);
    }
}

static void test_valid_boundaries(void **state)
{
    static const seq two[] = {
        SEQ(0xC2, 0x80),                  /* U+0080, the first 2-byte code point */
        SEQ(0xC2, 0xBF), SEQ(0xC3, 0xA9), /* é */
        SEQ(0xDF, 0x80), SEQ(0xDF, 0xBF), /* U+07FF, the last */
    };
    static const seq three[] = {
        SEQ(0xE0, 0xA0, 0x80),                                               /* U+0800, the first 3-byte code point */
        SEQ(0xE0, 0xBF, 0xBF), SEQ(0xE1, 0x80, 0x80), SEQ(0xE2, 0x82, 0xAC), /* € */
        SEQ(0xEC, 0xBF, 0xBF), SEQ(0xED, 0x80, 0x80), SEQ(0xED, 0x9F, 0xBF), /* U+D7FF, just below the surrogates */
        SEQ(0xEE, 0x80, 0x80),                                               /* U+E000, just above them */
        SEQ(0xEF, 0xBB, 0xBF),                                               /* the BOM, U+FEFF */
        SEQ(0xEF, 0xBF, 0xBE), SEQ(0xEF, 0xBF, 0xBF),                        /* U+FFFE, U+FFFF: non-characters, valid UTF-8 */
    };
    static const seq four[] = {
        SEQ(0xF0, 0x90, 0x80, 0x80), /* U+10000, the first 4-byte code point */
        SEQ(0xF0, 0x9F, 0x98, 0x80), /* 😀 */
        SEQ(0xF0, 0xBF, 0xBF, 0xBF), SEQ(0xF1, 0x80, 0x80, 0x80), SEQ(0xF3, 0xBF, 0xBF, 0xBF),
        SEQ(0xF4, 0x80, 0x80, 0x80), SEQ(0xF4, 0x8F, 0xBF, 0xBF), /* U+10FFFF, the last code point */
    };
    expect_all(two, sizeof(two) / sizeof(two[0]), 2, "2-byte");
    expect_all(three, sizeof(three) / sizeof(three[0]), 3, "3-byte");
    expect_all(four, sizeof(four) / sizeof(four[0]), 4, "4-byte");
    /* Bytes after the sequence are not looked at. */
    unsigned char longer[] = {0xE2, 0x82, 0xAC, 0xFF, 0x80};
    assert_int_equal(checked_len(longer, sizeof(longer)), 3);
}

static void test_overlong_forms(void **state)
{
    static const seq bad[] = {
        SEQ(0xC0, 0x80),             /* NUL in two bytes ("modified UTF-8") */
        SEQ(0xC0, 0xAF),             /* '/' in two bytes: the classic path-traversal trick */
        SEQ(0xC1, 0xBF),             /* U+007F in two bytes */
        SEQ(0xE0, 0x80, 0x80),       /* NUL in three */
        SEQ(0xE0, 0x80, 0xAF),       /* '/' in three */
        SEQ(0xE0, 0x9F, 0xBF),       /* U+07FF in three */
        SEQ(0xF0, 0x80, 0x80, 0x80), /* NUL in four */
        SEQ(0xF0, 0x80, 0x80, 0xAF), /* '/' in four */
        SEQ(0xF0, 0x8F, 0xBF, 0xBF), /* U+FFFF in four */
    };
    expect_all(bad, sizeof(bad) / sizeof(bad[0]), 0, "overlong");
    /* Every code point in every longer-than-needed form. */
    unsigned char b[4];
    for (uint32_t cp = 0; cp < 0x10000; cp++) {
        for (size_t len = shortest_len(cp) + 1; len <= 4; len++) {
            encode_as(cp, len, b);
            if (vx_utf8_seq_len(b, len) != 0)
                fail_msg("U+%04X encoded overlong in %zu bytes was accepted", (unsigned)cp, len);
        }
    }
}

static void test_surrogates(void **state)
{
    unsigned char b[3];
    for (uint32_t cp = 0xD800; cp <= 0xDFFF; cp++) {
        encode_as(cp, 3, b);
        if (vx_utf8_seq_len(b, 3) != 0)
            fail_msg("the surrogate U+%04X was accepted", (unsigned)cp);
        assert_int_equal(ref_seq_len(b, 3), 0);
    }
    static const seq bad[] = {
        SEQ(0xED, 0xA0, 0x80), /* U+D800, the first high surrogate */
        SEQ(0xED, 0xAF, 0xBF), /* U+DBFF, the last high surrogate */
        SEQ(0xED, 0xB0, 0x80), /* U+DC00, the first low surrogate */
        SEQ(0xED, 0xBF, 0xBF), /* U+DFFF, the last low surrogate */
    };
    expect_all(bad, sizeof(bad) / sizeof(bad[0]), 0, "surrogate");
    /* CESU-8: U+1F600 as an encoded surrogate pair is two invalid sequences, not one character. */
    unsigned char cesu[] = {0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80};
    assert_int_equal(checked_len(cesu, sizeof(cesu)), 0);
    assert_int_equal(checked_len(cesu + 3, 3), 0);
}

static void test_above_u10ffff(void **state)
{
    static const seq bad[] = {
        SEQ(0xF4, 0x90, 0x80, 0x80),             /* U+110000 */
        SEQ(0xF4, 0xBF, 0xBF, 0xBF),             /* U+13FFFF */
        SEQ(0xF5, 0x80, 0x80, 0x80),             /* U+140000 */
        SEQ(0xF7, 0xBF, 0xBF, 0xBF),             /* U+1FFFFF, the most four bytes can carry */
        SEQ(0xF8, 0x88, 0x80, 0x80, 0x80),       /* U+200000 in the 5-byte form of old */
        SEQ(0xFB, 0xBF, 0xBF, 0xBF, 0xBF),       /* U+3FFFFFF */
        SEQ(0xFC, 0x84, 0x80, 0x80, 0x80, 0x80), /* U+4000000 in the 6-byte form */
        SEQ(0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF), /* U+7FFFFFFF */
        SEQ(0xFE, 0x80, 0x80, 0x80, 0x80, 0x80),
        SEQ(0xFF, 0x80, 0x80, 0x80, 0x80, 0x80),
    };
    expect_all(bad, sizeof(bad) / sizeof(bad[0]), 0, "above U+10FFFF");
    unsigned char b[4];
    for (uint32_t cp = 0x110000; cp <= 0x1FFFFF; cp++) {
        encode_as(cp, 4, b);
        if (vx_utf8_seq_len(b, 4) != 0)
            fail_msg("U+%06X was accepted", (unsigned)cp);
    }
}

static void test_truncated(void **state)
{
    static const seq valid[] = {
        SEQ(0xC2, 0x80),
        SEQ(0xDF, 0xBF),
        SEQ(0xE0, 0xA0, 0x80),
        SEQ(0xE2, 0x82, 0xAC),
        SEQ(0xEF, 0xBF, 0xBF),
        SEQ(0xED, 0x9F, 0xBF),
        SEQ(0xF0, 0x90, 0x80, 0x80),
        SEQ(0xF0, 0x9F, 0x98, 0x80),
        SEQ(0xF4, 0x8F, 0xBF, 0xBF),
    };
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        assert_int_equal(checked_len(valid[i].b, valid[i].n), valid[i].n);
        /* Every proper prefix, in a buffer that ends where the prefix does:
         * the bytes that would complete it are not there to be read. */
        for (size_t n = 1; n < valid[i].n; n++) {
            if (checked_len(valid[i].b, n) != 0)
                fail_msg("a %zu-byte prefix of sequence #%zu was accepted", n, i);
        }
        /* The same prefix followed by something else than a continuation byte. */
        for (size_t n = 1; n < valid[i].n; n++) {
            unsigned char b[4];
            memcpy(b, valid[i].b, n);
            b[n] = 'A';
            assert_int_equal(checked_len(b, n + 1), 0);
        }
    }
}

static void test_stray_and_missing_continuation_bytes(void **state)
{
    /* A continuation byte cannot start a sequence, alone or followed by anything. */
    for (unsigned c = 0x80; c <= 0xBF; c++) {
        unsigned char one = (unsigned char)c, two[2] = {(unsigned char)c, 'A'}, cont[4] = {(unsigned char)c, 0x80, 0x80, 0x80};
        assert_int_equal(checked_len(&one, 1), 0);
        assert_int_equal(checked_len(two, 2), 0);
        assert_int_equal(checked_len(cont, 4), 0);
    }
    /* Bytes that never appear in UTF-8, as leads. */
    const unsigned char never[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF};
    for (size_t i = 0; i < sizeof(never); i++) {
        unsigned char b[4] = {never[i], 0x80, 0x80, 0x80};
        assert_int_equal(checked_len(b, 4), 0);
    }
    /* A lead followed by a non-continuation byte at each position. */
    static const seq bad[] = {
        SEQ(0xC2, 0x41),
        SEQ(0xC2, 0x00),
        SEQ(0xC2, 0xC2),
        SEQ(0xC2, 0xFF),
        SEQ(0xE1, 0x41, 0x80),
        SEQ(0xE1, 0x80, 0x41),
        SEQ(0xE1, 0x80, 0xC0),
        SEQ(0xE1, 0xC0, 0x80),
        SEQ(0xE0, 0xA0, 0x7F),
        SEQ(0xED, 0x80, 0xC0),
        SEQ(0xF1, 0x80, 0x80, 0x41),
        SEQ(0xF1, 0x80, 0x41, 0x80),
        SEQ(0xF1, 0x41, 0x80, 0x80),
        SEQ(0xF1, 0x80, 0x80, 0xC0),
        SEQ(0xF4, 0x80, 0x80, 0x7F),
        SEQ(0xF0, 0x90, 0x80, 0xFF),
    };
    expect_all(bad, sizeof(bad) / sizeof(bad[0]), 0, "missing continuation");
}

/* ------------------------------------------------------------ exhaustive */

static void test_every_code_point(void **state)
{
    size_t valid = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t len = shortest_len(cp);
        unsigned char *b = malloc(len);
        assert_non_null(b);
        encode_as(cp, len, b);
        size_t got = vx_utf8_seq_len(b, len);
        uint32_t back = 0;
        size_t want = ref_decode(b, len, &back);
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (got != want || got != (surrogate ? 0 : len) || (want != 0 && back != cp))
            fail_msg("U+%04X: got %zu, reference %zu (decoded U+%04X)", (unsigned)cp, got, want, (unsigned)back);
        valid += got != 0;
        free(b);
    }
    /* 0x110000 code points less 2048 surrogates. */
    assert_int_equal(valid, 0x110000 - 0x800);
}

static void test_every_short_string_matches_the_reference(void **state)
{
    for (unsigned a = 0; a < 256; a++) {
        unsigned char one[1] = {(unsigned char)a};
        assert_int_equal(vx_utf8_seq_len(one, 1), ref_seq_len(one, 1));
    }
    size_t twos = 0;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            unsigned char s[2] = {(unsigned char)a, (unsigned char)b};
            size_t got = vx_utf8_seq_len(s, 2);
            if (got != ref_seq_len(s, 2))
                fail_msg("%02X %02X: got %zu, reference %zu", a, b, got, ref_seq_len(s, 2));
            twos += got == 2;
        }
    }
    assert_int_equal(twos, 0x800 - 0x80); /* U+0080..U+07FF */
    size_t threes = 0;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (unsigned c = 0; c < 256; c++) {
                unsigned char s[3] = {(unsigned char)a, (unsigned char)b, (unsigned char)c};
                size_t got = vx_utf8_seq_len(s, 3);
                if (got != ref_seq_len(s, 3))
                    fail_msg("%02X %02X %02X: got %zu, reference %zu", a, b, c, got, ref_seq_len(s, 3));
                threes += got == 3;
            }
        }
    }
    assert_int_equal(threes, 0x10000 - 0x800 - 0x800); /* U+0800..U+FFFF less the surrogates */
}

static void test_four_byte_strings_match_the_reference(void **state)
{
    /* Every lead that could start four bytes, every second byte, and third and
     * fourth bytes from each class (ASCII, continuation ranges, leads, never-used). */
    static const unsigned char sample[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF4, 0xFF};
    for (unsigned a = 0xC0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (size_t c = 0; c < sizeof(sample); c++) {
                for (size_t d = 0; d < sizeof(sample); d++) {
                    unsigned char s[4] = {(unsigned char)a, (unsigned char)b, sample[c], sample[d]};
                    size_t got = vx_utf8_seq_len(s, 4);
                    if (got != ref_seq_len(s, 4))
                        fail_msg("%02X %02X %02X %02X: got %zu, reference %zu", a, b, s[2], s[3], got, ref_seq_len(s, 4));
                }
            }
        }
    }
    /* Every 4-byte lead with every three continuation bytes: exactly the
     * code points U+10000..U+10FFFF pass. */
    size_t fours = 0;
    for (unsigned a = 0xF0; a <= 0xF7; a++) {
        for (unsigned b = 0x80; b <= 0xBF; b++) {
            for (unsigned c = 0x80; c <= 0xBF; c++) {
                for (unsigned d = 0x80; d <= 0xBF; d++) {
                    unsigned char s[4] = {(unsigned char)a, (unsigned char)b, (unsigned char)c, (unsigned char)d};
                    size_t got = vx_utf8_seq_len(s, 4);
                    if (got != ref_seq_len(s, 4))
                        fail_msg("%02X %02X %02X %02X: got %zu, reference %zu", a, b, c, d, got, ref_seq_len(s, 4));
                    fours += got == 4;
                }
            }
        }
    }
    assert_int_equal(fours, 0x110000 - 0x10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_is_one_byte),
        cmocka_unit_test(test_valid_boundaries),
        cmocka_unit_test(test_overlong_forms),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_above_u10ffff),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_stray_and_missing_continuation_bytes),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_every_short_string_matches_the_reference),
        cmocka_unit_test(test_four_byte_strings_match_the_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
