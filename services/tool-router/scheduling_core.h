/*
 * scheduling_core: what the four calendar tools share — the org's scheduling
 * settings, services, the calendar of a range of days (business-hour windows
 * turned into instants by PostgreSQL in the org's timezone, booked blocks,
 * Google busy times), the search for openings, local-time formatting, and
 * the Google connection obtained from the credential vault.
 *
 * Every function taking a tool_ctx runs inside the tool's transaction and
 * filters by ctx->org_id. Functions returning int return 0 on success and -1
 * when the database failed (the tool then returns TOOL_RETRY); their SQL
 * never fails on caller input, which is validated in C first, so a -1 always
 * means the database itself.
 */
#ifndef TOOL_ROUTER_SCHEDULING_CORE_H
#define TOOL_ROUTER_SCHEDULING_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "availability.h"
#include "google_calendar.h"
#include "tool.h"
#include "vx_buf.h"

#define SCHEDULING_OFFER_MAX 3   /* slots read out in one answer */
#define SCHEDULING_DAY_MAX   320 /* more than a day of 5-minute slots, a 25-hour DST day included */
#define SCHEDULING_TEXT_MAX  200 /* longest name or service name taken from a caller */

typedef struct scheduling_settings {
    char timezone[65];
    int slot_minutes;
    int buffer_minutes;
    int horizon_days;
    int min_notice_minutes;
    availability_date today; /* the org's local date at the transaction's start */
    int64_t now_ms;          /* the transaction's now() */
} scheduling_settings;

typedef struct scheduling_service {
    bool found;
    char id[37];
    char name[4 * SCHEDULING_TEXT_MAX + 1];
    int duration_minutes;
} scheduling_service;

/* The org's Google calendar for one tool call, when connected. */
typedef struct scheduling_google {
    bool connected;
    char *access_token; /* secret: never logged */
    char *calendar_id;
    google_conn conn; /* points into the fields above */
    /* A span Google's busy times are read without: the appointment being
     * moved, whose own event would otherwise block its new time. */
    int64_t ignore_start_ms, ignore_end_ms;
} scheduling_google;

/* The calendar of the local dates [from, to]. */
typedef struct scheduling_calendar {
    int64_t *days;              /* days[i]: the local date of windows[i], as days since 1970-01-01 */
    availability_span *windows; /* business hours as instants, ordered by day, then start */
    size_t nwindows;
    availability_span *busy; /* booked blocks and Google busy times, buffers included */
    size_t nbusy;
} scheduling_calendar;

/* Openings to offer: on the requested day, else on the next day with any. */
typedef struct scheduling_openings {
    bool day_open;    /* the requested day has business hours */
    size_t day_total; /* free slots on the requested day */
    bool found;       /* some opening was found up to the horizon */
    availability_date on;
    int64_t slots[SCHEDULING_OFFER_MAX]; /* ascending */
    size_t nslots;
    size_t total_on; /* free slots on that day in all */
} scheduling_openings;

/* A formatted instant in the org's timezone. */
typedef struct scheduling_when {
    char time[16]; /* "9:30 AM" */
    availability_date date;
    char date_label[40]; /* "Tuesday, March 10" */
} scheduling_when;

/* Registers the shared statements (called by scheduling_prepare). */
void scheduling_core_prepare(vx_pg *pg);

/* Runs a registered statement; on failure logs it (statement, error,
 * SQLSTATE) and returns NULL. */
PGresult *scheduling_exec(const tool_ctx *ctx, const char *stmt, int nparams, const char *const *params);

int scheduling_settings_load(const tool_ctx *ctx, scheduling_settings *s);
/* The last bookable local date. */
availability_date scheduling_horizon_end(const scheduling_settings *s);

/* The active service that best matches what the caller said (exact name,
 * keyword, then name contained either way); out->found is false when none. */
int scheduling_service_find(const tool_ctx *ctx, const char *wanted, scheduling_service *out);
/* "Botox, Cleaning and Consultation" (up to 8 active services) into out; *count = how many. */
int scheduling_service_names(const tool_ctx *ctx, vx_buf *out, int *count);

/* Asks the credential vault (rpc.vault.google.token, ~300 ms) for the org's
 * calendar. Never fails: no vault, a timeout or "not connected" leave
 * g->connected false. ctx->nc NULL means no Google. */
void scheduling_google_open(const tool_ctx *ctx, scheduling_google *g);
void scheduling_google_close(scheduling_google *g);
/* Google's busy times within [from, to) (g->ignore cut out), each widened by
 * buffer_ms at its end, into *out (malloc'd, caller frees; NULL when none).
 * Returns the count; 0 when not connected. A Google failure is logged and
 * drops g for the rest of the call: the internal calendar carries on alone. */
size_t scheduling_google_busy(scheduling_google *g, int64_t from_ms, int64_t to_ms, int64_t buffer_ms, availability_span **out);

/* Loads windows and busy spans of [from, to]; exclude_id (or NULL) is an
 * appointment to leave out (the one being moved). Google trouble is logged
 * and the calendar is used without it. */
int scheduling_calendar_load(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, availability_date from,
                             availability_date to, const char *exclude_id, scheduling_calendar *cal);
void scheduling_calendar_free(scheduling_calendar *cal);
/* The windows of one local date: a slice of cal->windows (*n of them, maybe 0). */
const availability_span *scheduling_calendar_day(const scheduling_calendar *cal, availability_date day, size_t *n);
/* Free slots of one day: see availability_free_slots. */
size_t scheduling_calendar_slots(const scheduling_calendar *cal, const scheduling_settings *s, availability_date day,
                                 int64_t length_ms, int64_t *out, size_t max);

/* Openings for an answer: on day, the slots nearest target_ms (the first ones
 * when target_ms is 0); else the first ones of the next day that has any, up
 * to the horizon. */
int scheduling_find_openings(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, availability_date day,
                             int64_t length_ms, int64_t target_ms, const char *exclude_id, scheduling_openings *o);

/* Formats instants in tz (PostgreSQL's to_char: DST-correct). */
int scheduling_format(const tool_ctx *ctx, const char *tz, const int64_t *instants, size_t n, scheduling_when *out);
/* The instant of a local wall-clock date-time in tz. */
int scheduling_local_instant(const tool_ctx *ctx, const char *tz, const availability_datetime *dt, int64_t *out);

/* Appends "9:00 AM, 9:30 AM and 11:00 AM". */
void scheduling_say_times(vx_buf *b, const scheduling_when *w, size_t n);
/* Appends the openings sentence(s) of o, e.g. "On Tuesday, March 10 I have
 * 9:00 AM, 9:30 AM and 11:00 AM." — or that there is nothing up to the horizon. */
int scheduling_say_openings(const tool_ctx *ctx, const scheduling_settings *s, const scheduling_openings *o, vx_buf *b);

#endif
