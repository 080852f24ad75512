/*
 * tool-router as a real process on real NATS and PostgreSQL, spoken to in its
 * own protocol (GatewayRequest over rpc.tools.call, as the gateway sends
 * them), without the gateway. Data is inserted through the admin connection;
 * every id is fresh, so the test can run again on the same database.
 *
 * Proves: lookupCaller (none / one / several), transferCall (department,
 * default, SIP, none configured; call_logs written), idempotent side effects
 * on a repeated toolCallId (also concurrently), several calls in order, the
 * argument and message shapes Vapi drifts between, the answer formats of each
 * route, sayable errors for everything a caller can get wrong, org resolution
 * by every tier, tenant isolation, assistant-request, transfer-destination-
 * request, knowledge base with and without rag-search, and the org cache
 * following a moved assistant within a second (NOTIFY).
 */
#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "voxanne/v1/rag.pb-c.h"
#include "vt.h"
#include "vx_buf.h"
#include "vx_time.h"

#define RAG_TIMEOUT_MS 300

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

/* Org A: assistant, phone number id and number; contacts; transfer settings. */
static char org_a[37], asst_a[64], pnid_a[64], num_a[20];
/* Org B: another tenant, with a contact and a call of its own; SIP-only transfers. */
static char org_b[37], asst_b[64], num_b[20];
/* Org C: an assistant and no integration_settings at all. */
static char org_c[37], asst_c[64];
static char john_phone[20], jane_phone[20], bob_phone[20], sam1_phone[20], sam2_phone[20], bill_num[20], default_num[20];
static char b_call[64];

/* ------------------------------------------------------------ helpers */

static void random_e164(char out[20])
{
    snprintf(out, 20, "+1555%07d", rand() % 10000000);
}

/* A tool call id unique to this run (the ledger remembers ids across runs on one database). */
static char run_tag[16];
static const char *tid(const char *name)
{
    static char ring[8][64];
    static int next;
    char *out = ring[next++ % 8];
    snprintf(out, 64, "%s-%s", name, run_tag);
    return out;
}

static void fresh_id(char *out, size_t n, const char *prefix)
{
    char u[37];
    vt_uuid(u);
    snprintf(out, n, "%s-%s", prefix, u);
}

typedef struct answer {
    unsigned status;
    char *body;
    cJSON *json;
} answer;

static void answer_free(answer *a)
{
    free(a->body);
    cJSON_Delete(a->json);
}

/* Sends body as the gateway would for route ("vapi.webhook" or "vapi.tool" with path_tool),
 * with the gateway's deadline (unix ms; 0 = none). */
static answer send_full(const char *route, const char *path_tool, const char *body, bool vapi, int64_t deadline_ms)
{
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(route, path_tool, body, vapi, deadline_ms, &buf, &len);
    Voxanne__V1__GatewayResponse *resp = vt_gateway_call(nc, "rpc.tools.call", buf, len);
    free(buf);
    answer a = {resp->status, strndup((const char *)resp->body.data, resp->body.len), NULL};
    a.json = cJSON_Parse(a.body);
    VT_REQUIRE(a.json != NULL, "the answer is not JSON");
    VT_REQUIRE(strcmp(resp->content_type, "application/json") == 0, "the answer is not application/json");
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    return a;
}

static answer send_req(const char *route, const char *path_tool, const char *body, bool vapi)
{
    return send_full(route, path_tool, body, vapi, vx_now_ms() + 5000);
}

static answer webhook(const char *body)
{
    return send_req("vapi.webhook", NULL, body, true);
}

/* {"message":{"type":"tool-calls","call":{…},"toolCallList":[<calls>]}} for org A's assistant. */
static char *tool_calls(const char *assistant, const char *call_id, const char *calls)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b,
                  "{\"message\":{\"type\":\"tool-calls\",\"timestamp\":1722115418016,\"call\":{\"id\":\"%s\","
                  "\"assistantId\":\"%s\",\"customer\":{\"number\":\"%s\"}},\"toolCallList\":[%s]}}",
                  call_id, assistant, jane_phone, calls);
    return vx_buf_steal(&b);
}

/* One call: {"id","type":"function","function":{"name","arguments"}}. */
static char *one_call(const char *id, const char *name, const char *args_json)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}", id, name, args_json);
    return vx_buf_steal(&b);
}

/* Runs one tool call for assistant on a fresh call id (or call_id) and returns the answer. */
static answer run_tool(const char *assistant, const char *call_id, const char *tool_call_id, const char *name, const char *args)
{
    char cid[64];
    if (call_id == NULL) {
        fresh_id(cid, sizeof(cid), "call");
        call_id = cid;
    }
    char *call = one_call(tool_call_id, name, args);
    char *body = tool_calls(assistant, call_id, call);
    answer a = webhook(body);
    free(call);
    free(body);
    return a;
}

static const cJSON *result_at(const answer *a, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(a->json, "results"), i);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The result text (result or error) of entry i; *is_error says which. */
static const char *said(const answer *a, int i, bool *is_error)
{
    const cJSON *e = result_at(a, i);
    const char *r = str_of(e, "result");
    if (is_error)
        *is_error = r == NULL;
    return r != NULL ? r : str_of(e, "error");
}

static long sql_long1(const char *sql, const char *p1)
{
    const char *p[1] = {p1};
    return vt_sql_long(admin, sql, 1, p);
}

static char *sql_str1(const char *sql, const char *p1)
{
    const char *p[1] = {p1};
    return vt_sql_value(admin, sql, 1, p);
}

static void add_contact(const char *org, const char *first, const char *last, const char *phone, const char *email)
{
    const char *p[5] = {org, first, last, phone, email};
    vt_sql_exec(admin,
                "INSERT INTO contacts (org_id, first_name, last_name, phone, email, last_contacted_at)"
                " VALUES ($1, $2, $3, $4, $5, now() - interval '6 days 1 hour')",
                5, p);
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    srand((unsigned)(time(NULL) ^ getpid()));
    snprintf(run_tag, sizeof(run_tag), "%08x", (unsigned)rand());
    admin = vt_admin();
    fresh_id(asst_a, sizeof(asst_a), "asst-a");
    fresh_id(pnid_a, sizeof(pnid_a), "pn-a");
    fresh_id(asst_b, sizeof(asst_b), "asst-b");
    fresh_id(asst_c, sizeof(asst_c), "asst-c");
    random_e164(num_a);
    random_e164(num_b);
    vt_create_org(admin, "Acme Dental", asst_a, pnid_a, num_a, org_a);
    vt_create_org(admin, "Beta Spa", asst_b, NULL, num_b, org_b);
    vt_create_org(admin, "Gamma Clinic", asst_c, NULL, NULL, org_c);

    random_e164(john_phone);
    random_e164(jane_phone);
    random_e164(bob_phone);
    random_e164(sam1_phone);
    random_e164(sam2_phone);
    add_contact(org_a, "John", "Smith", john_phone, "John.Smith@Acme.example");
    add_contact(org_a, "Jane", "Doe", jane_phone, "jane@doe.example");
    add_contact(org_a, "Sam", "Lee", sam1_phone, "sam.lee@one.example");
    add_contact(org_a, "Sam", "Lee", sam2_phone, NULL);
    add_contact(org_b, "Bob", "Brown", bob_phone, "bob@beta.example");

    /* Jane's previous call, with the summary assistant-request hands over. */
    char prev[64];
    fresh_id(prev, sizeof(prev), "prev");
    const char *pc[3] = {org_a, prev, jane_phone};
    vt_sql_exec(
        admin,
        "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, phone_number, outcome_summary, created_at)"
        " VALUES ($1, $2, 'vapi-' || $2, 'completed', $3, 'Asked about teeth whitening prices.', now() - interval '6 days')",
        3, pc);
    /* A call of org B that org A must never touch. */
    fresh_id(b_call, sizeof(b_call), "call-b");
    const char *pb[2] = {org_b, b_call};
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'in-progress')", 2,
                pb);

    random_e164(bill_num);
    random_e164(default_num);
    const char *ps[3] = {org_a, bill_num, default_num};
    vt_sql_exec(admin,
                "INSERT INTO integration_settings (org_id, transfer_phone_number, transfer_departments)"
                " VALUES ($1, $3, jsonb_build_object('billing', $2::text, 'Medical', 'sip:medical@acme.example'))",
                3, ps);
    const char *pbs[1] = {org_b};
    vt_sql_exec(admin, "INSERT INTO integration_settings (org_id, transfer_sip_uri) VALUES ($1, 'sips:desk@beta.example')", 1, pbs);

    assert_int_equal(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")), NATS_OK);
    static const char *env[] = {"TOOLS_WORKERS=2", "RAG_TIMEOUT_MS=300", NULL};
    service = vt_start_service(nc, "tool-router", "tools", "tool-router-integration", env);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(vt_stop(service, SIGTERM, 10000), 0);
    natsConnection_Destroy(nc);
    PQfinish(admin);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_health(void **state)
{
    for (int i = 0; i < 20; i++)
        assert_true(vt_service_healthy(nc, "tools"));
}

static void test_lookup_caller(void **state)
{
    char args[256];
    /* One match by phone, as a caller would say it (no +1). */
    snprintf(args, sizeof(args), "{\"searchKey\":\"(%.3s) %.3s-%s\",\"searchType\":\"phone\"}", john_phone + 2, john_phone + 5,
             john_phone + 8);
    answer a = run_tool(asst_a, NULL, "lc-1", "lookupCaller", args);
    assert_int_equal(a.status, 200);
    bool err;
    const char *text = said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "Found you, John!"));
    assert_non_null(strstr(text, "6 days ago"));
    const cJSON *e = result_at(&a, 0);
    assert_string_equal(str_of(e, "toolCallId"), "lc-1");
    assert_string_equal(str_of(e, "name"), "lookupCaller");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "found")));
    const cJSON *c = cJSON_GetObjectItem(e, "contact");
    assert_string_equal(str_of(c, "name"), "John Smith");
    assert_string_equal(str_of(c, "phone"), john_phone);
    assert_string_equal(str_of(c, "email"), "John.Smith@Acme.example");
    assert_string_equal(str_of(c, "lead_status"), "new");
    assert_non_null(str_of(c, "last_contacted_at"));
    assert_non_null(str_of(c, "id"));
    answer_free(&a);

    /* Email, case-insensitively; name, case-insensitively; a first name alone, partially. */
    a = run_tool(asst_a, NULL, "lc-2", "lookupCaller", "{\"searchKey\":\"john.smith@acme.EXAMPLE\",\"searchType\":\"email\"}");
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, John!"));
    answer_free(&a);
    a = run_tool(asst_a, NULL, "lc-3", "lookupCaller", "{\"searchKey\":\"  jane   DOE \",\"searchType\":\"name\"}");
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, Jane!"));
    answer_free(&a);
    a = run_tool(asst_a, NULL, "lc-4", "lookupCaller", "{\"searchKey\":\"Joh\",\"searchType\":\"name\"}");
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, John!"));
    answer_free(&a);

    /* Not found. */
    a = run_tool(asst_a, NULL, "lc-5", "lookupCaller", "{\"searchKey\":\"Nobody Here\",\"searchType\":\"name\"}");
    text = said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "couldn't find"));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(result_at(&a, 0), "found")));
    answer_free(&a);

    /* Several: asks which, told apart by a masked email or the last 4 digits only. */
    a = run_tool(asst_a, NULL, "lc-6", "lookupCaller", "{\"searchKey\":\"sam lee\",\"searchType\":\"name\"}");
    text = said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "I found 2 people"));
    assert_non_null(strstr(text, "Which one"));
    assert_non_null(strstr(text, "s\xe2\x80\xa6@one.example"));
    assert_non_null(strstr(text, sam2_phone + strlen(sam2_phone) - 4));
    assert_null(strstr(a.body, sam2_phone));
    assert_null(strstr(a.body, sam1_phone));
    assert_null(strstr(a.body, "sam.lee@one.example"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(result_at(&a, 0), "multipleMatches")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(result_at(&a, 0), "contacts")), 2);
    answer_free(&a);

    /* Searching type guessed from the key when absent. */
    snprintf(args, sizeof(args), "{\"searchKey\":\"%s\"}", jane_phone);
    a = run_tool(asst_a, NULL, "lc-7", "lookupCaller", args);
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, Jane!"));
    answer_free(&a);
}

/* The call_logs transfer columns of a call, as "to|reason|has_time". */
static char *transfer_row(const char *call_id)
{
    return sql_str1("SELECT coalesce(transfer_to, '-') || '|' || coalesce(transfer_reason, '-') || '|' ||"
                    " (transfer_time IS NOT NULL)::text FROM call_logs WHERE vapi_call_id = $1",
                    call_id);
}

static void test_transfer_call(void **state)
{
    char call_id[64], expect[256];
    bool err;

    /* Department, case-insensitively → its number; the call row did not exist: a minimal one is made. */
    fresh_id(call_id, sizeof(call_id), "call-t1");
    answer a =
        run_tool(asst_a, call_id, tid("tr-1"), "transferCall", "{\"summary\":\"Billing question\",\"department\":\"BILLING\"}");
    assert_int_equal(a.status, 200);
    assert_string_equal(said(&a, 0, &err), "Transferring you to our billing team now.");
    assert_false(err);
    const cJSON *d = cJSON_GetObjectItem(result_at(&a, 0), "destination");
    assert_string_equal(str_of(d, "type"), "number");
    assert_string_equal(str_of(d, "number"), bill_num);
    assert_string_equal(str_of(d, "message"), "Transferring you to our billing team now.");
    char *row = transfer_row(call_id);
    snprintf(expect, sizeof(expect), "%s|Billing question|true", bill_num);
    assert_string_equal(row, expect);
    free(row);
    row = sql_str1("SELECT org_id::text || ' ' || call_sid || ' ' || status || ' ' || phone_number FROM call_logs"
                   " WHERE vapi_call_id = $1",
                   call_id);
    snprintf(expect, sizeof(expect), "%s vapi-%s in-progress %s", org_a, call_id, jane_phone);
    assert_string_equal(row, expect);
    free(row);
    answer_free(&a);

    /* A department whose destination is a SIP URI; the call row exists already: updated. */
    fresh_id(call_id, sizeof(call_id), "call-t2");
    const char *pc[2] = {org_a, call_id};
    vt_sql_exec(admin, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'ringing')",
                2, pc);
    a = run_tool(asst_a, call_id, tid("tr-2"), "transferCall", "{\"summary\":\"Tooth pain\",\"department\":\"medical\"}");
    assert_string_equal(said(&a, 0, NULL), "Transferring you to our Medical team now.");
    d = cJSON_GetObjectItem(result_at(&a, 0), "destination");
    assert_string_equal(str_of(d, "type"), "sip");
    assert_string_equal(str_of(d, "sipUri"), "sip:medical@acme.example");
    row = transfer_row(call_id);
    assert_string_equal(row, "sip:medical@acme.example|Tooth pain|true");
    free(row);
    assert_int_equal(sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND status = 'ringing'", call_id), 1);
    answer_free(&a);

    /* Unknown department → the default number. */
    fresh_id(call_id, sizeof(call_id), "call-t3");
    a = run_tool(asst_a, call_id, tid("tr-3"), "transferCall", "{\"summary\":\"?\",\"department\":\"astrology\"}");
    assert_string_equal(said(&a, 0, NULL), "Transferring you to a member of our team now.");
    assert_string_equal(str_of(cJSON_GetObjectItem(result_at(&a, 0), "destination"), "number"), default_num);
    answer_free(&a);

    /* Org B: only a SIP default. */
    fresh_id(call_id, sizeof(call_id), "call-t4");
    a = run_tool(asst_b, call_id, tid("tr-4"), "transferCall", "{\"summary\":\"x\",\"department\":\"billing\"}");
    d = cJSON_GetObjectItem(result_at(&a, 0), "destination");
    assert_string_equal(str_of(d, "sipUri"), "sips:desk@beta.example");
    answer_free(&a);

    /* Org C: nothing configured → a spoken fallback as a result, the request noted on the call. */
    fresh_id(call_id, sizeof(call_id), "call-t5");
    a = run_tool(asst_c, call_id, tid("tr-5"), "transferCall", "{\"summary\":\"Wants a manager\",\"department\":\"billing\"}");
    assert_string_equal(said(&a, 0, &err),
                        "I can't transfer you right now, but I've noted your request and someone will call you back.");
    assert_false(err);
    assert_null(cJSON_GetObjectItem(result_at(&a, 0), "destination"));
    row =
        sql_str1("SELECT metadata #>> '{callback_requested,reason}' FROM call_logs WHERE vapi_call_id = $1 AND transfer_to IS NULL",
                 call_id);
    assert_string_equal(row, "Wants a manager");
    free(row);
    answer_free(&a);
}

static void test_repeated_tool_call_id_runs_once(void **state)
{
    char call_id[64], tc[64];
    fresh_id(call_id, sizeof(call_id), "call-r");
    fresh_id(tc, sizeof(tc), "tc");
    answer first = run_tool(asst_a, call_id, tc, "transferCall", "{\"summary\":\"first\",\"department\":\"billing\"}");
    char *time1 = sql_str1("SELECT transfer_time::text FROM call_logs WHERE vapi_call_id = $1", call_id);
    usleep(20000);
    /* Same toolCallId, other arguments: the first answer, nothing written again. */
    answer again = run_tool(asst_a, call_id, tc, "transferCall", "{\"summary\":\"second\",\"department\":\"medical\"}");
    assert_string_equal(first.body, again.body);
    char *time2 = sql_str1("SELECT transfer_time::text FROM call_logs WHERE vapi_call_id = $1", call_id);
    assert_string_equal(time1, time2);
    char *row = transfer_row(call_id);
    assert_non_null(strstr(row, "|first|"));
    free(row);
    assert_int_equal(sql_long1("SELECT count(*) FROM tool_calls WHERE tool_call_id = $1", tc), 1);
    char *stored =
        sql_str1("SELECT tool_name || ' ' || is_error::text || ' ' || result_text FROM tool_calls WHERE tool_call_id = $1", tc);
    assert_string_equal(stored, "transferCall false Transferring you to our billing team now.");
    free(stored);
    free(time1);
    free(time2);
    answer_free(&first);
    answer_free(&again);

    /* Read-only tools do not use the ledger. */
    answer l = run_tool(asst_a, call_id, "ro-1", "lookupCaller", "{\"searchKey\":\"Jane Doe\"}");
    answer_free(&l);
    assert_int_equal(sql_long1("SELECT count(*) FROM tool_calls WHERE tool_call_id = $1", "ro-1"), 0);
}

typedef struct racer {
    const char *body;
    answer a;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    r->a = webhook(r->body);
    return NULL;
}

static void test_repeated_tool_call_id_concurrently(void **state)
{
    enum { N = 8 };
    char call_id[64], tc[64];
    fresh_id(call_id, sizeof(call_id), "call-rc");
    fresh_id(tc, sizeof(tc), "tcc");
    char *call = one_call(tc, "transferCall", "{\"summary\":\"race\",\"department\":\"billing\"}");
    char *body = tool_calls(asst_a, call_id, call);
    pthread_t threads[N];
    racer racers[N];
    for (int i = 0; i < N; i++) {
        racers[i].body = body;
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(racers[i].a.status, 200);
        assert_string_equal(racers[i].a.body, racers[0].a.body);
        assert_string_equal(said(&racers[i].a, 0, NULL), "Transferring you to our billing team now.");
    }
    for (int i = 0; i < N; i++)
        answer_free(&racers[i].a);
    assert_int_equal(sql_long1("SELECT count(*) FROM tool_calls WHERE tool_call_id = $1", tc), 1);
    assert_int_equal(sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 1);
    /* Written once: by the transaction that wrote the ledger row (now() is its start time). */
    const char *p[2] = {call_id, tc};
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM call_logs l JOIN tool_calls t ON t.tool_call_id = $2"
                                 " WHERE l.vapi_call_id = $1 AND l.transfer_time = t.created_at",
                                 2, p),
                     1);
    free(call);
    free(body);
}

static void test_several_calls_in_order(void **state)
{
    char *c1 = one_call("m-1", "lookupCaller", "{\"searchKey\":\"Jane Doe\",\"searchType\":\"name\"}");
    char *c2 = one_call("m-2", "launchRocket", "{}");
    char *c3 = one_call("m-3", "lookupCaller", "\"{\\\"searchKey\\\":\\\"Nobody Here\\\",\\\"searchType\\\":\\\"name\\\"}\"");
    vx_buf calls = VX_BUF_INIT;
    vx_buf_printf(&calls, "%s,%s,%s", c1, c2, c3);
    char call_id[64];
    fresh_id(call_id, sizeof(call_id), "call-m");
    char *body = tool_calls(asst_a, call_id, calls.data);
    answer a = webhook(body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a.json, "results")), 3);
    assert_string_equal(str_of(result_at(&a, 0), "toolCallId"), "m-1");
    assert_string_equal(str_of(result_at(&a, 1), "toolCallId"), "m-2");
    assert_string_equal(str_of(result_at(&a, 2), "toolCallId"), "m-3");
    bool err;
    assert_non_null(strstr(said(&a, 0, &err), "Found you, Jane!"));
    assert_false(err);
    assert_string_equal(said(&a, 1, &err), "I'm sorry, I can't do that yet.");
    assert_true(err);
    assert_string_equal(str_of(result_at(&a, 1), "name"), "launchRocket");
    /* The third call's arguments came as a JSON string. */
    assert_non_null(strstr(said(&a, 2, &err), "couldn't find"));
    assert_false(err);
    assert_null(cJSON_GetObjectItem(a.json, "toolResult"));
    answer_free(&a);
    free(body);
    vx_buf_free(&calls);
    free(c1);
    free(c2);
    free(c3);
}

static void test_per_tool_route_dual_format(void **state)
{
    char call_id[64], body[1024];
    fresh_id(call_id, sizeof(call_id), "call-p");
    /* The seed's shape: message.toolCalls, no name in the body: the path names the tool. */
    snprintf(
        body, sizeof(body),
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"},"
        "\"toolCalls\":[{\"id\":\"pt-1\",\"function\":{\"arguments\":{\"searchKey\":\"John Smith\",\"searchType\":\"name\"}}}]}}",
        call_id, asst_a);
    answer a = send_req("vapi.tool", "lookupCaller", body, true);
    assert_int_equal(a.status, 200);
    assert_string_equal(str_of(result_at(&a, 0), "toolCallId"), "pt-1");
    assert_string_equal(str_of(result_at(&a, 0), "name"), "lookupCaller");
    const cJSON *tr = cJSON_GetObjectItem(a.json, "toolResult");
    assert_string_equal(str_of(tr, "type"), "text");
    assert_non_null(strstr(str_of(tr, "content"), "Found you, John!"));
    assert_string_equal(str_of(tr, "content"), said(&a, 0, NULL));
    /* The tool's extra fields also at the top level, as the seed's routes answered. */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a.json, "found")));
    answer_free(&a);

    /* Legacy function-call posted to the per-tool route: every shape at once. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"function-call\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"},"
             "\"functionCall\":{\"parameters\":{\"searchKey\":\"Jane Doe\"}}}}",
             call_id, asst_a);
    a = send_req("vapi.tool", "lookupCaller", body, true);
    assert_non_null(strstr(str_of(a.json, "result"), "Found you, Jane!"));
    assert_non_null(cJSON_GetObjectItem(a.json, "toolResult"));
    assert_non_null(cJSON_GetObjectItem(a.json, "results"));
    answer_free(&a);

    /* An unknown tool in the path. */
    snprintf(body, sizeof(body), "{\"message\":{\"call\":{\"assistantId\":\"%s\"},\"toolCalls\":[{\"id\":\"pt-2\"}]}}", asst_a);
    a = send_req("vapi.tool", "no such tool!", body, true);
    bool err;
    assert_string_equal(said(&a, 0, &err), "I'm sorry, I can't do that yet.");
    assert_true(err);
    answer_free(&a);
}

static void test_function_call_legacy(void **state)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"function-call\",\"call\":{\"id\":\"fc-call\",\"assistantId\":\"%s\"},"
             "\"functionCall\":{\"name\":\"lookupCaller\",\"parameters\":\"{\\\"searchKey\\\":\\\"Jane Doe\\\"}\"}}}",
             asst_a);
    answer a = webhook(body);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(str_of(a.json, "result"), "Found you, Jane!"));
    assert_null(cJSON_GetObjectItem(a.json, "results"));
    answer_free(&a);
    /* functionName instead of name. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"function-call\",\"call\":{\"assistantId\":\"%s\"},"
             "\"functionCall\":{\"functionName\":\"lookupCaller\",\"parameters\":{\"searchKey\":\"nobody@nowhere.example\"}}}}",
             asst_a);
    a = webhook(body);
    assert_non_null(strstr(str_of(a.json, "result"), "couldn't find"));
    answer_free(&a);
}

static void test_bad_input_gets_sayable_errors_and_changes_nothing(void **state)
{
    bool err;
    char call_id[64];
    fresh_id(call_id, sizeof(call_id), "call-bad");
    /* Missing arguments. */
    answer a = run_tool(asst_a, call_id, "b-1", "lookupCaller", "{}");
    assert_string_equal(said(&a, 0, &err), "I need a phone number, an email address or a name to look you up.");
    assert_true(err);
    answer_free(&a);
    /* Wrong types: a number instead of a string, arguments that are an array. */
    a = run_tool(asst_a, call_id, "b-2", "lookupCaller", "{\"searchKey\":15551234567}");
    assert_true(said(&a, 0, &err) != NULL && err);
    answer_free(&a);
    a = run_tool(asst_a, call_id, "b-3", "transferCall", "[\"billing\"]");
    assert_string_equal(said(&a, 0, &err), "I'm sorry, I didn't get the details for that. Could you tell me again?");
    assert_true(err);
    answer_free(&a);
    a = run_tool(asst_a, call_id, "b-4", "lookupCaller", "{\"searchKey\":\"12\",\"searchType\":\"horoscope\"}");
    assert_true(said(&a, 0, &err) != NULL && err);
    answer_free(&a);
    a = run_tool(asst_a, call_id, "b-5", "lookupCaller", "{\"searchKey\":\"555-12\",\"searchType\":\"phone\"}");
    assert_non_null(strstr(said(&a, 0, &err), "area code"));
    answer_free(&a);
    /* 100 KB strings: in the arguments object and as the arguments string. */
    size_t big = 100 * 1024;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    vx_buf args = VX_BUF_INIT;
    vx_buf_printf(&args, "{\"summary\":\"%s\",\"department\":\"billing\"}", s);
    a = run_tool(asst_a, call_id, "b-6", "transferCall", args.data);
    assert_string_equal(said(&a, 0, &err), "I'm sorry, I didn't get the details for that. Could you tell me again?");
    assert_true(err);
    answer_free(&a);
    vx_buf_reset(&args);
    vx_buf_printf(&args, "\"{\\\"summary\\\":\\\"%s\\\"}\"", s);
    a = run_tool(asst_a, call_id, "b-7", "transferCall", args.data);
    assert_true(said(&a, 0, &err) != NULL && err);
    assert_true(strlen(a.body) < 2000);
    answer_free(&a);
    /* Strings in a result are single-line and bounded even when the input is not. */
    vx_buf_reset(&args);
    vx_buf_printf(&args, "{\"searchKey\":\"%.150s\\nline two\",\"searchType\":\"name\"}", s);
    a = run_tool(asst_a, call_id, "b-8", "lookupCaller", args.data);
    assert_null(strchr(said(&a, 0, NULL), '\n'));
    answer_free(&a);
    vx_buf_free(&args);
    free(s);
    /* Nothing was written for any of them. */
    assert_int_equal(sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 0);
    assert_int_equal(sql_long1("SELECT count(*) FROM tool_calls WHERE vapi_call_id = $1", call_id), 0);
}

static void test_org_resolution_tiers(void **state)
{
    char body[1024];
    bool err;
    /* Tier 2: no assistant id, the org id we put in assistantOverrides.metadata. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"tier2\",\"assistantOverrides\":{\"metadata\":{\"org_id\":"
             "\"%s\"}}},\"toolCallList\":[{\"id\":\"o-1\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":"
             "\"Bob Brown\"}}}]}}",
             org_b);
    answer a = webhook(body);
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, Bob!"));
    answer_free(&a);
    /* Tier 3: the phone number id, then the called number. */
    snprintf(
        body, sizeof(body),
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"tier3\",\"phoneNumberId\":\"%s\"},"
        "\"toolCallList\":[{\"id\":\"o-2\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"Jane Doe\"}}}]}}",
        pnid_a);
    a = webhook(body);
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, Jane!"));
    answer_free(&a);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"phoneNumber\":{\"number\":\"%s\",\"twilioAuthToken\":\"tok-never-logged\"},"
             "\"toolCallList\":[{\"id\":\"o-3\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"Bob "
             "Brown\"}}}]}}",
             num_b);
    a = webhook(body);
    assert_non_null(strstr(said(&a, 0, NULL), "Found you, Bob!"));
    answer_free(&a);
    /* Unknown assistant, unknown org id: a sayable error, never a guess. */
    a = run_tool("asst-nobody-knows", NULL, "o-4", "lookupCaller", "{\"searchKey\":\"Jane Doe\"}");
    assert_string_equal(said(&a, 0, &err), "I'm sorry, I can't access this practice's records right now.");
    assert_true(err);
    answer_free(&a);
    snprintf(
        body, sizeof(body),
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"assistantOverrides\":{\"metadata\":{\"org_id\":"
        "\"00000000-0000-4000-8000-000000000000\"}}},\"toolCallList\":[{\"id\":\"o-5\",\"function\":{\"name\":\"lookupCaller\","
        "\"arguments\":{\"searchKey\":\"Jane Doe\"}}}]}}");
    a = webhook(body);
    assert_string_equal(said(&a, 0, NULL), "I'm sorry, I can't access this practice's records right now.");
    answer_free(&a);
}

static void test_tenant_isolation(void **state)
{
    char args[256], body[1024];
    /* Org A's assistant asks for org B's contact by phone, email and name: nobody. */
    snprintf(args, sizeof(args), "{\"searchKey\":\"%s\",\"searchType\":\"phone\"}", bob_phone);
    answer a = run_tool(asst_a, NULL, "x-1", "lookupCaller", args);
    assert_non_null(strstr(said(&a, 0, NULL), "couldn't find"));
    assert_null(strstr(a.body, "Bob"));
    answer_free(&a);
    a = run_tool(asst_a, NULL, "x-2", "lookupCaller", "{\"searchKey\":\"bob@beta.example\"}");
    assert_null(strstr(a.body, "Bob"));
    answer_free(&a);
    /* B's org id in the metadata does not override A's assistant (tier 1 wins). */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"assistantId\":\"%s\",\"assistantOverrides\":{\"metadata\":"
             "{\"org_id\":\"%s\"}}},\"toolCallList\":[{\"id\":\"x-3\",\"function\":{\"name\":\"lookupCaller\",\"arguments\":"
             "{\"searchKey\":\"Bob Brown\"}}}]}}",
             asst_a, org_b);
    a = webhook(body);
    assert_null(strstr(a.body, "Bob"));
    answer_free(&a);
    /* A transfer on org B's call id, by org A's assistant: B's call is untouched, A's answer still transfers. */
    a = run_tool(asst_a, b_call, tid("x-4"), "transferCall", "{\"summary\":\"sneaky\",\"department\":\"billing\"}");
    assert_string_equal(said(&a, 0, NULL), "Transferring you to our billing team now.");
    answer_free(&a);
    char *row = transfer_row(b_call);
    assert_string_equal(row, "-|-|false");
    free(row);
    const char *p[2] = {b_call, org_b};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND org_id = $2", 2, p), 1);
    /* The ledger row is A's own. */
    char *owner = sql_str1("SELECT org_id::text FROM tool_calls WHERE tool_call_id = $1", tid("x-4"));
    assert_string_equal(owner, org_a);
    free(owner);
}

static void test_assistant_request(void **state)
{
    char body[1024];
    /* A known caller on org A's number: the assistant, per-call overrides, greeting by first name. */
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"assistant-request\",\"call\":{\"id\":\"ar-1\",\"type\":\"inboundPhoneCall\","
             "\"phoneNumberId\":\"%s\",\"assistantId\":null,\"customer\":{\"number\":\"%s\"}},"
             "\"phoneNumber\":{\"id\":\"%s\",\"number\":\"%s\",\"twilioAuthToken\":null},\"customer\":{\"number\":\"%s\"}}}",
             pnid_a, jane_phone, pnid_a, num_a, jane_phone);
    answer a = webhook(body);
    assert_int_equal(a.status, 200);
    assert_string_equal(str_of(a.json, "assistantId"), asst_a);
    const cJSON *o = cJSON_GetObjectItem(a.json, "assistantOverrides");
    const cJSON *vars = cJSON_GetObjectItem(o, "variableValues");
    assert_string_equal(str_of(vars, "org_id"), org_a);
    assert_string_equal(str_of(vars, "customerName"), "Jane Doe");
    assert_string_equal(str_of(vars, "customerFirstName"), "Jane");
    assert_string_equal(str_of(vars, "lastCallSummary"), "Asked about teeth whitening prices.");
    assert_string_equal(str_of(cJSON_GetObjectItem(o, "metadata"), "org_id"), org_a);
    assert_string_equal(str_of(o, "firstMessage"), "Hi Jane, thanks for calling Acme Dental! How can I help you today?");
    assert_null(cJSON_GetObjectItem(a.json, "error"));
    answer_free(&a);

    /* An unknown caller: the assistant and the org id, no greeting by name. */
    char stranger[20];
    random_e164(stranger);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"assistant-request\",\"call\":{\"id\":\"ar-2\",\"customer\":{\"number\":\"%s\"}},"
             "\"phoneNumber\":{\"number\":\"%s\"}}}",
             stranger, num_a);
    a = webhook(body);
    assert_string_equal(str_of(a.json, "assistantId"), asst_a);
    o = cJSON_GetObjectItem(a.json, "assistantOverrides");
    assert_null(cJSON_GetObjectItem(o, "firstMessage"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "variableValues"), "customerName"));
    answer_free(&a);

    /* A number nobody has: Vapi speaks the error and ends the call. */
    char unknown[20];
    random_e164(unknown);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"assistant-request\",\"call\":{\"id\":\"ar-3\",\"customer\":{\"number\":\"%s\"}},"
             "\"phoneNumber\":{\"number\":\"%s\"}}}",
             jane_phone, unknown);
    a = webhook(body);
    assert_string_equal(str_of(a.json, "error"), "Sorry, this number is not set up yet.");
    assert_null(cJSON_GetObjectItem(a.json, "assistantId"));
    answer_free(&a);
}

static void test_transfer_destination_request(void **state)
{
    char body[1024], call_id[64];
    fresh_id(call_id, sizeof(call_id), "call-tdr");
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"transfer-destination-request\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"%s\"}}}}",
             call_id, asst_a, jane_phone);
    answer a = webhook(body);
    assert_int_equal(a.status, 200);
    const cJSON *d = cJSON_GetObjectItem(a.json, "destination");
    assert_string_equal(str_of(d, "type"), "number");
    assert_string_equal(str_of(d, "number"), default_num);
    const cJSON *m = cJSON_GetObjectItem(a.json, "message");
    assert_string_equal(str_of(m, "type"), "request-start");
    assert_string_equal(str_of(m, "message"), "Transferring you to a member of our team now.");
    answer_free(&a);
    char *row = transfer_row(call_id);
    char expect[64];
    snprintf(expect, sizeof(expect), "%s|-|true", default_num);
    assert_string_equal(row, expect);
    free(row);
    /* No destination configured: refused with a sentence. */
    snprintf(body, sizeof(body), "{\"message\":{\"type\":\"transfer-destination-request\",\"call\":{\"assistantId\":\"%s\"}}}",
             asst_c);
    a = webhook(body);
    assert_non_null(str_of(a.json, "error"));
    assert_null(cJSON_GetObjectItem(a.json, "destination"));
    answer_free(&a);
}

static void test_knowledge_base_without_rag_search(void **state)
{
    int64_t started = vx_monotonic_us();
    answer a = run_tool(asst_a, NULL, "kb-1", "getKnowledgeBase", "{\"query\":\"What are your opening hours?\"}");
    int64_t took_ms = (vx_monotonic_us() - started) / 1000;
    bool err;
    assert_string_equal(said(&a, 0, &err), "I don't have that information in front of me right now.");
    assert_false(err);
    assert_true(took_ms < RAG_TIMEOUT_MS + 1000);
    answer_free(&a);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"knowledge-base-request\",\"call\":{\"assistantId\":\"%s\"},"
             "\"messages\":[{\"role\":\"user\",\"message\":\"hours?\"}]}}",
             asst_a);
    a = webhook(body);
    assert_string_equal(a.body, "{\"documents\":[]}");
    answer_free(&a);
}

/* A stand-in rag-search: answers every search with a fixed context, checking the request. */
static void on_rag(natsConnection *conn, natsSubscription *sub, natsMsg *msg, void *closure)
{
    Voxanne__V1__RagSearchRequest *req =
        voxanne__v1__rag_search_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    Voxanne__V1__RagSearchReply reply = VOXANNE__V1__RAG_SEARCH_REPLY__INIT;
    char context[256];
    if (req == NULL || strcmp(req->org_id, org_a) != 0) {
        reply.error = "wrong org";
    } else {
        snprintf(context, sizeof(context), "We are open 9 to 5.\nQuestion was: %s", req->query);
        reply.context = context;
        reply.chunks = 1;
    }
    uint8_t buf[512];
    size_t len = voxanne__v1__rag_search_reply__pack(&reply, buf);
    natsConnection_Publish(conn, natsMsg_GetReply(msg), buf, (int)len);
    if (req != NULL)
        voxanne__v1__rag_search_request__free_unpacked(req, NULL);
    natsMsg_Destroy(msg);
}

static void test_knowledge_base_with_rag_search(void **state)
{
    natsSubscription *sub = NULL;
    assert_int_equal(natsConnection_Subscribe(&sub, nc, "rpc.rag.search", on_rag, NULL), NATS_OK);
    natsConnection_Flush(nc);
    answer a = run_tool(asst_a, NULL, "kb-2", "getKnowledgeBase", "{\"query\":\"opening hours\"}");
    assert_string_equal(said(&a, 0, NULL), "We are open 9 to 5. Question was: opening hours");
    answer_free(&a);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"knowledge-base-request\",\"call\":{\"assistantId\":\"%s\"},"
             "\"messages\":[{\"role\":\"user\",\"message\":\"hours?\"}]}}",
             asst_a);
    a = webhook(body);
    const cJSON *doc = cJSON_GetArrayItem(cJSON_GetObjectItem(a.json, "documents"), 0);
    assert_string_equal(str_of(doc, "content"), "We are open 9 to 5. Question was: hours?");
    answer_free(&a);
    /* Missing query: a sayable error. */
    a = run_tool(asst_a, NULL, "kb-3", "getKnowledgeBase", "{}");
    bool err;
    assert_non_null(said(&a, 0, &err));
    assert_true(err);
    answer_free(&a);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
}

/* A rag-search that takes the request and never answers: the tool waits RAG_TIMEOUT_MS, no more. */
static void on_rag_silent(natsConnection *conn, natsSubscription *sub, natsMsg *msg, void *closure)
{
    natsMsg_Destroy(msg);
}

static void test_knowledge_base_with_a_silent_rag_search(void **state)
{
    natsSubscription *sub = NULL;
    assert_int_equal(natsConnection_Subscribe(&sub, nc, "rpc.rag.search", on_rag_silent, NULL), NATS_OK);
    natsConnection_Flush(nc);
    int64_t started = vx_monotonic_us();
    answer a = run_tool(asst_a, NULL, "kb-4", "getKnowledgeBase", "{\"query\":\"parking?\"}");
    int64_t took_ms = (vx_monotonic_us() - started) / 1000;
    bool err;
    assert_string_equal(said(&a, 0, &err), "I don't have that information in front of me right now.");
    assert_false(err);
    assert_true(took_ms >= RAG_TIMEOUT_MS - 20);
    assert_true(took_ms < RAG_TIMEOUT_MS + 500);
    answer_free(&a);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
}

/* The gateway gave up on this request already: no side effect may happen now. */
static void test_expired_request_runs_no_side_effects(void **state)
{
    char call_id[64];
    fresh_id(call_id, sizeof(call_id), "call-late");
    char *c1 = one_call(tid("late-1"), "transferCall", "{\"summary\":\"late\",\"department\":\"billing\"}");
    char *c2 = one_call("late-2", "lookupCaller", "{\"searchKey\":\"Jane Doe\"}");
    vx_buf calls = VX_BUF_INIT;
    vx_buf_printf(&calls, "%s,%s", c1, c2);
    char *body = tool_calls(asst_a, call_id, calls.data);
    answer a = send_full("vapi.webhook", NULL, body, true, vx_now_ms() - 1000);
    /* The gateway has answered Vapi already: the message is not run at all (a
     * message that writes waits in the pool's queue, where expired ones are dropped). */
    assert_int_equal(a.status, 503);
    assert_non_null(strstr(a.body, "\"code\":\"expired\""));
    answer_free(&a);
    assert_int_equal(sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 0);
    assert_int_equal(sql_long1("SELECT count(*) FROM tool_calls WHERE vapi_call_id = $1", call_id), 0);
    free(body);
    vx_buf_free(&calls);
    free(c1);
    free(c2);

    /* The deadline passes while the message runs: a question to a silent
     * rag-search takes RAG_TIMEOUT_MS, then the transfer must not happen. */
    natsSubscription *rag = NULL;
    assert_int_equal(natsConnection_Subscribe(&rag, nc, "rpc.rag.search", on_rag_silent, NULL), NATS_OK);
    natsConnection_Flush(nc);
    fresh_id(call_id, sizeof(call_id), "call-late-midway");
    c1 = one_call("late-3", "getKnowledgeBase", "{\"query\":\"parking?\"}");
    c2 = one_call(tid("late-4"), "transferCall", "{\"summary\":\"late\",\"department\":\"billing\"}");
    vx_buf_printf(&calls, "%s,%s", c1, c2);
    body = tool_calls(asst_a, call_id, calls.data);
    a = send_full("vapi.webhook", NULL, body, true, vx_now_ms() + 100);
    if (a.status == 200) {
        bool err;
        assert_string_equal(said(&a, 1, &err),
                            "I'm sorry, I'm having trouble with our system right now. Could you try that again in a moment?");
        assert_true(err);
    } else { /* a slow machine: it expired in the queue already */
        assert_int_equal(a.status, 503);
    }
    answer_free(&a);
    assert_int_equal(sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 0);
    assert_int_equal(sql_long1("SELECT count(*) FROM tool_calls WHERE vapi_call_id = $1", call_id), 0);
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
    fresh_id(asst, sizeof(asst), "asst-moving");
    fresh_id(other, sizeof(other), "asst-f");
    vt_create_org(admin, "Epsilon", asst, NULL, NULL, org_e);
    vt_create_org(admin, "Phi", other, NULL, NULL, org_f);
    char pe[20], pf[20];
    random_e164(pe);
    random_e164(pf);
    add_contact(org_e, "Erin", "East", pe, NULL);
    add_contact(org_f, "Fiona", "West", pf, NULL);

    /* Resolved (and cached) as org E, twice. */
    for (int i = 0; i < 2; i++) {
        answer a = run_tool(asst, NULL, "mv-1", "lookupCaller", "{\"searchKey\":\"Erin East\"}");
        assert_non_null(strstr(said(&a, 0, NULL), "Found you, Erin!"));
        answer_free(&a);
    }
    /* Also cache a "not found" for an assistant id that is about to appear. */
    char later[64];
    fresh_id(later, sizeof(later), "asst-later");
    answer a = run_tool(later, NULL, "mv-2", "lookupCaller", "{\"searchKey\":\"Fiona West\"}");
    assert_string_equal(said(&a, 0, NULL), "I'm sorry, I can't access this practice's records right now.");
    answer_free(&a);

    /* The assistant moves to org F in one transaction (as tool-sync or an operator would). */
    const char *p[2] = {asst, org_f};
    vt_sql_exec(admin,
                "WITH gone AS (UPDATE agents SET vapi_assistant_id = NULL WHERE vapi_assistant_id = $1 RETURNING 1)"
                " UPDATE agents SET vapi_assistant_id = $1 WHERE org_id = $2 AND (SELECT count(*) FROM gone) = 1",
                2, p);
    /* And a new agent for a new assistant id, which was cached as unknown. */
    const char *q[2] = {org_f, later};
    vt_sql_exec(admin, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, q);

    /* Every worker must follow within about a second: ask more times than there are workers. */
    int64_t started = vx_monotonic_us();
    int moved = 0, appeared = 0;
    while ((moved < 8 || appeared < 8) && vx_monotonic_us() - started < 1500000) {
        answer m = run_tool(asst, NULL, "mv-3", "lookupCaller", "{\"searchKey\":\"Fiona West\"}");
        moved = strstr(said(&m, 0, NULL), "Found you, Fiona!") != NULL ? moved + 1 : 0;
        answer_free(&m);
        answer n = run_tool(later, NULL, "mv-4", "lookupCaller", "{\"searchKey\":\"Fiona West\"}");
        appeared = strstr(said(&n, 0, NULL), "Found you, Fiona!") != NULL ? appeared + 1 : 0;
        answer_free(&n);
    }
    int64_t took_ms = (vx_monotonic_us() - started) / 1000;
    print_message("cache followed the move within %lld ms\n", (long long)took_ms);
    assert_true(moved >= 8);
    assert_true(appeared >= 8);
}

static void test_envelope_errors(void **state)
{
    answer a = webhook("this is not json");
    assert_int_equal(a.status, 400);
    assert_string_equal(str_of(a.json, "code"), "invalid_json");
    answer_free(&a);
    a = send_req("vapi.tool", "lookupCaller", "[1,2,3]", true);
    assert_int_equal(a.status, 400);
    assert_string_equal(str_of(a.json, "code"), "invalid_message");
    answer_free(&a);
    a = send_req("vapi.webhook", NULL, "{\"message\":{\"type\":\"tool-calls\"}}", false);
    assert_int_equal(a.status, 401);
    answer_free(&a);
    a = send_req("calls.list", NULL, "{}", true);
    assert_int_equal(a.status, 404);
    answer_free(&a);
    /* Types that need no answer, and tool-calls without calls. */
    a = webhook("{\"message\":{\"type\":\"status-update\",\"status\":\"in-progress\"}}");
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{}");
    answer_free(&a);
    a = webhook("{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[]}}");
    assert_string_equal(a.body, "{\"results\":[]}");
    answer_free(&a);
    /* Not a GatewayRequest at all. */
    natsMsg *m = NULL;
    assert_int_equal(natsConnection_RequestString(&m, nc, "rpc.tools.call", "\xff\xff\xff garbage", 2000), NATS_OK);
    Voxanne__V1__GatewayResponse *g =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    assert_non_null(g);
    assert_int_equal(g->status, 400);
    voxanne__v1__gateway_response__free_unpacked(g, NULL);
    natsMsg_Destroy(m);
    assert_true(vt_alive(service));
    assert_true(vt_service_healthy(nc, "tools"));
    /* Vapi echoes Twilio credentials in message.phoneNumber: they never reach a log line. */
    char *log = vt_read_file("build/test-logs/tool-router-integration.log", NULL);
    assert_non_null(log);
    assert_null(strstr(log, "tok-never-logged"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_lookup_caller),
        cmocka_unit_test(test_transfer_call),
        cmocka_unit_test(test_repeated_tool_call_id_runs_once),
        cmocka_unit_test(test_repeated_tool_call_id_concurrently),
        cmocka_unit_test(test_several_calls_in_order),
        cmocka_unit_test(test_per_tool_route_dual_format),
        cmocka_unit_test(test_function_call_legacy),
        cmocka_unit_test(test_bad_input_gets_sayable_errors_and_changes_nothing),
        cmocka_unit_test(test_org_resolution_tiers),
        cmocka_unit_test(test_tenant_isolation),
        cmocka_unit_test(test_assistant_request),
        cmocka_unit_test(test_transfer_destination_request),
        cmocka_unit_test(test_knowledge_base_without_rag_search),
        cmocka_unit_test(test_knowledge_base_with_rag_search),
        cmocka_unit_test(test_knowledge_base_with_a_silent_rag_search),
        cmocka_unit_test(test_expired_request_runs_no_side_effects),
        cmocka_unit_test(test_cache_follows_a_moved_assistant),
        cmocka_unit_test(test_envelope_errors),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
