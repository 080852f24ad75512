/*
 * Unit tests for services/tool-router/calendar/args.c, the calendar tools'
 * argument readers, without a database: every outcome (OK, MISSING,
 * INVALID) of every reader, for the shapes a voice model really sends.
 *
 * - text: cleaning (controls, C1, line separators, runs of spaces, trimming),
 *   limits in characters (not bytes) and in bytes, invalid UTF-8, absent /
 *   null / "" / only whitespace (MISSING) against numbers, objects, arrays,
 *   booleans (INVALID);
 * - phones: separators, country code required, too long or short, letters,
 *   the caller's own number as the default (only when it is E.164);
 * - dates: ISO dates and date-times (their date), "today", "tomorrow" across
 *   month and year ends, weekday names (today included), any case;
 *   impossible dates, February 29, garbage, oversized strings;
 * - date-times and time zones: local wall-clock times (no offset: the org's
 *   zone applies, in SQL) and every offset shape, which all name the same
 *   instant; seconds and fractions; out-of-range fields; date only;
 * - arguments as Vapi sends them: an object, and a JSON string holding the
 *   object (parsed by vapi_message), read the same.
 * args_instant's local-time branch converts in the org's time zone with one
 * query; it is covered on PostgreSQL by the calendar tools' integration
 * tests (tests/integration/tool-router/tools/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "calendar/args.h"
#include "vapi_message.h"
#include "vx_buf.h"
#include "vx_time.h"

/* The arguments of the current test (one at a time). */
static cJSON *args;

/* A tool_ctx over the arguments object args_json (no database: pg is NULL). */
static tool_ctx ctx_of(const char *args_json, const char *caller)
{
    cJSON_Delete(args);
    args = cJSON_Parse(args_json);
    if (args == NULL)
        fail_msg("test arguments are not JSON: %s", args_json);
    tool_ctx ctx = {.request_id = "req-args",
                    .org_id = "00000000-0000-4000-8000-000000000001",
                    .tool_name = "test",
                    .tool_call_id = "t1",
                    .caller_number = caller,
                    .args = args};
    return ctx;
}

static int teardown(void **state)
{
    cJSON_Delete(args);
    args = NULL;
    return 0;
}

/* args_text of {"v": <value_json>}: the status and, on OK, the text. */
static args_status text_of(const char *value_json, size_t max, char **out)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "{\"v\":%s}", value_json);
    tool_ctx ctx = ctx_of(buf, NULL);
    return args_text(&ctx, "v", max, out);
}

static void expect_text(const char *value_json, size_t max, const char *want)
{
    char *out = NULL;
    args_status st = text_of(value_json, max, &out);
    if (st != ARGS_OK)
        fail_msg("%s: status %d, expected text \"%s\"", value_json, st, want);
    assert_string_equal(out, want);
    free(out);
}

static void expect_status(const char *value_json, size_t max, args_status want)
{
    char *out = (char *)"untouched";
    args_status st = text_of(value_json, max, &out);
    if (st != want)
        fail_msg("%s: status %d, expected %d", value_json, st, want);
    assert_null(out); /* only OK sets a string */
}

/* ------------------------------------------------------------ text */

static void test_clean_text(void **state)
{
    char *s = args_clean_text("  Mary \t Jane\n\r Smith  ", 200);
    assert_string_equal(s, "Mary Jane Smith");
    free(s);
    /* DEL, C1 controls (U+0085 NEL) and U+2028 / U+2029 are blanks too. */
    s = args_clean_text("A\x7f"
                        "B\xc2\x85"
                        "C\xe2\x80\xa8"
                        "D\xe2\x80\xa9"
                        "E",
                        200);
    assert_string_equal(s, "A B C D E");
    free(s);
    /* Other non-ASCII letters are kept, and count as one character each. */
    s = args_clean_text("Zo\xc3\xab M\xc3\xbcller", 10);
    assert_string_equal(s, "Zo\xc3\xab M\xc3\xbcller");
    free(s);
    assert_null(args_clean_text("Zo\xc3\xab M\xc3\xbcllers", 10)); /* 11 characters, 13 bytes */
    s = args_clean_text("\xc2\xa9 \xe4\xb8\xad \xe2\x80\xa6", 10); /* two- and three-byte characters that are not blanks */
    assert_string_equal(s, "\xc2\xa9 \xe4\xb8\xad \xe2\x80\xa6");
    free(s);
    s = args_clean_text("\xe2\x82\xac\xe2\x82\xac", 2); /* 6 bytes, 2 characters */
    assert_string_equal(s, "\xe2\x82\xac\xe2\x82\xac");
    free(s);
    assert_null(args_clean_text(NULL, 10));
    assert_null(args_clean_text("", 10));
    assert_null(args_clean_text(" \t\n ", 10));
    assert_null(args_clean_text("bad \xff byte", 100));
    assert_null(args_clean_text("cut \xc3", 100));     /* a sequence cut short */
    assert_null(args_clean_text("\xed\xa0\x80", 100)); /* a surrogate */
    assert_null(args_clean_text("abcdefghijk", 10));   /* 11 characters */
    s = args_clean_text("abc   def", 7);               /* spaces collapse before the count */
    assert_string_equal(s, "abc def");
    free(s);
    /* More bytes than max characters can take are refused before any copy. */
    vx_buf big = VX_BUF_INIT;
    for (int i = 0; i < 801; i++)
        vx_buf_putc(&big, ' ');
    vx_buf_puts(&big, "x");
    assert_null(args_clean_text(big.data, 200));
    vx_buf_free(&big);
}

static void test_text(void **state)
{
    expect_text("\"  Al   Bo \"", ARGS_TEXT_MAX, "Al Bo");
    expect_text("\"Consultation\"", ARGS_TEXT_MAX, "Consultation");
    /* Not said: absent, null, "" or only whitespace. */
    tool_ctx ctx = ctx_of("{}", NULL);
    char *out = NULL;
    assert_int_equal(args_text(&ctx, "v", 10, &out), ARGS_MISSING);
    assert_null(out);
    expect_status("null", 10, ARGS_MISSING);
    expect_status("\"\"", 10, ARGS_MISSING);
    expect_status("\" \\t\\n \"", 10, ARGS_MISSING);
    /* Said, but unusable. */
    expect_status("42", 10, ARGS_INVALID);
    expect_status("true", 10, ARGS_INVALID);
    expect_status("{\"first\":\"Al\"}", 10, ARGS_INVALID);
    expect_status("[\"Al\"]", 10, ARGS_INVALID);
    expect_status("\"abcdefghijk\"", 10, ARGS_INVALID);
    /* An escaped NUL ends the string as C sees it: what came before it is read. */
    expect_text("\"Al \\u0000 Bo\"", 10, "Al");
}

static void test_text_oversized_and_invalid_utf8(void **state)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"");
    for (int i = 0; i < 100000; i++)
        vx_buf_putc(&b, 'a');
    vx_buf_puts(&b, "\"");
    char wrapped[64];
    snprintf(wrapped, sizeof(wrapped), "{\"v\":");
    vx_buf all = VX_BUF_INIT;
    vx_buf_printf(&all, "%s%s}", wrapped, b.data);
    tool_ctx ctx = ctx_of(all.data, NULL);
    char *out = NULL;
    assert_int_equal(args_text(&ctx, "v", ARGS_TEXT_MAX, &out), ARGS_INVALID);
    assert_null(out);
    vx_buf_free(&b);
    vx_buf_free(&all);
    /* cJSON keeps raw bytes: invalid UTF-8 reaches the reader and is refused there. */
    ctx = ctx_of("{\"v\":\"Al \xc3\x28 Bo\"}", NULL);
    assert_int_equal(args_text(&ctx, "v", ARGS_TEXT_MAX, &out), ARGS_INVALID);
    assert_null(out);
}

/* ------------------------------------------------------------ phones */

static void test_e164(void **state)
{
    char out[ARGS_E164_SIZE];
    assert_true(args_e164("+1 (555) 123-4567", out));
    assert_string_equal(out, "+15551234567");
    assert_true(args_e164("+44.7911.123456", out));
    assert_string_equal(out, "+447911123456");
    assert_true(args_e164("+123456789012345", out)); /* 15 digits */
    assert_false(args_e164("+1234567890123456", out));
    assert_false(args_e164("555 123 4567", out)); /* no country code: never guessed */
    assert_false(args_e164("+0 555 123 4567", out));
    assert_false(args_e164("+1 555 CALL NOW", out));
    assert_false(args_e164("+12345", out)); /* too short */
    assert_false(args_e164("", out));
    assert_false(args_e164(NULL, out));
    assert_false(args_e164("+1 (555) 123-4567 extension 89 and then some more", out)); /* longer than anyone says a number */
}

static void test_phone(void **state)
{
    char out[ARGS_E164_SIZE];
    tool_ctx ctx = ctx_of("{\"phone\":\"+1 555 010 2000\"}", "+15559990000");
    assert_int_equal(args_phone(&ctx, "phone", out), ARGS_OK);
    assert_string_equal(out, "+15550102000"); /* what was said wins over the caller's number */
    ctx = ctx_of("{\"phone\":\"555-1234\"}", "+15559990000");
    assert_int_equal(args_phone(&ctx, "phone", out), ARGS_INVALID); /* said but wrong: asked again, not replaced */
    ctx = ctx_of("{\"phone\":15550102000}", "+15559990000");
    assert_int_equal(args_phone(&ctx, "phone", out), ARGS_INVALID);
    ctx = ctx_of("{\"phone\":{\"n\":1}}", NULL);
    assert_int_equal(args_phone(&ctx, "phone", out), ARGS_INVALID);
    /* Not said: the caller's own number, when it is E.164. */
    static const char *const missing[] = {"{}", "{\"phone\":null}", "{\"phone\":\"\"}"};
    for (size_t i = 0; i < 3; i++) {
        ctx = ctx_of(missing[i], "+15559990000");
        assert_int_equal(args_phone(&ctx, "phone", out), ARGS_OK);
        assert_string_equal(out, "+15559990000");
        ctx = ctx_of(missing[i], NULL);
        assert_int_equal(args_phone(&ctx, "phone", out), ARGS_MISSING);
        ctx = ctx_of(missing[i], "anonymous");
        assert_int_equal(args_phone(&ctx, "phone", out), ARGS_MISSING);
    }
}

/* ------------------------------------------------------------ dates */

static date_ymd ymd(int y, int m, int d)
{
    date_ymd v = {y, m, d};
    return v;
}

/* args_date of {"date": <value_json>} relative to today. */
static args_status date_of(const char *value_json, date_ymd today, date_ymd *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"date\":%s}", value_json);
    tool_ctx ctx = ctx_of(buf, NULL);
    return args_date(&ctx, "date", today, out);
}

static void expect_date(const char *value_json, date_ymd today, int y, int m, int d)
{
    date_ymd out = {0, 0, 0};
    args_status st = date_of(value_json, today, &out);
    if (st != ARGS_OK || out.year != y || out.month != m || out.day != d)
        fail_msg("%s: status %d, %04d-%02d-%02d; expected %04d-%02d-%02d", value_json, st, out.year, out.month, out.day, y, m, d);
}

static void test_dates(void **state)
{
    date_ymd tue = ymd(2026, 3, 10); /* a Tuesday */
    expect_date("\"2026-03-12\"", tue, 2026, 3, 12);
    expect_date("\"2026-03-12T15:00:00Z\"", tue, 2026, 3, 12); /* an ISO date-time: its date */
    expect_date("\"2026-03-12 09:30\"", tue, 2026, 3, 12);
    expect_date("\"today\"", tue, 2026, 3, 10);
    expect_date("\"TODAY\"", tue, 2026, 3, 10);
    expect_date("\"  tomorrow \"", tue, 2026, 3, 11); /* cleaned first */
    expect_date("\"Tomorrow\"", ymd(2026, 12, 31), 2027, 1, 1);
    expect_date("\"tomorrow\"", ymd(2028, 2, 28), 2028, 2, 29);
    expect_date("\"tomorrow\"", ymd(2026, 2, 28), 2026, 3, 1);
    /* Weekdays: the next such day, today included. */
    expect_date("\"tuesday\"", tue, 2026, 3, 10);
    expect_date("\"Wednesday\"", tue, 2026, 3, 11);
    expect_date("\"MONDAY\"", tue, 2026, 3, 16);
    expect_date("\"sunday\"", tue, 2026, 3, 15);
    expect_date("\"friday\"", ymd(2026, 12, 30), 2027, 1, 1);
    expect_date("\"2028-02-29\"", tue, 2028, 2, 29);

    date_ymd out;
    static const char *const invalid[] = {"\"2026-02-29\"",
                                          "\"2026-13-45\"",
                                          "\"2026-3-12\"",
                                          "\"12/03/2026\"",
                                          "\"next tuesday\"",
                                          "\"the first monday after easter\"",
                                          "\"1969-12-31\"",
                                          "\"tues\"",
                                          "\"2026-03-12junk\"",
                                          "20260312",
                                          "true",
                                          "{\"day\":12}",
                                          "[\"2026-03-12\"]",
                                          "\"\\u00e9t\\u00e9\""};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        if (date_of(invalid[i], tue, &out) != ARGS_INVALID)
            fail_msg("%s was taken for a date", invalid[i]);
    static const char *const missing[] = {"null", "\"\"", "\"   \""};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
        assert_int_equal(date_of(missing[i], tue, &out), ARGS_MISSING);
    tool_ctx ctx = ctx_of("{}", NULL);
    assert_int_equal(args_date(&ctx, "date", tue, &out), ARGS_MISSING);
    /* Longer than any date (64 characters): refused before it is read. */
    char big[200];
    snprintf(big, sizeof(big), "\"2026-03-12%070d\"", 0);
    assert_int_equal(date_of(big, tue, &out), ARGS_INVALID);
}

/* ------------------------------------------------------------ date-times and time zones */

static args_status date_time_of(const char *value_json, date_time *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"start\":%s}", value_json);
    tool_ctx ctx = ctx_of(buf, NULL);
    return args_date_time(&ctx, "start", out);
}

static void test_local_date_times(void **state)
{
    date_time dt;
    char local[20];
    /* No offset: a wall-clock time of the org, converted in its zone later (in SQL). */
    assert_int_equal(date_time_of("\"2026-03-10T14:30\"", &dt), ARGS_OK);
    assert_false(dt.has_offset);
    date_time_local(&dt, local);
    assert_string_equal(local, "2026-03-10 14:30:00");
    assert_int_equal(date_time_of("\" 2026-03-10 09:05:07.125 \"", &dt), ARGS_OK);
    assert_false(dt.has_offset);
    date_time_local(&dt, local);
    assert_string_equal(local, "2026-03-10 09:05:07");
    /* A spring-forward gap or a repeated fall hour is still just a wall-clock time here. */
    assert_int_equal(date_time_of("\"2026-03-08T02:30\"", &dt), ARGS_OK);
    assert_false(dt.has_offset);
}

static void test_offsets_name_one_instant(void **state)
{
    int64_t want;
    assert_true(vx_time_parse_iso("2026-03-10T19:30:00Z", &want));
    static const char *const same[] = {"\"2026-03-10T14:30:00-05:00\"", "\"2026-03-10T14:30-0500\"",
                                       "\"2026-03-10T14:30-05\"",       "\"2026-03-10T19:30Z\"",
                                       "\"2026-03-10t19:30:00z\"",      "\"2026-03-11T01:00:00.000+05:30\"",
                                       "\"2026-03-10T20:30+01:00\"",    "\"2026-03-10 19:30:00.999+00:00\""};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        date_time dt;
        assert_int_equal(date_time_of(same[i], &dt), ARGS_OK);
        assert_true(dt.has_offset);
        assert_int_equal(date_time_instant(&dt), want);
        /* args_instant needs no database for these (ctx->pg is NULL here). */
        char buf[200];
        snprintf(buf, sizeof(buf), "{\"start\":%s}", same[i]);
        tool_ctx ctx = ctx_of(buf, NULL);
        int64_t got = 0;
        args_status st;
        assert_int_equal(args_instant(&ctx, "start", "America/New_York", &got, &st), 0);
        assert_int_equal(st, ARGS_OK);
        assert_int_equal(got, want);
    }
}

static void test_bad_date_times(void **state)
{
    date_time dt;
    static const char *const invalid[] = {"\"2026-03-10T24:00\"",
                                          "\"2026-03-10T14:60\"",
                                          "\"2026-03-10T14:30:61\"",
                                          "\"2026-03-10T14:3\"",
                                          "\"2026-03-10T14:30Zjunk\"",
                                          "\"2026-03-10T14:30+25:00\"",
                                          "\"2026-03-10T14:30+05:60\"",
                                          "\"2026-02-30T10:00\"",
                                          "\"2026-03-10\"",
                                          "\"14:30\"",
                                          "\"next tuesday at 3\"",
                                          "\"2026-03-10T14:30:00.\"",
                                          "1790000000000",
                                          "{\"iso\":\"2026-03-10T14:30\"}",
                                          "[]",
                                          "false"};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        if (date_time_of(invalid[i], &dt) != ARGS_INVALID)
            fail_msg("%s was taken for a date-time", invalid[i]);
    assert_int_equal(date_time_of("null", &dt), ARGS_MISSING);
    assert_int_equal(date_time_of("\"\"", &dt), ARGS_MISSING);
    /* args_instant passes both on without touching the database. */
    int64_t at = 42;
    args_status st;
    tool_ctx ctx = ctx_of("{\"start\":\"soon\"}", NULL);
    assert_int_equal(args_instant(&ctx, "start", "Europe/London", &at, &st), 0);
    assert_int_equal(st, ARGS_INVALID);
    ctx = ctx_of("{}", NULL);
    assert_int_equal(args_instant(&ctx, "start", "Europe/London", &at, &st), 0);
    assert_int_equal(st, ARGS_MISSING);
    assert_int_equal(at, 42);
}

/* ------------------------------------------------------------ as Vapi sends them */

/* The arguments object vapi_message makes of a tool call whose function.arguments is arguments_json. */
static void read_as_vapi_sends(const char *arguments_json, vapi_message *m)
{
    vx_buf body = VX_BUF_INIT;
    vx_buf_printf(&body,
                  "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":\"c1\",\"type\":\"function\","
                  "\"function\":{\"name\":\"bookClinicAppointment\",\"arguments\":%s}}]}}",
                  arguments_json);
    assert_int_equal(vapi_message_parse(body.data, body.len, NULL, m), VAPI_PARSE_OK);
    assert_int_equal(m->ncalls, 1);
    assert_int_equal(m->calls[0].problem, VAPI_CALL_OK);
    vx_buf_free(&body);
}

static void test_arguments_as_object_and_as_string(void **state)
{
    static const char *const shapes[] = {
        "{\"name\":\" Mary  Smith \",\"phone\":\"+1 (555) 010-2000\",\"date\":\"tomorrow\",\"start\":\"2026-03-11T10:00-05:00\"}",
        "\"{\\\"name\\\":\\\" Mary  Smith \\\",\\\"phone\\\":\\\"+1 (555) 010-2000\\\",\\\"date\\\":\\\"tomorrow\\\","
        "\\\"start\\\":\\\"2026-03-11T10:00-05:00\\\"}\"",
    };
    for (size_t i = 0; i < 2; i++) {
        vapi_message m;
        read_as_vapi_sends(shapes[i], &m);
        tool_ctx ctx = {.request_id = "r", .org_id = "o", .tool_call_id = m.calls[0].id, .args = m.calls[0].args};
        char *name = NULL, phone[ARGS_E164_SIZE];
        assert_int_equal(args_text(&ctx, "name", ARGS_TEXT_MAX, &name), ARGS_OK);
        assert_string_equal(name, "Mary Smith");
        free(name);
        assert_int_equal(args_phone(&ctx, "phone", phone), ARGS_OK);
        assert_string_equal(phone, "+15550102000");
        date_ymd day;
        assert_int_equal(args_date(&ctx, "date", ymd(2026, 3, 10), &day), ARGS_OK);
        assert_int_equal(day.day, 11);
        int64_t at = 0, want = 0;
        args_status st;
        assert_true(vx_time_parse_iso("2026-03-11T15:00:00Z", &want));
        assert_int_equal(args_instant(&ctx, "start", "America/New_York", &at, &st), 0);
        assert_int_equal(st, ARGS_OK);
        assert_int_equal(at, want);
        vapi_message_free(&m);
    }
    /* No arguments at all, or "" (both as Vapi sends them): every reader says MISSING. */
    static const char *const none[] = {"null", "\"\"", "{}"};
    for (size_t i = 0; i < 3; i++) {
        vapi_message m;
        read_as_vapi_sends(none[i], &m);
        tool_ctx ctx = {.request_id = "r", .org_id = "o", .tool_call_id = "c1", .args = m.calls[0].args};
        char *name = NULL, phone[ARGS_E164_SIZE];
        date_time dt;
        assert_int_equal(args_text(&ctx, "name", ARGS_TEXT_MAX, &name), ARGS_MISSING);
        assert_int_equal(args_phone(&ctx, "phone", phone), ARGS_MISSING);
        assert_int_equal(args_date_time(&ctx, "start", &dt), ARGS_MISSING);
        vapi_message_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_clean_text, teardown),
        cmocka_unit_test_teardown(test_text, teardown),
        cmocka_unit_test_teardown(test_text_oversized_and_invalid_utf8, teardown),
        cmocka_unit_test_teardown(test_e164, teardown),
        cmocka_unit_test_teardown(test_phone, teardown),
        cmocka_unit_test_teardown(test_dates, teardown),
        cmocka_unit_test_teardown(test_local_date_times, teardown),
        cmocka_unit_test_teardown(test_offsets_name_one_instant, teardown),
        cmocka_unit_test_teardown(test_bad_date_times, teardown),
        cmocka_unit_test_teardown(test_arguments_as_object_and_as_string, teardown),
    };
    return cmocka_run_group_tests_name("calendar/args", tests, NULL, NULL);
}
