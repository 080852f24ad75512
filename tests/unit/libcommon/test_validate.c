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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_valid),
        cmocka_unit_test(test_uuid_invalid),
        cmocka_unit_test(test_e164),
        cmocka_unit_test(test_uuid_v4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
