/*
 * Vapi's assistant-request (messages/assistant_request.c) on real
 * PostgreSQL, driven in-process through dispatch_request.
 *
 * Proves: a known caller on org A's number gets org A's assistant with the
 * per-call overrides (org id, names, the last call's summary) and a greeting
 * by first name; an unknown caller gets the assistant and the org id, no
 * name; a number nobody has gets the "not set up" error Vapi speaks.
 */
#include "../tool_router_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_assistant_request", false);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_assistant_request(void **state)
{
    char body[1024];
    /* A known caller on org A's number: the assistant, per-call overrides, greeting by first name. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"assistant-request\",\"call\":{\"id\":\"ar-1\",\"type\":\"inboundPhoneCall\","
             "\"phoneNumberId\":\"%s\",\"assistantId\":null,\"customer\":{\"number\":\"%s\"}},"
             "\"phoneNumber\":{\"id\":\"%s\",\"number\":\"%s\",\"twilioAuthToken\":null},\"customer\":{\"number\":\"%s\"}}}",
             CLINICS.pnid_a, CLINICS.jane_phone, CLINICS.pnid_a, CLINICS.num_a, CLINICS.jane_phone);
    tr_answer a = tr_webhook(body);
    assert_int_equal(a.status, 200);
    assert_string_equal(tr_str(a.json, "assistantId"), CLINICS.asst_a);
    const cJSON *o = cJSON_GetObjectItem(a.json, "assistantOverrides");
    const cJSON *vars = cJSON_GetObjectItem(o, "variableValues");
    assert_string_equal(tr_str(vars, "org_id"), CLINICS.org_a);
    assert_string_equal(tr_str(vars, "customerName"), "Jane Doe");
    assert_string_equal(tr_str(vars, "customerFirstName"), "Jane");
    assert_string_equal(tr_str(vars, "lastCallSummary"), "Asked about teeth whitening prices.");
    assert_string_equal(tr_str(cJSON_GetObjectItem(o, "metadata"), "org_id"), CLINICS.org_a);
    /* Signed for this call: the call's later messages find org A by it (tier 2). */
    char sig[65];
    vt_org_hint_sig(CLINICS.org_a, "ar-1", sig);
    assert_string_equal(tr_str(cJSON_GetObjectItem(o, "metadata"), "org_sig"), sig);
    assert_string_equal(tr_str(vars, "org_sig"), sig);
    assert_string_equal(tr_str(o, "firstMessage"), "Hi Jane, thanks for calling Acme Dental! How can I help you today?");
    assert_null(cJSON_GetObjectItem(a.json, "error"));
    tr_answer_free(&a);

    /* An unknown caller: the assistant and the org id, no greeting by name. */
    char stranger[20];
    tr_random_e164(stranger);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"assistant-request\",\"call\":{\"id\":\"ar-2\",\"customer\":{\"number\":\"%s\"}},"
             "\"phoneNumber\":{\"number\":\"%s\"}}}",
             stranger, CLINICS.num_a);
    a = tr_webhook(body);
    assert_string_equal(tr_str(a.json, "assistantId"), CLINICS.asst_a);
    o = cJSON_GetObjectItem(a.json, "assistantOverrides");
    assert_null(cJSON_GetObjectItem(o, "firstMessage"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "variableValues"), "customerName"));
    tr_answer_free(&a);

    /* A number nobody has: Vapi speaks the error and ends the call. */
    char unknown[20];
    tr_random_e164(unknown);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"assistant-request\",\"call\":{\"id\":\"ar-3\",\"customer\":{\"number\":\"%s\"}},"
             "\"phoneNumber\":{\"number\":\"%s\"}}}",
             CLINICS.jane_phone, unknown);
    a = tr_webhook(body);
    assert_string_equal(tr_str(a.json, "error"), "Sorry, this number is not set up yet.");
    assert_null(cJSON_GetObjectItem(a.json, "assistantId"));
    tr_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assistant_request),
    };
    return cmocka_run_group_tests_name("messages/assistant_request", tests, setup, teardown);
}
