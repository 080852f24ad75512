/*
 * settings: everything credential-vault reads from its environment, read
 * once at start-up (settings_load) and read-only afterwards.
 */
#ifndef VAULT_SETTINGS_H
#define VAULT_SETTINGS_H

#include "clients/google_oauth.h"
#include "vx_vapi_api.h"

typedef struct vault_settings {
    const char *database_url;              /* DATABASE_URL (required) */
    const char *nats_url;                  /* NATS_URL (required) */
    const char *encryption_key;            /* ENCRYPTION_KEY: checked by keyring_load */
    const char *encryption_key_previous;   /* ENCRYPTION_KEY_PREVIOUS, only during a rotation */
    int api_workers;                       /* VAULT_WORKERS: threads answering rpc.vault.> (service requests) */
    int route_workers;                     /* VAULT_ROUTE_WORKERS: threads answering rpc.integrations.> (the dashboard's routes) */
    long cache_ttl_ms;                     /* VAULT_CACHE_TTL_MS, 30 s; 0: no cache */
    long provider_timeout_ms;              /* PROVIDER_TIMEOUT_MS: each call to Twilio, Vapi or Google */
    const char *twilio_base_url;           /* TWILIO_API_BASE_URL */
    vx_vapi_api_config vapi;               /* VAPI_API_BASE_URL, VAPI_PRIVATE_KEY */
    google_oauth_config google;            /* GOOGLE_OAUTH_BASE_URL, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REDIRECT_URI */
    const char *public_base_url;           /* PUBLIC_BASE_URL: the gateway as Vapi sees it (imported numbers' server URL) */
    const char *vapi_server_credential_id; /* VAPI_SERVER_CREDENTIAL_ID: the Vapi credential that signs its requests to us */
    const char *dashboard_url;             /* DASHBOARD_URL: where Google's callback sends the owner back (NULL: answer JSON) */
} vault_settings;

/* Reads every variable; a missing required one or a value out of range ends
 * the process with status 2 (vx_config). The keys are only read here:
 * keyring_load checks them and says what is wrong. */
void settings_load(vault_settings *s);
/* True when Google connect is configured (client id, secret and redirect URI). */
bool settings_google_ready(const vault_settings *s);

#endif
