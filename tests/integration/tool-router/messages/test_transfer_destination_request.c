/*
 * Vapi's transfer-destination-request (messages/transfer_destination_request.c,
 * transfer/destination.c) on real PostgreSQL, driven in-process through
 * dispatch_request.
 *
 * Proves: the org's default number with a request-start message, the
 * transfer recorded on the call (without a reason); an org without any
 * destination gets an error sentence and no destination.
 */
#include "../tool_router_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_transfer_destination_request", false);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_transfer_destination_request(void **state)
{
    char body[1024], call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-tdr");
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"transfer-destination-request\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"%s\"}}}}",
             call_id, CLINICS.asst_a, CLINICS.jane_phone);
    tr_answer a = tr_webhook(body);
    assert_int_equal(a.status, 200);
    const cJSON *d = cJSON_GetObjectItem(a.json, "destination");
    assert_string_equal(tr_str(d, "type"), "number");
    assert_string_equal(tr_str(d, "number"), CLINICS.default_num);
    const cJSON *m = cJSON_GetObjectItem(a.json, "message");
    assert_string_equal(tr_str(m, "type"), "request-start");
    assert_string_equal(tr_str(m, "message"), "Transferring you to a member of our team now.");
    tr_answer_free(&a);
    char *row = tr_transfer_row(call_id);
    char expect[64];
    snprintf(expect, sizeof(expect), "%s|-|true", CLINICS.default_num);
    assert_string_equal(row, expect);
    free(row);
    /* No destination configured: refused with a sentence. */
    snprintf(body, sizeof(body), "{\"message\":{\"type\":\"transfer-destination-request\",\"call\":{\"assistantId\":\"%s\"}}}",
             CLINICS.asst_c);
    a = tr_webhook(body);
    assert_non_null(tr_str(a.json, "error"));
    assert_null(cJSON_GetObjectItem(a.json, "destination"));
    tr_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_destination_request),
    };
    return cmocka_run_group_tests_name("messages/transfer_destination_request", tests, setup, teardown);
}
