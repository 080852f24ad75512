/*
 * Unit tests for libcommon/vx_aead.c: AES-256-GCM against test case 16 of
 * the GCM specification, and the failure paths — tampering anywhere, wrong
 * key, wrong or missing aad, truncation — each of which must fail and leave
 * no plaintext behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vx_aead.h"
#include "vx_crypto.h"

/* Decodes a hex literal of a test vector into out (which must be large enough). */
static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    assert_int_equal(vx_hex_decode(hex, strlen(hex), out, n), 0);
    return n;
}

static const char *gcm_key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char *gcm_iv = "cafebabefacedbaddecaf888";
static const char *gcm_plain = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                               "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char *gcm_aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char *gcm_ct = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
static const char *gcm_tag = "76fc6ece0f4e1768cddf8853bb2d551b";

static void test_known_answer(void **state)
{
    uint8_t key[32], aad[20], plain[60], sealed[VX_AEAD_OVERHEAD + 60], out[60];
    unhex(gcm_key, key);
    unhex(gcm_aad, aad);
    unhex(gcm_plain, plain);
    unhex(gcm_iv, sealed);
    unhex(gcm_tag, sealed + VX_AEAD_IV_LEN);
    unhex(gcm_ct, sealed + VX_AEAD_OVERHEAD);
    assert_int_equal(vx_aead_open(key, aad, sizeof aad, sealed, sizeof sealed, out), 0);
    assert_memory_equal(out, plain, sizeof plain);
}

static void test_round_trip_and_failures(void **state)
{
    uint8_t key[VX_AEAD_KEY_LEN], key2[VX_AEAD_KEY_LEN];
    vx_random_bytes(key, sizeof key);
    memcpy(key2, key, sizeof key);
    key2[31] ^= 1;
    const char *msg = "sk_live_credential_value";
    size_t len = strlen(msg);
    const uint8_t aad[] = "org:1234";
    uint8_t sealed[64], sealed2[64], out[64];
    assert_int_equal(vx_aead_seal(key, aad, sizeof aad, (const uint8_t *)msg, len, sealed), 0);
    assert_memory_not_equal(sealed + VX_AEAD_OVERHEAD, msg, len);
    size_t slen = len + VX_AEAD_OVERHEAD;
    assert_int_equal(vx_aead_open(key, aad, sizeof aad, sealed, slen, out), 0);
    assert_memory_equal(out, msg, len);

    /* A fresh IV each time: same input, different output. */
    assert_int_equal(vx_aead_seal(key, aad, sizeof aad, (const uint8_t *)msg, len, sealed2), 0);
    assert_memory_not_equal(sealed, sealed2, slen);

    /* Tampering anywhere (iv, tag, ciphertext) fails and leaves no plaintext. */
    size_t spots[] = {0, VX_AEAD_IV_LEN, VX_AEAD_OVERHEAD, slen - 1};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        sealed[spots[i]] ^= 0x80;
        memset(out, 0x55, sizeof out);
        assert_int_equal(vx_aead_open(key, aad, sizeof aad, sealed, slen, out), -1);
        assert_memory_not_equal(out, msg, 4);
        sealed[spots[i]] ^= 0x80;
    }
    assert_int_equal(vx_aead_open(key2, aad, sizeof aad, sealed, slen, out), -1);
    assert_int_equal(vx_aead_open(key, (const uint8_t *)"org:1235", sizeof aad, sealed, slen, out), -1);
    assert_int_equal(vx_aead_open(key, NULL, 0, sealed, slen, out), -1);
    assert_int_equal(vx_aead_open(key, aad, sizeof aad, sealed, slen - 1, out), -1); /* truncated */
    assert_int_equal(vx_aead_open(key, aad, sizeof aad, sealed, VX_AEAD_OVERHEAD - 1, out), -1);
    /* Still opens after all that. */
    assert_int_equal(vx_aead_open(key, aad, sizeof aad, sealed, slen, out), 0);
}

static void test_empty_and_no_aad(void **state)
{
    uint8_t key[VX_AEAD_KEY_LEN] = {1};
    uint8_t sealed[VX_AEAD_OVERHEAD], out[1];
    assert_int_equal(vx_aead_seal(key, NULL, 0, NULL, 0, sealed), 0);
    assert_int_equal(vx_aead_open(key, NULL, 0, sealed, sizeof sealed, out), 0);
    assert_int_equal(vx_aead_open(key, (const uint8_t *)"x", 1, sealed, sizeof sealed, out), -1);
    sealed[VX_AEAD_IV_LEN] ^= 1;
    assert_int_equal(vx_aead_open(key, NULL, 0, sealed, sizeof sealed, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_round_trip_and_failures),
        cmocka_unit_test(test_empty_and_no_aad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
