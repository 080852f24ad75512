/*
 * call_filters: the pure parts of the calls dashboard's query parameters —
 * time bounds, where a page starts and the caller search — so calls.c only
 * maps them to statement parameters and answers. No I/O, no globals.
 *
 * Times. A bound is an ISO 8601 date ("2026-01-31", that day at 00:00 UTC)
 * or an RFC 3339 timestamp with its offset ("2026-01-31T09:30:00Z",
 * "…+02:00", fraction optional): a time without an offset names no instant,
 * so it is refused rather than guessed. Years 1970 to 9999.
 *
 * The list's cursor is libcommon's (vx_cursor.h, list CALL_FILTERS_CURSOR_LIST).
 */
#ifndef DASHBOARD_CALL_FILTERS_H
#define DASHBOARD_CALL_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_time.h"

/* Longest search text accepted (bytes of UTF-8). */
#define CALL_FILTERS_SEARCH_MAX 100

/* The calls list's name in its cursors (vx_cursor.h). */
#define CALL_FILTERS_CURSOR_LIST "calls"

/* Parses a bound (see above) into unix milliseconds. A date means the start
 * of that day, or with end_of_day its end (the next day's start): so
 * to=2026-01-31 takes in all of the 31st. False when s is not one. */
bool call_filters_time(const char *s, bool end_of_day, int64_t *unix_ms);

/* Where a page of the list starts, exclusive, in the order (created_at
 * DESC, id DESC): after the cursor's call (cursor_us, cursor_id), or before
 * the instant to_ms — as (to, the nil UUID), since no id sorts below it —
 * whichever comes first; ('infinity', the largest UUID) with neither. One
 * bound, so the index starts exactly there (calls.c's LIST_SQL says why). */
void call_filters_page_start(bool has_to, int64_t to_ms, bool has_cursor, int64_t cursor_us, const char *cursor_id,
                             char at[VX_TIME_US_LEN], char id[37]);

/* True when q is search text: 1 to CALL_FILTERS_SEARCH_MAX bytes of valid
 * UTF-8 without control characters. */
bool call_filters_search_ok(const char *q);
/* The ILIKE pattern matching q anywhere in a value ("%q%", with \, % and _
 * escaped so they match themselves): malloc'd. */
char *call_filters_like_pattern(const char *q);
/* The LIKE pattern matching q's digits anywhere in an E.164 number, when q
 * reads as (part of) a phone number: digits with only the punctuation people
 * type in numbers (+ - . ( ) and spaces), "(415) 555-01" → "%41555501%".
 * NULL (nothing to match) for any other q. malloc'd. */
char *call_filters_phone_pattern(const char *q);

#endif
