/*
 * settings: tool-sync's environment, read once at start-up (main.c).
 *
 *   DATABASE_URL, NATS_URL            required
 *   VAPI_PRIVATE_KEY                  the platform's one Vapi key (SPEC hard rule 1); never logged
 *   VAPI_API_BASE_URL                 https://api.vapi.ai
 *   PUBLIC_BASE_URL                   where Vapi reaches the gateway (tools' and assistants' server.url), an
 *                                     http(s) URL
 *   Without the key or the URL tool-sync still runs (the suite starts without a Vapi account): every sync
 *   is then recorded "failed" with a detail saying Vapi is not configured, and the sweep tries again.
 *   VAPI_SERVER_CREDENTIAL_ID         optional: the Vapi credential that authenticates Vapi's requests to the
 *                                     gateway, put on server.credentialId of every tool and assistant
 *   TOOL_SYNC_RETRY_DELAYS_MS         "2000,4000,8000": the waits between tries of one sync (SPEC hard rule 10);
 *                                     1..8 numbers of 1..600000
 *   TOOL_SYNC_RETRY_LATER_S           60 (1..86400): after the last try fails, the sweep tries again this much
 *                                     later, doubling with every failed sync, at most an hour
 *   TOOL_SYNC_SWEEP_INTERVAL_S        60 (1..3600): how often the sweep looks for orgs left behind
 *   TOOL_SYNC_WORKERS                 2 (1..32): consumer threads (each its own database connection)
 *   VAPI_MODEL_PROVIDER, VAPI_MODEL   "openai", "gpt-4o": a new assistant's model (an existing one keeps its own)
 *   VAPI_TIMEOUT_MS                   10000 (1000..60000): one Vapi request
 *   VAPI_DEFAULT_VOICE                "vapi:Elliot": the voice ("provider:voiceId") of an org that chose none,
 *                                     sent explicitly, so clearing an owner's voice really clears it
 */
#ifndef TSYNC_SETTINGS_H
#define TSYNC_SETTINGS_H

#include <stddef.h>

#define TSYNC_RETRY_MAX 8

typedef struct tsync_settings {
    const char *database_url;
    const char *nats_url;
    const char *vapi_private_key; /* NULL when not set */
    const char *vapi_base_url;
    const char *public_base_url; /* without a trailing '/' (in public_base_url_buf); NULL when not set */
    char public_base_url_buf[1024];
    const char *server_credential_id; /* NULL when not set */
    long retry_delays_ms[TSYNC_RETRY_MAX];
    size_t nretries;
    long retry_later_s;
    long sweep_interval_s;
    int workers;
    const char *model_provider;
    const char *model;
    long vapi_timeout_ms;
    char default_voice_provider[33]; /* as agent_config.voice_provider: [a-z0-9-]{1,32} */
    char default_voice_id[201];
} tsync_settings;

/* Reads every variable; a mistake exits with status 2 and one line on stderr (vx_config). */
void tsync_settings_load(tsync_settings *s);

/* Parses a delay list ("2000,4000,8000") into out (at most TSYNC_RETRY_MAX); how many, or -1 when malformed. */
int tsync_settings_parse_delays(const char *text, long out[TSYNC_RETRY_MAX]);

/* Parses "provider:voiceId" (provider [a-z0-9-]{1,32}, voice id 1..200 bytes) into s's default voice; 0, or -1
 * when malformed. */
int tsync_settings_parse_voice(const char *text, tsync_settings *s);

#endif
