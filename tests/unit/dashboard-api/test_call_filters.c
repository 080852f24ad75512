/*
 * Unit test of services/dashboard-api/call_filters.c: the time bounds, where
 * a page starts and the search patterns of the calls dashboard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_filters.h"

static void test_dates_are_midnight_utc_and_the_end_of_day_is_the_next(void **state)
{
    int64_t ms = -1;
    assert_true(call_filters_time("2026-01-31", false, &ms));
    assert_int_equal(ms, 1769817600000LL);
    assert_true(call_filters_time("2026-01-31", true, &ms));
    assert_int_equal(ms, 1769817600000LL + 86400000LL);
    assert_true(call_filters_time("2024-02-29", false, &ms));
    assert_true(call_filters_time("1970-01-01", false, &ms));
    assert_int_equal(ms, 0);
}

static void test_timestamps_need_their_offset(void **state)
{
    int64_t ms = -1;
    assert_true(call_filters_time("2026-01-31T09:30:00Z", false, &ms));
    assert_int_equal(ms, 1769817600000LL + 9 * 3600000LL + 30 * 60000LL);
    /* A timestamp is one instant: end_of_day does not move it. */
    assert_true(call_filters_time("2026-01-31T09:30:00Z", true, &ms));
    assert_int_equal(ms, 1769817600000LL + 9 * 3600000LL + 30 * 60000LL);
    assert_true(call_filters_time("2026-01-31T11:30:00.250+02:00", false, &ms));
    assert_int_equal(ms, 1769817600000LL + 9 * 3600000LL + 30 * 60000LL + 250);
    assert_true(call_filters_time("2026-01-31T09:30:00.123456Z", false, &ms));
}

static void test_everything_else_is_no_time(void **state)
{
    static const char *const bad[] = {
        "",
        "2026",
        "2026-01",
        "2026-1-31",
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026/01/31",
        "31-01-2026",
        "2026-01-31T09:30:00",       /* no offset: which instant? */
        "2026-01-31T09:30Z",         /* no seconds */
        "2026-01-31T09:30:00 02:00", /* a '+' sent unencoded in a query string */
        "2026-01-31T25:00:00Z",
        "2026-01-31Z",
        " 2026-01-31",
        "2026-01-31 ",
        "1969-12-31",
        "0000-01-01",
        "1969-12-31T23:59:59Z",
        "now",
        "1769817600",
        "-2026-01-31",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 42;
        if (call_filters_time(bad[i], false, &ms))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(ms, 42);
    }
}

static void test_a_page_starts_at_the_cursor_or_to_whichever_is_first(void **state)
{
    char at[VX_TIME_US_LEN], id[37];
    call_filters_page_start(false, 0, false, 0, NULL, at, id);
    assert_string_equal(at, "infinity");
    assert_string_equal(id, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    /* to alone: before its instant, every id of it included. */
    call_filters_page_start(true, 1769817600000LL, false, 0, NULL, at, id);
    assert_string_equal(at, "2026-01-31T00:00:00.000000Z");
    assert_string_equal(id, "00000000-0000-0000-0000-000000000000");
    /* A cursor alone, or before to: the cursor. */
    call_filters_page_start(false, 0, true, 1769854200123456LL, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d", at, id);
    assert_string_equal(at, "2026-01-31T10:10:00.123456Z");
    assert_string_equal(id, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d");
    call_filters_page_start(true, 1769904000000LL, true, 1769854200123456LL, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d", at, id);
    assert_string_equal(at, "2026-01-31T10:10:00.123456Z");
    /* to before the cursor: to. At the same instant too: nothing of it is shown. */
    call_filters_page_start(true, 1769817600000LL, true, 1769854200123456LL, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d", at, id);
    assert_string_equal(at, "2026-01-31T00:00:00.000000Z");
    assert_string_equal(id, "00000000-0000-0000-0000-000000000000");
    call_filters_page_start(true, 1769817600000LL, true, 1769817600000000LL, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d", at, id);
    assert_string_equal(id, "00000000-0000-0000-0000-000000000000");
}

static void test_search_text(void **state)
{
    assert_true(call_filters_search_ok("Jane"));
    assert_true(call_filters_search_ok("José Müller"));
    assert_true(call_filters_search_ok("+1 (415) 555"));
    char longest[CALL_FILTERS_SEARCH_MAX + 2];
    memset(longest, 'a', CALL_FILTERS_SEARCH_MAX);
    longest[CALL_FILTERS_SEARCH_MAX] = '\0';
    assert_true(call_filters_search_ok(longest));
    longest[CALL_FILTERS_SEARCH_MAX] = 'a';
    longest[CALL_FILTERS_SEARCH_MAX + 1] = '\0';
    assert_false(call_filters_search_ok(longest));
    assert_false(call_filters_search_ok(""));
    assert_false(call_filters_search_ok("a\tb"));
    assert_false(call_filters_search_ok("a\nb"));
    assert_false(call_filters_search_ok("a\x7f"));
    assert_false(call_filters_search_ok("a\xc2\x85"));    /* NEL, a C1 control */
    assert_false(call_filters_search_ok("\xff\xfe"));     /* not UTF-8 */
    assert_false(call_filters_search_ok("\xc0\xaf"));     /* overlong */
    assert_false(call_filters_search_ok("\xed\xa0\x80")); /* a surrogate */
    assert_true(call_filters_search_ok("\xc2\xa0"
                                       "a")); /* NBSP is text */
}

static void test_patterns(void **state)
{
    char *p = call_filters_like_pattern("Jane");
    assert_string_equal(p, "%Jane%");
    free(p);
    p = call_filters_like_pattern("100%_a\\b");
    assert_string_equal(p, "%100\\%\\_a\\\\b%");
    free(p);

    p = call_filters_phone_pattern("(415) 555-01");
    assert_string_equal(p, "%41555501%");
    free(p);
    p = call_filters_phone_pattern("+1.415");
    assert_string_equal(p, "%1415%");
    free(p);
    p = call_filters_phone_pattern(" 14155550100"); /* a '+' sent unencoded */
    assert_string_equal(p, "%14155550100%");
    free(p);
    assert_null(call_filters_phone_pattern("Jane"));
    assert_null(call_filters_phone_pattern("Room 101"));
    assert_null(call_filters_phone_pattern("+-() ."));
    assert_null(call_filters_phone_pattern("415%"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates_are_midnight_utc_and_the_end_of_day_is_the_next),
        cmocka_unit_test(test_timestamps_need_their_offset),
        cmocka_unit_test(test_everything_else_is_no_time),
        cmocka_unit_test(test_a_page_starts_at_the_cursor_or_to_whichever_is_first),
        cmocka_unit_test(test_search_text),
        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
