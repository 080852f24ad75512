/*
 * Unit tests of services/dashboard-api/appointment_fields.c: the bodies of
 * the appointments routes (create, update, reschedule, cancel) — what each
 * route takes, how values are read (UUIDs lower-cased, times to instants,
 * notes trimmed), what is refused and with which code — and the audit
 * details' field names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "appointment_fields.h"

#define CONTACT "0a1b2c3d-0000-4000-8000-00000000000a"
#define SERVICE "0a1b2c3d-0000-4000-8000-00000000000b"
/* 2027-03-10T14:30:00Z */
#define AT_MS 1804689000000LL

/* Parses s for mode; fails the test unless it is accepted. The caller frees *f. */
static void accept(const char *s, appointment_fields_mode mode, appointment_fields *f)
{
    appointment_fields_error err = {0};
    if (appointment_fields_parse(s, s != NULL ? strlen(s) : 0, mode, f, &err) != 0)
        fail_msg("refused %s: %s %s", s, err.code, err.message);
}

/* Fails the test unless body (len bytes) is refused for mode with code. */
static void refuse_n(const char *body, size_t len, appointment_fields_mode mode, const char *code)
{
    appointment_fields f;
    appointment_fields_error err = {0};
    int rc = appointment_fields_parse(body, len, mode, &f, &err);
    appointment_fields_free(&f);
    if (rc == 0)
        fail_msg("accepted %.*s", (int)(len > 200 ? 200 : len), body != NULL ? body : "");
    if (strcmp(err.code, code) != 0)
        fail_msg("%.*s: expected %s, got %s (%s)", (int)(len > 200 ? 200 : len), body, code, err.code, err.message);
    assert_true(err.message[0] != '\0');
}

static void refuse(const char *body, appointment_fields_mode mode, const char *code)
{
    refuse_n(body, strlen(body), mode, code);
}

static void test_create_reads_every_field(void **state)
{
    appointment_fields f;
    accept("{\"contact_id\":\"0A1B2C3D-0000-4000-8000-00000000000A\",\"service_id\":\"" SERVICE "\","
           "\"scheduled_time\":\"2027-03-10T09:30:00-05:00\",\"duration_minutes\":45,\"notes\":\"  first visit\\nbring forms \"}",
           APPOINTMENT_FIELDS_CREATE, &f);
    assert_string_equal(f.contact_id, CONTACT);
    assert_string_equal(f.service_id, SERVICE);
    assert_int_equal(f.start_ms, AT_MS);
    assert_int_equal(f.duration_minutes, 45);
    assert_string_equal(f.notes, "first visit\nbring forms");
    assert_int_equal(f.given, APPOINTMENT_FIELD_CONTACT_ID | APPOINTMENT_FIELD_SERVICE_ID | APPOINTMENT_FIELD_SCHEDULED_TIME |
                                  APPOINTMENT_FIELD_DURATION | APPOINTMENT_FIELD_NOTES);
    appointment_fields_free(&f);

    /* Only what is required: no service, no duration (the handler's defaults), no notes. */
    accept("{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00.000Z\",\"service_id\":null,\"notes\":\"  \"}",
           APPOINTMENT_FIELDS_CREATE, &f);
    assert_string_equal(f.service_id, "");
    assert_int_equal(f.duration_minutes, 0);
    assert_null(f.notes);
    assert_int_equal(f.start_ms, AT_MS);
    appointment_fields_free(&f);
}

static void test_create_refusals(void **state)
{
    static const struct {
        const char *body, *code;
    } cases[] = {
        {"{\"scheduled_time\":\"2027-03-10T14:30:00Z\"}", "missing_field"},
        {"{\"contact_id\":\"" CONTACT "\"}", "missing_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_at\":\"2027-03-10T14:30:00Z\"}", "unknown_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"status\":\"booked\"}", "unknown_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"contact_id\":\"" CONTACT "\"}", "duplicate_field"},
        {"{\"contact_id\":42,\"scheduled_time\":\"2027-03-10T14:30:00Z\"}", "invalid_field"},
        {"{\"contact_id\":\"not-a-uuid\",\"scheduled_time\":\"2027-03-10T14:30:00Z\"}", "invalid_field"},
        {"{\"contact_id\":null,\"scheduled_time\":\"2027-03-10T14:30:00Z\"}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"service_id\":\"' OR 1=1 --\",\"scheduled_time\":\"2027-03-10T14:30:00Z\"}",
         "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10 14:30\"}", "invalid_field"}, /* no seconds, no offset */
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00\"}", "invalid_field"},  /* no offset */
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-02-30T14:30:00Z\"}", "invalid_field"}, /* no such day */
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:15Z\"}", "invalid_field"}, /* not a whole minute */
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"1969-12-31T23:00:00Z\"}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"9999-06-01T00:00:00Z\"}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":1804689000000}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"duration_minutes\":4}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"duration_minutes\":481}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"duration_minutes\":30.5}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"duration_minutes\":\"30\"}",
         "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"duration_minutes\":1e400}",
         "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"notes\":7}", "invalid_field"},
        {"{\"contact_id\":\"" CONTACT "\",\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"notes\":\"a\\u0007b\"}", "invalid_field"},
        {"[]", "invalid_json"},
        {"{\"contact_id\":", "invalid_json"},
        {"{} {}", "invalid_json"},
        {"{\"notes\":\"a\\u0000b\"}", "invalid_json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        refuse(cases[i].body, APPOINTMENT_FIELDS_CREATE, cases[i].code);
    refuse_n(NULL, 0, APPOINTMENT_FIELDS_CREATE, "invalid_json");
    static const char raw_nul[] = "{\"contact_id\":\"" CONTACT "\0\"}";
    refuse_n(raw_nul, sizeof(raw_nul) - 1, APPOINTMENT_FIELDS_CREATE, "invalid_json");
}

/* {"notes":"<unit × n>"}, malloc'd. */
static char *notes_of(size_t n, const char *unit)
{
    size_t ulen = strlen(unit);
    char *s = malloc(n * ulen + 16);
    assert_non_null(s);
    char *p = s + sprintf(s, "{\"notes\":\"");
    for (size_t i = 0; i < n; i++, p += ulen)
        memcpy(p, unit, ulen);
    strcpy(p, "\"}");
    return s;
}

static void test_notes_count_characters_not_bytes(void **state)
{
    appointment_fields f;
    char *ok = notes_of(APPOINTMENT_FIELDS_NOTES_MAX, "\xc3\xa9"); /* 2000 × é: 4000 bytes */
    accept(ok, APPOINTMENT_FIELDS_UPDATE, &f);
    assert_int_equal(strlen(f.notes), 2 * APPOINTMENT_FIELDS_NOTES_MAX);
    appointment_fields_free(&f);
    char *long_ = notes_of(APPOINTMENT_FIELDS_NOTES_MAX + 1, "a");
    refuse(long_, APPOINTMENT_FIELDS_UPDATE, "invalid_field");
    char *bad = notes_of(1, "\xc3");
    refuse(bad, APPOINTMENT_FIELDS_UPDATE, "invalid_field"); /* cJSON passes broken UTF-8 through: checked here */
    free(ok);
    free(long_);
    free(bad);
}

static void test_update_takes_notes_service_and_status(void **state)
{
    appointment_fields f;
    accept("{\"notes\":null}", APPOINTMENT_FIELDS_UPDATE, &f);
    assert_int_equal(f.given, APPOINTMENT_FIELD_NOTES);
    assert_null(f.notes);
    appointment_fields_free(&f);

    accept("{\"status\":\"no_show\",\"service_id\":\"" SERVICE "\",\"notes\":\"late\"}", APPOINTMENT_FIELDS_UPDATE, &f);
    assert_string_equal(f.status, "no_show");
    assert_string_equal(f.service_id, SERVICE);
    assert_string_equal(f.notes, "late");
    char names[128];
    appointment_fields_names_json(&f, names);
    assert_string_equal(names, "{\"fields\":[\"service_id\",\"notes\",\"status\"]}");
    appointment_fields_free(&f);

    static const char *const booked[] = {"booked", "completed", "no_show"};
    for (size_t i = 0; i < 3; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"status\":\"%s\"}", booked[i]);
        accept(body, APPOINTMENT_FIELDS_UPDATE, &f);
        assert_string_equal(f.status, booked[i]);
        appointment_fields_free(&f);
    }

    refuse("{}", APPOINTMENT_FIELDS_UPDATE, "empty_update");
    refuse("{\"status\":\"cancelled\"}", APPOINTMENT_FIELDS_UPDATE, "invalid_field");
    refuse("{\"status\":\"Booked\"}", APPOINTMENT_FIELDS_UPDATE, "invalid_field");
    refuse("{\"status\":null}", APPOINTMENT_FIELDS_UPDATE, "invalid_field");
    refuse("{\"service_id\":null}", APPOINTMENT_FIELDS_UPDATE, "invalid_field");
    refuse("{\"scheduled_time\":\"2027-03-10T14:30:00Z\"}", APPOINTMENT_FIELDS_UPDATE, "unknown_field");
    refuse("{\"contact_id\":\"" CONTACT "\"}", APPOINTMENT_FIELDS_UPDATE, "unknown_field");
    refuse("{\"org_id\":\"" CONTACT "\"}", APPOINTMENT_FIELDS_UPDATE, "unknown_field");
    refuse_n("", 0, APPOINTMENT_FIELDS_UPDATE, "invalid_json");
}

static void test_reschedule_takes_a_time_and_a_length(void **state)
{
    appointment_fields f;
    accept("{\"scheduled_time\":\"2027-03-10T15:30:00+01:00\"}", APPOINTMENT_FIELDS_RESCHEDULE, &f);
    assert_int_equal(f.start_ms, AT_MS);
    assert_int_equal(f.duration_minutes, 0);
    appointment_fields_free(&f);
    accept("{\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"duration_minutes\":480}", APPOINTMENT_FIELDS_RESCHEDULE, &f);
    assert_int_equal(f.duration_minutes, 480);
    appointment_fields_free(&f);

    refuse("{}", APPOINTMENT_FIELDS_RESCHEDULE, "missing_field");
    refuse("{\"duration_minutes\":30}", APPOINTMENT_FIELDS_RESCHEDULE, "missing_field");
    refuse("{\"scheduled_time\":\"2027-03-10T14:30:00Z\",\"notes\":\"x\"}", APPOINTMENT_FIELDS_RESCHEDULE, "unknown_field");
    refuse("{\"scheduled_time\":\"tomorrow\"}", APPOINTMENT_FIELDS_RESCHEDULE, "invalid_field");
    refuse("{\"scheduled_time\":null}", APPOINTMENT_FIELDS_RESCHEDULE, "invalid_field");
}

static void test_cancel_takes_nothing(void **state)
{
    appointment_fields f;
    accept(NULL, APPOINTMENT_FIELDS_CANCEL, &f);
    assert_int_equal(f.given, 0);
    appointment_fields_free(&f);
    accept(" { } ", APPOINTMENT_FIELDS_CANCEL, &f);
    appointment_fields_free(&f);
    refuse("{\"reason\":\"sick\"}", APPOINTMENT_FIELDS_CANCEL, "unknown_field");
    refuse("{\"notes\":\"sick\"}", APPOINTMENT_FIELDS_CANCEL, "unknown_field");
    refuse("null", APPOINTMENT_FIELDS_CANCEL, "invalid_json");
}

static void test_unknown_keys_are_named_printably(void **state)
{
    appointment_fields f;
    appointment_fields_error err = {0};
    static const char body[] = "{\"sch\\u0001eduled\":1}";
    assert_int_equal(appointment_fields_parse(body, strlen(body), APPOINTMENT_FIELDS_CREATE, &f, &err), -1);
    assert_string_equal(err.code, "unknown_field");
    assert_non_null(strstr(err.message, "sch?eduled"));
    appointment_fields_free(&f);
}

static void test_statuses(void **state)
{
    assert_true(appointment_fields_status_valid("booked"));
    assert_true(appointment_fields_status_valid("cancelled"));
    assert_true(appointment_fields_status_valid("completed"));
    assert_true(appointment_fields_status_valid("no_show"));
    assert_false(appointment_fields_status_valid("noshow"));
    assert_false(appointment_fields_status_valid(""));
    assert_false(appointment_fields_status_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_reads_every_field),
        cmocka_unit_test(test_create_refusals),
        cmocka_unit_test(test_notes_count_characters_not_bytes),
        cmocka_unit_test(test_update_takes_notes_service_and_status),
        cmocka_unit_test(test_reschedule_takes_a_time_and_a_length),
        cmocka_unit_test(test_cancel_takes_nothing),
        cmocka_unit_test(test_unknown_keys_are_named_printably),
        cmocka_unit_test(test_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
