/*
 * Integration test of webhook-ingest's post-call work (the real binary,
 * NATS JetStream and PostgreSQL, as test_webhook_ingest.c): analytics stored
 * with the report, the caller's contact, PHI redaction per org, the
 * hot-lead job (exactly one, also when the report is delivered twice), the
 * outbox relay, hang counting and the call.started / call.ended events.
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
#include "voxanne/v1/vapi.pb-c.h"
#include "voxanne/v1/work.pb-c.h"
#include "vx_events.h"
#include "vx_nats.h"
#include "vx_time.h"
#include "vx_work.h"

#define WAIT_MS 20000

static struct {
    PGconn *admin;
    natsConnection *nc;
    jsCtx *js;
    pid_t child;
    char org_a[37], org_b[37];
    char assistant_a[64], assistant_b[64];
    char caller[16], clinic[16];
} T;

static void wait_drained(void)
{
    if (!vt_wait_consumer_drained(T.js, VX_STREAM_VAPI, "webhook-ingest", WAIT_MS))
        fail_msg("the webhook-ingest consumer did not drain within %d ms", WAIT_MS);
}

/* One SQL value as text (malloc'd; NULL for SQL NULL) with the call id as $1. */
static char *value(const char *sql, const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_value(T.admin, sql, 1, p);
}

static void assert_value(const char *sql, const char *call_id, const char *want)
{
    char *got = value(sql, call_id);
    if (!want && got)
        fail_msg("%s: expected NULL, got '%s'", sql, got);
    if (want && !got)
        fail_msg("%s: expected '%s', got NULL", sql, want);
    if (want && strcmp(got, want) != 0)
        fail_msg("%s: expected '%s', got '%s'", sql, want, got);
    free(got);
}

/* An end-of-call report of a call to assistant, spoken as transcript (JSON-escaped already). */
static char *report(const char *call_id, const char *assistant, const char *transcript, const char *extra_analysis)
{
    char *json = NULL;
    int n = asprintf(&json,
                     "{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"customer-ended-call\","
                     "\"startedAt\":\"2026-11-30T15:00:00.000Z\",\"endedAt\":\"2026-11-30T15:03:00.000Z\","
                     "\"call\":{\"id\":\"%s\",\"type\":\"inboundPhoneCall\",\"assistantId\":\"%s\","
                     "\"customer\":{\"number\":\"%s\",\"name\":\"Maria Lopez Garcia\"}},"
                     "\"customer\":{\"number\":\"%s\"},"
                     "\"artifact\":{\"transcript\":\"%s\",\"recordingUrl\":\"https://storage.vapi.ai/%s-mono.wav\"},"
                     "\"analysis\":{\"summary\":\"Caller asked about Botox.\"%s}}}",
                     call_id, assistant, T.caller, T.caller, transcript, call_id, extra_analysis ? extra_analysis : "");
    VT_REQUIRE(n > 0, "out of memory");
    return json;
}

static void deliver(const char *type, const char *call_id, const char *json)
{
    vt_publish_vapi_event(T.js, type, call_id, json, strlen(json));
}

static uint64_t work_messages(void)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    VT_REQUIRE(js_GetStreamInfo(&si, T.js, VX_WORK_STREAM, NULL, &jerr) == NATS_OK, "no WORK stream");
    uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    T.admin = vt_admin();
    char u[37];
    vt_uuid(u);
    snprintf(T.assistant_a, sizeof T.assistant_a, "asst-a-%s", u);
    vt_uuid(u);
    snprintf(T.assistant_b, sizeof T.assistant_b, "asst-b-%s", u);
    vt_random_e164(T.caller);
    vt_random_e164(T.clinic);
    vt_create_org(T.admin, "Analytics IT org A", T.assistant_a, NULL, NULL, T.org_a);
    vt_create_org(T.admin, "Analytics IT org B", T.assistant_b, NULL, NULL, T.org_b);
    /* A's priced services; B keeps transcripts unredacted and alerts only on 95+. */
    const char *pa[1] = {T.org_a}, *pb[1] = {T.org_b};
    vt_sql_exec(T.admin,
                "INSERT INTO services (org_id, name, price, keywords) VALUES"
                " ($1, 'Botox', 400, '{botox,wrinkle}'), ($1, 'Facelift', 8000, '{facelift,\"face lift\"}')",
                1, pa);
    vt_sql_exec(T.admin, "INSERT INTO org_settings (org_id, redact_transcripts, hot_lead_threshold) VALUES ($1, false, 95)", 1, pb);

    VT_REQUIRE(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    VT_REQUIRE(natsConnection_JetStream(&T.js, T.nc, NULL) == NATS_OK, "no JetStream context");
    const char *env[] = {"INGEST_WORKERS=2", NULL};
    T.child = vt_spawn("webhook-ingest", "webhook-ingest-analytics", env);
    VT_REQUIRE(vt_wait_consumer(T.js, VX_STREAM_VAPI, "webhook-ingest", WAIT_MS),
               "webhook-ingest did not create its consumer (see build/test-logs/webhook-ingest-analytics.log)");
    wait_drained();
    return 0;
}

static int teardown(void **state)
{
    /* Gracefully: messages it holds go back at once, not after the ack wait
     * (the next test's service would find them still out). */
    if (T.child > 0)
        vt_stop(T.child, SIGTERM, 10000);
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

static void test_booked_call_is_scored_and_valued(void **state)
{
    char call[37];
    vt_uuid(call);
    /* tool-router booked during the call. */
    const char *p[3] = {T.org_a, call, T.caller};
    vt_sql_exec(T.admin,
                "WITH c AS (INSERT INTO contacts (org_id, phone) VALUES ($1, $3) ON CONFLICT (org_id, phone) DO UPDATE"
                " SET phone = EXCLUDED.phone RETURNING id)"
                " INSERT INTO appointments (org_id, contact_id, service_name, starts_at, ends_at, vapi_call_id)"
                " SELECT $1, c.id, 'Botox', now() + interval '3 days', now() + interval '3 days 30 minutes', $2 FROM c",
                3, p);
    char *json = report(call, T.assistant_a,
                        "AI: Serenity MedSpa, how can I help?\\nUser: I'd like to book Botox, thank you so much!", NULL);
    deliver("end-of-call-report", call, json);
    free(json);
    wait_drained();

    assert_value("SELECT booking_confirmed::text FROM call_logs WHERE vapi_call_id = $1", call, "true");
    assert_value("SELECT financial_value::text FROM call_logs WHERE vapi_call_id = $1", call, "400.00");
    assert_value("SELECT recording_status FROM call_logs WHERE vapi_call_id = $1", call, "completed");
    assert_value("SELECT sentiment_source FROM call_logs WHERE vapi_call_id = $1", call, "inferred");
    assert_value("SELECT sentiment_label FROM call_logs WHERE vapi_call_id = $1", call, "positive");
    /* 50 + booked 20 + booking intent 15 + service 5 + positive 10 */
    assert_value("SELECT lead_score::text FROM call_logs WHERE vapi_call_id = $1", call, "100");
    assert_value("SELECT lead_tier FROM call_logs WHERE vapi_call_id = $1", call, "hot");
    assert_value("SELECT lead_score_reasons->1->>'rule' FROM call_logs WHERE vapi_call_id = $1", call, "booked");
    /* The caller's contact: booked, named from Vapi's customer name, linked. */
    assert_value("SELECT c.lead_status FROM call_logs l JOIN contacts c ON c.id = l.contact_id WHERE l.vapi_call_id = $1", call,
                 "booked");
    assert_value("SELECT c.lead_tier FROM call_logs l JOIN contacts c ON c.id = l.contact_id WHERE l.vapi_call_id = $1", call,
                 "hot");
    assert_value("SELECT c.first_name || '|' || c.last_name FROM call_logs l JOIN contacts c ON c.id = l.contact_id"
                 " WHERE l.vapi_call_id = $1",
                 call, "Maria|Lopez Garcia");
    assert_value("SELECT (c.last_contacted_at = '2026-11-30T15:03:00Z')::text FROM call_logs l JOIN contacts c"
                 " ON c.id = l.contact_id WHERE l.vapi_call_id = $1",
                 call, "true");
}

static void test_transcript_is_redacted_per_org(void **state)
{
    char call_a[37], call_b[37], transcript[1024];
    vt_uuid(call_a);
    vt_uuid(call_b);
    snprintf(transcript, sizeof transcript,
             "User: My card is 4111 1111 1111 1111, SSN 123-45-6789, date of birth is March 3rd, 1985."
             "\\nUser: Email jane.doe@example.com, or call me at %s, or my office at (415) 555-0134."
             "\\nAI: Great, see you on March 12th.",
             T.caller);
    char *a = report(call_a, T.assistant_a, transcript, NULL);
    char *b = report(call_b, T.assistant_b, transcript, NULL);
    deliver("end-of-call-report", call_a, a);
    deliver("end-of-call-report", call_b, b);
    free(a);
    free(b);
    wait_drained();

    char *stored = value("SELECT transcript FROM call_logs WHERE vapi_call_id = $1", call_a);
    assert_non_null(stored);
    assert_null(strstr(stored, "4111"));
    assert_null(strstr(stored, "123-45-6789"));
    assert_null(strstr(stored, "1985"));
    assert_null(strstr(stored, "jane.doe@example.com"));
    assert_null(strstr(stored, "555-0134"));
    assert_non_null(strstr(stored, "[card]"));
    assert_non_null(strstr(stored, "[ssn]"));
    assert_non_null(strstr(stored, "[dob]"));
    assert_non_null(strstr(stored, "[email]"));
    assert_non_null(strstr(stored, "[phone]"));
    assert_non_null(strstr(stored, T.caller));     /* the caller's own number is kept */
    assert_non_null(strstr(stored, "March 12th")); /* an appointment date is not PHI */
    free(stored);
    assert_value("SELECT metadata->'redactions'->>'card' FROM call_logs WHERE vapi_call_id = $1", call_a, "1");

    /* Org B turned redaction off: the transcript is stored as spoken. */
    stored = value("SELECT transcript FROM call_logs WHERE vapi_call_id = $1", call_b);
    assert_non_null(stored);
    assert_non_null(strstr(stored, "4111 1111 1111 1111"));
    free(stored);
}

static void test_hot_lead_queues_exactly_one_job(void **state)
{
    char call[37], key[64];
    vt_uuid(call);
    snprintf(key, sizeof key, "hot-lead:%s", call);
    uint64_t before = work_messages();
    /* 50 + booking 15 + price 10 + service 5 (Facelift, 8000) = 80 ≥ 70, not booked. */
    char *json = report(call, T.assistant_a, "User: Can I book a facelift consultation? How much does it cost?", NULL);
    deliver("end-of-call-report", call, json);
    wait_drained();
    assert_value("SELECT lead_score::text FROM call_logs WHERE vapi_call_id = $1", call, "80");
    const char *p[1] = {key};
    /* Marked published once JetStream took it (in the next transaction, or when ingest is idle). */
    assert_int_equal(vt_wait_sql_long(T.admin, "SELECT count(*) FROM work_outbox WHERE job_key = $1 AND published_at IS NOT NULL",
                                      1, p, 1, WAIT_MS),
                     1);
    assert_int_equal(work_messages(), before + 1);

    /* Delivered again (a new message id, so JetStream does not de-duplicate it): no second job. */
    deliver("end-of-call-report", call, json);
    free(json);
    wait_drained();
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM work_outbox WHERE job_key = $1", 1, p), 1);
    assert_int_equal(work_messages(), before + 1);

    /* The job names the call, the contact and the score. */
    char *hex = vt_sql_value(T.admin, "SELECT encode(payload, 'hex') FROM work_outbox WHERE job_key = $1", 1, p);
    size_t n = strlen(hex) / 2;
    uint8_t *bin = malloc(n);
    for (size_t i = 0; i < n; i++)
        sscanf(hex + 2 * i, "%2hhx", &bin[i]);
    Voxanne__V1__HotLeadJob *job = voxanne__v1__hot_lead_job__unpack(NULL, n, bin);
    assert_non_null(job);
    assert_string_equal(job->job_id, key);
    assert_string_equal(job->org_id, T.org_a);
    assert_string_equal(job->vapi_call_id, call);
    assert_int_equal(job->lead_score, 80);
    assert_int_equal(job->threshold, 70);
    assert_int_equal(strlen(job->contact_id), 36);
    voxanne__v1__hot_lead_job__free_unpacked(job, NULL);
    free(bin);
    free(hex);
}

static void test_cold_lead_and_org_threshold_queue_nothing(void **state)
{
    char cold[37], b[37];
    vt_uuid(cold);
    vt_uuid(b);
    char *json = report(cold, T.assistant_a, "User: Sorry, wrong number.", NULL);
    deliver("end-of-call-report", cold, json);
    free(json);
    /* 80 in org B, whose threshold is 95. */
    json = report(b, T.assistant_b, "User: Can I book a facelift consultation? How much does it cost?", NULL);
    deliver("end-of-call-report", b, json);
    free(json);
    wait_drained();
    assert_value("SELECT lead_score::text FROM call_logs WHERE vapi_call_id = $1", cold, "25"); /* 50 − 30 + 5 (Botox) */
    assert_value("SELECT lead_tier FROM call_logs WHERE vapi_call_id = $1", cold, "cold");
    assert_value("SELECT c.lead_status FROM call_logs l JOIN contacts c ON c.id = l.contact_id WHERE l.vapi_call_id = $1", cold,
                 "booked"); /* the same caller booked earlier (test 1): a booked contact stays booked */
    assert_value("SELECT lead_score::text FROM call_logs WHERE vapi_call_id = $1", b, "75"); /* no Facelift service in B */
    const char *p[2] = {cold, b};
    assert_int_equal(
        vt_sql_long(T.admin, "SELECT count(*) FROM work_outbox WHERE job_key IN ('hot-lead:' || $1, 'hot-lead:' || $2)", 2, p), 0);
}

/* An owner who paused lead alerts (PUT /api/settings/notifications
 * {"lead_alerts": false}) gets no job for a hot lead; the score is still kept. */
static void test_paused_alerts_queue_nothing(void **state)
{
    const char *pa[1] = {T.org_a};
    vt_sql_exec(T.admin,
                "INSERT INTO org_settings (org_id, lead_alerts) VALUES ($1, false)"
                " ON CONFLICT (org_id) DO UPDATE SET lead_alerts = false",
                1, pa);
    char call[37];
    vt_uuid(call);
    char *json = report(call, T.assistant_a, "User: Can I book a facelift consultation? How much does it cost?", NULL);
    deliver("end-of-call-report", call, json);
    free(json);
    wait_drained();
    assert_value("SELECT lead_score::text FROM call_logs WHERE vapi_call_id = $1", call, "80");
    assert_value("SELECT lead_tier FROM call_logs WHERE vapi_call_id = $1", call, "hot");
    const char *p[1] = {call};
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM work_outbox WHERE job_key = 'hot-lead:' || $1", 1, p), 0);
    vt_sql_exec(T.admin, "UPDATE org_settings SET lead_alerts = true WHERE org_id = $1", 1, pa);
}

static void test_vapi_sentiment_is_kept(void **state)
{
    char call[37];
    vt_uuid(call);
    char *json = report(call, T.assistant_a, "User: hello",
                        ",\"sentiment\":\"Negative\",\"sentimentScore\":0.1,\"sentimentUrgency\":\"High\"");
    deliver("end-of-call-report", call, json);
    free(json);
    wait_drained();
    assert_value("SELECT sentiment_source || '|' || sentiment_label || '|' || sentiment_score || '|' || sentiment_urgency"
                 " FROM call_logs WHERE vapi_call_id = $1",
                 call, "vapi|Negative|0.1|High");
    assert_value("SELECT lead_score::text FROM call_logs WHERE vapi_call_id = $1", call,
                 "50"); /* 50 − 15 + 10 + 5 (Botox in the summary) */
}

/* Publishes one hang with a given request id. */
static void hang(const char *call, const char *request_id)
{
    char json[512];
    snprintf(json, sizeof json, "{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"}}}", call,
             T.assistant_a);
    Voxanne__V1__VapiMessageEvent ev = VOXANNE__V1__VAPI_MESSAGE_EVENT__INIT;
    ev.request_id = (char *)request_id;
    ev.type = "hang";
    ev.call_id = (char *)call;
    ev.raw_json.data = (uint8_t *)json;
    ev.raw_json.len = strlen(json);
    uint8_t buf[1024];
    size_t len = voxanne__v1__vapi_message_event__pack(&ev, buf);
    vt_js_publish(T.js, VX_SUBJECT_VAPI_PREFIX "hang", buf, len);
}

static void test_hangs_are_counted_once_each(void **state)
{
    char call[37], r1[37], r2[37];
    vt_uuid(call);
    vt_uuid(r1);
    vt_uuid(r2);
    hang(call, r1);
    hang(call, r2);
    hang(call, r1); /* redelivered: the same request */
    wait_drained();
    assert_value("SELECT hang_count::text FROM call_logs WHERE vapi_call_id = $1", call, "2");
    assert_value("SELECT org_id::text FROM call_logs WHERE vapi_call_id = $1", call, T.org_a);
}

static void test_unpublished_job_is_relayed(void **state)
{
    /* A worker that died between its commit and its publish left this. */
    char key[64];
    char u[37];
    vt_uuid(u);
    snprintf(key, sizeof key, "hot-lead:relay-%s", u);
    uint64_t before = work_messages();
    const char *p[2] = {T.org_a, key};
    vt_sql_exec(T.admin,
                "INSERT INTO work_outbox (org_id, job_key, subject, payload, created_at)"
                " VALUES ($1, $2, 'work.notifier.hot_lead', '\\x0a00'::bytea, now() - interval '5 minutes')",
                2, p);
    const char *k[1] = {key};
    long n = vt_wait_sql_long(T.admin, "SELECT count(*) FROM work_outbox WHERE job_key = $1 AND published_at IS NOT NULL", 1, k, 1,
                              30000);
    assert_int_equal(n, 1);
    assert_int_equal(work_messages(), before + 1);
}

/* A batch whose transaction the database refuses because of one message:
 * the others are stored, the poison one alone is parked with its error. */
static void test_poison_message_is_isolated_from_its_batch(void **state)
{
    char victim[37];
    vt_uuid(victim);
    char *json = report(victim, T.assistant_a, "User: hello", NULL);
    deliver("end-of-call-report", victim, json);
    free(json);
    wait_drained();

    /* Paused, the service finds everything at once when it resumes: one pull, one batch. */
    assert_int_equal(kill(T.child, SIGSTOP), 0);
    char good[30][37];
    for (int i = 0; i < 30; i++) {
        vt_uuid(good[i]);
        json = report(good[i], T.assistant_a, "User: I'd like an appointment", NULL);
        deliver("end-of-call-report", good[i], json);
        free(json);
        if (i == 14) { /* the same call claimed by org B: row-level security refuses the upsert */
            json = report(victim, T.assistant_b, "User: hello", NULL);
            deliver("end-of-call-report", victim, json);
            free(json);
        }
    }
    assert_int_equal(kill(T.child, SIGCONT), 0);
    wait_drained();
    for (int i = 0; i < 30; i++)
        assert_value("SELECT status FROM call_logs WHERE vapi_call_id = $1", good[i], "completed");
    assert_value("SELECT org_id::text FROM call_logs WHERE vapi_call_id = $1", victim, T.org_a);
    const char *p[1] = {victim};
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1 AND reason LIKE 'sql-error 42501:%'",
                                 1, p),
                     1);
}

/* Collects events.org.<org>.> as a listener would (core NATS: the stream's subjects). */
static void test_events_are_published(void **state)
{
    char subject[128];
    snprintf(subject, sizeof subject, VX_EVENTS_SUBJECT_PREFIX "%s.>", T.org_a);
    natsSubscription *sub = NULL;
    VT_REQUIRE(natsConnection_SubscribeSync(&sub, T.nc, subject) == NATS_OK, "cannot subscribe to events");
    char call[37], json[512];
    vt_uuid(call);
    snprintf(
        json, sizeof json,
        "{\"message\":{\"type\":\"status-update\",\"status\":\"in-progress\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\"}}}",
        call, T.assistant_a);
    deliver("status-update", call, json);
    char *r = report(call, T.assistant_a, "User: wrong number", NULL);
    deliver("end-of-call-report", call, r);
    free(r);

    bool started = false, ended = false;
    int64_t until = vx_now_ms() + WAIT_MS;
    while ((!started || !ended) && vx_now_ms() < until) {
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sub, 1000) != NATS_OK)
            continue;
        const char *data = natsMsg_GetData(m);
        int len = natsMsg_GetDataLength(m);
        /* Other calls of org A may publish too: look for ours. */
        if (memmem(data, (size_t)len, call, strlen(call))) {
            if (strstr(natsMsg_GetSubject(m), ".call.started"))
                started = true;
            if (strstr(natsMsg_GetSubject(m), ".call.ended")) {
                ended = true;
                assert_non_null(memmem(data, (size_t)len, "lead_score", 10));
                assert_null(memmem(data, (size_t)len, T.caller, strlen(T.caller))); /* no PHI on the bus */
            }
        }
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    wait_drained();
    assert_true(started);
    assert_true(ended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_booked_call_is_scored_and_valued),
        cmocka_unit_test(test_transcript_is_redacted_per_org),
        cmocka_unit_test(test_hot_lead_queues_exactly_one_job),
        cmocka_unit_test(test_cold_lead_and_org_threshold_queue_nothing),
        cmocka_unit_test(test_paused_alerts_queue_nothing),
        cmocka_unit_test(test_vapi_sentiment_is_kept),
        cmocka_unit_test(test_hangs_are_counted_once_each),
        cmocka_unit_test(test_unpublished_job_is_relayed),
        cmocka_unit_test(test_poison_message_is_isolated_from_its_batch),
        cmocka_unit_test(test_events_are_published),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
