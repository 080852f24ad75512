/*
 * dispatch.c as it runs in production: tool-router as a real process on
 * real NATS and PostgreSQL, spoken to in its own protocol (GatewayRequests
 * as the gateway sends them), without the gateway. Two workers
 * (TOOLS_WORKERS=2) and the default pool, so requests really spread over
 * threads and connections.
 *
 * Proves: health answers; several calls of one message are answered in
 * order, each with its own toolCallId; the per-tool route answers in the
 * dual format and names calls by its path; legacy function-call bodies;
 * sayable errors for everything a caller can get wrong (missing and wrong
 * arguments, arguments too large for the parser's bound, a newline in a
 * search key), and nothing written for any of them; org resolution by every
 * tier, never by a guess; tenant isolation (another org's contacts, call and
 * ledger rows); a request whose deadline has passed runs no side effect
 * (whether it expired before or while it ran); the org cache follows a moved
 * assistant through NOTIFY; envelope errors (not JSON, not a message, not
 * Vapi, an unknown route, not a GatewayRequest) and that secrets Vapi echoes
 * never reach a log line. The tools' own behaviour is in tools/, the
 * messages' in messages/.
 */
#include <pthread.h>
#include <unistd.h>

#include "tool_router_test.h"

#define RAG_TIMEOUT_MS 300

static int setup(void **state)
{
    static const char *env[] = {"TOOLS_WORKERS=2", "RAG_TIMEOUT_MS=300", NULL};
    tr_start_process("test_dispatch", "tool-router-dispatch", env);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

/* A rag-search that takes the request and never answers. */
static void on_rag_silent(natsConnection *conn, natsSubscription *sub, natsMsg *msg, void *closure)
{
    natsMsg_Destroy(msg);
}

static void test_health(void **state)
{
    for (int i = 0; i < 20; i++)
        assert_true(vt_service_healthy(TR.nc, "tools"));
}

static void test_several_calls_in_order(void **state)
{
    char *c1 = tr_one_call("m-1", "lookupCaller", "{\"searchKey\":\"Jane Doe\",\"searchType\":\"name\"}");
    char *c2 = tr_one_call("m-2", "launchRocket", "{}");
    char *c3 = tr_one_call("m-3", "lookupCaller", "\"{\\\"searchKey\\\":\\\"Nobody Here\\\",\\\"searchType\\\":\\\"name\\\"}\"");
    vx_buf calls = VX_BUF_INIT;
    vx_buf_printf(&calls, "%s,%s,%s", c1, c2, c3);
    char call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-m");
    char *body = tr_tool_calls(CLINICS.asst_a, call_id, CLINICS.jane_phone, calls.data);
    tr_answer a = tr_webhook(body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a.json, "results")), 3);
    assert_string_equal(tr_str(tr_result_at(&a, 0), "toolCallId"), "m-1");
    assert_string_equal(tr_str(tr_result_at(&a, 1), "toolCallId"), "m-2");
    assert_string_equal(tr_str(tr_result_at(&a, 2), "toolCallId"), "m-3");
    bool err;
    assert_non_null(strstr(tr_said(&a, 0, &err), "Found you, Jane!"));
    assert_false(err);
    assert_string_equal(tr_said(&a, 1, &err), "I'm sorry, I can't do that yet.");
    assert_true(err);
    assert_string_equal(tr_str(tr_result_at(&a, 1), "name"), "launchRocket");
    /* The third call's arguments came as a JSON string. */
    assert_non_null(strstr(tr_said(&a, 2, &err), "couldn't find"));
    assert_false(err);
    assert_null(cJSON_GetObjectItem(a.json, "toolResult"));
    tr_answer_free(&a);
    free(body);
    vx_buf_free(&calls);
    free(c1);
    free(c2);
    free(c3);
}

static void test_per_tool_route_dual_format(void **state)
{
    char call_id[64], body[1024];
    tr_fresh_id(call_id, sizeof(call_id), "call-p");
    /* The seed's shape: message.toolCalls, no name in the body: the path names the tool. */
    snprintf(
        body, sizeof(body),
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"},"
        "\"toolCalls\":[{\"id\":\"pt-1\",\"function\":{\"arguments\":{\"searchKey\":\"John Smith\",\"searchType\":\"name\"}}}]}}",
        call_id, CLINICS.asst_a);
    tr_answer a = tr_send(true, "lookupCaller", body, true, vx_now_ms() + 5000);
    assert_int_equal(a.status, 200);
    assert_string_equal(tr_str(tr_result_at(&a, 0), "toolCallId"), "pt-1");
    assert_string_equal(tr_str(tr_result_at(&a, 0), "name"), "lookupCaller");
    const cJSON *tr = cJSON_GetObjectItem(a.json, "toolResult");
    assert_string_equal(tr_str(tr, "type"), "text");
    assert_non_null(strstr(tr_str(tr, "content"), "Found you, John!"));
    assert_string_equal(tr_str(tr, "content"), tr_said(&a, 0, NULL));
    /* The tool's extra fields also at the top level, as the seed's routes answered. */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a.json, "found")));
    tr_answer_free(&a);

    /* Legacy function-call posted to the per-tool route: every shape at once. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"function-call\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"},"
             "\"functionCall\":{\"parameters\":{\"searchKey\":\"Jane Doe\"}}}}",
             call_id, CLINICS.asst_a);
    a = tr_send(true, "lookupCaller", body, true, vx_now_ms() + 5000);
    assert_non_null(strstr(tr_str(a.json, "result"), "Found you, Jane!"));
    assert_non_null(cJSON_GetObjectItem(a.json, "toolResult"));
    assert_non_null(cJSON_GetObjectItem(a.json, "results"));
    tr_answer_free(&a);

    /* An unknown tool in the path. */
    snprintf(body, sizeof(body), "{\"message\":{\"call\":{\"assistantId\":\"%s\"},\"toolCalls\":[{\"id\":\"pt-2\"}]}}",
             CLINICS.asst_a);
    a = tr_send(true, "no such tool!", body, true, vx_now_ms() + 5000);
    bool err;
    assert_string_equal(tr_said(&a, 0, &err), "I'm sorry, I can't do that yet.");
    assert_true(err);
    tr_answer_free(&a);
}

static void test_function_call_legacy(void **state)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"function-call\",\"call\":{\"id\":\"fc-call\",\"assistantId\":\"%s\"},"
             "\"functionCall\":{\"name\":\"lookupCaller\",\"parameters\":\"{\\\"searchKey\\\":\\\"Jane Doe\\\"}\"}}}",
             CLINICS.asst_a);
    tr_answer a = tr_webhook(body);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(tr_str(a.json, "result"), "Found you, Jane!"));
    assert_null(cJSON_GetObjectItem(a.json, "results"));
    tr_answer_free(&a);
    /* functionName instead of name. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"function-call\",\"call\":{\"assistantId\":\"%s\"},"
             "\"functionCall\":{\"functionName\":\"lookupCaller\",\"parameters\":{\"searchKey\":\"nobody@nowhere.example\"}}}}",
             CLINICS.asst_a);
    a = tr_webhook(body);
    assert_non_null(strstr(tr_str(a.json, "result"), "couldn't find"));
    tr_answer_free(&a);
}

static void test_bad_input_gets_sayable_errors_and_changes_nothing(void **state)
{
    bool err;
    char call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-bad");
    /* Missing arguments. */
    tr_answer a = tr_run_tool(CLINICS.asst_a, call_id, "b-1", "lookupCaller", "{}");
    assert_string_equal(tr_said(&a, 0, &err), "I need a phone number, an email address or a name to look you up.");
    assert_true(err);
    tr_answer_free(&a);
    /* Wrong types: a number instead of a string, arguments that are an array. */
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-2", "lookupCaller", "{\"searchKey\":15551234567}");
    assert_true(tr_said(&a, 0, &err) != NULL && err);
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-3", "transferCall", "[\"billing\"]");
    assert_string_equal(tr_said(&a, 0, &err), "I'm sorry, I didn't get the details for that. Could you tell me again?");
    assert_true(err);
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-4", "lookupCaller", "{\"searchKey\":\"12\",\"searchType\":\"horoscope\"}");
    assert_true(tr_said(&a, 0, &err) != NULL && err);
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-5", "lookupCaller", "{\"searchKey\":\"555-12\",\"searchType\":\"phone\"}");
    assert_non_null(strstr(tr_said(&a, 0, &err), "area code"));
    tr_answer_free(&a);
    /* 100 KB strings: in the arguments object and as the arguments string. */
    size_t big = 100 * 1024;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    vx_buf args = VX_BUF_INIT;
    vx_buf_printf(&args, "{\"summary\":\"%s\",\"department\":\"billing\"}", s);
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-6", "transferCall", args.data);
    assert_string_equal(tr_said(&a, 0, &err), "I'm sorry, I didn't get the details for that. Could you tell me again?");
    assert_true(err);
    tr_answer_free(&a);
    vx_buf_reset(&args);
    vx_buf_printf(&args, "\"{\\\"summary\\\":\\\"%s\\\"}\"", s);
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-7", "transferCall", args.data);
    assert_true(tr_said(&a, 0, &err) != NULL && err);
    assert_true(strlen(a.body) < 2000);
    tr_answer_free(&a);
    /* Strings in a result are single-line and bounded even when the input is not. */
    vx_buf_reset(&args);
    vx_buf_printf(&args, "{\"searchKey\":\"%.150s\\nline two\",\"searchType\":\"name\"}", s);
    a = tr_run_tool(CLINICS.asst_a, call_id, "b-8", "lookupCaller", args.data);
    assert_null(strchr(tr_said(&a, 0, NULL), '\n'));
    tr_answer_free(&a);
    vx_buf_free(&args);
    free(s);
    /* Nothing was written for any of them. */
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 0);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM tool_calls WHERE vapi_call_id = $1", call_id), 0);
}

static void test_org_resolution_tiers(void **state)
{
    char body[1024];
    bool err;
    /* Tier 2: no assistant id, the org id we put in assistantOverrides.metadata, signed for this call. */
    char sig[65];
    vt_org_hint_sig(CLINICS.org_b, "tier2", sig);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"tier2\",\"assistantOverrides\":{\"metadata\":{\"org_id\":"
             "\"%s\",\"org_sig\":\"%s\"}}},\"toolCallList\":[{\"id\":\"o-1\",\"function\":{\"name\":\"lookupCaller\","
             "\"arguments\":{\"searchKey\":\"Bob Brown\"}}}]}}",
             CLINICS.org_b, sig);
    tr_answer a = tr_webhook(body);
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Bob!"));
    tr_answer_free(&a);
    /* The same org id unsigned, or signed for another call: not served (org ids are not secret). */
    const char *forged[] = {"", ",\"org_sig\":\"0000000000000000000000000000000000000000000000000000000000000000\""};
    char other_call_sig[96];
    vt_org_hint_sig(CLINICS.org_b, "another-call", sig);
    snprintf(other_call_sig, sizeof(other_call_sig), ",\"org_sig\":\"%s\"", sig);
    const char *attempts[] = {forged[0], forged[1], other_call_sig};
    for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"tier2-forged\",\"assistantOverrides\":{\"metadata\":"
                 "{\"org_id\":\"%s\"%s}}},\"toolCallList\":[{\"id\":\"o-1f\",\"function\":{\"name\":\"lookupCaller\","
                 "\"arguments\":{\"searchKey\":\"Bob Brown\"}}}]}}",
                 CLINICS.org_b, attempts[i]);
        a = tr_webhook(body);
        assert_string_equal(tr_said(&a, 0, NULL), "I'm sorry, I can't access this practice's records right now.");
        assert_null(strstr(a.body, "Bob"));
        tr_answer_free(&a);
    }
    /* Tier 3: the phone number id, then the called number. */
    snprintf(
        body, sizeof(body),
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"tier3\",\"phoneNumberId\":\"%s\"},"
        "\"toolCallList\":[{\"id\":\"o-2\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"Jane Doe\"}}}]}}",
        CLINICS.pnid_a);
    a = tr_webhook(body);
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Jane!"));
    tr_answer_free(&a);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"phoneNumber\":{\"number\":\"%s\",\"twilioAuthToken\":\"tok-never-logged\"},"
             "\"toolCallList\":[{\"id\":\"o-3\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"Bob "
             "Brown\"}}}]}}",
             CLINICS.num_b);
    a = tr_webhook(body);
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Bob!"));
    tr_answer_free(&a);
    /* Unknown assistant, unknown org id: a sayable error, never a guess. */
    a = tr_run_tool("asst-nobody-knows", NULL, "o-4", "lookupCaller", "{\"searchKey\":\"Jane Doe\"}");
    assert_string_equal(tr_said(&a, 0, &err), "I'm sorry, I can't access this practice's records right now.");
    assert_true(err);
    tr_answer_free(&a);
    snprintf(
        body, sizeof(body),
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"assistantOverrides\":{\"metadata\":{\"org_id\":"
        "\"00000000-0000-4000-8000-000000000000\"}}},\"toolCallList\":[{\"id\":\"o-5\",\"function\":{\"name\":\"lookupCaller\","
        "\"arguments\":{\"searchKey\":\"Jane Doe\"}}}]}}");
    a = tr_webhook(body);
    assert_string_equal(tr_said(&a, 0, NULL), "I'm sorry, I can't access this practice's records right now.");
    tr_answer_free(&a);
}

static void test_tenant_isolation(void **state)
{
    char args[256], body[1024];
    /* Org A's assistant asks for org B's contact by phone, email and name: nobody. */
    snprintf(args, sizeof(args), "{\"searchKey\":\"%s\",\"searchType\":\"phone\"}", CLINICS.bob_phone);
    tr_answer a = tr_run_tool(CLINICS.asst_a, NULL, "x-1", "lookupCaller", args);
    assert_non_null(strstr(tr_said(&a, 0, NULL), "couldn't find"));
    assert_null(strstr(a.body, "Bob"));
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, NULL, "x-2", "lookupCaller", "{\"searchKey\":\"bob@beta.example\"}");
    assert_null(strstr(a.body, "Bob"));
    tr_answer_free(&a);
    /* B's org id in the metadata does not override A's assistant (tier 1 wins). */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"assistantId\":\"%s\",\"assistantOverrides\":{\"metadata\":"
             "{\"org_id\":\"%s\"}}},\"toolCallList\":[{\"id\":\"x-3\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":"
             "{\"searchKey\":\"Bob Brown\"}}}]}}",
             CLINICS.asst_a, CLINICS.org_b);
    a = tr_webhook(body);
    assert_null(strstr(a.body, "Bob"));
    tr_answer_free(&a);
    /* A transfer on org B's call id, by org A's assistant: B's call is untouched, A's answer still transfers. */
    a = tr_run_tool(CLINICS.asst_a, CLINICS.b_call, tr_tid("x-4"), "transferCall",
                    "{\"summary\":\"sneaky\",\"department\":\"billing\"}");
    assert_string_equal(tr_said(&a, 0, NULL), "Transferring you to our billing team now.");
    tr_answer_free(&a);
    char *row = tr_transfer_row(CLINICS.b_call);
    assert_string_equal(row, "-|-|false");
    free(row);
    const char *p[2] = {CLINICS.b_call, CLINICS.org_b};
    assert_int_equal(vt_sql_long(TR.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND org_id = $2", 2, p), 1);
    /* The ledger row is A's own. */
    char *owner = tr_sql_str1("SELECT org_id::text FROM tool_calls WHERE tool_call_id = $1", tr_tid("x-4"));
    assert_string_equal(owner, CLINICS.org_a);
    free(owner);
}

/* The gateway gave up on this request already: no side effect may happen now. */
static void test_expired_request_runs_no_side_effects(void **state)
{
    char call_id[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-late");
    char *c1 = tr_one_call(tr_tid("late-1"), "transferCall", "{\"summary\":\"late\",\"department\":\"billing\"}");
    char *c2 = tr_one_call("late-2", "lookupCaller", "{\"searchKey\":\"Jane Doe\"}");
    vx_buf calls = VX_BUF_INIT;
    vx_buf_printf(&calls, "%s,%s", c1, c2);
    char *body = tr_tool_calls(CLINICS.asst_a, call_id, CLINICS.jane_phone, calls.data);
    tr_answer a = tr_send(false, NULL, body, true, vx_now_ms() - 1000);
    /* The gateway has answered Vapi already: the message is not run at all,
     * refused on arrival (vx_rpc) before any handler sees it. */
    assert_int_equal(a.status, 401);
    assert_non_null(strstr(a.body, "\"code\":\"envelope_expired\""));
    tr_answer_free(&a);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 0);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM tool_calls WHERE vapi_call_id = $1", call_id), 0);
    free(body);
    vx_buf_free(&calls);
    free(c1);
    free(c2);

    /* The deadline passes while the message runs: a question to a silent
     * rag-search takes RAG_TIMEOUT_MS, then the transfer must not happen. */
    natsSubscription *rag = NULL;
    assert_int_equal(natsConnection_Subscribe(&rag, TR.nc, "rpc.rag.search", on_rag_silent, NULL), NATS_OK);
    natsConnection_Flush(TR.nc);
    tr_fresh_id(call_id, sizeof(call_id), "call-late-midway");
    c1 = tr_one_call("late-3", "getKnowledgeBase", "{\"query\":\"parking?\"}");
    c2 = tr_one_call(tr_tid("late-4"), "transferCall", "{\"summary\":\"late\",\"department\":\"billing\"}");
    vx_buf_printf(&calls, "%s,%s", c1, c2);
    body = tr_tool_calls(CLINICS.asst_a, call_id, CLINICS.jane_phone, calls.data);
    a = tr_send(false, NULL, body, true, vx_now_ms() + 100);
    if (a.status == 200) {
        bool err;
        assert_string_equal(tr_said(&a, 1, &err),
                            "I'm sorry, I'm having trouble with our system right now. Could you try that again in a moment?");
        assert_true(err);
    } else { /* a slow machine: it expired in the queue already */
        assert_int_equal(a.status, 503);
    }
    tr_answer_free(&a);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 0);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM tool_calls WHERE vapi_call_id = $1", call_id), 0);
    natsSubscription_Unsubscribe(rag);
    natsSubscription_Destroy(rag);
    free(body);
    vx_buf_free(&calls);
    free(c1);
    free(c2);
}

static void test_cache_follows_a_moved_assistant(void **state)
{
    char org_e[37], org_f[37], asst[64], other[64];
    tr_fresh_id(asst, sizeof(asst), "asst-moving");
    tr_fresh_id(other, sizeof(other), "asst-f");
    vt_create_org(TR.admin, "Epsilon", asst, NULL, NULL, org_e);
    vt_create_org(TR.admin, "Phi", other, NULL, NULL, org_f);
    char pe[20], pf[20];
    tr_random_e164(pe);
    tr_random_e164(pf);
    tr_add_contact(org_e, "Erin", "East", pe, NULL);
    tr_add_contact(org_f, "Fiona", "West", pf, NULL);

    /* Resolved (and cached) as org E, twice. */
    for (int i = 0; i < 2; i++) {
        tr_answer a = tr_run_tool(asst, NULL, "mv-1", "lookupCaller", "{\"searchKey\":\"Erin East\"}");
        assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Erin!"));
        tr_answer_free(&a);
    }
    /* Also cache a "not found" for an assistant id that is about to appear. */
    char later[64];
    tr_fresh_id(later, sizeof(later), "asst-later");
    tr_answer a = tr_run_tool(later, NULL, "mv-2", "lookupCaller", "{\"searchKey\":\"Fiona West\"}");
    assert_string_equal(tr_said(&a, 0, NULL), "I'm sorry, I can't access this practice's records right now.");
    tr_answer_free(&a);

    /* The assistant moves to org F in one transaction (as tool-sync or an operator would). */
    const char *p[2] = {asst, org_f};
    vt_sql_exec(TR.admin,
                "WITH gone AS (UPDATE agents SET vapi_assistant_id = NULL WHERE vapi_assistant_id = $1 RETURNING 1)"
                " UPDATE agents SET vapi_assistant_id = $1 WHERE org_id = $2 AND (SELECT count(*) FROM gone) = 1",
                2, p);
    /* And a new agent for a new assistant id, which was cached as unknown. */
    const char *q[2] = {org_f, later};
    vt_sql_exec(TR.admin, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, q);

    /* Every worker must follow (ask more times than there are workers) before
     * any cached answer could have expired — a "not found" lives 5 s, a
     * "found" 60 s (vx_orgs.h) — so only the NOTIFY can explain it. The bound
     * is that TTL, not a speed. */
    int64_t changed = vx_monotonic_us();
    int moved = 0, appeared = 0;
    while ((moved < 8 || appeared < 8) && vx_monotonic_us() - changed < 4000000) {
        tr_answer m = tr_run_tool(asst, NULL, "mv-3", "lookupCaller", "{\"searchKey\":\"Fiona West\"}");
        moved = strstr(tr_said(&m, 0, NULL), "Found you, Fiona!") != NULL ? moved + 1 : 0;
        tr_answer_free(&m);
        tr_answer n = tr_run_tool(later, NULL, "mv-4", "lookupCaller", "{\"searchKey\":\"Fiona West\"}");
        appeared = strstr(tr_said(&n, 0, NULL), "Found you, Fiona!") != NULL ? appeared + 1 : 0;
        tr_answer_free(&n);
    }
    assert_true(moved >= 8);
    assert_true(appeared >= 8);
}

static void test_envelope_errors(void **state)
{
    tr_answer a = tr_webhook("this is not json");
    assert_int_equal(a.status, 400);
    assert_string_equal(tr_str(a.json, "code"), "invalid_json");
    tr_answer_free(&a);
    a = tr_send(true, "lookupCaller", "[1,2,3]", true, vx_now_ms() + 5000);
    assert_int_equal(a.status, 400);
    assert_string_equal(tr_str(a.json, "code"), "invalid_message");
    tr_answer_free(&a);
    a = tr_send(false, NULL, "{\"message\":{\"type\":\"tool-calls\"}}", false, vx_now_ms() + 5000);
    assert_int_equal(a.status, 401);
    tr_answer_free(&a);
    /* A subject tool-router does not serve: 404 — even when the envelope
     * claims a route it does serve (the subject is the key, not the claim). */
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(VX_SUBJECT_TOOLS_WEBHOOK, NULL, "{\"message\":{\"type\":\"tool-calls\"}}", true, vx_now_ms() + 5000,
                            &buf, &len);
    Voxanne__V1__GatewayResponse *resp = vt_gateway_call(TR.nc, "rpc.tools.calls.list", buf, len);
    free(buf);
    assert_int_equal(resp->status, 404);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    /* Types that need no answer, and tool-calls without calls. */
    a = tr_webhook("{\"message\":{\"type\":\"status-update\",\"status\":\"in-progress\"}}");
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{}");
    tr_answer_free(&a);
    a = tr_webhook("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[]}}");
    assert_string_equal(a.body, "{\"results\":[]}");
    tr_answer_free(&a);
    /* Not a GatewayRequest at all (signed, as only the gateway can). */
    natsMsg *m = NULL;
    static const char garbage[] = "\xff\xff\xff garbage";
    natsMsg *request = vt_signed_msg(VX_SUBJECT_TOOLS_WEBHOOK, NULL, garbage, sizeof(garbage) - 1);
    assert_int_equal(natsConnection_RequestMsg(&m, TR.nc, request, 2000), NATS_OK);
    natsMsg_Destroy(request);
    Voxanne__V1__GatewayResponse *g =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    assert_non_null(g);
    assert_int_equal(g->status, 400);
    voxanne__v1__gateway_response__free_unpacked(g, NULL);
    natsMsg_Destroy(m);
    assert_true(vt_alive(TR.service));
    assert_true(vt_service_healthy(TR.nc, "tools"));
    /* Vapi echoes Twilio credentials in message.phoneNumber: they never reach a log line. */
    char path[128];
    snprintf(path, sizeof(path), "build/test-logs/%s.log", TR.log);
    char *log = vt_read_file(path, NULL);
    assert_non_null(log);
    assert_null(strstr(log, "tok-never-logged"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_several_calls_in_order),
        cmocka_unit_test(test_per_tool_route_dual_format),
        cmocka_unit_test(test_function_call_legacy),
        cmocka_unit_test(test_bad_input_gets_sayable_errors_and_changes_nothing),
        cmocka_unit_test(test_org_resolution_tiers),
        cmocka_unit_test(test_tenant_isolation),
        cmocka_unit_test(test_expired_request_runs_no_side_effects),
        cmocka_unit_test(test_cache_follows_a_moved_assistant),
        cmocka_unit_test(test_envelope_errors),
    };
    return cmocka_run_group_tests_name("tool-router dispatch (process)", tests, setup, teardown);
}
