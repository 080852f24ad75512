/*
 * Integration test for tool-router's calendar tools (services/tool-router:
 * scheduling.c, booking.c, booking_change.c, scheduling_core.c,
 * google_calendar.c) on real PostgreSQL and NATS, as tests/run-all.sh runs
 * it (DATABASE_URL = the app role, so row-level security applies;
 * ADMIN_DATABASE_URL; NATS_URL; BIN_DIR for the Google fake).
 *
 * The test plays the framework: it builds a tool_ctx (own vx_pg, args from
 * cJSON_Parse), opens the org transaction with vx_pg_begin_org, calls the
 * tool and commits (or rolls back on TOOL_RETRY). Every org is fresh, so the
 * test can run again on the same database.
 *
 * Proves: hours, buffer (after and before a booking), existing bookings, the
 * org's timezone, DST days in America/New_York and Europe/London (UTC
 * instants, slot counts, local labels), closed days, past/horizon limits,
 * services; booking then the same slot conflicting with nearest-slot offers,
 * a collision only through the buffer, cancel freeing the slot, reschedule
 * moving it; bad arguments change nothing; another org's appointment id is
 * "not found"; 50 concurrent bookers of one slot (and of buffer-overlapping
 * slots) get exactly one row; Google Calendar through the fake (busy times,
 * events created / moved / deleted, failures, timeouts, no vault).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduling.h"
#include "scheduling_core.h"
#include "settings.h"
#include "voxanne/v1/vault.pb-c.h"
#include "vt.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"

#define NY     "America/New_York"
#define LONDON "Europe/London"
#define TOKEN  "ya29.fake-token-for-tests"

static struct {
    PGconn *admin;
    vx_pg *pg;
    struct tool_settings settings;
    natsConnection *nc;      /* for the vault responder and Google tests */
    natsConnection *tool_nc; /* what tools get as ctx->nc (NULL: no Google) */
    char google_org[37], bad_token_org[37];
    char fake_url[64];
} T;

/* ------------------------------------------------------------ helpers */

typedef struct answer {
    tool_status status;
    bool is_error;
    char *text;
} answer;

static answer run_on(vx_pg *pg, tool_fn fn, const char *org, const char *args_json, const char *caller)
{
    cJSON *args = cJSON_Parse(args_json);
    VT_REQUIRE(args != NULL, "test arguments are not JSON");
    char tool_call_id[48], uuid[37];
    vt_uuid(uuid);
    snprintf(tool_call_id, sizeof(tool_call_id), "call_%.20s", uuid);
    tool_ctx ctx = {.pg = pg,
                    .nc = T.tool_nc,
                    .settings = &T.settings,
                    .request_id = "req-scheduling-test",
                    .org_id = org,
                    .tool_name = "tool",
                    .tool_call_id = tool_call_id,
                    .vapi_call_id = "vapi-call-scheduling",
                    .caller_number = caller,
                    .args = args};
    tool_result res = {.is_error = false, .text = VX_BUF_INIT};
    VT_REQUIRE(vx_pg_begin_org(pg, org) == 0, vx_pg_error(pg));
    answer a;
    a.status = fn(&ctx, &res);
    /* As the framework does: commit, then the after-commit work (a Google event). */
    if (a.status == TOOL_DONE)
        VT_REQUIRE(vx_pg_commit(pg) == 0, vx_pg_error(pg));
    else
        vx_pg_rollback(pg);
    tool_result_finish(&ctx, &res, a.status == TOOL_DONE);
    a.is_error = res.is_error;
    a.text = strdup(res.text.data != NULL ? res.text.data : "");
    vx_buf_free(&res.text);
    cJSON_Delete(res.extra);
    cJSON_Delete(args);
    return a;
}

/* Runs a tool on the main connection, checks the answer is one sayable line, prints it. */
static answer run(tool_fn fn, const char *org, const char *args_json, const char *caller)
{
    answer a = run_on(T.pg, fn, org, args_json, caller);
    assert_int_equal(a.status, TOOL_DONE);
    assert_true(strlen(a.text) > 10);
    assert_null(strchr(a.text, '\n'));
    printf("    %.60s -> %s%s\n", args_json, a.is_error ? "[error] " : "", a.text);
    return a;
}

static void expect(tool_fn fn, const char *org, const char *args, const char *caller, bool is_error, const char *contains)
{
    answer a = run(fn, org, args, caller);
    if (contains != NULL && strstr(a.text, contains) == NULL)
        fail_msg("answer \"%s\" lacks \"%s\"", a.text, contains);
    assert_int_equal(a.is_error, is_error);
    free(a.text);
}

static void sql(const char *q, int n, const char *const *p)
{
    vt_sql_exec(T.admin, q, n, p);
}

static long sql_long(const char *q, int n, const char *const *p)
{
    return vt_sql_long(T.admin, q, n, p);
}

/* A fresh org with settings (tz NULL: no org_settings row, the defaults) and 09:00-12:00 every day. */
static void new_org(char org[37], const char *tz, int slot, int buffer, int horizon)
{
    vt_create_org(T.admin, "Scheduling IT", NULL, NULL, NULL, org);
    if (tz != NULL) {
        char s[8], b[8], h[8];
        snprintf(s, sizeof(s), "%d", slot);
        snprintf(b, sizeof(b), "%d", buffer);
        snprintf(h, sizeof(h), "%d", horizon);
        const char *p[5] = {org, tz, s, b, h};
        sql("INSERT INTO org_settings (org_id, timezone, slot_minutes, buffer_minutes, booking_horizon_days)"
            " VALUES ($1, $2, $3, $4, $5)",
            5, p);
    }
}

static void add_hours(const char *org, const char *weekdays_sql, const char *opens, const char *closes)
{
    const char *p[4] = {org, weekdays_sql, opens, closes};
    sql("INSERT INTO business_hours (org_id, weekday, opens, closes)"
        " SELECT $1, d, $3::time, $4::time FROM unnest($2::smallint[]) AS d",
        4, p);
}

static void every_day(const char *org)
{
    add_hours(org, "{0,1,2,3,4,5,6}", "09:00", "12:00");
}

/* The org-local date `days` from today in tz, "YYYY-MM-DD". */
static void local_date(const char *tz, int days, char out[11])
{
    char d[8];
    snprintf(d, sizeof(d), "%d", days);
    const char *p[2] = {tz, d};
    char *v = vt_sql_value(T.admin, "SELECT to_char((now() AT TIME ZONE $1)::date + $2::int, 'YYYY-MM-DD')", 2, p);
    snprintf(out, 11, "%s", v);
    free(v);
}

/* The instant of local date + time in tz, unix ms (computed by the test through SQL). */
static int64_t instant(const char *date, const char *time, const char *tz)
{
    const char *p[3] = {date, time, tz};
    return sql_long("SELECT (extract(epoch FROM ($1::date + $2::time) AT TIME ZONE $3) * 1000)::bigint", 3, p);
}

static int64_t utc(const char *date, const char *hhmm)
{
    char iso[40];
    int64_t ms = 0;
    snprintf(iso, sizeof(iso), "%sT%s:00Z", date, hhmm);
    VT_REQUIRE(vx_time_parse_iso(iso, &ms), "bad test instant");
    return ms;
}

static long booked_count(const char *org)
{
    const char *p[1] = {org};
    return sql_long("SELECT count(*) FROM appointments WHERE org_id = $1 AND status = 'booked'", 1, p);
}

static long contact_count(const char *org)
{
    const char *p[1] = {org};
    return sql_long("SELECT count(*) FROM contacts WHERE org_id = $1", 1, p);
}

/* The free slots of a local date as scheduling_core computes them (one transaction). */
static size_t day_slots(const char *org, const char *date, int length_min, int64_t *out, size_t max)
{
    cJSON *args = cJSON_CreateObject();
    tool_ctx ctx = {.pg = T.pg,
                    .settings = &T.settings,
                    .request_id = "req-slots",
                    .org_id = org,
                    .tool_name = "slots",
                    .tool_call_id = "",
                    .args = args};
    VT_REQUIRE(vx_pg_begin_org(T.pg, org) == 0, vx_pg_error(T.pg));
    scheduling_settings s;
    scheduling_calendar cal;
    availability_date d;
    VT_REQUIRE(availability_date_parse(date, &d), "bad test date");
    VT_REQUIRE(scheduling_settings_load(&ctx, &s) == 0, "settings");
    VT_REQUIRE(scheduling_calendar_load(&ctx, &s, NULL, d, d, NULL, &cal) == 0, "calendar");
    size_t n = scheduling_calendar_slots(&cal, &s, d, length_min * 60000LL, out, max);
    scheduling_calendar_free(&cal);
    VT_REQUIRE(vx_pg_commit(T.pg) == 0, "commit");
    cJSON_Delete(args);
    return n;
}

/* Local "h:mm AM" labels of instants in tz, written into labels[n][16]. */
static void labels_of(const char *org, const char *tz, const int64_t *ms, size_t n, char labels[][16])
{
    cJSON *args = cJSON_CreateObject();
    tool_ctx ctx = {.pg = T.pg,
                    .settings = &T.settings,
                    .request_id = "req-labels",
                    .org_id = org,
                    .tool_name = "labels",
                    .tool_call_id = "",
                    .args = args};
    scheduling_when w[32];
    VT_REQUIRE(n <= 32 && vx_pg_begin_org(T.pg, org) == 0, "begin");
    VT_REQUIRE(scheduling_format(&ctx, tz, ms, n, w) == 0, "format");
    VT_REQUIRE(vx_pg_commit(T.pg) == 0, "commit");
    for (size_t i = 0; i < n; i++)
        snprintf(labels[i], 16, "%.15s", w[i].time);
    cJSON_Delete(args);
}

/* {"name","phone","start"[,"service"]} for a booking at date + "Thh:mm" local. */
static char *book_args(const char *name, const char *phone, const char *date, const char *hhmm, const char *service)
{
    char *s = NULL;
    VT_REQUIRE(asprintf(&s, "{\"name\":\"%s\",\"phone\":\"%s\",\"start\":\"%sT%s\"%s%s%s}", name, phone, date, hhmm,
                        service ? ",\"service\":\"" : "", service ? service : "", service ? "\"" : "") > 0,
               "asprintf");
    return s;
}

static void book_ok(const char *org, const char *name, const char *phone, const char *date, const char *hhmm)
{
    char *args = book_args(name, phone, date, hhmm, NULL);
    expect(tool_book_appointment, org, args, NULL, false, "You're booked for");
    free(args);
}

static void book_taken(const char *org, const char *phone, const char *date, const char *hhmm, const char *lead)
{
    char *args = book_args("Late Comer", phone, date, hhmm, NULL);
    expect(tool_book_appointment, org, args, NULL, true, lead);
    free(args);
}

static char *date_args(const char *date)
{
    char *s = NULL;
    VT_REQUIRE(asprintf(&s, "{\"date\":\"%s\"}", date) > 0, "asprintf");
    return s;
}

static void availability_says(const char *org, const char *date, bool is_error, const char *contains)
{
    char *args = date_args(date);
    expect(tool_check_availability, org, args, NULL, is_error, contains);
    free(args);
}

/* An appointment's id and start as text (malloc'd), found by org and local start. */
static char *appointment_at(const char *org, const char *date, const char *hhmm, const char *tz)
{
    char t[8];
    snprintf(t, sizeof(t), "%s", hhmm);
    const char *p[4] = {org, date, t, tz};
    return vt_sql_value(T.admin,
                        "SELECT id::text FROM appointments WHERE org_id = $1 AND status = 'booked'"
                        " AND starts_at = ($2::date + $3::time) AT TIME ZONE $4",
                        4, p);
}

/* An answer that must contain every one of the NULL-terminated strings. */
static void expect_all(tool_fn fn, const char *org, const char *args, const char *caller, bool is_error, ...)
{
    answer a = run(fn, org, args, caller);
    va_list ap;
    va_start(ap, is_error);
    for (const char *want = va_arg(ap, const char *); want != NULL; want = va_arg(ap, const char *))
        if (strstr(a.text, want) == NULL)
            fail_msg("answer \"%s\" lacks \"%s\"", a.text, want);
    va_end(ap);
    assert_int_equal(a.is_error, is_error);
    free(a.text);
}

/* The label the tools use for a local date ("Tuesday, March 10"). */
static void label_of(const char *date, char out[40])
{
    availability_date d;
    VT_REQUIRE(availability_date_parse(date, &d), "bad test date");
    availability_date_label(d, out, 40);
}

/* ------------------------------------------------------------ availability */

static void test_availability_follows_hours(void **state)
{
    char org[37], d[11], iso[40];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 3, d);
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    int64_t s[16];
    assert_int_equal(day_slots(org, d, 30, s, 16), 6);
    assert_int_equal(s[0], instant(d, "09:00", NY));
    assert_int_equal(s[5], instant(d, "11:30", NY));
    snprintf(iso, sizeof(iso), "%sT15:00:00Z", d); /* an ISO date-time: its date */
    availability_says(org, iso, false, "9:00 AM, 9:30 AM");
    expect(tool_check_availability, org, "{\"date\":\"Tomorrow\"}", NULL, false, "I have 9:00 AM");
    expect(tool_check_availability, org, "{}", NULL, false, " I have ");
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
    expect(tool_book_appointment, org, args, NULL, false, "at 11:00 AM");
}

/* The next local date (2..400 days ahead) shorter (spring) or longer (fall) than 24 hours in tz. */
static void dst_day(const char *tz, bool spring, char out[11])
{
    const char *p[1] = {tz};
    char *v = vt_sql_value(
        T.admin,
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
        char *dow = vt_sql_value(T.admin, "SELECT extract(dow FROM $1::date)::int::text", 1, p);
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

static void test_closed_days(void **state)
{
    char org[37], empty[37], sunday[11], monday[40], d[11];
    new_org(org, NY, 30, 0, 60);
    add_hours(org, "{1,2,3,4,5}", "09:00", "12:00");
    char *v = vt_sql_value(T.admin,
                           "SELECT to_char(d, 'YYYY-MM-DD') FROM (SELECT (now() AT TIME ZONE 'America/New_York')::date + i AS d"
                           " FROM generate_series(2, 8) AS i) x WHERE extract(dow FROM d) = 0 ORDER BY d LIMIT 1",
                           0, NULL);
    snprintf(sunday, sizeof(sunday), "%s", v);
    free(v);
    availability_date sun;
    availability_date_parse(sunday, &sun);
    availability_date_label(availability_date_from_days(availability_date_days(sun) + 1), monday, sizeof(monday));
    char *args = date_args(sunday);
    expect_all(tool_check_availability, org, args, NULL, false, "We're closed on Sunday", monday, "I have 9:00 AM", NULL);
    free(args);
    args = book_args("Hank Ko", "+15550100021", sunday, "10:00", NULL);
    expect_all(tool_book_appointment, org, args, NULL, true, "we're not open at that time", monday, NULL);
    free(args);
    /* No business hours at all: closed every day. */
    new_org(empty, NY, 30, 0, 60);
    local_date(NY, 3, d);
    args = date_args(d);
    expect_all(tool_check_availability, empty, args, NULL, false, "We're closed on", "don't have any openings in the next 60 days",
               NULL);
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
    availability_date day;
    availability_date_parse(d, &day);
    availability_date_label(availability_date_from_days(availability_date_days(day) + 1), next, sizeof(next));
    char *args = date_args(d);
    expect_all(tool_check_availability, org, args, NULL, false, "is fully booked", next, "9:00 AM and 9:30 AM", NULL);
    free(args);
    args = book_args("Ivy Three", "+15550100033", d, "09:00", NULL);
    expect_all(tool_book_appointment, org, args, NULL, true, "just taken", next, NULL);
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
    local_date(NY, -2, d);
    book_taken(org, "+15550100041", d, "10:00", "already passed");
    local_date(NY, 61, d);
    book_taken(org, "+15550100042", d, "10:00", "only book up to 60 days");
    local_date(NY, 3, d);
    book_taken(org, "+15550100043", d, "13:00", "not open at that time");
    /* Inside the minimum notice (60 minutes by default). */
    char *soon = vt_sql_value(
        T.admin, "SELECT to_char(now() AT TIME ZONE 'America/New_York' + interval '10 minutes', 'YYYY-MM-DD\"T\"HH24:MI')", 0,
        NULL);
    char args[200];
    snprintf(args, sizeof(args), "{\"name\":\"Quick Q\",\"phone\":\"+15550100044\",\"start\":\"%s\"}", soon);
    free(soon);
    expect(tool_book_appointment, org, args, NULL, true, "I need at least 1 hour of notice");
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
    char args[300];
    snprintf(args, sizeof(args), "{\"date\":\"%s\",\"service\":\"hygiene\"}", d);
    expect(tool_check_availability, org, args, NULL, false, "I have 9:00 AM, 10:00 AM and 11:00 AM.");
    snprintf(args, sizeof(args), "{\"date\":\"%s\",\"service\":\"Botox\"}", d);
    expect_all(tool_check_availability, org, args, NULL, false,
               "couldn't find a service called \"Botox\"; we offer Consultation and Teeth Cleaning.",
               "9:00 AM, 9:30 AM, 10:00 AM and 3 more", NULL);
    char *b = book_args("Jo Park", "+15550100051", d, "09:00", "teeth cleaning");
    expect(tool_book_appointment, org, b, NULL, false, "You're booked for a Teeth Cleaning on");
    free(b);
    assert_int_equal(sql_long("SELECT extract(epoch FROM ends_at - starts_at)::bigint FROM appointments"
                              " WHERE org_id = $1 AND service_id IS NOT NULL",
                              1, p),
                     3600);
    b = book_args("Jo Park", "+15550100051", d, "11:00", "Botox");
    expect(tool_book_appointment, org, b, NULL, true, "We offer Consultation and Teeth Cleaning.");
    free(b);
    b = book_args("Kim Lo", "+15550100052", d, "11:00", "an initial consultation");
    expect(tool_book_appointment, org, b, NULL, false, "You're booked for a Consultation on");
    free(b);
    assert_int_equal(booked_count(org), 2);
}

/* ------------------------------------------------------------ booking */

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
    expect(tool_book_appointment, org, args, "+15559990000", false, want);
    const char *p[1] = {org};
    char *row = vt_sql_value(T.admin,
                             "SELECT concat_ws('|', c.first_name, c.last_name, c.phone, c.email, c.lead_status, a.service_name,"
                             " a.vapi_call_id, a.tool_call_id LIKE 'call_%', a.buffer_minutes, upper(a.blocks) = a.ends_at)"
                             " FROM appointments a JOIN contacts c ON c.id = a.contact_id WHERE a.org_id = $1",
                             1, p);
    assert_string_equal(row, "Mary|Jane Smith|+15550102000|mary@example.com|booked|appointment|vapi-call-scheduling|t|0|t");
    free(row);
    snprintf(args, sizeof(args), "{\"name\":\"Ned Bo\",\"phone\":\"+15550102001\",\"start\":\"%sT10:00\"}", d);
    expect_all(tool_book_appointment, org, args, NULL, true, "I'm sorry, that time was just taken.", "9:30 AM, 10:30 AM", NULL);
    assert_int_equal(booked_count(org), 1);
    assert_int_equal(contact_count(org), 1);
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
    expect(tool_book_appointment, org, args, "+15550103000", false, "You're booked");
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:30 AM and 2 more openings.");
    snprintf(want, sizeof(want), "Your appointment on %s at 10:00 AM is cancelled.", label);
    expect(tool_cancel_appointment, org, "{}", "+15550103000", false, want);
    const char *p[1] = {org};
    assert_int_equal(sql_long("SELECT count(*) FROM appointments WHERE org_id = $1 AND status = 'cancelled'", 1, p), 1);
    availability_says(org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    book_ok(org, "Oda Ri", "+15550103001", d, "10:00");
    expect(tool_cancel_appointment, org, "{\"phone\":\"+15550103000\"}", NULL, true, "couldn't find");
    expect(tool_cancel_appointment, org, "{}", "+15550109999", true, "couldn't find");
    expect(tool_cancel_appointment, org, "{}", NULL, true, "What phone number");
    assert_int_equal(booked_count(org), 1);
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
    expect(tool_reschedule_appointment, org, args, NULL, false, "Done: your appointment is now on");
    char *moved = appointment_at(org, d, "11:00", NY);
    assert_string_equal(moved, id);
    free(moved);
    book_ok(org, "Ivy Wu", "+15550104001", d, "10:00");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT10:00\"}", id, d);
    expect_all(tool_reschedule_appointment, org, args, NULL, true, "just taken", "I have", NULL);
    moved = appointment_at(org, d, "11:00", NY);
    assert_string_equal(moved, id); /* unchanged */
    free(moved);
    /* By phone and current start, overlapping its own old time. */
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104000\",\"currentStart\":\"%sT11:00\",\"newStart\":\"%sT11:15\"}", d, d);
    expect(tool_reschedule_appointment, org, args, NULL, false, "at 11:15 AM");
    snprintf(args, sizeof(args), "{\"phone\":\"+15550104000\",\"currentStart\":\"%sT09:00\",\"newStart\":\"%sT09:30\"}", d, d);
    expect(tool_reschedule_appointment, org, args, NULL, true, "couldn't find");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(tool_reschedule_appointment, org, args, NULL, true, "What day and time would you like to move it to?");
    assert_int_equal(booked_count(org), 2);
    free(id);
}

static void test_bad_arguments_change_nothing(void **state)
{
    char org[37], d[11];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 9, d);
    vx_buf huge_name = VX_BUF_INIT, huge_service = VX_BUF_INIT;
    vx_buf_printf(&huge_name, "{\"name\":\"");
    for (int i = 0; i < 100000; i++)
        vx_buf_putc(&huge_name, 'a');
    vx_buf_printf(&huge_name, "\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\"}", d);
    vx_buf_printf(&huge_service, "{\"name\":\"Al Bo\",\"phone\":\"+15550105000\",\"start\":\"%sT10:00\",\"service\":\"", d);
    for (int i = 0; i < 1000000; i++)
        vx_buf_putc(&huge_service, 'x');
    vx_buf_puts(&huge_service, "\"}");
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
        expect(tool_book_appointment, org, c[i], NULL, true, NULL);
    expect(tool_book_appointment, org, huge_name.data, NULL, true, "didn't catch the name");
    expect(tool_book_appointment, org, huge_service.data, NULL, true, "didn't catch the service");
    vx_buf_free(&huge_name);
    vx_buf_free(&huge_service);
    expect(tool_reschedule_appointment, org, "{\"appointmentId\":\"not-a-uuid\",\"newStart\":\"2030-01-01T10:00\"}", NULL, true,
           "couldn't find");
    expect(tool_reschedule_appointment, org, "{\"appointmentId\":42}", NULL, true, "couldn't find");
    expect(tool_cancel_appointment, org, "{\"phone\":\"12345\"}", NULL, true, "doesn't look right");
    expect(tool_check_availability, org, "{\"date\":20260310}", NULL, true, "didn't catch the date");
    expect(tool_check_availability, org, "{\"date\":\"the first monday after easter\"}", NULL, true, "didn't catch the date");
    assert_int_equal(booked_count(org), 0);
    assert_int_equal(contact_count(org), 0);
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
    expect(tool_cancel_appointment, a, args, NULL, true, "couldn't find");
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:00\"}", id, d);
    expect(tool_reschedule_appointment, a, args, NULL, true, "couldn't find");
    expect(tool_cancel_appointment, a, "{\"phone\":\"+15550106000\"}", NULL, true, "couldn't find");
    char *still = appointment_at(b, d, "10:00", NY);
    assert_string_equal(still, id); /* still booked, still at 10:00 */
    free(still);
    free(id);
    availability_says(a, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings."); /* b's booking is not a's */
    book_ok(a, "Abe Org", "+15550106001", d, "10:00");
    assert_int_equal(booked_count(a), 1);
    assert_int_equal(booked_count(b), 1);
}

/* ------------------------------------------------------------ latency */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Prints p50/p99 of n samples (µs, sorted in place) and returns p99. */
static int64_t report(const char *what, int64_t *us, size_t n)
{
    qsort(us, n, sizeof(*us), cmp_i64);
    printf("    %s: p50 %.2f ms, p99 %.2f ms over %zu calls\n", what, us[n / 2] / 1000.0, us[n * 99 / 100] / 1000.0, n);
    return us[n * 99 / 100];
}

/* In-process cost of the tools (transaction included, no gateway, no Google), one caller at a time. */
static void test_latency(void **state)
{
    enum { N = 300 };
    char org[37], d[11], args[200];
    static int64_t us[N];
    new_org(org, NY, 5, 5, 60);
    add_hours(org, "{0,1,2,3,4,5,6}", "00:00", "24:00");
    local_date(NY, 13, d);
    char *date = date_args(d);
    for (int i = 0; i < N; i++) {
        int64_t t0 = vx_monotonic_us();
        answer a = run_on(T.pg, tool_check_availability, org, date, NULL);
        us[i] = vx_monotonic_us() - t0;
        assert_false(a.is_error);
        free(a.text);
    }
    free(date);
    assert_true(report("checkAvailability (288 slots, 5-minute steps)", us, N) < 50000);
    for (int i = 0; i < 100; i++) { /* 100 bookings on one day, 10 minutes apart (5 + 5 buffer) */
        snprintf(args, sizeof(args), "{\"name\":\"Lat %d\",\"phone\":\"+1555012%04d\",\"start\":\"%sT%02d:%02d\"}", i, i, d, i / 6,
                 i % 6 * 10);
        int64_t t0 = vx_monotonic_us();
        answer a = run_on(T.pg, tool_book_appointment, org, args, NULL);
        us[i] = vx_monotonic_us() - t0;
        if (a.is_error)
            fail_msg("booking %d failed: %s", i, a.text);
        free(a.text);
    }
    assert_true(report("bookClinicAppointment", us, 100) < 50000);
    assert_int_equal(booked_count(org), 100);
}

/* ------------------------------------------------------------ concurrency */

#define RACERS 50

typedef struct racer {
    const char *org;
    char args[200];
    pthread_barrier_t *barrier;
    answer a;
    int64_t started_us, ended_us;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    vx_pg *pg = vx_pg_create(vt_env("DATABASE_URL"));
    scheduling_prepare(pg);
    VT_REQUIRE(vx_pg_ensure(pg) == 0, "racer could not connect");
    pthread_barrier_wait(r->barrier);
    r->started_us = vx_monotonic_us();
    r->a = run_on(pg, tool_book_appointment, r->org, r->args, NULL);
    r->ended_us = vx_monotonic_us();
    vx_pg_destroy(pg);
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
    int booked = 0, taken = 0;
    int64_t first = INT64_MAX, last = 0, slowest = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        first = r[i].started_us < first ? r[i].started_us : first;
        last = r[i].ended_us > last ? r[i].ended_us : last;
        slowest = r[i].ended_us - r[i].started_us > slowest ? r[i].ended_us - r[i].started_us : slowest;
        assert_int_equal(r[i].a.status, TOOL_DONE);
        if (!r[i].a.is_error && strstr(r[i].a.text, "You're booked") != NULL)
            booked++;
        else if (r[i].a.is_error && strstr(r[i].a.text, "that time was just taken") != NULL)
            taken++;
        else
            fail_msg("unexpected answer: %s", r[i].a.text);
        free(r[i].a.text);
    }
    printf("    %d racers: %d booked, %d just taken; all answered within %.1f ms, slowest answer %.1f ms\n", RACERS, booked, taken,
           (last - first) / 1000.0, slowest / 1000.0);
    pthread_barrier_destroy(&barrier);
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

/* ------------------------------------------------------------ Google Calendar */

static void vault_responder(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    Voxanne__V1__GoogleTokenRequest *req =
        voxanne__v1__google_token_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    Voxanne__V1__GoogleTokenReply rep = VOXANNE__V1__GOOGLE_TOKEN_REPLY__INIT;
    if (req != NULL && strcmp(req->org_id, T.google_org) == 0) {
        rep.connected = true;
        rep.access_token = (char *)TOKEN;
        rep.calendar_id = (char *)"primary";
    } else if (req != NULL && strcmp(req->org_id, T.bad_token_org) == 0) {
        rep.connected = true;
        rep.access_token = (char *)"ya29.revoked";
    } else {
        rep.error = (char *)"google not connected";
    }
    uint8_t buf[512];
    size_t len = voxanne__v1__google_token_reply__pack(&rep, buf);
    natsConnection_Publish(nc, natsMsg_GetReply(msg), buf, (int)len);
    voxanne__v1__google_token_request__free_unpacked(req, NULL);
    natsMsg_Destroy(msg);
}

static void fake_post(const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "%s%s", T.fake_url, path);
    vt_http_post_expect(url, body, 204);
}

/* The fake's only event (asserted), parsed; caller deletes. */
static cJSON *fake_event(void)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/_fake/events", T.fake_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    cJSON *root = cJSON_Parse(r.body);
    vt_response_free(&r);
    cJSON *items = cJSON_GetObjectItem(root, "items");
    assert_int_equal(cJSON_GetArraySize(items), 1);
    cJSON *ev = cJSON_DetachItemFromArray(items, 0);
    cJSON_Delete(root);
    return ev;
}

static int64_t event_start(const cJSON *ev)
{
    int64_t ms = 0;
    assert_true(vx_time_parse_iso(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "start"), "dateTime")->valuestring, &ms));
    return ms;
}

static double timed_availability(const char *org, const char *d, const char *contains)
{
    int64_t t0 = vx_monotonic_us();
    availability_says(org, d, false, contains);
    return (vx_monotonic_us() - t0) / 1000.0;
}

static void test_google_calendar(void **state)
{
    static char port_env[40], token_env[80], base[80];
    int port = vt_free_port();
    snprintf(port_env, sizeof(port_env), "GOOGLE_FAKE_PORT=%d", port);
    snprintf(token_env, sizeof(token_env), "GOOGLE_FAKE_TOKEN=%s", TOKEN);
    const char *env[] = {port_env, token_env, NULL};
    pid_t fake = vt_spawn("google_calendar", "google_calendar_fake", env);
    snprintf(T.fake_url, sizeof(T.fake_url), "http://127.0.0.1:%d", port);
    char ready[96];
    snprintf(ready, sizeof(ready), "%s/_fake/events", T.fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the Google Calendar fake did not start");
    snprintf(base, sizeof(base), "%s/calendar/v3/", T.fake_url);
    T.settings.google_calendar_base_url = base;
    natsSubscription *sub = NULL;
    VT_REQUIRE(natsConnection_Subscribe(&sub, T.nc, "rpc.vault.google.token", vault_responder, NULL) == NATS_OK, "subscribe");
    natsConnection_Flush(T.nc);
    T.tool_nc = T.nc;

    char d[11], body[200], s[25], e[25], args[200];
    new_org(T.google_org, NY, 30, 0, 60);
    every_day(T.google_org);
    local_date(NY, 12, d);
    vx_time_format_iso(instant(d, "10:00", NY), s);
    vx_time_format_iso(instant(d, "11:00", NY), e);
    snprintf(body, sizeof(body), "{\"calendarId\":\"primary\",\"start\":\"%s\",\"end\":\"%s\"}", s, e);
    fake_post("/_fake/busy", body);
    printf("    with google: %.1f ms\n", timed_availability(T.google_org, d, "9:00 AM, 9:30 AM, 11:00 AM and 1 more opening."));
    book_taken(T.google_org, "+15550107000", d, "10:00", "that time isn't available");

    /* A booking creates the event; moving and cancelling follow it. */
    book_ok(T.google_org, "Gail Gee", "+15550107001", d, "11:00");
    char *id = appointment_at(T.google_org, d, "11:00", NY);
    const char *p[1] = {id};
    char *event_id = vt_sql_value(T.admin, "SELECT google_event_id FROM appointments WHERE id = $1", 1, p);
    cJSON *ev = fake_event();
    assert_non_null(event_id);
    assert_string_equal(cJSON_GetObjectItem(ev, "id")->valuestring, event_id);
    assert_string_equal(cJSON_GetObjectItem(ev, "status")->valuestring, "confirmed");
    assert_int_equal(event_start(ev), instant(d, "11:00", NY));
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "extendedProperties"), "private"), "voxanneAppointmentId")
            ->valuestring,
        id);
    cJSON_Delete(ev);
    availability_says(T.google_org, d, false, "I have 9:00 AM, 9:30 AM and 11:30 AM.");
    /* Onto a time overlapping its own event: that event must not block it. */
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:15\"}", id, d);
    expect(tool_reschedule_appointment, T.google_org, args, NULL, false, "11:15 AM");
    ev = fake_event();
    assert_int_equal(event_start(ev), instant(d, "11:15", NY));
    cJSON_Delete(ev);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(tool_cancel_appointment, T.google_org, args, NULL, false, "is cancelled");
    ev = fake_event();
    assert_string_equal(cJSON_GetObjectItem(ev, "status")->valuestring, "cancelled");
    cJSON_Delete(ev);
    free(event_id);
    free(id);

    /* Google failing (503), a revoked token (401), a timeout: the internal calendar carries on. */
    fake_post("/_fake/fail", "{\"status\":503,\"count\":100}");
    availability_says(T.google_org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    book_ok(T.google_org, "Sol Fail", "+15550107002", d, "09:00");
    fake_post("/_fake/fail", "{\"status\":0,\"count\":0}");
    const char *q[1] = {T.google_org};
    assert_int_equal(sql_long("SELECT count(*) FROM appointments WHERE org_id = $1 AND status = 'booked'"
                              " AND google_event_id IS NULL",
                              1, q),
                     1);
    new_org(T.bad_token_org, NY, 30, 0, 60);
    every_day(T.bad_token_org);
    availability_says(T.bad_token_org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    T.settings.google_timeout_ms = 300;
    fake_post("/_fake/fail", "{\"status\":0,\"count\":1,\"delay_ms\":2000}");
    double ms = timed_availability(T.google_org, d, "9:30 AM, 10:00 AM, 10:30 AM and 2 more openings.");
    printf("    google timing out after 300 ms: %.1f ms\n", ms);
    assert_true(ms < 1500);
    T.settings.google_timeout_ms = 2000;

    /* No credential vault at all: no responders, answered at once. */
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Flush(T.nc);
    ms = timed_availability(T.google_org, d, "9:30 AM, 10:00 AM, 10:30 AM and 2 more openings.");
    printf("    without a vault: %.1f ms\n", ms);
    assert_true(ms < 250);
    T.tool_nc = NULL;
    assert_int_equal(vt_stop(fake, SIGTERM, 5000), 0);
}

static int setup(void **state)
{
    vx_log_init("test_scheduling");
    T.admin = vt_admin();
    settings_defaults(&T.settings);
    T.settings.vault_miss_ttl_ms = 0; /* the stand-in vault starts and stops between tests */
    T.pg = vx_pg_create(vt_env("DATABASE_URL"));
    scheduling_prepare(T.pg);
    T.nc = vx_nats_connect(vt_env("NATS_URL"), "test_scheduling");
    VT_REQUIRE(T.nc != NULL, "NATS connection");
    return 0;
}

static int teardown(void **state)
{
    vx_pg_destroy(T.pg);
    PQfinish(T.admin);
    natsConnection_Destroy(T.nc);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_availability_follows_hours),
        cmocka_unit_test(test_defaults_without_a_settings_row),
        cmocka_unit_test(test_buffer_and_existing_bookings),
        cmocka_unit_test(test_collision_through_the_buffer),
        cmocka_unit_test(test_org_timezone),
        cmocka_unit_test(test_dst_days),
        cmocka_unit_test(test_closed_days),
        cmocka_unit_test(test_fully_booked_day_offers_the_next),
        cmocka_unit_test(test_past_and_horizon),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_book_then_conflict),
        cmocka_unit_test(test_cancel_frees_the_slot),
        cmocka_unit_test(test_reschedule_moves_the_appointment),
        cmocka_unit_test(test_bad_arguments_change_nothing),
        cmocka_unit_test(test_other_orgs_appointment_is_not_found),
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_concurrent_booking_of_one_slot),
        cmocka_unit_test(test_google_calendar),
    };
    return cmocka_run_group_tests_name("tool-router scheduling integration", tests, setup, teardown);
}
