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
/* The last instant vx_time_format_us writes (9999-12-31T23:59:59.999999Z),
 * in unix microseconds, and the length of what it writes with its NUL. */
#define VX_TIME_US_MAX 253402300799999999LL
#define VX_TIME_US_LEN 28
/* Writes unix microseconds as "YYYY-MM-DDTHH:MM:SS.ffffffZ", exactly as
 * PostgreSQL reads a timestamptz back: no precision lost, so a keyset cursor
 * names its row's instant exactly. Clamped to 1970..VX_TIME_US_MAX. */
void vx_time_format_us(int64_t unix_us, char out[VX_TIME_US_LEN]);
/* Parses RFC 3339 ("2024-07-26T22:20:57.931Z", "…+02:00", fraction optional) into unix ms. */
bool vx_time_parse_iso(const char *s, int64_t *unix_ms);

/* Proleptic Gregorian calendar arithmetic on integers (Howard Hinnant's
 * algorithms): no TZ, no locale, thread safe. Days since 1970-01-01 of the
 * civil date y-m-d (m in 1..12, d in 1..31), and back. */
int64_t vx_days_from_civil(int64_t y, unsigned m, unsigned d);
void vx_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* The days of month m (1..12) of year y: 28 to 31. */
unsigned vx_days_in_month(int64_t y, unsigned m);

#endif
