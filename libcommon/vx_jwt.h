/*
 * vx_jwt: HS256 JSON Web Tokens with Supabase-compatible claims.
 *
 * Only HS256 is accepted: a token whose header names any other algorithm
 * ("none" included) is rejected before its signature is looked at. A token
 * that verifies must also be meant for us (aud, and iss when one is
 * configured) and short-lived (iat and exp, at most max_lifetime_s apart),
 * as Supabase's access tokens are: {"aud":"authenticated","role":
 * "authenticated","sub","iat","exp","iss","app_metadata":{…},…}.
 */
#ifndef VX_JWT_H
#define VX_JWT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    VX_JWT_OK = 0,
    VX_JWT_MALFORMED = -1,     /* not three base64url parts of JSON objects */
    VX_JWT_BAD_ALG = -2,       /* header alg is not HS256 (or typ is not JWT when present) */
    VX_JWT_BAD_SIGNATURE = -3, /* signature does not verify with the secret */
    VX_JWT_EXPIRED = -4,       /* exp missing, or exp <= now */
    VX_JWT_NOT_YET_VALID = -5, /* nbf > now, or iat > now + leeway */
    VX_JWT_NO_ORG = -6,        /* app_metadata.org_id missing or not a UUID */
    VX_JWT_BAD_AUDIENCE = -7,  /* aud missing, or neither the audience nor an array holding it */
    VX_JWT_BAD_ISSUER = -8,    /* an issuer is configured and iss is missing or another */
    VX_JWT_BAD_LIFETIME = -9,  /* iat missing, or exp - iat not in (0, max_lifetime_s] */
} vx_jwt_status;

typedef struct vx_jwt_claims {
    char sub[128];   /* user id; may be empty */
    char org_id[37]; /* app_metadata.org_id, a UUID, lower-cased */
    char role[64];   /* app_metadata.role, else role; may be empty */
    int64_t exp;
} vx_jwt_claims;

/* Supabase's audience for signed-in users; the default of JWT_AUDIENCE. */
#define VX_JWT_DEFAULT_AUDIENCE "authenticated"
/* The longest exp - iat accepted by default (JWT_MAX_LIFETIME_S), and the
 * range it may be configured in: Supabase issues one hour by default, one
 * week at most. */
#define VX_JWT_DEFAULT_MAX_LIFETIME_S (24L * 3600)
#define VX_JWT_MIN_MAX_LIFETIME_S     60L
#define VX_JWT_MAX_MAX_LIFETIME_S     (7L * 24 * 3600)
/* How far ahead of our clock a token's iat may be: the issuer's clock may run a little ahead. */
#define VX_JWT_DEFAULT_LEEWAY_S 60

/* What a token must satisfy besides its signature. */
typedef struct vx_jwt_policy {
    const char *secret;     /* the HS256 key */
    const char *audience;   /* aud must be this string, or an array holding it; NULL or "" accepts no token */
    const char *issuer;     /* NULL or "": iss is not looked at; else iss must be exactly this */
    int64_t max_lifetime_s; /* iat is required and exp - iat must be in (0, max_lifetime_s] */
    int64_t leeway_s;       /* iat may be up to this far after now (never exp, never nbf) */
} vx_jwt_policy;

/* Verifies token (len bytes, not necessarily NUL-terminated; more than 8 KiB is MALFORMED) at time now
 * (unix seconds) against policy. out may be NULL; on any status but VX_JWT_OK it is zeroed. */
vx_jwt_status vx_jwt_verify(const char *token, size_t len, const vx_jwt_policy *policy, int64_t now, vx_jwt_claims *out);
/* A short English reason for status, for the 401 body. */
const char *vx_jwt_status_str(vx_jwt_status status);
/* The shortest HS256 secret accepted: 256 bits, as RFC 7518 §3.2 asks. */
#define VX_JWT_SECRET_MIN_LEN 32
/* NULL when secret may sign and verify tokens; else why not (a short static
 * sentence): shorter than VX_JWT_SECRET_MIN_LEN bytes, or a placeholder left
 * from an example file ("change-me…"). Whoever holds a guessable secret can
 * mint a token for any org, so the gateway and voxctl refuse to start with one. */
const char *vx_jwt_secret_problem(const char *secret);

/* The claims of a token to sign. */
typedef struct vx_jwt_grant {
    const char *org_id;   /* app_metadata.org_id; required */
    const char *user_id;  /* sub; NULL: none */
    const char *role;     /* app_metadata.role; NULL: none (the top-level role is always "authenticated") */
    const char *audience; /* aud; NULL: VX_JWT_DEFAULT_AUDIENCE */
    const char *issuer;   /* iss; NULL or "": none */
    int64_t iat, exp;
} vx_jwt_grant;
/* Signs grant with secret. Returns a malloc'd string, or NULL (no secret or org). */
char *vx_jwt_sign(const char *secret, const vx_jwt_grant *grant);

#endif
