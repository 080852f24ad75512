/*
 * Vapi's transfer-destination-request (messages/transfer_destination_request.c,
 * transfer/destination.c) on real PostgreSQL, driven in-process through
 * dispatch_request.
 *
 * Proves: the department of the transferCall call that caused the request —
 * read from the conversation in the message's artifact (Vapi's format, else
 * messagesOpenAIFormatted), the last such call — picks the department's
 * destination, and the transfer is recorded on the call with that call's
 * summary as its reason; without an artifact, or for a department the org
 * has not configured, the org's default number (without a reason when none
 * was given); an org without any destination gets an error sentence and no
 * destination.
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

/* A transfer-destination-request for org A's assistant on call_id, from
 * Jane's phone, as Vapi sends it mid-call; artifact's members (NULL: no
 * artifact). malloc'd. */
static char *transfer_request(const char *call_id, const char *artifact)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b,
                  "{\"message\":{\"timestamp\":1722115418016,\"type\":\"transfer-destination-request\","
                  "\"call\":{\"id\":\"%s\",\"orgId\":\"379a0000-vapi-org\",\"type\":\"inboundPhoneCall\","
                  "\"status\":\"in-progress\",\"phoneCallProvider\":\"twilio\",\"phoneCallTransport\":\"pstn\","
                  "\"assistantId\":\"%s\",\"phoneNumberId\":\"%s\",\"customer\":{\"number\":\"%s\"},"
                  "\"createdAt\":\"2024-07-26T22:20:40.931Z\"},"
                  "\"phoneNumber\":{\"id\":\"%s\",\"number\":\"%s\",\"provider\":\"twilio\"},"
                  "\"customer\":{\"number\":\"%s\"},\"assistant\":{\"id\":\"%s\",\"name\":\"Front desk\"}",
                  call_id, CLINICS.asst_a, CLINICS.pnid_a, CLINICS.jane_phone, CLINICS.pnid_a, CLINICS.num_a, CLINICS.jane_phone,
                  CLINICS.asst_a);
    if (artifact != NULL)
        vx_buf_printf(&b, ",\"artifact\":{%s}", artifact);
    vx_buf_puts(&b, "}}");
    return vx_buf_steal(&b);
}

/* artifact.messages: the caller asks for Medical, then changes their mind
 * and asks for department (each a transferCall call, arguments as a JSON
 * string as Vapi writes them there). */
static void conversation(vx_buf *out, const char *department)
{
    vx_buf_printf(out,
                  "\"messages\":["
                  "{\"role\":\"system\",\"message\":\"You are the front desk.\",\"time\":1722115400000,\"secondsFromStart\":0},"
                  "{\"role\":\"bot\",\"message\":\"Hi Jane, how can I help?\",\"time\":1722115401000,\"endTime\":1722115402000,"
                  "\"secondsFromStart\":1,\"duration\":1000,\"source\":\"\"},"
                  "{\"role\":\"user\",\"message\":\"I need a nurse.\",\"time\":1722115405000,\"endTime\":1722115406000,"
                  "\"secondsFromStart\":5,\"duration\":1000},"
                  "{\"role\":\"tool_calls\",\"toolCalls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
                  "\"transferCall\",\"arguments\":\"{\\\"department\\\":\\\"Medical\\\"}\"}}],\"message\":\"\","
                  "\"time\":1722115407000,\"secondsFromStart\":7},"
                  "{\"role\":\"tool_call_result\",\"toolCallId\":\"call_1\",\"name\":\"transferCall\","
                  "\"result\":\"Transfer cancelled.\",\"time\":1722115408000,\"secondsFromStart\":8},"
                  "{\"role\":\"user\",\"message\":\"Sorry, it is about my bill.\",\"time\":1722115410000,"
                  "\"endTime\":1722115411000,\"secondsFromStart\":10,\"duration\":1000},"
                  "{\"role\":\"tool_calls\",\"toolCalls\":[{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":"
                  "\"transferCall\",\"arguments\":\"{\\\"department\\\":\\\"%s\\\",\\\"summary\\\":\\\"Question about "
                  "an invoice.\\\"}\"}}],\"message\":\"\",\"time\":1722115412000,\"secondsFromStart\":12}],"
                  "\"transcript\":\"AI: Hi Jane, how can I help?\\nUser: I need a nurse.\\nUser: Sorry, it is about my bill.\"",
                  department);
}

/* Sends body and checks a number destination to number, said with sentence. */
static void expect_number(const char *body, const char *number, const char *sentence)
{
    tr_answer a = tr_webhook(body);
    assert_int_equal(a.status, 200);
    const cJSON *d = cJSON_GetObjectItem(a.json, "destination");
    assert_string_equal(tr_str(d, "type"), "number");
    assert_string_equal(tr_str(d, "number"), number);
    const cJSON *m = cJSON_GetObjectItem(a.json, "message");
    assert_string_equal(tr_str(m, "type"), "request-start");
    assert_string_equal(tr_str(m, "message"), sentence);
    tr_answer_free(&a);
}

/* The call's transfer row is "<to>|<reason or ->|true". */
static void expect_row(const char *call_id, const char *to, const char *reason)
{
    char *row = tr_transfer_row(call_id);
    char expect[600];
    snprintf(expect, sizeof(expect), "%s|%s|true", to, reason);
    assert_string_equal(row, expect);
    free(row);
}

static void test_transfer_destination_request(void **state)
{
    char body[1024], call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-tdr");
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"transfer-destination-request\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"%s\"}}}}",
             call_id, CLINICS.asst_a, CLINICS.jane_phone);
    expect_number(body, CLINICS.default_num, "Transferring you to a member of our team now.");
    expect_row(call_id, CLINICS.default_num, "-");
    /* No destination configured: refused with a sentence. */
    snprintf(body, sizeof(body), "{\"message\":{\"type\":\"transfer-destination-request\",\"call\":{\"assistantId\":\"%s\"}}}",
             CLINICS.asst_c);
    tr_answer a = tr_webhook(body);
    assert_non_null(tr_str(a.json, "error"));
    assert_null(cJSON_GetObjectItem(a.json, "destination"));
    tr_answer_free(&a);
}

/* A request whose conversation asks last for department goes to number,
 * said with sentence, and is recorded with the call's summary. */
static void expect_department_goes_to(const char *department, const char *number, const char *sentence)
{
    char call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-tdr-dept");
    vx_buf artifact = VX_BUF_INIT;
    conversation(&artifact, department);
    char *body = transfer_request(call_id, artifact.data);
    expect_number(body, number, sentence);
    expect_row(call_id, number, "Question about an invoice.");
    free(body);
    vx_buf_free(&artifact);
}

static void test_department_from_the_conversation(void **state)
{
    expect_department_goes_to("billing", CLINICS.bill_num, "Transferring you to our billing team now.");
}

static void test_department_from_openai_format(void **state)
{
    char call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-tdr-openai");
    char *body = transfer_request(
        call_id, "\"messages\":[{\"role\":\"user\",\"message\":\"My bill, please.\",\"time\":1722115410000,"
                 "\"secondsFromStart\":10}],"
                 "\"messagesOpenAIFormatted\":[{\"role\":\"system\",\"content\":\"You are the front desk.\"},"
                 "{\"role\":\"user\",\"content\":\"My bill, please.\"},"
                 "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_7\",\"type\":\"function\",\"function\":{\"name\":"
                 "\"transferCall\",\"arguments\":\"{\\\"department\\\":\\\"BILLING\\\"}\"}}]}]");
    expect_number(body, CLINICS.bill_num, "Transferring you to our billing team now.");
    expect_row(call_id, CLINICS.bill_num, "-");
    free(body);
}

static void test_department_not_configured(void **state)
{
    /* destination_find falls back to the org's default for a name it does not know. */
    expect_department_goes_to("dentistry", CLINICS.default_num, "Transferring you to a member of our team now.");
    /* An artifact without any transfer call: the default too. */
    char call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-tdr-none");
    char *body = transfer_request(call_id, "\"messages\":[{\"role\":\"user\",\"message\":\"Hello?\",\"time\":1722115410000,"
                                           "\"secondsFromStart\":10}],\"messagesOpenAIFormatted\":[{\"role\":\"user\","
                                           "\"content\":\"Hello?\"}]");
    expect_number(body, CLINICS.default_num, "Transferring you to a member of our team now.");
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_destination_request),
        cmocka_unit_test(test_department_from_the_conversation),
        cmocka_unit_test(test_department_from_openai_format),
        cmocka_unit_test(test_department_not_configured),
    };
    return cmocka_run_group_tests_name("messages/transfer_destination_request", tests, setup, teardown);
}
