/*
 * test_sync: `voxctl sync all` and `voxctl sync cleanup-native`
 * (services/voxctl/sync.c), the real binary against the real PostgreSQL
 * and tests/fakes/vapi_api.
 *
 * Proves: sync all queues every active organization as a save with no
 * change would (agent_config's version bumped, or made at 1 for an org
 * that never saved; agent_sync pending at that version), spreads their
 * next tries --pace-ms apart, prints each, and leaves a suspended org
 * alone; cleanup-native takes the native tools (linked by id, and inline)
 * off an assistant made elsewhere and keeps everything else on it, leaves
 * a clean assistant untouched, says what it would do with --dry-run and
 * changes nothing then, and finds nothing left on a second run; bad
 * arguments and a missing key are usage errors.
 *
 * Environment: DATABASE_URL, ADMIN_DATABASE_URL, VOXCTL, FAKES_DIR
 * (tests/run-all.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vt.h"

#define KEY "vapi-private-key-for-voxctl-sync"

static struct {
    const char *voxctl;
    PGconn *admin;
    pid_t fake;
    char url[64], base_env[96];
} g;

static vt_run_result voxctl(const char *const *args)
{
    const char *env[] = {g.base_env, "VAPI_PRIVATE_KEY=" KEY, NULL};
    return vt_run(g.voxctl, args, env);
}

static cJSON *vapi(const char *method, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", g.url, path);
    const char *headers[] = {"Authorization: Bearer " KEY, "Content-Type: application/json", NULL};
    vt_response r = vt_http(method, url, headers, body, body ? strlen(body) : 0);
    cJSON *j = (r.status >= 200 && r.status < 300) ? cJSON_Parse(r.body) : NULL;
    vt_response_free(&r);
    return j;
}

static int patched(void)
{
    cJSON *s = vt_fake_get_json(g.url, "/_fake/state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "succeeded"), "PATCH /assistant/{id}");
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(s);
    return n;
}

static void test_sync_all_queues_every_active_org(void **state)
{
    char fresh[37], saved[37], suspended[37];
    vt_create_org(g.admin, "Sync fresh", NULL, NULL, NULL, fresh);
    vt_create_org(g.admin, "Sync saved", NULL, NULL, NULL, saved);
    vt_create_org(g.admin, "Sync suspended", NULL, NULL, NULL, suspended);
    const char *ps[1] = {saved}, *pz[1] = {suspended};
    vt_sql_exec(g.admin, "INSERT INTO agent_config (org_id, config_version) VALUES ($1, 2)", 1, ps);
    vt_sql_exec(g.admin, "INSERT INTO agent_sync (org_id, desired_version, synced_version, state) VALUES ($1, 2, 2, 'synced')", 1,
                ps);
    vt_sql_exec(g.admin, "UPDATE organizations SET status = 'suspended' WHERE id = $1", 1, pz);

    const char *args[] = {"sync", "all", "--pace-ms", "1000", NULL};
    vt_run_result r = voxctl(args);
    if (r.status != 0)
        vt_run_show("sync all", &r);
    assert_int_equal(r.status, 0);
    char line[128];
    snprintf(line, sizeof line, "queued %s version 1\n", fresh);
    assert_non_null(strstr(r.out, line));
    snprintf(line, sizeof line, "queued %s version 3\n", saved);
    assert_non_null(strstr(r.out, line));
    assert_null(strstr(r.out, suspended));
    vt_run_free(&r);

    const char *pf[1] = {fresh};
    assert_int_equal(vt_sql_long(g.admin,
                                 "SELECT count(*) FROM agent_sync y JOIN agent_config c USING (org_id) WHERE org_id = $1"
                                 " AND y.state = 'pending' AND y.desired_version = 1 AND c.config_version = 1"
                                 " AND y.next_attempt_at IS NOT NULL",
                                 1, pf),
                     1);
    assert_int_equal(vt_sql_long(g.admin,
                                 "SELECT count(*) FROM agent_sync WHERE org_id = $1 AND state = 'pending'"
                                 " AND desired_version = 3 AND synced_version = 2",
                                 1, ps),
                     1);
    assert_int_equal(vt_sql_long(g.admin, "SELECT count(*) FROM agent_sync WHERE org_id = $1", 1, pz), 0);
    /* Paced: the two are due a whole number of seconds apart, at least one. */
    const char *both[2] = {fresh, saved};
    long apart = vt_sql_long(g.admin,
                             "SELECT round(abs(extract(epoch FROM (SELECT next_attempt_at FROM agent_sync WHERE org_id = $1)"
                             " - (SELECT next_attempt_at FROM agent_sync WHERE org_id = $2))))::bigint",
                             2, both);
    assert_true(apart >= 1);
    /* Leave nothing due for a later test's tool-sync. */
    vt_sql_exec(g.admin, "UPDATE agent_sync SET synced_version = desired_version, state = 'synced'", 0, NULL);
}

static void test_cleanup_native(void **state)
{
    cJSON *theirs = vapi("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"theirs\"}}");
    cJSON *native = vapi("POST", "/tool", "{\"type\":\"google.calendar.event.create\"}");
    VT_REQUIRE(theirs && native, "could not make the tools");
    char dirty[37], clean[37], body[1024];
    vt_uuid(dirty);
    vt_uuid(clean);
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"name\":\"Dirty\",\"metadata\":{\"keep\":1},\"model\":{\"provider\":\"openai\",\"model\":"
             "\"gpt-4o\",\"temperature\":0.5,\"messages\":[{\"role\":\"system\",\"content\":\"be kind\"}],"
             "\"toolIds\":[\"%s\",\"%s\"],\"tools\":[{\"type\":\"google.calendar.availability.check\"},{\"type\":\"endCall\"}]}}",
             dirty, cJSON_GetObjectItem(theirs, "id")->valuestring, cJSON_GetObjectItem(native, "id")->valuestring);
    vt_fake_post(g.url, "/_fake/assistants", body);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"Clean\",\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o\"}}",
             clean);
    vt_fake_post(g.url, "/_fake/assistants", body);

    const char *dry[] = {"sync", "cleanup-native", "--dry-run", NULL};
    vt_run_result r = voxctl(dry);
    assert_int_equal(r.status, 0);
    snprintf(body, sizeof body, "would clean %s: 1 linked and 1 inline native tool(s)\n", dirty);
    assert_non_null(strstr(r.out, body));
    assert_null(strstr(r.out, clean));
    vt_run_free(&r);
    assert_int_equal(patched(), 0);

    const char *run[] = {"sync", "cleanup-native", NULL};
    r = voxctl(run);
    if (r.status != 0)
        vt_run_show("sync cleanup-native", &r);
    assert_int_equal(r.status, 0);
    snprintf(body, sizeof body, "cleaned %s: 1 linked and 1 inline native tool(s)\n", dirty);
    assert_non_null(strstr(r.out, body));
    vt_run_free(&r);
    assert_int_equal(patched(), 1);

    char path[96];
    snprintf(path, sizeof path, "/assistant/%s", dirty);
    cJSON *a = vapi("GET", path, NULL);
    VT_REQUIRE(a != NULL, "the assistant is gone");
    char *all = cJSON_PrintUnformatted(a);
    assert_null(strstr(all, "google.calendar"));
    assert_null(strstr(all, cJSON_GetObjectItem(native, "id")->valuestring));
    assert_non_null(strstr(all, cJSON_GetObjectItem(theirs, "id")->valuestring));
    assert_non_null(strstr(all, "\"endCall\""));
    assert_non_null(strstr(all, "\"be kind\""));
    assert_non_null(strstr(all, "\"temperature\":0.5"));
    assert_non_null(strstr(all, "\"keep\":1"));
    free(all);
    cJSON_Delete(a);

    r = voxctl(run);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    vt_run_free(&r);
    assert_int_equal(patched(), 1);
    cJSON_Delete(theirs);
    cJSON_Delete(native);
}

static void test_usage_errors(void **state)
{
    const char *bad[] = {"sync", "everything", NULL};
    vt_run_result r = voxctl(bad);
    assert_int_equal(r.status, 2);
    vt_run_free(&r);
    const char *bad_flag[] = {"sync", "cleanup-native", "--force", NULL};
    r = voxctl(bad_flag);
    assert_int_equal(r.status, 2);
    vt_run_free(&r);
    const char *bad_pace[] = {"sync", "all", "--pace-ms", "-1", NULL};
    r = voxctl(bad_pace);
    assert_int_equal(r.status, 2);
    vt_run_free(&r);
    const char *run[] = {"sync", "cleanup-native", NULL};
    const char *no_key[] = {g.base_env, "VAPI_PRIVATE_KEY", NULL};
    r = vt_run(g.voxctl, run, no_key);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "VAPI_PRIVATE_KEY is not set"));
    vt_run_free(&r);
}

static int setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    g.admin = vt_admin();
    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof env_port, "VAPI_API_FAKE_PORT=%d", port);
    const char *env[] = {env_port, "VAPI_API_FAKE_KEY=" KEY, NULL};
    g.fake = vt_spawn("vapi_api", "vapi_api_fake_voxctl_sync", env);
    snprintf(g.url, sizeof g.url, "http://127.0.0.1:%d", port);
    snprintf(g.base_env, sizeof g.base_env, "VAPI_API_BASE_URL=%s", g.url);
    char ready[128];
    snprintf(ready, sizeof ready, "%s/_fake/state", g.url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the vapi_api fake did not start");
    return 0;
}

static int teardown(void **state)
{
    VT_REQUIRE(vt_stop(g.fake, SIGTERM, 8000) == 0, "the vapi_api fake did not stop cleanly");
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_all_queues_every_active_org),
        cmocka_unit_test(test_cleanup_native),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
