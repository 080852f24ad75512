/*
 * Vapi's handoff-destination-request (messages/handoff_destination_request.c)
 * driven in-process through dispatch_request, as Vapi sends it to the
 * webhook route.
 *
 * Proves: the message gets an answer (Vapi waits for one, as for a
 * transfer) — an error sentence and no destination, for a known org and for
 * an unknown one alike; nothing is written.
 */
#include "../tool_router_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_handoff_destination_request", false);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_handoff_is_refused_with_a_sentence(void **state)
{
    char body[1024], call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-hdr");
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"handoff-destination-request\",\"parameters\":{\"destination\":\"billing\"},"
             "\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\",\"customer\":{\"number\":\"%s\"}}}}",
             call_id, CLINICS.asst_a, CLINICS.jane_phone);
    tr_answer a = tr_webhook(body);
    assert_int_equal(a.status, 200);
    assert_null(cJSON_GetObjectItem(a.json, "destination"));
    const char *error = tr_str(a.json, "error");
    assert_non_null(error);
    assert_non_null(strstr(error, "transfer"));
    tr_answer_free(&a);
    /* Nothing recorded on the call. */
    char *row = tr_transfer_row(call_id);
    assert_null(row);

    /* An unknown assistant gets the same answer. */
    snprintf(body, sizeof(body), "{\"message\":{\"type\":\"handoff-destination-request\",\"call\":{\"assistantId\":\"nobody\"}}}");
    a = tr_webhook(body);
    assert_int_equal(a.status, 200);
    assert_non_null(tr_str(a.json, "error"));
    tr_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handoff_is_refused_with_a_sentence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
