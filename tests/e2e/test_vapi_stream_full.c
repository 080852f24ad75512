/*
 * The VAPI stream's limits, through the gateway: the stream is a work queue
 * (what it holds is the backlog) with a byte limit that refuses new
 * messages rather than dropping unprocessed ones. When it is full the
 * gateway answers 503 stream_full (Vapi retries); nothing acknowledged is
 * lost, nothing refused is stored, and once ingest catches up the gateway
 * accepts again.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <nats/nats.h>

#include "vt.h"
#include "vx_buf.h"
#include "vx_nats.h"

#define SMALL_BYTES (1024 * 1024) /* the smallest VAPI_STREAM_MAX_BYTES allows */

static vt_suite suite;
static PGconn *admin;
static natsConnection *nc;
static jsCtx *js;
static char org[37], assistant[37];

static int setup(void **state)
{
    admin = vt_admin();
    vt_uuid(assistant);
    vt_create_org(admin, "Stream Limits Clinic", assistant, NULL, NULL, org);
    vt_suite_start(&suite);
    VT_REQUIRE(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    VT_REQUIRE(natsConnection_JetStream(&js, nc, NULL) == NATS_OK, "no JetStream context");
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_CloseAndWait(2000);
    PQfinish(admin);
    return 0;
}

/* The stream's configuration as the services set it up. */
static void test_stream_is_a_bounded_work_queue(void **state)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    assert_int_equal(js_GetStreamInfo(&si, js, VX_STREAM_VAPI, NULL, &jerr), NATS_OK);
    assert_int_equal(si->Config->Retention, js_WorkQueuePolicy);
    assert_int_equal(si->Config->Discard, js_DiscardNew);
    assert_true(si->Config->MaxBytes == 8LL * 1024 * 1024 * 1024);
    assert_true(si->Config->MaxAge == 7LL * 24 * 3600 * 1000000000LL);
    jsStreamInfo_Destroy(si);
}

/* Sets the stream's byte limit as an operator would. */
static void set_max_bytes(int64_t max_bytes)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    assert_int_equal(js_GetStreamInfo(&si, js, VX_STREAM_VAPI, NULL, &jerr), NATS_OK);
    jsStreamConfig cfg = *si->Config;
    cfg.MaxBytes = max_bytes;
    jsStreamInfo *updated = NULL;
    assert_int_equal(js_UpdateStream(&updated, js, &cfg, NULL, &jerr), NATS_OK);
    jsStreamInfo_Destroy(updated);
    jsStreamInfo_Destroy(si);
}

static void test_full_stream_answers_503_and_loses_nothing(void **state)
{
    /* Ingest stops: every report now waits in the stream. */
    assert_int_equal(vt_stop(suite.ingest, SIGTERM, 10000), 0);
    set_max_bytes(SMALL_BYTES);

    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    const char *const headers[] = {"x-vapi-secret: test-vapi-secret", NULL};
    vx_buf accepted = VX_BUF_INIT, refused = VX_BUF_INIT;
    vx_buf_putc(&accepted, '{');
    vx_buf_putc(&refused, '{');
    int n_accepted = 0, n_refused = 0;
    for (int i = 0; i < 2000 && n_refused < 3; i++) {
        char call_id[37];
        vt_uuid(call_id);
        char *body = vt_vapi_report(call_id, assistant);
        vt_response r = vt_http("POST", url, headers, body, strlen(body));
        if (r.status == 200) {
            vx_buf_printf(&accepted, "%s%s", n_accepted++ ? "," : "", call_id);
        } else {
            assert_int_equal(r.status, 503);
            assert_non_null(strstr(r.body, "\"code\":\"stream_full\""));
            vx_buf_printf(&refused, "%s%s", n_refused++ ? "," : "", call_id);
        }
        vt_response_free(&r);
        free(body);
    }
    vx_buf_putc(&accepted, '}');
    vx_buf_putc(&refused, '}');
    assert_true(n_accepted > 0);
    assert_int_equal(n_refused, 3);

    /* Ingest comes back (with the small limit, as the operator set it): the
     * backlog drains, every acknowledged report is stored once, no refused one. */
    const char *env[] = {"VAPI_STREAM_MAX_BYTES=1048576", NULL};
    suite.ingest = vt_spawn("webhook-ingest", "webhook-ingest-stream-full", env);
    const char *pa[1] = {accepted.data}, *pr[1] = {refused.data};
    assert_int_equal(
        vt_wait_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, pa, n_accepted, 60000),
        n_accepted);
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, pr), 0);

    /* Drained, the stream takes reports again. */
    assert_true(vt_wait_consumer_drained(js, VX_STREAM_VAPI, "webhook-ingest", 30000));
    char call_id[37];
    vt_uuid(call_id);
    char *body = vt_vapi_report(call_id, assistant);
    vt_response r = vt_http("POST", url, headers, body, strlen(body));
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    free(body);

    set_max_bytes(8LL * 1024 * 1024 * 1024); /* as the other tests expect it */
    vx_buf_free(&accepted);
    vx_buf_free(&refused);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_is_a_bounded_work_queue),
        cmocka_unit_test(test_full_stream_answers_503_and_loses_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
