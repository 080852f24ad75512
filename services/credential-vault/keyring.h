/*
 * keyring: the vault's encryption keys, and the only place a credential is
 * sealed or opened.
 *
 * ENCRYPTION_KEY (64 hex digits) is the current key: everything is sealed
 * under it. ENCRYPTION_KEY_PREVIOUS, set only while a rotation is under way,
 * still opens the rows written before it (voxctl vault rotate re-seals them).
 * A key is named by its id — the first 16 hex digits of SHA-256 over a fixed
 * label and the key — which each row records, so the right key is picked
 * without trying both and nothing about the key leaks.
 *
 * A sealed credential is AES-256-GCM (libcommon/vx_aead: random 96-bit IV,
 * 128-bit tag) whose associated data is (org id, provider, key id): a row
 * copied to another organization or provider, or relabelled with another
 * key id, fails to open instead of decrypting for the wrong tenant.
 *
 * The OAuth state key is derived from each key too (keyring_state_key), so
 * the vault needs no further secret.
 *
 * Thread safety: a loaded keyring is read-only; every function may be called
 * from any thread at once.
 */
#ifndef VAULT_KEYRING_H
#define VAULT_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_aead.h"
#include "vx_buf.h"

#define KEYRING_ID_LEN 16

typedef struct keyring_key {
    uint8_t key[VX_AEAD_KEY_LEN];
    char id[KEYRING_ID_LEN + 1];
} keyring_key;

typedef struct keyring {
    keyring_key current;
    keyring_key previous;
    bool has_previous;
} keyring;

typedef enum {
    KEYRING_OK = 0,
    KEYRING_UNKNOWN_KEY = 1, /* the row names a key the vault does not hold */
    KEYRING_UNREADABLE = 2,  /* wrong org, provider or key id for this ciphertext, or tampering */
} keyring_status;

/* Parses the two keys (previous may be NULL or ""). Returns 0, or -1 with
 * *why a sentence naming the variable and what is wrong with it. */
int keyring_parse(const char *current_hex, const char *previous_hex, keyring *out, const char **why);
/* keyring_parse for start-up (the values of ENCRYPTION_KEY and
 * ENCRYPTION_KEY_PREVIOUS, read by settings_load): a missing or malformed
 * key ends the process with status 2 and one clear line on stderr. */
void keyring_load(const char *current_hex, const char *previous_hex, keyring *out);
/* Wipes the keys. */
void keyring_wipe(keyring *k);

/* The id of key (16 lower-case hex digits). */
void keyring_key_id(const uint8_t key[VX_AEAD_KEY_LEN], char out[KEYRING_ID_LEN + 1]);

/* Seals plain (len bytes) for org_id and provider under the current key:
 * out receives iv || tag || ciphertext; the key's id is k->current.id. */
void keyring_seal(const keyring *k, const char *org_id, const char *provider, const uint8_t *plain, size_t len, vx_buf *out);
/* Opens sealed (len bytes) recorded under key_id for org_id and provider.
 * KEYRING_OK with *plain malloc'd (NUL-terminated for convenience, *plain_len
 * bytes; the caller wipes and frees it), else nothing allocated. */
keyring_status keyring_open(const keyring *k, const char *org_id, const char *provider, const char *key_id, const uint8_t *sealed,
                            size_t len, uint8_t **plain, size_t *plain_len);

/* The key that signs OAuth states, derived from the current key (previous:
 * from the previous one; false when there is none). */
void keyring_state_key(const keyring *k, uint8_t out[32]);
bool keyring_previous_state_key(const keyring *k, uint8_t out[32]);

#endif
