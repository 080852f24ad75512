/*
 * keyring: keys, key ids and sealing (see keyring.h).
 */
#include "keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_config.h"
#include "vx_crypto.h"

#define KEY_ID_LABEL   "voxanne-credential-key-id-v1"
#define AAD_LABEL      "voxanne-credential-v1"
#define STATE_KEY_INFO "voxanne-oauth-state-key-v1"

void keyring_key_id(const uint8_t key[VX_AEAD_KEY_LEN], char out[KEYRING_ID_LEN + 1])
{
    uint8_t buf[sizeof(KEY_ID_LABEL) + VX_AEAD_KEY_LEN], digest[VX_SHA256_LEN];
    memcpy(buf, KEY_ID_LABEL, sizeof(KEY_ID_LABEL)); /* the label's NUL separates it from the key */
    memcpy(buf + sizeof(KEY_ID_LABEL), key, VX_AEAD_KEY_LEN);
    vx_sha256(buf, sizeof(buf), digest);
    vx_hex_encode(digest, KEYRING_ID_LEN / 2, out);
    out[KEYRING_ID_LEN] = '\0';
    explicit_bzero(buf, sizeof(buf));
}

static int parse_key(const char *hex, keyring_key *out)
{
    if (hex == NULL || strlen(hex) != 2 * VX_AEAD_KEY_LEN || vx_hex_decode(hex, strlen(hex), out->key, VX_AEAD_KEY_LEN) != 0)
        return -1;
    keyring_key_id(out->key, out->id);
    return 0;
}

int keyring_parse(const char *current_hex, const char *previous_hex, keyring *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (current_hex == NULL || current_hex[0] == '\0') {
        *why = "ENCRYPTION_KEY is not set: the vault needs its key (64 hex digits, e.g. from `openssl rand -hex 32`)";
        return -1;
    }
    if (parse_key(current_hex, &out->current) != 0) {
        *why = "ENCRYPTION_KEY must be exactly 64 hex digits (32 bytes)";
        keyring_wipe(out);
        return -1;
    }
    if (previous_hex != NULL && previous_hex[0] != '\0') {
        if (parse_key(previous_hex, &out->previous) != 0) {
            *why = "ENCRYPTION_KEY_PREVIOUS must be exactly 64 hex digits (32 bytes), or unset";
            keyring_wipe(out);
            return -1;
        }
        if (strcmp(out->previous.id, out->current.id) == 0) {
            *why = "ENCRYPTION_KEY_PREVIOUS is the same key as ENCRYPTION_KEY: set it to the key being replaced";
            keyring_wipe(out);
            return -1;
        }
        out->has_previous = true;
    }
    return 0;
}

void keyring_load(const char *current_hex, const char *previous_hex, keyring *out)
{
    const char *why = NULL;
    if (keyring_parse(current_hex, previous_hex, out, &why) != 0) {
        fprintf(stderr, "credential-vault: %s\n", why);
        exit(VX_EXIT_CONFIG);
    }
}

void keyring_wipe(keyring *k)
{
    explicit_bzero(k, sizeof(*k));
}

/* "voxanne-credential-v1\n<org>\n<provider>\n<key id>": what a ciphertext is bound to. */
static void make_aad(const char *org_id, const char *provider, const char *key_id, vx_buf *aad)
{
    vx_buf_printf(aad, "%s\n%s\n%s\n%s", AAD_LABEL, org_id, provider, key_id);
}

void keyring_seal(const keyring *k, const char *org_id, const char *provider, const uint8_t *plain, size_t len, vx_buf *out)
{
    vx_buf aad = VX_BUF_INIT;
    make_aad(org_id, provider, k->current.id, &aad);
    uint8_t *sealed = malloc(len + VX_AEAD_OVERHEAD);
    if (sealed == NULL)
        abort();
    /* Sealing fails only when OpenSSL does: nothing sensible is left to do. */
    if (vx_aead_seal(k->current.key, (const uint8_t *)aad.data, aad.len, plain, len, sealed) != 0)
        abort();
    vx_buf_reset(out);
    vx_buf_append(out, sealed, len + VX_AEAD_OVERHEAD);
    free(sealed);
    vx_buf_free(&aad);
}

keyring_status keyring_open(const keyring *k, const char *org_id, const char *provider, const char *key_id, const uint8_t *sealed,
                            size_t len, uint8_t **plain, size_t *plain_len)
{
    *plain = NULL;
    *plain_len = 0;
    const keyring_key *key = NULL;
    if (key_id != NULL && strcmp(key_id, k->current.id) == 0)
        key = &k->current;
    else if (key_id != NULL && k->has_previous && strcmp(key_id, k->previous.id) == 0)
        key = &k->previous;
    if (key == NULL)
        return KEYRING_UNKNOWN_KEY;
    if (len < VX_AEAD_OVERHEAD)
        return KEYRING_UNREADABLE;
    vx_buf aad = VX_BUF_INIT;
    make_aad(org_id, provider, key->id, &aad);
    uint8_t *out = malloc(len - VX_AEAD_OVERHEAD + 1);
    if (out == NULL)
        abort();
    int rc = vx_aead_open(key->key, (const uint8_t *)aad.data, aad.len, sealed, len, out);
    vx_buf_free(&aad);
    if (rc != 0) {
        free(out);
        return KEYRING_UNREADABLE;
    }
    out[len - VX_AEAD_OVERHEAD] = '\0';
    *plain = out;
    *plain_len = len - VX_AEAD_OVERHEAD;
    return KEYRING_OK;
}

void keyring_state_key(const keyring *k, uint8_t out[32])
{
    vx_hmac_sha256(k->current.key, VX_AEAD_KEY_LEN, STATE_KEY_INFO, strlen(STATE_KEY_INFO), out);
}

bool keyring_previous_state_key(const keyring *k, uint8_t out[32])
{
    if (!k->has_previous)
        return false;
    vx_hmac_sha256(k->previous.key, VX_AEAD_KEY_LEN, STATE_KEY_INFO, strlen(STATE_KEY_INFO), out);
    return true;
}
