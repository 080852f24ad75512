/*
 * vx_replay: a fixed pool of nodes, chained in a hash table by signature (the
 * MAC is keyed by our secret, so its first bytes are already uniform) and
 * ordered by timestamp in a binary min-heap, so the next signature to forget
 * is always at the top: expiry and eviction are O(log n), lookups O(1).
 * Node links are index + 1 (0: none) so that calloc'd memory is an empty
 * cache and pages are only touched as signatures arrive.
 */
#include "vx_replay.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"

typedef struct vx_replay_node {
    uint8_t mac[VX_SHA256_LEN];
    int64_t ts;
    uint32_t next; /* in its bucket's chain, or in the free list; index + 1, 0: none */
} vx_replay_node;

struct vx_replay {
    pthread_mutex_t lock;
    size_t capacity;
    size_t count;  /* nodes remembered (in the heap) */
    size_t used;   /* nodes [0, used) have been handed out at least once */
    uint32_t free; /* recycled nodes, index + 1 */
    vx_replay_node *nodes;
    uint32_t *buckets; /* chain heads, index + 1 */
    size_t mask;       /* buckets - 1, a power of two minus one */
    uint32_t *heap;    /* node indices, the smallest ts first */
    bool forgot;       /* floor holds the largest timestamp forgotten so far */
    int64_t floor;
    uint64_t evictions; /* forgotten before their timestamp left the window */
    const char *what;   /* for the log line */
};

vx_replay *vx_replay_create(size_t capacity, const char *what)
{
    if (capacity == 0 || capacity > UINT32_MAX / 2) {
        vx_log_error(NULL, NULL, "replay cache capacity out of range");
        return NULL;
    }
    size_t buckets = 1;
    while (buckets < capacity)
        buckets <<= 1;
    vx_replay *r = calloc(1, sizeof(*r));
    if (r != NULL) {
        r->nodes = calloc(capacity, sizeof(*r->nodes));
        r->buckets = calloc(buckets, sizeof(*r->buckets));
        r->heap = calloc(capacity, sizeof(*r->heap));
    }
    if (r == NULL || r->nodes == NULL || r->buckets == NULL || r->heap == NULL) {
        vx_log_error(NULL, NULL, "out of memory for the replay cache");
        vx_replay_destroy(r);
        return NULL;
    }
    r->capacity = capacity;
    r->what = what;
    r->mask = buckets - 1;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void vx_replay_destroy(vx_replay *r)
{
    if (r == NULL)
        return;
    if (r->capacity > 0)
        pthread_mutex_destroy(&r->lock);
    free(r->nodes);
    free(r->buckets);
    free(r->heap);
    free(r);
}

static uint32_t *bucket_of(vx_replay *r, const uint8_t mac[VX_SHA256_LEN])
{
    uint64_t h;
    memcpy(&h, mac, sizeof(h));
    return &r->buckets[h & r->mask];
}

static bool contains(vx_replay *r, const uint8_t mac[VX_SHA256_LEN])
{
    for (uint32_t i = *bucket_of(r, mac); i != 0; i = r->nodes[i - 1].next)
        if (memcmp(r->nodes[i - 1].mac, mac, VX_SHA256_LEN) == 0)
            return true;
    return false;
}

static int64_t heap_ts(vx_replay *r, size_t at)
{
    return r->nodes[r->heap[at]].ts;
}

static void heap_swap(vx_replay *r, size_t a, size_t b)
{
    uint32_t t = r->heap[a];
    r->heap[a] = r->heap[b];
    r->heap[b] = t;
}

static void heap_push(vx_replay *r, uint32_t node)
{
    size_t at = r->count++;
    r->heap[at] = node;
    while (at > 0 && heap_ts(r, (at - 1) / 2) > heap_ts(r, at)) {
        heap_swap(r, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
}

static uint32_t heap_pop(vx_replay *r)
{
    uint32_t top = r->heap[0];
    r->heap[0] = r->heap[--r->count];
    size_t at = 0;
    for (;;) {
        size_t smallest = at, left = 2 * at + 1, right = left + 1;
        if (left < r->count && heap_ts(r, left) < heap_ts(r, smallest))
            smallest = left;
        if (right < r->count && heap_ts(r, right) < heap_ts(r, smallest))
            smallest = right;
        if (smallest == at)
            break;
        heap_swap(r, at, smallest);
        at = smallest;
    }
    return top;
}

/* Forgets the signature with the smallest timestamp; from now on nothing up
 * to that timestamp is accepted (a replay of it could not be recognised). */
static void forget_oldest(vx_replay *r)
{
    uint32_t node = heap_pop(r);
    vx_replay_node *n = &r->nodes[node];
    if (!r->forgot || n->ts > r->floor)
        r->floor = n->ts;
    r->forgot = true;
    uint32_t *link = bucket_of(r, n->mac);
    while (*link != node + 1)
        link = &r->nodes[*link - 1].next;
    *link = n->next;
    n->next = r->free;
    r->free = node + 1;
}

static void remember(vx_replay *r, const uint8_t mac[VX_SHA256_LEN], int64_t ts)
{
    uint32_t node;
    if (r->free != 0) {
        node = r->free - 1;
        r->free = r->nodes[node].next;
    } else {
        node = (uint32_t)r->used++;
    }
    vx_replay_node *n = &r->nodes[node];
    memcpy(n->mac, mac, VX_SHA256_LEN);
    n->ts = ts;
    uint32_t *bucket = bucket_of(r, mac);
    n->next = *bucket;
    *bucket = node + 1;
    heap_push(r, node);
}

vx_replay_status vx_replay_check(vx_replay *r, const uint8_t mac[VX_SHA256_LEN], int64_t ts, int64_t now, int64_t window)
{
    vx_replay_status st = VX_REPLAY_FRESH;
    uint64_t evicted = 0;
    pthread_mutex_lock(&r->lock);
    /* What left the window cannot be replayed any more: the window check refuses it. */
    while (r->count > 0 && heap_ts(r, 0) < now - window)
        forget_oldest(r);
    if (r->forgot && ts <= r->floor) {
        st = VX_REPLAY_FORGOTTEN;
    } else if (contains(r, mac)) {
        st = VX_REPLAY_SEEN;
    } else if (r->count == r->capacity && ts <= heap_ts(r, 0)) {
        /* Full, and this one would be the first to go: it cannot be remembered. */
        st = VX_REPLAY_FORGOTTEN;
    } else {
        if (r->count == r->capacity) {
            forget_oldest(r);
            evicted = ++r->evictions;
        }
        remember(r, mac, ts);
    }
    pthread_mutex_unlock(&r->lock);
    if (evicted == 1 || (evicted > 0 && evicted % 10000 == 0)) {
        char capacity[24], count[24];
        snprintf(capacity, sizeof(capacity), "%zu", r->capacity);
        snprintf(count, sizeof(count), "%" PRIu64, evicted);
        vx_log_warn(NULL, NULL, "replay cache full: the oldest are refused until it drains", "of", r->what, "capacity", capacity,
                    "evictions", count);
    }
    return st;
}

size_t vx_replay_count(vx_replay *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}
