/*
 * The gateway's NATS path end to end (per loop thread, served by the h2o
 * loop — services/gateway/loop_nats.h — answered by loop-driven tool-router
 * workers): every answer reaches the request that asked for it when many are
 * in flight at once; a service nobody serves is reported as such (503) rather
 * than waited for; and after the NATS server restarts, tool calls and
 * webhooks work again without restarting anything.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "vt.h"

static vt_suite suite;
static PGconn *admin;
static char org[37], assistant[37];

static const char *const VAPI_HEADERS[] = {"x-vapi-secret: test-vapi-secret", NULL};

#define CONTACTS 50

/* lookupCaller for contact i's number, with its own toolCallId. */
static char *lookup_body(const char *tool_call_id, int contact)
{
    char *body = malloc(1024);
    snprintf(body, 1024,
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"nats-call-%s\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"+15550001111\"}},\"toolCallList\":[{\"id\":\"%s\",\"type\":\"function\","
             "\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"+1555300%04d\",\"searchType\":\"phone\"}}}]}}",
             tool_call_id, assistant, tool_call_id, contact);
    return body;
}

/* The single result of a tool-calls answer if it is for tool_call_id, else NULL (malloc'd). */
static char *result_for(const vt_response *r, const char *tool_call_id)
{
    if (r->status != 200 || r->body == NULL)
        return NULL;
    cJSON *root = cJSON_Parse(r->body);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 0);
    cJSON *id = cJSON_GetObjectItem(first, "toolCallId");
    cJSON *text = cJSON_GetObjectItem(first, "result");
    char *out = NULL;
    if (cJSON_IsString(id) && strcmp(id->valuestring, tool_call_id) == 0 && cJSON_IsString(text))
        out = strdup(text->valuestring);
    cJSON_Delete(root);
    return out;
}

typedef struct caller {
    int index;
    int asked, right; /* answers naming the caller's own contact, for its own toolCallId */
} caller;

#define CALLERS  16
#define PER_CALL 60

static void *call_many(void *arg)
{
    caller *c = arg;
    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    vt_client *client = vt_client_new(); /* keep-alive, like Vapi */
    for (int i = 0; i < PER_CALL; i++) {
        int contact = (c->index * PER_CALL + i) % CONTACTS;
        char id[64], first_name[32];
        snprintf(id, sizeof(id), "many-%d-%d-%ld", c->index, i, (long)getpid());
        snprintf(first_name, sizeof(first_name), "Found you, Nats%d!", contact);
        char *body = lookup_body(id, contact);
        vt_response r = vt_client_http(client, "POST", url, VAPI_HEADERS, body, strlen(body));
        char *text = result_for(&r, id);
        c->asked++;
        c->right += text != NULL && strstr(text, first_name) != NULL;
        free(text);
        vt_response_free(&r);
        free(body);
    }
    vt_client_free(client);
    return NULL;
}

/* Hundreds of requests in flight on both loop threads and four workers: each
 * answer must come back to the request that asked, naming its contact. */
static void test_concurrent_answers_reach_their_own_requests(void **state)
{
    pthread_t threads[CALLERS];
    caller callers[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        callers[i] = (caller){.index = i};
        pthread_create(&threads[i], NULL, call_many, &callers[i]);
    }
    int right = 0;
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(threads[i], NULL);
        right += callers[i].right;
    }
    assert_int_equal(right, CALLERS * PER_CALL);
}

/* The details of /ready are the operator's: asked with the metrics token. */
static bool ready_says(const char *service, bool up)
{
    char want[64];
    snprintf(want, sizeof(want), "\"%s\":%s", service, up ? "true" : "false");
    for (int i = 0; i < 100; i++) {
        vt_response r = vt_operator_get(&suite, "/ready", true);
        bool seen = r.body != NULL && strstr(r.body, want) != NULL;
        vt_response_free(&r);
        if (seen)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

/* A service that is gone is answered 503 service_unavailable (the health
 * polls found no responder), not left to time out into a 504. */
/* Regression (issue 9): the gateway verified dashboard tokens with any
 * JWT_SECRET, .env.example's placeholder too. It now refuses to start (exit 2,
 * a clear line) before it listens. */
static void test_gateway_refuses_a_guessable_jwt_secret(void **state)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/gateway", vt_env("BIN_DIR"));
    const char *weak[] = {"JWT_SECRET=short-secret", "JWT_SECRET=change-me-to-32-random-bytes-of-entropy"};
    for (size_t i = 0; i < 2; i++) {
        const char *env[] = {weak[i], "VAPI_WEBHOOK_SECRET=test-vapi-secret", "GATEWAY_PORT=1", NULL};
        vt_run_result r = vt_run(path, NULL, env);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "JWT_SECRET cannot be used"));
        assert_null(strstr(r.err, weak[i] + strlen("JWT_SECRET="))); /* the secret itself is never printed */
        vt_run_free(&r);
    }
}

static void test_absent_service_is_503_not_a_timeout(void **state)
{
    char *token = vt_token(&suite, org, 300);
    char auth[1024], url[128];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *const headers[] = {auth, NULL};
    snprintf(url, sizeof(url), "%s/api/calls", suite.base_url);

    assert_int_equal(vt_stop(suite.dashboard, SIGTERM, 5000), 0);
    assert_true(ready_says("dashboard", false));
    vt_response r = vt_http("GET", url, headers, NULL, 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"code\":\"service_unavailable\""));
    vt_response_free(&r);

    suite.dashboard = vt_spawn("dashboard-api", "dashboard-api", NULL);
    assert_true(ready_says("dashboard", true));
    vt_response back = vt_http("GET", url, headers, NULL, 0);
    assert_int_equal(back.status, 200);
    vt_response_free(&back);
    free(token);
}

/* A rogue answerer on rpc.dashboard.> (what a forged or broken reply would
 * say): healthy to the readiness poll, and every request answered with
 * header values and a content type that try to split the response. */
static void rogue_answer(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    const char *reply = natsMsg_GetReply(msg);
    uint8_t buf[1024];
    size_t len;
    if (strstr(natsMsg_GetSubject(msg), ".health") != NULL) {
        Voxanne__V1__HealthReply h = VOXANNE__V1__HEALTH_REPLY__INIT;
        h.service = "dashboard";
        h.ok = true;
        h.detail = "rogue";
        len = voxanne__v1__health_reply__pack(&h, buf);
    } else {
        Voxanne__V1__GatewayResponse resp = VOXANNE__V1__GATEWAY_RESPONSE__INIT;
        Voxanne__V1__KeyValue split = VOXANNE__V1__KEY_VALUE__INIT, fine = VOXANNE__V1__KEY_VALUE__INIT,
                              cookie = VOXANNE__V1__KEY_VALUE__INIT;
        split.key = "x-split";
        split.value = "1\r\nset-cookie: stolen=1";
        fine.key = "x-fine";
        fine.value = "yes";
        cookie.key = "set-cookie";
        cookie.value = "session=rogue";
        Voxanne__V1__KeyValue *headers[] = {&split, &fine, &cookie};
        resp.headers = headers;
        resp.n_headers = 3;
        resp.status = 200;
        resp.content_type = "text/html\r\nx-injected: 1";
        resp.body.data = (uint8_t *)"{}";
        resp.body.len = 2;
        len = voxanne__v1__gateway_response__pack(&resp, buf);
    }
    if (reply != NULL)
        natsConnection_Publish(nc, reply, buf, (int)len);
    natsMsg_Destroy(msg);
}

/* GET path with headers over a raw HTTP/1.1 connection: the whole answer, head included (malloc'd). */
static char *raw_get(const char *path, const char *auth)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)suite.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[2048];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\nConnection: close\r\n\r\n", path, auth);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    ssize_t got;
    while (len + 1 < cap && (got = read(fd, out + len, cap - len - 1)) > 0)
        len += (size_t)got;
    out[len] = '\0';
    close(fd);
    return out;
}

/* A service's answer reaches the client's response head only as data: a
 * header or content type with CR/LF is dropped, never copied (a forged
 * reply cannot split the response or set a cookie). */
static void test_a_services_headers_cannot_split_the_response(void **state)
{
    char *token = vt_token(&suite, org, 300);
    char auth[1024];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    assert_int_equal(vt_stop(suite.dashboard, SIGTERM, 5000), 0);
    assert_true(ready_says("dashboard", false));
    natsConnection *rogue = NULL;
    natsSubscription *sub = NULL;
    assert_int_equal(natsConnection_ConnectTo(&rogue, vt_env("NATS_URL")), NATS_OK);
    assert_int_equal(natsConnection_Subscribe(&sub, rogue, "rpc.dashboard.>", rogue_answer, NULL), NATS_OK);
    assert_true(ready_says("dashboard", true));

    char *answer = raw_get("/api/calls", auth);
    assert_non_null(strstr(answer, "HTTP/1.1 200"));
    char *body = strstr(answer, "\r\n\r\n");
    assert_non_null(body);
    *body = '\0'; /* the head only */
    assert_non_null(strstr(answer, "x-fine: yes"));
    assert_null(strstr(answer, "x-split"));
    assert_null(strstr(answer, "stolen"));
    assert_null(strstr(answer, "set-cookie"));
    assert_null(strstr(answer, "x-injected"));
    assert_non_null(strstr(answer, "content-type: application/json"));
    free(answer);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(rogue);
    suite.dashboard = vt_spawn("dashboard-api", "dashboard-api", NULL);
    assert_true(ready_says("dashboard", true));
    free(token);
}

/* Tries a lookup every 100 ms for up to 20 s; true once one is answered from the database. */
static bool lookup_works_within_20s(const char *label)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    for (int i = 0; i < 200; i++) {
        char id[64];
        snprintf(id, sizeof(id), "%s-%d-%ld", label, i, (long)getpid());
        char *body = lookup_body(id, 7);
        vt_response r = vt_http("POST", url, VAPI_HEADERS, body, strlen(body));
        char *text = result_for(&r, id);
        bool ok = text != NULL && strstr(text, "Found you, Nats7!") != NULL;
        free(text);
        vt_response_free(&r);
        free(body);
        if (ok)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static void test_everything_works_again_after_nats_restarts(void **state)
{
    assert_true(lookup_works_within_20s("before"));
    assert_int_equal(vt_infra("nats-stop"), 0);
    assert_int_equal(vt_infra("nats-start"), 0);
    /* Every loop thread and every worker reconnects on its own. */
    assert_true(lookup_works_within_20s("after"));
    char url[128], call_id[37];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    vt_uuid(call_id);
    char *report = vt_vapi_report(call_id, assistant);
    int status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        vt_response r = vt_http("POST", url, VAPI_HEADERS, report, strlen(report));
        status = r.status;
        vt_response_free(&r);
        if (status != 200)
            usleep(100 * 1000);
    }
    free(report);
    assert_int_equal(status, 200);
    const char *p[1] = {call_id};
    assert_int_equal(vt_wait_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p, 1, 10000), 1);
    assert_true(vt_alive(suite.gateway));
    assert_true(vt_alive(suite.tools));
}

/* A program asked to stop while it still waits for NATS at start-up (an
 * orchestrator's stop during a NATS outage) exits 0, as from any stop: a
 * stop is not a failed start. It exited 1, which failed the test below once
 * when a loaded machine had dashboard-api still connecting as NATS went. */
static void test_a_program_stopped_while_waiting_for_nats_exits_0(void **state)
{
    char nowhere[64];
    snprintf(nowhere, sizeof nowhere, "NATS_URL=nats://127.0.0.1:%d", vt_free_port());
    const char *env[] = {nowhere, NULL};
    static const char *const programs[] = {"dashboard-api", "tool-router", "webhook-ingest"};
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char log[64];
        snprintf(log, sizeof log, "%s-no-nats", programs[i]);
        pid_t pid = vt_spawn(programs[i], log, env);
        usleep(700 * 1000); /* started, and waiting for a server that is not there */
        assert_true(vt_alive(pid));
        if (vt_stop(pid, SIGTERM, 5000) != 0)
            fail_msg("%s did not exit 0 when stopped while waiting for NATS", programs[i]);
    }
}

/* A stop while NATS is away: nothing can arrive or be answered, so waiting
 * for a drain the server will never confirm only delays the stop (it used to
 * take dashboard-api 5 s per worker, past an orchestrator's grace period). */
static void test_every_program_stops_cleanly_while_nats_is_down(void **state)
{
    assert_int_equal(vt_infra("nats-stop"), 0);
    /* Each program must exit 0 within the suite's usual budget (as
     * vt_suite_stop gives); judged only once NATS is back, so that a
     * failure here cannot leave the tests after this one without NATS. */
    int gateway = vt_stop(suite.gateway, SIGTERM, 5000), ingest = vt_stop(suite.ingest, SIGTERM, 10000);
    int dashboard = vt_stop(suite.dashboard, SIGTERM, 5000), tools = vt_stop(suite.tools, SIGTERM, 5000);
    assert_int_equal(vt_infra("nats-start"), 0);
    vt_suite_start(&suite); /* for the teardown, and to show all is well again */
    assert_int_equal(gateway, 0);
    assert_int_equal(ingest, 0);
    assert_int_equal(dashboard, 0);
    assert_int_equal(tools, 0);
    assert_true(lookup_works_within_20s("restarted"));
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    admin = vt_admin();
    vt_uuid(assistant);
    vt_create_org(admin, "Nats Clinic", assistant, NULL, NULL, org);
    const char *p[1] = {org};
    vt_sql_exec(admin,
                "INSERT INTO contacts (org_id, first_name, last_name, phone) "
                "SELECT $1, 'Nats' || i, 'Caller', '+1555300' || lpad(i::text, 4, '0') FROM generate_series(0, 49) AS i",
                1, p);
    vt_suite_start(&suite);
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    const char *p[1] = {org};
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id = $1", 1, p);
    PQfinish(admin);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_answers_reach_their_own_requests),
        cmocka_unit_test(test_gateway_refuses_a_guessable_jwt_secret),
        cmocka_unit_test(test_absent_service_is_503_not_a_timeout),
        cmocka_unit_test(test_a_services_headers_cannot_split_the_response),
        cmocka_unit_test(test_everything_works_again_after_nats_restarts),
        cmocka_unit_test(test_a_program_stopped_while_waiting_for_nats_exits_0),
        cmocka_unit_test(test_every_program_stops_cleanly_while_nats_is_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
