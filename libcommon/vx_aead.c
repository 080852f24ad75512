/*
 * vx_aead: AES-256-GCM on OpenSSL 3's EVP interface (see vx_aead.h).
 *
 * OpenSSL takes int lengths; longer inputs are fed in chunks, never
 * truncated. The tag is checked by EVP_CipherFinal_ex after the ciphertext
 * has been decrypted into the caller's buffer, so on failure that buffer is
 * wiped before returning.
 */
#include "vx_aead.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vx_crypto.h"

/* Feeds len bytes through EVP_CipherUpdate in int-sized chunks; in may be
 * NULL with out NULL to feed AAD. Returns 0 or -1. */
static int gcm_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
{
    while (len > 0) {
        int chunk = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len;
        int got = 0;
        if (EVP_CipherUpdate(ctx, out, &got, in, chunk) != 1 || (out && got != chunk))
            return -1;
        in += chunk;
        if (out)
            out += chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

/* Sets up ctx for AES-256-GCM in direction enc (1 seal, 0 open) with a
 * 12-byte iv, and feeds the aad. Returns 0 or -1. */
static int gcm_begin(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len)
{
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, VX_AEAD_IV_LEN, NULL) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
        return -1;
    if (aad_len && (!aad || gcm_update(ctx, NULL, aad, aad_len) != 0))
        return -1;
    return 0;
}

int vx_aead_seal(const uint8_t key[VX_AEAD_KEY_LEN], const uint8_t *aad, size_t aad_len, const uint8_t *plain, size_t len,
                 uint8_t *out)
{
    if (!key || !out || (len && !plain))
        return -1;
    uint8_t *iv = out, *tag = out + VX_AEAD_IV_LEN, *ct = out + VX_AEAD_OVERHEAD;
    vx_random_bytes(iv, VX_AEAD_IV_LEN);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int rc = -1, got = 0;
    if (ctx && gcm_begin(ctx, 1, key, iv, aad, aad_len) == 0 && gcm_update(ctx, ct, plain, len) == 0 &&
        EVP_CipherFinal_ex(ctx, ct + len, &got) == 1 && got == 0 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, VX_AEAD_TAG_LEN, tag) == 1)
        rc = 0;
    EVP_CIPHER_CTX_free(ctx);
    if (rc != 0)
        OPENSSL_cleanse(out, len + VX_AEAD_OVERHEAD);
    return rc;
}

/* Decrypts, then checks the tag in EVP_CipherFinal_ex; on any failure the
 * output (which may hold unauthenticated plaintext by then) is wiped. */
int vx_aead_open(const uint8_t key[VX_AEAD_KEY_LEN], const uint8_t *aad, size_t aad_len, const uint8_t *sealed, size_t len,
                 uint8_t *out)
{
    if (!key || !sealed || len < VX_AEAD_OVERHEAD)
        return -1;
    size_t n = len - VX_AEAD_OVERHEAD;
    if (n && !out)
        return -1;
    const uint8_t *iv = sealed, *tag = sealed + VX_AEAD_IV_LEN, *ct = sealed + VX_AEAD_OVERHEAD;
    uint8_t tag_copy[VX_AEAD_TAG_LEN], scratch[16];
    memcpy(tag_copy, tag, sizeof tag_copy); /* OpenSSL wants a mutable pointer */
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int rc = -1, got = 0;
    if (ctx && gcm_begin(ctx, 0, key, iv, aad, aad_len) == 0 && gcm_update(ctx, out, ct, n) == 0 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, VX_AEAD_TAG_LEN, tag_copy) == 1 &&
        EVP_CipherFinal_ex(ctx, n ? out + n : scratch, &got) == 1 && got == 0)
        rc = 0;
    EVP_CIPHER_CTX_free(ctx);
    if (rc != 0 && n)
        OPENSSL_cleanse(out, n);
    return rc;
}
