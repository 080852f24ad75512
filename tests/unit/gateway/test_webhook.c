/* Unit tests of services/gateway/webhook.c: subject tokens, de-dup ids, fallback answers. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "webhook.h"

static void test_subject_tokens(void **state)
{
    char out[64];
    assert_true(webhook_subject_token("end-of-call-report", out, sizeof(out)));
    assert_string_equal(out, "end-of-call-report");
    assert_true(webhook_subject_token("call.endpointing.request", out, sizeof(out)));
    assert_string_equal(out, "call_endpointing_request");
    assert_false(webhook_subject_token("", out, sizeof(out)));
    assert_false(webhook_subject_token("a>b", out, sizeof(out)));
    assert_false(webhook_subject_token("a*", out, sizeof(out)));
    assert_false(webhook_subject_token("a b", out, sizeof(out)));
    char long_type[100];
    memset(long_type, 'a', 99);
    long_type[99] = '\0';
    assert_false(webhook_subject_token(long_type, out, sizeof(out)));
}

static void test_dedup_ids(void **state)
{
    char a[160], b[160];
    webhook_dedup_id("end-of-call-report", "call-1", NULL, "x", 1, a, sizeof(a));
    webhook_dedup_id("end-of-call-report", "call-1", NULL, "y", 1, b, sizeof(b));
    assert_string_equal(a, b); /* one report per call, whatever the body */
    webhook_dedup_id("status-update", "call-1", "ringing", "x", 1, a, sizeof(a));
    webhook_dedup_id("status-update", "call-1", "ended", "x", 1, b, sizeof(b));
    assert_string_not_equal(a, b);
    webhook_dedup_id("transcript", "call-1", NULL, "x", 1, a, sizeof(a));
    webhook_dedup_id("transcript", "call-1", NULL, "y", 1, b, sizeof(b));
    assert_string_not_equal(a, b);
    webhook_dedup_id("end-of-call-report", NULL, NULL, "x", 1, a, sizeof(a));
    assert_true(strncmp(a, "body:", 5) == 0);
}

static void test_fallback_for_tool_calls_answers_every_call_in_order(void **state)
{
    const char *body = "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":["
                       "{\"id\":\"c1\",\"function\":{\"name\":\"checkAvailability\",\"arguments\":\"{}\"}},"
                       "{\"id\":\"c2\",\"name\":\"lookupCaller\"}]}}";
    char *json = webhook_fallback_answer(body, strlen(body), "tool-calls", false);
    cJSON *root = cJSON_Parse(json);
    cJSON *results = cJSON_GetObjectItem(root, "results");
    assert_int_equal(cJSON_GetArraySize(results), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 0), "toolCallId")->valuestring, "c1");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 0), "name")->valuestring, "checkAvailability");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "toolCallId")->valuestring, "c2");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "name")->valuestring, "lookupCaller");
    assert_null(strchr(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "error")->valuestring, '\n'));
    cJSON_Delete(root);
    free(json);
}

static void test_fallback_reads_the_other_lists(void **state)
{
    const char *wrapped = "{\"message\":{\"toolWithToolCallList\":[{\"toolCall\":{\"id\":\"w1\",\"function\":{\"name\":\"t\"}}}]}}";
    char *json = webhook_fallback_answer(wrapped, strlen(wrapped), "tool-calls", false);
    assert_non_null(strstr(json, "\"w1\""));
    free(json);
    const char *garbage = "{{{";
    json = webhook_fallback_answer(garbage, strlen(garbage), "tool-calls", false);
    assert_string_equal(json, "{\"results\":[]}");
    free(json);
    json = webhook_fallback_answer("{}", 2, "function-call", false);
    assert_non_null(strstr(json, "\"result\""));
    free(json);
    json = webhook_fallback_answer("{}", 2, "assistant-request", false);
    assert_non_null(strstr(json, "\"error\""));
    free(json);
}

static void test_fallback_for_the_per_tool_route_has_both_formats(void **state)
{
    const char *body = "{\"message\":{\"toolCalls\":[{\"id\":\"t9\",\"function\":{\"name\":\"transferCall\"}}]}}";
    char *json = webhook_fallback_answer(body, strlen(body), "tool-calls", true);
    cJSON *root = cJSON_Parse(json);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 0), "toolCallId")->valuestring,
                        "t9");
    cJSON *legacy = cJSON_GetObjectItem(root, "toolResult");
    assert_string_equal(cJSON_GetObjectItem(legacy, "type")->valuestring, "text");
    assert_non_null(cJSON_GetObjectItem(legacy, "content")->valuestring);
    cJSON_Delete(root);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_tokens),
        cmocka_unit_test(test_dedup_ids),
        cmocka_unit_test(test_fallback_for_tool_calls_answers_every_call_in_order),
        cmocka_unit_test(test_fallback_reads_the_other_lists),
        cmocka_unit_test(test_fallback_for_the_per_tool_route_has_both_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
