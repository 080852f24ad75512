/*
 * test_vapi_api_assistants: libcommon/vx_vapi_api.c's assistant and tool
 * functions against tests/fakes/vapi_api (contracts/vapi.md §4.1, §4.2,
 * §4.6), started as a process on a free port — and the fake itself, since
 * tool-sync's correctness will be judged against it.
 *
 * Proves:
 *   - an assistant round trip: create (201, every field sent comes back,
 *     with id, orgId, createdAt, updatedAt), get, patch of top-level fields
 *     (the rest kept), list newest first with its limit, delete, then
 *     NOT_FOUND for get, patch and delete;
 *   - the fake's PATCH replaces "model" whole: {"model":{"provider","model"}}
 *     drops messages, toolIds, tools, temperature; fields it does not model
 *     (seeded through /_fake/assistants) are kept;
 *   - fetch-merge-patch with vx_vapi_api_model_merge on that fake: after
 *     GET, merge and PATCH of the model, everything we do not own is still
 *     there, our system prompt and tools are in, and the native calendar
 *     tools (inline, and one linked by id, found by GET /tool/{id}) are gone;
 *   - tools: function and transferCall (no destinations) created; a bad
 *     function name, an unknown property, an unknown type REJECTED; a PATCH
 *     given the whole definition (type included) is OK since the client
 *     leaves type out, while the fake refuses a raw PATCH with type (400
 *     "property type should not exist"); list with limit, delete, NOT_FOUND;
 *     an assistant linking a tool that does not exist is REJECTED;
 *   - outcomes a retrying caller needs: 429 with Retry-After → RATE_LIMITED
 *     with the seconds (and without → 0); 500/502 → UNAVAILABLE with the
 *     status; an answer later than the timeout → UNAVAILABLE with no status;
 *     down mode → UNAVAILABLE (503) on every function until /_fake/up, and
 *     until its time has passed; a wrong key → REJECTED (401); nothing is
 *     created by a failed call;
 *   - the fake's counts: every call by method and path template, and those
 *     answered 2xx;
 *   - no secret in the client's logs (a tool's server header, the key).
 * The fake stops cleanly on SIGTERM (exit 0, leak-free under ASan).
 *
 * Environment: FAKES_DIR (tests/run-all.sh), run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vt.h"
#include "vx_secret.h"
#include "vx_vapi_api.h"

#define KEY        "vapi-private-key-for-assistant-tests"
#define TIMEOUT_MS 3000
#define SECRET     "x-platform-secret-value-0123456789"
#define TOOLS_URL  "https://voxanne.example.com/vapi/tools"

static struct {
    pid_t pid;
    char url[64];
} F;

static vx_vapi_api_config cfg(void)
{
    return (vx_vapi_api_config){F.url, KEY, TIMEOUT_MS};
}

static int setup(void **state)
{
    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof(env_port), "VAPI_API_FAKE_PORT=%d", port);
    const char *env[] = {env_port, "VAPI_API_FAKE_KEY=" KEY, NULL};
    F.pid = vt_spawn("vapi_api", "vapi_api_fake_assistants", env);
    snprintf(F.url, sizeof(F.url), "http://127.0.0.1:%d", port);
    char ready[128];
    snprintf(ready, sizeof(ready), "%s/_fake/state", F.url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the vapi_api fake did not start (see the vapi_api_fake_assistants log)");
    return 0;
}

static int teardown(void **state)
{
    int rc = vt_stop(F.pid, SIGTERM, 8000);
    VT_REQUIRE(rc == 0, "the vapi_api fake did not stop cleanly (see the vapi_api_fake_assistants log)");
    return 0;
}

static int reset(void **state)
{
    vt_fake_post(F.url, "/_fake/reset", "{}");
    return 0;
}

static cJSON *parse(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    VT_REQUIRE(j != NULL, "a test's JSON does not parse");
    return j;
}

static const char *jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The fake's state[group][key] as a number (0 when absent). */
static int state_count(const char *group, const char *key)
{
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, group), key);
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(s);
    return n;
}

static int state_size(const char *key)
{
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, key));
    cJSON_Delete(s);
    return n;
}

/* One of our function tools, as tool-sync would define it. */
static cJSON *function_tool(const char *name, const char *description)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"type\":\"function\",\"async\":false,\"function\":{\"name\":\"%s\",\"description\":\"%s\","
             "\"parameters\":{\"type\":\"object\",\"properties\":{\"date\":{\"type\":\"string\"}},\"required\":[\"date\"]}},"
             "\"server\":{\"url\":\"" TOOLS_URL "\",\"timeoutSeconds\":20,\"headers\":{\"X-Platform-Secret\":\"" SECRET "\"}},"
             "\"messages\":[{\"type\":\"request-start\",\"content\":\"One moment.\"}]}",
             name, description);
    return parse(text);
}

static void create_tool_ok(const cJSON *tool, char id[VX_VAPI_API_ID_MAX + 1])
{
    vx_vapi_api_config c = cfg();
    assert_int_equal(vx_vapi_api_create_tool(&c, tool, id, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    assert_true(vx_vapi_api_id_valid(id));
}

/* A raw call with the right key, for what the client never sends. */
static long raw(const char *method, const char *path, const char *body, char **answer)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", F.url, path);
    const char *headers[] = {"Authorization: Bearer " KEY, "Content-Type: application/json", NULL};
    vt_response r = vt_http(method, url, headers, body, body != NULL ? strlen(body) : 0);
    long status = r.status;
    if (answer != NULL)
        *answer = strdup(r.body != NULL ? r.body : "");
    vt_response_free(&r);
    return status;
}

/* Each member of sent is in got, equal. */
static void has_all(const cJSON *got, const cJSON *sent)
{
    for (const cJSON *m = sent->child; m != NULL; m = m->next)
        if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(got, m->string), m, true))
            fail_msg("field %s did not come back as sent", m->string);
}

static void test_assistant_round_trip(void **state)
{
    vx_vapi_api_config c = cfg();
    cJSON *tool = function_tool("book_slot", "Book an appointment");
    char tool_id[VX_VAPI_API_ID_MAX + 1];
    create_tool_ok(tool, tool_id);
    char text[2048];
    snprintf(text, sizeof(text),
             "{\"name\":\"Acme Clinic\",\"firstMessage\":\"Hello, Acme Clinic.\","
             "\"voice\":{\"provider\":\"11labs\",\"voiceId\":\"sarah\"},\"transcriber\":{\"provider\":\"deepgram\",\"model\":"
             "\"nova-2\"},"
             "\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"temperature\":0.3,"
             "\"messages\":[{\"role\":\"system\",\"content\":\"You are the receptionist.\"}],\"toolIds\":[\"%s\"],"
             "\"tools\":[{\"type\":\"endCall\"}]},"
             "\"server\":{\"url\":\"https://voxanne.example.com/vapi/events\",\"credentialId\":\"cred-1\",\"timeoutSeconds\":20},"
             "\"serverMessages\":[\"tool-calls\",\"end-of-call-report\",\"status-update\",\"transfer-destination-request\"],"
             "\"metadata\":{\"orgId\":\"org-1\"},\"analysisPlan\":{\"summaryPlan\":{\"enabled\":true}},\"maxDurationSeconds\":900}",
             tool_id);
    cJSON *sent = parse(text);
    char id[VX_VAPI_API_ID_MAX + 1];
    cJSON *created = NULL;
    vx_vapi_api_answer answer;
    assert_int_equal(vx_vapi_api_create_assistant(&c, sent, id, &created, &answer, "rid", "org-1"), VX_VAPI_API_OK);
    assert_int_equal(answer.http_status, 201);
    assert_true(vx_vapi_api_id_valid(id));
    assert_string_equal(jstr(created, "id"), id);
    assert_non_null(jstr(created, "orgId"));
    assert_non_null(jstr(created, "createdAt"));
    assert_non_null(jstr(created, "updatedAt"));
    has_all(created, sent);

    cJSON *got = NULL;
    assert_int_equal(vx_vapi_api_get_assistant(&c, id, &got, &answer, "rid", "org-1"), VX_VAPI_API_OK);
    assert_int_equal(answer.http_status, 200);
    assert_true(cJSON_Compare(got, created, true));

    /* Top-level fields replace theirs; every other field, the model included, is kept. */
    cJSON *change = parse("{\"name\":\"Acme Dental\",\"firstMessage\":\"Hi, Acme Dental.\"}");
    cJSON *updated = NULL;
    assert_int_equal(vx_vapi_api_patch_assistant(&c, id, change, &updated, &answer, "rid", "org-1"), VX_VAPI_API_OK);
    assert_int_equal(answer.http_status, 200);
    has_all(updated, change);
    for (const cJSON *m = sent->child; m != NULL; m = m->next)
        if (strcmp(m->string, "name") != 0 && strcmp(m->string, "firstMessage") != 0)
            assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(updated, m->string), m, true));
    vx_secret_json_delete(got);
    got = NULL;
    assert_int_equal(vx_vapi_api_get_assistant(&c, id, &got, NULL, "rid", "org-1"), VX_VAPI_API_OK);
    assert_true(cJSON_Compare(got, updated, true));

    /* A second one: the list is newest first and keeps to its limit. */
    cJSON *other = parse("{\"name\":\"Other\"}");
    char id2[VX_VAPI_API_ID_MAX + 1];
    assert_int_equal(vx_vapi_api_create_assistant(&c, other, id2, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    cJSON *list = NULL;
    assert_int_equal(vx_vapi_api_list_assistants(&c, 1, &list, NULL, "rid"), VX_VAPI_API_OK);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_string_equal(jstr(cJSON_GetArrayItem(list, 0), "id"), id2);
    cJSON_Delete(list);
    assert_int_equal(vx_vapi_api_list_assistants(&c, 100, &list, NULL, "rid"), VX_VAPI_API_OK);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(jstr(cJSON_GetArrayItem(list, 1), "id"), id);
    cJSON_Delete(list);

    /* Deleted: gone for every function, which says NOT_FOUND. */
    assert_int_equal(vx_vapi_api_delete_assistant(&c, id, &answer, "rid", "org-1"), VX_VAPI_API_OK);
    assert_int_equal(vx_vapi_api_delete_assistant(&c, id, &answer, "rid", "org-1"), VX_VAPI_API_NOT_FOUND);
    assert_int_equal(answer.http_status, 404);
    cJSON *none = (cJSON *)&none;
    assert_int_equal(vx_vapi_api_get_assistant(&c, id, &none, NULL, "rid", "org-1"), VX_VAPI_API_NOT_FOUND);
    assert_null(none);
    assert_int_equal(vx_vapi_api_patch_assistant(&c, id, change, &none, NULL, "rid", "org-1"), VX_VAPI_API_NOT_FOUND);
    assert_null(none);
    assert_int_equal(state_size("assistants"), 1);
    assert_int_equal(state_count("deleted", "assistants"), 1);

    /* A tool id that names no tool is refused, and so is a property Vapi does not know. */
    cJSON *dangling = parse("{\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"toolIds\":[\"0000-nope\"]}}");
    cJSON *unknown = parse("{\"name\":\"x\",\"systemPrompt\":\"top-level is not a field\"}");
    assert_int_equal(vx_vapi_api_patch_assistant(&c, id2, dangling, NULL, &answer, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(answer.http_status, 400);
    assert_int_equal(vx_vapi_api_create_assistant(&c, unknown, id, NULL, &answer, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(answer.http_status, 400);
    assert_string_equal(id, "");
    char *body = NULL;
    assert_int_equal(raw("POST", "/assistant", "{\"name\":\"x\",\"systemPrompt\":\"p\"}", &body), 400);
    assert_non_null(strstr(body, "property systemPrompt should not exist"));
    free(body);

    cJSON_Delete(dangling);
    cJSON_Delete(unknown);
    cJSON_Delete(other);
    cJSON_Delete(change);
    vx_secret_json_delete(updated);
    vx_secret_json_delete(got);
    vx_secret_json_delete(created);
    cJSON_Delete(sent);
    cJSON_Delete(tool);
}

/* An assistant as made elsewhere: a model with everything, fields we do not own, native calendar tools. */
static void seed_assistant(const char *id, const char *our_tool, const char *native_tool, const char *their_tool)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "{\"id\":\"%s\",\"name\":\"Seeded\",\"voice\":{\"provider\":\"11labs\",\"voiceId\":\"v1\",\"stability\":0.5},"
             "\"voicemailMessage\":\"Please call back.\",\"metadata\":{\"owner\":\"ops\"},"
             "\"futureField\":{\"kept\":true},"
             "\"model\":{\"provider\":\"anthropic\",\"model\":\"claude-3-5-sonnet\",\"temperature\":0.7,\"maxTokens\":300,"
             "\"knowledgeBaseId\":\"kb-1\",\"messages\":[{\"role\":\"system\",\"content\":\"old prompt\"},"
             "{\"role\":\"assistant\",\"content\":\"example turn\"}],\"toolIds\":[\"%s\",\"%s\",\"%s\"],"
             "\"tools\":[{\"type\":\"google.calendar.event.create\"},{\"type\":\"function\",\"function\":{\"name\":\"theirs\"}},"
             "{\"type\":\"google.calendar.availability.check\"}]}}",
             id, their_tool, native_tool, our_tool);
    char url[128];
    snprintf(url, sizeof(url), "%s/_fake/assistants", F.url);
    vt_http_post_expect(url, text, 201);
}

static void test_patch_replaces_the_model_whole(void **state)
{
    vx_vapi_api_config c = cfg();
    char ours[VX_VAPI_API_ID_MAX + 1], theirs[VX_VAPI_API_ID_MAX + 1], native[VX_VAPI_API_ID_MAX + 1];
    cJSON *t = function_tool("find_slots", "Find free slots");
    create_tool_ok(t, ours);
    cJSON *their_tool = function_tool("their_tool", "Someone else's");
    create_tool_ok(their_tool, theirs);
    cJSON *native_def = parse("{\"type\":\"google.calendar.event.create\"}");
    create_tool_ok(native_def, native);
    const char *id = "5b2b7a6e-0c1d-4c53-8d9a-2f1e3c4b5a69";
    seed_assistant(id, ours, native, theirs);

    /* The naive PATCH the contract warns about: the model is replaced, not merged. */
    cJSON *naive = parse("{\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o\"}}");
    assert_int_equal(vx_vapi_api_patch_assistant(&c, id, naive, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    cJSON *got = NULL;
    assert_int_equal(vx_vapi_api_get_assistant(&c, id, &got, NULL, "rid", NULL), VX_VAPI_API_OK);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(got, "model");
    assert_true(cJSON_Compare(model, cJSON_GetObjectItemCaseSensitive(naive, "model"), true)); /* messages, toolIds… gone */
    assert_string_equal(jstr(got, "voicemailMessage"), "Please call back.");                   /* other fields kept */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(got, "futureField"));
    vx_secret_json_delete(got);

    /* Fetch-merge-patch, as tool-sync does it: GET, merge, PATCH the whole model. */
    seed_assistant(id, ours, native, theirs);
    got = NULL;
    assert_int_equal(vx_vapi_api_get_assistant(&c, id, &got, NULL, "rid", NULL), VX_VAPI_API_OK);
    /* A linked id of a tool we did not make: GET /tool/{id} tells a native one. */
    const char *drop[2] = {NULL, NULL};
    const cJSON *tid;
    cJSON_ArrayForEach(tid, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(got, "model"), "toolIds"))
    {
        if (strcmp(tid->valuestring, ours) == 0)
            continue;
        cJSON *linked = NULL;
        assert_int_equal(vx_vapi_api_get_tool(&c, tid->valuestring, &linked, NULL, "rid", NULL), VX_VAPI_API_OK);
        if (vx_vapi_api_tool_type_native(jstr(linked, "type")))
            drop[0] = tid->valuestring;
        vx_secret_json_delete(linked);
    }
    assert_non_null(drop[0]);
    assert_string_equal(drop[0], native);
    const char *our_ids[] = {ours, NULL};
    cJSON *merged =
        vx_vapi_api_model_merge(cJSON_GetObjectItemCaseSensitive(got, "model"), "openai", "gpt-4o", "new prompt", our_ids, drop);
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddItemToObject(patch, "model", merged);
    assert_int_equal(vx_vapi_api_patch_assistant(&c, id, patch, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    cJSON *after = NULL;
    assert_int_equal(vx_vapi_api_get_assistant(&c, id, &after, NULL, "rid", NULL), VX_VAPI_API_OK);
    cJSON *want = parse("{\"provider\":\"anthropic\",\"model\":\"claude-3-5-sonnet\",\"temperature\":0.7,\"maxTokens\":300,"
                        "\"knowledgeBaseId\":\"kb-1\",\"messages\":[{\"role\":\"system\",\"content\":\"new prompt\"},"
                        "{\"role\":\"assistant\",\"content\":\"example turn\"}],"
                        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"theirs\"}}]}");
    cJSON *ids = cJSON_CreateArray();
    cJSON_AddItemToArray(ids, cJSON_CreateString(theirs));
    cJSON_AddItemToArray(ids, cJSON_CreateString(ours));
    cJSON_AddItemToObject(want, "toolIds", ids);
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(after, "model"), want, true));
    /* Everything outside the model as it was. */
    for (const cJSON *m = got->child; m != NULL; m = m->next)
        if (strcmp(m->string, "model") != 0 && strcmp(m->string, "updatedAt") != 0)
            assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(after, m->string), m, true));

    cJSON_Delete(want);
    vx_secret_json_delete(after);
    cJSON_Delete(patch);
    vx_secret_json_delete(got);
    cJSON_Delete(naive);
    cJSON_Delete(native_def);
    cJSON_Delete(their_tool);
    cJSON_Delete(t);
}

static void test_tools(void **state)
{
    vx_vapi_api_config c = cfg();
    cJSON *book = function_tool("book_slot", "Book an appointment");
    char id[VX_VAPI_API_ID_MAX + 1], transfer_id[VX_VAPI_API_ID_MAX + 1];
    cJSON *created = NULL;
    vx_vapi_api_answer answer;
    assert_int_equal(vx_vapi_api_create_tool(&c, book, id, &created, &answer, "rid", NULL), VX_VAPI_API_OK);
    assert_int_equal(answer.http_status, 201);
    has_all(created, book);
    assert_string_equal(jstr(created, "id"), id);
    cJSON *transfer =
        parse("{\"type\":\"transferCall\",\"messages\":[{\"type\":\"request-start\",\"content\":\"Transferring.\"}]}");
    create_tool_ok(transfer, transfer_id);

    /* Refused: a name Vapi's pattern does not take, an unknown property, an unknown type, no type. */
    const char *bad[] = {"{\"type\":\"function\",\"function\":{\"name\":\"book slot\"}}",
                         "{\"type\":\"function\",\"function\":{\"name\":\"x\"},\"colour\":\"red\"}", "{\"type\":\"teleport\"}",
                         "{\"function\":{\"name\":\"x\"}}",
                         "{\"type\":\"function\",\"function\":{\"name\":\"x\",\"parameters\":{\"type\":\"array\"}}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *b = parse(bad[i]);
        char none[VX_VAPI_API_ID_MAX + 1];
        if (vx_vapi_api_create_tool(&c, b, none, NULL, &answer, "rid", NULL) != VX_VAPI_API_REJECTED || answer.http_status != 400)
            fail_msg("%s was not refused with a 400", bad[i]);
        cJSON_Delete(b);
    }

    /* A changed definition, given whole (type included): the client leaves type out, the fake takes it. */
    cJSON *changed = function_tool("book_slot", "Book an appointment (v2)");
    cJSON *updated = NULL;
    assert_int_equal(vx_vapi_api_patch_tool(&c, id, changed, &updated, &answer, "rid", NULL), VX_VAPI_API_OK);
    assert_int_equal(answer.http_status, 200);
    has_all(updated, changed);
    cJSON *got = NULL;
    assert_int_equal(vx_vapi_api_get_tool(&c, id, &got, NULL, "rid", NULL), VX_VAPI_API_OK);
    assert_true(cJSON_Compare(got, updated, true));
    char path[128], *body = NULL;
    snprintf(path, sizeof(path), "/tool/%s", id);
    assert_int_equal(raw("PATCH", path, "{\"type\":\"function\"}", &body), 400);
    assert_non_null(strstr(body, "property type should not exist"));
    free(body);
    /* PATCH replaces nested objects whole here too: a function without parameters has none after. */
    cJSON *bare = parse("{\"function\":{\"name\":\"book_slot\"}}");
    vx_secret_json_delete(updated);
    assert_int_equal(vx_vapi_api_patch_tool(&c, id, bare, &updated, NULL, "rid", NULL), VX_VAPI_API_OK);
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(updated, "function"),
                              cJSON_GetObjectItemCaseSensitive(bare, "function"), true));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(updated, "server"));

    cJSON *list = NULL;
    assert_int_equal(vx_vapi_api_list_tools(&c, 1, &list, NULL, "rid"), VX_VAPI_API_OK);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_string_equal(jstr(cJSON_GetArrayItem(list, 0), "id"), transfer_id);
    cJSON_Delete(list);
    assert_int_equal(vx_vapi_api_list_tools(&c, 1000, &list, NULL, "rid"), VX_VAPI_API_OK);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON_Delete(list);

    assert_int_equal(vx_vapi_api_delete_tool(&c, id, NULL, "rid", NULL), VX_VAPI_API_OK);
    assert_int_equal(vx_vapi_api_delete_tool(&c, id, NULL, "rid", NULL), VX_VAPI_API_NOT_FOUND);
    cJSON *none = NULL;
    assert_int_equal(vx_vapi_api_get_tool(&c, id, &none, NULL, "rid", NULL), VX_VAPI_API_NOT_FOUND);
    assert_int_equal(vx_vapi_api_patch_tool(&c, id, changed, NULL, NULL, "rid", NULL), VX_VAPI_API_NOT_FOUND);
    assert_null(none);
    assert_int_equal(state_size("tools"), 1);
    assert_int_equal(state_count("created", "tools"), 2);
    assert_int_equal(state_count("patched", "tools"), 2);

    cJSON_Delete(bare);
    vx_secret_json_delete(got);
    vx_secret_json_delete(updated);
    cJSON_Delete(changed);
    cJSON_Delete(transfer);
    vx_secret_json_delete(created);
    cJSON_Delete(book);
}

/* What a retrying caller must tell apart; nothing is made by a failed call. */
static void test_failures(void **state)
{
    vx_vapi_api_config c = cfg();
    cJSON *tool = function_tool("book_slot", "Book");
    cJSON *assistant = parse("{\"name\":\"A\"}");
    char id[VX_VAPI_API_ID_MAX + 1] = "stale";
    vx_vapi_api_answer answer;

    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/tool\",\"method\":\"POST\",\"status\":429,\"retryAfter\":\"7\",\"count\":1}");
    assert_int_equal(vx_vapi_api_create_tool(&c, tool, id, NULL, &answer, "rid", NULL), VX_VAPI_API_RATE_LIMITED);
    assert_int_equal(answer.http_status, 429);
    assert_int_equal(answer.retry_after_s, 7);
    assert_string_equal(id, "");
    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/assistant\",\"status\":429,\"count\":1}");
    assert_int_equal(vx_vapi_api_create_assistant(&c, assistant, id, NULL, &answer, "rid", NULL), VX_VAPI_API_RATE_LIMITED);
    assert_int_equal(answer.retry_after_s, 0);
    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/assistant\",\"status\":500,\"count\":1}");
    assert_int_equal(vx_vapi_api_create_assistant(&c, assistant, id, NULL, &answer, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(answer.http_status, 500);
    assert_int_equal(state_size("assistants") + state_size("tools"), 0);

    /* Now made, then the same outcomes on the paths with an id. */
    char aid[VX_VAPI_API_ID_MAX + 1], tid[VX_VAPI_API_ID_MAX + 1];
    assert_int_equal(vx_vapi_api_create_assistant(&c, assistant, aid, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    create_tool_ok(tool, tid);
    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/assistant\",\"method\":\"PATCH\",\"status\":502,\"count\":1}");
    assert_int_equal(vx_vapi_api_patch_assistant(&c, aid, assistant, NULL, &answer, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(answer.http_status, 502);
    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/tool\",\"method\":\"GET\",\"status\":429,\"retryAfter\":\"3\",\"count\":1}");
    cJSON *got = NULL;
    assert_int_equal(vx_vapi_api_get_tool(&c, tid, &got, &answer, "rid", NULL), VX_VAPI_API_RATE_LIMITED);
    assert_int_equal(answer.retry_after_s, 3);
    assert_null(got);
    /* Too late for the client's timeout: no answer at all. */
    vx_vapi_api_config quick = {F.url, KEY, 300};
    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/assistant\",\"status\":500,\"count\":1,\"delayMs\":1500}");
    assert_int_equal(vx_vapi_api_get_assistant(&quick, aid, &got, &answer, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(answer.http_status, 0);

    /* Down: every function says UNAVAILABLE (503), whatever the path, until /_fake/up. */
    vt_fake_post(F.url, "/_fake/down", "{\"ms\":30000}");
    cJSON *list = NULL;
    vx_vapi_api_status down[] = {
        vx_vapi_api_create_assistant(&c, assistant, id, NULL, &answer, "rid", NULL),
        vx_vapi_api_get_assistant(&c, aid, &got, NULL, "rid", NULL),
        vx_vapi_api_patch_assistant(&c, aid, assistant, NULL, NULL, "rid", NULL),
        vx_vapi_api_list_assistants(&c, 10, &list, NULL, "rid"),
        vx_vapi_api_delete_assistant(&c, aid, NULL, "rid", NULL),
        vx_vapi_api_create_tool(&c, tool, id, NULL, NULL, "rid", NULL),
        vx_vapi_api_get_tool(&c, tid, &got, NULL, "rid", NULL),
        vx_vapi_api_patch_tool(&c, tid, tool, NULL, NULL, "rid", NULL),
        vx_vapi_api_list_tools(&c, 10, &list, NULL, "rid"),
        vx_vapi_api_delete_tool(&c, tid, NULL, "rid", NULL),
    };
    for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++)
        if (down[i] != VX_VAPI_API_UNAVAILABLE)
            fail_msg("call %zu while down: %d, not UNAVAILABLE", i, down[i]);
    assert_int_equal(answer.http_status, 503);
    assert_null(got);
    assert_null(list);
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "downAnswered")->valueint, 10);
    assert_true(cJSON_GetObjectItemCaseSensitive(s, "downMs")->valueint > 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "assistants")), 1); /* nothing made or deleted */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "tools")), 1);
    cJSON_Delete(s);
    vt_fake_post(F.url, "/_fake/up", "{}");
    assert_int_equal(vx_vapi_api_get_assistant(&c, aid, &got, &answer, "rid", NULL), VX_VAPI_API_OK);
    vx_secret_json_delete(got);
    got = NULL;

    /* Down for a while, with a Retry-After: it ends by itself. */
    vt_fake_post(F.url, "/_fake/down", "{\"ms\":400,\"retryAfter\":\"1\"}");
    assert_int_equal(vx_vapi_api_get_tool(&c, tid, &got, &answer, "rid", NULL), VX_VAPI_API_UNAVAILABLE);
    assert_int_equal(answer.retry_after_s, 1);
    int tries = 0;
    while (vx_vapi_api_get_tool(&c, tid, &got, NULL, "rid", NULL) != VX_VAPI_API_OK && tries++ < 100)
        vt_sleep_ms(50);
    assert_non_null(got);
    vx_secret_json_delete(got);

    /* A wrong key: refused, whatever the function. */
    vx_vapi_api_config wrong = {F.url, "not-the-key", TIMEOUT_MS};
    assert_int_equal(vx_vapi_api_create_tool(&wrong, tool, id, NULL, &answer, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(answer.http_status, 401);
    assert_int_equal(vx_vapi_api_get_assistant(&wrong, aid, &got, &answer, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(answer.http_status, 401);
    assert_int_equal(state_size("tools"), 1);

    cJSON_Delete(assistant);
    cJSON_Delete(tool);
}

/* The fake counts every call by method and path template, and those answered 2xx. */
static void test_counts(void **state)
{
    vx_vapi_api_config c = cfg();
    vx_vapi_api_config wrong = {F.url, "not-the-key", TIMEOUT_MS};
    cJSON *tool = function_tool("book_slot", "Book");
    cJSON *bad = parse("{\"type\":\"function\"}");
    cJSON *assistant = parse("{\"name\":\"A\"}");
    char tid[VX_VAPI_API_ID_MAX + 1], aid[VX_VAPI_API_ID_MAX + 1], none[VX_VAPI_API_ID_MAX + 1];
    create_tool_ok(tool, tid);
    assert_int_equal(vx_vapi_api_create_tool(&c, bad, none, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_tool(&wrong, tool, none, NULL, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_patch_tool(&c, tid, tool, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    assert_int_equal(vx_vapi_api_create_assistant(&c, assistant, aid, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(vx_vapi_api_patch_assistant(&c, aid, assistant, NULL, NULL, "rid", NULL), VX_VAPI_API_OK);
    cJSON *list = NULL;
    assert_int_equal(vx_vapi_api_list_tools(&c, 5, &list, NULL, "rid"), VX_VAPI_API_OK);
    cJSON_Delete(list);
    assert_int_equal(vx_vapi_api_delete_tool(&c, tid, NULL, "rid", NULL), VX_VAPI_API_OK);
    assert_int_equal(vx_vapi_api_delete_tool(&c, tid, NULL, "rid", NULL), VX_VAPI_API_NOT_FOUND);

    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    cJSON *want_counts = parse("{\"POST /tool\":3,\"PATCH /tool/{id}\":1,\"POST /assistant\":1,\"PATCH /assistant/{id}\":3,"
                               "\"GET /tool\":1,\"DELETE /tool/{id}\":2}");
    cJSON *want_ok = parse("{\"POST /tool\":1,\"PATCH /tool/{id}\":1,\"POST /assistant\":1,\"PATCH /assistant/{id}\":3,"
                           "\"GET /tool\":1,\"DELETE /tool/{id}\":1}");
    if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(s, "counts"), want_counts, true) ||
        !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(s, "succeeded"), want_ok, true)) {
        char *text = cJSON_PrintUnformatted(s);
        fail_msg("unexpected counts: %s", text);
    }
    assert_int_equal(state_count("patched", "assistants"), 3);
    cJSON_Delete(want_ok);
    cJSON_Delete(want_counts);
    cJSON_Delete(s);
    cJSON_Delete(assistant);
    cJSON_Delete(bad);
    cJSON_Delete(tool);
}

/* What the client logs while failing holds neither the key nor a tool's header secret. */
static void test_no_secret_logged(void **state)
{
    vx_vapi_api_config c = cfg();
    vx_vapi_api_config wrong = {F.url, "wrong-" KEY, TIMEOUT_MS};
    cJSON *tool = function_tool("book_slot", "Book");
    cJSON_AddStringToObject(tool, "colour", "red"); /* refused */
    fflush(stdout);
    char path[] = "/tmp/vx-capture-XXXXXX";
    int fd = mkstemp(path);
    VT_REQUIRE(fd >= 0, "mkstemp");
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    char id[VX_VAPI_API_ID_MAX + 1];
    vx_vapi_api_status refused = vx_vapi_api_create_tool(&c, tool, id, NULL, NULL, "rid", NULL);
    vx_vapi_api_status unauthorized = vx_vapi_api_create_tool(&wrong, tool, id, NULL, NULL, "rid", NULL);
    vt_fake_post(F.url, "/_fake/fail", "{\"path\":\"/tool\",\"status\":503,\"count\":1}");
    vx_vapi_api_status failed = vx_vapi_api_patch_tool(&c, "abc", tool, NULL, NULL, "rid", NULL);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    size_t len = 0;
    char *logged = vt_read_file(path, &len);
    unlink(path);
    assert_int_equal(refused, VX_VAPI_API_REJECTED);
    assert_int_equal(unauthorized, VX_VAPI_API_REJECTED);
    assert_int_equal(failed, VX_VAPI_API_UNAVAILABLE);
    assert_non_null(strstr(logged, "property colour should not exist")); /* Vapi's reason is logged */
    if (strstr(logged, SECRET) != NULL || strstr(logged, KEY) != NULL)
        fail_msg("a secret was logged: %s", logged);
    free(logged);
    cJSON_Delete(tool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_assistant_round_trip, reset),
        cmocka_unit_test_setup(test_patch_replaces_the_model_whole, reset),
        cmocka_unit_test_setup(test_tools, reset),
        cmocka_unit_test_setup(test_failures, reset),
        cmocka_unit_test_setup(test_counts, reset),
        cmocka_unit_test_setup(test_no_secret_logged, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
