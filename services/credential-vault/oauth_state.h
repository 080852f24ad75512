/*
 * oauth_state: the `state` of Google's consent round trip, which is the only
 * thing that authenticates the callback (the browser arrives from Google
 * without the dashboard's token).
 *
 *   v1.<org id>.<expiry, unix s>.<nonce, base64url>.<HMAC-SHA256, base64url>
 *
 * The MAC (keyring_state_key) covers the version, org, expiry and nonce, so a
 * state names one organization, cannot be altered to name another, and
 * expires 10 minutes after it was made. A state made under the previous key
 * is still accepted during a rotation. Each state is accepted once per vault
 * process (the caller remembers the MAC in a vx_replay); Google's code is
 * single-use anyway, so a second replica seeing it again gains nothing.
 */
#ifndef VAULT_OAUTH_STATE_H
#define VAULT_OAUTH_STATE_H

#include <stdint.h>

#include "keyring.h"
#include "vx_crypto.h"
#include "vx_validate.h"

#define OAUTH_STATE_TTL_S 600

typedef enum {
    OAUTH_STATE_OK = 0,
    OAUTH_STATE_EXPIRED = 1,
    OAUTH_STATE_INVALID = -1, /* malformed, or a MAC that no key of the vault made */
} oauth_state_status;

/* A new state for org_id made at unix second now (malloc'd). */
char *oauth_state_make(const keyring *k, const char *org_id, int64_t now);
/* Checks state at unix second now. OAUTH_STATE_OK fills org_id, *expires_at
 * and mac (for the replay cache); the other outcomes fill nothing. */
oauth_state_status oauth_state_check(const keyring *k, const char *state, int64_t now, char org_id[VX_UUID_STR_LEN + 1],
                                     int64_t *expires_at, uint8_t mac[VX_SHA256_LEN]);

#endif
