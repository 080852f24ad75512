/*
 * Unit tests for libcommon/vx_jwt.c. Besides sign → verify round trips,
 * hostile tokens are built by hand (any header and payload JSON, signed with
 * any key or not at all) so each rejection path is reached on purpose:
 * alg confusion, tampering, expiry, nbf, missing or malformed org, sizes,
 * and the policy: audience, issuer, iat and the longest lifetime (issue 9).
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

/* What the gateway asks by default: Supabase's audience, no issuer, 24 h at most. */
static const vx_jwt_policy POLICY = {SECRET, VX_JWT_DEFAULT_AUDIENCE, NULL, VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_DEFAULT_LEEWAY_S};

/* The claims every hand-built payload needs besides exp and org, as Supabase writes them. */
#define AUD_IAT "\"aud\":\"authenticated\",\"iat\":1721999990"

static char *payload_with(const char *extra)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "{\"sub\":\"" USER "\"," AUD_IAT ",\"exp\":%lld,\"app_metadata\":{\"org_id\":\"" ORG "\"}%s}", NOW + 3600,
                  extra);
    return vx_buf_steal(&b);
}

static vx_jwt_status verify_with(const char *token, const vx_jwt_policy *policy, vx_jwt_claims *c)
{
    return vx_jwt_verify(token, strlen(token), policy, NOW, c);
}

static vx_jwt_status verify(const char *token, vx_jwt_claims *c)
{
    return verify_with(token, &POLICY, c);
}

/* A token for ORG signed by vx_jwt_sign with the default audience and no issuer. */
static char *sign(const char *secret, const char *user, const char *role, int64_t iat, int64_t exp)
{
    vx_jwt_grant g = {.org_id = ORG, .user_id = user, .role = role, .iat = iat, .exp = exp};
    return vx_jwt_sign(secret, &g);
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
    char *t = sign(SECRET, USER, "admin", NOW - 10, NOW + 3600);
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
    assert_non_null(strstr((char *)json, "\"iat\":1721999990"));
    assert_non_null(strstr((char *)json, "\"aud\":\"authenticated\""));
    assert_null(strstr((char *)json, "\"iss\"")); /* none asked for */
    free(json);
    /* No role: falls back to the top-level "authenticated"; out may be NULL. */
    free(t);
    t = sign(SECRET, NULL, NULL, NOW, NOW + 60);
    assert_int_equal(verify(t, &c), VX_JWT_OK);
    assert_string_equal(c.role, "authenticated");
    assert_string_equal(c.sub, "");
    assert_int_equal(vx_jwt_verify(t, strlen(t), &POLICY, NOW, NULL), VX_JWT_OK);
    free(t);
    assert_null(sign(NULL, USER, NULL, NOW, NOW + 60));
    vx_jwt_grant no_org = {.iat = NOW, .exp = NOW + 60};
    assert_null(vx_jwt_sign(SECRET, &no_org));
    assert_null(vx_jwt_sign(SECRET, NULL));
}

static void test_length_is_honoured(void **state)
{
    char *t = sign(SECRET, USER, NULL, NOW, NOW + 60);
    size_t n = strlen(t);
    char *padded = malloc(n + 8);
    memcpy(padded, t, n);
    memcpy(padded + n, "garbage", 8);
    vx_jwt_claims c;
    assert_int_equal(vx_jwt_verify(padded, n, &POLICY, NOW, &c), VX_JWT_OK);
    assert_int_equal(vx_jwt_verify(padded, n + 7, &POLICY, NOW, &c), VX_JWT_MALFORMED);
    assert_int_not_equal(vx_jwt_verify(padded, n - 1, &POLICY, NOW, &c), VX_JWT_OK);
    free(padded);
    free(t);
}

static void test_expired(void **state)
{
    char *t = sign(SECRET, USER, NULL, NOW - 100, NOW);
    assert_int_equal(verify(t, NULL), VX_JWT_EXPIRED); /* exp == now is expired */
    free(t);
    t = sign(SECRET, USER, NULL, NOW - 100, NOW - 1);
    assert_int_equal(verify(t, NULL), VX_JWT_EXPIRED);
    free(t);
    t = sign(SECRET, USER, NULL, NOW - 100, NOW + 1);
    assert_int_equal(verify(t, NULL), VX_JWT_OK);
    free(t);
}

static void test_exp_missing_or_wrong_type(void **state)
{
    const char *org = AUD_IAT ",\"app_metadata\":{\"org_id\":\"" ORG "\"}";
    char p[256];
    snprintf(p, sizeof p, "{\"sub\":\"u\",%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_EXPIRED);
    snprintf(p, sizeof p, "{\"exp\":\"9999999999\",%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_EXPIRED);
    snprintf(p, sizeof p, "{\"exp\":null,%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_EXPIRED);
    /* Huge but a number: clamped, not UB, and far longer than any lifetime allowed. */
    snprintf(p, sizeof p, "{\"exp\":1e300,%s}", org);
    assert_int_equal(verify_built(hs256, p, SECRET), VX_JWT_BAD_LIFETIME);
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
    char *t = sign("another-secret", USER, NULL, NOW, NOW + 60);
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
    char *t = sign(SECRET, USER, "member", NOW, NOW + 60);
    char *evil = sign("attacker", USER, "owner", NOW, NOW + 60);
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
    const char *exp = "\"exp\":1722003600," AUD_IAT;
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
    snprintf(payload, sizeof payload,
             "{\"sub\":\"%.127s\",\"exp\":1722003600," AUD_IAT ",\"app_metadata\":{\"org_id\":\"" ORG "\"}}", sub);
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_OK);
    snprintf(payload, sizeof payload,
             "{\"sub\":\"%.128s\",\"exp\":1722003600," AUD_IAT ",\"app_metadata\":{\"org_id\":\"" ORG "\"}}", sub);
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_MALFORMED);
    snprintf(payload, sizeof payload, "{\"sub\":7,\"exp\":1722003600," AUD_IAT ",\"app_metadata\":{\"org_id\":\"" ORG "\"}}");
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_MALFORMED);
    snprintf(payload, sizeof payload,
             "{\"role\":\"%.64s\",\"exp\":1722003600," AUD_IAT ",\"app_metadata\":{\"org_id\":\"" ORG "\"}}", sub);
    assert_int_equal(verify_built(hs256, payload, SECRET), VX_JWT_MALFORMED);
}

/* The payload of a token with aud_json as "aud" (NULL: none), iss_json as
 * "iss" (NULL: none), iat_json as "iat" (NULL: none) and exp; malloc'd. */
static char *claims_json(const char *aud_json, const char *iss_json, const char *iat_json, long long exp)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"sub\":\"" USER "\"");
    if (aud_json)
        vx_buf_printf(&b, ",\"aud\":%s", aud_json);
    if (iss_json)
        vx_buf_printf(&b, ",\"iss\":%s", iss_json);
    if (iat_json)
        vx_buf_printf(&b, ",\"iat\":%s", iat_json);
    vx_buf_printf(&b, ",\"exp\":%lld,\"app_metadata\":{\"org_id\":\"" ORG "\"}}", exp);
    return vx_buf_steal(&b);
}

/* Builds the token of claims_json(…), signed with SECRET, and verifies it under policy. */
static vx_jwt_status verify_claims(const vx_jwt_policy *policy, const char *aud_json, const char *iss_json, const char *iat_json,
                                   long long exp)
{
    char *p = claims_json(aud_json, iss_json, iat_json, exp);
    char *t = make_token(hs256, p, SECRET);
    vx_jwt_claims c;
    vx_jwt_status st = verify_with(t, policy, &c);
    if (st != VX_JWT_OK)
        assert_string_equal(c.org_id, "");
    free(t);
    free(p);
    return st;
}

#define IAT "1721999990"

/* Regression (issue 9): any token signed with JWT_SECRET opened the dashboard
 * API, whatever its audience — Supabase signs its anon and service_role keys
 * with the same secret. aud must now name our audience. */
static void test_audience(void **state)
{
    const long long exp = NOW + 3600;
    assert_int_equal(verify_claims(&POLICY, "\"authenticated\"", NULL, IAT, exp), VX_JWT_OK);
    assert_int_equal(verify_claims(&POLICY, NULL, NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "null", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "\"anon\"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "\"\"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "\"Authenticated\"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "\"authenticated \"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "42", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "{\"aud\":\"authenticated\"}", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    /* RFC 7519 §4.1.3: an array of audiences, one of them ours. */
    assert_int_equal(verify_claims(&POLICY, "[\"other\",\"authenticated\"]", NULL, IAT, exp), VX_JWT_OK);
    assert_int_equal(verify_claims(&POLICY, "[]", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "[\"other\",7,null]", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&POLICY, "[[\"authenticated\"]]", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    /* Another configured audience; none configured accepts nothing. */
    vx_jwt_policy other = POLICY;
    other.audience = "voxanne-dashboard";
    assert_int_equal(verify_claims(&other, "\"authenticated\"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(&other, "\"voxanne-dashboard\"", NULL, IAT, exp), VX_JWT_OK);
    vx_jwt_grant g = {.org_id = ORG, .audience = "voxanne-dashboard", .iat = NOW, .exp = NOW + 60};
    char *t = vx_jwt_sign(SECRET, &g);
    assert_int_equal(verify_with(t, &other, NULL), VX_JWT_OK);
    assert_int_equal(verify(t, NULL), VX_JWT_BAD_AUDIENCE);
    free(t);
    other.audience = NULL;
    assert_int_equal(verify_claims(&other, "\"authenticated\"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
    other.audience = "";
    assert_int_equal(verify_claims(&other, "\"\"", NULL, IAT, exp), VX_JWT_BAD_AUDIENCE);
}

/* Regression (issue 9): iss was never looked at. With an issuer configured it must match exactly. */
static void test_issuer(void **state)
{
    const long long exp = NOW + 3600;
    const char *aud = "\"authenticated\"";
    /* None configured: iss is not looked at. */
    assert_int_equal(verify_claims(&POLICY, aud, NULL, IAT, exp), VX_JWT_OK);
    assert_int_equal(verify_claims(&POLICY, aud, "\"https://anyone.example\"", IAT, exp), VX_JWT_OK);
    vx_jwt_policy p = POLICY;
    p.issuer = "";
    assert_int_equal(verify_claims(&p, aud, NULL, IAT, exp), VX_JWT_OK);
    p.issuer = "https://abcd.supabase.co/auth/v1";
    assert_int_equal(verify_claims(&p, aud, "\"https://abcd.supabase.co/auth/v1\"", IAT, exp), VX_JWT_OK);
    assert_int_equal(verify_claims(&p, aud, NULL, IAT, exp), VX_JWT_BAD_ISSUER);
    assert_int_equal(verify_claims(&p, aud, "null", IAT, exp), VX_JWT_BAD_ISSUER);
    assert_int_equal(verify_claims(&p, aud, "\"https://abcd.supabase.co/auth/v1/\"", IAT, exp), VX_JWT_BAD_ISSUER);
    assert_int_equal(verify_claims(&p, aud, "\"https://evil.supabase.co/auth/v1\"", IAT, exp), VX_JWT_BAD_ISSUER);
    assert_int_equal(verify_claims(&p, aud, "[\"https://abcd.supabase.co/auth/v1\"]", IAT, exp), VX_JWT_BAD_ISSUER);
    assert_int_equal(verify_claims(&p, aud, "\"\"", IAT, exp), VX_JWT_BAD_ISSUER);
    /* vx_jwt_sign writes the issuer asked for. */
    vx_jwt_grant g = {.org_id = ORG, .issuer = p.issuer, .iat = NOW, .exp = NOW + 60};
    char *t = vx_jwt_sign(SECRET, &g);
    assert_int_equal(verify_with(t, &p, NULL), VX_JWT_OK);
    free(t);
    g.issuer = "voxctl";
    t = vx_jwt_sign(SECRET, &g);
    assert_int_equal(verify_with(t, &p, NULL), VX_JWT_BAD_ISSUER);
    assert_int_equal(verify(t, NULL), VX_JWT_OK);
    free(t);
}

/* Regression (issue 9): a token was good until its exp, however far away
 * (voxctl minted 30-day tokens), iat was not required and could lie in the future. */
static void test_lifetime(void **state)
{
    const char *aud = "\"authenticated\"";
    const long long max = VX_JWT_DEFAULT_MAX_LIFETIME_S;
    /* iat is required, a NumericDate, not before 1970. */
    assert_int_equal(verify_claims(&POLICY, aud, NULL, NULL, NOW + 60), VX_JWT_BAD_LIFETIME);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "null", NOW + 60), VX_JWT_BAD_LIFETIME);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "\"1721999990\"", NOW + 60), VX_JWT_BAD_LIFETIME);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "-1", NOW + 60), VX_JWT_BAD_LIFETIME);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "-1e300", NOW + 60), VX_JWT_BAD_LIFETIME);
    /* exp - iat: at most the maximum, edge included, and positive. */
    char iat[32];
    snprintf(iat, sizeof iat, "%lld", NOW - 100);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW - 100 + max), VX_JWT_OK);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW - 100 + max + 1), VX_JWT_BAD_LIFETIME);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW + 30L * 24 * 3600), VX_JWT_BAD_LIFETIME);
    snprintf(iat, sizeof iat, "%lld", NOW + 30);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW + 30), VX_JWT_BAD_LIFETIME);   /* exp == iat */
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW + 20), VX_JWT_BAD_LIFETIME);   /* exp before iat */
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "1.5", NOW + 60), VX_JWT_BAD_LIFETIME); /* 1970 + 1 s */
    /* iat a little ahead of our clock is the issuer's clock; more is not. */
    snprintf(iat, sizeof iat, "%lld", NOW + VX_JWT_DEFAULT_LEEWAY_S);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW + 3600), VX_JWT_OK);
    snprintf(iat, sizeof iat, "%lld", NOW + VX_JWT_DEFAULT_LEEWAY_S + 1);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, iat, NOW + 3600), VX_JWT_NOT_YET_VALID);
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "1e300", NOW + 3600), VX_JWT_NOT_YET_VALID);
    /* Another maximum. */
    vx_jwt_policy hour = POLICY;
    hour.max_lifetime_s = 3600;
    char *t = sign(SECRET, USER, NULL, NOW - 10, NOW - 10 + 3600);
    assert_int_equal(verify_with(t, &hour, NULL), VX_JWT_OK);
    free(t);
    t = sign(SECRET, USER, NULL, NOW - 10, NOW - 10 + 3601);
    assert_int_equal(verify_with(t, &hour, NULL), VX_JWT_BAD_LIFETIME);
    assert_int_equal(verify(t, NULL), VX_JWT_OK);
    free(t);
    /* The checks run in order: an expired token is expired, however long it was. */
    assert_int_equal(verify_claims(&POLICY, aud, NULL, "1000", NOW - 1), VX_JWT_EXPIRED);
}

/* A Supabase access token as GoTrue issues it (the org added to app_metadata
 * by the project's hook) is accepted as it is, issuer configured or not. */
static void test_supabase_access_token(void **state)
{
    const char *payload = "{\"aud\":\"authenticated\",\"exp\":1722003590,\"iat\":1721999990,"
                          "\"iss\":\"https://abcd.supabase.co/auth/v1\",\"sub\":\"" USER "\","
                          "\"email\":\"owner@clinic.example\",\"phone\":\"\","
                          "\"app_metadata\":{\"provider\":\"email\",\"providers\":[\"email\"],\"org_id\":\"" ORG "\","
                          "\"role\":\"owner\"},\"user_metadata\":{\"name\":\"Owner\"},\"role\":\"authenticated\","
                          "\"aal\":\"aal1\",\"amr\":[{\"method\":\"password\",\"timestamp\":1721999990}],"
                          "\"session_id\":\"7c1d8f4e-2b3a-4c5d-9e6f-0a1b2c3d4e5f\",\"is_anonymous\":false}";
    char *t = make_token(hs256, payload, SECRET);
    vx_jwt_claims c;
    assert_int_equal(verify(t, &c), VX_JWT_OK);
    assert_string_equal(c.org_id, ORG);
    assert_string_equal(c.sub, USER);
    assert_string_equal(c.role, "owner");
    vx_jwt_policy p = POLICY;
    p.issuer = "https://abcd.supabase.co/auth/v1";
    p.max_lifetime_s = 3600; /* Supabase's default expiry */
    assert_int_equal(verify_with(t, &p, &c), VX_JWT_OK);
    free(t);
    /* Supabase's anon key: signed with the same secret, role "anon", no aud, ten years. */
    t = make_token(hs256,
                   "{\"iss\":\"supabase\",\"ref\":\"abcd\",\"role\":\"anon\",\"iat\":1721999990,\"exp\":2037575990,"
                   "\"app_metadata\":{\"org_id\":\"" ORG "\"}}",
                   SECRET);
    assert_int_not_equal(verify(t, NULL), VX_JWT_OK);
    free(t);
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
    assert_int_equal(vx_jwt_verify(NULL, 0, &POLICY, NOW, NULL), VX_JWT_MALFORMED);
    assert_int_equal(vx_jwt_verify("a.b.c", 5, NULL, NOW, NULL), VX_JWT_MALFORMED);
    vx_jwt_policy no_secret = POLICY;
    no_secret.secret = NULL;
    assert_int_equal(vx_jwt_verify("a.b.c", 5, &no_secret, NOW, NULL), VX_JWT_MALFORMED);
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
    /* Every status has its own reason (the statuses are negative: count down). */
    for (int s = VX_JWT_OK; s >= VX_JWT_BAD_LIFETIME; s--) {
        const char *str = vx_jwt_status_str((vx_jwt_status)s);
        assert_non_null(str);
        assert_true(strlen(str) > 0);
        assert_string_not_equal(str, "invalid token");
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
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_issuer),
        cmocka_unit_test(test_lifetime),
        cmocka_unit_test(test_supabase_access_token),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_secret_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
