/*
 * Integration test for services/webhook-ingest: the real binary against real
 * NATS JetStream and PostgreSQL (env DATABASE_URL, ADMIN_DATABASE_URL,
 * NATS_URL and BIN_DIR, as tests/run-all.sh sets them).
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
 * guessed; a suspended org's messages are parked too (issue 9); the
 * metadata and phone tiers of org resolution; a permanent SQL
 * error is parked instead of retried forever; malformed JSON and garbage
 * protobuf neither crash the service nor block later messages; the health
 * responder; a burst of reports all stored, once each; PostgreSQL stopped while reports arrive
 * (when the runner's VX_STATE_DIR is set: nothing is lost, health says so);
 * graceful shutdown (exit 0).
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

/* Publishes raw bytes (not necessarily an event) on vapi.msg.<type>, as the gateway would publish an event. */
static void publish_bytes(const char *type, const void *data, size_t len)
{
    char subject[128];
    snprintf(subject, sizeof subject, VX_SUBJECT_VAPI_PREFIX "%s", type);
    vt_js_publish(T.js, subject, data, len);
}

static void publish_json(const char *type, const char *call_id, const char *json)
{
    vt_publish_vapi_event(T.js, type, call_id, json, strlen(json));
}

/* Waits until the durable consumer has delivered everything and holds no unacked message. */
static void wait_drained(void)
{
    if (!vt_wait_consumer_drained(T.js, VX_STREAM_VAPI, "webhook-ingest", WAIT_MS))
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
    T.admin = vt_admin();
    char u[37];
    vt_uuid(u);
    snprintf(T.assistant_a, sizeof T.assistant_a, "asst-%s", u);
    vt_uuid(u);
    snprintf(T.phone_id_c, sizeof T.phone_id_c, "pn-%s", u);
    vt_uuid(u);
    snprintf(T.unknown_phone_id, sizeof T.unknown_phone_id, "pn-unknown-%s", u);
    vt_random_e164(T.number_d);
    vt_create_org(T.admin, "Ingest IT assistant org", T.assistant_a, NULL, NULL, T.org_a);
    vt_create_org(T.admin, "Ingest IT metadata org", NULL, NULL, NULL, T.org_b);
    vt_create_org(T.admin, "Ingest IT phone-id org", NULL, T.phone_id_c, NULL, T.org_c);
    vt_create_org(T.admin, "Ingest IT number org", NULL, NULL, T.number_d, T.org_d);

    VT_REQUIRE(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    VT_REQUIRE(natsConnection_JetStream(&T.js, T.nc, NULL) == NATS_OK, "no JetStream context");

    const char *env[] = {"INGEST_WORKERS=2", NULL};
    T.child = vt_spawn("webhook-ingest", "webhook-ingest-integration", env);
    /* Ready when its durable consumer exists (it creates the stream first). */
    VT_REQUIRE(vt_wait_consumer(T.js, VX_STREAM_VAPI, "webhook-ingest", WAIT_MS),
               "webhook-ingest did not create its consumer (see build/test-logs/webhook-ingest-integration.log)");
    VT_REQUIRE(vt_alive(T.child), "webhook-ingest exited at start (see build/test-logs/webhook-ingest-integration.log)");
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
    vt_random_e164(num);
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

/* A report for call id with an unknown assistant and, in the call's
 * metadata, org_id with org_sig (NULL: none). */
static void metadata_report(char *json, size_t cap, const char *id, const char *asst, const char *org_id, const char *org_sig)
{
    char sig[96] = "";
    if (org_sig != NULL)
        snprintf(sig, sizeof sig, ",\"org_sig\":\"%s\"", org_sig);
    snprintf(json, cap,
             "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"assistant-ended-call\","
             "\"startedAt\":\"2025-01-02T10:00:00Z\",\"endedAt\":\"2025-01-02T10:01:30Z\",\"cost\":0.05,"
             "\"call\":{\"id\":\"%s\",\"type\":\"outboundPhoneCall\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"+14155550177\"},"
             "\"assistantOverrides\":{\"metadata\":{\"org_id\":\"%s\"%s}}},"
             "\"artifact\":{\"transcript\":\"AI: Hi\"},\"analysis\":{\"summary\":\"Short.\"}}}",
             id, asst, org_id, sig);
}

static void test_metadata_tier(void **state)
{
    char id[37], asst[40], json[1024], sig[65];
    vt_uuid(id);
    vt_uuid(asst);
    vt_org_hint_sig(T.org_b, id, sig);
    metadata_report(json, sizeof json, id, asst, T.org_b, sig);
    publish_json("end-of-call-report", id, json);
    wait_call_row(id);
    assert_column(id, "org_id", T.org_b);
    assert_column(id, "call_type", "outbound");
    assert_column(id, "duration_seconds", "90");
    assert_column(id, "caller_name", "Unknown Caller");
}

static long parked_unresolved(const char *call_id);

/* Org ids are not secret: a call whose metadata names an org without our
 * signature for this very call is parked, never stored in that org. */
static void test_unsigned_org_hint_is_parked(void **state)
{
    char id[37], other_call[37], asst[40], json[1024], sig[65];
    vt_uuid(asst);
    /* No signature. */
    vt_uuid(id);
    metadata_report(json, sizeof json, id, asst, T.org_b, NULL);
    publish_json("end-of-call-report", id, json);
    wait_drained();
    assert_int_equal(parked_unresolved(id), 1);
    assert_int_equal(calls_with_id(id), 0);
    /* A genuine signature, but of another call (copied from it). */
    vt_uuid(id);
    vt_uuid(other_call);
    vt_org_hint_sig(T.org_b, other_call, sig);
    metadata_report(json, sizeof json, id, asst, T.org_b, sig);
    publish_json("end-of-call-report", id, json);
    wait_drained();
    assert_int_equal(parked_unresolved(id), 1);
    assert_int_equal(calls_with_id(id), 0);
    /* This call's signature for org A, moved to org B. */
    vt_uuid(id);
    vt_org_hint_sig(T.org_a, id, sig);
    metadata_report(json, sizeof json, id, asst, T.org_b, sig);
    publish_json("end-of-call-report", id, json);
    wait_drained();
    assert_int_equal(parked_unresolved(id), 1);
    assert_int_equal(calls_with_id(id), 0);
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

/* Publishes N reports for the assistant, waits until each is stored and
 * returns how many were resolved to org. */
static long round_of_reports(const char *asst, int n, const char *org)
{
    vx_buf ids = VX_BUF_INIT; /* a PostgreSQL array literal of the call ids */
    vx_buf_putc(&ids, '{');
    for (int i = 0; i < n; i++) {
        char id[37];
        vt_uuid(id);
        vx_buf_printf(&ids, "%s%s", i ? "," : "", id);
        publish_report_for_assistant(id, asst);
    }
    vx_buf_putc(&ids, '}');
    const char *p[2] = {ids.data, org};
    long stored =
        vt_wait_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p, n, WAIT_MS);
    assert_int_equal(stored, n);
    long in_org = vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[]) AND org_id = $2", 2, p);
    vx_buf_free(&ids);
    return in_org;
}

/* An assistant moved to another org is resolved to the new org as soon as the
 * trigger's NOTIFY reaches the service (every worker then drops its cache),
 * not when the cached answers expire. After the move, reports go in rounds
 * until a whole round resolves to the new org. Without the notification no
 * cached answer could change sooner than 5 s after it was cached (the life of
 * an entry while the listener is not connected; 60 s when it is), and every
 * answer here was cached after t0: so a round that started before t0 + 4.5 s
 * and went wholly to org B proves the notification. */
static void test_moved_assistant_is_seen_at_once(void **state)
{
    enum { N = 20 }; /* twenty reports a round, so that every worker has cached the answer */
    char asst[37];
    vt_uuid(asst);
    const char *pa[2] = {T.org_a, asst};
    vt_sql_exec(T.admin, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, pa);
    int64_t t0_ms = vx_monotonic_us() / 1000;
    assert_int_equal(round_of_reports(asst, N, T.org_a), N);
    const char *pb[2] = {T.org_b, asst};
    vt_sql_exec(T.admin, "DELETE FROM agents WHERE vapi_assistant_id = $1", 1, pa + 1);
    vt_sql_exec(T.admin, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, pb);
    long in_b = 0;
    for (int round = 1; in_b != N; round++) {
        int64_t since_ms = vx_monotonic_us() / 1000 - t0_ms;
        if (since_ms > 4500)
            fail_msg("round %d would start %lld ms after org A was cached (the last round: %ld of %d in org B): "
                     "the notification did not reach the service before a cached answer could expire",
                     round, (long long)since_ms, in_b, N);
        in_b = round_of_reports(asst, N, T.org_b);
    }
}

static long parked_unresolved(const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_long(T.admin, "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1 AND reason = 'org-not-resolved'", 1,
                       p);
}

/* Regression (issue 9): a suspended organization's calls were still stored.
 * Once it is suspended its messages are parked like an unknown org's, by
 * every tier — as soon as the trigger's NOTIFY reaches the service, not when
 * a cached answer expires (60 s while the listener is connected). */
static void test_suspended_org_is_parked(void **state)
{
    char org[37], asst[64], u[37], id[37];
    vt_uuid(u);
    snprintf(asst, sizeof asst, "asst-suspended-%s", u);
    vt_create_org(T.admin, "Ingest IT suspended org", asst, NULL, NULL, org);
    vt_uuid(id);
    publish_report_for_assistant(id, asst);
    wait_call_row(id); /* served while active, and the answer cached */

    const char *po[1] = {org};
    vt_sql_exec(T.admin, "UPDATE organizations SET status = 'suspended' WHERE id = $1", 1, po);
    int64_t t0_ms = vx_monotonic_us() / 1000;
    long parked = 0;
    while (parked == 0 && vx_monotonic_us() / 1000 - t0_ms < WAIT_MS) {
        vt_uuid(id);
        publish_report_for_assistant(id, asst);
        wait_drained();
        parked = parked_unresolved(id);
        if (parked == 0)
            assert_int_equal(calls_with_id(id), 1); /* stored before the notification came */
    }
    assert_int_equal(parked, 1);
    assert_int_equal(calls_with_id(id), 0);

    /* The metadata tier (the org id we put in the call, signed) does not reach it either. */
    char json[1024], sig[65];
    vt_uuid(id);
    vt_org_hint_sig(org, id, sig);
    snprintf(json, sizeof json,
             "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"assistant-ended-call\","
             "\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\",\"assistantOverrides\":{\"metadata\":{\"org_id\":\"%s\","
             "\"org_sig\":\"%s\"}}}}}",
             id, asst, org, sig);
    publish_json("end-of-call-report", id, json);
    wait_drained();
    assert_int_equal(parked_unresolved(id), 1);
    assert_int_equal(calls_with_id(id), 0);
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
    char sig[65];
    vt_org_hint_sig(T.org_b, id, sig);
    snprintf(json, sizeof json,
             "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"customer-ended-call\","
             "\"call\":{\"id\":\"%s\",\"assistantOverrides\":{\"variableValues\":{\"org_id\":\"%s\",\"org_sig\":\"%s\"}}}}}",
             id, T.org_b, sig);
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

static bool ingest_healthy(void *arg)
{
    return vt_service_health_is(T.nc, "ingest", true);
}

static bool ingest_reports_down(void *arg)
{
    return vt_service_health_is(T.nc, "ingest", false);
}

static void infra(const char *verb)
{
    VT_REQUIRE(vt_infra(verb) == 0, verb);
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
    bool reported_down = vt_wait_for(ingest_reports_down, NULL, WAIT_MS);
    vt_sleep_ms(1500); /* time to crash, for a service that would */
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
    assert_true(vt_wait_for(ingest_healthy, NULL, WAIT_MS));
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
    vt_publish_vapi_event(T.js, "end-of-call-report", bad_id, broken, sizeof broken - 1);
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
    /* (hang is counted on the call: tests/integration/webhook-ingest/test_analytics.c) */
    const char *types[] = {"user-interrupted", "transcript", "conversation-update", "speech-update"};
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
    assert_true(vt_service_health_is(T.nc, "ingest", true));
}

/* A burst of reports published at once: every one is stored, exactly once. */
static void test_burst_is_all_stored(void **state)
{
    enum { N = 500 };
    char *tmpl = report_for("CALL-ID-PLACEHOLDER");
    vx_buf ids = VX_BUF_INIT; /* a PostgreSQL array literal of the call ids */
    vx_buf_putc(&ids, '{');
    for (int i = 0; i < N; i++) {
        char id[37];
        vt_uuid(id);
        vx_buf_printf(&ids, "%s%s", i ? "," : "", id);
        char *json = vt_replace(tmpl, "CALL-ID-PLACEHOLDER", id);
        publish_json("end-of-call-report", id, json);
        free(json);
    }
    vx_buf_putc(&ids, '}');
    free(tmpl);
    wait_drained();
    const char *p[1] = {ids.data};
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p), N);
    assert_int_equal(
        vt_sql_long(T.admin, "SELECT count(DISTINCT vapi_call_id) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p), N);
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])"
                                 " AND (org_id <> $2 OR status <> 'completed')",
                                 2, (const char *const[]){ids.data, T.org_a}),
                     0);
    vx_buf_free(&ids);
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
        cmocka_unit_test(test_unsigned_org_hint_is_parked),
        cmocka_unit_test(test_phone_tiers),
        cmocka_unit_test(test_moved_assistant_is_seen_at_once),
        cmocka_unit_test(test_suspended_org_is_parked),
        cmocka_unit_test(test_permanent_sql_error_is_parked),
        cmocka_unit_test(test_garbage_does_not_stop_the_service),
        cmocka_unit_test(test_ignored_types_are_acknowledged),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_burst_is_all_stored),
        cmocka_unit_test(test_database_outage_loses_nothing),
        cmocka_unit_test(test_graceful_shutdown),
    };
    return cmocka_run_group_tests_name("webhook-ingest integration", tests, setup, teardown);
}
