/*
 * Integration test for services/webhook-ingest: the real binary against real
 * NATS JetStream and PostgreSQL (env DATABASE_URL, ADMIN_DATABASE_URL,
 * NATS_URL, and INGEST_BIN or BIN_DIR, as tests/run-all.sh sets them).
 *
 * The test plays the gateway: it publishes voxanne.v1.VapiMessageEvent
 * protobufs to vapi.msg.<type> with a Nats-Msg-Id, and checks through the
 * superuser connection what the service stored. "All processed" is observed
 * on the durable consumer itself (nothing pending, nothing awaiting an ack),
 * so a test can also prove that a message changed nothing. Every id is unique
 * per run, so the test can share a database with other tests and earlier runs.
 *
 * Covered: a full report maps every column; a redelivered report (new msg id)
 * keeps one row; late status-updates never reopen a completed call; a
 * status-update alone creates the row; an unresolvable org is parked, never
 * guessed; the metadata and phone tiers of org resolution; a permanent SQL
 * error is parked instead of retried forever; malformed JSON and garbage
 * protobuf neither crash the service nor block later messages; the health
 * responder; throughput of a burst; PostgreSQL stopped while reports arrive
 * (when the runner's VX_STATE_DIR is set: nothing is lost, health says so);
 * graceful shutdown (exit 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "voxanne/v1/vapi.pb-c.h"
#include "vt.h"
#include "vx_nats.h"
#include "vx_time.h"

#define WAIT_MS 20000

/* Ids inside the fixtures, replaced by per-run ones. */
#define FX_CALL        "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d"
#define FX_LEGACY_CALL "b1223c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e"
#define FX_ASSISTANT   "9f8e7d6c-5b4a-4f3e-8d2c-1b0a9f8e7d6c"
#define FX_PHONE_ID    "4a5a6b7c-8d9e-4f0a-b1c2-d3e4f5a6b7c8"
#define FX_CALLED      "+19254207621"

static struct {
    PGconn *admin;
    natsConnection *nc;
    jsCtx *js;
    pid_t child;
    char org_a[37], org_b[37], org_c[37], org_d[37];
    char assistant_a[64]; /* org A: tier 1 */
    char phone_id_c[64];  /* org C: tier 3, phoneNumberId */
    char number_d[16];    /* org D: tier 3, called number */
    char unknown_phone_id[64];
} T;

/* ------------------------------------------------------------ helpers */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *fixture(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/vapi/%s", name);
    size_t len;
    return vt_read_file(path, &len);
}

/* s with from → to, freeing s. */
static char *swap(char *s, const char *from, const char *to)
{
    char *r = vt_replace(s, from, to);
    free(s);
    return r;
}

static void random_e164(char out[16])
{
    /* +1 555 and 7 random digits: valid E.164, unique enough per run. */
    unsigned r = (unsigned)rand() % 10000000u;
    snprintf(out, 16, "+1555%07u", r);
}

static pid_t spawn_ingest(void)
{
    char path[512];
    const char *bin = getenv("INGEST_BIN");
    if (bin && *bin)
        snprintf(path, sizeof path, "%s", bin);
    else
        snprintf(path, sizeof path, "%s/webhook-ingest", vt_env("BIN_DIR"));
    mkdir("build", 0755);
    mkdir("build/test-logs", 0755);
    pid_t pid = fork();
    VT_REQUIRE(pid >= 0, "fork failed");
    if (pid == 0) {
        int fd = open("build/test-logs/webhook-ingest-integration.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setenv("INGEST_WORKERS", "2", 1);
        execl(path, path, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Publishes one event the way the gateway does (Nats-Msg-Id de-duplication). */
static void publish_bytes(const char *type, const void *data, size_t len)
{
    char subject[128], msg_id[37];
    snprintf(subject, sizeof subject, VX_SUBJECT_VAPI_PREFIX "%s", type);
    vt_uuid(msg_id);
    natsMsg *m = NULL;
    VT_REQUIRE(natsMsg_Create(&m, subject, NULL, data, (int)len) == NATS_OK, "natsMsg_Create");
    VT_REQUIRE(natsMsgHeader_Set(m, "Nats-Msg-Id", msg_id) == NATS_OK, "natsMsgHeader_Set");
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_PublishMsg(&pa, T.js, m, NULL, &jerr);
    VT_REQUIRE(s == NATS_OK, "js_PublishMsg failed");
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
}

static void publish_event(const char *type, const char *call_id, const char *raw, size_t raw_len)
{
    char rid[40];
    vt_uuid(rid);
    Voxanne__V1__VapiMessageEvent ev = VOXANNE__V1__VAPI_MESSAGE_EVENT__INIT;
    ev.request_id = rid;
    ev.type = (char *)type;
    ev.call_id = (char *)(call_id ? call_id : "");
    ev.raw_json.data = (uint8_t *)raw;
    ev.raw_json.len = raw_len;
    ev.received_at_ms = vx_now_ms();
    size_t len = voxanne__v1__vapi_message_event__get_packed_size(&ev);
    uint8_t *buf = malloc(len ? len : 1);
    voxanne__v1__vapi_message_event__pack(&ev, buf);
    publish_bytes(type, buf, len);
    free(buf);
}

static void publish_json(const char *type, const char *call_id, const char *json)
{
    publish_event(type, call_id, json, strlen(json));
}

/* Waits until the durable consumer has delivered everything and holds no unacked message. */
static void wait_drained(void)
{
    int64_t deadline = vx_now_ms() + WAIT_MS;
    while (vx_now_ms() < deadline) {
        jsConsumerInfo *ci = NULL;
        jsErrCode jerr = 0;
        if (js_GetConsumerInfo(&ci, T.js, VX_STREAM_VAPI, "webhook-ingest", NULL, &jerr) == NATS_OK) {
            bool idle = ci->NumPending == 0 && ci->NumAckPending == 0;
            jsConsumerInfo_Destroy(ci);
            if (idle)
                return;
        }
        sleep_ms(20);
    }
    fail_msg("the webhook-ingest consumer did not drain within %d ms", WAIT_MS);
}

static long calls_with_id(const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p);
}

static void wait_call_row(const char *call_id)
{
    const char *p[1] = {call_id};
    long n = vt_wait_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p, 1, WAIT_MS);
    assert_int_equal(n, 1);
}

/* One call_logs column as text (malloc'd, NULL for SQL NULL); column is a constant of this file. */
static char *column(const char *call_id, const char *expr)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM call_logs WHERE vapi_call_id = $1", expr);
    const char *p[1] = {call_id};
    return vt_sql_value(T.admin, sql, 1, p);
}

static void assert_column(const char *call_id, const char *expr, const char *want)
{
    char *got = column(call_id, expr);
    if (want == NULL) {
        if (got)
            fail_msg("%s: expected NULL, got '%s'", expr, got);
        return;
    }
    if (!got)
        fail_msg("%s: expected '%s', got NULL", expr, want);
    if (strcmp(got, want) != 0)
        fail_msg("%s: expected '%s', got '%s'", expr, want, got);
    free(got);
}

/* The main fixture for a new call of org A. */
static char *report_for(const char *call_id)
{
    char *s = fixture("end-of-call-report.json");
    s = swap(s, FX_CALL, call_id);
    s = swap(s, FX_ASSISTANT, T.assistant_a);
    return swap(s, FX_PHONE_ID, T.unknown_phone_id);
}

static char *status_for(const char *name, const char *call_id)
{
    char *s = fixture(name);
    s = swap(s, FX_CALL, call_id);
    s = swap(s, FX_ASSISTANT, T.assistant_a);
    return swap(s, FX_PHONE_ID, T.unknown_phone_id);
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    srand((unsigned)(getpid() ^ time(NULL)));
    T.admin = vt_admin();
    char u[37];
    vt_uuid(u);
    snprintf(T.assistant_a, sizeof T.assistant_a, "asst-%s", u);
    vt_uuid(u);
    snprintf(T.phone_id_c, sizeof T.phone_id_c, "pn-%s", u);
    vt_uuid(u);
    snprintf(T.unknown_phone_id, sizeof T.unknown_phone_id, "pn-unknown-%s", u);
    random_e164(T.number_d);
    vt_create_org(T.admin, "Ingest IT assistant org", T.assistant_a, NULL, NULL, T.org_a);
    vt_create_org(T.admin, "Ingest IT metadata org", NULL, NULL, NULL, T.org_b);
    vt_create_org(T.admin, "Ingest IT phone-id org", NULL, T.phone_id_c, NULL, T.org_c);
    vt_create_org(T.admin, "Ingest IT number org", NULL, NULL, T.number_d, T.org_d);

    VT_REQUIRE(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    VT_REQUIRE(natsConnection_JetStream(&T.js, T.nc, NULL) == NATS_OK, "no JetStream context");

    T.child = spawn_ingest();
    /* Ready when its durable consumer exists (it creates the stream first). */
    int64_t deadline = vx_now_ms() + WAIT_MS;
    for (;;) {
        jsConsumerInfo *ci = NULL;
        if (js_GetConsumerInfo(&ci, T.js, VX_STREAM_VAPI, "webhook-ingest", NULL, NULL) == NATS_OK) {
            jsConsumerInfo_Destroy(ci);
            break;
        }
        VT_REQUIRE(vt_alive(T.child), "webhook-ingest exited at start (see build/test-logs/webhook-ingest-integration.log)");
        VT_REQUIRE(vx_now_ms() < deadline, "webhook-ingest did not create its consumer");
        sleep_ms(20);
    }
    wait_drained(); /* leftovers of earlier runs */
    return 0;
}

static int teardown(void **state)
{
    if (T.child > 0)
        vt_stop(T.child, SIGKILL, 2000);
    if (T.js)
        jsCtx_Destroy(T.js);
    if (T.nc)
        natsConnection_Destroy(T.nc);
    if (T.admin)
        PQfinish(T.admin);
    nats_CloseAndWait(2000);
    return 0;
}

/* ------------------------------------------------------------ tests */

static char report_call[37]; /* shared by the report tests, in order */

static void test_report_maps_every_column(void **state)
{
    vt_uuid(report_call);
    char *json = report_for(report_call);
    publish_json("end-of-call-report", report_call, json);
    free(json);
    wait_call_row(report_call);

    const char *id = report_call;
    assert_column(id, "org_id", T.org_a);
    char sid[64];
    snprintf(sid, sizeof sid, "vapi-%s", id);
    assert_column(id, "call_sid", sid);
    assert_column(id, "assistant_id", T.assistant_a);
    assert_column(id, "phone_number_id", T.unknown_phone_id);
    assert_column(id, "call_type", "inbound");
    assert_column(id, "status", "completed");
    assert_column(id, "outcome", "completed");
    assert_column(id, "phone_number", "+14155550123");
    assert_column(id, "from_number", "+14155550123");
    assert_column(id, "to_number", FX_CALLED);
    assert_column(id, "caller_name", "Jane Doe");
    assert_column(id, "duration_seconds", "180");
    assert_column(id, "total_cost", "0.1661");
    assert_column(id, "left(outcome_summary, 31)", "Jane Doe called Serenity MedSpa");
    assert_column(id, "left(transcript, 41)", "AI: Thank you for calling Serenity MedSpa");
    char url[160];
    snprintf(url, sizeof url, "https://storage.vapi.ai/%s-1722115380567-mono.wav", id); /* the URL holds the call id */
    assert_column(id, "recording_url", url);
    snprintf(url, sizeof url, "https://storage.vapi.ai/%s-1722115380567-stereo.wav", id);
    assert_column(id, "stereo_recording_url", url);
    assert_column(id, "ended_reason", "customer-ended-call");
    assert_column(id, "sentiment", "positive");
    assert_column(id, "sentiment_label", "positive");
    assert_column(id, "sentiment_score", "0.82");
    assert_column(id, "sentiment_summary", "Caller was friendly and satisfied with the quick rebooking.");
    assert_column(id, "sentiment_urgency", "low");
    assert_column(id, "success_evaluation", "true");
    assert_column(id, "started_at = '2024-07-27T21:20:00Z'", "true");
    assert_column(id, "ended_at = '2024-07-27T21:23:00Z'", "true");
    assert_column(id, "metadata->>'source'", "vapi-webhook");
    assert_column(id, "metadata->>'endedReason'", "customer-ended-call");
    assert_column(id, "metadata->'sentimentAnalysis'->>'label'", "positive");
    assert_column(id, "metadata->'structuredData'->>'service'", "Botox");
    assert_column(id, "strpos(call_logs::text, 'secret-do-not-log') = 0", "true");
}

static void test_redelivered_report_keeps_one_row(void **state)
{
    const char *id = report_call;
    char *before = column(id, "updated_at");
    char *json = report_for(id);
    publish_json("end-of-call-report", id, json); /* a new Nats-Msg-Id: JetStream does not de-duplicate it */
    free(json);
    wait_drained();
    char *after = column(id, "updated_at");
    assert_string_not_equal(before, after); /* it was processed … */
    assert_int_equal(calls_with_id(id), 1); /* … and changed nothing else */
    assert_column(id, "status", "completed");
    assert_column(id, "duration_seconds", "180");
    assert_column(id, "caller_name", "Jane Doe");
    free(before);
    free(after);
}

static void test_late_status_update_does_not_reopen(void **state)
{
    const char *id = report_call;
    char *before = column(id, "updated_at");
    const char *names[] = {"status-update-in-progress.json", "status-update-ended.json"};
    for (int i = 0; i < 2; i++) {
        char *json = status_for(names[i], id);
        publish_json("status-update", id, json);
        free(json);
    }
    wait_drained();
    assert_column(id, "status", "completed");
    assert_column(id, "updated_at", before); /* not even touched */
    assert_int_equal(calls_with_id(id), 1);
    free(before);
}

static void test_status_update_alone_creates_the_call(void **state)
{
    char id[37];
    vt_uuid(id);
    char *json = status_for("status-update-in-progress.json", id);
    publish_json("status-update", id, json);
    free(json);
    wait_call_row(id);
    wait_drained();
    assert_column(id, "status", "in-progress");
    assert_column(id, "org_id", T.org_a);
    char sid[64];
    snprintf(sid, sizeof sid, "vapi-%s", id);
    assert_column(id, "call_sid", sid);
    assert_column(id, "phone_number", "+14155550123");
    assert_column(id, "from_number", "+14155550123");
    assert_column(id, "caller_name", "Jane Doe");
    assert_column(id, "ended_reason", NULL);

    json = status_for("status-update-ended.json", id);
    publish_json("status-update", id, json);
    free(json);
    wait_drained();
    assert_column(id, "status", "ended");
    assert_column(id, "ended_reason", "customer-ended-call");

    /* A late in-progress does not move it back; the report then completes it. */
    json = status_for("status-update-in-progress.json", id);
    publish_json("status-update", id, json);
    free(json);
    wait_drained();
    assert_column(id, "status", "ended");
    json = report_for(id);
    publish_json("end-of-call-report", id, json);
    free(json);
    wait_drained();
    assert_column(id, "status", "completed");
    assert_column(id, "transcript IS NOT NULL", "true");
    assert_int_equal(calls_with_id(id), 1);
}

static void test_unknown_org_is_parked(void **state)
{
    char id[37], asst[64], num[16];
    vt_uuid(id);
    vt_uuid(asst);
    random_e164(num);
    char *json = fixture("end-of-call-report.json");
    json = swap(json, FX_CALL, id);
    json = swap(json, FX_ASSISTANT, asst);
    json = swap(json, FX_PHONE_ID, T.unknown_phone_id);
    json = swap(json, FX_CALLED, num);
    publish_json("end-of-call-report", id, json);
    free(json);
    wait_drained();
    const char *p[1] = {id};
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1"
                                 " AND reason = 'org-not-resolved' AND message_type = 'end-of-call-report'",
                                 1, p),
                     1);
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1"
                                 " AND strpos(payload::text, 'secret-do-not-log') > 0",
                                 1, p),
                     0);
    assert_int_equal(calls_with_id(id), 0);
}

static void test_metadata_tier(void **state)
{
    char id[37], asst[40], json[1024];
    vt_uuid(id);
    vt_uuid(asst);
    snprintf(json, sizeof json,
             "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"assistant-ended-call\","
             "\"startedAt\":\"2025-01-02T10:00:00Z\",\"endedAt\":\"2025-01-02T10:01:30Z\",\"cost\":0.05,"
             "\"call\":{\"id\":\"%s\",\"type\":\"outboundPhoneCall\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"+14155550177\"},"
             "\"assistantOverrides\":{\"metadata\":{\"org_id\":\"%s\"}}},"
             "\"artifact\":{\"transcript\":\"AI: Hi\"},\"analysis\":{\"summary\":\"Short.\"}}}",
             id, asst, T.org_b);
    publish_json("end-of-call-report", id, json);
    wait_call_row(id);
    assert_column(id, "org_id", T.org_b);
    assert_column(id, "call_type", "outbound");
    assert_column(id, "duration_seconds", "90");
    assert_column(id, "caller_name", "Unknown Caller");
}

/* A report for an assistant id, built like test_metadata_tier's but without metadata. */
static void publish_report_for_assistant(const char *id, const char *asst)
{
    char json[4096];
    snprintf(json, sizeof json,
             "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"assistant-ended-call\","
             "\"startedAt\":\"2025-01-02T10:00:00Z\",\"endedAt\":\"2025-01-02T10:01:30Z\","
             "\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\",\"customer\":{\"number\":\"+14155550178\"}}}}",
             id, asst);
    publish_json("end-of-call-report", id, json);
}

/* An assistant moved to another org is resolved to the new org at once, not
 * after the cache's TTL: a trigger NOTIFYs and every worker drops its cache. */
static void test_moved_assistant_is_seen_at_once(void **state)
{
    /* Twenty reports each way, so that every worker has cached the old answer. */
    enum { N = 20 };
    char asst[37], ids[2][N][37];
    vt_uuid(asst);
    const char *pa[2] = {T.org_a, asst};
    vt_sql_exec(T.admin, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, pa);
    for (int i = 0; i < N; i++) {
        vt_uuid(ids[0][i]);
        publish_report_for_assistant(ids[0][i], asst);
    }
    for (int i = 0; i < N; i++) {
        wait_call_row(ids[0][i]);
        assert_column(ids[0][i], "org_id", T.org_a);
    }
    const char *pb[2] = {T.org_b, asst};
    vt_sql_exec(T.admin, "DELETE FROM agents WHERE vapi_assistant_id = $1", 1, pa + 1);
    vt_sql_exec(T.admin, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, pb);
    sleep_ms(300); /* the notification reaches the listener thread */
    for (int i = 0; i < N; i++) {
        vt_uuid(ids[1][i]);
        publish_report_for_assistant(ids[1][i], asst);
    }
    for (int i = 0; i < N; i++) {
        wait_call_row(ids[1][i]);
        assert_column(ids[1][i], "org_id", T.org_b);
    }
}

static void test_phone_tiers(void **state)
{
    /* phoneNumberId (the legacy fixture has assistantId null). */
    char id[37];
    vt_uuid(id);
    char *json = fixture("end-of-call-report-legacy.json");
    json = swap(json, FX_LEGACY_CALL, id);
    json = swap(json, FX_PHONE_ID, T.phone_id_c);
    publish_json("end-of-call-report", id, json);
    free(json);
    wait_call_row(id);
    assert_column(id, "org_id", T.org_c);
    assert_column(id, "left(transcript, 24)", "AI: Hello, this is Sarah");
    assert_column(id, "outcome_summary", "A caller asked about Saturday opening hours and was told the spa closes at 4 PM.");
    assert_column(id, "duration_seconds", "95");

    /* The called number, when the phone number id is unknown. */
    char id2[37];
    vt_uuid(id2);
    json = fixture("end-of-call-report-legacy.json");
    json = swap(json, FX_LEGACY_CALL, id2);
    json = swap(json, FX_PHONE_ID, T.unknown_phone_id);
    json = swap(json, FX_CALLED, T.number_d);
    publish_json("end-of-call-report", id2, json);
    free(json);
    wait_call_row(id2);
    assert_column(id2, "org_id", T.org_d);
    assert_column(id2, "to_number", T.number_d);
}

static void test_permanent_sql_error_is_parked(void **state)
{
    /* The same Vapi call id resolving to another org: row-level security
     * refuses the upsert (the row is org A's). That can never succeed, so it
     * must be parked and acknowledged, not retried forever. */
    char id[37], json[1024];
    vt_uuid(id);
    char *report = report_for(id);
    publish_json("end-of-call-report", id, report);
    free(report);
    wait_call_row(id);
    snprintf(json, sizeof json,
             "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"customer-ended-call\","
             "\"call\":{\"id\":\"%s\",\"assistantOverrides\":{\"variableValues\":{\"org_id\":\"%s\"}}}}}",
             id, T.org_b);
    publish_json("end-of-call-report", id, json);
    wait_drained();
    const char *p[1] = {id};
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1 AND reason LIKE 'sql-error 42501:%'",
                                 1, p),
                     1);
    assert_column(id, "org_id", T.org_a);
    assert_true(vt_alive(T.child));
}

static bool health_is(bool want)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    uint8_t buf[64];
    size_t len = voxanne__v1__gateway_request__pack(&req, buf);
    natsMsg *reply = NULL;
    if (natsConnection_Request(&reply, T.nc, "rpc.ingest.health", buf, (int)len, 5000) != NATS_OK)
        return false;
    Voxanne__V1__HealthReply *h =
        voxanne__v1__health_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    bool match = h && h->ok == want;
    if (h)
        voxanne__v1__health_reply__free_unpacked(h, NULL);
    natsMsg_Destroy(reply);
    return match;
}

static void infra(const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof line, "deploy/local/infra.sh %s '%s' >/dev/null", cmd, getenv("VX_STATE_DIR"));
    VT_REQUIRE(system(line) == 0, line);
}

static void test_database_outage_loses_nothing(void **state)
{
    /* Needs the runner's own PostgreSQL (tests/run-all.sh exports VX_STATE_DIR). */
    if (!getenv("VX_STATE_DIR") || !*getenv("VX_STATE_DIR"))
        skip();
    infra("pg-stop");
    char ids[3][37];
    for (int i = 0; i < 3; i++) {
        vt_uuid(ids[i]);
        char *json = report_for(ids[i]);
        publish_json("end-of-call-report", ids[i], json);
        free(json);
    }
    bool reported_down = false;
    for (int i = 0; i < 50 && !reported_down; i++) {
        reported_down = health_is(false);
        if (!reported_down)
            sleep_ms(100);
    }
    sleep_ms(1500);
    bool alive = vt_alive(T.child);
    infra("pg-start");
    /* The admin connection died with the server. */
    PQfinish(T.admin);
    T.admin = vt_admin();
    assert_true(reported_down);
    assert_true(alive);
    for (int i = 0; i < 3; i++)
        wait_call_row(ids[i]);
    wait_drained();
    int64_t deadline = vx_now_ms() + WAIT_MS;
    while (!health_is(true) && vx_now_ms() < deadline)
        sleep_ms(100);
    assert_true(health_is(true));
}

static void test_garbage_does_not_stop_the_service(void **state)
{
    /* Wire type 7 does not exist: protobuf-c refuses it. */
    static const uint8_t garbage[] = {0x0f, 0xff, 0xff, 0xff, 0x01, 0x02};
    publish_bytes("end-of-call-report", garbage, sizeof garbage);
    publish_bytes("status-update", "", 0); /* an empty event: no JSON at all */

    char bad_id[37];
    vt_uuid(bad_id);
    const char broken[] = "{\"message\":{\"type\":\"end-of-call-report\",\"phoneNumber\":{\"twilioAuthToken\":"
                          "\"secret-do-not-log\"},\"call\":{\"id\":";
    publish_event("end-of-call-report", bad_id, broken, sizeof broken - 1);
    publish_json("end-of-call-report", NULL, "[]");

    char id[37];
    vt_uuid(id);
    char *json = report_for(id);
    publish_json("end-of-call-report", id, json);
    free(json);
    wait_call_row(id);
    wait_drained();
    assert_true(vt_alive(T.child));

    const char *p[1] = {bad_id};
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1 AND reason = 'malformed'"
                                 " AND strpos(payload::text, 'secret-do-not-log') = 0",
                                 1, p),
                     1);
}

static void test_ignored_types_are_acknowledged(void **state)
{
    char id[37], json[512];
    vt_uuid(id);
    const char *types[] = {"hang", "transcript", "conversation-update", "speech-update"};
    for (int i = 0; i < 4; i++) {
        snprintf(json, sizeof json, "{\"message\":{\"type\":\"%s\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"}}}", types[i], id,
                 T.assistant_a);
        publish_json(types[i], id, json);
    }
    wait_drained();
    assert_int_equal(calls_with_id(id), 0);
    assert_true(vt_alive(T.child));
}

static void test_health(void **state)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    size_t len = voxanne__v1__gateway_request__get_packed_size(&req);
    uint8_t buf[64];
    voxanne__v1__gateway_request__pack(&req, buf);
    natsMsg *reply = NULL;
    assert_int_equal(natsConnection_Request(&reply, T.nc, "rpc.ingest.health", buf, (int)len, 5000), NATS_OK);
    Voxanne__V1__HealthReply *h =
        voxanne__v1__health_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    assert_non_null(h);
    assert_true(h->ok);
    voxanne__v1__health_reply__free_unpacked(h, NULL);
    natsMsg_Destroy(reply);
}

static void test_burst_throughput(void **state)
{
    enum { N = 500 };
    char first[37], last[37];
    char *tmpl = report_for("CALL-ID-PLACEHOLDER");
    int64_t t0 = vx_monotonic_us();
    for (int i = 0; i < N; i++) {
        char id[37];
        vt_uuid(id);
        if (i == 0)
            memcpy(first, id, sizeof id);
        memcpy(last, id, sizeof id);
        char *json = vt_replace(tmpl, "CALL-ID-PLACEHOLDER", id);
        publish_json("end-of-call-report", id, json);
        free(json);
    }
    int64_t t_pub = vx_monotonic_us();
    wait_drained();
    int64_t t1 = vx_monotonic_us();
    free(tmpl);
    assert_int_equal(calls_with_id(first), 1);
    assert_int_equal(calls_with_id(last), 1);
    double secs = (double)(t1 - t0) / 1e6;
    printf("burst: %d reports published in %.0f ms, all stored after %.0f ms (%.0f reports/s end to end)\n", N,
           (double)(t_pub - t0) / 1000.0, secs * 1000.0, N / secs);
}

static void test_graceful_shutdown(void **state)
{
    int rc = vt_stop(T.child, SIGTERM, 5000);
    T.child = 0;
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_maps_every_column),
        cmocka_unit_test(test_redelivered_report_keeps_one_row),
        cmocka_unit_test(test_late_status_update_does_not_reopen),
        cmocka_unit_test(test_status_update_alone_creates_the_call),
        cmocka_unit_test(test_unknown_org_is_parked),
        cmocka_unit_test(test_metadata_tier),
        cmocka_unit_test(test_phone_tiers),
        cmocka_unit_test(test_moved_assistant_is_seen_at_once),
        cmocka_unit_test(test_permanent_sql_error_is_parked),
        cmocka_unit_test(test_garbage_does_not_stop_the_service),
        cmocka_unit_test(test_ignored_types_are_acknowledged),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_burst_throughput),
        cmocka_unit_test(test_database_outage_loses_nothing),
        cmocka_unit_test(test_graceful_shutdown),
    };
    return cmocka_run_group_tests_name("webhook-ingest integration", tests, setup, teardown);
}
