/*
 * The cancelAppointment tool (tools/cancel_appointment.c, calendar/booking.c)
 * on real PostgreSQL, driven in-process through dispatch_request as Vapi's
 * messages (calendar_test.h).
 *
 * Proves: the caller's upcoming appointment (found by their own number) is
 * cancelled and its time is free again at once, bookable by someone else;
 * an unknown caller finds nothing, a malformed number is refused; only an
 * appointment booked with the number the call comes from is cancelled
 * (issue 9): another number's — named by its phone, however said, or by its
 * id — and any appointment on a call without a caller number (a web call)
 * are refused with a sentence the assistant can say, and stay booked;
 * another org's appointment — by id or by phone — is "not found" to cancel
 * and to reschedule, stays booked, and does not block the org's own
 * calendar.
 */
#include "../calendar_test.h"

#define REFUSAL                                                                                                                    \
    "For your privacy, I can only change appointments booked with the phone number you're calling from. Please call us from "      \
    "that number and I'll be happy to help."

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
    expect(CANCEL, org, "{\"phone\":\"+15550103000\"}", "+15550103000", true, "couldn't find");
    expect(CANCEL, org, "{}", "+15550109999", true, "couldn't find");
    expect(CANCEL, org, "{\"phone\":\"12345\"}", "+15550103000", true, "doesn't look right");
    assert_int_equal(booked_count(org), 1);
}

/* Kim's appointment at 10:00 and Lou's at 11:00 on date d of a fresh org; ids into kim, lou (malloc'd). */
static void book_kim_and_lou(char org[37], char d[11], int days, char **kim, char **lou)
{
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, days, d);
    book_ok(org, "Kim Ash", "+15550103100", d, "10:00");
    book_ok(org, "Lou Bay", "+15550103101", d, "11:00");
    *kim = appointment_at(org, d, "10:00", NY);
    *lou = appointment_at(org, d, "11:00", NY);
    assert_non_null(*kim);
    assert_non_null(*lou);
}

/* A cancel for a number other than the caller's is refused with a sentence the assistant can say, and changes nothing. */
static void test_cancel_for_another_number_is_refused(void **state)
{
    char org[37], d[11], args[200], *kim, *lou;
    book_kim_and_lou(org, d, 11, &kim, &lou);
    /* Lou calls and names Kim's appointment: by her number, however said, or by its id, even with his own number. */
    expect(CANCEL, org, "{\"phone\":\"+15550103100\"}", "+15550103101", true, REFUSAL);
    expect(CANCEL, org, "{\"phone\":\"+1 (555) 010-3100\"}", "+15550103101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"phone\":\"+15550103100\",\"currentStart\":\"%sT10:00\"}", d);
    expect(CANCEL, org, args, "+15550103101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", kim);
    expect(CANCEL, org, args, "+15550103101", true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"phone\":\"+15550103101\"}", kim);
    expect(CANCEL, org, args, "+15550103101", true, REFUSAL);
    /* Someone with no appointment at all hears the same. */
    expect(CANCEL, org, "{\"phone\":\"+15550103101\"}", "+15550109998", true, REFUSAL);
    char *still = appointment_at(org, d, "10:00", NY);
    assert_string_equal(still, kim);
    free(still);
    assert_int_equal(booked_count(org), 2);
    free(kim);
    free(lou);
}

/* A web call has no caller number: nobody's appointment is cancelled from it. */
static void test_cancel_without_caller_number_is_refused(void **state)
{
    char org[37], d[11], args[200], *kim, *lou;
    book_kim_and_lou(org, d, 12, &kim, &lou);
    expect(CANCEL, org, "{}", NULL, true, REFUSAL);
    expect(CANCEL, org, "{\"phone\":\"+15550103100\"}", NULL, true, REFUSAL);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", kim);
    expect(CANCEL, org, args, NULL, true, REFUSAL);
    assert_int_equal(booked_count(org), 2);
    free(kim);
    free(lou);
}

/* The allowed path: the caller's own appointment, by its id or by their own number said in any form. */
static void test_cancel_own_appointment(void **state)
{
    char org[37], d[11], args[200], label[40], want[160], *kim, *lou;
    book_kim_and_lou(org, d, 13, &kim, &lou);
    label_of(d, label);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", kim);
    snprintf(want, sizeof(want), "Your appointment on %s at 10:00 AM is cancelled.", label);
    expect(CANCEL, org, args, "+15550103100", false, want);
    snprintf(want, sizeof(want), "Your appointment on %s at 11:00 AM is cancelled.", label);
    expect(CANCEL, org, "{\"phone\":\"+1 555-010-3101\"}", "+15550103101", false, want);
    assert_int_equal(booked_count(org), 0);
    free(kim);
    free(lou);
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
    /* Bea herself, calling org A's number. */
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(CANCEL, a, args, "+15550106000", true, "couldn't find");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:00\"}", id, d);
    expect(RESCHEDULE, a, args, "+15550106000", true, "couldn't find");
    expect(CANCEL, a, "{\"phone\":\"+15550106000\"}", "+15550106000", true, "couldn't find");
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
        cmocka_unit_test(test_cancel_for_another_number_is_refused),
        cmocka_unit_test(test_cancel_without_caller_number_is_refused),
        cmocka_unit_test(test_cancel_own_appointment),
        cmocka_unit_test(test_other_orgs_appointment_is_not_found),
    };
    return cmocka_run_group_tests_name("tools/cancel_appointment", tests, setup, teardown);
}
