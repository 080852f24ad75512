/*
 * vx_replay: signatures already used, so that a signed message captured on
 * the way (a proxy log, a leaked capture, a copy off the bus) cannot be sent
 * again while it would still be accepted. Two users: the gateway's Vapi HMAC
 * signatures (timestamps in seconds, accepted within ±window) and the
 * services' envelope signatures (libcommon/vx_rpc: deadlines in ms, window 0).
 *
 * A signature is remembered from the moment it authenticates a message until
 * its time leaves the window (ts + window); a second message with it is a
 * replay. Memory is bounded: at most `capacity` signatures are held. When
 * the cache is full and no remembered time has left the window, the oldest
 * one (smallest time) is forgotten and the cache from then on refuses every
 * time up to it: the accepted window shrinks from below instead of growing
 * memory or letting a forgotten signature through. Real messages are signed
 * a moment before they arrive, so only the oldest late arrivals are refused,
 * and only while the cache is overloaded; failing closed entirely (refusing
 * everything until times expire, up to twice the window) would stop all
 * traffic for that long instead.
 *
 * Only signatures that verified are ever stored (the caller checks first), so
 * nobody without the key can fill the cache. Thread-safe: one cache serves
 * every thread of a process. It is per process: with several replicas, a
 * replay sent to another replica is not seen (the window still bounds it).
 */
#ifndef VX_REPLAY_H
#define VX_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "vx_crypto.h"

typedef enum {
    VX_REPLAY_FRESH = 0,     /* never seen: now remembered */
    VX_REPLAY_SEEN = 1,      /* already remembered: a replay */
    VX_REPLAY_FORGOTTEN = 2, /* ts is not newer than a timestamp the full cache had to forget: cannot tell, refused */
} vx_replay_status;

typedef struct vx_replay vx_replay;

/* A cache for at most capacity (>= 1) signatures; what names them in its
 * log line when full (a static string, e.g. "signed Vapi requests"). NULL
 * when memory runs out (logged). */
vx_replay *vx_replay_create(size_t capacity, const char *what);
/* Frees r; NULL is a no-op. */
void vx_replay_destroy(vx_replay *r);
/* Records the verified signature mac, made for unix second ts, at unix second
 * now, with the window the caller accepted ts in ([now - window_s, now + window_s]):
 * VX_REPLAY_FRESH the first time, VX_REPLAY_SEEN or VX_REPLAY_FORGOTTEN otherwise. */
vx_replay_status vx_replay_check(vx_replay *r, const uint8_t mac[VX_SHA256_LEN], int64_t ts, int64_t now, int64_t window_s);
/* How many signatures are remembered (for tests and logs). */
size_t vx_replay_count(vx_replay *r);

#endif
