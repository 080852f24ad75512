/* Unit tests of services/gateway/auth.c: the three Vapi methods and dashboard JWTs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "vx_crypto.h"

#define NOW 1800000000LL

static const auth_config CFG = {"s3cret", "hmac-key", 300, "jwt-secret"};

static auth_slice sl(const char *s)
{
    return (auth_slice){s, s != NULL ? strlen(s) : 0};
}

static void sign(const char *key, const char *ts, const char *body, char out[65])
{
    char payload[512];
    snprintf(payload, sizeof(payload), "%s.%s", ts, body);
    uint8_t mac[VX_SHA256_LEN];
    vx_hmac_sha256(key, strlen(key), payload, strlen(payload), mac);
    vx_hex_encode(mac, sizeof(mac), out);
}

static void test_shared_secret_header(void **state)
{
    auth_vapi_headers h = {sl("s3cret"), sl(NULL), sl(NULL), sl(NULL)};
    assert_true(auth_vapi(&CFG, &h, "{}", 2, NOW));
    h.secret = sl("s3cre");
    assert_false(auth_vapi(&CFG, &h, "{}", 2, NOW));
    h.secret = sl("s3cret ");
    assert_false(auth_vapi(&CFG, &h, "{}", 2, NOW));
    h.secret = sl("");
    assert_false(auth_vapi(&CFG, &h, "{}", 2, NOW));
}

static void test_bearer(void **state)
{
    auth_vapi_headers h = {sl(NULL), sl("Bearer s3cret"), sl(NULL), sl(NULL)};
    assert_true(auth_vapi(&CFG, &h, "{}", 2, NOW));
    h.authorization = sl("bearer s3cret");
    assert_true(auth_vapi(&CFG, &h, "{}", 2, NOW));
    h.authorization = sl("Basic s3cret");
    assert_false(auth_vapi(&CFG, &h, "{}", 2, NOW));
    h.authorization = sl("Bearer ");
    assert_false(auth_vapi(&CFG, &h, "{}", 2, NOW));
}

static void test_no_secret_configured_accepts_nothing_by_secret(void **state)
{
    auth_config cfg = CFG;
    cfg.vapi_secret = NULL;
    auth_vapi_headers h = {sl(""), sl("Bearer "), sl(NULL), sl(NULL)};
    assert_false(auth_vapi(&cfg, &h, "{}", 2, NOW));
}

static void test_hmac(void **state)
{
    const char *body = "{\"message\":{\"type\":\"status-update\"}}";
    char ts[32], sig[65], prefixed[80];
    snprintf(ts, sizeof(ts), "%lld", NOW - 10);
    sign("hmac-key", ts, body, sig);
    auth_vapi_headers h = {sl(NULL), sl(NULL), sl(sig), sl(ts)};
    assert_true(auth_vapi(&CFG, &h, body, strlen(body), NOW));
    snprintf(prefixed, sizeof(prefixed), "sha256=%s", sig);
    h.signature = sl(prefixed);
    assert_true(auth_vapi(&CFG, &h, body, strlen(body), NOW));
    /* Milliseconds are understood too. */
    char ts_ms[32], sig_ms[65];
    snprintf(ts_ms, sizeof(ts_ms), "%lld", (NOW - 10) * 1000);
    sign("hmac-key", ts_ms, body, sig_ms);
    auth_vapi_headers hm = {sl(NULL), sl(NULL), sl(sig_ms), sl(ts_ms)};
    assert_true(auth_vapi(&CFG, &hm, body, strlen(body), NOW));
    /* A changed body, a wrong key, a stale or future timestamp all fail. */
    h.signature = sl(sig);
    assert_false(auth_vapi(&CFG, &h, "{}", 2, NOW));
    char bad[65];
    sign("other-key", ts, body, bad);
    h.signature = sl(bad);
    assert_false(auth_vapi(&CFG, &h, body, strlen(body), NOW));
    h.signature = sl(sig);
    assert_false(auth_vapi(&CFG, &h, body, strlen(body), NOW + 400));
    assert_false(auth_vapi(&CFG, &h, body, strlen(body), NOW - 400));
    h.timestamp = sl("12a");
    assert_false(auth_vapi(&CFG, &h, body, strlen(body), NOW));
    h.timestamp = sl(ts);
    h.signature = sl("abc");
    assert_false(auth_vapi(&CFG, &h, body, strlen(body), NOW));
}

static void test_dashboard_jwt(void **state)
{
    char *tok = vx_jwt_sign("jwt-secret", "0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10", "user-1", "owner", NOW - 5, NOW + 60);
    char header[2048];
    snprintf(header, sizeof(header), "Bearer %s", tok);
    vx_jwt_claims claims;
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_OK);
    assert_string_equal(claims.org_id, "0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10");
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW + 61, &claims), VX_JWT_EXPIRED);
    assert_int_equal(auth_dashboard(&CFG, sl(tok), NOW, &claims), VX_JWT_MALFORMED);
    assert_int_equal(auth_dashboard(&CFG, sl(NULL), NOW, &claims), VX_JWT_MALFORMED);
    auth_config other = CFG;
    other.jwt_secret = "not-the-secret";
    assert_int_equal(auth_dashboard(&other, sl(header), NOW, &claims), VX_JWT_BAD_SIGNATURE);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_secret_header),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_no_secret_configured_accepts_nothing_by_secret),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_dashboard_jwt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
