/*
 * The bookClinicAppointment tool (tools/book_clinic_appointment.c,
 * calendar/booking.c) on real PostgreSQL, driven in-process through
 * dispatch_request as Vapi's messages (calendar_test.h).
 *
 * Proves: a booking stores the contact (names, E.164 phone, email, lead
 * status) and the appointment (service name, call ids, buffer) and says so;
 * only a call from a contact's own number changes the email on file;
 * the same slot then conflicts and offers the nearest free slots; a
 * collision only through the buffer is refused, right after the buffer is
 * free, and a losing booking leaves no contact behind; the org's time zone
 * applies to local times, an offset time means the same instant; past
 * times, times beyond the horizon, outside business hours or inside the
 * minimum notice are refused; services set the length, an unknown one is
 * refused with the list; every kind of bad argument changes nothing (the
 * tool's own bounds, and the parser's bound before it); a packed day of
 * back-to-back bookings with buffers; 50 callers racing for one slot (and
 * for slots that collide only through the buffer) on 50 connections get
 * exactly one booking.
 */
#include <pthread.h>

#include "../calendar_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_book_clinic_appointment", false);
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_book_then_conflict(void **state)
{
    char org[37], d[11], label[40], want[160];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 6, d);
    label_of(d, label);
    char args[300];
    snprintf(args, sizeof(args),
             "{\"name\":\"  Mary \\t Jane  Smith \",\"phone\":\"+1 (555) 010-2000\",\"email\":\"mary@example.com\","
             "\"start\":\"%sT10:00\"}",
             d);
    snprintf(want, sizeof(want), "You're booked for an appointment on %s at 10:00 AM. We'll see you then, Mary!", label);
    expect(BOOK, org, args, "+15559990000", false, want);
    const char *p[1] = {org};
    char *row = vt_sql_value(TR.admin,
                             "SELECT concat_ws('|', c.first_name, c.last_name, c.phone, c.email, c.lead_status, a.service_name,"
                             " a.vapi_call_id, a.tool_call_id LIKE 'call_%', a.buffer_minutes, upper(a.blocks) = a.ends_at)"
                             " FROM appointments a JOIN contacts c ON c.id = a.contact_id WHERE a.org_id = $1",
                             1, p);
    assert_string_equal(row, "Mary|Jane Smith|+15550102000|mary@example.com|booked|appointment|vapi-call-scheduling|t|0|t");
    free(row);
    snprintf(args, sizeof(args), "{\"name\":\"Ned Bo\",\"phone\":\"+15550102001\",\"start\":\"%sT10:00\"}", d);
    expect_all(BOOK, org, args, NULL, true, "I'm sorry, that time was just taken.", "9:30 AM, 10:30 AM", NULL);
    assert_int_equal(booked_count(org), 1);
    assert_int_equal(contact_count(org), 1);
}

/* The email on file of a contact changes only when the booking comes from
 * that contact's own number: booking under someone else's number must not
 * redirect their confirmations (issue 9, live-call privacy). */
static void test_only_the_owner_of_a_number_changes_its_email(void **state)
{
    char org[37], d[11], args[300];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 6, d);
    const char *p[1] = {org};
    /* Kim books from her own number, with her email. */
    snprintf(args, sizeof(args),
             "{\"name\":\"Kim Lee\",\"phone\":\"+15550103000\",\"email\":\"kim@example.com\",\"start\":\"%sT09:00\"}", d);
    expect(BOOK, org, args, "+15550103000", false, "We'll see you then, Kim!");
    /* Someone else, calling from another number, books under Kim's number with their own email. */
    snprintf(args, sizeof(args),
             "{\"name\":\"Kim Lee\",\"phone\":\"+15550103000\",\"email\":\"attacker@example.net\",\"start\":\"%sT11:00\"}", d);
    expect(BOOK, org, args, "+15550109999", false, "We'll see you then");
    char *email = vt_sql_value(TR.admin, "SELECT email FROM contacts WHERE org_id = $1 AND phone = '+15550103000'", 1, p);
    assert_string_equal(email, "kim@example.com");
    free(email);
    /* Kim herself may change it. */
    snprintf(args, sizeof(args),
             "{\"name\":\"Kim Lee\",\"phone\":\"+15550103000\",\"email\":\"kim@new.example\",\"start\":\"%sT10:00\"}", d);
    expect(BOOK, org, args, "+15550103000", false, "We'll see you then");
    email = vt_sql_value(TR.admin, "SELECT email FROM contacts WHERE org_id = $1 AND phone = '+15550103000'", 1, p);
    assert_string_equal(email, "kim@new.example");
    free(email);
    /* A contact without an email gets the one given, from any number. */
    snprintf(args, sizeof(args), "{\"name\":\"Lou Park\",\"phone\":\"+15550103001\",\"start\":\"%sT10:30\"}", d);
    expect(BOOK, org, args, "+15550103001", false, "We'll see you then");
    snprintf(args, sizeof(args),
             "{\"name\":\"Lou Park\",\"phone\":\"+15550103001\",\"email\":\"lou@example.com\",\"start\":\"%sT11:30\"}", d);
    expect(BOOK, org, args, "+15550108888", false, "We'll see you then");
    email = vt_sql_value(TR.admin, "SELECT email FROM contacts WHERE org_id = $1 AND phone = '+15550103001'", 1, p);
    assert_string_equal(email, "lou@example.com");
    free(email);
}

static void test_collision_through_the_buffer(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 15, 60);
    every_day(org);
    local_date(NY, 5, d);
    book_ok(org, "Cy Ng", "+15550100011", d, "09:00");
    book_taken(org, "+15550100012", d, "09:40", "just taken"); /* inside 9:00's buffer, not its time */
    book_ok(org, "Di Ho", "+15550100013", d, "09:45");         /* right after the buffer */
    book_ok(org, "Ed Yu", "+15550100014", d, "11:00");
    book_taken(org, "+15550100015", d, "10:30", "I have"); /* ends at 11:00, but its own buffer does not */
    assert_int_equal(booked_count(org), 3);
    assert_int_equal(contact_count(org), 3); /* the losers left no contact behind */
}

static void test_org_timezone(void **state)
{
    char org[37], d[11];
    new_org(org, LONDON, 30, 0, 60);
    every_day(org);
    local_date(LONDON, 3, d);
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    book_ok(org, "Flo Ames", "+447700900123", d, "09:30");
    char *id = appointment_at(org, d, "09:30", LONDON);
    assert_non_null(id);
    free(id);
    /* The same wall-clock time sent as UTC with an offset. */
    char args[200], iso[25];
    vx_time_format_iso(instant(d, "11:00", LONDON), iso);
    snprintf(args, sizeof(args), "{\"name\":\"Gil Ames\",\"phone\":\"+447700900124\",\"start\":\"%s\"}", iso);
    expect(BOOK, org, args, NULL, false, "at 11:00 AM");
}

static void test_past_and_horizon(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, -2, d);
    book_taken(org, "+15550100041", d, "10:00", "already passed");
    local_date(NY, 61, d);
    book_taken(org, "+15550100042", d, "10:00", "only book up to 60 days");
    local_date(NY, 3, d);
    book_taken(org, "+15550100043", d, "13:00", "not open at that time");
    /* Inside the minimum notice (60 minutes by default). */
    char *soon = vt_sql_value(
        TR.admin, "SELECT to_char(now() AT TIME ZONE 'America/New_York' + interval '10 minutes', 'YYYY-MM-DD\"T\"HH24:MI')", 0,
        NULL);
    char args[200];
    snprintf(args, sizeof(args), "{\"name\":\"Quick Q\",\"phone\":\"+15550100044\",\"start\":\"%s\"}", soon);
    free(soon);
    expect(BOOK, org, args, NULL, true, "I need at least 1 hour of notice");
    assert_int_equal(booked_count(org), 0);
    assert_int_equal(contact_count(org), 0);
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
    char *b = book_args("Jo Park", "+15550100051", d, "09:00", "teeth cleaning");
    expect(BOOK, org, b, NULL, false, "You're booked for a Teeth Cleaning on");
    free(b);
    assert_int_equal(sql_long("SELECT extract(epoch FROM ends_at - starts_at)::bigint FROM appointments"
                              " WHERE org_id = $1 AND service_id IS NOT NULL",
                              1, p),
                     3600);
    b = book_args("Jo Park", "+15550100051", d, "11:00", "Botox");
    expect(BOOK, org, b, NULL, true, "We offer Consultation and Teeth Cleaning.");
    free(b);
    b = book_args("Kim Lo", "+15550100052", d, "11:00", "an initial consultation");
    expect(BOOK, org, b, NULL, false, "You're booked for a Consultation on");
    free(b);
    assert_int_equal(booked_count(org), 2);
}

static void test_bad_arguments_change_nothing(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 9, d);
    char c[12][200];
    snprintf(c[0], 200, "{}");
    snprintf(c[1], 200, "{\"phone\":\"+15550105000\",\"start\":\"%sT10:00\"}", d);
    snprintf(c[2], 200, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\"}");
    snprintf(c[3], 200, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":\"next tuesday at 3\"}");
    snprintf(c[4], 200, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":\"2026-13-45T10:00\"}");
    snprintf(c[5], 200, "{\"name\":\"Al Bo\",\"phone\":\"555-1234\",\"start\":\"%sT10:00\"}", d);
    snprintf(c[6], 200, "{\"name\":\"Al Bo\",\"phone\":\"+0123456789\",\"start\":\"%sT10:00\"}", d);
    snprintf(c[7], 200, "{\"name\":123,\"phone\":\"+15550105000\",\"start\":\"%sT10:00\"}", d);
    snprintf(c[8], 200, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":1790000000000}");
    snprintf(c[9], 200, "{\"name\":\"Al \xc3\x28 Bo\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\"}", d);
    snprintf(c[10], 200, "{\"name\":\"Al Bo\",\"phone\":{\"n\":1},\"start\":\"%sT10:00\"}", d);
    snprintf(c[11], 200, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\",\"service\":[1]}", d);
    for (size_t i = 0; i < 12; i++)
        expect(BOOK, org, c[i], NULL, true, NULL);
    /* Longer than any name or service (ARGS_TEXT_MAX characters): the tool refuses them. */
    vx_buf long_name = VX_BUF_INIT, long_service = VX_BUF_INIT, huge = VX_BUF_INIT;
    vx_buf_printf(&long_name, "{\"name\":\"");
    for (int i = 0; i < 1000; i++)
        vx_buf_putc(&long_name, 'a');
    vx_buf_printf(&long_name, "\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\"}", d);
    expect(BOOK, org, long_name.data, NULL, true, "didn't catch the name");
    vx_buf_printf(&long_service, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\",\"service\":\"", d);
    for (int i = 0; i < 10000; i++)
        vx_buf_putc(&long_service, 'x');
    vx_buf_puts(&long_service, "\"}");
    expect(BOOK, org, long_service.data, NULL, true, "didn't catch the service");
    /* Arguments past the parser's bound (VAPI_MAX_ARGS_BYTES) never reach the tool. */
    vx_buf_printf(&huge, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\",\"service\":\"", d);
    for (int i = 0; i < 1000000; i++)
        vx_buf_putc(&huge, 'x');
    vx_buf_puts(&huge, "\"}");
    expect(BOOK, org, huge.data, NULL, true, TR.config.say_bad_args);
    vx_buf_free(&long_name);
    vx_buf_free(&long_service);
    vx_buf_free(&huge);
    assert_int_equal(booked_count(org), 0);
    assert_int_equal(contact_count(org), 0);
}

/* A day packed to the minute: 5-minute slots, a 5-minute buffer, 100 bookings 10 minutes apart all fit. */
static void test_back_to_back_bookings(void **state)
{
    char org[37], d[11], args[200];
    new_org(org, NY, 5, 5, 60);
    add_hours(org, "{0,1,2,3,4,5,6}", "00:00", "24:00");
    local_date(NY, 13, d);
    for (int i = 0; i < 100; i++) {
        snprintf(args, sizeof(args), "{\"name\":\"Lat %d\",\"phone\":\"+1555012%04d\",\"start\":\"%sT%02d:%02d\"}", i, i, d, i / 6,
                 i % 6 * 10);
        cal_said a = cal_call_on(TR.d, BOOK, org, args, NULL);
        if (a.is_error)
            fail_msg("booking %d failed: %s", i, a.text);
        free(a.text);
    }
    assert_int_equal(booked_count(org), 100);
    /* Between them, each booking's own buffer leaves no 5-minute slot: the day continues after the last. */
    availability_says(org, d, false, "4:40 PM, 4:45 PM, 4:50 PM and");
}

#define RACERS 50

typedef struct racer {
    const char *org;
    char args[200];
    pthread_barrier_t *barrier;
    tr_answer a;
} racer;

/* One caller, on a dispatcher (and database connection) of its own, as another pool thread or replica. */
static void *race(void *arg)
{
    racer *r = arg;
    dispatch *d = dispatch_create(vt_env("DATABASE_URL"), NULL, NULL, &TR.config, NULL);
    VT_REQUIRE(vx_pg_ensure(d->pg) == 0, "racer could not connect");
    char u[37], id[48];
    vt_uuid(u);
    snprintf(id, sizeof(id), "call_%.20s", u);
    char *call = tr_one_call(id, BOOK, r->args);
    char *body = tr_tool_calls(cal_assistant_of(r->org), CAL_VAPI_CALL, NULL, call);
    pthread_barrier_wait(r->barrier);
    r->a = tr_dispatch(d, false, NULL, body, true, vx_now_ms() + 60000);
    free(call);
    free(body);
    dispatch_destroy(d);
    return NULL;
}

/* RACERS threads book times[i % ntimes] at once; checks one winner and RACERS-1 "just taken". */
static void race_for(const char *org, const char *d, const char *const *times, size_t ntimes)
{
    racer r[RACERS];
    pthread_t t[RACERS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        r[i].org = org;
        r[i].barrier = &barrier;
        snprintf(r[i].args, sizeof(r[i].args), "{\"name\":\"Racer %d\",\"phone\":\"+1555011%04d\",\"start\":\"%sT%s\"}", i, i, d,
                 times[(size_t)i % ntimes]);
        VT_REQUIRE(pthread_create(&t[i], NULL, race, &r[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    int booked = 0, taken = 0;
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(r[i].a.status, 200);
        bool is_error;
        const char *text = tr_said(&r[i].a, 0, &is_error);
        if (!is_error && strstr(text, "You're booked") != NULL)
            booked++;
        else if (is_error && strstr(text, "that time was just taken") != NULL)
            taken++;
        else
            fail_msg("unexpected answer: %s", text);
        tr_answer_free(&r[i].a);
    }
    printf("    %d racers: %d booked, %d just taken\n", RACERS, booked, taken);
    assert_int_equal(booked, 1);
    assert_int_equal(taken, RACERS - 1);
    assert_int_equal(booked_count(org), 1);
    assert_int_equal(contact_count(org), 1);
}

static void test_concurrent_booking_of_one_slot(void **state)
{
    char org[37], buffered[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 11, d);
    const char *same[] = {"10:00"};
    race_for(org, d, same, 1);
    /* 10:00-10:30 blocks until 10:45 with the buffer, so 10:40 collides only through it. */
    new_org(buffered, NY, 30, 15, 60);
    every_day(buffered);
    const char *near[] = {"10:00", "10:40"};
    race_for(buffered, d, near, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_book_then_conflict),
        cmocka_unit_test(test_only_the_owner_of_a_number_changes_its_email),
        cmocka_unit_test(test_collision_through_the_buffer),
        cmocka_unit_test(test_org_timezone),
        cmocka_unit_test(test_past_and_horizon),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_bad_arguments_change_nothing),
        cmocka_unit_test(test_back_to_back_bookings),
        cmocka_unit_test(test_concurrent_booking_of_one_slot),
    };
    return cmocka_run_group_tests_name("tools/book_clinic_appointment", tests, setup, teardown);
}
