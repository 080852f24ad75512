/*
 * Unit tests for libcommon/vx_crypto.c against published vectors: SHA-256
 * (FIPS 180-2), HMAC-SHA256 (RFC 4231), base64 (RFC 4648 §10, in the url
 * alphabet) and AES-256-GCM (test case 16 of the GCM specification), plus
 * the failure paths: tampering, wrong key, wrong aad, strict decoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"

/* Decodes a hex literal of a test vector into out (which must be large enough). */
static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    assert_int_equal(vx_hex_decode(hex, strlen(hex), out, n), 0);
    return n;
}

static void assert_digest(const uint8_t d[VX_SHA256_LEN], const char *expected_hex)
{
    char hex[2 * VX_SHA256_LEN + 1];
    vx_hex_encode(d, VX_SHA256_LEN, hex);
    assert_string_equal(hex, expected_hex);
}

static void test_sha256(void **state)
{
    uint8_t d[VX_SHA256_LEN];
    vx_sha256("abc", 3, d);
    assert_digest(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    vx_sha256(NULL, 0, d);
    assert_digest(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac_rfc4231(void **state)
{
    uint8_t d[VX_SHA256_LEN], key[131];
    /* Test case 2. */
    const char *data = "what do ya want for nothing?";
    vx_hmac_sha256("Jefe", 4, data, strlen(data), d);
    assert_digest(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 1. */
    memset(key, 0x0b, 20);
    vx_hmac_sha256(key, 20, "Hi There", 8, d);
    assert_digest(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Test case 6: a key longer than the block size. */
    memset(key, 0xaa, 131);
    data = "Test Using Larger Than Block-Size Key - Hash Key First";
    vx_hmac_sha256(key, 131, data, strlen(data), d);
    assert_digest(d, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* Empty key and empty message. */
    vx_hmac_sha256(NULL, 0, NULL, 0, d);
    assert_digest(d, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_ct_equal(void **state)
{
    assert_true(vx_ct_equal("secret", 6, "secret", 6));
    assert_false(vx_ct_equal("secret", 6, "Secret", 6));
    assert_false(vx_ct_equal("secret", 6, "secreT", 6));
    assert_false(vx_ct_equal("secret", 6, "secret!", 7));
    assert_false(vx_ct_equal("secret!", 7, "secret", 6));
    assert_false(vx_ct_equal("", 0, "x", 1));
    assert_false(vx_ct_equal("x", 1, NULL, 0));
    assert_true(vx_ct_equal(NULL, 0, NULL, 0));
    assert_true(vx_ct_equal("a\0b", 3, "a\0b", 3));
    assert_false(vx_ct_equal("a\0b", 3, "a\0c", 3));
}

static void test_random_bytes(void **state)
{
    uint8_t a[32], b[32], zero[32] = {0};
    vx_random_bytes(a, sizeof a);
    vx_random_bytes(b, sizeof b);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    vx_random_bytes(NULL, 0);
}

static void test_hex(void **state)
{
    const uint8_t in[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
    char hex[11];
    vx_hex_encode(in, sizeof in, hex);
    assert_string_equal(hex, "0001abff7f");
    uint8_t out[5];
    assert_int_equal(vx_hex_decode("0001ABff7F", 10, out, 5), 0);
    assert_memory_equal(out, in, 5);
    assert_int_equal(vx_hex_decode("0001abff7", 9, out, 5), -1);   /* odd */
    assert_int_equal(vx_hex_decode("0001abff", 8, out, 5), -1);    /* short */
    assert_int_equal(vx_hex_decode("0001abff7g", 10, out, 5), -1); /* not hex */
    assert_int_equal(vx_hex_decode(" 001abff7f", 10, out, 5), -1);
    vx_hex_encode(in, 0, hex);
    assert_string_equal(hex, "");
}

static void check_b64(const char *plain, size_t len, const char *expected)
{
    char *enc = vx_base64url_encode((const uint8_t *)plain, len);
    assert_non_null(enc);
    assert_string_equal(enc, expected);
    uint8_t *dec = NULL;
    size_t dec_len = 99;
    assert_int_equal(vx_base64url_decode(enc, strlen(enc), &dec, &dec_len), 0);
    assert_int_equal(dec_len, len);
    assert_memory_equal(dec, plain, len);
    assert_int_equal(dec[len], '\0');
    free(dec);
    free(enc);
}

static void test_base64url_vectors(void **state)
{
    check_b64("", 0, "");
    check_b64("f", 1, "Zg");
    check_b64("fo", 2, "Zm8");
    check_b64("foo", 3, "Zm9v");
    check_b64("foob", 4, "Zm9vYg");
    check_b64("fooba", 5, "Zm9vYmE");
    check_b64("foobar", 6, "Zm9vYmFy");
    check_b64("\xfb\xff", 2, "-_8"); /* "+/8=" in the standard alphabet */
    check_b64("\xfb\xef\xbe", 3, "----");
    check_b64("\xff\xff\xff", 3, "____");
    check_b64("\0\0", 2, "AAA");
}

static int decode(const char *s)
{
    uint8_t *out = NULL;
    size_t n = 0;
    int rc = vx_base64url_decode(s, strlen(s), &out, &n);
    free(out);
    return rc;
}

static void test_base64url_rejects(void **state)
{
    assert_int_equal(decode("Zg=="), -1);
    assert_int_equal(decode("Zm8="), -1);
    assert_int_equal(decode("+/8"), -1);
    assert_int_equal(decode("Zm9v+A"), -1);
    assert_int_equal(decode("Zm9v/A"), -1);
    assert_int_equal(decode("Zm 9v"), -1);
    assert_int_equal(decode("Zm9v\n"), -1);
    assert_int_equal(decode(" Zm9v"), -1);
    assert_int_equal(decode("Zm9v\t"), -1);
    assert_int_equal(decode("Z"), -1); /* 1 mod 4 can never be valid */
    assert_int_equal(decode("Zm9vY"), -1);
    assert_int_equal(decode("Zh"), -1);  /* non-zero unused bits: "Zg" is the only encoding of "f" */
    assert_int_equal(decode("Zm9"), -1); /* ditto for "fo" ("Zm8") */
    assert_int_equal(decode("Zm9v.Zg"), -1);
    /* Only in_len bytes are read: a NUL or garbage beyond is ignored. */
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(vx_base64url_decode("Zm9v!!!", 4, &out, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "foo", 3);
    free(out);
    assert_int_equal(vx_base64url_decode("Zm\0v", 4, &out, &n), -1);
}

static const char *gcm_key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char *gcm_iv = "cafebabefacedbaddecaf888";
static const char *gcm_plain = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                               "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char *gcm_aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char *gcm_ct = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
static const char *gcm_tag = "76fc6ece0f4e1768cddf8853bb2d551b";

static void test_aesgcm_known_answer(void **state)
{
    uint8_t key[32], aad[20], plain[60], sealed[VX_AESGCM_OVERHEAD + 60], out[60];
    unhex(gcm_key, key);
    unhex(gcm_aad, aad);
    unhex(gcm_plain, plain);
    unhex(gcm_iv, sealed);
    unhex(gcm_tag, sealed + VX_AESGCM_IV_LEN);
    unhex(gcm_ct, sealed + VX_AESGCM_OVERHEAD);
    assert_int_equal(vx_aesgcm_open(key, aad, sizeof aad, sealed, sizeof sealed, out), 0);
    assert_memory_equal(out, plain, sizeof plain);
}

static void test_aesgcm_round_trip_and_failures(void **state)
{
    uint8_t key[VX_AESGCM_KEY_LEN], key2[VX_AESGCM_KEY_LEN];
    vx_random_bytes(key, sizeof key);
    memcpy(key2, key, sizeof key);
    key2[31] ^= 1;
    const char *msg = "sk_live_credential_value";
    size_t len = strlen(msg);
    const uint8_t aad[] = "org:1234";
    uint8_t sealed[64], sealed2[64], out[64];
    assert_int_equal(vx_aesgcm_seal(key, aad, sizeof aad, (const uint8_t *)msg, len, sealed), 0);
    assert_memory_not_equal(sealed + VX_AESGCM_OVERHEAD, msg, len);
    size_t slen = len + VX_AESGCM_OVERHEAD;
    assert_int_equal(vx_aesgcm_open(key, aad, sizeof aad, sealed, slen, out), 0);
    assert_memory_equal(out, msg, len);

    /* A fresh IV each time: same input, different output. */
    assert_int_equal(vx_aesgcm_seal(key, aad, sizeof aad, (const uint8_t *)msg, len, sealed2), 0);
    assert_memory_not_equal(sealed, sealed2, slen);

    /* Tampering anywhere (iv, tag, ciphertext) fails and leaves no plaintext. */
    size_t spots[] = {0, VX_AESGCM_IV_LEN, VX_AESGCM_OVERHEAD, slen - 1};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        sealed[spots[i]] ^= 0x80;
        memset(out, 0x55, sizeof out);
        assert_int_equal(vx_aesgcm_open(key, aad, sizeof aad, sealed, slen, out), -1);
        assert_memory_not_equal(out, msg, 4);
        sealed[spots[i]] ^= 0x80;
    }
    assert_int_equal(vx_aesgcm_open(key2, aad, sizeof aad, sealed, slen, out), -1);
    assert_int_equal(vx_aesgcm_open(key, (const uint8_t *)"org:1235", sizeof aad, sealed, slen, out), -1);
    assert_int_equal(vx_aesgcm_open(key, NULL, 0, sealed, slen, out), -1);
    assert_int_equal(vx_aesgcm_open(key, aad, sizeof aad, sealed, slen - 1, out), -1); /* truncated */
    assert_int_equal(vx_aesgcm_open(key, aad, sizeof aad, sealed, VX_AESGCM_OVERHEAD - 1, out), -1);
    /* Still opens after all that. */
    assert_int_equal(vx_aesgcm_open(key, aad, sizeof aad, sealed, slen, out), 0);
}

static void test_aesgcm_empty_and_no_aad(void **state)
{
    uint8_t key[VX_AESGCM_KEY_LEN] = {1};
    uint8_t sealed[VX_AESGCM_OVERHEAD], out[1];
    assert_int_equal(vx_aesgcm_seal(key, NULL, 0, NULL, 0, sealed), 0);
    assert_int_equal(vx_aesgcm_open(key, NULL, 0, sealed, sizeof sealed, out), 0);
    assert_int_equal(vx_aesgcm_open(key, (const uint8_t *)"x", 1, sealed, sizeof sealed, out), -1);
    sealed[VX_AESGCM_IV_LEN] ^= 1;
    assert_int_equal(vx_aesgcm_open(key, NULL, 0, sealed, sizeof sealed, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64url_vectors),
        cmocka_unit_test(test_base64url_rejects),
        cmocka_unit_test(test_aesgcm_known_answer),
        cmocka_unit_test(test_aesgcm_round_trip_and_failures),
        cmocka_unit_test(test_aesgcm_empty_and_no_aad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
