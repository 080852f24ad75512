/*
 * Unit tests for the pure parts of services/webhook-ingest/reconcile.c:
 * which calls are due (ingest_reconcile_due) and the end-of-call report
 * rebuilt from a Call object (ingest_reconcile_report), read back through
 * call_report.c as the processor reads a webhook's, so what is fed maps to
 * the same columns. The thread, the lock and the database are proven in
 * tests/integration/webhook-ingest/test_reconcile.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "reconcile.h"
#include "vx_time.h"

#define CALL_ID "5b2b7a6e-0c1d-4c53-8d9a-2f1e3c4b5a69"

/* A Call as GET /call answers it (ended 2024-07-26T22:22:59.931Z, 125 s after it started). */
static const char CALL[] =
    "{\"id\":\"" CALL_ID "\",\"orgId\":\"379a0000-0000-4000-8000-000000000000\",\"type\":\"inboundPhoneCall\","
    "\"status\":\"ended\",\"assistantId\":\"asst-1\",\"phoneNumberId\":\"pn-1\","
    "\"customer\":{\"number\":\"+14155550123\",\"name\":\"Jane Roe\"},"
    "\"phoneNumber\":{\"id\":\"pn-1\",\"number\":\"+19254207621\",\"twilioAuthToken\":\"tw-secret-token\"},"
    "\"createdAt\":\"2024-07-26T22:20:50.000Z\",\"updatedAt\":\"2024-07-26T22:23:10.000Z\","
    "\"startedAt\":\"2024-07-26T22:20:54.931Z\",\"endedAt\":\"2024-07-26T22:22:59.931Z\","
    "\"endedReason\":\"customer-ended-call\",\"cost\":0.42,\"costs\":[{\"type\":\"model\",\"cost\":0.1}],"
    "\"artifact\":{\"transcript\":\"AI: Hello.\\nUser: Hi.\",\"recordingUrl\":\"https://storage.vapi.ai/r.wav\","
    "\"messages\":[{\"role\":\"bot\",\"message\":\"Hello.\"}]},"
    "\"analysis\":{\"summary\":\"A greeting.\",\"successEvaluation\":\"true\",\"structuredData\":{\"intent\":\"book\"}},"
    "\"assistantOverrides\":{\"metadata\":{\"x\":1}},\"monitor\":{\"controlUrl\":\"https://x/control\"},"
    "\"transport\":null}";

static int64_t ended_ms(void)
{
    int64_t t;
    assert_true(vx_time_parse_iso("2024-07-26T22:22:59.931Z", &t));
    return t;
}

static cJSON *call_with(const char *key, cJSON *value)
{
    cJSON *c = cJSON_Parse(CALL);
    assert_non_null(c);
    if (value)
        cJSON_ReplaceItemInObjectCaseSensitive(c, key, value);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(c, key);
    return c;
}

static void test_due_after_the_grace_only(void **state)
{
    cJSON *c = cJSON_Parse(CALL);
    int64_t end = ended_ms();
    assert_true(ingest_reconcile_due(c, end + 120000, 120));  /* exactly the grace */
    assert_true(ingest_reconcile_due(c, end + 3600000, 120)); /* long after */
    assert_false(ingest_reconcile_due(c, end + 119999, 120)); /* its webhook may still come */
    assert_false(ingest_reconcile_due(c, end - 1000, 0));     /* "ended" in the future */
    assert_true(ingest_reconcile_due(c, end, 0));             /* no grace */
    cJSON_Delete(c);
}

static void test_not_due_unless_ended_with_an_end(void **state)
{
    int64_t later = ended_ms() + 86400000;
    const char *statuses[] = {"queued", "ringing", "in-progress", "forwarding", "scheduled", "not-found", "Ended"};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        cJSON *c = call_with("status", cJSON_CreateString(statuses[i]));
        assert_false(ingest_reconcile_due(c, later, 0));
        cJSON_Delete(c);
    }
    cJSON *cases[] = {
        call_with("status", NULL),
        call_with("status", cJSON_CreateNull()),
        call_with("endedAt", NULL),
        call_with("endedAt", cJSON_CreateNull()),
        call_with("endedAt", cJSON_CreateString("yesterday")),
        call_with("id", NULL),
        call_with("id", cJSON_CreateString("")),
        call_with("id", cJSON_CreateString("../../etc")), /* could never be a call_logs key nor a URL id */
        call_with("id", cJSON_CreateNumber(7)),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_false(ingest_reconcile_due(cases[i], later, 0));
        cJSON_Delete(cases[i]);
    }
    char long_id[102];
    memset(long_id, 'a', 101);
    long_id[101] = '\0';
    cJSON *c = call_with("id", cJSON_CreateString(long_id));
    assert_false(ingest_reconcile_due(c, later, 0));
    cJSON_Delete(c);
    cJSON *arr = cJSON_CreateArray();
    assert_false(ingest_reconcile_due(arr, later, 0));
    assert_false(ingest_reconcile_due(NULL, later, 0));
    cJSON_Delete(arr);
}

static void test_report_has_the_shape_vapi_sends(void **state)
{
    cJSON *call = cJSON_Parse(CALL);
    char *text = ingest_reconcile_report(call);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    assert_true(cJSON_IsObject(msg));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(msg, "type")->valuestring, "end-of-call-report");
    assert_true(cJSON_GetObjectItemCaseSensitive(msg, "timestamp")->valuedouble == (double)ended_ms());
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(msg, "endedReason")->valuestring, "customer-ended-call");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(msg, "startedAt")->valuestring, "2024-07-26T22:20:54.931Z");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(msg, "endedAt")->valuestring, "2024-07-26T22:22:59.931Z");
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(msg, "costs")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(msg, "artifact")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(msg, "analysis")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(msg, "customer")));
    /* The call rides along whole, but its artifact and analysis only once, at the report's level. */
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "call");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring, CALL_ID);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "assistantOverrides"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "monitor"));
    assert_null(cJSON_GetObjectItemCaseSensitive(c, "artifact"));
    assert_null(cJSON_GetObjectItemCaseSensitive(c, "analysis"));
    /* Credentials Vapi embeds are scrubbed, as the gateway scrubs a webhook's. */
    assert_null(strstr(text, "tw-secret-token"));
    /* Deterministic: the same call, the same message (a re-fed report upserts identical values). */
    char *again = ingest_reconcile_report(call);
    assert_string_equal(again, text);
    free(again);
    /* The input is not changed. */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(call, "artifact"));
    cJSON_Delete(root);
    cJSON_Delete(call);
    free(text);
}

static void test_report_maps_like_a_webhook(void **state)
{
    cJSON *call = cJSON_Parse(CALL);
    char *text = ingest_reconcile_report(call);
    ingest_call c;
    assert_int_equal(ingest_call_parse(text, strlen(text), &c), 0);
    assert_int_equal(c.kind, INGEST_MSG_END_OF_CALL_REPORT);
    assert_string_equal(c.vapi_call_id, CALL_ID);
    assert_string_equal(c.assistant_id, "asst-1");
    assert_string_equal(c.phone_number_id, "pn-1");
    assert_string_equal(c.caller_number, "+14155550123");
    assert_string_equal(c.caller_name, "Jane Roe");
    assert_string_equal(c.to_number, "+19254207621");
    assert_string_equal(c.call_type, "inbound");
    assert_true(c.has_duration);
    assert_int_equal(c.duration_seconds, 125);
    assert_true(c.has_total_cost);
    assert_true(c.total_cost > 0.4199 && c.total_cost < 0.4201);
    assert_string_equal(c.transcript, "AI: Hello.\nUser: Hi.");
    assert_string_equal(c.recording_url, "https://storage.vapi.ai/r.wav");
    assert_string_equal(c.outcome_summary, "A greeting.");
    assert_string_equal(c.success_evaluation, "true");
    assert_string_equal(c.ended_reason, "customer-ended-call");
    assert_string_equal(c.ended_at, "2024-07-26T22:22:59.931Z");
    ingest_call_free(&c);
    free(text);
    cJSON_Delete(call);
}

static void test_report_leaves_out_what_the_call_lacks(void **state)
{
    cJSON *call = cJSON_Parse("{\"id\":\"abc\",\"status\":\"ended\",\"endedAt\":null,\"cost\":null,\"artifact\":null,"
                              "\"customer\":{\"number\":\"+14155550123\"}}");
    char *text = ingest_reconcile_report(call);
    cJSON *root = cJSON_Parse(text);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    static const char *const absent[] = {"timestamp", "endedAt", "cost", "artifact", "analysis", "startedAt", "phoneNumber"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        assert_null(cJSON_GetObjectItemCaseSensitive(msg, absent[i]));
    ingest_call c;
    assert_int_equal(ingest_call_parse(text, strlen(text), &c), 0);
    assert_string_equal(c.vapi_call_id, "abc");
    assert_false(c.has_total_cost);
    assert_null(c.transcript);
    ingest_call_free(&c);
    cJSON_Delete(root);
    free(text);
    cJSON_Delete(call);

    cJSON *arr = cJSON_CreateArray();
    assert_null(ingest_reconcile_report(arr));
    assert_null(ingest_reconcile_report(NULL));
    cJSON_Delete(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_after_the_grace_only),
        cmocka_unit_test(test_not_due_unless_ended_with_an_end),
        cmocka_unit_test(test_report_has_the_shape_vapi_sends),
        cmocka_unit_test(test_report_maps_like_a_webhook),
        cmocka_unit_test(test_report_leaves_out_what_the_call_lacks),
    };
    return cmocka_run_group_tests_name("webhook-ingest reconcile", tests, NULL, NULL);
}
