/*
 * token: mint a dashboard JWT for an org, for operators and scripts.
 */
#ifndef VXCTL_TOKEN_H
#define VXCTL_TOKEN_H

#include <stdint.h>

#include "cli.h"

/* What to sign: the claims, and the gateway's policy they must satisfy. */
typedef struct vxctl_token_spec {
    const char *org_id;   /* a UUID */
    const char *user_id;  /* the sub claim; NULL for none */
    const char *role;     /* app_metadata.role */
    long ttl_seconds;     /* exp - iat */
    const char *audience; /* aud: JWT_AUDIENCE as the gateway reads it */
    const char *issuer;   /* iss: JWT_ISSUER, NULL for none */
    long max_ttl_seconds; /* JWT_MAX_LIFETIME_S: a longer ttl would be refused by the gateway */
} vxctl_token_spec;

/* Signs an HS256 token with secret for spec, issued at now. On VXCTL_OK *out
 * is a malloc'd token the caller frees; VXCTL_USAGE after printing which value
 * is invalid; VXCTL_FAILED when signing failed. */
vxctl_status vxctl_token_make(const char *secret, const vxctl_token_spec *spec, int64_t now, char **out);

#endif
