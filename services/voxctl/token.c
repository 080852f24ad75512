/*
 * token: "voxctl token".
 *
 * The claims are what the gateway expects from the dashboard (aud, iss when
 * configured, sub, iat, exp, app_metadata.org_id, app_metadata.role), signed
 * with JWT_SECRET by vx_jwt so the token is accepted exactly as a real
 * login's would be — and no longer-lived than the gateway accepts: a --ttl
 * above JWT_MAX_LIFETIME_S is refused here rather than minted unusable. The
 * secret is used, never printed; the token itself is the command's only output.
 */
#include "token.h"

#include <string.h>

#include "vx_jwt.h"
#include "vx_validate.h"

/* True for the dashboard's roles (SPEC: owner, staff): dashboard-api refuses
 * any other with 403, so a token with one would only look like it works. */
static bool is_role(const char *s)
{
    return strcmp(s, "owner") == 0 || strcmp(s, "staff") == 0;
}

vxctl_status vxctl_token_make(const char *secret, const vxctl_token_spec *spec, int64_t now, char **out)
{
    const char *org_id = spec->org_id, *user_id = spec->user_id;
    if (!vx_is_uuid(org_id, strlen(org_id))) {
        vxctl_errorf("token: --org must be an organization id (a UUID)");
        return VXCTL_USAGE;
    }
    /* vx_jwt_claims keeps sub in 128 bytes: a longer one could not be verified. */
    long user_chars = user_id != NULL ? vxctl_text_chars(user_id) : 1;
    if (user_chars < 1 || (user_id != NULL && strlen(user_id) > 127)) {
        vxctl_errorf("token: --user must be 1 to 127 bytes of text");
        return VXCTL_USAGE;
    }
    if (!is_role(spec->role)) {
        vxctl_errorf("token: --role must be owner or staff (the dashboard's roles)");
        return VXCTL_USAGE;
    }
    if (spec->ttl_seconds < 1 || spec->ttl_seconds > spec->max_ttl_seconds) {
        vxctl_errorf("token: --ttl must be between 1 and %ld seconds (JWT_MAX_LIFETIME_S: the gateway refuses longer-lived tokens)",
                     spec->max_ttl_seconds);
        return VXCTL_USAGE;
    }
    vx_jwt_grant grant = {
        .org_id = org_id,
        .user_id = user_id,
        .role = spec->role,
        .audience = spec->audience,
        .issuer = spec->issuer,
        .iat = now,
        .exp = now + spec->ttl_seconds,
    };
    char *token = vx_jwt_sign(secret, &grant);
    if (token == NULL) {
        vxctl_errorf("token: signing failed");
        return VXCTL_FAILED;
    }
    *out = token;
    return VXCTL_OK;
}
