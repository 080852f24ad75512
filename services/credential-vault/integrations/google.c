/*
 * Google Calendar connect: GET /api/integrations/google/authorize gives the
 * owner Google's consent URL (the "forever link": offline access, consent
 * every time, calendar and email scopes), carrying a state signed by the
 * vault that names the org and expires in 10 minutes; Google sends the
 * browser back to GET /api/integrations/google/callback?code&state, which
 * has no dashboard token — the state alone says which org it is for.
 *
 * The callback exchanges the code, reads the account's email, stores the
 * refresh token and email, and sends the owner back to DASHBOARD_URL with
 * the outcome (?google=connected, or ?google=error&reason=…). A state that
 * is tampered with, expired, already used or not the vault's is refused
 * with 400 and nothing is stored: that request did not come from an owner's
 * own round trip.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/google_oauth.h"
#include "integrations/routes.h"
#include "oauth_state.h"
#include "vx_access.h"
#include "vx_log.h"
#include "vx_secret.h"
#include "vx_query.h"
#include "vx_time.h"

#define CODE_MAX 2048

void integrations_google_authorize(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    if (!settings_google_ready(r->v->settings)) {
        vx_rpc_reply_error(reply, 503, "google_not_configured", "Google Calendar is not set up on this server yet.");
        return;
    }
    char *state = oauth_state_make(r->v->keys, req->auth->org_id, vx_now_ms() / 1000);
    char *url = google_oauth_authorize_url(&r->v->settings->google, state);
    free(state);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "url", url);
    free(url);
    vx_rpc_reply_cjson(reply, 200, root);
}

/* Ends the round trip: to the dashboard with the outcome, or (no
 * DASHBOARD_URL) a JSON answer saying the same. reason NULL: connected. */
static void finish(const route_ctx *r, vx_rpc_reply *reply, const char *reason, const char *email)
{
    const char *dashboard = r->v->settings->dashboard_url;
    if (dashboard != NULL) {
        vx_buf url = VX_BUF_INIT, query = VX_BUF_INIT;
        vx_query_append(&query, "google", reason == NULL ? "connected" : "error");
        if (reason != NULL)
            vx_query_append(&query, "reason", reason);
        vx_buf_printf(&url, "%s%c%s", dashboard, strchr(dashboard, '?') != NULL ? '&' : '?', query.data);
        reply->status = 302;
        reply->content_type = "application/json";
        vx_rpc_reply_header(reply, "location", url.data);
        vx_buf_puts(&reply->body, reason == NULL ? "{\"provider\":\"google_calendar\",\"connected\":true}"
                                                 : "{\"provider\":\"google_calendar\",\"connected\":false}");
        vx_buf_free(&url);
        vx_buf_free(&query);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "provider", PROVIDER_GOOGLE);
    cJSON_AddBoolToObject(root, "connected", reason == NULL);
    if (reason != NULL)
        cJSON_AddStringToObject(root, "reason", reason);
    if (email != NULL)
        cJSON_AddStringToObject(root, "label", email);
    vx_rpc_reply_cjson(reply, reason == NULL ? 200 : 502, root);
}

/* The state's org, after every check; false with reply set to the refusal. */
static bool check_state(const route_ctx *r, const vx_gateway_request *req, char org_id[VX_UUID_STR_LEN + 1], vx_rpc_reply *reply)
{
    char state[256];
    int64_t now = vx_now_ms() / 1000, expires_at = 0;
    uint8_t mac[VX_SHA256_LEN];
    oauth_state_status st = OAUTH_STATE_INVALID;
    if (vx_query_get(req->query, "state", state, sizeof(state)) == VX_QUERY_OK)
        st = oauth_state_check(r->v->keys, state, now, org_id, &expires_at, mac);
    if (st == OAUTH_STATE_OK && vx_replay_check(r->v->oauth_states, mac, expires_at, now, OAUTH_STATE_TTL_S) != VX_REPLAY_FRESH)
        st = OAUTH_STATE_INVALID;
    if (st != OAUTH_STATE_OK) {
        vx_log_warn(req->request_id, NULL, "google callback refused", "reason",
                    st == OAUTH_STATE_EXPIRED ? "state expired" : "state invalid or used");
        vx_rpc_reply_error(reply, 400, "invalid_state",
                           st == OAUTH_STATE_EXPIRED ? "This Google sign-in took too long. Start again from Settings."
                                                     : "This Google sign-in link is not valid. Start again from Settings.");
        return false;
    }
    /* The org must still be one we serve. */
    return vx_access_org_active(r->pg, req, org_id, reply);
}

/* Exchanges the code and stores what Google gave. NULL when connected, else the reason. */
static const char *connect_google(const route_ctx *r, const vx_gateway_request *req, const char *org, const char *code,
                                  char **email)
{
    const google_oauth_config *g = &r->v->settings->google;
    google_tokens t = {0};
    google_oauth_status gs = google_oauth_exchange_code(g, code, &t, req->request_id, org);
    const char *reason = NULL;
    if (gs == GOOGLE_OAUTH_INVALID_GRANT)
        reason = "code_rejected";
    else if (gs != GOOGLE_OAUTH_OK)
        reason = "google_unavailable";
    else if (!google_oauth_scope_has(t.scope, GOOGLE_OAUTH_SCOPE_CALENDAR))
        reason = "calendar_not_granted"; /* the owner unticked the calendar on Google's consent screen */
    else if (t.refresh_token == NULL)
        reason = "no_refresh_token";
    else if (google_oauth_userinfo_email(g, t.access_token, email, req->request_id, org) != GOOGLE_OAUTH_OK)
        reason = "google_unavailable";
    if (reason == NULL) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "refreshToken", t.refresh_token);
        char *secret = cJSON_PrintUnformatted(doc);
        vx_secret_json_delete(doc);
        if (secret == NULL)
            abort();
        store_status st = credentials_store(r->v, r->pg, req->request_id, org, PROVIDER_GOOGLE, (const uint8_t *)secret,
                                            strlen(secret), *email, NULL);
        vx_secret_free(secret);
        if (st == STORE_OK) {
            credentials_mark(r->v, r->pg, req->request_id, org, PROVIDER_GOOGLE, true, NULL, NULL);
            /* The callback carries no token: the actor is the org's signed state, not a user. */
            store_audit(r->pg, req->request_id, org, NULL, NULL, "integration.google_connected", PROVIDER_GOOGLE);
            int64_t now = vx_now_ms();
            cache_token_put(r->v->cache, org, t.access_token, now + (int64_t)t.expires_in * 1000, now);
        } else {
            reason = "storage_unavailable";
        }
    }
    google_tokens_clear(&t);
    return reason;
}

void integrations_google_callback(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    char org[VX_UUID_STR_LEN + 1];
    if (!check_state(r, req, org, reply))
        return;
    char error[64], code[CODE_MAX];
    if (vx_query_get(req->query, "error", error, sizeof(error)) == VX_QUERY_OK) {
        vx_log_info(req->request_id, org, "google consent not given", "error", error);
        finish(r, reply, strcmp(error, "access_denied") == 0 ? "access_denied" : "google_error", NULL);
        return;
    }
    if (vx_query_get(req->query, "code", code, sizeof(code)) != VX_QUERY_OK || code[0] == '\0') {
        vx_rpc_reply_error(reply, 400, "invalid_request", "The callback carries no authorization code.");
        return;
    }
    if (!settings_google_ready(r->v->settings)) {
        vx_rpc_reply_error(reply, 503, "google_not_configured", "Google Calendar is not set up on this server yet.");
        return;
    }
    char *email = NULL;
    const char *reason = connect_google(r, req, org, code, &email);
    explicit_bzero(code, sizeof(code));
    vx_log_info(req->request_id, org, "google connect", "outcome", reason == NULL ? "connected" : reason);
    finish(r, reply, reason, email);
    free(email);
}
