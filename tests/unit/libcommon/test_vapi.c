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
#include <stdio.h>
#include <stdlib.h>
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
    assert_int_equal(vx_vapi_message_kind("handoff-destination-request"), VX_VAPI_HANDOFF_DESTINATION_REQUEST);
}

static void test_other_types_are_not_call_time(void **state)
{
    const char *others[] = {"end-of-call-report", "status-update", "hang", "transcript", "tool-calls ", "Tool-Calls", "", "tool"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(vx_vapi_message_kind(others[i]), VX_VAPI_NOT_CALL_TIME);
    assert_int_equal(vx_vapi_message_kind(NULL), VX_VAPI_NOT_CALL_TIME);
}

#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define ORG_A   "22222222-2222-4222-8222-222222222222"
#define ORG_B   "11111111-1111-4111-8111-111111111111"

/* A message of call call_id with holder (a path under the message) holding org and sig (NULL: none). */
static cJSON *message_with(const char *call_id, const char *holder, const char *org, const char *sig)
{
    char json[1024];
    char sig_part[96] = "";
    if (sig != NULL)
        snprintf(sig_part, sizeof(sig_part), ",\"org_sig\":\"%s\"", sig);
    if (strcmp(holder, "assistant.metadata") == 0)
        snprintf(json, sizeof(json), "{\"call\":{\"id\":\"%s\"},\"assistant\":{\"metadata\":{\"org_id\":\"%s\"%s}}}", call_id, org,
                 sig_part);
    else
        snprintf(json, sizeof(json), "{\"call\":{\"id\":\"%s\",\"assistantOverrides\":{\"%s\":{\"org_id\":\"%s\"%s}}}}", call_id,
                 holder, org, sig_part);
    cJSON *m = cJSON_Parse(json);
    assert_non_null(m);
    return m;
}

static void test_signed_org_hint_is_read(void **state)
{
    char org[VX_UUID_STR_LEN + 1], sig[65];
    assert_int_equal(vx_vapi_org_hint_sign(ORG_A, "call-1", sig), 0);
    assert_int_equal(strlen(sig), 64);
    const char *holders[] = {"metadata", "variableValues", "assistant.metadata"};
    for (size_t i = 0; i < sizeof(holders) / sizeof(holders[0]); i++) {
        cJSON *m = message_with("call-1", holders[i], ORG_A, sig);
        assert_true(vx_vapi_org_hint(m, org));
        assert_string_equal(org, ORG_A);
        cJSON_Delete(m);
    }
    /* Signed in upper case, read in lower case: one org (the MAC is over the lower-cased id). */
    char upper_sig[65];
    assert_int_equal(vx_vapi_org_hint_sign("AAAAAAAA-1111-4111-8111-111111111111", "call-2", upper_sig), 0);
    cJSON *m = message_with("call-2", "metadata", "aaaaaaaa-1111-4111-8111-111111111111", upper_sig);
    assert_true(vx_vapi_org_hint(m, org));
    assert_string_equal(org, "aaaaaaaa-1111-4111-8111-111111111111");
    cJSON_Delete(m);
}

/* Org ids are not secret: what the caller's side can write is only a hint when we signed it for this call. */
static void test_unsigned_or_misplaced_hints_are_ignored(void **state)
{
    char org[VX_UUID_STR_LEN + 1], sig_a1[65], sig_a2[65];
    assert_int_equal(vx_vapi_org_hint_sign(ORG_A, "call-1", sig_a1), 0);
    assert_int_equal(vx_vapi_org_hint_sign(ORG_A, "call-2", sig_a2), 0);
    struct {
        const char *call_id, *holder, *org, *sig;
    } cases[] = {
        {"call-1", "metadata", ORG_A, NULL},   /* unsigned */
        {"call-1", "metadata", ORG_B, sig_a1}, /* A's signature on B */
        {"call-1", "metadata", ORG_A, sig_a2}, /* another call's signature */
        {"", "metadata", ORG_A, sig_a1},       /* no call id */
        {"call-1", "metadata", ORG_A, "zz"},   /* malformed */
        {"call-1", "variableValues", ORG_A, "0000000000000000000000000000000000000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *m = message_with(cases[i].call_id, cases[i].holder, cases[i].org, cases[i].sig);
        assert_false(vx_vapi_org_hint(m, org));
        cJSON_Delete(m);
    }
    /* The legacy call.metadata.org_id is the caller's to write: never a hint. */
    char json[256];
    snprintf(json, sizeof(json), "{\"call\":{\"id\":\"call-1\",\"metadata\":{\"org_id\":\"%s\",\"org_sig\":\"%s\"}}}", ORG_A,
             sig_a1);
    cJSON *m = cJSON_Parse(json);
    assert_false(vx_vapi_org_hint(m, org));
    cJSON_Delete(m);
    /* A signature cannot be made without a call id. */
    assert_int_equal(vx_vapi_org_hint_sign(ORG_A, "", sig_a1), -1);
    assert_int_equal(vx_vapi_org_hint_sign(ORG_A, NULL, sig_a1), -1);
}

static void test_org_hint_rejects_non_uuids(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    const char *bodies[] = {
        "{}",
        "{\"call\":{\"id\":\"c\",\"assistantOverrides\":{\"metadata\":{\"org_id\":\"not-a-uuid\"}}}}",
        "{\"call\":{\"id\":\"c\",\"assistantOverrides\":{\"metadata\":{\"org_id\":\"11111111-1111-4111-8111-1111111111112\"}}}}",
        "{\"call\":{\"id\":\"c\",\"assistantOverrides\":{\"metadata\":{\"org_id\":42}}}}",
        "{\"call\":{\"id\":\"c\",\"assistantOverrides\":{\"metadata\":\"x\"}}}",
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
    setenv("ORG_HINT_KEY", KEY_HEX, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_time_kinds),
        cmocka_unit_test(test_other_types_are_not_call_time),
        cmocka_unit_test(test_signed_org_hint_is_read),
        cmocka_unit_test(test_unsigned_or_misplaced_hints_are_ignored),
        cmocka_unit_test(test_org_hint_rejects_non_uuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
