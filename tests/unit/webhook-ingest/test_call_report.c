/*
 * Unit tests for services/webhook-ingest/call_report.c: the Vapi message →
 * call_logs field mapping, over the real payload shapes of contracts/vapi.md
 * (fixtures in tests/fixtures/vapi/, read relative to the repo root) and the
 * drift Vapi is known for: legacy top-level fields, timestamps as ISO strings,
 * integers or floats, nulls everywhere, a missing call object, values of the
 * wrong type, non-E.164 callers, duration fallbacks, negative durations,
 * oversized and non-UTF-8 strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "vx_vapi.h"

static char *read_fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/vapi/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run the tests from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void parse_fixture(const char *name, ingest_call *c)
{
    size_t len;
    char *json = read_fixture(name, &len);
    assert_int_equal(ingest_call_parse(json, len, c), 0);
    free(json);
}

static void parse_str(const char *json, ingest_call *c)
{
    assert_int_equal(ingest_call_parse(json, strlen(json), c), 0);
}

/* The call_logs.metadata object, parsed (caller deletes). */
static cJSON *metadata(const ingest_call *c)
{
    assert_non_null(c->metadata_json);
    cJSON *m = cJSON_Parse(c->metadata_json);
    assert_true(cJSON_IsObject(m));
    return m;
}

static const char *mstr(const cJSON *m, const char *a, const char *b)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, a);
    if (b)
        it = cJSON_GetObjectItemCaseSensitive(it, b);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void test_report_full(void **state)
{
    ingest_call c;
    parse_fixture("end-of-call-report.json", &c);
    assert_int_equal(c.kind, INGEST_MSG_END_OF_CALL_REPORT);
    assert_string_equal(c.type, "end-of-call-report");
    assert_string_equal(c.vapi_call_id, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d");
    assert_string_equal(c.assistant_id, "9f8e7d6c-5b4a-4f3e-8d2c-1b0a9f8e7d6c");
    assert_string_equal(c.phone_number_id, "4a5a6b7c-8d9e-4f0a-b1c2-d3e4f5a6b7c8");
    assert_string_equal(c.caller_number, "+14155550123");
    assert_null(c.caller_raw);
    assert_string_equal(c.to_number, "+19254207621");
    assert_string_equal(c.caller_name, "Jane Doe");
    assert_true(c.caller_name_given);
    assert_string_equal(c.call_type, "inbound");
    assert_true(c.has_started_at);
    assert_true(c.has_ended_at);
    assert_string_equal(c.started_at, "2024-07-27T21:20:00.000Z");
    assert_string_equal(c.ended_at, "2024-07-27T21:23:00.000Z");
    assert_true(c.has_duration);
    assert_int_equal(c.duration_seconds, 180);
    assert_true(c.has_total_cost);
    assert_float_equal(c.total_cost, 0.1661, 1e-9);
    assert_non_null(c.transcript);
    assert_true(strncmp(c.transcript, "AI: Thank you for calling Serenity MedSpa", 41) == 0);
    assert_false(c.transcript_truncated);
    assert_string_equal(c.recording_url, "https://storage.vapi.ai/5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d-1722115380567-mono.wav");
    assert_string_equal(c.stereo_recording_url,
                        "https://storage.vapi.ai/5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d-1722115380567-stereo.wav");
    assert_true(strncmp(c.outcome_summary, "Jane Doe called Serenity MedSpa", 31) == 0);
    assert_string_equal(c.success_evaluation, "true");
    assert_string_equal(c.sentiment, "positive");
    assert_true(c.has_sentiment_score);
    assert_float_equal(c.sentiment_score, 0.82, 1e-9);
    assert_string_equal(c.sentiment_summary, "Caller was friendly and satisfied with the quick rebooking.");
    assert_string_equal(c.sentiment_urgency, "low");
    assert_string_equal(c.ended_reason, "customer-ended-call");
    assert_null(c.status); /* only status-updates carry one */
    assert_null(c.metadata_org_id);

    cJSON *m = metadata(&c);
    assert_string_equal(mstr(m, "source", NULL), "vapi-webhook");
    assert_string_equal(mstr(m, "endedReason", NULL), "customer-ended-call");
    assert_string_equal(mstr(m, "successEvaluation", NULL), "true");
    assert_string_equal(mstr(m, "structuredData", "intent"), "reschedule");
    assert_string_equal(mstr(m, "sentimentAnalysis", "label"), "positive");
    assert_string_equal(mstr(m, "sentimentAnalysis", "urgency"), "low");
    const cJSON *score = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "sentimentAnalysis"), "score");
    assert_true(cJSON_IsNumber(score));
    assert_float_equal(score->valuedouble, 0.82, 1e-9);
    assert_null(cJSON_GetObjectItem(m, "rawCallerNumber"));
    cJSON_Delete(m);
    /* The Twilio token never makes it into anything we store. */
    assert_null(strstr(c.metadata_json, "secret-do-not-log"));
    ingest_call_free(&c);
}

static void test_report_legacy(void **state)
{
    ingest_call c;
    parse_fixture("end-of-call-report-legacy.json", &c);
    assert_int_equal(c.kind, INGEST_MSG_END_OF_CALL_REPORT);
    assert_string_equal(c.vapi_call_id, "b1223c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e");
    assert_null(c.assistant_id); /* null in call and in phoneNumber */
    assert_string_equal(c.phone_number_id, "4a5a6b7c-8d9e-4f0a-b1c2-d3e4f5a6b7c8");
    assert_string_equal(c.caller_number, "+14566836490");
    assert_string_equal(c.caller_name, INGEST_UNKNOWN_CALLER);
    assert_false(c.caller_name_given);
    /* Top-level fallbacks. */
    assert_true(strncmp(c.transcript, "AI: Hello, this is Sarah", 24) == 0);
    assert_string_equal(c.outcome_summary, "A caller asked about Saturday opening hours and was told the spa closes at 4 PM.");
    assert_non_null(strstr(c.recording_url, "-mono.wav"));
    assert_non_null(strstr(c.stereo_recording_url, "-stereo.wav"));
    assert_string_equal(c.success_evaluation, "true");
    assert_null(c.sentiment);
    assert_false(c.has_sentiment_score);
    /* 22:19:22.105 → 22:20:56.990 is 94.885 s. */
    assert_int_equal(c.duration_seconds, 95);
    assert_string_equal(c.started_at, "2024-07-26T22:19:22.105Z");
    assert_float_equal(c.total_cost, 0.0874, 1e-9);
    assert_string_equal(c.ended_reason, "assistant-ended-call");
    cJSON *m = metadata(&c);
    const cJSON *sa = cJSON_GetObjectItem(m, "sentimentAnalysis");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(sa, "label")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(sa, "score")));
    cJSON_Delete(m);
    ingest_call_free(&c);
}

static void test_status_updates(void **state)
{
    ingest_call c;
    parse_fixture("status-update-in-progress.json", &c);
    assert_int_equal(c.kind, INGEST_MSG_STATUS_UPDATE);
    assert_string_equal(c.status, "in-progress");
    assert_string_equal(c.vapi_call_id, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d");
    assert_string_equal(c.caller_number, "+14155550123");
    assert_string_equal(c.started_at, "2024-07-27T21:20:00.000Z"); /* from call.startedAt */
    assert_false(c.has_ended_at);
    assert_false(c.has_duration);
    assert_null(c.ended_reason);
    ingest_call_free(&c);

    parse_fixture("status-update-ended.json", &c);
    assert_string_equal(c.status, "ended");
    assert_string_equal(c.ended_reason, "customer-ended-call");
    assert_int_equal(c.duration_seconds, 180); /* call.startedAt / call.endedAt */
    ingest_call_free(&c);

    parse_str("{\"message\":{\"type\":\"status-update\",\"status\":\"scheduled\",\"call\":{\"id\":\"c1\"}}}", &c);
    assert_string_equal(c.status, "queued");
    ingest_call_free(&c);
    parse_str("{\"message\":{\"type\":\"status-update\",\"status\":\"not-found\",\"call\":{\"id\":\"c1\"}}}", &c);
    assert_null(c.status);
    ingest_call_free(&c);
    parse_str("{\"message\":{\"type\":\"status-update\",\"status\":7,\"call\":{\"id\":\"c1\"}}}", &c);
    assert_null(c.status);
    ingest_call_free(&c);
}

static void test_numeric_timestamps(void **state)
{
    ingest_call c;
    /* Epoch ms as an integer and as the float form seen in artifact.messages[].time. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"timestamp\":1722115418016,"
              "\"call\":{\"id\":\"c1\"},\"startedAt\":1.722115418016999E12,\"endedAt\":1722115478517}}",
              &c);
    assert_true(c.has_started_at);
    assert_int_equal(c.started_at_ms, INT64_C(1722115418017));
    assert_string_equal(c.started_at, "2024-07-27T21:23:38.017Z");
    assert_int_equal(c.ended_at_ms, INT64_C(1722115478517));
    assert_int_equal(c.duration_seconds, 61); /* 60.5 s rounds up */
    ingest_call_free(&c);

    /* ISO with an offset; absurd or unparsable values are dropped, not stored. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c1\"},"
              "\"startedAt\":\"2024-07-27T23:20:00+02:00\",\"endedAt\":\"yesterday\"}}",
              &c);
    assert_string_equal(c.started_at, "2024-07-27T21:20:00.000Z");
    assert_false(c.has_ended_at);
    assert_string_equal(c.ended_at, "");
    assert_false(c.has_duration);
    ingest_call_free(&c);

    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c1\"},"
              "\"startedAt\":1e300,\"endedAt\":-5}}",
              &c);
    assert_false(c.has_started_at);
    assert_false(c.has_ended_at);
    ingest_call_free(&c);
}

static void test_nulls_everywhere(void **state)
{
    ingest_call c;
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"timestamp\":null,\"endedReason\":null,"
              "\"startedAt\":null,\"endedAt\":null,\"cost\":null,\"durationSeconds\":null,"
              "\"call\":{\"id\":\"c1\",\"assistantId\":null,\"phoneNumberId\":null,\"type\":null,"
              "\"customer\":{\"number\":null,\"name\":null},\"assistantOverrides\":null,\"metadata\":null},"
              "\"phoneNumber\":null,\"customer\":null,\"assistant\":null,"
              "\"artifact\":{\"transcript\":null,\"recordingUrl\":null,\"recording\":null},"
              "\"analysis\":{\"summary\":null,\"successEvaluation\":null,\"structuredData\":null,"
              "\"sentiment\":null,\"sentimentScore\":null},"
              "\"transcript\":null,\"summary\":null,\"recordingUrl\":null}}",
              &c);
    assert_string_equal(c.vapi_call_id, "c1");
    assert_null(c.assistant_id);
    assert_null(c.phone_number_id);
    assert_null(c.caller_number);
    assert_null(c.caller_raw);
    assert_null(c.to_number);
    assert_string_equal(c.caller_name, INGEST_UNKNOWN_CALLER);
    assert_string_equal(c.call_type, "inbound");
    assert_false(c.has_started_at || c.has_ended_at || c.has_duration || c.has_total_cost || c.has_sentiment_score);
    assert_null(c.transcript);
    assert_null(c.recording_url);
    assert_null(c.outcome_summary);
    assert_null(c.success_evaluation);
    assert_null(c.ended_reason);
    assert_null(c.metadata_org_id);
    cJSON *m = metadata(&c);
    assert_string_equal(mstr(m, "source", NULL), "vapi-webhook");
    assert_null(cJSON_GetObjectItem(m, "endedReason"));
    cJSON_Delete(m);
    ingest_call_free(&c);

    /* "message": null is no message at all. */
    assert_int_equal(ingest_call_parse("{\"message\":null}", 16, &c), -1);
    ingest_call_free(&c);
}

static void test_missing_call(void **state)
{
    ingest_call c;
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"silence-timed-out\","
              "\"assistant\":{\"id\":\"asst-1\",\"metadata\":{\"org_id\":\"6B1F0E3C-1111-4222-8333-444455556666\"}},"
              "\"phoneNumber\":{\"id\":\"pn-1\",\"number\":\"+19254207621\"},"
              "\"customer\":{\"number\":\"+14155550199\",\"name\":\"Sam\"}}}",
              &c);
    assert_null(c.vapi_call_id);
    assert_string_equal(c.assistant_id, "asst-1");  /* fallback message.assistant.id */
    assert_string_equal(c.phone_number_id, "pn-1"); /* fallback message.phoneNumber.id */
    assert_string_equal(c.caller_number, "+14155550199");
    assert_string_equal(c.caller_name, "Sam");
    assert_null(c.metadata_org_id); /* no call id: no org hint can be signed for it */
    assert_string_equal(c.ended_reason, "silence-timed-out");
    ingest_call_free(&c);
}

static void test_wrong_types(void **state)
{
    ingest_call c;
    /* cost as a numeric string is accepted; customer as a number, call as a
     * string, artifact as an array and analysis as a number are ignored. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"cost\":\"0.25\",\"customer\":14155550123,"
              "\"call\":\"c1\",\"artifact\":[1,2],\"analysis\":3,\"endedReason\":42,\"durationSeconds\":\"37\"}}",
              &c);
    assert_null(c.vapi_call_id);
    assert_true(c.has_total_cost);
    assert_float_equal(c.total_cost, 0.25, 1e-12);
    assert_null(c.caller_number);
    assert_null(c.caller_raw);
    assert_string_equal(c.caller_name, INGEST_UNKNOWN_CALLER);
    assert_null(c.transcript);
    assert_null(c.outcome_summary);
    assert_null(c.ended_reason);
    assert_int_equal(c.duration_seconds, 37);
    ingest_call_free(&c);

    /* A cost that is not a number, or negative, is dropped. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"cost\":\"free\",\"call\":{\"id\":\"c1\","
              "\"cost\":-1,\"customer\":{\"number\":[\"+14155550123\"],\"name\":{\"first\":\"J\"}}}}}",
              &c);
    assert_false(c.has_total_cost);
    assert_null(c.caller_number);
    assert_false(c.caller_name_given);
    ingest_call_free(&c);

    /* successEvaluation as a bool and as a number is rendered as text. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"analysis\":{\"successEvaluation\":true}}}", &c);
    assert_string_equal(c.success_evaluation, "true");
    cJSON *m = metadata(&c);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m, "successEvaluation")));
    cJSON_Delete(m);
    ingest_call_free(&c);
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"analysis\":{\"successEvaluation\":8}}}", &c);
    assert_string_equal(c.success_evaluation, "8");
    ingest_call_free(&c);
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"analysis\":{\"successEvaluation\":7.5}}}", &c);
    assert_string_equal(c.success_evaluation, "7.5");
    ingest_call_free(&c);

    /* Sentiment from structuredData when analysis has none. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"analysis\":{\"sentimentScore\":\"high\","
              "\"structuredData\":{\"sentiment\":\"negative\",\"sentimentScore\":0.1,\"sentimentUrgency\":\"high\"}}}}",
              &c);
    assert_string_equal(c.sentiment, "negative");
    assert_true(c.has_sentiment_score);
    assert_float_equal(c.sentiment_score, 0.1, 1e-12);
    assert_string_equal(c.sentiment_urgency, "high");
    ingest_call_free(&c);
}

static void test_non_e164_caller(void **state)
{
    ingest_call c;
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c1\",\"customer\":"
              "{\"number\":\"4155550123\",\"name\":\"Pat\"}},\"phoneNumber\":{\"number\":\"sip:front@desk\"}}}",
              &c);
    assert_null(c.caller_number);
    assert_string_equal(c.caller_raw, "4155550123");
    assert_null(c.to_number);
    assert_string_equal(c.caller_name, "Pat");
    cJSON *m = metadata(&c);
    assert_string_equal(mstr(m, "rawCallerNumber", NULL), "4155550123");
    cJSON_Delete(m);
    ingest_call_free(&c);

    /* Too short, leading zero, too long. */
    const char *bad[] = {"+123456", "+0123456789", "+1234567890123456", "anonymous"};
    for (size_t i = 0; i < 4; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"message\":{\"type\":\"status-update\",\"customer\":{\"number\":\"%s\"}}}", bad[i]);
        parse_str(json, &c);
        assert_null(c.caller_number);
        assert_string_equal(c.caller_raw, bad[i]);
        ingest_call_free(&c);
    }
}

static void test_duration_fallbacks(void **state)
{
    ingest_call c;
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"durationSeconds\":42.6,\"durationMs\":99000}}", &c);
    assert_int_equal(c.duration_seconds, 43);
    ingest_call_free(&c);
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"durationMs\":12400}}", &c);
    assert_int_equal(c.duration_seconds, 12);
    ingest_call_free(&c);
    /* endedAt before startedAt: the timestamps are not used for the duration. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"startedAt\":\"2024-07-27T21:23:00Z\","
              "\"endedAt\":\"2024-07-27T21:20:00Z\",\"durationSeconds\":30}}",
              &c);
    assert_true(c.has_duration);
    assert_int_equal(c.duration_seconds, 30);
    ingest_call_free(&c);
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"startedAt\":\"2024-07-27T21:23:00Z\","
              "\"endedAt\":\"2024-07-27T21:20:00Z\",\"durationSeconds\":-5,\"durationMs\":-100}}",
              &c);
    assert_false(c.has_duration);
    ingest_call_free(&c);
    /* The timestamps win over a durationSeconds that disagrees. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"startedAt\":\"2024-07-27T21:20:00Z\","
              "\"endedAt\":\"2024-07-27T21:20:10.400Z\",\"durationSeconds\":99}}",
              &c);
    assert_int_equal(c.duration_seconds, 10);
    ingest_call_free(&c);
    /* A "duration" of a month is a broken clock. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"durationSeconds\":2592000}}", &c);
    assert_false(c.has_duration);
    ingest_call_free(&c);
}

static void test_call_types(void **state)
{
    const char *in[] = {"inboundPhoneCall", "outboundPhoneCall", "webCall", "vapi.websocketCall", "somethingNew"};
    const char *out[] = {"inbound", "outbound", "web", "web", "inbound"};
    for (size_t i = 0; i < 5; i++) {
        char json[160];
        snprintf(json, sizeof json, "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"type\":\"%s\"}}}", in[i]);
        ingest_call c;
        parse_str(json, &c);
        assert_string_equal(c.call_type, out[i]);
        ingest_call_free(&c);
    }
}

static void test_org_hints(void **state)
{
    ingest_call c;
    char json[1024], sig[65];
    /* Not UUIDs: they do not count. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c1\",\"assistantOverrides\":{\"metadata\":"
              "{\"org_id\":\"acme\"},\"variableValues\":{\"org_id\":\"' OR 1=1 --\"}},\"metadata\":{\"org_id\":42}}}}",
              &c);
    assert_null(c.metadata_org_id);
    ingest_call_free(&c);
    /* UUIDs we did not sign for this call: the caller's side wrote them, they do not count. */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c1\",\"metadata\":{\"org_id\":"
              "\"11111111-1111-4111-8111-111111111111\"},\"assistantOverrides\":{\"variableValues\":{\"org_id\":"
              "\"22222222-2222-4222-8222-222222222222\"}}}}}",
              &c);
    assert_null(c.metadata_org_id);
    ingest_call_free(&c);
    /* Signed by tool-router's assistant-request answer for this call. */
    assert_int_equal(vx_vapi_org_hint_sign("33333333-3333-4333-8333-333333333333", "c2", sig), 0);
    snprintf(json, sizeof(json),
             "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c2\",\"assistantOverrides\":{\"metadata\":"
             "{\"orgId\":\"33333333-3333-4333-8333-333333333333\",\"org_sig\":\"%s\"}}}}}",
             sig);
    parse_str(json, &c);
    assert_string_equal(c.metadata_org_id, "33333333-3333-4333-8333-333333333333");
    ingest_call_free(&c);
    /* The same signature on another call is nothing. */
    snprintf(json, sizeof(json),
             "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"c3\",\"assistantOverrides\":{\"metadata\":"
             "{\"orgId\":\"33333333-3333-4333-8333-333333333333\",\"org_sig\":\"%s\"}}}}}",
             sig);
    parse_str(json, &c);
    assert_null(c.metadata_org_id);
    ingest_call_free(&c);
}

static void test_bounds_and_encoding(void **state)
{
    /* A transcript over 1 MB is cut (and flagged), never trusted whole. */
    size_t n = INGEST_MAX_TRANSCRIPT + 1000;
    char *big = malloc(n + 200);
    assert_non_null(big);
    int off = snprintf(big, 200, "{\"message\":{\"type\":\"end-of-call-report\",\"artifact\":{\"transcript\":\"");
    memset(big + off, 'a', n);
    strcpy(big + off + n, "\"}}}");
    ingest_call c;
    parse_str(big, &c);
    free(big);
    assert_int_equal(strlen(c.transcript), INGEST_MAX_TRANSCRIPT);
    assert_true(c.transcript_truncated);
    cJSON *m = metadata(&c);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m, "transcriptTruncated")));
    cJSON_Delete(m);
    ingest_call_free(&c);

    /* A call id longer than call_logs allows is not a call id. */
    char id[300];
    memset(id, 'x', 150);
    id[150] = '\0';
    char json[512];
    snprintf(json, sizeof json, "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"%s\"}}}", id);
    parse_str(json, &c);
    assert_null(c.vapi_call_id);
    ingest_call_free(&c);

    /* Invalid UTF-8 is repaired so PostgreSQL accepts it; valid UTF-8 is kept. */
    const char raw[] = "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"customer\":{\"name\":\"Jos\xc3\xa9 \xff\xfe"
                       "\"}},\"analysis\":{\"summary\":\"caf\xe9\"}}}";
    assert_int_equal(ingest_call_parse(raw, sizeof raw - 1, &c), 0);
    assert_string_equal(c.caller_name, "Jos\xc3\xa9 ??");
    assert_string_equal(c.outcome_summary, "caf?");
    ingest_call_free(&c);

    /* A JSON \u0000 ends the string there (cJSON strings are C strings). */
    parse_str("{\"message\":{\"type\":\"end-of-call-report\",\"endedReason\":\"a\\u0000b\"}}", &c);
    assert_string_equal(c.ended_reason, "a");
    ingest_call_free(&c);
}

static void test_not_a_message(void **state)
{
    ingest_call c;
    const char *bad[] = {"", "not json", "{\"message\":", "[1,2,3]", "\"message\"", "{\"message\":[]}", "{}", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ingest_call_parse(bad[i], strlen(bad[i]), &c), -1);
        ingest_call_free(&c); /* safe on the zeroed struct */
    }
    /* A bare message without the envelope is accepted. */
    parse_str("{\"type\":\"hang\",\"call\":{\"id\":\"c9\"}}", &c);
    assert_int_equal(c.kind, INGEST_MSG_HANG);
    assert_string_equal(c.vapi_call_id, "c9");
    ingest_call_free(&c);
    /* Other types parse but are not acted on. */
    parse_str("{\"message\":{\"type\":\"transcript\",\"role\":\"user\",\"transcriptType\":\"final\"}}", &c);
    assert_int_equal(c.kind, INGEST_MSG_OTHER);
    ingest_call_free(&c);
}

static void test_kinds_and_statuses(void **state)
{
    assert_int_equal(ingest_msg_kind_of("end-of-call-report"), INGEST_MSG_END_OF_CALL_REPORT);
    assert_int_equal(ingest_msg_kind_of("status-update"), INGEST_MSG_STATUS_UPDATE);
    assert_int_equal(ingest_msg_kind_of("hang"), INGEST_MSG_HANG);
    assert_int_equal(ingest_msg_kind_of("conversation-update"), INGEST_MSG_OTHER);
    assert_int_equal(ingest_msg_kind_of(NULL), INGEST_MSG_OTHER);
    assert_string_equal(ingest_status_normalize("ringing"), "ringing");
    assert_string_equal(ingest_status_normalize("forwarding"), "forwarding");
    assert_null(ingest_status_normalize("completed")); /* only a report completes a call */
    assert_null(ingest_status_normalize("deletion-failed"));
    assert_null(ingest_status_normalize(NULL));
}

int main(void)
{
    setenv("ORG_HINT_KEY", "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_full),        cmocka_unit_test(test_report_legacy),
        cmocka_unit_test(test_status_updates),     cmocka_unit_test(test_numeric_timestamps),
        cmocka_unit_test(test_nulls_everywhere),   cmocka_unit_test(test_missing_call),
        cmocka_unit_test(test_wrong_types),        cmocka_unit_test(test_non_e164_caller),
        cmocka_unit_test(test_duration_fallbacks), cmocka_unit_test(test_call_types),
        cmocka_unit_test(test_org_hints),          cmocka_unit_test(test_bounds_and_encoding),
        cmocka_unit_test(test_not_a_message),      cmocka_unit_test(test_kinds_and_statuses),
    };
    return cmocka_run_group_tests_name("webhook-ingest/call_report", tests, NULL, NULL);
}
