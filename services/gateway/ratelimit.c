/*
 * ratelimit: GCRA over a fixed, striped hash table (see ratelimit.h).
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"

#define PROBE   8  /* neighbouring slots a key may live in */
#define STRIPES 64 /* locks: two loop threads rarely wait on each other */

typedef struct slot {
    uint64_t hash;      /* 0: empty */
    int64_t full_at_us; /* the theoretical arrival time: when the budget is whole again */
} slot;

struct ratelimit {
    slot *slots;
    size_t mask;
    int64_t interval_us;  /* one request's worth of budget */
    int64_t tolerance_us; /* how far ahead of now full_at may run: burst - 1 intervals */
    uint64_t seed;
    pthread_mutex_t locks[STRIPES];
};

ratelimit *ratelimit_create(size_t slots, long per_minute, long burst)
{
    if (per_minute <= 0)
        return NULL;
    ratelimit *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        abort();
    size_t n = PROBE;
    while (n < slots)
        n <<= 1;
    rl->slots = calloc(n, sizeof *rl->slots);
    if (rl->slots == NULL)
        abort();
    rl->mask = n - 1;
    rl->interval_us = 60 * INT64_C(1000000) / per_minute;
    if (rl->interval_us < 1)
        rl->interval_us = 1;
    rl->tolerance_us = rl->interval_us * (burst > 1 ? burst - 1 : 0);
    /* A per-process key: which addresses share a bucket cannot be planned. */
    vx_random_bytes((unsigned char *)&rl->seed, sizeof rl->seed);
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_init(&rl->locks[i], NULL);
    return rl;
}

void ratelimit_destroy(ratelimit *rl)
{
    if (rl == NULL)
        return;
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl->slots);
    free(rl);
}

/* FNV-1a over the seed and the key, then a 64-bit finalizer so that every
 * bit of the key reaches the slot index. Never 0 (the empty mark). */
static uint64_t key_hash(uint64_t seed, const unsigned char *key, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= UINT64_C(0x100000001b3);
    }
    h ^= h >> 30;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return h != 0 ? h : 1;
}

long ratelimit_take(ratelimit *rl, const void *key, size_t key_len, int64_t now_us)
{
    if (rl == NULL)
        return 0;
    uint64_t h = key_hash(rl->seed, key, key_len);
    /* The probe window starts at a multiple of PROBE, so a key's slots never
     * straddle two stripes: one lock covers them all. */
    size_t base = (size_t)h & rl->mask & ~(size_t)(PROBE - 1);
    pthread_mutex_t *lock = &rl->locks[(base / PROBE) % STRIPES];
    pthread_mutex_lock(lock);
    slot *mine = NULL, *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        slot *s = &rl->slots[base + i];
        if (s->hash == h) {
            mine = s;
            break;
        }
        /* Where a new key goes: the first empty slot, else the key nearest
         * to a whole budget (forgetting it costs that key the least). */
        if (victim == NULL || (victim->hash != 0 && (s->hash == 0 || s->full_at_us < victim->full_at_us)))
            victim = s;
    }
    if (mine == NULL) { /* a new key (or one forgotten): its budget is whole */
        mine = victim;
        mine->hash = h;
        mine->full_at_us = now_us;
    }
    int64_t full_at = mine->full_at_us > now_us ? mine->full_at_us : now_us;
    long wait_s = 0;
    if (full_at - now_us > rl->tolerance_us) {
        int64_t wait_us = full_at - rl->tolerance_us - now_us;
        wait_s = (long)((wait_us + 999999) / 1000000);
        if (wait_s < 1)
            wait_s = 1;
    } else {
        mine->full_at_us = full_at + rl->interval_us;
    }
    pthread_mutex_unlock(lock);
    return wait_s;
}
