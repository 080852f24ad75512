/*
 * settings: credential-vault's environment (see settings.h).
 */
#include "settings.h"

#include <string.h>

#include "vx_config.h"

void settings_load(vault_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->database_url = vx_config_require("DATABASE_URL");
    s->nats_url = vx_config_require("NATS_URL");
    s->encryption_key = vx_config_str("ENCRYPTION_KEY", NULL);
    s->encryption_key_previous = vx_config_str("ENCRYPTION_KEY_PREVIOUS", NULL);
    s->api_workers = (int)vx_config_long("VAULT_WORKERS", 4, 1, 64);
    s->route_workers = (int)vx_config_long("VAULT_ROUTE_WORKERS", 2, 1, 64);
    s->cache_ttl_ms = vx_config_long("VAULT_CACHE_TTL_MS", 30000, 0, 3600000);
    s->provider_timeout_ms = vx_config_long("PROVIDER_TIMEOUT_MS", 5000, 100, 60000);
    s->twilio_base_url = vx_config_str("TWILIO_API_BASE_URL", "https://api.twilio.com");
    s->vapi.base_url = vx_config_str("VAPI_API_BASE_URL", "https://api.vapi.ai");
    s->vapi.private_key = vx_config_str("VAPI_PRIVATE_KEY", NULL);
    s->vapi.timeout_ms = s->provider_timeout_ms;
    s->google.base_url = vx_config_str("GOOGLE_OAUTH_BASE_URL", NULL);
    s->google.client_id = vx_config_str("GOOGLE_CLIENT_ID", NULL);
    s->google.client_secret = vx_config_str("GOOGLE_CLIENT_SECRET", NULL);
    s->google.redirect_uri = vx_config_str("GOOGLE_REDIRECT_URI", NULL);
    s->google.timeout_ms = s->provider_timeout_ms;
    s->public_base_url = vx_config_str("PUBLIC_BASE_URL", NULL);
    s->vapi_server_credential_id = vx_config_str("VAPI_SERVER_CREDENTIAL_ID", NULL);
    s->dashboard_url = vx_config_str("DASHBOARD_URL", NULL);
}

bool settings_google_ready(const vault_settings *s)
{
    return s->google.client_id != NULL && s->google.client_secret != NULL && s->google.redirect_uri != NULL;
}
