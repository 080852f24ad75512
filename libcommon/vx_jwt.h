/*
 * vx_jwt: HS256 JSON Web Tokens with Supabase-compatible claims.
 *
 * Only HS256 is accepted: a token whose header names any other algorithm
 * ("none" included) is rejected before its signature is looked at.
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
    VX_JWT_NOT_YET_VALID = -5, /* nbf > now */
    VX_JWT_NO_ORG = -6,        /* app_metadata.org_id missing or not a UUID */
} vx_jwt_status;

typedef struct vx_jwt_claims {
    char sub[128];   /* user id; may be empty */
    char org_id[37]; /* app_metadata.org_id, a UUID, lower-cased */
    char role[64];   /* app_metadata.role, else role; may be empty */
    int64_t exp;
} vx_jwt_claims;

/* Verifies token (len bytes, not necessarily NUL-terminated; more than 8 KiB is MALFORMED) at time now
 * (unix seconds). out may be NULL; on any status but VX_JWT_OK it is zeroed. */
vx_jwt_status vx_jwt_verify(const char *token, size_t len, const char *secret, int64_t now, vx_jwt_claims *out);
/* A short English reason for status, for the 401 body. */
const char *vx_jwt_status_str(vx_jwt_status status);
/* The shortest HS256 secret accepted: 256 bits, as RFC 7518 §3.2 asks. */
#define VX_JWT_SECRET_MIN_LEN 32
/* NULL when secret may sign and verify tokens; else why not (a short static
 * sentence): shorter than VX_JWT_SECRET_MIN_LEN bytes, or a placeholder left
 * from an example file ("change-me…"). Whoever holds a guessable secret can
 * mint a token for any org, so the gateway and voxctl refuse to start with one. */
const char *vx_jwt_secret_problem(const char *secret);
/* Signs a token for org_id/user_id/role valid until exp. Returns a malloc'd string, or NULL. */
char *vx_jwt_sign(const char *secret, const char *org_id, const char *user_id, const char *role, int64_t iat, int64_t exp);

#endif
