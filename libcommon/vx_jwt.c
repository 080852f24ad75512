/*
 * vx_jwt: HS256 JSON Web Tokens (RFC 7519) with Supabase-compatible claims.
 *
 * Design: verification is a fixed pipeline where each step only runs when
 * the previous one passed, and the first failure decides the status:
 *   1. shape: at most VX_JWT_MAX_LEN bytes, exactly three '.'-separated
 *      parts, each strict unpadded base64url (else MALFORMED);
 *   2. header: a JSON object whose alg is exactly "HS256" and whose typ, when
 *      present, is exactly "JWT"; no "crit" (we implement no extension).
 *      Anything else is BAD_ALG — before the signature is looked at, so
 *      "none", "HS512" or an RSA public key used as an HMAC secret never
 *      reach the comparison;
 *   3. signature: HMAC-SHA256 over "header.payload" exactly as received,
 *      compared with vx_ct_equal (else BAD_SIGNATURE);
 *   4. claims, parsed only once the token is known to be ours: sub/role must
 *      be strings that fit the claims struct (else MALFORMED), exp must be a
 *      number > now (else EXPIRED), nbf when present must be <= now (else
 *      NOT_YET_VALID), iat must be a number at most policy->leeway_s after
 *      now (else BAD_LIFETIME when missing, NOT_YET_VALID when ahead) and
 *      exp - iat in (0, policy->max_lifetime_s] (else BAD_LIFETIME), aud the
 *      policy's audience or an array holding it (else BAD_AUDIENCE), iss the
 *      policy's issuer when it has one (else BAD_ISSUER),
 *      app_metadata.org_id a UUID (else NO_ORG).
 * Why a lifetime bound: a leaked token is only as dangerous as it is long
 * lived, and exp alone lets whoever holds the secret (or a misconfigured
 * issuer) mint tokens that never expire in practice. Why aud/iss: the same
 * Supabase secret signs tokens for other audiences (anon, service_role keys
 * carry role claims but no "authenticated" aud) that must not open the
 * dashboard API.
 * Leeway applies only to iat (an issuer's clock a little ahead of ours);
 * exp and nbf are compared with now as given.
 * Nothing here logs: callers log the status, never the token.
 */
#include "vx_jwt.h"

#include "vx_crypto.h"
#include "vx_validate.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Real tokens are well under 2 KiB; anything much larger is an attack. */
#define VX_JWT_MAX_LEN 8192

static const char jwt_header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Parses raw (raw_len bytes, NUL-terminated as vx_base64url_decode leaves
 * it) as exactly one JSON object. Returns NULL when raw holds a NUL byte, is
 * not a single JSON value, or that value is not an object. */
static cJSON *jwt_parse_object(const uint8_t *raw, size_t raw_len)
{
    if (memchr(raw, '\0', raw_len))
        return NULL;
    cJSON *obj = cJSON_ParseWithOpts((const char *)raw, NULL, 1);
    if (obj && !cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        obj = NULL;
    }
    return obj;
}

/* Header rules from step 2 above. */
static bool jwt_header_ok(const cJSON *header)
{
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
    if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
        return false;
    const cJSON *typ = cJSON_GetObjectItemCaseSensitive(header, "typ");
    if (typ && (!cJSON_IsString(typ) || strcmp(typ->valuestring, "JWT") != 0))
        return false;
    return cJSON_GetObjectItemCaseSensitive(header, "crit") == NULL;
}

/* A NumericDate as int64 seconds (fraction dropped, clamped to the int64
 * range so the conversion is always defined). False when not a number. */
static bool jwt_numeric_date(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return false;
    double d = floor(item->valuedouble);
    if (d >= 9.2e18)
        *out = INT64_MAX;
    else if (d <= -9.2e18)
        *out = INT64_MIN;
    else
        *out = (int64_t)d;
    return true;
}

/* Copies an optional string claim into dst[cap]. Absent or null leaves dst
 * empty and succeeds; a non-string or a string that does not fit fails. */
static bool jwt_copy_str(const cJSON *item, char *dst, size_t cap)
{
    dst[0] = '\0';
    if (!item || cJSON_IsNull(item))
        return true;
    if (!cJSON_IsString(item))
        return false;
    size_t n = strlen(item->valuestring);
    if (n >= cap)
        return false;
    memcpy(dst, item->valuestring, n + 1);
    return true;
}

/* True when aud (a string, or an array of strings) names audience. */
static bool jwt_audience_ok(const cJSON *aud, const char *audience)
{
    if (audience == NULL || audience[0] == '\0')
        return false;
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, audience) == 0;
    if (!cJSON_IsArray(aud))
        return false;
    const cJSON *item;
    cJSON_ArrayForEach(item, aud)
    {
        if (cJSON_IsString(item) && strcmp(item->valuestring, audience) == 0)
            return true;
    }
    return false;
}

/* Step 4: reads the claims of a payload whose signature verified. */
static vx_jwt_status jwt_claims(const cJSON *payload, const vx_jwt_policy *policy, int64_t now, vx_jwt_claims *c)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(payload, "app_metadata");
    if (meta && !cJSON_IsObject(meta))
        meta = NULL;
    const cJSON *role = meta ? cJSON_GetObjectItemCaseSensitive(meta, "role") : NULL;
    if (!cJSON_IsString(role))
        role = cJSON_GetObjectItemCaseSensitive(payload, "role");
    if (!jwt_copy_str(cJSON_GetObjectItemCaseSensitive(payload, "sub"), c->sub, sizeof c->sub) ||
        !jwt_copy_str(role, c->role, sizeof c->role))
        return VX_JWT_MALFORMED;

    if (!jwt_numeric_date(cJSON_GetObjectItemCaseSensitive(payload, "exp"), &c->exp) || c->exp <= now)
        return VX_JWT_EXPIRED;
    const cJSON *nbf_item = cJSON_GetObjectItemCaseSensitive(payload, "nbf");
    if (nbf_item && !cJSON_IsNull(nbf_item)) {
        int64_t nbf;
        if (!jwt_numeric_date(nbf_item, &nbf))
            return VX_JWT_MALFORMED;
        if (nbf > now)
            return VX_JWT_NOT_YET_VALID;
    }
    /* iat >= 0 keeps exp - iat from overflowing (exp may be clamped to INT64_MAX). */
    int64_t iat;
    if (!jwt_numeric_date(cJSON_GetObjectItemCaseSensitive(payload, "iat"), &iat) || iat < 0)
        return VX_JWT_BAD_LIFETIME;
    if (iat > now && iat - now > policy->leeway_s)
        return VX_JWT_NOT_YET_VALID;
    if (c->exp <= iat || c->exp - iat > policy->max_lifetime_s)
        return VX_JWT_BAD_LIFETIME;

    if (!jwt_audience_ok(cJSON_GetObjectItemCaseSensitive(payload, "aud"), policy->audience))
        return VX_JWT_BAD_AUDIENCE;
    if (policy->issuer != NULL && policy->issuer[0] != '\0') {
        const cJSON *iss = cJSON_GetObjectItemCaseSensitive(payload, "iss");
        if (!cJSON_IsString(iss) || strcmp(iss->valuestring, policy->issuer) != 0)
            return VX_JWT_BAD_ISSUER;
    }

    const cJSON *org = meta ? cJSON_GetObjectItemCaseSensitive(meta, "org_id") : NULL;
    if (!cJSON_IsString(org) || !vx_is_uuid(org->valuestring, strlen(org->valuestring)))
        return VX_JWT_NO_ORG;
    for (size_t i = 0; i <= VX_UUID_STR_LEN; i++) /* canonical lower case, NUL included */
        c->org_id[i] = (char)tolower((unsigned char)org->valuestring[i]);
    return VX_JWT_OK;
}

/*
 * Runs the pipeline described at the top of the file. out, when not NULL,
 * is zeroed first and fully meaningful only when VX_JWT_OK is returned.
 */
vx_jwt_status vx_jwt_verify(const char *token, size_t len, const vx_jwt_policy *policy, int64_t now, vx_jwt_claims *out)
{
    vx_jwt_claims scratch;
    vx_jwt_claims *c = out ? out : &scratch;
    memset(c, 0, sizeof *c);
    if (!token || !policy || !policy->secret || len == 0 || len > VX_JWT_MAX_LEN)
        return VX_JWT_MALFORMED;
    const char *secret = policy->secret;

    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return VX_JWT_MALFORMED;
    size_t h_len = (size_t)(dot1 - token), p_len = (size_t)(dot2 - dot1 - 1);
    size_t signed_len = (size_t)(dot2 - token), s_len = len - signed_len - 1;

    vx_jwt_status st = VX_JWT_MALFORMED;
    cJSON *header = NULL, *payload = NULL;
    uint8_t *raw_header = NULL, *raw_payload = NULL, *sig = NULL;
    size_t raw_header_len = 0, raw_payload_len = 0, sig_len = 0;
    uint8_t mac[VX_SHA256_LEN];
    /* Every part must be valid base64url before anything else is judged. */
    if (vx_base64url_decode(token, h_len, &raw_header, &raw_header_len) != 0 ||
        vx_base64url_decode(dot1 + 1, p_len, &raw_payload, &raw_payload_len) != 0 ||
        vx_base64url_decode(dot2 + 1, s_len, &sig, &sig_len) != 0 || !(header = jwt_parse_object(raw_header, raw_header_len)))
        goto out;
    if (!jwt_header_ok(header)) {
        st = VX_JWT_BAD_ALG;
        goto out;
    }
    vx_hmac_sha256(secret, strlen(secret), token, signed_len, mac);
    if (!vx_ct_equal(sig, sig_len, mac, sizeof mac)) {
        st = VX_JWT_BAD_SIGNATURE;
        goto out;
    }
    if (!(payload = jwt_parse_object(raw_payload, raw_payload_len)))
        goto out;
    st = jwt_claims(payload, policy, now, c);
out:
    if (st != VX_JWT_OK)
        memset(c, 0, sizeof *c);
    cJSON_Delete(header);
    cJSON_Delete(payload);
    free(raw_header);
    free(raw_payload);
    free(sig);
    return st;
}

const char *vx_jwt_status_str(vx_jwt_status status)
{
    switch (status) {
    case VX_JWT_OK:
        return "ok";
    case VX_JWT_MALFORMED:
        return "malformed token";
    case VX_JWT_BAD_ALG:
        return "unsupported token algorithm";
    case VX_JWT_BAD_SIGNATURE:
        return "invalid token signature";
    case VX_JWT_EXPIRED:
        return "token expired";
    case VX_JWT_NOT_YET_VALID:
        return "token not yet valid";
    case VX_JWT_NO_ORG:
        return "token has no organization";
    case VX_JWT_BAD_AUDIENCE:
        return "token is not meant for this service";
    case VX_JWT_BAD_ISSUER:
        return "token has another issuer";
    case VX_JWT_BAD_LIFETIME:
        return "token lifetime is missing or too long";
    }
    return "invalid token";
}

/* Appends '.' and the base64url of data to *acc (a malloc'd string), or
 * replaces a NULL *acc by the encoding alone. Returns 0 or -1. */
static int jwt_append_part(char **acc, const void *data, size_t len)
{
    char *enc = vx_base64url_encode(data, len);
    if (!enc)
        return -1;
    if (!*acc) {
        *acc = enc;
        return 0;
    }
    size_t a = strlen(*acc), e = strlen(enc);
    char *joined = realloc(*acc, a + 1 + e + 1);
    if (!joined) {
        free(enc);
        return -1;
    }
    joined[a] = '.';
    memcpy(joined + a + 1, enc, e + 1);
    free(enc);
    *acc = joined;
    return 0;
}

/*
 * Builds {"alg":"HS256","typ":"JWT"} . {"aud","iss"?,"sub"?,"role":"authenticated",
 * "iat","exp","app_metadata":{"org_id","role"?}} and signs it.
 */
char *vx_jwt_sign(const char *secret, const vx_jwt_grant *g)
{
    if (!secret || !g || !g->org_id)
        return NULL;
    cJSON *payload = cJSON_CreateObject();
    cJSON *meta = cJSON_CreateObject();
    char *json = NULL, *token = NULL;
    uint8_t mac[VX_SHA256_LEN];
    const char *aud = g->audience ? g->audience : VX_JWT_DEFAULT_AUDIENCE;
    bool has_iss = g->issuer && g->issuer[0] != '\0';
    if (!payload || !meta || !cJSON_AddStringToObject(payload, "aud", aud) ||
        (has_iss && !cJSON_AddStringToObject(payload, "iss", g->issuer)) ||
        (g->user_id && !cJSON_AddStringToObject(payload, "sub", g->user_id)) ||
        !cJSON_AddStringToObject(payload, "role", "authenticated") || !cJSON_AddNumberToObject(payload, "iat", (double)g->iat) ||
        !cJSON_AddNumberToObject(payload, "exp", (double)g->exp) || !cJSON_AddStringToObject(meta, "org_id", g->org_id) ||
        (g->role && !cJSON_AddStringToObject(meta, "role", g->role)) || !cJSON_AddItemToObject(payload, "app_metadata", meta)) {
        cJSON_Delete(meta);
        goto out;
    }
    /* meta is owned by payload from here on. */
    if (!(json = cJSON_PrintUnformatted(payload)) || jwt_append_part(&token, jwt_header_json, strlen(jwt_header_json)) != 0 ||
        jwt_append_part(&token, json, strlen(json)) != 0)
        goto fail;
    vx_hmac_sha256(secret, strlen(secret), token, strlen(token), mac);
    if (jwt_append_part(&token, mac, sizeof mac) != 0)
        goto fail;
    goto out;
fail:
    free(token);
    token = NULL;
out:
    cJSON_free(json);
    cJSON_Delete(payload);
    return token;
}

const char *vx_jwt_secret_problem(const char *secret)
{
    if (secret == NULL || strlen(secret) < VX_JWT_SECRET_MIN_LEN)
        return "it is shorter than 32 bytes; use e.g. `openssl rand -hex 32`";
    if (strcasestr(secret, "change-me") != NULL || strcasestr(secret, "changeme") != NULL ||
        strcasestr(secret, "placeholder") != NULL)
        return "it is the placeholder of an example file; use e.g. `openssl rand -hex 32`";
    return NULL;
}
