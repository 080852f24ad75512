/*
 * Unit tests for libcommon/vx_time.c: formatting (including before 1970 and
 * clamping), RFC 3339 parsing (offsets, fractions, separators, leap days and
 * seconds), rejection of malformed and out-of-range input, independence from
 * TZ, and a format → parse round trip over many instants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vx_time.h"

static void check_format(int64_t ms, const char *expected)
{
    char out[25];
    memset(out, 'X', sizeof out);
    vx_time_format_iso(ms, out);
    assert_string_equal(out, expected);
}

static void test_format(void **state)
{
    check_format(0, "1970-01-01T00:00:00.000Z");
    check_format(1722032457931LL, "2024-07-26T22:20:57.931Z");
    check_format(951782400000LL, "2000-02-29T00:00:00.000Z");
    check_format(-1, "1969-12-31T23:59:59.999Z");
    check_format(-62167219200000LL, "0000-01-01T00:00:00.000Z");
    check_format(253402300799999LL, "9999-12-31T23:59:59.999Z");
    check_format(INT64_MAX, "9999-12-31T23:59:59.999Z"); /* clamped */
    check_format(INT64_MIN, "0000-01-01T00:00:00.000Z");
}

/* Parses s and checks it succeeds with the expected value. */
static void check_parse(const char *s, int64_t expected)
{
    int64_t ms = 12345;
    assert_true(vx_time_parse_iso(s, &ms));
    assert_int_equal(ms, expected);
}

static void test_parse_valid(void **state)
{
    check_parse("2024-07-26T22:20:57.931Z", 1722032457931LL);
    check_parse("2024-07-26T22:20:57Z", 1722032457000LL);
    check_parse("2024-07-26 22:20:57Z", 1722032457000LL);
    check_parse("2024-07-26t22:20:57z", 1722032457000LL);
    check_parse("2024-07-27T00:20:57.931+02:00", 1722032457931LL);
    check_parse("2024-07-26T16:50:57.931-05:30", 1722032457931LL);
    check_parse("2024-07-26T22:20:57.931+00:00", 1722032457931LL);
    check_parse("2024-07-26T22:20:57.931-00:00", 1722032457931LL);
    check_parse("2024-07-26T22:20:57.9Z", 1722032457900LL);
    check_parse("2024-07-26T22:20:57.93Z", 1722032457930LL);
    check_parse("2024-07-26T22:20:57.931999999Z", 1722032457931LL); /* truncated, not rounded */
    check_parse("2024-07-26T22:20:57.93100000000000000000000000001Z", 1722032457931LL);
    check_parse("1970-01-01T00:00:00Z", 0);
    check_parse("1969-12-31T23:59:59.999Z", -1);
    check_parse("2000-02-29T00:00:00Z", 951782400000LL);
    check_parse("2016-12-31T23:59:60Z", 1483228800000LL); /* leap second */
    check_parse("0000-01-01T00:00:00Z", -62167219200000LL);
    check_parse("9999-12-31T23:59:59.999Z", 253402300799999LL);
    check_parse("2024-01-01T00:00:00+23:59", 1704067200000LL - (23 * 60 + 59) * 60000LL);
}

static void test_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "2024-07-26",
        "2024-07-26T22:20Z",
        "2024-07-26T22:20:57",
        "2024-07-26T22:20:57.Z",
        "2024-07-26T22:20:57,931Z",
        "2024-07-26X22:20:57Z",
        "2024-07-26T22:20:57Z ",
        " 2024-07-26T22:20:57Z",
        "2024-7-26T22:20:57Z",
        "24-07-26T22:20:57Z",
        "2024-07-26T2:20:57Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2024-07-26T24:00:00Z",
        "2024-07-26T23:60:00Z",
        "2024-07-26T23:59:61Z",
        "2024-07-26T22:20:57+24:00",
        "2024-07-26T22:20:57+02:60",
        "2024-07-26T22:20:57+0200",
        "2024-07-26T22:20:57+02",
        "2024-07-26T22:20:57+02:00x",
        "2024-07-26T22:20:57ZZ",
        "-024-07-26T22:20:57Z",
        "+2024-07-26T22:20:57Z",
        "2024-07-26T22:20:57.-1Z",
        "1722032457931",
        "garbage",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 777;
        if (vx_time_parse_iso(bad[i], &ms))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(ms, 777); /* untouched */
    }
    int64_t ms;
    assert_false(vx_time_parse_iso(NULL, &ms));
    assert_false(vx_time_parse_iso("2024-07-26T22:20:57Z", NULL));
}

static void test_tz_does_not_matter(void **state)
{
    setenv("TZ", "America/New_York", 1);
    tzset();
    check_parse("2024-07-26T22:20:57.931Z", 1722032457931LL);
    check_format(1722032457931LL, "2024-07-26T22:20:57.931Z");
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    check_parse("2024-01-15T10:00:00+05:30", 1705293000000LL);
    unsetenv("TZ");
    tzset();
}

static void test_round_trip(void **state)
{
    /* A deterministic walk over ~4000 years with odd steps, both sides of 1970. */
    char out[25];
    for (int64_t ms = -62167219200000LL; ms <= 253402300799999LL; ms += 31557600000LL + 86399999LL) {
        int64_t back;
        vx_time_format_iso(ms, out);
        assert_true(vx_time_parse_iso(out, &back));
        assert_int_equal(back, ms);
        /* And against the C library for the date part, where time_t allows. */
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        struct tm tm;
        if (gmtime_r(&secs, &tm)) {
            char expect[32];
            strftime(expect, sizeof expect, "%Y-%m-%dT%H:%M:%S", &tm);
            if (tm.tm_year + 1900 >= 1000)
                assert_memory_equal(out, expect, 19);
        }
    }
}

static void test_microseconds_are_written_exactly(void **state)
{
    char out[VX_TIME_US_LEN];
    vx_time_format_us(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    vx_time_format_us(1769854200123456LL, out);
    assert_string_equal(out, "2026-01-31T10:10:00.123456Z");
    vx_time_format_us(VX_TIME_US_MAX, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
    vx_time_format_us(1709164799000001LL, out); /* a leap day's last second */
    assert_string_equal(out, "2024-02-28T23:59:59.000001Z");
    /* Clamped: before 1970, past 9999. */
    vx_time_format_us(-1, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    vx_time_format_us(INT64_MAX, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
}

static void test_clocks(void **state)
{
    int64_t now = vx_now_ms();
    int64_t libc = (int64_t)time(NULL) * 1000;
    assert_true(now >= libc - 2000 && now <= libc + 2000);
    int64_t a = vx_monotonic_us();
    int64_t b = vx_monotonic_us();
    assert_true(b >= a);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    assert_true(vx_monotonic_us() - a >= 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid), cmocka_unit_test(test_tz_does_not_matter),
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_microseconds_are_written_exactly),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
