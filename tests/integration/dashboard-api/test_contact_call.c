/*
 * POST /api/contacts/{id}/call (services/dashboard-api/contact_call.c): the
 * real dashboard-api process on real NATS and PostgreSQL, spoken to as the
 * gateway speaks, placing its calls on tests/fakes/vapi_api (Vapi's REST
 * API, contracts/vapi.md §4.5), checked through the fake's record of what it
 * was sent and the admin connection.
 *
 * Covered: the exact request Vapi gets (path, key, JSON body) and what is
 * recorded (the call_logs row, the audit entry, the answer); webhook-ingest's
 * later report completes that row instead of adding one; staff may call; the
 * double-dial guard (a second call within 60 s of one not ended is 409, also
 * when two clicks race; an ended or older call does not block); an org
 * without an assistant or number, a contact without a phone, another org's
 * contact, a bad id or body are refused before Vapi is asked; Vapi's 400,
 * 401, 429 (with Retry-After), 500 and silence map to clear errors and leave
 * no row; without VAPI_PRIVATE_KEY the service starts and answers 503; and
 * the service's log never holds a contact's number or the key.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_routes.h"
#include "vx_nats.h"
#include "vx_validate.h"

#define VAPI_KEY "vapi-private-key-for-call-tests"
#define LOG_NAME "dashboard-api-contact-call"
#define WAIT_MS  20000

/* An org as the tests use it: its agent's ids (empty when the org has none). */
typedef struct org {
    char id[37];
    char assistant[64], number_id[64], number[16];
} org;

static struct {
    PGconn *admin;
    natsConnection *nc;
    pid_t service, fake;
    char fake_url[64], env_url[96];
    org a, b;
} T;

/* ------------------------------------------------------------ helpers */

static pid_t start_service_with(const char *key, const char *provider_timeout)
{
    char env_key[96];
    snprintf(env_key, sizeof env_key, "VAPI_PRIVATE_KEY=%s", key);
    const char *env[] = {"DASHBOARD_WORKERS=2", T.env_url, env_key, provider_timeout, NULL};
    pid_t pid = vt_spawn("dashboard-api", LOG_NAME, env);
    VT_REQUIRE(vt_wait_service_healthy(T.nc, "dashboard", 10000),
               "dashboard-api did not start (see build/test-logs/" LOG_NAME ".log)");
    return pid;
}

static pid_t start_service(const char *key)
{
    /* PROVIDER_TIMEOUT_MS: Vapi's silence is tested against a fake that answers 3 s late. */
    return start_service_with(key, "PROVIDER_TIMEOUT_MS=1000");
}

static void stop_service(void)
{
    assert_int_equal(vt_stop(T.service, SIGTERM, 5000), 0);
    T.service = 0;
}

/* An org with an agent holding the assistant and number given (NULL: none; with neither, no agent). */
static void make_org(org *o, const char *name, bool assistant, bool number)
{
    memset(o, 0, sizeof(*o));
    char u[37];
    vt_uuid(u);
    if (assistant)
        snprintf(o->assistant, sizeof o->assistant, "asst-%s", u);
    if (number) {
        snprintf(o->number_id, sizeof o->number_id, "pn-%s", u);
        vt_random_e164(o->number);
    }
    vt_create_org(T.admin, name, assistant ? o->assistant : NULL, number ? o->number_id : NULL, number ? o->number : NULL, o->id);
}

/* A contact of org with the names given (NULL: none) and a fresh number (into phone; NULL: no number). Its id, malloc'd. */
static char *add_contact(const char *org_id, const char *first, const char *last, char phone[16])
{
    if (phone != NULL)
        vt_random_e164(phone);
    const char *p[4] = {org_id, first, last, phone};
    return vt_sql_value(T.admin, "INSERT INTO contacts (org_id, first_name, last_name, phone) VALUES ($1, $2, $3, $4) RETURNING id",
                        4, p);
}

static vt_answer call_as(const char *org_id, const char *role, const char *contact, const char *body)
{
    return vt_dashboard_request(T.nc, VX_SUBJECT_CONTACTS_CALL, org_id, role, contact, NULL, body, body != NULL ? strlen(body) : 0);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* How many POST /call the fake has been sent (past its key check). */
static int vapi_requests(void)
{
    cJSON *st = vt_fake_get_json(T.fake_url, "/_fake/state");
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "callRequests"));
    cJSON_Delete(st);
    return n;
}

/* The last POST /call the fake was sent, as {"contentType","body"} (cJSON_Delete). */
static cJSON *last_vapi_request(void)
{
    cJSON *st = vt_fake_get_json(T.fake_url, "/_fake/state");
    cJSON *all = cJSON_GetObjectItemCaseSensitive(st, "callRequests");
    int n = cJSON_GetArraySize(all);
    VT_REQUIRE(n > 0, "the fake got no POST /call");
    cJSON *last = cJSON_DetachItemFromArray(all, n - 1);
    cJSON_Delete(st);
    return last;
}

static long count(const char *sql, const char *arg)
{
    const char *p[1] = {arg};
    return vt_sql_long(T.admin, sql, 1, p);
}

static long calls_of_contact(const char *contact)
{
    return count("SELECT count(*) FROM call_logs WHERE contact_id = $1", contact);
}

static long audits_of_contact(const char *contact)
{
    return count("SELECT count(*) FROM audit_log WHERE action = 'contact.called' AND target_id = $1", contact);
}

/* Fails unless the request was refused with status and code and left nothing: no Vapi request, no row, no audit entry. */
static void expect_refused_untouched(vt_answer a, unsigned status, const char *code, const char *contact, int requests_before)
{
    vt_expect_error(a, status, code);
    assert_int_equal(vapi_requests(), requests_before);
    if (contact != NULL && vx_is_uuid(contact, strlen(contact))) {
        assert_int_equal(calls_of_contact(contact), 0);
        assert_int_equal(audits_of_contact(contact), 0);
    }
}

/* Places a call that must succeed; its answer (vt_answer_free). */
static vt_answer call_ok(const org *o, const char *role, const char *contact)
{
    vt_answer a = call_as(o->id, role, contact, NULL);
    vt_expect_status(&a, 201);
    return a;
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    T.admin = vt_admin();
    VT_REQUIRE(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof env_port, "VAPI_API_FAKE_PORT=%d", port);
    const char *env[] = {env_port, "VAPI_API_FAKE_KEY=" VAPI_KEY, NULL};
    T.fake = vt_spawn("vapi_api", "vapi_api_fake_contact_call", env);
    snprintf(T.fake_url, sizeof T.fake_url, "http://127.0.0.1:%d", port);
    snprintf(T.env_url, sizeof T.env_url, "VAPI_API_BASE_URL=%s", T.fake_url);
    char ready[128];
    snprintf(ready, sizeof ready, "%s/_fake/state", T.fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000),
               "the vapi_api fake did not start (see build/test-logs/vapi_api_fake_contact_call.log)");
    /* The log starts empty: the last test reads all of it. */
    mkdir("build", 0755);
    mkdir("build/test-logs", 0755);
    FILE *f = fopen("build/test-logs/" LOG_NAME ".log", "w");
    if (f != NULL)
        fclose(f);
    T.service = start_service(VAPI_KEY);
    make_org(&T.a, "Call-back A", true, true);
    make_org(&T.b, "Call-back B", true, true);
    return 0;
}

static int teardown(void **state)
{
    int service = T.service > 0 ? vt_stop(T.service, SIGTERM, 5000) : 0;
    int fake = vt_stop(T.fake, SIGTERM, 8000);
    natsConnection_Destroy(T.nc);
    PQfinish(T.admin);
    nats_CloseAndWait(2000);
    VT_REQUIRE(service == 0, "dashboard-api did not stop cleanly (see build/test-logs/" LOG_NAME ".log)");
    VT_REQUIRE(fake == 0, "the vapi_api fake did not stop cleanly");
    return 0;
}

static int reset_fake(void **state)
{
    vt_fake_post(T.fake_url, "/_fake/reset", "{}");
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_places_the_call_and_records_it(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, "Maria", "Gonzalez-Featherstonehaugh Worthington III", phone);
    vt_answer a = call_ok(&T.a, "owner", contact);

    /* What Vapi got: POST /call with the platform key (the fake answers 401 to any other), JSON, exactly these fields. */
    cJSON *seen = last_vapi_request();
    assert_string_equal(str(seen, "contentType"), "application/json");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(seen, "body");
    assert_int_equal(cJSON_GetArraySize(body), 3);
    assert_string_equal(str(body, "assistantId"), T.a.assistant);
    assert_string_equal(str(body, "phoneNumberId"), T.a.number_id);
    const cJSON *customer = cJSON_GetObjectItemCaseSensitive(body, "customer");
    assert_int_equal(cJSON_GetArraySize(customer), 2);
    assert_string_equal(str(customer, "number"), phone);
    /* Vapi takes 40 characters of a name (CreateCustomerDTO): cut, not refused. */
    assert_string_equal(str(customer, "name"), "Maria Gonzalez-Featherstonehaugh Worthin");
    cJSON_Delete(seen);
    cJSON *st = vt_fake_get_json(T.fake_url, "/_fake/state");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "created"), "calls")->valueint, 1);
    cJSON_Delete(st);

    /* The answer. */
    const char *call_id = str(a.json, "call_id"), *vapi_call_id = str(a.json, "vapi_call_id");
    assert_non_null(call_id);
    assert_true(vx_is_uuid(call_id, strlen(call_id)));
    assert_non_null(vapi_call_id);
    assert_string_equal(str(a.json, "status"), "queued");
    assert_string_equal(str(a.json, "contact_id"), contact);

    /* The row: one, keyed on Vapi's id, linked, as webhook-ingest maps a call. */
    const char *p[1] = {vapi_call_id};
    char *row = vt_sql_value(T.admin,
                             "SELECT concat_ws('|', id, org_id, contact_id, call_type, status, assistant_id, phone_number_id,"
                             " phone_number, from_number, to_number, caller_name, call_sid, metadata->>'source')"
                             " FROM call_logs WHERE vapi_call_id = $1",
                             1, p);
    char want[1024];
    snprintf(want, sizeof want,
             "%s|%s|%s|outbound|queued|%s|%s|%s|%s|%s|Maria Gonzalez-Featherstonehaugh Worthin|vapi-%s|dashboard_call_back",
             call_id, T.a.id, contact, T.a.assistant, T.a.number_id, phone, phone, T.a.number, vapi_call_id);
    assert_string_equal(row, want);
    free(row);

    /* The audit entry: who, what, ids only. */
    const char *pa[1] = {contact};
    char *entry = vt_sql_value(T.admin,
                               "SELECT concat_ws('|', org_id, actor_user_id, actor_role, target_type, details->>'call_id',"
                               " details->>'vapi_call_id', details::text) FROM audit_log"
                               " WHERE action = 'contact.called' AND target_id = $1",
                               1, pa);
    assert_non_null(entry);
    assert_non_null(strstr(entry, T.a.id));
    assert_non_null(strstr(entry, "|user-1|owner|contact|"));
    assert_non_null(strstr(entry, call_id));
    assert_non_null(strstr(entry, vapi_call_id));
    assert_null(strstr(entry, phone));
    assert_null(strstr(entry, "Maria"));
    free(entry);
    vt_answer_free(&a);
    free(contact);
}

/* The end-of-call report of vapi_call_id for o's contact with phone (the fixture, re-aimed), malloc'd. */
static char *outbound_report(const org *o, const char *vapi_call_id, const char *phone)
{
    char *raw = vt_vapi_report(vapi_call_id, o->assistant);
    cJSON *root = cJSON_Parse(raw);
    free(raw);
    cJSON *msg = cJSON_GetObjectItem(root, "message"), *call = cJSON_GetObjectItem(msg, "call");
    cJSON_ReplaceItemInObject(call, "type", cJSON_CreateString("outboundPhoneCall"));
    cJSON_ReplaceItemInObject(call, "phoneNumberId", cJSON_CreateString(o->number_id));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(call, "customer"), "number", cJSON_CreateString(phone));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(msg, "customer"), "number", cJSON_CreateString(phone));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(msg, "phoneNumber"), "id", cJSON_CreateString(o->number_id));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(msg, "phoneNumber"), "number", cJSON_CreateString(o->number));
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

/* Vapi's report of the call, through the real webhook-ingest, completes the
 * row the call-back made: same row, still linked, no second one. */
static void test_webhook_ingest_completes_the_same_row(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, "Ines", "Ortega", phone);
    vt_answer a = call_ok(&T.a, "owner", contact);
    char call_id[37], vapi_call_id[128];
    snprintf(call_id, sizeof call_id, "%s", str(a.json, "call_id"));
    snprintf(vapi_call_id, sizeof vapi_call_id, "%s", str(a.json, "vapi_call_id"));
    vt_answer_free(&a);

    jsCtx *js = NULL;
    VT_REQUIRE(natsConnection_JetStream(&js, T.nc, NULL) == NATS_OK, "no JetStream context");
    const char *env[] = {"INGEST_WORKERS=1", NULL};
    pid_t ingest = vt_spawn("webhook-ingest", "webhook-ingest-contact-call", env);
    VT_REQUIRE(vt_wait_consumer(js, VX_STREAM_VAPI, "webhook-ingest", WAIT_MS),
               "webhook-ingest did not create its consumer (see build/test-logs/webhook-ingest-contact-call.log)");
    char *report = outbound_report(&T.a, vapi_call_id, phone);
    vt_publish_vapi_event(js, "end-of-call-report", vapi_call_id, report, strlen(report));
    free(report);
    const char *p[1] = {vapi_call_id};
    long done = vt_wait_sql_long(T.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND status = 'completed'", 1, p,
                                 1, WAIT_MS);
    assert_int_equal(vt_stop(ingest, SIGTERM, 20000), 0);
    jsCtx_Destroy(js);
    assert_int_equal(done, 1);
    char *row = vt_sql_value(T.admin,
                             "SELECT concat_ws('|', count(*), min(id::text), min(contact_id::text), min(call_type))"
                             " FROM call_logs WHERE vapi_call_id = $1",
                             1, p);
    char want[160];
    snprintf(want, sizeof want, "1|%s|%s|outbound", call_id, contact);
    assert_string_equal(row, want);
    free(row);
    /* The guard reads the row's status: an ended call no longer blocks the next. */
    vt_answer again = call_ok(&T.a, "owner", contact);
    vt_answer_free(&again);
    free(contact);
}

static void test_staff_may_call(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, NULL, NULL, phone);
    vt_answer a = call_ok(&T.a, "staff", contact);
    /* A contact without a name: the customer has no "name". */
    cJSON *seen = last_vapi_request();
    const cJSON *customer = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(seen, "body"), "customer");
    assert_int_equal(cJSON_GetArraySize(customer), 1);
    assert_string_equal(str(customer, "number"), phone);
    cJSON_Delete(seen);
    const char *p[1] = {contact};
    char *role = vt_sql_value(T.admin, "SELECT actor_role FROM audit_log WHERE action = 'contact.called' AND target_id = $1", 1, p);
    assert_string_equal(role, "staff");
    free(role);
    vt_answer_free(&a);
    free(contact);
}

static void test_second_call_within_a_minute_is_refused(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, "Dora", "Dial", phone);
    vt_answer a = call_ok(&T.a, "owner", contact);
    char vapi_call_id[128];
    snprintf(vapi_call_id, sizeof vapi_call_id, "%s", str(a.json, "vapi_call_id"));
    vt_answer_free(&a);
    int before = vapi_requests();
    vt_expect_error(call_as(T.a.id, "owner", contact, NULL), 409, "call_in_progress");
    assert_int_equal(vapi_requests(), before);
    assert_int_equal(calls_of_contact(contact), 1);
    /* Ringing is still in progress. */
    const char *p[1] = {vapi_call_id};
    vt_sql_exec(T.admin, "UPDATE call_logs SET status = 'ringing' WHERE vapi_call_id = $1", 1, p);
    vt_expect_error(call_as(T.a.id, "owner", contact, NULL), 409, "call_in_progress");
    assert_int_equal(vapi_requests(), before);
    /* A call placed over a minute ago that never reported back no longer blocks. */
    vt_sql_exec(T.admin, "UPDATE call_logs SET created_at = now() - interval '61 seconds' WHERE vapi_call_id = $1", 1, p);
    vt_answer again = call_ok(&T.a, "owner", contact);
    vt_answer_free(&again);
    assert_int_equal(calls_of_contact(contact), 2);
    free(contact);
}

typedef struct click {
    const char *org, *contact;
    unsigned status;
} click;

static void *click_call(void *arg)
{
    click *c = arg;
    vt_answer a = call_as(c->org, "owner", c->contact, NULL);
    c->status = a.status;
    vt_answer_free(&a);
    return NULL;
}

/* Clicks at once, spread over both workers (NATS picks one at random per
 * request: with eight, both get some but once in 128 runs) while Vapi takes
 * its time: one call, the rest 409. */
static void test_racing_clicks_place_one_call(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, "Rae", "Race", phone);
    vt_fake_post(T.fake_url, "/_fake/slow", "{\"path\":\"/call\",\"method\":\"POST\",\"delayMs\":500,\"count\":8}");
    enum { N = 8 };
    click c[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        c[i] = (click){T.a.id, contact, 0};
        assert_int_equal(pthread_create(&t[i], NULL, click_call, &c[i]), 0);
    }
    int placed = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        placed += c[i].status == 201;
        refused += c[i].status == 409;
    }
    assert_int_equal(placed, 1);
    assert_int_equal(refused, N - 1);
    assert_int_equal(vapi_requests(), 1);
    assert_int_equal(calls_of_contact(contact), 1);
    assert_int_equal(audits_of_contact(contact), 1);
    free(contact);
}

static void test_org_without_assistant_or_number_is_not_dialled(void **state)
{
    org none, no_number, no_assistant;
    make_org(&none, "Call-back no agent", false, false);
    make_org(&no_number, "Call-back no number", true, false);
    make_org(&no_assistant, "Call-back no assistant", false, true);
    const org *orgs[] = {&none, &no_number, &no_assistant};
    for (size_t i = 0; i < 3; i++) {
        char phone[16];
        char *contact = add_contact(orgs[i]->id, "Nora", "Ready", phone);
        expect_refused_untouched(call_as(orgs[i]->id, "owner", contact, NULL), 409, "agent_not_ready", contact, 0);
        free(contact);
    }
}

static void test_contact_without_phone_is_refused(void **state)
{
    char *contact = add_contact(T.a.id, "Pat", "Nophone", NULL);
    expect_refused_untouched(call_as(T.a.id, "owner", contact, NULL), 400, "no_phone", contact, 0);
    free(contact);
}

static void test_another_orgs_contact_is_not_found(void **state)
{
    char phone[16], missing[37];
    char *theirs = add_contact(T.b.id, "Olga", "Other", phone);
    expect_refused_untouched(call_as(T.a.id, "owner", theirs, NULL), 404, "not_found", theirs, 0);
    expect_refused_untouched(call_as(T.a.id, "staff", theirs, NULL), 404, "not_found", theirs, 0);
    vt_uuid(missing);
    expect_refused_untouched(call_as(T.a.id, "owner", missing, NULL), 404, "not_found", missing, 0);
    free(theirs);
}

static void test_bad_input_is_refused_before_vapi(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, "Bea", "Body", phone);
    const char *bad_ids[] = {"not-a-uuid", "", "00000000-0000-0000-0000-00000000000g", "00000000000000000000000000000000000000"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
        expect_refused_untouched(call_as(T.a.id, "owner", bad_ids[i], NULL), 400, "invalid_id", contact, 0);
    expect_refused_untouched(call_as(T.a.id, "owner", contact, "{\"number\":\"+15550001111\"}"), 400, "unknown_field", contact, 0);
    const char *not_objects[] = {"[]", "\"x\"", "{", "{}{}", "{\"a\":1"};
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++)
        expect_refused_untouched(call_as(T.a.id, "owner", contact, not_objects[i]), 400, "invalid_json", contact, 0);
    /* An empty object is no body at all. */
    vt_answer a = call_as(T.a.id, "owner", contact, " {} ");
    vt_expect_status(&a, 201);
    vt_answer_free(&a);
    free(contact);
}

/* The answer of a call that Vapi fails as the fake is told (fail: /_fake/fail's body). */
static Voxanne__V1__GatewayResponse *call_failing(const char *contact, const char *fail)
{
    vt_fake_post(T.fake_url, "/_fake/fail", fail);
    return vt_dashboard_call(T.nc, VX_SUBJECT_CONTACTS_CALL, T.a.id, "owner", contact, NULL, NULL, 0);
}

/* Fails unless r is status with code, nothing of Vapi's answer or the key in it. Frees r. */
static void expect_mapped(Voxanne__V1__GatewayResponse *r, unsigned status, const char *code, const char *retry_after)
{
    char *body = strndup((const char *)r->body.data, r->body.len);
    cJSON *j = cJSON_Parse(body);
    if (r->status != status || j == NULL || str(j, "code") == NULL || strcmp(str(j, "code"), code) != 0)
        fail_msg("expected %u %s, got %u %s", status, code, r->status, body);
    assert_null(strstr(body, "fake failure"));
    assert_null(strstr(body, VAPI_KEY));
    const char *got = NULL;
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i]->key, "retry-after") == 0)
            got = r->headers[i]->value;
    if (retry_after == NULL)
        assert_null(got);
    else
        assert_string_equal(got != NULL ? got : "(none)", retry_after);
    cJSON_Delete(j);
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
}

static void test_vapi_failures_are_mapped_and_leave_nothing(void **state)
{
    char phone[16];
    char *contact = add_contact(T.a.id, "Fay", "Failure", phone);
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":500}"), 502, "vapi_unavailable", NULL);
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":503}"), 502, "vapi_unavailable", NULL);
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":429,\"retryAfter\":\"7\"}"), 503, "vapi_rate_limited", "7");
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":429}"), 503, "vapi_rate_limited", NULL);
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":400}"), 502, "vapi_rejected", NULL);
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":402}"), 502, "vapi_rejected", NULL);
    /* Vapi answering after the service's PROVIDER_TIMEOUT_MS (1 s). */
    expect_mapped(call_failing(contact, "{\"path\":\"/call\",\"status\":500,\"delayMs\":3000}"), 504, "vapi_unavailable", NULL);
    /* Every one reached Vapi, and none left a row or an audit entry. */
    assert_int_equal(vapi_requests(), 7);
    assert_int_equal(calls_of_contact(contact), 0);
    assert_int_equal(audits_of_contact(contact), 0);
    /* Nothing held: the next call goes through. */
    vt_answer a = call_ok(&T.a, "owner", contact);
    vt_answer_free(&a);
    free(contact);
}

/* A wrong platform key: Vapi's 401 is a refusal, its message not passed on. */
static void test_wrong_key_is_a_refusal(void **state)
{
    stop_service();
    T.service = start_service("not-the-platform-key");
    char phone[16];
    char *contact = add_contact(T.a.id, "Kim", "Key", phone);
    vt_answer a = call_as(T.a.id, "owner", contact, NULL);
    assert_null(strstr(a.body, "Invalid Key"));
    expect_refused_untouched(a, 502, "vapi_rejected", contact, 0);
    stop_service();
    T.service = start_service(VAPI_KEY);
    free(contact);
}

/* Without VAPI_PRIVATE_KEY the service starts, serves the rest, and says so on this route. */
static void test_without_a_key_the_route_answers_503(void **state)
{
    stop_service();
    T.service = start_service("");
    char phone[16];
    char *contact = add_contact(T.a.id, "Una", "Configured", phone);
    expect_refused_untouched(call_as(T.a.id, "owner", contact, NULL), 503, "vapi_not_configured", contact, 0);
    vt_answer get = vt_dashboard_request(T.nc, VX_SUBJECT_CONTACTS_GET, T.a.id, "owner", contact, NULL, NULL, 0);
    vt_expect_status(&get, 200);
    vt_answer_free(&get);
    stop_service();
    T.service = start_service(VAPI_KEY);
    free(contact);
}

/* Last: everything above went through the service; its log has no number and no key. */
typedef struct pending_call {
    const org *o;
    const char *contact;
    vt_answer answer;
} pending_call;

static void *call_in_background(void *arg)
{
    pending_call *p = arg;
    p->answer = call_as(p->o->id, "owner", p->contact, NULL);
    return NULL;
}

/* A stop while a call-back is still with Vapi (7 s late): the drain gives up
 * after its 5 s, but the worker's state (its database connection) must stay
 * until the handler returns. It was freed under the running handler, and
 * dashboard-api died at the stop (a use-after-free, seen under ASan here). */
static void test_a_stop_waits_for_the_call_in_hand(void **state)
{
    stop_service();
    T.service = start_service_with(VAPI_KEY, "PROVIDER_TIMEOUT_MS=9000");
    vt_fake_post(T.fake_url, "/_fake/slow", "{\"path\":\"/call\",\"method\":\"POST\",\"delayMs\":7000,\"count\":1}");
    char phone[16];
    char *contact = add_contact(T.a.id, "Slow", "Line", phone);
    int before = vapi_requests();
    pending_call p = {&T.a, contact, {0}};
    pthread_t t;
    VT_REQUIRE(pthread_create(&t, NULL, call_in_background, &p) == 0, "no thread");
    for (int i = 0; i < 500 && vapi_requests() == before; i++)
        usleep(10000);
    assert_int_equal(vapi_requests(), before + 1); /* Vapi holds it now */
    int stopped = vt_stop(T.service, SIGTERM, 20000);
    T.service = 0;
    pthread_join(t, NULL);
    assert_int_equal(stopped, 0);
    vt_expect_status(&p.answer, 201); /* the call in hand was finished and answered */
    vt_answer_free(&p.answer);
    free(contact);
    T.service = start_service(VAPI_KEY);
}

static void test_log_holds_no_number_or_key(void **state)
{
    char *log = vt_read_file("build/test-logs/" LOG_NAME ".log", NULL);
    assert_non_null(strstr(log, "call-back placed"));
    assert_null(strstr(log, VAPI_KEY));
    PGresult *res = PQexec(T.admin, "SELECT phone::text FROM contacts WHERE phone IS NOT NULL AND org_id IN "
                                    "(SELECT id FROM organizations WHERE name LIKE 'Call-back%')");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_true(PQntuples(res) > 5);
    for (int i = 0; i < PQntuples(res); i++)
        if (strstr(log, PQgetvalue(res, i, 0)) != NULL)
            fail_msg("the service logged a contact's number");
    PQclear(res);
    assert_null(strstr(log, "Maria"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_places_the_call_and_records_it, reset_fake),
        cmocka_unit_test_setup(test_webhook_ingest_completes_the_same_row, reset_fake),
        cmocka_unit_test_setup(test_staff_may_call, reset_fake),
        cmocka_unit_test_setup(test_second_call_within_a_minute_is_refused, reset_fake),
        cmocka_unit_test_setup(test_racing_clicks_place_one_call, reset_fake),
        cmocka_unit_test_setup(test_a_stop_waits_for_the_call_in_hand, reset_fake),
        cmocka_unit_test_setup(test_org_without_assistant_or_number_is_not_dialled, reset_fake),
        cmocka_unit_test_setup(test_contact_without_phone_is_refused, reset_fake),
        cmocka_unit_test_setup(test_another_orgs_contact_is_not_found, reset_fake),
        cmocka_unit_test_setup(test_bad_input_is_refused_before_vapi, reset_fake),
        cmocka_unit_test_setup(test_vapi_failures_are_mapped_and_leave_nothing, reset_fake),
        cmocka_unit_test_setup(test_wrong_key_is_a_refusal, reset_fake),
        cmocka_unit_test_setup(test_without_a_key_the_route_answers_503, reset_fake),
        cmocka_unit_test(test_log_holds_no_number_or_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
