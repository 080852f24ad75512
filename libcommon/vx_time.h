/*
 * vx_time: clocks and ISO 8601 / RFC 3339 timestamps.
 */
#ifndef VX_TIME_H
#define VX_TIME_H

#include <stdbool.h>
#include <stdint.h>

int64_t vx_now_ms(void);       /* wall clock, unix milliseconds */
int64_t vx_monotonic_us(void); /* for measuring durations */
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into out[25]. */
void vx_time_format_iso(int64_t unix_ms, char out[25]);
/* Parses RFC 3339 ("2024-07-26T22:20:57.931Z", "…+02:00", fraction optional) into unix ms. */
bool vx_time_parse_iso(const char *s, int64_t *unix_ms);

#endif
