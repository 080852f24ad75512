/*
 * credentials: the vault's operations (see credentials.h).
 */
#include "credentials.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "clients/google_oauth.h"
#include "voxanne/v1/vault.pb-c.h"
#include "vx_log.h"
#include "vx_secret.h"
#include "vx_time.h"

/* A read of a secret, from the cache or the database, logged as operation. */
static store_status read_logged(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                                const char *caller, const char *operation, credential *out)
{
    int64_t now = vx_now_ms();
    if (cache_get(v->cache, org_id, provider, now, out)) {
        /* The access log is not optional: no row, no secret. */
        if (store_log_read(pg, request_id, org_id, provider, caller, operation) == STORE_OK)
            return STORE_OK;
        credential_clear(out);
        return STORE_ERROR;
    }
    store_status st = store_read(pg, v->keys, request_id, org_id, provider, caller, operation, out);
    if (st == STORE_OK)
        cache_put(v->cache, org_id, out, now);
    return st;
}

store_status credentials_get(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                             const char *caller, credential *out)
{
    return read_logged(v, pg, request_id, org_id, provider, caller, "get", out);
}

void credentials_changed(const vault_ctx *v, const char *org_id, const char *provider)
{
    cache_evict(v->cache, org_id, provider);
    if (v->nc == NULL)
        return;
    Voxanne__V1__VaultEvict ev = VOXANNE__V1__VAULT_EVICT__INIT;
    ev.org_id = (char *)org_id;
    ev.provider = (char *)provider;
    uint8_t buf[256];
    size_t len = voxanne__v1__vault_evict__get_packed_size(&ev);
    if (len > sizeof(buf))
        return;
    voxanne__v1__vault_evict__pack(&ev, buf);
    natsStatus s = natsConnection_Publish(v->nc, VAULT_EVICT_SUBJECT, buf, (int)len);
    if (s != NATS_OK)
        vx_log_warn(NULL, org_id, "cache eviction not broadcast: other replicas keep their copy up to the cache TTL", "error",
                    natsStatus_GetText(s));
}

store_status credentials_store(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                               const uint8_t *secret, size_t len, const char *label, const char *sync_state)
{
    store_status st = store_write(pg, v->keys, request_id, org_id, provider, secret, len, label, sync_state);
    credentials_changed(v, org_id, provider);
    if (st == STORE_OK)
        vx_log_info(request_id, org_id, "credential stored", "provider", provider, "key_id", v->keys->current.id);
    return st;
}

store_status credentials_delete(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider)
{
    store_status st = store_delete(pg, request_id, org_id, provider);
    credentials_changed(v, org_id, provider);
    if (st == STORE_OK)
        vx_log_info(request_id, org_id, "credential deleted", "provider", provider);
    return st;
}

store_status credentials_mark(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                              bool verified, const char *status, const char *error)
{
    store_status st = store_mark(pg, request_id, org_id, provider, verified ? "verified" : status, verified ? NULL : error);
    /* The cached copy carries the status too. */
    credentials_changed(v, org_id, provider);
    return st;
}

/* The refresh token in a google_calendar secret ({"refreshToken": …}), malloc'd, or NULL. */
static char *refresh_token_of(const credential *c)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)c->secret, c->secret_len);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "refreshToken");
    char *token = cJSON_IsString(t) && t->valuestring[0] != '\0' ? strdup(t->valuestring) : NULL;
    if (cJSON_IsString(t))
        explicit_bzero(t->valuestring, strlen(t->valuestring));
    vx_secret_json_delete(doc);
    return token;
}

google_token_status credentials_google_token(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id,
                                             const char *caller, char **access_token)
{
    *access_token = NULL;
    int64_t now = vx_now_ms();
    char *cached = cache_token_get(v->cache, org_id, now);
    if (cached != NULL) {
        if (store_log_read(pg, request_id, org_id, PROVIDER_GOOGLE, caller, "google_token") == STORE_OK) {
            *access_token = cached;
            return GOOGLE_TOKEN_OK;
        }
        vx_secret_free(cached);
        return GOOGLE_TOKEN_ERROR;
    }
    credential c;
    store_status st = read_logged(v, pg, request_id, org_id, PROVIDER_GOOGLE, caller, "google_token", &c);
    if (st != STORE_OK)
        return st == STORE_NOT_FOUND    ? GOOGLE_TOKEN_NOT_CONNECTED
               : st == STORE_UNREADABLE ? GOOGLE_TOKEN_UNREADABLE
                                        : GOOGLE_TOKEN_ERROR;
    bool dead = strcmp(c.status, "reconnect_needed") == 0;
    char *refresh = dead ? NULL : refresh_token_of(&c);
    credential_clear(&c);
    if (dead)
        return GOOGLE_TOKEN_RECONNECT;
    if (refresh == NULL) {
        vx_log_error(request_id, org_id, "google credential holds no refresh token");
        return GOOGLE_TOKEN_UNREADABLE;
    }
    if (!settings_google_ready(v->settings)) {
        vx_log_warn(request_id, org_id,
                    "google token not refreshed: GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET or GOOGLE_REDIRECT_URI unset");
        vx_secret_free(refresh);
        return GOOGLE_TOKEN_ERROR;
    }
    google_tokens t = {0};
    google_oauth_status gs = google_oauth_refresh(&v->settings->google, refresh, &t, request_id, org_id);
    vx_secret_free(refresh);
    if (gs == GOOGLE_OAUTH_INVALID_GRANT) {
        vx_log_warn(request_id, org_id, "google refused the refresh token: the owner must reconnect", "provider", PROVIDER_GOOGLE);
        credentials_mark(v, pg, request_id, org_id, PROVIDER_GOOGLE, false, "reconnect_needed", GOOGLE_RECONNECT_SENTENCE);
        google_tokens_clear(&t);
        return GOOGLE_TOKEN_RECONNECT;
    }
    if (gs != GOOGLE_OAUTH_OK || t.access_token == NULL) {
        google_tokens_clear(&t);
        return GOOGLE_TOKEN_ERROR;
    }
    cache_token_put(v->cache, org_id, t.access_token, now + (int64_t)t.expires_in * 1000, now);
    *access_token = strdup(t.access_token);
    google_tokens_clear(&t);
    if (*access_token == NULL)
        abort();
    return GOOGLE_TOKEN_OK;
}
