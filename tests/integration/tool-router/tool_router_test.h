/*
 * tool_router_test: what tool-router's integration tests share.
 *
 * How a test reaches the service — always through a production entry point:
 * - in-process: tr_open_in_process() creates a dispatcher (dispatch.h) and
 *   every request goes through dispatch_request, exactly what a pool thread
 *   runs for each message it takes: route and auth checks, the parser, the
 *   tool table, org resolution, the org transaction, the ledger, the tool,
 *   the commit, the after-commit work, the answer shapes;
 * - as a process: tr_start_process() runs tool-router and every request is
 *   a GatewayRequest over NATS, as the gateway sends it.
 * tr_send() hides which one a test chose, so the helpers below serve both.
 *
 * Routes: tool-router dispatches on GatewayRequest.route. Over NATS a test
 * sends on the subject the gateway uses for the route (VX_SUBJECT_TOOLS_*)
 * and names the route in the envelope (TR_ROUTE_*); in-process the envelope
 * is all there is. When tool-router dispatches on the subject instead, only
 * TR_ROUTE_* change.
 *
 * Header-only (static inline): each test is one translation unit and the
 * Makefile builds a test from its test_*.c alone. Fresh ids everywhere, so a
 * test can run again on the same database.
 */
#ifndef TOOL_ROUTER_TEST_H
#define TOOL_ROUTER_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "vx_vapi.h"
#include "settings.h"
#include "voxanne/v1/gateway.pb-c.h"
#include "voxanne/v1/rag.pb-c.h"
#include "vt.h"
#include "vx_buf.h"
#include "vx_log.h"
#include "vx_routes.h"
#include "vx_time.h"

/* In-process requests carry the subject as their route, as vx_rpc delivers them. */
#define TR_ROUTE_WEBHOOK VX_SUBJECT_TOOLS_WEBHOOK
#define TR_ROUTE_TOOL    VX_SUBJECT_TOOLS_TOOL

static struct {
    PGconn *admin;      /* superuser: fixtures and checks of what is really stored */
    natsConnection *nc; /* the test's own connection (the process's requests, stand-ins) */
    dispatch *d;        /* in-process: the dispatcher every request goes through */
    settings config;    /* in-process: its settings (tests may change them between calls) */
    pid_t service;      /* as a process: tool-router's pid */
    const char *log;    /* as a process: its log, build/test-logs/<log>.log */
    char tag[16];       /* unique to this run */
} TR __attribute__((unused));

/* ------------------------------------------------------------ ids */

static inline void tr_fresh_id(char *out, size_t n, const char *prefix)
{
    char u[37];
    vt_uuid(u);
    snprintf(out, n, "%s-%s", prefix, u);
}

/* A random +1555… number (not a real one). */
static inline void tr_random_e164(char out[20])
{
    char u[37];
    vt_uuid(u);
    unsigned long v = strtoul(u + 24, NULL, 16) % 10000000UL;
    snprintf(out, 20, "+1555%07lu", v);
}

/* A tool call id unique to this run (the ledger remembers ids across runs on one database). */
static inline const char *tr_tid(const char *name)
{
    static char ring[8][64];
    static int next;
    char *out = ring[next++ % 8];
    snprintf(out, 64, "%s-%s", name, TR.tag);
    return out;
}

/* ------------------------------------------------------------ opening and closing */

static inline void tr_open_common(const char *name)
{
    vx_log_init(name);
    char u[37];
    vt_uuid(u);
    snprintf(TR.tag, sizeof(TR.tag), "%.8s", u);
    TR.admin = vt_admin();
    VT_REQUIRE(natsConnection_ConnectTo(&TR.nc, vt_env("NATS_URL")) == NATS_OK, "NATS connection");
}

/* In-process: a dispatcher with the default settings, no pool (every message
 * answered in place, as a pool thread answers it) and no listener (org cache
 * entries live 5 s). with_nats: the tools' own requests (vault, rag-search)
 * go on the test's connection, where the test's stand-ins answer; without,
 * there is no Google and no rag-search at all. */
static inline void tr_open_in_process(const char *name, bool with_nats)
{
    tr_open_common(name);
    /* This process is tool-router: it signs org hints with the suite's key. */
    char org_hint_key[65];
    vt_envelope_key_hex(VX_VAPI_ORG_HINT_KEY_NAME, org_hint_key);
    setenv("ORG_HINT_KEY", org_hint_key, 1);
    settings_defaults(&TR.config);
    TR.config.vault_miss_ttl_ms = 0; /* stand-ins start and stop between tests */
    TR.d = dispatch_create(vt_env("DATABASE_URL"), with_nats ? TR.nc : NULL, NULL, &TR.config, NULL);
}

/* As a process: tool-router with the extra environment env (NULL-terminated, may be NULL). */
static inline void tr_start_process(const char *name, const char *log, const char *const *env)
{
    tr_open_common(name);
    TR.log = log;
    TR.service = vt_start_service(TR.nc, "tool-router", "tools", log, env);
}

/* Stops what tr_open_* / tr_start_process started; the process must exit 0. */
static inline void tr_close(void)
{
    if (TR.service > 0)
        assert_int_equal(vt_stop(TR.service, SIGTERM, 10000), 0);
    dispatch_destroy(TR.d);
    natsConnection_Destroy(TR.nc);
    PQfinish(TR.admin);
    nats_Close();
}

/* ------------------------------------------------------------ requests */

typedef struct tr_answer {
    unsigned status;
    char *body;
    cJSON *json; /* body parsed: every answer of tool-router is JSON */
} tr_answer;

static inline void tr_answer_free(tr_answer *a)
{
    free(a->body);
    cJSON_Delete(a->json);
    memset(a, 0, sizeof(*a));
}

/* Reads a JSON answer into a tr_answer (copying body). */
static inline tr_answer tr_answer_of(unsigned status, const char *content_type, const void *body, size_t len)
{
    tr_answer a = {status, strndup(body != NULL ? (const char *)body : "", len), NULL};
    VT_REQUIRE(a.body != NULL, "out of memory");
    VT_REQUIRE(content_type != NULL && strcmp(content_type, "application/json") == 0, "the answer is not application/json");
    a.json = cJSON_Parse(a.body);
    VT_REQUIRE(a.json != NULL, "the answer is not JSON");
    return a;
}

/* Hands body to the dispatcher d as a GatewayRequest of the webhook route
 * or, with per_tool, of /api/vapi/tools/{path_tool}; vapi: authenticated as
 * Vapi; deadline_ms: the gateway's deadline (unix ms, 0: none). */
static inline tr_answer tr_dispatch(dispatch *d, bool per_tool, const char *path_tool, const char *body, bool vapi,
                                    int64_t deadline_ms)
{
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(per_tool ? TR_ROUTE_TOOL : TR_ROUTE_WEBHOOK, path_tool, body, vapi, deadline_ms, &buf, &len);
    Voxanne__V1__GatewayRequest *req = voxanne__v1__gateway_request__unpack(NULL, len, buf);
    free(buf);
    VT_REQUIRE(req != NULL, "the request does not decode");
    vx_rpc_reply reply = {.content_type = "application/json"};
    dispatch_request(d, req, &reply);
    tr_answer a = tr_answer_of(reply.status, reply.content_type, reply.body.data, reply.body.len);
    vx_buf_free(&reply.body);
    voxanne__v1__gateway_request__free_unpacked(req, NULL);
    return a;
}

/* Sends body to the service the test opened (in-process or over NATS), as tr_dispatch. */
static inline tr_answer tr_send(bool per_tool, const char *path_tool, const char *body, bool vapi, int64_t deadline_ms)
{
    if (TR.d != NULL)
        return tr_dispatch(TR.d, per_tool, path_tool, body, vapi, deadline_ms);
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(per_tool ? TR_ROUTE_TOOL : TR_ROUTE_WEBHOOK, path_tool, body, vapi, deadline_ms, &buf, &len);
    Voxanne__V1__GatewayResponse *resp =
        vt_gateway_call(TR.nc, per_tool ? VX_SUBJECT_TOOLS_TOOL : VX_SUBJECT_TOOLS_WEBHOOK, buf, len);
    free(buf);
    tr_answer a = tr_answer_of(resp->status, resp->content_type, resp->body.data, resp->body.len);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    return a;
}

/* For tests that run their own tool-router process on nc: a Vapi webhook
 * body, authenticated, with 10 s to answer, on the route's own subject; the
 * HTTP status, and the body parsed into *json (caller deletes). */
static inline unsigned tr_process_webhook(natsConnection *nc, const char *body, cJSON **json)
{
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(TR_ROUTE_WEBHOOK, NULL, body, true, vx_now_ms() + 10000, &buf, &len);
    Voxanne__V1__GatewayResponse *resp = vt_gateway_call(nc, VX_SUBJECT_TOOLS_WEBHOOK, buf, len);
    free(buf);
    unsigned status = resp->status;
    *json = cJSON_ParseWithLength((const char *)resp->body.data, resp->body.len);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    VT_REQUIRE(*json != NULL, "the answer is not JSON");
    return status;
}

/* A Vapi webhook message, authenticated, with 10 s to answer. */
static inline tr_answer tr_webhook(const char *body)
{
    return tr_send(false, NULL, body, true, vx_now_ms() + 10000);
}

/* {"message":{"type":"tool-calls","call":{"id","assistantId","customer":{"number"}},"toolCallList":[calls]}};
 * caller NULL: no customer. malloc'd. */
static inline char *tr_tool_calls(const char *assistant, const char *call_id, const char *caller, const char *calls)
{
    vx_buf b = VX_BUF_INIT, customer = VX_BUF_INIT;
    if (caller != NULL)
        vx_buf_printf(&customer, ",\"customer\":{\"number\":\"%s\"}", caller);
    vx_buf_printf(&b,
                  "{\"message\":{\"type\":\"tool-calls\",\"timestamp\":1722115418016,\"call\":{\"id\":\"%s\","
                  "\"assistantId\":\"%s\"%s},\"toolCallList\":[%s]}}",
                  call_id, assistant, customer.data != NULL ? customer.data : "", calls);
    vx_buf_free(&customer);
    return vx_buf_steal(&b);
}

/* One call: {"id","type":"function","function":{"name","arguments"}} (args_json as it goes on the wire). malloc'd. */
static inline char *tr_one_call(const char *id, const char *name, const char *args_json)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}", id, name, args_json);
    return vx_buf_steal(&b);
}

/* Runs one tool call for assistant on call_id (NULL: a fresh one) from caller (may be NULL). */
static inline tr_answer tr_run_tool_from(const char *assistant, const char *call_id, const char *tool_call_id, const char *name,
                                         const char *args, const char *caller)
{
    char cid[64];
    if (call_id == NULL) {
        tr_fresh_id(cid, sizeof(cid), "call");
        call_id = cid;
    }
    char *call = tr_one_call(tool_call_id, name, args);
    char *body = tr_tool_calls(assistant, call_id, caller, call);
    tr_answer a = tr_webhook(body);
    free(call);
    free(body);
    return a;
}

/* ------------------------------------------------------------ reading answers */

static inline const cJSON *tr_result_at(const tr_answer *a, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(a->json, "results"), i);
}

static inline const char *tr_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The result text (result or error) of entry i, never NULL (a missing entry fails the test); *is_error says which. */
static inline const char *tr_said(const tr_answer *a, int i, bool *is_error)
{
    const cJSON *e = tr_result_at(a, i);
    const char *r = tr_str(e, "result");
    if (is_error != NULL)
        *is_error = r == NULL;
    const char *text = r != NULL ? r : tr_str(e, "error");
    if (text == NULL)
        fail_msg("no result %d in the answer (HTTP %u): %s", i, a->status, a->body);
    return text;
}

/* ------------------------------------------------------------ SQL */

static inline long tr_sql_long1(const char *sql, const char *p1)
{
    const char *p[1] = {p1};
    return vt_sql_long(TR.admin, sql, 1, p);
}

static inline char *tr_sql_str1(const char *sql, const char *p1)
{
    const char *p[1] = {p1};
    return vt_sql_value(TR.admin, sql, 1, p);
}

/* A contact last contacted 6 days and an hour ago. */
static inline void tr_add_contact(const char *org, const char *first, const char *last, const char *phone, const char *email)
{
    const char *p[5] = {org, first, last, phone, email};
    vt_sql_exec(TR.admin,
                "INSERT INTO contacts (org_id, first_name, last_name, phone, email, last_contacted_at)"
                " VALUES ($1, $2, $3, $4, $5, now() - interval '6 days 1 hour')",
                5, p);
}

/* The call_logs transfer columns of a call, as "to|reason|has_time" (malloc'd). */
static inline char *tr_transfer_row(const char *call_id)
{
    return tr_sql_str1("SELECT coalesce(transfer_to, '-') || '|' || coalesce(transfer_reason, '-') || '|' ||"
                       " (transfer_time IS NOT NULL)::text FROM call_logs WHERE vapi_call_id = $1",
                       call_id);
}

/* ------------------------------------------------------------ the clinics */

/*
 * The tenants most tests use:
 *   A "Acme Dental": assistant, phone number id and number; contacts John
 *     Smith, Jane Doe (with an earlier call and its summary), two Sam Lees;
 *     transfers: billing → a number, Medical → a SIP URI, else a default number;
 *   B "Beta Spa": another tenant with contact Bob Brown and a call of its
 *     own (b_call); SIP-only default transfer;
 *   C "Gamma Clinic": an assistant and no integration_settings at all.
 */
static struct {
    char org_a[37], asst_a[64], pnid_a[64], num_a[20];
    char org_b[37], asst_b[64], num_b[20];
    char org_c[37], asst_c[64];
    char john_phone[20], jane_phone[20], bob_phone[20], sam1_phone[20], sam2_phone[20], bill_num[20], default_num[20];
    char b_call[64];
} CLINICS __attribute__((unused));

static inline void tr_make_clinics(void)
{
    tr_fresh_id(CLINICS.asst_a, sizeof(CLINICS.asst_a), "asst-a");
    tr_fresh_id(CLINICS.pnid_a, sizeof(CLINICS.pnid_a), "pn-a");
    tr_fresh_id(CLINICS.asst_b, sizeof(CLINICS.asst_b), "asst-b");
    tr_fresh_id(CLINICS.asst_c, sizeof(CLINICS.asst_c), "asst-c");
    tr_random_e164(CLINICS.num_a);
    tr_random_e164(CLINICS.num_b);
    vt_create_org(TR.admin, "Acme Dental", CLINICS.asst_a, CLINICS.pnid_a, CLINICS.num_a, CLINICS.org_a);
    vt_create_org(TR.admin, "Beta Spa", CLINICS.asst_b, NULL, CLINICS.num_b, CLINICS.org_b);
    vt_create_org(TR.admin, "Gamma Clinic", CLINICS.asst_c, NULL, NULL, CLINICS.org_c);

    tr_random_e164(CLINICS.john_phone);
    tr_random_e164(CLINICS.jane_phone);
    tr_random_e164(CLINICS.bob_phone);
    tr_random_e164(CLINICS.sam1_phone);
    tr_random_e164(CLINICS.sam2_phone);
    tr_add_contact(CLINICS.org_a, "John", "Smith", CLINICS.john_phone, "John.Smith@Acme.example");
    tr_add_contact(CLINICS.org_a, "Jane", "Doe", CLINICS.jane_phone, "jane@doe.example");
    tr_add_contact(CLINICS.org_a, "Sam", "Lee", CLINICS.sam1_phone, "sam.lee@one.example");
    tr_add_contact(CLINICS.org_a, "Sam", "Lee", CLINICS.sam2_phone, NULL);
    tr_add_contact(CLINICS.org_b, "Bob", "Brown", CLINICS.bob_phone, "bob@beta.example");

    /* Jane's previous call, with the summary assistant-request hands over. */
    char prev[64];
    tr_fresh_id(prev, sizeof(prev), "prev");
    const char *pc[3] = {CLINICS.org_a, prev, CLINICS.jane_phone};
    vt_sql_exec(
        TR.admin,
        "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, phone_number, outcome_summary, created_at)"
        " VALUES ($1, $2, 'vapi-' || $2, 'completed', $3, 'Asked about teeth whitening prices.', now() - interval '6 days')",
        3, pc);
    /* A call of org B that org A must never touch. */
    tr_fresh_id(CLINICS.b_call, sizeof(CLINICS.b_call), "call-b");
    const char *pb[2] = {CLINICS.org_b, CLINICS.b_call};
    vt_sql_exec(TR.admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'in-progress')", 2,
                pb);

    tr_random_e164(CLINICS.bill_num);
    tr_random_e164(CLINICS.default_num);
    const char *ps[3] = {CLINICS.org_a, CLINICS.bill_num, CLINICS.default_num};
    vt_sql_exec(TR.admin,
                "INSERT INTO integration_settings (org_id, transfer_phone_number, transfer_departments)"
                " VALUES ($1, $3, jsonb_build_object('billing', $2::text, 'Medical', 'sip:medical@acme.example'))",
                3, ps);
    const char *pbs[1] = {CLINICS.org_b};
    vt_sql_exec(TR.admin, "INSERT INTO integration_settings (org_id, transfer_sip_uri) VALUES ($1, 'sips:desk@beta.example')", 1,
                pbs);
}

/* A stand-in rag-search (subscribe it on TR.nc to RAG_SEARCH_SUBJECT): answers
 * org A's searches with a fixed context that repeats the question (a newline
 * in it, which the answer must not keep) and its two chunks as hits, as
 * rag-search does; anyone else's with an error. */
static inline void tr_rag_answering(natsConnection *conn, natsSubscription *sub, natsMsg *msg, void *closure)
{
    Voxanne__V1__RagSearchRequest *req =
        voxanne__v1__rag_search_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    Voxanne__V1__RagSearchReply reply = VOXANNE__V1__RAG_SEARCH_REPLY__INIT;
    char context[256];
    if (req == NULL || strcmp(req->org_id, CLINICS.org_a) != 0) {
        reply.error = "wrong org";
    } else {
        snprintf(context, sizeof(context), "We are open 9 to 5.\nQuestion was: %s", req->query);
        reply.context = context;
        reply.chunks = 1;
    }
    Voxanne__V1__RagHit hits[2], *hit_ptrs[2] = {&hits[0], &hits[1]};
    for (int i = 0; i < 2; i++)
        voxanne__v1__rag_hit__init(&hits[i]);
    hits[0].chunk_id = "11111111-0000-4000-8000-000000000001";
    hits[0].content = "Hours: We are open 9 to 5.\nMonday to Friday.";
    hits[0].similarity = 0.75f;
    hits[1].chunk_id = "11111111-0000-4000-8000-000000000002";
    hits[1].content = "Parking is free.";
    hits[1].similarity = 0.5f;
    if (reply.context[0] != '\0') {
        reply.n_hits = 2;
        reply.hits = hit_ptrs;
    }
    uint8_t buf[512];
    size_t len = voxanne__v1__rag_search_reply__pack(&reply, buf);
    natsConnection_Publish(conn, natsMsg_GetReply(msg), buf, (int)len);
    if (req != NULL)
        voxanne__v1__rag_search_request__free_unpacked(req, NULL);
    natsMsg_Destroy(msg);
}

/* A stand-in rag-search that takes every question and never answers. */
static inline void tr_rag_silent(natsConnection *conn, natsSubscription *sub, natsMsg *msg, void *closure)
{
    natsMsg_Destroy(msg);
}

/* Subscribes a stand-in on TR.nc (flushed: it answers from the next request on). */
static inline natsSubscription *tr_stand_in(const char *subject, natsMsgHandler handler)
{
    natsSubscription *sub = NULL;
    VT_REQUIRE(natsConnection_Subscribe(&sub, TR.nc, subject, handler, NULL) == NATS_OK, "subscribe");
    VT_REQUIRE(natsConnection_Flush(TR.nc) == NATS_OK, "flush");
    return sub;
}

static inline void tr_stand_in_stop(natsSubscription *sub)
{
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Flush(TR.nc);
}

/* A tool call for assistant from Jane's phone (the callers of the clinics' tests call from it), on call_id (NULL: a fresh one). */
static inline tr_answer tr_run_tool(const char *assistant, const char *call_id, const char *tool_call_id, const char *name,
                                    const char *args)
{
    return tr_run_tool_from(assistant, call_id, tool_call_id, name, args, CLINICS.jane_phone);
}

#endif
