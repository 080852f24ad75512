/*
 * Unit tests of services/gateway/auth.c: the Vapi methods (the shared secret
 * alone, or the HMAC credential alone once its key is configured, each
 * signature once), dashboard JWTs and the operator token. The HMAC method branch by branch: the key configured or not; the
 * x-timestamp syntax (digits only, at most 20, seconds or milliseconds), the
 * replay window on both sides and at its edges; the signature's forms (hex in
 * either case, an optional "sha256=" prefix) and every way it can be wrong
 * (missing, odd or short length, not hex, another key, another timestamp,
 * another body); an empty body and a body with NUL bytes (the raw bytes are
 * signed). Each refusal is checked with a signature that is right for
 * everything else, so it is that one thing that refuses it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "vx_crypto.h"

#define NOW 1800000000LL

#define JWT_SECRET "jwt-secret-of-at-least-thirty-two-bytes"
#define ORG        "0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10"

/* The dashboard policy the gateway uses by default. */
#define JWT_POLICY                                                                                                                 \
    {                                                                                                                              \
        JWT_SECRET, VX_JWT_DEFAULT_AUDIENCE, NULL, VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_DEFAULT_LEEWAY_S                          \
    }

/* The HMAC credential configured (the shared secret too, which it overrides); no replay cache. */
static const auth_config CFG = {.vapi_secret = "s3cret", .vapi_hmac_secret = "hmac-key", .hmac_window_s = 300, .jwt = JWT_POLICY};
/* The shared secret only. */
static const auth_config SECRET_ONLY = {.vapi_secret = "s3cret", .hmac_window_s = 300, .jwt = JWT_POLICY};

/* True when auth_vapi lets the request through. */
static bool vapi_ok(const auth_config *cfg, const auth_vapi_headers *h, const char *body, size_t body_len, int64_t now)
{
    return auth_vapi(cfg, h, body, body_len, now) == AUTH_OK;
}

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
    assert_true(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    h.secret = sl("s3cre");
    assert_false(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    h.secret = sl("s3cret ");
    assert_false(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    h.secret = sl("");
    assert_false(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    /* With the HMAC key configured too: refused (test_hmac_configured_refuses_the_shared_secret). */
    h.secret = sl("s3cret");
    assert_false(vapi_ok(&CFG, &h, "{}", 2, NOW));
}

static void test_bearer(void **state)
{
    auth_vapi_headers h = {sl(NULL), sl("Bearer s3cret"), sl(NULL), sl(NULL)};
    assert_true(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    h.authorization = sl("bearer s3cret");
    assert_true(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    h.authorization = sl("Basic s3cret");
    assert_false(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
    h.authorization = sl("Bearer ");
    assert_false(vapi_ok(&SECRET_ONLY, &h, "{}", 2, NOW));
}

static void test_no_secret_configured_accepts_nothing_by_secret(void **state)
{
    auth_config cfg = SECRET_ONLY;
    cfg.vapi_secret = NULL;
    auth_vapi_headers h = {sl(""), sl("Bearer "), sl(NULL), sl(NULL)};
    assert_false(vapi_ok(&cfg, &h, "{}", 2, NOW));
}

static void test_hmac(void **state)
{
    const char *body = "{\"message\":{\"type\":\"status-update\"}}";
    char ts[32], sig[65], prefixed[80];
    snprintf(ts, sizeof(ts), "%lld", NOW - 10);
    sign("hmac-key", ts, body, sig);
    auth_vapi_headers h = {sl(NULL), sl(NULL), sl(sig), sl(ts)};
    assert_true(vapi_ok(&CFG, &h, body, strlen(body), NOW));
    snprintf(prefixed, sizeof(prefixed), "sha256=%s", sig);
    h.signature = sl(prefixed);
    assert_true(vapi_ok(&CFG, &h, body, strlen(body), NOW));
    /* Milliseconds are understood too. */
    char ts_ms[32], sig_ms[65];
    snprintf(ts_ms, sizeof(ts_ms), "%lld", (NOW - 10) * 1000);
    sign("hmac-key", ts_ms, body, sig_ms);
    auth_vapi_headers hm = {sl(NULL), sl(NULL), sl(sig_ms), sl(ts_ms)};
    assert_true(vapi_ok(&CFG, &hm, body, strlen(body), NOW));
    /* A changed body, a wrong key, a stale or future timestamp all fail. */
    h.signature = sl(sig);
    assert_false(vapi_ok(&CFG, &h, "{}", 2, NOW));
    char bad[65];
    sign("other-key", ts, body, bad);
    h.signature = sl(bad);
    assert_false(vapi_ok(&CFG, &h, body, strlen(body), NOW));
    h.signature = sl(sig);
    assert_false(vapi_ok(&CFG, &h, body, strlen(body), NOW + 400));
    assert_false(vapi_ok(&CFG, &h, body, strlen(body), NOW - 400));
    h.timestamp = sl("12a");
    assert_false(vapi_ok(&CFG, &h, body, strlen(body), NOW));
    h.timestamp = sl(ts);
    h.signature = sl("abc");
    assert_false(vapi_ok(&CFG, &h, body, strlen(body), NOW));
}

/* The hex signature of "{ts}.{body}" (body_len bytes, may hold NULs) under key. */
static void sign_raw(const char *key, const char *ts, const char *body, size_t body_len, char out[65])
{
    size_t ts_len = strlen(ts), len = ts_len + 1 + body_len;
    char *payload = malloc(len);
    assert_non_null(payload);
    memcpy(payload, ts, ts_len);
    payload[ts_len] = '.';
    if (body_len > 0)
        memcpy(payload + ts_len + 1, body, body_len);
    uint8_t mac[VX_SHA256_LEN];
    vx_hmac_sha256(key, strlen(key), payload, len, mac);
    vx_hex_encode(mac, sizeof(mac), out);
    free(payload);
}

static const char BODY[] = "{\"message\":{\"type\":\"end-of-call-report\"}}";

/* The HMAC method alone (no secret header, no bearer): signature and timestamp as given. */
static bool hmac_accepts(const auth_config *cfg, const char *sig, const char *ts, const char *body, size_t body_len, int64_t now)
{
    auth_vapi_headers h = {sl(NULL), sl(NULL), sl(sig), sl(ts)};
    return vapi_ok(cfg, &h, body, body_len, now);
}

/* Signs BODY at ts with the configured key and asks auth_vapi at now. */
static bool signed_at(const char *ts, int64_t now)
{
    char sig[65];
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    return hmac_accepts(&CFG, sig, ts, BODY, strlen(BODY), now);
}

static bool signed_at_s(long long ts, int64_t now)
{
    char s[32];
    snprintf(s, sizeof(s), "%lld", ts);
    return signed_at(s, now);
}

static void test_hmac_signature_forms(void **state)
{
    char ts[32], sig[65], buf[96];
    snprintf(ts, sizeof(ts), "%lld", NOW);
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    const size_t n = strlen(BODY);
    assert_true(hmac_accepts(&CFG, sig, ts, BODY, n, NOW));
    /* Upper-case and mixed-case hex are the same signature. */
    char upper[65];
    for (size_t i = 0; i < 65; i++)
        upper[i] = (sig[i] >= 'a' && sig[i] <= 'f') ? (char)(sig[i] - 32) : sig[i];
    assert_true(strcmp(upper, sig) != 0); /* (a signature without a letter would prove nothing) */
    assert_true(hmac_accepts(&CFG, upper, ts, BODY, n, NOW));
    char mixed[65];
    for (size_t i = 0; i < 65; i++)
        mixed[i] = i % 2 ? upper[i] : sig[i];
    assert_true(hmac_accepts(&CFG, mixed, ts, BODY, n, NOW));
    /* The "sha256=" prefix, before either case; the prefix itself is lower case only. */
    snprintf(buf, sizeof(buf), "sha256=%s", sig);
    assert_true(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "sha256=%s", upper);
    assert_true(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "SHA256=%s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "sha256:%s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "sha256=sha256=%s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    assert_false(hmac_accepts(&CFG, "sha256=", ts, BODY, n, NOW));
}

static void test_hmac_wrong_or_missing_signature(void **state)
{
    char ts[32], sig[65], buf[96];
    snprintf(ts, sizeof(ts), "%lld", NOW);
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    const size_t n = strlen(BODY);
    /* Missing. */
    assert_false(hmac_accepts(&CFG, NULL, ts, BODY, n, NOW));
    assert_false(hmac_accepts(&CFG, "", ts, BODY, n, NOW));
    /* Odd length or short: one digit less, one more, half of it, one byte more of hex. */
    snprintf(buf, sizeof(buf), "%.63s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "%s0", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "%.32s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "%s00", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "sha256=%.63s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    /* White space around it is not trimmed. */
    snprintf(buf, sizeof(buf), " %s", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    snprintf(buf, sizeof(buf), "%s\n", sig);
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    /* Wrong: each position changed in turn, 64 characters that are not hex. */
    for (size_t i = 0; i < 64; i++) {
        snprintf(buf, sizeof(buf), "%s", sig);
        buf[i] = buf[i] == '0' ? '1' : '0';
        if (hmac_accepts(&CFG, buf, ts, BODY, n, NOW))
            fail_msg("a signature with character %zu changed was accepted", i);
    }
    snprintf(buf, sizeof(buf), "%s", sig);
    buf[10] = 'g';
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    memset(buf, 'z', 64);
    buf[64] = '\0';
    assert_false(hmac_accepts(&CFG, buf, ts, BODY, n, NOW));
    /* Right in form, made with another key, over another timestamp, over another body. */
    char other[65];
    sign_raw("hmac-key2", ts, BODY, n, other);
    assert_false(hmac_accepts(&CFG, other, ts, BODY, n, NOW));
    sign_raw("", ts, BODY, n, other);
    assert_false(hmac_accepts(&CFG, other, ts, BODY, n, NOW));
    char ts2[32];
    snprintf(ts2, sizeof(ts2), "%lld", NOW - 1);
    sign_raw("hmac-key", ts2, BODY, n, other);
    assert_false(hmac_accepts(&CFG, other, ts, BODY, n, NOW));
    assert_false(hmac_accepts(&CFG, sig, ts, BODY, n - 1, NOW)); /* the body cut short */
    assert_false(hmac_accepts(&CFG, sig, ts, "{}", 2, NOW));
    /* Without the '.' between timestamp and body. */
    char joined[256];
    snprintf(joined, sizeof(joined), "%s%s", ts, BODY);
    uint8_t mac[VX_SHA256_LEN];
    vx_hmac_sha256("hmac-key", 8, joined, strlen(joined), mac);
    vx_hex_encode(mac, sizeof(mac), other);
    assert_false(hmac_accepts(&CFG, other, ts, BODY, n, NOW));
}

static void test_hmac_replay_window(void **state)
{
    /* Seconds: the window is [now - 300, now + 300], both edges included. */
    assert_true(signed_at_s(NOW, NOW));
    assert_true(signed_at_s(NOW - 300, NOW));
    assert_false(signed_at_s(NOW - 301, NOW));
    assert_false(signed_at_s(NOW - 86400, NOW));
    assert_true(signed_at_s(NOW + 300, NOW));
    assert_false(signed_at_s(NOW + 301, NOW));
    assert_false(signed_at_s(NOW + 86400, NOW));
    assert_false(signed_at_s(0, NOW));
    /* Milliseconds, truncated to the second. */
    assert_true(signed_at_s(NOW * 1000, NOW));
    assert_true(signed_at_s((NOW - 300) * 1000, NOW));
    assert_false(signed_at_s((NOW - 300) * 1000 - 1, NOW));
    assert_true(signed_at_s((NOW + 300) * 1000 + 999, NOW));
    assert_false(signed_at_s((NOW + 301) * 1000, NOW));
    /* The unit switches above 999999999999: twelve digits are seconds (the
     * year 33658), thirteen are milliseconds. */
    assert_false(signed_at("999999999999", NOW));
    assert_true(signed_at("999999999999", 999999999999LL));
    assert_true(signed_at("1000000000000", 1000000000LL));
    assert_false(signed_at("1000000000000", 1000000000000LL));
    /* A narrower window. */
    auth_config one = CFG;
    one.hmac_window_s = 1;
    char ts[32], sig[65];
    snprintf(ts, sizeof(ts), "%lld", NOW - 2);
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    assert_false(hmac_accepts(&one, sig, ts, BODY, strlen(BODY), NOW));
    assert_true(hmac_accepts(&CFG, sig, ts, BODY, strlen(BODY), NOW));
}

static void test_hmac_timestamp_syntax(void **state)
{
    /* Each signed as sent, so only the syntax can refuse it. */
    char sec[32], ms[32], buf[64];
    snprintf(sec, sizeof(sec), "%lld", NOW);
    snprintf(ms, sizeof(ms), "%lld", NOW * 1000);
    const char *bad[] = {
        "",    "x",     "12a",   "0x6B49D200", "1.8e9",       "-1", "1e10", "\xd9\xa1\xd9\xa8", /* Arabic-Indic digits */
        "1 8", "1,800", "1_800", "\t1",        "\xef\xbc\x91"};                                 /* fullwidth 1 */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (signed_at(bad[i], NOW))
            fail_msg("x-timestamp \"%s\" was accepted", bad[i]);
    }
    /* A fresh value (seconds or milliseconds) with anything before or after it. */
    const char *around[][2] = {{"-", ""}, {"+", ""}, {" ", ""},  {"", " "},    {"", ".0"}, {"", "\n"},
                               {"", "Z"}, {"", "."}, {"'", "'"}, {"\"", "\""}, {"0x", ""}, {"", "\r"}};
    for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
        snprintf(buf, sizeof(buf), "%s%s%s", around[i][0], sec, around[i][1]);
        if (signed_at(buf, NOW))
            fail_msg("x-timestamp \"%s\" was accepted", buf);
        snprintf(buf, sizeof(buf), "%s%s%s", around[i][0], ms, around[i][1]);
        if (signed_at(buf, NOW))
            fail_msg("x-timestamp \"%s\" was accepted", buf);
    }
    /* A NUL inside the header value: the length counts, not the C string. */
    char with_nul[32];
    size_t sec_len = strlen(sec);
    memcpy(with_nul, sec, sec_len);
    with_nul[sec_len] = '\0';
    with_nul[sec_len + 1] = '5';
    auth_vapi_headers h = {sl(NULL), sl(NULL), sl(NULL), {with_nul, sec_len + 2}};
    char sig[65];
    sign_raw("hmac-key", sec, BODY, strlen(BODY), sig);
    h.signature = sl(sig);
    assert_false(vapi_ok(&CFG, &h, BODY, strlen(BODY), NOW));
    /* A leading zero keeps the value (the signature covers the header as sent);
     * more than 20 characters are refused whatever they say. */
    snprintf(buf, sizeof(buf), "0%s", sec);
    assert_true(signed_at(buf, NOW));
    snprintf(buf, sizeof(buf), "00000000%s", ms); /* 21 */
    assert_false(signed_at(buf, NOW));
    snprintf(buf, sizeof(buf), "00000000000%s", sec); /* 21 */
    assert_false(signed_at(buf, NOW));
    /* Huge values that still fit in int64 are refused as out of the window. */
    assert_false(signed_at("9223372036854775807", NOW)); /* INT64_MAX, 19 digits */
    assert_false(signed_at("1000000000000000000", NOW));
    assert_false(signed_at("000000000000000000000", NOW)); /* 21 zeros */
}

/* Regression: "v = v * 10 + digit" overflowed int64 for any all-digit x-timestamp above
 * 9223372036854775807 (20 digits, or 19 from 9223372036854775808), which is
 * undefined behaviour reached before the signature is checked — the ASan/UBSan
 * gateway aborts on such a header — and where the product wraps (release
 * builds) a value 2^64 above a fresh millisecond timestamp lands inside the
 * replay window. parse_timestamp now refuses before it multiplies. */
static void test_hmac_timestamp_overflow(void **state)
{
    assert_false(signed_at("99999999999999999999", NOW)); /* 20 nines */
    assert_false(signed_at("18446744073709551615", NOW)); /* UINT64_MAX */
    assert_false(signed_at("9223372036854775808", NOW));  /* INT64_MAX + 1, 19 digits */
    assert_false(signed_at("18446745873709551616", NOW)); /* 2^64 + NOW * 1000: wraps into the window */
}

static void test_hmac_empty_body(void **state)
{
    char ts[32], sig[65];
    snprintf(ts, sizeof(ts), "%lld", NOW);
    /* The payload is then "{ts}." alone. */
    sign_raw("hmac-key", ts, "", 0, sig);
    assert_true(hmac_accepts(&CFG, sig, ts, NULL, 0, NOW));
    assert_true(hmac_accepts(&CFG, sig, ts, "", 0, NOW));
    assert_false(hmac_accepts(&CFG, sig, ts, "x", 1, NOW));
    assert_false(hmac_accepts(&CFG, sig, ts, "{}", 2, NOW));
    /* A signature over a body is no good without it. */
    sign_raw("hmac-key", ts, "{}", 2, sig);
    assert_false(hmac_accepts(&CFG, sig, ts, NULL, 0, NOW));
    /* An empty body and an empty signature. */
    assert_false(hmac_accepts(&CFG, "", ts, NULL, 0, NOW));
    /* The body is raw bytes: NULs included, every byte counts. */
    const char raw[] = {'{', '\0', '}', '\xff', '\0'};
    sign_raw("hmac-key", ts, raw, sizeof(raw), sig);
    assert_true(hmac_accepts(&CFG, sig, ts, raw, sizeof(raw), NOW));
    assert_false(hmac_accepts(&CFG, sig, ts, raw, sizeof(raw) - 1, NOW));
    assert_false(hmac_accepts(&CFG, sig, ts, raw, 1, NOW));
}

static void test_hmac_not_configured(void **state)
{
    char ts[32], sig[65];
    snprintf(ts, sizeof(ts), "%lld", NOW);
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    auth_config cfg = CFG;
    cfg.vapi_hmac_secret = NULL;
    assert_false(hmac_accepts(&cfg, sig, ts, BODY, strlen(BODY), NOW));
    /* An empty key is no key: a signature made with "" is refused. */
    cfg.vapi_hmac_secret = "";
    sign_raw("", ts, BODY, strlen(BODY), sig);
    assert_false(hmac_accepts(&cfg, sig, ts, BODY, strlen(BODY), NOW));
    /* … and leaves the shared secret in charge. */
    auth_vapi_headers secret = {sl("s3cret"), sl(NULL), sl(NULL), sl(NULL)};
    assert_int_equal(auth_vapi(&cfg, &secret, BODY, strlen(BODY), NOW), AUTH_OK);
    /* HMAC alone, without a shared secret configured, works. */
    cfg.vapi_secret = NULL;
    cfg.vapi_hmac_secret = "hmac-key";
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    assert_true(hmac_accepts(&cfg, sig, ts, BODY, strlen(BODY), NOW));
}

/* Regression (issue 9): with the HMAC key configured, the shared secret (header
 * or bearer) still authenticated any body; a captured x-vapi-secret works
 * forever. Now the HMAC credential is the only method once its key is set. */
static void test_hmac_configured_refuses_the_shared_secret(void **state)
{
    char ts[32], sig[65];
    snprintf(ts, sizeof(ts), "%lld", NOW);
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    size_t n = strlen(BODY);
    /* The right shared secret, as header or bearer, with a wrong or no signature. */
    auth_vapi_headers h = {sl("s3cret"), sl(NULL), sl(NULL), sl(NULL)};
    assert_int_equal(auth_vapi(&CFG, &h, BODY, n, NOW), AUTH_DENIED);
    assert_int_equal(auth_vapi(&SECRET_ONLY, &h, BODY, n, NOW), AUTH_OK);
    h = (auth_vapi_headers){sl("s3cret"), sl("Bearer wrong"), sl("bad"), sl("bad")};
    assert_false(vapi_ok(&CFG, &h, BODY, n, NOW));
    h = (auth_vapi_headers){sl(NULL), sl("Bearer s3cret"), sl(NULL), sl(NULL)};
    assert_int_equal(auth_vapi(&CFG, &h, BODY, n, NOW), AUTH_DENIED);
    assert_int_equal(auth_vapi(&SECRET_ONLY, &h, BODY, n, NOW), AUTH_OK);
    h = (auth_vapi_headers){sl("s3cret"), sl("Bearer s3cret"), sl(sig), sl("12a")};
    assert_false(vapi_ok(&CFG, &h, BODY, n, NOW));
    h = (auth_vapi_headers){sl("s3cret"), sl("Bearer s3cret"), sl(sig), sl(ts)};
    assert_false(vapi_ok(&CFG, &h, BODY, n, NOW + 301)); /* stale: the secret does not rescue it */
    /* The signature alone passes, whatever else is wrong. */
    h = (auth_vapi_headers){sl("wrong"), sl("Bearer wrong"), sl(sig), sl(ts)};
    assert_int_equal(auth_vapi(&CFG, &h, BODY, n, NOW), AUTH_OK);
    /* Nothing at all. */
    h = (auth_vapi_headers){sl(NULL), sl(NULL), sl(NULL), sl(NULL)};
    assert_false(vapi_ok(&CFG, &h, NULL, 0, NOW));
    assert_false(vapi_ok(&CFG, &h, BODY, n, NOW));
    assert_false(vapi_ok(&SECRET_ONLY, &h, BODY, n, NOW));
    /* The HMAC key is not a shared secret, nor the shared secret an HMAC key. */
    h = (auth_vapi_headers){sl("hmac-key"), sl("Bearer hmac-key"), sl(NULL), sl(NULL)};
    assert_false(vapi_ok(&CFG, &h, BODY, n, NOW));
    sign_raw("s3cret", ts, BODY, n, sig);
    h = (auth_vapi_headers){sl(NULL), sl(NULL), sl(sig), sl(ts)};
    assert_false(vapi_ok(&CFG, &h, BODY, n, NOW));
    /* Without the key, a signature means nothing: the shared secret decides. */
    sign_raw("hmac-key", ts, BODY, n, sig);
    h = (auth_vapi_headers){sl(NULL), sl(NULL), sl(sig), sl(ts)};
    assert_int_equal(auth_vapi(&SECRET_ONLY, &h, BODY, n, NOW), AUTH_DENIED);
}

/* Regression (issue 9): a signed request could be replayed as long as its
 * timestamp stayed in the window. Each signature now authenticates one request. */
static void test_hmac_replay_is_refused(void **state)
{
    auth_config cfg = CFG;
    cfg.replay = vx_replay_create(1024, "test signatures");
    assert_non_null(cfg.replay);
    char ts[32], sig[65], buf[96];
    snprintf(ts, sizeof(ts), "%lld", NOW - 100);
    sign_raw("hmac-key", ts, BODY, strlen(BODY), sig);
    auth_vapi_headers h = {sl(NULL), sl(NULL), sl(sig), sl(ts)};
    const size_t n = strlen(BODY);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_OK);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_REPLAY);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW + 200), AUTH_REPLAY); /* still in the window */
    /* Another spelling of the same signature is the same signature. */
    for (size_t i = 0; i < 64; i++)
        buf[i] = (sig[i] >= 'a' && sig[i] <= 'f') ? (char)(sig[i] - 32) : sig[i];
    buf[64] = '\0';
    h.signature = sl(buf);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_REPLAY);
    snprintf(buf, sizeof(buf), "sha256=%s", sig);
    h.signature = sl(buf);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_REPLAY);
    /* A replay with the shared secret beside it is still a replay (the secret counts for nothing). */
    h = (auth_vapi_headers){sl("s3cret"), sl("Bearer s3cret"), sl(sig), sl(ts)};
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_REPLAY);
    /* Out of the window it is refused as stale, not as a replay: nothing is remembered for it. */
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW + 201), AUTH_DENIED);
    /* A wrong signature is denied, and never remembered. */
    h = (auth_vapi_headers){sl(NULL), sl(NULL), sl("00"), sl(ts)};
    size_t before = vx_replay_count(cfg.replay);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_DENIED);
    assert_int_equal(vx_replay_count(cfg.replay), before);
    /* The same body at another timestamp is another signature (a new delivery). */
    char ts2[32], sig2[65];
    snprintf(ts2, sizeof(ts2), "%lld", NOW - 99);
    sign_raw("hmac-key", ts2, BODY, n, sig2);
    h = (auth_vapi_headers){sl(NULL), sl(NULL), sl(sig2), sl(ts2)};
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_OK);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_REPLAY);
    /* The same instant in milliseconds is signed differently: its own signature, once. */
    char ts_ms[32], sig_ms[65];
    snprintf(ts_ms, sizeof(ts_ms), "%lld", (NOW - 100) * 1000);
    sign_raw("hmac-key", ts_ms, BODY, n, sig_ms);
    h = (auth_vapi_headers){sl(NULL), sl(NULL), sl(sig_ms), sl(ts_ms)};
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_OK);
    assert_int_equal(auth_vapi(&cfg, &h, BODY, n, NOW), AUTH_REPLAY);
    /* The shared-secret method has nothing to replay against: it is the same every time. */
    auth_config secret_only = SECRET_ONLY;
    secret_only.replay = cfg.replay;
    h = (auth_vapi_headers){sl("s3cret"), sl(NULL), sl(NULL), sl(NULL)};
    assert_int_equal(auth_vapi(&secret_only, &h, BODY, n, NOW), AUTH_OK);
    assert_int_equal(auth_vapi(&secret_only, &h, BODY, n, NOW), AUTH_OK);
    vx_replay_destroy(cfg.replay);
}

static char *dashboard_token(const char *secret, const char *audience, const char *issuer, int64_t iat, int64_t exp)
{
    vx_jwt_grant g = {
        .org_id = ORG, .user_id = "user-1", .role = "owner", .audience = audience, .issuer = issuer, .iat = iat, .exp = exp};
    char *tok = vx_jwt_sign(secret, &g);
    assert_non_null(tok);
    char *header = malloc(strlen(tok) + 8);
    assert_non_null(header);
    sprintf(header, "Bearer %s", tok);
    free(tok);
    return header;
}

static void test_dashboard_jwt(void **state)
{
    char *header = dashboard_token(JWT_SECRET, NULL, NULL, NOW - 5, NOW + 60);
    const char *tok = header + strlen("Bearer ");
    vx_jwt_claims claims;
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_OK);
    assert_string_equal(claims.org_id, ORG);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW + 61, &claims), VX_JWT_EXPIRED);
    assert_int_equal(auth_dashboard(&CFG, sl(tok), NOW, &claims), VX_JWT_MALFORMED);
    assert_int_equal(auth_dashboard(&CFG, sl(NULL), NOW, &claims), VX_JWT_MALFORMED);
    auth_config other = CFG;
    other.jwt.secret = "not-the-secret-but-just-as-long-as-it";
    assert_int_equal(auth_dashboard(&other, sl(header), NOW, &claims), VX_JWT_BAD_SIGNATURE);
    free(header);
}

/* Regression (issue 9): the gateway checked neither aud nor iss nor how long
 * a token lives; its policy (JWT_AUDIENCE, JWT_ISSUER, JWT_MAX_LIFETIME_S) now decides. */
static void test_dashboard_jwt_policy(void **state)
{
    vx_jwt_claims claims;
    /* Audience: Supabase's by default; another one configured. */
    char *header = dashboard_token(JWT_SECRET, "anon", NULL, NOW - 5, NOW + 60);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_BAD_AUDIENCE);
    auth_config cfg = CFG;
    cfg.jwt.audience = "anon";
    assert_int_equal(auth_dashboard(&cfg, sl(header), NOW, &claims), VX_JWT_OK);
    free(header);
    /* Issuer: not looked at unless configured; then exactly it. */
    header = dashboard_token(JWT_SECRET, NULL, "https://abcd.supabase.co/auth/v1", NOW - 5, NOW + 60);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_OK);
    cfg = CFG;
    cfg.jwt.issuer = "https://abcd.supabase.co/auth/v1";
    assert_int_equal(auth_dashboard(&cfg, sl(header), NOW, &claims), VX_JWT_OK);
    cfg.jwt.issuer = "https://other.supabase.co/auth/v1";
    assert_int_equal(auth_dashboard(&cfg, sl(header), NOW, &claims), VX_JWT_BAD_ISSUER);
    free(header);
    header = dashboard_token(JWT_SECRET, NULL, NULL, NOW - 5, NOW + 60);
    assert_int_equal(auth_dashboard(&cfg, sl(header), NOW, &claims), VX_JWT_BAD_ISSUER);
    free(header);
    /* Lifetime: 24 h by default, edge included; a shorter maximum configured. */
    header = dashboard_token(JWT_SECRET, NULL, NULL, NOW - 5, NOW - 5 + 24 * 3600);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_OK);
    cfg = CFG;
    cfg.jwt.max_lifetime_s = 3600;
    assert_int_equal(auth_dashboard(&cfg, sl(header), NOW, &claims), VX_JWT_BAD_LIFETIME);
    free(header);
    header = dashboard_token(JWT_SECRET, NULL, NULL, NOW - 5, NOW - 5 + 24 * 3600 + 1);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_BAD_LIFETIME);
    free(header);
    /* Issued in the future: a minute of clock difference is allowed, not more. */
    header = dashboard_token(JWT_SECRET, NULL, NULL, NOW + 60, NOW + 3600);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_OK);
    free(header);
    header = dashboard_token(JWT_SECRET, NULL, NULL, NOW + 61, NOW + 3600);
    assert_int_equal(auth_dashboard(&CFG, sl(header), NOW, &claims), VX_JWT_NOT_YET_VALID);
    free(header);
}

/* Regression (issue 9): /metrics and /ready answered anyone. The operator
 * token (METRICS_TOKEN) is compared in constant time; unset, the operator
 * routes are disabled. */
static void test_operator_token(void **state)
{
    auth_config cfg = CFG;
    assert_int_equal(auth_operator(&cfg, sl("Bearer anything")), AUTH_DISABLED);
    cfg.metrics_token = "";
    assert_int_equal(auth_operator(&cfg, sl("Bearer ")), AUTH_DISABLED);
    cfg.metrics_token = "metrics-token-0123456789";
    assert_int_equal(auth_operator(&cfg, sl("Bearer metrics-token-0123456789")), AUTH_OK);
    assert_int_equal(auth_operator(&cfg, sl("bearer metrics-token-0123456789")), AUTH_OK);
    assert_int_equal(auth_operator(&cfg, sl("Bearer   metrics-token-0123456789")), AUTH_OK);
    const char *wrong[] = {NULL,
                           "",
                           "Bearer ",
                           "metrics-token-0123456789",
                           "Basic metrics-token-0123456789",
                           "Bearer metrics-token-012345678",
                           "Bearer metrics-token-01234567890",
                           "Bearer metrics-token-0123456788",
                           "Bearer METRICS-TOKEN-0123456789",
                           "Bearer metrics-token-0123456789 ",
                           "Bearer s3cret",
                           "Bearer " JWT_SECRET};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        if (auth_operator(&cfg, sl(wrong[i])) != AUTH_DENIED)
            fail_msg("operator token \"%s\" was not denied", wrong[i] != NULL ? wrong[i] : "(none)");
    }
    /* A NUL inside: the header's length counts. */
    const char nul[] = "Bearer metrics-token-0123456789\0x";
    assert_int_equal(auth_operator(&cfg, (auth_slice){nul, sizeof(nul) - 1}), AUTH_DENIED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_secret_header),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_no_secret_configured_accepts_nothing_by_secret),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_hmac_signature_forms),
        cmocka_unit_test(test_hmac_wrong_or_missing_signature),
        cmocka_unit_test(test_hmac_replay_window),
        cmocka_unit_test(test_hmac_timestamp_syntax),
        cmocka_unit_test(test_hmac_timestamp_overflow),
        cmocka_unit_test(test_hmac_empty_body),
        cmocka_unit_test(test_hmac_not_configured),
        cmocka_unit_test(test_hmac_configured_refuses_the_shared_secret),
        cmocka_unit_test(test_hmac_replay_is_refused),
        cmocka_unit_test(test_dashboard_jwt),
        cmocka_unit_test(test_dashboard_jwt_policy),
        cmocka_unit_test(test_operator_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
