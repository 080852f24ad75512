/*
 * `voxctl parked list` and `voxctl parked replay` against the real
 * webhook-ingest, NATS JetStream and PostgreSQL, as an operator runs them
 * (ADMIN_DATABASE_URL, NATS as admin).
 *
 * Proves: a report for an unknown assistant is parked and listed (its
 * reason and ids, never its payload); once the org exists, replaying it
 * stores the call and removes the parked row; a replay whose cause still
 * holds parks the message anew; an unknown id fails with a sentence; bad
 * options are usage errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt.h"
#include "vx_nats.h"

#define WAIT_MS 20000

static struct {
    const char *voxctl;
    PGconn *admin;
    natsConnection *nc;
    jsCtx *js;
    pid_t ingest;
    char nats_url_env[512], user_env[64], password_env[256], admin_db_env[1024];
} g;

static vt_run_result voxctl(const char *const *args)
{
    const char *env[] = {g.nats_url_env, g.user_env, g.password_env, g.admin_db_env, NULL};
    return vt_run(g.voxctl, args, env);
}

static long parked_for(const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_long(g.admin, "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1", 1, p);
}

/* Parks a report of call_id to an assistant no org has; returns the parked row's id (malloc'd). */
static char *park_report(const char *call_id, const char *assistant)
{
    char *body = vt_vapi_report(call_id, assistant);
    vt_publish_vapi_event(g.js, "end-of-call-report", call_id, body, strlen(body));
    free(body);
    const char *p[1] = {call_id};
    VT_REQUIRE(vt_wait_sql_long(g.admin, "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1", 1, p, 1, WAIT_MS) == 1,
               "the report was not parked");
    return vt_sql_value(g.admin, "SELECT id::text FROM parked_messages WHERE vapi_call_id = $1", 1, p);
}

static void test_list_replay_after_the_org_exists(void **state)
{
    char call_id[37], assistant[37], org[37];
    vt_uuid(call_id);
    vt_uuid(assistant);
    char *id = park_report(call_id, assistant);

    const char *list[] = {"parked", "list", "--reason", "org-not-resolved", "--limit", "10000", NULL};
    vt_run_result r = voxctl(list);
    if (r.status != 0)
        vt_run_show("parked list", &r);
    assert_int_equal(r.status, 0);
    char line[256];
    snprintf(line, sizeof line, "%s\t", id);
    assert_non_null(strstr(r.out, line));
    assert_non_null(strstr(r.out, "\torg-not-resolved\tend-of-call-report\t"));
    assert_non_null(strstr(r.out, call_id));
    assert_null(strstr(r.out, "Botox")); /* the transcript stays in the database */
    vt_run_free(&r);

    /* The org is set up afterwards: the replay stores the call, the row goes. */
    vt_create_org(g.admin, "Parked Replay Clinic", assistant, NULL, NULL, org);
    const char *replay[] = {"parked", "replay", "--id", id, NULL};
    r = voxctl(replay);
    if (r.status != 0)
        vt_run_show("parked replay", &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "replayed "));
    vt_run_free(&r);
    const char *p[1] = {call_id};
    assert_int_equal(vt_wait_sql_long(g.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p, 1, WAIT_MS), 1);
    assert_int_equal(parked_for(call_id), 0);
    char *owner = vt_sql_value(g.admin, "SELECT org_id::text FROM call_logs WHERE vapi_call_id = $1", 1, p);
    assert_string_equal(owner, org);
    free(owner);
    free(id);
}

static void test_replay_parks_anew_while_the_cause_holds(void **state)
{
    char call_id[37], assistant[37];
    vt_uuid(call_id);
    vt_uuid(assistant);
    char *id = park_report(call_id, assistant);
    const char *replay[] = {"parked", "replay", "--id", id, NULL};
    vt_run_result r = voxctl(replay);
    assert_int_equal(r.status, 0);
    vt_run_free(&r);
    /* The old row went; ingest parked the message again, as a new row. */
    const char *p[2] = {call_id, id};
    assert_int_equal(vt_wait_sql_long(g.admin, "SELECT count(*) FROM parked_messages WHERE vapi_call_id = $1 AND id <> $2::bigint",
                                      2, p, 1, WAIT_MS),
                     1);
    assert_int_equal(parked_for(call_id), 1);
    free(id);
}

static void test_unknown_id_and_bad_options(void **state)
{
    const char *missing[] = {"parked", "replay", "--id", "999999999", NULL};
    vt_run_result r = voxctl(missing);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no parked message 999999999"));
    vt_run_free(&r);

    const char *bad_id[] = {"parked", "replay", "--id", "abc", NULL};
    r = voxctl(bad_id);
    assert_int_equal(r.status, 2);
    vt_run_free(&r);

    const char *bad_sub[] = {"parked", "purge", NULL};
    r = voxctl(bad_sub);
    assert_int_equal(r.status, 2);
    vt_run_free(&r);

    const char *list_with_id[] = {"parked", "list", "--id", "1", NULL};
    r = voxctl(list_with_id);
    assert_int_equal(r.status, 2);
    vt_run_free(&r);
}

static int group_setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    g.admin = vt_admin();
    snprintf(g.nats_url_env, sizeof g.nats_url_env, "NATS_URL=%s", vt_env("VX_NATS_SERVICE_URL"));
    snprintf(g.user_env, sizeof g.user_env, "NATS_USER=admin");
    char *password = vt_nats_password("admin");
    snprintf(g.password_env, sizeof g.password_env, "NATS_PASSWORD=%s", password);
    free(password);
    snprintf(g.admin_db_env, sizeof g.admin_db_env, "ADMIN_DATABASE_URL=%s", vt_env("ADMIN_DATABASE_URL"));
    VT_REQUIRE(natsConnection_ConnectTo(&g.nc, vt_env("NATS_URL")) == NATS_OK, "NATS connection");
    VT_REQUIRE(natsConnection_JetStream(&g.js, g.nc, NULL) == NATS_OK, "no JetStream context");
    g.ingest = vt_spawn("webhook-ingest", "webhook-ingest-parked", NULL);
    VT_REQUIRE(vt_wait_consumer(g.js, VX_STREAM_VAPI, "webhook-ingest", WAIT_MS), "webhook-ingest did not start");
    return 0;
}

static int group_teardown(void **state)
{
    if (g.ingest > 0)
        vt_stop(g.ingest, SIGTERM, 10000);
    jsCtx_Destroy(g.js);
    natsConnection_Destroy(g.nc);
    nats_CloseAndWait(2000);
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_replay_after_the_org_exists),
        cmocka_unit_test(test_replay_parks_anew_while_the_cause_holds),
        cmocka_unit_test(test_unknown_id_and_bad_options),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
