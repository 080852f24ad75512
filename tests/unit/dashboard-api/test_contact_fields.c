/*
 * Unit tests of services/dashboard-api/contact_fields.c: a contact body's
 * fields (create and update), what is refused and with which code, the
 * update's JSON parameter, and the search patterns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "contact_fields.h"

/* Parses s; fails the test unless it is accepted. The caller frees *f. */
static void accept(const char *s, contact_fields_mode mode, contact_fields *f)
{
    contact_fields_error err = {0};
    if (contact_fields_parse(s, strlen(s), mode, f, &err) != 0)
        fail_msg("refused %s: %s %s", s, err.code, err.message);
}

/* Fails the test unless body (len bytes) is refused with code. */
static void refuse_n(const char *body, size_t len, contact_fields_mode mode, const char *code)
{
    contact_fields f;
    contact_fields_error err = {0};
    int rc = contact_fields_parse(body, len, mode, &f, &err);
    contact_fields_free(&f);
    if (rc == 0)
        fail_msg("accepted %.*s", (int)(len > 200 ? 200 : len), body);
    if (strcmp(err.code, code) != 0)
        fail_msg("%.*s: expected %s, got %s (%s)", (int)(len > 200 ? 200 : len), body, code, err.code, err.message);
    assert_true(err.message[0] != '\0');
}

static void refuse(const char *body, contact_fields_mode mode, const char *code)
{
    refuse_n(body, strlen(body), mode, code);
}

/* {"<key>":"<c repeated n times>"}, malloc'd. */
static char *long_field(const char *key, size_t n, const char *unit)
{
    size_t ulen = strlen(unit);
    char *s = malloc(strlen(key) + n * ulen + 16);
    assert_non_null(s);
    char *p = s + sprintf(s, "{\"%s\":\"", key);
    for (size_t i = 0; i < n; i++, p += ulen)
        memcpy(p, unit, ulen);
    strcpy(p, "\"}");
    return s;
}

static void test_create_reads_and_normalises_every_field(void **state)
{
    contact_fields f;
    accept("{\"first_name\":\"  Ann \",\"last_name\":\"Lee\",\"phone\":\"+1 (555) 123-4567\","
           "\"email\":\" ann@example.com \",\"notes\":\"line 1\\nline 2\",\"lead_status\":\"qualified\"}",
           CONTACT_FIELDS_CREATE, &f);
    assert_string_equal(f.value[CONTACT_FIELD_FIRST_NAME], "Ann");
    assert_string_equal(f.value[CONTACT_FIELD_LAST_NAME], "Lee");
    assert_string_equal(f.value[CONTACT_FIELD_PHONE], "+15551234567");
    assert_string_equal(f.value[CONTACT_FIELD_EMAIL], "ann@example.com");
    assert_string_equal(f.value[CONTACT_FIELD_NOTES], "line 1\nline 2");
    assert_string_equal(f.value[CONTACT_FIELD_LEAD_STATUS], "qualified");
    for (int i = 0; i < CONTACT_FIELD_COUNT; i++)
        assert_true(f.given[i]);
    contact_fields_free(&f);
}

static void test_create_needs_only_a_phone(void **state)
{
    contact_fields f;
    accept("{\"phone_number\":\"+447700900123\"}", CONTACT_FIELDS_CREATE, &f);
    assert_string_equal(f.value[CONTACT_FIELD_PHONE], "+447700900123");
    assert_null(f.value[CONTACT_FIELD_FIRST_NAME]);
    assert_false(f.given[CONTACT_FIELD_FIRST_NAME]);
    contact_fields_free(&f);
    /* Empty and null optional fields are no value; whitespace around JSON is fine. */
    accept(" {\"phone\":\"+447700900123\",\"email\":\"\",\"notes\":null,\"first_name\":\"   \",\"lead_status\":\"\"}\n",
           CONTACT_FIELDS_CREATE, &f);
    assert_null(f.value[CONTACT_FIELD_EMAIL]);
    assert_null(f.value[CONTACT_FIELD_NOTES]);
    assert_null(f.value[CONTACT_FIELD_FIRST_NAME]);
    assert_null(f.value[CONTACT_FIELD_LEAD_STATUS]);
    contact_fields_free(&f);
}

static void test_create_refuses_a_missing_phone(void **state)
{
    refuse("{}", CONTACT_FIELDS_CREATE, "missing_field");
    refuse("{\"first_name\":\"Ann\"}", CONTACT_FIELDS_CREATE, "missing_field");
    refuse("{\"phone\":null}", CONTACT_FIELDS_CREATE, "missing_field");
    refuse("{\"phone\":\"  \"}", CONTACT_FIELDS_CREATE, "missing_field");
}

static void test_not_an_object_is_invalid_json(void **state)
{
    static const char *const bodies[] = {
        "",
        "[]",
        "\"text\"",
        "42",
        "null",
        "true",
        "{",
        "{\"phone\":\"+15551234567\"",    /* unfinished */
        "{\"phone\":\"+15551234567\"} x", /* trailing garbage */
        "{\"phone\":\"+15551234567\"}{}",
        "{\"phone\":\"a\\u0000b\"}", /* an escaped NUL would cut the string short */
        "{\"phone\\u0000x\":\"+15551234567\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        refuse(bodies[i], CONTACT_FIELDS_CREATE, "invalid_json");
        refuse(bodies[i], CONTACT_FIELDS_UPDATE, "invalid_json");
    }
    static const char raw_nul[] = "{\"first_name\":\"A\0B\"}";
    refuse_n(raw_nul, sizeof(raw_nul) - 1, CONTACT_FIELDS_UPDATE, "invalid_json");
    refuse_n(NULL, 0, CONTACT_FIELDS_UPDATE, "invalid_json");
    /* An escaped backslash before "u0000" is text, not a NUL. */
    contact_fields f;
    accept("{\"notes\":\"C:\\\\u0000\"}", CONTACT_FIELDS_UPDATE, &f);
    assert_string_equal(f.value[CONTACT_FIELD_NOTES], "C:\\u0000");
    contact_fields_free(&f);
}

static void test_unknown_and_duplicate_fields(void **state)
{
    refuse("{\"phone\":\"+15551234567\",\"fist_name\":\"Ann\"}", CONTACT_FIELDS_CREATE, "unknown_field");
    refuse("{\"lead_tier\":\"hot\"}", CONTACT_FIELDS_UPDATE, "unknown_field");
    refuse("{\"lead_score\":90}", CONTACT_FIELDS_UPDATE, "unknown_field");
    refuse("{\"org_id\":\"00000000-0000-4000-8000-000000000000\"}", CONTACT_FIELDS_UPDATE, "unknown_field");
    refuse("{\"first_name\":\"A\",\"first_name\":\"B\"}", CONTACT_FIELDS_UPDATE, "duplicate_field");
    refuse("{\"phone\":\"+15551234567\",\"phone_number\":\"+15551234567\"}", CONTACT_FIELDS_CREATE, "duplicate_field");

    /* The answer names the field, as printable text of bounded length. */
    contact_fields f;
    contact_fields_error err = {0};
    const char *body = "{\"fist_name\":\"Ann\"}";
    assert_int_equal(contact_fields_parse(body, strlen(body), CONTACT_FIELDS_UPDATE, &f, &err), -1);
    assert_non_null(strstr(err.message, "\"fist_name\""));
    contact_fields_free(&f);
    char *huge = malloc(3100);
    assert_non_null(huge);
    strcpy(huge, "{\"");
    memset(huge + 2, 'k', 3000);
    strcpy(huge + 3002, "\x01\":1}");
    assert_int_equal(contact_fields_parse(huge, strlen(huge), CONTACT_FIELDS_UPDATE, &f, &err), -1);
    assert_string_equal(err.code, "unknown_field");
    assert_true(strlen(err.message) < sizeof(err.message));
    assert_null(strchr(err.message, '\x01'));
    contact_fields_free(&f);
    free(huge);
}

static void test_wrong_types_are_refused(void **state)
{
    static const char *const bodies[] = {
        "{\"first_name\":1}",       "{\"last_name\":true}",      "{\"phone\":15551234567}",
        "{\"email\":[\"a@b.co\"]}", "{\"notes\":{\"x\":\"y\"}}", "{\"lead_status\":0}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        refuse(bodies[i], CONTACT_FIELDS_UPDATE, "invalid_field");
}

static void test_bad_values_are_refused(void **state)
{
    static const char *const bodies[] = {
        "{\"phone\":\"5551234567\"}",          /* no country code */
        "{\"phone\":\"+0551234567\"}",         /* no country starts with 0 */
        "{\"phone\":\"+12345\"}",              /* too short */
        "{\"phone\":\"+1234567890123456\"}",   /* 16 digits */
        "{\"phone\":\"+1555abc4567\"}",        /* letters */
        "{\"phone\":\"++15551234567\"}",       /* two plus signs */
        "{\"phone\":\"+1 555 123 4567 x12\"}", /* an extension */
        "{\"email\":\"ann\"}",
        "{\"email\":\"ann@example\"}",
        "{\"email\":\"@example.com\"}",
        "{\"email\":\"ann@@example.com\"}",
        "{\"email\":\"ann@a@example.com\"}",
        "{\"email\":\"ann@.example.com\"}",
        "{\"email\":\"ann@example.com.\"}",
        "{\"email\":\"ann@example..com\"}",
        "{\"email\":\"ann lee@example.com\"}",
        "{\"lead_status\":\"hot\"}",
        "{\"lead_status\":\"NEW\"}",
        "{\"first_name\":\"Ann\\u0007\"}", /* a control character */
        "{\"last_name\":\"Lee\\nSmith\"}", /* names are one line */
        "{\"first_name\":\"\xff\xfe\"}",   /* not UTF-8 */
        "{\"notes\":\"bell \\u0007\"}",    /* notes take new lines and tabs only */
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        refuse(bodies[i], CONTACT_FIELDS_UPDATE, "invalid_field");
}

static void test_lengths_are_counted_in_characters(void **state)
{
    contact_fields f;
    /* 200 two-byte characters are a 200-character name. */
    char *s = long_field("first_name", CONTACT_FIELDS_NAME_MAX, "\xc3\xa9");
    accept(s, CONTACT_FIELDS_UPDATE, &f);
    assert_int_equal(strlen(f.value[CONTACT_FIELD_FIRST_NAME]), 2 * CONTACT_FIELDS_NAME_MAX);
    contact_fields_free(&f);
    free(s);
    s = long_field("first_name", CONTACT_FIELDS_NAME_MAX + 1, "a");
    refuse(s, CONTACT_FIELDS_UPDATE, "invalid_field");
    free(s);
    s = long_field("last_name", 100000, "a");
    refuse(s, CONTACT_FIELDS_UPDATE, "invalid_field");
    free(s);
    s = long_field("notes", CONTACT_FIELDS_NOTES_MAX, "n");
    accept(s, CONTACT_FIELDS_UPDATE, &f);
    contact_fields_free(&f);
    free(s);
    s = long_field("notes", CONTACT_FIELDS_NOTES_MAX + 1, "n");
    refuse(s, CONTACT_FIELDS_UPDATE, "invalid_field");
    free(s);
    /* A 321-character address: too long, however plausible. */
    char email[400];
    memset(email, 'a', 310);
    strcpy(email + 310, "@example.c");
    char body[512];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    assert_int_equal(strlen(email), 320);
    accept(body, CONTACT_FIELDS_UPDATE, &f);
    contact_fields_free(&f);
    snprintf(body, sizeof(body), "{\"email\":\"a%s\"}", email);
    refuse(body, CONTACT_FIELDS_UPDATE, "invalid_field");
}

static void test_update_rules(void **state)
{
    refuse("{}", CONTACT_FIELDS_UPDATE, "empty_update");
    refuse("{\"phone\":null}", CONTACT_FIELDS_UPDATE, "invalid_field");
    refuse("{\"phone\":\"\"}", CONTACT_FIELDS_UPDATE, "invalid_field");
    refuse("{\"lead_status\":null}", CONTACT_FIELDS_UPDATE, "invalid_field");

    contact_fields f;
    accept("{\"email\":null,\"first_name\":\"Bo\"}", CONTACT_FIELDS_UPDATE, &f);
    assert_true(f.given[CONTACT_FIELD_EMAIL]);
    assert_null(f.value[CONTACT_FIELD_EMAIL]);
    assert_false(f.given[CONTACT_FIELD_PHONE]);
    vx_buf json = VX_BUF_INIT;
    contact_fields_patch_json(&f, &json);
    assert_string_equal(json.data, "{\"first_name\":\"Bo\",\"email\":null}");
    contact_fields_free(&f);

    /* Values are JSON-escaped in the parameter. */
    accept("{\"notes\":\"say \\\"hi\\\"\\n\",\"phone_number\":\"+15551234567\"}", CONTACT_FIELDS_UPDATE, &f);
    vx_buf_reset(&json);
    contact_fields_patch_json(&f, &json);
    assert_string_equal(json.data, "{\"phone\":\"+15551234567\",\"notes\":\"say \\\"hi\\\"\"}");
    contact_fields_free(&f);
    vx_buf_free(&json);
}

static void test_enums(void **state)
{
    assert_true(contact_fields_lead_status_valid("new"));
    assert_true(contact_fields_lead_status_valid("lost"));
    assert_false(contact_fields_lead_status_valid("hot"));
    assert_false(contact_fields_lead_status_valid(NULL));
    assert_true(contact_fields_lead_tier_valid("warm"));
    assert_false(contact_fields_lead_tier_valid("Warm"));
    assert_false(contact_fields_lead_tier_valid(""));
    assert_string_equal(contact_fields_name(CONTACT_FIELD_PHONE), "phone");
}

static void test_search_patterns(void **state)
{
    vx_buf text = VX_BUF_INIT, phone = VX_BUF_INIT;
    assert_int_equal(contact_fields_search("  Jane   Doe ", &text, &phone), 0);
    assert_string_equal(text.data, "%Jane Doe%");
    assert_int_equal(phone.len, 0);

    /* LIKE's metacharacters are literal. */
    assert_int_equal(contact_fields_search("50%_off\\", &text, &phone), 0);
    assert_string_equal(text.data, "%50\\%\\_off\\\\%");
    assert_int_equal(phone.len, 0);

    /* A phone number, typed as people type them: a prefix of the digits. */
    assert_int_equal(contact_fields_search("+1 (555) 12", &text, &phone), 0);
    assert_string_equal(phone.data, "+155512%");
    assert_int_equal(contact_fields_search("4477", &text, &phone), 0);
    assert_string_equal(phone.data, "+4477%");
    assert_string_equal(text.data, "%4477%");
    /* Not a number: letters, a "+" inside, more than 15 digits. */
    assert_int_equal(contact_fields_search("ann 555", &text, &phone), 0);
    assert_int_equal(phone.len, 0);
    assert_int_equal(contact_fields_search("1+2", &text, &phone), 0);
    assert_int_equal(phone.len, 0);
    assert_int_equal(contact_fields_search("1234567890123456", &text, &phone), 0);
    assert_int_equal(phone.len, 0);
    assert_int_equal(contact_fields_search("+", &text, &phone), 0);
    assert_int_equal(phone.len, 0);

    /* Blank: no search. */
    assert_int_equal(contact_fields_search("   ", &text, &phone), 0);
    assert_int_equal(text.len, 0);
    assert_int_equal(phone.len, 0);
    assert_int_equal(contact_fields_search(NULL, &text, &phone), 0);
    assert_int_equal(text.len, 0);

    /* Refused: too long, control characters, not UTF-8. */
    char longq[CONTACT_FIELDS_SEARCH_MAX + 2];
    memset(longq, 'a', sizeof(longq) - 1);
    longq[sizeof(longq) - 1] = '\0';
    assert_int_equal(contact_fields_search(longq, &text, &phone), -1);
    longq[CONTACT_FIELDS_SEARCH_MAX] = '\0';
    assert_int_equal(contact_fields_search(longq, &text, &phone), 0);
    assert_int_equal(contact_fields_search("a\x01", &text, &phone), -1);
    assert_int_equal(contact_fields_search("\xc3", &text, &phone), -1);
    vx_buf_free(&text);
    vx_buf_free(&phone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_reads_and_normalises_every_field),
        cmocka_unit_test(test_create_needs_only_a_phone),
        cmocka_unit_test(test_create_refuses_a_missing_phone),
        cmocka_unit_test(test_not_an_object_is_invalid_json),
        cmocka_unit_test(test_unknown_and_duplicate_fields),
        cmocka_unit_test(test_wrong_types_are_refused),
        cmocka_unit_test(test_bad_values_are_refused),
        cmocka_unit_test(test_lengths_are_counted_in_characters),
        cmocka_unit_test(test_update_rules),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_search_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
