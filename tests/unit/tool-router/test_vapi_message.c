/*
 * Unit tests for services/tool-router/vapi_message.c: every drift of
 * contracts/vapi.md §1.3/§1.4 the parser accepts (object vs string arguments,
 * toolCallList vs toolCalls vs toolWithToolCallList, function.name vs name,
 * arguments vs parameters, legacy function-call with name or functionName),
 * the call's identity fields, and the bounds (calls, ids, names, argument
 * size) and garbage it refuses without crashing; and the arguments of a
 * transfer-destination-request, taken from the conversation's last
 * transferCall call (artifact.messages, else messagesOpenAIFormatted).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vapi_message.h"
#include "vx_buf.h"

static vapi_message parse_ok(const char *body, const char *path_tool)
{
    vapi_message m;
    assert_int_equal(vapi_message_parse(body, strlen(body), path_tool, &m), VAPI_PARSE_OK);
    return m;
}

static const char *arg(const vapi_call *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->args, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_tool_call_list_with_object_arguments(void **state)
{
    vapi_message m = parse_ok("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":\"call_1\",\"type\":\"function\","
                              "\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"+15551234567\"}}}],"
                              "\"call\":{\"id\":\"c-1\",\"assistantId\":\"asst-1\",\"phoneNumberId\":\"pn-1\","
                              "\"customer\":{\"number\":\"+15550001111\"}},\"phoneNumber\":{\"number\":\"+15559998888\"}}}",
                              NULL);
    assert_int_equal(m.kind, VX_VAPI_TOOL_CALLS);
    assert_int_equal(m.ncalls, 1);
    assert_string_equal(m.calls[0].id, "call_1");
    assert_string_equal(m.calls[0].name, "lookupCaller");
    assert_int_equal(m.calls[0].problem, VAPI_CALL_OK);
    assert_true(m.calls[0].args_given);
    assert_string_equal(arg(&m.calls[0], "searchKey"), "+15551234567");
    assert_string_equal(m.call_id, "c-1");
    assert_string_equal(m.assistant_id, "asst-1");
    assert_string_equal(m.phone_number_id, "pn-1");
    assert_string_equal(m.caller_number, "+15550001111");
    assert_string_equal(m.called_number, "+15559998888");
    assert_string_equal(m.metadata_org_id, "");
    vapi_message_free(&m);
}

static void test_arguments_as_json_string(void **state)
{
    vapi_message m =
        parse_ok("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":\"a\",\"function\":{\"name\":"
                 "\"transferCall\",\"arguments\":\"{\\\"department\\\":\\\"billing\\\",\\\"summary\\\":\\\"x\\\"}\"}}]}}",
                 NULL);
    assert_int_equal(m.ncalls, 1);
    assert_int_equal(m.calls[0].problem, VAPI_CALL_OK);
    assert_string_equal(arg(&m.calls[0], "department"), "billing");
    assert_string_equal(arg(&m.calls[0], "summary"), "x");
    vapi_message_free(&m);
}

static void test_falls_back_to_tool_calls_then_wrapped_list(void **state)
{
    /* toolCallList empty → toolCalls. */
    vapi_message m = parse_ok("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[],\"toolCalls\":[{\"id\":\"b\","
                              "\"function\":{\"name\":\"lookupCaller\",\"arguments\":{}}}]}}",
                              NULL);
    assert_int_equal(m.ncalls, 1);
    assert_string_equal(m.calls[0].id, "b");
    vapi_message_free(&m);
    /* Only toolWithToolCallList: the call is in .toolCall, the name may be on the wrapper,
     * and the wrapper's function.parameters is the schema, never the arguments. */
    m = parse_ok("{\"message\":{\"type\":\"tool-calls\",\"toolWithToolCallList\":[{\"type\":\"function\","
                 "\"function\":{\"name\":\"getKnowledgeBase\",\"parameters\":{\"type\":\"object\"}},"
                 "\"toolCall\":{\"id\":\"w1\",\"parameters\":{\"query\":\"hours\"}}}]}}",
                 NULL);
    assert_int_equal(m.ncalls, 1);
    assert_string_equal(m.calls[0].id, "w1");
    assert_string_equal(m.calls[0].name, "getKnowledgeBase");
    assert_string_equal(arg(&m.calls[0], "query"), "hours");
    assert_null(cJSON_GetObjectItem(m.calls[0].args, "type"));
    vapi_message_free(&m);
}

static void test_name_and_parameters_fallbacks(void **state)
{
    /* The events.mdx shape: {id, name, parameters}; and {id, name, arguments}. */
    vapi_message m = parse_ok("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":["
                              "{\"id\":\"p1\",\"name\":\"lookupCaller\",\"parameters\":{\"searchKey\":\"a@b.c\"}},"
                              "{\"id\":\"p2\",\"name\":\"lookupCaller\",\"arguments\":\"{\\\"searchKey\\\":\\\"Jo\\\"}\"},"
                              "{\"id\":\"p3\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":null},"
                              "\"parameters\":{\"searchKey\":\"k\"}}]}}",
                              NULL);
    assert_int_equal(m.ncalls, 3);
    assert_string_equal(m.calls[0].name, "lookupCaller");
    assert_string_equal(arg(&m.calls[0], "searchKey"), "a@b.c");
    assert_string_equal(arg(&m.calls[1], "searchKey"), "Jo");
    /* null is absent: the next candidate is used. */
    assert_string_equal(arg(&m.calls[2], "searchKey"), "k");
    vapi_message_free(&m);
}

static void test_several_calls_keep_their_order(void **state)
{
    vapi_message m = parse_ok("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":["
                              "{\"id\":\"1\",\"function\":{\"name\":\"a\"}},{\"id\":\"2\",\"function\":{\"name\":\"b\"}},"
                              "42,{\"id\":\"3\",\"function\":{\"name\":\"c\"}}]}}",
                              NULL);
    /* The number is not a call and is skipped. */
    assert_int_equal(m.ncalls, 3);
    assert_string_equal(m.calls[0].name, "a");
    assert_string_equal(m.calls[1].name, "b");
    assert_string_equal(m.calls[2].name, "c");
    assert_false(m.calls[0].args_given);
    assert_true(cJSON_IsObject(m.calls[0].args));
    assert_null(m.calls[0].args->child);
    vapi_message_free(&m);
}

static void test_function_call_legacy(void **state)
{
    vapi_message m = parse_ok("{\"message\":{\"type\":\"function-call\",\"functionCall\":{\"name\":\"lookupCaller\","
                              "\"parameters\":{\"searchKey\":\"x\"}},\"call\":{\"id\":\"c9\",\"metadata\":{\"org_id\":"
                              "\"AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE\"}}}}",
                              NULL);
    assert_int_equal(m.kind, VX_VAPI_FUNCTION_CALL);
    assert_int_equal(m.ncalls, 1);
    assert_string_equal(m.calls[0].id, "");
    assert_string_equal(m.calls[0].name, "lookupCaller");
    assert_string_equal(arg(&m.calls[0], "searchKey"), "x");
    /* call.metadata is the caller's side to write, and unsigned: never an org hint. */
    assert_string_equal(m.metadata_org_id, "");
    vapi_message_free(&m);
    /* functionName and parameters as a string. */
    m = parse_ok("{\"message\":{\"type\":\"function-call\",\"functionCall\":{\"functionName\":\"transferCall\","
                 "\"parameters\":\"{\\\"department\\\":\\\"billing\\\"}\"}}}",
                 NULL);
    assert_string_equal(m.calls[0].name, "transferCall");
    assert_string_equal(arg(&m.calls[0], "department"), "billing");
    vapi_message_free(&m);
}

static void test_per_tool_route(void **state)
{
    /* No name in the body: the path names the tool. */
    vapi_message m = parse_ok("{\"message\":{\"toolCalls\":[{\"id\":\"t1\",\"function\":{\"arguments\":{\"summary\":\"s\"}}}]}}",
                              "transferCall");
    assert_int_equal(m.kind, VX_VAPI_TOOL_CALLS);
    assert_string_equal(m.calls[0].name, "transferCall");
    vapi_message_free(&m);
    /* The body's name wins over the path's. */
    m = parse_ok(
        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":\"t2\",\"function\":{\"name\":\"lookupCaller\"}}]}}",
        "transferCall");
    assert_string_equal(m.calls[0].name, "lookupCaller");
    vapi_message_free(&m);
    /* The bare message object, without the envelope. */
    m = parse_ok("{\"toolCallList\":[{\"id\":\"t3\",\"arguments\":{}}]}", "lookupCaller");
    assert_int_equal(m.ncalls, 1);
    assert_string_equal(m.calls[0].name, "lookupCaller");
    vapi_message_free(&m);
    /* A functionCall on the per-tool route. */
    m = parse_ok("{\"message\":{\"functionCall\":{\"parameters\":{}}}}", "lookupCaller");
    assert_int_equal(m.kind, VX_VAPI_FUNCTION_CALL);
    assert_string_equal(m.calls[0].name, "lookupCaller");
    vapi_message_free(&m);
    /* Nothing to call: a tool invocation with no calls. */
    m = parse_ok("{\"message\":{\"type\":\"status-update\"}}", "lookupCaller");
    assert_int_equal(m.kind, VX_VAPI_TOOL_CALLS);
    assert_int_equal(m.ncalls, 0);
    vapi_message_free(&m);
    /* An unusable path name and no name in the body. */
    m = parse_ok("{\"message\":{\"toolCalls\":[{\"id\":\"t4\"}]}}", "");
    assert_int_equal(m.calls[0].problem, VAPI_CALL_BAD_NAME);
    vapi_message_free(&m);
}

static void test_other_message_types(void **state)
{
    static const struct {
        const char *type;
        vx_vapi_kind kind;
    } cases[] = {
        {"assistant-request", VX_VAPI_ASSISTANT_REQUEST},
        {"transfer-destination-request", VX_VAPI_TRANSFER_DESTINATION_REQUEST},
        {"knowledge-base-request", VX_VAPI_KNOWLEDGE_BASE_REQUEST},
        {"handoff-destination-request", VX_VAPI_HANDOFF_DESTINATION_REQUEST},
        {"status-update", VX_VAPI_NOT_CALL_TIME},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"message\":{\"type\":\"%s\"}}", cases[i].type);
        vapi_message m = parse_ok(body, NULL);
        assert_int_equal(m.kind, cases[i].kind);
        assert_int_equal(m.ncalls, 0);
        vapi_message_free(&m);
    }
    vapi_message m = parse_ok("{\"message\":{\"type\":\"knowledge-base-request\",\"messages\":[{\"role\":\"user\",\"message\":"
                              "\"first\"},{\"role\":\"bot\",\"message\":\"b\"},{\"role\":\"user\",\"message\":\"What are your "
                              "hours?\"},{\"role\":\"bot\",\"message\":\"x\"}]}}",
                              NULL);
    assert_string_equal(m.kb_query, "What are your hours?");
    vapi_message_free(&m);
    m = parse_ok("{\"message\":{\"type\":\"knowledge-base-request\",\"messagesOpenAIFormatted\":[{\"role\":\"user\","
                 "\"content\":\"price?\"}]}}",
                 NULL);
    assert_string_equal(m.kb_query, "price?");
    vapi_message_free(&m);
}

static void test_identity_fallbacks_and_validation(void **state)
{
    vapi_message m = parse_ok("{\"message\":{\"type\":\"assistant-request\",\"assistant\":{\"id\":\"asst-2\",\"metadata\":{"
                              "\"org_id\":\"not-a-uuid\"}},\"phoneNumber\":{\"id\":\"pn-2\",\"number\":\"5551234\","
                              "\"twilioAuthToken\":\"secret\"},\"customer\":{\"number\":\"+15550002222\"},"
                              "\"call\":{\"id\":\"has space\",\"assistantOverrides\":{\"variableValues\":{\"org_id\":"
                              "\"11111111-2222-3333-4444-555555555555\"}}}}}",
                              NULL);
    assert_string_equal(m.assistant_id, "asst-2");
    assert_string_equal(m.phone_number_id, "pn-2");
    assert_null(m.called_number); /* not E.164 */
    assert_string_equal(m.caller_number, "+15550002222");
    assert_null(m.call_id);                     /* not a printable id */
    assert_string_equal(m.metadata_org_id, ""); /* not signed by us (libcommon's test_vapi covers signed hints) */
    vapi_message_free(&m);
}

static void test_bounds(void **state)
{
    /* 20 calls: 16 run, the rest are refused but still answered. */
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[");
    for (int i = 0; i < 20; i++)
        vx_buf_printf(&b, "%s{\"id\":\"c%d\",\"function\":{\"name\":\"lookupCaller\"}}", i ? "," : "", i);
    vx_buf_puts(&b, "]}}");
    vapi_message m = parse_ok(b.data, NULL);
    assert_int_equal(m.ncalls, 20);
    assert_int_equal(m.calls[15].problem, VAPI_CALL_OK);
    assert_int_equal(m.calls[16].problem, VAPI_CALL_TOO_MANY);
    assert_string_equal(m.calls[19].id, "c19");
    vapi_message_free(&m);
    /* 100 calls: at most VAPI_MAX_ANSWERED are kept. */
    vx_buf_reset(&b);
    vx_buf_puts(&b, "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[");
    for (int i = 0; i < 100; i++)
        vx_buf_printf(&b, "%s{\"id\":\"c%d\"}", i ? "," : "", i);
    vx_buf_puts(&b, "]}}");
    m = parse_ok(b.data, NULL);
    assert_int_equal(m.ncalls, VAPI_MAX_ANSWERED);
    vapi_message_free(&m);

    /* Names: 64 characters of [A-Za-z0-9_-] pass, 65 or other characters do not. */
    assert_true(vapi_message_name_valid("book_Appointment-2"));
    assert_false(vapi_message_name_valid(""));
    assert_false(vapi_message_name_valid("has space"));
    assert_false(vapi_message_name_valid("n\xc3\xa9"));
    char name[80];
    memset(name, 'a', 64);
    name[64] = '\0';
    assert_true(vapi_message_name_valid(name));
    name[64] = 'a';
    name[65] = '\0';
    assert_false(vapi_message_name_valid(name));
    vx_buf_reset(&b);
    vx_buf_printf(&b, "{\"message\":{\"toolCalls\":[{\"id\":\"n\",\"name\":\"%s\"},{\"id\":\"n2\",\"name\":\"a.b\"}]}}", name);
    m = parse_ok(b.data, NULL);
    assert_int_equal(m.calls[0].problem, VAPI_CALL_BAD_NAME);
    assert_string_equal(m.calls[0].name, "");
    assert_int_equal(m.calls[1].problem, VAPI_CALL_BAD_NAME);
    vapi_message_free(&m);

    /* Ids: 100 printable characters pass; 101, control characters or a number do not. */
    char id[120];
    memset(id, 'x', 100);
    id[100] = '\0';
    vx_buf_reset(&b);
    vx_buf_printf(&b,
                  "{\"message\":{\"toolCalls\":[{\"id\":\"%s\",\"name\":\"a\"},{\"id\":\"%sy\",\"name\":\"a\"},"
                  "{\"id\":\"a\\nb\",\"name\":\"a\"},{\"id\":7,\"name\":\"a\"},{\"id\":\"\",\"name\":\"a\"}]}}",
                  id, id);
    m = parse_ok(b.data, NULL);
    assert_int_equal(m.ncalls, 5);
    assert_int_equal(m.calls[0].problem, VAPI_CALL_OK);
    assert_int_equal(m.calls[1].problem, VAPI_CALL_BAD_ID);
    assert_int_equal(m.calls[2].problem, VAPI_CALL_BAD_ID);
    assert_int_equal(m.calls[3].problem, VAPI_CALL_BAD_ID);
    assert_int_equal(m.calls[4].problem, VAPI_CALL_OK); /* "" is allowed: no ledger */
    vapi_message_free(&m);
    vx_buf_free(&b);
}

static void test_large_arguments(void **state)
{
    /* 100 KB inside an argument object, and as an arguments string. */
    size_t big = 100 * 1024;
    char *s = malloc(big + 1);
    memset(s, 'a', big);
    s[big] = '\0';
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b,
                  "{\"message\":{\"toolCalls\":[{\"id\":\"1\",\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"%s\"}},"
                  "{\"id\":\"2\",\"name\":\"lookupCaller\",\"arguments\":\"{\\\"searchKey\\\":\\\"%s\\\"}\"},"
                  "{\"id\":\"3\",\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"small\"}}]}}",
                  s, s);
    vapi_message m = parse_ok(b.data, NULL);
    assert_int_equal(m.ncalls, 3);
    assert_int_equal(m.calls[0].problem, VAPI_CALL_BAD_ARGS);
    assert_int_equal(m.calls[1].problem, VAPI_CALL_BAD_ARGS);
    assert_null(m.calls[0].args->child);
    assert_int_equal(m.calls[2].problem, VAPI_CALL_OK);
    assert_string_equal(arg(&m.calls[2], "searchKey"), "small");
    vapi_message_free(&m);
    vx_buf_free(&b);
    free(s);
}

static void test_arguments_that_are_not_objects(void **state)
{
    static const char *const bad[] = {"[1,2]", "42", "true", "\"not json\"", "\"[1]\"", "\"{\\\"a\\\":\"", "\"null\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"message\":{\"toolCalls\":[{\"id\":\"x\",\"name\":\"lookupCaller\",\"arguments\":%s}]}}",
                 bad[i]);
        vapi_message m = parse_ok(body, NULL);
        assert_int_equal(m.ncalls, 1);
        assert_int_equal(m.calls[0].problem, VAPI_CALL_BAD_ARGS);
        assert_true(cJSON_IsObject(m.calls[0].args));
        assert_true(m.calls[0].args_given);
        vapi_message_free(&m);
    }
    /* Absent, null and "" are no arguments, not bad ones. */
    static const char *const none[] = {"null", "\"\"", "\"  \""};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"message\":{\"toolCalls\":[{\"id\":\"x\",\"name\":\"lookupCaller\",\"arguments\":%s}]}}",
                 none[i]);
        vapi_message m = parse_ok(body, NULL);
        assert_int_equal(m.calls[0].problem, VAPI_CALL_OK);
        assert_false(m.calls[0].args_given);
        vapi_message_free(&m);
    }
}

static void test_garbage(void **state)
{
    vapi_message m;
    assert_int_equal(vapi_message_parse("", 0, NULL, &m), VAPI_PARSE_NOT_JSON);
    assert_int_equal(vapi_message_parse(NULL, 0, NULL, &m), VAPI_PARSE_NOT_JSON);
    assert_int_equal(vapi_message_parse("{\"message\":", 11, NULL, &m), VAPI_PARSE_NOT_JSON);
    assert_int_equal(vapi_message_parse("\xff\xfe", 2, NULL, &m), VAPI_PARSE_NOT_JSON);
    vapi_message_free(&m); /* harmless after a failure */
    static const char *const no_message[] = {
        "[]", "42", "\"s\"", "null", "{}", "{\"message\":null}", "{\"message\":[1]}", "{\"other\":{\"type\":\"tool-calls\"}}"};
    for (size_t i = 0; i < sizeof(no_message) / sizeof(no_message[0]); i++)
        assert_int_equal(vapi_message_parse(no_message[i], strlen(no_message[i]), NULL, &m), VAPI_PARSE_NO_MESSAGE);
    /* Only the first len bytes are read. */
    const char *body = "{\"message\":{\"type\":\"status-update\"}}trailing";
    assert_int_equal(vapi_message_parse(body, strlen(body) - 8, NULL, &m), VAPI_PARSE_OK);
    vapi_message_free(&m);
    /* Lists and items of the wrong types. */
    static const char *const odd[] = {
        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":{\"id\":\"x\"}}}",
        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":null,\"toolCalls\":\"x\"}}",
        "{\"message\":{\"type\":\"tool-calls\",\"toolWithToolCallList\":[{\"toolCall\":5},null,[]]}}",
        "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":null,\"function\":null,\"name\":null}]}}",
        "{\"message\":{\"type\":7,\"call\":{\"id\":5,\"customer\":null}}}",
        "{\"message\":{\"type\":\"function-call\",\"functionCall\":\"lookupCaller\"}}",
        "{\"message\":{\"type\":\"knowledge-base-request\",\"messages\":[null,1,{\"role\":\"user\",\"message\":5}]}}",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        assert_int_equal(vapi_message_parse(odd[i], strlen(odd[i]), NULL, &m), VAPI_PARSE_OK);
        for (size_t k = 0; k < m.ncalls; k++) {
            assert_non_null(m.calls[k].id);
            assert_non_null(m.calls[k].name);
            assert_non_null(m.calls[k].args);
        }
        assert_null(m.kb_query);
        vapi_message_free(&m);
    }
    /* The null-id, null-name item: kept (it gets an answer), without a name. */
    m = parse_ok(odd[3], NULL);
    assert_int_equal(m.ncalls, 1);
    assert_string_equal(m.calls[0].id, "");
    assert_int_equal(m.calls[0].problem, VAPI_CALL_BAD_NAME);
    vapi_message_free(&m);
}

/* ------------------------------------------------------------ transfer-destination-request */

/* A transfer-destination-request as Vapi sends it, with artifact's members
 * (NULL: no artifact at all). */
static vapi_message transfer_request(const char *artifact)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"message\":{\"timestamp\":1722115418016,\"type\":\"transfer-destination-request\","
                    "\"call\":{\"id\":\"c-t\",\"orgId\":\"379a\",\"type\":\"inboundPhoneCall\",\"status\":\"in-progress\","
                    "\"assistantId\":\"asst-t\",\"phoneNumberId\":\"pn-t\",\"customer\":{\"number\":\"+15550001111\"}},"
                    "\"phoneNumber\":{\"id\":\"pn-t\",\"number\":\"+15559998888\"},\"customer\":{\"number\":\"+15550001111\"},"
                    "\"assistant\":{\"id\":\"asst-t\",\"name\":\"Front desk\"}");
    if (artifact != NULL)
        vx_buf_printf(&b, ",\"artifact\":{%s}", artifact);
    vx_buf_puts(&b, "}}");
    vapi_message m = parse_ok(b.data, NULL);
    vx_buf_free(&b);
    assert_int_equal(m.kind, VX_VAPI_TRANSFER_DESTINATION_REQUEST);
    assert_int_equal(m.ncalls, 0);
    return m;
}

/* The entry appenders below start with a comma unless the list has just begun. */
static void separate(vx_buf *b)
{
    if (b->len > 0 && b->data[b->len - 1] != '[')
        vx_buf_putc(b, ',');
}

/* Appends an artifact.messages entry of role tool_calls holding one call
 * named name with arguments (both JSON as written). */
static void tool_calls_entry(vx_buf *b, const char *id, const char *name, const char *arguments)
{
    separate(b);
    vx_buf_printf(b,
                  "{\"role\":\"tool_calls\",\"toolCalls\":[{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":%s,"
                  "\"arguments\":%s}}],\"message\":\"\",\"time\":1722115418016,\"secondsFromStart\":12.5}",
                  id, name, arguments);
}

/* Appends an artifact.messages entry of the caller saying text. */
static void user_says(vx_buf *b, const char *text)
{
    separate(b);
    vx_buf_printf(b, "{\"role\":\"user\",\"message\":\"%s\",\"time\":1722115417016,\"secondsFromStart\":11.2}", text);
}

/* Appends the result entry of a call. */
static void result_of(vx_buf *b, const char *id, const char *name)
{
    separate(b);
    vx_buf_printf(b,
                  "{\"role\":\"tool_call_result\",\"toolCallId\":\"%s\",\"name\":\"%s\",\"result\":\"ok\",\"time\":1,"
                  "\"secondsFromStart\":13}",
                  id, name);
}

static const char *transfer_arg(const vapi_message *m, const char *name)
{
    assert_non_null(m->transfer_args);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->transfer_args, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

#define BILLING_STRING "\"{\\\"department\\\":\\\"billing\\\"}\"" /* {"department":"billing"} as a JSON string */

static void test_transfer_args_from_the_last_transfer_call(void **state)
{
    /* Two transfers asked for: the later one caused this request. Its
     * arguments are a JSON string, the earlier's an object. */
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"messages\":[{\"role\":\"system\",\"message\":\"You are the front desk.\",\"time\":1,"
                    "\"secondsFromStart\":0}");
    user_says(&b, "Can I talk to someone?");
    tool_calls_entry(&b, "call_1", "\"transferCall\"", "{\"department\":\"Medical\",\"summary\":\"first\"}");
    result_of(&b, "call_1", "transferCall");
    user_says(&b, "Actually, it is about my bill.");
    tool_calls_entry(&b, "call_2", "\"transferCall\"",
                     "\"{\\\"department\\\":\\\"billing\\\",\\\"summary\\\":\\\"Question about an invoice.\\\"}\"");
    vx_buf_puts(&b, "],\"transcript\":\"AI: Hello\\nUser: Can I talk to someone?\"");
    vapi_message m = transfer_request(b.data);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    assert_string_equal(transfer_arg(&m, "summary"), "Question about an invoice.");
    assert_string_equal(m.call_id, "c-t");
    assert_string_equal(m.assistant_id, "asst-t");
    vapi_message_free(&m);
    /* The object form, defensively; and a later call of another tool is not the transfer's. */
    vx_buf_reset(&b);
    vx_buf_puts(&b, "\"messages\":[");
    tool_calls_entry(&b, "call_1", "\"transferCall\"", "{\"department\":\"billing\"}");
    tool_calls_entry(&b, "call_2", "\"lookupCaller\"", "\"{\\\"department\\\":\\\"sales\\\"}\"");
    vx_buf_puts(&b, "]");
    m = transfer_request(b.data);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    vapi_message_free(&m);
    vx_buf_free(&b);
    /* Parallel calls in one entry: the last transferCall among them. */
    m = transfer_request("\"messages\":[{\"role\":\"tool_calls\",\"message\":\"\",\"toolCalls\":["
                         "{\"id\":\"a\",\"function\":{\"name\":\"transferCall\",\"arguments\":\"{\\\"department\\\":\\\"x\\\"}\"}},"
                         "{\"id\":\"b\",\"function\":{\"name\":\"transferCall\",\"arguments\":\"{\\\"department\\\":\\\"y\\\"}\"}},"
                         "{\"id\":\"c\",\"function\":{\"name\":\"checkAvailability\",\"arguments\":\"{}\"}}]}]");
    assert_string_equal(transfer_arg(&m, "department"), "y");
    vapi_message_free(&m);
}

static void test_transfer_args_from_openai_format(void **state)
{
    /* No transferCall in artifact.messages: messagesOpenAIFormatted's. */
    static const char *const openai =
        "\"messagesOpenAIFormatted\":[{\"role\":\"system\",\"content\":\"You are the front desk.\"},"
        "{\"role\":\"user\",\"content\":\"Billing, please.\"},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\",\"function\":{\"name\":"
        "\"transferCall\",\"arguments\":" BILLING_STRING "}}]}]";
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"messages\":[");
    user_says(&b, "Billing, please.");
    vx_buf_printf(&b, "],%s", openai);
    vapi_message m = transfer_request(b.data);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    vapi_message_free(&m);
    m = transfer_request(openai);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    vapi_message_free(&m);
    /* artifact.messages wins when it holds the call. */
    vx_buf_reset(&b);
    vx_buf_puts(&b, "\"messages\":[");
    tool_calls_entry(&b, "call_9", "\"transferCall\"", "\"{\\\"department\\\":\\\"Medical\\\"}\"");
    vx_buf_printf(&b, "],%s", openai);
    m = transfer_request(b.data);
    assert_string_equal(transfer_arg(&m, "department"), "Medical");
    vapi_message_free(&m);
    vx_buf_free(&b);
    /* Outside artifact (the legacy top-level copies) too. */
    m = parse_ok("{\"message\":{\"type\":\"transfer-destination-request\",\"messagesOpenAIFormatted\":[{\"role\":\"assistant\","
                 "\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"transferCall\",\"arguments\":" BILLING_STRING "}}]}]}}",
                 NULL);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    vapi_message_free(&m);
}

static void test_transfer_args_absent(void **state)
{
    /* No artifact, an empty conversation, one without a transferCall call
     * (a result named transferCall is not a call): no arguments, so the
     * default destination. */
    vx_buf b = VX_BUF_INIT;
    vapi_message m = transfer_request(NULL);
    assert_null(m.transfer_args);
    vapi_message_free(&m);
    m = transfer_request("\"messages\":[]");
    assert_null(m.transfer_args);
    vapi_message_free(&m);
    vx_buf_puts(&b, "\"messages\":[");
    user_says(&b, "Hi");
    tool_calls_entry(&b, "call_1", "\"lookupCaller\"", "\"{}\"");
    result_of(&b, "call_1", "transferCall");
    vx_buf_puts(&b, "],\"messagesOpenAIFormatted\":[{\"role\":\"user\",\"content\":\"Hi\"}]");
    m = transfer_request(b.data);
    assert_null(m.transfer_args);
    vapi_message_free(&m);
    /* A transferCall without arguments: an empty object. */
    m = transfer_request("\"messages\":[{\"role\":\"tool_calls\",\"toolCalls\":[{\"id\":\"x\",\"function\":"
                         "{\"name\":\"transferCall\"}}]}]");
    assert_true(cJSON_IsObject(m.transfer_args));
    assert_null(m.transfer_args->child);
    vapi_message_free(&m);
    /* Only a transfer-destination-request looks: the same conversation on another message type is not read. */
    vx_buf_reset(&b);
    vx_buf_puts(&b, "{\"message\":{\"type\":\"status-update\",\"artifact\":{\"messages\":[");
    tool_calls_entry(&b, "c", "\"transferCall\"", BILLING_STRING);
    vx_buf_puts(&b, "]}}}");
    m = parse_ok(b.data, NULL);
    assert_null(m.transfer_args);
    vapi_message_free(&m);
    vx_buf_free(&b);
}

/* The last transferCall call's arguments unusable: no department (an empty
 * object), never the earlier call's. */
static void expect_unusable_last_arguments(const char *arguments)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"messages\":[");
    tool_calls_entry(&b, "call_1", "\"transferCall\"", BILLING_STRING);
    tool_calls_entry(&b, "call_2", "\"transferCall\"", arguments);
    vx_buf_putc(&b, ']');
    vapi_message m = transfer_request(b.data);
    assert_true(cJSON_IsObject(m.transfer_args));
    assert_null(m.transfer_args->child);
    vapi_message_free(&m);
    vx_buf_free(&b);
}

static void test_transfer_args_malformed(void **state)
{
    /* Entries the search passes over: not objects, no calls, calls not an
     * array, a name that is not a string, a call that is not an object. The
     * earlier well-formed transferCall is found. */
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"messages\":[");
    tool_calls_entry(&b, "call_1", "\"transferCall\"", BILLING_STRING);
    vx_buf_puts(&b,
                ",null,7,\"tool_calls\",[],{\"role\":\"tool_calls\"},{\"role\":\"tool_calls\",\"toolCalls\":{\"id\":\"x\"}},"
                "{\"role\":\"tool_calls\",\"toolCalls\":[null,5,\"transferCall\",{\"function\":null},{\"function\":{\"name\":7}},"
                "{\"function\":{\"name\":[\"transferCall\"]}},{\"function\":{\"name\":{\"x\":\"transferCall\"}}},"
                "{\"function\":{\"name\":\"transfercall\"}}]}]");
    vapi_message m = transfer_request(b.data);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    vapi_message_free(&m);
    /* Not JSON, not an object, cut short, a string holding a string. */
    static const char *const bad[] = {"\"not json\"",       "42", "true", "[\"billing\"]", "\"[1]\"", "\"{\\\"department\\\":\"",
                                      "\"\\\"billing\\\"\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_unusable_last_arguments(bad[i]);
    /* Too large, as a string and as an object. */
    char *big = malloc(VAPI_MAX_ARGS_BYTES + 64);
    memset(big, 'a', VAPI_MAX_ARGS_BYTES + 32);
    big[VAPI_MAX_ARGS_BYTES + 32] = '\0';
    vx_buf_reset(&b);
    vx_buf_printf(&b, "\"{\\\"department\\\":\\\"%s\\\"}\"", big);
    expect_unusable_last_arguments(b.data);
    vx_buf_reset(&b);
    vx_buf_printf(&b, "{\"department\":\"%s\"}", big);
    expect_unusable_last_arguments(b.data);
    free(big);
    vx_buf_free(&b);
    /* Lists of the wrong type. */
    static const char *const odd[] = {"\"messages\":{\"role\":\"tool_calls\"}", "\"messages\":\"transferCall\"",
                                      "\"messages\":null,\"messagesOpenAIFormatted\":7"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        m = transfer_request(odd[i]);
        assert_null(m.transfer_args);
        vapi_message_free(&m);
    }
    m = parse_ok("{\"message\":{\"type\":\"transfer-destination-request\",\"artifact\":\"x\"}}", NULL);
    assert_null(m.transfer_args);
    vapi_message_free(&m);
}

/* A conversation of one transferCall call for billing followed by n entries of the caller speaking. */
static vapi_message transfer_then_talk(int n)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"messages\":[");
    tool_calls_entry(&b, "call_0", "\"transferCall\"", BILLING_STRING);
    for (int i = 0; i < n; i++)
        user_says(&b, "more");
    vx_buf_putc(&b, ']');
    vapi_message m = transfer_request(b.data);
    vx_buf_free(&b);
    return m;
}

static void test_transfer_args_bounds(void **state)
{
    /* A transferCall older than the latest VAPI_MAX_HISTORY entries is not looked for; one entry later, it is. */
    vapi_message m = transfer_then_talk(VAPI_MAX_HISTORY);
    assert_null(m.transfer_args);
    vapi_message_free(&m);
    m = transfer_then_talk(VAPI_MAX_HISTORY - 1);
    assert_string_equal(transfer_arg(&m, "department"), "billing");
    vapi_message_free(&m);
    /* In one entry, only the latest VAPI_MAX_HISTORY_CALLS calls. */
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "\"messages\":[{\"role\":\"tool_calls\",\"toolCalls\":[{\"id\":\"t\",\"function\":{\"name\":\"transferCall\","
                    "\"arguments\":\"{}\"}}");
    for (int i = 0; i < VAPI_MAX_HISTORY_CALLS; i++)
        vx_buf_puts(&b, ",{\"id\":\"o\",\"function\":{\"name\":\"lookupCaller\"}}");
    vx_buf_puts(&b, "]}]");
    m = transfer_request(b.data);
    assert_null(m.transfer_args);
    vapi_message_free(&m);
    /* A long conversation, and arguments nested within and beyond cJSON's
     * nesting limit: found, and without a department. */
    static const int depths[] = {500, 1500};
    for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
        vx_buf_reset(&b);
        vx_buf_puts(&b, "\"messages\":[");
        for (int i = 0; i < 20000; i++)
            vx_buf_puts(&b, i ? ",{}" : "{}");
        vx_buf_puts(&b, ",{\"role\":\"tool_calls\",\"toolCalls\":[{\"id\":\"n\",\"function\":{\"name\":\"transferCall\","
                        "\"arguments\":\"");
        for (int i = 0; i < depths[d]; i++)
            vx_buf_puts(&b, "{\\\"a\\\":");
        vx_buf_puts(&b, "1");
        for (int i = 0; i < depths[d]; i++)
            vx_buf_puts(&b, "}");
        vx_buf_puts(&b, "\"}}]}]");
        m = transfer_request(b.data);
        assert_non_null(m.transfer_args);
        assert_null(transfer_arg(&m, "department"));
        vapi_message_free(&m);
    }
    vx_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tool_call_list_with_object_arguments),
        cmocka_unit_test(test_arguments_as_json_string),
        cmocka_unit_test(test_falls_back_to_tool_calls_then_wrapped_list),
        cmocka_unit_test(test_name_and_parameters_fallbacks),
        cmocka_unit_test(test_several_calls_keep_their_order),
        cmocka_unit_test(test_function_call_legacy),
        cmocka_unit_test(test_per_tool_route),
        cmocka_unit_test(test_other_message_types),
        cmocka_unit_test(test_identity_fallbacks_and_validation),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_large_arguments),
        cmocka_unit_test(test_arguments_that_are_not_objects),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_transfer_args_from_the_last_transfer_call),
        cmocka_unit_test(test_transfer_args_from_openai_format),
        cmocka_unit_test(test_transfer_args_absent),
        cmocka_unit_test(test_transfer_args_malformed),
        cmocka_unit_test(test_transfer_args_bounds),
    };
    return cmocka_run_group_tests_name("vapi_message", tests, NULL, NULL);
}
