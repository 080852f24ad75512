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
 * Only an appointment booked with the number the call comes from moves
 * (issue 9): another number's — named by its phone or by its id — and any
 * appointment on a call without a caller number (a web call) are refused
 * with a sentence the assistant can say, before the new time is looked at,
 * and stay where they were; the caller's own moves, by its id or by their
 * number. Another org's appointment id is not found
 * (test_cancel_appointment.c).
 */
#include "../calendar_test.h"

#define REFUSAL                                                                                                                    \
    "For your privacy, I can only change appointments booked with the phone number you're calling from. Please call us from "      \
    "that number and I'll be happy to help."

#define HAL "+15550104000"
#define AL  "+15550105100"

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
    expect(RESCHEDULE, org, args, HAL, false, "Done: your appointment is now on");
    char *moved = appointment_at(org, d, "11:00", NY);
    assert_string_equal(moved, id);
    free(moved);
    book_ok(org, "Ivy Wu", "+15550104001", d, "10:00");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT10:00\"}", id, d);
    expect_all(RESCHEDULE, org, args, HAL, true, "just taken", "I have", NULL);
    moved = appointment_at(org, d, "11:00", NY);
    assert_string_equal(moved, id); /* unchanged */
    free(moved);
    /* By phone and current start, overlapping its own old time. */
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104000\",\"currentStart\":\"%sT11:00\",\"newStart\":\"%sT11:15\"}", d, d);
    expect(RESCHEDULE, org, args, HAL, false, "at 11:15 AM");
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104000\",\"currentStart\":\"%sT09:00\",\"newStart\":\"%sT09:30\"}", d, d);
    expect(RESCHEDULE, org, args, HAL, true, "couldn't find");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(RESCHEDULE, org, args, HAL, true, "What day and time would you like to move it to?");
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
    expect(RESCHEDULE, org, "{\"appointmentId\":\"not-a-uuid\",\"newStart\":\"2030-01-01T10:00\"}", AL, true, "couldn't find");
    expect(RESCHEDULE, org, "{\"appointmentId\":42}", AL, true, "couldn't find");
    expect(RESCHEDULE, org, "{\"phone\":\"12345\",\"newStart\":\"2030-01-01T10:00\"}", AL, true, "doesn't look right");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"next tuesday\"}", id);
    expect(RESCHEDULE, org, args, AL, true, "didn't catch the new time");
    snprintf(args, sizeof(args), "{\"phone\":\"+15550105100\",\"currentStart\":\"yesterday-ish\",\"newStart\":\"%sT11:00\"}", d);
    expect(RESCHEDULE, org, args, AL, true, "didn't catch when your current appointment is");
    char *still = appointment_at(org, d, "10:00", NY);
    assert_string_equal(still, id);
    free(still);
    free(id);
    assert_int_equal(booked_count(org), 1);
}

/* Kim's appointment at 10:00 and Lou's at 11:00 on date d of a fresh org; ids into kim, lou (malloc'd). */
static void book_kim_and_lou(char org[37], char d[11], int days, char **kim, char **lou)
{
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, days, d);
    book_ok(org, "Kim Ash", "+15550104100", d, "10:00");
    book_ok(org, "Lou Bay", "+15550104101", d, "11:00");
    *kim = appointment_at(org, d, "10:00", NY);
    *lou = appointment_at(org, d, "11:00", NY);
    assert_non_null(*kim);
    assert_non_null(*lou);
}

static void still_at(const char *org, const char *d, const char *hhmm, const char *id)
{
    char *at = appointment_at(org, d, hhmm, NY);
    assert_non_null(at);
    assert_string_equal(at, id);
    free(at);
}

/* A reschedule for a number other than the caller's is refused with a sentence the assistant can say, and moves nothing. */
static void test_reschedule_for_another_number_is_refused(void **state)
{
    char org[37], d[11], args[300], *kim, *lou;
    book_kim_and_lou(org, d, 10, &kim, &lou);
    /* Lou calls and moves Kim's appointment: by her number, however said, or by its id, even with his own number. */
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104100\",\"newStart\":\"%sT09:00\"}", d);
    expect(RESCHEDULE, org, args, "+15550104101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"phone\":\"+1 (555) 010-4100\",\"currentStart\":\"%sT10:00\",\"newStart\":\"%sT09:00\"}", d, d);
    expect(RESCHEDULE, org, args, "+15550104101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT09:00\"}", kim, d);
    expect(RESCHEDULE, org, args, "+15550104101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"phone\":\"+15550104101\",\"newStart\":\"%sT09:00\"}", kim, d);
    expect(RESCHEDULE, org, args, "+15550104101", true, REFUSAL);
    /* Refused before the new time is looked at: a taken or missing time says nothing about Kim's appointment. */
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:00\"}", kim, d);
    expect(RESCHEDULE, org, args, "+15550104101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", kim);
    expect(RESCHEDULE, org, args, "+15550104101", true, REFUSAL);
    still_at(org, d, "10:00", kim);
    still_at(org, d, "11:00", lou);
    assert_int_equal(booked_count(org), 2);
    free(kim);
    free(lou);
}

/* A web call has no caller number: nobody's appointment is moved from it. */
static void test_reschedule_without_caller_number_is_refused(void **state)
{
    char org[37], d[11], args[300], *kim, *lou;
    book_kim_and_lou(org, d, 11, &kim, &lou);
    snprintf(args, sizeof(args), "{\"newStart\":\"%sT09:00\"}", d);
    expect(RESCHEDULE, org, args, NULL, true, REFUSAL);
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104100\",\"newStart\":\"%sT09:00\"}", d);
    expect(RESCHEDULE, org, args, NULL, true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT09:00\"}", kim, d);
    expect(RESCHEDULE, org, args, NULL, true, REFUSAL);
    still_at(org, d, "10:00", kim);
    still_at(org, d, "11:00", lou);
    free(kim);
    free(lou);
}

/* The allowed path: the caller's own appointment moves, by its id or by their own number said in any form. */
static void test_reschedule_own_appointment(void **state)
{
    char org[37], d[11], args[300], *kim, *lou;
    book_kim_and_lou(org, d, 12, &kim, &lou);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT09:00\"}", kim, d);
    expect(RESCHEDULE, org, args, "+15550104100", false, "Done: your appointment is now on");
    still_at(org, d, "09:00", kim);
    snprintf(args, sizeof(args), "{\"phone\":\"+1 555-010-4101\",\"newStart\":\"%sT11:30\"}", d);
    expect(RESCHEDULE, org, args, "+15550104101", false, "at 11:30 AM");
    still_at(org, d, "11:30", lou);
    snprintf(args, sizeof(args), "{\"newStart\":\"%sT10:30\"}", d); /* no phone said: the caller's own */
    expect(RESCHEDULE, org, args, "+15550104100", false, "at 10:30 AM");
    still_at(org, d, "10:30", kim);
    assert_int_equal(booked_count(org), 2);
    free(kim);
    free(lou);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reschedule_moves_the_appointment),
        cmocka_unit_test(test_bad_arguments_change_nothing),
        cmocka_unit_test(test_reschedule_for_another_number_is_refused),
        cmocka_unit_test(test_reschedule_without_caller_number_is_refused),
        cmocka_unit_test(test_reschedule_own_appointment),
    };
    return cmocka_run_group_tests_name("tools/reschedule_appointment", tests, setup, teardown);
}
