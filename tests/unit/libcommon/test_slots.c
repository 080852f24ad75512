/*
 * Unit tests for libcommon/vx_slots.c: the pure slot
 * arithmetic (business-hour windows, existing bookings with their buffers,
 * the new appointment's own buffer, minimum notice, slot length, split days,
 * overlapping and window-spanning busy spans, unsorted input, truncation)
 * and nearest alternatives.
 *
 * Instants are built on one fixed UTC day: the time-zone conversion is
 * PostgreSQL's job and is covered by
 * tests/integration/tool-router/calendar/test_openings.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vx_slots.h"

/* 2027-01-05 00:00:00Z */
#define DAY0 1799107200000LL
#define MIN  60000LL

/* An instant on the test day, "hh:mm". */
static int64_t at(int h, int m)
{
    return DAY0 + ((int64_t)h * 60 + m) * MIN;
}

static vx_slots_span span(int h1, int m1, int h2, int m2)
{
    vx_slots_span s = {at(h1, m1), at(h2, m2)};
    return s;
}

/* Runs the computation and returns the count; slots in out[64]. */
static size_t slots(const vx_slots_span *w, size_t nw, const vx_slots_span *b, size_t nb, int len_min, int buf_min,
                    int64_t earliest, int64_t out[64])
{
    vx_slots_request req = {w, nw, b, nb, len_min * MIN, buf_min * MIN, earliest};
    return vx_slots_free(&req, out, 64);
}

static void test_hours_only(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, 0, out), 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(out[i], at(9, 0) + i * 30 * MIN);
}

static void test_window_not_a_multiple_of_the_slot(void **state)
{
    vx_slots_span w[] = {span(9, 0, 10, 45)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, 0, out), 3); /* 10:30 would end at 11:00, after closing */
    assert_int_equal(out[2], at(10, 0));
}

static void test_split_day_and_unsorted_windows(void **state)
{
    vx_slots_span w[] = {span(13, 0, 17, 0), span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 2, NULL, 0, 30, 0, 0, out), 14);
    assert_int_equal(out[0], at(9, 0));
    assert_int_equal(out[5], at(11, 30));
    assert_int_equal(out[6], at(13, 0));
    assert_int_equal(out[13], at(16, 30));
}

static void test_overlapping_windows_do_not_repeat_slots(void **state)
{
    vx_slots_span w[] = {span(9, 0, 11, 0), span(10, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 2, NULL, 0, 30, 0, 0, out), 6);
    for (int i = 1; i < 6; i++)
        assert_true(out[i] > out[i - 1]);
}

static void test_existing_booking(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    vx_slots_span b[] = {span(10, 0, 10, 30)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 1, 30, 0, 0, out), 5);
    for (int i = 0; i < 5; i++)
        assert_int_not_equal(out[i], at(10, 0));
    /* Touching is not overlapping: 9:30-10:00 and 10:30-11:00 stay free. */
    assert_int_equal(out[1], at(9, 30));
    assert_int_equal(out[2], at(10, 30));
}

static void test_buffer_after_an_existing_booking(void **state)
{
    /* A 9:00-9:30 booking with a 15-minute buffer blocks until 9:45. */
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    vx_slots_span b[] = {span(9, 0, 9, 45)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 1, 30, 15, 0, out), 4); /* 10:00, 10:30, 11:00, 11:30 */
    assert_int_equal(out[0], at(10, 0));                    /* 9:30 falls in the buffer */
}

static void test_buffer_before_an_existing_booking(void **state)
{
    /* The new appointment's own buffer must end before the next booking starts. */
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    vx_slots_span b[] = {span(11, 0, 11, 45)};
    int64_t out[64];
    size_t n = slots(w, 1, b, 1, 30, 15, 0, out);
    assert_int_equal(n, 3); /* 9:00, 9:30, 10:00; 10:30 + 30 + 15 = 11:15 > 11:00; 11:30 inside the booking */
    assert_int_equal(out[2], at(10, 0));
    /* Without a buffer, 10:30 fits exactly. */
    vx_slots_span b0[] = {span(11, 0, 11, 30)};
    assert_int_equal(slots(w, 1, b0, 1, 30, 0, 0, out), 5);
    assert_int_equal(out[3], at(10, 30));
}

static void test_buffer_may_run_past_closing(void **state)
{
    vx_slots_span w[] = {span(9, 0, 10, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 45, 0, out), 2);
    assert_int_equal(out[1], at(9, 30));
    /* … but not into a booking right after closing. */
    vx_slots_span b[] = {span(10, 15, 11, 0)};
    assert_int_equal(slots(w, 1, b, 1, 30, 45, 0, out), 1);
}

static void test_min_notice(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, at(10, 10), out), 3);
    assert_int_equal(out[0], at(10, 30));
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, at(10, 30), out), 3); /* exactly at the notice is allowed */
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, at(12, 0), out), 0);
}

static void test_slot_length_by_service(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 60, 0, 0, out), 3);
    assert_int_equal(out[1], at(10, 0));
    assert_int_equal(slots(w, 1, NULL, 0, 45, 0, 0, out), 4); /* 9:00, 9:45, 10:30, 11:15 */
    assert_int_equal(out[3], at(11, 15));
    assert_int_equal(slots(w, 1, NULL, 0, 240, 0, 0, out), 0); /* longer than the day is open */
}

static void test_empty_inputs(void **state)
{
    vx_slots_span w[] = {span(9, 0, 9, 0), span(12, 0, 11, 0)};
    int64_t out[64];
    assert_int_equal(slots(NULL, 0, NULL, 0, 30, 0, 0, out), 0);
    assert_int_equal(slots(w, 2, NULL, 0, 30, 0, 0, out), 0);
    vx_slots_span ok[] = {span(9, 0, 12, 0)};
    assert_int_equal(slots(ok, 1, NULL, 0, 0, 0, 0, out), 0);   /* no length */
    assert_int_equal(slots(ok, 1, NULL, 0, 30, -5, 0, out), 0); /* nonsense buffer */
    vx_slots_span empty_busy[] = {span(10, 0, 10, 0)};
    assert_int_equal(slots(ok, 1, empty_busy, 1, 30, 0, 0, out), 6); /* an empty busy span blocks nothing */
}

static void test_overlapping_busy_spans(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    vx_slots_span b[] = {span(9, 45, 9, 50), span(9, 30, 11, 0), span(9, 0, 10, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 3, 30, 0, 0, out), 2);
    assert_int_equal(out[0], at(11, 0));
    assert_int_equal(out[1], at(11, 30));
}

static void test_long_busy_hides_behind_short_ones(void **state)
{
    /* Sorted by start the long span comes first; a later short one must not
     * hide it (the prefix maximum of the ends). */
    vx_slots_span w[] = {span(9, 0, 12, 0)};
    vx_slots_span b[] = {span(8, 0, 11, 0), span(8, 30, 8, 45)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 2, 30, 0, 0, out), 2);
    assert_int_equal(out[0], at(11, 0));
}

static void test_busy_spanning_windows(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0), span(13, 0, 15, 0)};
    vx_slots_span b[] = {span(11, 30, 13, 30)};
    int64_t out[64];
    size_t n = slots(w, 2, b, 1, 30, 0, 0, out);
    assert_int_equal(n, 8); /* 9:00…11:00 (5) and 13:30…14:30 (3) */
    assert_int_equal(out[4], at(11, 0));
    assert_int_equal(out[5], at(13, 30));
}

static void test_count_beyond_max(void **state)
{
    vx_slots_span w[] = {span(0, 0, 24, 0)};
    vx_slots_request req = {w, 1, NULL, 0, 5 * MIN, 0, 0};
    int64_t out[3] = {0, 0, 0};
    assert_int_equal(vx_slots_free(&req, out, 3), 288);
    assert_int_equal(out[2], at(0, 10));
    assert_int_equal(vx_slots_free(&req, NULL, 0), 288);
}

static void test_within_windows_and_overlaps(void **state)
{
    vx_slots_span w[] = {span(9, 0, 12, 0), span(13, 0, 17, 0)};
    assert_true(vx_slots_within_windows(w, 2, at(9, 0), 30 * MIN));
    assert_true(vx_slots_within_windows(w, 2, at(11, 30), 30 * MIN));
    assert_false(vx_slots_within_windows(w, 2, at(11, 45), 30 * MIN)); /* runs into lunch */
    assert_false(vx_slots_within_windows(w, 2, at(8, 59), 30 * MIN));
    assert_true(vx_slots_within_windows(w, 2, at(13, 10), 30 * MIN)); /* off the grid is fine */
    assert_false(vx_slots_within_windows(NULL, 0, at(9, 0), 30 * MIN));
    vx_slots_span b[] = {span(10, 0, 10, 30)};
    assert_true(vx_slots_overlap(b, 1, at(10, 15), at(10, 45)));
    assert_false(vx_slots_overlap(b, 1, at(10, 30), at(11, 0)));
    assert_false(vx_slots_overlap(b, 1, at(9, 30), at(10, 0)));
}

static void test_nearest(void **state)
{
    int64_t s[6], out[3];
    for (int i = 0; i < 6; i++)
        s[i] = at(9, 0) + i * 30 * MIN; /* 9:00 … 11:30 */
    assert_int_equal(vx_slots_nearest(s, 6, at(10, 0), out, 3), 3);
    assert_int_equal(out[0], at(9, 30));
    assert_int_equal(out[1], at(10, 0));
    assert_int_equal(out[2], at(10, 30));
    assert_int_equal(vx_slots_nearest(s, 6, at(7, 0), out, 3), 3);
    assert_int_equal(out[0], at(9, 0));
    assert_int_equal(vx_slots_nearest(s, 6, at(18, 0), out, 3), 3);
    assert_int_equal(out[2], at(11, 30));
    assert_int_equal(out[0], at(10, 30));
    assert_int_equal(vx_slots_nearest(s, 6, at(10, 15), out, 1), 1); /* a tie: the earlier one */
    assert_int_equal(out[0], at(10, 0));
    assert_int_equal(vx_slots_nearest(s, 2, at(10, 0), out, 3), 2);
    assert_int_equal(vx_slots_nearest(s, 0, at(10, 0), out, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hours_only),
        cmocka_unit_test(test_window_not_a_multiple_of_the_slot),
        cmocka_unit_test(test_split_day_and_unsorted_windows),
        cmocka_unit_test(test_overlapping_windows_do_not_repeat_slots),
        cmocka_unit_test(test_existing_booking),
        cmocka_unit_test(test_buffer_after_an_existing_booking),
        cmocka_unit_test(test_buffer_before_an_existing_booking),
        cmocka_unit_test(test_buffer_may_run_past_closing),
        cmocka_unit_test(test_min_notice),
        cmocka_unit_test(test_slot_length_by_service),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_overlapping_busy_spans),
        cmocka_unit_test(test_long_busy_hides_behind_short_ones),
        cmocka_unit_test(test_busy_spanning_windows),
        cmocka_unit_test(test_count_beyond_max),
        cmocka_unit_test(test_within_windows_and_overlaps),
        cmocka_unit_test(test_nearest),
    };
    return cmocka_run_group_tests_name("vx_slots", tests, NULL, NULL);
}
