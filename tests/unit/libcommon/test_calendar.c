/*
 * Unit tests for libcommon/vx_calendar.c's pure parts: a loaded calendar's
 * windows of one local date, and the free slots of a day under the org's
 * rules (buffer, minimum notice, now). What reads the database — the rules,
 * the windows in the org's time zone, the booked blocks, the openings across
 * days — runs against real PostgreSQL in
 * tests/integration/tool-router/calendar/test_openings.c (through
 * tool-router's openings.c) and tests/integration/dashboard-api/
 * test_appointments.c (the 409's alternatives).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vx_calendar.h"

/* 2027-01-05 00:00:00Z, day 20823 since 1970-01-01. */
#define DAY0  1799107200000LL
#define DAYN  20823
#define MIN   60000LL
#define HOUR  (60 * MIN)
#define DAYMS (24 * HOUR)

/* Two days, 9-12 and 13-17 on the first, 9-10 on the second; one booking 10:00-10:30 (+15 buffer) on the first. */
static int64_t days[] = {DAYN, DAYN, DAYN + 1};
static vx_slots_span windows[] = {
    {DAY0 + 9 * HOUR, DAY0 + 12 * HOUR},
    {DAY0 + 13 * HOUR, DAY0 + 17 * HOUR},
    {DAY0 + DAYMS + 9 * HOUR, DAY0 + DAYMS + 10 * HOUR},
};
static vx_slots_span busy[] = {{DAY0 + 10 * HOUR, DAY0 + 10 * HOUR + 45 * MIN}};

static vx_calendar calendar(void)
{
    vx_calendar cal = {days, windows, 3, busy, 1};
    return cal;
}

static vx_calendar_rules rules(int buffer, int notice, int64_t now_ms)
{
    vx_calendar_rules r;
    memset(&r, 0, sizeof(r));
    strcpy(r.timezone, "UTC");
    r.slot_minutes = 30;
    r.buffer_minutes = buffer;
    r.horizon_days = 60;
    r.min_notice_minutes = notice;
    r.today = DAYN;
    r.now_ms = now_ms;
    return r;
}

static void test_the_windows_of_a_day(void **state)
{
    vx_calendar cal = calendar();
    size_t n;
    const vx_slots_span *w = vx_calendar_day(&cal, DAYN, &n);
    assert_int_equal(n, 2);
    assert_ptr_equal(w, windows);
    w = vx_calendar_day(&cal, DAYN + 1, &n);
    assert_int_equal(n, 1);
    assert_ptr_equal(w, windows + 2);
    vx_calendar_day(&cal, DAYN + 2, &n);
    assert_int_equal(n, 0);
    vx_calendar_day(&cal, DAYN - 1, &n);
    assert_int_equal(n, 0);
    vx_calendar empty;
    memset(&empty, 0, sizeof(empty));
    assert_null(vx_calendar_day(&empty, DAYN, &n));
    assert_int_equal(n, 0);
}

static void test_slots_keep_the_buffer_and_the_notice(void **state)
{
    vx_calendar cal = calendar();
    int64_t out[32];
    /* 9-12: 6 slots but 10:00 and 10:30 (busy until 10:45); 13-17: 8 slots. */
    vx_calendar_rules r = rules(0, 0, 0);
    assert_int_equal(vx_calendar_slots(&cal, &r, DAYN, 30 * MIN, out, 32), 12);
    assert_int_equal(out[1], DAY0 + 9 * HOUR + 30 * MIN);
    assert_int_equal(out[2], DAY0 + 11 * HOUR);
    /* Its own 30-minute buffer: 9:30 would block until 10:30, into the booking; 16:30 stays (the buffer may pass the close). */
    r = rules(30, 0, 0);
    assert_int_equal(vx_calendar_slots(&cal, &r, DAYN, 30 * MIN, out, 32), 11);
    assert_int_equal(out[0], DAY0 + 9 * HOUR);
    assert_int_equal(out[1], DAY0 + 11 * HOUR);
    /* Now 12:50 with an hour's notice: the first slot is 14:00. */
    r = rules(0, 60, DAY0 + 12 * HOUR + 50 * MIN);
    assert_int_equal(vx_calendar_slots(&cal, &r, DAYN, 30 * MIN, out, 32), 6);
    assert_int_equal(out[0], DAY0 + 14 * HOUR);
    /* A closed day has none; max 0 still counts. */
    assert_int_equal(vx_calendar_slots(&cal, &r, DAYN + 3, 30 * MIN, out, 32), 0);
    r = rules(0, 0, 0);
    assert_int_equal(vx_calendar_slots(&cal, &r, DAYN + 1, 30 * MIN, NULL, 0), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_windows_of_a_day),
        cmocka_unit_test(test_slots_keep_the_buffer_and_the_notice),
    };
    return cmocka_run_group_tests_name("vx_calendar", tests, NULL, NULL);
}
