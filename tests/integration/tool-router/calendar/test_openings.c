/*
 * calendar/openings.c and calendar/local_time.c on real PostgreSQL: the
 * instants a calendar's slots really are, and how the org's clock says them,
 * on ordinary and DST days — checked against instants the test computes
 * itself in SQL. The module's own API is called in a read scope of the
 * org's (vx_pg_begin_org_reads, as the framework opens one for a read-only
 * tool); what the caller hears is checked through checkAvailability, in-process
 * through dispatch_request.
 *
 * Proves: slots start at the org's local opening time in its time zone and
 * step by the slot length; an org without settings uses America/New_York
 * and 30 minutes; on the spring and fall DST days of America/New_York and
 * Europe/London a night window has fewer or more slots, their local labels
 * show the jump (or the repeated hour), the morning's slots are the right
 * UTC instants, and the tool reads out the right times and count.
 */
#include "../calendar_test.h"

#include "calendar/local_time.h"
#include "calendar/openings.h"
#include "calendar/schedule.h"

static vx_pg *pg; /* the module calls' own connection, with the calendar's statements */

static int setup(void **state)
{
    tr_open_in_process("test_openings", false);
    pg = vx_pg_create(vt_env("DATABASE_URL"));
    schedule_prepare(pg);
    local_time_prepare(pg);
    return 0;
}

static int teardown(void **state)
{
    vx_pg_destroy(pg);
    tr_close();
    return 0;
}

static const cJSON NO_ARGS = {.type = cJSON_Object};

/* The tool_ctx of a read-only calendar call of org, in a read scope the caller ends. */
static tool_ctx read_scope(const char *org)
{
    tool_ctx ctx = {.pg = pg,
                    .settings = &TR.config,
                    .request_id = "req-openings",
                    .org_id = org,
                    .tool_name = "openings",
                    .tool_call_id = "",
                    .args = &NO_ARGS};
    VT_REQUIRE(vx_pg_begin_org_reads(pg, org) == 0, vx_pg_error(pg));
    return ctx;
}

/* The free slots of a local date as openings computes them. */
static size_t day_slots(const char *org, const char *date, int length_min, int64_t *out, size_t max)
{
    tool_ctx ctx = read_scope(org);
    schedule s;
    openings_calendar cal;
    date_ymd d;
    VT_REQUIRE(date_parse(date, &d), "bad test date");
    VT_REQUIRE(schedule_load(&ctx, &s) == 0, "schedule");
    VT_REQUIRE(openings_calendar_load(&ctx, &s, NULL, d, d, NULL, &cal) == 0, "calendar");
    size_t n = openings_calendar_slots(&cal, &s, d, length_min * 60000LL, out, max);
    openings_calendar_free(&cal);
    VT_REQUIRE(vx_pg_commit(pg) == 0, "commit");
    return n;
}

/* Local "h:mm AM" labels of instants in tz, written into labels[n][16]. */
static void labels_of(const char *org, const char *tz, const int64_t *ms, size_t n, char labels[][16])
{
    local_time w[32];
    VT_REQUIRE(n <= 32, "too many instants");
    tool_ctx ctx = read_scope(org);
    VT_REQUIRE(local_time_format(&ctx, tz, ms, n, w) == 0, "format");
    VT_REQUIRE(vx_pg_commit(pg) == 0, "commit");
    for (size_t i = 0; i < n; i++)
        snprintf(labels[i], 16, "%.15s", w[i].time);
}

static void test_slots_are_the_local_hours(void **state)
{
    char org[37], d[11];
    new_org(org, LONDON, 30, 0, 60);
    every_day(org);
    local_date(LONDON, 3, d);
    int64_t s[16];
    assert_int_equal(day_slots(org, d, 30, s, 16), 6);
    assert_int_equal(s[0], instant(d, "09:00", LONDON));
    assert_int_equal(s[5], instant(d, "11:30", LONDON));
    assert_int_equal(day_slots(org, d, 60, s, 16), 3);
    assert_int_equal(s[2], instant(d, "11:00", LONDON));
    char labels[6][16];
    assert_int_equal(day_slots(org, d, 30, s, 16), 6);
    labels_of(org, LONDON, s, 6, labels);
    assert_string_equal(labels[0], "9:00 AM");
    assert_string_equal(labels[5], "11:30 AM");
}

static void test_defaults_without_a_settings_row(void **state)
{
    char org[37], d[11];
    new_org(org, NULL, 0, 0, 0);
    every_day(org);
    local_date(NY, 2, d);
    int64_t s[16];
    assert_int_equal(day_slots(org, d, 30, s, 16), 6);
    assert_int_equal(s[0], instant(d, "09:00", NY)); /* America/New_York, 30-minute slots */
}

/* The next local date (2..400 days ahead) shorter (spring) or longer (fall) than 24 hours in tz. */
static void dst_day(const char *tz, bool spring, char out[11])
{
    const char *p[1] = {tz};
    char *v = vt_sql_value(
        TR.admin,
        spring ? "SELECT to_char(d, 'YYYY-MM-DD') FROM (SELECT current_date + i AS d FROM generate_series(2, 400) AS i) x"
                 " WHERE ((d + 1)::timestamp AT TIME ZONE $1) - (d::timestamp AT TIME ZONE $1) < interval '24 hours'"
                 " ORDER BY d LIMIT 1"
               : "SELECT to_char(d, 'YYYY-MM-DD') FROM (SELECT current_date + i AS d FROM generate_series(2, 400) AS i) x"
                 " WHERE ((d + 1)::timestamp AT TIME ZONE $1) - (d::timestamp AT TIME ZONE $1) > interval '24 hours'"
                 " ORDER BY d LIMIT 1",
        1, p);
    VT_REQUIRE(v != NULL, "no DST change within 400 days");
    snprintf(out, 11, "%s", v);
    free(v);
}

static void test_dst_days(void **state)
{
    static const struct {
        const char *tz;
        bool spring;
        size_t night;         /* 30-minute slots in local 00:00-05:00 that day */
        const char *nine_utc; /* local 09:00 in UTC that day */
        size_t label_at;      /* a night slot whose local label shows the jump */
        const char *label;
        const char *first_three; /* as the tool says them */
    } cases[] = {
        {NY, true, 8, "13:00", 4, "3:00 AM", "12:00 AM, 12:30 AM, 1:00 AM"},     /* 2:00 EST → 3:00 EDT */
        {NY, false, 12, "14:00", 4, "1:00 AM", "12:00 AM, 12:30 AM, 1:00 AM"},   /* 1:00-2:00 happens twice */
        {LONDON, true, 8, "08:00", 2, "2:00 AM", "12:00 AM, 12:30 AM, 2:00 AM"}, /* 1:00 GMT → 2:00 BST */
        {LONDON, false, 12, "09:00", 4, "1:00 AM", "12:00 AM, 12:30 AM, 1:00 AM"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char org[37], day[11], weekday[8], labels[16][16], want[80];
        dst_day(cases[i].tz, cases[i].spring, day);
        printf("    %s %s DST day: %s\n", cases[i].tz, cases[i].spring ? "spring" : "fall", day);
        new_org(org, cases[i].tz, 30, 0, 400);
        const char *p[1] = {day};
        char *dow = vt_sql_value(TR.admin, "SELECT extract(dow FROM $1::date)::int::text", 1, p);
        snprintf(weekday, sizeof(weekday), "{%s}", dow);
        free(dow);
        add_hours(org, weekday, "00:00", "05:00");
        add_hours(org, weekday, "09:00", "12:00");
        int64_t s[64];
        assert_int_equal(day_slots(org, day, 30, s, 64), cases[i].night + 6);
        assert_int_equal(s[0], instant(day, "00:00", cases[i].tz));
        assert_int_equal(s[cases[i].night], utc(day, cases[i].nine_utc));
        assert_int_equal(s[cases[i].night + 5], utc(day, cases[i].nine_utc) + 150 * 60000LL);
        labels_of(org, cases[i].tz, s, cases[i].night, labels);
        assert_string_equal(labels[cases[i].label_at], cases[i].label);
        snprintf(want, sizeof(want), "%s and %zu more openings.", cases[i].first_three, cases[i].night + 3);
        availability_says(org, day, false, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_are_the_local_hours),
        cmocka_unit_test(test_defaults_without_a_settings_row),
        cmocka_unit_test(test_dst_days),
    };
    return cmocka_run_group_tests_name("calendar/openings", tests, setup, teardown);
}
