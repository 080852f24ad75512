/*
 * Unit tests for libcommon/vx_crypto.c against published vectors: SHA-256
 * (FIPS 180-2), HMAC-SHA256 (RFC 4231), base64 (RFC 4648 §10, in the
 * standard alphabet with padding and in the url alphabet without), plus
 * strict decoding's failure paths. AES-256-GCM: test_aead.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"

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

static void check_std(const char *in, size_t len, const char *expected)
{
    char *enc = vx_base64_encode((const uint8_t *)in, len);
    assert_non_null(enc);
    assert_string_equal(enc, expected);
    free(enc);
}

static void test_base64_vectors(void **state)
{
    /* RFC 4648 §10, padded to a multiple of four. */
    check_std("", 0, "");
    check_std("f", 1, "Zg==");
    check_std("fo", 2, "Zm8=");
    check_std("foo", 3, "Zm9v");
    check_std("foob", 4, "Zm9vYg==");
    check_std("fooba", 5, "Zm9vYmE=");
    check_std("foobar", 6, "Zm9vYmFy");
    /* The standard alphabet's last two characters, where base64url differs. */
    check_std("\xfb\xff", 2, "+/8=");
    check_std("\xfb\xef\xbe", 3, "++++");
    check_std("\xff\xff\xff", 3, "////");
    check_std("\0\0", 2, "AAA=");
    check_std("\0", 1, "AA==");
    /* RFC 7617 §2's example: HTTP Basic credentials "Aladdin:open sesame". */
    check_std("Aladdin:open sesame", 19, "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    /* NULL with no bytes is the empty string. */
    char *enc = vx_base64_encode(NULL, 0);
    assert_non_null(enc);
    assert_string_equal(enc, "");
    free(enc);
    /* Every length up to 64 has the padded length and only '=' at the end. */
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof buf; n++) {
        enc = vx_base64_encode(buf, n);
        assert_non_null(enc);
        size_t out_len = strlen(enc);
        assert_int_equal(out_len, (n + 2) / 3 * 4);
        size_t pad = n % 3 == 0 ? 0 : 3 - n % 3;
        for (size_t i = 0; i < out_len; i++)
            assert_true((enc[i] == '=') == (i >= out_len - pad));
        free(enc);
    }
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

static void test_base64_decode_standard(void **state)
{
    static const struct {
        const char *in;
        const char *out; /* NULL: refused */
    } cases[] = {
        {"", ""},       {"Zg==", "f"},  {"Zg", "f"},      {"Zm8=", "fo"},  {"Zm9v", "foo"}, {"+/8=", "\xfb\xff"}, {"Zg=", NULL},
        {"Z===", NULL}, {"Zh==", NULL}, {"Zm9v-_", NULL}, {"Zm 9v", NULL}, {"Z", NULL},     {"=Zg=", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *out = NULL;
        size_t n = 0;
        int rc = vx_base64_decode(cases[i].in, strlen(cases[i].in), &out, &n);
        if (cases[i].out == NULL) {
            assert_int_equal(rc, -1);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, strlen(cases[i].out));
        assert_memory_equal(out, cases[i].out, n);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_decode_standard), cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_hmac_rfc4231),           cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_random_bytes),           cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64url_vectors),      cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_base64url_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
