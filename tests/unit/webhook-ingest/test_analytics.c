/*
 * Unit tests for services/webhook-ingest/analytics.c: a table of transcripts
 * whose lead scores, tiers and statuses follow the rules documented in
 * analytics.h, plus the sentiment fallback, financial value and the phrase
 * matcher the rules rest on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "analytics.h"

static const char *const BOTOX_KW[] = {"botox", "wrinkle", "injection"};
static const char *const FACELIFT_KW[] = {"facelift", "face lift"};
static const char *const CONSULT_KW[] = {"consultation"};
static const analytics_service SERVICES[] = {
    {"Botox", true, 400, BOTOX_KW, 3},
    {"Facelift", true, 8000, FACELIFT_KW, 2},
    {"Consultation", true, 150, CONSULT_KW, 1},
    {"Free Assessment", false, 0, NULL, 0},
};

typedef struct {
    const char *name;
    const char *transcript;
    bool booked;
    const char *vapi_sentiment; /* NULL: inferred */
    const char *vapi_urgency;
    int score;
    const char *tier;
    const char *status;
    const char *rules; /* the rules that fired, in order, comma-separated */
} score_case;

static const score_case CASES[] = {
    {"booked, positive", "AI: Hello.\nUser: I'd like to book an appointment for botox. Thank you so much!", true, NULL, NULL, 100,
     "hot", "booked", "base,booked,booking intent,service matched,positive sentiment"},
    {"price question only", "AI: Hi.\nUser: How much is a facelift?", false, NULL, NULL, 65, "warm", "contacted",
     "base,price intent,service matched"},
    {"booking intent and price, not booked", "User: Do you have availability this week? What does a consultation cost?", false,
     NULL, NULL, 85, "hot", "contacted", "base,booking intent,price intent,service matched,medium urgency"},
    {"wrong number", "AI: Good morning.\nUser: Sorry, wrong number.", false, NULL, NULL, 20, "cold", "lost", "base,not interested"},
    {"angry cancellation", "User: This is ridiculous, I want to cancel. Terrible service.", false, NULL, NULL, 25, "cold",
     "contacted", "base,negative sentiment,cancellation"},
    {"emergency", "User: I have severe pain and swelling, I need to be seen today.", false, NULL, NULL, 60, "warm", "contacted",
     "base,high urgency"},
    {"AI speech does not count", "AI: Would you like to book an appointment? Our prices are great.\nUser: No.", false, NULL, NULL,
     50, "warm", "contacted", "base"},
    {"Vapi sentiment wins", "User: thank you, perfect, great", false, "Negative", "High", 45, "warm", "contacted",
     "base,negative sentiment,high urgency"},
    {"unlabelled transcript read whole", "I want to schedule a botox appointment", false, NULL, NULL, 70, "hot", "contacted",
     "base,booking intent,service matched"},
    {"empty call", "", false, NULL, NULL, 50, "warm", "contacted", "base"},
};

/* Checks the rules that fired, in order; returns the sum of their points. */
static int check_rules(const char *reasons_json, const char *expected, const char *name)
{
    cJSON *a = cJSON_Parse(reasons_json);
    assert_non_null(a);
    char got[512] = "";
    int sum = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, a)
    {
        if (*got)
            strcat(got, ",");
        strcat(got, cJSON_GetObjectItem(r, "rule")->valuestring);
        sum += cJSON_GetObjectItem(r, "points")->valueint;
    }
    if (strcmp(got, expected) != 0)
        fail_msg("%s: rules %s, expected %s", name, got, expected);
    cJSON_Delete(a);
    return sum;
}

static void test_score_table(void **state)
{
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const score_case *c = &CASES[i];
        analytics_input in = {.transcript = c->transcript,
                              .sentiment = c->vapi_sentiment,
                              .sentiment_urgency = c->vapi_urgency,
                              .booked = c->booked,
                              .services = SERVICES,
                              .nservices = 4};
        analytics_result r;
        analytics_compute(&in, &r);
        /* The reasons explain the score: their points add up to it (no case here is clamped). */
        if (check_rules(r.reasons_json, c->rules, c->name) != r.lead_score)
            fail_msg("%s: the reasons do not add up to the score %d", c->name, r.lead_score);
        if (r.lead_score != c->score)
            fail_msg("%s: score %d, expected %d", c->name, r.lead_score, c->score);
        assert_string_equal(r.lead_tier, c->tier);
        assert_string_equal(r.lead_status, c->status);
        assert_int_equal(r.booking_confirmed, c->booked);
        analytics_result_free(&r);
    }
}

static void test_a_plain_call_has_the_base_only(void **state)
{
    analytics_input in = {.transcript = "User: hello", .services = SERVICES, .nservices = 4};
    analytics_result r;
    analytics_compute(&in, &r);
    assert_string_equal(r.reasons_json, "[{\"rule\":\"base\",\"points\":50}]");
    analytics_result_free(&r);
}

static void test_inferred_sentiment(void **state)
{
    analytics_input in = {.transcript = "User: thank you, that's perfect, great\nAI: You're welcome, thank you!"};
    analytics_result r;
    analytics_compute(&in, &r);
    assert_string_equal(r.sentiment_source, "inferred");
    assert_true(r.has_sentiment_score);
    assert_true(r.sentiment_score > 0.79 && r.sentiment_score < 0.81); /* three distinct caller cues */
    assert_string_equal(r.sentiment_label, "positive");
    assert_string_equal(r.sentiment_urgency, "low");
    analytics_result_free(&r);

    in.transcript = "User: I'm frustrated and upset";
    analytics_compute(&in, &r);
    assert_string_equal(r.sentiment_label, "negative");
    analytics_result_free(&r);
}

static void test_vapi_sentiment_kept_as_sent(void **state)
{
    analytics_input in = {.transcript = "User: terrible",
                          .sentiment = "Very Positive",
                          .has_sentiment_score = true,
                          .sentiment_score = 0.9,
                          .sentiment_urgency = "Moderate"};
    analytics_result r;
    analytics_compute(&in, &r);
    assert_string_equal(r.sentiment_source, "vapi");
    assert_string_equal(r.sentiment_label, "Very Positive");
    assert_true(r.sentiment_score == 0.9);
    assert_string_equal(r.sentiment_urgency, "Moderate");
    /* positive (+10) and medium urgency (+5) */
    assert_int_equal(r.lead_score, 65);
    analytics_result_free(&r);

    /* A score alone decides by its value. */
    analytics_input only_score = {.transcript = "", .has_sentiment_score = true, .sentiment_score = 0.2};
    analytics_compute(&only_score, &r);
    assert_string_equal(r.sentiment_source, "vapi");
    assert_null(r.sentiment_label);
    assert_int_equal(r.lead_score, 35);
    analytics_result_free(&r);
}

static void test_financial_value_takes_most_expensive_named(void **state)
{
    analytics_input in = {.transcript = "User: I'd like a consultation about a face-lift.", .services = SERVICES, .nservices = 4};
    analytics_result r;
    analytics_compute(&in, &r);
    assert_true(r.has_financial_value);
    assert_true(r.financial_value == 8000);
    assert_string_equal(r.matched_service, "Facelift");
    analytics_result_free(&r);

    /* The summary counts too; an unpriced service never gives a value. */
    in.transcript = "User: hi";
    in.summary = "Caller asked about a free assessment.";
    analytics_compute(&in, &r);
    assert_false(r.has_financial_value);
    assert_null(r.matched_service);
    analytics_result_free(&r);

    /* "botoxing" is not "botox": whole words only. */
    in.summary = "botoxing";
    analytics_compute(&in, &r);
    assert_false(r.has_financial_value);
    analytics_result_free(&r);
}

static void test_recording_status(void **state)
{
    analytics_input in = {.recording_url = "https://storage.vapi.ai/x.wav"};
    analytics_result r;
    analytics_compute(&in, &r);
    assert_string_equal(r.recording_status, "completed");
    analytics_result_free(&r);
    in.recording_url = "";
    analytics_compute(&in, &r);
    assert_null(r.recording_status);
    analytics_result_free(&r);
}

static void test_phrases(void **state)
{
    const char *t = "User: How MUCH does it cost?! I'd like to book.";
    assert_true(analytics_has_phrase(t, strlen(t), "how much"));
    assert_true(analytics_has_phrase(t, strlen(t), "book"));
    assert_false(analytics_has_phrase(t, strlen(t), "boo"));
    assert_false(analytics_has_phrase(t, strlen(t), "much does it costs"));
    /* Bounded by len, not by the NUL. */
    char buf[4] = {'b', 'o', 'o', 'k'};
    assert_true(analytics_has_phrase(buf, 4, "book"));
    assert_false(analytics_has_phrase(buf, 3, "book"));
    /* Non-ASCII bytes separate words and never match. */
    const char *u = "caf\xc3\xa9 book\xe2\x80\x94now";
    assert_true(analytics_has_phrase(u, strlen(u), "book now"));
    assert_false(analytics_has_phrase("", 0, "book"));
}

static void test_tiers(void **state)
{
    assert_string_equal(analytics_tier(70), "hot");
    assert_string_equal(analytics_tier(69), "warm");
    assert_string_equal(analytics_tier(40), "warm");
    assert_string_equal(analytics_tier(39), "cold");
    assert_string_equal(analytics_tier(0), "cold");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_table),
        cmocka_unit_test(test_a_plain_call_has_the_base_only),
        cmocka_unit_test(test_inferred_sentiment),
        cmocka_unit_test(test_vapi_sentiment_kept_as_sent),
        cmocka_unit_test(test_financial_value_takes_most_expensive_named),
        cmocka_unit_test(test_recording_status),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
