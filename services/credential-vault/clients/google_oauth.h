/*
 * google_oauth: the one client of Google's OAuth 2.0 web-server flow
 * (libcurl), as contracts/providers.md §2 describes it — how the vault
 * connects an org's Google Calendar and keeps it connected:
 *
 *   consent URL   GET  …/o/oauth2/v2/auth?client_id&redirect_uri&response_type=code&scope&access_type=offline
 *                      &prompt=consent&include_granted_scopes=true&state   (the owner's browser goes there)
 *   code exchange POST …/token  grant_type=authorization_code (form body, client_secret_post)
 *   refresh       POST …/token  grant_type=refresh_token
 *   user's email  GET  …/v1/userinfo  (Authorization: Bearer <access token>)
 *
 * The endpoints, client and timeout come with a google_oauth_config (the
 * vault's settings: GOOGLE_OAUTH_BASE_URL, unset for Google's own
 * endpoints, which tests point at tests/fakes/google_oauth;
 * GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REDIRECT_URI). Nothing is
 * retried here: the caller decides.
 *
 * Failures are logged once (HTTP status and Google's error and
 * error_description, or the network error) and returned as a
 * google_oauth_status; the client secret, codes and tokens are never
 * logged, and every buffer that held one is wiped before it is freed.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#ifndef CREDENTIAL_VAULT_CLIENTS_GOOGLE_OAUTH_H
#define CREDENTIAL_VAULT_CLIENTS_GOOGLE_OAUTH_H

#include <stdbool.h>

typedef struct google_oauth_config {
    const char *base_url; /* GOOGLE_OAUTH_BASE_URL, or NULL for Google's own endpoints */
    const char *client_id, *client_secret, *redirect_uri;
    long timeout_ms;
} google_oauth_config;

/* The three endpoints: with base_url NULL/"" Google's (https://accounts.google.com/o/oauth2/v2/auth,
 * https://oauth2.googleapis.com/token, https://openidconnect.googleapis.com/v1/userinfo); with a base,
 * base + "/o/oauth2/v2/auth", base + "/token", base + "/v1/userinfo" (a trailing '/' on the base is ignored). */
#define GOOGLE_OAUTH_SCOPE_CALENDAR "https://www.googleapis.com/auth/calendar"
#define GOOGLE_OAUTH_SCOPE_EMAIL    "https://www.googleapis.com/auth/userinfo.email"

/* The consent URL, malloc'd: client_id, redirect_uri, response_type=code, scope (both scopes, space-separated,
 * encoded), access_type=offline, prompt=consent, include_granted_scopes=true, state — each value
 * percent-encoded (vx_query_append). NULL (logged) when c, its client_id or redirect_uri, or state is NULL or "". */
char *google_oauth_authorize_url(const google_oauth_config *c, const char *state);

typedef enum {
    GOOGLE_OAUTH_OK = 0,
    GOOGLE_OAUTH_INVALID_GRANT = 1, /* 400 invalid_grant: code used/expired, or refresh token revoked/expired */
    GOOGLE_OAUTH_REJECTED = -2,     /* invalid_client (401) or another 4xx error: configuration, logged */
    GOOGLE_OAUTH_ERROR = -1,        /* network, timeout, 429, 5xx, unreadable */
} google_oauth_status;

typedef struct google_tokens {
    char *access_token;  /* malloc'd */
    char *refresh_token; /* malloc'd, NULL when the answer had none (refresh answers normally have none) */
    char *scope;         /* malloc'd granted scopes, space-separated ("" when absent) */
    long expires_in;     /* seconds (0 when absent) */
} google_tokens;

/* Wipes (memset 0) the tokens and frees them; the struct is zeroed. NULL: nothing. */
void google_tokens_clear(google_tokens *t);

/* POST token endpoint, form body code, client_id, client_secret, redirect_uri, grant_type=authorization_code.
 * *out is zeroed first and filled only on GOOGLE_OAUTH_OK (the caller then clears it). A NULL or empty code is
 * GOOGLE_OAUTH_INVALID_GRANT and a config without client id or secret GOOGLE_OAUTH_REJECTED, both without a request. */
google_oauth_status google_oauth_exchange_code(const google_oauth_config *c, const char *code, google_tokens *out,
                                               const char *request_id, const char *org_id);

/* POST token endpoint, form body client_id, client_secret, grant_type=refresh_token, refresh_token.
 * *out as for google_oauth_exchange_code (an empty refresh_token is GOOGLE_OAUTH_INVALID_GRANT);
 * out->refresh_token is normally NULL (keep the old one). */
google_oauth_status google_oauth_refresh(const google_oauth_config *c, const char *refresh_token, google_tokens *out,
                                         const char *request_id, const char *org_id);

/* GET userinfo with Bearer access_token; *email malloc'd (NULL unless GOOGLE_OAUTH_OK; "" when Google gave
 * none, as when the email scope was not granted). A 401 (token invalid or expired) is GOOGLE_OAUTH_REJECTED. */
google_oauth_status google_oauth_userinfo_email(const google_oauth_config *c, const char *access_token, char **email,
                                                const char *request_id, const char *org_id);

/* True when scope (space-separated) contains wanted as a whole word. */
bool google_oauth_scope_has(const char *scope, const char *wanted);

#endif
