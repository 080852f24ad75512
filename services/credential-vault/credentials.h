/*
 * credentials: what the vault does with a credential, whoever asked — a
 * service over NATS (api.c) or the owner through the dashboard's routes
 * (integrations/). Here the cache, the access log, decryption and the
 * "this changed" broadcast come together, so no path can skip one.
 *
 * vault_ctx is the vault's shared state, read-only after start-up apart
 * from the cache and the replay memory (both thread-safe). Each function
 * takes the calling worker's own vx_pg.
 */
#ifndef VAULT_CREDENTIALS_H
#define VAULT_CREDENTIALS_H

#include <nats/nats.h>

#include "cache.h"
#include "keyring.h"
#include "settings.h"
#include "store.h"
#include "vx_replay.h"

#define PROVIDER_TWILIO "twilio"
#define PROVIDER_GOOGLE "google_calendar"
/* vault.evict: every replica drops a changed credential from its cache. */
#define VAULT_EVICT_SUBJECT "vault.evict"
/* The caller the vault names itself in the access log for its own reads. */
#define VAULT_SELF "credential-vault"

typedef struct vault_ctx {
    const vault_settings *settings;
    const keyring *keys;
    cache *cache;
    vx_replay *oauth_states; /* states already used (oauth_state.h) */
    natsConnection *nc;      /* publishes vault.evict */
} vault_ctx;

/* org_id's credential for provider, decrypted, from the cache or the
 * database; every read (cached or not) leaves an access-log row first. */
store_status credentials_get(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                             const char *caller, credential *out);
/* Stores (replacing) and tells every replica. */
store_status credentials_store(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                               const uint8_t *secret, size_t len, const char *label, const char *sync_state);
store_status credentials_delete(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider);
/* verified: the credential worked; else status ("failed", "reconnect_needed") with a generic sentence. */
store_status credentials_mark(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id, const char *provider,
                              bool verified, const char *status, const char *error);
/* Drops the credential from this replica's cache and asks the others to. */
void credentials_changed(const vault_ctx *v, const char *org_id, const char *provider);

/* The org's Google access token, refreshed when needed (cached until a
 * minute before it expires). */
typedef enum {
    GOOGLE_TOKEN_OK = 0,
    GOOGLE_TOKEN_NOT_CONNECTED = 1,
    GOOGLE_TOKEN_RECONNECT = 2, /* Google refused the refresh token: marked reconnect_needed */
    GOOGLE_TOKEN_UNREADABLE = 3,
    GOOGLE_TOKEN_ERROR = -1, /* database or Google unreachable: try again */
} google_token_status;
google_token_status credentials_google_token(const vault_ctx *v, vx_pg *pg, const char *request_id, const char *org_id,
                                             const char *caller, char **access_token);

/* The sentence shown when Google must be connected again. */
#define GOOGLE_RECONNECT_SENTENCE "Google Calendar access was revoked or has expired. Reconnect Google Calendar in Settings."

#endif
