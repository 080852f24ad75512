/*
 * A report acknowledged with 200 is never lost and never doubled: not when
 * webhook-ingest is killed with SIGKILL while reports arrive, not when
 * PostgreSQL is down while they arrive.
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

#include "vt.h"
#include "vx_buf.h"

#define REPORTS 500

static vt_suite suite;
static PGconn *admin;
static char org[37], assistant[37];

/* Posts REPORTS fresh reports, asserting each is acknowledged; returns a
 * Postgres array literal of their call ids for counting. */
static char *post_reports(void)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    const char *const headers[] = {"x-vapi-secret: test-vapi-secret", NULL};
    vx_buf ids = VX_BUF_INIT;
    vx_buf_putc(&ids, '{');
    for (int i = 0; i < REPORTS; i++) {
        char call_id[37];
        vt_uuid(call_id);
        char *body = vt_vapi_report(call_id, assistant);
        vt_response r = vt_http("POST", url, headers, body, strlen(body));
        assert_int_equal(r.status, 200);
        vt_response_free(&r);
        free(body);
        vx_buf_printf(&ids, "%s%s", i ? "," : "", call_id);
    }
    vx_buf_putc(&ids, '}');
    return vx_buf_steal(&ids);
}

static long stored(const char *ids)
{
    const char *p[1] = {ids};
    return vt_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p);
}

static long wait_stored(const char *ids, long want)
{
    const char *p[1] = {ids};
    return vt_wait_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p, want, 120000);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_uuid(assistant);
    vt_create_org(admin, "Durable Clinic", assistant, NULL, NULL, org);
    vt_suite_start(&suite);
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    PQfinish(admin);
    return 0;
}

static void test_ingest_killed_while_reports_arrive(void **state)
{
    assert_true(vt_stop(suite.ingest, SIGKILL, 5000) == 128 + SIGKILL);
    char *ids = post_reports();
    assert_int_equal(stored(ids), 0);
    suite.ingest = vt_spawn("webhook-ingest", "webhook-ingest", NULL);
    assert_int_equal(wait_stored(ids, REPORTS), REPORTS);
    free(ids);
}

static void test_database_down_while_reports_arrive(void **state)
{
    PQfinish(admin);
    assert_int_equal(vt_infra("pg-stop"), 0);
    char *ids = post_reports();
    assert_int_equal(vt_infra("pg-start"), 0);
    admin = vt_admin();
    assert_int_equal(wait_stored(ids, REPORTS), REPORTS);
    /* Nothing doubled: exactly one row per call, and the redelivered ones were upserts. */
    const char *p[1] = {ids};
    assert_int_equal(
        vt_sql_long(admin, "SELECT count(DISTINCT vapi_call_id) FROM call_logs WHERE vapi_call_id = ANY($1::text[])", 1, p),
        REPORTS);
    assert_true(vt_alive(suite.ingest));
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_killed_while_reports_arrive),
        cmocka_unit_test(test_database_down_while_reports_arrive),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
