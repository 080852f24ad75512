/*
 * vx_slots: the pure arithmetic behind booking — the free slots of a day,
 * whether a time lies inside business hours or overlaps something, and the
 * slots nearest a wanted time. Shared by tool-router's calendar tools and
 * dashboard-api's appointments. No I/O, no clock, no time zones: the caller
 * turns local business hours into instants in SQL first (vx_calendar.h) and
 * passes "now" in, so every rule here is unit-testable.
 *
 * All instants are unix milliseconds; spans are half-open [start, end).
 * Ownership: inputs are only read; outputs go into arrays the caller
 * provides. Nothing here fails: empty or nonsensical input gives no slots.
 */
#ifndef VX_SLOTS_H
#define VX_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vx_slots_span {
    int64_t start_ms;
    int64_t end_ms;
} vx_slots_span;

typedef struct vx_slots_request {
    const vx_slots_span *windows; /* opening hours of one day, as instants; any order */
    size_t nwindows;
    const vx_slots_span *busy; /* blocked spans, each already extended by its own buffer; any order */
    size_t nbusy;
    int64_t length_ms;   /* the appointment's length, > 0; also the step between candidates */
    int64_t buffer_ms;   /* what the new appointment blocks after itself, >= 0 */
    int64_t earliest_ms; /* no slot may start before this (now + minimum notice) */
} vx_slots_request;

/*
 * The free slots of one day. Candidates start at each window's start and
 * step by length_ms while [s, s + length) stays inside the window. A
 * candidate is free when s >= earliest_ms and [s, s + length + buffer)
 * overlaps no busy span: exactly the rule the database's exclusion
 * constraint enforces, so an offered slot is one the booking can take.
 * Writes up to max starts, ascending and distinct, into out (which may be
 * NULL when max is 0) and returns how many free slots there are in all.
 */
size_t vx_slots_free(const vx_slots_request *req, int64_t *out, size_t max);

/* True when [start, start + length) lies inside one of the windows. */
bool vx_slots_within_windows(const vx_slots_span *windows, size_t nwindows, int64_t start_ms, int64_t length_ms);

/* True when [start, end) overlaps one of the spans (empty spans never overlap). */
bool vx_slots_overlap(const vx_slots_span *spans, size_t n, int64_t start_ms, int64_t end_ms);

/*
 * Picks the (up to) max slots nearest to target_ms out of slots[0..n)
 * (ascending), the earlier one winning a tie, and writes them ascending into
 * out. Returns how many were written.
 */
size_t vx_slots_nearest(const int64_t *slots, size_t n, int64_t target_ms, int64_t *out, size_t max);

#endif
