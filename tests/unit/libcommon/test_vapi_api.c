/*
 * Unit tests for libcommon/vx_vapi_api.c's checks that
 * need no Vapi: which ids may go into a URL (vx_vapi_api_id_valid), that a
 * delete with any other id is refused before a request, and that without
 * VAPI_PRIVATE_KEY every call fails at once (logged "VAPI_PRIVATE_KEY is not
 * set"; the base URL points at a port nothing listens on, so a request would
 * have failed too — the id left empty shows none was read); and that a list
 * of calls is asked only with well-formed bounds, and a call only with its
 * assistant, number id and customer. The assistant and tool functions refuse
 * a malformed id or a body that is not an object without a request, and tell
 * "nobody answered" (UNAVAILABLE) from the rest. The pure model merge of
 * fetch-merge-patch (vx_vapi_api_model_merge) and the native tool rule
 * (vx_vapi_api_tool_type_native) are proven here whole. The requests
 * themselves are proven against tests/fakes/vapi_api in
 * tests/integration/credential-vault/clients/, for GET /call
 * tests/integration/webhook-ingest/test_reconcile.c, for POST /call
 * tests/integration/dashboard-api/test_contact_call.c, and for assistants and
 * tools tests/integration/libcommon/test_vapi_api_assistants.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vx_vapi_api.h"

static void test_id_valid(void **state)
{
    assert_true(vx_vapi_api_id_valid("5b2b7a6e-0c1d-4c53-8d9a-2f1e3c4b5a69"));
    assert_true(vx_vapi_api_id_valid("a"));
    assert_true(vx_vapi_api_id_valid("ABCxyz019-"));
    char max[VX_VAPI_API_ID_MAX + 2];
    memset(max, 'a', VX_VAPI_API_ID_MAX);
    max[VX_VAPI_API_ID_MAX] = '\0';
    assert_true(vx_vapi_api_id_valid(max));
    max[VX_VAPI_API_ID_MAX] = 'a';
    max[VX_VAPI_API_ID_MAX + 1] = '\0';
    assert_false(vx_vapi_api_id_valid(max)); /* 101 characters */
    /* Anything that could change the URL's meaning, and the empty id. */
    const char *bad[] = {"", "..", "a/b", "a?b", "a#b", "a%2Fb", "a b", "a\tb", "a_b", "a.b", "é", "a\nb", "/", "a&b=c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vx_vapi_api_id_valid(bad[i]))
            fail_msg("\"%s\" must not be a valid id", bad[i]);
    assert_false(vx_vapi_api_id_valid(NULL));
}

static const vx_vapi_api_config NO_SERVER = {"http://127.0.0.1:9", "key", 200};

static void test_delete_refuses_a_bad_id_without_a_request(void **state)
{
    /* NO_SERVER would give VX_VAPI_API_ERROR if anything were sent. */
    assert_int_equal(vx_vapi_api_delete_credential(&NO_SERVER, "../assistant/x", "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_phone_number(&NO_SERVER, "", "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_phone_number(&NO_SERVER, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_phone_number(&NO_SERVER, "abc", "rid", NULL), VX_VAPI_API_ERROR); /* sent: nobody there */
}

static void test_without_a_key_every_call_fails(void **state)
{
    const char *keys[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        vx_vapi_api_config c = {"http://127.0.0.1:9", keys[i], 200};
        char id[VX_VAPI_API_ID_MAX + 1] = "stale";
        assert_int_equal(vx_vapi_api_create_twilio_credential(&c, "AC1", "t", "n", id, "rid", NULL), VX_VAPI_API_ERROR);
        assert_string_equal(id, "");
        strcpy(id, "stale");
        assert_int_equal(
            vx_vapi_api_import_twilio_number(&c, "+15551234567", "AC1", "t", "n", "https://x/vapi", NULL, id, "rid", NULL),
            VX_VAPI_API_ERROR);
        assert_string_equal(id, "");
        assert_int_equal(vx_vapi_api_delete_credential(&c, "abc", "rid", NULL), VX_VAPI_API_ERROR);
        assert_int_equal(vx_vapi_api_delete_phone_number(&c, "abc", "rid", NULL), VX_VAPI_API_ERROR);
    }
}

/* GET /call: no key, or a bound that is not an instant, fails before any request. */
static void test_list_calls_checks_before_a_request(void **state)
{
    cJSON *calls = (cJSON *)&calls; /* must be reset to NULL */
    vx_vapi_api_config nokey = {"http://127.0.0.1:9", "", 200};
    assert_int_equal(vx_vapi_api_list_calls(&nokey, "2024-07-26T22:20:57.931Z", NULL, 100, &calls, "rid"), VX_VAPI_API_ERROR);
    assert_null(calls);
    const char *bad[] = {"", "2024-07-26T22:20:57Z&limit=1000", "2024-07-26 22:20:57", "2024/07/26", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        calls = (cJSON *)&calls;
        assert_int_equal(vx_vapi_api_list_calls(&NO_SERVER, bad[i], NULL, 100, &calls, "rid"), VX_VAPI_API_REJECTED);
        assert_null(calls);
        if (bad[i] != NULL)
            assert_int_equal(vx_vapi_api_list_calls(&NO_SERVER, "2024-07-26T22:20:57.931Z", bad[i], 100, &calls, "rid"),
                             VX_VAPI_API_REJECTED);
    }
    /* Well-formed (an offset's '+' included): sent, and nobody is there. */
    assert_int_equal(
        vx_vapi_api_list_calls(&NO_SERVER, "2024-07-26T22:20:57+02:00", "2024-07-27T00:00:00.000Z", 5000, &calls, "rid"),
        VX_VAPI_API_ERROR);
    assert_null(calls);
}

/* POST /call: no key, or a missing id or number, fails before any request (http_status 0, no id). */
static void test_create_call_checks_before_a_request(void **state)
{
    vx_vapi_api_call call;
    memset(&call, 'x', sizeof(call));
    vx_vapi_api_config nokey = {"http://127.0.0.1:9", NULL, 200};
    assert_int_equal(vx_vapi_api_create_call(&nokey, "asst", "pn", "+15551234567", "Ann", &call, "rid", NULL), VX_VAPI_API_ERROR);
    assert_string_equal(call.id, "");
    assert_int_equal(call.http_status, 0);
    assert_int_equal(call.retry_after_s, 0);
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, NULL, "pn", "+15551234567", NULL, &call, "rid", NULL),
                     VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, "asst", "", "+15551234567", NULL, &call, "rid", NULL),
                     VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, "asst", "pn", NULL, NULL, &call, "rid", NULL), VX_VAPI_API_REJECTED);
    /* Complete: sent, and nobody is there — no answer, so http_status 0. */
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, "asst", "pn", "+15551234567", "Ann", &call, "rid", NULL),
                     VX_VAPI_API_ERROR);
    assert_int_equal(call.http_status, 0);
    assert_string_equal(call.id, "");
}

/* Assistants and tools: no key is ERROR, a bad id or body REJECTED, both without a request; sent to nobody: UNAVAILABLE. */
static void test_assistant_and_tool_checks_before_a_request(void **state)
{
    vx_vapi_api_config nokey = {"http://127.0.0.1:9", "", 200};
    cJSON *body = cJSON_Parse("{\"type\":\"function\",\"function\":{\"name\":\"x\"}}");
    cJSON *array = cJSON_CreateArray();
    char id[VX_VAPI_API_ID_MAX + 1] = "stale";
    cJSON *out = (cJSON *)&out; /* must be reset to NULL */
    vx_vapi_api_answer answer = {7, 7};
    assert_int_equal(vx_vapi_api_create_tool(&nokey, body, id, &out, &answer, "rid", NULL), VX_VAPI_API_ERROR);
    assert_string_equal(id, "");
    assert_null(out);
    assert_int_equal(answer.http_status, 0);
    assert_int_equal(answer.retry_after_s, 0);
    out = (cJSON *)&out;
    assert_int_equal(vx_vapi_api_get_assistant(&nokey, "abc", &out, NULL, "rid", NULL), VX_VAPI_API_ERROR);
    assert_null(out);
    assert_int_equal(vx_vapi_api_list_tools(&nokey, 10, &out, NULL, "rid"), VX_VAPI_API_ERROR);
    /* A malformed id or a body that is not an object: refused (NO_SERVER would say UNAVAILABLE if anything were sent). */
    assert_int_equal(vx_vapi_api_get_assistant(&NO_SERVER, "../tool/x", &out, &answer, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_patch_assistant(&NO_SERVER, "", body, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_patch_tool(&NO_SERVER, NULL, body, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_tool(&NO_SERVER, "a/b", NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_assistant(&NO_SERVER, "a?b", NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_assistant(&NO_SERVER, NULL, id, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_tool(&NO_SERVER, array, id, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_patch_assistant(&NO_SERVER, "abc", NULL, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_null(out);
    /* Well-formed: sent, and nobody is there — no answer, so UNAVAILABLE with http_status 0. */
    answer.http_status = 7;
    assert_int_equal(vx_vapi_api_create_tool(&NO_SERVER, body, id, &out, &answer, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(answer.http_status, 0);
    assert_string_equal(id, "");
    assert_null(out);
    assert_int_equal(vx_vapi_api_get_tool(&NO_SERVER, "abc", &out, NULL, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(vx_vapi_api_patch_tool(&NO_SERVER, "abc", body, NULL, NULL, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(vx_vapi_api_list_assistants(&NO_SERVER, 0, &out, NULL, "rid"), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(vx_vapi_api_delete_assistant(&NO_SERVER, "abc", NULL, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    /* The caller's body is never changed (a tool's PATCH leaves "type" out of a copy). */
    char *printed = cJSON_PrintUnformatted(body);
    assert_string_equal(printed, "{\"type\":\"function\",\"function\":{\"name\":\"x\"}}");
    cJSON_free(printed);
    cJSON_Delete(body);
    cJSON_Delete(array);
}

static void test_tool_type_native(void **state)
{
    const char *native[] = {"google.calendar.event.create",
                            "google.calendar.availability.check",
                            "google.sheets.row.append",
                            "slack.message.send",
                            "gohighlevel.calendar.event.create",
                            "gohighlevel.contact.get",
                            "microsoft.outlook.event.create",
                            "make",
                            "ghl"};
    for (size_t i = 0; i < sizeof(native) / sizeof(native[0]); i++)
        if (!vx_vapi_api_tool_type_native(native[i]))
            fail_msg("%s must be native", native[i]);
    const char *ours[] = {"function", "transferCall", "endCall", "dtmf", "query", "mcp", "apiRequest", "", "maker", "google"};
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if (vx_vapi_api_tool_type_native(ours[i]))
            fail_msg("%s must not be native", ours[i]);
    assert_false(vx_vapi_api_tool_type_native(NULL));
}

/* Merges text (a model as JSON, or NULL) and compares the result with want (JSON, compared as cJSON). */
static void merge_is(const char *text, const char *provider, const char *model, const char *prompt, const char *const *ours,
                     const char *const *drop, const char *want)
{
    cJSON *existing = text != NULL ? cJSON_Parse(text) : NULL;
    if (text != NULL)
        assert_non_null(existing);
    char *before = existing != NULL ? cJSON_PrintUnformatted(existing) : NULL;
    cJSON *got = vx_vapi_api_model_merge(existing, provider, model, prompt, ours, drop);
    cJSON *expected = cJSON_Parse(want);
    assert_non_null(expected);
    if (!cJSON_Compare(got, expected, true)) {
        char *g = cJSON_PrintUnformatted(got);
        fail_msg("merged %s\n got  %s\n want %s", text != NULL ? text : "NULL", g, want);
    }
    if (existing != NULL) { /* the GET answer is left as it was */
        char *after = cJSON_PrintUnformatted(existing);
        assert_string_equal(before, after);
        cJSON_free(after);
    }
    cJSON_free(before);
    cJSON_Delete(existing);
    cJSON_Delete(got);
    cJSON_Delete(expected);
}

static void test_model_merge(void **state)
{
    const char *ours[] = {"t-book", "t-find", "t-transfer", NULL};
    const char *drop[] = {"t-old-book", "t-native-cal", NULL};
    /* Everything we do not own survives: provider, model, temperature, knowledge base, other messages, a
     * tool id someone else linked, an inline function tool; the native inline tools and the dropped ids go;
     * our ids come last, each once; the system prompt is replaced in place. */
    merge_is("{\"provider\":\"anthropic\",\"model\":\"claude-x\",\"temperature\":0.2,\"knowledgeBaseId\":\"kb1\","
             "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"system\",\"content\":\"old\"},"
             "{\"role\":\"system\",\"content\":\"second\"}],"
             "\"toolIds\":[\"t-other\",\"t-old-book\",\"t-find\",\"t-native-cal\",\"t-other\"],"
             "\"tools\":[{\"type\":\"google.calendar.event.create\"},{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
             "{\"type\":\"google.calendar.availability.check\"},{\"type\":\"endCall\"},{\"type\":\"gohighlevel.contact.get\"}]}",
             "openai", "gpt-4o", "new prompt", ours, drop,
             "{\"provider\":\"anthropic\",\"model\":\"claude-x\",\"temperature\":0.2,\"knowledgeBaseId\":\"kb1\","
             "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"system\",\"content\":\"new prompt\"},"
             "{\"role\":\"system\",\"content\":\"second\"}],"
             "\"toolIds\":[\"t-other\",\"t-book\",\"t-find\",\"t-transfer\"],"
             "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},{\"type\":\"endCall\"}]}");
    /* No model yet (a new assistant, or one made without): the defaults, our prompt first, our ids. */
    merge_is(NULL, "openai", "gpt-4o", "p", ours, NULL,
             "{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"p\"}],"
             "\"toolIds\":[\"t-book\",\"t-find\",\"t-transfer\"]}");
    /* No system message: one is put first; the deprecated systemPrompt goes; a bad provider is replaced. */
    merge_is("{\"provider\":5,\"model\":\"m\",\"systemPrompt\":\"old\",\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}]}",
             "openai", NULL, "p", NULL, NULL,
             "{\"model\":\"m\",\"provider\":\"openai\",\"messages\":[{\"role\":\"system\",\"content\":\"p\"},"
             "{\"role\":\"assistant\",\"content\":\"a\"}]}");
    /* No prompt given: messages and systemPrompt untouched; no toolIds before and none now: none added;
     * only natives inline: an empty tools array is kept (Vapi takes it). */
    merge_is("{\"provider\":\"openai\",\"model\":\"m\",\"systemPrompt\":\"s\",\"tools\":[{\"type\":\"make\"}]}", NULL, NULL, NULL,
             NULL, NULL, "{\"provider\":\"openai\",\"model\":\"m\",\"systemPrompt\":\"s\",\"tools\":[]}");
    /* Every old id dropped: an empty toolIds is sent (the old ones must go). */
    merge_is("{\"provider\":\"openai\",\"model\":\"m\",\"toolIds\":[\"t-old-book\"]}", NULL, NULL, NULL, NULL, drop,
             "{\"provider\":\"openai\",\"model\":\"m\",\"toolIds\":[]}");
    /* Not an object: treated as none. */
    merge_is("[1]", "openai", "gpt-4o", NULL, NULL, NULL, "{\"provider\":\"openai\",\"model\":\"gpt-4o\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_delete_refuses_a_bad_id_without_a_request),
        cmocka_unit_test(test_without_a_key_every_call_fails),
        cmocka_unit_test(test_list_calls_checks_before_a_request),
        cmocka_unit_test(test_create_call_checks_before_a_request),
        cmocka_unit_test(test_assistant_and_tool_checks_before_a_request),
        cmocka_unit_test(test_tool_type_native),
        cmocka_unit_test(test_model_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
