/*
 * token: mint a dashboard JWT for an org, for operators and scripts.
 */
#ifndef VXCTL_TOKEN_H
#define VXCTL_TOKEN_H

#include <stdint.h>

#include "cli.h"

#define VXCTL_TOKEN_TTL_MAX (30L * 24 * 3600)

/* Signs an HS256 token with secret for org_id (a UUID), user_id (the sub
 * claim; NULL for none) and role, issued at now and valid ttl_seconds.
 * On VXCTL_OK *out is a malloc'd token the caller frees; VXCTL_USAGE after
 * printing which value is invalid; VXCTL_FAILED when signing failed. */
vxctl_status vxctl_token_make(const char *secret, const char *org_id, const char *user_id, const char *role, long ttl_seconds,
                              int64_t now, char **out);

#endif
