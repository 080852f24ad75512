/*
 * The cancelAppointment tool (tools/cancel_appointment.c, calendar/booking.c)
 * on real PostgreSQL, driven in-process through dispatch_request as Vapi's
 * messages (calendar_test.h).
 *
 * Proves: the caller's upcoming appointment (found by their own number) is
 * cancelled and its time is free again at once, bookable by someone else;
 * another caller's or an unknown number finds nothing, a missing number is
 * asked for, a malformed one refused; another org's appointment — by id or
 * by phone — is "not found" to cancel and to reschedule, stays booked, and
 * does not block the org's own calendar.
 */
#include "../calendar_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_cancel_appointment", false);
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_cancel_frees_the_slot(void **state)
{
    char org[37], d[11], label[40], want[160];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 7, d);
    label_of(d, label);
    char args[200];
    snprintf(args, sizeof(args), "{\"name\":\"Gus Po\",\"start\":\"%sT10:00\"}", d); /* phone: the caller's number */
    expect(BOOK, org, args, "+15550103000", false, "You're booked");
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:30 AM and 2 more openings.");
    snprintf(want, sizeof(want), "Your appointment on %s at 10:00 AM is cancelled.", label);
    expect(CANCEL, org, "{}", "+15550103000", false, want);
    const char *p[1] = {org};
    assert_int_equal(sql_long("SELECT count(*) FROM appointments WHERE org_id = $1 AND status = 'cancelled'", 1, p), 1);
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    book_ok(org, "Oda Ri", "+15550103001", d, "10:00");
    expect(CANCEL, org, "{\"phone\":\"+15550103000\"}", NULL, true, "couldn't find");
    expect(CANCEL, org, "{}", "+15550109999", true, "couldn't find");
    expect(CANCEL, org, "{}", NULL, true, "What phone number");
    expect(CANCEL, org, "{\"phone\":\"12345\"}", NULL, true, "doesn't look right");
    assert_int_equal(booked_count(org), 1);
}

static void test_other_orgs_appointment_is_not_found(void **state)
{
    char a[37], b[37], d[11], args[200];
    new_org(a, NY, 30, 0, 60);
    new_org(b, NY, 30, 0, 60);
    every_day(a);
    every_day(b);
    local_date(NY, 10, d);
    book_ok(b, "Bea Org", "+15550106000", d, "10:00");
    char *id = appointment_at(b, d, "10:00", NY);
    assert_non_null(id);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(CANCEL, a, args, NULL, true, "couldn't find");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:00\"}", id, d);
    expect(RESCHEDULE, a, args, NULL, true, "couldn't find");
    expect(CANCEL, a, "{\"phone\":\"+15550106000\"}", NULL, true, "couldn't find");
    char *still = appointment_at(b, d, "10:00", NY);
    assert_string_equal(still, id); /* still booked, still at 10:00 */
    free(still);
    free(id);
    availability_says(a, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings."); /* b's booking is not a's */
    book_ok(a, "Abe Org", "+15550106001", d, "10:00");
    assert_int_equal(booked_count(a), 1);
    assert_int_equal(booked_count(b), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_frees_the_slot),
        cmocka_unit_test(test_other_orgs_appointment_is_not_found),
    };
    return cmocka_run_group_tests_name("tools/cancel_appointment", tests, setup, teardown);
}
