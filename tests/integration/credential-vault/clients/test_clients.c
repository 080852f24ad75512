/*
 * The credential vault's outside-service clients (clients/twilio.c,
 * libcommon/vx_vapi_api.c, clients/google_oauth.c) against their wire-faithful
 * fakes (tests/fakes/twilio, vapi_api, google_oauth), each started as a
 * process on a free port.
 *
 * Proves, per client, every outcome its header promises:
 *   Twilio: a right pair on an active account is OK (and the fake saw HTTP
 *     Basic it accepted); a wrong token or unknown account is REJECTED
 *     (401, 20003); a suspended or closed account is INACTIVE; 500 and 429
 *     are ERROR; a number on the account is found with its PN sid, one that
 *     is not (or only matches Twilio's pattern filter) is NOT_FOUND; the
 *     number went out percent-encoded ("+" as %2B).
 *   Vapi: a credential and a number are created exactly once each (the fake
 *     counts), with the token received intact and the number's server.url
 *     (and credentialId) as given and no assistantId; a duplicate number and
 *     a bad one are REJECTED (string and array messages); deletes are OK,
 *     then NOT_FOUND; a 500 on one path is ERROR and creates nothing; a
 *     wrong key is REJECTED; no key is ERROR without a request.
 *   Google: the consent URL leads, through the fake's consent, to a code
 *     that exchanges for tokens with a refresh token; a code used twice,
 *     or registered for another redirect URI, is INVALID_GRANT; a refresh
 *     answers a new access token and no refresh token; a revoked refresh
 *     token is INVALID_GRANT and its access tokens stop working (userinfo
 *     REJECTED); userinfo gives the email; a wrong client is REJECTED; 503
 *     is ERROR.
 * And that no client logs a secret: every line the clients wrote while
 * failing is captured and searched for the tokens, keys and codes.
 * The fakes stop cleanly on SIGTERM (vt_stop returns 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clients/google_oauth.h"
#include "clients/twilio.h"
#include "vt.h"
#include "vx_crypto.h"
#include "vx_query.h"
#include "vx_vapi_api.h"

#define TIMEOUT_MS    3000
#define VAPI_KEY      "vapi-private-key-for-tests"
#define CLIENT_ID     "1234-fake.apps.googleusercontent.com"
#define CLIENT_SECRET "GOCSPX-fake-client-secret"
#define REDIRECT      "http://127.0.0.1:1/api/integrations/google/callback"
#define SERVER_URL    "https://voxanne.example.com/vapi/events"

static struct {
    pid_t twilio, vapi, google;
    char twilio_url[64], vapi_url[64], google_url[64];
} F;

/* ---- helpers ---- */

static pid_t start_fake(const char *program, const char *port_var, const char *const *more_env, char url[64],
                        const char *ready_path)
{
    static char env_store[3][4][160];
    static int used;
    int port = vt_free_port();
    char(*env)[160] = env_store[used++];
    const char *list[5] = {NULL};
    snprintf(env[0], sizeof(env[0]), "%s=%d", port_var, port);
    list[0] = env[0];
    for (int i = 0; more_env != NULL && more_env[i] != NULL && i < 3; i++) {
        snprintf(env[i + 1], sizeof(env[i + 1]), "%s", more_env[i]);
        list[i + 1] = env[i + 1];
    }
    char log[64];
    snprintf(log, sizeof(log), "%s_fake", program);
    pid_t pid = vt_spawn(program, log, list);
    snprintf(url, 64, "http://127.0.0.1:%d", port);
    char ready[128];
    snprintf(ready, sizeof(ready), "%s%s", url, ready_path);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "a fake did not start (see build/test-logs/)");
    return pid;
}

static int setup(void **state)
{
    F.twilio = start_fake("twilio", "TWILIO_FAKE_PORT", NULL, F.twilio_url, "/_fake/requests");
    const char *vapi_env[] = {"VAPI_API_FAKE_KEY=" VAPI_KEY, NULL};
    F.vapi = start_fake("vapi_api", "VAPI_API_FAKE_PORT", vapi_env, F.vapi_url, "/_fake/state");
    const char *google_env[] = {"GOOGLE_OAUTH_FAKE_CLIENT_ID=" CLIENT_ID, "GOOGLE_OAUTH_FAKE_CLIENT_SECRET=" CLIENT_SECRET, NULL};
    F.google = start_fake("google_oauth", "GOOGLE_OAUTH_FAKE_PORT", google_env, F.google_url, "/_fake/stats");
    return 0;
}

static int teardown(void **state)
{
    /* Stop all before judging any: a failure leaves no orphans. */
    int t = vt_stop(F.twilio, SIGTERM, 8000), v = vt_stop(F.vapi, SIGTERM, 8000), g = vt_stop(F.google, SIGTERM, 8000);
    VT_REQUIRE(t == 0, "the twilio fake did not stop cleanly (see build/test-logs/twilio_fake.log)");
    VT_REQUIRE(v == 0, "the vapi_api fake did not stop cleanly (see build/test-logs/vapi_api_fake.log)");
    VT_REQUIRE(g == 0, "the google_oauth fake did not stop cleanly (see build/test-logs/google_oauth_fake.log)");
    return 0;
}

static void post(const char *base, const char *path, const char *body, long status)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", base, path);
    vt_http_post_expect(url, body, status);
}

static const char *jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);
    assert_true(cJSON_IsNumber(v));
    return v->valueint;
}

static void random_sid(const char *prefix, char out[35])
{
    uint8_t raw[16];
    vx_random_bytes(raw, sizeof(raw));
    memcpy(out, prefix, 2);
    vx_hex_encode(raw, sizeof(raw), out + 2);
}

/* What the clients log (one JSON line each on stdout) while in between, to search it. */
typedef struct capture {
    int saved;
    char path[64];
} capture;

static void capture_start(capture *c)
{
    fflush(stdout);
    snprintf(c->path, sizeof(c->path), "/tmp/vx-capture-XXXXXX");
    int fd = mkstemp(c->path);
    VT_REQUIRE(fd >= 0, "mkstemp");
    c->saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
}

static char *capture_end(capture *c)
{
    fflush(stdout);
    dup2(c->saved, STDOUT_FILENO);
    close(c->saved);
    size_t len = 0;
    char *text = vt_read_file(c->path, &len);
    unlink(c->path);
    return text;
}

static void assert_not_in(const char *haystack, const char *secret)
{
    if (strstr(haystack, secret) != NULL)
        fail_msg("a secret was logged: %s", haystack);
}

/* ---- Twilio ---- */

static void twilio_account(const char *sid, const char *token, const char *status, const char *numbers_json, cJSON **answer)
{
    char body[512], url[128];
    snprintf(body, sizeof(body), "{\"sid\":\"%s\",\"authToken\":\"%s\",\"status\":\"%s\",\"numbers\":%s}", sid, token, status,
             numbers_json);
    snprintf(url, sizeof(url), "%s/_fake/accounts", F.twilio_url);
    vt_response r = vt_http("POST", url, NULL, body, strlen(body));
    assert_int_equal(r.status, 200);
    if (answer != NULL)
        *answer = cJSON_Parse(r.body);
    vt_response_free(&r);
}

static void test_twilio_fetch_account(void **state)
{
    char active[35], suspended[35], closed[35], unknown[35];
    random_sid("AC", active);
    random_sid("AC", suspended);
    random_sid("AC", closed);
    random_sid("AC", unknown);
    const char *token = "twilio-auth-token-0123456789abcdef";
    twilio_account(active, token, "active", "[]", NULL);
    twilio_account(suspended, token, "suspended", "[]", NULL);
    twilio_account(closed, token, "closed", "[]", NULL);
    post(F.twilio_url, "/_fake/reset", "{}", 204);
    twilio_account(active, token, "active", "[]", NULL); /* a reset forgets: registered again */
    twilio_account(suspended, token, "suspended", "[]", NULL);
    twilio_account(closed, token, "closed", "[]", NULL);

    assert_int_equal(twilio_fetch_account(F.twilio_url, active, token, TIMEOUT_MS, "rid-1", "org-1"), TWILIO_OK);
    char slash[80];
    snprintf(slash, sizeof(slash), "%s/", F.twilio_url);
    assert_int_equal(twilio_fetch_account(slash, active, token, TIMEOUT_MS, "rid-1", "org-1"), TWILIO_OK);
    assert_int_equal(twilio_fetch_account(F.twilio_url, suspended, token, TIMEOUT_MS, "rid-1", "org-1"), TWILIO_INACTIVE);
    assert_int_equal(twilio_fetch_account(F.twilio_url, closed, token, TIMEOUT_MS, "rid-1", "org-1"), TWILIO_INACTIVE);

    capture cap;
    capture_start(&cap);
    twilio_status wrong = twilio_fetch_account(F.twilio_url, active, "wrong-token-zzzz", TIMEOUT_MS, "rid-2", "org-1");
    twilio_status nobody = twilio_fetch_account(F.twilio_url, unknown, token, TIMEOUT_MS, "rid-2", "org-1");
    post(F.twilio_url, "/_fake/fail", "{\"status\":500,\"count\":1}", 204);
    twilio_status e500 = twilio_fetch_account(F.twilio_url, active, token, TIMEOUT_MS, "rid-3", "org-1");
    post(F.twilio_url, "/_fake/fail", "{\"status\":429,\"count\":1}", 204);
    twilio_status e429 = twilio_fetch_account(F.twilio_url, active, token, TIMEOUT_MS, "rid-3", "org-1");
    twilio_status after = twilio_fetch_account(F.twilio_url, active, token, TIMEOUT_MS, "rid-3", "org-1");
    twilio_status down = twilio_fetch_account("http://127.0.0.1:9", active, token, 500, "rid-4", "org-1");
    char *logged = capture_end(&cap);
    assert_int_equal(wrong, TWILIO_REJECTED);
    assert_int_equal(nobody, TWILIO_REJECTED);
    assert_int_equal(e500, TWILIO_ERROR);
    assert_int_equal(e429, TWILIO_ERROR);
    assert_int_equal(after, TWILIO_OK);
    assert_int_equal(down, TWILIO_ERROR);
    /* Logged with Twilio's code, never a token (the 200 answers carried auth_token). */
    assert_non_null(strstr(logged, "\"twilio_code\":\"20003\""));
    assert_non_null(strstr(logged, "\"twilio_code\":\"20429\""));
    assert_non_null(strstr(logged, "\"http_status\":\"500\""));
    assert_not_in(logged, token);
    assert_not_in(logged, "wrong-token-zzzz");
    assert_not_in(logged, "Basic ");
    free(logged);

    /* The fake saw HTTP Basic it accepted for the right pair, and refused the wrong one. */
    cJSON *req = vt_fake_get_json(F.twilio_url, "/_fake/requests");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(req, "items");
    const cJSON *first = cJSON_GetArrayItem(items, 0), *wrong_req = cJSON_GetArrayItem(items, 4);
    char path[96];
    snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s.json", active);
    assert_string_equal(jstr(first, "path"), path);
    assert_string_equal(jstr(first, "method"), "GET");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "auth_ok")));
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wrong_req, "auth_ok"))); /* the wrong token */
    cJSON_Delete(req);
}

static void test_twilio_find_incoming_number(void **state)
{
    char sid[35], other[35];
    random_sid("AC", sid);
    random_sid("AC", other);
    const char *token = "another-twilio-token-abcdef";
    post(F.twilio_url, "/_fake/reset", "{}", 204);
    cJSON *reg = NULL;
    twilio_account(sid, token, "active", "[\"+15551230001\",\"+15551230002\"]", &reg);
    twilio_account(other, token, "active", "[\"+15551239999\"]", NULL);
    const char *want = jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(reg, "numbers"), 1), "sid");
    assert_non_null(want);

    char pn[35] = "";
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+15551230002", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_OK);
    assert_string_equal(pn, want);
    assert_true(twilio_sid_valid(pn, "PN"));
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+15551230001", TIMEOUT_MS, "rid", "org", NULL),
                     TWILIO_OK);
    /* Another account's number, a number nobody has, and a prefix Twilio's pattern filter matches: not this account's. */
    strcpy(pn, "stale");
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+15551239999", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_NOT_FOUND);
    assert_string_equal(pn, "");
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+15550000000", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_NOT_FOUND);
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+1555123000", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_NOT_FOUND);
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, "bad-token", "+15551230002", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_REJECTED);
    post(F.twilio_url, "/_fake/fail", "{\"status\":503,\"count\":1}", 204);
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+15551230002", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_ERROR);
    assert_int_equal(twilio_find_incoming_number(F.twilio_url, sid, token, "+15551230002", TIMEOUT_MS, "rid", "org", pn),
                     TWILIO_OK);

    /* The number went out encoded: a raw '+' would have read as a space. */
    cJSON *req = vt_fake_get_json(F.twilio_url, "/_fake/requests");
    char path[160];
    snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PhoneNumber=%%2B15551230002", sid);
    assert_string_equal(jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(req, "items"), 0), "path"), path);
    cJSON_Delete(req);
    cJSON_Delete(reg);
}

/* ---- Vapi ---- */

static void sha256_hex(const char *s, char out[65])
{
    uint8_t d[VX_SHA256_LEN];
    vx_sha256(s, strlen(s), d);
    vx_hex_encode(d, sizeof(d), out);
}

static void test_vapi_create_import_delete(void **state)
{
    post(F.vapi_url, "/_fake/reset", "{}", 204);
    vx_vapi_api_config c = {F.vapi_url, VAPI_KEY, TIMEOUT_MS};
    const char *sid = "AC0123456789abcdef0123456789abcdef", *token = "tw-token-\"quoted\"-and\\slash";
    char cred[VX_VAPI_API_ID_MAX + 1], number[VX_VAPI_API_ID_MAX + 1];
    assert_int_equal(vx_vapi_api_create_twilio_credential(&c, sid, token, "Acme \"Clinic\"", cred, "rid", "org"), VX_VAPI_API_OK);
    assert_true(vx_vapi_api_id_valid(cred));
    assert_int_equal(
        vx_vapi_api_import_twilio_number(&c, "+15551234567", sid, token, "Acme main line", SERVER_URL, cred, number, "rid", "org"),
        VX_VAPI_API_OK);
    assert_true(vx_vapi_api_id_valid(number));
    assert_string_not_equal(cred, number);

    capture cap;
    capture_start(&cap);
    char again[VX_VAPI_API_ID_MAX + 1];
    vx_vapi_api_status dup =
        vx_vapi_api_import_twilio_number(&c, "+15551234567", sid, token, "dup", SERVER_URL, NULL, again, "rid", "org");
    vx_vapi_api_status bad =
        vx_vapi_api_import_twilio_number(&c, "555-1234", sid, token, "bad", SERVER_URL, NULL, again, "rid", "org");
    post(F.vapi_url, "/_fake/fail", "{\"path\":\"/phone-number\",\"method\":\"POST\",\"status\":500,\"count\":1}", 204);
    vx_vapi_api_status e500 =
        vx_vapi_api_import_twilio_number(&c, "+15557654321", sid, token, NULL, SERVER_URL, NULL, again, "rid", "org");
    post(F.vapi_url, "/_fake/fail", "{\"path\":\"\",\"status\":429,\"count\":1}", 204);
    vx_vapi_api_status e429 = vx_vapi_api_create_twilio_credential(&c, sid, token, NULL, again, "rid", "org");
    vx_vapi_api_config wrong = {F.vapi_url, "not-the-key", TIMEOUT_MS};
    vx_vapi_api_status unauthorized = vx_vapi_api_create_twilio_credential(&wrong, sid, token, NULL, again, "rid", "org");
    vx_vapi_api_config nokey = {F.vapi_url, NULL, TIMEOUT_MS};
    vx_vapi_api_status missing = vx_vapi_api_create_twilio_credential(&nokey, sid, token, NULL, again, "rid", "org");
    char *logged = capture_end(&cap);
    assert_int_equal(dup, VX_VAPI_API_REJECTED);
    assert_int_equal(bad, VX_VAPI_API_REJECTED);
    assert_int_equal(e500, VX_VAPI_API_ERROR);
    assert_int_equal(e429, VX_VAPI_API_ERROR);
    assert_int_equal(unauthorized, VX_VAPI_API_REJECTED);
    assert_int_equal(missing, VX_VAPI_API_ERROR);
    assert_non_null(strstr(logged, "Number already exists"));                                   /* a string message */
    assert_non_null(strstr(logged, "number must be a valid phone number in the E.164 format")); /* an array */
    assert_non_null(strstr(logged, "Invalid Key"));
    assert_non_null(strstr(logged, "VAPI_PRIVATE_KEY is not set"));
    assert_not_in(logged, "tw-token-");
    assert_not_in(logged, VAPI_KEY);
    assert_not_in(logged, "not-the-key");
    free(logged);

    /* Exactly one credential and one number were made, as sent. */
    cJSON *st = vt_fake_get_json(F.vapi_url, "/_fake/state");
    assert_int_equal(jint(st, "created", "credentials"), 1);
    assert_int_equal(jint(st, "created", "phoneNumbers"), 1);
    const cJSON *cr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "credentials"), 0);
    const cJSON *pn = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "phoneNumbers"), 0);
    char hash[65];
    sha256_hex(token, hash);
    assert_string_equal(jstr(cr, "id"), cred);
    assert_string_equal(jstr(cr, "accountSid"), sid);
    assert_string_equal(jstr(cr, "name"), "Acme \"Clinic\"");
    assert_string_equal(jstr(cr, "authTokenSha256"), hash);
    assert_string_equal(jstr(pn, "id"), number);
    assert_string_equal(jstr(pn, "number"), "+15551234567");
    assert_string_equal(jstr(pn, "twilioAccountSid"), sid);
    assert_string_equal(jstr(pn, "authTokenSha256"), hash);
    assert_null(cJSON_GetObjectItemCaseSensitive(pn, "assistantId")); /* inbound calls ask: assistant-request */
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(pn, "server");
    assert_string_equal(jstr(server, "url"), SERVER_URL);
    assert_string_equal(jstr(server, "credentialId"), cred);
    cJSON_Delete(st);

    /* Deletes: done, then already gone. */
    assert_int_equal(vx_vapi_api_delete_phone_number(&c, number, "rid", "org"), VX_VAPI_API_OK);
    assert_int_equal(vx_vapi_api_delete_phone_number(&c, number, "rid", "org"), VX_VAPI_API_NOT_FOUND);
    post(F.vapi_url, "/_fake/fail", "{\"path\":\"/credential\",\"method\":\"DELETE\",\"status\":503,\"count\":1}", 204);
    assert_int_equal(vx_vapi_api_delete_credential(&c, cred, "rid", "org"), VX_VAPI_API_ERROR);
    assert_int_equal(vx_vapi_api_delete_credential(&c, cred, "rid", "org"), VX_VAPI_API_OK);
    assert_int_equal(vx_vapi_api_delete_credential(&c, cred, "rid", "org"), VX_VAPI_API_NOT_FOUND);
    /* Without a server credential, and with a trailing slash on the base. */
    char slash[80];
    snprintf(slash, sizeof(slash), "%s/", F.vapi_url);
    vx_vapi_api_config c2 = {slash, VAPI_KEY, TIMEOUT_MS};
    assert_int_equal(vx_vapi_api_import_twilio_number(&c2, "+15551234567", sid, token, NULL, SERVER_URL, "", number, "rid", "org"),
                     VX_VAPI_API_OK);
    st = vt_fake_get_json(F.vapi_url, "/_fake/state");
    pn = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "phoneNumbers"), 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pn, "server"), "credentialId"));
    assert_null(cJSON_GetObjectItemCaseSensitive(pn, "name"));
    assert_int_equal(jint(st, "created", "phoneNumbers"), 2);
    assert_int_equal(jint(st, "deleted", "credentials"), 1);
    cJSON_Delete(st);
}

/* ---- Google ---- */

static google_oauth_config google_config(void)
{
    google_oauth_config c = {F.google_url, CLIENT_ID, CLIENT_SECRET, REDIRECT, TIMEOUT_MS};
    return c;
}

static void register_code(const char *code, const char *email, const char *redirect, const char *extra)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"code\":\"%s\",\"email\":\"%s\",\"redirectUri\":\"%s\"%s}", code, email, redirect, extra);
    post(F.google_url, "/_fake/codes", body, 204);
}

/* Follows the consent URL to the fake's redirect and returns the code it carries (malloc'd). */
static char *consent(const char *url, const char *state)
{
    CURL *h = curl_easy_init();
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    char *location = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
    assert_int_equal(status, 302);
    assert_non_null(location);
    assert_memory_equal(location, REDIRECT "?", strlen(REDIRECT) + 1);
    const char *query = location + strlen(REDIRECT) + 1;
    char value[512];
    assert_int_equal(vx_query_get(query, "state", value, sizeof(value)), VX_QUERY_OK);
    assert_string_equal(value, state);
    assert_int_equal(vx_query_get(query, "scope", value, sizeof(value)), VX_QUERY_OK);
    assert_true(google_oauth_scope_has(value, GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_true(google_oauth_scope_has(value, GOOGLE_OAUTH_SCOPE_EMAIL));
    assert_int_equal(vx_query_get(query, "code", value, sizeof(value)), VX_QUERY_OK);
    char *code = strdup(value);
    curl_easy_cleanup(h);
    fclose(sink);
    return code;
}

static void test_google_consent_exchange_refresh(void **state)
{
    post(F.google_url, "/_fake/reset", "{}", 204);
    post(F.google_url, "/_fake/consent", "{\"email\":\"dr.who@example.com\"}", 204);
    google_oauth_config c = google_config();
    char *url = google_oauth_authorize_url(&c, "state-Ab1/2+3");
    char *code = consent(url, "state-Ab1/2+3");
    free(url);

    google_tokens t;
    assert_int_equal(google_oauth_exchange_code(&c, code, &t, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_memory_equal(t.access_token, "ya29.", 5);
    assert_non_null(t.refresh_token); /* offline + prompt=consent */
    assert_memory_equal(t.refresh_token, "1//", 3);
    assert_true(google_oauth_scope_has(t.scope, GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_true(google_oauth_scope_has(t.scope, GOOGLE_OAUTH_SCOPE_EMAIL));
    assert_int_equal(t.expires_in, 3599);
    char *email = NULL;
    assert_int_equal(google_oauth_userinfo_email(&c, t.access_token, &email, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_string_equal(email, "dr.who@example.com");
    free(email);

    /* A refresh: a new access token, no refresh token, the same scope. */
    char *refresh = strdup(t.refresh_token), *first_access = strdup(t.access_token);
    google_tokens r;
    assert_int_equal(google_oauth_refresh(&c, refresh, &r, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_null(r.refresh_token);
    assert_string_not_equal(r.access_token, first_access);
    assert_string_equal(r.scope, t.scope);
    assert_int_equal(r.expires_in, 3599);
    assert_int_equal(google_oauth_userinfo_email(&c, r.access_token, &email, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_string_equal(email, "dr.who@example.com");
    free(email);

    capture cap;
    capture_start(&cap);
    google_tokens x;
    google_oauth_status reused = google_oauth_exchange_code(&c, code, &x, "rid", "org");
    post(F.google_url, "/_fake/revoke", "{\"email\":\"dr.who@example.com\"}", 200);
    google_oauth_status revoked = google_oauth_refresh(&c, refresh, &x, "rid", "org");
    google_oauth_status dead_access = google_oauth_userinfo_email(&c, r.access_token, &email, "rid", "org");
    char *logged = capture_end(&cap);
    assert_int_equal(reused, GOOGLE_OAUTH_INVALID_GRANT);
    assert_int_equal(revoked, GOOGLE_OAUTH_INVALID_GRANT);
    assert_int_equal(dead_access, GOOGLE_OAUTH_REJECTED);
    assert_null(email);
    assert_null(x.access_token);
    assert_non_null(strstr(logged, "\"google_error\":\"invalid_grant\""));
    assert_non_null(strstr(logged, "Token has been expired or revoked."));
    assert_non_null(strstr(logged, "\"google_error\":\"invalid_token\""));
    assert_not_in(logged, code);
    assert_not_in(logged, refresh);
    assert_not_in(logged, first_access);
    assert_not_in(logged, r.access_token);
    assert_not_in(logged, CLIENT_SECRET);
    free(logged);

    cJSON *stats = vt_fake_get_json(F.google_url, "/_fake/stats");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(stats, "exchanges")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(stats, "refreshes")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(stats, "userinfo")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(stats, "authorizations")->valueint, 1);
    cJSON_Delete(stats);
    google_tokens_clear(&t);
    google_tokens_clear(&r);
    free(refresh);
    free(first_access);
    free(code);
}

static void test_google_codes_and_clients(void **state)
{
    post(F.google_url, "/_fake/reset", "{}", 204);
    google_oauth_config c = google_config();
    google_tokens t;
    char *email = NULL;
    /* Registered without a refresh token, and with only the calendar scope: no email to give. */
    register_code("4/0A-no-refresh", "a@example.com", REDIRECT,
                  ",\"withRefreshToken\":false,\"scope\":\"" GOOGLE_OAUTH_SCOPE_CALENDAR "\"");
    assert_int_equal(google_oauth_exchange_code(&c, "4/0A-no-refresh", &t, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_null(t.refresh_token);
    assert_string_equal(t.scope, GOOGLE_OAUTH_SCOPE_CALENDAR);
    assert_false(google_oauth_scope_has(t.scope, GOOGLE_OAUTH_SCOPE_EMAIL));
    assert_int_equal(google_oauth_userinfo_email(&c, t.access_token, &email, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_string_equal(email, "");
    free(email);
    google_tokens_clear(&t);

    /* A code registered for another redirect URI is invalid_grant (and spent). */
    register_code("4/0A-other-redirect", "a@example.com", "https://elsewhere.example/cb", "");
    assert_int_equal(google_oauth_exchange_code(&c, "4/0A-other-redirect", &t, "rid", "org"), GOOGLE_OAUTH_INVALID_GRANT);
    assert_int_equal(google_oauth_exchange_code(&c, "4/0A-never-issued", &t, "rid", "org"), GOOGLE_OAUTH_INVALID_GRANT);

    /* A wrong secret or client is configuration: REJECTED (401 invalid_client); the code is not spent. */
    register_code("4/0A-client", "b@example.com", REDIRECT, ",\"expiresIn\":120");
    google_oauth_config bad = c;
    bad.client_secret = "wrong-secret";
    assert_int_equal(google_oauth_exchange_code(&bad, "4/0A-client", &t, "rid", "org"), GOOGLE_OAUTH_REJECTED);
    bad = c;
    bad.client_id = "someone-else.apps.googleusercontent.com";
    assert_int_equal(google_oauth_exchange_code(&bad, "4/0A-client", &t, "rid", "org"), GOOGLE_OAUTH_REJECTED);
    assert_int_equal(google_oauth_refresh(&bad, "1//whatever", &t, "rid", "org"), GOOGLE_OAUTH_REJECTED);
    bad.client_secret = NULL;
    assert_int_equal(google_oauth_exchange_code(&bad, "4/0A-client", &t, "rid", "org"), GOOGLE_OAUTH_REJECTED);
    assert_int_equal(google_oauth_exchange_code(&c, "4/0A-client", &t, "rid", "org"), GOOGLE_OAUTH_OK);
    assert_int_equal(t.expires_in, 120);
    assert_non_null(t.refresh_token);
    /* Revoking that one refresh token ends it; a token never issued is invalid_grant too. */
    char body[256];
    snprintf(body, sizeof(body), "{\"refreshToken\":\"%s\"}", t.refresh_token);
    post(F.google_url, "/_fake/revoke", body, 200);
    google_tokens r;
    assert_int_equal(google_oauth_refresh(&c, t.refresh_token, &r, "rid", "org"), GOOGLE_OAUTH_INVALID_GRANT);
    assert_int_equal(google_oauth_refresh(&c, "1//never-issued", &r, "rid", "org"), GOOGLE_OAUTH_INVALID_GRANT);
    assert_int_equal(google_oauth_userinfo_email(&c, "ya29.never-issued", &email, "rid", "org"), GOOGLE_OAUTH_REJECTED);
    google_tokens_clear(&t);

    /* Google failing: ERROR, then working again. */
    register_code("4/0A-after-failure", "c@example.com", REDIRECT, "");
    post(F.google_url, "/_fake/fail", "{\"status\":503,\"count\":1}", 204);
    assert_int_equal(google_oauth_exchange_code(&c, "4/0A-after-failure", &t, "rid", "org"), GOOGLE_OAUTH_ERROR);
    assert_int_equal(google_oauth_exchange_code(&c, "4/0A-after-failure", &t, "rid", "org"), GOOGLE_OAUTH_OK);
    post(F.google_url, "/_fake/fail", "{\"status\":500,\"count\":1}", 204);
    assert_int_equal(google_oauth_userinfo_email(&c, t.access_token, &email, "rid", "org"), GOOGLE_OAUTH_ERROR);
    google_tokens_clear(&t);
    google_oauth_config down = c;
    down.base_url = "http://127.0.0.1:9";
    down.timeout_ms = 500;
    assert_int_equal(google_oauth_exchange_code(&down, "4/0A-x", &t, "rid", "org"), GOOGLE_OAUTH_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_fetch_account),      cmocka_unit_test(test_twilio_find_incoming_number),
        cmocka_unit_test(test_vapi_create_import_delete), cmocka_unit_test(test_google_consent_exchange_refresh),
        cmocka_unit_test(test_google_codes_and_clients),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
