/*
 * Unit tests for services/tool-router/availability.c: the pure slot
 * arithmetic (business-hour windows, existing bookings with their buffers,
 * the new appointment's own buffer, minimum notice, slot length, split days,
 * overlapping and window-spanning busy spans, unsorted input, truncation),
 * nearest alternatives, and the calendar-date and date-time readers.
 *
 * Instants are built on one fixed UTC day: the time-zone conversion is
 * PostgreSQL's job and is covered by tests/integration/test_scheduling.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "availability.h"
#include "vx_time.h"

/* 2027-01-05 00:00:00Z */
#define DAY0 1799107200000LL
#define MIN  60000LL

/* An instant on the test day, "hh:mm". */
static int64_t at(int h, int m)
{
    return DAY0 + ((int64_t)h * 60 + m) * MIN;
}

static availability_span span(int h1, int m1, int h2, int m2)
{
    availability_span s = {at(h1, m1), at(h2, m2)};
    return s;
}

/* Runs the computation and returns the count; slots in out[64]. */
static size_t slots(const availability_span *w, size_t nw, const availability_span *b, size_t nb, int len_min, int buf_min,
                    int64_t earliest, int64_t out[64])
{
    availability_request req = {w, nw, b, nb, len_min * MIN, buf_min * MIN, earliest};
    return availability_free_slots(&req, out, 64);
}

static void test_hours_only(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, 0, out), 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(out[i], at(9, 0) + i * 30 * MIN);
}

static void test_window_not_a_multiple_of_the_slot(void **state)
{
    availability_span w[] = {span(9, 0, 10, 45)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, 0, out), 3); /* 10:30 would end at 11:00, after closing */
    assert_int_equal(out[2], at(10, 0));
}

static void test_split_day_and_unsorted_windows(void **state)
{
    availability_span w[] = {span(13, 0, 17, 0), span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 2, NULL, 0, 30, 0, 0, out), 14);
    assert_int_equal(out[0], at(9, 0));
    assert_int_equal(out[5], at(11, 30));
    assert_int_equal(out[6], at(13, 0));
    assert_int_equal(out[13], at(16, 30));
}

static void test_overlapping_windows_do_not_repeat_slots(void **state)
{
    availability_span w[] = {span(9, 0, 11, 0), span(10, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 2, NULL, 0, 30, 0, 0, out), 6);
    for (int i = 1; i < 6; i++)
        assert_true(out[i] > out[i - 1]);
}

static void test_existing_booking(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0)};
    availability_span b[] = {span(10, 0, 10, 30)};
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
    availability_span w[] = {span(9, 0, 12, 0)};
    availability_span b[] = {span(9, 0, 9, 45)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 1, 30, 15, 0, out), 4); /* 10:00, 10:30, 11:00, 11:30 */
    assert_int_equal(out[0], at(10, 0));                    /* 9:30 falls in the buffer */
}

static void test_buffer_before_an_existing_booking(void **state)
{
    /* The new appointment's own buffer must end before the next booking starts. */
    availability_span w[] = {span(9, 0, 12, 0)};
    availability_span b[] = {span(11, 0, 11, 45)};
    int64_t out[64];
    size_t n = slots(w, 1, b, 1, 30, 15, 0, out);
    assert_int_equal(n, 3); /* 9:00, 9:30, 10:00; 10:30 + 30 + 15 = 11:15 > 11:00; 11:30 inside the booking */
    assert_int_equal(out[2], at(10, 0));
    /* Without a buffer, 10:30 fits exactly. */
    availability_span b0[] = {span(11, 0, 11, 30)};
    assert_int_equal(slots(w, 1, b0, 1, 30, 0, 0, out), 5);
    assert_int_equal(out[3], at(10, 30));
}

static void test_buffer_may_run_past_closing(void **state)
{
    availability_span w[] = {span(9, 0, 10, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 45, 0, out), 2);
    assert_int_equal(out[1], at(9, 30));
    /* … but not into a booking right after closing. */
    availability_span b[] = {span(10, 15, 11, 0)};
    assert_int_equal(slots(w, 1, b, 1, 30, 45, 0, out), 1);
}

static void test_min_notice(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, at(10, 10), out), 3);
    assert_int_equal(out[0], at(10, 30));
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, at(10, 30), out), 3); /* exactly at the notice is allowed */
    assert_int_equal(slots(w, 1, NULL, 0, 30, 0, at(12, 0), out), 0);
}

static void test_slot_length_by_service(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, NULL, 0, 60, 0, 0, out), 3);
    assert_int_equal(out[1], at(10, 0));
    assert_int_equal(slots(w, 1, NULL, 0, 45, 0, 0, out), 4); /* 9:00, 9:45, 10:30, 11:15 */
    assert_int_equal(out[3], at(11, 15));
    assert_int_equal(slots(w, 1, NULL, 0, 240, 0, 0, out), 0); /* longer than the day is open */
}

static void test_empty_inputs(void **state)
{
    availability_span w[] = {span(9, 0, 9, 0), span(12, 0, 11, 0)};
    int64_t out[64];
    assert_int_equal(slots(NULL, 0, NULL, 0, 30, 0, 0, out), 0);
    assert_int_equal(slots(w, 2, NULL, 0, 30, 0, 0, out), 0);
    availability_span ok[] = {span(9, 0, 12, 0)};
    assert_int_equal(slots(ok, 1, NULL, 0, 0, 0, 0, out), 0);   /* no length */
    assert_int_equal(slots(ok, 1, NULL, 0, 30, -5, 0, out), 0); /* nonsense buffer */
    availability_span empty_busy[] = {span(10, 0, 10, 0)};
    assert_int_equal(slots(ok, 1, empty_busy, 1, 30, 0, 0, out), 6); /* an empty busy span blocks nothing */
}

static void test_overlapping_busy_spans(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0)};
    availability_span b[] = {span(9, 45, 9, 50), span(9, 30, 11, 0), span(9, 0, 10, 0)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 3, 30, 0, 0, out), 2);
    assert_int_equal(out[0], at(11, 0));
    assert_int_equal(out[1], at(11, 30));
}

static void test_long_busy_hides_behind_short_ones(void **state)
{
    /* Sorted by start the long span comes first; a later short one must not
     * hide it (the prefix maximum of the ends). */
    availability_span w[] = {span(9, 0, 12, 0)};
    availability_span b[] = {span(8, 0, 11, 0), span(8, 30, 8, 45)};
    int64_t out[64];
    assert_int_equal(slots(w, 1, b, 2, 30, 0, 0, out), 2);
    assert_int_equal(out[0], at(11, 0));
}

static void test_busy_spanning_windows(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0), span(13, 0, 15, 0)};
    availability_span b[] = {span(11, 30, 13, 30)};
    int64_t out[64];
    size_t n = slots(w, 2, b, 1, 30, 0, 0, out);
    assert_int_equal(n, 8); /* 9:00…11:00 (5) and 13:30…14:30 (3) */
    assert_int_equal(out[4], at(11, 0));
    assert_int_equal(out[5], at(13, 30));
}

static void test_count_beyond_max(void **state)
{
    availability_span w[] = {span(0, 0, 24, 0)};
    availability_request req = {w, 1, NULL, 0, 5 * MIN, 0, 0};
    int64_t out[3] = {0, 0, 0};
    assert_int_equal(availability_free_slots(&req, out, 3), 288);
    assert_int_equal(out[2], at(0, 10));
    assert_int_equal(availability_free_slots(&req, NULL, 0), 288);
}

static void test_within_windows_and_overlaps(void **state)
{
    availability_span w[] = {span(9, 0, 12, 0), span(13, 0, 17, 0)};
    assert_true(availability_within_windows(w, 2, at(9, 0), 30 * MIN));
    assert_true(availability_within_windows(w, 2, at(11, 30), 30 * MIN));
    assert_false(availability_within_windows(w, 2, at(11, 45), 30 * MIN)); /* runs into lunch */
    assert_false(availability_within_windows(w, 2, at(8, 59), 30 * MIN));
    assert_true(availability_within_windows(w, 2, at(13, 10), 30 * MIN)); /* off the grid is fine */
    assert_false(availability_within_windows(NULL, 0, at(9, 0), 30 * MIN));
    availability_span b[] = {span(10, 0, 10, 30)};
    assert_true(availability_overlaps(b, 1, at(10, 15), at(10, 45)));
    assert_false(availability_overlaps(b, 1, at(10, 30), at(11, 0)));
    assert_false(availability_overlaps(b, 1, at(9, 30), at(10, 0)));
}

static void test_nearest(void **state)
{
    int64_t s[6], out[3];
    for (int i = 0; i < 6; i++)
        s[i] = at(9, 0) + i * 30 * MIN; /* 9:00 … 11:30 */
    assert_int_equal(availability_nearest(s, 6, at(10, 0), out, 3), 3);
    assert_int_equal(out[0], at(9, 30));
    assert_int_equal(out[1], at(10, 0));
    assert_int_equal(out[2], at(10, 30));
    assert_int_equal(availability_nearest(s, 6, at(7, 0), out, 3), 3);
    assert_int_equal(out[0], at(9, 0));
    assert_int_equal(availability_nearest(s, 6, at(18, 0), out, 3), 3);
    assert_int_equal(out[2], at(11, 30));
    assert_int_equal(out[0], at(10, 30));
    assert_int_equal(availability_nearest(s, 6, at(10, 15), out, 1), 1); /* a tie: the earlier one */
    assert_int_equal(out[0], at(10, 0));
    assert_int_equal(availability_nearest(s, 2, at(10, 0), out, 3), 2);
    assert_int_equal(availability_nearest(s, 0, at(10, 0), out, 3), 0);
}

static void test_dates(void **state)
{
    availability_date d;
    assert_true(availability_date_parse("2026-03-10", &d));
    assert_int_equal(d.year, 2026);
    assert_int_equal(d.month, 3);
    assert_int_equal(d.day, 10);
    assert_int_equal(availability_date_weekday(d), 2); /* Tuesday */
    char label[40], iso[11];
    availability_date_label(d, label, sizeof(label));
    assert_string_equal(label, "Tuesday, March 10");
    assert_true(availability_date_parse("2026-11-01T09:00:00-05:00", &d));
    assert_int_equal(availability_date_weekday(d), 0);
    assert_true(availability_date_parse("2028-02-29", &d));
    assert_false(availability_date_parse("2026-02-29", &d));
    assert_false(availability_date_parse("2026-13-01", &d));
    assert_false(availability_date_parse("2026-04-31", &d));
    assert_false(availability_date_parse("2026-3-10", &d));
    assert_false(availability_date_parse("2026-03-10x", &d));
    assert_false(availability_date_parse("1969-12-31", &d));
    assert_false(availability_date_parse("", &d));
    assert_false(availability_date_parse(NULL, &d));
    availability_date epoch = {1970, 1, 1};
    assert_int_equal(availability_date_days(epoch), 0);
    assert_int_equal(availability_date_weekday(epoch), 4);
    for (int64_t z = 0; z < 40000; z += 37) {
        availability_date back = availability_date_from_days(z);
        assert_int_equal(availability_date_days(back), z);
    }
    availability_date_iso(availability_date_from_days(20522), iso); /* 2026-03-10 */
    assert_string_equal(iso, "2026-03-10");
}

static void test_datetimes(void **state)
{
    availability_datetime dt;
    char local[20];
    assert_true(availability_datetime_parse("2026-03-10T14:30", &dt));
    assert_false(dt.has_offset);
    availability_datetime_local(&dt, local);
    assert_string_equal(local, "2026-03-10 14:30:00");
    assert_true(availability_datetime_parse("2026-03-10 14:30:15.250", &dt));
    assert_int_equal(dt.second, 15);
    int64_t want;
    assert_true(vx_time_parse_iso("2026-03-10T19:30:00Z", &want));
    const char *same[] = {"2026-03-10T14:30:00-05:00", "2026-03-10T14:30-0500", "2026-03-10T14:30-05", "2026-03-10T19:30Z",
                          "2026-03-11T01:00:00.000+05:30"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_true(availability_datetime_parse(same[i], &dt));
        assert_true(dt.has_offset);
        assert_int_equal(availability_datetime_instant(&dt), want);
    }
    const char *bad[] = {
        "2026-03-10T24:00",       "2026-03-10T14:3",  "2026-03-10T14:30Zjunk", "14:30", "", "2026-03-10", "2026-03-10T14:30:61",
        "2026-03-10T14:30+25:00", "2026-02-30T10:00", "2026-03-10T14:30:00."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(availability_datetime_parse(bad[i], &dt));
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
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_datetimes),
    };
    return cmocka_run_group_tests_name("tool-router availability", tests, NULL, NULL);
}
