/*
 * The owner's integrations end to end: dashboard → gateway → credential-vault
 * → the wire-faithful Twilio, Vapi and Google OAuth fakes (tests/fakes/).
 *
 * Proves: Twilio connect validates with Twilio, stores encrypted, creates
 * Vapi's credential and number (with our server URL, no assistant) and links
 * the number to the org's agent; a wrong token is a 400 with the generic
 * sentence, stores nothing and never calls Vapi; a failed Vapi import is a
 * precise partial answer whose retry finishes without a second credential or
 * number; DELETE removes it here and at Vapi; Google's consent URL carries
 * the forever-link parameters and a signed state; a tampered, expired, other
 * org's or reused state is refused and stores nothing; invalid_grant later
 * marks "reconnect needed"; another org's token never sees, reads or deletes
 * org A's integrations; no answer of any integrations route holds a secret.
 */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voxanne/v1/vault.pb-c.h"
#include "vt.h"
#include "vx_crypto.h"
#include "vx_query.h"
#include "vx_time.h"

#define ENCRYPTION_KEY "6b1d3c0ad7b94f4e8a2d5c7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9012345"
#define SID_A          "AC0123456789abcdef0123456789abcdef"
#define TOKEN_A        "5f4dcc3b5aa765d61d8327deb882cf99"
#define VAPI_KEY       "test-vapi-private-key"
#define CLIENT_ID      "test-client-id.apps.googleusercontent.com"
#define CLIENT_SECRET  "test-client-secret"
#define DASHBOARD      "https://dashboard.example/settings/integrations"

static vt_suite suite;
static PGconn *admin;
static natsConnection *nc;
static pid_t vault, twilio, vapi, google;
static char twilio_url[64], vapi_url[64], google_url[64];
static char org_a[37], org_b[37], number_a[16];
static char *token_a, *token_b, *staff_a;
/* Every body an integrations route answered, searched for secrets at the end. */
static vx_buf answers = VX_BUF_INIT;

static vt_response api(const char *method, const char *path, const char *token, const char *body)
{
    char url[512], auth[1200];
    snprintf(url, sizeof(url), "%s%s", suite.base_url, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token != NULL ? token : "");
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    vt_response r = vt_http(method, url, token != NULL ? headers : headers + 1, body, body != NULL ? strlen(body) : 0);
    if (r.body != NULL)
        vx_buf_puts(&answers, r.body);
    return r;
}

static int vapi_count(const char *what)
{
    cJSON *doc = vt_fake_get_json(vapi_url, "/_fake/state");
    int n = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "created"), what)->valueint;
    cJSON_Delete(doc);
    return n;
}

static long credential_rows(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_long(admin, "SELECT count(*) FROM org_credentials WHERE org_id = $1", 1, p);
}

static const char *step(const cJSON *doc, const char *name)
{
    const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "steps"), name);
    return cJSON_IsString(s) ? s->valuestring : "";
}

static char *twilio_body(const char *sid, const char *token, const char *number)
{
    char *b = malloc(256);
    snprintf(b, 256, "{\"accountSid\":\"%s\",\"authToken\":\"%s\",\"phoneNumber\":\"%s\"}", sid, token, number);
    return b;
}

static int setup(void **state)
{
    vt_suite_start(&suite);
    admin = vt_admin();
    VT_REQUIRE(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")) == NATS_OK, "NATS");
    vt_create_org(admin, "Integrations A", NULL, NULL, NULL, org_a);
    vt_create_org(admin, "Integrations B", NULL, NULL, NULL, org_b);
    vt_random_e164(number_a);
    token_a = vt_token(&suite, org_a, 600);
    token_b = vt_token(&suite, org_b, 600);
    staff_a = vt_token_as(&suite, org_a, "staff", 600);

    int tport = vt_free_port(), vport = vt_free_port(), gport = vt_free_port();
    snprintf(twilio_url, sizeof(twilio_url), "http://127.0.0.1:%d", tport);
    snprintf(vapi_url, sizeof(vapi_url), "http://127.0.0.1:%d", vport);
    snprintf(google_url, sizeof(google_url), "http://127.0.0.1:%d", gport);
    static char tp[48], vp[48], gp[48], tb[128], vb[128], gb[128], redirect[160];
    snprintf(tp, sizeof(tp), "TWILIO_FAKE_PORT=%d", tport);
    snprintf(vp, sizeof(vp), "VAPI_API_FAKE_PORT=%d", vport);
    snprintf(gp, sizeof(gp), "GOOGLE_OAUTH_FAKE_PORT=%d", gport);
    const char *tenv[] = {tp, NULL};
    const char *venv[] = {vp, "VAPI_API_FAKE_KEY=" VAPI_KEY, NULL};
    const char *genv[] = {gp, "GOOGLE_OAUTH_FAKE_CLIENT_ID=" CLIENT_ID, "GOOGLE_OAUTH_FAKE_CLIENT_SECRET=" CLIENT_SECRET, NULL};
    twilio = vt_spawn("twilio", "fake-twilio", tenv);
    vapi = vt_spawn("vapi_api", "fake-vapi-api", venv);
    google = vt_spawn("google_oauth", "fake-google-oauth", genv);
    snprintf(tb, sizeof(tb), "TWILIO_API_BASE_URL=%s", twilio_url);
    snprintf(vb, sizeof(vb), "VAPI_API_BASE_URL=%s", vapi_url);
    snprintf(gb, sizeof(gb), "GOOGLE_OAUTH_BASE_URL=%s", google_url);
    snprintf(redirect, sizeof(redirect), "GOOGLE_REDIRECT_URI=%s/api/integrations/google/callback", suite.base_url);
    const char *env[] = {"ENCRYPTION_KEY=" ENCRYPTION_KEY,
                         tb,
                         vb,
                         "VAPI_PRIVATE_KEY=" VAPI_KEY,
                         gb,
                         "GOOGLE_CLIENT_ID=" CLIENT_ID,
                         "GOOGLE_CLIENT_SECRET=" CLIENT_SECRET,
                         redirect,
                         "PUBLIC_BASE_URL=https://voxanne.example",
                         "DASHBOARD_URL=" DASHBOARD,
                         NULL};
    vault = vt_start_service(nc, "credential-vault", "integrations", "credential-vault", env);
    char url[128];
    snprintf(url, sizeof(url), "%s/_fake/requests", twilio_url);
    VT_REQUIRE(vt_wait_http_ok(url, 5000), "the Twilio fake did not start");
    snprintf(url, sizeof(url), "%s/_fake/state", vapi_url);
    VT_REQUIRE(vt_wait_http_ok(url, 5000), "the Vapi fake did not start");
    snprintf(url, sizeof(url), "%s/_fake/stats", google_url);
    VT_REQUIRE(vt_wait_http_ok(url, 5000), "the Google fake did not start");

    char account[256];
    snprintf(account, sizeof(account), "{\"sid\":\"%s\",\"authToken\":\"%s\",\"numbers\":[\"%s\",\"+15550009999\"]}", SID_A,
             TOKEN_A, number_a);
    vt_fake_post(twilio_url, "/_fake/accounts", account);
    return 0;
}

static int teardown(void **state)
{
    int v = vt_stop(vault, SIGTERM, 5000);
    vt_stop(twilio, SIGTERM, 5000);
    vt_stop(vapi, SIGTERM, 5000);
    vt_stop(google, SIGTERM, 5000);
    vt_suite_stop(&suite);
    natsConnection_Destroy(nc);
    PQfinish(admin);
    free(token_a);
    free(token_b);
    free(staff_a);
    vx_buf_free(&answers);
    VT_REQUIRE(v == 0, "credential-vault did not stop cleanly (see build/test-logs/credential-vault.log)");
    return 0;
}

static void test_bad_input_changes_nothing(void **state)
{
    const char *bodies[] = {
        "not json",
        "[]",
        "{\"accountSid\":\"AC123\",\"authToken\":\"" TOKEN_A "\",\"phoneNumber\":\"+15551234567\"}",
        "{\"accountSid\":\"" SID_A "\",\"phoneNumber\":\"+15551234567\"}",
        "{\"accountSid\":\"" SID_A "\",\"authToken\":\"has space in it\",\"phoneNumber\":\"+15551234567\"}",
        "{\"accountSid\":\"" SID_A "\",\"authToken\":\"" TOKEN_A "\",\"phoneNumber\":\"555-1234\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        vt_response r = api("POST", "/api/integrations/twilio", token_a, bodies[i]);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "\"code\""));
        vt_response_free(&r);
    }
    vt_response r = api("POST", "/api/integrations/twilio", NULL, "{}");
    assert_int_equal(r.status, 401);
    vt_response_free(&r);
    /* Connecting is the owner's; the front desk may only look. */
    char *body = twilio_body(SID_A, TOKEN_A, number_a);
    r = api("POST", "/api/integrations/twilio", staff_a, body);
    assert_int_equal(r.status, 403);
    vt_response_free(&r);
    free(body);
    r = api("GET", "/api/integrations", staff_a, NULL);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    assert_int_equal(credential_rows(org_a), 0);
    assert_int_equal(vapi_count("credentials"), 0);
}

static void test_a_wrong_token_is_refused_and_vapi_never_called(void **state)
{
    char *body = twilio_body(SID_A, "00000000000000000000000000000000", number_a);
    vt_response r = api("POST", "/api/integrations/twilio", token_a, body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Twilio rejected these credentials"));
    assert_non_null(strstr(r.body, "twilio_rejected"));
    vt_response_free(&r);
    free(body);
    /* A number that is not the account's. */
    body = twilio_body(SID_A, TOKEN_A, "+15557770000");
    r = api("POST", "/api/integrations/twilio", token_a, body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "number_not_on_account"));
    vt_response_free(&r);
    free(body);
    assert_int_equal(credential_rows(org_a), 0);
    assert_int_equal(vapi_count("credentials"), 0);
    assert_int_equal(vapi_count("phoneNumbers"), 0);
}

static void test_a_failed_import_is_partial_and_the_retry_finishes_it(void **state)
{
    vt_fake_post(vapi_url, "/_fake/fail", "{\"path\":\"/phone-number\",\"method\":\"POST\",\"status\":500,\"count\":1}");
    char *body = twilio_body(SID_A, TOKEN_A, number_a);
    vt_response r = api("POST", "/api/integrations/twilio", token_a, body);
    assert_int_equal(r.status, 502);
    cJSON *doc = cJSON_Parse(r.body);
    assert_string_equal(step(doc, "validated"), "done");
    assert_string_equal(step(doc, "stored"), "done");
    assert_string_equal(step(doc, "vapiCredential"), "done");
    assert_string_equal(step(doc, "numberImported"), "failed");
    assert_string_equal(step(doc, "linked"), "pending");
    assert_string_equal(cJSON_GetObjectItem(doc, "code")->valuestring, "setup_incomplete");
    cJSON_Delete(doc);
    vt_response_free(&r);
    assert_int_equal(credential_rows(org_a), 1);

    r = api("POST", "/api/integrations/twilio", token_a, body);
    assert_int_equal(r.status, 200);
    doc = cJSON_Parse(r.body);
    assert_string_equal(step(doc, "numberImported"), "done");
    assert_string_equal(step(doc, "linked"), "done");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "complete")));
    cJSON_Delete(doc);
    vt_response_free(&r);
    /* And again: nothing more is created. */
    r = api("POST", "/api/integrations/twilio", token_a, body);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    free(body);
    assert_int_equal(vapi_count("credentials"), 1);
    assert_int_equal(vapi_count("phoneNumbers"), 1);

    /* Imported with our server URL and no fixed assistant, and linked to the org's agent. */
    cJSON *st = vt_fake_get_json(vapi_url, "/_fake/state");
    cJSON *num = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "phoneNumbers"), 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(num, "server"), "url")->valuestring,
                        "https://voxanne.example/api/vapi/webhook");
    assert_null(cJSON_GetObjectItem(num, "assistantId"));
    const char *p[2] = {org_a, cJSON_GetObjectItem(num, "id")->valuestring};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM agents WHERE org_id = $1 AND vapi_phone_number_id = $2", 2, p), 1);
    cJSON_Delete(st);

    r = api("GET", "/api/integrations", token_a, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, number_a));
    assert_non_null(strstr(r.body, "\"status\":\"verified\""));
    vt_response_free(&r);
}

/* No byte of the auth token in the database (all of it, as text), in any log or in the NATS store. */
static void test_the_token_is_nowhere_but_sealed(void **state)
{
    const char *p[1] = {TOKEN_A};
    assert_int_equal(
        vt_sql_long(admin,
                    "SELECT count(*) FROM org_credentials c WHERE position(convert_to($1, 'UTF8') IN c.ciphertext) > 0 "
                    "OR c::text LIKE '%' || $1 || '%'",
                    1, p),
        0);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "pg_dump --data-only '%s' | grep -c '%s'; grep -rl '%s' build/test-logs/ \"$VX_STATE_DIR\" 2>/dev/null | grep -v "
             "'\\.out$' | "
             "wc -l",
             vt_env("ADMIN_DATABASE_URL"), TOKEN_A, TOKEN_A);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line1[32] = "", line2[32] = "";
    assert_non_null(fgets(line1, sizeof(line1), f));
    assert_non_null(fgets(line2, sizeof(line2), f));
    pclose(f);
    assert_int_equal(atoi(line1), 0);
    assert_int_equal(atoi(line2), 0);
}

static void test_another_org_never_sees_or_deletes_it(void **state)
{
    vt_response r = api("GET", "/api/integrations", token_b, NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, number_a));
    assert_non_null(strstr(r.body, "\"connected\":false"));
    vt_response_free(&r);
    r = api("DELETE", "/api/integrations/twilio", token_b, NULL);
    assert_int_equal(r.status, 404);
    vt_response_free(&r);
    assert_int_equal(credential_rows(org_a), 1);
    /* B cannot claim A's number either. */
    char *body = twilio_body(SID_A, TOKEN_A, number_a);
    r = api("POST", "/api/integrations/twilio", token_b, body);
    assert_int_equal(r.status, 409);
    vt_response_free(&r);
    free(body);
    assert_int_equal(credential_rows(org_b), 0);
}

static void test_delete_removes_it_here_and_at_vapi(void **state)
{
    vt_response r = api("DELETE", "/api/integrations/twilio", token_a, NULL);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    assert_int_equal(credential_rows(org_a), 0);
    cJSON *st = vt_fake_get_json(vapi_url, "/_fake/state");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "credentials")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "phoneNumbers")), 0);
    cJSON_Delete(st);
    const char *p[1] = {org_a};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM agents WHERE org_id = $1 AND vapi_phone_number_id IS NOT NULL", 1, p),
                     0);
    r = api("DELETE", "/api/integrations/twilio", token_a, NULL);
    assert_int_equal(r.status, 404);
    vt_response_free(&r);
    /* The owner's audit log holds each connection (the earlier tests made
     * several) and the one removal, by name of provider only. */
    assert_true(vt_sql_long(admin,
                            "SELECT count(*) FROM audit_log WHERE org_id = $1 AND target_id = 'twilio'"
                            " AND action = 'integration.twilio_connected' AND details = '{}'::jsonb AND actor_role = 'owner'",
                            1, p) >= 1);
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM audit_log WHERE org_id = $1 AND target_id = 'twilio'"
                                 " AND action = 'integration.twilio_disconnected'",
                                 1, p),
                     1);
}

/* The suite's gateway gives services 2 s (GATEWAY_UPSTREAM_TIMEOUT_MS);
 * routes that wait on outside providers get GATEWAY_PROVIDER_TIMEOUT_MS
 * (30 s), so a connect whose Twilio takes 2.4 s is answered, not 504. */
static void test_a_slow_provider_is_waited_for(void **state)
{
    vt_fake_post(twilio_url, "/_fake/slow", "{\"delay_ms\":1200,\"count\":2}");
    char *body = twilio_body(SID_A, TOKEN_A, number_a);
    int64_t started = vx_now_ms();
    vt_response r = api("POST", "/api/integrations/twilio", token_a, body);
    assert_true(vx_now_ms() - started >= 2400);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    free(body);
    r = api("DELETE", "/api/integrations/twilio", token_a, NULL);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

/* The consent URL's state, and the URL itself checked. malloc'd. */
static char *authorize(const char *token)
{
    vt_response r = api("GET", "/api/integrations/google/authorize", token, NULL);
    assert_int_equal(r.status, 200);
    cJSON *doc = cJSON_Parse(r.body);
    const char *url = cJSON_GetObjectItem(doc, "url")->valuestring;
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s/o/oauth2/v2/auth?", google_url);
    assert_memory_equal(url, prefix, strlen(prefix));
    const char *query = url + strlen(prefix);
    char v[1024];
    assert_int_equal(vx_query_get(query, "access_type", v, sizeof(v)), VX_QUERY_OK);
    assert_string_equal(v, "offline");
    assert_int_equal(vx_query_get(query, "prompt", v, sizeof(v)), VX_QUERY_OK);
    assert_string_equal(v, "consent");
    assert_int_equal(vx_query_get(query, "response_type", v, sizeof(v)), VX_QUERY_OK);
    assert_string_equal(v, "code");
    assert_int_equal(vx_query_get(query, "client_id", v, sizeof(v)), VX_QUERY_OK);
    assert_string_equal(v, CLIENT_ID);
    assert_int_equal(vx_query_get(query, "scope", v, sizeof(v)), VX_QUERY_OK);
    assert_non_null(strstr(v, "https://www.googleapis.com/auth/calendar"));
    assert_non_null(strstr(v, "https://www.googleapis.com/auth/userinfo.email"));
    assert_int_equal(vx_query_get(query, "redirect_uri", v, sizeof(v)), VX_QUERY_OK);
    assert_non_null(strstr(v, "/api/integrations/google/callback"));
    assert_int_equal(vx_query_get(query, "state", v, sizeof(v)), VX_QUERY_OK);
    char *state = strdup(v);
    cJSON_Delete(doc);
    vt_response_free(&r);
    return state;
}

/* Registers code at the fake Google for email, refresh token expiring per expires_in. */
static void google_code(const char *code, const char *email, int expires_in)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"code\":\"%s\",\"email\":\"%s\",\"redirectUri\":\"%s/api/integrations/google/callback\",\"expiresIn\":%d}", code,
             email, suite.base_url, expires_in);
    vt_fake_post(google_url, "/_fake/codes", body);
}

static vt_response callback(const char *state, const char *code)
{
    vx_buf q = VX_BUF_INIT;
    vx_query_append(&q, "state", state);
    vx_query_append(&q, "code", code);
    vx_query_append(&q, "scope", "https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/userinfo.email");
    char path[2048];
    snprintf(path, sizeof(path), "/api/integrations/google/callback?%s", q.data);
    vx_buf_free(&q);
    return api("GET", path, NULL, NULL);
}

/* A state for org made at unix second made_at, signed with the vault's key, as the vault makes them. */
static char *forge_state(const char *org, int64_t made_at)
{
    uint8_t key[32], state_key[32], mac[32];
    vx_hex_decode(ENCRYPTION_KEY, 64, key, 32);
    vx_hmac_sha256(key, 32, "voxanne-oauth-state-key-v1", strlen("voxanne-oauth-state-key-v1"), state_key);
    char head[160];
    snprintf(head, sizeof(head), "v1.%s.%lld.AAAAAAAAAAAAAAAAAAAAAA", org, (long long)(made_at + 600));
    vx_hmac_sha256(state_key, 32, head, strlen(head), mac);
    char *mac64 = vx_base64url_encode(mac, 32);
    char *out = malloc(strlen(head) + strlen(mac64) + 2);
    sprintf(out, "%s.%s", head, mac64);
    free(mac64);
    return out;
}

static void test_google_refuses_every_state_it_did_not_make_for_that_org(void **state)
{
    google_code("code-bad-states", "owner-a@example.com", 3599);
    char *good = authorize(token_a);
    /* Tampered: one character of the MAC changed. */
    char *tampered = strdup(good);
    tampered[strlen(tampered) - 2] = tampered[strlen(tampered) - 2] == 'A' ? 'B' : 'A';
    /* Another org's: the org swapped, the MAC kept. */
    char *swapped = strdup(good);
    memcpy(swapped + 3, org_b, 36);
    /* Expired: made 11 minutes ago with the right key. */
    char *expired = forge_state(org_a, vx_now_ms() / 1000 - 660);
    const char *bad[] = {tampered, swapped, expired, "", "v1.x.y.z.w"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_response r = callback(bad[i], "code-bad-states");
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "invalid_state"));
        vt_response_free(&r);
    }
    assert_int_equal(credential_rows(org_a), 0);
    assert_int_equal(credential_rows(org_b), 0);
    cJSON *stats = vt_fake_get_json(google_url, "/_fake/stats");
    assert_int_equal(cJSON_GetObjectItem(stats, "exchanges")->valueint, 0);
    cJSON_Delete(stats);
    free(tampered);
    free(swapped);
    free(expired);
    free(good);
}

static void test_google_connects_and_invalid_grant_asks_to_reconnect(void **state)
{
    /* expiresIn 61: the access token is cached for one second only. */
    google_code("code-a-1", "owner-a@example.com", 61);
    char *st = authorize(token_a);
    vt_response r = callback(st, "code-a-1");
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, DASHBOARD "?google=connected");
    vt_response_free(&r);
    /* A state is good once. */
    r = callback(st, "code-a-1");
    assert_int_equal(r.status, 400);
    vt_response_free(&r);
    free(st);
    const char *pa[1] = {org_a};
    assert_int_equal(
        vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'integration.google_connected'", 1, pa),
        1);

    r = api("GET", "/api/integrations", token_a, NULL);
    assert_non_null(strstr(r.body, "owner-a@example.com"));
    vt_response_free(&r);

    /* tool-router's question, as tool-router asks it. */
    Voxanne__V1__GoogleTokenRequest req = VOXANNE__V1__GOOGLE_TOKEN_REQUEST__INIT;
    req.request_id = "it-google";
    req.org_id = org_a;
    uint8_t buf[256];
    size_t len = voxanne__v1__google_token_request__pack(&req, buf);
    natsMsg *msg = NULL;
    assert_int_equal(natsConnection_Request(&msg, nc, "rpc.vault.tool-router.google_token", buf, (int)len, 5000), NATS_OK);
    Voxanne__V1__GoogleTokenReply *rep =
        voxanne__v1__google_token_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    assert_true(rep->connected);
    assert_true(strncmp(rep->access_token, "ya29.", 5) == 0);
    voxanne__v1__google_token_reply__free_unpacked(rep, NULL);
    natsMsg_Destroy(msg);

    /* The owner revokes access at Google; the next refresh gets invalid_grant. */
    vt_fake_post(google_url, "/_fake/revoke", "{\"email\":\"owner-a@example.com\"}");
    vt_sleep_ms(1200);
    assert_int_equal(natsConnection_Request(&msg, nc, "rpc.vault.tool-router.google_token", buf, (int)len, 5000), NATS_OK);
    rep = voxanne__v1__google_token_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    assert_false(rep->connected);
    assert_int_equal(rep->status, VOXANNE__V1__VAULT_STATUS__VAULT_RECONNECT_NEEDED);
    voxanne__v1__google_token_reply__free_unpacked(rep, NULL);
    natsMsg_Destroy(msg);
    r = api("GET", "/api/integrations", token_a, NULL);
    assert_non_null(strstr(r.body, "\"status\":\"reconnect_needed\""));
    assert_non_null(strstr(r.body, "Reconnect Google Calendar"));
    vt_response_free(&r);

    /* Org B's token never sees it. */
    r = api("GET", "/api/integrations", token_b, NULL);
    assert_null(strstr(r.body, "owner-a@example.com"));
    vt_response_free(&r);
    /* Denied consent goes back to the dashboard with the reason. */
    st = authorize(token_b);
    vx_buf q = VX_BUF_INIT;
    vx_query_append(&q, "state", st);
    vx_query_append(&q, "error", "access_denied");
    char path[1024];
    snprintf(path, sizeof(path), "/api/integrations/google/callback?%s", q.data);
    vx_buf_free(&q);
    r = api("GET", path, NULL, NULL);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, DASHBOARD "?google=error&reason=access_denied");
    vt_response_free(&r);
    free(st);
    assert_int_equal(credential_rows(org_b), 0);
}

/* The whole round trip as a browser makes it: the consent URL the vault
 * gave, Google's redirect back with a code, the callback, the dashboard. */
static void test_google_consent_round_trip(void **state)
{
    char org_c[37];
    vt_create_org(admin, "Integrations C", NULL, NULL, NULL, org_c);
    char *token_c = vt_token(&suite, org_c, 600);
    vt_fake_post(google_url, "/_fake/consent", "{\"email\":\"frontdesk-c@example.com\"}");
    vt_response r = api("GET", "/api/integrations/google/authorize", token_c, NULL);
    assert_int_equal(r.status, 200);
    cJSON *doc = cJSON_Parse(r.body);
    char *consent = strdup(cJSON_GetObjectItem(doc, "url")->valuestring);
    cJSON_Delete(doc);
    vt_response_free(&r);
    /* Google answers the consent URL with the browser's redirect to our callback. */
    r = vt_http("GET", consent, NULL, NULL, 0);
    assert_int_equal(r.status, 302);
    char callback_prefix[160];
    snprintf(callback_prefix, sizeof(callback_prefix), "%s/api/integrations/google/callback?", suite.base_url);
    assert_memory_equal(r.location, callback_prefix, strlen(callback_prefix));
    char *back = strdup(r.location + strlen(suite.base_url));
    vt_response_free(&r);
    r = api("GET", back, NULL, NULL);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, DASHBOARD "?google=connected");
    vt_response_free(&r);
    r = api("GET", "/api/integrations", token_c, NULL);
    assert_non_null(strstr(r.body, "frontdesk-c@example.com"));
    vt_response_free(&r);
    assert_int_equal(credential_rows(org_c), 1);
    free(back);
    free(consent);
    free(token_c);
}

static void test_no_answer_held_a_secret(void **state)
{
    assert_true(answers.len > 0);
    assert_null(strstr(answers.data, TOKEN_A));
    /* No secret under any key (the field names do appear in error sentences). */
    assert_null(strstr(answers.data, "\"authToken\":"));
    assert_null(strstr(answers.data, "\"refreshToken\":"));
    assert_null(strstr(answers.data, "1//"));
    assert_null(strstr(answers.data, "ya29."));
    assert_null(strstr(answers.data, CLIENT_SECRET));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_a_wrong_token_is_refused_and_vapi_never_called),
        cmocka_unit_test(test_a_failed_import_is_partial_and_the_retry_finishes_it),
        cmocka_unit_test(test_the_token_is_nowhere_but_sealed),
        cmocka_unit_test(test_another_org_never_sees_or_deletes_it),
        cmocka_unit_test(test_delete_removes_it_here_and_at_vapi),
        cmocka_unit_test(test_a_slow_provider_is_waited_for),
        cmocka_unit_test(test_google_refuses_every_state_it_did_not_make_for_that_org),
        cmocka_unit_test(test_google_connects_and_invalid_grant_asks_to_reconnect),
        cmocka_unit_test(test_google_consent_round_trip),
        cmocka_unit_test(test_no_answer_held_a_secret),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
