/*
 * local_time: instants as the org's clock shows them, and back — "9:30 AM"
 * on "Tuesday, March 10" in the org's time zone, and the instant of a local
 * wall-clock time the caller said.
 *
 * PostgreSQL does both conversions (to_char(… AT TIME ZONE tz) and
 * timestamp AT TIME ZONE tz): its tz database is what makes DST days right —
 * a time that happens twice on a fall day, a time that does not exist on a
 * spring day — and it is the same database the calendar's windows come from
 * (calendar/openings.h), so what is offered and what is said always agree.
 *
 * Functions run inside the tool's transaction; they return 0, or -1 when the
 * database failed (logged; the tool returns TOOL_RETRY). Statements are
 * registered by local_time_prepare.
 */
#ifndef TOOL_ROUTER_CALENDAR_LOCAL_TIME_H
#define TOOL_ROUTER_CALENDAR_LOCAL_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "calendar/date.h"
#include "tool.h"
#include "vx_buf.h"

/* An instant in the org's time zone, ready to be said. */
typedef struct local_time {
    char time[16]; /* "9:30 AM" */
    date_ymd date;
    char date_label[40]; /* "Tuesday, March 10" */
} local_time;

/* Registers the statements of local_time.c on a worker's connection. */
void local_time_prepare(vx_pg *pg);

/* Formats instants[0..n) in tz into out[0..n) (n = 0: nothing is asked). */
int local_time_format(const tool_ctx *ctx, const char *tz, const int64_t *instants, size_t n, local_time *out);
/* The instant of a wall-clock date-time in tz (its offset, if any, ignored). */
int local_time_instant(const tool_ctx *ctx, const char *tz, const date_time *dt, int64_t *out);

/* Appends "9:00 AM, 9:30 AM and 11:00 AM" to b. */
void local_time_say_list(vx_buf *b, const local_time *w, size_t n);

#endif
