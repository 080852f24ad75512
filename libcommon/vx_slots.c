/*
 * vx_slots: free slots and overlaps (see vx_slots.h).
 *
 * Design: vx_slots_free sorts copies of the windows and the busy spans, then
 * builds a prefix maximum of the busy ends, so "does [a, b) overlap any busy
 * span?" is a binary search for the spans starting before b plus one
 * comparison of their largest end with a. A day of 5-minute slots against a
 * thousand appointments stays in the microseconds.
 */
#include "vx_slots.h"

#include <stdlib.h>
#include <string.h>

static int span_cmp(const void *a, const void *b)
{
    const vx_slots_span *x = a, *y = b;
    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    return x->end_ms < y->end_ms ? -1 : x->end_ms > y->end_ms;
}

static vx_slots_span *sorted_copy(const vx_slots_span *spans, size_t n)
{
    vx_slots_span *copy = malloc((n ? n : 1) * sizeof(*copy));
    if (copy == NULL)
        abort();
    if (n > 0) {
        memcpy(copy, spans, n * sizeof(*copy));
        qsort(copy, n, sizeof(*copy), span_cmp);
    }
    return copy;
}

/* Busy spans sorted by start, with max_end[i] = the largest end among 0..i. */
typedef struct busy_index {
    vx_slots_span *spans;
    int64_t *max_end;
    size_t n;
} busy_index;

static void busy_index_build(busy_index *ix, const vx_slots_span *busy, size_t n)
{
    ix->spans = sorted_copy(busy, n);
    ix->max_end = malloc((n ? n : 1) * sizeof(*ix->max_end));
    if (ix->max_end == NULL)
        abort();
    ix->n = n;
    for (size_t i = 0; i < n; i++)
        ix->max_end[i] = i == 0 || ix->spans[i].end_ms > ix->max_end[i - 1] ? ix->spans[i].end_ms : ix->max_end[i - 1];
}

/* True when [a, b) overlaps a busy span: among the spans that start before b,
 * the one ending last must end after a. Empty spans never block. */
static bool busy_index_hits(const busy_index *ix, int64_t a, int64_t b)
{
    size_t lo = 0, hi = ix->n; /* first index whose start >= b */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->spans[mid].start_ms < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && ix->max_end[lo - 1] > a;
}

size_t vx_slots_free(const vx_slots_request *req, int64_t *out, size_t max)
{
    if (req->length_ms <= 0 || req->buffer_ms < 0)
        return 0;
    vx_slots_span *windows = sorted_copy(req->windows, req->nwindows);
    busy_index ix;
    busy_index_build(&ix, req->busy, req->nbusy);
    size_t count = 0;
    bool emitted = false;
    int64_t last = 0;
    for (size_t w = 0; w < req->nwindows; w++) {
        for (int64_t s = windows[w].start_ms; s + req->length_ms <= windows[w].end_ms; s += req->length_ms) {
            if (s < req->earliest_ms || (emitted && s <= last))
                continue;
            if (busy_index_hits(&ix, s, s + req->length_ms + req->buffer_ms))
                continue;
            if (count < max)
                out[count] = s;
            count++;
            emitted = true;
            last = s;
        }
    }
    free(windows);
    free(ix.spans);
    free(ix.max_end);
    return count;
}

bool vx_slots_within_windows(const vx_slots_span *windows, size_t nwindows, int64_t start_ms, int64_t length_ms)
{
    for (size_t i = 0; i < nwindows; i++)
        if (start_ms >= windows[i].start_ms && start_ms + length_ms <= windows[i].end_ms)
            return true;
    return false;
}

bool vx_slots_overlap(const vx_slots_span *spans, size_t n, int64_t start_ms, int64_t end_ms)
{
    for (size_t i = 0; i < n; i++)
        if (spans[i].start_ms < end_ms && start_ms < spans[i].end_ms && spans[i].start_ms < spans[i].end_ms)
            return true;
    return false;
}

static int64_t distance(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

size_t vx_slots_nearest(const int64_t *slots, size_t n, int64_t target_ms, int64_t *out, size_t max)
{
    /* slots is ascending, so the nearest ones form one run around target's
     * insertion point: grow [lo, hi) by the nearer neighbour each time. */
    size_t lo = 0;
    while (lo < n && slots[lo] < target_ms)
        lo++;
    size_t hi = lo;
    while (hi - lo < max && (lo > 0 || hi < n)) {
        if (lo > 0 && (hi >= n || distance(slots[lo - 1], target_ms) <= distance(slots[hi], target_ms)))
            lo--;
        else
            hi++;
    }
    for (size_t i = lo; i < hi; i++)
        out[i - lo] = slots[i];
    return hi - lo;
}
