/*
 * calendar_test: what the calendar tools' integration tests share — orgs
 * with business hours and scheduling settings, the org's local dates and
 * instants computed by PostgreSQL (independently of the code under test),
 * and tool calls that go through dispatch_request in-process like any Vapi
 * message (see tool_router_test.h): parser, tool table, org resolution by
 * the org's assistant, the org transaction, the ledger, the tool, the commit
 * and the after-commit work (Google events). Every org is fresh, so the
 * tests can run again on the same database.
 */
#ifndef CALENDAR_TEST_H
#define CALENDAR_TEST_H

#include "tool_router_test.h"

#define NY     "America/New_York"
#define LONDON "Europe/London"

/* The calendar tools, by the names Vapi calls them. */
#define CHECK      "checkAvailability"
#define BOOK       "bookClinicAppointment"
#define RESCHEDULE "rescheduleAppointment"
#define CANCEL     "cancelAppointment"

/* Every message of these tests is on this Vapi call (stored on appointments). */
#define CAL_VAPI_CALL "vapi-call-scheduling"

/* The assistant of each org made by cal_new_org, so calls can name orgs. */
static struct {
    char org[64][37];
    char assistant[64][64];
    int n;
} CAL_ORGS __attribute__((unused));

static inline const char *cal_assistant_of(const char *org)
{
    for (int i = 0; i < CAL_ORGS.n; i++)
        if (strcmp(CAL_ORGS.org[i], org) == 0)
            return CAL_ORGS.assistant[i];
    fail_msg("no assistant for org %s", org);
    return NULL;
}

typedef struct cal_said {
    bool is_error;
    char *text;
} cal_said;

/* Calls tool for org from caller (may be NULL) on dispatcher d, with a fresh
 * toolCallId; the call must be answered 200 with one result. malloc'd text. */
static inline cal_said cal_call_on(dispatch *d, const char *tool, const char *org, const char *args_json, const char *caller)
{
    char u[37], tool_call_id[48];
    vt_uuid(u);
    snprintf(tool_call_id, sizeof(tool_call_id), "call_%.20s", u);
    char *call = tr_one_call(tool_call_id, tool, args_json);
    char *body = tr_tool_calls(cal_assistant_of(org), CAL_VAPI_CALL, caller, call);
    tr_answer a = tr_dispatch(d, false, NULL, body, true, vx_now_ms() + 60000);
    free(call);
    free(body);
    assert_int_equal(a.status, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a.json, "results")), 1);
    cal_said s;
    s.text = strdup(tr_said(&a, 0, &s.is_error));
    VT_REQUIRE(s.text != NULL, "out of memory");
    tr_answer_free(&a);
    return s;
}

/* Runs a tool on the test's dispatcher, checks the answer is one sayable
 * line and not the apology (the database failed: TOOL_RETRY), prints it. */
static inline cal_said cal_run(const char *tool, const char *org, const char *args_json, const char *caller)
{
    cal_said s = cal_call_on(TR.d, tool, org, args_json, caller);
    assert_true(strlen(s.text) > 10);
    assert_null(strchr(s.text, '\n'));
    if (strcmp(s.text, TR.config.say_apology) == 0)
        fail_msg("%s %s: the tool failed (apology)", tool, args_json);
    printf("    %s %.60s -> %s%s\n", tool, args_json, s.is_error ? "[error] " : "", s.text);
    return s;
}

static inline void expect(const char *tool, const char *org, const char *args, const char *caller, bool is_error,
                          const char *contains)
{
    cal_said a = cal_run(tool, org, args, caller);
    if (contains != NULL && strstr(a.text, contains) == NULL)
        fail_msg("answer \"%s\" lacks \"%s\"", a.text, contains);
    assert_int_equal(a.is_error, is_error);
    free(a.text);
}

/* An answer that must contain every one of the NULL-terminated strings (is_error: an int, for va_start). */
static inline void expect_all(const char *tool, const char *org, const char *args, const char *caller, int is_error, ...)
{
    cal_said a = cal_run(tool, org, args, caller);
    va_list ap;
    va_start(ap, is_error);
    for (const char *want = va_arg(ap, const char *); want != NULL; want = va_arg(ap, const char *))
        if (strstr(a.text, want) == NULL)
            fail_msg("answer \"%s\" lacks \"%s\"", a.text, want);
    va_end(ap);
    assert_int_equal(a.is_error, is_error);
    free(a.text);
}

static inline void sql(const char *q, int n, const char *const *p)
{
    vt_sql_exec(TR.admin, q, n, p);
}

static inline long sql_long(const char *q, int n, const char *const *p)
{
    return vt_sql_long(TR.admin, q, n, p);
}

/* A fresh org with an assistant, settings (tz NULL: no org_settings row, the defaults) and no business hours yet. */
static inline void new_org(char org[37], const char *tz, int slot, int buffer, int horizon)
{
    VT_REQUIRE(CAL_ORGS.n < 64, "too many orgs for one test file");
    char *assistant = CAL_ORGS.assistant[CAL_ORGS.n];
    tr_fresh_id(assistant, 64, "asst-cal");
    vt_create_org(TR.admin, "Scheduling IT", assistant, NULL, NULL, org);
    snprintf(CAL_ORGS.org[CAL_ORGS.n++], 37, "%s", org);
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

static inline void add_hours(const char *org, const char *weekdays_sql, const char *opens, const char *closes)
{
    const char *p[4] = {org, weekdays_sql, opens, closes};
    sql("INSERT INTO business_hours (org_id, weekday, opens, closes)"
        " SELECT $1, d, $3::time, $4::time FROM unnest($2::smallint[]) AS d",
        4, p);
}

/* 09:00-12:00 every day. */
static inline void every_day(const char *org)
{
    add_hours(org, "{0,1,2,3,4,5,6}", "09:00", "12:00");
}

/* The org-local date `days` from today in tz, "YYYY-MM-DD". */
static inline void local_date(const char *tz, int days, char out[11])
{
    char d[8];
    snprintf(d, sizeof(d), "%d", days);
    const char *p[2] = {tz, d};
    char *v = vt_sql_value(TR.admin, "SELECT to_char((now() AT TIME ZONE $1)::date + $2::int, 'YYYY-MM-DD')", 2, p);
    snprintf(out, 11, "%s", v);
    free(v);
}

/* The instant of local date + time in tz, unix ms (computed by the test through SQL). */
static inline int64_t instant(const char *date, const char *time, const char *tz)
{
    const char *p[3] = {date, time, tz};
    return sql_long("SELECT (extract(epoch FROM ($1::date + $2::time) AT TIME ZONE $3) * 1000)::bigint", 3, p);
}

static inline int64_t utc(const char *date, const char *hhmm)
{
    char iso[40];
    int64_t ms = 0;
    snprintf(iso, sizeof(iso), "%sT%s:00Z", date, hhmm);
    VT_REQUIRE(vx_time_parse_iso(iso, &ms), "bad test instant");
    return ms;
}

static inline long booked_count(const char *org)
{
    const char *p[1] = {org};
    return sql_long("SELECT count(*) FROM appointments WHERE org_id = $1 AND status = 'booked'", 1, p);
}

static inline long contact_count(const char *org)
{
    const char *p[1] = {org};
    return sql_long("SELECT count(*) FROM contacts WHERE org_id = $1", 1, p);
}

/* {"name","phone","start"[,"service"]} for a booking at date + "Thh:mm" local. malloc'd. */
static inline char *book_args(const char *name, const char *phone, const char *date, const char *hhmm, const char *service)
{
    char *s = NULL;
    VT_REQUIRE(asprintf(&s, "{\"name\":\"%s\",\"phone\":\"%s\",\"start\":\"%sT%s\"%s%s%s}", name, phone, date, hhmm,
                        service ? ",\"service\":\"" : "", service ? service : "", service ? "\"" : "") > 0,
               "asprintf");
    return s;
}

static inline void book_ok(const char *org, const char *name, const char *phone, const char *date, const char *hhmm)
{
    char *args = book_args(name, phone, date, hhmm, NULL);
    expect(BOOK, org, args, NULL, false, "You're booked for");
    free(args);
}

static inline void book_taken(const char *org, const char *phone, const char *date, const char *hhmm, const char *lead)
{
    char *args = book_args("Late Comer", phone, date, hhmm, NULL);
    expect(BOOK, org, args, NULL, true, lead);
    free(args);
}

static inline char *date_args(const char *date)
{
    char *s = NULL;
    VT_REQUIRE(asprintf(&s, "{\"date\":\"%s\"}", date) > 0, "asprintf");
    return s;
}

static inline void availability_says(const char *org, const char *date, bool is_error, const char *contains)
{
    char *args = date_args(date);
    expect(CHECK, org, args, NULL, is_error, contains);
    free(args);
}

/* An appointment's id as text (malloc'd, NULL when none), found by org and local start. */
static inline char *appointment_at(const char *org, const char *date, const char *hhmm, const char *tz)
{
    char t[8];
    snprintf(t, sizeof(t), "%s", hhmm);
    const char *p[4] = {org, date, t, tz};
    return vt_sql_value(TR.admin,
                        "SELECT id::text FROM appointments WHERE org_id = $1 AND status = 'booked'"
                        " AND starts_at = ($2::date + $3::time) AT TIME ZONE $4",
                        4, p);
}

/* The label the tools use for a local date ("Tuesday, March 10"), by the test's own arithmetic in SQL. */
static inline void label_of(const char *date, char out[40])
{
    const char *p[1] = {date};
    char *v = vt_sql_value(TR.admin, "SELECT to_char($1::date, 'FMDay, FMMonth FMDD')", 1, p);
    snprintf(out, 40, "%s", v);
    free(v);
}

/* The label of the day after date. */
static inline void label_of_next(const char *date, char out[40])
{
    const char *p[1] = {date};
    char *v = vt_sql_value(TR.admin, "SELECT to_char($1::date + 1, 'FMDay, FMMonth FMDD')", 1, p);
    snprintf(out, 40, "%s", v);
    free(v);
}

#endif
