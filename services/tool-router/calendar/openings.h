/*
 * openings: when the org can see someone — the calendar of a range of local
 * days (business hours turned into instants in the org's time zone, booked
 * blocks with their buffers, Google busy times) and the openings found in
 * it: on the day asked for, else on the next day that has any, up to the
 * booking horizon. The calendar itself is libcommon's (vx_calendar.h,
 * shared with dashboard-api's appointments, so the desk and the voice agent
 * offer the same times); this module adds the org's Google busy times and
 * says the openings.
 *
 * Every function taking a tool_ctx runs inside the tool's transaction (or
 * read scope) and filters by ctx->org_id. Functions returning int return 0,
 * or -1 when the database failed (logged; the tool returns TOOL_RETRY).
 * Google trouble is never a failure here: it is logged and the calendar is
 * used without it (see calendar/google_link.h). Statements are registered by
 * schedule_prepare (vx_calendar_prepare).
 */
#ifndef TOOL_ROUTER_CALENDAR_OPENINGS_H
#define TOOL_ROUTER_CALENDAR_OPENINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/date.h"
#include "calendar/google_link.h"
#include "calendar/schedule.h"
#include "tool.h"
#include "vx_buf.h"
#include "vx_calendar.h"
#include "vx_slots.h"

#define OPENINGS_OFFER_MAX VX_CALENDAR_OFFER_MAX /* slots read out in one answer */
#define OPENINGS_DAY_MAX   VX_CALENDAR_DAY_MAX

/* The calendar of the local dates [from, to] (vx_calendar). */
typedef vx_calendar openings_calendar;

/* Openings to offer: on the requested day, else on the next day with any. */
typedef vx_calendar_openings openings;

/* Loads windows and busy spans of [from, to]; exclude_id (or NULL) is an
 * appointment to leave out (the one being moved); g may be NULL (no Google). */
int openings_calendar_load(const tool_ctx *ctx, const schedule *s, google_link *g, date_ymd from, date_ymd to,
                           const char *exclude_id, openings_calendar *cal);
void openings_calendar_free(openings_calendar *cal);
/* The windows of one local date: a slice of cal->windows (*n of them, maybe 0). */
const vx_slots_span *openings_calendar_day(const openings_calendar *cal, date_ymd day, size_t *n);
/* Free slots of one day under s's buffer and minimum notice: see vx_slots_free. */
size_t openings_calendar_slots(const openings_calendar *cal, const schedule *s, date_ymd day, int64_t length_ms, int64_t *out,
                               size_t max);

/* Openings for an answer: on day, the slots nearest target_ms (the first ones
 * when target_ms is 0); else the first ones of the next day that has any, up
 * to the horizon. */
int openings_find(const tool_ctx *ctx, const schedule *s, google_link *g, date_ymd day, int64_t length_ms, int64_t target_ms,
                  const char *exclude_id, openings *o);

/* Appends the openings sentence of o to b, e.g. "On Tuesday, March 10 I have
 * 9:00 AM, 9:30 AM and 11:00 AM." — or that there is nothing up to the horizon. */
int openings_say(const tool_ctx *ctx, const schedule *s, const openings *o, vx_buf *b);

#endif
