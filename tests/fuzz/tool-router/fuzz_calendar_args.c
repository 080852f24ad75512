/*
 * libFuzzer harness for tool-router's calendar argument readers
 * (services/tool-router/calendar/args.c). The input is used three ways: as
 * the arguments object itself (when it is JSON), as the string value of
 * every argument the calendar tools read, and as the arguments string Vapi
 * sends in function.arguments, parsed by vapi_message as in production.
 * Whatever comes in, the readers must return without reading out of bounds
 * (ASan), and every value they accept must be what their contract promises;
 * any broken invariant aborts:
 * - text: non-empty, valid UTF-8, one line (no C0/C1 controls, DEL, U+2028,
 *   U+2029), no leading, trailing or doubled spaces, at most max characters,
 *   and cleaning it again changes nothing; MISSING and INVALID leave no
 *   string;
 * - phones: E.164 ("+", 7-15 digits, no leading 0);
 * - dates: a real calendar date from 1970 on, which prints and parses back
 *   to itself; "tomorrow" and weekdays within a week of today;
 * - date-times: every field in range, an offset within ±23:59, and the
 *   instant args_instant gives is the one the date-time names (only inputs
 *   that need no database are converted: those with an offset).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/args.h"
#include "vapi_message.h"
#include "vx_utf8.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const NAMES[] = {"name",  "service",  "email",        "phone",        "date",
                                    "start", "newStart", "currentStart", "appointmentId"};
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

static void check(int ok)
{
    if (!ok)
        abort();
}

/* A cleaned text as args_clean_text promises it. */
static void check_clean(const char *s, size_t max_chars)
{
    size_t len = strlen(s), chars = 0;
    check(len > 0 && s[0] != ' ' && s[len - 1] != ' ' && strstr(s, "  ") == NULL);
    for (size_t i = 0; i < len;) {
        const unsigned char *p = (const unsigned char *)s + i;
        size_t n = vx_utf8_seq_len(p, len - i);
        check(n > 0);
        check(!(n == 1 && (*p < 0x20 || *p == 0x7f)));
        check(!(n == 2 && p[0] == 0xC2 && p[1] < 0xA0));
        check(!(n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)));
        chars++;
        i += n;
    }
    check(chars <= max_chars);
    char *again = args_clean_text(s, max_chars);
    check(again != NULL && strcmp(again, s) == 0);
    free(again);
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static void check_date(date_ymd d)
{
    check(d.year >= 1970 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
          d.day <= days_in_month(d.year, d.month));
    char iso[11];
    date_iso(d, iso);
    date_ymd back;
    check(date_parse(iso, &back) && back.year == d.year && back.month == d.month && back.day == d.day);
    check(date_from_days(date_days(d)).day == d.day);
}

static void check_readers(const cJSON *args, const char *caller)
{
    tool_ctx ctx = {.request_id = "fuzz",
                    .org_id = "00000000-0000-4000-8000-000000000001",
                    .tool_name = "fuzz",
                    .tool_call_id = "f1",
                    .caller_number = caller,
                    .args = args};
    static const size_t maxima[] = {1, 64, ARGS_TEXT_MAX};
    for (size_t i = 0; i < NNAMES; i++) {
        for (size_t k = 0; k < sizeof(maxima) / sizeof(maxima[0]); k++) {
            char *out = (char *)"unset";
            args_status st = args_text(&ctx, NAMES[i], maxima[k], &out);
            check(st == ARGS_OK || st == ARGS_MISSING || st == ARGS_INVALID);
            if (st == ARGS_OK)
                check_clean(out, maxima[k]);
            else
                check(out == NULL);
            free(st == ARGS_OK ? out : NULL);
        }
        char phone[ARGS_E164_SIZE];
        if (args_phone(&ctx, NAMES[i], phone) == ARGS_OK)
            check(vx_is_e164(phone) && strlen(phone) < ARGS_E164_SIZE);

        /* Words ("today", "tomorrow", weekdays) are the only dates not starting with a digit. */
        char *said = NULL;
        bool word = args_text(&ctx, NAMES[i], 64, &said) == ARGS_OK && (said[0] < '0' || said[0] > '9');
        free(said);
        static const date_ymd todays[] = {{2026, 3, 10}, {2026, 12, 31}, {2028, 2, 28}};
        for (size_t t = 0; t < sizeof(todays) / sizeof(todays[0]); t++) {
            date_ymd day;
            if (args_date(&ctx, NAMES[i], todays[t], &day) != ARGS_OK)
                continue;
            check_date(day);
            int64_t ahead = date_days(day) - date_days(todays[t]);
            check(!word || (ahead >= 0 && ahead <= 6));
        }

        date_time dt;
        args_status st = args_date_time(&ctx, NAMES[i], &dt);
        if (st == ARGS_OK) {
            check_date(dt.date);
            check(dt.hour >= 0 && dt.hour <= 23 && dt.minute >= 0 && dt.minute <= 59 && dt.second >= 0 && dt.second <= 59);
            check(!dt.has_offset || (dt.offset_minutes >= -(23 * 60 + 59) && dt.offset_minutes <= 23 * 60 + 59));
            char local[20];
            date_time_local(&dt, local);
            check(strlen(local) == 19);
        }
        if (st != ARGS_OK || dt.has_offset) { /* the conversions that need no database */
            int64_t at = 0;
            args_status ist;
            check(args_instant(&ctx, NAMES[i], "America/New_York", &at, &ist) == 0);
            check(ist == st);
            if (st == ARGS_OK)
                check(at == date_time_instant(&dt));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* 1. The input as the arguments object. */
    cJSON *obj = cJSON_ParseWithLength(text, size);
    if (cJSON_IsObject(obj)) {
        check_readers(obj, NULL);
        check_readers(obj, "+15559990000");
    }
    cJSON_Delete(obj);

    /* 2. The input as the value of every argument (up to a NUL, as C strings end). */
    cJSON *strings = cJSON_CreateObject();
    for (size_t i = 0; i < NNAMES; i++)
        cJSON_AddStringToObject(strings, NAMES[i], text);
    check_readers(strings, NULL);

    /* 3. The input as Vapi's arguments string, through the production parser. */
    cJSON *root = cJSON_CreateObject(), *msg = cJSON_AddObjectToObject(root, "message");
    cJSON_AddStringToObject(msg, "type", "tool-calls");
    cJSON *call = cJSON_CreateObject(), *fn = cJSON_AddObjectToObject(call, "function");
    cJSON_AddStringToObject(call, "id", "f1");
    cJSON_AddStringToObject(fn, "name", "bookClinicAppointment");
    cJSON_AddStringToObject(fn, "arguments", text);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(msg, "toolCallList"), call);
    char *body = cJSON_PrintUnformatted(root);
    vapi_message m;
    if (body != NULL && vapi_message_parse(body, strlen(body), NULL, &m) == VAPI_PARSE_OK) {
        check(m.ncalls == 1 && m.calls[0].args != NULL);
        if (m.calls[0].problem == VAPI_CALL_OK)
            check_readers(m.calls[0].args, "+15559990000");
        vapi_message_free(&m);
    }
    cJSON_free(body);
    cJSON_Delete(root);

    /* 4. The raw readers. */
    char phone[ARGS_E164_SIZE];
    if (args_e164(text, phone))
        check(vx_is_e164(phone));
    char *clean = args_clean_text(text, ARGS_TEXT_MAX);
    if (clean != NULL)
        check_clean(clean, ARGS_TEXT_MAX);
    free(clean);

    cJSON_Delete(strings);
    free(text);
    return 0;
}
