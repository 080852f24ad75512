/*
 * The checkAvailability tool (tools/check_availability.c over calendar/) on
 * real PostgreSQL, driven in-process through dispatch_request as Vapi's
 * messages (calendar_test.h).
 *
 * Proves: openings follow the org's business hours, in its time zone; an
 * ISO date-time means its date; "tomorrow" and no date at all; arguments
 * sent as a JSON string; an org without a settings row gets the defaults;
 * the buffer after existing bookings removes the slots it covers; closed
 * days, fully booked days and days without business hours at all say so
 * and offer the next day with openings (or none within the horizon); past
 * days, days beyond the horizon and dates that are not dates are refused
 * with a sentence; a service sizes the slots, an unknown one is named back
 * with the services that exist. DST days are in calendar/test_openings.c.
 */
#include "../calendar_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_check_availability", false);
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_availability_follows_hours(void **state)
{
    char org[37], d[11], iso[40];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 3, d);
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    snprintf(iso, sizeof(iso), "%sT15:00:00Z", d); /* an ISO date-time: its date */
    availability_says(org, iso, false, "9:00 AM, 9:30 AM");
    expect(CHECK, org, "{\"date\":\"Tomorrow\"}", NULL, false, "I have 9:00 AM");
    expect(CHECK, org, "{}", NULL, false, " I have ");
    /* The arguments as Vapi also sends them: a JSON string. */
    char args[80];
    snprintf(args, sizeof(args), "\"{\\\"date\\\":\\\"%s\\\"}\"", d);
    expect(CHECK, org, args, NULL, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
}

static void test_defaults_without_a_settings_row(void **state)
{
    char org[37], d[11];
    new_org(org, NULL, 0, 0, 0);
    every_day(org);
    local_date(NY, 2, d); /* America/New_York, 30-minute slots */
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    local_date(NY, 61, d);
    availability_says(org, d, true, "only book up to 60 days ahead");
}

static void test_buffer_and_existing_bookings(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 15, 60);
    every_day(org);
    local_date(NY, 4, d);
    book_ok(org, "Ann Lee", "+15550100001", d, "09:00");
    /* 9:00-9:30 plus 15 minutes blocks until 9:45: 9:30 is gone, 10:00 is free. */
    availability_says(org, d, false, "10:00 AM, 10:30 AM, 11:00 AM and 1 more opening.");
    book_ok(org, "Bob Ray", "+15550100002", d, "11:00");
    /* 10:30 would block until 11:15 and 11:30 sits in 11:00's buffer. */
    availability_says(org, d, false, "I have one opening, at 10:00 AM.");
}

static void test_closed_days(void **state)
{
    char org[37], empty[37], sunday[11], monday[40], d[11];
    new_org(org, NY, 30, 0, 60);
    add_hours(org, "{1,2,3,4,5}", "09:00", "12:00");
    char *v = vt_sql_value(TR.admin,
                           "SELECT to_char(d, 'YYYY-MM-DD') FROM (SELECT (now() AT TIME ZONE 'America/New_York')::date + i AS d"
                           " FROM generate_series(2, 8) AS i) x WHERE extract(dow FROM d) = 0 ORDER BY d LIMIT 1",
                           0, NULL);
    snprintf(sunday, sizeof(sunday), "%s", v);
    free(v);
    label_of_next(sunday, monday);
    char *args = date_args(sunday);
    expect_all(CHECK, org, args, NULL, false, "We're closed on Sunday", monday, "I have 9:00 AM", NULL);
    free(args);
    args = book_args("Hank Ko", "+15550100021", sunday, "10:00", NULL);
    expect_all(BOOK, org, args, NULL, true, "we're not open at that time", monday, NULL);
    free(args);
    /* No business hours at all: closed every day. */
    new_org(empty, NY, 30, 0, 60);
    local_date(NY, 3, d);
    args = date_args(d);
    expect_all(CHECK, empty, args, NULL, false, "We're closed on", "don't have any openings in the next 60 days", NULL);
    free(args);
    assert_int_equal(booked_count(org), 0);
}

static void test_fully_booked_day_offers_the_next(void **state)
{
    char org[37], d[11], next[40];
    new_org(org, NY, 30, 0, 60);
    add_hours(org, "{0,1,2,3,4,5,6}", "09:00", "10:00");
    local_date(NY, 6, d);
    book_ok(org, "Ivy One", "+15550100031", d, "09:00");
    book_ok(org, "Ivy Two", "+15550100032", d, "09:30");
    label_of_next(d, next);
    char *args = date_args(d);
    expect_all(CHECK, org, args, NULL, false, "is fully booked", next, "9:00 AM and 9:30 AM", NULL);
    free(args);
    args = book_args("Ivy Three", "+15550100033", d, "09:00", NULL);
    expect_all(BOOK, org, args, NULL, true, "just taken", next, NULL);
    free(args);
}

static void test_past_and_horizon(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, -1, d);
    availability_says(org, d, true, "has already passed");
    local_date(NY, 61, d);
    availability_says(org, d, true, "I can only book up to 60 days ahead");
    availability_says(org, "2026-13-45", true, "didn't catch the date");
    expect(CHECK, org, "{\"date\":20260310}", NULL, true, "didn't catch the date");
    expect(CHECK, org, "{\"date\":\"the first monday after easter\"}", NULL, true, "didn't catch the date");
}

static void test_services(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 3, d);
    const char *p[1] = {org};
    sql("INSERT INTO services (org_id, name, duration_minutes, keywords, active) VALUES"
        " ($1, 'Teeth Cleaning', 60, '{cleaning,hygiene}', true), ($1, 'Consultation', 30, '{}', true),"
        " ($1, 'Retired Thing', 30, '{}', false)",
        1, p);
    char args[300];
    snprintf(args, sizeof(args), "{\"date\":\"%s\",\"service\":\"hygiene\"}", d);
    expect(CHECK, org, args, NULL, false, "I have 9:00 AM, 10:00 AM and 11:00 AM.");
    snprintf(args, sizeof(args), "{\"date\":\"%s\",\"service\":\"Botox\"}", d);
    expect_all(CHECK, org, args, NULL, false, "couldn't find a service called \"Botox\"; we offer Consultation and Teeth Cleaning.",
               "9:00 AM, 9:30 AM, 10:00 AM and 3 more", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_availability_follows_hours),
        cmocka_unit_test(test_defaults_without_a_settings_row),
        cmocka_unit_test(test_buffer_and_existing_bookings),
        cmocka_unit_test(test_closed_days),
        cmocka_unit_test(test_fully_booked_day_offers_the_next),
        cmocka_unit_test(test_past_and_horizon),
        cmocka_unit_test(test_services),
    };
    return cmocka_run_group_tests_name("tools/check_availability", tests, setup, teardown);
}
