/*
 * Unit tests for services/tool-router/answer.c: the one cleaning every
 * spoken string gets (control characters, runs of spaces, invalid UTF-8,
 * cuts on a character boundary), its malloc'd form, and the answer shapes
 * Vapi reads (results[], the legacy toolResult and result, a tool's extra
 * fields that never replace the reserved ones).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "vapi_message.h"
#include "vx_buf.h"

static vapi_message parse_ok(const char *body, const char *path_tool)
{
    vapi_message m;
    assert_int_equal(vapi_message_parse(body, strlen(body), path_tool, &m), VAPI_PARSE_OK);
    return m;
}

static void test_answer_clean(void **state)
{
    vx_buf b = VX_BUF_INIT;
    answer_clean(&b, "  Line one.\nLine\ttwo.\r\n\n  end  ", 100);
    assert_string_equal(b.data, "Line one. Line two. end");
    answer_clean(&b, NULL, 10);
    assert_string_equal(b.data, "");
    answer_clean(&b, "bad \xff byte", 100);
    assert_string_equal(b.data, "bad ? byte");
    /* Cut on a character boundary: "é" is two bytes. */
    answer_clean(&b, "ab\xc3\xa9", 3);
    assert_string_equal(b.data, "ab");
    answer_clean(&b, "abcdef", 4);
    assert_string_equal(b.data, "abcd");
    vx_buf_free(&b);
}

static void test_answer_shapes(void **state)
{
    vapi_message m = parse_ok("{\"message\":{\"toolCalls\":[{\"id\":\"i1\",\"name\":\"transferCall\"}]}}", "transferCall");
    tool_result r = {.is_error = false, .text = VX_BUF_INIT};
    vx_buf_puts(&r.text, "Transferring you now.");
    r.extra = cJSON_Parse("{\"destination\":{\"type\":\"number\",\"number\":\"+15551112222\"},\"results\":\"not me\","
                          "\"toolCallId\":\"nor me\"}");
    char *json = answer_tool_calls(ANSWER_RESULTS | ANSWER_TOOL_RESULT, m.calls, &r, 1);
    cJSON *a = cJSON_Parse(json);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "results"), 0);
    assert_string_equal(cJSON_GetObjectItem(e, "toolCallId")->valuestring, "i1");
    assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, "transferCall");
    assert_string_equal(cJSON_GetObjectItem(e, "result")->valuestring, "Transferring you now.");
    assert_non_null(cJSON_GetObjectItem(e, "destination"));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "toolResult"), "content")->valuestring, "Transferring you now.");
    assert_non_null(cJSON_GetObjectItem(a, "destination"));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(a, "results")));
    cJSON_Delete(a);
    cJSON_free(json);
    r.is_error = true;
    json = answer_tool_calls(ANSWER_RESULT, m.calls, &r, 1);
    a = cJSON_Parse(json);
    assert_string_equal(cJSON_GetObjectItem(a, "result")->valuestring, "Transferring you now.");
    assert_null(cJSON_GetObjectItem(a, "results"));
    cJSON_Delete(a);
    cJSON_free(json);
    json = answer_tool_calls(ANSWER_RESULTS, m.calls, &r, 1);
    assert_non_null(strstr(json, "\"error\":\"Transferring you now.\""));
    cJSON_free(json);
    json = answer_tool_calls(ANSWER_RESULTS | ANSWER_TOOL_RESULT, m.calls, &r, 0);
    assert_string_equal(json, "{\"results\":[]}");
    cJSON_free(json);
    vx_buf_free(&r.text);
    cJSON_Delete(r.extra);
    vapi_message_free(&m);
}

static void test_answer_clean_dup(void **state)
{
    assert_null(answer_clean_dup(NULL, 10));
    assert_null(answer_clean_dup(" \n\t ", 10));
    char *s = answer_clean_dup("  billing\n dept ", 64);
    assert_string_equal(s, "billing dept");
    free(s);
    s = answer_clean_dup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
}

static void test_answer_add_clean(void **state)
{
    cJSON *o = cJSON_CreateObject();
    answer_add_clean(o, "summary", "Asked about\nprices.", 100);
    answer_add_clean(o, "none", NULL, 100);
    assert_string_equal(cJSON_GetObjectItem(o, "summary")->valuestring, "Asked about prices.");
    assert_string_equal(cJSON_GetObjectItem(o, "none")->valuestring, "");
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_clean),
        cmocka_unit_test(test_answer_shapes),
        cmocka_unit_test(test_answer_clean_dup),
        cmocka_unit_test(test_answer_add_clean),
    };
    return cmocka_run_group_tests_name("answer", tests, NULL, NULL);
}
