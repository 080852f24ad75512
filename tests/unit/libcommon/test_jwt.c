/*
 * Unit tests for libcommon/vx_jwt.c. Besides sign → verify round trips,
 * hostile tokens are built by hand (any header and payload JSON, signed with
 * any key or not at all) so each rejection path is reached on purpose:
 * alg confusion, tampering, expiry, nbf, missing or malformed org, sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_jwt.h"

#define SECRET "super-secret-jwt-token-with-at-least-32-characters-long"
#define ORG    "6f1c2b0e-9a4d-4e7b-8c3a-2d5f6e7a8b9c"
#define USER   "0b7e4a52-1c3d-4f5e-a6b7-c8d9e0f1a2b3"
#define NOW    1722000000LL

/* Builds b64(header).b64(payload).sig where sig is HMAC-SHA256 under key, or
 * empty when key is NULL. Returns a malloc'd string. */
static char *make_token(const char *header, const char *payload, const char *key)
{
    vx_buf b = VX_BUF_INIT;
    char *h = vx_base64url_encode((const uint8_t *)header, strlen(header));
    char *p = vx_base64url_encode((const uint8_t *)payload, strlen(payload));
    vx_buf_printf(&b, "%s.%s.", h, p);
    if (key) {
        uint8_t mac[VX_SHA256_LEN];
        vx_hmac_sha256(key, strlen(key), b.data, b.len - 1, mac);
        char *s = vx_base64url_encode(mac, sizeof mac);
        vx_buf_puts(&b, s);
        free(s);
    }
    free(h);
    free(p);
    return vx_buf_steal(&b);
}

static const char *const hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static char *payload_with(const char *extra)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "{\"sub\":\"" USER "\",\"exp\":%lld,\"app_metadata\":{\"org_id\":\"" ORG "\"}%s}", NOW + 3600, extra);
    return vx_buf_steal(&b);
}

static vx_jwt_status verify(const char *token, vx_jwt_claims *c)
{
    return vx_jwt_verify(token, strlen(token), SECRET, NOW, c);
}

/* Verifies a hand-built token and returns the status. */
static vx_jwt_status verify_built(const char *header, const char *payload, const char *key)
{
    char *t = make_token(header, payload, key);
    vx_jwt_claims c;
    vx_jwt_status st = verify(t, &c);
    if (st != VX_JWT_OK)
        assert_string_equal(c.org_id, ""); /* nothing half-filled on failure */
    free(t);
    return st;
}

static void test_sign_verify_round_trip(void **state)
{
    char *t = vx_jwt_sign(SECRET, ORG, USER, "admin", NOW - 10, NOW + 3600);
    assert_non_null(t);
    vx_jwt_claims c;
    assert_int_equal(verify(t, &c), VX_JWT_OK);
    assert_string_equal(c.sub, USER);
    assert_string_equal(c.org_id, ORG);
    assert_string_equal(c.role, "admin");
    assert_int_equal(c.exp, NOW + 3600);
    /* The claims are where Supabase puts them. */
    const char *dot = strchr(t, '.');
    uint8_t *json = NULL;
    size_t n = 0;
    assert_int_equal(vx_base64url_decode(t, (size_t)(dot - t), &json, &n), 0);
    assert_string_equal((char *)json, hs256);
    free(json);
    const char *dot2 = strchr(dot + 1, '.');
    assert_int_equal(vx_base64url_decode(dot + 1, (size_t)(dot2 - dot - 1), &json, &n), 0);
    assert_non_null(strstr((char *)json, "\"role\":\"authenticated\""));
    assert_non_null(strstr((char *)json, "\"app_metadata\":{\"org_id\":\"" ORG "\",\"role\":\"admin\"}"));
    assert_non_null(strstr((char *)json, "\"exp\":1722003600"));
    free(json);
    /* No role: falls back to the top-level "authenticated"; out may be NULL. */
    free(t);
    t = vx_jwt_sign(SECRET, ORG, NULL, NULL, NOW, NOW + 60);
    assert_int_equal(verify(t, &c), VX_JWT_OK);
    assert_string_equal(c.role, "authenticated");
    assert_string_equal(c.sub, "");
    assert_int_equal(vx_jwt_verify(t, strlen(t), SECRET, NOW, NULL), VX_JWT_OK);
    free(t);
    assert_null(vx_jwt_sign(NULL, ORG, USER, NULL, NOW, NOW + 60));
}

static void test_length_is_honoured(void **state)
{
    char *t = vx_jwt_sign(SECRET, ORG, USER, NULL, NOW, NOW + 60);
    size_t n = strlen(t);
    char *padded = malloc(n + 8);
    memcpy(padded, t, n);
    memcpy(padded + n, "garbage", 8);
    vx_jwt_claims c;
    assert_int_equal(vx_jwt_verify(padded, n, SECRET, NOW, &c), VX_JWT_OK);
    assert_int_equal(vx_jwt_verify(padded, n + 7, SECRET, NOW, &c), VX_JWT_MALFORMED);
    assert_int_not_equal(vx_jwt_verify(padded, n - 1, SECRET, NOW, &c), VX_JWT_OK);
    free(padded);
    free(t);
}

static void test_expired(void **state)
{
    char *t = vx_jwt_sign(SECRET, ORG, USER, NULL, NOW - 100, NOW);
    assert_int_equal(verify(t, NULL), VX_JWT_EXPIRED); /* exp == now is expired */
    free(t);
    t = vx_jwt_sign(SECRET, ORG, USER, NULL, NOW - 100, NOW - 1);
    assert_int_equal(verify(t, NULL), VX_JWT_EXPIRED);
    free(t);
    t = vx_jwt_sign(SECRET, ORG, USER, NULL, NOW - 100, NOW + 1);
    assert_int_equal(verify(t, NULL), VX_JWT_OK);
    free(t);
}

static void test_exp_missing_or_wrong_type(void **state)
{
    const char *org = "\"app_metadata\":{\"org_id\":\"" ORG "\"}";
    char p[256];
    snprintf(p, sizeof p, "{\"sub\":\"u\",%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_EXPIRED);
    snprintf(p, sizeof p, "{\"exp\":\"9999999999\",%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_EXPIRED);
    snprintf(p, sizeof p, "{\"exp\":null,%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_EXPIRED);
    snprintf(p, sizeof p, "{\"exp\":1e300,%s}", org); /* huge but valid: clamped, not UB */
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_OK);
}

static void test_nbf(void **state)
{
    char *p = payload_with(",\"nbf\":1722000001");
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NOT_YET_VALID);
    free(p);
    p = payload_with(",\"nbf\":1722000000");
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_OK);
    free(p);
    p = payload_with(",\"nbf\":\"soon\"");
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_MALFORMED);
    free(p);
}

static void test_wrong_key(void **state)
{
    char *t = vx_jwt_sign("another-secret", ORG, USER, NULL, NOW, NOW + 60);
    assert_int_equal(verify(t, NULL), VX_JWT_BAD_SIGNATURE);
    free(t);
    char *p = payload_with("");
    assert_int_equal(verify_built(hs256, p, SECRET "x"), VX_JWT_BAD_SIGNATURE);
    assert_int_equal(verify_built(hs256, p, ""), VX_JWT_BAD_SIGNATURE);
    assert_int_equal(verify_built(hs256, p, NULL), VX_JWT_BAD_SIGNATURE); /* no signature */
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_OK);
    free(p);
}

static void test_alg_confusion(void **state)
{
    char *p = payload_with("");
    /* alg none, with and without a signature. */
    assert_int_equal(verify_built("{\"alg\":\"none\",\"typ\":\"JWT\"}", p, NULL), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"none\",\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"None\"}", p, NULL), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"HS256 \",\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":null,\"typ\":\"JWT\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":[\"HS256\"]}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"HS256\",\"typ\":1}", p, SECRET), VX_JWT_BAD_ALG);
    assert_int_equal(verify_built("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", p, SECRET), VX_JWT_BAD_ALG);
    /* typ is optional; other header fields are ignored. */
    assert_int_equal(verify_built("{\"alg\":\"HS256\"}", p, SECRET), VX_JWT_OK);
    assert_int_equal(verify_built("{\"kid\":\"k1\",\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, SECRET), VX_JWT_OK);
    free(p);
}

static void test_tampered(void **state)
{
    char *t = vx_jwt_sign(SECRET, ORG, USER, "member", NOW, NOW + 60);
    char *evil = vx_jwt_sign("attacker", ORG, USER, "owner", NOW, NOW + 60);
    /* Payload of evil, header and signature of t. */
    char *t1 = strchr(t, '.'), *t2 = strrchr(t, '.');
    char *e1 = strchr(evil, '.'), *e2 = strrchr(evil, '.');
    vx_buf b = VX_BUF_INIT;
    vx_buf_append(&b, t, (size_t)(t1 - t));
    vx_buf_append(&b, e1, (size_t)(e2 - e1));
    vx_buf_puts(&b, t2);
    assert_int_equal(verify(b.data, NULL), VX_JWT_BAD_SIGNATURE);
    vx_buf_free(&b);
    /* One flipped signature character. */
    t2[1] = t2[1] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(t, NULL), VX_JWT_BAD_SIGNATURE);
    free(t);
    free(evil);
}

static void test_org(void **state)
{
    char p[256];
    const char *exp = "\"exp\":1722003600";
    snprintf(p, sizeof p, "{%s}", exp);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    snprintf(p, sizeof p, "{%s,\"app_metadata\":{}}", exp);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    snprintf(p, sizeof p, "{%s,\"org_id\":\"" ORG "\"}", exp); /* top level does not count */
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    snprintf(p, sizeof p, "{%s,\"app_metadata\":{\"org_id\":\"not-a-uuid\"}}", exp);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    snprintf(p, sizeof p, "{%s,\"app_metadata\":{\"org_id\":\"" ORG "x\"}}", exp);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    snprintf(p, sizeof p, "{%s,\"app_metadata\":{\"org_id\":42}}", exp);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    snprintf(p, sizeof p, "{%s,\"app_metadata\":\"" ORG "\"}", exp);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_NO_ORG);
    /* Upper case is accepted and normalised. */
    snprintf(p, sizeof p, "{%s,\"app_metadata\":{\"org_id\":\"6F1C2B0E-9A4D-4E7B-8C3A-2D5F6E7A8B9C\"}}", exp);
    char *t = make_token(hs256, p, SECRET);
    vx_jwt_claims c;
    assert_int_equal(verify(t, &c), VX_JWT_OK);
    assert_string_equal(c.org_id, ORG);
    free(t);
}

static void test_role_and_sub(void **state)
{
    char *p = payload_with(",\"role\":\"authenticated\"");
    char *t = make_token(hs256, p, SECRET);
    vx_jwt_claims c;
    assert_int_equal(verify(t, &c), VX_JWT_OK);
    assert_string_equal(c.role, "authenticated");
    free(t);
    free(p);
    char sub[200];
    memset(sub, 'u', sizeof sub);
    char payload[512];
    snprintf(payload, sizeof payload, "{\"sub\":\"%.127s\",\"exp\":1722003600,\"app_metadata\":{\"org_id\":\"" ORG "\"}}", sub);
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_OK);
    snprintf(payload, sizeof payload, "{\"sub\":\"%.128s\",\"exp\":1722003600,\"app_metadata\":{\"org_id\":\"" ORG "\"}}", sub);
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_MALFORMED);
    snprintf(payload, sizeof payload, "{\"sub\":7,\"exp\":1722003600,\"app_metadata\":{\"org_id\":\"" ORG "\"}}");
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_MALFORMED);
    snprintf(payload, sizeof payload, "{\"role\":\"%.64s\",\"exp\":1722003600,\"app_metadata\":{\"org_id\":\"" ORG "\"}}", sub);
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_MALFORMED);
}

static void test_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "...",
        "!!!.###.$$$",
        "eyJhbGciOiJIUzI1NiJ9",
        ".eyJ9.",
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAA", /* padding */
        "eyJhbGciOiJIUzI1NiJ9.e30.AA+A",  /* standard alphabet */
        "eyJhbGciOiJIUzI1NiJ9 .e30.AAAA", /* whitespace */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(verify(bad[i], NULL), VX_JWT_MALFORMED);
    assert_int_equal(vx_jwt_verify(NULL, 0, SECRET, NOW, NULL), VX_JWT_MALFORMED);
    assert_int_equal(vx_jwt_verify("a.b.c", 5, NULL, NOW, NULL), VX_JWT_MALFORMED);
    char *p = payload_with("");
    /* Header or payload that is not one JSON object. */
    assert_int_equal(verify_built("not json", p, SECRET), VX_JWT_MALFORMED);
    assert_int_equal(verify_built("[\"HS256\"]", p, SECRET), VX_JWT_MALFORMED);
    assert_int_equal(verify_built("{\"alg\":\"HS256\"} x", p, SECRET), VX_JWT_MALFORMED);
    assert_int_equal(verify_built(hs256, "[1]", SECRET), VX_JWT_MALFORMED);
    assert_int_equal(verify_built(hs256, "{\"exp\":1", SECRET), VX_JWT_MALFORMED);
    free(p);
}

static void test_size_cap(void **state)
{
    char *pad = malloc(9001);
    memset(pad, 'p', 9000);
    pad[9000] = '\0';
    vx_buf extra = VX_BUF_INIT;
    vx_buf_printf(&extra, ",\"pad\":\"%.5000s\"", pad);
    char *p = payload_with(extra.data);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_OK); /* ~7 KiB is fine */
    free(p);
    vx_buf_reset(&extra);
    vx_buf_printf(&extra, ",\"pad\":\"%s\"", pad);
    p = payload_with(extra.data);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_MALFORMED);
    free(p);
    vx_buf_free(&extra);
    free(pad);
}

static void test_status_strings(void **state)
{
    for (int s = VX_JWT_OK; s <= VX_JWT_NO_ORG; s++) {
        const char *str = vx_jwt_status_str((vx_jwt_status)s);
        assert_non_null(str);
        assert_true(strlen(str) > 0);
    }
    assert_string_equal(vx_jwt_status_str(VX_JWT_EXPIRED), "token expired");
}

/* Regression (issue 9): any JWT_SECRET was accepted, the .env.example
 * placeholder too, and whoever knows the secret mints tokens for any org. */
static void test_secret_problem(void **state)
{
    assert_null(vx_jwt_secret_problem("0123456789abcdef0123456789abcdef"));
    assert_null(vx_jwt_secret_problem("test-jwt-secret-with-enough-entropy"));
    assert_non_null(vx_jwt_secret_problem(NULL));
    assert_non_null(vx_jwt_secret_problem(""));
    assert_non_null(vx_jwt_secret_problem("0123456789abcdef0123456789abcde"));   /* 31 bytes */
    assert_non_null(vx_jwt_secret_problem("change-me-to-32-random-bytes-0000")); /* .env.example's, padded */
    assert_non_null(vx_jwt_secret_problem("CHANGEME-CHANGEME-CHANGEME-CHANGEME"));
    assert_non_null(vx_jwt_secret_problem("a-placeholder-of-more-than-32-bytes!"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_round_trip),
        cmocka_unit_test(test_length_is_honoured),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_exp_missing_or_wrong_type),
        cmocka_unit_test(test_nbf),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_alg_confusion),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_org),
        cmocka_unit_test(test_role_and_sub),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_secret_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
