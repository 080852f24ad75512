/*
 * date: civil (proleptic Gregorian) dates and the wall-clock date-times a
 * voice model sends — parsing, day arithmetic, weekdays and the labels the
 * assistant says. Pure: no I/O, no clock, no time zones, no locale.
 *
 * A date is not an instant: "2027-03-10" is a different span of time in
 * every time zone, so turning a date (or a local date-time) into instants is
 * PostgreSQL's job (calendar/local_time.h, calendar/openings.h), whose tz
 * database makes DST days right. Only a date-time that carries its own UTC
 * offset becomes an instant here.
 *
 * Ownership: every value is returned by value or written into a buffer the
 * caller provides; nothing is allocated.
 */
#ifndef TOOL_ROUTER_CALENDAR_DATE_H
#define TOOL_ROUTER_CALENDAR_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A civil date. */
typedef struct date_ymd {
    int year;  /* 1970..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
} date_ymd;

/* Parses "YYYY-MM-DD", optionally followed by 'T' or ' ' and anything (an ISO
 * date-time: its date is used). False for anything else, a year before 1970
 * or an impossible date (February 30); *out is then untouched. */
bool date_parse(const char *s, date_ymd *out);
/* Days since 1970-01-01, and back (vx_days_from_civil / vx_civil_from_days). */
int64_t date_days(date_ymd d);
date_ymd date_from_days(int64_t days);
/* 0 = Sunday … 6 = Saturday, as PostgreSQL's extract(dow). */
int date_weekday(date_ymd d);
/* "YYYY-MM-DD" into out[11]. */
void date_iso(date_ymd d, char out[11]);
/* "Tuesday, March 10" into out (at least 32 bytes; cut to size otherwise). */
void date_label(date_ymd d, char *out, size_t size);

/* A date-time as sent: "YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]]" with an optional
 * offset ("Z", "+HH:MM", "+HHMM", "+HH"). */
typedef struct date_time {
    date_ymd date;
    int hour, minute, second;
    bool has_offset;
    int offset_minutes; /* east of UTC, when has_offset */
} date_time;

/* False for anything else, trailing characters or out-of-range fields
 * (25:00, +24:00); *out is then untouched. Fractions of a second are
 * accepted and dropped. */
bool date_time_parse(const char *s, date_time *out);
/* The instant (unix ms) of a date-time that has an offset. */
int64_t date_time_instant(const date_time *dt);
/* "YYYY-MM-DD HH:MM:SS" (the wall-clock part, offset ignored) into out[20]. */
void date_time_local(const date_time *dt, char out[20]);

#endif
