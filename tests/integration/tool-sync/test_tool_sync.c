/*
 * tool-sync (services/tool-sync) as a real process on real NATS and
 * PostgreSQL against tests/fakes/vapi_api, driven the way owners drive it:
 * PUT /api/agent through dashboard-api (a real process too), which commits
 * and queues a ToolSyncJob; tool-sync runs as its own NATS user
 * (deploy/nats/users.conf).
 *
 * Proves (issue 13, "what it must show"):
 *   - a first save creates the platform's tools (one POST /tool each) and
 *     the org's assistant: our name, first message, system prompt (the
 *     owner's text, the business facts, the tool instructions), toolIds =
 *     every platform tool, server.url = our webhook, and exactly our
 *     serverMessages; agents and org_tools record it, agent_sync "synced";
 *   - ten concurrent saves of one org end with the assistant equal to the
 *     last save (the stored configuration, version 10), and every field we
 *     do not own — set on the fake beforehand: metadata, analysisPlan, the
 *     model's temperature and other messages, a function tool made
 *     elsewhere — still there, while the native calendar tools (linked by
 *     id, and inline) are gone;
 *   - fifty orgs saved at once: each tool created at Vapi exactly once in
 *     the whole run; every assistant's toolIds holds all of them;
 *   - a changed tool definition (tool-sync restarted with another
 *     VAPI_SERVER_CREDENTIAL_ID) re-registers each tool once (PATCH, no new
 *     tool) and re-links all fifty orgs (org_tools at the new hash, each
 *     assistant patched with the new server credential);
 *   - Vapi down during a save (the fake's /_fake/down for 2.5 s, with the
 *     retry schedule shortened to 200/400/800 ms instead of 2/4/8 s, so the
 *     retries are spent while it is down — the 30 s outage, scaled
 *     down): the save is answered 200 at once with the sync pending, the
 *     org is left "linking_pending" / "failed" for the sweep, and after Vapi
 *     is back the sweep finishes it, with one assistant and no new tool;
 *   - a native calendar tool put on a synced assistant is gone after the
 *     next save; an assistant deleted at Vapi is made again on the next
 *     save (its new id in agents);
 *   - every assistant of an org (two agents rows) gets the save;
 *   - a voice cleared by the owner goes back to the platform's default on
 *     the assistant (not left as it was);
 *   - a price changed through the services route, a service added, and
 *     hours changed by SQL under the org's claims each bump the
 *     configuration once and reach the assistant's prompt without a save
 *     (migration 0021's triggers and tool-sync's NOTIFY listener); a save
 *     writing hours still bumps once; an org never configured is left
 *     alone;
 *   - an assistant created at Vapi whose id was never recorded (made by a
 *     sync that died before its commit) is adopted, not made again; a tool
 *     registered but never recorded is adopted, not registered again;
 *   - no Vapi key or prompt text in tool-sync's log.
 *
 * Environment: tests/run-all.sh (NATS with users, PostgreSQL, FAKES_DIR, BIN_DIR).
 */
#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
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
#include "vt_dashboard.h"
#include "vx_routes.h"
#include "vx_time.h"
#include "vx_tool_catalog.h"
#include "vx_work.h"

#define KEY         "vapi-private-key-for-tool-sync-tests"
#define PUBLIC_BASE "https://voxanne.tool-sync.test"
#define LOG_NAME    "tool-sync"
#define FAKE_LOG    "vapi_api_fake_tool_sync"
#define SYNC_WAIT   20000
#define FIFTY       50
#define OWNER_TEXT  "OWNER-TEXT-7f3a: greet callers warmly."

static struct {
    pid_t fake, dashboard, sync;
    char fake_url[64];
    natsConnection *nc;
    PGconn *admin;
    char org[37]; /* the first test's org, used again later */
    char fifty[FIFTY][37];
} T;

/* ------------------------------------------------------------ helpers */

/* tool-sync with the retry schedule delays ("200,400,800" in most tests). */
static pid_t start_tool_sync_with(const char *credential_id, const char *delays)
{
    char base[96], cred[96], schedule[96];
    snprintf(base, sizeof base, "VAPI_API_BASE_URL=%s", T.fake_url);
    snprintf(cred, sizeof cred, "VAPI_SERVER_CREDENTIAL_ID=%s", credential_id ? credential_id : "");
    snprintf(schedule, sizeof schedule, "TOOL_SYNC_RETRY_DELAYS_MS=%s", delays);
    const char *env[] = {base,
                         "VAPI_PRIVATE_KEY=" KEY,
                         "PUBLIC_BASE_URL=" PUBLIC_BASE,
                         cred,
                         schedule,
                         "TOOL_SYNC_RETRY_LATER_S=1",
                         "TOOL_SYNC_SWEEP_INTERVAL_S=1",
                         "TOOL_SYNC_WORKERS=4",
                         "VAPI_TIMEOUT_MS=3000",
                         NULL};
    return vt_start_service(T.nc, "tool-sync", "tool-sync", LOG_NAME, env);
}

static pid_t start_tool_sync(const char *credential_id)
{
    return start_tool_sync_with(credential_id, "200,400,800");
}

static void stop_tool_sync(void)
{
    VT_REQUIRE(vt_stop(T.sync, SIGTERM, 15000) == 0, "tool-sync did not stop cleanly (see its log)");
    T.sync = 0;
}

/* A Vapi API call on the fake with the key; the answer parsed (NULL unless 2xx). */
static cJSON *vapi(const char *method, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", T.fake_url, path);
    const char *headers[] = {"Authorization: Bearer " KEY, "Content-Type: application/json", NULL};
    vt_response r = vt_http(method, url, headers, body, body ? strlen(body) : 0);
    cJSON *j = (r.status >= 200 && r.status < 300) ? cJSON_Parse(r.body) : NULL;
    vt_response_free(&r);
    return j;
}

static int state_count(const char *group, const char *key)
{
    cJSON *s = vt_fake_get_json(T.fake_url, "/_fake/state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, group), key);
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(s);
    return n;
}

static vt_answer save(const char *org, const char *body)
{
    return vt_dashboard_request(T.nc, VX_SUBJECT_AGENT_PUT, org, "owner", NULL, NULL, body, strlen(body));
}

static void save_ok(const char *org, const char *body)
{
    vt_answer a = save(org, body);
    vt_expect_status(&a, 200);
    vt_answer_free(&a);
}

/* Waits up to ms until the org's agent_sync is synced at its desired version (at least min_version). */
static void wait_synced_within(const char *org, long min_version, long ms)
{
    char v[24];
    snprintf(v, sizeof v, "%ld", min_version);
    const char *p[2] = {org, v};
    long got = vt_wait_sql_long(T.admin,
                                "SELECT count(*) FROM agent_sync WHERE org_id = $1 AND state = 'synced'"
                                " AND synced_version = desired_version AND synced_version >= $2::bigint",
                                2, p, 1, ms);
    if (got != 1) {
        char *st = vt_sql_value(T.admin, "SELECT state || ' ' || coalesce(detail, '') FROM agent_sync WHERE org_id = $1", 1, p);
        fail_msg("org %s not synced: %s", org, st ? st : "(no row)");
    }
}

static void wait_synced(const char *org, long min_version)
{
    wait_synced_within(org, min_version, SYNC_WAIT);
}

static char *assistant_id_of(const char *org)
{
    const char *p[1] = {org};
    char *id = vt_sql_value(T.admin,
                            "SELECT vapi_assistant_id FROM agents WHERE org_id = $1 AND vapi_assistant_id IS NOT NULL"
                            " ORDER BY created_at, id LIMIT 1",
                            1, p);
    VT_REQUIRE(id != NULL, "the org has no assistant id in agents");
    return id;
}

static cJSON *assistant_of(const char *org)
{
    char *id = assistant_id_of(org);
    char path[160];
    snprintf(path, sizeof path, "/assistant/%s", id);
    free(id);
    cJSON *a = vapi("GET", path, NULL);
    VT_REQUIRE(a != NULL, "the org's assistant is not on the fake");
    return a;
}

static bool ids_hold(const cJSON *ids, const char *id)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, ids) if (cJSON_IsString(x) && strcmp(x->valuestring, id) == 0) return true;
    return false;
}

/* Every platform tool id is in the assistant's model.toolIds. */
static void expect_all_tools_linked(const cJSON *assistant)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(assistant, "model"), "toolIds");
    PGresult *res = PQexec(T.admin, "SELECT vapi_tool_id FROM platform_tools");
    VT_REQUIRE(PQresultStatus(res) == PGRES_TUPLES_OK, "platform_tools");
    assert_int_equal(PQntuples(res), (int)vx_tool_catalog_count());
    for (int i = 0; i < PQntuples(res); i++)
        if (!ids_hold(ids, PQgetvalue(res, i, 0)))
            fail_msg("tool %s not linked", PQgetvalue(res, i, 0));
    PQclear(res);
}

static const char *system_prompt_of(const cJSON *assistant)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(assistant, "model"), "messages"))
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        if (cJSON_IsString(role) && strcmp(role->valuestring, "system") == 0)
            return cJSON_GetObjectItemCaseSensitive(m, "content")->valuestring;
    }
    return NULL;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    T.admin = vt_admin();
    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof env_port, "VAPI_API_FAKE_PORT=%d", port);
    const char *fenv[] = {env_port, "VAPI_API_FAKE_KEY=" KEY, NULL};
    T.fake = vt_spawn("vapi_api", FAKE_LOG, fenv);
    snprintf(T.fake_url, sizeof T.fake_url, "http://127.0.0.1:%d", port);
    char ready[128];
    snprintf(ready, sizeof ready, "%s/_fake/state", T.fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the vapi_api fake did not start");

    /* The platform's tools of an earlier run live at another fake: forget
     * them (org_tools follows), and leave no other test's sync behind for
     * this run's sweep (their orgs are theirs, not ours to sync). */
    vt_sql_exec(T.admin, "DELETE FROM platform_tools", 0, NULL);
    vt_sql_exec(T.admin, "UPDATE agent_sync SET synced_version = desired_version, state = 'synced'", 0, NULL);
    T.dashboard = vt_dashboard_start(&T.nc, "dashboard-api-tool-sync");
    jsCtx *js = NULL;
    VT_REQUIRE(natsConnection_JetStream(&js, T.nc, NULL) == NATS_OK, "no JetStream context");
    jsErrCode jerr = 0;
    /* A work-queue stream takes one consumer per subject: a crashed run's go. */
    js_DeleteConsumer(js, VX_WORK_STREAM, "tool-sync", NULL, &jerr);
    js_DeleteConsumer(js, VX_WORK_STREAM, "it-agent-jobs", NULL, &jerr);
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Subject = VX_WORK_SUBJECT_PREFIX "tool-sync.>";
    js_PurgeStream(js, VX_WORK_STREAM, &o, &jerr);
    jsCtx_Destroy(js);
    T.sync = start_tool_sync(NULL);
    return 0;
}

static int teardown(void **state)
{
    if (T.sync)
        stop_tool_sync();
    jsCtx *js = NULL;
    jsErrCode jerr = 0;
    if (natsConnection_JetStream(&js, T.nc, NULL) == NATS_OK) {
        /* dashboard-api's own test reads work.tool-sync.sync with a consumer of its own. */
        js_DeleteConsumer(js, VX_WORK_STREAM, "tool-sync", NULL, &jerr);
        jsCtx_Destroy(js);
    }
    vt_dashboard_stop(T.dashboard, T.nc);
    VT_REQUIRE(vt_stop(T.fake, SIGTERM, 8000) == 0, "the vapi_api fake did not stop cleanly");
    PQfinish(T.admin);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_first_save_creates_tools_and_assistant(void **state)
{
    vt_create_org(T.admin, "Bright Smiles", NULL, NULL, NULL, T.org);
    save_ok(T.org, "{\"name\":\"Robin\",\"system_prompt\":\"" OWNER_TEXT "\",\"timezone\":\"Europe/London\","
                   "\"business_hours\":{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"17:00\"}]},"
                   "\"transfer_departments\":{\"billing\":\"+15551112222\"}}");
    wait_synced(T.org, 1);

    assert_int_equal(state_count("succeeded", "POST /tool"), (int)vx_tool_catalog_count());
    assert_int_equal(state_count("succeeded", "POST /assistant"), 1);
    cJSON *a = assistant_of(T.org);
    assert_string_equal(jstr(a, "name"), "Robin");
    assert_string_equal(jstr(a, "firstMessage"), "Hello, thank you for calling Bright Smiles. How can I help you today?");
    assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(a, "server"), "url"), PUBLIC_BASE "/api/vapi/webhook");
    char *messages = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(a, "serverMessages"));
    assert_string_equal(messages, "[\"tool-calls\",\"transfer-destination-request\",\"handoff-destination-request\","
                                  "\"knowledge-base-request\",\"status-update\",\"end-of-call-report\",\"hang\"]");
    free(messages);
    const char *prompt = system_prompt_of(a);
    assert_non_null(prompt);
    assert_int_equal(strncmp(prompt, OWNER_TEXT, strlen(OWNER_TEXT)), 0);
    assert_non_null(strstr(prompt, "receptionist of Bright Smiles"));
    assert_non_null(strstr(prompt, "- Monday: 09:00 to 17:00"));
    assert_non_null(strstr(prompt, "transferred to: billing."));
    assert_null(strstr(prompt, "+15551112222"));
    assert_non_null(strstr(prompt, VX_TOOL_BOOK_CLINIC_APPOINTMENT));
    expect_all_tools_linked(a);
    cJSON_Delete(a);

    /* Each tool registered with its catalog JSON's hash, and linked to the org. */
    const char *p[1] = {T.org};
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM org_tools o JOIN platform_tools t USING (tool_name)"
                                 " WHERE o.org_id = $1 AND o.vapi_tool_id = t.vapi_tool_id"
                                 " AND o.definition_hash = t.definition_hash",
                                 1, p),
                     (long)vx_tool_catalog_count());
    char hash[VX_TOOL_CATALOG_HASH_SIZE];
    assert_int_equal(vx_tool_catalog_hash(vx_tool_catalog_find(VX_TOOL_TRANSFER_CALL), PUBLIC_BASE, NULL, hash), 0);
    const char *hp[1] = {hash};
    assert_int_equal(vt_sql_long(T.admin,
                                 "SELECT count(*) FROM platform_tools WHERE tool_name = 'transferCall'"
                                 " AND definition_hash = $1",
                                 1, hp),
                     1);
}

typedef struct saver {
    const char *org;
    int n;
} saver;

static void *save_thread(void *arg)
{
    saver *s = arg;
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"Save %d\",\"system_prompt\":\"prompt of save %d\",\"first_message\":\"Hi %d\"}", s->n,
             s->n, s->n);
    vt_answer a = save(s->org, body);
    if (a.status != 200)
        fail_msg("save %d answered %u", s->n, a.status);
    vt_answer_free(&a);
    return NULL;
}

static void test_ten_concurrent_saves_end_at_the_last_and_keep_the_rest(void **state)
{
    /* An assistant made elsewhere, with what we do not own. */
    cJSON *foreign = vapi("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"theirTool\"}}");
    cJSON *native = vapi("POST", "/tool", "{\"type\":\"google.calendar.event.create\"}");
    VT_REQUIRE(foreign && native, "could not make the foreign tools");
    char assistant[37], org[37], body[2048];
    vt_uuid(assistant);
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"name\":\"Old\",\"metadata\":{\"crm\":\"keep-me\"},\"analysisPlan\":{\"summaryPlan\":"
             "{\"enabled\":true}},\"model\":{\"provider\":\"anthropic\",\"model\":\"claude-3\",\"temperature\":0.3,"
             "\"messages\":[{\"role\":\"system\",\"content\":\"old prompt\"},{\"role\":\"user\",\"content\":\"keep this\"}],"
             "\"toolIds\":[\"%s\",\"%s\"],\"tools\":[{\"type\":\"google.calendar.availability.check\"},"
             "{\"type\":\"endCall\"}]}}",
             assistant, jstr(foreign, "id"), jstr(native, "id"));
    vt_fake_post(T.fake_url, "/_fake/assistants", body);
    vt_create_org(T.admin, "Ten Saves", assistant, NULL, NULL, org);

    pthread_t th[10];
    saver s[10];
    for (int i = 0; i < 10; i++) {
        s[i] = (saver){org, i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, save_thread, &s[i]), 0);
    }
    for (int i = 0; i < 10; i++)
        pthread_join(th[i], NULL);
    wait_synced(org, 10);

    /* The stored configuration is the last save's; Vapi's assistant is it. */
    const char *p[1] = {org};
    char *name = vt_sql_value(T.admin, "SELECT name FROM agent_config WHERE org_id = $1 AND config_version = 10", 1, p);
    char *prompt_db = vt_sql_value(T.admin, "SELECT system_prompt FROM agent_config WHERE org_id = $1", 1, p);
    char *first = vt_sql_value(T.admin, "SELECT first_message FROM agent_config WHERE org_id = $1", 1, p);
    VT_REQUIRE(name && prompt_db && first, "agent_config");
    cJSON *a = assistant_of(org);
    assert_string_equal(jstr(a, "id"), assistant);
    assert_string_equal(jstr(a, "name"), name);
    assert_string_equal(jstr(a, "firstMessage"), first);
    const char *prompt = system_prompt_of(a);
    assert_non_null(prompt);
    assert_int_equal(strncmp(prompt, prompt_db, strlen(prompt_db)), 0);
    assert_int_equal(prompt[strlen(prompt_db)], '\n');
    /* Everything we do not own is still there. */
    assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(a, "metadata"), "crm"), "keep-me");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(a, "analysisPlan"));
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(a, "model");
    assert_string_equal(jstr(model, "provider"), "anthropic");
    assert_string_equal(jstr(model, "model"), "claude-3");
    assert_true(cJSON_GetObjectItemCaseSensitive(model, "temperature")->valuedouble == 0.3);
    char *all = cJSON_PrintUnformatted(a);
    assert_non_null(strstr(all, "\"keep this\""));
    assert_null(strstr(all, "old prompt"));
    /* The function tool made elsewhere stays; the native ones are gone. */
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(model, "toolIds");
    assert_true(ids_hold(ids, jstr(foreign, "id")));
    assert_false(ids_hold(ids, jstr(native, "id")));
    assert_null(strstr(all, "google.calendar"));
    assert_non_null(strstr(all, "\"endCall\""));
    expect_all_tools_linked(a);
    free(all);
    cJSON_Delete(a);
    cJSON_Delete(foreign);
    cJSON_Delete(native);
    free(name);
    free(prompt_db);
    free(first);
    /* Still one set of tools. */
    assert_int_equal(state_count("succeeded", "POST /tool"), (int)vx_tool_catalog_count() + 2);
}

static void *fifty_thread(void *arg)
{
    const char *org = arg;
    vt_answer a = save(org, "{\"system_prompt\":\"one of fifty\"}");
    if (a.status != 200)
        fail_msg("save answered %u", a.status);
    vt_answer_free(&a);
    return NULL;
}

static void test_fifty_orgs_share_each_tool_and_relink_after_a_change(void **state)
{
    int tools_before = state_count("succeeded", "POST /tool");
    pthread_t th[FIFTY];
    for (int i = 0; i < FIFTY; i++) {
        char name[32];
        snprintf(name, sizeof name, "Fifty %d", i);
        vt_create_org(T.admin, name, NULL, NULL, NULL, T.fifty[i]);
    }
    for (int i = 0; i < FIFTY; i++)
        assert_int_equal(pthread_create(&th[i], NULL, fifty_thread, T.fifty[i]), 0);
    for (int i = 0; i < FIFTY; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < FIFTY; i++)
        wait_synced(T.fifty[i], 1);
    /* No tool created again: each exists once for the whole platform. */
    assert_int_equal(state_count("succeeded", "POST /tool"), tools_before);
    for (int i = 0; i < FIFTY; i++) {
        cJSON *a = assistant_of(T.fifty[i]);
        expect_all_tools_linked(a);
        cJSON_Delete(a);
    }

    /* Another definition: restarted with a server credential on every tool. */
    int patched_tools = state_count("succeeded", "PATCH /tool/{id}");
    int patched_assistants = state_count("succeeded", "PATCH /assistant/{id}");
    stop_tool_sync();
    T.sync = start_tool_sync("cred-rotated-0001");
    char hash[VX_TOOL_CATALOG_HASH_SIZE];
    assert_int_equal(vx_tool_catalog_hash(vx_tool_catalog_find(VX_TOOL_LOOKUP_CALLER), PUBLIC_BASE, "cred-rotated-0001", hash), 0);
    /* A save wakes it (the sweep would, within its interval): it re-registers, then re-links every org. */
    save_ok(T.org, "{\"name\":\"Robin Two\"}");
    wait_synced(T.org, 2);
    const char *hp[1] = {hash};
    assert_int_equal(vt_wait_sql_long(T.admin,
                                      "SELECT count(DISTINCT o.org_id) FROM org_tools o JOIN platform_tools t USING (tool_name)"
                                      " WHERE t.tool_name = 'lookupCaller' AND t.definition_hash = $1"
                                      " AND o.definition_hash = t.definition_hash AND o.vapi_tool_id = t.vapi_tool_id"
                                      " AND o.org_id IN (SELECT id FROM organizations WHERE name LIKE 'Fifty %')",
                                      1, hp, FIFTY, SYNC_WAIT),
                     FIFTY);
    /* No stale link anywhere. */
    assert_int_equal(vt_wait_sql_long(T.admin, "SELECT count(*) FROM org_tools_orgs_stale(1000)", 0, NULL, 0, SYNC_WAIT), 0);
    assert_int_equal(state_count("succeeded", "PATCH /tool/{id}") - patched_tools, (int)vx_tool_catalog_count());
    assert_int_equal(state_count("succeeded", "POST /tool"), tools_before);
    assert_true(state_count("succeeded", "PATCH /assistant/{id}") - patched_assistants >= FIFTY + 1);
    for (int i = 0; i < FIFTY; i++) {
        cJSON *a = assistant_of(T.fifty[i]);
        assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(a, "server"), "credentialId"), "cred-rotated-0001");
        expect_all_tools_linked(a);
        cJSON_Delete(a);
    }
}

/* The outage — Vapi down for 30 s, tool-sync on its real 2/4/8 s
 * schedule — in the release build; under the sanitizers (several times
 * slower, and run after it) the same path scaled down to 2.5 s and
 * 200/400/800 ms, to keep the suite short. */
static void test_vapi_down_during_a_save(void **state)
{
    const char *variant = getenv("VX_TEST_VARIANT");
    bool full = variant && strcmp(variant, "release") == 0;
    if (full) {
        stop_tool_sync();
        T.sync = start_tool_sync_with(NULL, "2000,4000,8000");
    }
    char org[37];
    vt_create_org(T.admin, "Down Time", NULL, NULL, NULL, org);
    int assistants = state_count("succeeded", "POST /assistant");
    int tools = state_count("succeeded", "POST /tool");
    vt_fake_post(T.fake_url, "/_fake/down", full ? "{\"ms\":30000}" : "{\"ms\":2500}");
    int64_t went_down = vx_monotonic_us();
    vt_answer a = save(org, "{\"name\":\"Patient\"}");
    vt_expect_status(&a, 200);
    /* Answered at once: the sync has not happened yet. */
    assert_non_null(strstr(a.body, "\"state\":\"pending\""));
    vt_answer_free(&a);
    /* The retries are spent while Vapi is down: left for the sweep. */
    const char *p[1] = {org};
    assert_int_equal(vt_wait_sql_long(T.admin,
                                      "SELECT count(*) FROM agent_sync WHERE org_id = $1"
                                      " AND state IN ('linking_pending', 'failed') AND attempts >= 1"
                                      " AND next_attempt_at IS NOT NULL AND detail IS NOT NULL",
                                      1, p, 1, full ? 40000 : SYNC_WAIT),
                     1);
    char *detail = vt_sql_value(T.admin, "SELECT detail FROM agent_sync WHERE org_id = $1", 1, p);
    assert_non_null(strstr(detail, "Vapi did not answer"));
    free(detail);
    cJSON *st = vt_fake_get_json(T.fake_url, "/_fake/state");
    assert_true(cJSON_GetObjectItemCaseSensitive(st, "downAnswered")->valueint >= 4); /* the first try and 3 retries */
    cJSON_Delete(st);
    wait_synced_within(org, 1, full ? 90000 : SYNC_WAIT);
    if (full) {
        long took = (long)((vx_monotonic_us() - went_down) / 1000);
        print_message("Vapi down 30 s: in sync %ld ms after it went down\n", took);
        assert_true(took >= 30000); /* not before Vapi was back */
        stop_tool_sync();
        T.sync = start_tool_sync(NULL);
    }
    assert_int_equal(state_count("succeeded", "POST /assistant"), assistants + 1);
    assert_int_equal(state_count("succeeded", "POST /tool"), tools);
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM agents WHERE org_id = $1", 1, p), 1);
    cJSON *as = assistant_of(org);
    assert_string_equal(jstr(as, "name"), "Patient");
    cJSON_Delete(as);
}

static void test_a_native_tool_put_on_the_assistant_is_removed(void **state)
{
    cJSON *native = vapi("POST", "/tool", "{\"type\":\"google.calendar.availability.check\"}");
    VT_REQUIRE(native != NULL, "could not make the native tool");
    cJSON *a = assistant_of(T.org);
    cJSON *model = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(a, "model"), true);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(model, "toolIds"), cJSON_CreateString(jstr(native, "id")));
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddItemToObject(patch, "model", model);
    char *body = cJSON_PrintUnformatted(patch);
    char path[160];
    snprintf(path, sizeof path, "/assistant/%s", jstr(a, "id"));
    cJSON *patched = vapi("PATCH", path, body);
    VT_REQUIRE(patched != NULL, "could not put the native tool on the assistant");
    assert_true(ids_hold(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(patched, "model"), "toolIds"),
                         jstr(native, "id")));
    cJSON_Delete(patched);
    free(body);
    cJSON_Delete(patch);
    cJSON_Delete(a);

    save_ok(T.org, "{\"first_message\":\"Good day!\"}");
    wait_synced(T.org, 3);
    a = assistant_of(T.org);
    assert_string_equal(jstr(a, "firstMessage"), "Good day!");
    assert_false(
        ids_hold(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "model"), "toolIds"), jstr(native, "id")));
    expect_all_tools_linked(a);
    cJSON_Delete(a);
    cJSON_Delete(native);
}

static void test_an_assistant_deleted_at_vapi_is_made_again(void **state)
{
    char *old = assistant_id_of(T.org);
    char path[160];
    snprintf(path, sizeof path, "/assistant/%s", old);
    cJSON *gone = vapi("DELETE", path, NULL);
    VT_REQUIRE(gone != NULL, "could not delete the assistant");
    cJSON_Delete(gone);
    save_ok(T.org, "{\"name\":\"Robin Three\"}");
    wait_synced(T.org, 4);
    char *now = assistant_id_of(T.org);
    assert_string_not_equal(now, old);
    const char *p[1] = {T.org};
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM agents WHERE org_id = $1", 1, p), 1);
    cJSON *a = assistant_of(T.org);
    assert_string_equal(jstr(a, "name"), "Robin Three");
    expect_all_tools_linked(a);
    cJSON_Delete(a);
    free(old);
    free(now);
}

static void test_every_assistant_of_the_org_is_synced(void **state)
{
    char org[37];
    vt_create_org(T.admin, "Two Lines", NULL, NULL, NULL, org);
    save_ok(org, "{\"name\":\"Line One\"}");
    wait_synced(org, 1);
    /* A second phone line's assistant, made elsewhere and linked by an operator. */
    cJSON *other =
        vapi("POST", "/assistant", "{\"name\":\"Second line\",\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o\"}}");
    VT_REQUIRE(other != NULL, "could not make the second assistant");
    const char *p[2] = {org, jstr(other, "id")};
    vt_sql_exec(T.admin,
                "INSERT INTO agents (org_id, vapi_assistant_id, name, created_at) VALUES ($1, $2, 'x', now() + interval '1 s')", 2,
                p);
    save_ok(org, "{\"name\":\"Both Lines\"}");
    wait_synced(org, 2);
    char path[160];
    snprintf(path, sizeof path, "/assistant/%s", jstr(other, "id"));
    cJSON *a2 = vapi("GET", path, NULL);
    VT_REQUIRE(a2 != NULL, "the second assistant is gone");
    assert_string_equal(jstr(a2, "name"), "Both Lines");
    expect_all_tools_linked(a2);
    cJSON *a1 = assistant_of(org);
    assert_string_equal(jstr(a1, "name"), "Both Lines");
    assert_string_not_equal(jstr(a1, "id"), jstr(a2, "id"));
    cJSON_Delete(a1);
    cJSON_Delete(a2);
    cJSON_Delete(other);
}

static void test_a_cleared_voice_goes_back_to_the_default(void **state)
{
    save_ok(T.org, "{\"voice\":{\"provider\":\"cartesia\",\"voice_id\":\"sonic-warm\"}}");
    const char *p[1] = {T.org};
    long v = vt_sql_long(T.admin, "SELECT config_version FROM agent_config WHERE org_id = $1", 1, p);
    wait_synced(T.org, v);
    cJSON *a = assistant_of(T.org);
    const cJSON *voice = cJSON_GetObjectItemCaseSensitive(a, "voice");
    assert_string_equal(jstr(voice, "provider"), "cartesia");
    assert_string_equal(jstr(voice, "voiceId"), "sonic-warm");
    cJSON_Delete(a);

    save_ok(T.org, "{\"voice\":null}");
    wait_synced(T.org, v + 1);
    a = assistant_of(T.org);
    voice = cJSON_GetObjectItemCaseSensitive(a, "voice");
    assert_string_equal(jstr(voice, "provider"), "vapi"); /* VAPI_DEFAULT_VOICE's default */
    assert_string_equal(jstr(voice, "voiceId"), "Elliot");
    cJSON_Delete(a);
}

static long config_version(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_long(T.admin, "SELECT coalesce((SELECT config_version FROM agent_config WHERE org_id = $1), -1)", 1, p);
}

/* Runs sql as the services' role under org's claims, as dashboard-api does. */
static void exec_as_org(const char *org, const char *sql)
{
    char claims[160];
    snprintf(claims, sizeof claims, "{\"org_id\":\"%s\"}", org);
    vt_sql_exec(T.admin, "BEGIN", 0, NULL);
    vt_sql_exec(T.admin, "SET LOCAL ROLE voxanne_app", 0, NULL);
    const char *cp[1] = {claims};
    vt_sql_exec(T.admin, "SELECT set_config('request.jwt.claims', $1, true)", 1, cp);
    const char *p[1] = {org};
    vt_sql_exec(T.admin, sql, 1, p);
    vt_sql_exec(T.admin, "COMMIT", 0, NULL);
}

static void test_prompt_inputs_changed_elsewhere_reach_vapi(void **state)
{
    char org[37];
    vt_create_org(T.admin, "Price Watch", NULL, NULL, NULL, org);
    save_ok(org, "{\"name\":\"Penny\",\"business_hours\":{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"12:00\"},"
                 "{\"opens\":\"13:00\",\"closes\":\"17:00\"}],\"tuesday\":[{\"opens\":\"10:00\",\"closes\":\"16:00\"}]}}");
    wait_synced(org, 1);
    assert_int_equal(config_version(org), 1); /* a save writing three hours rows bumps once */

    /* A service added through the dashboard: in the prompt without a save. */
    const char *svc = "{\"name\":\"Whitening\",\"price\":250,\"duration_minutes\":45}";
    vt_answer made = vt_dashboard_request(T.nc, VX_SUBJECT_SERVICES_CREATE, org, "owner", NULL, NULL, svc, strlen(svc));
    vt_expect_status(&made, 201);
    cJSON *made_json = cJSON_Parse(made.body);
    char id[64];
    snprintf(id, sizeof id, "%s", jstr(made_json, "id") ? jstr(made_json, "id") : "");
    cJSON_Delete(made_json);
    vt_answer_free(&made);
    wait_synced(org, 2);
    assert_int_equal(config_version(org), 2);
    cJSON *a = assistant_of(org);
    assert_non_null(strstr(system_prompt_of(a), "Whitening"));
    assert_non_null(strstr(system_prompt_of(a), "250"));
    cJSON_Delete(a);

    /* Its price changed: the new price reaches the assistant. */
    const char *price = "{\"price\":275.5}";
    vt_answer changed = vt_dashboard_request(T.nc, VX_SUBJECT_SERVICES_UPDATE, org, "owner", id, NULL, price, strlen(price));
    vt_expect_status(&changed, 200);
    vt_answer_free(&changed);
    wait_synced(org, 3);
    a = assistant_of(org);
    assert_non_null(strstr(system_prompt_of(a), "275.5"));
    cJSON_Delete(a);

    /* Hours rewritten in one statement (several rows): one bump. */
    exec_as_org(org, "UPDATE business_hours SET closes = closes + interval '30 minutes' WHERE org_id = $1");
    wait_synced(org, 4);
    assert_int_equal(config_version(org), 4);
    a = assistant_of(org);
    assert_non_null(strstr(system_prompt_of(a), "10:00 to 16:30"));
    cJSON_Delete(a);

    /* A change that does not touch the prompt (keywords), or is rolled back: nothing. */
    exec_as_org(org, "UPDATE services SET keywords = ARRAY['bleach'] WHERE org_id = $1");
    vt_sql_exec(T.admin, "BEGIN", 0, NULL);
    const char *p[1] = {org};
    vt_sql_exec(T.admin, "UPDATE services SET price = 1 WHERE org_id = $1", 1, p);
    vt_sql_exec(T.admin, "ROLLBACK", 0, NULL);
    assert_int_equal(config_version(org), 4);

    /* An org whose agent was never configured is not touched. */
    char bare[37];
    vt_create_org(T.admin, "Never Configured", NULL, NULL, NULL, bare);
    exec_as_org(bare, "INSERT INTO services (org_id, name, price) VALUES ($1, 'Checkup', 80)");
    assert_int_equal(config_version(bare), -1);
    const char *bp[1] = {bare};
    assert_int_equal(vt_sql_long(T.admin, "SELECT count(*) FROM agent_sync WHERE org_id = $1", 1, bp), 0);
}

static void test_an_unrecorded_assistant_is_adopted(void **state)
{
    char org[37];
    vt_create_org(T.admin, "Adopted", NULL, NULL, NULL, org);
    /* What a sync that died between Vapi's answer and its commit leaves behind. */
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"Made before\",\"metadata\":{\"voxanneOrgId\":\"%s\"}}", org);
    cJSON *orphan = vapi("POST", "/assistant", body);
    VT_REQUIRE(orphan != NULL, "could not make the orphan");
    int made = state_count("succeeded", "POST /assistant");
    save_ok(org, "{\"name\":\"Adopter\"}");
    wait_synced(org, 1);
    assert_int_equal(state_count("succeeded", "POST /assistant"), made); /* none made */
    char *id = assistant_id_of(org);
    assert_string_equal(id, jstr(orphan, "id"));
    cJSON *a = assistant_of(org);
    assert_string_equal(jstr(a, "name"), "Adopter");
    expect_all_tools_linked(a);
    cJSON_Delete(a);
    free(id);
    cJSON_Delete(orphan);
}

static void test_an_unrecorded_tool_is_adopted(void **state)
{
    /* A registration whose row was never written: Vapi has the tool, we do not. */
    char *tool_id = vt_sql_value(T.admin, "SELECT vapi_tool_id FROM platform_tools WHERE tool_name = 'transferCall'", 0, NULL);
    VT_REQUIRE(tool_id != NULL, "no transferCall row");
    vt_sql_exec(T.admin, "DELETE FROM platform_tools WHERE tool_name = 'transferCall'", 0, NULL);
    int created = state_count("succeeded", "POST /tool");
    char org[37];
    vt_create_org(T.admin, "Tool Adopter", NULL, NULL, NULL, org);
    save_ok(org, "{\"name\":\"Ada\"}");
    wait_synced(org, 1);
    assert_int_equal(state_count("succeeded", "POST /tool"), created);
    char *now = vt_sql_value(T.admin, "SELECT vapi_tool_id FROM platform_tools WHERE tool_name = 'transferCall'", 0, NULL);
    assert_non_null(now);
    assert_string_equal(now, tool_id);
    cJSON *a = assistant_of(org);
    expect_all_tools_linked(a);
    cJSON_Delete(a);
    free(now);
    free(tool_id);
}

static void test_no_key_or_prompt_in_the_log(void **state)
{
    size_t len = 0;
    char *log = vt_read_file("build/test-logs/" LOG_NAME ".log", &len); /* where vt_spawn writes it */
    VT_REQUIRE(log != NULL, "no tool-sync log");
    assert_null(strstr(log, KEY));
    assert_null(strstr(log, "OWNER-TEXT-7f3a"));
    assert_null(strstr(log, "one of fifty"));
    assert_non_null(strstr(log, "assistant synced"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_save_creates_tools_and_assistant),
        cmocka_unit_test(test_ten_concurrent_saves_end_at_the_last_and_keep_the_rest),
        cmocka_unit_test(test_fifty_orgs_share_each_tool_and_relink_after_a_change),
        cmocka_unit_test(test_vapi_down_during_a_save),
        cmocka_unit_test(test_a_native_tool_put_on_the_assistant_is_removed),
        cmocka_unit_test(test_an_assistant_deleted_at_vapi_is_made_again),
        cmocka_unit_test(test_every_assistant_of_the_org_is_synced),
        cmocka_unit_test(test_a_cleared_voice_goes_back_to_the_default),
        cmocka_unit_test(test_prompt_inputs_changed_elsewhere_reach_vapi),
        cmocka_unit_test(test_an_unrecorded_assistant_is_adopted),
        cmocka_unit_test(test_an_unrecorded_tool_is_adopted),
        cmocka_unit_test(test_no_key_or_prompt_in_the_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
