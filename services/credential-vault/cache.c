/*
 * cache: a chained hash table under one mutex (see cache.h).
 *
 * Keys are "<org>/<provider>" for credentials and "<org>/#token" for Google
 * access tokens. Expired entries are dropped when met; a full table (more
 * than CACHE_MAX entries) drops the whole bucket it inserts into, which is
 * crude but bounded, and a vault serving that many orgs at once misses the
 * cache only a little more often.
 */
#include "cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"
#include "vx_secret.h"
#include "vx_validate.h"

#define CACHE_BUCKETS   1024
#define CACHE_MAX       20000
#define TOKEN_MARGIN_MS 60000
#define TOKEN_PROVIDER  "#token"
#define GOOGLE_PROVIDER "google_calendar"
#define CACHE_KEY_MAX   (VX_UUID_STR_LEN + 1 + STORE_PROVIDER_MAX + 1)

typedef struct entry {
    struct entry *next;
    char key[CACHE_KEY_MAX + 1];
    int64_t expires_ms;
    credential cred; /* for credentials */
    char *token;     /* for Google tokens */
} entry;

struct cache {
    pthread_mutex_t lock;
    long ttl_ms;
    size_t count;
    entry *buckets[CACHE_BUCKETS];
};

static void entry_free(entry *e)
{
    credential_clear(&e->cred);
    vx_secret_free(e->token);
    free(e);
}

cache *cache_create(long ttl_ms)
{
    cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        abort();
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ms = ttl_ms;
    return c;
}

void cache_destroy(cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        for (entry *e = c->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            entry_free(e);
        }
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void make_key(const char *org_id, const char *provider, char out[CACHE_KEY_MAX + 1])
{
    snprintf(out, CACHE_KEY_MAX + 1, "%s/%s", org_id, provider);
}

static size_t bucket_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % CACHE_BUCKETS);
}

/* Unlinks and frees the entry for key (and every expired one met on the way). Lock held. */
static void remove_key(cache *c, const char *key, int64_t now_ms)
{
    entry **link = &c->buckets[bucket_of(key)];
    while (*link != NULL) {
        entry *e = *link;
        if (strcmp(e->key, key) == 0 || e->expires_ms <= now_ms) {
            *link = e->next;
            entry_free(e);
            c->count--;
        } else {
            link = &e->next;
        }
    }
}

/* The live entry for key, or NULL. Lock held. */
static entry *find(cache *c, const char *key, int64_t now_ms)
{
    for (entry *e = c->buckets[bucket_of(key)]; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->expires_ms > now_ms ? e : NULL;
    return NULL;
}

/* Links a new entry for key (replacing the old one). Lock held. */
static entry *insert(cache *c, const char *key, int64_t expires_ms, int64_t now_ms)
{
    remove_key(c, key, now_ms);
    size_t b = bucket_of(key);
    if (c->count >= CACHE_MAX) {
        for (entry *e = c->buckets[b], *next; e != NULL; e = next) {
            next = e->next;
            entry_free(e);
            c->count--;
        }
        c->buckets[b] = NULL;
    }
    entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        abort();
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->expires_ms = expires_ms;
    e->next = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
    return e;
}

bool cache_get(cache *c, const char *org_id, const char *provider, int64_t now_ms, credential *out)
{
    if (c->ttl_ms <= 0)
        return false;
    char key[CACHE_KEY_MAX + 1];
    make_key(org_id, provider, key);
    pthread_mutex_lock(&c->lock);
    entry *e = find(c, key, now_ms);
    if (e != NULL)
        credential_copy(out, &e->cred);
    pthread_mutex_unlock(&c->lock);
    return e != NULL;
}

void cache_put(cache *c, const char *org_id, const credential *cred, int64_t now_ms)
{
    if (c->ttl_ms <= 0)
        return;
    char key[CACHE_KEY_MAX + 1];
    make_key(org_id, cred->provider, key);
    pthread_mutex_lock(&c->lock);
    entry *e = insert(c, key, now_ms + c->ttl_ms, now_ms);
    credential_copy(&e->cred, cred);
    pthread_mutex_unlock(&c->lock);
}

char *cache_token_get(cache *c, const char *org_id, int64_t now_ms)
{
    char key[CACHE_KEY_MAX + 1];
    make_key(org_id, TOKEN_PROVIDER, key);
    pthread_mutex_lock(&c->lock);
    entry *e = find(c, key, now_ms);
    char *token = e != NULL ? strdup(e->token) : NULL;
    pthread_mutex_unlock(&c->lock);
    if (e != NULL && token == NULL)
        abort();
    return token;
}

void cache_token_put(cache *c, const char *org_id, const char *token, int64_t expires_at_ms, int64_t now_ms)
{
    int64_t until = expires_at_ms - TOKEN_MARGIN_MS;
    if (until <= now_ms)
        return;
    char key[CACHE_KEY_MAX + 1];
    make_key(org_id, TOKEN_PROVIDER, key);
    char *copy = strdup(token);
    if (copy == NULL)
        abort();
    pthread_mutex_lock(&c->lock);
    entry *e = insert(c, key, until, now_ms);
    e->token = copy;
    pthread_mutex_unlock(&c->lock);
}

void cache_evict(cache *c, const char *org_id, const char *provider)
{
    char key[CACHE_KEY_MAX + 1];
    pthread_mutex_lock(&c->lock);
    make_key(org_id, provider, key);
    remove_key(c, key, INT64_MIN);
    if (strcmp(provider, GOOGLE_PROVIDER) == 0) {
        make_key(org_id, TOKEN_PROVIDER, key);
        remove_key(c, key, INT64_MIN);
    }
    pthread_mutex_unlock(&c->lock);
}
