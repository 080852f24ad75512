/*
 * cache: decrypted credentials and Google access tokens, held briefly so a
 * busy org's calls do not decrypt (and read the database) on every request.
 *
 * A credential stays at most ttl_ms (VAULT_CACHE_TTL_MS, 30 s; 0 turns the
 * cache off); a Google access token until a minute before Google said it
 * expires. Both are dropped at once when the credential changes
 * (cache_evict): on store, delete, or a failure mark, by this replica and —
 * through vault.evict on NATS — by every other one.
 *
 * Secrets are wiped when they leave the cache. Thread-safe: one lock over
 * a small hash table; entries are copied in and out, never shared.
 */
#ifndef VAULT_CACHE_H
#define VAULT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef struct cache cache;

/* ttl_ms 0: nothing is cached (every get reads the database). */
cache *cache_create(long ttl_ms);
void cache_destroy(cache *c);

/* A fresh copy of the cached credential into out (credential_clear it), or false. */
bool cache_get(cache *c, const char *org_id, const char *provider, int64_t now_ms, credential *out);
/* Caches a copy of cred (with its secret) for org_id. */
void cache_put(cache *c, const char *org_id, const credential *cred, int64_t now_ms);

/* The org's cached Google access token (malloc'd; the caller wipes and frees it), or NULL. */
char *cache_token_get(cache *c, const char *org_id, int64_t now_ms);
/* Caches token until expires_at_ms minus a minute (nothing when that is past). */
void cache_token_put(cache *c, const char *org_id, const char *token, int64_t expires_at_ms, int64_t now_ms);

/* Drops org_id's credential for provider, and its Google token when provider is google_calendar. */
void cache_evict(cache *c, const char *org_id, const char *provider);

#endif
