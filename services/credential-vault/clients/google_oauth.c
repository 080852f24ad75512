/*
 * google_oauth: Google's OAuth 2.0 web-server flow over libcurl (see
 * google_oauth.h).
 *
 * Design: the token endpoint takes application/x-www-form-urlencoded bodies
 * and answers JSON (contracts/providers.md §2); both grants go through
 * token_request(), which owns the secrets' lifetime — the form body (client
 * secret, code or refresh token) and the answer (tokens) are wiped before
 * they are freed. Outcomes are classified in one place per endpoint:
 * invalid_grant (400) is its own outcome because it means "the owner must
 * consent again", any other 4xx is a refusal that only configuration fixes
 * (invalid_client is a 401), and 429, 5xx and unreadable answers are worth
 * retrying later. The consent URL is built, not requested: the owner's
 * browser goes there.
 */
#include "clients/google_oauth.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_http.h"
#include "vx_log.h"
#include "vx_secret.h"
#include "vx_query.h"

#define MAX_ANSWER_BYTES (64 * 1024)
/* Google's error descriptions are one sentence; more than this is cut in the log line. */
#define MAX_LOGGED_DESCRIPTION 200

typedef enum { ENDPOINT_AUTH, ENDPOINT_TOKEN, ENDPOINT_USERINFO } endpoint;

/* The endpoint's URL into url: Google's own, or under the configured base. */
static void endpoint_url(const google_oauth_config *c, endpoint e, vx_buf *url)
{
    static const char *const google[] = {"https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
                                         "https://openidconnect.googleapis.com/v1/userinfo"};
    static const char *const path[] = {"/o/oauth2/v2/auth", "/token", "/v1/userinfo"};
    if (c->base_url == NULL || c->base_url[0] == '\0') {
        vx_buf_puts(url, google[e]);
        return;
    }
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        n--;
    vx_buf_append(url, c->base_url, n);
    vx_buf_puts(url, path[e]);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        abort(); /* out of memory */
    return d;
}

char *google_oauth_authorize_url(const google_oauth_config *c, const char *state)
{
    if (c == NULL || c->client_id == NULL || c->client_id[0] == '\0' || c->redirect_uri == NULL || c->redirect_uri[0] == '\0' ||
        state == NULL || state[0] == '\0') {
        vx_log_error(NULL, NULL, "google consent url needs a client id, a redirect uri and a state");
        return NULL;
    }
    vx_buf url = VX_BUF_INIT, query = VX_BUF_INIT;
    endpoint_url(c, ENDPOINT_AUTH, &url);
    vx_query_append(&query, "client_id", c->client_id);
    vx_query_append(&query, "redirect_uri", c->redirect_uri);
    vx_query_append(&query, "response_type", "code");
    vx_query_append(&query, "scope", GOOGLE_OAUTH_SCOPE_CALENDAR " " GOOGLE_OAUTH_SCOPE_EMAIL);
    /* offline + consent: a refresh token on every grant, not only the first (§2). */
    vx_query_append(&query, "access_type", "offline");
    vx_query_append(&query, "prompt", "consent");
    vx_query_append(&query, "include_granted_scopes", "true");
    vx_query_append(&query, "state", state);
    vx_buf_putc(&url, '?');
    vx_buf_append(&url, query.data, query.len);
    vx_buf_free(&query);
    return vx_buf_steal(&url);
}

void google_tokens_clear(google_tokens *t)
{
    if (t == NULL)
        return;
    vx_secret_free(t->access_token);
    vx_secret_free(t->refresh_token);
    vx_secret_free(t->scope);
    memset(t, 0, sizeof(*t));
}

bool google_oauth_scope_has(const char *scope, const char *wanted)
{
    if (scope == NULL || wanted == NULL || wanted[0] == '\0')
        return false;
    size_t n = strlen(wanted);
    for (const char *p = scope; *p != '\0';) {
        while (*p == ' ')
            p++;
        size_t word = strcspn(p, " ");
        if (word == n && memcmp(p, wanted, n) == 0)
            return true;
        p += word;
    }
    return false;
}

/* Logs Google's refusal: its error and error_description (RFC 6749 §5.2 shape, never the body as a whole). */
static void log_refusal(const char *what, long status, const cJSON *err, const char *request_id, const char *org_id)
{
    char s[16];
    snprintf(s, sizeof(s), "%ld", status);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(err, "error");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(err, "error_description");
    char description[MAX_LOGGED_DESCRIPTION + 1] = "";
    if (cJSON_IsString(d))
        snprintf(description, sizeof(description), "%s", d->valuestring);
    /* Other Google APIs nest the error ({"error":{"message":…}}): only a string is logged. */
    vx_log_warn(request_id, org_id, "google refused the request", "operation", what, "http_status", s, "google_error",
                cJSON_IsString(e) ? e->valuestring : NULL, "google_error_description", cJSON_IsString(d) ? description : NULL);
}

/* The outcome of a non-200 answer (logged). */
static google_oauth_status refusal_status(const char *what, const vx_http_answer *a, const char *request_id, const char *org_id)
{
    cJSON *err = a->body.data != NULL ? cJSON_ParseWithLength(a->body.data, a->body.len) : NULL;
    log_refusal(what, a->status, err, request_id, org_id);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(err, "error");
    google_oauth_status st;
    if (a->status == 400 && cJSON_IsString(e) && strcmp(e->valuestring, "invalid_grant") == 0)
        st = GOOGLE_OAUTH_INVALID_GRANT;
    else if (a->status >= 400 && a->status <= 499 && a->status != 429)
        st = GOOGLE_OAUTH_REJECTED;
    else
        st = GOOGLE_OAUTH_ERROR;
    cJSON_Delete(err);
    return st;
}

/* One call to Google: GOOGLE_OAUTH_OK with *json the parsed 200 answer
 * (its raw bytes wiped; the caller deletes *json with vx_secret_json_delete),
 * else the outcome, logged, and *json NULL. */
static google_oauth_status perform_json(const google_oauth_config *c, const char *method, const char *url,
                                        const char *const *headers, const char *body, const char *what, const char *request_id,
                                        const char *org_id, cJSON **json)
{
    *json = NULL;
    vx_http_request req = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .timeout_ms = c->timeout_ms,
        .max_answer_bytes = MAX_ANSWER_BYTES,
    };
    vx_http_answer answer;
    const char *error = NULL;
    if (vx_http_perform(&req, &answer, &error) != 0) {
        vx_log_warn(request_id, org_id, "google unreachable", "operation", what, "error", error);
        return GOOGLE_OAUTH_ERROR;
    }
    google_oauth_status st = GOOGLE_OAUTH_OK;
    if (answer.status != 200)
        st = refusal_status(what, &answer, request_id, org_id);
    else if (answer.body.data != NULL)
        *json = cJSON_ParseWithLength(answer.body.data, answer.body.len);
    vx_secret_buf_free(&answer.body);
    return st;
}

/* POSTs form (wiped by the caller) to the token endpoint and reads a 200 answer into *out. */
static google_oauth_status token_request(const google_oauth_config *c, const char *form, google_tokens *out, const char *what,
                                         const char *request_id, const char *org_id)
{
    vx_buf url = VX_BUF_INIT;
    endpoint_url(c, ENDPOINT_TOKEN, &url);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
    cJSON *json = NULL;
    google_oauth_status called = perform_json(c, "POST", url.data, headers, form, what, request_id, org_id, &json);
    vx_buf_free(&url);
    if (called != GOOGLE_OAUTH_OK)
        return called;
    const cJSON *access = cJSON_GetObjectItemCaseSensitive(json, "access_token");
    const cJSON *refresh = cJSON_GetObjectItemCaseSensitive(json, "refresh_token");
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(json, "scope");
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(json, "expires_in");
    google_oauth_status st = GOOGLE_OAUTH_OK;
    if (!cJSON_IsString(access) || access->valuestring[0] == '\0' ||
        (refresh != NULL && !cJSON_IsNull(refresh) && !cJSON_IsString(refresh))) {
        vx_log_warn(request_id, org_id, "google answered something unreadable", "operation", what);
        st = GOOGLE_OAUTH_ERROR;
    } else {
        out->access_token = xstrdup(access->valuestring);
        out->refresh_token = cJSON_IsString(refresh) && refresh->valuestring[0] != '\0' ? xstrdup(refresh->valuestring) : NULL;
        out->scope = xstrdup(cJSON_IsString(scope) ? scope->valuestring : "");
        /* A number, as Google sends it; some servers send a string of digits. */
        if (cJSON_IsNumber(expires) && expires->valuedouble > 0 && expires->valuedouble < 1e9)
            out->expires_in = (long)expires->valuedouble;
        else if (cJSON_IsString(expires))
            out->expires_in = strtol(expires->valuestring, NULL, 10);
        if (out->expires_in < 0)
            out->expires_in = 0;
    }
    vx_secret_json_delete(json);
    return st;
}

/* The client's credentials, which every token request carries (client_secret_post). */
static bool client_ready(const google_oauth_config *c, const char *what, const char *request_id, const char *org_id)
{
    if (c != NULL && c->client_id != NULL && c->client_id[0] != '\0' && c->client_secret != NULL && c->client_secret[0] != '\0')
        return true;
    vx_log_error(request_id, org_id, "google oauth client id or secret is not set", "operation", what);
    return false;
}

google_oauth_status google_oauth_exchange_code(const google_oauth_config *c, const char *code, google_tokens *out,
                                               const char *request_id, const char *org_id)
{
    static const char what[] = "exchange code";
    memset(out, 0, sizeof(*out));
    if (!client_ready(c, what, request_id, org_id))
        return GOOGLE_OAUTH_REJECTED;
    if (code == NULL || code[0] == '\0') /* Google would say invalid_request; nothing to ask */
        return GOOGLE_OAUTH_INVALID_GRANT;
    vx_buf form = VX_BUF_INIT;
    vx_query_append(&form, "code", code);
    vx_query_append(&form, "client_id", c->client_id);
    vx_query_append(&form, "client_secret", c->client_secret);
    vx_query_append(&form, "redirect_uri", c->redirect_uri);
    vx_query_append(&form, "grant_type", "authorization_code");
    google_oauth_status st = token_request(c, form.data, out, what, request_id, org_id);
    vx_secret_buf_free(&form);
    return st;
}

google_oauth_status google_oauth_refresh(const google_oauth_config *c, const char *refresh_token, google_tokens *out,
                                         const char *request_id, const char *org_id)
{
    static const char what[] = "refresh token";
    memset(out, 0, sizeof(*out));
    if (!client_ready(c, what, request_id, org_id))
        return GOOGLE_OAUTH_REJECTED;
    if (refresh_token == NULL || refresh_token[0] == '\0')
        return GOOGLE_OAUTH_INVALID_GRANT;
    vx_buf form = VX_BUF_INIT;
    vx_query_append(&form, "client_id", c->client_id);
    vx_query_append(&form, "client_secret", c->client_secret);
    vx_query_append(&form, "grant_type", "refresh_token");
    vx_query_append(&form, "refresh_token", refresh_token);
    google_oauth_status st = token_request(c, form.data, out, what, request_id, org_id);
    vx_secret_buf_free(&form);
    return st;
}

google_oauth_status google_oauth_userinfo_email(const google_oauth_config *c, const char *access_token, char **email,
                                                const char *request_id, const char *org_id)
{
    static const char what[] = "userinfo";
    *email = NULL;
    if (c == NULL || access_token == NULL || access_token[0] == '\0')
        return GOOGLE_OAUTH_REJECTED;
    vx_buf url = VX_BUF_INIT, auth = VX_BUF_INIT;
    endpoint_url(c, ENDPOINT_USERINFO, &url);
    vx_buf_printf(&auth, "Authorization: Bearer %s", access_token);
    const char *headers[] = {auth.data, "Accept: application/json", NULL};
    cJSON *json = NULL;
    google_oauth_status called = perform_json(c, "GET", url.data, headers, NULL, what, request_id, org_id, &json);
    vx_secret_buf_free(&auth);
    vx_buf_free(&url);
    if (called != GOOGLE_OAUTH_OK)
        return called;
    google_oauth_status st = GOOGLE_OAUTH_OK;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(json, "email");
    if (!cJSON_IsObject(json) || (e != NULL && !cJSON_IsNull(e) && !cJSON_IsString(e))) {
        vx_log_warn(request_id, org_id, "google answered something unreadable", "operation", what);
        st = GOOGLE_OAUTH_ERROR;
    } else {
        *email = xstrdup(cJSON_IsString(e) ? e->valuestring : "");
    }
    vx_secret_json_delete(json);
    return st;
}
