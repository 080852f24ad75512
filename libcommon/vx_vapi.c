/*
 * vx_vapi: the call-time message kinds, and the paths where Vapi carries the
 * org id we gave a call.
 */
#include "vx_vapi.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_config.h"
#include "vx_crypto.h"
#include "vx_json.h"

#define HINT_LABEL "voxanne-org-hint-v1\n"

static struct {
    pthread_once_t once;
    bool loaded;
    uint8_t key[32];
} hint_key = {.once = PTHREAD_ONCE_INIT};

static void hint_key_load(void)
{
    const char *hex = getenv("ORG_HINT_KEY");
    hint_key.loaded = hex != NULL && strlen(hex) == 64 && vx_hex_decode(hex, 64, hint_key.key, sizeof(hint_key.key)) == 0;
}

void vx_vapi_require_org_hint_key(void)
{
    pthread_once(&hint_key.once, hint_key_load);
    if (!hint_key.loaded) {
        fprintf(stderr, "ORG_HINT_KEY must be 64 hex digits: the key of the org ids we sign into a call's metadata "
                        "(`voxctl org-hint-key` derives it from the gateway's ENVELOPE_MASTER_KEY)\n");
        exit(VX_EXIT_CONFIG);
    }
}

/* The MAC of org_id (lower-case) on call_id under key. false when there is no call id. */
static bool hint_mac_with(const uint8_t key[32], const char *org_id, const char *call_id, uint8_t mac[VX_SHA256_LEN])
{
    if (org_id == NULL || call_id == NULL || call_id[0] == '\0' || strlen(org_id) != VX_UUID_STR_LEN || strlen(call_id) > 256)
        return false;
    char input[sizeof(HINT_LABEL) + VX_UUID_STR_LEN + 1 + 256];
    int n = snprintf(input, sizeof(input), "%s%s\n%s", HINT_LABEL, org_id, call_id);
    for (size_t i = strlen(HINT_LABEL); i < strlen(HINT_LABEL) + VX_UUID_STR_LEN; i++)
        input[i] = (char)tolower((unsigned char)input[i]);
    vx_hmac_sha256(key, 32, input, (size_t)n, mac);
    return true;
}

/* The same under the process's ORG_HINT_KEY; false without it. */
static bool hint_mac(const char *org_id, const char *call_id, uint8_t mac[VX_SHA256_LEN])
{
    pthread_once(&hint_key.once, hint_key_load);
    return hint_key.loaded && hint_mac_with(hint_key.key, org_id, call_id, mac);
}

int vx_vapi_org_hint_sign_with(const uint8_t key[32], const char *org_id, const char *call_id, char out[65])
{
    uint8_t mac[VX_SHA256_LEN];
    if (!hint_mac_with(key, org_id, call_id, mac))
        return -1;
    vx_hex_encode(mac, sizeof(mac), out);
    return 0;
}

int vx_vapi_org_hint_sign(const char *org_id, const char *call_id, char out[65])
{
    uint8_t mac[VX_SHA256_LEN];
    if (!hint_mac(org_id, call_id, mac))
        return -1;
    vx_hex_encode(mac, sizeof(mac), out);
    return 0;
}

bool vx_vapi_org_hint(const cJSON *message, char out[VX_UUID_STR_LEN + 1])
{
    /* The objects where our assistant-request answer puts the org id and
     * its signature, as Vapi echoes them back. */
    static const char *const holders[] = {
        "call.assistantOverrides.metadata",
        "call.assistantOverrides.variableValues",
        "assistant.metadata",
    };
    const char *call_id = vx_json_str(message, "call.id");
    for (size_t i = 0; i < sizeof(holders) / sizeof(holders[0]); i++) {
        const cJSON *holder = vx_json_at(message, holders[i]);
        const char *s = vx_json_str(holder, "org_id");
        if (s == NULL)
            s = vx_json_str(holder, "orgId");
        const char *sig = vx_json_str(holder, "org_sig");
        uint8_t mac[VX_SHA256_LEN], given[VX_SHA256_LEN];
        if (s == NULL || sig == NULL || strlen(s) != VX_UUID_STR_LEN || !vx_is_uuid(s, VX_UUID_STR_LEN) || strlen(sig) != 64 ||
            vx_hex_decode(sig, 64, given, sizeof(given)) != 0 || !hint_mac(s, call_id, mac) ||
            !vx_ct_equal(mac, sizeof(mac), given, sizeof(given)))
            continue;
        for (size_t k = 0; k <= VX_UUID_STR_LEN; k++)
            out[k] = (char)tolower((unsigned char)s[k]);
        return true;
    }
    return false;
}

vx_vapi_kind vx_vapi_message_kind(const char *type)
{
    static const struct {
        const char *type;
        vx_vapi_kind kind;
    } kinds[] = {
        {"tool-calls", VX_VAPI_TOOL_CALLS},
        {"function-call", VX_VAPI_FUNCTION_CALL},
        {"assistant-request", VX_VAPI_ASSISTANT_REQUEST},
        {"transfer-destination-request", VX_VAPI_TRANSFER_DESTINATION_REQUEST},
        {"knowledge-base-request", VX_VAPI_KNOWLEDGE_BASE_REQUEST},
        {"handoff-destination-request", VX_VAPI_HANDOFF_DESTINATION_REQUEST},
    };
    for (size_t i = 0; type != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(type, kinds[i].type) == 0)
            return kinds[i].kind;
    return VX_VAPI_NOT_CALL_TIME;
}
