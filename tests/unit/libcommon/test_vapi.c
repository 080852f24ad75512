/*
 * Unit tests of libcommon/vx_vapi.c: which message types are call-time (the
 * one list the gateway routes by and tool-router answers by), and where the
 * org id we gave a call is read from.
 */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vx_vapi.h"

static void test_call_time_kinds(void **state)
{
    assert_int_equal(vx_vapi_message_kind("tool-calls"), VX_VAPI_TOOL_CALLS);
    assert_int_equal(vx_vapi_message_kind("function-call"), VX_VAPI_FUNCTION_CALL);
    assert_int_equal(vx_vapi_message_kind("assistant-request"), VX_VAPI_ASSISTANT_REQUEST);
    assert_int_equal(vx_vapi_message_kind("transfer-destination-request"), VX_VAPI_TRANSFER_DESTINATION_REQUEST);
    assert_int_equal(vx_vapi_message_kind("knowledge-base-request"), VX_VAPI_KNOWLEDGE_BASE_REQUEST);
}

static void test_other_types_are_not_call_time(void **state)
{
    const char *others[] = {"end-of-call-report", "status-update", "hang", "transcript", "tool-calls ", "Tool-Calls", "", "tool"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(vx_vapi_message_kind(others[i]), VX_VAPI_NOT_CALL_TIME);
    assert_int_equal(vx_vapi_message_kind(NULL), VX_VAPI_NOT_CALL_TIME);
}

static void test_org_hint_paths_in_order(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    cJSON *m = cJSON_Parse("{\"call\":{\"metadata\":{\"org_id\":\"11111111-1111-4111-8111-111111111111\"},"
                           "\"assistantOverrides\":{\"variableValues\":{\"orgId\":\"22222222-2222-4222-8222-222222222222\"}}}}");
    assert_true(vx_vapi_org_hint(m, org));
    assert_string_equal(org, "22222222-2222-4222-8222-222222222222"); /* overrides before the legacy path */
    cJSON_Delete(m);
    m = cJSON_Parse("{\"call\":{\"metadata\":{\"org_id\":\"AAAAAAAA-1111-4111-8111-111111111111\"}}}");
    assert_true(vx_vapi_org_hint(m, org));
    assert_string_equal(org, "aaaaaaaa-1111-4111-8111-111111111111"); /* lower-cased */
    cJSON_Delete(m);
}

static void test_org_hint_rejects_non_uuids(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    const char *bodies[] = {
        "{}",
        "{\"call\":{\"metadata\":{\"org_id\":\"not-a-uuid\"}}}",
        "{\"call\":{\"metadata\":{\"org_id\":\"11111111-1111-4111-8111-1111111111112\"}}}",
        "{\"call\":{\"metadata\":{\"org_id\":42}}}",
        "{\"call\":{\"metadata\":\"x\"}}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        cJSON *m = cJSON_Parse(bodies[i]);
        assert_false(vx_vapi_org_hint(m, org));
        cJSON_Delete(m);
    }
    assert_false(vx_vapi_org_hint(NULL, org));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_time_kinds),
        cmocka_unit_test(test_other_types_are_not_call_time),
        cmocka_unit_test(test_org_hint_paths_in_order),
        cmocka_unit_test(test_org_hint_rejects_non_uuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
