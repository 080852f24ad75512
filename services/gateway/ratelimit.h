/*
 * ratelimit: request budgets per key (an org, a client address), shared by
 * every loop thread.
 *
 * Each key has a rate (requests per minute) and a burst: a client may send
 * `burst` requests at once, then one more every 60/rate seconds. This is the
 * generic cell rate algorithm: one timestamp per key (the time its budget
 * would be full again), so the table is small and a check is a lookup, a
 * compare and a store, under one of several striped locks.
 *
 * Keys live in a fixed table (no allocation per client): a key is found by
 * its 64-bit keyed hash among a few neighbouring slots. When all of them
 * belong to other keys still spending their budget, the one closest to full
 * is given up — under a flood of distinct keys (addresses) some budgets are
 * forgotten rather than memory grown, and a forgotten key starts full. That
 * errs toward serving, never toward refusing a client that stayed in budget.
 */
#ifndef GATEWAY_RATELIMIT_H
#define GATEWAY_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ratelimit ratelimit;

/* A table of at least slots keys (rounded up to a power of two), each
 * allowed per_minute requests a minute with bursts of burst. per_minute 0:
 * NULL (no limit), and ratelimit_take on NULL always allows. */
ratelimit *ratelimit_create(size_t slots, long per_minute, long burst);
void ratelimit_destroy(ratelimit *rl);

/* Spends one request of key's budget at now_us (a monotonic clock). Returns
 * 0 when the request is within budget, else how many whole seconds (at
 * least 1) until it would be: the Retry-After. A refused request spends
 * nothing. */
long ratelimit_take(ratelimit *rl, const void *key, size_t key_len, int64_t now_us);

#endif
