/*
 * dashboard-api's agent configuration (services/dashboard-api/agent.c) as a
 * real process on real NATS and PostgreSQL, spoken to as the gateway speaks
 * to it, with the WORK stream read back through a pull consumer of its own
 * on work.tool-sync.sync.
 *
 * Covered: the defaults of a fresh org and of a provisioned one; PUT then
 * GET round trip, and what each table holds; a partial PUT keeps the rest;
 * each save publishes one ToolSyncJob of its version (Nats-Msg-Id
 * "tool-sync:<org>:<version>"); ten concurrent saves end at version 10 with
 * the save that got version 10 stored; a save NATS cannot queue still stands
 * and says so; GET /api/agent/sync's sentences for each state; bad input of
 * every kind a 400 that changes nothing and queues nothing; staff read but
 * never save; org A never reads or saves org B's agent; the audit entry
 * names the fields, never the prompt or a number, and neither do the logs.
 */
#include <nats/nats.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voxanne/v1/work.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"
#include "vx_json.h"
#include "vx_routes.h"
#include "vx_time.h"
#include "vx_work.h"

#define LOG_NAME "dashboard-api-agent"
#define CONSUMER "it-agent-jobs"

static natsConnection *nc;
static jsCtx *js;
static natsSubscription *jobs;
static PGconn *admin;
static pid_t service;

static vt_answer put_as(const char *org, const char *role, const char *body)
{
    return vt_dashboard_request(nc, VX_SUBJECT_AGENT_PUT, org, role, NULL, NULL, body, body != NULL ? strlen(body) : 0);
}

static vt_answer put(const char *org, const char *body)
{
    return put_as(org, "owner", body);
}

static vt_answer get_as(const char *subject, const char *org, const char *role)
{
    return vt_dashboard_request(nc, subject, org, role, NULL, NULL, NULL, 0);
}

/* The answer of a successful request (status 200), as JSON the caller deletes. */
static cJSON *ok(vt_answer a)
{
    vt_expect_status(&a, 200);
    cJSON *json = a.json;
    a.json = NULL;
    vt_answer_free(&a);
    return json;
}

static const char *str_at(const cJSON *json, const char *path)
{
    const char *s = vx_json_str(json, path);
    if (s == NULL)
        fail_msg("no string at %s", path);
    return s;
}

static long num_at(const cJSON *json, const char *path)
{
    double d;
    if (!vx_json_num(json, path, &d))
        fail_msg("no number at %s", path);
    return (long)d;
}

static char *sql_value(const char *sql, const char *org)
{
    const char *p[1] = {org};
    return vt_sql_value(admin, sql, 1, p);
}

static void assert_sql(const char *sql, const char *org, const char *want)
{
    char *got = sql_value(sql, org);
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s: expected %s, got %s", sql, want, got != NULL ? got : "NULL");
    free(got);
}

/* Every row of org a save may write, as admin sees it: any change changes it. */
static char *digest(const char *org)
{
    static const char *const tables[] = {"agent_config",         "agent_sync", "org_settings", "business_hours",
                                         "integration_settings", "services",   "audit_log"};
    vx_buf sql = VX_BUF_INIT;
    vx_buf_puts(&sql, "SELECT md5(concat(");
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        vx_buf_printf(&sql, "%s(SELECT string_agg(t::text, '|' ORDER BY t::text) FROM %s t WHERE org_id = $1::uuid)",
                      i > 0 ? ", " : "", tables[i]);
    vx_buf_puts(&sql, "))");
    char *d = sql_value(sql.data, org);
    vx_buf_free(&sql);
    assert_non_null(d);
    return d;
}

/* A service of org (active), its id into id. */
static void add_service(const char *org, const char *name, char id[37])
{
    const char *p[2] = {org, name};
    char *v = vt_sql_value(admin, "INSERT INTO services (org_id, name) VALUES ($1, $2) RETURNING id", 2, p);
    snprintf(id, 37, "%s", v);
    free(v);
}

/* ------------------------------------------------------------ jobs */

typedef struct job_list {
    int n;
    Voxanne__V1__ToolSyncJob *jobs[64];
} job_list;

static void job_list_free(job_list *l)
{
    for (int i = 0; i < l->n; i++)
        voxanne__v1__tool_sync_job__free_unpacked(l->jobs[i], NULL);
    l->n = 0;
}

/* Takes (acks) the jobs queued on work.tool-sync.sync for org until want of
 * them came (5 s at most), then whatever follows within 300 ms: exactly what
 * was queued. Each job's Nats-Msg-Id is checked to be its job_id. */
static job_list take_jobs(const char *org, int want)
{
    job_list l = {0};
    int64_t until = vx_now_ms() + 5000;
    for (;;) {
        bool enough = l.n >= want;
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, jobs, 32, enough ? 300 : 500, &jerr);
        for (int i = 0; s == NATS_OK && i < list.Count; i++) {
            natsMsg *m = list.Msgs[i];
            Voxanne__V1__ToolSyncJob *job =
                voxanne__v1__tool_sync_job__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
            assert_non_null(job);
            const char *msg_id = NULL;
            assert_int_equal(natsMsgHeader_Get(m, "Nats-Msg-Id", &msg_id), NATS_OK);
            assert_string_equal(msg_id, job->job_id);
            assert_int_equal(natsMsg_Ack(m, NULL), NATS_OK);
            if (strcmp(job->org_id, org) == 0 && l.n < 64)
                l.jobs[l.n++] = job;
            else
                voxanne__v1__tool_sync_job__free_unpacked(job, NULL);
        }
        natsMsgList_Destroy(&list);
        if (s != NATS_OK && (enough || vx_now_ms() > until))
            return l;
    }
}

static void drain_jobs(void)
{
    job_list l = take_jobs("", 0);
    job_list_free(&l);
}

/* Fails unless exactly the versions first..last (in order) were queued for org. */
static void expect_jobs(const char *org, long first, long last)
{
    int want = (int)(last - first + 1);
    job_list l = take_jobs(org, want);
    if (l.n != want)
        fail_msg("expected %d jobs for %s, got %d", want, org, l.n);
    for (int i = 0; i < l.n; i++) {
        char id[96];
        snprintf(id, sizeof id, "tool-sync:%s:%ld", org, first + i);
        assert_string_equal(l.jobs[i]->job_id, id);
        assert_int_equal(l.jobs[i]->version, first + i);
        assert_string_equal(l.jobs[i]->request_id, "it-dashboard");
        assert_true(l.jobs[i]->queued_at_ms > vx_now_ms() - 60000 && l.jobs[i]->queued_at_ms <= vx_now_ms());
    }
    job_list_free(&l);
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    admin = vt_admin();
    service = vt_dashboard_start(&nc, LOG_NAME);
    VT_REQUIRE(natsConnection_JetStream(&js, nc, NULL) == NATS_OK, "no JetStream context");
    jsErrCode jerr = 0;
    js_DeleteConsumer(js, VX_WORK_STREAM, CONSUMER, NULL, &jerr); /* a crashed run's */
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = VX_WORK_STREAM;
    VT_REQUIRE(js_PullSubscribe(&jobs, js, VX_WORK_TOOL_SYNC, CONSUMER, NULL, &so, &jerr) == NATS_OK,
               "cannot read work.tool-sync.sync (dashboard-api makes the WORK stream at start)");
    drain_jobs();
    return 0;
}

static int teardown(void **state)
{
    natsSubscription_Unsubscribe(jobs);
    natsSubscription_Destroy(jobs);
    jsErrCode jerr = 0;
    js_DeleteConsumer(js, VX_WORK_STREAM, CONSUMER, NULL, &jerr);
    jsCtx_Destroy(js);
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

/* ------------------------------------------------------------ reading */

static void test_defaults_of_a_fresh_org(void **state)
{
    char org[37];
    vt_create_org(admin, "Agent fresh", NULL, NULL, NULL, org);
    cJSON *got = ok(get_as(VX_SUBJECT_AGENT_GET, org, "owner"));
    cJSON *want = cJSON_Parse(
        "{\"name\":\"Receptionist\",\"voice\":null,\"first_message\":null,\"system_prompt\":\"\",\"timezone\":\"America/New_York\","
        "\"slot_minutes\":30,\"buffer_minutes\":0,\"business_hours\":{\"monday\":[],\"tuesday\":[],\"wednesday\":[],"
        "\"thursday\":[],\"friday\":[],\"saturday\":[],\"sunday\":[]},\"transfer_phone_number\":null,\"transfer_sip_uri\":null,"
        "\"transfer_departments\":{},\"services_offered\":[],\"version\":0,"
        "\"sync\":{\"state\":\"not_saved\",\"detail\":null,\"desired_version\":0,\"synced_version\":0,\"attempts\":0,"
        "\"next_attempt_at\":null,\"updated_at\":null,\"summary\":\"not saved yet\"}}");
    if (!cJSON_Compare(got, want, true))
        fail_msg("defaults: %s", cJSON_PrintUnformatted(got));
    cJSON *sync = ok(get_as(VX_SUBJECT_AGENT_SYNC, org, "staff"));
    assert_true(cJSON_Compare(sync, cJSON_GetObjectItem(want, "sync"), true));
    cJSON_Delete(got);
    cJSON_Delete(want);
    cJSON_Delete(sync);
    /* Reading creates nothing. */
    assert_sql("SELECT (SELECT count(*) FROM agent_config WHERE org_id = $1) + (SELECT count(*) FROM agent_sync WHERE org_id = $1)",
               org, "0");
}

static void test_a_provisioned_org_shows_its_week_and_services(void **state)
{
    char org[37];
    vt_uuid(org);
    const char *p[1] = {org};
    vt_sql_exec(admin, "SELECT org_provision($1, 'Agent provisioned', 'Europe/London')", 1, p);
    cJSON *got = ok(get_as(VX_SUBJECT_AGENT_GET, org, "staff"));
    assert_string_equal(str_at(got, "timezone"), "Europe/London");
    static const char *const days[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    const cJSON *week = cJSON_GetObjectItem(got, "business_hours");
    assert_int_equal(cJSON_GetArraySize(week), 7);
    for (int i = 0; i < 7; i++) {
        const cJSON *day = cJSON_GetObjectItem(week, days[i]);
        assert_string_equal(cJSON_GetArrayItem(week, i)->string, days[i]); /* Monday first */
        assert_int_equal(cJSON_GetArraySize(day), i < 5 ? 1 : 0);
        if (i < 5) {
            assert_string_equal(str_at(cJSON_GetArrayItem(day, 0), "opens"), "09:00");
            assert_string_equal(str_at(cJSON_GetArrayItem(day, 0), "closes"), "17:00");
        }
    }
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(got, "services_offered")), 7);
    cJSON_Delete(got);
}

/* ------------------------------------------------------------ saving */

/* A whole configuration offering service offered (and not the org's other). */
static char *whole_body(const char *offered, const char *name)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b,
                  "{\"name\":\"%s\",\"voice\":{\"provider\":\"cartesia\",\"voice_id\":\"sonic-warm\"},"
                  "\"first_message\":\"Thanks for calling!\",\"system_prompt\":\"Be warm.\\nNever give medical advice.\","
                  "\"timezone\":\"Europe/London\",\"slot_minutes\":20,\"buffer_minutes\":5,"
                  "\"business_hours\":{\"monday\":[{\"opens\":\"13:00\",\"closes\":\"17:30\"},{\"opens\":\"08:00\","
                  "\"closes\":\"12:00\"}],\"saturday\":[{\"opens\":\"10:00\",\"closes\":\"14:00\"}]},"
                  "\"transfer_phone_number\":\"+442071234567\",\"transfer_sip_uri\":\"sips:desk@pbx.clinic.example:5061\","
                  "\"transfer_departments\":{\"billing\":\"+442079876543\",\"front desk\":\"sip:desk@clinic.example\"},"
                  "\"services_offered\":[\"%s\"]}",
                  name, offered);
    return vx_buf_steal(&b);
}

static void test_put_then_get_round_trip_and_storage(void **state)
{
    char org[37], botox[37], facelift[37];
    vt_create_org(admin, "Agent round trip", NULL, NULL, NULL, org);
    add_service(org, "Botox", botox);
    add_service(org, "Facelift", facelift);
    char *body = whole_body(botox, "Front Desk");
    cJSON *saved = ok(put(org, body));
    free(body);
    assert_int_equal(num_at(saved, "version"), 1);
    assert_string_equal(str_at(saved, "sync.state"), "pending");
    assert_int_equal(num_at(saved, "sync.desired_version"), 1);
    assert_int_equal(num_at(saved, "sync.synced_version"), 0);
    assert_true(cJSON_IsTrue(vx_json_at(saved, "sync.queued")));
    assert_string_equal(str_at(saved, "sync.summary"), "saved, sync with Vapi pending");
    /* The answer is what GET says (the sync's "queued" aside). */
    cJSON *got = ok(get_as(VX_SUBJECT_AGENT_GET, org, "owner"));
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(saved, "sync"), "queued");
    if (!cJSON_Compare(saved, got, true))
        fail_msg("PUT answered %s, GET %s", cJSON_PrintUnformatted(saved), cJSON_PrintUnformatted(got));
    assert_string_equal(str_at(got, "voice.provider"), "cartesia");
    cJSON_Delete(saved);

    /* What each table holds. */
    assert_sql("SELECT concat_ws('|', name, voice_provider, voice_id, first_message, system_prompt, config_version)"
               " FROM agent_config WHERE org_id = $1",
               org, "Front Desk|cartesia|sonic-warm|Thanks for calling!|Be warm.\nNever give medical advice.|1");
    assert_sql("SELECT concat_ws('|', timezone, slot_minutes, buffer_minutes) FROM org_settings WHERE org_id = $1", org,
               "Europe/London|20|5");
    assert_sql("SELECT string_agg(concat_ws(' ', weekday, opens, closes), ',' ORDER BY weekday, opens)"
               " FROM business_hours WHERE org_id = $1",
               org, "1 08:00:00 12:00:00,1 13:00:00 17:30:00,6 10:00:00 14:00:00");
    assert_sql("SELECT concat_ws('|', transfer_phone_number, transfer_sip_uri, transfer_departments::text)"
               " FROM integration_settings WHERE org_id = $1",
               org,
               "+442071234567|sips:desk@pbx.clinic.example:5061|{\"billing\": \"+442079876543\", \"front desk\": "
               "\"sip:desk@clinic.example\"}");
    assert_sql("SELECT string_agg(name || '=' || active, ',' ORDER BY name) FROM services WHERE org_id = $1", org,
               "Botox=true,Facelift=false");
    assert_sql("SELECT concat_ws('|', desired_version, synced_version, state, coalesce(detail, '-'), attempts,"
               " next_attempt_at IS NOT NULL) FROM agent_sync WHERE org_id = $1",
               org, "1|0|pending|-|0|t");
    expect_jobs(org, 1, 1);

    /* The GET's fields sent back as they are: a save that changes nothing, version 2. */
    cJSON_DeleteItemFromObject(got, "version");
    cJSON_DeleteItemFromObject(got, "sync");
    char *again = cJSON_PrintUnformatted(got);
    cJSON *resaved = ok(put(org, again));
    assert_int_equal(num_at(resaved, "version"), 2);
    assert_sql("SELECT details::text FROM audit_log WHERE org_id = $1 AND action = 'agent.updated' ORDER BY id DESC LIMIT 1", org,
               "{\"fields\": [], \"version\": 2}");
    expect_jobs(org, 2, 2);
    free(again);
    cJSON_Delete(resaved);
    cJSON_Delete(got);
}

static void test_partial_put_keeps_the_rest(void **state)
{
    char org[37], botox[37];
    vt_create_org(admin, "Agent partial", NULL, NULL, NULL, org);
    add_service(org, "Botox", botox);
    /* A name alone touches no other table. */
    cJSON_Delete(ok(put(org, "{\"name\":\"Only A Name\"}")));
    assert_sql("SELECT concat_ws('|', (SELECT count(*) FROM org_settings WHERE org_id = $1),"
               " (SELECT count(*) FROM integration_settings WHERE org_id = $1),"
               " (SELECT count(*) FROM business_hours WHERE org_id = $1))",
               org, "0|0|0");
    char *body = whole_body(botox, "Front Desk");
    cJSON_Delete(ok(put(org, body)));
    free(body);
    char *before = digest(org);
    cJSON *a = ok(put(org, "{\"slot_minutes\":15,\"business_hours\":{\"monday\":[]},\"transfer_sip_uri\":null}"));
    assert_int_equal(num_at(a, "slot_minutes"), 15);
    assert_int_equal(num_at(a, "buffer_minutes"), 5);
    assert_string_equal(str_at(a, "timezone"), "Europe/London");
    assert_string_equal(str_at(a, "name"), "Front Desk");
    assert_string_equal(str_at(a, "transfer_phone_number"), "+442071234567");
    assert_null(vx_json_at(a, "transfer_sip_uri"));
    assert_string_equal(str_at(a, "transfer_departments.billing"), "+442079876543");
    assert_int_equal(cJSON_GetArraySize(vx_json_at(a, "business_hours.monday")), 0);
    assert_int_equal(cJSON_GetArraySize(vx_json_at(a, "business_hours.saturday")), 1);
    assert_int_equal(num_at(a, "version"), 3);
    cJSON_Delete(a);
    char *after = digest(org);
    assert_string_not_equal(before, after);
    assert_sql("SELECT string_agg(concat_ws(' ', weekday, opens, closes), ',') FROM business_hours WHERE org_id = $1", org,
               "6 10:00:00 14:00:00");
    /* The audit names exactly the fields whose value changed. */
    assert_sql("SELECT details::text FROM audit_log WHERE org_id = $1 AND action = 'agent.updated' ORDER BY id DESC LIMIT 1", org,
               "{\"fields\": [\"slot_minutes\", \"business_hours\", \"transfer_sip_uri\"], \"version\": 3}");
    expect_jobs(org, 1, 3);
    free(before);
    free(after);
}

typedef struct racer {
    const char *org;
    int i;
    unsigned status;
    long version;
} racer;

static void *race_save(void *arg)
{
    racer *r = arg;
    char body[96];
    snprintf(body, sizeof body, "{\"name\":\"Save %d\",\"slot_minutes\":%d}", r->i, 10 + r->i);
    vt_answer a = put(r->org, body);
    r->status = a.status;
    double v = 0;
    r->version = a.json != NULL && vx_json_num(a.json, "version", &v) ? (long)v : -1;
    vt_answer_free(&a);
    return NULL;
}

/* Both workers save at once: the version bump's row lock orders them, and
 * the save that got version 10 is the one stored. */
static void test_ten_concurrent_saves_end_with_the_last(void **state)
{
    char org[37];
    vt_create_org(admin, "Agent ten saves", NULL, NULL, NULL, org);
    enum { N = 10 };
    racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (racer){.org = org, .i = i};
        assert_int_equal(pthread_create(&t[i], NULL, race_save, &r[i]), 0);
    }
    unsigned seen = 0;
    int last = -1;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].status, 200);
        assert_true(r[i].version >= 1 && r[i].version <= N);
        seen |= 1u << r[i].version;
        if (r[i].version == N)
            last = r[i].i;
    }
    assert_int_equal(seen, ((1u << N) - 1) << 1); /* each version once */
    char want[64];
    snprintf(want, sizeof want, "Save %d|%d|10|10|pending", last, 10 + last);
    assert_sql("SELECT concat_ws('|', c.name, s.slot_minutes, c.config_version, y.desired_version, y.state)"
               " FROM agent_config c JOIN org_settings s USING (org_id) JOIN agent_sync y USING (org_id) WHERE c.org_id = $1",
               org, want);
    assert_sql("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'agent.updated'", org, "10");
    job_list l = take_jobs(org, N);
    assert_int_equal(l.n, N);
    unsigned jobs_seen = 0;
    for (int i = 0; i < l.n; i++)
        jobs_seen |= 1u << l.jobs[i]->version;
    assert_int_equal(jobs_seen, seen);
    job_list_free(&l);
}

/* WORK refuses the job (a message size limit below it, set as an operator
 * could): the save stands, says so, and agent_sync is behind for the sweep. */
static void test_a_save_nats_cannot_queue_still_stands(void **state)
{
    char org[37];
    vt_create_org(admin, "Agent no queue", NULL, NULL, NULL, org);
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    assert_int_equal(js_GetStreamInfo(&si, js, VX_WORK_STREAM, NULL, &jerr), NATS_OK);
    si->Config->MaxMsgSize = 16;
    jsStreamInfo *updated = NULL;
    assert_int_equal(js_UpdateStream(&updated, js, si->Config, NULL, &jerr), NATS_OK);
    jsStreamInfo_Destroy(updated);
    jsStreamInfo_Destroy(si);
    vt_answer a = put(org, "{\"name\":\"Unqueued\"}");
    assert_int_equal(vx_work_ensure_stream(js), 0); /* the suite's configuration again */
    cJSON *saved = ok(a);
    assert_false(cJSON_IsTrue(vx_json_at(saved, "sync.queued")));
    assert_non_null(strstr(str_at(saved, "sync.summary"), "next periodic sync"));
    assert_string_equal(str_at(saved, "name"), "Unqueued");
    cJSON_Delete(saved);
    assert_sql("SELECT concat_ws('|', c.name, y.desired_version, y.synced_version, y.state) FROM agent_config c"
               " JOIN agent_sync y USING (org_id) WHERE c.org_id = $1",
               org, "Unqueued|1|0|pending");
    /* The sweep's look-up finds it. */
    assert_sql("SELECT count(*) FROM agent_sync_orgs_due(100000) AS o WHERE o = $1::uuid", org, "1");
    job_list l = take_jobs(org, 0);
    assert_int_equal(l.n, 0);
    /* The next save queues again. */
    cJSON_Delete(ok(put(org, "{\"name\":\"Queued\"}")));
    expect_jobs(org, 2, 2);
}

static void test_sync_sentences(void **state)
{
    char org[37];
    vt_create_org(admin, "Agent sync states", NULL, NULL, NULL, org);
    cJSON_Delete(ok(put(org, "{\"timezone\":\"America/New_York\"}")));
    expect_jobs(org, 1, 1);
    static const struct {
        const char *update, *state, *summary;
    } cases[] = {
        /* As tool-sync will write them. */
        {"state = 'synced', synced_version = 1, attempts = 0", "synced", "synced"},
        {"state = 'linking_pending', attempts = 1, next_attempt_at = '2030-03-02 10:15:00+00'", "linking_pending",
         "tools registered, linking pending; next try at 2030-03-02 05:15 America/New_York"},
        {"state = 'failed', detail = 'Vapi did not answer', attempts = 3, next_attempt_at = '2030-03-02 10:15:00+00'", "failed",
         "failed: Vapi did not answer; next try at 2030-03-02 05:15 America/New_York"},
        {"state = 'pending', detail = NULL, attempts = 2, next_attempt_at = '2030-07-02 10:15:00+00'", "pending",
         "saved, sync with Vapi pending; next try at 2030-07-02 06:15 America/New_York"},
    };
    const char *p[1] = {org};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE agent_sync SET %s WHERE org_id = $1", cases[i].update);
        vt_sql_exec(admin, sql, 1, p);
        cJSON *s = ok(get_as(VX_SUBJECT_AGENT_SYNC, org, "staff"));
        assert_string_equal(str_at(s, "state"), cases[i].state);
        assert_string_equal(str_at(s, "summary"), cases[i].summary);
        assert_int_equal(num_at(s, "desired_version"), 1);
        cJSON *whole = ok(get_as(VX_SUBJECT_AGENT_GET, org, "staff"));
        assert_true(cJSON_Compare(s, cJSON_GetObjectItem(whole, "sync"), true));
        cJSON_Delete(whole);
        cJSON_Delete(s);
    }
    /* A save brings the state back to pending, its failure forgotten. */
    cJSON *saved = ok(put(org, "{\"buffer_minutes\":15}"));
    assert_string_equal(str_at(saved, "sync.state"), "pending");
    assert_null(vx_json_at(saved, "sync.detail"));
    assert_int_equal(num_at(saved, "sync.attempts"), 0);
    assert_int_equal(num_at(saved, "sync.desired_version"), 2);
    assert_int_equal(num_at(saved, "sync.synced_version"), 1);
    cJSON_Delete(saved);
    expect_jobs(org, 2, 2);
}

/* ------------------------------------------------------------ refusals */

static void test_bad_input_changes_nothing(void **state)
{
    char org[37], other[37], own[37], others_service[37], unknown[37];
    vt_create_org(admin, "Agent bad input", NULL, NULL, NULL, org);
    vt_create_org(admin, "Agent bad input other", NULL, NULL, NULL, other);
    add_service(org, "Botox", own);
    add_service(other, "Botox", others_service);
    vt_uuid(unknown);
    char *body = whole_body(own, "Front Desk");
    cJSON_Delete(ok(put(org, body)));
    free(body);
    expect_jobs(org, 1, 1);
    char offer_other[128], offer_unknown[128];
    snprintf(offer_other, sizeof offer_other, "{\"services_offered\":[\"%s\",\"%s\"]}", own, others_service);
    snprintf(offer_unknown, sizeof offer_unknown, "{\"name\":\"X\",\"services_offered\":[\"%s\"]}", unknown);
    const struct {
        const char *body, *code;
    } bad[] = {
        {NULL, "invalid_json"},
        {"[]", "invalid_json"},
        {"{}", "empty_update"},
        {"{\"nmae\":\"X\"}", "unknown_field"},
        {"{\"version\":1}", "read_only_field"},
        {"{\"name\":\"X\",\"name\":\"Y\"}", "duplicate_field"},
        {"{\"name\":\"\"}", "invalid_name"},
        {"{\"voice\":{\"provider\":\"elevenlabs\",\"voice_id\":\"x\"}}", "invalid_voice"},
        {"{\"first_message\":\"\"}", "invalid_first_message"},
        {"{\"system_prompt\":null}", "invalid_system_prompt"},
        {"{\"timezone\":\"EST\"}", "invalid_timezone"},
        {"{\"name\":\"X\",\"timezone\":\"Mars/Olympus_Mons\"}", "invalid_timezone"}, /* the shape, not a zone */
        {"{\"slot_minutes\":481}", "invalid_slot_minutes"},
        {"{\"buffer_minutes\":-1}", "invalid_buffer_minutes"},
        {"{\"business_hours\":{\"monday\":[{\"opens\":\"17:00\",\"closes\":\"09:00\"}]}}", "invalid_business_hours"},
        {"{\"business_hours\":{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"12:00\"},{\"opens\":\"11:00\",\"closes\":\"13:00\"}]}"
         "}",
         "invalid_business_hours"},
        {"{\"transfer_phone_number\":\"555-1234\"}", "invalid_transfer_phone_number"},
        {"{\"transfer_sip_uri\":\"desk@clinic.example\"}", "invalid_transfer_sip_uri"},
        {"{\"transfer_departments\":{\"billing\":\"call me\"}}", "invalid_transfer_departments"},
        {"{\"transfer_departments\":{\"Billing\":\"+15551112222\",\"billing\":\"+15553334444\"}}", "invalid_transfer_departments"},
        {"{\"services_offered\":[\"not-a-uuid\"]}", "invalid_services_offered"},
        {offer_other, "invalid_services_offered"},
        {offer_unknown, "invalid_services_offered"},
    };
    char *before = digest(org), *before_other = digest(other);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_expect_error(put(org, bad[i].body), 400, bad[i].code);
        char *after = digest(org);
        if (strcmp(before, after) != 0)
            fail_msg("%s changed the org's rows", bad[i].body != NULL ? bad[i].body : "(no body)");
        free(after);
    }
    char *after_other = digest(other);
    assert_string_equal(before_other, after_other);
    job_list l = take_jobs(org, 0);
    assert_int_equal(l.n, 0);
    assert_true(vt_alive(service));
    free(before);
    free(before_other);
    free(after_other);
}

static void test_staff_read_but_never_save(void **state)
{
    char org[37];
    vt_create_org(admin, "Agent staff", NULL, NULL, NULL, org);
    cJSON_Delete(ok(put(org, "{\"name\":\"Owner's\"}")));
    expect_jobs(org, 1, 1);
    char *before = digest(org);
    cJSON *got = ok(get_as(VX_SUBJECT_AGENT_GET, org, "staff"));
    assert_string_equal(str_at(got, "name"), "Owner's");
    cJSON_Delete(got);
    cJSON_Delete(ok(get_as(VX_SUBJECT_AGENT_SYNC, org, "staff")));
    vt_expect_error(put_as(org, "staff", "{\"name\":\"Staff's\"}"), 403, "forbidden");
    vt_expect_error(put_as(org, "authenticated", "{\"name\":\"Staff's\"}"), 403, "unknown_role");
    char *after = digest(org);
    assert_string_equal(before, after);
    job_list l = take_jobs(org, 0);
    assert_int_equal(l.n, 0);
    free(before);
    free(after);
}

static void test_org_a_never_reads_or_saves_org_b(void **state)
{
    char a[37], b[37], b_service[37];
    vt_create_org(admin, "Agent tenant A", NULL, NULL, NULL, a);
    vt_create_org(admin, "Agent tenant B", NULL, NULL, NULL, b);
    add_service(b, "B's Botox", b_service);
    char *body = whole_body(b_service, "B Desk");
    cJSON_Delete(ok(put(b, body)));
    free(body);
    expect_jobs(b, 1, 1);
    char *before = digest(b);
    /* A reads its own defaults: nothing of B's. */
    vt_answer r = get_as(VX_SUBJECT_AGENT_GET, a, "owner");
    vt_expect_status(&r, 200);
    static const char *const b_values[] = {"B Desk", "+442071234567", "sonic-warm", "Europe/London", "billing"};
    for (size_t i = 0; i < sizeof b_values / sizeof b_values[0]; i++)
        if (strstr(r.body, b_values[i]) != NULL)
            fail_msg("A's agent shows B's %s: %s", b_values[i], r.body);
    assert_null(strstr(r.body, b_service));
    assert_null(strstr(r.body, b));
    vt_answer_free(&r);
    /* A saves its own: B's rows stay as they were, and B's service is not A's to offer. */
    cJSON_Delete(ok(put(a, "{\"name\":\"A Desk\",\"transfer_phone_number\":\"+15550001111\"}")));
    char offer[96];
    snprintf(offer, sizeof offer, "{\"services_offered\":[\"%s\"]}", b_service);
    vt_expect_error(put(a, offer), 400, "invalid_services_offered");
    char *after = digest(b);
    assert_string_equal(before, after);
    assert_sql("SELECT name FROM agent_config WHERE org_id = $1", b, "B Desk");
    expect_jobs(a, 1, 1);
    job_list l = take_jobs(b, 0);
    assert_int_equal(l.n, 0);
    free(before);
    free(after);
}

static void test_audit_and_logs_never_hold_the_prompt_or_numbers(void **state)
{
    char org[37], marker[37];
    vt_create_org(admin, "Agent audit", NULL, NULL, NULL, org);
    vt_uuid(marker);
    char number[16];
    vt_random_e164(number);
    char body[512];
    snprintf(body, sizeof body,
             "{\"system_prompt\":\"Secret prompt %s\",\"first_message\":\"Hello %s\",\"transfer_phone_number\":\"%s\","
             "\"transfer_departments\":{\"billing\":\"%s\"}}",
             marker, marker, number, number);
    cJSON_Delete(ok(put(org, body)));
    expect_jobs(org, 1, 1);
    char *details =
        sql_value("SELECT concat_ws('|', actor_role, target_type, details::text) FROM audit_log WHERE org_id = $1 AND action = "
                  "'agent.updated'",
                  org);
    assert_non_null(details);
    assert_string_equal(details, "owner|agent|{\"fields\": [\"first_message\", \"system_prompt\", \"transfer_phone_number\", "
                                 "\"transfer_departments\"], \"version\": 1}");
    free(details);
    /* The service's log of this whole test: neither the words nor the number. */
    char path[256];
    snprintf(path, sizeof path, "build/test-logs/%s.log", LOG_NAME);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        char line[8192];
        while (fgets(line, sizeof line, f) != NULL)
            if (strstr(line, marker) != NULL || strstr(line, number) != NULL)
                fail_msg("the log holds the prompt or the number: %s", line);
        fclose(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_of_a_fresh_org),
        cmocka_unit_test(test_a_provisioned_org_shows_its_week_and_services),
        cmocka_unit_test(test_put_then_get_round_trip_and_storage),
        cmocka_unit_test(test_partial_put_keeps_the_rest),
        cmocka_unit_test(test_ten_concurrent_saves_end_with_the_last),
        cmocka_unit_test(test_a_save_nats_cannot_queue_still_stands),
        cmocka_unit_test(test_sync_sentences),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_staff_read_but_never_save),
        cmocka_unit_test(test_org_a_never_reads_or_saves_org_b),
        cmocka_unit_test(test_audit_and_logs_never_hold_the_prompt_or_numbers),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
