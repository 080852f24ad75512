/*
 * oauth_state: signed OAuth states (see oauth_state.h).
 */
#include "oauth_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LEN 16

/* The MAC of "v1.<org>.<exp>.<nonce>" (the state without its last part). */
static void state_mac(const uint8_t key[32], const char *signed_part, size_t len, uint8_t mac[VX_SHA256_LEN])
{
    vx_hmac_sha256(key, 32, signed_part, len, mac);
}

char *oauth_state_make(const keyring *k, const char *org_id, int64_t now)
{
    uint8_t nonce[NONCE_LEN], key[32], mac[VX_SHA256_LEN];
    vx_random_bytes(nonce, sizeof(nonce));
    char *nonce64 = vx_base64url_encode(nonce, sizeof(nonce));
    if (nonce64 == NULL)
        abort();
    char head[160];
    int n = snprintf(head, sizeof(head), "v1.%s.%" PRId64 ".%s", org_id, now + OAUTH_STATE_TTL_S, nonce64);
    free(nonce64);
    if (n < 0 || (size_t)n >= sizeof(head))
        abort();
    keyring_state_key(k, key);
    state_mac(key, head, (size_t)n, mac);
    explicit_bzero(key, sizeof(key));
    char *mac64 = vx_base64url_encode(mac, sizeof(mac));
    if (mac64 == NULL)
        abort();
    size_t len = (size_t)n + 1 + strlen(mac64) + 1;
    char *state = malloc(len);
    if (state == NULL)
        abort();
    snprintf(state, len, "%s.%s", head, mac64);
    free(mac64);
    return state;
}

/* True when mac64 is the MAC of signed_part under key. */
static bool mac_matches(const uint8_t key[32], const char *signed_part, size_t len, const uint8_t *given,
                        uint8_t out[VX_SHA256_LEN])
{
    state_mac(key, signed_part, len, out);
    return vx_ct_equal(out, VX_SHA256_LEN, given, VX_SHA256_LEN);
}

oauth_state_status oauth_state_check(const keyring *k, const char *state, int64_t now, char org_id[VX_UUID_STR_LEN + 1],
                                     int64_t *expires_at, uint8_t mac[VX_SHA256_LEN])
{
    if (state == NULL || strlen(state) > 200 || strncmp(state, "v1.", 3) != 0)
        return OAUTH_STATE_INVALID;
    const char *org = state + 3;
    const char *dot1 = strchr(org, '.');
    if (dot1 == NULL || (size_t)(dot1 - org) != VX_UUID_STR_LEN || !vx_is_uuid(org, VX_UUID_STR_LEN))
        return OAUTH_STATE_INVALID;
    const char *exp = dot1 + 1;
    const char *dot2 = strchr(exp, '.');
    const char *dot3 = dot2 != NULL ? strchr(dot2 + 1, '.') : NULL;
    if (dot2 == NULL || dot3 == NULL || strchr(dot3 + 1, '.') != NULL || dot2 == exp || dot2 - exp > 12)
        return OAUTH_STATE_INVALID;
    int64_t expiry = 0;
    for (const char *p = exp; p < dot2; p++) {
        if (*p < '0' || *p > '9')
            return OAUTH_STATE_INVALID;
        expiry = expiry * 10 + (*p - '0');
    }
    uint8_t *given = NULL;
    size_t given_len = 0;
    if (vx_base64url_decode(dot3 + 1, strlen(dot3 + 1), &given, &given_len) != 0)
        return OAUTH_STATE_INVALID;
    uint8_t key[32], computed[VX_SHA256_LEN];
    size_t signed_len = (size_t)(dot3 - state);
    bool ok = false;
    if (given_len == VX_SHA256_LEN) {
        keyring_state_key(k, key);
        ok = mac_matches(key, state, signed_len, given, computed);
        if (!ok && keyring_previous_state_key(k, key))
            ok = mac_matches(key, state, signed_len, given, computed);
        explicit_bzero(key, sizeof(key));
    }
    free(given);
    if (!ok)
        return OAUTH_STATE_INVALID;
    /* Only a state the vault made can say it expired: judged after the MAC. */
    if (expiry < now || expiry > now + OAUTH_STATE_TTL_S + 60)
        return OAUTH_STATE_EXPIRED;
    memcpy(org_id, org, VX_UUID_STR_LEN);
    org_id[VX_UUID_STR_LEN] = '\0';
    *expires_at = expiry;
    memcpy(mac, computed, VX_SHA256_LEN);
    return OAUTH_STATE_OK;
}
