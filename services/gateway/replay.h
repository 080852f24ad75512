/*
 * replay: the Vapi HMAC signatures already used, so that a signed request
 * captured on the way (a proxy log, a leaked capture) cannot be sent again
 * while its x-timestamp is still inside the accepted window.
 *
 * A signature is remembered from the moment it authenticates a request until
 * its timestamp leaves the window (ts + window_s); a second request with it is
 * a replay. Memory is bounded: at most `capacity` signatures are held. When
 * the cache is full and no remembered timestamp has left the window, the
 * oldest one (smallest timestamp) is forgotten and the cache from then on
 * refuses every timestamp up to it: the accepted window shrinks from below
 * instead of growing memory or letting a forgotten signature through. Real
 * Vapi requests are signed a moment before they arrive, so only the oldest
 * late arrivals are refused, and only while the cache is overloaded; failing
 * closed entirely (refusing everything until timestamps expire, up to twice
 * the window) would stop every call's webhooks for minutes instead.
 *
 * Only signatures that verified are ever stored (the caller checks first), so
 * nobody without the HMAC key can fill the cache. Thread-safe: every loop
 * thread checks against the one cache of the process. It is per process: with
 * several gateway replicas, a replay sent to another replica is not seen.
 */
#ifndef GATEWAY_REPLAY_H
#define GATEWAY_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "vx_crypto.h"

typedef enum {
    REPLAY_FRESH = 0,     /* never seen: now remembered */
    REPLAY_SEEN = 1,      /* already remembered: a replay */
    REPLAY_FORGOTTEN = 2, /* ts is not newer than a timestamp the full cache had to forget: cannot tell, refused */
} replay_status;

typedef struct replay replay;

/* A cache for at most capacity (>= 1) signatures; NULL when memory runs out (logged). */
replay *replay_create(size_t capacity);
/* Frees r; NULL is a no-op. */
void replay_destroy(replay *r);
/* Records the verified signature mac, made for unix second ts, at unix second
 * now, with the window the caller accepted ts in ([now - window_s, now + window_s]):
 * REPLAY_FRESH the first time, REPLAY_SEEN or REPLAY_FORGOTTEN otherwise. */
replay_status replay_check(replay *r, const uint8_t mac[VX_SHA256_LEN], int64_t ts, int64_t now, int64_t window_s);
/* How many signatures are remembered (for tests and logs). */
size_t replay_count(replay *r);

#endif
