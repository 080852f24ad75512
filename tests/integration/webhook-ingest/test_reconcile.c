/*
 * Integration test of webhook-ingest's reconciliation with Vapi
 * (services/webhook-ingest/reconcile.c): the real binary against real NATS,
 * PostgreSQL and tests/fakes/vapi_api (GET /call), with env DATABASE_URL,
 * ADMIN_DATABASE_URL, NATS_URL, BIN_DIR and FAKES_DIR as tests/run-all.sh
 * sets them.
 *
 * Vapi does not retry webhooks: the calls the fake knows but whose webhooks
 * were "dropped" (never published) must end up stored exactly once, mapped
 * as a webhook's report would be, and running again must change nothing.
 * A round is observed through the fake (how many GET /call it answered, how
 * many injected failures it gave), the result through the superuser
 * connection; rows are compared by md5 of the whole row (updated_at
 * included), so "untouched" means not even re-upserted.
 *
 * Covered: a stored call stays untouched; dropped calls are stored once
 * with transcript, duration, cost, ended reason and caller; a call known
 * only from its status-update is completed; a call in progress or ended
 * within the grace is not fed (and is once it is due); a call of an unknown
 * org is parked once; further rounds change nothing; Vapi answering 500
 * changes nothing and the next round succeeds; two replicas reconciling
 * 230 calls (three pages, with createdAt ties across page boundaries) at
 * once give exactly one row per call; a graceful stop exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "vt.h"
#include "vx_buf.h"
#include "vx_time.h"

#define WAIT_MS    60000
#define VAPI_KEY   "reconcile-test-vapi-private-key"
#define TRANSCRIPT "AI: Thank you for calling, how can I help?\nUser: I would like to book a cleaning next week."
#define SUMMARY    "The caller asked for a cleaning appointment."
#define CALLER     "+14155550123"

static struct {
    PGconn *admin;
    pid_t fake;
    char fake_url[64];
    char env_url[128];
    char org[37];
    char assistant[64];
} T;

/* ------------------------------------------------------------ helpers */

static void iso(int64_t ms, char out[25])
{
    vx_time_format_iso(ms, out);
}

/* A Call object as GET /call answers it. ended_ms 0: not ended (status as given). */
static cJSON *call_obj(const char *id, const char *assistant_id, const char *status, int64_t created_ms, int64_t ended_ms)
{
    char t[25];
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", id);
    cJSON_AddStringToObject(c, "type", "inboundPhoneCall");
    cJSON_AddStringToObject(c, "status", status);
    cJSON_AddStringToObject(c, "assistantId", assistant_id);
    cJSON_AddNullToObject(c, "phoneNumberId");
    cJSON *customer = cJSON_AddObjectToObject(c, "customer");
    cJSON_AddStringToObject(customer, "number", CALLER);
    cJSON_AddStringToObject(customer, "name", "Jane Roe");
    iso(created_ms, t);
    cJSON_AddStringToObject(c, "createdAt", t);
    iso(created_ms + 2000, t);
    cJSON_AddStringToObject(c, "startedAt", t);
    if (ended_ms != 0) {
        iso(ended_ms, t);
        cJSON_AddStringToObject(c, "endedAt", t);
        cJSON_AddStringToObject(c, "updatedAt", t);
        cJSON_AddStringToObject(c, "endedReason", "customer-ended-call");
        cJSON_AddNumberToObject(c, "cost", 0.42);
        cJSON_AddItemToObject(c, "costs", cJSON_CreateArray());
        cJSON *artifact = cJSON_AddObjectToObject(c, "artifact");
        cJSON_AddStringToObject(artifact, "transcript", TRANSCRIPT);
        cJSON_AddStringToObject(artifact, "recordingUrl", "https://storage.vapi.ai/rec.wav");
        cJSON_AddItemToObject(artifact, "messages", cJSON_CreateArray());
        cJSON *analysis = cJSON_AddObjectToObject(c, "analysis");
        cJSON_AddStringToObject(analysis, "summary", SUMMARY);
        cJSON_AddStringToObject(analysis, "successEvaluation", "true");
    } else {
        iso(created_ms + 2000, t);
        cJSON_AddStringToObject(c, "updatedAt", t);
    }
    cJSON *monitor = cJSON_AddObjectToObject(c, "monitor");
    cJSON_AddStringToObject(monitor, "controlUrl",
                            "https://phone-call-websocket.aws-us-west-2-backend-production2.vapi.ai/x/control");
    return c;
}

/* An ended call: created minutes_ago minutes ago, ended 125 s after it started.
 * The service runs with a 60-minute window and a 10-minute grace: 15..55
 * minutes ago is due, whatever the test's own pace. */
static cJSON *ended_call(const char *id, const char *assistant_id, double minutes_ago)
{
    int64_t created = vx_now_ms() - (int64_t)(minutes_ago * 60000);
    return call_obj(id, assistant_id, "ended", created, created + 2000 + 125000);
}

/* Seeds calls (taken) into the fake. */
static void seed(cJSON *calls)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "calls", calls);
    char *text = cJSON_PrintUnformatted(body);
    vt_fake_post(T.fake_url, "/_fake/calls", text);
    free(text);
    cJSON_Delete(body);
}

static void seed_one(cJSON *call)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, call);
    seed(a);
}

static long fake_state(const char *key)
{
    cJSON *st = vt_fake_get_json(T.fake_url, "/_fake/state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, key);
    long n = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(st);
    return n;
}

typedef struct {
    const char *key;
    long want;
} state_wait;

static bool state_reached(void *arg)
{
    const state_wait *w = arg;
    return fake_state(w->key) >= w->want;
}

/* Waits until the fake answered n more GET /call (a page each). */
static void wait_listed(long n)
{
    state_wait w = {"listed", fake_state("listed") + n};
    if (!vt_wait_for(state_reached, &w, WAIT_MS))
        fail_msg("the fake was not asked for %ld more pages within %d ms", n, WAIT_MS);
}

static pid_t start_ingest(const char *log_name)
{
    const char *env[] = {
        "INGEST_WORKERS=1",      T.env_url, "VAPI_PRIVATE_KEY=" VAPI_KEY, "RECONCILE_INTERVAL_S=1", "RECONCILE_WINDOW_MIN=60",
        "RECONCILE_GRACE_S=600", NULL};
    return vt_spawn("webhook-ingest", log_name, env);
}

static void stop_ingest(pid_t pid)
{
    assert_true(vt_alive(pid));
    assert_int_equal(vt_stop(pid, SIGTERM, 20000), 0);
}

static long rows(const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p);
}

/* md5 of the whole row (updated_at included), or NULL without a row. malloc'd. */
static char *row_hash(const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_value(T.admin, "SELECT md5(c::text) FROM call_logs c WHERE vapi_call_id = $1", 1, p);
}

static long parked(const char *call_id)
{
    char rid[128];
    snprintf(rid, sizeof rid, "reconcile-%s", call_id);
    const char *p[1] = {rid};
    return vt_sql_long(T.admin, "SELECT count(*) FROM parked_messages WHERE request_id = $1", 1, p);
}

static void wait_completed(const char *call_id)
{
    const char *p[1] = {call_id};
    long n = vt_wait_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND status = 'completed'", 1, p, 1,
                              WAIT_MS);
    if (n != 1)
        fail_msg("call %s was not stored as completed within %d ms", call_id, WAIT_MS);
}

static void assert_column(const char *call_id, const char *expr, const char *want)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM call_logs WHERE vapi_call_id = $1", expr);
    const char *p[1] = {call_id};
    char *got = vt_sql_value(T.admin, sql, 1, p);
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s of %s: expected '%s', got '%s'", expr, call_id, want, got ? got : "NULL");
    free(got);
}

static void new_id(char out[37])
{
    vt_uuid(out);
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    T.admin = vt_admin();
    char u[37];
    vt_uuid(u);
    snprintf(T.assistant, sizeof T.assistant, "asst-rec-%s", u);
    vt_create_org(T.admin, "Reconcile IT org", T.assistant, NULL, NULL, T.org);

    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof env_port, "VAPI_API_FAKE_PORT=%d", port);
    const char *env[] = {env_port, "VAPI_API_FAKE_KEY=" VAPI_KEY, NULL};
    T.fake = vt_spawn("vapi_api", "vapi_api_fake_reconcile", env);
    snprintf(T.fake_url, sizeof T.fake_url, "http://127.0.0.1:%d", port);
    snprintf(T.env_url, sizeof T.env_url, "VAPI_API_BASE_URL=%s", T.fake_url);
    char ready[128];
    snprintf(ready, sizeof ready, "%s/_fake/state", T.fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the vapi_api fake did not start (see build/test-logs/vapi_api_fake_reconcile.log)");
    return 0;
}

static int teardown(void **state)
{
    int rc = vt_stop(T.fake, SIGTERM, 8000);
    PQfinish(T.admin);
    nats_CloseAndWait(2000);
    VT_REQUIRE(rc == 0, "the vapi_api fake did not stop cleanly (see build/test-logs/vapi_api_fake_reconcile.log)");
    return 0;
}

static int reset_fake(void **state)
{
    vt_fake_post(T.fake_url, "/_fake/reset", "{}");
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_dropped_reports_are_stored_once(void **state)
{
    char stored[37], status_only[37], in_progress[37], recent[37], orphan[37], dropped[3][37];
    new_id(stored);
    new_id(status_only);
    new_id(in_progress);
    new_id(recent);
    new_id(orphan);
    for (int i = 0; i < 3; i++)
        new_id(dropped[i]);

    /* What the webhooks did deliver: one full report, one status-update only. */
    const char *ps[2] = {T.org, stored};
    vt_sql_exec(T.admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, outcome, transcript, duration_seconds)"
                " VALUES ($1, $2, 'vapi-' || $2, 'completed', 'completed', 'stored by its webhook', 42)",
                2, ps);
    const char *pu[2] = {T.org, status_only};
    vt_sql_exec(T.admin, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'ended')",
                2, pu);
    char *stored_hash = row_hash(stored);

    int64_t now = vx_now_ms();
    cJSON *calls = cJSON_CreateArray();
    cJSON_AddItemToArray(calls, ended_call(stored, T.assistant, 30));
    cJSON_AddItemToArray(calls, ended_call(status_only, T.assistant, 29));
    for (int i = 0; i < 3; i++)
        cJSON_AddItemToArray(calls, ended_call(dropped[i], T.assistant, 28 - i));
    cJSON_AddItemToArray(calls, call_obj(in_progress, T.assistant, "in-progress", now - 600000, 0));
    cJSON_AddItemToArray(calls, call_obj(recent, T.assistant, "ended", now - 300000, now - 5000)); /* within the grace */
    cJSON_AddItemToArray(calls, ended_call(orphan, "asst-nobody-knows", 25));
    seed(calls);

    pid_t ingest = start_ingest("webhook-ingest-reconcile");
    for (int i = 0; i < 3; i++)
        wait_completed(dropped[i]);
    wait_completed(status_only);
    char rid[128];
    snprintf(rid, sizeof rid, "reconcile-%s", orphan);
    const char *po[1] = {rid};
    assert_int_equal(vt_wait_sql_long(T.admin, "SELECT count(*) FROM parked_messages WHERE request_id = $1", 1, po, 1, WAIT_MS), 1);

    /* Mapped as the webhook's report would have been. */
    assert_column(dropped[0], "org_id", T.org);
    assert_column(dropped[0], "transcript", TRANSCRIPT);
    assert_column(dropped[0], "duration_seconds", "125");
    assert_column(dropped[0], "total_cost", "0.4200");
    assert_column(dropped[0], "ended_reason", "customer-ended-call");
    assert_column(dropped[0], "phone_number", CALLER);
    assert_column(dropped[0], "caller_name", "Jane Roe");
    assert_column(dropped[0], "outcome_summary", SUMMARY);
    assert_column(dropped[0], "recording_url", "https://storage.vapi.ai/rec.wav");
    assert_column(dropped[0], "assistant_id", T.assistant);
    assert_column(status_only, "transcript", TRANSCRIPT);

    /* Later rounds change nothing: not even updated_at. */
    char *before[4];
    for (int i = 0; i < 3; i++)
        before[i] = row_hash(dropped[i]);
    before[3] = row_hash(status_only);
    wait_listed(3);
    for (int i = 0; i < 3; i++) {
        char *after = row_hash(dropped[i]);
        assert_string_equal(after, before[i]);
        free(after);
        assert_int_equal(rows(dropped[i]), 1);
    }
    char *after = row_hash(status_only);
    assert_string_equal(after, before[3]);
    free(after);
    after = row_hash(stored);
    assert_non_null(stored_hash);
    assert_string_equal(after, stored_hash); /* the stored call was never fed */
    free(after);
    assert_int_equal(rows(in_progress), 0);
    assert_int_equal(rows(recent), 0);
    assert_int_equal(rows(orphan), 0);
    assert_int_equal(parked(orphan), 1);

    /* The call in progress ends: once due, it is fed too. */
    seed_one(ended_call(in_progress, T.assistant, 20));
    wait_completed(in_progress);
    assert_int_equal(rows(in_progress), 1);

    stop_ingest(ingest);
    for (int i = 0; i < 4; i++)
        free(before[i]);
    free(stored_hash);
}

static void test_vapi_failure_changes_nothing(void **state)
{
    char id[37];
    new_id(id);
    seed_one(ended_call(id, T.assistant, 35));
    vt_fake_post(T.fake_url, "/_fake/fail", "{\"path\":\"/call\",\"method\":\"GET\",\"status\":500,\"count\":1000000}");
    pid_t ingest = start_ingest("webhook-ingest-reconcile-500");
    state_wait w = {"failures", 3};
    assert_true(vt_wait_for(state_reached, &w, WAIT_MS)); /* three rounds met a 500 */
    assert_int_equal(rows(id), 0);
    assert_int_equal(fake_state("listed"), 0);
    assert_true(vt_alive(ingest));

    vt_fake_post(T.fake_url, "/_fake/fail", "{\"count\":0}"); /* Vapi is back */
    wait_completed(id);
    assert_int_equal(rows(id), 1);
    stop_ingest(ingest);
}

static void test_two_replicas_store_each_call_once(void **state)
{
    enum { N = 230 }; /* three pages of 100 */
    static char ids[N][37];
    cJSON *calls = cJSON_CreateArray();
    int64_t base = vx_now_ms() - 40 * 60000;
    for (int i = 0; i < N; i++) {
        new_id(ids[i]);
        /* Three calls per millisecond: pages of 100 end inside a group. */
        int64_t created = base + (i / 3) * 1000;
        cJSON_AddItemToArray(calls, call_obj(ids[i], T.assistant, "ended", created, created + 127000));
    }
    seed(calls);

    pid_t a = start_ingest("webhook-ingest-reconcile-a");
    pid_t b = start_ingest("webhook-ingest-reconcile-b");
    vx_buf list = VX_BUF_INIT;
    vx_buf_putc(&list, '{');
    for (int i = 0; i < N; i++)
        vx_buf_printf(&list, "%s%s", i ? "," : "", ids[i]);
    vx_buf_putc(&list, '}');
    const char *p[1] = {list.data};
    long n = vt_wait_sql_long(
        T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[]) AND status = 'completed'", 1, p, N, WAIT_MS);
    assert_int_equal(n, N);
    char *before = vt_sql_value(
        T.admin, "SELECT string_agg(md5(c::text), ',' ORDER BY vapi_call_id) FROM call_logs c WHERE vapi_call_id = ANY($1::text[])",
        1, p);
    wait_listed(9); /* at least three more rounds of three pages, between the two */
    char *after = vt_sql_value(
        T.admin, "SELECT string_agg(md5(c::text), ',' ORDER BY vapi_call_id) FROM call_logs c WHERE vapi_call_id = ANY($1::text[])",
        1, p);
    assert_non_null(before);
    assert_string_equal(after, before);
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p), N);
    free(before);
    free(after);
    vx_buf_free(&list);
    stop_ingest(a);
    stop_ingest(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_dropped_reports_are_stored_once, reset_fake),
        cmocka_unit_test_setup(test_vapi_failure_changes_nothing, reset_fake),
        cmocka_unit_test_setup(test_two_replicas_store_each_call_once, reset_fake),
    };
    return cmocka_run_group_tests_name("webhook-ingest reconciliation", tests, setup, teardown);
}
