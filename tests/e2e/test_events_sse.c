/*
 * GET /api/events end to end: domain events published the way webhook-ingest
 * publishes them (vx_events_publish, connected as its NATS user) reach the
 * org's dashboard streams through the gateway, and only that org's.
 *
 * Shown here: a stream gets its org's call.ended and never another org's; a
 * client that reconnects with Last-Event-ID (or ?lastEventId=) gets every
 * event it missed, then the live ones, none twice — even while events keep
 * coming during the switch; heartbeats arrive, and a stream outlives the
 * gateway's request timeouts; no token is a JSON 401; a client that never
 * reads is dropped while another of the same org keeps receiving; the
 * per-org limit answers its JSON 429.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_events.h"

#define HEARTBEAT_MS "300"
#define MAX_PER_ORG  4
#define WAIT_MS      15000 /* generous: ASan builds share the machine with the whole suite */

static vt_suite suite;
static PGconn *admin;
static char org_a[37], org_b[37], org_c[37];
static natsConnection *ingest; /* as webhook-ingest */
static jsCtx *js;
static char *token_a, *token_b, *token_c;
static atomic_int published;
/* Unique per run, in every event's Nats-Msg-Id: the variants of one test run
 * share NATS, and JetStream drops a repeated id for two minutes. */
static char run[37];

/* Publishes a call.ended of org with data {"tag": tag, "pad": pad_bytes of 'x'}. */
static void publish(const char *org, const char *tag, size_t pad_bytes)
{
    char *pad = malloc(pad_bytes + 1);
    memset(pad, 'x', pad_bytes);
    pad[pad_bytes] = '\0';
    size_t len = pad_bytes + 256;
    char *data = malloc(len);
    snprintf(data, len, "{\"tag\":\"%s\",\"org\":\"%s\",\"pad\":\"%s\"}", tag, org, pad);
    char msg_id[96];
    snprintf(msg_id, sizeof(msg_id), "call.ended:test-%s-%d", run, atomic_fetch_add(&published, 1));
    /* Not a cmocka assertion: this also runs on a publisher thread. */
    VT_REQUIRE(vx_events_publish(js, org, VX_EVENT_CALL_ENDED, msg_id, "sse-test", data) == 0, "cannot publish an event");
    free(data);
    free(pad);
}

static vt_sse *open_stream(const char *token, const char *last_event_id, const char *path)
{
    char auth[2048], last[96];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *headers[3] = {auth, NULL, NULL};
    if (last_event_id != NULL) {
        snprintf(last, sizeof(last), "Last-Event-ID: %s", last_event_id);
        headers[1] = last;
    }
    vt_sse *s = vt_sse_connect(suite.port, path != NULL ? path : "/api/events", headers, 0);
    assert_int_equal(vt_sse_status(s, WAIT_MS), 200);
    return s;
}

/* The next event's tag (malloc'd), and its id into id (may be NULL). */
static char *next_tag(vt_sse *s, char id[32])
{
    vt_sse_event ev;
    if (!vt_sse_next(s, WAIT_MS, &ev))
        return NULL;
    assert_string_equal(ev.event, "call.ended");
    cJSON *root = cJSON_Parse(ev.data);
    assert_non_null(root);
    char *tag = strdup(cJSON_GetObjectItem(root, "tag")->valuestring);
    cJSON_Delete(root);
    if (id != NULL)
        snprintf(id, 32, "%s", ev.id);
    vt_sse_event_free(&ev);
    return tag;
}

static void expect_tag(vt_sse *s, const char *want, char id[32])
{
    char *tag = next_tag(s, id);
    assert_non_null(tag);
    assert_string_equal(tag, want);
    free(tag);
}

static void test_a_stream_sees_its_org_only(void **state)
{
    vt_sse *a = open_stream(token_a, NULL, NULL);
    vt_sse *b = open_stream(token_b, NULL, NULL);
    /* B's first: were A's stream to get it, it would come first. */
    publish(org_b, "b-1", 0);
    publish(org_a, "a-1", 0);
    char id[32];
    expect_tag(a, "a-1", id);
    assert_true(strtoull(id, NULL, 10) > 0);
    expect_tag(b, "b-1", NULL);
    vt_sse_close(a);
    vt_sse_close(b);
}

static void test_no_token_is_a_json_401(void **state)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/api/events", suite.base_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    assert_int_equal(r.status, 401);
    cJSON *root = cJSON_Parse(r.body);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "code")->valuestring, "unauthorized");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(root, "error")));
    cJSON_Delete(root);
    vt_response_free(&r);
    /* A malformed Last-Event-ID is refused, not guessed at. */
    char auth[2048];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token_a);
    const char *headers[] = {auth, "Last-Event-ID: 12abc", NULL};
    r = vt_http("GET", url, headers, NULL, 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"invalid_last_event_id\""));
    vt_response_free(&r);
}

static void test_heartbeats_arrive_and_outlive_the_request_timeouts(void **state)
{
    vt_sse *a = open_stream(token_a, NULL, NULL);
    vt_sse_event ev;
    /* 10 heartbeats of 300 ms: longer than the gateway's idle (1 s here)
     * and upstream (2 s) timeouts, which must not end a stream. */
    for (int i = 0; i < 40 && vt_sse_pings(a) < 10; i++)
        if (vt_sse_next(a, 500, &ev))
            vt_sse_event_free(&ev);
    assert_true(vt_sse_pings(a) >= 10);
    publish(org_a, "still-open", 0);
    expect_tag(a, "still-open", NULL);
    vt_sse_close(a);
}

#define MISSED 20
#define DURING 20

static void *publish_during(void *arg)
{
    for (int i = 0; i < DURING; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "r-%d", MISSED + 1 + i);
        publish(org_a, tag, 0);
        if (i % 4 == 0)
            publish(org_b, "b-noise", 0);
    }
    return NULL;
}

static void test_resume_misses_nothing_and_repeats_nothing(void **state)
{
    vt_sse *a = open_stream(token_a, NULL, NULL);
    publish(org_a, "r-0", 0);
    char last[32];
    expect_tag(a, "r-0", last);
    vt_sse_close(a);

    /* While it is away: its org's events and another's. */
    for (int i = 1; i <= MISSED; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "r-%d", i);
        publish(org_a, tag, 0);
        if (i % 5 == 0)
            publish(org_b, "b-noise", 0);
    }
    /* It comes back while more are published: the switch from the missed
     * events to the live ones happens under traffic. */
    pthread_t publisher;
    pthread_create(&publisher, NULL, publish_during, NULL);
    a = open_stream(token_a, last, NULL);
    uint64_t prev = strtoull(last, NULL, 10);
    for (int i = 1; i <= MISSED + DURING; i++) {
        char want[32], id[32];
        snprintf(want, sizeof(want), "r-%d", i);
        expect_tag(a, want, id);
        uint64_t seq = strtoull(id, NULL, 10);
        assert_true(seq > prev);
        prev = seq;
    }
    pthread_join(publisher, NULL);
    /* And nothing more: no repeat of any of them. */
    publish(org_a, "r-end", 0);
    expect_tag(a, "r-end", NULL);
    vt_sse_close(a);

    /* ?lastEventId= works the same (EventSource polyfills use it). */
    char path[96];
    snprintf(path, sizeof(path), "/api/events?lastEventId=%s", last);
    a = open_stream(token_a, NULL, path);
    expect_tag(a, "r-1", NULL);
    vt_sse_close(a);
}

static void test_a_slow_client_is_dropped_and_others_keep_receiving(void **state)
{
    char auth[2048];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token_a);
    const char *headers[] = {auth, NULL};
    /* Reads its head, then never again, with a small receive window. */
    vt_sse *slow = vt_sse_connect(suite.port, "/api/events", headers, 4096);
    assert_int_equal(vt_sse_status(slow, WAIT_MS), 200);
    vt_sse *good = open_stream(token_a, NULL, NULL);
    /* ~12 MB: more than the kernel's buffers and the gateway's 1 MB bound. */
    enum { EVENTS = 120, PAD = 100 * 1024 };
    for (int i = 0; i < EVENTS; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "big-%d", i);
        publish(org_a, tag, PAD);
        char want[32];
        snprintf(want, sizeof(want), "big-%d", i);
        expect_tag(good, want, NULL);
    }
    size_t got = 0;
    assert_true(vt_sse_wait_closed(slow, 10000, &got));
    assert_true(got < (size_t)EVENTS * PAD);
    vt_sse_close(slow);
    /* The good one is still served. */
    publish(org_a, "after-drop", 0);
    expect_tag(good, "after-drop", NULL);
    vt_sse_close(good);
}

static bool stream_admitted(void *arg)
{
    char auth[2048];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token_c);
    const char *headers[] = {auth, NULL};
    vt_sse *s = vt_sse_connect(suite.port, "/api/events", headers, 0);
    long status = vt_sse_status(s, WAIT_MS);
    vt_sse **out = arg;
    if (status == 200)
        *out = s;
    else
        vt_sse_close(s);
    return status == 200;
}

static void test_the_per_org_limit_answers_json(void **state)
{
    vt_sse *open[MAX_PER_ORG];
    for (int i = 0; i < MAX_PER_ORG; i++)
        open[i] = open_stream(token_c, NULL, NULL);
    char url[128], auth[2048];
    snprintf(url, sizeof(url), "%s/api/events", suite.base_url);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token_c);
    const char *headers[] = {auth, NULL};
    vt_response r = vt_http("GET", url, headers, NULL, 0);
    assert_int_equal(r.status, 429);
    cJSON *root = cJSON_Parse(r.body);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "code")->valuestring, "too_many_streams");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(root, "error")));
    cJSON_Delete(root);
    vt_response_free(&r);
    /* Another org is not counted against this one. */
    vt_sse *other = open_stream(token_b, NULL, NULL);
    vt_sse_close(other);
    /* A stream that ends gives its place back (noticed at its next heartbeat). */
    vt_sse_close(open[0]);
    vt_sse *again = NULL;
    assert_true(vt_wait_for(stream_admitted, &again, WAIT_MS));
    vt_sse_close(again);
    for (int i = 1; i < MAX_PER_ORG; i++)
        vt_sse_close(open[i]);
}

static int setup(void **state)
{
    vt_uuid(run);
    /* The gateway inherits these (vt_spawn passes the environment on). */
    setenv("GATEWAY_SSE_HEARTBEAT_MS", HEARTBEAT_MS, 1);
    setenv("GATEWAY_IDLE_TIMEOUT_MS", "1000", 1);
    char per_org[16];
    snprintf(per_org, sizeof(per_org), "%d", MAX_PER_ORG);
    setenv("GATEWAY_SSE_MAX_PER_ORG", per_org, 1);
    admin = vt_admin();
    vt_create_org(admin, "Events A", NULL, NULL, NULL, org_a);
    vt_create_org(admin, "Events B", NULL, NULL, NULL, org_b);
    vt_create_org(admin, "Events C", NULL, NULL, NULL, org_c);
    vt_suite_start(&suite);
    token_a = vt_token(&suite, org_a, 600);
    token_b = vt_token(&suite, org_b, 600);
    token_c = vt_token(&suite, org_c, 600);
    /* Publish as webhook-ingest does: its own NATS user and permissions. */
    natsOptions *opts = NULL;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, vt_env("VX_NATS_SERVICE_URL"));
    char *password = vt_nats_password("webhook-ingest");
    natsOptions_SetUserInfo(opts, "webhook-ingest", password);
    natsOptions_SetCustomInboxPrefix(opts, "_INBOX.webhook-ingest");
    free(password);
    VT_REQUIRE(natsConnection_Connect(&ingest, opts) == NATS_OK, "cannot connect as webhook-ingest");
    natsOptions_Destroy(opts);
    VT_REQUIRE(natsConnection_JetStream(&js, ingest, NULL) == NATS_OK, "no JetStream context");
    VT_REQUIRE(vx_events_ensure_stream(js) == 0, "webhook-ingest cannot ensure the EVENTS stream");
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    jsCtx_Destroy(js);
    natsConnection_Destroy(ingest);
    free(token_a);
    free(token_b);
    free(token_c);
    PQfinish(admin);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stream_sees_its_org_only),
        cmocka_unit_test(test_no_token_is_a_json_401),
        cmocka_unit_test(test_heartbeats_arrive_and_outlive_the_request_timeouts),
        cmocka_unit_test(test_resume_misses_nothing_and_repeats_nothing),
        cmocka_unit_test(test_a_slow_client_is_dropped_and_others_keep_receiving),
        cmocka_unit_test(test_the_per_org_limit_answers_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
