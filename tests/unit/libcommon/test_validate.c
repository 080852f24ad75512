/*
 * Unit tests for libcommon/vx_validate.c: UUID shape (length, dash
 * positions, hex digits, the len argument), E.164 bounds, and random v4
 * UUIDs (format, version and variant bits, no repeats).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vx_validate.h"

static bool uuid(const char *s)
{
    return vx_is_uuid(s, strlen(s));
}

static void test_uuid_valid(void **state)
{
    assert_true(uuid("123e4567-e89b-12d3-a456-426614174000"));
    assert_true(uuid("00000000-0000-0000-0000-000000000000"));
    assert_true(uuid("ABCDEF01-2345-6789-ABCD-EF0123456789"));
    assert_true(uuid("abcdef01-2345-6789-AbCd-ef0123456789"));
    /* Only len bytes are looked at. */
    assert_true(vx_is_uuid("123e4567-e89b-12d3-a456-426614174000trailing", 36));
}

static void test_uuid_invalid(void **state)
{
    assert_false(vx_is_uuid(NULL, 36));
    assert_false(uuid(""));
    assert_false(uuid("123e4567-e89b-12d3-a456-42661417400"));   /* 35 */
    assert_false(uuid("123e4567-e89b-12d3-a456-4266141740000")); /* 37 */
    assert_false(uuid("123e4567e89b-12d3-a456-4266141740000"));  /* dash moved */
    assert_false(uuid("123e4567-e89b-12d3-a456_426614174000"));
    assert_false(uuid("123e4567-e89b-12d3-a456-42661417400g"));
    assert_false(uuid("{23e4567-e89b-12d3-a456-426614174000"));
    assert_false(uuid("123e4567-e89b-12d3-a456-42661417400 "));
    assert_false(uuid("------------------------------------"));
    assert_false(vx_is_uuid("123e4567-e89b-12d3-a456-426614174000", 35));
    assert_false(vx_is_uuid("123e4567-e89b-12d3-a456-42661417400\0", 36));
}

static void test_e164(void **state)
{
    assert_true(vx_is_e164("+14155552671"));
    assert_true(vx_is_e164("+447911123456"));
    assert_true(vx_is_e164("+1234567"));         /* 7 digits: shortest */
    assert_true(vx_is_e164("+123456789012345")); /* 15 digits: longest */
    assert_false(vx_is_e164("+123456"));
    assert_false(vx_is_e164("+1234567890123456"));
    assert_false(vx_is_e164("+04155552671"));
    assert_false(vx_is_e164("14155552671"));
    assert_false(vx_is_e164("+1 415 555 2671"));
    assert_false(vx_is_e164("+1415555267a"));
    assert_false(vx_is_e164("+14155552671\n"));
    assert_false(vx_is_e164("++14155552671"));
    assert_false(vx_is_e164("+"));
    assert_false(vx_is_e164(""));
    assert_false(vx_is_e164(NULL));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_uuid_v4(void **state)
{
    enum { N = 2000 };
    char(*ids)[VX_UUID_STR_LEN + 1] = malloc(sizeof *ids * N);
    for (int i = 0; i < N; i++) {
        memset(ids[i], 'X', sizeof ids[i]);
        vx_uuid_v4(ids[i]);
        const char *s = ids[i];
        assert_int_equal(strlen(s), VX_UUID_STR_LEN);
        assert_true(vx_is_uuid(s, strlen(s)));
        assert_int_equal(s[14], '4');
        assert_non_null(strchr("89ab", s[19]));
        for (const char *p = s; *p; p++)
            assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '-');
    }
    qsort(ids, N, sizeof *ids, cmp_str);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_text_helpers(void **state)
{
    (void)state;
    const char *t;
    size_t n;
    vx_trim(" \t ab c \r\n", 10, &t, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(t, "ab c", 4);
    vx_trim("   ", 3, &t, &n);
    assert_int_equal(n, 0);
    assert_true(vx_is_space('\v') && !vx_is_space('x') && !vx_is_space(0));

    assert_int_equal(vx_text_chars("caf\xc3\xa9", 5, ""), 4);
    assert_int_equal(vx_text_chars("a\tb", 3, ""), -1);
    assert_int_equal(vx_text_chars("a\tb", 3, "\t"), 3);
    assert_int_equal(vx_text_chars("a\0b", 3, "\t"), -1);
    assert_int_equal(vx_text_chars("\xc3", 1, ""), -1);

    char *c = vx_clean_text("  Caf\xc3\xa9 au lait ", 1, 12);
    assert_string_equal(c, "Caf\xc3\xa9 au lait");
    free(c);
    assert_null(vx_clean_text("   ", 1, 10));
    assert_null(vx_clean_text("abc", 1, 2));
    assert_null(vx_clean_text("a\x01"
                              "b",
                              1, 10));
    c = vx_clean_text("", 0, 10);
    assert_string_equal(c, "");
    free(c);

    char out[VX_EXCERPT_SIZE];
    vx_excerpt("fi\x01"
               "eld",
               out);
    assert_string_equal(out, "fi?eld");
    char long_key[80];
    memset(long_key, 'k', 47);
    memcpy(long_key + 47, "\xc3\xa9rest", 7); /* a 2-byte character across the 48-byte cut */
    long_key[54] = '\0';
    vx_excerpt(long_key, out);
    assert_int_equal(strlen(out), 47 + 3);
    assert_string_equal(out + 47, "...");

    assert_true(vx_email_plausible("a@b.co", 6));
    assert_false(vx_email_plausible("a@b", 3));
    assert_false(vx_email_plausible("a@@b.co", 7));
    assert_false(vx_email_plausible("@b.co", 5));
    assert_false(vx_email_plausible("a b@c.co", 8));
    assert_false(vx_email_plausible("a@b..co", 7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_valid), cmocka_unit_test(test_uuid_invalid), cmocka_unit_test(test_e164),
        cmocka_unit_test(test_uuid_v4),    cmocka_unit_test(test_text_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
