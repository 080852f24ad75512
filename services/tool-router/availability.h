/*
 * availability: the pure arithmetic behind the calendar tools — free slots,
 * nearest alternatives, calendar dates and the date-time shapes a voice model
 * sends. No I/O, no clock, no time zones: the caller turns local business
 * hours into instants in SQL first (PostgreSQL's tz database makes DST right)
 * and passes "now" in, so every rule here is unit-testable.
 *
 * All instants are unix milliseconds; spans are half-open [start, end).
 */
#ifndef TOOL_ROUTER_AVAILABILITY_H
#define TOOL_ROUTER_AVAILABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct availability_span {
    int64_t start_ms;
    int64_t end_ms;
} availability_span;

typedef struct availability_request {
    const availability_span *windows; /* opening hours of one day, as instants; any order */
    size_t nwindows;
    const availability_span *busy; /* blocked spans, each already extended by its own buffer; any order */
    size_t nbusy;
    int64_t length_ms;   /* the appointment's length, > 0; also the step between candidates */
    int64_t buffer_ms;   /* what the new appointment blocks after itself, >= 0 */
    int64_t earliest_ms; /* no slot may start before this (now + minimum notice) */
} availability_request;

/*
 * The free slots of one day. Candidates start at each window's start and
 * step by length_ms while [s, s + length) stays inside the window. A
 * candidate is free when s >= earliest_ms and [s, s + length + buffer)
 * overlaps no busy span: exactly the rule the database's exclusion
 * constraint enforces, so an offered slot is one the booking can take.
 * Writes up to max starts, ascending and distinct, into out (which may be
 * NULL when max is 0) and returns how many free slots there are in all.
 */
size_t availability_free_slots(const availability_request *req, int64_t *out, size_t max);

/* True when [start, start + length) lies inside one of the windows. */
bool availability_within_windows(const availability_span *windows, size_t nwindows, int64_t start_ms, int64_t length_ms);

/* True when [start, end) overlaps one of the spans. */
bool availability_overlaps(const availability_span *spans, size_t n, int64_t start_ms, int64_t end_ms);

/*
 * Picks the (up to) max slots nearest to target_ms out of slots[0..n)
 * (ascending), the earlier one winning a tie, and writes them ascending into
 * out. Returns how many were written.
 */
size_t availability_nearest(const int64_t *slots, size_t n, int64_t target_ms, int64_t *out, size_t max);

/* ---------------------------------------------------------------- dates */

/* A civil (proleptic Gregorian) date. */
typedef struct availability_date {
    int year;  /* 1970..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
} availability_date;

/* Parses "YYYY-MM-DD", optionally followed by 'T' or ' ' and anything (an ISO
 * date-time: its date is used). False for anything else or an impossible date. */
bool availability_date_parse(const char *s, availability_date *out);
/* Days since 1970-01-01, and back. */
int64_t availability_date_days(availability_date d);
availability_date availability_date_from_days(int64_t days);
/* 0 = Sunday … 6 = Saturday, as PostgreSQL's extract(dow). */
int availability_date_weekday(availability_date d);
/* "YYYY-MM-DD" into out[11]. */
void availability_date_iso(availability_date d, char out[11]);
/* "Tuesday, March 10" into out (at least 32 bytes). */
void availability_date_label(availability_date d, char *out, size_t size);

/* A date-time as sent: "YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]]" with an optional
 * offset ("Z", "+HH:MM", "+HHMM", "+HH"). */
typedef struct availability_datetime {
    availability_date date;
    int hour, minute, second;
    bool has_offset;
    int offset_minutes; /* east of UTC, when has_offset */
} availability_datetime;

/* False for anything else, trailing characters or out-of-range fields. */
bool availability_datetime_parse(const char *s, availability_datetime *out);
/* The instant of a date-time that has an offset. */
int64_t availability_datetime_instant(const availability_datetime *dt);
/* "YYYY-MM-DD HH:MM:SS" (the local wall-clock part, offset ignored) into out[20]. */
void availability_datetime_local(const availability_datetime *dt, char out[20]);

#endif
