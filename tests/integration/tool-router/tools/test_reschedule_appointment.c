/*
 * The rescheduleAppointment tool (tools/reschedule_appointment.c,
 * calendar/booking.c) on real PostgreSQL, driven in-process through
 * dispatch_request as Vapi's messages (calendar_test.h).
 *
 * Proves: an appointment moves by its id and keeps its id; a time another
 * booking holds is refused with the nearest free slots and nothing moves;
 * found by phone and current start, it may move onto a time overlapping its
 * own old one; a wrong current start is "not found"; a missing new time is
 * asked for; bad ids, phones and times are refused and change nothing.
 * Another org's appointment id is not found (test_cancel_appointment.c).
 */
#include "../calendar_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_reschedule_appointment", false);
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_reschedule_moves_the_appointment(void **state)
{
    char org[37], d[11], args[300];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 8, d);
    book_ok(org, "Hal Vo", "+15550104000", d, "09:00");
    char *id = appointment_at(org, d, "09:00", NY);
    assert_non_null(id);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:00\"}", id, d);
    expect(RESCHEDULE, org, args, NULL, false, "Done: your appointment is now on");
    char *moved = appointment_at(org, d, "11:00", NY);
    assert_string_equal(moved, id);
    free(moved);
    book_ok(org, "Ivy Wu", "+15550104001", d, "10:00");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT10:00\"}", id, d);
    expect_all(RESCHEDULE, org, args, NULL, true, "just taken", "I have", NULL);
    moved = appointment_at(org, d, "11:00", NY);
    assert_string_equal(moved, id); /* unchanged */
    free(moved);
    /* By phone and current start, overlapping its own old time. */
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104000\",\"currentStart\":\"%sT11:00\",\"newStart\":\"%sT11:15\"}", d, d);
    expect(RESCHEDULE, org, args, NULL, false, "at 11:15 AM");
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104000\",\"currentStart\":\"%sT09:00\",\"newStart\":\"%sT09:30\"}", d, d);
    expect(RESCHEDULE, org, args, NULL, true, "couldn't find");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(RESCHEDULE, org, args, NULL, true, "What day and time would you like to move it to?");
    assert_int_equal(booked_count(org), 2);
    free(id);
}

static void test_bad_arguments_change_nothing(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 9, d);
    book_ok(org, "Al Bo", "+15550105100", d, "10:00");
    char *id = appointment_at(org, d, "10:00", NY);
    char args[200];
    expect(RESCHEDULE, org, "{\"appointmentId\":\"not-a-uuid\",\"newStart\":\"2030-01-01T10:00\"}", NULL, true, "couldn't find");
    expect(RESCHEDULE, org, "{\"appointmentId\":42}", NULL, true, "couldn't find");
    expect(RESCHEDULE, org, "{\"phone\":\"12345\",\"newStart\":\"2030-01-01T10:00\"}", NULL, true, "doesn't look right");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"next tuesday\"}", id);
    expect(RESCHEDULE, org, args, NULL, true, "didn't catch the new time");
    snprintf(args, sizeof(args), "{\"phone\":\"+15550105100\",\"currentStart\":\"yesterday-ish\",\"newStart\":\"%sT11:00\"}", d);
    expect(RESCHEDULE, org, args, NULL, true, "didn't catch when your current appointment is");
    char *still = appointment_at(org, d, "10:00", NY);
    assert_string_equal(still, id);
    free(still);
    free(id);
    assert_int_equal(booked_count(org), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reschedule_moves_the_appointment),
        cmocka_unit_test(test_bad_arguments_change_nothing),
    };
    return cmocka_run_group_tests_name("tools/reschedule_appointment", tests, setup, teardown);
}
