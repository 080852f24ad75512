/*
 * Unit test of services/dashboard-api/service_fields.c: the body of POST and
 * PATCH /api/services, read into SQL-ready text or refused with the code the
 * dashboard shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "service_fields.h"
#include "vx_buf.h"

static int parse(const char *body, service_fields_mode mode, service_fields *f, service_fields_error *err)
{
    return service_fields_parse(body, body != NULL ? strlen(body) : 0, mode, f, err);
}

/* Fails unless body is refused with code in mode, leaving f empty. */
static void assert_refused(const char *body, service_fields_mode mode, const char *code)
{
    service_fields f;
    service_fields_error err;
    if (parse(body, mode, &f, &err) != -1)
        fail_msg("accepted: %s", body);
    if (strcmp(err.code, code) != 0)
        fail_msg("%s: expected %s, got %s (%s)", body, code, err.code, err.message);
    assert_true(err.message[0] != '\0');
    assert_null(f.name);
    assert_null(f.keywords);
    assert_int_equal(f.present, 0);
}

static void test_create_with_every_field(void **state)
{
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse("{\"name\":\"  Teeth Whitening\\t\",\"price\":199.5,\"duration_minutes\":45,"
                           "\"keywords\":[\"Whitening\",\" BLEACH \",\"whitening\",\"bleach\"],\"active\":false}",
                           SERVICE_FIELDS_CREATE, &f, &err),
                     0);
    assert_int_equal(f.present, SERVICE_FIELD_NAME | SERVICE_FIELD_PRICE | SERVICE_FIELD_DURATION | SERVICE_FIELD_KEYWORDS |
                                    SERVICE_FIELD_ACTIVE);
    assert_string_equal(f.name, "Teeth Whitening");
    assert_true(f.has_price);
    assert_string_equal(f.price, "199.50");
    assert_string_equal(f.duration, "45");
    assert_string_equal(f.keywords, "{\"whitening\",\"bleach\"}");
    assert_false(f.active);
    service_fields_clear(&f);
    assert_null(f.name);
}

static void test_create_defaults(void **state)
{
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse("{\"name\":\"Consultation\"}", SERVICE_FIELDS_CREATE, &f, &err), 0);
    assert_int_equal(f.present, SERVICE_FIELD_NAME);
    assert_false(f.has_price);
    assert_string_equal(f.duration, "30");
    assert_string_equal(f.keywords, "{}");
    assert_true(f.active);
    service_fields_clear(&f);
}

static void test_update_sets_only_what_is_given(void **state)
{
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse("{\"price\":null}", SERVICE_FIELDS_UPDATE, &f, &err), 0);
    assert_int_equal(f.present, SERVICE_FIELD_PRICE);
    assert_false(f.has_price);
    assert_null(f.name);
    assert_null(f.keywords);
    assert_string_equal(f.duration, "");
    service_fields_clear(&f);

    assert_int_equal(parse("{\"keywords\":[],\"active\":true}", SERVICE_FIELDS_UPDATE, &f, &err), 0);
    assert_int_equal(f.present, SERVICE_FIELD_KEYWORDS | SERVICE_FIELD_ACTIVE);
    assert_string_equal(f.keywords, "{}");
    assert_true(f.active);
    service_fields_clear(&f);
}

/* What PostgreSQL stores is the decimal the owner typed, never a binary approximation of it. */
static void test_prices(void **state)
{
    static const struct {
        const char *json, *text;
    } ok[] = {
        {"0", "0.00"},          {"-0", "0.00"},
        {"0.1", "0.10"},        {"19.99", "19.99"},
        {"400", "400.00"},      {"1e2", "100.00"},
        {"8000.00", "8000.00"}, {"99999999.99", "99999999.99"},
        {"0.07", "0.07"},       {"1234567.89", "1234567.89"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char body[96];
        snprintf(body, sizeof(body), "{\"price\":%s}", ok[i].json);
        service_fields f;
        service_fields_error err;
        if (parse(body, SERVICE_FIELDS_UPDATE, &f, &err) != 0)
            fail_msg("%s refused: %s", body, err.message);
        assert_true(f.has_price);
        assert_string_equal(f.price, ok[i].text);
        service_fields_clear(&f);
    }
    static const char *const bad[] = {"-0.01",  "-1",        "19.999", "0.001", "100000000", "1e8",       "1e400",
                                      "\"12\"", "\"12.50\"", "true",   "[]",    "{}",        "1.0000001", "99999999.995"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[96];
        snprintf(body, sizeof(body), "{\"price\":%s}", bad[i]);
        assert_refused(body, SERVICE_FIELDS_UPDATE, "invalid_price");
    }
}

static void test_durations(void **state)
{
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse("{\"duration_minutes\":5}", SERVICE_FIELDS_UPDATE, &f, &err), 0);
    assert_string_equal(f.duration, "5");
    service_fields_clear(&f);
    assert_int_equal(parse("{\"duration_minutes\":480.0}", SERVICE_FIELDS_UPDATE, &f, &err), 0);
    assert_string_equal(f.duration, "480");
    service_fields_clear(&f);
    static const char *const bad[] = {"4", "481", "30.5", "-30", "null", "\"30\"", "1e10", "false"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"duration_minutes\":%s}", bad[i]);
        assert_refused(body, SERVICE_FIELDS_UPDATE, "invalid_duration");
    }
}

static void test_names(void **state)
{
    char name[256];
    memset(name, 'n', 200);
    name[200] = '\0';
    char body[320];
    snprintf(body, sizeof(body), "{\"name\":\"  %s  \"}", name);
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse(body, SERVICE_FIELDS_CREATE, &f, &err), 0); /* 200 characters once trimmed */
    assert_int_equal(strlen(f.name), 200);
    service_fields_clear(&f);
    /* 200 characters of two bytes each: characters are counted, not bytes. */
    vx_buf wide = VX_BUF_INIT;
    vx_buf_puts(&wide, "{\"name\":\"");
    for (int i = 0; i < 200; i++)
        vx_buf_puts(&wide, "\xc3\xa9");
    vx_buf_puts(&wide, "\"}");
    assert_int_equal(parse(wide.data, SERVICE_FIELDS_CREATE, &f, &err), 0);
    service_fields_clear(&f);
    vx_buf_free(&wide);

    name[200] = 'n';
    name[201] = '\0';
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    assert_refused(body, SERVICE_FIELDS_CREATE, "invalid_name");
    static const char *const bad[] = {
        "{\"name\":\"\"}",         "{\"name\":\"   \"}",  "{\"name\":null}",
        "{\"name\":42}",           "{\"name\":[\"a\"]}",  "{\"name\":\"a\\nb\"}",
        "{\"name\":\"\xff\xfe\"}", "{\"name\":\"\xc3\"}", "{\"name\":\"tab\\u007f\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_refused(bad[i], SERVICE_FIELDS_CREATE, "invalid_name");
}

static void test_keywords(void **state)
{
    vx_buf body = VX_BUF_INIT;
    vx_buf_puts(&body, "{\"keywords\":[");
    for (int i = 0; i < 50; i++)
        vx_buf_printf(&body, "%s\"k%d\"", i > 0 ? "," : "", i);
    vx_buf_puts(&body, "]}");
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse(body.data, SERVICE_FIELDS_UPDATE, &f, &err), 0);
    assert_non_null(strstr(f.keywords, "\"k49\"}"));
    service_fields_clear(&f);
    vx_buf_reset(&body);
    vx_buf_puts(&body, "{\"keywords\":[");
    for (int i = 0; i < 51; i++)
        vx_buf_printf(&body, "%s\"k\"", i > 0 ? "," : ""); /* 51 before deduplication: too many as sent */
    vx_buf_puts(&body, "]}");
    assert_refused(body.data, SERVICE_FIELDS_UPDATE, "invalid_keywords");
    vx_buf_free(&body);

    /* Quotes, backslashes, braces and commas stay one element of the array literal. */
    assert_int_equal(
        parse("{\"keywords\":[\"say \\\"hi\\\"\",\"a\\\\b\",\"{x},y\",\"Face-Lift\"]}", SERVICE_FIELDS_UPDATE, &f, &err), 0);
    assert_string_equal(f.keywords, "{\"say \\\"hi\\\"\",\"a\\\\b\",\"{x},y\",\"face-lift\"}");
    service_fields_clear(&f);
    /* Only ASCII letters are lower-cased; the rest is kept as typed. */
    assert_int_equal(parse("{\"keywords\":[\"\xc3\x89"
                           "CLAT\"]}",
                           SERVICE_FIELDS_UPDATE, &f, &err),
                     0);
    assert_string_equal(f.keywords, "{\"\xc3\x89"
                                    "clat\"}");
    service_fields_clear(&f);

    char long_kw[128];
    memset(long_kw, 'k', 101);
    long_kw[101] = '\0';
    char bad_long[160];
    snprintf(bad_long, sizeof(bad_long), "{\"keywords\":[\"%s\"]}", long_kw);
    assert_refused(bad_long, SERVICE_FIELDS_UPDATE, "invalid_keywords");
    static const char *const bad[] = {"{\"keywords\":\"botox\"}", "{\"keywords\":null}", "{\"keywords\":[\"\"]}",
                                      "{\"keywords\":[\"  \"]}",  "{\"keywords\":[1]}",  "{\"keywords\":[null]}",
                                      "{\"keywords\":[[\"a\"]]}", "{\"keywords\":{}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_refused(bad[i], SERVICE_FIELDS_UPDATE, "invalid_keywords");
}

static void test_active(void **state)
{
    static const char *const bad[] = {"1", "0", "\"true\"", "null"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[48];
        snprintf(body, sizeof(body), "{\"active\":%s}", bad[i]);
        assert_refused(body, SERVICE_FIELDS_UPDATE, "invalid_active");
    }
}

static void test_shape_of_the_body(void **state)
{
    static const char *const not_objects[] = {NULL,
                                              "",
                                              "   ",
                                              "[]",
                                              "[{\"name\":\"a\"}]",
                                              "\"name\"",
                                              "42",
                                              "null",
                                              "{\"name\":",
                                              "{\"name\":\"a\"",
                                              "{\"name\":\"a\"} trailing",
                                              "{name:\"a\"}",
                                              "{\"name\":\"a\\u0000b\"}",
                                              "{\"keywords\":[\"x\\u0000\"]}"};
    for (size_t i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++) {
        assert_refused(not_objects[i], SERVICE_FIELDS_CREATE, "invalid_json");
        assert_refused(not_objects[i], SERVICE_FIELDS_UPDATE, "invalid_json");
    }
    assert_refused("{}", SERVICE_FIELDS_CREATE, "missing_name");
    assert_refused("{\"price\":10}", SERVICE_FIELDS_CREATE, "missing_name");
    assert_refused("{}", SERVICE_FIELDS_UPDATE, "empty_update");
    assert_refused("{\"name\":\"a\",\"name\":\"b\"}", SERVICE_FIELDS_CREATE, "duplicate_field");
    assert_refused("{\"Name\":\"a\"}", SERVICE_FIELDS_CREATE, "unknown_field");
    /* An escaped backslash before u0000 is text, not a NUL. */
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse("{\"name\":\"a\\\\u0000\"}", SERVICE_FIELDS_CREATE, &f, &err), 0);
    assert_string_equal(f.name, "a\\u0000");
    service_fields_clear(&f);
}

/* The unknown key is named, within a message of bounded size, whatever it holds. */
static void test_unknown_field_is_named(void **state)
{
    service_fields f;
    service_fields_error err;
    assert_int_equal(parse("{\"name\":\"a\",\"prize\":10}", SERVICE_FIELDS_CREATE, &f, &err), -1);
    assert_string_equal(err.code, "unknown_field");
    assert_non_null(strstr(err.message, "\"prize\""));
    vx_buf body = VX_BUF_INIT;
    vx_buf_puts(&body, "{\"");
    for (int i = 0; i < 10000; i++)
        vx_buf_putc(&body, 'x');
    vx_buf_puts(&body, "\\n\":1}");
    assert_int_equal(parse(body.data, SERVICE_FIELDS_UPDATE, &f, &err), -1);
    assert_string_equal(err.code, "unknown_field");
    assert_non_null(strstr(err.message, "xxx..."));
    assert_true(strlen(err.message) < sizeof(err.message) - 1);
    vx_buf_free(&body);
    assert_int_equal(parse("{\"a\\u0001b\":1}", SERVICE_FIELDS_UPDATE, &f, &err), -1);
    assert_non_null(strstr(err.message, "\"a?b\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_with_every_field),
        cmocka_unit_test(test_create_defaults),
        cmocka_unit_test(test_update_sets_only_what_is_given),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_active),
        cmocka_unit_test(test_shape_of_the_body),
        cmocka_unit_test(test_unknown_field_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
