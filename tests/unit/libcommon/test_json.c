/*
 * Unit tests for libcommon/vx_json.c over a payload shaped like Vapi's:
 * nested paths, nulls treated as absent, fallbacks between fields, epoch-ms
 * timestamps as integers, as floats in exponent form and as ISO strings, and
 * tool arguments given as an object or as a string holding one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vx_json.h"

static const char *doc_text =
    "{\"message\":{\"type\":\"end-of-call-report\",\"timestamp\":1.722115418016999E12,"
    "\"call\":{\"id\":\"c1\",\"customer\":{\"number\":\"+14155552671\",\"name\":\"\"},\"assistantId\":null,"
    "\"startedAt\":\"2024-07-27T21:23:38.016Z\",\"endedAt\":1722115418016,\"list\":[1,2]},"
    "\"artifact\":{\"transcript\":\"\"},\"transcript\":\"legacy text\",\"cost\":0.25,"
    "\"args_obj\":{\"date\":\"2024-08-01\"},\"args_str\":\"{\\\"date\\\":\\\"2024-08-02\\\"}\","
    "\"args_arr\":\"[1,2]\",\"args_bad\":\"{nope\",\"args_trailing\":\"{} x\","
    "\"bad_time\":\"yesterday\",\"huge\":1e300,\"neg\":-1000,\"flag\":true,\"a.b\":\"dotted\"}}";

static int setup(void **state)
{
    *state = cJSON_Parse(doc_text);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    cJSON_Delete(*state);
    return 0;
}

static void test_at(void **state)
{
    const cJSON *doc = *state;
    assert_ptr_equal(vx_json_at(doc, NULL), doc);
    assert_ptr_equal(vx_json_at(doc, ""), doc);
    assert_non_null(vx_json_at(doc, "message.call.customer"));
    assert_null(vx_json_at(doc, "message.call.assistantId")); /* null = absent */
    assert_null(vx_json_at(doc, "message.call.nope"));
    assert_null(vx_json_at(doc, "message.call.id.deeper")); /* through a string */
    assert_null(vx_json_at(doc, "message.call.list.0"));    /* arrays are not walked */
    assert_null(vx_json_at(doc, "message..call"));
    assert_null(vx_json_at(doc, "message.call."));
    assert_null(vx_json_at(doc, ".message"));
    assert_null(vx_json_at(doc, "Message"));
    assert_null(vx_json_at(doc, "message.a.b")); /* a key containing a dot cannot be reached */
    assert_null(vx_json_at(NULL, "message"));
    assert_null(vx_json_at(doc, "mess")); /* no prefix matches */
}

static void test_str(void **state)
{
    const cJSON *doc = *state;
    assert_string_equal(vx_json_str(doc, "message.call.customer.number"), "+14155552671");
    assert_string_equal(vx_json_str(doc, "message.call.customer.name"), "");
    assert_null(vx_json_str(doc, "message.cost"));
    assert_null(vx_json_str(doc, "message.call.assistantId"));
    assert_null(vx_json_str(doc, "message.call"));
    assert_null(vx_json_str(doc, "message.nothing"));
}

static void test_str_first(void **state)
{
    const cJSON *doc = *state;
    assert_string_equal(vx_json_str_first(doc, "message.artifact.transcript", "message.transcript", (char *)NULL), "legacy text");
    assert_string_equal(
        vx_json_str_first(doc, "message.missing", "message.call.assistantId", "message.call.id", "message.type", (char *)NULL),
        "c1");
    assert_null(vx_json_str_first(doc, "message.missing", "message.call.customer.name", (char *)NULL));
    assert_null(vx_json_str_first(doc, (char *)NULL));
}

static void test_num(void **state)
{
    const cJSON *doc = *state;
    double d = -1;
    assert_true(vx_json_num(doc, "message.cost", &d));
    assert_true(d == 0.25);
    d = -1;
    assert_false(vx_json_num(doc, "message.call.id", &d));
    assert_false(vx_json_num(doc, "message.call.assistantId", &d));
    assert_false(vx_json_num(doc, "message.flag", &d));
    assert_false(vx_json_num(doc, "message.nothing", &d));
    assert_true(d == -1);
}

static void test_time_ms(void **state)
{
    const cJSON *doc = *state;
    int64_t ms = 0;
    assert_true(vx_json_time_ms(doc, "message.timestamp", &ms));
    assert_int_equal(ms, 1722115418017LL); /* the float rounds to the nearest ms */
    assert_true(vx_json_time_ms(doc, "message.call.endedAt", &ms));
    assert_int_equal(ms, 1722115418016LL);
    assert_true(vx_json_time_ms(doc, "message.call.startedAt", &ms));
    assert_int_equal(ms, 1722115418016LL);
    assert_true(vx_json_time_ms(doc, "message.neg", &ms));
    assert_int_equal(ms, -1000);
    ms = 42;
    assert_false(vx_json_time_ms(doc, "message.bad_time", &ms));
    assert_false(vx_json_time_ms(doc, "message.huge", &ms));
    assert_false(vx_json_time_ms(doc, "message.flag", &ms));
    assert_false(vx_json_time_ms(doc, "message.call.assistantId", &ms));
    assert_false(vx_json_time_ms(doc, "message.nothing", &ms));
    assert_false(vx_json_time_ms(doc, "message.call", &ms));
    assert_int_equal(ms, 42);
}

static void test_object_lenient(void **state)
{
    const cJSON *doc = *state;
    cJSON *owned = (cJSON *)0x1;
    const cJSON *o = vx_json_object_lenient(doc, "message.args_obj", &owned);
    assert_non_null(o);
    assert_null(owned);
    assert_string_equal(vx_json_str(o, "date"), "2024-08-01");

    o = vx_json_object_lenient(doc, "message.args_str", &owned);
    assert_non_null(o);
    assert_ptr_equal(o, owned);
    assert_string_equal(vx_json_str(o, "date"), "2024-08-02");
    cJSON_Delete(owned);

    static const char *const not_objects[] = {"message.args_arr", "message.args_bad", "message.args_trailing",
                                              "message.cost",     "message.nothing",  "message.call.assistantId"};
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
        owned = (cJSON *)0x1;
        assert_null(vx_json_object_lenient(doc, not_objects[i], &owned));
        assert_null(owned);
    }
}

/* The strict reader of request bodies (dashboard-api): one object, nothing after it but
 * JSON's whitespace, no NUL that cJSON would silently cut a string at. */
static void test_object_strict(void **state)
{
    static const char ok[] = " \r\n\t{\"a\":\"b\"} \n";
    cJSON *doc = vx_json_object_strict(ok, sizeof(ok) - 1);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "a")), "b");
    cJSON_Delete(doc);
    /* Only the len bytes given are read: what follows is not the body's. */
    static const char longer[] = "{\"a\":1}garbage";
    doc = vx_json_object_strict(longer, 7);
    assert_non_null(doc);
    cJSON_Delete(doc);
    static const char raw_nul[] = "{\"a\":\"b\0c\"}";
    assert_null(vx_json_object_strict(raw_nul, sizeof(raw_nul) - 1));
    static const char nul_after[] = "{\"a\":1}\0";
    assert_null(vx_json_object_strict(nul_after, sizeof(nul_after) - 1));
    static const char vtab_after[] = "{\"a\":1}\v";
    assert_null(vx_json_object_strict(vtab_after, sizeof(vtab_after) - 1));
    assert_null(vx_json_object_strict("{\"a\":1}", 0));
    assert_null(vx_json_object_strict(NULL, 0));
    static const char escaped_nul_key[] = "{\"a\\u0000b\":1}";
    assert_null(vx_json_object_strict(escaped_nul_key, sizeof(escaped_nul_key) - 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_at),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_str_first),
        cmocka_unit_test(test_num),
        cmocka_unit_test(test_time_ms),
        cmocka_unit_test(test_object_lenient),
        cmocka_unit_test(test_object_strict),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
