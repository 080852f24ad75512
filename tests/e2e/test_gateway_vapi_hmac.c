/*
 * End to end through the gateway configured with Vapi's HMAC credential
 * (VAPI_WEBHOOK_HMAC_SECRET) and, as an operator migrating to it would leave
 * it, the shared secret too (VAPI_WEBHOOK_SECRET). Only a signed request may
 * pass then, and each signature only once (issue 9):
 *   - the shared secret, as x-vapi-secret or as a bearer token, is refused;
 *   - a request signed at a fresh timestamp is accepted and stored; sent
 *     again (the same signature, in any spelling) it is refused 401
 *     replayed_request; re-signed at another timestamp, as a new delivery
 *     would be, it is accepted again;
 *   - the per-tool route behaves the same.
 * Each refused request stores nothing.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_time.h"

static vt_suite suite;
static PGconn *admin;
static char org[37], assistant[64];

static vt_response post(const char *path, const char *body, const char *const *headers)
{
    char url[160];
    snprintf(url, sizeof(url), "%s%s", suite.base_url, path);
    return vt_http("POST", url, headers, body, strlen(body));
}

static long rows_for(const char *call_id)
{
    const char *p[1] = {call_id};
    return vt_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p);
}

static long wait_rows_for(const char *call_id, long want)
{
    const char *p[1] = {call_id};
    return vt_wait_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p, want, 15000);
}

static int64_t now_s(void)
{
    return vx_now_ms() / 1000;
}

/* The answer's {"code"} (the body must be {"error","code"}), malloc'd. */
static char *error_code(const vt_response *r)
{
    cJSON *err = cJSON_Parse(r->body);
    assert_non_null(err);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(err, "error")));
    const cJSON *code = cJSON_GetObjectItem(err, "code");
    assert_true(cJSON_IsString(code));
    char *out = strdup(code->valuestring);
    cJSON_Delete(err);
    return out;
}

static void expect_refused(const vt_response *r, const char *code)
{
    assert_int_equal(r->status, 401);
    char *got = error_code(r);
    assert_string_equal(got, code);
    free(got);
}

/* Posts a signed report for a fresh call and waits until it is stored: after
 * this, anything posted before it has been processed too. */
static void barrier(void)
{
    char call_id[37];
    vt_uuid(call_id);
    char *body = vt_vapi_report(call_id, assistant);
    vt_hmac_headers h;
    vt_hmac_sign(&suite, body, strlen(body), now_s(), &h);
    vt_response r = post("/api/vapi/webhook", body, h.list);
    assert_int_equal(r.status, 200);
    assert_int_equal(wait_rows_for(call_id, 1), 1);
    vt_response_free(&r);
    free(body);
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    admin = vt_admin();
    vt_uuid(assistant);
    vt_create_org(admin, "Clinic HMAC", assistant, NULL, NULL, org);
    suite.vapi_auth = VT_VAPI_HMAC;
    vt_suite_start(&suite);
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    PQfinish(admin);
    return 0;
}

/* Regression (issue 9): with the HMAC credential configured, the static
 * secret still opened every Vapi route — and a captured x-vapi-secret works
 * for any body, forever. */
static void test_shared_secret_is_refused_when_hmac_is_configured(void **state)
{
    char call_id[37];
    vt_uuid(call_id);
    char *body = vt_vapi_report(call_id, assistant);
    const char *const header[] = {"x-vapi-secret: test-vapi-secret", NULL};
    const char *const bearer[] = {"Authorization: Bearer test-vapi-secret", NULL};
    const char *const hmac_key_as_secret[] = {"x-vapi-secret: test-hmac-secret", NULL};
    const char *const *cases[] = {header, bearer, hmac_key_as_secret};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_response r = post("/api/vapi/webhook", body, cases[i]);
        expect_refused(&r, "unauthorized");
        vt_response_free(&r);
    }
    /* The shared secret beside a wrong signature does not help either. */
    vt_hmac_headers h;
    vt_hmac_sign(&suite, "{}", 2, now_s(), &h);
    const char *const both[] = {"x-vapi-secret: test-vapi-secret", h.signature, h.timestamp, NULL};
    vt_response r = post("/api/vapi/webhook", body, both);
    expect_refused(&r, "unauthorized");
    vt_response_free(&r);
    /* The tool route too. */
    r = post("/api/vapi/tools/lookupCaller", "{\"message\":{\"type\":\"tool-calls\"}}", header);
    expect_refused(&r, "unauthorized");
    vt_response_free(&r);
    barrier();
    assert_int_equal(rows_for(call_id), 0);
    free(body);
}

/* Regression (issue 9): a signed request could be sent again, as often as
 * wanted, while its timestamp stayed within the ±300 s window. */
static void test_a_signature_authenticates_one_request(void **state)
{
    char call_id[37];
    vt_uuid(call_id);
    char *body = vt_vapi_report(call_id, assistant);
    int64_t ts = now_s();
    vt_hmac_headers h;
    vt_hmac_sign(&suite, body, strlen(body), ts, &h);
    vt_response first = post("/api/vapi/webhook", body, h.list);
    assert_int_equal(first.status, 200);
    vt_response_free(&first);
    assert_int_equal(wait_rows_for(call_id, 1), 1);

    /* The same request again: refused. */
    vt_response again = post("/api/vapi/webhook", body, h.list);
    expect_refused(&again, "replayed_request");
    vt_response_free(&again);
    /* The same signature spelled otherwise (upper case, "sha256=" prefix): the same signature. */
    char upper[sizeof(h.signature)], prefixed[256];
    snprintf(upper, sizeof(upper), "%s", h.signature);
    for (char *c = upper + strlen("x-signature: "); *c != '\0'; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 32);
    snprintf(prefixed, sizeof(prefixed), "x-signature: sha256=%s", h.signature + strlen("x-signature: "));
    const char *const spelled[][3] = {{upper, h.timestamp, NULL}, {prefixed, h.timestamp, NULL}};
    for (size_t i = 0; i < 2; i++) {
        vt_response r = post("/api/vapi/webhook", body, spelled[i]);
        expect_refused(&r, "replayed_request");
        vt_response_free(&r);
    }
    /* A new delivery of the same message is signed at its own timestamp: accepted
     * (and stored once: the report's de-duplication id is its call). */
    vt_hmac_headers later;
    vt_hmac_sign(&suite, body, strlen(body), ts + 1, &later);
    vt_response redelivered = post("/api/vapi/webhook", body, later.list);
    assert_int_equal(redelivered.status, 200);
    vt_response_free(&redelivered);
    /* A stale timestamp is no signature at all. */
    vt_hmac_headers stale;
    vt_hmac_sign(&suite, body, strlen(body), ts - 3600, &stale);
    vt_response old = post("/api/vapi/webhook", body, stale.list);
    expect_refused(&old, "unauthorized");
    vt_response_free(&old);
    barrier();
    assert_int_equal(rows_for(call_id), 1);
    free(body);
}

/* A tool call is answered at once by tool-router (a booking, a transfer): a
 * replayed one would ask it again. The per-tool route checks replays too. */
static void test_replayed_tool_call_is_refused(void **state)
{
    const char *body = "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":\"call_hmac_1\",\"type\":\"function\","
                       "\"function\":{\"name\":\"noSuchTool\",\"arguments\":{}}}]}}";
    vt_hmac_headers h;
    vt_hmac_sign(&suite, body, strlen(body), now_s(), &h);
    vt_response first = post("/api/vapi/tools/noSuchTool", body, h.list);
    assert_int_equal(first.status, 200);
    vt_response_free(&first);
    vt_response again = post("/api/vapi/tools/noSuchTool", body, h.list);
    expect_refused(&again, "replayed_request");
    vt_response_free(&again);
    /* The same signature on the other Vapi route is the same signature. */
    vt_response other_route = post("/api/vapi/webhook", body, h.list);
    expect_refused(&other_route, "replayed_request");
    vt_response_free(&other_route);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_secret_is_refused_when_hmac_is_configured),
        cmocka_unit_test(test_a_signature_authenticates_one_request),
        cmocka_unit_test(test_replayed_tool_call_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
