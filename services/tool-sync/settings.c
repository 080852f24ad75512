/*
 * settings: the environment (see settings.h).
 */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_config.h"

#define DEFAULT_DELAYS "2000,4000,8000"
#define DEFAULT_VOICE  "vapi:Elliot"

int tsync_settings_parse_delays(const char *text, long out[TSYNC_RETRY_MAX])
{
    int n = 0;
    const char *p = text;
    if (p == NULL || *p == '\0')
        return -1;
    for (;;) {
        if (n == TSYNC_RETRY_MAX || *p < '0' || *p > '9')
            return -1;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno != 0 || v < 1 || v > 600000)
            return -1;
        out[n++] = v;
        if (*end == '\0')
            return n;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

int tsync_settings_parse_voice(const char *text, tsync_settings *s)
{
    const char *colon = text ? strchr(text, ':') : NULL;
    if (!colon)
        return -1;
    size_t plen = (size_t)(colon - text), vlen = strlen(colon + 1);
    if (plen < 1 || plen >= sizeof s->default_voice_provider || vlen < 1 || vlen >= sizeof s->default_voice_id)
        return -1;
    for (size_t i = 0; i < plen; i++)
        if (!((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9') || text[i] == '-'))
            return -1;
    memcpy(s->default_voice_provider, text, plen);
    s->default_voice_provider[plen] = '\0';
    memcpy(s->default_voice_id, colon + 1, vlen + 1);
    return 0;
}

/* name's value without trailing '/', copied into buf; NULL when unset. */
static const char *url_without_slash(const char *name, char *buf, size_t size)
{
    const char *v = vx_config_str(name, NULL);
    if (!v)
        return NULL;
    size_t len = strlen(v);
    while (len > 0 && v[len - 1] == '/')
        len--;
    if (len >= size) {
        fprintf(stderr, "environment variable %s is too long\n", name);
        exit(VX_EXIT_CONFIG);
    }
    memcpy(buf, v, len);
    buf[len] = '\0';
    return buf;
}

void tsync_settings_load(tsync_settings *s)
{
    memset(s, 0, sizeof *s);
    s->database_url = vx_config_require("DATABASE_URL");
    s->nats_url = vx_config_require("NATS_URL");
    s->vapi_private_key = vx_config_str("VAPI_PRIVATE_KEY", NULL);
    s->vapi_base_url = vx_config_str("VAPI_API_BASE_URL", "https://api.vapi.ai");
    s->public_base_url = url_without_slash("PUBLIC_BASE_URL", s->public_base_url_buf, sizeof s->public_base_url_buf);
    if (s->public_base_url && strncmp(s->public_base_url, "https://", 8) != 0 && strncmp(s->public_base_url, "http://", 7) != 0) {
        fprintf(stderr, "environment variable PUBLIC_BASE_URL must be an http(s) URL\n");
        exit(VX_EXIT_CONFIG);
    }
    s->server_credential_id = vx_config_str("VAPI_SERVER_CREDENTIAL_ID", NULL);
    int n = tsync_settings_parse_delays(vx_config_str("TOOL_SYNC_RETRY_DELAYS_MS", DEFAULT_DELAYS), s->retry_delays_ms);
    if (n < 0) {
        fprintf(stderr,
                "environment variable TOOL_SYNC_RETRY_DELAYS_MS must be 1..%d comma-separated milliseconds "
                "in [1, 600000]\n",
                TSYNC_RETRY_MAX);
        exit(VX_EXIT_CONFIG);
    }
    s->nretries = (size_t)n;
    s->retry_later_s = vx_config_long("TOOL_SYNC_RETRY_LATER_S", 60, 1, 86400);
    s->sweep_interval_s = vx_config_long("TOOL_SYNC_SWEEP_INTERVAL_S", 60, 1, 3600);
    s->workers = (int)vx_config_long("TOOL_SYNC_WORKERS", 2, 1, 32);
    s->model_provider = vx_config_str("VAPI_MODEL_PROVIDER", "openai");
    s->model = vx_config_str("VAPI_MODEL", "gpt-4o");
    s->vapi_timeout_ms = vx_config_long("VAPI_TIMEOUT_MS", 10000, 1000, 60000);
    if (tsync_settings_parse_voice(vx_config_str("VAPI_DEFAULT_VOICE", DEFAULT_VOICE), s) != 0) {
        fprintf(stderr, "environment variable VAPI_DEFAULT_VOICE must be provider:voiceId (provider: 1..32 of a-z, 0-9, '-'; "
                        "voice id: 1..200 bytes)\n");
        exit(VX_EXIT_CONFIG);
    }
}
