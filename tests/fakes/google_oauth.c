/*
 * google_oauth: a wire-faithful fake of Google's OAuth 2.0 web-server flow
 * for tests (contracts/providers.md §2 and the simulator checklist's item
 * 3), as a standalone program: consent, code exchange, refresh, userinfo.
 *
 *   GOOGLE_OAUTH_FAKE_PORT           port on 127.0.0.1 (required)
 *   GOOGLE_OAUTH_FAKE_CLIENT_ID      the one OAuth client (required)
 *   GOOGLE_OAUTH_FAKE_CLIENT_SECRET  its secret (required)
 *
 * API (paths as under a GOOGLE_OAUTH_BASE_URL):
 *   GET  /o/oauth2/v2/auth?client_id&redirect_uri&response_type=code&scope&state[&access_type&prompt&login_hint]
 *        the owner consenting at once: 302 to redirect_uri?state=…&code=4/0A…&scope=<granted>&authuser=0&prompt=consent
 *        (or ?error=access_denied&state=… when /_fake/consent says deny). The code is for login_hint or the
 *        consent's email, with a refresh token when access_type=offline and prompt has consent (or on the
 *        user's first consent). A bad client → 401 invalid_client; a missing parameter → 400 invalid_request.
 *   POST /token   application/x-www-form-urlencoded only (a JSON body is read as no parameters: 400
 *                 invalid_request "Missing required parameter: …"); client credentials in the body
 *                 (client_secret_post) or as HTTP Basic (client_secret_basic)
 *     grant_type=authorization_code, code, redirect_uri
 *        → 200 {"access_token":"ya29.…","expires_in":3599,"refresh_token":"1//…" (when the code's registration
 *          says so),"scope":"<granted>","token_type":"Bearer","id_token":"<JWT>" (with an identity scope)}
 *        a code unknown, used already (codes are single-use) or registered for another redirect_uri
 *        → 400 {"error":"invalid_grant","error_description":"Bad Request"}
 *     grant_type=refresh_token, refresh_token
 *        → 200 {access_token (new), expires_in, scope, token_type} and no refresh_token
 *        a refresh token unknown or revoked → 400 {"error":"invalid_grant","error_description":"Token has been expired or
 * revoked."} a missing client_id → 400 invalid_request "Could not determine client ID from request."; an unknown one → 401
 * invalid_client "The OAuth client was not found."; a wrong secret → 401 {"error":"invalid_client",
 *     "error_description":"Unauthorized"}; another grant_type → 400 unsupported_grant_type
 *   GET  /v1/userinfo   Authorization: Bearer <access token issued, not expired, not revoked>
 *        → 200 {"sub","email","email_verified":true} (email only with an email scope); else 401
 *          {"error":"invalid_token","error_description":"Invalid Credentials"} + WWW-Authenticate: Bearer error="invalid_token"
 *
 * Test control (no auth):
 *   POST /_fake/codes {"code","email","redirectUri","scope"?,"withRefreshToken"?:true,"expiresIn"?:3599}
 *        registers a code as Google's consent would hand it (scope default: calendar + userinfo.email)
 *   POST /_fake/consent {"email"?,"scope"?,"deny"?}   who consents on /o/oauth2/v2/auth from now on
 *        (default owner@example.com, the scope asked for, no denial)
 *   POST /_fake/revoke {"refreshToken"} | {"email"}    revokes that refresh token, or all of the user's, and
 *        the access tokens made from them → 200 {"revoked":N}
 *   POST /_fake/fail {"status","count"}                the next count API calls answer status
 *   GET  /_fake/stats   {"exchanges","refreshes","userinfo","authorizations"}: successful calls since the reset
 *   POST /_fake/reset   forgets everything
 *
 * Design: routes on tests/support/fake_http's server, one mutex over the
 * state (cJSON documents); SIGTERM stops it, frees everything and exits 0.
 * Logs carry method, path and status only (fake_http): never a code, token
 * or secret (a code travels in the Location header, tokens in bodies).
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_http.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_time.h"

#define DEFAULT_SCOPE   "https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/userinfo.email"
#define DEFAULT_EMAIL   "owner@example.com"
#define DEFAULT_EXPIRES 3599

static struct {
    pthread_mutex_t lock;
    const char *client_id, *client_secret;
    cJSON *codes;     /* {"code","email","redirectUri","scope","withRefreshToken","expiresIn","used"} */
    cJSON *refreshes; /* {"token","email","scope","expiresIn","revoked"} */
    cJSON *accesses;  /* {"token","email","scope","expiresAtMs","refreshToken","revoked"} */
    cJSON *consented; /* emails that consented once (a refresh token on the first consent only) */
    cJSON *consent;   /* {"email"?,"scope"?,"deny"?} or NULL */
    int exchanges, refresh_count, userinfo, authorizations;
    int fail_status, fail_count;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void oauth_error(fake_response *r, int status, const char *error, const char *description)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", error);
    cJSON_AddStringToObject(e, "error_description", description);
    fake_json_body(r, status, e);
}

/* prefix followed by 43 random url-safe characters, as Google's tokens look. */
static void random_token(const char *prefix, char *out, size_t n)
{
    uint8_t raw[32];
    vx_random_bytes(raw, sizeof(raw));
    char *b64 = vx_base64url_encode(raw, sizeof(raw));
    if (b64 == NULL)
        abort();
    snprintf(out, n, "%s%s", prefix, b64);
    free(b64);
}

/* A stable numeric "sub" per email, as Google's are 21 digits. */
static void subject(const char *email, char out[22])
{
    uint8_t d[VX_SHA256_LEN];
    vx_sha256(email, strlen(email), d);
    out[0] = '1';
    for (int i = 1; i < 21; i++)
        out[i] = (char)('0' + d[i] % 10);
    out[21] = '\0';
}

static bool has_scope(const char *scope, const char *wanted)
{
    size_t n = strlen(wanted);
    for (const char *p = scope; p != NULL && *p != '\0';) {
        p += strspn(p, " ");
        size_t w = strcspn(p, " ");
        if (w == n && strncmp(p, wanted, n) == 0)
            return true;
        p += w;
    }
    return false;
}

static bool email_scope(const char *scope)
{
    return has_scope(scope, "email") || has_scope(scope, "https://www.googleapis.com/auth/userinfo.email");
}

/* A JWT-looking id_token: header.payload.signature, base64url (not verifiable: nothing here needs it). */
static char *id_token(const char *email, const char *scope)
{
    char sub[22];
    subject(email, sub);
    int64_t now = vx_now_ms() / 1000;
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "iss", "https://accounts.google.com");
    cJSON_AddStringToObject(claims, "aud", S.client_id);
    cJSON_AddStringToObject(claims, "sub", sub);
    if (email_scope(scope)) {
        cJSON_AddStringToObject(claims, "email", email);
        cJSON_AddBoolToObject(claims, "email_verified", true);
    }
    cJSON_AddNumberToObject(claims, "iat", (double)now);
    cJSON_AddNumberToObject(claims, "exp", (double)(now + 3600));
    char *payload = cJSON_PrintUnformatted(claims);
    cJSON_Delete(claims);
    static const char header[] = "{\"alg\":\"RS256\",\"kid\":\"fake\",\"typ\":\"JWT\"}";
    char *h = vx_base64url_encode((const uint8_t *)header, strlen(header));
    char *p = vx_base64url_encode((const uint8_t *)payload, strlen(payload));
    char *s = vx_base64url_encode((const uint8_t *)"not-a-real-signature", 20);
    vx_buf out = VX_BUF_INIT;
    vx_buf_printf(&out, "%s.%s.%s", h, p, s);
    free(h);
    free(p);
    free(s);
    free(payload);
    return vx_buf_steal(&out);
}

/* Issues an access token (linked to refresh, "" for none) and adds the common answer fields to out. */
static void issue_access(cJSON *out, const char *email, const char *scope, long expires_in, const char *refresh)
{
    char token[80];
    random_token("ya29.", token, sizeof(token));
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "token", token);
    cJSON_AddStringToObject(a, "email", email);
    cJSON_AddStringToObject(a, "scope", scope);
    cJSON_AddNumberToObject(a, "expiresAtMs", (double)(vx_now_ms() + (int64_t)expires_in * 1000));
    cJSON_AddStringToObject(a, "refreshToken", refresh);
    cJSON_AddBoolToObject(a, "revoked", false);
    cJSON_AddItemToArray(S.accesses, a);
    cJSON_AddStringToObject(out, "access_token", token);
    cJSON_AddNumberToObject(out, "expires_in", (double)expires_in);
}

/* The form's value for key, or "" (absent or malformed). */
static void form_get(const char *form, const char *key, char *out, size_t n)
{
    if (vx_query_get(form, key, out, n) != VX_QUERY_OK)
        out[0] = '\0';
}

/* grant_type=authorization_code */
static void exchange(const char *form, fake_response *r)
{
    char code[512], redirect[2048];
    form_get(form, "code", code, sizeof(code));
    form_get(form, "redirect_uri", redirect, sizeof(redirect));
    if (code[0] == '\0') {
        oauth_error(r, 400, "invalid_request", "Missing required parameter: code");
        return;
    }
    cJSON *c = NULL, *it;
    cJSON_ArrayForEach(it, S.codes)
    {
        if (strcmp(str(it, "code"), code) == 0)
            c = it;
    }
    if (c == NULL || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "used"))) {
        oauth_error(r, 400, "invalid_grant", "Bad Request");
        return;
    }
    /* A code is spent by any attempt that names it, even a refused one. */
    cJSON_ReplaceItemInObjectCaseSensitive(c, "used", cJSON_CreateTrue());
    if (redirect[0] == '\0') {
        oauth_error(r, 400, "invalid_request", "Missing required parameter: redirect_uri");
        return;
    }
    if (strcmp(redirect, str(c, "redirectUri")) != 0) {
        oauth_error(r, 400, "invalid_grant", "Bad Request");
        return;
    }
    const char *email = str(c, "email"), *scope = str(c, "scope");
    long expires = (long)cJSON_GetObjectItemCaseSensitive(c, "expiresIn")->valuedouble;
    char refresh[80] = "";
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "withRefreshToken"))) {
        random_token("1//0", refresh, sizeof(refresh));
        cJSON *rt = cJSON_CreateObject();
        cJSON_AddStringToObject(rt, "token", refresh);
        cJSON_AddStringToObject(rt, "email", email);
        cJSON_AddStringToObject(rt, "scope", scope);
        cJSON_AddNumberToObject(rt, "expiresIn", (double)expires);
        cJSON_AddBoolToObject(rt, "revoked", false);
        cJSON_AddItemToArray(S.refreshes, rt);
    }
    cJSON *out = cJSON_CreateObject();
    issue_access(out, email, scope, expires, refresh);
    if (refresh[0] != '\0')
        cJSON_AddStringToObject(out, "refresh_token", refresh);
    cJSON_AddStringToObject(out, "scope", scope);
    cJSON_AddStringToObject(out, "token_type", "Bearer");
    if (email_scope(scope) || has_scope(scope, "openid") || has_scope(scope, "profile")) {
        char *idt = id_token(email, scope);
        cJSON_AddStringToObject(out, "id_token", idt);
        free(idt);
    }
    S.exchanges++;
    fake_json_body(r, 200, out);
}

/* grant_type=refresh_token */
static void refresh(const char *form, fake_response *r)
{
    char token[512];
    form_get(form, "refresh_token", token, sizeof(token));
    if (token[0] == '\0') {
        oauth_error(r, 400, "invalid_request", "Missing required parameter: refresh_token");
        return;
    }
    const cJSON *rt = NULL, *it;
    cJSON_ArrayForEach(it, S.refreshes)
    {
        if (strcmp(str(it, "token"), token) == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "revoked")))
            rt = it;
    }
    if (rt == NULL) {
        oauth_error(r, 400, "invalid_grant", "Token has been expired or revoked.");
        return;
    }
    const char *scope = str(rt, "scope");
    cJSON *out = cJSON_CreateObject();
    issue_access(out, str(rt, "email"), scope, (long)cJSON_GetObjectItemCaseSensitive(rt, "expiresIn")->valuedouble, token);
    cJSON_AddStringToObject(out, "scope", scope);
    cJSON_AddStringToObject(out, "token_type", "Bearer");
    if (has_scope(scope, "openid")) {
        char *idt = id_token(str(rt, "email"), scope);
        cJSON_AddStringToObject(out, "id_token", idt);
        free(idt);
    }
    S.refresh_count++;
    fake_json_body(r, 200, out);
}

/* The client's credentials from HTTP Basic (client_secret_basic), if sent that way. */
static void basic_client(const char *auth, char *id, size_t id_n, char *secret, size_t secret_n)
{
    if (strncmp(auth, "Basic ", 6) != 0)
        return;
    char b64[1024];
    size_t n = 0;
    for (const char *p = auth + 6; *p != '\0' && *p != '=' && n + 1 < sizeof(b64); p++)
        b64[n++] = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    uint8_t *raw = NULL;
    size_t len = 0;
    if (vx_base64url_decode(b64, n, &raw, &len) != 0)
        return;
    char *colon = strchr((char *)raw, ':');
    if (colon != NULL) {
        *colon = '\0';
        snprintf(id, id_n, "%s", (char *)raw);
        snprintf(secret, secret_n, "%s", colon + 1);
    }
    explicit_bzero(raw, len);
    free(raw);
}

/* POST /token */
static void token(const fake_request *q, fake_response *r)
{
    /* Only a form body is read: anything else carries no parameters. */
    bool form_ok = strncmp(q->content_type, "application/x-www-form-urlencoded", 33) == 0;
    const char *form = form_ok ? q->body : "";
    char grant[64], id[512], secret[512];
    form_get(form, "grant_type", grant, sizeof(grant));
    form_get(form, "client_id", id, sizeof(id));
    form_get(form, "client_secret", secret, sizeof(secret));
    if (id[0] == '\0')
        basic_client(q->auth, id, sizeof(id), secret, sizeof(secret));
    if (grant[0] == '\0') {
        oauth_error(r, 400, "invalid_request", "Missing required parameter: grant_type");
    } else if (id[0] == '\0') {
        oauth_error(r, 400, "invalid_request", "Could not determine client ID from request.");
    } else if (strcmp(id, S.client_id) != 0) {
        oauth_error(r, 401, "invalid_client", "The OAuth client was not found.");
    } else if (!vx_ct_equal(secret, strlen(secret), S.client_secret, strlen(S.client_secret))) {
        oauth_error(r, 401, "invalid_client", "Unauthorized");
    } else if (strcmp(grant, "authorization_code") == 0) {
        exchange(form, r);
    } else if (strcmp(grant, "refresh_token") == 0) {
        refresh(form, r);
    } else {
        char message[128];
        snprintf(message, sizeof(message), "Invalid grant_type: %s", grant);
        oauth_error(r, 400, "unsupported_grant_type", message);
    }
    explicit_bzero(secret, sizeof(secret));
}

/* GET /v1/userinfo */
static void userinfo(const fake_request *q, fake_response *r)
{
    const cJSON *a = NULL, *it;
    if (strncmp(q->auth, "Bearer ", 7) == 0) {
        cJSON_ArrayForEach(it, S.accesses)
        {
            if (strcmp(str(it, "token"), q->auth + 7) == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "revoked")) &&
                cJSON_GetObjectItemCaseSensitive(it, "expiresAtMs")->valuedouble > (double)vx_now_ms())
                a = it;
        }
    }
    if (a == NULL) {
        r->extra_headers = "WWW-Authenticate: Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"\r\n";
        oauth_error(r, 401, "invalid_token", "Invalid Credentials");
        return;
    }
    char sub[22];
    subject(str(a, "email"), sub);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "sub", sub);
    if (email_scope(str(a, "scope"))) {
        cJSON_AddStringToObject(out, "email", str(a, "email"));
        cJSON_AddBoolToObject(out, "email_verified", true);
    }
    S.userinfo++;
    fake_json_body(r, 200, out);
}

static bool consented_before(const char *email)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, S.consented)
    {
        if (strcmp(e->valuestring, email) == 0)
            return true;
    }
    cJSON_AddItemToArray(S.consented, cJSON_CreateString(email));
    return false;
}

/* GET /o/oauth2/v2/auth: the owner consents at once. */
static void authorize(const fake_request *q, fake_response *r)
{
    char id[512], redirect[1024], type[32], scope[1024], state[512], access[32], prompt[64], hint[256];
    const char *query = q->query;
    form_get(query, "client_id", id, sizeof(id));
    form_get(query, "redirect_uri", redirect, sizeof(redirect));
    form_get(query, "response_type", type, sizeof(type));
    form_get(query, "scope", scope, sizeof(scope));
    form_get(query, "state", state, sizeof(state));
    form_get(query, "access_type", access, sizeof(access));
    form_get(query, "prompt", prompt, sizeof(prompt));
    form_get(query, "login_hint", hint, sizeof(hint));
    if (strcmp(id, S.client_id) != 0) {
        oauth_error(r, 401, "invalid_client", "The OAuth client was not found.");
        return;
    }
    if (redirect[0] == '\0' || scope[0] == '\0') {
        oauth_error(r, 400, "invalid_request",
                    redirect[0] == '\0' ? "Missing required parameter: redirect_uri" : "Missing required parameter: scope");
        return;
    }
    if (strcmp(type, "code") != 0) {
        oauth_error(r, 400, "unsupported_response_type", "Invalid response_type");
        return;
    }
    vx_buf loc = VX_BUF_INIT, params = VX_BUF_INIT;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(S.consent, "deny"))) {
        vx_query_append(&params, "error", "access_denied");
        vx_query_append(&params, "state", state);
    } else {
        const char *email = hint[0] != '\0' ? hint : str(S.consent, "email") != NULL ? str(S.consent, "email") : DEFAULT_EMAIL;
        const char *granted = str(S.consent, "scope") != NULL ? str(S.consent, "scope") : scope;
        bool offline = strcmp(access, "offline") == 0;
        bool first = !consented_before(email);
        char code[80];
        random_token("4/0A", code, sizeof(code));
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "code", code);
        cJSON_AddStringToObject(c, "email", email);
        cJSON_AddStringToObject(c, "redirectUri", redirect);
        cJSON_AddStringToObject(c, "scope", granted);
        cJSON_AddBoolToObject(c, "withRefreshToken", offline && (has_scope(prompt, "consent") || first));
        cJSON_AddNumberToObject(c, "expiresIn", DEFAULT_EXPIRES);
        cJSON_AddBoolToObject(c, "used", false);
        cJSON_AddItemToArray(S.codes, c);
        vx_query_append(&params, "state", state);
        vx_query_append(&params, "code", code);
        vx_query_append(&params, "scope", granted);
        vx_query_append(&params, "authuser", "0");
        vx_query_append(&params, "prompt", "consent");
        explicit_bzero(code, sizeof(code));
    }
    S.authorizations++;
    vx_buf_printf(&loc, "Location: %s%c%s\r\n", redirect, strchr(redirect, '?') != NULL ? '&' : '?', params.data);
    vx_buf_append(&r->headers, loc.data, loc.len);
    r->status = 302;
    vx_buf_free(&loc);
    vx_buf_free(&params);
}

/* POST /_fake/codes */
static void register_code(const cJSON *in, fake_response *r)
{
    const char *code = str(in, "code"), *email = str(in, "email"), *redirect = str(in, "redirectUri");
    if (code == NULL || code[0] == '\0' || email == NULL || redirect == NULL) {
        oauth_error(r, 400, "invalid_request", "code, email and redirectUri are required");
        return;
    }
    const cJSON *with = cJSON_GetObjectItemCaseSensitive(in, "withRefreshToken");
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(in, "expiresIn");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "code", code);
    cJSON_AddStringToObject(c, "email", email);
    cJSON_AddStringToObject(c, "redirectUri", redirect);
    cJSON_AddStringToObject(c, "scope", str(in, "scope") != NULL ? str(in, "scope") : DEFAULT_SCOPE);
    cJSON_AddBoolToObject(c, "withRefreshToken", !cJSON_IsBool(with) || cJSON_IsTrue(with));
    cJSON_AddNumberToObject(c, "expiresIn", cJSON_IsNumber(expires) ? expires->valuedouble : DEFAULT_EXPIRES);
    cJSON_AddBoolToObject(c, "used", false);
    cJSON_AddItemToArray(S.codes, c);
    r->status = 204;
}

/* Marks revoked every item of list whose key equals value; returns how many. */
static int revoke_where(cJSON *list, const char *key, const char *value)
{
    int n = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (str(it, key) != NULL && strcmp(str(it, key), value) == 0 &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "revoked"))) {
            cJSON_ReplaceItemInObjectCaseSensitive(it, "revoked", cJSON_CreateTrue());
            n++;
        }
    }
    return n;
}

/* POST /_fake/revoke: a refresh token and its access tokens, or all of a user's. */
static void revoke(const cJSON *in, fake_response *r)
{
    const char *token = str(in, "refreshToken"), *email = str(in, "email");
    int n = 0;
    if (token != NULL) {
        n = revoke_where(S.refreshes, "token", token);
        revoke_where(S.accesses, "refreshToken", token);
    } else if (email != NULL) {
        n = revoke_where(S.refreshes, "email", email);
        revoke_where(S.accesses, "email", email);
    } else {
        oauth_error(r, 400, "invalid_request", "refreshToken or email is required");
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "revoked", n);
    fake_json_body(r, 200, out);
}

static void reset(void)
{
    cJSON_Delete(S.codes);
    cJSON_Delete(S.refreshes);
    cJSON_Delete(S.accesses);
    cJSON_Delete(S.consented);
    cJSON_Delete(S.consent);
    S.codes = cJSON_CreateArray();
    S.refreshes = cJSON_CreateArray();
    S.accesses = cJSON_CreateArray();
    S.consented = cJSON_CreateArray();
    S.consent = NULL;
    S.exchanges = S.refresh_count = S.userinfo = S.authorizations = 0;
    S.fail_count = 0;
}

static void control(const fake_request *q, fake_response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body, q->body_len);
    bool post = strcmp(q->method, "POST") == 0;
    if (strcmp(q->path, "/_fake/codes") == 0 && post) {
        register_code(in, r);
    } else if (strcmp(q->path, "/_fake/consent") == 0 && post && cJSON_IsObject(in)) {
        cJSON_Delete(S.consent);
        S.consent = cJSON_Duplicate(in, true);
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/revoke") == 0 && post) {
        revoke(in, r);
    } else if (strcmp(q->path, "/_fake/fail") == 0 && post) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "status"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        S.fail_status = cJSON_IsNumber(st) ? st->valueint : 500;
        S.fail_count = cJSON_IsNumber(n) ? n->valueint : 1;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/stats") == 0 && strcmp(q->method, "GET") == 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "exchanges", S.exchanges);
        cJSON_AddNumberToObject(out, "refreshes", S.refresh_count);
        cJSON_AddNumberToObject(out, "userinfo", S.userinfo);
        cJSON_AddNumberToObject(out, "authorizations", S.authorizations);
        fake_json_body(r, 200, out);
    } else if (strcmp(q->path, "/_fake/reset") == 0 && post) {
        reset();
        r->status = 204;
    } else {
        oauth_error(r, 404, "not_found", "no such control endpoint");
    }
    cJSON_Delete(in);
}

static void route(fake_request *q, fake_response *r)
{
    char path[2048];
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(q->path, "?"), q->path);
    pthread_mutex_lock(&S.lock);
    if (strncmp(path, "/_fake/", 7) == 0) {
        control(q, r);
    } else if (S.fail_count > 0) {
        S.fail_count--;
        oauth_error(r, S.fail_status, S.fail_status == 429 ? "rate_limit_exceeded" : "internal_failure",
                    S.fail_status == 429 ? "Rate Limit Exceeded" : "Backend Error");
    } else if (strcmp(path, "/token") == 0 && strcmp(q->method, "POST") == 0) {
        token(q, r);
    } else if (strcmp(path, "/v1/userinfo") == 0 && strcmp(q->method, "GET") == 0) {
        userinfo(q, r);
    } else if (strcmp(path, "/o/oauth2/v2/auth") == 0 && strcmp(q->method, "GET") == 0) {
        authorize(q, r);
    } else {
        oauth_error(r, 404, "not_found", "Not Found");
    }
    pthread_mutex_unlock(&S.lock);
}

int main(void)
{
    vx_log_init("google-oauth-fake");
    const char *port_s = getenv("GOOGLE_OAUTH_FAKE_PORT");
    S.client_id = getenv("GOOGLE_OAUTH_FAKE_CLIENT_ID");
    S.client_secret = getenv("GOOGLE_OAUTH_FAKE_CLIENT_SECRET");
    if (port_s == NULL || atoi(port_s) <= 0 || S.client_id == NULL || S.client_id[0] == '\0' || S.client_secret == NULL ||
        S.client_secret[0] == '\0') {
        fprintf(stderr,
                "google_oauth fake: set GOOGLE_OAUTH_FAKE_PORT, GOOGLE_OAUTH_FAKE_CLIENT_ID and GOOGLE_OAUTH_FAKE_CLIENT_SECRET\n");
        return 2;
    }
    reset();
    int rc = fake_http_serve(atoi(port_s), route);
    cJSON_Delete(S.codes);
    cJSON_Delete(S.refreshes);
    cJSON_Delete(S.accesses);
    cJSON_Delete(S.consented);
    cJSON_Delete(S.consent);
    return rc;
}
