/*
 * vx_calendar: an organization's bookable calendar as the services that
 * book read it — tool-router's calendar tools (mid-call) and dashboard-api's
 * appointments (the front desk) — so both offer the same times under the
 * same rules:
 *   - the org's scheduling rules (org_settings, or the column defaults of
 *     migrations/0003 when it has no row), with the org's local date and
 *     the transaction's now(): PostgreSQL's clock, not this machine's;
 *   - the calendar of a range of local dates: business hours turned into
 *     instants in the org's time zone with `(date + opens) AT TIME ZONE tz`
 *     (the server's tz database makes DST days right: a 23-hour spring day
 *     has fewer slots), and the booked blocks, buffers included;
 *   - the free slots of a day (vx_slots_free) and the openings to offer for
 *     a wanted time: the nearest on its day, else the first ones of the next
 *     day that has any, up to the booking horizon;
 *   - the rule of every write that can collide: the appointments_no_overlap
 *     exclusion constraint is the only judge (vx_calendar_lost_race).
 *
 * The functions that read run their statements on the source's connection,
 * inside the caller's transaction or read scope under the org's claims, and
 * also filter by org_id. They return 0, or -1 when the database failed
 * (logged once, with the request and org ids). Their SQL never fails on
 * caller input (instants and dates are checked in C first), so a -1 always
 * means the database itself. Statements are registered by
 * vx_calendar_prepare.
 *
 * Dates are local civil dates as days since 1970-01-01 (vx_days_from_civil);
 * instants are unix milliseconds; spans are half-open.
 */
#ifndef VX_CALENDAR_H
#define VX_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_pg.h"
#include "vx_slots.h"

#define VX_CALENDAR_OFFER_MAX 3   /* openings offered for one wanted time */
#define VX_CALENDAR_DAY_MAX   320 /* more than a day of 5-minute slots, a 25-hour DST day included */

/* An org's scheduling rules, read once per request. */
typedef struct vx_calendar_rules {
    char timezone[65]; /* IANA name */
    int slot_minutes;
    int buffer_minutes;
    int horizon_days;
    int min_notice_minutes;
    int64_t today;          /* the org's local date at the transaction's start */
    int64_t today_start_ms; /* the instant that date began in the org's zone */
    int64_t now_ms;         /* the transaction's now() */
} vx_calendar_rules;

/* Busy times from outside the database (tool-router: the org's Google
 * calendar) within [from, to), each widened by buffer_ms at its end, into
 * *out (malloc'd, the caller frees; NULL when none). Returns the count.
 * Never fails: trouble is the source's to log, and counts as nothing busy. */
typedef size_t (*vx_calendar_busy_fn)(void *arg, int64_t from_ms, int64_t to_ms, int64_t buffer_ms, vx_slots_span **out);

/* Where a calendar is read: the caller's connection and ids. */
typedef struct vx_calendar_source {
    vx_pg *pg;
    const char *request_id;         /* for the logs; may be NULL */
    const char *org_id;             /* a UUID: the org whose claims the transaction carries */
    vx_calendar_busy_fn extra_busy; /* NULL: the database's bookings only */
    void *extra_arg;
} vx_calendar_source;

/* The calendar of a range of local dates. Owned by the caller's stack;
 * vx_calendar_load allocates the arrays, vx_calendar_free frees them (also
 * after a failed load). */
typedef struct vx_calendar {
    int64_t *days;          /* days[i]: the local date of windows[i] */
    vx_slots_span *windows; /* business hours as instants, ordered by day, then start */
    size_t nwindows;
    vx_slots_span *busy; /* booked blocks and outside busy times, buffers included */
    size_t nbusy;
} vx_calendar;

/* Openings to offer: on the day asked for, else on the next day with any. */
typedef struct vx_calendar_openings {
    bool day_open;                        /* the day asked for has business hours */
    size_t day_total;                     /* free slots on that day */
    bool found;                           /* some opening was found up to the horizon */
    int64_t on_day;                       /* the local date of slots */
    int64_t slots[VX_CALENDAR_OFFER_MAX]; /* ascending */
    size_t nslots;
    size_t total_on; /* free slots on on_day in all */
} vx_calendar_openings;

/* Registers the statements of vx_calendar.c on a connection: once per
 * connection (a statement name is registered once), by the one module of
 * the service that owns the calendar (tool-router: schedule.c;
 * dashboard-api: appointments.c). */
void vx_calendar_prepare(vx_pg *pg);

/* The org's rules. */
int vx_calendar_rules_load(const vx_calendar_source *src, vx_calendar_rules *out);
/* The local date of an instant in tz. */
int vx_calendar_local_day(const vx_calendar_source *src, const char *tz, int64_t instant_ms, int64_t *day);

/* Loads the windows and busy spans of the local dates [from, to] in r's time
 * zone, with r's buffer; exclude_id (or NULL) is an appointment to leave out
 * (the one being moved). Outside busy times are asked only when there are
 * windows. */
int vx_calendar_load(const vx_calendar_source *src, const vx_calendar_rules *r, int64_t from, int64_t to, const char *exclude_id,
                     vx_calendar *cal);
void vx_calendar_free(vx_calendar *cal);
/* The windows of one local date: a slice of cal->windows (*n of them, maybe 0). */
const vx_slots_span *vx_calendar_day(const vx_calendar *cal, int64_t day, size_t *n);
/* The free slots of one day under r's buffer and minimum notice (see
 * vx_slots_free): up to max starts into out; returns how many there are. */
size_t vx_calendar_slots(const vx_calendar *cal, const vx_calendar_rules *r, int64_t day, int64_t length_ms, int64_t *out,
                         size_t max);

/* The openings for an appointment of length_ms wanted on day: that day's
 * free slots nearest target_ms (its first ones when target_ms is 0), else
 * the first ones of the next day that has any, up to r's horizon. */
int vx_calendar_openings_find(const vx_calendar_source *src, const vx_calendar_rules *r, int64_t day, int64_t length_ms,
                              int64_t target_ms, const char *exclude_id, vx_calendar_openings *o);

/*
 * True when pg's last statement failed because another booking holds the
 * time: 23P01 (exclusion violation), or 40P01 — PostgreSQL documents that
 * two backends inserting overlapping rows at the same instant can each wait
 * for the other's row; the deadlock detector then aborts one of them, which
 * has lost the race just the same. Either way the caller rolls back to its
 * savepoint and offers other times: the normal path, not an error.
 */
bool vx_calendar_lost_race(const vx_pg *pg);

#endif
