/*
 * Integration test of webhook-ingest's purge of parked messages
 * (services/webhook-ingest/purge.c): the real binary against the real
 * PostgreSQL (env DATABASE_URL, ADMIN_DATABASE_URL, NATS_URL and BIN_DIR, as
 * tests/run-all.sh sets them).
 *
 * Regression (issue 9): parked_messages keeps whole Vapi messages of every
 * org (transcripts, callers' numbers) and nothing ever deleted them. The
 * service now deletes those older than PARKED_RETENTION_DAYS (30 by default)
 * when it starts and every hour after; younger ones stay. A retention under
 * a day is a configuration mistake (exit 2).
 *
 * Rows are inserted through the superuser connection (the app role may not
 * read the table), each tagged with a request id of this run.
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

#define WAIT_MS 20000

static PGconn *admin;
static char tag[37];

/* The request id of this run's row received days_ago days ago. */
static void request_id(int days_ago, char out[80])
{
    snprintf(out, 80, "it-purge-%s-%d", tag, days_ago);
}

static void park_days_ago(int days_ago)
{
    char rid[80], days[16];
    request_id(days_ago, rid);
    snprintf(days, sizeof days, "%d", days_ago);
    const char *p[2] = {rid, days};
    vt_sql_exec(admin,
                "INSERT INTO parked_messages (received_at, reason, message_type, request_id, payload)"
                " VALUES (now() - make_interval(days => $2::int), 'org-not-resolved', 'end-of-call-report', $1,"
                " '{\"message\":{\"artifact\":{\"transcript\":\"AI: Hello\"}}}')",
                2, p);
}

static long parked(int days_ago)
{
    char rid[80];
    request_id(days_ago, rid);
    const char *p[1] = {rid};
    return vt_sql_long(admin, "SELECT count(*) FROM parked_messages WHERE request_id = $1", 1, p);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_uuid(tag);
    return 0;
}

static int teardown(void **state)
{
    char like[80];
    snprintf(like, sizeof like, "it-purge-%s-%%", tag);
    const char *p[1] = {like};
    vt_sql_exec(admin, "DELETE FROM parked_messages WHERE request_id LIKE $1", 1, p);
    PQfinish(admin);
    nats_CloseAndWait(2000);
    return 0;
}

static void test_old_parked_messages_are_purged(void **state)
{
    park_days_ago(45);
    park_days_ago(31);
    park_days_ago(29);
    park_days_ago(0);
    const char *env[] = {"INGEST_WORKERS=1", NULL};
    pid_t child = vt_spawn("webhook-ingest", "webhook-ingest-purge", env);
    char rid[80];
    request_id(31, rid);
    const char *p[1] = {rid};
    long left = vt_wait_sql_long(admin, "SELECT count(*) FROM parked_messages WHERE request_id = $1", 1, p, 0, WAIT_MS);
    bool alive = vt_alive(child);
    int rc = vt_stop(child, SIGTERM, 5000);
    assert_int_equal(left, 0);
    assert_int_equal(parked(45), 0);
    assert_int_equal(parked(29), 1);
    assert_int_equal(parked(0), 1);
    assert_true(alive);
    assert_int_equal(rc, 0);
}

static void test_retention_is_configurable(void **state)
{
    park_days_ago(8);
    park_days_ago(6);
    const char *env[] = {"INGEST_WORKERS=1", "PARKED_RETENTION_DAYS=7", NULL};
    pid_t child = vt_spawn("webhook-ingest", "webhook-ingest-purge-7", env);
    char rid[80];
    request_id(8, rid);
    const char *p[1] = {rid};
    long left = vt_wait_sql_long(admin, "SELECT count(*) FROM parked_messages WHERE request_id = $1", 1, p, 0, WAIT_MS);
    int rc = vt_stop(child, SIGTERM, 5000);
    assert_int_equal(left, 0);
    assert_int_equal(parked(6), 1);
    assert_int_equal(rc, 0);
}

static void test_retention_under_a_day_is_refused(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s/webhook-ingest", vt_env("BIN_DIR"));
    const char *const values[] = {"PARKED_RETENTION_DAYS=0", "PARKED_RETENTION_DAYS=-1", "PARKED_RETENTION_DAYS=soon"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        const char *env[] = {values[i], NULL};
        /* Bounded: a service that took the value would run until stopped. */
        const char *args[] = {"-s", "KILL", "10", path, NULL};
        vt_run_result r = vt_run("/usr/bin/timeout", args, env);
        if (r.status != 2)
            vt_run_show(values[i], &r);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "PARKED_RETENTION_DAYS"));
        vt_run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_parked_messages_are_purged),
        cmocka_unit_test(test_retention_is_configurable),
        cmocka_unit_test(test_retention_under_a_day_is_refused),
    };
    return cmocka_run_group_tests_name("webhook-ingest parked purge", tests, setup, teardown);
}
