/*
 * Unit tests for services/tool-router/calendar/date.c: civil dates (parse,
 * leap years, impossible dates, day numbers both ways, weekdays, ISO and
 * spoken labels) and the date-times a voice model sends (local ones, every
 * offset shape, fractions of a second, and what is refused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "calendar/date.h"
#include "vx_time.h"

static void test_dates(void **state)
{
    date_ymd d;
    assert_true(date_parse("2026-03-10", &d));
    assert_int_equal(d.year, 2026);
    assert_int_equal(d.month, 3);
    assert_int_equal(d.day, 10);
    assert_int_equal(date_weekday(d), 2); /* Tuesday */
    char label[40], iso[11];
    date_label(d, label, sizeof(label));
    assert_string_equal(label, "Tuesday, March 10");
    assert_true(date_parse("2026-11-01T09:00:00-05:00", &d));
    assert_int_equal(date_weekday(d), 0);
    assert_true(date_parse("2028-02-29", &d));
    assert_false(date_parse("2026-02-29", &d));
    assert_false(date_parse("2026-13-01", &d));
    assert_false(date_parse("2026-04-31", &d));
    assert_false(date_parse("2026-3-10", &d));
    assert_false(date_parse("2026-03-10x", &d));
    assert_false(date_parse("1969-12-31", &d));
    assert_false(date_parse("", &d));
    assert_false(date_parse(NULL, &d));
    date_ymd epoch = {1970, 1, 1};
    assert_int_equal(date_days(epoch), 0);
    assert_int_equal(date_weekday(epoch), 4);
    for (int64_t z = 0; z < 40000; z += 37) {
        date_ymd back = date_from_days(z);
        assert_int_equal(date_days(back), z);
    }
    date_iso(date_from_days(20522), iso); /* 2026-03-10 */
    assert_string_equal(iso, "2026-03-10");
}

static void test_datetimes(void **state)
{
    date_time dt;
    char local[20];
    assert_true(date_time_parse("2026-03-10T14:30", &dt));
    assert_false(dt.has_offset);
    date_time_local(&dt, local);
    assert_string_equal(local, "2026-03-10 14:30:00");
    assert_true(date_time_parse("2026-03-10 14:30:15.250", &dt));
    assert_int_equal(dt.second, 15);
    int64_t want;
    assert_true(vx_time_parse_iso("2026-03-10T19:30:00Z", &want));
    const char *same[] = {"2026-03-10T14:30:00-05:00", "2026-03-10T14:30-0500", "2026-03-10T14:30-05", "2026-03-10T19:30Z",
                          "2026-03-11T01:00:00.000+05:30"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_true(date_time_parse(same[i], &dt));
        assert_true(dt.has_offset);
        assert_int_equal(date_time_instant(&dt), want);
    }
    const char *bad[] = {
        "2026-03-10T24:00",       "2026-03-10T14:3",  "2026-03-10T14:30Zjunk", "14:30", "", "2026-03-10", "2026-03-10T14:30:61",
        "2026-03-10T14:30+25:00", "2026-02-30T10:00", "2026-03-10T14:30:00."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(date_time_parse(bad[i], &dt));
}

static void test_refused_input_leaves_the_output_alone(void **state)
{
    date_ymd d = {2000, 1, 2};
    assert_false(date_parse("2026-03-10x", &d));
    assert_int_equal(d.year, 2000);
    date_time dt = {.hour = 7};
    assert_false(date_time_parse("2026-03-10T25:00", &dt));
    assert_int_equal(dt.hour, 7);
}

static void test_labels(void **state)
{
    char label[40];
    date_ymd d = {2027, 1, 1};
    date_label(d, label, sizeof(label));
    assert_string_equal(label, "Friday, January 1");
    date_ymd bad = {2027, 13, 1}; /* never made by the parsers: still a label, never out of bounds */
    date_label(bad, label, sizeof(label));
    assert_non_null(strstr(label, "January"));
    date_label(d, label, 8);
    assert_string_equal(label, "Friday,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_datetimes),
        cmocka_unit_test(test_refused_input_leaves_the_output_alone),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests_name("calendar/date", tests, NULL, NULL);
}
