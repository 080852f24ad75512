/*
 * vx_aead: authenticated encryption of secrets at rest — AES-256-GCM with a
 * fresh random 96-bit IV per message and a 128-bit tag.
 *
 * Only credential-vault may open: `make check-arch` fails when code outside
 * services/credential-vault/ (and this module) calls vx_aead_open, so a
 * decrypted credential can only ever exist in the vault's process. Sealing
 * is open to all (a test or a migration may need to write a sealed value).
 *
 * Functions return 0 on success and -1 on failure; on failure the output
 * holds nothing meaningful (it is wiped) and nothing was allocated.
 */
#ifndef VX_AEAD_H
#define VX_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define VX_AEAD_KEY_LEN 32
#define VX_AEAD_IV_LEN  12
#define VX_AEAD_TAG_LEN 16
/* Sealed layout: iv(12) || tag(16) || ciphertext(n). */
#define VX_AEAD_OVERHEAD (VX_AEAD_IV_LEN + VX_AEAD_TAG_LEN)

/* Encrypts len bytes of plain with a fresh random IV into out, which needs
 * len + VX_AEAD_OVERHEAD bytes. aad (may be NULL with aad_len 0) is
 * authenticated, not stored: the same aad must be given to open. */
int vx_aead_seal(const uint8_t key[VX_AEAD_KEY_LEN], const uint8_t *aad, size_t aad_len, const uint8_t *plain, size_t len,
                 uint8_t *out);
/* Verifies and decrypts sealed (len >= VX_AEAD_OVERHEAD) into out, which
 * needs len - VX_AEAD_OVERHEAD bytes. Fails (-1) on a wrong key, a wrong aad
 * or any tampering; then out is wiped, so no unauthenticated plaintext is
 * ever left for a careless caller. */
int vx_aead_open(const uint8_t key[VX_AEAD_KEY_LEN], const uint8_t *aad, size_t aad_len, const uint8_t *sealed, size_t len,
                 uint8_t *out);

#endif
