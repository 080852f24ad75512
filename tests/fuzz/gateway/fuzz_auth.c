/*
 * libFuzzer harness for the gateway's Vapi authentication (services/gateway/
 * auth.c): arbitrary x-vapi-secret, Authorization, x-signature and
 * x-timestamp values and body, each in its own exact-size heap block and not
 * NUL-terminated (as h2o hands them over), so a read past a value is an ASan
 * report. auth_vapi must answer what a reference written here from the
 * documented rules answers (the one method configured decides):
 *   - HMAC when a key is configured, and then nothing else: x-timestamp 1-20
 *     digits, read as milliseconds above 999999999999, within the window of
 *     now on both sides; x-signature the hex HMAC-SHA256 (OpenSSL's, here) of
 *     "{x-timestamp}.{body}", either case, optionally after "sha256=";
 *   - else x-vapi-secret equal to the secret, or "Bearer <secret>" (scheme in
 *     any case, spaces before the token skipped), when a secret is configured.
 * A mismatch aborts. An accepted signature is accepted once: the same
 * request again, against the replay cache, is AUTH_REPLAY. Random bytes almost never carry a valid signature, so
 * flags in the input let the harness sign them itself (then upper-case,
 * prefix or corrupt the signature) and put now near the timestamp.
 * auth_dashboard runs on the Authorization value too (no crash; a token it
 * accepts names a UUID org).
 *
 * Input: flags, flags2, offset, four lengths (secret, authorization,
 * signature, timestamp; each mod 96), the four values, then the body.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET   "fuzz-secret"
#define HMAC_KEY "fuzz-hmac-key"
#define NOW      1800000000LL

enum {
    F_SIGN = 0x01,      /* x-signature := the right signature of x-timestamp and body */
    F_UPPER = 0x02,     /* … in upper case */
    F_PREFIX = 0x04,    /* … after "sha256=" */
    F_CORRUPT = 0x08,   /* … with one hex digit changed */
    F_NEAR = 0x10,      /* now := the timestamp's second + 3 * (int8)offset */
    F_NO_HMAC = 0x20,   /* no HMAC key configured */
    F_NO_SECRET = 0x40, /* no shared secret configured */
    F_SECRET = 0x80,    /* x-vapi-secret := the secret */
};
enum {
    F2_BEARER = 0x01, /* Authorization := "Bearer " + the secret */
    F2_LOWER = 0x02,  /* … "bearer" */
    F2_SPACES = 0x04, /* … with more spaces before the token */
    /* bits 3-7: the window, 1 + 25 * (flags2 >> 3) seconds */
};

/* An exact-size heap copy (NULL for an empty value). */
static char *dup_bytes(const void *p, size_t n)
{
    if (n == 0)
        return NULL;
    char *c = malloc(n);
    if (c == NULL)
        abort();
    memcpy(c, p, n);
    return c;
}

static bool equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* x-timestamp as the contract reads it; *overflow when it is all digits but above INT64_MAX. */
static bool ref_timestamp(const char *s, size_t n, int64_t *out, bool *overflow)
{
    *overflow = false;
    if (n == 0 || n > 20)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            *overflow = true;
        else
            v = v * 10 + d;
    }
    if (*overflow)
        return false;
    *out = v > 999999999999LL ? v / 1000 : v;
    return true;
}

static void hmac_hex(const char *ts, size_t ts_len, const char *body, size_t body_len, char hex[65])
{
    size_t len = ts_len + 1 + body_len;
    unsigned char *payload = malloc(len);
    if (payload == NULL)
        abort();
    if (ts_len > 0)
        memcpy(payload, ts, ts_len);
    payload[ts_len] = '.';
    if (body_len > 0)
        memcpy(payload + ts_len + 1, body, body_len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), HMAC_KEY, (int)strlen(HMAC_KEY), payload, len, mac, &mac_len) == NULL || mac_len != 32)
        abort();
    free(payload);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    hex[64] = '\0';
}

static bool ref_secret(const auth_config *cfg, const char *s, size_t n)
{
    return cfg->vapi_secret != NULL && cfg->vapi_secret[0] != '\0' && n > 0 &&
           equal(cfg->vapi_secret, strlen(cfg->vapi_secret), s, n);
}

static bool ref_bearer(const auth_config *cfg, const char *a, size_t n)
{
    if (n <= 7 || strncasecmp(a, "Bearer ", 7) != 0)
        return false;
    size_t i = 7;
    while (i < n && a[i] == ' ')
        i++;
    return ref_secret(cfg, a + i, n - i);
}

static bool ref_hmac(const auth_config *cfg, const auth_vapi_headers *h, const char *body, size_t body_len, int64_t now)
{
    int64_t ts;
    bool overflow;
    if (cfg->vapi_hmac_secret == NULL || !ref_timestamp(h->timestamp.base, h->timestamp.len, &ts, &overflow))
        return false;
    if (ts < now - cfg->hmac_window_s || ts > now + cfg->hmac_window_s)
        return false;
    const char *sig = h->signature.base;
    size_t n = h->signature.len;
    if (n > 7 && memcmp(sig, "sha256=", 7) == 0) {
        sig += 7;
        n -= 7;
    }
    if (n != 64)
        return false;
    char hex[65];
    hmac_hex(h->timestamp.base, h->timestamp.len, body, body_len, hex);
    for (size_t i = 0; i < 64; i++) {
        bool same = sig[i] == hex[i] || (hex[i] >= 'a' && hex[i] <= 'f' && sig[i] == hex[i] - 32);
        if (!same)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7)
        return 0;
    uint8_t flags = data[0], flags2 = data[1];
    int8_t offset = (int8_t)data[2];
    size_t len[4], at = 7;
    for (int i = 0; i < 4; i++) {
        len[i] = data[3 + i] % 96;
        if (len[i] > size - at)
            len[i] = size - at;
        at += len[i];
    }
    const uint8_t *p = data + 7;
    char *secret = dup_bytes(p, len[0]);
    p += len[0];
    char *authz = dup_bytes(p, len[1]);
    p += len[1];
    char *sig = dup_bytes(p, len[2]);
    p += len[2];
    char *ts = dup_bytes(p, len[3]);
    p += len[3];
    size_t body_len = size - at;
    char *body = dup_bytes(p, body_len);

    auth_config cfg = {
        .vapi_secret = (flags & F_NO_SECRET) ? NULL : SECRET,
        .vapi_hmac_secret = (flags & F_NO_HMAC) ? NULL : HMAC_KEY,
        .hmac_window_s = 1 + 25 * (flags2 >> 3),
        .replay = vx_replay_create(4, "test signatures"),
        .jwt = {"fuzz-jwt-secret", VX_JWT_DEFAULT_AUDIENCE, NULL, VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_DEFAULT_LEEWAY_S},
    };
    if (cfg.replay == NULL)
        abort();

    int64_t ref_ts;
    bool overflow;
    bool ts_ok = ref_timestamp(ts, len[3], &ref_ts, &overflow);
    /* An all-digit value above INT64_MAX is refused (ts_ok false): it once
     * overflowed parse_timestamp (see test_hmac_timestamp_overflow). */
    (void)overflow;
    int64_t now = (flags & F_NEAR) && ts_ok ? ref_ts + 3 * (int64_t)offset : NOW;

    if (flags & F_SECRET) {
        free(secret);
        len[0] = strlen(SECRET);
        secret = dup_bytes(SECRET, len[0]);
    }
    if (flags2 & F2_BEARER) {
        char a[64];
        size_t n = 0;
        memcpy(a, (flags2 & F2_LOWER) ? "bearer " : "Bearer ", 7);
        n = 7;
        if (flags2 & F2_SPACES)
            for (int i = 0; i < 1 + (offset & 3); i++)
                a[n++] = ' ';
        memcpy(a + n, SECRET, strlen(SECRET));
        n += strlen(SECRET);
        free(authz);
        len[1] = n;
        authz = dup_bytes(a, n);
    }
    if (flags & F_SIGN) {
        char s[80], hex[65];
        size_t n = 0;
        hmac_hex(ts, len[3], body, body_len, hex);
        if (flags & F_PREFIX) {
            memcpy(s, "sha256=", 7);
            n = 7;
        }
        for (size_t i = 0; i < 64; i++)
            s[n + i] = (flags & F_UPPER) && hex[i] >= 'a' ? (char)(hex[i] - 32) : hex[i];
        if (flags & F_CORRUPT) {
            char *c = &s[n + ((uint8_t)offset & 63)];
            *c = *c == '0' ? '1' : '0';
        }
        n += 64;
        free(sig);
        len[2] = n;
        sig = dup_bytes(s, n);
    }

    auth_vapi_headers h = {{secret, len[0]}, {authz, len[1]}, {sig, len[2]}, {ts, len[3]}};
    bool want = cfg.vapi_hmac_secret != NULL ? ref_hmac(&cfg, &h, body, body_len, now)
                                             : ref_secret(&cfg, secret, len[0]) || ref_bearer(&cfg, authz, len[1]);
    if ((auth_vapi(&cfg, &h, body, body_len, now) == AUTH_OK) != want)
        abort();
    /* Sent again: a signature is good once; the shared secret every time; a refusal stays one. */
    auth_status again = auth_vapi(&cfg, &h, body, body_len, now);
    if (again != (!want ? AUTH_DENIED : cfg.vapi_hmac_secret != NULL ? AUTH_REPLAY : AUTH_OK))
        abort();
    /* What the flags built must be judged as built. */
    if ((flags & F_SECRET) && !(flags & F_NO_SECRET) && (flags & F_NO_HMAC) && !want)
        abort();
    if ((flags & F_SIGN) && !(flags & (F_CORRUPT | F_NO_HMAC)) && ts_ok && (flags & F_NEAR) &&
        3 * (offset < 0 ? -(int64_t)offset : offset) <= cfg.hmac_window_s && !want)
        abort();

    vx_jwt_claims claims;
    if (auth_dashboard(&cfg, h.authorization, now, &claims) == VX_JWT_OK && !vx_is_uuid(claims.org_id, strlen(claims.org_id)))
        abort();

    vx_replay_destroy(cfg.replay);
    free(body);
    free(ts);
    free(sig);
    free(authz);
    free(secret);
    return 0;
}
