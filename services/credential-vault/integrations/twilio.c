/*
 * POST and DELETE /api/integrations/twilio: the clinic's own Twilio account
 * and number, validated with Twilio, stored encrypted, and set up at Vapi
 * ("dual-sync": Vapi's Twilio credential, the number imported with our
 * server URL and no fixed assistant, and the number linked to the org's
 * agent so assistant-request finds the org).
 *
 * Each step's outcome is kept in the credential's sync state
 * (twilio_setup.h) as soon as it is done, so a connect that failed half-way
 * is finished by posting again, without a second Vapi credential or number.
 * One connect per org runs at a time (an advisory lock), so a double click
 * cannot race itself into two. Provider errors are logged by the clients and
 * never returned: the owner gets a sentence that says what to do.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/twilio.h"
#include "integrations/routes.h"
#include "integrations/twilio_setup.h"
#include "vx_log.h"
#include "vx_secret.h"
#include "vx_validate.h"
#include "vx_vapi_api.h"

#define TWILIO_TOKEN_MAX 128

void integrations_twilio_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, "twilio_try_lock", "SELECT pg_try_advisory_lock(hashtextextended('voxanne-twilio-connect:' || $1, 0))");
    vx_pg_prepare(pg, "twilio_unlock", "SELECT pg_advisory_unlock(hashtextextended('voxanne-twilio-connect:' || $1, 0))");
    vx_pg_prepare(pg, "twilio_number_owner", "SELECT org_for_phone_number($1)");
    /* The org's first agent answers on the number (one is created if the org has none yet). */
    vx_pg_prepare(pg, "twilio_link_agent",
                  "WITH first AS (SELECT id FROM agents WHERE org_id = $1::uuid ORDER BY created_at, id LIMIT 1), "
                  "u AS (UPDATE agents SET vapi_phone_number_id = $2, phone_number = $3 WHERE id IN (SELECT id FROM first) "
                  "      RETURNING 1) "
                  "INSERT INTO agents (org_id, vapi_phone_number_id, phone_number) "
                  "SELECT $1::uuid, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM u)");
    vx_pg_prepare(pg, "twilio_unlink_agent",
                  "UPDATE agents SET vapi_phone_number_id = NULL, phone_number = NULL "
                  "WHERE org_id = $1::uuid AND (vapi_phone_number_id = $2 OR phone_number::text = $3)");
}

/* The posted body, validated. */
typedef struct connect_input {
    char account_sid[35];
    char auth_token[TWILIO_TOKEN_MAX + 1];
    char number[17];
} connect_input;

static bool sid_valid(const char *s)
{
    if (strlen(s) != 34 || s[0] != 'A' || s[1] != 'C')
        return false;
    for (size_t i = 2; i < 34; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool token_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > TWILIO_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return true;
}

/* Reads {accountSid, authToken, phoneNumber}. Returns true, or false with reply set to the 400. */
static bool read_input(const vx_gateway_request *req, connect_input *in, vx_rpc_reply *reply)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)req->body.data, req->body.len);
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "accountSid"));
    const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "authToken"));
    const char *number = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "phoneNumber"));
    bool ok = false;
    if (!cJSON_IsObject(doc))
        vx_rpc_reply_error(reply, 400, "invalid_body",
                           "The body must be a JSON object with accountSid, authToken and phoneNumber.");
    else if (sid == NULL || !sid_valid(sid))
        vx_rpc_reply_error(reply, 400, "invalid_account_sid",
                           "accountSid must be your Twilio Account SID: AC followed by 32 hex digits.");
    else if (token == NULL || !token_valid(token))
        vx_rpc_reply_error(reply, 400, "invalid_auth_token", "authToken must be your Twilio Auth Token.");
    else if (number == NULL || !vx_is_e164(number))
        vx_rpc_reply_error(reply, 400, "invalid_phone_number", "phoneNumber must be in E.164 format, e.g. +15551234567.");
    else
        ok = true;
    if (ok) {
        snprintf(in->account_sid, sizeof(in->account_sid), "%s", sid);
        snprintf(in->auth_token, sizeof(in->auth_token), "%s", token);
        snprintf(in->number, sizeof(in->number), "%s", number);
    }
    vx_secret_json_delete(doc); /* the posted auth token too */
    return ok;
}

/* Twilio's verdict on the credentials and the number. True when both are good; else reply holds the answer. */
static bool validate_with_twilio(const route_ctx *r, const vx_gateway_request *req, const connect_input *in, vx_rpc_reply *reply)
{
    const char *base = r->v->settings->twilio_base_url;
    long timeout = r->v->settings->provider_timeout_ms;
    const char *org = req->auth->org_id;
    twilio_status st = twilio_fetch_account(base, in->account_sid, in->auth_token, timeout, req->request_id, org);
    if (st == TWILIO_OK)
        st = twilio_find_incoming_number(base, in->account_sid, in->auth_token, in->number, timeout, req->request_id, org, NULL);
    else if (st == TWILIO_NOT_FOUND)
        st = TWILIO_REJECTED; /* no such account for these credentials */
    switch (st) {
    case TWILIO_OK:
        return true;
    case TWILIO_REJECTED:
        vx_rpc_reply_error(reply, 400, "twilio_rejected",
                           "Twilio rejected these credentials — check the Account SID and Auth Token.");
        break;
    case TWILIO_NOT_FOUND:
        vx_rpc_reply_error(reply, 400, "number_not_on_account",
                           "This phone number is not one of the Twilio account's numbers — check it in the Twilio console.");
        break;
    case TWILIO_INACTIVE:
        vx_rpc_reply_error(reply, 400, "twilio_account_inactive", "This Twilio account is suspended or closed.");
        break;
    case TWILIO_ERROR:
        vx_rpc_reply_error(reply, 502, "twilio_unavailable", "Twilio could not be reached. Please try again in a minute.");
        break;
    }
    return false;
}

/* True when no other organization answers on number; else reply holds the 409 (or 503). */
static bool number_free(const route_ctx *r, const vx_gateway_request *req, const char *number, vx_rpc_reply *reply)
{
    const char *params[1] = {number};
    PGresult *res = vx_pg_exec(r->pg, "twilio_number_owner", 1, params);
    if (res == NULL) {
        vx_log_error(req->request_id, req->auth->org_id, "number owner look-up failed", "error", vx_pg_error(r->pg));
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        return false;
    }
    const char *owner = vx_pg_value(res, 0, 0);
    bool free_ = owner == NULL || strcmp(owner, req->auth->org_id) == 0;
    PQclear(res);
    if (!free_)
        vx_rpc_reply_error(reply, 409, "number_in_use", "This number is already connected to another organization.");
    return free_;
}

/* Session-level lock of the org's Twilio connect on this worker's connection. */
static bool lock_org(const route_ctx *r, const char *org_id, const char *stmt)
{
    const char *params[1] = {org_id};
    PGresult *res = vx_pg_exec(r->pg, stmt, 1, params);
    bool ok = res != NULL && vx_pg_value(res, 0, 0) != NULL && strcmp(vx_pg_value(res, 0, 0), "t") == 0;
    PQclear(res);
    return ok;
}

/* Removes at Vapi what setup created. True when nothing is left there. */
static bool remove_at_vapi(const route_ctx *r, const vx_gateway_request *req, const twilio_setup *s)
{
    const vx_vapi_api_config *vapi = &r->v->settings->vapi;
    const char *org = req->auth->org_id;
    if (s->vapi_phone_number_id[0] != '\0' &&
        vx_vapi_api_delete_phone_number(vapi, s->vapi_phone_number_id, req->request_id, org) < 0)
        return false;
    if (s->vapi_credential_id[0] != '\0' && vx_vapi_api_delete_credential(vapi, s->vapi_credential_id, req->request_id, org) < 0)
        return false;
    return true;
}

static void save_setup(const route_ctx *r, const vx_gateway_request *req, const twilio_setup *s)
{
    char *json = twilio_setup_json(s);
    store_set_sync(r->pg, req->request_id, req->auth->org_id, PROVIDER_TWILIO, json);
    free(json);
}

/* The Vapi steps still missing. Returns the step that failed, or TWILIO_STEP_COUNT. */
static twilio_step finish_at_vapi(const route_ctx *r, const vx_gateway_request *req, const connect_input *in, twilio_setup *s)
{
    const vault_settings *cfg = r->v->settings;
    const char *org = req->auth->org_id;
    char name[64];
    snprintf(name, sizeof(name), "vx-%s", org);
    if (s->vapi_credential_id[0] == '\0') {
        if (vx_vapi_api_create_twilio_credential(&cfg->vapi, in->account_sid, in->auth_token, name, s->vapi_credential_id,
                                                 req->request_id, org) != VX_VAPI_API_OK) {
            s->vapi_credential_id[0] = '\0';
            return TWILIO_STEP_VAPI_CREDENTIAL;
        }
        save_setup(r, req, s);
    }
    if (s->vapi_phone_number_id[0] == '\0') {
        if (cfg->public_base_url == NULL) {
            vx_log_error(req->request_id, org, "number not imported: PUBLIC_BASE_URL is not set");
            return TWILIO_STEP_NUMBER_IMPORTED;
        }
        char server_url[1024];
        size_t n = strlen(cfg->public_base_url);
        snprintf(server_url, sizeof(server_url), "%.*s/api/vapi/webhook",
                 (int)(n > 0 && cfg->public_base_url[n - 1] == '/' ? n - 1 : n), cfg->public_base_url);
        if (vx_vapi_api_import_twilio_number(&cfg->vapi, in->number, in->account_sid, in->auth_token, name, server_url,
                                             cfg->vapi_server_credential_id, s->vapi_phone_number_id, req->request_id,
                                             org) != VX_VAPI_API_OK) {
            s->vapi_phone_number_id[0] = '\0';
            return TWILIO_STEP_NUMBER_IMPORTED;
        }
        save_setup(r, req, s);
    }
    if (!s->linked) {
        const char *params[3] = {org, s->vapi_phone_number_id, in->number};
        PGresult *res = store_exec_as_org(r->pg, req->request_id, org, true, "twilio_link_agent", 3, params);
        if (res == NULL)
            return TWILIO_STEP_LINKED;
        PQclear(res);
        s->linked = true;
        save_setup(r, req, s);
    }
    return TWILIO_STEP_COUNT;
}

static void reply_steps(vx_rpc_reply *reply, const twilio_setup *s, twilio_step failed, const char *number)
{
    cJSON *root = cJSON_CreateObject();
    if (failed != TWILIO_STEP_COUNT) {
        cJSON_AddStringToObject(
            root, "error",
            failed == TWILIO_STEP_LINKED
                ? "Your Twilio credentials are saved, but linking the number to your agent failed. Please try again."
                : "Your Twilio credentials are saved, but setting up the number with Vapi failed. Please try "
                  "again in a minute: only the missing steps will be retried.");
        cJSON_AddStringToObject(root, "code", "setup_incomplete");
    }
    cJSON_AddStringToObject(root, "provider", PROVIDER_TWILIO);
    cJSON_AddBoolToObject(root, "connected", true);
    cJSON_AddBoolToObject(root, "complete", failed == TWILIO_STEP_COUNT);
    cJSON_AddStringToObject(root, "label", number);
    cJSON_AddItemToObject(root, "steps", twilio_setup_steps(s, true, failed));
    vx_rpc_reply_cjson(reply, failed == TWILIO_STEP_COUNT ? 200 : 502, root);
}

/* Validates, stores and syncs with the org's lock held. */
static void connect_locked(const route_ctx *r, const vx_gateway_request *req, const connect_input *in, vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    if (!validate_with_twilio(r, req, in, reply) || !number_free(r, req, in->number, reply))
        return;
    /* What an earlier connect set up; kept when it was for the same account
     * and number, removed at Vapi when the owner switched to another. */
    credential old;
    twilio_setup s = {0};
    store_status st = store_info(r->pg, req->request_id, org, PROVIDER_TWILIO, &old);
    if (st == STORE_ERROR) {
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        return;
    }
    if (st == STORE_OK) {
        twilio_setup_parse(old.sync_state, &s);
        credential_clear(&old);
        if (strcmp(s.account_sid, in->account_sid) != 0 || strcmp(s.number, in->number) != 0) {
            if (!remove_at_vapi(r, req, &s)) {
                vx_rpc_reply_error(reply, 502, "vapi_unavailable",
                                   "The previous Twilio number could not be removed from Vapi. Please try again in a minute.");
                return;
            }
            if (s.linked) {
                const char *params[3] = {org, s.vapi_phone_number_id, s.number};
                PGresult *res = store_exec_as_org(r->pg, req->request_id, org, true, "twilio_unlink_agent", 3, params);
                PQclear(res);
            }
            memset(&s, 0, sizeof(s));
        }
    }
    snprintf(s.account_sid, sizeof(s.account_sid), "%s", in->account_sid);
    snprintf(s.number, sizeof(s.number), "%s", in->number);

    /* The secret document; its buffer is wiped once sealed. */
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "accountSid", in->account_sid);
    cJSON_AddStringToObject(doc, "authToken", in->auth_token);
    char *secret = cJSON_PrintUnformatted(doc);
    vx_secret_json_delete(doc);
    if (secret == NULL)
        abort();
    char *sync = twilio_setup_json(&s);
    st = credentials_store(r->v, r->pg, req->request_id, org, PROVIDER_TWILIO, (const uint8_t *)secret, strlen(secret), in->number,
                           sync);
    vx_secret_free(secret);
    free(sync);
    if (st != STORE_OK) {
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The credentials could not be saved right now. Please retry.");
        return;
    }
    credentials_mark(r->v, r->pg, req->request_id, org, PROVIDER_TWILIO, true, NULL, NULL);
    store_audit(r->pg, req->request_id, org, req->auth->user_id, req->auth->role, "integration.twilio_connected", PROVIDER_TWILIO);
    twilio_step failed = finish_at_vapi(r, req, in, &s);
    vx_log_info(req->request_id, org, "twilio connect", "complete", failed == TWILIO_STEP_COUNT ? "true" : "false");
    reply_steps(reply, &s, failed, in->number);
}

void integrations_twilio_connect(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    connect_input in;
    if (!read_input(req, &in, reply))
        return;
    if (!lock_org(r, req->auth->org_id, "twilio_try_lock")) {
        vx_rpc_reply_error(reply, 409, "connect_in_progress",
                           "Twilio is already being connected for this organization. Please wait.");
    } else {
        connect_locked(r, req, &in, reply);
        lock_org(r, req->auth->org_id, "twilio_unlock");
    }
    explicit_bzero(&in, sizeof(in));
}

void integrations_twilio_delete(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    if (!lock_org(r, org, "twilio_try_lock")) {
        vx_rpc_reply_error(reply, 409, "connect_in_progress", "Twilio is being connected for this organization. Please wait.");
        return;
    }
    credential c;
    store_status st = store_info(r->pg, req->request_id, org, PROVIDER_TWILIO, &c);
    twilio_setup s;
    twilio_setup_parse(st == STORE_OK ? c.sync_state : NULL, &s);
    if (st == STORE_OK)
        credential_clear(&c);
    if (st == STORE_NOT_FOUND) {
        vx_rpc_reply_error(reply, 404, "not_connected", "Twilio is not connected.");
    } else if (st != STORE_OK) {
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    } else if (!remove_at_vapi(r, req, &s)) {
        /* Nothing removed here, so a retry finds the Vapi ids again. */
        vx_rpc_reply_error(reply, 502, "vapi_unavailable",
                           "Vapi could not be reached, so nothing was removed. Please try again in a minute.");
    } else {
        const char *params[3] = {org, s.vapi_phone_number_id, s.number};
        PGresult *res = store_exec_as_org(r->pg, req->request_id, org, true, "twilio_unlink_agent", 3, params);
        if (res != NULL && credentials_delete(r->v, r->pg, req->request_id, org, PROVIDER_TWILIO) != STORE_ERROR) {
            store_audit(r->pg, req->request_id, org, req->auth->user_id, req->auth->role, "integration.twilio_disconnected",
                        PROVIDER_TWILIO);
            vx_rpc_reply_json(reply, 200, "{\"provider\":\"twilio\",\"connected\":false}");
        } else
            vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        PQclear(res);
    }
    lock_org(r, org, "twilio_unlock");
}
