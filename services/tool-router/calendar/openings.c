/*
 * openings: the calendar of a range of days and the openings in it (see
 * openings.h).
 *
 * Design: PostgreSQL turns business hours into instants with
 * `(date + opens) AT TIME ZONE tz` — its tz database is what makes DST days
 * right (a 23-hour spring day has fewer slots) — and C then does the slot
 * arithmetic on integers (calendar/slots.h). A calendar is loaded for a
 * range of days in two queries (windows, booked blocks) plus at most one
 * Google freeBusy call, so "the next open day within 60 days" costs the same
 * round trips as one day.
 */
#include "calendar/openings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/local_time.h"
#include "vx_time.h"

#define MS_PER_MINUTE 60000LL

#define STMT_WINDOWS "sched_windows"
#define STMT_BUSY    "sched_busy"

/* Business hours of each local date in [$2, $3] as instants in zone $4. */
static const char WINDOWS_SQL[] = "SELECT days.d - DATE '1970-01-01',"
                                  " (extract(epoch FROM (days.d + h.opens) AT TIME ZONE $4::text) * 1000)::bigint,"
                                  " (extract(epoch FROM (days.d + h.closes) AT TIME ZONE $4::text) * 1000)::bigint"
                                  " FROM (SELECT $2::date + i AS d FROM generate_series(0, $3::date - $2::date) AS i) AS days"
                                  " JOIN business_hours h ON h.org_id = $1::uuid AND h.weekday = extract(dow FROM days.d)"
                                  " ORDER BY days.d, h.opens";

/* Booked blocks (buffer included) overlapping [$2, $3), but appointment $4. */
static const char BUSY_SQL[] =
    "SELECT (extract(epoch FROM lower(blocks)) * 1000)::bigint, (extract(epoch FROM upper(blocks)) * 1000)::bigint"
    " FROM appointments WHERE org_id = $1::uuid AND status = 'booked'"
    " AND blocks && tstzrange($2::timestamptz, $3::timestamptz)"
    " AND id IS DISTINCT FROM $4::uuid";

void openings_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_WINDOWS, WINDOWS_SQL);
    vx_pg_prepare(pg, STMT_BUSY, BUSY_SQL);
}

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n ? n : 1) * size);
    if (q == NULL)
        abort();
    return q;
}

int openings_calendar_load(const tool_ctx *ctx, const schedule *s, google_link *g, date_ymd from, date_ymd to,
                           const char *exclude_id, openings_calendar *cal)
{
    memset(cal, 0, sizeof(*cal));
    char from_s[11], to_s[11];
    date_iso(from, from_s);
    date_iso(to, to_s);
    const char *p[4] = {ctx->org_id, from_s, to_s, s->timezone};
    PGresult *r = schedule_exec(ctx, STMT_WINDOWS, 4, p);
    if (r == NULL)
        return -1;
    size_t n = (size_t)PQntuples(r);
    cal->days = grow(NULL, n, sizeof(*cal->days));
    cal->windows = grow(NULL, n, sizeof(*cal->windows));
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        cal->days[i] = schedule_int_at(r, (int)i, 0);
        cal->windows[i].start_ms = schedule_int_at(r, (int)i, 1);
        cal->windows[i].end_ms = schedule_int_at(r, (int)i, 2);
        lo = cal->windows[i].start_ms < lo ? cal->windows[i].start_ms : lo;
        hi = cal->windows[i].end_ms > hi ? cal->windows[i].end_ms : hi;
    }
    cal->nwindows = n;
    PQclear(r);
    if (n == 0)
        return 0;

    /* A slot at closing time still blocks its buffer after the close. */
    int64_t buffer_ms = s->buffer_minutes * MS_PER_MINUTE;
    hi += buffer_ms;
    char lo_s[25], hi_s[25];
    vx_time_format_iso(lo, lo_s);
    vx_time_format_iso(hi, hi_s);
    const char *bp[4] = {ctx->org_id, lo_s, hi_s, exclude_id};
    r = schedule_exec(ctx, STMT_BUSY, 4, bp);
    if (r == NULL) {
        openings_calendar_free(cal);
        return -1;
    }
    cal->nbusy = (size_t)PQntuples(r);
    cal->busy = grow(NULL, cal->nbusy, sizeof(*cal->busy));
    for (size_t i = 0; i < cal->nbusy; i++) {
        cal->busy[i].start_ms = schedule_int_at(r, (int)i, 0);
        cal->busy[i].end_ms = schedule_int_at(r, (int)i, 1);
    }
    PQclear(r);
    slots_span *google = NULL;
    size_t ng = google_link_busy(g, lo, hi, buffer_ms, &google);
    cal->busy = grow(cal->busy, cal->nbusy + ng, sizeof(*cal->busy));
    if (ng > 0)
        memcpy(cal->busy + cal->nbusy, google, ng * sizeof(*google));
    cal->nbusy += ng;
    free(google);
    return 0;
}

void openings_calendar_free(openings_calendar *cal)
{
    free(cal->days);
    free(cal->windows);
    free(cal->busy);
    memset(cal, 0, sizeof(*cal));
}

const slots_span *openings_calendar_day(const openings_calendar *cal, date_ymd day, size_t *n)
{
    int64_t d = date_days(day);
    size_t i = 0;
    while (i < cal->nwindows && cal->days[i] < d)
        i++;
    size_t j = i;
    while (j < cal->nwindows && cal->days[j] == d)
        j++;
    *n = j - i;
    return cal->windows != NULL ? cal->windows + i : NULL;
}

size_t openings_calendar_slots(const openings_calendar *cal, const schedule *s, date_ymd day, int64_t length_ms, int64_t *out,
                               size_t max)
{
    slots_request req;
    req.windows = openings_calendar_day(cal, day, &req.nwindows);
    req.busy = cal->busy;
    req.nbusy = cal->nbusy;
    req.length_ms = length_ms;
    req.buffer_ms = s->buffer_minutes * MS_PER_MINUTE;
    req.earliest_ms = s->now_ms + s->min_notice_minutes * MS_PER_MINUTE;
    return req.nwindows > 0 ? slots_free(&req, out, max) : 0;
}

/* Fills o's offer from the free slots of day. */
static void offer(openings *o, date_ymd day, const int64_t *all, size_t total, int64_t target_ms)
{
    size_t n = total < OPENINGS_DAY_MAX ? total : OPENINGS_DAY_MAX;
    o->found = true;
    o->on = day;
    o->total_on = total;
    if (target_ms != 0) {
        o->nslots = slots_nearest(all, n, target_ms, o->slots, OPENINGS_OFFER_MAX);
    } else {
        o->nslots = n < OPENINGS_OFFER_MAX ? n : OPENINGS_OFFER_MAX;
        memcpy(o->slots, all, o->nslots * sizeof(*all));
    }
}

int openings_find(const tool_ctx *ctx, const schedule *s, google_link *g, date_ymd day, int64_t length_ms, int64_t target_ms,
                  const char *exclude_id, openings *o)
{
    memset(o, 0, sizeof(*o));
    int64_t all[OPENINGS_DAY_MAX];
    openings_calendar cal;
    if (openings_calendar_load(ctx, s, g, day, day, exclude_id, &cal) != 0)
        return -1;
    size_t nwin;
    openings_calendar_day(&cal, day, &nwin);
    o->day_open = nwin > 0;
    o->day_total = openings_calendar_slots(&cal, s, day, length_ms, all, OPENINGS_DAY_MAX);
    openings_calendar_free(&cal);
    if (o->day_total > 0) {
        offer(o, day, all, o->day_total, target_ms);
        return 0;
    }
    int64_t first = date_days(day) + 1, last = date_days(schedule_horizon_end(s));
    if (first > last)
        return 0;
    if (openings_calendar_load(ctx, s, g, date_from_days(first), date_from_days(last), exclude_id, &cal) != 0)
        return -1;
    for (int64_t d = first; d <= last && cal.nwindows > 0; d++) {
        size_t total = openings_calendar_slots(&cal, s, date_from_days(d), length_ms, all, OPENINGS_DAY_MAX);
        if (total > 0) {
            offer(o, date_from_days(d), all, total, 0);
            break;
        }
    }
    openings_calendar_free(&cal);
    return 0;
}

int openings_say(const tool_ctx *ctx, const schedule *s, const openings *o, vx_buf *b)
{
    if (!o->found) {
        vx_buf_printf(b, "I'm sorry, I don't have any openings in the next %d days.", s->horizon_days);
        return 0;
    }
    local_time w[OPENINGS_OFFER_MAX];
    if (local_time_format(ctx, s->timezone, o->slots, o->nslots, w) != 0)
        return -1;
    char label[40];
    date_label(o->on, label, sizeof(label));
    if (o->nslots == 1 && o->total_on == 1) {
        vx_buf_printf(b, "On %s I have one opening, at %s.", label, w[0].time);
    } else if (o->total_on > o->nslots) {
        vx_buf_printf(b, "On %s I have ", label);
        for (size_t i = 0; i < o->nslots; i++)
            vx_buf_printf(b, "%s, ", w[i].time);
        size_t more = o->total_on - o->nslots;
        b->len -= 2; /* the last ", " */
        b->data[b->len] = '\0';
        vx_buf_printf(b, " and %zu more opening%s.", more, more == 1 ? "" : "s");
    } else {
        vx_buf_printf(b, "On %s I have ", label);
        local_time_say_list(b, w, o->nslots);
        vx_buf_puts(b, ".");
    }
    return 0;
}
