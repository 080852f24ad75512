/*
 * tool-router's writes find their row by its key, whatever the planner
 * believes about the table — transfer/destination.c's transfer_log upsert,
 * run by a real tool-router process on real NATS and PostgreSQL.
 *
 * The bug this guards against: a fresh deployment's call_logs is empty and
 * never analyzed, so the first transfers are planned on a guess; the plan
 * picked then (the org's history index, call_logs_org_phone_idx, with the
 * call id as a mere filter) was cached by the long-lived connections and
 * read the org's whole call history on every transfer — transfers got
 * slower with every call until autovacuum's first ANALYZE. The test makes
 * such a deployment — a database of its own, migrated, empty — starts
 * tool-router on it, runs transfers, and reads from pg_stat_user_indexes
 * which index their writes used.
 *
 * Environment: NATS_URL, DATABASE_URL, ADMIN_DATABASE_URL, BIN_DIR (run-all.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tool_router_test.h"

#define TRANSFERS 12 /* past the 5 custom plans, into the cached generic one */

static struct {
    natsConnection *nc;
    PGconn *server; /* the test cluster's own database, to create and drop ours */
    PGconn *admin;  /* superuser on our fresh database */
    pid_t service;
    char db[48], org[37], asst[64], tag[16];
    char admin_url[512], app_url[512];
} T;

/* url with its database name replaced by db. */
static void url_for_db(const char *url, const char *db, char out[512])
{
    const char *slash = strrchr(url, '/');
    assert_non_null(slash);
    snprintf(out, 512, "%.*s/%s", (int)(slash - url), url, db);
}

/* Transfer number `round` on call i (a fresh tool call each time), as the gateway sends it; returns the HTTP status. */
static unsigned transfer(int round, int i)
{
    vx_buf body = VX_BUF_INIT;
    vx_buf_printf(
        &body,
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"plans-%s-%d\",\"assistantId\":\"%s\","
        "\"customer\":{\"number\":\"+15550001234\"}},\"toolCallList\":[{\"id\":\"plans-tc-%s-%d-%d\",\"type\":\"function\","
        "\"function\":{\"name\":\"transferCall\",\"arguments\":{\"summary\":\"billing\",\"department\":\"billing\"}}}]}}",
        T.tag, i, T.asst, T.tag, round, i);
    cJSON *answer = NULL;
    unsigned status = tr_process_webhook(T.nc, body.data, &answer);
    vx_buf_free(&body);
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(answer, "results"), 0);
    assert_string_equal(cJSON_GetObjectItem(r, "result")->valuestring, "Transferring you to our billing team now.");
    cJSON_Delete(answer);
    return status;
}

static long index_scans(const char *index)
{
    const char *p[1] = {index};
    return vt_sql_long(T.admin, "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = $1", 1, p);
}

static void test_transfers_find_their_call_by_its_id_on_a_never_analyzed_table(void **state)
{
    long history_before = index_scans("call_logs_org_phone_idx");
    long by_id_before = index_scans("call_logs_vapi_call_id_key");
    for (int i = 0; i < TRANSFERS; i++)
        assert_int_equal(transfer(1, i), 200);
    /* The second round transfers the same calls again: the path that finds an existing row. */
    for (int i = 0; i < TRANSFERS; i++)
        assert_int_equal(transfer(2, i), 200);
    /* Backends report their statistics at most once a second (and when idle,
     * within 10 s): wait until this test's look-ups are all counted. */
    char want[32];
    snprintf(want, sizeof(want), "%ld", history_before + by_id_before + 2 * TRANSFERS);
    const char *p[1] = {want};
    assert_int_equal(vt_wait_sql_long(T.admin,
                                      "SELECT (sum(idx_scan) >= $1::bigint)::int FROM pg_stat_user_indexes"
                                      " WHERE indexrelname IN ('call_logs_vapi_call_id_key', 'call_logs_org_phone_idx')",
                                      1, p, 1, 15000),
                     1);
    assert_int_equal(index_scans("call_logs_org_phone_idx"), history_before);
    const char *org[1] = {T.org};
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND transfer_to IS NOT NULL", 1, org),
                     TRANSFERS);
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    srand((unsigned)(time(NULL) ^ getpid()));
    snprintf(T.tag, sizeof(T.tag), "%08x", (unsigned)rand());
    /* A fresh deployment: a database of our own, migrated and empty. */
    T.server = vt_admin();
    snprintf(T.db, sizeof(T.db), "voxanne_plans_%s", T.tag);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", T.db);
    vt_sql_exec(T.server, sql, 0, NULL);
    url_for_db(vt_env("ADMIN_DATABASE_URL"), T.db, T.admin_url);
    url_for_db(vt_env("DATABASE_URL"), T.db, T.app_url);
    char migrate[1200];
    snprintf(migrate, sizeof(migrate), "ADMIN_DATABASE_URL='%s' DATABASE_URL='%s' \"$VOXCTL\" migrate >/dev/null", T.admin_url,
             T.app_url);
    if (system(migrate) != 0)
        fail_msg("migrating the fresh database failed");
    T.admin = PQconnectdb(T.admin_url);
    assert_int_equal(PQstatus(T.admin), CONNECTION_OK);

    snprintf(T.asst, sizeof(T.asst), "asst-plans-%s", T.tag);
    vt_create_org(T.admin, "Plans Clinic", T.asst, NULL, NULL, T.org);
    const char *p[1] = {T.org};
    vt_sql_exec(T.admin,
                "INSERT INTO integration_settings (org_id, transfer_phone_number, transfer_departments)"
                " VALUES ($1, '+15551110000', '{\"billing\": \"+15551110001\"}')",
                1, p);
    assert_int_equal(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")), NATS_OK);
    static char database_url[600];
    snprintf(database_url, sizeof(database_url), "DATABASE_URL=%s", T.app_url);
    const char *env[] = {database_url, NULL};
    T.service = vt_start_service(T.nc, "tool-router", "tools", "tool-router-plans", env);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(vt_stop(T.service, SIGTERM, 10000), 0);
    PQfinish(T.admin);
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", T.db);
    vt_sql_exec(T.server, sql, 0, NULL);
    PQfinish(T.server);
    natsConnection_Destroy(T.nc);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfers_find_their_call_by_its_id_on_a_never_analyzed_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
