/*
 * auth: Vapi, dashboard and operator authentication, all secret comparisons
 * constant-time.
 */
#include "auth.h"

#include <stdint.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vx_crypto.h"

/* Returns the token after "Bearer " (case-insensitive scheme), or an empty slice. */
static auth_slice bearer_token(auth_slice authorization)
{
    static const char scheme[] = "Bearer ";
    auth_slice none = {NULL, 0};
    if (authorization.len <= sizeof(scheme) - 1 || strncasecmp(authorization.base, scheme, sizeof(scheme) - 1) != 0)
        return none;
    auth_slice t = {authorization.base + sizeof(scheme) - 1, authorization.len - (sizeof(scheme) - 1)};
    while (t.len > 0 && t.base[0] == ' ') {
        t.base++;
        t.len--;
    }
    return t;
}

static bool secret_matches(const char *secret, auth_slice given)
{
    return secret != NULL && secret[0] != '\0' && given.len > 0 && vx_ct_equal(secret, strlen(secret), given.base, given.len);
}

/* Parses x-timestamp as unix seconds; Vapi does not document the unit, so values
 * that can only be milliseconds (after the year 33658 in seconds) are scaled. */
static bool parse_timestamp(auth_slice ts, int64_t *out)
{
    if (ts.len == 0 || ts.len > 20)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < ts.len; i++) {
        if (ts.base[i] < '0' || ts.base[i] > '9')
            return false;
        int digit = ts.base[i] - '0';
        /* Refused before it overflows: the header is not yet authenticated. */
        if (v > (INT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *out = v > 999999999999LL ? v / 1000 : v;
    return true;
}

/* True when the signature is right and the timestamp fresh; *ts_out and mac
 * are then the timestamp (seconds) and the signature's bytes, as the replay
 * cache keeps them: the bytes, not the header, so that another spelling of
 * the same signature (case, "sha256=") is the same signature. */
static bool hmac_matches(const auth_config *cfg, const auth_vapi_headers *h, const char *body, size_t body_len, int64_t now,
                         int64_t *ts_out, uint8_t mac[VX_SHA256_LEN])
{
    int64_t ts;
    if (cfg->vapi_hmac_secret == NULL || cfg->vapi_hmac_secret[0] == '\0' || !parse_timestamp(h->timestamp, &ts))
        return false;
    if (ts < now - cfg->hmac_window_s || ts > now + cfg->hmac_window_s)
        return false;
    /* The signed payload is "{timestamp}.{raw body}": the header's own bytes, then the body as received. */
    size_t len = h->timestamp.len + 1 + body_len;
    char *payload = malloc(len > 0 ? len : 1);
    if (payload == NULL)
        abort();
    memcpy(payload, h->timestamp.base, h->timestamp.len);
    payload[h->timestamp.len] = '.';
    if (body_len > 0)
        memcpy(payload + h->timestamp.len + 1, body, body_len);
    vx_hmac_sha256(cfg->vapi_hmac_secret, strlen(cfg->vapi_hmac_secret), payload, len, mac);
    free(payload);
    char hex[2 * VX_SHA256_LEN + 1];
    vx_hex_encode(mac, VX_SHA256_LEN, hex);
    /* Accept an optional "sha256=" prefix, which some Vapi configurations add. */
    auth_slice sig = h->signature;
    if (sig.len > 7 && strncmp(sig.base, "sha256=", 7) == 0) {
        sig.base += 7;
        sig.len -= 7;
    }
    if (sig.len != 2 * VX_SHA256_LEN)
        return false;
    char lowered[2 * VX_SHA256_LEN];
    for (size_t i = 0; i < sig.len; i++)
        lowered[i] = (sig.base[i] >= 'A' && sig.base[i] <= 'F') ? (char)(sig.base[i] + 32) : sig.base[i];
    *ts_out = ts;
    return vx_ct_equal(hex, 2 * VX_SHA256_LEN, lowered, sig.len);
}

auth_status auth_vapi(const auth_config *cfg, const auth_vapi_headers *h, const char *body, size_t body_len, int64_t now)
{
    if (cfg->vapi_hmac_secret != NULL && cfg->vapi_hmac_secret[0] != '\0') {
        /* HMAC configured: the only method (see auth.h). */
        int64_t ts;
        uint8_t mac[VX_SHA256_LEN];
        if (!hmac_matches(cfg, h, body, body_len, now, &ts, mac))
            return AUTH_DENIED;
        if (cfg->replay != NULL && vx_replay_check(cfg->replay, mac, ts, now, cfg->hmac_window_s) != VX_REPLAY_FRESH)
            return AUTH_REPLAY;
        return AUTH_OK;
    }
    if (secret_matches(cfg->vapi_secret, h->secret) || secret_matches(cfg->vapi_secret, bearer_token(h->authorization)))
        return AUTH_OK;
    return AUTH_DENIED;
}

vx_jwt_status auth_dashboard(const auth_config *cfg, auth_slice authorization, int64_t now, vx_jwt_claims *claims)
{
    auth_slice token = bearer_token(authorization);
    if (token.len == 0)
        return VX_JWT_MALFORMED;
    return vx_jwt_verify(token.base, token.len, &cfg->jwt, now, claims);
}

auth_status auth_operator(const auth_config *cfg, auth_slice authorization)
{
    if (cfg->metrics_token == NULL || cfg->metrics_token[0] == '\0')
        return AUTH_DISABLED;
    auth_slice given = bearer_token(authorization);
    if (given.len == 0)
        return AUTH_DENIED;
    /* Digests of equal length: the time taken says nothing about the token, its length included. */
    uint8_t want[VX_SHA256_LEN], got[VX_SHA256_LEN];
    vx_sha256(cfg->metrics_token, strlen(cfg->metrics_token), want);
    vx_sha256(given.base, given.len, got);
    return vx_ct_equal(want, sizeof(want), got, sizeof(got)) ? AUTH_OK : AUTH_DENIED;
}
