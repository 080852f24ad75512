/*
 * dispatch.c's batches and pool.c, as a real process on real NATS and
 * PostgreSQL (GatewayRequests on the webhook route's subject, as the gateway
 * sends them), with its default single worker that answers lookups in
 * batches and a pool of one thread for everything that may take long (so
 * that queueing behind a slow call is easy to arrange).
 *
 * Proves:
 * - a burst of lookups from two orgs, published all at once so the worker
 *   reads many in one go, gets every answer right: its own toolCallId, its
 *   own org's contact, never the other org's — even for a number or a name
 *   both orgs know — with bad arguments and unknown tools mixed in;
 * - a message that waits on another service (a knowledge-base question to a
 *   rag-search that never answers) holds back no lookup sent after it: all
 *   of them are answered while it is still waiting;
 * - a message mixing a lookup with a write (transferCall) still runs its
 *   calls in order, on the pool;
 * - a request whose deadline passed while it queued for the pool (its one
 *   thread busy) is answered "expired" without running (no rag question).
 *
 * Environment: NATS_URL, DATABASE_URL, ADMIN_DATABASE_URL, BIN_DIR (run-all.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vx_buf.h"
#include "vx_routes.h"
#include "vx_time.h"

#define BURST          240
#define RAG_TIMEOUT_MS 3000

static struct {
    natsConnection *nc;
    PGconn *admin;
    pid_t service;
    char org_a[37], org_b[37], asst_a[64], asst_b[64];
    /* Same number in both orgs, a different person in each; one number only A knows. */
    char shared_phone[20], a_only_phone[20];
    char tag[16];
} T;

static void random_e164(char out[20])
{
    snprintf(out, 20, "+1555%07d", rand() % 10000000);
}

/* A Vapi tool-calls message with one call to tool for assistant. malloc'd. */
static char *tool_call_body(const char *assistant, const char *tool_call_id, const char *tool, const char *args_json)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b,
                  "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"call-%s\",\"assistantId\":\"%s\"},"
                  "\"toolCallList\":[{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]}}",
                  tool_call_id, assistant, tool_call_id, tool, args_json);
    return vx_buf_steal(&b);
}

/* Publishes body as the gateway would, with its answer going to reply and
 * the gateway's deadline in deadline_ms from now. */
static void publish_within(const char *body, const char *reply, int64_t deadline_ms)
{
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(VX_SUBJECT_TOOLS_WEBHOOK, NULL, body, true, vx_now_ms() + deadline_ms, &buf, &len);
    natsMsg *request = vt_signed_msg(VX_SUBJECT_TOOLS_WEBHOOK, reply, buf, len);
    assert_int_equal(natsConnection_PublishMsg(T.nc, request), NATS_OK);
    natsMsg_Destroy(request);
    free(buf);
}

static void publish(const char *body, const char *reply)
{
    publish_within(body, reply, 10000);
}

/* The parsed JSON answer of one reply message (caller deletes). */
static cJSON *answer_of(natsMsg *msg)
{
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    assert_non_null(resp);
    assert_int_equal(resp->status, 200);
    cJSON *json = cJSON_ParseWithLength((const char *)resp->body.data, resp->body.len);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    assert_non_null(json);
    return json;
}

static const cJSON *first_result(const cJSON *answer)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(answer, "results"), 0);
}

static const char *text_of(const cJSON *result)
{
    const cJSON *r = cJSON_GetObjectItem(result, "result");
    if (!cJSON_IsString(r))
        r = cJSON_GetObjectItem(result, "error");
    return cJSON_IsString(r) ? r->valuestring : "";
}

/* An inbox prefix with a subscription to <prefix>.* */
static natsSubscription *inbox(char prefix[64])
{
    natsInbox *in = NULL;
    assert_int_equal(natsInbox_Create(&in), NATS_OK);
    snprintf(prefix, 64, "%s", (const char *)in);
    natsInbox_Destroy(in);
    char wildcard[80];
    snprintf(wildcard, sizeof(wildcard), "%s.*", prefix);
    natsSubscription *sub = NULL;
    assert_int_equal(natsConnection_SubscribeSync(&sub, T.nc, wildcard), NATS_OK);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    return sub;
}

/* ------------------------------------------------------------ tests */

/* What request i of the burst asks, and what its answer must say. */
typedef struct burst_case {
    const char *tool;
    char args[128];
    bool org_a;
    const char *must_say; /* a piece of the sentence */
} burst_case;

static void make_case(int i, burst_case *c)
{
    c->org_a = i % 2 == 0;
    c->tool = "lookupCaller";
    switch (i % 6) {
    case 0: /* A's own contact by the shared number */
    case 1: /* B's own contact by the shared number */
        snprintf(c->args, sizeof(c->args), "{\"searchKey\":\"%s\",\"searchType\":\"phone\"}", T.shared_phone);
        c->must_say = c->org_a ? "Found you, Alice!" : "Found you, Bruno!";
        break;
    case 2: /* A's number only A knows */
    case 3: /* ... which B must not find */
        snprintf(c->args, sizeof(c->args), "{\"searchKey\":\"%s\",\"searchType\":\"phone\"}", T.a_only_phone);
        c->must_say = c->org_a ? "Found you, Carla!" : "I couldn't find anyone";
        break;
    case 4: /* bad arguments: answered without a read */
        snprintf(c->args, sizeof(c->args), "{\"searchKey\":\"x\",\"searchType\":\"fax\"}");
        c->must_say = "I can look you up by phone number, email address or name.";
        break;
    default: /* an unknown tool, in B's name */
        c->tool = "launchRocket";
        snprintf(c->args, sizeof(c->args), "{}");
        c->must_say = "";
        break;
    }
}

static void test_burst_of_lookups_from_two_orgs(void **state)
{
    char prefix[64];
    natsSubscription *sub = inbox(prefix);
    for (int i = 0; i < BURST; i++) {
        burst_case c;
        make_case(i, &c);
        char id[48], reply[96];
        snprintf(id, sizeof(id), "burst-%s-%d", T.tag, i);
        snprintf(reply, sizeof(reply), "%s.%d", prefix, i);
        char *body = tool_call_body(c.org_a ? T.asst_a : T.asst_b, id, c.tool, c.args);
        publish(body, reply);
        free(body);
    }
    assert_int_equal(natsConnection_FlushTimeout(T.nc, 5000), NATS_OK);

    char *seen = calloc(BURST, 1);
    int got = 0;
    natsMsg *msg = NULL;
    while (got < BURST && natsSubscription_NextMsg(&msg, sub, 10000) == NATS_OK) {
        int i = atoi(natsMsg_GetSubject(msg) + strlen(prefix) + 1);
        assert_true(i >= 0 && i < BURST && !seen[i]);
        seen[i] = 1;
        got++;
        burst_case c;
        make_case(i, &c);
        cJSON *answer = answer_of(msg);
        const cJSON *r = first_result(answer);
        char id[48];
        snprintf(id, sizeof(id), "burst-%s-%d", T.tag, i);
        assert_string_equal(cJSON_GetObjectItem(r, "toolCallId")->valuestring, id);
        if (c.must_say[0] != '\0' && strstr(text_of(r), c.must_say) == NULL)
            fail_msg("request %d (%s): said \"%s\", expected \"%s\"", i, c.org_a ? "org A" : "org B", text_of(r), c.must_say);
        cJSON_Delete(answer);
        natsMsg_Destroy(msg);
    }
    free(seen);
    natsSubscription_Destroy(sub);
    assert_int_equal(got, BURST);
}

static atomic_int rag_questions;

static void on_rag_silent(natsConnection *conn, natsSubscription *sub, natsMsg *msg, void *closure)
{
    atomic_fetch_add(&rag_questions, 1);
    natsMsg_Destroy(msg); /* never answers: the question waits for RAG_TIMEOUT_MS */
}

static void test_a_waiting_message_holds_back_no_lookup(void **state)
{
    natsConnection *rag_nc = NULL;
    natsSubscription *rag = NULL;
    assert_int_equal(natsConnection_ConnectTo(&rag_nc, vt_env("NATS_URL")), NATS_OK);
    assert_int_equal(natsConnection_Subscribe(&rag, rag_nc, "rpc.rag.search", on_rag_silent, NULL), NATS_OK);
    assert_int_equal(natsConnection_Flush(rag_nc), NATS_OK);

    char prefix[64];
    natsSubscription *sub = inbox(prefix);
    char id[48], reply[96];
    snprintf(id, sizeof(id), "kb-%s", T.tag);
    snprintf(reply, sizeof(reply), "%s.kb", prefix);
    char *body = tool_call_body(T.asst_a, id, "getKnowledgeBase", "{\"query\":\"Do you take insurance?\"}");
    publish(body, reply);
    free(body);
    enum { LOOKUPS = 40 };
    char args[128];
    snprintf(args, sizeof(args), "{\"searchKey\":\"%s\"}", T.a_only_phone);
    for (int i = 0; i < LOOKUPS; i++) {
        snprintf(id, sizeof(id), "after-kb-%s-%d", T.tag, i);
        snprintf(reply, sizeof(reply), "%s.%d", prefix, i);
        body = tool_call_body(T.asst_a, id, "lookupCaller", args);
        publish(body, reply);
        free(body);
    }
    assert_int_equal(natsConnection_FlushTimeout(T.nc, 5000), NATS_OK);

    /* Every lookup comes back first; the knowledge answer last, after its timeout. */
    natsMsg *msg = NULL;
    for (int n = 0; n <= LOOKUPS; n++) {
        assert_int_equal(natsSubscription_NextMsg(&msg, sub, RAG_TIMEOUT_MS + 5000), NATS_OK);
        const char *which = natsMsg_GetSubject(msg) + strlen(prefix) + 1;
        cJSON *answer = answer_of(msg);
        if (n < LOOKUPS) {
            if (strcmp(which, "kb") == 0)
                fail_msg("the knowledge-base answer came before lookup answer %d of %d", n + 1, LOOKUPS);
            assert_non_null(strstr(text_of(first_result(answer)), "Found you, Carla!"));
        } else {
            assert_string_equal(which, "kb");
            assert_non_null(strstr(text_of(first_result(answer)), "I don't have that information in front of me"));
        }
        cJSON_Delete(answer);
        natsMsg_Destroy(msg);
    }
    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(rag);
    natsConnection_Destroy(rag_nc);
}

static void test_lookup_and_write_in_one_message_run_in_order(void **state)
{
    char prefix[64];
    natsSubscription *sub = inbox(prefix);
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b,
                  "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"call-mixed-%s\",\"assistantId\":\"%s\"},"
                  "\"toolCallList\":["
                  "{\"id\":\"mixed-1-%s\",\"type\":\"function\",\"function\":{\"name\":\"lookupCaller\","
                  "\"arguments\":{\"searchKey\":\"%s\"}}},"
                  "{\"id\":\"mixed-2-%s\",\"type\":\"function\",\"function\":{\"name\":\"transferCall\","
                  "\"arguments\":{\"summary\":\"wants billing\"}}},"
                  "{\"id\":\"mixed-3-%s\",\"type\":\"function\",\"function\":{\"name\":\"lookupCaller\","
                  "\"arguments\":{\"searchKey\":\"%s\"}}}]}}",
                  T.tag, T.asst_a, T.tag, T.shared_phone, T.tag, T.tag, T.a_only_phone);
    char reply[96];
    snprintf(reply, sizeof(reply), "%s.mixed", prefix);
    publish(b.data, reply);
    vx_buf_free(&b);
    natsMsg *msg = NULL;
    assert_int_equal(natsSubscription_NextMsg(&msg, sub, 10000), NATS_OK);
    cJSON *answer = answer_of(msg);
    const cJSON *results = cJSON_GetObjectItem(answer, "results");
    assert_int_equal(cJSON_GetArraySize(results), 3);
    assert_non_null(strstr(text_of(cJSON_GetArrayItem(results, 0)), "Found you, Alice!"));
    assert_non_null(strstr(text_of(cJSON_GetArrayItem(results, 1)), "I can't transfer you right now"));
    assert_non_null(strstr(text_of(cJSON_GetArrayItem(results, 2)), "Found you, Carla!"));
    char call[64];
    snprintf(call, sizeof(call), "call-mixed-%s", T.tag);
    const char *p[2] = {T.org_a, call};
    /* No transfer number is configured: a spoken fallback, and the call row records the request. */
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND vapi_call_id = $2", 2, p), 1);
    cJSON_Delete(answer);
    natsMsg_Destroy(msg);
    natsSubscription_Destroy(sub);
}

static void test_a_request_that_expired_in_the_queue_is_not_run(void **state)
{
    natsConnection *rag_nc = NULL;
    natsSubscription *rag = NULL;
    assert_int_equal(natsConnection_ConnectTo(&rag_nc, vt_env("NATS_URL")), NATS_OK);
    assert_int_equal(natsConnection_Subscribe(&rag, rag_nc, "rpc.rag.search", on_rag_silent, NULL), NATS_OK);
    assert_int_equal(natsConnection_Flush(rag_nc), NATS_OK);
    atomic_store(&rag_questions, 0);

    /* The pool's only thread waits RAG_TIMEOUT_MS on the first question; the
     * second's deadline (500 ms) passes while it waits behind it. */
    char prefix[64];
    natsSubscription *sub = inbox(prefix);
    char id[48], reply[96];
    const char *which[2] = {"first", "second"};
    for (int i = 0; i < 2; i++) {
        snprintf(id, sizeof(id), "kb-%s-%s", which[i], T.tag);
        snprintf(reply, sizeof(reply), "%s.%s", prefix, which[i]);
        char *body = tool_call_body(T.asst_a, id, "getKnowledgeBase", "{\"query\":\"Do you open on Sundays?\"}");
        publish_within(body, reply, i == 0 ? 10000 : 500);
        free(body);
    }
    assert_int_equal(natsConnection_FlushTimeout(T.nc, 5000), NATS_OK);
    for (int n = 0; n < 2; n++) {
        natsMsg *msg = NULL;
        assert_int_equal(natsSubscription_NextMsg(&msg, sub, RAG_TIMEOUT_MS + 5000), NATS_OK);
        const char *subject = natsMsg_GetSubject(msg) + strlen(prefix) + 1;
        Voxanne__V1__GatewayResponse *resp =
            voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
        assert_non_null(resp);
        if (strcmp(subject, "first") == 0) {
            assert_int_equal(resp->status, 200);
        } else {
            assert_int_equal(resp->status, 503);
            assert_non_null(strstr((const char *)resp->body.data, "\"code\":\"expired\""));
        }
        voxanne__v1__gateway_response__free_unpacked(resp, NULL);
        natsMsg_Destroy(msg);
    }
    /* Only the first one asked rag-search. */
    assert_int_equal(atomic_load(&rag_questions), 1);
    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(rag);
    natsConnection_Destroy(rag_nc);
}

/* ------------------------------------------------------------ setup */

static void add_contact(const char *org, const char *first, const char *phone)
{
    const char *p[3] = {org, first, phone};
    vt_sql_exec(T.admin, "INSERT INTO contacts (org_id, first_name, phone) VALUES ($1, $2, $3)", 3, p);
}

static int setup(void **state)
{
    srand((unsigned)(time(NULL) ^ getpid()));
    snprintf(T.tag, sizeof(T.tag), "%08x", (unsigned)rand());
    T.admin = vt_admin();
    snprintf(T.asst_a, sizeof(T.asst_a), "asst-batch-a-%s", T.tag);
    snprintf(T.asst_b, sizeof(T.asst_b), "asst-batch-b-%s", T.tag);
    vt_create_org(T.admin, "Batch Dental", T.asst_a, NULL, NULL, T.org_a);
    vt_create_org(T.admin, "Batch Spa", T.asst_b, NULL, NULL, T.org_b);
    random_e164(T.shared_phone);
    do
        random_e164(T.a_only_phone);
    while (strcmp(T.a_only_phone, T.shared_phone) == 0);
    add_contact(T.org_a, "Alice", T.shared_phone);
    add_contact(T.org_b, "Bruno", T.shared_phone);
    add_contact(T.org_a, "Carla", T.a_only_phone);

    assert_int_equal(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")), NATS_OK);
    char rag_timeout[48];
    snprintf(rag_timeout, sizeof(rag_timeout), "RAG_TIMEOUT_MS=%d", RAG_TIMEOUT_MS);
    const char *env[] = {rag_timeout, "TOOLS_POOL_THREADS=1", NULL};
    T.service = vt_start_service(T.nc, "tool-router", "tools", "tool-router-batched", env);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(vt_stop(T.service, SIGTERM, 10000), 0);
    const char *p[2] = {T.org_a, T.org_b};
    vt_sql_exec(T.admin, "DELETE FROM organizations WHERE id IN ($1, $2)", 2, p);
    natsConnection_Destroy(T.nc);
    PQfinish(T.admin);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_of_lookups_from_two_orgs),
        cmocka_unit_test(test_a_waiting_message_holds_back_no_lookup),
        cmocka_unit_test(test_lookup_and_write_in_one_message_run_in_order),
        cmocka_unit_test(test_a_request_that_expired_in_the_queue_is_not_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
