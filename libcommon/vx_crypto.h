/*
 * vx_crypto: the primitives Voxanne needs, on OpenSSL — SHA-256, HMAC-SHA256,
 * constant-time comparison, randomness, hex, base64 and base64url. AES-256-GCM lives
 * apart, in vx_aead (only the credential vault may open).
 *
 * Functions return 0 on success and -1 on failure; on failure output buffers
 * hold nothing meaningful and nothing was allocated.
 */
#ifndef VX_CRYPTO_H
#define VX_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX_SHA256_LEN 32

void vx_sha256(const void *data, size_t len, uint8_t out[VX_SHA256_LEN]);
void vx_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[VX_SHA256_LEN]);
/* Compares in time that depends only on the lengths, never on where the first difference is. */
bool vx_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len);
/* Fills buf from the operating system's CSPRNG; aborts if that fails (there is no safe fallback). */
void vx_random_bytes(void *buf, size_t len);

/* Lower-case hex; out needs 2*len+1 bytes and is NUL-terminated. */
void vx_hex_encode(const uint8_t *in, size_t len, char *out);
/* The value (0-15) of one hex digit (either case), or -1. */
int vx_hex_digit(char c);
/* Decodes exactly 2*out_len hex characters (either case). */
int vx_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_len);

/* base64 with the standard alphabet and '=' padding (RFC 4648 §4, as HTTP Basic
 * authentication uses); returns a malloc'd NUL-terminated string (NULL only
 * when memory runs out). */
char *vx_base64_encode(const uint8_t *in, size_t len);
/* base64url without padding (RFC 4648 §5, as JWT uses); returns a malloc'd NUL-terminated string
 * (NULL only when memory runs out). */
char *vx_base64url_encode(const uint8_t *in, size_t len);
/* Decodes unpadded base64url; rejects padding, whitespace, any other alphabet and non-zero unused
 * trailing bits (so each byte string has exactly one accepted encoding).
 * On success *out is malloc'd (NUL-terminated for convenience) and *out_len set. */
int vx_base64url_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len);
/* Decodes standard base64 (RFC 4648 §4), its '=' padding optional (a padded
 * input's length is a multiple of 4); otherwise as strict as the above. */
int vx_base64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

#endif
